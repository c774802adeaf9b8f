//! What can go wrong in the wallet: one error type, [`WalletError`], whose `Display` is in plain words for
//! the page, and the one reader of a mint's `{code, detail}` error body ([`WalletError::from_mint_answer`]).

use shared::nuts::{ErrorCode, ErrorResponse};

/// What can go wrong in a wallet operation. `Display` is in plain words, for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The mint did not answer (offline, down, or a timeout). Nothing was lost: pending work resumes later.
    #[error("Could not reach the mint at {mint}. Check your connection and try again. ({reason})")]
    Network {
        /// The mint's URL.
        mint: String,
        /// What the browser said.
        reason: String,
    },
    /// The mint refused the request with a Cashu error.
    #[error("The mint refused: {detail} (code {code})")]
    Mint {
        /// Cashu error code (`Unknown(0)` when the mint gave none).
        code: ErrorCode,
        /// The mint's explanation.
        detail: String,
    },
    /// The mint answered something a Cashu mint does not send.
    #[error("The mint's answer could not be understood: {0}")]
    BadResponse(String),
    /// The notes of a token were already redeemed.
    #[error("This token has already been redeemed.")]
    AlreadySpent,
    /// Not enough spendable money at that mint.
    #[error("Not enough funds: {available} available, {needed} needed.")]
    InsufficientFunds {
        /// Spendable at the mint, after fees.
        available: shared::Amount,
        /// What the operation needs, fees included.
        needed: shared::Amount,
    },
    /// A pasted token could not be read.
    #[error("This is not a valid token: {0}")]
    InvalidToken(String),
    /// The recovery words are not a valid BIP-39 phrase.
    #[error("These recovery words are not valid. Check each word and their order.")]
    InvalidMnemonic,
    /// The mint is not in the wallet.
    #[error("The mint at {0} is not in this wallet. Add it first.")]
    UnknownMint(String),
    /// A signature's DLEQ proof does not match the mint's published keys.
    #[error("The mint's signature could not be verified against its published keys.")]
    DleqInvalid,
    /// A token's note came without DLEQ proof and the user did not choose to receive it without one.
    #[error(
        "This token carries no offline proof that its mint issued it. Receive it without proof only if you trust the sender."
    )]
    DleqMissing,
    /// The wallet has no seed yet.
    #[error("This wallet has no recovery words yet. Create or restore a wallet first.")]
    NoSeed,
    /// A seed is stored already.
    #[error("This wallet already has recovery words.")]
    SeedExists,
    /// The passphrase does not open the recovery words (AES-GCM's tag did not match). Nothing was changed.
    #[error("That passphrase is not right. Nothing was changed; try again.")]
    WrongPassphrase,
    /// The recovery words are sealed under a passphrase and this page has not been unlocked yet.
    #[error("The wallet is locked. Enter its passphrase first.")]
    Locked,
    /// The recovery words are sealed under a passphrase, which this action asks for.
    #[error("Enter the wallet's passphrase to do this.")]
    PassphraseRequired,
    /// The browser's cryptography failed or is not offered here.
    #[error("The browser's cryptography failed: {0}")]
    Crypto(String),
    /// A quote is not paid yet.
    #[error("The quote has not been paid yet.")]
    QuoteNotPaid,
    /// The browser's storage failed.
    #[error("The wallet's storage failed: {0}")]
    Storage(String),
    /// The browser has no Web Locks here (an insecure context) and another tab has this wallet open.
    #[error(
        "This wallet is open in another tab. Over this connection (not https) the browser cannot keep two tabs from spending the same money: close the other tab and try again."
    )]
    OtherTab,
    /// Another operation holds the wallet.
    #[error("The wallet is busy with another operation. Try again in a moment.")]
    Busy,
    /// A request the wallet itself refuses (bad amount, unknown method, unknown id).
    #[error("{0}")]
    Invalid(String),
    /// Work is still pending at the mint (for example a payment in progress); it finishes later.
    #[error("The operation is still pending at the mint; it will finish later.")]
    Pending,
    /// An offline coin, payment or keyset was refused (`shared::offline`).
    #[error("Offline coins: {0}.")]
    Offline(#[from] shared::offline::OfflineError),

    /// The mint still holds notes in this wallet.
    #[error("This mint still holds money in the wallet; move or spend it first.")]
    MintNotEmpty,
}

impl From<shared::Error> for WalletError {
    fn from(error: shared::Error) -> Self {
        match error {
            shared::Error::InvalidToken(reason) => WalletError::InvalidToken(reason),
            shared::Error::InvalidMnemonic(_) => WalletError::InvalidMnemonic,
            shared::Error::InvalidDleq | shared::Error::MissingDleq => WalletError::DleqInvalid,
            other => WalletError::Invalid(other.to_string()),
        }
    }
}

impl WalletError {
    /// The error of `mint`'s non-2xx answer with HTTP status `status` and body `body`: the Cashu
    /// `{code, detail}` of a 4xx answer whose body is one ([`WalletError::Mint`], the mint's verdict). Anything
    /// else is no verdict and counts as [`WalletError::Network`]: a 5xx (the mint answers 500 after a failed
    /// fsync of a batch it applied), a proxy's 502/503/504, a body that is not a Cashu error, a 429 (rate
    /// limited). The request may have been applied; the caller keeps its op pending and resends it (NUT-19).
    pub fn from_mint_answer(mint: &str, status: u16, body: &str) -> WalletError {
        match serde_json::from_str::<ErrorResponse>(body) {
            // Too many requests (429, code 14006 from this mint): nothing was done, and it is no verdict on
            // the request either; it goes again later.
            _ if status == 429 => WalletError::Network {
                mint: mint.to_owned(),
                reason: "the mint asks to slow down (too many requests); it will be tried again".into(),
            },
            Ok(error) if (400..500).contains(&status) => WalletError::Mint { code: error.code, detail: error.detail },
            _ => WalletError::Network {
                mint: mint.to_owned(),
                reason: format!("HTTP {status} without a verdict; the outcome is unknown"),
            },
        }
    }

    /// Whether the mint's refusal `code` proves that it applied nothing: the request was malformed,
    /// unbalanced, for an unknown or inactive keyset, or its quote was not payable. Spent inputs, issued
    /// quotes and signed outputs (11001, 20002, 11003) are not in this list (the request may have been
    /// applied before: restore by `B'`), nor pending states, nor codes this wallet does not know
    /// (`Unknown`): those leave the op pending.
    pub fn is_definitive_refusal(code: ErrorCode) -> bool {
        matches!(
            code,
            ErrorCode::TokenNotVerified
                | ErrorCode::TransactionUnbalanced
                | ErrorCode::AmountOutofLimitRange
                | ErrorCode::DuplicateInputs
                | ErrorCode::DuplicateOutputs
                | ErrorCode::MultipleUnits
                | ErrorCode::UnitMismatch
                | ErrorCode::AmountlessInvoiceNotSupported
                | ErrorCode::IncorrectQuoteAmount
                | ErrorCode::UnsupportedUnit
                | ErrorCode::MaxInputsExceeded
                | ErrorCode::MaxOutputsExceeded
                | ErrorCode::KeysetNotFound
                | ErrorCode::KeysetInactive
                | ErrorCode::KeysetExpired
                | ErrorCode::QuoteNotPaid
                | ErrorCode::MintingDisabled
                | ErrorCode::QuoteExpired
                | ErrorCode::WitnessMissingOrInvalid
                | ErrorCode::PubkeyRequired
                | ErrorCode::MalformedRequest
                | ErrorCode::QuoteNotFound
                | ErrorCode::UnsupportedMethod
                | ErrorCode::InvalidPaymentRequest
                | ErrorCode::UnknownAccount
                | ErrorCode::InsufficientAccountFunds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cashu_error_bodies() {
        let error = WalletError::from_mint_answer("m", 400, r#"{"code":11001,"detail":"Token already spent."}"#);
        assert_eq!(
            error,
            WalletError::Mint { code: ErrorCode::TokenAlreadySpent, detail: "Token already spent.".into() }
        );
        assert_eq!(error.to_string(), "The mint refused: Token already spent. (code 11001)");
        // No verdict: a proxy's page, a 5xx even with a Cashu body, a 4xx without one.
        for (status, body) in [
            (502, "<html>Bad Gateway</html>"),
            (504, ""),
            (500, r#"{"code":0,"detail":"fsync failed"}"#),
            (503, r#"{"code":11005,"detail":"unbalanced"}"#),
            (400, "not json"),
            (429, r#"{"code":14006,"detail":"too many requests from this client: retry in 3 s"}"#),
            (429, "Too Many Requests"),
        ] {
            let error = WalletError::from_mint_answer("m", status, body);
            assert!(matches!(error, WalletError::Network { .. }), "{status} {body}: {error:?}");
        }
        assert!(WalletError::is_definitive_refusal(ErrorCode::TransactionUnbalanced));
        assert!(WalletError::is_definitive_refusal(ErrorCode::KeysetNotFound));
        // This mint's own codes (14xxx): refusals that prove nothing was done, except the rate limit.
        for code in [14000, 14001, 14002, 14003, 14004, 14005] {
            assert!(WalletError::is_definitive_refusal(ErrorCode::from_code(code)), "{code}");
        }
        assert!(!WalletError::is_definitive_refusal(ErrorCode::RateLimited));
        for code in
            [ErrorCode::Unknown(0), ErrorCode::TokenAlreadySpent, ErrorCode::TokenPending, ErrorCode::QuotePending]
        {
            assert!(!WalletError::is_definitive_refusal(code), "{code:?}");
        }
    }
}
