//! Differential test against Bitcoin Core's libbitcoinconsensus (v26): generated and mutated
//! spends, from random scripts to correctly signed P2PKH, multisig, P2SH, P2WPKH, P2WSH and
//! P2TR (key and script path) inputs. Under the consensus flags both must agree on validity
//! in every case. A disagreement fails with the case in tx_valid.json form.
//!
//! `DIFFERENTIAL_CASES` sets the number of cases (default 100,000) and `DIFFERENTIAL_SEED`
//! the seed, so longer runs can explore further.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{hash160, sha256, Hash, HashEngine};
use bitcoin::secp256k1::{Keypair, Message, Scalar, Secp256k1, SecretKey, XOnlyPublicKey};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};
use consensus::script::{
    op, push_data, push_int, tapleaf_hash, verify_script, TransactionSignatureChecker, VerifyFlags,
};
use consensus::sighash::{
    legacy_signature_hash, segwit_v0_signature_hash, taproot_signature_hash,
    PrecomputedTransactionData, TapscriptData,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const CONSENSUS_FLAGS: [VerifyFlags; 7] = [
    VerifyFlags::P2SH,
    VerifyFlags::DERSIG,
    VerifyFlags::NULLDUMMY,
    VerifyFlags::CHECKLOCKTIMEVERIFY,
    VerifyFlags::CHECKSEQUENCEVERIFY,
    VerifyFlags::WITNESS,
    VerifyFlags::TAPROOT,
];

fn random_flags(rng: &mut Rng) -> VerifyFlags {
    let mut f = VerifyFlags::NONE;
    for flag in CONSENSUS_FLAGS {
        if rng.chance(75) {
            f |= flag;
        }
    }
    if f.contains(VerifyFlags::WITNESS) {
        f |= VerifyFlags::P2SH;
    }
    f
}

const INTERESTING_OPS: &[u8] = &[
    op::OP_IF,
    op::OP_NOTIF,
    op::OP_ELSE,
    op::OP_ENDIF,
    op::OP_VERIFY,
    op::OP_RETURN,
    op::OP_DUP,
    op::OP_DROP,
    op::OP_2DUP,
    op::OP_SWAP,
    op::OP_OVER,
    op::OP_PICK,
    op::OP_ROLL,
    op::OP_ROT,
    op::OP_TOALTSTACK,
    op::OP_FROMALTSTACK,
    op::OP_DEPTH,
    op::OP_SIZE,
    op::OP_EQUAL,
    op::OP_EQUALVERIFY,
    op::OP_1ADD,
    op::OP_ADD,
    op::OP_SUB,
    op::OP_NUMEQUAL,
    op::OP_WITHIN,
    op::OP_MIN,
    op::OP_NOT,
    op::OP_0NOTEQUAL,
    op::OP_HASH160,
    op::OP_SHA256,
    op::OP_HASH256,
    op::OP_CHECKSIG,
    op::OP_CHECKSIGVERIFY,
    op::OP_CHECKMULTISIG,
    op::OP_CHECKSIGADD,
    op::OP_CODESEPARATOR,
    op::OP_CHECKLOCKTIMEVERIFY,
    op::OP_CHECKSEQUENCEVERIFY,
    op::OP_NOP1,
    op::OP_NOP10,
    op::OP_CAT,
    op::OP_VERIF,
    op::OP_RESERVED,
    op::OP_IFDUP,
    op::OP_TUCK,
    op::OP_NIP,
    op::OP_2SWAP,
    op::OP_3DUP,
    op::OP_ABS,
    op::OP_BOOLAND,
    op::OP_LESSTHAN,
    op::OP_MAX,
];

fn random_push(rng: &mut Rng, s: &mut Vec<u8>) {
    let len = *rng.pick(&[0usize, 1, 1, 2, 4, 5, 20, 32, 33, 65, 72, 80, 300, 521]);
    let mut data = rng.bytes(len);
    if len == 1 && rng.chance(50) {
        data[0] = rng.below(18) as u8;
    }
    if rng.chance(10) && len < 256 {
        // A non-minimal push.
        s.push(op::OP_PUSHDATA1);
        s.push(len as u8);
        s.extend_from_slice(&data);
    } else {
        push_data(s, &data);
    }
}

fn random_script(rng: &mut Rng, max_ops: usize, push_only: bool) -> Vec<u8> {
    let mut s = Vec::new();
    for _ in 0..rng.below(max_ops + 1) {
        match rng.below(10) {
            0..=3 => random_push(rng, &mut s),
            4 | 5 => push_int(&mut s, rng.below(20) as i64 - 2),
            _ if push_only => push_int(&mut s, rng.below(3) as i64),
            6 if rng.chance(5) => s.push(rng.next() as u8),
            _ => s.push(*rng.pick(INTERESTING_OPS)),
        }
    }
    s
}

fn tagged(tag: &str, parts: &[&[u8]]) -> [u8; 32] {
    let t = sha256::Hash::hash(tag.as_bytes());
    let mut e = sha256::Hash::engine();
    e.input(t.as_ref());
    e.input(t.as_ref());
    for p in parts {
        e.input(p);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

struct Keys {
    secp: Secp256k1<bitcoin::secp256k1::All>,
    sks: Vec<SecretKey>,
}

impl Keys {
    fn new() -> Keys {
        let sks = (1u8..=3)
            .map(|i| {
                let mut b = [0u8; 32];
                b[31] = i;
                b[0] = 0x5a;
                SecretKey::from_slice(&b).unwrap()
            })
            .collect();
        Keys {
            secp: Secp256k1::new(),
            sks,
        }
    }
    fn pubkey(&self, i: usize, compressed: bool) -> Vec<u8> {
        let pk = self.sks[i].public_key(&self.secp);
        if compressed {
            pk.serialize().to_vec()
        } else {
            pk.serialize_uncompressed().to_vec()
        }
    }
    fn ecdsa(&self, i: usize, hash: [u8; 32], hash_type: u8) -> Vec<u8> {
        let sig = self
            .secp
            .sign_ecdsa(&Message::from_digest(hash), &self.sks[i]);
        let mut v = sig.serialize_der().to_vec();
        v.push(hash_type);
        v
    }
    fn xonly(&self, i: usize) -> XOnlyPublicKey {
        self.sks[i].x_only_public_key(&self.secp).0
    }
}

/// The spend under test: input `n` of `tx`, spending `spent[n]`.
struct Case {
    tx: Transaction,
    spent: Vec<TxOut>,
    n: usize,
    flags: VerifyFlags,
}

fn skeleton(rng: &mut Rng) -> (Transaction, Vec<TxOut>, usize) {
    let n_in = 1 + rng.below(3);
    let n_out = 1 + rng.below(3);
    let version = {
        let r = rng.next();
        *rng.pick(&[1i32, 2, 2, 2, r as i32])
    };
    let lock_time = {
        let r = rng.next();
        *rng.pick(&[
            0u32,
            0,
            100,
            499_999_999,
            500_000_000,
            1_700_000_000,
            r as u32,
        ])
    };
    let input = (0..n_in)
        .map(|_| TxIn {
            previous_output: OutPoint {
                txid: Txid::from_byte_array(rng.bytes(32).try_into().unwrap()),
                vout: rng.below(4) as u32,
            },
            script_sig: ScriptBuf::new(),
            sequence: Sequence({
                let r = rng.next();
                *rng.pick(&[
                    0xffff_ffffu32,
                    0xffff_fffe,
                    0xffff_fffd,
                    0,
                    10,
                    1 << 22 | 5,
                    r as u32,
                ])
            }),
            witness: Witness::new(),
        })
        .collect();
    let output = (0..n_out)
        .map(|_| TxOut {
            value: Amount::from_sat(rng.below(1_000_000) as u64),
            script_pubkey: {
                let len = rng.below(30);
                ScriptBuf::from_bytes(rng.bytes(len))
            },
        })
        .collect();
    let spent = (0..n_in)
        .map(|_| TxOut {
            value: Amount::from_sat(rng.below(2_000_000) as u64),
            script_pubkey: ScriptBuf::from_bytes(vec![op::OP_1]),
        })
        .collect();
    (
        Transaction {
            version: Version(version),
            lock_time: LockTime::from_consensus(lock_time),
            input,
            output,
        },
        spent,
        rng.below(n_in),
    )
}

fn hash_type(rng: &mut Rng) -> u8 {
    {
        let r = rng.next();
        *rng.pick(&[1u8, 1, 1, 2, 3, 0x81, 0x82, 0x83, r as u8])
    }
}

/// A correctly signed spend of one of the standard output types.
fn signed_case(rng: &mut Rng, keys: &Keys) -> Case {
    let (mut tx, mut spent, n) = skeleton(rng);
    let flags = random_flags(rng);
    let amount = spent[n].value.to_sat() as i64;
    let kind = rng.below(9);
    let compressed = rng.chance(80);
    match kind {
        // P2PK, P2PKH and bare 1-of-2 multisig.
        0..=2 => {
            let pk = keys.pubkey(0, compressed);
            let script = match kind {
                0 => [push_vec(&pk), vec![op::OP_CHECKSIG]].concat(),
                1 => p2pkh(&pk),
                _ => [
                    vec![op::OP_1],
                    push_vec(&keys.pubkey(1, true)),
                    push_vec(&pk),
                    vec![op::OP_2, op::OP_CHECKMULTISIG],
                ]
                .concat(),
            };
            spent[n].script_pubkey = ScriptBuf::from_bytes(script.clone());
            let ht = hash_type(rng);
            let sig = keys.ecdsa(0, legacy_signature_hash(&script, &tx, n, ht as i32), ht);
            let mut sig_script = if kind == 2 {
                vec![op::OP_0]
            } else {
                Vec::new()
            };
            push_data(&mut sig_script, &sig);
            if kind == 1 {
                push_data(&mut sig_script, &pk);
            }
            tx.input[n].script_sig = ScriptBuf::from_bytes(sig_script);
        }
        // P2SH around a P2PKH redeem script.
        3 => {
            let pk = keys.pubkey(1, compressed);
            let redeem = p2pkh(&pk);
            spent[n].script_pubkey = ScriptBuf::from_bytes(p2sh(&redeem));
            let ht = hash_type(rng);
            let sig = keys.ecdsa(1, legacy_signature_hash(&redeem, &tx, n, ht as i32), ht);
            let mut s = push_vec(&sig);
            push_data(&mut s, &pk);
            push_data(&mut s, &redeem);
            tx.input[n].script_sig = ScriptBuf::from_bytes(s);
        }
        // P2WPKH, natively or inside P2SH.
        4 | 5 => {
            let pk = keys.pubkey(2, compressed);
            let program = [
                vec![op::OP_0, 20],
                hash160::Hash::hash(&pk).to_byte_array().to_vec(),
            ]
            .concat();
            let code = p2pkh(&pk);
            let ht = hash_type(rng);
            let sig = keys.ecdsa(
                2,
                segwit_v0_signature_hash(&code, &tx, n, ht as i32, amount, None),
                ht,
            );
            tx.input[n].witness = Witness::from_slice(&[sig, pk]);
            if kind == 4 {
                spent[n].script_pubkey = ScriptBuf::from_bytes(program);
            } else {
                spent[n].script_pubkey = ScriptBuf::from_bytes(p2sh(&program));
                tx.input[n].script_sig = ScriptBuf::from_bytes(push_vec(&program));
            }
        }
        // P2WSH with a 1-of-2 multisig.
        6 => {
            let script = [
                vec![op::OP_1],
                push_vec(&keys.pubkey(0, true)),
                push_vec(&keys.pubkey(1, true)),
                vec![op::OP_2, op::OP_CHECKMULTISIG],
            ]
            .concat();
            spent[n].script_pubkey = ScriptBuf::from_bytes(
                [
                    vec![op::OP_0, 32],
                    sha256::Hash::hash(&script).to_byte_array().to_vec(),
                ]
                .concat(),
            );
            let ht = hash_type(rng);
            let sig = keys.ecdsa(
                1,
                segwit_v0_signature_hash(&script, &tx, n, ht as i32, amount, None),
                ht,
            );
            tx.input[n].witness = Witness::from_slice(&[Vec::new(), sig, script]);
        }
        // P2TR key path.
        7 => {
            let internal = keys.xonly(0);
            let tweak = tagged("TapTweak", &[&internal.serialize()]);
            let kp = Keypair::from_secret_key(&keys.secp, &keys.sks[0])
                .add_xonly_tweak(&keys.secp, &Scalar::from_be_bytes(tweak).unwrap())
                .unwrap();
            let q = kp.x_only_public_key().0;
            spent[n].script_pubkey =
                ScriptBuf::from_bytes([vec![op::OP_1, 32], q.serialize().to_vec()].concat());
            let ht = *rng.pick(&[0u8, 0, 1, 2, 3, 0x81, 0x83, 0x84]);
            let data = PrecomputedTransactionData::new(&tx, spent.clone(), true);
            let hash = data
                .bip341
                .as_ref()
                .and_then(|h| taproot_signature_hash(&tx, n, ht, h, &spent, None, None))
                .unwrap_or([0; 32]);
            let mut sig = keys
                .secp
                .sign_schnorr_no_aux_rand(&Message::from_digest(hash), &kp)
                .serialize()
                .to_vec();
            if ht != 0 {
                sig.push(ht);
            }
            tx.input[n].witness = Witness::from_slice(&[sig]);
        }
        // P2TR script path: <key> OP_CHECKSIG in a one-leaf tree.
        _ => {
            let internal = keys.xonly(0);
            let leaf_script =
                [push_vec(&keys.xonly(1).serialize()), vec![op::OP_CHECKSIG]].concat();
            let leaf = tapleaf_hash(0xc0, &leaf_script);
            let tweak = tagged("TapTweak", &[&internal.serialize(), &leaf]);
            let (q, parity) = internal
                .add_tweak(&keys.secp, &Scalar::from_be_bytes(tweak).unwrap())
                .unwrap();
            spent[n].script_pubkey =
                ScriptBuf::from_bytes([vec![op::OP_1, 32], q.serialize().to_vec()].concat());
            let ht = *rng.pick(&[0u8, 1, 3, 0x82]);
            let data = PrecomputedTransactionData::new(&tx, spent.clone(), true);
            let ts = TapscriptData {
                tapleaf_hash: leaf,
                codeseparator_pos: 0xffff_ffff,
            };
            let hash = data
                .bip341
                .as_ref()
                .and_then(|h| taproot_signature_hash(&tx, n, ht, h, &spent, None, Some(&ts)))
                .unwrap_or([0; 32]);
            let kp = Keypair::from_secret_key(&keys.secp, &keys.sks[1]);
            let mut sig = keys
                .secp
                .sign_schnorr_no_aux_rand(&Message::from_digest(hash), &kp)
                .serialize()
                .to_vec();
            if ht != 0 {
                sig.push(ht);
            }
            let mut control = vec![0xc0 | parity.to_u8()];
            control.extend_from_slice(&internal.serialize());
            tx.input[n].witness = Witness::from_slice(&[sig, leaf_script, control]);
        }
    }
    Case {
        tx,
        spent,
        n,
        flags,
    }
}

fn push_vec(d: &[u8]) -> Vec<u8> {
    let mut s = Vec::new();
    push_data(&mut s, d);
    s
}

fn p2pkh(pk: &[u8]) -> Vec<u8> {
    [
        vec![op::OP_DUP, op::OP_HASH160, 20],
        hash160::Hash::hash(pk).to_byte_array().to_vec(),
        vec![op::OP_EQUALVERIFY, op::OP_CHECKSIG],
    ]
    .concat()
}

fn p2sh(script: &[u8]) -> Vec<u8> {
    [
        vec![op::OP_HASH160, 20],
        hash160::Hash::hash(script).to_byte_array().to_vec(),
        vec![op::OP_EQUAL],
    ]
    .concat()
}

fn random_case(rng: &mut Rng) -> Case {
    let (mut tx, mut spent, n) = skeleton(rng);
    let flags = random_flags(rng);
    let push_only = rng.chance(70);
    tx.input[n].script_sig = ScriptBuf::from_bytes(random_script(rng, 6, push_only));
    let script = random_script(rng, 12, false);
    spent[n].script_pubkey = ScriptBuf::from_bytes(match rng.below(4) {
        0 => p2sh(&script),
        1 => [
            vec![op::OP_0, 32],
            sha256::Hash::hash(&script).to_byte_array().to_vec(),
        ]
        .concat(),
        _ => script.clone(),
    });
    if rng.chance(50) {
        let mut items: Vec<Vec<u8>> = (0..rng.below(4))
            .map(|_| {
                let len = rng.below(40);
                rng.bytes(len)
            })
            .collect();
        if rng.chance(60) {
            items.push(script);
        }
        tx.input[n].witness = Witness::from_slice(&items);
    }
    if rng.chance(30) {
        // P2SH redeem script as the last push.
        let mut s = tx.input[n].script_sig.as_bytes().to_vec();
        push_data(&mut s, &random_script(rng, 8, false));
        tx.input[n].script_sig = ScriptBuf::from_bytes(s);
    }
    Case {
        tx,
        spent,
        n,
        flags,
    }
}

/// Changes one thing: a byte of a script or witness item, the amount, a sequence or the locktime.
fn mutate(rng: &mut Rng, c: &mut Case) {
    let n = c.n;
    match rng.below(7) {
        0 => {
            let mut s = c.tx.input[n].script_sig.as_bytes().to_vec();
            flip(rng, &mut s);
            c.tx.input[n].script_sig = ScriptBuf::from_bytes(s);
        }
        1 | 2 => {
            let mut items: Vec<Vec<u8>> = c.tx.input[n].witness.to_vec();
            if !items.is_empty() {
                let i = rng.below(items.len());
                flip(rng, &mut items[i]);
                c.tx.input[n].witness = Witness::from_slice(&items);
            }
        }
        3 => {
            let mut s = c.spent[n].script_pubkey.as_bytes().to_vec();
            flip(rng, &mut s);
            c.spent[n].script_pubkey = ScriptBuf::from_bytes(s);
        }
        4 => c.spent[n].value = Amount::from_sat(c.spent[n].value.to_sat() ^ 1),
        5 => c.tx.input[n].sequence = Sequence(rng.next() as u32),
        _ => c.tx.lock_time = LockTime::from_consensus(rng.next() as u32),
    }
}

fn flip(rng: &mut Rng, v: &mut Vec<u8>) {
    if v.is_empty() {
        v.push(rng.next() as u8);
        return;
    }
    let i = rng.below(v.len());
    match rng.below(3) {
        0 => v[i] ^= 1 << rng.below(8),
        1 => v[i] = rng.next() as u8,
        _ => v.truncate(i),
    }
}

fn ours(c: &Case) -> bool {
    let data = PrecomputedTransactionData::new(&c.tx, c.spent.clone(), false);
    let input = &c.tx.input[c.n];
    let witness: Vec<Vec<u8>> = input.witness.to_vec();
    let checker = TransactionSignatureChecker::new(
        &c.tx,
        c.n,
        c.spent[c.n].value.to_sat() as i64,
        Some(&data),
    );
    verify_script(
        input.script_sig.as_bytes(),
        c.spent[c.n].script_pubkey.as_bytes(),
        &witness,
        c.flags,
        &checker,
    )
    .is_ok()
}

fn core(c: &Case) -> bool {
    let bytes = bitcoin::consensus::serialize(&c.tx);
    let utxos: Vec<bitcoinconsensus::Utxo> = c
        .spent
        .iter()
        .map(|o| bitcoinconsensus::Utxo {
            script_pubkey: o.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: o.script_pubkey.len() as u32,
            value: o.value.to_sat() as i64,
        })
        .collect();
    match bitcoinconsensus::verify_with_flags(
        c.spent[c.n].script_pubkey.as_bytes(),
        c.spent[c.n].value.to_sat(),
        &bytes,
        Some(&utxos),
        c.n,
        c.flags.0,
    ) {
        Ok(()) => true,
        Err(bitcoinconsensus::Error::ERR_SCRIPT) => false,
        Err(e) => panic!(
            "libbitcoinconsensus refused the case ({e:?}): {}",
            describe(c)
        ),
    }
}

/// The case as a tx_valid.json entry (prevouts, serialized transaction, flags).
fn describe(c: &Case) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let prevouts: Vec<String> =
        c.tx.input
            .iter()
            .zip(&c.spent)
            .map(|(i, o)| {
                format!(
                    "[\"{}\", {}, \"0x{}\", {}]",
                    i.previous_output.txid,
                    i.previous_output.vout,
                    hex(o.script_pubkey.as_bytes()),
                    o.value.to_sat()
                )
            })
            .collect();
    format!(
        "[[{}], \"{}\", \"{}\"] (input {}; flags as tx_invalid.json takes them; for tx_valid.json exclude \"{}\")",
        prevouts.join(", "),
        hex(&bitcoin::consensus::serialize(&c.tx)),
        c.flags,
        c.n,
        !c.flags
    )
}

#[test]
fn differential_against_libbitcoinconsensus() {
    let cases: usize = std::env::var("DIFFERENTIAL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("DIFFERENTIAL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_c0de);
    let mut rng = Rng(seed | 1);
    let keys = Keys::new();
    let (mut valid, mut disagreements) = (0usize, Vec::new());
    for i in 0..cases {
        let mut c = if i % 2 == 0 {
            signed_case(&mut rng, &keys)
        } else {
            random_case(&mut rng)
        };
        if rng.chance(40) {
            mutate(&mut rng, &mut c);
        }
        let (a, b) = (ours(&c), core(&c));
        valid += usize::from(b);
        if a != b {
            disagreements.push(format!("ours {a}, Core {b}: {}", describe(&c)));
            if disagreements.len() >= 10 {
                break;
            }
        }
    }
    // Written to the process stderr, which the test harness does not capture.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("differential: checked {cases} cases, {valid} valid per libbitcoinconsensus\n")
            .as_bytes(),
    );
    assert!(
        disagreements.is_empty(),
        "disagreements:\n{}",
        disagreements.join("\n")
    );
    assert!(
        valid > cases / 10,
        "too few valid cases ({valid}) to exercise signatures"
    );
}
