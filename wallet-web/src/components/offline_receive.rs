//! Getting paid offline (the payee's side): an amount becomes a payment request shown as QR and text; the
//! payer's payment, pasted or scanned, is verified in this browser against the mint's cached offline keys
//! and kept until the wallet deposits it when online ([`crate::Wallet::receive_offline`]).

use leptos::prelude::*;
use shared::offline::OfflineError;

use super::browser::{focus_id, local_time_ms};
use super::common::{AmountField, OfflineText, Status, StatusLine};
use super::context::Ctx;
use super::format::{format_amount, parse_amount};
use super::incoming::Incoming;
use super::scanner::ScanButton;
use crate::WalletError;
use crate::offline::records::OfflineRequestView;

/// Why a payment was refused, in plain words.
pub fn refusal(error: &WalletError) -> String {
    match error {
        WalletError::Offline(OfflineError::UnknownKeyset) => "This payment uses coins of a mint whose offline keys \
            this wallet does not have yet. Open the wallet once with an internet connection so it can fetch them, \
            then check the payment again."
            .to_owned(),
        WalletError::Offline(OfflineError::OutsideValidity { .. }) => {
            "These coins were not valid at the time of your request (they expired). Refused: ask for another \
             payment."
                .to_owned()
        }
        WalletError::Offline(OfflineError::AmountMismatch { paid, requested }) => {
            format!("This payment gives {paid} sat but your request asks {requested} sat. Refused.")
        }
        WalletError::Offline(reason) => format!(
            "This payment does not check out ({reason}): it is forged, damaged or meant for someone else. \
             Refused: do not hand anything over for it."
        ),
        other => other.to_string(),
    }
}

/// The "Receive offline" part of the Offline screen.
#[component]
pub fn ReceiveOffline(
    /// Requests made, newest first (the screen loads them; this form adds to them).
    requests: RwSignal<Vec<OfflineRequestView>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let amount = RwSignal::new(String::new());
    let shown = RwSignal::new(None::<OfflineRequestView>);
    // A payment scanned on Home or opened from a link arrives filled in.
    let payment =
        RwSignal::new(ctx.take_incoming(|found| matches!(found, Incoming::OfflinePayment(_))).unwrap_or_default());
    let request_status = RwSignal::new(Status::Idle);
    let status = RwSignal::new(Status::Idle);
    let no_keys = move || ctx.offline.get().is_some_and(|balance| balance.keysets.is_empty());

    let make = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if request_status.get_untracked().is_working() {
            return;
        }
        let value = match parse_amount(&amount.get_untracked()) {
            Ok(value) => value.to_u64(),
            Err(reason) => return request_status.set(Status::Failed(reason)),
        };
        request_status.set(Status::Working("Making the request…".to_owned()));
        leptos::task::spawn_local(async move {
            let made = async {
                let wallet = ctx.wallet()?;
                let view = wallet.request_offline(value).await?;
                requests.set(wallet.offline_requests().await?);
                Ok::<_, WalletError>(view)
            }
            .await;
            match made {
                Ok(view) => {
                    request_status.set(Status::Idle);
                    amount.set(String::new());
                    shown.set(Some(view));
                    focus_id("offline-request-heading");
                }
                Err(error) => request_status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let text = payment.get_untracked();
        if text.trim().is_empty() {
            return status.set(Status::Failed("Paste the payer's payment first.".to_owned()));
        }
        status.set(Status::Working("Checking the payment…".to_owned()));
        leptos::task::spawn_local(async move {
            let checked = async {
                let wallet = ctx.wallet()?;
                let view = wallet.receive_offline(&text).await?;
                requests.set(wallet.offline_requests().await?);
                Ok::<_, WalletError>(view)
            }
            .await;
            match checked {
                Ok(view) => {
                    payment.set(String::new());
                    shown.set(None);
                    status.set(Status::Done(format!(
                        "Payment of {} verified in your browser and kept. The wallet deposits it at the mint by \
                         itself when you are online.",
                        format_amount(shared::Amount::from_u64(view.amount), "sat")
                    )));
                }
                Err(error) => status.set(Status::Failed(refusal(&error))),
            }
        });
    };

    view! {
        <Show when=no_keys>
            <p class="hint warning" data-testid="offline-no-keys">
                "This wallet does not have the mint's offline keys yet, so it cannot check a payment. It fetches "
                "them by itself when you are online."
            </p>
        </Show>
        {move || match shown.get() {
            Some(request) => view! {
                <div class="send-result" data-testid="offline-request">
                    <h3 id="offline-request-heading" class="form-title" tabindex="-1">
                        {format!("Request for {}: show it to the payer", format_amount(shared::Amount::from_u64(request.amount), "sat"))}
                    </h3>
                    <OfflineText text=request.text.clone() label="Payment request" testid="offline-request-text" />
                    <div class="actions">
                        <button type="button" class="button secondary" on:click=move |_| shown.set(None)>"Make another request"</button>
                    </div>
                </div>
            }
            .into_any(),
            None => view! {
                <form class="form" on:submit=make>
                    <AmountField value=amount id="offline-request-amount" placeholder="8"
                        hint="The payer's coins must add up to it exactly: there is no change offline." />
                    <div class="actions">
                        <button type="submit" class="button primary" disabled=move || request_status.get().is_working()>
                            "Make a payment request"
                        </button>
                    </div>
                </form>
            }
            .into_any(),
        }}
        <StatusLine status=request_status testid="offline-request-status" />
        <form class="form" on:submit=check>
            <div class="field">
                <label for="offline-payment">"Payment from the payer"</label>
                <textarea
                    id="offline-payment"
                    class="input mono token"
                    rows="4"
                    placeholder="offlinepay1…"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    aria-describedby="offline-payment-hint"
                    prop:value=move || payment.get()
                    on:input=move |ev| payment.set(event_target_value(&ev))
                ></textarea>
                <p id="offline-payment-hint" class="hint">"Paste the payment the payer shows you, or scan its QR code."</p>
            </div>
            <ScanButton target=payment label="Scan a payment" />
            <div class="actions">
                <button type="submit" class="button primary" disabled=move || status.get().is_working()>"Check payment"</button>
            </div>
        </form>
        <StatusLine status testid="offline-receive-status" />
        <RequestsMade requests />
    }
}

/// The requests made, with their state; a request still waiting can be shown again.
#[component]
fn RequestsMade(requests: RwSignal<Vec<OfflineRequestView>>) -> impl IntoView {
    view! {
        <Show when=move || !requests.get().is_empty()>
            <h3 class="form-title">"Your requests"</h3>
            <ul class="plain-list" data-testid="offline-requests">
                {move || requests.get().into_iter().map(|request| {
                    let amount = format_amount(shared::Amount::from_u64(request.amount), "sat");
                    let (class, state) = request_state(&request);
                    view! {
                        <li data-testid="offline-request-item">
                            <details>
                                <summary>
                                    {format!("{amount}, asked {} ", local_time_ms(request.created_at))}
                                    <span class=class>{state}</span>
                                </summary>
                                <OfflineText text=request.text.clone() label="Payment request" testid="offline-request-again" />
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Show>
    }
}

/// A request's state in words, and the class of its pill.
pub fn request_state(request: &OfflineRequestView) -> (&'static str, String) {
    let sat = |amount: u64| format_amount(shared::Amount::from_u64(amount), "sat");
    if request.received_at.is_none() {
        return ("pill pending", "waiting for payment".to_owned());
    }
    if let Some(problem) = &request.deposit_problem {
        return ("pill failed", format!("the mint refused its deposit: {problem}"));
    }
    let receipts = match request.receipts {
        0 => String::new(),
        1 => ", receipt verified".to_owned(),
        n => format!(", {n} receipts verified"),
    };
    if request.deposited >= request.amount {
        ("pill done", format!("deposited {}{receipts}", sat(request.deposited)))
    } else if request.deposited > 0 {
        ("pill pending", format!("{} of it deposited so far{receipts}", sat(request.deposited)))
    } else {
        ("pill done", "paid, verified; deposited when you are online".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_tells_where_its_payment_is() {
        let mut request = OfflineRequestView {
            id: String::new(),
            amount: 21,
            text: String::new(),
            created_at: 0.0,
            received_at: None,
            deposited: 0,
            receipts: 0,
            deposit_problem: None,
        };
        assert_eq!(request_state(&request).1, "waiting for payment");
        request.received_at = Some(1.0);
        assert_eq!(request_state(&request).1, "paid, verified; deposited when you are online");
        request.deposited = 16;
        request.receipts = 1;
        assert_eq!(request_state(&request).1, "16 sat of it deposited so far, receipt verified");
        request.deposited = 21;
        request.receipts = 3;
        assert_eq!(request_state(&request), ("pill done", "deposited 21 sat, 3 receipts verified".to_owned()));
        request.deposit_problem = Some("deposited already".into());
        assert_eq!(request_state(&request).0, "pill failed");
    }

    #[test]
    fn refusals_are_in_plain_words() {
        assert!(refusal(&WalletError::Offline(OfflineError::UnknownKeyset)).contains("offline keys"));
        assert!(refusal(&WalletError::Offline(OfflineError::InvalidPaymentResponse)).contains("Refused"));
        let mismatch = OfflineError::AmountMismatch { paid: 4, requested: 8 };
        assert_eq!(
            refusal(&WalletError::Offline(mismatch)),
            "This payment gives 4 sat but your request asks 8 sat. Refused."
        );
        let other = WalletError::Invalid("This request has been paid already.".into());
        assert_eq!(refusal(&other), "This request has been paid already.");
    }
}
