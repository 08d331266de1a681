//! Arbitrary bytes into a v1 transport, delivered in chunks the input chooses: it never
//! panics, and every message it accepts comes out the same after being sent again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use p2p::transport::{Transport, V1Transport};

const MAGIC: [u8; 4] = [0xf9, 0xbe, 0xb4, 0xd9];

fuzz_target!(|data: &[u8]| {
    let Some((&step, wire)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1);
    let mut rx = V1Transport::new(MAGIC);
    for chunk in wire.chunks(step) {
        let mut rest = chunk;
        loop {
            if rx.received_bytes(&mut rest).is_err() {
                return;
            }
            if rx.received_message_complete() {
                if let Ok(msg) = rx.get_received_message() {
                    resend(&msg.command, &msg.payload);
                }
            } else if rest.is_empty() {
                break;
            }
        }
    }
});

fn resend(command: &str, payload: &[u8]) {
    let mut tx = V1Transport::new(MAGIC);
    assert!(tx.set_message_to_send(command, payload.to_vec()));
    let mut wire = Vec::new();
    loop {
        let bytes = tx.bytes_to_send(false).bytes.to_vec();
        if bytes.is_empty() {
            break;
        }
        tx.mark_bytes_sent(bytes.len());
        wire.extend(bytes);
    }
    let mut rx = V1Transport::new(MAGIC);
    let mut rest = &wire[..];
    rx.received_bytes(&mut rest).expect("our own bytes");
    assert!(rx.received_message_complete());
    let again = rx.get_received_message().expect("our own message");
    assert_eq!(again.command, command);
    assert_eq!(again.payload, payload);
}
