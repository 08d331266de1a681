//! Blockchain commands (Core's `rpc/blockchain.cpp`): reading the block index, blocks
//! and the UTXO set, waiting for blocks, and steering the active chain.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Txid};
use chain::index::{BlockStatus, Entry};
use chain::ChainState;
use rpc::codes::{
    RPC_DATABASE_ERROR, RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
    RPC_MISC_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};

use super::values::{get_bool, get_int, hex, parse_block_hash, parse_hash, parse_verbosity};
use super::{command, format_double, ToRpcError};
use crate::context::{NodeContext, TipInfo};

/// Registers the blockchain commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblockcount",
        "Gives the height of the fully validated chain with the most work.\nHeight 0 is the genesis block.\n",
        vec![],
        "n    (numeric) Height of the current tip",
        move |_| Ok(json!(n.chainstate().height())),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getbestblockhash",
        "Gives the hash of the tip of the fully validated chain with the most work.\n",
        vec![],
        "\"hex\"    (string) hash of the tip block, in hex",
        move |_| Ok(json!(n.chainstate().tip().to_string())),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblockhash",
        "Gives the hash of the block at the given height of the best chain.\n",
        vec![Arg::required("height", ArgType::Num, "Height of the block")],
        "\"hex\"    (string) Hash of that block",
        move |req| {
            let height: i32 = get_int(param(req, 0)?)?;
            let cs = n.chainstate();
            u32::try_from(height)
                .ok()
                .and_then(|h| cs.hash_at(h))
                .map(|h| json!(h.to_string()))
                .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range"))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblockheader",
        "With verbose false, gives the serialized header of block 'hash' as a hex string.\nWith verbose true, gives an object describing the header of block <hash>.\n",
        vec![
            Arg::required("blockhash", ArgType::StrHex, "Hash of the block"),
            Arg::optional("verbose", ArgType::Bool, json!(true), "true for a JSON object, false for hex"),
        ],
        HEADER_RESULT,
        move |req| {
            let hash = parse_block_hash(param(req, 0)?, "hash")?;
            let verbose = match req.param(1) {
                Some(v) => get_bool(v)?,
                None => true,
            };
            let cs = n.chainstate();
            let i = cs.index().find(&hash).ok_or_else(block_not_found)?;
            let e = cs.index().entry(i);
            if !verbose {
                return Ok(json!(hex(&serialize(&e.header))));
            }
            Ok(Value::Object(header_json(&cs, i)))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblock",
        "Verbosity 0 gives block 'hash' serialized as a hex string.\nVerbosity 1 gives an object describing block <hash>.\nVerbosity 2 gives that object with every transaction decoded as well.\nVerbosity 3 adds to that the prevout of each input (only for blocks of the current best chain that have not been pruned).\n",
        vec![
            Arg::required("blockhash", ArgType::StrHex, "Hash of the block"),
            Arg::optional("verbosity|verbose", ArgType::Num, json!(1), "0 for hex, 1 for a JSON object, 2 for a JSON object with decoded transactions, 3 for that plus the prevouts of the inputs").skip_type_check(),
        ],
        BLOCK_RESULT,
        move |req| getblock(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getdifficulty",
        "Gives the current proof-of-work difficulty, relative to the lowest possible difficulty.\n",
        vec![],
        "n    (numeric) the difficulty, as a multiple of the lowest difficulty.",
        move |_| {
            let cs = n.chainstate();
            let tip = cs.index().entry(tip_index(&cs));
            Ok(format_double(difficulty(tip.header.bits.to_consensus())))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getchaintips",
        "Describes every tip known in the block tree: the main chain and any side branches.\n",
        vec![],
        CHAINTIPS_RESULT,
        move |_| Ok(chain_tips(&n.chainstate())),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblockchaininfo",
        "Gives an object describing the state of block chain processing.\n",
        vec![],
        BLOCKCHAININFO_RESULT,
        move |_| Ok(blockchain_info(&n)),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "gettxout",
        "Describes one unspent transaction output.\n",
        vec![
            Arg::required("txid", ArgType::StrHex, "Id of the transaction"),
            Arg::required("n", ArgType::Num, "index of the output"),
            Arg::optional("include_mempool", ArgType::Bool, json!(true), "Also look at the mempool. An output that a mempool transaction spends is then not found."),
        ],
        TXOUT_RESULT,
        move |req| gettxout(&n, req),
    ));
    for (name, what, desc) in [
        ("invalidateblock", "invalid", "Marks a block invalid for good, as though it broke a consensus rule.\n"),
        ("reconsiderblock", "reconsider", "Clears the invalid mark from a block, its ancestors and its descendants, so they can become active again.\nUndoes what invalidateblock did.\n"),
        ("preciousblock", "precious", "Prefers a block as though it had arrived before the other blocks with equal work.\n\nEach preciousblock call can replace the effect of an earlier one.\n\nThe preference is lost when the node restarts.\n"),
    ] {
        let n = node.clone();
        let arg_desc = match what {
            "invalid" => "hash of the block to invalidate",
            "reconsider" => "hash of the block to clear",
            _ => "hash of the block to prefer",
        };
        table.register(command(
            "blockchain",
            name,
            desc,
            vec![Arg::required("blockhash", ArgType::StrHex, arg_desc)],
            "null    (json null)",
            move |req| {
                let hash = parse_block_hash(param(req, 0)?, "blockhash")?;
                let mut cs = n.chainstate();
                if cs.index().find(&hash).is_none() {
                    return Err(block_not_found());
                }
                let r = match what {
                    "invalid" => cs.invalidate_block(&hash),
                    "reconsider" => cs.reconsider_block(&hash),
                    _ => cs.precious_block(&hash),
                };
                crate::mempool_chain::update_for_reorg(&n, &cs);
                r.to_rpc(RPC_DATABASE_ERROR)?;
                Ok(Value::Null)
            },
        ));
    }
    register_waits(table, node);
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getchaintxstats",
        "Works out how many transactions the chain holds and at what rate they were added.\n",
        vec![
            Arg::hint(
                "nblocks",
                ArgType::Num,
                "one month",
                "How many blocks the window spans",
            ),
            Arg::hint(
                "blockhash",
                ArgType::StrHex,
                "chain tip",
                "Hash of the last block of the window.",
            ),
        ],
        CHAINTXSTATS_RESULT,
        move |req| chain_tx_stats(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "gettxoutsetinfo",
        "Gives statistics on the set of unspent transaction outputs.\nWithout coinstatsindex this can be slow.\n",
        vec![
            Arg::optional("hash_type", ArgType::Str, json!("hash_serialized_3"), "Which hash of the UTXO set to compute. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'."),
            Arg::hint("hash_or_height", ArgType::Num, "the current best block", "Hash or height of the block to report on (needs coinstatsindex).").skip_type_check(),
            Arg::optional("use_index", ArgType::Bool, json!(true), "Use coinstatsindex when it exists."),
        ],
        TXOUTSETINFO_RESULT,
        move |req| txoutset_info(&n, req),
    ));
    table.register(command(
        "blockchain",
        "pruneblockchain",
        "Deletes block and undo files up to a height or time, as far as pruning allows.\nThe node must have been started with `-prune`. Deleted data cannot be restored locally, though it can sometimes be downloaded again (e.g., with `getblockfrompeer`).\n",
        vec![Arg::required("height", ArgType::Num, "Height to prune up to. A UNIX epoch time can be given instead, which prunes the blocks\nwhose block time is at least 2 hours before that time.")],
        "n    (numeric) Height of the last block deleted",
        |_| Err(RpcError::new(RPC_MISC_ERROR, "Cannot prune blocks because node is not in prune mode.")),
    ));
}

fn register_waits(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "blockchain",
        "waitfornewblock",
        "Blocks until a new block arrives, then describes it.\n\nOn timeout or shutdown, describes the current block.\n\nTurn off the RPC client timeout (bitcoin-cli -rpcclienttimeout=0)",
        vec![
            Arg::optional("timeout", ArgType::Num, json!(0), "Longest wait, in milliseconds; 0 waits without limit."),
            Arg::omitted("current_tip", ArgType::StrHex, "Wait until the tip is some block other than this one."),
        ],
        WAIT_RESULT,
        move |req| {
            let timeout = wait_timeout(req.param(0))?;
            let current = match req.param(1) {
                Some(v) => Some(parse_block_hash(v, "current_tip")?),
                None => None,
            };
            let start = n.tip.get();
            let from = current.unwrap_or(start.hash);
            let tip = n.tip.wait_until(timeout, || n.shutdown_requested(), |t| t.hash != from);
            Ok(tip_json(tip))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "waitforblock",
        "Blocks until the given block arrives, then describes it.\n\nOn timeout or shutdown, describes the current block.\n\nTurn off the RPC client timeout (bitcoin-cli -rpcclienttimeout=0)",
        vec![
            Arg::required("blockhash", ArgType::StrHex, "Hash of the block to wait for."),
            Arg::optional("timeout", ArgType::Num, json!(0), "Longest wait, in milliseconds; 0 waits without limit."),
        ],
        WAIT_RESULT,
        move |req| {
            let hash = parse_block_hash(param(req, 0)?, "blockhash")?;
            let timeout = wait_timeout(req.param(1))?;
            let tip = n.tip.wait_until(timeout, || n.shutdown_requested(), |t| t.hash == hash);
            Ok(tip_json(tip))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "waitforblockheight",
        "Blocks until the chain reaches at least the given height, then gives\nthe height and hash of the tip.\n\nOn timeout or shutdown, describes the current block.\n\nTurn off the RPC client timeout (bitcoin-cli -rpcclienttimeout=0)",
        vec![
            Arg::required("height", ArgType::Num, "Height to wait for."),
            Arg::optional("timeout", ArgType::Num, json!(0), "Longest wait, in milliseconds; 0 waits without limit."),
        ],
        WAIT_RESULT,
        move |req| {
            let height: i32 = get_int(param(req, 0)?)?;
            let timeout = wait_timeout(req.param(1))?;
            let tip = n.tip.wait_until(timeout, || n.shutdown_requested(), |t| {
                i64::from(t.height) >= i64::from(height)
            });
            Ok(tip_json(tip))
        },
    ));
    table.register(command(
        "hidden",
        "syncwithvalidationinterfacequeue",
        "Blocks until the validation interface queue has handled everything it held when the call began.\n",
        vec![],
        "null    (json null)",
        {
            let n = node.clone();
            move |_| {
                n.notifications.wait_for_queued();
                Ok(Value::Null)
            }
        },
    ));
}

/// `timeout` in milliseconds; 0 waits without limit; negative is Core's error.
fn wait_timeout(v: Option<&Value>) -> Result<Option<Duration>, RpcError> {
    let ms: i32 = match v {
        Some(v) => get_int(v)?,
        None => 0,
    };
    if ms < 0 {
        return Err(RpcError::new(RPC_MISC_ERROR, "Negative timeout"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

fn tip_json(tip: TipInfo) -> Value {
    json!({"hash": tip.hash.to_string(), "height": tip.height})
}

/// A required parameter (the table has checked it is present).
pub(super) fn param(req: &Request, i: usize) -> Result<&Value, RpcError> {
    req.param(i)
        .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Missing required parameter"))
}

/// A transaction's undo data as the coins `tx_to_json` prints as prevouts.
pub(super) fn spent_coins(undo: &chain::undo::TxUndo) -> Vec<chain_json::SpentCoin> {
    undo.prevouts
        .iter()
        .map(|c| chain_json::SpentCoin {
            output: c.output.clone(),
            height: c.height,
            coinbase: c.is_coinbase,
        })
        .collect()
}

pub(super) fn block_not_found() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}

pub(super) fn tip_index(cs: &ChainState) -> usize {
    cs.active_entry(cs.height()).unwrap_or(0)
}

/// Whether entry `i` is on the active chain.
pub(super) fn is_active(cs: &ChainState, e: &Entry) -> bool {
    cs.hash_at(e.height) == Some(e.hash)
}

/// `GetDifficulty`: the minimum target over this one, from the compact bits.
pub fn difficulty(bits: u32) -> f64 {
    let mut shift = (bits >> 24) & 0xff;
    let mut diff = 0x0000_ffff as f64 / (bits & 0x00ff_ffff) as f64;
    while shift < 29 {
        diff *= 256.0;
        shift += 1;
    }
    while shift > 29 {
        diff /= 256.0;
        shift -= 1;
    }
    diff
}

/// 256-bit number as 64 hex digits, most significant first (`uint256::GetHex`).
fn be_hex(bytes: [u8; 32]) -> String {
    hex(&bytes)
}

/// The target the compact bits encode (`DeriveTarget`), as `GetHex` prints it.
pub(super) fn target_hex(bits: bitcoin::CompactTarget) -> String {
    be_hex(bitcoin::Target::from_compact(bits).to_be_bytes())
}

/// `blockheaderToJSON`.
pub(super) fn header_json(cs: &ChainState, i: usize) -> Map<String, Value> {
    let index = cs.index();
    let e = index.entry(i);
    let tip_height = cs.height();
    let active = is_active(cs, e);
    let confirmations = if active {
        i64::from(tip_height) - i64::from(e.height) + 1
    } else {
        -1
    };
    let next = if active {
        cs.hash_at(e.height + 1)
    } else {
        None
    };
    let mut o = Map::new();
    o.insert("hash".into(), json!(e.hash.to_string()));
    o.insert("confirmations".into(), json!(confirmations));
    o.insert("height".into(), json!(e.height));
    o.insert("version".into(), json!(e.header.version.to_consensus()));
    o.insert(
        "versionHex".into(),
        json!(format!("{:08x}", e.header.version.to_consensus() as u32)),
    );
    o.insert("merkleroot".into(), json!(e.header.merkle_root.to_string()));
    o.insert("time".into(), json!(e.header.time));
    o.insert("mediantime".into(), json!(index.median_time_past(i)));
    o.insert("nonce".into(), json!(e.header.nonce));
    o.insert(
        "bits".into(),
        json!(format!("{:08x}", e.header.bits.to_consensus())),
    );
    o.insert("target".into(), json!(target_hex(e.header.bits)));
    o.insert(
        "difficulty".into(),
        format_double(difficulty(e.header.bits.to_consensus())),
    );
    o.insert(
        "chainwork".into(),
        json!(be_hex(e.chain_work.to_be_bytes())),
    );
    o.insert("nTx".into(), json!(e.tx_count));
    if let Some(p) = e.prev {
        o.insert(
            "previousblockhash".into(),
            json!(index.entry(p).hash.to_string()),
        );
    }
    if let Some(h) = next {
        o.insert("nextblockhash".into(), json!(h.to_string()));
    }
    o
}

fn getblock(n: &NodeContext, req: &Request) -> RpcResult {
    let hash = parse_block_hash(param(req, 0)?, "blockhash")?;
    let verbosity = parse_verbosity(req.param(1), 1, true)?;
    let cs = n.chainstate();
    let i = cs.index().find(&hash).ok_or_else(block_not_found)?;
    let e = cs.index().entry(i);
    if e.status.0 & BlockStatus::HAVE_DATA == 0 {
        return Err(RpcError::new(
            RPC_MISC_ERROR,
            "Block not available (not fully downloaded)",
        ));
    }
    let block = cs
        .read_block(&hash)
        .map_err(|_| RpcError::new(RPC_MISC_ERROR, "Block not found on disk"))?
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Block not found on disk"))?;
    if verbosity <= 0 {
        return Ok(json!(hex(&serialize(&block))));
    }
    let header = header_json(&cs, i);
    let mut o = Map::new();
    // Core's order: the header fields, then sizes and the coinbase, then the transactions.
    for (k, v) in header {
        o.insert(k, v);
    }
    let stripped = 80
        + bitcoin::VarInt(block.txdata.len() as u64).size()
        + block.txdata.iter().map(|t| t.base_size()).sum::<usize>();
    o.insert("strippedsize".into(), json!(stripped));
    o.insert("size".into(), json!(block.total_size()));
    o.insert("weight".into(), json!(block.weight().to_wu()));
    if let Some(cb) = block.txdata.first() {
        o.insert("coinbase_tx".into(), chain_json::coinbase_tx_json(cb));
    }
    let network = cs.params().network;
    let txs: Vec<Value> = if verbosity == 1 {
        block
            .txdata
            .iter()
            .map(|t| json!(t.compute_txid().to_string()))
            .collect()
    } else {
        let undo = if e.status.0 & BlockStatus::HAVE_UNDO != 0 {
            Some(cs.read_undo(&hash).map_err(|_| {
                RpcError::new(RPC_INTERNAL_ERROR, "Undo data expected but can't be read. This could be due to disk corruption or a conflict with a pruning event.")
            })?)
        } else {
            None
        }
        .flatten();
        let verbosity = if verbosity == 2 {
            chain_json::TxVerbosity::ShowDetails
        } else {
            chain_json::TxVerbosity::ShowDetailsAndPrevout
        };
        block
            .txdata
            .iter()
            .enumerate()
            .map(|(k, tx)| {
                let spent: Option<Vec<chain_json::SpentCoin>> = match (&undo, k) {
                    (Some(u), k) if k > 0 => u.txs.get(k - 1).map(spent_coins),
                    _ => None,
                };
                chain_json::tx_to_json(tx, None, true, spent.as_deref(), verbosity, network)
            })
            .collect()
    };
    o.insert("tx".into(), Value::Array(txs));
    Ok(Value::Object(o))
}

fn chain_tips(cs: &ChainState) -> Value {
    let index = cs.index();
    let tip = tip_index(cs);
    let mut tips: Vec<usize> = index
        .tips()
        .into_iter()
        .filter(|&i| !is_active(cs, index.entry(i)))
        .collect();
    tips.push(tip);
    // Highest first, as Core's set ordered by height.
    tips.sort_by(|a, b| {
        index
            .entry(*b)
            .height
            .cmp(&index.entry(*a).height)
            .then(a.cmp(b))
    });
    tips.dedup();
    let out: Vec<Value> = tips
        .into_iter()
        .map(|i| {
            let e = index.entry(i);
            let mut fork = i;
            while !is_active(cs, index.entry(fork)) {
                match index.entry(fork).prev {
                    Some(p) => fork = p,
                    None => break,
                }
            }
            let branchlen = e.height - index.entry(fork).height;
            let status = if is_active(cs, e) {
                "active"
            } else if e.status.failed() {
                "invalid"
            } else if e.chain_tx_count == 0 {
                "headers-only"
            } else if e.status.0 & BlockStatus::VALID_MASK >= BlockStatus::VALID_SCRIPTS {
                "valid-fork"
            } else {
                "valid-headers"
            };
            json!({
                "height": e.height,
                "hash": e.hash.to_string(),
                "branchlen": branchlen,
                "status": status,
            })
        })
        .collect();
    Value::Array(out)
}

fn blockchain_info(n: &NodeContext) -> Value {
    let cs = n.chainstate();
    let index = cs.index();
    let tip_i = tip_index(&cs);
    let tip = index.entry(tip_i);
    let mut o = Map::new();
    o.insert("chain".into(), json!(n.chain_type.name()));
    o.insert("blocks".into(), json!(tip.height));
    o.insert("headers".into(), json!(index.best_header().height));
    o.insert("bestblockhash".into(), json!(tip.hash.to_string()));
    o.insert(
        "bits".into(),
        json!(format!("{:08x}", tip.header.bits.to_consensus())),
    );
    o.insert("target".into(), json!(target_hex(tip.header.bits)));
    o.insert(
        "difficulty".into(),
        format_double(difficulty(tip.header.bits.to_consensus())),
    );
    o.insert("time".into(), json!(tip.header.time));
    o.insert("mediantime".into(), json!(index.median_time_past(tip_i)));
    o.insert(
        "verificationprogress".into(),
        format_double(cs.verification_progress()),
    );
    o.insert(
        "initialblockdownload".into(),
        json!(cs.is_initial_block_download()),
    );
    o.insert(
        "chainwork".into(),
        json!(be_hex(tip.chain_work.to_be_bytes())),
    );
    o.insert("size_on_disk".into(), json!(cs.blocks_disk_usage()));
    o.insert("pruned".into(), json!(false));
    if n.chain_type == common::ChainType::Signet {
        o.insert(
            "signet_challenge".into(),
            json!(hex(cs.params().signet_challenge.as_deref().unwrap_or(&[]))),
        );
    }
    o.insert("warnings".into(), n.warnings_for_rpc());
    Value::Object(o)
}

fn gettxout(n: &NodeContext, req: &Request) -> RpcResult {
    let txid = Txid::from_byte_array(parse_hash(param(req, 0)?, "txid")?);
    let vout: i32 = get_int(param(req, 1)?)?;
    let Ok(vout) = u32::try_from(vout) else {
        return Ok(Value::Null);
    };
    let include_mempool = match req.param(2) {
        Some(v) if !v.is_null() => get_bool(v)?,
        _ => true,
    };
    let outpoint = OutPoint { txid, vout };
    let cs = n.chainstate();
    let coin = if include_mempool {
        // The pool's view over the chain's: its outputs count (unconfirmed), and what
        // it spends is gone.
        let pool = crate::context::lock(&n.mempool);
        if pool.spender(&outpoint).is_some() {
            None
        } else if let Some(tx) = pool.get(&txid) {
            tx.output.get(vout as usize).map(|o| chain::Coin {
                output: o.clone(),
                height: u32::MAX,
                is_coinbase: false,
            })
        } else {
            drop(pool);
            cs.coin(&outpoint).to_rpc(RPC_INTERNAL_ERROR)?
        }
    } else {
        cs.coin(&outpoint).to_rpc(RPC_INTERNAL_ERROR)?
    };
    let Some(coin) = coin else {
        return Ok(Value::Null);
    };
    let tip = cs.tip();
    let confirmations = if coin.height == u32::MAX {
        0
    } else {
        i64::from(cs.height()) - i64::from(coin.height) + 1
    };
    let mut o = Map::new();
    o.insert("bestblock".into(), json!(tip.to_string()));
    o.insert("confirmations".into(), json!(confirmations));
    o.insert(
        "value".into(),
        rpc::amount_value(coin.output.value.to_sat() as i64),
    );
    o.insert(
        "scriptPubKey".into(),
        chain_json::script_to_json(&coin.output.script_pubkey, true, true, cs.params().network),
    );
    o.insert("coinbase".into(), json!(coin.is_coinbase));
    Ok(Value::Object(o))
}

fn chain_tx_stats(n: &NodeContext, req: &Request) -> RpcResult {
    let cs = n.chainstate();
    let index = cs.index();
    let params = cs.params();
    // One month of blocks at the target spacing.
    let spacing = params.pow.pow_target_spacing.max(1);
    let default_blocks = 30 * 24 * 60 * 60 / spacing;
    let end = match req.param(1) {
        None => tip_index(&cs),
        Some(v) => {
            let hash = parse_block_hash(v, "blockhash")?;
            let i = index.find(&hash).ok_or_else(block_not_found)?;
            if !is_active(&cs, index.entry(i)) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Block is not in main chain",
                ));
            }
            i
        }
    };
    let e = index.entry(end);
    let height = i64::from(e.height);
    let blockcount: i64 = match req.param(0) {
        None => (default_blocks as i64).min(height - 1).max(0),
        Some(v) => {
            let b: i32 = get_int(v)?;
            let b = i64::from(b);
            if b < 0 || (b > 0 && b >= height) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Invalid block count: should be between 0 and the block's height - 1",
                ));
            }
            b
        }
    };
    let past = index
        .ancestor(end, (height - blockcount) as u32)
        .unwrap_or(end);
    let p = index.entry(past);
    let time_diff = index.median_time_past(end) - index.median_time_past(past);
    let mut o = Map::new();
    o.insert("time".into(), json!(e.header.time));
    if e.chain_tx_count > 0 {
        o.insert("txcount".into(), json!(e.chain_tx_count));
    }
    o.insert("window_final_block_hash".into(), json!(e.hash.to_string()));
    o.insert("window_final_block_height".into(), json!(e.height));
    o.insert("window_block_count".into(), json!(blockcount));
    if blockcount > 0 {
        o.insert("window_interval".into(), json!(time_diff));
        if e.chain_tx_count != 0 && p.chain_tx_count != 0 {
            let window_tx = e.chain_tx_count - p.chain_tx_count;
            o.insert("window_tx_count".into(), json!(window_tx));
            if time_diff > 0 {
                o.insert(
                    "txrate".into(),
                    format_double(window_tx as f64 / time_diff as f64),
                );
            }
        }
    }
    Ok(Value::Object(o))
}

fn txoutset_info(n: &NodeContext, req: &Request) -> RpcResult {
    let hash_type = match req.param(0) {
        Some(v) => super::values::get_str(v)?.to_string(),
        None => "hash_serialized_3".to_string(),
    };
    if !matches!(hash_type.as_str(), "hash_serialized_3" | "muhash" | "none") {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("'{hash_type}' is not a valid hash_type"),
        ));
    }
    if req.param(1).is_some() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Querying specific block heights requires coinstatsindex",
        ));
    }
    let mut cs = n.chainstate();
    let mut coins = cs.all_coins().to_rpc(RPC_INTERNAL_ERROR)?;
    coins.sort_by_key(|a| a.0);
    let tip = tip_index(&cs);
    let e = cs.index().entry(tip);
    let mut total: u64 = 0;
    let mut txids = 0u64;
    let mut bogosize = 0u64;
    let mut last: Option<Txid> = None;
    for (o, c) in &coins {
        total = total.saturating_add(c.output.value.to_sat());
        if last != Some(o.txid) {
            txids += 1;
            last = Some(o.txid);
        }
        // Core's GetBogoSize: fixed overhead plus the script.
        bogosize += 32 + 4 + 4 + 8 + 2 + c.output.script_pubkey.len() as u64;
    }
    let mut o = Map::new();
    o.insert("height".into(), json!(e.height));
    o.insert("bestblock".into(), json!(e.hash.to_string()));
    o.insert("txouts".into(), json!(coins.len()));
    o.insert("bogosize".into(), json!(bogosize));
    match hash_type.as_str() {
        "hash_serialized_3" => {
            let h = chain::coinstats::hash_serialized_3(coins.iter().map(|(o, c)| (o, c)));
            o.insert("hash_serialized_3".into(), json!(h.to_string()));
        }
        "muhash" => {
            let h = chain::coinstats::muhash(coins.iter().map(|(o, c)| (o, c)));
            o.insert(
                "muhash".into(),
                json!(chain::coinstats::display_uint256(&h)),
            );
        }
        _ => {}
    }
    o.insert("total_amount".into(), rpc::amount_value(total as i64));
    o.insert("transactions".into(), json!(txids));
    o.insert("disk_size".into(), json!(cs.coins_disk_size()));
    Ok(Value::Object(o))
}

const HEADER_RESULT: &str = r#"{                                 (json object)
  "hash" : "hex",                  (string) hash of the block (the one asked for)
  "confirmations" : n,             (numeric) Confirmations, or -1 when the block is off the main chain
  "height" : n,                    (numeric) Height of the block
  "version" : n,                   (numeric) Version field of the block
  "versionHex" : "hex",            (string) The same version, in hex
  "merkleroot" : "hex",            (string) Merkle root of the transactions
  "time" : xxx,                    (numeric) Block timestamp, UNIX epoch time
  "mediantime" : xxx,              (numeric) Median time past of the block, UNIX epoch time
  "nonce" : n,                     (numeric) Nonce field of the block
  "bits" : "hex",                  (string) nBits: the difficulty target in compact form
  "target" : "hex",                (string) Difficulty target in full
  "difficulty" : n,                (numeric) Difficulty of the block
  "chainwork" : "hex",             (string) Expected hashes needed to build the chain up to here
  "nTx" : n,                       (numeric) How many transactions the block has
  "previousblockhash" : "hex",     (string, optional) Hash of the block before (if there is one)
  "nextblockhash" : "hex"          (string, optional) Hash of the block after (if there is one)
}

Result (for verbose=false):
"hex"    (string) Block 'hash', serialized and hex-encoded"#;

const BLOCK_RESULT: &str = r#"(for verbosity = 0)
"hex"    (string) Block 'hash', serialized and hex-encoded

Result (for verbosity = 1):
{                                 (json object)
  "hash" : "hex",                  (string) hash of the block (the one asked for)
  "confirmations" : n,             (numeric) Confirmations, or -1 when the block is off the main chain
  "size" : n,                      (numeric) Size of the block in bytes
  "strippedsize" : n,              (numeric) Size without witness data
  "weight" : n,                    (numeric) Weight of the block (BIP 141)
  "coinbase_tx" : {...},           (json object) Details of the coinbase transaction: version, locktime, sequence, coinbase and witness
  "height" : n,                    (numeric) Height of the block
  "version" : n,                   (numeric) Version field of the block
  "versionHex" : "hex",            (string) The same version, in hex
  "merkleroot" : "hex",            (string) Merkle root of the transactions
  "tx" : [ "hex", ... ],           (json array) Ids of the block's transactions
  "time" : xxx,                    (numeric) Block timestamp, UNIX epoch time
  "mediantime" : xxx,              (numeric) Median time past of the block, UNIX epoch time
  "nonce" : n,                     (numeric) Nonce field of the block
  "bits" : "hex",                  (string) nBits: the difficulty target in compact form
  "target" : "hex",                (string) Difficulty target in full
  "difficulty" : n,                (numeric) Difficulty of the block
  "chainwork" : "hex",             (string) Expected hashes needed to build the chain up to this block (hex)
  "nTx" : n,                       (numeric) How many transactions the block has
  "previousblockhash" : "hex",     (string, optional) Hash of the block before (if there is one)
  "nextblockhash" : "hex"          (string, optional) Hash of the block after (if there is one)
}

Result (for verbosity = 2):
The same object, with "tx" holding each transaction as decoded by getrawtransaction, plus its
"fee" when the block's undo data is available.

Result (for verbosity = 3):
As for verbosity 2, with a "prevout" object on each input when undo data is available."#;

const CHAINTIPS_RESULT: &str = r#"[                        (json array)
  {                      (json object)
    "height" : n,        (numeric) height of this tip
    "hash" : "hex",      (string) hash of the tip block
    "branchlen" : n,     (numeric) 0 on the main chain, else how many blocks lead from the main chain to this tip
    "status" : "str"     (string) state of this branch; "active" means the main chain
                         status is one of:
                         1.  "invalid"               Some block of the branch is invalid
                         2.  "headers-only"          The headers are valid but some blocks are missing
                         3.  "valid-headers"         Every block is present, but the branch was never fully validated
                         4.  "valid-fork"            A fully validated branch that is not in the active chain
                         5.  "active"                The tip of the active main chain, valid for sure
  },
  ...
]"#;

const BLOCKCHAININFO_RESULT: &str = r#"{                                         (json object)
  "chain" : "str",                         (string) name of the network in use (main, test, testnet4, signet, regtest)
  "blocks" : n,                            (numeric) height of the fully validated chain with the most work; the genesis block is at 0
  "headers" : n,                           (numeric) how many headers have been validated so far
  "bestblockhash" : "str",                 (string) hash of the current best block
  "bits" : "hex",                          (string) nBits: the difficulty target in compact form
  "target" : "hex",                        (string) difficulty target in full
  "difficulty" : n,                        (numeric) difficulty of the tip
  "time" : xxx,                            (numeric) timestamp of the tip, UNIX epoch time
  "mediantime" : xxx,                      (numeric) median time past of the tip, UNIX epoch time
  "verificationprogress" : n,              (numeric) rough share of the chain verified so far [0..1]
  "initialblockdownload" : true|false,     (boolean) (debug information) whether the node believes it is still in Initial Block Download
  "chainwork" : "hex",                     (string) all the work in the active chain, in hex
  "size_on_disk" : n,                      (numeric) about how much disk space the block and undo files take
  "pruned" : true|false,                   (boolean) whether old blocks get pruned
  "signet_challenge" : "hex",              (string, optional) hex of the script blocks must satisfy (the block challenge), given on a signet only
  "warnings" : [                           (json array) current warnings about the network or the chain
    "str",                                 (string) one warning
    ...
  ]
}"#;

const TXOUT_RESULT: &str = r#"null    (json null) When there is no such unspent output

Result (Otherwise):
{                             (json object)
  "bestblock" : "hex",        (string) Hash of the current chain tip
  "confirmations" : n,        (numeric) How many confirmations it has
  "value" : n,                (numeric) Amount of the output in BTC
  "scriptPubKey" : {          (json object)
    "asm" : "str",            (string) The output script, disassembled
    "desc" : "str",           (string) Descriptor inferred for the output
    "hex" : "hex",            (string) The output script bytes, in hex
    "type" : "str",           (string) Kind of script, e.g. pubkeyhash
    "address" : "str"         (string, optional) Its Bitcoin address (when the script has a standard one)
  },
  "coinbase" : true|false     (boolean) Whether it is a coinbase output
}"#;

const WAIT_RESULT: &str = r#"{                       (json object)
  "hash" : "hex",       (string) Hash of the block
  "height" : n          (numeric) Height of the block
}"#;

const CHAINTXSTATS_RESULT: &str = r#"{                                       (json object)
  "time" : xxx,                          (numeric) Timestamp of the last block of the window, UNIX epoch time
  "txcount" : n,                         (numeric, optional) Transactions in the chain up to that block, when known
  "window_final_block_hash" : "hex",     (string) Hash of the last block of the window
  "window_final_block_height" : n,       (numeric) Height of the last block of the window.
  "window_block_count" : n,              (numeric) How many blocks the window spans
  "window_interval" : n,                 (numeric, optional) Seconds the window covers. Given only when "window_block_count" is > 0
  "window_tx_count" : n,                 (numeric, optional) Transactions inside the window. Given only when "window_block_count" is > 0 and txcount is known at both ends of the window.
  "txrate" : n                           (numeric, optional) Mean transactions per second over the window. Given only when "window_interval" is > 0 and window_tx_count is present.
}"#;

const TXOUTSETINFO_RESULT: &str = r#"{                                     (json object)
  "height" : n,                        (numeric) Height of the block the statistics are for
  "bestblock" : "hex",                 (string) Hash of the block the statistics are for
  "txouts" : n,                        (numeric) How many unspent outputs there are
  "bogosize" : n,                      (numeric) A rough size measure of the UTXO set, independent of the database; its value means nothing on its own
  "hash_serialized_3" : "hex",         (string, optional) The hash of the set (given only with hash_type 'hash_serialized_3')
  "muhash" : "hex",                    (string, optional) The hash of the set (given only with hash_type 'muhash')
  "transactions" : n,                  (numeric) How many transactions still have unspent outputs
  "disk_size" : n,                     (numeric) About how much disk space the chainstate takes
  "total_amount" : n                   (numeric) Sum of all amounts in the UTXO set
}"#;
