//! Mempool commands (Core's `rpc/mempool.cpp` and the mempool part of `rpc/mining.cpp`).

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Transaction, Txid};
use mempool::accept::{PackageResult, TxResult, TxResultKind};
use mempool::{FeeRate, Mempool};
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
    RPC_TRANSACTION_ERROR, RPC_TRANSACTION_REJECTED, RPC_VERIFY_ALREADY_IN_UTXO_SET,
};
use rpc::{Arg, ArgType, RpcError, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::values::{get_array, get_bool, get_int, get_str, parse_hash};
use crate::context::{lock, NodeContext};
use crate::mempool_chain;

/// Default `maxfeerate` of the raw-transaction commands: 0.10 BTC/kvB.
const DEFAULT_MAX_RAW_TX_FEE_RATE: i64 = 10_000_000;
/// Most transactions in a package.
const MAX_PACKAGE_COUNT: usize = mempool::package::MAX_PACKAGE_COUNT;

/// `ParseFeeRate`: an amount per kvB below 1 BTC.
fn parse_fee_rate(v: Option<&Value>) -> Result<i64, RpcError> {
    let Some(v) = v else {
        return Ok(DEFAULT_MAX_RAW_TX_FEE_RATE);
    };
    let val = rpc::amount_from_value(v, 8)?;
    if val >= 100_000_000 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Fee rates larger than or equal to 1BTC/kvB are not accepted",
        ));
    }
    Ok(val)
}

fn parse_txid(v: Option<&Value>) -> Result<Txid, RpcError> {
    let v = v.ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            "txid must be hexadecimal string (not '')",
        )
    })?;
    Ok(Txid::from_byte_array(parse_hash(v, "txid")?))
}

fn decode_tx(hex: &str) -> Option<Transaction> {
    chain_json::parse_hex_tx(hex, true, true)
}

fn not_in_mempool() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
}

/// BIP141 virtual size without the sigop adjustment.
fn vsize_bip141(tx: &Transaction) -> i64 {
    (tx.weight().to_wu() as i64 + 3) / 4
}

/// Whether an output burns coins: provably unspendable or unparsable script.
fn burns(out: &bitcoin::TxOut) -> bool {
    let spk = out.script_pubkey.as_bytes();
    mempool::policy::is_unspendable(spk) || !mempool::policy::has_valid_ops(spk)
}

/// One orphan as `getorphantxs` reports it (Core's `OrphanToJSON`).
fn orphan_json(o: &net_processing::OrphanInfo) -> Map<String, Value> {
    let mut m = Map::new();
    let vsize = vsize_bip141(&o.tx);
    m.insert("txid".into(), json!(o.tx.compute_txid().to_string()));
    m.insert("wtxid".into(), json!(o.tx.compute_wtxid().to_string()));
    m.insert("bytes".into(), json!(o.tx.total_size()));
    m.insert("vsize".into(), json!(vsize));
    m.insert("vsize_bip141".into(), json!(vsize));
    m.insert("weight".into(), json!(o.tx.weight().to_wu()));
    m.insert(
        "from".into(),
        json!(o.announcers.iter().collect::<Vec<_>>()),
    );
    m
}

/// `getorphantxs`.
fn orphan_txs(n: &NodeContext, verbosity: Option<&Value>) -> Result<Value, RpcError> {
    let pm = n.peerman().ok_or_else(|| {
        RpcError::new(
            rpc::codes::RPC_CLIENT_P2P_DISABLED,
            "Error: Peer-to-peer functionality missing or disabled",
        )
    })?;
    let orphans = pm.orphan_transactions();
    let verbosity = super::values::parse_verbosity(verbosity, 0, false)?;
    let out: Vec<Value> = match verbosity {
        0 => orphans
            .iter()
            .map(|o| json!(o.tx.compute_txid().to_string()))
            .collect(),
        1 => orphans
            .iter()
            .map(|o| Value::Object(orphan_json(o)))
            .collect(),
        2 => orphans
            .iter()
            .map(|o| {
                let mut m = orphan_json(o);
                m.insert(
                    "hex".into(),
                    json!(super::values::hex(&bitcoin::consensus::serialize(&*o.tx))),
                );
                Value::Object(m)
            })
            .collect(),
        v => {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Invalid verbosity value {v}"),
            ))
        }
    };
    Ok(Value::Array(out))
}

/// Core's `entryToJSON`.
pub fn entry_json(pool: &Mempool, txid: &Txid, deprecated_bip125: bool) -> Result<Value, RpcError> {
    let e = pool.entry(txid).ok_or_else(not_in_mempool)?;
    let (acount, asize, afees) = pool.ancestor_data(txid);
    let (dcount, dsize, dfees) = pool.descendant_data(txid);
    let chunk = pool.chunk_feerate(txid).unwrap_or_default();
    let mut m = Map::new();
    m.insert("vsize_adjusted".into(), json!(e.vsize));
    m.insert("vsize".into(), json!(e.vsize));
    m.insert("vsize_bip141".into(), json!(vsize_bip141(&e.tx)));
    m.insert("weight".into(), json!(e.weight));
    m.insert("time".into(), json!(e.time));
    m.insert("height".into(), json!(e.height));
    m.insert("descendantcount".into(), json!(dcount));
    m.insert("descendantsize".into(), json!(dsize));
    m.insert("ancestorcount".into(), json!(acount));
    m.insert("ancestorsize".into(), json!(asize));
    m.insert("wtxid".into(), json!(e.wtxid.to_string()));
    m.insert("chunkweight".into(), json!(chunk.size));
    let mut fees = Map::new();
    fees.insert("base".into(), rpc::amount_value(e.fee));
    fees.insert("modified".into(), rpc::amount_value(e.modified_fee));
    fees.insert("ancestor".into(), rpc::amount_value(afees));
    fees.insert("descendant".into(), rpc::amount_value(dfees));
    fees.insert("chunk".into(), rpc::amount_value(chunk.fee));
    m.insert("fees".into(), Value::Object(fees));
    let mut depends: Vec<String> = pool.parents(txid).iter().map(|t| t.to_string()).collect();
    depends.sort();
    m.insert("depends".into(), json!(depends));
    let spent: Vec<String> = pool.children(txid).iter().map(|t| t.to_string()).collect();
    m.insert("spentby".into(), json!(spent));
    m.insert("unbroadcast".into(), json!(pool.is_unbroadcast(txid)));
    if deprecated_bip125 {
        let signals = |t: &Transaction| t.input.iter().any(|i| i.sequence.0 < 0xffff_fffe);
        let replaceable = signals(&e.tx)
            || pool
                .ancestors(txid)
                .iter()
                .filter_map(|a| pool.entry(a))
                .any(|a| signals(&a.tx));
        m.insert("bip125-replaceable".into(), json!(replaceable));
    }
    Ok(Value::Object(m))
}

/// Transaction ids sorted as Core's `std::set<txiter, CompareIteratorByHash>` orders them.
fn sorted_by_hash(mut ids: Vec<Txid>) -> Vec<Txid> {
    ids.sort_by_key(|t| t.to_byte_array());
    ids
}

fn entries_json(
    pool: &Mempool,
    ids: &[Txid],
    verbose: bool,
    bip125: bool,
) -> Result<Value, RpcError> {
    if !verbose {
        return Ok(Value::Array(
            ids.iter().map(|t| json!(t.to_string())).collect(),
        ));
    }
    let mut o = Map::new();
    for t in ids {
        o.insert(t.to_string(), entry_json(pool, t, bip125)?);
    }
    Ok(Value::Object(o))
}

fn opt_bool(v: Option<&Value>) -> Result<bool, RpcError> {
    match v {
        Some(Value::Null) | None => Ok(false),
        Some(v) => get_bool(v),
    }
}

/// `getmempoolinfo`'s object (`MempoolInfoToJSON`).
pub fn mempool_info(n: &NodeContext) -> Value {
    let now = n.now();
    let mut pool = lock(&n.mempool);
    let min_fee = pool.min_fee(now);
    let o = pool.options().clone();
    let mut m = Map::new();
    m.insert("loaded".into(), json!(pool.loaded()));
    m.insert("size".into(), json!(pool.size()));
    m.insert("bytes".into(), json!(pool.total_vsize()));
    m.insert("usage".into(), json!(pool.dynamic_usage()));
    m.insert("total_fee".into(), rpc::amount_value(pool.total_fee()));
    m.insert("maxmempool".into(), json!(o.max_size_bytes));
    let relay = FeeRate::per_kvb(o.min_relay_feerate);
    m.insert(
        "mempoolminfee".into(),
        rpc::amount_value(min_fee.max(relay).sat_per_kvb()),
    );
    m.insert(
        "minrelaytxfee".into(),
        rpc::amount_value(o.min_relay_feerate),
    );
    m.insert(
        "incrementalrelayfee".into(),
        rpc::amount_value(o.incremental_relay_feerate),
    );
    m.insert("unbroadcastcount".into(), json!(pool.unbroadcast().len()));
    m.insert("permitbaremultisig".into(), json!(o.permit_bare_multisig));
    m.insert(
        "maxdatacarriersize".into(),
        json!(o.max_datacarrier_bytes.unwrap_or(0)),
    );
    m.insert("limitclustercount".into(), json!(o.cluster_count));
    m.insert("limitclustersize".into(), json!(o.cluster_size_vbytes));
    // Every cluster is linearized fully on each change.
    m.insert("optimal".into(), json!(true));
    if n.deprecated_rpc_enabled("fullrbf") {
        m.insert("fullrbf".into(), json!(true));
    }
    Value::Object(m)
}

/// `BroadcastTransaction` for a transaction from RPC: the error and its message as Core
/// reports them, or the txid.
pub fn broadcast(n: &NodeContext, tx: Transaction, max_tx_fee: i64) -> Result<Txid, RpcError> {
    let r = broadcast_arc(n, Arc::new(tx), max_tx_fee, true);
    // Core's RPC broadcast waits for the notifications it caused (`wait_callback`), so a
    // wallet asked next already knows the transaction.
    n.notifications.wait_for_queued();
    r
}

/// `BroadcastTransaction` of a shared transaction; `relay` marks it for announcement
/// (the unbroadcast set) as `MEMPOOL_AND_BROADCAST_TO_ALL` does.
pub fn broadcast_arc(
    n: &NodeContext,
    tx: Arc<Transaction>,
    max_tx_fee: i64,
    relay: bool,
) -> Result<Txid, RpcError> {
    let txid = tx.compute_txid();
    let cs = n.chainstate();
    for vout in 0..tx.output.len() as u32 {
        if matches!(cs.coin(&bitcoin::OutPoint { txid, vout }), Ok(Some(_))) {
            return Err(RpcError::new(
                RPC_VERIFY_ALREADY_IN_UTXO_SET,
                "Transaction outputs already in utxo set",
            ));
        }
    }
    if lock(&n.mempool).contains(&txid) {
        if relay {
            if let Some(pm) = n.peerman() {
                pm.relay_transaction(tx.compute_wtxid());
            }
        }
        return Ok(txid);
    }
    let fail = |r: &TxResult| -> RpcError {
        match r {
            TxResult::Invalid { state, .. } => {
                let code = if state.kind == TxResultKind::MissingInputs {
                    RPC_TRANSACTION_ERROR
                } else {
                    RPC_TRANSACTION_REJECTED
                };
                RpcError::new(code, state.to_string())
            }
            _ => RpcError::new(RPC_TRANSACTION_ERROR, "Mempool internal error"),
        }
    };
    if max_tx_fee > 0 {
        let r = mempool_chain::accept(n, &cs, &tx, true);
        match &r {
            TxResult::Valid { fee, .. } if *fee > max_tx_fee => {
                return Err(RpcError::new(
                    RPC_TRANSACTION_ERROR,
                    "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
                ))
            }
            TxResult::Valid { .. } => {}
            other => return Err(fail(other)),
        }
    }
    let r = mempool_chain::accept(n, &cs, &tx, false);
    if !matches!(r, TxResult::Valid { .. }) {
        return Err(fail(&r));
    }
    if relay {
        lock(&n.mempool).add_unbroadcast(txid);
        if let Some(pm) = n.peerman() {
            pm.relay_transaction(tx.compute_wtxid());
        }
    }
    Ok(txid)
}

fn decode_package(v: Option<&Value>) -> Result<Vec<Transaction>, RpcError> {
    let arr = get_array(v.ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Missing rawtxs"))?)?;
    if arr.is_empty() || arr.len() > MAX_PACKAGE_COUNT {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Array must contain between 1 and {MAX_PACKAGE_COUNT} transactions."),
        ));
    }
    let mut txs = Vec::with_capacity(arr.len());
    for raw in arr {
        let hex = get_str(raw)?;
        let tx = decode_tx(hex).ok_or_else(|| {
            RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                format!("TX decode failed: {hex} Make sure the tx has at least one input."),
            )
        })?;
        txs.push(tx);
    }
    Ok(txs)
}

/// The sizes and fees of an accepted (or already present) transaction, as
/// testmempoolaccept and submitpackage report them; `effective` is the feerate it was
/// judged at and the transactions that feerate covers.
fn accepted_fields(
    m: &mut Map<String, Value>,
    tx: &Transaction,
    vsize: i64,
    fee: i64,
    effective: Option<(&FeeRate, &Vec<bitcoin::Wtxid>)>,
) {
    m.insert("vsize_adjusted".into(), json!(vsize));
    m.insert("vsize".into(), json!(vsize));
    m.insert("vsize_bip141".into(), json!(vsize_bip141(tx)));
    let mut fees = Map::new();
    fees.insert("base".into(), rpc::amount_value(fee));
    if let Some((rate, wtxids)) = effective {
        fees.insert(
            "effective-feerate".into(),
            rpc::amount_value(rate.sat_per_kvb()),
        );
        let ids: Vec<String> = wtxids.iter().map(|w| w.to_string()).collect();
        fees.insert("effective-includes".into(), json!(ids));
    }
    m.insert("fees".into(), Value::Object(fees));
}

fn test_mempool_accept(n: &NodeContext, txs: Vec<Transaction>, max_rate: i64) -> Value {
    let txs: Vec<Arc<Transaction>> = txs.into_iter().map(Arc::new).collect();
    let result: PackageResult = {
        let cs = n.chainstate();
        if txs.len() > 1 {
            mempool_chain::process_package(n, &cs, &txs, true, None)
        } else {
            let r = mempool_chain::accept(n, &cs, &txs[0], true);
            let mut pr = PackageResult::default();
            pr.results.insert(txs[0].compute_wtxid(), r);
            pr
        }
    };
    let max_rate = FeeRate::per_kvb(max_rate);
    let mut out = Vec::new();
    let mut exit_early = false;
    for tx in &txs {
        let mut m = Map::new();
        m.insert("txid".into(), json!(tx.compute_txid().to_string()));
        m.insert("wtxid".into(), json!(tx.compute_wtxid().to_string()));
        if let Some(st) = result.state.as_ref().filter(|s| s.policy) {
            m.insert("package-error".into(), json!(st.to_string()));
        }
        let r = result.results.get(&tx.compute_wtxid());
        match r {
            None => {}
            Some(_) if exit_early => {}
            Some(TxResult::Valid {
                vsize,
                fee,
                effective_feerate,
                effective_wtxids,
                ..
            }) => {
                let max_fee = max_rate.fee(*vsize);
                if max_fee != 0 && *fee > max_fee {
                    m.insert("allowed".into(), json!(false));
                    m.insert("reject-reason".into(), json!("max-fee-exceeded"));
                    exit_early = true;
                } else {
                    m.insert("allowed".into(), json!(true));
                    accepted_fields(
                        &mut m,
                        tx,
                        *vsize,
                        *fee,
                        Some((effective_feerate, effective_wtxids)),
                    );
                }
            }
            Some(TxResult::Invalid { state, .. }) => {
                m.insert("allowed".into(), json!(false));
                if state.kind == TxResultKind::MissingInputs {
                    m.insert("reject-reason".into(), json!("missing-inputs"));
                } else {
                    m.insert("reject-reason".into(), json!(state.reason));
                    m.insert("reject-details".into(), json!(state.to_string()));
                }
            }
            Some(_) => {}
        }
        out.push(Value::Object(m));
    }
    Value::Array(out)
}

fn submit_package(
    n: &NodeContext,
    txs: Vec<Transaction>,
    max_rate: i64,
    max_burn: i64,
) -> Result<Value, RpcError> {
    for tx in &txs {
        if tx
            .output
            .iter()
            .any(|o| burns(o) && o.value.to_sat() as i64 > max_burn)
        {
            return Err(RpcError::new(
                RPC_TRANSACTION_ERROR,
                "Unspendable output exceeds maximum configured by user (maxburnamount)",
            ));
        }
    }
    let txs: Vec<Arc<Transaction>> = txs.into_iter().map(Arc::new).collect();
    if txs.len() > 1 && !is_child_with_parents_tree(&txs) {
        return Err(RpcError::new(
            RPC_TRANSACTION_ERROR,
            "package topology disallowed. not child-with-parents or parents depend on each other.",
        ));
    }
    let client_max = (max_rate != 0).then(|| FeeRate::per_kvb(max_rate));
    let result = {
        let cs = n.chainstate();
        mempool_chain::process_package(n, &cs, &txs, false, client_max)
    };
    let package_msg = match &result.state {
        None => "success".to_string(),
        Some(st) => st.to_string(),
    };
    let mut results = Map::new();
    let mut replaced: std::collections::BTreeSet<[u8; 32]> = std::collections::BTreeSet::new();
    for tx in &txs {
        let mut m = Map::new();
        m.insert("txid".into(), json!(tx.compute_txid().to_string()));
        let wtxid = tx.compute_wtxid();
        match result.results.get(&wtxid) {
            None => {
                m.insert("error".into(), json!("package-not-validated"));
            }
            Some(TxResult::DifferentWitness { other_wtxid }) => {
                m.insert("other-wtxid".into(), json!(other_wtxid.to_string()));
            }
            Some(TxResult::Invalid { state, .. }) => {
                m.insert("error".into(), json!(state.to_string()));
            }
            Some(TxResult::InMempool { vsize, fee }) => {
                accepted_fields(&mut m, tx, *vsize, *fee, None);
            }
            Some(TxResult::Valid {
                vsize,
                fee,
                effective_feerate,
                effective_wtxids,
                replaced: r,
            }) => {
                accepted_fields(
                    &mut m,
                    tx,
                    *vsize,
                    *fee,
                    Some((effective_feerate, effective_wtxids)),
                );
                for t in r {
                    replaced.insert(t.compute_txid().to_byte_array());
                }
            }
        }
        results.insert(wtxid.to_string(), Value::Object(m));
    }
    // Whatever of the package is now in the pool is announced to peers.
    if let Some(pm) = n.peerman() {
        for tx in &txs {
            let wtxid = tx.compute_wtxid();
            if matches!(
                result.results.get(&wtxid),
                Some(TxResult::Valid { .. } | TxResult::InMempool { .. })
            ) {
                pm.relay_transaction(wtxid);
            }
        }
    }
    let replaced: Vec<String> = replaced
        .into_iter()
        .map(|b| Txid::from_byte_array(b).to_string())
        .collect();
    Ok(
        json!({"package_msg": package_msg, "tx-results": results, "replaced-transactions": replaced}),
    )
}

/// `IsChildWithParentsTree`: a child with parents that do not spend each other.
fn is_child_with_parents_tree(txs: &[Arc<Transaction>]) -> bool {
    if !mempool::package::is_child_with_parents(txs) {
        return false;
    }
    let parents: std::collections::HashSet<Txid> = txs[..txs.len() - 1]
        .iter()
        .map(|t| t.compute_txid())
        .collect();
    txs[..txs.len() - 1].iter().all(|t| {
        t.input
            .iter()
            .all(|i| !parents.contains(&i.previous_output.txid))
    })
}

/// `RPCTypeCheckObj`: `expected` keys of the JSON types named (absent ones allowed with
/// `allow_null`), and with `strict` no other keys.
fn type_check_obj(
    o: &Map<String, Value>,
    expected: &[(&str, &str)],
    allow_null: bool,
    strict: bool,
) -> Result<(), RpcError> {
    let mut sorted = expected.to_vec();
    sorted.sort();
    for (key, ty) in &sorted {
        let v = o.get(*key).unwrap_or(&Value::Null);
        if !allow_null && v.is_null() {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!("Missing {key}"),
            ));
        }
        let actual = rpc::json::type_name(v);
        if !(actual == *ty || (allow_null && v.is_null())) {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!("JSON value of type {actual} for field {key} is not of expected type {ty}"),
            ));
        }
    }
    if strict {
        if let Some(k) = o.keys().find(|k| !expected.iter().any(|(e, _)| e == k)) {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!("Unexpected key {k}"),
            ));
        }
    }
    Ok(())
}

/// `gettxspendingprevout` over the mempool (no spender index is kept).
fn tx_spending_prevout(n: &NodeContext, req: &rpc::Request) -> Result<Value, RpcError> {
    let outputs = get_array(req.param(0).unwrap_or(&Value::Null))?;
    if outputs.is_empty() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Invalid parameter, outputs are missing",
        ));
    }
    let empty = Map::new();
    let options = match req.param(1) {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(v) => {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!(
                    "JSON value of type {} is not of expected type object",
                    rpc::json::type_name(v)
                ),
            ))
        }
    };
    type_check_obj(
        options,
        &[("mempool_only", "bool"), ("return_spending_tx", "bool")],
        true,
        true,
    )?;
    let mempool_only = options
        .get("mempool_only")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let return_tx = options
        .get("return_spending_tx")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut points = Vec::with_capacity(outputs.len());
    for o in outputs {
        let Value::Object(m) = o else {
            return Err(RpcError::new(
                rpc::codes::RPC_TYPE_ERROR,
                format!(
                    "JSON value of type {} is not of expected type object",
                    rpc::json::type_name(o)
                ),
            ));
        };
        type_check_obj(m, &[("txid", "string"), ("vout", "number")], false, true)?;
        let txid = Txid::from_byte_array(parse_hash(&m["txid"], "txid")?);
        let vout: i32 = get_int(&m["vout"])?;
        if vout < 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, vout cannot be negative",
            ));
        }
        points.push((
            bitcoin::OutPoint {
                txid,
                vout: vout as u32,
            },
            m.clone(),
        ));
    }
    let pool = lock(&n.mempool);
    let mut results = Vec::with_capacity(points.len());
    for (outpoint, mut o) in points {
        match pool.spender(&outpoint) {
            Some(spender) => {
                o.insert("spendingtxid".into(), json!(spender.to_string()));
                if return_tx {
                    if let Some(tx) = pool.get(&spender) {
                        o.insert(
                            "spendingtx".into(),
                            json!(super::values::hex(&bitcoin::consensus::encode::serialize(
                                &*tx
                            ))),
                        );
                    }
                }
            }
            None if !mempool_only => {
                return Err(RpcError::new(
                    rpc::codes::RPC_MISC_ERROR,
                    "Mempool lacks a relevant spend, and txospenderindex is unavailable.",
                ));
            }
            None => {}
        }
        results.push(Value::Object(o));
    }
    Ok(Value::Array(results))
}

/// Registers the mempool commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "blockchain",
        "gettxspendingprevout",
        "Looks in the mempool (and the spender index, when one is kept) for transactions spending any of the given outputs",
        vec![
            Arg::required("outputs", ArgType::Arr, "The outputs to look up, each with its txid (string) and vout (numeric).").with_inner(vec![
                Arg::omitted("", ArgType::Obj, "").with_inner(vec![
                    Arg::required("txid", ArgType::StrHex, "The transaction id"),
                    Arg::required("vout", ArgType::Num, "The output number"),
                ]),
            ]),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(vec![
                Arg::hint("mempool_only", ArgType::Bool, "true if txospenderindex unavailable, otherwise false", "If false and the mempool holds no spend, ask the spender index (an error when there is none)."),
                Arg::hint("return_spending_tx", ArgType::Bool, "false", "If true, also return the whole spending transaction."),
            ]),
        ],
        SPENDING_RESULT,
        move |req| tx_spending_prevout(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getrawmempool",
        "Lists the ids of every transaction in the memory pool, as a JSON array of strings.\n\nTip: getmempoolentry gives the details of one mempool transaction.\n",
        vec![
            Arg::optional("verbose", ArgType::Bool, json!(false), "true for an object keyed by transaction id, false for an array of ids"),
            Arg::optional("mempool_sequence", ArgType::Bool, json!(false), "With verbose=false, an object holding the ids and the mempool sequence number"),
        ],
        RAWMEMPOOL_RESULT,
        move |req| {
            let verbose = opt_bool(req.param(0))?;
            let with_sequence = opt_bool(req.param(1))?;
            if verbose && with_sequence {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Verbose results cannot contain mempool sequence values.",
                ));
            }
            let pool = lock(&n.mempool);
            let order = pool.mining_order();
            if verbose {
                let bip125 = n.deprecated_rpc_enabled("bip125");
                let mut o = Map::new();
                for t in &order {
                    o.insert(t.to_string(), entry_json(&pool, t, bip125)?);
                }
                return Ok(Value::Object(o));
            }
            let txids: Vec<Value> = order.iter().map(|t| json!(t.to_string())).collect();
            if !with_sequence {
                return Ok(Value::Array(txids));
            }
            Ok(json!({"txids": txids, "mempool_sequence": pool.sequence()}))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getmempoolinfo",
        "Reports the current state of the transaction memory pool.",
        vec![],
        MEMPOOLINFO_RESULT,
        move |_| Ok(mempool_info(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getmempoolentry",
        "Reports the mempool's data on one transaction.\n",
        vec![Arg::required(
            "txid",
            ArgType::StrHex,
            "The transaction id (it must be in the mempool)",
        )],
        ENTRY_RESULT,
        move |req| {
            let txid = parse_txid(req.param(0))?;
            let pool = lock(&n.mempool);
            entry_json(&pool, &txid, n.deprecated_rpc_enabled("bip125"))
        },
    ));
    for (name, up) in [
        ("getmempoolancestors", true),
        ("getmempooldescendants", false),
    ] {
        let n = node.clone();
        table.register(command(
            "blockchain",
            name,
            if up {
                "Lists the in-mempool ancestors of a mempool transaction.\n"
            } else {
                "Lists the in-mempool descendants of a mempool transaction.\n"
            },
            vec![
                Arg::required(
                    "txid",
                    ArgType::StrHex,
                    "The transaction id (it must be in the mempool)",
                ),
                Arg::optional(
                    "verbose",
                    ArgType::Bool,
                    json!(false),
                    "true for an object keyed by transaction id, false for an array of ids",
                ),
            ],
            RELATIVES_RESULT,
            move |req| {
                let txid = parse_txid(req.param(0))?;
                let verbose = opt_bool(req.param(1))?;
                let pool = lock(&n.mempool);
                if !pool.contains(&txid) {
                    return Err(not_in_mempool());
                }
                let all = if up {
                    pool.ancestors(&txid)
                } else {
                    pool.descendants(&txid)
                };
                let ids = sorted_by_hash(all.into_iter().filter(|t| *t != txid).collect());
                entries_json(&pool, &ids, verbose, n.deprecated_rpc_enabled("bip125"))
            },
        ));
    }
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getmempoolcluster",
        "Reports the cluster a mempool transaction belongs to, with its chunks in mining order.\n",
        vec![Arg::required("txid", ArgType::StrHex, "The id of a transaction in the cluster")],
        CLUSTER_RESULT,
        move |req| {
            let txid = parse_txid(req.param(0))?;
            let pool = lock(&n.mempool);
            if !pool.contains(&txid) {
                return Err(not_in_mempool());
            }
            let members = pool.cluster_of(&txid);
            let weight: i64 = members.iter().filter_map(|t| pool.entry(t)).map(|e| e.adjusted_weight).sum();
            let mut chunks: Vec<Value> = Vec::new();
            let mut i = 0;
            while i < members.len() {
                let f = pool.chunk_feerate(&members[i]).unwrap_or_default();
                let mut left = f.size;
                let mut txs = Vec::new();
                while i < members.len() && left > 0 {
                    left -= pool.entry(&members[i]).map(|e| e.adjusted_weight).unwrap_or(left);
                    txs.push(json!(members[i].to_string()));
                    i += 1;
                }
                chunks.push(json!({"chunkfee": rpc::amount_value(f.fee), "chunkweight": f.size, "txs": txs}));
            }
            Ok(json!({"clusterweight": weight, "txcount": members.len(), "chunks": chunks}))
        },
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "getorphantxs",
        "Lists the transactions in the orphanage.\n\nEXPERIMENTAL warning: this call may be changed in future releases.\n",
        vec![Arg::optional(
            "verbosity",
            ArgType::Num,
            json!(0),
            "0: the txids (one per orphan, so a txid may repeat); 1: an object per orphan with its details; 2: as 1, plus the raw transaction in hex",
        )],
        ORPHANS_RESULT,
        move |req| orphan_txs(&n, req.param(0)),
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "getmempoolfeeratediagram",
        "Reports the feerate diagram of the whole mempool: cumulative weight and fee after each chunk, best first.",
        vec![],
        DIAGRAM_RESULT,
        move |_| {
            let pool = lock(&n.mempool);
            Ok(Value::Array(
                pool.feerate_diagram()
                    .iter()
                    .map(|f| json!({"weight": f.size, "fee": rpc::amount_value(f.fee)}))
                    .collect(),
            ))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "sendrawtransaction",
        "Submits a raw transaction (serialized, hex-encoded) to the node and the network.\n\nThe transaction goes to the mempool once, and the node re-announces it until a peer asks for it; there is no later rebroadcast.\n\nRelated calls: createrawtransaction, signrawtransactionwithkey.\n",
        vec![
            Arg::required("hexstring", ArgType::StrHex, "The hex string of the raw transaction"),
            Arg::optional("maxfeerate", ArgType::Amount, json!("0.10"), "Reject transactions whose fee rate is higher than this, in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate."),
            Arg::optional("maxburnamount", ArgType::Amount, json!("0.00"), "Reject transactions with provably unspendable outputs (such as OP_RETURN data carriers) worth more than this, in BTC.\nRaise it when burning coins is intended.\nThis check is a heuristic and does not prove spendability."),
        ],
        "\"hex\"    (string) The transaction hash in hex",
        move |req| {
            let max_burn = match req.param(2) {
                Some(Value::Null) | None => 0,
                Some(v) => rpc::amount_from_value(v, 8)?,
            };
            let hex = get_str(req.param(0).unwrap_or(&Value::Null))?;
            let tx = decode_tx(hex).ok_or_else(|| {
                RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed. Make sure the tx has at least one input.")
            })?;
            if tx.output.iter().any(|o| burns(o) && o.value.to_sat() as i64 > max_burn) {
                return Err(RpcError::new(
                    RPC_TRANSACTION_ERROR,
                    "Unspendable output exceeds maximum configured by user (maxburnamount)",
                ));
            }
            let rate = parse_fee_rate(req.param(1).filter(|v| !v.is_null()))?;
            let max_fee = FeeRate::per_kvb(rate).fee(vsize_bip141(&tx));
            broadcast(&n, tx, max_fee).map(|t| json!(t.to_string()))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "testmempoolaccept",
        "Reports whether raw transactions (serialized, hex-encoded) would enter the mempool, without submitting them.\n\nWith several transactions, parents come before children and package rules apply: none may conflict with the mempool or with each other.\n\nWhen one transaction fails, the others may not be checked fully (their 'allowed' key is then missing).\n\nAt most 25 transactions.\n\nConsensus and policy rules are checked.\n\nSee sendrawtransaction.\n",
        vec![
            Arg::required("rawtxs", ArgType::Arr, "Hex strings of raw transactions.")
                .with_inner(vec![Arg::omitted("rawtx", ArgType::StrHex, "")]),
            Arg::optional("maxfeerate", ArgType::Amount, json!("0.10"), "Reject transactions whose fee rate is higher than this, in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate."),
        ],
        TESTACCEPT_RESULT,
        move |req| {
            let txs = decode_package(req.param(0))?;
            let rate = parse_fee_rate(req.param(1).filter(|v| !v.is_null()))?;
            Ok(test_mempool_accept(&n, txs, rate))
        },
    ));
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "submitpackage",
        "Submits a package of raw transactions (serialized, hex-encoded) to the node.\nThe package is checked against consensus and mempool policy; every transaction that passes enters the mempool.\nThis command is experimental and its interface may change.\nWarning: a successful submission does not mean the transactions will reach the rest of the network.\n",
        vec![
            Arg::required("package", ArgType::Arr, "Raw transactions.\nA child with some, all or none of its unconfirmed parents, or a single transaction.\nParents may not spend each other. Parents already in the mempool need not be included.\nSorted topologically, the child last.")
                .with_inner(vec![Arg::omitted("rawtx", ArgType::StrHex, "")]),
            Arg::optional("maxfeerate", ArgType::Amount, json!("0.10"), "Reject transactions whose fee rate is higher than this, in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate."),
            Arg::optional("maxburnamount", ArgType::Amount, json!("0.00"), "Reject transactions with provably unspendable outputs worth more than this, in BTC.\nRaise it when burning coins is intended.\nThis check is a heuristic and does not prove spendability."),
        ],
        SUBMITPACKAGE_RESULT,
        move |req| {
            let txs = decode_package(req.param(0))?;
            let rate = parse_fee_rate(req.param(1).filter(|v| !v.is_null()))?;
            let max_burn = match req.param(2) {
                Some(Value::Null) | None => 0,
                Some(v) => rpc::amount_from_value(v, 8)?,
            };
            let r = submit_package(&n, txs, rate, max_burn);
            n.notifications.wait_for_queued();
            r
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "savemempool",
        "Writes the mempool to disk. Fails while a previous dump is still being loaded.\n",
        vec![],
        "{                    (json object)\n  \"filename\" : \"str\"    (string) the directory and file where the mempool was saved\n}",
        move |_| {
            if !lock(&n.mempool).loaded() {
                return Err(RpcError::new(rpc::codes::RPC_MISC_ERROR, "The mempool was not loaded yet"));
            }
            let path = n.persistence.path.clone();
            if !crate::mempool_persist::dump(&n, &path, n.persistence.v1) {
                return Err(RpcError::new(rpc::codes::RPC_MISC_ERROR, "Unable to dump mempool to disk"));
            }
            Ok(json!({"filename": path.display().to_string()}))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "importmempool",
        "Reads a mempool.dat file and tries to add its transactions to the mempool.\nWarning: importing untrusted files is dangerous, above all when their metadata is taken over.",
        vec![
            Arg::required("filepath", ArgType::Str, "The mempool file"),
            Arg::omitted("options", ArgType::ObjNamedParams, "").with_inner(vec![
                Arg::optional("use_current_time", ArgType::Bool, json!(true), "Enter the transactions at the current time rather than at their saved entry time.\nWarning: importing untrusted metadata may have unexpected and unwanted effects."),
                Arg::optional("apply_fee_delta_priority", ArgType::Bool, json!(false), "Apply the file's fee deltas, added to any deltas already set.\nprioritisetransaction sets such deltas.\nWarning: importing untrusted metadata may have unexpected and unwanted effects.\nOnly set this when you know what it does."),
                Arg::optional("apply_unbroadcast_set", ArgType::Bool, json!(false), "Restore the file's set of transactions not yet announced to peers.\nWarning: importing untrusted metadata may have unexpected and unwanted effects."),
            ]).oneline("options"),
        ],
        "{    (json object)\n}",
        move |req| {
            if n.chainstate().is_initial_block_download() {
                return Err(RpcError::new(
                    rpc::codes::RPC_CLIENT_IN_INITIAL_DOWNLOAD,
                    "Can only import the mempool after the block download and sync is done.",
                ));
            }
            let path = get_str(req.param(0).unwrap_or(&Value::Null))?.to_string();
            let opt = |key: &str, default: bool| -> Result<bool, RpcError> {
                match req.param(1).and_then(|o| o.get(key)) {
                    None | Some(Value::Null) => Ok(default),
                    Some(v) => get_bool(v),
                }
            };
            let opts = crate::mempool_persist::ImportOptions {
                use_current_time: opt("use_current_time", true)?,
                apply_fee_delta_priority: opt("apply_fee_delta_priority", false)?,
                apply_unbroadcast_set: opt("apply_unbroadcast_set", false)?,
            };
            if !crate::mempool_persist::load(&n, std::path::Path::new(&path), opts) {
                return Err(RpcError::new(
                    rpc::codes::RPC_MISC_ERROR,
                    "Unable to import mempool file, see debug log for details.",
                ));
            }
            Ok(json!({}))
        },
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "prioritisetransaction",
        "Changes the fee a transaction is judged by for mining (and for acceptance), without changing what it pays.\n",
        vec![
            Arg::required("txid", ArgType::StrHex, "The transaction id."),
            Arg::omitted("dummy", ArgType::Num, "Kept for compatibility with the old interface; must be zero or null.\n                  DEPRECATED. Use named arguments and leave it out.").placeholder(),
            Arg::required("fee_delta", ArgType::Num, "Satoshis to add to the fee (negative to subtract).\n                  This is an amount, not a fee rate: it changes the transaction's absolute fee.\n                  Nothing is paid; block selection and acceptance treat the transaction as if it paid that much more (or less)."),
        ],
        "true|false    (boolean) Returns true",
        move |req| {
            let txid = parse_txid(req.param(0))?;
            if let Some(d) = req.param(1).filter(|v| !v.is_null()) {
                let dv = d.as_f64().ok_or_else(|| RpcError::new(rpc::codes::RPC_TYPE_ERROR, "JSON value of type string is not of expected type number"))?;
                if dv != 0.0 {
                    return Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        "Priority is no longer supported, dummy argument to prioritisetransaction must be 0.",
                    ));
                }
            }
            let delta = get_int(req.param(2).unwrap_or(&Value::Null))?;
            let _cs = n.chainstate();
            let mut pool = lock(&n.mempool);
            let o = pool.options().clone();
            if let Some(tx) = pool.get(&txid) {
                if o.require_standard
                    && !mempool::policy::dust_outputs(&tx, FeeRate::per_kvb(o.dust_relay_feerate)).is_empty()
                {
                    return Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        "Priority is not supported for transactions with dust outputs.",
                    ));
                }
            }
            let line = pool.prioritise(txid, delta);
            common::log_info!("{}", line);
            Ok(json!(true))
        },
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "getprioritisedtransactions",
        "Lists every fee delta set with prioritisetransaction, by txid, and whether the transaction is in the mempool.",
        vec![],
        PRIORITISED_RESULT,
        move |_| {
            let pool = lock(&n.mempool);
            let mut o = Map::new();
            for (txid, delta, modified) in pool.prioritised() {
                let mut m = Map::new();
                m.insert("fee_delta".into(), json!(delta));
                m.insert("in_mempool".into(), json!(modified.is_some()));
                if let Some(f) = modified {
                    m.insert("modified_fee".into(), json!(f));
                }
                o.insert(txid.to_string(), Value::Object(m));
            }
            Ok(Value::Object(o))
        },
    ));
}

const MEMPOOLINFO_RESULT: &str = r#"{                                (json object)
  "loaded" : true|false,         (boolean) Whether the startup load of a saved mempool has finished
  "size" : n,                    (numeric) Number of transactions
  "bytes" : n,                   (numeric) Sum of the transactions' virtual sizes (BIP 141)
  "usage" : n,                   (numeric) Memory the mempool uses
  "total_fee" : n,               (numeric) Sum of fees in BTC, without prioritisetransaction changes
  "maxmempool" : n,              (numeric) Most memory the mempool may use
  "mempoolminfee" : n,           (numeric) Lowest fee rate in BTC/kvB accepted now: the higher of minrelaytxfee and the mempool's own minimum
  "minrelaytxfee" : n,           (numeric) Lowest fee rate relayed
  "incrementalrelayfee" : n,     (numeric) Fee-rate step in BTC/kvB for replacement and limiting
  "unbroadcastcount" : n,        (numeric) Transactions not yet announced to a peer
  "permitbaremultisig" : true|false, (boolean) Whether bare multisig outputs are accepted
  "maxdatacarriersize" : n,      (numeric) Most bytes of OP_RETURN outputs accepted
  "limitclustercount" : n,       (numeric) Most transactions in a cluster (-limitclustercount)
  "limitclustersize" : n,        (numeric) Largest cluster in virtual bytes (-limitclustersize)
  "optimal" : true|false         (boolean) Whether the pool is known to be in optimal order
}"#;

const ORPHANS_RESULT: &str = r#"(for verbose = 0)
[           (json array)
  "hex",    (string) A transaction id
  ...
]

Result (for verbose = 1):
[                           (json array)
  {                         (json object)
    "txid" : "hex",         (string) The transaction id
    "wtxid" : "hex",        (string) The witness transaction id
    "bytes" : n,            (numeric) Serialized size in bytes
    "vsize" : n,            (numeric) (DEPRECATED) Same as vsize_bip141
    "vsize_bip141" : n,     (numeric) Virtual size as BIP 141 defines it (witness bytes discounted)
    "weight" : n,           (numeric) Weight as BIP 141 defines it
    "from" : [              (json array) The peers that announced it
      n,                    (numeric) A peer id
      ...
    ]
  },
  ...
]

Result (for verbose = 2):
[                           (json array)
  {                         (json object)
    "txid" : "hex",         (string) The transaction id
    "wtxid" : "hex",        (string) The witness transaction id
    "bytes" : n,            (numeric) Serialized size in bytes
    "vsize" : n,            (numeric) (DEPRECATED) Same as vsize_bip141
    "vsize_bip141" : n,     (numeric) Virtual size as BIP 141 defines it (witness bytes discounted)
    "weight" : n,           (numeric) Weight as BIP 141 defines it
    "from" : [              (json array) The peers that announced it
      n,                    (numeric) A peer id
      ...
    ],
    "hex" : "hex"           (string) The raw transaction, hex-encoded
  },
  ...
]"#;

const RAWMEMPOOL_RESULT: &str = r#"(for verbose = false)
[           (json array)
  "hex",    (string) A transaction id
  ...
]

Result (for verbose = true):
{                     (json object)
  "transactionid" : { (json object) the transaction's mempool entry, as getmempoolentry returns it
    ...
  },
  ...
}

Result (for verbose = false and mempool_sequence = true):
{                            (json object)
  "txids" : [                (json array)
    "hex",                   (string) A transaction id
    ...
  ],
  "mempool_sequence" : n     (numeric) The current mempool sequence number.
}"#;

const ENTRY_RESULT: &str = r#"{                              (json object)
  "vsize" : n,                 (numeric) (DEPRECATED) The sigop-adjusted virtual size; use vsize_adjusted or vsize_bip141
  "vsize_bip141" : n,          (numeric) Virtual size as BIP 141 defines it
  "vsize_adjusted" : n,        (numeric) The higher of the sigop-adjusted size (-bytespersigop) and the BIP 141 virtual size
  "weight" : n,                (numeric) Transaction weight as BIP 141 defines it
  "time" : xxx,                (numeric) Entry time, seconds since the epoch
  "height" : n,                (numeric) Block height at entry
  "descendantcount" : n,       (numeric) In-mempool descendants, itself included
  "descendantsize" : n,        (numeric) Virtual size of those descendants, itself included
  "ancestorcount" : n,         (numeric) In-mempool ancestors, itself included
  "ancestorsize" : n,          (numeric) Virtual size of those ancestors, itself included
  "wtxid" : "hex",             (string) Witness transaction id
  "chunkweight" : n,           (numeric) Weight of the chunk it is mined with
  "fees" : {                   (json object)
    "base" : n,                (numeric) Fee, in BTC
    "modified" : n,            (numeric) Fee with prioritisetransaction's delta, in BTC
    "ancestor" : n,            (numeric) Modified fees of its ancestors, itself included, in BTC
    "descendant" : n,          (numeric) Modified fees of its descendants, itself included, in BTC
    "chunk" : n                (numeric) Modified fees of its chunk, in BTC
  },
  "depends" : [                (json array) Unconfirmed transactions it spends from
    "hex",                     (string) parent transaction id
    ...
  ],
  "spentby" : [                (json array) Unconfirmed transactions spending its outputs
    "hex",                     (string) child transaction id
    ...
  ],
  "unbroadcast" : true|false   (boolean) Whether no peer has been sent it yet
}"#;

const RELATIVES_RESULT: &str = r#"(for verbose = false)
[           (json array)
  "hex",    (string) A transaction id
  ...
]

Result (for verbose = true):
{                     (json object)
  "transactionid" : { (json object) the transaction's mempool entry, as getmempoolentry returns it
    ...
  },
  ...
}"#;

const CLUSTER_RESULT: &str = r#"{                    (json object)
  "clusterweight" : n, (numeric) Sum of the sigop-adjusted weights of the cluster's transactions
  "txcount" : n,       (numeric) Transactions in the cluster
  "chunks" : [         (json array) The chunks, in mining order
    {                  (json object)
      "chunkfee" : n,  (numeric) Modified fees of the chunk, in BTC
      "chunkweight" : n, (numeric) Sigop-adjusted weight of the chunk
      "txs" : [        (json array) The chunk's transactions, in mining order
        "hex",         (string) A transaction id
        ...
      ]
    },
    ...
  ]
}"#;

const DIAGRAM_RESULT: &str = r#"[                (json array)
  {              (json object)
    "weight" : n, (numeric) Cumulative sigop-adjusted weight
    "fee" : n    (numeric) Cumulative modified fee, in BTC
  },
  ...
]"#;

const TESTACCEPT_RESULT: &str = r#"[                                   (json array) One result per transaction, in the order given; those not checked fully lack 'allowed'
  {                                 (json object)
    "txid" : "hex",                 (string) The transaction hash in hex
    "wtxid" : "hex",                (string) The transaction witness hash in hex
    "package-error" : "str",        (string, optional) The package's error, if any (only with more than one transaction)
    "allowed" : true|false,         (boolean, optional) Whether it would enter the mempool within maxfeerate; missing when another transaction's failure stopped the checks
    "vsize_adjusted" : n,           (numeric, optional) The higher of the sigop-adjusted size and the BIP 141 virtual size (only when allowed)
    "vsize" : n,                    (numeric, optional) (DEPRECATED) The sigop-adjusted virtual size; use vsize_adjusted or vsize_bip141
    "vsize_bip141" : n,             (numeric, optional) Virtual size as BIP 141 defines it (only when allowed)
    "fees" : {                      (json object, optional) Fees (only when allowed)
      "base" : n,                   (numeric) Fee in BTC
      "effective-feerate" : n,      (numeric) The feerate it was judged at, in BTC/kvB; differs from the base rate with prioritisation or package feerates
      "effective-includes" : [      (json array) The transactions whose fees and sizes that feerate covers
        "hex",                      (string) transaction wtxid in hex
        ...
      ]
    },
    "reject-reason" : "str",        (string, optional) Why it was rejected (only when not allowed)
    "reject-details" : "str"        (string, optional) Details of the rejection, when there are any
  },
  ...
]"#;

const SUBMITPACKAGE_RESULT: &str = r#"{                                   (json object)
  "package_msg" : "str",            (string) "success" when the package was accepted, or the error
  "tx-results" : {                  (json object) Results by wtxid, one for every transaction given
    "wtxid" : {                     (json object) transaction wtxid
      "txid" : "hex",               (string) The transaction hash in hex
      "other-wtxid" : "hex",        (string, optional) The mempool's wtxid for this txid when its witness differs
      "vsize_adjusted" : n,         (numeric, optional) The higher of the sigop-adjusted size and the BIP 141 virtual size
      "vsize" : n,                  (numeric, optional) (DEPRECATED) The sigop-adjusted virtual size; use vsize_adjusted or vsize_bip141
      "vsize_bip141" : n,           (numeric, optional) Virtual size as BIP 141 defines it
      "fees" : {                    (json object, optional) Fees
        "base" : n,                 (numeric) Fee in BTC
        "effective-feerate" : n,    (numeric, optional) The feerate it was judged at, in BTC/kvB (only for transactions new to the mempool)
        "effective-includes" : [    (json array, optional) The wtxids whose fees and sizes that feerate covers
          "hex",                    (string) transaction wtxid in hex
          ...
        ]
      },
      "error" : "str"               (string, optional) Why it was not accepted
    },
    ...
  },
  "replaced-transactions" : [       (json array, optional) Transactions replaced
    "hex",                          (string) The transaction id
    ...
  ]
}"#;

const PRIORITISED_RESULT: &str = r#"{                                 (json object) prioritisations by txid
  "<transactionid>" : {           (json object)
    "fee_delta" : n,              (numeric) fee delta in satoshis
    "in_mempool" : true|false,    (boolean) whether the transaction is in the mempool
    "modified_fee" : n            (numeric, optional) modified fee in satoshis, when in the mempool
  },
  ...
}"#;

const SPENDING_RESULT: &str = r#"[                           (json array)
  {                         (json object)
    "txid" : "hex",         (string) the transaction id of the checked output
    "vout" : n,             (numeric) the vout value of the checked output
    "spendingtxid" : "hex", (string, optional) the transaction id of the mempool transaction spending this output (omitted if unspent)
    "spendingtx" : "hex",   (string, optional) the transaction spending this output (only if return_spending_tx is set, omitted if unspent)
    "blockhash" : "hex"     (string, optional) the hash of the spending block (omitted if unspent or the spending tx is not confirmed)
  },
  ...
]"#;
