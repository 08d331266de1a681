//! Sending commands (Core's `wallet/rpc/spend.cpp`): sendtoaddress, sendmany, send,
//! fundrawtransaction, walletcreatefundedpsbt, walletprocesspsbt and
//! signrawtransactionwithwallet; sendall, bumpfee and psbtbumpfee are registered here and
//! handled in their own modules.

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::OutPoint;
use coinselection::shuffle;
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR,
    RPC_WALLET_INSUFFICIENT_FUNDS,
};
use rpc::request::{value_bool, value_i32, value_u32};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};
use signing::psbt::Psbt;
use signing::Coins;

use super::command;
use super::fund::{
    create_recipients, finish_transaction, fund_rpc, interpret_fee_estimation_instructions,
    interpret_sffo, new_coin_control, prevent_outdated_options, psbt_error, set_fee_estimate_mode,
    set_options_input_weights, with_wallet,
};
use super::rawtx::{
    construct_transaction, find, normalize_outputs, parse_outputs, parse_prevouts, parse_sighash,
    sign_result_json,
};
use super::util::{amount, ensure_unlocked, wallet_for};
use crate::coincontrol::CoinControl;
use crate::context::WalletContext;
use crate::sign::{fill_psbt, sign_with_coins, FillOptions, SIGHASH_DEFAULT};
use crate::spend::commit::{commit_transaction, CommitInfo};
use crate::spend::create::create_transaction;
use crate::spend::node::ChainView;
use crate::spend::Recipient;
use crate::state::flags;
use crate::wallet::Wallet;

const ESTIMATE_MODE_HELP: &str = "How fees are estimated (case insensitive): unset, economical or conservative.\nUnset uses economical estimates for replaceable transactions and conservative ones otherwise.";
const FEE_RATE_HELP: &str = "The fee rate to pay, in sat/vB.";
const CONF_TARGET_HELP: &str = "How many blocks the transaction should confirm within";
const SIGHASH_HELP: &str = "The signature hash type: \"DEFAULT\", \"ALL\", \"NONE\", \"SINGLE\", \"ALL|ANYONECANPAY\", \"NONE|ANYONECANPAY\" or \"SINGLE|ANYONECANPAY\"";

fn conf_target_arg() -> Arg {
    Arg::hint(
        "conf_target",
        ArgType::Num,
        "wallet -txconfirmtarget",
        CONF_TARGET_HELP,
    )
}

fn estimate_mode_arg() -> Arg {
    Arg::optional(
        "estimate_mode",
        ArgType::Str,
        json!("unset"),
        ESTIMATE_MODE_HELP,
    )
}

fn fee_rate_arg() -> Arg {
    Arg::hint(
        "fee_rate",
        ArgType::Amount,
        "not set, fall back to wallet fee estimation",
        FEE_RATE_HELP,
    )
}

fn replaceable_arg() -> Arg {
    Arg::hint(
        "replaceable",
        ArgType::Bool,
        "wallet default",
        "Signal BIP125 replaceability",
    )
}

/// `FundTxDoc`.
fn fund_tx_doc(solving_data: bool) -> Vec<Arg> {
    let mut v = vec![
        conf_target_arg().also_positional(),
        estimate_mode_arg().also_positional(),
        Arg::hint(
            "replaceable",
            ArgType::Bool,
            "wallet default",
            "Mark the transaction BIP125-replaceable, so a transaction paying more can replace it",
        ),
    ];
    if solving_data {
        v.push(
            Arg::omitted("solving_data", ArgType::Obj, "Public keys, scripts and descriptors that size inputs outside the wallet, for fee estimation.")
                .with_inner(vec![
                    Arg::optional("pubkeys", ArgType::Arr, json!([]), "Public keys involved")
                        .with_inner(vec![Arg::omitted("pubkey", ArgType::StrHex, "A public key")]),
                    Arg::optional("scripts", ArgType::Arr, json!([]), "Scripts involved")
                        .with_inner(vec![Arg::omitted("script", ArgType::StrHex, "A script")]),
                    Arg::optional("descriptors", ArgType::Arr, json!([]), "Descriptors solving the inputs")
                        .with_inner(vec![Arg::omitted("descriptor", ArgType::Str, "A descriptor")]),
                ]),
        );
    }
    v
}

/// `OutputsDoc`.
fn outputs_doc() -> Vec<Arg> {
    vec![
        Arg::omitted("", ArgType::ObjUserKeys, "").with_inner(vec![Arg::required(
            "address",
            ArgType::Amount,
            "The address as key and the amount in BTC (number or string) as value",
        )]),
        Arg::omitted("", ArgType::Obj, "").with_inner(vec![Arg::required(
            "data",
            ArgType::StrHex,
            "The key \"data\" with hex data for an OP_RETURN output as value",
        )]),
    ]
}

fn input_objects(weight: bool) -> Vec<Arg> {
    let mut fields = vec![
        Arg::required("txid", ArgType::StrHex, "The transaction id"),
        Arg::required("vout", ArgType::Num, "The output number"),
        Arg::hint(
            "sequence",
            ArgType::Num,
            "depends on the value of the 'replaceable' and 'locktime' arguments",
            "The sequence number",
        ),
    ];
    if weight {
        fields.push(Arg::hint("weight", ArgType::Num, "Calculated from wallet and solving data", "The input's largest weight once signed, outpoint and sequence included (ECDSA signatures may be up to 73 bytes)"));
    }
    vec![Arg::omitted("", ArgType::Obj, "").with_inner(fields)]
}

fn cmd_result(verbose_help: &'static str) -> &'static str {
    verbose_help
}

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "sendtoaddress",
        "Sends an amount to an address.\nNeeds the wallet passphrase when the wallet is encrypted.\n",
        vec![
            Arg::required("address", ArgType::Str, "The address to pay"),
            Arg::required("amount", ArgType::Amount, "The amount in BTC"),
            Arg::omitted("comment", ArgType::Str, "A note about the payment, kept in the wallet only"),
            Arg::omitted("comment_to", ArgType::Str, "Who the payment is for, kept in the wallet only"),
            Arg::optional("subtractfeefromamount", ArgType::Bool, json!(false), "Take the fee out of the amount sent"),
            replaceable_arg(),
            conf_target_arg(),
            estimate_mode_arg(),
            Arg::optional("avoid_reuse", ArgType::Bool, json!(true), "(only with the avoid_reuse wallet flag) Leave out coins of addresses already spent from; also spends whole address groups"),
            fee_rate_arg(),
            Arg::optional("verbose", ArgType::Bool, json!(false), "Return the fee reason too"),
        ],
        cmd_result("Result (if verbose is not set or set to false):\n\"hex\"    (string) The transaction id.\n\nResult (if verbose is set to true):\n{                     (json object)\n  \"txid\" : \"hex\",     (string) The transaction id.\n  \"fee_reason\" : \"str\"  (string) Why the wallet chose this fee rate\n}"),
        move |req| send_to_address(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "sendmany",
        "Sends to several addresses in one transaction.\nNeeds the wallet passphrase when the wallet is encrypted.\n",
        vec![
            Arg::optional("dummy", ArgType::Str, json!(""), "Must be \"\", kept for compatibility").placeholder().oneline("\"\""),
            Arg::required("amounts", ArgType::ObjUserKeys, "The addresses and amounts")
                .with_inner(vec![Arg::required("address", ArgType::Amount, "The address as key and the amount in BTC (number or string) as value")]),
            Arg::omitted("minconf", ArgType::Num, "Ignored").placeholder(),
            Arg::omitted("comment", ArgType::Str, "A note about the payment"),
            Arg::omitted("subtractfeefrom", ArgType::Arr, "Addresses whose amounts pay the fee, in equal shares; none means the sender pays")
                .with_inner(vec![Arg::omitted("address", ArgType::Str, "An address paying part of the fee")]),
            replaceable_arg(),
            conf_target_arg(),
            estimate_mode_arg(),
            fee_rate_arg(),
            Arg::optional("verbose", ArgType::Bool, json!(false), "Return the fee reason too"),
        ],
        cmd_result("Result (if verbose is not set or set to false):\n\"hex\"    (string) The transaction id (one transaction for all addresses).\n\nResult (if verbose is set to true):\n{                     (json object)\n  \"txid\" : \"hex\",     (string) The transaction id\n  \"fee_reason\" : \"str\"  (string) Why the wallet chose this fee rate\n}"),
        move |req| send_many(&c, req),
    ));
    let c = cx.clone();
    let mut send_options = vec![
        Arg::hint("add_inputs", ArgType::Bool, "false when \"inputs\" are specified, true otherwise", "Add wallet coins to cover the amount"),
        Arg::optional("include_unsafe", ArgType::Bool, json!(false), "Also spend unconfirmed outputs from others and unconfirmed replacements (the result fails if they disappear)"),
        Arg::optional("minconf", ArgType::Num, json!(0), "Fewest confirmations of added coins"),
        Arg::omitted("maxconf", ArgType::Num, "Most confirmations of added coins"),
        Arg::optional("add_to_wallet", ArgType::Bool, json!(true), "False returns the transaction without adding or broadcasting it"),
        Arg::hint("change_address", ArgType::Str, "automatic", "Where the change goes"),
        Arg::hint("change_position", ArgType::Num, "random", "The change output's index"),
        Arg::hint("change_type", ArgType::Str, "set by -changetype", "The change output type (\"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\"), without change_address"),
        fee_rate_arg().also_positional(),
        Arg::optional("include_watching", ArgType::Bool, json!("false"), "(DEPRECATED) No longer used"),
        Arg::optional("inputs", ArgType::Arr, json!([]), "Inputs to use instead of choosing them").with_inner(input_objects(true)),
        Arg::hint("locktime", ArgType::Num, "locktime close to block height to prevent fee sniping", "The raw lock time; non-zero makes the inputs lock-time active"),
        Arg::optional("lock_unspents", ArgType::Bool, json!(false), "Lock the inputs"),
        Arg::hint("psbt", ArgType::Bool, "automatic", "Always return a PSBT (and do not add to the wallet)"),
        Arg::optional("subtract_fee_from_outputs", ArgType::Arr, json!([]), "Output indexes whose amounts pay the fee in equal shares")
            .with_inner(vec![Arg::omitted("vout_index", ArgType::Num, "An output index, counted before change is added")]),
        Arg::optional("max_tx_weight", ArgType::Num, json!(400000), "The heaviest transaction allowed"),
    ];
    send_options.extend(fund_tx_doc(true));
    table.register(command(
        "send",
        "Sends a transaction.\n",
        vec![
            Arg::required("outputs", ArgType::Arr, "The outputs as key-value pairs (each key once; at most one 'data'); an object holding the pairs is accepted too")
                .with_inner(outputs_doc())
                .skip_type_check(),
            conf_target_arg(),
            estimate_mode_arg(),
            fee_rate_arg(),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(send_options).oneline("options"),
            Arg::optional("version", ArgType::Num, json!(2), "Transaction version"),
        ],
        "{                             (json object)\n  \"complete\" : true|false,    (boolean) Whether every input is signed\n  \"txid\" : \"hex\",             (string, optional) The transaction id\n  \"hex\" : \"hex\",              (string, optional) With add_to_wallet false, the signed transaction\n  \"psbt\" : \"str\"              (string, optional) When incomplete or not added, the PSBT\n}",
        move |req| send(&c, req),
    ));
    let c = cx.clone();
    let mut sendall_options = vec![
        Arg::optional(
            "add_to_wallet",
            ArgType::Bool,
            json!(true),
            "False returns the transaction without adding or broadcasting it",
        ),
        fee_rate_arg().also_positional(),
        Arg::optional(
            "include_watching",
            ArgType::Bool,
            json!(false),
            "(DEPRECATED) No longer used",
        ),
        Arg::optional(
            "inputs",
            ArgType::Arr,
            json!([]),
            "Spend exactly these inputs (not with send_max, minconf or maxconf)",
        )
        .with_inner(input_objects(false)),
        Arg::hint(
            "locktime",
            ArgType::Num,
            "locktime close to block height to prevent fee sniping",
            "The raw lock time; non-zero makes the inputs lock-time active",
        ),
        Arg::optional(
            "lock_unspents",
            ArgType::Bool,
            json!(false),
            "Lock the inputs",
        ),
        Arg::hint(
            "psbt",
            ArgType::Bool,
            "automatic",
            "Always return a PSBT (and do not add to the wallet)",
        ),
        Arg::optional(
            "send_max",
            ArgType::Bool,
            json!(false),
            "Spend only coins worth more than the fee to spend them (not with inputs)",
        ),
        Arg::optional(
            "minconf",
            ArgType::Num,
            json!(0),
            "Fewest confirmations of the coins",
        ),
        Arg::omitted("maxconf", ArgType::Num, "Most confirmations of the coins"),
        Arg::optional("version", ArgType::Num, json!(2), "Transaction version"),
    ];
    sendall_options.extend(fund_tx_doc(true));
    table.register(command(
        "sendall",
        "Spends all confirmed coins and unconfirmed change (or the inputs given) to the recipients.\nUnconfirmed coins from others and locked coins stay; avoid_reuse is respected.\nWith many small coins, send_max leaves out those worth less than their fee.\n",
        vec![
            Arg::required("recipients", ArgType::Arr, "Each address once; those without an amount share what is left equally (at least one is needed)")
                .with_inner(vec![
                    Arg::required("address", ArgType::Str, "An address sharing the rest"),
                    Arg::omitted("", ArgType::ObjUserKeys, "").with_inner(vec![Arg::required("address", ArgType::Amount, "The address as key and the amount in BTC as value")]),
                ]),
            conf_target_arg(),
            estimate_mode_arg(),
            fee_rate_arg(),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(sendall_options).oneline("options"),
        ],
        "{                             (json object)\n  \"complete\" : true|false,    (boolean) Whether every input is signed\n  \"txid\" : \"hex\",             (string, optional) The transaction id\n  \"hex\" : \"hex\",              (string, optional) With add_to_wallet false, the signed transaction\n  \"psbt\" : \"str\"              (string, optional) When incomplete or not added, the PSBT\n}",
        move |req| super::sendall::send_all(&c, req),
    ));
    let c = cx.clone();
    let mut fund_options = vec![
        Arg::optional("add_inputs", ArgType::Bool, json!(true), "Add wallet coins when the transaction's inputs are not enough"),
        Arg::optional("include_unsafe", ArgType::Bool, json!(false), "Also spend unconfirmed outputs from others and unconfirmed replacements (the result fails if they disappear)"),
        Arg::optional("minconf", ArgType::Num, json!(0), "Fewest confirmations of added coins"),
        Arg::omitted("maxconf", ArgType::Num, "Most confirmations of added coins"),
        Arg::hint("changeAddress", ArgType::Str, "automatic", "Where the change goes"),
        Arg::hint("changePosition", ArgType::Num, "random", "The change output's index"),
        Arg::hint("change_type", ArgType::Str, "set by -changetype", "The change output type (\"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\"), without changeAddress"),
        Arg::optional("includeWatching", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
        Arg::optional("lockUnspents", ArgType::Bool, json!(false), "Lock the inputs"),
        fee_rate_arg(),
        Arg::hint("feeRate", ArgType::Amount, "not set, fall back to wallet fee estimation", "The fee rate to pay, in BTC/kvB."),
        Arg::optional("subtractFeeFromOutputs", ArgType::Arr, json!([]), "Output indexes whose amounts pay the fee in equal shares")
            .with_inner(vec![Arg::omitted("vout_index", ArgType::Num, "An output index, counted before change is added")]),
        Arg::omitted("input_weights", ArgType::Arr, "Inputs with their weights").with_inner(vec![Arg::omitted("", ArgType::Obj, "").with_inner(vec![
            Arg::required("txid", ArgType::StrHex, "The transaction id"),
            Arg::required("vout", ArgType::Num, "The output index"),
            Arg::required("weight", ArgType::Num, "The input's largest weight once signed, outpoint and sequence included (ECDSA signatures may be up to 73 bytes)"),
        ])]),
        Arg::optional("max_tx_weight", ArgType::Num, json!(400000), "The heaviest transaction allowed"),
    ];
    fund_options.extend(fund_tx_doc(true));
    table.register(command(
        "fundrawtransaction",
        "Adds inputs (when needed) and at most one change output to a raw transaction.\nOutputs stay as they are unless subtractFeeFromOutputs says otherwise. Added inputs are not signed.\nInputs already there must be the wallet's or in the UTXO set; those outside the wallet need solving data.\n",
        vec![
            Arg::required("hexstring", ArgType::StrHex, "The raw transaction, hex-encoded"),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(fund_options).oneline("options"),
            Arg::hint("iswitness", ArgType::Bool, "depends on heuristic tests", "Whether the hex is in the witness serialization (left out: heuristics decide)"),
        ],
        "{                     (json object)\n  \"hex\" : \"hex\",      (string) The funded transaction, hex-encoded\n  \"fee\" : n,          (numeric) The fee in BTC\n  \"changepos\" : n     (numeric) The change output's position, or -1\n}",
        move |req| fund_raw_transaction(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "signrawtransactionwithwallet",
        "Signs the inputs of a raw transaction that the wallet can sign.\nprevtxs describes outputs spent that the node may not know yet.\nNeeds the wallet passphrase when the wallet is encrypted.\n",
        vec![
            Arg::required("hexstring", ArgType::Str, "The transaction, hex-encoded"),
            Arg::omitted("prevtxs", ArgType::Arr, "Outputs spent").with_inner(vec![
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![
                    Arg::required("txid", ArgType::StrHex, "The transaction id"),
                    Arg::required("vout", ArgType::Num, "The output number"),
                    Arg::required("scriptPubKey", ArgType::StrHex, "The output script"),
                    Arg::omitted("redeemScript", ArgType::StrHex, "(for P2SH) the redeem script"),
                    Arg::omitted("witnessScript", ArgType::StrHex, "(for P2WSH or P2SH-P2WSH) the witness script"),
                    Arg::omitted("amount", ArgType::Amount, "(for segwit inputs) the amount spent"),
                ]),
            ]),
            Arg::optional("sighashtype", ArgType::Str, json!("DEFAULT for Taproot, ALL otherwise"), SIGHASH_HELP),
        ],
        "{                        (json object)\n  \"hex\" : \"hex\",         (string) The transaction with signatures\n  \"complete\" : true|false, (boolean) Whether every input is signed\n  \"errors\" : [ ... ]     (json array, optional) Per-input errors\n}",
        move |req| sign_raw_with_wallet(&c, req),
    ));
    for (name, want_psbt) in [("bumpfee", false), ("psbtbumpfee", true)] {
        let c = cx.clone();
        let mut opts = vec![
            Arg::hint("conf_target", ArgType::Num, "wallet -txconfirmtarget", CONF_TARGET_HELP),
            Arg::hint("fee_rate", ArgType::Amount, "not set, fall back to wallet fee estimation", "The new fee rate in sat/vB; it must beat the old rate by at least the incremental relay fee (1.000 sat/vB)."),
            Arg::optional("replaceable", ArgType::Bool, json!(true), "Signal BIP125 replaceability (sequence 0xfffffffd); false uses 0xfffffffe"),
            estimate_mode_arg(),
            Arg::optional("outputs", ArgType::Arr, json!([]), "New outputs as key-value pairs (each key once); not with original_change_index")
                .with_inner(outputs_doc())
                .skip_type_check(),
            Arg::hint("original_change_index", ArgType::Num, "not set, detect change automatically", "The original change output's index, recycled as the new change; not with outputs"),
        ];
        if want_psbt {
            opts.push(Arg::optional(
                "psbt_version",
                ArgType::Num,
                json!(2),
                "The PSBT version to write.",
            ));
        }
        let (description, result) = if want_psbt {
            ("Replaces a wallet transaction by one paying a higher fee rate, returned as a PSBT.\nIts change pays the extra fee, with inputs added when needed; all original inputs stay.\nIt fails when the wallet or the pool has a transaction spending its outputs.\n",
             "{                       (json object)\n  \"psbt\" : \"str\",        (string) The replacement as an unsigned PSBT\n  \"origfee\" : n,         (numeric) The replaced transaction's fee\n  \"fee\" : n,             (numeric) The replacement's fee\n  \"errors\" : [ \"str\" ]   (json array) Errors met (may be empty)\n}")
        } else {
            ("Replaces a wallet transaction by one paying a higher fee rate.\nIts change pays the extra fee, with inputs added when needed; all original inputs stay.\nIt fails when the wallet or the pool has a transaction spending its outputs.\n",
             "{                       (json object)\n  \"txid\" : \"hex\",        (string) The replacement's id\n  \"origfee\" : n,         (numeric) The replaced transaction's fee\n  \"fee\" : n,             (numeric) The replacement's fee\n  \"errors\" : [ \"str\" ]   (json array) Errors met (may be empty)\n}")
        };
        table.register(command(
            name,
            description,
            vec![
                Arg::required("txid", ArgType::StrHex, "The transaction to replace"),
                Arg::omitted("options", ArgType::ObjNamedParams, "")
                    .with_inner(opts)
                    .oneline("options"),
            ],
            result,
            move |req| super::bumpfee::bump_fee(&c, req, want_psbt),
        ));
    }
    let c = cx.clone();
    table.register(command(
        "walletprocesspsbt",
        "Adds the wallet's information to a PSBT and signs the inputs it can.\nNeeds the wallet passphrase when signing with an encrypted wallet.\n",
        vec![
            Arg::required("psbt", ArgType::Str, "The PSBT, base64-encoded"),
            Arg::optional("sign", ArgType::Bool, json!(true), "Sign as well as update (needs the wallet unlocked)"),
            Arg::optional("sighashtype", ArgType::Str, json!("DEFAULT for Taproot, ALL otherwise"), SIGHASH_HELP),
            Arg::optional("bip32derivs", ArgType::Bool, json!(true), "Add BIP32 derivation paths of known keys"),
            Arg::optional("finalize", ArgType::Bool, json!(true), "Finalize inputs when possible"),
        ],
        "{                        (json object)\n  \"psbt\" : \"str\",         (string) The PSBT, base64-encoded\n  \"complete\" : true|false, (boolean) Whether every input is signed\n  \"hex\" : \"hex\"           (string, optional) The network transaction when complete\n}",
        move |req| wallet_process_psbt(&c, req),
    ));
    let c = cx.clone();
    let mut psbt_options = vec![
        Arg::hint("add_inputs", ArgType::Bool, "false when \"inputs\" are specified, true otherwise", "Add wallet coins to cover the amount"),
        Arg::optional("include_unsafe", ArgType::Bool, json!(false), "Also spend unconfirmed outputs from others and unconfirmed replacements (the result fails if they disappear)"),
        Arg::optional("minconf", ArgType::Num, json!(0), "Fewest confirmations of added coins"),
        Arg::omitted("maxconf", ArgType::Num, "Most confirmations of added coins"),
        Arg::hint("changeAddress", ArgType::Str, "automatic", "Where the change goes"),
        Arg::hint("changePosition", ArgType::Num, "random", "The change output's index"),
        Arg::hint("change_type", ArgType::Str, "set by -changetype", "The change output type (\"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\"), without changeAddress"),
        Arg::optional("includeWatching", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
        Arg::optional("lockUnspents", ArgType::Bool, json!(false), "Lock the inputs"),
        fee_rate_arg(),
        Arg::hint("feeRate", ArgType::Amount, "not set, fall back to wallet fee estimation", "The fee rate to pay, in BTC/kvB."),
        Arg::optional("subtractFeeFromOutputs", ArgType::Arr, json!([]), "Output indexes whose amounts pay the fee in equal shares")
            .with_inner(vec![Arg::omitted("vout_index", ArgType::Num, "An output index, counted before change is added")]),
        Arg::optional("max_tx_weight", ArgType::Num, json!(400000), "The heaviest transaction allowed"),
    ];
    psbt_options.extend(fund_tx_doc(true));
    table.register(command(
        "walletcreatefundedpsbt",
        "Creates and funds a transaction as a PSBT (the Creator and Updater roles).\nInputs given must be the wallet's or in the UTXO set; those outside the wallet need solving data.\n",
        vec![
            Arg::omitted("inputs", ArgType::Arr, "Inputs to use; empty to add them automatically (see add_inputs)").with_inner(input_objects(true)),
            Arg::required("outputs", ArgType::Arr, "The outputs as key-value pairs (each key once; at most one 'data'); an object holding the pairs is accepted too")
                .with_inner(outputs_doc())
                .skip_type_check(),
            Arg::optional("locktime", ArgType::Num, json!(0), "The raw lock time; non-zero makes the inputs lock-time active"),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(psbt_options).oneline("options"),
            Arg::optional("bip32derivs", ArgType::Bool, json!(true), "Add BIP32 derivation paths of known keys"),
            Arg::optional("version", ArgType::Num, json!(2), "Transaction version"),
            Arg::optional("psbt_version", ArgType::Num, json!(2), "The PSBT version to write."),
        ],
        "{                     (json object)\n  \"psbt\" : \"str\",      (string) The funded PSBT, base64-encoded\n  \"fee\" : n,          (numeric) The fee in BTC\n  \"changepos\" : n     (numeric) The change output's position, or -1\n}",
        move |req| wallet_create_funded_psbt(&c, req),
    ));
}

pub(super) fn null() -> &'static Value {
    static NULL: Value = Value::Null;
    &NULL
}

pub(super) fn param(req: &Request, i: usize) -> &Value {
    req.params.get(i).unwrap_or(null())
}

/// `SendMoney`: builds, signs and commits a payment for sendtoaddress and sendmany.
fn send_money(
    wallet: &Wallet,
    cc: CoinControl,
    mut recipients: Vec<Recipient>,
    comment: Option<String>,
    comment_to: Option<String>,
    verbose: bool,
) -> RpcResult {
    with_wallet(wallet, |st, lookup, node| {
        ensure_unlocked(st)?;
        if st.has_flag(flags::EXTERNAL_SIGNER) {
            return Err(RpcError::new(RPC_WALLET_ERROR, "Error: sendtoaddress and sendmany are not supported for wallets with external signers; use send instead"));
        }
        if st.has_flag(flags::DISABLE_PRIVATE_KEYS) {
            return Err(RpcError::new(
                RPC_WALLET_ERROR,
                "Error: Private keys are disabled for this wallet",
            ));
        }
        let mut rng = crate::spend::os_rng();
        shuffle(rng.as_mut(), &mut recipients);
        let res = create_transaction(st, node, &recipients, None, &cc, true, rng.as_mut())
            .map_err(|e| RpcError::new(RPC_WALLET_INSUFFICIENT_FUNDS, e.0))?;
        let info = CommitInfo {
            comment,
            comment_to,
            ..CommitInfo::default()
        };
        let txid = commit_transaction(st, node, lookup, res.tx, info);
        if verbose {
            return Ok(json!({"txid": txid.to_string(), "fee_reason": res.fee_reason.as_str()}));
        }
        Ok(Value::String(txid.to_string()))
    })
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(str::to_string)
}

fn send_to_address(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let comment = non_empty(req.maybe_str(2)?);
    let comment_to = non_empty(req.maybe_str(3)?);
    let mut cc = new_coin_control(cx);
    if let Some(b) = req.maybe_bool(5)? {
        cc.signal_bip125_rbf = Some(b);
    }
    {
        let st = wallet.state();
        cc.avoid_address_reuse = super::coins::avoid_reuse_flag(&st, req.maybe_bool(8)?)?;
    }
    cc.avoid_partial_spends |= cc.avoid_address_reuse;
    let node = ChainView(wallet.chain.as_ref());
    set_fee_estimate_mode(
        &node,
        &mut cc,
        param(req, 6),
        param(req, 7),
        param(req, 9),
        false,
    )?;
    ensure_unlocked(&wallet.state())?;
    let address = req.arg_str(0)?.to_string();
    let network = wallet.state().network;
    let outputs = parse_outputs(&[(address, req.arg_value(1)?.clone())], network)?;
    let mut sffo = BTreeSet::new();
    if req.arg_bool(4)? {
        sffo.insert(0);
    }
    let verbose = req.arg_bool(10)?;
    send_money(
        &wallet,
        cc,
        create_recipients(outputs, &sffo),
        comment,
        comment_to,
        verbose,
    )
}

fn send_many(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    if let Some(d) = req.maybe_str(0)? {
        if !d.is_empty() {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Dummy value must be set to \"\"",
            ));
        }
    }
    let send_to = req.arg_value(1)?.clone();
    let comment = non_empty(req.maybe_str(3)?);
    let mut cc = new_coin_control(cx);
    if let Some(b) = req.maybe_bool(5)? {
        cc.signal_bip125_rbf = Some(b);
    }
    let node = ChainView(wallet.chain.as_ref());
    set_fee_estimate_mode(
        &node,
        &mut cc,
        param(req, 6),
        param(req, 7),
        param(req, 8),
        false,
    )?;
    let network = wallet.state().network;
    let pairs = normalize_outputs(&send_to, req.object_keys(1))?;
    let outputs = parse_outputs(&pairs, network)?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    let sffo = interpret_sffo(param(req, 4), &keys)?;
    let verbose = req.arg_bool(9)?;
    send_money(
        &wallet,
        cc,
        create_recipients(outputs, &sffo),
        comment,
        None,
        verbose,
    )
}

pub(super) fn options_object(v: &Value) -> Result<Map<String, Value>, RpcError> {
    match v {
        Value::Null => Ok(Map::new()),
        Value::Object(o) => Ok(o.clone()),
        other => Err(RpcError::new(
            rpc::codes::RPC_TYPE_ERROR,
            format!(
                "JSON value of type {} is not of expected type object",
                rpc::json::type_name(other)
            ),
        )),
    }
}

fn send(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let mut options = options_object(param(req, 4))?;
    interpret_fee_estimation_instructions(
        param(req, 1),
        param(req, 2),
        param(req, 3),
        &mut options,
    )?;
    prevent_outdated_options(&options)?;
    let (network, signal_rbf) = {
        let st = wallet.state();
        (st.network, st.options.signal_rbf)
    };
    let rbf = match options.get("replaceable") {
        Some(v) => value_bool(v)?,
        None => signal_rbf,
    };
    let pairs = normalize_outputs(param(req, 0), req.object_keys(0))?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    let outputs = parse_outputs(&pairs, network)?;
    let recipients = create_recipients(
        outputs,
        &interpret_sffo(find(&options, "subtract_fee_from_outputs"), &keys)?,
    );
    let mut cc = new_coin_control(cx);
    cc.version = value_u32(req.arg_value(5)?)?;
    let mut raw = construct_transaction(
        find(&options, "inputs"),
        param(req, 0),
        req.object_keys(0),
        find(&options, "locktime"),
        Some(rbf),
        cc.version,
        network,
    )?;
    cc.allow_other_inputs = raw.input.is_empty();
    if let Some(v) = options.get("max_tx_weight") {
        cc.max_tx_weight = Some(i64::from(value_i32(v)?));
    }
    let inputs = find(&options, "inputs").clone();
    set_options_input_weights(&inputs, &mut options)?;
    raw.output.clear();
    let options_value = Value::Object(options.clone());
    let txr = fund_rpc(&wallet, &raw, &recipients, &options_value, cc, false)?;
    finish_transaction(&wallet, &options, txr.tx)
}

fn fund_result(txr: &crate::spend::CreatedTransaction, key: &str, text: String) -> Value {
    let mut out = Map::new();
    out.insert(key.into(), Value::String(text));
    out.insert("fee".into(), amount(txr.fee));
    out.insert(
        "changepos".into(),
        json!(txr.change_pos.map(|p| p as i64).unwrap_or(-1)),
    );
    Value::Object(out)
}

fn fund_raw_transaction(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let iswitness = req.maybe_bool(2)?;
    let try_witness = iswitness.unwrap_or(true);
    let try_no_witness = iswitness.map(|b| !b).unwrap_or(true);
    let mut tx = chain_json::parse_hex_tx(req.arg_str(0)?, try_no_witness, try_witness)
        .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
    let options = param(req, 1).clone();
    let outputs: Vec<_> = tx
        .output
        .iter()
        .map(|o| (o.script_pubkey.clone(), o.value.to_sat() as i64))
        .collect();
    let dummy = vec!["dummy".to_string(); outputs.len()];
    let sffo_v = options
        .as_object()
        .map(|o| find(o, "subtractFeeFromOutputs").clone())
        .unwrap_or(Value::Null);
    let recipients = create_recipients(outputs, &interpret_sffo(&sffo_v, &dummy)?);
    let mut cc = new_coin_control(cx);
    cc.allow_other_inputs = true;
    tx.output.clear();
    let txr = fund_rpc(&wallet, &tx, &recipients, &options, cc, true)?;
    let hex = chain_json::to_hex(&chain_json::serialize_tx(&txr.tx, true));
    Ok(fund_result(&txr, "hex", hex))
}

fn sign_raw_with_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let mut tx = chain_json::parse_hex_tx(req.arg_str(0)?, true, true).ok_or_else(|| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })?;
    with_wallet(&wallet, |st, _, node| {
        ensure_unlocked(st)?;
        let prevouts: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
        let found = node
            .find_coins(&prevouts)
            .map_err(|e| RpcError::new(RPC_WALLET_ERROR, e.to_string()))?;
        let mut coins = Coins::new();
        for (o, c) in prevouts.iter().zip(found) {
            if let Some(c) = c {
                coins.insert(*o, c);
            }
        }
        parse_prevouts(req.param(1), None, &mut coins)?;
        let sighash = parse_sighash(req.param(2))?.unwrap_or(SIGHASH_DEFAULT);
        let (complete, errors) = sign_with_coins(st, &mut tx, &coins, sighash);
        sign_result_json(&tx, complete, &coins, &errors)
    })
}

fn wallet_process_psbt(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut psbt = Psbt::from_base64(req.arg_str(0)?)
        .map_err(|e| RpcError::new(RPC_DESERIALIZATION_ERROR, format!("TX decode failed {e}")))?;
    let sighash = parse_sighash(req.param(2))?;
    let sign = req.maybe_bool(1)?.unwrap_or(true);
    let bip32 = req.maybe_bool(3)?.unwrap_or(true);
    let finalize = req.maybe_bool(4)?.unwrap_or(true);
    with_wallet(&wallet, |st, _, _| {
        if sign {
            ensure_unlocked(st)?;
        }
        let complete = fill_psbt(
            st,
            &mut psbt,
            FillOptions {
                sign,
                sighash_type: sighash,
                finalize,
                bip32_derivs: bip32,
            },
        )
        .map_err(psbt_error)?;
        let mut result = Map::new();
        result.insert("psbt".into(), Value::String(psbt.to_base64()));
        result.insert("complete".into(), Value::Bool(complete));
        if complete {
            let mut finalized = psbt.clone();
            if let Some(tx) = signing::psbt::finalize_and_extract(&mut finalized) {
                result.insert(
                    "hex".into(),
                    Value::String(chain_json::to_hex(&chain_json::serialize_tx(&tx, true))),
                );
            }
        }
        Ok(Value::Object(result))
    })
}

fn wallet_create_funded_psbt(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut options = options_object(param(req, 3))?;
    let mut cc = new_coin_control(cx);
    cc.version = value_u32(req.arg_value(5)?)?;
    let (network, signal_rbf) = {
        let st = wallet.state();
        (st.network, st.options.signal_rbf)
    };
    let rbf = match options.get("replaceable") {
        Some(Value::Null) | None => signal_rbf,
        Some(v) => value_bool(v)?,
    };
    let mut raw = construct_transaction(
        param(req, 0),
        param(req, 1),
        req.object_keys(1),
        param(req, 2),
        Some(rbf),
        cc.version,
        network,
    )?;
    let pairs = normalize_outputs(param(req, 1), req.object_keys(1))?;
    let keys: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
    let outputs = parse_outputs(&pairs, network)?;
    let recipients = create_recipients(
        outputs,
        &interpret_sffo(find(&options, "subtractFeeFromOutputs"), &keys)?,
    );
    cc.allow_other_inputs = raw.input.is_empty();
    set_options_input_weights(param(req, 0), &mut options)?;
    raw.output.clear();
    let options_value = if param(req, 3).is_null() && options.is_empty() {
        Value::Null
    } else {
        Value::Object(options)
    };
    let txr = fund_rpc(&wallet, &raw, &recipients, &options_value, cc, true)?;
    let psbt_version = match req.param(6) {
        Some(v) => value_i32(v)?,
        None => 2,
    };
    if psbt_version != 2 && psbt_version != 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "The PSBT version can only be 2 or 0",
        ));
    }
    let bip32 = req.maybe_bool(4)?.unwrap_or(true);
    let mut psbt = Psbt::from_tx(&txr.tx, psbt_version as u32);
    with_wallet(&wallet, |st, _, _| {
        fill_psbt(
            st,
            &mut psbt,
            FillOptions {
                sign: false,
                bip32_derivs: bip32,
                ..FillOptions::default()
            },
        )
        .map_err(psbt_error)
    })?;
    Ok(fund_result(&txr, "psbt", psbt.to_base64()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sffo_instructions_are_checked_as_core() {
        let dests = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            interpret_sffo(&json!(["b", 0]), &dests).unwrap(),
            BTreeSet::from([0, 1])
        );
        let e = |v: Value| interpret_sffo(&v, &dests).unwrap_err().message;
        assert_eq!(
            e(json!(["c"])),
            "Invalid parameter 'subtract fee from output', destination c not found in tx outputs"
        );
        assert_eq!(
            e(json!([1, 1])),
            "Invalid parameter 'subtract fee from output', duplicated position: 1"
        );
        assert_eq!(
            e(json!([-1])),
            "Invalid parameter 'subtract fee from output', negative position: -1"
        );
        assert_eq!(
            e(json!([2])),
            "Invalid parameter 'subtract fee from output', position too large: 2"
        );
        assert_eq!(
            e(json!([true])),
            "Invalid parameter 'subtract fee from output', invalid value type: bool"
        );
    }

    #[test]
    fn fee_instructions_move_into_options() {
        let mut o = Map::new();
        interpret_fee_estimation_instructions(
            &json!(6),
            &json!("economical"),
            &Value::Null,
            &mut o,
        )
        .unwrap();
        assert_eq!(o["conf_target"], json!(6));
        let mut o = Map::new();
        o.insert("fee_rate".into(), json!(1));
        let e =
            interpret_fee_estimation_instructions(&Value::Null, &Value::Null, &json!(2), &mut o)
                .unwrap_err();
        assert_eq!(
            e.message,
            "Pass the fee_rate either as an argument, or in the options object, but not both"
        );
        let mut o = Map::new();
        let e =
            interpret_fee_estimation_instructions(&json!(6), &Value::Null, &Value::Null, &mut o)
                .unwrap_err();
        assert_eq!(e.message, "Specify estimate_mode");
    }
}
