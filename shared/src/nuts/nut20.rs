//! NUT-20: signed mint quotes. A mint quote requested with a `pubkey` is minted only with a BIP-340
//! `signature` by that key over `SHA-256(quote || B_0 || ... || B_(n-1))`, the quote id and each output's
//! `B_` as lowercase hex text, in request order ([`msg_to_sign`]): knowing the quote id is not enough to
//! mint it, and the signature fixes the outputs. Newer wallets (Nutshell since 0.20.2) sign a framed message
//! instead ([`msg_to_sign_v1`]: a domain separator, then each field length-prefixed, amounts included); the
//! mint accepts either, as Nutshell's mint does. Our wallet signs the original form, which every NUT-20 mint
//! accepts.

use alloc::string::String;
use alloc::vec::Vec;

use hmac::{Hmac, KeyInit, Mac};
use k256::schnorr::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use super::nut00::BlindedMessage;
use super::nut04::MintRequest;
use crate::derivation::WalletSeed;
use crate::{Error, PublicKey, SecretKey};

/// Domain separator of a wallet's NUT-20 quote keys ([`quote_secret_key`]).
pub const QUOTE_KEY_TAG: &[u8] = b"chaumian-cash/nut20/quote-key/v1";

/// The key that locks a wallet's `index`-th mint quote at the mint at `mint_url`:
/// `HMAC-SHA256(seed, QUOTE_KEY_TAG || 0x00 || mint_url || 0x00 || u32be(index))`. Derived from the seed,
/// so the recovery words can always sign for a quote the wallet knows; a new index per quote, so the mint
/// cannot link a wallet's quotes by key (NUT-20's privacy advice).
pub fn quote_secret_key(seed: &WalletSeed, mint_url: &str, index: u32) -> Result<SecretKey, Error> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(seed.as_bytes())
        .map_err(|_| Error::InvalidSecretKey("the seed is not an HMAC key"))?;
    mac.update(QUOTE_KEY_TAG);
    mac.update(&[0]);
    mac.update(mint_url.as_bytes());
    mac.update(&[0]);
    mac.update(&index.to_be_bytes());
    let mut bytes: [u8; 32] = mac.finalize().into_bytes().into();
    let key = SecretKey::from_slice(&bytes);
    bytes.zeroize();
    key
}

/// NUT-20's `msg_to_sign`: the quote id's UTF-8 bytes, then each output's `B_` as lowercase hex text.
pub fn msg_to_sign(quote: &str, outputs: &[BlindedMessage]) -> Vec<u8> {
    let mut message = Vec::with_capacity(quote.len() + outputs.len() * 66);
    message.extend_from_slice(quote.as_bytes());
    for output in outputs {
        message.extend_from_slice(output.blinded_secret.to_hex().as_bytes());
    }
    message
}

/// Domain separator of the framed message ([`msg_to_sign_v1`]).
pub const MINT_QUOTE_SIG_DST: &[u8] = b"Cashu_MintQuoteSig_v1";

/// The framed NUT-20 message: `DST || len(quote) || quote || (len(amount) || amount || len(B_) || B_)...`,
/// each length a 4-byte big-endian integer, each amount its minimal big-endian bytes (none for 0), each `B_`
/// its 33 compressed bytes.
pub fn msg_to_sign_v1(quote: &str, outputs: &[BlindedMessage]) -> Vec<u8> {
    let mut message = Vec::with_capacity(MINT_QUOTE_SIG_DST.len() + 4 + quote.len() + outputs.len() * 49);
    message.extend_from_slice(MINT_QUOTE_SIG_DST);
    let mut field = |bytes: &[u8]| {
        message.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        message.extend_from_slice(bytes);
    };
    field(quote.as_bytes());
    for output in outputs {
        let amount = output.amount.to_u64().to_be_bytes();
        let first = amount.iter().position(|&b| b != 0).unwrap_or(amount.len());
        field(&amount[first..]);
        field(&output.blinded_secret.to_bytes());
    }
    message
}

/// The signature (hex, 64 bytes) by `key` over `request`'s quote and outputs (fresh auxiliary randomness).
pub fn sign_mint_request(key: &SecretKey, request: &MintRequest) -> Result<String, Error> {
    let signing = SigningKey::from_slice(&key.to_bytes()).map_err(|_| Error::InvalidSecretKey("bad key"))?;
    let digest: [u8; 32] = Sha256::digest(msg_to_sign(&request.quote, &request.outputs)).into();
    let aux: [u8; 32] = crate::util::random_bytes()?;
    let signature = signing.sign_raw(&digest, &aux).map_err(|_| Error::VerificationFailed)?;
    Ok(hex::encode(signature.to_bytes()))
}

/// Whether `request` carries a valid signature by `pubkey` (its x coordinate, as BIP-340 uses).
pub fn verify_mint_request(pubkey: &PublicKey, request: &MintRequest) -> Result<(), Error> {
    let signature_hex = request.signature.as_deref().ok_or(Error::VerificationFailed)?;
    let bytes: [u8; 64] = crate::util::hex_array(signature_hex)?;
    let signature = Signature::try_from(bytes.as_slice()).map_err(|_| Error::VerificationFailed)?;
    let verifying = VerifyingKey::from_slice(&pubkey.to_bytes()[1..]).map_err(|_| Error::VerificationFailed)?;
    let framed: [u8; 32] = Sha256::digest(msg_to_sign_v1(&request.quote, &request.outputs)).into();
    if verifying.verify_raw(&framed, &signature).is_ok() {
        return Ok(());
    }
    let digest: [u8; 32] = Sha256::digest(msg_to_sign(&request.quote, &request.outputs)).into();
    verifying.verify_raw(&digest, &signature).map_err(|_| Error::VerificationFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request of `tests/20-test.md` (cashubtc/nuts), with `signature` set by the caller.
    fn vector_request(signature: &str) -> MintRequest {
        let json = alloc::format!(
            r#"{{"quote": "9d745270-1405-46de-b5c5-e2762b4f5e00", "outputs": [
              {{"amount": 1, "id": "00456a94ab4e1c46", "B_": "0342e5bcc77f5b2a3c2afb40bb591a1e27da83cddc968abdc0ec4904201a201834"}},
              {{"amount": 1, "id": "00456a94ab4e1c46", "B_": "032fd3c4dc49a2844a89998d5e9d5b0f0b00dde9310063acb8a92e2fdafa4126d4"}},
              {{"amount": 1, "id": "00456a94ab4e1c46", "B_": "033b6fde50b6a0dfe61ad148fff167ad9cf8308ded5f6f6b2fe000a036c464c311"}},
              {{"amount": 1, "id": "00456a94ab4e1c46", "B_": "02be5a55f03e5c0aaea77595d574bce92c6d57a2a0fb2b5955c0b87e4520e06b53"}},
              {{"amount": 1, "id": "00456a94ab4e1c46", "B_": "02209fc2873f28521cbdde7f7b3bb1521002463f5979686fd156f23fe6a8aa2b79"}}
            ], "signature": "{signature}"}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    const VECTOR_PUBKEY: &str = "03d56ce4e446a85bbdaa547b4ec2b073d40ff802831352b8272b7dd7a4de5a7cac";
    const VALID: &str = "d4b386f21f7aa7172f0994ee6e4dd966539484247ea71c99b81b8e09b1bb2acbc0026a43c221fd773471dc30d6a32b04692e6837ddaccf0830a63128308e4ee0";
    const INVALID: &str = "cb2b8e7ea69362dfe2a07093f2bbc319226db33db2ef686c940b5ec976bcbfc78df0cd35b3e998adf437b09ee2c950bd66dfe9eb64abd706e43ebc7c669c36c3";

    #[test]
    fn the_spec_vectors() {
        let pubkey = PublicKey::from_hex(VECTOR_PUBKEY).unwrap();
        let valid = vector_request(VALID);
        // The expected message: the quote id, then the five B_ in order (the spec lists it as bytes).
        let expected = "9d745270-1405-46de-b5c5-e2762b4f5e00\
            0342e5bcc77f5b2a3c2afb40bb591a1e27da83cddc968abdc0ec4904201a201834\
            032fd3c4dc49a2844a89998d5e9d5b0f0b00dde9310063acb8a92e2fdafa4126d4\
            033b6fde50b6a0dfe61ad148fff167ad9cf8308ded5f6f6b2fe000a036c464c311\
            02be5a55f03e5c0aaea77595d574bce92c6d57a2a0fb2b5955c0b87e4520e06b53\
            02209fc2873f28521cbdde7f7b3bb1521002463f5979686fd156f23fe6a8aa2b79";
        assert_eq!(msg_to_sign(&valid.quote, &valid.outputs), expected.as_bytes());
        assert_eq!(msg_to_sign(&valid.quote, &valid.outputs)[..4], [57, 100, 55, 52]);
        verify_mint_request(&pubkey, &valid).unwrap();
        assert!(verify_mint_request(&pubkey, &vector_request(INVALID)).is_err());
    }

    /// The framed form, as Nutshell 0.21 signs it: digest and signature made by Nutshell's own
    /// `construct_message` / `sign_mint_quote` over the spec's request, with the secret key 1.
    #[test]
    fn the_framed_form_signed_by_nutshell_verifies() {
        const NUTSHELL_DIGEST: &str = "1386003c80ce461ad8d8711d2925751fba83af9ac571825624701bc451e63817";
        const NUTSHELL_SIGNATURE: &str = "6f76eaafdcc2b92cdb7ced8d8b5daaa12adaa110f6035c63d4919cbc5d9923fe9b4bd00201105c2542492903c54fceece9428ef3c8678097ee77b07e2da7e8e7";
        let request = vector_request(NUTSHELL_SIGNATURE);
        let digest: [u8; 32] = Sha256::digest(msg_to_sign_v1(&request.quote, &request.outputs)).into();
        assert_eq!(hex::encode(digest), NUTSHELL_DIGEST);
        let generator =
            PublicKey::from_hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798").unwrap();
        verify_mint_request(&generator, &request).unwrap();
        // Another key, or the framed signature over other outputs, does not verify.
        assert!(verify_mint_request(&PublicKey::from_hex(VECTOR_PUBKEY).unwrap(), &request).is_err());
        let mut other = request.clone();
        other.outputs.swap(0, 1);
        assert!(verify_mint_request(&generator, &other).is_err());
    }

    #[test]
    fn signatures_fix_quote_outputs_and_key() {
        let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let seed = WalletSeed::from_mnemonic(&crate::derivation::parse_mnemonic(words).unwrap());
        let key = quote_secret_key(&seed, "https://mint.example", 0).unwrap();
        assert_ne!(key.to_bytes(), quote_secret_key(&seed, "https://mint.example", 1).unwrap().to_bytes());
        assert_ne!(key.to_bytes(), quote_secret_key(&seed, "https://other.example", 0).unwrap().to_bytes());
        let mut request = vector_request(VALID);
        request.signature = Some(sign_mint_request(&key, &request).unwrap());
        verify_mint_request(&key.public_key(), &request).unwrap();
        let stranger = SecretKey::random().unwrap().public_key();
        assert!(verify_mint_request(&stranger, &request).is_err());
        let mut swapped = request.clone();
        swapped.outputs.swap(0, 1);
        assert!(verify_mint_request(&key.public_key(), &swapped).is_err());
        let mut other_quote = request.clone();
        other_quote.quote.push('x');
        assert!(verify_mint_request(&key.public_key(), &other_quote).is_err());
        let unsigned = MintRequest { signature: None, ..request.clone() };
        assert!(verify_mint_request(&key.public_key(), &unsigned).is_err());
        let garbage = MintRequest { signature: Some("zz".into()), ..request };
        assert!(verify_mint_request(&key.public_key(), &garbage).is_err());
    }
}
