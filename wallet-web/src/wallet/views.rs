//! What the wallet's methods return: plain data for the screens to render, and the history entries the
//! store keeps (table `history`).

use shared::Amount;
use shared::nuts::{MintQuoteBolt11Response, MintQuoteState, PaymentMethod};

/// A mint as the wallet shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintView {
    /// Its address, normalized ([`crate::MintUrl`]).
    pub url: String,
    /// Its name.
    pub name: Option<String>,
    /// Its short description.
    pub description: Option<String>,
    /// The unit of its keysets this wallet uses (`sat`).
    pub unit: String,
    /// Spendable notes at this mint.
    pub balance: Amount,
    /// Notes in pending sends and operations in flight.
    pub pending: Amount,
    /// Mint (NUT-04) methods it offers, e.g. `bolt11`, `bank`.
    pub methods: Vec<PaymentMethod>,
    /// Fee per input of its active keyset, in parts per thousand.
    pub input_fee_ppk: u64,
    /// Message of the day.
    pub motd: Option<String>,
}

/// A mint quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteView {
    /// Quote id.
    pub id: String,
    /// `bolt11` or `bank`.
    pub method: PaymentMethod,
    /// Amount to mint.
    pub amount: Amount,
    /// What to pay (a bolt11 invoice; for `bank` the mint's reference).
    pub request: String,
    /// Unpaid, paid or issued.
    pub state: MintQuoteState,
    /// Unix time until which it can be paid.
    pub expiry: Option<u64>,
}

/// A prepared token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendView {
    /// The pending send's id (for [`Wallet::reclaim`]).
    pub send_id: String,
    /// The `cashuB` token.
    pub token: String,
    /// Its value.
    pub amount: Amount,
    /// Fee paid to the mint to prepare it (swap input fees).
    pub fee: Amount,
}

/// A melt quote for a Lightning invoice: what paying it costs at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceQuoteView {
    /// Quote id.
    pub id: String,
    /// The invoice's amount.
    pub amount: Amount,
    /// The most the routing fee may be (the mint's fee reserve; what it does not use comes back, NUT-08).
    pub fee_reserve: Amount,
    /// Unix time until which the quote holds.
    pub expiry: u64,
}

/// A Lightning invoice paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// The invoice's amount.
    pub amount: Amount,
    /// The fee reserve the payment was funded with.
    pub fee_reserve: Amount,
    /// What the payment cost beyond the amount: the routing fee and the mint's input fees (those of a swap
    /// for exact notes too, when one ran first).
    pub fee: Amount,
    /// What came back as change notes (NUT-08: the unused fee reserve and any overpayment).
    pub change: Amount,
}

/// Whether a token's notes carry valid DLEQ proofs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DleqStatus {
    /// Every note carries a proof that checks against the mint's keys.
    AllValid,
    /// Some note carries no proof (or the mint's keys are not known yet).
    Missing,
    /// Some proof does not check: the token is forged or damaged.
    Invalid,
}

/// What a token holds, checked offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPreview {
    /// The mint's URL.
    pub mint: String,
    /// Total value.
    pub amount: Amount,
    /// Unit.
    pub unit: String,
    /// Memo.
    pub memo: Option<String>,
    /// Number of notes.
    pub notes: usize,
    /// Whether the mint is in the wallet.
    pub mint_known: bool,
    /// DLEQ check result.
    pub dleq: DleqStatus,
}

/// A received token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveView {
    /// The mint.
    pub mint: String,
    /// Amount added to the wallet (after fees).
    pub amount: Amount,
    /// Fee the mint took.
    pub fee: Amount,
}

/// A token sent but not yet redeemed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingSendView {
    /// Id.
    pub send_id: String,
    /// The mint.
    pub mint: String,
    /// Value.
    pub amount: Amount,
    /// The token, to show again.
    pub token: String,
    /// Milliseconds since the epoch.
    pub created_at: f64,
}

/// The kind of a history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HistoryKind {
    /// Notes issued for a paid quote.
    Minted,
    /// A token prepared.
    Sent,
    /// A token received.
    Received,
    /// A pending send taken back.
    Reclaimed,
    /// Money moved to a bank account.
    Withdrawn,
    /// A Lightning invoice paid (NUT-05 melt, method `bolt11`); its fee is what the payment really cost.
    Paid,
    /// Notes recovered from the seed.
    Restored,
    /// Offline coins withdrawn, paid for from the bank account at the mint.
    OfflineWithdrawn,
    /// Offline coins never deposited, refunded to the bank account after their keyset's deposit deadline.
    OfflineRefunded,
    /// A bond locked from the bank account at the mint, backing the offline limit.
    BondLocked,
}

/// Where a history entry stands. Stored as `pending`, `done`, `failed` or `internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryStatus {
    /// Its operation is in flight (or waits for its mint).
    Pending,
    /// Finished.
    Done,
    /// Refused by the mint and undone.
    Failed,
    /// The entry of a step inside another operation (the swap to exact denominations before a withdrawal):
    /// removed when the step ends, since the operation's own entry tells the story.
    Internal,
}

impl HistoryStatus {
    /// The stored name: `pending`, `done`, `failed` or `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Pending => "pending",
            HistoryStatus::Done => "done",
            HistoryStatus::Failed => "failed",
            HistoryStatus::Internal => "internal",
        }
    }
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    /// Id.
    pub id: String,
    /// Milliseconds since the epoch.
    pub at: f64,
    /// What happened.
    pub kind: HistoryKind,
    /// The mint.
    pub mint: String,
    /// Amount.
    pub amount: Amount,
    /// Fee.
    pub fee: Amount,
    /// Where it stands.
    pub status: HistoryStatus,
    /// Memo.
    pub memo: Option<String>,
}

/// What [`Wallet::recover`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Operations completed.
    pub finished: usize,
    /// Operations undone (their notes released).
    pub rolled_back: usize,
    /// Operations still waiting for their mint.
    pub still_pending: usize,
}

pub(crate) fn quote_view(method: PaymentMethod, amount: Amount, quote: MintQuoteBolt11Response) -> QuoteView {
    QuoteView {
        id: quote.quote,
        method: quote.method.as_deref().map_or(method, PaymentMethod::from),
        amount: quote.amount.unwrap_or(amount),
        request: quote.request,
        state: quote.state,
        expiry: quote.expiry,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn history_status_is_stored_by_name() {
        for status in [HistoryStatus::Pending, HistoryStatus::Done, HistoryStatus::Failed, HistoryStatus::Internal] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<HistoryStatus>(&json).unwrap(), status);
        }
    }
}

/// What a payment request (NUT-18 `creqA…`) asks, as the wallet checks it before paying
/// ([`crate::Wallet::pay_request`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestAsk {
    /// The payee's id for the request, if it has one.
    pub id: Option<String>,
    /// The amount asked; `None`: the payer chooses.
    pub amount: Option<Amount>,
    /// The unit asked (`sat`); `None`: any.
    pub unit: Option<String>,
    /// The mints the payee accepts, as written in the request; empty: any.
    pub mints: Vec<String>,
    /// What the payment is for.
    pub description: Option<String>,
    /// Whether the request locks the payment to a spending condition (NUT-10), which this wallet cannot make.
    pub locked: bool,
}
