//! The listener and worker pool (work in progress).

use std::net::SocketAddr;
use std::sync::Arc;

use super::config::HttpConfig;
use crate::table::Table;

/// Log sink: (debug category such as "rpc"/"http", or `None` for unconditional lines; message).
pub type LogSink = Arc<dyn Fn(Option<&'static str>, &str) + Send + Sync>;

/// Failure to start the server.
#[derive(Debug)]
pub enum HttpError {
    /// No address could be bound.
    Bind(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Bind(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for HttpError {}

/// A running HTTP RPC server.
pub struct HttpServer {
    addrs: Vec<SocketAddr>,
}

impl HttpServer {
    /// Binds, writes the cookie and starts serving `table`.
    pub fn start(
        _config: HttpConfig,
        _table: Arc<Table>,
        _log: LogSink,
    ) -> Result<HttpServer, HttpError> {
        Err(HttpError::Bind("not implemented yet".into()))
    }
    /// Bound addresses.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.addrs.clone()
    }
    /// Stops accepting new requests.
    pub fn interrupt(&self) {}
    /// Stops the server and deletes the cookie.
    pub fn stop(self) {}
}
