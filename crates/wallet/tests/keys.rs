//! The wallet's address book, descriptors, backups and encryption against a real
//! `bitcoind` on regtest (Core's wallet_basic, wallet_labels, wallet_importdescriptors,
//! wallet_listdescriptors, wallet_backup and wallet_encryption behaviour).
//!
//! `bitcoind` is found beside the test's own directory (`target/debug/bitcoind`, built
//! with `cargo build -p node --bins`) or at `$BITCOIND`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use bitcoin::bip32::Xpriv;
use bitcoin::{Network, NetworkKind};
use serde_json::{json, Value};
use support::{burn_address, keys, Node, TempDir, Wallet};

fn tprv(seed: u8) -> String {
    let x = Xpriv::new_master(NetworkKind::Test, &[seed; 32]).unwrap();
    descriptors::encode_xpriv(&x, Network::Regtest)
}

fn btc(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn address_info_labels_keypool_and_signing() {
    let dir = TempDir::new("info");
    let node = Node::start(&dir.0, &["-keypool=10"]);
    node.call("createwallet", json!(["w"]));
    let w = node.wallet("w");

    let receive = w.address("bech32");
    let info = w.call("getaddressinfo", json!([receive]));
    assert_eq!(
        keys(&info),
        [
            "address",
            "scriptPubKey",
            "ismine",
            "solvable",
            "desc",
            "parent_desc",
            "iswatchonly",
            "isscript",
            "iswitness",
            "witness_version",
            "witness_program",
            "pubkey",
            "ischange",
            "timestamp",
            "hdkeypath",
            "hdseedid",
            "hdmasterfingerprint",
            "labels"
        ]
    );
    assert_eq!(info["ismine"], json!(true));
    assert_eq!(info["solvable"], json!(true));
    assert_eq!(info["ischange"], json!(false));
    assert_eq!(info["iswatchonly"], json!(false));
    assert_eq!(info["hdkeypath"], json!("m/84h/1h/0h/0/0"));
    assert_eq!(
        info["hdseedid"],
        json!("0000000000000000000000000000000000000000")
    );
    assert_eq!(info["labels"], json!([""]));
    let fingerprint = info["hdmasterfingerprint"].as_str().unwrap();
    let pubkey = info["pubkey"].as_str().unwrap();
    assert_eq!(
        info["desc"].as_str().unwrap().split('#').next().unwrap(),
        format!("wpkh([{fingerprint}/84h/1h/0h/0/0]{pubkey})")
    );
    assert!(info["parent_desc"]
        .as_str()
        .unwrap()
        .starts_with(&format!("wpkh([{fingerprint}/84h/1h/0h]tpub")));
    let checked = node.call("getdescriptorinfo", json!([info["desc"]]));
    assert_eq!(checked["descriptor"], info["desc"]);

    let change = w
        .call("getrawchangeaddress", json!(["bech32"]))
        .as_str()
        .unwrap()
        .to_string();
    let info = w.call("getaddressinfo", json!([change]));
    assert_eq!(info["ischange"], json!(true));
    assert_eq!(info["hdkeypath"], json!("m/84h/1h/0h/1/0"));
    assert_eq!(info["labels"], json!([]));

    let legacy = w.address("legacy");
    let info = w.call("getaddressinfo", json!([legacy]));
    assert_eq!(info["iscompressed"], json!(true));
    assert_eq!(info["isscript"], json!(false));
    assert_eq!(info["iswitness"], json!(false));
    assert_eq!(info["hdkeypath"], json!("m/44h/1h/0h/0/0"));

    let nested = w.address("p2sh-segwit");
    let info = w.call("getaddressinfo", json!([nested]));
    assert_eq!(info["script"], json!("witness_v0_keyhash"));
    assert_eq!(info["embedded"]["iswitness"], json!(true));
    assert_eq!(info["embedded"]["pubkey"], info["pubkey"]);
    assert!(info["desc"].as_str().unwrap().starts_with("sh(wpkh(["));
    assert_eq!(info["hdkeypath"], json!("m/49h/1h/0h/0/0"));

    let taproot = w.address("bech32m");
    let info = w.call("getaddressinfo", json!([taproot]));
    assert_eq!(info["witness_version"], json!(1));
    assert_eq!(info["hdkeypath"], json!("m/86h/1h/0h/0/0"));
    assert!(info["desc"].as_str().unwrap().starts_with("tr(["));

    let foreign = w.call("getaddressinfo", json!([burn_address()]));
    assert_eq!(foreign["ismine"], json!(false));
    assert_eq!(foreign["solvable"], json!(false));
    assert!(foreign.get("desc").is_none());
    assert!(foreign.get("parent_desc").is_none());
    assert_eq!(
        w.err("getaddressinfo", json!(["notanaddress"])).0,
        -5,
        "invalid addresses are refused"
    );

    // Labels.
    let labelled = w
        .call("getnewaddress", json!(["lbl"]))
        .as_str()
        .unwrap()
        .to_string();
    w.call("setlabel", json!([receive, "lbl"]));
    w.call("setlabel", json!([burn_address(), "ext"]));
    let by_label = w.call("getaddressesbylabel", json!(["lbl"]));
    assert_eq!(by_label.as_object().unwrap().len(), 2);
    assert_eq!(by_label[&labelled], json!({"purpose": "receive"}));
    assert_eq!(by_label[&receive], json!({"purpose": "receive"}));
    assert_eq!(
        w.call("getaddressesbylabel", json!(["ext"])),
        json!({ burn_address(): {"purpose": "send"} })
    );
    assert_eq!(w.call("listlabels", json!([])), json!(["", "ext", "lbl"]));
    assert_eq!(w.call("listlabels", json!(["send"])), json!(["ext"]));
    assert_eq!(w.call("listlabels", json!(["receive"])), json!(["", "lbl"]));
    assert_eq!(
        w.err("listlabels", json!(["bogus"])),
        (
            -8,
            "Invalid 'purpose' argument, must be a known purpose string, typically 'send', or 'receive'."
                .into()
        )
    );
    assert_eq!(
        w.err("getaddressesbylabel", json!(["none"])),
        (-11, "No addresses with label none".into())
    );
    assert_eq!(
        w.err("setlabel", json!(["bad", "x"])),
        (-5, "Invalid Bitcoin address".into())
    );
    assert_eq!(
        w.err("setlabel", json!([receive, "*"])),
        (-11, "Invalid label name".into())
    );
    assert_eq!(
        w.call("getaddressinfo", json!([receive]))["labels"],
        json!(["lbl"])
    );

    // Keypool.
    w.call("keypoolrefill", json!([20]));
    let info = w.call("getwalletinfo", json!([]));
    assert_eq!(info["keypoolsize"], json!(80));
    assert_eq!(info["keypoolsize_hd_internal"], json!(80));
    assert_eq!(
        w.err("keypoolrefill", json!([-1])),
        (-8, "Invalid parameter, expected valid size.".into())
    );

    // Signed messages.
    let sig = w.call("signmessage", json!([legacy, "hello"]));
    assert_eq!(
        node.call("verifymessage", json!([legacy, sig, "hello"])),
        json!(true)
    );
    assert_eq!(
        w.err("signmessage", json!([receive, "hello"])),
        (-3, "Address does not refer to key".into())
    );
    assert_eq!(
        w.err("signmessage", json!(["bad", "hello"])),
        (-5, "Invalid address".into())
    );
    let stranger = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn";
    assert_eq!(
        w.err("signmessage", json!([stranger, "hello"])),
        (-4, "Private key not available".into())
    );
}

#[test]
fn import_and_list_descriptors() {
    let dir = TempDir::new("import");
    let node = Node::start(&dir.0, &["-keypool=10"]);
    node.call("createwallet", json!(["w"]));
    let w = node.wallet("w");

    let private = chain_json::add_checksum(&format!("wpkh({}/0/*)", tprv(21)));
    let public = node.call("getdescriptorinfo", json!([private]))["descriptor"]
        .as_str()
        .unwrap()
        .to_string();
    let addresses: Vec<String> = node
        .call("deriveaddresses", json!([public, [0, 9]]))
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();

    // Coins to the descriptor before it is imported are found by the rescan.
    node.mine(1, &addresses[1]);
    // Coins to a key of our own, to spend to the descriptor afterwards.
    let spender = tprv(22);
    let spender_desc = chain_json::add_checksum(&format!("wpkh({spender}/0)"));
    let spender_addr = node.call(
        "deriveaddresses",
        json!([node.call("getdescriptorinfo", json!([spender_desc]))["descriptor"]]),
    )[0]
    .as_str()
    .unwrap()
    .to_string();
    let blocks = node.mine(101, &spender_addr);

    assert_eq!(
        w.err("importdescriptors", json!([[{"desc": private}]])),
        (-3, "Missing required timestamp field for key".into())
    );
    let result = w.call(
        "importdescriptors",
        json!([[{"desc": private, "timestamp": 0, "range": [0, 5]}]]),
    );
    assert_eq!(result, json!([{"success": true}]));
    let balances = w.call("getbalances", json!([]));
    assert_eq!(btc(&balances["mine"]["trusted"]), 50.0);

    // A payment to one of its addresses is seen in the pool, then confirmed.
    let block = node.call("getblock", json!([blocks[0]]));
    let coinbase = block["tx"][0].as_str().unwrap();
    let raw = node.call(
        "createrawtransaction",
        json!([[{"txid": coinbase, "vout": 0}], [{ addresses[2].clone(): 49.999 }]]),
    );
    let spender_wif = {
        let x = Xpriv::new_master(NetworkKind::Test, &[22u8; 32]).unwrap();
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let child = x
            .derive_priv(&secp, &[bitcoin::bip32::ChildNumber::from(0)])
            .unwrap();
        descriptors::encode_secret(
            &descriptors::Secret {
                key: child.private_key,
                compressed: true,
            },
            Network::Regtest,
        )
    };
    let prevout = node.call("getblock", json!([blocks[0], 2]))["tx"][0]["vout"][0].clone();
    let signed = node.call(
        "signrawtransactionwithkey",
        json!([raw, [spender_wif], [{
            "txid": coinbase,
            "vout": 0,
            "scriptPubKey": prevout["scriptPubKey"]["hex"],
            "amount": prevout["value"],
        }]]),
    );
    assert_eq!(signed["complete"], json!(true), "{signed}");
    node.call("sendrawtransaction", json!([signed["hex"]]));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = btc(&w.call("getbalances", json!([]))["mine"]["untrusted_pending"]);
        if pending == 49.999 {
            break;
        }
        assert!(Instant::now() < deadline, "payment not seen: {pending}");
        std::thread::sleep(Duration::from_millis(100));
    }
    node.mine(1, &burn_address());
    let balances = w.call("getbalances", json!([]));
    assert_eq!(btc(&balances["mine"]["trusted"]), 99.999);
    let info = w.call("getaddressinfo", json!([addresses[2]]));
    assert_eq!(info["ismine"], json!(true));
    assert_eq!(info["parent_desc"], json!(public));
    assert_eq!(info["hdkeypath"], json!("m/0/2"));

    // listdescriptors: the imported one inactive, after the wallet's eight, sorted.
    let listed = w.call("listdescriptors", json!([]));
    assert_eq!(listed["wallet_name"], json!("w"));
    let descs = listed["descriptors"].as_array().unwrap();
    assert_eq!(descs.len(), 9);
    let texts: Vec<&str> = descs.iter().map(|d| d["desc"].as_str().unwrap()).collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(texts, sorted);
    let imported = descs.iter().find(|d| d["desc"] == json!(public)).unwrap();
    // Used up to index 2, then topped up by the keypool size.
    assert_eq!(
        imported,
        &json!({"desc": public, "timestamp": 1, "active": false, "range": [0, 12], "next": 3, "next_index": 3})
    );
    assert_eq!(
        descs.iter().filter(|d| d["active"] == json!(true)).count(),
        8
    );
    assert_eq!(
        descs
            .iter()
            .filter(|d| d["internal"] == json!(true))
            .count(),
        4
    );
    let with_keys = w.call("listdescriptors", json!([true]));
    let privs: Vec<&str> = with_keys["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["desc"].as_str().unwrap())
        .collect();
    assert!(privs.contains(&private.as_str()));
    assert!(privs
        .iter()
        .all(|d| d.contains("tprv") && !d.contains("tpub")));

    // Made active at a chosen index, it hands out that address next.
    let result = w.call(
        "importdescriptors",
        json!([[{"desc": private, "timestamp": "now", "range": [0, 20], "next_index": 5, "active": true}]]),
    );
    assert_eq!(result, json!([{"success": true}]));
    assert_eq!(w.address("bech32"), addresses[5]);
    let result = w.call(
        "importdescriptors",
        json!([[{"desc": private, "timestamp": "now", "range": [1, 2]}]]),
    );
    assert_eq!(result[0]["success"], json!(false));
    assert_eq!(
        result[0]["error"],
        json!({"code": -4, "message": format!("Could not add descriptor '{private}': new range must include current range = [0,20]")})
    );
    let result = w.call(
        "importdescriptors",
        json!([[{"desc": public, "timestamp": "now"}]]),
    );
    assert_eq!(
        result,
        json!([{"success": false, "error": {"code": -4, "message": "Cannot import descriptor without private keys to a wallet with private keys enabled"}, "warnings": ["Range not given, using default keypool range"]}])
    );
}

#[test]
fn backup_and_restore() {
    let dir = TempDir::new("backup");
    let node = Node::start(&dir.0, &["-keypool=10"]);
    node.call("createwallet", json!(["w"]));
    let w = node.wallet("w");
    let address = w.address("bech32");
    node.mine(101, &address);
    let balances = w.call("getbalances", json!([]));
    assert_eq!(btc(&balances["mine"]["trusted"]), 50.0);

    let backup = dir.0.join("backup.dat");
    w.call("backupwallet", json!([backup.display().to_string()]));
    assert!(backup.exists());
    assert_eq!(
        w.err(
            "backupwallet",
            json!([dir.0.join("no/such/dir/b.dat").display().to_string()])
        ),
        (-4, "Error: Wallet backup failed!".into())
    );

    let restored = node.call(
        "restorewallet",
        json!(["restored", backup.display().to_string()]),
    );
    assert_eq!(restored, json!({"name": "restored"}));
    let r = node.wallet("restored");
    assert_eq!(r.call("getbalances", json!([]))["mine"], balances["mine"]);
    assert_eq!(
        r.call("listdescriptors", json!([true]))["descriptors"],
        w.call("listdescriptors", json!([true]))["descriptors"]
    );
    assert_eq!(
        r.call("getaddressinfo", json!([address]))["ismine"],
        json!(true)
    );

    let (code, msg) = match node.try_call(
        "restorewallet",
        json!(["restored", backup.display().to_string()]),
    ) {
        Err(e) => e,
        Ok(v) => panic!("restored twice: {v}"),
    };
    assert_eq!(code, -36);
    assert!(
        msg.starts_with("Failed to restore wallet. Database file exists in '")
            && msg.ends_with("restored/wallet.dat'."),
        "{msg}"
    );
    let missing = dir.0.join("missing.dat").display().to_string();
    assert_eq!(
        node.try_call("restorewallet", json!(["other", missing]))
            .unwrap_err(),
        (-8, "Backup file does not exist".into())
    );
    assert!(!dir.0.join("regtest/wallets/other").exists());
}

fn wait_locked(w: &Wallet<'_>, address: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match w.try_call("signmessage", json!([address, "m"])) {
            Err((-13, _)) => return,
            Ok(_) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
        assert!(Instant::now() < deadline, "the wallet did not relock");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn encryption_unlock_relock_and_restart() {
    let dir = TempDir::new("encrypt");
    let mut node = Node::start(&dir.0, &["-keypool=10"]);
    node.call("createwallet", json!(["plain"]));
    node.call("createwallet", json!(["e"]));
    {
        let plain = node.wallet("plain");
        assert_eq!(
            plain.err("walletpassphrase", json!(["x", 1])),
            (
                -15,
                "Error: running with an unencrypted wallet, but walletpassphrase was called."
                    .into()
            )
        );
        assert_eq!(
            plain.err("walletlock", json!([])).0,
            -15,
            "walletlock needs an encrypted wallet"
        );
        assert_eq!(
            plain.err("walletpassphrasechange", json!(["a", "b"])).0,
            -15
        );
        assert!(plain
            .call("getwalletinfo", json!([]))
            .get("unlocked_until")
            .is_none());
    }
    let w = node.wallet("e");
    let before = w.call("listdescriptors", json!([]))["descriptors"].clone();
    assert_eq!(
        w.err("encryptwallet", json!([""])),
        (-8, "passphrase cannot be empty".into())
    );
    assert_eq!(
        w.call("encryptwallet", json!(["pass"])),
        json!("wallet encrypted; The keypool has been flushed and a new HD seed was generated. You need to make a new backup with the backupwallet RPC.")
    );
    assert_eq!(
        w.err("encryptwallet", json!(["pass"])),
        (
            -15,
            "Error: running with an encrypted wallet, but encryptwallet was called.".into()
        )
    );
    // A new seed: eight new active descriptors beside the old, now inactive, ones.
    let after = w.call("listdescriptors", json!([]))["descriptors"].clone();
    assert_eq!(after.as_array().unwrap().len(), 16);
    for old in before.as_array().unwrap() {
        let now = after
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["desc"] == old["desc"])
            .unwrap();
        assert_eq!(now["active"], json!(false));
    }
    assert_eq!(
        w.call("getwalletinfo", json!([]))["unlocked_until"],
        json!(0)
    );

    // Locked: addresses still come, keys do not.
    let legacy = w.address("legacy");
    w.address("bech32");
    assert_eq!(
        w.err("signmessage", json!([legacy, "m"])),
        (
            -13,
            "Error: Please enter the wallet passphrase with walletpassphrase first.".into()
        )
    );
    assert_eq!(w.err("listdescriptors", json!([true])).0, -13);
    assert_eq!(w.err("keypoolrefill", json!([])).0, -13);
    assert_eq!(
        w.err("walletpassphrase", json!(["wrong", 10])),
        (
            -14,
            "Error: The wallet passphrase entered was incorrect.".into()
        )
    );
    assert_eq!(
        w.err("walletpassphrase", json!(["pass", -1])),
        (-8, "Timeout cannot be negative.".into())
    );
    assert_eq!(
        w.err("walletpassphrase", json!(["", 1])),
        (-8, "passphrase cannot be empty".into())
    );

    // Unlocked for two seconds, then relocked by itself.
    w.call("walletpassphrase", json!(["pass", 2]));
    let until = w.call("getwalletinfo", json!([]))["unlocked_until"]
        .as_i64()
        .unwrap();
    assert!(until > 0);
    let sig = w.call("signmessage", json!([legacy, "m"]));
    assert_eq!(
        node.call("verifymessage", json!([legacy, sig, "m"])),
        json!(true)
    );
    let privs = w.call("listdescriptors", json!([true]));
    assert_eq!(privs["descriptors"].as_array().unwrap().len(), 16);
    wait_locked(&w, &legacy);
    assert_eq!(
        w.call("getwalletinfo", json!([]))["unlocked_until"],
        json!(0)
    );

    // A newer unlock outlives the timer of an older one.
    w.call("walletpassphrase", json!(["pass", 1]));
    w.call("walletpassphrase", json!(["pass", 100]));
    std::thread::sleep(Duration::from_millis(2500));
    w.call("signmessage", json!([legacy, "m"]));
    w.call("walletlock", json!([]));
    assert_eq!(w.err("signmessage", json!([legacy, "m"])).0, -13);
    assert_eq!(
        w.call("getwalletinfo", json!([]))["unlocked_until"],
        json!(0)
    );

    // The passphrase changes.
    assert_eq!(
        w.err("walletpassphrasechange", json!(["bad", "new"])),
        (
            -14,
            "Error: The wallet passphrase entered was incorrect.".into()
        )
    );
    assert_eq!(
        w.err("walletpassphrasechange", json!(["pass", ""])),
        (-8, "passphrase cannot be empty".into())
    );
    w.call("walletpassphrasechange", json!(["pass", "new"]));
    assert_eq!(w.err("walletpassphrase", json!(["pass", 10])).0, -14);
    w.call("walletpassphrase", json!(["new", 10]));
    w.call("signmessage", json!([legacy, "m"]));
    drop(w);

    // After a restart the wallet loads locked and unlocks with the new passphrase.
    node.restart();
    node.call("loadwallet", json!(["e"]));
    let w = node.wallet("e");
    assert_eq!(
        w.call("getwalletinfo", json!([]))["unlocked_until"],
        json!(0)
    );
    assert_eq!(w.err("signmessage", json!([legacy, "m"])).0, -13);
    let next = w.address("legacy");
    assert_ne!(next, legacy);
    w.call("walletpassphrase", json!(["new", 30]));
    let sig = w.call("signmessage", json!([next, "m"]));
    assert_eq!(
        node.call("verifymessage", json!([next, sig, "m"])),
        json!(true)
    );
    assert_eq!(
        w.call("listdescriptors", json!([true]))["descriptors"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
}
