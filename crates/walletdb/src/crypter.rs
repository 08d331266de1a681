//! Core's wallet encryption (wallet/crypter.cpp): a passphrase-derived key encrypts a
//! random 32-byte master key (`CMasterKey`, stored in `mkey` records), and the master
//! key encrypts each private key with AES-256-CBC, the IV taken from the public key's
//! hash.

use std::fmt;
use std::time::Duration;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use bitcoin::hashes::{sha512, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use zeroize::{Zeroize, Zeroizing};

use crate::records::PubKeyBytes;
use crate::ser::{put_var_bytes, Reader, SerError};

/// `WALLET_CRYPTO_KEY_SIZE`
pub const WALLET_CRYPTO_KEY_SIZE: usize = 32;
/// `WALLET_CRYPTO_SALT_SIZE`
pub const WALLET_CRYPTO_SALT_SIZE: usize = 8;
/// `WALLET_CRYPTO_IV_SIZE`
pub const WALLET_CRYPTO_IV_SIZE: usize = 16;

/// Plaintext key material (`CKeyingMaterial`), zeroed on drop.
pub type KeyingMaterial = Zeroizing<Vec<u8>>;

/// An AES-256 key and CBC IV, zeroed on drop.
pub type KeyAndIv = (Zeroizing<[u8; 32]>, Zeroizing<[u8; 16]>);

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Why an encryption operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrypterError {
    /// Zero rounds, a salt that is not 8 bytes, or a derivation method other than 0;
    /// Core's `SetKeyFromPassphrase` refuses these.
    KeyDerivation,
    /// A key that is not 32 bytes or an IV that is not 16 (Core's `SetKey`).
    BadKeyOrIv,
    /// Ciphertext that is empty, not whole blocks, badly padded, or decrypts to nothing;
    /// with CBC this is what a wrong passphrase usually looks like.
    DecryptFailed,
    /// A decrypted private key that is not 32 bytes.
    BadSecretSize(usize),
    /// The decrypted key is not a valid secret or does not belong to the public key.
    KeyMismatch,
    /// Timing gave an iteration count outside 1..=u32::MAX (Core then fails too).
    Calibration,
    /// An `mkey` value that did not parse.
    Malformed(SerError),
}

impl fmt::Display for CrypterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrypterError::KeyDerivation => f.write_str("key derivation from passphrase failed"),
            CrypterError::BadKeyOrIv => f.write_str("encryption key or IV has the wrong size"),
            CrypterError::DecryptFailed => f.write_str("decryption failed"),
            CrypterError::BadSecretSize(n) => write!(f, "decrypted secret has {n} bytes, not 32"),
            CrypterError::KeyMismatch => f.write_str("decrypted key does not match its public key"),
            CrypterError::Calibration => f.write_str("key derivation calibration failed"),
            CrypterError::Malformed(e) => write!(f, "malformed master key record: {e}"),
        }
    }
}

impl std::error::Error for CrypterError {}

/// Core's `BytesToKeySHA512AES`, OpenSSL's `EVP_BytesToKey` with SHA-512 and one
/// output block: hash passphrase||salt, then rehash the digest `count - 1` times; the
/// first 32 bytes are the key, the next 16 the IV. `None` when `count` is 0.
pub fn bytes_to_key_sha512_aes(salt: &[u8], passphrase: &[u8], count: u32) -> Option<KeyAndIv> {
    if count == 0 {
        return None;
    }
    let mut engine = sha512::Hash::engine();
    engine.input(passphrase);
    engine.input(salt);
    let mut buf = Zeroizing::new(sha512::Hash::from_engine(engine).to_byte_array());
    for _ in 1..count {
        let next = sha512::Hash::hash(&buf[..]).to_byte_array();
        *buf = next;
    }
    let mut key = Zeroizing::new([0u8; 32]);
    let mut iv = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&buf[..32]);
    iv.copy_from_slice(&buf[32..48]);
    Some((key, iv))
}

/// Core's `CCrypter`: an AES-256-CBC key and IV.
#[derive(Clone)]
pub struct Crypter {
    key: Zeroizing<[u8; 32]>,
    iv: Zeroizing<[u8; 16]>,
}

impl fmt::Debug for Crypter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Crypter(<redacted>)")
    }
}

impl Crypter {
    /// Core's `SetKeyFromPassphrase`: only derivation method 0, at least one round and
    /// an 8-byte salt are accepted.
    pub fn from_passphrase(
        passphrase: &[u8],
        salt: &[u8],
        rounds: u32,
        derivation_method: u32,
    ) -> Result<Self, CrypterError> {
        if rounds == 0 || salt.len() != WALLET_CRYPTO_SALT_SIZE || derivation_method != 0 {
            return Err(CrypterError::KeyDerivation);
        }
        let (key, iv) =
            bytes_to_key_sha512_aes(salt, passphrase, rounds).ok_or(CrypterError::KeyDerivation)?;
        Ok(Crypter { key, iv })
    }

    /// Core's `SetKey`: a 32-byte key and a 16-byte IV.
    pub fn from_key(key: &[u8], iv: &[u8]) -> Result<Self, CrypterError> {
        if key.len() != WALLET_CRYPTO_KEY_SIZE || iv.len() != WALLET_CRYPTO_IV_SIZE {
            return Err(CrypterError::BadKeyOrIv);
        }
        let mut c = Crypter {
            key: Zeroizing::new([0; 32]),
            iv: Zeroizing::new([0; 16]),
        };
        c.key.copy_from_slice(key);
        c.iv.copy_from_slice(iv);
        Ok(c)
    }

    /// The AES key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The CBC IV.
    pub fn iv(&self) -> &[u8; 16] {
        &self.iv
    }

    /// AES-256-CBC with PKCS#7 padding; the output is always 1 to 16 bytes longer.
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        Aes256CbcEnc::new((&*self.key).into(), (&*self.iv).into())
            .encrypt_padded_vec_mut::<Pkcs7>(plaintext)
    }

    /// The inverse of [`Crypter::encrypt`]. As in Core, an empty result is a failure.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<KeyingMaterial, CrypterError> {
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(CrypterError::DecryptFailed);
        }
        let plain = Zeroizing::new(
            Aes256CbcDec::new((&*self.key).into(), (&*self.iv).into())
                .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
                .map_err(|_| CrypterError::DecryptFailed)?,
        );
        if plain.is_empty() {
            return Err(CrypterError::DecryptFailed);
        }
        Ok(plain)
    }
}

/// Core's `EncryptSecret`: encrypts with the master key and the first 16 bytes of
/// `iv_hash` as IV.
pub fn encrypt_secret(
    master_key: &[u8],
    plaintext: &[u8],
    iv_hash: &[u8; 32],
) -> Result<Vec<u8>, CrypterError> {
    Ok(Crypter::from_key(master_key, &iv_hash[..WALLET_CRYPTO_IV_SIZE])?.encrypt(plaintext))
}

/// Core's `DecryptSecret`.
pub fn decrypt_secret(
    master_key: &[u8],
    ciphertext: &[u8],
    iv_hash: &[u8; 32],
) -> Result<KeyingMaterial, CrypterError> {
    Crypter::from_key(master_key, &iv_hash[..WALLET_CRYPTO_IV_SIZE])?.decrypt(ciphertext)
}

/// Encrypts a private key for a `walletdescriptorckey` record, the IV taken from the
/// public key's double SHA-256 as Core does.
pub fn encrypt_key(
    master_key: &[u8],
    secret: &[u8; 32],
    pubkey: &PubKeyBytes,
) -> Result<Vec<u8>, CrypterError> {
    encrypt_secret(master_key, secret, &pubkey.hash())
}

/// Core's `DecryptKey`: decrypts, then checks the secret is 32 bytes and yields
/// `pubkey` (same point, same compression).
pub fn decrypt_key(
    master_key: &[u8],
    crypted_secret: &[u8],
    pubkey: &PubKeyBytes,
) -> Result<Zeroizing<[u8; 32]>, CrypterError> {
    let plain = decrypt_secret(master_key, crypted_secret, &pubkey.hash())?;
    if plain.len() != 32 {
        return Err(CrypterError::BadSecretSize(plain.len()));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    secret.copy_from_slice(&plain);
    let sk = SecretKey::from_slice(&secret[..]).map_err(|_| CrypterError::KeyMismatch)?;
    let derived = PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk);
    let stored = PublicKey::from_slice(pubkey.as_bytes()).map_err(|_| CrypterError::KeyMismatch)?;
    if derived != stored {
        return Err(CrypterError::KeyMismatch);
    }
    Ok(secret)
}

/// Core's `CMasterKey`, the value of an `mkey` record.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// The master key encrypted under the passphrase-derived key.
    pub crypted_key: Vec<u8>,
    /// Salt for the derivation (8 bytes in wallets Core writes).
    pub salt: Vec<u8>,
    /// 0 = `BytesToKeySHA512AES`, the only method Core knows.
    pub derivation_method: u32,
    /// Derivation rounds.
    pub derive_iterations: u32,
    /// Reserved for other methods; always empty in Core.
    pub other_derivation_params: Vec<u8>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("crypted_key", &crate::hex::encode(&self.crypted_key))
            .field("salt", &crate::hex::encode(&self.salt))
            .field("derivation_method", &self.derivation_method)
            .field("derive_iterations", &self.derive_iterations)
            .field(
                "other_derivation_params",
                &crate::hex::encode(&self.other_derivation_params),
            )
            .finish()
    }
}

impl MasterKey {
    /// `CMasterKey::DEFAULT_DERIVE_ITERATIONS`, also the floor after calibration.
    pub const DEFAULT_DERIVE_ITERATIONS: u32 = 25_000;

    /// Serializes as Core does: crypted key, salt, method, iterations, other params.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.crypted_key.len() + self.salt.len() + 16);
        put_var_bytes(&mut out, &self.crypted_key);
        put_var_bytes(&mut out, &self.salt);
        out.extend_from_slice(&self.derivation_method.to_le_bytes());
        out.extend_from_slice(&self.derive_iterations.to_le_bytes());
        put_var_bytes(&mut out, &self.other_derivation_params);
        out
    }

    /// Parses an `mkey` value; every byte must be used.
    pub fn decode(bytes: &[u8]) -> Result<Self, CrypterError> {
        let mut r = Reader::new(bytes);
        let mk = Self::read(&mut r).map_err(CrypterError::Malformed)?;
        r.finish().map_err(CrypterError::Malformed)?;
        Ok(mk)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, SerError> {
        Ok(MasterKey {
            crypted_key: r.var_bytes()?,
            salt: r.var_bytes()?,
            derivation_method: r.u32()?,
            derive_iterations: r.u32()?,
            other_derivation_params: r.var_bytes()?,
        })
    }

    /// Encrypts `plain_master_key` under `passphrase` with the given salt and rounds
    /// (see [`calibrate_iterations`] for choosing them the way Core does).
    pub fn encrypt(
        passphrase: &[u8],
        plain_master_key: &[u8],
        salt: [u8; WALLET_CRYPTO_SALT_SIZE],
        derive_iterations: u32,
    ) -> Result<Self, CrypterError> {
        let crypter = Crypter::from_passphrase(passphrase, &salt, derive_iterations, 0)?;
        Ok(MasterKey {
            crypted_key: crypter.encrypt(plain_master_key),
            salt: salt.to_vec(),
            derivation_method: 0,
            derive_iterations,
            other_derivation_params: Vec::new(),
        })
    }

    /// Core's `DecryptMasterKey`. A wrong passphrase normally shows as
    /// [`CrypterError::DecryptFailed`], but padding can pass by chance, so callers
    /// check the result against a known encrypted key as Core's `Unlock` does.
    pub fn decrypt(&self, passphrase: &[u8]) -> Result<KeyingMaterial, CrypterError> {
        let crypter = Crypter::from_passphrase(
            passphrase,
            &self.salt,
            self.derive_iterations,
            self.derivation_method,
        )?;
        crypter.decrypt(&self.crypted_key)
    }
}

/// Core's target for one key derivation during calibration.
pub const CALIBRATION_TARGET: Duration = Duration::from_millis(100);

/// Chooses derivation rounds the way Core's `EncryptMasterKey` does: two timed runs,
/// each scaling the current count to what would take 100 ms, averaged with weights;
/// a zero duration (a mocked clock) means the default; never below 25 000.
///
/// `measure(rounds)` runs (or pretends to run) a derivation with `rounds` and returns
/// how long it took, which keeps tests deterministic; [`time_derivation`] is the real
/// measurement. `initial` is the starting count: the default for a new key, the old
/// count when a passphrase changes.
pub fn calibrate_iterations<F>(initial: u32, mut measure: F) -> Result<u32, CrypterError>
where
    F: FnMut(u32) -> Result<Duration, CrypterError>,
{
    let mut iterations = initial;
    for i in 0..2u64 {
        let elapsed = measure(iterations)?;
        if elapsed.is_zero() {
            iterations = MasterKey::DEFAULT_DERIVE_ITERATIONS;
            break;
        }
        // Milliseconds as doubles, like Core's MillisecondsDouble arithmetic.
        let elapsed_ms = elapsed.as_nanos() as f64 / 1e6;
        let target_ms = CALIBRATION_TARGET.as_nanos() as f64 / 1e6;
        let target = f64::from(iterations) * target_ms / elapsed_ms;
        if !(1.0..=f64::from(u32::MAX)).contains(&target) {
            return Err(CrypterError::Calibration);
        }
        // Truncation toward zero matches Core's static_cast<unsigned int>.
        let target = target as u64;
        let averaged = (u64::from(iterations) * i + target) / (i + 1);
        iterations = u32::try_from(averaged).map_err(|_| CrypterError::Calibration)?;
    }
    Ok(iterations.max(MasterKey::DEFAULT_DERIVE_ITERATIONS))
}

/// Times one real derivation of `passphrase` with `salt` and `rounds`, for
/// [`calibrate_iterations`].
pub fn time_derivation(
    passphrase: &[u8],
    salt: &[u8],
    rounds: u32,
) -> Result<Duration, CrypterError> {
    let start = std::time::Instant::now();
    let c = Crypter::from_passphrase(passphrase, salt, rounds, 0)?;
    let elapsed = start.elapsed();
    drop(c);
    Ok(elapsed)
}

/// Zeroes a buffer that held secrets, for callers not using [`Zeroizing`].
pub fn wipe(buf: &mut [u8]) {
    buf.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    const SALT: [u8; 8] = [0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00];

    #[test]
    fn passphrase_vector_from_core() {
        // wallet_crypto_tests.cpp: "test", salt 0000deadbeef0000, 25000 rounds.
        let c = Crypter::from_passphrase(b"test", &SALT, 25_000, 0).unwrap();
        assert_eq!(
            hex::encode(c.key()),
            "fc7aba077ad5f4c3a0988d8daa4810d0d4a0e3bcb53af662998898f33df0556a"
        );
        assert_eq!(hex::encode(c.iv()), "cf2f2691526dd1aa220896fb8bf7c369");
        // Every suffix of the passphrase derives too (Core's TestPassphrase loop).
        for i in 0..4 {
            assert!(Crypter::from_passphrase(&b"test"[i..], &SALT, 3, 0).is_ok());
        }
    }

    #[test]
    fn derivation_preconditions() {
        assert_eq!(
            Crypter::from_passphrase(b"passphrase", &SALT, 0, 0).unwrap_err(),
            CrypterError::KeyDerivation
        );
        assert!(Crypter::from_passphrase(b"passphrase", &SALT, 1, 0).is_ok());
        assert!(Crypter::from_passphrase(b"passphrase", &SALT[..7], 1, 0).is_err());
        assert!(Crypter::from_passphrase(b"passphrase", &SALT, 1, 1).is_err());
        assert!(Crypter::from_key(&[0; 31], &[0; 16]).is_err());
        assert!(Crypter::from_key(&[0; 32], &[0; 15]).is_err());
    }

    #[test]
    fn encrypt_decrypt_like_core_tests() {
        let c = Crypter::from_passphrase(b"passphrase", &SALT, 25_000, 0).unwrap();
        let plain = hex::decode("22bcade09ac03ff6386914359cfe885cfeb5f77ff0d670f102f619687453b29d")
            .unwrap();
        for start in 0..plain.len() {
            let ct = c.encrypt(&plain[start..]);
            assert_eq!(ct.len(), (plain.len() - start) / 16 * 16 + 16);
            assert_eq!(&c.decrypt(&ct).unwrap()[..], &plain[start..]);
        }
        // Core's decrypt corner cases: they must not crash, whatever they return.
        for ct in [
            "795643ce39d736088367822cdc50535ec6f103715e3e48f4f3b1a60a08ef59ca",
            "de096f4a8f9bd97db012aa9d90d74de8cdea779c3ee8bc7633d8b5d6da703486",
            "32d0a8974e3afd9c6c3ebf4d66aa4e6419f8c173de25947f98cf8b7ace49449c",
            "e7c055cca2faa78cb9ac22c9357a90b4778ded9b2cc220a14cea49f931e596ea",
            "b88efddd668a6801d19516d6830da4ae9811988ccbaf40df8fbb72f3f4d335fd",
            "8cae76aa6a43694e961ebcb28c8ca8f8540b84153d72865e8561ddd93fa7bfa9",
        ] {
            let _ = c.decrypt(&hex::decode(ct).unwrap());
        }
        assert_eq!(c.decrypt(&[]).unwrap_err(), CrypterError::DecryptFailed);
        assert_eq!(
            c.decrypt(&[0; 15]).unwrap_err(),
            CrypterError::DecryptFailed
        );
        // A block of pure padding decrypts to nothing, which Core treats as failure.
        let empty = c.encrypt(&[]);
        assert_eq!(empty.len(), 16);
        assert_eq!(c.decrypt(&empty).unwrap_err(), CrypterError::DecryptFailed);
    }

    #[test]
    fn known_aes_cbc_vector() {
        // NIST SP 800-38A F.2.5 (CBC-AES256), first block, then PKCS#7 adds a block.
        let key = hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .unwrap();
        let iv = hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let c = Crypter::from_key(&key, &iv).unwrap();
        let ct = c.encrypt(&hex::decode("6bc1bee22e409f96e93d7e117393172a").unwrap());
        assert_eq!(hex::encode(&ct[..16]), "f58c4c04d6e5f1ba779eabfb5f7bfbd6");
        assert_eq!(ct.len(), 32);
    }

    #[test]
    fn master_key_and_secret_round_trip() {
        let plain_master = [7u8; 32];
        let mk = MasterKey::encrypt(b"pw", &plain_master, SALT, 10).unwrap();
        assert_eq!(mk.crypted_key.len(), 48);
        assert_eq!(&mk.decrypt(b"pw").unwrap()[..], &plain_master);
        assert!(mk
            .decrypt(b"wrong")
            .map(|k| k[..] != plain_master)
            .unwrap_or(true));
        assert_eq!(MasterKey::decode(&mk.encode()).unwrap(), mk);
        let mut trailing = mk.encode();
        trailing.push(0);
        assert!(MasterKey::decode(&trailing).is_err());

        let secret = [0x11u8; 32];
        let sk = SecretKey::from_slice(&secret).unwrap();
        let pk = PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk);
        let pub_c = PubKeyBytes::from(pk);
        let ct = encrypt_key(&plain_master, &secret, &pub_c).unwrap();
        assert_eq!(*decrypt_key(&plain_master, &ct, &pub_c).unwrap(), secret);
        // The IV is the first half of the pubkey's double SHA-256.
        let direct = Crypter::from_key(&plain_master, &pub_c.hash()[..16])
            .unwrap()
            .encrypt(&secret);
        assert_eq!(direct, ct);
        let other = PubKeyBytes::from(PublicKey::from_secret_key(
            &Secp256k1::signing_only(),
            &SecretKey::from_slice(&[0x22; 32]).unwrap(),
        ));
        let ct_other = encrypt_key(&plain_master, &secret, &other).unwrap();
        assert_eq!(
            decrypt_key(&plain_master, &ct_other, &other).unwrap_err(),
            CrypterError::KeyMismatch
        );
    }

    #[test]
    fn calibration_follows_core_arithmetic() {
        // 25000 rounds in 50 ms -> 50000 for 100 ms; then 50000 in 80 ms -> 62500;
        // the weighted average of 50000 and 62500 is 56250.
        let mut times = vec![Duration::from_millis(80), Duration::from_millis(50)];
        let got = calibrate_iterations(25_000, |_| Ok(times.pop().unwrap())).unwrap();
        assert_eq!(got, 56_250);
        // Slow machines never go below the default.
        let got = calibrate_iterations(25_000, |_| Ok(Duration::from_secs(1))).unwrap();
        assert_eq!(got, MasterKey::DEFAULT_DERIVE_ITERATIONS);
        // A mocked clock gives the default.
        assert_eq!(
            calibrate_iterations(99_999, |_| Ok(Duration::ZERO)).unwrap(),
            25_000
        );
        // Absurdly fast runs overflow, as in Core.
        assert_eq!(
            calibrate_iterations(25_000, |_| Ok(Duration::from_nanos(1))).unwrap_err(),
            CrypterError::Calibration
        );
        let real = calibrate_iterations(25_000, |n| time_derivation(b"pw", &SALT, n)).unwrap();
        assert!(real >= 25_000);
    }
}
