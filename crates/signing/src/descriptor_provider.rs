//! What an output descriptor tells a signer (Core's `Descriptor::Expand` and
//! `ExpandPrivate` into a `FlatSigningProvider`): public keys with origins, redeem and
//! witness scripts, taproot trees and, on request, private keys.
//!
//! The descriptor has already been checked with the `descriptors` crate, which has Core's
//! grammar and errors; the keys and scripts are read here with the `miniscript` crate.
//! `combo(KEY)` is read as the `sh(wpkh(KEY))` and `pkh(KEY)` it implies, which carry
//! the same key data and P2WPKH script. Descriptors it does not read (`rawtr()`,
//! `musig()`, `addr()`, `raw()`) contribute nothing, as `addr()` and `raw()` do in Core.

use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::PublicKey;
use miniscript::descriptor::{
    DefiniteDescriptorKey, DescriptorPublicKey, DescriptorSecretKey, ShInner, SinglePubKey,
    Wildcard,
};
use miniscript::{Descriptor, ForEachKey};

use crate::keys::{key_id, script_id, secp, Secret};
use crate::provider::{FlatSigningProvider, KeyOrigin};
use crate::taproot::{TaprootBuilder, TAPROOT_LEAF_TAPSCRIPT};

fn origin_of(key: &DefiniteDescriptorKey, pubkey: &PublicKey) -> KeyOrigin {
    let path = |p: Option<DerivationPath>| -> Vec<u32> {
        p.map(|p| p.into_iter().map(|c| u32::from(*c)).collect())
            .unwrap_or_default()
    };
    if let DescriptorPublicKey::Single(single) = key.as_descriptor_public_key() {
        if single.origin.is_none() {
            // Core fingerprints a bare key by its own id (x-only keys as even keys).
            let id = key_id(&pubkey.to_bytes());
            let fingerprint = [id[0], id[1], id[2], id[3]];
            return KeyOrigin {
                fingerprint,
                path: Vec::new(),
            };
        }
        if let SinglePubKey::XOnly(_) = single.key {
            let fingerprint = key.master_fingerprint().to_bytes();
            return KeyOrigin {
                fingerprint,
                path: path(key.full_derivation_path()),
            };
        }
    }
    KeyOrigin {
        fingerprint: key.master_fingerprint().to_bytes(),
        path: path(key.full_derivation_path()),
    }
}

fn add_keys(desc: &Descriptor<DefiniteDescriptorKey>, out: &mut FlatSigningProvider) {
    desc.for_each_key(|k| {
        if let Ok(pubkey) = k.derive_public_key(secp()) {
            let bytes = pubkey.to_bytes();
            let id = key_id(&bytes);
            let origin = origin_of(k, &pubkey);
            out.origins
                .entry(id)
                .or_insert_with(|| (bytes.clone(), origin));
            out.pubkeys.entry(id).or_insert(bytes);
        }
        true
    });
}

fn add_script(out: &mut FlatSigningProvider, script: Vec<u8>) {
    out.scripts.entry(script_id(&script)).or_insert(script);
}

fn add_scripts(desc: &Descriptor<PublicKey>, out: &mut FlatSigningProvider) {
    match desc {
        Descriptor::Sh(sh) => match sh.as_inner() {
            ShInner::Wsh(wsh) => {
                add_script(out, wsh.inner_script().to_bytes());
                add_script(out, wsh.script_pubkey().to_bytes());
            }
            ShInner::Wpkh(wpkh) => add_script(out, wpkh.script_pubkey().to_bytes()),
            ShInner::SortedMulti(_) | ShInner::Ms(_) => add_script(
                out,
                desc.explicit_script()
                    .map(|s| s.to_bytes())
                    .unwrap_or_default(),
            ),
        },
        Descriptor::Wsh(wsh) => add_script(out, wsh.inner_script().to_bytes()),
        Descriptor::Tr(tr) => {
            let mut builder = TaprootBuilder::new();
            for (depth, ms) in tr.iter_scripts() {
                builder.add(
                    usize::from(depth),
                    ms.encode().as_bytes(),
                    TAPROOT_LEAF_TAPSCRIPT,
                    true,
                );
            }
            let internal = tr.internal_key().inner.x_only_public_key().0.serialize();
            if builder.finalize(&internal) {
                out.tr_trees.entry(builder.output_key()).or_insert(builder);
            }
        }
        _ => {}
    }
}

/// The private key `secret` stands for at derivation index `pos`.
fn derive_secret(secret: &DescriptorSecretKey, pos: u32) -> Option<Secret> {
    match secret {
        DescriptorSecretKey::Single(s) => Some(Secret {
            key: s.key.inner,
            compressed: s.key.compressed,
        }),
        DescriptorSecretKey::XPrv(x) => {
            let mut path: Vec<ChildNumber> = x.derivation_path.into_iter().copied().collect();
            match x.wildcard {
                Wildcard::None => {}
                Wildcard::Unhardened => path.push(ChildNumber::from_normal_idx(pos).ok()?),
                Wildcard::Hardened => path.push(ChildNumber::from_hardened_idx(pos).ok()?),
            }
            let derived = x.xkey.derive_priv(secp(), &path).ok()?;
            Some(Secret {
                key: derived.private_key,
                compressed: true,
            })
        }
        DescriptorSecretKey::MultiXPrv(_) => None,
    }
}

/// Adds to `out` what `text` describes at each index of `positions` (every alternative of a
/// multipath descriptor), with private keys when `expand_priv` (Core's
/// `EvalDescriptorStringOrObject` after parsing).
pub fn expand_descriptor_into(
    text: &str,
    positions: std::ops::RangeInclusive<u32>,
    expand_priv: bool,
    out: &mut FlatSigningProvider,
) {
    let body = text.split('#').next().unwrap_or(text);
    if let Some(key) = body
        .strip_prefix("combo(")
        .and_then(|s| s.strip_suffix(')'))
    {
        // Uncompressed keys have no segwit form: then only pkh() reads.
        for form in [format!("sh(wpkh({key}))"), format!("pkh({key})")] {
            expand_one(&form, positions.clone(), expand_priv, out);
        }
        return;
    }
    expand_one(text, positions, expand_priv, out);
}

fn expand_one(
    text: &str,
    positions: std::ops::RangeInclusive<u32>,
    expand_priv: bool,
    out: &mut FlatSigningProvider,
) {
    let Ok((desc, keymap)) = Descriptor::<DescriptorPublicKey>::parse_descriptor(secp(), text)
    else {
        return;
    };
    let Ok(singles) = desc.into_single_descriptors() else {
        return;
    };
    let secrets: Vec<DescriptorSecretKey> = keymap
        .into_values()
        .flat_map(|k| k.into_single_keys())
        .collect();
    // A public key cannot take a hardened step; miniscript panics when asked to, so such
    // descriptors (a `/*h` wildcard, or hardened steps without the private key) give
    // nothing here and are derived by the caller first.
    let derivable = |d: &Descriptor<DescriptorPublicKey>| {
        d.for_each_key(|k| match k {
            DescriptorPublicKey::XPub(x) => {
                x.wildcard != Wildcard::Hardened
                    && !x.derivation_path.into_iter().any(|c| c.is_hardened())
            }
            _ => true,
        })
    };
    for pos in positions {
        for single in singles.iter().filter(|d| derivable(d)) {
            let Ok(definite) = single.at_derivation_index(pos) else {
                continue;
            };
            add_keys(&definite, out);
            if let Ok(derived) = definite.derived_descriptor(secp()) {
                add_scripts(&derived, out);
            }
        }
        if expand_priv {
            for secret in &secrets {
                if let Some(s) = derive_secret(secret, pos) {
                    let pubkey = s.public_key().to_bytes();
                    out.keys.entry(key_id(&pubkey)).or_insert(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::hash160;

    const KEY: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

    #[test]
    fn keys_scripts_and_origins() {
        let mut p = FlatSigningProvider::new();
        expand_descriptor_into(&format!("sh(wpkh({KEY}))"), 0..=0, false, &mut p);
        let pubkey: Vec<u8> = (0..33)
            .map(|i| u8::from_str_radix(&KEY[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect();
        let id = key_id(&pubkey);
        assert_eq!(p.pubkeys.get(&id), Some(&pubkey));
        // A bare key is its own master: its fingerprint, an empty path.
        let (_, origin) = &p.origins[&id];
        assert_eq!(origin.fingerprint[..], id[..4]);
        assert!(origin.path.is_empty());
        let mut p2wpkh = vec![0x00, 0x14];
        p2wpkh.extend_from_slice(&hash160(&pubkey));
        assert_eq!(p.scripts.get(&script_id(&p2wpkh)), Some(&p2wpkh));

        let mut combo = FlatSigningProvider::new();
        expand_descriptor_into(&format!("combo({KEY})"), 0..=0, false, &mut combo);
        assert_eq!(combo.scripts, p.scripts);

        // An xpub with origin: the origin's fingerprint, its path then the derivation.
        let tpub = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
        let mut x = FlatSigningProvider::new();
        expand_descriptor_into(
            &format!("wpkh([deadbeef/84h/1h]{tpub}/0/*)"),
            5..=6,
            false,
            &mut x,
        );
        assert_eq!(x.origins.len(), 2);
        let paths: Vec<Vec<u32>> = x.origins.values().map(|(_, o)| o.path.clone()).collect();
        for (_, o) in x.origins.values() {
            assert_eq!(o.fingerprint, [0xde, 0xad, 0xbe, 0xef]);
        }
        assert!(paths.contains(&vec![0x8000_0054, 0x8000_0001, 0, 5]));
        assert!(paths.contains(&vec![0x8000_0054, 0x8000_0001, 0, 6]));

        let mut tr = FlatSigningProvider::new();
        let xonly = &KEY[2..];
        expand_descriptor_into(&format!("tr({xonly},pk({xonly}))"), 0..=0, false, &mut tr);
        assert_eq!(tr.tr_trees.len(), 1);
        let spend = tr.tr_trees.values().next().map(TaprootBuilder::spend_data);
        assert_eq!(spend.map(|s| s.scripts.len()), Some(1));
    }
}
