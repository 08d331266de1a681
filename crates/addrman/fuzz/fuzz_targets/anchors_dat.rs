//! Any bytes as the body of anchors.dat (magic and checksum added, so the fuzzer reaches
//! the addresses): reading never panics, and what reads writes back to the same list.
#![no_main]

use addrman::anchors::{deserialize_anchors, serialize_anchors};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::Magic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut image = Magic::REGTEST.to_bytes().to_vec();
    image.extend_from_slice(data);
    let hash = sha256d::Hash::hash(&image).to_byte_array();
    image.extend_from_slice(&hash);
    let Ok(anchors) = deserialize_anchors(&image, Magic::REGTEST) else {
        return;
    };
    let out = serialize_anchors(&anchors, Magic::REGTEST);
    let again = deserialize_anchors(&out, Magic::REGTEST).expect("our own output reads back");
    assert_eq!(again, anchors);
});
