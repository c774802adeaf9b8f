//! Small browser services the screens use: clipboard, focus, and the camera QR scanner's feature test.
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

/// Moves keyboard focus to the element with `id` (headings carry `tabindex="-1"` for this), after the
/// current render. Screen readers then read the new screen from its heading.
pub fn focus_id(id: &'static str) {
    leptos::task::spawn_local(async move {
        crate::platform::sleep(0).await;
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

/// A time in milliseconds since 1970 in the user's own time zone, `2026-11-24 00:18` (the zone's offset at
/// that instant, so summer time is right for past dates too).
pub fn local_time_ms(milliseconds: f64) -> String {
    let offset_west = js_sys::Date::new(&JsValue::from_f64(milliseconds)).get_timezone_offset();
    let offset_east = if offset_west.is_finite() { -offset_west as i32 } else { 0 };
    super::format::format_local_time_ms(milliseconds, offset_east)
}

/// [`local_time_ms`] for Unix time in seconds.
pub fn local_unix_time(seconds: u64) -> String {
    local_time_ms(seconds as f64 * 1000.0)
}

/// The browser's `navigator.share`, where it exists (phones, some desktops).
fn share_function() -> Option<js_sys::Function> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &JsValue::from_str("share")).ok()?.dyn_into::<js_sys::Function>().ok()
}

/// Whether the browser can hand a text to another app (the Web Share API).
pub fn can_share() -> bool {
    share_function().is_some()
}

/// Hands `text` to another app through the system's share sheet. `Ok` also when the person closed the sheet.
pub async fn share_text(title: &str, text: &str) -> Result<(), String> {
    let refused = || "This browser cannot share. Copy the text instead.".to_owned();
    let window = web_sys::window().ok_or_else(refused)?;
    let share = share_function().ok_or_else(refused)?;
    let data = js_sys::Object::new();
    js_sys::Reflect::set(&data, &JsValue::from_str("title"), &JsValue::from_str(title)).map_err(|_| refused())?;
    js_sys::Reflect::set(&data, &JsValue::from_str("text"), &JsValue::from_str(text)).map_err(|_| refused())?;
    let promise = share.call1(&window.navigator(), &data).map_err(|_| refused())?;
    match JsFuture::from(js_sys::Promise::resolve(&promise)).await {
        Ok(_) => Ok(()),
        // Closing the share sheet rejects with `AbortError`: not a failure.
        Err(error) if error.dyn_ref::<web_sys::DomException>().is_some_and(|e| e.name() == "AbortError") => Ok(()),
        Err(_) => Err("Sharing failed. Copy the text instead.".to_owned()),
    }
}

/// Whether the browser lets a page open `web+cashu:` links (`navigator.registerProtocolHandler`).
pub fn can_register_links() -> bool {
    web_sys::window()
        .and_then(|window| {
            js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("registerProtocolHandler")).ok()
        })
        .is_some_and(|value| value.is_function())
}

/// Asks the browser to open `web+cashu:` links with this wallet (`/?cashu=%s`). Browsers let a page register
/// only `web+` schemes, and only on a user's action; the browser then asks the person itself.
pub fn register_links() -> Result<(), String> {
    let refused = || "This browser does not let the wallet open cashu links.".to_owned();
    let window = web_sys::window().ok_or_else(refused)?;
    let register = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("registerProtocolHandler"))
        .ok()
        .and_then(|value| value.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(refused)?;
    let origin = window.location().origin().map_err(|_| refused())?;
    register
        .call2(&window.navigator(), &JsValue::from_str("web+cashu"), &JsValue::from_str(&format!("{origin}/?cashu=%s")))
        .map(|_| ())
        .map_err(|_| "The browser refused to register the wallet for cashu links.".to_owned())
}

/// The text a link to the page carries (`?cashu=…` or `#…`; see [`super::incoming::link_text`]). Taking it
/// also removes it from the address bar (`history.replaceState`), so a reload does not open it again.
pub fn take_page_link_text() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let text =
        super::incoming::link_text(&location.search().unwrap_or_default(), &location.hash().unwrap_or_default())?;
    let history = js_sys::Reflect::get(&window, &JsValue::from_str("history")).ok();
    let replace = history
        .as_ref()
        .and_then(|history| js_sys::Reflect::get(history, &JsValue::from_str("replaceState")).ok())
        .and_then(|value| value.dyn_into::<js_sys::Function>().ok());
    if let (Some(history), Some(replace), Ok(path)) = (history, replace, location.pathname()) {
        let _ = replace.call3(&history, &JsValue::NULL, &JsValue::from_str(""), &JsValue::from_str(&path));
    }
    Some(text)
}
