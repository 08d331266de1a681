//! HTTP server settings from the command line (work in progress).

use std::path::Path;

/// Settings of the HTTP RPC server.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {}

/// Invalid RPC server options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpConfigError {
    /// Placeholder.
    Invalid(String),
}

impl std::fmt::Display for HttpConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpConfigError::Invalid(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for HttpConfigError {}

impl HttpConfig {
    /// Reads the `-rpc*` options.
    pub fn from_args(
        _args: &common::ArgsManager,
        _chain: common::ChainType,
        _net_dir: &Path,
    ) -> Result<HttpConfig, HttpConfigError> {
        Ok(HttpConfig {})
    }
}
