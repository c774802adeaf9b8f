//! Animated QR codes (NUT-16): texts too long for one comfortably scannable QR code travel as an endless
//! sequence of BC-UR `ur:bytes` frames with a fountain code, the format cashu.me shows and reads (through
//! `@gandlaf21/bc-ur`, the library NUT-16 names).
//!
//! Wire format: the UTF-8 text is wrapped in a CBOR byte string (what bc-ur's `UR.fromBuffer` does and its
//! `resultUR().decodeCBOR()` undoes), cut into fragments and fountain-coded by the `ur` crate, which
//! produces exactly the frames bc-ur produces for the same fragment length (the known-answer test below).
//! Frames are shown upper-case: BC-UR is case-insensitive and upper case puts the whole frame in the QR
//! alphanumeric mode, about 27 % fewer modules than byte mode.
//!
//! The sender shows [`qr_frames`]`(text)`: one static code for short texts, otherwise an endless
//! [`AnimatedFrames`] sequence (the first frames are the fragments in order, later ones random mixes, so a
//! scanner that missed some frames completes from any others). The receiver feeds every scanned QR text to
//! an [`Assembler`], which reports progress ("part 14 of 37") until the text is complete.
//!
//! Every input is bounded: a frame longer than [`MAX_FRAME_CHARS`], a message announced longer than
//! [`MAX_MESSAGE_BYTES`] or split into more than [`MAX_FRAGMENTS`] fragments is rejected before any
//! fountain work.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use ciborium::Value;
use serde_bytes::Bytes;

/// Texts up to this many bytes are shown as ONE static QR code holding the text itself (no UR): at error
/// correction level L that is a version 13 code (69 × 69 modules) in byte mode, a little larger than one
/// animated frame (version 10), so a one- or two-note token stays a single code (cashu.me also shows up to two proofs
/// statically).
pub const MAX_STATIC_QR_BYTES: usize = 400;

/// Bytes of message per animated frame. 150 is cashu.me's default ("L"): a frame is then at most 360
/// alphanumeric characters, a version 10 QR code at level L (57 modules across) that a phone camera reads at
/// arm's length in one video frame; a 20 KB token is 137 fragments, a 128 KiB offline payment 874.
pub const FRAGMENT_LEN: usize = 150;

/// Milliseconds each animated frame is shown: 150 ms is 6.7 frames per second (cashu.me's default "fast").
/// A 30 fps camera sees each frame in four or five video frames, enough for a decoder that reads every
/// other video frame; a 20 KB token then moves in 21 s (137 frames) when no frame is missed.
pub const FRAME_INTERVAL_MS: u32 = 150;

/// The longest text an [`Assembler`] puts together (and [`qr_frames`] accepts): a 128 KiB offline
/// payment plus 32 KiB of margin.
pub const MAX_MESSAGE_BYTES: usize = 160 * 1024;

/// The longest scanned text the [`Assembler`] looks at: the capacity of the largest QR code (version 40,
/// alphanumeric mode). Nothing longer can come from one QR code.
pub const MAX_FRAME_CHARS: usize = 4296;

/// The most fragments a message may be split into: enough for [`MAX_MESSAGE_BYTES`] in fragments of 80
/// bytes (cashu.me's shortest setting, 50 bytes, covers tokens up to 100 KB). Bounds the fountain
/// decoder's work per frame, which is linear in the fragment count.
pub const MAX_FRAGMENTS: usize = 2048;

/// Distinct frames of one message beyond `FRAME_BUDGET_FACTOR × fragments + FRAME_BUDGET_EXTRA` make the
/// [`Assembler`] give up on it (a fountain code completes after a few more frames than fragments; this
/// only bounds the memory of frames that never resolve).
const FRAME_BUDGET_FACTOR: usize = 10;
const FRAME_BUDGET_EXTRA: usize = 100;

/// Why a text cannot be shown or a scanned frame cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Nut16Error {
    /// Nothing to show or nothing scanned.
    #[error("the text is empty")]
    Empty,
    /// The text (or the message a frame announces) is longer than the limit.
    #[error("the text is {len} bytes long, more than the {max} an animated code may carry")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The scanned text is longer than any QR code can hold.
    #[error("the scanned code is {len} characters long, more than any QR code holds ({MAX_FRAME_CHARS})")]
    FrameTooLong {
        /// Its length.
        len: usize,
    },
    /// A UR of another type than `bytes` (e.g. a `crypto-psbt` of a Bitcoin wallet).
    #[error("unsupported UR type {0:?}: only ur:bytes carries Cashu texts")]
    UnsupportedType(String),
    /// The frame is not a well-formed `ur:bytes` frame.
    #[error("malformed UR frame: {0}")]
    Malformed(String),
    /// The message is split into more fragments than [`MAX_FRAGMENTS`].
    #[error("the code is split into {count} parts, more than the {MAX_FRAGMENTS} accepted")]
    TooManyFragments {
        /// Fragments announced.
        count: usize,
    },
    /// Many more frames than fragments were received and the message still did not resolve.
    #[error("{received} frames received without completing the message: scanning starts again")]
    TooManyFrames {
        /// Frames received for the message.
        received: usize,
    },
    /// The assembled message is not a CBOR byte (or text) string, or not UTF-8.
    #[error("the assembled message is not a text: {0}")]
    NotText(String),
}

/// What to display for a text: one static QR code, or an endless animated sequence.
#[derive(Debug)]
pub enum QrFrames {
    /// Show this text (the text itself) as one QR code.
    Static(String),
    /// Show [`AnimatedFrames::next_frame`] every [`FRAME_INTERVAL_MS`], for ever.
    Animated(AnimatedFrames),
}

/// Chooses how to display `text`: [`QrFrames::Static`] up to [`MAX_STATIC_QR_BYTES`], animated `ur:bytes`
/// frames of [`FRAGMENT_LEN`] bytes beyond (up to [`MAX_MESSAGE_BYTES`]).
pub fn qr_frames(text: &str) -> Result<QrFrames, Nut16Error> {
    if text.is_empty() {
        return Err(Nut16Error::Empty);
    }
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Nut16Error::TooLong { len: text.len(), max: MAX_MESSAGE_BYTES });
    }
    if text.len() <= MAX_STATIC_QR_BYTES {
        return Ok(QrFrames::Static(text.to_string()));
    }
    AnimatedFrames::new(text).map(QrFrames::Animated)
}

/// The endless frame sequence of one text (fountain coded: frames 1..=n are the fragments in order,
/// later frames mixes of random fragments chosen deterministically from the sequence number).
pub struct AnimatedFrames {
    encoder: ur::Encoder<'static>,
    last: String,
}

impl fmt::Debug for AnimatedFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnimatedFrames")
            .field("fragment_count", &self.encoder.fragment_count())
            .field("shown", &self.encoder.current_index())
            .finish()
    }
}

impl AnimatedFrames {
    fn new(text: &str) -> Result<Self, Nut16Error> {
        let message = wrap_cbor_bytes(text.as_bytes());
        let encoder = ur::Encoder::bytes(&message, FRAGMENT_LEN).map_err(|e| Nut16Error::Malformed(e.to_string()))?;
        Ok(Self { encoder, last: String::new() })
    }

    /// The next frame to show (upper-case `UR:BYTES/<seq>-<count>/<bytewords>`). Never ends: after the
    /// last fragment come mixes of fragments, so a scanner can join at any time.
    pub fn next_frame(&mut self) -> String {
        // Serializing a part into memory cannot fail; should it ever, the previous frame is shown again.
        if let Ok(frame) = self.encoder.next_part() {
            self.last = frame.to_ascii_uppercase();
        }
        self.last.clone()
    }

    /// How many fragments the text was cut into (the frames a scanner needs at the very least).
    pub fn fragment_count(&self) -> usize {
        self.encoder.fragment_count()
    }
}

/// How far an [`Assembler`] is after a scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProgress {
    /// The whole text: a static code, or the last missing part of an animated one.
    Complete(String),
    /// An animated code is being read: `resolved` of its `total` fragments are known.
    Partial {
        /// Fragments known (received, or recovered from mixes).
        resolved: usize,
        /// Fragments of the message.
        total: usize,
    },
    /// This scanned text cannot be used (progress on the current message, if any, is kept unless the
    /// error says scanning starts again).
    Rejected(Nut16Error),
}

/// The header of one multipart frame, checked before the fountain decoder sees it; frames of one message
/// agree on all but `seq`.
#[derive(Debug, Clone, Copy)]
struct MessageShape {
    seq: u32,
    count: usize,
    message_len: usize,
    checksum: u32,
    fragment_len: usize,
}

impl MessageShape {
    fn same_message(&self, other: &Self) -> bool {
        (self.count, self.message_len, self.checksum, self.fragment_len)
            == (other.count, other.message_len, other.checksum, other.fragment_len)
    }
}

/// Distinct frames of one message after which the [`Assembler`] gives up on it.
fn frame_budget(count: usize) -> usize {
    count.saturating_mul(FRAME_BUDGET_FACTOR).saturating_add(FRAME_BUDGET_EXTRA)
}

struct InProgress {
    shape: MessageShape,
    decoder: ur::Decoder,
    /// Sequence numbers received (a camera sees each shown frame several times; repeats are free).
    seen: BTreeSet<u32>,
}

/// Collects scanned QR texts into the text they carry. A text that does not start with `ur:` completes
/// at once (a static code); `ur:bytes` frames are assembled in any order, repeated or with gaps. A frame
/// of another message (other fragment count, length or checksum) starts assembling that message instead;
/// once complete, further frames are ignored (every push returns the same text) until [`Assembler::reset`].
#[derive(Default)]
pub struct Assembler {
    current: Option<InProgress>,
    done: Option<String>,
}

impl fmt::Debug for Assembler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assembler")
            .field("shape", &self.current.as_ref().map(|c| c.shape))
            .field("received", &self.current.as_ref().map(|c| c.seen.len()))
            .field("complete", &self.done.is_some())
            .finish()
    }
}

impl Assembler {
    /// Feeds one scanned QR text.
    pub fn push(&mut self, scanned: &str) -> ScanProgress {
        if let Some(done) = &self.done {
            return ScanProgress::Complete(done.clone());
        }
        match self.push_inner(scanned) {
            Ok(progress) => {
                if let ScanProgress::Complete(text) = &progress {
                    self.current = None;
                    self.done = Some(text.clone());
                }
                progress
            }
            Err(e) => ScanProgress::Rejected(e),
        }
    }

    /// Forgets everything: the next push starts a new message.
    pub fn reset(&mut self) {
        self.current = None;
        self.done = None;
    }

    fn push_inner(&mut self, scanned: &str) -> Result<ScanProgress, Nut16Error> {
        if scanned.len() > MAX_FRAME_CHARS {
            return Err(Nut16Error::FrameTooLong { len: scanned.len() });
        }
        let is_ur = scanned.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("ur:"));
        if !is_ur {
            if scanned.is_empty() {
                return Err(Nut16Error::Empty);
            }
            return Ok(ScanProgress::Complete(scanned.to_string()));
        }
        let frame = scanned.to_ascii_lowercase();
        let rest = frame.get(3..).unwrap_or_default();
        let (ur_type, path) =
            rest.split_once('/').ok_or_else(|| Nut16Error::Malformed("no '/' after the UR type".into()))?;
        if ur_type != "bytes" {
            let shown: String = ur_type.chars().take(40).collect();
            return Err(Nut16Error::UnsupportedType(shown));
        }
        let (_, body) = ur::ur::decode(&frame).map_err(|e| Nut16Error::Malformed(e.to_string()))?;
        if !path.contains('/') {
            // A single-part UR ("ur:bytes/<bytewords>"): the whole message at once.
            return unwrap_cbor_text(&body).map(ScanProgress::Complete);
        }
        let shape = part_shape(&body)?;
        let restart = self.current.as_ref().is_none_or(|c| !c.shape.same_message(&shape));
        if restart {
            self.current = Some(InProgress { shape, decoder: ur::Decoder::default(), seen: BTreeSet::new() });
        }
        let Some(current) = self.current.as_mut() else {
            return Err(Nut16Error::Malformed("no message in progress".into()));
        };
        if current.seen.insert(shape.seq) && current.seen.len() > frame_budget(shape.count) {
            let received = current.seen.len();
            self.current = None;
            return Err(Nut16Error::TooManyFrames { received });
        }
        current.decoder.receive(&frame).map_err(|e| Nut16Error::Malformed(e.to_string()))?;
        if current.decoder.complete() {
            let message = current.decoder.message();
            self.current = None;
            let message = message
                .map_err(|e| Nut16Error::Malformed(e.to_string()))?
                .ok_or_else(|| Nut16Error::Malformed("complete without a message".into()))?;
            return unwrap_cbor_text(&message).map(ScanProgress::Complete);
        }
        Ok(ScanProgress::Partial {
            resolved: current.decoder.resolved_fragment_count().unwrap_or(0),
            total: shape.count,
        })
    }
}

/// Reads and bounds the header of a multipart frame's CBOR part `[seq, count, message_len, checksum,
/// data]`: the fountain decoder's work and memory depend on these numbers.
fn part_shape(cbor: &[u8]) -> Result<MessageShape, Nut16Error> {
    let value: Value =
        ciborium::de::from_reader(cbor).map_err(|e| Nut16Error::Malformed(format!("part is not CBOR: {e}")))?;
    let Value::Array(items) = value else {
        return Err(Nut16Error::Malformed("part is not a CBOR array".into()));
    };
    let [seq, count, message_len, checksum, Value::Bytes(data)] = items.as_slice() else {
        return Err(Nut16Error::Malformed("part is not [seq, count, length, checksum, data]".into()));
    };
    let number = |v: &Value, what: &str| -> Result<u32, Nut16Error> {
        v.as_integer()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| Nut16Error::Malformed(format!("part {what} is not a 32-bit number")))
    };
    let seq = number(seq, "sequence number")?;
    let count = number(count, "fragment count")? as usize;
    let message_len = number(message_len, "message length")? as usize;
    let checksum = number(checksum, "checksum")?;
    let fragment_len = data.len();
    if seq == 0 || count == 0 || message_len == 0 || fragment_len == 0 {
        return Err(Nut16Error::Malformed("part has a zero sequence number, count or length".into()));
    }
    if count > MAX_FRAGMENTS {
        return Err(Nut16Error::TooManyFragments { count });
    }
    // The CBOR byte-string header adds up to 5 bytes to the text.
    if message_len > MAX_MESSAGE_BYTES + 5 {
        return Err(Nut16Error::TooLong { len: message_len, max: MAX_MESSAGE_BYTES });
    }
    // An encoder cuts the message into `count = ceil(length / fragment)` fragments; anything else would
    // let a frame announce far more data than the message holds.
    if message_len.div_ceil(fragment_len) != count {
        return Err(Nut16Error::Malformed("part's fragment size does not match its count and length".into()));
    }
    Ok(MessageShape { seq, count, message_len, checksum, fragment_len })
}

/// The CBOR byte string holding `bytes` (bc-ur's `UR.fromBuffer`).
fn wrap_cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 9);
    // Writing into a Vec cannot fail; an empty result is caught by the encoder (empty message).
    if ciborium::ser::into_writer(&Bytes::new(bytes), &mut out).is_err() {
        out.clear();
    }
    out
}

/// The text inside a CBOR byte string (bc-ur's `decodeCBOR()`); a CBOR text string is accepted too.
fn unwrap_cbor_text(cbor: &[u8]) -> Result<String, Nut16Error> {
    let value: Value = ciborium::de::from_reader(cbor).map_err(|e| Nut16Error::NotText(format!("not CBOR: {e}")))?;
    let text = match value {
        Value::Bytes(bytes) => String::from_utf8(bytes).map_err(|_| Nut16Error::NotText("not UTF-8".into()))?,
        Value::Text(text) => text,
        _ => return Err(Nut16Error::NotText("not a CBOR byte string".into())),
    };
    if text.is_empty() {
        return Err(Nut16Error::Empty);
    }
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Nut16Error::TooLong { len: text.len(), max: MAX_MESSAGE_BYTES });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn text_of(len: usize) -> String {
        (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
    }

    fn animated(text: &str) -> AnimatedFrames {
        match qr_frames(text) {
            Ok(QrFrames::Animated(frames)) => frames,
            other => panic!("expected animated frames, got {other:?}"),
        }
    }

    #[test]
    fn cbor_byte_string_headers_by_hand() {
        // RFC 8949: major type 2; length < 24 in the initial byte, then 1, 2 or 4 length bytes.
        assert_eq!(wrap_cbor_bytes(b"ab"), vec![0x42, b'a', b'b']);
        assert_eq!(wrap_cbor_bytes(&[7; 24])[..2], [0x58, 24]);
        assert_eq!(wrap_cbor_bytes(&[7; 400])[..3], [0x59, 0x01, 0x90]);
        assert_eq!(wrap_cbor_bytes(&[7; 70_000])[..5], [0x5a, 0x00, 0x01, 0x11, 0x70]);
        assert_eq!(unwrap_cbor_text(&[0x42, b'h', b'i']), Ok("hi".into()));
        assert_eq!(unwrap_cbor_text(&[0x62, b'h', b'i']), Ok("hi".into()));
        assert!(matches!(unwrap_cbor_text(&[0x42, 0xff, 0xfe]), Err(Nut16Error::NotText(_))));
        assert!(matches!(unwrap_cbor_text(&[0x01]), Err(Nut16Error::NotText(_))));
        assert!(matches!(unwrap_cbor_text(&[0x40]), Err(Nut16Error::Empty)));
    }

    #[test]
    fn short_texts_are_static_long_ones_animated() {
        assert!(matches!(qr_frames(""), Err(Nut16Error::Empty)));
        let short = text_of(MAX_STATIC_QR_BYTES);
        assert!(matches!(qr_frames(&short), Ok(QrFrames::Static(t)) if t == short));
        let frames = animated(&text_of(MAX_STATIC_QR_BYTES + 1));
        assert_eq!(frames.fragment_count(), 3);
        let too_long = text_of(MAX_MESSAGE_BYTES + 1);
        assert!(matches!(qr_frames(&too_long), Err(Nut16Error::TooLong { .. })));
        assert!(animated(&text_of(MAX_MESSAGE_BYTES)).fragment_count() <= MAX_FRAGMENTS);
    }

    #[test]
    fn frames_are_upper_case_ur_bytes_and_endless() {
        let mut frames = animated(&text_of(1000));
        let n = frames.fragment_count();
        for i in 1..=3 * n {
            let frame = frames.next_frame();
            assert!(frame.starts_with(&format!("UR:BYTES/{i}-{n}/")), "{frame}");
            assert!(frame.len() < 400, "{} chars", frame.len());
        }
    }

    #[test]
    fn in_order_frames_complete_with_progress() {
        let text = text_of(2000);
        let mut frames = animated(&text);
        let n = frames.fragment_count();
        let mut assembler = Assembler::default();
        for i in 1..n {
            assert_eq!(assembler.push(&frames.next_frame()), ScanProgress::Partial { resolved: i, total: n });
        }
        let last = frames.next_frame();
        assert_eq!(assembler.push(&last), ScanProgress::Complete(text.clone()));
        // Ignored until reset: the same text again, even for another code.
        assert_eq!(assembler.push("cashuBother"), ScanProgress::Complete(text));
        assembler.reset();
        assert_eq!(assembler.push("cashuBother"), ScanProgress::Complete("cashuBother".into()));
    }

    #[test]
    fn static_texts_complete_at_once_and_lower_case_frames_work() {
        let mut assembler = Assembler::default();
        assert_eq!(assembler.push(""), ScanProgress::Rejected(Nut16Error::Empty));
        let text = text_of(700);
        let mut frames = animated(&text);
        let mut progress = ScanProgress::Rejected(Nut16Error::Empty);
        for _ in 0..frames.fragment_count() {
            progress = assembler.push(&frames.next_frame().to_ascii_lowercase());
        }
        assert_eq!(progress, ScanProgress::Complete(text));
    }

    #[test]
    fn a_frame_of_another_message_restarts_never_corrupts() {
        let (a, b) = (text_of(1500), text_of(1499));
        let (mut fa, mut fb) = (animated(&a), animated(&b));
        let mut assembler = Assembler::default();
        for _ in 0..fa.fragment_count() - 1 {
            assert!(matches!(assembler.push(&fa.next_frame()), ScanProgress::Partial { .. }));
        }
        // One frame of b: assembling starts over with b's parts.
        assert_eq!(assembler.push(&fb.next_frame()), ScanProgress::Partial { resolved: 1, total: fb.fragment_count() });
        let mut progress = ScanProgress::Rejected(Nut16Error::Empty);
        for _ in 1..fb.fragment_count() {
            progress = assembler.push(&fb.next_frame());
        }
        assert_eq!(progress, ScanProgress::Complete(b));
    }

    #[test]
    fn other_ur_types_and_malformed_frames_are_rejected() {
        let mut assembler = Assembler::default();
        assert_eq!(
            assembler.push("ur:crypto-psbt/1-3/lpadaxcsencylobemohsgmoyadhdeynteelblrcygldwvarflojtcywyjytpdkfwprylienshnjnpluypmamtkmybsjkspvseesawmrltadlhptsetfmeckbytd"),
            ScanProgress::Rejected(Nut16Error::UnsupportedType("crypto-psbt".into()))
        );
        for bad in ["ur:", "ur:bytes", "ur:bytes/1-3/zz", "UR:BYTES/0-3/lpad", "ur:bytes/x-y/lpadaxcs"] {
            assert!(matches!(assembler.push(bad), ScanProgress::Rejected(Nut16Error::Malformed(_))), "{bad}");
        }
        let long = format!("ur:bytes/1-2/{}", "a".repeat(MAX_FRAME_CHARS));
        assert!(matches!(assembler.push(&long), ScanProgress::Rejected(Nut16Error::FrameTooLong { .. })));
        // A damaged checksum letter: the bytewords CRC refuses it and progress is kept.
        let mut frames = animated(&text_of(1000));
        let first = frames.next_frame();
        assert!(matches!(assembler.push(&first), ScanProgress::Partial { resolved: 1, .. }));
        let second = frames.next_frame();
        let mut damaged = second.clone().into_bytes();
        let last = damaged.len() - 1;
        damaged[last] = if damaged[last] == b'A' { b'E' } else { b'A' };
        let damaged = String::from_utf8(damaged).unwrap_or_default();
        assert!(matches!(assembler.push(&damaged), ScanProgress::Rejected(Nut16Error::Malformed(_))));
        assert!(matches!(assembler.push(&second), ScanProgress::Partial { resolved: 2, .. }));
    }

    /// A part with the given header, as a multipart frame.
    fn forged_frame(seq: u32, count: u32, message_len: u32, data_len: usize) -> String {
        let part = Value::Array(vec![
            Value::from(seq),
            Value::from(count),
            Value::from(message_len),
            Value::from(0x1234_5678u32),
            Value::Bytes(vec![1; data_len]),
        ]);
        let mut cbor = Vec::new();
        assert!(ciborium::ser::into_writer(&part, &mut cbor).is_ok());
        format!("ur:bytes/{seq}-{count}/{}", ur::bytewords::encode(&cbor, ur::bytewords::Style::Minimal))
    }

    #[test]
    fn announced_sizes_are_bounded_before_decoding() {
        let mut assembler = Assembler::default();
        let many = forged_frame(5000, 100_000, 1_000_000, 10);
        assert!(matches!(
            assembler.push(&many),
            ScanProgress::Rejected(Nut16Error::TooManyFragments { count: 100_000 })
        ));
        let long = forged_frame(1, 2000, 2000 * 100, 100);
        assert!(matches!(assembler.push(&long), ScanProgress::Rejected(Nut16Error::TooLong { .. })));
        // 10 fragments of 100 bytes cannot hold 5 bytes, nor 5000.
        for message_len in [5, 5000] {
            let forged = forged_frame(1, 10, message_len, 100);
            assert!(matches!(assembler.push(&forged), ScanProgress::Rejected(Nut16Error::Malformed(_))));
        }
        let fine = forged_frame(12, 10, 1000, 100);
        assert_eq!(assembler.push(&fine), ScanProgress::Partial { resolved: 0, total: 10 });
    }

    #[test]
    fn repeated_frames_are_free_but_distinct_frames_are_budgeted() {
        let mut frames = animated(&text_of(1000));
        let n = frames.fragment_count();
        let mut assembler = Assembler::default();
        let first = frames.next_frame();
        // A camera sees each shown frame many times: repeats never use up the budget.
        for _ in 0..frame_budget(n) + 10 {
            assert_eq!(assembler.push(&first), ScanProgress::Partial { resolved: 1, total: n });
        }
        // Distinct frames that never resolve (the budget nearly spent by earlier ones) make it give up.
        if let Some(current) = assembler.current.as_mut() {
            current.seen.extend(1_000..1_000 + frame_budget(n) as u32 - 1);
        }
        let second = frames.next_frame();
        assert_eq!(
            assembler.push(&second),
            ScanProgress::Rejected(Nut16Error::TooManyFrames { received: frame_budget(n) + 1 })
        );
        // And start again from nothing.
        assert_eq!(assembler.push(&second), ScanProgress::Partial { resolved: 1, total: n });
    }
}
