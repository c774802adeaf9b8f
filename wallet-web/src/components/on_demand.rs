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
use super::{add_money, evidence, offline, offline_sync, settings};
use crate::MintUrl;
use crate::wallet::split_fn;

split_fn! {
    in offline:
    /// The "Offline" screen.
    fn offline_screen() -> AnyView {
        view! { <offline::Offline /> }.into_any()
    }
}

split_fn! {
    in offline:
    /// The double-spend evidence screen.
    fn evidence_screen() -> AnyView {
        view! { <evidence::Evidence /> }.into_any()
    }
}

split_fn! {
    in offline:
    /// The full offline sync ([`offline_sync::sync_now`]), as a future.
    fn full_sync(ctx: Ctx) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(offline_sync::sync_now(ctx))
    }
}

split_fn! {
    in add_money:
    /// The "Add money" screen.
    fn add_money_screen() -> AnyView {
        view! { <add_money::AddMoney /> }.into_any()
    }
}

split_fn! {
    in settings:
    /// The "Settings" screen.
    fn settings_screen() -> AnyView {
        view! { <settings::Settings /> }.into_any()
    }
}

/// Which on-demand screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The "Add money" screen.
    AddMoney,
    /// The "Settings" screen.
    Settings,
    /// The "Offline" screen.
    Offline,
    /// The double-spend evidence screen.
    Evidence,
}

impl Part {
    /// The screen's title (its heading while its code loads, or when it cannot).
    fn title(self) -> &'static str {
        match self {
            Part::AddMoney => "Add money",
            Part::Settings => "Settings",
            Part::Offline => "Offline coins",
            Part::Evidence => "Double-spend evidence",
        }
    }
}

/// An on-demand screen: its heading and "Loading…" while its code is fetched, then the screen; its heading and
/// plain words when the code could not be fetched (opening the screen again tries again).
#[component]
pub fn OnDemand(
    /// Which screen.
    part: Part,
) -> impl IntoView {
    let stand_in = move |words: String, testid: &'static str, role: &'static str| {
        view! {
            <section class="card" aria-labelledby="screen-heading">
                <h1 id="screen-heading" class="screen-title" tabindex="-1">{part.title()}</h1>
                <p class="hint" role=role data-testid=testid>{words}</p>
            </section>
        }
    };
    view! {
        <Suspense fallback=move || stand_in("Loading…".to_owned(), "part-loading", "status")>
            {move || Suspend::new(async move {
                let screen = match part {
                    Part::AddMoney => add_money_screen().await,
                    Part::Settings => settings_screen().await,
                    Part::Offline => offline_screen().await,
                    Part::Evidence => evidence_screen().await,
                };
                screen.unwrap_or_else(|missing| stand_in(missing.to_string(), "part-not-loaded", "alert").into_any())
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
