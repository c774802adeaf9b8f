//! The logic module in a real browser (wasm32): the same parsing and wording the page uses.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wallet_web::ClientError;
use wallet_web::mint_info::{Support, error_from_response, format_unix_time, parse_info, summarize};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn summarizes_a_spec_example() {
    let info = parse_info(
        r#"{"name":"Bob's Cashu mint","version":"Nutshell/0.15.0","description":"The short mint description",
        "description_long":"A description that can be a long piece of text.","motd":"Message to display to users.",
        "time":1725304480,
        "nuts":{"4":{"methods":[{"method":"bolt11","unit":"sat","min_amount":0,"max_amount":10000}],"disabled":false},
        "5":{"methods":[{"method":"bolt11","unit":"sat","min_amount":100,"max_amount":10000}],"disabled":false},
        "7":{"supported":true},"8":{"supported":true},"9":{"supported":true},"10":{"supported":true},
        "12":{"supported":true}}}"#,
    )
    .unwrap();
    let summary = summarize(&info);
    assert_eq!(summary.name, "Bob's Cashu mint");
    assert_eq!(summary.version, "Nutshell/0.15.0");
    assert_eq!(summary.description.as_deref(), Some("The short mint description"));
    assert_eq!(summary.motd.as_deref(), Some("Message to display to users."));
    assert_eq!(summary.server_time.as_deref(), Some("2024-09-02 19:14:40 UTC"));
    assert_eq!(summary.supported_count(), 7);
    assert_eq!(summary.nuts[0].support, Support::Supported("bolt11 (sat, 0–10000)".into()));
    assert_eq!(summary.nuts[1].support, Support::Supported("bolt11 (sat, 100–10000)".into()));
    let nut11 = summary.nuts.iter().find(|nut| nut.number == 11).unwrap();
    assert_eq!((nut11.label().as_str(), nut11.support.badge()), ("NUT-11", "Not supported"));
}

#[wasm_bindgen_test]
fn formats_times_in_utc() {
    assert_eq!(format_unix_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
}

#[wasm_bindgen_test]
fn errors_are_in_plain_words() {
    let error = error_from_response(400, r#"{"code":11001,"detail":"Token already spent."}"#);
    assert_eq!(error.to_string(), "The mint returned an error: Token already spent.");
    assert_eq!(error.technical(), "HTTP 400, Cashu error code 11001: Token already spent.");
    let unreachable = ClientError::Unreachable { reason: "TypeError: Failed to fetch".into() };
    assert!(unreachable.to_string().starts_with("The mint could not be reached."));
    assert!(matches!(parse_info("not json"), Err(ClientError::Malformed { .. })));
}
