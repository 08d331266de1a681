//! Building the scriptSig and witness that spend an output (Core's `ProduceSignature`,
//! `SignStep`, `SignTaproot`), from what a signing provider and the input's
//! [`SignatureData`] know.

use chain_json::{classify, ScriptKind};
use consensus::script::tapleaf_hash;
use consensus::script::{op, push_data, verify_script, SigVersion};

use crate::creator::SignatureCreator;
use crate::keys::{
    create_tap_tweak, key_id, ripemd160, script_id, xonly_even_pubkey, xonly_of, KeyId, ScriptId,
    XOnly,
};
use crate::ms;
use crate::provider::SigningProvider;
use crate::sigdata::SignatureData;
use crate::taproot::TAPROOT_LEAF_TAPSCRIPT;

pub use consensus::script::STANDARD_SCRIPT_VERIFY_FLAGS;

/// The template a script matched in [`sign_step`], as far as signing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Other,
    ScriptHash,
    WitnessV0KeyHash,
    WitnessV0ScriptHash,
    WitnessV1Taproot,
    WitnessUnknown,
}

/// A script from the provider, or the redeem/witness script already in `sigdata`
/// (`GetCScript`).
fn get_script(
    provider: &dyn SigningProvider,
    sigdata: &SignatureData,
    id: &ScriptId,
) -> Option<Vec<u8>> {
    if let Some(s) = provider.script(id) {
        return Some(s);
    }
    if script_id(&sigdata.redeem_script) == *id {
        return Some(sigdata.redeem_script.clone());
    }
    if script_id(&sigdata.witness_script) == *id {
        return Some(sigdata.witness_script.clone());
    }
    None
}

/// A public key from the signatures, keys and taproot keys in `sigdata`, else from the
/// provider (`GetPubKey`).
pub(crate) fn get_pubkey(
    provider: &dyn SigningProvider,
    sigdata: &SignatureData,
    id: &KeyId,
) -> Option<Vec<u8>> {
    if let Some((pk, _)) = sigdata.signatures.get(id) {
        return Some(pk.clone());
    }
    if let Some((pk, _)) = sigdata.misc_pubkeys.get(id) {
        return Some(pk.clone());
    }
    if let Some(xonly) = sigdata.tap_pubkeys.get(id) {
        return Some(xonly_even_pubkey(xonly));
    }
    provider.pubkey(id)
}

/// An ECDSA signature by `pubkey`: one already known, or a new one (`CreateSig`). A key
/// without signature is recorded as missing.
pub(crate) fn create_sig(
    creator: &dyn SignatureCreator,
    sigdata: &mut SignatureData,
    provider: &dyn SigningProvider,
    pubkey: &[u8],
    script_code: &[u8],
    sigversion: SigVersion,
) -> Option<Vec<u8>> {
    let id = key_id(pubkey);
    if let Some((_, sig)) = sigdata.signatures.get(&id) {
        return Some(sig.clone());
    }
    if let Some(info) = provider.key_origin(&id) {
        sigdata
            .misc_pubkeys
            .entry(id)
            .or_insert_with(|| (pubkey.to_vec(), info));
    }
    if let Some(sig) = creator.create_sig(provider, &id, script_code, sigversion) {
        sigdata
            .signatures
            .insert(id, (pubkey.to_vec(), sig.clone()));
        return Some(sig);
    }
    sigdata.missing_sigs.push(id);
    None
}

/// The MuSig2 bookkeeping of Core's `SignMuSig2`: participants' origins are recorded and a
/// nonce slot opened. Aggregating or making partial signatures needs the MuSig2 protocol,
/// which only the dummy creator (for sizing) pretends to do.
fn sign_musig2(
    creator: &dyn SignatureCreator,
    sigdata: &mut SignatureData,
    provider: &dyn SigningProvider,
    script_pubkey: &XOnly,
    merkle_root: Option<&[u8; 32]>,
    leaf_hash: Option<&[u8; 32]>,
    sigversion: SigVersion,
) -> Option<Vec<u8>> {
    let participants: Vec<(Vec<u8>, Vec<Vec<u8>>)> = sigdata
        .musig2_pubkeys
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut out = None;
    for (agg_pub, parts) in participants {
        if parts.is_empty() {
            continue;
        }
        for part in &parts {
            if let Some(info) = provider.key_origin(&key_id(part)) {
                let Some(xonly) = xonly_of(part) else {
                    continue;
                };
                let entry = sigdata
                    .taproot_misc_pubkeys
                    .entry(xonly)
                    .or_insert_with(|| (Default::default(), info));
                if let Some(leaf) = leaf_hash {
                    entry.0.insert(*leaf);
                }
            }
        }
        let mut plain_pub = agg_pub.clone();
        if xonly_of(&agg_pub).as_ref() != Some(script_pubkey) {
            // Keys derived from the aggregate need its synthetic xpub's derivation, which
            // this signer does not follow.
            continue;
        }
        if sigversion == SigVersion::Taproot {
            if let Some(root) = merkle_root {
                let root = (*root != [0; 32]).then_some(root);
                let (tweaked, parity) = create_tap_tweak(script_pubkey, root)?;
                plain_pub = vec![if parity { 3 } else { 2 }];
                plain_pub.extend_from_slice(&tweaked);
            }
        }
        if let Some(sig) = creator.create_musig2_aggregate_sig() {
            if sigversion == SigVersion::Taproot {
                sigdata.taproot_key_path_sig = sig.clone();
            } else {
                let leaf = leaf_hash.copied().unwrap_or([0; 32]);
                sigdata
                    .taproot_script_sigs
                    .insert((*script_pubkey, leaf), sig.clone());
            }
            out = Some(sig);
            continue;
        }
        let slot = (plain_pub, leaf_hash.copied().unwrap_or([0; 32]));
        if sigdata
            .musig2_partial_sigs
            .get(&slot)
            .is_some_and(|m| !m.is_empty())
        {
            continue;
        }
        sigdata.musig2_pubnonces.entry(slot).or_default();
    }
    Some(out.unwrap_or_default())
}

/// A BIP342 signature by `pubkey` for the leaf `leaf_hash` (`CreateTaprootScriptSig`).
pub(crate) fn create_taproot_script_sig(
    creator: &dyn SignatureCreator,
    sigdata: &mut SignatureData,
    provider: &dyn SigningProvider,
    pubkey: &XOnly,
    leaf_hash: &[u8; 32],
    sigversion: SigVersion,
) -> Option<Vec<u8>> {
    if let Some(info) = provider.key_origin_by_xonly(pubkey) {
        sigdata
            .taproot_misc_pubkeys
            .entry(*pubkey)
            .or_insert_with(|| (Default::default(), info))
            .0
            .insert(*leaf_hash);
    }
    let lookup = (*pubkey, *leaf_hash);
    if let Some(sig) = sigdata.taproot_script_sigs.get(&lookup) {
        return Some(sig.clone());
    }
    if let Some(sig) =
        creator.create_schnorr_sig(provider, pubkey, Some(leaf_hash), None, sigversion)
    {
        sigdata.taproot_script_sigs.insert(lookup, sig.clone());
    } else {
        sign_musig2(
            creator,
            sigdata,
            provider,
            pubkey,
            None,
            Some(leaf_hash),
            sigversion,
        )?;
    }
    sigdata.taproot_script_sigs.get(&lookup).cloned()
}

/// The serialized size of a witness stack (`GetSerializeSize` of a vector of vectors).
fn stack_size(stack: &[Vec<u8>]) -> usize {
    let compact = |n: usize| match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    };
    compact(stack.len())
        + stack
            .iter()
            .map(|e| compact(e.len()) + e.len())
            .sum::<usize>()
}

/// `SignTaproot`: a key-path signature by the internal or output key, else the smallest
/// satisfiable script path.
fn sign_taproot(
    provider: &dyn SigningProvider,
    creator: &dyn SignatureCreator,
    output: &XOnly,
    sigdata: &mut SignatureData,
) -> Option<Vec<Vec<u8>>> {
    if let Some(spd) = provider.taproot_spend_data(output) {
        sigdata.tr_spenddata.merge(spd);
    }
    if let Some(builder) = provider.taproot_builder(output) {
        sigdata.tr_builder = Some(builder);
    }
    for (agg, parts) in provider.musig2_participants() {
        sigdata.musig2_pubkeys.entry(agg).or_insert(parts);
    }

    let internal = sigdata.tr_spenddata.internal_key;
    for key in [internal, *output] {
        if let Some(info) = provider.key_origin_by_xonly(&key) {
            sigdata
                .taproot_misc_pubkeys
                .entry(key)
                .or_insert_with(|| (Default::default(), info));
        }
    }
    let keypath_sig = |sigdata: &mut SignatureData, pk: &XOnly, root: Option<[u8; 32]>| {
        let tweak = root.as_ref().map(|r| (*r != [0; 32]).then_some(r));
        if let Some(sig) =
            creator.create_schnorr_sig(provider, pk, None, tweak, SigVersion::Taproot)
        {
            sigdata.taproot_key_path_sig = sig;
        } else {
            sign_musig2(
                creator,
                sigdata,
                provider,
                pk,
                root.as_ref(),
                None,
                SigVersion::Taproot,
            );
        }
    };
    if sigdata.taproot_key_path_sig.is_empty() {
        let root = sigdata.tr_spenddata.merkle_root;
        keypath_sig(sigdata, &internal, Some(root));
    }
    if sigdata.taproot_key_path_sig.is_empty() {
        keypath_sig(sigdata, output, None);
    }
    if !sigdata.taproot_key_path_sig.is_empty() {
        return Some(vec![sigdata.taproot_key_path_sig.clone()]);
    }

    let mut smallest: Option<Vec<Vec<u8>>> = None;
    let leaves: Vec<_> = sigdata
        .tr_spenddata
        .scripts
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().next().map(|c| c.0.clone())))
        .collect();
    for ((script, leaf_ver), control) in leaves {
        // Only BIP342 leaves can be signed.
        if leaf_ver != TAPROOT_LEAF_TAPSCRIPT {
            continue;
        }
        let leaf_hash = tapleaf_hash(leaf_ver, &script);
        let Some(mut stack) = ms::satisfy_tapscript(provider, creator, sigdata, &script, leaf_hash)
        else {
            continue;
        };
        stack.push(script);
        stack.push(control.unwrap_or_default());
        if smallest
            .as_ref()
            .is_none_or(|s| stack_size(&stack) < stack_size(s))
        {
            smallest = Some(stack);
        }
    }
    smallest
}

/// One step of solving `script` (`SignStep`): the stack that satisfies it (for P2SH and
/// P2WSH the script to recurse into), whether it is complete, and the template matched.
fn sign_step(
    provider: &dyn SigningProvider,
    creator: &dyn SignatureCreator,
    script: &[u8],
    sigversion: SigVersion,
    sigdata: &mut SignatureData,
) -> (bool, Vec<Vec<u8>>, Kind) {
    let mut ret: Vec<Vec<u8>> = Vec::new();
    match classify(script) {
        ScriptKind::NonStandard | ScriptKind::NullData => (false, ret, Kind::Other),
        ScriptKind::WitnessUnknown { .. } => (false, ret, Kind::WitnessUnknown),
        ScriptKind::PubKey(pk) => {
            match create_sig(creator, sigdata, provider, pk, script, sigversion) {
                Some(sig) => {
                    ret.push(sig);
                    (true, ret, Kind::Other)
                }
                None => (false, ret, Kind::Other),
            }
        }
        ScriptKind::PubKeyHash(hash) => {
            let id: KeyId = hash.try_into().unwrap_or([0; 20]);
            let Some(pubkey) = get_pubkey(provider, sigdata, &id) else {
                sigdata.missing_pubkeys.push(id);
                return (false, ret, Kind::Other);
            };
            match create_sig(creator, sigdata, provider, &pubkey, script, sigversion) {
                Some(sig) => {
                    ret.push(sig);
                    ret.push(pubkey);
                    (true, ret, Kind::Other)
                }
                None => (false, ret, Kind::Other),
            }
        }
        ScriptKind::ScriptHash(hash) => {
            let id: ScriptId = hash.try_into().unwrap_or([0; 20]);
            match get_script(provider, sigdata, &id) {
                Some(s) => {
                    ret.push(s);
                    (true, ret, Kind::ScriptHash)
                }
                None => {
                    sigdata.missing_redeem_script = Some(id);
                    (false, ret, Kind::ScriptHash)
                }
            }
        }
        ScriptKind::Multisig { required, keys } => {
            let required = usize::from(required);
            // CHECKMULTISIG pops one element too many.
            ret.push(Vec::new());
            // Every key is tried so that all signatures the provider can make are recorded.
            for pk in keys {
                if let Some(sig) = create_sig(creator, sigdata, provider, pk, script, sigversion) {
                    if ret.len() < required + 1 {
                        ret.push(sig);
                    }
                }
            }
            let ok = ret.len() == required + 1;
            // Core's loop counts up while the stack grows, so it adds only about half the
            // missing placeholders; the resulting stack (and error) must match.
            let mut i = 0;
            while i + ret.len() < required + 1 {
                ret.push(Vec::new());
                i += 1;
            }
            (ok, ret, Kind::Other)
        }
        ScriptKind::WitnessV0KeyHash(hash) => {
            ret.push(hash.to_vec());
            (true, ret, Kind::WitnessV0KeyHash)
        }
        ScriptKind::WitnessV0ScriptHash(program) => {
            let id: ScriptId = ripemd160(program);
            match get_script(provider, sigdata, &id) {
                Some(s) => {
                    ret.push(s);
                    (true, ret, Kind::WitnessV0ScriptHash)
                }
                None => {
                    sigdata.missing_witness_script = program.try_into().ok();
                    (false, ret, Kind::WitnessV0ScriptHash)
                }
            }
        }
        ScriptKind::WitnessV1Taproot(program) => {
            let output: XOnly = program.try_into().unwrap_or([0; 32]);
            match sign_taproot(provider, creator, &output, sigdata) {
                Some(stack) => (true, stack, Kind::WitnessV1Taproot),
                None => (false, ret, Kind::WitnessV1Taproot),
            }
        }
        ScriptKind::Anchor => (true, ret, Kind::Other),
    }
}

/// A scriptSig pushing `values`, small numbers as opcodes (`PushAll`).
pub fn push_all(values: &[Vec<u8>]) -> Vec<u8> {
    let mut script = Vec::new();
    for v in values {
        if v.is_empty() {
            script.push(op::OP_0);
        } else if v.len() == 1 && (1..=16).contains(&v[0]) {
            script.push(op::OP_1 + v[0] - 1);
        } else if v.len() == 1 && v[0] == 0x81 {
            script.push(op::OP_1NEGATE);
        } else {
            push_data(&mut script, v);
        }
    }
    script
}

/// Solves `script_pubkey` with what `provider` and `sigdata` know, filling `sigdata`
/// (`ProduceSignature`); whether the resulting spend verifies.
pub fn produce_signature(
    provider: &dyn SigningProvider,
    creator: &dyn SignatureCreator,
    script_pubkey: &[u8],
    sigdata: &mut SignatureData,
) -> bool {
    if sigdata.complete {
        return true;
    }
    let (mut solved, mut result, mut kind) =
        sign_step(provider, creator, script_pubkey, SigVersion::Base, sigdata);
    let mut p2sh = false;
    let mut subscript = Vec::new();

    if solved && kind == Kind::ScriptHash {
        subscript = result.first().cloned().unwrap_or_default();
        sigdata.redeem_script = subscript.clone();
        let (ok, r, k) = sign_step(provider, creator, &subscript, SigVersion::Base, sigdata);
        solved = ok && k != Kind::ScriptHash;
        result = r;
        kind = k;
        p2sh = true;
    }

    if solved && kind == Kind::WitnessV0KeyHash {
        let hash = result.first().cloned().unwrap_or_default();
        let mut witness_script = vec![op::OP_DUP, op::OP_HASH160];
        push_data(&mut witness_script, &hash);
        witness_script.extend_from_slice(&[op::OP_EQUALVERIFY, op::OP_CHECKSIG]);
        let (ok, r, _) = sign_step(
            provider,
            creator,
            &witness_script,
            SigVersion::WitnessV0,
            sigdata,
        );
        solved = solved && ok;
        sigdata.script_witness = r;
        sigdata.witness = true;
        result.clear();
    } else if solved && kind == Kind::WitnessV0ScriptHash {
        let witness_script = result.first().cloned().unwrap_or_default();
        sigdata.witness_script = witness_script.clone();
        let (ok, r, sub_kind) = sign_step(
            provider,
            creator,
            &witness_script,
            SigVersion::WitnessV0,
            sigdata,
        );
        let mut stack = r;
        solved = solved
            && ok
            && !matches!(
                sub_kind,
                Kind::ScriptHash | Kind::WitnessV0ScriptHash | Kind::WitnessV0KeyHash
            );
        // A partial CHECKMULTISIG stack is kept even when unsolved (combining relies on
        // it); only an empty one lets miniscript try.
        if !solved && stack.is_empty() {
            if let Some(sat) = ms::satisfy_wsh(provider, creator, sigdata, &witness_script) {
                stack = sat;
                solved = true;
            }
        }
        stack.push(witness_script);
        sigdata.script_witness = stack;
        sigdata.witness = true;
        result.clear();
    } else if kind == Kind::WitnessV1Taproot && !p2sh {
        sigdata.witness = true;
        if solved {
            sigdata.script_witness = std::mem::take(&mut result);
        }
        result.clear();
    } else if solved && kind == Kind::WitnessUnknown {
        sigdata.witness = true;
    }

    if !sigdata.witness {
        sigdata.script_witness.clear();
    }
    if p2sh {
        result.push(subscript);
    }
    sigdata.script_sig = push_all(&result);

    sigdata.complete = solved
        && verify_script(
            &sigdata.script_sig,
            script_pubkey,
            &sigdata.script_witness,
            STANDARD_SCRIPT_VERIFY_FLAGS,
            creator.checker(),
        )
        .is_ok();
    sigdata.complete
}

/// Whether `script` is a witness program or a P2SH of one the provider knows
/// (`IsSegWitOutput`).
pub fn is_segwit_output(provider: &dyn SigningProvider, script: &[u8]) -> bool {
    if consensus::script::witness_program(script).is_some() {
        return true;
    }
    if let ScriptKind::ScriptHash(hash) = classify(script) {
        let id: ScriptId = hash.try_into().unwrap_or([0; 20]);
        if let Some(sub) = provider.script(&id) {
            return consensus::script::witness_program(&sub).is_some();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use bitcoin::hashes::Hash;
    use bitcoin::secp256k1::SecretKey;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

    use crate::keys::{hash160, key_id, script_id, sha256, Secret};
    use crate::provider::FlatSigningProvider;
    use crate::taproot::TaprootBuilder;
    use crate::transaction::sign_transaction;

    fn secret(byte: u8, compressed: bool) -> Secret {
        Secret {
            key: SecretKey::from_slice(&[byte; 32]).unwrap(),
            compressed,
        }
    }

    fn pubkey(s: &Secret) -> Vec<u8> {
        s.public_key().to_bytes()
    }

    fn xonly(s: &Secret) -> [u8; 32] {
        pubkey(&Secret {
            compressed: true,
            ..*s
        })[1..]
            .try_into()
            .unwrap()
    }

    fn provider(keys: &[Secret]) -> FlatSigningProvider {
        let mut p = FlatSigningProvider::new();
        for k in keys {
            let pk = pubkey(k);
            p.pubkeys.insert(key_id(&pk), pk.clone());
            p.keys.insert(key_id(&pk), *k);
        }
        p
    }

    fn push(script: &mut Vec<u8>, data: &[u8]) {
        consensus::script::push_data(script, data);
    }

    fn multisig(k: u8, keys: &[Vec<u8>]) -> Vec<u8> {
        let mut s = vec![0x50 + k];
        for key in keys {
            push(&mut s, key);
        }
        s.push(0x50 + keys.len() as u8);
        s.push(0xae);
        s
    }

    fn p2sh(script: &[u8]) -> Vec<u8> {
        let mut s = vec![0xa9, 0x14];
        s.extend_from_slice(&hash160(script));
        s.push(0x87);
        s
    }

    fn p2wsh(script: &[u8]) -> Vec<u8> {
        let mut s = vec![0x00, 0x20];
        s.extend_from_slice(&sha256(script));
        s
    }

    fn p2wpkh(key: &[u8]) -> Vec<u8> {
        let mut s = vec![0x00, 0x14];
        s.extend_from_slice(&hash160(key));
        s
    }

    fn p2tr(output: &[u8; 32]) -> Vec<u8> {
        let mut s = vec![0x51, 0x20];
        s.extend_from_slice(output);
        s
    }

    /// Signs a one-input spend of `spk` and returns the errors and the transaction.
    fn sign(
        spk: &[u8],
        p: &FlatSigningProvider,
        sighash: i32,
        sequence: u32,
    ) -> (BTreeMap<usize, String>, Transaction) {
        let outpoint = OutPoint::new(Txid::from_byte_array([7; 32]), 1);
        let mut tx = Transaction {
            version: Version(2),
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence(sequence),
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(90_000),
                script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
            }],
        };
        let mut coins = BTreeMap::new();
        coins.insert(
            outpoint,
            TxOut {
                value: Amount::from_sat(100_000),
                script_pubkey: ScriptBuf::from_bytes(spk.to_vec()),
            },
        );
        let errors = sign_transaction(&mut tx, p, &coins, sighash);
        (errors, tx)
    }

    fn complete(spk: &[u8], p: &FlatSigningProvider) -> Transaction {
        let (errors, tx) = sign(spk, p, 1, 0xffff_fffd);
        assert!(errors.is_empty(), "{errors:?}");
        tx
    }

    #[test]
    fn legacy_and_segwit_v0_templates() {
        let a = secret(1, true);
        let u = secret(2, false);
        // P2PK, and P2PKH with an uncompressed key.
        let mut pk = Vec::new();
        push(&mut pk, &pubkey(&a));
        pk.push(0xac);
        complete(&pk, &provider(&[a]));
        let mut pkh = vec![0x76, 0xa9];
        push(&mut pkh, &hash160(&pubkey(&u)));
        pkh.extend_from_slice(&[0x88, 0xac]);
        complete(&pkh, &provider(&[u]));
        // P2WPKH and P2SH-P2WPKH.
        let tx = complete(&p2wpkh(&pubkey(&a)), &provider(&[a]));
        assert_eq!(tx.input[0].witness.len(), 2);
        let mut p = provider(&[a]);
        let inner = p2wpkh(&pubkey(&a));
        p.scripts.insert(script_id(&inner), inner.clone());
        let tx = complete(&p2sh(&inner), &p);
        assert_eq!(tx.input[0].script_sig.len(), 23);
        // Segwit cannot sign with an uncompressed key.
        let (errors, _) = sign(&p2wpkh(&pubkey(&u)), &provider(&[u]), 1, 0xffff_fffd);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn multisig_without_keys_leaves_cores_placeholders() {
        let keys = [secret(3, true), secret(4, true), secret(5, true)];
        let script = multisig(2, &keys.iter().map(pubkey).collect::<Vec<_>>());
        let mut none = provider(&[]);
        none.scripts.insert(script_id(&script), script.clone());
        let (errors, tx) = sign(&p2sh(&script), &none, 1, 0xffff_fffd);
        assert_eq!(
            errors.get(&0).map(String::as_str),
            Some("Unable to sign input, invalid stack size (possibly missing key)")
        );
        // Core's placeholder loop leaves two empty pushes before the redeem script, not three.
        let mut expected = vec![0x00, 0x00];
        push(&mut expected, &script);
        assert_eq!(tx.input[0].script_sig.as_bytes(), &expected[..]);
    }

    #[test]
    fn multisig_partial_then_complete() {
        let keys = [secret(3, true), secret(4, true), secret(5, true)];
        let script = multisig(2, &keys.iter().map(pubkey).collect::<Vec<_>>());
        for wrap in [p2sh(&script), p2wsh(&script)] {
            let mut one = provider(&keys[..1]);
            one.scripts.insert(script_id(&script), script.clone());
            let (errors, tx) = sign(&wrap, &one, 1, 0xffff_fffd);
            assert_eq!(
                errors.get(&0).map(String::as_str),
                Some("CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)")
            );
            // The second signer finds the first signature in the transaction.
            let mut two = provider(&keys[2..]);
            two.scripts.insert(script_id(&script), script.clone());
            let outpoint = tx.input[0].previous_output;
            let mut tx2 = tx.clone();
            let mut coins = BTreeMap::new();
            coins.insert(
                outpoint,
                TxOut {
                    value: Amount::from_sat(100_000),
                    script_pubkey: ScriptBuf::from_bytes(wrap.clone()),
                },
            );
            let errors = sign_transaction(&mut tx2, &two, &coins, 1);
            assert!(errors.is_empty(), "{errors:?}");
        }
    }

    #[test]
    fn taproot_key_and_script_paths() {
        let internal = secret(6, true);
        let leaf_key = secret(7, true);
        // Key path of a key without scripts (BIP86), with SIGHASH_DEFAULT: 64 bytes.
        let mut b = TaprootBuilder::new();
        assert!(b.finalize(&xonly(&internal)));
        let mut p = provider(&[internal]);
        p.tr_trees.insert(b.output_key(), b.clone());
        let (errors, tx) = sign(&p2tr(&b.output_key()), &p, 0, 0xffff_fffd);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tx.input[0].witness.len(), 1);
        assert_eq!(tx.input[0].witness.nth(0).unwrap().len(), 64);
        // Script path: a pk() leaf whose key we have, the internal key's we do not.
        let mut leaf = Vec::new();
        push(&mut leaf, &xonly(&leaf_key));
        leaf.push(0xac);
        let mut b = TaprootBuilder::new();
        b.add(0, &leaf, 0xc0, true);
        assert!(b.finalize(&xonly(&internal)));
        let mut p = provider(&[leaf_key]);
        p.tr_trees.insert(b.output_key(), b.clone());
        let (errors, tx) = sign(&p2tr(&b.output_key()), &p, 0x83, 0xffff_fffd);
        assert!(errors.is_empty(), "{errors:?}");
        let w: Vec<Vec<u8>> = tx.input[0].witness.to_vec();
        assert_eq!(w.len(), 3);
        assert_eq!(
            w[0].len(),
            65,
            "SINGLE|ANYONECANPAY adds the hash type byte"
        );
        assert_eq!(w[1], leaf);
    }

    #[test]
    fn miniscript_witness_script_with_timelock() {
        let a = secret(8, true);
        // and_v(v:pk(A),older(10))
        let mut ws = Vec::new();
        push(&mut ws, &pubkey(&a));
        ws.extend_from_slice(&[0xad, 0x5a, 0xb2]);
        let mut p = provider(&[a]);
        p.scripts.insert(script_id(&ws), ws.clone());
        let (errors, _) = sign(&p2wsh(&ws), &p, 1, 5);
        assert_eq!(
            errors.len(),
            1,
            "a sequence below the relative lock cannot satisfy it"
        );
        let (errors, tx) = sign(&p2wsh(&ws), &p, 1, 10);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(tx.input[0].witness.len(), 2);
    }
}
