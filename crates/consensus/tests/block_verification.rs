//! Block-scale verification: parallel, cached, and deterministic in what it reports.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/blockgen.rs"]
mod blockgen;

use bitcoin::Witness;
use consensus::block::{verify_scripts, InputError, ScriptCache, TxToVerify};
use consensus::script::{ScriptError, VerifyFlags};

fn flags() -> VerifyFlags {
    VerifyFlags::P2SH
        | VerifyFlags::WITNESS
        | VerifyFlags::TAPROOT
        | VerifyFlags::DERSIG
        | VerifyFlags::NULLDUMMY
}

#[test]
fn block_verification() {
    let mut block = blockgen::generate(90);
    {
        let txs: Vec<TxToVerify<'_>> = block
            .txs
            .iter()
            .zip(&block.spent)
            .map(|(tx, spent)| TxToVerify { tx, spent })
            .collect();
        for threads in [1, 2, 4] {
            assert_eq!(verify_scripts(&txs, flags(), threads, None), Ok(()));
        }
        let cache = ScriptCache::new(1000, [3; 32]);
        assert_eq!(verify_scripts(&txs, flags(), 2, Some(&cache)), Ok(()));
        assert_eq!(cache.len(), 90);
        assert_eq!(verify_scripts(&txs, flags(), 2, Some(&cache)), Ok(()));
    }
    // Break a P2TR signature (tx 62) and a P2PKH one (tx 30): the first in block order wins.
    let mut w: Vec<Vec<u8>> = block.txs[62].input[0].witness.to_vec();
    w[0][5] ^= 1;
    block.txs[62].input[0].witness = Witness::from_slice(&w);
    let mut s = block.txs[30].input[0].script_sig.as_bytes().to_vec();
    s[10] ^= 1;
    block.txs[30].input[0].script_sig = bitcoin::ScriptBuf::from_bytes(s);
    let txs: Vec<TxToVerify<'_>> = block
        .txs
        .iter()
        .zip(&block.spent)
        .map(|(tx, spent)| TxToVerify { tx, spent })
        .collect();
    for _ in 0..20 {
        for threads in [1, 2, 3] {
            assert_eq!(
                verify_scripts(&txs, flags(), threads, None),
                Err(InputError {
                    tx: 30,
                    input: 0,
                    error: ScriptError::EvalFalse
                })
            );
        }
    }
    let only_taproot = &txs[40..];
    assert_eq!(
        verify_scripts(only_taproot, flags(), 2, None),
        Err(InputError {
            tx: 22,
            input: 0,
            error: ScriptError::SchnorrSig
        })
    );
    // A cache never hides a changed transaction: its wtxid, and so its key, changed.
    let cache = ScriptCache::new(1000, [4; 32]);
    assert!(verify_scripts(&txs, flags(), 2, Some(&cache)).is_err());
    assert!(cache.is_empty());
    let small = ScriptCache::new(10, [5; 32]);
    assert_eq!(verify_scripts(&txs[..29], flags(), 2, Some(&small)), Ok(()));
    assert_eq!(small.len(), 10);
}
