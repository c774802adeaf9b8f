//! The checks and signing every operation shares, free of I/O: request shape, input signatures, outputs'
//! keysets and amounts, blind signatures with DLEQ proofs.

use std::collections::HashSet;

use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, Proof, PublicKey, dhke, dleq};

use super::{Keysets, MintError, MintSettings};

/// Structural checks that need no crypto: counts, sizes of secrets and witnesses, duplicates. They run
/// before anything else looks at a request, so an oversized request costs one pass over its lengths.
pub(super) fn check_shape(
    settings: &MintSettings,
    inputs: &[Proof],
    outputs: &[BlindedMessage],
) -> Result<(), MintError> {
    if inputs.len() > settings.max_inputs {
        return Err(MintError::TooManyInputs(settings.max_inputs));
    }
    if outputs.len() > settings.max_outputs {
        return Err(MintError::TooManyOutputs(settings.max_outputs));
    }
    check_sizes(settings, inputs, outputs)?;
    let mut secrets = HashSet::with_capacity(inputs.len());
    if !inputs.iter().all(|p| secrets.insert(p.secret.as_str())) {
        return Err(MintError::DuplicateInputs);
    }
    let mut blinded = HashSet::with_capacity(outputs.len());
    if !outputs.iter().all(|o| blinded.insert(o.blinded_secret)) {
        return Err(MintError::DuplicateOutputs);
    }
    Ok(())
}

/// Secrets and witnesses are stored with a spent note for good and shown by check state: each is bounded
/// ([`MintSettings::max_secret_len`], [`MintSettings::max_witness_len`], in bytes).
fn check_sizes(settings: &MintSettings, inputs: &[Proof], outputs: &[BlindedMessage]) -> Result<(), MintError> {
    for proof in inputs {
        if proof.secret.as_str().len() > settings.max_secret_len {
            return Err(MintError::TooLong(format!("secret too long. max: {}", settings.max_secret_len)));
        }
        if proof.witness.as_ref().is_some_and(|w| w.len() > settings.max_witness_len) {
            return Err(MintError::TooLong(format!("input witness data too long. max: {}", settings.max_witness_len)));
        }
    }
    if outputs.iter().any(|o| o.witness.as_ref().is_some_and(|w| w.len() > settings.max_witness_len)) {
        return Err(MintError::TooLong(format!("output witness data too long. max: {}", settings.max_witness_len)));
    }
    Ok(())
}

/// A swap balances: the outputs (if any) are of the inputs' unit and worth the inputs less the fee.
pub(super) fn check_swap_balance(
    input_unit: &CurrencyUnit,
    input_total: Amount,
    fee: Amount,
    output_unit: &CurrencyUnit,
    output_total: Amount,
    has_outputs: bool,
) -> Result<(), MintError> {
    if input_unit != output_unit && has_outputs {
        return Err(MintError::UnitMismatch);
    }
    let expected = input_total
        .checked_sub(fee)
        .map_err(|_| MintError::Unbalanced(format!("inputs ({input_total}) do not cover the fee ({fee})")))?;
    if expected != output_total {
        return Err(MintError::Unbalanced(format!("inputs {input_total} - fee {fee} != outputs {output_total}")));
    }
    Ok(())
}

/// A melt's inputs are of the quote's unit and cover `required` (amount + fee reserve) plus the input fee.
pub(super) fn check_melt_covers(
    input_unit: &CurrencyUnit,
    input_total: Amount,
    fee: Amount,
    quote_unit: &CurrencyUnit,
    required: Amount,
) -> Result<(), MintError> {
    if input_unit != quote_unit {
        return Err(MintError::UnitMismatch);
    }
    let needed = required.checked_add(fee)?;
    if input_total < needed {
        return Err(MintError::Unbalanced(format!("inputs {input_total} < amount + fee reserve + fees {needed}")));
    }
    Ok(())
}

/// The inputs' unit, fee and total, from their keysets and claimed amounts alone (no cryptography): what a
/// request must balance before any signature is verified. An amount the keyset has no key for cannot be a
/// note the mint signed.
pub(super) fn price_inputs(keysets: &Keysets, inputs: &[Proof]) -> Result<(CurrencyUnit, Amount, Amount), MintError> {
    let mut unit: Option<&CurrencyUnit> = None;
    let mut fees_ppk = Vec::with_capacity(inputs.len());
    let mut total = Amount::ZERO;
    for proof in inputs {
        let keyset =
            keysets.get(&proof.keyset_id).ok_or_else(|| MintError::UnknownKeyset(proof.keyset_id.to_string()))?;
        match unit {
            None => unit = Some(&keyset.record.unit),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        keyset
            .keys
            .secret_key(proof.amount)
            .map_err(|_| MintError::ProofInvalid(format!("keyset has no key for amount {}", proof.amount)))?;
        fees_ppk.push(keyset.record.input_fee_ppk);
        total = total.checked_add(proof.amount)?;
    }
    let fee = shared::keyset::fee_for_inputs(fees_ppk)?;
    Ok((unit.cloned().unwrap_or_default(), fee, total))
}

/// Verify every input's signature (the expensive part: a hash to the curve and a point multiplication
/// each). Returns the spend list, each input with its `Y`.
pub(super) fn verify_signatures(keysets: &Keysets, inputs: Vec<Proof>) -> Result<Vec<(PublicKey, Proof)>, MintError> {
    let mut spend = Vec::with_capacity(inputs.len());
    for proof in inputs {
        let keyset =
            keysets.get(&proof.keyset_id).ok_or_else(|| MintError::UnknownKeyset(proof.keyset_id.to_string()))?;
        let k = keyset
            .keys
            .secret_key(proof.amount)
            .map_err(|_| MintError::ProofInvalid(format!("keyset has no key for amount {}", proof.amount)))?;
        let y = proof.y().map_err(|e| MintError::ProofInvalid(e.to_string()))?;
        dhke::verify_message_with_y(k, &proof.c, &y)
            .map_err(|_| MintError::ProofInvalid("signature does not match".into()))?;
        spend.push((y, proof));
    }
    Ok(spend)
}

/// Check outputs: known, active keysets of one unit, amounts the keyset signs. Returns unit and total.
pub(super) fn check_outputs(
    keysets: &Keysets,
    outputs: &[BlindedMessage],
) -> Result<(CurrencyUnit, Amount), MintError> {
    let mut unit: Option<CurrencyUnit> = None;
    let mut total = Amount::ZERO;
    for output in outputs {
        let keyset =
            keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
        if !keyset.record.active {
            return Err(MintError::InactiveKeyset(output.keyset_id.to_string()));
        }
        match &unit {
            None => unit = Some(keyset.record.unit.clone()),
            Some(u) if *u != keyset.record.unit => return Err(MintError::MultipleUnits),
            Some(_) => {}
        }
        keyset.secret_key(output.amount)?;
        total = total.checked_add(output.amount)?;
    }
    Ok((unit.unwrap_or_default(), total))
}

/// Sign outputs (already checked), each with its DLEQ proof.
pub(super) fn sign_outputs(
    keysets: &Keysets,
    outputs: &[BlindedMessage],
) -> Result<Vec<(PublicKey, BlindSignature)>, MintError> {
    outputs
        .iter()
        .map(|output| {
            let keyset =
                keysets.get(&output.keyset_id).ok_or_else(|| MintError::UnknownKeyset(output.keyset_id.to_string()))?;
            let k = keyset.secret_key(output.amount)?;
            let c = dhke::sign_message(k, &output.blinded_secret).map_err(|e| MintError::BadRequest(e.to_string()))?;
            let proof =
                dleq::calculate_dleq(k, &output.blinded_secret, &c).map_err(|e| MintError::Internal(e.to_string()))?;
            Ok((
                output.blinded_secret,
                BlindSignature { amount: output.amount, keyset_id: output.keyset_id, c, dleq: Some(proof) },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use shared::keyset::MintKeySet;
    use shared::{Id, Secret};

    use super::*;
    use crate::store::KeysetRecord;

    const MASTER: [u8; 32] = [7; 32];

    /// A keyset of `unit` with amounts 2^0 .. 2^(max_order-1).
    fn record(unit: CurrencyUnit, index: u32, max_order: u8, input_fee_ppk: u64, active: bool) -> KeysetRecord {
        let keys = MintKeySet::derive(&MASTER, unit.clone(), index, max_order, input_fee_ppk, None).unwrap();
        KeysetRecord {
            id: keys.id,
            unit,
            derivation_index: index,
            max_order,
            input_fee_ppk,
            final_expiry: None,
            active,
        }
    }

    /// Keysets: [0] active sat (fee 100 ppk), [1] inactive sat, [2] active usd.
    fn keysets() -> (Keysets, Vec<Id>) {
        let records = vec![
            record(CurrencyUnit::Sat, 0, 8, 100, true),
            record(CurrencyUnit::Sat, 1, 8, 0, false),
            record(CurrencyUnit::Usd, 0, 8, 0, true),
        ];
        let ids = records.iter().map(|r| r.id).collect();
        (Keysets::load(&MASTER, records).unwrap(), ids)
    }

    /// A note the mint signed: `C = k Y` with the keyset's key for `amount`.
    fn proof(keysets: &Keysets, id: Id, amount: u64, secret: &str) -> Proof {
        let secret = Secret::new(secret);
        let y = secret.to_y().unwrap();
        let k = keysets.get(&id).unwrap().secret_key(Amount::from_u64(amount)).unwrap();
        Proof {
            amount: Amount::from_u64(amount),
            keyset_id: id,
            c: dhke::sign_message(k, &y).unwrap(),
            secret,
            witness: None,
            dleq: None,
        }
    }

    fn output(id: Id, amount: u64, secret: &str) -> BlindedMessage {
        let (blinded_secret, _) = dhke::blind_message(secret.as_bytes(), None).unwrap();
        BlindedMessage { amount: Amount::from_u64(amount), keyset_id: id, blinded_secret, witness: None }
    }

    fn sat(value: u64) -> Amount {
        Amount::from_u64(value)
    }

    /// Both input checks, as an operation runs them: price, then signatures.
    #[allow(clippy::type_complexity)]
    fn verify_inputs(
        keysets: &Keysets,
        inputs: Vec<Proof>,
    ) -> Result<(Vec<(PublicKey, Proof)>, CurrencyUnit, Amount, Amount), MintError> {
        let (unit, fee, total) = price_inputs(keysets, &inputs)?;
        Ok((verify_signatures(keysets, inputs)?, unit, fee, total))
    }

    #[test]
    fn valid_inputs_give_their_ys_unit_fee_and_total() {
        let (keysets, ids) = keysets();
        let inputs = vec![proof(&keysets, ids[0], 4, "a"), proof(&keysets, ids[1], 2, "b")];
        let (spend, unit, fee, total) = verify_inputs(&keysets, inputs.clone()).unwrap();
        assert_eq!(spend.iter().map(|(y, _)| *y).collect::<Vec<_>>(), [inputs[0].y().unwrap(), inputs[1].y().unwrap()]);
        assert_eq!(unit, CurrencyUnit::Sat);
        // 100 ppk + 0 ppk, rounded up to a whole unit.
        assert_eq!(fee, sat(1));
        assert_eq!(total, sat(6));
    }

    #[test]
    fn inputs_are_refused_for_unknown_keysets_bad_signatures_and_amounts() {
        let (keysets, ids) = keysets();
        let unknown = Id::V1([9; 8]);
        let mut forged = proof(&keysets, ids[0], 4, "forged");
        forged.keyset_id = unknown;
        assert!(matches!(verify_inputs(&keysets, vec![forged]), Err(MintError::UnknownKeyset(_))));
        // Signed with the key for 2 but claiming 4.
        let mut wrong_amount = proof(&keysets, ids[0], 2, "c");
        wrong_amount.amount = sat(4);
        assert!(matches!(verify_inputs(&keysets, vec![wrong_amount]), Err(MintError::ProofInvalid(_))));
        // Signed by another keyset.
        let mut other_keyset = proof(&keysets, ids[1], 4, "d");
        other_keyset.keyset_id = ids[0];
        assert!(matches!(verify_inputs(&keysets, vec![other_keyset]), Err(MintError::ProofInvalid(_))));
        // An amount the keyset has no key for.
        let mut odd = proof(&keysets, ids[0], 1, "e");
        odd.amount = sat(3);
        assert!(matches!(verify_inputs(&keysets, vec![odd]), Err(MintError::ProofInvalid(_))));
        // Inputs of two units.
        let mixed = vec![proof(&keysets, ids[0], 1, "f"), proof(&keysets, ids[2], 1, "g")];
        assert!(matches!(verify_inputs(&keysets, mixed), Err(MintError::MultipleUnits)));
    }

    #[test]
    fn outputs_need_an_active_keyset_of_one_unit_and_a_known_amount() {
        let (keysets, ids) = keysets();
        let (unit, total) = check_outputs(&keysets, &[output(ids[0], 1, "a"), output(ids[0], 8, "b")]).unwrap();
        assert_eq!((unit, total), (CurrencyUnit::Sat, sat(9)));
        assert!(matches!(check_outputs(&keysets, &[output(Id::V1([9; 8]), 1, "a")]), Err(MintError::UnknownKeyset(_))));
        assert!(matches!(check_outputs(&keysets, &[output(ids[1], 1, "a")]), Err(MintError::InactiveKeyset(_))));
        assert!(matches!(check_outputs(&keysets, &[output(ids[0], 3, "a")]), Err(MintError::AmountOutOfRange(_))));
        assert!(matches!(check_outputs(&keysets, &[output(ids[0], 256, "a")]), Err(MintError::AmountOutOfRange(_))));
        let mixed = [output(ids[0], 1, "a"), output(ids[2], 1, "b")];
        assert!(matches!(check_outputs(&keysets, &mixed), Err(MintError::MultipleUnits)));
    }

    #[test]
    fn signatures_unblind_to_valid_notes_with_dleq_proofs() {
        let (keysets, ids) = keysets();
        let (blinded_secret, r) = dhke::blind_message(b"note", None).unwrap();
        let outputs = [BlindedMessage { amount: sat(8), keyset_id: ids[0], blinded_secret, witness: None }];
        let signed = sign_outputs(&keysets, &outputs).unwrap();
        assert_eq!(signed.len(), 1);
        let (b, signature) = &signed[0];
        assert_eq!(*b, blinded_secret);
        assert_eq!((signature.amount, signature.keyset_id), (sat(8), ids[0]));
        let k = keysets.get(&ids[0]).unwrap().secret_key(sat(8)).unwrap();
        let c = dhke::unblind_message(&signature.c, &r, &k.public_key()).unwrap();
        dhke::verify_message(k, &c, b"note").unwrap();
        let dleq = signature.dleq.as_ref().unwrap();
        dleq::verify_dleq(dleq, &k.public_key(), &blinded_secret, &signature.c).unwrap();
    }

    #[test]
    fn shape_limits_and_duplicates() {
        let (keysets, ids) = keysets();
        let settings = MintSettings { max_inputs: 2, max_outputs: 2, ..MintSettings::default() };
        let a = proof(&keysets, ids[0], 1, "a");
        let b = proof(&keysets, ids[0], 2, "b");
        let (o1, o2) = (output(ids[0], 1, "x"), output(ids[0], 2, "y"));
        check_shape(&settings, &[a.clone(), b.clone()], &[o1.clone(), o2.clone()]).unwrap();
        let three = [a.clone(), b.clone(), proof(&keysets, ids[0], 4, "c")];
        assert!(matches!(check_shape(&settings, &three, &[]), Err(MintError::TooManyInputs(2))));
        let three = [o1.clone(), o2.clone(), output(ids[0], 4, "z")];
        assert!(matches!(check_shape(&settings, &[], &three), Err(MintError::TooManyOutputs(2))));
        // The same secret twice, even with different amounts, is one note presented twice.
        let mut a_again = b.clone();
        a_again.secret = a.secret.clone();
        assert!(matches!(check_shape(&settings, &[a, a_again], &[]), Err(MintError::DuplicateInputs)));
        let mut o1_again = o2;
        o1_again.blinded_secret = o1.blinded_secret;
        assert!(matches!(check_shape(&settings, &[], &[o1, o1_again]), Err(MintError::DuplicateOutputs)));
    }

    #[test]
    fn secrets_and_witnesses_are_bounded_at_the_limit() {
        let (keysets, ids) = keysets();
        let settings = MintSettings { max_secret_len: 8, max_witness_len: 10, ..MintSettings::default() };
        let too_long = |result: Result<(), MintError>, what: &str| match result {
            Err(error @ MintError::TooLong(_)) => {
                assert_eq!(error.code().to_code(), 11000);
                assert!(error.to_string().contains(what), "{error}");
            }
            other => panic!("expected TooLong for {what}, got {other:?}"),
        };
        let mut note = proof(&keysets, ids[0], 1, "12345678");
        note.witness = Some("w".repeat(10));
        let mut out = output(ids[0], 1, "x");
        out.witness = Some("w".repeat(10));
        check_shape(&settings, std::slice::from_ref(&note), std::slice::from_ref(&out)).unwrap();

        let mut long_secret = note.clone();
        long_secret.secret = Secret::new("123456789");
        too_long(check_shape(&settings, &[long_secret], &[]), "secret too long. max: 8");
        let mut long_witness = note.clone();
        long_witness.witness = Some("w".repeat(11));
        too_long(check_shape(&settings, &[long_witness], &[]), "input witness data too long. max: 10");
        out.witness = Some("w".repeat(11));
        too_long(check_shape(&settings, &[], &[out]), "output witness data too long. max: 10");
        // Bytes, not characters: two-byte characters count twice.
        note.witness = Some("é".repeat(6));
        too_long(check_shape(&settings, &[note], &[]), "input witness");
    }

    #[test]
    fn balance_is_known_before_any_signature_is_checked() {
        let (keysets, ids) = keysets();
        // A forged note (no valid signature) still has a price: its keyset and claimed amount.
        let mut forged = proof(&keysets, ids[0], 4, "forged");
        forged.c = proof(&keysets, ids[0], 4, "other").c;
        let inputs = [forged.clone(), proof(&keysets, ids[1], 2, "b")];
        assert_eq!(price_inputs(&keysets, &inputs).unwrap(), (CurrencyUnit::Sat, sat(1), sat(6)));
        assert!(matches!(verify_signatures(&keysets, vec![forged]), Err(MintError::ProofInvalid(_))));
    }

    #[test]
    fn swap_balance_is_inputs_less_fee() {
        let (s, u) = (CurrencyUnit::Sat, CurrencyUnit::Usd);
        check_swap_balance(&s, sat(10), sat(1), &s, sat(9), true).unwrap();
        assert!(matches!(check_swap_balance(&s, sat(10), sat(1), &s, sat(10), true), Err(MintError::Unbalanced(_))));
        assert!(matches!(check_swap_balance(&s, sat(10), sat(0), &s, sat(9), true), Err(MintError::Unbalanced(_))));
        // Inputs that do not cover the fee, rather than an underflow.
        assert!(matches!(check_swap_balance(&s, sat(1), sat(2), &s, sat(0), false), Err(MintError::Unbalanced(_))));
        assert!(matches!(check_swap_balance(&s, sat(10), sat(0), &u, sat(10), true), Err(MintError::UnitMismatch)));
        // No outputs: the inputs are all fee (check_outputs reports the default unit then).
        check_swap_balance(&u, sat(1), sat(1), &s, sat(0), false).unwrap();
    }

    #[test]
    fn melt_inputs_cover_amount_reserve_and_fee() {
        let (s, u) = (CurrencyUnit::Sat, CurrencyUnit::Usd);
        check_melt_covers(&s, sat(11), sat(1), &s, sat(10)).unwrap();
        check_melt_covers(&s, sat(20), sat(1), &s, sat(10)).unwrap();
        assert!(matches!(check_melt_covers(&s, sat(10), sat(1), &s, sat(10)), Err(MintError::Unbalanced(_))));
        assert!(matches!(check_melt_covers(&u, sat(11), sat(1), &s, sat(10)), Err(MintError::UnitMismatch)));
        assert!(matches!(check_melt_covers(&s, Amount::MAX, sat(1), &s, Amount::MAX), Err(MintError::Unbalanced(_))));
    }

    #[test]
    fn totals_and_fees_that_overflow_are_refused() {
        let records = vec![record(CurrencyUnit::Sat, 0, 64, 0, true), record(CurrencyUnit::Sat, 1, 1, u64::MAX, true)];
        let ids: Vec<Id> = records.iter().map(|r| r.id).collect();
        let keysets = Keysets::load(&MASTER, records).unwrap();
        let big = 1u64 << 63;
        let inputs = vec![proof(&keysets, ids[0], big, "a"), proof(&keysets, ids[0], big, "b")];
        assert!(matches!(verify_inputs(&keysets, inputs), Err(MintError::Unbalanced(_))));
        let outputs = [output(ids[0], big, "a"), output(ids[0], big, "b")];
        assert!(matches!(check_outputs(&keysets, &outputs), Err(MintError::Unbalanced(_))));
        // Two inputs of a keyset charging u64::MAX ppk each: the fee sum overflows.
        let inputs = vec![proof(&keysets, ids[1], 1, "c"), proof(&keysets, ids[1], 1, "d")];
        assert!(matches!(verify_inputs(&keysets, inputs), Err(MintError::Unbalanced(_))));
    }
}
