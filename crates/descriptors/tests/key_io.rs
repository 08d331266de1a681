//! Bitcoin Core's address and WIF vectors (tests/data/key_io_*.json, from Core's
//! src/test/data, MIT licence): decoding, re-encoding and refusal of corrupted strings.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::{Network, Script};
use descriptors::{decode_destination, decode_secret, encode_secret, Destination};
use serde_json::Value;

fn network(chain: &str) -> Network {
    match chain {
        "main" => Network::Bitcoin,
        "testnet4" => Network::Testnet4,
        "signet" => Network::Signet,
        "regtest" => Network::Regtest,
        other => panic!("unknown chain {other}"),
    }
}

fn flip_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

#[test]
fn valid_vectors() {
    let tests: Value = serde_json::from_str(include_str!("data/key_io_valid.json")).unwrap();
    for t in tests.as_array().unwrap() {
        let text = t[0].as_str().unwrap();
        let payload = t[1].as_str().unwrap();
        let meta = &t[2];
        let net = network(meta["chain"].as_str().unwrap());
        if meta["isPrivkey"].as_bool().unwrap() {
            let secret = decode_secret(text, net).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(chain_json::to_hex(&secret.key.secret_bytes()), payload);
            assert_eq!(secret.compressed, meta["isCompressed"].as_bool().unwrap());
            assert_eq!(encode_secret(&secret, net), text);
            assert!(decode_destination(text, net).is_err());
        } else {
            let dest = decode_destination(text, net).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(
                chain_json::to_hex(dest.script_pubkey().as_bytes()),
                payload,
                "{text}"
            );
            let flip_ok = meta["tryCaseFlip"].as_bool().unwrap_or(false);
            assert_eq!(
                decode_destination(&flip_case(text), net).is_ok(),
                flip_ok,
                "{text}"
            );
            assert!(decode_secret(text, net).is_none());
            let script_bytes = chain_json::from_hex(payload).unwrap();
            let from_script = Destination::from_script(Script::from_bytes(&script_bytes)).unwrap();
            assert_eq!(from_script.encode(net), text);
        }
    }
}

#[test]
fn invalid_vectors() {
    let tests: Value = serde_json::from_str(include_str!("data/key_io_invalid.json")).unwrap();
    for t in tests.as_array().unwrap() {
        let text = t[0].as_str().unwrap();
        for net in [
            Network::Bitcoin,
            Network::Testnet,
            Network::Signet,
            Network::Regtest,
        ] {
            assert!(decode_destination(text, net).is_err(), "{text}");
            assert!(decode_secret(text, net).is_none(), "{text}");
        }
    }
}
