//! Adding money: mint quotes (NUT-04, methods `bolt11` and `bank`), paying a `bank` quote from the user's
//! account at the mint, and issuing the notes of a paid quote (journaled).

use shared::nuts::bank::{BankPayRequest, Payment};
use shared::nuts::{MintInfo, MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState, PaymentMethod};
use shared::{Amount, CurrencyUnit, SecretKey};

use super::engine::{Engine, max_denomination, mint_quote_path, mint_quote_state_path, positive, quote_key, to_json};
use super::journal::{Funding, Swap};
use super::records::{Destination, OpKind, QuoteRecord};
use super::views::HistoryKind;
use crate::WalletError;
use crate::mint_url::MintUrl;
use crate::store::{Batch, Table, get_json};

/// The prefix of the [`crate::store::Table::Meta`] key holding a mint's next NUT-20 quote key index (not
/// [`super::engine::QUOTE_PREFIX`], which recovery reads as quote records).
const QUOTE_LOCK_PREFIX: &str = "quote-lock-counter:";

/// The secret key of the user's bank account at the mint at `mint`, derived from the seed and the mint's
/// address ([`shared::nuts::bank::account_secret_key`]): one key per mint.
pub(crate) async fn account_key(engine: &Engine, mint: &MintUrl) -> Result<SecretKey, WalletError> {
    Ok(shared::nuts::bank::account_secret_key(&engine.seed().await?, mint.as_str())?)
}

/// The `POST /v1/bank/pay` body paying `quote` from `account`: signed by the account key at that mint over
/// the mint's identity (`pubkey` of its `/v1/info`, fetched again when the stored info has none), the
/// quote id, amount and unit, and the account ([`shared::nuts::bank::pay_message`]).
async fn pay_request(engine: &Engine, quote: &QuoteRecord, account: &str) -> Result<BankPayRequest, WalletError> {
    let record = engine.mint_record(quote.mint.as_str()).await?;
    let identity = match record.info.pubkey {
        Some(pubkey) => pubkey,
        None => {
            let info: MintInfo = engine.get_as(&record.url, "/v1/info").await?;
            info.pubkey.ok_or_else(|| {
                WalletError::Invalid(
                    "This mint publishes no identity key (pubkey in /v1/info): it cannot be paid from an account."
                        .into(),
                )
            })?
        }
    };
    let key = account_key(engine, &record.url).await?;
    let payment =
        Payment { mint: &identity, quote: &quote.id, amount: quote.amount, unit: &CurrencyUnit::Sat, account };
    let signature = shared::nuts::bank::sign_payment(&key, &payment)?;
    Ok(BankPayRequest { quote: quote.id.clone(), account: account.to_owned(), signature })
}

/// Asks `mint` for a quote of `amount` by `method`, and remembers it.
pub(crate) async fn request_quote(
    engine: &Engine,
    mint: &str,
    method: &PaymentMethod,
    amount: Amount,
) -> Result<MintQuoteBolt11Response, WalletError> {
    if let PaymentMethod::Other(name) = method {
        return Err(WalletError::Invalid(format!("Unknown payment method {name:?}.")));
    }
    positive(amount)?;
    let record = engine.mint_record(mint).await?;
    // NUT-20: every quote is locked to a fresh seed-derived key; the index moves on before the request
    // leaves, so no key is ever used for two quotes.
    let counter_key = format!("{QUOTE_LOCK_PREFIX}{}", record.url);
    let index: u32 = get_json(&*engine.store, Table::Meta, &counter_key).await?.unwrap_or(0);
    let next = index.checked_add(1).ok_or_else(|| WalletError::Invalid("quote key counter overflow".into()))?;
    let mut batch = Batch::new();
    batch.put(Table::Meta, counter_key, &next)?;
    engine.store.commit(batch).await?;
    let lock_key = shared::nuts::nut20::quote_secret_key(&engine.seed().await?, record.url.as_str(), index)?;
    let request = MintQuoteBolt11Request {
        amount,
        unit: CurrencyUnit::Sat,
        description: None,
        pubkey: Some(lock_key.public_key()),
    };
    let quote: MintQuoteBolt11Response = engine.post_as(&record.url, &mint_quote_path(method), &request).await?;
    // A mint without NUT-20 ignores the key (and answers none): its quote is not locked.
    let lock = match quote.pubkey {
        Some(pubkey) if pubkey == lock_key.public_key() => Some(index),
        None => None,
        Some(_) => return Err(WalletError::Invalid("The mint locked the quote to a key that is not ours.".into())),
    };
    let stored = QuoteRecord {
        id: quote.quote.clone(),
        method: method.clone(),
        mint: record.url.clone(),
        amount,
        issued: false,
        lock,
    };
    let mut batch = Batch::new();
    batch.put(Table::Meta, quote_key(&record.url, &quote.quote), &stored)?;
    engine.store.commit(batch).await?;
    Ok(quote)
}

/// A quote this wallet asked for.
async fn quote_record(engine: &Engine, mint: &str, quote_id: &str) -> Result<QuoteRecord, WalletError> {
    let url = MintUrl::parse(mint)?;
    get_json(&*engine.store, Table::Meta, &quote_key(&url, quote_id))
        .await?
        .ok_or_else(|| WalletError::Invalid("This wallet did not ask for that quote.".into()))
}

/// The quote's state at the mint.
pub(crate) async fn check_quote(
    engine: &Engine,
    mint: &str,
    quote_id: &str,
) -> Result<(QuoteRecord, MintQuoteBolt11Response), WalletError> {
    let quote = quote_record(engine, mint, quote_id).await?;
    let state = engine.get_as(&quote.mint, &mint_quote_state_path(&quote.method, &quote.id)).await?;
    Ok((quote, state))
}

/// Pays a `bank` quote from account `account` (`POST /v1/bank/pay`, signed with the account key).
pub(crate) async fn pay_from_account(
    engine: &Engine,
    mint: &str,
    quote_id: &str,
    account: &str,
) -> Result<(), WalletError> {
    let quote = quote_record(engine, mint, quote_id).await?;
    let request = pay_request(engine, &quote, account).await?;
    let _: MintQuoteBolt11Response = engine.post_as(&quote.mint, "/v1/bank/pay", &request).await?;
    Ok(())
}

/// Issues the notes of a paid quote; returns the amount added.
pub(crate) async fn mint_paid(engine: &Engine, mint: &str, quote_id: &str) -> Result<Amount, WalletError> {
    let quote = quote_record(engine, mint, quote_id).await?;
    issue(engine, &quote, None).await
}

/// Pays a `bank` quote from account `account` and issues its notes, as one journaled op: the payment's
/// body is journaled with the mint request, so a lost answer or a reload between payment and issue ends
/// in notes on recovery, never in a debited account alone. Returns the amount added.
pub(crate) async fn pay_and_mint(
    engine: &Engine,
    mint: &str,
    quote_id: &str,
    account: &str,
) -> Result<Amount, WalletError> {
    let quote = quote_record(engine, mint, quote_id).await?;
    if quote.method != PaymentMethod::Bank {
        return Err(WalletError::Invalid("Only a bank quote is paid from an account.".into()));
    }
    let pay = pay_request(engine, &quote, account).await?;
    issue(engine, &quote, Some(to_json(&pay)?)).await
}

/// Recovery's look at a quote this wallet asked for and has no op for: mints it when the mint says PAID
/// (paid from another device, or the payment's op lost before this version journaled it), forgets it
/// when expired unpaid; an ISSUED one is marked issued. Whether it minted.
pub(crate) async fn mint_if_paid(engine: &Engine, quote: &QuoteRecord) -> Result<bool, WalletError> {
    let state: MintQuoteBolt11Response =
        engine.get_as(&quote.mint, &mint_quote_state_path(&quote.method, &quote.id)).await?;
    let now = (engine.now_ms() / 1000.0) as u64;
    let expired = state.expiry.is_some_and(|expiry| expiry < now);
    match state.state {
        MintQuoteState::Paid => issue(engine, quote, None).await.map(|_| true),
        MintQuoteState::Issued => {
            let mut batch = Batch::new();
            batch.put(
                Table::Meta,
                quote_key(&quote.mint, &quote.id),
                &QuoteRecord { issued: true, ..quote.clone() },
            )?;
            engine.store.commit(batch).await.map(|()| false)
        }
        MintQuoteState::Unpaid if expired => forget(engine, quote).await.map(|()| false),
        MintQuoteState::Unpaid => Ok(false),
    }
}

async fn forget(engine: &Engine, quote: &QuoteRecord) -> Result<(), WalletError> {
    let mut batch = Batch::new();
    batch.delete(Table::Meta, quote_key(&quote.mint, &quote.id));
    engine.store.commit(batch).await
}

/// The journaled mint op of `quote`, paying it first with the `pay` body when given.
async fn issue(engine: &Engine, quote: &QuoteRecord, pay: Option<String>) -> Result<Amount, WalletError> {
    let record = engine.mint_record(quote.mint.as_str()).await?;
    let lock = match quote.lock {
        Some(index) => Some(shared::nuts::nut20::quote_secret_key(&engine.seed().await?, record.url.as_str(), index)?),
        None => None,
    };
    let max = max_denomination(&record)?;
    let amounts: Vec<(Amount, Destination)> =
        quote.amount.split_with_max(max)?.into_iter().map(|a| (a, Destination::Keep)).collect();
    let history = engine.new_entry(HistoryKind::Minted, &record.url, quote.amount, Amount::ZERO, None)?;
    let swap = Swap {
        kind: OpKind::Mint,
        mint: &record,
        funding: Funding::Mint { method: quote.method.clone(), quote: quote.id.clone(), pay, lock },
        outputs: &amounts,
        send_id: None,
        memo: None,
        history: &history,
    };
    let (_, outcome) = swap.run(engine).await?;
    outcome.done()?;
    Ok(quote.amount)
}
