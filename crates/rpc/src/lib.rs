//! Bitcoin Core's JSON-RPC server: the command table with Core's argument
//! checks and help output, JSON-RPC 1.0/2.0 request handling with Core's HTTP
//! status codes and byte-identical reply text, and the HTTP server with
//! Core's authentication (cookie, rpcuser/rpcpassword, rpcauth), IP
//! allow-lists and per-user method whitelists.
//!
//! Typical use: build a [`Table`], [`Table::register`] commands, end warmup
//! with [`Table::set_warmup`]`(None)` and serve it with [`HttpServer::start`].

pub mod args;
pub mod codes;
pub mod error;
pub mod http;
pub mod json;
pub mod jsonrpc;
mod openrpc;
pub mod request;
pub mod results;
pub mod table;
pub mod values;

pub use args::{Arg, ArgType, Fallback};
pub use error::{RpcError, RpcResult};
pub use http::{HttpConfig, HttpConfigError, HttpError, HttpServer, LogSink};
pub use jsonrpc::{handle_json_rpc, handle_json_rpc_full, Caller, JsonReply, Whitelist};
pub use request::Request;
pub use results::{results_help, Elision, ResultDoc, ResultType};
pub use serde_json::Value;
pub use table::{help_example_cli, help_example_rpc, Command, Handler, Params, Table};
pub use values::{amount_from_value, amount_value, double_value, COIN, MAX_MONEY};
