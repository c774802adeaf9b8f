//! The worker's message loop: a frame in, `{texts, ms}` out.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::decode::decode_rgba;

fn field(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The reply to one frame: `{texts: [...], ms}` (an unreadable message gets no texts).
fn reply(scope: &web_sys::DedicatedWorkerGlobalScope, frame: &JsValue) -> JsValue {
    let now = || scope.performance().map(|performance| performance.now()).unwrap_or_default();
    let started = now();
    let size = |key| field(frame, key).as_f64().filter(|value| *value >= 0.0).map(|value| value as usize);
    let texts = match (size("width"), size("height"), field(frame, "data").dyn_into::<js_sys::Uint8ClampedArray>()) {
        (Some(width), Some(height), Ok(data)) if data.length() as usize == width.saturating_mul(height) * 4 => {
            decode_rgba(&data.to_vec(), width, height)
        }
        _ => Vec::new(),
    };
    let answer = js_sys::Object::new();
    let list = js_sys::Array::new();
    for text in texts {
        list.push(&JsValue::from_str(&text));
    }
    let _ = js_sys::Reflect::set(&answer, &JsValue::from_str("texts"), &list);
    let _ = js_sys::Reflect::set(&answer, &JsValue::from_str("ms"), &JsValue::from_f64(now() - started));
    answer.into()
}

/// Answers every frame the page posts, one at a time.
pub fn listen() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let _ = replies.post_message(&reply(&replies, &event.data()));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}
