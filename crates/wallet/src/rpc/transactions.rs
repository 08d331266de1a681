//! The wallet's history commands (Core's `wallet/rpc/transactions.cpp`, with
//! `getreceivedbyaddress` and `getreceivedbylabel` from `wallet/rpc/coins.cpp`):
//! transactions, what addresses received, abandoning and rescanning.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, ScriptBuf, Txid};
use interfaces::chain::rbf_state;
use interfaces::Chain;
use rpc::codes::{
    RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR,
    RPC_WALLET_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::util::{amount, ensure_unlocked, label_from_value, wallet_error, wallet_for};
use crate::context::WalletContext;
use crate::history::{
    address_book_in_order, cached_tx_get_amounts, cached_tx_get_credit, cached_tx_get_debit,
    output_is_change, parent_descriptors, received_by_scripts, tally_received, tx_conflicts, Tally,
};
use crate::scan::{scan_for_wallet_transactions, RescanReserver, ScanStatus};
use crate::state::WalletState;
use crate::tx::{TxState, WalletTx};
use crate::WalletError;

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "gettransaction",
        "Returns what the wallet knows about one of its transactions.\n",
        vec![
            Arg::required("txid", ArgType::Str, "The transaction id."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
            Arg::optional("verbose", ArgType::Bool, json!(false), "Also return the transaction decoded, as decoderawtransaction would, under `decoded`."),
        ],
        "{                               (json object)\n  \"amount\" : n,                  (numeric) Net amount in BTC\n  \"fee\" : n,                     (numeric, optional) The fee in BTC (negative), when the wallet paid it\n  ... the fields listtransactions shows for every entry ...\n  \"details\" : [ ... ],           (json array) One entry per output, as listtransactions gives them\n  \"hex\" : \"hex\",                 (string) The serialized transaction\n  \"decoded\" : { ... },           (json object, optional) The decoded transaction, with `verbose`\n  \"lastprocessedblock\" : {       (json object) The last block the wallet processed\n    \"hash\" : \"hex\",\n    \"height\" : n\n  }\n}",
        move |req| get_transaction(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listtransactions",
        "Returns up to `count` of the wallet's most recent transaction entries, after skipping the `skip` most recent, ordered oldest to newest.\nWith a label, only incoming payments to addresses with that label are returned.\nA transaction may give several entries: one per output it sends, and one per output paying the wallet.\n",
        vec![
            Arg::omitted("label", ArgType::Str, "A label to return only incoming payments to its addresses, or \"*\" for every entry."),
            Arg::optional("count", ArgType::Num, json!(10), "How many entries to return."),
            Arg::optional("skip", ArgType::Num, json!(0), "How many of the most recent entries to skip."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
        ],
        "[                               (json array)\n  {                             (json object)\n    \"address\" : \"str\",          (string, optional) The output's address\n    \"category\" : \"str\",         (string) \"send\", \"receive\", \"generate\", \"immature\" or \"orphan\"\n    \"amount\" : n,                (numeric) Negative for \"send\"\n    \"label\" : \"str\",             (string, optional) The address's label\n    \"vout\" : n,                  (numeric) The output's position\n    \"fee\" : n,                   (numeric, optional) The fee (negative), for \"send\"\n    ... transaction fields ...\n    \"abandoned\" : true|false      (boolean) Whether the transaction was abandoned\n  },\n  ...\n]",
        move |req| list_transactions_rpc(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listsinceblock",
        "Returns the wallet's transactions in blocks after `blockhash`, or all of them without it.\nWhen that block left the active chain, transactions from the fork point on are returned, and with include_removed those of the blocks that left are returned under \"removed\".\n",
        vec![
            Arg::omitted("blockhash", ArgType::Str, "The block to list transactions after."),
            Arg::optional("target_confirmations", ArgType::Num, json!(1), "Which block to return as lastblock: 1 is the tip, 2 its parent, and so on. It does not filter transactions."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
            Arg::optional("include_removed", ArgType::Bool, json!(true), "Return the transactions of blocks that left the active chain under \"removed\"\n(not guaranteed on pruned nodes)"),
            Arg::optional("include_change", ArgType::Bool, json!(false), "Also return entries for change outputs.\n"),
            Arg::omitted("label", ArgType::Str, "Return only incoming payments to addresses with this label.\n"),
        ],
        "{                               (json object)\n  \"transactions\" : [ ... ],      (json array) Entries as listtransactions gives them\n  \"removed\" : [ ... ],           (json array, optional) Entries of transactions in blocks that left the chain, with include_removed\n  \"lastblock\" : \"hex\"            (string) The block target_confirmations-1 below the tip, to pass as blockhash next time\n}",
        move |req| list_since_block(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listreceivedbyaddress",
        "Returns what each receiving address got.\n",
        vec![
            Arg::optional("minconf", ArgType::Num, json!(1), "Count only transactions with at least this many confirmations."),
            Arg::optional("include_empty", ArgType::Bool, json!(false), "Also list addresses that received nothing."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
            Arg::omitted("address_filter", ArgType::Str, "When given and not empty, list only this address."),
            Arg::optional("include_immature_coinbase", ArgType::Bool, json!(false), "Count immature coinbase outputs."),
        ],
        "[                               (json array)\n  {                             (json object)\n    \"address\" : \"str\",          (string) The receiving address\n    \"amount\" : n,                (numeric) What it received in BTC\n    \"confirmations\" : n,         (numeric) Confirmations of the least confirmed transaction counted\n    \"label\" : \"str\",             (string) Its label\n    \"txids\" : [ \"hex\", ... ]     (json array) The transactions counted\n  },\n  ...\n]",
        move |req| list_received(&c, req, false),
    ));
    let c = cx.clone();
    table.register(command(
        "listreceivedbylabel",
        "Returns what the addresses of each label got.\n",
        vec![
            Arg::optional("minconf", ArgType::Num, json!(1), "Count only transactions with at least this many confirmations."),
            Arg::optional("include_empty", ArgType::Bool, json!(false), "Also list labels that received nothing."),
            Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used"),
            Arg::optional("include_immature_coinbase", ArgType::Bool, json!(false), "Count immature coinbase outputs."),
        ],
        "[                               (json array)\n  {                             (json object)\n    \"amount\" : n,                (numeric) What the label's addresses received in BTC\n    \"confirmations\" : n,         (numeric) Confirmations of the least confirmed transaction counted\n    \"label\" : \"str\"              (string) The label\n  },\n  ...\n]",
        move |req| list_received(&c, req, true),
    ));
    let c = cx.clone();
    table.register(command(
        "getreceivedbyaddress",
        "Returns what an address received in transactions with at least minconf confirmations.\n",
        vec![
            Arg::required("address", ArgType::Str, "The address."),
            Arg::optional(
                "minconf",
                ArgType::Num,
                json!(1),
                "Count only transactions with at least this many confirmations.",
            ),
            Arg::optional(
                "include_immature_coinbase",
                ArgType::Bool,
                json!(false),
                "Count immature coinbase outputs.",
            ),
        ],
        "amount    (numeric) The total amount in BTC received at this address.",
        move |req| get_received(&c, req, false),
    ));
    let c = cx.clone();
    table.register(command(
        "getreceivedbylabel",
        "Returns what the addresses of a label received in transactions with at least minconf confirmations.\n",
        vec![
            Arg::required("label", ArgType::Str, "The label; \"\" is the default label."),
            Arg::optional("minconf", ArgType::Num, json!(1), "Count only transactions with at least this many confirmations."),
            Arg::optional("include_immature_coinbase", ArgType::Bool, json!(false), "Count immature coinbase outputs."),
        ],
        "amount    (numeric) The total amount in BTC received for this label.",
        move |req| get_received(&c, req, true),
    ));
    let c = cx.clone();
    table.register(command(
        "abandontransaction",
        "Marks a wallet transaction and its wallet descendants abandoned, so their inputs can be spent again.\nOnly transactions neither in a block nor in the pool qualify; abandoning one twice changes nothing.\n",
        vec![Arg::required("txid", ArgType::StrHex, "The transaction id.")],
        "",
        move |req| abandon_transaction(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "rescanblockchain",
        "Scans the local block chain again for the wallet's transactions.\ngetwalletinfo shows the progress.\n",
        vec![
            Arg::optional("start_height", ArgType::Num, json!(0), "The height to start at."),
            Arg::omitted("stop_height", ArgType::Num, "The last height to scan; without it, scanning goes on to the tip as it is when the call returns."),
        ],
        "{                               (json object)\n  \"start_height\" : n,           (numeric) The height the scan started at\n  \"stop_height\" : n             (numeric) The last height scanned; null in the rare case that a reorganisation left nothing to scan\n}",
        move |req| rescan_blockchain(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "abortrescan",
        "Stops a rescan the wallet runs for an RPC call such as rescanblockchain.\ngetwalletinfo shows the progress.\n",
        vec![],
        "true|false    (boolean) Whether a rescan was stopped",
        move |req| abort_rescan(&c, req),
    ));
}

fn chain_error(e: ipc::Error) -> RpcError {
    wallet_error(WalletError::from(e))
}

/// What `CHECK_NONFATAL` reports when the node does not answer as it must.
fn internal_bug(what: &str) -> RpcError {
    RpcError::new(
        RPC_MISC_ERROR,
        format!("Internal bug detected: {what}\nPlease report this issue here: https://github.com/bitcoin/bitcoin/issues\n"),
    )
}

/// `ParseHashV`: 64 hex digits in display order.
fn parse_hash(v: &Value, name: &str) -> Result<[u8; 32], RpcError> {
    let s = rpc::request::value_str(v)?;
    if s.len() != 64 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be of length 64 (not {}, for '{s}')", s.len()),
        ));
    }
    let bytes = chain_json::from_hex(s).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("{name} must be hexadecimal string (not '{s}')"),
        )
    })?;
    let mut out = [0u8; 32];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i] = *b;
    }
    Ok(out)
}

fn arg_i32(req: &Request, i: usize) -> Result<i32, RpcError> {
    rpc::request::value_i32(req.arg_value(i)?)
}

fn maybe_i32(req: &Request, i: usize) -> Result<Option<i32>, RpcError> {
    req.param(i).map(rpc::request::value_i32).transpose()
}

/// `AppendLastProcessedBlock`, on a state already locked.
fn last_processed_block(st: &WalletState) -> Value {
    let (hash, height) = st
        .last_block
        .unwrap_or((BlockHash::all_zeros(), st.last_block_height()));
    json!({ "hash": hash.to_string(), "height": height })
}

fn txids(set: impl IntoIterator<Item = Txid>) -> Value {
    Value::Array(
        set.into_iter()
            .map(|t| Value::String(t.to_string()))
            .collect(),
    )
}

/// What describing transactions needs from the node, asked once per request.
struct Describer<'a> {
    chain: &'a dyn Chain,
    st: &'a WalletState,
    /// `-deprecatedrpc=bip125`.
    bip125: bool,
    block_times: RefCell<HashMap<BlockHash, i64>>,
}

impl<'a> Describer<'a> {
    fn new(chain: &'a dyn Chain, st: &'a WalletState) -> Result<Describer<'a>, RpcError> {
        Ok(Describer {
            chain,
            st,
            bip125: chain
                .rpc_enable_deprecated("bip125".into())
                .map_err(chain_error)?,
            block_times: RefCell::new(HashMap::new()),
        })
    }

    fn block_time(&self, hash: BlockHash) -> Result<i64, RpcError> {
        if let Some(t) = self.block_times.borrow().get(&hash) {
            return Ok(*t);
        }
        let found = self.chain.find_block(hash, false).map_err(chain_error)?;
        let time = found.map(|b| b.time).ok_or_else(|| {
            internal_bug(
                "chain.findBlock(conf->confirmed_block_hash, FoundBlock().time(block_time))",
            )
        })?;
        self.block_times.borrow_mut().insert(hash, time);
        Ok(time)
    }

    /// `WalletTxToJSON`.
    fn tx_fields(&self, wtx: &WalletTx, entry: &mut Map<String, Value>) -> Result<(), RpcError> {
        let st = self.st;
        let confirms = st.depth(wtx);
        entry.insert("confirmations".into(), json!(confirms));
        if wtx.is_coinbase() {
            entry.insert("generated".into(), json!(true));
        }
        if let TxState::Confirmed {
            block_hash,
            height,
            index,
        } = &wtx.state
        {
            entry.insert("blockhash".into(), json!(block_hash.to_string()));
            entry.insert("blockheight".into(), json!(height));
            entry.insert("blockindex".into(), json!(index));
            entry.insert("blocktime".into(), json!(self.block_time(*block_hash)?));
        } else {
            let trusted = st.is_trusted(wtx, &mut HashSet::new());
            entry.insert("trusted".into(), json!(trusted));
        }
        entry.insert("txid".into(), json!(wtx.txid.to_string()));
        entry.insert("wtxid".into(), json!(wtx.tx.compute_wtxid().to_string()));
        // The wallet keeps one witness version of each transaction.
        entry.insert("alternate_wtxids".into(), json!([]));
        entry.insert("walletconflicts".into(), txids(tx_conflicts(st, wtx)));
        entry.insert(
            "mempoolconflicts".into(),
            txids(wtx.mempool_conflicts.iter().copied()),
        );
        entry.insert("time".into(), json!(wtx.tx_time()));
        entry.insert("timereceived".into(), json!(wtx.time_received));
        if self.bip125 {
            let mut status = "no";
            if confirms <= 0 {
                let rbf = self
                    .chain
                    .is_rbf_opt_in((*wtx.tx).clone())
                    .map_err(chain_error)?;
                if rbf == rbf_state::UNKNOWN {
                    status = "unknown";
                } else if rbf == rbf_state::REPLACEABLE_BIP125 {
                    status = "yes";
                }
            }
            entry.insert("bip125-replaceable".into(), json!(status));
        }
        if let Some(c) = &wtx.comment {
            entry.insert("comment".into(), json!(c));
        }
        if let Some(c) = &wtx.comment_to {
            entry.insert("to".into(), json!(c));
        }
        if let Some(t) = &wtx.replaces_txid {
            entry.insert("replaces_txid".into(), json!(t.to_string()));
        }
        if let Some(t) = &wtx.replaced_by_txid {
            entry.insert("replaced_by_txid".into(), json!(t.to_string()));
        }
        Ok(())
    }

    /// `ListTransactions`: appends the entries of `wtx` to `ret`: one per output sent
    /// (unless filtering by label), then one per output received when the transaction
    /// has at least `min_depth` confirmations.
    fn list(
        &self,
        wtx: &WalletTx,
        min_depth: i32,
        long: bool,
        ret: &mut Vec<Value>,
        filter_label: Option<&str>,
        include_change: bool,
    ) -> Result<(), RpcError> {
        let st = self.st;
        let amounts = cached_tx_get_amounts(st, wtx, include_change);
        let book_label = |address: &Option<String>| {
            address
                .as_ref()
                .and_then(|a| st.find_address_book_entry(a, false))
                .map(|e| e.label.clone().unwrap_or_default())
        };
        if filter_label.is_none() {
            for s in &amounts.sent {
                let mut entry = Map::new();
                if let Some(a) = &s.address {
                    entry.insert("address".into(), json!(a));
                }
                entry.insert("category".into(), json!("send"));
                entry.insert("amount".into(), amount(-s.amount));
                if let Some(label) = book_label(&s.address) {
                    entry.insert("label".into(), json!(label));
                }
                entry.insert("vout".into(), json!(s.vout));
                entry.insert("fee".into(), amount(-amounts.fee));
                if long {
                    self.tx_fields(wtx, &mut entry)?;
                }
                entry.insert("abandoned".into(), json!(wtx.is_abandoned()));
                ret.push(Value::Object(entry));
            }
        }
        if amounts.received.is_empty() || st.depth(wtx) < min_depth {
            return Ok(());
        }
        for r in &amounts.received {
            let label = book_label(&r.address);
            if let Some(filter) = filter_label {
                if label.as_deref().unwrap_or("") != filter {
                    continue;
                }
            }
            let mut entry = Map::new();
            if let Some(a) = &r.address {
                entry.insert("address".into(), json!(a));
            }
            let script = wtx
                .tx
                .output
                .get(r.vout as usize)
                .map(|o| o.script_pubkey.clone())
                .unwrap_or_default();
            entry.insert(
                "parent_descs".into(),
                Value::Array(
                    parent_descriptors(st, &script)
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ),
            );
            let category = if wtx.is_coinbase() {
                if st.depth(wtx) < 1 {
                    "orphan"
                } else if st.is_immature_coinbase(wtx) {
                    "immature"
                } else {
                    "generate"
                }
            } else {
                "receive"
            };
            entry.insert("category".into(), json!(category));
            entry.insert("amount".into(), amount(r.amount));
            if let Some(label) = label {
                entry.insert("label".into(), json!(label));
            }
            entry.insert("vout".into(), json!(r.vout));
            entry.insert("abandoned".into(), json!(wtx.is_abandoned()));
            if long {
                self.tx_fields(wtx, &mut entry)?;
            }
            ret.push(Value::Object(entry));
        }
        Ok(())
    }
}

fn get_transaction(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let st = wallet.state();
    let txid = Txid::from_byte_array(parse_hash(req.arg_value(0)?, "txid")?);
    let verbose = req.maybe_bool(2)?.unwrap_or(false);
    let wtx = st.txs.get(&txid).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            "Invalid or non-wallet transaction id",
        )
    })?;
    let d = Describer::new(wallet.chain.as_ref(), &st)?;
    let credit = cached_tx_get_credit(&st, wtx);
    let debit = cached_tx_get_debit(&st, wtx);
    let net = credit - debit;
    let from_me = st.tx_is_from_me(wtx);
    let value_out: i64 = wtx.tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
    let fee = if from_me { value_out - debit } else { 0 };
    let mut entry = Map::new();
    entry.insert("amount".into(), amount(net - fee));
    if from_me {
        entry.insert("fee".into(), amount(fee));
    }
    d.tx_fields(wtx, &mut entry)?;
    let mut details = Vec::new();
    d.list(wtx, 0, false, &mut details, None, false)?;
    entry.insert("details".into(), Value::Array(details));
    entry.insert(
        "hex".into(),
        json!(chain_json::to_hex(&bitcoin::consensus::serialize(&*wtx.tx))),
    );
    if verbose {
        let mut decoded = chain_json::tx_to_json(
            &wtx.tx,
            None,
            false,
            None,
            chain_json::TxVerbosity::ShowDetails,
            st.network,
        );
        if let Some(Value::Array(vout)) = decoded.get_mut("vout") {
            for (out, txout) in vout.iter_mut().zip(&wtx.tx.output) {
                if let Value::Object(o) = out {
                    if output_is_change(&st, txout) {
                        o.insert("ischange".into(), json!(true));
                    }
                }
            }
        }
        entry.insert("decoded".into(), decoded);
    }
    entry.insert("lastprocessedblock".into(), last_processed_block(&st));
    Ok(Value::Object(entry))
}

fn list_transactions_rpc(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut filter_label = None;
    if let Some(v) = req.param(0) {
        if rpc::request::value_str(v)? != "*" {
            let label = label_from_value(v)?;
            if label.is_empty() {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Label argument must be a valid label name or \"*\".",
                ));
            }
            filter_label = Some(label);
        }
    }
    let count = arg_i32(req, 1)?;
    let from = arg_i32(req, 2)?;
    if count < 0 {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Negative count"));
    }
    if from < 0 {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Negative from"));
    }
    let (count, from) = (count as usize, from as usize);
    let mut ret = Vec::new();
    {
        let st = wallet.state();
        let d = Describer::new(wallet.chain.as_ref(), &st)?;
        for (_, txid) in st.ordered.iter().rev() {
            let Some(wtx) = st.txs.get(txid) else {
                continue;
            };
            d.list(wtx, 0, true, &mut ret, filter_label.as_deref(), false)?;
            if ret.len() >= count + from {
                break;
            }
        }
    }
    // `ret` runs newest to oldest; the page is returned oldest to newest.
    let from = from.min(ret.len());
    let count = count.min(ret.len() - from);
    let mut page: Vec<Value> = ret.drain(from..from + count).collect();
    page.reverse();
    Ok(Value::Array(page))
}

fn list_since_block(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let chain = wallet.chain.as_ref();
    let st = wallet.state();
    let last_hash = st.last_block.map(|(h, _)| h);
    // The requested block's common ancestor with the wallet's tip, and its own height.
    let mut heights: Option<(i32, i32)> = None;
    let mut block_id = BlockHash::all_zeros();
    if let Some(v) = req.param(0) {
        if !rpc::request::value_str(v)?.is_empty() {
            block_id = BlockHash::from_byte_array(parse_hash(v, "blockhash")?);
            let not_found = || RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
            let last = last_hash.ok_or_else(not_found)?;
            let block = chain
                .find_block(block_id, false)
                .map_err(chain_error)?
                .ok_or_else(not_found)?;
            let ancestor = chain
                .find_common_ancestor(block_id, last)
                .map_err(chain_error)?
                .ok_or_else(not_found)?;
            heights = Some((ancestor.height, block.height));
        }
    }
    let mut target_confirms = 1;
    if req.param(1).is_some() {
        target_confirms = arg_i32(req, 1)?;
        if target_confirms < 1 {
            return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid parameter"));
        }
    }
    let include_removed = req.maybe_bool(3)?.unwrap_or(true);
    let include_change = req.maybe_bool(4)?.unwrap_or(false);
    let filter_label = req.param(5).map(label_from_value).transpose()?;
    let last_height = st.last_block_height();
    let depth = match heights {
        Some((height, _)) => last_height + 1 - height,
        None => -1,
    };
    let d = Describer::new(chain, &st)?;
    let mut transactions = Vec::new();
    for wtx in crate::history::ordered_txs(&st) {
        if depth == -1 || st.depth(wtx).abs() < depth {
            d.list(
                wtx,
                0,
                true,
                &mut transactions,
                filter_label.as_deref(),
                include_change,
            )?;
        }
    }
    // Transactions of the blocks that left the chain, back to the fork point.
    let mut removed = Vec::new();
    if let (true, Some((height, mut altheight))) = (include_removed, heights) {
        while altheight > height {
            let block = chain
                .find_block(block_id, true)
                .map_err(chain_error)?
                .and_then(|b| b.data)
                .ok_or_else(|| RpcError::new(RPC_INTERNAL_ERROR, "Can't read block from disk"))?;
            for tx in &block.txdata {
                if let Some(wtx) = st.txs.get(&tx.compute_txid()) {
                    // Every confirmation count belongs here, conflicted ones too.
                    d.list(
                        wtx,
                        -100_000_000,
                        true,
                        &mut removed,
                        filter_label.as_deref(),
                        include_change,
                    )?;
                }
            }
            block_id = block.header.prev_blockhash;
            altheight -= 1;
        }
    }
    let target_confirms = target_confirms.min(last_height + 1);
    let lastblock = last_hash
        .map(|h| chain.find_ancestor_by_height(h, last_height + 1 - target_confirms))
        .transpose()
        .map_err(chain_error)?
        .flatten()
        .ok_or_else(|| internal_bug("wallet.chain().findAncestorByHeight(wallet.GetLastBlockHash(), wallet.GetLastBlockHeight() + 1 - target_confirms, FoundBlock().hash(lastblock))"))?;
    let mut ret = Map::new();
    ret.insert("transactions".into(), Value::Array(transactions));
    if include_removed {
        ret.insert("removed".into(), Value::Array(removed));
    }
    ret.insert("lastblock".into(), json!(lastblock.hash.to_string()));
    Ok(Value::Object(ret))
}

/// `ListReceived`.
fn list_received(cx: &WalletContext, req: &Request, by_label: bool) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let include_immature_coinbase = req
        .maybe_bool(if by_label { 3 } else { 4 })?
        .unwrap_or(false);
    let st = wallet.state();
    let min_depth = maybe_i32(req, 0)?.unwrap_or(1);
    let include_empty = req.maybe_bool(1)?.unwrap_or(false);
    let mut filtered: Option<String> = None;
    if !by_label {
        if let Some(v) = req.param(3) {
            let s = rpc::request::value_str(v)?;
            if !s.is_empty() {
                let dest = descriptors::decode_destination(s, st.network).map_err(|_| {
                    RpcError::new(RPC_WALLET_ERROR, "address_filter parameter was invalid")
                })?;
                // The tally and the address book key addresses by their canonical text.
                filtered = Some(dest.encode(st.network));
            }
        }
    }
    let tally = tally_received(
        &st,
        min_depth,
        include_immature_coinbase,
        filtered.as_deref(),
    );
    let entries: Vec<crate::history::BookEntry> = match &filtered {
        Some(address) => address_book_in_order(&st)
            .into_iter()
            .filter(|e| &e.address == address && !e.is_change)
            .collect(),
        None => address_book_in_order(&st),
    };
    let mut ret = Vec::new();
    let mut label_tally: std::collections::BTreeMap<String, Tally> = Default::default();
    for e in entries {
        if e.is_change {
            continue;
        }
        let item = tally.get(&e.address);
        if item.is_none() && (!include_empty || !st.is_mine_script(&e.script)) {
            continue;
        }
        let (amount_sats, conf) = item.map(|t| (t.amount, t.conf)).unwrap_or((0, i32::MAX));
        if by_label {
            let l = label_tally.entry(e.label.clone()).or_default();
            l.amount += amount_sats;
            l.conf = l.conf.min(conf);
        } else {
            let mut obj = Map::new();
            obj.insert("address".into(), json!(e.address));
            obj.insert("amount".into(), amount(amount_sats));
            obj.insert(
                "confirmations".into(),
                json!(if conf == i32::MAX { 0 } else { conf }),
            );
            obj.insert("label".into(), json!(e.label));
            obj.insert(
                "txids".into(),
                txids(item.map(|t| t.txids.clone()).unwrap_or_default()),
            );
            ret.push(Value::Object(obj));
        }
    }
    if by_label {
        for (label, t) in label_tally {
            let mut obj = Map::new();
            obj.insert("amount".into(), amount(t.amount));
            obj.insert(
                "confirmations".into(),
                json!(if t.conf == i32::MAX { 0 } else { t.conf }),
            );
            obj.insert("label".into(), json!(label));
            ret.push(Value::Object(obj));
        }
    }
    Ok(Value::Array(ret))
}

/// `GetReceived`.
fn get_received(cx: &WalletContext, req: &Request, by_label: bool) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let st = wallet.state();
    let scripts: Vec<ScriptBuf> = if by_label {
        let label = label_from_value(req.arg_value(0)?)?;
        let scripts: Vec<ScriptBuf> = address_book_in_order(&st)
            .into_iter()
            .filter(|e| !e.is_change && e.label == label)
            .map(|e| e.script)
            .collect();
        if scripts.is_empty() {
            return Err(RpcError::new(RPC_WALLET_ERROR, "Label not found in wallet"));
        }
        scripts
    } else {
        let dest = descriptors::decode_destination(req.arg_str(0)?, st.network)
            .map_err(|_| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address"))?;
        vec![dest.script_pubkey()]
    };
    let mine: HashSet<ScriptBuf> = scripts
        .into_iter()
        .filter(|s| st.is_mine_script(s))
        .collect();
    if mine.is_empty() {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Address not found in wallet",
        ));
    }
    let min_depth = maybe_i32(req, 1)?.unwrap_or(1);
    let include_immature_coinbase = req.maybe_bool(2)?.unwrap_or(false);
    Ok(amount(received_by_scripts(
        &st,
        &mine,
        min_depth,
        include_immature_coinbase,
    )))
}

fn abandon_transaction(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let txid = Txid::from_byte_array(parse_hash(req.arg_value(0)?, "txid")?);
    let outcome = wallet
        .with(|st, _| {
            if !st.txs.contains_key(&txid) {
                return Ok(Err(RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "Invalid or non-wallet transaction id",
                )));
            }
            if !st.abandon_transaction(&txid) {
                return Ok(Err(RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "Transaction not eligible for abandonment",
                )));
            }
            Ok(Ok(()))
        })
        .map_err(wallet_error)?;
    outcome.map(|()| Value::Null)
}

fn rescan_blockchain(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let Some(reserver) = RescanReserver::reserve(&wallet) else {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Wallet is currently rescanning. Abort existing rescan or wait.",
        ));
    };
    let chain = wallet.chain.as_ref();
    let mut start_height = 0;
    let mut stop_height = None;
    let start_block;
    {
        let st = wallet.state();
        ensure_unlocked(&st)?;
        let tip_height = st.last_block_height();
        if let Some(h) = maybe_i32(req, 0)? {
            start_height = h;
            if start_height < 0 || start_height > tip_height {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid start_height"));
            }
        }
        if let Some(h) = maybe_i32(req, 1)? {
            if h < 0 || h > tip_height {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid stop_height"));
            } else if h < start_height {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "stop_height must be greater than start_height",
                ));
            }
            stop_height = Some(h);
        }
        let last_hash = st.last_block.map(|(h, _)| h);
        let have = match last_hash {
            Some(h) => chain
                .has_blocks(h, start_height, stop_height)
                .map_err(chain_error)?,
            None => false,
        };
        if !have {
            let prune_height = chain.get_prune_height().map_err(chain_error)?;
            if chain.have_pruned().map_err(chain_error)?
                && prune_height.is_some_and(|p| p >= start_height)
            {
                return Err(RpcError::new(RPC_MISC_ERROR, "Can't rescan beyond pruned data. Use RPC call getblockchaininfo to determine your pruned height."));
            }
            if chain.has_assumed_valid_chain().map_err(chain_error)? {
                return Err(RpcError::new(RPC_MISC_ERROR, "Failed to rescan unavailable blocks likely due to an in-progress assumeutxo background sync. Check logs or getchainstates RPC for assumeutxo background sync progress and try again later."));
            }
            return Err(RpcError::new(RPC_MISC_ERROR, "Failed to rescan unavailable blocks, potentially caused by data corruption. If the issue persists you may want to reindex (see -reindex option)."));
        }
        start_block = last_hash
            .map(|h| chain.find_ancestor_by_height(h, start_height))
            .transpose()
            .map_err(chain_error)?
            .flatten()
            .ok_or_else(|| internal_bug("pwallet->chain().findAncestorByHeight(pwallet->GetLastBlockHash(), start_height, FoundBlock().hash(start_block))"))?
            .hash;
    }
    let result =
        scan_for_wallet_transactions(&wallet, start_block, start_height, stop_height, false)
            .map_err(wallet_error)?;
    drop(reserver);
    match result.status {
        ScanStatus::Success => {}
        ScanStatus::Failure => {
            return Err(RpcError::new(
                RPC_MISC_ERROR,
                "Rescan failed. Potentially corrupted data files.",
            ))
        }
        ScanStatus::UserAbort => return Err(RpcError::new(RPC_MISC_ERROR, "Rescan aborted.")),
    }
    Ok(json!({
        "start_height": start_height,
        "stop_height": result.last_scanned.map(|(_, h)| h),
    }))
}

fn abort_rescan(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    if !wallet.scan.scanning.load(Ordering::SeqCst) || wallet.scan.abort.load(Ordering::SeqCst) {
        return Ok(json!(false));
    }
    wallet.scan.abort.store(true, Ordering::SeqCst);
    Ok(json!(true))
}
