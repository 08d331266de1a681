//! Reading PSBTs as Core's `Unserialize` methods do, with Core's error messages.

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::hashes::Hash;
use bitcoin::Txid;
use consensus::script::{eval_script, ExecutionData, SigVersion, SignatureChecker, VerifyFlags};

use super::wire::{ReadResult, Reader};
use super::{ExtPubKey, Proprietary, Psbt, PsbtInput, PsbtOutput, MAX_TREE_DEPTH};
use crate::keys::{key_id, pubkey_fully_valid, XOnly};
use crate::provider::KeyOrigin;
use crate::taproot::{ControlBlock, TaprootBuilder, TAPROOT_LEAF_MASK};

/// `PSBT_MAGIC_BYTES`.
pub(crate) const MAGIC: [u8; 5] = *b"psbt\xff";
/// `PSBT_HIGHEST_VERSION`.
const HIGHEST_VERSION: u32 = 2;
/// `LOCKTIME_THRESHOLD`.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;

use chain_json::to_hex as hex;

fn expect_key_size(name: &str, key: &[u8], size: usize) -> ReadResult<()> {
    if key.len() != size {
        return Err(format!("Size of key was not {size} for the type {name}"));
    }
    Ok(())
}

/// `DeserializeKeyOrigin`: a fingerprint and path filling `length` bytes.
fn key_origin(s: &mut Reader<'_>, length: u64) -> ReadResult<KeyOrigin> {
    if !length.is_multiple_of(4) || length == 0 {
        return Err("Invalid length for HD key path".into());
    }
    let fingerprint = s.array::<4>()?;
    let mut path = Vec::new();
    for _ in 1..length / 4 {
        path.push(s.u32()?);
    }
    Ok(KeyOrigin { fingerprint, path })
}

/// `DeserializeHDKeypath`: a length-prefixed key origin.
fn hd_keypath(s: &mut Reader<'_>) -> ReadResult<KeyOrigin> {
    let length = s.compact_size(true)?;
    key_origin(s, length)
}

/// `DeserializeHDKeypaths`: one BIP32 derivation entry.
fn hd_keypaths(
    s: &mut Reader<'_>,
    key: &[u8],
    out: &mut BTreeMap<Vec<u8>, KeyOrigin>,
) -> ReadResult<()> {
    if key.len() != 34 && key.len() != 66 {
        return Err("Size of key was not the expected size for the type BIP32 keypath".into());
    }
    let pubkey = &key[1..];
    if !pubkey_fully_valid(pubkey) {
        return Err("Invalid pubkey".into());
    }
    let origin = hd_keypath(s)?;
    out.entry(pubkey.to_vec()).or_insert(origin);
    Ok(())
}

/// The taproot BIP32 value: leaf hashes, then an origin filling the rest.
fn tap_bip32(s: &mut Reader<'_>, what: &str) -> ReadResult<(BTreeSet<[u8; 32]>, KeyOrigin)> {
    let value_len = s.compact_size(true)?;
    let before = s.remaining();
    let count = s.compact_size(true)?;
    let mut hashes = BTreeSet::new();
    for _ in 0..count {
        hashes.insert(s.array::<32>()?);
    }
    let hashes_len = (before - s.remaining()) as u64;
    if hashes_len > value_len {
        return Err(format!(
            "{what} Taproot BIP32 keypath has an invalid length"
        ));
    }
    let origin = key_origin(s, value_len - hashes_len)?;
    Ok((hashes, origin))
}

/// `DeserializeMuSig2ParticipantPubkeys`.
fn musig2_participants(
    s: &mut Reader<'_>,
    key: &[u8],
    out: &mut BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    context: &str,
) -> ReadResult<()> {
    let agg = &key[1..34];
    if !pubkey_fully_valid(agg) {
        return Err(format!("{context} musig2 aggregate pubkey is invalid"));
    }
    let value = s.bytes()?;
    let mut participants = Vec::new();
    let mut chunks = value.chunks_exact(33);
    for part in &mut chunks {
        if !pubkey_fully_valid(part) {
            return Err(format!("{context} musig2 participant pubkey is invalid"));
        }
        participants.push(part.to_vec());
    }
    if !chunks.remainder().is_empty() {
        return Err(format!(
            "{context} musig2 participants pubkeys value size is not a multiple of 33"
        ));
    }
    out.entry(agg.to_vec()).or_insert(participants);
    Ok(())
}

/// `DeserializeMuSig2ParticipantDataIdentifier`: (aggregate, participant, leaf hash).
fn musig2_identifier(key: &[u8]) -> ReadResult<(Vec<u8>, Vec<u8>, [u8; 32])> {
    let part = &key[1..34];
    let agg = &key[34..67];
    if !pubkey_fully_valid(agg) {
        return Err("musig2 aggregate pubkey is invalid".into());
    }
    if !pubkey_fully_valid(part) {
        return Err("musig2 participant pubkey is invalid".into());
    }
    let mut leaf = [0u8; 32];
    if key.len() > 67 {
        leaf.copy_from_slice(&key[67..99]);
    }
    Ok((agg.to_vec(), part.to_vec(), leaf))
}

/// A proprietary entry: the identifier and subtype come from the key.
fn proprietary(s: &mut Reader<'_>, key: &[u8]) -> ReadResult<Proprietary> {
    let mut skey = Reader::new(key);
    skey.compact_size(true)?;
    let identifier = skey.bytes()?;
    let subtype = skey.compact_size(true)?;
    let value = s.bytes()?;
    Ok(Proprietary {
        subtype,
        identifier,
        key: key.to_vec(),
        value,
    })
}

/// A checker that fails every signature, for encoding checks only.
struct NoChecker;
impl SignatureChecker for NoChecker {}

/// `CheckSignatureEncoding` with DERSIG and STRICTENC: run through the interpreter as
/// `<sig> <key> OP_CHECKSIG`, which fails on a bad encoding before any check.
fn signature_encoding_ok(sig: &[u8]) -> bool {
    const GENERATOR: [u8; 33] = [
        0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87,
        0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16,
        0xf8, 0x17, 0x98,
    ];
    let mut stack = vec![sig.to_vec(), GENERATOR.to_vec()];
    eval_script(
        &mut stack,
        &[0xac],
        VerifyFlags(VerifyFlags::DERSIG.0 | VerifyFlags::STRICTENC.0),
        &NoChecker,
        SigVersion::Base,
        &mut ExecutionData::default(),
    )
    .is_ok()
}

/// Reads keys until the separator, calling `entry` with each key and the stream; a
/// repeated key is Core's duplicate-key error for `map_name`.
fn read_map(
    s: &mut Reader<'_>,
    map_name: &str,
    missing_separator: &str,
    mut entry: impl FnMut(&mut Reader<'_>, Vec<u8>, u64) -> ReadResult<()>,
) -> ReadResult<()> {
    let mut seen = BTreeSet::new();
    while !s.is_empty() {
        let key = s.bytes()?;
        if key.is_empty() {
            return Ok(());
        }
        if !seen.insert(key.clone()) {
            return Err(format!(
                "Duplicate Key, {map_name} key \"{}\" already provided",
                hex(&key)
            ));
        }
        let ty = Reader::new(&key).compact_size(true)?;
        entry(s, key, ty)?;
    }
    Err(missing_separator.into())
}

fn read_input(s: &mut Reader<'_>, input: &mut PsbtInput) -> ReadResult<()> {
    let version = input.version;
    let mut found_prev_txid = false;
    let mut found_prev_out = false;
    let not_v0 = |what: &str| -> ReadResult<()> {
        if version < 2 {
            return Err(format!("{what} is not allowed in PSBTv0"));
        }
        Ok(())
    };
    read_map(
        s,
        "input",
        "Separator is missing at the end of an input map",
        |s, key, ty| {
            match ty {
                0x00 => {
                    expect_key_size("Input Non-witness UTXO", &key, 1)?;
                    input.non_witness_utxo = Some(s.sized_value(|s| s.transaction(true))?);
                }
                0x01 => {
                    expect_key_size("Input Witness UTXO", &key, 1)?;
                    let out = s.sized_value(|s| s.tx_out())?;
                    // A CTxOut of value -1 is null (`IsNull`): Core treats it as absent.
                    let null = out.value.to_sat() == u64::MAX;
                    input.witness_utxo = (!null).then_some(out);
                }
                0x02 => {
                    if key.len() != 34 && key.len() != 66 {
                        return Err("Size of key was not the expected size for the type partial signature pubkey".into());
                    }
                    let pubkey = &key[1..];
                    if !pubkey_fully_valid(pubkey) {
                        return Err("Invalid pubkey".into());
                    }
                    let sig = s.bytes()?;
                    if sig.is_empty() || !signature_encoding_ok(&sig) {
                        return Err("Signature is not a valid encoding".into());
                    }
                    input
                        .partial_sigs
                        .entry(key_id(pubkey))
                        .or_insert_with(|| (pubkey.to_vec(), sig));
                }
                0x03 => {
                    expect_key_size("Input Sighash Type", &key, 1)?;
                    input.sighash_type = Some(s.sized_value(|s| s.i32())?);
                }
                0x04 => {
                    expect_key_size("Input redeemScript", &key, 1)?;
                    input.redeem_script = s.bytes()?;
                }
                0x05 => {
                    expect_key_size("Input witnessScript", &key, 1)?;
                    input.witness_script = s.bytes()?;
                }
                0x06 => hd_keypaths(s, &key, &mut input.hd_keypaths)?,
                0x07 => {
                    expect_key_size("Input Final scriptSig", &key, 1)?;
                    input.final_script_sig = s.bytes()?;
                }
                0x08 => {
                    expect_key_size("Input Final scriptWitness", &key, 1)?;
                    input.final_script_witness = s.sized_value(|s| {
                        let n = s.compact_size(true)?;
                        let mut stack = Vec::new();
                        for _ in 0..n {
                            stack.push(s.bytes()?);
                        }
                        Ok(stack)
                    })?;
                }
                0x0a => {
                    expect_key_size("Input RIPEMD160 Preimage", &key, 21)?;
                    let hash: [u8; 20] = key[1..].try_into().unwrap_or_default();
                    let preimage = s.bytes()?;
                    input.ripemd160_preimages.entry(hash).or_insert(preimage);
                }
                0x0b => {
                    expect_key_size("Input SHA256 Preimage", &key, 33)?;
                    let hash: [u8; 32] = key[1..].try_into().unwrap_or_default();
                    let preimage = s.bytes()?;
                    input.sha256_preimages.entry(hash).or_insert(preimage);
                }
                0x0c => {
                    expect_key_size("Input Hash160 Preimage", &key, 21)?;
                    let hash: [u8; 20] = key[1..].try_into().unwrap_or_default();
                    let preimage = s.bytes()?;
                    input.hash160_preimages.entry(hash).or_insert(preimage);
                }
                0x0d => {
                    expect_key_size("Input Hash256 Preimage", &key, 33)?;
                    let hash: [u8; 32] = key[1..].try_into().unwrap_or_default();
                    let preimage = s.bytes()?;
                    input.hash256_preimages.entry(hash).or_insert(preimage);
                }
                0x0e => {
                    expect_key_size("Input Previous TXID", &key, 1)?;
                    not_v0("Previous txid")?;
                    input.prev_txid = Txid::from_byte_array(s.sized_value(|s| s.array())?);
                    found_prev_txid = true;
                }
                0x0f => {
                    expect_key_size("Input Previous Output's Index", &key, 1)?;
                    not_v0("Previous output's index")?;
                    input.prev_out = s.sized_value(|s| s.u32())?;
                    found_prev_out = true;
                }
                0x10 => {
                    expect_key_size("Input Sequence", &key, 1)?;
                    not_v0("Sequence")?;
                    input.sequence = Some(s.sized_value(|s| s.u32())?);
                }
                0x11 => {
                    expect_key_size("Input Required Time Based Locktime", &key, 1)?;
                    not_v0("Required time based locktime")?;
                    let lock = s.sized_value(|s| s.u32())?;
                    input.time_locktime = Some(lock);
                    if lock < LOCKTIME_THRESHOLD {
                        return Err(
                            "Required time based locktime is invalid (less than 500000000)".into(),
                        );
                    }
                }
                0x12 => {
                    expect_key_size("Input Required Height Based Locktime", &key, 1)?;
                    not_v0("Required height based locktime")?;
                    let lock = s.sized_value(|s| s.u32())?;
                    input.height_locktime = Some(lock);
                    if lock >= LOCKTIME_THRESHOLD {
                        return Err("Required height based locktime is invalid (greater than or equal to 500000000)".into());
                    } else if lock == 0 {
                        return Err("Required height based locktime is invalid (0)".into());
                    }
                }
                0x13 => {
                    expect_key_size("Input Taproot Key Path Signature", &key, 1)?;
                    let sig = s.bytes()?;
                    if sig.len() < 64 {
                        return Err(
                            "Input Taproot key path signature is shorter than 64 bytes".into()
                        );
                    } else if sig.len() > 65 {
                        return Err(
                            "Input Taproot key path signature is longer than 65 bytes".into()
                        );
                    }
                    input.tap_key_sig = sig;
                }
                0x14 => {
                    expect_key_size("Input Taproot Script Path Signature", &key, 65)?;
                    let xonly: XOnly = key[1..33].try_into().unwrap_or_default();
                    let leaf: [u8; 32] = key[33..65].try_into().unwrap_or_default();
                    let sig = s.bytes()?;
                    if sig.len() < 64 {
                        return Err(
                            "Input Taproot script path signature is shorter than 64 bytes".into(),
                        );
                    } else if sig.len() > 65 {
                        return Err(
                            "Input Taproot script path signature is longer than 65 bytes".into(),
                        );
                    }
                    input.tap_script_sigs.entry((xonly, leaf)).or_insert(sig);
                }
                0x15 => {
                    if key.len() < 34 {
                        return Err("Input Taproot leaf script key is not at least 34 bytes".into());
                    } else if (key.len() - 2) % 32 != 0 {
                        return Err(
                            "Input Taproot leaf script key's control block size is not valid"
                                .into(),
                        );
                    }
                    let mut script = s.bytes()?;
                    let Some(leaf_ver) = script.pop() else {
                        return Err("Input Taproot leaf script must be at least 1 byte".into());
                    };
                    input
                        .tap_scripts
                        .entry((script, leaf_ver))
                        .or_default()
                        .insert(ControlBlock(key[1..].to_vec()));
                }
                0x16 => {
                    expect_key_size("Input Taproot BIP32 Keypath", &key, 33)?;
                    let xonly: XOnly = key[1..33].try_into().unwrap_or_default();
                    let entry = tap_bip32(s, "Input")?;
                    input.tap_bip32_paths.entry(xonly).or_insert(entry);
                }
                0x17 => {
                    expect_key_size("Input Taproot Internal Key", &key, 1)?;
                    input.tap_internal_key = s.sized_value(|s| s.array())?;
                }
                0x18 => {
                    expect_key_size("Input Taproot Merkle Root", &key, 1)?;
                    input.tap_merkle_root = s.sized_value(|s| s.array())?;
                }
                0x1a => {
                    expect_key_size("Input MuSig2 Participants Pubkeys", &key, 34)?;
                    musig2_participants(s, &key, &mut input.musig2_participants, "Input")?;
                }
                0x1b => {
                    if key.len() != 67 && key.len() != 99 {
                        return Err(
                            "Input musig2 pubnonce key is not expected size of 67 or 99 bytes"
                                .into(),
                        );
                    }
                    let (agg, part, leaf) = musig2_identifier(&key)?;
                    let nonce = s.bytes()?;
                    if nonce.len() != 66 {
                        return Err("Input musig2 pubnonce value is not 66 bytes".into());
                    }
                    input
                        .musig2_pubnonces
                        .entry((agg, leaf))
                        .or_default()
                        .entry(part)
                        .or_insert(nonce);
                }
                0x1c => {
                    if key.len() != 67 && key.len() != 99 {
                        return Err(
                            "Input musig2 partial sig key is not expected size of 67 or 99 bytes"
                                .into(),
                        );
                    }
                    let (agg, part, leaf) = musig2_identifier(&key)?;
                    let psig = s.sized_value(|s| s.array::<32>())?;
                    input
                        .musig2_partial_sigs
                        .entry((agg, leaf))
                        .or_default()
                        .entry(part)
                        .or_insert(psig);
                }
                0xfc => {
                    let p = proprietary(s, &key)?;
                    input.proprietary.entry(p.key.clone()).or_insert(p);
                }
                _ => {
                    let value = s.bytes()?;
                    input.unknown.entry(key).or_insert(value);
                }
            }
            Ok(())
        },
    )?;
    if version >= 2 {
        if !found_prev_txid {
            return Err("Previous TXID is required in PSBTv2".into());
        }
        if !found_prev_out {
            return Err("Previous output's index is required in PSBTv2".into());
        }
    }
    Ok(())
}

fn read_output(s: &mut Reader<'_>, output: &mut PsbtOutput) -> ReadResult<()> {
    let version = output.version;
    let mut found_amount = false;
    let mut found_script = false;
    read_map(
        s,
        "output",
        "Separator is missing at the end of an output map",
        |s, key, ty| {
            match ty {
                0x00 => {
                    expect_key_size("Output redeemScript", &key, 1)?;
                    output.redeem_script = s.bytes()?;
                }
                0x01 => {
                    expect_key_size("Output witnessScript", &key, 1)?;
                    output.witness_script = s.bytes()?;
                }
                0x02 => hd_keypaths(s, &key, &mut output.hd_keypaths)?,
                0x03 => {
                    expect_key_size("Output Amount", &key, 1)?;
                    if version < 2 {
                        return Err("Output amount is not allowed in PSBTv0".into());
                    }
                    output.amount = s.sized_value(|s| s.i64())?;
                    found_amount = true;
                }
                0x04 => {
                    expect_key_size("Output Script", &key, 1)?;
                    if version < 2 {
                        return Err("Output script is not allowed in PSBTv0".into());
                    }
                    output.script = s.bytes()?;
                    found_script = true;
                }
                0x05 => {
                    expect_key_size("Output Taproot Internal Key", &key, 1)?;
                    output.tap_internal_key = s.sized_value(|s| s.array())?;
                }
                0x06 => {
                    expect_key_size("Output Taproot Tree Key", &key, 1)?;
                    let tree = s.bytes()?;
                    let mut t = Reader::new(&tree);
                    if t.is_empty() {
                        return Err("Output Taproot tree must not be empty".into());
                    }
                    let mut builder = TaprootBuilder::new();
                    while !t.is_empty() {
                        let depth = t.u8()?;
                        let leaf_ver = t.u8()?;
                        let script = t.bytes()?;
                        if usize::from(depth) > MAX_TREE_DEPTH {
                            return Err("Output Taproot tree has as leaf greater than Taproot maximum depth".into());
                        }
                        if leaf_ver & !TAPROOT_LEAF_MASK != 0 {
                            return Err(
                                "Output Taproot tree has a leaf with an invalid leaf version"
                                    .into(),
                            );
                        }
                        builder.add(usize::from(depth), &script, leaf_ver, true);
                        output.tap_tree.push((depth, leaf_ver, script));
                    }
                    if !builder.is_complete() {
                        return Err("Output Taproot tree is malformed".into());
                    }
                }
                0x07 => {
                    expect_key_size("Output Taproot BIP32 Keypath", &key, 33)?;
                    let xonly: XOnly = key[1..33].try_into().unwrap_or_default();
                    let entry = tap_bip32(s, "Output")?;
                    output.tap_bip32_paths.entry(xonly).or_insert(entry);
                }
                0x08 => {
                    expect_key_size("Output MuSig2 Participants Pubkeys", &key, 34)?;
                    musig2_participants(s, &key, &mut output.musig2_participants, "Output")?;
                }
                0xfc => {
                    let p = proprietary(s, &key)?;
                    output.proprietary.entry(p.key.clone()).or_insert(p);
                }
                _ => {
                    let value = s.bytes()?;
                    output.unknown.entry(key).or_insert(value);
                }
            }
            Ok(())
        },
    )?;
    if version >= 2 {
        if !found_amount {
            return Err("Output amount is required in PSBTv2".into());
        }
        if !found_script {
            return Err("Output script is required in PSBTv2".into());
        }
    }
    Ok(())
}

/// Global fields seen while reading, for the version checks afterwards.
#[derive(Default)]
struct Found {
    tx: Option<bitcoin::Transaction>,
    input_count: u64,
    output_count: u64,
    input_count_seen: bool,
    output_count_seen: bool,
    tx_version: bool,
    fallback_locktime: bool,
}

fn read_globals(s: &mut Reader<'_>, psbt: &mut Psbt) -> ReadResult<Found> {
    let mut f = Found::default();
    read_map(
        s,
        "global",
        "Separator is missing at the end of the global map",
        |s, key, ty| {
            match ty {
                0x00 => {
                    expect_key_size("Global Unsigned TX", &key, 1)?;
                    let tx = s.sized_value(|s| s.transaction(false))?;
                    if tx
                        .input
                        .iter()
                        .any(|i| !i.script_sig.is_empty() || !i.witness.is_empty())
                    {
                        return Err(
                            "Unsigned tx does not have empty scriptSigs and scriptWitnesses."
                                .into(),
                        );
                    }
                    psbt.tx_version = tx.version.0 as u32;
                    psbt.fallback_locktime = Some(tx.lock_time.to_consensus_u32());
                    f.input_count = tx.input.len() as u64;
                    f.output_count = tx.output.len() as u64;
                    f.tx = Some(tx);
                }
                0x02 => {
                    expect_key_size("Global Transaction Version", &key, 1)?;
                    psbt.tx_version = s.sized_value(|s| s.u32())?;
                    f.tx_version = true;
                }
                0x03 => {
                    expect_key_size("Global Fallback Locktime", &key, 1)?;
                    psbt.fallback_locktime = Some(s.sized_value(|s| s.u32())?);
                    f.fallback_locktime = true;
                }
                0x04 => {
                    expect_key_size("Global Input Count", &key, 1)?;
                    f.input_count = s.sized_value(|s| s.compact_size(true))?;
                    f.input_count_seen = true;
                }
                0x05 => {
                    expect_key_size("Global Output Count", &key, 1)?;
                    f.output_count = s.sized_value(|s| s.compact_size(true))?;
                    f.output_count_seen = true;
                }
                0x06 => {
                    expect_key_size("Global TX Modifiable Flags", &key, 1)?;
                    psbt.tx_modifiable = Some(s.sized_value(|s| s.u8())?);
                }
                0x01 => {
                    expect_key_size("Global XPUB", &key, 79)?;
                    let mut raw = [0u8; 78];
                    raw.copy_from_slice(&key[1..79]);
                    let xpub = ExtPubKey(raw);
                    if !pubkey_fully_valid(xpub.pubkey()) {
                        return Err("Invalid pubkey".into());
                    }
                    let origin = hd_keypath(s)?;
                    psbt.xpubs.entry(origin).or_default().insert(xpub);
                }
                0xfb => {
                    expect_key_size("Global PSBT Version", &key, 1)?;
                    let v = s.sized_value(|s| s.u32())?;
                    psbt.version = Some(v);
                    if v > HIGHEST_VERSION {
                        return Err("Unsupported version number".into());
                    }
                }
                0xfc => {
                    let p = proprietary(s, &key)?;
                    psbt.proprietary.entry(p.key.clone()).or_insert(p);
                }
                _ => {
                    let value = s.bytes()?;
                    psbt.unknown.entry(key).or_insert(value);
                }
            }
            Ok(())
        },
    )?;
    Ok(f)
}

fn check_versions(version: u32, f: &Found, psbt: &Psbt) -> ReadResult<()> {
    if version == 0 {
        if f.tx.is_none() {
            return Err("No unsigned transaction was provided".into());
        }
        let forbidden = [
            (f.tx_version, "PSBT_GLOBAL_TX_VERSION"),
            (f.fallback_locktime, "PSBT_GLOBAL_FALLBACK_LOCKTIME"),
            (f.input_count_seen, "PSBT_GLOBAL_INPUT_COUNT"),
            (f.output_count_seen, "PSBT_GLOBAL_OUTPUT_COUNT"),
            (psbt.tx_modifiable.is_some(), "PSBT_GLOBAL_TX_MODIFIABLE"),
        ];
        if let Some((_, name)) = forbidden.iter().find(|(seen, _)| *seen) {
            return Err(format!("{name} is not allowed in PSBTv0"));
        }
    }
    if version == 1 {
        return Err("There is no PSBT version 1".into());
    }
    if version == 2 {
        let required = [
            (f.tx_version, "PSBT_GLOBAL_TX_VERSION"),
            (f.input_count_seen, "PSBT_GLOBAL_INPUT_COUNT"),
            (f.output_count_seen, "PSBT_GLOBAL_OUTPUT_COUNT"),
        ];
        if let Some((_, name)) = required.iter().find(|(seen, _)| !*seen) {
            return Err(format!("{name} is required in PSBTv2"));
        }
        if f.tx.is_some() {
            return Err("PSBT_GLOBAL_UNSIGNED_TX is not allowed in PSBTv2".into());
        }
    }
    if version > 2 {
        return Err("Unknown PSBT version".into());
    }
    Ok(())
}

fn read_psbt(s: &mut Reader<'_>) -> ReadResult<Psbt> {
    if s.array::<5>()? != MAGIC {
        return Err("Invalid PSBT magic bytes".into());
    }
    let mut psbt = Psbt::default();
    let found = read_globals(s, &mut psbt)?;
    let version = psbt.psbt_version();
    check_versions(version, &found, &psbt)?;

    let mut i = 0u64;
    while !s.is_empty() && i < found.input_count {
        let mut input = PsbtInput {
            version,
            ..PsbtInput::default()
        };
        if let Some(tx) = &found.tx {
            let txin = &tx.input[i as usize];
            input.prev_txid = txin.previous_output.txid;
            input.prev_out = txin.previous_output.vout;
            input.sequence = Some(txin.sequence.0);
        }
        read_input(s, &mut input)?;
        if let Some(prev) = &input.non_witness_utxo {
            if prev.compute_txid() != input.prev_txid {
                return Err("Non-witness UTXO does not match outpoint hash".into());
            }
            if input.prev_out as usize >= prev.output.len() {
                return Err("Input specifies output index that does not exist".into());
            }
        }
        psbt.inputs.push(input);
        i += 1;
    }
    if psbt.inputs.len() as u64 != found.input_count {
        return Err("Inputs provided does not match the number of inputs in transaction.".into());
    }
    let mut i = 0u64;
    while !s.is_empty() && i < found.output_count {
        let mut output = PsbtOutput {
            version,
            ..PsbtOutput::default()
        };
        if let Some(tx) = &found.tx {
            let txout = &tx.output[i as usize];
            output.amount = txout.value.to_sat() as i64;
            output.script = txout.script_pubkey.to_bytes();
        }
        read_output(s, &mut output)?;
        psbt.outputs.push(output);
        i += 1;
    }
    if psbt.outputs.len() as u64 != found.output_count {
        return Err("Outputs provided does not match the number of outputs in transaction.".into());
    }
    Ok(psbt)
}

impl Psbt {
    /// `DecodeRawPSBT`: the PSBT in `data`, or Core's error text (stream failures carry
    /// libstdc++'s `": iostream error"` suffix, as Core's messages do on Linux).
    pub fn deserialize(data: &[u8]) -> Result<Psbt, String> {
        let mut s = Reader::new(data);
        let psbt = read_psbt(&mut s).map_err(|e| format!("{e}: iostream error"))?;
        if !s.is_empty() {
            return Err("extra data after PSBT".into());
        }
        Ok(psbt)
    }

    /// `DecodeBase64PSBT`.
    pub fn from_base64(text: &str) -> Result<Psbt, String> {
        let data = common::strutil::decode_base64(text.as_bytes())
            .ok_or_else(|| "invalid base64".to_string())?;
        Psbt::deserialize(&data)
    }
}
