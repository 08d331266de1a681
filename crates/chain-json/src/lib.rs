//! JSON views of blocks, transactions and scripts, exactly as Core's RPC
//! prints them (Core's `core_io`): amounts, script asm, output types,
//! inferred descriptors, `scriptPubKey` objects, decoded transactions and
//! `decodescript` results, plus Core's hex decoding of transactions, blocks
//! and headers.
//!
//! Objects keep insertion order and numbers keep their exact text
//! (serde_json's `preserve_order` and `arbitrary_precision`), so
//! `serde_json::to_string` of a value here is byte-for-byte Core's compact
//! output.

#![warn(missing_docs)]

mod address;
mod amount;
mod asm;
mod decode;
mod descriptor;
mod hex;
mod ops;
mod script_json;
mod solver;
mod tx;
mod wire;

pub use amount::{amount_number, amount_text, value_from_amount};
pub use asm::{bytes_to_asm, script_to_asm, sighash_name};
pub use decode::{decode_hex_block, decode_hex_header, parse_hex_tx};
pub use descriptor::{add_checksum, descriptor_checksum, infer_descriptor};
pub use hex::{from_hex, to_hex};
pub use ops::op_name;
pub use script_json::{decode_script_json, script_to_json};
pub use solver::{classify, output_type, ScriptKind};
pub use tx::{coinbase_tx_json, tx_to_json, SpentCoin, TxVerbosity};
pub use wire::serialize_tx;
