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

/// A listening node holding ten routable addresses to hand out.
fn seed_with_addresses(dir: &TempDir) -> (TestNode, u16) {
    let (b, port) = listening(dir);
    // A getaddr answer holds at most 23% of the known addresses: ten give two, and
    // more than one lets an addr-fetch peer go.
    for i in 1..=10 {
        let r = b.call("addpeeraddress", json!([format!("{}.2.3.4", 20 + i), 8333]));
        assert_eq!(r["success"], json!(true));
    }
    (b, port)
}

#[test]
fn seednode_fills_an_empty_address_manager_then_leaves() {
    let dir_b = TempDir::new("outbound-seed-b");
    let (_b, port) = seed_with_addresses(&dir_b);
    let dir_a = TempDir::new("outbound-seed-a");
    let seed = format!("-seednode=127.0.0.1:{port}");
    // Automatic connections go through a proxy nobody listens on, so nothing dials out
    // of the machine (loopback seeds are reached directly, as in Core).
    let a = TestNode::start(
        BITCOIND,
        &dir_a.0,
        &[&seed, "-proxy=127.0.0.1:1", "-debug=net"],
    );
    wait_until("the seed's addresses", || {
        a.call("getnodeaddresses", json!([0]))
            .as_array()
            .unwrap()
            .len()
            >= 2
    });
    let raw = a.call("getrawaddrman", json!([]));
    assert_eq!(raw["tried"], json!({}));
    let new: Vec<Value> = raw["new"].as_object().unwrap().values().cloned().collect();
    assert!(new.len() >= 2);
    for e in &new {
        assert_eq!(e["port"], json!(8333));
        assert_eq!(e["network"], json!("ipv4"));
        assert_eq!(e["source"], json!("127.0.0.1"));
        assert_eq!(e["source_network"], json!("not_publicly_routable"));
    }
    // The addr-fetch connection is dropped once the addresses arrived.
    wait_until("the addr-fetch peer to leave", || {
        !peers(&a)
            .iter()
            .any(|p| p["connection_type"] == "addr-fetch")
    });
    // Then the learned addresses are tried as automatic full-relay peers.
    wait_until("an automatic connection attempt", || {
        a.debug_log()
            .contains("connection (outbound-full-relay) to 2")
    });
    let log = a.debug_log();
    assert!(log.contains(&format!(
        "Empty addrman, adding seednode (127.0.0.1:{port}) to addrfetch"
    )));
    assert!(log.contains(&format!(
        "trying v2 connection (addr-fetch) to 127.0.0.1:{port}"
    )));
    assert!(log.contains("addrfetch connection completed"));
    assert!(log.contains("0 block-relay-only anchors will be tried for connections."));
}

#[test]
fn addresses_of_unreachable_networks_are_not_kept() {
    let dir_b = TempDir::new("outbound-onlynet-b");
    let (_b, port) = seed_with_addresses(&dir_b);
    let dir_a = TempDir::new("outbound-onlynet-a");
    let seed = format!("-seednode=127.0.0.1:{port}");
    let a = TestNode::start(BITCOIND, &dir_a.0, &[&seed, "-onlynet=ipv6", "-debug=net"]);
    wait_until("the addr-fetch answer", || {
        a.debug_log().contains("addrfetch connection completed")
    });
    assert_eq!(a.call("getnodeaddresses", json!([0])), json!([]));
    let networks = a.call("getnetworkinfo", json!([]))["networks"].clone();
    let reachable: Vec<&str> = networks
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["reachable"] == json!(true))
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(reachable, ["ipv6"]);
    assert!(!a.debug_log().contains("(outbound-full-relay)"));
}

#[test]
fn a_silent_addr_fetch_peer_is_dropped_after_five_minutes() {
    // A seed that knows no addresses never answers the getaddr.
    let dir_b = TempDir::new("outbound-silent-b");
    let (_b, port) = listening(&dir_b);
    let dir_a = TempDir::new("outbound-silent-a");
    let seed = format!("-seednode=127.0.0.1:{port}");
    let a = TestNode::start(BITCOIND, &dir_a.0, &[&seed, "-onlynet=ipv6", "-debug=net"]);
    wait_until("the addr-fetch peer", || {
        peers(&a)
            .iter()
            .any(|p| p["connection_type"] == "addr-fetch" && p["version"] == json!(70016))
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    a.call("setmocktime", json!([now + 295]));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(peers(&a).len(), 1);
    a.call("setmocktime", json!([now + 302]));
    wait_until("the addr-fetch timeout", || peers(&a).is_empty());
    assert!(a.debug_log().contains("addrfetch connection timeout"));
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
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // Each fails before anything listens.
    assert!(run(&["-bind=127.0.0.1:11012", "-whitebind=noban@127.0.0.1:11012"]).contains(
        "Duplicate binding configuration for address 127.0.0.1:11012. Please check your -bind, -bind=...=onion and -whitebind settings."
    ));
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

/// The CONNECT requests a test proxy saw: host, port and offered user name.
type Requests = std::sync::Arc<std::sync::Mutex<Vec<(String, u16, Option<String>)>>>;

/// A SOCKS5 proxy for the test: records each CONNECT destination and forwards every
/// connection to `target`, whatever was asked.
fn socks5_forwarder(target: u16) -> (u16, Requests) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut head = [0u8; 2];
                c.read_exact(&mut head).ok()?;
                let mut methods = vec![0u8; head[1] as usize];
                c.read_exact(&mut methods).ok()?;
                let mut user = None;
                if methods.contains(&2) {
                    c.write_all(&[5, 2]).ok()?;
                    let mut v = [0u8; 2];
                    c.read_exact(&mut v).ok()?;
                    let mut name = vec![0u8; v[1] as usize];
                    c.read_exact(&mut name).ok()?;
                    let mut plen = [0u8; 1];
                    c.read_exact(&mut plen).ok()?;
                    let mut pass = vec![0u8; plen[0] as usize];
                    c.read_exact(&mut pass).ok()?;
                    user = Some(String::from_utf8_lossy(&name).to_string());
                    c.write_all(&[1, 0]).ok()?;
                } else {
                    c.write_all(&[5, 0]).ok()?;
                }
                let mut req = [0u8; 5];
                c.read_exact(&mut req).ok()?;
                assert_eq!(&req[..4], &[5, 1, 0, 3]);
                let mut host = vec![0u8; req[4] as usize];
                c.read_exact(&mut host).ok()?;
                let mut p = [0u8; 2];
                c.read_exact(&mut p).ok()?;
                log.lock().unwrap().push((
                    String::from_utf8_lossy(&host).to_string(),
                    u16::from_be_bytes(p),
                    user,
                ));
                let up = std::net::TcpStream::connect(("127.0.0.1", target)).ok()?;
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).ok()?;
                let (mut a, mut b) = (c.try_clone().ok()?, up.try_clone().ok()?);
                let (mut c2, mut up2) = (c, up);
                std::thread::spawn(move || std::io::copy(&mut a, &mut up2));
                std::io::copy(&mut b, &mut c2).ok()?;
                Some(())
            });
        }
    });
    (port, seen)
}

#[test]
fn connections_go_through_the_socks5_proxy() {
    let dir_b = TempDir::new("outbound-proxy-b");
    let (b, b_port) = listening(&dir_b);
    let (proxy_port, seen) = socks5_forwarder(b_port);
    let dir_a = TempDir::new("outbound-proxy-a");
    let proxy = format!("-proxy=127.0.0.1:{proxy_port}");
    let a = TestNode::start(BITCOIND, &dir_a.0, &[&proxy, "-debug=net"]);

    let info = a.call("getnetworkinfo", json!([]));
    for net in info["networks"].as_array().unwrap() {
        let expected = if net["name"] == "i2p" {
            String::new()
        } else {
            format!("127.0.0.1:{proxy_port}")
        };
        assert_eq!(net["proxy"], json!(expected), "{net}");
        assert_eq!(
            net["proxy_randomize_credentials"],
            json!(net["name"] != "i2p")
        );
    }
    // Onion is reachable through the proxy; i2p still needs a SAM bridge.
    let reach = |name: &str| {
        info["networks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap()["reachable"]
            .clone()
    };
    assert_eq!(reach("onion"), json!(true));
    assert_eq!(reach("i2p"), json!(false));

    // A loopback address is not publicly routable, so it has no network proxy and is
    // dialled directly, as Core does; a name goes to the proxy unresolved.
    a.call("addnode", json!([format!("127.0.0.1:{b_port}"), "onetry"]));
    a.call("addnode", json!([format!("localhost:{b_port}"), "onetry"]));
    let onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:18444";
    a.call(
        "addconnection",
        json!([onion, "outbound-full-relay", false]),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while b.call("getconnectioncount", json!([])).as_i64() != Some(3) {
        assert!(
            Instant::now() < deadline,
            "three proxied peers: asked {:?}\n{}",
            seen.lock().unwrap(),
            a.debug_log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let asked = seen.lock().unwrap().clone();
    let hosts: Vec<(String, u16)> = asked.iter().map(|(h, p, _)| (h.clone(), *p)).collect();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    assert!(
        hosts.contains(&("localhost".to_string(), b_port)),
        "{hosts:?}"
    );
    assert!(
        hosts.contains(&(onion[..62].to_string(), 18444)),
        "{hosts:?}"
    );
    // Stream isolation: each connection offered its own user name.
    let users: std::collections::HashSet<_> =
        asked.iter().filter_map(|(_, _, u)| u.clone()).collect();
    assert_eq!(users.len(), asked.len());
    let onion_peer = peers(&a)
        .into_iter()
        .find(|p| p["addr"] == json!(onion))
        .expect("the onion peer is listed by its name");
    assert_eq!(onion_peer["network"], json!("onion"));
    assert_eq!(onion_peer["connection_type"], json!("outbound-full-relay"));
}

#[test]
fn a_stale_tip_asks_for_an_extra_outbound_peer() {
    let dir = TempDir::new("outbound-stale");
    // -dnsseed=0 keeps automatic connections on in the test harness.
    let a = TestNode::start(BITCOIND, &dir.0, &["-dnsseed=0", "-debug=net"]);
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // The first check notes the time; the tip is judged 10 minutes later.
    a.call("setmocktime", json!([start]));
    a.call("mockscheduler", json!([45]));
    a.call("setmocktime", json!([start + 31 * 60]));
    a.call("mockscheduler", json!([45]));
    wait_until("the stale-tip line", || {
        a.debug_log().contains(
            "Potential stale tip detected, will try using extra outbound peer (last tip update: 1860 seconds ago)",
        )
    });
    assert!(a
        .debug_log()
        .contains("setting try another outbound peer=true"));
    // A fresh block ends initial sync: extra block-relay-only peers start.
    let addr = support::regtest_address();
    a.call("generatetoaddress", json!([1, addr]));
    a.call("mockscheduler", json!([45]));
    wait_until("extra block-relay-only peers", || {
        a.debug_log()
            .contains("enabling extra block-relay-only peers")
    });
}

#[test]
fn parameter_interactions_follow_core_order() {
    let dir = TempDir::new("outbound-interactions");
    let port = free_port();
    let bind = format!("-bind=127.0.0.1:{port}");
    // An explicit binding wins over the proxy's and -connect's "do not listen".
    let a = TestNode::start(
        BITCOIND,
        &dir.0,
        &[
            &bind,
            "-proxy=127.0.0.1:1",
            "-connect=0",
            "-whitelistforcerelay",
            "-debug=net",
        ],
    );
    let log = a.debug_log();
    for line in [
        "parameter interaction: -bind set -> setting -listen=1",
        "parameter interaction: -proxy set -> setting -natpmp=0",
        "parameter interaction: -whitelistforcerelay=1 -> setting -whitelistrelay=1",
    ] {
        assert!(log.contains(line), "missing {line}");
    }
    assert!(!log.contains("setting -listen=0"));
    // -connect=0 is "no automatic connections", not a peer called "0".
    assert!(!log.contains("trying v"));
    // It listens, and says so for the inbound peer.
    let _peer = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    wait_until("the inbound connection", || {
        a.debug_log().contains("Added connection peer=0")
    });
}

#[test]
fn external_addresses_are_listed_and_advertised() {
    let dir_a = TempDir::new("outbound-local-a");
    let port = free_port();
    let args = [
        format!("-port={port}"),
        format!("-bind=127.0.0.1:{port}"),
        "-externalip=1.2.3.4".to_string(),
        "-debug=net".to_string(),
        "-logips".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = TestNode::start(BITCOIND, &dir_a.0, &args);
    let info = a.call("getnetworkinfo", json!([]));
    assert_eq!(
        info["localaddresses"],
        json!([{"address": "1.2.3.4", "port": port, "score": 4}])
    );
    let log = a.debug_log();
    assert!(log.contains("parameter interaction: -externalip set -> setting -discover=0"));
    assert!(log.contains(&format!("AddLocal(1.2.3.4:{port},4)")));
    // Out of initial download, the node tells its peers where to reach it.
    a.call("generatetoaddress", json!([1, support::regtest_address()]));
    let dir_b = TempDir::new("outbound-local-b");
    let b = TestNode::start(BITCOIND, &dir_b.0, &[]);
    b.call("addnode", json!([format!("127.0.0.1:{port}"), "onetry"]));
    wait_until("the advertised address", || {
        b.call("getnodeaddresses", json!([0]))
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["address"] == "1.2.3.4" && e["port"] == json!(port))
    });
    assert!(a
        .debug_log()
        .contains(&format!("Advertising address 1.2.3.4:{port} to peer=0")));
    // A name that does not resolve (here: DNS is off) is an init error.
    let dir_c = TempDir::new("outbound-local-c");
    let out = std::process::Command::new(BITCOIND)
        .arg("-regtest")
        .arg(format!("-datadir={}", dir_c.0.display()))
        .args(["-dns=0", "-externalip=no.such.host.invalid"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Cannot resolve -externalip address: 'no.such.host.invalid'"));
}

#[test]
fn inbound_transaction_relay_has_its_share_of_the_slots() {
    use support::raw_peer::{self, RawPeer};
    // 13 connections leave two inbound slots; none may relay transactions.
    let p = raw_peer::start(
        "outbound-relay-share",
        &["-maxconnections=13", "-inboundrelaypercent=0", "-debug=net"],
    );
    let mut relaying = RawPeer::connect(p.port);
    relaying.send_version(true);
    assert!(
        relaying.read_until("verack").is_none(),
        "refused before verack"
    );
    raw_peer::wait_until("the refusal line", 30, || {
        p.node.debug_log().contains(
            "failed to find a tx-relaying eviction candidate - connection dropped after version message",
        )
    });
    // A block-relay peer takes an inbound slot without asking to relay.
    let mut quiet = RawPeer::connect(p.port);
    quiet.send_version(false);
    assert!(quiet.read_until("verack").is_some());
    // With the default share, a transaction-relaying peer is welcome.
    let q = raw_peer::start("outbound-relay-default", &["-maxconnections=13"]);
    let mut fine = RawPeer::connect(q.port);
    fine.send_version(true);
    assert!(fine.read_until("verack").is_some());
}
