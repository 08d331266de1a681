//! Transaction and block (de)serialization with Core's exact rules: the
//! witness marker is written only when some input has a witness, and reading
//! can be limited to the legacy or the extended format.

use bitcoin::absolute::LockTime;
use bitcoin::block::Header;
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, Wtxid,
};

/// A cursor over bytes being decoded; every read fails cleanly at the end.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.array()?))
    }

    /// A canonical compact size no larger than `MAX_SIZE`.
    fn compact_size(&mut self) -> Option<usize> {
        let (n, used) = common::ser::read_compact_size(&self.data[self.pos..], true).ok()?;
        self.pos += used;
        usize::try_from(n).ok()
    }

    fn var_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.compact_size()?;
        self.bytes(n)
    }

    /// `count` items read by `item`. The announced count only bounds the
    /// initial reservation loosely, so that a short input claiming millions
    /// of items cannot make us allocate for them.
    fn vec<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        const MAX_RESERVE: usize = 1024;
        let n = self.compact_size()?;
        let left = self.data.len().saturating_sub(self.pos);
        let mut out = Vec::with_capacity(n.min(left).min(MAX_RESERVE));
        for _ in 0..n {
            out.push(item(self)?);
        }
        Some(out)
    }

    fn tx_in(&mut self) -> Option<TxIn> {
        let txid = Txid::from_byte_array(self.array()?);
        let vout = self.u32()?;
        let script_sig = ScriptBuf::from_bytes(self.var_bytes()?.to_vec());
        let sequence = Sequence(self.u32()?);
        Some(TxIn {
            previous_output: OutPoint { txid, vout },
            script_sig,
            sequence,
            witness: Witness::new(),
        })
    }

    fn tx_out(&mut self) -> Option<TxOut> {
        // Core reads the value as a signed 64-bit number; the bits are kept
        // as they are (see `sats`).
        let value = Amount::from_sat(self.u64()?);
        let script_pubkey = ScriptBuf::from_bytes(self.var_bytes()?.to_vec());
        Some(TxOut {
            value,
            script_pubkey,
        })
    }

    /// One transaction; `allow_witness` selects the extended format.
    pub(crate) fn transaction(&mut self, allow_witness: bool) -> Option<Transaction> {
        let version = Version(i32::from_le_bytes(self.array()?));
        let mut input = self.vec(Self::tx_in)?;
        let mut output = Vec::new();
        let mut flags = 0u8;
        if input.is_empty() && allow_witness {
            flags = self.u8()?;
            if flags != 0 {
                input = self.vec(Self::tx_in)?;
                output = self.vec(Self::tx_out)?;
            }
        } else {
            output = self.vec(Self::tx_out)?;
        }
        if flags & 1 != 0 && allow_witness {
            flags ^= 1;
            for txin in &mut input {
                let stack = self.vec(|r| r.var_bytes().map(<[u8]>::to_vec))?;
                txin.witness = Witness::from_slice(&stack);
            }
            if input.iter().all(|i| i.witness.is_empty()) {
                return None;
            }
        }
        if flags != 0 {
            return None;
        }
        let lock_time = LockTime::from_consensus(self.u32()?);
        Some(Transaction {
            version,
            lock_time,
            input,
            output,
        })
    }

    /// An 80-byte block header.
    pub(crate) fn header(&mut self) -> Option<Header> {
        bitcoin::consensus::deserialize(self.bytes(80)?).ok()
    }

    /// A block: header and transactions in the extended format.
    pub(crate) fn block(&mut self) -> Option<Block> {
        let header = self.header()?;
        let txdata = self.vec(|r| r.transaction(true))?;
        Some(Block { header, txdata })
    }
}

fn write_compact_size(out: &mut Vec<u8>, n: usize) {
    common::ser::write_compact_size(out, n as u64);
}

fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_compact_size(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Whether any input carries witness data.
pub(crate) fn has_witness(tx: &Transaction) -> bool {
    tx.input.iter().any(|i| !i.witness.is_empty())
}

/// Core's serialization: the extended format when `with_witness` and some
/// input has a witness, the legacy format otherwise (even with no inputs).
pub fn serialize_tx(tx: &Transaction, with_witness: bool) -> Vec<u8> {
    let extended = with_witness && has_witness(tx);
    let mut out = Vec::new();
    out.extend_from_slice(&tx.version.0.to_le_bytes());
    if extended {
        out.extend_from_slice(&[0x00, 0x01]);
    }
    write_compact_size(&mut out, tx.input.len());
    for i in &tx.input {
        out.extend_from_slice(i.previous_output.txid.as_byte_array());
        out.extend_from_slice(&i.previous_output.vout.to_le_bytes());
        write_var_bytes(&mut out, i.script_sig.as_bytes());
        out.extend_from_slice(&i.sequence.0.to_le_bytes());
    }
    write_compact_size(&mut out, tx.output.len());
    for o in &tx.output {
        out.extend_from_slice(&o.value.to_sat().to_le_bytes());
        write_var_bytes(&mut out, o.script_pubkey.as_bytes());
    }
    if extended {
        for i in &tx.input {
            write_compact_size(&mut out, i.witness.len());
            for item in i.witness.iter() {
                write_var_bytes(&mut out, item);
            }
        }
    }
    out.extend_from_slice(&tx.lock_time.to_consensus_u32().to_le_bytes());
    out
}

/// Both serializations of a transaction, computed once.
pub(crate) struct Encoded {
    /// Legacy serialization (hashed for the txid).
    pub base: Vec<u8>,
    /// Full serialization (hashed for the wtxid; the `hex` field).
    pub full: Vec<u8>,
}

impl Encoded {
    pub(crate) fn new(tx: &Transaction) -> Self {
        let base = serialize_tx(tx, false);
        let full = if has_witness(tx) {
            serialize_tx(tx, true)
        } else {
            base.clone()
        };
        Encoded { base, full }
    }

    pub(crate) fn txid(&self) -> Txid {
        Txid::from_raw_hash(sha256d::Hash::hash(&self.base))
    }

    pub(crate) fn wtxid(&self) -> Wtxid {
        Wtxid::from_raw_hash(sha256d::Hash::hash(&self.full))
    }

    /// Weight: legacy size times three plus full size.
    pub(crate) fn weight(&self) -> usize {
        self.base.len() * 3 + self.full.len()
    }
}
