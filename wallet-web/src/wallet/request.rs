//! Payment requests (NUT-18 `creqA…`, in-band: no transport, the token is handed over as text or QR code).
//! Making one for the wallet's mints; reading one into a [`RequestAsk`]; checking what it asks against what
//! this wallet can pay, and the mint to pay from. Pure; the payment itself is a send, composed in
//! `Wallet::pay_request`.

use shared::nut18::PaymentRequest;
use shared::{Amount, CurrencyUnit};

use super::views::{MintView, RequestAsk};
use crate::{MintUrl, WalletError};

/// The one unit this wallet holds.
const UNIT: &str = "sat";

/// A request for `amount` sat at the wallet's `mints`, with payment id `id`, single use, in-band (no
/// transport: the payer hands the token over).
pub(crate) fn make(
    id: String,
    amount: Amount,
    description: Option<String>,
    mints: &[MintView],
) -> Result<String, WalletError> {
    if amount == Amount::ZERO {
        return Err(WalletError::Invalid("The amount must be more than 0.".to_owned()));
    }
    if mints.is_empty() {
        return Err(WalletError::Invalid("Add a mint first: a request names the mints it accepts.".to_owned()));
    }
    let request = PaymentRequest {
        t: Vec::new(),
        i: Some(id),
        a: Some(amount),
        u: Some(CurrencyUnit::Sat),
        m: mints.iter().map(|mint| mint.url.clone()).collect(),
        d: description,
        s: Some(true),
        nut10: None,
    };
    request.encode().map_err(|error| WalletError::Invalid(format!("The request could not be made: {error}.")))
}

/// Reads a `creqA` request into what it asks.
pub(crate) fn read(text: &str) -> Result<RequestAsk, WalletError> {
    let joined: String = text.split_whitespace().collect();
    let request = PaymentRequest::decode(&joined).map_err(|error| {
        WalletError::Invalid(format!(
            "This is not a payment request this wallet can read (they start with \"creqA\"). Details: {error}."
        ))
    })?;
    Ok(RequestAsk {
        id: request.i,
        amount: request.a,
        unit: request.u.map(|unit| unit.as_str().to_owned()),
        mints: request.m,
        description: request.d,
        locked: request.nut10.is_some(),
    })
}

/// Checks `ask` (with `typed`, the amount the payer entered when the request names none) against the
/// wallet's `mints`; returns the mint to pay from and the amount. Refuses in plain words: a unit other than
/// sat, a spending condition, no amount, no accepted mint in the wallet, too little money at the accepted
/// mints.
pub(crate) fn choose(
    ask: &RequestAsk,
    typed: Option<Amount>,
    mints: &[MintView],
) -> Result<(String, Amount), WalletError> {
    let refuse = |text: String| Err(WalletError::Invalid(text));
    if let Some(unit) = ask.unit.as_deref()
        && !unit.eq_ignore_ascii_case(UNIT)
    {
        return refuse(format!("This request asks for \"{unit}\"; this wallet pays only in sat."));
    }
    if ask.locked {
        return refuse(
            "This request wants the payment locked to a spending condition (NUT-10), which this wallet cannot \
             make. Ask for a request without one."
                .to_owned(),
        );
    }
    let amount = match (ask.amount, typed) {
        (Some(asked), _) => asked,
        (None, Some(typed)) => typed,
        (None, None) => return refuse("This request names no amount: enter how much to pay.".to_owned()),
    };
    if amount == Amount::ZERO {
        return refuse("The amount must be more than 0.".to_owned());
    }
    let accepted: Vec<&MintView> = if ask.mints.is_empty() {
        mints.iter().collect()
    } else {
        let wanted: Vec<MintUrl> = ask.mints.iter().filter_map(|url| MintUrl::parse(url).ok()).collect();
        mints.iter().filter(|mint| wanted.iter().any(|url| url.as_str() == mint.url)).collect()
    };
    if accepted.is_empty() {
        return refuse(format!(
            "This request is to be paid at {}, where this wallet holds no money. Add that mint, or ask for a \
             request this wallet's mints can pay.",
            ask.mints.join(", ")
        ));
    }
    match accepted.iter().find(|mint| mint.balance >= amount) {
        Some(mint) => Ok((mint.url.clone(), amount)),
        None => {
            let most = accepted.iter().map(|mint| mint.balance).max().unwrap_or(Amount::ZERO);
            Err(WalletError::InsufficientFunds { available: most, needed: amount })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(url: &str, balance: u64) -> MintView {
        MintView {
            url: url.to_owned(),
            name: None,
            description: None,
            unit: "sat".to_owned(),
            balance: Amount::from(balance),
            pending: Amount::ZERO,
            methods: Vec::new(),
            input_fee_ppk: 0,
            motd: None,
        }
    }

    #[test]
    fn a_request_made_here_reads_back_as_asked() {
        let mints = [mint("https://a.example", 0), mint("http://127.0.0.1:3338", 5)];
        let text = make("b7a90176".into(), Amount::from(21), Some("coffee".into()), &mints).unwrap();
        assert!(text.starts_with("creqA"), "{text}");
        let decoded = PaymentRequest::decode(&text).unwrap();
        assert_eq!((decoded.s, decoded.t.len(), decoded.nut10), (Some(true), 0, None));
        let ask = read(&format!(" {}\n{} ", &text[..10], &text[10..])).unwrap();
        assert_eq!(
            ask,
            RequestAsk {
                id: Some("b7a90176".into()),
                amount: Some(Amount::from(21)),
                unit: Some("sat".into()),
                mints: vec!["https://a.example".into(), "http://127.0.0.1:3338".into()],
                description: Some("coffee".into()),
                locked: false,
            }
        );
        assert!(make("x".into(), Amount::ZERO, None, &mints).is_err());
        assert!(make("x".into(), Amount::from(1), None, &[]).unwrap_err().to_string().contains("Add a mint"));
    }

    #[test]
    fn a_locked_request_and_garbage_are_read_as_such() {
        let locked = PaymentRequest {
            a: Some(Amount::from(5)),
            nut10: Some(shared::nut18::Nut10Option { k: "P2PK".into(), d: "02ab".into(), t: Vec::new() }),
            ..PaymentRequest::default()
        };
        assert!(read(&locked.encode().unwrap()).unwrap().locked);
        for text in ["", "creqA!!!", "cashuBo2F0", "creqBabc"] {
            assert!(read(text).unwrap_err().to_string().starts_with("This is not a payment request"), "{text}");
        }
    }
}
