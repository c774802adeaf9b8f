//! Tokens (`cashuA` JSON, `cashuB` CBOR, and raw `craw` bytes) as a wallet reads them from a paste, a QR
//! code or a link: decoding never panics, and whatever decodes encodes back to a token that decodes equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::Token;
use shared::token::TokenV4;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(token) = Token::decode(text) {
            check(&token);
        }
    }
    if let Ok(token) = TokenV4::from_raw_bytes(data) {
        let bytes = token.to_raw_bytes().expect("a decoded binary token encodes");
        assert_eq!(TokenV4::from_raw_bytes(&bytes).ok(), Some(token.clone()), "raw round trip");
        check(&Token::V4(token));
    }
});

fn check(token: &Token) {
    // Everything a wallet asks of a received token before it swaps it must answer, not panic.
    let _ = token.value();
    let _ = token.mint_url();
    let _ = token.proof_count();
    let ids: Vec<shared::Id> = Vec::new();
    let _ = token.proofs(&ids);
    let _ = token.keyset_ids();
    // A decoded token re-encodes, and the encoding decodes to the same token.
    if let Ok(text) = token.encode() {
        let again = Token::decode(&text).expect("an encoded token decodes");
        assert_eq!(&again, token, "decode(encode(t)) == t");
    }
}
