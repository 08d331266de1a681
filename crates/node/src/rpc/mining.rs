//! Mining commands (Core's `rpc/mining.cpp`): generating blocks on test networks,
//! submitting blocks and headers, and mining statistics.

use std::str::FromStr;
use std::sync::Arc;

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
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
        "generatetodescriptor",
        "Mines blocks whose coinbase pays to an output descriptor, and returns their hashes.",
        vec![
            Arg::required("num_blocks", ArgType::Num, "How many blocks to mine."),
            Arg::required("descriptor", ArgType::Str, "The descriptor the new coins go to."),
            Arg::optional("maxtries", ArgType::Num, json!(DEFAULT_MAX_TRIES), "How many nonces to try in all."),
        ],
        "[           (json array) hashes of blocks generated\n  \"hex\",    (string) blockhash\n  ...\n]",
        move |req| {
            let nblocks: i32 = get_int(param(req, 0)?)?;
            let max_tries: u64 = match req.param(2) {
                Some(v) => get_int(v)?,
                None => DEFAULT_MAX_TRIES,
            };
            let network = n.chainstate().params().network;
            let text = get_str(param(req, 1)?)?;
            let script = script_from_descriptor(text, network)?
                .map_err(|e| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, e))?;
            generate_blocks(&n, script, nblocks, max_tries)
        },
    ));
    let n = node.clone();
    table.register(command(
        "hidden",
        "generatetoaddress",
        "Mines blocks paying to the given address and returns their hashes.",
        vec![
            Arg::required("nblocks", ArgType::Num, "Number of blocks to mine."),
            Arg::required("address", ArgType::Str, "Address that receives the new coins."),
            Arg::optional("maxtries", ArgType::Num, json!(DEFAULT_MAX_TRIES), "Most attempts to make."),
        ],
        "[           (json array) the mined blocks\n  \"hex\",    (string) hash of one mined block\n  ...\n]",
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
    // Retired: answers like an unknown method, with a pointer to its replacement; its help
    // is that message alone, as Core's.
    let mut retired = command(
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
    );
    retired.examples = "".into();
    table.register(retired);
    let n = node.clone();
    table.register(command(
        "hidden",
        "generateblock",
        "Mines one block holding the given transactions in the given order, paying to an address or descriptor, and returns its hash.\nThe block reward does not include the fees of these transactions.",
        vec![
            Arg::required("output", ArgType::Str, "Address or descriptor that receives the new coins."),
            Arg::required("transactions", ArgType::Arr, "Hex strings, each a txid or a raw transaction.\nA txid has to name a transaction that is in the mempool now.\nThe block is rejected unless every transaction is valid and the order is valid too.")
                .with_inner(vec![Arg::omitted("rawtx/txid", ArgType::StrHex, "")]),
            Arg::optional("submit", ArgType::Bool, json!(true), "true to submit the block before answering, false to hand it back as hex instead."),
        ],
        "{                    (json object)\n  \"hash\" : \"hex\",    (string) hash of the new block\n  \"hex\" : \"hex\"      (string, optional) the new block in hex, given only with submit=false\n}",
        move |req| generate_block(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "submitblock",
        "Tries to add a new block and relay it to the network.\nThe full rules are in https://en.bitcoin.it/wiki/BIP_0022.\n",
        vec![
            Arg::required("hexdata", ArgType::StrHex, "the block to submit, serialized and hex-encoded"),
            Arg::hint("dummy", ArgType::Str, "ignored", "placeholder kept for BIP22 compatibility; it has no effect."),
        ],
        "null    (json null) When the block is accepted\n\nResult (Otherwise):\n\"str\"    (string) The BIP22 reason",
        move |req| submit_block(&n, req),
    ));
    let n = node.clone();
    table.register(command(
        "mining",
        "submitheader",
        "Reads hexdata as a block header and, if it is valid, offers it as a possible chain tip.\nAn invalid header gives an error.\n",
        vec![Arg::required("hexdata", ArgType::StrHex, "the block header, serialized and hex-encoded")],
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
        "Estimates the hash rate of the network, in hashes per second, from the latest n blocks.\n[blocks] sets how many blocks to use; -1 means all blocks since the difficulty last changed.\n[height] makes the estimate for the moment the block at that height was found.\n",
        vec![
            Arg::optional("nblocks", ArgType::Num, json!(120), "How many earlier blocks the estimate uses, or -1 for every block since the difficulty last changed."),
            Arg::optional("height", ArgType::Num, json!(-1), "Height of the block whose time the estimate is for."),
        ],
        "n    (numeric) Estimated hashes per second",
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
        "Gives a JSON object with information useful for mining.",
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
        // Wallets slower than block production hold it back here, outside the
        // chainstate lock (Core's LimitValidationInterfaceQueue).
        n.notifications.limit(10);
        let now = n.now();
        let mut cs = n.chainstate();
        let sel = crate::mempool_chain::select_for_next_block(n, &cs);
        let txs: Vec<bitcoin::Transaction> = sel.txs.iter().map(|t| (**t).clone()).collect();
        let mut block = cs.create_new_block(script.clone(), txs, sel.total_fees, now);
        match grind(&mut block, &cs, &mut max_tries) {
            None => break,
            Some(false) => continue,
            Some(true) => {}
        }
        let r = cs.process_block(&block, now);
        crate::mempool_chain::update_for_reorg(n, &cs);
        r.map_err(|_| RpcError::new(RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted"))?;
        count -= 1;
        hashes.push(json!(block.block_hash().to_string()));
    }
    Ok(Value::Array(hashes))
}

/// Core's `getScriptFromDescriptor`: the one script the mining commands pay to. `Ok(Err)`
/// carries the parser's message when `text` is no descriptor; descriptors that give no
/// single script are errors. For `combo()` it is the P2WPKH script of a compressed key,
/// else the P2PKH one, as Core picks.
fn script_from_descriptor(
    text: &str,
    network: bitcoin::Network,
) -> Result<Result<ScriptBuf, String>, RpcError> {
    let descs = match descriptors::parse(text, false, network) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e.0)),
    };
    if descs.len() > 1 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Multipath descriptor not accepted",
        ));
    }
    let Some(desc) = descs.first() else {
        return Ok(Err(String::new()));
    };
    if desc.is_range() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
        ));
    }
    let scripts = desc
        .expand(0)
        .map_err(|e| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, e.to_string()))?;
    let chosen = match scripts.len() {
        1 => scripts.into_iter().next(),
        4 => scripts.into_iter().nth(2),
        _ => scripts.into_iter().nth(1),
    };
    chosen
        .map(Ok)
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Unexpected empty result"))
}

fn generate_block(n: &NodeContext, req: &Request) -> RpcResult {
    let output = get_str(param(req, 0)?)?;
    let network = n.chainstate().params().network;
    // A descriptor first; only text that does not parse as one is tried as an address.
    let script = match script_from_descriptor(output, network)? {
        Ok(script) => script,
        Err(_) => decode_address(output, network).ok_or_else(|| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                "Error: Invalid address or descriptor",
            )
        })?,
    };
    let mut txs = Vec::new();
    for v in get_array(param(req, 1)?)? {
        let s = get_str(v)?;
        if s.len() == 64 && decode_hex(s).is_some() {
            let txid = bitcoin::Txid::from_byte_array(crate::rpc::values::parse_hash(v, "txid")?);
            let tx = crate::context::lock(&n.mempool).get(&txid).ok_or_else(|| {
                RpcError::new(
                    RPC_INVALID_ADDRESS_OR_KEY,
                    format!("Transaction {s} not in mempool."),
                )
            })?;
            txs.push((*tx).clone());
            continue;
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
    // Core builds it with an assembler that takes nothing from the pool.
    *crate::context::lock(&n.last_block) = Some((n.assembler.reserved_weight, 0));
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
        let r = cs.process_block(&block, now);
        crate::mempool_chain::update_for_reorg(n, &cs);
        r.map_err(|_| RpcError::new(RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted"))?;
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
    let mut block: Block = chain_json::decode_hex_block(get_str(param(req, 0)?)?)
        .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
    n.notifications.limit(10);
    let now = n.now();
    let mut cs = n.chainstate();
    update_uncommitted_block_structures(&cs, &mut block);
    let r = cs.process_block(&block, now);
    crate::mempool_chain::update_for_reorg(n, &cs);
    match r {
        Ok(outcome) if !outcome.new_block => Ok(json!("duplicate")),
        Ok(outcome) if !outcome.active => Ok(json!("inconclusive")),
        Ok(_) => Ok(Value::Null),
        Err(ProcessError::Header(h)) => Ok(json!(h.reason())),
        Err(ProcessError::Block(b)) => Ok(json!(block_reason(&b))),
        Err(e) => Err(RpcError::new(RPC_VERIFY_ERROR, e.to_string())),
    }
}

/// `UpdateUncommittedBlockStructures`: a block with a witness commitment on a chain
/// where segwit is active gets the default witness reserved value (32 zero bytes) in its
/// coinbase if the coinbase has no witness, as miners may leave it out.
fn update_uncommitted_block_structures(cs: &ChainState, block: &mut Block) {
    let Some(prev) = cs.index().find(&block.header.prev_blockhash) else {
        return;
    };
    let segwit = cs.index().entry(prev).height + 1 >= cs.params().segwit_height;
    if !segwit || chain::validation::witness_commitment_index(block).is_none() {
        return;
    }
    let Some(coinbase) = block.txdata.first_mut() else {
        return;
    };
    if coinbase.input.iter().any(|i| !i.witness.is_empty()) {
        return;
    }
    if let Some(input) = coinbase.input.first_mut() {
        input.witness = bitcoin::Witness::from_slice(&[[0u8; 32]]);
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
    if let Some((weight, txs)) = *crate::context::lock(&n.last_block) {
        o.insert("currentblockweight".into(), json!(weight));
        o.insert("currentblocktx".into(), json!(txs));
    }
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
    o.insert(
        "blockmintxfee".into(),
        rpc::amount_value(n.assembler.min_feerate),
    );
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
    o.insert("warnings".into(), n.warnings_for_rpc());
    Ok(Value::Object(o))
}

const MININGINFO_RESULT: &str = r#"{                              (json object)
  "blocks" : n,                 (numeric) Height of the chain tip
  "currentblockweight" : n,     (numeric, optional) Weight of the last block assembled (with the reserved weight); only after one was
  "currentblocktx" : n,         (numeric, optional) Transactions, besides the coinbase, in the last block assembled; only after one was
  "bits" : "hex",               (string) nBits of the tip: the difficulty target in compact form
  "difficulty" : n,             (numeric) Difficulty of the tip
  "target" : "hex",             (string) Target of the tip
  "networkhashps" : n,          (numeric) Estimated network hash rate, per second
  "pooledtx" : n,               (numeric) Transactions in the mempool
  "blockmintxfee" : n,          (numeric) Lowest fee rate, in BTC/kvB, at which a package is put in a block
  "chain" : "str",              (string) name of the network in use (main, test, testnet4, signet, regtest)
  "signet_challenge" : "hex",   (string, optional) Hex of the script blocks must satisfy (the block challenge), given on a signet only
  "next" : {                    (json object) About the block to be mined next
    "height" : n,               (numeric) Its height
    "bits" : "hex",             (string) Its target as nBits
    "difficulty" : n,           (numeric) Its difficulty
    "target" : "hex"            (string) Its target
  },
  "warnings" : [                (json array) current warnings about the network or the chain
    "str",                      (string) one warning
    ...
  ]
}"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const PK: &str = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
    const TPUB: &str = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
    const TPRV: &str = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";

    #[test]
    fn generate_scripts() {
        let script = |d: &str| script_from_descriptor(d, bitcoin::Network::Regtest);
        let hex = |d: &str| hex(script(d).unwrap().unwrap().as_bytes());
        // combo() of a compressed key mines to P2WPKH, of an uncompressed one to P2PKH.
        assert!(hex(&format!("combo({PK})")).starts_with("0014"));
        let uncompressed = "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235";
        assert!(hex(&format!("combo({uncompressed})")).starts_with("76a914"));
        assert_eq!(hex("raw(6a00)"), "6a00");
        let e = |d: &str| {
            let e = script(d).unwrap_err();
            (e.code, e.message)
        };
        assert_eq!(
            e(&format!("wpkh({TPUB}/<0;1>)")),
            (-8, "Multipath descriptor not accepted".into())
        );
        assert_eq!(
            e(&format!("wpkh({TPUB}/*)")),
            (
                -8,
                "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?".into()
            )
        );
        assert_eq!(
            e(&format!("wpkh({TPUB}/1h)")),
            (-5, "Cannot derive script without private keys".into())
        );
        assert_eq!(
            script("foo").unwrap(),
            Err("'foo' is not a valid descriptor function".into())
        );
        assert!(hex(&format!("wpkh({TPRV}/1h)")).starts_with("0014"));
    }
}
