//! MuSig2 key aggregation (BIP 327 `KeyAgg`) and the synthetic extended key BIP 328
//! derives aggregate keys from.

use bitcoin::bip32::{ChainCode, ChildNumber, Fingerprint, Xpub};
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, Scalar};
use bitcoin::NetworkKind;

use crate::keys::secp;

/// BIP 328's chain code for aggregate keys.
const MUSIG_CHAINCODE: [u8; 32] = [
    0x86, 0x80, 0x87, 0xca, 0x02, 0xa6, 0xf9, 0x74, 0xc4, 0x59, 0x89, 0x24, 0xc3, 0x6b, 0x57, 0x76,
    0x2d, 0x32, 0xcb, 0x45, 0x71, 0x71, 0x67, 0xe3, 0x00, 0x62, 0x2c, 0x71, 0x67, 0xe3, 0x89, 0x65,
];

fn tagged_hash(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let tag_hash = sha256::Hash::hash(tag.as_bytes());
    let mut engine = sha256::Hash::engine();
    engine.input(tag_hash.as_ref());
    engine.input(tag_hash.as_ref());
    for p in parts {
        engine.input(p);
    }
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// The aggregate of `keys` (in the given order), `None` if it is the point at infinity.
pub(crate) fn aggregate(keys: &[PublicKey]) -> Option<PublicKey> {
    let serialized: Vec<[u8; 33]> = keys.iter().map(PublicKey::serialize).collect();
    let list: Vec<u8> = serialized.iter().flatten().copied().collect();
    let l = tagged_hash("KeyAgg list", &[&list]);
    let first = serialized.first()?;
    let second = serialized.iter().find(|k| *k != first);
    let mut terms = Vec::with_capacity(keys.len());
    for (key, ser) in keys.iter().zip(&serialized) {
        if Some(ser) == second {
            terms.push(*key);
            continue;
        }
        let coefficient = tagged_hash("KeyAgg coefficient", &[&l, ser]);
        let scalar = Scalar::from_be_bytes(coefficient).ok()?;
        terms.push(key.mul_tweak(secp(), &scalar).ok()?);
    }
    let refs: Vec<&PublicKey> = terms.iter().collect();
    PublicKey::combine_keys(&refs).ok()
}

/// The extended key BIP 328 assigns to an aggregate key.
pub(crate) fn synthetic_xpub(key: PublicKey) -> Xpub {
    Xpub {
        network: NetworkKind::Main,
        depth: 0,
        parent_fingerprint: Fingerprint::default(),
        child_number: ChildNumber::from(0),
        public_key: key,
        chain_code: ChainCode::from(MUSIG_CHAINCODE),
    }
}
