//! Bitcoin Core's JSON-RPC server: the command table with Core's argument
//! checks and help output, JSON-RPC 1.0/2.0 request handling with Core's HTTP
//! status codes and byte-identical reply text, and the HTTP server with
//! Core's authentication (cookie, rpcuser/rpcpassword, rpcauth), IP
//! allow-lists and per-user method whitelists.
//!
//! Typical use: build a [`Table`], [`Table::register`] commands, end warmup
//! with [`Table::set_warmup`]`(None)` and serve it with [`HttpServer::start`].
//! RPC over IPC goes through [`handle_json_rpc`] (or [`handle_json_rpc_full`]
//! for whitelists and logging), which gives the same replies as HTTP.
//!
//! Handlers read their positional arguments through [`Request`]: `arg_*`
//! accessors fall back to the argument's declared [`Fallback::Default`]
//! (Core's `self.Arg<T>(i)`), `maybe_*` ones return `None` when the argument
//! is absent or null (Core's `self.MaybeArg<T>(i)`); type errors carry Core's
//! messages. The table has already checked argument count and JSON types.
//!
//! Results must be built so they print as Core's: amounts with
//! [`amount_value`], doubles with [`double_value`] (never `Value::from(f64)`,
//! which prints `1.0` where Core prints `1`), integers with `Value::from`.
//!
//! Log lines go to a [`LogSink`] as (debug category or `None`, text); lines
//! that Core logs as warnings or errors carry its `"[warning] "` / `"[error] "`
//! prefix in the text.

pub mod args;
pub mod codes;
pub mod error;
pub mod http;
pub mod json;
pub mod jsonrpc;
mod openrpc;
pub mod remote;
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
