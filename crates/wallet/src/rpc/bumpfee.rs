//! `bumpfee` and `psbtbumpfee` (Core's `bumpfee_helper` in `wallet/rpc/spend.cpp`).

use bitcoin::Transaction;
use rpc::codes::{RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::request::{value_bool, value_u32};
use rpc::{Request, RpcError, RpcResult, Value};
use serde_json::Map;
use signing::psbt::Psbt;

use super::fund::{new_coin_control, psbt_error, set_fee_estimate_mode, with_wallet};
use super::rawtx::{find, parse_txid, type_check_obj};
use super::spend::param;
use super::util::{amount, ensure_unlocked, wallet_for};
use crate::context::WalletContext;
use crate::feebumper::{commit_bump, create_rate_bump, BumpErrorKind};
use crate::sign::{fill_psbt, FillOptions};
use crate::spend::node::ChainView;
use crate::state::flags;

fn bump_error(e: crate::feebumper::BumpError) -> RpcError {
    let code = match e.kind {
        BumpErrorKind::InvalidAddressOrKey => rpc::codes::RPC_INVALID_ADDRESS_OR_KEY,
        BumpErrorKind::InvalidRequest => rpc::codes::RPC_INVALID_REQUEST,
        BumpErrorKind::InvalidParameter => RPC_INVALID_PARAMETER,
        BumpErrorKind::WalletError => RPC_WALLET_ERROR,
        BumpErrorKind::MiscError => rpc::codes::RPC_MISC_ERROR,
    };
    RpcError::new(code, e.message)
}

/// Replaces a wallet transaction by one paying more (`bumpfee`, or with `want_psbt`
/// `psbtbumpfee`).
pub fn bump_fee(cx: &WalletContext, req: &Request, want_psbt: bool) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    {
        let st = wallet.state();
        if st.has_flag(flags::DISABLE_PRIVATE_KEYS)
            && !st.has_flag(flags::EXTERNAL_SIGNER)
            && !want_psbt
        {
            return Err(RpcError::new(RPC_WALLET_ERROR, "bumpfee is not available with wallets that have private keys disabled. Use psbtbumpfee instead."));
        }
    }
    let txid = parse_txid(param(req, 0), "txid")?;
    let mut cc = new_coin_control(cx);
    cc.signal_bip125_rbf = Some(true);
    let mut outputs = Vec::new();
    let mut original_change_index = None;
    let mut psbt_version = 2u32;
    let network = wallet.state().network;
    if let Some(options) = req.param(1) {
        let o = super::rawtx::get_obj(options)?;
        type_check_obj(
            o,
            &[
                ("confTarget", "number"),
                ("conf_target", "number"),
                ("fee_rate", ""),
                ("replaceable", "bool"),
                ("estimate_mode", "string"),
                ("outputs", ""),
                ("original_change_index", "number"),
                ("psbt_version", "number"),
            ],
            true,
            true,
        )?;
        if o.contains_key("confTarget") && o.contains_key("conf_target") {
            return Err(RpcError::new(RPC_INVALID_PARAMETER, "confTarget and conf_target options should not both be set. Use conf_target (confTarget is deprecated)."));
        }
        let conf_target = if o.contains_key("confTarget") {
            find(o, "confTarget")
        } else {
            find(o, "conf_target")
        };
        if let Some(v) = o.get("replaceable") {
            cc.signal_bip125_rbf = Some(value_bool(v)?);
        }
        let node = ChainView(wallet.chain.as_ref());
        set_fee_estimate_mode(
            &node,
            &mut cc,
            conf_target,
            find(o, "estimate_mode"),
            find(o, "fee_rate"),
            false,
        )?;
        let outs = find(o, "outputs");
        if !outs.is_null() {
            if outs.as_array().is_some_and(|a| a.is_empty()) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid parameter, output argument cannot be an empty array",
                ));
            }
            let mut temp = Transaction {
                version: bitcoin::transaction::Version(2),
                lock_time: bitcoin::absolute::LockTime::ZERO,
                input: Vec::new(),
                output: Vec::new(),
            };
            super::rawtx::add_outputs(&mut temp, outs, None, network)?;
            outputs = temp.output;
        }
        if let Some(v) = o.get("original_change_index") {
            original_change_index = Some(value_u32(v)?);
        }
        if let Some(v) = o.get("psbt_version") {
            psbt_version = value_u32(v)?;
        }
        if psbt_version != 2 && psbt_version != 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "The PSBT version can only be 2 or 0",
            ));
        }
    }
    wallet.block_until_synced();
    with_wallet(&wallet, |st, lookup, node| {
        ensure_unlocked(st)?;
        let mut rng = crate::spend::os_rng();
        let bump = create_rate_bump(
            st,
            node,
            &txid,
            &cc,
            !want_psbt,
            &outputs,
            original_change_index,
            rng.as_mut(),
        )
        .map_err(bump_error)?;
        let mut result = Map::new();
        let mut errors = Vec::new();
        if !want_psbt {
            let mut tx = bump.tx.clone();
            if !crate::sign::sign_wallet_tx(st, &mut tx) {
                if st.has_flag(flags::EXTERNAL_SIGNER) {
                    return Err(RpcError::new(
                        RPC_WALLET_ERROR,
                        "Transaction incomplete. Try psbtbumpfee instead.",
                    ));
                }
                return Err(RpcError::new(RPC_WALLET_ERROR, "Can't sign transaction."));
            }
            let (new_txid, errs) = commit_bump(st, node, lookup, &txid, tx)
                .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.message))?;
            errors = errs;
            result.insert("txid".into(), Value::String(new_txid.to_string()));
        } else {
            let mut psbt = Psbt::from_tx(&bump.tx, psbt_version);
            fill_psbt(
                st,
                &mut psbt,
                FillOptions {
                    sign: false,
                    bip32_derivs: true,
                    ..FillOptions::default()
                },
            )
            .map_err(psbt_error)?;
            result.insert("psbt".into(), Value::String(psbt.to_base64()));
        }
        result.insert("origfee".into(), amount(bump.old_fee));
        result.insert("fee".into(), amount(bump.new_fee));
        result.insert(
            "errors".into(),
            Value::Array(errors.into_iter().map(Value::String).collect()),
        );
        Ok(Value::Object(result))
    })
}
