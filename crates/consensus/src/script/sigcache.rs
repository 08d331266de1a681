//! Valid signatures seen before (Core's `SignatureCache`): a transaction checked under the
//! relay flags and again under the block flags, or checked at relay and again in a block,
//! verifies each signature once. Entries are salted hashes of message, key and signature,
//! so peers cannot predict them; the cache is process-wide like Core's.

use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, OnceLock};

use bitcoin::hashes::{sha256, Hash, HashEngine};

/// Entries kept (Core sizes its cache by bytes; 2^18 entries is about its default share).
const CAPACITY: usize = 1 << 18;

struct Cache {
    salt: [u8; 32],
    entries: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let salt = common::random::salt();
        Mutex::new(Cache {
            salt,
            entries: HashSet::new(),
            order: VecDeque::new(),
        })
    })
}

/// The cache key of a signature check; `kind` separates ECDSA from Schnorr entries.
pub(crate) fn entry(kind: u8, hash: &[u8; 32], pubkey: &[u8], sig: &[u8]) -> [u8; 32] {
    let salt = cache().lock().unwrap_or_else(|e| e.into_inner()).salt;
    let mut e = sha256::Hash::engine();
    e.input(&salt);
    e.input(&[kind]);
    e.input(hash);
    e.input(&(pubkey.len() as u32).to_le_bytes());
    e.input(pubkey);
    e.input(sig);
    sha256::Hash::from_engine(e).to_byte_array()
}

/// Whether the check `key` passed before.
pub(crate) fn contains(key: &[u8; 32]) -> bool {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entries
        .contains(key)
}

/// Records that the check `key` passed, dropping the oldest entry when full.
pub(crate) fn insert(key: [u8; 32]) {
    let mut c = cache().lock().unwrap_or_else(|e| e.into_inner());
    if c.entries.insert(key) {
        c.order.push_back(key);
        while c.order.len() > CAPACITY {
            if let Some(old) = c.order.pop_front() {
                c.entries.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_after_insertion_and_kinds_differ() {
        let a = entry(0, &[1; 32], &[2; 33], &[3; 70]);
        let b = entry(1, &[1; 32], &[2; 33], &[3; 70]);
        assert_ne!(a, b);
        assert!(!contains(&a));
        insert(a);
        assert!(contains(&a));
        assert!(!contains(&b));
    }
}
