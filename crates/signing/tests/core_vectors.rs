//! Signatures compared byte for byte with Core's: the signed transactions of Core's
//! `bitcoin-tx` tests (test/functional/data/util/txcreatesign*.hex) and the deterministic
//! signatures of Core's key_tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Network, OutPoint, ScriptBuf, Transaction, TxOut, Witness};
use signing::{key_id, secret_pubkey, sign_transaction, FlatSigningProvider};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn provider_with(wif: &str) -> FlatSigningProvider {
    let secret = descriptors::decode_secret(wif, Network::Bitcoin).unwrap();
    let pubkey = secret_pubkey(&secret);
    let mut p = FlatSigningProvider::new();
    p.pubkeys.insert(key_id(&pubkey), pubkey.clone());
    p.keys.insert(key_id(&pubkey), secret);
    p
}

/// Signs the unsigned form of `signed_hex` and expects `signed_hex` back. bitcoin-tx
/// signed before adding the output (its arguments run in order), so the output is
/// added back after signing.
fn resign(signed_hex: &str, wif: &str, spk: &str, amount: u64) {
    let signed: Transaction = deserialize(&hex(signed_hex)).unwrap();
    let mut tx = signed.clone();
    tx.output.clear();
    for input in &mut tx.input {
        input.script_sig = ScriptBuf::new();
        input.witness = Witness::new();
    }
    let mut coins = BTreeMap::<OutPoint, TxOut>::new();
    coins.insert(
        tx.input[0].previous_output,
        TxOut {
            value: bitcoin::Amount::from_sat(amount),
            script_pubkey: ScriptBuf::from_bytes(hex(spk)),
        },
    );
    let errors = sign_transaction(&mut tx, &provider_with(wif), &coins, 1);
    assert!(errors.is_empty(), "{errors:?}");
    tx.output = signed.output.clone();
    assert_eq!(to_hex(&serialize(&tx)), signed_hex);
}

#[test]
fn bitcoin_tx_signed_transactions() {
    let legacy_spk = "76a91491b24bf9f5288532960ac687abb035127b1d28a588ac";
    let wif = "5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf";
    resign(
        "01000000018594c5bdcaec8f06b78b596f31cd292a294fd031e24eec716f43dac91ea7494d000000008a4730440220131432090a6af42da3e8335ff110831b41a44f4e9d18d88f5d50278380696c7202200fc2e48938f323ad13625890c0ea926c8a189c08b8efc38376b20c8a2188e96e01410479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8ffffffff01a0860100000000001976a9145834479edbbe0539b31ffd3a8f8ebadc2165ed0188ac00000000",
        wif,
        legacy_spk,
        0,
    );
    resign(
        "02000000018594c5bdcaec8f06b78b596f31cd292a294fd031e24eec716f43dac91ea7494d000000008a473044022079c7aa014177a2e973caf6df7c7b8f15399083b91eba370ea1e19c4caed9181e02205f8f8763505ce8e6cbdd2cd28fab3fd407a75003e7d0dc04e6bebb0a3c89e7cb01410479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8ffffffff01a0860100000000001976a9145834479edbbe0539b31ffd3a8f8ebadc2165ed0188ac00000000",
        wif,
        legacy_spk,
        0,
    );
    resign(
        "02000000000101ffeeddccbbaa99887766554433221100ffeeddccbbaa998877665544332211000000000000ffffffff01a0860100000000001976a9145834479edbbe0539b31ffd3a8f8ebadc2165ed0188ac0247304402202e8d8677912f73909ffbdb3ee87d10cce41d398ee206e534fa18330b566ece34022004f944f018a03c9f5b4cf0e9b0ae4f14049b55e7b6810a6ac26cd67cb4dcb31f01210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179800000000",
        "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn",
        "0014751e76e8199196d454941c45d1b3a323f1433bd6",
        0,
    );
}

#[test]
fn key_tests_deterministic_signatures() {
    let hash = sha256d::Hash::hash(b"Very deterministic message").to_byte_array();
    let cases = [
        ("5HxWvvfubhXpYYpS3tJkw6fq9jE9j18THftkZjHHfmFiWtmAbrj", "304402205dbbddda71772d95ce91cd2d14b592cfbc1dd0aabd6a394b6c2d377bbe59d31d022014ddda21494a4e221f0824f0b8b924c43fa43c0ad57dccdaa11f81a6bd4582f6"),
        ("Kwr371tjA9u2rFSMZjTNun2PXXP3WPZu2afRHTcta6KxEUdm1vEw", "304402205dbbddda71772d95ce91cd2d14b592cfbc1dd0aabd6a394b6c2d377bbe59d31d022014ddda21494a4e221f0824f0b8b924c43fa43c0ad57dccdaa11f81a6bd4582f6"),
        ("5KC4ejrDjv152FGwP386VD1i2NYc5KkfSMyv1nGy1VGDxGHqVY3", "3044022052d8a32079c11e79db95af63bb9600c5b04f21a9ca33dc129c2bfa8ac9dc1cd5022061d8ae5e0f6c1a16bde3719c64c2fd70e404b6428ab9a69566962e8771b5944d"),
    ];
    for (wif, expected) in cases {
        let secret = descriptors::decode_secret(wif, Network::Bitcoin).unwrap();
        // Core's uint256 holds the hash in the byte order it was computed.
        assert_eq!(to_hex(&signing::sign_ecdsa(&secret.key, &hash)), expected);
    }
}
