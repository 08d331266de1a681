//! Signature-operation counting: legacy, P2SH and witness (`GetTransactionSigOpCost`).

use bitcoin::{Transaction, TxOut};

use super::WITNESS_SCALE_FACTOR;
use crate::script::{get_op, is_p2sh, is_push_only, op, witness_program, VerifyFlags};

/// `CScript::GetSigOpCount`: CHECKSIGs count one; CHECKMULTISIGs count their key count when
/// `accurate` and preceded by OP_1..OP_16, otherwise 20.
pub fn script_sig_op_count(script: &[u8], accurate: bool) -> u32 {
    let mut n = 0u32;
    let mut last = op::OP_INVALIDOPCODE;
    let mut pc = 0;
    while pc < script.len() {
        let Some(ins) = get_op(script, &mut pc) else {
            break;
        };
        match ins.opcode {
            op::OP_CHECKSIG | op::OP_CHECKSIGVERIFY => n += 1,
            op::OP_CHECKMULTISIG | op::OP_CHECKMULTISIGVERIFY => {
                n += if accurate && (op::OP_1..=op::OP_16).contains(&last) {
                    (last - op::OP_1 + 1) as u32
                } else {
                    20
                };
            }
            _ => {}
        }
        last = ins.opcode;
    }
    n
}

/// The last push of a push-only scriptSig, or `None` if it is not push-only.
pub fn last_push(script_sig: &[u8]) -> Option<Vec<u8>> {
    let mut pc = 0;
    let mut data = Vec::new();
    while pc < script_sig.len() {
        let ins = get_op(script_sig, &mut pc)?;
        if ins.opcode > op::OP_16 {
            return None;
        }
        data = ins.data.to_vec();
    }
    Some(data)
}

/// `GetLegacySigOpCount`: inaccurate counts over every scriptSig and scriptPubKey.
pub fn legacy_sig_op_count(tx: &Transaction) -> u32 {
    tx.input
        .iter()
        .map(|i| script_sig_op_count(i.script_sig.as_bytes(), false))
        .sum::<u32>()
        + tx.output
            .iter()
            .map(|o| script_sig_op_count(o.script_pubkey.as_bytes(), false))
            .sum::<u32>()
}

/// `GetP2SHSigOpCount`: accurate counts of the redeem scripts of P2SH inputs.
pub fn p2sh_sig_op_count(tx: &Transaction, spent: &[TxOut]) -> u32 {
    if tx.is_coinbase() {
        return 0;
    }
    tx.input
        .iter()
        .zip(spent)
        .filter(|(_, out)| is_p2sh(out.script_pubkey.as_bytes()))
        .map(|(i, _)| match last_push(i.script_sig.as_bytes()) {
            Some(redeem) => script_sig_op_count(&redeem, true),
            None => 0,
        })
        .sum()
}

fn witness_sig_ops(version: u8, program: &[u8], witness: &bitcoin::Witness) -> u32 {
    if version != 0 {
        return 0;
    }
    match program.len() {
        20 => 1,
        32 => witness
            .last()
            .map(|s| script_sig_op_count(s, true))
            .unwrap_or(0),
        _ => 0,
    }
}

/// `CountWitnessSigOps` for one input.
pub fn witness_sig_op_count(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &bitcoin::Witness,
    flags: VerifyFlags,
) -> u32 {
    if !flags.contains(VerifyFlags::WITNESS) {
        return 0;
    }
    if let Some((v, p)) = witness_program(script_pubkey) {
        return witness_sig_ops(v, p, witness);
    }
    if is_p2sh(script_pubkey) && is_push_only(script_sig) {
        if let Some(redeem) = last_push(script_sig) {
            if let Some((v, p)) = witness_program(&redeem) {
                return witness_sig_ops(v, p, witness);
            }
        }
    }
    0
}

/// `GetTransactionSigOpCost`: legacy and P2SH sigops weighted by 4, witness sigops by 1.
/// `spent` holds the outputs the inputs spend, in input order.
pub fn transaction_sig_op_cost(tx: &Transaction, spent: &[TxOut], flags: VerifyFlags) -> i64 {
    let mut cost = legacy_sig_op_count(tx) as i64 * WITNESS_SCALE_FACTOR as i64;
    if tx.is_coinbase() {
        return cost;
    }
    if flags.contains(VerifyFlags::P2SH) {
        cost += p2sh_sig_op_count(tx, spent) as i64 * WITNESS_SCALE_FACTOR as i64;
    }
    for (input, out) in tx.input.iter().zip(spent) {
        cost += witness_sig_op_count(
            input.script_sig.as_bytes(),
            out.script_pubkey.as_bytes(),
            &input.witness,
            flags,
        ) as i64;
    }
    cost
}
