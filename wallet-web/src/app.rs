//! The root component: opens the wallet, finishes interrupted operations, then shows the first-run screens
//! (create or restore), the unlock screen (words sealed under a passphrase) or the wallet with its navigation.
//! [`Ctx`] is what every screen shares.

use leptos::prelude::*;

use crate::components::context::{Ctx, Phase, Tab, open};
use crate::components::format::format_amount;
use crate::components::{activity, browser, home, on_demand, onboarding, receive, send, unlock};

/// Mounts the wallet on `<body>`: the bundle's entry point (`main.rs` calls only this). The views are
/// instantiated here, in the library crate, and nowhere else.
pub fn mount() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let ctx = Ctx::new();
    provide_context(ctx);
    leptos::task::spawn_local(open(ctx));
    // Once the wallet is ready (opened, unlocked or just created): the offline sync, now and when back online.
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let ready = ctx.phase.get() == Phase::Ready;
        if ready {
            on_demand::start_sync(ctx);
            // Opened from a link (`/?cashu=…`, a registered `web+cashu:` handler, or `#cashuB…`): route it like
            // a scan.
            if let Some(text) = browser::take_page_link_text()
                && let Err(reason) = ctx.open_text(&text)
            {
                ctx.banner.set(Some(format!("The link could not be opened. {reason}")));
            }
        }
        ready
    });

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <div class="topbar-inner">
                <span class="brand" aria-hidden="true">"◎"</span>
                <span class="brand-name">"Chaumian Wallet"</span>
                <Show when=move || ctx.phase.get() == Phase::Ready>
                    <span class="topbar-balance" data-testid="topbar-balance" aria-label="Balance">
                        {move || ctx.balance.get().map(|amount| format_amount(amount, "sat"))}
                    </span>
                </Show>
            </div>
            <Show when=move || ctx.phase.get() == Phase::Ready>
                <Nav />
            </Show>
        </header>
        <main id="main" class="page" tabindex="-1">
            {move || ctx.banner.get().map(|text| view! {
                <div class="banner" role="status" data-testid="banner">
                    <p>{text}</p>
                    <button type="button" class="link-button" on:click=move |_| ctx.banner.set(None)>"Dismiss"</button>
                </div>
            })}
            {move || match ctx.phase.get() {
                Phase::Opening(text) => view! {
                    <section class="card loading" aria-busy="true">
                        <span class="spinner" aria-hidden="true"></span>
                        <h1 id="screen-heading" class="screen-title" role="status">{text}</h1>
                    </section>
                }
                .into_any(),
                Phase::Broken(reason) => view! {
                    <section class="card error" role="alert">
                        <h1 id="screen-heading" class="screen-title">"The wallet could not be opened"</h1>
                        <p>{reason}</p>
                        <p>"Your browser may block storage for this site (for example in a private window). Reload the page to try again."</p>
                    </section>
                }
                .into_any(),
                Phase::FirstRun => view! { <onboarding::FirstRun /> }.into_any(),
                Phase::Locked => view! { <unlock::Unlock /> }.into_any(),
                Phase::Ready => view! { <Screen /> }.into_any(),
            }}
        </main>
        <footer class="footer">
            <p>"Your notes are kept in this browser only. Chaumian e-cash, compatible with the Cashu protocol."</p>
        </footer>
    }
}

/// The navigation between screens: a row under the title bar on wide screens, a bar fixed at the bottom of
/// a phone's screen (style.css, under 600 px).
#[component]
fn Nav() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <nav class="tabs" aria-label="Wallet">
            <ul>
                {Tab::ALL
                    .into_iter()
                    .map(|tab| {
                        let current = move || (ctx.tab.get() == tab).then_some("page");
                        view! {
                            <li>
                                <button type="button" class="tab" aria-current=current on:click=move |_| ctx.go(tab)>
                                    <span class="tab-icon" aria-hidden="true">{tab.icon()}</span>
                                    <span class="tab-label">{tab.label()}</span>
                                </button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// The current screen.
#[component]
fn Screen() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || match ctx.tab.get() {
        Tab::Home => view! { <home::Home /> }.into_any(),
        Tab::AddMoney => view! { <on_demand::OnDemand part=on_demand::Part::AddMoney /> }.into_any(),
        Tab::Send => view! { <send::Send /> }.into_any(),
        Tab::Receive => view! { <receive::Receive /> }.into_any(),
        Tab::Activity => view! { <activity::Activity /> }.into_any(),
        Tab::Offline => view! { <on_demand::OnDemand part=on_demand::Part::Offline /> }.into_any(),
        Tab::Evidence => view! { <on_demand::OnDemand part=on_demand::Part::Evidence /> }.into_any(),
        Tab::Settings => view! { <on_demand::OnDemand part=on_demand::Part::Settings /> }.into_any(),
    }
}
