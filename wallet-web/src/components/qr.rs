//! QR codes as inline SVG (the `qrcode` crate encodes; the browser draws), with a text alternative.

use leptos::prelude::*;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The SVG of a QR code for `text`, or `None` when the text is too long for any QR code. Tries medium error
/// correction first, then low, so long tokens still fit.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = [EcLevel::M, EcLevel::L]
        .into_iter()
        .find_map(|level| QrCode::with_error_correction_level(text.as_bytes(), level).ok())?;
    let image = code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .dark_color(svg::Color("#111111"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline SVG needs no XML declaration; the size comes from CSS.
    let start = image.find("<svg")?;
    Some(image.get(start..)?.to_owned())
}

/// A QR code of `text`, exposed to screen readers as one image named `label`. When the text does not fit
/// in a QR code, says so and points to the copy button instead.
#[component]
pub fn QrCode(
    /// What the code encodes.
    text: String,
    /// The accessible name, e.g. "QR code of the token".
    label: String,
) -> impl IntoView {
    match qr_svg(&text) {
        Some(svg) => view! { <div class="qr" role="img" aria-label=label inner_html=svg></div> }.into_any(),
        None => view! {
            <p class="hint">"This is too long for a QR code: copy it instead."</p>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn encodes_tokens_as_svg() {
        let svg = qr_svg("cashuBo2FteBdodHRwOi8vMTI3LjAuMC4xOjMzMzg").unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("viewBox"), "{svg}");
        assert!(svg.contains("#111111"), "{svg}");
    }

    #[test]
    fn long_texts_fall_back_to_low_correction_then_give_up() {
        // 2,500 bytes only fit at level L (version 40 holds 2,953 bytes at L, 2,331 at M).
        assert!(qr_svg(&"a".repeat(2500)).is_some());
        assert!(qr_svg(&"a".repeat(4000)).is_none());
    }
}
