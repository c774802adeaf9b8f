//! The page's side of the QR decoder worker (`src/bin/qr-worker/`): camera frames are decoded off the main
//! thread, by a wasm module the page fetches only when a scanner first starts. One frame is decoded at a
//! time; the scanner skips camera frames while one is in flight.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Where trunk writes the worker's loader (`index.html`: the `qr-worker` link, `data-loader-shim`).
pub const WORKER_URL: &str = "/qr-worker_loader.js";

/// What the worker found in one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The texts of the QR codes in the frame (usually none or one).
    pub texts: Vec<String>,
    /// How long the worker took to decode the frame, in milliseconds.
    pub ms: f64,
}

/// A running decoder worker; dropping it stops the worker.
#[derive(Debug)]
pub struct QrDecoder {
    worker: web_sys::Worker,
}

fn message(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| js_sys::Reflect::get(&error, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "the QR decoder stopped".to_owned())
}

impl QrDecoder {
    /// Starts the worker (the browser fetches its code the first time) and waits until it listens: its
    /// wasm starts asynchronously, and a frame posted before would be dropped.
    pub async fn start() -> Result<Self, String> {
        let decoder = web_sys::Worker::new(WORKER_URL).map(|worker| Self { worker }).map_err(message)?;
        let ready = decoder.answer();
        let ready = JsFuture::from(ready).await.map_err(message)?;
        match js_sys::Reflect::get(&ready, &JsValue::from_str("ready")).ok().and_then(|ready| ready.as_bool()) {
            Some(true) => Ok(decoder),
            _ => Err("the QR decoder did not start".to_owned()),
        }
    }

    /// A promise of the worker's next message (rejected if the worker fails).
    fn answer(&self) -> js_sys::Promise {
        let worker = self.worker.clone();
        js_sys::Promise::new(&mut |resolve, reject| {
            let on_message = Closure::once_into_js(move |event: web_sys::MessageEvent| {
                let _ = resolve.call1(&JsValue::NULL, &event.data());
            });
            let on_error = Closure::once_into_js(move |event: JsValue| {
                let _ = reject.call1(&JsValue::NULL, &event);
            });
            worker.set_onmessage(Some(on_message.unchecked_ref()));
            worker.set_onerror(Some(on_error.unchecked_ref()));
        })
    }

    /// Decodes one RGBA frame in the worker. Call it again only after it has returned.
    pub async fn decode(&self, frame: &web_sys::ImageData) -> Result<Decoded, String> {
        let answer = self.answer();
        self.worker.post_message(frame).map_err(message)?;
        let answer = JsFuture::from(answer).await.map_err(message)?;
        let texts = js_sys::Reflect::get(&answer, &JsValue::from_str("texts"))
            .ok()
            .and_then(|texts| texts.dyn_into::<js_sys::Array>().ok())
            .map(|texts| texts.iter().filter_map(|text| text.as_string()).collect())
            .unwrap_or_default();
        let ms = js_sys::Reflect::get(&answer, &JsValue::from_str("ms")).ok().and_then(|ms| ms.as_f64()).unwrap_or(0.0);
        Ok(Decoded { texts, ms })
    }
}

impl Drop for QrDecoder {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
