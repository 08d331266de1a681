//! `getrawtransaction`: a transaction from the mempool, a given block, or the
//! transaction index (Core's `GetTransaction` and its RPC in `rpc/rawtransaction.cpp`).

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Transaction, Txid};
use chain::index::BlockStatus;
use chain_json::TxVerbosity;
use rpc::codes::{RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_MISC_ERROR};
use rpc::{Arg, ArgType, RpcError, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::values::{hex, parse_hash, parse_verbosity};
use crate::context::{lock, NodeContext};

fn err(code: i32, msg: &str) -> RpcError {
    RpcError::new(code, msg)
}

/// Where a transaction was found.
struct Found {
    tx: Transaction,
    block: Option<BlockHash>,
}

/// `GetTransaction`: the mempool unless a block is given, then the transaction index
/// (when its block is the one given, if any), then the given block itself.
fn find(n: &NodeContext, txid: &Txid, block: Option<BlockHash>) -> Result<Option<Found>, RpcError> {
    if block.is_none() {
        if let Some(tx) = lock(&n.mempool).get(txid) {
            return Ok(Some(Found {
                tx: (*tx).clone(),
                block: None,
            }));
        }
    }
    if let Some(index) = n.txindex.get() {
        if let Some((tx, hash)) = index.find_tx(txid) {
            if block.is_none_or(|b| b == hash) {
                return Ok(Some(Found {
                    tx,
                    block: Some(hash),
                }));
            }
        }
    }
    if let Some(hash) = block {
        let cs = n.chainstate();
        let read = cs
            .read_block(&hash)
            .map_err(|e| RpcError::new(RPC_INTERNAL_ERROR, e.to_string()))?;
        if let Some(b) = read {
            if let Some(tx) = b.txdata.into_iter().find(|t| t.compute_txid() == *txid) {
                return Ok(Some(Found {
                    tx,
                    block: Some(hash),
                }));
            }
        }
    }
    Ok(None)
}

/// Registers `getrawtransaction`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "rawtransactions",
        "getrawtransaction",
        "By default this looks in the mempool only. With -txindex it also finds any transaction in the chain; with a blockhash it looks in that block, which must be stored.\n\nHint: gettransaction finds wallet transactions.\n\nIf verbosity is 0 or omitted, the result is the serialized transaction as a hex-encoded string.\nIf verbosity is 1, the result is a JSON object describing the transaction.\nIf verbosity is 2, the result is that object with fees and the outputs each input spends.",
        vec![
            Arg::required("txid", ArgType::StrHex, "The transaction id"),
            Arg::optional("verbosity|verbose", ArgType::Num, json!(0), "0 for hex-encoded data, 1 for a JSON object, and 2 for JSON object with fee and prevout").skip_type_check(),
            Arg::omitted("blockhash", ArgType::StrHex, "The block in which to look for the transaction"),
        ],
        GETRAWTRANSACTION_RESULT,
        move |req| {
            let txid = Txid::from_byte_array(parse_hash(req.param(0).unwrap_or(&Value::Null), "parameter 1")?);
            let genesis_root = n.chainstate().params().genesis.header.merkle_root;
            if txid.to_byte_array() == genesis_root.to_byte_array() {
                return Err(err(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved",
                ));
            }
            let verbosity = parse_verbosity(req.param(1), 0, true)?;
            let block = match req.param(2).filter(|v| !v.is_null()) {
                Some(v) => {
                    let hash = BlockHash::from_byte_array(parse_hash(v, "parameter 3")?);
                    if n.chainstate().index().find(&hash).is_none() {
                        return Err(err(RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found"));
                    }
                    Some(hash)
                }
                None => None,
            };
            let index_ready = match (n.txindex.get(), block) {
                (Some(index), None) => index.block_until_synced_to_current_chain(),
                _ => false,
            };
            let Some(found) = find(&n, &txid, block)? else {
                let msg = match block {
                    Some(hash) => {
                        let have = n
                            .chainstate()
                            .status(&hash)
                            .is_some_and(|s| s.0 & BlockStatus::HAVE_DATA != 0);
                        if !have {
                            return Err(err(RPC_MISC_ERROR, "Block not available"));
                        }
                        "No such transaction found in the provided block"
                    }
                    None if n.txindex.get().is_none() => "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries",
                    None if !index_ready => "No such mempool transaction. Blockchain transactions are still in the process of being indexed",
                    None => "No such mempool or blockchain transaction",
                };
                return Err(RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    format!("{msg}. Use gettransaction for wallet transactions."),
                ));
            };
            if verbosity <= 0 {
                return Ok(json!(hex(&bitcoin::consensus::encode::serialize(&found.tx))));
            }
            let cs = n.chainstate();
            let network = cs.params().network;
            let mut result = Map::new();
            let active = |h: &BlockHash| {
                cs.index()
                    .find(h)
                    .is_some_and(|i| cs.hash_at(cs.index().entry(i).height) == Some(*h))
            };
            if let Some(h) = block {
                result.insert("in_active_chain".into(), json!(active(&h)));
            }
            if found.block.is_none() {
                if let Some(e) = lock(&n.mempool).entry(&txid) {
                    result.insert("vsize_adjusted".into(), json!(e.vsize));
                }
            }
            // Prevouts and fee come from the block's undo data (verbosity 2, not coinbase).
            let mut undo: Option<Vec<chain_json::SpentCoin>> = None;
            if verbosity >= 2 && !found.tx.is_coinbase() {
                if let Some(h) = found.block {
                    let has_undo = cs.status(&h).is_some_and(|s| s.0 & BlockStatus::HAVE_UNDO != 0);
                    if has_undo {
                        let u = cs.read_undo(&h).ok().flatten().ok_or_else(|| {
                            err(RPC_INTERNAL_ERROR, "Undo data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.")
                        })?;
                        let b = cs.read_block(&h).ok().flatten().ok_or_else(|| {
                            err(RPC_INTERNAL_ERROR, "Block data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.")
                        })?;
                        if let Some(pos) = b.txdata.iter().position(|t| *t == found.tx) {
                            undo = u.txs.get(pos.wrapping_sub(1)).map(super::blockchain::spent_coins);
                        }
                    }
                }
            }
            let details = if undo.is_some() {
                TxVerbosity::ShowDetailsAndPrevout
            } else {
                TxVerbosity::ShowDetails
            };
            let body = chain_json::tx_to_json(&found.tx, None, true, undo.as_deref(), details, network);
            if let Value::Object(m) = body {
                result.extend(m);
            }
            if let Some(h) = found.block {
                result.insert("blockhash".into(), json!(h.to_string()));
                if let Some(i) = cs.index().find(&h) {
                    let e = cs.index().entry(i);
                    if active(&h) {
                        result.insert("confirmations".into(), json!(1 + cs.height() - e.height));
                        result.insert("time".into(), json!(e.header.time));
                        result.insert("blocktime".into(), json!(e.header.time));
                    } else {
                        result.insert("confirmations".into(), json!(0));
                    }
                }
            }
            Ok(Value::Object(result))
        },
    ));
}

const GETRAWTRANSACTION_RESULT: &str = r#"(if verbosity is not set or set to 0)
"str"    (string) The serialized transaction as a hex-encoded string for 'txid'

Result (if verbosity is set to 1):
{                                    (json object)
  "in_active_chain" : true|false,    (boolean, optional) Whether the given block is in the active chain (only with a blockhash argument)
  "blockhash" : "hex",               (string, optional) the block hash
  "confirmations" : n,               (numeric, optional) The confirmations
  "blocktime" : xxx,                 (numeric, optional) The block time expressed in UNIX epoch time
  "time" : n,                        (numeric, optional) Same as "blocktime"
  "hex" : "hex",                     (string) The serialized, hex-encoded data for 'txid'
  "txid" : "hex",                    (string) The transaction id (same as provided)
  "hash" : "hex",                    (string) The transaction hash (differs from txid for witness transactions)
  "size" : n,                        (numeric) The serialized transaction size
  "vsize" : n,                       (numeric) The virtual transaction size (differs from size for witness transactions)
  "weight" : n,                      (numeric) The transaction's weight (between vsize*4-3 and vsize*4)
  "version" : n,                     (numeric) The version
  "locktime" : xxx,                  (numeric) The lock time
  "vin" : [                          (json array)
    ...
  ],
  "vout" : [                         (json array)
    ...
  ]
}

Result (if verbosity is set to 2):
{                                    (json object)
  ...,                               Same output as verbosity = 1
  "fee" : n,                         (numeric, optional) transaction fee in BTC, omitted if block undo data is not available
  "vin" : [                          (json array)
    {                                (json object) utxo being spent, omitted if block undo data is not available
      ...,                           Same output as verbosity = 1
      "prevout" : {                  (json object, optional) Only if undo information is available)
        "generated" : true|false,    (boolean) Coinbase or not
        "height" : n,                (numeric) The height of the prevout
        "value" : n,                 (numeric) The value in BTC
        "scriptPubKey" : {           (json object)
          "asm" : "str",             (string) Disassembly of the output script
          "desc" : "str",            (string) Inferred descriptor for the output
          "hex" : "hex",             (string) The raw output script bytes, hex-encoded
          "address" : "str",         (string, optional) The Bitcoin address (only if a well-defined address exists)
          "type" : "str"             (string) The type (one of: nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, witness_unknown)
        }
      }
    },
    ...
  ]
}"#;
