//! Arbitrary payloads decoded as any message type: decoding never panics, and what decodes
//! encodes back to a payload that decodes the same (for the types whose codec is ours).
#![no_main]

use bitcoin::p2p::message::NetworkMessage;
use libfuzzer_sys::fuzz_target;
use p2p::constants::msg_type;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let types = msg_type::ALL;
    let command = types
        .get(usize::from(selector))
        .copied()
        .unwrap_or("unknownmsg");
    let Ok(msg) = p2p::decode(command, payload) else {
        return;
    };
    let (again_command, again_payload) = p2p::encode(&msg);
    assert_eq!(again_command, command);
    // Transactions and blocks are the bitcoin crate's codec; only check that they decode.
    let ours = !matches!(
        msg,
        NetworkMessage::Tx(_)
            | NetworkMessage::Block(_)
            | NetworkMessage::CmpctBlock(_)
            | NetworkMessage::BlockTxn(_)
            | NetworkMessage::MerkleBlock(_)
    );
    let again = p2p::decode(&again_command, &again_payload);
    if ours {
        assert_eq!(again.as_ref(), Ok(&msg), "{command}");
    }
});
