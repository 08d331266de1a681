//! The network RPC commands against two real `bitcoind` processes on loopback: connecting
//! them, what each side reports about the other, disconnecting, banning, turning the
//! network off and on, traffic totals and pings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{free_port, TempDir, TestNode, BITCOIND};

/// A node with its P2P port; the node is killed before its directory is removed.
struct P2pNode {
    node: TestNode,
    port: u16,
    _dir: TempDir,
}

impl P2pNode {
    fn start(tag: &str, comment: &str) -> P2pNode {
        let dir = TempDir::new(tag);
        let port = free_port();
        let args = [
            format!("-port={port}"),
            format!("-bind=127.0.0.1:{port}"),
            format!("-uacomment={comment}"),
            "-debug=net".to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let node = TestNode::start(BITCOIND, &dir.0, &args);
        P2pNode {
            node,
            port,
            _dir: dir,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn call(&self, method: &str, params: Value) -> Value {
        self.node.call(method, params)
    }

    fn call_err(&self, method: &str, params: Value) -> (i64, String) {
        self.node.call_err(method, params)
    }

    fn peers(&self) -> Vec<Value> {
        self.call("getpeerinfo", json!([]))
            .as_array()
            .cloned()
            .unwrap()
    }

    fn count(&self) -> i64 {
        self.call("getconnectioncount", json!([])).as_i64().unwrap()
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Both sides see one connection with the handshake done (the peer's version known).
fn wait_connected(a: &P2pNode, b: &P2pNode) {
    wait_until("the handshake", || {
        [a, b].iter().all(|n| {
            let p = n.peers();
            p.len() == 1 && p[0]["version"] == json!(70016)
        })
    });
}

fn wait_disconnected(a: &P2pNode, b: &P2pNode) {
    wait_until("the disconnection", || a.count() == 0 && b.count() == 0);
}

/// `b` opens a manual connection to `a`.
fn connect(a: &P2pNode, b: &P2pNode) {
    assert_eq!(b.call("addnode", json!([a.addr(), "onetry"])), Value::Null);
    wait_connected(a, b);
}

/// Asserts that `b` cannot stay connected to `a`.
fn assert_refused(a: &P2pNode, b: &P2pNode) {
    b.call("addnode", json!([a.addr(), "onetry"]));
    std::thread::sleep(Duration::from_millis(500));
    wait_disconnected(a, b);
    assert!(a.peers().is_empty());
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn totals(n: &P2pNode) -> (u64, u64) {
    let t = n.call("getnettotals", json!([]));
    (
        t["totalbytesrecv"].as_u64().unwrap(),
        t["totalbytessent"].as_u64().unwrap(),
    )
}

const CLIENT_VERSION: i64 = common::version::CLIENT_VERSION as i64;

fn user_agent(comment: &str) -> String {
    let v = CLIENT_VERSION;
    format!(
        "/Satoshi:{}.{}.{}({comment})/",
        v / 10000,
        (v / 100) % 100,
        v % 100
    )
}

#[test]
fn network_commands_between_two_nodes() {
    let a = P2pNode::start("p2prpc-a", "alpha");
    let b = P2pNode::start("p2prpc-b", "beta");

    // Before any connection.
    assert_eq!(a.count(), 0);
    assert_eq!(a.peers(), Vec::<Value>::new());
    let info = a.call("getnetworkinfo", json!([]));
    assert_eq!(
        keys(&info),
        [
            "version",
            "subversion",
            "protocolversion",
            "localservices",
            "localservicesnames",
            "localrelay",
            "timeoffset",
            "tx_send_rate",
            "inv_buckets",
            "networkactive",
            "connections",
            "connections_in",
            "connections_out",
            "networks",
            "relayfee",
            "incrementalfee",
            "localaddresses",
            "warnings",
        ]
    );
    assert_eq!(info["version"], json!(CLIENT_VERSION));
    assert_eq!(info["subversion"], json!(user_agent("alpha")));
    assert_eq!(info["protocolversion"], json!(70016));
    let services = info["localservices"].as_str().unwrap();
    assert_eq!(services.len(), 16);
    assert_eq!(services, "0000000000000c09");
    assert_eq!(
        info["localservicesnames"],
        json!(["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"])
    );
    assert_eq!(info["localrelay"], json!(true));
    assert_eq!(info["timeoffset"], json!(0));
    assert_eq!(info["networkactive"], json!(true));
    assert_eq!(info["connections"], json!(0));
    let names: Vec<&str> = info["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ipv4", "ipv6", "onion", "i2p", "cjdns"]);
    let ipv4 = &info["networks"][0];
    assert_eq!(
        keys(ipv4),
        [
            "name",
            "limited",
            "reachable",
            "proxy",
            "proxy_randomize_credentials"
        ]
    );
    assert_eq!(ipv4["reachable"], json!(true));
    assert_eq!(ipv4["limited"], json!(false));
    assert_eq!(info["networks"][2]["reachable"], json!(false));
    assert_eq!(info["relayfee"].to_string(), "0.00000100");
    assert_eq!(info["incrementalfee"].to_string(), "0.00000100");
    assert_eq!(info["localaddresses"], json!([]));
    assert_eq!(info["warnings"], json!([]));
    let totals_before = totals(&a);
    let nt = a.call("getnettotals", json!([]));
    assert_eq!(
        keys(&nt),
        [
            "totalbytesrecv",
            "totalbytessent",
            "timemillis",
            "uploadtarget"
        ]
    );
    assert_eq!(nt["uploadtarget"]["timeframe"], json!(86400));
    assert_eq!(nt["uploadtarget"]["target"], json!(0));
    assert_eq!(nt["uploadtarget"]["serve_historical_blocks"], json!(true));

    // A manual connection from b to a, v2 by default.
    connect(&a, &b);
    let out = &b.peers()[0];
    let inb = &a.peers()[0];
    let expected_keys = [
        "id",
        "addr",
        "addrbind",
        "addrlocal",
        "network",
        "services",
        "servicesnames",
        "relaytxes",
        "last_inv_sequence",
        "inv_to_send",
        "lastsend",
        "lastrecv",
        "last_transaction",
        "last_block",
        "bytessent",
        "bytesrecv",
        "conntime",
        "timeoffset",
        "pingtime",
        "minping",
        "pingwait",
        "version",
        "subver",
        "inbound",
        "bip152_hb_to",
        "bip152_hb_from",
        "presynced_headers",
        "synced_headers",
        "synced_blocks",
        "inflight",
        "addr_relay_enabled",
        "addr_processed",
        "addr_rate_limited",
        "permissions",
        "minfeefilter",
        "bytessent_per_msg",
        "bytesrecv_per_msg",
        "connection_type",
        "transport_protocol_type",
        "session_id",
    ];
    for p in [out, inb] {
        // Every key is known, in Core's order; optional ones may be missing.
        let got = keys(p);
        let positions: Vec<usize> = got
            .iter()
            .map(|k| {
                expected_keys
                    .iter()
                    .position(|e| e == k)
                    .unwrap_or_else(|| panic!("unexpected key {k}"))
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        for k in expected_keys {
            if !matches!(
                k,
                "addrlocal" | "pingtime" | "minping" | "pingwait" | "addrbind"
            ) {
                assert!(p.get(k).is_some(), "missing {k} in {p}");
            }
        }
        assert_eq!(p["version"], json!(70016));
        assert_eq!(p["network"], json!("not_publicly_routable"));
        assert_eq!(p["transport_protocol_type"], json!("v2"));
        assert_eq!(p["session_id"].as_str().unwrap().len(), 64);
        assert!(p["bytessent_per_msg"].get("verack").is_some(), "{p}");
        assert!(p["bytesrecv_per_msg"].get("verack").is_some(), "{p}");
        assert_eq!(p["services"], json!("0000000000000c09"));
        assert_eq!(p["presynced_headers"], json!(-1));
        // The outbound side set it up at the handshake; the inbound side on the
        // outbound side's getaddr.
        assert_eq!(p["addr_relay_enabled"], json!(true));
        assert_eq!(p["permissions"], json!([]));
        assert!(p["minfeefilter"].is_number(), "{p}");
        assert!(p["bytessent"].as_u64().unwrap() > 0);
        assert!(p["conntime"].as_i64().unwrap() > 0);
    }
    // The two ends agree on the session.
    assert_eq!(out["session_id"], inb["session_id"]);
    assert_eq!(out["inbound"], json!(false));
    assert_eq!(out["connection_type"], json!("manual"));
    assert_eq!(out["addr"], json!(a.addr()));
    assert_eq!(out["subver"], json!(user_agent("alpha")));
    assert_eq!(inb["inbound"], json!(true));
    assert_eq!(inb["connection_type"], json!("inbound"));
    assert_eq!(inb["addrbind"], json!(a.addr()));
    assert_eq!(inb["subver"], json!(user_agent("beta")));
    assert_eq!(a.count(), 1);
    assert_eq!(b.count(), 1);
    let info = a.call("getnetworkinfo", json!([]));
    assert_eq!(
        (
            &info["connections"],
            &info["connections_in"],
            &info["connections_out"]
        ),
        (&json!(1), &json!(1), &json!(0))
    );
    let info = b.call("getnetworkinfo", json!([]));
    assert_eq!(
        (&info["connections_in"], &info["connections_out"]),
        (&json!(0), &json!(1))
    );

    // Traffic totals grew with the handshake.
    let after = totals(&a);
    assert!(after.0 > totals_before.0 && after.1 > totals_before.1);

    // ping: a round trip shows up.
    assert_eq!(b.call("ping", json!([])), Value::Null);
    wait_until("pingtime", || {
        let p = b.peers();
        p.len() == 1 && p[0].get("pingtime").is_some() && p[0].get("minping").is_some()
    });
    assert!(b.peers()[0]["pingtime"].as_f64().unwrap() >= 0.0);

    // addnode / getaddednodeinfo.
    let bad = b.call_err("addnode", json!([a.addr(), "bogus"]));
    assert_eq!(bad.0, -1);
    assert!(
        bad.1
            .starts_with("addnode \"node\" \"command\" ( v2transport )\n"),
        "{}",
        bad.1
    );
    assert_eq!(
        b.call_err("addnode", json!([" ", "add"])),
        (-8, "Error: Node address cannot be empty".into())
    );
    assert_eq!(
        b.call_err("addnode", json!(["10.1.2.3", "remove"])),
        (
            -24,
            "Error: Node could not be removed. It has not been added previously.".into()
        )
    );
    assert_eq!(b.call("getaddednodeinfo", json!([])), json!([]));
    b.call("addnode", json!([a.addr(), "add"]));
    assert_eq!(
        b.call_err("addnode", json!([a.addr(), "add"])),
        (-23, "Error: Node already added".into())
    );
    assert_eq!(
        b.call("getaddednodeinfo", json!([a.addr()])),
        json!([{
            "addednode": a.addr(),
            "connected": true,
            "addresses": [{"address": a.addr(), "connected": "outbound"}],
        }])
    );
    assert_eq!(
        b.call_err("getaddednodeinfo", json!(["10.9.9.9"])),
        (-24, "Error: Node has not been added.".into())
    );
    assert_eq!(b.call("addnode", json!([a.addr(), "remove"])), Value::Null);
    assert_eq!(b.call("getaddednodeinfo", json!([])), json!([]));

    // disconnectnode by id, on the inbound side.
    assert_eq!(
        a.call_err("disconnectnode", json!(["", 999])),
        (-29, "Node not found in connected nodes".into())
    );
    assert_eq!(
        a.call_err("disconnectnode", json!(["1.2.3.4:5", 1])),
        (
            -32602,
            "Only one of address and nodeid should be provided.".into()
        )
    );
    let id = a.peers()[0]["id"].clone();
    assert_eq!(a.call("disconnectnode", json!(["", id])), Value::Null);
    wait_disconnected(&a, &b);

    // disconnectnode by address, on the outbound side.
    connect(&a, &b);
    assert_eq!(
        b.call("disconnectnode", json!({"address": a.addr()})),
        Value::Null
    );
    wait_disconnected(&a, &b);

    // setban drops the connection, and the banned address cannot come back.
    connect(&a, &b);
    assert_eq!(a.call_err("setban", json!(["127.0.0.1", "bogus"])).0, -1);
    assert_eq!(
        a.call_err("setban", json!(["not-an-ip", "add"])),
        (-30, "Error: Invalid IP/Subnet".into())
    );
    assert_eq!(a.call("setban", json!(["127.0.0.1", "add"])), Value::Null);
    wait_disconnected(&a, &b);
    assert_eq!(
        a.call_err("setban", json!(["127.0.0.1", "add"])),
        (-23, "Error: IP/Subnet already banned".into())
    );
    assert_eq!(
        a.call_err("setban", json!(["10.0.0.0/8", "add", 1000, true])),
        (-8, "Error: Absolute timestamp is in the past".into())
    );
    a.call("setban", json!(["10.0.0.0/255.0.0.0", "add", 3600]));
    let banned = a.call("listbanned", json!([]));
    let banned = banned.as_array().unwrap();
    assert_eq!(banned.len(), 2);
    let addrs: Vec<&str> = banned
        .iter()
        .map(|b| b["address"].as_str().unwrap())
        .collect();
    assert_eq!(addrs, ["10.0.0.0/8", "127.0.0.1/32"]);
    let ban = &banned[1];
    assert_eq!(
        keys(ban),
        [
            "address",
            "ban_created",
            "banned_until",
            "ban_duration",
            "time_remaining"
        ]
    );
    assert_eq!(ban["ban_duration"], json!(86400));
    assert!(ban["time_remaining"].as_i64().unwrap() <= 86400);
    assert_eq!(banned[0]["ban_duration"], json!(3600));
    assert_refused(&a, &b);
    assert_eq!(
        a.call_err("setban", json!(["10.1.1.1", "remove"])),
        (
            -30,
            "Error: Unban failed. Requested address/subnet was not previously manually banned."
                .into()
        )
    );
    assert_eq!(
        a.call("setban", json!(["10.0.0.0/8", "remove"])),
        Value::Null
    );
    assert_eq!(a.call("clearbanned", json!([])), Value::Null);
    assert_eq!(a.call("listbanned", json!([])), json!([]));
    connect(&a, &b);

    // setnetworkactive: off drops everyone and refuses new connections.
    assert_eq!(a.call("setnetworkactive", json!([false])), json!(false));
    assert_eq!(
        a.call("getnetworkinfo", json!([]))["networkactive"],
        json!(false)
    );
    wait_disconnected(&a, &b);
    assert_refused(&a, &b);
    assert_eq!(a.call("setnetworkactive", json!([true])), json!(true));
    assert_eq!(
        a.call("getnetworkinfo", json!([]))["networkactive"],
        json!(true)
    );

    // addconnection (regtest only) opens an automatic-type connection.
    let bad = b.call_err("addconnection", json!([a.addr(), "bogus", false]));
    assert_eq!(bad.0, -8);
    assert!(bad
        .1
        .starts_with("addconnection \"address\" \"connection_type\" v2transport\n"));
    assert_eq!(
        b.call(
            "addconnection",
            json!([a.addr(), " outbound-full-relay ", true])
        ),
        json!({"address": a.addr(), "connection_type": "outbound-full-relay"})
    );
    wait_connected(&a, &b);
    assert_eq!(
        b.peers()[0]["connection_type"],
        json!("outbound-full-relay")
    );
    assert_eq!(b.peers()[0]["relaytxes"], json!(true));

    let later = totals(&a);
    assert!(later.0 > after.0 && later.1 > after.1);

    // The help follows Core's layout.
    let help = a.call("help", json!(["getpeerinfo"]));
    let help = help.as_str().unwrap();
    assert!(help.starts_with("getpeerinfo\n\n"), "{help}");
    assert!(
        help.contains("\"transport_protocol_type\" : \"str\","),
        "{help}"
    );
    let listing = a.call("help", json!([]));
    assert!(listing.as_str().unwrap().contains("== Network ==\naddnode \"node\" \"command\" ( v2transport )\nclearbanned\ndisconnectnode ( \"address\" nodeid )\n"));
    assert!(!listing.as_str().unwrap().contains("addconnection"));
}

#[test]
fn commands_need_the_network_args() {
    // -deprecatedrpc=warnings switches the warnings field to a string, and -onlynet
    // limits the reachable networks.
    let dir = TempDir::new("p2prpc-c");
    let port = free_port();
    let node = TestNode::start(
        BITCOIND,
        &dir.0,
        &[
            &format!("-port={port}"),
            &format!("-bind=127.0.0.1:{port}"),
            "-deprecatedrpc=warnings",
            "-onlynet=ipv6",
            "-v2transport=0",
            "-blocksonly",
        ],
    );
    let info = node.call("getnetworkinfo", json!([]));
    assert_eq!(info["warnings"], json!(""));
    assert_eq!(info["networks"][0]["reachable"], json!(false));
    assert_eq!(info["networks"][0]["limited"], json!(true));
    assert_eq!(info["networks"][1]["reachable"], json!(true));
    assert_eq!(info["localservices"], json!("0000000000000409"));
    assert_eq!(info["localrelay"], json!(false));
    assert_eq!(
        node.call_err("addnode", json!(["127.0.0.1:1", "onetry", true])),
        (
            -8,
            "Error: v2transport requested but not enabled (see -v2transport)".into()
        )
    );
    assert_eq!(
        node.call_err("addconnection", json!(["127.0.0.1:1", "feeler", true])),
        (
            -8,
            "Error: Adding v2transport connections requires -v2transport init flag to be set."
                .into()
        )
    );
    let help = node.call("help", json!(["getnetworkinfo"]));
    assert!(help.as_str().unwrap().contains("\"warnings\" : \"str\"   "));
    drop(node);
}
