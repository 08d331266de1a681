//! Any bytes as peers.dat: reading never panics, and whatever loads is consistent and
//! survives a write and re-read unchanged.
#![no_main]

use addrman::peers::{deserialize_peers, serialize_peers};
use addrman::AddrMan;
use bitcoin::p2p::Magic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Without the checksum, so the fuzzer reaches the body.
    let mut image = Magic::REGTEST.to_bytes().to_vec();
    image.extend_from_slice(data);
    let mut a = AddrMan::new_deterministic(0);
    if deserialize_peers(&image, Magic::REGTEST, &mut a, false).is_err() {
        return;
    }
    assert_eq!(a.check_addrman(), Ok(()));
    let out = serialize_peers(&a, Magic::REGTEST);
    let mut b = AddrMan::new_deterministic(0);
    deserialize_peers(&out, Magic::REGTEST, &mut b, true).expect("our own output reads back");
    assert_eq!(serialize_peers(&b, Magic::REGTEST), out);
    let _ = a.select(false, &[]);
    let _ = a.get_addr(0, 0, None, true);
});
