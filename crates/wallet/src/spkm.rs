//! One descriptor of the wallet and the scripts it has handed out or will recognise
//! (Core's `DescriptorScriptPubKeyMan`).
//!
//! The stored descriptor is public. Scripts are derived from its normalized form (keys at
//! their last hardened step), so deriving a new address never needs a private key; the
//! normalized form comes from the private keys when they are available, and otherwise from
//! the last-hardened xpub cache Core stores beside the descriptor.

use std::collections::{BTreeMap, HashMap};

use bitcoin::bip32::{ChildNumber, Xpriv, Xpub};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Network, NetworkKind, ScriptBuf};
use descriptors::Secret;
use walletdb::records::{
    DescriptorId, ExtPubKey, PubKeyBytes, Record, SecretBytes, WalletDescriptor,
};

use crate::error::WalletError;

const HARDENED: u32 = 0x8000_0000;

/// Encrypts one private key (given with its serialized public key).
pub type KeyEncryptor<'a> = dyn Fn(&[u8], &Secret) -> Option<Vec<u8>> + 'a;

/// A descriptor the wallet watches, with its keys.
#[derive(Clone)]
pub struct DescriptorSpkm {
    /// Core's descriptor id.
    pub id: DescriptorId,
    /// The stored descriptor and its range.
    pub wd: WalletDescriptor,
    network: Network,
    public: descriptors::Descriptor,
    /// Derives scripts without private keys; `None` until it can be built.
    expander: Option<descriptors::Descriptor>,
    /// Private keys by serialized public key (empty while locked).
    keys: BTreeMap<Vec<u8>, Secret>,
    /// Encrypted private keys by serialized public key.
    crypted: BTreeMap<Vec<u8>, Vec<u8>>,
    parent_cache: BTreeMap<u32, ExtPubKey>,
    lh_cache: BTreeMap<u32, ExtPubKey>,
    /// Keys derived at each index of hardened wildcards, by (key expression, index).
    derived_cache: BTreeMap<(u32, u32), ExtPubKey>,
    /// Every derived script and its index (`m_map_script_pub_keys`).
    scripts: HashMap<ScriptBuf, i32>,
    max_cached: i32,
}

impl std::fmt::Debug for DescriptorSpkm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DescriptorSpkm")
            .field("descriptor", &self.wd.descriptor)
            .finish_non_exhaustive()
    }
}

/// Alphanumeric runs of `text` with their byte offsets: the candidates for keys.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_ascii_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, &text[s..i]));
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// How a key expression's last step ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wildcard {
    /// No `*`.
    None,
    /// `/*`.
    Unhardened,
    /// `/*h` or `/*'`.
    Hardened,
}

/// The derivation steps written right after offset `at` of `text` (`/1/2h/3'`), the
/// wildcard that ends them, and how many bytes they take.
fn path_after(text: &str, at: usize) -> (Vec<u32>, Wildcard, usize) {
    let mut steps = Vec::new();
    let rest = &text[at..];
    let mut used = 0;
    let mut parts = rest.split('/');
    parts.next();
    for part in parts {
        let end = part
            .find(|c: char| !(c.is_ascii_digit() || c == 'h' || c == '\'' || c == '*'))
            .unwrap_or(part.len());
        let step = &part[..end];
        if let Some(after) = step.strip_prefix('*') {
            let kind = if after.starts_with(['h', '\'']) {
                Wildcard::Hardened
            } else {
                Wildcard::Unhardened
            };
            return (steps, kind, used + 1 + end);
        }
        let (digits, hardened) = match step.strip_suffix(['h', '\'']) {
            Some(d) => (d, true),
            None => (step, false),
        };
        let Ok(n) = digits.parse::<u32>() else {
            break;
        };
        steps.push(if hardened { n | HARDENED } else { n });
        used += 1 + end;
        if end < part.len() {
            break;
        }
    }
    (steps, Wildcard::None, used)
}

fn path_text(steps: &[u32]) -> String {
    steps
        .iter()
        .map(|s| {
            if s & HARDENED != 0 {
                format!("/{}h", s & !HARDENED)
            } else {
                format!("/{s}")
            }
        })
        .collect()
}

fn children(steps: &[u32]) -> Vec<ChildNumber> {
    steps.iter().copied().map(ChildNumber::from).collect()
}

fn strip_checksum(text: &str) -> &str {
    text.split('#').next().unwrap_or(text)
}

fn network_kind(network: Network) -> NetworkKind {
    if network == Network::Bitcoin {
        NetworkKind::Main
    } else {
        NetworkKind::Test
    }
}

impl DescriptorSpkm {
    /// A manager for the stored descriptor `wd` (keys and caches are added after).
    pub fn new(wd: WalletDescriptor, network: Network) -> Result<DescriptorSpkm, WalletError> {
        let id = wd
            .id()
            .map_err(|e| WalletError::Corrupt(format!("bad descriptor record: {e}")))?;
        let public = descriptors::parse(&wd.descriptor, false, network)
            .map_err(|e| WalletError::Corrupt(format!("cannot parse descriptor: {e}")))?
            .into_iter()
            .next()
            .ok_or_else(|| WalletError::Corrupt("empty descriptor".into()))?;
        Ok(DescriptorSpkm {
            id,
            wd,
            network,
            public,
            expander: None,
            keys: BTreeMap::new(),
            crypted: BTreeMap::new(),
            parent_cache: BTreeMap::new(),
            lh_cache: BTreeMap::new(),
            derived_cache: BTreeMap::new(),
            scripts: HashMap::new(),
            max_cached: -1,
        })
    }

    /// Core's generated descriptor for `output_type` (`GenerateWalletDescriptor`) from
    /// the wallet's master key, with its key stored and its range filled.
    pub fn generate(
        master: &Xpriv,
        output_type: walletdb::records::OutputType,
        internal: bool,
        network: Network,
        creation_time: u64,
        keypool: u32,
    ) -> Result<(DescriptorSpkm, Vec<Record>), WalletError> {
        use walletdb::records::OutputType as T;
        let secp = Secp256k1::new();
        let xpub = descriptors::encode_xpub(&Xpub::from_priv(&secp, master), network);
        let (prefix, suffix) = match output_type {
            T::Legacy => (format!("pkh({xpub}/44h"), "/*)"),
            T::P2shSegwit => (format!("sh(wpkh({xpub}/49h"), "/*))"),
            T::Bech32 => (format!("wpkh({xpub}/84h"), "/*)"),
            T::Bech32m => (format!("tr({xpub}/86h"), "/*)"),
            _ => return Err(WalletError::Invalid("unknown output type".into())),
        };
        let coin = if network == Network::Bitcoin {
            "/0h"
        } else {
            "/1h"
        };
        let change = if internal { "/1" } else { "/0" };
        let body = format!("{prefix}{coin}/0h{change}{suffix}");
        let parsed = descriptors::parse(&body, false, network)
            .map_err(|e| WalletError::Invalid(e.to_string()))?;
        let text = parsed
            .first()
            .map(|d| d.to_string_checksummed())
            .ok_or_else(|| WalletError::Invalid("empty descriptor".into()))?;
        let wd = WalletDescriptor {
            descriptor: text,
            creation_time,
            next_index: 0,
            range_start: 0,
            range_end: 0,
        };
        let mut spkm = DescriptorSpkm::new(wd, network)?;
        let secret = Secret {
            key: master.private_key,
            compressed: true,
        };
        let mut records = vec![spkm.add_key_record(secret)?];
        records.extend(spkm.build_caches()?);
        records.extend(spkm.top_up(keypool)?);
        Ok((spkm, records))
    }

    /// A manager for an imported descriptor (`CreateFromImport`): its private keys stored
    /// (encrypted by `encrypt` in an encrypted wallet), its xpub caches built and its
    /// range derived and topped up to `keypool`. Returns it with every record to write.
    pub fn import(
        wd: WalletDescriptor,
        network: Network,
        secrets: &[Secret],
        encrypt: Option<&KeyEncryptor<'_>>,
        keypool: u32,
    ) -> Result<(DescriptorSpkm, Vec<Record>), WalletError> {
        let mut spkm = DescriptorSpkm::new(wd, network)?;
        let mut records = spkm.add_keys(secrets, encrypt)?;
        records.extend(spkm.build_caches()?);
        records.extend(spkm.top_up(keypool)?);
        records.push(spkm.descriptor_record());
        Ok((spkm, records))
    }

    /// Replaces the stored descriptor by `wd`, the same descriptor with a range that must
    /// include the current one, adds `secrets` and derives the range again
    /// (`UpdateWalletDescriptor`). Returns the records to write.
    pub fn update_from_import(
        &mut self,
        wd: WalletDescriptor,
        secrets: &[Secret],
        encrypt: Option<&KeyEncryptor<'_>>,
        keypool: u32,
    ) -> Result<Vec<Record>, WalletError> {
        let public = descriptors::parse(&wd.descriptor, false, self.network)
            .map_err(|e| WalletError::Invalid(e.to_string()))?
            .into_iter()
            .next()
            .ok_or_else(|| WalletError::Invalid("empty descriptor".into()))?;
        if public.is_range()
            && (wd.range_start > self.wd.range_start || wd.range_end < self.wd.range_end)
        {
            return Err(WalletError::Invalid(format!(
                "new range must include current range = [{},{}]",
                self.wd.range_start,
                self.wd.range_end - 1
            )));
        }
        self.public = public;
        self.wd = wd;
        self.scripts.clear();
        self.max_cached = -1;
        let mut records = self.add_keys(secrets, encrypt)?;
        records.extend(self.build_caches()?);
        records.extend(self.top_up(keypool)?);
        records.push(self.descriptor_record());
        Ok(records)
    }

    /// Adds private keys not yet held (`AddDescriptorKeyWithDB`): in an encrypted wallet
    /// (`encrypt` given, wallet unlocked) the encrypted key is stored and the plain one
    /// kept in memory only. Returns their records.
    pub fn add_keys(
        &mut self,
        secrets: &[Secret],
        encrypt: Option<&KeyEncryptor<'_>>,
    ) -> Result<Vec<Record>, WalletError> {
        let mut out = Vec::new();
        for secret in secrets {
            let pubkey = Self::pubkey_of(secret);
            if self.keys.contains_key(&pubkey) || self.crypted.contains_key(&pubkey) {
                continue;
            }
            match encrypt {
                Some(enc) => {
                    let crypted = enc(&pubkey, secret).ok_or_else(|| {
                        WalletError::Invalid("writing descriptor private key failed".into())
                    })?;
                    let pk = PubKeyBytes::from_slice(&pubkey)
                        .ok_or_else(|| WalletError::Invalid("bad public key".into()))?;
                    self.crypted.insert(pubkey.clone(), crypted.clone());
                    self.keys.insert(pubkey, *secret);
                    out.push(Record::DescriptorCryptedKey {
                        desc_id: self.id,
                        pubkey: pk,
                        crypted_secret: crypted,
                    });
                }
                None => out.push(self.add_key_record(*secret)?),
            }
        }
        Ok(out)
    }

    /// The public key bytes of `secret` as stored.
    fn pubkey_of(secret: &Secret) -> Vec<u8> {
        signing::secret_pubkey(secret)
    }

    /// Keeps an unencrypted key and returns its record.
    fn add_key_record(&mut self, secret: Secret) -> Result<Record, WalletError> {
        let pubkey = Self::pubkey_of(&secret);
        let der = walletdb::records::privkey_to_der(&secret.key.secret_bytes(), secret.compressed)
            .ok_or_else(|| WalletError::Invalid("cannot encode private key".into()))?;
        let pk = PubKeyBytes::from_slice(&pubkey)
            .ok_or_else(|| WalletError::Invalid("bad public key".into()))?;
        self.keys.insert(pubkey, secret);
        Ok(Record::DescriptorKey {
            desc_id: self.id,
            pubkey: pk,
            privkey_der: der,
        })
    }

    /// Loads a stored unencrypted key.
    pub fn load_key(&mut self, pubkey: &[u8], der: &SecretBytes) -> Result<(), WalletError> {
        let raw = walletdb::records::privkey_from_der(der.as_bytes()).ok_or_else(|| {
            WalletError::Corrupt("descriptor unencrypted key CPrivKey corrupt".into())
        })?;
        let key = SecretKey::from_slice(&raw[..]).map_err(|_| {
            WalletError::Corrupt("descriptor unencrypted key CPrivKey corrupt".into())
        })?;
        let secret = Secret {
            key,
            compressed: pubkey.len() == 33,
        };
        if Self::pubkey_of(&secret) != pubkey {
            return Err(WalletError::Corrupt(
                "descriptor unencrypted key CPubKey/CPrivKey corrupt".into(),
            ));
        }
        self.keys.insert(pubkey.to_vec(), secret);
        Ok(())
    }

    /// Loads a stored encrypted key.
    pub fn load_crypted_key(&mut self, pubkey: &[u8], crypted: Vec<u8>) {
        self.crypted.insert(pubkey.to_vec(), crypted);
    }

    /// Loads a parent xpub cache entry.
    pub fn load_parent_cache(&mut self, key_exp_index: u32, xpub: ExtPubKey) {
        self.parent_cache.insert(key_exp_index, xpub);
    }

    /// Computes the last-hardened xpub cache when it is empty (Core's
    /// `DescriptorScriptPubKeyMan::UpgradeDescriptorCache`); returns its new records.
    pub fn upgrade_descriptor_cache(&mut self) -> Result<Vec<Record>, WalletError> {
        if !self.lh_cache.is_empty() || self.keys.is_empty() {
            return Ok(Vec::new());
        }
        let records = self.build_caches()?;
        Ok(records
            .into_iter()
            .filter(|r| matches!(r, Record::DescriptorLastHardenedCache { .. }))
            .collect())
    }

    /// Loads a last-hardened xpub cache entry.
    pub fn load_lh_cache(&mut self, key_exp_index: u32, xpub: ExtPubKey) {
        self.lh_cache.insert(key_exp_index, xpub);
    }

    /// Loads a derived xpub cache entry (hardened wildcards).
    pub fn load_derived_cache(&mut self, key_exp_index: u32, der_index: u32, xpub: ExtPubKey) {
        self.derived_cache.insert((key_exp_index, der_index), xpub);
    }

    /// Its xpub caches as records of descriptor `id` (Core's `WalletDescriptor::cache`),
    /// to give another wallet the same descriptor without private keys.
    pub fn cache_records(&self, id: DescriptorId) -> Vec<Record> {
        let parents =
            self.parent_cache
                .iter()
                .map(|(&key_exp_index, &xpub)| Record::DescriptorParentCache {
                    desc_id: id,
                    key_exp_index,
                    xpub,
                });
        let last_hardened = self.lh_cache.iter().map(|(&key_exp_index, &xpub)| {
            Record::DescriptorLastHardenedCache {
                desc_id: id,
                key_exp_index,
                xpub,
            }
        });
        let derived = self
            .derived_cache
            .iter()
            .map(
                |(&(key_exp_index, der_index), &xpub)| Record::DescriptorDerivedCache {
                    desc_id: id,
                    key_exp_index,
                    der_index,
                    xpub,
                },
            );
        parents.chain(last_hardened).chain(derived).collect()
    }

    /// Whether a key derives with a hardened wildcard (`/*h`): its scripts need the
    /// private key, or Core's per-index cache.
    fn hardened_wildcard(&self) -> bool {
        self.xpub_exprs().iter().any(|e| e.3 == Wildcard::Hardened)
    }

    /// Whether it holds private keys, plain or encrypted (`HavePrivateKeys`).
    pub fn have_private_keys(&self) -> bool {
        !self.keys.is_empty() || !self.crypted.is_empty()
    }

    /// Whether its keys are encrypted.
    pub fn has_crypted_keys(&self) -> bool {
        !self.crypted.is_empty()
    }

    /// The encrypted keys, by public key.
    pub fn crypted_keys(&self) -> &BTreeMap<Vec<u8>, Vec<u8>> {
        &self.crypted
    }

    /// The plain keys, by public key.
    pub fn plain_keys(&self) -> &BTreeMap<Vec<u8>, Secret> {
        &self.keys
    }

    /// Sets the decrypted keys (unlocking) or clears them (locking an encrypted wallet).
    pub fn set_plain_keys(&mut self, keys: BTreeMap<Vec<u8>, Secret>) {
        self.keys = keys;
        if self.hardened_wildcard() {
            // Its derivation held the private keys: rebuilt when they are back.
            self.expander = None;
        }
    }

    /// Replaces the plain keys by encrypted ones (`encryptwallet`); returns their records.
    pub fn encrypt_keys(&mut self, encrypt: &KeyEncryptor<'_>) -> Result<Vec<Record>, WalletError> {
        let mut out = Vec::new();
        for (pubkey, secret) in &self.keys {
            let crypted = encrypt(pubkey, secret)
                .ok_or_else(|| WalletError::Invalid("Failed to encrypt key".into()))?;
            let pk = PubKeyBytes::from_slice(pubkey)
                .ok_or_else(|| WalletError::Invalid("bad public key".into()))?;
            self.crypted.insert(pubkey.clone(), crypted.clone());
            out.push(Record::DescriptorCryptedKey {
                desc_id: self.id,
                pubkey: pk,
                crypted_secret: crypted,
            });
        }
        Ok(out)
    }

    /// The descriptor's text with every key whose private key is known written privately;
    /// `None` when no private key is known.
    pub fn private_text(&self) -> Option<String> {
        if self.keys.is_empty() {
            return None;
        }
        let text = strip_checksum(&self.wd.descriptor);
        let mut out = String::new();
        let mut last = 0;
        for (at, tok) in tokens(text) {
            let replacement = self.private_token(tok);
            if let Some(r) = replacement {
                out.push_str(&text[last..at]);
                out.push_str(&r);
                last = at + tok.len();
            }
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    fn private_token(&self, tok: &str) -> Option<String> {
        if let Some(xpub) = descriptors::decode_xpub(tok, self.network) {
            let secret = self.keys.get(xpub.public_key.serialize().as_slice())?;
            let xpriv = Xpriv {
                network: network_kind(self.network),
                depth: xpub.depth,
                parent_fingerprint: xpub.parent_fingerprint,
                child_number: xpub.child_number,
                private_key: secret.key,
                chain_code: xpub.chain_code,
            };
            return Some(descriptors::encode_xpriv(&xpriv, self.network));
        }
        let bytes = chain_json::from_hex(tok)?;
        match bytes.len() {
            33 | 65 => self
                .keys
                .get(&bytes)
                .map(|s| descriptors::encode_secret(s, self.network)),
            32 => self
                .keys
                .iter()
                .find(|(pk, _)| pk.len() == 33 && pk[1..] == bytes[..])
                .map(|(_, s)| descriptors::encode_secret(s, self.network)),
            _ => None,
        }
    }

    /// The xpub key expressions of the text, in order, with their offsets and paths.
    fn xpub_exprs(&self) -> Vec<(u32, Xpub, Vec<u32>, Wildcard, usize, usize)> {
        let text = strip_checksum(&self.wd.descriptor);
        let mut out = Vec::new();
        let mut index = 0u32;
        for (at, tok) in tokens(text) {
            if let Some(xpub) = descriptors::decode_xpub(tok, self.network) {
                let (path, wildcard, used) = path_after(text, at + tok.len());
                out.push((index, xpub, path, wildcard, at, tok.len() + used));
                index += 1;
            } else if chain_json::from_hex(tok).is_some_and(|b| matches!(b.len(), 32 | 33 | 65)) {
                index += 1;
            }
        }
        out
    }

    /// Computes the parent and last-hardened xpub caches Core stores, from the private
    /// keys; returns their records.
    fn build_caches(&mut self) -> Result<Vec<Record>, WalletError> {
        let secp = Secp256k1::new();
        let mut out = Vec::new();
        for (index, xpub, path, wildcard, _, _) in self.xpub_exprs() {
            if wildcard == Wildcard::Hardened {
                // Core caches these per index as they are derived.
                continue;
            }
            let last_hardened = path.iter().rposition(|s| s & HARDENED != 0);
            let derive = |steps: &[u32]| -> Option<Xpub> {
                if steps.iter().any(|s| s & HARDENED != 0) {
                    let secret = self.keys.get(xpub.public_key.serialize().as_slice())?;
                    let root = Xpriv {
                        network: network_kind(self.network),
                        depth: xpub.depth,
                        parent_fingerprint: xpub.parent_fingerprint,
                        child_number: xpub.child_number,
                        private_key: secret.key,
                        chain_code: xpub.chain_code,
                    };
                    let d = root.derive_priv(&secp, &children(steps)).ok()?;
                    Some(Xpub::from_priv(&secp, &d))
                } else {
                    xpub.derive_pub(&secp, &children(steps)).ok()
                }
            };
            if let Some(parent) = derive(&path) {
                let e = ExtPubKey::from(&parent);
                self.parent_cache.insert(index, e);
                out.push(Record::DescriptorParentCache {
                    desc_id: self.id,
                    key_exp_index: index,
                    xpub: e,
                });
            }
            if let Some(lh) = last_hardened.and_then(|i| derive(&path[..=i])) {
                let e = ExtPubKey::from(&lh);
                self.lh_cache.insert(index, e);
                out.push(Record::DescriptorLastHardenedCache {
                    desc_id: self.id,
                    key_exp_index: index,
                    xpub: e,
                });
            }
        }
        Ok(out)
    }

    /// The normalized text built from the last-hardened cache (for a locked wallet).
    fn normalized_from_cache(&self) -> Option<String> {
        let text = strip_checksum(&self.wd.descriptor);
        let mut out = String::new();
        let mut last = 0;
        for (index, xpub, path, _, _, _) in self.xpub_exprs() {
            let Some(i) = path.iter().rposition(|s| s & HARDENED != 0) else {
                continue;
            };
            let lh = self
                .lh_cache
                .get(&index)?
                .to_xpub(network_kind(self.network))?;
            let encoded = descriptors::encode_xpub(&xpub, self.network);
            let at = text[last..].find(&encoded)? + last;
            let path_len = path_text(&path).len();
            // The written path may use ' for hardened steps: measure it from the text.
            let written: usize = text[at + encoded.len()..]
                .split_inclusive([')', ',', '*'])
                .next()
                .map(|s| {
                    s.trim_end_matches([')', ',', '*'])
                        .trim_end_matches('/')
                        .len()
                })
                .unwrap_or(path_len);
            out.push_str(&text[last..at]);
            out.push_str(&format!(
                "[{}{}]{}{}",
                chain_json::to_hex(xpub.fingerprint().as_bytes()),
                path_text(&path[..=i]),
                descriptors::encode_xpub(&lh, self.network),
                path_text(&path[i + 1..])
            ));
            last = at + encoded.len() + written;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// Prepares derivation: from the private keys if known, else from the cache.
    fn ensure_expander(&mut self) -> Result<(), WalletError> {
        if self.expander.is_some() {
            return Ok(());
        }
        if self.hardened_wildcard() {
            // Derived with private keys when known; otherwise index by index from the
            // derived cache, in `derive_index`.
            if let Some(private) = self.private_text() {
                self.expander = descriptors::parse(&private, false, self.network)
                    .ok()
                    .and_then(|d| d.into_iter().next());
            }
            return Ok(());
        }
        let normalized = match self.private_text() {
            Some(private) => descriptors::parse(&private, false, self.network)
                .ok()
                .and_then(|d| d.into_iter().next())
                .and_then(|d| d.to_normalized_string()),
            None => self
                .public
                .to_normalized_string()
                .or_else(|| self.normalized_from_cache()),
        };
        let normalized = normalized.ok_or_else(|| {
            WalletError::Corrupt("Unable to expand wallet descriptor from cache".into())
        })?;
        let parsed = descriptors::parse(&normalized, false, self.network).map_err(|e| {
            WalletError::Corrupt(format!("cannot parse normalized descriptor: {e}"))
        })?;
        self.expander = parsed.into_iter().next();
        Ok(())
    }

    /// Derives the scripts of the stored range (`SetCache` at load).
    pub fn load_range(&mut self) -> Result<(), WalletError> {
        self.ensure_expander()?;
        let (start, end) = if self.public.is_range() {
            (self.wd.range_start, self.wd.range_end)
        } else {
            (0, 1)
        };
        for i in start..end {
            self.derive_index(i)?;
        }
        Ok(())
    }

    fn derive_index(&mut self, i: i32) -> Result<Vec<Record>, WalletError> {
        let pos = u32::try_from(i).unwrap_or(0);
        let cant = || WalletError::Corrupt("Unable to expand wallet descriptor from cache".into());
        let mut records = Vec::new();
        let scripts = if self.hardened_wildcard() {
            match self.expander.clone() {
                Some(private) => {
                    records = self.cache_derived(pos)?;
                    private.expand(pos).map_err(|_| cant())?
                }
                None => self
                    .descriptor_from_derived_cache(pos)
                    .ok_or_else(cant)?
                    .expand(pos)
                    .map_err(|_| cant())?,
            }
        } else {
            self.expander
                .as_ref()
                .ok_or_else(|| WalletError::Corrupt("descriptor cannot be expanded".into()))?
                .expand(pos)
                .map_err(|_| cant())?
        };
        for s in scripts {
            self.scripts.insert(s, i);
        }
        self.max_cached = self.max_cached.max(i);
        Ok(records)
    }

    /// Derives and caches the keys of the hardened wildcards at `pos`, from the private
    /// keys; returns their records (Core's derived `walletdescriptorcache` entries).
    fn cache_derived(&mut self, pos: u32) -> Result<Vec<Record>, WalletError> {
        let secp = Secp256k1::new();
        let mut out = Vec::new();
        for (index, xpub, path, wildcard, _, _) in self.xpub_exprs() {
            if wildcard != Wildcard::Hardened {
                continue;
            }
            let Some(secret) = self.keys.get(xpub.public_key.serialize().as_slice()) else {
                continue;
            };
            let root = Xpriv {
                network: network_kind(self.network),
                depth: xpub.depth,
                parent_fingerprint: xpub.parent_fingerprint,
                child_number: xpub.child_number,
                private_key: secret.key,
                chain_code: xpub.chain_code,
            };
            let mut steps = path.clone();
            steps.push(pos | HARDENED);
            let derived = root
                .derive_priv(&secp, &children(&steps))
                .map_err(|e| WalletError::Invalid(format!("cannot derive key: {e}")))?;
            let e = ExtPubKey::from(&Xpub::from_priv(&secp, &derived));
            self.derived_cache.insert((index, pos), e);
            out.push(Record::DescriptorDerivedCache {
                desc_id: self.id,
                key_exp_index: index,
                der_index: pos,
                xpub: e,
            });
        }
        Ok(out)
    }

    /// The descriptor's text at `pos` with each hardened-wildcard key replaced by its key at
    /// that index (its origin extended to it): the private key when `private` and known,
    /// else the cached derived xpub. Other keys are written privately when `private`.
    fn text_at(&self, pos: u32, private: bool) -> Option<String> {
        let secp = Secp256k1::new();
        let text = strip_checksum(&self.wd.descriptor);
        let exprs = self.xpub_exprs();
        let mut out = String::new();
        let mut last = 0;
        for (at, tok) in tokens(text) {
            if at < last {
                continue;
            }
            let hardened = exprs
                .iter()
                .find(|e| e.4 == at && e.3 == Wildcard::Hardened);
            let (start, end, replacement) = match hardened {
                Some((index, xpub, path, _, _, len)) => {
                    let mut steps = path.clone();
                    steps.push(pos | HARDENED);
                    let key = match (
                        private,
                        self.keys.get(xpub.public_key.serialize().as_slice()),
                    ) {
                        (true, Some(secret)) => {
                            let root = Xpriv {
                                network: network_kind(self.network),
                                depth: xpub.depth,
                                parent_fingerprint: xpub.parent_fingerprint,
                                child_number: xpub.child_number,
                                private_key: secret.key,
                                chain_code: xpub.chain_code,
                            };
                            let d = root.derive_priv(&secp, &children(&steps)).ok()?;
                            descriptors::encode_xpriv(&d, self.network)
                        }
                        _ => {
                            let k = self.derived_cache.get(&(*index, pos))?;
                            descriptors::encode_xpub(
                                &k.to_xpub(network_kind(self.network))?,
                                self.network,
                            )
                        }
                    };
                    // Extend a written origin, or start one at the key's own fingerprint.
                    let (start, origin) =
                        match text[..at].strip_suffix(']').and_then(|b| b.rfind('[')) {
                            Some(open) => (open, text[open + 1..at - 1].to_string()),
                            None => (at, chain_json::to_hex(xpub.fingerprint().as_bytes())),
                        };
                    (
                        start,
                        at + len,
                        format!("[{origin}{}]{key}", path_text(&steps)),
                    )
                }
                None if private => match self.private_token(tok) {
                    Some(r) => (at, at + tok.len(), r),
                    None => continue,
                },
                None => continue,
            };
            out.push_str(&text[last..start]);
            out.push_str(&replacement);
            last = end;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// The descriptor at `pos` from the cached derived keys, for a wallet whose private
    /// keys are locked.
    fn descriptor_from_derived_cache(&self, pos: u32) -> Option<descriptors::Descriptor> {
        let text = self.text_at(pos, false)?;
        descriptors::parse(&text, false, self.network)
            .ok()?
            .into_iter()
            .next()
    }

    /// Derives scripts up to `next_index + size` (`TopUp`); returns the changed records.
    pub fn top_up(&mut self, size: u32) -> Result<Vec<Record>, WalletError> {
        self.ensure_expander()?;
        let mut new_end = self
            .wd
            .next_index
            .saturating_add(i32::try_from(size).unwrap_or(i32::MAX))
            .max(self.wd.range_end);
        if !self.public.is_range() {
            new_end = 1;
            self.wd.range_end = 1;
            self.wd.range_start = 0;
        }
        if new_end <= self.max_cached + 1 && self.wd.range_end == new_end {
            return Ok(Vec::new());
        }
        let mut records = Vec::new();
        for i in (self.max_cached + 1)..new_end {
            records.extend(self.derive_index(i)?);
        }
        self.wd.range_end = new_end;
        records.push(self.descriptor_record());
        Ok(records)
    }

    /// The descriptor record as it now stands.
    pub fn descriptor_record(&self) -> Record {
        Record::WalletDescriptor {
            id: self.id,
            descriptor: self.wd.clone(),
        }
    }

    /// Whether `script` is one of its scripts.
    pub fn is_mine(&self, script: &ScriptBuf) -> bool {
        self.scripts.contains_key(script)
    }

    /// The index of `script`.
    pub fn index_of(&self, script: &ScriptBuf) -> Option<i32> {
        self.scripts.get(script).copied()
    }

    /// Every derived script.
    pub fn scripts(&self) -> impl Iterator<Item = (&ScriptBuf, &i32)> {
        self.scripts.iter()
    }

    /// Whether it gives out addresses (`CanGetAddresses`): ranged, of one output type, and
    /// with private keys to derive more, addresses left in its range, or a public form
    /// that derives without keys (`CanSelfExpand`).
    pub fn can_get_addresses(&self) -> bool {
        self.public.is_range()
            && self.public.output_type().is_some()
            && (self.have_private_keys()
                || self.wd.next_index < self.wd.range_end
                || self.public.expand(0).is_ok())
    }

    /// The next receive script (`GetNewDestination`), after topping up; returns it with
    /// the changed records.
    pub fn next_script(&mut self, keypool: u32) -> Result<(ScriptBuf, Vec<Record>), WalletError> {
        if !self.can_get_addresses() {
            return Err(WalletError::Keypool("No addresses available".into()));
        }
        let ran_out = || {
            WalletError::Keypool("Error: Keypool ran out, please call keypoolrefill first".into())
        };
        // A locked wallet may be unable to derive more; what is cached can still be used.
        let mut records = self.top_up(keypool).unwrap_or_default();
        if self.wd.next_index >= self.wd.range_end {
            return Err(ran_out());
        }
        let index = self.wd.next_index;
        let script = self.script_at(index).ok_or_else(ran_out)?;
        // Core tops up before handing out the address only, so the range is not refilled
        // until the next address (or a payment to one) is seen.
        self.wd.next_index += 1;
        records.push(self.descriptor_record());
        Ok((script, records))
    }

    /// The (first) script derived at `index`, if it was derived.
    fn script_at(&self, index: i32) -> Option<ScriptBuf> {
        let mut found: Vec<&ScriptBuf> = self
            .scripts
            .iter()
            .filter(|(_, i)| **i == index)
            .map(|(s, _)| s)
            .collect();
        // Descriptors with one script per index (those that give addresses) have one here.
        found.sort();
        found.first().map(|s| (*s).clone())
    }

    /// Moves the next index past `script` if it was handed out by someone else, and tops
    /// up whenever `script` is one of its own (`MarkUnusedAddresses`); returns the changed
    /// records.
    pub fn mark_used(
        &mut self,
        script: &ScriptBuf,
        keypool: u32,
    ) -> Result<Vec<Record>, WalletError> {
        let Some(&index) = self.scripts.get(script) else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        if self.wd.next_index <= index {
            self.wd.next_index = index + 1;
            records.push(self.descriptor_record());
        }
        // As Core, a top-up a locked wallet cannot do is left for later.
        records.extend(self.top_up(keypool).unwrap_or_default());
        Ok(records)
    }

    /// What a signer needs for index `index`, with private keys when `include_private`
    /// and known.
    pub fn signing_provider(
        &self,
        index: i32,
        include_private: bool,
        out: &mut signing::FlatSigningProvider,
    ) {
        let pos = u32::try_from(index).unwrap_or(0);
        let text = if self.hardened_wildcard() {
            match self.text_at(pos, include_private) {
                Some(t) => t,
                None => return,
            }
        } else {
            match (include_private, self.private_text()) {
                (true, Some(t)) => t,
                _ => self
                    .expander
                    .as_ref()
                    .and_then(|e| e.to_normalized_string())
                    .unwrap_or_else(|| self.wd.descriptor.clone()),
            }
        };
        signing::expand_descriptor_into(&text, pos..=pos, include_private, out);
    }

    /// The public descriptor with checksum (`listdescriptors`), normalized as Core prints it.
    pub fn public_string(&self) -> String {
        self.expander
            .as_ref()
            .and_then(|e| e.to_normalized_string())
            .unwrap_or_else(|| self.wd.descriptor.clone())
    }

    /// The descriptor with private keys and checksum, when they are known.
    pub fn private_string(&self) -> Option<String> {
        let private = self.private_text()?;
        descriptors::parse(&private, false, self.network)
            .ok()?
            .into_iter()
            .next()
            .map(|d| d.to_private_string().0)
    }

    /// Whether the descriptor derives a range of scripts.
    pub fn is_range(&self) -> bool {
        self.public.is_range()
    }

    /// Core's output type name of the descriptor.
    pub fn output_type(&self) -> Option<&'static str> {
        self.public.output_type()
    }

    /// The parsed public descriptor.
    pub fn descriptor(&self) -> &descriptors::Descriptor {
        &self.public
    }

    /// Keys left to hand out (`GetKeyPoolSize`).
    pub fn keypool_size(&self) -> i64 {
        i64::from(self.wd.range_end - self.wd.next_index)
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn master() -> Xpriv {
        Xpriv::new_master(NetworkKind::Test, &[7u8; 32]).unwrap()
    }

    #[test]
    fn generated_descriptors_derive_core_scripts_and_survive_reload() {
        use walletdb::records::OutputType as T;
        let (mut spkm, records) =
            DescriptorSpkm::generate(&master(), T::Bech32, false, Network::Regtest, 1, 10).unwrap();
        assert!(spkm.wd.descriptor.starts_with("wpkh(tpub"));
        assert!(spkm.wd.descriptor.contains("/84h/1h/0h/0/*)#"));
        assert_eq!(spkm.wd.range_end, 10);
        assert!(records
            .iter()
            .any(|r| matches!(r, Record::DescriptorKey { .. })));
        assert!(records
            .iter()
            .any(|r| matches!(r, Record::DescriptorLastHardenedCache { .. })));
        let (s0, _) = spkm.next_script(10).unwrap();
        assert!(s0.is_p2wpkh());
        assert_eq!(spkm.index_of(&s0), Some(0));
        assert!(spkm.public_string().starts_with("wpkh(["));

        // A reload without private keys derives the same scripts from the cache.
        let mut reloaded = DescriptorSpkm::new(spkm.wd.clone(), Network::Regtest).unwrap();
        for r in &records {
            if let Record::DescriptorLastHardenedCache {
                key_exp_index,
                xpub,
                ..
            } = r
            {
                reloaded.load_lh_cache(*key_exp_index, *xpub);
            }
        }
        reloaded.load_range().unwrap();
        assert_eq!(reloaded.index_of(&s0), Some(0));
        assert_eq!(reloaded.public_string(), spkm.public_string());

        // Marking a later script used moves the next index past it.
        let later = spkm
            .scripts()
            .find(|(_, i)| **i == 5)
            .map(|(s, _)| s.clone())
            .unwrap();
        spkm.mark_used(&later, 10).unwrap();
        assert_eq!(spkm.wd.next_index, 6);
        assert_eq!(spkm.wd.range_end, 16);
        let private = spkm.private_string().unwrap();
        assert!(private.starts_with("wpkh(tprv"));
    }

    #[test]
    fn paths_after_keys_read_hardened_steps_and_wildcards() {
        let text = "wpkh(K/84h/1'/0/*)";
        assert_eq!(
            path_after(text, 6),
            (
                vec![84 | HARDENED, 1 | HARDENED, 0],
                Wildcard::Unhardened,
                11
            )
        );
        assert_eq!(path_after("pkh(K)", 5), (vec![], Wildcard::None, 0));
        assert_eq!(
            path_after("wpkh(K/0h/*h)", 6),
            (vec![HARDENED], Wildcard::Hardened, 6)
        );
        assert_eq!(
            path_after("wpkh(K/2/*')", 6),
            (vec![2], Wildcard::Hardened, 5)
        );
    }
}
