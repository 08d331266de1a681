//! Wallet encryption commands (Core's `wallet/rpc/encrypt.cpp`): `encryptwallet`,
//! `walletpassphrase` with its relock timer, `walletlock` and `walletpassphrasechange`.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use rpc::codes::{
    RPC_INVALID_PARAMETER, RPC_WALLET_ENCRYPTION_FAILED, RPC_WALLET_ERROR,
    RPC_WALLET_PASSPHRASE_INCORRECT, RPC_WALLET_WRONG_ENC_STATE,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::Value;

use super::command;
use super::util::{wallet_error, wallet_for};
use crate::context::WalletContext;
use crate::crypt;
use crate::state::flags;
use crate::wallet::Wallet;

/// Longest unlock (about three years), so the relock time cannot overflow.
const MAX_SLEEP_TIME: i64 = 100_000_000;

/// How often a waiting relock timer checks whether a newer unlock replaced it.
const RELOCK_POLL: Duration = Duration::from_millis(250);

const INCORRECT: &str = "Error: The wallet passphrase entered was incorrect.";
const INCORRECT_NUL: &str = "Error: The wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte). If the passphrase was set with a version of this software prior to 25.0, please try again with only the characters up to — but not including — the first null character. If this is successful, please set a new passphrase to avoid this issue in the future.";
const OLD_INCORRECT_NUL: &str = "Error: The old wallet passphrase entered is incorrect. It contains a null character (ie - a zero byte). If the old passphrase was set with a version of this software prior to 25.0, please try again with only the characters up to — but not including — the first null character.";
const ENCRYPTED: &str = "wallet encrypted; The keypool has been flushed and a new HD seed was generated. You need to make a new backup with the backupwallet RPC.";

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "walletpassphrase",
        "Keeps the wallet's decryption key in memory for 'timeout' seconds, so that private keys can be used.\nCalled again while unlocked, it sets a new relock time in place of the old one.\n",
        vec![
            Arg::required("passphrase", ArgType::Str, "The wallet passphrase."),
            Arg::required("timeout", ArgType::Num, "Seconds to keep the key; at most 100000000 (about 3 years)."),
        ],
        "null    (json null)",
        move |req| wallet_passphrase(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "walletpassphrasechange",
        "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.\n",
        vec![
            Arg::required("oldpassphrase", ArgType::Str, "The passphrase now."),
            Arg::required(
                "newpassphrase",
                ArgType::Str,
                "The passphrase to use from now on.",
            ),
        ],
        "null    (json null)",
        move |req| wallet_passphrase_change(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "walletlock",
        "Forgets the wallet's decryption key, locking the wallet.\nwalletpassphrase is then needed before private keys can be used again.\n",
        vec![],
        "null    (json null)",
        move |req| wallet_lock(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "encryptwallet",
        "Encrypts the wallet's private keys with 'passphrase', for the first time.\nAfterwards walletpassphrase is needed before sending or signing, and walletlock locks again; walletpassphrasechange changes the passphrase.\nEncrypting makes a new HD seed and new active descriptors: back up the wallet file again afterwards (backupwallet).\n",
        vec![Arg::required(
            "passphrase",
            ArgType::Str,
            "The passphrase to encrypt with; at least one character, better long.",
        )],
        "\"str\"    (string) What to do next",
        move |req| encrypt_wallet(&c, req),
    ));
}

fn wrong_state(command: &str) -> RpcError {
    RpcError::new(
        RPC_WALLET_WRONG_ENC_STATE,
        format!("Error: running with an unencrypted wallet, but {command} was called."),
    )
}

fn rescanning(doing: &str) -> RpcError {
    RpcError::new(
        RPC_WALLET_ERROR,
        format!("Error: the wallet is currently being used to rescan the blockchain for related transactions. Please call `abortrescan` before {doing}."),
    )
}

fn empty_passphrase() -> RpcError {
    RpcError::new(RPC_INVALID_PARAMETER, "passphrase cannot be empty")
}

fn scanning_with_passphrase(wallet: &Wallet) -> bool {
    wallet.scan.with_passphrase.load(Ordering::SeqCst)
}

fn wallet_passphrase(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let (generation, seconds) = wallet
        .with(|st, lookup| {
            if !st.is_crypted() {
                return Ok(Err(wrong_state("walletpassphrase")));
            }
            let passphrase = match req.arg_str(0) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let timeout = match req.arg_i64(1) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if timeout < 0 {
                return Ok(Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Timeout cannot be negative.",
                )));
            }
            let timeout = timeout.min(MAX_SLEEP_TIME);
            if passphrase.is_empty() {
                return Ok(Err(empty_passphrase()));
            }
            if !crypt::unlock(st, passphrase.as_bytes()) {
                let msg = if passphrase.contains('\0') {
                    INCORRECT_NUL
                } else {
                    INCORRECT
                };
                return Ok(Err(RpcError::new(RPC_WALLET_PASSPHRASE_INCORRECT, msg)));
            }
            st.top_up_keypool(0)?;
            let relock = lookup.now().saturating_add(timeout).max(0) as u64;
            wallet.relock_time.store(relock, Ordering::SeqCst);
            let generation = wallet.unlock_generation.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Ok((generation, timeout as u64)))
        })
        .map_err(wallet_error)??;
    schedule_relock(Arc::downgrade(&wallet), generation, seconds);
    Ok(Value::Null)
}

/// Relocks the wallet after `seconds` unless it was unlocked again meanwhile (Core's
/// relock callback, which compares `nRelockTime`). The thread ends early once a newer
/// unlock replaces it or the wallet is unloaded.
fn schedule_relock(wallet: Weak<Wallet>, generation: u64, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let spawned = std::thread::Builder::new()
        .name("wallet-relock".into())
        .spawn(move || {
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                std::thread::sleep((deadline - now).min(RELOCK_POLL));
                let Some(w) = wallet.upgrade() else { return };
                if w.unlock_generation.load(Ordering::SeqCst) != generation {
                    return;
                }
            }
            let Some(w) = wallet.upgrade() else { return };
            let _relock = w.relock_mutex.lock().unwrap_or_else(|e| e.into_inner());
            let mut st = w.state();
            if w.unlock_generation.load(Ordering::SeqCst) != generation {
                return;
            }
            crypt::lock(&mut st);
            w.relock_time.store(0, Ordering::SeqCst);
        });
    if let Err(e) = spawned {
        common::logging::log_error(&format!("cannot start the wallet relock timer: {e}"));
    }
}

fn wallet_passphrase_change(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    if !wallet.state().is_crypted() {
        return Err(wrong_state("walletpassphrasechange"));
    }
    if scanning_with_passphrase(&wallet) {
        return Err(rescanning("changing the passphrase"));
    }
    let _relock = wallet
        .relock_mutex
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let old = req.arg_str(0)?;
    let new = req.arg_str(1)?;
    if old.is_empty() || new.is_empty() {
        return Err(empty_passphrase());
    }
    let changed = wallet
        .with(|st, _| crypt::change_passphrase(st, old.as_bytes(), new.as_bytes()))
        .map_err(wallet_error)?;
    if !changed {
        let msg = if old.contains('\0') {
            OLD_INCORRECT_NUL
        } else {
            INCORRECT
        };
        return Err(RpcError::new(RPC_WALLET_PASSPHRASE_INCORRECT, msg));
    }
    Ok(Value::Null)
}

fn wallet_lock(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    if !wallet.state().is_crypted() {
        return Err(wrong_state("walletlock"));
    }
    if scanning_with_passphrase(&wallet) {
        return Err(rescanning("locking the wallet"));
    }
    let _relock = wallet
        .relock_mutex
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    crypt::lock(&mut wallet.state());
    wallet.relock_time.store(0, Ordering::SeqCst);
    Ok(Value::Null)
}

fn encrypt_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    {
        let st = wallet.state();
        if st.has_flag(flags::DISABLE_PRIVATE_KEYS) {
            return Err(RpcError::new(
                RPC_WALLET_ENCRYPTION_FAILED,
                "Error: wallet does not contain private keys, nothing to encrypt.",
            ));
        }
        if st.is_crypted() {
            return Err(RpcError::new(
                RPC_WALLET_WRONG_ENC_STATE,
                "Error: running with an encrypted wallet, but encryptwallet was called.",
            ));
        }
    }
    if scanning_with_passphrase(&wallet) {
        return Err(rescanning("encrypting the wallet"));
    }
    let _relock = wallet
        .relock_mutex
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let passphrase = req.arg_str(0)?;
    if passphrase.is_empty() {
        return Err(empty_passphrase());
    }
    wallet
        .with(|st, lookup| encrypt(st, passphrase.as_bytes(), lookup.now()))
        .map_err(|_| {
            RpcError::new(
                RPC_WALLET_ENCRYPTION_FAILED,
                "Error: Failed to encrypt the wallet.",
            )
        })?;
    // Freed pages may still hold the plain keys until the file is rewritten; Core ignores
    // a failure here too.
    let _ = wallet.with_store(|s| s.rewrite());
    Ok(Value::String(ENCRYPTED.into()))
}

/// `CWallet::EncryptWallet` after its checks: encrypts the keys, makes new active
/// descriptors from a new seed (`SetupWalletGeneration`) and locks.
pub fn encrypt(
    st: &mut crate::state::WalletState,
    passphrase: &[u8],
    now: i64,
) -> Result<(), crate::WalletError> {
    crypt::encrypt_state(st, passphrase)?;
    let generate = st.has_flag(flags::EXTERNAL_SIGNER)
        || !(st.has_flag(flags::BLANK_WALLET) || st.has_flag(flags::DISABLE_PRIVATE_KEYS));
    if generate {
        crate::load::setup_descriptors(st, now)?;
    }
    crypt::lock(st);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::state::{WalletOptions, WalletState};
    use bitcoin::bip32::Xpriv;
    use bitcoin::{Network, NetworkKind};

    #[test]
    fn encrypting_makes_new_active_descriptors_and_locks() {
        let options = WalletOptions {
            keypool_size: 2,
            ..WalletOptions::default()
        };
        let mut st = WalletState::new("w", Network::Regtest, options);
        st.flags = flags::DESCRIPTORS;
        let master = Xpriv::new_master(NetworkKind::Test, &[1u8; 32]).unwrap();
        crate::load::setup_descriptors_from(&mut st, &master, 1).unwrap();
        let before: Vec<_> = st.active_external.values().copied().collect();
        encrypt(&mut st, b"pass", 2).unwrap();
        assert!(st.is_locked());
        assert_eq!(st.spkms.len(), 16);
        let after: Vec<_> = st.active_external.values().copied().collect();
        assert!(before.iter().all(|id| !after.contains(id)));
        assert!(st.spkms.values().all(|s| s.has_crypted_keys()));
        assert!(st.spkms.values().all(|s| s.private_string().is_none()));
        // Addresses still come from the caches while locked.
        st.new_destination(walletdb::records::OutputType::Bech32, "")
            .unwrap();
        assert!(!crypt::unlock(&mut st, b"wrong"));
        assert!(crypt::unlock(&mut st, b"pass"));
        assert!(st.spkms.values().all(|s| s.private_string().is_some()));
    }
}
