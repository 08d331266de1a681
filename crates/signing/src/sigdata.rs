//! What is known about satisfying one input (Core's `SignatureData`).

use std::collections::{BTreeMap, BTreeSet};

use crate::keys::{KeyId, XOnly};
use crate::provider::KeyOrigin;
use crate::taproot::{TaprootBuilder, TaprootSpendData};

/// Taproot key-origin entries: the leaves a key appears in and its origin.
pub type TapKeyOrigins = BTreeMap<XOnly, (BTreeSet<[u8; 32]>, KeyOrigin)>;
/// ECDSA signatures by key id, each with its public key.
pub type Signatures = BTreeMap<KeyId, (Vec<u8>, Vec<u8>)>;
/// MuSig2 data keyed by (aggregate key, leaf hash or zero), then by participant.
pub type MuSig2Map<V> = BTreeMap<(Vec<u8>, [u8; 32]), BTreeMap<Vec<u8>, V>>;

/// Signatures, scripts and keys gathered for one input, and what is still missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureData {
    /// The scriptSig and witness verify against the output.
    pub complete: bool,
    /// A witness spend was found.
    pub witness: bool,
    /// The scriptSig built so far.
    pub script_sig: Vec<u8>,
    /// The P2SH redeem script, if known.
    pub redeem_script: Vec<u8>,
    /// The P2WSH witness script, if known.
    pub witness_script: Vec<u8>,
    /// The witness stack built so far.
    pub script_witness: Vec<Vec<u8>>,
    /// Taproot spend data gathered.
    pub tr_spenddata: TaprootSpendData,
    /// The taproot builder of the output, when a provider knows it.
    pub tr_builder: Option<TaprootBuilder>,
    /// ECDSA signatures by key id, with the key.
    pub signatures: Signatures,
    /// Keys with origins met while signing.
    pub misc_pubkeys: BTreeMap<KeyId, (Vec<u8>, KeyOrigin)>,
    /// The taproot key-path signature.
    pub taproot_key_path_sig: Vec<u8>,
    /// Taproot script-path signatures by (key, leaf hash).
    pub taproot_script_sigs: BTreeMap<(XOnly, [u8; 32]), Vec<u8>>,
    /// Taproot keys with origins and leaves.
    pub taproot_misc_pubkeys: TapKeyOrigins,
    /// X-only keys by the HASH160 of their 32 bytes.
    pub tap_pubkeys: BTreeMap<KeyId, XOnly>,
    /// Key ids whose public key was needed but unknown.
    pub missing_pubkeys: Vec<KeyId>,
    /// Key ids whose signature was needed but could not be made.
    pub missing_sigs: Vec<KeyId>,
    /// HASH160 of a redeem script that was needed but unknown.
    pub missing_redeem_script: Option<[u8; 20]>,
    /// SHA256 of a witness script that was needed but unknown.
    pub missing_witness_script: Option<[u8; 32]>,
    /// SHA256 preimages by hash.
    pub sha256_preimages: BTreeMap<Vec<u8>, Vec<u8>>,
    /// HASH256 preimages by hash.
    pub hash256_preimages: BTreeMap<Vec<u8>, Vec<u8>>,
    /// RIPEMD160 preimages by hash.
    pub ripemd160_preimages: BTreeMap<Vec<u8>, Vec<u8>>,
    /// HASH160 preimages by hash.
    pub hash160_preimages: BTreeMap<Vec<u8>, Vec<u8>>,
    /// MuSig2 aggregate keys and their participants.
    pub musig2_pubkeys: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    /// MuSig2 public nonces.
    pub musig2_pubnonces: MuSig2Map<Vec<u8>>,
    /// MuSig2 partial signatures.
    pub musig2_partial_sigs: MuSig2Map<[u8; 32]>,
}

impl SignatureData {
    /// `MergeSignatureData`: a complete `other` replaces this; otherwise scripts fill gaps
    /// and signatures are added.
    pub fn merge(&mut self, other: SignatureData) {
        if self.complete {
            return;
        }
        if other.complete {
            *self = other;
            return;
        }
        if self.redeem_script.is_empty() && !other.redeem_script.is_empty() {
            self.redeem_script = other.redeem_script;
        }
        if self.witness_script.is_empty() && !other.witness_script.is_empty() {
            self.witness_script = other.witness_script;
        }
        for (k, v) in other.signatures {
            self.signatures.entry(k).or_insert(v);
        }
    }
}
