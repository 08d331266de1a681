//! What every wallet command shares (Core's `wallet/rpc/util.cpp`).

use std::sync::Arc;

use rpc::codes::{
    RPC_INVALID_PARAMETER, RPC_WALLET_ALREADY_EXISTS, RPC_WALLET_ALREADY_LOADED,
    RPC_WALLET_ENCRYPTION_FAILED, RPC_WALLET_ERROR, RPC_WALLET_INVALID_LABEL_NAME,
    RPC_WALLET_NOT_FOUND, RPC_WALLET_NOT_SPECIFIED, RPC_WALLET_UNLOCK_NEEDED,
};
use rpc::{Request, RpcError};
use serde_json::{Map, Value};

use crate::context::{DatabaseStatus, LoadError, WalletContext};
use crate::state::WalletState;
use crate::wallet::Wallet;
use crate::WalletError;

/// The path prefix of wallet requests.
const WALLET_ENDPOINT_BASE: &str = "/wallet/";

/// The wallet name a request's path names (`GetWalletNameFromJSONRPCRequest`).
pub fn wallet_name_from_request(req: &Request) -> Option<String> {
    req.uri
        .strip_prefix(WALLET_ENDPOINT_BASE)
        .map(rpc::request::url_decode)
}

/// `GetWalletForJSONRPCRequest`.
pub fn wallet_for(cx: &WalletContext, req: &Request) -> Result<Arc<Wallet>, RpcError> {
    if let Some(name) = wallet_name_from_request(req) {
        return cx.wallet(&name).ok_or_else(|| {
            RpcError::new(
                RPC_WALLET_NOT_FOUND,
                "Requested wallet does not exist or is not loaded",
            )
        });
    }
    let wallets = cx.wallets();
    match wallets.len() {
        1 => Ok(wallets[0].clone()),
        0 => Err(RpcError::new(
            RPC_WALLET_NOT_FOUND,
            "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)",
        )),
        _ => Err(RpcError::new(
            RPC_WALLET_NOT_SPECIFIED,
            "Multiple wallets are loaded. Please select which wallet to use by requesting the RPC through the /wallet/<walletname> URI path.",
        )),
    }
}

/// `EnsureWalletIsUnlocked`.
pub fn ensure_unlocked(st: &WalletState) -> Result<(), RpcError> {
    if st.is_locked() {
        return Err(RpcError::new(
            RPC_WALLET_UNLOCK_NEEDED,
            "Error: Please enter the wallet passphrase with walletpassphrase first.",
        ));
    }
    Ok(())
}

/// `HandleWalletError`: Core's code for a failed load or create.
pub fn load_error(e: LoadError) -> RpcError {
    let code = match e.status {
        DatabaseStatus::NotFound | DatabaseStatus::BadFormat | DatabaseStatus::LegacyDisabled => {
            RPC_WALLET_NOT_FOUND
        }
        DatabaseStatus::AlreadyLoaded => RPC_WALLET_ALREADY_LOADED,
        DatabaseStatus::AlreadyExists => RPC_WALLET_ALREADY_EXISTS,
        DatabaseStatus::InvalidBackupFile | DatabaseStatus::NewUnnamed => RPC_INVALID_PARAMETER,
        DatabaseStatus::Encrypt => RPC_WALLET_ENCRYPTION_FAILED,
        _ => RPC_WALLET_ERROR,
    };
    RpcError::new(code, e.message)
}

/// A wallet failure as an RPC error.
pub fn wallet_error(e: WalletError) -> RpcError {
    match e {
        WalletError::Locked => RpcError::new(RPC_WALLET_UNLOCK_NEEDED, e.to_string()),
        WalletError::Keypool(m) => RpcError::new(rpc::codes::RPC_WALLET_KEYPOOL_RAN_OUT, m),
        other => RpcError::new(RPC_WALLET_ERROR, other.to_string()),
    }
}

/// `LabelFromValue`.
pub fn label_from_value(v: &Value) -> Result<String, RpcError> {
    let label = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!(
                    "JSON value of type {} is not of expected type string",
                    rpc::json::type_name(other)
                ),
            ))
        }
    };
    if label == "*" {
        return Err(RpcError::new(
            RPC_WALLET_INVALID_LABEL_NAME,
            "Invalid label name",
        ));
    }
    Ok(label)
}

/// `PushWarnings`: adds `warnings` to `obj` when there are any.
pub fn push_warnings(warnings: Vec<String>, obj: &mut Map<String, Value>) {
    if warnings.is_empty() {
        return;
    }
    obj.insert(
        "warnings".into(),
        Value::Array(warnings.into_iter().map(Value::String).collect()),
    );
}

/// An amount in satoshis as Core prints it.
pub fn amount(sats: i64) -> Value {
    rpc::amount_value(sats)
}
