//! How the chainstate lays out its key-value store: coins as Core's chainstate keeps
//! them (`C` + txid + VARINT(index) → VARINT(height*2+coinbase) + compressed output), the
//! coins' best block (`B`), block index entries (`b` + hash) and block file usage
//! (`f` + file number).

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Txid};

use crate::blockfiles::{FilePos, FileUsage};
use crate::coin::{read_txout, write_txout};
use crate::index::{BlockStatus, Stored};
use crate::{varint, Coin};

/// Key of the coins' best block.
pub const BEST_BLOCK: &[u8] = b"B";
/// Prefix of coin keys.
pub const COIN: u8 = b'C';
/// Prefix of block index keys.
pub const INDEX: u8 = b'b';
/// Prefix of block file usage keys.
pub const FILE: u8 = b'f';

/// The key of a coin.
pub fn coin_key(o: &OutPoint) -> Vec<u8> {
    let mut k = Vec::with_capacity(38);
    k.push(COIN);
    k.extend_from_slice(o.txid.as_byte_array());
    varint::write(&mut k, o.vout as u64);
    k
}

/// The outpoint of a coin key.
pub fn parse_coin_key(k: &[u8]) -> Option<OutPoint> {
    let (&prefix, rest) = k.split_first()?;
    if prefix != COIN || rest.len() < 33 {
        return None;
    }
    let txid = Txid::from_slice(&rest[..32]).ok()?;
    let mut tail = &rest[32..];
    let vout = u32::try_from(varint::read(&mut tail).ok()?).ok()?;
    tail.is_empty().then_some(OutPoint { txid, vout })
}

/// A coin's stored value.
pub fn coin_value(c: &Coin) -> Vec<u8> {
    let mut v = Vec::with_capacity(40);
    varint::write(&mut v, ((c.height as u64) << 1) | u64::from(c.is_coinbase));
    write_txout(&mut v, &c.output);
    v
}

/// Reads a coin's stored value.
pub fn parse_coin(mut v: &[u8]) -> Option<Coin> {
    let code = varint::read(&mut v).ok()?;
    let output = read_txout(&mut v).ok()?;
    Some(Coin {
        output,
        height: u32::try_from(code >> 1).ok()?,
        is_coinbase: code & 1 == 1,
    })
}

/// The key of a block index entry.
pub fn index_key(hash: &BlockHash) -> Vec<u8> {
    let mut k = vec![INDEX];
    k.extend_from_slice(hash.as_byte_array());
    k
}

/// A stored block index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Height.
    pub height: u32,
    /// Status bits.
    pub status: BlockStatus,
    /// Block data position.
    pub data: Option<FilePos>,
    /// Undo data position.
    pub undo: Option<FilePos>,
    /// Transactions in the block.
    pub tx_count: u32,
    /// Transactions in the chain up to it.
    pub chain_tx_count: u64,
    /// The header.
    pub header: Header,
}

impl StoredEntry {
    /// The non-header part, as the index takes it.
    pub fn stored(&self) -> Stored {
        Stored {
            status: self.status,
            data: self.data,
            undo: self.undo,
            tx_count: self.tx_count,
            chain_tx_count: self.chain_tx_count,
        }
    }
}

fn put_pos(v: &mut Vec<u8>, p: Option<FilePos>) {
    match p {
        Some(p) => {
            v.push(1);
            v.extend_from_slice(&p.file.to_le_bytes());
            v.extend_from_slice(&p.pos.to_le_bytes());
        }
        None => v.extend_from_slice(&[0; 9]),
    }
}

fn get_pos(b: &[u8]) -> Option<Option<FilePos>> {
    let flag = *b.first()?;
    let file = u32::from_le_bytes(b.get(1..5)?.try_into().ok()?);
    let pos = u32::from_le_bytes(b.get(5..9)?.try_into().ok()?);
    match flag {
        0 => Some(None),
        1 => Some(Some(FilePos { file, pos })),
        _ => None,
    }
}

/// Serializes an index entry.
pub fn entry_value(e: &StoredEntry) -> Vec<u8> {
    let mut v = Vec::with_capacity(106);
    v.extend_from_slice(&e.height.to_le_bytes());
    v.extend_from_slice(&e.status.0.to_le_bytes());
    put_pos(&mut v, e.data);
    put_pos(&mut v, e.undo);
    v.extend_from_slice(&e.tx_count.to_le_bytes());
    v.extend_from_slice(&e.chain_tx_count.to_le_bytes());
    v.extend_from_slice(&bitcoin::consensus::serialize(&e.header));
    v
}

/// Reads an index entry; `None` if malformed.
pub fn parse_entry(v: &[u8]) -> Option<StoredEntry> {
    if v.len() != 4 + 4 + 9 + 9 + 4 + 8 + 80 {
        return None;
    }
    Some(StoredEntry {
        height: u32::from_le_bytes(v[0..4].try_into().ok()?),
        status: BlockStatus(u32::from_le_bytes(v[4..8].try_into().ok()?)),
        data: get_pos(&v[8..17])?,
        undo: get_pos(&v[17..26])?,
        tx_count: u32::from_le_bytes(v[26..30].try_into().ok()?),
        chain_tx_count: u64::from_le_bytes(v[30..38].try_into().ok()?),
        header: bitcoin::consensus::deserialize(&v[38..]).ok()?,
    })
}

/// The key of a block file's usage.
pub fn file_key(file: u32) -> Vec<u8> {
    let mut k = vec![FILE];
    k.extend_from_slice(&file.to_be_bytes());
    k
}

/// Serializes a file's usage.
pub fn usage_value(u: &FileUsage) -> Vec<u8> {
    [u.blocks.to_le_bytes(), u.undo.to_le_bytes()].concat()
}

/// Reads a file's usage.
pub fn parse_usage(v: &[u8]) -> Option<FileUsage> {
    Some(FileUsage {
        blocks: u64::from_le_bytes(v.get(0..8)?.try_into().ok()?),
        undo: u64::from_le_bytes(v.get(8..16)?.try_into().ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let o = OutPoint::new(Txid::from_byte_array([3; 32]), 300);
        assert_eq!(parse_coin_key(&coin_key(&o)), Some(o));
        assert_eq!(parse_coin_key(b"Cshort"), None);
        let g = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
        let coin = Coin {
            output: g.txdata[0].output[0].clone(),
            height: 7,
            is_coinbase: true,
        };
        assert_eq!(parse_coin(&coin_value(&coin)), Some(coin));
        let e = StoredEntry {
            height: 9,
            status: BlockStatus(13),
            data: Some(FilePos { file: 1, pos: 8 }),
            undo: None,
            tx_count: 3,
            chain_tx_count: 12,
            header: g.header,
        };
        assert_eq!(parse_entry(&entry_value(&e)), Some(e));
        assert_eq!(parse_entry(&[1, 2, 3]), None);
        let u = FileUsage { blocks: 5, undo: 6 };
        assert_eq!(parse_usage(&usage_value(&u)), Some(u));
    }
}
