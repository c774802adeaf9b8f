//! The plain logic the page uses, in a real browser (wasm32): its wording of times and of mint errors.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wallet_web::WalletError;
use wallet_web::components::format::{format_time_ms, format_unix_time};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn formats_times_in_utc() {
    assert_eq!(format_unix_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
    assert_eq!(format_time_ms(1_725_304_480_123.0), "2024-09-02 19:14 UTC");
}

#[wasm_bindgen_test]
fn errors_are_in_plain_words() {
    let error = WalletError::from_mint_answer("http://mint", 400, r#"{"code":11001,"detail":"Token already spent."}"#);
    assert_eq!(error.to_string(), "The mint refused: Token already spent. (code 11001)");
    let unreachable = WalletError::Network { mint: "http://mint".into(), reason: "TypeError: Failed to fetch".into() };
    assert!(unreachable.to_string().starts_with("Could not reach the mint at http://mint."));
}
