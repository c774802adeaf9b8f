//! Paying a payment request (NUT-18, in-band): what it asks checked against what this wallet can pay, and
//! the mint to pay from. Pure; the payment itself is a send, composed in `Wallet::pay_request`.

use shared::Amount;

use super::views::{MintView, RequestAsk};
use crate::{MintUrl, WalletError};

/// The one unit this wallet holds.
const UNIT: &str = "sat";

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
