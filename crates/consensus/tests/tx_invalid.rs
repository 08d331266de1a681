//! Every entry of Core's tx_invalid.json: rejected by CheckTransaction (BADTX) or invalid
//! under the given flags, still invalid with more flags, and valid if any flag is removed.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitcoin::Transaction;
use consensus::script::VerifyFlags;
use consensus::sighash::PrecomputedTransactionData;
use consensus::tx::check_transaction;

#[test]
fn tx_invalid() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for test in common::load("tx_invalid.json") {
        let arr = test.as_array().unwrap();
        if !arr[0].is_array() {
            continue; // a comment
        }
        let prev = common::prevouts(&arr[0]).unwrap_or_else(|| panic!("bad test {test}"));
        let raw = common::hex(arr[1].as_str().unwrap());
        let flags_text = arr[2].as_str().unwrap();
        checked += 1;
        let tx: Transaction = match bitcoin::consensus::deserialize(&raw) {
            Ok(tx) => tx,
            Err(e) => {
                failures.push(format!("cannot decode ({e}): {test}"));
                continue;
            }
        };
        if check_transaction(&tx).is_err() {
            if flags_text != "BADTX" {
                failures.push(format!("CheckTransaction rejected it: {test}"));
            }
            continue;
        }
        let flags = match VerifyFlags::parse(flags_text) {
            Ok(f) => f,
            Err(_) => {
                failures.push(format!("passed CheckTransaction, expected BADTX: {test}"));
                continue;
            }
        };
        let txdata = PrecomputedTransactionData::new(&tx, Vec::new(), false);
        if common::check_tx_scripts(&tx, &prev, flags, &txdata).is_ok() {
            failures.push(format!("unexpectedly valid: {test}"));
            continue;
        }
        for (name, f) in VerifyFlags::NAMES {
            if common::check_tx_scripts(&tx, &prev, common::fill_flags(flags | *f), &txdata).is_ok()
            {
                failures.push(format!("valid with {name} added: {test}"));
            }
        }
        for fewer in common::exclude_individual_flags(flags) {
            if let Err(e) = common::check_tx_scripts(&tx, &prev, fewer, &txdata) {
                failures.push(format!(
                    "still invalid ({}) with flags {fewer}: {test}",
                    e.name()
                ));
            }
        }
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("tx_invalid: checked {checked} entries\n").as_bytes(),
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 80);
}
