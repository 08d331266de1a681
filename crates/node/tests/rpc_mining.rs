//! Deployments, block templates, block statistics and chain verification over RPC:
//! `getdeploymentinfo` (with `-vbparams`), `getblocktemplate` in template, proposal and
//! long-poll modes, `getblockstats` and `verifychain`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{regtest_address, TempDir, TestNode, BITCOIND};

const GBT: &str = r#"{"rules": ["segwit"]}"#;

fn gbt_params() -> Value {
    json!([serde_json::from_str::<Value>(GBT).unwrap()])
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn deployments_templates_stats_and_verification() {
    let dir = TempDir::new("rpc-mining");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    let addr = regtest_address();

    // At genesis testdummy is defined; its first period ends at block 143.
    let info = node.call("getdeploymentinfo", json!([]));
    assert_eq!(
        keys(&info),
        ["hash", "height", "script_flags", "deployments"]
    );
    assert_eq!(info["height"], json!(0));
    assert_eq!(
        info["script_flags"],
        json!(["NULLDUMMY", "P2SH", "TAPROOT", "WITNESS"])
    );
    let d = &info["deployments"];
    assert_eq!(
        keys(d),
        ["bip34", "bip66", "bip65", "csv", "segwit", "testdummy"]
    );
    assert_eq!(
        d["bip34"],
        json!({"type": "buried", "active": true, "height": 1})
    );
    assert_eq!(keys(&d["bip34"]), ["type", "active", "height"]);
    assert_eq!(
        d["testdummy"],
        json!({"type": "bip9", "active": false, "bip9": {
            "start_time": 0, "timeout": i64::MAX, "min_activation_height": 0,
            "status": "defined", "since": 0, "status_next": "defined"}})
    );

    node.call("generatetoaddress", json!([144, addr]));
    let info = node.call("getdeploymentinfo", json!([]));
    let bip9 = &info["deployments"]["testdummy"]["bip9"];
    assert_eq!(
        keys(bip9),
        [
            "bit",
            "start_time",
            "timeout",
            "min_activation_height",
            "status",
            "since",
            "status_next",
            "statistics",
            "signalling"
        ]
    );
    assert_eq!(bip9["status"], json!("started"));
    assert_eq!(bip9["since"], json!(144));
    assert_eq!(
        bip9["statistics"],
        json!({"period": 144, "elapsed": 1, "count": 1, "threshold": 108, "possible": true})
    );
    assert_eq!(bip9["signalling"], json!("#"));
    let h143 = node.call("getblockhash", json!([143]));
    let at143 = node.call("getdeploymentinfo", json!([h143]));
    assert_eq!(at143["height"], json!(143));
    assert_eq!(
        at143["deployments"]["testdummy"]["bip9"]["status_next"],
        json!("started")
    );
    assert_eq!(
        node.call_err("getdeploymentinfo", json!(["00".repeat(32)])),
        (-5, "Block not found".into())
    );
    // Blocks of the started period signal for testdummy.
    let tip = node.call("getbestblockhash", json!([]));
    let header = node.call("getblockheader", json!([tip]));
    assert_eq!(header["version"], json!(0x3000_0000));

    // getblocktemplate: the fields in Core's order.
    let t = node.call("getblocktemplate", gbt_params());
    assert_eq!(
        keys(&t),
        [
            "capabilities",
            "version",
            "rules",
            "vbavailable",
            "vbrequired",
            "previousblockhash",
            "transactions",
            "coinbaseaux",
            "coinbasevalue",
            "longpollid",
            "target",
            "mintime",
            "mutable",
            "noncerange",
            "sigoplimit",
            "sizelimit",
            "weightlimit",
            "curtime",
            "bits",
            "height",
            "default_witness_commitment"
        ]
    );
    assert_eq!(t["version"], json!(0x3000_0000));
    assert_eq!(t["rules"], json!(["csv", "!segwit", "taproot"]));
    assert_eq!(t["vbavailable"], json!({"testdummy": 28}));
    assert_eq!(t["previousblockhash"], tip);
    assert_eq!(t["height"], json!(145));
    assert_eq!(t["coinbasevalue"], json!(5_000_000_000u64));
    assert_eq!(t["bits"], json!("207fffff"));
    assert_eq!(
        t["target"],
        json!("7fffff0000000000000000000000000000000000000000000000000000000000")
    );
    assert_eq!(
        t["longpollid"],
        json!(format!("{}0", tip.as_str().unwrap()))
    );
    assert_eq!(
        t["default_witness_commitment"],
        json!("6a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9")
    );
    let again = node.call("getblocktemplate", gbt_params());
    assert_eq!(again["longpollid"], t["longpollid"]);

    assert_eq!(
        node.call_err("getblocktemplate", json!([{}])),
        (
            -8,
            "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})".into()
        )
    );
    assert_eq!(
        node.call_err(
            "getblocktemplate",
            json!([{"mode": "other", "rules": ["segwit"]}])
        ),
        (-8, "Invalid mode".into())
    );
    assert_eq!(
        node.call_err("getblocktemplate", json!([{"mode": 1}])),
        (-8, "Invalid mode".into())
    );
    assert_eq!(
        node.call_err("getblocktemplate", json!([{"mode": "proposal"}])),
        (-3, "Missing data String key for proposal".into())
    );
    assert_eq!(
        node.call_err(
            "getblocktemplate",
            json!([{"mode": "proposal", "data": "00"}])
        ),
        (-22, "Block decode failed".into())
    );

    // Proposals: a valid block, a bad one, one off the tip, a known one.
    let made = node.call("generateblock", json!([addr, [], false]));
    let hex = made["hex"].as_str().unwrap().to_string();
    let propose = |data: &str| {
        node.call(
            "getblocktemplate",
            json!([{"mode": "proposal", "data": data, "rules": ["segwit"]}]),
        )
    };
    assert_eq!(propose(&hex), Value::Null);
    // The merkle root starts at byte 36 of the header.
    let mut bad = hex.clone();
    let flipped = if &bad[72..74] == "00" { "01" } else { "00" };
    bad.replace_range(72..74, flipped);
    assert_eq!(propose(&bad), json!("bad-txnmrklroot"));
    node.call("submitblock", json!([hex]));
    assert_eq!(propose(&hex), json!("duplicate"));
    assert_eq!(propose(&bad), json!("inconclusive-not-best-prevblk"));

    // Long polling returns once a block arrives.
    let t = node.call("getblocktemplate", gbt_params());
    let lpid = t["longpollid"].clone();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let start = Instant::now();
            let t = node.call(
                "getblocktemplate",
                json!([{"rules": ["segwit"], "longpollid": lpid}]),
            );
            (t, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(1500));
        assert!(!waiter.is_finished());
        node.call("generatetoaddress", json!([1, addr]));
        let (t, waited) = waiter.join().unwrap();
        assert!(waited < Duration::from_secs(30));
        assert_eq!(t["height"], json!(147));
    });
    assert_eq!(
        node.call_err(
            "getblocktemplate",
            json!([{"rules": ["segwit"], "longpollid": "xyz"}])
        ),
        (
            -8,
            "longpollid must be of length 64 (not 3, for 'xyz')".into()
        )
    );

    // getblockstats of a mined block: all fields, in Core's order.
    let stats = node.call("getblockstats", json!([1]));
    assert_eq!(
        keys(&stats),
        [
            "avgfee",
            "avgfeerate",
            "avgtxsize",
            "blockhash",
            "feerate_percentiles",
            "height",
            "ins",
            "maxfee",
            "maxfeerate",
            "maxtxsize",
            "medianfee",
            "mediantime",
            "mediantxsize",
            "minfee",
            "minfeerate",
            "mintxsize",
            "outs",
            "subsidy",
            "swtotal_size",
            "swtotal_weight",
            "swtxs",
            "time",
            "total_out",
            "total_size",
            "total_weight",
            "totalfee",
            "txs",
            "utxo_increase",
            "utxo_size_inc",
            "utxo_increase_actual",
            "utxo_size_inc_actual"
        ]
    );
    assert_eq!(stats["height"], json!(1));
    assert_eq!(stats["txs"], json!(1));
    assert_eq!(stats["ins"], json!(0));
    // The payout and the witness commitment.
    assert_eq!(stats["outs"], json!(2));
    assert_eq!(stats["subsidy"], json!(5_000_000_000u64));
    assert_eq!(stats["feerate_percentiles"], json!([0, 0, 0, 0, 0]));
    assert_eq!(stats["utxo_increase"], json!(2));
    assert_eq!(stats["utxo_increase_actual"], json!(1));
    // P2WSH payout: 8 + 1 + 34 bytes plus 40 of overhead; the commitment: 8 + 1 + 38 + 40.
    assert_eq!(stats["utxo_size_inc"], json!(83 + 87));
    assert_eq!(stats["utxo_size_inc_actual"], json!(83));
    let h1 = node.call("getblockhash", json!([1]));
    assert_eq!(stats["blockhash"], h1);
    let picked = node.call("getblockstats", json!([h1, ["time", "height"]]));
    assert_eq!(keys(&picked), ["height", "time"]);
    let genesis = node.call("getblockstats", json!([0]));
    assert_eq!(genesis["utxo_increase_actual"], json!(0));
    assert_eq!(
        node.call_err("getblockstats", json!([-1])),
        (-8, "Target block height -1 is negative".into())
    );
    assert_eq!(
        node.call_err("getblockstats", json!([1000])),
        (-8, "Target block height 1000 after current tip 146".into())
    );
    assert_eq!(
        node.call_err("getblockstats", json!([1, ["height", "nope"]])),
        (-8, "Invalid selected statistic 'nope'".into())
    );
    assert_eq!(
        node.call_err("getblockstats", json!(["00".repeat(32)])),
        (-5, "Block not found".into())
    );

    // A block known only by its header, and a block file gone missing.
    let made = node.call("generateblock", json!([addr, [], false]));
    node.call("submitheader", json!([made["hex"]]));
    assert_eq!(
        node.call_err("getblockstats", json!([made["hash"]])),
        (-1, "Block not available (not fully downloaded)".into())
    );
    let blocks = dir.0.join("regtest").join("blocks");
    std::fs::rename(blocks.join("blk00000.dat"), blocks.join("blk00000.dat.bak")).unwrap();
    assert_eq!(
        node.call_err("getblockstats", json!([1])),
        (-1, "Block not found on disk".into())
    );
    std::fs::rename(blocks.join("blk00000.dat.bak"), blocks.join("blk00000.dat")).unwrap();

    // verifychain at every level, over a few blocks and over all of them.
    for level in 0..=4 {
        assert_eq!(
            node.call("verifychain", json!([level, 10])),
            json!(true),
            "level {level}"
        );
    }
    assert_eq!(node.call("verifychain", json!([])), json!(true));
    assert_eq!(node.call("verifychain", json!([4, 0])), json!(true));
    assert!(node
        .debug_log()
        .contains("Verification: no coin database inconsistencies"));
}

#[test]
fn vbparams_change_the_deployment() {
    let dir = TempDir::new("rpc-vbparams");
    // Always active: reported active from genesis.
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-vbparams=testdummy:-1:0"]);
    let d = node.call("getdeploymentinfo", json!([]));
    assert_eq!(
        d["deployments"]["testdummy"],
        json!({"type": "bip9", "height": 0, "active": true, "bip9": {
            "start_time": -1, "timeout": 0, "min_activation_height": 0,
            "status": "active", "since": 0, "status_next": "active"}})
    );
    let t = node.call("getblocktemplate", gbt_params());
    assert_eq!(
        t["rules"],
        json!(["csv", "!segwit", "taproot", "testdummy"])
    );
    assert_eq!(t["vbavailable"], json!({}));
    assert_eq!(t["version"], json!(0x2000_0000));
    node.stop();

    // Never active: not listed at all.
    let node = TestNode::start(BITCOIND, &dir.0, &["-vbparams=testdummy:-2:0"]);
    let d = node.call("getdeploymentinfo", json!([]));
    assert!(d["deployments"].get("testdummy").is_none());
    drop(node);

    for (arg, msg) in [
        (
            "-vbparams=testdummy:1",
            "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]",
        ),
        ("-vbparams=testdummy:x:1", "Invalid nStartTime (x)"),
        ("-vbparams=nope:1:2", "Invalid deployment (nope)"),
    ] {
        let mut n = TestNode {
            exe: BITCOIND,
            child: None,
            datadir: dir.0.clone(),
            rpc_port: support::free_port(),
            extra: vec![arg.to_string()],
            auth: None,
        };
        n.spawn();
        let (status, err) = n.wait_exit();
        assert!(!status.success(), "{arg}");
        assert!(err.contains(&format!("Error: {msg}")), "{arg}: {err}");
    }
}

/// Core's rpc_blockchain.py expectations: testdummy signalling through its second period.
fn signalling_info(height: u64, hash: &Value, status_next: &str) -> Value {
    let n = height - 143;
    json!({
        "hash": hash,
        "height": height,
        "script_flags": ["CHECKLOCKTIMEVERIFY", "CHECKSEQUENCEVERIFY", "DERSIG", "NULLDUMMY", "P2SH", "TAPROOT", "WITNESS"],
        "deployments": {
            "bip34": {"type": "buried", "active": true, "height": 2},
            "bip66": {"type": "buried", "active": true, "height": 3},
            "bip65": {"type": "buried", "active": true, "height": 4},
            "csv": {"type": "buried", "active": true, "height": 5},
            "segwit": {"type": "buried", "active": true, "height": 6},
            "testdummy": {
                "type": "bip9",
                "active": false,
                "bip9": {
                    "bit": 28,
                    "start_time": 0,
                    "timeout": i64::MAX,
                    "min_activation_height": 0,
                    "status": "started",
                    "since": 144,
                    "status_next": status_next,
                    "statistics": {"period": 144, "elapsed": n, "count": n, "threshold": 108, "possible": true},
                    "signalling": "#".repeat(n as usize),
                },
            },
        },
    })
}

#[test]
fn deployment_info_through_a_signalling_period() {
    let dir = TempDir::new("rpc-deployments");
    let node = TestNode::start(
        BITCOIND,
        &dir.0,
        &[
            "-testactivationheight=bip34@2",
            "-testactivationheight=dersig@3",
            "-testactivationheight=cltv@4",
            "-testactivationheight=csv@5",
            "-testactivationheight=segwit@6",
        ],
    );
    let addr = regtest_address();
    node.call("generatetoaddress", json!([207, addr]));
    let h207 = node.call("getbestblockhash", json!([]));
    assert_eq!(
        node.call("getdeploymentinfo", json!([])),
        signalling_info(207, &h207, "started")
    );
    node.call("generatetoaddress", json!([80, addr]));
    let h287 = node.call("getbestblockhash", json!([]));
    assert_eq!(
        node.call("getdeploymentinfo", json!([])),
        signalling_info(287, &h287, "locked_in")
    );
    assert_eq!(
        node.call("getdeploymentinfo", json!([h207])),
        signalling_info(207, &h207, "started")
    );
    // Locked in for the third period, active from the fourth; blocks stop signalling then.
    node.call("generatetoaddress", json!([1, addr]));
    let d = node.call("getdeploymentinfo", json!([]));
    let t = &d["deployments"]["testdummy"];
    assert_eq!(t["bip9"]["status"], json!("locked_in"));
    // The activation height is reported from the period's last block on.
    assert!(t.get("height").is_none());
    assert_eq!(t["active"], json!(false));
    assert_eq!(
        t["bip9"]["statistics"],
        json!({"period": 144, "elapsed": 1, "count": 1})
    );
    let tmpl = node.call("getblocktemplate", gbt_params());
    assert_eq!(tmpl["vbavailable"], json!({"testdummy": 28}));
    assert_eq!(tmpl["version"], json!(0x3000_0000));
    node.call("generatetoaddress", json!([143, addr]));
    let d = node.call("getdeploymentinfo", json!([]));
    let t = &d["deployments"]["testdummy"];
    assert_eq!(t["bip9"]["status_next"], json!("active"));
    assert_eq!((&t["height"], &t["active"]), (&json!(432), &json!(true)));
    node.call("generatetoaddress", json!([1, addr]));
    let d = node.call("getdeploymentinfo", json!([]));
    let t = &d["deployments"]["testdummy"];
    assert_eq!(t["bip9"]["status"], json!("active"));
    assert_eq!(t["bip9"]["since"], json!(432));
    assert_eq!(t["active"], json!(true));
    let tmpl = node.call("getblocktemplate", gbt_params());
    assert_eq!(tmpl["version"], json!(0x2000_0000));
    assert_eq!(
        tmpl["rules"],
        json!(["csv", "!segwit", "taproot", "testdummy"])
    );
    assert_eq!(tmpl["vbavailable"], json!({}));
}

/// `submitblock` fills in the coinbase's witness reserved value when a block with a
/// witness commitment leaves it out (`UpdateUncommittedBlockStructures`).
#[test]
fn submitblock_adds_the_missing_witness_reserved_value() {
    use bitcoin::consensus::encode::{deserialize, serialize};
    let dir = TempDir::new("rpc-submit-nonce");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    let addr = regtest_address();
    node.call("generatetoaddress", json!([1, addr]));
    let r = node.call("generateblock", json!([addr, [], false]));
    let hex = r["hex"].as_str().unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut block: bitcoin::Block = deserialize(&bytes).unwrap();
    assert!(!block.txdata[0].input[0].witness.is_empty());
    block.txdata[0].input[0].witness = bitcoin::Witness::new();
    let stripped: String = serialize(&block)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(node.call("submitblock", json!([stripped])), Value::Null);
    assert_eq!(
        node.call("getbestblockhash", json!([])),
        json!(block.block_hash().to_string())
    );
}
