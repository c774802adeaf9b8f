//! The root component: page frame and the mint panel.

use leptos::prelude::*;

use crate::components::mint_info::MintInfoPanel;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <span class="brand" aria-hidden="true">"◎"</span>
                <span class="brand-name">"Chaumian Wallet"</span>
            </div>
        </header>
        <main id="main" class="page">
            <MintInfoPanel />
        </main>
        <footer class="footer">
            <p>"Chaumian e-cash, compatible with the Cashu protocol. This page talks only to the mint that served it."</p>
        </footer>
    }
}
