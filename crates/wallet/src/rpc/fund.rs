//! What the funding commands share (Core's `wallet/rpc/spend.cpp` helpers): fee
//! arguments, the options object, subtract-fee-from instructions, and finishing a
//! transaction as a PSBT or a committed send.

use std::collections::BTreeSet;

use bitcoin::{ScriptBuf, Transaction};
use coinselection::{FeeRate, MAX_STANDARD_TX_WEIGHT, TRUC_VERSION};
use rpc::codes::{RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::request::{value_array, value_bool, value_i32, value_i64, value_str};
use rpc::{RpcError, Value};
use serde_json::Map;
use signing::psbt::{finalize_and_extract, Psbt, PsbtError};

use super::rawtx::{find, get_obj, parse_txid, type_check_obj};
use crate::coincontrol::{CoinControl, FeeEstimateMode, INVALID_ESTIMATE_MODE};
use crate::sign::{fill_psbt, FillOptions};
use crate::spend::commit::{commit_transaction, CommitInfo};
use crate::spend::create::{
    discourage_fee_sniping, MAX_BIP125_RBF_SEQUENCE, MAX_SEQUENCE_NONFINAL,
};
use crate::spend::node::{ChainView, NodeView};
use crate::spend::{CreatedTransaction, Recipient};
use crate::state::{BlockLookup, WalletState};
use crate::wallet::Wallet;

/// `TRUC_MAX_WEIGHT`.
pub const TRUC_MAX_WEIGHT: i64 = 10_000 * 4;
/// Smallest input weight (`GetTransactionInputWeight(CTxIn())`).
const MIN_INPUT_WEIGHT: i64 = 165;

fn invalid(msg: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_PARAMETER, msg)
}

/// Runs `f` on the wallet's locked state and writes its changes.
pub fn with_wallet<R>(
    wallet: &Wallet,
    f: impl FnOnce(&mut WalletState, &dyn BlockLookup, &dyn NodeView) -> Result<R, RpcError>,
) -> Result<R, RpcError> {
    let node = ChainView(wallet.chain.as_ref());
    wallet
        .with(|st, lookup| Ok(f(st, lookup, &node)))
        .map_err(super::util::wallet_error)?
}

/// `JSONRPCPSBTError`.
pub fn psbt_error(e: PsbtError) -> RpcError {
    let code = match e {
        PsbtError::SighashMismatch => rpc::codes::RPC_DESERIALIZATION_ERROR,
        _ => rpc::codes::RPC_TRANSACTION_ERROR,
    };
    RpcError::new(code, e.to_string())
}

/// `CreateRecipients`.
pub fn create_recipients(outputs: Vec<(ScriptBuf, i64)>, sffo: &BTreeSet<usize>) -> Vec<Recipient> {
    outputs
        .into_iter()
        .enumerate()
        .map(|(i, (script, amount))| Recipient {
            script,
            amount,
            subtract_fee: sffo.contains(&i),
        })
        .collect()
}

/// `ParseConfirmTarget`.
pub fn parse_confirm_target(v: &Value, max_target: u32) -> Result<u32, RpcError> {
    let target = value_i32(v)?;
    if target < 1 || target as u32 > max_target {
        return Err(invalid(format!(
            "Invalid conf_target, must be between 1 and {max_target}"
        )));
    }
    Ok(target as u32)
}

/// `SetFeeEstimateMode`: an explicit rate (sat/vB, three decimals) or a target and mode.
pub fn set_fee_estimate_mode(
    node: &dyn NodeView,
    cc: &mut CoinControl,
    conf_target: &Value,
    estimate_mode: &Value,
    fee_rate: &Value,
    override_min_fee: bool,
) -> Result<(), RpcError> {
    if !fee_rate.is_null() {
        if !conf_target.is_null() {
            return Err(invalid("Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
        }
        if !estimate_mode.is_null() && value_str(estimate_mode)? != "unset" {
            return Err(invalid("Cannot specify both estimate_mode and fee_rate"));
        }
        // sat/vB with three decimals is sat/kvB.
        cc.fee_rate = Some(FeeRate::from_sat_per_kvb(rpc::amount_from_value(
            fee_rate, 3,
        )?));
        if override_min_fee {
            cc.override_fee_rate = true;
        }
        // An explicit rate signals replaceability unless told otherwise.
        if cc.signal_bip125_rbf.is_none() {
            cc.signal_bip125_rbf = Some(true);
        }
        return Ok(());
    }
    if !estimate_mode.is_null() {
        cc.fee_mode = FeeEstimateMode::parse(value_str(estimate_mode)?)
            .ok_or_else(|| invalid(INVALID_ESTIMATE_MODE))?;
    }
    if !conf_target.is_null() {
        let max = node
            .max_estimate_target()
            .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
        cc.confirm_target = Some(parse_confirm_target(conf_target, max)?);
    }
    Ok(())
}

/// `InterpretFeeEstimationInstructions`: moves the positional fee arguments into the
/// options, refusing them in both places.
pub fn interpret_fee_estimation_instructions(
    conf_target: &Value,
    estimate_mode: &Value,
    fee_rate: &Value,
    options: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    if options.contains_key("conf_target") || options.contains_key("estimate_mode") {
        if !conf_target.is_null() || !estimate_mode.is_null() {
            return Err(invalid("Pass conf_target and estimate_mode either as arguments or in the options object, but not both"));
        }
    } else {
        options.insert("conf_target".into(), conf_target.clone());
        options.insert("estimate_mode".into(), estimate_mode.clone());
    }
    if options.contains_key("fee_rate") {
        if !fee_rate.is_null() {
            return Err(invalid(
                "Pass the fee_rate either as an argument, or in the options object, but not both",
            ));
        }
    } else {
        options.insert("fee_rate".into(), fee_rate.clone());
    }
    let ct = find(options, "conf_target");
    let em = find(options, "estimate_mode");
    if !ct.is_null() && (em.is_null() || em.as_str() == Some("unset")) {
        return Err(invalid("Specify estimate_mode"));
    }
    Ok(())
}

/// `InterpretSubtractFeeFromOutputInstructions`: positions or addresses among
/// `destinations`.
pub fn interpret_sffo(
    instructions: &Value,
    destinations: &[String],
) -> Result<BTreeSet<usize>, RpcError> {
    let mut set = BTreeSet::new();
    if instructions.is_null() {
        return Ok(set);
    }
    for v in value_array(instructions)? {
        let pos: i64 = match v {
            Value::String(s) => match destinations.iter().position(|d| d == s) {
                Some(p) => p as i64,
                None => return Err(invalid(format!("Invalid parameter 'subtract fee from output', destination {s} not found in tx outputs"))),
            },
            Value::Number(_) => i64::from(value_i32(v)?),
            other => {
                return Err(invalid(format!(
                    "Invalid parameter 'subtract fee from output', invalid value type: {}",
                    rpc::json::type_name(other)
                )))
            }
        };
        if pos >= 0 && set.contains(&(pos as usize)) {
            return Err(invalid(format!(
                "Invalid parameter 'subtract fee from output', duplicated position: {pos}"
            )));
        }
        if pos < 0 {
            return Err(invalid(format!(
                "Invalid parameter 'subtract fee from output', negative position: {pos}"
            )));
        }
        if pos >= destinations.len() as i64 {
            return Err(invalid(format!(
                "Invalid parameter 'subtract fee from output', position too large: {pos}"
            )));
        }
        set.insert(pos as usize);
    }
    Ok(set)
}

/// `PreventOutdatedOptions`.
pub fn prevent_outdated_options(options: &Map<String, Value>) -> Result<(), RpcError> {
    let renamed = [
        ("feeRate", "Use fee_rate (sat/vB) instead of feeRate"),
        (
            "changeAddress",
            "Use change_address instead of changeAddress",
        ),
        (
            "changePosition",
            "Use change_position instead of changePosition",
        ),
        ("lockUnspents", "Use lock_unspents instead of lockUnspents"),
        (
            "subtractFeeFromOutputs",
            "Use subtract_fee_from_outputs instead of subtractFeeFromOutputs",
        ),
    ];
    for (key, msg) in renamed {
        if options.contains_key(key) {
            return Err(invalid(msg));
        }
    }
    Ok(())
}

/// `SetOptionsInputWeights`: the `weight` of each input object goes to
/// `options.input_weights`.
pub fn set_options_input_weights(
    inputs: &Value,
    options: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    if options.contains_key("input_weights") {
        return Err(invalid(
            "Input weights should be specified in inputs rather than in options.",
        ));
    }
    let list = match inputs {
        Value::Array(a) => a,
        _ => return Ok(()),
    };
    if list.is_empty() {
        return Ok(());
    }
    let weights: Vec<Value> = list
        .iter()
        .filter(|i| i.get("weight").is_some())
        .cloned()
        .collect();
    options.insert("input_weights".into(), Value::Array(weights));
    Ok(())
}

/// What `fund_options` read besides the coin control.
pub struct FundOptions {
    /// `change_position`.
    pub change_position: Option<usize>,
    /// `lock_unspents`.
    pub lock_unspents: bool,
}

/// A present key must hold a bool, as UniValue's `get_bool` demands (null included).
fn opt_bool(o: &Map<String, Value>, key: &str) -> Result<Option<bool>, RpcError> {
    o.get(key).map(value_bool).transpose()
}

/// Two spellings of one option: the snake_case one wins.
fn either<'a>(o: &'a Map<String, Value>, new: &str, old: &str) -> Option<&'a Value> {
    if o.contains_key(new) {
        o.get(new)
    } else if o.contains_key(old) {
        o.get(old)
    } else {
        None
    }
}

/// The options part of Core's RPC `FundTransaction`: fills `cc` from the options object
/// (types checked, unknown keys refused) and checks the recipients.
pub fn fund_options(
    node: &dyn NodeView,
    network: bitcoin::Network,
    tx_version: u32,
    recipients_len: usize,
    options: &Value,
    cc: &mut CoinControl,
    override_min_fee: bool,
) -> Result<FundOptions, RpcError> {
    let mut fo = FundOptions {
        change_position: None,
        lock_unspents: false,
    };
    let empty = Map::new();
    let o = if options.is_null() {
        &empty
    } else {
        get_obj(options)?
    };
    if !options.is_null() {
        type_check_obj(
            o,
            &[
                ("add_inputs", "bool"),
                ("include_unsafe", "bool"),
                ("add_to_wallet", "bool"),
                ("changeAddress", "string"),
                ("change_address", "string"),
                ("changePosition", "number"),
                ("change_position", "number"),
                ("change_type", "string"),
                ("includeWatching", "bool"),
                ("include_watching", "bool"),
                ("inputs", "array"),
                ("lockUnspents", "bool"),
                ("lock_unspents", "bool"),
                ("locktime", "number"),
                ("fee_rate", ""),
                ("feeRate", ""),
                ("psbt", "bool"),
                ("solving_data", "object"),
                ("subtractFeeFromOutputs", "array"),
                ("subtract_fee_from_outputs", "array"),
                ("replaceable", "bool"),
                ("conf_target", "number"),
                ("estimate_mode", "string"),
                ("minconf", "number"),
                ("maxconf", "number"),
                ("input_weights", "array"),
                ("max_tx_weight", "number"),
            ],
            true,
            true,
        )?;
        if let Some(b) = opt_bool(o, "add_inputs")? {
            cc.allow_other_inputs = b;
        }
        if let Some(v) = either(o, "change_address", "changeAddress") {
            let text = value_str(v)?;
            let dest = descriptors::decode_destination(text, network).map_err(|_| {
                RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "Change address must be a valid bitcoin address",
                )
            })?;
            cc.dest_change = Some(dest.script_pubkey());
        }
        if let Some(v) = either(o, "change_position", "changePosition") {
            let pos = value_i32(v)?;
            if pos < 0 || pos as usize > recipients_len {
                return Err(invalid("changePosition out of bounds"));
            }
            fo.change_position = Some(pos as usize);
        }
        if let Some(v) = o.get("change_type") {
            if either(o, "change_address", "changeAddress").is_some() {
                return Err(invalid(
                    "Cannot specify both change address and address type options",
                ));
            }
            let text = value_str(v)?;
            let t = crate::address::parse_output_type(text).ok_or_else(|| {
                RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    format!("Unknown change type '{text}'"),
                )
            })?;
            cc.change_type = Some(t);
        }
        if let Some(v) = either(o, "lock_unspents", "lockUnspents") {
            fo.lock_unspents = value_bool(v)?;
        }
        if let Some(b) = opt_bool(o, "include_unsafe")? {
            cc.include_unsafe_inputs = b;
        }
        if o.contains_key("feeRate") {
            if o.contains_key("fee_rate") {
                return Err(invalid(
                    "Cannot specify both fee_rate (sat/vB) and feeRate (BTC/kvB)",
                ));
            }
            if o.contains_key("conf_target") {
                return Err(invalid("Cannot specify both conf_target and feeRate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
            }
            if o.contains_key("estimate_mode") {
                return Err(invalid("Cannot specify both estimate_mode and feeRate"));
            }
            cc.fee_rate = Some(FeeRate::from_sat_per_kvb(rpc::amount_from_value(
                find(o, "feeRate"),
                8,
            )?));
            cc.override_fee_rate = true;
        }
        if let Some(b) = opt_bool(o, "replaceable")? {
            cc.signal_bip125_rbf = Some(b);
        }
        if let Some(v) = o.get("minconf") {
            cc.min_depth = value_i32(v)?;
            if cc.min_depth < 0 {
                return Err(invalid("Negative minconf"));
            }
        }
        if let Some(v) = o.get("maxconf") {
            cc.max_depth = value_i32(v)?;
            if cc.max_depth < cc.min_depth {
                return Err(invalid(format!(
                    "maxconf can't be lower than minconf: {} < {}",
                    cc.max_depth, cc.min_depth
                )));
            }
        }
        set_fee_estimate_mode(
            node,
            cc,
            find(o, "conf_target"),
            find(o, "estimate_mode"),
            find(o, "fee_rate"),
            override_min_fee,
        )?;
    }
    if let Some(sd) = o.get("solving_data") {
        add_solving_data(cc, get_obj(sd)?, network)?;
    }
    if let Some(list) = o.get("input_weights") {
        for input in value_array(list)? {
            let io = get_obj(input)?;
            let txid = parse_txid(find(io, "txid"), "txid")?;
            let vout_v = find(io, "vout");
            if !vout_v.is_number() {
                return Err(invalid("Invalid parameter, missing vout key"));
            }
            let vout = value_i32(vout_v)?;
            if vout < 0 {
                return Err(invalid("Invalid parameter, vout cannot be negative"));
            }
            let weight_v = find(io, "weight");
            if !weight_v.is_number() {
                return Err(invalid("Invalid parameter, missing weight key"));
            }
            let weight = value_i64(weight_v)?;
            if weight < MIN_INPUT_WEIGHT {
                return Err(invalid("Invalid parameter, weight cannot be less than 165 (41 bytes (size of outpoint + sequence + empty scriptSig) * 4 (witness scaling factor)) + 1 (empty witness)"));
            }
            if weight > MAX_STANDARD_TX_WEIGHT {
                return Err(invalid(format!(
                    "Invalid parameter, weight cannot be greater than the maximum standard tx weight of {MAX_STANDARD_TX_WEIGHT}"
                )));
            }
            cc.set_input_weight(bitcoin::OutPoint::new(txid, vout as u32), weight);
        }
    }
    if let Some(v) = o.get("max_tx_weight") {
        cc.max_tx_weight = Some(i64::from(value_i32(v)?));
    }
    if tx_version == TRUC_VERSION && cc.max_tx_weight.is_none_or(|w| w > TRUC_MAX_WEIGHT) {
        cc.max_tx_weight = Some(TRUC_MAX_WEIGHT);
    }
    if recipients_len == 0 {
        return Err(invalid("TX must have at least one output"));
    }
    Ok(fo)
}

/// `HexToPubKey`.
pub fn hex_to_pubkey(text: &str) -> Result<Vec<u8>, RpcError> {
    let err = |what: &str| {
        RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            format!("Pubkey \"{text}\" {what}"),
        )
    };
    let bytes = super::rawtx::decode_hex(text).ok_or_else(|| err("must be a hex string"))?;
    if bytes.len() != 33 && bytes.len() != 65 {
        return Err(err("must have a length of either 33 or 65 bytes"));
    }
    if !signing::pubkey_fully_valid(&bytes) {
        return Err(err("must be cryptographically valid."));
    }
    Ok(bytes)
}

/// `solving_data`: public keys (with their P2WPKH scripts), scripts and descriptors for
/// sizing inputs outside the wallet.
fn add_solving_data(
    cc: &mut CoinControl,
    sd: &Map<String, Value>,
    network: bitcoin::Network,
) -> Result<(), RpcError> {
    if let Some(list) = sd.get("pubkeys") {
        for v in value_array(list)? {
            let text = value_str(v)?;
            let pk = hex_to_pubkey(text)?;
            let id = signing::key_id(&pk);
            cc.external_provider.pubkeys.insert(id, pk.clone());
            let mut wit = vec![0x00, 0x14];
            wit.extend_from_slice(&id);
            cc.external_provider
                .scripts
                .insert(signing::script_id(&wit), wit);
        }
    }
    if let Some(list) = sd.get("scripts") {
        for v in value_array(list)? {
            let text = value_str(v)?;
            let script = super::rawtx::decode_hex(text).ok_or_else(|| {
                RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, format!("'{text}' is not hex"))
            })?;
            cc.external_provider
                .scripts
                .insert(signing::script_id(&script), script);
        }
    }
    if let Some(list) = sd.get("descriptors") {
        for v in value_array(list)? {
            let text = value_str(v)?;
            let mut out = signing::FlatSigningProvider::new();
            let parsed = descriptors::parse(text, true, network)
                .map_err(|e| invalid(format!("Unable to parse descriptor '{text}': {e}")))?;
            if parsed.is_empty() {
                return Err(invalid(format!("Unable to parse descriptor '{text}': ")));
            }
            signing::expand_descriptor_into(text, 0..=0, true, &mut out);
            cc.external_provider.merge(out);
        }
    }
    Ok(())
}

/// The RPC layer's `FundTransaction`: syncs, reads the options, funds under the lock.
#[allow(clippy::too_many_arguments)]
pub fn fund_rpc(
    wallet: &Wallet,
    tx: &Transaction,
    recipients: &[Recipient],
    options: &Value,
    mut cc: CoinControl,
    override_min_fee: bool,
) -> Result<CreatedTransaction, RpcError> {
    wallet.block_until_synced();
    let node = ChainView(wallet.chain.as_ref());
    let network = wallet.state().network;
    let fo = fund_options(
        &node,
        network,
        tx.version.0 as u32,
        recipients.len(),
        options,
        &mut cc,
        override_min_fee,
    )?;
    with_wallet(wallet, |st, _, node| {
        let mut rng = crate::spend::os_rng();
        crate::spend::fund_transaction(
            st,
            node,
            tx,
            recipients,
            fo.change_position,
            fo.lock_unspents,
            cc,
            rng.as_mut(),
        )
        .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.0))
    })
}

/// `FinishTransaction`: anti-fee-sniping (without a locktime option and with plain
/// sequences), fill and sign as a version 2 PSBT, then return the PSBT or commit the
/// complete transaction.
pub fn finish_transaction(
    wallet: &Wallet,
    options: &Map<String, Value>,
    mut tx: Transaction,
) -> Result<Value, RpcError> {
    let can_snipe = !options.contains_key("locktime")
        && tx.input.iter().all(|i| {
            i.sequence.0 == MAX_SEQUENCE_NONFINAL || i.sequence.0 == MAX_BIP125_RBF_SEQUENCE
        });
    let psbt_opt_in = match options.get("psbt") {
        Some(v) => value_bool(v)?,
        None => false,
    };
    let add_to_wallet = match options.get("add_to_wallet") {
        Some(v) => value_bool(v)?,
        None => true,
    };
    with_wallet(wallet, |st, lookup, node| {
        if can_snipe {
            let mut rng = crate::spend::os_rng();
            discourage_fee_sniping(&mut tx, rng.as_mut(), node, st.last_block);
        }
        let mut psbt = Psbt::from_tx(&tx, 2);
        // Fill first without signing, so an external signer would be asked only once.
        let _ = fill_psbt(
            st,
            &mut psbt,
            FillOptions {
                sign: false,
                bip32_derivs: true,
                ..FillOptions::default()
            },
        );
        fill_psbt(
            st,
            &mut psbt,
            FillOptions {
                sign: true,
                bip32_derivs: false,
                ..FillOptions::default()
            },
        )
        .map_err(psbt_error)?;
        let mut finalized = psbt.clone();
        let extracted = finalize_and_extract(&mut finalized);
        let complete = extracted.is_some();
        let mut result = Map::new();
        if psbt_opt_in || !complete || !add_to_wallet {
            result.insert("psbt".into(), Value::String(finalized.to_base64()));
        }
        if let Some(final_tx) = extracted {
            let hex = chain_json::to_hex(&chain_json::serialize_tx(&final_tx, true));
            result.insert(
                "txid".into(),
                Value::String(final_tx.compute_txid().to_string()),
            );
            if add_to_wallet && !psbt_opt_in {
                commit_transaction(st, node, lookup, final_tx, CommitInfo::default());
            } else {
                result.insert("hex".into(), Value::String(hex));
            }
        }
        result.insert("complete".into(), Value::Bool(complete));
        Ok(Value::Object(result))
    })
}

/// A coin control with `-avoidpartialspends` read from the options (Core's
/// `CCoinControl` constructor).
pub fn new_coin_control(cx: &crate::context::WalletContext) -> CoinControl {
    CoinControl::new(cx.args.get_bool_arg("-avoidpartialspends", false))
}
