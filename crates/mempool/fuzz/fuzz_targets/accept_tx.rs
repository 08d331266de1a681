//! Any bytes as a transaction offered to a pool over a small chain: acceptance never
//! panics, and an accepted transaction is in the pool with a consistent entry.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::consensus::encode::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use consensus::script::VerifyFlags;
use consensus::tx::SpentCoin;
use libfuzzer_sys::fuzz_target;
use mempool::accept::{AcceptArgs, Acceptor, ChainView, TxResult};
use mempool::{Mempool, MempoolOptions};

struct Chain(HashMap<OutPoint, SpentCoin>);

impl ChainView for Chain {
    fn height(&self) -> u32 {
        500
    }
    fn median_time_past(&self) -> i64 {
        1_600_000_000
    }
    fn median_time_past_at(&self, _h: u32) -> i64 {
        1_600_000_000
    }
    fn coin(&self, o: &OutPoint) -> Option<SpentCoin> {
        self.0.get(o).cloned()
    }
    fn script_flags(&self) -> VerifyFlags {
        mempool::policy::MANDATORY_SCRIPT_VERIFY_FLAGS
    }
    fn now(&self) -> i64 {
        1_600_000_000
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = deserialize::<Transaction>(data) else { return };
    // Every input the transaction names exists, paying to anyone-can-spend P2WSH(OP_TRUE)
    // or bare OP_TRUE, so the checks past the coin lookup run too.
    let mut coins = HashMap::new();
    for (i, input) in tx.input.iter().enumerate() {
        let spk = if i % 2 == 0 {
            ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&[0x51]))
        } else {
            ScriptBuf::from_bytes(vec![0x51])
        };
        coins.insert(
            input.previous_output,
            SpentCoin {
                output: TxOut { value: Amount::from_sat(100_000), script_pubkey: spk },
                height: 100,
                is_coinbase: i % 3 == 2,
            },
        );
    }
    let chain = Chain(coins);
    let mut pool = Mempool::new(MempoolOptions::default());
    let tx = Arc::new(tx);
    let r = Acceptor::new(&mut pool, &chain).accept_single(&tx, &AcceptArgs::single(1_600_000_000, false, false));
    assert_eq!(pool.check(), Ok(()));
    let txid: Txid = tx.compute_txid();
    match r {
        TxResult::Valid { vsize, .. } => {
            let e = pool.entry(&txid).expect("accepted transactions are in the pool");
            assert_eq!(e.vsize, vsize);
            assert_eq!(pool.size(), 1);
        }
        _ => assert_eq!(pool.size(), 0),
    }
});
