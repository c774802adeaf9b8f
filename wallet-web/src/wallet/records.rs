//! What the wallet stores, one type per table (JSON in the store). Field names are part of the stored
//! schema: renaming one needs a schema upgrade (see [`crate::store::SCHEMA_VERSION`]).

use serde::{Deserialize, Serialize};
use shared::nuts::{MintInfo, PaymentMethod};
use shared::{Amount, Id, KeySet, KeySetInfo, Proof, ProofDleq, PublicKey, Secret, SecretKey};

use crate::mint_url::MintUrl;

/// A mint: its info, keysets and the keys fetched so far (table `mints`, key = URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintRecord {
    /// Its address.
    pub url: MintUrl,
    /// `GET /v1/info`.
    pub info: MintInfo,
    /// `GET /v1/keysets`.
    pub keysets: Vec<KeySetInfo>,
    /// Keys of the keysets fetched so far (ids checked against the keys).
    pub keys: Vec<KeySet>,
}

impl MintRecord {
    /// The keys of keyset `id`, if fetched.
    pub fn keyset(&self, id: &Id) -> Option<&KeySet> {
        self.keys.iter().find(|keyset| keyset.id == *id)
    }

    /// The fee per input of keyset `id` (0 when unknown).
    pub fn fee_ppk(&self, id: &Id) -> u64 {
        self.keysets.iter().find(|k| k.id == *id).map(|k| k.input_fee_ppk).unwrap_or(0)
    }

    /// The active `sat` keyset with keys that new outputs use (the cheapest, when several are active).
    pub fn active_keyset(&self) -> Option<&KeySet> {
        self.keysets
            .iter()
            .filter(|info| info.active && info.unit.as_str() == "sat")
            .filter_map(|info| self.keyset(&info.id).map(|keys| (info.input_fee_ppk, keys)))
            .min_by_key(|(fee, _)| *fee)
            .map(|(_, keys)| keys)
    }

    /// The ids of every keyset (to resolve short ids in tokens).
    pub fn keyset_ids(&self) -> Vec<Id> {
        self.keysets.iter().map(|k| k.id).collect()
    }
}

/// Where a note stands in the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "by", rename_all = "snake_case")]
pub enum NoteState {
    /// Spendable.
    Unspent,
    /// Input of the journaled operation with this id.
    Reserved(String),
    /// In the token of the pending send with this id.
    PendingSend(String),
}

/// A note (table `notes`, key = `Y` hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRecord {
    /// `Y = hash_to_curve(secret)`, hex: the note's serial.
    pub y: String,
    /// `cashu` (offline coins will be another kind).
    pub kind: String,
    /// The mint.
    pub mint: MintUrl,
    /// Keyset.
    pub keyset_id: Id,
    /// Amount.
    pub amount: Amount,
    /// The secret `x`.
    pub secret: Secret,
    /// `C`.
    pub c: PublicKey,
    /// DLEQ proof with the blinding factor, for offline checks by a payee.
    pub dleq: Option<ProofDleq>,
    /// Where it stands.
    pub state: NoteState,
}

/// The fields of a note that balances need. Parsing only these skips decoding and checking the points
/// and scalars, which is most of the cost of loading thousands of notes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NoteSummary {
    /// The mint.
    pub mint: MintUrl,
    /// Amount.
    pub amount: Amount,
    /// Where it stands.
    pub state: NoteState,
}

/// The kind of notes this wallet holds today.
pub const CASHU: &str = "cashu";

impl NoteRecord {
    /// The note as an input to the mint: no DLEQ proof (it carries `r`, which never leaves the browser).
    pub fn to_input(&self) -> Proof {
        Proof {
            amount: self.amount,
            keyset_id: self.keyset_id,
            secret: self.secret.clone(),
            c: self.c,
            witness: None,
            dleq: None,
        }
    }

    /// The note as it goes into a token: with its DLEQ proof, so the payee can check it offline.
    pub fn to_token_proof(&self) -> Proof {
        Proof { dleq: self.dleq.clone(), ..self.to_input() }
    }
}

/// Where an output goes once signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// Into the wallet, spendable.
    Keep,
    /// Into the operation's token (a pending send).
    Send,
}

/// An output of an operation, with everything needed to unblind it (or restore it) later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Amount.
    pub amount: Amount,
    /// Keyset.
    pub keyset_id: Id,
    /// NUT-13 counter the secret and r derive from.
    pub counter: u32,
    /// `B'`.
    pub blinded: PublicKey,
    /// The secret.
    pub secret: Secret,
    /// The blinding factor.
    pub r: SecretKey,
    /// Where it goes.
    pub destination: Destination,
}

/// The kind of a journaled operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Swap of own notes into a token's notes and change.
    SwapForSend,
    /// Swap of a received token's notes into fresh notes.
    Receive,
    /// Swap of a pending send's unspent notes back into the wallet.
    Reclaim,
    /// Issue of notes for a paid quote.
    Mint,
    /// Melt of notes into a bank account.
    Melt,
    /// Swap of own notes into exact denominations (before a melt).
    SwapExact,
    /// A restore from the seed in progress (re-run until it completes).
    Restore,
}

/// A journaled operation (table `ops`): written before its request leaves, removed with its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpRecord {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: OpKind,
    /// The mint.
    pub mint: MintUrl,
    /// Request path, e.g. `/v1/swap`.
    pub path: String,
    /// The exact request body, resent as is (NUT-19 makes the retry safe).
    pub body: String,
    /// Serials of own notes reserved as inputs.
    pub inputs: Vec<String>,
    /// Outputs, in request order.
    pub outputs: Vec<OutputRecord>,
    /// The pending send the token notes go to.
    pub send_id: Option<String>,
    /// The mint or melt quote.
    pub quote: Option<String>,
    /// A mint op that pays its `bank` quote first: the exact `POST /v1/bank/pay` body, until the quote is
    /// known to be paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay: Option<String>,
    /// Memo of a send.
    pub memo: Option<String>,
    /// The history entry it updates.
    pub history_id: String,
    /// Milliseconds since the epoch.
    pub created_at: f64,
}

/// A pending send (table `sends`, key = id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRecord {
    /// Id.
    pub id: String,
    /// The mint.
    pub mint: MintUrl,
    /// Value.
    pub amount: Amount,
    /// The token.
    pub token: String,
    /// Serials of its notes.
    pub ys: Vec<String>,
    /// Milliseconds since the epoch.
    pub created_at: f64,
}

/// A mint quote the wallet asked for (table `meta`, key `quote:{mint} {id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteRecord {
    /// Id.
    pub id: String,
    /// Method.
    pub method: PaymentMethod,
    /// The mint.
    pub mint: MintUrl,
    /// Amount.
    pub amount: Amount,
    /// Whether this wallet has its notes (recovery no longer looks at it).
    #[serde(default)]
    pub issued: bool,
    /// NUT-20: the index of the seed-derived key the quote is locked to
    /// ([`shared::nuts::nut20::quote_secret_key`]); `None` for a quote the mint did not lock (or from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<u32>,
}

/// The recovery words as stored (table `meta`, key `mnemonic`): the BIP-39 phrase as text (the default), or
/// sealed under a passphrase. JSON: a string, or a [`SealedWords`] object. `Debug` hides the phrase.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredWords {
    /// The phrase itself.
    Plain(String),
    /// The phrase, encrypted.
    Sealed(SealedWords),
}

impl std::fmt::Debug for StoredWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredWords::Plain(_) => f.write_str("Plain(..)"),
            StoredWords::Sealed(sealed) => f.debug_tuple("Sealed").field(sealed).finish(),
        }
    }
}

/// The recovery words sealed under a passphrase: AES-256-GCM (`cipher`) under a key derived by
/// PBKDF2-HMAC-SHA256 (`kdf`) from the passphrase; the additional data is
/// `chaumian-wallet/recovery-words/v1`. Byte strings are lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedWords {
    /// The format's version: 1.
    pub version: u32,
    /// How the key comes from the passphrase.
    pub kdf: KdfRecord,
    /// How the phrase is encrypted.
    pub cipher: CipherRecord,
    /// The phrase's UTF-8 bytes encrypted, followed by the 16-byte tag.
    pub ciphertext: String,
}

/// The key derivation of [`SealedWords`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfRecord {
    /// `PBKDF2-HMAC-SHA256`.
    pub name: String,
    /// PBKDF2's iteration count.
    pub iterations: u32,
    /// The 16-byte random salt.
    pub salt: String,
}

/// The cipher of [`SealedWords`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherRecord {
    /// `AES-256-GCM`.
    pub name: String,
    /// The 12-byte random IV.
    pub iv: String,
}
