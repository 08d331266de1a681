//! BIP342 rules that Core's script_tests.json barely touches: OP_CHECKSIGADD, the annex,
//! the validation-weight budget, OP_SUCCESSx, minimal IF, pubkey types, code separators,
//! control blocks and leaf versions. Spends are signed for real.

// Test code panics on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bitcoin::absolute::LockTime;
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{All, Keypair, Message, Scalar, Secp256k1, SecretKey, XOnlyPublicKey};
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use consensus::script::{
    op, push_data, tapleaf_hash, verify_script, ScriptError, TransactionSignatureChecker,
    VerifyFlags,
};
use consensus::sighash::{taproot_signature_hash, PrecomputedTransactionData, TapscriptData};

const FLAGS: VerifyFlags =
    VerifyFlags(VerifyFlags::P2SH.0 | VerifyFlags::WITNESS.0 | VerifyFlags::TAPROOT.0);

struct Leaf {
    secp: Secp256k1<All>,
    script: Vec<u8>,
    version: u8,
    tx: Transaction,
    spent: TxOut,
    control: Vec<u8>,
}

fn key(i: u8) -> SecretKey {
    SecretKey::from_slice(&[i; 32]).unwrap()
}

fn xonly(secp: &Secp256k1<All>, i: u8) -> XOnlyPublicKey {
    key(i).x_only_public_key(secp).0
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

impl Leaf {
    fn new(script: Vec<u8>, version: u8) -> Leaf {
        let secp = Secp256k1::new();
        let internal = xonly(&secp, 9);
        let leaf = tapleaf_hash(version, &script);
        let tweak = tagged("TapTweak", &[&internal.serialize(), &leaf]);
        let (q, parity) = internal
            .add_tweak(&secp, &Scalar::from_be_bytes(tweak).unwrap())
            .unwrap();
        let mut control = vec![version | parity.to_u8()];
        control.extend_from_slice(&internal.serialize());
        let spent = TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: ScriptBuf::from_bytes(
                [vec![op::OP_1, 32], q.serialize().to_vec()].concat(),
            ),
        };
        let tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::default(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(9_000),
                script_pubkey: ScriptBuf::new(),
            }],
        };
        Leaf {
            secp,
            script,
            version,
            tx,
            spent,
            control,
        }
    }

    fn sign(&self, k: u8, codesep: u32, annex: Option<&[u8]>) -> Vec<u8> {
        let data = PrecomputedTransactionData::new(&self.tx, vec![self.spent.clone()], true);
        let annex_hash = annex.map(|a| {
            let mut e = sha256::Hash::engine();
            e.input(&[a.len() as u8]);
            e.input(a);
            sha256::Hash::from_engine(e).to_byte_array()
        });
        let ts = TapscriptData {
            tapleaf_hash: tapleaf_hash(self.version, &self.script),
            codeseparator_pos: codesep,
        };
        let h = taproot_signature_hash(
            &self.tx,
            0,
            0,
            data.bip341.as_ref().unwrap(),
            std::slice::from_ref(&self.spent),
            annex_hash.as_ref(),
            Some(&ts),
        )
        .unwrap();
        let kp = Keypair::from_secret_key(&self.secp, &key(k));
        self.secp
            .sign_schnorr_no_aux_rand(&Message::from_digest(h), &kp)
            .serialize()
            .to_vec()
    }

    fn verify(
        &self,
        stack: Vec<Vec<u8>>,
        annex: Option<Vec<u8>>,
        flags: VerifyFlags,
    ) -> Result<(), ScriptError> {
        self.verify_with_control(stack, annex, flags, self.control.clone())
    }

    fn verify_with_control(
        &self,
        mut stack: Vec<Vec<u8>>,
        annex: Option<Vec<u8>>,
        flags: VerifyFlags,
        control: Vec<u8>,
    ) -> Result<(), ScriptError> {
        stack.push(self.script.clone());
        stack.push(control);
        stack.extend(annex);
        let mut tx = self.tx.clone();
        tx.input[0].witness = Witness::from_slice(&stack);
        let data = PrecomputedTransactionData::new(&tx, vec![self.spent.clone()], false);
        let checker = TransactionSignatureChecker::new(&tx, 0, 10_000, Some(&data));
        verify_script(
            &[],
            self.spent.script_pubkey.as_bytes(),
            &stack,
            flags,
            &checker,
        )
    }
}

fn push(script: &mut Vec<u8>, d: &[u8]) {
    push_data(script, d);
}

#[test]
fn checksigadd_counts_valid_signatures() {
    let secp = Secp256k1::new();
    let mut s = Vec::new();
    push(&mut s, &xonly(&secp, 1).serialize());
    s.push(op::OP_CHECKSIG);
    push(&mut s, &xonly(&secp, 2).serialize());
    s.push(op::OP_CHECKSIGADD);
    push(&mut s, &xonly(&secp, 3).serialize());
    s.push(op::OP_CHECKSIGADD);
    s.push(op::OP_2);
    s.push(op::OP_NUMEQUAL);
    let leaf = Leaf::new(s, 0xc0);
    let (s1, s3) = (
        leaf.sign(1, 0xffff_ffff, None),
        leaf.sign(3, 0xffff_ffff, None),
    );
    assert_eq!(
        leaf.verify(vec![s3.clone(), vec![], s1.clone()], None, FLAGS),
        Ok(())
    );
    assert_eq!(
        leaf.verify(vec![vec![], vec![], s1.clone()], None, FLAGS),
        Err(ScriptError::EvalFalse)
    );
    // A non-empty wrong signature fails the script, unlike an empty one.
    let mut bad = s3;
    bad[0] ^= 1;
    assert_eq!(
        leaf.verify(vec![bad, vec![], s1], None, FLAGS),
        Err(ScriptError::SchnorrSig)
    );
}

#[test]
fn annex_is_committed_to() {
    let secp = Secp256k1::new();
    let mut s = Vec::new();
    push(&mut s, &xonly(&secp, 1).serialize());
    s.push(op::OP_CHECKSIG);
    let leaf = Leaf::new(s, 0xc0);
    let annex = vec![0x50, 1, 2, 3];
    let sig = leaf.sign(1, 0xffff_ffff, Some(&annex));
    assert_eq!(leaf.verify(vec![sig.clone()], Some(annex), FLAGS), Ok(()));
    assert_eq!(
        leaf.verify(vec![sig], None, FLAGS),
        Err(ScriptError::SchnorrSig)
    );
}

#[test]
fn validation_weight_budget() {
    let secp = Secp256k1::new();
    let build = |n: usize| {
        let mut s = Vec::new();
        push(&mut s, &xonly(&secp, 1).serialize());
        for _ in 0..n {
            s.extend([op::OP_2DUP, op::OP_CHECKSIGVERIFY]);
        }
        s.push(op::OP_CHECKSIG);
        s
    };
    let few = Leaf::new(build(2), 0xc0);
    let sig = few.sign(1, 0xffff_ffff, None);
    assert_eq!(few.verify(vec![sig], None, FLAGS), Ok(()));
    let many = Leaf::new(build(10), 0xc0);
    let sig = many.sign(1, 0xffff_ffff, None);
    assert_eq!(
        many.verify(vec![sig], None, FLAGS),
        Err(ScriptError::TapscriptValidationWeight)
    );
}

#[test]
fn op_success_and_minimal_if_and_multisig() {
    // Decoding stops at the first OP_SUCCESSx: what follows may be undecodable...
    let success = Leaf::new(vec![op::OP_RETURN, 80, op::OP_PUSHDATA1], 0xc0);
    assert_eq!(success.verify(vec![], None, FLAGS), Ok(()));
    // ...but not what precedes it.
    let broken = Leaf::new(vec![op::OP_RETURN, op::OP_PUSHDATA1, 5, 80], 0xc0);
    assert_eq!(
        broken.verify(vec![], None, FLAGS),
        Err(ScriptError::BadOpcode)
    );
    let success = Leaf::new(vec![op::OP_RETURN, 80], 0xc0);
    assert_eq!(success.verify(vec![], None, FLAGS), Ok(()));
    assert_eq!(
        success.verify(vec![], None, FLAGS | VerifyFlags::DISCOURAGE_OP_SUCCESS),
        Err(ScriptError::DiscourageOpSuccess)
    );
    let minimal_if = Leaf::new(
        vec![op::OP_IF, op::OP_1, op::OP_ELSE, op::OP_1, op::OP_ENDIF],
        0xc0,
    );
    assert_eq!(minimal_if.verify(vec![vec![1]], None, FLAGS), Ok(()));
    assert_eq!(
        minimal_if.verify(vec![vec![2]], None, FLAGS),
        Err(ScriptError::TapscriptMinimalIf)
    );
    assert_eq!(
        minimal_if.verify(vec![vec![1, 0]], None, FLAGS),
        Err(ScriptError::TapscriptMinimalIf)
    );
    let multisig = Leaf::new(vec![op::OP_0, op::OP_0, op::OP_CHECKMULTISIG], 0xc0);
    assert_eq!(
        multisig.verify(vec![], None, FLAGS),
        Err(ScriptError::TapscriptCheckMultisig)
    );
}

#[test]
fn pubkey_types() {
    let empty = Leaf::new(vec![op::OP_0, op::OP_CHECKSIG], 0xc0);
    assert_eq!(
        empty.verify(vec![vec![1; 64]], None, FLAGS),
        Err(ScriptError::TapscriptEmptyPubkey)
    );
    let mut s = Vec::new();
    push(&mut s, &[2; 33]);
    s.push(op::OP_CHECKSIG);
    let unknown = Leaf::new(s, 0xc0);
    // An unknown key type counts any non-empty signature as valid (a future soft fork's business).
    assert_eq!(unknown.verify(vec![vec![7; 10]], None, FLAGS), Ok(()));
    assert_eq!(
        unknown.verify(
            vec![vec![7; 10]],
            None,
            FLAGS | VerifyFlags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE
        ),
        Err(ScriptError::DiscourageUpgradablePubkeyType)
    );
    assert_eq!(
        unknown.verify(vec![vec![]], None, FLAGS),
        Err(ScriptError::EvalFalse)
    );
}

#[test]
fn code_separator_position_is_signed() {
    let secp = Secp256k1::new();
    let mut s = vec![op::OP_CODESEPARATOR];
    push(&mut s, &xonly(&secp, 1).serialize());
    s.push(op::OP_CHECKSIG);
    let leaf = Leaf::new(s, 0xc0);
    assert_eq!(
        leaf.verify(vec![leaf.sign(1, 0, None)], None, FLAGS),
        Ok(())
    );
    assert_eq!(
        leaf.verify(vec![leaf.sign(1, 0xffff_ffff, None)], None, FLAGS),
        Err(ScriptError::SchnorrSig)
    );
}

#[test]
fn control_blocks_and_leaf_versions() {
    let leaf = Leaf::new(vec![op::OP_1], 0xc0);
    assert_eq!(leaf.verify(vec![], None, FLAGS), Ok(()));
    let mut short = leaf.control.clone();
    short.pop();
    assert_eq!(
        leaf.verify_with_control(vec![], None, FLAGS, short),
        Err(ScriptError::TaprootWrongControlSize)
    );
    let mut parity = leaf.control.clone();
    parity[0] ^= 1;
    assert_eq!(
        leaf.verify_with_control(vec![], None, FLAGS, parity),
        Err(ScriptError::WitnessProgramMismatch)
    );
    let future = Leaf::new(vec![op::OP_RETURN], 0xc2);
    assert_eq!(future.verify(vec![], None, FLAGS), Ok(()));
    assert_eq!(
        future.verify(
            vec![],
            None,
            FLAGS | VerifyFlags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION
        ),
        Err(ScriptError::DiscourageUpgradableTaprootVersion)
    );
    // Without the TAPROOT flag, a v1 program is anyone-can-spend.
    assert_eq!(
        leaf.verify(
            vec![vec![0; 600]],
            None,
            VerifyFlags::P2SH | VerifyFlags::WITNESS
        ),
        Ok(())
    );
}
