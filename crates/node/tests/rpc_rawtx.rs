//! The raw-transaction and PSBT commands against a running `bitcoind`, with the results
//! and errors Core's functional tests expect: building, decoding, signing (coins from the
//! chain and from `prevtxs`), combining, and the PSBT round (create, update, analyze,
//! sign, finalize, join).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bitcoin::secp256k1::SecretKey;
use bitcoin::Network;
use descriptors::{encode_secret, Secret};
use serde_json::{json, Value};
use support::{TempDir, TestNode, BITCOIND};

const PSBT_VECTORS: &str = include_str!("../../signing/tests/data/rpc_psbt.json");
const TXID: &str = "1d1d4e24ed99057e84c3f80fd8fbec79ed9e1acee37da269356ecea000000000";

/// A regtest key: WIF and compressed public key (hex).
fn key(byte: u8) -> (String, String) {
    let secret = Secret {
        key: SecretKey::from_slice(&[byte; 32]).unwrap(),
        compressed: true,
    };
    let wif = encode_secret(&secret, Network::Regtest);
    (wif, secret.public_key().to_string())
}

/// An amount as Core prints it (eight decimals, compared as text).
fn amount(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn with_checksum(node: &TestNode, desc: &str) -> String {
    let info = node.call("getdescriptorinfo", json!([desc]));
    format!("{desc}#{}", info["checksum"].as_str().unwrap())
}

fn address(node: &TestNode, desc: &str) -> String {
    let d = with_checksum(node, desc);
    node.call("deriveaddresses", json!([d]))[0]
        .as_str()
        .unwrap()
        .to_string()
}

fn script_of(node: &TestNode, addr: &str) -> String {
    node.call("validateaddress", json!([addr]))["scriptPubKey"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Mines `n` blocks to `addr` and returns the coinbase txid of the first.
fn mine_to(node: &TestNode, addr: &str, n: u32) -> String {
    let hashes = node.call("generatetoaddress", json!([n, addr]));
    let block = node.call("getblock", json!([hashes[0], 1]));
    block["tx"][0].as_str().unwrap().to_string()
}

#[test]
fn raw_transactions_and_psbts() {
    let dir = TempDir::new("rpc-rawtx");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    create_and_decode(&node);
    decode_scripts(&node);
    let (wif, pubkey) = key(1);
    let wpkh_addr = address(&node, &format!("wpkh({pubkey})"));
    let (wif2, pubkey2) = key(2);
    let (wif3, pubkey3) = key(3);
    let msig = node.call("createmultisig", json!([2, [pubkey2, pubkey3], "bech32"]));
    let msig_addr = msig["address"].as_str().unwrap().to_string();
    let coin_wpkh = mine_to(&node, &wpkh_addr, 1);
    let coin_msig = mine_to(&node, &msig_addr, 1);
    mine_to(&node, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", 100);

    sign_with_key(&node, &coin_wpkh, &wif, &wpkh_addr);
    combine(
        &node,
        &coin_msig,
        &wif2,
        &wif3,
        msig["redeemScript"].as_str().unwrap(),
    );
    psbt_vectors(&node);
    psbt_round(&node, &coin_wpkh, &wif, &pubkey, &wpkh_addr);
}

/// A raw JSON-RPC body (repeated object keys survive, as they would from any client).
fn raw_error(node: &TestNode, body: &str) -> String {
    let r = node.post("/", body, Some(&node.cookie().unwrap())).unwrap();
    let v: Value = serde_json::from_str(&r.body).unwrap();
    v["error"]["message"].as_str().unwrap_or("").to_string()
}

fn create_and_decode(node: &TestNode) {
    let addr = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
    // Repeated keys in the outputs object, positional and named, as Core's getKeys walk.
    let body = format!(
        r#"{{"jsonrpc":"1.0","id":1,"method":"createrawtransaction","params":[[],{{"{addr}":1,"{addr}":2}}]}}"#
    );
    assert_eq!(
        raw_error(node, &body),
        format!("Invalid parameter, duplicated address: {addr}")
    );
    let body = r#"{"jsonrpc":"1.0","id":1,"method":"createrawtransaction","params":{"inputs":[],"outputs":{"data":"00","data":"01"}}}"#;
    assert_eq!(
        raw_error(node, body),
        "Invalid parameter, duplicate key: data"
    );
    let inputs = json!([{"txid": TXID, "vout": 1}]);
    let hex = node.call(
        "createrawtransaction",
        json!([inputs, [{addr: 1.5}, {"data": "00ff"}]]),
    );
    // Version 2, sequence 0xfffffffd (replaceable by default), 1.5 BTC to the P2WPKH, then
    // the OP_RETURN.
    let txid_le: String = (0..32).rev().map(|i| &TXID[2 * i..2 * i + 2]).collect();
    assert_eq!(
        hex,
        json!(format!("0200000001{txid_le}0100000000fdffffff0280d1f00800000000160014751e76e8199196d454941c45d1b3a323f1433bd60000000000000000046a0200ff00000000"))
    );
    let decoded = node.call("decoderawtransaction", json!([hex]));
    let keys: Vec<&String> = decoded.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout"]
    );
    assert_eq!(decoded["vout"][0]["value"], amount("1.50000000"));
    assert_eq!(
        decoded["vout"][1]["scriptPubKey"]["type"],
        json!("nulldata")
    );
    assert_eq!(decoded["vin"][0]["sequence"], json!(4294967293u32));

    // Non-replaceable with a lock time: sequence 0xfffffffe.
    let hex = node.call(
        "createrawtransaction",
        json!([inputs, {addr: "0.1"}, 7, false, 3]),
    );
    let decoded = node.call("decoderawtransaction", json!([hex]));
    assert_eq!(decoded["vin"][0]["sequence"], json!(4294967294u32));
    assert_eq!(decoded["locktime"], json!(7));
    assert_eq!(decoded["version"], json!(3));

    let errors: &[(Value, i64, &str)] = &[
        (
            json!([[{"txid": TXID}], {}]),
            -8,
            "Invalid parameter, missing vout key",
        ),
        (
            json!([[{"txid": TXID, "vout": -1}], {}]),
            -8,
            "Invalid parameter, vout cannot be negative",
        ),
        (
            json!([[{"txid": TXID, "vout": 0, "sequence": -1}], {}]),
            -8,
            "Invalid parameter, sequence number is out of range",
        ),
        (
            json!([[{"txid": "ab", "vout": 0}], {}]),
            -8,
            "txid must be of length 64 (not 2, for 'ab')",
        ),
        (
            json!([[{"vout": 0}], {}]),
            -3,
            "JSON value of type null is not of expected type string",
        ),
        (json!([[], {"foo": 1}]), -5, "Invalid Bitcoin address: foo"),
        (json!([[], {addr: "x"}]), -3, "Invalid amount"),
        (
            json!([[], [{addr: 1}, {addr: 1}]]),
            -8,
            &format!("Invalid parameter, duplicated address: {addr}"),
        ),
        (
            json!([[], [{"data": "aa"}, {"data": "bb"}]]),
            -8,
            "Invalid parameter, duplicate key: data",
        ),
        (
            json!([[], [{"data": "zz"}]]),
            -8,
            "Data must be hexadecimal string (not 'zz')",
        ),
        (
            json!([[], [{"a": 1, "b": 2}]]),
            -8,
            "Invalid parameter, key-value pair must contain exactly one key",
        ),
        (
            json!([[], ["x"]]),
            -8,
            "Invalid parameter, key-value pair not an object as expected",
        ),
        (
            json!([[], {}, -1]),
            -8,
            "Invalid parameter, locktime out of range",
        ),
        (
            json!([[], {}, 4294967296u64]),
            -8,
            "Invalid parameter, locktime out of range",
        ),
        (
            json!([[], {}, 0, true, 4]),
            -8,
            "Invalid parameter, version out of range(1~3)",
        ),
        (
            json!([[{"txid": TXID, "vout": 0, "sequence": 4294967295u32}], {}, 0, true]),
            -8,
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ),
    ];
    for (params, code, message) in errors {
        assert_eq!(
            node.call_err("createrawtransaction", params.clone()),
            (*code, message.to_string()),
            "{params}"
        );
    }
    assert_eq!(
        node.call_err("decoderawtransaction", json!(["00"])),
        (-22, "TX decode failed".to_string())
    );
}

fn decode_scripts(node: &TestNode) {
    let r = node.call(
        "decodescript",
        json!(["76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"]),
    );
    assert_eq!(r["type"], json!("pubkeyhash"));
    assert_eq!(r["segwit"]["type"], json!("witness_v0_keyhash"));
    // A sane miniscript is described as such inside wsh().
    let r = node.call("decodescript", json!(["82012088a914ffffffffffffffffffffffffffffffffffffffff88210250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0ad51b2"]));
    assert_eq!(r["segwit"]["desc"], json!("wsh(and_v(and_v(v:hash160(ffffffffffffffffffffffffffffffffffffffff),v:pk(0250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)),older(1)))#gm8xz4fl"));
    assert_eq!(
        node.call("decodescript", json!([""]))["type"],
        json!("nonstandard")
    );
    assert_eq!(
        node.call_err("decodescript", json!(["0g"])),
        (
            -8,
            "argument must be hexadecimal string (not '0g')".to_string()
        )
    );
}

fn spend(node: &TestNode, txid: &str, to: &str, amount: f64) -> String {
    node.call(
        "createrawtransaction",
        json!([[{"txid": txid, "vout": 0}], [{to: amount}]]),
    )
    .as_str()
    .unwrap()
    .to_string()
}

fn sign_with_key(node: &TestNode, coin: &str, wif: &str, addr: &str) {
    let raw = spend(node, coin, addr, 49.9);
    // The coin is found in the UTXO set.
    let signed = node.call("signrawtransactionwithkey", json!([raw, [wif]]));
    assert_eq!(signed["complete"], json!(true));
    assert!(signed.get("errors").is_none());
    let decoded = node.call("decoderawtransaction", json!([signed["hex"]]));
    assert_eq!(
        decoded["vin"][0]["txinwitness"].as_array().unwrap().len(),
        2
    );
    // Signing is deterministic (RFC6979 with low R): the same result again.
    let again = node.call("signrawtransactionwithkey", json!([raw, [wif]]));
    assert_eq!(again["hex"], signed["hex"]);

    // Without the right key: incomplete, with Core's error entry.
    let (other, _) = key(9);
    let r = node.call("signrawtransactionwithkey", json!([raw, [other]]));
    assert_eq!(r["complete"], json!(false));
    let e = &r["errors"][0];
    assert_eq!(e["txid"], json!(coin));
    assert_eq!(e["vout"], json!(0));
    assert_eq!(e["witness"], json!([]));
    assert_eq!(e["sequence"], json!(4294967293u32));
    // A P2WPKH witness must have two items (Core: SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH).
    assert_eq!(e["error"], json!("Witness program hash mismatch"));

    // An unknown coin.
    let unknown = spend(node, TXID, addr, 1.0);
    let r = node.call("signrawtransactionwithkey", json!([unknown, [wif]]));
    assert_eq!(
        r["errors"][0]["error"],
        json!("Input not found or already spent")
    );

    // A segwit coin given in prevtxs without its amount.
    let spk = script_of(node, addr);
    let prevtxs = json!([{"txid": TXID, "vout": 0, "scriptPubKey": spk}]);
    let (code, message) = node.call_err(
        "signrawtransactionwithkey",
        json!([unknown, [wif], prevtxs]),
    );
    assert_eq!(code, -3);
    assert_eq!(
        message,
        format!(
            "Missing amount for CTxOut(nValue=21000000.00000000, scriptPubKey={})",
            &spk[..30]
        )
    );
    let prevtxs = json!([{"txid": TXID, "vout": 0, "scriptPubKey": spk, "amount": 2}]);
    let r = node.call(
        "signrawtransactionwithkey",
        json!([unknown, [wif], prevtxs]),
    );
    assert_eq!(r["complete"], json!(true));

    let errors: &[(Value, i64, &str)] = &[
        (json!([raw, ["notakey"]]), -5, "Invalid private key"),
        (
            json!([format!("{raw}00"), [wif]]),
            -22,
            "TX decode failed. Make sure the tx has at least one input.",
        ),
        (
            json!([raw, [wif], null, "all"]),
            -8,
            "'all' is not a valid sighash parameter.",
        ),
        (
            json!([raw, [wif], [1]]),
            -22,
            "expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}",
        ),
        (
            json!([raw, [wif], [{"txid": TXID, "vout": 0}]]),
            -3,
            "Missing scriptPubKey",
        ),
        (
            json!([raw, [wif], [{"txid": TXID, "vout": -1, "scriptPubKey": "00"}]]),
            -22,
            "vout cannot be negative",
        ),
        (
            json!([raw, [wif], [{"txid": coin, "vout": 0, "scriptPubKey": "51"}]]),
            -22,
            &format!(
                "Previous output scriptPubKey mismatch:\n0 {}\nvs:\n1",
                &spk[4..]
            ),
        ),
        (
            json!([raw, [wif], [{"txid": TXID, "vout": 0, "scriptPubKey": "a914000000000000000000000000000000000000000087"}]]),
            -8,
            "Missing redeemScript/witnessScript",
        ),
    ];
    for (params, code, message) in errors {
        assert_eq!(
            node.call_err("signrawtransactionwithkey", params.clone()),
            (*code, message.to_string()),
            "{params}"
        );
    }
}

fn combine(node: &TestNode, coin: &str, wif2: &str, wif3: &str, witness_script: &str) {
    let raw = spend(
        node,
        coin,
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        49.9,
    );
    // The coin is on chain, but its witness script only comes with prevtxs.
    let no_script = node.call("signrawtransactionwithkey", json!([raw, [wif2]]));
    assert_eq!(
        no_script["errors"][0]["error"],
        json!("Witness program was passed an empty witness")
    );
    let spk = node.call("decodescript", json!([witness_script]))["segwit"]["hex"].clone();
    let prevtxs = json!([{"txid": coin, "vout": 0, "scriptPubKey": spk, "witnessScript": witness_script, "amount": 50}]);
    let half1 = node.call("signrawtransactionwithkey", json!([raw, [wif2], prevtxs]));
    let half2 = node.call("signrawtransactionwithkey", json!([raw, [wif3], prevtxs]));
    assert_eq!(half1["complete"], json!(false));
    assert_eq!(
        half1["errors"][0]["error"],
        json!("CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)")
    );
    let combined = node.call(
        "combinerawtransaction",
        json!([[half1["hex"], half2["hex"]]]),
    );
    let both = node.call(
        "signrawtransactionwithkey",
        json!([raw, [wif2, wif3], prevtxs]),
    );
    assert_eq!(both["complete"], json!(true));
    assert_eq!(combined, both["hex"]);
    let decoded = node.call("decoderawtransaction", json!([combined]));
    let witness = decoded["vin"][0]["txinwitness"].as_array().unwrap();
    assert_eq!(witness.len(), 4);
    assert_eq!(witness[3], json!(witness_script));

    assert_eq!(
        node.call_err("combinerawtransaction", json!([[raw]])),
        (
            -22,
            "Missing transactions. At least two transactions required.".to_string()
        )
    );
    assert_eq!(
        node.call_err("combinerawtransaction", json!([[raw, "00"]])),
        (
            -22,
            "TX decode failed for tx 1. Make sure the tx has at least one input.".to_string()
        )
    );
    let other = spend(
        node,
        coin,
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        49.8,
    );
    assert_eq!(
        node.call_err("combinerawtransaction", json!([[raw, other]])),
        (
            -8,
            "Transaction number 2 not compatible with first transaction".to_string()
        )
    );
    let unknown = spend(
        node,
        TXID,
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        1.0,
    );
    assert_eq!(
        node.call_err("combinerawtransaction", json!([[unknown, unknown]])),
        (-25, "Input not found or already spent".to_string())
    );
}

fn psbt_vectors(node: &TestNode) {
    let d: Value = serde_json::from_str(PSBT_VECTORS).unwrap();
    for c in d["creator"].as_array().unwrap() {
        let created = node.call(
            "createpsbt",
            json!({"inputs": c["inputs"], "outputs": c["outputs"], "replaceable": false, "psbt_version": c["version"]}),
        );
        assert_eq!(created, c["result"]);
    }
    for v in d["valid"].as_array().unwrap() {
        node.call("decodepsbt", json!([v]));
    }
    for v in d["invalid"].as_array().unwrap() {
        let (code, message) = node.call_err("decodepsbt", json!([v]));
        assert_eq!(code, -22);
        assert!(message.starts_with("TX decode failed"), "{message}");
    }
    for case in d["invalid_with_msg"].as_array().unwrap() {
        let (code, message) = node.call_err("decodepsbt", json!([case[0]]));
        assert_eq!(code, -22);
        let expected = format!("TX decode failed {}", case[1].as_str().unwrap());
        assert!(message.starts_with(&expected), "{message} vs {expected}");
    }
    for c in d["combiner"].as_array().unwrap() {
        assert_eq!(node.call("combinepsbt", json!([c["combine"]])), c["result"]);
    }
    for c in d["finalizer"].as_array().unwrap() {
        assert_eq!(
            node.call("finalizepsbt", json!([c["finalize"], false]))["psbt"],
            c["result"]
        );
    }
    for c in d["extractor"].as_array().unwrap() {
        assert_eq!(
            node.call("finalizepsbt", json!([c["extract"], true]))["hex"],
            c["result"]
        );
    }
    assert_eq!(
        node.call_err("combinepsbt", json!([[]])),
        (-8, "Parameter 'txs' cannot be empty".to_string())
    );
    assert_eq!(
        node.call_err("decodepsbt", json!([";definitely not base64;"])),
        (-22, "TX decode failed invalid base64".to_string())
    );
    assert_eq!(
        node.call_err("decodepsbt", json!(["cHNidP8BAA=="])),
        (
            -22,
            "TX decode failed SpanReader::read(): end of data: iostream error".to_string()
        )
    );
}

fn psbt_round(node: &TestNode, coin: &str, wif: &str, pubkey: &str, addr: &str) {
    let inputs = json!([{"txid": coin, "vout": 0}]);
    let outputs = json!([{"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080": 49.99}]);
    for version in [0, 2] {
        let psbt = node.call("createpsbt", json!([inputs, outputs, 0, true, 2, version]));
        let decoded = node.call("decodepsbt", json!([psbt]));
        assert_eq!(decoded["psbt_version"], json!(version));
        assert_eq!(decoded.get("tx").is_some(), version == 0);
        assert!(decoded.get("fee").is_none());

        let analysis = node.call("analyzepsbt", json!([psbt]));
        assert_eq!(
            analysis,
            json!({"inputs": [{"has_utxo": false, "is_final": false, "next": "updater"}], "next": "updater"})
        );

        // The witness UTXO comes from the UTXO set; the descriptor adds the key path.
        let desc = with_checksum(node, &format!("wpkh({pubkey})"));
        let updated = node.call("utxoupdatepsbt", json!([psbt, [desc]]));
        let decoded = node.call("decodepsbt", json!([updated]));
        let input = &decoded["inputs"][0];
        assert_eq!(input["witness_utxo"]["amount"], amount("50.00000000"));
        assert_eq!(
            input["witness_utxo"]["scriptPubKey"]["address"],
            json!(addr)
        );
        assert_eq!(input["bip32_derivs"][0]["pubkey"], json!(pubkey));
        assert_eq!(input["bip32_derivs"][0]["path"], json!("m"));
        assert_eq!(decoded["fee"], amount("0.01000000"));

        let analysis = node.call("analyzepsbt", json!([updated]));
        assert_eq!(analysis["next"], json!("signer"));
        assert_eq!(
            analysis["inputs"][0]["missing"]["signatures"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(analysis["fee"], amount("0.01000000"));
        assert_eq!(analysis["estimated_vsize"], json!(110));
        assert_eq!(analysis["estimated_feerate"], amount("0.09090909"));

        // Signing through descriptors gives what signrawtransactionwithkey gives.
        let private = with_checksum(node, &format!("wpkh({wif})"));
        let processed = node.call("descriptorprocesspsbt", json!([psbt, [private]]));
        assert_eq!(processed["complete"], json!(true));
        let raw = node.call("createrawtransaction", json!([inputs, outputs]));
        let signed = node.call("signrawtransactionwithkey", json!([raw, [wif]]));
        assert_eq!(processed["hex"], signed["hex"]);
        let finalized = node.call("finalizepsbt", json!([processed["psbt"]]));
        assert_eq!(finalized, json!({"hex": signed["hex"], "complete": true}));
        let kept = node.call("finalizepsbt", json!([processed["psbt"], false]));
        assert_eq!(kept["complete"], json!(true));
        assert!(kept["psbt"].is_string());
        assert_eq!(
            node.call("analyzepsbt", json!([kept["psbt"]]))["next"],
            json!("extractor")
        );
    }

    // converttopsbt refuses signed inputs unless told to drop them.
    let raw = node.call("createrawtransaction", json!([inputs, outputs]));
    let signed = node.call("signrawtransactionwithkey", json!([raw, [wif]]))["hex"].clone();
    assert_eq!(
        node.call_err("converttopsbt", json!([signed])),
        (
            -22,
            "Inputs must not have scriptSigs and scriptWitnesses".to_string()
        )
    );
    let converted = node.call("converttopsbt", json!([signed, true]));
    let created = node.call("createpsbt", json!([inputs, outputs]));
    assert_eq!(converted, created);
    assert_eq!(
        node.call_err("converttopsbt", json!([raw, false, null, 1])),
        (-8, "The PSBT version can only be 2 or 0".to_string())
    );

    // joinpsbts: version 0 only, distinct inputs.
    let a = node.call(
        "createpsbt",
        json!([[{"txid": TXID, "vout": 0}], outputs, 0, true, 2, 0]),
    );
    let b = node.call(
        "createpsbt",
        json!([[{"txid": TXID, "vout": 1}], [{"data": "00"}], 0, true, 2, 0]),
    );
    let joined = node.call("joinpsbts", json!([[a, b]]));
    let decoded = node.call("decodepsbt", json!([joined]));
    assert_eq!(decoded["tx"]["vin"].as_array().unwrap().len(), 2);
    assert_eq!(decoded["tx"]["vout"].as_array().unwrap().len(), 2);
    assert_eq!(
        node.call_err("joinpsbts", json!([[a, a]])),
        (-8, format!("Input {TXID}:0 exists in multiple PSBTs"))
    );
    assert_eq!(
        node.call_err("joinpsbts", json!([[a]])),
        (
            -8,
            "At least two PSBTs are required to join PSBTs.".to_string()
        )
    );
    let v2 = node.call("createpsbt", json!([[{"txid": TXID, "vout": 2}], outputs]));
    assert_eq!(
        node.call_err("joinpsbts", json!([[a, v2]])),
        (-8, "joinpsbts only operates on version 0 PSBTs".to_string())
    );
    assert_eq!(
        node.call_err("combinepsbt", json!([[a, b]])),
        (
            -8,
            "PSBTs not compatible (different transactions)".to_string()
        )
    );
}
