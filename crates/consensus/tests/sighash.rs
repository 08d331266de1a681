//! Every entry of Core's sighash.json (legacy signature hashes, random transactions/scripts).

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitcoin::Transaction;
use consensus::sighash::legacy_signature_hash;

#[test]
fn sighash() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for test in common::load("sighash.json") {
        let arr = test.as_array().unwrap();
        if arr.len() != 5 {
            continue; // the header
        }
        let raw = common::hex(arr[0].as_str().unwrap());
        let tx: Transaction =
            bitcoin::consensus::deserialize(&raw).unwrap_or_else(|e| panic!("{e}: {test}"));
        let script = common::hex(arr[1].as_str().unwrap());
        let n_in = arr[2].as_u64().unwrap() as usize;
        let hash_type = arr[3].as_i64().unwrap() as i32;
        let mut got = legacy_signature_hash(&script, &tx, n_in, hash_type);
        got.reverse();
        let got: String = got.iter().map(|b| format!("{b:02x}")).collect();
        if got != arr[4].as_str().unwrap() {
            failures.push(format!("got {got}: {test}"));
        }
        checked += 1;
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("sighash: checked {checked} entries\n").as_bytes(),
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 500);
}
