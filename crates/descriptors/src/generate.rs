//! Core's `getScriptFromDescriptor` (mining RPCs): one output script from a
//! descriptor string, with Core's errors and RPC codes.

use bitcoin::{Network, ScriptBuf};

use crate::{parse, RpcLikeError};

/// `RPC_INVALID_PARAMETER`.
const RPC_INVALID_PARAMETER: i32 = -8;
/// `RPC_INVALID_ADDRESS_OR_KEY`.
const RPC_INVALID_ADDRESS_OR_KEY: i32 = -5;

/// The script `generatetodescriptor`/`generateblock` mine to: no multipath, no range;
/// for `combo()` the P2WPKH script of a compressed key, else its P2PKH script. A parse
/// failure comes back with `RPC_INVALID_ADDRESS_OR_KEY` and the parser's message
/// (the callers report it so).
pub fn script_for_generate(descriptor: &str, network: Network) -> Result<ScriptBuf, RpcLikeError> {
    let descs = parse(descriptor, false, network).map_err(|e| RpcLikeError {
        code: RPC_INVALID_ADDRESS_OR_KEY,
        message: e.0,
    })?;
    if descs.len() > 1 {
        return Err(RpcLikeError {
            code: RPC_INVALID_PARAMETER,
            message: "Multipath descriptor not accepted".into(),
        });
    }
    let Some(desc) = descs.first() else {
        return Err(RpcLikeError {
            code: RPC_INVALID_ADDRESS_OR_KEY,
            message: String::new(),
        });
    };
    if desc.is_range() {
        return Err(RpcLikeError {
            code: RPC_INVALID_PARAMETER,
            message: "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?"
                .into(),
        });
    }
    let scripts = desc.expand(0).map_err(|_| RpcLikeError {
        code: RPC_INVALID_ADDRESS_OR_KEY,
        message: "Cannot derive script without private keys".into(),
    })?;
    let chosen = match scripts.len() {
        1 => scripts.into_iter().next(),
        4 => scripts.into_iter().nth(2),
        _ => scripts.into_iter().nth(1),
    };
    chosen.ok_or_else(|| RpcLikeError {
        code: -1,
        message: "Unexpected empty result".into(),
    })
}
