//! Mining commands (Core's `rpc/mining.cpp`): generating blocks on test networks,
//! submitting blocks and headers, and mining statistics.

use std::str::FromStr;
use std::sync::Arc;

use bitcoin::consensus::encode::serialize;
use bitcoin::{Address, Block, ScriptBuf};
use chain::{BlockError, ChainState, ProcessError};
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY,
    RPC_INVALID_PARAMETER, RPC_METHOD_NOT_FOUND, RPC_MISC_ERROR, RPC_VERIFY_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};

use super::blockchain::{difficulty, param, target_hex, tip_index};
use super::values::{decode_hex, get_array, get_bool, get_int, get_str, hex};
use super::{command, format_double};
use crate::context::NodeContext;

/// Default `maxtries` of the generate commands.
const DEFAULT_MAX_TRIES: u64 = 1_000_000;

/// Registers the mining commands.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "hidden",
        "generatetoaddress",
        "Mine to a specified address and return the block hashes.",
        vec![
            Arg::required("nblocks", ArgType::Num, "How many blocks are generated."),
            Arg::required("address", ArgType::Str, "The address to send the newly generated bitcoin to."),
            Arg::optional("maxtries", ArgType::Num, json!(DEFAULT_MAX_TRIES), "How many iterations to try."),
        ],
        "[           (json array) hashes of blocks generated\n  \"hex\",    (string) blockhash\n  ...\n]",
        move |req| {
            let nblocks: i32 = get_int(param(req, 0)?)?;
            let max_tries: u64 = match req.param(2) {
                Some(v) => get_int::<i32>(v)? as u64,
                None => DEFAULT_MAX_TRIES,
            };
            let script = {
                let cs = n.chainstate();
                decode_address(get_str(param(req, 1)?)?, cs.params().network)
            }
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))?;
            generate_blocks(&n, script, nblocks, max_tries)
        },
    ));
    // Retired: answers like an unknown method, with a pointer to its replacement.
    table.register(command(
        "hidden",
        "generate",
        "has been replaced by the -generate cli option. Refer to -help for more information.",
        vec![],
        "",
        |_| {
            Err(RpcError::new(
                RPC_METHOD_NOT_FOUND,
                "generate\n\nhas been replaced by the -generate cli option. Refer to -help for more information.\n",
            ))
        },
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "generateblock",
        "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.\nTransaction fees are not collected in the block reward.",
        vec![
            Arg::required("output", ArgType::Str, "The address or descriptor to send the newly generated bitcoin to."),
            Arg::required("transactions", ArgType::Arr, "An array of hex strings which are either txids or raw transactions.\nTxids must reference transactions currently in the mempool.\nAll transactions must be valid and in valid order, otherwise the block will be rejected.")
                .with_inner(vec![Arg::omitted("rawtx/txid", ArgType::StrHex, "")]),
            Arg::optional("submit", ArgType::Bool, json!(true), "Whether to submit the block before the RPC call returns or to return it as hex."),
        ],
        "{                    (json object)\n  \"hash\" : \"hex\",    (string) hash of generated block\n  \"hex\" : \"hex\"      (string, optional) hex of generated block, only present when submit=false\n}",
        move |req| generate_block(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "submitblock",
        "Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.\n",
        vec![
            Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block data to submit"),
            Arg::hint("dummy", ArgType::Str, "ignored", "dummy value, for compatibility with BIP22. This value is ignored."),
        ],
        "null    (json null) If the block was accepted\n\nResult (Otherwise):\n\"str\"    (string) According to BIP22",
        move |req| submit_block(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "submitheader",
        "Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.\n",
        vec![Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block header data")],
        "null    (json null) None",
        move |req| {
            let header = chain_json::decode_hex_header(get_str(param(req, 0)?)?)
                .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block header decode failed"))?;
            let now = n.now();
            let mut cs = n.chainstate();
            if cs.index().find(&header.prev_blockhash).is_none() {
                return Err(RpcError::new(
                    RPC_VERIFY_ERROR,
                    format!("Must submit previous header ({}) first", header.prev_blockhash),
                ));
            }
            cs.process_headers(&[header], now)
                .map_err(|e| RpcError::new(RPC_VERIFY_ERROR, e.reason()))?;
            Ok(Value::Null)
        },
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "getnetworkhashps",
        "Returns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.\n",
        vec![
            Arg::optional("nblocks", ArgType::Num, json!(120), "The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change."),
            Arg::optional("height", ArgType::Num, json!(-1), "To estimate at the time of the given height."),
        ],
        "n    (numeric) Hashes per second estimated",
        move |req| {
            let nblocks: i32 = match req.param(0) { Some(v) => get_int(v)?, None => 120 };
            let height: i32 = match req.param(1) { Some(v) => get_int(v)?, None => -1 };
            let cs = n.chainstate();
            network_hash_ps(&cs, nblocks, height).map(format_double)
        },
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "getmininginfo",
        "Returns a json object containing mining-related information.",
        vec![],
        MININGINFO_RESULT,
        move |_| mining_info(&n),
    ));
}

/// An address of this network as its output script (`DecodeDestination`).
fn decode_address(s: &str, network: bitcoin::Network) -> Option<ScriptBuf> {
    Address::from_str(s)
        .ok()?
        .require_network(network)
        .ok()
        .map(|a| a.script_pubkey())
}

/// `GenerateBlock`: grinds the nonce within the shared try budget. `None` when the budget
/// ran out; `Some(false)` when the nonce space did (Core then builds a new block).
fn grind(block: &mut Block, cs: &ChainState, max_tries: &mut u64) -> Option<bool> {
    while *max_tries > 0
        && block.header.nonce < u32::MAX
        && !chain::pow::check_proof_of_work(block.block_hash(), block.header.bits, cs.params())
    {
        block.header.nonce += 1;
        *max_tries -= 1;
    }
    if *max_tries == 0 {
        return None;
    }
    Some(block.header.nonce != u32::MAX)
}

fn generate_blocks(
    n: &NodeContext,
    script: ScriptBuf,
    mut count: i32,
    mut max_tries: u64,
) -> RpcResult {
    let mut hashes = Vec::new();
    while count > 0 && !n.shutdown_requested() {
        let now = n.now();
        let mut cs = n.chainstate();
        let mut block = cs.create_new_block(script.clone(), Vec::new(), 0, now);
        match grind(&mut block, &cs, &mut max_tries) {
            None => break,
            Some(false) => continue,
            Some(true) => {}
        }
        cs.process_block(&block, now).map_err(|_| {
            RpcError::new(RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted")
        })?;
        count -= 1;
        hashes.push(json!(block.block_hash().to_string()));
    }
    Ok(Value::Array(hashes))
}

fn generate_block(n: &NodeContext, req: &Request) -> RpcResult {
    let output = get_str(param(req, 0)?)?;
    let network = n.chainstate().params().network;
    let script = decode_address(output, network).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            "Error: Invalid address or descriptor",
        )
    })?;
    let mut txs = Vec::new();
    for v in get_array(param(req, 1)?)? {
        let s = get_str(v)?;
        if s.len() == 64 && decode_hex(s).is_some() {
            // A txid names a mempool transaction; this node keeps no mempool yet.
            return Err(RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                format!("Transaction {s} not in mempool."),
            ));
        }
        let tx = chain_json::parse_hex_tx(s, false, true).ok_or_else(|| {
            RpcError::new(
                RPC_DESERIALIZATION_ERROR,
                format!(
                    "Transaction decode failed for {s}. Make sure the tx has at least one input."
                ),
            )
        })?;
        txs.push(tx);
    }
    let submit = match req.param(2) {
        Some(v) => get_bool(v)?,
        None => true,
    };
    let now = n.now();
    let mut cs = n.chainstate();
    let mut block = cs.create_new_block(script, txs, 0, now);
    cs.test_block_validity(&block, false, false, now)
        .map_err(|e| {
            RpcError::new(
                RPC_VERIFY_ERROR,
                format!("TestBlockValidity failed: {}", validation_state_string(&e)),
            )
        })?;
    let mut max_tries = DEFAULT_MAX_TRIES;
    if grind(&mut block, &cs, &mut max_tries) != Some(true) {
        return Err(RpcError::new(RPC_MISC_ERROR, "Failed to make block."));
    }
    let mut o = Map::new();
    o.insert("hash".into(), json!(block.block_hash().to_string()));
    if submit {
        cs.process_block(&block, now).map_err(|_| {
            RpcError::new(RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted")
        })?;
    } else {
        o.insert("hex".into(), json!(hex(&serialize(&block))));
    }
    Ok(Value::Object(o))
}

/// `BlockValidationState::ToString`: the reason, then the debug message if any.
fn validation_state_string(e: &ProcessError) -> String {
    let (reason, debug) = match e {
        ProcessError::Header(h) => (h.reason(), h.debug_message()),
        ProcessError::Block(b) => (b.reason(), b.debug_message()),
        other => return other.to_string(),
    };
    if debug.is_empty() {
        reason
    } else {
        format!("{reason}, {debug}")
    }
}

fn submit_block(n: &NodeContext, req: &Request) -> RpcResult {
    let block: Block = chain_json::decode_hex_block(get_str(param(req, 0)?)?)
        .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
    let now = n.now();
    let mut cs = n.chainstate();
    match cs.process_block(&block, now) {
        Ok(outcome) if !outcome.new_block => Ok(json!("duplicate")),
        Ok(outcome) if !outcome.active => Ok(json!("inconclusive")),
        Ok(_) => Ok(Value::Null),
        Err(ProcessError::Header(h)) => Ok(json!(h.reason())),
        Err(ProcessError::Block(b)) => Ok(json!(block_reason(&b))),
        Err(e) => Err(RpcError::new(RPC_VERIFY_ERROR, e.to_string())),
    }
}

fn block_reason(b: &BlockError) -> String {
    let r = b.reason();
    if r.is_empty() {
        "rejected".into()
    } else {
        r
    }
}

/// `GetNetworkHashPS`.
fn network_hash_ps(cs: &ChainState, lookup: i32, height: i32) -> Result<f64, RpcError> {
    if height < -1 || i64::from(height) > i64::from(cs.height()) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Block does not exist at specified height",
        ));
    }
    let index = cs.index();
    let pb = if height >= 0 {
        index
            .find(&cs.hash_at(height as u32).unwrap_or(cs.tip()))
            .unwrap_or(0)
    } else {
        tip_index(cs)
    };
    let pb_height = index.entry(pb).height;
    if pb_height == 0 {
        return Ok(0.0);
    }
    let mut lookup = i64::from(lookup);
    if lookup == -1 {
        lookup = i64::from(pb_height % cs.params().difficulty_adjustment_interval()) + 1;
    }
    if lookup <= 0 || lookup > i64::from(pb_height) {
        lookup = i64::from(pb_height);
    }
    let mut pb0 = pb;
    let mut min_time = i64::from(index.entry(pb).header.time);
    let mut max_time = min_time;
    for _ in 0..lookup {
        let Some(p) = index.entry(pb0).prev else {
            break;
        };
        pb0 = p;
        let t = i64::from(index.entry(pb0).header.time);
        min_time = min_time.min(t);
        max_time = max_time.max(t);
    }
    if min_time == max_time {
        return Ok(0.0);
    }
    let work = work_to_f64(index.entry(pb).chain_work) - work_to_f64(index.entry(pb0).chain_work);
    Ok(work / (max_time - min_time) as f64)
}

fn work_to_f64(w: bitcoin::pow::Work) -> f64 {
    w.to_be_bytes()
        .iter()
        .fold(0.0, |acc, b| acc * 256.0 + f64::from(*b))
}

fn mining_info(n: &NodeContext) -> RpcResult {
    let now = n.now();
    let cs = n.chainstate();
    let index = cs.index();
    let tip_i = tip_index(&cs);
    let tip = index.entry(tip_i);
    let mut o = Map::new();
    o.insert("blocks".into(), json!(tip.height));
    o.insert(
        "bits".into(),
        json!(format!("{:08x}", tip.header.bits.to_consensus())),
    );
    o.insert(
        "difficulty".into(),
        format_double(difficulty(tip.header.bits.to_consensus())),
    );
    o.insert("target".into(), json!(target_hex(tip.header.bits)));
    o.insert(
        "networkhashps".into(),
        format_double(network_hash_ps(&cs, 120, -1)?),
    );
    o.insert(
        "pooledtx".into(),
        json!(crate::context::lock(&n.mempool).size()),
    );
    o.insert("blockmintxfee".into(), rpc::amount_value(1));
    o.insert("chain".into(), json!(n.chain_type.name()));
    let next_time = now.max(index.median_time_past(tip_i) + 1);
    let next_bits = index.next_bits(tip_i, u32::try_from(next_time).unwrap_or(u32::MAX));
    let mut next = Map::new();
    next.insert("height".into(), json!(tip.height + 1));
    next.insert(
        "bits".into(),
        json!(format!("{:08x}", next_bits.to_consensus())),
    );
    next.insert(
        "difficulty".into(),
        format_double(difficulty(next_bits.to_consensus())),
    );
    next.insert("target".into(), json!(target_hex(next_bits)));
    o.insert("next".into(), Value::Object(next));
    if n.chain_type == common::ChainType::Signet {
        o.insert(
            "signet_challenge".into(),
            json!(hex(cs.params().signet_challenge.as_deref().unwrap_or(&[]))),
        );
    }
    o.insert("warnings".into(), json!([]));
    Ok(Value::Object(o))
}

const MININGINFO_RESULT: &str = r#"{                              (json object)
  "blocks" : n,                 (numeric) The current block
  "bits" : "hex",               (string) The current nBits, compact representation of the block difficulty target
  "difficulty" : n,             (numeric) The current difficulty
  "target" : "hex",             (string) The current target
  "networkhashps" : n,          (numeric) The network hashes per second
  "pooledtx" : n,               (numeric) The size of the mempool
  "blockmintxfee" : n,          (numeric) Minimum feerate of packages selected for block inclusion in BTC/kvB
  "chain" : "str",              (string) current network name (main, test, testnet4, signet, regtest)
  "signet_challenge" : "hex",   (string, optional) The block challenge (aka. block script), in hexadecimal (only present if the current network is a signet)
  "next" : {                    (json object) The next block
    "height" : n,               (numeric) The next height
    "bits" : "hex",             (string) The next target nBits
    "difficulty" : n,           (numeric) The next difficulty
    "target" : "hex"            (string) The next target
  },
  "warnings" : [                (json array) any network and blockchain warnings
    "str",                      (string) warning
    ...
  ]
}"#;
