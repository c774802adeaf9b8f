//! The "Offline" screen: offline coins, apart from the online balance. Their value, the amounts they pay
//! exactly and each keyset's expiry; paying ([`super::offline_pay`]) and getting paid
//! ([`super::offline_receive`]) with no network on either side; getting coins at the mint
//! ([`super::offline_account`]); the link to the double-spend evidence ([`super::evidence`]). Also the pieces those parts share: [`OfflineText`], [`payable`], [`short_key`].

use leptos::prelude::*;

use super::common::CopyButton;
use super::context::{Ctx, Tab};
use super::format::{format_amount, format_unix_time, plural, short_url};
use super::offline_account::OfflineAccount;
use super::offline_pay::PayOffline;
use super::offline_receive::ReceiveOffline;
use super::qr::QrCode;
use crate::offline::denominations::describe_ranges;
use crate::offline::records::{OfflineBalanceView, OfflinePaymentView, OfflineRequestView};

/// Whether the offline coins pay an amount exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payable {
    /// Yes.
    Yes,
    /// Perhaps: the list of payable amounts was cut short before it (the wallet decides when paying).
    Unknown,
    /// No; why, in plain words, with the amounts that can be paid.
    No(String),
}

/// Whether `balance`'s coins pay `amount` exactly.
pub fn payable(balance: &OfflineBalanceView, amount: u64) -> Payable {
    if balance.payable.iter().any(|(from, to)| (*from..=*to).contains(&amount)) {
        return Payable::Yes;
    }
    if balance.spendable < amount {
        return Payable::No(format!(
            "You have {} in offline coins, less than the {} asked. Offline coins must be withdrawn beforehand, \
             while online.",
            sat(balance.spendable),
            sat(amount)
        ));
    }
    if balance.payable_truncated && balance.payable.last().is_some_and(|(_, to)| *to < amount) {
        return Payable::Unknown;
    }
    Payable::No(format!(
        "Your offline coins cannot make exactly {} (there is no change offline). They can pay: {}.",
        sat(amount),
        describe_ranges(&balance.payable, balance.payable_truncated)
    ))
}

fn sat(amount: u64) -> String {
    format_amount(shared::Amount::from_u64(amount), "sat")
}

/// `02ab12cd…89ef` for a long hex key: enough to compare by eye.
pub fn short_key(hex: &str) -> String {
    match (hex.get(..8), hex.get(hex.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if hex.len() > 16 => format!("{head}…{tail}"),
        _ => hex.to_owned(),
    }
}

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
            <CopyButton text label="Copy" />
        </div>
    }
}

/// The "Offline" screen.
#[component]
pub fn Offline() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let payments = RwSignal::new(Vec::<OfflinePaymentView>::new());
    let requests = RwSignal::new(Vec::<OfflineRequestView>::new());
    // Everything here is read from this browser's storage: the screen works with no network.
    leptos::task::spawn_local(async move {
        if let Ok(wallet) = ctx.wallet() {
            if let Ok(made) = wallet.offline_payments().await {
                payments.set(made);
            }
            if let Ok(made) = wallet.offline_requests().await {
                requests.set(made);
            }
        }
        ctx.reload_now().await;
    });
    view! {
        <section class="card balance-card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="kicker" tabindex="-1">"Offline coins"</h1>
            <p
                class="balance"
                data-testid="offline-balance"
                data-keysets=move || ctx.offline.get().map(|balance| balance.keysets.len())
            >
                {move || ctx.offline.get().map_or_else(|| "…".to_owned(), |balance| sat(balance.spendable))}
            </p>
            <p class="hint">
                "Offline coins pay and get paid with no internet on either side. They are kept apart from your "
                "balance of "
                {move || ctx.balance.get().map(|amount| format_amount(amount, "sat")).unwrap_or_default()}
                ", which needs the mint."
            </p>
            <OfflineBalance />
        </section>
        <section class="card" aria-labelledby="offline-pay-heading">
            <h2 id="offline-pay-heading" class="section-heading">"Pay offline"</h2>
            <PayOffline payments />
        </section>
        <section class="card" aria-labelledby="offline-receive-heading">
            <h2 id="offline-receive-heading" class="section-heading">"Receive offline"</h2>
            <ReceiveOffline requests />
        </section>
        <section class="card" aria-labelledby="offline-account-heading">
            <h2 id="offline-account-heading" class="section-heading">"Get offline coins"</h2>
            <OfflineAccount />
        </section>
        <section class="card" aria-labelledby="offline-evidence-heading">
            <h2 id="offline-evidence-heading" class="section-heading">"Double spending"</h2>
            <p class="hint">
                "A browser cannot stop someone from paying with the same offline coin twice. The mint finds out "
                "when the payees deposit, names the cheater and repays the honest payee from the cheater's bond. "
                "The evidence is public, and your browser checks it itself."
            </p>
            <div class="actions">
                <button type="button" class="button secondary" on:click=move |_| ctx.go(Tab::Evidence)>
                    "See double-spend evidence"
                </button>
            </div>
        </section>
    }
}

/// What the offline coins can pay, and per keyset until when.
#[component]
fn OfflineBalance() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        ctx.offline.get().map(|balance| {
            let payable_text = if balance.payable.is_empty() {
                "nothing yet".to_owned()
            } else {
                describe_ranges(&balance.payable, balance.payable_truncated)
            };
            let restored = balance.restored;
            view! {
                <dl class="facts" data-testid="offline-facts">
                    <div class="fact">
                        <dt>"Amounts you can pay exactly"</dt>
                        <dd data-testid="offline-payable">{format!("{payable_text} (sat)")}</dd>
                    </div>
                    {(restored > 0).then(|| view! {
                        <div class="fact">
                            <dt>"Restored coins"</dt>
                            <dd>
                                {format!("{} restored from your recovery words. ", sat(restored))}
                                "They are never spent offline (the lost device may have spent them already); they "
                                "are claimed back at the mint once their deposit deadline has passed."
                            </dd>
                        </div>
                    })}
                </dl>
                <ul class="plain-list" data-testid="offline-keysets">
                    {balance.keysets.into_iter().filter(|keyset| keyset.coins > 0).map(|keyset| view! {
                        <li class="entry">
                            <p>
                                {format!(
                                    "{} in {} from {}",
                                    sat(keyset.amount),
                                    plural(keyset.coins, "coin", "coins"),
                                    short_url(&keyset.mint),
                                )}
                            </p>
                            <p class="hint">
                                {format!(
                                    "Pay with them until {}; coins received must be deposited by {}.",
                                    format_unix_time(keyset.valid_until),
                                    format_unix_time(keyset.deposit_deadline),
                                )}
                            </p>
                        </li>
                    }).collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balance(spendable: u64, payable: Vec<(u64, u64)>, truncated: bool) -> OfflineBalanceView {
        OfflineBalanceView { spendable, restored: 0, payable, payable_truncated: truncated, keysets: vec![] }
    }

    #[test]
    fn amounts_are_payable_or_refused_in_plain_words() {
        let coins = balance(12, vec![(4, 4), (8, 8), (12, 12)], false);
        assert_eq!(payable(&coins, 8), Payable::Yes);
        assert_eq!(
            payable(&coins, 5),
            Payable::No(
                "Your offline coins cannot make exactly 5 sat (there is no change offline). They can pay: 4, 8, 12."
                    .to_owned()
            )
        );
        let Payable::No(reason) = payable(&coins, 20) else { panic!("more than the coins hold") };
        assert!(reason.starts_with("You have 12 sat in offline coins, less than the 20 sat asked."), "{reason}");
        assert_eq!(payable(&balance(100, vec![(1, 1), (4, 5)], true), 50), Payable::Unknown);
        assert!(matches!(payable(&balance(0, vec![], false), 1), Payable::No(_)));
    }

    #[test]
    fn keys_are_shortened_for_the_eye() {
        assert_eq!(short_key("02abcdef0123456789abcdef"), "02abcdef…cdef");
        assert_eq!(short_key("02ab"), "02ab");
    }
}
