//! BIP341's wallet vectors (Core's bip341_wallet_vectors.json): output keys, leaf and branch
//! hashes, control blocks, the key-path signature hashes, and the signatures verifying.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{Scalar, Secp256k1, XOnlyPublicKey};
use bitcoin::{Amount, ScriptBuf, Transaction, TxOut};
use consensus::script::{
    tapbranch_hash, tapleaf_hash, verify_script, verify_taproot_commitment,
    TransactionSignatureChecker, VerifyFlags,
};
use consensus::sighash::{taproot_signature_hash, PrecomputedTransactionData};
use serde_json::Value;

fn hexstr(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Leaf hashes by id and the subtree hash of `tree`; `paths` collects each leaf's merkle path.
fn walk(
    tree: &Value,
    leaves: &mut Vec<(u64, [u8; 32], u8, Vec<u8>)>,
    paths: &mut Vec<(u64, Vec<[u8; 32]>)>,
) -> [u8; 32] {
    if let Some(pair) = tree.as_array() {
        let first = leaves.len();
        let a = walk(&pair[0], leaves, paths);
        let mid = leaves.len();
        let b = walk(&pair[1], leaves, paths);
        for (i, (_, path)) in paths.iter_mut().enumerate() {
            if i >= first && i < mid {
                path.push(b);
            } else if i >= mid {
                path.push(a);
            }
        }
        tapbranch_hash(&a, &b)
    } else {
        let script = common::hex(tree["script"].as_str().unwrap());
        let version = tree["leafVersion"].as_u64().unwrap() as u8;
        let h = tapleaf_hash(version, &script);
        leaves.push((tree["id"].as_u64().unwrap(), h, version, script));
        paths.push((tree["id"].as_u64().unwrap(), Vec::new()));
        h
    }
}

fn tap_tweak(internal: &[u8], root: Option<&[u8; 32]>) -> [u8; 32] {
    let tag = sha256::Hash::hash(b"TapTweak");
    let mut e = sha256::Hash::engine();
    e.input(tag.as_ref());
    e.input(tag.as_ref());
    e.input(internal);
    if let Some(r) = root {
        e.input(r);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

#[test]
fn bip341_wallet_vectors() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/bip341_wallet_vectors.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let secp = Secp256k1::verification_only();
    let mut checked = 0;

    for case in v["scriptPubKey"].as_array().unwrap() {
        let internal = common::hex(case["given"]["internalPubkey"].as_str().unwrap());
        let tree = &case["given"]["scriptTree"];
        let mut leaves = Vec::new();
        let mut paths = Vec::new();
        let root = (!tree.is_null()).then(|| walk(tree, &mut leaves, &mut paths));
        let inter = &case["intermediary"];
        if let Some(hashes) = inter["leafHashes"].as_array() {
            let got: Vec<String> = leaves.iter().map(|l| hexstr(&l.1)).collect();
            let want: Vec<String> = hashes
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect();
            assert_eq!(got, want);
        }
        assert_eq!(
            root.map(|r| hexstr(&r)),
            inter["merkleRoot"].as_str().map(str::to_string)
        );
        let tweak = tap_tweak(&internal, root.as_ref());
        assert_eq!(hexstr(&tweak), inter["tweak"].as_str().unwrap());
        let p = XOnlyPublicKey::from_slice(&internal).unwrap();
        let (q, parity) = p
            .add_tweak(&secp, &Scalar::from_be_bytes(tweak).unwrap())
            .unwrap();
        assert_eq!(
            hexstr(&q.serialize()),
            inter["tweakedPubkey"].as_str().unwrap()
        );
        assert_eq!(
            format!("5120{}", hexstr(&q.serialize())),
            case["expected"]["scriptPubKey"].as_str().unwrap()
        );
        if let Some(blocks) = case["expected"]["scriptPathControlBlocks"].as_array() {
            for (i, want) in blocks.iter().enumerate() {
                let (id, leaf, version, _) = &leaves[i];
                let path = &paths.iter().find(|(pid, _)| pid == id).unwrap().1;
                let mut control = vec![*version | parity.to_u8()];
                control.extend_from_slice(&internal);
                for node in path {
                    control.extend_from_slice(node);
                }
                assert_eq!(hexstr(&control), want.as_str().unwrap());
                assert!(verify_taproot_commitment(&control, &q.serialize(), leaf));
                let mut wrong = control.clone();
                wrong[0] ^= 1;
                assert!(!verify_taproot_commitment(&wrong, &q.serialize(), leaf));
            }
        }
        checked += 1;
    }

    for case in v["keyPathSpending"].as_array().unwrap() {
        let tx: Transaction = bitcoin::consensus::deserialize(&common::hex(
            case["given"]["rawUnsignedTx"].as_str().unwrap(),
        ))
        .unwrap();
        let spent: Vec<TxOut> = case["given"]["utxosSpent"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| TxOut {
                value: Amount::from_sat(u["amountSats"].as_u64().unwrap()),
                script_pubkey: ScriptBuf::from_bytes(common::hex(
                    u["scriptPubKey"].as_str().unwrap(),
                )),
            })
            .collect();
        let data = PrecomputedTransactionData::new(&tx, spent.clone(), true);
        let h = data.bip341.unwrap();
        let inter = &case["intermediary"];
        assert_eq!(hexstr(&h.amounts), inter["hashAmounts"].as_str().unwrap());
        assert_eq!(hexstr(&h.outputs), inter["hashOutputs"].as_str().unwrap());
        assert_eq!(hexstr(&h.prevouts), inter["hashPrevouts"].as_str().unwrap());
        assert_eq!(
            hexstr(&h.scripts),
            inter["hashScriptPubkeys"].as_str().unwrap()
        );
        assert_eq!(
            hexstr(&h.sequences),
            inter["hashSequences"].as_str().unwrap()
        );
        for input in case["inputSpending"].as_array().unwrap() {
            let idx = input["given"]["txinIndex"].as_u64().unwrap() as usize;
            let hash_type = input["given"]["hashType"].as_u64().unwrap() as u8;
            let sighash =
                taproot_signature_hash(&tx, idx, hash_type, &h, &spent, None, None).unwrap();
            assert_eq!(
                hexstr(&sighash),
                input["intermediary"]["sigHash"].as_str().unwrap()
            );
            let witness: Vec<Vec<u8>> = input["expected"]["witness"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| common::hex(w.as_str().unwrap()))
                .collect();
            let flags = VerifyFlags::P2SH | VerifyFlags::WITNESS | VerifyFlags::TAPROOT;
            let checker = TransactionSignatureChecker::new(
                &tx,
                idx,
                spent[idx].value.to_sat() as i64,
                Some(&data),
            );
            assert_eq!(
                verify_script(
                    &[],
                    spent[idx].script_pubkey.as_bytes(),
                    &witness,
                    flags,
                    &checker
                ),
                Ok(())
            );
            // One flipped bit in the signature must fail.
            let mut bad = witness.clone();
            bad[0][10] ^= 1;
            assert!(verify_script(
                &[],
                spent[idx].script_pubkey.as_bytes(),
                &bad,
                flags,
                &checker
            )
            .is_err());
            checked += 1;
        }
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("bip341_wallet_vectors: checked {checked} entries\n").as_bytes(),
    );
    assert!(checked >= 14);
}
