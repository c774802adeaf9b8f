//! The worker's message loop: `{ready: true}` once it listens, then for each frame in, `{texts, ms}` out.

use crate::decode::{decode_luma, rgba_to_luma};
use wallet_web::scan;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

fn field(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The texts of the QR codes in a posted `ImageData` (`{width, height, data}`); none for anything else, or
/// for a frame over [`scan::MAX_SCAN_PIXELS`] or whose data is not `width * height` pixels.
fn decode(frame: &JsValue, luma: &mut Vec<u8>) -> Vec<String> {
    let size = |key| field(frame, key).as_f64().filter(|value| value.is_finite() && *value >= 0.0).map(|v| v as usize);
    let (Some(width), Some(height), Ok(data)) =
        (size("width"), size("height"), field(frame, "data").dyn_into::<js_sys::Uint8ClampedArray>())
    else {
        return Vec::new();
    };
    let Some(pixels) = width.checked_mul(height).filter(|pixels| *pixels <= scan::MAX_SCAN_PIXELS) else {
        return Vec::new();
    };
    if data.length() as usize != pixels * 4 {
        return Vec::new();
    }
    rgba_to_luma(&data.to_vec(), luma);
    decode_luma(width, height, luma).into_iter().collect()
}

/// Answers every frame the page posts, one at a time.
pub fn listen() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let mut luma = Vec::new();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let now = || replies.performance().map(|performance| performance.now()).unwrap_or_default();
        let started = now();
        let texts = js_sys::Array::new();
        for text in decode(&event.data(), &mut luma) {
            texts.push(&JsValue::from_str(&text));
        }
        let answer = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&answer, &JsValue::from_str("texts"), &texts);
        let _ = js_sys::Reflect::set(&answer, &JsValue::from_str("ms"), &JsValue::from_f64(now() - started));
        let _ = replies.post_message(&answer);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Messages posted before this point found no listener and were dropped: the page waits for this one
    // before it posts a frame.
    let ready = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&ready, &JsValue::from_str("ready"), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}
