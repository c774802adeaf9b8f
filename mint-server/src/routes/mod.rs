//! The Cashu API under `/v1`. Handlers are thin: extract, call the core, map the error.

pub mod admin;
mod cashu;
mod extract;
pub mod health;
pub mod info;
pub mod limit;
mod metrics;
mod offline;
pub(crate) use metrics::{serve as serve_metrics, track};

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;

/// The routes under `/v1` (to be nested there). Unknown paths and methods get Cashu error bodies, so
/// wallets never have to parse an HTML or empty error page.
///
/// Quote creation, `POST /v1/bank/pay` and offline deposits are rate-limited per client when
/// `quote_rate_limit` is set ([`limit`]; three buckets per client, one for each).
///
/// Every request's lists of inputs and outputs are counted before their points are decoded
/// ([`extract::count_limits`]).
pub fn v1(state: AppState) -> Router<AppState> {
    let quote_limit = state.quote_rate_limit;
    let quotes = Router::new()
        .route("/mint/quote/{method}", post(cashu::mint_quote))
        .route("/melt/quote/{method}", post(cashu::melt_quote));
    let quotes = match quote_limit.and_then(limit::config) {
        Some(config) => quotes.layer(tower_governor::GovernorLayer::new(config).error_handler(limit::refusal)),
        None => quotes,
    };
    // The other unauthenticated write: paying a quote from an account costs a client only a signature
    // check that fails. Same limit, a bucket of its own (a wallet pays each quote it creates).
    let bank = Router::new().route("/bank/pay", post(cashu::bank_pay));
    let bank = match quote_limit.and_then(limit::config) {
        Some(config) => bank.layer(tower_governor::GovernorLayer::new(config).error_handler(limit::refusal)),
        None => bank,
    };
    // Offline deposits too: anyone can send one (the payee key is anyone's), and each costs the mint a
    // lookup and, unless it is a replay, the curve work of a deposit. A bucket of its own.
    // A batch (`/offline/deposits`) draws one permit per deposit from the same bucket.
    let deposits = Router::new()
        .route("/offline/deposit", post(offline::deposit))
        .route("/offline/deposits", post(offline::deposit_batch));
    let deposit_limit = quote_limit.and_then(limit::config);
    let deposits = match deposit_limit.clone() {
        Some(config) => deposits.layer(tower_governor::GovernorLayer::new(config).error_handler(limit::refusal)),
        None => deposits,
    };
    let deposits = deposits.layer(axum::Extension(offline::DepositLimit(deposit_limit)));
    Router::new()
        .merge(quotes)
        .merge(bank)
        .merge(deposits)
        .route("/info", get(info::get_info))
        .route("/keys", get(cashu::keys))
        .route("/keys/{keyset_id}", get(cashu::keyset_keys))
        .route("/keysets", get(cashu::keysets))
        .route("/swap", post(cashu::swap))
        .route("/checkstate", post(cashu::check_state))
        .route("/restore", post(cashu::restore))
        .route("/mint/quote/{method}/{quote_id}", get(cashu::mint_quote_state))
        .route("/mint/{method}", post(cashu::mint))
        .route("/melt/quote/{method}/{quote_id}", get(cashu::melt_quote_state))
        .route("/melt/{method}", post(cashu::melt))
        .route("/offline/keysets", get(offline::keysets))
        .route("/offline/register", post(offline::register))
        .route("/offline/bond", post(offline::bond))
        .route("/offline/accounts/{account}", get(offline::account))
        .route("/offline/accounts/{account}/withdrawals", get(offline::withdrawals))
        .route("/offline/session", post(offline::session))
        .route("/offline/withdraw", post(offline::withdraw))
        .route("/offline/evidence", get(offline::evidence))
        .route("/offline/refund", post(offline::refund))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(state, extract::count_limits))
}

/// The operator's routes (to be nested under `/admin`), behind the admin token.
pub fn admin(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/accounts", post(admin::create_account))
        .route("/accounts/{id}", get(admin::show_account))
        .route("/accounts/{id}/credit", post(admin::credit_account))
        .route("/keysets/rotate", post(admin::rotate_keyset))
        .route("/offline/prune", post(offline::prune))
        .fallback(not_found)
        .route_layer(axum::middleware::from_fn_with_state(state, admin::require_token))
}

async fn not_found(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound { method, path: uri.path().to_owned() }
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed { method, path: uri.path().to_owned() }
}
