//! Mempool acceptance throughput, block-template latency and memory per transaction
//! (issue 6), with libbitcoinconsensus verifying the same scripts as the baseline.
//!
//! `cargo bench -p mempool --bench accept` (release). Transactions are real P2WPKH
//! spends signed with one key: 20,000 independent ones, then 800 chains of 25. The chain
//! is an in-memory UTXO set, so figures are the pool's own cost: policy, script checks,
//! cluster linearization and bookkeeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, CompressedPublicKey, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};
use consensus::script::VerifyFlags;
use consensus::tx::SpentCoin;
use mempool::accept::{AcceptArgs, Acceptor, ChainView, TxResult};
use mempool::mining::{select_transactions, AssemblerOptions};
use mempool::{Mempool, MempoolOptions};

struct FakeChain {
    coins: HashMap<OutPoint, SpentCoin>,
}

impl ChainView for FakeChain {
    fn height(&self) -> u32 {
        1_000
    }
    fn median_time_past(&self) -> i64 {
        1_700_000_000
    }
    fn median_time_past_at(&self, _height: u32) -> i64 {
        1_700_000_000
    }
    fn coin(&self, o: &OutPoint) -> Option<SpentCoin> {
        self.coins.get(o).cloned()
    }
    fn script_flags(&self) -> VerifyFlags {
        mempool::policy::MANDATORY_SCRIPT_VERIFY_FLAGS
    }
    fn now(&self) -> i64 {
        1_700_000_100
    }
}

struct Signer {
    secp: Secp256k1<bitcoin::secp256k1::All>,
    key: SecretKey,
    spk: ScriptBuf,
    pubkey: CompressedPublicKey,
}

impl Signer {
    fn new() -> Signer {
        let secp = Secp256k1::new();
        let key = SecretKey::from_slice(&[7u8; 32]).unwrap();
        let pubkey = CompressedPublicKey(key.public_key(&secp));
        let spk = ScriptBuf::new_p2wpkh(&pubkey.wpubkey_hash());
        Signer {
            secp,
            key,
            spk,
            pubkey,
        }
    }

    /// A one-in one-out P2WPKH spend of `prev` (worth `value`) paying `fee`.
    fn spend(&self, prev: OutPoint, value: u64, fee: u64) -> Transaction {
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: prev,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(value - fee),
                script_pubkey: self.spk.clone(),
            }],
        };
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(0, &self.spk, Amount::from_sat(value), EcdsaSighashType::All)
            .unwrap();
        let sig = self
            .secp
            .sign_ecdsa(&Message::from_digest(sighash.to_byte_array()), &self.key);
        let sig = bitcoin::ecdsa::Signature {
            signature: sig,
            sighash_type: EcdsaSighashType::All,
        };
        tx.input[0].witness = Witness::p2wpkh(&sig, &self.pubkey.0);
        tx
    }
}

fn funding(n: usize, signer: &Signer) -> (FakeChain, Vec<OutPoint>) {
    let mut coins = HashMap::new();
    let mut outs = Vec::new();
    for i in 0..n {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        let o = OutPoint {
            txid: Txid::from_byte_array(b),
            vout: 0,
        };
        coins.insert(
            o,
            SpentCoin {
                output: TxOut {
                    value: Amount::from_sat(1_000_000),
                    script_pubkey: signer.spk.clone(),
                },
                height: 10,
                is_coinbase: false,
            },
        );
        outs.push(o);
    }
    (FakeChain { coins }, outs)
}

fn options() -> MempoolOptions {
    MempoolOptions {
        // Large enough that nothing is evicted while measuring.
        max_size_bytes: 2_000_000_000,
        ..MempoolOptions::default()
    }
}

/// Accepts `txs` into a fresh pool; returns seconds and the pool.
fn accept_all(chain: &FakeChain, txs: &[Arc<Transaction>]) -> (f64, Mempool) {
    let mut pool = Mempool::new(options());
    let start = Instant::now();
    for tx in txs {
        let r = Acceptor::new(&mut pool, chain)
            .accept_single(tx, &AcceptArgs::single(1_700_000_100, false, false));
        assert!(matches!(r, TxResult::Valid { .. }), "{r:?}");
    }
    (start.elapsed().as_secs_f64(), pool)
}

/// libbitcoinconsensus verifying every input of `txs` (the baseline).
fn oracle_all(
    chain: &FakeChain,
    txs: &[Arc<Transaction>],
    created: &HashMap<OutPoint, TxOut>,
) -> f64 {
    let start = Instant::now();
    for tx in txs {
        let bytes = bitcoin::consensus::encode::serialize(&**tx);
        for (i, input) in tx.input.iter().enumerate() {
            let prev = chain
                .coins
                .get(&input.previous_output)
                .map(|c| c.output.clone())
                .or_else(|| created.get(&input.previous_output).cloned())
                .unwrap();
            bitcoinconsensus::verify_with_flags(
                prev.script_pubkey.as_bytes(),
                prev.value.to_sat(),
                &bytes,
                None,
                i,
                bitcoinconsensus::VERIFY_ALL_PRE_TAPROOT,
            )
            .unwrap();
        }
    }
    start.elapsed().as_secs_f64()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let runs = 3;
    let signer = Signer::new();

    // 20,000 independent transactions; fresh signatures each run, so the process-wide
    // signature cache cannot help a later run.
    let n = 20_000;
    let (chain, outs) = funding(n, &signer);
    let mut ours = Vec::new();
    let mut base = Vec::new();
    let mut usage_per_tx = 0.0;
    let mut rss_per_tx = 0.0;
    for run in 0..runs {
        let independent: Vec<Arc<Transaction>> = outs
            .iter()
            .map(|o| {
                let fee = 1_000 + run as u64 + (o.txid.to_byte_array()[0] as u64) * 10;
                Arc::new(signer.spend(*o, 1_000_000, fee))
            })
            .collect();
        base.push(n as f64 / oracle_all(&chain, &independent, &HashMap::new()));
        let before = rss_kib();
        let (t, pool) = accept_all(&chain, &independent);
        let after = rss_kib();
        ours.push(n as f64 / t);
        usage_per_tx = pool.dynamic_usage() as f64 / n as f64;
        if run == 0 {
            rss_per_tx = (after.saturating_sub(before) * 1024) as f64 / n as f64;
        }
    }
    let (a, b) = (median(ours), median(base));
    println!("independent P2WPKH: accept {a:.0} tx/s, libbitcoinconsensus scripts only {b:.0} tx/s, ratio {:.2}", a / b);
    println!("memory per transaction: {usage_per_tx:.0} bytes by Core's accounting (getmempoolinfo usage); RSS growth of the pool's own structures {rss_per_tx:.0} bytes (transactions already decoded)");

    // 800 chains of 25, each chain parents first.
    let chains = 800;
    let (chain2, outs2) = funding(chains, &signer);
    let mut ours = Vec::new();
    let mut base = Vec::new();
    for run in 0..runs {
        let mut chained = Vec::new();
        let mut created = HashMap::new();
        for o in &outs2 {
            let mut prev = *o;
            let mut value = 1_000_000;
            for _ in 0..25 {
                let fee = 1_000 + run as u64;
                let tx = signer.spend(prev, value, fee);
                value -= fee;
                prev = OutPoint {
                    txid: tx.compute_txid(),
                    vout: 0,
                };
                created.insert(prev, tx.output[0].clone());
                chained.push(Arc::new(tx));
            }
        }
        base.push(chained.len() as f64 / oracle_all(&chain2, &chained, &created));
        let (t, _) = accept_all(&chain2, &chained);
        ours.push(chained.len() as f64 / t);
    }
    let (a, b) = (median(ours), median(base));
    println!("chains of 25: accept {a:.0} tx/s, libbitcoinconsensus scripts only {b:.0} tx/s, ratio {:.2}", a / b);

    // Block template from a ~50 MB pool (by Core's accounting).
    let (chain3, outs3) = funding(60_000, &signer);
    let mut pool = Mempool::new(options());
    let mut filled = 0;
    for (i, o) in outs3.iter().enumerate() {
        if pool.dynamic_usage() >= 50_000_000 {
            break;
        }
        let tx = Arc::new(signer.spend(*o, 1_000_000, 500 + (i as u64 % 997) * 7));
        let r = Acceptor::new(&mut pool, &chain3)
            .accept_single(&tx, &AcceptArgs::single(1_700_000_100, false, false));
        assert!(matches!(r, TxResult::Valid { .. }));
        filled += 1;
    }
    let mut t = Vec::new();
    let mut order = Vec::new();
    let mut picked = 0;
    for _ in 0..5 {
        let s = Instant::now();
        let sel = select_transactions(&pool, 1_001, 1_700_000_000, &AssemblerOptions::default());
        t.push(s.elapsed().as_secs_f64() * 1000.0);
        picked = sel.txs.len();
        let s = Instant::now();
        let o = pool.mining_order();
        order.push(s.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(o.len(), filled);
    }
    println!(
        "template from a {:.1} MB pool ({filled} txs): selection {:.1} ms ({picked} txs chosen), baseline: ordering the pool alone {:.1} ms",
        pool.dynamic_usage() as f64 / 1e6,
        median(t),
        median(order)
    );
}
