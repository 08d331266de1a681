//! Writing PSBTs byte for byte as Core's `Serialize` methods do.

use std::collections::BTreeSet;

use bitcoin::hashes::Hash;

use super::decode::MAGIC;
use super::wire::{compact_size_len, write_bytes, write_compact_size, write_tx_out};
use super::{Psbt, PsbtInput, PsbtOutput};
use crate::provider::KeyOrigin;

/// A key of one type byte (`SerializeToVector(s, CompactSizeWriter(type))`).
fn key(out: &mut Vec<u8>, ty: u8) {
    out.extend_from_slice(&[1, ty]);
}

/// A key of a type byte followed by `data`.
fn key_with(out: &mut Vec<u8>, ty: u8, data: &[&[u8]]) {
    let len: usize = 1 + data.iter().map(|d| d.len()).sum::<usize>();
    write_compact_size(out, len as u64);
    out.push(ty);
    for d in data {
        out.extend_from_slice(d);
    }
}

/// A value written with `SerializeToVector`: its length, then the bytes.
fn value(out: &mut Vec<u8>, v: &[u8]) {
    write_bytes(out, v);
}

fn origin_bytes(origin: &KeyOrigin) -> Vec<u8> {
    let mut v = origin.fingerprint.to_vec();
    for step in &origin.path {
        v.extend_from_slice(&step.to_le_bytes());
    }
    v
}

fn hd_keypaths(out: &mut Vec<u8>, ty: u8, paths: &std::collections::BTreeMap<Vec<u8>, KeyOrigin>) {
    for (pubkey, origin) in paths {
        key_with(out, ty, &[pubkey]);
        value(out, &origin_bytes(origin));
    }
}

fn tap_bip32(
    out: &mut Vec<u8>,
    ty: u8,
    paths: &std::collections::BTreeMap<[u8; 32], (BTreeSet<[u8; 32]>, KeyOrigin)>,
) {
    for (xonly, (leaves, origin)) in paths {
        key_with(out, ty, &[xonly]);
        let mut v = Vec::new();
        write_compact_size(&mut v, leaves.len() as u64);
        for leaf in leaves {
            v.extend_from_slice(leaf);
        }
        v.extend_from_slice(&origin_bytes(origin));
        value(out, &v);
    }
}

fn musig2_participants(
    out: &mut Vec<u8>,
    ty: u8,
    participants: &std::collections::BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
) {
    for (agg, parts) in participants {
        key_with(out, ty, &[agg]);
        value(out, &parts.concat());
    }
}

fn proprietary_and_unknown(
    out: &mut Vec<u8>,
    p: &super::ProprietarySet,
    u: Option<&super::UnknownMap>,
) {
    for entry in p.values() {
        write_bytes(out, &entry.key);
        write_bytes(out, &entry.value);
    }
    if let Some(u) = u {
        for (k, v) in u {
            write_bytes(out, k);
            write_bytes(out, v);
        }
    }
}

fn unknown(out: &mut Vec<u8>, u: &super::UnknownMap) {
    for (k, v) in u {
        write_bytes(out, k);
        write_bytes(out, v);
    }
}

fn u32_value(out: &mut Vec<u8>, v: u32) {
    value(out, &v.to_le_bytes());
}

fn write_input(out: &mut Vec<u8>, input: &PsbtInput) {
    if let Some(tx) = &input.non_witness_utxo {
        key(out, 0x00);
        value(out, &chain_json::serialize_tx(tx, false));
    }
    if let Some(utxo) = &input.witness_utxo {
        key(out, 0x01);
        let mut v = Vec::new();
        write_tx_out(&mut v, utxo);
        value(out, &v);
    }
    if input.final_script_sig.is_empty() && input.final_script_witness.is_empty() {
        for (pubkey, sig) in input.partial_sigs.values() {
            key_with(out, 0x02, &[pubkey]);
            write_bytes(out, sig);
        }
        if let Some(sighash) = input.sighash_type {
            key(out, 0x03);
            value(out, &sighash.to_le_bytes());
        }
        if !input.redeem_script.is_empty() {
            key(out, 0x04);
            write_bytes(out, &input.redeem_script);
        }
        if !input.witness_script.is_empty() {
            key(out, 0x05);
            write_bytes(out, &input.witness_script);
        }
        hd_keypaths(out, 0x06, &input.hd_keypaths);
        for (hash, preimage) in &input.ripemd160_preimages {
            key_with(out, 0x0a, &[hash]);
            write_bytes(out, preimage);
        }
        for (hash, preimage) in &input.sha256_preimages {
            key_with(out, 0x0b, &[hash]);
            write_bytes(out, preimage);
        }
        for (hash, preimage) in &input.hash160_preimages {
            key_with(out, 0x0c, &[hash]);
            write_bytes(out, preimage);
        }
        for (hash, preimage) in &input.hash256_preimages {
            key_with(out, 0x0d, &[hash]);
            write_bytes(out, preimage);
        }
        if !input.tap_key_sig.is_empty() {
            key(out, 0x13);
            write_bytes(out, &input.tap_key_sig);
        }
        for ((xonly, leaf), sig) in &input.tap_script_sigs {
            key_with(out, 0x14, &[xonly, leaf]);
            write_bytes(out, sig);
        }
        for ((script, leaf_ver), blocks) in &input.tap_scripts {
            for block in blocks {
                key_with(out, 0x15, &[&block.0]);
                let mut v = script.clone();
                v.push(*leaf_ver);
                write_bytes(out, &v);
            }
        }
        tap_bip32(out, 0x16, &input.tap_bip32_paths);
        if input.tap_internal_key != [0; 32] {
            key(out, 0x17);
            write_bytes(out, &input.tap_internal_key);
        }
        if input.tap_merkle_root != [0; 32] {
            key(out, 0x18);
            value(out, &input.tap_merkle_root);
        }
        musig2_participants(out, 0x1a, &input.musig2_participants);
        for ((agg, leaf), nonces) in &input.musig2_pubnonces {
            for (part, nonce) in nonces {
                if *leaf == [0; 32] {
                    key_with(out, 0x1b, &[part, agg]);
                } else {
                    key_with(out, 0x1b, &[part, agg, leaf]);
                }
                write_bytes(out, nonce);
            }
        }
        for ((agg, leaf), sigs) in &input.musig2_partial_sigs {
            for (part, psig) in sigs {
                if *leaf == [0; 32] {
                    key_with(out, 0x1c, &[part, agg]);
                } else {
                    key_with(out, 0x1c, &[part, agg, leaf]);
                }
                value(out, psig);
            }
        }
    }
    if !input.final_script_sig.is_empty() {
        key(out, 0x07);
        write_bytes(out, &input.final_script_sig);
    }
    if !input.final_script_witness.is_empty() {
        key(out, 0x08);
        let mut v = Vec::new();
        write_compact_size(&mut v, input.final_script_witness.len() as u64);
        for item in &input.final_script_witness {
            write_bytes(&mut v, item);
        }
        value(out, &v);
    }
    if input.version >= 2 {
        key(out, 0x0e);
        value(out, input.prev_txid.as_byte_array());
        key(out, 0x0f);
        u32_value(out, input.prev_out);
        if let Some(seq) = input.sequence {
            key(out, 0x10);
            u32_value(out, seq);
        }
        if let Some(t) = input.time_locktime {
            key(out, 0x11);
            u32_value(out, t);
        }
        if let Some(h) = input.height_locktime {
            key(out, 0x12);
            u32_value(out, h);
        }
    }
    proprietary_and_unknown(out, &input.proprietary, Some(&input.unknown));
    out.push(0);
}

fn write_output(out: &mut Vec<u8>, output: &PsbtOutput) {
    if !output.redeem_script.is_empty() {
        key(out, 0x00);
        write_bytes(out, &output.redeem_script);
    }
    if !output.witness_script.is_empty() {
        key(out, 0x01);
        write_bytes(out, &output.witness_script);
    }
    hd_keypaths(out, 0x02, &output.hd_keypaths);
    if output.version >= 2 {
        key(out, 0x03);
        value(out, &output.amount.to_le_bytes());
        key(out, 0x04);
        write_bytes(out, &output.script);
    }
    proprietary_and_unknown(out, &output.proprietary, None);
    if output.tap_internal_key != [0; 32] {
        key(out, 0x05);
        write_bytes(out, &output.tap_internal_key);
    }
    if !output.tap_tree.is_empty() {
        key(out, 0x06);
        let mut v = Vec::new();
        for (depth, leaf_ver, script) in &output.tap_tree {
            v.push(*depth);
            v.push(*leaf_ver);
            write_bytes(&mut v, script);
        }
        write_bytes(out, &v);
    }
    tap_bip32(out, 0x07, &output.tap_bip32_paths);
    musig2_participants(out, 0x08, &output.musig2_participants);
    unknown(out, &output.unknown);
    out.push(0);
}

impl Psbt {
    /// The PSBT's bytes, as Core serializes it.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let version = self.psbt_version();
        if version < 2 {
            key(&mut out, 0x00);
            let tx = self.unsigned_tx().unwrap_or_else(|| bitcoin::Transaction {
                version: bitcoin::transaction::Version(self.tx_version as i32),
                lock_time: bitcoin::absolute::LockTime::ZERO,
                input: Vec::new(),
                output: Vec::new(),
            });
            value(&mut out, &chain_json::serialize_tx(&tx, false));
        }
        for (origin, xpubs) in &self.xpubs {
            for xpub in xpubs {
                key_with(&mut out, 0x01, &[&xpub.0]);
                let bytes = origin_bytes(origin);
                write_bytes(&mut out, &bytes);
            }
        }
        if version >= 2 {
            key(&mut out, 0x02);
            u32_value(&mut out, self.tx_version);
            if let Some(lock) = self.fallback_locktime {
                key(&mut out, 0x03);
                u32_value(&mut out, lock);
            }
            for (ty, n) in [(0x04, self.inputs.len()), (0x05, self.outputs.len())] {
                key(&mut out, ty);
                write_compact_size(&mut out, compact_size_len(n as u64) as u64);
                write_compact_size(&mut out, n as u64);
            }
            if let Some(flags) = self.tx_modifiable {
                key(&mut out, 0x06);
                value(&mut out, &[flags]);
            }
        }
        if version > 0 {
            key(&mut out, 0xfb);
            u32_value(&mut out, self.version.unwrap_or(0));
        }
        proprietary_and_unknown(&mut out, &self.proprietary, Some(&self.unknown));
        out.push(0);
        for input in &self.inputs {
            write_input(&mut out, input);
        }
        for output in &self.outputs {
            write_output(&mut out, output);
        }
        out
    }

    /// The PSBT as base64 (`EncodeBase64` of its bytes).
    pub fn to_base64(&self) -> String {
        common::strutil::encode_base64(&self.serialize())
    }
}
