//! Relay policy (Core's `policy/policy.cpp`): which transactions are standard, dust, and
//! virtual sizes with the sigop adjustment.

use bitcoin::{Transaction, TxOut};
use chain_json::{classify, ScriptKind};
use consensus::script::{
    eval_script, get_op, op, ExecutionData, SigVersion, SignatureChecker, VerifyFlags,
};
use consensus::tx::script_sig_op_count;

use crate::feerate::FeeRate;

/// Heaviest standard transaction, in weight units.
pub const MAX_STANDARD_TX_WEIGHT: i64 = 400_000;
/// Most sigops in a P2SH redeem script.
pub const MAX_P2SH_SIGOPS: u32 = 15;
/// Most sigop cost of a standard transaction.
pub const MAX_STANDARD_TX_SIGOPS_COST: i64 = 80_000 / 5;
/// Most legacy sigops across a transaction's inputs (BIP54).
pub const MAX_TX_LEGACY_SIGOPS: u32 = 2_500;
/// Default `-bytespersigop`.
pub const DEFAULT_BYTES_PER_SIGOP: i64 = 20;
/// Most stack items in a standard P2WSH input, besides the script.
pub const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
/// Largest stack item in a standard P2WSH input.
pub const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE: usize = 80;
/// Largest stack item in a standard tapscript spend.
pub const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
/// Largest standard witness script.
pub const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
/// Largest standard scriptSig.
pub const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
/// Default `-dustrelayfee`, satoshis per kvB.
pub const DUST_RELAY_TX_FEE: i64 = 3000;
/// Most dust outputs a standard transaction may create (ephemeral dust).
pub const MAX_DUST_OUTPUTS_PER_TX: usize = 1;
/// Lowest and highest standard transaction versions.
pub const TX_MIN_STANDARD_VERSION: i32 = 1;
/// Highest standard transaction version.
pub const TX_MAX_STANDARD_VERSION: i32 = 3;
/// Smallest standard transaction without witness (CVE-2017-12842).
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;

pub use consensus::script::{MANDATORY_SCRIPT_VERIFY_FLAGS, STANDARD_SCRIPT_VERIFY_FLAGS};

/// A checker that accepts no signature (`BaseSignatureChecker`).
struct NoSignatures;
impl SignatureChecker for NoSignatures {}

pub use consensus::script::is_unspendable;

/// Whether every opcode of `script` parses and is known (`CScript::HasValidOps`).
pub fn has_valid_ops(script: &[u8]) -> bool {
    let mut pc = 0;
    while pc < script.len() {
        match get_op(script, &mut pc) {
            Some(ins) if ins.opcode <= op::MAX_OPCODE && ins.data.len() <= 520 => {}
            _ => return false,
        }
    }
    true
}

fn compact_size_len(n: usize) -> u64 {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// The value below which `out` is dust at `dust_rate` (`GetDustThreshold`): what spending
/// it would cost, with a typical input's size.
pub fn dust_threshold(out: &TxOut, dust_rate: FeeRate) -> i64 {
    let spk = out.script_pubkey.as_bytes();
    if is_unspendable(spk) {
        return 0;
    }
    let mut size = 8 + compact_size_len(spk.len()) + spk.len() as u64;
    if consensus::script::witness_program(spk).is_some() {
        size += 32 + 4 + 1 + (107 / 4) + 4;
    } else {
        size += 32 + 4 + 1 + 107 + 4;
    }
    dust_rate.fee(size as i64)
}

/// Whether `out` is dust (`IsDust`).
pub fn is_dust(out: &TxOut, dust_rate: FeeRate) -> bool {
    (out.value.to_sat() as i64) < dust_threshold(out, dust_rate)
}

/// The positions of `tx`'s dust outputs (`GetDust`).
pub fn dust_outputs(tx: &Transaction, dust_rate: FeeRate) -> Vec<u32> {
    (0..tx.output.len() as u32)
        .filter(|&i| is_dust(&tx.output[i as usize], dust_rate))
        .collect()
}

/// What `IsStandardTx` needs from the pool's options.
#[derive(Debug, Clone, Copy)]
pub struct StandardOptions {
    /// Largest total OP_RETURN script size, or `None` when none are relayed.
    pub max_datacarrier_bytes: Option<u32>,
    /// Whether bare multisig outputs are standard.
    pub permit_bare_multisig: bool,
    /// The dust rate.
    pub dust_relay_feerate: FeeRate,
}

/// Core's `IsStandardTx`: `Err(reason)` for a non-standard transaction.
pub fn is_standard_tx(tx: &Transaction, opts: &StandardOptions) -> Result<(), &'static str> {
    let version = tx.version.0;
    if !(TX_MIN_STANDARD_VERSION..=TX_MAX_STANDARD_VERSION).contains(&version) {
        return Err("version");
    }
    if tx.weight().to_wu() as i64 > MAX_STANDARD_TX_WEIGHT {
        return Err("tx-size");
    }
    for input in &tx.input {
        if input.script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err("scriptsig-size");
        }
        if !consensus::script::is_push_only(input.script_sig.as_bytes()) {
            return Err("scriptsig-not-pushonly");
        }
    }
    let mut datacarrier_left = opts.max_datacarrier_bytes.unwrap_or(0);
    for out in &tx.output {
        let kind = classify(out.script_pubkey.as_bytes());
        match &kind {
            ScriptKind::NonStandard => return Err("scriptpubkey"),
            ScriptKind::Multisig { required, keys } => {
                let n = keys.len();
                if !(1..=3).contains(&n) || *required < 1 || usize::from(*required) > n {
                    return Err("scriptpubkey");
                }
                if !opts.permit_bare_multisig {
                    return Err("bare-multisig");
                }
            }
            ScriptKind::NullData => {
                let size = out.script_pubkey.len() as u32;
                if size > datacarrier_left {
                    return Err("datacarrier");
                }
                datacarrier_left -= size;
            }
            _ => {}
        }
    }
    if dust_outputs(tx, opts.dust_relay_feerate).len() > MAX_DUST_OUTPUTS_PER_TX {
        return Err("dust");
    }
    Ok(())
}

/// The redeem script a P2SH scriptSig pushes last, evaluated as Core does (no flags, no
/// signatures); `Err` carries the script error, `Ok(None)` an empty stack.
fn p2sh_redeem_script(
    script_sig: &[u8],
) -> Result<Option<Vec<u8>>, consensus::script::ScriptError> {
    let mut stack: Vec<Vec<u8>> = Vec::new();
    eval_script(
        &mut stack,
        script_sig,
        VerifyFlags::NONE,
        &NoSignatures,
        SigVersion::Base,
        &mut ExecutionData::default(),
    )?;
    Ok(stack.pop())
}

/// `CScript::GetSigOpCount(scriptSig)`: a P2SH output counts its redeem script's sigops.
fn p2sh_aware_sigops(spk: &[u8], script_sig: &[u8]) -> u32 {
    if !consensus::script::is_p2sh(spk) {
        return script_sig_op_count(spk, true);
    }
    consensus::tx::last_push(script_sig).map_or(0, |r| script_sig_op_count(&r, true))
}

/// Core's `ValidateInputsStandardness`: `Err(debug message)` for the reject reason
/// `bad-txns-nonstandard-inputs`. `spent` holds the outputs the inputs spend.
pub fn validate_inputs_standardness(tx: &Transaction, spent: &[TxOut]) -> Result<(), String> {
    let mut sigops = 0u32;
    for (input, prev) in tx.input.iter().zip(spent) {
        sigops += script_sig_op_count(input.script_sig.as_bytes(), true);
        sigops += p2sh_aware_sigops(prev.script_pubkey.as_bytes(), input.script_sig.as_bytes());
        if sigops > MAX_TX_LEGACY_SIGOPS {
            return Err("non-witness sigops exceed bip54 limit".into());
        }
    }
    for (i, (input, prev)) in tx.input.iter().zip(spent).enumerate() {
        match classify(prev.script_pubkey.as_bytes()) {
            ScriptKind::NonStandard => return Err(format!("input {i} script unknown")),
            ScriptKind::WitnessUnknown { .. } => {
                return Err(format!("input {i} witness program is undefined"))
            }
            ScriptKind::ScriptHash(_) => {
                let redeem = match p2sh_redeem_script(input.script_sig.as_bytes()) {
                    Err(e) => {
                        return Err(format!(
                            "p2sh scriptsig malformed (input {i}: {})",
                            e.message()
                        ))
                    }
                    Ok(None) => return Err(format!("input {i} P2SH redeemscript missing")),
                    Ok(Some(r)) => r,
                };
                let n = script_sig_op_count(&redeem, true);
                if n > MAX_P2SH_SIGOPS {
                    return Err(format!(
                        "p2sh redeemscript sigops exceed limit (input {i}: {n} > {MAX_P2SH_SIGOPS})"
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

const ANNEX_TAG: u8 = 0x50;
const TAPROOT_LEAF_MASK: u8 = 0xfe;
const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;

fn is_pay_to_anchor(spk: &[u8]) -> bool {
    spk == [0x51, 0x02, 0x4e, 0x73]
}

/// Core's `IsWitnessStandard`.
pub fn is_witness_standard(tx: &Transaction, spent: &[TxOut]) -> bool {
    for (input, prev) in tx.input.iter().zip(spent) {
        if input.witness.is_empty() {
            continue;
        }
        let mut script = prev.script_pubkey.as_bytes().to_vec();
        if is_pay_to_anchor(&script) {
            return false;
        }
        let mut p2sh = false;
        if consensus::script::is_p2sh(&script) {
            match p2sh_redeem_script(input.script_sig.as_bytes()) {
                Ok(Some(r)) => script = r,
                _ => return false,
            }
            p2sh = true;
        }
        let Some((version, program)) = consensus::script::witness_program(&script) else {
            return false;
        };
        let stack: Vec<&[u8]> = input.witness.iter().collect();
        if version == 0 && program.len() == 32 {
            let Some(last) = stack.last() else {
                return false;
            };
            if last.len() > MAX_STANDARD_P2WSH_SCRIPT_SIZE {
                return false;
            }
            let items = stack.len() - 1;
            if items > MAX_STANDARD_P2WSH_STACK_ITEMS {
                return false;
            }
            if stack[..items]
                .iter()
                .any(|i| i.len() > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE)
            {
                return false;
            }
        }
        if version == 1 && program.len() == 32 && !p2sh {
            if stack.len() >= 2 && stack.last().is_some_and(|a| a.first() == Some(&ANNEX_TAG)) {
                return false;
            }
            if stack.len() >= 2 {
                let control = stack[stack.len() - 1];
                let Some(&first) = control.first() else {
                    return false;
                };
                if first & TAPROOT_LEAF_MASK == TAPROOT_LEAF_TAPSCRIPT
                    && stack[..stack.len() - 2]
                        .iter()
                        .any(|i| i.len() > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
                {
                    return false;
                }
            } else if stack.len() != 1 {
                return false;
            }
        }
    }
    true
}

/// Whether `tx` spends a witness program other than pay-to-anchor, directly or nested in
/// P2SH (`SpendsNonAnchorWitnessProg`): such a transaction without witness data was
/// stripped.
pub fn spends_non_anchor_witness_program(tx: &Transaction, spent: &[TxOut]) -> bool {
    for (input, prev) in tx.input.iter().zip(spent) {
        let spk = prev.script_pubkey.as_bytes();
        if consensus::script::witness_program(spk).is_some() && !is_pay_to_anchor(spk) {
            return true;
        }
        if consensus::script::is_p2sh(spk) {
            if let Ok(Some(redeem)) = p2sh_redeem_script(input.script_sig.as_bytes()) {
                if consensus::script::witness_program(&redeem).is_some() {
                    return true;
                }
            }
        }
    }
    false
}

/// Weight raised to what the sigops would cost at `bytes_per_sigop`
/// (`GetSigOpsAdjustedWeight`).
pub fn sigops_adjusted_weight(weight: i64, sigop_cost: i64, bytes_per_sigop: i64) -> i64 {
    weight.max(sigop_cost * bytes_per_sigop)
}

/// Virtual size with the sigop adjustment (`GetVirtualTransactionSize`).
pub fn virtual_size(weight: i64, sigop_cost: i64, bytes_per_sigop: i64) -> i64 {
    (sigops_adjusted_weight(weight, sigop_cost, bytes_per_sigop) + 3) / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    fn out(value: u64, spk: &[u8]) -> TxOut {
        TxOut {
            value: Amount::from_sat(value),
            script_pubkey: ScriptBuf::from_bytes(spk.to_vec()),
        }
    }

    #[test]
    fn dust_thresholds_match_cores_well_known_values() {
        let rate = FeeRate::per_kvb(DUST_RELAY_TX_FEE);
        let mut p2pkh = vec![0x76, 0xa9, 0x14];
        p2pkh.extend([0u8; 20]);
        p2pkh.extend([0x88, 0xac]);
        assert_eq!(dust_threshold(&out(0, &p2pkh), rate), 546);
        let mut p2wpkh = vec![0x00, 0x14];
        p2wpkh.extend([0u8; 20]);
        assert_eq!(dust_threshold(&out(0, &p2wpkh), rate), 294);
        let mut p2tr = vec![0x51, 0x20];
        p2tr.extend([0u8; 32]);
        assert_eq!(dust_threshold(&out(0, &p2tr), rate), 330);
        assert_eq!(dust_threshold(&out(0, &[0x6a]), rate), 0);
        assert_eq!(
            dust_threshold(&out(0, &[0x51, 0x02, 0x4e, 0x73]), rate),
            240
        );
    }

    #[test]
    fn virtual_sizes_round_up_and_count_sigops() {
        assert_eq!(virtual_size(561, 0, 20), 141);
        assert_eq!(virtual_size(400, 80, 20), 400);
    }
}
