//! Every JSON request body of the mint's offline-coin endpoints (`/v1/offline/...`): the first byte picks the
//! endpoint, the rest is the body. Parsing never panics; a parsed body serializes back to JSON that parses to
//! the same request; what the mint computes from a deposit before any key is involved (the transcript's
//! message and challenge) never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::offline::api::{
    BondRequest, DepositBatchRequest, DepositRequest, RefundRequest, RegisterRequest, SessionRequest, WithdrawRequest,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    match which % 7 {
        0 => {
            let _ = roundtrip::<RegisterRequest>(body);
        }
        1 => {
            let _ = roundtrip::<BondRequest>(body);
        }
        2 => {
            let _ = roundtrip::<SessionRequest>(body);
        }
        3 => {
            let _ = roundtrip::<WithdrawRequest>(body);
        }
        4 => {
            if let Some(request) = roundtrip::<DepositRequest>(body) {
                let _ = request.transcript.message();
                let _ = request.transcript.challenge();
            }
        }
        5 => {
            let _ = roundtrip::<RefundRequest>(body);
        }
        _ => {
            if let Some(batch) = roundtrip::<DepositBatchRequest>(body) {
                for request in &batch.deposits {
                    let _ = request.transcript.message();
                    let _ = request.transcript.challenge();
                }
            }
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
