//! The "Offline" screen: offline coins, apart from the online balance. Their value, the amounts they pay
//! exactly and each keyset's expiry; paying ([`super::offline_pay`]) and getting paid
//! ([`super::offline_receive`]) with no network on either side; getting coins at the mint
//! ([`super::offline_account`]); the link to the double-spend evidence ([`super::evidence`]).

use leptos::prelude::*;

use super::browser::local_unix_time;
use super::context::{Ctx, Tab};
use super::format::{format_amount, plural, short_url};
use super::offline_account::OfflineAccount;
use super::offline_pay::PayOffline;
use super::offline_receive::ReceiveOffline;
use crate::offline::denominations::describe_ranges;
use crate::offline::records::{OfflinePaymentView, OfflineRequestView};

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
                format!("{} sat", describe_ranges(&balance.payable, balance.payable_truncated))
            };
            let restored = balance.restored;
            view! {
                <dl class="facts" data-testid="offline-facts">
                    <div class="fact">
                        <dt>"Amounts you can pay exactly"</dt>
                        <dd data-testid="offline-payable">{payable_text}</dd>
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
                                    local_unix_time(keyset.valid_until),
                                    local_unix_time(keyset.deposit_deadline),
                                )}
                            </p>
                        </li>
                    }).collect_view()}
                </ul>
            }
        })
    }
}

fn sat(amount: u64) -> String {
    format_amount(shared::Amount::from_u64(amount), "sat")
}
