//! The HD key commands, address groupings, simulated balances, wallet flags, pruned-funds
//! import and removal, and watch-only export against a real `bitcoind` on regtest (Core's
//! wallet_gethdkeys, wallet_derivehdkey, wallet_createwalletdescriptor,
//! wallet_simulaterawtx, wallet_importprunedfunds, wallet_avoidreuse and
//! wallet_exported_watchonly behaviour).
//!
//! `bitcoind` is found beside the test's own directory (`target/debug/bitcoind`, built
//! with `cargo build -p node --bins`) or at `$BITCOIND`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bitcoin::bip32::Xpriv;
use bitcoin::{Network, NetworkKind};
use serde_json::{json, Value};
use support::{burn_address, Node, TempDir};

fn tprv(seed: u8) -> String {
    let x = Xpriv::new_master(NetworkKind::Test, &[seed; 32]).unwrap();
    descriptors::encode_xpriv(&x, Network::Regtest)
}

fn btc(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn sats(v: &Value) -> i64 {
    (btc(v) * 1e8).round() as i64
}

fn xpub_of(tprv: &str) -> String {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let x = descriptors::decode_xpriv(tprv, Network::Regtest).unwrap();
    descriptors::encode_xpub(
        &bitcoin::bip32::Xpub::from_priv(&secp, &x),
        Network::Regtest,
    )
}

fn with_checksum(body: &str) -> String {
    format!("{body}#{}", descriptors::checksum_of(body))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

const UNLOCK_NEEDED: &str =
    "Error: Please enter the wallet passphrase with walletpassphrase first.";

#[test]
fn hd_keys_listed_added_derived_and_made_into_descriptors() {
    let dir = TempDir::new("hd");
    let node = Node::start(&dir.0, &["-keypool=5"]);
    node.call("createwallet", json!(["hd"]));
    let w = node.wallet("hd");

    // The generated wallet has one HD key, behind its eight active descriptors.
    let keys = w.call("gethdkeys", json!([]));
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        support::keys(&keys[0]),
        ["xpub", "has_private", "descriptors"]
    );
    assert_eq!(keys[0]["has_private"], json!(true));
    let listed: Vec<Value> = w.call("listdescriptors", json!([]))["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!({"desc": d["desc"], "active": true}))
        .collect();
    assert_eq!(keys[0]["descriptors"], json!(listed));
    let xpub = keys[0]["xpub"].as_str().unwrap().to_string();
    // Named options reach the options object.
    let private = w.call("gethdkeys", json!({"private": true}));
    assert_eq!(
        support::keys(&private[0]),
        ["xpub", "has_private", "xprv", "descriptors"]
    );
    let xprv = private[0]["xprv"].as_str().unwrap().to_string();
    assert_eq!(xpub_of(&xprv), xpub);
    for d in w.call("listdescriptors", json!([true]))["descriptors"]
        .as_array()
        .unwrap()
    {
        assert!(d["desc"].as_str().unwrap().contains(&xprv));
    }

    // derivehdkey gives the key behind the BIP 84 descriptor.
    let derived = w.call("derivehdkey", json!(["m/84h/1h/0h"]));
    assert_eq!(support::keys(&derived), ["origin", "xpub"]);
    let key_text = format!(
        "{}{}",
        derived["origin"].as_str().unwrap(),
        derived["xpub"].as_str().unwrap()
    );
    assert!(listed.iter().any(|d| d["desc"]
        .as_str()
        .unwrap()
        .starts_with(&format!("wpkh({key_text}/0/*)"))));
    let with_private = w.call("derivehdkey", json!(["m/84h/1h/0h", {"private": true}]));
    assert_eq!(with_private["xpub"], derived["xpub"]);
    assert_eq!(
        xpub_of(with_private["xprv"].as_str().unwrap()),
        derived["xpub"].as_str().unwrap()
    );
    assert_eq!(
        w.call("derivehdkey", json!({"path": "m/84h/1h/0h", "hdkey": xpub})),
        derived
    );
    for (path, message) in [
        ("m", "Derivation path requires at least one hardened step"),
        (
            "m/87/0/0",
            "Derivation path requires at least one hardened step",
        ),
        ("m/2147483648", "Invalid BIP32 keypath"),
        ("m/2147483648h", "Invalid BIP32 keypath"),
        ("m//1h", "Invalid BIP32 keypath"),
    ] {
        assert_eq!(
            w.err("derivehdkey", json!([path])),
            (-8, message.to_string()),
            "{path}"
        );
    }
    let too_deep = format!("m/{}", vec!["0h"; 256].join("/"));
    assert_eq!(
        w.err("derivehdkey", json!([too_deep])),
        (-8, "Unable to derive HD key at the requested path".into())
    );
    assert_eq!(
        w.err("derivehdkey", json!(["m/1h", {"hdkey": "bad"}])),
        (
            -5,
            "Unable to parse HD key. Please provide a valid xpub".into()
        )
    );
    assert_eq!(
        w.err("derivehdkey", json!(["m/1h", {"hdkey": xpub_of(&tprv(9))}])),
        (
            -5,
            "HD key is not used by an active or unused(KEY) descriptor".into()
        )
    );
    assert_eq!(
        w.err("derivehdkey", json!(["m/1h", {"private": "yes"}])),
        (
            -3,
            "JSON value of type string is not of expected type bool".into()
        )
    );

    // addhdkey stores an unused(KEY) descriptor, which derivehdkey then prefers.
    let added_xprv = tprv(1);
    let added = xpub_of(&added_xprv);
    assert_eq!(
        w.call("addhdkey", json!([added_xprv])),
        json!({"xpub": added})
    );
    assert_eq!(
        w.err("addhdkey", json!([added_xprv])),
        (-4, "HD key already exists".into())
    );
    assert_eq!(
        w.err("addhdkey", json!([added])),
        (
            -5,
            "Extended public key (xpub) provided, but extended private key (xprv) is required"
                .into()
        )
    );
    assert_eq!(
        w.err("addhdkey", json!(["nonsense"])),
        (-5, "Could not parse HD key".into())
    );
    let from_added = w.call("derivehdkey", json!(["m/87h"]));
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let fingerprint = descriptors::decode_xpriv(&added_xprv, Network::Regtest)
        .unwrap()
        .fingerprint(&secp);
    assert_eq!(from_added["origin"], json!(format!("[{fingerprint}/87h]")));
    let keys = w.call("gethdkeys", json!([]));
    let entry = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["xpub"] == json!(added))
        .unwrap();
    assert_eq!(
        entry["descriptors"],
        json!([{"desc": with_checksum(&format!("unused({added})")), "active": false}])
    );
    assert_eq!(
        w.call("gethdkeys", json!({"active_only": true}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let random = w.call("addhdkey", json!([]))["xpub"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(random, added);
    assert_eq!(
        w.err("derivehdkey", json!(["m/87h"])),
        (
            -5,
            "Unable to determine which HD key to use. Please specify with 'hdkey'".into()
        )
    );

    // createwalletdescriptor makes Core's descriptor from a key the wallet holds.
    assert_eq!(
        w.err("createwalletdescriptor", json!(["bech32"])),
        (-4, "Descriptor already exists".into())
    );
    assert_eq!(
        w.err("createwalletdescriptor", json!(["foo"])),
        (-5, "Unknown address type 'foo'".into())
    );
    assert_eq!(
        w.err(
            "createwalletdescriptor",
            json!(["bech32m", {"hdkey": added_xprv}])
        ),
        (
            -5,
            "Unable to parse HD key. Please provide a valid xpub".into()
        )
    );
    let stranger = xpub_of(&tprv(2));
    assert_eq!(
        w.err(
            "createwalletdescriptor",
            json!(["bech32m", {"hdkey": stranger}])
        ),
        (-5, format!("Private key for {stranger} is not known"))
    );
    let at = w.call("derivehdkey", json!(["m/86h/1h/0h", {"hdkey": added}]));
    let expected = with_checksum(&format!(
        "tr({}{}/0/*)",
        at["origin"].as_str().unwrap(),
        at["xpub"].as_str().unwrap()
    ));
    assert_eq!(
        w.call(
            "createwalletdescriptor",
            json!({"type": "bech32m", "internal": false, "hdkey": added})
        ),
        json!({"descs": [expected]})
    );
    assert_eq!(
        w.err(
            "createwalletdescriptor",
            json!(["bech32m", {"internal": false, "hdkey": added}])
        ),
        (-4, "Descriptor already exists".into())
    );
    let descs = w.call("listdescriptors", json!([]))["descriptors"].clone();
    let active_tr: Vec<&Value> = descs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["desc"].as_str().unwrap().starts_with("tr(") && d["active"] == json!(true))
        .collect();
    assert_eq!(active_tr.len(), 2);
    assert!(active_tr
        .iter()
        .any(|d| d["desc"] == json!(expected) && d["internal"] == json!(false)));
    let addr = w.address("bech32m");
    assert_eq!(
        w.call("getaddressinfo", json!([addr]))["parent_desc"],
        json!(expected)
    );
    // With two keys among the active descriptors, the key must be named.
    assert_eq!(
        w.err("createwalletdescriptor", json!(["legacy"])),
        (
            -5,
            "Unable to determine which HD key to use from active descriptors. Please specify with 'hdkey'"
                .into()
        )
    );

    // Wallets without private keys, or without keys at all.
    node.call("createwallet", json!(["wo", true]));
    let wo = node.wallet("wo");
    assert_eq!(wo.call("gethdkeys", json!([])), json!([]));
    assert_eq!(
        wo.err("addhdkey", json!([])),
        (
            -4,
            "addhdkey is not available for wallets without private keys".into()
        )
    );
    assert_eq!(
        wo.err("derivehdkey", json!(["m/1h"])),
        (
            -4,
            "derivehdkey is not available for watch-only wallets".into()
        )
    );
    node.call("createwallet", json!(["blank", false, true]));
    let blank = node.wallet("blank");
    assert_eq!(
        blank.err("derivehdkey", json!(["m/1h"])),
        (-5, "No active or unused(KEY) descriptor found".into())
    );
    assert_eq!(
        blank.err("createwalletdescriptor", json!(["bech32"])),
        (
            -5,
            "Unable to determine which HD key to use from active descriptors. Please specify with 'hdkey'"
                .into()
        )
    );

    // Encryption replaces the generated key; the added ones stay and need the passphrase.
    w.call("encryptwallet", json!(["pass"]));
    let active = w.call("gethdkeys", json!({"active_only": true}));
    assert_eq!(active.as_array().unwrap().len(), 1);
    assert_ne!(active[0]["xpub"], json!(xpub));
    assert_ne!(active[0]["xpub"], json!(added));
    assert_eq!(w.call("gethdkeys", json!([])).as_array().unwrap().len(), 4);
    assert_eq!(
        w.err("gethdkeys", json!({"private": true})),
        (-13, UNLOCK_NEEDED.into())
    );
    assert_eq!(
        w.err(
            "createwalletdescriptor",
            json!(["legacy", {"hdkey": added}])
        ),
        (-13, UNLOCK_NEEDED.into())
    );
    assert_eq!(
        w.err("derivehdkey", json!(["m/87h", {"hdkey": added}])),
        (-13, UNLOCK_NEEDED.into())
    );
    w.call("walletpassphrase", json!(["pass", 60]));
    assert_eq!(
        w.call("derivehdkey", json!(["m/87h", {"hdkey": added}])),
        from_added
    );
    let created = w.call(
        "createwalletdescriptor",
        json!(["legacy", {"hdkey": added}]),
    );
    assert_eq!(created["descs"].as_array().unwrap().len(), 2);
    let private = w.call("gethdkeys", json!({"private": true}));
    let entry = private
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["xpub"] == json!(added))
        .unwrap();
    assert_eq!(entry["xprv"], json!(added_xprv));
    assert_eq!(entry["descriptors"].as_array().unwrap().len(), 4);
}

/// Where a segwit address sorts in Core's order of destinations: by kind (P2WSH, P2WPKH,
/// then P2TR), then by witness program.
fn program(address: &str) -> (u8, Vec<u8>) {
    let script = script_of(address);
    let kind = if script.is_p2tr() {
        6
    } else if script.is_p2wpkh() {
        5
    } else {
        4
    };
    (kind, script.as_bytes()[2..].to_vec())
}

fn script_of(address: &str) -> bitcoin::ScriptBuf {
    bitcoin::Address::from_str(address)
        .unwrap()
        .require_network(Network::Regtest)
        .unwrap()
        .script_pubkey()
}

use std::str::FromStr;

/// An unsigned transaction spending `inputs` to `outputs` (address, satoshis), in hex.
fn raw_tx(inputs: &[(bitcoin::Txid, u32)], outputs: &[(&str, i64)]) -> (String, bitcoin::Txid) {
    let tx = bitcoin::Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: inputs
            .iter()
            .map(|(txid, vout)| bitcoin::TxIn {
                previous_output: bitcoin::OutPoint::new(*txid, *vout),
                ..Default::default()
            })
            .collect(),
        output: outputs
            .iter()
            .map(|(a, v)| bitcoin::TxOut {
                value: bitcoin::Amount::from_sat(*v as u64),
                script_pubkey: script_of(a),
            })
            .collect(),
    };
    (
        bitcoin::consensus::encode::serialize_hex(&tx),
        tx.compute_txid(),
    )
}

fn utxo_of(unspent: &Value, address: &str) -> (bitcoin::Txid, u32, i64) {
    let u = unspent
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["address"] == json!(address))
        .unwrap_or_else(|| panic!("no output to {address} in {unspent}"));
    (
        bitcoin::Txid::from_str(u["txid"].as_str().unwrap()).unwrap(),
        u["vout"].as_u64().unwrap() as u32,
        sats(&u["amount"]),
    )
}

#[test]
fn address_groupings_simulated_balances_flags_and_missing_commands() {
    let dir = TempDir::new("groups");
    let node = Node::start(&dir.0, &["-keypool=5", "-fallbackfee=0.0001"]);
    node.call("createwallet", json!(["g"]));
    let g = node.wallet("g");
    let first = g
        .call("getnewaddress", json!(["first", "bech32"]))
        .as_str()
        .unwrap()
        .to_string();
    node.mine(1, &first);
    node.mine(100, &burn_address());
    assert_eq!(
        g.call("listaddressgroupings", json!([])),
        json!([[[first, rpc::amount_value(5_000_000_000), "first"]]])
    );

    // Spending joins the spent address and the change into one group; a payment to a
    // labelled address of the wallet stays on its own.
    g.call("sendtoaddress", json!([burn_address(), 10]));
    let unspent = g.call("listunspent", json!([0]));
    let change = unspent[0]["address"].as_str().unwrap().to_string();
    assert_ne!(change, first);
    let second = g
        .call("getnewaddress", json!(["second", "bech32"]))
        .as_str()
        .unwrap()
        .to_string();
    g.call("sendtoaddress", json!([second, 1]));
    let unspent = g.call("listunspent", json!([0]));
    let change2 = unspent
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["address"].as_str().unwrap().to_string())
        .find(|a| *a != second)
        .unwrap();
    let (_, _, change2_value) = utxo_of(&unspent, &change2);
    let entry = |a: &str, value: i64, label: Option<&str>| {
        let mut v = vec![json!(a), rpc::amount_value(value)];
        if let Some(l) = label {
            v.push(json!(l));
        }
        (program(a), Value::Array(v))
    };
    let mut big = vec![
        entry(&first, 0, Some("first")),
        entry(&change, 0, None),
        entry(&change2, change2_value, None),
    ];
    big.sort_by(|a, b| a.0.cmp(&b.0));
    let lone = vec![entry(&second, 100_000_000, Some("second"))];
    let mut groups = vec![big, lone];
    groups.sort_by(|a, b| {
        let pa: Vec<_> = a.iter().map(|e| &e.0).collect();
        let pb: Vec<_> = b.iter().map(|e| &e.0).collect();
        pa.cmp(&pb)
    });
    let expected: Vec<Value> = groups
        .into_iter()
        .map(|g| Value::Array(g.into_iter().map(|e| e.1).collect()))
        .collect();
    assert_eq!(g.call("listaddressgroupings", json!([])), json!(expected));

    // simulaterawtransaction: the wallet loses what its inputs held and gains what pays it,
    // across a chain of transactions.
    let (c2_txid, c2_vout, _) = utxo_of(&unspent, &change2);
    let (s_txid, s_vout, _) = utxo_of(&unspent, &second);
    let third = g.address("bech32");
    let (spend_change, _) = raw_tx(
        &[(c2_txid, c2_vout)],
        &[(&burn_address(), change2_value - 1000)],
    );
    let (split, split_txid) = raw_tx(
        &[(s_txid, s_vout)],
        &[(&third, 50_000_000), (&burn_address(), 40_000_000)],
    );
    let (respend, _) = raw_tx(&[(split_txid, 0)], &[(&burn_address(), 49_000_000)]);
    let change_of =
        |txs: Value| g.call("simulaterawtransaction", json!([txs]))["balance_change"].clone();
    assert_eq!(
        change_of(json!([spend_change])),
        rpc::amount_value(-change2_value)
    );
    assert_eq!(change_of(json!([split])), rpc::amount_value(-50_000_000));
    assert_eq!(
        change_of(json!([spend_change, split])),
        rpc::amount_value(-change2_value - 50_000_000)
    );
    assert_eq!(
        change_of(json!([split, respend])),
        rpc::amount_value(-100_000_000)
    );
    assert_eq!(
        g.call(
            "simulaterawtransaction",
            json!({"rawtxs": [split], "include_watchonly": true})
        ),
        json!({"balance_change": rpc::amount_value(-50_000_000)})
    );
    assert_eq!(
        g.err(
            "simulaterawtransaction",
            json!([[spend_change, spend_change]])
        ),
        (
            -8,
            "Transaction(s) are spending the same output more than once".into()
        )
    );
    assert_eq!(
        g.err("simulaterawtransaction", json!([[respend]])),
        (
            -8,
            "One or more transaction inputs are missing or have been spent already".into()
        )
    );
    assert_eq!(
        g.err("simulaterawtransaction", json!([["zz"]])),
        (-22, "Transaction hex string decoding failure.".into())
    );
    assert_eq!(
        g.err("simulaterawtransaction", json!([])),
        (
            -3,
            "JSON value of type null is not of expected type array".into()
        )
    );

    // setwalletflag: only avoid_reuse changes, and it stays changed.
    let set = g.call("setwalletflag", json!(["avoid_reuse"]));
    assert_eq!(support::keys(&set), ["flag_name", "flag_state", "warnings"]);
    assert_eq!(set["flag_state"], json!(true));
    assert_eq!(
        set["warnings"],
        json!("You need to rescan the blockchain in order to correctly mark used destinations in the past. Until this is done, some destinations may be considered unused, even if the opposite is the case.")
    );
    assert_eq!(
        g.call("getwalletinfo", json!([]))["avoid_reuse"],
        json!(true)
    );
    assert_eq!(
        g.err("setwalletflag", json!(["avoid_reuse", true])),
        (-8, "Wallet flag is already set to true: avoid_reuse".into())
    );
    assert_eq!(
        g.err("setwalletflag", json!(["blank"])),
        (-8, "Wallet flag is immutable: blank".into())
    );
    assert_eq!(
        g.err("setwalletflag", json!(["nosuch"])),
        (-8, "Unknown wallet flag: nosuch".into())
    );
    node.call("unloadwallet", json!(["g"]));
    node.call("loadwallet", json!(["g"]));
    assert_eq!(
        g.call("getwalletinfo", json!([]))["avoid_reuse"],
        json!(true)
    );
    assert_eq!(
        g.call("setwalletflag", json!(["avoid_reuse", false])),
        json!({"flag_name": "avoid_reuse", "flag_state": false})
    );
    assert_eq!(
        g.call("getwalletinfo", json!([]))["avoid_reuse"],
        json!(false)
    );

    // Without external signer support, as Core built so, there is no walletdisplayaddress.
    assert_eq!(
        g.err("walletdisplayaddress", json!([first])),
        (-32601, "Method not found".into())
    );
}

/// A `gettxoutproof`-style proof of `txid` in block `hash`.
fn proof_of(node: &Node, hash: &str, txid: &str) -> (String, bitcoin::Block) {
    let hex = node.call("getblock", json!([hash, 0]));
    let bytes = chain_json::from_hex(hex.as_str().unwrap()).unwrap();
    let block: bitcoin::Block = bitcoin::consensus::encode::deserialize(&bytes).unwrap();
    let txid = bitcoin::Txid::from_str(txid).unwrap();
    let mb = bitcoin::merkle_tree::MerkleBlock::from_block_with_predicate(&block, |t| *t == txid);
    (bitcoin::consensus::encode::serialize_hex(&mb), block)
}

#[test]
fn pruned_funds_are_imported_with_proofs_and_removed() {
    let dir = TempDir::new("pruned");
    let node_args = [
        "-keypool=5",
        "-fallbackfee=0.0001",
        "-deprecatedrpc=removeprunedfunds",
    ];
    let mut node = Node::start(&dir.0, &node_args);
    node.call("createwallet", json!(["src"]));
    node.call("createwallet", json!(["dst"]));
    let src = node.wallet("src");
    let dst = node.wallet("dst");
    node.mine(101, &src.address("bech32"));
    let to_dst = dst.address("bech32");
    let fund = src.call("sendtoaddress", json!([to_dst, 3]));
    let fund = fund.as_str().unwrap().to_string();
    let fund_block = node.mine(1, &burn_address())[0].clone();
    let spend = dst.call("sendtoaddress", json!([burn_address(), 1]));
    let spend = spend.as_str().unwrap().to_string();
    let spend_block = node.mine(1, &burn_address())[0].clone();
    let raw_fund = dst.call("gettransaction", json!([fund]))["hex"].clone();
    let raw_spend = dst.call("gettransaction", json!([spend]))["hex"].clone();
    let spent_balance = dst.call("getbalance", json!([]));
    assert!(btc(&spent_balance) < 2.0);

    // Forgetting the spend frees its input again.
    assert_eq!(dst.call("removeprunedfunds", json!([spend])), Value::Null);
    assert_eq!(btc(&dst.call("getbalance", json!([]))), 3.0);
    assert_eq!(
        dst.err("gettransaction", json!([spend])).0,
        -5,
        "the spend is gone"
    );
    assert_eq!(
        dst.err("removeprunedfunds", json!([spend])),
        (
            -4,
            format!("Transaction {spend} does not belong to this wallet")
        )
    );
    assert_eq!(
        dst.err("removeprunedfunds", json!(["zz"])),
        (-8, "txid must be of length 64 (not 2, for 'zz')".into())
    );

    // Importing it back with its proof restores it, confirmed in its block.
    let (spend_proof, spend_blk) = proof_of(&node, &spend_block, &spend);
    assert_eq!(
        dst.call("importprunedfunds", json!([raw_spend, spend_proof])),
        Value::Null
    );
    let tx = dst.call("gettransaction", json!([spend]));
    assert_eq!(tx["blockhash"], json!(spend_block));
    assert_eq!(tx["confirmations"], json!(1));
    let index = spend_blk
        .txdata
        .iter()
        .position(|t| t.compute_txid().to_string() == spend)
        .unwrap();
    assert_eq!(tx["blockindex"], json!(index));
    assert_eq!(dst.call("getbalance", json!([])), spent_balance);

    // Removals are written: both stay gone after a restart.
    dst.call("removeprunedfunds", json!([spend]));
    dst.call("removeprunedfunds", json!({"txid": fund}));
    assert_eq!(dst.call("listtransactions", json!([])), json!([]));
    node.restart();
    let dst = node.wallet("dst");
    node.call("loadwallet", json!(["dst"]));
    node.call("loadwallet", json!(["src"]));
    assert_eq!(dst.call("listtransactions", json!([])), json!([]));
    assert_eq!(btc(&dst.call("getbalance", json!([]))), 0.0);

    let (fund_proof, _) = proof_of(&node, &fund_block, &fund);
    assert_eq!(
        dst.err("importprunedfunds", json!([raw_fund, spend_proof])),
        (-5, "Transaction given doesn't exist in proof".into())
    );
    assert_eq!(
        dst.err("importprunedfunds", json!(["00", fund_proof])),
        (
            -22,
            "TX decode failed. Make sure the tx has at least one input.".into()
        )
    );
    assert_eq!(
        dst.err("importprunedfunds", json!([raw_fund, "zz"])),
        (-8, "proof must be hexadecimal string (not 'zz')".into())
    );
    assert_eq!(
        dst.err("importprunedfunds", json!([raw_fund, "00"])),
        (-1, "SpanReader::read(): end of data: iostream error".into())
    );
    let proof_bytes = chain_json::from_hex(&fund_proof).unwrap();
    let mut bad_root = proof_bytes.clone();
    bad_root[36] ^= 1;
    assert_eq!(
        dst.err(
            "importprunedfunds",
            json!([raw_fund, chain_json::to_hex(&bad_root)])
        ),
        (-5, "Something wrong with merkleblock".into())
    );
    let mut other_block = proof_bytes.clone();
    other_block[76] ^= 1;
    assert_eq!(
        dst.err(
            "importprunedfunds",
            json!([raw_fund, chain_json::to_hex(&other_block)])
        ),
        (-5, "Block not found in chain".into())
    );
    let coinbase = proof_of(&node, &fund_block, "00".repeat(32).as_str())
        .1
        .txdata[0]
        .clone();
    let (coinbase_proof, _) = proof_of(&node, &fund_block, &coinbase.compute_txid().to_string());
    assert_eq!(
        dst.err(
            "importprunedfunds",
            json!([
                bitcoin::consensus::encode::serialize_hex(&coinbase),
                coinbase_proof
            ])
        ),
        (
            -5,
            "No addresses in wallet correspond to included transaction".into()
        )
    );

    // The funding alone: its output counts as unspent, the spend being unknown.
    dst.call(
        "importprunedfunds",
        json!({"rawtransaction": raw_fund, "txoutproof": fund_proof}),
    );
    assert_eq!(btc(&dst.call("getbalance", json!([]))), 3.0);
    assert_eq!(
        strings(&json!(dst
            .call("listtransactions", json!([]))
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["txid"].clone())
            .collect::<Vec<_>>())),
        vec![fund.clone()]
    );
}

#[test]
fn watch_only_export_restores_as_the_same_wallet_without_keys() {
    let dir = TempDir::new("export");
    let node = Node::start(&dir.0, &["-keypool=5", "-fallbackfee=0.0001"]);
    node.call("createwallet", json!(["off"]));
    let off = node.wallet("off");
    let paid = off
        .call("getnewaddress", json!(["paid"]))
        .as_str()
        .unwrap()
        .to_string();
    node.mine(1, &paid);
    node.mine(100, &burn_address());
    off.call("sendtoaddress", json!([burn_address(), 1]));
    node.mine(1, &burn_address());
    off.call("setlabel", json!([burn_address(), "burn"]));
    let unspent = off.call("listunspent", json!([]));
    let lock = json!([{"txid": unspent[0]["txid"], "vout": unspent[0]["vout"]}]);
    off.call("lockunspent", json!([false, lock, true]));
    let d = dir.0.display().to_string();

    assert_eq!(
        off.err("exportwatchonlywallet", json!([""])),
        (-4, "Error: Export destination cannot be empty".into())
    );
    assert_eq!(
        off.err("exportwatchonlywallet", json!([d])),
        (
            -4,
            format!("Error: Export destination '{d}' already exists")
        )
    );
    let file = dir.0.join("off_watchonly.dat").display().to_string();
    assert_eq!(
        off.call("exportwatchonlywallet", json!([file])),
        json!({"exported_file": file})
    );
    assert_eq!(
        off.err("exportwatchonlywallet", json!([file])),
        (
            -4,
            format!("Error: Export destination '{file}' already exists")
        )
    );
    node.call("restorewallet", json!(["on", file]));
    let on = node.wallet("on");

    assert_eq!(
        on.call("getwalletinfo", json!([]))["private_keys_enabled"],
        json!(false)
    );
    assert_eq!(
        on.call("listdescriptors", json!([])),
        json!({
            "wallet_name": "on",
            "descriptors": off.call("listdescriptors", json!([]))["descriptors"]
        })
    );
    assert_eq!(
        on.call("listtransactions", json!([])),
        off.call("listtransactions", json!([]))
    );
    assert_eq!(
        on.call("getbalances", json!([]))["mine"],
        off.call("getbalances", json!([]))["mine"]
    );
    assert_eq!(on.call("listlockunspent", json!([])), lock);
    assert_eq!(on.call("listlabels", json!(["send"])), json!(["burn"]));
    assert_eq!(
        on.call("getaddressesbylabel", json!(["paid"])),
        json!({ paid.clone(): {"purpose": "receive"} })
    );
    // Both hand out the same addresses, past the keypool the copy started with.
    for _ in 0..8 {
        assert_eq!(on.address("bech32"), off.address("bech32"));
        assert_eq!(
            on.call("getrawchangeaddress", json!(["bech32m"])),
            off.call("getrawchangeaddress", json!(["bech32m"]))
        );
    }
    // A copy of the copy works too.
    let again = dir.0.join("again.dat").display().to_string();
    on.call("exportwatchonlywallet", json!([again]));
    node.call("restorewallet", json!(["on2", again]));
    assert_eq!(
        node.wallet("on2").call("listdescriptors", json!([]))["descriptors"],
        on.call("listdescriptors", json!([]))["descriptors"]
    );

    // Nothing to export: an error, and no file left behind.
    node.call("createwallet", json!(["nokeys", true, true]));
    let empty = dir.0.join("empty.dat");
    assert_eq!(
        node.wallet("nokeys").err(
            "exportwatchonlywallet",
            json!([empty.display().to_string()])
        ),
        (-4, "Error: Wallet has no descriptors to export".into())
    );
    assert!(!empty.exists());
}
