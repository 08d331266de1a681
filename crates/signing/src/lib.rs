//! Transaction signing and PSBTs as Bitcoin Core does them.
//!
//! - Signing (Core's `script/sign.cpp`): [`produce_signature`] solves an output script
//!   (P2PK, P2PKH, P2SH, P2WPKH, P2WSH, bare multisig, taproot key and script paths,
//!   miniscript) with keys and scripts from a [`SigningProvider`], through a
//!   [`SignatureCreator`]; [`sign_transaction`] signs every input it can and reports
//!   Core's per-input errors; [`data_from_transaction`] reads partial signatures back.
//!   ECDSA signatures are RFC6979 with Core's low-R grinding and BIP340 signatures use
//!   zero auxiliary randomness, so both are byte-identical to Core's. Finished spends are
//!   checked with the consensus crate's interpreter.
//! - PSBTs (Core's `psbt.cpp` and `node/psbt.cpp`): [`psbt::Psbt`] reads and writes
//!   versions 0 and 2 with every field Core knows (taproot, MuSig2, proprietary, unknown),
//!   with Core's error messages; combining, finalizing, extracting and analysis.

#![warn(missing_docs)]

mod creator;
mod descriptor_provider;
mod infer;
mod keys;
mod ms;
mod provider;
pub mod psbt;
mod sigdata;
mod sign;
mod taproot;
mod transaction;

pub use creator::{
    money_range, DummyChecker, DummySignatureCreator, SignatureCreator, TxSignatureCreator,
    MAX_MONEY,
};
pub use descriptor_provider::expand_descriptor_into;
pub use infer::infer_wsh_miniscript;
pub use keys::{
    create_tap_tweak, hash160, key_id, pubkey_fully_valid, pubkey_valid_size, script_id,
    secret_pubkey, sha256, sign_ecdsa, sign_schnorr, xonly_key_ids, KeyId, ScriptId, Secret, XOnly,
};
pub use provider::{
    EmptyProvider, FlatSigningProvider, HidingSigningProvider, KeyOrigin, MuSig2Participants,
    SigningProvider,
};
pub use sigdata::SignatureData;
pub use sign::{is_segwit_output, produce_signature, push_all, STANDARD_SCRIPT_VERIFY_FLAGS};
pub use taproot::{ControlBlock, TaprootBuilder, TaprootSpendData};
pub use transaction::{
    amount_of, data_from_transaction, precompute, sign_transaction, update_input, Coins,
    ERR_INPUT_NOT_FOUND, ERR_MISSING_AMOUNT,
};
