//! The BIP 32 HD keys of the wallet's descriptors (Core's `CWallet::GetHDPubKeys`,
//! `GetKey`/`GetExtKey` and `SetupDescriptorScriptPubKeyMan`), and BIP 32 key paths as
//! Core's RPCs parse and print them.

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::secp256k1::Secp256k1;
use walletdb::records::{DescriptorId, OutputType, Record};

use crate::error::WalletError;
use crate::spkm::DescriptorSpkm;
use crate::state::WalletState;

/// Bit of a hardened child number.
const HARDENED: u32 = 0x8000_0000;

/// Which descriptors [`WalletState::hd_pubkeys`] looks at (Core's `HDKeyFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HdKeyFilter {
    /// The active descriptors.
    Active,
    /// Every descriptor.
    All,
    /// The `unused(KEY)` descriptors.
    UnusedKey,
}

/// An extended public key as Core orders and tells apart the keys of its
/// `std::map<CExtPubKey, ...>`: by public key, then chain code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct XpubOrder([u8; 33], [u8; 32]);

impl XpubOrder {
    /// The ordering key of `xpub`.
    pub fn of(xpub: &Xpub) -> XpubOrder {
        XpubOrder(xpub.public_key.serialize(), xpub.chain_code.to_bytes())
    }
}

/// One HD key and the descriptors written with it.
#[derive(Debug, Clone)]
pub struct HdKey {
    /// The key as the first descriptor found writes it.
    pub xpub: Xpub,
    /// The descriptors using it.
    pub descriptors: BTreeSet<DescriptorId>,
}

/// The extended private key with `xpub`'s metadata and `secret` (Core's
/// `CExtKey(xpub, key)`).
pub fn xpriv_of(xpub: &Xpub, secret: &descriptors::Secret) -> Xpriv {
    Xpriv {
        network: xpub.network,
        depth: xpub.depth,
        parent_fingerprint: xpub.parent_fingerprint,
        child_number: xpub.child_number,
        private_key: secret.key,
        chain_code: xpub.chain_code,
    }
}

impl WalletState {
    /// Whether `id` hands out addresses of some type (`IsActiveScriptPubKeyMan`).
    pub fn is_active_spkm(&self, id: &DescriptorId) -> bool {
        self.is_internal_spkm(id).is_some()
    }

    /// `GetHDPubKeys`: the extended keys of the descriptors `filter` selects, each with
    /// the descriptors using it, in Core's order.
    pub fn hd_pubkeys(&self, filter: HdKeyFilter) -> BTreeMap<XpubOrder, HdKey> {
        let mut out: BTreeMap<XpubOrder, HdKey> = BTreeMap::new();
        for (id, spkm) in &self.spkms {
            let selected = match filter {
                HdKeyFilter::Active => self.is_active_spkm(id),
                HdKeyFilter::All => true,
                HdKeyFilter::UnusedKey => !spkm.descriptor().has_scripts(),
            };
            if !selected {
                continue;
            }
            for xpub in spkm.descriptor().root_xpubs() {
                out.entry(XpubOrder::of(&xpub))
                    .or_insert_with(|| HdKey {
                        xpub,
                        descriptors: BTreeSet::new(),
                    })
                    .descriptors
                    .insert(*id);
            }
        }
        out
    }

    /// `GetKey`: the private key of `xpub`'s public key from any descriptor, `None` when
    /// unknown or locked.
    pub fn private_key_of(&self, xpub: &Xpub) -> Option<descriptors::Secret> {
        let pubkey = xpub.public_key.serialize();
        self.spkms
            .values()
            .find_map(|s| s.plain_keys().get(pubkey.as_slice()).copied())
    }

    /// `GetExtKey`: the extended private key of `xpub`, when the wallet holds its key.
    pub fn ext_key(&self, xpub: &Xpub) -> Option<Xpriv> {
        self.private_key_of(xpub).map(|s| xpriv_of(xpub, &s))
    }

    /// Core's `SetupDescriptorScriptPubKeyMan` for `createwalletdescriptor`: adds the
    /// descriptor Core generates for `output_type` from `master` and makes it active,
    /// unless the wallet already has it (then `None`). The key is stored encrypted in an
    /// encrypted wallet, which must be unlocked.
    pub fn add_generated_descriptor(
        &mut self,
        master: &Xpriv,
        output_type: OutputType,
        internal: bool,
        now: i64,
    ) -> Result<Option<DescriptorId>, WalletError> {
        // With no keypool the descriptor and its id come without deriving anything.
        let (mut spkm, mut records) = DescriptorSpkm::generate(
            master,
            output_type,
            internal,
            self.network,
            now.max(0) as u64,
            0,
        )?;
        if self.spkms.contains_key(&spkm.id) {
            return Ok(None);
        }
        if self.is_locked() {
            return Err(WalletError::Locked);
        }
        records.extend(spkm.top_up(self.options.keypool_size)?);
        records.push(spkm.descriptor_record());
        if let Some(mk) = self.master_key.clone() {
            records.retain(|r| !matches!(r, Record::DescriptorKey { .. }));
            records.extend(
                spkm.encrypt_keys(&|pubkey, secret| {
                    crate::crypt::encrypt_with(&mk, pubkey, secret)
                })?,
            );
        }
        for r in records {
            self.write(r);
        }
        let id = spkm.id;
        self.birth_time = self.birth_time.min(now);
        self.add_spkm(spkm);
        self.activate_spkm(id, output_type, internal);
        Ok(Some(id))
    }
}

/// Core's `ParseHDKeypath`: `m/0h/1'/2`, every step below 2^31; `None` when malformed.
pub fn parse_hd_keypath(text: &str) -> Option<Vec<u32>> {
    let mut items: Vec<&str> = text.split('/').collect();
    // Core reads items with getline, which yields nothing for a final separator.
    if items.last() == Some(&"") {
        items.pop();
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if *item == "m" {
            if i == 0 {
                continue;
            }
            return None;
        }
        let (digits, hardened) = match item.strip_suffix(['\'', 'h']) {
            Some(d) => (d, true),
            None => (*item, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        if n >= HARDENED {
            return None;
        }
        out.push(if hardened { n | HARDENED } else { n });
    }
    Some(out)
}

/// Core's `FormatHDKeypath` with `h` for hardened steps (`/44h/1h/0`).
pub fn format_hd_keypath(path: &[u32]) -> String {
    path.iter()
        .map(|s| {
            if s & HARDENED != 0 {
                format!("/{}h", s & !HARDENED)
            } else {
                format!("/{s}")
            }
        })
        .collect()
}

/// Core's `DeriveExtKey`: the key at `path` below `key`, with the origin fingerprint
/// (of `key` itself); `None` past depth 255 or on a failed derivation.
pub fn derive_ext_key(key: &Xpriv, path: &[u32]) -> Option<(Xpriv, [u8; 4])> {
    if usize::from(key.depth) + path.len() > usize::from(u8::MAX) {
        return None;
    }
    let secp = Secp256k1::new();
    let steps: Vec<ChildNumber> = path.iter().copied().map(ChildNumber::from).collect();
    let child = key.derive_priv(&secp, &steps).ok()?;
    Some((child, key.fingerprint(&secp).to_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bitcoin::{Network, NetworkKind};

    use crate::import::{private_keys_of, NewDescriptor};
    use crate::state::WalletOptions;

    fn master(seed: u8) -> Xpriv {
        Xpriv::new_master(NetworkKind::Test, &[seed; 32]).unwrap()
    }

    fn state() -> WalletState {
        let options = WalletOptions {
            keypool_size: 3,
            ..WalletOptions::default()
        };
        WalletState::new("w", Network::Regtest, options)
    }

    fn import(st: &mut WalletState, text: &str) -> DescriptorId {
        let desc = descriptors::parse(text, false, Network::Regtest)
            .unwrap()
            .remove(0);
        let new = NewDescriptor {
            descriptor: &desc,
            secrets: private_keys_of(text, Network::Regtest),
            creation_time: 1,
            range_start: 0,
            range_end: 1,
            next_index: 0,
        };
        st.add_wallet_descriptor(&new, "", false).unwrap()
    }

    #[test]
    fn key_paths_parse_as_core() {
        let h = HARDENED;
        assert_eq!(parse_hd_keypath("m"), Some(vec![]));
        assert_eq!(parse_hd_keypath(""), Some(vec![]));
        assert_eq!(parse_hd_keypath("m/87h/0'/5"), Some(vec![87 | h, h, 5]));
        assert_eq!(parse_hd_keypath("1/2/"), Some(vec![1, 2]));
        assert_eq!(parse_hd_keypath("m/2147483647h"), Some(vec![u32::MAX]));
        for bad in [
            "m/2147483648",
            "m/2147483648h",
            "m/m",
            "m//1",
            "m/+1",
            "m/-1",
            "m/1H",
            "m/h",
            "x",
            "m/ 1",
        ] {
            assert_eq!(parse_hd_keypath(bad), None, "{bad}");
        }
        assert_eq!(format_hd_keypath(&[87 | h, 0, 1 | h]), "/87h/0/1h");
    }

    #[test]
    fn derivation_stops_at_depth_255() {
        let m = master(1);
        let (child, fp) = derive_ext_key(&m, &[87 | HARDENED]).unwrap();
        assert_eq!(child.depth, 1);
        let secp = Secp256k1::new();
        assert_eq!(fp, m.fingerprint(&secp).to_bytes());
        assert!(derive_ext_key(&m, &vec![HARDENED; 255]).is_some());
        assert!(derive_ext_key(&m, &vec![HARDENED; 256]).is_none());
    }

    #[test]
    fn hd_keys_are_found_by_filter_and_descriptors_generated_once() {
        let mut st = state();
        let m1 = master(1);
        let m2 = master(2);
        let secp = Secp256k1::new();
        let x1 = Xpub::from_priv(&secp, &m1);
        let x2 = Xpub::from_priv(&secp, &m2);
        assert!(st.hd_pubkeys(HdKeyFilter::All).is_empty());

        let id = st
            .add_generated_descriptor(&m1, OutputType::Bech32, false, 5)
            .unwrap()
            .unwrap();
        assert_eq!(st.active_external.get(&OutputType::Bech32), Some(&id));
        assert_eq!(st.spkms[&id].wd.range_end, 3);
        // The same descriptor is not added twice.
        assert_eq!(
            st.add_generated_descriptor(&m1, OutputType::Bech32, false, 6)
                .unwrap(),
            None
        );

        let unused = import(
            &mut st,
            &format!(
                "unused({})",
                descriptors::encode_xpriv(&m2, Network::Regtest)
            ),
        );
        let all = st.hd_pubkeys(HdKeyFilter::All);
        assert_eq!(all.len(), 2);
        assert_eq!(all[&XpubOrder::of(&x1)].descriptors, BTreeSet::from([id]));
        assert_eq!(
            all[&XpubOrder::of(&x2)].descriptors,
            BTreeSet::from([unused])
        );
        let active = st.hd_pubkeys(HdKeyFilter::Active);
        assert_eq!(
            active.keys().copied().collect::<Vec<_>>(),
            vec![XpubOrder::of(&x1)]
        );
        let only_unused = st.hd_pubkeys(HdKeyFilter::UnusedKey);
        assert_eq!(
            only_unused.keys().copied().collect::<Vec<_>>(),
            vec![XpubOrder::of(&x2)]
        );

        assert_eq!(st.ext_key(&x1), Some(m1));
        assert_eq!(st.ext_key(&x2), Some(m2));
        assert_eq!(st.ext_key(&Xpub::from_priv(&secp, &master(3))), None);
    }

    #[test]
    fn generated_descriptors_need_an_unlocked_wallet_and_store_keys_encrypted() {
        let mut st = state();
        crate::crypt::encrypt_state(&mut st, b"pass").unwrap();
        crate::crypt::lock(&mut st);
        st.take_changes();
        assert_eq!(
            st.add_generated_descriptor(&master(4), OutputType::Bech32m, true, 1),
            Err(WalletError::Locked)
        );
        assert!(crate::crypt::unlock(&mut st, b"pass"));
        let id = st
            .add_generated_descriptor(&master(4), OutputType::Bech32m, true, 1)
            .unwrap()
            .unwrap();
        assert_eq!(st.active_internal.get(&OutputType::Bech32m), Some(&id));
        let changes = st.take_changes();
        let wrote = |f: &dyn Fn(&Record) -> bool| {
            changes
                .iter()
                .any(|c| matches!(c, crate::state::Change::Write(r) if f(r)))
        };
        assert!(wrote(&|r| matches!(r, Record::DescriptorCryptedKey { .. })));
        assert!(!wrote(&|r| matches!(r, Record::DescriptorKey { .. })));
    }
}
