//! Sending: pick a mint and an amount, get a `cashuB` token to hand over (copy or QR); or pay a request
//! (`creqA`, [`super::payment_request::PayRequest`]) with such a token in one step. The notes stay in
//! "pending sends" until the receiver redeems them or the sender takes them back. Or pay a Lightning
//! invoice through a mint ([`PayInvoice`]): its amount and the most the fee may be first, then what the
//! payment cost and what came back as change.

use leptos::prelude::*;

use super::browser::focus_id;
use super::common::{
    AmountField, HandOverText, MintField, Status, StatusLine, SubmitRow, TextField, typed_amount, typed_note,
};
use super::context::{Ctx, Tab};
use super::format::format_amount;
use super::payment_request::PayRequest;
use crate::{InvoiceQuoteView, SendView};

/// The "Send" screen.
#[component]
pub fn Send() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let mint = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let memo = RwSignal::new(String::new());
    let status = RwSignal::new(Status::Idle);
    let result = RwSignal::new(None::<SendView>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let Some(value) = typed_amount(amount, status) else { return };
        let note = typed_note(memo);
        let mint_url = mint.get_untracked();
        status.set(Status::Working("Preparing the token…".to_owned()));
        leptos::task::spawn_local(async move {
            let made = async { ctx.wallet()?.send(&mint_url, value, note).await }.await;
            ctx.reload_now().await;
            match made {
                Ok(view) => {
                    status.set(Status::Idle);
                    result.set(Some(view));
                    focus_id("send-result-heading");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let another = move |_| {
        result.set(None);
        amount.set(String::new());
        memo.set(String::new());
        focus_id("screen-heading");
    };

    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Send"</h1>
            {move || match result.get() {
                None => view! {
                    <form class="form" on:submit=submit>
                        <p>"Make a token to give to someone: by message, email or QR code. Whoever has it can redeem it."</p>
                        <MintField selected=mint id="send-mint" label="From mint" />
                        <AmountField value=amount id="send-amount" placeholder="100" />
                        <TextField value=memo id="send-memo" label="Note for the receiver (optional)" />
                        <StatusLine status testid="send-status" />
                        <SubmitRow status label="Create token" />
                    </form>
                }
                .into_any(),
                Some(sent) => {
                    view! {
                        <div class="send-result" data-testid="send-result">
                            <h2 id="send-result-heading" class="section-heading" tabindex="-1">
                                {format!("Token for {} ready", format_amount(sent.amount, "sat"))}
                            </h2>
                            {(sent.fee.to_u64() > 0).then(|| view! {
                                <p class="hint">{format!("The mint charged a fee of {} to prepare it.", format_amount(sent.fee, "sat"))}</p>
                            })}
                            <HandOverText
                                text=sent.token
                                qr_label=format!("QR code of the token for {}", format_amount(sent.amount, "sat"))
                                label="Token"
                                id="sent-token"
                                testid="token"
                                rows=5
                                copy_label="Copy token"
                                share_title="Cashu token"
                            />
                            <p class="hint">
                                "Until the receiver redeems it, the token is listed under Activity as a pending send; "
                                "you can take the money back there if it is never redeemed."
                            </p>
                            <div class="actions">
                                <button type="button" class="button secondary" on:click=another>"Send another"</button>
                                <button type="button" class="button secondary" on:click=move |_| ctx.go(Tab::Activity)>
                                    "See pending sends"
                                </button>
                            </div>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
        <PayRequest />
        <PayInvoice />
    }
}

/// "Pay a Lightning invoice": paste an invoice, see its amount and the most the fee may be, pay, see the fee
/// paid and the change returned.
#[component]
fn PayInvoice() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let mint = RwSignal::new(String::new());
    let invoice = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<InvoiceQuoteView>);
    let status = RwSignal::new(Status::Idle);

    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let (mint_url, text) = (mint.get_untracked(), invoice.get_untracked());
        status.set(Status::Working("Asking the mint what paying it costs…".to_owned()));
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.quote_invoice(&mint_url, &text).await }.await {
                Ok(quote) => {
                    status.set(Status::Idle);
                    preview.set(Some(quote));
                    focus_id("pay-invoice-confirm");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let pay = move |_| {
        if status.get_untracked().is_working() {
            return;
        }
        let (mint_url, text) = (mint.get_untracked(), invoice.get_untracked());
        status.set(Status::Working("Paying the invoice…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = async { ctx.wallet()?.pay_invoice(&mint_url, &text).await }.await;
            ctx.reload_now().await;
            match result {
                Ok(view) => {
                    preview.set(None);
                    invoice.set(String::new());
                    status.set(Status::Done(format!(
                        "Paid {}. Fee paid: {}; returned as change: {}.",
                        format_amount(view.amount, "sat"),
                        format_amount(view.fee, "sat"),
                        format_amount(view.change, "sat")
                    )));
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="pay-invoice-heading">
            <h2 id="pay-invoice-heading" class="section-heading">"Pay a Lightning invoice"</h2>
            <form class="form" on:submit=check>
                <MintField selected=mint id="pay-invoice-mint" label="From mint" />
                <div class="field">
                    <label for="pay-invoice-text">"Invoice"</label>
                    <textarea
                        id="pay-invoice-text"
                        class="input mono"
                        rows="3"
                        autocomplete="off"
                        data-testid="pay-invoice-text"
                        prop:value=move || invoice.get()
                        on:input=move |ev| {
                            preview.set(None);
                            invoice.set(event_target_value(&ev));
                        }
                    ></textarea>
                </div>
                {move || preview.get().map(|quote| view! {
                    <p data-testid="pay-invoice-preview">
                        {format!(
                            "Amount: {}. Fee: at most {} (what the payment does not use comes back).",
                            format_amount(quote.amount, "sat"),
                            format_amount(quote.fee_reserve, "sat")
                        )}
                    </p>
                })}
                <StatusLine status testid="pay-invoice-status" />
                <div class="actions">
                    <Show
                        when=move || preview.get().is_some()
                        fallback=move || view! {
                            <button type="submit" class="button secondary" disabled=move || status.get().is_working()>
                                "Check invoice"
                            </button>
                        }
                    >
                        <button
                            type="button"
                            id="pay-invoice-confirm"
                            class="button primary"
                            disabled=move || status.get().is_working()
                            on:click=pay
                        >
                            "Pay"
                        </button>
                    </Show>
                </div>
            </form>
        </section>
    }
}
