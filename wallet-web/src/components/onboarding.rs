//! First run: create a wallet (recovery words shown once, then three of them re-entered) or restore one from
//! its recovery words (looking for its money at each mint, with progress); either way with an optional
//! passphrase that seals the words in this browser.

use leptos::prelude::*;
use shared::Amount;

use super::browser::{focus_id, page_origin};
use super::common::{NEW_PASSPHRASE_HINT, PassphrasePair, Status, StatusLine};
use super::context::Ctx;
use super::format::{
    CONFIRM_POSITIONS, format_amount, mnemonic_words, passphrase_choice, short_url, tidy_mnemonic, wrong_confirmations,
};
use crate::{Wallet, WalletError};

/// Stores the recovery words, sealed under `passphrase` when one was chosen.
async fn store_words(ctx: Ctx, mnemonic: &str, passphrase: Option<String>) -> Result<(), WalletError> {
    let wallet = ctx.wallet()?;
    match passphrase {
        Some(passphrase) => wallet.set_mnemonic_with_passphrase(mnemonic, &passphrase).await,
        None => wallet.set_mnemonic(mnemonic).await,
    }
}

/// What the page says while it stores the words.
fn saving_text(passphrase: &Option<String>) -> String {
    match passphrase {
        Some(_) => "Encrypting your recovery words with your passphrase…".to_owned(),
        None => "Saving your wallet…".to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Welcome,
    ShowWords(String),
    ConfirmWords(String),
    Restore,
}

/// The first-run screens.
#[component]
pub fn FirstRun() -> impl IntoView {
    let step = RwSignal::new(Step::Welcome);
    let go = move |next: Step| {
        step.set(next);
        focus_id("screen-heading");
    };
    move || match step.get() {
        Step::Welcome => view! { <Welcome on_create=move || match Wallet::new_mnemonic() {
            Ok(words) => go(Step::ShowWords(words)),
            Err(_) => go(Step::Welcome),
        } on_restore=move || go(Step::Restore) /> }
        .into_any(),
        Step::ShowWords(mnemonic) => {
            let next = mnemonic.clone();
            view! {
                <ShowWords mnemonic on_next=move || go(Step::ConfirmWords(next.clone())) on_back=move || go(Step::Welcome) />
            }
            .into_any()
        }
        Step::ConfirmWords(mnemonic) => {
            let back = mnemonic.clone();
            view! { <ConfirmWords mnemonic on_back=move || go(Step::ShowWords(back.clone())) /> }.into_any()
        }
        Step::Restore => view! { <Restore on_back=move || go(Step::Welcome) /> }.into_any(),
    }
}

#[component]
fn Welcome(on_create: impl Fn() + 'static, on_restore: impl Fn() + 'static) -> impl IntoView {
    view! {
        <section class="card welcome" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Welcome"</h1>
            <p class="lead">
                "This wallet holds e-cash: digital notes signed by a mint. Your notes live only in this browser, and "
                "the mint cannot see who pays whom."
            </p>
            <div class="choices">
                <button type="button" class="button primary large" on:click=move |_| on_create()>
                    "Create a new wallet"
                </button>
                <button type="button" class="button secondary large" on:click=move |_| on_restore()>
                    "Restore from recovery words"
                </button>
            </div>
        </section>
    }
}

#[component]
fn ShowWords(mnemonic: String, on_next: impl Fn() + 'static, on_back: impl Fn() + 'static) -> impl IntoView {
    let written = RwSignal::new(false);
    let words = mnemonic_words(&mnemonic);
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <p class="kicker">"Step 1 of 2"</p>
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Write down your recovery words"</h1>
            <p>
                "These 12 words are the only way to get your money back if this browser's data is lost. Write them on "
                "paper, in order, and keep them private: anyone who has them can take your money."
            </p>
            <ol class="words" aria-label="Your recovery words" data-testid="recovery-words">
                {words.into_iter().map(|word| view! { <li><span class="word">{word}</span></li> }).collect_view()}
            </ol>
            <p class="hint">"They are shown only now. You can see them again later under Settings."</p>
            <label class="check">
                <input type="checkbox" prop:checked=move || written.get() on:change=move |ev| written.set(event_target_checked(&ev)) />
                "I have written down these 12 words, in order"
            </label>
            <div class="actions">
                <button type="button" class="button secondary" on:click=move |_| on_back()>"Back"</button>
                <button type="button" class="button primary" disabled=move || !written.get() on:click=move |_| on_next()>
                    "Continue"
                </button>
            </div>
        </section>
    }
}

#[component]
fn ConfirmWords(mnemonic: String, on_back: impl Fn() + 'static) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let answers: [RwSignal<String>; 3] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let status = RwSignal::new(Status::Idle);
    let (first, repeat) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let stored = StoredValue::new(mnemonic);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let given: Vec<String> = answers.iter().map(|answer| answer.get_untracked()).collect();
        let wrong = stored.with_value(|mnemonic| wrong_confirmations(mnemonic, &given));
        if !wrong.is_empty() {
            let list = wrong.iter().map(|n| format!("word {n}")).collect::<Vec<_>>().join(", ");
            status.set(Status::Failed(format!("That does not match: check {list}. Go back to see the words again.")));
            return;
        }
        let passphrase = match passphrase_choice(&first.get_untracked(), &repeat.get_untracked()) {
            Ok(passphrase) => passphrase,
            Err(reason) => return status.set(Status::Failed(reason)),
        };
        status.set(Status::Working(saving_text(&passphrase)));
        let mnemonic = stored.get_value();
        leptos::task::spawn_local(async move {
            match store_words(ctx, &mnemonic, passphrase).await {
                Ok(()) => {
                    status.set(Status::Working("Connecting to your mint…".to_owned()));
                    ctx.finish_setup().await;
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <p class="kicker">"Step 2 of 2"</p>
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Check your recovery words"</h1>
            <p>"To make sure they are written down correctly, enter three of them."</p>
            <form class="form" on:submit=submit>
                {CONFIRM_POSITIONS
                    .iter()
                    .zip(answers)
                    .map(|(position, answer)| {
                        let id = format!("confirm-word-{position}");
                        view! {
                            <div class="field">
                                <label for=id.clone()>{format!("Word {position}")}</label>
                                <input
                                    id=id
                                    class="input"
                                    type="text"
                                    autocomplete="off"
                                    autocapitalize="none"
                                    spellcheck="false"
                                    required=true
                                    prop:value=move || answer.get()
                                    on:input=move |ev| answer.set(event_target_value(&ev))
                                />
                            </div>
                        }
                    })
                    .collect_view()}
                <PassphrasePair first repeat label="Passphrase (optional)" id="new-passphrase" hint=NEW_PASSPHRASE_HINT />
                <StatusLine status />
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| on_back()>"Show the words again"</button>
                    <button type="submit" class="button primary" disabled=move || status.get().is_working()>
                        "Create wallet"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn Restore(on_back: impl Fn() + 'static) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = RwSignal::new(String::new());
    let mints = RwSignal::new(page_origin().unwrap_or_default());
    let (first, repeat) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let status = RwSignal::new(Status::Idle);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let mnemonic = tidy_mnemonic(&words.get_untracked());
        let urls: Result<Vec<String>, String> = mints
            .get_untracked()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| crate::MintUrl::parse(line).map(String::from).map_err(|reason| reason.to_string()))
            .collect();
        let urls = match urls {
            Ok(urls) if !urls.is_empty() => urls,
            Ok(_) => {
                status.set(Status::Failed("Enter at least one mint address.".to_owned()));
                return;
            }
            Err(reason) => {
                status.set(Status::Failed(reason));
                return;
            }
        };
        let passphrase = match passphrase_choice(&first.get_untracked(), &repeat.get_untracked()) {
            Ok(passphrase) => passphrase,
            Err(reason) => return status.set(Status::Failed(reason)),
        };
        status.set(Status::Working(saving_text(&passphrase)));
        leptos::task::spawn_local(async move {
            let wallet = match ctx.wallet() {
                Ok(wallet) => wallet,
                Err(error) => return status.set(Status::Failed(error.to_string())),
            };
            if let Err(error) = store_words(ctx, &mnemonic, passphrase).await {
                return status.set(Status::Failed(error.to_string()));
            }
            let mut total = Amount::ZERO;
            let mut problems = Vec::new();
            let count = urls.len();
            for (index, url) in urls.iter().enumerate() {
                status.set(Status::Working(format!(
                    "Looking for your money at {} ({} of {count})… This can take a minute.",
                    short_url(url),
                    index + 1
                )));
                let found = async {
                    wallet.add_mint(url).await?;
                    wallet.restore(url).await
                }
                .await;
                match found {
                    Ok(amount) => total = total.checked_add(amount).unwrap_or(total),
                    Err(error) => problems.push(format!("{}: {error}", short_url(url))),
                }
            }
            ctx.reload_now().await;
            let mut summary = format!("Recovered {}.", format_amount(total, "sat"));
            if !problems.is_empty() {
                summary.push_str(&format!(
                    " Some mints could not be searched (add them again later under Wallet): {}",
                    problems.join("; ")
                ));
            }
            ctx.banner.set(Some(summary));
            ctx.finish_setup().await;
        });
    };
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Restore a wallet"</h1>
            <p>"Enter your 12 recovery words. The wallet then asks each mint for the notes those words made."</p>
            <form class="form" on:submit=submit>
                <div class="field">
                    <label for="restore-words">"Recovery words"</label>
                    <textarea
                        id="restore-words"
                        class="input mono"
                        rows="3"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        required=true
                        aria-describedby="restore-words-hint"
                        prop:value=move || words.get()
                        on:input=move |ev| words.set(event_target_value(&ev))
                    ></textarea>
                    <p id="restore-words-hint" class="hint">"Separated by spaces, in order."</p>
                </div>
                <div class="field">
                    <label for="restore-mints">"Mints to search"</label>
                    <textarea
                        id="restore-mints"
                        class="input mono"
                        rows="2"
                        aria-describedby="restore-mints-hint"
                        prop:value=move || mints.get()
                        on:input=move |ev| mints.set(event_target_value(&ev))
                    ></textarea>
                    <p id="restore-mints-hint" class="hint">"One address per line. The mint that served this page is filled in."</p>
                </div>
                <PassphrasePair first repeat label="Passphrase (optional)" id="restore-passphrase" hint=NEW_PASSPHRASE_HINT />
                <StatusLine status testid="restore-status" />
                <div class="actions">
                    <button type="button" class="button secondary" on:click=move |_| on_back()>"Back"</button>
                    <button type="submit" class="button primary" disabled=move || status.get().is_working()>
                        "Restore wallet"
                    </button>
                </div>
            </form>
        </section>
    }
}
