//! The wallet's history commands against a real regtest `bitcoind`: gettransaction,
//! listtransactions, listsinceblock, listreceivedby*, getreceivedby*, abandontransaction,
//! rescanblockchain and abortrescan, checked field by field as Core prints them.
//!
//! Spends are built with the node's raw-transaction commands and signed with keys the test
//! knows: the README's regtest key, and the keys of wallet files the test writes from a
//! fixed seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use support::{keys, KnownWallet, Node, TempDir, KNOWN_ADDRESS, KNOWN_WIF};

/// A node in a new temporary datadir `tag`, with its wallets in `<datadir>/wallets`.
fn start_node(tag: &str, extra: &[&str]) -> Node {
    let dir = TempDir::new(tag);
    let wallets = dir.0.join("wallets");
    std::fs::create_dir_all(&wallets).expect("walletdir");
    let walletdir = format!("-walletdir={}", wallets.display());
    let mut args = vec![walletdir.as_str()];
    args.extend_from_slice(extra);
    Node::start_in(dir, &args)
}

/// An amount as Core prints it.
fn amt(v: &Value) -> String {
    v.to_string()
}

/// Outputs for `createrawtransaction`, in order.
fn outs(list: &[(&str, &str)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(a, v)| {
                let mut m = Map::new();
                m.insert((*a).to_string(), Value::String((*v).to_string()));
                Value::Object(m)
            })
            .collect(),
    )
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Polls `f` until it holds (the wallet hears of pool changes asynchronously).
fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A payer wallet with known keys, loaded, with 101 blocks mined to its first address;
/// and a wallet "alice" made by the node.
struct Setup {
    node: Node,
    payer: KnownWallet,
    payer_addr: String,
    payer_script: bitcoin::ScriptBuf,
}

fn setup(tag: &str, extra: &[&str]) -> Setup {
    let node = start_node(tag, extra);
    let mut payer = KnownWallet::create(&node, "payer", 1, None);
    node.call("loadwallet", json!(["payer"]));
    node.call("createwallet", json!(["alice"]));
    let (payer_addr, payer_script) = payer.next_address();
    assert_eq!(
        node.wallet("payer").call("getnewaddress", json!([])),
        json!(payer_addr)
    );
    node.mine(101, &payer_addr);
    Setup {
        node,
        payer,
        payer_addr,
        payer_script,
    }
}

#[test]
fn history_of_a_payment_through_a_reorg() {
    let Setup {
        node,
        mut payer,
        payer_addr,
        payer_script,
    } = setup("history", &[]);

    // Coinbase history: the newest ten entries, oldest first, then paging.
    let list = node.wallet("payer").call("listtransactions", json!([]));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    let heights: Vec<i64> = list
        .iter()
        .map(|e| e["blockheight"].as_i64().unwrap())
        .collect();
    assert_eq!(heights, (92..=101).collect::<Vec<_>>());
    assert!(list.iter().all(|e| e["category"] == "immature"));
    assert_eq!(
        keys(&list[0]),
        strs(&[
            "address",
            "parent_descs",
            "category",
            "amount",
            "label",
            "vout",
            "abandoned",
            "confirmations",
            "generated",
            "blockhash",
            "blockheight",
            "blockindex",
            "blocktime",
            "txid",
            "wtxid",
            "alternate_wtxids",
            "walletconflicts",
            "mempoolconflicts",
            "time",
            "timereceived",
        ])
    );
    let all = node
        .wallet("payer")
        .call("listtransactions", json!(["*", 1000]));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 101);
    assert_eq!(all[0]["category"], "generate");
    assert_eq!(all[0]["blockheight"], 1);
    assert_eq!(amt(&all[0]["amount"]), "50.00000000");
    let desc = all[0]["parent_descs"][0].as_str().unwrap();
    assert!(
        desc.starts_with("wpkh([") && desc.contains("/84h/1h/0h]tpub"),
        "{desc}"
    );
    let page = node
        .wallet("payer")
        .call("listtransactions", json!(["*", 2, 3]));
    let page: Vec<i64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["blockheight"].as_i64().unwrap())
        .collect();
    assert_eq!(page, vec![97, 98]);
    let past_end = node
        .wallet("payer")
        .call("listtransactions", json!(["*", 5, 99]));
    assert_eq!(past_end.as_array().unwrap().len(), 2);
    assert_eq!(
        node.wallet("payer")
            .err("listtransactions", json!(["*", -1])),
        (-8, "Negative count".into())
    );
    assert_eq!(
        node.wallet("payer")
            .err("listtransactions", json!(["*", 1, -1])),
        (-8, "Negative from".into())
    );
    assert_eq!(
        node.wallet("payer").err("listtransactions", json!([""])),
        (
            -8,
            "Label argument must be a valid label name or \"*\".".into()
        )
    );

    // A payment to alice with change back to the payer, signalling replaceability.
    let alice_addr = node
        .wallet("alice")
        .call("getnewaddress", json!(["salary"]))
        .as_str()
        .unwrap()
        .to_string();
    let (change_addr, _) = payer.next_change();
    assert_eq!(
        node.wallet("payer").call("getrawchangeaddress", json!([])),
        json!(change_addr)
    );
    let cb1 = node.coinbase_txid(1);
    let txid = node.send_raw(
        &[(cb1.clone(), 0)],
        outs(&[(&alice_addr, "10"), (&change_addr, "39.9999")]),
        &[payer.wif(&payer_script)],
        0xffff_fffd,
    );
    let tip101 = node.call("getbestblockhash", json!([]));
    wait_until("alice to see the payment", || {
        node.wallet("alice")
            .try_call("gettransaction", json!([txid]))
            .is_ok()
    });

    let t = node.wallet("alice").call("gettransaction", json!([txid]));
    assert_eq!(
        keys(&t),
        strs(&[
            "amount",
            "confirmations",
            "trusted",
            "txid",
            "wtxid",
            "alternate_wtxids",
            "walletconflicts",
            "mempoolconflicts",
            "time",
            "timereceived",
            "details",
            "hex",
            "lastprocessedblock",
        ])
    );
    assert_eq!(amt(&t["amount"]), "10.00000000");
    assert_eq!(t["confirmations"], 0);
    assert_eq!(t["trusted"], false);
    assert_eq!(t["txid"], json!(txid));
    assert_eq!(t["walletconflicts"], json!([]));
    assert_eq!(t["mempoolconflicts"], json!([]));
    assert_eq!(t["hex"], node.call("getrawtransaction", json!([txid])));
    assert_eq!(
        t["lastprocessedblock"],
        json!({"hash": tip101, "height": 101})
    );
    let details = t["details"].as_array().unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(
        keys(&details[0]),
        strs(&[
            "address",
            "parent_descs",
            "category",
            "amount",
            "label",
            "vout",
            "abandoned"
        ])
    );
    assert_eq!(details[0]["address"], json!(alice_addr));
    assert_eq!(details[0]["category"], "receive");
    assert_eq!(amt(&details[0]["amount"]), "10.00000000");
    assert_eq!(details[0]["label"], "salary");
    assert_eq!(details[0]["vout"], 0);
    assert_eq!(details[0]["abandoned"], false);

    // The payer's side: a send of 10 with its fee; the change is left out.
    let t = node
        .wallet("payer")
        .call("gettransaction", json!([txid, false, true]));
    assert_eq!(
        &keys(&t)[..4],
        &strs(&["amount", "fee", "confirmations", "trusted"])[..]
    );
    assert_eq!(amt(&t["amount"]), "-10.00000000");
    assert_eq!(amt(&t["fee"]), "-0.00010000");
    assert_eq!(t["trusted"], true);
    let details = t["details"].as_array().unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(
        keys(&details[0]),
        strs(&["address", "category", "amount", "vout", "fee", "abandoned"])
    );
    assert_eq!(details[0]["category"], "send");
    assert_eq!(amt(&details[0]["amount"]), "-10.00000000");
    assert_eq!(amt(&details[0]["fee"]), "-0.00010000");
    let decoded = &t["decoded"];
    assert_eq!(decoded["txid"], json!(txid));
    assert!(decoded.get("hex").is_none());
    assert!(decoded["vout"][0].get("ischange").is_none());
    assert_eq!(decoded["vout"][1]["ischange"], true);
    assert_eq!(
        keys(&decoded["vout"][1]),
        strs(&["value", "n", "scriptPubKey", "ischange"])
    );
    // Without -deprecatedrpc=bip125 the field is absent.
    assert!(t.get("bip125-replaceable").is_none());

    // Label filters.
    let l = node
        .wallet("alice")
        .call("listtransactions", json!(["salary"]));
    assert_eq!(l.as_array().unwrap().len(), 1);
    assert_eq!(l[0]["trusted"], false);
    let l = node
        .wallet("alice")
        .call("listtransactions", json!(["other"]));
    assert_eq!(l, json!([]));
    let since = node.wallet("alice").call("listsinceblock", json!([]));
    assert_eq!(
        keys(&since),
        strs(&["transactions", "removed", "lastblock"])
    );
    assert_eq!(since["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(since["lastblock"], tip101);

    // Confirmed.
    let b102 = node.mine(1, KNOWN_ADDRESS).remove(0);
    let t = node.wallet("alice").call("gettransaction", json!([txid]));
    assert_eq!(
        &keys(&t)[..8],
        &strs(&[
            "amount",
            "confirmations",
            "blockhash",
            "blockheight",
            "blockindex",
            "blocktime",
            "txid",
            "wtxid"
        ])[..]
    );
    assert_eq!(t["confirmations"], 1);
    assert_eq!(t["blockhash"], json!(b102));
    assert_eq!(t["blockheight"], 102);
    assert_eq!(t["blockindex"], 1);
    let block = node.call("getblock", json!([b102]));
    assert_eq!(t["blocktime"], block["time"]);

    let r = node
        .wallet("alice")
        .call("listreceivedbyaddress", json!([]));
    assert_eq!(
        r,
        json!([{"address": alice_addr, "amount": r[0]["amount"], "confirmations": 1, "label": "salary", "txids": [txid]}])
    );
    assert_eq!(amt(&r[0]["amount"]), "10.00000000");
    assert_eq!(
        keys(&r[0]),
        strs(&["address", "amount", "confirmations", "label", "txids"])
    );
    assert_eq!(
        node.wallet("alice")
            .call("listreceivedbyaddress", json!([2])),
        json!([])
    );
    let empty = node
        .wallet("alice")
        .call("listreceivedbyaddress", json!([2, true]));
    assert_eq!(empty[0]["confirmations"], 0);
    assert_eq!(amt(&empty[0]["amount"]), "0.00000000");
    assert_eq!(empty[0]["txids"], json!([]));
    let one = node.wallet("alice").call(
        "listreceivedbyaddress",
        json!([1, false, false, alice_addr]),
    );
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(
        node.wallet("alice")
            .call("listreceivedbyaddress", json!([1, true, false, payer_addr])),
        json!([])
    );
    assert_eq!(
        node.wallet("alice").err(
            "listreceivedbyaddress",
            json!([1, false, false, "notanaddress"])
        ),
        (-4, "address_filter parameter was invalid".into())
    );
    let by_label = node.wallet("alice").call("listreceivedbylabel", json!([]));
    assert_eq!(
        keys(&by_label[0]),
        strs(&["amount", "confirmations", "label"])
    );
    assert_eq!(amt(&by_label[0]["amount"]), "10.00000000");
    assert_eq!(by_label[0]["confirmations"], 1);
    assert_eq!(by_label[0]["label"], "salary");

    let got = |w: &str, m: &str, p: Value| amt(&node.wallet(w).call(m, p));
    assert_eq!(
        got("alice", "getreceivedbyaddress", json!([alice_addr])),
        "10.00000000"
    );
    assert_eq!(
        got("alice", "getreceivedbyaddress", json!([alice_addr, 2])),
        "0.00000000"
    );
    assert_eq!(
        got("alice", "getreceivedbylabel", json!(["salary", 0])),
        "10.00000000"
    );
    assert_eq!(
        node.wallet("alice")
            .err("getreceivedbylabel", json!(["nope"])),
        (-4, "Label not found in wallet".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("getreceivedbyaddress", json!([payer_addr])),
        (-4, "Address not found in wallet".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("getreceivedbyaddress", json!(["notanaddress"])),
        (-5, "Invalid Bitcoin address".into())
    );
    // Coinbases count once mature (blocks 1 and 2 at height 102), or all when asked.
    assert_eq!(
        got("payer", "getreceivedbyaddress", json!([payer_addr])),
        "100.00000000"
    );
    assert_eq!(
        got(
            "payer",
            "getreceivedbyaddress",
            json!([payer_addr, 1, true])
        ),
        "5050.00000000"
    );

    // listsinceblock from the block before, from the tip, and its checks.
    let since = node.wallet("alice").call("listsinceblock", json!([tip101]));
    assert_eq!(since["transactions"][0]["txid"], json!(txid));
    assert_eq!(since["lastblock"], json!(b102));
    let since = node
        .wallet("alice")
        .call("listsinceblock", json!([b102, 2]));
    assert_eq!(since["transactions"], json!([]));
    assert_eq!(since["removed"], json!([]));
    assert_eq!(since["lastblock"], tip101);
    assert_eq!(
        node.wallet("alice").err("listsinceblock", json!([b102, 0])),
        (-8, "Invalid parameter".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("listsinceblock", json!(["00".repeat(32)])),
        (-5, "Block not found".into())
    );

    // A reorganisation takes the payment out of its block.
    node.call("invalidateblock", json!([b102]));
    let t = node.wallet("alice").call("gettransaction", json!([txid]));
    assert_eq!(t["confirmations"], 0);
    assert_eq!(t["trusted"], false);
    assert!(t.get("blockhash").is_none());
    let since = node.wallet("alice").call("listsinceblock", json!([b102]));
    let removed = since["removed"].as_array().unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["txid"], json!(txid));
    assert_eq!(removed[0]["confirmations"], 0);
    assert_eq!(since["transactions"][0]["txid"], json!(txid));
    assert_eq!(since["lastblock"], tip101);
    let since = node
        .wallet("alice")
        .call("listsinceblock", json!([b102, 1, false, false]));
    assert_eq!(keys(&since), strs(&["transactions", "lastblock"]));

    // Back in a new block.
    wait_until("the payment back in the pool", || {
        node.call("getrawmempool", json!([]))
            .as_array()
            .unwrap()
            .contains(&json!(txid))
    });
    // Another address, so the new block differs from the invalidated one.
    let b102b = node.mine(1, &support::burn_address()).remove(0);
    assert_ne!(b102b, b102);
    let t = node.wallet("alice").call("gettransaction", json!([txid]));
    assert_eq!(t["confirmations"], 1);
    assert_eq!(t["blockhash"], json!(b102b));
    let t = node.wallet("payer").call("gettransaction", json!([txid]));
    assert_eq!(t["confirmations"], 1);
    assert_eq!(t["walletconflicts"], json!([]));
    let _ = cb1;
}

#[test]
fn abandoning_a_replaced_payment() {
    let Setup {
        node,
        mut payer,
        payer_script,
        ..
    } = setup("abandon", &["-deprecatedrpc=bip125"]);
    let alice_addr = node
        .wallet("alice")
        .call("getnewaddress", json!([]))
        .as_str()
        .unwrap()
        .to_string();
    let (change_addr, _) = payer.next_change();
    let cb1 = node.coinbase_txid(1);
    let key = payer.wif(&payer_script);
    let orig = node.send_raw(
        &[(cb1.clone(), 0)],
        outs(&[(&alice_addr, "10"), (&change_addr, "39.9999")]),
        std::slice::from_ref(&key),
        0xffff_fffd,
    );
    wait_until("alice to see the payment", || {
        node.wallet("alice")
            .try_call("gettransaction", json!([orig]))
            .is_ok()
    });
    let t = node.wallet("alice").call("gettransaction", json!([orig]));
    assert_eq!(t["bip125-replaceable"], "yes");
    let k = keys(&t);
    let at = k.iter().position(|x| x == "timereceived").unwrap();
    assert_eq!(k[at + 1], "bip125-replaceable");

    // Not eligible while in the pool; unknown and malformed ids.
    assert_eq!(
        node.wallet("alice")
            .err("abandontransaction", json!([orig])),
        (-5, "Transaction not eligible for abandonment".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("abandontransaction", json!(["11".repeat(32)])),
        (-5, "Invalid or non-wallet transaction id".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("gettransaction", json!(["11".repeat(32)])),
        (-5, "Invalid or non-wallet transaction id".into())
    );
    assert_eq!(
        node.wallet("alice")
            .err("abandontransaction", json!(["zz"])),
        (-8, "txid must be of length 64 (not 2, for 'zz')".into())
    );
    let cb2 = node.coinbase_txid(2);
    let confirmed = node.wallet("payer").call("gettransaction", json!([cb2]));
    assert_eq!(confirmed["generated"], true);
    assert_eq!(
        node.wallet("payer").err("abandontransaction", json!([cb2])),
        (-5, "Transaction not eligible for abandonment".into())
    );

    // A replacement paying elsewhere pushes the payment out of the pool.
    let replacement = node.send_raw(
        &[(cb1, 0)],
        outs(&[(KNOWN_ADDRESS, "49.99")]),
        &[key],
        0xffff_fffd,
    );
    wait_until("alice to see the conflict", || {
        node.wallet("alice").call("gettransaction", json!([orig]))["mempoolconflicts"]
            == json!([replacement])
    });
    let t = node.wallet("alice").call("gettransaction", json!([orig]));
    assert_eq!(t["confirmations"], 0);
    assert_eq!(t["trusted"], false);
    // A signalling transaction is replaceable whether or not it is in the pool.
    assert_eq!(t["bip125-replaceable"], "yes");
    assert_eq!(t["details"][0]["abandoned"], false);
    wait_until("the payer to see the replacement", || {
        node.wallet("payer")
            .try_call("gettransaction", json!([replacement]))
            .is_ok()
    });
    let p = node.wallet("payer").call("gettransaction", json!([orig]));
    assert_eq!(p["walletconflicts"], json!([replacement]));
    let r = node
        .wallet("payer")
        .call("gettransaction", json!([replacement]));
    assert_eq!(r["walletconflicts"], json!([orig]));
    assert_eq!(amt(&r["amount"]), "-49.99000000");
    assert_eq!(amt(&r["fee"]), "-0.01000000");
    assert_eq!(
        node.wallet("payer")
            .err("abandontransaction", json!([replacement])),
        (-5, "Transaction not eligible for abandonment".into())
    );

    // Abandoned, twice without effect.
    assert_eq!(
        node.wallet("alice")
            .call("abandontransaction", json!([orig])),
        Value::Null
    );
    assert_eq!(
        node.wallet("alice")
            .call("abandontransaction", json!([orig])),
        Value::Null
    );
    let t = node.wallet("alice").call("gettransaction", json!([orig]));
    assert_eq!(t["details"][0]["abandoned"], true);
    let l = node.wallet("alice").call("listtransactions", json!([]));
    assert_eq!(l[0]["abandoned"], true);
    assert_eq!(
        node.wallet("payer")
            .call("abandontransaction", json!([orig])),
        Value::Null
    );

    // The replacement confirms: the payment is conflicted, and a received-only conflicted
    // transaction has no detail entries.
    node.mine(1, KNOWN_ADDRESS);
    let t = node.wallet("alice").call("gettransaction", json!([orig]));
    assert_eq!(t["confirmations"], -1);
    assert_eq!(t["details"], json!([]));
    assert_eq!(t["walletconflicts"], json!([]));
    assert_eq!(t["mempoolconflicts"], json!([]));
    let p = node.wallet("payer").call("gettransaction", json!([orig]));
    assert_eq!(p["confirmations"], -1);
    assert_eq!(
        node.wallet("payer")
            .err("abandontransaction", json!([orig])),
        (-5, "Transaction not eligible for abandonment".into())
    );
    let r = node
        .wallet("payer")
        .call("gettransaction", json!([replacement]));
    assert_eq!(r["bip125-replaceable"], "no");
    assert_eq!(r["confirmations"], 1);
}

#[test]
fn rescans_find_what_a_wallet_missed() {
    let node = start_node("rescan", &[]);
    // The addresses the restored wallet will have, known before it exists in the node.
    let mut probe = KnownWallet::create(&node, "probe", 7, None);
    let (addr0, _) = probe.next_address();
    node.mine(101, KNOWN_ADDRESS);
    node.mine(1, &addr0);
    let cb1 = node.coinbase_txid(1);
    let txid = node.send_raw(
        &[(cb1, 0)],
        outs(&[(&addr0, "10"), (KNOWN_ADDRESS, "39.9999")]),
        &[KNOWN_WIF.to_string()],
        0xffff_fffe,
    );
    node.mine(1, KNOWN_ADDRESS);
    let tip = node.call("getbestblockhash", json!([]));

    // A wallet file that says it has seen the chain up to the tip, so loading scans nothing.
    KnownWallet::create(&node, "restored", 7, tip.as_str());
    node.call("loadwallet", json!(["restored"]));
    assert_eq!(
        node.wallet("restored").err("gettransaction", json!([txid])),
        (-5, "Invalid or non-wallet transaction id".into())
    );
    assert_eq!(
        node.wallet("restored").call("listtransactions", json!([])),
        json!([])
    );

    for (args, msg) in [
        (json!([-1]), "Invalid start_height"),
        (json!([104]), "Invalid start_height"),
        (json!([0, 104]), "Invalid stop_height"),
        (json!([0, -1]), "Invalid stop_height"),
        (
            json!([5, 4]),
            "stop_height must be greater than start_height",
        ),
    ] {
        assert_eq!(
            node.wallet("restored").err("rescanblockchain", args),
            (-8, msg.into())
        );
    }

    assert_eq!(
        node.wallet("restored")
            .call("rescanblockchain", json!([0, 101])),
        json!({"start_height": 0, "stop_height": 101})
    );
    assert!(node
        .wallet("restored")
        .try_call("gettransaction", json!([txid]))
        .is_err());
    let r = node.wallet("restored").call("rescanblockchain", json!([]));
    assert_eq!(r, json!({"start_height": 0, "stop_height": 103}));
    assert_eq!(keys(&r), strs(&["start_height", "stop_height"]));
    let t = node
        .wallet("restored")
        .call("gettransaction", json!([txid]));
    assert_eq!(t["confirmations"], 1);
    assert_eq!(amt(&t["amount"]), "10.00000000");
    let l = node.wallet("restored").call("listtransactions", json!([]));
    let cats: Vec<&str> = l
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category"].as_str().unwrap())
        .collect();
    assert_eq!(cats, vec!["immature", "receive"]);
    assert_eq!(
        node.wallet("restored")
            .call("rescanblockchain", json!([102])),
        json!({"start_height": 102, "stop_height": 103})
    );
    assert_eq!(
        node.wallet("restored").call("abortrescan", json!([])),
        json!(false)
    );

    // A wallet unloaded while blocks pay it catches up when it is loaded again.
    node.call("createwallet", json!(["late"]));
    let late = node
        .wallet("late")
        .call("getnewaddress", json!([]))
        .as_str()
        .unwrap()
        .to_string();
    node.call("unloadwallet", json!(["late"]));
    let b104 = node.mine(1, &late).remove(0);
    node.call("loadwallet", json!(["late"]));
    let l = node.wallet("late").call("listtransactions", json!([]));
    assert_eq!(l.as_array().unwrap().len(), 1);
    assert_eq!(l[0]["category"], "immature");
    assert_eq!(l[0]["blockhash"], json!(b104));
    assert_eq!(
        node.wallet("late").call("rescanblockchain", json!([])),
        json!({"start_height": 0, "stop_height": 104})
    );
}

#[test]
fn help_shows_cores_arguments() {
    let node = start_node("help", &[]);
    for line in [
        "gettransaction \"txid\" ( include_watchonly verbose )",
        "listtransactions ( \"label\" count skip include_watchonly )",
        "listsinceblock ( \"blockhash\" target_confirmations include_watchonly include_removed include_change \"label\" )",
        "listreceivedbyaddress ( minconf include_empty include_watchonly \"address_filter\" include_immature_coinbase )",
        "listreceivedbylabel ( minconf include_empty include_watchonly include_immature_coinbase )",
        "getreceivedbyaddress \"address\" ( minconf include_immature_coinbase )",
        "getreceivedbylabel \"label\" ( minconf include_immature_coinbase )",
        "abandontransaction \"txid\"",
        "rescanblockchain ( start_height stop_height )",
        "abortrescan",
    ] {
        let name = line.split(' ').next().unwrap();
        let help = node.call("help", json!([name]));
        let first = help.as_str().unwrap().lines().next().unwrap().to_string();
        assert_eq!(first, line);
    }
    // Named arguments reach the same positions.
    node.call("createwallet", json!(["w"]));
    let (code, msg) = node.wallet("w").err(
        "gettransaction",
        json!({"txid": "11".repeat(32), "verbose": true}),
    );
    assert_eq!(
        (code, msg.as_str()),
        (-5, "Invalid or non-wallet transaction id")
    );
}

#[test]
fn a_running_rescan_blocks_another_and_can_be_aborted() {
    let node = start_node("abort", &[]);
    node.call("createwallet", json!(["w"]));
    for _ in 0..6 {
        node.mine(500, &support::burn_address());
    }
    // The rescan runs in another thread. The test tries again in the rare case it ends
    // before the test has seen it running, refused a second one and aborted it.
    for attempt in 0.. {
        assert!(attempt < 10, "never caught the rescan running");
        let caught = std::thread::scope(|s| {
            let first = s.spawn(|| node.wallet("w").try_call("rescanblockchain", json!([])));
            let mut running = false;
            while !first.is_finished() && !running {
                running = node.wallet("w").call("getwalletinfo", json!([]))["scanning"].is_object();
            }
            let mut aborted = false;
            if running {
                if let Err(e) = node.wallet("w").try_call("rescanblockchain", json!([])) {
                    assert_eq!(
                        e,
                        (
                            -4,
                            "Wallet is currently rescanning. Abort existing rescan or wait.".into()
                        )
                    );
                    aborted = node.wallet("w").call("abortrescan", json!([])) == json!(true);
                }
            }
            let r = first.join().unwrap();
            if aborted {
                assert_eq!(r, Err((-1, "Rescan aborted.".into())));
            }
            aborted
        });
        if caught {
            break;
        }
    }
    assert_eq!(
        node.wallet("w").call("abortrescan", json!([])),
        json!(false)
    );
    assert_eq!(
        node.wallet("w").call("rescanblockchain", json!([2900])),
        json!({"start_height": 2900, "stop_height": 3000})
    );
}
