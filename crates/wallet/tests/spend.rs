//! Spending against a real `bitcoind` on regtest: sends, PSBTs, raw funding and signing,
//! sendall, locks and fee bumping, checked as Core's functional tests check them.

mod support;

use serde_json::{json, Value};
use support::{Node, TempDir};

fn sats(v: &Value) -> i64 {
    let text = v.to_string();
    let text = text.trim_matches('"');
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let neg = whole.starts_with('-');
    let whole: i64 = whole.trim_start_matches('-').parse().expect("amount");
    let mut frac = frac.to_string();
    while frac.len() < 8 {
        frac.push('0');
    }
    let v = whole * 100_000_000 + frac.parse::<i64>().expect("amount");
    if neg {
        -v
    } else {
        v
    }
}

/// A node with wallet `w` holding 50 mature BTC (101 blocks mined to it) and an empty
/// wallet `other`.
fn funded(tag: &str, extra: &[&str]) -> (TempDir, Node) {
    let dir = TempDir::new(tag);
    let node = Node::start(&dir.0, extra);
    node.call("createwallet", json!(["w"]));
    node.call("createwallet", json!(["other"]));
    let addr = node.wallet("w").call("getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, addr]));
    (dir, node)
}

fn mine(node: &Node, n: u32) {
    let addr = node.wallet("other").call("getnewaddress", json!([]));
    node.call("generatetoaddress", json!([n, addr]));
}

#[test]
fn send_with_change_and_mined_balance() {
    let (_dir, node) = funded("send", &["-fallbackfee=0.0002"]);
    assert_eq!(
        sats(&node.wallet("w").call("getbalance", json!([]))),
        50 * 100_000_000
    );
    let dest = node.wallet("other").call("getnewaddress", json!([]));
    let r = node.wallet("w").call(
        "sendtoaddress",
        json!({"address": dest, "amount": 1.5, "fee_rate": 2, "verbose": true}),
    );
    assert_eq!(r["fee_reason"], "User Specified Fee");
    let txid = r["txid"].as_str().expect("txid").to_string();
    let entry = node.call("getmempoolentry", json!([txid]));
    let vsize = entry["vsize"].as_i64().expect("vsize");
    let fee = sats(&entry["fees"]["base"]);
    // 2 sat/vB on the estimated size, which may be a byte above the real one.
    assert!(
        fee >= 2 * vsize && fee <= 2 * (vsize + 1),
        "fee {fee} vsize {vsize}"
    );
    let raw = node.call("getrawtransaction", json!([txid, true]));
    let vout = raw["vout"].as_array().expect("vouts");
    assert_eq!(vout.len(), 2);
    assert!(raw["vin"][0]["sequence"] == json!(4294967293u64));
    let change: Vec<&Value> = vout
        .iter()
        .filter(|o| o["scriptPubKey"]["address"] != json!(dest))
        .collect();
    assert_eq!(change.len(), 1);
    assert_eq!(
        sats(&change[0]["value"]),
        50 * 100_000_000 - 150_000_000 - fee
    );

    // Unconfirmed change is listed only with minconf 0, and is safe.
    let unspent = node.wallet("w").call("listunspent", json!([0]));
    let entry = unspent
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["txid"] == json!(txid))
        .expect("change listed")
        .clone();
    assert_eq!(entry["confirmations"], json!(0));
    assert_eq!(entry["safe"], json!(true));
    assert_eq!(entry["ancestorcount"], json!(1));
    let keys: Vec<&str> = entry
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec![
            "txid",
            "vout",
            "address",
            "scriptPubKey",
            "amount",
            "confirmations",
            "ancestorcount",
            "ancestorsize",
            "ancestorfees",
            "spendable",
            "solvable",
            "desc",
            "parent_descs",
            "safe"
        ]
    );
    assert!(entry["desc"].as_str().expect("desc").starts_with("wpkh(["));
    assert_eq!(entry["parent_descs"].as_array().expect("descs").len(), 1);
    assert!(node
        .wallet("w")
        .call("listunspent", json!([]))
        .as_array()
        .expect("array")
        .iter()
        .all(|u| u["txid"] != json!(txid)));

    mine(&node, 1);
    // The second coinbase matured with the new block.
    let balance = sats(&node.wallet("w").call("getbalance", json!([])));
    assert_eq!(balance, 100 * 100_000_000 - 150_000_000 - fee);
    assert_eq!(
        sats(&node.wallet("other").call("getbalance", json!([]))),
        150_000_000
    );
    let listed = node.wallet("w").call(
        "listunspent",
        json!([1, 9999999, [], true, {"minimumAmount": 1}]),
    );
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2);
    let change = listed
        .iter()
        .find(|u| u["txid"] == json!(txid))
        .expect("change");
    assert_eq!(change["confirmations"], json!(1));
    assert_eq!(change["label"], Value::Null);
    let coinbase = listed
        .iter()
        .find(|u| u["txid"] != json!(txid))
        .expect("coinbase");
    assert_eq!(coinbase["label"], json!(""));
    assert_eq!(coinbase["confirmations"], json!(101));
}

#[test]
fn sendmany_subtract_fee_and_errors() {
    let (_dir, node) = funded("sendmany", &["-fallbackfee=0.0002"]);
    let a = node.wallet("other").call("getnewaddress", json!([]));
    let b = node.wallet("other").call("getnewaddress", json!([]));
    let txid = node.wallet("w").call(
        "sendmany",
        json!(["", {a.as_str().expect("a"): 1, b.as_str().expect("b"): 2}, null, "pay", [b]]),
    );
    let raw = node.call("getrawtransaction", json!([txid, true]));
    let entry = node.call("getmempoolentry", json!([txid]));
    let fee = sats(&entry["fees"]["base"]);
    let paid = |addr: &Value| {
        raw["vout"]
            .as_array()
            .expect("vouts")
            .iter()
            .find(|o| o["scriptPubKey"]["address"] == *addr)
            .map(|o| sats(&o["value"]))
            .expect("output")
    };
    assert_eq!(paid(&a), 100_000_000);
    assert_eq!(paid(&b), 200_000_000 - fee);
    // The fallback fee of 20 sat/vB applies without estimates.
    let vsize = entry["vsize"].as_i64().expect("vsize");
    assert!(fee >= 20 * vsize && fee <= 20 * (vsize + 1));

    assert_eq!(
        node.wallet("w").err("sendtoaddress", json!([a, 100])),
        (-6, "Insufficient funds".to_string())
    );
    assert_eq!(
        node.wallet("w")
            .err("sendtoaddress", json!([a, 0.00000100])),
        (-6, "Transaction amount too small".to_string())
    );
    assert_eq!(
        node.wallet("w").err("sendtoaddress", json!({"address": a, "amount": 1, "fee_rate": 0.5})),
        (-6, "Fee rate (0.500 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB).\nConsider modifying -mintxfee (1.000 sat/vB) or -minrelaytxfee (0.100 sat/vB).".to_string())
    );
    assert_eq!(
        node.wallet("w").err("sendtoaddress", json!({"address": a, "amount": 1, "fee_rate": 1, "conf_target": 6})),
        (-8, "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate.".to_string())
    );
    assert_eq!(
        node.wallet("w").err("sendtoaddress", json!({"address": a, "amount": 1, "estimate_mode": "foo"})),
        (-8, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"".to_string())
    );
    assert_eq!(
        node.wallet("w")
            .err("sendmany", json!(["x", {a.as_str().expect("a"): 1}])),
        (-8, "Dummy value must be set to \"\"".to_string())
    );
    assert_eq!(
        node.wallet("w")
            .err("sendtoaddress", json!(["bcrt1qinvalid", 1])),
        (-5, "Invalid Bitcoin address: bcrt1qinvalid".to_string())
    );
}

#[test]
fn fallback_fee_disabled_is_refused() {
    let (_dir, node) = funded("nofallback", &[]);
    let a = node.wallet("other").call("getnewaddress", json!([]));
    assert_eq!(
        node.wallet("w").err("sendtoaddress", json!([a, 1])),
        (-6, "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.".to_string())
    );
    // An explicit rate does not need estimates.
    node.wallet("w").call(
        "sendtoaddress",
        json!({"address": a, "amount": 1, "fee_rate": 1.5}),
    );
}

#[test]
fn locks_persist_across_restart() {
    let (dir, mut node) = funded("locks", &["-fallbackfee=0.0002"]);
    mine(&node, 2);
    let unspent = node.wallet("w").call("listunspent", json!([]));
    let utxos: Vec<Value> = unspent
        .as_array()
        .expect("array")
        .iter()
        .map(|u| json!({"txid": u["txid"], "vout": u["vout"]}))
        .collect();
    assert!(utxos.len() >= 2);
    assert_eq!(
        node.wallet("w")
            .call("lockunspent", json!([false, [utxos[0]], true])),
        json!(true)
    );
    assert_eq!(
        node.wallet("w")
            .call("lockunspent", json!([false, [utxos[1]]])),
        json!(true)
    );
    assert_eq!(
        node.wallet("w")
            .err("lockunspent", json!([false, [utxos[1]]])),
        (-8, "Invalid parameter, output already locked".to_string())
    );
    let locked = node.wallet("w").call("listlockunspent", json!([]));
    assert_eq!(locked.as_array().expect("array").len(), 2);
    let listed = node.wallet("w").call("listunspent", json!([]));
    assert_eq!(listed.as_array().expect("array").len(), utxos.len() - 2);
    assert_eq!(
        node.wallet("w").err(
            "lockunspent",
            json!([false, [{"txid": "00".repeat(32), "vout": 0}]])
        ),
        (-8, "Invalid parameter, unknown transaction".to_string())
    );
    assert_eq!(
        node.wallet("w").err(
            "lockunspent",
            json!([false, [{"txid": utxos[2]["txid"], "vout": -1}]])
        ),
        (-8, "Invalid parameter, vout cannot be negative".to_string())
    );
    assert_eq!(
        node.wallet("w")
            .err("lockunspent", json!([true, [utxos[2]]])),
        (-8, "Invalid parameter, expected locked output".to_string())
    );

    node.restart();
    node.call("loadwallet", json!(["w"]));
    let locked = node.wallet("w").call("listlockunspent", json!([]));
    assert_eq!(locked, json!([utxos[0]]));
    assert_eq!(
        node.wallet("w").call("lockunspent", json!([true])),
        json!(true)
    );
    assert_eq!(
        node.wallet("w").call("listlockunspent", json!([])),
        json!([])
    );
    node.restart();
    node.call("loadwallet", json!(["w"]));
    assert_eq!(
        node.wallet("w").call("listlockunspent", json!([])),
        json!([])
    );
    drop(dir);
}

#[test]
fn psbt_and_raw_funding_flows() {
    let (_dir, node) = funded("psbt", &["-fallbackfee=0.0002"]);
    mine(&node, 1);
    let dest = node.wallet("other").call("getnewaddress", json!([]));

    // walletcreatefundedpsbt → walletprocesspsbt → finalizepsbt → sendrawtransaction.
    let funded = node.wallet("w").call(
        "walletcreatefundedpsbt",
        json!({"inputs": [], "outputs": [{dest.as_str().expect("dest"): 1}], "fee_rate": 3}),
    );
    assert!(funded["changepos"].as_i64().expect("pos") >= 0);
    let fee = sats(&funded["fee"]);
    let processed = node.wallet("w").call(
        "walletprocesspsbt",
        json!([funded["psbt"], true, "ALL", true, false]),
    );
    // Without finalizing, the signatures are there but the inputs are not complete.
    assert_eq!(processed["complete"], json!(false));
    assert!(processed.get("hex").is_none());
    let fin = node.call("finalizepsbt", json!([processed["psbt"]]));
    assert_eq!(fin["complete"], json!(true));
    let txid = node.call("sendrawtransaction", json!([fin["hex"]]));
    let entry = node.call("getmempoolentry", json!([txid]));
    assert_eq!(sats(&entry["fees"]["base"]), fee);

    // fundrawtransaction + signrawtransactionwithwallet.
    let raw = node.call(
        "createrawtransaction",
        json!([[], {dest.as_str().expect("dest"): 2}]),
    );
    let f = node.wallet("w").call(
        "fundrawtransaction",
        json!([raw, {"fee_rate": 2, "lockUnspents": true}]),
    );
    assert_eq!(
        f.as_object().expect("object").keys().collect::<Vec<_>>(),
        vec!["hex", "fee", "changepos"]
    );
    assert!(!node
        .wallet("w")
        .call("listlockunspent", json!([]))
        .as_array()
        .expect("array")
        .is_empty());
    let signed = node
        .wallet("w")
        .call("signrawtransactionwithwallet", json!([f["hex"]]));
    assert_eq!(signed["complete"], json!(true));
    assert!(signed.get("errors").is_none());
    node.call("sendrawtransaction", json!([signed["hex"]]));
    // Spending the locked coins released their locks.
    assert_eq!(
        node.wallet("w").call("listlockunspent", json!([])),
        json!([])
    );
    assert_eq!(
        node.wallet("w")
            .err("fundrawtransaction", json!([raw, {"foo": 1}])),
        (-3, "Unexpected key foo".to_string())
    );

    // send with add_to_wallet false returns the signed hex without broadcasting.
    let s = node.wallet("w").call("send", json!({"outputs": {dest.as_str().expect("dest"): 0.5}, "fee_rate": 1, "options": {"add_to_wallet": false}}));
    assert_eq!(s["complete"], json!(true));
    assert!(s["hex"].is_string() && s["psbt"].is_string());
    let s = node.wallet("w").call(
        "send",
        json!([{dest.as_str().expect("dest"): 0.5}, null, "unset", 1]),
    );
    assert_eq!(s["complete"], json!(true));
    assert!(s.get("hex").is_none());
    node.call("getmempoolentry", json!([s["txid"]]));

    // sendall empties the wallet into one address.
    mine(&node, 1);
    let total = sats(&node.wallet("w").call("getbalance", json!([])));
    let r = node
        .wallet("w")
        .call("sendall", json!({"recipients": [dest], "fee_rate": 2}));
    assert_eq!(r["complete"], json!(true));
    let entry = node.call("getmempoolentry", json!([r["txid"]]));
    let raw = node.call("getrawtransaction", json!([r["txid"], true]));
    assert_eq!(raw["vout"].as_array().expect("vouts").len(), 1);
    assert_eq!(
        sats(&raw["vout"][0]["value"]) + sats(&entry["fees"]["base"]),
        total
    );
    mine(&node, 1);
    // Everything went; only the coinbase that matured with the new block is left.
    assert_eq!(
        sats(&node.wallet("w").call("getbalance", json!([]))),
        50 * 100_000_000
    );
    let spent = &raw["vin"][0];
    assert_eq!(
        node.wallet("w").err("sendall",
            json!({"recipients": [dest], "fee_rate": 2, "options": {"inputs": [{"txid": spent["txid"], "vout": spent["vout"]}]}})
        ),
        (
            -8,
            format!(
                "Input not available. UTXO ({}:{}) was already spent.",
                spent["txid"].as_str().expect("txid"),
                spent["vout"]
            )
        )
    );
}

#[test]
fn bumpfee_replaces_and_marks_the_original() {
    let (_dir, node) = funded("bump", &["-fallbackfee=0.0002"]);
    let dest = node.wallet("other").call("getnewaddress", json!([]));
    let old = node.wallet("w").call(
        "sendtoaddress",
        json!({"address": dest, "amount": 1, "fee_rate": 1}),
    );
    let old_fee = sats(&node.call("getmempoolentry", json!([old]))["fees"]["base"]);
    let r = node
        .wallet("w")
        .call("bumpfee", json!([old, {"fee_rate": 5}]));
    assert_eq!(sats(&r["origfee"]), old_fee);
    assert!(sats(&r["fee"]) > old_fee);
    assert_eq!(r["errors"], json!([]));
    let new = r["txid"].as_str().expect("txid").to_string();
    let pool = node.call("getrawmempool", json!([]));
    assert!(pool.as_array().expect("pool").contains(&json!(new)));
    assert!(!pool.as_array().expect("pool").contains(&old));
    assert_eq!(
        node.wallet("w").err("bumpfee", json!([old])),
        (
            -4,
            format!(
                "Cannot bump transaction {} which was already bumped by transaction {new}",
                old.as_str().expect("old")
            )
        )
    );
    assert_eq!(
        node.wallet("w")
            .err("bumpfee", json!([new, {"fee_rate": 5}]))
            .1,
        format!(
            "Insufficient total fee {}, must be at least {} (oldFee {} + incrementalFee {})",
            fmt_money(sats(&r["fee"])),
            fmt_money(sats(&r["fee"]) + 15),
            fmt_money(sats(&r["fee"])),
            fmt_money(15)
        )
    );
    let p = node.wallet("w").call("psbtbumpfee", json!([new]));
    assert!(p["psbt"].is_string());
    assert!(sats(&p["fee"]) > sats(&r["fee"]));
    assert_eq!(
        node.wallet("w").err("bumpfee", json!(["00".repeat(32)])),
        (-5, "Invalid or non-wallet transaction id".to_string())
    );

    mine(&node, 1);
    // Only the replacement counts once mined.
    let bal = sats(&node.wallet("w").call("getbalance", json!([])));
    assert_eq!(bal, 100 * 100_000_000 - 100_000_000 - sats(&r["fee"]));
    // The coins are looked up first, so a mined transaction's inputs are spent.
    let (code, msg) = node.wallet("w").err("bumpfee", json!([new]));
    assert_eq!(code, -1);
    assert!(msg.ends_with(" is already spent"), "{msg}");
}

fn fmt_money(n: i64) -> String {
    let mut s = format!("{}.{:08}", n / 100_000_000, n % 100_000_000);
    while s.ends_with('0') && s.len() - s.find('.').map(|p| p + 1).unwrap_or(0) > 2 {
        s.pop();
    }
    s
}
