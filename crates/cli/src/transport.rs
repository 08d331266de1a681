//! How a JSON-RPC request reaches the server.
//!
//! The CLI builds the request body and the endpoint path; a [`Transport`]
//! carries it and returns the HTTP status and body. HTTP over TCP is
//! implemented in [`crate::http`]; IPC (`-ipcconnect`) plugs in through
//! [`Connector::ipc`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A failure to exchange a request with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The server could not be reached or the exchange broke off. These are
    /// retried with `-rpcwait`. The text is the complete message.
    ConnectionFailed(String),
    /// Any other failure (e.g. authorization refused); not retried.
    Other(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::ConnectionFailed(m) | TransportError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TransportError {}

/// Carries one request to the server.
pub trait Transport {
    /// Sends `request_body` to the endpoint `uri` (`/` or `/wallet/<name>`)
    /// and returns the HTTP status and the response body.
    fn call(&self, request_body: &str, uri: &str) -> Result<(u16, String), TransportError>;
}

/// Where the HTTP credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `-rpcuser` and `-rpcpassword`, joined as `user:password`.
    Password(String),
    /// The cookie file (read at each request); `None` when disabled with `-norpccookiefile`.
    Cookie(Option<PathBuf>),
}

/// Everything the HTTP transport needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Host name or address, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Limit for connecting, sending and receiving; `None` for no limit.
    pub timeout: Option<Duration>,
    /// Authentication.
    pub credentials: Credentials,
    /// The config file path, named in the authorization-failure message.
    pub config_path: PathBuf,
}

/// The outcome of trying to connect over IPC.
pub enum IpcConnect {
    /// This build has no IPC support.
    NotBuilt,
    /// No socket to connect to (with `-ipcconnect=auto` the CLI falls back to HTTP).
    Unavailable,
    /// Connected.
    Connected(Box<dyn Transport>),
    /// Connecting failed; the text says why.
    Failed(String),
}

/// Makes transports; the binary uses [`DefaultConnector`], tests their own.
pub trait Connector {
    /// A transport for HTTP.
    fn http(&self, config: &HttpConfig) -> Box<dyn Transport>;

    /// A transport for IPC at `address` (`auto`, `unix` or `unix:<path>`),
    /// authenticating as `user`. `socket_dir` is the network datadir, where
    /// the default socket lives.
    fn ipc(&self, address: &str, socket_dir: &std::path::Path, user: &str) -> IpcConnect {
        let _ = (address, socket_dir, user);
        IpcConnect::NotBuilt
    }
}

/// HTTP over TCP, and IPC over the node's unix socket.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultConnector;

impl Connector for DefaultConnector {
    fn http(&self, config: &HttpConfig) -> Box<dyn Transport> {
        Box::new(crate::http::HttpTransport::new(config.clone()))
    }

    fn ipc(&self, address: &str, socket_dir: &std::path::Path, user: &str) -> IpcConnect {
        crate::ipc_transport::connect(address, socket_dir, user)
    }
}
