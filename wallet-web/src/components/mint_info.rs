//! The panel describing the mint: loading, error and loaded states.

use leptos::prelude::*;

use crate::ClientError;
use crate::client;
use crate::mint_info::{MintSummary, NutStatus, Support, summarize};

/// Fetches `GET /v1/info` from the mint that served the page and shows it.
#[component]
pub fn MintInfoPanel() -> impl IntoView {
    let info = LocalResource::new(client::fetch_info);
    let retry = move |_| info.refetch();

    view! {
        <section class="card" aria-labelledby="mint-heading" aria-describedby="mint-kicker">
            <p id="mint-kicker" class="kicker">"Your mint"</p>
            <Transition fallback=Loading>
                <ErrorBoundary fallback=move |errors| {
                    view! { <LoadError errors on_retry=retry /> }
                }>
                    {move || Suspend::new(async move {
                        info.await.map(|info| view! { <MintDetails summary=summarize(&info) /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn Loading() -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <h1 id="mint-heading" class="mint-name">"Connecting to the mint…"</h1>
        </div>
    }
}

#[component]
fn LoadError(errors: ArcRwSignal<Errors>, on_retry: impl Fn(leptos::ev::MouseEvent) + 'static) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| {
                let technical = error.downcast_ref::<ClientError>().map(ClientError::technical);
                view! {
                    <p class="error-message">{error.to_string()}</p>
                    {technical.map(|text| view! {
                        <details class="technical">
                            <summary>"Technical details"</summary>
                            <code>{text}</code>
                        </details>
                    })}
                }
            })
            .collect_view()
    };
    view! {
        <div class="error" role="alert">
            <h1 id="mint-heading" class="mint-name">"Could not load the mint's details"</h1>
            {messages}
            <button type="button" class="button" on:click=on_retry>
                "Try again"
            </button>
        </div>
    }
}

#[component]
fn MintDetails(summary: MintSummary) -> impl IntoView {
    let supported = summary.supported_count();
    let total = summary.nuts.len();
    let MintSummary { name, version, description, description_long, motd, server_time, nuts } = summary;
    view! {
        <h1 id="mint-heading" class="mint-name">{name}</h1>
        {description.map(|text| view! { <p class="description">{text}</p> })}
        {motd.map(|text| view! { <p class="motd" role="note"><strong>"Message from the mint: "</strong>{text}</p> })}
        <dl class="facts">
            <div class="fact">
                <dt>"Software"</dt>
                <dd class="mono" data-testid="mint-version">{version}</dd>
            </div>
            {client::mint_origin().map(|origin| view! {
                <div class="fact">
                    <dt>"Address"</dt>
                    <dd class="mono" data-testid="mint-address">{origin}</dd>
                </div>
            })}
            {server_time.map(|time| view! {
                <div class="fact">
                    <dt>"Mint clock"</dt>
                    <dd>{time}</dd>
                </div>
            })}
        </dl>
        {description_long.map(|text| view! { <p class="description-long">{text}</p> })}
        <h2 id="nuts-heading" class="section-title">
            "Protocol features "
            <span class="count">{format!("{supported} of {total} supported")}</span>
        </h2>
        <ul class="nuts" aria-labelledby="nuts-heading">
            {nuts.into_iter().map(|nut| view! { <NutRow nut /> }).collect_view()}
        </ul>
    }
}

#[component]
fn NutRow(nut: NutStatus) -> impl IntoView {
    let badge_class = match nut.support {
        Support::Supported(_) => "badge badge-yes",
        Support::Disabled => "badge badge-off",
        Support::Unsupported => "badge badge-no",
    };
    let detail = match &nut.support {
        Support::Supported(detail) if !detail.is_empty() => Some(detail.clone()),
        _ => None,
    };
    view! {
        <li class="nut">
            <span class="nut-label mono">{nut.label()}</span>
            <span class="nut-title">
                {nut.title}
                {detail.map(|text| view! { <span class="nut-detail">{text}</span> })}
            </span>
            <span class=badge_class>{nut.support.badge()}</span>
        </li>
    }
}
