//! Receiving: paste (or scan) a token, see what it holds checked offline, confirm an unknown mint, redeem.
//! Below, "Request a payment" ([`super::payment_request::RequestPayment`]).

use leptos::prelude::*;

use super::common::{Status, StatusLine, SubmitRow};
use super::context::Ctx;
use super::format::{format_amount, plural, short_url, tidy_token};
use super::incoming::Incoming;
use super::payment_request::RequestPayment;
use super::scanner::ScanButton;
use crate::{DleqStatus, TokenPreview, WalletError};

/// The "Receive" screen.
#[component]
pub fn Receive() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Home's Request: straight to "Request a payment".
    if ctx.request_first.get_untracked() {
        ctx.request_first.set(false);
        super::browser::focus_id("request-heading");
    }
    // A token scanned on Home or opened from a link arrives filled in.
    let token = RwSignal::new(ctx.take_incoming(|found| matches!(found, Incoming::Token(_))).unwrap_or_default());
    let preview = RwSignal::new(None::<TokenPreview>);
    let trust = RwSignal::new(false);
    let status = RwSignal::new(Status::Idle);

    // A new token (typed, pasted or scanned) needs a new check.
    Effect::new(move |_| {
        token.track();
        preview.set(None);
        trust.set(false);
    });

    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let text = tidy_token(&token.get_untracked());
        if text.is_empty() {
            return status.set(Status::Failed("Paste a token first.".to_owned()));
        }
        status.set(Status::Working("Checking the token…".to_owned()));
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.inspect_token(&text).await }.await {
                Ok(found) => {
                    status.set(Status::Idle);
                    preview.set(Some(found));
                    super::browser::focus_id("token-preview-heading");
                }
                Err(WalletError::InvalidToken(reason)) => status.set(Status::Failed(format!(
                    "This is not a token this wallet can read. Check that you copied all of it (it starts with \
                     \"cashuB\" or \"cashuA\"). Details: {reason}"
                ))),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let redeem = move |_| {
        let Some(found) = preview.get_untracked() else { return };
        if status.get_untracked().is_working() {
            return;
        }
        if !found.mint_known && !trust.get_untracked() {
            return status.set(Status::Failed("Confirm that you trust this mint first.".to_owned()));
        }
        let text = tidy_token(&token.get_untracked());
        let trusted = trust.get_untracked();
        // The preview said so and the user pressed Receive: the explicit choice to receive without proof.
        let without_proof = found.dleq == DleqStatus::Missing;
        status.set(Status::Working("Redeeming the token at its mint…".to_owned()));
        leptos::task::spawn_local(async move {
            let received = async {
                let wallet = ctx.wallet()?;
                if without_proof {
                    wallet.receive_without_proof(&text, trusted).await
                } else {
                    wallet.receive(&text, trusted).await
                }
            }
            .await;
            ctx.reload_now().await;
            match received {
                Ok(view) => {
                    preview.set(None);
                    token.set(String::new());
                    let balance = ctx.balance.get_untracked().map(|b| format_amount(b, "sat")).unwrap_or_default();
                    let fee = if view.fee.to_u64() > 0 {
                        format!(" (after a fee of {})", format_amount(view.fee, "sat"))
                    } else {
                        String::new()
                    };
                    status.set(Status::Done(format!(
                        "Received {}{fee}. Your balance is {balance}.",
                        format_amount(view.amount, "sat")
                    )));
                }
                Err(WalletError::AlreadySpent) => status.set(Status::Failed(
                    "This token has already been redeemed, so nothing was added. Ask the sender for a new one."
                        .to_owned(),
                )),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Receive"</h1>
            <form class="form" on:submit=check>
                <div class="field">
                    <label for="receive-token">"Token"</label>
                    <textarea
                        id="receive-token"
                        class="input mono token"
                        rows="5"
                        placeholder="cashuB…"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        aria-describedby="receive-token-hint"
                        prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev))
                    ></textarea>
                    <p id="receive-token-hint" class="hint">"Paste the token you were given, or scan its QR code."</p>
                </div>
                <ScanButton target=token label="Scan a QR code" />
                <Show when=move || preview.get().is_none()>
                    <SubmitRow status label="Check token" />
                </Show>
            </form>
            {move || preview.get().map(|found| view! { <Preview found trust /> })}
            <Show when=move || preview.get().is_some_and(|found| found.dleq != DleqStatus::Invalid)>
                <div class="actions">
                    <button
                        type="button"
                        class="button primary"
                        disabled=move || status.get().is_working()
                        on:click=redeem
                    >
                        "Receive"
                    </button>
                </div>
            </Show>
            <StatusLine status testid="receive-status" />
        </section>
        <RequestPayment />
    }
}

#[component]
fn Preview(found: TokenPreview, trust: RwSignal<bool>) -> impl IntoView {
    let TokenPreview { mint, amount, unit, memo, notes, mint_known, dleq } = found;
    let (dleq_class, dleq_text) = match dleq {
        DleqStatus::AllValid => ("ok", "Signatures verified offline: the mint really issued these notes."),
        DleqStatus::Missing => (
            "warn",
            "No offline proof came with this token. Receive only if you trust the sender: the mint checks it then.",
        ),
        DleqStatus::Invalid => {
            ("bad", "The signatures do not check out: this token is forged or damaged. Do not accept it.")
        }
    };
    view! {
        <div class="preview" data-testid="token-preview">
            <h2 id="token-preview-heading" class="section-heading" tabindex="-1">
                {format!("Token for {}", format_amount(amount, &unit))}
            </h2>
            <dl class="facts">
                <div class="fact"><dt>"Mint"</dt><dd class="mono">{mint.clone()}</dd></div>
                <div class="fact"><dt>"Notes"</dt><dd>{plural(notes, "note", "notes")}</dd></div>
                {memo.map(|text| view! { <div class="fact"><dt>"Note from the sender"</dt><dd>{text}</dd></div> })}
            </dl>
            <p class=format!("check {dleq_class}") data-testid="dleq">{dleq_text}</p>
            {(!mint_known).then(|| view! {
                <div class="trust">
                    <p>
                        {format!("This token is from a mint you have not used yet: {}. ", short_url(&mint))}
                        "Receiving adds it to your wallet. Only accept if you trust it: the money is only as good as the mint."
                    </p>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || trust.get() on:change=move |ev| trust.set(event_target_checked(&ev)) />
                        "I trust this mint; add it"
                    </label>
                </div>
            })}
        </div>
    }
}
