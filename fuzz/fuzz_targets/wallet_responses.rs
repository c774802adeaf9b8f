//! Every JSON answer the wallet parses from a mint it does not trust: the first byte picks the endpoint.
//! Parsing never panics, a parsed answer round-trips through JSON, and the checks the wallet runs on a mint's
//! keys (every keyset id derived from its keys) answer instead of panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::nuts::bank::AccountInfo;
use shared::nuts::{
    CheckStateResponse, ErrorResponse, KeysResponse, KeysetResponse, MeltQuoteBolt11Response, MintInfo,
    MintQuoteBolt11Response, MintResponse, RestoreResponse, SwapResponse,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    match which % 11 {
        0 => {
            if let Some(keys) = roundtrip::<KeysResponse>(body) {
                for keyset in &keys.keysets {
                    let _ = keyset.verify_id();
                    let _ = keyset.info();
                }
            }
        }
        1 => {
            let _ = roundtrip::<KeysetResponse>(body);
        }
        2 => {
            let _ = roundtrip::<MintInfo>(body);
        }
        3 => {
            let _ = roundtrip::<SwapResponse>(body);
        }
        4 => {
            let _ = roundtrip::<MintQuoteBolt11Response>(body);
        }
        5 => {
            let _ = roundtrip::<MintResponse>(body);
        }
        6 => {
            let _ = roundtrip::<MeltQuoteBolt11Response>(body);
        }
        7 => {
            let _ = roundtrip::<CheckStateResponse>(body);
        }
        8 => {
            let _ = roundtrip::<RestoreResponse>(body);
        }
        9 => {
            let _ = roundtrip::<AccountInfo>(body);
        }
        _ => {
            if let Some(error) = roundtrip::<ErrorResponse>(body) {
                assert_eq!(shared::nuts::ErrorCode::from_code(error.code.to_code()), error.code);
            }
        }
    }
});

/// Parse, and if that works, check that serializing and parsing again gives the same value.
fn roundtrip<T: DeserializeOwned + Serialize + PartialEq + core::fmt::Debug>(body: &[u8]) -> Option<T> {
    let parsed: T = serde_json::from_slice(body).ok()?;
    let json = serde_json::to_vec(&parsed).expect("a parsed answer serializes");
    let again: T = serde_json::from_slice(&json).expect("a serialized answer parses");
    assert_eq!(again, parsed, "parse(serialize(a)) == a");
    Some(parsed)
}
