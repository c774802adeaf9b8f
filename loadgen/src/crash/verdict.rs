//! What an operation left behind after the mint was killed and restarted, and whether that is allowed: a
//! pure function of what the client saw ([`Answer`]) and what the restarted mint reports ([`Observed`]).

use shared::nuts::{MeltQuoteState, MintQuoteState, State};

/// The kinds of operation the crash test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /v1/swap`.
    Swap,
    /// `POST /v1/mint/bolt11` (its quote paid at once by the fake backend).
    Mint,
    /// `POST /v1/melt/{bolt11,bank}`.
    Melt,
}

/// What the client got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 200 and the whole body read: the mint acknowledged the operation.
    Acknowledged,
    /// A 4xx Cashu error: a definitive refusal, nothing may have happened.
    Refused,
    /// No answer (connection reset, killed mid-way), or a 5xx: the outcome is unknown.
    Unknown,
}

/// What the restarted mint reports about the operation's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// NUT-07 states of the inputs (swap, melt).
    pub inputs: Vec<State>,
    /// Per output (swap, mint): whether NUT-09 restore returns a signature for its `B_`.
    pub outputs_signed: Vec<bool>,
    /// The mint quote's state (mint).
    pub mint_quote: Option<MintQuoteState>,
    /// The melt quote's state (melt).
    pub melt_quote: Option<MeltQuoteState>,
}

/// Whether the operation happened, as far as the mint's state shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Every effect is there.
    Applied,
    /// No effect is there.
    NotApplied,
    /// A melt still being paid: quote `PENDING`, every input `PENDING`. The mint finishes it (whoever takes
    /// its lease once the dead holder's has expired); check again later.
    InFlight,
    /// Some effects are there and others not (or the mint still holds it in flight after restart).
    Half(String),
}

/// The verdict on one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed: what the mint shows agrees with what the client was told.
    Consistent(Effect),
    /// An acknowledged operation whose effects are not (all) there.
    AcknowledgedButMissing(String),
    /// A refused operation that took effect.
    RefusedButApplied(String),
    /// An operation with some of its effects and not others.
    HalfApplied(String),
}

/// What the mint shows of one operation.
pub fn effect(kind: Kind, observed: &Observed) -> Effect {
    let all_spent = observed.inputs.iter().all(|s| *s == State::Spent);
    let none_spent = observed.inputs.iter().all(|s| *s == State::Unspent);
    let all_signed = observed.outputs_signed.iter().all(|signed| *signed);
    let none_signed = observed.outputs_signed.iter().all(|signed| !*signed);
    let (applied, not_applied) = match kind {
        Kind::Swap => (all_spent && all_signed, none_spent && none_signed),
        Kind::Mint => (
            all_signed && observed.mint_quote == Some(MintQuoteState::Issued),
            none_signed && matches!(observed.mint_quote, Some(MintQuoteState::Paid | MintQuoteState::Unpaid)),
        ),
        Kind::Melt => (
            all_spent && observed.melt_quote == Some(MeltQuoteState::Paid),
            none_spent && observed.melt_quote == Some(MeltQuoteState::Unpaid),
        ),
    };
    let in_flight = kind == Kind::Melt
        && observed.melt_quote == Some(MeltQuoteState::Pending)
        && observed.inputs.iter().all(|s| *s == State::Pending);
    if applied {
        Effect::Applied
    } else if not_applied {
        Effect::NotApplied
    } else if in_flight {
        Effect::InFlight
    } else {
        Effect::Half(format!("{kind:?}: {observed:?}"))
    }
}

/// The verdict: acknowledged operations must be applied, refused ones not, and none half.
pub fn classify(kind: Kind, answer: Answer, observed: &Observed) -> Verdict {
    match (effect(kind, observed), answer) {
        (Effect::Half(what), _) => Verdict::HalfApplied(what),
        (Effect::NotApplied, Answer::Acknowledged) => {
            Verdict::AcknowledgedButMissing(format!("{kind:?}: {observed:?}"))
        }
        (Effect::Applied | Effect::InFlight, Answer::Refused) => {
            Verdict::RefusedButApplied(format!("{kind:?}: {observed:?}"))
        }
        (effect, _) => Verdict::Consistent(effect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swap(inputs: &[State], outputs: &[bool]) -> Observed {
        Observed { inputs: inputs.to_vec(), outputs_signed: outputs.to_vec(), mint_quote: None, melt_quote: None }
    }

    #[test]
    fn a_swap_is_whole_or_absent() {
        use State::{Spent, Unspent};
        let done = swap(&[Spent, Spent], &[true, true, true]);
        let undone = swap(&[Unspent, Unspent], &[false, false, false]);
        for answer in [Answer::Acknowledged, Answer::Unknown] {
            assert_eq!(classify(Kind::Swap, answer, &done), Verdict::Consistent(Effect::Applied));
        }
        for answer in [Answer::Refused, Answer::Unknown] {
            assert_eq!(classify(Kind::Swap, answer, &undone), Verdict::Consistent(Effect::NotApplied));
        }
        assert!(matches!(classify(Kind::Swap, Answer::Acknowledged, &undone), Verdict::AcknowledgedButMissing(_)));
        assert!(matches!(classify(Kind::Swap, Answer::Refused, &done), Verdict::RefusedButApplied(_)));
        // Half: inputs spent without their outputs, outputs signed without their inputs, some of either.
        for half in [
            swap(&[Spent, Spent], &[false, false, false]),
            swap(&[Unspent, Unspent], &[true, true, true]),
            swap(&[Spent, Unspent], &[true, true, true]),
            swap(&[Spent, Spent], &[true, false, true]),
            swap(&[State::Pending, Spent], &[true, true, true]),
        ] {
            for answer in [Answer::Acknowledged, Answer::Refused, Answer::Unknown] {
                assert!(matches!(classify(Kind::Swap, answer, &half), Verdict::HalfApplied(_)), "{half:?} {answer:?}");
            }
        }
    }

    #[test]
    fn a_mint_is_issued_with_all_its_signatures_or_none() {
        let mint = |signed: &[bool], quote| Observed {
            inputs: Vec::new(),
            outputs_signed: signed.to_vec(),
            mint_quote: Some(quote),
            melt_quote: None,
        };
        let issued = mint(&[true, true], MintQuoteState::Issued);
        assert_eq!(classify(Kind::Mint, Answer::Unknown, &issued), Verdict::Consistent(Effect::Applied));
        let paid = mint(&[false, false], MintQuoteState::Paid);
        assert_eq!(classify(Kind::Mint, Answer::Unknown, &paid), Verdict::Consistent(Effect::NotApplied));
        assert!(matches!(classify(Kind::Mint, Answer::Acknowledged, &paid), Verdict::AcknowledgedButMissing(_)));
        for half in [
            mint(&[true, true], MintQuoteState::Paid),
            mint(&[false, false], MintQuoteState::Issued),
            mint(&[true, false], MintQuoteState::Issued),
        ] {
            assert!(matches!(classify(Kind::Mint, Answer::Unknown, &half), Verdict::HalfApplied(_)), "{half:?}");
        }
    }

    #[test]
    fn a_melt_is_paid_with_all_its_inputs_spent_or_none() {
        use State::{Spent, Unspent};
        let melt = |inputs: &[State], quote| Observed {
            inputs: inputs.to_vec(),
            outputs_signed: Vec::new(),
            mint_quote: None,
            melt_quote: Some(quote),
        };
        let paid = melt(&[Spent, Spent], MeltQuoteState::Paid);
        assert_eq!(classify(Kind::Melt, Answer::Acknowledged, &paid), Verdict::Consistent(Effect::Applied));
        let unpaid = melt(&[Unspent, Unspent], MeltQuoteState::Unpaid);
        assert_eq!(classify(Kind::Melt, Answer::Unknown, &unpaid), Verdict::Consistent(Effect::NotApplied));
        // Still being paid after the restart (the dead instance's lease has not expired yet): check later.
        let pending = melt(&[State::Pending, State::Pending], MeltQuoteState::Pending);
        assert_eq!(classify(Kind::Melt, Answer::Unknown, &pending), Verdict::Consistent(Effect::InFlight));
        assert!(matches!(classify(Kind::Melt, Answer::Refused, &pending), Verdict::RefusedButApplied(_)));
        for half in [
            melt(&[Spent, Spent], MeltQuoteState::Unpaid),
            melt(&[Unspent, Unspent], MeltQuoteState::Paid),
            melt(&[Spent, Unspent], MeltQuoteState::Paid),
            melt(&[State::Pending, Unspent], MeltQuoteState::Pending),
            melt(&[State::Pending, State::Pending], MeltQuoteState::Unpaid),
            melt(&[Spent, Spent], MeltQuoteState::Pending),
        ] {
            assert!(matches!(classify(Kind::Melt, Answer::Unknown, &half), Verdict::HalfApplied(_)), "{half:?}");
        }
    }
}
