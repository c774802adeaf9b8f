//! Our extension (not a Cashu NUT): the `bank` payment method. Money enters the mint from an internal
//! account and leaves back into one.
//!
//! - Mint: `POST /v1/mint/quote/bank` (same body as bolt11: amount, unit) gives an `UNPAID` quote; the
//!   account holder pays it with `POST /v1/bank/pay`, signing the quote id with the account key (BIP-340);
//!   then `POST /v1/mint/bank` issues the notes as usual.
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

/// Domain separator of the message an account key signs to pay a mint quote.
const PAY_TAG: &[u8] = b"chaumian-cash/bank/pay-mint-quote/v1";

/// Domain separator of a wallet's account key: `HMAC-SHA256(seed, tag)` is its secret key.
pub const ACCOUNT_KEY_TAG: &[u8] = b"chaumian-cash/bank/account-key/v1";

/// The secret key of a wallet's bank account at a mint: `HMAC-SHA256(seed, ACCOUNT_KEY_TAG)`. The mint's
/// operator registers its public key; it signs [`sign_payment`].
pub fn account_secret_key(seed: &WalletSeed) -> Result<SecretKey, Error> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(seed.as_bytes())
        .map_err(|_| Error::InvalidSecretKey("the seed is not an HMAC key"))?;
    mac.update(ACCOUNT_KEY_TAG);
    let mut bytes: [u8; 32] = mac.finalize().into_bytes().into();
    let key = SecretKey::from_slice(&bytes);
    bytes.zeroize();
    key
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

/// The 32-byte message an account key signs to pay mint quote `quote_id`.
pub fn pay_message(quote_id: &str) -> [u8; 32] {
    Sha256::new().chain_update(PAY_TAG).chain_update(quote_id.as_bytes()).finalize().into()
}

/// Sign a payment of mint quote `quote_id` with the account key (BIP-340, fresh auxiliary randomness).
pub fn sign_payment(account_key: &SecretKey, quote_id: &str) -> Result<String, Error> {
    let signing = SigningKey::from_slice(&account_key.to_bytes()).map_err(|_| Error::InvalidSecretKey("bad key"))?;
    let aux: [u8; 32] = crate::util::random_bytes()?;
    let signature = signing.sign_raw(&pay_message(quote_id), &aux).map_err(|_| Error::VerificationFailed)?;
    Ok(hex::encode(signature.to_bytes()))
}

/// Check a payment signature against the account's key (its x coordinate, as BIP-340 uses).
pub fn verify_payment(account_key: &PublicKey, quote_id: &str, signature_hex: &str) -> Result<(), Error> {
    let bytes: [u8; 64] = crate::util::hex_array(signature_hex)?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| Error::VerificationFailed)?;
    let verifying = VerifyingKey::from_slice(&account_key.to_bytes()[1..]).map_err(|_| Error::VerificationFailed)?;
    verifying.verify_raw(&pay_message(quote_id), &signature).map_err(|_| Error::VerificationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_key_known_answer() {
        // BIP-39 test mnemonic "abandon" x 11 + "about", empty passphrase. The expected key is what the wallet
        // derived before this function moved here (and what HMAC-SHA256 gives independently).
        let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let seed = WalletSeed::from_mnemonic(&crate::derivation::parse_mnemonic(words).unwrap());
        assert_eq!(
            account_secret_key(&seed).unwrap().to_hex(),
            "782aa07be0a048aca1f38e234f7d264a02f1734a011c69e135bc730277333a2d"
        );
    }

    #[test]
    fn payments_verify_only_for_their_quote_and_key() {
        // Keys with odd and even y both work (BIP-340 uses the x coordinate only).
        for _ in 0..8 {
            let key = SecretKey::random().unwrap();
            let signature = sign_payment(&key, "quote-1").unwrap();
            verify_payment(&key.public_key(), "quote-1", &signature).unwrap();
            assert!(verify_payment(&key.public_key(), "quote-2", &signature).is_err());
            let other = SecretKey::random().unwrap().public_key();
            assert!(verify_payment(&other, "quote-1", &signature).is_err());
            assert!(verify_payment(&key.public_key(), "quote-1", "00").is_err());
        }
    }
}
