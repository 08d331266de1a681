//! Sending commands (Core's `wallet/rpc/spend.cpp`): sendtoaddress, sendmany, send,
//! sendall, fundrawtransaction, walletcreatefundedpsbt, walletprocesspsbt,
//! signrawtransactionwithwallet, bumpfee and psbtbumpfee.

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxIn};
use coinselection::{shuffle, TRUC_VERSION};
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
    set_options_input_weights, with_wallet, TRUC_MAX_WEIGHT,
};
use super::rawtx::{
    construct_transaction, find, normalize_outputs, parse_outputs, parse_prevouts, parse_sighash,
    parse_txid, sign_result_json, type_check_obj,
};
use super::util::{amount, ensure_unlocked, wallet_for};
use crate::coincontrol::CoinControl;
use crate::context::WalletContext;
use crate::feebumper::{commit_bump, create_rate_bump, BumpErrorKind};
use crate::fees::{minimum_fee_rate, sat_vb_string, FeeReason};
use crate::sign::{fill_psbt, sign_with_coins, FillOptions, SIGHASH_DEFAULT};
use crate::spend::available::{available_coins, CoinFilterParams};
use crate::spend::commit::{commit_transaction, CommitInfo};
use crate::spend::create::{
    create_transaction, MAX_BIP125_RBF_SEQUENCE, MAX_FEE_EXCEEDED, MAX_SEQUENCE_NONFINAL,
};
use crate::spend::node::ChainView;
use crate::spend::size::{is_dust, max_signed_tx_size};
use crate::spend::Recipient;
use crate::state::{flags, WalletState};
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
        move |req| send_all(&c, req),
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
            move |req| bump_fee(&c, req, want_psbt),
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

fn null() -> &'static Value {
    static NULL: Value = Value::Null;
    &NULL
}

fn param(req: &Request, i: usize) -> &Value {
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

fn options_object(v: &Value) -> Result<Map<String, Value>, RpcError> {
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

fn bump_fee(cx: &WalletContext, req: &Request, want_psbt: bool) -> RpcResult {
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

fn send_all(cx: &WalletContext, req: &Request) -> RpcResult {
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
