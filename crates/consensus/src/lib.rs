//! Bitcoin consensus rules, as Bitcoin Core applies them, in Rust without I/O.
//!
//! - [`script`]: the interpreter (`EvalScript`, `VerifyScript`) with every
//!   `SCRIPT_VERIFY_*` flag, Core's script errors, witness v0 and taproot/tapscript.
//! - [`sighash`]: legacy, BIP143 and BIP341 signature hashes over precomputed data.
//! - [`tx`]: context-free transaction checks with Core's reject reasons.
//!
//! Names follow Core (`VerifyScript` is [`script::verify_script`], `SCRIPT_ERR_EVAL_FALSE`
//! is [`script::ScriptError::EvalFalse`]) so that `grep` works across both code bases.

pub mod block;
pub mod script;
pub mod sighash;
pub mod tx;
