//! What a PSBT still needs, its fee and its estimated size (Core's `AnalyzePSBT`).

use bitcoin::TxOut;
use consensus::tx::transaction_sig_op_cost;

use super::sign::{precompute_psbt_data, psbt_input_signed_and_verified, sign_psbt_input};
use super::Psbt;
use crate::creator::money_range;
use crate::keys::KeyId;
use crate::provider::EmptyProvider;
use crate::sigdata::SignatureData;
use crate::sign::STANDARD_SCRIPT_VERIFY_FLAGS;

/// The roles of BIP174, in workflow order (`PSBTRole`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PsbtRole {
    /// Makes the PSBT.
    Creator,
    /// Adds UTXOs, scripts and keys.
    Updater,
    /// Signs.
    Signer,
    /// Builds the final scriptSigs and witnesses.
    Finalizer,
    /// Extracts the network transaction.
    Extractor,
}

impl PsbtRole {
    /// Core's name (`PSBTRoleName`).
    pub fn name(self) -> &'static str {
        match self {
            PsbtRole::Creator => "creator",
            PsbtRole::Updater => "updater",
            PsbtRole::Signer => "signer",
            PsbtRole::Finalizer => "finalizer",
            PsbtRole::Extractor => "extractor",
        }
    }
}

/// The state of one input (`PSBTInputAnalysis`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputAnalysis {
    /// Whether the output spent is known.
    pub has_utxo: bool,
    /// Whether the input is finalized.
    pub is_final: bool,
    /// Who should act on it next.
    pub next: PsbtRole,
    /// Keys whose public key is missing.
    pub missing_pubkeys: Vec<KeyId>,
    /// Keys whose signature is missing.
    pub missing_sigs: Vec<KeyId>,
    /// HASH160 of a missing redeem script.
    pub missing_redeem_script: Option<[u8; 20]>,
    /// SHA256 of a missing witness script.
    pub missing_witness_script: Option<[u8; 32]>,
}

/// The state of a PSBT (`PSBTAnalysis`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsbtAnalysis {
    /// The estimated virtual size of the finished transaction.
    pub estimated_vsize: Option<i64>,
    /// The estimated fee rate in satoshis per 1000 virtual bytes.
    pub estimated_feerate: Option<i64>,
    /// The fee, when every UTXO is known.
    pub fee: Option<i64>,
    /// Per-input states.
    pub inputs: Vec<InputAnalysis>,
    /// Who should act on the PSBT next.
    pub next: PsbtRole,
    /// Why the PSBT is invalid, if it is.
    pub error: String,
}

impl PsbtAnalysis {
    fn invalid(error: String) -> PsbtAnalysis {
        PsbtAnalysis {
            estimated_vsize: None,
            estimated_feerate: None,
            fee: None,
            inputs: Vec::new(),
            next: PsbtRole::Creator,
            error,
        }
    }
}

/// `AnalyzePSBT`; `bytes_per_sigop` is the node's `-bytespersigop` (Core's default 20),
/// which weighs signature operations in the size estimate.
pub fn analyze_psbt(mut psbt: Psbt, bytes_per_sigop: i64) -> PsbtAnalysis {
    let Some(mut tx) = psbt.unsigned_tx() else {
        return PsbtAnalysis::invalid("PSBT cannot be made into a valid transaction".into());
    };
    let Some(txdata) = precompute_psbt_data(&psbt) else {
        return PsbtAnalysis::invalid("PSBT cannot be made into a valid transaction".into());
    };
    let mut calc_fee = true;
    let mut in_amt: i64 = 0;
    let mut inputs = Vec::with_capacity(psbt.inputs.len());
    for i in 0..psbt.inputs.len() {
        let mut a = InputAnalysis {
            has_utxo: false,
            is_final: false,
            next: PsbtRole::Extractor,
            missing_pubkeys: Vec::new(),
            missing_sigs: Vec::new(),
            missing_redeem_script: None,
            missing_witness_script: None,
        };
        let input = &psbt.inputs[i];
        let utxo = input.utxo();
        match &utxo {
            Some(u) => {
                let v = u.value.to_sat() as i64;
                if !money_range(v) || !money_range(in_amt.saturating_add(v)) {
                    return PsbtAnalysis::invalid(format!(
                        "PSBT is not valid. Input {i} has invalid value"
                    ));
                }
                in_amt += v;
                a.has_utxo = true;
            }
            None => {
                if let Some(prev) = &input.non_witness_utxo {
                    if input.prev_out as usize >= prev.output.len() {
                        return PsbtAnalysis::invalid(format!(
                            "PSBT is not valid. Input {i} specifies invalid prevout"
                        ));
                    }
                }
                a.next = PsbtRole::Updater;
                calc_fee = false;
            }
        }
        if let Some(u) = &utxo {
            let spk = u.script_pubkey.as_bytes();
            if consensus::script::is_unspendable(spk) {
                return PsbtAnalysis::invalid(format!(
                    "PSBT is not valid. Input {i} spends unspendable output"
                ));
            }
        }
        if !psbt_input_signed_and_verified(&psbt, i, Some(&txdata)) {
            a.is_final = false;
            let mut out = SignatureData::default();
            let result = sign_psbt_input(
                &EmptyProvider,
                &mut psbt,
                i,
                Some(&txdata),
                None,
                true,
                Some(&mut out),
            );
            if result.is_err() {
                a.missing_pubkeys = out.missing_pubkeys;
                a.missing_redeem_script = out.missing_redeem_script;
                a.missing_witness_script = out.missing_witness_script;
                a.missing_sigs = out.missing_sigs;
                let only_sigs = a.missing_pubkeys.is_empty()
                    && a.missing_redeem_script.is_none()
                    && a.missing_witness_script.is_none()
                    && !a.missing_sigs.is_empty();
                a.next = if only_sigs {
                    PsbtRole::Signer
                } else {
                    PsbtRole::Updater
                };
            } else {
                a.next = PsbtRole::Finalizer;
            }
        } else if utxo.is_some() {
            a.is_final = true;
        }
        inputs.push(a);
    }
    let next = inputs
        .iter()
        .map(|a| a.next)
        .min()
        .unwrap_or(PsbtRole::Extractor);
    let mut result = PsbtAnalysis {
        estimated_vsize: None,
        estimated_feerate: None,
        fee: None,
        inputs,
        next,
        error: String::new(),
    };
    if !calc_fee {
        return result;
    }
    let mut out_amt: i64 = 0;
    for o in &psbt.outputs {
        if !money_range(out_amt) || !money_range(o.amount) || !money_range(out_amt + o.amount) {
            out_amt = -1;
            break;
        }
        out_amt += o.amount;
    }
    if !money_range(out_amt) {
        return PsbtAnalysis::invalid("PSBT is not valid. Output amount invalid".into());
    }
    let fee = in_amt - out_amt;
    result.fee = Some(fee);

    // Size the finished transaction with placeholder signatures.
    let mut spent: Vec<TxOut> = Vec::with_capacity(psbt.inputs.len());
    for i in 0..psbt.inputs.len() {
        let signed = sign_psbt_input(&EmptyProvider, &mut psbt, i, None, None, true, None);
        let Some(utxo) = psbt.inputs[i].utxo() else {
            return result;
        };
        if signed.is_err() {
            return result;
        }
        tx.input[i].script_sig =
            bitcoin::ScriptBuf::from_bytes(psbt.inputs[i].final_script_sig.clone());
        tx.input[i].witness = bitcoin::Witness::from_slice(&psbt.inputs[i].final_script_witness);
        spent.push(utxo);
    }
    let weight = tx.weight().to_wu() as i64;
    let sigop_cost = transaction_sig_op_cost(&tx, &spent, STANDARD_SCRIPT_VERIFY_FLAGS);
    let vsize = (weight.max(sigop_cost.saturating_mul(bytes_per_sigop)) + 3) / 4;
    result.estimated_vsize = Some(vsize);
    result.estimated_feerate = Some(if vsize > 0 {
        (i128::from(fee) * 1000).div_euclid(i128::from(vsize)) as i64
    } else {
        0
    });
    result
}
