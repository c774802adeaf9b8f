//! One crash-test client: a wallet that holds notes, runs swaps, mints and melts, and keeps a journal of
//! every operation (its request, its outputs' secrets, and whether the mint acknowledged it), so that after
//! a restart it can check what happened and recover its notes.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, ensure};
use shared::nuts::bank::MeltQuoteBankRequest;
use shared::nuts::{
    CheckStateRequest, CheckStateResponse, MeltQuoteBolt11Request, MeltQuoteBolt11Response, MeltRequest,
    MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse, RestoreRequest, RestoreResponse, State,
    SwapRequest, SwapResponse,
};
use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, KeySet, Proof, PublicKey, Secret, SecretKey, dhke};

use super::verdict::{Answer, Kind, Observed};
use crate::http::{Connection, Endpoint};

/// A small, fast random number generator (xorshift64*), seeded from the operating system.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> anyhow::Result<Rng> {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| anyhow!("random number generator: {e}"))?;
        Ok(Rng(u64::from_le_bytes(seed) | 1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// An output the client asked the mint to sign, with what it needs to unblind the signature.
#[derive(Clone)]
pub struct Output {
    pub message: BlindedMessage,
    pub secret: Secret,
    pub r: SecretKey,
}

/// One operation in the journal.
pub struct Entry {
    pub kind: Kind,
    /// `/v1/swap`, `/v1/mint/bolt11`, `/v1/melt/bank`, ...
    pub path: String,
    /// The exact body sent (a retry sends it again: NUT-19).
    pub body: Vec<u8>,
    pub inputs: Vec<Proof>,
    pub outputs: Vec<Output>,
    /// The quote (mint and melt), and the method it was created with.
    pub quote: Option<(String, &'static str)>,
    /// Value a melt moves into the bank account, if it is a bank melt.
    pub bank_credit: u64,
    pub answer: Answer,
    /// The signatures of an acknowledged swap or mint.
    pub signatures: Vec<BlindSignature>,
    /// Counted already (a melt found in flight is checked again after later restarts).
    pub counted: bool,
    /// Found in flight at a restart before.
    pub deferred: bool,
}

/// A client's wallet and journal.
pub struct Client {
    pub index: usize,
    pub keyset: KeySet,
    pub input_fee_ppk: u64,
    pub account: String,
    pub notes: Vec<Proof>,
    pub journal: Vec<Entry>,
    /// Melts the restarted mint still had in flight: checked again after each restart and at the end.
    pub in_flight: Vec<Entry>,
    pub rng: Rng,
    /// The first refusals, for the report (refusals are not expected).
    pub refusals: Vec<String>,
}

/// Amounts of the notes for `value`: its binary decomposition.
pub fn split(value: u64) -> Vec<u64> {
    (0..64).map(|bit| 1u64 << bit).filter(|amount| value & amount != 0).collect()
}

/// The result of one HTTP exchange, as the journal counts it.
pub struct Exchange {
    pub answer: Answer,
    pub status: u16,
    pub body: Vec<u8>,
}

/// Send one request on `conn` (reconnecting first if it is gone); any transport failure is an unknown
/// outcome.
pub fn exchange(endpoint: &Endpoint, conn: &mut Option<Connection>, method: &str, path: &str, body: &[u8]) -> Exchange {
    let unknown = |status| Exchange { answer: Answer::Unknown, status, body: Vec::new() };
    if conn.is_none() {
        match endpoint.connect() {
            Ok(fresh) => *conn = Some(fresh),
            Err(_) => return unknown(0),
        }
    }
    let Some(open) = conn.as_mut() else { return unknown(0) };
    match open.send(&endpoint.request_bytes(method, path, body)) {
        Ok(response) => {
            if response.close {
                *conn = None;
            }
            let answer = match response.status {
                200 => Answer::Acknowledged,
                400..=499 => Answer::Refused,
                _ => Answer::Unknown,
            };
            Exchange { answer, status: response.status, body: response.body }
        }
        Err(_) => {
            *conn = None;
            unknown(0)
        }
    }
}

impl Client {
    pub fn value(&self) -> u64 {
        self.notes.iter().map(|n| n.amount.to_u64()).sum()
    }

    fn fee(&self, inputs: usize) -> u64 {
        (inputs as u64 * self.input_fee_ppk).div_ceil(1000)
    }

    fn outputs(&self, amounts: &[u64]) -> anyhow::Result<Vec<Output>> {
        amounts
            .iter()
            .map(|amount| {
                let secret = Secret::generate()?;
                let (blinded, r) = dhke::blind_message(secret.as_bytes(), None)?;
                let message = BlindedMessage {
                    amount: Amount::from_u64(*amount),
                    keyset_id: self.keyset.id,
                    blinded_secret: blinded,
                    witness: None,
                };
                Ok(Output { message, secret, r })
            })
            .collect()
    }

    /// Take `count` random notes out of the wallet.
    fn take_notes(&mut self, count: usize) -> Vec<Proof> {
        let mut taken = Vec::new();
        for _ in 0..count.min(self.notes.len()) {
            let at = (self.rng.next() % self.notes.len() as u64) as usize;
            taken.push(self.notes.swap_remove(at));
        }
        taken
    }

    /// Run one random operation; `false` once the mint stopped answering (the round is over for this
    /// client).
    pub fn step(&mut self, endpoint: &Endpoint, conn: &mut Option<Connection>) -> anyhow::Result<bool> {
        let roll = self.rng.between(0, 99);
        if self.value() < 64 || self.notes.len() < 2 || roll < 25 {
            self.mint(endpoint, conn)
        } else if roll < 75 {
            self.swap(endpoint, conn)
        } else {
            self.melt(endpoint, conn, roll < 87)
        }
    }

    fn record(&mut self, mut entry: Entry, exchange: &Exchange) -> anyhow::Result<bool> {
        entry.answer = exchange.answer;
        match exchange.answer {
            Answer::Acknowledged => {
                if !entry.outputs.is_empty() {
                    let signatures = match entry.kind {
                        Kind::Swap => serde_json::from_slice::<SwapResponse>(&exchange.body)?.signatures,
                        _ => serde_json::from_slice::<MintResponse>(&exchange.body)?.signatures,
                    };
                    self.notes.extend(self.unblind(&entry.outputs, &signatures)?);
                    entry.signatures = signatures;
                }
            }
            Answer::Refused => {
                if self.refusals.len() < 5 {
                    self.refusals.push(format!(
                        "{} HTTP {}: {}",
                        entry.path,
                        exchange.status,
                        String::from_utf8_lossy(&exchange.body)
                    ));
                }
                self.notes.extend(entry.inputs.iter().cloned());
            }
            Answer::Unknown => {}
        }
        let go_on = exchange.answer != Answer::Unknown;
        self.journal.push(entry);
        Ok(go_on)
    }

    fn swap(&mut self, endpoint: &Endpoint, conn: &mut Option<Connection>) -> anyhow::Result<bool> {
        let count = self.rng.between(1, 3) as usize;
        let mut inputs = self.take_notes(count);
        let mut total: u64 = inputs.iter().map(|n| n.amount.to_u64()).sum();
        while total <= self.fee(inputs.len()) && !self.notes.is_empty() {
            inputs.extend(self.take_notes(1));
            total = inputs.iter().map(|n| n.amount.to_u64()).sum();
        }
        let value = total.saturating_sub(self.fee(inputs.len()));
        ensure!(value > 0, "client {}: notes too small for the input fee", self.index);
        // Two parts, each as powers of two: notes of varied sizes.
        let first = self.rng.between(0, value - 1);
        let mut amounts = split(first);
        amounts.extend(split(value - first));
        let outputs = self.outputs(&amounts)?;
        let request =
            SwapRequest { inputs: inputs.clone(), outputs: outputs.iter().map(|o| o.message.clone()).collect() };
        let body = serde_json::to_vec(&request)?;
        let exchange = exchange(endpoint, conn, "POST", "/v1/swap", &body);
        let entry = Entry {
            kind: Kind::Swap,
            path: "/v1/swap".into(),
            body,
            inputs,
            outputs,
            quote: None,
            bank_credit: 0,
            answer: Answer::Unknown,
            signatures: Vec::new(),
            counted: false,
            deferred: false,
        };
        self.record(entry, &exchange)
    }

    fn mint(&mut self, endpoint: &Endpoint, conn: &mut Option<Connection>) -> anyhow::Result<bool> {
        let value = self.rng.between(16, 200);
        let quote_request = MintQuoteBolt11Request {
            amount: Amount::from_u64(value),
            unit: CurrencyUnit::Sat,
            description: None,
            pubkey: None,
        };
        let quoted = exchange(endpoint, conn, "POST", "/v1/mint/quote/bolt11", &serde_json::to_vec(&quote_request)?);
        match quoted.answer {
            // Creating a quote moves no value: a lost one is simply never used.
            Answer::Unknown => return Ok(false),
            Answer::Refused => {
                self.refusals.push(format!(
                    "mint quote HTTP {}: {}",
                    quoted.status,
                    String::from_utf8_lossy(&quoted.body)
                ));
                return Ok(true);
            }
            Answer::Acknowledged => {}
        }
        let quote: MintQuoteBolt11Response = serde_json::from_slice(&quoted.body)?;
        let outputs = self.outputs(&split(value))?;
        let request = MintRequest {
            quote: quote.quote.clone(),
            outputs: outputs.iter().map(|o| o.message.clone()).collect(),
            signature: None,
        };
        let body = serde_json::to_vec(&request)?;
        let exchange = exchange(endpoint, conn, "POST", "/v1/mint/bolt11", &body);
        let entry = Entry {
            kind: Kind::Mint,
            path: "/v1/mint/bolt11".into(),
            body,
            inputs: Vec::new(),
            outputs,
            quote: Some((quote.quote, "bolt11")),
            bank_credit: 0,
            answer: Answer::Unknown,
            signatures: Vec::new(),
            counted: false,
            deferred: false,
        };
        self.record(entry, &exchange)
    }

    fn melt(&mut self, endpoint: &Endpoint, conn: &mut Option<Connection>, bank: bool) -> anyhow::Result<bool> {
        let count = self.rng.between(1, 2) as usize;
        let inputs = self.take_notes(count);
        let total: u64 = inputs.iter().map(|n| n.amount.to_u64()).sum();
        let amount = total.saturating_sub(self.fee(inputs.len()));
        if amount == 0 {
            self.notes.extend(inputs);
            return Ok(true);
        }
        let (method, quote_body) = if bank {
            let request = MeltQuoteBankRequest {
                request: self.account.clone(),
                unit: CurrencyUnit::Sat,
                amount: Amount::from_u64(amount),
            };
            ("bank", serde_json::to_vec(&request)?)
        } else {
            // A fake invoice for `amount` sat (the fake backend reads the amount and pays nothing).
            let tag: String = (0..20)
                .map(|_| char::from(b"qpzry9x8gf2tvdw0s3jn54khce6mua7l"[(self.rng.next() % 32) as usize]))
                .collect();
            let request = MeltQuoteBolt11Request {
                request: format!("lnbc{}n1{tag}", amount * 10),
                unit: CurrencyUnit::Sat,
                options: None,
            };
            ("bolt11", serde_json::to_vec(&request)?)
        };
        let quoted = exchange(endpoint, conn, "POST", &format!("/v1/melt/quote/{method}"), &quote_body);
        if quoted.answer != Answer::Acknowledged {
            self.notes.extend(inputs);
            if quoted.answer == Answer::Refused {
                self.refusals.push(format!(
                    "melt quote HTTP {}: {}",
                    quoted.status,
                    String::from_utf8_lossy(&quoted.body)
                ));
            }
            return Ok(quoted.answer == Answer::Refused);
        }
        let quote: MeltQuoteBolt11Response = serde_json::from_slice(&quoted.body)?;
        if quote.fee_reserve.to_u64() > 0 {
            // The inputs were sized for no reserve; leave this one.
            self.notes.extend(inputs);
            return Ok(true);
        }
        let request =
            MeltRequest { quote: quote.quote.clone(), inputs: inputs.clone(), outputs: None, prefer_async: false };
        let body = serde_json::to_vec(&request)?;
        let path = format!("/v1/melt/{method}");
        let exchange = exchange(endpoint, conn, "POST", &path, &body);
        let entry = Entry {
            kind: Kind::Melt,
            path,
            body,
            inputs,
            outputs: Vec::new(),
            quote: Some((quote.quote, method)),
            bank_credit: if bank { amount } else { 0 },
            answer: Answer::Unknown,
            signatures: Vec::new(),
            counted: false,
            deferred: false,
        };
        self.record(entry, &exchange)
    }

    /// Unblind signatures of these outputs (same order), checking amounts and DLEQ proofs.
    pub fn unblind(&self, outputs: &[Output], signatures: &[BlindSignature]) -> anyhow::Result<Vec<Proof>> {
        ensure!(outputs.len() == signatures.len(), "{} signatures for {} outputs", signatures.len(), outputs.len());
        outputs
            .iter()
            .zip(signatures)
            .map(|(output, signature)| {
                ensure!(signature.amount == output.message.amount, "signature of another amount");
                signature.verify_dleq(&self.keyset.keys, &output.message.blinded_secret)?;
                let key = self.keyset.keys.amount_key(signature.amount)?;
                let c = dhke::unblind_message(&signature.c, &output.r, key)?;
                Ok(Proof {
                    amount: signature.amount,
                    keyset_id: signature.keyset_id,
                    secret: output.secret.clone(),
                    c,
                    witness: None,
                    dleq: None,
                })
            })
            .collect()
    }
}

/// Ask the (restarted) mint about one operation: NUT-07 states of its inputs, NUT-09 signatures of its
/// outputs (by `B_`), its quote's state.
pub fn observe(
    endpoint: &Endpoint,
    conn: &mut Connection,
    entry: &Entry,
) -> anyhow::Result<(Observed, BTreeMap<PublicKey, BlindSignature>)> {
    let mut observed = Observed { inputs: Vec::new(), outputs_signed: Vec::new(), mint_quote: None, melt_quote: None };
    if !entry.inputs.is_empty() {
        let ys = entry.inputs.iter().map(Proof::y).collect::<Result<Vec<_>, _>>()?;
        let answer: CheckStateResponse = crate::http::call(
            endpoint,
            conn,
            "POST",
            "/v1/checkstate",
            &serde_json::to_vec(&CheckStateRequest { ys: ys.clone() })?,
        )?;
        let states: BTreeMap<PublicKey, State> = answer.states.into_iter().map(|s| (s.y, s.state)).collect();
        observed.inputs = ys.iter().map(|y| states.get(y).copied().unwrap_or(State::Unspent)).collect();
    }
    let mut signed = BTreeMap::new();
    if !entry.outputs.is_empty() {
        let outputs = entry.outputs.iter().map(|o| o.message.clone()).collect();
        let answer: RestoreResponse = crate::http::call(
            endpoint,
            conn,
            "POST",
            "/v1/restore",
            &serde_json::to_vec(&RestoreRequest { outputs })?,
        )?;
        for (output, signature) in answer.outputs.into_iter().zip(answer.signatures) {
            signed.insert(output.blinded_secret, signature);
        }
        observed.outputs_signed =
            entry.outputs.iter().map(|o| signed.contains_key(&o.message.blinded_secret)).collect();
    }
    if let Some((quote, method)) = &entry.quote {
        match entry.kind {
            Kind::Mint => {
                let state: MintQuoteBolt11Response =
                    crate::http::call(endpoint, conn, "GET", &format!("/v1/mint/quote/{method}/{quote}"), b"")
                        .context("mint quote state")?;
                observed.mint_quote = Some(state.state);
            }
            _ => {
                let state: MeltQuoteBolt11Response =
                    crate::http::call(endpoint, conn, "GET", &format!("/v1/melt/quote/{method}/{quote}"), b"")
                        .context("melt quote state")?;
                observed.melt_quote = Some(state.state);
            }
        }
    }
    Ok((observed, signed))
}
