//! Cases from Core's net_tests.cpp and netbase_tests.cpp.

use super::*;
use crate::netbase::lookup_host_numeric;

fn ip(s: &str) -> NetAddr {
    lookup_host_numeric(s).unwrap_or_default()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const TORV3: &str = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
const I2P: &str = "UDHDrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.I2P";

#[test]
fn basic_strings() {
    assert_eq!(ip("0.0.0.0").to_string(), "0.0.0.0");
    assert_eq!(ip("255.255.255.255").to_string(), "255.255.255.255");
    assert_eq!(ip("12.34.56.78").to_string(), "12.34.56.78");
    assert_eq!(ip("::").to_string(), "::");
    assert_eq!(
        ip("1122:3344:5566:7788:9900:aabb:ccdd:eeff").to_string(),
        "1122:3344:5566:7788:9900:aabb:ccdd:eeff"
    );
    let scoped = ip("fe80::1%32");
    assert!(scoped.is_valid() && scoped.is_ipv6() && !scoped.is_bind_any());
    assert_eq!(scoped.to_string(), "fe80::1%32");
    assert!(ip("0.0.0.0").is_bind_any() && ip("::").is_bind_any());

    assert!(NetAddr::from_special("6hzph5hv6337r6p2.onion").is_none());
    let tor = NetAddr::from_special(TORV3).unwrap();
    assert!(tor.is_valid() && tor.is_tor() && tor.is_privacy_net() && !tor.is_bind_any());
    assert!(!tor.is_addr_v1_compatible());
    assert_eq!(tor.to_string(), TORV3);
    assert!(NetAddr::from_special(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscsad.onion"
    )
    .is_none());
    assert!(NetAddr::from_special(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscrye.onion"
    )
    .is_none());
    assert!(NetAddr::from_special("mfrggzak.onion").is_none());
    assert!(NetAddr::from_special("mf*g zak.onion").is_none());

    let i2p = NetAddr::from_special(I2P).unwrap();
    assert!(i2p.is_valid() && i2p.is_i2p() && i2p.is_privacy_net() && !i2p.is_addr_v1_compatible());
    assert_eq!(i2p.to_string(), I2P.to_lowercase());
    assert!(
        NetAddr::from_special("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jn=.b32.i2p")
            .is_none()
    );
    assert!(
        NetAddr::from_special("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna=.b32.i2p")
            .is_none()
    );
    assert!(
        NetAddr::from_special("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v\0wtf.b32.i2p")
            .is_none()
    );
    assert!(NetAddr::from_special(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscsad.b32.i2p"
    )
    .is_none());
    assert!(NetAddr::from_special("tp*szydbh4dp.b32.i2p").is_none());
    assert!(NetAddr::from_special("totally bogus").is_none());

    let internal = NetAddr::internal("esffpp").unwrap();
    assert!(!internal.is_valid() && internal.is_internal() && internal.is_addr_v1_compatible());
    assert_eq!(internal.to_string(), "esffpvrt3wpeaygy.internal");
}

#[test]
fn canonical_ipv6() {
    let cases = [
        ("0000:0000:0000:0000:0000:0000:0000:0000", "::"),
        ("000:0000:000:00:0:00:000:0000", "::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        (
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:db8:85a3::8a2e:370:7334",
        ),
        ("2001:0db8::0001:0000", "2001:db8::1:0"),
        ("2001:db8:0000:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8:0:0:aaaa::1", "2001:db8::aaaa:0:0:1"),
        ("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        (
            "2001:db8:aaaa:bbbb:cccc:dddd::1",
            "2001:db8:aaaa:bbbb:cccc:dddd:0:1",
        ),
        (
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa",
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa",
        ),
    ];
    for (input, want) in cases {
        let a = ip(input);
        assert!(a.is_ipv6(), "{input}");
        assert_eq!(a.to_string(), want, "{input}");
    }
    let s = Service::new(ip("::1"), 8333);
    assert_eq!(s.to_string(), "[::1]:8333");
    let cj = NetAddr::cjdns(
        unhex("fc000001000200030004000500060007")
            .try_into()
            .unwrap(),
    );
    assert_eq!(cj.to_string(), "fc00:1:2:3:4:5:6:7");
    assert_eq!(Service::new(cj, 1).to_string(), "[fc00:1:2:3:4:5:6:7]:1");
    assert_eq!(Service::new(ip(TORV3), 0).to_string(), format!("{TORV3}:0"));
}

#[test]
fn serialize_v1_and_v2() {
    let cases: [(NetAddr, &str, &str); 4] = [
        (
            NetAddr::default(),
            "00000000000000000000000000000000",
            "021000000000000000000000000000000000",
        ),
        (
            ip("1.2.3.4"),
            "00000000000000000000ffff01020304",
            "010401020304",
        ),
        (
            ip("1a1b:2a2b:3a3b:4a4b:5a5b:6a6b:7a7b:8a8b"),
            "1a1b2a2b3a3b4a4b5a5b6a6b7a7b8a8b",
            "02101a1b2a2b3a3b4a4b5a5b6a6b7a7b8a8b",
        ),
        (
            NetAddr::internal("a").unwrap(),
            "fd6b88c08724ca978112ca1bbdcafac2",
            "0210fd6b88c08724ca978112ca1bbdcafac2",
        ),
    ];
    for (a, v1, v2) in cases {
        assert_eq!(hex(&a.serialize_v1()), v1);
        let mut out = Vec::new();
        a.serialize_v2(&mut out);
        assert_eq!(hex(&out), v2);
        assert_eq!(NetAddr::deserialize_v2(&mut Reader::new(&out)).unwrap(), a);
        assert_eq!(
            NetAddr::deserialize_v1(&mut Reader::new(&unhex(v1))).unwrap(),
            a
        );
    }
    // Tor has no addrv1 form.
    assert_eq!(
        hex(&ip(TORV3).serialize_v1()),
        "00000000000000000000000000000000"
    );
    let mut out = Vec::new();
    ip("kpgvmscirrdqpekbqjsvw5teanhatztpp2gl6eee4zkowvwfxwenqaid.onion").serialize_v2(&mut out);
    assert_eq!(
        hex(&out),
        "042053cd5648488c4707914182655b7664034e09e66f7e8cbf1084e654eb56c5bd88"
    );
}

fn v2(hexstr: &str) -> Result<NetAddr, String> {
    NetAddr::deserialize_v2(&mut Reader::new(&unhex(hexstr))).map_err(|e| e.0)
}

#[test]
fn unserialize_v2() {
    assert_eq!(v2("010401020304").unwrap().to_string(), "1.2.3.4");
    assert_eq!(v2("0104010203").unwrap_err(), "end of data");
    assert_eq!(
        v2("01050102030405").unwrap_err(),
        "BIP155 IPv4 address with length 5 (should be 4)"
    );
    assert_eq!(
        v2("01fd010201020304").unwrap_err(),
        "Address too long: 513 > 512"
    );
    assert_eq!(
        v2("02100102030405060708090a0b0c0d0e0f10")
            .unwrap()
            .to_string(),
        "102:304:506:708:90a:b0c:d0e:f10"
    );
    let internal = v2("0210fd6b88c08724ca978112ca1bbdcafac2").unwrap();
    assert!(internal.is_internal());
    assert_eq!(internal.to_string(), "zklycewkdo64v6wc.internal");
    assert_eq!(
        v2("020400").unwrap_err(),
        "BIP155 IPv6 address with length 4 (should be 16)"
    );
    // Embedded IPv4 and Tor v2 in IPv6 are turned into the invalid "::".
    assert!(!v2("021000000000000000000000ffff01020304")
        .unwrap()
        .is_valid());
    assert!(!v2("0210fd87d87eeb430102030405060708090a")
        .unwrap()
        .is_valid());
    // Tor v2 is ignored.
    assert!(!v2("030af1f2f3f4f5f6f7f8f9fa").unwrap().is_valid());
    let tor = v2("042079bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f").unwrap();
    assert_eq!(
        tor.to_string(),
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
    );
    assert_eq!(
        v2("040000").unwrap_err(),
        "BIP155 TORv3 address with length 0 (should be 32)"
    );
    let i2p = v2("0520a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87").unwrap();
    assert_eq!(
        i2p.to_string(),
        "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"
    );
    assert_eq!(
        v2("0503010203").unwrap_err(),
        "BIP155 I2P address with length 3 (should be 32)"
    );
    let cj = v2("0610fc000001000200030004000500060007").unwrap();
    assert!(cj.is_cjdns() && cj.is_valid());
    assert_eq!(cj.to_string(), "fc00:1:2:3:4:5:6:7");
    assert!(!v2("0610aa000001000200030004000500060007")
        .unwrap()
        .is_valid());
    assert_eq!(
        v2("060100").unwrap_err(),
        "BIP155 CJDNS address with length 1 (should be 16)"
    );
    assert_eq!(
        v2("aafe0000000201020304050607").unwrap_err(),
        "Address too long: 33554432 > 512"
    );
    assert!(!v2("aa0401020304").unwrap().is_valid());
    assert_eq!(v2("aa0401020304").unwrap(), NetAddr::default());
}

#[test]
fn addrv2_conversion() {
    for a in [
        ip("1.2.3.4"),
        ip("2001:db8::1"),
        ip(TORV3),
        ip(I2P),
        NetAddr::internal("seed").unwrap(),
        NetAddr::cjdns([0xfc, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7]),
    ] {
        assert_eq!(NetAddr::from_addrv2(&a.to_addrv2()), a);
        // The bitcoin crate's encoding agrees with ours.
        let mut ours = Vec::new();
        a.serialize_v2(&mut ours);
        assert_eq!(bitcoin::consensus::encode::serialize(&a.to_addrv2()), ours);
    }
    assert_eq!(
        NetAddr::from_addrv2(&AddrV2::TorV2([1; 10])),
        NetAddr::default()
    );
    assert_eq!(
        NetAddr::from_addrv2(&AddrV2::Unknown(0xaa, vec![1, 2])),
        NetAddr::default()
    );
}

/// Core's netbase_tests fixture: three loopback addresses with edge-case ports, services
/// and times, in addrv1 and addrv2 network encoding.
#[test]
fn caddress_network_encoding() {
    let lo = NetAddr::from_ipv6(std::net::Ipv6Addr::LOCALHOST, 0);
    let fixtures = [
        Address::new(Service::new(lo.clone(), 0), ServiceFlags::NONE, 0x4966bc61),
        Address::new(
            Service::new(lo.clone(), 0x00f1),
            ServiceFlags::NETWORK,
            0x83766279,
        ),
        Address::new(
            Service::new(lo, 0xf1f2),
            ServiceFlags::WITNESS | ServiceFlags::COMPACT_FILTERS | ServiceFlags::NETWORK_LIMITED,
            0xffffffff,
        ),
    ];
    let v1 = concat!(
        "61bc6649",
        "0000000000000000",
        "00000000000000000000000000000001",
        "0000",
        "79627683",
        "0100000000000000",
        "00000000000000000000000000000001",
        "00f1",
        "ffffffff",
        "4804000000000000",
        "00000000000000000000000000000001",
        "f1f2",
    );
    let v2s = concat!(
        "61bc6649",
        "00",
        "02",
        "10",
        "00000000000000000000000000000001",
        "0000",
        "79627683",
        "01",
        "02",
        "10",
        "00000000000000000000000000000001",
        "00f1",
        "ffffffff",
        "fd4804",
        "02",
        "10",
        "00000000000000000000000000000001",
        "f1f2",
    );
    let (mut o1, mut o2) = (Vec::new(), Vec::new());
    for a in &fixtures {
        a.serialize_network(&mut o1, false);
        a.serialize_network(&mut o2, true);
    }
    assert_eq!(hex(&o1), v1);
    assert_eq!(hex(&o2), v2s);
    let (mut r1, mut r2) = (Reader::new(&o1), Reader::new(&o2));
    for a in &fixtures {
        assert_eq!(&Address::deserialize_network(&mut r1, false).unwrap(), a);
        assert_eq!(&Address::deserialize_network(&mut r2, true).unwrap(), a);
    }
    // Disk form: a version word in front, bit 29 for BIP155, and BIP155 only when allowed.
    let mut d = Vec::new();
    fixtures[1].serialize_disk(&mut d, true);
    assert_eq!(hex(&d[..4]), "605b0320");
    assert_eq!(
        Address::deserialize_disk(&mut Reader::new(&d), true).unwrap(),
        fixtures[1]
    );
    assert_eq!(
        Address::deserialize_disk(&mut Reader::new(&d), false)
            .unwrap_err()
            .0,
        "Unsupported CAddress disk format version"
    );
}

#[test]
fn reachability_and_ordering() {
    let v4 = ip("8.8.8.8");
    let v6 = ip("2a00::1");
    let tor = ip(TORV3);
    assert_eq!(v4.get_reachability_from(&v4), 4);
    assert_eq!(v6.get_reachability_from(&v6), 5);
    assert_eq!(tor.get_reachability_from(&tor), 6);
    assert_eq!(ip("10.0.0.1").get_reachability_from(&v4), 0);
    assert_eq!(ip("2002:102:304::1").get_reachability_from(&v6), 3);
    // Networks order first (IPv4 < IPv6 < onion), then bytes.
    assert!(ip("9.9.9.9") < ip("::2"));
    assert!(ip("1.2.3.4") < ip("1.2.3.5"));
    assert!(ip("::2") < tor);
    // Scope ids do not take part in equality.
    assert_eq!(ip("fe80::1%1"), ip("fe80::1%2"));
}
