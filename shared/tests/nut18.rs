//! NUT-18 payment requests: every vector of the spec (`tests/18-tests.md`) decodes to its request and
//! encodes back; random requests round trip. Native only (proptest does not run in the browser).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde::Deserialize;
use shared::nut18::{Nut10Option, PaymentRequest, Transport};
use shared::{Amount, CurrencyUnit};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    request: serde_json::Value,
    encoded: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str::<Vectors>(include_str!("vectors/nut18.json")).unwrap().vectors
}

#[test]
fn spec_vectors_decode_to_their_requests() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 6);
    for v in vectors {
        let expected: PaymentRequest = serde_json::from_value(v.request.clone()).unwrap();
        let decoded = PaymentRequest::decode(&v.encoded).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(decoded, expected, "{}", v.name);
        // Through our JSON too: the same field names as the spec's JSON.
        assert_eq!(serde_json::to_value(&decoded).unwrap(), v.request, "{}", v.name);
    }
}

#[test]
fn spec_vectors_encode_byte_for_byte() {
    for v in vectors() {
        let request = PaymentRequest::decode(&v.encoded).unwrap();
        let encoded = request.encode().unwrap();
        assert_eq!(PaymentRequest::decode(&encoded).unwrap(), request, "{}", v.name);
        // Two vectors carry a transport's `"g": null`, which we leave out; the others are identical.
        if v.name.contains("HTTP") || v.name.contains("Complete") {
            assert!(encoded.len() < v.encoded.len(), "{}", v.name);
        } else {
            assert_eq!(encoded, v.encoded, "{}", v.name);
        }
    }
}

#[test]
fn complete_vector_fields() {
    let v = vectors().into_iter().find(|v| v.name.starts_with("Complete")).unwrap();
    let request = PaymentRequest::decode(&v.encoded).unwrap();
    assert_eq!(request.i.as_deref(), Some("4840f51e"));
    assert_eq!(request.a, Some(Amount::from(1000)));
    assert_eq!(request.u, Some(CurrencyUnit::Sat));
    assert_eq!(request.s, Some(true));
    assert_eq!(request.m, ["https://mint.example.com"]);
    assert_eq!(request.d.as_deref(), Some("Product purchase"));
    assert_eq!(request.t, [Transport { t: "post".into(), a: "https://api.example.com/pay".into(), g: vec![] }]);
    assert_eq!(
        request.nut10,
        Some(Nut10Option {
            k: "P2PK".into(),
            d: "03baf0c3ac220366c2c397bf930579c4163435584f573b10910987c544c59e61f1".into(),
            t: vec![vec!["purpose".into(), "offline".into()]],
        })
    );
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn tags() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(text(), 1..4), 0..3)
}

fn request() -> impl Strategy<Value = PaymentRequest> {
    (
        prop::collection::vec((text(), text(), tags()).prop_map(|(t, a, g)| Transport { t, a, g }), 0..3),
        prop::option::of(text()),
        prop::option::of(any::<u64>().prop_map(Amount::from)),
        prop::option::of(prop_oneof![
            Just(CurrencyUnit::Sat),
            Just(CurrencyUnit::Usd),
            "[a-z]{1,8}".prop_map(|u| u.parse().unwrap())
        ]),
        prop::collection::vec(text(), 0..4),
        prop::option::of(text()),
        prop::option::of(any::<bool>()),
        prop::option::of((text(), text(), tags()).prop_map(|(k, d, t)| Nut10Option { k, d, t })),
    )
        .prop_map(|(t, i, a, u, m, d, s, nut10)| PaymentRequest { t, i, a, u, m, d, s, nut10 })
}

proptest! {
    #[test]
    fn requests_round_trip(request in request()) {
        let encoded = request.encode().unwrap();
        prop_assert!(encoded.starts_with("creqA"));
        prop_assert_eq!(PaymentRequest::decode(&encoded).unwrap(), request.clone());
        prop_assert_eq!(PaymentRequest::decode(encoded.trim_end_matches('=')).unwrap(), request);
    }

    #[test]
    fn garbage_is_refused_without_panic(body in "[A-Za-z0-9_=-]{0,200}") {
        let _ = PaymentRequest::decode(&format!("creqA{body}"));
    }
}
