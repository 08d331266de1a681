//! Transaction decoding and everything computed from a decoded transaction without context.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = bitcoin::consensus::deserialize::<bitcoin::Transaction>(data) else {
        return;
    };
    let _ = consensus::tx::check_transaction(&tx);
    let _ = consensus::tx::legacy_sig_op_count(&tx);
    let _ = consensus::tx::is_final_tx(&tx, 100, 1_600_000_000);
    let mut heights = vec![1; tx.input.len()];
    let _ = consensus::tx::calculate_sequence_locks(&tx, true, &mut heights, |h| h as i64 * 600);
    let data = consensus::sighash::PrecomputedTransactionData::new(&tx, tx.output.clone(), true);
    for i in 0..tx.input.len() {
        let script = tx.input[i].script_sig.as_bytes();
        let _ = consensus::sighash::legacy_signature_hash(script, &tx, i, i as i32);
        let _ = consensus::sighash::segwit_v0_signature_hash(
            script,
            &tx,
            i,
            0x83,
            5,
            data.bip143.as_ref(),
        );
        if let Some(h) = data.bip341.as_ref() {
            let _ = consensus::sighash::taproot_signature_hash(
                &tx,
                i,
                0x83,
                h,
                &data.spent_outputs,
                None,
                None,
            );
        }
    }
});
