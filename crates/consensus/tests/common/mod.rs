//! Shared by the vector tests: Core's test-script syntax and its crediting/spending pair.

#![allow(dead_code)]

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use consensus::script::{op, push_data, push_int};

/// Loads a JSON vector file from tests/data.
pub fn load(name: &str) -> Vec<serde_json::Value> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Vec<serde_json::Value>>(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn opcode_by_name(word: &str) -> Option<u8> {
    // Core's map: every named opcode from OP_NOP up, plus OP_RESERVED, with or without "OP_".
    (0..=op::MAX_OPCODE)
        .filter(|&o| o >= op::OP_NOP || o == op::OP_RESERVED)
        .find(|&o| {
            let name = op::name(o);
            name != "OP_UNKNOWN" && (name == word || name.strip_prefix("OP_") == Some(word))
        })
}

/// Core's `ParseScript` test syntax: numbers, `0x..` raw bytes, `'text'` pushes, opcode names.
pub fn parse_script(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for w in s.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if digits(w) || (w.starts_with('-') && digits(&w[1..])) {
            let n: i64 = w.parse().unwrap_or_else(|_| panic!("bad number {w}"));
            assert!(
                (-0xffff_ffff..=0xffff_ffff).contains(&n),
                "number out of range: {w}"
            );
            push_int(&mut out, n);
        } else if let Some(hex) = w
            .strip_prefix("0x")
            .filter(|h| !h.is_empty() && h.len() % 2 == 0)
        {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .unwrap_or_else(|_| panic!("bad hex {w}"));
            out.extend(bytes);
        } else if w.len() >= 2 && w.starts_with('\'') && w.ends_with('\'') {
            push_data(&mut out, &w.as_bytes()[1..w.len() - 1]);
        } else {
            out.push(opcode_by_name(w).unwrap_or_else(|| panic!("unknown opcode {w}")));
        }
    }
    out
}

/// Decodes hex.
pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Core's `BuildCreditingTransaction`: a coinbase-like transaction paying `value` to `script_pubkey`.
pub fn crediting_tx(script_pubkey: &[u8], value: i64) -> Transaction {
    Transaction {
        version: Version::ONE,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![op::OP_0, op::OP_0]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(value as u64),
            script_pubkey: ScriptBuf::from_bytes(script_pubkey.to_vec()),
        }],
    }
}

/// Core's `BuildSpendingTransaction`: spends output 0 of `credit` with the given scriptSig and witness.
pub fn spending_tx(script_sig: &[u8], witness: &[Vec<u8>], credit: &Transaction) -> Transaction {
    Transaction {
        version: Version::ONE,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: credit.compute_txid(),
                vout: 0,
            },
            script_sig: ScriptBuf::from_bytes(script_sig.to_vec()),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(witness),
        }],
        output: vec![TxOut {
            value: credit.output[0].value,
            script_pubkey: ScriptBuf::new(),
        }],
    }
}

/// A txid from Core's display hex (reversed byte order).
pub fn txid(s: &str) -> Txid {
    let mut b = hex(s);
    b.reverse();
    Txid::from_slice(&b).unwrap()
}

/// The control block of a one-leaf tapscript tree whose internal key is the public key of
/// secret 1 (Core's `KeyData::key0`), as Core's script tests build it.
pub fn control_block_for_key1(script: &[u8]) -> (Vec<u8>, [u8; 32]) {
    use bitcoin::hashes::{sha256, HashEngine};
    use bitcoin::secp256k1::{Scalar, Secp256k1, SecretKey};
    let secp = Secp256k1::new();
    let mut one = [0u8; 32];
    one[31] = 1;
    let sk = SecretKey::from_slice(&one).unwrap();
    let (internal, _) = sk.public_key(&secp).x_only_public_key();
    let leaf = consensus::script::tapleaf_hash(0xc0, script);
    let tag = sha256::Hash::hash(b"TapTweak");
    let mut e = sha256::Hash::engine();
    e.input(tag.as_ref());
    e.input(tag.as_ref());
    e.input(&internal.serialize());
    e.input(&leaf);
    let tweak = Scalar::from_be_bytes(sha256::Hash::from_engine(e).to_byte_array()).unwrap();
    let (output, parity) = internal.add_tweak(&secp, &tweak).unwrap();
    let mut control = vec![0xc0 | parity.to_u8()];
    control.extend_from_slice(&internal.serialize());
    (control, output.serialize())
}

use std::collections::HashMap;

use consensus::script::{verify_script, ScriptError, TransactionSignatureChecker, VerifyFlags};
use consensus::sighash::PrecomputedTransactionData;

/// Prevout scripts and amounts of a tx_valid/tx_invalid entry.
pub struct Prevouts {
    pub scripts: HashMap<OutPoint, Vec<u8>>,
    pub amounts: HashMap<OutPoint, i64>,
}

/// Parses `[[hash, n, script, amount?], ...]`; `None` if malformed.
pub fn prevouts(v: &serde_json::Value) -> Option<Prevouts> {
    let mut scripts = HashMap::new();
    let mut amounts = HashMap::new();
    for input in v.as_array()? {
        let a = input.as_array()?;
        if a.len() < 3 || a.len() > 4 {
            return None;
        }
        // Index -1 in the vectors means 0xffffffff.
        let vout = a[1].as_i64()? as u32;
        let outpoint = OutPoint {
            txid: txid(a[0].as_str()?),
            vout,
        };
        scripts.insert(outpoint, parse_script(a[2].as_str()?));
        if let Some(amount) = a.get(3) {
            amounts.insert(outpoint, amount.as_i64()?);
        }
    }
    Some(Prevouts { scripts, amounts })
}

/// `CheckTxScripts`: every input's script against its prevout; the first error, if any.
pub fn check_tx_scripts(
    tx: &Transaction,
    prev: &Prevouts,
    flags: VerifyFlags,
    txdata: &PrecomputedTransactionData,
) -> Result<(), ScriptError> {
    for (i, input) in tx.input.iter().enumerate() {
        let amount = prev
            .amounts
            .get(&input.previous_output)
            .copied()
            .unwrap_or(0);
        let script_pubkey = prev
            .scripts
            .get(&input.previous_output)
            .ok_or(ScriptError::UnknownError)?;
        let witness: Vec<Vec<u8>> = input.witness.to_vec();
        let checker = TransactionSignatureChecker::new(tx, i, amount, Some(txdata));
        verify_script(
            input.script_sig.as_bytes(),
            script_pubkey,
            &witness,
            flags,
            &checker,
        )?;
    }
    Ok(())
}

/// WITNESS needs P2SH and CLEANSTACK needs WITNESS: drop what lacks its requirement (`TrimFlags`).
pub fn trim_flags(mut f: VerifyFlags) -> VerifyFlags {
    if !f.contains(VerifyFlags::P2SH) {
        f = f & !VerifyFlags::WITNESS;
    }
    if !f.contains(VerifyFlags::WITNESS) {
        f = f & !VerifyFlags::CLEANSTACK;
    }
    f
}

/// Adds what set flags require (`FillFlags`).
pub fn fill_flags(mut f: VerifyFlags) -> VerifyFlags {
    if f.contains(VerifyFlags::CLEANSTACK) {
        f |= VerifyFlags::WITNESS;
    }
    if f.contains(VerifyFlags::WITNESS) {
        f |= VerifyFlags::P2SH;
    }
    f
}

/// Each valid combination with one flag of `flags` removed (`ExcludeIndividualFlags`).
pub fn exclude_individual_flags(flags: VerifyFlags) -> Vec<VerifyFlags> {
    let mut out: Vec<VerifyFlags> = VerifyFlags::NAMES
        .iter()
        .map(|(_, f)| trim_flags(flags & !*f))
        .filter(|f| *f != flags)
        .collect();
    out.sort();
    out.dedup();
    out
}
