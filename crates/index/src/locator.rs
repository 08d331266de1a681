//! The best-block locator an index keeps with its data (Core's `CBlockLocator`, stored
//! under `B` as Core's indexes store it): the block's hash, then ancestors at growing
//! distances back to the genesis block.

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use chain::BlockIndex;

/// The version field Core writes before a locator's hashes and never reads
/// (`CBlockLocator::DUMMY_VERSION`).
const DUMMY_VERSION: i32 = 70016;

/// Hashes for a locator of entry `i` (Core's `LocatorEntries`): ten blocks one apart,
/// then steps doubling, ending with the genesis block.
pub fn entries(index: &BlockIndex, i: usize) -> Vec<BlockHash> {
    let mut have = Vec::with_capacity(32);
    let mut at = Some(i);
    let mut step = 1u32;
    while let Some(j) = at {
        let e = index.entry(j);
        have.push(e.hash);
        if e.height == 0 {
            break;
        }
        at = index.ancestor(j, e.height.saturating_sub(step));
        if have.len() > 10 {
            step = step.saturating_mul(2);
        }
    }
    have
}

/// A locator as Core serializes it: the version, a CompactSize count, the hashes.
pub fn encode(have: &[BlockHash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 9 + 32 * have.len());
    out.extend_from_slice(&DUMMY_VERSION.to_le_bytes());
    out.extend(bitcoin::consensus::serialize(&bitcoin::VarInt(
        have.len() as u64
    )));
    for h in have {
        out.extend_from_slice(h.as_byte_array());
    }
    out
}

/// The hashes of a serialized locator; `None` if it does not parse exactly.
pub fn decode(bytes: &[u8]) -> Option<Vec<BlockHash>> {
    let rest = bytes.get(4..)?;
    let (count, used) = bitcoin::consensus::deserialize_partial::<bitcoin::VarInt>(rest).ok()?;
    let hashes = rest.get(used..)?;
    // The count must match the bytes that follow, so a huge count cannot allocate.
    if u64::try_from(hashes.len()).ok()? != count.0.checked_mul(32)? {
        return None;
    }
    hashes
        .chunks_exact(32)
        .map(|c| BlockHash::from_slice(c).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_round_trip_and_garbage_is_refused() {
        let a = BlockHash::from_byte_array([1; 32]);
        let b = BlockHash::from_byte_array([2; 32]);
        let bytes = encode(&[a, b]);
        assert_eq!(&bytes[..5], &[0x80, 0x11, 0x01, 0x00, 0x02]);
        assert_eq!(decode(&bytes), Some(vec![a, b]));
        assert_eq!(decode(&encode(&[])), Some(vec![]));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode(&[0x80, 0x11, 0x01]), None);
        assert_eq!(
            decode(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            None
        );
    }
}
