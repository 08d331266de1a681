//! Bitcoin Core's descriptor wallet, over the `Chain` interface.

pub mod error;
pub mod spkm;
pub mod tx;

pub use error::WalletError;
pub mod address;
pub mod coincontrol;
pub mod context;
pub mod crypt;
pub mod export;
pub mod feebumper;
pub mod fees;
pub mod hdkeys;
pub mod history;
pub mod import;
pub mod infer;
pub mod init;
pub mod load;
pub mod loader;
pub mod process;
pub mod rpc;
pub mod scan;
pub mod sign;
pub mod spend;
pub mod state;
pub mod tool;
pub mod wallet;
