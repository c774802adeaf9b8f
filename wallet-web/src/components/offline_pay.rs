//! Paying offline (the payer's side): paste or scan the payee's request, see its amount and payee, refuse
//! amounts the coins cannot pay exactly, and on confirmation get the payment to show (QR and text). The
//! wallet records the coins as spent to the request before it returns the payment
//! ([`crate::Wallet::pay_offline`]); the payments made are listed so that a reload shows the same one again.

use leptos::prelude::*;
use shared::offline::PaymentRequest;

use super::browser::{focus_id, local_time_ms, local_unix_time};
use super::common::{OfflineText, Status, StatusLine};
use super::context::Ctx;
use super::format::{Payable, format_amount, payable, plural, short_key};
use super::incoming::Incoming;
use super::scanner::ScanButton;
use crate::offline::records::OfflinePaymentView;
use crate::{Wallet, WalletError};

/// The "Pay offline" part of the Offline screen.
#[component]
pub fn PayOffline(
    /// Payments made, newest first (the screen loads them; this form adds to them).
    payments: RwSignal<Vec<OfflinePaymentView>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // A request scanned on Home or opened from a link arrives filled in.
    let text =
        RwSignal::new(ctx.take_incoming(|found| matches!(found, Incoming::OfflineRequest(_))).unwrap_or_default());
    let preview = RwSignal::new(None::<PaymentRequest>);
    let paid = RwSignal::new(None::<OfflinePaymentView>);
    let status = RwSignal::new(Status::Idle);

    // A new request (typed, pasted or scanned) needs a new check.
    Effect::new(move |_| {
        text.track();
        preview.set(None);
    });

    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        paid.set(None);
        match Wallet::read_offline_request(&text.get_untracked()) {
            Ok(request) => {
                status.set(Status::Idle);
                preview.set(Some(request));
                focus_id("offline-pay-preview-heading");
            }
            Err(error) => status.set(Status::Failed(error.to_string())),
        }
    };

    let confirm = move |_| {
        if status.get_untracked().is_working() {
            return;
        }
        let request = text.get_untracked();
        status.set(Status::Working("Preparing the payment…".to_owned()));
        leptos::task::spawn_local(async move {
            let made = async {
                let wallet = ctx.wallet()?;
                let view = wallet.pay_offline(&request).await?;
                payments.set(wallet.offline_payments().await?);
                Ok::<_, WalletError>(view)
            }
            .await;
            ctx.reload_now().await;
            match made {
                Ok(view) => {
                    status.set(Status::Idle);
                    preview.set(None);
                    paid.set(Some(view));
                    focus_id("offline-paid-heading");
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let another = move |_| {
        paid.set(None);
        text.set(String::new());
        status.set(Status::Idle);
    };

    view! {
        {move || match paid.get() {
            Some(view) => view! {
                <div class="send-result" data-testid="offline-paid">
                    <h3 id="offline-paid-heading" class="form-title" tabindex="-1">
                        {format!("Payment of {} ready: show it to the payee", format_amount(shared::Amount::from_u64(view.amount), "sat"))}
                    </h3>
                    <p class="hint">
                        "Your coins are now spent to this request. If the payee did not get it, show this same "
                        "payment again (it stays listed below); never pay the same request twice."
                    </p>
                    <OfflineText text=view.text.clone() label="Payment" testid="offline-payment-text" />
                    <div class="actions">
                        <button type="button" class="button secondary" on:click=another>"Pay another request"</button>
                    </div>
                </div>
            }
            .into_any(),
            None => view! {
                <form class="form" on:submit=check>
                    <div class="field">
                        <label for="offline-pay-request">"Payment request"</label>
                        <textarea
                            id="offline-pay-request"
                            class="input mono token"
                            rows="4"
                            placeholder="offlinereq1…"
                            autocomplete="off"
                            autocapitalize="none"
                            spellcheck="false"
                            aria-describedby="offline-pay-request-hint"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev))
                        ></textarea>
                        <p id="offline-pay-request-hint" class="hint">
                            "Paste the payee's request, or scan its QR code. No internet is needed on either side."
                        </p>
                    </div>
                    <ScanButton target=text label="Scan a request" />
                    <Show when=move || preview.get().is_none()>
                        <div class="actions">
                            <button type="submit" class="button primary">"Check request"</button>
                        </div>
                    </Show>
                </form>
                {move || preview.get().map(|request| view! { <RequestPreview request status confirm /> })}
            }
            .into_any(),
        }}
        <StatusLine status testid="offline-pay-status" />
        <PaymentsMade payments />
    }
}

/// What a request asks, and whether this wallet's coins can pay it exactly.
#[component]
fn RequestPreview(
    request: PaymentRequest,
    status: RwSignal<Status>,
    confirm: impl Fn(leptos::ev::MouseEvent) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let amount = request.amount;
    let verdict = move || ctx.offline.get().map(|balance| payable(&balance, amount));
    view! {
        <div class="preview" data-testid="offline-pay-preview">
            <h3 id="offline-pay-preview-heading" class="form-title" tabindex="-1">
                {format!("Request for {}", format_amount(shared::Amount::from_u64(amount), "sat"))}
            </h3>
            <dl class="facts">
                <div class="fact">
                    <dt>"Payee"</dt>
                    <dd>
                        "A one-time key made by the payee's wallet: "
                        <span class="mono">{short_key(&request.payee.to_hex())}</span>
                    </dd>
                </div>
                <div class="fact"><dt>"Asked at"</dt><dd>{local_unix_time(request.time)}</dd></div>
            </dl>
            {move || match verdict() {
                Some(Payable::No(reason)) => view! { <p class="check bad" data-testid="offline-pay-refusal">{reason}</p> }.into_any(),
                _ => {
                    let confirm = confirm.clone();
                    view! {
                        <p class="hint">"Check the amount with the payee. Paying spends your offline coins for good."</p>
                        <div class="actions">
                            <button type="button" class="button primary" disabled=move || status.get().is_working() on:click=confirm>
                                {format!("Pay {}", format_amount(shared::Amount::from_u64(amount), "sat"))}
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}

/// The payments made, each shown again on demand (after a reload too).
#[component]
fn PaymentsMade(payments: RwSignal<Vec<OfflinePaymentView>>) -> impl IntoView {
    view! {
        <Show when=move || !payments.get().is_empty()>
            <h3 class="form-title">"Payments you made"</h3>
            <ul class="plain-list" data-testid="offline-payments">
                {move || payments.get().into_iter().map(|payment| view! {
                    <li>
                        <details>
                            <summary>
                                {format!(
                                    "{} in {}, {}",
                                    format_amount(shared::Amount::from_u64(payment.amount), "sat"),
                                    plural(payment.coins, "coin", "coins"),
                                    local_time_ms(payment.at),
                                )}
                            </summary>
                            <OfflineText text=payment.text.clone() label="Payment" testid="offline-payment-made" />
                        </details>
                    </li>
                }).collect_view()}
            </ul>
        </Show>
    }
}
