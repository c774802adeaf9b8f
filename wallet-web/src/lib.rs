//! The browser wallet, compiled to `wasm32-unknown-unknown` and served by the mint at `/`.
//!
//! Layout (components render; everything else is plain Rust that tests can call without a DOM):
//! - [`error`]: what can go wrong in the wallet ([`WalletError`]), in plain words.
//! - [`wallet`]: the wallet's engine ([`Wallet`]): mints, notes, journal, send, receive, restore.
//! - [`offline`]: offline coins (Brands' scheme) beside Cashu's notes: plain logic and records; the
//!   operations are `wallet::offline`, reached through [`Wallet`]'s `offline_*` methods.
//! - [`store`]: where the wallet keeps its data ([`store::WalletStore`]: IndexedDB or memory).
//! - [`connector`]: requests to mints ([`connector::MintConnector`]: HTTP).
//! - [`mint_url`]: a mint's address ([`MintUrl`]), normalized one way.
//! - [`platform`]: the clock, the lock between tabs and the passphrase cipher, as traits (browser and
//!   native), and timers.
//! - [`scan`]: the scanner's frame sizes and words (the decoding is the decoder worker's, `src/bin/qr-worker/`).
//! - [`app`] and [`components`]: Leptos components, render only.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub mod app;
pub mod components;
pub mod connector;
pub mod error;
pub mod mint_url;
pub mod offline;
pub mod platform;
pub mod scan;
pub mod store;
pub mod wallet;

pub use app::{App, mount};
pub use error::WalletError;
pub use mint_url::MintUrl;
pub use wallet::{
    DleqStatus, HistoryEntry, HistoryKind, HistoryStatus, InvoiceQuoteView, MintView, PaymentView, PendingSendView,
    QuoteView, ReceiveView, RecoveryReport, RequestAsk, SendView, TokenPreview, Wallet, WordsAtRest,
};
