//! Wallet encryption (Core's `EncryptWallet`, `Unlock`, `Lock`, `ChangeWalletPassphrase`).

use std::collections::BTreeMap;

use bitcoin::secp256k1::SecretKey;
use descriptors::Secret;
use walletdb::crypter::{calibrate_iterations, time_derivation, MasterKey};
use walletdb::records::{PubKeyBytes, Record};

use crate::error::WalletError;
use crate::state::WalletState;

fn crypter_err(e: walletdb::CrypterError) -> WalletError {
    WalletError::Invalid(e.to_string())
}

/// A master key for `passphrase`, with Core's timing calibration of the iterations.
fn new_master_key(passphrase: &[u8], plain: &[u8]) -> Result<MasterKey, WalletError> {
    let salt = common::random::random_bytes::<8>()
        .map_err(|e| WalletError::Invalid(format!("no randomness: {e}")))?;
    let iterations = calibrate_iterations(MasterKey::DEFAULT_DERIVE_ITERATIONS, |rounds| {
        time_derivation(passphrase, &salt, rounds)
    })
    .map_err(crypter_err)?;
    MasterKey::encrypt(passphrase, plain, salt, iterations).map_err(crypter_err)
}

/// Encrypts a key with the plain master key.
pub fn encrypt_with(master: &[u8], pubkey: &[u8], secret: &Secret) -> Option<Vec<u8>> {
    let pk = PubKeyBytes::from_slice(pubkey)?;
    walletdb::crypter::encrypt_key(master, &secret.key.secret_bytes(), &pk).ok()
}

/// Makes the wallet's master key and encrypts every plain key with it (the first half of
/// `EncryptWallet`; the wallet stays unlocked with the new key).
pub fn encrypt_state(st: &mut WalletState, passphrase: &[u8]) -> Result<(), WalletError> {
    if st.is_crypted() {
        return Err(WalletError::Invalid(
            "Error: running with an encrypted wallet, but encryptwallet was called.".into(),
        ));
    }
    let plain = common::random::random_bytes::<32>()
        .map_err(|e| WalletError::Invalid(format!("no randomness: {e}")))?
        .to_vec();
    let mk = new_master_key(passphrase, &plain)?;
    st.log(&format!(
        "Encrypting Wallet with an nDeriveIterations of {}",
        mk.derive_iterations
    ));
    let id = st.master_keys.keys().max().copied().unwrap_or(0) + 1;
    st.master_keys.insert(id, mk.clone());
    st.write(Record::MasterKey { id, key: mk });
    let ids: Vec<_> = st.spkms.keys().copied().collect();
    for desc in ids {
        let (records, plain_keys) = {
            let Some(s) = st.spkms.get_mut(&desc) else {
                continue;
            };
            let records = s.encrypt_keys(&|pubkey, secret| encrypt_with(&plain, pubkey, secret))?;
            let keys: Vec<Vec<u8>> = s.plain_keys().keys().cloned().collect();
            s.set_plain_keys(BTreeMap::new());
            (records, keys)
        };
        for r in records {
            st.write(r);
        }
        for pubkey in plain_keys {
            if let Some(pk) = PubKeyBytes::from_slice(&pubkey) {
                st.erase(&Record::DescriptorKey {
                    desc_id: desc,
                    pubkey: pk,
                    privkey_der: walletdb::records::SecretBytes::new(Vec::new()),
                });
            }
        }
    }
    st.master_key = Some(plain);
    unlock_with_master(st)?;
    Ok(())
}

/// Decrypts every key with the master key held in the state.
fn unlock_with_master(st: &mut WalletState) -> Result<(), WalletError> {
    let Some(master) = st.master_key.clone() else {
        return Err(WalletError::Locked);
    };
    let ids: Vec<_> = st.spkms.keys().copied().collect();
    for id in ids {
        let Some(s) = st.spkms.get_mut(&id) else {
            continue;
        };
        let mut keys = BTreeMap::new();
        for (pubkey, crypted) in s.crypted_keys() {
            let pk = PubKeyBytes::from_slice(pubkey)
                .ok_or_else(|| WalletError::Corrupt("bad public key".into()))?;
            let secret = walletdb::crypter::decrypt_key(&master, crypted, &pk)
                .map_err(|_| WalletError::Invalid("wrong key".into()))?;
            let key = SecretKey::from_slice(&secret[..])
                .map_err(|_| WalletError::Invalid("wrong key".into()))?;
            keys.insert(
                pubkey.clone(),
                Secret {
                    key,
                    compressed: pubkey.len() == 33,
                },
            );
        }
        s.set_plain_keys(keys);
    }
    Ok(())
}

/// `Unlock`: true if `passphrase` opens one of the master keys.
pub fn unlock(st: &mut WalletState, passphrase: &[u8]) -> bool {
    let keys: Vec<MasterKey> = st.master_keys.values().cloned().collect();
    for mk in keys {
        let Ok(plain) = mk.decrypt(passphrase) else {
            continue;
        };
        st.master_key = Some(plain.to_vec());
        if unlock_with_master(st).is_ok() {
            return true;
        }
        st.master_key = None;
    }
    false
}

/// `Lock`: forgets the master key and the decrypted keys.
pub fn lock(st: &mut WalletState) {
    if !st.is_crypted() {
        return;
    }
    st.master_key = None;
    for s in st.spkms.values_mut() {
        if s.has_crypted_keys() {
            s.set_plain_keys(BTreeMap::new());
        }
    }
}

/// `ChangeWalletPassphrase`: re-encrypts the master key under `new`; false if `old` is wrong.
pub fn change_passphrase(
    st: &mut WalletState,
    old: &[u8],
    new: &[u8],
) -> Result<bool, WalletError> {
    let was_locked = st.is_locked();
    lock(st);
    let entries: Vec<(u32, MasterKey)> = st
        .master_keys
        .iter()
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    for (id, mk) in entries {
        let Ok(plain) = mk.decrypt(old) else { continue };
        st.master_key = Some(plain.to_vec());
        if unlock_with_master(st).is_err() {
            st.master_key = None;
            continue;
        }
        let new_mk = new_master_key(new, &plain)?;
        st.log(&format!(
            "Wallet passphrase changed to an nDeriveIterations of {}",
            new_mk.derive_iterations
        ));
        st.master_keys.insert(id, new_mk.clone());
        st.write(Record::MasterKey { id, key: new_mk });
        if was_locked {
            lock(st);
        }
        return Ok(true);
    }
    Ok(false)
}
