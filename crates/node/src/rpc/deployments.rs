//! `getdeploymentinfo`: the consensus deployments at a block, the buried ones with their
//! heights and the BIP9 ones with their state, statistics and signalling.

use std::sync::Arc;

use chain::versionbits::{Bip9Info, Deployment};
use chain::ChainState;
use rpc::codes::RPC_INVALID_ADDRESS_OR_KEY;
use rpc::{Arg, ArgType, RpcError, Table, Value};
use serde_json::{json, Map};

use super::command;
use super::values::parse_block_hash;
use crate::context::NodeContext;

/// Registers `getdeploymentinfo`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getdeploymentinfo",
        "Returns an object containing various state info regarding deployments of consensus changes.\nConsensus changes for which the new rules are enforced from genesis are not listed in \"deployments\".",
        vec![Arg::hint(
            "blockhash",
            ArgType::StrHex,
            "hash of current chain tip",
            "The block hash at which to query deployment state",
        )],
        "",
        move |req| {
            let cs = n.chainstate();
            let i = match req.param(0) {
                None => cs.active_entry(cs.height()).unwrap_or(0),
                Some(v) => {
                    let hash = parse_block_hash(v, "blockhash")?;
                    cs.index().find(&hash).ok_or_else(|| {
                        RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
                    })?
                }
            };
            Ok(deployment_info(&cs, i))
        },
    ));
}

/// The whole result for index entry `i`.
pub fn deployment_info(cs: &ChainState, i: usize) -> Value {
    let e = cs.index().entry(i);
    let flags = cs.params().block_script_flag_names(&e.hash, e.height);
    let mut out = Map::new();
    out.insert("hash".into(), json!(e.hash.to_string()));
    out.insert("height".into(), json!(e.height));
    out.insert("script_flags".into(), json!(flags));
    out.insert("deployments".into(), Value::Object(deployments(cs, i)));
    Value::Object(out)
}

/// The `deployments` object at entry `i`: bip34, bip66, bip65, csv, segwit, then the BIP9
/// deployments that can ever activate.
pub fn deployments(cs: &ChainState, i: usize) -> Map<String, Value> {
    let p = cs.params();
    let height = cs.index().entry(i).height;
    let mut out = Map::new();
    for (name, h) in [
        ("bip34", p.bip34_height),
        ("bip66", p.bip66_height),
        ("bip65", p.bip65_height),
        ("csv", p.csv_height),
        ("segwit", p.segwit_height),
    ] {
        // A deployment at the largest height never activates and is not listed.
        if h >= i32::MAX as u32 {
            continue;
        }
        // Active when the next block must follow the rules.
        out.insert(
            name.into(),
            json!({"type": "buried", "active": height + 1 >= h, "height": h}),
        );
    }
    for (id, d) in p.deployments.iter().enumerate() {
        if !d.enabled() {
            continue;
        }
        if let Some(info) = cs.versionbits().info(cs.index(), &p.deployments, i, id) {
            out.insert(d.name.into(), bip9_json(d, &info, height));
        }
    }
    out
}

fn bip9_json(d: &Deployment, info: &Bip9Info, height: u32) -> Value {
    let mut bip9 = Map::new();
    if info.stats.is_some() {
        bip9.insert("bit".into(), json!(d.bit));
    }
    bip9.insert("start_time".into(), json!(d.start_time));
    bip9.insert("timeout".into(), json!(d.timeout));
    bip9.insert(
        "min_activation_height".into(),
        json!(d.min_activation_height),
    );
    bip9.insert("status".into(), json!(info.current.name()));
    bip9.insert("since".into(), json!(info.since));
    bip9.insert("status_next".into(), json!(info.next.name()));
    if let Some(s) = &info.stats {
        let mut stats = Map::new();
        stats.insert("period".into(), json!(s.period));
        stats.insert("elapsed".into(), json!(s.elapsed));
        stats.insert("count".into(), json!(s.count));
        if s.threshold > 0 || s.possible {
            stats.insert("threshold".into(), json!(s.threshold));
            stats.insert("possible".into(), json!(s.possible));
        }
        bip9.insert("statistics".into(), Value::Object(stats));
        let sig: String = info
            .signalling
            .iter()
            .map(|s| if *s { '#' } else { '-' })
            .collect();
        bip9.insert("signalling".into(), json!(sig));
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("bip9"));
    let mut active = false;
    if let Some(since) = info.active_since {
        out.insert("height".into(), json!(since));
        active = since <= height + 1;
    }
    out.insert("active".into(), json!(active));
    out.insert("bip9".into(), Value::Object(bip9));
    Value::Object(out)
}
