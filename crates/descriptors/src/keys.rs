//! Private keys and extended keys in their text forms (Core's `key_io`): WIF secrets and
//! xpub/xprv (tpub/tprv off mainnet), validated as Core validates them.

use std::sync::OnceLock;

use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::secp256k1::{All, Secp256k1, SecretKey};
use bitcoin::{Network, NetworkKind};

use crate::base58;
use crate::network::params;

/// The shared secp256k1 context.
pub(crate) fn secp() -> &'static Secp256k1<All> {
    static CTX: OnceLock<Secp256k1<All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// A private key with the compression flag of its WIF encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secret {
    /// The key.
    pub key: SecretKey,
    /// Whether its public key is used in compressed form.
    pub compressed: bool,
}

impl Secret {
    /// The public key in the encoding the WIF flag asks for.
    pub fn public_key(&self) -> bitcoin::PublicKey {
        let inner = self.key.public_key(secp());
        bitcoin::PublicKey {
            compressed: self.compressed,
            inner,
        }
    }
}

/// Core's `DecodeSecret` for `network`.
pub fn decode_secret(s: &str, network: Network) -> Option<Secret> {
    let prefix = params(network).secret_prefix;
    let data = base58::decode_check(s, 34)?;
    let (&first, rest) = data.split_first()?;
    if first != prefix {
        return None;
    }
    let compressed = match rest.len() {
        32 => false,
        33 if rest[32] == 1 => true,
        _ => return None,
    };
    let key = SecretKey::from_slice(&rest[..32]).ok()?;
    Some(Secret { key, compressed })
}

/// Core's `EncodeSecret`.
pub fn encode_secret(secret: &Secret, network: Network) -> String {
    let mut data = vec![params(network).secret_prefix];
    data.extend_from_slice(&secret.key.secret_bytes());
    if secret.compressed {
        data.push(1);
    }
    base58::encode_check(&data)
}

fn kind(network: Network) -> NetworkKind {
    NetworkKind::from(network)
}

/// A root (depth 0) key must have no parent fingerprint and child number 0.
fn root_ok(data: &[u8]) -> bool {
    data[4] != 0 || (data[5..13].iter().all(|&b| b == 0))
}

/// Core's `DecodeExtPubKey` for `network`.
pub fn decode_xpub(s: &str, network: Network) -> Option<Xpub> {
    let data = base58::decode_check(s, 78)?;
    if data.len() != 78 || data[..4] != params(network).ext_pub || !root_ok(&data) {
        return None;
    }
    let mut xpub = Xpub::decode(&data).ok()?;
    xpub.network = kind(network);
    Some(xpub)
}

/// Core's `DecodeExtKey` for `network`.
pub fn decode_xpriv(s: &str, network: Network) -> Option<Xpriv> {
    let data = base58::decode_check(s, 78)?;
    if data.len() != 78 || data[..4] != params(network).ext_priv || !root_ok(&data) || data[45] != 0
    {
        return None;
    }
    let mut xpriv = Xpriv::decode(&data).ok()?;
    xpriv.network = kind(network);
    Some(xpriv)
}

/// Core's `EncodeExtPubKey`.
pub fn encode_xpub(xpub: &Xpub, network: Network) -> String {
    let mut data = xpub.encode();
    data[..4].copy_from_slice(&params(network).ext_pub);
    base58::encode_check(&data)
}

/// Core's `EncodeExtKey`.
pub fn encode_xpriv(xpriv: &Xpriv, network: Network) -> String {
    let mut data = xpriv.encode();
    data[..4].copy_from_slice(&params(network).ext_priv);
    base58::encode_check(&data)
}
