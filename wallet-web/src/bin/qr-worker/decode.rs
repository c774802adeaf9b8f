//! Camera frames to QR texts: RGBA to luma, then `rqrr` finds and decodes every code in the frame.

/// The largest frame decoded, in pixels (1920 x 1080); larger frames are refused unread.
pub const MAX_PIXELS: usize = 1920 * 1080;

/// The luma (ITU-R BT.601, integer weights summing to 256) of each RGBA pixel.
pub fn luma(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|pixel| match pixel {
            [r, g, b, _] => ((77 * u32::from(*r) + 150 * u32::from(*g) + 29 * u32::from(*b)) >> 8) as u8,
            _ => 0,
        })
        .collect()
}

/// The texts of every QR code found in a `width` x `height` RGBA frame. A frame of the wrong length, empty
/// or over [`MAX_PIXELS`] yields nothing; codes that are found but fail to decode (blur, a torn frame) are
/// skipped.
pub fn decode_rgba(rgba: &[u8], width: usize, height: usize) -> Vec<String> {
    let Some(pixels) = width.checked_mul(height) else { return Vec::new() };
    if pixels == 0 || pixels > MAX_PIXELS || rgba.len() != pixels * 4 {
        return Vec::new();
    }
    let grey = luma(rgba);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        grey.get(y * width + x).copied().unwrap_or(255)
    });
    image.detect_grids().into_iter().filter_map(|grid| grid.decode().ok().map(|(_, text)| text)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use qrcode::{Color, QrCode};

    /// `text` drawn as a QR code, `scale` pixels a module, on a white `size` x `size` RGBA frame.
    fn frame(text: &str, scale: usize, size: usize) -> Vec<u8> {
        let code = QrCode::new(text.as_bytes()).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let offset = (size - modules * scale) / 2;
        let mut rgba = vec![255u8; size * size * 4];
        for y in 0..modules * scale {
            for x in 0..modules * scale {
                if colors[(y / scale) * modules + x / scale] == Color::Dark {
                    let at = ((offset + y) * size + offset + x) * 4;
                    rgba[at..at + 3].fill(0);
                }
            }
        }
        rgba
    }

    #[test]
    fn luma_weights_the_channels() {
        assert_eq!(luma(&[255, 255, 255, 255, 0, 0, 0, 255]), vec![255, 0]);
        assert_eq!(luma(&[255, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255, 0]), vec![76, 149, 28]);
    }

    #[test]
    fn reads_a_code_from_a_frame() {
        let text = "ur:bytes/3-9/LPAXAXCFAXHFCYBSHNBGFRHDRFWY";
        assert_eq!(decode_rgba(&frame(text, 6, 480), 480, 480), vec![text.to_owned()]);
    }

    #[test]
    fn refuses_frames_of_the_wrong_shape_unread() {
        let rgba = frame("hello", 4, 200);
        assert!(decode_rgba(&rgba, 199, 200).is_empty());
        assert!(decode_rgba(&rgba, 0, 0).is_empty());
        assert!(decode_rgba(&rgba, usize::MAX, 2).is_empty());
        assert!(decode_rgba(&vec![255; 4 * 2000 * 1100], 2000, 1100).is_empty());
        assert!(decode_rgba(&vec![255; 4 * 200 * 200], 200, 200).is_empty(), "a blank frame has no code");
    }
}
