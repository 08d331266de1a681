use super::*;
use crate::transport::hex;

const MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

/// Drains everything the transport wants to send, in chunks of `chunk` bytes.
fn drain(t: &mut dyn Transport, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = t.bytes_to_send(false);
        if b.bytes.is_empty() {
            return out;
        }
        let n = b.bytes.len().min(chunk);
        out.extend_from_slice(&b.bytes[..n]);
        t.mark_bytes_sent(n);
    }
}

/// Feeds `wire` to a fresh receiver `step` bytes at a time and collects what comes out.
fn receive_all(
    wire: &[u8],
    step: usize,
) -> Result<Vec<Result<ReceivedMessage, RejectedMessage>>, TransportError> {
    let mut rx = V1Transport::new(MAGIC);
    let mut out = Vec::new();
    for chunk in wire.chunks(step) {
        let mut rest = chunk;
        while !rest.is_empty() {
            rx.received_bytes(&mut rest)?;
            if rx.received_message_complete() {
                out.push(rx.get_received_message());
            }
        }
        // A zero-length payload completes as soon as its header does.
        if rx.received_message_complete() {
            out.push(rx.get_received_message());
        }
    }
    Ok(out)
}

fn encode(command: &str, payload: &[u8]) -> Vec<u8> {
    let mut tx = V1Transport::new(MAGIC);
    assert!(tx.set_message_to_send(command, payload.to_vec()));
    drain(&mut tx, usize::MAX)
}

#[test]
fn round_trip_whole_and_byte_by_byte() {
    let mut wire = encode("ping", &7u64.to_le_bytes());
    wire.extend(encode("verack", &[]));
    wire.extend(encode("tx", &[0xab; 1000]));
    for step in [1, 2, 23, 24, 25, 100, wire.len()] {
        let msgs = receive_all(&wire, step).expect("valid stream");
        let msgs: Vec<_> = msgs.into_iter().map(|m| m.expect("accepted")).collect();
        assert_eq!(msgs.len(), 3, "step {step}");
        assert_eq!(msgs[0].command, "ping");
        assert_eq!(msgs[0].payload, 7u64.to_le_bytes());
        assert_eq!(msgs[0].raw_size, 32);
        assert_eq!(msgs[1].command, "verack");
        assert!(msgs[1].payload.is_empty());
        assert_eq!(msgs[1].raw_size, 24);
        assert_eq!(msgs[2].payload, vec![0xab; 1000]);
    }
}

#[test]
fn header_matches_known_verack() {
    // verack on mainnet: the empty payload's checksum is 5df6e0e2.
    let wire = encode("verack", &[]);
    assert_eq!(
        hex(&wire),
        "f9beb4d976657261636b000000000000000000005df6e0e2"
    );
}

#[test]
fn wrong_magic_disconnects() {
    let mut wire = encode("ping", &[0; 8]);
    wire[0] = 0xfa;
    let err = receive_all(&wire, 1).expect_err("bad magic");
    assert_eq!(
        err.to_string(),
        "Header error: Wrong MessageStart fabeb4d9 received"
    );
}

#[test]
fn oversized_payload_disconnects_at_header() {
    let mut header = serialize_header(MAGIC, "bl\x01ock", &[]);
    header[16..20].copy_from_slice(&(MAX_PROTOCOL_MESSAGE_LENGTH + 1).to_le_bytes());
    let err = receive_all(&header, 24).expect_err("too large");
    assert_eq!(
        err,
        TransportError::SizeTooLarge {
            command: "block".into(),
            size: 4_000_001
        }
    );
    assert_eq!(
        err.to_string(),
        "Header error: Size too large (block, 4000001 bytes)"
    );
    // Exactly the limit is fine (the payload just has not arrived yet).
    header[16..20].copy_from_slice(&MAX_PROTOCOL_MESSAGE_LENGTH.to_le_bytes());
    assert!(receive_all(&header, 24).expect("allowed").is_empty());
}

#[test]
fn bad_checksum_is_dropped_not_fatal() {
    let mut wire = encode("ping", &[1; 8]);
    wire[20] ^= 1;
    wire.extend(encode("pong", &[2; 8]));
    let msgs = receive_all(&wire, 5).expect("no disconnect");
    assert_eq!(msgs.len(), 2);
    let rejected = msgs[0].clone().expect_err("rejected");
    assert_eq!(rejected.raw_size, 32);
    let text = rejected.to_string();
    assert!(
        text.starts_with("Header error: Wrong checksum (ping, 8 bytes), expected "),
        "{text}"
    );
    assert_eq!(msgs[1].clone().expect("ok").command, "pong");
}

#[test]
fn invalid_message_type_is_dropped() {
    for bad in [&b"pi\x01ng"[..], b"ping\x00x", b"\x7fping"] {
        let mut command = [0u8; 12];
        command[..bad.len()].copy_from_slice(bad);
        assert!(!is_message_type_valid(&command));
        let mut wire = serialize_header(MAGIC, "", &[]).to_vec();
        wire[4..16].copy_from_slice(&command);
        let msgs = receive_all(&wire, 1).expect("no disconnect");
        let rejected = msgs[0].clone().expect_err("rejected");
        assert!(matches!(
            rejected.reason,
            RejectReason::InvalidMessageType { size: 0, .. }
        ));
        assert!(rejected
            .to_string()
            .starts_with("Header error: Invalid message type ("));
    }
    assert!(is_message_type_valid(b"abcdefghijkl"));
    assert!(is_message_type_valid(&[0; 12]));
}

#[test]
fn bytes_to_send_reports_more_as_core() {
    let mut tx = V1Transport::new(MAGIC);
    assert!(tx.bytes_to_send(false).bytes.is_empty());
    assert!(tx.set_message_to_send("ping", vec![0; 8]));
    // A second message cannot be queued while the first is being sent.
    assert!(!tx.set_message_to_send("pong", vec![0; 8]));
    let b = tx.bytes_to_send(false);
    assert_eq!((b.bytes.len(), b.more, b.command), (24, true, "ping"));
    tx.mark_bytes_sent(10);
    assert_eq!(tx.bytes_to_send(false).bytes.len(), 14);
    tx.mark_bytes_sent(14);
    let b = tx.bytes_to_send(false);
    assert_eq!((b.bytes.len(), b.more), (8, false));
    assert!(tx.bytes_to_send(true).more);
    tx.mark_bytes_sent(8);
    assert!(tx.bytes_to_send(false).bytes.is_empty());
    assert!(tx.set_message_to_send("verack", Vec::new()));
    let b = tx.bytes_to_send(false);
    assert!(!b.more, "an empty payload leaves nothing after the header");
    assert!(!tx.should_reconnect_v1());
    assert_eq!(tx.info().protocol, TransportProtocol::V1);
}

#[test]
fn large_announcement_does_not_preallocate() {
    let mut rx = V1Transport::new(MAGIC);
    let mut header = serialize_header(MAGIC, "block", &[]);
    header[16..20].copy_from_slice(&MAX_PROTOCOL_MESSAGE_LENGTH.to_le_bytes());
    let mut bytes = &header[..];
    rx.received_bytes(&mut bytes).expect("header ok");
    let mut one = &[0u8][..];
    rx.received_bytes(&mut one).expect("data ok");
    assert!(rx.payload.capacity() <= 1 + MAX_RESERVE_AHEAD);
}
