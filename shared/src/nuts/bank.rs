//! Our extension (not a Cashu NUT): the `bank` payment method. Money enters the mint from an internal
//! account and leaves back into one.
//!
//! - Mint: `POST /v1/mint/quote/bank` (same body as bolt11: amount, unit) gives an `UNPAID` quote; the
//!   account holder pays it with `POST /v1/bank/pay`, signing [`pay_message`] (the mint's identity key, the
//!   quote id, amount, unit and the account id) with its account key at that mint (BIP-340,
//!   [`account_secret_key`]); then `POST /v1/mint/bank` issues the notes as usual.
//! - Melt: `POST /v1/melt/quote/bank` with `request` = the account id and an `amount`; `POST /v1/melt/bank`
//!   spends the notes and credits the account in one transaction.

use alloc::string::String;

use hmac::{Hmac, KeyInit, Mac};
use k256::schnorr::{Signature, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::derivation::WalletSeed;
use crate::{Amount, CurrencyUnit, Error, PublicKey, SecretKey};

/// Domain separator of the message an account key signs to pay a mint quote ([`pay_message`]). Version 1
/// signed `SHA-256(tag || quote id)` alone, which a mint could replay at another mint.
pub const PAY_TAG: &[u8] = b"chaumian-cash/bank/pay-mint-quote/v2";

/// Domain separator of a wallet's account key at one mint ([`account_secret_key`]). Version 1,
/// `HMAC-SHA256(seed, "chaumian-cash/bank/account-key/v1")`, was one key for every mint.
pub const ACCOUNT_KEY_TAG: &[u8] = b"chaumian-cash/bank/account-key/v2";

/// Domain separator of a mint's identity key: `HMAC-SHA256(master secret, tag)` ([`mint_identity_key`]).
pub const MINT_IDENTITY_TAG: &[u8] = b"chaumian-cash/mint/identity/v1";

/// `HMAC-SHA256(key, parts...)` as a secret key.
fn hmac_key(key: &[u8], parts: &[&[u8]]) -> Result<SecretKey, Error> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| Error::InvalidSecretKey("not an HMAC key"))?;
    for part in parts {
        mac.update(part);
    }
    let mut bytes: [u8; 32] = mac.finalize().into_bytes().into();
    let key = SecretKey::from_slice(&bytes);
    bytes.zeroize();
    key
}

/// The secret key of a wallet's bank account at the mint at `mint_url` (the wallet's normalised address of
/// the mint): `HMAC-SHA256(seed, ACCOUNT_KEY_TAG || 0x00 || mint_url)`. The mint's operator registers its
/// public key; it signs [`sign_payment`].
///
/// One key per mint address: a signature a wallet gave mint B is by a key no account at mint A has, so B
/// cannot spend it at A, and two mints cannot link the user's accounts by key. The address, not the mint's
/// self-declared identity key, goes in: a mint can copy another's `pubkey` in `/v1/info`, but the wallet
/// reaches it at its own address.
pub fn account_secret_key(seed: &WalletSeed, mint_url: &str) -> Result<SecretKey, Error> {
    hmac_key(seed.as_bytes(), &[ACCOUNT_KEY_TAG, &[0], mint_url.as_bytes()])
}

/// A mint's identity key, published as `pubkey` in `GET /v1/info`: `HMAC-SHA256(master, MINT_IDENTITY_TAG)`,
/// so every instance on one database (same master secret) has the same identity.
pub fn mint_identity_key(master: &[u8]) -> Result<SecretKey, Error> {
    hmac_key(master, &[MINT_IDENTITY_TAG])
}

/// What a bank payment authorises: this mint, this quote, this amount and unit, from this account.
#[derive(Debug, Clone, Copy)]
pub struct Payment<'a> {
    /// The mint's identity key (`pubkey` of its `/v1/info`).
    pub mint: &'a PublicKey,
    /// The mint quote paid.
    pub quote: &'a str,
    /// Its amount.
    pub amount: Amount,
    /// Its unit.
    pub unit: &'a CurrencyUnit,
    /// The paying account's id.
    pub account: &'a str,
}

/// Body of `POST /v1/bank/pay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankPayRequest {
    /// The mint quote to pay.
    pub quote: String,
    /// The paying account.
    pub account: String,
    /// BIP-340 signature (hex, 64 bytes) by the account key over [`pay_message`].
    pub signature: String,
}

/// Body of `POST /v1/melt/quote/bank`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeltQuoteBankRequest {
    /// The account to credit.
    pub request: String,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Amount to move into the account.
    pub amount: Amount,
}

/// A bank account as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Account id.
    pub id: String,
    /// The key that authorises payments from it (SEC1 compressed).
    pub pubkey: PublicKey,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Balance.
    pub balance: Amount,
    /// Blocked accounts cannot pay.
    pub blocked: bool,
}

/// The 32-byte message an account key signs to authorise `payment`: SHA-256 of [`PAY_TAG`], the mint's
/// identity key (33 bytes, SEC1 compressed), then the quote id, the unit and the account id each as a 4-byte
/// big-endian length and its UTF-8 bytes, and the amount as 8 bytes big-endian, in this order:
/// `tag || mint || len(quote) || quote || amount || len(unit) || unit || len(account) || account`.
pub fn pay_message(payment: &Payment<'_>) -> Result<[u8; 32], Error> {
    let mut hash = Sha256::new();
    hash.update(PAY_TAG);
    hash.update(payment.mint.to_bytes());
    let field = |hash: &mut Sha256, text: &str| -> Result<(), Error> {
        let len = u32::try_from(text.len()).map_err(|_| Error::VerificationFailed)?;
        hash.update(len.to_be_bytes());
        hash.update(text.as_bytes());
        Ok(())
    };
    field(&mut hash, payment.quote)?;
    hash.update(payment.amount.to_u64().to_be_bytes());
    field(&mut hash, payment.unit.as_str())?;
    field(&mut hash, payment.account)?;
    Ok(hash.finalize().into())
}

/// Sign `payment` with the account key (BIP-340, fresh auxiliary randomness); hex, 64 bytes.
pub fn sign_payment(account_key: &SecretKey, payment: &Payment<'_>) -> Result<String, Error> {
    let signing = SigningKey::from_slice(&account_key.to_bytes()).map_err(|_| Error::InvalidSecretKey("bad key"))?;
    let aux: [u8; 32] = crate::util::random_bytes()?;
    let signature = signing.sign_raw(&pay_message(payment)?, &aux).map_err(|_| Error::VerificationFailed)?;
    Ok(hex::encode(signature.to_bytes()))
}

/// Check a payment signature against the account's key (its x coordinate, as BIP-340 uses).
pub fn verify_payment(account_key: &PublicKey, payment: &Payment<'_>, signature_hex: &str) -> Result<(), Error> {
    let bytes: [u8; 64] = crate::util::hex_array(signature_hex)?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| Error::VerificationFailed)?;
    let verifying = VerifyingKey::from_slice(&account_key.to_bytes()[1..]).map_err(|_| Error::VerificationFailed)?;
    verifying.verify_raw(&pay_message(payment)?, &signature).map_err(|_| Error::VerificationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_seed() -> WalletSeed {
        // BIP-39 test mnemonic "abandon" x 11 + "about", empty passphrase.
        let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        WalletSeed::from_mnemonic(&crate::derivation::parse_mnemonic(words).unwrap())
    }

    #[test]
    fn account_keys_known_answer_one_per_mint() {
        // Expected values computed independently with Python's hmac/hashlib (PBKDF2 seed, then
        // HMAC-SHA256(seed, tag || 0x00 || url)). Version 1's single key was 782aa07b...3a2d.
        let seed = test_seed();
        let a = account_secret_key(&seed, "https://mint-a.example").unwrap();
        let b = account_secret_key(&seed, "https://mint-b.example").unwrap();
        assert_eq!(a.to_hex(), "91838e744b605e2c11b167f3a8db692fe540152d1675fbe6f9119336e909537c");
        assert_eq!(b.to_hex(), "e5c35c8138b7b2f5c084f3eab77d37bedced149ff0ca4f8c18eee6988f456819");
        assert_ne!(a.public_key(), b.public_key());
    }

    #[test]
    fn mint_identity_known_answer() {
        assert_eq!(
            mint_identity_key(&[7; 32]).unwrap().to_hex(),
            "e8047764450b733d9ee481340a6ed4268d8f0152a3b94ced7c5d5369e1d4e256"
        );
    }

    fn generator() -> PublicKey {
        PublicKey::from_hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798").unwrap()
    }

    #[test]
    fn pay_message_known_answer() {
        // SHA-256 of the layout in `pay_message`'s doc, computed independently with Python's hashlib.
        let mint = generator();
        let payment = Payment {
            mint: &mint,
            quote: "quote-1",
            amount: Amount::from_u64(60),
            unit: &CurrencyUnit::Sat,
            account: "account-1",
        };
        assert_eq!(
            hex::encode(pay_message(&payment).unwrap()),
            "c57b857c1bbfc1bf09fd63a62263df5a7d7389937f9da5686e9dd9c28f92f217"
        );
    }

    #[test]
    fn payments_verify_only_for_their_mint_quote_amount_account_and_key() {
        let mint = generator();
        let other_mint = SecretKey::random().unwrap().public_key();
        let payment = Payment {
            mint: &mint,
            quote: "quote-1",
            amount: Amount::from_u64(60),
            unit: &CurrencyUnit::Sat,
            account: "acc",
        };
        // Keys with odd and even y both work (BIP-340 uses the x coordinate only).
        for _ in 0..8 {
            let key = SecretKey::random().unwrap();
            let signature = sign_payment(&key, &payment).unwrap();
            verify_payment(&key.public_key(), &payment, &signature).unwrap();
            let changed = [
                Payment { mint: &other_mint, ..payment },
                Payment { quote: "quote-2", ..payment },
                Payment { amount: Amount::from_u64(61), ..payment },
                Payment { unit: &CurrencyUnit::Msat, ..payment },
                Payment { account: "acd", ..payment },
            ];
            for other in changed {
                assert!(verify_payment(&key.public_key(), &other, &signature).is_err(), "{other:?}");
            }
            let stranger = SecretKey::random().unwrap().public_key();
            assert!(verify_payment(&stranger, &payment, &signature).is_err());
            assert!(verify_payment(&key.public_key(), &payment, "00").is_err());
        }
    }
}
