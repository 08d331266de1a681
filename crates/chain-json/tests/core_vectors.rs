//! Bitcoin Core's own test vectors (copied under `tests/data`, see the
//! LICENSE there): `bitcoin-tx -json` outputs and `decodescript` results.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use bitcoin::{Network, ScriptBuf};
use chain_json::{decode_script_json, from_hex, parse_hex_tx, tx_to_json, TxVerbosity};
use serde_json::Value;

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every `bitcoin-tx -json` output: decoding its `hex` and printing it
/// again gives Core's JSON, compared as compact text (key order and number
/// text included).
#[test]
fn bitcoin_tx_json_outputs() {
    let mut count = 0;
    for entry in std::fs::read_dir(data_dir().join("util")).unwrap() {
        let path = entry.unwrap().path();
        let expected = read_json(&path);
        let hex = expected["hex"].as_str().unwrap();
        let tx = parse_hex_tx(hex, true, true).unwrap();
        let ours = tx_to_json(
            &tx,
            None,
            true,
            None,
            TxVerbosity::ShowDetails,
            Network::Bitcoin,
        );
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert_eq!(count, 24);
}

fn decode(hex: &str) -> Value {
    let bytes = if hex.is_empty() {
        Vec::new()
    } else {
        from_hex(hex).unwrap()
    };
    decode_script_json(&ScriptBuf::from_bytes(bytes), Network::Regtest)
}

/// Core's data-driven `decodescript` cases (regtest), compared as objects.
#[test]
fn decodescript_data_driven() {
    let cases = read_json(&data_dir().join("rpc_decodescript.json"));
    let cases = cases.as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let hex = case[0].as_str().unwrap();
        assert_eq!(decode(hex), case[1], "{hex}");
    }
}

const PUBKEY: &str = "03b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2";
const PUBKEY_HASH: &str = "5dd1d3a048119c27b28293056724d9522f26d945";
const UNCOMPRESSED: &str = "04b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb25e01fc8fde47c96c98a4f3a8123e33a38a50cf9025cc8c4494a518f991792bb7";
const SIG: &str = "304502207fa7a6d1e0ee81132a269ad84e68d695483745cde8b541e3bf630749894e342a022100c1f7ab20e13e22fb95281a870f3dcf38d782e53023ee313d741ad0cfbc0c509001";

/// The scriptSig and scriptPubKey cases of Core's `rpc_decodescript.py`.
#[test]
fn decodescript_functional_cases() {
    assert_eq!(decode(&format!("48{SIG}"))["asm"], SIG);
    assert_eq!(
        decode(&format!("48{SIG}21{PUBKEY}"))["asm"],
        format!("{SIG} {PUBKEY}")
    );
    assert_eq!(
        decode(&format!("0048{SIG}48{SIG}"))["asm"],
        format!("0 {SIG} {SIG}")
    );
    assert_eq!(decode("5100")["asm"], "1 0");

    let r = decode(&format!("21{PUBKEY}ac"));
    assert_eq!(r["asm"], format!("{PUBKEY} OP_CHECKSIG"));
    assert_eq!(r["type"], "pubkey");
    assert_eq!(r["segwit"]["asm"], format!("0 {PUBKEY_HASH}"));

    let r = decode(&format!("76a914{PUBKEY_HASH}88ac"));
    assert_eq!(r["type"], "pubkeyhash");
    assert_eq!(r["segwit"]["type"], "witness_v0_keyhash");
    assert_eq!(r["segwit"]["asm"], format!("0 {PUBKEY_HASH}"));

    let multisig = format!("5221{PUBKEY}21{PUBKEY}21{PUBKEY}53ae");
    let r = decode(&multisig);
    assert_eq!(r["type"], "multisig");
    assert_eq!(
        r["asm"],
        format!("2 {PUBKEY} {PUBKEY} {PUBKEY} 3 OP_CHECKMULTISIG")
    );
    assert_eq!(r["segwit"]["type"], "witness_v0_scripthash");

    let r = decode(&format!("a914{PUBKEY_HASH}87"));
    assert_eq!(r["type"], "scripthash");
    assert!(r.get("segwit").is_none());

    let imposter = format!("48{SIG}");
    let r = decode(&format!("6a{imposter}"));
    assert_eq!(r["type"], "nulldata");
    assert_eq!(r["asm"], format!("OP_RETURN {SIG}"));

    let cltv = format!("6321{PUBKEY}ad670320a107b1756821{PUBKEY}ac");
    let r = decode(&cltv);
    assert_eq!(r["type"], "nonstandard");
    assert_eq!(
        r["asm"],
        format!("OP_IF {PUBKEY} OP_CHECKSIGVERIFY OP_ELSE 500000 OP_CHECKLOCKTIMEVERIFY OP_DROP OP_ENDIF {PUBKEY} OP_CHECKSIG")
    );
    assert!(r["segwit"]["asm"].as_str().unwrap().starts_with("0 "));

    let r = decode(&format!("41{UNCOMPRESSED}ac"));
    assert_eq!(r["type"], "pubkey");
    assert!(r.get("segwit").is_none());

    let r = decode(&format!("5221{PUBKEY}41{UNCOMPRESSED}52ae"));
    assert_eq!(r["type"], "multisig");
    assert!(r.get("segwit").is_none());

    let r = decode(&format!("0014{PUBKEY_HASH}"));
    assert_eq!(r["type"], "witness_v0_keyhash");
    assert!(r.get("segwit").is_none());

    let r = decode(&format!("5120{}", "01".repeat(32)));
    assert_eq!(r["type"], "witness_v1_taproot");
    assert!(r.get("segwit").is_none());

    let r = decode("51024e73");
    assert_eq!(r["type"], "anchor");
    assert_eq!(r["asm"], "1 29518");
    assert_eq!(r["address"], "bcrt1pfeesnyr2tx");

    // A script that is not miniscript: Core falls back to the P2WSH address.
    let r = decode("82012088a914ffffffffffffffffffffffffffffffffffffffff882102ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffacb2");
    assert_eq!(
        r["segwit"]["desc"],
        "addr(bcrt1q73qyfypp47hvgnkjqnav0j3k2lq3v76wg22dk8tmwuz5sfgv66xsvxg6uu)#9p3q328s"
    );
}

fn raw_tx(hex: &str) -> Value {
    let tx = parse_hex_tx(hex, true, true).unwrap();
    tx_to_json(
        &tx,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    )
}

/// The scriptSig sighash decoding cases of Core's `rpc_decodescript.py`.
#[test]
fn decoderawtransaction_sighash_asm() {
    let r = raw_tx("0100000001696a20784a2c70143f634e95227dbdfdf0ecd51647052e70854512235f5986ca010000008a47304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb014104d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb95404e1210161536ffffffff0100e1f505000000001976a914eb6c6e0cdb2d256a32d97b8df1fc75d1920d9bca88ac00000000");
    assert_eq!(r["vin"][0]["scriptSig"]["asm"], "304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb[ALL] 04d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb95404e1210161536");

    let multisig_spend = "01000000018d1f5635abd06e2c7e2ddf58dc85b3de111e4ad6e0ab51bb0dcf5e84126d927300000000fdfe0000483045022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf464414c4ed9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea01483045022100b44883be035600e9328a01b66c7d8439b74db64187e76b99a68f7893b701d5380220225bf286493e4c4adcf928c40f785422572eb232f84a0b83b0dea823c3a19c75014c695221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b393532f2102c0120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd87210213820eb3d5f509d7438c9eeecb4157b2f595105e7cd564b3cdbb9ead3da41eed53aeffffffff02611e0000000000001976a914dc863734a218bfe83ef770ee9d41a27f824a6e5688acee2a02000000000017a9142a5edea39971049a540474c6a99edf0aa4074c588700000000";
    let r = raw_tx(multisig_spend);
    assert_eq!(
        r["txid"],
        "8e3730608c3b0bb5df54f09076e196bc292a8e39a78e73b44b6ba08c78f5cbb0"
    );
    assert_eq!(r["vin"][0]["scriptSig"]["asm"], "0 3045022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf464414c4ed9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea[ALL] 3045022100b44883be035600e9328a01b66c7d8439b74db64187e76b99a68f7893b701d5380220225bf286493e4c4adcf928c40f785422572eb232f84a0b83b0dea823c3a19c75[ALL] 5221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b393532f2102c0120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd87210213820eb3d5f509d7438c9eeecb4157b2f595105e7cd564b3cdbb9ead3da41eed53ae");
    assert_eq!(
        r["vout"][0]["scriptPubKey"]["asm"],
        "OP_DUP OP_HASH160 dc863734a218bfe83ef770ee9d41a27f824a6e56 OP_EQUALVERIFY OP_CHECKSIG"
    );
    assert_eq!(
        r["vout"][1]["scriptPubKey"]["asm"],
        "OP_HASH160 2a5edea39971049a540474c6a99edf0aa4074c58 OP_EQUAL"
    );

    let r = raw_tx("01000000015ded05872fdbda629c7d3d02b194763ce3b9b1535ea884e3c8e765d42e316724020000006b48304502204c10d4064885c42638cbff3585915b322de33762598321145ba033fc796971e2022100bb153ad3baa8b757e30a2175bd32852d2e1cb9080f84d7e32fcdfd667934ef1b012103163c0ff73511ea1743fb5b98384a2ff09dd06949488028fd819f4d83f56264efffffffff0200000000000000000b6a0930060201000201000180380100000000001976a9141cabd296e753837c086da7a45a6c2fe0d49d7b7b88ac00000000");
    assert_eq!(
        r["vout"][0]["scriptPubKey"]["asm"],
        "OP_RETURN 300602010002010001"
    );

    // Replacing the scriptSig of the multisig spend, as the functional test does.
    let tx = parse_hex_tx(multisig_spend, true, true).unwrap();
    let push_sig = &tx.input[0].script_sig.as_bytes()[1..1 + 0x49];
    let der = &push_sig[1..push_sig.len() - 1];
    let der_hex = chain_json::to_hex(der);
    let with_sig = |script: Vec<u8>| {
        let mut tx = tx.clone();
        tx.input[0].script_sig = ScriptBuf::from_bytes(script);
        let r = tx_to_json(
            &tx,
            None,
            true,
            None,
            TxVerbosity::ShowDetails,
            Network::Bitcoin,
        );
        r["vin"][0]["scriptSig"]["asm"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut push_sig_2 = push_sig.to_vec();
    if let Some(last) = push_sig_2.last_mut() {
        *last = 0x82;
    }
    assert_eq!(with_sig(push_sig.to_vec()), format!("{der_hex}[ALL]"));
    assert_eq!(
        with_sig(push_sig_2.clone()),
        format!("{der_hex}[NONE|ANYONECANPAY]")
    );
    let mut multi = vec![0x00];
    multi.extend_from_slice(push_sig);
    multi.extend_from_slice(&push_sig_2);
    assert_eq!(
        with_sig(multi),
        format!("0 {der_hex}[ALL] {der_hex}[NONE|ANYONECANPAY]")
    );
    let op_return = from_hex("6a143011020701010101010101020601010101010101").unwrap();
    assert_eq!(
        with_sig(op_return),
        "OP_RETURN 3011020701010101010101020601010101010101"
    );
}

/// `decoderawtransaction` cases of Core's `rpc_rawtransaction.py`; its
/// `iswitness` argument maps to (try_no_witness, try_witness) as
/// true => (false, true), false => (true, false), absent => (true, true).
#[test]
fn decoderawtransaction_witness_heuristics() {
    let witness_tx = "010000000001010000000000000072c1a6a246ae63f74f931e8365e15a089c68d61900000000000000000000ffffffff0100e1f50500000000000102616100000000";
    let tx = parse_hex_tx(witness_tx, false, true).unwrap();
    let v = tx_to_json(
        &tx,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Regtest,
    );
    assert_eq!(
        serde_json::to_string(&v["vout"][0]["value"]).unwrap(),
        "1.00000000"
    );
    assert!(parse_hex_tx(witness_tx, true, false).is_none());

    let legacy_tx = "01000000010000000000000072c1a6a246ae63f74f931e8365e15a089c68d61900000000000000000000ffffffff0100e1f505000000000000000000";
    let tx = parse_hex_tx(legacy_tx, true, false).unwrap();
    assert_eq!(tx.output[0].value.to_sat(), 100_000_000);

    let coinbase = "03c68708046ff8415c622f4254432e434f4d2ffabe6d6de1965d02c68f928e5b244ab1965115a36f56eb997633c7f690124bbf43644e23080000000ca3d3af6d005a65ff0200fd00000000";
    let ambiguous = format!("020000000001010000000000000000000000000000000000000000000000000000000000000000ffffffff4b{coinbase}ffffffff03f4c1fb4b0000000016001497cfc76442fe717f2a3f0cc9c175f7561b6619970000000000000000266a24aa21a9ed957d1036a80343e0d1b659497e1b48a38ebe876a056d45965fac4a85cda84e1900000000000000002952534b424c4f434b3a8e092581ab01986cbadc84f4b43f4fa4bb9e7a2e2a0caf9b7cf64d939028e22c0120000000000000000000000000000000000000000000000000000000000000000000000000");
    let both = parse_hex_tx(&ambiguous, true, true).unwrap();
    let witness_only = parse_hex_tx(&ambiguous, false, true).unwrap();
    assert!(parse_hex_tx(&ambiguous, true, false).is_none());
    assert_eq!(both, witness_only);
    let v = tx_to_json(
        &both,
        None,
        true,
        None,
        TxVerbosity::ShowDetails,
        Network::Bitcoin,
    );
    assert_eq!(v["vin"][0]["coinbase"], coinbase);

    // Version numbers are printed unsigned.
    for (hex_version, printed) in [
        ("00000080", 0x8000_0000_u64),
        ("ffffff7f", 0x7fff_ffff),
        ("00000000", 0),
        ("ffffffff", 0xffff_ffff),
    ] {
        let tx = parse_hex_tx(&format!("{hex_version}000000000000"), true, true).unwrap();
        let v = tx_to_json(
            &tx,
            None,
            true,
            None,
            TxVerbosity::ShowDetails,
            Network::Bitcoin,
        );
        assert_eq!(v["version"], printed);
    }
}
