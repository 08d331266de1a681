//! Where signing finds keys, scripts, key origins and taproot trees (Core's
//! `SigningProvider`, `FlatSigningProvider` and `HidingSigningProvider`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::keys::{xonly_key_ids, KeyId, ScriptId, Secret, XOnly};
use crate::taproot::{TaprootBuilder, TaprootSpendData};

/// A key's BIP32 origin: master fingerprint and derivation path (`KeyOriginInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyOrigin {
    /// The first four bytes of the master key's id.
    pub fingerprint: [u8; 4],
    /// The derivation steps (hardened ones with the top bit set).
    pub path: Vec<u32>,
}

impl Ord for KeyOrigin {
    /// Core's order: fingerprint bytes, then shorter paths first, then the path.
    fn cmp(&self, other: &Self) -> Ordering {
        self.fingerprint
            .cmp(&other.fingerprint)
            .then_with(|| self.path.len().cmp(&other.path.len()))
            .then_with(|| self.path.cmp(&other.path))
    }
}

impl PartialOrd for KeyOrigin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KeyOrigin {
    /// The path as Core's `WriteHDKeypath` prints it (`m/0h/1`).
    pub fn path_string(&self) -> String {
        let mut s = String::from("m");
        for step in &self.path {
            s.push('/');
            s.push_str(&(step & 0x7fff_ffff).to_string());
            if step & 0x8000_0000 != 0 {
                s.push('h');
            }
        }
        s
    }
}

/// MuSig2 aggregate keys with their participants, as serialized compressed keys.
pub type MuSig2Participants = BTreeMap<Vec<u8>, Vec<Vec<u8>>>;

/// What signing may ask for. Every lookup fails by default (`DUMMY_SIGNING_PROVIDER`).
pub trait SigningProvider {
    /// A script by its HASH160 (`GetCScript`).
    fn script(&self, _id: &ScriptId) -> Option<Vec<u8>> {
        None
    }
    /// A serialized public key by its id (`GetPubKey`).
    fn pubkey(&self, _id: &KeyId) -> Option<Vec<u8>> {
        None
    }
    /// A private key by its public key's id (`GetKey`).
    fn key(&self, _id: &KeyId) -> Option<Secret> {
        None
    }
    /// A key's origin by its id (`GetKeyOrigin`).
    fn key_origin(&self, _id: &KeyId) -> Option<KeyOrigin> {
        None
    }
    /// The spend data of a taproot output key (`GetTaprootSpendData`).
    fn taproot_spend_data(&self, _output_key: &XOnly) -> Option<TaprootSpendData> {
        None
    }
    /// The builder of a taproot output key (`GetTaprootBuilder`).
    fn taproot_builder(&self, _output_key: &XOnly) -> Option<TaprootBuilder> {
        None
    }
    /// Every MuSig2 aggregate key known, with its participants.
    fn musig2_participants(&self) -> MuSig2Participants {
        MuSig2Participants::new()
    }
    /// A private key for an x-only key, under either parity (`GetKeyByXOnly`).
    fn key_by_xonly(&self, xonly: &XOnly) -> Option<Secret> {
        xonly_key_ids(xonly).iter().find_map(|id| self.key(id))
    }
    /// A key origin for an x-only key, under either parity (`GetKeyOriginByXOnly`).
    fn key_origin_by_xonly(&self, xonly: &XOnly) -> Option<KeyOrigin> {
        xonly_key_ids(xonly)
            .iter()
            .find_map(|id| self.key_origin(id))
    }
}

/// A provider that knows nothing (`DUMMY_SIGNING_PROVIDER`).
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyProvider;

impl SigningProvider for EmptyProvider {}

/// A provider backed by maps (`FlatSigningProvider`).
#[derive(Clone, Debug, Default)]
pub struct FlatSigningProvider {
    /// Scripts by HASH160.
    pub scripts: BTreeMap<ScriptId, Vec<u8>>,
    /// Public keys by id.
    pub pubkeys: BTreeMap<KeyId, Vec<u8>>,
    /// Key origins by key id, with the key.
    pub origins: BTreeMap<KeyId, (Vec<u8>, KeyOrigin)>,
    /// Private keys by their public key's id.
    pub keys: BTreeMap<KeyId, Secret>,
    /// Taproot trees by output key.
    pub tr_trees: BTreeMap<XOnly, TaprootBuilder>,
    /// MuSig2 aggregate keys and their participants.
    pub aggregate_pubkeys: MuSig2Participants,
}

impl FlatSigningProvider {
    /// An empty provider.
    pub fn new() -> FlatSigningProvider {
        FlatSigningProvider::default()
    }

    /// Adds what `other` knows, keeping entries already here (`Merge`).
    pub fn merge(&mut self, other: FlatSigningProvider) {
        for (k, v) in other.scripts {
            self.scripts.entry(k).or_insert(v);
        }
        for (k, v) in other.pubkeys {
            self.pubkeys.entry(k).or_insert(v);
        }
        for (k, v) in other.origins {
            self.origins.entry(k).or_insert(v);
        }
        for (k, v) in other.keys {
            self.keys.entry(k).or_insert(v);
        }
        for (k, v) in other.tr_trees {
            self.tr_trees.entry(k).or_insert(v);
        }
        for (k, v) in other.aggregate_pubkeys {
            self.aggregate_pubkeys.entry(k).or_insert(v);
        }
    }
}

impl SigningProvider for FlatSigningProvider {
    fn script(&self, id: &ScriptId) -> Option<Vec<u8>> {
        self.scripts.get(id).cloned()
    }
    fn pubkey(&self, id: &KeyId) -> Option<Vec<u8>> {
        self.pubkeys.get(id).cloned()
    }
    fn key(&self, id: &KeyId) -> Option<Secret> {
        self.keys.get(id).copied()
    }
    fn key_origin(&self, id: &KeyId) -> Option<KeyOrigin> {
        self.origins.get(id).map(|(_, o)| o.clone())
    }
    fn taproot_spend_data(&self, output_key: &XOnly) -> Option<TaprootSpendData> {
        self.tr_trees
            .get(output_key)
            .map(TaprootBuilder::spend_data)
    }
    fn taproot_builder(&self, output_key: &XOnly) -> Option<TaprootBuilder> {
        self.tr_trees.get(output_key).cloned()
    }
    fn musig2_participants(&self) -> MuSig2Participants {
        self.aggregate_pubkeys.clone()
    }
}

/// Another provider with its private keys and/or key origins hidden
/// (`HidingSigningProvider`).
pub struct HidingSigningProvider<'a> {
    inner: &'a dyn SigningProvider,
    hide_secret: bool,
    hide_origin: bool,
}

impl<'a> HidingSigningProvider<'a> {
    /// Wraps `inner`.
    pub fn new(
        inner: &'a dyn SigningProvider,
        hide_secret: bool,
        hide_origin: bool,
    ) -> HidingSigningProvider<'a> {
        HidingSigningProvider {
            inner,
            hide_secret,
            hide_origin,
        }
    }
}

impl SigningProvider for HidingSigningProvider<'_> {
    fn script(&self, id: &ScriptId) -> Option<Vec<u8>> {
        self.inner.script(id)
    }
    fn pubkey(&self, id: &KeyId) -> Option<Vec<u8>> {
        self.inner.pubkey(id)
    }
    fn key(&self, id: &KeyId) -> Option<Secret> {
        if self.hide_secret {
            return None;
        }
        self.inner.key(id)
    }
    fn key_origin(&self, id: &KeyId) -> Option<KeyOrigin> {
        if self.hide_origin {
            return None;
        }
        self.inner.key_origin(id)
    }
    fn taproot_spend_data(&self, output_key: &XOnly) -> Option<TaprootSpendData> {
        self.inner.taproot_spend_data(output_key)
    }
    fn taproot_builder(&self, output_key: &XOnly) -> Option<TaprootBuilder> {
        self.inner.taproot_builder(output_key)
    }
    fn musig2_participants(&self) -> MuSig2Participants {
        self.inner.musig2_participants()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_order_and_text() {
        let a = KeyOrigin {
            fingerprint: [1, 2, 3, 4],
            path: vec![0x8000_0000, 5],
        };
        let b = KeyOrigin {
            fingerprint: [1, 2, 3, 4],
            path: vec![9],
        };
        assert!(b < a, "shorter paths sort first");
        assert_eq!(a.path_string(), "m/0h/5");
        assert_eq!(KeyOrigin::default().path_string(), "m");
    }
}
