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
