//! The QR decoder's Web Worker: a wasm module of its own (trunk builds it beside the app, `index.html`), so
//! the decoder's code and tables (rqrr's Galois-field tables: the worker is about 95 KB gzipped) are not part
//! of the app's bundle or its start-up (the page starts the worker when a scanner opens; the service worker
//! caches it for offline use), and decoding a camera frame never blocks the page. The page posts a frame (an
//! `ImageData`, RGBA) and gets back `{texts: [...], ms}`: the texts of the QR codes found in it and the
//! milliseconds the decode took. The decoding itself is `decode.rs`, this binary's own so that the app cannot
//! call it (tested natively here and in the browser by `tests/scanner.rs`); the page side is
//! `wallet_web::platform::qr_decoder`.
#![forbid(unsafe_code)]

// Natively only its unit tests use it.
#[cfg(any(target_arch = "wasm32", test))]
mod decode;
#[cfg(target_arch = "wasm32")]
mod worker;

fn main() {
    // Natively there is no worker to run; the decoding's tests are `decode.rs`'s.
    #[cfg(target_arch = "wasm32")]
    worker::listen();
}
