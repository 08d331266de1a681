use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::{Magic, ServiceFlags};

use super::*;
use crate::netaddress::{Address, NetAddr};
use crate::netbase::{lookup_host_numeric, lookup_numeric};

fn filled() -> AddrMan {
    let mut a = AddrMan::new_deterministic(0);
    let now = 1_700_000_000;
    a.set_mock_time(Some(now));
    let src = lookup_host_numeric("252.2.2.2").unwrap();
    for i in 1..=40u32 {
        let s = lookup_numeric(&format!("250.7.{}.{}:8333", i / 10, i), 0);
        a.add(
            &[Address::new(
                s.clone(),
                ServiceFlags::NETWORK,
                now - i64::from(i),
            )],
            &src,
            0,
        );
        if i % 4 == 0 {
            a.good(&s, now);
        }
    }
    let onion =
        NetAddr::from_special("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion")
            .unwrap();
    a.add(
        &[Address::new(
            crate::Service::new(onion, 8333),
            ServiceFlags::NONE,
            now,
        )],
        &src,
        0,
    );
    a
}

type NewRows = Vec<(Address, i32, i64)>;
type TriedRows = Vec<(Address, i64)>;

fn entries(a: &mut AddrMan) -> (NewRows, TriedRows) {
    let n = a
        .get_entries(false)
        .into_iter()
        .map(|(i, _)| (i.address, i.attempts, i.last_success))
        .collect();
    let t = a
        .get_entries(true)
        .into_iter()
        .map(|(i, _)| (i.address, i.last_success))
        .collect();
    (n, t)
}

#[test]
fn round_trip() {
    let mut a = filled();
    let bytes = serialize_peers(&a, Magic::BITCOIN);
    assert_eq!(&bytes[..4], &Magic::BITCOIN.to_bytes());
    assert_eq!(bytes[4], 4);
    assert_eq!(bytes[5], 36);
    let mut b = AddrMan::new(0);
    deserialize_peers(&bytes, Magic::BITCOIN, &mut b, true).unwrap();
    assert_eq!(b.key(), a.key());
    assert_eq!(b.size(None, None), a.size(None, None));
    assert_eq!(b.size(None, Some(false)), a.size(None, Some(false)));
    // Same key and bucket count: positions are restored exactly.
    assert_eq!(entries(&mut a), entries(&mut b));
    // Written again, the file is the same.
    assert_eq!(serialize_peers(&b, Magic::BITCOIN), bytes);

    let mut c = AddrMan::new(0);
    assert!(matches!(
        deserialize_peers(&bytes, Magic::TESTNET3, &mut c, true),
        Err(PeersDatError::InvalidMagic)
    ));
    let mut bad = bytes.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut c = AddrMan::new(0);
    let e = deserialize_peers(&bad, Magic::BITCOIN, &mut c, true).unwrap_err();
    assert_eq!(e.to_string(), "Checksum mismatch, data corrupted");
    let mut c = AddrMan::new(0);
    read_from_stream(&bad, Magic::BITCOIN, &mut c).unwrap();
}

#[test]
fn files_and_load() {
    let dir = std::env::temp_dir().join(format!("addrman-peers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("peers.dat");
    let _ = std::fs::remove_file(&path);
    let (a, outcome) = load_addrman(&path, Magic::REGTEST, true, 0).unwrap();
    assert_eq!(outcome, LoadOutcome::Created);
    assert!(path.exists());
    drop(a);
    let full = filled();
    write_peers_file(&path, Magic::REGTEST, &full).unwrap();
    let (mut b, outcome) = load_addrman(&path, Magic::REGTEST, false, 0).unwrap();
    assert_eq!(outcome, LoadOutcome::Loaded);
    assert_eq!(b.size(None, None), filled().size(None, None));
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // Too new a format: moved aside, replaced by an empty file.
    let mut data = serialize_peers(&full, Magic::REGTEST);
    data[4] = 99;
    data[5] = 32 + 99;
    std::fs::write(&path, &data).unwrap();
    let mut c = AddrMan::new(0);
    let e = read_peers_file(&path, Magic::REGTEST, &mut c).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unsupported format of addrman database: 99. It is compatible with formats >=99, but the maximum supported by this version of Bitcoin Core is 4."
    );
    let (_, outcome) = load_addrman(&path, Magic::REGTEST, false, 0).unwrap();
    assert_eq!(outcome, LoadOutcome::Recreated);
    assert!(dir.join("peers.dat.bak").exists());

    std::fs::write(&path, b"garbage").unwrap();
    let e = load_addrman(&path, Magic::REGTEST, false, 0).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "Invalid or corrupt peers.dat (Invalid network magic number). If you believe"
        ),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn corrupt_msg(body: &[u8]) -> String {
    let mut data = Magic::BITCOIN.to_bytes().to_vec();
    data.extend_from_slice(body);
    let mut a = AddrMan::new(0);
    deserialize_peers(&data, Magic::BITCOIN, &mut a, false)
        .unwrap_err()
        .to_string()
}

#[test]
fn corrupt_headers() {
    assert_eq!(
        corrupt_msg(&[4, 31]),
        "Corrupted addrman database: The compat value (31) is lower than the expected minimum value 32."
    );
    let mut body = vec![4, 36];
    body.extend_from_slice(&[1; 32]);
    body.extend_from_slice(&(-1i32).to_le_bytes());
    body.extend_from_slice(&0i32.to_le_bytes());
    body.extend_from_slice(&(1024i32 ^ (1 << 30)).to_le_bytes());
    assert_eq!(
        corrupt_msg(&body),
        "Corrupt AddrMan serialization: nNew=-1, should be in [0, 65536]"
    );
    body[34..38].copy_from_slice(&0i32.to_le_bytes());
    body[38..42].copy_from_slice(&16385i32.to_le_bytes());
    assert_eq!(
        corrupt_msg(&body),
        "Corrupt AddrMan serialization: nTried=16385, should be in [0, 16384]"
    );
    assert_eq!(corrupt_msg(&[4]), "end of data");
}

/// A file built byte by byte from Core's layout: one new IPv4 entry in its bucket and one
/// tried entry, key 1, addrv2 disk encoding.
#[test]
fn core_layout_by_hand() {
    let mut key = [0u8; 32];
    key[0] = 1;
    let entry =
        |ip: [u8; 4], port: u16, services: u8, time: u32, last_success: i64, attempts: i32| {
            let mut e = Vec::new();
            e.extend_from_slice(&(220000u32 | (1 << 29)).to_le_bytes()); // disk version, BIP155
            e.extend_from_slice(&time.to_le_bytes());
            e.push(services); // CompactSize services
            e.extend_from_slice(&[1, 4]); // BIP155 IPv4, length 4
            e.extend_from_slice(&ip);
            e.extend_from_slice(&port.to_be_bytes());
            e.extend_from_slice(&[1, 4, 252, 2, 2, 2]); // source 252.2.2.2
            e.extend_from_slice(&last_success.to_le_bytes());
            e.extend_from_slice(&attempts.to_le_bytes());
            e
        };
    let new_entry = entry([250, 1, 1, 1], 8333, 9, 1_600_000_000, 0, 2);
    let tried_entry = entry([250, 1, 1, 2], 8333, 1, 1_600_000_100, 1_600_000_050, 0);

    // Where Core puts the new entry: bucket and slot from key 1.
    let info = crate::addrman::AddrInfo::new(
        Address::new(lookup_numeric("250.1.1.1:8333", 0), ServiceFlags::NONE, 0),
        lookup_host_numeric("252.2.2.2").unwrap(),
    );
    let bucket = info.get_new_bucket_default(&key);

    let mut body = vec![Magic::SIGNET.to_bytes()[0]];
    body.clear();
    body.extend_from_slice(&Magic::SIGNET.to_bytes());
    body.push(4); // format V4_MULTIPORT
    body.push(32 + 4); // lowest compatible
    body.extend_from_slice(&key);
    body.extend_from_slice(&1i32.to_le_bytes()); // nNew
    body.extend_from_slice(&1i32.to_le_bytes()); // nTried
    body.extend_from_slice(&(1024i32 ^ (1 << 30)).to_le_bytes());
    body.extend_from_slice(&new_entry);
    body.extend_from_slice(&tried_entry);
    for b in 0..1024 {
        if b == bucket {
            body.extend_from_slice(&1i32.to_le_bytes());
            body.extend_from_slice(&0i32.to_le_bytes());
        } else {
            body.extend_from_slice(&0i32.to_le_bytes());
        }
    }
    body.extend_from_slice(&[0u8; 32]); // asmap version: none
    let hash = sha256d::Hash::hash(&body).to_byte_array();
    body.extend_from_slice(&hash);

    let mut a = AddrMan::new(0);
    deserialize_peers(&body, Magic::SIGNET, &mut a, true).unwrap();
    assert_eq!(a.size(None, Some(true)), 1);
    assert_eq!(a.size(None, Some(false)), 1);
    let (info, pos) = a.get_entries(false).remove(0);
    assert_eq!(info.address.service.to_string(), "250.1.1.1:8333");
    assert_eq!(info.address.services, ServiceFlags::from(9));
    assert_eq!(info.address.time, 1_600_000_000);
    assert_eq!(info.attempts, 2);
    assert_eq!(info.source.to_string(), "252.2.2.2");
    assert_eq!(pos.bucket, bucket);
    let (t, _) = a.get_entries(true).remove(0);
    assert_eq!(t.address.service.to_string(), "250.1.1.2:8333");
    assert_eq!(t.last_success, 1_600_000_050);
    // We write the same bytes back.
    assert_eq!(serialize_peers(&a, Magic::SIGNET), body);

    // A format 3 file with a wrong bucket count is re-bucketed by source.
    let mut v3 = body[..body.len() - 32].to_vec();
    v3[4] = 3;
    v3[5] = 32 + 3;
    let mut b = AddrMan::new(0);
    read_from_stream(&v3, Magic::SIGNET, &mut b).unwrap();
    assert_eq!(b.size(None, None), 2);
}
