//! Pending sends (with "take back") and the history of every transaction.

use leptos::prelude::*;

use super::browser::local_time_ms;
use super::common::{CopyButton, Status, StatusLine};
use super::context::Ctx;
use super::format::{format_amount, plural, short_url};
use crate::{HistoryEntry, HistoryKind, HistoryStatus, PendingSendView};

/// The "Activity" screen.
#[component]
pub fn Activity() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let status = RwSignal::new(Status::Idle);
    let refresh = move |_| {
        if status.get_untracked().is_working() {
            return;
        }
        status.set(Status::Working("Asking the mints which tokens were redeemed…".to_owned()));
        leptos::task::spawn_local(async move {
            let finished = async { ctx.wallet()?.refresh_pending_sends().await }.await;
            ctx.reload_now().await;
            match finished {
                Ok(0) => status.set(Status::Done("No new redemptions.".to_owned())),
                Ok(count) => status.set(Status::Done(format!(
                    "{} redeemed by the receiver.",
                    plural(count, "token was", "tokens were")
                ))),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="screen-title" tabindex="-1">"Activity"</h1>
            <h2 class="section-heading" id="pending-heading">"Pending sends"</h2>
            <p class="hint">"Tokens you made that nobody has redeemed yet. Take one back if it was never used."</p>
            <ul class="pending-list" aria-labelledby="pending-heading" data-testid="pending-list">
                {move || {
                    let pending = ctx.pending.get();
                    if pending.is_empty() {
                        view! { <li class="empty">"None."</li> }.into_any()
                    } else {
                        pending.into_iter().map(|send| view! { <PendingSend send /> }).collect_view().into_any()
                    }
                }}
            </ul>
            <div class="actions">
                <button type="button" class="button secondary" on:click=refresh disabled=move || status.get().is_working()>
                    "Check which were redeemed"
                </button>
            </div>
            <StatusLine status testid="pending-status" />
        </section>
        <section class="card" aria-labelledby="history-heading">
            <h2 class="section-heading" id="history-heading">"History"</h2>
            {move || {
                let history = ctx.history.get();
                if history.is_empty() {
                    view! { <p class="empty">"No transactions yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap">
                            <table class="history" data-testid="history">
                                <caption class="visually-hidden">"Every transaction, newest first"</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"When"</th>
                                        <th scope="col">"What"</th>
                                        <th scope="col" class="num">"Amount"</th>
                                        <th scope="col">"Mint"</th>
                                        <th scope="col">"Status"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {history.into_iter().map(|entry| view! { <HistoryRow entry /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn PendingSend(send: PendingSendView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let status = RwSignal::new(Status::Idle);
    let PendingSendView { send_id, mint, amount, token, created_at } = send;
    let reclaim = move |_| {
        if status.get_untracked().is_working() {
            return;
        }
        let id = send_id.clone();
        status.set(Status::Working("Taking the money back…".to_owned()));
        leptos::task::spawn_local(async move {
            let result = async { ctx.wallet()?.reclaim(&id).await }.await;
            match result {
                Ok(amount) if amount.to_u64() > 0 => {
                    ctx.banner.set(Some(format!("Took back {}.", format_amount(amount, "sat"))));
                }
                Ok(_) => ctx.banner.set(Some("That token had already been redeemed by the receiver.".to_owned())),
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
            ctx.reload_now().await;
        });
    };
    let description = format!("{} at {}", format_amount(amount, "sat"), short_url(&mint));
    view! {
        <li class="pending" data-testid="pending-send">
            <div class="pending-head">
                <div>
                    <p class="pending-amount">{format_amount(amount, "sat")}</p>
                    <p class="muted small">{format!("{} · {}", short_url(&mint), local_time_ms(created_at))}</p>
                </div>
                <button type="button" class="button secondary" aria-label=format!("Take back {description}") on:click=reclaim>
                    "Take back"
                </button>
            </div>
            <details>
                <summary>"Show token"</summary>
                <textarea class="input mono token" rows="3" readonly=true aria-label="Token">{token.clone()}</textarea>
                <CopyButton text=token label="Copy token" />
            </details>
            <StatusLine status />
        </li>
    }
}

/// The entry's local time, date and time each unbroken (on a phone the cell wraps between them).
fn when(at: f64) -> impl IntoView {
    let text = local_time_ms(at);
    match text.split_once(' ') {
        Some((date, time)) => {
            let (date, time) = (date.to_owned(), time.to_owned());
            view! { <span class="nowrap">{date}</span>" "<span class="nowrap">{time}</span> }.into_any()
        }
        None => view! { <span>{text}</span> }.into_any(),
    }
}

/// What a history entry is, in words.
pub fn kind_label(kind: HistoryKind) -> &'static str {
    match kind {
        HistoryKind::Minted => "Added",
        HistoryKind::Sent => "Sent",
        HistoryKind::Received => "Received",
        HistoryKind::Reclaimed => "Taken back",
        HistoryKind::Withdrawn => "Withdrawn",
        HistoryKind::Paid => "Paid (Lightning)",
        HistoryKind::Restored => "Restored",
        HistoryKind::OfflineWithdrawn => "Offline coins withdrawn",
        HistoryKind::OfflineRefunded => "Offline coins refunded",
        HistoryKind::BondLocked => "Bond locked",
    }
}

/// The sign and class of an entry's amount: `+` what came into the wallet, `−` what left it, none for a
/// bond (money locked at the mint, from the bank account, that neither enters nor leaves the wallet).
fn amount_style(kind: HistoryKind) -> (&'static str, &'static str) {
    match kind {
        HistoryKind::Sent | HistoryKind::Withdrawn | HistoryKind::Paid | HistoryKind::OfflineRefunded => {
            ("−", "num out")
        }
        HistoryKind::BondLocked => ("", "num"),
        HistoryKind::Minted
        | HistoryKind::Received
        | HistoryKind::Reclaimed
        | HistoryKind::Restored
        | HistoryKind::OfflineWithdrawn => ("+", "num in"),
    }
}

#[component]
fn HistoryRow(entry: HistoryEntry) -> impl IntoView {
    let HistoryEntry { at, kind, mint, amount, fee, status, memo, .. } = entry;
    let (sign, class) = amount_style(kind);
    let status_text = match status {
        HistoryStatus::Pending => "Pending",
        HistoryStatus::Done => "Done",
        HistoryStatus::Failed => "Failed",
        HistoryStatus::Internal => status.as_str(),
    };
    view! {
        <tr data-testid="history-row" data-kind=kind_label(kind) data-status=status.as_str()>
            <td class="nowrap when">{when(at)}</td>
            <td>
                {kind_label(kind)}
                {memo.map(|text| view! { <span class="muted small">{format!(" · {text}")}</span> })}
            </td>
            <td class=class>
                {format!("{sign}{}", format_amount(amount, "sat"))}
                {(fee.to_u64() > 0).then(|| view! { <span class="muted small">{format!(" fee {}", format_amount(fee, "sat"))}</span> })}
            </td>
            <td class="mono small">{short_url(&mint)}</td>
            <td><span class=format!("pill {}", status.as_str())>{status_text}</span></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_label() {
        let kinds = [
            HistoryKind::Minted,
            HistoryKind::Sent,
            HistoryKind::Received,
            HistoryKind::Reclaimed,
            HistoryKind::Withdrawn,
            HistoryKind::Paid,
            HistoryKind::Restored,
            HistoryKind::OfflineWithdrawn,
            HistoryKind::OfflineRefunded,
            HistoryKind::BondLocked,
        ];
        let mut labels: Vec<&str> = kinds.iter().map(|k| kind_label(*k)).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), kinds.len());
        // Coins withdrawn come in, refunded ones leave; a bond moves nothing in the wallet.
        assert_eq!(amount_style(HistoryKind::OfflineWithdrawn).0, "+");
        assert_eq!(amount_style(HistoryKind::OfflineRefunded).0, "−");
        assert_eq!(amount_style(HistoryKind::BondLocked).0, "");
    }
}
