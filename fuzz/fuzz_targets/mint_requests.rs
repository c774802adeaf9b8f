//! Every JSON request body the mint parses: the first byte picks the endpoint, the rest is the body.
//! Parsing never panics; a parsed body serializes back to JSON that parses to the same request; the work the
//! mint does on a parsed request before any key is involved (each input's `Y = hash_to_curve(secret)`,
//! amount sums) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::nuts::bank::{BankPayRequest, MeltQuoteBankRequest};
use shared::nuts::{
    CheckStateRequest, MeltQuoteBolt11Request, MeltRequest, MintQuoteBolt11Request, MintRequest, RestoreRequest,
    SwapRequest,
};
use shared::{Amount, BlindedMessage, Proof};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    match which % 9 {
        0 => {
            if let Some(swap) = roundtrip::<SwapRequest>(body) {
                inputs(&swap.inputs);
                outputs(&swap.outputs);
            }
        }
        1 => {
            if let Some(request) = roundtrip::<CheckStateRequest>(body) {
                for y in &request.ys {
                    let _ = y.to_hex();
                }
            }
        }
        2 => {
            if let Some(request) = roundtrip::<RestoreRequest>(body) {
                outputs(&request.outputs);
            }
        }
        3 => {
            let _ = roundtrip::<MintQuoteBolt11Request>(body);
        }
        4 => {
            if let Some(request) = roundtrip::<MintRequest>(body) {
                outputs(&request.outputs);
            }
        }
        5 => {
            let _ = roundtrip::<MeltQuoteBolt11Request>(body);
        }
        6 => {
            if let Some(request) = roundtrip::<MeltRequest>(body) {
                inputs(&request.inputs);
                if let Some(blank) = &request.outputs {
                    outputs(blank);
                }
            }
        }
        7 => {
            let _ = roundtrip::<BankPayRequest>(body);
        }
        _ => {
            let _ = roundtrip::<MeltQuoteBankRequest>(body);
        }
    }
});

/// Parse, and if that works, check that serializing and parsing again gives the same value.
fn roundtrip<T: DeserializeOwned + Serialize + PartialEq + core::fmt::Debug>(body: &[u8]) -> Option<T> {
    let parsed: T = serde_json::from_slice(body).ok()?;
    let json = serde_json::to_vec(&parsed).expect("a parsed request serializes");
    let again: T = serde_json::from_slice(&json).expect("a serialized request parses");
    assert_eq!(again, parsed, "parse(serialize(r)) == r");
    Some(parsed)
}

fn inputs(proofs: &[Proof]) {
    for proof in proofs {
        let _ = proof.y();
    }
    let _ = shared::nuts::nut00::total_amount(proofs);
}

fn outputs(outputs: &[BlindedMessage]) {
    let _ = outputs.iter().try_fold(Amount::ZERO, |sum: Amount, output| sum.checked_add(output.amount).ok());
}
