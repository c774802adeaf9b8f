//! Wire types of the Cashu protocol, one module per NUT, with serde names exactly as the specs write
//! them. Unknown fields are ignored (forward compatibility); missing required fields are errors.

pub mod bank;
pub mod error;
pub mod method;
pub mod nut00;
pub mod nut01;
pub mod nut02;
pub mod nut03;
pub mod nut04;
pub mod nut05;
pub mod nut06;
pub mod nut07;
pub mod nut09;
pub mod nut19;
pub mod nut20;

pub use error::{ErrorCode, ErrorResponse};
pub use method::PaymentMethod;
pub use nut00::{BlindSignature, BlindSignatureDleq, BlindedMessage, Proof, ProofDleq};
pub use nut01::KeysResponse;
pub use nut02::KeysetResponse;
pub use nut03::{SwapRequest, SwapResponse};
pub use nut04::{MintQuoteBolt11Request, MintQuoteBolt11Response, MintQuoteState, MintRequest, MintResponse};
pub use nut05::{MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltQuoteState, MeltRequest};
pub use nut06::{MintInfo, Nuts};
pub use nut07::{CheckStateRequest, CheckStateResponse, ProofState, State};
pub use nut09::{RestoreRequest, RestoreResponse};
