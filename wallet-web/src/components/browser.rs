//! Small browser services the screens use: clipboard, timers, focus, and the camera QR scanner's feature test.
//! Every call degrades to an error value or `false`, never a panic, when the browser lacks the feature.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Copies `text` to the clipboard. Fails (with a sentence for people) when the browser refuses, e.g. on a page
/// that is not a secure context.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let refused = || "Your browser did not allow copying. Select the text and copy it yourself.".to_owned();
    let window = web_sys::window().ok_or_else(refused)?;
    let clipboard =
        js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard")).map_err(|_| refused())?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err(refused());
    }
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text)).await.map(|_| ()).map_err(|_| refused())
}

/// Waits `milliseconds` (a `setTimeout` promise).
pub async fn sleep_ms(milliseconds: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            // If scheduling fails the promise never settles; resolve at once instead.
            if window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, milliseconds).is_err() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Moves keyboard focus to the element with `id` (headings carry `tabindex="-1"` for this), after the
/// current render. Screen readers then read the new screen from its heading.
pub fn focus_id(id: &'static str) {
    leptos::task::spawn_local(async move {
        sleep_ms(0).await;
        let element = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.get_element_by_id(id))
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
}

/// The origin (`http://host:port`) of the mint that served this page.
pub fn page_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// Milliseconds since 1970 by the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
