use super::*;
use bitcoin::consensus::encode::deserialize;
use bitcoin::hashes::Hash;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn sample_version(relay: bool) -> VersionMessage {
    VersionMessage {
        version: 70016,
        services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
        timestamp: 1_700_000_000,
        receiver: Address::new(&"1.2.3.4:8333".parse().expect("addr"), ServiceFlags::NONE),
        sender: Address::new(&"[::]:0".parse().expect("addr"), ServiceFlags::NONE),
        nonce: 0x1122_3344_5566_7788,
        user_agent: "/Satoshi:28.0.0/".into(),
        start_height: 850_000,
        relay,
    }
}

#[test]
fn version_round_trip() {
    for relay in [false, true] {
        let msg = NetworkMessage::Version(sample_version(relay));
        let (command, payload) = encode(&msg);
        assert_eq!(command, "version");
        assert_eq!(decode(&command, &payload).expect("decodes"), msg);
    }
}

#[test]
fn version_optional_fields_take_core_defaults() {
    let (_, full) = encode(&NetworkMessage::Version(sample_version(false)));
    // version, services, time, receiver: 4 + 8 + 8 + 26.
    let fixed = 46;
    let v = decode_version(&full[..fixed]).expect("fixed part is enough");
    assert_eq!(v.version, 70016);
    assert_eq!((v.nonce, v.start_height, v.relay), (1, -1, true));
    assert!(v.user_agent.is_empty());
    // Sender and nonce, but no user agent.
    let v = decode_version(&full[..fixed + 34]).expect("nonce present");
    assert_eq!(v.nonce, 0x1122_3344_5566_7788);
    assert_eq!(v.start_height, -1);
    // Everything but the relay flag: relay defaults to true.
    let v = decode_version(&full[..full.len() - 1]).expect("no relay");
    assert!(v.relay);
    assert_eq!(v.start_height, 850_000);
    // Trailing bytes are ignored; any non-zero relay byte is true.
    let mut long = full.clone();
    *long.last_mut().expect("relay byte") = 7;
    long.extend_from_slice(&[1, 2, 3]);
    assert!(decode_version(&long).expect("trailing ok").relay);
    // Too short for the fixed part.
    assert_eq!(
        decode_version(&full[..fixed - 1]),
        Err(DecodeError::EndOfData)
    );
}

#[test]
fn version_user_agent_that_is_not_utf8_keeps_its_ascii() {
    let (_, full) = encode(&NetworkMessage::Version(sample_version(true)));
    let mut payload = full[..80].to_vec();
    payload.extend_from_slice(&[5, b'/', 0xff, b'a', 0xc3, b'/']);
    let v = decode_version(&payload).expect("decodes");
    assert_eq!(v.user_agent, "/a/");
}

#[test]
fn version_tail_errors_carry_version_and_services() {
    let (_, full) = encode(&NetworkMessage::Version(sample_version(true)));
    // Half a nonce.
    match decode_version(&full[..46 + 30]) {
        Err(DecodeError::VersionTail {
            version,
            services,
            error,
        }) => {
            assert_eq!(version, 70016);
            assert_eq!(services, 9);
            assert_eq!(*error, DecodeError::EndOfData);
        }
        other => panic!("{other:?}"),
    }
    // A user agent above 256 bytes.
    let mut msg = sample_version(true);
    msg.user_agent = "x".repeat(257);
    let (_, payload) = encode(&NetworkMessage::Version(msg));
    let err = decode_version(&payload).expect_err("too long");
    assert_eq!(err.to_string(), "String length limit exceeded");
    let mut msg = sample_version(true);
    msg.user_agent = "x".repeat(256);
    let (_, payload) = encode(&NetworkMessage::Version(msg));
    assert!(decode_version(&payload).is_ok());
}

#[test]
fn simple_messages_round_trip() {
    let hash = bitcoin::BlockHash::from_byte_array([7; 32]);
    let msgs = vec![
        NetworkMessage::Verack,
        NetworkMessage::SendHeaders,
        NetworkMessage::GetAddr,
        NetworkMessage::MemPool,
        NetworkMessage::FilterClear,
        NetworkMessage::WtxidRelay,
        NetworkMessage::SendAddrV2,
        NetworkMessage::Ping(5),
        NetworkMessage::Pong(6),
        NetworkMessage::FeeFilter(1000),
        NetworkMessage::SendCmpct(SendCmpct {
            send_compact: true,
            version: 2,
        }),
        NetworkMessage::Inv(vec![
            Inventory::Block(hash),
            Inventory::WTx(bitcoin::Wtxid::from_byte_array([1; 32])),
            Inventory::Unknown {
                inv_type: 77,
                hash: [3; 32],
            },
        ]),
        NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)]),
        NetworkMessage::NotFound(vec![]),
        NetworkMessage::GetHeaders(GetHeadersMessage {
            version: 70016,
            locator_hashes: vec![hash, hash],
            stop_hash: bitcoin::BlockHash::all_zeros(),
        }),
        NetworkMessage::GetBlocks(GetBlocksMessage {
            version: 70016,
            locator_hashes: vec![hash],
            stop_hash: hash,
        }),
        NetworkMessage::Addr(vec![(
            1_700_000_000,
            Address::new(
                &"5.6.7.8:8333".parse().expect("addr"),
                ServiceFlags::NETWORK,
            ),
        )]),
        NetworkMessage::AddrV2(vec![
            AddrV2Message {
                time: 1,
                services: ServiceFlags::from(1 << 40),
                addr: AddrV2::TorV3([9; 32]),
                port: 9050,
            },
            AddrV2Message {
                time: 2,
                services: ServiceFlags::NONE,
                addr: AddrV2::Ipv6("2001:db8::1".parse().expect("ip")),
                port: 8333,
            },
        ]),
        NetworkMessage::FilterLoad(FilterLoad {
            filter: vec![1, 2, 3],
            hash_funcs: 5,
            tweak: 6,
            flags: BloomFlags::PubkeyOnly,
        }),
        NetworkMessage::FilterAdd(FilterAdd { data: vec![4; 20] }),
        NetworkMessage::Tx(
            bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Bitcoin).txdata[0]
                .clone(),
        ),
        NetworkMessage::Block(bitcoin::blockdata::constants::genesis_block(
            bitcoin::Network::Bitcoin,
        )),
        NetworkMessage::Headers(vec![
            bitcoin::blockdata::constants::genesis_block(
                bitcoin::Network::Bitcoin
            )
            .header;
            3
        ]),
        NetworkMessage::Unknown {
            command: CommandString::try_from_static("sendtxrcncl").expect("short"),
            payload: vec![1, 2, 3],
        },
    ];
    for msg in msgs {
        let (command, payload) = encode(&msg);
        assert_eq!(
            decode(&command, &payload).expect(&command),
            msg,
            "{command}"
        );
        // Trailing bytes are ignored, as Core ignores them.
        if !matches!(msg, NetworkMessage::Unknown { .. }) {
            let mut longer = payload.clone();
            longer.extend_from_slice(&[0xee; 5]);
            assert_eq!(decode(&command, &longer).expect(&command), msg, "{command}");
        }
    }
}

#[test]
fn inventory_type_zero_keeps_its_hash() {
    let mut payload = vec![1, 0, 0, 0, 0];
    payload.extend_from_slice(&[0x5b; 32]);
    let msg = decode("inv", &payload).expect("ok");
    assert_eq!(
        msg,
        NetworkMessage::Inv(vec![Inventory::Unknown {
            inv_type: 0,
            hash: [0x5b; 32]
        }])
    );
    assert_eq!(encode(&msg).1, payload);
}

#[test]
fn unknown_payload_is_raw() {
    let msg = NetworkMessage::Unknown {
        command: CommandString::try_from_static("foo").expect("short"),
        payload: vec![9, 9],
    };
    assert_eq!(encode(&msg), ("foo".to_string(), vec![9, 9]));
    assert!(matches!(
        decode("", &[]),
        Ok(NetworkMessage::Unknown { .. })
    ));
    assert!(matches!(
        decode("reject", &[1]),
        Ok(NetworkMessage::Unknown { .. })
    ));
    assert!(matches!(
        decode("alert", &[]),
        Ok(NetworkMessage::Unknown { .. })
    ));
    assert_eq!(
        decode("thirteenchars", &[]),
        Err(DecodeError::CommandTooLong)
    );
}

#[test]
fn headers_follow_core() {
    let genesis = bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Bitcoin).header;
    // A count above 2000 is reported before anything else is read.
    let mut payload = vec![0xfd];
    payload.extend_from_slice(&2001u16.to_le_bytes());
    assert_eq!(
        decode("headers", &payload),
        Err(DecodeError::TooManyHeaders { count: 2001 })
    );
    assert_eq!(
        DecodeError::TooManyHeaders { count: 2001 }.to_string(),
        "headers message size = 2001"
    );
    // 2000 claimed but no data: end of data without reserving for 2000.
    let mut payload = vec![0xfd];
    payload.extend_from_slice(&2000u16.to_le_bytes());
    assert_eq!(decode("headers", &payload), Err(DecodeError::EndOfData));
    // A non-zero transaction count is read and ignored.
    let mut payload = vec![1];
    payload.extend(bitcoin::consensus::serialize(&genesis));
    payload.push(5);
    assert_eq!(
        decode("headers", &payload),
        Ok(NetworkMessage::Headers(vec![genesis]))
    );
}

#[test]
fn claimed_counts_do_not_allocate() {
    // A huge claimed count with no data behind it fails without reserving memory.
    for command in ["inv", "getdata", "addr", "addrv2", "getheaders"] {
        let mut payload = Vec::new();
        if command == "getheaders" {
            payload.extend_from_slice(&70016u32.to_le_bytes());
        }
        payload.push(0xfe);
        payload.extend_from_slice(&0x01ff_ffffu32.to_le_bytes());
        assert_eq!(
            decode(command, &payload),
            Err(DecodeError::EndOfData),
            "{command}"
        );
    }
    // Above MAX_SIZE is Core's range error.
    let mut payload = vec![0xfe];
    payload.extend_from_slice(&0x0200_0001u32.to_le_bytes());
    assert_eq!(
        decode("inv", &payload),
        Err(DecodeError::CompactSizeTooLarge)
    );
    // Non-canonical sizes are rejected.
    assert_eq!(
        decode("inv", &[0xfd, 1, 0]),
        Err(DecodeError::NonCanonicalCompactSize)
    );
}

#[test]
fn addrv2_follows_core() {
    let entry = |net: u8, addr: &[u8]| {
        let mut v = vec![1];
        v.extend_from_slice(&0u32.to_le_bytes());
        v.push(1); // services
        v.push(net);
        v.push(addr.len() as u8);
        v.extend_from_slice(addr);
        v.extend_from_slice(&8333u16.to_be_bytes());
        v
    };
    // Unknown networks and TORv2 are skipped over, not errors.
    for (net, len) in [(3u8, 10usize), (42, 7), (0, 0)] {
        let msg = decode("addrv2", &entry(net, &vec![0xab; len])).expect("tolerated");
        let NetworkMessage::AddrV2(v) = msg else {
            panic!()
        };
        assert_eq!(v[0].addr, AddrV2::Unknown(net, vec![0xab; len]));
        assert_eq!(v[0].port, 8333);
    }
    // IPv4 embedded in IPv6 is read as invalid.
    let mut mapped = [0u8; 16];
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    let NetworkMessage::AddrV2(v) = decode("addrv2", &entry(2, &mapped)).expect("ok") else {
        panic!()
    };
    assert!(matches!(v[0].addr, AddrV2::Unknown(2, _)));
    // CJDNS without the fc prefix is accepted, as Core does at this stage.
    let NetworkMessage::AddrV2(v) = decode("addrv2", &entry(6, &[1; 16])).expect("ok") else {
        panic!()
    };
    assert!(matches!(v[0].addr, AddrV2::Cjdns(_)));
    // Wrong length for a known network.
    let err = decode("addrv2", &entry(1, &[1, 2, 3])).expect_err("bad length");
    assert_eq!(
        err.to_string(),
        "BIP155 IPv4 address with length 3 (should be 4)"
    );
    // Longer than 512 bytes.
    let mut long = vec![1, 0, 0, 0, 0, 1, 42, 0xfd];
    long.extend_from_slice(&513u16.to_le_bytes());
    long.extend(vec![0; 515]);
    let err = decode("addrv2", &long).expect_err("too long");
    assert_eq!(err.to_string(), "Address too long: 513 > 512");
}

#[test]
fn filterload_flags_keep_core_meaning() {
    let payload = hex("0201020a000000ffffffff07");
    let NetworkMessage::FilterLoad(f) = decode("filterload", &payload).expect("ok") else {
        panic!()
    };
    assert_eq!(f.filter, [1, 2]);
    assert_eq!((f.hash_funcs, f.tweak), (10, u32::MAX));
    assert_eq!(
        f.flags,
        BloomFlags::None,
        "7 & 3 == 3 updates nothing in Core"
    );
}

#[test]
fn short_messages_fail_with_end_of_data() {
    assert_eq!(decode("ping", &[1, 2, 3]), Err(DecodeError::EndOfData));
    assert_eq!(
        DecodeError::EndOfData.to_string(),
        "DataStream::read(): end of data: iostream error"
    );
    assert_eq!(decode("pong", &[]), Err(DecodeError::EndOfData));
    assert_eq!(decode("feefilter", &[0; 7]), Err(DecodeError::EndOfData));
    assert!(decode("tx", &[1, 0, 0]).is_err());
    let _: Option<bitcoin::Transaction> = deserialize(&[]).ok();
}

#[test]
fn transactions_follow_core_unserialize() {
    // Version 1, no inputs, no outputs, lock time 0: Core reads the second zero as
    // flags and leaves the empty transaction to the consensus checks.
    let blank = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    match decode("tx", &blank) {
        Ok(NetworkMessage::Tx(tx)) => {
            assert!(tx.input.is_empty() && tx.output.is_empty());
            assert_eq!(tx.version.0, 1);
        }
        other => panic!("blank transaction: {other:?}"),
    }
    // Flags 2 (after an empty dummy vector, no inputs, no outputs) are unknown.
    let unknown = [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        decode("tx", &unknown),
        Err(DecodeError::Invalid(
            "Unknown transaction optional data".into()
        ))
    );
    // A witness flag with an input whose witness stack is empty.
    let mut superfluous = vec![1, 0, 0, 0, 0, 1, 1];
    superfluous.extend([0; 36]);
    superfluous.extend([0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        decode("tx", &superfluous),
        Err(DecodeError::Invalid("Superfluous witness record".into()))
    );
    // A block holding the blank transaction decodes too.
    let genesis = bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Regtest);
    let mut payload = serialize(&genesis.header);
    payload.push(1);
    payload.extend(blank);
    match decode("block", &payload) {
        Ok(NetworkMessage::Block(b)) => assert!(b.txdata[0].input.is_empty()),
        other => panic!("block: {other:?}"),
    }
    // An ordinary segwit transaction still round-trips.
    let mut tx = genesis.txdata[0].clone();
    tx.input[0].witness.push([7u8; 3]);
    let bytes = serialize(&tx);
    assert_eq!(decode("tx", &bytes), Ok(NetworkMessage::Tx(tx)));
}
