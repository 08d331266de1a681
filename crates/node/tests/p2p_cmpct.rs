//! BIP152 compact block relay between our nodes and to a raw test peer: a block whose
//! transactions the receiver already has is rebuilt from its pool, one whose
//! transaction it lacks is completed with `getblocktxn`/`blocktxn`, the receiver picks
//! the sender as a high-bandwidth peer, and a v1 test peer asking for high-bandwidth
//! mode is sent new blocks as `cmpctblock` and is answered `getblocktxn`.

mod support;

use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds, ShortId};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_compact_blocks::{GetBlockTxn, SendCmpct};
use bitcoin::{BlockHash, Transaction};
use serde_json::json;
use support::raw_peer::{
    best, hex_bytes, mempool, start, wait_until, Peer, RawPeer, ADDRESS, SCRIPT, WIF,
};

/// Spends the coinbase of block `height` to the known address, keeping `amount` BTC,
/// and submits it to `p`. Returns the transaction.
fn spend(p: &Peer, height: u64, amount: f64) -> Transaction {
    let hash = p.node.call("getblockhash", json!([height]));
    let block = p.node.call("getblock", json!([hash, 1]));
    let cb = block["tx"][0].as_str().expect("coinbase").to_string();
    let raw = p.node.call(
        "createrawtransaction",
        json!([[{"txid": cb, "vout": 0}], [{ADDRESS: amount}]]),
    );
    let signed = p.node.call(
        "signrawtransactionwithkey",
        json!([raw, [WIF], [{"txid": cb, "vout": 0, "scriptPubKey": SCRIPT, "amount": 50}]]),
    );
    let hex = signed["hex"].as_str().expect("hex").to_string();
    p.node.call("sendrawtransaction", json!([hex]));
    bitcoin::consensus::deserialize(&hex_bytes(&hex)).expect("tx")
}

fn mine(p: &Peer) -> BlockHash {
    let hashes = p.node.call("generatetoaddress", json!([1, ADDRESS]));
    hashes[0]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("hash")
}

#[test]
fn blocks_relay_between_our_nodes_as_compact_blocks() {
    let debug = ["-debug=cmpctblock", "-debug=net"];
    let a = start("cmpct-a", &debug);
    a.node.call("generatetoaddress", json!([101, ADDRESS]));
    // B refuses cheap transactions, so a block can carry one it lacks.
    let b = start(
        "cmpct-b",
        &[
            &format!("-addnode=127.0.0.1:{}", a.port),
            "-minrelaytxfee=0.01",
            debug[0],
            debug[1],
        ],
    );
    wait_until("B synced", 120, || best(&b) == best(&a));

    // A transaction both pools hold: B rebuilds the block without asking for anything.
    let tx = spend(&a, 1, 49.995);
    let txid = tx.compute_txid().to_string();
    wait_until("the transaction in B's pool", 60, || {
        mempool(&b).contains(&json!(txid))
    });
    let first = mine(&a);
    wait_until("the first block at B", 60, || {
        best(&b) == json!(first.to_string())
    });
    let log_b = b.node.debug_log();
    assert!(
        log_b.contains(&format!(
            "Initializing PartiallyDownloadedBlock for block {first}"
        )),
        "{log_b}"
    );
    assert!(
        log_b.contains(&format!(
            "Successfully reconstructed block {first} with 1 txn prefilled, 1 txn from mempool (incl at least 0 from extra pool) and 0 txn (0 bytes) requested"
        )),
        "{log_b}"
    );

    // B now wants A's blocks pushed as compact blocks as soon as they are valid.
    // (Its first `sendcmpct`, at the handshake, declined.)
    wait_until("B asking A for high-bandwidth relay", 30, || {
        a.node
            .debug_log()
            .matches("received: sendcmpct (9 bytes)")
            .count()
            >= 2
    });

    // A transaction below B's relay fee: B must ask for it.
    let cheap = spend(&a, 2, 49.9999);
    let second = mine(&a);
    wait_until("the second block at B", 60, || {
        best(&b) == json!(second.to_string())
    });
    let log_a = a.node.debug_log();
    assert!(
        log_a.contains(&format!(
            "PeerManager::NewPoWValidBlock sending header-and-ids {second} to peer="
        )),
        "{log_a}"
    );
    assert!(
        log_a.contains(&format!(
            "sent us a GETBLOCKTXN for block {second}, sending a BLOCKTXN with 1 txns."
        )),
        "{log_a}"
    );
    let log_b = b.node.debug_log();
    assert!(
        log_b.contains(&format!(
            "Reconstructed block {second} required tx {}",
            cheap.compute_txid()
        )),
        "{log_b}"
    );
    assert!(mempool(&a).is_empty());
}

#[test]
fn a_raw_peer_in_high_bandwidth_mode_gets_compact_blocks_and_blocktxn() {
    let a = start(
        "cmpct-raw",
        &["-v2transport=0", "-debug=cmpctblock", "-debug=net"],
    );
    a.node.call("generatetoaddress", json!([101, ADDRESS]));
    let tip: BlockHash = best(&a).as_str().and_then(|s| s.parse().ok()).expect("tip");

    let mut p = RawPeer::handshake(a.port);
    p.send(&NetworkMessage::SendCmpct(SendCmpct {
        send_compact: true,
        version: 2,
    }));
    // Tell the node where we are: it answers with no headers, and knows we have its tip.
    p.send(&NetworkMessage::GetHeaders(GetHeadersMessage {
        version: 70016,
        locator_hashes: vec![tip],
        stop_hash: BlockHash::all_zeros(),
    }));
    p.read_until("headers").expect("headers");

    let tx = spend(&a, 1, 49.9999);
    let hash = mine(&a);
    let payload = p.read_until("cmpctblock").expect("cmpctblock");
    let cmpct: HeaderAndShortIds = bitcoin::consensus::deserialize(&payload).expect("decode");
    assert_eq!(cmpct.header.block_hash(), hash);
    assert_eq!(cmpct.header.prev_blockhash, tip);
    assert_eq!(cmpct.prefilled_txs.len(), 1, "the coinbase is prefilled");
    assert_eq!(cmpct.prefilled_txs[0].idx, 0);
    assert_eq!(cmpct.short_ids.len(), 1);
    let keys = ShortId::calculate_siphash_keys(&cmpct.header, cmpct.nonce);
    assert_eq!(
        cmpct.short_ids[0],
        ShortId::with_siphash_keys(&tx.compute_wtxid().to_raw_hash(), keys)
    );

    // The missing transaction, by position.
    p.send(&NetworkMessage::GetBlockTxn(GetBlockTxn {
        txs_request: BlockTransactionsRequest {
            block_hash: hash,
            indexes: vec![1],
        },
    }));
    let payload = p.read_until("blocktxn").expect("blocktxn");
    let resp: BlockTransactions = bitcoin::consensus::deserialize(&payload).expect("decode");
    assert_eq!(resp.block_hash, hash);
    assert_eq!(resp.transactions, vec![tx]);

    // Asked for by getdata, a recent block comes as a compact block too.
    p.send(&NetworkMessage::GetData(vec![Inventory::CompactBlock(
        hash,
    )]));
    let payload = p.read_until("cmpctblock").expect("cmpctblock");
    let again: HeaderAndShortIds = bitcoin::consensus::deserialize(&payload).expect("decode");
    assert_eq!(again.header, cmpct.header);

    // A position past the block's end is misbehaviour.
    p.send(&NetworkMessage::GetBlockTxn(GetBlockTxn {
        txs_request: BlockTransactionsRequest {
            block_hash: hash,
            indexes: vec![5],
        },
    }));
    assert!(p.closed(), "peer kept after an out-of-bounds getblocktxn");
    let log = a.node.debug_log();
    assert!(
        log.contains("getblocktxn with out-of-bounds tx indices"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "sent us a GETBLOCKTXN for block {hash}, sending a BLOCKTXN with 1 txns."
        )),
        "{log}"
    );
}

/// A block the node builds but does not keep, with `txs` (raw hex) after the coinbase.
fn unsubmitted_block(p: &Peer, txs: &[String]) -> bitcoin::Block {
    let r = p.node.call("generateblock", json!([ADDRESS, txs, false]));
    let hex = r["hex"].as_str().expect("hex");
    bitcoin::consensus::deserialize(&hex_bytes(hex)).expect("block")
}

/// Whether `peer` is sent a `getblocktxn` before the answer to a ping.
fn getblocktxn_before_pong(peer: &mut RawPeer, nonce: u64) -> bool {
    peer.send(&NetworkMessage::Ping(nonce));
    let mut seen = false;
    loop {
        match peer.read() {
            Some((c, _)) if c == "getblocktxn" => seen = true,
            Some((c, _)) if c == "pong" => return seen,
            Some(_) => {}
            None => panic!("disconnected"),
        }
    }
}

#[test]
fn a_second_high_bandwidth_peer_is_asked_for_missing_transactions_in_parallel() {
    let a = start("cmpct-parallel", &["-v2transport=0", "-debug=cmpctblock"]);
    a.node.call("generatetoaddress", json!([101, ADDRESS]));
    let mut peers = Vec::new();
    for _ in 0..2 {
        let mut p = RawPeer::handshake(a.port);
        p.send(&NetworkMessage::SendCmpct(SendCmpct {
            send_compact: false,
            version: 2,
        }));
        // Delivering a new tip first makes the node pick the peer as high-bandwidth.
        let block = unsubmitted_block(&a, &[]);
        p.send(&NetworkMessage::Block(block.clone()));
        wait_until("the delivered tip", 30, || {
            best(&a) == json!(block.block_hash().to_string())
        });
        peers.push(p);
    }
    let info = a.node.call("getpeerinfo", json!([]));
    assert_eq!(info[0]["bip152_hb_to"], json!(true));
    assert_eq!(info[1]["bip152_hb_to"], json!(true));

    // A block with a transaction the node lacks, announced by both peers.
    let hash = a.node.call("getblockhash", json!([1]));
    let cb = a.node.call("getblock", json!([hash, 1]))["tx"][0]
        .as_str()
        .expect("coinbase")
        .to_string();
    let raw = a.node.call(
        "createrawtransaction",
        json!([[{"txid": cb, "vout": 0}], [{ADDRESS: 49.99}]]),
    );
    let signed = a.node.call(
        "signrawtransactionwithkey",
        json!([raw, [WIF], [{"txid": cb, "vout": 0, "scriptPubKey": SCRIPT, "amount": 50}]]),
    );
    let tx_hex = signed["hex"].as_str().expect("hex").to_string();
    let block = unsubmitted_block(&a, &[tx_hex]);
    let cmpct = HeaderAndShortIds::from_block(&block, 7, 2, &[]).expect("compact block");
    let msg = NetworkMessage::CmpctBlock(bitcoin::p2p::message_compact_blocks::CmpctBlock {
        compact_block: cmpct,
    });
    peers[0].send(&msg);
    assert!(getblocktxn_before_pong(&mut peers[0], 1));
    // Core keeps up to three requests for one block; an inbound high-bandwidth peer
    // may take the second.
    peers[1].send(&msg);
    assert!(getblocktxn_before_pong(&mut peers[1], 2));
    assert_ne!(best(&a), json!(block.block_hash().to_string()));
}

#[test]
fn a_sendcmpct_announce_field_other_than_0_or_1_is_misbehaviour() {
    let a = start("cmpct-announce", &["-v2transport=0", "-debug=net"]);
    let mut p = RawPeer::handshake(a.port);
    // Announce byte 2, version 2.
    let mut payload = vec![2u8];
    payload.extend(2u64.to_le_bytes());
    p.send_command("sendcmpct", &payload);
    assert!(p.closed(), "peer kept after sendcmpct announce=2");
    let log = a.node.debug_log();
    assert!(log.contains("invalid sendcmpct announce field"), "{log}");
}
