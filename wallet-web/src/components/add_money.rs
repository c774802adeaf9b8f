//! Adding money (a mint quote paid from a bank account at the mint, or a Lightning invoice) and withdrawing it
//! to a bank account.

use leptos::prelude::*;

use super::common::{AmountField, CopyButton, MintField, Status, StatusLine, SubmitRow, typed_amount};
use super::context::Ctx;
use super::format::{format_amount, method_label};
use super::qr::QrCode;
use crate::platform::sleep;
use shared::nuts::{MintQuoteState, PaymentMethod};

use crate::{QuoteView, Wallet, WalletError};

/// How long the page waits for an invoice to be paid before it gives up (it can be retried).
const INVOICE_WAIT_SECONDS: u32 = 300;

/// The "Add money" screen.
#[component]
pub fn AddMoney() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let mint = RwSignal::new(String::new());
    let method = RwSignal::new(None::<PaymentMethod>);
    let amount = RwSignal::new(String::new());
    let account = RwSignal::new(String::new());
    let account_key = RwSignal::new(None::<String>);
    let invoice = RwSignal::new(None::<QuoteView>);
    let status = RwSignal::new(Status::Idle);

    // The account key is derived from the seed and the mint's address: load it for the chosen mint.
    Effect::new(move |_| {
        let url = mint.get();
        leptos::task::spawn_local(async move {
            let key = if url.is_empty() { None } else { async { ctx.wallet()?.account_pubkey(&url).await }.await.ok() };
            account_key.set(key);
        });
    });

    let methods = move || {
        let url = mint.get();
        ctx.mints.get().into_iter().find(|m| m.url == url).map(|m| m.methods).unwrap_or_default()
    };
    // Keep the chosen method among those the chosen mint offers; prefer the bank account.
    Effect::new(move |_| {
        let offered = methods();
        if !method.get_untracked().is_some_and(|chosen| offered.contains(&chosen)) {
            let preferred = [PaymentMethod::Bank, PaymentMethod::Bolt11].into_iter().find(|m| offered.contains(m));
            method.set(preferred.or_else(|| offered.first().cloned()));
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let Some(value) = typed_amount(amount, status) else { return };
        let Some(chosen) = method.get_untracked() else {
            return status.set(Status::Failed("This mint offers no way to add money.".to_owned()));
        };
        let account_id = account.get_untracked().trim().to_owned();
        if chosen == PaymentMethod::Bank && account_id.is_empty() {
            return status.set(Status::Failed("Enter your account number at the mint.".to_owned()));
        }
        let mint_url = mint.get_untracked();
        invoice.set(None);
        status.set(Status::Working("Asking the mint for a quote…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = top_up(ctx, &mint_url, chosen, value, &account_id, status, invoice).await;
            invoice.set(None);
            match result {
                Ok(added) => {
                    ctx.reload_now().await;
                    let balance = ctx.balance.get_untracked().map(|b| format_amount(b, "sat")).unwrap_or_default();
                    amount.set(String::new());
                    status.set(Status::Done(format!(
                        "Added {}. Your balance is {balance}.",
                        format_amount(added, "sat")
                    )));
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Add money"</h1>
            <form class="form" on:submit=submit>
                <MintField selected=mint id="add-mint" label="Mint" />
                <fieldset class="field">
                    <legend>"Pay with"</legend>
                    {move || {
                        let offered = methods();
                        if offered.is_empty() {
                            return view! { <p class="hint">"This mint offers no way to add money."</p> }.into_any();
                        }
                        offered
                            .into_iter()
                            .map(|name| {
                                let value = name.clone();
                                let checked = name.clone();
                                view! {
                                    <label class="radio">
                                        <input
                                            type="radio"
                                            name="method"
                                            value=name.to_string()
                                            prop:checked=move || method.get().as_ref() == Some(&checked)
                                            on:change=move |_| method.set(Some(value.clone()))
                                        />
                                        {match &name {
                                            PaymentMethod::Bank => "My bank account at the mint".to_owned(),
                                            PaymentMethod::Bolt11 => "A Lightning invoice".to_owned(),
                                            other => method_label(other),
                                        }}
                                    </label>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </fieldset>
                <AmountField value=amount id="add-amount" placeholder="100" />
                <Show when=move || method.get() == Some(PaymentMethod::Bank)>
                    <div class="field">
                        <label for="add-account">"Your account number at the mint"</label>
                        <input
                            id="add-account"
                            class="input mono"
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            aria-describedby="account-key-hint"
                            prop:value=move || account.get()
                            on:input=move |ev| account.set(event_target_value(&ev))
                        />
                    </div>
                    <AccountKey key=account_key />
                </Show>
                <StatusLine status testid="add-money-status" />
                {move || invoice.get().map(|quote| view! {
                    <div class="invoice" data-testid="invoice">
                        <p>"Pay this invoice from a Lightning wallet. This page continues by itself once it is paid."</p>
                        <QrCode text=quote.request.clone() label="QR code of the invoice".to_owned() />
                        <textarea class="input mono token" rows="3" readonly=true aria-label="Invoice">{quote.request.clone()}</textarea>
                        <CopyButton text=quote.request.clone() label="Copy invoice" />
                    </div>
                })}
                <SubmitRow status label="Add money" />
            </form>
        </section>
        <Withdraw account />
    }
}

/// Quote, payment, issuance: returns the amount added.
async fn top_up(
    ctx: Ctx,
    mint: &str,
    method: PaymentMethod,
    amount: shared::Amount,
    account: &str,
    status: RwSignal<Status>,
    invoice: RwSignal<Option<QuoteView>>,
) -> Result<shared::Amount, WalletError> {
    let wallet: Wallet = ctx.wallet()?;
    let quote = wallet.request_mint_quote(mint, method.clone(), amount).await?;
    if method == PaymentMethod::Bank {
        status.set(Status::Working("Paying from your account and issuing your notes…".to_owned()));
        return wallet.pay_and_mint(mint, &quote.id, account).await;
    }
    if quote.state == MintQuoteState::Unpaid {
        invoice.set(Some(quote.clone()));
        status.set(Status::Working("Waiting for the invoice to be paid…".to_owned()));
        let mut paid = false;
        for _ in 0..INVOICE_WAIT_SECONDS {
            let current = wallet.check_mint_quote(mint, &quote.id).await?;
            if current.state != MintQuoteState::Unpaid {
                paid = true;
                break;
            }
            sleep(1000).await;
        }
        if !paid {
            return Err(WalletError::QuoteNotPaid);
        }
    }
    status.set(Status::Working("Issuing your notes…".to_owned()));
    wallet.mint_paid_quote(mint, &quote.id).await
}

/// The account public key, to give to the mint's operator.
#[component]
fn AccountKey(key: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div class="account-key" id="account-key-hint">
            <p class="hint">
                "No account yet? Give this key to the mint's operator. They open an account for it and tell you its "
                "number. Only this wallet can spend from that account. Each mint gets its own key."
            </p>
            {move || key.get().map(|text| view! {
                <p class="mono key" data-testid="account-key">{text.clone()}</p>
                <CopyButton text=text label="Copy key" />
            })}
        </div>
    }
}

/// Moving money back into a bank account at the mint.
#[component]
fn Withdraw(account: RwSignal<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let mint = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let status = RwSignal::new(Status::Idle);
    let has_bank = move || {
        let url = mint.get();
        ctx.mints.get().iter().any(|m| m.url == url && m.methods.contains(&PaymentMethod::Bank))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let Some(value) = typed_amount(amount, status) else { return };
        let account_id = account.get_untracked().trim().to_owned();
        if account_id.is_empty() {
            return status.set(Status::Failed("Enter the account number to pay into.".to_owned()));
        }
        let mint_url = mint.get_untracked();
        status.set(Status::Working("Moving the money to your account…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = async { ctx.wallet()?.withdraw_to_account(&mint_url, value, &account_id).await }.await;
            ctx.reload_now().await;
            match result {
                Ok(moved) => {
                    amount.set(String::new());
                    status.set(Status::Done(format!("Moved {} to account {account_id}.", format_amount(moved, "sat"))));
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="withdraw-heading">
            <h2 id="withdraw-heading" class="section-heading">"Withdraw to a bank account"</h2>
            <form class="form" on:submit=submit>
                <MintField selected=mint id="withdraw-mint" label="From mint" />
                <Show
                    when=has_bank
                    fallback=|| view! { <p class="hint">"This mint does not pay out to bank accounts."</p> }
                >
                    <div class="field">
                        <label for="withdraw-account">"Account number"</label>
                        <input
                            id="withdraw-account"
                            class="input mono"
                            type="text"
                            autocomplete="off"
                            prop:value=move || account.get()
                            on:input=move |ev| account.set(event_target_value(&ev))
                        />
                    </div>
                    <AmountField
                        value=amount
                        id="withdraw-amount"
                        hint="The mint's fee, if any, is taken from your notes on top of this amount."
                    />
                    <StatusLine status testid="withdraw-status" />
                    <div class="actions">
                        <button type="submit" class="button secondary" disabled=move || status.get().is_working()>"Withdraw"</button>
                    </div>
                </Show>
            </form>
        </section>
    }
}
