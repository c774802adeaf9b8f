//! Pieces every screen uses: the status line of an operation, the copy and share buttons, the mint picker (and
//! its labelled field), the amount field, an optional text field, a form's submit row, the passphrase typed
//! twice, a text to hand over with its QR code.

use leptos::prelude::*;

use super::browser::copy_text;
use super::context::Ctx;
use super::format::{format_amount, parse_amount, short_url};
use super::qr::QrCode;
use shared::Amount;

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

/// The amount typed into a form's `amount` field ([`parse_amount`]); `None` once `status` says why it is
/// not one (the form then stops).
pub fn typed_amount(amount: RwSignal<String>, status: RwSignal<Status>) -> Option<Amount> {
    parse_amount(&amount.get_untracked()).map_err(|reason| status.set(Status::Failed(reason))).ok()
}

/// The text typed into an optional field, trimmed; `None` when it is empty.
pub fn typed_note(text: RwSignal<String>) -> Option<String> {
    Some(text.get_untracked().trim().to_owned()).filter(|text| !text.is_empty())
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

/// A labelled [`MintSelect`] field of a form ("From mint", "Mint").
#[component]
pub fn MintField(
    /// The chosen mint's URL.
    selected: RwSignal<String>,
    /// The select's id.
    id: &'static str,
    /// The label, e.g. "From mint".
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <MintSelect selected id />
        </div>
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

/// A labelled one-line text field of at most 200 characters that may stay empty (a note for the receiver,
/// what a request is for), bound to `value`.
#[component]
pub fn TextField(
    /// The typed text.
    value: RwSignal<String>,
    /// The input's id (its label points at it).
    id: &'static str,
    /// The label, e.g. "Note for the receiver (optional)".
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                class="input"
                type="text"
                maxlength="200"
                autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// The row that ends a form: its primary submit button, disabled while the form's operation is under way.
#[component]
pub fn SubmitRow(
    /// The form's status: the button is disabled while it is [`Status::Working`].
    status: RwSignal<Status>,
    /// What the button says, e.g. "Create token".
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="actions">
            <button type="submit" class="button primary" disabled=move || status.get().is_working()>{label}</button>
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

/// A text to hand over (a token, a request, a payment): its QR code, the text itself (labelled, read-only,
/// selectable), and the Copy and Share buttons.
#[component]
pub fn HandOverText(
    /// The text.
    text: String,
    /// The QR code's name for screen readers, e.g. "QR code of the token for 21 sat".
    qr_label: String,
    /// The text field's label, e.g. "Token".
    label: &'static str,
    /// The text field's id (its label points at it).
    #[prop(into)]
    id: String,
    /// `data-testid` of the text field.
    testid: &'static str,
    /// Rows of the text field.
    #[prop(default = 4)]
    rows: u32,
    /// What the copy button says, e.g. "Copy token".
    copy_label: &'static str,
    /// What the text is, for the share sheet's title, e.g. "Cashu token".
    share_title: &'static str,
) -> impl IntoView {
    view! {
        <QrCode text=text.clone() label=qr_label />
        <label for=id.clone() class="label">{label}</label>
        <textarea id=id class="input mono token" rows=rows readonly=true data-testid=testid>{text.clone()}</textarea>
        <div class="actions">
            <CopyButton text=text.clone() label=copy_label />
            <ShareButton text title=share_title />
        </div>
    }
}

/// An offline request or payment to hand over ([`HandOverText`]), named by `label` throughout.
#[component]
pub fn OfflineText(
    /// The text.
    text: String,
    /// What it is, e.g. "Payment request" (the label of the text and the QR code's name).
    label: &'static str,
    /// `data-testid` of the text field.
    testid: &'static str,
) -> impl IntoView {
    view! {
        <HandOverText
            text
            qr_label=format!("QR code of the {}", label.to_lowercase())
            label
            id=format!("{testid}-field")
            testid
            copy_label="Copy"
            share_title=label
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_amount_or_the_reason_in_the_status() {
        let amount = RwSignal::new(" 21 sat".to_owned());
        let status = RwSignal::new(Status::Idle);
        assert_eq!(typed_amount(amount, status), Some(Amount::from_u64(21)));
        assert_eq!(status.get_untracked(), Status::Idle);
        amount.set("twenty".to_owned());
        assert_eq!(typed_amount(amount, status), None);
        assert!(matches!(status.get_untracked(), Status::Failed(reason) if !reason.is_empty()));
    }

    #[test]
    fn an_optional_note_is_trimmed_and_empty_is_none() {
        assert_eq!(typed_note(RwSignal::new("  lunch ".to_owned())).as_deref(), Some("lunch"));
        assert_eq!(typed_note(RwSignal::new(" \t ".to_owned())), None);
    }
}
