//! The HTTP side of the RPC server: configuration from the command line,
//! authentication, the listener and the worker pool.

mod auth;
mod config;
mod pool;
mod server;
mod subnet;

pub use auth::{check_rpcauth, cookie_perms_from_str, Credentials, RpcAuthEntry, COOKIE_USER};
pub use config::{
    split_host_port, HttpConfig, HttpConfigError, PasswordSource, DEFAULT_HTTP_SERVER_TIMEOUT,
    DEFAULT_HTTP_THREADS, DEFAULT_HTTP_WORKQUEUE, MAX_BODY_SIZE,
};
pub use server::{HttpError, HttpServer, LogSink};
pub use subnet::Subnet;
