//! Reading QR codes from camera frames, as plain Rust (no DOM): the frame size the scanner decodes at, RGBA
//! pixels to greyscale, the `rqrr` decoder, and the words the scanner shows (progress, camera errors). The
//! camera and the canvas that feed it are `components::scanner`.

/// The widest frame the scanner decodes, in pixels. Camera frames are drawn downscaled to at most this width
/// (a 640x480 camera is decoded as is); a QR code filling half of such a frame has ~4 px per module even at
/// version 25, which `rqrr` reads, and one decode stays in the tens of milliseconds in wasm.
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

/// Greyscale (luma, ITU-R BT.601 weights in integers) of RGBA pixels, as a canvas's `getImageData` returns
/// them, into `luma` (cleared first; one byte per pixel). Alpha is ignored; a trailing partial pixel too.
pub fn rgba_to_luma(rgba: &[u8], luma: &mut Vec<u8>) {
    luma.clear();
    luma.reserve(rgba.len() / 4);
    luma.extend(rgba.chunks_exact(4).map(|pixel| {
        let weighted = 299 * u32::from(pixel[0]) + 587 * u32::from(pixel[1]) + 114 * u32::from(pixel[2]);
        // At most 255 * 1000 / 1000: always fits.
        u8::try_from(weighted / 1000).unwrap_or(u8::MAX)
    }));
}

/// The text of the first QR code `rqrr` finds in a `width` x `height` greyscale image, if any. `None` too
/// when `luma` is shorter than `width * height` (a frame that changed size under us) or a code's bytes are not
/// UTF-8: the scanner just tries the next frame.
pub fn decode_luma(width: usize, height: usize, luma: &[u8]) -> Option<String> {
    if width == 0 || height == 0 || luma.len() < width.checked_mul(height)? {
        return None;
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    image.detect_grids().into_iter().find_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
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

    /// `text` as a QR code (the `qrcode` crate, as the wallet draws them) in a `width`-wide greyscale image:
    /// `scale` pixels per module, on white, at (`left`, `top`).
    fn render(text: &str, scale: usize, width: usize, height: usize, left: usize, top: usize) -> Vec<u8> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let mut image = vec![255u8; width * height];
        for (index, color) in colors.iter().enumerate() {
            if *color != qrcode::Color::Dark {
                continue;
            }
            let (mx, my) = (index % modules, index / modules);
            for y in 0..scale {
                for x in 0..scale {
                    image[(top + my * scale + y) * width + left + mx * scale + x] = 0;
                }
            }
        }
        image
    }

    #[test]
    fn decodes_a_qr_code_drawn_by_the_qrcode_crate() {
        let text = "cashuBo2FteBdodHRwOi8vMTI3LjAuMC4xOjMzMzhhdWNzYXRhdIGiYWlIAJo";
        let image = render(text, 4, 640, 480, 100, 60);
        assert_eq!(decode_luma(640, 480, &image).as_deref(), Some(text));
    }

    #[test]
    fn decodes_a_large_animated_frame_sized_code_at_scan_width() {
        // A UR fragment frame of a few hundred characters: version ~13 at level L, 3 px per module.
        let text = format!("ur:bytes/1-37/{}", "lpadcsfzcfadgrjn".repeat(18));
        let image = render(&text, 3, 640, 480, 60, 40);
        assert_eq!(decode_luma(640, 480, &image), Some(text));
    }

    #[test]
    fn finds_nothing_in_a_blank_or_short_frame() {
        assert_eq!(decode_luma(64, 48, &[255u8; 64 * 48]), None);
        assert_eq!(decode_luma(64, 48, &[0u8; 10]), None);
        assert_eq!(decode_luma(0, 48, &[]), None);
    }

    #[test]
    fn rgba_becomes_luma_one_byte_per_pixel() {
        let rgba = [255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255, 0, 7, 0, 0, 255, 9, 1];
        let mut luma = vec![42; 3];
        rgba_to_luma(&rgba, &mut luma);
        assert_eq!(luma, vec![255, 0, 76, 149, 29]);
    }

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
