//! The app mounted in a real browser page. The test runner's server is not a mint, so `/v1/info`
//! fails there: the page must go from its loading state to a readable error, never blank or panicking.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(milliseconds: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, milliseconds)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn shows_loading_then_a_plain_error_without_a_mint() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    let _mounted = leptos::mount::mount_to(root.clone(), wallet_web::App);

    // The loading state lasts as long as the fetch, a few milliseconds here: poll without delay.
    let heading = wait_for(&root, "#mint-heading", 0).await.expect("a heading is rendered");
    let loading = heading.text_content().unwrap();
    let alert = wait_for(&root, "[role=alert]", 50).await.expect("an error is shown");
    let text = alert.text_content().unwrap();
    assert!(loading.contains("Connecting to the mint"), "first heading: {loading:?}");
    assert!(text.contains("Could not load the mint's details"), "{text}");
    assert!(text.contains("The mint returned an error"), "{text}");
    assert!(text.contains("Try again"), "{text}");
}

/// Polls every `interval` milliseconds, 100 times at most, for an element matching `selector` in `root`.
async fn wait_for(root: &web_sys::HtmlElement, selector: &str, interval: i32) -> Option<web_sys::Element> {
    for _ in 0..100 {
        if let Some(found) = root.query_selector(selector).unwrap() {
            return Some(found);
        }
        sleep(interval).await;
    }
    None
}
