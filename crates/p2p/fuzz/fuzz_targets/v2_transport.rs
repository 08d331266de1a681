//! A v2 responder fed arbitrary bytes. With the first input byte odd, the input instead
//! plays an initiator that completes the handshake by hand and then sends arbitrary packet
//! contents (decoys among them), so the states after the handshake are reached too. The
//! transport must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use p2p::transport::cipher::Bip324Keys;
use p2p::transport::{Transport, V2Transport};
use secp256k1::SecretKey;

const MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

fn feed(rx: &mut V2Transport, wire: &[u8], step: usize) -> bool {
    for chunk in wire.chunks(step.max(1)) {
        let mut rest = chunk;
        loop {
            if rx.received_bytes(&mut rest).is_err() {
                return false;
            }
            if rx.received_message_complete() {
                let _ = rx.get_received_message();
            } else if rest.is_empty() {
                break;
            }
        }
        // Whatever the responder wants to send goes out.
        let n = rx.bytes_to_send(false).bytes.len();
        rx.mark_bytes_sent(n);
        let _ = rx.info();
        let _ = rx.should_reconnect_v1();
    }
    true
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let Ok(key) = SecretKey::from_slice(&[2; 32]) else {
        return;
    };
    let mut rx = V2Transport::with_keys(MAGIC, false, key, [9; 32], vec![0x33; 10]);
    let step = usize::from(mode >> 1).max(1);
    if mode & 1 == 0 {
        feed(&mut rx, data, step);
        return;
    }

    // Play the initiator: key, garbage chosen by the input, terminator, version packet.
    let Ok(our_key) = SecretKey::from_slice(&[1; 32]) else {
        return;
    };
    let keys = Bip324Keys::from_entropy(our_key, [7; 32]);
    let (garbage_len, mut rest) = match data.split_first() {
        Some((&n, rest)) => (usize::from(n), rest),
        None => (0, data),
    };
    let garbage = &rest[..garbage_len.min(rest.len())];
    rest = &rest[garbage.len()..];
    let mut wire = keys.our_pubkey().to_vec();
    wire.extend_from_slice(garbage);
    if !feed(&mut rx, &wire, step) {
        return;
    }
    let mut session = keys.initialize(rx.our_pubkey(), true, false, MAGIC);
    let mut wire = session.send_garbage_terminator().to_vec();
    session.encrypt(&[], garbage, false, &mut wire);
    // Then packets: [len][flags][contents...] taken from the input.
    while let Some((&len, tail)) = rest.split_first() {
        let Some((&flags, tail)) = tail.split_first() else {
            break;
        };
        let n = usize::from(len).min(tail.len());
        session.encrypt(&tail[..n], &[], flags & 1 == 1, &mut wire);
        rest = &tail[n..];
    }
    feed(&mut rx, &wire, step);
});
