//! Core's `CWalletTx` as stored in a `tx` record (wallet/transaction.h).
//!
//! Layout: transaction (with witness), block hash, a legacy merkle branch, block index,
//! legacy `vtxPrev`, the string map `mapValue`, the order form (`Message` and
//! `PaymentRequest` entries), a legacy u32, time received, and two legacy bools.

use std::collections::BTreeMap;
use std::fmt;

use bitcoin::consensus::{deserialize_partial, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Transaction};

use crate::ser::{put_compact_size, put_hash_vec, put_string, Reader, SerError};

/// Why a `tx` value did not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WtxError {
    /// A field did not deserialize.
    Ser(SerError),
    /// The transaction did not deserialize.
    Transaction(String),
    /// A `mapValue` key Core does not know (Core's text).
    UnexpectedMapValue(String),
    /// An order-form entry whose type is not `Message` or `PaymentRequest` (Core's text).
    UnknownOrderFormType(String),
}

impl fmt::Display for WtxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WtxError::Ser(e) => e.fmt(f),
            WtxError::Transaction(e) => write!(f, "transaction: {e}"),
            WtxError::UnexpectedMapValue(_) => {
                f.write_str("Unexpected value in CWalletTx strings value map")
            }
            WtxError::UnknownOrderFormType(_) => {
                f.write_str("Unknown type in CWalletTx messages and requests vector")
            }
        }
    }
}

impl std::error::Error for WtxError {}

impl From<SerError> for WtxError {
    fn from(e: SerError) -> Self {
        WtxError::Ser(e)
    }
}

/// The block hash Core writes for an abandoned transaction (`uint256::ONE`).
pub const ABANDON_HASH: [u8; 32] = {
    let mut h = [0u8; 32];
    h[0] = 1;
    h
};

/// A transaction's state as the serialized (block hash, index) pair encodes it, read
/// the way Core's `TxStateInterpretSerialized` reads it. Heights are not stored; Core
/// fills them in from the chain after loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializedTxState {
    /// In block `block_hash` at position `index` (>= 0).
    Confirmed {
        /// Block containing the transaction.
        block_hash: BlockHash,
        /// Position in the block.
        index: i32,
    },
    /// Conflicts with a transaction in block `block_hash` (index -1).
    Conflicted {
        /// Block holding the conflicting transaction.
        block_hash: BlockHash,
    },
    /// Abandoned by the user (hash `uint256::ONE`, index -1).
    Abandoned,
    /// Not in a block: in the mempool or inactive (zero hash, index 0).
    Unconfirmed,
    /// Any other pair; Core keeps it as-is and treats the transaction as inactive.
    Unrecognized {
        /// Stored hash.
        block_hash: [u8; 32],
        /// Stored index.
        index: i32,
    },
}

impl SerializedTxState {
    /// Core's `TxStateInterpretSerialized`.
    pub fn interpret(block_hash: [u8; 32], index: i32) -> Self {
        if block_hash == [0u8; 32] {
            if index == 0 {
                return SerializedTxState::Unconfirmed;
            }
        } else if block_hash == ABANDON_HASH {
            if index == -1 {
                return SerializedTxState::Abandoned;
            }
        } else if index >= 0 {
            return SerializedTxState::Confirmed {
                block_hash: BlockHash::from_byte_array(block_hash),
                index,
            };
        } else if index == -1 {
            return SerializedTxState::Conflicted {
                block_hash: BlockHash::from_byte_array(block_hash),
            };
        }
        SerializedTxState::Unrecognized { block_hash, index }
    }

    /// Core's `TxStateSerializedBlockHash`.
    pub fn block_hash(&self) -> [u8; 32] {
        match self {
            SerializedTxState::Confirmed { block_hash, .. }
            | SerializedTxState::Conflicted { block_hash } => block_hash.to_byte_array(),
            SerializedTxState::Abandoned => ABANDON_HASH,
            SerializedTxState::Unconfirmed => [0u8; 32],
            SerializedTxState::Unrecognized { block_hash, .. } => *block_hash,
        }
    }

    /// Core's `TxStateSerializedIndex`.
    pub fn index(&self) -> i32 {
        match self {
            SerializedTxState::Confirmed { index, .. }
            | SerializedTxState::Unrecognized { index, .. } => *index,
            SerializedTxState::Conflicted { .. } | SerializedTxState::Abandoned => -1,
            SerializedTxState::Unconfirmed => 0,
        }
    }
}

/// An entry of the legacy `vtxPrev` vector (Core's `CMerkleTx`), found only in very old
/// wallets; Core reads and discards these, we keep them so a record writes back whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTx {
    /// The transaction.
    pub tx: Transaction,
    /// Its block.
    pub block_hash: [u8; 32],
    /// Merkle branch.
    pub merkle_branch: Vec<[u8; 32]>,
    /// Position in the block.
    pub index: i32,
}

/// `mapValue` keys Core keeps besides `n` and `timesmart`.
pub const MAP_VALUE_KEYS: [&str; 6] = [
    "from",
    "message",
    "comment",
    "to",
    "replaces_txid",
    "replaced_by_txid",
];

/// A `tx` record's value: Core's `CWalletTx` fields as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTxRecord {
    /// The transaction (Core's canonical variant), serialized with witness.
    pub tx: Transaction,
    /// Block hash and index.
    pub state: SerializedTxState,
    /// Legacy `vMerkleBranch`; Core writes it empty.
    pub merkle_branch: Vec<[u8; 32]>,
    /// Legacy `vtxPrev`; Core writes it empty.
    pub prev_txs: Vec<MerkleTx>,
    /// The remaining `mapValue` strings, keyed by one of [`MAP_VALUE_KEYS`]. `n`,
    /// `timesmart`, `fromaccount` and `spent` are not here: the first two are the typed
    /// fields below, the others Core drops on read and writes as constants.
    pub map_value: BTreeMap<String, String>,
    /// Position in the wallet's transaction order (`mapValue["n"]`), -1 if unordered.
    pub order_pos: i64,
    /// `nTimeSmart` (`mapValue["timesmart"]`), 0 if unset.
    pub time_smart: u32,
    /// `vOrderForm`: (`Message` | `PaymentRequest`, text) pairs.
    pub order_form: Vec<(String, String)>,
    /// Legacy `fTimeReceivedIsTxTime`; Core writes 0.
    pub time_received_is_tx_time: u32,
    /// `nTimeReceived`: when this node first saw the transaction.
    pub time_received: u32,
    /// Legacy `fFromMe`; Core writes false.
    pub from_me: bool,
    /// Legacy `fSpent`; Core writes false.
    pub spent: bool,
}

impl WalletTxRecord {
    /// A record for `tx` as Core would write a fresh `CWalletTx`.
    pub fn new(tx: Transaction, state: SerializedTxState) -> Self {
        WalletTxRecord {
            tx,
            state,
            merkle_branch: Vec::new(),
            prev_txs: Vec::new(),
            map_value: BTreeMap::new(),
            order_pos: -1,
            time_smart: 0,
            order_form: Vec::new(),
            time_received_is_tx_time: 0,
            time_received: 0,
            from_me: false,
            spent: false,
        }
    }

    /// The `mapValue` Core writes: the kept strings, `fromaccount` = "", and `n` and
    /// `timesmart` when set.
    pub fn serialized_map_value(&self) -> BTreeMap<String, String> {
        let mut m = self.map_value.clone();
        m.insert("fromaccount".into(), String::new());
        if self.order_pos != -1 {
            m.insert("n".into(), self.order_pos.to_string());
        } else {
            m.remove("n");
        }
        if self.time_smart != 0 {
            m.insert("timesmart".into(), self.time_smart.to_string());
        } else {
            m.remove("timesmart");
        }
        m
    }

    /// Serializes as Core's `CWalletTx::Serialize`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = serialize(&self.tx);
        out.extend_from_slice(&self.state.block_hash());
        put_hash_vec(&mut out, &self.merkle_branch);
        out.extend_from_slice(&self.state.index().to_le_bytes());
        put_compact_size(&mut out, self.prev_txs.len() as u64);
        for p in &self.prev_txs {
            out.extend_from_slice(&serialize(&p.tx));
            out.extend_from_slice(&p.block_hash);
            put_hash_vec(&mut out, &p.merkle_branch);
            out.extend_from_slice(&p.index.to_le_bytes());
        }
        let map = self.serialized_map_value();
        put_compact_size(&mut out, map.len() as u64);
        for (k, v) in &map {
            put_string(&mut out, k);
            put_string(&mut out, v);
        }
        put_compact_size(&mut out, self.order_form.len() as u64);
        for (k, v) in &self.order_form {
            put_string(&mut out, k);
            put_string(&mut out, v);
        }
        out.extend_from_slice(&self.time_received_is_tx_time.to_le_bytes());
        out.extend_from_slice(&self.time_received.to_le_bytes());
        out.push(u8::from(self.from_me));
        out.push(u8::from(self.spent));
        out
    }

    /// Parses as Core's `CWalletTx::Unserialize`, with its checks on the string map and
    /// order form; every byte must be used.
    pub fn decode(bytes: &[u8]) -> Result<Self, WtxError> {
        let mut r = Reader::new(bytes);
        let rec = Self::read(&mut r)?;
        r.finish()?;
        Ok(rec)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, WtxError> {
        let tx = read_tx(r)?;
        let block_hash = r.hash()?;
        let merkle_branch = r.hash_vec()?;
        let index = r.i32()?;
        let n_prev = r.len_prefix()?;
        let mut prev_txs = Vec::new();
        for _ in 0..n_prev {
            prev_txs.push(MerkleTx {
                tx: read_tx(r)?,
                block_hash: r.hash()?,
                merkle_branch: r.hash_vec()?,
                index: r.i32()?,
            });
        }
        let raw_map = read_string_map(r)?;
        let n_form = r.len_prefix()?;
        let mut order_form = Vec::new();
        for _ in 0..n_form {
            let kind = r.string()?;
            let text = r.string()?;
            if kind != "Message" && kind != "PaymentRequest" {
                return Err(WtxError::UnknownOrderFormType(kind));
            }
            order_form.push((kind, text));
        }
        let time_received_is_tx_time = r.u32()?;
        let time_received = r.u32()?;
        let from_me = r.bool()?;
        let spent = r.bool()?;

        let mut rec = WalletTxRecord {
            tx,
            state: SerializedTxState::interpret(block_hash, index),
            merkle_branch,
            prev_txs,
            map_value: BTreeMap::new(),
            order_pos: -1,
            time_smart: 0,
            order_form,
            time_received_is_tx_time,
            time_received,
            from_me,
            spent,
        };
        for (k, v) in raw_map {
            match k.as_str() {
                "fromaccount" | "spent" => {}
                "n" => rec.order_pos = locale_independent_atoi(&v),
                // Core stores the 64-bit parse into an unsigned int: keep the low bits.
                "timesmart" => rec.time_smart = locale_independent_atoi(&v) as u32,
                _ if MAP_VALUE_KEYS.contains(&k.as_str()) => {
                    rec.map_value.insert(k, v);
                }
                _ => return Err(WtxError::UnexpectedMapValue(k)),
            }
        }
        Ok(rec)
    }
}

fn read_tx(r: &mut Reader<'_>) -> Result<Transaction, WtxError> {
    let (tx, used) = deserialize_partial::<Transaction>(r.rest())
        .map_err(|e| WtxError::Transaction(e.to_string()))?;
    r.bytes(used)?;
    Ok(tx)
}

/// A `std::map<std::string, std::string>`; like `std::map::insert`, the first of
/// duplicate keys wins.
fn read_string_map(r: &mut Reader<'_>) -> Result<BTreeMap<String, String>, SerError> {
    let n = r.len_prefix()?;
    let mut m = BTreeMap::new();
    for _ in 0..n {
        let k = r.string()?;
        let v = r.string()?;
        m.entry(k).or_insert(v);
    }
    Ok(m)
}

/// Core's `LocaleIndependentAtoi<int64_t>`: trims whitespace, takes an optional sign
/// and the leading digits, saturates on overflow and gives 0 when nothing parses.
pub fn locale_independent_atoi(s: &str) -> i64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\x0c' | '\n' | '\r' | '\t' | '\x0b'));
    let t = match t.strip_prefix('+') {
        Some(rest) if rest.starts_with('-') => return 0,
        Some(rest) => rest,
        None => t,
    };
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let digits = &digits[..end];
    if digits.is_empty() {
        return 0;
    }
    let mut acc: i64 = 0;
    for d in digits.bytes() {
        let d = i64::from(d - b'0');
        let next = acc.checked_mul(10).and_then(|a| {
            if neg {
                a.checked_sub(d)
            } else {
                a.checked_add(d)
            }
        });
        match next {
            Some(v) => acc = v,
            None => return if neg { i64::MIN } else { i64::MAX },
        }
    }
    acc
}

#[cfg(test)]
pub(crate) mod tests_support {
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness};

    /// A one-input, one-output transaction, with a witness if asked.
    pub(crate) fn sample_tx(witness: bool) -> Transaction {
        let mut w = Witness::new();
        if witness {
            w.push([0x30, 0x01]);
        }
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_byte_array([3; 32]),
                    vout: 1,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: w,
            }],
            output: vec![TxOut {
                value: Amount::from_sat(5000),
                script_pubkey: ScriptBuf::new(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::sample_tx;
    use super::*;

    #[test]
    fn state_interpretation_matches_core() {
        let h = [9u8; 32];
        let cases = [
            ([0u8; 32], 0, SerializedTxState::Unconfirmed),
            (ABANDON_HASH, -1, SerializedTxState::Abandoned),
            (
                h,
                3,
                SerializedTxState::Confirmed {
                    block_hash: BlockHash::from_byte_array(h),
                    index: 3,
                },
            ),
            (
                h,
                -1,
                SerializedTxState::Conflicted {
                    block_hash: BlockHash::from_byte_array(h),
                },
            ),
            (
                [0u8; 32],
                5,
                SerializedTxState::Unrecognized {
                    block_hash: [0; 32],
                    index: 5,
                },
            ),
            (
                ABANDON_HASH,
                0,
                SerializedTxState::Unrecognized {
                    block_hash: ABANDON_HASH,
                    index: 0,
                },
            ),
            (
                h,
                -2,
                SerializedTxState::Unrecognized {
                    block_hash: h,
                    index: -2,
                },
            ),
        ];
        for (hash, idx, want) in cases {
            let s = SerializedTxState::interpret(hash, idx);
            assert_eq!(s, want);
            assert_eq!((s.block_hash(), s.index()), (hash, idx));
        }
    }

    #[test]
    fn round_trip_with_map_values() {
        for witness in [false, true] {
            let mut rec = WalletTxRecord::new(
                sample_tx(witness),
                SerializedTxState::Confirmed {
                    block_hash: BlockHash::from_byte_array([7; 32]),
                    index: 2,
                },
            );
            rec.order_pos = 12;
            rec.time_smart = 1_700_000_000;
            rec.time_received = 1_700_000_001;
            rec.map_value.insert("comment".into(), "rent".into());
            rec.map_value
                .insert("replaces_txid".into(), "00".repeat(32));
            rec.order_form.push(("Message".into(), "hi".into()));
            let bytes = rec.encode();
            assert_eq!(WalletTxRecord::decode(&bytes).unwrap(), rec);
            let map = rec.serialized_map_value();
            assert_eq!(map.get("n").map(String::as_str), Some("12"));
            assert_eq!(map.get("fromaccount").map(String::as_str), Some(""));
        }
    }

    #[test]
    fn fresh_record_layout() {
        // No witness, unconfirmed, unordered: after the transaction come the zero hash,
        // an empty vector, index 0, an empty vector, a one-entry map {"fromaccount": ""},
        // an empty order form, then 0u32, time received, and two false bytes.
        let mut rec = WalletTxRecord::new(sample_tx(false), SerializedTxState::Unconfirmed);
        rec.time_received = 0x01020304;
        let bytes = rec.encode();
        let tx_len = serialize(&rec.tx).len();
        let mut tail = vec![0u8; 32];
        tail.push(0);
        tail.extend_from_slice(&0i32.to_le_bytes());
        tail.push(0);
        tail.push(1);
        tail.push(11);
        tail.extend_from_slice(b"fromaccount");
        tail.push(0);
        tail.push(0);
        tail.extend_from_slice(&0u32.to_le_bytes());
        tail.extend_from_slice(&0x01020304u32.to_le_bytes());
        tail.extend_from_slice(&[0, 0]);
        assert_eq!(&bytes[tx_len..], &tail[..]);
    }

    #[test]
    fn core_read_rules() {
        let mut rec = WalletTxRecord::new(sample_tx(true), SerializedTxState::Abandoned);
        rec.map_value.insert("bogus".into(), "x".into());
        let err = WalletTxRecord::decode(&rec.encode()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unexpected value in CWalletTx strings value map"
        );

        let mut rec = WalletTxRecord::new(sample_tx(true), SerializedTxState::Abandoned);
        rec.order_form.push(("Other".into(), "x".into()));
        let err = WalletTxRecord::decode(&rec.encode()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unknown type in CWalletTx messages and requests vector"
        );

        // "spent" is dropped on read; "n" parses like atoi.
        let mut rec = WalletTxRecord::new(sample_tx(false), SerializedTxState::Unconfirmed);
        rec.map_value.insert("spent".into(), "1".into());
        rec.map_value.insert("n".into(), " +42xyz".into());
        rec.order_pos = -1;
        let mut bytes = rec.encode();
        let back = WalletTxRecord::decode(&bytes).unwrap();
        assert!(back.map_value.is_empty());
        assert_eq!(back.order_pos, -1, "n is removed on write when unordered");
        bytes.push(0);
        assert!(WalletTxRecord::decode(&bytes).is_err());
        assert!(WalletTxRecord::decode(&bytes[..bytes.len() - 3]).is_err());
    }

    #[test]
    fn atoi_like_core() {
        assert_eq!(locale_independent_atoi("12"), 12);
        assert_eq!(locale_independent_atoi("  -7 "), -7);
        assert_eq!(locale_independent_atoi("+5"), 5);
        assert_eq!(locale_independent_atoi("+-5"), 0);
        assert_eq!(locale_independent_atoi("abc"), 0);
        assert_eq!(locale_independent_atoi("99999999999999999999"), i64::MAX);
        assert_eq!(locale_independent_atoi("-99999999999999999999"), i64::MIN);
        assert_eq!(locale_independent_atoi("4294967297") as u32, 1);
    }
}
