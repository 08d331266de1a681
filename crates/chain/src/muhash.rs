//! MuHash3072, the rolling set hash behind `gettxoutsetinfo`'s `muhash` and coinstatsindex:
//! each element maps to a number modulo the prime 2^3072 - 1103717 (SHA-256 of the element
//! keys ChaCha20, whose first 384 bytes are the number); the set's value is the product of
//! its elements, so adding and removing are a multiplication and a division in any order.

use bitcoin::hashes::{sha256, Hash};

const LIMBS: usize = 48;
/// The modulus is 2^3072 - `PRIME_DIFF`.
const PRIME_DIFF: u64 = 1_103_717;
/// Bytes in a serialized number.
pub const BYTE_SIZE: usize = LIMBS * 8;

/// A number below 2^3072, little-endian 64-bit limbs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Num3072([u64; LIMBS]);

impl Num3072 {
    const ONE: Num3072 = {
        let mut l = [0u64; LIMBS];
        l[0] = 1;
        Num3072(l)
    };

    fn from_bytes(b: &[u8; BYTE_SIZE]) -> Num3072 {
        let mut l = [0u64; LIMBS];
        for (i, limb) in l.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            *limb = u64::from_le_bytes(w);
        }
        Num3072(l)
    }

    fn to_bytes(self) -> [u8; BYTE_SIZE] {
        let mut out = [0u8; BYTE_SIZE];
        for (i, limb) in self.0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    /// Whether the value is at least the modulus: all upper limbs full and the lowest
    /// within `PRIME_DIFF` of the top.
    fn is_overflow(&self) -> bool {
        self.0[1..].iter().all(|&l| l == u64::MAX) && self.0[0] > u64::MAX - PRIME_DIFF
    }

    /// Subtracts the modulus once (adds `PRIME_DIFF` and drops 2^3072).
    fn full_reduce(&mut self) {
        let mut carry = PRIME_DIFF as u128;
        for l in self.0.iter_mut() {
            let s = *l as u128 + carry;
            *l = s as u64;
            carry = s >> 64;
        }
    }

    /// `self * other mod p`, fully reduced.
    fn mul(&self, other: &Num3072) -> Num3072 {
        let mut wide = [0u64; 2 * LIMBS];
        for i in 0..LIMBS {
            let mut carry: u128 = 0;
            for j in 0..LIMBS {
                let t = self.0[i] as u128 * other.0[j] as u128 + wide[i + j] as u128 + carry;
                wide[i + j] = t as u64;
                carry = t >> 64;
            }
            wide[i + LIMBS] = carry as u64;
        }
        // 2^3072 = PRIME_DIFF (mod p): fold the high half down, then the small spill.
        let mut r = [0u64; LIMBS];
        let mut carry: u128 = 0;
        for i in 0..LIMBS {
            let t = wide[i] as u128 + wide[i + LIMBS] as u128 * PRIME_DIFF as u128 + carry;
            r[i] = t as u64;
            carry = t >> 64;
        }
        while carry != 0 {
            let mut c = carry * PRIME_DIFF as u128;
            carry = 0;
            for l in r.iter_mut() {
                if c == 0 {
                    break;
                }
                let t = *l as u128 + c;
                *l = t as u64;
                c = t >> 64;
            }
            carry += c;
        }
        let mut n = Num3072(r);
        if n.is_overflow() {
            n.full_reduce();
        }
        n
    }

    /// The inverse modulo p, as `self^(p-2)` (p is prime).
    fn inverse(&self) -> Num3072 {
        // p - 2 = 2^3072 - PRIME_DIFF - 2: every bit set but for those of the low limb.
        let mut exp = [u64::MAX; LIMBS];
        exp[0] = u64::MAX - PRIME_DIFF - 1;
        let mut acc = Num3072::ONE;
        for limb in exp.iter().rev() {
            for bit in (0..64).rev() {
                acc = acc.mul(&acc);
                if (limb >> bit) & 1 == 1 {
                    acc = acc.mul(self);
                }
            }
        }
        acc
    }
}

/// ChaCha20 (RFC 8439 block function) keystream with a zero nonce from counter 0.
fn chacha20_keystream(key: &[u8; 32], out: &mut [u8]) {
    out.fill(0);
    let mut cipher = chacha20_poly1305::chacha20::ChaCha20::new(
        chacha20_poly1305::Key::new(*key),
        chacha20_poly1305::Nonce::new([0; 12]),
        0,
    );
    cipher.apply_keystream(out);
}

fn to_num3072(data: &[u8]) -> Num3072 {
    let key = sha256::Hash::hash(data).to_byte_array();
    let mut bytes = [0u8; BYTE_SIZE];
    chacha20_keystream(&key, &mut bytes);
    Num3072::from_bytes(&bytes)
}

/// A multiset of byte strings, hashed so that order does not matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MuHash3072 {
    numerator: Num3072,
    denominator: Num3072,
}

impl Default for MuHash3072 {
    fn default() -> Self {
        Self::new()
    }
}

impl MuHash3072 {
    /// The empty set.
    pub fn new() -> MuHash3072 {
        MuHash3072 {
            numerator: Num3072::ONE,
            denominator: Num3072::ONE,
        }
    }

    /// Adds an element.
    pub fn insert(&mut self, data: &[u8]) {
        self.numerator = self.numerator.mul(&to_num3072(data));
    }

    /// Removes an element (one inserted before, or one to be inserted later).
    pub fn remove(&mut self, data: &[u8]) {
        self.denominator = self.denominator.mul(&to_num3072(data));
    }

    /// Merges another set into this one.
    pub fn combine(&mut self, other: &MuHash3072) {
        self.numerator = self.numerator.mul(&other.numerator);
        self.denominator = self.denominator.mul(&other.denominator);
    }

    /// The set's digest: SHA-256 of numerator / denominator, 384 bytes little-endian.
    pub fn finalize(&self) -> [u8; 32] {
        let value = self.numerator.mul(&self.denominator.inverse());
        sha256::Hash::hash(&value.to_bytes()).to_byte_array()
    }

    /// The state as Core serializes it: numerator then denominator, 384 bytes each.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.numerator.to_bytes().to_vec();
        v.extend_from_slice(&self.denominator.to_bytes());
        v
    }

    /// Reads a state written by [`MuHash3072::to_bytes`]; `None` unless 768 bytes.
    pub fn from_bytes(b: &[u8]) -> Option<MuHash3072> {
        if b.len() != 2 * BYTE_SIZE {
            return None;
        }
        let mut n = [0u8; BYTE_SIZE];
        let mut d = [0u8; BYTE_SIZE];
        n.copy_from_slice(&b[..BYTE_SIZE]);
        d.copy_from_slice(&b[BYTE_SIZE..]);
        Some(MuHash3072 {
            numerator: Num3072::from_bytes(&n),
            denominator: Num3072::from_bytes(&d),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_int(i: u8) -> MuHash3072 {
        let mut m = MuHash3072::new();
        let mut data = [0u8; 32];
        data[0] = i;
        m.insert(&data);
        m
    }

    /// Core prints a uint256 byte-reversed.
    fn hex_rev(b: [u8; 32]) -> String {
        b.iter().rev().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn chacha20_rfc8439_block() {
        // RFC 8439 2.3.2 uses a nonce; with the all-zero key and nonce, counter 0, the
        // first keystream bytes are the well-known 76b8e0ad... (RFC 8439 A.1 test 1).
        let mut out = [0u8; 64];
        chacha20_keystream(&[0; 32], &mut out);
        assert_eq!(&out[..8], &[0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]);
    }

    #[test]
    fn cores_muhash_vectors() {
        let mut acc = from_int(0);
        acc.combine(&from_int(1));
        let mut two = [0u8; 32];
        two[0] = 2;
        acc.remove(&two);
        assert_eq!(
            hex_rev(acc.finalize()),
            "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863"
        );
        let mut ser = from_int(1);
        ser.combine(&from_int(2));
        let hex: String = ser.to_bytes().iter().map(|x| format!("{x:02x}")).collect();
        let (num, den) = hex.split_at(2 * BYTE_SIZE);
        // Core's serialization vector for FromInt(1) * FromInt(2).
        assert_eq!(num, concat!(
            "1fa093295ea30a6a3acdc7b3f770fa538eff537528e990e2910e40bbcfd7f6696b1256901929094694b56316de342f593303dd12ac43e06dce1be1ff8301c845beb15468fff0ef002dbf80c29f26e6452bccc91b5cb9437ad410d2a67ea847887fa3c6a6553309946880fe20db2c73fe0641adbd4e86edfee0d9f8cd0ee1230898873dc13ed8ddcaf045c80faa082774279007a2253f8922ee3ef361d378a6af3ddaf180b190ac97e556888c36b3d1fb1c85aab9ccd46e3deaeb7b7cf5db067a",
            "7e9ff86b658cf3acd6662bbcce37232daa753c48b794356c020090c831a8304416e2aa7ad633c0ddb2f11be1be316a81be7f7e472071c042cb68faef549c221ebff209273638b741aba5a81675c45a5fa92fea4ca821d7a324cb1e1a2ccd3b76c4228ec8066dad2a5df6e1bd0de45c7dd5de8070bdb46db6c554cf9aefc9b7b2bbf9f75b1864d9f95005314593905c0109b71f703d49944ae94477b51dac10a816bb6d1c700bafabc8bd86fac8df24be519a2f2836b16392e18036cb13e48c5c"
        ));
        assert_eq!(den, format!("01{}", "00".repeat(BYTE_SIZE - 1)));
        assert_eq!(MuHash3072::from_bytes(&ser.to_bytes()), Some(ser.clone()));
        // A numerator above the modulus is reduced before hashing.
        let mut max = vec![0xffu8; BYTE_SIZE];
        max.extend_from_slice(&Num3072::ONE.to_bytes());
        let overflow = MuHash3072::from_bytes(&max).expect("768 bytes");
        let got: String = overflow
            .finalize()
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        assert_eq!(
            got,
            "3a31e6903aff0de9f62f9a9f7f8b861de76ce2cda09822b90014319ae5dc2271"
        );
    }

    #[test]
    fn order_and_inverse() {
        let (x, y) = (from_int(3), from_int(9));
        let mut a = x.clone();
        a.combine(&y);
        let mut b = y.clone();
        b.combine(&x);
        assert_eq!(a.finalize(), b.finalize());
        let mut z = MuHash3072::new();
        let mut d3 = [0u8; 32];
        d3[0] = 3;
        z.insert(&d3);
        z.remove(&d3);
        assert_eq!(z.finalize(), MuHash3072::new().finalize());
    }
}
