//! The raw-transaction argument helpers (Core's `rpc/rawtransaction_util.cpp`), shared
//! with the wallet's commands in the `rawtx` crate.

pub use rawtx::{
    construct_transaction, find, get_obj, parse_hex_v, parse_prevouts, parse_sighash,
    sign_result_json,
};
