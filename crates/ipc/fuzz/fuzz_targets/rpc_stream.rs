//! Any byte stream a peer may send: framing, RPC messages, params. The engine must
//! neither panic nor hang; at most it drops the connection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = ipc_testing::serve_bytes(data) {
        panic!("{e}");
    }
});
