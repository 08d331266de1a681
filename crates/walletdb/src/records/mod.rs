//! Typed wallet records: Core's `DBKeys` key/value pairs (wallet/walletdb.cpp) for
//! descriptor wallets.
//!
//! Every key starts with the record type as a length-prefixed string, followed by the
//! type's key fields; values use Core's stream serialization. [`decode`] reads a raw
//! pair into a [`Record`], [`encode`] writes one back. Types this module does not model
//! (including the legacy-wallet ones) come back as [`Record::Unknown`] untouched.
//!
//! Decoding is strict: a known record type whose key or value has bytes left over, or
//! lacks some, is an error rather than a guess, so that a decoded record always
//! encodes to a record Core reads the same way.

mod descid;
mod privkey;
mod types;

use std::fmt;

use bitcoin::consensus::{deserialize_partial, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Transaction, Txid, Wtxid};

pub use descid::{check_checksum, descriptor_checksum, descriptor_id};
pub use privkey::{
    keypair_hash, privkey_from_der, privkey_to_der, PRIVKEY_DER_COMPRESSED_SIZE, PRIVKEY_DER_SIZE,
};
pub use types::{
    AddressPurpose, BlockLocator, DescriptorId, ExtPubKey, OutputType, PubKeyBytes, SecretBytes,
    WalletDescriptor, BIP32_EXTKEY_SIZE,
};

use crate::crypter::MasterKey;
use crate::ser::{put_string, put_var_bytes, Reader, SerError};
use crate::wtx::{WalletTxRecord, WtxError};

/// The record type strings (Core's `DBKeys`).
pub mod keys {
    /// Legacy accounting entry (unused since 0.17).
    pub const ACENTRY: &str = "acentry";
    /// Active receive descriptor for an output type.
    pub const ACTIVEEXTERNALSPK: &str = "activeexternalspk";
    /// Active change descriptor for an output type.
    pub const ACTIVEINTERNALSPK: &str = "activeinternalspk";
    /// Best block locator, written empty by current Core.
    pub const BESTBLOCK: &str = "bestblock";
    /// Best block locator.
    pub const BESTBLOCK_NOMERKLE: &str = "bestblock_nomerkle";
    /// Legacy encrypted key.
    pub const CRYPTED_KEY: &str = "ckey";
    /// Legacy redeem script.
    pub const CSCRIPT: &str = "cscript";
    /// Legacy default key.
    pub const DEFAULTKEY: &str = "defaultkey";
    /// Per-address data ("used", "rr<id>").
    pub const DESTDATA: &str = "destdata";
    /// Wallet flags.
    pub const FLAGS: &str = "flags";
    /// Legacy HD chain.
    pub const HDCHAIN: &str = "hdchain";
    /// Legacy key metadata.
    pub const KEYMETA: &str = "keymeta";
    /// Legacy unencrypted key.
    pub const KEY: &str = "key";
    /// Locked coin.
    pub const LOCKED_UTXO: &str = "lockedutxo";
    /// Encryption master key.
    pub const MASTER_KEY: &str = "mkey";
    /// Minimum client version (old wallets).
    pub const MINVERSION: &str = "minversion";
    /// Address label.
    pub const NAME: &str = "name";
    /// Very old key format.
    pub const OLD_KEY: &str = "wkey";
    /// Next transaction order position.
    pub const ORDERPOSNEXT: &str = "orderposnext";
    /// Legacy keypool entry.
    pub const POOL: &str = "pool";
    /// Address purpose.
    pub const PURPOSE: &str = "purpose";
    /// Old settings record.
    pub const SETTINGS: &str = "settings";
    /// Wallet transaction.
    pub const TX: &str = "tx";
    /// Witness variant of a wallet transaction.
    pub const WTX_VARIANT: &str = "wtxvariant";
    /// Last client version to open the wallet.
    pub const VERSION: &str = "version";
    /// Descriptor.
    pub const WALLETDESCRIPTOR: &str = "walletdescriptor";
    /// Descriptor parent/derived xpub cache.
    pub const WALLETDESCRIPTORCACHE: &str = "walletdescriptorcache";
    /// Descriptor last-hardened xpub cache.
    pub const WALLETDESCRIPTORLHCACHE: &str = "walletdescriptorlhcache";
    /// Encrypted descriptor key.
    pub const WALLETDESCRIPTORCKEY: &str = "walletdescriptorckey";
    /// Unencrypted descriptor key.
    pub const WALLETDESCRIPTORKEY: &str = "walletdescriptorkey";
    /// Legacy watch-only metadata.
    pub const WATCHMETA: &str = "watchmeta";
    /// Legacy watch-only script.
    pub const WATCHS: &str = "watchs";

    /// Types that belong only to legacy wallets; Core refuses a descriptor wallet that
    /// holds any (`DBKeys::LEGACY_TYPES`).
    pub const LEGACY_TYPES: [&str; 10] = [
        CRYPTED_KEY,
        CSCRIPT,
        DEFAULTKEY,
        HDCHAIN,
        KEYMETA,
        KEY,
        OLD_KEY,
        POOL,
        WATCHMETA,
        WATCHS,
    ];
}

/// Wallet flag bits (`WalletFlags` in walletutil.h).
pub mod flags {
    /// Track address reuse.
    pub const AVOID_REUSE: u64 = 1 << 0;
    /// Legacy metadata has key origins.
    pub const KEY_ORIGIN_METADATA: u64 = 1 << 1;
    /// Descriptor caches hold last hardened xpubs.
    pub const LAST_HARDENED_XPUB_CACHED: u64 = 1 << 2;
    /// Watch-only wallet.
    pub const DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
    /// Created blank.
    pub const BLANK_WALLET: u64 = 1 << 33;
    /// Descriptor wallet.
    pub const DESCRIPTORS: u64 = 1 << 34;
    /// Needs an external signer.
    pub const EXTERNAL_SIGNER: u64 = 1 << 35;
    /// Every flag Core knows.
    pub const KNOWN: u64 = AVOID_REUSE
        | KEY_ORIGIN_METADATA
        | LAST_HARDENED_XPUB_CACHED
        | DISABLE_PRIVATE_KEYS
        | BLANK_WALLET
        | DESCRIPTORS
        | EXTERNAL_SIGNER;
    /// Unknown flags in this range stop Core from opening the wallet; unknown flags
    /// below are tolerated.
    pub const MUTABLE_MASK: u64 = (1 << 32) - 1;

    /// Whether Core would refuse `flags` as "too new" (an unknown flag at or above 2^32).
    pub fn has_unknown_mandatory(flags: u64) -> bool {
        flags & !KNOWN & !MUTABLE_MASK != 0
    }
}

/// Why a key/value pair did not decode as the record its type names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// A field of a `kind` record did not deserialize.
    Malformed {
        /// The record type.
        kind: &'static str,
        /// Whether the key (rather than the value) was at fault.
        in_key: bool,
        /// What went wrong.
        error: SerError,
    },
    /// A public key whose length does not match its first byte (Core's text).
    BadPubKey(&'static str),
    /// The stored pubkey/privkey hash does not match (Core's text).
    KeyPairHashMismatch,
    /// The `CPrivKey` did not parse as Core's DER (Core's text).
    BadPrivKey,
    /// A descriptor cache value that is not a 74-byte extended key.
    BadExtPubKeySize(usize),
    /// A descriptor string Core would not accept (checksum errors, Core's texts).
    InvalidDescriptor(String),
    /// A `tx` value that did not read.
    Tx(WtxError),
    /// A witness variant whose transaction does not have the txid in its key (Core's text).
    VariantTxidMismatch,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Malformed { kind, in_key, error } => {
                let part = if *in_key { "key" } else { "value" };
                write!(f, "malformed '{kind}' record {part}: {error}")
            }
            RecordError::BadPubKey(msg) => f.write_str(msg),
            RecordError::KeyPairHashMismatch => f.write_str(
                "Error reading wallet database: descriptor unencrypted key CPubKey/CPrivKey corrupt",
            ),
            RecordError::BadPrivKey => f.write_str(
                "Error reading wallet database: descriptor unencrypted key CPrivKey corrupt",
            ),
            RecordError::BadExtPubKeySize(n) => {
                write!(f, "descriptor cache entry has {n} bytes, not {BIP32_EXTKEY_SIZE}")
            }
            RecordError::InvalidDescriptor(msg) => f.write_str(msg),
            RecordError::Tx(e) => write!(f, "Error: Corrupt tx record found: {e}"),
            RecordError::VariantTxidMismatch => {
                f.write_str("Corrupted witness variant, tx hash differs")
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// One wallet database entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// `version`: last client version (`CLIENT_VERSION`) to open the wallet.
    Version(i32),
    /// `minversion`: written by old releases.
    MinVersion(i32),
    /// `flags`: wallet flag bits, see [`flags`].
    Flags(u64),
    /// `orderposnext`: next transaction order position.
    OrderPosNext(i64),
    /// `bestblock`: Core writes an empty locator here so old releases rescan.
    BestBlock(BlockLocator),
    /// `bestblock_nomerkle`: the wallet's best block.
    BestBlockNoMerkle(BlockLocator),
    /// `tx`: a wallet transaction.
    Tx {
        /// Key: the txid.
        txid: Txid,
        /// The `CWalletTx`.
        wtx: Box<WalletTxRecord>,
    },
    /// `wtxvariant`: another witness form of a wallet transaction.
    WtxVariant {
        /// Key: txid of the wallet transaction.
        txid: Txid,
        /// Key: this variant's wtxid.
        wtxid: Wtxid,
        /// The variant, serialized with witness.
        tx: Box<Transaction>,
    },
    /// `walletdescriptor`: a descriptor and its range.
    WalletDescriptor {
        /// Key: the descriptor id.
        id: DescriptorId,
        /// The descriptor.
        descriptor: WalletDescriptor,
    },
    /// `walletdescriptorcache` keyed by key-expression index only: a parent xpub.
    DescriptorParentCache {
        /// Descriptor id.
        desc_id: DescriptorId,
        /// Position of the key expression in the descriptor.
        key_exp_index: u32,
        /// The cached xpub.
        xpub: ExtPubKey,
    },
    /// `walletdescriptorcache` keyed by key-expression and derivation index.
    DescriptorDerivedCache {
        /// Descriptor id.
        desc_id: DescriptorId,
        /// Position of the key expression in the descriptor.
        key_exp_index: u32,
        /// Derivation index.
        der_index: u32,
        /// The cached xpub.
        xpub: ExtPubKey,
    },
    /// `walletdescriptorlhcache`: last hardened xpub of a key expression.
    DescriptorLastHardenedCache {
        /// Descriptor id.
        desc_id: DescriptorId,
        /// Position of the key expression in the descriptor.
        key_exp_index: u32,
        /// The cached xpub.
        xpub: ExtPubKey,
    },
    /// `walletdescriptorkey`: an unencrypted private key. The stored hash is checked
    /// on decode and recomputed on encode.
    DescriptorKey {
        /// Descriptor id.
        desc_id: DescriptorId,
        /// The public key.
        pubkey: PubKeyBytes,
        /// The `CPrivKey` (DER), see [`privkey_to_der`].
        privkey_der: SecretBytes,
    },
    /// `walletdescriptorckey`: an encrypted private key.
    DescriptorCryptedKey {
        /// Descriptor id.
        desc_id: DescriptorId,
        /// The public key.
        pubkey: PubKeyBytes,
        /// The secret encrypted under the master key, see [`crate::crypter::encrypt_key`].
        crypted_secret: Vec<u8>,
    },
    /// `mkey`: an encryption master key.
    MasterKey {
        /// Key: the master key's number.
        id: u32,
        /// The `CMasterKey`.
        key: MasterKey,
    },
    /// `activeexternalspk`: the receive descriptor for an output type.
    ActiveExternalSpk {
        /// Key: [`OutputType`] as its byte.
        output_type: u8,
        /// The descriptor id.
        desc_id: DescriptorId,
    },
    /// `activeinternalspk`: the change descriptor for an output type.
    ActiveInternalSpk {
        /// Key: [`OutputType`] as its byte.
        output_type: u8,
        /// The descriptor id.
        desc_id: DescriptorId,
    },
    /// `name`: an address book label.
    Name {
        /// Key: the address.
        address: String,
        /// The label.
        label: String,
    },
    /// `purpose`: an address book purpose (see [`AddressPurpose`]; Core keeps others).
    Purpose {
        /// Key: the address.
        address: String,
        /// The purpose string.
        purpose: String,
    },
    /// `destdata`: per-address data. Core writes key `used` (value "1") for spent-from
    /// addresses and `rr<id>` for receive requests.
    DestData {
        /// Key: the address.
        address: String,
        /// Key: the data name.
        key: String,
        /// The data.
        value: String,
    },
    /// `lockedutxo`: a coin locked persistently. Core writes the byte `'1'` as value and
    /// ignores it on read; so does this type.
    LockedUtxo {
        /// Key: the locked outpoint.
        outpoint: OutPoint,
    },
    /// Any other record, including legacy ones, kept as raw bytes.
    Unknown {
        /// The whole key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
}

impl Record {
    /// The `destdata` record Core writes for an address spent from with avoid-reuse on.
    pub fn previously_spent(address: impl Into<String>) -> Self {
        Record::DestData {
            address: address.into(),
            key: "used".into(),
            value: "1".into(),
        }
    }

    /// The `destdata` record for receive request `id`.
    pub fn receive_request(
        address: impl Into<String>,
        id: &str,
        request: impl Into<String>,
    ) -> Self {
        Record::DestData {
            address: address.into(),
            key: format!("rr{id}"),
            value: request.into(),
        }
    }

    /// The record type string of this record (for `Unknown`, read from its key).
    pub fn kind(&self) -> Option<String> {
        let k = match self {
            Record::Version(_) => keys::VERSION,
            Record::MinVersion(_) => keys::MINVERSION,
            Record::Flags(_) => keys::FLAGS,
            Record::OrderPosNext(_) => keys::ORDERPOSNEXT,
            Record::BestBlock(_) => keys::BESTBLOCK,
            Record::BestBlockNoMerkle(_) => keys::BESTBLOCK_NOMERKLE,
            Record::Tx { .. } => keys::TX,
            Record::WtxVariant { .. } => keys::WTX_VARIANT,
            Record::WalletDescriptor { .. } => keys::WALLETDESCRIPTOR,
            Record::DescriptorParentCache { .. } | Record::DescriptorDerivedCache { .. } => {
                keys::WALLETDESCRIPTORCACHE
            }
            Record::DescriptorLastHardenedCache { .. } => keys::WALLETDESCRIPTORLHCACHE,
            Record::DescriptorKey { .. } => keys::WALLETDESCRIPTORKEY,
            Record::DescriptorCryptedKey { .. } => keys::WALLETDESCRIPTORCKEY,
            Record::MasterKey { .. } => keys::MASTER_KEY,
            Record::ActiveExternalSpk { .. } => keys::ACTIVEEXTERNALSPK,
            Record::ActiveInternalSpk { .. } => keys::ACTIVEINTERNALSPK,
            Record::Name { .. } => keys::NAME,
            Record::Purpose { .. } => keys::PURPOSE,
            Record::DestData { .. } => keys::DESTDATA,
            Record::LockedUtxo { .. } => keys::LOCKED_UTXO,
            Record::Unknown { key, .. } => return record_type(key),
        };
        Some(k.to_string())
    }
}

/// The record type string at the start of a raw key, if it has one.
pub fn record_type(key: &[u8]) -> Option<String> {
    Reader::new(key).string().ok()
}

/// The key prefix selecting every record of type `kind` (for prefix iteration).
pub fn type_prefix(kind: &str) -> Vec<u8> {
    let mut out = Vec::new();
    put_string(&mut out, kind);
    out
}

/// The key prefix selecting one descriptor's records of type `kind` (Core's
/// `PrefixStream(kind, id)`), e.g. its cache entries or keys.
pub fn descriptor_prefix(kind: &str, desc_id: &DescriptorId) -> Vec<u8> {
    let mut out = type_prefix(kind);
    out.extend_from_slice(&desc_id.0);
    out
}

/// The key prefix of all witness variants of `txid`.
pub fn wtx_variant_prefix(txid: &Txid) -> Vec<u8> {
    let mut out = type_prefix(keys::WTX_VARIANT);
    out.extend_from_slice(txid.as_byte_array());
    out
}

fn xpub_value(xpub: &ExtPubKey) -> Vec<u8> {
    let mut v = Vec::with_capacity(BIP32_EXTKEY_SIZE + 1);
    put_var_bytes(&mut v, &xpub.encode());
    v
}

/// Serializes `record` as Core's (key, value) bytes.
pub fn encode(record: &Record) -> (Vec<u8>, Vec<u8>) {
    let mut key = Vec::new();
    let mut value = Vec::new();
    if let Some(kind) = record.kind() {
        if !matches!(record, Record::Unknown { .. }) {
            put_string(&mut key, &kind);
        }
    }
    match record {
        Record::Version(v) | Record::MinVersion(v) => value.extend_from_slice(&v.to_le_bytes()),
        Record::Flags(v) => value.extend_from_slice(&v.to_le_bytes()),
        Record::OrderPosNext(v) => value.extend_from_slice(&v.to_le_bytes()),
        Record::BestBlock(l) | Record::BestBlockNoMerkle(l) => l.write(&mut value),
        Record::Tx { txid, wtx } => {
            key.extend_from_slice(txid.as_byte_array());
            value = wtx.encode();
        }
        Record::WtxVariant { txid, wtxid, tx } => {
            key.extend_from_slice(txid.as_byte_array());
            key.extend_from_slice(wtxid.as_byte_array());
            value = serialize(tx.as_ref());
        }
        Record::WalletDescriptor { id, descriptor } => {
            key.extend_from_slice(&id.0);
            descriptor.write(&mut value);
        }
        Record::DescriptorParentCache {
            desc_id,
            key_exp_index,
            xpub,
        }
        | Record::DescriptorLastHardenedCache {
            desc_id,
            key_exp_index,
            xpub,
        } => {
            key.extend_from_slice(&desc_id.0);
            key.extend_from_slice(&key_exp_index.to_le_bytes());
            value = xpub_value(xpub);
        }
        Record::DescriptorDerivedCache {
            desc_id,
            key_exp_index,
            der_index,
            xpub,
        } => {
            key.extend_from_slice(&desc_id.0);
            key.extend_from_slice(&key_exp_index.to_le_bytes());
            key.extend_from_slice(&der_index.to_le_bytes());
            value = xpub_value(xpub);
        }
        Record::DescriptorKey {
            desc_id,
            pubkey,
            privkey_der,
        } => {
            key.extend_from_slice(&desc_id.0);
            pubkey.write(&mut key);
            put_var_bytes(&mut value, privkey_der.as_bytes());
            value.extend_from_slice(&keypair_hash(pubkey.as_bytes(), privkey_der.as_bytes()));
        }
        Record::DescriptorCryptedKey {
            desc_id,
            pubkey,
            crypted_secret,
        } => {
            key.extend_from_slice(&desc_id.0);
            pubkey.write(&mut key);
            put_var_bytes(&mut value, crypted_secret);
        }
        Record::MasterKey { id, key: mk } => {
            key.extend_from_slice(&id.to_le_bytes());
            value = mk.encode();
        }
        Record::ActiveExternalSpk {
            output_type,
            desc_id,
        }
        | Record::ActiveInternalSpk {
            output_type,
            desc_id,
        } => {
            key.push(*output_type);
            value.extend_from_slice(&desc_id.0);
        }
        Record::Name {
            address,
            label: text,
        }
        | Record::Purpose {
            address,
            purpose: text,
        } => {
            put_string(&mut key, address);
            put_string(&mut value, text);
        }
        Record::DestData {
            address,
            key: name,
            value: data,
        } => {
            put_string(&mut key, address);
            put_string(&mut key, name);
            put_string(&mut value, data);
        }
        Record::LockedUtxo { outpoint } => {
            key.extend_from_slice(outpoint.txid.as_byte_array());
            key.extend_from_slice(&outpoint.vout.to_le_bytes());
            value.push(b'1');
        }
        Record::Unknown { key: k, value: v } => {
            key = k.clone();
            value = v.clone();
        }
    }
    (key, value)
}

/// Reads key and value of one record type, tagging errors with where they happened.
struct Fields<'a> {
    kind: &'static str,
    key: Reader<'a>,
    value: Reader<'a>,
}

impl<'a> Fields<'a> {
    fn key<T>(
        &mut self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, SerError>,
    ) -> Result<T, RecordError> {
        f(&mut self.key).map_err(|error| RecordError::Malformed {
            kind: self.kind,
            in_key: true,
            error,
        })
    }

    fn value<T>(
        &mut self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, SerError>,
    ) -> Result<T, RecordError> {
        f(&mut self.value).map_err(|error| RecordError::Malformed {
            kind: self.kind,
            in_key: false,
            error,
        })
    }

    /// Core reads a record's fields and ignores whatever follows them, in the key and in
    /// the value; so do we, so that every file Core loads loads here too.
    fn done(self) -> Result<(), RecordError> {
        Ok(())
    }

    fn desc_id(&mut self) -> Result<DescriptorId, RecordError> {
        self.key(|r| r.hash()).map(DescriptorId)
    }

    fn pubkey(&mut self, corrupt: &'static str) -> Result<PubKeyBytes, RecordError> {
        self.key(PubKeyBytes::read)?
            .ok_or(RecordError::BadPubKey(corrupt))
    }

    fn xpub(&mut self) -> Result<ExtPubKey, RecordError> {
        let raw = self.value(|r| r.var_bytes())?;
        let code: &[u8; BIP32_EXTKEY_SIZE] = raw
            .as_slice()
            .try_into()
            .map_err(|_| RecordError::BadExtPubKeySize(raw.len()))?;
        Ok(ExtPubKey::decode(code))
    }
}

fn read_tx(r: &mut Reader<'_>) -> Result<Transaction, SerError> {
    // The transaction parser reports its own errors; for records they all mean the
    // value ended or held garbage where a transaction belongs.
    let (tx, used) =
        deserialize_partial::<Transaction>(r.rest()).map_err(|_| SerError::UnexpectedEnd)?;
    r.bytes(used)?;
    Ok(tx)
}

/// The known record type matching a type string.
fn known_kind(kind: &str) -> Option<&'static str> {
    const KNOWN: [&str; 20] = [
        keys::VERSION,
        keys::MINVERSION,
        keys::FLAGS,
        keys::ORDERPOSNEXT,
        keys::BESTBLOCK,
        keys::BESTBLOCK_NOMERKLE,
        keys::TX,
        keys::WTX_VARIANT,
        keys::WALLETDESCRIPTOR,
        keys::WALLETDESCRIPTORCACHE,
        keys::WALLETDESCRIPTORLHCACHE,
        keys::WALLETDESCRIPTORKEY,
        keys::WALLETDESCRIPTORCKEY,
        keys::MASTER_KEY,
        keys::ACTIVEEXTERNALSPK,
        keys::ACTIVEINTERNALSPK,
        keys::NAME,
        keys::PURPOSE,
        keys::DESTDATA,
        keys::LOCKED_UTXO,
    ];
    KNOWN.iter().copied().find(|k| *k == kind)
}

/// Parses one raw (key, value) pair. Unknown record types give [`Record::Unknown`];
/// known ones must be well formed, with Core's checks (key pair hash, DER key, public
/// key size, transaction map values, variant txid).
pub fn decode(key: &[u8], value: &[u8]) -> Result<Record, RecordError> {
    let mut key_reader = Reader::new(key);
    let unknown = || Record::Unknown {
        key: key.to_vec(),
        value: value.to_vec(),
    };
    let Some(kind) = key_reader.string().ok().as_deref().and_then(known_kind) else {
        return Ok(unknown());
    };
    let mut f = Fields {
        kind,
        key: key_reader,
        value: Reader::new(value),
    };
    let record = match kind {
        keys::VERSION => Record::Version(f.value(|r| r.i32())?),
        keys::MINVERSION => Record::MinVersion(f.value(|r| r.i32())?),
        keys::FLAGS => Record::Flags(f.value(|r| r.u64())?),
        keys::ORDERPOSNEXT => Record::OrderPosNext(f.value(|r| r.i64())?),
        keys::BESTBLOCK => Record::BestBlock(f.value(BlockLocator::read)?),
        keys::BESTBLOCK_NOMERKLE => Record::BestBlockNoMerkle(f.value(BlockLocator::read)?),
        keys::TX => {
            let txid = Txid::from_byte_array(f.key(|r| r.hash())?);
            let wtx = WalletTxRecord::read(&mut f.value).map_err(RecordError::Tx)?;
            Record::Tx {
                txid,
                wtx: Box::new(wtx),
            }
        }
        keys::WTX_VARIANT => {
            let txid = Txid::from_byte_array(f.key(|r| r.hash())?);
            let wtxid = Wtxid::from_byte_array(f.key(|r| r.hash())?);
            let tx = f.value(read_tx)?;
            if tx.compute_txid() != txid {
                return Err(RecordError::VariantTxidMismatch);
            }
            Record::WtxVariant {
                txid,
                wtxid,
                tx: Box::new(tx),
            }
        }
        keys::WALLETDESCRIPTOR => {
            let id = f.desc_id()?;
            Record::WalletDescriptor {
                id,
                descriptor: f.value(WalletDescriptor::read)?,
            }
        }
        keys::WALLETDESCRIPTORCACHE => {
            let desc_id = f.desc_id()?;
            let key_exp_index = f.key(|r| r.u32())?;
            // Core tells the two kinds apart by whether a derivation index follows.
            let der_index = if f.key.remaining() > 0 {
                Some(f.key(|r| r.u32())?)
            } else {
                None
            };
            let xpub = f.xpub()?;
            match der_index {
                Some(der_index) => Record::DescriptorDerivedCache {
                    desc_id,
                    key_exp_index,
                    der_index,
                    xpub,
                },
                None => Record::DescriptorParentCache {
                    desc_id,
                    key_exp_index,
                    xpub,
                },
            }
        }
        keys::WALLETDESCRIPTORLHCACHE => {
            let desc_id = f.desc_id()?;
            let key_exp_index = f.key(|r| r.u32())?;
            Record::DescriptorLastHardenedCache {
                desc_id,
                key_exp_index,
                xpub: f.xpub()?,
            }
        }
        keys::WALLETDESCRIPTORKEY => {
            let desc_id = f.desc_id()?;
            let pubkey = f.pubkey(
                "Error reading wallet database: descriptor unencrypted key CPubKey corrupt",
            )?;
            let privkey_der = SecretBytes::new(f.value(|r| r.var_bytes())?);
            let hash = f.value(|r| r.hash())?;
            if keypair_hash(pubkey.as_bytes(), privkey_der.as_bytes()) != hash {
                return Err(RecordError::KeyPairHashMismatch);
            }
            if privkey_from_der(privkey_der.as_bytes()).is_none() {
                return Err(RecordError::BadPrivKey);
            }
            Record::DescriptorKey {
                desc_id,
                pubkey,
                privkey_der,
            }
        }
        keys::WALLETDESCRIPTORCKEY => {
            let desc_id = f.desc_id()?;
            let pubkey = f.pubkey(
                "Error reading wallet database: descriptor encrypted key CPubKey corrupt",
            )?;
            let crypted_secret = f.value(|r| r.var_bytes())?;
            Record::DescriptorCryptedKey {
                desc_id,
                pubkey,
                crypted_secret,
            }
        }
        keys::MASTER_KEY => {
            let id = f.key(|r| r.u32())?;
            Record::MasterKey {
                id,
                key: f.value(MasterKey::read)?,
            }
        }
        keys::ACTIVEEXTERNALSPK | keys::ACTIVEINTERNALSPK => {
            let output_type = f.key(|r| r.u8())?;
            let desc_id = DescriptorId(f.value(|r| r.hash())?);
            if kind == keys::ACTIVEEXTERNALSPK {
                Record::ActiveExternalSpk {
                    output_type,
                    desc_id,
                }
            } else {
                Record::ActiveInternalSpk {
                    output_type,
                    desc_id,
                }
            }
        }
        keys::NAME => {
            let address = f.key(|r| r.string())?;
            Record::Name {
                address,
                label: f.value(|r| r.string())?,
            }
        }
        keys::PURPOSE => {
            let address = f.key(|r| r.string())?;
            Record::Purpose {
                address,
                purpose: f.value(|r| r.string())?,
            }
        }
        keys::DESTDATA => {
            let address = f.key(|r| r.string())?;
            let name = f.key(|r| r.string())?;
            Record::DestData {
                address,
                key: name,
                value: f.value(|r| r.string())?,
            }
        }
        keys::LOCKED_UTXO => {
            let txid = Txid::from_byte_array(f.key(|r| r.hash())?);
            let vout = f.key(|r| r.u32())?;
            // The value is ignored, as Core ignores it.
            f.value = Reader::new(&[]);
            Record::LockedUtxo {
                outpoint: OutPoint { txid, vout },
            }
        }
        _ => return Ok(unknown()),
    };
    f.done()?;
    Ok(record)
}

#[cfg(test)]
pub(crate) mod tests;
