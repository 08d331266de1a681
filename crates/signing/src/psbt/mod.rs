//! Partially signed transactions as Core keeps them (`PartiallySignedTransaction`,
//! `PSBTInput`, `PSBTOutput`): versions 0 and 2 (BIP174, BIP370), taproot (BIP371) and
//! MuSig2 (BIP373) fields, proprietary and unknown entries.

mod analyze;
mod decode;
mod encode;
mod ops;
mod sign;
mod wire;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use bitcoin::hashes::Hash;
use bitcoin::{Transaction, TxOut, Txid};

use crate::keys::{KeyId, XOnly};
use crate::provider::KeyOrigin;
use crate::sigdata::{MuSig2Map, TapKeyOrigins};
use crate::taproot::LeafScripts;

pub use analyze::{analyze_psbt, InputAnalysis, PsbtAnalysis, PsbtRole};
pub use sign::{
    combine_psbts, finalize_and_extract, finalize_psbt, precompute_psbt_data, psbt_input_signed,
    psbt_input_signed_and_verified, remove_unnecessary_transactions, sign_psbt_input,
    update_psbt_output, PsbtError,
};

/// A proprietary entry (`PSBTProprietary`): its whole key, the identifier and subtype
/// read from it, and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proprietary {
    /// The number after the identifier.
    pub subtype: u64,
    /// The identifier prefix.
    pub identifier: Vec<u8>,
    /// The whole key, type byte included.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

/// Proprietary entries, unique by key and ordered by it, as Core's `std::set`.
pub type ProprietarySet = BTreeMap<Vec<u8>, Proprietary>;
/// Unknown entries by key.
pub type UnknownMap = BTreeMap<Vec<u8>, Vec<u8>>;

/// An extended public key as a global PSBT entry holds it: the 78 bytes with version.
#[derive(Clone, Debug)]
pub struct ExtPubKey(pub [u8; 78]);

impl ExtPubKey {
    /// The chain code.
    pub fn chain_code(&self) -> &[u8] {
        &self.0[13..45]
    }
    /// The compressed public key.
    pub fn pubkey(&self) -> &[u8] {
        &self.0[45..78]
    }
}

impl PartialEq for ExtPubKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ExtPubKey {}
impl Ord for ExtPubKey {
    /// Core's set order: by public key, then chain code.
    fn cmp(&self, other: &Self) -> Ordering {
        self.pubkey()
            .cmp(other.pubkey())
            .then_with(|| self.chain_code().cmp(other.chain_code()))
    }
}
impl PartialOrd for ExtPubKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Per-input data (`PSBTInput`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PsbtInput {
    pub(crate) version: u32,
    /// The whole previous transaction.
    pub non_witness_utxo: Option<Transaction>,
    /// The output spent (segwit).
    pub witness_utxo: Option<TxOut>,
    /// The P2SH redeem script.
    pub redeem_script: Vec<u8>,
    /// The P2WSH witness script.
    pub witness_script: Vec<u8>,
    /// The finished scriptSig.
    pub final_script_sig: Vec<u8>,
    /// The finished witness.
    pub final_script_witness: Vec<Vec<u8>>,
    /// Keys and their origins.
    pub hd_keypaths: BTreeMap<Vec<u8>, KeyOrigin>,
    /// ECDSA signatures by key id, with the key.
    pub partial_sigs: BTreeMap<KeyId, (Vec<u8>, Vec<u8>)>,
    /// RIPEMD160 preimages.
    pub ripemd160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// SHA256 preimages.
    pub sha256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// HASH160 preimages.
    pub hash160_preimages: BTreeMap<[u8; 20], Vec<u8>>,
    /// HASH256 preimages.
    pub hash256_preimages: BTreeMap<[u8; 32], Vec<u8>>,
    /// The txid of the output spent.
    pub prev_txid: Txid,
    /// The index of the output spent.
    pub prev_out: u32,
    /// The sequence number (version 2 may leave it out).
    pub sequence: Option<u32>,
    /// A time lock the input needs (version 2).
    pub time_locktime: Option<u32>,
    /// A height lock the input needs (version 2).
    pub height_locktime: Option<u32>,
    /// The taproot key-path signature.
    pub tap_key_sig: Vec<u8>,
    /// Taproot script-path signatures by (key, leaf hash).
    pub tap_script_sigs: BTreeMap<(XOnly, [u8; 32]), Vec<u8>>,
    /// Taproot leaves and their control blocks.
    pub tap_scripts: LeafScripts,
    /// Taproot keys with leaves and origins.
    pub tap_bip32_paths: TapKeyOrigins,
    /// The taproot internal key (all zero when absent).
    pub tap_internal_key: XOnly,
    /// The taproot Merkle root (all zero when absent).
    pub tap_merkle_root: [u8; 32],
    /// MuSig2 aggregate keys and participants.
    pub musig2_participants: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    /// MuSig2 public nonces.
    pub musig2_pubnonces: MuSig2Map<Vec<u8>>,
    /// MuSig2 partial signatures.
    pub musig2_partial_sigs: MuSig2Map<[u8; 32]>,
    /// Unknown entries.
    pub unknown: UnknownMap,
    /// Proprietary entries.
    pub proprietary: ProprietarySet,
    /// The sighash type to sign with.
    pub sighash_type: Option<i32>,
}

impl Default for PsbtInput {
    fn default() -> Self {
        PsbtInput {
            version: 0,
            non_witness_utxo: Default::default(),
            witness_utxo: Default::default(),
            redeem_script: Default::default(),
            witness_script: Default::default(),
            final_script_sig: Default::default(),
            final_script_witness: Default::default(),
            hd_keypaths: Default::default(),
            partial_sigs: Default::default(),
            ripemd160_preimages: Default::default(),
            sha256_preimages: Default::default(),
            hash160_preimages: Default::default(),
            hash256_preimages: Default::default(),
            prev_txid: Txid::all_zeros(),
            prev_out: 0,
            sequence: Default::default(),
            time_locktime: Default::default(),
            height_locktime: Default::default(),
            tap_key_sig: Default::default(),
            tap_script_sigs: Default::default(),
            tap_scripts: Default::default(),
            tap_bip32_paths: Default::default(),
            tap_internal_key: [0; 32],
            tap_merkle_root: [0; 32],
            musig2_participants: Default::default(),
            musig2_pubnonces: Default::default(),
            musig2_partial_sigs: Default::default(),
            unknown: Default::default(),
            proprietary: Default::default(),
            sighash_type: Default::default(),
        }
    }
}

/// Per-output data (`PSBTOutput`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PsbtOutput {
    pub(crate) version: u32,
    /// The P2SH redeem script.
    pub redeem_script: Vec<u8>,
    /// The P2WSH witness script.
    pub witness_script: Vec<u8>,
    /// Keys and their origins.
    pub hd_keypaths: BTreeMap<Vec<u8>, KeyOrigin>,
    /// The taproot internal key (all zero when absent).
    pub tap_internal_key: XOnly,
    /// The taproot tree as (depth, leaf version, script) in depth-first order.
    pub tap_tree: Vec<(u8, u8, Vec<u8>)>,
    /// Taproot keys with leaves and origins.
    pub tap_bip32_paths: TapKeyOrigins,
    /// MuSig2 aggregate keys and participants.
    pub musig2_participants: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
    /// Unknown entries.
    pub unknown: UnknownMap,
    /// Proprietary entries.
    pub proprietary: ProprietarySet,
    /// The amount.
    pub amount: i64,
    /// The output script.
    pub script: Vec<u8>,
}

/// A partially signed transaction (`PartiallySignedTransaction`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Psbt {
    pub(crate) version: Option<u32>,
    /// Global extended keys by origin.
    pub xpubs: BTreeMap<KeyOrigin, BTreeSet<ExtPubKey>>,
    /// The version 2 modifiable flags.
    pub tx_modifiable: Option<u8>,
    /// The inputs.
    pub inputs: Vec<PsbtInput>,
    /// The outputs.
    pub outputs: Vec<PsbtOutput>,
    /// Unknown global entries.
    pub unknown: UnknownMap,
    /// Proprietary global entries.
    pub proprietary: ProprietarySet,
    /// The transaction version.
    pub tx_version: u32,
    /// The lock time used when no input needs one.
    pub fallback_locktime: Option<u32>,
}

/// `TAPROOT_CONTROL_MAX_NODE_COUNT`, re-exported for tree checks.
pub(crate) use crate::taproot::TAPROOT_CONTROL_MAX_NODE_COUNT as MAX_TREE_DEPTH;

/// Taproot key origins (shared with [`crate::SignatureData`]).
pub type TapBip32Paths = TapKeyOrigins;

/// Key-origin set helper: the leaf hashes of a taproot key.
pub type LeafHashes = BTreeSet<[u8; 32]>;
