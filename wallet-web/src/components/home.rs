//! The wallet's front screen: balance, quick actions, and the mints (with their info and balances).

use leptos::prelude::*;

use super::common::{Status, StatusLine};
use super::context::{Ctx, Tab};
use super::format::{format_amount, method_label, short_url};
use super::scanner::ScanButton;
use crate::MintView;

/// Balance, actions, mints.
#[component]
pub fn Home() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let pending_total =
        move || ctx.mints.get().iter().map(|mint| mint.pending.to_u64()).fold(0u64, u64::saturating_add);
    view! {
        <section class="card balance-card" aria-labelledby="screen-heading">
            <h1 id="screen-heading" class="kicker" tabindex="-1">"Balance"</h1>
            <p class="balance" data-testid="balance">
                {move || ctx.balance.get().map_or_else(|| "…".to_owned(), |amount| format_amount(amount, "sat"))}
            </p>
            {move || (pending_total() > 0).then(|| view! {
                <p class="hint" data-testid="balance-pending">
                    {format!("{} more in pending sends and payments", format_amount(shared::Amount::from_u64(pending_total()), "sat"))}
                </p>
            })}
            {move || ctx.load_error.get().map(|error| view! { <p class="status failed" role="alert">{error}</p> })}
            <QuickActions />
            <div class="actions">
                <button type="button" class="button secondary" on:click=move |_| ctx.go(Tab::AddMoney)>"Add money"</button>
            </div>
        </section>
        <section class="card" aria-labelledby="mints-heading">
            <h2 id="mints-heading" class="section-heading">"Your mints"</h2>
            <ul class="mint-list" data-testid="mint-list">
                {move || {
                    let mints = ctx.mints.get();
                    if mints.is_empty() {
                        view! { <li class="empty">"No mint yet. Add one below."</li> }.into_any()
                    } else {
                        mints.into_iter().map(|mint| view! { <MintCard mint /> }).collect_view().into_any()
                    }
                }}
            </ul>
            <AddMint />
        </section>
    }
}

/// The three one-tap actions: Scan (a token, a request or an offline payment, routed by what it is), Request
/// (the Receive screen's payment request) and Pay (Send); and a field to paste what was not scanned.
#[component]
fn QuickActions() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let scanned = RwSignal::new(String::new());
    let pasted = RwSignal::new(String::new());
    let status = RwSignal::new(Status::Idle);
    let open = move |text: String| {
        if let Err(reason) = ctx.open_text(&text) {
            status.set(Status::Failed(reason));
        }
    };
    // What the scanner read goes where it belongs.
    Effect::new(move |_| {
        let text = scanned.get();
        if !text.is_empty() {
            open(text);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        open(pasted.get_untracked());
    };
    let request = move |_| {
        ctx.request_first.set(true);
        ctx.go(Tab::Receive);
    };
    view! {
        <div class="quick-actions" data-testid="quick-actions">
            <div class="quick-scan">
                <ScanButton target=scanned label="Scan" />
            </div>
            <button type="button" class="button secondary quick" on:click=request>"Request"</button>
            <button type="button" class="button secondary quick" on:click=move |_| ctx.go(Tab::Send)>"Pay"</button>
        </div>
        <form class="form open-form" on:submit=submit>
            <div class="field">
                <label for="home-open">"Or paste a token or request"</label>
                <div class="row">
                    <input
                        id="home-open"
                        class="input mono"
                        type="text"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        placeholder="cashuB…, creqA…, offlinereq1…"
                        prop:value=move || pasted.get()
                        on:input=move |ev| pasted.set(event_target_value(&ev))
                    />
                    <button type="submit" class="button secondary">"Open"</button>
                </div>
            </div>
            <StatusLine status testid="home-open-status" />
        </form>
    }
}

/// One mint: name, address, balance, what it offers.
#[component]
pub fn MintCard(
    /// The mint to show.
    mint: MintView,
) -> impl IntoView {
    let MintView { url, name, description, unit, balance, pending, methods, input_fee_ppk, motd } = mint;
    let title = name.clone().unwrap_or_else(|| short_url(&url));
    let methods = if methods.is_empty() {
        "none".to_owned()
    } else {
        methods.iter().map(method_label).collect::<Vec<_>>().join(", ")
    };
    view! {
        <li class="mint">
            <div class="mint-head">
                <div>
                    <h3 class="mint-title">{title}</h3>
                    <p class="mono muted small">{url}</p>
                </div>
                <p class="mint-balance">
                    <span class="visually-hidden">"Balance at this mint: "</span>
                    {format_amount(balance, &unit)}
                </p>
            </div>
            {description.map(|text| view! { <p class="muted">{text}</p> })}
            {motd.map(|text| view! { <p class="motd" role="note"><strong>"Message from the mint: "</strong>{text}</p> })}
            <dl class="mint-facts">
                <div><dt>"Ways to add money"</dt><dd>{methods}</dd></div>
                <div><dt>"Fee"</dt><dd>{fee_label(input_fee_ppk)}</dd></div>
                {(pending.to_u64() > 0).then(|| view! {
                    <div><dt>"Pending"</dt><dd>{format_amount(pending, &unit)}</dd></div>
                })}
            </dl>
        </li>
    }
}

/// How a mint's input fee reads: "none", or "0.1 sat per note spent" (ppk / 1000, rounded up per transaction).
pub fn fee_label(input_fee_ppk: u64) -> String {
    if input_fee_ppk == 0 {
        "none".to_owned()
    } else {
        let whole = input_fee_ppk / 1000;
        let fraction = input_fee_ppk % 1000;
        let number = if fraction == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{}", format!("{fraction:03}").trim_end_matches('0'))
        };
        format!("{number} sat per note spent (rounded up per payment)")
    }
}

/// The form that adds a mint by address.
#[component]
fn AddMint() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let url = RwSignal::new(String::new());
    let search = RwSignal::new(false);
    let status = RwSignal::new(Status::Idle);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked().is_working() {
            return;
        }
        let address = match crate::MintUrl::parse(&url.get_untracked()) {
            Ok(address) => String::from(address),
            Err(reason) => return status.set(Status::Failed(reason.to_string())),
        };
        let restore = search.get_untracked();
        status.set(Status::Working(format!("Contacting {}…", short_url(&address))));
        leptos::task::spawn_local(async move {
            let result = async {
                let wallet = ctx.wallet()?;
                let mint = wallet.add_mint(&address).await?;
                let name = mint.name.clone().unwrap_or_else(|| short_url(&mint.url));
                if restore {
                    status.set(Status::Working(format!("Looking for your money at {name}…")));
                    let found = wallet.restore(&mint.url).await?;
                    Ok::<_, crate::WalletError>(format!(
                        "Added {name}; recovered {}.",
                        format_amount(found, &mint.unit)
                    ))
                } else {
                    Ok(format!("Added {name}."))
                }
            }
            .await;
            match result {
                Ok(text) => {
                    url.set(String::new());
                    status.set(Status::Done(text));
                }
                Err(error) => status.set(Status::Failed(error.to_string())),
            }
            ctx.reload_now().await;
        });
    };
    view! {
        <form class="form add-mint" on:submit=submit>
            <h3 class="form-title">"Add a mint"</h3>
            <div class="field">
                <label for="mint-url">"Mint address"</label>
                <div class="row">
                    <input
                        id="mint-url"
                        class="input mono"
                        type="url"
                        inputmode="url"
                        placeholder="https://mint.example.com"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev))
                    />
                    <button type="submit" class="button secondary" disabled=move || status.get().is_working()>"Add mint"</button>
                </div>
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || search.get() on:change=move |ev| search.set(event_target_checked(&ev)) />
                "Also look for money my recovery words hold there"
            </label>
            <StatusLine status testid="add-mint-status" />
        </form>
    }
}
