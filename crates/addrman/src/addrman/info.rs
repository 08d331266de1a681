//! One address manager entry and the keyed hashes that place it in the tables.

use bitcoin::hashes::{sha256d, Hash};

use super::{
    ADDRMAN_BUCKET_SIZE, ADDRMAN_HORIZON, ADDRMAN_MAX_FAILURES, ADDRMAN_MIN_FAIL,
    ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP, ADDRMAN_NEW_BUCKET_COUNT, ADDRMAN_RETRIES,
    ADDRMAN_TRIED_BUCKETS_PER_GROUP, ADDRMAN_TRIED_BUCKET_COUNT,
};
use crate::netaddress::{Address, NetAddr};
use crate::netgroup::get_group;
use crate::stream::{write_compact_size, DecodeError, Reader};

/// An address with what we know about it (Core's `AddrInfo`).
#[derive(Clone, Debug, PartialEq)]
pub struct AddrInfo {
    /// The address, its services and last-seen time.
    pub address: Address,
    /// Last connection attempt of any kind (not saved).
    pub last_try: i64,
    /// Last attempt counted as a failure (not saved).
    pub last_count_attempt: i64,
    /// Where we first heard of the address.
    pub source: NetAddr,
    /// Last successful connection.
    pub last_success: i64,
    /// Failed attempts since the last success.
    pub attempts: i32,
    /// How many new-table slots refer to the entry (not saved).
    pub ref_count: i32,
    /// Whether the entry is in the tried table (not saved).
    pub in_tried: bool,
    pub(crate) random_pos: usize,
}

impl AddrInfo {
    /// A fresh entry for `address` learned from `source`.
    pub fn new(address: Address, source: NetAddr) -> Self {
        Self {
            address,
            last_try: 0,
            last_count_attempt: 0,
            source,
            last_success: 0,
            attempts: 0,
            ref_count: 0,
            in_tried: false,
            random_pos: 0,
        }
    }

    /// The tried bucket: the address picks one of a few buckets reserved for its group,
    /// so one group cannot fill the table.
    pub fn get_tried_bucket(&self, key: &[u8; 32]) -> usize {
        let mut w = key.to_vec();
        push_vec(&mut w, &self.address.service.get_key());
        let h1 = cheap_hash(&w);
        let mut w = key.to_vec();
        push_vec(&mut w, &get_group(self.address.addr()));
        w.extend_from_slice(&(h1 % ADDRMAN_TRIED_BUCKETS_PER_GROUP).to_le_bytes());
        (cheap_hash(&w) % ADDRMAN_TRIED_BUCKET_COUNT as u64) as usize
    }

    /// The new bucket when learned from `src`: the source group picks among a limited
    /// set of buckets, so one source cannot flood the table.
    pub fn get_new_bucket(&self, key: &[u8; 32], src: &NetAddr) -> usize {
        let src_group = get_group(src);
        let mut w = key.to_vec();
        push_vec(&mut w, &get_group(self.address.addr()));
        push_vec(&mut w, &src_group);
        let h1 = cheap_hash(&w);
        let mut w = key.to_vec();
        push_vec(&mut w, &src_group);
        w.extend_from_slice(&(h1 % ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP).to_le_bytes());
        (cheap_hash(&w) % ADDRMAN_NEW_BUCKET_COUNT as u64) as usize
    }

    /// The new bucket for the entry's own source.
    pub fn get_new_bucket_default(&self, key: &[u8; 32]) -> usize {
        self.get_new_bucket(key, &self.source)
    }

    /// The slot within `bucket` of the new (`is_new`) or tried table.
    pub fn get_bucket_position(&self, key: &[u8; 32], is_new: bool, bucket: usize) -> usize {
        let mut w = key.to_vec();
        w.push(if is_new { b'N' } else { b'K' });
        w.extend_from_slice(&(bucket as i32).to_le_bytes());
        push_vec(&mut w, &self.address.service.get_key());
        (cheap_hash(&w) % ADDRMAN_BUCKET_SIZE as u64) as usize
    }

    /// Whether the entry is bad enough to be overwritten: not tried in the last minute,
    /// and either from the future, too old, never reached in 3 tries, or failing 10 times
    /// in the last week.
    pub fn is_terrible(&self, now: i64) -> bool {
        if now - self.last_try <= 60 {
            return false;
        }
        if self.address.time > now + 10 * 60 {
            return true;
        }
        if now - self.address.time > ADDRMAN_HORIZON {
            return true;
        }
        if self.last_success == 0 && self.attempts >= ADDRMAN_RETRIES {
            return true;
        }
        now - self.last_success > ADDRMAN_MIN_FAIL && self.attempts >= ADDRMAN_MAX_FAILURES
    }

    /// The relative chance of choosing the entry: 1%, if tried in the last ten minutes,
    /// times 0.66 per failed attempt (at most 8 counted).
    pub fn get_chance(&self, now: i64) -> f64 {
        let mut chance = 1.0;
        if now - self.last_try < 10 * 60 {
            chance *= 0.01;
        }
        chance * 0.66f64.powi(self.attempts.min(8))
    }

    /// Appends the peers.dat form: disk address, source, last success, attempts.
    pub(crate) fn serialize(&self, out: &mut Vec<u8>) {
        self.address.serialize_disk(out, true);
        self.source.serialize_v2(out);
        out.extend_from_slice(&self.last_success.to_le_bytes());
        out.extend_from_slice(&self.attempts.to_le_bytes());
    }

    /// Reads the peers.dat form, in BIP155 encoding when `v2`.
    pub(crate) fn deserialize(r: &mut Reader<'_>, v2: bool) -> Result<Self, DecodeError> {
        let address = Address::deserialize_disk(r, v2)?;
        let source = if v2 {
            NetAddr::deserialize_v2(r)?
        } else {
            NetAddr::deserialize_v1(r)?
        };
        let mut info = Self::new(address, source);
        info.last_success = r.i64()?;
        info.attempts = r.i32()?;
        Ok(info)
    }
}

/// Appends a byte vector as Core serializes one: CompactSize length, then the bytes.
fn push_vec(w: &mut Vec<u8>, v: &[u8]) {
    write_compact_size(w, v.len() as u64);
    w.extend_from_slice(v);
}

/// Core's `HashWriter::GetCheapHash`: the first 8 bytes of SHA256d, little-endian.
fn cheap_hash(data: &[u8]) -> u64 {
    let h = sha256d::Hash::hash(data).to_byte_array();
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_le_bytes(b)
}
