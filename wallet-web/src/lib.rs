//! The browser wallet, compiled to `wasm32-unknown-unknown` and served by the mint at `/`.
//!
//! Layout (components render; everything else is plain Rust that tests can call without a DOM):
//! - [`mint_info`]: parsing and formatting the mint's `GET /v1/info` answer, and reading its errors.
//! - [`client`]: HTTP calls to the mint that served the page (same origin), with gloo-net.
//! - [`error`]: what can go wrong talking to the mint, in plain words.
//! - [`wallet`]: the wallet's engine ([`Wallet`]): mints, notes, journal, send, receive, restore.
//! - [`store`]: where the wallet keeps its data ([`store::WalletStore`]: IndexedDB or memory).
//! - [`connector`]: requests to mints ([`connector::MintConnector`]: HTTP).
//! - [`platform`]: clock, timers and Web Locks.
//! - [`settings`]: small settings in `localStorage` (the last selected mint).
//! - [`app`] and [`components`]: Leptos components, render only.
#![forbid(unsafe_code)]

pub mod app;
pub mod client;
pub mod components;
pub mod connector;
pub mod error;
pub mod mint_info;
pub mod platform;
pub mod settings;
pub mod store;
pub mod wallet;

pub use app::App;
pub use error::{ClientError, WalletError};
pub use wallet::{
    DleqStatus, HistoryEntry, HistoryKind, MintView, PendingSendView, QuoteView, ReceiveView, RecoveryReport, SendView,
    TokenPreview, Wallet,
};
