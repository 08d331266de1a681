//! Any text as a descriptor, an address or a signed message: parsing must never panic,
//! and whatever parses must print back to a descriptor that parses to the same string.
#![no_main]

use bitcoin::Network;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for network in [Network::Bitcoin, Network::Regtest] {
        let _ = descriptors::decode_destination(text, network);
        let _ = descriptors::verify_message(text, text, text, network);
        let _ = descriptors::checksum_of(text);
        for require in [false, true] {
            let Ok(descs) = descriptors::parse(text, require, network) else {
                continue;
            };
            for d in &descs {
                let public = d.to_string_checksummed();
                let (private, _) = d.to_private_string();
                let _ = d.expand(0);
                let _ = d.to_normalized_string();
                let _ = d.output_type();
                let _ = d.expand(0x7fff_ffff);
                let again = descriptors::parse(&public, true, network).expect("public form parses");
                assert!(again.iter().any(|a| a.to_string_checksummed() == public));
                descriptors::parse(&private, true, network).expect("private form parses");
            }
        }
    }
});
