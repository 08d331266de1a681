//! Orphan resolution and 1-parent-1-child package relay from a raw test peer: a child
//! sent before its parent is kept as an orphan, the parent is asked of the peer, and
//! both enter the pool once it arrives; a parent paying no fee goes in with the child
//! that pays for it.

mod support;

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Transaction, Txid};
use serde_json::{json, Value};
use support::raw_peer::{
    hex_bytes, mempool, start, wait_until, Peer, RawPeer, ADDRESS, SCRIPT, WIF,
};

/// A signed transaction spending output 0 of `txid` (worth `amount` BTC) to the
/// known address, paying it `out` BTC.
fn spend(p: &Peer, txid: &str, amount: f64, out: f64) -> Transaction {
    let raw = p.node.call(
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 0}], [{ADDRESS: out}]]),
    );
    let signed = p.node.call(
        "signrawtransactionwithkey",
        json!([raw, [WIF], [{"txid": txid, "vout": 0, "scriptPubKey": SCRIPT, "amount": amount}]]),
    );
    assert_eq!(signed["complete"], json!(true), "{signed}");
    deserialize(&hex_bytes(signed["hex"].as_str().expect("hex"))).expect("tx")
}

fn coinbase_txid(p: &Peer, height: u64) -> String {
    let hash = p.node.call("getblockhash", json!([height]));
    let block = p.node.call("getblock", json!([hash, 1]));
    block["tx"][0].as_str().expect("coinbase").to_string()
}

/// Reads until the node asks for `txid` in a `getdata`.
fn await_getdata_for(peer: &mut RawPeer, txid: Txid) {
    loop {
        let payload = peer.read_until("getdata").expect("getdata for the parent");
        let msg = p2p::message::decode("getdata", &payload).expect("decodes");
        let NetworkMessage::GetData(invs) = msg else {
            continue;
        };
        if invs.iter().any(|inv| {
            matches!(inv, Inventory::WitnessTransaction(t) | Inventory::Transaction(t) if *t == txid)
        }) {
            return;
        }
    }
}

fn node_with_coins(tag: &str) -> Peer {
    let a = start(
        tag,
        &[
            "-v2transport=0",
            "-debug=net",
            "-debug=txpackages",
            "-debug=mempool",
        ],
    );
    a.node.call("generatetoaddress", json!([101, ADDRESS]));
    a
}

#[test]
fn a_child_before_its_parent_is_kept_until_the_parent_is_fetched() {
    let a = node_with_coins("p2p-orphan");
    let parent = spend(&a, &coinbase_txid(&a, 1), 50.0, 49.9999);
    let ptxid = parent.compute_txid();
    let child = spend(&a, &ptxid.to_string(), 49.9999, 49.9998);
    let ctxid = child.compute_txid();

    let mut p = RawPeer::handshake(a.port);
    p.send(&NetworkMessage::Tx(child.clone()));
    // The child waits in the orphanage, the parent is asked of its sender.
    await_getdata_for(&mut p, ptxid);
    assert!(mempool(&a).is_empty());
    let orphans = a.node.call("getorphantxs", json!([]));
    assert_eq!(orphans, json!([ctxid.to_string()]));
    let detailed = a.node.call("getorphantxs", json!([2]));
    let o = &detailed[0];
    assert_eq!(o["wtxid"], json!(child.compute_wtxid().to_string()));
    assert_eq!(o["weight"], json!(child.weight().to_wu()));
    assert_eq!(o["bytes"], json!(serialize(&child).len()));
    assert_eq!(o["vsize"], o["vsize_bip141"]);
    assert_eq!(o["from"].as_array().map(Vec::len), Some(1));
    assert_eq!(o["hex"], json!(peers_hex(&serialize(&child))));
    let (code, msg) = a.node.call_err("getorphantxs", json!([3]));
    assert_eq!(code, -8);
    assert_eq!(msg, "Invalid verbosity value 3");

    p.send(&NetworkMessage::Tx(parent));
    wait_until("parent and child in the pool", 30, || {
        let pool = mempool(&a);
        pool.contains(&json!(ptxid.to_string())) && pool.contains(&json!(ctxid.to_string()))
    });
    assert_eq!(a.node.call("getorphantxs", json!([])), json!([]));
    let log = a.node.debug_log();
    assert!(log.contains(&format!("stored orphan tx {ctxid}")), "{log}");
    assert!(log.contains(&format!("added {ctxid} (wtxid=")), "{log}");
    assert!(
        log.contains(&format!("   accepted orphan tx {ctxid}")),
        "{log}"
    );
}

#[test]
fn a_parent_paying_no_fee_enters_with_the_child_that_pays_for_it() {
    let a = node_with_coins("p2p-1p1c");
    // No fee at all: below any relay floor, rejected alone as reconsiderable.
    let parent = spend(&a, &coinbase_txid(&a, 2), 50.0, 50.0);
    let ptxid = parent.compute_txid();
    let pwtxid = parent.compute_wtxid();
    let child = spend(&a, &ptxid.to_string(), 50.0, 49.999);
    let ctxid = child.compute_txid();

    let mut p = RawPeer::handshake(a.port);
    p.send(&NetworkMessage::Tx(child));
    await_getdata_for(&mut p, ptxid);
    p.send(&NetworkMessage::Tx(parent));
    wait_until("the package in the pool", 30, || {
        let pool = mempool(&a);
        pool.contains(&json!(ptxid.to_string())) && pool.contains(&json!(ctxid.to_string()))
    });
    assert_eq!(a.node.call("getorphantxs", json!([])), json!([]));
    let log = a.node.debug_log();
    assert!(
        log.contains(&format!(
            "tx {ptxid} (wtxid={pwtxid}) failed but reconsiderable, looking for child in orphanage"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("package evaluation for parent {ptxid} (wtxid=")),
        "{log}"
    );
    assert!(log.contains(": package accepted"), "{log}");
    let entry: Value = a.node.call("getmempoolentry", json!([ctxid.to_string()]));
    assert_eq!(entry["depends"], json!([ptxid.to_string()]));
}

fn peers_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_package_submitted_over_rpc_is_announced_to_peers() {
    let a = node_with_coins("p2p-submitpackage");
    let parent = spend(&a, &coinbase_txid(&a, 2), 50.0, 50.0);
    let child = spend(&a, &parent.compute_txid().to_string(), 50.0, 49.999);
    let mut p = RawPeer::handshake(a.port);
    // Transactions are queued for a peer only once its handshake is done and its
    // first send turn has run (as Core); two ping round trips make sure of both.
    assert!(p.ping_ok(1));
    assert!(p.ping_ok(2));
    let hexes = json!([
        peers_hex(&serialize(&parent)),
        peers_hex(&serialize(&child))
    ]);
    let r = a.node.call("submitpackage", json!([hexes]));
    assert_eq!(r["package_msg"], json!("success"), "{r}");
    // Both transactions are announced, parent and child alike.
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 2 {
        let payload = p.read_until("inv").expect("an inv");
        let NetworkMessage::Inv(invs) = p2p::message::decode("inv", &payload).expect("decodes")
        else {
            continue;
        };
        for inv in invs {
            // The raw peer did not ask for wtxid relay: announcements are by txid.
            if let Inventory::Transaction(t) = inv {
                seen.insert(t);
            }
        }
    }
    assert!(seen.contains(&parent.compute_txid()));
    assert!(seen.contains(&child.compute_txid()));
}
