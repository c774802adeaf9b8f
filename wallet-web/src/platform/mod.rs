//! The platform services the wallet's engine needs, as traits passed in ([`Platform`]): the [`Clock`], the
//! [`TabLock`] that keeps two tabs (or two wallets on one store) from changing the same wallet at once, and
//! the [`PassphraseCipher`] over the recovery words ([`cipher`]). Browser implementations ([`BrowserClock`],
//! [`WebLocks`]: the Web Locks API, [`WebCrypto`]) and native ones ([`SystemClock`], [`ProcessLocks`],
//! [`RustCrypto`]), so the engine runs in the browser and in native tests. Also the browser's timer
//! ([`sleep`]), and the QR decoder that runs in a Web Worker ([`qr_decoder`]).

pub mod cipher;
pub mod qr_decoder;

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub use cipher::{PassphraseCipher, RustCrypto, WebCrypto};

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
    /// Seals and opens the recovery words under a passphrase.
    pub cipher: Rc<dyn PassphraseCipher>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform").finish_non_exhaustive()
    }
}

impl Platform {
    /// The browser's clock, Web Locks and WebCrypto.
    pub fn browser() -> Self {
        Platform { clock: Rc::new(BrowserClock), lock: Rc::new(WebLocks), cipher: Rc::new(WebCrypto) }
    }

    /// The system clock, locks shared within this process, and the RustCrypto cipher.
    pub fn native() -> Self {
        Platform { clock: Rc::new(SystemClock), lock: Rc::new(ProcessLocks), cipher: Rc::new(RustCrypto) }
    }

    /// [`Platform::browser`] on wasm32, [`Platform::native`] elsewhere.
    pub fn current() -> Self {
        #[cfg(target_arch = "wasm32")]
        let platform = Platform::browser();
        #[cfg(not(target_arch = "wasm32"))]
        let platform = Platform::native();
        platform
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

/// The browser's Web Locks API (`navigator.locks.request`); where the browser has none (an insecure
/// context: http on a LAN address), [`LonelyTab`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WebLocks;

thread_local! {
    static FALLBACK: LonelyTab = LonelyTab::new();
}

#[async_trait::async_trait(?Send)]
impl TabLock for WebLocks {
    async fn lock(&self, name: &str) -> Result<TabGuard, WalletError> {
        match web_lock(name).await? {
            Some(lock) => Ok(TabGuard::new(lock)),
            None => {
                let fallback = FALLBACK.with(LonelyTab::clone);
                fallback.lock(name).await
            }
        }
    }
}

/// How long a [`LonelyTab`] waits for another wallet tab to answer before each operation.
pub const LONELY_TAB_WAIT_MS: u32 = 250;

/// The stand-in for Web Locks where the browser has none: with no lock to share, a tab refuses to write
/// ([`WalletError::OtherTab`]) while another tab has the same wallet open. Each tab answers on a
/// `BroadcastChannel` named after the lock (which insecure contexts have); before each operation it asks
/// and waits [`LONELY_TAB_WAIT_MS`]. A tab listens from its first question on, so of two tabs that start
/// at once the later one hears the earlier; two that ask at once both refuse: never two writers. Each
/// instance is one tab (tests make two).
#[derive(Clone, Default)]
pub struct LonelyTab {
    channels: Rc<RefCell<HashMap<String, Rc<Channel>>>>,
}

impl std::fmt::Debug for LonelyTab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LonelyTab").finish_non_exhaustive()
    }
}

impl LonelyTab {
    /// A tab that has asked nothing yet.
    pub fn new() -> Self {
        LonelyTab::default()
    }
}

#[async_trait::async_trait(?Send)]
impl TabLock for LonelyTab {
    async fn lock(&self, name: &str) -> Result<TabGuard, WalletError> {
        let existing = self.channels.borrow().get(name).cloned();
        let channel = match existing {
            Some(channel) => channel,
            None => {
                let channel = Rc::new(Channel::open(name)?);
                self.channels.borrow_mut().insert(name.to_owned(), channel.clone());
                channel
            }
        };
        channel.answered.set(false);
        channel.post(&format!("ask {}", channel.id))?;
        sleep(LONELY_TAB_WAIT_MS).await;
        if channel.answered.get() {
            return Err(WalletError::OtherTab);
        }
        Ok(TabGuard::new(()))
    }
}

/// One tab's `BroadcastChannel`: answers every other tab's `ask ID` with `here ME ID`, and notes answers
/// to its own question. Closed on drop.
struct Channel {
    channel: JsValue,
    id: String,
    answered: Rc<std::cell::Cell<bool>>,
    _listener: Closure<dyn FnMut(JsValue)>,
}

impl Channel {
    fn open(name: &str) -> Result<Channel, WalletError> {
        let unsupported = || WalletError::Storage("this browser has neither Web Locks nor BroadcastChannel".into());
        let global = js_sys::global();
        let constructor = js_sys::Reflect::get(&global, &JsValue::from_str("BroadcastChannel"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(unsupported)?;
        let channel = js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&JsValue::from_str(name)))
            .map_err(|_| unsupported())?;
        let id = format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
        let answered = Rc::new(std::cell::Cell::new(false));
        let (me, heard, replies) = (id.clone(), answered.clone(), channel.clone());
        let listener = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = js_sys::Reflect::get(&event, &JsValue::from_str("data")).ok().and_then(|d| d.as_string());
            let words: Vec<String> = data.unwrap_or_default().split(' ').map(str::to_owned).collect();
            match words.as_slice() {
                [ask, other] if ask == "ask" && *other != me => {
                    let _ = post(&replies, &format!("here {me} {other}"));
                }
                [here, _, to] if here == "here" && *to == me => heard.set(true),
                _ => {}
            }
        });
        js_sys::Reflect::set(&channel, &JsValue::from_str("onmessage"), listener.as_ref())
            .map_err(|_| unsupported())?;
        Ok(Channel { channel, id, answered, _listener: listener })
    }

    fn post(&self, message: &str) -> Result<(), WalletError> {
        post(&self.channel, message)
    }
}

fn post(channel: &JsValue, message: &str) -> Result<(), WalletError> {
    let post = js_sys::Reflect::get(channel, &JsValue::from_str("postMessage"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| WalletError::Storage("the BroadcastChannel has no postMessage".into()))?;
    post.call1(channel, &JsValue::from_str(message))
        .map(|_| ())
        .map_err(|e| WalletError::Storage(format!("the BroadcastChannel refused a message: {e:?}")))
}

impl Drop for Channel {
    fn drop(&mut self) {
        let close = js_sys::Reflect::get(&self.channel, &JsValue::from_str("close"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(close) = close {
            let _ = close.call0(&self.channel);
        }
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

/// Waits for the exclusive Web Lock `name`, shared by every tab of this origin. `None` where the browser has
/// no Web Locks API (an insecure context).
async fn web_lock(name: &str) -> Result<Option<WebLock>, WalletError> {
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
        return Ok(None);
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
    Ok(Some(lock))
}
