//! Automatic outbound connections against real `bitcoind` processes on loopback:
//! `-seednode` addr-fetch connections that fill an empty address manager and then
//! leave, and block-relay-only anchors kept in `anchors.dat` across a clean restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{free_port, TempDir, TestNode, BITCOIND};

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn peers(node: &TestNode) -> Vec<Value> {
    node.call("getpeerinfo", json!([]))
        .as_array()
        .cloned()
        .unwrap()
}

/// A node listening on a free loopback port.
fn listening(dir: &TempDir) -> (TestNode, u16) {
    let port = free_port();
    let args = [
        format!("-port={port}"),
        format!("-bind=127.0.0.1:{port}"),
        "-debug=net".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (TestNode::start(BITCOIND, &dir.0, &args), port)
}

#[test]
fn seednode_fills_an_empty_address_manager_then_leaves() {
    let dir_b = TempDir::new("outbound-seed-b");
    let (b, port) = listening(&dir_b);
    // Addresses the seed will hand out. They are IPv4, and the node under test only
    // reaches IPv6, so nothing dials out of the machine.
    // A getaddr answer holds at most 23% of the known addresses: ten give two, and
    // more than one lets the addr-fetch peer go.
    for i in 1..=10 {
        let r = b.call("addpeeraddress", json!([format!("{}.2.3.4", 20 + i), 8333]));
        assert_eq!(r["success"], json!(true));
    }

    let dir_a = TempDir::new("outbound-seed-a");
    let seed = format!("-seednode=127.0.0.1:{port}");
    let a = TestNode::start(BITCOIND, &dir_a.0, &[&seed, "-onlynet=ipv6", "-debug=net"]);
    wait_until("the seed's addresses", || {
        a.call("getnodeaddresses", json!([0]))
            .as_array()
            .unwrap()
            .len()
            >= 2
    });
    // The addr-fetch connection is dropped once the addresses arrived.
    wait_until("the addr-fetch peer to leave", || peers(&a).is_empty());
    let log = a.debug_log();
    assert!(log.contains(&format!(
        "Empty addrman, adding seednode (127.0.0.1:{port}) to addrfetch"
    )));
    assert!(log.contains(&format!(
        "trying v2 connection (addr-fetch) to 127.0.0.1:{port}"
    )));
    assert!(log.contains("0 block-relay-only anchors will be tried for connections."));
    let networks = a.call("getnetworkinfo", json!([]))["networks"].clone();
    let ipv4 = networks
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "ipv4")
        .unwrap()
        .clone();
    assert_eq!(ipv4["reachable"], json!(false));
    // Only IPv6 is reachable and none is known, so no automatic connection was tried.
    assert!(!log.contains("(outbound-full-relay)"));
}

#[test]
fn anchors_are_reconnected_after_a_clean_restart() {
    let dir_b = TempDir::new("outbound-anchor-b");
    let (b, port) = listening(&dir_b);
    let dir_a = TempDir::new("outbound-anchor-a");
    // -dnsseed=0 keeps automatic connections on in the test harness.
    let mut a = TestNode::start(BITCOIND, &dir_a.0, &["-dnsseed=0", "-debug=net"]);
    let target = format!("127.0.0.1:{port}");
    a.call("addconnection", json!([target, "block-relay-only", false]));
    wait_until("the block-relay-only peer", || {
        peers(&a)
            .iter()
            .any(|p| p["connection_type"] == "block-relay-only" && p["version"] == json!(70016))
    });
    let (status, _) = a.stop();
    assert!(status.success());
    let anchors = dir_a.0.join("regtest").join("anchors.dat");
    let data = std::fs::read(&anchors).expect("anchors.dat written at shutdown");
    // 127.0.0.1 then the port, big-endian, in the BIP155 entry.
    let mut needle = vec![0x7f, 0, 0, 1];
    needle.extend_from_slice(&port.to_be_bytes());
    assert!(data.windows(needle.len()).any(|w| w == needle.as_slice()));
    assert!(a
        .debug_log()
        .contains("DumpAnchors: Flush 1 outbound block-relay-only peer addresses to anchors.dat"));

    a.spawn();
    a.wait_ready();
    wait_until("the anchor connection", || {
        peers(&a)
            .iter()
            .any(|p| p["connection_type"] == "block-relay-only" && p["addr"] == json!(target))
    });
    let log = a.debug_log();
    assert!(log.contains("1 block-relay-only anchors will be tried for connections."));
    assert!(log.contains(&format!("Trying to make an anchor connection to {target}")));
    // Read once and removed, so a crash never reuses them.
    assert!(!anchors.exists());
    drop(b);
}

#[test]
fn onlynet_and_dnsseed_errors() {
    let dir = TempDir::new("outbound-errors");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(BITCOIND)
            .arg("-regtest")
            .arg(format!("-datadir={}", dir.0.display()))
            .arg("-listen=0")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(run(&["-onlynet=bogus"]).contains("Unknown network specified in -onlynet: 'bogus'"));
    assert!(run(&["-onlynet=i2p"]).contains(
        "Outbound connections restricted to i2p (-onlynet=i2p) but -i2psam is not provided"
    ));
    assert!(run(&["-forcednsseed=1", "-dnsseed=0"])
        .contains("Cannot set -forcednsseed to true when setting -dnsseed to false."));
    assert!(run(&["-onlynet=cjdns"]).contains(
        "Outbound connections restricted to CJDNS (-onlynet=cjdns) but -cjdnsreachable is not provided"
    ));
    assert!(run(&["-onlynet=cjdns", "-cjdnsreachable", "-dnsseed=1"])
        .contains("Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6"));
}
