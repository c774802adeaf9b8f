//! Small settings that are not wallet data (losing them loses nothing): kept in the browser's
//! `localStorage` through gloo-storage, under keys prefixed `chaumian-wallet.`.

use gloo_storage::{LocalStorage, Storage};

const LAST_MINT: &str = "chaumian-wallet.last-mint";

/// The mint the user selected last, if any (and if storage is available).
pub fn last_mint() -> Option<String> {
    LocalStorage::get(LAST_MINT).ok()
}

/// Remembers the selected mint. Storage may be full or disabled; a setting is not worth an error then.
pub fn set_last_mint(url: &str) {
    let _ = LocalStorage::set(LAST_MINT, url);
}
