//! Every entry of Core's tx_valid.json: valid under all flags but the excluded ones, still
//! valid with fewer flags, and invalid if any excluded flag is added back.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitcoin::Transaction;
use consensus::script::VerifyFlags;
use consensus::sighash::PrecomputedTransactionData;
use consensus::tx::check_transaction;

#[test]
fn tx_valid() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for test in common::load("tx_valid.json") {
        let arr = test.as_array().unwrap();
        if !arr[0].is_array() {
            continue; // a comment
        }
        let prev = common::prevouts(&arr[0]).unwrap_or_else(|| panic!("bad test {test}"));
        let tx: Transaction =
            bitcoin::consensus::deserialize(&common::hex(arr[1].as_str().unwrap())).unwrap();
        let excluded = VerifyFlags::parse(arr[2].as_str().unwrap()).unwrap();
        checked += 1;
        if let Err(e) = check_transaction(&tx) {
            failures.push(format!("CheckTransaction: {e}: {test}"));
            continue;
        }
        let txdata = PrecomputedTransactionData::new(&tx, Vec::new(), false);
        let flags = !excluded;
        if flags != common::fill_flags(flags) {
            failures.push(format!("bad flags: {test}"));
            continue;
        }
        if let Err(e) = common::check_tx_scripts(&tx, &prev, flags, &txdata) {
            failures.push(format!("failed with {}: {test}", e.name()));
            continue;
        }
        for (name, f) in VerifyFlags::NAMES {
            let fewer = common::trim_flags(!(excluded | *f));
            if let Err(e) = common::check_tx_scripts(&tx, &prev, fewer, &txdata) {
                failures.push(format!("failed with {name} unset ({}): {test}", e.name()));
            }
        }
        for more in common::exclude_individual_flags(excluded) {
            if common::check_tx_scripts(&tx, &prev, !more, &txdata).is_ok() {
                failures.push(format!(
                    "passed with an excluded flag set ({}): {test}",
                    (!more)
                ));
            }
        }
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("tx_valid: checked {checked} entries\n").as_bytes(),
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 100);
}
