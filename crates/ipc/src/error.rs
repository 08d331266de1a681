//! Errors of IPC calls, as seen by the code that makes them.

use std::fmt;

/// Why an IPC call, or setting up a connection, failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The connection is closed or the peer died; the call may or may not have run.
    Disconnected(String),
    /// The remote method failed (returned an error or panicked); carries its message.
    Remote(String),
    /// The peer does not implement the method or interface.
    Unimplemented(String),
    /// A message broke the protocol or could not be decoded.
    Protocol(String),
    /// A local I/O failure (spawning, binding, connecting).
    Io(String),
}

impl Error {
    /// The message without the variant prefix.
    pub fn message(&self) -> &str {
        match self {
            Error::Disconnected(m)
            | Error::Remote(m)
            | Error::Unimplemented(m)
            | Error::Protocol(m)
            | Error::Io(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Disconnected(m) => write!(f, "disconnected: {m}"),
            Error::Remote(m) => write!(f, "remote error: {m}"),
            Error::Unimplemented(m) => write!(f, "unimplemented: {m}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<capnp::Error> for Error {
    fn from(e: capnp::Error) -> Self {
        match e.kind {
            capnp::ErrorKind::Disconnected => Error::Disconnected(e.extra),
            capnp::ErrorKind::Unimplemented => Error::Unimplemented(e.extra),
            _ => Error::Protocol(e.to_string()),
        }
    }
}

impl From<capnp::NotInSchema> for Error {
    fn from(e: capnp::NotInSchema) -> Self {
        Error::Protocol(format!("unknown union member or enumerant: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

impl From<std::str::Utf8Error> for Error {
    fn from(e: std::str::Utf8Error) -> Self {
        Error::Protocol(format!("invalid UTF-8 in text field: {e}"))
    }
}

/// Result of an IPC call.
pub type Result<T> = std::result::Result<T, Error>;
