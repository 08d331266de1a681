//! `scantxoutset` (Core's `rpc/blockchain.cpp`): finds the unspent outputs that match
//! output descriptors, with one scan at a time that can be watched and aborted.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;

use bitcoin::{Network, ScriptBuf};
use rpc::codes::{
    RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR,
};
use rpc::{Arg, ArgType, RpcError, Table, Value};
use serde_json::{json, Map};

use super::blockchain::param;
use super::values::{get_array, get_int, get_str, hex};
use super::{command, ToRpcError};
use crate::context::NodeContext;

/// The single scan slot (Core's `g_scan_in_progress`, `g_scan_progress`,
/// `g_should_abort_scan`).
#[derive(Default)]
struct ScanState {
    in_progress: AtomicBool,
    progress: AtomicU8,
    abort: AtomicBool,
}

/// Holds the slot while a scan runs.
struct Reservation<'a>(&'a ScanState);

impl ScanState {
    fn reserve(&self) -> Option<Reservation<'_>> {
        self.in_progress
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| Reservation(self))
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.0.progress.store(0, Ordering::SeqCst);
        self.0.in_progress.store(false, Ordering::SeqCst);
    }
}

/// Registers `scantxoutset`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    let state = Arc::new(ScanState::default());
    table.register(command(
        "blockchain",
        "scantxoutset",
        "Searches the set of unspent outputs for those whose output script one of the given descriptors produces.\nA scan may take several minutes; only one runs at a time. Use action \"status\" to see its progress and \"abort\" to stop it.\nExample descriptors: addr(<address>), raw(<hex script>), combo(<pubkey>), pkh(<pubkey>), sh(multi(<n>,<pubkey>,...)), and the same with extended keys and ranges such as pkh(<xpub>/0/*).\nIn extended key paths, a trailing h or ' marks hardened steps, and * ranges over indexes (1000 by default, or as \"range\" sets).",
        vec![
            Arg::required("action", ArgType::Str, "What to do:\n\"start\" begins a scan\n\"abort\" stops the running scan (true if one was running)\n\"status\" reports the running scan's progress in percent"),
            Arg::omitted("scanobjects", ArgType::Arr, "The descriptors to look for (needed for \"start\"); each is a descriptor string or an object:")
                .with_inner(vec![
                    Arg::omitted("descriptor", ArgType::Str, "An output descriptor"),
                    Arg::omitted("", ArgType::Obj, "A descriptor with options").with_inner(vec![
                        Arg::required("desc", ArgType::Str, "An output descriptor"),
                        Arg::optional("range", ArgType::Range, json!(1000), "Indexes of a ranged descriptor to try: an end, or [begin,end]"),
                    ]),
                ])
                .oneline("[scanobjects,...]"),
        ],
        SCAN_RESULT,
        move |req| {
            let action = get_str(param(req, 0)?)?;
            match action {
                "status" => Ok(match state.reserve() {
                    Some(_) => Value::Null,
                    None => json!({"progress": state.progress.load(Ordering::SeqCst)}),
                }),
                "abort" => Ok(match state.reserve() {
                    Some(_) => json!(false),
                    None => {
                        state.abort.store(true, Ordering::SeqCst);
                        json!(true)
                    }
                }),
                "start" => {
                    let Some(_slot) = state.reserve() else {
                        return Err(RpcError::new(
                            RPC_INVALID_PARAMETER,
                            "Scan already in progress, use action \"abort\" or \"status\"",
                        ));
                    };
                    let Some(objects) = req.param(1) else {
                        return Err(RpcError::new(
                            RPC_MISC_ERROR,
                            "scanobjects argument is required for the start action",
                        ));
                    };
                    state.abort.store(false, Ordering::SeqCst);
                    scan(&n, &state, get_array(objects)?)
                }
                other => Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Invalid action '{other}'"),
                )),
            }
        },
    ));
}

/// Core's `ParseDescriptorRange`: `end` or `[begin, end]`, checked.
pub fn parse_descriptor_range(v: &Value) -> Result<(i64, i64), RpcError> {
    let bad = |m: &str| RpcError::new(RPC_INVALID_PARAMETER, m);
    let (low, high) = match v {
        Value::Number(_) => (0, get_int::<i64>(v)?),
        Value::Array(a) if a.len() == 2 && a[0].is_number() && a[1].is_number() => {
            let (low, high) = (get_int::<i64>(&a[0])?, get_int::<i64>(&a[1])?);
            if low > high {
                return Err(bad(
                    "Range specified as [begin,end] must not have begin after end",
                ));
            }
            (low, high)
        }
        _ => return Err(bad("Range must be specified as end or as [begin,end]")),
    };
    if low < 0 {
        return Err(bad("Range should be greater or equal than 0"));
    }
    if (high >> 31) != 0 {
        return Err(bad("End of range is too high"));
    }
    if high >= low + 1_000_000 {
        return Err(bad("Range is too large"));
    }
    Ok((low, high))
}

/// Core's `EvalDescriptorStringOrObject`: the output scripts of one scan object.
pub fn eval_descriptor(object: &Value, network: Network) -> Result<Vec<ScriptBuf>, RpcError> {
    let (text, mut range) = match object {
        Value::String(s) => (s.clone(), (0, 1000)),
        Value::Object(o) => {
            let Some(desc) = o.get("desc").filter(|d| !d.is_null()) else {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Descriptor needs to be provided in scan object",
                ));
            };
            let range = match o.get("range").filter(|r| !r.is_null()) {
                Some(r) => parse_descriptor_range(r)?,
                None => (0, 1000),
            };
            (get_str(desc)?.to_string(), range)
        }
        _ => {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Scan object needs to be either a string or an object",
            ))
        }
    };
    let descs = descriptors::parse(&text, false, network)
        .map_err(|e| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, e.0))?;
    if !descs.first().is_some_and(|d| d.is_range()) {
        range = (0, 0);
    }
    let mut out = Vec::new();
    for i in range.0..=range.1 {
        for d in &descs {
            let scripts = u32::try_from(i)
                .ok()
                .and_then(|i| d.expand(i).ok())
                .ok_or_else(|| {
                    RpcError::new(
                        RPC_INVALID_ADDRESS_OR_KEY,
                        format!("Cannot derive script without private keys: '{text}'"),
                    )
                })?;
            out.extend(scripts);
        }
    }
    Ok(out)
}

fn scan(n: &NodeContext, state: &ScanState, objects: &[Value]) -> Result<Value, RpcError> {
    let network = n.chainstate().params().network;
    let mut needles: HashMap<ScriptBuf, String> = HashMap::new();
    for o in objects {
        for script in eval_descriptor(o, network)? {
            let desc = chain_json::infer_descriptor(&script, network);
            needles.entry(script).or_insert(desc);
        }
    }
    let (coins, height, tip, hashes) = {
        let mut cs = n.chainstate();
        let coins = cs.all_coins().to_rpc(RPC_INTERNAL_ERROR)?;
        let height = cs.height();
        let hashes: Vec<String> = (0..=height)
            .map(|h| cs.hash_at(h).map(|b| b.to_string()).unwrap_or_default())
            .collect();
        (coins, height, cs.tip(), hashes)
    };
    let total = coins.len().max(1);
    let mut found = BTreeMap::new();
    let mut success = true;
    let mut count = 0u64;
    for (k, (outpoint, coin)) in coins.into_iter().enumerate() {
        if k % 8192 == 0 {
            if state.abort.load(Ordering::SeqCst) {
                success = false;
                break;
            }
            state
                .progress
                .store((k * 100 / total) as u8, Ordering::SeqCst);
        }
        count += 1;
        if needles.contains_key(&coin.output.script_pubkey) {
            found.insert(outpoint, coin);
        }
    }
    let mut unspents = Vec::new();
    let mut total_in: i64 = 0;
    for (o, c) in &found {
        let value = c.output.value.to_sat() as i64;
        total_in = total_in.saturating_add(value);
        let mut u = Map::new();
        u.insert("txid".into(), json!(o.txid.to_string()));
        u.insert("vout".into(), json!(o.vout));
        u.insert(
            "scriptPubKey".into(),
            json!(hex(c.output.script_pubkey.as_bytes())),
        );
        u.insert(
            "desc".into(),
            json!(needles
                .get(&c.output.script_pubkey)
                .cloned()
                .unwrap_or_default()),
        );
        u.insert("amount".into(), rpc::amount_value(value));
        u.insert("coinbase".into(), json!(c.is_coinbase));
        u.insert("height".into(), json!(c.height));
        u.insert(
            "blockhash".into(),
            json!(hashes.get(c.height as usize).cloned().unwrap_or_default()),
        );
        u.insert(
            "confirmations".into(),
            json!(i64::from(height) - i64::from(c.height) + 1),
        );
        unspents.push(Value::Object(u));
    }
    let mut result = Map::new();
    result.insert("success".into(), json!(success));
    result.insert("txouts".into(), json!(count));
    result.insert("height".into(), json!(height));
    result.insert("bestblock".into(), json!(tip.to_string()));
    result.insert("unspents".into(), Value::Array(unspents));
    result.insert("total_amount".into(), rpc::amount_value(total_in));
    Ok(Value::Object(result))
}

const SCAN_RESULT: &str = r#"(when action=='start'; only returns after scan completes)
{                                (json object)
  "success" : true|false,        (boolean) Whether the scan was completed
  "txouts" : n,                  (numeric) The number of unspent transaction outputs scanned
  "height" : n,                  (numeric) The block height at which the scan was done
  "bestblock" : "hex",           (string) The hash of the block at the tip of the chain
  "unspents" : [                 (json array)
    {                            (json object)
      "txid" : "hex",            (string) The transaction id
      "vout" : n,                (numeric) The vout value
      "scriptPubKey" : "hex",    (string) The output script
      "desc" : "str",            (string) A specialized descriptor for the matched output script
      "amount" : n,              (numeric) The total amount in BTC of the unspent output
      "coinbase" : true|false,   (boolean) Whether this is a coinbase output
      "height" : n,              (numeric) Height of the unspent transaction output
      "blockhash" : "hex",       (string) Blockhash of the unspent transaction output
      "confirmations" : n        (numeric) Number of confirmations of the unspent transaction output when the scan was done
    },
    ...
  ],
  "total_amount" : n             (numeric) The total amount of all found unspent outputs in BTC
}

Result (when action=='abort'):
true|false    (boolean) true when a running scan will stop (perhaps after this call returns), false when none was running

Result (when action=='status' and no scan is in progress - possibly already completed):
null    (json null)

Result (when action=='status' and a scan is currently in progress):
{                    (json object)
  "progress" : n     (numeric) Rough percentage done
}"#;
