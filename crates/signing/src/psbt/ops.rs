//! The PSBT's transaction, merging and the exchange with [`SignatureData`] (Core's
//! `PartiallySignedTransaction`, `PSBTInput` and `PSBTOutput` methods).

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};

use super::{Psbt, PsbtInput, PsbtOutput};
use crate::keys::hash160;
use crate::provider::KeyOrigin;
use crate::sigdata::{SignatureData, TapKeyOrigins};
use crate::taproot::TaprootBuilder;

/// Fills `to` with the entries of `from` it lacks (`std::map::insert` of a range).
fn insert_missing<K: Ord + Clone, V: Clone>(
    to: &mut std::collections::BTreeMap<K, V>,
    from: &std::collections::BTreeMap<K, V>,
) {
    for (k, v) in from {
        to.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// Adds preimages the signing data lacks; PSBT maps key them by fixed-size hash.
fn insert_missing_preimages<const N: usize>(
    to: &mut std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
    from: &std::collections::BTreeMap<[u8; N], Vec<u8>>,
) {
    for (h, p) in from {
        to.entry(h.to_vec()).or_insert_with(|| p.clone());
    }
}

/// Sets the scripts an input or output names and adds its key origins, each key under
/// its hash160, where missing.
fn add_scripts_and_origins(
    sigdata: &mut SignatureData,
    redeem_script: &[u8],
    witness_script: &[u8],
    hd_keypaths: &std::collections::BTreeMap<Vec<u8>, KeyOrigin>,
) {
    if !redeem_script.is_empty() {
        sigdata.redeem_script = redeem_script.to_vec();
    }
    if !witness_script.is_empty() {
        sigdata.witness_script = witness_script.to_vec();
    }
    for (pubkey, origin) in hd_keypaths {
        sigdata
            .misc_pubkeys
            .entry(hash160(pubkey))
            .or_insert_with(|| (pubkey.clone(), origin.clone()));
    }
}

/// Adds taproot key origins, and each key under its hash160, where missing.
fn add_tap_origins(sigdata: &mut SignatureData, paths: &TapKeyOrigins) {
    for (xonly, entry) in paths {
        sigdata
            .taproot_misc_pubkeys
            .entry(*xonly)
            .or_insert_with(|| entry.clone());
        sigdata.tap_pubkeys.entry(hash160(xonly)).or_insert(*xonly);
    }
}

/// Merges nested MuSig2 maps per (aggregate key, leaf).
fn merge_musig<V: Clone>(
    to: &mut crate::sigdata::MuSig2Map<V>,
    from: &crate::sigdata::MuSig2Map<V>,
) {
    for (k, inner) in from {
        insert_missing(to.entry(k.clone()).or_default(), inner);
    }
}

impl Psbt {
    /// A PSBT of `version` (0 or 2) for an unsigned transaction.
    pub fn from_tx(tx: &Transaction, version: u32) -> Psbt {
        let inputs = tx
            .input
            .iter()
            .map(|i| PsbtInput {
                version,
                prev_txid: i.previous_output.txid,
                prev_out: i.previous_output.vout,
                sequence: Some(i.sequence.0),
                ..PsbtInput::default()
            })
            .collect();
        let outputs = tx
            .output
            .iter()
            .map(|o| PsbtOutput {
                version,
                amount: o.value.to_sat() as i64,
                script: o.script_pubkey.to_bytes(),
                ..PsbtOutput::default()
            })
            .collect();
        Psbt {
            version: Some(version),
            tx_version: tx.version.0 as u32,
            fallback_locktime: Some(tx.lock_time.to_consensus_u32()),
            inputs,
            outputs,
            ..Psbt::default()
        }
    }

    /// The PSBT version (`GetVersion`): 0 when the field is absent.
    pub fn psbt_version(&self) -> u32 {
        self.version.unwrap_or(0)
    }

    /// `ComputeTimeLock`: the lock time the inputs' requirements lead to; `None` when
    /// they mix heights and times so no lock time fits.
    pub fn compute_time_lock(&self) -> Option<u32> {
        if self.psbt_version() >= 2 {
            let (height_lock, time_lock) = combined_locks(&self.inputs)?;
            if let Some(h) = height_lock.filter(|h| *h > 0) {
                return Some(h);
            }
            if let Some(t) = time_lock.filter(|t| *t > 0) {
                return Some(t);
            }
        }
        Some(self.fallback_locktime.unwrap_or(0))
    }

    /// `GetUnsignedTx`.
    pub fn unsigned_tx(&self) -> Option<Transaction> {
        let lock = self.compute_time_lock()?;
        Some(Transaction {
            version: Version(self.tx_version as i32),
            lock_time: LockTime::from_consensus(lock),
            input: self
                .inputs
                .iter()
                .map(|i| TxIn {
                    previous_output: OutPoint::new(i.prev_txid, i.prev_out),
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(i.sequence.unwrap_or(u32::MAX)),
                    witness: Witness::new(),
                })
                .collect(),
            output: self
                .outputs
                .iter()
                .map(|o| TxOut {
                    value: Amount::from_sat(o.amount as u64),
                    script_pubkey: ScriptBuf::from_bytes(o.script.clone()),
                })
                .collect(),
        })
    }

    /// `GetUniqueID`: the unsigned txid (sequences zeroed in version 2, where signers
    /// may still set them).
    pub fn unique_id(&self) -> Option<bitcoin::Txid> {
        let mut tx = self.unsigned_tx()?;
        if self.psbt_version() >= 2 {
            for i in &mut tx.input {
                i.sequence = Sequence(0);
            }
        }
        Some(tx.compute_txid())
    }

    /// `Merge`: combines `other` over the same transaction into this one.
    pub fn merge(&mut self, other: &Psbt) -> bool {
        let (Some(a), Some(b)) = (self.unique_id(), other.unique_id()) else {
            return false;
        };
        if a != b || self.psbt_version() != other.psbt_version() {
            return false;
        }
        for (i, input) in self.inputs.iter_mut().enumerate() {
            if let Some(o) = other.inputs.get(i) {
                input.merge(o);
            }
        }
        for (i, output) in self.outputs.iter_mut().enumerate() {
            if let Some(o) = other.outputs.get(i) {
                output.merge(o);
            }
        }
        self.merge_global_xpubs(other);
        if self.fallback_locktime.is_none() && other.fallback_locktime.is_some() {
            self.fallback_locktime = other.fallback_locktime;
        }
        if self.tx_modifiable.is_some() || other.tx_modifiable.is_some() {
            let mine = self.tx_modifiable.unwrap_or(0);
            let theirs = other.tx_modifiable.unwrap_or(0);
            // Inputs and outputs stay modifiable only if both allow it; SIGHASH_SINGLE
            // (bit 2) is present if either has it.
            self.tx_modifiable = Some((mine & theirs) | ((mine | theirs) & 0x04));
        }
        insert_missing(&mut self.proprietary, &other.proprietary);
        insert_missing(&mut self.unknown, &other.unknown);
        true
    }

    /// `MergeGlobalXPubs`: adds xpubs not yet present under any origin.
    pub fn merge_global_xpubs(&mut self, other: &Psbt) {
        for (origin, xpubs) in &other.xpubs {
            for xpub in xpubs {
                let known = self.xpubs.values().any(|set| set.contains(xpub));
                if !known {
                    self.xpubs
                        .entry(origin.clone())
                        .or_default()
                        .insert(xpub.clone());
                }
            }
        }
    }

    /// `AddInput` (joinpsbts): appends an input not already spent here, dropping its
    /// signatures in version 0.
    pub fn add_input(&mut self, input: &PsbtInput) -> bool {
        if input.version != self.psbt_version() {
            return false;
        }
        if self
            .inputs
            .iter()
            .any(|i| i.prev_txid == input.prev_txid && i.prev_out == input.prev_out)
        {
            return false;
        }
        if self.psbt_version() < 2 {
            let mut i = input.clone();
            i.partial_sigs.clear();
            i.final_script_sig.clear();
            i.final_script_witness.clear();
            self.inputs.push(i);
            return true;
        }
        if self.tx_modifiable.is_none_or(|m| m & 0x01 == 0) {
            return false;
        }
        if input.time_locktime.is_some() || input.height_locktime.is_some() {
            let Some(old) = self.compute_time_lock() else {
                return false;
            };
            let Some((height_lock, time_lock)) =
                combined_locks(std::iter::once(input).chain(&self.inputs))
            else {
                return false;
            };
            let has_sigs = self.inputs.iter().any(|i| i.has_signatures());
            let new = match (height_lock.filter(|h| *h > 0), time_lock.filter(|t| *t > 0)) {
                (Some(h), _) => h,
                (None, Some(t)) => t,
                _ => self.fallback_locktime.unwrap_or(0),
            };
            if has_sigs && old != new {
                return false;
            }
        }
        self.inputs.push(input.clone());
        true
    }

    /// `AddOutput`.
    pub fn add_output(&mut self, output: &PsbtOutput) -> bool {
        if output.version != self.psbt_version() {
            return false;
        }
        if self.psbt_version() >= 2 && self.tx_modifiable.is_none_or(|m| m & 0x02 == 0) {
            return false;
        }
        self.outputs.push(output.clone());
        true
    }

    /// Input `index` with its outpoint (`PSBTInput::GetOutPoint`).
    pub fn outpoint(&self, index: usize) -> Option<OutPoint> {
        self.inputs
            .get(index)
            .map(|i| OutPoint::new(i.prev_txid, i.prev_out))
    }
}

impl PsbtInput {
    /// The PSBT version the input belongs to.
    pub fn psbt_version(&self) -> u32 {
        self.version
    }

    /// `GetUTXO`: the output spent, from the previous transaction (checked against the
    /// outpoint) or the witness UTXO.
    pub fn utxo(&self) -> Option<TxOut> {
        if let Some(tx) = &self.non_witness_utxo {
            if tx.compute_txid() != self.prev_txid {
                return None;
            }
            return tx.output.get(self.prev_out as usize).cloned();
        }
        self.witness_utxo.clone()
    }

    /// `HasSignatures`.
    pub fn has_signatures(&self) -> bool {
        !self.final_script_sig.is_empty()
            || !self.final_script_witness.is_empty()
            || !self.partial_sigs.is_empty()
            || !self.tap_key_sig.is_empty()
            || !self.tap_script_sigs.is_empty()
            || !self.musig2_partial_sigs.is_empty()
    }

    /// `PSBTInput::Merge`.
    pub fn merge(&mut self, other: &PsbtInput) {
        if self.non_witness_utxo.is_none() && other.non_witness_utxo.is_some() {
            self.non_witness_utxo = other.non_witness_utxo.clone();
        }
        if self.witness_utxo.is_none() && other.witness_utxo.is_some() {
            self.witness_utxo = other.witness_utxo.clone();
        }
        insert_missing(&mut self.partial_sigs, &other.partial_sigs);
        insert_missing(&mut self.ripemd160_preimages, &other.ripemd160_preimages);
        insert_missing(&mut self.sha256_preimages, &other.sha256_preimages);
        insert_missing(&mut self.hash160_preimages, &other.hash160_preimages);
        insert_missing(&mut self.hash256_preimages, &other.hash256_preimages);
        insert_missing(&mut self.hd_keypaths, &other.hd_keypaths);
        insert_missing(&mut self.proprietary, &other.proprietary);
        insert_missing(&mut self.unknown, &other.unknown);
        insert_missing(&mut self.tap_script_sigs, &other.tap_script_sigs);
        insert_missing(&mut self.tap_scripts, &other.tap_scripts);
        insert_missing(&mut self.tap_bip32_paths, &other.tap_bip32_paths);
        if self.redeem_script.is_empty() && !other.redeem_script.is_empty() {
            self.redeem_script = other.redeem_script.clone();
        }
        if self.witness_script.is_empty() && !other.witness_script.is_empty() {
            self.witness_script = other.witness_script.clone();
        }
        if self.final_script_sig.is_empty() && !other.final_script_sig.is_empty() {
            self.final_script_sig = other.final_script_sig.clone();
        }
        if self.final_script_witness.is_empty() && !other.final_script_witness.is_empty() {
            self.final_script_witness = other.final_script_witness.clone();
        }
        if self.tap_key_sig.is_empty() && !other.tap_key_sig.is_empty() {
            self.tap_key_sig = other.tap_key_sig.clone();
        }
        if self.tap_internal_key == [0; 32] && other.tap_internal_key != [0; 32] {
            self.tap_internal_key = other.tap_internal_key;
        }
        if self.tap_merkle_root == [0; 32] && other.tap_merkle_root != [0; 32] {
            self.tap_merkle_root = other.tap_merkle_root;
        }
        insert_missing(&mut self.musig2_participants, &other.musig2_participants);
        merge_musig(&mut self.musig2_pubnonces, &other.musig2_pubnonces);
        merge_musig(&mut self.musig2_partial_sigs, &other.musig2_partial_sigs);
        if self.sequence.is_none() && other.sequence.is_some() {
            self.sequence = other.sequence;
        }
        if self.time_locktime.is_none() && other.time_locktime.is_some() {
            self.time_locktime = other.time_locktime;
        }
        if self.height_locktime.is_none() && other.height_locktime.is_some() {
            self.height_locktime = other.height_locktime;
        }
    }

    /// `PSBTInput::FillSignatureData`.
    pub fn fill_signature_data(&self, sigdata: &mut SignatureData) {
        if !self.final_script_sig.is_empty() {
            sigdata.script_sig = self.final_script_sig.clone();
            sigdata.complete = true;
        }
        if !self.final_script_witness.is_empty() {
            sigdata.script_witness = self.final_script_witness.clone();
            sigdata.complete = true;
        }
        if sigdata.complete {
            return;
        }
        insert_missing(&mut sigdata.signatures, &self.partial_sigs);
        add_scripts_and_origins(
            sigdata,
            &self.redeem_script,
            &self.witness_script,
            &self.hd_keypaths,
        );
        if !self.tap_key_sig.is_empty() {
            sigdata.taproot_key_path_sig = self.tap_key_sig.clone();
        }
        insert_missing(&mut sigdata.taproot_script_sigs, &self.tap_script_sigs);
        if self.tap_internal_key != [0; 32] {
            sigdata.tr_spenddata.internal_key = self.tap_internal_key;
        }
        if self.tap_merkle_root != [0; 32] {
            sigdata.tr_spenddata.merkle_root = self.tap_merkle_root;
        }
        insert_missing(&mut sigdata.tr_spenddata.scripts, &self.tap_scripts);
        add_tap_origins(sigdata, &self.tap_bip32_paths);
        insert_missing_preimages(&mut sigdata.ripemd160_preimages, &self.ripemd160_preimages);
        insert_missing_preimages(&mut sigdata.sha256_preimages, &self.sha256_preimages);
        insert_missing_preimages(&mut sigdata.hash160_preimages, &self.hash160_preimages);
        insert_missing_preimages(&mut sigdata.hash256_preimages, &self.hash256_preimages);
        insert_missing(&mut sigdata.musig2_pubkeys, &self.musig2_participants);
        merge_musig(&mut sigdata.musig2_pubnonces, &self.musig2_pubnonces);
        merge_musig(&mut sigdata.musig2_partial_sigs, &self.musig2_partial_sigs);
    }

    /// `PSBTInput::FromSignatureData`.
    pub fn from_signature_data(&mut self, sigdata: &SignatureData) {
        if sigdata.complete {
            self.partial_sigs.clear();
            self.hd_keypaths.clear();
            self.redeem_script.clear();
            self.witness_script.clear();
            if !sigdata.script_sig.is_empty() {
                self.final_script_sig = sigdata.script_sig.clone();
            }
            if !sigdata.script_witness.is_empty() {
                self.final_script_witness = sigdata.script_witness.clone();
            }
            return;
        }
        insert_missing(&mut self.partial_sigs, &sigdata.signatures);
        if self.redeem_script.is_empty() && !sigdata.redeem_script.is_empty() {
            self.redeem_script = sigdata.redeem_script.clone();
        }
        if self.witness_script.is_empty() && !sigdata.witness_script.is_empty() {
            self.witness_script = sigdata.witness_script.clone();
        }
        for (pubkey, origin) in sigdata.misc_pubkeys.values() {
            self.hd_keypaths
                .entry(pubkey.clone())
                .or_insert_with(|| origin.clone());
        }
        if !sigdata.taproot_key_path_sig.is_empty() {
            self.tap_key_sig = sigdata.taproot_key_path_sig.clone();
        }
        insert_missing(&mut self.tap_script_sigs, &sigdata.taproot_script_sigs);
        if sigdata.tr_spenddata.internal_key != [0; 32] {
            self.tap_internal_key = sigdata.tr_spenddata.internal_key;
        }
        if sigdata.tr_spenddata.merkle_root != [0; 32] {
            self.tap_merkle_root = sigdata.tr_spenddata.merkle_root;
        }
        insert_missing(&mut self.tap_scripts, &sigdata.tr_spenddata.scripts);
        insert_missing(&mut self.tap_bip32_paths, &sigdata.taproot_misc_pubkeys);
        insert_missing(&mut self.musig2_participants, &sigdata.musig2_pubkeys);
        merge_musig(&mut self.musig2_pubnonces, &sigdata.musig2_pubnonces);
        merge_musig(&mut self.musig2_partial_sigs, &sigdata.musig2_partial_sigs);
        let fill20 = |to: &mut std::collections::BTreeMap<[u8; 20], Vec<u8>>,
                      from: &std::collections::BTreeMap<Vec<u8>, Vec<u8>>| {
            for (h, p) in from {
                if let Ok(h) = <[u8; 20]>::try_from(h.as_slice()) {
                    to.entry(h).or_insert_with(|| p.clone());
                }
            }
        };
        let fill32 = |to: &mut std::collections::BTreeMap<[u8; 32], Vec<u8>>,
                      from: &std::collections::BTreeMap<Vec<u8>, Vec<u8>>| {
            for (h, p) in from {
                if let Ok(h) = <[u8; 32]>::try_from(h.as_slice()) {
                    to.entry(h).or_insert_with(|| p.clone());
                }
            }
        };
        fill20(&mut self.ripemd160_preimages, &sigdata.ripemd160_preimages);
        fill32(&mut self.sha256_preimages, &sigdata.sha256_preimages);
        fill20(&mut self.hash160_preimages, &sigdata.hash160_preimages);
        fill32(&mut self.hash256_preimages, &sigdata.hash256_preimages);
    }
}

impl PsbtOutput {
    /// `PSBTOutput::Merge`.
    pub fn merge(&mut self, other: &PsbtOutput) {
        insert_missing(&mut self.hd_keypaths, &other.hd_keypaths);
        insert_missing(&mut self.proprietary, &other.proprietary);
        insert_missing(&mut self.unknown, &other.unknown);
        insert_missing(&mut self.tap_bip32_paths, &other.tap_bip32_paths);
        if self.redeem_script.is_empty() && !other.redeem_script.is_empty() {
            self.redeem_script = other.redeem_script.clone();
        }
        if self.witness_script.is_empty() && !other.witness_script.is_empty() {
            self.witness_script = other.witness_script.clone();
        }
        if self.tap_internal_key == [0; 32] && other.tap_internal_key != [0; 32] {
            self.tap_internal_key = other.tap_internal_key;
        }
        if self.tap_tree.is_empty() && !other.tap_tree.is_empty() {
            self.tap_tree = other.tap_tree.clone();
        }
        insert_missing(&mut self.musig2_participants, &other.musig2_participants);
    }

    /// `PSBTOutput::FillSignatureData`.
    pub fn fill_signature_data(&self, sigdata: &mut SignatureData) {
        add_scripts_and_origins(
            sigdata,
            &self.redeem_script,
            &self.witness_script,
            &self.hd_keypaths,
        );
        if !self.tap_tree.is_empty()
            && crate::keys::pubkey_fully_valid(&crate::keys::xonly_even_pubkey(
                &self.tap_internal_key,
            ))
        {
            let mut builder = TaprootBuilder::new();
            for (depth, leaf_ver, script) in &self.tap_tree {
                builder.add(usize::from(*depth), script, *leaf_ver, true);
            }
            if builder.finalize(&self.tap_internal_key) {
                sigdata.tr_spenddata.internal_key = self.tap_internal_key;
                sigdata.tr_spenddata.merge(builder.spend_data());
                sigdata.tr_builder = Some(builder);
            }
        }
        add_tap_origins(sigdata, &self.tap_bip32_paths);
        insert_missing(&mut sigdata.musig2_pubkeys, &self.musig2_participants);
    }

    /// `PSBTOutput::FromSignatureData`.
    pub fn from_signature_data(&mut self, sigdata: &SignatureData) {
        if self.redeem_script.is_empty() && !sigdata.redeem_script.is_empty() {
            self.redeem_script = sigdata.redeem_script.clone();
        }
        if self.witness_script.is_empty() && !sigdata.witness_script.is_empty() {
            self.witness_script = sigdata.witness_script.clone();
        }
        for (pubkey, origin) in sigdata.misc_pubkeys.values() {
            self.hd_keypaths
                .entry(pubkey.clone())
                .or_insert_with(|| origin.clone());
        }
        if sigdata.tr_spenddata.internal_key != [0; 32] {
            self.tap_internal_key = sigdata.tr_spenddata.internal_key;
        }
        if let Some(builder) = sigdata.tr_builder.as_ref().filter(|b| b.has_scripts()) {
            self.tap_tree = builder.tree_tuples();
        }
        insert_missing(&mut self.tap_bip32_paths, &sigdata.taproot_misc_pubkeys);
        insert_missing(&mut self.musig2_participants, &sigdata.musig2_pubkeys);
    }
}

/// The height and time locks a set of inputs requires together (the common part of
/// Core's `ComputeTimeLock` and `AddInput`): the highest of each kind, a kind dropped
/// once an input allows only the other, `None` when no lock time fits them all.
fn combined_locks<'a>(
    inputs: impl IntoIterator<Item = &'a PsbtInput>,
) -> Option<(Option<u32>, Option<u32>)> {
    let mut time_lock = Some(0u32);
    let mut height_lock = Some(0u32);
    for input in inputs {
        match (input.time_locktime, input.height_locktime) {
            (Some(_), None) => {
                height_lock = None;
                time_lock?;
            }
            (None, Some(_)) => {
                time_lock = None;
                height_lock?;
            }
            _ => {}
        }
        if let (Some(t), Some(cur)) = (input.time_locktime, time_lock) {
            time_lock = Some(cur.max(t));
        }
        if let (Some(h), Some(cur)) = (input.height_locktime, height_lock) {
            height_lock = Some(cur.max(h));
        }
    }
    Some((height_lock, time_lock))
}
