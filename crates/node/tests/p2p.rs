//! Our nodes as peers on loopback: headers-first sync of a 500-block chain across three
//! nodes, transaction relay both ways, a late node catching up, v1 and v2 transports,
//! and a corpus of malformed messages from a raw test peer that must leave the node
//! running while the offending peer is dropped.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{Block, BlockHash, CompactTarget, Transaction, TxMerkleNode};
use serde_json::{json, Value};
use support::{free_port, TempDir, TestNode, BITCOIND};

/// Regtest's message start.
const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
/// The README's address and its well-known key: its coinbases can be spent.
const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
const WIF: &str = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
const SCRIPT: &str = "0014751e76e8199196d454941c45d1b3a323f1433bd6";

/// A node listening for peers on its own loopback port.
struct Peer {
    node: TestNode,
    port: u16,
    _dir: TempDir,
}

fn start(tag: &str, extra: &[&str]) -> Peer {
    let dir = TempDir::new(tag);
    let port = free_port();
    let mut args = vec![format!("-port={port}"), format!("-bind=127.0.0.1:{port}")];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let node = TestNode::start(BITCOIND, &dir.0, &refs);
    Peer {
        node,
        port,
        _dir: dir,
    }
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn best(p: &Peer) -> Value {
    p.node.call("getbestblockhash", json!([]))
}

fn mempool(p: &Peer) -> Vec<Value> {
    p.node
        .call("getrawmempool", json!([]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A signed transaction spending the coinbase of block `height` to the known address.
fn spend_coinbase(p: &Peer, height: u64) -> (String, String) {
    let hash = p.node.call("getblockhash", json!([height]));
    let block = p.node.call("getblock", json!([hash, 1]));
    let cb = block["tx"][0].as_str().expect("coinbase").to_string();
    let raw = p.node.call(
        "createrawtransaction",
        json!([[{"txid": cb, "vout": 0}], [{ADDRESS: 49.9999}]]),
    );
    let signed = p.node.call(
        "signrawtransactionwithkey",
        json!([raw, [WIF], [{"txid": cb, "vout": 0, "scriptPubKey": SCRIPT, "amount": 50}]]),
    );
    assert_eq!(signed["complete"], json!(true), "{signed}");
    let hex = signed["hex"].as_str().expect("hex").to_string();
    let txid = p.node.call("sendrawtransaction", json!([hex]));
    (hex, txid.as_str().expect("txid").to_string())
}

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

/// A test peer speaking v1 over a raw socket.
struct RawPeer {
    s: TcpStream,
}

impl RawPeer {
    fn connect(port: u16) -> RawPeer {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        RawPeer { s }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        // The node may already have hung up; that is what some cases check.
        let _ = self.s.write_all(bytes);
    }

    fn send(&mut self, msg: &NetworkMessage) {
        let (cmd, payload) = p2p::message::encode(msg);
        self.send_command(&cmd, &payload);
    }

    fn send_command(&mut self, cmd: &str, payload: &[u8]) {
        let mut out = p2p::transport::v1::serialize_header(MAGIC, cmd, payload).to_vec();
        out.extend_from_slice(payload);
        self.send_raw(&out);
    }

    /// The next message, or `None` once the node closed the connection.
    fn read(&mut self) -> Option<(String, Vec<u8>)> {
        let mut header = [0u8; 24];
        self.s.read_exact(&mut header).ok()?;
        let cmd: String = header[4..16]
            .iter()
            .take_while(|b| **b != 0)
            .map(|b| *b as char)
            .collect();
        let len = u32::from_le_bytes([header[16], header[17], header[18], header[19]]) as usize;
        let mut payload = vec![0u8; len];
        self.s.read_exact(&mut payload).ok()?;
        Some((cmd, payload))
    }

    /// Reads until a message `cmd` arrives (`None` if the connection closes first).
    fn read_until(&mut self, cmd: &str) -> Option<Vec<u8>> {
        loop {
            let (c, p) = self.read()?;
            if c == cmd {
                return Some(p);
            }
        }
    }

    fn handshake(port: u16) -> RawPeer {
        let mut p = RawPeer::connect(port);
        let zero = Address::new(&"0.0.0.0:0".parse().expect("addr"), ServiceFlags::NONE);
        p.send(&NetworkMessage::Version(VersionMessage {
            version: 70016,
            services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            timestamp: 0,
            receiver: zero.clone(),
            sender: zero,
            nonce: 0x1234_5678,
            user_agent: "/raw-test-peer/".into(),
            start_height: 0,
            relay: true,
        }));
        p.read_until("verack").expect("verack");
        p.send(&NetworkMessage::Verack);
        p
    }

    /// Whether the node closes the connection (anything it still sends is read past).
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.s.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }

    /// Pings and returns whether the matching pong came back.
    fn ping_ok(&mut self, nonce: u64) -> bool {
        self.send(&NetworkMessage::Ping(nonce));
        loop {
            match self.read() {
                Some((c, p)) if c == "pong" => return p == nonce.to_le_bytes(),
                Some(_) => continue,
                None => return false,
            }
        }
    }
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

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
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
