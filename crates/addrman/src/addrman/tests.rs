//! Cases from Core's addrman_tests.cpp (deterministic key 1, so the bucket numbers are
//! Core's).

use bitcoin::hashes::{sha256d, Hash};

use super::*;
use crate::netbase::{lookup_host_numeric, lookup_numeric};

fn ip(s: &str) -> NetAddr {
    lookup_host_numeric(s).unwrap_or_default()
}

fn svc(s: &str) -> Service {
    lookup_numeric(s, 0)
}

fn caddr(s: &str) -> Address {
    Address::new(svc(s), ServiceFlags::NONE, 100_000_000)
}

fn key_of(n: i32) -> [u8; 32] {
    sha256d::Hash::hash(&n.to_le_bytes()).to_byte_array()
}

fn am() -> AddrMan {
    AddrMan::new_deterministic(100)
}

#[test]
fn simple() {
    let mut a = am();
    let source = ip("252.2.2.2");
    assert_eq!(a.size(None, None), 0);
    assert!(a.select(false, &[]).is_none());
    assert!(a.add(&[caddr("250.1.1.1:8333")], &source, 0));
    assert_eq!(a.size(None, None), 1);
    let (sel, _) = a.select(false, &[]).unwrap();
    assert_eq!(sel.service.to_string(), "250.1.1.1:8333");
    // The same address again is not added; a different one is.
    assert!(!a.add(&[caddr("250.1.1.1:8333")], &source, 0));
    assert_eq!(a.size(None, None), 1);
    assert!(a.add(&[caddr("250.1.1.2:8333")], &source, 0));
    assert!(a.size(None, None) >= 1);
    // Unroutable addresses are refused.
    assert!(!a.add(&[caddr("10.0.0.1:8333")], &source, 0));
    let mut b = am();
    let addrs = [caddr("250.1.1.3:8333"), caddr("250.1.1.4:8333")];
    assert!(b.add(&addrs, &source, 0));
    assert_eq!(b.size(None, None), 2);
}

#[test]
fn ports() {
    let mut a = am();
    let source = ip("252.2.2.2");
    assert!(a.add(&[caddr("250.1.1.1:8333")], &source, 0));
    // Same IP, other port: a separate entry (format 4, several ports per IP).
    assert!(a.add(&[caddr("250.1.1.1:8334")], &source, 0));
    assert_eq!(a.size(None, None), 2);
    assert!(a.good(&svc("250.1.1.1:8334"), 1_000_000));
    assert_eq!(a.size(None, Some(false)), 1);
    assert!(!a.good(&svc("250.1.1.1:8335"), 1_000_000));
}

#[test]
fn select_tables() {
    let mut a = am();
    let source = ip("252.2.2.2");
    assert!(a.add(&[caddr("250.1.1.1:8333")], &source, 0));
    assert_eq!(a.size(None, Some(true)), 1);
    assert!(a.good(&svc("250.1.1.1:8333"), 1_000_000));
    assert_eq!(a.size(None, Some(true)), 0);
    assert_eq!(a.size(None, Some(false)), 1);
    // Only a tried entry: new_only finds nothing.
    assert!(a.select(true, &[]).is_none());
    assert_eq!(
        a.select(false, &[]).unwrap().0.service.to_string(),
        "250.1.1.1:8333"
    );
    assert!(a.select(false, &[Network::Ipv6]).is_none());
    assert!(a.select(false, &[Network::Ipv4]).is_some());
}

#[test]
fn select_by_network() {
    let mut a = am();
    let v4 = caddr("1.2.3.4:8333");
    let onion = Address::new(
        Service::new(
            NetAddr::from_special("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion")
                .unwrap(),
            8333,
        ),
        ServiceFlags::NONE,
        100_000_000,
    );
    assert!(a.add(&[v4.clone(), onion.clone()], &ip("5.5.5.5"), 0));
    assert_eq!(a.size(Some(Network::Ipv4), None), 1);
    assert_eq!(a.size(Some(Network::Onion), Some(true)), 1);
    assert_eq!(a.size(Some(Network::I2p), None), 0);
    for _ in 0..10 {
        assert_eq!(a.select(true, &[Network::Onion]).unwrap().0, onion);
        assert_eq!(a.select(false, &[Network::Ipv4]).unwrap().0, v4);
    }
    assert!(a.select(false, &[Network::I2p]).is_none());
}

#[test]
fn new_collisions() {
    let mut a = am();
    let source = ip("252.2.2.2");
    let mut n = 0;
    // 250.1.1.1 - 250.1.1.22 do not collide with key 1.
    while n < 22 {
        n += 1;
        assert!(a.add(&[caddr(&format!("250.1.1.{n}"))], &source, 0));
        assert_eq!(a.size(None, None), n);
    }
    n += 1;
    assert!(a.add(&[caddr(&format!("250.1.1.{n}"))], &source, 0));
    assert_eq!(a.size(None, None), n - 1);
    n += 1;
    assert!(a.add(&[caddr(&format!("250.1.1.{n}"))], &source, 0));
    assert_eq!(a.size(None, None), n - 1);
}

#[test]
fn tried_collisions() {
    let mut a = am();
    let source = ip("252.2.2.2");
    let mut n = 0;
    // 250.1.1.1 - 250.1.1.35 do not collide in tried with key 1.
    while n < 35 {
        n += 1;
        let s = format!("250.1.1.{n}");
        assert!(a.add(&[caddr(&s)], &source, 0));
        assert!(a.good(&svc(&s), 1_000_000), "{s}");
    }
    n += 1;
    let s = format!("250.1.1.{n}");
    assert!(a.add(&[caddr(&s)], &source, 0));
    assert!(!a.good(&svc(&s), 1_000_000));
    n += 1;
    let s = format!("250.1.1.{n}");
    assert!(a.add(&[caddr(&s)], &source, 0));
    assert!(a.good(&svc(&s), 1_000_000));
}

#[test]
fn tried_bucket_legacy() {
    let k1 = key_of(1);
    let k2 = key_of(2);
    let i1 = AddrInfo::new(
        Address::new(svc("250.1.1.1:8333"), ServiceFlags::NONE, 100_000_000),
        ip("250.1.1.1"),
    );
    assert_eq!(i1.get_tried_bucket(&k1), 40);
    assert_ne!(i1.get_tried_bucket(&k1), i1.get_tried_bucket(&k2));
    let i2 = AddrInfo::new(
        Address::new(svc("250.1.1.1:9999"), ServiceFlags::NONE, 100_000_000),
        ip("250.1.1.1"),
    );
    assert_ne!(i1.get_tried_bucket(&k1), i2.get_tried_bucket(&k1));
    let mut buckets = std::collections::HashSet::new();
    for i in 0..255 {
        let s = format!("250.1.1.{i}");
        buckets.insert(AddrInfo::new(caddr(&s), ip(&s)).get_tried_bucket(&k1));
    }
    assert_eq!(buckets.len(), 8);
    buckets.clear();
    for j in 0..255 {
        let s = format!("250.{j}.1.1");
        buckets.insert(AddrInfo::new(caddr(&s), ip(&s)).get_tried_bucket(&k1));
    }
    assert_eq!(buckets.len(), 160);
}

#[test]
fn new_bucket_legacy() {
    let k1 = key_of(1);
    let k2 = key_of(2);
    let src = ip("250.1.2.1");
    let i1 = AddrInfo::new(
        Address::new(svc("250.1.2.1:8333"), ServiceFlags::NONE, 100_000_000),
        src.clone(),
    );
    assert_eq!(i1.get_new_bucket_default(&k1), 786);
    assert_eq!(i1.get_new_bucket(&k1, &src), 786);
    assert_ne!(
        i1.get_new_bucket_default(&k1),
        i1.get_new_bucket_default(&k2)
    );
    let i2 = AddrInfo::new(
        Address::new(svc("250.1.2.1:9999"), ServiceFlags::NONE, 100_000_000),
        src,
    );
    assert_eq!(
        i1.get_new_bucket_default(&k1),
        i2.get_new_bucket_default(&k1)
    );
    let mut buckets = std::collections::HashSet::new();
    for i in 0..255 {
        let s = format!("250.1.1.{i}");
        buckets.insert(AddrInfo::new(caddr(&s), ip(&s)).get_new_bucket_default(&k1));
    }
    assert_eq!(buckets.len(), 1);
    buckets.clear();
    for j in 0..4 * 255 {
        let s = format!("{}.{}.1.1", 250 + j / 255, j % 256);
        buckets.insert(AddrInfo::new(caddr(&s), ip("251.4.1.1")).get_new_bucket_default(&k1));
    }
    assert!(buckets.len() <= 64);
    buckets.clear();
    for p in 0..255 {
        buckets.insert(
            AddrInfo::new(caddr("250.1.1.1"), ip(&format!("250.{p}.1.1")))
                .get_new_bucket_default(&k1),
        );
    }
    assert!(buckets.len() > 64);
}

#[test]
fn terrible_and_chance() {
    let now = 1_700_000_000;
    let mut info = AddrInfo::new(
        Address::new(svc("250.1.1.1:8333"), ServiceFlags::NONE, now),
        ip("250.1.1.1"),
    );
    assert!(!info.is_terrible(now));
    info.address.time = now + 11 * 60;
    assert!(info.is_terrible(now));
    info.address.time = now - ADDRMAN_HORIZON - 1;
    assert!(info.is_terrible(now));
    info.last_try = now - 30;
    assert!(!info.is_terrible(now), "tried within the last minute");
    info.last_try = 0;
    info.address.time = now;
    info.attempts = 3;
    assert!(info.is_terrible(now));
    info.last_success = now - 8 * 24 * 3600;
    assert!(!info.is_terrible(now));
    info.attempts = 10;
    assert!(info.is_terrible(now));
    info.attempts = 2;
    info.last_try = now;
    assert!((info.get_chance(now) - 0.01 * 0.66 * 0.66).abs() < 1e-12);
    info.attempts = 20;
    info.last_try = 0;
    assert!((info.get_chance(now) - 0.66f64.powi(8)).abs() < 1e-12);
}

#[test]
fn attempt_connected_services_and_position() {
    let mut a = am();
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    let s = svc("250.1.1.1:8333");
    assert!(a.add(
        &[Address::new(s.clone(), ServiceFlags::NONE, now - 3600)],
        &ip("252.2.2.2"),
        0
    ));
    a.attempt(&s, true, now);
    a.attempt(&s, true, now);
    let e = &a.get_entries(false)[0].0;
    // Only one failure counts until some peer succeeds.
    assert_eq!(e.attempts, 1);
    assert_eq!(e.last_try, now);
    a.connected(&s, now);
    assert_eq!(a.get_entries(false)[0].0.address.time, now);
    a.set_services(&s, ServiceFlags::NETWORK);
    assert_eq!(
        a.get_entries(false)[0].0.address.services,
        ServiceFlags::NETWORK
    );
    let pos = a.find_address_entry(&s).unwrap();
    assert!(!pos.tried);
    assert_eq!(pos.multiplicity, 1);
    let (_, p) = &a.get_entries(false)[0];
    assert_eq!((p.bucket, p.position), (pos.bucket, pos.position));
    assert!(a.good(&s, now));
    let pos = a.find_address_entry(&s).unwrap();
    assert!(pos.tried);
    assert_eq!(a.get_entries(true).len(), 1);
    assert!(a.find_address_entry(&svc("250.1.1.2:8333")).is_none());
}

#[test]
fn time_penalty_and_refresh() {
    let mut a = am();
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    let s = svc("250.1.1.1:8333");
    let src = ip("252.2.2.2");
    assert!(a.add(
        &[Address::new(s.clone(), ServiceFlags::NONE, now - 100)],
        &src,
        7200
    ));
    assert_eq!(a.get_entries(false)[0].0.address.time, now - 7300);
    // A self-announcement is not penalised; newer information refreshes the time.
    let mut b = am();
    b.set_mock_time(Some(now));
    assert!(b.add(
        &[Address::new(s.clone(), ServiceFlags::NONE, now)],
        &s.addr,
        7200
    ));
    assert_eq!(b.get_entries(false)[0].0.address.time, now);
    assert!(!a.add(
        &[Address::new(s.clone(), ServiceFlags::WITNESS, now)],
        &src,
        0
    ));
    let e = &a.get_entries(false)[0].0;
    assert_eq!(e.address.time, now);
    assert_eq!(e.address.services, ServiceFlags::WITNESS);
}

#[test]
fn multiplicity_is_bounded() {
    let mut a = am();
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    let s = svc("250.1.1.1:8333");
    for i in 0..400i64 {
        let src = ip(&format!("{}.{}.1.1", 1 + i / 250, i % 250));
        a.add(
            &[Address::new(
                s.clone(),
                ServiceFlags::NONE,
                now - 100_000 + i,
            )],
            &src,
            0,
        );
    }
    let pos = a.find_address_entry(&s).unwrap();
    assert!(pos.multiplicity > 1 && pos.multiplicity <= ADDRMAN_NEW_BUCKETS_PER_ADDRESS);
    assert_eq!(a.get_entries(false).len() as i32, pos.multiplicity);
    assert_eq!(a.check_addrman(), Ok(()));
}

#[test]
fn getaddr() {
    let mut a = am();
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    assert!(a.get_addr(0, 0, None, true).is_empty());
    let mut added = 0;
    for i in 1..=500u32 {
        let s = format!(
            "{}.{}.{}.{}:8333",
            250 + i % 5,
            i % 256,
            (i >> 8) % 256,
            1 + i % 200
        );
        let src = ip(&format!("252.{}.1.1", i % 100));
        if a.add(
            &[Address::new(svc(&s), ServiceFlags::NONE, now - 100)],
            &src,
            0,
        ) {
            added += 1;
        }
    }
    let size = a.size(None, None);
    assert!(size > 400 && size <= added);
    assert_eq!(a.get_addr(2500, 23, None, true).len(), size * 23 / 100);
    assert_eq!(a.get_addr(10, 23, None, true).len(), 10);
    assert_eq!(a.get_addr(0, 0, None, true).len(), size);
    assert_eq!(a.get_addr(0, 0, Some(Network::Ipv4), true).len(), size);
    assert!(a.get_addr(0, 0, Some(Network::Ipv6), true).is_empty());
    // Terrible entries are only returned unfiltered.
    a.set_mock_time(Some(now + ADDRMAN_HORIZON + 1000));
    assert!(a.get_addr(0, 0, None, true).is_empty());
    assert_eq!(a.get_addr(0, 0, None, false).len(), size);
}

#[test]
fn collision_resolution() {
    let mut a = am();
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    let source = ip("252.2.2.2");
    for n in 1..=35 {
        let s = format!("250.1.1.{n}");
        a.add(&[caddr(&s)], &source, 0);
        a.good(&svc(&s), now);
    }
    assert!(a.select_tried_collision().is_none());
    // 250.1.1.36 collides in tried with an entry that just succeeded.
    let s36 = svc("250.1.1.36");
    assert!(a.add(&[caddr("250.1.1.36")], &source, 0));
    assert!(!a.good(&s36, now));
    let (old, _) = a.select_tried_collision().unwrap();
    assert_ne!(old.service, s36);
    // The old entry succeeded recently: the newcomer gives way.
    a.resolve_collisions();
    assert!(a.select_tried_collision().is_none());
    assert!(!a.find_address_entry(&s36).unwrap().tried);

    // Now the old entry fails for over a minute: the newcomer replaces it.
    assert!(!a.good(&s36, now));
    let (old, _) = a.select_tried_collision().unwrap();
    let later = now + ADDRMAN_REPLACEMENT + 10;
    a.set_mock_time(Some(later));
    a.attempt(&old.service, false, later - 120);
    a.resolve_collisions();
    assert!(a.find_address_entry(&s36).unwrap().tried);
    assert!(!a.find_address_entry(&old.service).unwrap().tried);
    assert!(a.select_tried_collision().is_none());
    assert_eq!(a.check_addrman(), Ok(()));

    // Untestable for the whole window: evicted anyway.
    let mut b = am();
    b.set_mock_time(Some(now));
    for n in 1..=36 {
        let s = format!("250.1.1.{n}");
        b.add(&[caddr(&s)], &source, 0);
        b.good(&svc(&s), now - ADDRMAN_REPLACEMENT - 10);
    }
    assert!(b.select_tried_collision().is_some());
    b.set_mock_time(Some(now + ADDRMAN_TEST_WINDOW + 10));
    b.resolve_collisions();
    assert!(b.find_address_entry(&s36).unwrap().tried);
}

#[test]
fn consistency_check_runs() {
    let mut a = AddrMan::new_deterministic(1);
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    for i in 0..300u32 {
        let s = format!("{}.{}.{}.7:8333", 20 + i % 7, i % 250, i / 250);
        a.add(
            &[Address::new(svc(&s), ServiceFlags::NONE, now - 10)],
            &ip(&format!("30.{}.0.1", i % 50)),
            0,
        );
        if i % 3 == 0 {
            a.good(&svc(&s), now);
        }
        if i % 5 == 0 {
            a.attempt(&svc(&s), true, now);
        }
    }
    a.resolve_collisions();
    let _ = a.get_addr(0, 0, None, true);
    let _ = a.select(false, &[]);
    assert_eq!(a.check_addrman(), Ok(()));
    // The random key differs per instance.
    assert_ne!(AddrMan::new(0).key(), AddrMan::new(0).key());
}
