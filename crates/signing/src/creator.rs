//! Who makes signatures (Core's `BaseSignatureCreator`): the real one over a transaction
//! input, and the dummy ones that size or shape a spend without keys.

use bitcoin::Transaction;
use consensus::script::TransactionSignatureChecker;
use consensus::script::{ExecutionData, ScriptError, SigVersion, SignatureChecker};
use consensus::sighash::{
    legacy_signature_hash, segwit_v0_signature_hash, taproot_signature_hash,
    PrecomputedTransactionData, TapscriptData, SIGHASH_ALL, SIGHASH_DEFAULT,
};

use crate::keys::{sign_ecdsa, sign_schnorr, KeyId, XOnly};
use crate::provider::SigningProvider;

pub use consensus::tx::{money_range, MAX_MONEY};

/// Makes signatures for one input and checks them.
pub trait SignatureCreator {
    /// The checker the finished spend is verified with.
    fn checker(&self) -> &dyn SignatureChecker;
    /// An ECDSA signature with hash-type byte by the key with id `keyid`.
    fn create_sig(
        &self,
        provider: &dyn SigningProvider,
        keyid: &KeyId,
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> Option<Vec<u8>>;
    /// A BIP340 signature by `pubkey` (tweaked with `merkle_root` when given: `Some(None)`
    /// for a key without scripts), for the key path or the leaf `leaf_hash`.
    fn create_schnorr_sig(
        &self,
        provider: &dyn SigningProvider,
        pubkey: &XOnly,
        leaf_hash: Option<&[u8; 32]>,
        merkle_root: Option<Option<&[u8; 32]>>,
        sigversion: SigVersion,
    ) -> Option<Vec<u8>>;
    /// A MuSig2 aggregate signature from the nonces and partial signatures gathered; only
    /// the dummy creator makes one (a placeholder), as MuSig2 itself is not implemented.
    fn create_musig2_aggregate_sig(&self) -> Option<Vec<u8>> {
        None
    }
}

/// Signs input `n_in` of a transaction (`MutableTransactionSignatureCreator`).
pub struct TxSignatureCreator<'a> {
    tx: &'a Transaction,
    n_in: usize,
    amount: i64,
    txdata: Option<&'a PrecomputedTransactionData>,
    sighash_type: i32,
    checker: TransactionSignatureChecker<'a>,
}

impl<'a> TxSignatureCreator<'a> {
    /// A creator for input `n_in` spending `amount`, signing with `sighash_type`;
    /// taproot signing needs `txdata` with every spent output.
    pub fn new(
        tx: &'a Transaction,
        n_in: usize,
        amount: i64,
        txdata: Option<&'a PrecomputedTransactionData>,
        sighash_type: i32,
    ) -> TxSignatureCreator<'a> {
        TxSignatureCreator {
            tx,
            n_in,
            amount,
            txdata,
            sighash_type,
            checker: TransactionSignatureChecker::new(tx, n_in, amount, txdata),
        }
    }

    /// `ComputeSchnorrSignatureHash`: annex-less, without OP_CODESEPARATOR.
    fn schnorr_hash(
        &self,
        leaf_hash: Option<&[u8; 32]>,
        sigversion: SigVersion,
    ) -> Option<[u8; 32]> {
        let txdata = self.txdata?;
        let cache = txdata.bip341.as_ref()?;
        if txdata.spent_outputs.len() != self.tx.input.len() {
            return None;
        }
        let tapscript = match sigversion {
            SigVersion::Tapscript => Some(TapscriptData {
                tapleaf_hash: *leaf_hash?,
                codeseparator_pos: 0xffff_ffff,
            }),
            _ => None,
        };
        let hash_type = u8::try_from(self.sighash_type).ok()?;
        taproot_signature_hash(
            self.tx,
            self.n_in,
            hash_type,
            cache,
            &txdata.spent_outputs,
            None,
            tapscript.as_ref(),
        )
    }
}

impl SignatureCreator for TxSignatureCreator<'_> {
    fn checker(&self) -> &dyn SignatureChecker {
        &self.checker
    }

    fn create_sig(
        &self,
        provider: &dyn SigningProvider,
        keyid: &KeyId,
        script_code: &[u8],
        sigversion: SigVersion,
    ) -> Option<Vec<u8>> {
        let key = provider.key(keyid)?;
        let witness = sigversion == SigVersion::WitnessV0;
        // Segwit forbids uncompressed keys, and its signatures commit to the amount.
        if witness && (!key.compressed || !money_range(self.amount)) {
            return None;
        }
        if self.n_in >= self.tx.input.len() {
            return None;
        }
        // SIGHASH_DEFAULT exists only for taproot; ECDSA signs it as SIGHASH_ALL.
        let hash_type = if self.sighash_type == i32::from(SIGHASH_DEFAULT) {
            SIGHASH_ALL
        } else {
            self.sighash_type
        };
        let hash = if witness {
            let cache = self.txdata.and_then(|d| d.bip143.as_ref());
            segwit_v0_signature_hash(
                script_code,
                self.tx,
                self.n_in,
                hash_type,
                self.amount,
                cache,
            )
        } else {
            legacy_signature_hash(script_code, self.tx, self.n_in, hash_type)
        };
        let mut sig = sign_ecdsa(&key.key, &hash);
        sig.push(hash_type as u8);
        Some(sig)
    }

    fn create_schnorr_sig(
        &self,
        provider: &dyn SigningProvider,
        pubkey: &XOnly,
        leaf_hash: Option<&[u8; 32]>,
        merkle_root: Option<Option<&[u8; 32]>>,
        sigversion: SigVersion,
    ) -> Option<Vec<u8>> {
        let key = provider.key_by_xonly(pubkey)?;
        let hash = self.schnorr_hash(leaf_hash, sigversion)?;
        let mut sig = sign_schnorr(&key.key, &hash, merkle_root)?.to_vec();
        if self.sighash_type != 0 {
            sig.push(self.sighash_type as u8);
        }
        Some(sig)
    }
}

/// A checker that accepts every non-empty signature and every lock time
/// (`DummySignatureChecker`).
pub struct DummyChecker;

impl SignatureChecker for DummyChecker {
    fn check_ecdsa_signature(
        &self,
        sig: &[u8],
        _pubkey: &[u8],
        _script_code: &[u8],
        _sigversion: SigVersion,
    ) -> bool {
        !sig.is_empty()
    }
    fn check_schnorr_signature(
        &self,
        sig: &[u8],
        _pubkey: &[u8],
        _sigversion: SigVersion,
        _execdata: &mut ExecutionData,
    ) -> Result<(), ScriptError> {
        if sig.is_empty() {
            Err(ScriptError::SchnorrSig)
        } else {
            Ok(())
        }
    }
    fn check_lock_time(&self, _lock_time: i64) -> bool {
        true
    }
    fn check_sequence(&self, _sequence: i64) -> bool {
        true
    }
}

/// Makes placeholder signatures of the largest size a real one can have, to size a
/// spend without keys (`DUMMY_SIGNATURE_CREATOR`: 32-byte R and S).
pub struct DummySignatureCreator {
    checker: DummyChecker,
}

impl DummySignatureCreator {
    /// The creator.
    pub fn new() -> DummySignatureCreator {
        DummySignatureCreator {
            checker: DummyChecker,
        }
    }
}

impl Default for DummySignatureCreator {
    fn default() -> Self {
        DummySignatureCreator::new()
    }
}

impl SignatureCreator for DummySignatureCreator {
    fn checker(&self) -> &dyn SignatureChecker {
        &self.checker
    }

    fn create_sig(
        &self,
        _provider: &dyn SigningProvider,
        _keyid: &KeyId,
        _script_code: &[u8],
        _sigversion: SigVersion,
    ) -> Option<Vec<u8>> {
        // A DER encoding with 32-byte R and S, each 0x01 followed by zeros.
        const R_LEN: usize = 32;
        const S_LEN: usize = 32;
        let mut sig = vec![0u8; R_LEN + S_LEN + 7];
        sig[0] = 0x30;
        sig[1] = (R_LEN + S_LEN + 4) as u8;
        sig[2] = 0x02;
        sig[3] = R_LEN as u8;
        sig[4] = 0x01;
        sig[4 + R_LEN] = 0x02;
        sig[5 + R_LEN] = S_LEN as u8;
        sig[6 + R_LEN] = 0x01;
        sig[6 + R_LEN + S_LEN] = SIGHASH_ALL as u8;
        Some(sig)
    }

    fn create_schnorr_sig(
        &self,
        _provider: &dyn SigningProvider,
        _pubkey: &XOnly,
        _leaf_hash: Option<&[u8; 32]>,
        _merkle_root: Option<Option<&[u8; 32]>>,
        _sigversion: SigVersion,
    ) -> Option<Vec<u8>> {
        Some(vec![0u8; 64])
    }

    fn create_musig2_aggregate_sig(&self) -> Option<Vec<u8>> {
        Some(vec![0u8; 64])
    }
}
