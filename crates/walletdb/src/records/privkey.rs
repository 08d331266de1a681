//! Core's `CPrivKey`: the secret key in the SEC 1 `ECPrivateKey` DER layout that
//! `ec_seckey_export_der` writes and `ec_seckey_import_der` reads (key.cpp), and the
//! pubkey/privkey hash stored beside it.

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use zeroize::Zeroizing;

use super::types::SecretBytes;

/// Length of a compressed-key `CPrivKey` (`CKey::COMPRESSED_SIZE`).
pub const PRIVKEY_DER_COMPRESSED_SIZE: usize = 214;
/// Length of an uncompressed-key `CPrivKey` (`CKey::SIZE`).
pub const PRIVKEY_DER_SIZE: usize = 279;

// The fixed parts of Core's export: everything except the 32-byte secret and the
// public key is the same for every key (curve parameters of secp256k1).
const COMPRESSED_BEGIN: [u8; 8] = [0x30, 0x81, 0xD3, 0x02, 0x01, 0x01, 0x04, 0x20];
const UNCOMPRESSED_BEGIN: [u8; 9] = [0x30, 0x82, 0x01, 0x13, 0x02, 0x01, 0x01, 0x04, 0x20];

/// Curve parameters shared by both layouts: field prime, a, b.
const CURVE_HEAD: [u8; 49] = [
    0x30, 0x2C, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x01, 0x01, 0x02, 0x21, 0x00, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFC, 0x2F, 0x30, 0x06,
    0x04,
];
/// a = 0, b = 7, then the start of the generator.
const CURVE_AB: [u8; 6] = [0x01, 0x00, 0x04, 0x01, 0x07, 0x04];
const G_X: [u8; 32] = [
    0x79, 0xBE, 0x66, 0x7E, 0xF9, 0xDC, 0xBB, 0xAC, 0x55, 0xA0, 0x62, 0x95, 0xCE, 0x87, 0x0B, 0x07,
    0x02, 0x9B, 0xFC, 0xDB, 0x2D, 0xCE, 0x28, 0xD9, 0x59, 0xF2, 0x81, 0x5B, 0x16, 0xF8, 0x17, 0x98,
];
const G_Y: [u8; 32] = [
    0x48, 0x3A, 0xDA, 0x77, 0x26, 0xA3, 0xC4, 0x65, 0x5D, 0xA4, 0xFB, 0xFC, 0x0E, 0x11, 0x08, 0xA8,
    0xFD, 0x17, 0xB4, 0x48, 0xA6, 0x85, 0x54, 0x19, 0x9C, 0x47, 0xD0, 0x8F, 0xFB, 0x10, 0xD4, 0xB8,
];
/// Group order n and cofactor h = 1.
const ORDER_TAIL: [u8; 38] = [
    0x02, 0x21, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0,
    0x36, 0x41, 0x41, 0x02, 0x01, 0x01,
];

/// Core's `ec_seckey_export_der`: `None` if `secret` is not a valid secp256k1 key.
pub fn privkey_to_der(secret: &[u8; 32], compressed: bool) -> Option<SecretBytes> {
    let sk = SecretKey::from_slice(secret).ok()?;
    let pk = PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk);
    let mut out = Vec::with_capacity(PRIVKEY_DER_SIZE);
    if compressed {
        out.extend_from_slice(&COMPRESSED_BEGIN);
        out.extend_from_slice(secret);
        out.extend_from_slice(&[0xA0, 0x81, 0x85, 0x30, 0x81, 0x82, 0x02, 0x01, 0x01]);
        out.extend_from_slice(&CURVE_HEAD);
        out.extend_from_slice(&CURVE_AB);
        out.extend_from_slice(&[0x21, 0x02]);
        out.extend_from_slice(&G_X);
        out.extend_from_slice(&ORDER_TAIL);
        out.extend_from_slice(&[0xA1, 0x24, 0x03, 0x22, 0x00]);
        out.extend_from_slice(&pk.serialize());
    } else {
        out.extend_from_slice(&UNCOMPRESSED_BEGIN);
        out.extend_from_slice(secret);
        out.extend_from_slice(&[0xA0, 0x81, 0xA5, 0x30, 0x81, 0xA2, 0x02, 0x01, 0x01]);
        out.extend_from_slice(&CURVE_HEAD);
        out.extend_from_slice(&CURVE_AB);
        out.extend_from_slice(&[0x41, 0x04]);
        out.extend_from_slice(&G_X);
        out.extend_from_slice(&G_Y);
        out.extend_from_slice(&ORDER_TAIL);
        out.extend_from_slice(&[0xA1, 0x44, 0x03, 0x42, 0x00]);
        out.extend_from_slice(&pk.serialize_uncompressed());
    }
    Some(SecretBytes::new(out))
}

/// Core's `ec_seckey_import_der`, with its leniencies: a one- or two-byte sequence
/// length that need not be minimal nor match, a short octet string zero-filled on the
/// left, and anything after the octet string ignored. `None` where Core fails.
pub fn privkey_from_der(der: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let mut p = der;
    // Sequence tag, then a long-form length of one or two bytes.
    if p.first() != Some(&0x30) {
        return None;
    }
    p = &p[1..];
    let lenbyte = *p.first()?;
    if lenbyte & 0x80 == 0 {
        return None;
    }
    let lenb = usize::from(lenbyte & 0x7f);
    p = &p[1..];
    if !(1..=2).contains(&lenb) || p.len() < lenb {
        return None;
    }
    let len = if lenb == 2 {
        usize::from(p[0]) << 8 | usize::from(p[1])
    } else {
        usize::from(p[0])
    };
    p = &p[lenb..];
    if p.len() < len {
        return None;
    }
    // Version 1.
    if p.len() < 3 || p[..3] != [0x02, 0x01, 0x01] {
        return None;
    }
    p = &p[3..];
    // The secret as an octet string of at most 32 bytes.
    if p.len() < 2 || p[0] != 0x04 {
        return None;
    }
    let oslen = usize::from(p[1]);
    p = &p[2..];
    if oslen > 32 || p.len() < oslen {
        return None;
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out[32 - oslen..].copy_from_slice(&p[..oslen]);
    SecretKey::from_slice(&out[..]).ok()?;
    Some(out)
}

/// The checksum Core stores with an unencrypted key: double SHA-256 over the public
/// key bytes followed by the `CPrivKey` bytes (no length prefixes).
pub fn keypair_hash(pubkey: &[u8], privkey_der: &[u8]) -> [u8; 32] {
    let mut engine = sha256d::Hash::engine();
    engine.input(pubkey);
    engine.input(privkey_der);
    sha256d::Hash::from_engine(engine).to_byte_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one() -> [u8; 32] {
        let mut k = [0u8; 32];
        k[31] = 1;
        k
    }

    #[test]
    fn sizes_match_core() {
        let c = privkey_to_der(&one(), true).unwrap();
        let u = privkey_to_der(&one(), false).unwrap();
        assert_eq!(c.len(), PRIVKEY_DER_COMPRESSED_SIZE);
        assert_eq!(u.len(), PRIVKEY_DER_SIZE);
    }

    #[test]
    fn secret_one_layout() {
        // For the secret 1 the public key is the generator, so the whole encoding is
        // spelled out by key.cpp's constant tables.
        let c = privkey_to_der(&one(), true).unwrap();
        let expect = "3081d30201010420\
            0000000000000000000000000000000000000000000000000000000000000001\
            a08185308182020101302c06072a8648ce3d0101022100ffffffffffffffffffffffffffffffff\
            fffffffffffffffffffffffefffffc2f300604010004010704210279be667ef9dcbbac55a06295\
            ce870b07029bfcdb2dce28d959f2815b16f81798022100fffffffffffffffffffffffffffffffe\
            baaedce6af48a03bbfd25e8cd0364141020101a124032200\
            0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        assert_eq!(crate::hex::encode(c.as_bytes()), expect);
        let u = privkey_to_der(&one(), false).unwrap();
        assert!(crate::hex::encode(u.as_bytes()).starts_with("308201130201010420"));
        assert!(crate::hex::encode(u.as_bytes()).ends_with(
            "a14403420004\
             79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\
             483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
        ));
    }

    #[test]
    fn import_round_trip_and_leniency() {
        let secret = [0x42u8; 32];
        for compressed in [true, false] {
            let der = privkey_to_der(&secret, compressed).unwrap();
            assert_eq!(*privkey_from_der(der.as_bytes()).unwrap(), secret);
        }
        // Minimal form with a short octet string and no trailing parameters.
        let short = [0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x05];
        let mut five = [0u8; 32];
        five[31] = 5;
        assert_eq!(*privkey_from_der(&short).unwrap(), five);
        // Zero is not a valid secret; short-form length and bad versions are refused.
        assert!(
            privkey_from_der(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x00]).is_none()
        );
        assert!(privkey_from_der(&[0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x05]).is_none());
        assert!(
            privkey_from_der(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x02, 0x04, 0x01, 0x05]).is_none()
        );
        assert!(privkey_from_der(&[]).is_none());
        assert!(privkey_to_der(&[0u8; 32], true).is_none());
    }
}
