//! The HTTP side of the RPC server: configuration from the command line,
//! authentication, the listener and the worker pool.

mod config;
mod server;

pub use config::{HttpConfig, HttpConfigError};
pub use server::{HttpError, HttpServer, LogSink};
