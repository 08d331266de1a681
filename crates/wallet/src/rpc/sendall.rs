//! `sendall` (Core's `wallet/rpc/spend.cpp`): everything, or the inputs given, to the
//! recipients, those without an amount sharing what is left.

use std::collections::BTreeSet;

use bitcoin::{OutPoint, Transaction, TxIn};
use coinselection::TRUC_VERSION;
use rpc::codes::{RPC_INVALID_PARAMETER, RPC_WALLET_ERROR, RPC_WALLET_INSUFFICIENT_FUNDS};
use rpc::request::{value_bool, value_i32, value_u32};
use rpc::{Request, RpcError, RpcResult, Value};
use serde_json::{json, Map};

use super::fund::{
    finish_transaction, interpret_fee_estimation_instructions, new_coin_control,
    prevent_outdated_options, set_fee_estimate_mode, with_wallet, TRUC_MAX_WEIGHT,
};
use super::rawtx::{construct_transaction, find};
use super::spend::{options_object, param};
use super::util::wallet_for;
use crate::coincontrol::CoinControl;
use crate::context::WalletContext;
use crate::fees::{minimum_fee_rate, sat_vb_string, FeeReason};
use crate::spend::available::{available_coins, CoinFilterParams};
use crate::spend::create::{MAX_BIP125_RBF_SEQUENCE, MAX_FEE_EXCEEDED, MAX_SEQUENCE_NONFINAL};
use crate::spend::node::ChainView;
use crate::spend::size::{is_dust, max_signed_tx_size};
use crate::state::WalletState;

/// The parts of sendall after the options are read, under the wallet lock.
#[allow(clippy::too_many_arguments)]
fn send_all_locked(
    st: &mut WalletState,
    node: &dyn crate::spend::NodeView,
    cc: &mut CoinControl,
    options: &Map<String, Value>,
    mut raw: Transaction,
    without_amount: &BTreeSet<String>,
    rbf: bool,
    fee_rate: coinselection::FeeRate,
) -> Result<Transaction, RpcError> {
    let wallet_err = |e: crate::WalletError| RpcError::new(RPC_WALLET_ERROR, e.to_string());
    let mut total_input_value = 0i64;
    let send_max = match options.get("send_max") {
        Some(v) => value_bool(v)?,
        None => false,
    };
    if options.contains_key("inputs") && options.contains_key("send_max") {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Cannot combine send_max with specific inputs.",
        ));
    } else if options.contains_key("inputs")
        && (options.contains_key("minconf") || options.contains_key("maxconf"))
    {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Cannot combine minconf or maxconf with specific inputs.",
        ));
    } else if options.contains_key("inputs") {
        for input in &raw.input {
            let prev = input.previous_output;
            if st.is_spent(&prev) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!(
                        "Input not available. UTXO ({}:{}) was already spent.",
                        prev.txid, prev.vout
                    ),
                ));
            }
            let out = st
                .txs
                .get(&prev.txid)
                .and_then(|w| w.tx.output.get(prev.vout as usize).map(|o| (w, o)))
                .filter(|(_, o)| st.is_mine_script(&o.script_pubkey));
            let Some((wtx, out)) = out else {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!(
                        "Input not found. UTXO ({}:{}) is not part of wallet.",
                        prev.txid, prev.vout
                    ),
                ));
            };
            if st.depth(wtx) == 0 {
                let v = wtx.tx.version.0 as u32;
                if v == TRUC_VERSION && cc.version != TRUC_VERSION {
                    return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("Can't spend unconfirmed version 3 pre-selected input with a version {} tx", cc.version)));
                } else if cc.version == TRUC_VERSION && v != TRUC_VERSION {
                    return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("Can't spend unconfirmed version {v} pre-selected input with a version 3 tx")));
                }
            }
            total_input_value += out.value.to_sat() as i64;
        }
    } else {
        let params = CoinFilterParams {
            min_amount: 0,
            ..CoinFilterParams::default()
        };
        let available =
            available_coins(st, node, Some(cc), Some(fee_rate), &params).map_err(wallet_err)?;
        for o in available.all() {
            let value = o.txout.value.to_sat() as i64;
            if send_max && fee_rate.get_fee(o.input_bytes) > value {
                continue;
            }
            // Spending an unconfirmed TRUC transaction makes this one its child.
            if o.depth == 0 && cc.version == TRUC_VERSION {
                cc.max_tx_weight = Some(coinselection::TRUC_CHILD_MAX_WEIGHT);
            }
            raw.input.push(TxIn {
                previous_output: o.outpoint,
                script_sig: bitcoin::ScriptBuf::new(),
                sequence: bitcoin::Sequence(if rbf {
                    MAX_BIP125_RBF_SEQUENCE
                } else {
                    MAX_SEQUENCE_NONFINAL
                }),
                witness: Default::default(),
            });
            total_input_value += value;
        }
    }
    let spent: Vec<OutPoint> = raw.input.iter().map(|i| i.previous_output).collect();
    let size = max_signed_tx_size(st, &raw, None);
    if size.vsize == -1 {
        return Err(RpcError::new(RPC_WALLET_ERROR, "Unable to determine the size of the transaction, the wallet contains unsolvable descriptors"));
    }
    let fee_from_size = fee_rate.get_fee(i32::try_from(size.vsize).unwrap_or(i32::MAX));
    let bump_fees = node
        .combined_bump_fee(&spent, fee_rate)
        .map_err(wallet_err)?
        .unwrap_or(0);
    let effective_value = total_input_value - fee_from_size - bump_fees;
    if fee_from_size > st.options.max_tx_fee {
        return Err(RpcError::new(RPC_WALLET_ERROR, MAX_FEE_EXCEEDED));
    }
    if effective_value <= 0 {
        let msg = if send_max {
            "Total value of UTXO pool too low to pay for transaction, try using lower feerate."
        } else {
            "Total value of UTXO pool too low to pay for transaction. Try using lower feerate or excluding uneconomic UTXOs with 'send_max' option."
        };
        return Err(RpcError::new(RPC_WALLET_INSUFFICIENT_FUNDS, msg));
    }
    if size.weight
        > cc.max_tx_weight
            .unwrap_or(coinselection::MAX_STANDARD_TX_WEIGHT)
    {
        return Err(RpcError::new(RPC_WALLET_ERROR, "Transaction too large."));
    }
    let claimed: i64 = raw.output.iter().map(|o| o.value.to_sat() as i64).sum();
    if claimed > total_input_value {
        return Err(RpcError::new(
            RPC_WALLET_INSUFFICIENT_FUNDS,
            "Assigned more value to outputs than available funds.",
        ));
    }
    let remainder = effective_value - claimed;
    if remainder < 0 {
        return Err(RpcError::new(
            RPC_WALLET_INSUFFICIENT_FUNDS,
            "Insufficient funds for fees after creating specified outputs.",
        ));
    }
    let n = without_amount.len() as i64;
    let per_output = remainder / n;
    let mut gave_rest = false;
    let dust_rate = node.relay_dust_fee().map_err(wallet_err)?;
    for out in &mut raw.output {
        let addr = crate::address::encode(&out.script_pubkey, st.network).unwrap_or_default();
        if without_amount.contains(&addr) {
            let mut v = per_output;
            if !gave_rest {
                v += remainder % n;
                gave_rest = true;
            }
            out.value = bitcoin::Amount::from_sat(v as u64);
            if is_dust(out, dust_rate) {
                return Err(RpcError::new(
                    RPC_WALLET_INSUFFICIENT_FUNDS,
                    "Dynamically assigned remainder results in dust output.",
                ));
            }
        } else if is_dust(out, dust_rate) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Specified output amount to {addr} is below dust threshold."),
            ));
        }
    }
    let lock = match options.get("lock_unspents") {
        Some(v) => value_bool(v)?,
        None => false,
    };
    if lock {
        for i in &raw.input {
            st.lock_coin(i.previous_output, false);
        }
    }
    Ok(raw)
}

/// `sendall`.
pub fn send_all(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut options = options_object(param(req, 4))?;
    interpret_fee_estimation_instructions(
        param(req, 1),
        param(req, 2),
        param(req, 3),
        &mut options,
    )?;
    prevent_outdated_options(&options)?;
    let mut without_amount = BTreeSet::new();
    let mut pairs: Vec<Value> = Vec::new();
    for r in rpc::request::value_array(param(req, 0))? {
        if let Value::String(s) = r {
            pairs.push(json!({ s.clone(): 0 }));
            without_amount.insert(s.clone());
        } else {
            pairs.push(r.clone());
        }
    }
    if without_amount.is_empty() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Must provide at least one address without a specified amount",
        ));
    }
    let node = ChainView(wallet.chain.as_ref());
    let mut cc = new_coin_control(cx);
    set_fee_estimate_mode(
        &node,
        &mut cc,
        find(&options, "conf_target"),
        find(&options, "estimate_mode"),
        find(&options, "fee_rate"),
        false,
    )?;
    if let Some(v) = options.get("minconf") {
        let m = value_i32(v)?;
        if m < 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Invalid minconf (minconf cannot be negative): {m}"),
            ));
        }
        cc.min_depth = m;
    }
    if let Some(v) = options.get("maxconf") {
        cc.max_depth = value_i32(v)?;
        if cc.max_depth < cc.min_depth {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!(
                    "maxconf can't be lower than minconf: {} < {}",
                    cc.max_depth, cc.min_depth
                ),
            ));
        }
    }
    if let Some(v) = options.get("version") {
        cc.version = value_u32(v)?;
    }
    cc.max_tx_weight = Some(if cc.version == TRUC_VERSION {
        TRUC_MAX_WEIGHT
    } else {
        coinselection::MAX_STANDARD_TX_WEIGHT
    });
    let (network, signal_rbf, wallet_options) = {
        let st = wallet.state();
        (st.network, st.options.signal_rbf, st.options.clone())
    };
    let rbf = match options.get("replaceable") {
        Some(v) => value_bool(v)?,
        None => signal_rbf,
    };
    let min = minimum_fee_rate(&wallet_options, &node, &cc)
        .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
    if let Some(user) = cc.fee_rate {
        if min.fee_rate > user {
            let mut msg = format!(
                "Fee rate ({}) is lower than the minimum fee rate setting ({}).",
                sat_vb_string(user),
                sat_vb_string(min.fee_rate)
            );
            if min.reason == FeeReason::Required {
                let relay = crate::spend::NodeView::relay_min_fee(&node)
                    .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
                msg += &format!(
                    "\nConsider modifying -mintxfee ({}) or -minrelaytxfee ({}).",
                    sat_vb_string(coinselection::FeeRate::from_sat_per_kvb(
                        wallet_options.min_fee
                    )),
                    sat_vb_string(relay)
                );
            }
            return Err(RpcError::new(RPC_INVALID_PARAMETER, msg));
        }
    }
    if min.reason == FeeReason::Fallback && wallet_options.fallback_fee == 0 {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.",
        ));
    }
    let outputs_value = Value::Array(pairs);
    let raw = construct_transaction(
        find(&options, "inputs"),
        &outputs_value,
        None,
        find(&options, "locktime"),
        Some(rbf),
        cc.version,
        network,
    )?;
    let fee_rate = min.fee_rate;
    let tx = with_wallet(&wallet, |st, _, node| {
        send_all_locked(
            st,
            node,
            &mut cc,
            &options,
            raw,
            &without_amount,
            rbf,
            fee_rate,
        )
    })?;
    finish_transaction(&wallet, &options, tx)
}
