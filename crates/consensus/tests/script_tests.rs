//! Every entry of Core's script_tests.json, with the exact expected error.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use consensus::script::{verify_script, ScriptError, TransactionSignatureChecker, VerifyFlags};

#[test]
fn script_tests() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for test in common::load("script_tests.json") {
        let arr = test.as_array().unwrap();
        let mut pos = 0;
        let mut witness = Vec::new();
        let mut taproot_output = None;
        let mut amount = 0i64;
        if let Some(w) = arr[0].as_array() {
            let (value, items) = w.split_last().unwrap();
            for item in items {
                let item = item.as_str().unwrap();
                if let Some(script) = item.strip_prefix("#SCRIPT#") {
                    witness.push(common::parse_script(script));
                } else if item == "#CONTROLBLOCK#" {
                    let script = witness.last().unwrap().clone();
                    let (control, output) = common::control_block_for_key1(&script);
                    witness.push(control);
                    taproot_output = Some(output);
                } else {
                    witness.push(common::hex(item));
                }
            }
            amount = (value.as_f64().unwrap() * 100_000_000.0).round() as i64;
            pos = 1;
        }
        if arr.len() < pos + 4 {
            continue; // a comment
        }
        let sig = common::parse_script(arr[pos].as_str().unwrap());
        let pubkey_text = arr[pos + 1].as_str().unwrap();
        let pubkey = match (pubkey_text, taproot_output) {
            ("0x51 0x20 #TAPROOTOUTPUT#", Some(q)) => [&[0x51, 0x20][..], &q[..]].concat(),
            _ => common::parse_script(pubkey_text),
        };
        let mut flags = VerifyFlags::parse(arr[pos + 2].as_str().unwrap()).unwrap();
        let expected = ScriptError::from_name(arr[pos + 3].as_str().unwrap())
            .unwrap_or_else(|| panic!("unknown error name in {test}"));
        if flags.contains(VerifyFlags::CLEANSTACK) {
            flags |= VerifyFlags::P2SH | VerifyFlags::WITNESS;
        }
        let credit = common::crediting_tx(&pubkey, amount);
        let spend = common::spending_tx(&sig, &witness, &credit);
        let checker = TransactionSignatureChecker::new(&spend, 0, amount, None);
        let got = match verify_script(&sig, &pubkey, &witness, flags, &checker) {
            Ok(()) => ScriptError::Ok,
            Err(e) => e,
        };
        if got != expected {
            failures.push(format!(
                "expected {} got {}: {test}",
                expected.name(),
                got.name()
            ));
        }
        checked += 1;
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("script_tests: checked {checked} entries\n").as_bytes(),
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1000);
}
