//! Signing whole transactions and reading partial signatures back out of them (Core's
//! `SignTransaction`, `DataFromTransaction`, `UpdateInput`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use bitcoin::{OutPoint, Transaction, TxOut, Witness};
use chain_json::{classify, ScriptKind};
use consensus::script::{
    eval_script, verify_script, ExecutionData, ScriptError, SigVersion, SignatureChecker,
    TransactionSignatureChecker, VerifyFlags,
};
use consensus::sighash::{PrecomputedTransactionData, SIGHASH_ANYONECANPAY, SIGHASH_SINGLE};

use crate::creator::{TxSignatureCreator, MAX_MONEY};
use crate::keys::key_id;
use crate::provider::SigningProvider;
use crate::sigdata::{SignatureData, Signatures};
use crate::sign::{produce_signature, STANDARD_SCRIPT_VERIFY_FLAGS};

/// Core's message for an input without a known, unspent coin.
pub const ERR_INPUT_NOT_FOUND: &str = "Input not found or already spent";
/// Core's marker error for a segwit input signed without its amount.
pub const ERR_MISSING_AMOUNT: &str = "Missing amount";

/// The value of an output as Core's signed amount.
pub fn amount_of(out: &TxOut) -> i64 {
    out.value.to_sat() as i64
}

/// Passes checks through to another checker and records the ECDSA signatures that pass
/// (`SignatureExtractorChecker`).
struct ExtractorChecker<'a> {
    inner: &'a dyn SignatureChecker,
    found: RefCell<Signatures>,
}

impl SignatureChecker for ExtractorChecker<'_> {
    fn check_ecdsa_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> bool {
        if self
            .inner
            .check_ecdsa_signature(sig, pubkey, script_code, sigversion)
        {
            self.found
                .borrow_mut()
                .entry(key_id(pubkey))
                .or_insert_with(|| (pubkey.to_vec(), sig.to_vec()));
            return true;
        }
        false
    }
    fn check_schnorr_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        sigversion: SigVersion,
        execdata: &mut ExecutionData,
    ) -> Result<(), ScriptError> {
        self.inner
            .check_schnorr_signature(sig, pubkey, sigversion, execdata)
    }
    fn check_lock_time(&self, lock_time: i64) -> bool {
        self.inner.check_lock_time(lock_time)
    }
    fn check_sequence(&self, sequence: i64) -> bool {
        self.inner.check_sequence(sequence)
    }
}

/// A checker that fails every signature (`BaseSignatureChecker`).
struct NoChecker;
impl SignatureChecker for NoChecker {}

/// The signatures and scripts already in input `n_in` of `tx`, which spends `txout`
/// (`DataFromTransaction`).
pub fn data_from_transaction(tx: &Transaction, n_in: usize, txout: &TxOut) -> SignatureData {
    let mut data = SignatureData::default();
    let Some(input) = tx.input.get(n_in) else {
        return data;
    };
    data.script_sig = input.script_sig.to_bytes();
    data.script_witness = input.witness.to_vec();

    let mut script_stack: Vec<Vec<u8>> = Vec::new();
    // A failing scriptSig leaves what it pushed so far, as in Core.
    let _ = eval_script(
        &mut script_stack,
        &data.script_sig,
        VerifyFlags::STRICTENC,
        &NoChecker,
        SigVersion::Base,
        &mut ExecutionData::default(),
    );
    let mut witness_stack = data.script_witness.clone();

    let tx_checker = TransactionSignatureChecker::new(tx, n_in, amount_of(txout), None);
    let extractor = ExtractorChecker {
        inner: &tx_checker,
        found: RefCell::new(BTreeMap::new()),
    };
    let spk = txout.script_pubkey.as_bytes();
    if verify_script(
        &data.script_sig,
        spk,
        &data.script_witness,
        STANDARD_SCRIPT_VERIFY_FLAGS,
        &extractor,
    )
    .is_ok()
    {
        data.complete = true;
        data.signatures = extractor.found.into_inner();
        return data;
    }

    let mut next_script = spk.to_vec();
    let mut sigversion = SigVersion::Base;
    if matches!(classify(spk), ScriptKind::ScriptHash(_))
        && script_stack.last().is_some_and(|s| !s.is_empty())
    {
        let redeem = script_stack.pop().unwrap_or_default();
        data.redeem_script = redeem.clone();
        next_script = redeem;
    }
    if matches!(classify(&next_script), ScriptKind::WitnessV0ScriptHash(_))
        && witness_stack.last().is_some_and(|s| !s.is_empty())
    {
        let ws = witness_stack.pop().unwrap_or_default();
        data.witness_script = ws.clone();
        next_script = ws;
        script_stack = std::mem::take(&mut witness_stack);
        sigversion = SigVersion::WitnessV0;
    }
    if let ScriptKind::Multisig { keys, .. } = classify(&next_script) {
        if !script_stack.is_empty() {
            // Match signatures to keys in order, as CHECKMULTISIG would.
            let mut last_success_key = 0;
            for sig in &script_stack {
                for (i, pubkey) in keys.iter().enumerate().skip(last_success_key) {
                    let known = data.signatures.contains_key(&key_id(pubkey))
                        || extractor.found.borrow().contains_key(&key_id(pubkey));
                    if known
                        || extractor.check_ecdsa_signature(sig, pubkey, &next_script, sigversion)
                    {
                        last_success_key = i + 1;
                        break;
                    }
                }
            }
        }
    }
    for (k, v) in extractor.found.into_inner() {
        data.signatures.entry(k).or_insert(v);
    }
    data
}

/// Puts the scriptSig and witness of `data` into input `n_in` (`UpdateInput`).
pub fn update_input(tx: &mut Transaction, n_in: usize, data: &SignatureData) {
    if let Some(input) = tx.input.get_mut(n_in) {
        input.script_sig = bitcoin::ScriptBuf::from_bytes(data.script_sig.clone());
        input.witness = Witness::from_slice(&data.script_witness);
    }
}

/// The coins a transaction's inputs spend, by outpoint; an absent entry is a missing or
/// spent coin. Amounts of `MAX_MONEY` mark coins whose amount the caller did not give.
pub type Coins = BTreeMap<OutPoint, TxOut>;

/// Core's `PrecomputedTransactionData` for signing: with every spent output when all are
/// known, for taproot.
pub fn precompute(tx: &Transaction, coins: &Coins) -> PrecomputedTransactionData {
    let spent: Option<Vec<TxOut>> = tx
        .input
        .iter()
        .map(|i| coins.get(&i.previous_output).cloned())
        .collect();
    PrecomputedTransactionData::new(tx, spent.unwrap_or_default(), true)
}

/// Signs every input it can (`SignTransaction`), returning Core's error text per input
/// that is not complete. `sighash_type` 0 is `SIGHASH_DEFAULT`.
pub fn sign_transaction(
    tx: &mut Transaction,
    provider: &dyn SigningProvider,
    coins: &Coins,
    sighash_type: i32,
) -> BTreeMap<usize, String> {
    let hash_single = (sighash_type & !SIGHASH_ANYONECANPAY) == SIGHASH_SINGLE;
    let tx_const = tx.clone();
    let txdata = precompute(&tx_const, coins);
    let mut errors = BTreeMap::new();
    for i in 0..tx_const.input.len() {
        let Some(coin) = coins.get(&tx_const.input[i].previous_output) else {
            errors.insert(i, ERR_INPUT_NOT_FOUND.to_string());
            continue;
        };
        let amount = amount_of(coin);
        let spk = coin.script_pubkey.as_bytes();
        let mut sigdata = data_from_transaction(tx, i, coin);
        // SIGHASH_SINGLE signs only inputs with a matching output.
        if !hash_single || i < tx_const.output.len() {
            let creator =
                TxSignatureCreator::new(&tx_const, i, amount, Some(&txdata), sighash_type);
            produce_signature(provider, &creator, spk, &mut sigdata);
        }
        update_input(tx, i, &sigdata);

        if amount == MAX_MONEY && !tx.input[i].witness.is_empty() {
            errors.insert(i, ERR_MISSING_AMOUNT.to_string());
            continue;
        }
        if sigdata.complete {
            errors.remove(&i);
            continue;
        }
        let checker = TransactionSignatureChecker::new(&tx_const, i, amount, Some(&txdata));
        let result = verify_script(
            tx.input[i].script_sig.as_bytes(),
            spk,
            &tx.input[i].witness.to_vec(),
            STANDARD_SCRIPT_VERIFY_FLAGS,
            &checker,
        );
        match result {
            Ok(()) => {
                errors.remove(&i);
            }
            Err(ScriptError::InvalidStackOperation) => {
                // Verification failed for want of stack items: probably a missing key.
                errors.insert(
                    i,
                    "Unable to sign input, invalid stack size (possibly missing key)".to_string(),
                );
            }
            Err(ScriptError::SigNullFail) => {
                errors.insert(
                    i,
                    "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)"
                        .to_string(),
                );
            }
            Err(e) => {
                errors.insert(i, e.message().to_string());
            }
        }
    }
    errors
}
