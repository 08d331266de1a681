//! Adding descriptors to a wallet and choosing which ones hand out addresses (Core's
//! `CWallet::AddWalletDescriptor`, `AddActiveScriptPubKeyMan`, `DeactivateScriptPubKeyMan`).

use descriptors::Secret;
use walletdb::records::{AddressPurpose, DescriptorId, OutputType, Record, WalletDescriptor};

use crate::error::WalletError;
use crate::spkm::DescriptorSpkm;
use crate::state::WalletState;

/// A parsed descriptor to add, with the range and position it is imported with
/// (Core's `WalletDescriptor` before it is stored).
#[derive(Debug, Clone)]
pub struct NewDescriptor<'a> {
    /// The parsed descriptor (one alternative of a multipath one).
    pub descriptor: &'a descriptors::Descriptor,
    /// Its private keys, as written in it.
    pub secrets: Vec<Secret>,
    /// Creation time, from which rescans start.
    pub creation_time: i64,
    /// First index of the range.
    pub range_start: i32,
    /// One past the last index of the range.
    pub range_end: i32,
    /// Next index to hand out.
    pub next_index: i32,
}

/// The private keys written in a descriptor's text: extended keys at their root and WIF
/// keys (what Core's `Parse` puts in its key provider).
pub fn private_keys_of(text: &str, network: bitcoin::Network) -> Vec<Secret> {
    let body = text.split('#').next().unwrap_or(text);
    let mut out = Vec::new();
    for token in body.split(|c: char| !c.is_ascii_alphanumeric()) {
        if token.is_empty() {
            continue;
        }
        if let Some(xprv) = descriptors::decode_xpriv(token, network) {
            out.push(Secret {
                key: xprv.private_key,
                compressed: true,
            });
        } else if let Some(secret) = descriptors::decode_secret(token, network) {
            out.push(secret);
        }
    }
    out
}

/// Whether some key of the descriptor text is written without its private key (Core's
/// `HavePrivateKeys` failing): an xpub or a hex public key.
pub fn lacks_private_keys(text: &str, network: bitcoin::Network) -> bool {
    let body = text.split('#').next().unwrap_or(text);
    let mut at = 0;
    for token in body.split(|c: char| !c.is_ascii_alphanumeric()) {
        let prefix = &body[..at];
        at += token.len() + 1;
        if token.is_empty() {
            continue;
        }
        if descriptors::decode_xpub(token, network).is_some() {
            return true;
        }
        let hex_key =
            matches!(token.len(), 64 | 66 | 130) && token.bytes().all(|b| b.is_ascii_hexdigit());
        // 32-byte hashes and raw scripts are hex too, but not keys.
        let not_key = ["sha256(", "hash256(", "raw("]
            .iter()
            .any(|f| prefix.ends_with(f));
        if hex_key && !not_key {
            return true;
        }
    }
    false
}

impl WalletState {
    /// `AddWalletDescriptor`: stores `new` as a descriptor of the wallet, or updates the
    /// descriptor it already has with the same id (which must keep its range); labels the
    /// address of a single-script descriptor unless `internal`. Returns the id.
    pub fn add_wallet_descriptor(
        &mut self,
        new: &NewDescriptor<'_>,
        label: &str,
        internal: bool,
    ) -> Result<DescriptorId, WalletError> {
        let wd = WalletDescriptor {
            descriptor: new.descriptor.to_string_checksummed(),
            creation_time: new.creation_time.max(0) as u64,
            next_index: new.next_index,
            range_start: new.range_start,
            range_end: new.range_end,
        };
        let id = wd
            .id()
            .map_err(|e| WalletError::Invalid(format!("bad descriptor: {e}")))?;
        let master = if self.is_crypted() {
            Some(self.master_key.clone().ok_or(WalletError::Locked)?)
        } else {
            None
        };
        let encryptor = |pubkey: &[u8], secret: &Secret| {
            master
                .as_deref()
                .and_then(|m| crate::crypt::encrypt_with(m, pubkey, secret))
        };
        let encrypt: Option<&crate::spkm::KeyEncryptor<'_>> = match master {
            Some(_) => Some(&encryptor),
            None => None,
        };
        let keypool = self.options.keypool_size;
        if self.spkms.contains_key(&id) {
            self.log(&format!(
                "Update existing descriptor: {}",
                wd.descriptor.split('#').next().unwrap_or_default()
            ));
        }
        let records = match self.spkms.get_mut(&id) {
            Some(existing) => existing.update_from_import(wd, &new.secrets, encrypt, keypool)?,
            None => {
                let (spkm, records) =
                    DescriptorSpkm::import(wd, self.network, &new.secrets, encrypt, keypool)?;
                self.add_spkm(spkm);
                records
            }
        };
        for r in records {
            self.write(r);
        }
        self.birth_time = self.birth_time.min(new.creation_time);
        let text = new.descriptor.to_string_checksummed();
        let has_scripts = !text.starts_with("unused(");
        if !new.descriptor.is_range() && has_scripts {
            let scripts: Vec<_> = self
                .spkms
                .get(&id)
                .map(|s| s.scripts().map(|(script, _)| script.clone()).collect())
                .unwrap_or_default();
            if scripts.is_empty() {
                return Err(WalletError::Invalid(
                    "Could not generate scriptPubKeys (cache is empty)".into(),
                ));
            }
            if !internal {
                for script in scripts {
                    if let Some(addr) = crate::address::encode(&script, self.network) {
                        self.set_address_book(&addr, label, Some(AddressPurpose::Receive));
                    }
                }
            }
        }
        self.refresh_all_txos();
        Ok(id)
    }

    /// `AddActiveScriptPubKeyMan`: makes `id` the descriptor for new `output_type`
    /// addresses (change ones when `internal`); it stops being active for the other kind.
    pub fn activate_spkm(&mut self, id: DescriptorId, output_type: OutputType, internal: bool) {
        self.log(&format!(
            "Setting spkMan to active: id = {id}, type = {}, internal = {internal}",
            crate::address::output_type_name(output_type)
        ));
        self.set_active(id, output_type, internal);
        let other = if internal {
            &mut self.active_external
        } else {
            &mut self.active_internal
        };
        if other.get(&output_type) == Some(&id) {
            other.remove(&output_type);
        }
    }

    /// `DeactivateScriptPubKeyMan`: `id` stops handing out `output_type` addresses.
    pub fn deactivate_spkm(&mut self, id: DescriptorId, output_type: OutputType, internal: bool) {
        let active = if internal {
            &self.active_internal
        } else {
            &self.active_external
        };
        if active.get(&output_type) != Some(&id) {
            return;
        }
        self.log(&format!(
            "Deactivate spkMan: id = {id}, type = {}, internal = {internal}",
            crate::address::output_type_name(output_type)
        ));
        let byte = output_type.to_u8();
        if internal {
            self.active_internal.remove(&output_type);
            self.erase(&Record::ActiveInternalSpk {
                output_type: byte,
                desc_id: id,
            });
        } else {
            self.active_external.remove(&output_type);
            self.erase(&Record::ActiveExternalSpk {
                output_type: byte,
                desc_id: id,
            });
        }
    }

    /// `GetKeyPoolSize`: addresses left in the active descriptors.
    pub fn keypool_size(&self) -> i64 {
        self.active_ids()
            .iter()
            .filter_map(|id| self.spkms.get(id))
            .map(|s| s.keypool_size())
            .sum()
    }

    /// `TopUpKeyPool`: derives `size` (the `-keypool` size when 0) addresses ahead in every
    /// active descriptor.
    pub fn top_up_keypool(&mut self, size: u32) -> Result<(), WalletError> {
        let size = if size == 0 {
            self.options.keypool_size
        } else {
            size
        };
        for id in self.active_ids() {
            let records = match self.spkms.get_mut(&id) {
                Some(s) => s.top_up(size)?,
                None => continue,
            };
            for r in records {
                self.write(r);
            }
        }
        Ok(())
    }

    /// The active descriptors, each once (`GetActiveScriptPubKeyMans`).
    pub fn active_ids(&self) -> Vec<DescriptorId> {
        let mut ids: Vec<DescriptorId> = self
            .active_external
            .values()
            .chain(self.active_internal.values())
            .copied()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use bitcoin::bip32::{Xpriv, Xpub};
    use bitcoin::{Network, NetworkKind};

    use crate::state::WalletOptions;

    fn xprv() -> Xpriv {
        Xpriv::new_master(NetworkKind::Test, &[9u8; 32]).unwrap()
    }

    fn state() -> WalletState {
        let options = WalletOptions {
            keypool_size: 5,
            ..WalletOptions::default()
        };
        WalletState::new("w", Network::Regtest, options)
    }

    fn parse(text: &str) -> descriptors::Descriptor {
        descriptors::parse(text, false, Network::Regtest)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn keys_are_read_from_descriptor_text() {
        let x = descriptors::encode_xpriv(&xprv(), Network::Regtest);
        let text = format!("wpkh({x}/0/*)");
        let keys = private_keys_of(&text, Network::Regtest);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key, xprv().private_key);
        assert!(!lacks_private_keys(&text, Network::Regtest));
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let xpub = descriptors::encode_xpub(&Xpub::from_priv(&secp, &xprv()), Network::Regtest);
        assert!(lacks_private_keys(
            &format!("wsh(multi(1,{x}/0/*,{xpub}/0/*))"),
            Network::Regtest
        ));
        let hash = "00".repeat(32);
        assert!(!lacks_private_keys(
            &format!("wsh(and_v(v:sha256({hash}),pk({x})))"),
            Network::Regtest
        ));
    }

    #[test]
    fn imported_descriptors_are_stored_updated_and_activated() {
        let mut st = state();
        let x = descriptors::encode_xpriv(&xprv(), Network::Regtest);
        let desc = parse(&format!("wpkh({x}/0/*)"));
        let new = NewDescriptor {
            descriptor: &desc,
            secrets: private_keys_of(&format!("wpkh({x}/0/*)"), Network::Regtest),
            creation_time: 100,
            range_start: 0,
            range_end: 3,
            next_index: 0,
        };
        let id = st.add_wallet_descriptor(&new, "", false).unwrap();
        let spkm = &st.spkms[&id];
        // Topped up to the keypool size past the next index.
        assert_eq!((spkm.wd.range_start, spkm.wd.range_end), (0, 5));
        assert!(spkm.private_string().unwrap().starts_with("wpkh(tprv"));
        assert!(st.birth_time <= 100);
        let changes = st.take_changes();
        assert!(changes
            .iter()
            .any(|c| matches!(c, crate::state::Change::Write(Record::DescriptorKey { .. }))));

        // A narrower range cannot replace the stored one.
        let narrower = NewDescriptor {
            range_end: 2,
            ..new.clone()
        };
        let err = st.add_wallet_descriptor(&narrower, "", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "new range must include current range = [0,4]"
        );
        let wider = NewDescriptor {
            range_end: 8,
            next_index: 2,
            ..new.clone()
        };
        assert_eq!(st.add_wallet_descriptor(&wider, "", false).unwrap(), id);
        assert_eq!(st.spkms[&id].wd.range_end, 8);
        assert_eq!(st.spkms[&id].wd.next_index, 2);

        st.activate_spkm(id, OutputType::Bech32, false);
        assert_eq!(st.active_external.get(&OutputType::Bech32), Some(&id));
        st.activate_spkm(id, OutputType::Bech32, true);
        assert_eq!(st.active_external.get(&OutputType::Bech32), None);
        assert_eq!(st.keypool_size(), 6);
        st.deactivate_spkm(id, OutputType::Bech32, true);
        assert!(st.active_internal.is_empty());
    }

    #[test]
    fn keys_imported_into_an_encrypted_wallet_are_stored_encrypted() {
        let mut st = state();
        crate::crypt::encrypt_state(&mut st, b"pass").unwrap();
        st.take_changes();
        let x = descriptors::encode_xpriv(&xprv(), Network::Regtest);
        let text = format!("wpkh({x}/0/*)");
        let desc = parse(&text);
        let new = NewDescriptor {
            descriptor: &desc,
            secrets: private_keys_of(&text, Network::Regtest),
            creation_time: 1,
            range_start: 0,
            range_end: 1,
            next_index: 0,
        };
        let id = st.add_wallet_descriptor(&new, "", false).unwrap();
        let changes = st.take_changes();
        let written = |f: &dyn Fn(&Record) -> bool| {
            changes
                .iter()
                .any(|c| matches!(c, crate::state::Change::Write(r) if f(r)))
        };
        assert!(written(&|r| matches!(
            r,
            Record::DescriptorCryptedKey { .. }
        )));
        assert!(!written(&|r| matches!(r, Record::DescriptorKey { .. })));
        crate::crypt::lock(&mut st);
        assert!(st.spkms[&id].private_string().is_none());
        assert!(crate::crypt::unlock(&mut st, b"pass"));
        assert!(st.spkms[&id].private_string().is_some());

        crate::crypt::lock(&mut st);
        assert_eq!(
            st.add_wallet_descriptor(&new, "", false).unwrap_err(),
            WalletError::Locked
        );
    }

    #[test]
    fn single_key_descriptors_label_their_address() {
        let mut st = state();
        let wif = descriptors::encode_secret(
            &Secret {
                key: xprv().private_key,
                compressed: true,
            },
            Network::Regtest,
        );
        let text = format!("pkh({wif})");
        let desc = parse(&text);
        let new = NewDescriptor {
            descriptor: &desc,
            secrets: private_keys_of(&text, Network::Regtest),
            creation_time: 1,
            range_start: 0,
            range_end: 1,
            next_index: 0,
        };
        st.add_wallet_descriptor(&new, "coins", false).unwrap();
        let labelled: Vec<_> = st
            .address_book
            .iter()
            .filter(|(_, e)| e.label.as_deref() == Some("coins"))
            .collect();
        assert_eq!(labelled.len(), 1);
        assert_eq!(labelled[0].1.purpose, Some(AddressPurpose::Receive));
    }
}
