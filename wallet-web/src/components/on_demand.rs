//! The parts of the wallet that load on demand: the offline coins' screens and their full sync, with the
//! code only they reach (the engine's own part is `wallet::on_demand`; the scanner's camera loop is
//! `scanner::start_session`). The bundle is built with the crate's `split` feature (index.html), and
//! `wallet-web/split-build.sh` cuts each split function's code into a wasm file of its own (wasm-split),
//! fetched the first time one of them runs and precached by the service worker, so offline payments work
//! with no network. Without the feature (native and `wasm-pack test` builds) they are plain calls.
//!
//! A split function cannot be `async` or generic: each one builds a view or returns a future.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::context::Ctx;
use super::{evidence, offline, offline_sync};
use crate::MintUrl;
use crate::wallet::PartNotLoaded;

/// The "Offline" screen.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(offline, fallible, wasm_split_path = leptos::wasm_split)]
fn offline_screen() -> Result<AnyView, PartNotLoaded> {
    Ok(view! { <offline::Offline /> }.into_any())
}
#[cfg(not(feature = "split"))]
async fn offline_screen() -> Result<AnyView, PartNotLoaded> {
    Ok(view! { <offline::Offline /> }.into_any())
}

/// The double-spend evidence screen.
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(offline, fallible, wasm_split_path = leptos::wasm_split)]
fn evidence_screen() -> Result<AnyView, PartNotLoaded> {
    Ok(view! { <evidence::Evidence /> }.into_any())
}
#[cfg(not(feature = "split"))]
async fn evidence_screen() -> Result<AnyView, PartNotLoaded> {
    Ok(view! { <evidence::Evidence /> }.into_any())
}

/// The full offline sync ([`offline_sync::sync_now`]), as a future (a split function cannot be `async`).
#[cfg(feature = "split")]
#[leptos::wasm_split::wasm_split(offline, fallible, wasm_split_path = leptos::wasm_split)]
fn full_sync(ctx: Ctx) -> Result<Pin<Box<dyn Future<Output = ()>>>, PartNotLoaded> {
    Ok(Box::pin(offline_sync::sync_now(ctx)))
}
#[cfg(not(feature = "split"))]
async fn full_sync(ctx: Ctx) -> Result<Pin<Box<dyn Future<Output = ()>>>, PartNotLoaded> {
    Ok(Box::pin(offline_sync::sync_now(ctx)))
}

/// Which on-demand screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The "Offline" screen.
    Offline,
    /// The double-spend evidence screen.
    Evidence,
}

/// An on-demand screen: "Loading…" while its code is fetched, then the screen, or plain words when it could
/// not be fetched.
#[component]
pub fn OnDemand(
    /// Which screen.
    part: Part,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="hint" data-testid="part-loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let screen = match part {
                    Part::Offline => offline_screen().await,
                    Part::Evidence => evidence_screen().await,
                };
                match screen {
                    Ok(view) => view,
                    Err(missing) => {
                        view! {
                            <p class="status error" role="alert" data-testid="part-not-loaded">{missing.to_string()}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The offline sync, when the wallet opens and again each time the browser says it is back online (the
/// `online` event). A wallet that uses offline coins ([`crate::Wallet::offline_in_use`]) gets the full sync,
/// whose code loads on demand; any other only refreshes its cache of the mints' offline keysets (so an
/// offline payment can later be received and checked with no network), and never fetches that code.
pub fn start_sync(ctx: Ctx) {
    leptos::task::spawn_local(sync(ctx));
    let Some(window) = web_sys::window() else { return };
    let listener = Closure::<dyn Fn()>::new(move || leptos::task::spawn_local(sync(ctx)));
    if window.add_event_listener_with_callback("online", listener.as_ref().unchecked_ref()).is_ok() {
        // The page's whole life: the listener is never removed.
        listener.forget();
    }
}

async fn sync(ctx: Ctx) {
    let Ok(wallet) = ctx.wallet() else { return };
    if wallet.offline_in_use().await.unwrap_or(true) {
        match full_sync(ctx).await {
            Ok(sync) => sync.await,
            Err(missing) => ctx.banner.set(Some(missing.to_string())),
        }
        return;
    }
    for mint in ctx.mints.get_untracked() {
        if let Ok(url) = MintUrl::parse(&mint.url) {
            // Quietly: a mint that cannot be reached now is asked on the next sync.
            let _ = wallet.offline_refresh_keysets(&url).await;
        }
    }
}
