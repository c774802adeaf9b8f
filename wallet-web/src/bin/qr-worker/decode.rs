//! Decoding a camera frame: RGBA pixels to greyscale, then the `rqrr` decoder. Only the decoder worker
//! compiles this module (and `tests/scanner.rs`, which includes it by path to decode through a real canvas), so
//! the app cannot call it by accident and its wasm holds none of `rqrr`.

/// Greyscale (luma, ITU-R BT.601 weights in integers) of RGBA pixels, as a canvas's `getImageData` returns
/// them, into `luma` (cleared first; one byte per pixel). Alpha is ignored; a trailing partial pixel too.
pub(crate) fn rgba_to_luma(rgba: &[u8], luma: &mut Vec<u8>) {
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
pub(crate) fn decode_luma(width: usize, height: usize, luma: &[u8]) -> Option<String> {
    if width == 0 || height == 0 || luma.len() < width.checked_mul(height)? {
        return None;
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    image.detect_grids().into_iter().find_map(|grid| grid.decode().ok().map(|(_meta, text)| text))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
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
}
