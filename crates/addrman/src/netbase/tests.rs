//! Cases from Core's netbase_tests.cpp and net_tests.cpp.

use super::*;
use crate::netaddress::Network;
use crate::netgroup::get_group;

const TOR: &str = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";

fn ip(s: &str) -> NetAddr {
    lookup_host_numeric(s).unwrap_or_default()
}

fn internal(s: &str) -> NetAddr {
    NetAddr::internal(s).unwrap_or_default()
}

fn subnet(s: &str) -> SubNet {
    lookup_subnet(s, true)
}

#[test]
fn networks() {
    assert_eq!(ip("127.0.0.1").get_network(), Network::Unroutable);
    assert_eq!(ip("::1").get_network(), Network::Unroutable);
    assert_eq!(ip("8.8.8.8").get_network(), Network::Ipv4);
    assert_eq!(ip("2001::8888").get_network(), Network::Ipv6);
    assert_eq!(ip(TOR).get_network(), Network::Onion);
    assert_eq!(internal("foo.com").get_network(), Network::Internal);
}

#[test]
fn properties() {
    assert!(ip("127.0.0.1").is_ipv4());
    assert!(ip("::FFFF:192.168.1.1").is_ipv4());
    assert!(ip("::1").is_ipv6());
    assert!(ip("10.0.0.1").is_rfc1918());
    assert!(ip("192.168.1.1").is_rfc1918());
    assert!(ip("172.31.255.255").is_rfc1918());
    assert!(ip("198.18.0.0").is_rfc2544());
    assert!(ip("198.19.255.255").is_rfc2544());
    assert!(ip("2001:0DB8::").is_rfc3849());
    assert!(ip("169.254.1.1").is_rfc3927());
    assert!(ip("2002::1").is_rfc3964());
    assert!(ip("FC00::").is_rfc4193());
    assert!(ip("2001::2").is_rfc4380());
    assert!(ip("2001:10::").is_rfc4843());
    assert!(ip("2001:20::").is_rfc7343());
    assert!(ip("FE80::").is_rfc4862());
    assert!(ip("64:FF9B::").is_rfc6052());
    assert!(ip(TOR).is_tor());
    assert!(ip("127.0.0.1").is_local());
    assert!(ip("::1").is_local());
    assert!(ip("8.8.8.8").is_routable());
    assert!(ip("2001::1").is_routable());
    assert!(ip("127.0.0.1").is_valid());
    assert!(internal("FD6B:88C0:8724:edb1:8e4:3588:e546:35ca").is_internal());
    assert!(internal("bar.com").is_internal());
    assert!(!ip("0.0.0.0").is_valid());
    assert!(!ip("255.255.255.255").is_valid());
    assert!(!ip("::").is_valid());
    assert!(!internal("x").is_valid());
}

fn split(input: &str, host: &str, port: u16, valid: bool) {
    let hp = split_host_port(input);
    assert_eq!(
        (hp.host.as_str(), hp.port.unwrap_or(0), hp.valid),
        (host, port, valid),
        "{input:?}"
    );
}

#[test]
fn splithost() {
    split("www.bitcoincore.org", "www.bitcoincore.org", 0, true);
    split("[www.bitcoincore.org]", "www.bitcoincore.org", 0, true);
    split("www.bitcoincore.org:80", "www.bitcoincore.org", 80, true);
    split("[www.bitcoincore.org]:80", "www.bitcoincore.org", 80, true);
    split("127.0.0.1", "127.0.0.1", 0, true);
    split("127.0.0.1:8333", "127.0.0.1", 8333, true);
    split("[127.0.0.1]", "127.0.0.1", 0, true);
    split("[127.0.0.1]:8333", "127.0.0.1", 8333, true);
    split("::ffff:127.0.0.1", "::ffff:127.0.0.1", 0, true);
    split("[::ffff:127.0.0.1]:8333", "::ffff:127.0.0.1", 8333, true);
    split("[::]:8333", "::", 8333, true);
    split("::8333", "::8333", 0, true);
    split(":8333", "", 8333, true);
    split("[]:8333", "", 8333, true);
    split("", "", 0, true);
    split(":65535", "", 65535, true);
    split(":65536", ":65536", 0, false);
    split(":-1", ":-1", 0, false);
    split("[]:70001", "[]:70001", 0, false);
    split("[]:-1", "[]:-1", 0, false);
    split("[]:-0", "[]:-0", 0, false);
    split("[]:0", "", 0, false);
    split("[]:1/2", "[]:1/2", 0, false);
    split("[]:1E2", "[]:1E2", 0, false);
    split("127.0.0.1:65536", "127.0.0.1:65536", 0, false);
    split("127.0.0.1:0", "127.0.0.1", 0, false);
    split("127.0.0.1:", "127.0.0.1:", 0, false);
    split("127.0.0.1:1/2", "127.0.0.1:1/2", 0, false);
    split("127.0.0.1:1E2", "127.0.0.1:1E2", 0, false);
    split(
        "www.bitcoincore.org:65536",
        "www.bitcoincore.org:65536",
        0,
        false,
    );
    split("www.bitcoincore.org:0", "www.bitcoincore.org", 0, false);
    split("www.bitcoincore.org:", "www.bitcoincore.org:", 0, false);
}

#[test]
fn lookupnumeric() {
    let p = |s: &str| lookup_numeric(s, 65535).to_string();
    assert_eq!(p("127.0.0.1"), "127.0.0.1:65535");
    assert_eq!(p("127.0.0.1:8333"), "127.0.0.1:8333");
    assert_eq!(p("::ffff:127.0.0.1"), "127.0.0.1:65535");
    assert_eq!(p("::"), "[::]:65535");
    assert_eq!(p("[::]:8333"), "[::]:8333");
    assert_eq!(p("[127.0.0.1]"), "127.0.0.1:65535");
    assert_eq!(p(":::"), "[::]:0");
    // An internal address never comes out of a lookup; a near miss does.
    assert_eq!(p("[fd6b:88c0:8724:1:2:3:4:5]"), "[::]:0");
    assert_eq!(
        p("[fd6c:88c0:8724:1:2:3:4:5]"),
        "[fd6c:88c0:8724:1:2:3:4:5]:65535"
    );
    // glibc's inet_aton forms.
    assert_eq!(p("127.1"), "127.0.0.1:65535");
    assert_eq!(p("0x7f.1"), "127.0.0.1:65535");
    assert_eq!(p("010.0.0.1"), "8.0.0.1:65535");
    assert_eq!(p("2130706433"), "127.0.0.1:65535");
    assert_eq!(p("257.0.0.1"), "[::]:0");
    assert_eq!(p("1.2.3.4.5"), "[::]:0");
    assert_eq!(p("08.0.0.1"), "[::]:0");
    assert_eq!(p("1.2.3.4 "), "[::]:0");
    assert_eq!(p("[fe80::1%3]:1"), "[fe80::1%3]:1");
}

#[test]
fn embedded_and_nul() {
    assert_eq!(
        ip("1.2.3.4").to_string(),
        ip("::FFFF:0102:0304").to_string()
    );
    assert!(ip("::FFFF:0102:0304").is_ipv4());
    assert!(lookup_host_numeric("127.0.0.1").is_some());
    assert!(lookup_host_numeric("127.0.0.1\0").is_none());
    assert!(lookup_host_numeric("127.0.0.1\0example.com").is_none());
    assert!(subnet("1.2.3.0/24").is_valid());
    assert!(!subnet("1.2.3.0/24\0").is_valid());
    assert!(subnet(TOR).is_valid());
    assert!(!subnet(&format!("{TOR}\0")).is_valid());
}

#[test]
fn resolver_is_used_only_for_names() {
    let calls = std::cell::Cell::new(0);
    let r = |name: &str| {
        calls.set(calls.get() + 1);
        assert_eq!(name, "seed.example");
        vec![ip("1.2.3.4"), internal("x"), ip("5.6.7.8"), ip("9.9.9.9")]
    };
    let got = lookup("seed.example:8333", 1, true, 2, Some(&r));
    assert_eq!(
        got.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ["1.2.3.4:8333", "5.6.7.8:8333"]
    );
    assert!(lookup("seed.example", 1, false, 0, Some(&r)).is_empty());
    assert_eq!(lookup_host("1.2.3.4", 0, true, Some(&r)).len(), 1);
    assert_eq!(calls.get(), 1);
}

#[test]
fn subnets() {
    assert_eq!(subnet("1.2.3.0/24"), subnet("1.2.3.0/255.255.255.0"));
    assert_ne!(subnet("1.2.3.0/24"), subnet("1.2.4.0/255.255.255.0"));
    assert!(subnet("1.2.3.0/24").matches(&ip("1.2.3.4")));
    assert!(!subnet("1.2.2.0/24").matches(&ip("1.2.3.4")));
    assert!(subnet("1.2.3.4").matches(&ip("1.2.3.4")));
    assert!(subnet("1.2.3.4/32").matches(&ip("1.2.3.4")));
    assert!(!subnet("1.2.3.4").matches(&ip("5.6.7.8")));
    assert!(!subnet("1.2.3.4/32").matches(&ip("5.6.7.8")));
    assert!(subnet("::ffff:127.0.0.1").matches(&ip("127.0.0.1")));
    assert!(subnet("1:2:3:4:5:6:7:8").matches(&ip("1:2:3:4:5:6:7:8")));
    assert!(!subnet("1:2:3:4:5:6:7:8").matches(&ip("1:2:3:4:5:6:7:9")));
    assert!(subnet("1:2:3:4:5:6:7:0/112").matches(&ip("1:2:3:4:5:6:7:1234")));
    assert!(subnet("192.168.0.1/24").matches(&ip("192.168.0.2")));
    assert!(subnet("192.168.0.20/29").matches(&ip("192.168.0.18")));
    assert!(subnet("1.2.2.1/24").matches(&ip("1.2.2.4")));
    assert!(subnet("1.2.2.110/31").matches(&ip("1.2.2.111")));
    assert!(subnet("1.2.2.20/26").matches(&ip("1.2.2.63")));
    assert!(subnet("::/0").matches(&ip("1:2:3:4:5:6:7:1234")));
    assert!(!subnet("::/0").matches(&ip("::")));
    assert!(!subnet("::/0").matches(&ip("0.0.0.0")));
    assert!(!subnet("::/0").matches(&ip("1.2.3.4")));
    assert!(!subnet("0.0.0.0/0").matches(&ip("1:2:3:4:5:6:7:1234")));
    assert!(!SubNet::default().matches(&ip("1.2.3.4")));
    assert!(!subnet("").matches(&ip("4.5.6.7")));
    assert!(!subnet("bloop").matches(&ip("0.0.0.0")));
    assert!(!subnet("bloop").matches(&ip("hab")));
    assert!(subnet("1.2.3.0/0").is_valid());
    assert!(!subnet("1.2.3.0/-1").is_valid());
    assert!(!subnet("1.2.3.0/+24").is_valid());
    assert!(subnet("1.2.3.0/32").is_valid());
    assert!(!subnet("1.2.3.0/33").is_valid());
    assert!(!subnet("1.2.3.0/300").is_valid());
    assert!(subnet("1:2:3:4:5:6:7:8/0").is_valid());
    assert!(subnet("1:2:3:4:5:6:7:8/33").is_valid());
    assert!(!subnet("1:2:3:4:5:6:7:8/-1").is_valid());
    assert!(subnet("1:2:3:4:5:6:7:8/128").is_valid());
    assert!(!subnet("1:2:3:4:5:6:7:8/129").is_valid());
    assert!(!subnet("fuzzy").is_valid());

    let lo = ip("127.0.0.1");
    assert!(SubNet::single(&lo).is_valid());
    assert!(SubNet::single(&lo).matches(&lo));
    assert!(!SubNet::single(&lo).matches(&ip("127.0.0.2")));
    assert_eq!(SubNet::single(&lo).to_string(), "127.0.0.1/32");
    let a = ip("1.2.3.4");
    assert_eq!(SubNet::from_cidr(&a, 32).to_string(), "1.2.3.4/32");
    assert_eq!(SubNet::from_cidr(&a, 8).to_string(), "1.0.0.0/8");
    assert_eq!(SubNet::from_cidr(&a, 0).to_string(), "0.0.0.0/0");
    assert_eq!(
        SubNet::from_mask(&a, &ip("255.255.255.255")).to_string(),
        "1.2.3.4/32"
    );
    assert_eq!(
        SubNet::from_mask(&a, &ip("255.0.0.0")).to_string(),
        "1.0.0.0/8"
    );
    assert_eq!(
        SubNet::from_mask(&a, &ip("0.0.0.0")).to_string(),
        "0.0.0.0/0"
    );
    let v6 = ip("1:2:3:4:5:6:7:8");
    assert!(SubNet::single(&v6).matches(&v6));
    assert!(!SubNet::single(&v6).matches(&ip("1:2:3:4:5:6:7:9")));
    assert_eq!(SubNet::single(&v6).to_string(), "1:2:3:4:5:6:7:8/128");
    assert!(!SubNet::from_mask(&ip("1.1.1.1"), &ip("ffff::")).is_valid());
    assert!(!SubNet::from_mask(&ip("::1"), &ip("255.0.0.0")).is_valid());

    let tor = ip(TOR);
    let s = SubNet::single(&tor);
    assert!(s.is_valid());
    assert_eq!(s.to_string(), tor.to_string());
    assert!(s.matches(&tor));
    assert!(!s.matches(&ip(
        "kpgvmscirrdqpekbqjsvw5teanhatztpp2gl6eee4zkowvwfxwenqaid.onion"
    )));
    assert!(!s.matches(&ip("1.2.3.4")));
    assert!(!SubNet::from_cidr(&tor, 200).is_valid());
    assert!(!SubNet::from_mask(&tor, &ip("255.0.0.0")).is_valid());

    let masks = [
        ("255.255.255.255", "1.2.3.4/32"),
        ("255.255.255.254", "1.2.3.4/31"),
        ("255.255.255.252", "1.2.3.4/30"),
        ("255.255.255.248", "1.2.3.0/29"),
        ("255.255.255.240", "1.2.3.0/28"),
        ("255.255.255.224", "1.2.3.0/27"),
        ("255.255.255.192", "1.2.3.0/26"),
        ("255.255.255.128", "1.2.3.0/25"),
        ("255.255.255.0", "1.2.3.0/24"),
        ("255.255.254.0", "1.2.2.0/23"),
        ("255.255.252.0", "1.2.0.0/22"),
        ("255.255.248.0", "1.2.0.0/21"),
        ("255.255.240.0", "1.2.0.0/20"),
        ("255.255.224.0", "1.2.0.0/19"),
        ("255.255.192.0", "1.2.0.0/18"),
        ("255.255.128.0", "1.2.0.0/17"),
        ("255.255.0.0", "1.2.0.0/16"),
        ("255.254.0.0", "1.2.0.0/15"),
        ("255.252.0.0", "1.0.0.0/14"),
        ("255.248.0.0", "1.0.0.0/13"),
        ("255.240.0.0", "1.0.0.0/12"),
        ("255.224.0.0", "1.0.0.0/11"),
        ("255.192.0.0", "1.0.0.0/10"),
        ("255.128.0.0", "1.0.0.0/9"),
        ("255.0.0.0", "1.0.0.0/8"),
        ("254.0.0.0", "0.0.0.0/7"),
        ("252.0.0.0", "0.0.0.0/6"),
        ("248.0.0.0", "0.0.0.0/5"),
        ("240.0.0.0", "0.0.0.0/4"),
        ("224.0.0.0", "0.0.0.0/3"),
        ("192.0.0.0", "0.0.0.0/2"),
        ("128.0.0.0", "0.0.0.0/1"),
        ("0.0.0.0", "0.0.0.0/0"),
    ];
    for (mask, want) in masks {
        assert_eq!(subnet(&format!("1.2.3.4/{mask}")).to_string(), want);
    }
    assert_eq!(
        subnet("1:2:3:4:5:6:7:8/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").to_string(),
        "1:2:3:4:5:6:7:8/128"
    );
    assert_eq!(
        subnet("1:2:3:4:5:6:7:8/ffff:0000:0000:0000:0000:0000:0000:0000").to_string(),
        "1::/16"
    );
    assert_eq!(
        subnet("1:2:3:4:5:6:7:8/0000:0000:0000:0000:0000:0000:0000:0000").to_string(),
        "::/0"
    );
    assert!(!subnet("1.2.3.4/255.255.232.0").is_valid());
    assert!(!subnet("1.2.3.4/255.0.255.255").is_valid());
    assert!(!subnet("1:2:3:4:5:6:7:8/ffff:ffff:ffff:fffe:ffff:ffff:ffff:ff0f").is_valid());
    // fc00::/8 is CJDNS when CJDNS is reachable, and CIDR masks apply only to IP.
    assert!(!lookup_subnet("fc00::/8", true).is_valid());
    assert!(lookup_subnet("fc00::/8", false).is_valid());
    assert!(lookup_subnet("fc00::1", true).is_valid());
}

#[test]
fn getgroup() {
    assert_eq!(get_group(&ip("127.0.0.1")), [0]);
    assert_eq!(get_group(&ip("257.0.0.1")), [0]);
    assert_eq!(get_group(&ip("10.0.0.1")), [0]);
    assert_eq!(get_group(&ip("169.254.1.1")), [0]);
    assert_eq!(get_group(&ip("1.2.3.4")), [1, 1, 2]);
    assert_eq!(get_group(&ip("::FFFF:0:102:304")), [1, 1, 2]);
    assert_eq!(get_group(&ip("64:FF9B::102:304")), [1, 1, 2]);
    assert_eq!(
        get_group(&ip("2002:102:304:9999:9999:9999:9999:9999")),
        [1, 1, 2]
    );
    assert_eq!(
        get_group(&ip("2001:0:9999:9999:9999:9999:FEFD:FCFB")),
        [1, 1, 2]
    );
    assert_eq!(
        get_group(&ip("2001:470:abcd:9999:9999:9999:9999:9999")),
        [2, 32, 1, 4, 112, 175]
    );
    assert_eq!(
        get_group(&ip("2001:2001:9999:9999:9999:9999:9999:9999")),
        [2, 32, 1, 32, 1]
    );
    assert_eq!(
        get_group(&internal("baz.net")),
        [6, 0x12, 0x92, 0x94, 0x00, 0xeb, 0x46, 0x07, 0xc4, 0xac, 0x07]
    );
    // Tor keeps 4 bits of the key; CJDNS 12 bits, the constant prefix byte included.
    let tor = ip(TOR);
    assert_eq!(get_group(&tor), [3, tor.raw()[0] | 0x0f]);
    let cj = NetAddr::cjdns([0xfc, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(get_group(&cj), [5, 0xfc, 0x1f]);
}

#[test]
fn parse_network() {
    for (s, n) in [
        ("ipv4", Network::Ipv4),
        ("ipv6", Network::Ipv6),
        ("onion", Network::Onion),
        ("cjdns", Network::Cjdns),
        ("i2p", Network::I2p),
        ("IPv4", Network::Ipv4),
        ("IPv6", Network::Ipv6),
        ("ONION", Network::Onion),
        ("CJDNS", Network::Cjdns),
        ("tor", Network::Unroutable),
        ("TOR", Network::Unroutable),
        (":)", Network::Unroutable),
        ("oniÖn", Network::Unroutable),
        ("", Network::Unroutable),
        ("internal", Network::Unroutable),
    ] {
        assert_eq!(Network::parse(s), n, "{s}");
    }
    assert_eq!(
        Network::names(true),
        [
            "ipv4",
            "ipv6",
            "onion",
            "i2p",
            "cjdns",
            "not_publicly_routable"
        ]
    );
    assert_eq!(Network::Unroutable.name(), "not_publicly_routable");
    assert_eq!(Network::Internal.name(), "internal");
}
