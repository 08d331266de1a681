//! `signmessage` (Core's `wallet/rpc/signmessage.cpp` and `CWallet::SignMessage`).

use std::sync::Arc;

use descriptors::Destination;
use rpc::codes::{RPC_INVALID_ADDRESS_OR_KEY, RPC_TYPE_ERROR, RPC_WALLET_ERROR};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::Value;
use signing::SigningProvider;

use super::command;
use super::util::{ensure_unlocked, wallet_for};
use crate::context::WalletContext;
use crate::state::WalletState;

/// Why a message could not be signed (Core's `SigningResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningError {
    /// No descriptor has the private key of the address.
    PrivateKeyNotAvailable,
}

impl std::fmt::Display for SigningError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigningError::PrivateKeyNotAvailable => f.write_str("Private key not available"),
        }
    }
}

/// Registers the command.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "signmessage",
        "Signs a message with the private key of a legacy (P2PKH) address.\nNeeds the wallet passphrase for an encrypted wallet.\n",
        vec![
            Arg::required("address", ArgType::Str, "The address whose private key signs."),
            Arg::required("message", ArgType::Str, "The message to sign."),
        ],
        "\"str\"    (string) The signature in base 64",
        move |req| sign_message(&c, req),
    ));
}

/// `CWallet::SignMessage`: the first descriptor (in id order) that knows the address's
/// script signs with its key.
pub fn sign_with_wallet(
    st: &WalletState,
    key_hash: &[u8; 20],
    message: &str,
) -> Result<String, SigningError> {
    let script = Destination::PubKeyHash(*key_hash).script_pubkey();
    let (spkm, index) = st
        .spkms
        .values()
        .find_map(|s| s.index_of(&script).map(|i| (s, i)))
        .ok_or(SigningError::PrivateKeyNotAvailable)?;
    let mut provider = signing::FlatSigningProvider::new();
    spkm.signing_provider(index, true, &mut provider);
    let secret = provider
        .key(key_hash)
        .ok_or(SigningError::PrivateKeyNotAvailable)?;
    Ok(descriptors::sign_message(&secret, message))
}

fn sign_message(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let st = wallet.state();
    ensure_unlocked(&st)?;
    let address = req.arg_str(0)?;
    let message = req.arg_str(1)?;
    let dest = descriptors::decode_destination(address, cx.network())
        .map_err(|_| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address"))?;
    let Destination::PubKeyHash(hash) = dest else {
        return Err(RpcError::new(
            RPC_TYPE_ERROR,
            "Address does not refer to key",
        ));
    };
    sign_with_wallet(&st, &hash, message)
        .map(Value::String)
        .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::state::WalletOptions;
    use bitcoin::bip32::Xpriv;
    use bitcoin::{Network, NetworkKind};

    #[test]
    fn signs_with_the_key_of_a_wallet_address() {
        let options = WalletOptions {
            keypool_size: 3,
            ..WalletOptions::default()
        };
        let mut st = WalletState::new("w", Network::Regtest, options);
        let master = Xpriv::new_master(NetworkKind::Test, &[5u8; 32]).unwrap();
        crate::load::setup_descriptors_from(&mut st, &master, 1).unwrap();
        let script = st
            .new_destination(walletdb::records::OutputType::Legacy, "")
            .unwrap();
        let Some(Destination::PubKeyHash(hash)) = Destination::from_script(&script) else {
            panic!("not p2pkh");
        };
        let address = Destination::PubKeyHash(hash).encode(Network::Regtest);
        let sig = sign_with_wallet(&st, &hash, "hello").unwrap();
        assert_eq!(
            descriptors::verify_message(&address, &sig, "hello", Network::Regtest),
            descriptors::Verification::Ok
        );
        assert_eq!(
            sign_with_wallet(&st, &[0u8; 20], "hello"),
            Err(SigningError::PrivateKeyNotAvailable)
        );
    }
}
