//! The platform services the wallet's engine needs, as traits passed in ([`Platform`]): the [`Clock`] and
//! the [`TabLock`] that keeps two tabs (or two wallets on one store) from changing the same wallet at once.
//! Browser implementations ([`BrowserClock`], [`WebLocks`]: the Web Locks API) and native ones
//! ([`SystemClock`], [`ProcessLocks`]), so the engine runs in the browser and in native tests. Also the
//! browser's timer ([`sleep`]).

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::WalletError;

/// The wall clock.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
}

/// An exclusive lock by name, shared by every tab (or wallet) that opens the same database.
#[async_trait::async_trait(?Send)]
pub trait TabLock {
    /// Waits until the lock `name` is free and takes it; it is held until the guard drops.
    async fn lock(&self, name: &str) -> Result<TabGuard, WalletError>;
}

/// A held [`TabLock`]; dropping it releases the lock.
pub struct TabGuard {
    _held: Box<dyn Any>,
}

impl TabGuard {
    /// A guard that releases what `held` holds when it drops.
    pub fn new(held: impl Any) -> Self {
        TabGuard { _held: Box::new(held) }
    }
}

impl std::fmt::Debug for TabGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TabGuard")
    }
}

/// The services a wallet runs on.
#[derive(Clone)]
pub struct Platform {
    /// The clock.
    pub clock: Rc<dyn Clock>,
    /// The lock between tabs.
    pub lock: Rc<dyn TabLock>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").finish_non_exhaustive()
    }
}

impl Platform {
    /// The browser's clock and Web Locks.
    pub fn browser() -> Self {
        Platform { clock: Rc::new(BrowserClock), lock: Rc::new(WebLocks) }
    }

    /// The system clock and locks shared within this process.
    pub fn native() -> Self {
        Platform { clock: Rc::new(SystemClock), lock: Rc::new(ProcessLocks) }
    }

    /// [`Platform::browser`] on wasm32, [`Platform::native`] elsewhere.
    pub fn current() -> Self {
        if cfg!(target_arch = "wasm32") { Platform::browser() } else { Platform::native() }
    }
}

/// JavaScript's `Date.now()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

/// The operating system's clock (`std::time::SystemTime`; not on wasm32, where it panics).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> f64 {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        since.as_secs_f64() * 1000.0
    }
}

/// Locks shared by every wallet of this thread: one async mutex per name. The native stand-in for Web Locks
/// (two wallets on one store play two tabs).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessLocks;

thread_local! {
    static PROCESS_LOCKS: RefCell<HashMap<String, Arc<futures::lock::Mutex<()>>>> = RefCell::new(HashMap::new());
}

#[async_trait::async_trait(?Send)]
impl TabLock for ProcessLocks {
    async fn lock(&self, name: &str) -> Result<TabGuard, WalletError> {
        let mutex = PROCESS_LOCKS.with(|locks| locks.borrow_mut().entry(name.to_owned()).or_default().clone());
        Ok(TabGuard::new(mutex.lock_owned().await))
    }
}

/// The browser's Web Locks API (`navigator.locks.request`).
#[derive(Debug, Clone, Copy, Default)]
pub struct WebLocks;

#[async_trait::async_trait(?Send)]
impl TabLock for WebLocks {
    async fn lock(&self, name: &str) -> Result<TabGuard, WalletError> {
        Ok(TabGuard::new(web_lock(name).await?))
    }
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
struct WebLock {
    release: Option<js_sys::Function>,
    _callback: Option<Closure<dyn FnMut(JsValue) -> JsValue>>,
    /// Passes a refusal of the request on to the grant (kept alive while the request may settle).
    _on_refused: Option<Closure<dyn FnMut(JsValue)>>,
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
async fn web_lock(name: &str) -> Result<WebLock, WalletError> {
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
        return Ok(WebLock { release: None, _callback: None, _on_refused: None });
    };
    // `held` stays pending until we call `release`; the browser holds the lock until it settles.
    let mut release = None;
    let held = js_sys::Promise::new(&mut |resolve, _reject| release = Some(resolve));
    let mut granted_resolve = None;
    let mut granted_reject = None;
    let granted = js_sys::Promise::new(&mut |resolve, reject| {
        granted_resolve = Some(resolve);
        granted_reject = Some(reject);
    });
    let (Some(release), Some(granted_resolve), Some(granted_reject)) = (release, granted_resolve, granted_reject)
    else {
        return Err(WalletError::Storage("could not create the lock's promises".into()));
    };
    let callback = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |_lock: JsValue| {
        let _ = granted_resolve.call0(&JsValue::NULL);
        held.clone().into()
    });
    // The returned promise settles only when the lock is released, so it is not awaited here; but when the
    // browser rejects the request (a reserved name, an aborted request), it rejects at once and so does
    // `granted`: an error, never a wait for a grant that will not come.
    let on_refused = Closure::<dyn FnMut(JsValue)>::new(move |error: JsValue| {
        let _ = granted_reject.call1(&JsValue::NULL, &error);
    });
    let lock = WebLock { release: Some(release), _callback: Some(callback), _on_refused: Some(on_refused) };
    if let (Some(callback), Some(on_refused)) = (&lock._callback, &lock._on_refused) {
        let requested = request
            .call2(&locks, &JsValue::from_str(name), callback.as_ref().unchecked_ref())
            .map_err(|e| WalletError::Storage(format!("the browser refused the lock: {e:?}")))?;
        let promise = requested
            .dyn_into::<js_sys::Promise>()
            .map_err(|_| WalletError::Storage("the browser's lock request returned no promise".into()))?;
        let _ = promise.catch(on_refused);
    }
    wasm_bindgen_futures::JsFuture::from(granted)
        .await
        .map_err(|e| WalletError::Storage(format!("the lock was not granted: {e:?}")))?;
    Ok(lock)
}
