//! What the chainstate tells other components, in order (Core's `CValidationInterface`),
//! and its `UpdateTip` log line.

use bitcoin::{Block, BlockHash};

use crate::index::{BlockIndex, Entry};
use crate::ChainParams;

/// A subscriber to the active chain's changes. Calls arrive in the order the changes
/// happen: during a reorganisation every disconnection before the connections, then one
/// tip update.
pub trait ChainEvents: Send {
    /// `block` was connected at `height`.
    fn block_connected(&mut self, _block: &Block, _height: u32) {}
    /// `block`, entry `entry` of `index`, was connected: for subscribers that need where
    /// the block is stored (the entry's `data`) or its ancestors. The chainstate calls this
    /// one; by default it passes the connection on to [`Self::block_connected`].
    fn block_connected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        self.block_connected(block, index.entry(entry).height);
    }
    /// `block`, at `height`, was disconnected.
    fn block_disconnected(&mut self, _block: &Block, _height: u32) {}
    /// `block`, entry `entry` of `index`, was disconnected; by default passed on to
    /// [`Self::block_disconnected`].
    fn block_disconnected_in(&mut self, block: &Block, index: &BlockIndex, entry: usize) {
        self.block_disconnected(block, index.entry(entry).height);
    }
    /// `block`, entry `entry` of `index`, passed its checks and builds on the tip, before
    /// it is stored or connected (`NewPoWValidBlock`): relay may start now. Not sent
    /// during initial block download.
    fn new_pow_valid_block(&mut self, _block: &Block, _index: &BlockIndex, _entry: usize) {}
    /// The coins were written to disk at the tip `locator` describes (`ChainStateFlushed`).
    fn chain_state_flushed(&mut self, _locator: &[BlockHash]) {}
    /// The tip moved to `tip` at `height`; `fork_height` is the height of the last block it
    /// shares with the previous tip.
    fn updated_block_tip(
        &mut self,
        _tip: &BlockHash,
        _height: u32,
        _fork_height: u32,
        _initial_download: bool,
    ) {
    }
}

/// Core's `FormatISO8601DateTime`: `YYYY-MM-DDTHH:MM:SSZ`.
pub use common::logging::format_iso8601 as iso8601;

/// `GuessVerificationProgress`: the share of the network's transactions the chain up to
/// `tip` holds, from the known counts and rate.
pub fn verification_progress(
    index: &BlockIndex,
    params: &ChainParams,
    tip: &Entry,
    now: i64,
) -> f64 {
    if tip.chain_tx_count == 0 {
        return 0.0;
    }
    let best = index.best_header();
    let block_time =
        if (now - tip.header.time as i64).abs() <= 2 * 3600 && best.height >= tip.height {
            now - i64::from(best.height - tip.height) * params.pow.pow_target_spacing as i64
        } else {
            tip.header.time as i64
        };
    let data = params.tx_data;
    let total = if tip.chain_tx_count <= data.tx_count {
        data.tx_count as f64 + (now - data.time) as f64 * data.tx_rate
    } else {
        tip.chain_tx_count as f64 + (now - block_time) as f64 * data.tx_rate
    };
    (tip.chain_tx_count as f64 / total).min(1.0)
}

/// Core's `UpdateTip: new best=...` line for `tip`.
pub fn update_tip_line(
    index: &BlockIndex,
    params: &ChainParams,
    tip: &Entry,
    now: i64,
    cache_bytes: usize,
    cache_coins: usize,
) -> String {
    format!(
        "UpdateTip: new best={} height={} version=0x{:08x} log2_work={:.6} tx={} date='{}' progress={:.6} cache={:.1}MiB({}txo)",
        tip.hash,
        tip.height,
        tip.header.version.to_consensus() as u32,
        tip.chain_work.log2(),
        tip.chain_tx_count,
        iso8601(tip.header.time as i64),
        verification_progress(index, params, tip, now),
        cache_bytes as f64 / (1u64 << 20) as f64,
        cache_coins
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_core_formats_them() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_296_688_602), "2011-02-02T23:16:42Z");
        assert_eq!(iso8601(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(iso8601(951_825_600), "2000-02-29T12:00:00Z");
    }

    #[test]
    fn genesis_update_tip_line() {
        let params = ChainParams::regtest();
        let mut index = BlockIndex::new(params.clone());
        index.set_data(0, crate::FilePos { file: 0, pos: 8 }, 1);
        index.set_connected(0, None);
        let line = update_tip_line(&index, &params, index.entry(0), 1_296_688_602 + 100, 0, 0);
        assert_eq!(
            line,
            "UpdateTip: new best=0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206 height=0 version=0x00000001 log2_work=1.000000 tx=1 date='2011-02-02T23:16:42Z' progress=1.000000 cache=0.0MiB(0txo)"
        );
    }
}
