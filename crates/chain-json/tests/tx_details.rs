//! Transaction JSON details beyond Core's bitcoin-tx vectors: witnesses,
//! spent coins (`prevout`, `fee`), block hashes and the coinbase summary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;

use bitcoin::{Amount, BlockHash, Network, ScriptBuf, TxOut};
use chain_json::{
    coinbase_tx_json, from_hex, parse_hex_tx, serialize_tx, to_hex, tx_to_json, SpentCoin,
    TxVerbosity,
};

/// A P2WPKH spend from Core's tx_valid.json.
const SEGWIT_TX: &str = "0100000000010100010000000000000000000000000000000000000000000000000000000000000000000000ffffffff01e8030000000000001976a9144c9c3dfac4207d5d8cb89df5722cb3d712385e3f88ac02483045022100cfb07164b36ba64c1b1e8c7720a56ad64d96f6ef332d3d37f9cb3c96477dc44502200a464cd7a9cf94cd70f66ce4f4f0625ef650052c7afcfe29d7d7e01830ff91ed012103596d3451025c19dbbdeb932d6bf8bfb4ad499b95b6f88db8899efac102e5fc7100000000";

#[test]
fn segwit_sizes_match_rust_bitcoin() {
    let tx = parse_hex_tx(SEGWIT_TX, true, true).unwrap();
    assert_eq!(to_hex(&serialize_tx(&tx, true)), SEGWIT_TX);
    let v = tx_to_json(
        &tx,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert_eq!(v["txid"], tx.compute_txid().to_string());
    assert_eq!(v["hash"], tx.compute_wtxid().to_string());
    assert_ne!(v["txid"], v["hash"]);
    assert_eq!(v["size"], tx.total_size());
    assert_eq!(v["weight"], tx.weight().to_wu());
    assert_eq!(v["vsize"], tx.vsize());
    assert_eq!(v["vin"][0]["scriptSig"]["asm"], "");
    assert_eq!(v["vin"][0]["txinwitness"].as_array().unwrap().len(), 2);
    assert_eq!(v["hex"], SEGWIT_TX);
}

#[test]
fn prevout_fee_and_blockhash() {
    let tx = parse_hex_tx(SEGWIT_TX, true, true).unwrap();
    let spent = [SpentCoin {
        output: TxOut {
            value: Amount::from_sat(1_500),
            script_pubkey: ScriptBuf::from_bytes(
                from_hex("00144c9c3dfac4207d5d8cb89df5722cb3d712385e3f").unwrap(),
            ),
        },
        height: 7,
        coinbase: true,
    }];
    let hash =
        BlockHash::from_str("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")
            .unwrap();
    let v = tx_to_json(
        &tx,
        Some(hash),
        false,
        Some(&spent),
        TxVerbosity::ShowDetailsAndPrevout,
        Network::Bitcoin,
    );
    let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "txid",
            "hash",
            "version",
            "size",
            "vsize",
            "weight",
            "locktime",
            "vin",
            "vout",
            "fee",
            "blockhash"
        ]
    );
    let vin = serde_json::to_string(&v["vin"][0]).unwrap();
    let expected_vin = concat!(
        r#"{"txid":"0000000000000000000000000000000000000000000000000000000000000100","vout":0,"#,
        r#""scriptSig":{"asm":"","hex":""},"txinwitness":["#,
        r#""3045022100cfb07164b36ba64c1b1e8c7720a56ad64d96f6ef332d3d37f9cb3c96477dc44502200a464cd7a9cf94cd70f66ce4f4f0625ef650052c7afcfe29d7d7e01830ff91ed01","#,
        r#""03596d3451025c19dbbdeb932d6bf8bfb4ad499b95b6f88db8899efac102e5fc71"],"#,
        r#""prevout":{"generated":true,"height":7,"value":0.00001500,"scriptPubKey":{"#,
        r#""asm":"0 4c9c3dfac4207d5d8cb89df5722cb3d712385e3f","#,
        r#""desc":"addr(bc1qfjwrm7kyyp74mr9cnh6hyt9n6ufrsh3lwq7xd3)#"#,
    );
    assert!(vin.starts_with(expected_vin), "{vin}");
    assert!(vin.ends_with(
        r#""hex":"00144c9c3dfac4207d5d8cb89df5722cb3d712385e3f","address":"bc1qfjwrm7kyyp74mr9cnh6hyt9n6ufrsh3lwq7xd3","type":"witness_v0_keyhash"}},"sequence":4294967295}"#
    ), "{vin}");
    assert_eq!(serde_json::to_string(&v["fee"]).unwrap(), "0.00000500");
    assert_eq!(v["blockhash"], hash.to_string());

    // Details only: fee without prevout.
    let v = tx_to_json(
        &tx,
        None,
        true,
        Some(&spent),
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert!(v["vin"][0].get("prevout").is_none());
    assert!(v.get("fee").is_some());
    assert!(v.get("blockhash").is_none());

    // An all-zero block hash is not shown.
    let zero = BlockHash::from_str(&"00".repeat(32)).unwrap();
    let v = tx_to_json(
        &tx,
        Some(zero),
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert!(v.get("blockhash").is_none());
    assert!(v.get("fee").is_none());
}

#[test]
fn coinbase_summary() {
    // A segwit coinbase: one input with the null outpoint and a 32-byte
    // witness reserved value.
    let hex = concat!(
        "020000000001010000000000000000000000000000000000000000000000000000000000000000ffffffff",
        "0502cd000101ffffffff0200f2052a01000000160014751e76e8199196d454941c45d1b3a323f1433bd6",
        "0000000000000000266a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9",
        "0120000000000000000000000000000000000000000000000000000000000000000000000000"
    );
    let tx = parse_hex_tx(hex, true, true).unwrap();
    let v = coinbase_tx_json(&tx);
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        format!(
            r#"{{"version":2,"locktime":0,"sequence":4294967295,"coinbase":"02cd000101","witness":"{}"}}"#,
            "00".repeat(32)
        )
    );
    let v = tx_to_json(
        &tx,
        None,
        false,
        None,
        TxVerbosity::ShowDetails,
        Network::Regtest,
    );
    let vin = serde_json::to_string(&v["vin"]).unwrap();
    assert_eq!(
        vin,
        format!(
            r#"[{{"coinbase":"02cd000101","txinwitness":["{}"],"sequence":4294967295}}]"#,
            "00".repeat(32)
        )
    );
    assert_eq!(
        v["vout"][0]["scriptPubKey"]["address"],
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
    );
    assert_eq!(v["vout"][1]["scriptPubKey"]["type"], "nulldata");
}

#[test]
fn negative_and_large_values_print_as_core() {
    // One output whose value field is all ones: Core reads -1 satoshi.
    let hex = "0100000000 01 ffffffffffffffff 00 00000000".replace(' ', "");
    let tx = parse_hex_tx(&hex, true, true).unwrap();
    let v = tx_to_json(
        &tx,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert_eq!(
        serde_json::to_string(&v["vout"][0]["value"]).unwrap(),
        "-0.00000001"
    );
    assert_eq!(v["hex"], hex);
    let v = tx_to_json(
        &tx,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert_eq!(v["vout"][0]["scriptPubKey"]["type"], "nonstandard");
}
