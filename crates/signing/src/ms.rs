//! Satisfying miniscript witness scripts and tapscript leaves (Core's `WshSatisfier` and
//! `TapSatisfier`), with signatures made on demand through the signing provider.

use std::cell::RefCell;

use bitcoin::hashes::{hash160, ripemd160, sha256, Hash};
use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::taproot::TapLeafHash;
use bitcoin::{absolute, relative, PublicKey, Script};
use consensus::script::SigVersion;
use miniscript::{ExtParams, Miniscript, Preimage32, Satisfier, Segwitv0, Tap};

use crate::creator::SignatureCreator;
use crate::keys::{xonly_of, KeyId};
use crate::provider::SigningProvider;
use crate::sigdata::SignatureData;
use crate::sign::{create_sig, create_taproot_script_sig, get_pubkey};

/// The preimage and timelock answers both satisfiers give alike, from their `common`.
macro_rules! common_satisfier_methods {
    () => {
        fn lookup_sha256(&self, h: &sha256::Hash) -> Option<Preimage32> {
            self.common
                .preimage(|s| &s.sha256_preimages, h.as_byte_array())
        }
        fn lookup_hash256(&self, h: &miniscript::hash256::Hash) -> Option<Preimage32> {
            self.common
                .preimage(|s| &s.hash256_preimages, h.as_byte_array())
        }
        fn lookup_ripemd160(&self, h: &ripemd160::Hash) -> Option<Preimage32> {
            self.common
                .preimage(|s| &s.ripemd160_preimages, h.as_byte_array())
        }
        fn lookup_hash160(&self, h: &hash160::Hash) -> Option<Preimage32> {
            self.common
                .preimage(|s| &s.hash160_preimages, h.as_byte_array())
        }
        fn check_older(&self, lock: relative::LockTime) -> bool {
            self.common.older(lock)
        }
        fn check_after(&self, lock: absolute::LockTime) -> bool {
            self.common.after(lock)
        }
    };
}

/// What both satisfiers share: the provider, the creator and the input's data.
struct Common<'a> {
    provider: &'a dyn SigningProvider,
    creator: &'a dyn SignatureCreator,
    sigdata: RefCell<&'a mut SignatureData>,
}

impl Common<'_> {
    /// A public key by the HASH160 in a script; unknown ones are recorded as missing.
    fn pubkey_from_hash(&self, hash: &hash160::Hash) -> Option<Vec<u8>> {
        let id: KeyId = hash.to_byte_array();
        let mut sigdata = self.sigdata.borrow_mut();
        match get_pubkey(self.provider, &sigdata, &id) {
            Some(pk) => Some(pk),
            None => {
                if !sigdata.missing_pubkeys.contains(&id) {
                    sigdata.missing_pubkeys.push(id);
                }
                None
            }
        }
    }

    fn preimage(
        &self,
        which: fn(&SignatureData) -> &std::collections::BTreeMap<Vec<u8>, Vec<u8>>,
        hash: &[u8],
    ) -> Option<Preimage32> {
        let sigdata = self.sigdata.borrow();
        which(&sigdata)
            .get(hash)
            .and_then(|p| p.as_slice().try_into().ok())
    }

    fn after(&self, lock: absolute::LockTime) -> bool {
        self.creator
            .checker()
            .check_lock_time(i64::from(lock.to_consensus_u32()))
    }

    fn older(&self, lock: relative::LockTime) -> bool {
        self.creator
            .checker()
            .check_sequence(i64::from(lock.to_consensus_u32()))
    }
}

struct WshSatisfier<'a> {
    common: Common<'a>,
    witness_script: &'a [u8],
}

impl WshSatisfier<'_> {
    fn sign(&self, pk: &PublicKey) -> Option<bitcoin::ecdsa::Signature> {
        let mut sigdata = self.common.sigdata.borrow_mut();
        let sig = create_sig(
            self.common.creator,
            &mut sigdata,
            self.common.provider,
            &pk.to_bytes(),
            self.witness_script,
            SigVersion::WitnessV0,
        )?;
        bitcoin::ecdsa::Signature::from_slice(&sig).ok()
    }
}

impl Satisfier<PublicKey> for WshSatisfier<'_> {
    fn lookup_ecdsa_sig(&self, pk: &PublicKey) -> Option<bitcoin::ecdsa::Signature> {
        self.sign(pk)
    }
    fn lookup_raw_pkh_pk(&self, hash: &hash160::Hash) -> Option<PublicKey> {
        PublicKey::from_slice(&self.common.pubkey_from_hash(hash)?).ok()
    }
    fn lookup_raw_pkh_ecdsa_sig(
        &self,
        hash: &hash160::Hash,
    ) -> Option<(PublicKey, bitcoin::ecdsa::Signature)> {
        let pk = self.lookup_raw_pkh_pk(hash)?;
        Some((pk, self.sign(&pk)?))
    }
    common_satisfier_methods!();
}

struct TapSatisfier<'a> {
    common: Common<'a>,
    leaf_hash: [u8; 32],
}

impl TapSatisfier<'_> {
    fn sign(&self, pk: &XOnlyPublicKey) -> Option<bitcoin::taproot::Signature> {
        let mut sigdata = self.common.sigdata.borrow_mut();
        let sig = create_taproot_script_sig(
            self.common.creator,
            &mut sigdata,
            self.common.provider,
            &pk.serialize(),
            &self.leaf_hash,
            SigVersion::Tapscript,
        )?;
        bitcoin::taproot::Signature::from_slice(&sig).ok()
    }

    fn xonly_from_hash(&self, hash: &hash160::Hash) -> Option<XOnlyPublicKey> {
        let pk = self.common.pubkey_from_hash(hash)?;
        XOnlyPublicKey::from_slice(&xonly_of(&pk)?).ok()
    }
}

impl Satisfier<XOnlyPublicKey> for TapSatisfier<'_> {
    fn lookup_tap_leaf_script_sig(
        &self,
        pk: &XOnlyPublicKey,
        _leaf: &TapLeafHash,
    ) -> Option<bitcoin::taproot::Signature> {
        self.sign(pk)
    }
    fn lookup_raw_pkh_x_only_pk(&self, hash: &hash160::Hash) -> Option<XOnlyPublicKey> {
        self.xonly_from_hash(hash)
    }
    fn lookup_raw_pkh_tap_leaf_script_sig(
        &self,
        key: &(hash160::Hash, TapLeafHash),
    ) -> Option<(XOnlyPublicKey, bitcoin::taproot::Signature)> {
        let pk = self.xonly_from_hash(&key.0)?;
        Some((pk, self.sign(&pk)?))
    }
    common_satisfier_methods!();
}

/// Satisfies a P2WSH witness script that parses as miniscript; the witness stack without
/// the script, or `None` when it does not parse or cannot be satisfied.
pub(crate) fn satisfy_wsh(
    provider: &dyn SigningProvider,
    creator: &dyn SignatureCreator,
    sigdata: &mut SignatureData,
    witness_script: &[u8],
) -> Option<Vec<Vec<u8>>> {
    let ms = Miniscript::<PublicKey, Segwitv0>::parse_with_ext(
        Script::from_bytes(witness_script),
        &ExtParams::allow_all(),
    )
    .ok()?;
    let satisfier = WshSatisfier {
        common: Common {
            provider,
            creator,
            sigdata: RefCell::new(sigdata),
        },
        witness_script,
    };
    ms.satisfy(&satisfier).ok()
}

/// Satisfies a tapscript leaf that parses as miniscript (`SignTaprootScript` after the
/// leaf-version check).
pub(crate) fn satisfy_tapscript(
    provider: &dyn SigningProvider,
    creator: &dyn SignatureCreator,
    sigdata: &mut SignatureData,
    script: &[u8],
    leaf_hash: [u8; 32],
) -> Option<Vec<Vec<u8>>> {
    let ms = Miniscript::<XOnlyPublicKey, Tap>::parse_with_ext(
        Script::from_bytes(script),
        &ExtParams::allow_all(),
    )
    .ok()?;
    let satisfier = TapSatisfier {
        common: Common {
            provider,
            creator,
            sigdata: RefCell::new(sigdata),
        },
        leaf_hash,
    };
    ms.satisfy(&satisfier).ok()
}
