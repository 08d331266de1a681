//! Signing with the wallet's keys (Core's `CWallet::SignTransaction` and
//! `CWallet::FillPSBT` over every descriptor's signing provider).

use std::collections::BTreeMap;

use bitcoin::Transaction;
use signing::psbt::{
    precompute_psbt_data, psbt_input_signed, psbt_input_signed_and_verified,
    remove_unnecessary_transactions, sign_psbt_input, update_psbt_output, Psbt, PsbtError,
};

use signing::{Coins, FlatSigningProvider, HidingSigningProvider};

use crate::spkm::DescriptorSpkm;
use crate::state::WalletState;

/// `SIGHASH_DEFAULT`.
pub const SIGHASH_DEFAULT: i32 = 0;

/// What `fill_psbt` does (Core's `PSBTFillOptions`).
#[derive(Debug, Clone, Copy)]
pub struct FillOptions {
    /// Sign, or only add what is known.
    pub sign: bool,
    /// The sighash to sign with when the PSBT does not say.
    pub sighash_type: Option<i32>,
    /// Build final scriptSigs and witnesses when complete.
    pub finalize: bool,
    /// Add BIP32 derivation paths.
    pub bip32_derivs: bool,
}

impl Default for FillOptions {
    fn default() -> FillOptions {
        FillOptions {
            sign: true,
            sighash_type: None,
            finalize: true,
            bip32_derivs: true,
        }
    }
}

/// The keys and scripts `spkm` has for `script`, if it knows the script.
fn provider_of(
    spkm: &DescriptorSpkm,
    script: &bitcoin::ScriptBuf,
    include_private: bool,
) -> Option<FlatSigningProvider> {
    let index = spkm.index_of(script)?;
    let mut out = FlatSigningProvider::new();
    spkm.signing_provider(index, include_private, &mut out);
    Some(out)
}

/// `CWallet::SignTransaction(tx, coins, sighash, input_errors)`: tries each descriptor's
/// keys in turn until one completes the transaction. Returns whether it is complete and
/// the per-input errors of the last attempt.
pub fn sign_with_coins(
    st: &WalletState,
    tx: &mut Transaction,
    coins: &Coins,
    sighash: i32,
) -> (bool, BTreeMap<usize, String>) {
    let mut errors = BTreeMap::new();
    for spkm in st.spkms.values() {
        let mut keys = FlatSigningProvider::new();
        for out in coins.values() {
            if let Some(p) = provider_of(spkm, &out.script_pubkey, true) {
                keys.merge(p);
            }
        }
        errors = signing::sign_transaction(tx, &keys, coins, sighash);
        if errors.is_empty() {
            return (true, errors);
        }
    }
    (false, errors)
}

/// `CWallet::SignTransaction(tx)`: signs a transaction spending wallet outputs only.
pub fn sign_wallet_tx(st: &WalletState, tx: &mut Transaction) -> bool {
    let mut coins = Coins::new();
    for input in &tx.input {
        let prev = &input.previous_output;
        let Some(out) = st
            .txs
            .get(&prev.txid)
            .and_then(|w| w.tx.output.get(prev.vout as usize))
        else {
            return false;
        };
        coins.insert(*prev, out.clone());
    }
    sign_with_coins(st, tx, &coins, SIGHASH_DEFAULT).0
}

/// `CWallet::FillPSBT`: adds the wallet's previous transactions, scripts, key paths and
/// (when asked) signatures to `psbt`; returns whether every input is now signed.
pub fn fill_psbt(st: &WalletState, psbt: &mut Psbt, opts: FillOptions) -> Result<bool, PsbtError> {
    for i in 0..psbt.inputs.len() {
        if psbt_input_signed(psbt, i) {
            continue;
        }
        let input = &mut psbt.inputs[i];
        // The whole previous transaction is a superset of the witness UTXO; signing
        // drops it again where the witness UTXO suffices.
        if input.non_witness_utxo.is_none() {
            if let Some(w) = st.txs.get(&input.prev_txid) {
                input.non_witness_utxo = Some((*w.tx).clone());
            }
        }
    }
    let txdata = precompute_psbt_data(psbt).ok_or(PsbtError::InvalidTx)?;
    for spkm in st.spkms.values() {
        for i in 0..psbt.inputs.len() {
            if psbt_input_signed(psbt, i) {
                continue;
            }
            let input = &psbt.inputs[i];
            let script = if let Some(u) = &input.witness_utxo {
                u.script_pubkey.clone()
            } else if let Some(prev) = &input.non_witness_utxo {
                match prev.output.get(input.prev_out as usize) {
                    Some(o) => o.script_pubkey.clone(),
                    None => return Err(PsbtError::MissingInputs),
                }
            } else {
                continue;
            };
            let keys = provider_of(spkm, &script, opts.sign).unwrap_or_default();
            let hiding = HidingSigningProvider::new(&keys, !opts.sign, !opts.bip32_derivs);
            match sign_psbt_input(
                &hiding,
                psbt,
                i,
                Some(&txdata),
                opts.sighash_type,
                opts.finalize,
                None,
            ) {
                Ok(()) | Err(PsbtError::Incomplete) => {}
                Err(e) => return Err(e),
            }
        }
        // Key paths and scripts of outputs let hardware signers recognise change.
        for i in 0..psbt.outputs.len() {
            let script = bitcoin::ScriptBuf::from_bytes(psbt.outputs[i].script.clone());
            let Some(keys) = provider_of(spkm, &script, false) else {
                continue;
            };
            let hiding = HidingSigningProvider::new(&keys, true, !opts.bip32_derivs);
            update_psbt_output(&hiding, psbt, i);
        }
    }
    remove_unnecessary_transactions(psbt);
    let mut complete = true;
    for i in 0..psbt.inputs.len() {
        complete &= psbt_input_signed_and_verified(psbt, i, Some(&txdata));
    }
    Ok(complete)
}
