//! Which network a process runs on, and where its data lives.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::args::{ArgsError, ArgsManager};

/// A Bitcoin network, named as Core names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainType {
    /// Mainnet.
    Main,
    /// Testnet3.
    Testnet,
    /// Testnet4.
    Testnet4,
    /// Signet.
    Signet,
    /// Regression test network.
    Regtest,
}

impl ChainType {
    /// Name used by `-chain=` and in RPC results.
    pub fn name(self) -> &'static str {
        match self {
            ChainType::Main => "main",
            ChainType::Testnet => "test",
            ChainType::Testnet4 => "testnet4",
            ChainType::Signet => "signet",
            ChainType::Regtest => "regtest",
        }
    }

    /// Parses a `-chain=` value.
    pub fn from_name(name: &str) -> Option<ChainType> {
        Some(match name {
            "main" => ChainType::Main,
            "test" => ChainType::Testnet,
            "testnet4" => ChainType::Testnet4,
            "signet" => ChainType::Signet,
            "regtest" => ChainType::Regtest,
            _ => return None,
        })
    }

    /// The network's default JSON-RPC port (`-rpcport`).
    pub fn rpc_port(self) -> u16 {
        match self {
            ChainType::Main => 8332,
            ChainType::Testnet => 18332,
            ChainType::Testnet4 => 48332,
            ChainType::Signet => 38332,
            ChainType::Regtest => 18443,
        }
    }

    /// Subdirectory of the datadir for this network (empty for mainnet).
    pub fn data_subdir(self) -> &'static str {
        match self {
            ChainType::Main => "",
            ChainType::Testnet => "testnet3",
            ChainType::Testnet4 => "testnet4",
            ChainType::Signet => "signet",
            ChainType::Regtest => "regtest",
        }
    }

    /// Selects the network from `-regtest`, `-testnet`, `-testnet4`, `-signet` and
    /// `-chain`, from the command line and the config file's top section, as Core's
    /// `GetChainType`.
    pub fn from_args(args: &ArgsManager) -> Result<ChainType, ArgsError> {
        args.get_chain_type()
    }

    /// `<datadir>/<subdir>`, the network datadir.
    pub fn net_dir(self, datadir: &Path) -> PathBuf {
        match self.data_subdir() {
            "" => datadir.to_path_buf(),
            sub => datadir.join(sub),
        }
    }
}

impl fmt::Display for ChainType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Core's default datadir: `$HOME/.bitcoin`.
pub fn default_datadir() -> PathBuf {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h).join(".bitcoin"),
        _ => PathBuf::from("/").join(".bitcoin"),
    }
}
