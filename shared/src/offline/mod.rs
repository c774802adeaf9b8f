//! Offline coins (Brands' scheme on secp256k1): paid between two people with no mint in reach; a second
//! spend of the same coin reveals the payer's identity. A second protocol beside Cashu's, with its own
//! types: nothing here is a Cashu type, and an [`OfflineKeysetId`] is not a [`crate::Id`].
//!
//! Each module documents its equations and hash inputs; the public specification is `docs/offline-coins.md`
//! (frozen vectors: `tests/vectors/offline-v1.json`). Modules, each importing only those before it:
//! - [`error`]: the error type, [`OfflineError`].
//! - [`hash`]: `TH`, `Hq`, the versioned tags, keyed derivation of scalars.
//! - [`generators`]: `g1`, `g2` by RFC 9380 hash-to-curve.
//! - [`wire`]: public scalars, hex bytes, BIP-340 signatures.
//! - [`keyset`]: [`OfflineKeyset`] (`h_j`, validity, deposit deadline), [`OfflineMintKeyset`].
//! - [`account`]: [`IdentitySecret`] `u1`, identity `I`, [`Registration`] with its proof of knowledge.
//! - [`coin`]: [`Coin`] and its check.
//! - [`withdrawal`]: the blind signature as state machines ([`MintSession`], [`PendingWithdrawal`]).
//! - [`payment`]: [`PaymentRequest`], challenge, answers, [`Payment`] and its check.
//! - [`deposit`]: [`DepositTranscript`], signed by the payee.
//! - [`evidence`]: identity extraction and [`DoubleSpendEvidence`].
//! - [`receipt`]: [`DepositReceipt`], signed by the mint.
//! - [`refund`]: [`OwnershipProof`], that a coin is bound to an account (refunds after the deadline).
//! - [`auth`]: signed requests to the mint (account key, payee key), the mint's receipt key.
//! - [`api`]: the JSON bodies of the mint's `/v1/offline` endpoints.
//!
//! Constant time wherever the user's secrets are involved (k256 scalar and point arithmetic); functions that
//! only check public data say so with `_vartime`. No clock: callers pass times (Unix seconds).

pub mod account;
pub mod api;
pub mod auth;
pub mod coin;
pub mod deposit;
pub mod error;
pub mod evidence;
pub mod generators;
pub mod hash;
pub mod keyset;
pub mod payment;
pub mod receipt;
pub mod refund;
pub mod wire;
pub mod withdrawal;

pub use account::{IdentitySecret, Registration};
pub use coin::Coin;
pub use deposit::DepositTranscript;
pub use error::OfflineError;
pub use evidence::{DoubleSpendEvidence, extract_identity_vartime};
pub use generators::{Generators, generators};
pub use keyset::{OfflineKeyset, OfflineKeysetId, OfflineMintKeyset};
pub use payment::{Payment, PaymentRequest, SpentCoin};
pub use receipt::{DepositOutcome, DepositReceipt};
pub use refund::OwnershipProof;
pub use wire::{HexBytes, PublicScalar};
pub use withdrawal::{
    BlindedChallenge, CoinSecrets, MintSession, PendingWithdrawal, SessionResponse, SessionStart, WalletCoin,
};

#[cfg(test)]
mod tests {
    use alloc::format;

    use super::*;
    use crate::{CurrencyUnit, SecretKey};

    struct World {
        mint: OfflineMintKeyset,
        u1: IdentitySecret,
    }

    fn world() -> World {
        let mint = OfflineMintKeyset::derive(b"master", 0, 8, CurrencyUnit::Sat, 1_000, 2_000, 3_000).unwrap();
        World { mint, u1: IdentitySecret::from_seed(&[1u8; 64]).unwrap() }
    }

    fn withdraw(world: &World, amount: u64) -> WalletCoin {
        let identity = world.u1.identity().unwrap();
        let (session, start) =
            MintSession::start(&world.mint, amount, &identity, SecretKey::random().unwrap()).unwrap();
        let secrets = CoinSecrets::random().unwrap();
        let (pending, challenge) = PendingWithdrawal::prepare(&identity, &world.mint.public, &start, secrets).unwrap();
        let response = session.respond(&challenge).unwrap();
        pending.finish(&response).unwrap()
    }

    #[test]
    fn withdraw_pay_deposit_double_spend() {
        let world = world();
        let coin = withdraw(&world, 4);
        assert!(coin.is_bound_to(&world.u1).unwrap());
        coin.coin.verify_vartime(&world.mint.public).unwrap();
        assert!(!format!("{coin:?}").contains("SecretKey"));

        let payee_key = SecretKey::random().unwrap();
        let request = PaymentRequest::new(payee_key.public_key(), 1_500, 4).unwrap();
        let payment = Payment::pay(&world.u1, core::slice::from_ref(&coin), &request).unwrap();
        payment.verify_vartime(&request, core::slice::from_ref(&world.mint.public)).unwrap();
        let first = DepositTranscript::sign(&payment.coins[0], &request, &payee_key).unwrap();
        first.verify_deposit_vartime(&world.mint.public, 3_000).unwrap();
        assert_eq!(first.verify_deposit_vartime(&world.mint.public, 3_001), Err(OfflineError::DepositDeadlinePassed));

        // One transcript reveals nothing.
        assert!(extract_identity_vartime(&first, &first).is_err());

        let other_key = SecretKey::random().unwrap();
        let request2 = PaymentRequest::new(other_key.public_key(), 1_600, 4).unwrap();
        let spent2 = coin.respond(&world.u1, &request2).unwrap();
        let second = DepositTranscript::sign(&spent2, &request2, &other_key).unwrap();
        let (evidence, identity) = DoubleSpendEvidence::new(world.mint.public.clone(), first.clone(), second).unwrap();
        assert_eq!(identity, world.u1.identity().unwrap());
        let json = serde_json::to_string(&evidence).unwrap();
        let decoded: DoubleSpendEvidence = serde_json::from_str(&json).unwrap();
        assert_eq!(decoded.verify_vartime().unwrap(), identity);

        let receipt_key = SecretKey::random().unwrap();
        let receipt = DepositReceipt::sign(&receipt_key, &first, DepositOutcome::Paid, 4, 0, 2_500).unwrap();
        receipt.verify_vartime(&receipt_key.public_key()).unwrap();
        assert!(receipt.is_for(&first).unwrap());
        let mut forged = receipt.clone();
        forged.amount_paid = 8;
        assert_eq!(forged.verify_vartime(&receipt_key.public_key()), Err(OfflineError::InvalidSignature));

        // A refund's receipt names the coin, the account and its key; it is for no other account or key.
        let account_key = SecretKey::random().unwrap().public_key();
        let refund = DepositReceipt::sign_refund(&receipt_key, &coin.coin, "acct", &account_key, 3_000).unwrap();
        refund.verify_vartime(&receipt_key.public_key()).unwrap();
        assert_eq!((refund.outcome, refund.amount_paid, refund.amount_from_bond), (DepositOutcome::Refunded, 4, 0));
        assert!(refund.is_for_refund(&coin.coin, "acct", &account_key).unwrap());
        assert!(!refund.is_for_refund(&coin.coin, "other", &account_key).unwrap());
        assert!(!refund.is_for_refund(&coin.coin, "acct", &receipt_key.public_key()).unwrap());
        assert!(!receipt.is_for_refund(&coin.coin, "acct", &account_key).unwrap());
    }

    #[test]
    fn mint_response_to_another_challenge_is_refused() {
        let world = world();
        let identity = world.u1.identity().unwrap();
        let (session, start) = MintSession::start(&world.mint, 2, &identity, SecretKey::random().unwrap()).unwrap();
        let (pending, _challenge) =
            PendingWithdrawal::prepare(&identity, &world.mint.public, &start, CoinSecrets::random().unwrap()).unwrap();
        let other = BlindedChallenge { c0: PublicScalar::new(k256::Scalar::ONE).unwrap() };
        let response = session.respond(&other).unwrap();
        assert_eq!(pending.finish(&response).unwrap_err(), OfflineError::InvalidMintResponse);
    }

    #[test]
    fn derived_coin_secrets_are_reproducible() {
        let world = world();
        let identity = world.u1.identity().unwrap();
        let w = withdrawal::derive_session_nonce(b"mint", b"session-1").unwrap();
        let (_, start) = MintSession::start(&world.mint, 2, &identity, w).unwrap();
        let derive = || CoinSecrets::derive(&[9u8; 64], &world.mint.public.id, 0, &start.a0, &start.b0).unwrap();
        let (_, c1) = PendingWithdrawal::prepare(&identity, &world.mint.public, &start, derive()).unwrap();
        let (_, c2) = PendingWithdrawal::prepare(&identity, &world.mint.public, &start, derive()).unwrap();
        assert_eq!(c1, c2);
        let other = CoinSecrets::derive(&[9u8; 64], &world.mint.public.id, 1, &start.a0, &start.b0).unwrap();
        let (_, c3) = PendingWithdrawal::prepare(&identity, &world.mint.public, &start, other).unwrap();
        assert_ne!(c1, c3);
        assert_eq!(format!("{:?}", derive()), "CoinSecrets(..)");
    }

    #[test]
    fn a_wallet_coin_is_rebuilt_from_its_derived_secrets_only() {
        let world = world();
        let identity = world.u1.identity().unwrap();
        let (session, start) = MintSession::start(&world.mint, 8, &identity, SecretKey::random().unwrap()).unwrap();
        let derive = |counter| CoinSecrets::derive(&[3u8; 64], &world.mint.public.id, counter, &start.a0, &start.b0);
        let (pending, challenge) =
            PendingWithdrawal::prepare(&identity, &world.mint.public, &start, derive(5).unwrap()).unwrap();
        let coin = pending.finish(&session.respond(&challenge).unwrap()).unwrap();

        let rebuilt = WalletCoin::from_secrets(coin.coin.clone(), &derive(5).unwrap(), &identity).unwrap();
        let request = PaymentRequest::new(SecretKey::random().unwrap().public_key(), 1_500, 8).unwrap();
        assert_eq!(rebuilt.respond(&world.u1, &request).unwrap(), coin.respond(&world.u1, &request).unwrap());
        // Secrets of another counter, or another identity, do not open the coin.
        assert_eq!(
            WalletCoin::from_secrets(coin.coin.clone(), &derive(6).unwrap(), &identity).unwrap_err(),
            OfflineError::InvalidCoin
        );
        let stranger = IdentitySecret::random().unwrap().identity().unwrap();
        assert_eq!(
            WalletCoin::from_secrets(coin.coin, &derive(5).unwrap(), &stranger).unwrap_err(),
            OfflineError::InvalidCoin
        );
    }
}
