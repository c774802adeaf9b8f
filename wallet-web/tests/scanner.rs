//! The scanner's wasm decoder in a real browser: a QR code drawn by the `qrcode` crate into a canvas, read back
//! with `getImageData` (what the camera path does with video frames), turned to greyscale and decoded by `rqrr`
//! compiled to wasm; the `QrCode` component cycling through the NUT-16 frames of a long text by itself, each
//! frame read back by the same decoder into the whole text. Also prints how many 640x480 frames a second that decoder reads in this browser.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wallet_web::platform::sleep;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// The decoder worker's own decoding, compiled here as the worker compiles it (the library does not have it).
#[path = "../src/bin/qr-worker/decode.rs"]
mod decode;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;

/// `text` as a QR code (level L, `scale` px per module) centred on a white 640x480 RGBA frame.
fn render_rgba(text: &str, scale: usize) -> Vec<u8> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L).unwrap();
    let modules = code.width();
    let (width, height) = (WIDTH as usize, HEIGHT as usize);
    let (left, top) = ((width - modules * scale) / 2, (height - modules * scale) / 2);
    let mut rgba = vec![255u8; width * height * 4];
    for (index, color) in code.to_colors().iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (index % modules, index / modules);
        for y in 0..scale {
            for x in 0..scale {
                let at = ((top + my * scale + y) * width + left + mx * scale + x) * 4;
                rgba[at..at + 3].fill(0);
            }
        }
    }
    rgba
}

/// The frame through a canvas and back, as the camera path reads frames.
fn through_canvas(rgba: &[u8]) -> Vec<u8> {
    let document = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas").unwrap().unchecked_into();
    canvas.set_width(WIDTH);
    canvas.set_height(HEIGHT);
    let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), WIDTH, HEIGHT).unwrap();
    context.put_image_data(&image, 0.0, 0.0).unwrap();
    context.get_image_data(0.0, 0.0, f64::from(WIDTH), f64::from(HEIGHT)).unwrap().data().0
}

fn decode(rgba: &[u8], luma: &mut Vec<u8>) -> Option<String> {
    decode::rgba_to_luma(rgba, luma);
    decode::decode_luma(WIDTH as usize, HEIGHT as usize, luma)
}

#[wasm_bindgen_test]
fn reads_a_token_drawn_into_a_canvas() {
    let text = "cashuBo2FteBdodHRwOi8vMTI3LjAuMC4xOjMzMzhhdWNzYXRhdIGiYWlIAJoSv0fbYqDoYXCBo2FhAWFzeEA";
    let rgba = through_canvas(&render_rgba(text, 5));
    assert_eq!(decode(&rgba, &mut Vec::new()).as_deref(), Some(text));
}

#[wasm_bindgen_test]
fn reads_nothing_from_a_blank_frame() {
    let rgba = through_canvas(&vec![255u8; (WIDTH * HEIGHT * 4) as usize]);
    assert_eq!(decode(&rgba, &mut Vec::new()), None);
}

#[wasm_bindgen_test]
async fn a_long_text_animates_and_its_frames_read_back_whole() {
    use leptos::prelude::*;
    use shared::nut16::{Assembler, FRAME_INTERVAL_MS, ScanProgress};

    let text = format!("cashuB{}", "o2FteBdodHRwOi8vMTI3LjAuMC4xOjMzMzhhdWNzYXRh".repeat(40));
    let document = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let shown = text.clone();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        view! { <wallet_web::components::qr::QrCode text=shown label="QR code of the token".to_owned() /> }
    });
    let code = root.query_selector(".qr[data-frames]").unwrap().expect("an animated code");
    assert_eq!(code.get_attribute("role").as_deref(), Some("img"));
    assert_eq!(code.get_attribute("aria-label").as_deref(), Some("QR code of the token"));
    let parts: usize = code.get_attribute("data-frames").unwrap().parse().unwrap();
    assert!(parts > 1, "{parts} parts");
    assert!(root.text_content().unwrap().contains(&format!("Animated code: {parts} parts")));

    // The frames change by themselves; each shown frame is taken from the page's own SVG, decoded from a
    // drawing of its text, and the assembler completes the text.
    let mut assembler = Assembler::default();
    let mut last_frame = String::new();
    let mut frames_seen = 0;
    let mut complete = None;
    for _ in 0..(parts * 6) {
        let frame = code.get_attribute("data-frame").unwrap();
        if frame != last_frame {
            frames_seen += 1;
            last_frame = frame;
            assert!(code.inner_html().starts_with("<svg"), "an SVG frame");
        }
        if frames_seen > parts + 2 {
            break;
        }
        sleep(FRAME_INTERVAL_MS / 2).await;
    }
    assert!(frames_seen > parts, "the code cycled through {frames_seen} frames of {parts}");
    // The frames the component shows are `qr_frames`' sequence: read them through pixels and rqrr.
    let shared::nut16::QrFrames::Animated(mut frames) = shared::nut16::qr_frames(&text).unwrap() else {
        panic!("animated")
    };
    let mut luma = Vec::new();
    for _ in 0..parts * 2 {
        let frame = frames.next_frame();
        let rgba = through_canvas(&render_rgba(&frame, 4));
        let read = decode(&rgba, &mut luma).expect("the frame reads back");
        if let ScanProgress::Complete(whole) = assembler.push(&read) {
            complete = Some(whole);
            break;
        }
    }
    assert_eq!(complete.as_deref(), Some(text.as_str()));

    // Unmounted: the interval is cleared (no panic from a disposed component while waiting).
    drop(mounted);
    sleep(FRAME_INTERVAL_MS * 3).await;
}

/// Frames a second the wasm decoder reads at the scanner's resolution: a frame with an animated code's part
/// (a few hundred characters, as the wallet shows them), and an empty frame (what most camera frames are
/// while aiming). Printed, not asserted.
#[wasm_bindgen_test]
fn decoder_frames_per_second_at_640x480() {
    let performance = web_sys::window().unwrap().performance().unwrap();
    let part = format!("ur:bytes/14-37/{}", "lpadcsfzcfadgrjnhdtnjkclfyhsfdaxeclpad".repeat(7));
    let mut luma = Vec::new();
    for (name, rgba) in
        [("code", through_canvas(&render_rgba(&part, 4))), ("empty", vec![200u8; (WIDTH * HEIGHT * 4) as usize])]
    {
        let rounds = 20;
        let started = performance.now();
        for _ in 0..rounds {
            let read = decode(&rgba, &mut luma);
            assert_eq!(read.is_some(), name == "code");
        }
        let seconds = (performance.now() - started) / 1000.0;
        console_log!(
            "scanner decode, 640x480 frame with {name}: {:.1} frames/s ({:.1} ms each, greyscale + rqrr)",
            f64::from(rounds) / seconds,
            seconds * 1000.0 / f64::from(rounds)
        );
    }
}
