//! Reading `../shared/bench-chains/regtest-mixed-1` for the benchmarks of this crate.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use bitcoin::Block;

/// The regtest network magic.
pub const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// Where the chain is: `BENCH_CHAIN_DIR`, or `../shared/...` beside the repository.
pub fn chain_dir() -> PathBuf {
    std::env::var_os("BENCH_CHAIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/bench-chains/regtest-mixed-1")
        })
}

/// The raw bytes of blk00000.dat (joined from its stored parts), or `None` if absent.
pub fn raw_block_file() -> Option<Vec<u8>> {
    let dir = chain_dir();
    let mut bytes = Vec::new();
    for part in ["blk00000.dat.part-00", "blk00000.dat.part-01"] {
        std::fs::File::open(dir.join(part))
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
    }
    Some(bytes)
}

/// The blocks of a raw block file, in order.
pub fn parse_blocks(bytes: &[u8]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() && bytes[at..at + 4] == REGTEST_MAGIC {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        blocks.push(
            bitcoin::consensus::deserialize(&bytes[at + 8..at + 8 + len]).expect("a valid block"),
        );
        at += 8 + len;
    }
    blocks
}
