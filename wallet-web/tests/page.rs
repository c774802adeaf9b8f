//! The app mounted in a real browser page (the test runner's, which is not a mint). A fresh browser profile has
//! no wallet yet: the page must go from "Opening your wallet…" to the first-run screen, never blank or panicking.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wallet_web::platform::sleep;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn opens_on_the_first_run_screen() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let _mounted = leptos::mount::mount_to(root.clone(), wallet_web::App);

    let heading = wait_for(&root, "#screen-heading", 0).await.expect("a heading is rendered");
    let first = heading.text_content().unwrap();
    assert!(first.contains("Opening your wallet") || first.contains("Welcome"), "first heading: {first:?}");
    for _ in 0..100 {
        if root.text_content().unwrap().contains("Create a new wallet") {
            break;
        }
        sleep(50).await;
    }
    let text = root.text_content().unwrap();
    assert!(text.contains("Welcome"), "{text}");
    assert!(text.contains("Create a new wallet"), "{text}");
    assert!(text.contains("Restore from recovery words"), "{text}");
    // No navigation before there is a wallet.
    assert!(root.query_selector("nav").unwrap().is_none());
}

/// Polls every `interval` milliseconds, 100 times at most, for an element matching `selector` in `root`.
async fn wait_for(root: &web_sys::HtmlElement, selector: &str, interval: u32) -> Option<web_sys::Element> {
    for _ in 0..100 {
        if let Some(found) = root.query_selector(selector).unwrap() {
            return Some(found);
        }
        sleep(interval).await;
    }
    None
}
