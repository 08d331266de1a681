//! Nodes of ours as peers on loopback, and a test peer speaking v1 over a raw socket,
//! for the P2P integration tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bitcoin::p2p::address::Address;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;

use serde_json::{json, Value};

use super::{free_port, TempDir, TestNode, BITCOIND};

/// Regtest's message start.
pub const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// A node listening for peers on its own loopback port.
pub struct Peer {
    pub node: TestNode,
    pub port: u16,
    pub _dir: TempDir,
}

pub fn start(tag: &str, extra: &[&str]) -> Peer {
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

pub fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A test peer speaking v1 over a raw socket.
pub struct RawPeer {
    pub s: TcpStream,
}

impl RawPeer {
    pub fn connect(port: u16) -> RawPeer {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        RawPeer { s }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        // The node may already have hung up; that is what some cases check.
        let _ = self.s.write_all(bytes);
    }

    pub fn send(&mut self, msg: &NetworkMessage) {
        let (cmd, payload) = p2p::message::encode(msg);
        self.send_command(&cmd, &payload);
    }

    pub fn send_command(&mut self, cmd: &str, payload: &[u8]) {
        let mut out = p2p::transport::v1::serialize_header(MAGIC, cmd, payload).to_vec();
        out.extend_from_slice(payload);
        self.send_raw(&out);
    }

    /// The next message, or `None` once the node closed the connection.
    pub fn read(&mut self) -> Option<(String, Vec<u8>)> {
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
    pub fn read_until(&mut self, cmd: &str) -> Option<Vec<u8>> {
        loop {
            let (c, p) = self.read()?;
            if c == cmd {
                return Some(p);
            }
        }
    }

    pub fn handshake(port: u16) -> RawPeer {
        let mut p = RawPeer::connect(port);
        p.send_version(true);
        p.read_until("verack").expect("verack");
        p.send(&NetworkMessage::Verack);
        p
    }

    /// Sends our `version`, asking for transaction relay or not.
    pub fn send_version(&mut self, relay: bool) {
        let zero = Address::new(&"0.0.0.0:0".parse().expect("addr"), ServiceFlags::NONE);
        self.send(&NetworkMessage::Version(VersionMessage {
            version: 70016,
            services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
            timestamp: 0,
            receiver: zero.clone(),
            sender: zero,
            nonce: 0x1234_5678,
            user_agent: "/raw-test-peer/".into(),
            start_height: 0,
            relay,
        }));
    }

    /// Whether the node closes the connection (anything it still sends is read past).
    pub fn closed(&mut self) -> bool {
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
    pub fn ping_ok(&mut self, nonce: u64) -> bool {
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

/// The README's address and its well-known key: its coinbases can be spent.
pub const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
pub const WIF: &str = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
pub const SCRIPT: &str = "0014751e76e8199196d454941c45d1b3a323f1433bd6";

pub fn best(p: &Peer) -> Value {
    p.node.call("getbestblockhash", json!([]))
}

pub fn mempool(p: &Peer) -> Vec<Value> {
    p.node
        .call("getrawmempool", json!([]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A signed transaction spending the coinbase of block `height` to the known address.
pub fn spend_coinbase(p: &Peer, height: u64) -> (String, String) {
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

/// Bytes from hex text (test data only: bad digits read as zero).
pub fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}
