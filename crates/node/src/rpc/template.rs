//! `getblocktemplate` (BIP22, BIP23, BIP9 and BIP145): block templates for external miners,
//! block proposals checked without being stored, and long polling on the tip.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::{Block, BlockHash, ScriptBuf};
use chain::index::BlockStatus;
use chain::versionbits::GbtDeployment;
use chain::{ChainState, ProcessError};
use rpc::codes::{
    RPC_CLIENT_IN_INITIAL_DOWNLOAD, RPC_CLIENT_NOT_CONNECTED, RPC_DESERIALIZATION_ERROR,
    RPC_INTERNAL_ERROR, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, RPC_VERIFY_ERROR,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table, Value};
use serde_json::{json, Map};

use super::command;
use super::values::{get_str, hex, parse_block_hash};
use crate::context::{lock, NodeContext};

/// Most signature operations (cost) in a block (`MAX_BLOCK_SIGOPS_COST`).
const MAX_BLOCK_SIGOPS_COST: i64 = 80_000;
/// Largest serialized block (`MAX_BLOCK_SERIALIZED_SIZE`).
const MAX_BLOCK_SERIALIZED_SIZE: i64 = 4_000_000;
/// Largest block weight (`MAX_BLOCK_WEIGHT`).
const MAX_BLOCK_WEIGHT: i64 = 4_000_000;
/// Witness scale factor.
const WITNESS_SCALE_FACTOR: i64 = 4;
/// The client name in Core's connection errors.
const CLIENT_NAME: &str = "Bitcoin Core";
/// First wait of a long poll before the pool is looked at.
const LONGPOLL_FIRST_WAIT: Duration = Duration::from_secs(60);
/// Later waits of a long poll.
const LONGPOLL_NEXT_WAIT: Duration = Duration::from_secs(10);

/// The template last built, reused while the tip stays (Core keeps it across calls).
struct CachedTemplate {
    tip: BlockHash,
    block: Block,
    /// The pool's change counter when it was built.
    updated: u64,
    /// When it was built.
    time_start: i64,
    /// Fee and sigop cost of each transaction after the coinbase.
    fees: Vec<i64>,
    sigops: Vec<i64>,
}

/// Registers `getblocktemplate`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    let cache: Arc<Mutex<Option<CachedTemplate>>> = Arc::new(Mutex::new(None));
    table.register(command(
        "mining",
        "getblocktemplate",
        "If the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\nIt returns data needed to construct a block to work on.\nFor full specification, see BIPs 22, 23, 9, and 145:\n    https://github.com/bitcoin/bips/blob/master/bip-0022.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0023.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0009.mediawiki#getblocktemplate_changes\n    https://github.com/bitcoin/bips/blob/master/bip-0145.mediawiki\n",
        vec![Arg::required("template_request", ArgType::Obj, "Format of the template").with_inner(vec![
            Arg::omitted("mode", ArgType::Str, "This must be set to \"template\", \"proposal\" (see BIP 23), or omitted"),
            Arg::omitted("capabilities", ArgType::Arr, "A list of strings").with_inner(vec![
                Arg::omitted("str", ArgType::Str, "client side supported feature, 'longpoll', 'coinbasevalue', 'proposal', 'serverlist', 'workid'"),
            ]),
            Arg::required("rules", ArgType::Arr, "A list of strings").with_inner(vec![
                Arg::required("segwit", ArgType::Str, "(literal) indicates client side segwit support"),
                Arg::omitted("str", ArgType::Str, "other client side supported softfork deployment"),
            ]),
            Arg::omitted("longpollid", ArgType::Str, "delay processing request until the result would vary significantly from the \"longpollid\" of a prior template"),
            Arg::omitted("data", ArgType::StrHex, "proposed block data to check, encoded in hexadecimal; valid only for mode=\"proposal\""),
        ])],
        "",
        move |req| block_template(&n, &cache, req),
    ));
}

/// What the request asked for.
struct TemplateRequest<'a> {
    mode: String,
    longpoll: Option<&'a Value>,
    rules: BTreeSet<String>,
}

fn parse_request(req: &Request) -> Result<TemplateRequest<'_>, RpcError> {
    let mut out = TemplateRequest {
        mode: "template".into(),
        longpoll: None,
        rules: BTreeSet::new(),
    };
    let Some(obj) = req.param(0).and_then(Value::as_object) else {
        return Ok(out);
    };
    match obj.get("mode") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => out.mode = s.clone(),
        Some(_) => return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid mode")),
    }
    out.longpoll = obj.get("longpollid").filter(|v| !v.is_null());
    if out.mode != "proposal" {
        if let Some(Value::Array(rules)) = obj.get("rules") {
            for r in rules {
                out.rules.insert(get_str(r)?.to_string());
            }
        }
    }
    Ok(out)
}

fn block_template(
    n: &NodeContext,
    cache: &Mutex<Option<CachedTemplate>>,
    req: &Request,
) -> RpcResult {
    let request = parse_request(req)?;
    if request.mode == "proposal" {
        let data = req
            .param(0)
            .and_then(|o| o.get("data"))
            .and_then(Value::as_str)
            .ok_or_else(|| RpcError::new(RPC_TYPE_ERROR, "Missing data String key for proposal"))?;
        let block = chain_json::decode_hex_block(data)
            .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
        let now = n.now();
        return check_proposal(&mut n.chainstate(), &block, now);
    }
    if request.mode != "template" {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid mode"));
    }
    {
        let cs = n.chainstate();
        if !cs.params().is_test_chain() {
            // No peer-to-peer layer yet: never connected to anyone.
            if connection_count(n) == 0 {
                return Err(RpcError::new(
                    RPC_CLIENT_NOT_CONNECTED,
                    format!("{CLIENT_NAME} is not connected!"),
                ));
            }
            if cs.is_initial_block_download() {
                return Err(RpcError::new(
                    RPC_CLIENT_IN_INITIAL_DOWNLOAD,
                    format!("{CLIENT_NAME} is in initial sync and waiting for blocks..."),
                ));
            }
        }
    }
    if let Some(lp) = request.longpoll {
        long_poll(n, lp)?;
    }
    let now = n.now();
    let cs = n.chainstate();
    let params = cs.params();
    if params.signet_challenge.is_some() && !request.rules.contains("signet") {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "getblocktemplate must be called with the signet rule set (call with {\"rules\": [\"segwit\", \"signet\"]})"));
    }
    if !request.rules.contains("segwit") {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})"));
    }
    let block = {
        let mut c = lock(cache);
        let tip = cs.tip();
        let updated = transactions_updated(n);
        let stale = c
            .as_ref()
            .is_none_or(|t| t.tip != tip || (t.updated != updated && now - t.time_start > 5));
        if stale {
            let sel = crate::mempool_chain::select_for_next_block(n, &cs);
            let txs: Vec<bitcoin::Transaction> = sel.txs.iter().map(|t| (**t).clone()).collect();
            *c = Some(CachedTemplate {
                tip,
                block: cs.create_new_block(
                    ScriptBuf::from_bytes(vec![0x51]),
                    txs,
                    sel.total_fees,
                    now,
                ),
                updated,
                time_start: now,
                fees: sel.fees,
                sigops: sel.sigops,
            });
        }
        match c.as_ref() {
            Some(t) => (t.block.clone(), t.fees.clone(), t.sigops.clone(), t.updated),
            None => {
                return Err(RpcError::new(
                    RPC_INTERNAL_ERROR,
                    "Internal bug detected: block_template",
                ))
            }
        }
    };
    let (mut block, fees, sigops, updated) = block;
    template_json(
        &cs,
        &mut block,
        &request.rules,
        now,
        (&fees, &sigops, updated),
    )
}

/// Peers the node is connected to: none, as there is no peer-to-peer layer yet.
fn connection_count(_n: &NodeContext) -> usize {
    0
}

/// Changes to the pool so far (`GetTransactionsUpdated`), as Core's 32-bit counter.
fn transactions_updated(n: &NodeContext) -> u64 {
    lock(&n.mempool).transactions_updated() as u32 as u64
}

/// Waits until the tip differs from the one `longpollid` names, or the pool changed.
fn long_poll(n: &NodeContext, lp: &Value) -> Result<(), RpcError> {
    let (watched, updated_last) = match lp {
        Value::String(s) => {
            let bytes = s.as_bytes();
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
            let hash = parse_block_hash(&Value::String(head), "longpollid")?;
            let tail = String::from_utf8_lossy(&bytes[bytes.len().min(64)..]).into_owned();
            (hash, atoi(&tail) as u32 as u64)
        }
        // Not in the spec; watching the current tip makes testing easier, as in Core.
        _ => (n.tip.get().hash, transactions_updated(n)),
    };
    let mut wait = LONGPOLL_FIRST_WAIT;
    while !n.shutdown_requested() {
        let tip = n
            .tip
            .wait_until(Some(wait), || n.shutdown_requested(), |t| t.hash != watched);
        if tip.hash != watched || transactions_updated(n) != updated_last {
            break;
        }
        wait = LONGPOLL_NEXT_WAIT;
    }
    if n.shutdown_requested() {
        return Err(RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down"));
    }
    Ok(())
}

/// `LocaleIndependentAtoi<int64_t>`: surrounding whitespace trimmed, an optional sign,
/// leading digits; 0 when there are none or they overflow.
fn atoi(s: &str) -> i64 {
    let s = s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'));
    let s = match s.strip_prefix('+') {
        Some(rest) if rest.starts_with('-') => return 0,
        Some(rest) => rest,
        None => s,
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    let text = if neg {
        format!("-{}", &digits[..end])
    } else {
        digits[..end].to_string()
    };
    text.parse().unwrap_or(0)
}

/// A proposal's BIP22 answer: null when valid, else the reject reason.
fn check_proposal(cs: &mut ChainState, block: &Block, now: i64) -> RpcResult {
    let hash = block.block_hash();
    if let Some(status) = cs.status(&hash) {
        let valid_scripts =
            !status.failed() && status.0 & BlockStatus::VALID_MASK >= BlockStatus::VALID_SCRIPTS;
        return Ok(json!(if valid_scripts {
            "duplicate"
        } else if status.0 & BlockStatus::FAILED_VALID != 0 {
            "duplicate-invalid"
        } else {
            "duplicate-inconclusive"
        }));
    }
    match cs.test_block_validity(block, false, true, now) {
        Ok(()) => Ok(Value::Null),
        Err(ProcessError::Header(e)) => Ok(json!(non_empty(e.reason()))),
        Err(ProcessError::Block(e)) => Ok(json!(non_empty(e.reason()))),
        Err(ProcessError::NotOnTip) => Ok(json!("inconclusive-not-best-prevblk")),
        Err(e) => Err(RpcError::new(RPC_VERIFY_ERROR, e.to_string())),
    }
}

fn non_empty(reason: String) -> String {
    if reason.is_empty() {
        "rejected".into()
    } else {
        reason
    }
}

/// A rule name, with `!` in front when clients may not ignore it.
fn rule_name(d: &GbtDeployment) -> String {
    if d.gbt_optional_rule {
        d.name.to_string()
    } else {
        format!("!{}", d.name)
    }
}

/// The template of `block` (built on the tip) as Core lays it out.
fn template_json(
    cs: &ChainState,
    block: &mut Block,
    client_rules: &BTreeSet<String>,
    now: i64,
    (fees, sigops, updated): (&[i64], &[i64], u64),
) -> RpcResult {
    let params = cs.params();
    let height = cs.height();
    let prev = cs.active_entry(height).unwrap_or(0);
    let min_time = cs.minimum_block_time();
    // The time moves on with the clock, never below the minimum nor backwards.
    let time = now.max(min_time).max(i64::from(block.header.time));
    block.header.time = u32::try_from(time).unwrap_or(u32::MAX);
    if params.pow.allow_min_difficulty_blocks {
        block.header.bits = cs.index().next_bits(prev, block.header.time);
    }
    block.header.nonce = 0;
    let pre_segwit = height + 1 < params.segwit_height;

    let mut version = block.header.version.to_consensus();
    let mut rules = vec![json!("csv")];
    if !pre_segwit {
        rules.push(json!("!segwit"));
        rules.push(json!("taproot"));
    }
    if params.signet_challenge.is_some() {
        rules.push(json!("!signet"));
    }
    let status = cs
        .versionbits()
        .gbt_status(cs.index(), &params.deployments, prev);
    let mut vbavailable = Map::new();
    for d in &status.signalling {
        vbavailable.insert(rule_name(d), json!(d.bit));
        if !d.gbt_optional_rule && !client_rules.contains(d.name) {
            version &= !d.mask;
        }
    }
    for d in &status.locked_in {
        version |= d.mask;
        vbavailable.insert(rule_name(d), json!(d.bit));
        if !d.gbt_optional_rule && !client_rules.contains(d.name) {
            version &= !d.mask;
        }
    }
    for d in &status.active {
        rules.push(json!(rule_name(d)));
        if !d.gbt_optional_rule && !client_rules.contains(d.name) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!(
                    "Support for '{}' rule requires explicit client support",
                    d.name
                ),
            ));
        }
    }
    let (sigop_limit, size_limit) = if pre_segwit {
        (
            MAX_BLOCK_SIGOPS_COST / WITNESS_SCALE_FACTOR,
            MAX_BLOCK_SERIALIZED_SIZE / WITNESS_SCALE_FACTOR,
        )
    } else {
        (MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_SERIALIZED_SIZE)
    };
    let coinbase = block.txdata.first();
    let coinbase_value = coinbase
        .and_then(|tx| tx.output.first())
        .map_or(0, |o| o.value.to_sat());
    let commitment = coinbase.and_then(|tx| {
        tx.output
            .iter()
            .rev()
            .find(|o| {
                let s = o.script_pubkey.as_bytes();
                s.len() >= 38 && s[..6] == [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed]
            })
            .map(|o| hex(o.script_pubkey.as_bytes()))
    });
    let target = bitcoin::Target::from_compact(block.header.bits).to_be_bytes();

    let mut out = Map::new();
    out.insert("capabilities".into(), json!(["proposal"]));
    out.insert("version".into(), json!(version));
    out.insert("rules".into(), Value::Array(rules));
    out.insert("vbavailable".into(), Value::Object(vbavailable));
    out.insert("vbrequired".into(), json!(0));
    out.insert(
        "previousblockhash".into(),
        json!(block.header.prev_blockhash.to_string()),
    );
    let mut index: std::collections::HashMap<bitcoin::Txid, usize> =
        std::collections::HashMap::new();
    let mut transactions = Vec::new();
    for (i, tx) in block.txdata.iter().enumerate() {
        let txid = tx.compute_txid();
        index.insert(txid, i);
        if i == 0 {
            continue;
        }
        let depends: Vec<Value> = tx
            .input
            .iter()
            .filter_map(|input| index.get(&input.previous_output.txid))
            .map(|&d| json!(d))
            .collect();
        let mut sig = sigops.get(i - 1).copied().unwrap_or(0);
        if pre_segwit {
            sig /= WITNESS_SCALE_FACTOR;
        }
        let mut e = Map::new();
        e.insert(
            "data".into(),
            json!(hex(&bitcoin::consensus::encode::serialize(tx))),
        );
        e.insert("txid".into(), json!(txid.to_string()));
        e.insert("hash".into(), json!(tx.compute_wtxid().to_string()));
        e.insert("depends".into(), Value::Array(depends));
        e.insert("fee".into(), json!(fees.get(i - 1).copied().unwrap_or(0)));
        e.insert("sigops".into(), json!(sig));
        e.insert("weight".into(), json!(tx.weight().to_wu()));
        transactions.push(Value::Object(e));
    }
    out.insert("transactions".into(), Value::Array(transactions));
    out.insert("coinbaseaux".into(), json!({}));
    out.insert("coinbasevalue".into(), json!(coinbase_value));
    out.insert(
        "longpollid".into(),
        json!(format!("{}{}", cs.tip(), updated)),
    );
    out.insert("target".into(), json!(hex(&target)));
    out.insert("mintime".into(), json!(min_time));
    out.insert(
        "mutable".into(),
        json!(["time", "transactions", "prevblock"]),
    );
    out.insert("noncerange".into(), json!("00000000ffffffff"));
    out.insert("sigoplimit".into(), json!(sigop_limit));
    out.insert("sizelimit".into(), json!(size_limit));
    if !pre_segwit {
        out.insert("weightlimit".into(), json!(MAX_BLOCK_WEIGHT));
    }
    out.insert("curtime".into(), json!(block.header.time));
    out.insert(
        "bits".into(),
        json!(format!("{:08x}", block.header.bits.to_consensus())),
    );
    out.insert("height".into(), json!(height + 1));
    if let Some(challenge) = &params.signet_challenge {
        out.insert("signet_challenge".into(), json!(hex(challenge)));
    }
    if let Some(c) = commitment {
        out.insert("default_witness_commitment".into(), json!(c));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_as_core_reads_longpollid_tails() {
        assert_eq!(atoi("0"), 0);
        assert_eq!(atoi(" 12abc"), 12);
        assert_eq!(atoi("+7"), 7);
        assert_eq!(atoi("+-7"), 0);
        assert_eq!(atoi("-3"), -3);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi("x1"), 0);
        assert_eq!(atoi("99999999999999999999"), 0);
    }
}
