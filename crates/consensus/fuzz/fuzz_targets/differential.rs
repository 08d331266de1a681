//! Our verdict against libbitcoinconsensus's under the consensus flags.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let spend = common::spend(data, true);
    let ours = common::ours(&spend);
    let bytes = bitcoin::consensus::serialize(&spend.tx);
    let utxo = bitcoinconsensus::Utxo {
        script_pubkey: spend.spent.script_pubkey.as_bytes().as_ptr(),
        script_pubkey_len: spend.spent.script_pubkey.len() as u32,
        value: spend.spent.value.to_sat() as i64,
    };
    let core = match bitcoinconsensus::verify_with_flags(
        spend.spent.script_pubkey.as_bytes(),
        spend.spent.value.to_sat(),
        &bytes,
        Some(&[utxo]),
        0,
        spend.flags.0,
    ) {
        Ok(()) => true,
        Err(bitcoinconsensus::Error::ERR_SCRIPT) => false,
        Err(_) => return,
    };
    assert_eq!(
        ours,
        core,
        "disagreement on {spend_flags}",
        spend_flags = spend.flags
    );
});
