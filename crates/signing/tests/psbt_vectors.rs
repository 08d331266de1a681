//! Core's PSBT vectors (tests/data/rpc_psbt.json, from Bitcoin Core's functional tests):
//! invalid ones fail with Core's messages, valid ones round-trip byte for byte, and the
//! signer, combiner, finalizer and extractor cases give Core's results.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::Network;
use serde_json::Value;
use signing::psbt::{
    combine_psbts, finalize_and_extract, finalize_psbt, precompute_psbt_data, sign_psbt_input, Psbt,
};
use signing::{key_id, secret_pubkey, FlatSigningProvider};

fn vectors() -> Value {
    let text = include_str!("data/rpc_psbt.json");
    serde_json::from_str(text).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn invalid_psbts_fail() {
    let d = vectors();
    for (i, text) in strings(&d["invalid"]).iter().enumerate() {
        assert!(Psbt::from_base64(text).is_err(), "invalid[{i}] decoded");
    }
    for case in d["invalid_with_msg"].as_array().unwrap() {
        let text = case[0].as_str().unwrap();
        let msg = case[1].as_str().unwrap();
        let err = Psbt::from_base64(text).expect_err(msg);
        assert!(err.contains(msg), "expected {msg:?}, got {err:?}");
    }
}

#[test]
fn valid_psbts_round_trip() {
    let d = vectors();
    for (i, text) in strings(&d["valid"]).iter().enumerate() {
        let psbt = Psbt::from_base64(text).unwrap_or_else(|e| panic!("valid[{i}]: {e}"));
        // Core writes previous transactions without their witnesses, so only PSBTs
        // without witness data there come back unchanged; all must be stable.
        let has_witness = psbt.inputs.iter().any(|i| {
            i.non_witness_utxo
                .as_ref()
                .is_some_and(|t| t.input.iter().any(|x| !x.witness.is_empty()))
        });
        let encoded = psbt.to_base64();
        if !has_witness {
            assert_eq!(&encoded, text, "valid[{i}] re-encoded differently");
        }
        let again = Psbt::from_base64(&encoded).unwrap();
        assert_eq!(again.to_base64(), encoded, "valid[{i}] is not stable");
    }
}

#[test]
fn signer_cases() {
    let d = vectors();
    for (n, case) in d["signer"].as_array().unwrap().iter().enumerate() {
        let mut provider = FlatSigningProvider::new();
        for wif in strings(&case["privkeys"]) {
            let secret = descriptors::decode_secret(&wif, Network::Testnet).unwrap();
            let pubkey = secret_pubkey(&secret);
            provider.pubkeys.insert(key_id(&pubkey), pubkey);
            provider
                .keys
                .insert(key_id(&secret_pubkey(&secret)), secret);
        }
        let mut psbt = Psbt::from_base64(case["psbt"].as_str().unwrap()).unwrap();
        let txdata = precompute_psbt_data(&psbt).unwrap();
        for i in 0..psbt.inputs.len() {
            let _ = sign_psbt_input(&provider, &mut psbt, i, Some(&txdata), Some(1), true, None);
        }
        assert_eq!(
            psbt.to_base64(),
            case["result"].as_str().unwrap(),
            "signer[{n}]"
        );
    }
}

#[test]
fn combiner_finalizer_extractor() {
    let d = vectors();
    for case in d["combiner"].as_array().unwrap() {
        let psbts: Vec<Psbt> = strings(&case["combine"])
            .iter()
            .map(|t| Psbt::from_base64(t).unwrap())
            .collect();
        let combined = combine_psbts(&psbts).unwrap();
        assert_eq!(combined.to_base64(), case["result"].as_str().unwrap());
    }
    for case in d["finalizer"].as_array().unwrap() {
        let mut psbt = Psbt::from_base64(case["finalize"].as_str().unwrap()).unwrap();
        finalize_psbt(&mut psbt);
        assert_eq!(psbt.to_base64(), case["result"].as_str().unwrap());
    }
    for case in d["extractor"].as_array().unwrap() {
        let mut psbt = Psbt::from_base64(case["extract"].as_str().unwrap()).unwrap();
        let tx = finalize_and_extract(&mut psbt).unwrap();
        let hex: String = chain_json::serialize_tx(&tx, true)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, case["result"].as_str().unwrap());
    }
}
