//! Getting offline coins (online, at the mint): use a bank account at the mint for offline coins, lock a
//! bond from it, withdraw coins with a progress bar ([`crate::Wallet::offline_register`],
//! [`crate::Wallet::offline_lock_bond`], [`crate::Wallet::offline_withdraw`]).

use leptos::prelude::*;

use super::common::{AmountField, MintSelect, Status, StatusLine};
use super::context::Ctx;
use super::format::{format_amount, parse_amount};
use crate::offline::records::OfflineAccountView;
use crate::{MintUrl, WalletError};

fn sat(amount: u64) -> String {
    format_amount(shared::Amount::from_u64(amount), "sat")
}

/// The "Get offline coins" part of the Offline screen.
#[component]
pub fn OfflineAccount() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let mint = RwSignal::new(String::new());
    let account = RwSignal::new(None::<OfflineAccountView>);
    let number = RwSignal::new(String::new());
    let bond = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let status = RwSignal::new(Status::Idle);

    // The account's state at the chosen mint (asks the mint once registered; offline, says so).
    Effect::new(move |_| {
        let url = mint.get();
        if url.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match async { ctx.wallet()?.offline_account(&MintUrl::parse(&url)?).await }.await {
                Ok(view) => account.set(Some(view)),
                Err(error @ WalletError::Network { .. }) => status.set(Status::Failed(format!(
                    "Getting offline coins needs the mint; you can still pay and get paid offline. {error}"
                ))),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    });

    // Runs one operation on the chosen mint, then shows the account again.
    let run = move |working: &'static str, op: OfflineOp| {
        if status.get_untracked().is_working() {
            return;
        }
        let url = mint.get_untracked();
        status.set(Status::Working(working.to_owned()));
        leptos::task::spawn_local(async move {
            let done = async {
                let wallet = ctx.wallet()?;
                let url = MintUrl::parse(&url)?;
                let text = match op {
                    OfflineOp::Register(number) => {
                        wallet.offline_register(&url, &number).await?;
                        format!("Account {number} can now be used for offline coins. Lock a bond next.")
                    }
                    OfflineOp::Bond(value) => {
                        let view = wallet.offline_lock_bond(&url, value).await?;
                        format!(
                            "Locked {} more. Your bond is {}: you can withdraw up to that in offline coins per period.",
                            sat(value),
                            sat(view.bond)
                        )
                    }
                    OfflineOp::Withdraw(value) => {
                        progress.set(Some((0, 0)));
                        let added =
                            wallet.offline_withdraw(&url, value, |done, total| progress.set(Some((done, total)))).await;
                        progress.set(None);
                        format!("Withdrew {} in offline coins.", sat(added?))
                    }
                };
                account.set(Some(wallet.offline_account(&url).await?));
                Ok::<_, WalletError>(text)
            }
            .await;
            ctx.reload_now().await;
            match done {
                Ok(text) => status.set(Status::Done(text)),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };

    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = number.get_untracked().trim().to_owned();
        if value.is_empty() {
            return status.set(Status::Failed("Enter your account number at the mint.".to_owned()));
        }
        run("Registering this wallet for offline coins…", OfflineOp::Register(value));
    };
    let lock = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_amount(&bond.get_untracked()) {
            Ok(value) => {
                bond.set(String::new());
                run("Locking the bond…", OfflineOp::Bond(value.to_u64()))
            }
            Err(reason) => status.set(Status::Failed(reason)),
        }
    };
    let withdraw = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_amount(&amount.get_untracked()) {
            Ok(value) => {
                amount.set(String::new());
                run("Withdrawing offline coins…", OfflineOp::Withdraw(value.to_u64()))
            }
            Err(reason) => status.set(Status::Failed(reason)),
        }
    };

    view! {
        <p class="hint">
            "Offline coins come from your bank account at the mint. First lock a bond there: money the mint keeps "
            "as a guarantee, which repays anyone cheated if your coins were ever spent twice. You can then withdraw "
            "offline coins up to your bond in each period."
        </p>
        <div class="field">
            <label for="offline-mint">"Mint"</label>
            <MintSelect selected=mint id="offline-mint" />
        </div>
        {move || account.get().map(|view| {
            if view.registered {
                view! {
                    <dl class="facts" data-testid="offline-account">
                        <div class="fact"><dt>"Bank account"</dt><dd>{view.account.clone().unwrap_or_default()}</dd></div>
                        <div class="fact"><dt>"Bond"</dt><dd data-testid="offline-bond">{sat(view.bond)}</dd></div>
                        <div class="fact">
                            <dt>"You can still withdraw this period"</dt>
                            <dd data-testid="offline-available">{sat(view.available)}</dd>
                        </div>
                        {view.blocked.then(|| view! {
                            <div class="fact">
                                <dt>"Blocked"</dt>
                                <dd>"The mint blocked offline withdrawals for this account after a coin was spent twice."</dd>
                            </div>
                        })}
                    </dl>
                    <form class="form" on:submit=lock>
                        <AmountField value=bond id="offline-bond-amount" placeholder="100"
                            hint="Taken from your bank account at the mint; it stays locked there." />
                        <div class="actions">
                            <button type="submit" class="button secondary" disabled=move || status.get().is_working()>"Lock bond"</button>
                        </div>
                    </form>
                    <form class="form" on:submit=withdraw>
                        <AmountField value=amount id="offline-withdraw-amount" placeholder="50"
                            hint="Taken from your bank account; the coins are chosen so that every amount up to it can be paid exactly." />
                        <div class="actions">
                            <button type="submit" class="button primary" disabled=move || status.get().is_working()>"Withdraw offline coins"</button>
                        </div>
                    </form>
                }
                .into_any()
            } else {
                view! {
                    <form class="form" on:submit=register>
                        <div class="field">
                            <label for="offline-account-number">"Your account number at the mint"</label>
                            <input id="offline-account-number" class="input mono" type="text" autocomplete="off"
                                prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev)) />
                            <p class="hint">"The bank account the mint's operator opened for your account key (see Settings)."</p>
                        </div>
                        <div class="actions">
                            <button type="submit" class="button primary" disabled=move || status.get().is_working()>"Use it for offline coins"</button>
                        </div>
                    </form>
                }
                .into_any()
            }
        })}
        {move || progress.get().map(|(done, total)| view! {
            <div class="field">
                <label for="offline-withdraw-progress">{format!("Coin {done} of {total}")}</label>
                <progress id="offline-withdraw-progress" data-testid="offline-withdraw-progress" max=total value=done></progress>
            </div>
        })}
        <StatusLine status testid="offline-account-status" />
    }
}

/// An operation of this form.
enum OfflineOp {
    Register(String),
    Bond(u64),
    Withdraw(u64),
}
