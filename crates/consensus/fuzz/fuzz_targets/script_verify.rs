//! The interpreter under every flag: any scripts and witness must neither panic nor hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let spend = common::spend(data, false);
    let _ = common::ours(&spend);
});
