//! Transactions and blocks read as Core's `UnserializeTransaction` reads them.
//!
//! The `bitcoin` crate refuses a transaction whose input count is zero unless a segwit
//! flag of 1 follows. Core reads the byte after an empty input vector as flags: zero
//! means a transaction with neither inputs nor outputs (left for the consensus checks to
//! reject with `bad-txns-vin-empty`), one means witnesses follow, anything else is an
//! error once the known flags are taken off.

use bitcoin::absolute::LockTime;
use bitcoin::block::Header;
use bitcoin::transaction::Version;
use bitcoin::{Block, Transaction, TxIn, TxOut, Witness};

use super::reader::{DecodeError, Reader};

/// The smallest serialized transaction: version, two empty vectors, lock time.
const MIN_TX_SIZE: usize = 10;
/// The smallest serialized input: outpoint, empty script, sequence.
const MIN_TXIN_SIZE: usize = 41;
/// The smallest serialized output: value and empty script.
const MIN_TXOUT_SIZE: usize = 9;

/// Reads one transaction (`UnserializeTransaction` with witnesses allowed).
pub(crate) fn read_transaction(r: &mut Reader<'_>) -> Result<Transaction, DecodeError> {
    let version = Version(r.i32()?);
    let mut flags = 0u8;
    let mut input: Vec<TxIn> = r.vec(MIN_TXIN_SIZE, |r| r.decode())?;
    let output: Vec<TxOut>;
    if input.is_empty() {
        // An empty input vector is either a real one or the segwit marker.
        flags = r.u8()?;
        if flags != 0 {
            input = r.vec(MIN_TXIN_SIZE, |r| r.decode())?;
            output = r.vec(MIN_TXOUT_SIZE, |r| r.decode())?;
        } else {
            output = Vec::new();
        }
    } else {
        output = r.vec(MIN_TXOUT_SIZE, |r| r.decode())?;
    }
    if flags & 1 != 0 {
        flags ^= 1;
        for i in &mut input {
            i.witness = r.decode::<Witness>()?;
        }
        if input.iter().all(|i| i.witness.is_empty()) {
            return Err(DecodeError::Invalid("Superfluous witness record".into()));
        }
    }
    if flags != 0 {
        return Err(DecodeError::Invalid(
            "Unknown transaction optional data".into(),
        ));
    }
    let lock_time = LockTime::from_consensus(r.u32()?);
    Ok(Transaction {
        version,
        lock_time,
        input,
        output,
    })
}

/// Reads a block: its header and transactions, each as [`read_transaction`] reads it.
pub(crate) fn read_block(r: &mut Reader<'_>) -> Result<Block, DecodeError> {
    let header: Header = r.decode()?;
    let txdata = r.vec(MIN_TX_SIZE, read_transaction)?;
    Ok(Block { header, txdata })
}
