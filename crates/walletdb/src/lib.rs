//! Bitcoin Core's descriptor wallet file, byte-compatible in both directions.
//!
//! - [`records`]: the typed key/value records Core's `walletdb.cpp` writes, with
//!   Core's serialization, plus `CPrivKey` DER, the 74-byte xpub layout and
//!   descriptor ids.
//! - [`wtx`]: the `CWalletTx` value of `tx` records.
//! - [`crypter`]: wallet encryption (`CCrypter`, `CMasterKey`).
//! - [`store`]: the [`store::WalletStore`] trait and an in-memory store.
//! - [`sqlite`]: the SQLite file itself.
//! - [`dump`]: the text dump `bitcoin-wallet dump` / `createfromdump` use.
//!
//! ```
//! use bitcoin::{absolute::LockTime, transaction::Version, Amount, ScriptBuf, Transaction, TxIn, TxOut};
//! use walletdb::records::{self, descriptor_id, Record, WalletDescriptor};
//! use walletdb::sqlite::{wallet_data_file, SqliteStore};
//! use walletdb::store::{within_txn, WalletStore};
//! use walletdb::wtx::{SerializedTxState, WalletTxRecord};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let regtest = [0xfa, 0xbf, 0xb5, 0xda]; // message start; becomes the application id
//! # let dir = std::env::temp_dir().join(format!("walletdb-doc-{}", std::process::id()));
//! let file = wallet_data_file(&dir); // <walletdir>/wallet.dat
//! let mut store = SqliteStore::create(&file, regtest)?;
//!
//! let desc = "wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)";
//! let desc = format!("{desc}#{}", records::descriptor_checksum(desc).unwrap_or_default());
//! let id = descriptor_id(&desc)?;
//! let descriptor =
//!     WalletDescriptor { descriptor: desc, creation_time: 0, next_index: 0, range_start: 0, range_end: 0 };
//! let tx = Transaction {
//!     version: Version::TWO,
//!     lock_time: LockTime::ZERO,
//!     input: vec![TxIn::default()],
//!     output: vec![TxOut { value: Amount::from_sat(1000), script_pubkey: ScriptBuf::new() }],
//! };
//! let wtx = WalletTxRecord::new(tx.clone(), SerializedTxState::Unconfirmed);
//! // Both records land together or not at all.
//! within_txn(&mut store, |s| {
//!     s.write_record(&Record::WalletDescriptor { id, descriptor })?;
//!     s.write_record(&Record::Tx { txid: tx.compute_txid(), wtx: Box::new(wtx) })
//! })?;
//! drop(store);
//!
//! let store = SqliteStore::open(&file, regtest)?;
//! for (key, value) in store.records()? {
//!     match records::decode(&key, &value)? {
//!         Record::WalletDescriptor { id, descriptor } => println!("{id}: {}", descriptor.descriptor),
//!         Record::Tx { txid, wtx } => println!("{txid}: {:?}", wtx.state),
//!         other => println!("{other:?}"),
//!     }
//! }
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod crypter;
pub mod dump;
pub mod hex;
pub mod records;
pub mod ser;
pub mod sqlite;
pub mod store;
pub mod wtx;

#[cfg(test)]
mod testutil;

pub use crypter::CrypterError;
pub use dump::DumpError;
pub use records::{Record, RecordError};
pub use sqlite::SqliteStore;
pub use store::{MemoryStore, StoreError, WalletStore};
pub use zeroize::Zeroizing;
