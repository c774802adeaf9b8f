//! The few browser services the wallet's logic needs: the clock, timers, and the Web Locks API that keeps
//! two tabs from changing the same wallet at once.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::WalletError;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Resolves after `ms` milliseconds (immediately when there is no `setTimeout`).
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let scheduled = set_timeout.map(|f| f.call2(&global, &resolve, &JsValue::from(ms)).is_ok()).unwrap_or(false);
        if !scheduled {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A held Web Lock (`navigator.locks.request`); released on drop.
#[derive(Debug)]
pub struct WebLock {
    release: Option<js_sys::Function>,
    _callback: Option<Closure<dyn FnMut(JsValue) -> JsValue>>,
}

impl Drop for WebLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// Waits for the exclusive Web Lock `name`, shared by every tab of this origin. Where the browser has no
/// Web Locks API (an insecure context), returns a lock that holds nothing: one tab is then assumed.
pub async fn web_lock(name: &str) -> Result<WebLock, WalletError> {
    let global = js_sys::global();
    let navigator = js_sys::Reflect::get(&global, &JsValue::from_str("navigator")).unwrap_or(JsValue::UNDEFINED);
    let locks = if navigator.is_object() {
        js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    };
    let request = if locks.is_object() {
        js_sys::Reflect::get(&locks, &JsValue::from_str("request"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    } else {
        None
    };
    let Some(request) = request else {
        return Ok(WebLock { release: None, _callback: None });
    };
    // `held` stays pending until we call `release`; the browser holds the lock until it settles.
    let mut release = None;
    let held = js_sys::Promise::new(&mut |resolve, _reject| release = Some(resolve));
    let mut granted_resolve = None;
    let granted = js_sys::Promise::new(&mut |resolve, _reject| granted_resolve = Some(resolve));
    let (Some(release), Some(granted_resolve)) = (release, granted_resolve) else {
        return Err(WalletError::Storage("could not create the lock's promises".into()));
    };
    let callback = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |_lock: JsValue| {
        let _ = granted_resolve.call0(&JsValue::NULL);
        held.clone().into()
    });
    // The returned promise settles only when the lock is released, so it is not awaited here.
    let lock = WebLock { release: Some(release), _callback: Some(callback) };
    if let Some(callback) = &lock._callback {
        request
            .call2(&locks, &JsValue::from_str(name), callback.as_ref().unchecked_ref())
            .map_err(|e| WalletError::Storage(format!("the browser refused the lock: {e:?}")))?;
    }
    wasm_bindgen_futures::JsFuture::from(granted)
        .await
        .map_err(|e| WalletError::Storage(format!("the lock was not granted: {e:?}")))?;
    Ok(lock)
}
