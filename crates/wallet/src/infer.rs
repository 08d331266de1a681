//! Descriptors inferred from output scripts with what the wallet knows about them (Core's
//! `InferDescriptor` with a signing provider): keys get their origins, P2SH and P2WSH
//! their known scripts, taproot outputs their known trees; what cannot be inferred falls
//! back to `addr()` or `raw()`, which are not solvable.

use bitcoin::hashes::{ripemd160, Hash};
use bitcoin::Script;
use chain_json::ScriptKind;
use signing::{KeyOrigin, SigningProvider};

const OP_CHECKSIG: u8 = 0xac;
const OP_CHECKSIGADD: u8 = 0xba;
const OP_NUMEQUAL: u8 = 0x9c;
const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;

/// Where a script sits (Core's `ParseScriptContext`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    P2sh,
    P2wpkh,
    P2wsh,
    P2tr,
}

/// A descriptor inferred from a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    /// The descriptor with its checksum.
    pub descriptor: String,
    /// Whether it knows how to spend the script (not `addr()` or `raw()`).
    pub solvable: bool,
}

/// Core's `InferDescriptor(script, provider)`.
pub fn infer_descriptor(
    script: &Script,
    provider: &dyn SigningProvider,
    network: bitcoin::Network,
) -> Inferred {
    let bytes = script.as_bytes();
    if let Some(body) = infer(bytes, Ctx::Top, provider) {
        return Inferred {
            descriptor: chain_json::add_checksum(&body),
            solvable: true,
        };
    }
    let body = match descriptors::Destination::from_script(script) {
        Some(d) if d.script_pubkey().as_bytes() == bytes => format!("addr({})", d.encode(network)),
        _ => format!("raw({})", chain_json::to_hex(bytes)),
    };
    Inferred {
        descriptor: chain_json::add_checksum(&body),
        solvable: false,
    }
}

/// Core's `FormatHDKeypath` with `h` for hardened steps.
fn path_text(path: &[u32]) -> String {
    path.iter()
        .map(|s| {
            if s & 0x8000_0000 != 0 {
                format!("/{}h", s & 0x7fff_ffff)
            } else {
                format!("/{s}")
            }
        })
        .collect()
}

fn with_origin(origin: Option<KeyOrigin>, key: String) -> String {
    match origin {
        Some(o) => format!(
            "[{}{}]{key}",
            chain_json::to_hex(&o.fingerprint),
            path_text(&o.path)
        ),
        None => key,
    }
}

/// `InferPubkey`: a full public key with its origin, if allowed in `ctx`.
fn infer_pubkey(key: &[u8], ctx: Ctx, provider: &dyn SigningProvider) -> Option<String> {
    let non_hybrid = matches!((key.first(), key.len()), (Some(2 | 3), 33) | (Some(4), 65))
        && signing::pubkey_fully_valid(key);
    if !non_hybrid {
        return None;
    }
    if key.len() == 65 && !matches!(ctx, Ctx::Top | Ctx::P2sh) {
        return None;
    }
    let origin = provider.key_origin(&signing::key_id(key));
    Some(with_origin(origin, chain_json::to_hex(key)))
}

/// `InferXOnlyPubkey`.
fn infer_xonly(key: &[u8; 32], provider: &dyn SigningProvider) -> String {
    with_origin(provider.key_origin_by_xonly(key), chain_json::to_hex(key))
}

/// Reads one direct push of exactly `len` bytes at `at`.
fn push_at(s: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    (s.get(at).copied() == Some(len as u8)).then(|| s.get(at + 1..at + 1 + len))?
}

/// A small number (`OP_0`..`OP_16`) or minimal push at `at`, with its length in bytes.
fn number_at(s: &[u8], at: usize) -> Option<(i64, usize)> {
    match *s.get(at)? {
        0 => Some((0, 1)),
        op @ 0x51..=0x60 => Some((i64::from(op - 0x50), 1)),
        n @ 1..=4 => {
            let bytes = s.get(at + 1..at + 1 + usize::from(n))?;
            let mut v: i64 = 0;
            for (i, b) in bytes.iter().enumerate() {
                v |= i64::from(*b) << (8 * i);
            }
            // Negative numbers are not thresholds.
            (bytes.last().is_some_and(|b| b & 0x80 == 0)).then_some((v, 1 + usize::from(n)))
        }
        _ => None,
    }
}

/// `MatchMultiA`: `<k1> CHECKSIG <k2> CHECKSIGADD ... <m> NUMEQUAL`.
fn match_multi_a(s: &[u8]) -> Option<(i64, Vec<[u8; 32]>)> {
    let mut keys = Vec::new();
    let mut at = 0;
    while let Some(key) = push_at(s, at, 32) {
        let op = *s.get(at + 33)?;
        let expected = if keys.is_empty() {
            OP_CHECKSIG
        } else {
            OP_CHECKSIGADD
        };
        if op != expected {
            return None;
        }
        keys.push(<[u8; 32]>::try_from(key).ok()?);
        at += 34;
    }
    if keys.is_empty() {
        return None;
    }
    let (k, len) = number_at(s, at)?;
    if s.get(at + len).copied() != Some(OP_NUMEQUAL) || at + len + 1 != s.len() {
        return None;
    }
    Some((k, keys))
}

/// Core's `InferScript` without the final `addr()`/`raw()` fallback.
fn infer(script: &[u8], ctx: Ctx, provider: &dyn SigningProvider) -> Option<String> {
    if ctx == Ctx::P2tr {
        if script.len() == 34 && script[0] == 32 && script[33] == OP_CHECKSIG {
            let key = <[u8; 32]>::try_from(&script[1..33]).ok()?;
            return Some(format!("pk({})", infer_xonly(&key, provider)));
        }
        if let Some((k, keys)) = match_multi_a(script) {
            let keys: Vec<String> = keys.iter().map(|k| infer_xonly(k, provider)).collect();
            return Some(format!("multi_a({k},{})", keys.join(",")));
        }
    }
    let kind = chain_json::classify(script);
    let key_ctx = matches!(ctx, Ctx::Top | Ctx::P2sh | Ctx::P2wsh);
    match &kind {
        ScriptKind::PubKey(key) if key_ctx => {
            if let Some(k) = infer_pubkey(key, ctx, provider) {
                return Some(format!("pk({k})"));
            }
        }
        ScriptKind::PubKeyHash(hash) if key_ctx => {
            let id = <[u8; 20]>::try_from(*hash).ok()?;
            if let Some(k) = provider
                .pubkey(&id)
                .and_then(|pk| infer_pubkey(&pk, ctx, provider))
            {
                return Some(format!("pkh({k})"));
            }
        }
        ScriptKind::WitnessV0KeyHash(hash) if matches!(ctx, Ctx::Top | Ctx::P2sh) => {
            let id = <[u8; 20]>::try_from(*hash).ok()?;
            if let Some(k) = provider
                .pubkey(&id)
                .and_then(|pk| infer_pubkey(&pk, Ctx::P2wpkh, provider))
            {
                return Some(format!("wpkh({k})"));
            }
        }
        ScriptKind::Multisig { required, keys } if key_ctx => {
            let inferred: Option<Vec<String>> = keys
                .iter()
                .map(|k| infer_pubkey(k, ctx, provider))
                .collect();
            if let Some(ks) = inferred {
                return Some(format!("multi({required},{})", ks.join(",")));
            }
        }
        ScriptKind::ScriptHash(hash) if ctx == Ctx::Top => {
            let id = <[u8; 20]>::try_from(*hash).ok()?;
            if let Some(sub) = provider
                .script(&id)
                .and_then(|s| infer(&s, Ctx::P2sh, provider))
            {
                return Some(format!("sh({sub})"));
            }
        }
        ScriptKind::WitnessV0ScriptHash(hash) if matches!(ctx, Ctx::Top | Ctx::P2sh) => {
            let id = ripemd160::Hash::hash(hash).to_byte_array();
            if let Some(sub) = provider
                .script(&id)
                .and_then(|s| infer(&s, Ctx::P2wsh, provider))
            {
                return Some(format!("wsh({sub})"));
            }
        }
        ScriptKind::WitnessV1Taproot(output) if ctx == Ctx::Top => {
            let output = <[u8; 32]>::try_from(*output).ok()?;
            if let Some(tr) = infer_tr(&output, provider) {
                return Some(tr);
            }
            let mut even = [2u8; 33];
            even[1..].copy_from_slice(&output);
            if signing::pubkey_fully_valid(&even) {
                return Some(format!("rawtr({})", infer_xonly(&output, provider)));
            }
        }
        _ => {}
    }
    if ctx == Ctx::P2wsh {
        // Miniscript keys are written without origins here.
        if let Some(ms) = signing::infer_wsh_miniscript(script) {
            return ms
                .strip_prefix("wsh(")
                .and_then(|s| s.strip_suffix(')'))
                .map(str::to_string);
        }
    }
    None
}

/// `tr(KEY,TREE)` from the taproot tree the provider knows for `output`.
fn infer_tr(output: &[u8; 32], provider: &dyn SigningProvider) -> Option<String> {
    let spend = provider.taproot_spend_data(output)?;
    let builder = provider.taproot_builder(output)?;
    let mut leaves = Vec::new();
    for (depth, version, script) in builder.tree_tuples() {
        if version != TAPROOT_LEAF_TAPSCRIPT {
            return None;
        }
        leaves.push((depth, infer(&script, Ctx::P2tr, provider)?));
    }
    let key = infer_xonly(&spend.internal_key, provider);
    if leaves.is_empty() {
        return Some(format!("tr({key})"));
    }
    Some(format!("tr({key},{})", tree_text(&leaves)))
}

/// Core's `TRDescriptor::ToStringSubScriptHelper`: leaves in depth-first order with
/// their depths, written as nested `{a,b}` pairs.
fn tree_text(leaves: &[(u8, String)]) -> String {
    let mut out = String::new();
    let mut path: Vec<bool> = Vec::new();
    for (pos, (depth, text)) in leaves.iter().enumerate() {
        if pos > 0 {
            out.push(',');
        }
        while path.len() <= usize::from(*depth) {
            if !path.is_empty() {
                out.push('{');
            }
            path.push(false);
        }
        out.push_str(text);
        while path.last() == Some(&true) {
            if path.len() > 1 {
                out.push('}');
            }
            path.pop();
        }
        if let Some(last) = path.last_mut() {
            *last = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bitcoin::{Network, ScriptBuf};

    fn provider_for(desc: &str, pos: u32) -> signing::FlatSigningProvider {
        let mut p = signing::FlatSigningProvider::new();
        signing::expand_descriptor_into(desc, pos..=pos, false, &mut p);
        p
    }

    fn script_of(desc: &str, pos: u32) -> ScriptBuf {
        descriptors::parse(desc, false, Network::Regtest).unwrap()[0]
            .expand(pos)
            .unwrap()
            .remove(0)
    }

    fn xpub() -> String {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let master =
            bitcoin::bip32::Xpriv::new_master(bitcoin::NetworkKind::Test, &[3u8; 32]).unwrap();
        descriptors::encode_xpub(
            &bitcoin::bip32::Xpub::from_priv(&secp, &master),
            Network::Regtest,
        )
    }

    #[test]
    fn wallet_scripts_get_their_origins() {
        let x = xpub();
        let desc = format!("wpkh([d34db33f/84h/1h/0h]{x}/0/*)");
        let script = script_of(&desc, 3);
        let got = infer_descriptor(&script, &provider_for(&desc, 3), Network::Regtest);
        assert!(got.solvable);
        assert!(
            got.descriptor
                .starts_with("wpkh([d34db33f/84h/1h/0h/0/3]02")
                || got
                    .descriptor
                    .starts_with("wpkh([d34db33f/84h/1h/0h/0/3]03")
        );

        let desc = format!("sh(wpkh([d34db33f/49h/1h/0h]{x}/0/*))");
        let script = script_of(&desc, 0);
        let got = infer_descriptor(&script, &provider_for(&desc, 0), Network::Regtest);
        assert!(got
            .descriptor
            .starts_with("sh(wpkh([d34db33f/49h/1h/0h/0/0]"));

        let desc = format!("tr([d34db33f/86h/1h/0h]{x}/0/*)");
        let script = script_of(&desc, 1);
        let got = infer_descriptor(&script, &provider_for(&desc, 1), Network::Regtest);
        assert!(
            got.descriptor.starts_with("tr([d34db33f/86h/1h/0h/0/1]"),
            "{}",
            got.descriptor
        );
        // An x-only key: 64 hex digits between "]" and ")".
        let key = got
            .descriptor
            .split(']')
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap();
        assert_eq!(key.len(), 64);
    }

    #[test]
    fn unknown_scripts_fall_back_to_addresses() {
        let x = xpub();
        let desc = format!("pkh({x}/0/*)");
        let script = script_of(&desc, 0);
        let got = infer_descriptor(&script, &signing::EmptyProvider, Network::Regtest);
        assert!(!got.solvable);
        assert!(got.descriptor.starts_with("addr(m") || got.descriptor.starts_with("addr(n"));
        let op_return = ScriptBuf::from_bytes(vec![0x6a, 0x00]);
        let got = infer_descriptor(&op_return, &signing::EmptyProvider, Network::Regtest);
        assert_eq!(got.descriptor, "raw(6a00)#ncfmkl43");
    }

    #[test]
    fn trees_nest_by_depth() {
        let leaves = vec![
            (1, "a".to_string()),
            (2, "b".to_string()),
            (2, "c".to_string()),
        ];
        assert_eq!(tree_text(&leaves), "{a,{b,c}}");
        let leaves = vec![
            (2, "a".to_string()),
            (2, "b".to_string()),
            (1, "c".to_string()),
        ];
        assert_eq!(tree_text(&leaves), "{{a,b},c}");
        assert_eq!(tree_text(&[(0, "a".to_string())]), "a");
    }

    #[test]
    fn multi_a_scripts_are_matched() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let mut s = vec![32];
        s.extend_from_slice(&k1);
        s.push(OP_CHECKSIG);
        s.push(32);
        s.extend_from_slice(&k2);
        s.push(OP_CHECKSIGADD);
        s.push(0x52);
        s.push(OP_NUMEQUAL);
        assert_eq!(match_multi_a(&s), Some((2, vec![k1, k2])));
        s.pop();
        assert_eq!(match_multi_a(&s), None);
    }
}
