//! The browser wallet, compiled to `wasm32-unknown-unknown` and served by the mint at `/`.
//!
//! Layout (components render; everything else is plain Rust that tests can call without a DOM):
//! - [`mint_info`]: parsing and formatting the mint's `GET /v1/info` answer, and reading its errors.
//! - [`client`]: HTTP calls to the mint that served the page (same origin), with gloo-net.
//! - [`error`]: what can go wrong talking to the mint, in plain words.
//! - [`app`] and [`components`]: Leptos components, render only.
#![forbid(unsafe_code)]

pub mod app;
pub mod client;
pub mod components;
pub mod error;
pub mod mint_info;

pub use app::App;
pub use error::ClientError;
