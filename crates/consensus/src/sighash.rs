//! Signature hashes: legacy (`SignatureHash` with `SigVersion::BASE`), BIP143 (witness v0)
//! and BIP341/342 (`SignatureHashSchnorr`), over data computed once per transaction.

use bitcoin::consensus::Encodable;
use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};
use bitcoin::{Transaction, TxOut};

use crate::script::op;

/// `SIGHASH_ALL`.
pub const SIGHASH_ALL: i32 = 1;
/// `SIGHASH_NONE`.
pub const SIGHASH_NONE: i32 = 2;
/// `SIGHASH_SINGLE`.
pub const SIGHASH_SINGLE: i32 = 3;
/// `SIGHASH_ANYONECANPAY`.
pub const SIGHASH_ANYONECANPAY: i32 = 0x80;
/// Taproot's `SIGHASH_DEFAULT` (no hash-type byte).
pub const SIGHASH_DEFAULT: u8 = 0;

/// Hashes shared by every input of a transaction (`PrecomputedTransactionData`).
#[derive(Debug, Clone, Default)]
pub struct PrecomputedTransactionData {
    /// BIP143 hashes (double SHA256), when the transaction has a non-taproot witness.
    pub bip143: Option<Bip143Hashes>,
    /// BIP341 single-SHA256 hashes, when a taproot spend needs them and the spent outputs are known.
    pub bip341: Option<Bip341Hashes>,
    /// The outputs the inputs spend, in input order, if known.
    pub spent_outputs: Vec<TxOut>,
}

/// BIP143 `hashPrevouts`, `hashSequence` and `hashOutputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bip143Hashes {
    /// Double SHA256 of all prevouts.
    pub prevouts: [u8; 32],
    /// Double SHA256 of all sequences.
    pub sequences: [u8; 32],
    /// Double SHA256 of all outputs.
    pub outputs: [u8; 32],
}

/// BIP341 `sha_prevouts`, `sha_amounts`, `sha_scriptpubkeys`, `sha_sequences`, `sha_outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bip341Hashes {
    /// SHA256 of all prevouts.
    pub prevouts: [u8; 32],
    /// SHA256 of all spent amounts.
    pub amounts: [u8; 32],
    /// SHA256 of all spent scriptPubKeys.
    pub scripts: [u8; 32],
    /// SHA256 of all sequences.
    pub sequences: [u8; 32],
    /// SHA256 of all outputs.
    pub outputs: [u8; 32],
}

fn encode_into<T: Encodable + ?Sized>(engine: &mut sha256::HashEngine, v: &T) {
    // Writing to a hash engine cannot fail.
    let _ = v.consensus_encode(engine);
}

fn single<I: IntoIterator<Item = T>, T: Encodable>(items: I) -> [u8; 32] {
    let mut e = sha256::Hash::engine();
    for it in items {
        encode_into(&mut e, &it);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

impl PrecomputedTransactionData {
    /// Computes what the transaction's inputs need; `spent_outputs` may be empty if unknown,
    /// in which case taproot signatures cannot be checked. With `force`, both kinds are computed.
    pub fn new(tx: &Transaction, spent_outputs: Vec<TxOut>, force: bool) -> Self {
        let ready = !spent_outputs.is_empty() && spent_outputs.len() == tx.input.len();
        let mut uses_bip143 = force;
        let mut uses_bip341 = force;
        for (i, input) in tx.input.iter().enumerate() {
            if uses_bip143 && uses_bip341 {
                break;
            }
            if input.witness.is_empty() {
                continue;
            }
            let taproot = ready
                && spent_outputs[i].script_pubkey.len() == 34
                && spent_outputs[i].script_pubkey.as_bytes()[0] == op::OP_1;
            if taproot {
                uses_bip341 = true;
            } else {
                uses_bip143 = true;
            }
        }
        let mut data = PrecomputedTransactionData::default();
        if uses_bip143 || uses_bip341 {
            let prevouts = single(tx.input.iter().map(|i| i.previous_output));
            let sequences = single(tx.input.iter().map(|i| i.sequence));
            let outputs = single(tx.output.iter().cloned());
            if uses_bip143 {
                let d = |h: [u8; 32]| sha256::Hash::hash(&h).to_byte_array();
                data.bip143 = Some(Bip143Hashes {
                    prevouts: d(prevouts),
                    sequences: d(sequences),
                    outputs: d(outputs),
                });
            }
            if uses_bip341 && ready {
                data.bip341 = Some(Bip341Hashes {
                    prevouts,
                    amounts: single(spent_outputs.iter().map(|o| o.value)),
                    scripts: single(spent_outputs.iter().map(|o| o.script_pubkey.clone())),
                    sequences,
                    outputs,
                });
            }
        }
        if ready {
            data.spent_outputs = spent_outputs;
        }
        data
    }
}

/// Writes `script_code` as legacy sighashes see it: every OP_CODESEPARATOR removed, with
/// Core's behaviour on a truncated final push (the length counts bytes that are not written).
fn write_script_code_legacy(e: &mut sha256::HashEngine, script: &[u8]) {
    let mut separators = 0usize;
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut begin = 0usize;
    let mut pc = 0usize;
    let end = script.len();
    let stop = loop {
        if pc >= end {
            break pc;
        }
        let opcode = script[pc];
        pc += 1;
        if opcode <= op::OP_PUSHDATA4 {
            let (size, width) = match opcode {
                op::OP_PUSHDATA1 => (script.get(pc).map(|&b| b as usize), 1),
                op::OP_PUSHDATA2 => (
                    script
                        .get(pc..pc + 2)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize),
                    2,
                ),
                op::OP_PUSHDATA4 => (
                    script
                        .get(pc..pc + 4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
                    4,
                ),
                n => (Some(n as usize), 0),
            };
            let Some(size) = size else { break pc };
            pc += width;
            if end - pc < size {
                break pc;
            }
            pc += size;
        } else if opcode == op::OP_CODESEPARATOR {
            separators += 1;
            pieces.push((begin, pc - 1));
            begin = pc;
        }
    };
    let _ = bitcoin::VarInt((script.len() - separators) as u64).consensus_encode(e);
    for (a, b) in pieces {
        e.input(&script[a..b]);
    }
    if begin != end {
        e.input(&script[begin..stop]);
    }
}

/// The legacy signature hash of input `n_in` (`SignatureHash`, `SigVersion::BASE`),
/// including the SIGHASH_SINGLE bug: a single without matching output hashes to one.
pub fn legacy_signature_hash(
    script_code: &[u8],
    tx: &Transaction,
    n_in: usize,
    hash_type: i32,
) -> [u8; 32] {
    let mut one = [0u8; 32];
    one[0] = 1;
    if n_in >= tx.input.len() {
        return one;
    }
    let base = hash_type & 0x1f;
    let anyone = hash_type & SIGHASH_ANYONECANPAY != 0;
    let single_type = base == SIGHASH_SINGLE;
    let none_type = base == SIGHASH_NONE;
    if single_type && n_in >= tx.output.len() {
        return one;
    }
    let mut e = sha256d::Hash::engine();
    let _ = tx.version.consensus_encode(&mut e);
    let inputs: Vec<usize> = if anyone {
        vec![n_in]
    } else {
        (0..tx.input.len()).collect()
    };
    let _ = bitcoin::VarInt(inputs.len() as u64).consensus_encode(&mut e);
    for i in inputs {
        let input = &tx.input[i];
        let _ = input.previous_output.consensus_encode(&mut e);
        if i == n_in {
            write_script_code_legacy(&mut e, script_code);
        } else {
            e.input(&[0]);
        }
        if i != n_in && (single_type || none_type) {
            e.input(&0u32.to_le_bytes());
        } else {
            let _ = input.sequence.consensus_encode(&mut e);
        }
    }
    let n_outputs = if none_type {
        0
    } else if single_type {
        n_in + 1
    } else {
        tx.output.len()
    };
    let _ = bitcoin::VarInt(n_outputs as u64).consensus_encode(&mut e);
    for o in 0..n_outputs {
        if single_type && o != n_in {
            // CTxOut(): value -1 and an empty script.
            e.input(&(-1i64).to_le_bytes());
            e.input(&[0]);
        } else {
            let _ = tx.output[o].consensus_encode(&mut e);
        }
    }
    let _ = tx.lock_time.consensus_encode(&mut e);
    e.input(&hash_type.to_le_bytes());
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// The BIP143 signature hash of input `n_in` spending `amount` (witness v0).
pub fn segwit_v0_signature_hash(
    script_code: &[u8],
    tx: &Transaction,
    n_in: usize,
    hash_type: i32,
    amount: i64,
    cache: Option<&Bip143Hashes>,
) -> [u8; 32] {
    let base = hash_type & 0x1f;
    let anyone = hash_type & SIGHASH_ANYONECANPAY != 0;
    let computed;
    let hashes = match cache {
        Some(c) => c,
        None => {
            let d = |h: [u8; 32]| sha256::Hash::hash(&h).to_byte_array();
            computed = Bip143Hashes {
                prevouts: d(single(tx.input.iter().map(|i| i.previous_output))),
                sequences: d(single(tx.input.iter().map(|i| i.sequence))),
                outputs: d(single(tx.output.iter().cloned())),
            };
            &computed
        }
    };
    let zero = [0u8; 32];
    let prevouts = if anyone { zero } else { hashes.prevouts };
    let sequences = if !anyone && base != SIGHASH_SINGLE && base != SIGHASH_NONE {
        hashes.sequences
    } else {
        zero
    };
    let outputs = if base != SIGHASH_SINGLE && base != SIGHASH_NONE {
        hashes.outputs
    } else if base == SIGHASH_SINGLE && n_in < tx.output.len() {
        let mut e = sha256d::Hash::engine();
        let _ = tx.output[n_in].consensus_encode(&mut e);
        sha256d::Hash::from_engine(e).to_byte_array()
    } else {
        zero
    };
    // An input index out of range has no sighash; callers check it (Core asserts).
    let Some(input) = tx.input.get(n_in) else {
        return [0u8; 32];
    };
    let mut e = sha256d::Hash::engine();
    let _ = tx.version.consensus_encode(&mut e);
    e.input(&prevouts);
    e.input(&sequences);
    let _ = input.previous_output.consensus_encode(&mut e);
    let _ = bitcoin::VarInt(script_code.len() as u64).consensus_encode(&mut e);
    e.input(script_code);
    e.input(&amount.to_le_bytes());
    let _ = input.sequence.consensus_encode(&mut e);
    e.input(&outputs);
    let _ = tx.lock_time.consensus_encode(&mut e);
    e.input(&hash_type.to_le_bytes());
    sha256d::Hash::from_engine(e).to_byte_array()
}

/// A BIP340-style tagged hash engine: SHA256(SHA256(tag) || SHA256(tag) || ...).
pub fn tagged_engine(tag: &str) -> sha256::HashEngine {
    let t = sha256::Hash::hash(tag.as_bytes());
    let mut e = sha256::Hash::engine();
    e.input(t.as_ref());
    e.input(t.as_ref());
    e
}

/// Script-path data of a taproot signature hash.
#[derive(Debug, Clone, Copy)]
pub struct TapscriptData {
    /// The leaf hash of the executed script.
    pub tapleaf_hash: [u8; 32],
    /// Opcode position of the last executed OP_CODESEPARATOR, or 0xffffffff.
    pub codeseparator_pos: u32,
}

/// The BIP341 signature hash (`SignatureHashSchnorr`); `None` for an invalid hash type or a
/// SIGHASH_SINGLE without matching output. `annex_hash` is SHA256 of the serialized annex.
pub fn taproot_signature_hash(
    tx: &Transaction,
    in_pos: usize,
    hash_type: u8,
    cache: &Bip341Hashes,
    spent_outputs: &[TxOut],
    annex_hash: Option<&[u8; 32]>,
    tapscript: Option<&TapscriptData>,
) -> Option<[u8; 32]> {
    if !(hash_type <= 0x03 || (0x81..=0x83).contains(&hash_type)) {
        return None;
    }
    let output_type = if hash_type == SIGHASH_DEFAULT {
        SIGHASH_ALL as u8
    } else {
        hash_type & 0x03
    };
    let anyone = hash_type & 0x80 != 0;
    let input = tx.input.get(in_pos)?;
    let mut e = tagged_engine("TapSighash");
    e.input(&[0u8]);
    e.input(&[hash_type]);
    let _ = tx.version.consensus_encode(&mut e);
    let _ = tx.lock_time.consensus_encode(&mut e);
    if !anyone {
        e.input(&cache.prevouts);
        e.input(&cache.amounts);
        e.input(&cache.scripts);
        e.input(&cache.sequences);
    }
    if output_type == SIGHASH_ALL as u8 {
        e.input(&cache.outputs);
    }
    let ext_flag: u8 = if tapscript.is_some() { 1 } else { 0 };
    e.input(&[(ext_flag << 1) + u8::from(annex_hash.is_some())]);
    if anyone {
        let _ = input.previous_output.consensus_encode(&mut e);
        let _ = spent_outputs.get(in_pos)?.consensus_encode(&mut e);
        let _ = input.sequence.consensus_encode(&mut e);
    } else {
        e.input(&(in_pos as u32).to_le_bytes());
    }
    if let Some(h) = annex_hash {
        e.input(h);
    }
    if output_type == SIGHASH_SINGLE as u8 {
        let out = tx.output.get(in_pos)?;
        let mut oe = sha256::Hash::engine();
        encode_into(&mut oe, out);
        e.input(sha256::Hash::from_engine(oe).as_ref());
    }
    if let Some(t) = tapscript {
        e.input(&t.tapleaf_hash);
        e.input(&[0u8]);
        e.input(&t.codeseparator_pos.to_le_bytes());
    }
    Some(sha256::Hash::from_engine(e).to_byte_array())
}
