//! The "Evidence" page: the double-spend evidence each mint publishes, every entry checked in this browser
//! (not taken on the mint's word), marked when it concerns a payment this wallet received
//! ([`crate::Wallet::offline_evidence`]).

use leptos::prelude::*;

use super::common::{Status, StatusLine};
use super::context::{Ctx, Tab};
use super::format::{format_amount, short_key, short_url};
use crate::MintUrl;
use crate::offline::records::EvidenceView;

/// The "Evidence" page.
#[component]
pub fn Evidence() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let cases = RwSignal::new(None::<Vec<(String, EvidenceView)>>);
    let status = RwSignal::new(Status::Working("Fetching the evidence and checking it…".to_owned()));
    leptos::task::spawn_local(async move {
        let Ok(wallet) = ctx.wallet() else { return };
        let mut found = Vec::new();
        let mut problems = Vec::new();
        for mint in ctx.mints.get_untracked() {
            let fetched = async { wallet.offline_evidence(&MintUrl::parse(&mint.url)?).await }.await;
            match fetched {
                Ok(entries) => found.extend(entries.into_iter().map(|entry| (mint.url.clone(), entry))),
                Err(error) => problems.push(error.to_string()),
            }
        }
        status.set(if problems.is_empty() { Status::Idle } else { Status::Failed(problems.join(" ")) });
        cases.set(Some(found));
    });
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Double-spend evidence"</h1>
            <p>
                "When someone pays two people with the same offline coin, the two payments together reveal who "
                "did it. The mint publishes both; your browser checks them itself, so nobody has to take the "
                "mint's word for it, and the mint cannot blame someone who did not cheat."
            </p>
            <StatusLine status testid="evidence-status" />
            {move || cases.get().map(|list| {
                if list.is_empty() {
                    view! { <p class="empty" data-testid="evidence-empty">"No double spending has been published."</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list" data-testid="evidence-list">
                            {list.into_iter().map(|(mint, case)| view! { <Case mint case /> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            })}
            <div class="actions">
                <button type="button" class="button secondary" on:click=move |_| ctx.go(Tab::Offline)>"Back to offline coins"</button>
            </div>
        </section>
    }
}

/// One case.
#[component]
fn Case(mint: String, case: EvidenceView) -> impl IntoView {
    let verdict = match (&case.identity, &case.problem) {
        (Some(identity), _) if case.verified => view! {
            <p class="check ok">
                {format!(
                    "Verified in your browser: both payments are genuine and were made by the holder of identity {}.",
                    short_key(identity)
                )}
            </p>
        }
        .into_any(),
        (_, problem) => view! {
            <p class="check bad">
                {format!("This entry does not check out: {}", problem.clone().unwrap_or_default())}
            </p>
        }
        .into_any(),
    };
    view! {
        <li class="entry" data-testid="evidence-case">
            <p class="strong">
                {format!("A coin of {} spent twice, at {}", format_amount(shared::Amount::from_u64(case.amount), "sat"), short_url(&mint))}
            </p>
            {verdict}
            {case.concerns_my_deposit.then(|| view! {
                <p><span class="pill done" data-testid="evidence-mine">"Concerns a payment you received"</span></p>
            })}
            {case.is_me.then(|| view! {
                <p class="check bad">"The identity named is this wallet's own."</p>
            })}
            <p class="hint mono">
                {format!("Coin {} · payees {} and {}", short_key(&case.coin), short_key(&case.payees[0]), short_key(&case.payees[1]))}
            </p>
        </li>
    }
}
