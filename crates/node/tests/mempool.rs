//! The mempool over RPC against a real `bitcoind`: acceptance and Core's reject reasons,
//! replacement, packages, blocks and reorganisations, templates.
//!
//! Transactions are built as Core's test framework's MiniWallet builds them: outputs to
//! P2WSH(OP_TRUE), spent with the script as the only witness item.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bitcoin::absolute::LockTime;
use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Address, Amount, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    WScriptHash, Witness,
};
use serde_json::{json, Value};
use support::{TempDir, TestNode, BITCOIND};

fn op_true_script() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&WScriptHash::hash(&[0x51]))
}

fn op_true_address() -> String {
    Address::from_script(&op_true_script(), Network::Regtest)
        .unwrap()
        .to_string()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A spendable output of P2WSH(OP_TRUE).
#[derive(Clone, Copy, Debug)]
struct Utxo {
    outpoint: OutPoint,
    value: u64,
}

fn spend(inputs: &[Utxo], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|u| TxIn {
                previous_output: u.outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[vec![0x51u8]]),
            })
            .collect(),
        output: outputs,
    }
}

fn to_op_true(value: u64) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: op_true_script(),
    }
}

/// A transaction spending `u` to one P2WSH(OP_TRUE) output, paying `fee`.
fn simple(u: Utxo, fee: u64) -> Transaction {
    spend(&[u], vec![to_op_true(u.value - fee)])
}

fn first_out(tx: &Transaction) -> Utxo {
    Utxo {
        outpoint: OutPoint {
            txid: tx.compute_txid(),
            vout: 0,
        },
        value: tx.output[0].value.to_sat(),
    }
}

struct Fixture {
    _dir: TempDir,
    node: TestNode,
    /// Mature coinbase outputs, oldest first.
    coins: Vec<Utxo>,
}

impl Fixture {
    fn new(tag: &str, blocks: u64, extra: &[&str]) -> Fixture {
        let dir = TempDir::new(tag);
        let node = TestNode::start(BITCOIND, &dir.0, extra);
        node.call("generatetoaddress", json!([blocks, op_true_address()]));
        let mut coins = Vec::new();
        for h in 1..=(blocks.saturating_sub(100)) {
            let hash = node.call("getblockhash", json!([h]));
            let block = node.call("getblock", json!([hash, 0]));
            let block: bitcoin::Block = deserialize(&unhex(block.as_str().unwrap())).unwrap();
            let cb = &block.txdata[0];
            coins.push(Utxo {
                outpoint: OutPoint {
                    txid: cb.compute_txid(),
                    vout: 0,
                },
                value: cb.output[0].value.to_sat(),
            });
        }
        Fixture {
            _dir: dir,
            node,
            coins,
        }
    }

    fn send(&self, tx: &Transaction) -> Value {
        self.node
            .call("sendrawtransaction", json!([hex(&serialize(tx))]))
    }

    fn send_err(&self, tx: &Transaction) -> (i64, String) {
        self.node
            .call_err("sendrawtransaction", json!([hex(&serialize(tx))]))
    }

    fn test_accept(&self, tx: &Transaction) -> Value {
        self.node
            .call("testmempoolaccept", json!([[hex(&serialize(tx))]]))[0]
            .clone()
    }

    /// The node's mempool checks (regtest runs one after every chain update) all passed.
    fn assert_consistent(&self) {
        let log = self.node.debug_log();
        assert!(!log.contains("Mempool consistency check failed"), "{log}");
    }

    fn mempool(&self) -> Vec<String> {
        let v = self.node.call("getrawmempool", json!([]));
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }
}

fn txid_str(tx: &Transaction) -> String {
    tx.compute_txid().to_string()
}

#[test]
fn acceptance_and_core_reject_reasons() {
    let f = Fixture::new("mempool-reject", 120, &[]);
    let c = &f.coins;

    // Accepted: in the pool with its entry.
    let tx = simple(c[0], 1_000);
    assert_eq!(f.send(&tx), json!(txid_str(&tx)));
    assert_eq!(f.mempool(), vec![txid_str(&tx)]);
    let e = f.node.call("getmempoolentry", json!([txid_str(&tx)]));
    assert_eq!(e["fees"]["base"].to_string(), "0.00001000");
    assert_eq!(e["ancestorcount"], json!(1));
    assert_eq!(e["vsize"], json!(tx.vsize()));
    assert_eq!(e["wtxid"], json!(tx.compute_wtxid().to_string()));
    let info = f.node.call("getmempoolinfo", json!([]));
    assert_eq!(info["size"], json!(1));
    assert_eq!(info["bytes"], json!(tx.vsize()));
    // Sending it again is harmless; testing it again names the duplicate.
    assert_eq!(f.send(&tx), json!(txid_str(&tx)));
    let r = f.test_accept(&tx);
    assert_eq!(r["allowed"], json!(false));
    assert_eq!(r["reject-reason"], json!("txn-already-in-mempool"));

    // Who spends an output, from the mempool.
    let spent = json!({"txid": c[0].outpoint.txid.to_string(), "vout": 0});
    let unspent = json!({"txid": c[1].outpoint.txid.to_string(), "vout": 0});
    let r = f.node.call(
        "gettxspendingprevout",
        json!([[spent, unspent], {"return_spending_tx": true}]),
    );
    assert_eq!(r[0]["spendingtxid"], json!(txid_str(&tx)));
    assert_eq!(r[0]["spendingtx"], json!(hex(&serialize(&tx))));
    assert_eq!(r[1], unspent);
    assert_eq!(
        f.node.call_err(
            "gettxspendingprevout",
            json!([[{"txid": c[1].outpoint.txid.to_string(), "vout": -1}]])
        ),
        (-8, "Invalid parameter, vout cannot be negative".into())
    );

    // One transaction per reject reason, each with Core's string.
    let mut cases: Vec<(&str, Transaction)> = Vec::new();
    let mut v4 = simple(c[1], 1_000);
    v4.version = Version(4);
    cases.push(("version", v4));
    let mut nonstd_out = simple(c[1], 1_000);
    nonstd_out.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x52]);
    cases.push(("scriptpubkey", nonstd_out));
    let mut two_dust = simple(c[1], 1_000);
    two_dust.output.push(to_op_true(1));
    two_dust.output.push(to_op_true(1));
    cases.push(("dust", two_dust));
    let mut one_dust_with_fee = simple(c[1], 1_000);
    one_dust_with_fee.output.push(to_op_true(1));
    cases.push(("dust", one_dust_with_fee));
    cases.push(("min relay fee not met", simple(c[1], 0)));
    cases.push((
        "bad-txns-in-belowout",
        spend(&[c[1]], vec![to_op_true(c[1].value + 1)]),
    ));
    let mut nonfinal = simple(c[1], 1_000);
    nonfinal.lock_time = LockTime::from_height(10_000).unwrap();
    nonfinal.input[0].sequence = Sequence::ENABLE_LOCKTIME_NO_RBF;
    cases.push(("non-final", nonfinal));
    let mut relative = simple(c[1], 1_000);
    relative.input[0].sequence = Sequence::from_height(200);
    cases.push(("non-BIP68-final", relative));
    let mut young = simple(c[1], 1_000);
    young.input[0].previous_output = OutPoint {
        txid: Txid::from_byte_array(
            deserialize::<bitcoin::Block>(&unhex(
                f.node
                    .call(
                        "getblock",
                        json!([f.node.call("getbestblockhash", json!([])), 0]),
                    )
                    .as_str()
                    .unwrap(),
            ))
            .unwrap()
            .txdata[0]
                .compute_txid()
                .to_byte_array(),
        ),
        vout: 0,
    };
    cases.push(("bad-txns-premature-spend-of-coinbase", young));
    let mut bad_witness = simple(c[1], 1_000);
    bad_witness.input[0].witness = Witness::from_slice(&[vec![0x52u8]]);
    cases.push((
        "mempool-script-verify-flag-failed (Witness program hash mismatch)",
        bad_witness,
    ));
    let mut big_item = simple(c[1], 1_000);
    big_item.input[0].witness = Witness::from_slice(&[vec![7u8; 81], vec![0x51u8]]);
    cases.push(("bad-witness-nonstandard", big_item));
    let mut with_sig = simple(c[1], 1_000);
    with_sig.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51]);
    cases.push((
        "mempool-script-verify-flag-failed (Witness requires empty scriptSig)",
        with_sig,
    ));
    let mut op_return_sig = simple(c[1], 1_000);
    op_return_sig.input[0].script_sig = ScriptBuf::from_bytes(vec![0x6a]);
    cases.push(("scriptsig-not-pushonly", op_return_sig));
    let tiny = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: c[1].outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![0x51u8]]),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a]),
        }],
    };
    cases.push(("tx-size-small", tiny));
    for (reason, tx) in &cases {
        let r = f.test_accept(tx);
        assert_eq!(r["allowed"], json!(false), "{reason}: {r}");
        assert_eq!(r["reject-reason"], json!(reason), "{r}");
    }
    let missing = simple(
        Utxo {
            outpoint: OutPoint {
                txid: Txid::from_byte_array([9; 32]),
                vout: 0,
            },
            value: 10_000,
        },
        1_000,
    );
    assert_eq!(
        f.test_accept(&missing)["reject-reason"],
        json!("missing-inputs")
    );
    assert_eq!(
        f.send_err(&missing),
        (-25, "bad-txns-inputs-missingorspent".into())
    );
    let (code, msg) = f.send_err(&simple(c[1], 0));
    assert_eq!(code, -26);
    assert!(msg.starts_with("min relay fee not met, 0 < "), "{msg}");
    let (code, msg) = f.send_err(&spend(&[c[1]], vec![to_op_true(c[1].value + 1)]));
    assert_eq!(code, -26);
    assert_eq!(
        msg,
        "bad-txns-in-belowout, value in (50.00) < value out (50.00000001)"
    );
    // maxfeerate: 0.10 BTC/kvB by default.
    let (code, msg) = f.send_err(&simple(c[1], 10_000_000));
    assert_eq!(code, -25);
    assert_eq!(
        msg,
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
    );
    let r = f.test_accept(&simple(c[1], 10_000_000));
    assert_eq!(r["reject-reason"], json!("max-fee-exceeded"));

    // Mined: the pool empties and the outputs are in the UTXO set.
    f.node
        .call("generatetoaddress", json!([1, op_true_address()]));
    assert!(f.mempool().is_empty());
    assert_eq!(
        f.send_err(&tx),
        (-27, "Transaction outputs already in utxo set".into())
    );
}

#[test]
fn replacement_packages_reorgs_and_templates() {
    let f = Fixture::new("mempool-rbf", 130, &[]);
    let c = &f.coins;

    // Full RBF: a better-paying conflict replaces; a worse one is refused.
    let a = simple(c[0], 1_000);
    f.send(&a);
    let worse = simple(c[0], 900);
    let (code, msg) = f.send_err(&worse);
    assert_eq!(code, -26);
    assert_eq!(
        msg,
        format!(
            "insufficient fee, rejecting replacement {}, less fees than conflicting txs; 0.000009 < 0.00001",
            txid_str(&worse)
        )
    );
    let tiny_bump = simple(c[0], 1_005);
    let (_, msg) = f.send_err(&tiny_bump);
    assert!(msg.contains("not enough additional fees to relay"), "{msg}");
    let better = simple(c[0], 5_000);
    f.send(&better);
    assert_eq!(f.mempool(), vec![txid_str(&better)]);

    // A child pays for its parent: one chunk, mined first.
    let parent = simple(c[1], 200);
    f.send(&parent);
    let child = simple(first_out(&parent), 40_000);
    f.send(&child);
    let e = f.node.call("getmempoolentry", json!([txid_str(&parent)]));
    assert_eq!(e["descendantcount"], json!(2));
    assert_eq!(e["spentby"], json!([txid_str(&child)]));
    assert_eq!(e["fees"]["chunk"].to_string(), "0.00040200");
    let anc = f
        .node
        .call("getmempoolancestors", json!([txid_str(&child)]));
    assert_eq!(anc, json!([txid_str(&parent)]));
    let gbt = f
        .node
        .call("getblocktemplate", json!([{"rules": ["segwit"]}]));
    let ids: Vec<&str> = gbt["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["txid"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [txid_str(&parent), txid_str(&child), txid_str(&better)]
    );
    assert_eq!(gbt["transactions"][1]["depends"], json!([1]));
    assert_eq!(
        gbt["coinbasevalue"],
        json!(5_000_000_000u64 + 200 + 40_000 + 5_000)
    );

    // A package: a zero-fee parent enters only with its child.
    let p0 = simple(c[2], 0);
    assert_eq!(
        f.test_accept(&p0)["reject-reason"],
        json!("min relay fee not met")
    );
    let c0 = simple(first_out(&p0), 20_000);
    let r = f.node.call(
        "submitpackage",
        json!([[hex(&serialize(&p0)), hex(&serialize(&c0))]]),
    );
    assert_eq!(r["package_msg"], json!("success"), "{r}");
    let fees = &r["tx-results"][p0.compute_wtxid().to_string()]["fees"];
    assert_eq!(fees["effective-includes"].as_array().unwrap().len(), 2);
    assert!(f.mempool().contains(&txid_str(&p0)));

    // Mining takes everything; invalidating the block returns it all.
    let before = f.mempool();
    assert_eq!(before.len(), 5);
    let hash = f
        .node
        .call("generatetoaddress", json!([1, op_true_address()]))[0]
        .clone();
    let block = f.node.call("getblock", json!([hash, 1]));
    assert_eq!(block["tx"].as_array().unwrap().len(), 6);
    assert!(f.mempool().is_empty());
    f.node.call("invalidateblock", json!([hash]));
    assert_eq!(f.mempool(), before);
    f.node.call("reconsiderblock", json!([hash]));
    assert!(f.mempool().is_empty());

    // Prioritisation moves a transaction's modified fee.
    let d = simple(c[3], 1_000);
    f.send(&d);
    f.node
        .call("prioritisetransaction", json!([txid_str(&d), 0, 5_000]));
    let e = f.node.call("getmempoolentry", json!([txid_str(&d)]));
    assert_eq!(e["fees"]["modified"].to_string(), "0.00006000");
    let p = f.node.call("getprioritisedtransactions", json!([]));
    assert_eq!(
        p[txid_str(&d)],
        json!({"fee_delta": 5000, "in_mempool": true, "modified_fee": 6000})
    );
    f.assert_consistent();
}

#[test]
fn a_restart_keeps_the_mempool() {
    let mut f = Fixture::new("mempool-persist", 105, &[]);
    let c = f.coins.clone();
    let a = simple(c[0], 1_000);
    let b = simple(first_out(&a), 2_000);
    let other = simple(c[1], 3_000);
    for tx in [&a, &b, &other] {
        f.send(tx);
    }
    f.node
        .call("prioritisetransaction", json!([txid_str(&other), 0, 777]));
    let ghost = Txid::from_byte_array([5; 32]);
    f.node
        .call("prioritisetransaction", json!([ghost.to_string(), 0, 42]));
    let before = f.mempool();
    let saved = f.node.call("savemempool", json!([]));
    let path = f.node.datadir.join("regtest").join("mempool.dat");
    assert_eq!(saved["filename"], json!(path.display().to_string()));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..9], &[2, 0, 0, 0, 0, 0, 0, 0, 8]);

    let (status, stderr) = f.node.stop();
    assert!(status.success(), "{stderr}");
    f.node.spawn();
    f.node.wait_ready();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while f.node.call("getmempoolinfo", json!([]))["loaded"] != json!(true) {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(f.mempool(), before);
    let e = f.node.call("getmempoolentry", json!([txid_str(&other)]));
    assert_eq!(e["fees"]["modified"].to_string(), "0.00003777");
    let p = f.node.call("getprioritisedtransactions", json!([]));
    assert_eq!(p[ghost.to_string()]["fee_delta"], json!(42));
    assert!(f
        .node
        .debug_log()
        .contains("Imported mempool transactions from file: 3 succeeded, 0 failed, 0 expired, 0 already there, 3 waiting for initial broadcast"));

    // Without -persistmempool nothing is loaded or saved.
    f.node.stop();
    f.node.extra.push("-persistmempool=0".into());
    f.node.spawn();
    f.node.wait_ready();
    assert!(f.mempool().is_empty());
    assert_eq!(
        f.node.call("getmempoolinfo", json!([]))["loaded"],
        json!(true)
    );
    // importmempool reads the file the first run saved.
    f.node
        .call("importmempool", json!([path.display().to_string()]));
    assert_eq!(f.mempool(), before);

    // A damaged end (here the last transaction's time and delta, then the deltas and the
    // unbroadcast set) loses only what follows the damage, as Core reads.
    f.node.stop();
    let bytes = std::fs::read(&path).unwrap();
    let trailer = (1 + 32 + 8) + (1 + 3 * 32);
    std::fs::write(&path, &bytes[..bytes.len() - trailer - 10]).unwrap();
    f.node.extra.retain(|a| a != "-persistmempool=0");
    f.node.spawn();
    f.node.wait_ready();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while f.node.call("getmempoolinfo", json!([]))["loaded"] != json!(true) {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(f.mempool().len(), 2);
    assert!(f
        .node
        .debug_log()
        .contains("Failed to deserialize mempool data on file: "));
}

/// A transaction spending `u` with an OP_RETURN output of `data` bytes (MiniWallet's
/// bulking), paying `fee`.
fn bulky(u: Utxo, fee: u64, data: usize) -> Transaction {
    let mut script = vec![0x6a, 0x4e];
    script.extend((data as u32).to_le_bytes());
    script.extend(std::iter::repeat_n(0x01u8, data));
    spend(
        &[u],
        vec![
            to_op_true(u.value - fee),
            TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::from_bytes(script),
            },
        ],
    )
}

#[test]
fn eviction_at_maxmempool_raises_the_minimum_fee() {
    let f = Fixture::new("mempool-limit", 170, &["-maxmempool=5"]);
    let c = &f.coins;
    let info = f.node.call("getmempoolinfo", json!([]));
    assert_eq!(info["maxmempool"], json!(5_000_000));
    assert_eq!(info["mempoolminfee"].to_string(), "0.00000100");
    // About 100 kB each: the pool holds under 50 of them.
    let mut sent = Vec::new();
    for (i, u) in c.iter().take(60).enumerate() {
        let tx = bulky(*u, 20_000 + 1_000 * i as u64, 99_000);
        let r = f
            .node
            .try_call("sendrawtransaction", json!([hex(&serialize(&tx))]))
            .unwrap();
        match r {
            Ok(_) => sent.push(tx),
            Err((code, msg)) => {
                assert_eq!(code, -26, "{msg}");
                assert!(
                    msg.starts_with("mempool full") || msg.starts_with("mempool min fee not met"),
                    "{msg}"
                );
            }
        }
    }
    let pool = f.mempool();
    assert!(pool.len() < 60 && pool.len() > 30, "{}", pool.len());
    let info = f.node.call("getmempoolinfo", json!([]));
    assert!(info["usage"].as_u64().unwrap() <= 5_000_000);
    // The cheapest went first; the best payers stayed.
    assert!(!pool.contains(&txid_str(&sent[0])));
    assert!(pool.contains(&txid_str(sent.last().unwrap())));
    let min: f64 = info["mempoolminfee"].to_string().parse().unwrap();
    assert!(min > 0.000_001, "{info}");
    // Below the raised minimum a transaction is refused with Core's reason.
    let low = simple(c[65], 20);
    assert_eq!(
        f.test_accept(&low)["reject-reason"],
        json!("mempool min fee not met")
    );
}

#[test]
fn getrawtransaction_from_pool_block_and_index() {
    let f = Fixture::new("mempool-getraw", 105, &["-txindex"]);
    let c = &f.coins;
    let tx = simple(c[0], 1_000);
    f.send(&tx);
    let txid = txid_str(&tx);
    assert_eq!(
        f.node.call("getrawtransaction", json!([txid])),
        json!(hex(&serialize(&tx)))
    );
    let v = f.node.call("getrawtransaction", json!([txid, 1]));
    assert_eq!(v["vsize_adjusted"], json!(tx.vsize()));
    assert!(v.get("blockhash").is_none());
    let hash = f
        .node
        .call("generatetoaddress", json!([1, op_true_address()]))[0]
        .clone();
    // From the index once mined, with its block.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let info = f.node.call("getindexinfo", json!(["txindex"]));
        if info["txindex"]["best_block_height"] == json!(106) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let v = f.node.call("getrawtransaction", json!([txid, 2]));
    assert_eq!(v["blockhash"], hash);
    assert_eq!(v["confirmations"], json!(1));
    assert_eq!(v["fee"].to_string(), "0.00001000");
    assert_eq!(v["vin"][0]["prevout"]["generated"], json!(true));
    let v = f.node.call("getrawtransaction", json!([txid, true, hash]));
    assert_eq!(v["in_active_chain"], json!(true));
    let genesis = f.node.call(
        "getblock",
        json!([f.node.call("getblockhash", json!([0])), 1]),
    );
    assert_eq!(
        f.node.call_err("getrawtransaction", json!([genesis["tx"][0]])),
        (
            -5,
            "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved".into()
        )
    );
    let unknown = "11".repeat(32);
    assert_eq!(
        f.node.call_err("getrawtransaction", json!([unknown])),
        (
            -5,
            "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.".into()
        )
    );
    assert_eq!(
        f.node.call_err("getrawtransaction", json!([unknown, 0, hash])),
        (
            -5,
            "No such transaction found in the provided block. Use gettransaction for wallet transactions.".into()
        )
    );
}

#[test]
fn fee_estimates_learn_from_confirmations_and_persist() {
    let mut f = Fixture::new("mempool-fees", 101, &["-debug=estimatefee"]);
    // One coin split into many, so each block can confirm a batch of independent spends.
    let split = spend(
        &[f.coins[0]],
        (0..300).map(|_| to_op_true(16_666_000)).collect(),
    );
    f.send(&split);
    f.node
        .call("generatetoaddress", json!([1, op_true_address()]));
    let mut next = 0u32;
    // About 0.0000057 BTC/kvB: 55 sat for these 96-vbyte spends.
    for _ in 0..14 {
        for _ in 0..20 {
            let u = Utxo {
                outpoint: OutPoint {
                    txid: split.compute_txid(),
                    vout: next,
                },
                value: 16_666_000,
            };
            next += 1;
            f.send(&simple(u, 55));
        }
        f.node
            .call("generatetoaddress", json!([1, op_true_address()]));
    }
    let e = f.node.call(
        "estimatesmartfee",
        json!([2, "economical", {"fee_rate_estimator": "block_policy"}]),
    );
    let rate: f64 = e["feerate"].to_string().parse().unwrap();
    assert!((0.000_005..0.000_007).contains(&rate), "{e}");
    let raw = f.node.call("estimaterawfee", json!([2]));
    assert!(raw["short"]["feerate"].is_number(), "{raw}");
    assert_eq!(
        f.node.call_err("estimatesmartfee", json!([0])),
        (-8, "Invalid conf_target, must be between 1 and 1008".into())
    );
    // The hourly flush, brought forward, writes both files.
    f.node.call("mockscheduler", json!([3600]));
    let fees = f.node.datadir.join("regtest").join("fees");
    assert!(fees.join("block_policy_estimates.dat").is_file());
    assert!(fees.join("mempool_policy_estimator.dat").is_file());
    assert!(f.node.debug_log().contains("Flushed fee estimates to"));
    // A restart reads them back: the same estimate.
    f.node.stop();
    f.node.spawn();
    f.node.wait_ready();
    let again = f.node.call(
        "estimatesmartfee",
        json!([2, "economical", {"fee_rate_estimator": "block_policy"}]),
    );
    assert_eq!(again["feerate"], e["feerate"]);
}

#[test]
fn cluster_limits_truc_and_ephemeral_dust() {
    let f = Fixture::new("mempool-policy", 110, &[]);
    let c = &f.coins;

    // A chain of 64 fills a cluster; the 65th is refused.
    let mut prev = c[0];
    for _ in 0..64 {
        let tx = simple(prev, 1_000);
        f.send(&tx);
        prev = first_out(&tx);
    }
    let (code, msg) = f.send_err(&simple(prev, 1_000));
    assert_eq!((code, msg.as_str()), (-26, "too-large-cluster"));

    // TRUC: a non-v3 child of a v3 parent is refused, a v3 child accepted.
    let mut v3 = simple(c[1], 1_000);
    v3.version = Version(3);
    f.send(&v3);
    let child = simple(first_out(&v3), 1_000);
    let r = f.test_accept(&child);
    assert_eq!(r["reject-reason"], json!("TRUC-violation"), "{r}");
    assert_eq!(
        r["reject-details"],
        json!(format!(
            "TRUC-violation, non-version=3 tx {} (wtxid={}) cannot spend from version=3 tx {} (wtxid={})",
            child.compute_txid(),
            child.compute_wtxid(),
            v3.compute_txid(),
            v3.compute_wtxid()
        ))
    );
    let mut v3_child = child.clone();
    v3_child.version = Version(3);
    f.send(&v3_child);

    // Ephemeral dust: a zero-fee parent with one dust output enters only with a child
    // spending that output.
    let parent = spend(&[c[2]], vec![to_op_true(c[2].value), to_op_true(0)]);
    assert_eq!(
        f.test_accept(&parent)["reject-reason"],
        json!("min relay fee not met")
    );
    let dust = Utxo {
        outpoint: OutPoint {
            txid: parent.compute_txid(),
            vout: 1,
        },
        value: 0,
    };
    let lazy = simple(first_out(&parent), 20_000);
    let r = f.node.call(
        "submitpackage",
        json!([[hex(&serialize(&parent)), hex(&serialize(&lazy))]]),
    );
    assert_eq!(r["package_msg"], json!("unspent-dust"), "{r}");
    assert!(r["tx-results"][lazy.compute_wtxid().to_string()]["error"]
        .as_str()
        .unwrap()
        .starts_with("missing-ephemeral-spends"));
    let sweeper = spend(
        &[first_out(&parent), dust],
        vec![to_op_true(c[2].value - 20_000)],
    );
    let r = f.node.call(
        "submitpackage",
        json!([[hex(&serialize(&parent)), hex(&serialize(&sweeper))]]),
    );
    assert_eq!(r["package_msg"], json!("success"), "{r}");
    f.assert_consistent();
}

#[test]
fn a_reorg_drops_spends_of_coinbases_it_removed() {
    let f = Fixture::new("mempool-reorg-coinbase", 110, &[]);
    // Spends the coinbase of block 5; invalidating block 5 removes that coin.
    let tx = simple(f.coins[4], 1_000);
    f.send(&tx);
    let keep = simple(f.coins[0], 1_000);
    f.send(&keep);
    let hash = f.node.call("getblockhash", json!([5]));
    f.node.call("invalidateblock", json!([hash]));
    assert_eq!(f.node.call("getblockcount", json!([])), json!(4));
    // The coinbase of block 1 is immature at height 4 too: both leave.
    assert!(f.mempool().is_empty(), "{:?}", f.mempool());
    let gbt = f
        .node
        .call("getblocktemplate", json!([{"rules": ["segwit"]}]));
    assert_eq!(gbt["transactions"], json!([]));
    f.assert_consistent();
}

/// `gettxout` with `include_mempool` (the default) sees the pool's outputs as
/// unconfirmed coins and hides what the pool spends; without it, only the chain counts.
#[test]
fn gettxout_looks_through_the_mempool_unless_told_not_to() {
    let f = Fixture::new("mempool-gettxout", 101, &[]);
    let c = f.coins[0];
    let tx = simple(c, 1_000);
    f.send(&tx);
    let (spent_txid, spent_n) = (c.outpoint.txid.to_string(), c.outpoint.vout);
    let chain_only = f.node.call("gettxout", json!([spent_txid, spent_n, false]));
    assert!(chain_only["value"].is_number(), "{chain_only}");
    assert_eq!(
        f.node.call("gettxout", json!([spent_txid, spent_n])),
        Value::Null
    );
    assert_eq!(
        f.node.call("gettxout", json!([spent_txid, spent_n, true])),
        Value::Null
    );
    let new = txid_str(&tx);
    assert_eq!(f.node.call("gettxout", json!([new, 0, false])), Value::Null);
    let unconfirmed = f.node.call("gettxout", json!([new, 0, true]));
    assert_eq!(unconfirmed["confirmations"], json!(0));
    assert_eq!(unconfirmed["coinbase"], json!(false));
    assert_eq!(f.node.call("gettxout", json!([new, 1, true])), Value::Null);
}
