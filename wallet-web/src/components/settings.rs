//! Settings: the recovery words (behind a warning), the account key, the mints.

use leptos::prelude::*;

use super::browser::focus_id;
use super::common::{CopyButton, Status, StatusLine};
use super::context::Ctx;
use super::format::{format_amount, mnemonic_words, short_url};

/// The "Settings" screen.
#[component]
pub fn Settings() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // One account key per mint (derived from the seed and the mint's address).
    let account_keys = RwSignal::new(Vec::<(String, String)>::new());
    Effect::new(move |_| {
        let mints = ctx.mints.get();
        leptos::task::spawn_local(async move {
            let mut keys = Vec::new();
            for mint in mints {
                if let Ok(key) = async { ctx.wallet()?.account_pubkey(&mint.url).await }.await {
                    keys.push((mint.name.unwrap_or_else(|| short_url(&mint.url)), key));
                }
            }
            account_keys.set(keys);
        });
    });
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Settings"</h1>
            <RecoveryWords />
        </section>
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading" class="section-heading">"Bank account key"</h2>
            <p class="hint">
                "Give a mint's key to that mint's operator to open a bank account there. Each mint gets its own key; "
                "they come from your recovery words, so a restored wallet has the same keys."
            </p>
            <ul class="plain-list">
                {move || account_keys.get().into_iter().map(|(mint, key)| view! {
                    <li>
                        <p class="hint">{mint}</p>
                        <p class="mono key" data-testid="settings-account-key">{key.clone()}</p>
                        <CopyButton text=key label="Copy key" />
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="card" aria-labelledby="settings-mints-heading">
            <h2 id="settings-mints-heading" class="section-heading">"Mints"</h2>
            <ul class="plain-list">
                {move || ctx.mints.get().into_iter().map(|mint| view! { <MintRow url=mint.url.clone() name=mint.name.clone() balance=format_amount(mint.balance, &mint.unit) /> }).collect_view()}
            </ul>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Words {
    Hidden,
    Warning,
    Shown(String),
}

#[component]
fn RecoveryWords() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let state = RwSignal::new(Words::Hidden);
    let status = RwSignal::new(Status::Idle);
    let show = move |_| {
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.mnemonic().await }.await {
                Ok(words) => {
                    state.set(Words::Shown(words));
                    focus_id("words-heading");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };
    view! {
        <h2 id="words-heading" class="section-heading" tabindex="-1">"Recovery words"</h2>
        {move || match state.get() {
            Words::Hidden => view! {
                <p class="hint">"The 12 words that restore this wallet on another device."</p>
                <button type="button" class="button secondary" on:click=move |_| { state.set(Words::Warning); focus_id("words-warning"); }>
                    "Show recovery words"
                </button>
            }
            .into_any(),
            Words::Warning => view! {
                <div class="warning" role="alertdialog" aria-labelledby="words-warning" aria-describedby="words-warning-text">
                    <p id="words-warning" tabindex="-1"><strong>"Anyone who sees these words can take all your money."</strong></p>
                    <p id="words-warning-text">"Make sure nobody is watching your screen, and never type them into a website or send them to anyone."</p>
                    <div class="actions">
                        <button type="button" class="button secondary" on:click=move |_| state.set(Words::Hidden)>"Cancel"</button>
                        <button type="button" class="button danger" on:click=show>"Show them"</button>
                    </div>
                </div>
            }
            .into_any(),
            Words::Shown(mnemonic) => view! {
                <ol class="words" aria-label="Your recovery words" data-testid="settings-recovery-words">
                    {mnemonic_words(&mnemonic).into_iter().map(|word| view! { <li><span class="word">{word}</span></li> }).collect_view()}
                </ol>
                <button type="button" class="button secondary" on:click=move |_| state.set(Words::Hidden)>"Hide"</button>
            }
            .into_any(),
        }}
        <StatusLine status />
    }
}

#[component]
fn MintRow(url: String, name: Option<String>, balance: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let status = RwSignal::new(Status::Idle);
    let title = name.unwrap_or_else(|| short_url(&url));
    let label = format!("Remove {title}");
    let target = url.clone();
    let remove = move |_| {
        let target = target.clone();
        status.set(Status::Working("Removing…".to_owned()));
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.remove_mint(&target).await }.await {
                Ok(()) => status.set(Status::Idle),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
            ctx.reload_now().await;
        });
    };
    view! {
        <li class="mint-row">
            <div>
                <p class="strong">{title}</p>
                <p class="mono muted small">{url}</p>
            </div>
            <span>{balance}</span>
            <button type="button" class="button secondary small" aria-label=label on:click=remove>"Remove"</button>
            <StatusLine status />
        </li>
    }
}
