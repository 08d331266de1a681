//! The shape of a spend, inferred from an output script and what a signing provider knows
//! about it (Core's `InferDescriptor` as transaction sizing uses it), with the satisfaction
//! sizes Core's descriptors report (`MaxSatisfactionWeight`, `MaxSatisfactionElems`) for
//! sizing inputs before signing. The descriptor text the RPCs print comes from
//! `crate::infer`, which also renders taproot trees.
//!
//! Covered: `pk`, `pkh`, `wpkh`, `multi`, `sh(...)`, `wsh(...)` (with miniscript inside),
//! `tr` without script leaves, `rawtr`, `addr` and `raw`. A taproot output whose script
//! tree the provider knows is described by `rawtr` here, where Core would rebuild the tree;
//! its size estimate is the same (Core assumes a key-path spend).

use bitcoin::Network;
use signing::{KeyOrigin, SigningProvider};

/// A key with its origin when the provider knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferredKey {
    /// The serialized key (33 or 65 bytes, or 32 for an x-only key).
    pub bytes: Vec<u8>,
    /// Where it was derived from.
    pub origin: Option<KeyOrigin>,
}

impl InferredKey {
    fn text(&self) -> String {
        let key = chain_json::to_hex(&self.bytes);
        match &self.origin {
            Some(o) => {
                let path = o.path_string();
                format!(
                    "[{}{}]{key}",
                    chain_json::to_hex(&o.fingerprint),
                    path.strip_prefix('m').unwrap_or(&path)
                )
            }
            None => key,
        }
    }
}

/// An inferred descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inferred {
    /// `pk(KEY)`; the flag marks an x-only key (tapscript).
    Pk(InferredKey, bool),
    /// `pkh(KEY)`.
    Pkh(InferredKey),
    /// `wpkh(KEY)`.
    Wpkh(InferredKey),
    /// `multi(k,KEY,...)`.
    Multi(u8, Vec<InferredKey>),
    /// `sh(SCRIPT)` with the redeem script's length.
    Sh(Box<Inferred>, usize),
    /// `wsh(SCRIPT)` with the witness script's length.
    Wsh(Box<Inferred>, usize),
    /// `tr(KEY)` without script leaves.
    Tr(InferredKey),
    /// `rawtr(KEY)`.
    RawTr(InferredKey),
    /// A miniscript inside `wsh()`: its text and witness sizes.
    Miniscript {
        /// The fragment as written.
        text: String,
        /// Largest witness (elements with their length prefixes).
        sat_size: Option<i64>,
        /// Most witness elements.
        elems: Option<i64>,
    },
    /// `addr(ADDRESS)`, marked when the address is a witness program.
    Addr(String, bool),
    /// `raw(HEX)`.
    Raw(Vec<u8>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    P2sh,
    P2wsh,
}

fn compact_size_len(n: i64) -> i64 {
    if n < 253 {
        1
    } else if n <= 0xffff {
        3
    } else if n <= 0xffff_ffff {
        5
    } else {
        9
    }
}

fn infer_key(pubkey: &[u8], ctx: Ctx, provider: &dyn SigningProvider) -> Option<InferredKey> {
    // Hybrid keys are never inferred; uncompressed ones only outside segwit.
    if !signing::pubkey_fully_valid(pubkey) || matches!(pubkey.first(), Some(6) | Some(7)) {
        return None;
    }
    if pubkey.len() != 33 && !matches!(ctx, Ctx::Top | Ctx::P2sh) {
        return None;
    }
    Some(InferredKey {
        bytes: pubkey.to_vec(),
        origin: provider.key_origin(&signing::key_id(pubkey)),
    })
}

fn infer_xonly(xonly: &[u8; 32], provider: &dyn SigningProvider) -> InferredKey {
    InferredKey {
        bytes: xonly.to_vec(),
        origin: provider.key_origin_by_xonly(xonly),
    }
}

fn infer_miniscript(script: &[u8]) -> Option<Inferred> {
    use miniscript::{ExtParams, Miniscript, Segwitv0};
    // Scripts keep only the hash of keys under `pkh()`; reading them needs the raw-hash
    // form, which is what a script from the chain looks like (sizes count a compressed
    // key for each, as the wallet's keys are).
    let ms = Miniscript::<bitcoin::PublicKey, Segwitv0>::parse_with_ext(
        bitcoin::Script::from_bytes(script),
        &ExtParams::allow_all(),
    )
    .ok()?;
    Some(Inferred::Miniscript {
        text: ms.to_string(),
        sat_size: ms.max_satisfaction_size().ok().map(|s| s as i64),
        elems: ms
            .max_satisfaction_witness_elements()
            .ok()
            .map(|s| s as i64),
    })
}

fn infer_script(
    script: &[u8],
    ctx: Ctx,
    provider: &dyn SigningProvider,
    network: Network,
) -> Option<Inferred> {
    use chain_json::ScriptKind as K;
    let kind = chain_json::classify(script);
    let not_segwit_inner = matches!(ctx, Ctx::Top | Ctx::P2sh | Ctx::P2wsh);
    match &kind {
        K::PubKey(key) if not_segwit_inner => {
            if let Some(k) = infer_key(key, ctx, provider) {
                return Some(Inferred::Pk(k, false));
            }
        }
        K::PubKeyHash(hash) => {
            let id: [u8; 20] = (*hash).try_into().ok()?;
            if let Some(pk) = provider.pubkey(&id) {
                if let Some(k) = infer_key(&pk, ctx, provider) {
                    return Some(Inferred::Pkh(k));
                }
            }
        }
        K::WitnessV0KeyHash(hash) if matches!(ctx, Ctx::Top | Ctx::P2sh) => {
            let id: [u8; 20] = (*hash).try_into().ok()?;
            if let Some(pk) = provider.pubkey(&id) {
                // The key is in a segwit context.
                if let Some(k) = infer_key(&pk, Ctx::P2wsh, provider) {
                    return Some(Inferred::Wpkh(k));
                }
            }
        }
        K::Multisig { required, keys } => {
            let inferred: Option<Vec<InferredKey>> =
                keys.iter().map(|k| infer_key(k, ctx, provider)).collect();
            if let Some(keys) = inferred {
                return Some(Inferred::Multi(*required, keys));
            }
        }
        K::ScriptHash(hash) if ctx == Ctx::Top => {
            let id: [u8; 20] = (*hash).try_into().ok()?;
            if let Some(sub) = provider.script(&id) {
                if let Some(inner) = infer_script(&sub, Ctx::P2sh, provider, network) {
                    return Some(Inferred::Sh(Box::new(inner), sub.len()));
                }
            }
        }
        K::WitnessV0ScriptHash(hash) if matches!(ctx, Ctx::Top | Ctx::P2sh) => {
            let id: [u8; 20] = {
                use bitcoin::hashes::Hash;
                bitcoin::hashes::ripemd160::Hash::hash(hash).to_byte_array()
            };
            if let Some(sub) = provider.script(&id) {
                if let Some(inner) = infer_script(&sub, Ctx::P2wsh, provider, network) {
                    return Some(Inferred::Wsh(Box::new(inner), sub.len()));
                }
            }
        }
        K::WitnessV1Taproot(program) if ctx == Ctx::Top => {
            let output_key: [u8; 32] = (*program).try_into().ok()?;
            if let Some(spend) = provider.taproot_spend_data(&output_key) {
                if spend.scripts.is_empty() && spend.internal_key != [0; 32] {
                    return Some(Inferred::Tr(infer_xonly(&spend.internal_key, provider)));
                }
            }
            let mut even = vec![2u8];
            even.extend_from_slice(&output_key);
            if signing::pubkey_fully_valid(&even) {
                return Some(Inferred::RawTr(infer_xonly(&output_key, provider)));
            }
        }
        _ => {}
    }
    if ctx == Ctx::P2wsh {
        if let Some(ms) = infer_miniscript(script) {
            return Some(ms);
        }
    }
    if ctx != Ctx::Top {
        return None;
    }
    let s = bitcoin::Script::from_bytes(script);
    if let Some(dest) = descriptors::Destination::from_script(s) {
        if dest.script_pubkey().as_bytes() == script {
            let witness = consensus::script::witness_program(script).is_some();
            return Some(Inferred::Addr(dest.encode(network), witness));
        }
    }
    Some(Inferred::Raw(script.to_vec()))
}

/// Core's `InferDescriptor`.
pub fn infer(script: &[u8], provider: &dyn SigningProvider, network: Network) -> Inferred {
    infer_script(script, Ctx::Top, provider, network)
        .unwrap_or_else(|| Inferred::Raw(script.to_vec()))
}

impl Inferred {
    /// The descriptor without checksum.
    fn body(&self) -> String {
        match self {
            Inferred::Pk(k, _) => format!("pk({})", k.text()),
            Inferred::Pkh(k) => format!("pkh({})", k.text()),
            Inferred::Wpkh(k) => format!("wpkh({})", k.text()),
            Inferred::Multi(m, keys) => {
                let keys: Vec<String> = keys.iter().map(InferredKey::text).collect();
                format!("multi({m},{})", keys.join(","))
            }
            Inferred::Sh(inner, _) => format!("sh({})", inner.body()),
            Inferred::Wsh(inner, _) => format!("wsh({})", inner.body()),
            Inferred::Tr(k) => format!("tr({})", k.text()),
            Inferred::RawTr(k) => format!("rawtr({})", k.text()),
            Inferred::Miniscript { text, .. } => text.clone(),
            Inferred::Addr(a, _) => format!("addr({a})"),
            Inferred::Raw(s) => format!("raw({})", chain_json::to_hex(s)),
        }
    }

    /// The descriptor with its checksum (`ToString`).
    pub fn text(&self) -> String {
        chain_json::add_checksum(&self.body())
    }

    /// Whether the descriptor can be satisfied (not `addr()` or `raw()`).
    pub fn is_solvable(&self) -> bool {
        !matches!(self, Inferred::Addr(..) | Inferred::Raw(_))
    }

    /// `IsSegwit`: the output type is not legacy.
    pub fn is_segwit(&self) -> bool {
        match self {
            Inferred::Wpkh(_) | Inferred::Wsh(..) | Inferred::Tr(_) | Inferred::RawTr(_) => true,
            Inferred::Sh(inner, _) => matches!(**inner, Inferred::Wpkh(_) | Inferred::Wsh(..)),
            // An address's output type decides (Core's `OutputTypeFromDestination`).
            Inferred::Addr(_, witness) => *witness,
            _ => false,
        }
    }

    /// `MaxSatSize`: the satisfaction's size in bytes (witness or scriptSig).
    fn max_sat_size(&self, use_max_sig: bool) -> Option<i64> {
        let sig = if use_max_sig { 72 } else { 71 };
        match self {
            Inferred::Pk(_, xonly) => Some(1 + if *xonly { 65 } else { sig }),
            Inferred::Pkh(k) => Some(1 + sig + 1 + k.bytes.len() as i64),
            Inferred::Wpkh(_) => Some(1 + sig + 1 + 33),
            Inferred::Multi(m, _) => Some(1 + (1 + sig) * i64::from(*m)),
            Inferred::Wsh(inner, len) => {
                let len = *len as i64;
                Some(compact_size_len(len) + len + inner.max_sat_size(use_max_sig)?)
            }
            Inferred::Miniscript { sat_size, .. } => *sat_size,
            _ => None,
        }
    }

    /// `MaxSatisfactionWeight`.
    pub fn max_sat_weight(&self, use_max_sig: bool) -> Option<i64> {
        match self {
            Inferred::Pk(..) | Inferred::Pkh(_) | Inferred::Multi(..) => {
                Some(self.max_sat_size(use_max_sig)? * 4)
            }
            Inferred::Wpkh(_) | Inferred::Wsh(..) => self.max_sat_size(use_max_sig),
            Inferred::Sh(inner, len) => {
                let sat = inner.max_sat_size(use_max_sig)?;
                // The redeem script is never witness data.
                let subscript_weight = (1 + *len as i64) * 4;
                if self.is_segwit() {
                    Some(subscript_weight + sat)
                } else {
                    Some(subscript_weight + sat * 4)
                }
            }
            // A key-path spend is assumed, as Core does.
            Inferred::Tr(_) | Inferred::RawTr(_) => Some(1 + 65),
            _ => None,
        }
    }

    /// `MaxSatisfactionElems`.
    pub fn max_sat_elems(&self) -> Option<i64> {
        match self {
            Inferred::Pk(..) => Some(1),
            Inferred::Pkh(_) | Inferred::Wpkh(_) => Some(2),
            Inferred::Multi(m, _) => Some(1 + i64::from(*m)),
            Inferred::Sh(inner, _) | Inferred::Wsh(inner, _) => Some(1 + inner.max_sat_elems()?),
            Inferred::Tr(_) | Inferred::RawTr(_) => Some(1),
            Inferred::Miniscript { elems, .. } => *elems,
            _ => None,
        }
    }

    /// `MaxInputWeight`: the weight of an input spending this once signed, with
    /// `tx_is_segwit` telling whether the transaction has a witness at all.
    pub fn max_input_weight(&self, use_max_sig: bool, tx_is_segwit: bool) -> Option<i64> {
        let sat_weight = self.max_sat_weight(use_max_sig)?;
        let elems = self.max_sat_elems()?;
        let segwit = self.is_segwit();
        // A P2SH-wrapped witness program's scriptSig is one small push.
        let scriptsig_len = if segwit {
            1
        } else {
            compact_size_len(sat_weight / 4)
        };
        let witstack_len = if segwit {
            compact_size_len(elems)
        } else if tx_is_segwit {
            1
        } else {
            0
        };
        Some((32 + 4 + 4 + scriptsig_len) * 4 + witstack_len + sat_weight)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use signing::FlatSigningProvider;

    const KEY: &str = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5";

    fn provider_with_key() -> (FlatSigningProvider, Vec<u8>) {
        let pk = chain_json::from_hex(KEY).unwrap();
        let mut p = FlatSigningProvider::new();
        let id = signing::key_id(&pk);
        p.pubkeys.insert(id, pk.clone());
        p.origins.insert(
            id,
            (
                pk.clone(),
                KeyOrigin {
                    fingerprint: [0xd3, 0x4d, 0xb3, 0x3f],
                    path: vec![0x8000_0054, 0x8000_0001, 0x8000_0000, 0, 5],
                },
            ),
        );
        (p, pk)
    }

    #[test]
    fn wpkh_sizes_and_text_match_core() {
        let (p, pk) = provider_with_key();
        let wpkh = bitcoin::ScriptBuf::new_p2wpkh(
            &bitcoin::PublicKey::from_slice(&pk)
                .unwrap()
                .wpubkey_hash()
                .unwrap(),
        );
        let d = infer(wpkh.as_bytes(), &p, Network::Regtest);
        assert!(d
            .text()
            .starts_with(&format!("wpkh([d34db33f/84h/1h/0h/0/5]{KEY})#")));
        // 68 vbytes with 71-byte signatures.
        assert_eq!(d.max_input_weight(false, true), Some(271));
        assert_eq!(d.max_input_weight(true, true), Some(272));

        let pkh = bitcoin::ScriptBuf::new_p2pkh(
            &bitcoin::PublicKey::from_slice(&pk).unwrap().pubkey_hash(),
        );
        let d = infer(pkh.as_bytes(), &p, Network::Regtest);
        assert!(matches!(d, Inferred::Pkh(_)));
        // Core's 148-vbyte P2PKH input in a segwit transaction.
        assert_eq!(d.max_input_weight(false, true), Some(589));
        assert_eq!(d.max_input_weight(false, false), Some(588));
    }

    #[test]
    fn nested_segwit_and_unknown_scripts() {
        let (mut p, pk) = provider_with_key();
        let wpkh = bitcoin::ScriptBuf::new_p2wpkh(
            &bitcoin::PublicKey::from_slice(&pk)
                .unwrap()
                .wpubkey_hash()
                .unwrap(),
        );
        p.scripts
            .insert(signing::script_id(wpkh.as_bytes()), wpkh.to_bytes());
        let sh = bitcoin::ScriptBuf::new_p2sh(&wpkh.script_hash());
        let d = infer(sh.as_bytes(), &p, Network::Regtest);
        assert!(d.text().starts_with("sh(wpkh([d34db33f/"));
        // Core's DUMMY_NESTED_P2WPKH_INPUT_SIZE is 91 vbytes.
        assert_eq!((d.max_input_weight(false, true).unwrap() + 3) / 4, 91);

        let empty = FlatSigningProvider::new();
        let d = infer(wpkh.as_bytes(), &empty, Network::Regtest);
        assert!(matches!(d, Inferred::Addr(..)));
        assert_eq!(d.max_input_weight(false, true), None);
        let d = infer(&[0x51, 0x52], &empty, Network::Regtest);
        assert_eq!(d.text(), chain_json::add_checksum("raw(5152)"));
    }

    #[test]
    fn taproot_key_path_is_assumed() {
        let empty = FlatSigningProvider::new();
        let mut script = vec![0x51, 0x20];
        script.extend_from_slice(&chain_json::from_hex(KEY).unwrap()[1..]);
        let d = infer(&script, &empty, Network::Regtest);
        assert!(matches!(d, Inferred::RawTr(_)));
        assert_eq!((d.max_input_weight(false, true).unwrap() + 3) / 4, 58);
    }
}
