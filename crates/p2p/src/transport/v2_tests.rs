use super::*;
use crate::transport::cipher::Bip324Keys;
use crate::transport::v1::serialize_header;

const MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];
const TESTNET4: [u8; 4] = [0x1c, 0x16, 0x3f, 0x28];

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).expect("valid key")
}

fn initiator(garbage: Vec<u8>) -> V2Transport {
    V2Transport::with_keys(MAGIC, true, key(1), [7; 32], garbage)
}

fn responder(garbage: Vec<u8>) -> V2Transport {
    V2Transport::with_keys(MAGIC, false, key(2), [9; 32], garbage)
}

/// Takes everything `t` has to send.
fn drain(t: &mut dyn Transport) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = t.bytes_to_send(false);
        if b.bytes.is_empty() {
            return out;
        }
        let n = b.bytes.len();
        out.extend_from_slice(b.bytes);
        t.mark_bytes_sent(n);
    }
}

/// Feeds `wire` to `rx` in chunks of `step`, collecting completed messages.
fn feed(
    rx: &mut dyn Transport,
    wire: &[u8],
    step: usize,
) -> Result<Vec<Result<ReceivedMessage, RejectedMessage>>, TransportError> {
    let mut out = Vec::new();
    for chunk in wire.chunks(step.max(1)) {
        let mut rest = chunk;
        loop {
            rx.received_bytes(&mut rest)?;
            if rx.received_message_complete() {
                out.push(rx.get_received_message());
            } else if rest.is_empty() {
                break;
            }
        }
    }
    Ok(out)
}

/// Runs the handshake in memory, delivering `step` bytes at a time.
fn handshake(a: &mut V2Transport, b: &mut V2Transport, step: usize) {
    for _ in 0..3 {
        let wire = drain(a);
        assert!(feed(b, &wire, step).expect("a->b").is_empty());
        let wire = drain(b);
        assert!(feed(a, &wire, step).expect("b->a").is_empty());
    }
    assert_eq!(a.info().protocol, TransportProtocol::V2);
    assert_eq!(b.info().protocol, TransportProtocol::V2);
    assert!(a.info().session_id.is_some());
    assert_eq!(a.info().session_id, b.info().session_id);
}

fn send(t: &mut V2Transport, command: &str, payload: &[u8]) -> Vec<u8> {
    assert!(t.set_message_to_send(command, payload.to_vec()));
    drain(t)
}

#[test]
fn handshake_and_messages_both_ways() {
    for (ga, gb, step) in [
        (0, 0, usize::MAX),
        (1, 4095, 1),
        (4095, 17, 7),
        (100, 100, 64),
    ] {
        let mut a = initiator(vec![0x55; ga]);
        let mut b = responder(vec![0xaa; gb]);
        assert_eq!(a.info().protocol, TransportProtocol::Detecting);
        assert_eq!(b.info().protocol, TransportProtocol::Detecting);
        // Nothing can be sent before the ciphers exist.
        assert!(!a.set_message_to_send("ping", vec![0; 8]));
        handshake(&mut a, &mut b, step);

        let mut wire = send(&mut a, "ping", &42u64.to_le_bytes());
        // ping has short id 18: one byte of type, eight of nonce, 20 of packet overhead.
        assert_eq!(wire.len(), 1 + 8 + EXPANSION);
        wire.extend(send(&mut a, "version", &[1, 2, 3]));
        wire.extend(send(&mut a, "verack", &[]));
        let got = feed(&mut b, &wire, step).expect("no error");
        let got: Vec<_> = got.into_iter().map(|m| m.expect("accepted")).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].command, "ping");
        assert_eq!(got[0].payload, 42u64.to_le_bytes());
        assert_eq!(got[0].raw_size, 1 + 8 + EXPANSION);
        assert_eq!(got[1].command, "version");
        assert_eq!(got[1].payload, [1, 2, 3]);
        assert_eq!(got[1].raw_size, 1 + 12 + 3 + EXPANSION);
        assert_eq!(got[2].command, "verack");

        let wire = send(&mut b, "tx", &vec![0x42; 300_000]);
        let got = feed(&mut a, &wire, step.min(100_000)).expect("no error");
        assert_eq!(got.len(), 1);
        let m = got[0].clone().expect("ok");
        assert_eq!((m.command.as_str(), m.payload.len()), ("tx", 300_000));
    }
}

#[test]
fn every_short_id_round_trips() {
    let mut a = initiator(Vec::new());
    let mut b = responder(Vec::new());
    handshake(&mut a, &mut b, usize::MAX);
    for (id, command) in V2_MESSAGE_IDS.iter().enumerate().skip(1) {
        if command.is_empty() {
            continue;
        }
        assert_eq!(short_message_id(command), Some(id as u8));
        let wire = send(&mut a, command, &[id as u8]);
        assert_eq!(wire.len(), 2 + EXPANSION);
        let got = feed(&mut b, &wire, usize::MAX).expect("ok");
        let m = got[0].clone().expect("accepted");
        assert_eq!((m.command.as_str(), m.payload), (*command, vec![id as u8]));
    }
}

#[test]
fn message_type_parsing_follows_core() {
    assert_eq!(split_message_type(&[]), None);
    assert_eq!(
        split_message_type(&[18, 1]),
        Some(("ping".into(), &[1u8][..]))
    );
    // Ids BIP324 assigns but Core does not implement give an empty type.
    assert_eq!(split_message_type(&[29]), Some((String::new(), &[][..])));
    assert_eq!(
        split_message_type(&[32, 5]),
        Some((String::new(), &[5u8][..]))
    );
    assert_eq!(split_message_type(&[33]), None);
    assert_eq!(split_message_type(&[255]), None);
    let mut long = vec![0u8];
    long.extend_from_slice(b"verack\0\0\0\0\0\0");
    long.push(9);
    assert_eq!(
        split_message_type(&long),
        Some(("verack".into(), &[9u8][..]))
    );
    // Too short for the 12-byte field.
    assert_eq!(split_message_type(&long[..12]), None);
    // A non-zero byte after the terminating zero.
    let mut bad = long.clone();
    bad[10] = b'x';
    assert_eq!(split_message_type(&bad), None);
    // A control character.
    let mut bad = long.clone();
    bad[1] = 0x1f;
    assert_eq!(split_message_type(&bad), None);
    // 0x7f passes in v2 (not in v1).
    let mut del = long;
    del[1] = 0x7f;
    assert!(split_message_type(&del).is_some());
}

/// Encrypts raw `contents` from `t` to its peer, bypassing message type encoding.
fn raw_packet(t: &mut V2Transport, contents: &[u8], ignore: bool) -> Vec<u8> {
    let mut out = Vec::new();
    t.session
        .as_mut()
        .expect("handshake done")
        .encrypt(contents, &[], ignore, &mut out);
    out
}

#[test]
fn unknown_short_id_is_rejected_not_fatal() {
    let mut a = initiator(Vec::new());
    let mut b = responder(Vec::new());
    handshake(&mut a, &mut b, usize::MAX);
    let mut wire = raw_packet(&mut a, &[200, 1, 2], false);
    wire.extend(raw_packet(&mut a, &[], false));
    wire.extend(raw_packet(&mut a, &[30], false));
    wire.extend(send(&mut a, "pong", &[0; 8]));
    let got = feed(&mut b, &wire, 3).expect("no disconnect");
    assert_eq!(got.len(), 4);
    let r = got[0].clone().expect_err("unknown id");
    assert_eq!(r.raw_size, 3 + EXPANSION);
    assert_eq!(
        r.to_string(),
        "V2 transport error: invalid message type (3 bytes contents)"
    );
    assert!(got[1].is_err(), "empty contents");
    assert_eq!(got[2].clone().expect("empty type").command, "");
    assert_eq!(got[3].clone().expect("pong").command, "pong");
}

#[test]
fn decoys_are_ignored_including_before_version() {
    let b_garbage = vec![5, 6];
    let mut a = initiator(vec![1, 2, 3]);
    let a_key = *a.our_pubkey();
    let _ = drain(&mut a);
    // Play the responder by hand with the same keys, so its packets can be chosen.
    let b_keys = Bip324Keys::from_entropy(key(2), [9; 32]);
    let mut b = b_keys.initialize(&a_key, false, false, MAGIC);
    let mut wire = b_keys.our_pubkey().to_vec();
    wire.extend_from_slice(&b_garbage);
    wire.extend_from_slice(b.send_garbage_terminator());
    // The first packet, a decoy, authenticates the garbage.
    b.encrypt(b"decoy", &b_garbage, true, &mut wire);
    b.encrypt(&[], &[], false, &mut wire);
    b.encrypt(b"another decoy", &[], true, &mut wire);
    assert!(feed(&mut a, &wire, 1).expect("decoys fine").is_empty());
    assert_eq!(a.info().protocol, TransportProtocol::V2);
    let mut wire = Vec::new();
    b.encrypt(&[18, 3, 3, 3, 3, 3, 3, 3, 3], &[], false, &mut wire);
    b.encrypt(b"decoy between messages", &[], true, &mut wire);
    b.encrypt(&[19, 4, 4, 4, 4, 4, 4, 4, 4], &[], false, &mut wire);
    let got = feed(&mut a, &wire, usize::MAX).expect("ok");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].clone().expect("ping").payload, [3; 8]);
    assert_eq!(got[1].clone().expect("pong").payload, [4; 8]);
}

#[test]
fn responder_falls_back_to_v1() {
    let mut b = responder(Vec::new());
    let mut v1 = V1Transport::new(MAGIC);
    assert!(v1.set_message_to_send("version", vec![5; 100]));
    let mut wire = Vec::new();
    loop {
        let bytes = v1.bytes_to_send(false).bytes.to_vec();
        if bytes.is_empty() {
            break;
        }
        v1.mark_bytes_sent(bytes.len());
        wire.extend(bytes);
    }
    // Before 16 bytes the responder cannot tell, and sends nothing.
    let got = feed(&mut b, &wire[..15], 1).expect("ok");
    assert!(got.is_empty());
    assert_eq!(b.info().protocol, TransportProtocol::Detecting);
    assert!(b.bytes_to_send(false).bytes.is_empty());
    let got = feed(&mut b, &wire[15..], 1).expect("ok");
    assert_eq!(b.info().protocol, TransportProtocol::V1);
    let m = got[0].clone().expect("v1 version");
    assert_eq!((m.command.as_str(), m.payload.len()), ("version", 100));
    // Replies go out in v1 framing.
    assert!(b.set_message_to_send("verack", Vec::new()));
    let out = drain(&mut b);
    assert_eq!(out, serialize_header(MAGIC, "verack", &[]).to_vec());
    assert!(!b.should_reconnect_v1());
}

#[test]
fn v1_version_from_another_network_disconnects() {
    let mut b = responder(Vec::new());
    let header = serialize_header(TESTNET4, "version", &[0; 10]);
    let err = feed(&mut b, &header, 1).expect_err("wrong network");
    assert_eq!(
        err.to_string(),
        "V2 transport error: V1 peer with wrong MessageStart 1c163f28"
    );
    // A v1 message other than version is simply not v1 to a responder: taken as a key.
    let mut b = responder(Vec::new());
    let header = serialize_header(MAGIC, "verack", &[]);
    assert!(feed(&mut b, &header, 1).expect("treated as key").is_empty());
    assert_eq!(b.info().protocol, TransportProtocol::Detecting);
    assert_eq!(
        b.bytes_to_send(false).bytes.len(),
        64,
        "responder sends its key"
    );
}

#[test]
fn missing_garbage_terminator_disconnects() {
    let mut a = initiator(Vec::new());
    let mut b = responder(Vec::new());
    let wire = drain(&mut a);
    let mut wire = wire[..64].to_vec();
    wire.extend(vec![0u8; MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN - 1]);
    assert!(feed(&mut b, &wire, 1000).expect("still looking").is_empty());
    let err = feed(&mut b, &[0], 1).expect_err("terminator never came");
    assert_eq!(err, TransportError::MissingGarbageTerminator);
    assert_eq!(
        err.to_string(),
        "V2 transport error: missing garbage terminator"
    );
}

#[test]
fn tampered_packet_disconnects() {
    let mut a = initiator(Vec::new());
    let mut b = responder(Vec::new());
    handshake(&mut a, &mut b, usize::MAX);
    let mut wire = send(&mut a, "ping", &[0; 8]);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    let err = feed(&mut b, &wire, usize::MAX).expect_err("bad tag");
    assert_eq!(err, TransportError::DecryptionFailure { len: 9 });
    assert_eq!(
        err.to_string(),
        "V2 transport error: packet decryption failure (9 bytes)"
    );
}

#[test]
fn oversized_packet_disconnects_after_length() {
    let mut a = initiator(Vec::new());
    let mut b = responder(Vec::new());
    handshake(&mut a, &mut b, usize::MAX);
    // Encrypt a length just above the limit with a's length cipher.
    let session = a.session.as_mut().expect("keys");
    let mut out = Vec::new();
    let contents = vec![0u8; MAX_CONTENTS_LEN as usize + 1];
    session.encrypt(&contents, &[], false, &mut out);
    let err = feed(&mut b, &out[..3], 1).expect_err("too large");
    assert_eq!(err, TransportError::PacketTooLarge { len: 4_000_014 });
    assert_eq!(
        err.to_string(),
        "V2 transport error: packet too large (4000014 bytes)"
    );
}

#[test]
fn wrong_garbage_aad_fails_version_packet() {
    let mut a = initiator(vec![1, 2, 3]);
    let mut b = responder(Vec::new());
    let mut wire = drain(&mut a);
    // Change a's garbage in flight: b's AAD no longer matches what a authenticated.
    wire[64] ^= 0xff;
    feed(&mut b, &wire[..64], usize::MAX).expect("key");
    let _ = drain(&mut b);
    let err = feed(&mut b, &wire[64..], usize::MAX);
    // The terminator and version packet are sent once b's key arrives.
    assert!(err.expect("garbage still accumulating").is_empty());
    let b_key = b.our_pubkey().to_vec();
    feed(&mut a, &b_key, usize::MAX).expect("a gets key");
    let rest = drain(&mut a);
    let err = feed(&mut b, &rest, usize::MAX).expect_err("aad mismatch");
    assert!(matches!(err, TransportError::DecryptionFailure { len: 0 }));
}

#[test]
fn should_reconnect_v1_only_for_silent_peers() {
    let mut a = initiator(Vec::new());
    assert!(!a.should_reconnect_v1(), "nothing sent yet");
    assert!(a.handshake_not_started());
    let n = a.bytes_to_send(false).bytes.len();
    assert_eq!(n, 64);
    a.mark_bytes_sent(23);
    assert!(!a.should_reconnect_v1(), "under a v1 header's worth");
    a.mark_bytes_sent(1);
    assert!(a.should_reconnect_v1());
    feed(&mut a, &[0x12], 1).expect("one byte");
    assert!(!a.should_reconnect_v1(), "the peer answered");
    let mut b = responder(Vec::new());
    feed(&mut b, &[0u8; 30], 30).expect("key bytes");
    let n = b.bytes_to_send(false).bytes.len();
    b.mark_bytes_sent(n);
    assert!(!b.should_reconnect_v1(), "responders never reconnect");
}

#[test]
fn more_flag_and_memory_usage() {
    let mut a = initiator(Vec::new());
    let b = a.bytes_to_send(true);
    assert!(!b.more, "blocked until the handshake is done");
    assert_eq!(b.command, "");
    assert!(a.send_memory_usage() >= 64);
    let mut b = responder(Vec::new());
    handshake(&mut a, &mut b, usize::MAX);
    assert!(a.bytes_to_send(true).more);
    assert!(!a.bytes_to_send(false).more);
    assert!(a.set_message_to_send("inv", vec![0; 37]));
    assert!(!a.set_message_to_send("inv", vec![0; 37]), "one at a time");
    assert_eq!(a.bytes_to_send(false).command, "inv");
    drain(&mut a);
    assert_eq!(a.send_memory_usage(), std::mem::size_of::<Vec<u8>>());
}

#[test]
fn os_randomness_constructor_handshakes() {
    let mut a = V2Transport::new(MAGIC, true).expect("os randomness");
    let mut b = V2Transport::new(MAGIC, false).expect("os randomness");
    handshake(&mut a, &mut b, 13);
}

/// Our initiator against the `bip324` crate's responder: an independent implementation.
#[test]
fn interoperates_with_bip324_crate() {
    use bip324::{GarbageResult, Handshake, Role, VersionResult};

    let our_garbage = vec![0x11; 33];
    let mut ours = initiator(our_garbage.clone());
    let first = drain(&mut ours);
    assert_eq!(first.len(), 64 + our_garbage.len());

    let their_garbage = [0x22u8; 7];
    let theirs = Handshake::new(MAGIC, Role::Responder).expect("handshake");
    let mut key_out = vec![0u8; Handshake::send_key_len(Some(&their_garbage))];
    let theirs = theirs
        .send_key(Some(&their_garbage), &mut key_out)
        .expect("send key");
    let mut our_key = [0u8; 64];
    our_key.copy_from_slice(&first[..64]);
    let theirs = theirs.receive_key(our_key).expect("receive key");
    let decoy: &[u8] = b"decoy before version";
    let decoys = [decoy];
    let mut version_out = vec![0u8; Handshake::send_version_len(Some(&decoys))];
    let theirs = theirs
        .send_version(&mut version_out, Some(&decoys))
        .expect("send version");

    let mut wire = key_out.clone();
    wire.extend_from_slice(&version_out);
    assert!(feed(&mut ours, &wire, 5).expect("handshake").is_empty());
    assert_eq!(ours.info().protocol, TransportProtocol::V2);

    let mut to_them = first[64..].to_vec();
    to_them.extend(drain(&mut ours));
    let (theirs, consumed) = match theirs.receive_garbage(&to_them).expect("garbage") {
        GarbageResult::FoundGarbage {
            handshake,
            consumed_bytes,
        } => (handshake, consumed_bytes),
        GarbageResult::NeedMoreData(_) => panic!("terminator not found"),
    };
    let mut theirs = theirs;
    let mut len = [0u8; 3];
    len.copy_from_slice(&to_them[consumed..consumed + 3]);
    let packet_len = theirs.decrypt_packet_len(len).expect("len");
    let mut packet = to_them[consumed + 3..consumed + 3 + packet_len].to_vec();
    let mut cipher = match theirs.receive_version(&mut packet).expect("version") {
        VersionResult::Complete { cipher } => cipher,
        VersionResult::Decoy(_) => panic!("unexpected decoy"),
    };
    assert_eq!(Some(*cipher.id()), ours.info().session_id);

    // Our ping reaches them with short id 18.
    let wire = send(&mut ours, "ping", &9u64.to_le_bytes());
    let mut len = [0u8; 3];
    len.copy_from_slice(&wire[..3]);
    let n = cipher.inbound().decrypt_packet_len(len);
    assert_eq!(n + 3, wire.len());
    let (_, plain) = cipher
        .inbound()
        .decrypt_to_vec(&wire[3..], None)
        .expect("decrypt");
    assert_eq!(plain[1], 18);
    assert_eq!(&plain[2..], 9u64.to_le_bytes());

    // Their pong reaches us.
    let mut contents = vec![19u8];
    contents.extend_from_slice(&9u64.to_le_bytes());
    let packet = cipher
        .outbound()
        .encrypt_to_vec(&contents, bip324::PacketType::Genuine, None);
    let got = feed(&mut ours, &packet, 2).expect("ok");
    let m = got[0].clone().expect("pong");
    assert_eq!(
        (m.command.as_str(), m.payload),
        ("pong", 9u64.to_le_bytes().to_vec())
    );
}
