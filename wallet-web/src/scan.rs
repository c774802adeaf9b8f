//! Reading QR codes from camera frames, as plain Rust (no DOM): the frame size the scanner decodes at, and the
//! words the scanner shows (progress, camera errors). The camera and the canvas that feed it are
//! `components::scanner`; the decoding itself (greyscale, the `rqrr` decoder) is the decoder worker's own
//! (`src/bin/qr-worker/decode.rs`), so the app cannot call it and its bundle holds none of it.

/// The widest frame the scanner decodes, in pixels. Camera frames are drawn downscaled to at most this width
/// (a 640x480 camera is decoded as is); a QR code filling half of such a frame has ~4 px per module even at
/// version 25, which the decoder (`rqrr`) reads, and one decode stays in the tens of milliseconds in wasm.
pub const SCAN_WIDTH: u32 = 640;

/// The most pixels a frame handed to the decoder may have (1920 x 1080): the decoder worker refuses larger
/// frames unread.
pub const MAX_SCAN_PIXELS: usize = 1920 * 1080;

/// The size (width, height) a `video_width` x `video_height` camera frame is decoded at: at most
/// [`SCAN_WIDTH`] wide, same aspect ratio, never zero. `None` while the camera has no frame yet (0x0).
pub fn scan_size(video_width: u32, video_height: u32) -> Option<(u32, u32)> {
    if video_width == 0 || video_height == 0 {
        return None;
    }
    if video_width <= SCAN_WIDTH {
        return Some((video_width, video_height));
    }
    let height = (u64::from(video_height) * u64::from(SCAN_WIDTH) / u64::from(video_width)).max(1);
    Some((SCAN_WIDTH, u32::try_from(height).unwrap_or(u32::MAX)))
}

/// The progress line of a multipart (animated) code: "part 14 of 37" (parts resolved of the total).
pub fn progress_text(resolved: usize, total: usize) -> String {
    format!("part {} of {}", resolved.min(total), total)
}

/// Plain words for a camera that did not open, from the `name` of the `DOMException` `getUserMedia` rejected
/// with. Each sentence ends by pointing to pasting, which always works.
pub fn camera_error_words(name: &str) -> &'static str {
    match name {
        "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => {
            "Camera access was refused. Allow the camera for this site in your browser's settings, or paste the \
             text instead."
        }
        "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" => {
            "No camera was found on this device. Paste the text instead."
        }
        "NotReadableError" | "TrackStartError" | "AbortError" => {
            "The camera is busy: another app or tab is using it. Close that and try again, or paste the text \
             instead."
        }
        _ => "The camera could not be opened. Paste the text instead.",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_are_decoded_at_most_640_wide() {
        assert_eq!(scan_size(640, 480), Some((640, 480)));
        assert_eq!(scan_size(320, 240), Some((320, 240)));
        assert_eq!(scan_size(1920, 1080), Some((640, 360)));
        assert_eq!(scan_size(1280, 720), Some((640, 360)));
        assert_eq!(scan_size(100_000, 1), Some((640, 1)));
        assert_eq!(scan_size(0, 0), None);
    }

    #[test]
    fn progress_reads_part_of_total() {
        assert_eq!(progress_text(14, 37), "part 14 of 37");
        assert_eq!(progress_text(40, 37), "part 37 of 37");
    }

    #[test]
    fn camera_errors_have_their_own_words() {
        assert!(camera_error_words("NotAllowedError").contains("refused"));
        assert!(camera_error_words("NotFoundError").contains("No camera"));
        assert!(camera_error_words("NotReadableError").contains("busy"));
        assert!(camera_error_words("TypeError").contains("could not be opened"));
        for name in ["NotAllowedError", "NotFoundError", "NotReadableError", "Other"] {
            assert!(camera_error_words(name).to_lowercase().contains("paste the text"), "{name}");
        }
    }
}
