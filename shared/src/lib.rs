//! Protocol types and all cryptography shared by the mint and the wallet.
//!
//! This crate is the inner ring of the workspace: it performs **no I/O** (no network, no files, no clock)
//! and builds for native targets and `wasm32-unknown-unknown` alike. The only platform service it uses is
//! the operating system's (or browser's) random number generator, through `getrandom`, when a caller asks
//! for fresh randomness.
//!
//! Modules are named after what they are in the protocol:
//! - [`amount`]: checked amounts and their power-of-two split.
//! - [`keys`]: strict secp256k1 points and scalars ([`PublicKey`], [`SecretKey`]).
//! - [`dhke`]: blind Diffie-Hellman key exchange (NUT-00): hash_to_curve, blind, sign, unblind, verify.
//! - [`dleq`]: discrete-log-equality proofs (NUT-12).
//! - [`keyset`]: keys, keysets, keyset ids and fees (NUT-01, NUT-02), and mint key generation.
//! - [`derivation`]: deterministic secrets and blinding factors from a BIP-39 mnemonic (NUT-13).
//! - [`offline`]: offline coins (Brands' scheme): a second protocol beside Cashu's, with its own types.
//! - [`token`]: `cashuA` (v3, JSON) and `cashuB` (v4, CBOR) tokens.
//! - [`nut16`]: animated QR codes (BC-UR `ur:bytes` frames with a fountain code) and their assembly.
//! - [`nut18`]: payment requests (`creqA`) and the payload that pays them.
//! - [`nuts`]: request and response types of every endpoint, with serde names as the specs write them.
//! - [`error`]: this crate's error type; [`nuts::error`] holds the wire error codes.
//!
//! `#![no_std]` is what makes "no I/O" a fact the compiler checks: `std::fs`, `std::net`, `std::time` and
//! `std::thread` do not exist here. Heap types come from `alloc`, everything else from `core`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

extern crate alloc;

pub mod amount;
pub mod derivation;
pub mod dhke;
pub mod dleq;
pub mod error;
pub mod keys;
pub mod keyset;
pub mod nut16;
pub mod nut18;
pub mod nuts;
pub mod offline;
pub mod secret;
pub mod token;
mod util;

pub use amount::Amount;
pub use error::Error;
pub use keys::{PublicKey, SecretKey};
pub use keyset::{CurrencyUnit, Id, KeySet, KeySetInfo, Keys};
pub use nuts::nut00::{BlindSignature, BlindSignatureDleq, BlindedMessage, Proof, ProofDleq};
pub use secret::Secret;
pub use token::Token;
