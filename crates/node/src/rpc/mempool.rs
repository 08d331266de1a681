//! Mempool commands (Core's `rpc/mempool.cpp`).

use std::sync::Arc;

use rpc::codes::RPC_INVALID_PARAMETER;
use rpc::{Arg, ArgType, RpcError, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::values::get_bool;
use crate::context::{lock, NodeContext};

/// Registers the mempool commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
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
            let verbose = match req.param(0) {
                Some(v) => get_bool(v)?,
                None => false,
            };
            let with_sequence = match req.param(1) {
                Some(v) => get_bool(v)?,
                None => false,
            };
            let pool = lock(&n.mempool);
            if verbose {
                if with_sequence {
                    return Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        "Verbose results cannot contain mempool sequence values.",
                    ));
                }
                // Entries get their details with the mempool's transactions.
                return Ok(Value::Object(Map::new()));
            }
            let txids: Vec<Value> = pool.txids().into_iter().map(Value::String).collect();
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
        move |_| {
            let pool = lock(&n.mempool);
            let info = pool.info();
            let o = pool.options();
            let mut m = Map::new();
            m.insert("loaded".into(), json!(info.loaded));
            m.insert("size".into(), json!(info.size));
            m.insert("bytes".into(), json!(info.bytes));
            m.insert("usage".into(), json!(info.usage));
            m.insert("total_fee".into(), rpc::amount_value(info.total_fee));
            m.insert("maxmempool".into(), json!(o.max_size_bytes));
            m.insert("mempoolminfee".into(), rpc::amount_value(info.min_fee_rate));
            m.insert(
                "minrelaytxfee".into(),
                rpc::amount_value(o.min_relay_feerate),
            );
            m.insert(
                "incrementalrelayfee".into(),
                rpc::amount_value(o.incremental_relay_feerate),
            );
            m.insert("unbroadcastcount".into(), json!(info.unbroadcast));
            m.insert("permitbaremultisig".into(), json!(o.permit_bare_multisig));
            m.insert(
                "maxdatacarriersize".into(),
                json!(o.max_datacarrier_bytes.unwrap_or(0)),
            );
            m.insert("limitclustercount".into(), json!(o.cluster_count));
            m.insert("limitclustersize".into(), json!(o.cluster_size_vbytes));
            // An empty pool is trivially in optimal order.
            m.insert("optimal".into(), json!(info.size == 0));
            if n.deprecated_rpc_enabled("fullrbf") {
                m.insert("fullrbf".into(), json!(true));
            }
            Ok(Value::Object(m))
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
