//! Signing, finalizing, extracting and combining PSBTs (Core's `SignPSBTInput`,
//! `FinalizePSBT`, `FinalizeAndExtractPSBT`, `CombinePSBTs`, `UpdatePSBTOutput`).

use std::fmt;

use bitcoin::{Transaction, TxOut, Witness};
use consensus::script::{verify_script, TransactionSignatureChecker};
use consensus::sighash::{PrecomputedTransactionData, SIGHASH_ALL, SIGHASH_ANYONECANPAY};

use super::Psbt;
use crate::creator::{DummySignatureCreator, TxSignatureCreator};
use crate::provider::{EmptyProvider, SigningProvider};
use crate::sigdata::SignatureData;
use crate::sign::{produce_signature, STANDARD_SCRIPT_VERIFY_FLAGS};
use crate::transaction::amount_of;

/// Why a PSBT operation failed (Core's `PSBTError`, with `PSBTErrorString` messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsbtError {
    /// The output spent is unknown or does not match the outpoint.
    MissingInputs,
    /// The sighash asked for differs from the PSBT's.
    SighashMismatch,
    /// More signatures or data are needed.
    Incomplete,
    /// The PSBT cannot form a valid transaction.
    InvalidTx,
}

impl fmt::Display for PsbtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PsbtError::MissingInputs => "Inputs missing or spent",
            PsbtError::SighashMismatch => {
                "Specified sighash value does not match value stored in PSBT"
            }
            PsbtError::Incomplete => "Input needs additional signatures or other data",
            PsbtError::InvalidTx => "The transaction cannot be valid",
        })
    }
}

impl std::error::Error for PsbtError {}

fn is_p2tr(script: &[u8]) -> bool {
    script.len() == 34 && script[0] == 0x51 && script[1] == 0x20
}

/// `PSBTInputSigned`: the input has a final scriptSig or witness.
pub fn psbt_input_signed(psbt: &Psbt, index: usize) -> bool {
    psbt.inputs
        .get(index)
        .is_some_and(|i| !i.final_script_sig.is_empty() || !i.final_script_witness.is_empty())
}

/// `PSBTInputSignedAndVerified`: the input's final scriptSig and witness verify.
pub fn psbt_input_signed_and_verified(
    psbt: &Psbt,
    index: usize,
    txdata: Option<&PrecomputedTransactionData>,
) -> bool {
    let Some(input) = psbt.inputs.get(index) else {
        return false;
    };
    let Some(utxo) = input.utxo() else {
        return false;
    };
    let Some(tx) = psbt.unsigned_tx() else {
        return false;
    };
    let checker = TransactionSignatureChecker::new(&tx, index, amount_of(&utxo), txdata);
    verify_script(
        &input.final_script_sig,
        utxo.script_pubkey.as_bytes(),
        &input.final_script_witness,
        STANDARD_SCRIPT_VERIFY_FLAGS,
        &checker,
    )
    .is_ok()
}

/// `PrecomputePSBTData`: with every spent output when all are known.
pub fn precompute_psbt_data(psbt: &Psbt) -> Option<PrecomputedTransactionData> {
    let tx = psbt.unsigned_tx()?;
    let utxos: Option<Vec<TxOut>> = psbt.inputs.iter().map(|i| i.utxo()).collect();
    Some(PrecomputedTransactionData::new(
        &tx,
        utxos.unwrap_or_default(),
        true,
    ))
}

/// `SignPSBTInput`: fills input `index` with what `provider` knows and signs it (with
/// placeholder signatures when `txdata` is `None`), finalizing when asked.
pub fn sign_psbt_input(
    provider: &dyn SigningProvider,
    psbt: &mut Psbt,
    index: usize,
    txdata: Option<&PrecomputedTransactionData>,
    sighash_type: Option<i32>,
    finalize: bool,
    out_sigdata: Option<&mut SignatureData>,
) -> Result<(), PsbtError> {
    let tx = psbt.unsigned_tx().ok_or(PsbtError::InvalidTx)?;
    if psbt_input_signed_and_verified(psbt, index, txdata) {
        return Ok(());
    }
    let Some(input) = psbt.inputs.get_mut(index) else {
        return Err(PsbtError::MissingInputs);
    };
    let mut sigdata = SignatureData::default();
    input.fill_signature_data(&mut sigdata);

    // A witness UTXO cannot be checked against the outpoint: only a witness signature,
    // which commits to it, is safe then.
    let (utxo, require_witness_sig) = if let Some(prev) = &input.non_witness_utxo {
        if input.prev_out as usize >= prev.output.len() || prev.compute_txid() != input.prev_txid {
            return Err(PsbtError::MissingInputs);
        }
        (prev.output[input.prev_out as usize].clone(), false)
    } else if let Some(utxo) = &input.witness_utxo {
        (utxo.clone(), true)
    } else {
        return Err(PsbtError::MissingInputs);
    };
    let taproot = is_p2tr(utxo.script_pubkey.as_bytes());
    let sighash = sighash_type.unwrap_or(if taproot { 0 } else { SIGHASH_ALL });
    if input.sighash_type.is_some_and(|s| s != sighash) {
        return Err(PsbtError::SighashMismatch);
    }
    // Record a sighash that is not the default for the output type.
    let record = if taproot {
        sighash != 0
    } else {
        sighash != 0 && sighash != SIGHASH_ALL
    };
    if record {
        input.sighash_type = Some(sighash);
    }
    // Signatures already present must use that sighash.
    if sighash == 0 {
        if !input.tap_key_sig.is_empty() && input.tap_key_sig.len() != 64 {
            return Err(PsbtError::SighashMismatch);
        }
        if input.tap_script_sigs.values().any(|s| s.len() != 64) {
            return Err(PsbtError::SighashMismatch);
        }
    } else {
        let byte_ok = |s: &Vec<u8>| s.len() == 65 && i32::from(s[64]) == sighash;
        if !input.tap_key_sig.is_empty() && !byte_ok(&input.tap_key_sig) {
            return Err(PsbtError::SighashMismatch);
        }
        if input.tap_script_sigs.values().any(|s| !byte_ok(s)) {
            return Err(PsbtError::SighashMismatch);
        }
        if input
            .partial_sigs
            .values()
            .any(|(_, s)| s.last().map(|b| i32::from(*b)) != Some(sighash))
        {
            return Err(PsbtError::SighashMismatch);
        }
    }

    sigdata.witness = false;
    let spk = utxo.script_pubkey.as_bytes();
    let complete = match txdata {
        None => produce_signature(provider, &DummySignatureCreator::new(), spk, &mut sigdata),
        Some(data) => {
            let creator =
                TxSignatureCreator::new(&tx, index, amount_of(&utxo), Some(data), sighash);
            produce_signature(provider, &creator, spk, &mut sigdata)
        }
    };
    if require_witness_sig && !sigdata.witness {
        return Err(PsbtError::Incomplete);
    }
    if !finalize && sigdata.complete {
        sigdata.complete = false;
    }
    input.from_signature_data(&sigdata);
    if sigdata.witness {
        input.witness_utxo = Some(utxo);
    }
    if let Some(out) = out_sigdata {
        out.missing_pubkeys = sigdata.missing_pubkeys.clone();
        out.missing_sigs = sigdata.missing_sigs.clone();
        out.missing_redeem_script = sigdata.missing_redeem_script;
        out.missing_witness_script = sigdata.missing_witness_script;
    }
    if !complete {
        return Err(PsbtError::Incomplete);
    }
    Ok(())
}

/// `RemoveUnnecessaryTransactions`: drops previous transactions when every input is a
/// segwit v1+ spend without ANYONECANPAY, where the witness UTXO suffices.
pub fn remove_unnecessary_transactions(psbt: &mut Psbt) {
    let mut to_drop = Vec::new();
    for (i, input) in psbt.inputs.iter().enumerate() {
        let version = input
            .witness_utxo
            .as_ref()
            .and_then(|u| consensus::script::witness_program(u.script_pubkey.as_bytes()))
            .map(|(v, _)| v);
        match version {
            None | Some(0) => return,
            Some(_) => {}
        }
        if input
            .sighash_type
            .is_some_and(|s| s & 0x80 == SIGHASH_ANYONECANPAY)
        {
            return;
        }
        if input.non_witness_utxo.is_some() {
            to_drop.push(i);
        }
    }
    for i in to_drop {
        psbt.inputs[i].non_witness_utxo = None;
    }
}

/// `UpdatePSBTOutput`: fills output `index`'s scripts and key paths from `provider`.
pub fn update_psbt_output(provider: &dyn SigningProvider, psbt: &mut Psbt, index: usize) {
    let Some(tx) = psbt.unsigned_tx() else {
        return;
    };
    let Some(out) = tx.output.get(index) else {
        return;
    };
    let mut sigdata = SignatureData::default();
    psbt.outputs[index].fill_signature_data(&mut sigdata);
    // A would-be spend of the output: produce_signature gathers its metadata only.
    let spend = Transaction {
        version: bitcoin::transaction::Version(2),
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn::default()],
        output: Vec::new(),
    };
    let creator = TxSignatureCreator::new(&spend, 0, amount_of(out), None, SIGHASH_ALL);
    produce_signature(
        provider,
        &creator,
        out.script_pubkey.as_bytes(),
        &mut sigdata,
    );
    psbt.outputs[index].from_signature_data(&sigdata);
}

/// `FinalizePSBT`: finalizes every input it can; whether all are complete.
pub fn finalize_psbt(psbt: &mut Psbt) -> bool {
    let Some(txdata) = precompute_psbt_data(psbt) else {
        return false;
    };
    let mut complete = true;
    for i in 0..psbt.inputs.len() {
        let sighash = psbt.inputs[i].sighash_type;
        complete &=
            sign_psbt_input(&EmptyProvider, psbt, i, Some(&txdata), sighash, true, None).is_ok();
    }
    complete
}

/// `FinalizeAndExtractPSBT`: the finished transaction if every input could be finalized.
pub fn finalize_and_extract(psbt: &mut Psbt) -> Option<Transaction> {
    if !finalize_psbt(psbt) {
        return None;
    }
    let mut tx = psbt.unsigned_tx()?;
    for (txin, input) in tx.input.iter_mut().zip(&psbt.inputs) {
        txin.script_sig = bitcoin::ScriptBuf::from_bytes(input.final_script_sig.clone());
        txin.witness = Witness::from_slice(&input.final_script_witness);
    }
    Some(tx)
}

/// `CombinePSBTs`: merges PSBTs of one transaction; `None` if they differ.
pub fn combine_psbts(psbts: &[Psbt]) -> Option<Psbt> {
    let (first, rest) = psbts.split_first()?;
    let mut out = first.clone();
    for p in rest {
        if !out.merge(p) {
            return None;
        }
    }
    Some(out)
}
