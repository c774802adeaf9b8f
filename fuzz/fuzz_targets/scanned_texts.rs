//! Texts a wallet's camera scanner reads, one per line: NUT-16 animated-QR frames (`ur:bytes/…`, any case)
//! fed to one `Assembler`, and NUT-18 payment requests (`creqA…`). Nothing panics; a progress report never
//! claims more fragments than the message has; an assembled text is bounded; a decoded request re-encodes
//! to one that decodes equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::nut16::{Assembler, MAX_MESSAGE_BYTES, ScanProgress};
use shared::nut18::PaymentRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let mut assembler = Assembler::default();
    for line in text.lines() {
        match assembler.push(line) {
            ScanProgress::Partial { resolved, total } => assert!(resolved <= total, "{resolved} of {total}"),
            ScanProgress::Complete(text) => {
                assert!(!text.is_empty() && text.len() <= MAX_MESSAGE_BYTES);
                assembler.reset();
            }
            ScanProgress::Rejected(_) => {}
        }
        if let Ok(request) = PaymentRequest::decode(line) {
            let encoded = request.encode().expect("a decoded request encodes");
            assert_eq!(PaymentRequest::decode(&encoded).ok(), Some(request), "creqA round trip");
        }
    }
});
