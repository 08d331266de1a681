//! A deterministic "block" of signed spends (P2PKH, P2WPKH, P2TR key path), for the
//! block-verification tests and the benchmark.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{hash160, sha256, Hash, HashEngine};
use bitcoin::secp256k1::{All, Keypair, Message, Scalar, Secp256k1, SecretKey};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use consensus::script::{op, push_data};
use consensus::sighash::{
    legacy_signature_hash, segwit_v0_signature_hash, taproot_signature_hash,
    PrecomputedTransactionData,
};

/// Transactions and, per transaction, the outputs its inputs spend.
pub struct Block {
    pub txs: Vec<Transaction>,
    pub spent: Vec<Vec<TxOut>>,
}

fn tagged(tag: &str, data: &[u8]) -> [u8; 32] {
    let t = sha256::Hash::hash(tag.as_bytes());
    let mut e = sha256::Hash::engine();
    e.input(t.as_ref());
    e.input(t.as_ref());
    e.input(data);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// `count` one-input transactions cycling through P2PKH, P2WPKH and P2TR spends.
pub fn generate(count: usize) -> Block {
    let secp: Secp256k1<All> = Secp256k1::new();
    let mut txs = Vec::with_capacity(count);
    let mut spent = Vec::with_capacity(count);
    for i in 0..count {
        let mut secret = [7u8; 32];
        secret[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        let sk = SecretKey::from_slice(&secret).unwrap();
        let pk = sk.public_key(&secp).serialize();
        let mut prev = [0u8; 32];
        prev[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array(prev),
                    vout: (i % 3) as u32,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence(0xffff_fffd),
                witness: Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: Amount::from_sat(40_000),
                    script_pubkey: ScriptBuf::from_bytes(
                        vec![op::OP_0, 20].into_iter().chain([9u8; 20]).collect(),
                    ),
                },
                TxOut {
                    value: Amount::from_sat(9_000),
                    script_pubkey: ScriptBuf::from_bytes(
                        vec![op::OP_1, 32].into_iter().chain([8u8; 32]).collect(),
                    ),
                },
            ],
        };
        let amount = 50_000i64;
        let pkh = hash160::Hash::hash(&pk).to_byte_array();
        let p2pkh: Vec<u8> = [
            vec![op::OP_DUP, op::OP_HASH160, 20],
            pkh.to_vec(),
            vec![op::OP_EQUALVERIFY, op::OP_CHECKSIG],
        ]
        .concat();
        let out = match i % 3 {
            0 => {
                let h = legacy_signature_hash(&p2pkh, &tx, 0, 1);
                let mut sig = secp
                    .sign_ecdsa(&Message::from_digest(h), &sk)
                    .serialize_der()
                    .to_vec();
                sig.push(1);
                let mut s = Vec::new();
                push_data(&mut s, &sig);
                push_data(&mut s, &pk);
                tx.input[0].script_sig = ScriptBuf::from_bytes(s);
                TxOut {
                    value: Amount::from_sat(amount as u64),
                    script_pubkey: ScriptBuf::from_bytes(p2pkh),
                }
            }
            1 => {
                let h = segwit_v0_signature_hash(&p2pkh, &tx, 0, 1, amount, None);
                let mut sig = secp
                    .sign_ecdsa(&Message::from_digest(h), &sk)
                    .serialize_der()
                    .to_vec();
                sig.push(1);
                tx.input[0].witness = Witness::from_slice(&[sig, pk.to_vec()]);
                let spk: Vec<u8> = [vec![op::OP_0, 20], pkh.to_vec()].concat();
                TxOut {
                    value: Amount::from_sat(amount as u64),
                    script_pubkey: ScriptBuf::from_bytes(spk),
                }
            }
            _ => {
                let internal = sk.x_only_public_key(&secp).0;
                let tweak = tagged("TapTweak", &internal.serialize());
                let kp = Keypair::from_secret_key(&secp, &sk)
                    .add_xonly_tweak(&secp, &Scalar::from_be_bytes(tweak).unwrap())
                    .unwrap();
                let spk: Vec<u8> = [
                    vec![op::OP_1, 32],
                    kp.x_only_public_key().0.serialize().to_vec(),
                ]
                .concat();
                let out = TxOut {
                    value: Amount::from_sat(amount as u64),
                    script_pubkey: ScriptBuf::from_bytes(spk),
                };
                let data = PrecomputedTransactionData::new(&tx, vec![out.clone()], true);
                let h = taproot_signature_hash(
                    &tx,
                    0,
                    0,
                    data.bip341.as_ref().unwrap(),
                    std::slice::from_ref(&out),
                    None,
                    None,
                )
                .unwrap();
                let sig = secp
                    .sign_schnorr_no_aux_rand(&Message::from_digest(h), &kp)
                    .serialize()
                    .to_vec();
                tx.input[0].witness = Witness::from_slice(&[sig]);
                out
            }
        };
        txs.push(tx);
        spent.push(vec![out]);
    }
    Block { txs, spent }
}
