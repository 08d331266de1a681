//! Our nodes as peers on loopback: headers-first sync of a 500-block chain across three
//! nodes, transaction relay both ways, a late node catching up, v1 and v2 transports,
//! and a corpus of malformed messages from a raw test peer that must leave the node
//! running while the offending peer is dropped.

mod support;

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::{Block, BlockHash, CompactTarget, Transaction, TxMerkleNode};
use serde_json::json;
use support::raw_peer::{
    best, hex_bytes, mempool, spend_coinbase, start, wait_until, RawPeer, ADDRESS, MAGIC, SCRIPT,
    WIF,
};

#[test]
fn three_nodes_sync_a_chain_and_relay_transactions_both_ways() {
    let a = start("p2p-a", &[]);
    let b = start("p2p-b", &[&format!("-addnode=127.0.0.1:{}", a.port)]);
    let c = start("p2p-c", &[&format!("-addnode=127.0.0.1:{}", b.port)]);
    a.node.call("generatetoaddress", json!([500, ADDRESS]));
    wait_until("all three at block 500", 180, || {
        let h = best(&a);
        best(&b) == h && best(&c) == h
    });
    assert_eq!(c.node.call("getblockcount", json!([])), json!(500));

    // A transaction from one end reaches the other, and back.
    let (_, from_a) = spend_coinbase(&a, 1);
    wait_until("A's transaction at C", 60, || {
        mempool(&c).contains(&json!(from_a))
    });
    let (_, from_c) = spend_coinbase(&c, 2);
    wait_until("C's transaction at A", 60, || {
        mempool(&a).contains(&json!(from_c))
    });
    wait_until("both in B's pool", 60, || mempool(&b).len() == 2);

    // A block mined at C confirms both everywhere.
    c.node.call("generatetoaddress", json!([1, ADDRESS]));
    wait_until("the block from C everywhere, pools empty", 60, || {
        let h = best(&c);
        best(&a) == h && best(&b) == h && mempool(&a).is_empty() && mempool(&b).is_empty()
    });
    let log = b.node.debug_log();
    assert!(
        log.contains("New manual peer connected: transport: v2"),
        "{log}"
    );
}

#[test]
fn a_node_started_later_catches_up_by_headers_first() {
    let a = start("p2p-late-a", &[]);
    a.node.call("generatetoaddress", json!([300, ADDRESS]));
    let d = start(
        "p2p-late-d",
        &[&format!("-connect=127.0.0.1:{}", a.port), "-debug=net"],
    );
    wait_until("the late node at A's tip", 120, || best(&d) == best(&a));
    let log = d.node.debug_log();
    assert!(log.contains("initial getheaders (0) to peer="), "{log}");
    assert!(log.contains("Requesting block "), "{log}");
    // New blocks keep arriving after the catch-up, announced by headers.
    a.node.call("generatetoaddress", json!([2, ADDRESS]));
    wait_until("the late node following", 60, || best(&d) == best(&a));
}

#[test]
fn v1_and_v2_transports_both_sync() {
    let a = start("p2p-tr-a", &[]);
    a.node.call("generatetoaddress", json!([20, ADDRESS]));
    let v1 = start(
        "p2p-tr-v1",
        &[&format!("-addnode=127.0.0.1:{}", a.port), "-v2transport=0"],
    );
    let v2 = start("p2p-tr-v2", &[&format!("-addnode=127.0.0.1:{}", a.port)]);
    wait_until("both synced", 60, || {
        let h = best(&a);
        best(&v1) == h && best(&v2) == h
    });
    let l1 = v1.node.debug_log();
    assert!(
        l1.contains("New manual peer connected: transport: v1"),
        "{l1}"
    );
    let l2 = v2.node.debug_log();
    assert!(
        l2.contains("New manual peer connected: transport: v2"),
        "{l2}"
    );
}

/// A block on `prev` with a valid proof of work whose merkle root is wrong.
fn mutated_block(prev: BlockHash, time: u32) -> Block {
    let coinbase = Transaction {
        version: bitcoin::transaction::Version::ONE,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: vec![bitcoin::TxIn {
            previous_output: bitcoin::OutPoint::null(),
            script_sig: bitcoin::ScriptBuf::from_bytes(vec![0x51, 0x01, 0x01]),
            sequence: bitcoin::Sequence::MAX,
            witness: bitcoin::Witness::new(),
        }],
        output: vec![bitcoin::TxOut {
            value: bitcoin::Amount::from_sat(50 * 100_000_000),
            script_pubkey: bitcoin::ScriptBuf::new_op_return([]),
        }],
    };
    let mut header = Header {
        version: Version::from_consensus(0x2000_0000),
        prev_blockhash: prev,
        merkle_root: TxMerkleNode::all_zeros(),
        time,
        bits: CompactTarget::from_consensus(0x207f_ffff),
        nonce: 0,
    };
    while header.validate_pow(header.target()).is_err() {
        header.nonce += 1;
    }
    Block {
        header,
        txdata: vec![coinbase],
    }
}

#[test]
fn malformed_messages_drop_the_peer_and_leave_the_node_running() {
    let a = start("p2p-bad", &["-v2transport=0", "-debug=net"]);
    a.node.call("generatetoaddress", json!([101, ADDRESS]));
    let tip: BlockHash = a
        .node
        .call("getbestblockhash", json!([]))
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("tip");
    let tip_time = a.node.call("getblockheader", json!([tip.to_string()]))["time"]
        .as_u64()
        .unwrap_or(0) as u32;

    // Wrong network magic.
    let mut p = RawPeer::connect(a.port);
    let mut bad = p2p::transport::v1::serialize_header([1, 2, 3, 4], "ping", &[0; 8]).to_vec();
    bad.extend_from_slice(&[0; 8]);
    p.send_raw(&bad);
    assert!(p.closed(), "wrong magic kept");

    // A header announcing more than 4,000,000 bytes.
    let mut p = RawPeer::connect(a.port);
    let mut big = p2p::transport::v1::serialize_header(MAGIC, "block", &[]).to_vec();
    big[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
    p.send_raw(&big);
    assert!(p.closed(), "oversized message kept");

    // Truncated: half a header, then hang up.
    let mut p = RawPeer::connect(a.port);
    p.send_raw(&big[..10]);
    drop(p);

    // A bad checksum drops the message only: no pong for it, the next ping answered.
    let mut p = RawPeer::handshake(a.port);
    let mut ping =
        p2p::transport::v1::serialize_header(MAGIC, "ping", &7u64.to_le_bytes()).to_vec();
    ping[20] ^= 0xff;
    ping.extend_from_slice(&7u64.to_le_bytes());
    p.send_raw(&ping);
    assert!(p.ping_ok(8), "a good ping after a bad checksum");

    // Garbage after the handshake.
    let mut p = RawPeer::handshake(a.port);
    p.send_raw(&[0x5a; 100]);
    assert!(p.closed(), "garbage kept");

    // More than 2,000 headers in one message.
    let mut p = RawPeer::handshake(a.port);
    let mut payload = vec![0xfd, 0xd1, 0x07]; // 2001
    for _ in 0..2001 {
        payload.extend_from_slice(&[0u8; 81]);
    }
    p.send_command("headers", &payload);
    assert!(p.closed(), "oversized headers kept");

    // A block whose transactions do not match its header.
    let mut p = RawPeer::handshake(a.port);
    p.send(&NetworkMessage::Block(mutated_block(tip, tip_time + 1)));
    assert!(p.closed(), "mutated block kept");

    // A transaction with an invalid signature.
    let (hex, _) = {
        let hash = a.node.call("getblockhash", json!([1]));
        let block = a.node.call("getblock", json!([hash, 1]));
        let cb = block["tx"][0].as_str().expect("cb").to_string();
        let raw = a.node.call(
            "createrawtransaction",
            json!([[{"txid": cb, "vout": 0}], [{ADDRESS: 49.9}]]),
        );
        let signed = a.node.call(
            "signrawtransactionwithkey",
            json!([raw, [WIF], [{"txid": cb, "vout": 0, "scriptPubKey": SCRIPT, "amount": 50}]]),
        );
        (signed["hex"].as_str().expect("hex").to_string(), cb)
    };
    let mut tx: Transaction = bitcoin::consensus::deserialize(&hex_bytes(&hex)).expect("tx");
    let mut sig = tx.input[0].witness.nth(0).expect("sig").to_vec();
    sig[10] ^= 1;
    let key = tx.input[0].witness.nth(1).expect("key").to_vec();
    tx.input[0].witness = bitcoin::Witness::from_slice(&[sig, key]);
    // Core no longer punishes peers for invalid transactions: the transaction is
    // rejected and remembered, the peer kept.
    let mut p = RawPeer::handshake(a.port);
    let txid = tx.compute_txid().to_string();
    p.send(&NetworkMessage::Tx(tx));
    assert!(p.ping_ok(5), "peer dropped for an invalid transaction");
    assert!(!mempool(&a).contains(&json!(txid)));

    // The node serves on, and a well-behaved peer still gets in and is answered.
    assert_eq!(a.node.call("getblockcount", json!([])), json!(101));
    let mut good = RawPeer::handshake(a.port);
    assert!(good.ping_ok(99));
    let log = a.node.debug_log();
    assert!(log.contains("Misbehaving: peer="), "{log}");
    assert!(log.contains("headers message size = 2001"), "{log}");
    assert!(log.contains("mutated block"), "{log}");
}

#[test]
fn a_v2_node_drops_a_peer_that_never_sends_its_garbage_terminator() {
    let a = start("p2p-v2bad", &[]);
    let mut p = RawPeer::connect(a.port);
    // Not a v1 version message, so the node reads a v2 key, then garbage that never ends.
    p.send_raw(&[0x11; 64 + 4096 + 16]);
    assert!(p.closed(), "endless garbage kept");
    assert_eq!(a.node.call("getblockcount", json!([])), json!(0));
}

/// Core announces a block to the peers connected when its tip update is delivered; a
/// peer that connects afterwards learns of the block by headers sync, not by an
/// announcement (Core's functional tests count the blocks a new peer is sent).
#[test]
fn a_block_found_before_a_peer_connected_is_not_announced_to_it() {
    let a = start("p2p-announce-before", &["-v2transport=0"]);
    a.node.call("generatetoaddress", json!([1, ADDRESS]));
    a.node.call("syncwithvalidationinterfacequeue", json!([]));
    let mut p = RawPeer::handshake(a.port);
    for nonce in 1..=2u64 {
        p.send(&NetworkMessage::Ping(nonce));
        loop {
            let (cmd, payload) = p.read().expect("connected");
            assert!(
                cmd != "inv" && cmd != "headers" && cmd != "cmpctblock",
                "announced to a later peer: {cmd}"
            );
            if cmd == "pong" && payload == nonce.to_le_bytes() {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[test]
fn bloom_filter_messages_drop_the_peer_without_peerbloomfilters() {
    let p = start("p2p-nobloom", &["-debug=net"]);
    for cmd in ["filterload", "filteradd", "filterclear"] {
        let mut peer = RawPeer::handshake(p.port);
        // A well-formed BIP37 payload: the command alone decides.
        let payload: &[u8] = match cmd {
            "filterload" => &[1, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "filteradd" => &[1, 0xbb],
            _ => &[],
        };
        peer.send_command(cmd, payload);
        assert!(peer.closed(), "{cmd} should drop the peer");
    }
    // A filtered-block request (inventory type 3) too.
    let mut peer = RawPeer::handshake(p.port);
    let mut getdata = vec![1u8];
    getdata.extend_from_slice(&3u32.to_le_bytes());
    getdata.extend_from_slice(&[0u8; 32]);
    peer.send_command("getdata", &getdata);
    assert!(peer.closed());
    let log = p.node.debug_log();
    assert!(log.contains("filterload received despite not offering bloom services"));
    assert!(log.contains("filtered block request received when NODE_BLOOM service disabled"));
    // The node serves on.
    assert!(RawPeer::handshake(p.port).ping_ok(7));
}
