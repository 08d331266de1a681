//! The transaction index (`-txindex`, Core's `TxIndex`): for every transaction of the
//! chain's blocks, where it is stored. Layout as Core's txindex before its hashed keys:
//! `t` + txid → `CDiskTxPos` (VARINT block file, VARINT data position of the block,
//! VARINT offset of the transaction after the 80-byte header), and `B` → locator.

use std::path::Path;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Transaction, Txid};
use chain::{varint, ChainState, FilePos};
use common::log_error;
use kvstore::WriteBatch;

use crate::base::{BaseIndex, BestBlock, Indexer};
use crate::{ChainAccess, IndexError, IndexSummary};

/// `-txindex` is off unless asked for (`DEFAULT_TXINDEX`).
pub const DEFAULT_TXINDEX: bool = false;

/// Prefix of a transaction's entry (Core's `DB_TXINDEX`).
const DB_TXINDEX: u8 = b't';

/// Where a transaction is stored (Core's `CDiskTxPos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskTxPos {
    /// Where its block's data starts.
    pub block: FilePos,
    /// Bytes from the end of the block header to the transaction.
    pub tx_offset: u32,
}

impl DiskTxPos {
    /// The stored form: three VARINTs, as Core serializes `CDiskTxPos`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(12);
        varint::write(&mut v, u64::from(self.block.file));
        varint::write(&mut v, u64::from(self.block.pos));
        varint::write(&mut v, u64::from(self.tx_offset));
        v
    }

    /// Reads the stored form; `None` unless it is exactly three VARINTs that fit.
    pub fn decode(mut v: &[u8]) -> Option<DiskTxPos> {
        let mut next = || {
            varint::read(&mut v)
                .ok()
                .and_then(|n| u32::try_from(n).ok())
        };
        let (file, pos, tx_offset) = (next()?, next()?, next()?);
        v.is_empty().then_some(DiskTxPos {
            block: FilePos { file, pos },
            tx_offset,
        })
    }
}

fn tx_key(txid: &Txid) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = DB_TXINDEX;
    k[1..].copy_from_slice(txid.as_byte_array());
    k
}

/// The entries of one block.
pub(crate) struct TxEntries;

impl Indexer for TxEntries {
    const NAME: &'static str = "txindex";
    const THREAD_NAME: &'static str = "txidx";

    fn append(&self, block: &Block, height: u32, pos: FilePos, batch: &mut WriteBatch) {
        // The genesis coinbase cannot be spent and Core leaves it out.
        if height == 0 {
            return;
        }
        let mut tx_offset = bitcoin::VarInt(block.txdata.len() as u64).size() as u32;
        for tx in &block.txdata {
            let at = DiskTxPos {
                block: pos,
                tx_offset,
            };
            batch.put(&tx_key(&tx.compute_txid()), &at.encode());
            tx_offset = tx_offset.saturating_add(tx.total_size() as u32);
        }
    }
}

/// The transaction index: txid → the block holding the transaction. Shared as
/// `Arc<TxIndex>`; every method takes `&self`.
pub struct TxIndex {
    base: BaseIndex<TxEntries>,
}

impl TxIndex {
    /// Opens the index in `dir` (`<datadir>/<chain>/indexes/txindex`), emptied first with
    /// `wipe` (`-reindex`), resumes from the block its locator names in `chain` and
    /// subscribes to `chain`'s connections and disconnections. Fails with
    /// [`IndexError::BestBlockNotFound`] when that block is unknown, as Core's start-up.
    pub fn open(dir: &Path, wipe: bool, chain: &mut ChainState) -> Result<TxIndex, IndexError> {
        Ok(TxIndex {
            base: BaseIndex::open(dir, wipe, chain, TxEntries)?,
        })
    }

    /// Starts the `txidx` thread that indexes the active chain from where the index
    /// stopped to the tip, then leaves the index following the chainstate. `host` gives
    /// it the chainstate and takes a fatal error; it is released by [`Self::stop`].
    pub fn start_background_sync(&self, host: Arc<dyn ChainAccess>) -> Result<(), IndexError> {
        self.base.start_background_sync(host)
    }

    /// Asks the sync thread to stop soon, without waiting (Core's `Interrupt`).
    pub fn interrupt(&self) {
        self.base.interrupt();
    }

    /// Stops syncing and following the chain, waits for the thread and makes the database
    /// durable (Core's `Stop`). Call at shutdown.
    pub fn stop(&self) {
        self.base.stop();
    }

    /// `synced` and `best_block_height` for `getindexinfo` (Core's `GetSummary`).
    pub fn summary(&self) -> IndexSummary {
        self.base.summary()
    }

    /// The block the index has processed last.
    pub fn best_block(&self) -> Option<BestBlock> {
        self.base.best_block()
    }

    /// Core's `BlockUntilSyncedToCurrentChain`: false while the index is still catching up
    /// from behind (callers then say the chain is still being indexed); true once it
    /// holds every block of the active chain. It never blocks: after the catch-up the
    /// index is updated inside each block connection, under the chainstate lock, so
    /// there is nothing queued to wait for. Safe to call with or without that lock.
    pub fn block_until_synced_to_current_chain(&self) -> bool {
        self.base.block_until_synced_to_current_chain()
    }

    /// Where the transaction `txid` is stored, if the index has it.
    pub fn position(&self, txid: &Txid) -> Result<Option<DiskTxPos>, IndexError> {
        match self.base.shared.db.get(&tx_key(txid))? {
            None => Ok(None),
            Some(v) => DiskTxPos::decode(&v)
                .map(Some)
                .ok_or(IndexError::Corrupt("transaction position")),
        }
    }

    /// The transaction `txid` and the hash of the block holding it (Core's `FindTx`),
    /// read from the block files; `Ok(None)` when the index does not have it or the
    /// stored position holds another transaction. The block may have left the active
    /// chain since. Does not need the chainstate lock.
    pub fn try_find_tx(&self, txid: &Txid) -> Result<Option<(Transaction, BlockHash)>, IndexError> {
        let Some(at) = self.position(txid)? else {
            return Ok(None);
        };
        let (header, tx) = self.base.shared.reader.read_tx(at.block, at.tx_offset)?;
        if tx.compute_txid() != *txid {
            log_error!("txid mismatch");
            return Ok(None);
        }
        Ok(Some((tx, header.block_hash())))
    }

    /// [`Self::try_find_tx`] for `getrawtransaction`: errors are logged, as Core logs
    /// them, and answer `None`. Call [`Self::block_until_synced_to_current_chain`] first
    /// to tell "not indexed yet" from "not in the chain".
    pub fn find_tx(&self, txid: &Txid) -> Option<(Transaction, BlockHash)> {
        match self.try_find_tx(txid) {
            Ok(found) => found,
            Err(e) => {
                log_error!("Deserialize or I/O error - {e}");
                None
            }
        }
    }
}
