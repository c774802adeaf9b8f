//! The user interface. Components only render and call the wallet ([`crate::wallet`]); the wording and
//! number formatting they share is plain logic in [`format`], testable without a browser.
//!
//! Screens: [`onboarding`] (create or restore), [`home`] (balance, mints), [`add_money`] (top up, withdraw),
//! [`send`], [`receive`] (with [`payment_request`]: make and pay `creqA` requests), [`offline`] (offline coins: balance, [`offline_pay`], [`offline_receive`],
//! [`offline_account`]; [`offline_sync`] runs by itself when online), [`evidence`] (double spends, verified
//! here), [`activity`] (pending sends, history), [`settings`] (recovery words, passphrase,
//! account key, mints), [`unlock`] (the passphrase of a sealed wallet). Shared pieces: [`context`]
//! ([`context::Ctx`], [`context::Tab`]: what every screen shares; imports no screen), [`common`] (status line,
//! copy button, mint picker, passphrase pair), [`qr`], [`scanner`], [`browser`] (clipboard, focus, share, links, local time), [`incoming`] (what a scanned,
//! pasted or linked text is and which screen opens it).

pub mod activity;
pub mod add_money;
pub mod browser;
pub mod common;
pub mod context;
pub mod evidence;
pub mod format;
pub mod home;
pub mod incoming;
pub mod offline;
pub mod offline_account;
pub mod offline_pay;
pub mod offline_receive;
pub mod offline_sync;
pub mod on_demand;
pub mod onboarding;
pub mod payment_request;
pub mod qr;
pub mod receive;
pub mod scanner;
pub mod send;
pub mod settings;
pub mod unlock;
