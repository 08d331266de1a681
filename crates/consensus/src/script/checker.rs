//! Signature and lock-time checks against the spending transaction
//! (`BaseSignatureChecker`, `GenericTransactionSignatureChecker`).

use std::sync::OnceLock;

use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::secp256k1::{
    self, ecdsa, schnorr, Message, PublicKey, Secp256k1, VerifyOnly, XOnlyPublicKey,
};
use bitcoin::Transaction;

use super::interpreter::{ExecutionData, SigVersion};
use super::{ScriptError, LOCKTIME_THRESHOLD};
use crate::sighash::{self, PrecomputedTransactionData, TapscriptData, SIGHASH_DEFAULT};

/// `SEQUENCE_FINAL`.
pub const SEQUENCE_FINAL: u32 = 0xffff_ffff;
/// `SEQUENCE_LOCKTIME_DISABLE_FLAG`.
pub const SEQUENCE_LOCKTIME_DISABLE_FLAG: i64 = 1 << 31;
/// `SEQUENCE_LOCKTIME_TYPE_FLAG`.
pub const SEQUENCE_LOCKTIME_TYPE_FLAG: i64 = 1 << 22;
/// `SEQUENCE_LOCKTIME_MASK`.
pub const SEQUENCE_LOCKTIME_MASK: i64 = 0x0000_ffff;

pub(crate) fn secp() -> &'static Secp256k1<VerifyOnly> {
    static CTX: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::verification_only)
}

/// What the interpreter asks of the transaction being verified.
pub trait SignatureChecker {
    /// Checks an ECDSA signature (with its hash-type byte) over the legacy or v0 sighash.
    fn check_ecdsa_signature(
        &self,
        _sig: &[u8],
        _pubkey: &[u8],
        _script_code: &[u8],
        _sigversion: SigVersion,
    ) -> bool {
        false
    }
    /// Checks a BIP340 signature over the taproot sighash; the error says why it failed.
    fn check_schnorr_signature(
        &self,
        _sig: &[u8],
        _pubkey: &[u8],
        _sigversion: SigVersion,
        _execdata: &mut ExecutionData,
    ) -> Result<(), ScriptError> {
        Err(ScriptError::SchnorrSig)
    }
    /// OP_CHECKLOCKTIMEVERIFY's test against the transaction.
    fn check_lock_time(&self, _lock_time: i64) -> bool {
        false
    }
    /// OP_CHECKSEQUENCEVERIFY's test against the input.
    fn check_sequence(&self, _sequence: i64) -> bool {
        false
    }
}

/// Checks signatures of input `n_in` of `tx`, which spends `amount` satoshis.
pub struct TransactionSignatureChecker<'a> {
    tx: &'a Transaction,
    n_in: usize,
    amount: i64,
    txdata: Option<&'a PrecomputedTransactionData>,
    /// Record valid signatures in the signature cache (lookups happen always).
    store: bool,
}

impl<'a> TransactionSignatureChecker<'a> {
    /// A checker for one input; `txdata` carries hashes shared by all inputs.
    pub fn new(
        tx: &'a Transaction,
        n_in: usize,
        amount: i64,
        txdata: Option<&'a PrecomputedTransactionData>,
    ) -> Self {
        TransactionSignatureChecker {
            tx,
            n_in,
            amount,
            txdata,
            store: false,
        }
    }

    /// The same checker recording valid signatures in the signature cache
    /// (`CachingTransactionSignatureChecker` with `store`).
    pub fn storing(mut self) -> Self {
        self.store = true;
        self
    }

    /// Runs `verify` unless the cache knows `key` passed; records a pass when storing.
    fn cached(&self, key: [u8; 32], verify: impl FnOnce() -> bool) -> bool {
        if super::sigcache::contains(&key) {
            return true;
        }
        let ok = verify();
        if ok && self.store {
            super::sigcache::insert(key);
        }
        ok
    }
}

impl SignatureChecker for TransactionSignatureChecker<'_> {
    fn check_ecdsa_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> bool {
        // CPubKey::IsValid: the length the header byte announces.
        let valid_len = match pubkey.first() {
            Some(2) | Some(3) => pubkey.len() == 33,
            Some(4) | Some(6) | Some(7) => pubkey.len() == 65,
            _ => false,
        };
        if !valid_len {
            return false;
        }
        let Some((&hash_type, der)) = sig.split_last() else {
            return false;
        };
        if self.n_in >= self.tx.input.len() {
            return false;
        }
        let hash_type = hash_type as i32;
        let hash = match sigversion {
            SigVersion::WitnessV0 => {
                if self.amount < 0 {
                    return false;
                }
                let cache = self.txdata.and_then(|d| d.bip143.as_ref());
                sighash::segwit_v0_signature_hash(
                    script_code,
                    self.tx,
                    self.n_in,
                    hash_type,
                    self.amount,
                    cache,
                )
            }
            _ => sighash::legacy_signature_hash(script_code, self.tx, self.n_in, hash_type),
        };
        let Ok(pk) = PublicKey::from_slice(pubkey) else {
            return false;
        };
        let Ok(mut signature) = ecdsa::Signature::from_der_lax(der) else {
            return false;
        };
        // Consensus accepts high-S signatures: verify their low-S twin.
        signature.normalize_s();
        let msg = Message::from_digest(hash);
        let key = super::sigcache::entry(0, &hash, pubkey, &signature.serialize_compact());
        self.cached(key, || secp().verify_ecdsa(&msg, &signature, &pk).is_ok())
    }

    fn check_schnorr_signature(
        &self,
        sig: &[u8],
        pubkey: &[u8],
        sigversion: SigVersion,
        execdata: &mut ExecutionData,
    ) -> Result<(), ScriptError> {
        if sig.len() != 64 && sig.len() != 65 {
            return Err(ScriptError::SchnorrSigSize);
        }
        let (sig, hash_type) = if sig.len() == 65 {
            if sig[64] == SIGHASH_DEFAULT {
                return Err(ScriptError::SchnorrSigHashtype);
            }
            (&sig[..64], sig[64])
        } else {
            (sig, SIGHASH_DEFAULT)
        };
        let Some(txdata) = self.txdata else {
            return Err(ScriptError::SchnorrSig);
        };
        let Some(cache) = txdata.bip341.as_ref() else {
            return Err(ScriptError::SchnorrSig);
        };
        let tapscript = match sigversion {
            SigVersion::Tapscript => Some(TapscriptData {
                tapleaf_hash: execdata.tapleaf_hash.ok_or(ScriptError::UnknownError)?,
                codeseparator_pos: execdata.codeseparator_pos,
            }),
            _ => None,
        };
        let hash = sighash::taproot_signature_hash(
            self.tx,
            self.n_in,
            hash_type,
            cache,
            &txdata.spent_outputs,
            execdata.annex_hash.as_ref(),
            tapscript.as_ref(),
        )
        .ok_or(ScriptError::SchnorrSigHashtype)?;
        let key = super::sigcache::entry(1, &hash, pubkey, sig);
        let ok = self.cached(key, || {
            XOnlyPublicKey::from_slice(pubkey)
                .ok()
                .zip(schnorr::Signature::from_slice(sig).ok())
                .is_some_and(|(pk, s)| {
                    secp()
                        .verify_schnorr(&s, &Message::from_digest(hash), &pk)
                        .is_ok()
                })
        });
        if ok {
            Ok(())
        } else {
            Err(ScriptError::SchnorrSig)
        }
    }

    fn check_lock_time(&self, lock_time: i64) -> bool {
        let tx_lock = self.tx.lock_time.to_consensus_u32() as i64;
        // Both heights or both times.
        if (tx_lock < LOCKTIME_THRESHOLD) != (lock_time < LOCKTIME_THRESHOLD) {
            return false;
        }
        if lock_time > tx_lock {
            return false;
        }
        // A final input would let the transaction ignore nLockTime altogether.
        self.tx
            .input
            .get(self.n_in)
            .is_some_and(|i| i.sequence.0 != SEQUENCE_FINAL)
    }

    fn check_sequence(&self, sequence: i64) -> bool {
        let Some(input) = self.tx.input.get(self.n_in) else {
            return false;
        };
        let tx_sequence = input.sequence.0 as i64;
        // Core compares the version as unsigned (CTransaction::version is uint32_t).
        if (self.tx.version.0 as u32) < 2 {
            return false;
        }
        if tx_sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            return false;
        }
        let mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
        let tx_masked = tx_sequence & mask;
        let masked = sequence & mask;
        if (tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG) != (masked < SEQUENCE_LOCKTIME_TYPE_FLAG) {
            return false;
        }
        masked <= tx_masked
    }
}

/// `ComputeTapleafHash`.
pub fn tapleaf_hash(leaf_version: u8, script: &[u8]) -> [u8; 32] {
    let mut e = sighash::tagged_engine("TapLeaf");
    e.input(&[leaf_version]);
    let _ = bitcoin::consensus::Encodable::consensus_encode(
        &bitcoin::VarInt(script.len() as u64),
        &mut e,
    );
    e.input(script);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// `ComputeTapbranchHash`: the two children in lexicographic order.
pub fn tapbranch_hash(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut e = sighash::tagged_engine("TapBranch");
    if a < b {
        e.input(a);
        e.input(b);
    } else {
        e.input(b);
        e.input(a);
    }
    sha256::Hash::from_engine(e).to_byte_array()
}

/// `VerifyTaprootCommitment`: whether `program` (output key Q) commits to the internal key and merkle path of `control`.
pub fn verify_taproot_commitment(control: &[u8], program: &[u8], leaf: &[u8; 32]) -> bool {
    if control.len() < 33 || !(control.len() - 33).is_multiple_of(32) {
        return false;
    }
    let mut k = *leaf;
    for node in control[33..].chunks(32) {
        k = tapbranch_hash(&k, node);
    }
    let (Ok(p), Ok(q)) = (
        XOnlyPublicKey::from_slice(&control[1..33]),
        XOnlyPublicKey::from_slice(program),
    ) else {
        return false;
    };
    let mut e = sighash::tagged_engine("TapTweak");
    e.input(&p.serialize());
    e.input(&k);
    let tweak = sha256::Hash::from_engine(e).to_byte_array();
    let Ok(tweak) = secp256k1::Scalar::from_be_bytes(tweak) else {
        return false;
    };
    let parity = if control[0] & 1 == 1 {
        secp256k1::Parity::Odd
    } else {
        secp256k1::Parity::Even
    };
    p.tweak_add_check(secp(), &q, parity, tweak)
}
