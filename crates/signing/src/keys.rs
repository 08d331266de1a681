//! Key identifiers and signing primitives as Core's `CKey`/`CPubKey`/`XOnlyPubKey`:
//! RFC6979 ECDSA with low-R grinding, BIP340 signatures with zero auxiliary randomness and
//! the taproot tweak.

use std::sync::OnceLock;

use bitcoin::hashes::{hash160, sha256, Hash, HashEngine};
use bitcoin::secp256k1::{
    ecdsa, All, Keypair, Message, PublicKey, Scalar, Secp256k1, SecretKey, XOnlyPublicKey,
};

pub use descriptors::Secret;

/// `CKeyID`: HASH160 of a serialized public key.
pub type KeyId = [u8; 20];
/// `CScriptID`: HASH160 of a script.
pub type ScriptId = [u8; 20];
/// A BIP340 x-only public key (`XOnlyPubKey`), as its 32 bytes.
pub type XOnly = [u8; 32];

/// The shared secp256k1 context.
pub(crate) fn secp() -> &'static Secp256k1<All> {
    static CTX: OnceLock<Secp256k1<All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// HASH160 of `data` (`Hash160`).
pub fn hash160(data: &[u8]) -> [u8; 20] {
    hash160::Hash::hash(data).to_byte_array()
}

/// RIPEMD160 of `data`.
pub fn ripemd160(data: &[u8]) -> [u8; 20] {
    bitcoin::hashes::ripemd160::Hash::hash(data).to_byte_array()
}

/// SHA256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha256::Hash::hash(data).to_byte_array()
}

/// The key id of a serialized public key (`CPubKey::GetID`).
pub fn key_id(pubkey: &[u8]) -> KeyId {
    hash160(pubkey)
}

/// The script id of a script (`CScriptID`).
pub fn script_id(script: &[u8]) -> ScriptId {
    hash160(script)
}

/// `CPubKey::IsValid`: the length matches what the header byte announces.
pub fn pubkey_valid_size(pubkey: &[u8]) -> bool {
    match pubkey.first() {
        Some(2) | Some(3) => pubkey.len() == 33,
        Some(4) | Some(6) | Some(7) => pubkey.len() == 65,
        _ => false,
    }
}

/// `CPubKey::IsFullyValid`: a point on the curve.
pub fn pubkey_fully_valid(pubkey: &[u8]) -> bool {
    pubkey_valid_size(pubkey) && PublicKey::from_slice(pubkey).is_ok()
}

/// The serialized public key of `secret` in the encoding its flag asks for.
pub fn secret_pubkey(secret: &Secret) -> Vec<u8> {
    secret.public_key().to_bytes()
}

/// The two key ids an x-only key may have been derived from (`XOnlyPubKey::GetKeyIDs`):
/// the even one first.
pub fn xonly_key_ids(xonly: &XOnly) -> [KeyId; 2] {
    let mut even = [0u8; 33];
    even[0] = 2;
    even[1..].copy_from_slice(xonly);
    let mut odd = even;
    odd[0] = 3;
    [key_id(&even), key_id(&odd)]
}

/// The compressed key with even Y for an x-only key (`GetEvenCorrespondingCPubKey`).
pub fn xonly_even_pubkey(xonly: &XOnly) -> Vec<u8> {
    let mut out = Vec::with_capacity(33);
    out.push(2);
    out.extend_from_slice(xonly);
    out
}

/// The x-only form of a full public key (drops the parity byte).
pub fn xonly_of(pubkey: &[u8]) -> Option<XOnly> {
    match pubkey.len() {
        33 => pubkey[1..].try_into().ok(),
        65 => pubkey[1..33].try_into().ok(),
        _ => None,
    }
}

/// Whether the 64-byte compact form of `sig` has a low R (`SigHasLowR`).
fn has_low_r(sig: &ecdsa::Signature) -> bool {
    sig.serialize_compact()[0] < 0x80
}

/// `CKey::Sign` with grinding: RFC6979 without extra entropy first, then with a counter
/// (little-endian in the first four bytes of the extra data) until R is low. Returns the
/// DER encoding without hash-type byte.
pub fn sign_ecdsa(key: &SecretKey, hash: &[u8; 32]) -> Vec<u8> {
    let msg = Message::from_digest(*hash);
    let mut sig = secp().sign_ecdsa(&msg, key);
    let mut counter: u32 = 0;
    while !has_low_r(&sig) {
        counter = counter.wrapping_add(1);
        let mut extra = [0u8; 32];
        extra[..4].copy_from_slice(&counter.to_le_bytes());
        sig = secp().sign_ecdsa_with_noncedata(&msg, key, &extra);
    }
    sig.serialize_der().to_vec()
}

/// `XOnlyPubKey::ComputeTapTweakHash`: the BIP341 tweak of `key` committing to
/// `merkle_root` (none for a key without scripts).
pub fn tap_tweak_hash(key: &XOnly, merkle_root: Option<&[u8; 32]>) -> [u8; 32] {
    let mut e = consensus::sighash::tagged_engine("TapTweak");
    e.input(key);
    if let Some(root) = merkle_root {
        e.input(root);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

/// `XOnlyPubKey::CreateTapTweak`: the output key for `internal` and `merkle_root`, with
/// the parity of its full point; `None` if the key or tweak is invalid.
pub fn create_tap_tweak(internal: &XOnly, merkle_root: Option<&[u8; 32]>) -> Option<(XOnly, bool)> {
    let key = XOnlyPublicKey::from_slice(internal).ok()?;
    let tweak = Scalar::from_be_bytes(tap_tweak_hash(internal, merkle_root)).ok()?;
    let (out, parity) = key.add_tweak(secp(), &tweak).ok()?;
    Some((out.serialize(), parity == bitcoin::secp256k1::Parity::Odd))
}

/// `CKey::SignSchnorr`: a BIP340 signature with all-zero auxiliary randomness. With
/// `merkle_root` the key is tweaked first (`Some(None)`: the tweak of a key without scripts).
pub fn sign_schnorr(
    key: &SecretKey,
    hash: &[u8; 32],
    merkle_root: Option<Option<&[u8; 32]>>,
) -> Option<[u8; 64]> {
    let mut keypair = Keypair::from_secret_key(secp(), key);
    if let Some(root) = merkle_root {
        let (xonly, _) = keypair.x_only_public_key();
        let tweak = Scalar::from_be_bytes(tap_tweak_hash(&xonly.serialize(), root)).ok()?;
        keypair = keypair.add_xonly_tweak(secp(), &tweak).ok()?;
    }
    let msg = Message::from_digest(*hash);
    let sig = secp().sign_schnorr_with_aux_rand(&msg, &keypair, &[0u8; 32]);
    let (xonly, _) = keypair.x_only_public_key();
    secp().verify_schnorr(&sig, &msg, &xonly).ok()?;
    Some(*sig.as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ecdsa_signatures_have_low_r() {
        let key = SecretKey::from_slice(&[0x11; 32]).unwrap();
        for i in 0..64u8 {
            let sig = sign_ecdsa(&key, &[i; 32]);
            // 0x30 len 0x02 rlen: a low R is at most 32 bytes.
            assert!(sig[3] <= 32, "{i}");
            let parsed = ecdsa::Signature::from_der(&sig).unwrap();
            let msg = Message::from_digest([i; 32]);
            secp()
                .verify_ecdsa(&msg, &parsed, &key.public_key(secp()))
                .unwrap();
        }
    }

    #[test]
    fn tweaked_schnorr_verifies_against_output_key() {
        let key = SecretKey::from_slice(&[0x22; 32]).unwrap();
        let (xonly, _) = key.x_only_public_key(secp());
        let internal = xonly.serialize();
        let (output, _) = create_tap_tweak(&internal, None).unwrap();
        let sig = sign_schnorr(&key, &[7; 32], Some(None)).unwrap();
        let pk = XOnlyPublicKey::from_slice(&output).unwrap();
        let sig = bitcoin::secp256k1::schnorr::Signature::from_slice(&sig).unwrap();
        secp()
            .verify_schnorr(&sig, &Message::from_digest([7; 32]), &pk)
            .unwrap();
    }
}
