//! The address manager's serialized form, the body of peers.dat (Core's
//! `AddrMan::Serialize`/`Unserialize`).
//!
//! Layout: format byte, compatibility byte (`INCOMPATIBILITY_BASE` + lowest format able
//! to read the file), the 32-byte key, nNew and nTried (i32), the new bucket count xor
//! 2^30, the nNew new entries, the nTried tried entries, per new bucket the count and the
//! indexes of its entries, then the 32-byte asmap version (zero without asmap).

use std::collections::BTreeMap;
use std::fmt;

use super::{
    AddrInfo, AddrMan, ADDRMAN_BUCKET_SIZE, ADDRMAN_NEW_BUCKETS_PER_ADDRESS,
    ADDRMAN_NEW_BUCKET_COUNT, ADDRMAN_TRIED_BUCKET_COUNT, EMPTY,
};
use crate::stream::{DecodeError, Reader};

/// The format written, and the newest one read: 4 (`V4_MULTIPORT`, several ports per IP).
pub const FILE_FORMAT: u8 = 4;
/// Offset of the compatibility byte (it took over the old key-size field, always 32).
pub const INCOMPATIBILITY_BASE: u8 = 32;
/// The first format with BIP155 addresses.
const V3_BIP155: u8 = 3;
/// The first format with the bucket count xor-ed with 2^30.
const V1_DETERMINISTIC: u8 = 1;
/// The first format with the asmap version at the end.
const V2_ASMAP: u8 = 2;
/// The lowest format that can read what we write.
const LOWEST_COMPATIBLE: u8 = 4;

/// Why an address manager could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrManReadError {
    /// Written by a newer, incompatible version; Core renames such a file to
    /// peers.dat.bak and starts afresh.
    UnsupportedFormat {
        /// The file's format byte.
        format: u8,
        /// The lowest format able to read it.
        lowest_compatible: u8,
    },
    /// Malformed data (Core's message).
    Corrupt(DecodeError),
}

impl fmt::Display for AddrManReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrManReadError::UnsupportedFormat { format, lowest_compatible } => write!(
                f,
                "Unsupported format of addrman database: {format}. It is compatible with formats >={lowest_compatible}, but the maximum supported by this version of {} is {FILE_FORMAT}.",
                common::version::CLIENT_NAME
            ),
            AddrManReadError::Corrupt(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AddrManReadError {}

impl From<DecodeError> for AddrManReadError {
    fn from(e: DecodeError) -> Self {
        AddrManReadError::Corrupt(e)
    }
}

fn corrupt(msg: String) -> AddrManReadError {
    AddrManReadError::Corrupt(DecodeError(msg))
}

impl AddrMan {
    /// Appends the serialized manager (always in [`FILE_FORMAT`]).
    pub fn serialize(&self, out: &mut Vec<u8>) {
        out.push(FILE_FORMAT);
        out.push(INCOMPATIBILITY_BASE + LOWEST_COMPATIBLE);
        out.extend_from_slice(&self.key);
        out.extend_from_slice(&self.n_new.to_le_bytes());
        out.extend_from_slice(&self.n_tried.to_le_bytes());
        let buckets = ADDRMAN_NEW_BUCKET_COUNT as i32 ^ (1 << 30);
        out.extend_from_slice(&buckets.to_le_bytes());
        // New entries get indexes 0..nNew in writing order; buckets refer to those.
        let mut index: BTreeMap<i64, i32> = BTreeMap::new();
        let mut n = 0i32;
        for (&id, info) in &self.map_info {
            if info.ref_count > 0 {
                index.insert(id, n);
                info.serialize(out);
                n += 1;
            }
        }
        for info in self.map_info.values() {
            if info.in_tried {
                info.serialize(out);
            }
        }
        for bucket in &self.vv_new {
            let ids: Vec<i64> = bucket.iter().copied().filter(|&id| id != EMPTY).collect();
            out.extend_from_slice(&(ids.len() as i32).to_le_bytes());
            for id in ids {
                out.extend_from_slice(&index.get(&id).copied().unwrap_or(0).to_le_bytes());
            }
        }
        // No asmap: its version is all zeros.
        out.extend_from_slice(&[0u8; 32]);
    }

    /// Reads a serialized manager into this empty one (its consistency-check ratio and
    /// random source are kept; the key comes from the data). Bucket positions are kept
    /// only when the bucket count and asmap version match ours; otherwise entries are
    /// re-bucketed by their source. Entries that collide or are invalid are dropped.
    pub fn unserialize(&mut self, r: &mut Reader<'_>) -> Result<(), AddrManReadError> {
        let format = r.u8()?;
        let v2 = format >= V3_BIP155;
        let compat = r.u8()?;
        if compat < INCOMPATIBILITY_BASE {
            return Err(corrupt(format!(
                "Corrupted addrman database: The compat value ({compat}) is lower than the expected minimum value {INCOMPATIBILITY_BASE}."
            )));
        }
        let lowest_compatible = compat - INCOMPATIBILITY_BASE;
        if lowest_compatible > FILE_FORMAT {
            return Err(AddrManReadError::UnsupportedFormat {
                format,
                lowest_compatible,
            });
        }
        self.key = r.array()?;
        let n_new = r.i32()?;
        let n_tried = r.i32()?;
        let mut n_buckets = r.i32()?;
        if format >= V1_DETERMINISTIC {
            n_buckets ^= 1 << 30;
        }
        let max_new = (ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE) as i32;
        if !(0..=max_new).contains(&n_new) {
            return Err(corrupt(format!(
                "Corrupt AddrMan serialization: nNew={n_new}, should be in [0, {max_new}]"
            )));
        }
        let max_tried = (ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE) as i32;
        if !(0..=max_tried).contains(&n_tried) {
            return Err(corrupt(format!(
                "Corrupt AddrMan serialization: nTried={n_tried}, should be in [0, {max_tried}]"
            )));
        }
        self.n_new = n_new;
        self.n_tried = n_tried;

        for n in 0..i64::from(n_new) {
            let mut info = AddrInfo::deserialize(r, v2)?;
            info.random_pos = self.random.len();
            self.map_addr.insert(info.address.service.clone(), n);
            self.random.push(n);
            self.counts(info.address.addr().get_network()).n_new += 1;
            self.map_info.insert(n, info);
        }
        self.id_count = i64::from(n_new);

        let key = self.key;
        let mut lost = 0;
        for _ in 0..n_tried {
            let mut info = AddrInfo::deserialize(r, v2)?;
            let kb = info.get_tried_bucket(&key);
            let kp = info.get_bucket_position(&key, false, kb);
            if info.address.addr().is_valid() && self.vv_tried[kb][kp] == EMPTY {
                let id = self.id_count;
                info.random_pos = self.random.len();
                info.in_tried = true;
                self.random.push(id);
                self.map_addr.insert(info.address.service.clone(), id);
                self.counts(info.address.addr().get_network()).n_tried += 1;
                self.map_info.insert(id, info);
                self.vv_tried[kb][kp] = id;
                self.id_count += 1;
            } else {
                lost += 1;
            }
        }
        self.n_tried -= lost;

        // An entry may be listed in several buckets; remember every pair first.
        let mut bucket_entries: Vec<(usize, i64)> = Vec::new();
        for bucket in 0..n_buckets.max(0) {
            let count = r.i32()?;
            for _ in 0..count {
                let idx = r.i32()?;
                if idx >= 0 && idx < n_new {
                    bucket_entries.push((bucket as usize, i64::from(idx)));
                }
            }
        }
        let mut asmap_version = [0u8; 32];
        if format >= V2_ASMAP {
            asmap_version = r.array()?;
        }
        let restore = n_buckets as usize == ADDRMAN_NEW_BUCKET_COUNT && asmap_version == [0u8; 32];
        for (bucket, id) in bucket_entries {
            let Some(info) = self.map_info.get(&id) else {
                continue;
            };
            if !info.address.addr().is_valid() || info.ref_count >= ADDRMAN_NEW_BUCKETS_PER_ADDRESS
            {
                continue;
            }
            let (mut b, mut p) = (bucket, 0);
            let mut placed = false;
            if restore && bucket < ADDRMAN_NEW_BUCKET_COUNT {
                p = info.get_bucket_position(&key, true, b);
                if self.vv_new[b][p] == EMPTY {
                    placed = true;
                }
            }
            if !placed {
                // Fall back to the bucket of the entry's own source.
                b = info.get_new_bucket_default(&key);
                p = info.get_bucket_position(&key, true, b);
                placed = self.vv_new[b][p] == EMPTY;
            }
            if placed {
                self.vv_new[b][p] = id;
                self.info_mut(id).ref_count += 1;
            }
        }
        // Drop new entries that ended up in no bucket.
        let orphans: Vec<i64> = self
            .map_info
            .iter()
            .filter(|(_, i)| !i.in_tried && i.ref_count == 0)
            .map(|(&id, _)| id)
            .collect();
        for id in orphans {
            self.delete(id);
        }
        if let Err(code) = self.check_addrman() {
            return Err(corrupt(format!(
                "Corrupt data. Consistency check failed with code {code}"
            )));
        }
        Ok(())
    }
}
