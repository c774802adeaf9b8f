//! QR codes as inline SVG (the `qrcode` crate encodes; the browser draws), with a text alternative. Texts too
//! long for one comfortably scannable code animate by themselves: NUT-16 `ur:bytes` frames
//! ([`shared::nut16`]), a new one every [`FRAME_INTERVAL_MS`], so every screen that shows a token, a payment
//! or a request gets animation with no code of its own.

use std::time::Duration;

use leptos::prelude::*;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use shared::nut16::{self, AnimatedFrames, FRAME_INTERVAL_MS, QrFrames};

/// The SVG of a QR code for `text` at the first error correction level in `levels` that fits, or `None`
/// when the text is too long for any QR code.
fn svg_at(text: &str, levels: &[EcLevel]) -> Option<String> {
    let code = levels.iter().find_map(|level| QrCode::with_error_correction_level(text.as_bytes(), *level).ok())?;
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

/// The SVG of a QR code for `text`, or `None` when the text is too long for any QR code. Tries medium error
/// correction first, then low, so long tokens still fit.
pub fn qr_svg(text: &str) -> Option<String> {
    svg_at(text, &[EcLevel::M, EcLevel::L])
}

/// The SVG of one animated frame: level L, as [`nut16::FRAGMENT_LEN`] is sized for (upper-case frames use
/// the QR alphanumeric mode; a frame is a version 10 code).
pub fn frame_svg(frame: &str) -> Option<String> {
    svg_at(frame, &[EcLevel::L])
}

/// The line under an animated code.
pub fn animated_hint(parts: usize) -> String {
    format!("Animated code: {parts} parts \u{2014} keep the camera on it")
}

/// A QR code of `text`, exposed to screen readers as one image named `label`: one static code for short
/// texts, an animated one (NUT-16) for long ones. When the text does not fit even so, says so and points to
/// the copy button instead.
#[component]
pub fn QrCode(
    /// What the code encodes.
    text: String,
    /// The accessible name, e.g. "QR code of the token".
    label: String,
) -> impl IntoView {
    let too_long = || view! { <p class="hint">"This is too long for a QR code: copy it instead."</p> }.into_any();
    match nut16::qr_frames(&text) {
        Ok(QrFrames::Static(text)) => match qr_svg(&text) {
            Some(svg) => view! { <div class="qr" role="img" aria-label=label inner_html=svg></div> }.into_any(),
            None => too_long(),
        },
        Ok(QrFrames::Animated(frames)) => view! { <AnimatedQr frames label /> }.into_any(),
        Err(_) => too_long(),
    }
}

/// An endless NUT-16 frame sequence, one frame every [`FRAME_INTERVAL_MS`] (`set_interval`, cleared on
/// unmount). Hooks for tests: `data-frame` (frames shown so far, 1 for the first) and `data-frames` (the
/// fragment count: the fewest frames a scanner needs).
#[component]
fn AnimatedQr(frames: AnimatedFrames, label: String) -> impl IntoView {
    let parts = frames.fragment_count();
    let frames = StoredValue::new_local(frames);
    let svg = RwSignal::new(String::new());
    let shown = RwSignal::new(0u64);
    let advance = move || {
        let Some(frame) = frames.try_update_value(AnimatedFrames::next_frame) else { return };
        if let Some(image) = frame_svg(&frame) {
            svg.set(image);
            shown.update(|shown| *shown += 1);
        }
    };
    advance();
    let interval = set_interval_with_handle(advance, Duration::from_millis(u64::from(FRAME_INTERVAL_MS))).ok();
    on_cleanup(move || {
        if let Some(interval) = interval {
            interval.clear();
        }
    });
    view! {
        <div class="qr-animated">
            <div class="qr" role="img" aria-label=label data-frame=move || shown.get() data-frames=parts inner_html=move || svg.get()></div>
            <p class="hint">{animated_hint(parts)}</p>
        </div>
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

    #[test]
    fn animated_frames_fit_one_qr_code_at_level_l() {
        let Ok(QrFrames::Animated(mut frames)) = nut16::qr_frames(&"cashuB".repeat(500)) else { panic!("animated") };
        assert!(frames.fragment_count() > 1);
        for _ in 0..frames.fragment_count() + 3 {
            let svg = frame_svg(&frames.next_frame()).unwrap();
            assert!(svg.starts_with("<svg"));
        }
    }

    #[test]
    fn the_hint_names_the_parts() {
        assert_eq!(animated_hint(37), "Animated code: 37 parts \u{2014} keep the camera on it");
    }
}
