//! What can go wrong talking to the mint. `Display` is for people (plain words, shown on the page);
//! [`ClientError::technical`] is for the curious and for bug reports.

/// An error from a call to the mint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The request never got an answer: the mint is down, or the network is.
    #[error("The mint could not be reached. Check that it is running and that you are online, then try again.")]
    Unreachable {
        /// What the browser said.
        reason: String,
    },
    /// The mint answered with an error.
    #[error("The mint returned an error: {detail}")]
    Mint {
        /// HTTP status.
        status: u16,
        /// Cashu error code, when the mint sent a Cashu error body.
        code: Option<u16>,
        /// The mint's explanation, or the HTTP status in words.
        detail: String,
    },
    /// The mint answered, but not with what a Cashu mint sends.
    #[error("The mint's answer could not be understood. It may run an incompatible version.")]
    Malformed {
        /// Why decoding failed.
        reason: String,
    },
}

impl ClientError {
    /// The details behind the plain-words message.
    pub fn technical(&self) -> String {
        match self {
            ClientError::Unreachable { reason } => format!("network error: {reason}"),
            ClientError::Mint { status, code: Some(code), detail } => {
                format!("HTTP {status}, Cashu error code {code}: {detail}")
            }
            ClientError::Mint { status, code: None, detail } => format!("HTTP {status}: {detail}"),
            ClientError::Malformed { reason } => format!("invalid response: {reason}"),
        }
    }
}

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
        /// Cashu error code (0 when the mint gave none).
        code: u16,
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
    /// The wallet has no seed yet.
    #[error("This wallet has no recovery words yet. Create or restore a wallet first.")]
    NoSeed,
    /// A seed is stored already.
    #[error("This wallet already has recovery words.")]
    SeedExists,
    /// A quote is not paid yet.
    #[error("The quote has not been paid yet.")]
    QuoteNotPaid,
    /// The browser's storage failed.
    #[error("The wallet's storage failed: {0}")]
    Storage(String),
    /// Another operation holds the wallet.
    #[error("The wallet is busy with another operation. Try again in a moment.")]
    Busy,
    /// A request the wallet itself refuses (bad amount, unknown method, unknown id).
    #[error("{0}")]
    Invalid(String),
    /// Work is still pending at the mint (for example a payment in progress); it finishes later.
    #[error("The operation is still pending at the mint; it will finish later.")]
    Pending,
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
