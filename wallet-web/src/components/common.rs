//! Pieces every screen uses: the status line of an operation, the copy button, the mint picker, the amount field,
//! the passphrase typed twice, a text to hand over with its QR code.

use leptos::prelude::*;

use super::browser::copy_text;
use super::context::Ctx;
use super::format::{format_amount, short_url};
use super::qr::QrCode;

/// Where an operation stands, as the page tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing under way.
    #[default]
    Idle,
    /// Under way; the text says what the wallet is doing.
    Working(String),
    /// Finished well.
    Done(String),
    /// Failed; the text says why, in plain words.
    Failed(String),
}

impl Status {
    /// Whether an operation is under way.
    pub fn is_working(&self) -> bool {
        matches!(self, Status::Working(_))
    }
}

/// The status of one form: a polite live region for progress and success, an alert for failures.
#[component]
pub fn StatusLine(
    /// The status to show.
    status: RwSignal<Status>,
    /// `data-testid` of the line, for the end-to-end tests.
    #[prop(optional)]
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="status-slot" aria-live="polite" data-testid=testid>
            {move || match status.get() {
                Status::Idle => ().into_any(),
                Status::Working(text) => view! {
                    <p class="status working" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        {text}
                    </p>
                }
                .into_any(),
                Status::Done(text) => view! {
                    <p class="status done" role="status"><span aria-hidden="true">"✓ "</span>{text}</p>
                }
                .into_any(),
                Status::Failed(text) => view! {
                    <p class="status failed" role="alert"><span aria-hidden="true">"! "</span>{text}</p>
                }
                .into_any(),
            }}
        </div>
    }
}

/// A "Copy" button for `text`; says "Copied" for a moment (announced to screen readers).
#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// What the button says, e.g. "Copy token".
    label: &'static str,
) -> impl IntoView {
    let feedback = RwSignal::new(String::new());
    let copy = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            match copy_text(&value).await {
                Ok(()) => feedback.set("Copied.".to_owned()),
                Err(reason) => feedback.set(reason),
            }
            crate::platform::sleep(4000).await;
            feedback.set(String::new());
        });
    };
    view! {
        <span class="copy">
            <button type="button" class="button secondary" on:click=copy>{label}</button>
            <span class="copy-feedback" role="status" aria-live="polite">{move || feedback.get()}</span>
        </span>
    }
}

/// A "Share" button for `text` (the system's share sheet: Web Share API). Renders nothing where the browser
/// cannot share, so Copy stays the one way there.
#[component]
pub fn ShareButton(
    /// What to share.
    #[prop(into)]
    text: Signal<String>,
    /// What it is, e.g. "Cashu token" (the share sheet's title).
    title: &'static str,
) -> impl IntoView {
    let feedback = RwSignal::new(String::new());
    let share = move |_| {
        let value = text.get_untracked();
        leptos::task::spawn_local(async move {
            if let Err(reason) = super::browser::share_text(title, &value).await {
                feedback.set(reason);
            }
        });
    };
    view! {
        <Show when=super::browser::can_share>
            <span class="copy">
                <button type="button" class="button secondary" on:click=share>"Share"</button>
                <span class="copy-feedback" role="status" aria-live="polite">{move || feedback.get()}</span>
            </span>
        </Show>
    }
}

/// A `<select>` of the wallet's mints, showing each one's balance. Keeps `selected` on a mint that exists.
#[component]
pub fn MintSelect(
    /// The chosen mint's URL.
    selected: RwSignal<String>,
    /// The select's id (its label points at it).
    id: &'static str,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Default to the first mint (or keep the choice while it still exists).
    Effect::new(move |_| {
        let mints = ctx.mints.get();
        let current = selected.get_untracked();
        if !mints.iter().any(|mint| mint.url == current) {
            if let Some(first) = mints.first() {
                selected.set(first.url.clone());
            }
        }
    });
    view! {
        <select
            id=id
            class="input"
            prop:value=move || selected.get()
            on:change=move |ev| selected.set(event_target_value(&ev))
        >
            {move || {
                ctx.mints
                    .get()
                    .into_iter()
                    .map(|mint| {
                        let label = format!(
                            "{} — {}",
                            mint.name.clone().unwrap_or_else(|| short_url(&mint.url)),
                            format_amount(mint.balance, &mint.unit),
                        );
                        let url = mint.url.clone();
                        let is_selected = move || selected.get() == url;
                        view! { <option value=mint.url.clone() selected=is_selected>{label}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}

/// The labelled "Amount (sat)" field of a form: a numeric text input bound to `value`, with an optional hint.
#[component]
pub fn AmountField(
    /// The typed text (parsed by the screen on submit).
    value: RwSignal<String>,
    /// The input's id (its label points at it).
    id: &'static str,
    /// Shown in the empty field.
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// A line of help under the field.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Amount (sat)"</label>
            <input
                id=id
                class="input"
                type="text"
                inputmode="numeric"
                autocomplete="off"
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}

/// A new passphrase typed twice (password fields), with a hint: `first` and `repeat` hold what was typed
/// ([`super::format::passphrase_choice`] reads them).
#[component]
pub fn PassphrasePair(
    /// The first field.
    first: RwSignal<String>,
    /// The repeat field.
    repeat: RwSignal<String>,
    /// The first field's label, e.g. "Passphrase (optional)".
    label: &'static str,
    /// The id prefix of the fields.
    id: &'static str,
    /// What the hint under the fields says.
    hint: &'static str,
) -> impl IntoView {
    let (first_id, repeat_id, hint_id) = (format!("{id}-first"), format!("{id}-repeat"), format!("{id}-hint"));
    view! {
        <div class="field">
            <label for=first_id.clone()>{label}</label>
            <input id=first_id class="input" type="password" autocomplete="new-password"
                aria-describedby=hint_id.clone()
                prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev)) />
        </div>
        <div class="field">
            <label for=repeat_id.clone()>"Repeat the passphrase"</label>
            <input id=repeat_id class="input" type="password" autocomplete="new-password"
                prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev)) />
            <p id=hint_id class="hint">{hint}</p>
        </div>
    }
}

/// What the passphrase fields of a new wallet explain.
pub const NEW_PASSPHRASE_HINT: &str = "Optional. With a passphrase, your recovery words are stored encrypted in \
    this browser and the wallet asks for it each time it opens. Without one (leave both empty) they are stored \
    as they are. If you forget it, restore the wallet from your recovery words.";

/// A text to hand over (a request or a payment): its QR code, the text itself (read-only, selectable) and
/// a copy button.
#[component]
pub fn OfflineText(
    /// The text.
    text: String,
    /// What it is, e.g. "Payment request" (the label of the text and the QR code's name).
    label: &'static str,
    /// `data-testid` of the text field.
    testid: &'static str,
) -> impl IntoView {
    let id = format!("{testid}-field");
    view! {
        <QrCode text=text.clone() label=format!("QR code of the {}", label.to_lowercase()) />
        <label for=id.clone() class="label">{label}</label>
        <textarea id=id class="input mono token" rows="4" readonly=true data-testid=testid>{text.clone()}</textarea>
        <div class="actions">
            <CopyButton text=text.clone() label="Copy" />
            <ShareButton text title=label />
        </div>
    }
}
