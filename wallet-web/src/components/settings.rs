//! Settings: the recovery words (behind a warning, and the passphrase when one is set), the passphrase (set,
//! change, remove), the account key, opening `web+cashu:` links here, the mints.

use leptos::prelude::*;

use super::browser::{can_register_links, focus_id, register_links};
use super::common::{CopyButton, PassphrasePair, Status, StatusLine};
use super::context::Ctx;
use super::format::{format_amount, mnemonic_words, passphrase_choice, short_url};
use crate::WordsAtRest;

/// The "Settings" screen.
#[component]
pub fn Settings() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let at_rest = RwSignal::new(None::<WordsAtRest>);
    leptos::task::spawn_local(async move {
        at_rest.set(async { ctx.wallet()?.words_at_rest().await }.await.ok());
    });
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
    let links_status = RwSignal::new(Status::Idle);
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Settings"</h1>
            <RecoveryWords at_rest />
        </section>
        <section class="card" aria-labelledby="passphrase-heading">
            <h2 id="passphrase-heading" class="section-heading" tabindex="-1">"Passphrase"</h2>
            <Passphrase at_rest />
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
        <Show when=can_register_links>
            <section class="card" aria-labelledby="links-heading">
                <h2 id="links-heading" class="section-heading">"Cashu links"</h2>
                <p class="hint">
                    "Let this browser open cashu links (web+cashu:…) in this wallet: a token opens on Receive, a "
                    "request on Send. The browser asks you to confirm."
                </p>
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| {
                        links_status.set(match register_links() {
                            Ok(()) => Status::Done("Asked the browser; confirm there if it asks.".to_owned()),
                            Err(reason) => Status::Failed(reason),
                        });
                    }>
                        "Open cashu links here"
                    </button>
                </div>
                <StatusLine status=links_status testid="links-status" />
            </section>
        </Show>
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
fn RecoveryWords(at_rest: RwSignal<Option<WordsAtRest>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let state = RwSignal::new(Words::Hidden);
    let status = RwSignal::new(Status::Idle);
    let passphrase = RwSignal::new(String::new());
    let sealed = move || at_rest.get() == Some(WordsAtRest::Sealed);
    let show = move |_| {
        let typed = passphrase.get_untracked();
        let sealed = at_rest.get_untracked() == Some(WordsAtRest::Sealed);
        if sealed {
            status.set(Status::Working("Checking your passphrase…".to_owned()));
        }
        leptos::task::spawn_local(async move {
            let words = async {
                let wallet = ctx.wallet()?;
                if sealed { wallet.mnemonic_with_passphrase(&typed).await } else { wallet.mnemonic().await }
            };
            match words.await {
                Ok(words) => {
                    passphrase.set(String::new());
                    status.set(Status::Idle);
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
                    <Show when=sealed>
                        <div class="field">
                            <label for="words-passphrase">"Your passphrase"</label>
                            <input id="words-passphrase" class="input" type="password" autocomplete="current-password"
                                prop:value=move || passphrase.get() on:input=move |ev| passphrase.set(event_target_value(&ev)) />
                        </div>
                    </Show>
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

/// Set, change or remove the passphrase over the recovery words; the current one is asked for.
#[component]
fn Passphrase(at_rest: RwSignal<Option<WordsAtRest>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let current = RwSignal::new(String::new());
    let (first, repeat) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let status = RwSignal::new(Status::Idle);
    // `remove`: store the words as text again; else set or change to the new passphrase.
    let apply = move |remove: bool| {
        if status.get_untracked().is_working() {
            return;
        }
        let sealed = at_rest.get_untracked() == Some(WordsAtRest::Sealed);
        let new = if remove {
            None
        } else {
            match passphrase_choice(&first.get_untracked(), &repeat.get_untracked()) {
                Ok(Some(new)) => Some(new),
                Ok(None) => return status.set(Status::Failed("Type the new passphrase twice.".to_owned())),
                Err(reason) => return status.set(Status::Failed(reason)),
            }
        };
        let typed = current.get_untracked();
        status.set(Status::Working("Saving…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = async {
                let wallet = ctx.wallet()?;
                match (&new, sealed) {
                    (Some(new), false) => wallet.set_passphrase(new).await,
                    (Some(new), true) => wallet.change_passphrase(&typed, new).await,
                    (None, _) => wallet.remove_passphrase(&typed).await,
                }?;
                wallet.words_at_rest().await
            };
            match result.await {
                Ok(now) => {
                    for field in [current, first, repeat] {
                        field.set(String::new());
                    }
                    at_rest.set(Some(now));
                    status.set(Status::Done(
                        match new {
                            Some(_) => "Saved. Your recovery words are stored encrypted with the new passphrase.",
                            None => "Removed. Your recovery words are stored without a passphrase.",
                        }
                        .to_owned(),
                    ));
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        apply(false);
    };
    view! {
        {move || match at_rest.get() {
            Some(WordsAtRest::Sealed) => view! {
                <p data-testid="passphrase-state">"Your recovery words are stored encrypted with your passphrase. The wallet asks for it each time it opens."</p>
            }
            .into_any(),
            Some(_) => view! {
                <p data-testid="passphrase-state">
                    "Your recovery words are stored in this browser as they are (no passphrase). A passphrase encrypts them, "
                    "so that someone who copies this browser's data cannot read them; the wallet then asks for it each time it opens."
                </p>
            }
            .into_any(),
            None => ().into_any(),
        }}
        <form class="form" on:submit=submit>
            <Show when=move || at_rest.get() == Some(WordsAtRest::Sealed)>
                <div class="field">
                    <label for="current-passphrase">"Current passphrase"</label>
                    <input id="current-passphrase" class="input" type="password" autocomplete="current-password"
                        prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev)) />
                </div>
            </Show>
            <PassphrasePair first repeat label="New passphrase" id="settings-passphrase"
                hint="If you forget it, restore the wallet from your recovery words." />
            <StatusLine status testid="passphrase-status" />
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || status.get().is_working()>
                    {move || if at_rest.get() == Some(WordsAtRest::Sealed) { "Change passphrase" } else { "Set passphrase" }}
                </button>
                <Show when=move || at_rest.get() == Some(WordsAtRest::Sealed)>
                    <button type="button" class="button secondary" disabled=move || status.get().is_working()
                        on:click=move |_| apply(true)>"Remove passphrase"</button>
                </Show>
            </div>
        </form>
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
