//! Tokens: notes serialized for copy/paste and QR codes (NUT-00).
//!
//! - `cashuA` + base64url(JSON): version 3, possibly several mints.
//! - `cashuB` + base64url(CBOR): version 4, one mint, short field names, binary keys; keyset ids may be
//!   the short 8-byte form, which [`Token::proofs`] resolves against the keysets the wallet knows.
//!
//! Decoding accepts padded and unpadded base64, the standard and the URL-safe alphabet, a `cashu:` URI
//! prefix and surrounding whitespace; everything else gets a [`Error::InvalidToken`] that says what is wrong.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::{Amount, CurrencyUnit, Error, Id, Proof, ProofDleq, PublicKey, Secret, SecretKey};

/// Encoder: URL-safe alphabet with padding (what the spec's examples show).
const ENCODER: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new());
/// Decoder: URL-safe alphabet, padding optional.
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Prefix of a binary (NFC) v4 token.
pub const RAW_PREFIX_V4: &[u8] = b"crawB";

/// A token of either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// `cashuA`.
    V3(TokenV3),
    /// `cashuB`.
    V4(TokenV4),
}

/// A keyset id as it appears in a v4 token: full, or the short 8-byte form of a version 01 id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKeysetId {
    /// A full id (all version 00 ids are 8 bytes and full).
    Full(Id),
    /// The first 8 bytes of a version 01 id.
    Short([u8; 8]),
}

impl TokenKeysetId {
    fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match (bytes.len(), bytes.first()) {
            (8, Some(&Id::VERSION_V2)) => {
                let mut short = [0u8; 8];
                short.copy_from_slice(bytes);
                Ok(TokenKeysetId::Short(short))
            }
            _ => Id::from_bytes(bytes).map(TokenKeysetId::Full),
        }
    }

    fn to_bytes(self) -> Vec<u8> {
        match self {
            TokenKeysetId::Full(id) => id.as_bytes().to_vec(),
            TokenKeysetId::Short(short) => short.to_vec(),
        }
    }

    /// The full id: given, or the one known keyset whose short form matches.
    pub fn resolve(&self, known: &[Id]) -> Result<Id, Error> {
        match self {
            TokenKeysetId::Full(id) => Ok(*id),
            TokenKeysetId::Short(short) => {
                let mut matches = known.iter().filter(|id| matches!(id, Id::V2(_)) && id.short() == *short);
                match (matches.next(), matches.next()) {
                    (Some(id), None) => Ok(*id),
                    (None, _) => Err(Error::UnresolvableShortId(hex::encode(short), "no known keyset has it")),
                    (Some(_), Some(_)) => {
                        Err(Error::UnresolvableShortId(hex::encode(short), "ambiguous: several keysets have it"))
                    }
                }
            }
        }
    }
}

/// Version 3 token (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenV3 {
    /// Proofs per mint.
    pub token: Vec<TokenV3Entry>,
    /// Unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<CurrencyUnit>,
    /// Memo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

/// The proofs of one mint in a v3 token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenV3Entry {
    /// Mint URL without trailing slash.
    pub mint: String,
    /// Proofs.
    pub proofs: Vec<Proof>,
}

/// A proof inside a v4 token: the keyset id is on its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenV4Proof {
    /// Amount.
    pub amount: Amount,
    /// Secret.
    pub secret: Secret,
    /// Signature.
    pub c: PublicKey,
    /// DLEQ proof.
    pub dleq: Option<ProofDleq>,
    /// Witness.
    pub witness: Option<String>,
}

/// The proofs of one keyset in a v4 token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenV4Group {
    /// Keyset id, full or short.
    pub keyset_id: TokenKeysetId,
    /// Proofs.
    pub proofs: Vec<TokenV4Proof>,
}

/// Version 4 token (CBOR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenV4 {
    /// Mint URL without trailing slash.
    pub mint_url: String,
    /// Unit.
    pub unit: CurrencyUnit,
    /// Memo.
    pub memo: Option<String>,
    /// Proofs grouped by keyset.
    pub groups: Vec<TokenV4Group>,
}

/// Strip trailing slashes from a mint URL, as tokens require.
pub fn normalize_mint_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

impl Token {
    /// A v4 token of proofs from one mint, grouped by keyset (full keyset ids).
    pub fn new(mint_url: &str, proofs: Vec<Proof>, memo: Option<String>, unit: CurrencyUnit) -> Self {
        let mut groups: BTreeMap<Id, Vec<TokenV4Proof>> = BTreeMap::new();
        let mut order = Vec::new();
        for proof in proofs {
            if !groups.contains_key(&proof.keyset_id) {
                order.push(proof.keyset_id);
            }
            groups.entry(proof.keyset_id).or_default().push(TokenV4Proof {
                amount: proof.amount,
                secret: proof.secret.clone(),
                c: proof.c,
                dleq: proof.dleq.clone(),
                witness: proof.witness.clone(),
            });
        }
        let groups = order
            .into_iter()
            .map(|id| TokenV4Group {
                keyset_id: TokenKeysetId::Full(id),
                proofs: groups.remove(&id).unwrap_or_default(),
            })
            .collect();
        Token::V4(TokenV4 { mint_url: normalize_mint_url(mint_url), unit, memo, groups })
    }

    /// The mint URL. A v3 token from several mints is refused here: a wallet receives from one mint at a time.
    pub fn mint_url(&self) -> Result<String, Error> {
        match self {
            Token::V4(token) => Ok(token.mint_url.clone()),
            Token::V3(token) => {
                let mut urls = token.token.iter().map(|entry| normalize_mint_url(&entry.mint));
                let first = urls.next().ok_or_else(|| Error::InvalidToken("the token holds no mint".into()))?;
                if urls.any(|url| url != first) {
                    return Err(Error::InvalidToken("the token holds notes from several mints".into()));
                }
                Ok(first)
            }
        }
    }

    /// The unit (`sat` when a v3 token names none).
    pub fn unit(&self) -> CurrencyUnit {
        match self {
            Token::V4(token) => token.unit.clone(),
            Token::V3(token) => token.unit.clone().unwrap_or_default(),
        }
    }

    /// The memo.
    pub fn memo(&self) -> Option<&str> {
        match self {
            Token::V4(token) => token.memo.as_deref(),
            Token::V3(token) => token.memo.as_deref(),
        }
    }

    /// The proofs, with short keyset ids resolved against `known_keysets` (the mint's keyset ids).
    pub fn proofs(&self, known_keysets: &[Id]) -> Result<Vec<Proof>, Error> {
        match self {
            Token::V3(token) => Ok(token.token.iter().flat_map(|entry| entry.proofs.iter().cloned()).collect()),
            Token::V4(token) => {
                let mut proofs = Vec::new();
                for group in &token.groups {
                    let keyset_id = group.keyset_id.resolve(known_keysets)?;
                    proofs.extend(group.proofs.iter().map(|proof| Proof {
                        amount: proof.amount,
                        keyset_id,
                        secret: proof.secret.clone(),
                        c: proof.c,
                        witness: proof.witness.clone(),
                        dleq: proof.dleq.clone(),
                    }));
                }
                Ok(proofs)
            }
        }
    }

    /// The keyset ids as written in the token.
    pub fn keyset_ids(&self) -> Vec<TokenKeysetId> {
        match self {
            Token::V3(token) => token
                .token
                .iter()
                .flat_map(|entry| entry.proofs.iter().map(|p| TokenKeysetId::Full(p.keyset_id)))
                .collect(),
            Token::V4(token) => token.groups.iter().map(|group| group.keyset_id).collect(),
        }
    }

    /// The total value, or an overflow error.
    pub fn value(&self) -> Result<Amount, Error> {
        match self {
            Token::V3(token) => {
                Amount::try_sum(token.token.iter().flat_map(|entry| entry.proofs.iter().map(|p| p.amount)))
            }
            Token::V4(token) => {
                Amount::try_sum(token.groups.iter().flat_map(|group| group.proofs.iter().map(|p| p.amount)))
            }
        }
    }

    /// How many proofs the token holds.
    pub fn proof_count(&self) -> usize {
        match self {
            Token::V3(token) => token.token.iter().map(|entry| entry.proofs.len()).sum(),
            Token::V4(token) => token.groups.iter().map(|group| group.proofs.len()).sum(),
        }
    }

    /// Serialize as `cashuA...` or `cashuB...`.
    pub fn encode(&self) -> Result<String, Error> {
        match self {
            Token::V3(token) => {
                let json = serde_json::to_vec(token).map_err(|e| Error::InvalidToken(e.to_string()))?;
                Ok(format!("cashuA{}", ENCODER.encode(json)))
            }
            Token::V4(token) => Ok(format!("cashuB{}", ENCODER.encode(token.to_cbor()?))),
        }
    }

    /// Parse a serialized token.
    pub fn decode(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        let text = text
            .strip_prefix("cashu:")
            .or_else(|| text.strip_prefix("CASHU:"))
            .unwrap_or(text)
            .trim_start_matches("//");
        let (version, body) = if let Some(body) = text.strip_prefix("cashuA") {
            ('A', body)
        } else if let Some(body) = text.strip_prefix("cashuB") {
            ('B', body)
        } else if text.starts_with("cashu") {
            return Err(Error::InvalidToken("unsupported token version (expected cashuA or cashuB)".into()));
        } else {
            return Err(Error::InvalidToken("not a Cashu token: it must start with cashuA or cashuB".into()));
        };
        if body.is_empty() {
            return Err(Error::InvalidToken("the token is empty after its prefix".into()));
        }
        // Accept the standard alphabet too: some wallets produced it.
        let body: String = body
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let bytes = DECODER.decode(body.as_bytes()).map_err(|e| Error::InvalidToken(format!("bad base64: {e}")))?;
        let token = match version {
            'A' => {
                let token: TokenV3 =
                    serde_json::from_slice(&bytes).map_err(|e| Error::InvalidToken(format!("bad v3 JSON: {e}")))?;
                Token::V3(token)
            }
            _ => Token::V4(TokenV4::from_cbor(&bytes)?),
        };
        if token.proof_count() == 0 {
            return Err(Error::InvalidToken("the token holds no notes".into()));
        }
        token.value()?;
        Ok(token)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = self.encode().map_err(|_| fmt::Error)?;
        f.write_str(&encoded)
    }
}

impl FromStr for Token {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Token::decode(s)
    }
}

// CBOR shapes of the v4 token, with the spec's one-letter names. Field order is the one the spec's
// vectors use, so our encoding matches theirs byte for byte.

#[derive(Serialize, Deserialize)]
struct CborToken {
    t: Vec<CborGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    m: String,
    u: String,
}

#[derive(Serialize, Deserialize)]
struct CborGroup {
    i: ByteBuf,
    p: Vec<CborProof>,
}

#[derive(Serialize, Deserialize)]
struct CborProof {
    a: u64,
    s: String,
    c: ByteBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<CborDleq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    w: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CborDleq {
    e: ByteBuf,
    s: ByteBuf,
    r: ByteBuf,
}

fn field<T>(result: Result<T, Error>, what: &str) -> Result<T, Error> {
    result.map_err(|e| Error::InvalidToken(format!("{what}: {e}")))
}

impl TokenV4 {
    fn to_cbor(&self) -> Result<Vec<u8>, Error> {
        let token = CborToken {
            t: self
                .groups
                .iter()
                .map(|group| CborGroup {
                    i: ByteBuf::from(group.keyset_id.to_bytes()),
                    p: group
                        .proofs
                        .iter()
                        .map(|proof| CborProof {
                            a: proof.amount.to_u64(),
                            s: proof.secret.as_str().to_owned(),
                            c: ByteBuf::from(proof.c.to_bytes().to_vec()),
                            d: proof.dleq.as_ref().map(|dleq| CborDleq {
                                e: ByteBuf::from(dleq.e.to_bytes().to_vec()),
                                s: ByteBuf::from(dleq.s.to_bytes().to_vec()),
                                r: ByteBuf::from(dleq.r.to_bytes().to_vec()),
                            }),
                            w: proof.witness.clone(),
                        })
                        .collect(),
                })
                .collect(),
            d: self.memo.clone(),
            m: self.mint_url.clone(),
            u: self.unit.to_string(),
        };
        let mut out = Vec::new();
        ciborium::into_writer(&token, &mut out).map_err(|e| Error::InvalidToken(e.to_string()))?;
        Ok(out)
    }

    fn from_cbor(bytes: &[u8]) -> Result<Self, Error> {
        let token: CborToken =
            ciborium::from_reader(bytes).map_err(|e| Error::InvalidToken(format!("bad v4 CBOR: {e}")))?;
        let mut groups = Vec::with_capacity(token.t.len());
        for group in token.t {
            let keyset_id = field(TokenKeysetId::from_bytes(&group.i), "keyset id")?;
            let mut proofs = Vec::with_capacity(group.p.len());
            for proof in group.p {
                let dleq = match proof.d {
                    Some(dleq) => Some(ProofDleq {
                        e: field(SecretKey::from_slice(&dleq.e), "DLEQ e")?,
                        s: field(SecretKey::from_slice(&dleq.s), "DLEQ s")?,
                        r: field(SecretKey::from_slice(&dleq.r), "DLEQ r")?,
                    }),
                    None => None,
                };
                proofs.push(TokenV4Proof {
                    amount: Amount::from_u64(proof.a),
                    secret: Secret::new(proof.s),
                    c: field(PublicKey::from_slice(&proof.c), "signature C")?,
                    dleq,
                    witness: proof.w,
                });
            }
            groups.push(TokenV4Group { keyset_id, proofs });
        }
        Ok(TokenV4 {
            mint_url: normalize_mint_url(&token.m),
            unit: token.u.parse().unwrap_or_default(),
            memo: token.d,
            groups,
        })
    }

    /// The binary form for NFC: `crawB` || CBOR.
    pub fn to_raw_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = RAW_PREFIX_V4.to_vec();
        out.extend(self.to_cbor()?);
        Ok(out)
    }

    /// Parse the binary form.
    pub fn from_raw_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let body = bytes
            .strip_prefix(RAW_PREFIX_V4)
            .ok_or_else(|| Error::InvalidToken("a binary v4 token must start with crawB".into()))?;
        let token = Self::from_cbor(body)?;
        if token.groups.iter().all(|group| group.proofs.is_empty()) {
            return Err(Error::InvalidToken("the token holds no notes".into()));
        }
        Ok(token)
    }
}
