//! Undo data (`CBlockUndo`): the coins each transaction of a block spent, to disconnect it.

use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::BlockHash;

use crate::coin::{self, Coin, CoinError};
use crate::varint;

/// Coins spent by one transaction, in input order (`CTxUndo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxUndo {
    /// The spent coins.
    pub prevouts: Vec<Coin>,
}

/// Undo data of a block: one [`TxUndo`] per transaction after the coinbase (`CBlockUndo`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockUndo {
    /// Per non-coinbase transaction.
    pub txs: Vec<TxUndo>,
}

fn write_compact(out: &mut Vec<u8>, n: usize) {
    let _ = bitcoin::consensus::Encodable::consensus_encode(&bitcoin::VarInt(n as u64), out);
}

fn read_compact(data: &mut &[u8]) -> Result<usize, CoinError> {
    let v: bitcoin::VarInt =
        bitcoin::consensus::Decodable::consensus_decode(data).map_err(|_| CoinError::Truncated)?;
    usize::try_from(v.0).map_err(|_| CoinError::Overflow)
}

impl BlockUndo {
    /// Core's serialization.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_compact(&mut out, self.txs.len());
        for tx in &self.txs {
            write_compact(&mut out, tx.prevouts.len());
            for c in &tx.prevouts {
                varint::write(
                    &mut out,
                    ((c.height as u64) << 1) | u64::from(c.is_coinbase),
                );
                // A dummy version byte kept for compatibility with old undo files.
                if c.height > 0 {
                    out.push(0);
                }
                coin::write_txout(&mut out, &c.output);
            }
        }
        out
    }

    /// Parses Core's serialization; all of `data` must be consumed.
    pub fn deserialize(mut data: &[u8]) -> Result<BlockUndo, CoinError> {
        let n = read_compact(&mut data)?;
        // Each entry takes at least one byte: cap preallocation by what the input can hold.
        let mut txs = Vec::with_capacity(n.min(data.len()));
        for _ in 0..n {
            let m = read_compact(&mut data)?;
            let mut prevouts = Vec::with_capacity(m.min(data.len()));
            for _ in 0..m {
                let code = varint::read(&mut data)?;
                let height = u32::try_from(code >> 1).map_err(|_| CoinError::Overflow)?;
                if height > 0 {
                    varint::read(&mut data)?;
                }
                let output = coin::read_txout(&mut data)?;
                prevouts.push(Coin {
                    output,
                    height,
                    is_coinbase: code & 1 == 1,
                });
            }
            txs.push(TxUndo { prevouts });
        }
        if !data.is_empty() {
            return Err(CoinError::Overflow);
        }
        Ok(BlockUndo { txs })
    }

    /// The checksum Core stores after undo data: SHA256d of the previous block's hash and the data.
    pub fn checksum(serialized: &[u8], prev: &BlockHash) -> [u8; 32] {
        let mut e = sha256d::Hash::engine();
        e.input(prev.as_ref());
        e.input(serialized);
        sha256d::Hash::from_engine(e).to_byte_array()
    }
}
