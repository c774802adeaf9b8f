//! Payment requests (NUT-18 `creqA…`, in-band: the token is handed over as QR code or text, no transport).
//! [`RequestPayment`] (on Receive) makes one: amount and description, the wallet's mints as the mints
//! accepted; with offline coins set up, a link to the offline request. [`PayRequest`] (on Send) reads one,
//! pasted, scanned or routed from Home (an offline request goes to the Offline screen), shows what it asks
//! and pays it in one step with a token of exactly that amount from an accepted mint.

use leptos::prelude::*;

use super::browser::focus_id;
use super::common::{AmountField, HandOverText, Status, StatusLine, SubmitRow, TextField, typed_amount, typed_note};
use super::context::{Ctx, Tab};
use super::format::{format_amount, short_url};
use super::incoming::{Incoming, classify};
use crate::{RequestAsk, SendView, Wallet};

/// "Request a payment": amount and an optional description give a `creqA` request to show the payer.
#[component]
pub fn RequestPayment() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let amount = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let made = RwSignal::new(None::<(String, String)>);
    let status = RwSignal::new(Status::Idle);
    let offline_ready = move || ctx.offline.get().is_some_and(|balance| !balance.keysets.is_empty());

    let make = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let Some(value) = typed_amount(amount, status) else { return };
        let text = typed_note(description);
        status.set(Status::Working("Making the request…".to_owned()));
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.payment_request(value, text).await }.await {
                Ok(request) => {
                    status.set(Status::Idle);
                    made.set(Some((request, format_amount(value, "sat"))));
                    focus_id("payment-request-heading");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="request-heading">
            <h2 id="request-heading" class="section-heading" tabindex="-1">"Request a payment"</h2>
            {move || match made.get() {
                None => view! {
                    <form class="form" on:submit=make>
                        <p class="hint">
                            "Show the payer a request (QR code or text): their wallet pays exactly this amount at one "
                            "of your mints, and shows you the token to receive."
                        </p>
                        <AmountField value=amount id="request-amount" placeholder="21" />
                        <TextField value=description id="request-description" label="What it is for (optional)" />
                        <StatusLine status testid="request-status" />
                        <SubmitRow status label="Show request" />
                    </form>
                }
                .into_any(),
                Some((request, amount_text)) => view! {
                    <div class="send-result" data-testid="payment-request">
                        <h3 id="payment-request-heading" class="form-title" tabindex="-1">
                            {format!("Request for {amount_text}")}
                        </h3>
                        <HandOverText
                            text=request
                            qr_label=format!("QR code of the request for {amount_text}")
                            label="Payment request"
                            id="payment-request-text"
                            testid="payment-request-text"
                            copy_label="Copy request"
                            share_title="Payment request"
                        />
                        <p class="hint">"Paste or scan the token the payer shows you above, under Token."</p>
                        <div class="actions">
                            <button type="button" class="button secondary" on:click=move |_| made.set(None)>
                                "Another request"
                            </button>
                        </div>
                    </div>
                }
                .into_any(),
            }}
            <Show when=offline_ready>
                <p class="hint">
                    "No internet where you are? Request a payment in offline coins instead: "
                    <button type="button" class="link-button" on:click=move |_| ctx.go(Tab::Offline)>
                        "Receive offline"
                    </button>
                </p>
            </Show>
        </section>
    }
}

/// "Pay a request": reads a `creqA` (or hands an `offlinereq1` to the Offline screen), shows what it asks,
/// pays it in one step and shows the token to hand over.
#[component]
pub fn PayRequest() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // A request scanned on Home or opened from a link arrives filled in and checked.
    let routed = ctx.take_incoming(|found| matches!(found, Incoming::PaymentRequest(_)));
    let text = RwSignal::new(routed.clone().unwrap_or_default());
    let ask = RwSignal::new(routed.as_deref().and_then(|text| Wallet::read_payment_request(text).ok()));
    let amount = RwSignal::new(String::new());
    let paid = RwSignal::new(None::<SendView>);
    let status = RwSignal::new(match routed.as_deref().map(Wallet::read_payment_request) {
        Some(Err(error)) => Status::Failed(error.to_string()),
        _ => Status::Idle,
    });
    if routed.is_some() {
        focus_id("pay-request-heading");
    }

    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        paid.set(None);
        let typed = text.get_untracked();
        // An offline request pasted here belongs to the Offline screen.
        if let Ok(Incoming::OfflineRequest(_)) = classify(&typed) {
            if let Err(reason) = ctx.open_text(&typed) {
                status.set(Status::Failed(reason));
            }
            return;
        }
        match Wallet::read_payment_request(&typed) {
            Ok(found) => {
                status.set(Status::Idle);
                ask.set(Some(found));
                focus_id("pay-request-preview-heading");
            }
            Err(error) => status.set(Status::Failed(error.to_string())),
        }
    };

    let pay = move |_| {
        let Some(found) = ask.get_untracked() else { return };
        if status.get_untracked().is_working() {
            return;
        }
        let typed = if found.amount.is_some() {
            None
        } else {
            let Some(value) = typed_amount(amount, status) else { return };
            Some(value)
        };
        status.set(Status::Working("Paying the request…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = async { ctx.wallet()?.pay_request(&found, typed).await }.await;
            ctx.reload_now().await;
            match result {
                Ok(view) => {
                    status.set(Status::Idle);
                    ask.set(None);
                    text.set(String::new());
                    paid.set(Some(view));
                    focus_id("pay-request-result-heading");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="pay-request-heading">
            <h2 id="pay-request-heading" class="section-heading" tabindex="-1">"Pay a request"</h2>
            <form class="form" on:submit=check>
                <div class="field">
                    <label for="pay-request-text">"Request"</label>
                    <textarea
                        id="pay-request-text"
                        class="input mono token"
                        rows="3"
                        placeholder="creqA… or offlinereq1…"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        prop:value=move || text.get()
                        on:input=move |ev| {
                            ask.set(None);
                            text.set(event_target_value(&ev));
                        }
                    ></textarea>
                </div>
                <super::scanner::ScanButton target=text label="Scan a request" />
                <Show when=move || ask.get().is_none()>
                    <div class="actions">
                        <button type="submit" class="button secondary">"Check request"</button>
                    </div>
                </Show>
            </form>
            {move || ask.get().map(|found| view! { <Asked found amount /> })}
            <Show when=move || ask.get().is_some()>
                <div class="actions">
                    <button type="button" class="button primary" disabled=move || status.get().is_working() on:click=pay>
                        "Pay"
                    </button>
                </div>
            </Show>
            <StatusLine status testid="pay-request-status" />
            {move || paid.get().map(|sent| {
                let amount_text = format_amount(sent.amount, "sat");
                view! {
                    <div class="send-result" data-testid="pay-request-result">
                        <h3 id="pay-request-result-heading" class="form-title" tabindex="-1">
                            {format!("Paid: token for {amount_text}")}
                        </h3>
                        <p class="hint">"Show this to the payee (QR code), or send them the text: it is the payment."</p>
                        <HandOverText
                            text=sent.token
                            qr_label=format!("QR code of the token for {amount_text}")
                            label="Token"
                            id="pay-request-token"
                            testid="pay-request-token"
                            copy_label="Copy token"
                            share_title="Cashu token"
                        />
                    </div>
                }
            })}
        </section>
    }
}

/// What a request asks: amount (or a field for it), mints, description.
#[component]
fn Asked(found: RequestAsk, amount: RwSignal<String>) -> impl IntoView {
    let RequestAsk { amount: asked, unit, mints, description, .. } = found;
    let unit = unit.unwrap_or_else(|| "sat".to_owned());
    let title = asked.map_or_else(
        || "Request (you choose the amount)".to_owned(),
        |value| format!("Request for {}", format_amount(value, &unit)),
    );
    let mints_text = if mints.is_empty() {
        "any".to_owned()
    } else {
        mints.iter().map(|url| short_url(url)).collect::<Vec<_>>().join(", ")
    };
    view! {
        <div class="preview" data-testid="pay-request-preview">
            <h3 id="pay-request-preview-heading" class="form-title" tabindex="-1">{title}</h3>
            <dl class="facts">
                {description.map(|text| view! { <div class="fact"><dt>"For"</dt><dd>{text}</dd></div> })}
                <div class="fact"><dt>"Unit"</dt><dd>{unit.clone()}</dd></div>
                <div class="fact"><dt>"Mints accepted"</dt><dd class="mono">{mints_text}</dd></div>
            </dl>
            {asked.is_none().then(|| view! { <AmountField value=amount id="pay-request-amount" placeholder="21" /> })}
        </div>
    }
}
