//! The QR decoder's Web Worker: a wasm module of its own (trunk builds it beside the app, `index.html`), so
//! the decoder's code and tables (rqrr's Galois-field tables: the worker is 95 KB gzipped) are not part of
//! the app's bundle or its start-up (the service worker caches it for offline use), and decoding a camera
//! frame never blocks the page. The page posts a frame (an `ImageData`, RGBA) and gets back
//! `{texts: [...], ms}`: the QR codes' texts found in it and the milliseconds the decode took. The page
//! side is `wallet_web::platform::qr_decoder`.
#![forbid(unsafe_code)]

mod decode;

#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::listen();
}

/// Natively there is no worker: only `decode`'s tests run.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let _ = decode::decode_rgba;
}
