//! Value types that appear inside wallet records, each with Core's byte layout.

use std::fmt;

use bitcoin::bip32::{ChainCode, ChildNumber, Fingerprint, Xpub};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::secp256k1::PublicKey;
use bitcoin::{BlockHash, NetworkKind};
use zeroize::Zeroizing;

use super::RecordError;
use crate::ser::{put_compact_size, Reader, SerError};

/// Core's `BIP32_EXTKEY_SIZE`: an extended public key without its version bytes.
pub const BIP32_EXTKEY_SIZE: usize = 74;

/// A descriptor's id: a `uint256` kept in its stored byte order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DescriptorId(pub [u8; 32]);

impl DescriptorId {
    /// The id as Core prints a `uint256` (`GetHex`): bytes reversed.
    pub fn to_core_hex(&self) -> String {
        self.0.iter().rev().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses Core's printed form (reversed byte order, 64 hex digits).
    pub fn from_core_hex(hex: &str) -> Option<Self> {
        let mut bytes = crate::hex::decode(hex)?;
        if bytes.len() != 32 {
            return None;
        }
        bytes.reverse();
        let mut id = [0u8; 32];
        id.copy_from_slice(&bytes);
        Some(DescriptorId(id))
    }
}

impl fmt::Debug for DescriptorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DescriptorId({})", self.to_core_hex())
    }
}

impl fmt::Display for DescriptorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_core_hex())
    }
}

/// A serialized `CPubKey`: 33 bytes (compressed) or 65 (uncompressed or hybrid), with
/// the length fixed by the first byte as Core's `CPubKey::IsValid` requires. The point
/// itself is not checked, as Core does not check it when loading either.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PubKeyBytes(Vec<u8>);

impl PubKeyBytes {
    /// The length Core expects for a key starting with `header` (`CPubKey::GetLen`).
    fn expected_len(header: u8) -> usize {
        match header {
            2 | 3 => 33,
            4 | 6 | 7 => 65,
            _ => 0,
        }
    }

    /// Accepts bytes whose length matches their header byte.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let header = *bytes.first()?;
        (Self::expected_len(header) == bytes.len()).then(|| PubKeyBytes(bytes.to_vec()))
    }

    /// The serialized key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether this is a 33-byte key.
    pub fn is_compressed(&self) -> bool {
        self.0.len() == 33
    }

    /// Core's `CPubKey::GetHash`: double SHA-256 of the key bytes.
    pub fn hash(&self) -> [u8; 32] {
        sha256d::Hash::hash(&self.0).to_byte_array()
    }

    /// The key as a curve point, if it is one.
    pub fn to_public_key(&self) -> Option<bitcoin::PublicKey> {
        bitcoin::PublicKey::from_slice(&self.0).ok()
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        crate::ser::put_var_bytes(out, &self.0);
    }

    /// Reads a `CPubKey`; `None` when Core would mark it invalid.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Option<Self>, SerError> {
        let raw = r.var_bytes()?;
        Ok(Self::from_slice(&raw))
    }
}

impl From<bitcoin::PublicKey> for PubKeyBytes {
    fn from(pk: bitcoin::PublicKey) -> Self {
        PubKeyBytes(pk.to_bytes())
    }
}

impl From<PublicKey> for PubKeyBytes {
    fn from(pk: PublicKey) -> Self {
        PubKeyBytes(pk.serialize().to_vec())
    }
}

impl fmt::Debug for PubKeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PubKeyBytes({})", crate::hex::encode(&self.0))
    }
}

/// Bytes that hold private key material: zeroed when dropped, and never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

/// Core's `CBlockLocator`: a dummy version followed by block hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockLocator {
    /// Written but never interpreted; Core now always writes [`BlockLocator::DUMMY_VERSION`],
    /// older releases wrote their client version.
    pub version: i32,
    /// Block hashes, tip first.
    pub have: Vec<BlockHash>,
}

impl BlockLocator {
    /// The version Core writes (`CBlockLocator::DUMMY_VERSION`).
    pub const DUMMY_VERSION: i32 = 70016;

    /// A locator with Core's version.
    pub fn new(have: Vec<BlockHash>) -> Self {
        BlockLocator {
            version: Self::DUMMY_VERSION,
            have,
        }
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.version.to_le_bytes());
        put_compact_size(out, self.have.len() as u64);
        for h in &self.have {
            out.extend_from_slice(h.as_byte_array());
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, SerError> {
        let version = r.i32()?;
        let have = r
            .hash_vec()?
            .into_iter()
            .map(BlockHash::from_byte_array)
            .collect();
        Ok(BlockLocator { version, have })
    }
}

impl Default for BlockLocator {
    fn default() -> Self {
        BlockLocator::new(Vec::new())
    }
}

/// Core's `WalletDescriptor` as stored: the descriptor's public string (with checksum)
/// and its range bookkeeping. The cache and keys live in their own records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletDescriptor {
    /// The descriptor as Core's `Descriptor::ToString()` prints it, checksum included.
    pub descriptor: String,
    /// Unix time the descriptor was created or imported.
    pub creation_time: u64,
    /// Next index to hand out.
    pub next_index: i32,
    /// First index of the range (inclusive).
    pub range_start: i32,
    /// End of the range (exclusive).
    pub range_end: i32,
}

impl WalletDescriptor {
    /// The id Core derives for this descriptor, computed from the stored string.
    pub fn id(&self) -> Result<DescriptorId, RecordError> {
        super::descid::descriptor_id(&self.descriptor)
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        crate::ser::put_string(out, &self.descriptor);
        out.extend_from_slice(&self.creation_time.to_le_bytes());
        out.extend_from_slice(&self.next_index.to_le_bytes());
        out.extend_from_slice(&self.range_start.to_le_bytes());
        out.extend_from_slice(&self.range_end.to_le_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, SerError> {
        Ok(WalletDescriptor {
            descriptor: r.string()?,
            creation_time: r.u64()?,
            next_index: r.i32()?,
            range_start: r.i32()?,
            range_end: r.i32()?,
        })
    }
}

/// Core's `CExtPubKey` in its 74-byte `Encode` layout, as the descriptor cache stores
/// it. Bytes are kept as read so a record always writes back unchanged; Core's checks
/// are in [`ExtPubKey::is_valid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtPubKey {
    /// Derivation depth (0 for a master key).
    pub depth: u8,
    /// First four bytes of the parent key's hash160.
    pub parent_fingerprint: [u8; 4],
    /// Child number, hardened bit included.
    pub child_number: u32,
    /// Chain code.
    pub chain_code: [u8; 32],
    /// Compressed public key.
    pub pubkey: [u8; 33],
}

impl ExtPubKey {
    /// Core's `CExtPubKey::Encode`: depth, fingerprint, big-endian child number, chain
    /// code, public key.
    pub fn encode(&self) -> [u8; BIP32_EXTKEY_SIZE] {
        let mut out = [0u8; BIP32_EXTKEY_SIZE];
        out[0] = self.depth;
        out[1..5].copy_from_slice(&self.parent_fingerprint);
        out[5..9].copy_from_slice(&self.child_number.to_be_bytes());
        out[9..41].copy_from_slice(&self.chain_code);
        out[41..74].copy_from_slice(&self.pubkey);
        out
    }

    /// The inverse of [`ExtPubKey::encode`].
    pub fn decode(code: &[u8; BIP32_EXTKEY_SIZE]) -> Self {
        let mut parent_fingerprint = [0u8; 4];
        parent_fingerprint.copy_from_slice(&code[1..5]);
        let mut child = [0u8; 4];
        child.copy_from_slice(&code[5..9]);
        let mut chain_code = [0u8; 32];
        chain_code.copy_from_slice(&code[9..41]);
        let mut pubkey = [0u8; 33];
        pubkey.copy_from_slice(&code[41..74]);
        ExtPubKey {
            depth: code[0],
            parent_fingerprint,
            child_number: u32::from_be_bytes(child),
            chain_code,
            pubkey,
        }
    }

    /// What Core's `CExtPubKey::Decode` accepts: a master key has no parent or child
    /// number, and the public key is a point on the curve. Core silently keeps an
    /// invalid key (it then fails to derive), so decoding a record does not refuse one.
    pub fn is_valid(&self) -> bool {
        let master_ok =
            self.depth != 0 || (self.child_number == 0 && self.parent_fingerprint == [0; 4]);
        master_ok && PublicKey::from_slice(&self.pubkey).is_ok()
    }

    /// As a rust-bitcoin `Xpub` for `network`, if the key is valid.
    pub fn to_xpub(&self, network: NetworkKind) -> Option<Xpub> {
        if !self.is_valid() {
            return None;
        }
        Some(Xpub {
            network,
            depth: self.depth,
            parent_fingerprint: Fingerprint::from(self.parent_fingerprint),
            child_number: ChildNumber::from(self.child_number),
            public_key: PublicKey::from_slice(&self.pubkey).ok()?,
            chain_code: ChainCode::from(self.chain_code),
        })
    }
}

impl From<&Xpub> for ExtPubKey {
    fn from(x: &Xpub) -> Self {
        ExtPubKey {
            depth: x.depth,
            parent_fingerprint: x.parent_fingerprint.to_bytes(),
            child_number: u32::from(x.child_number),
            chain_code: x.chain_code.to_bytes(),
            pubkey: x.public_key.serialize(),
        }
    }
}

/// Core's `OutputType`, the key of the active descriptor records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputType {
    /// P2PKH (`legacy`).
    Legacy,
    /// P2SH-wrapped P2WPKH (`p2sh-segwit`).
    P2shSegwit,
    /// P2WPKH (`bech32`).
    Bech32,
    /// P2TR (`bech32m`).
    Bech32m,
    /// Core's `UNKNOWN` placeholder.
    Unknown,
}

impl OutputType {
    /// The byte Core stores (the enum's position).
    pub fn to_u8(self) -> u8 {
        match self {
            OutputType::Legacy => 0,
            OutputType::P2shSegwit => 1,
            OutputType::Bech32 => 2,
            OutputType::Bech32m => 3,
            OutputType::Unknown => 4,
        }
    }

    /// The type for a stored byte, if Core defines one.
    pub fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0 => OutputType::Legacy,
            1 => OutputType::P2shSegwit,
            2 => OutputType::Bech32,
            3 => OutputType::Bech32m,
            4 => OutputType::Unknown,
            _ => return None,
        })
    }
}

/// Core's `AddressPurpose` strings for the `purpose` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressPurpose {
    /// `receive`
    Receive,
    /// `send`
    Send,
    /// `refund` (only in old wallets)
    Refund,
}

impl AddressPurpose {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPurpose::Receive => "receive",
            AddressPurpose::Send => "send",
            AddressPurpose::Refund => "refund",
        }
    }

    /// Parses a stored string; Core only warns about others, so callers may keep them.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "receive" => Some(AddressPurpose::Receive),
            "send" => Some(AddressPurpose::Send),
            "refund" => Some(AddressPurpose::Refund),
            _ => None,
        }
    }
}
