//! Checking the stored chain (Core's `CVerifyDB::VerifyDB`, behind `verifychain` and
//! `-checkblocks`/`-checklevel`): the last blocks of the active chain are read back, checked,
//! their undo data read, disconnected from a throw-away copy of the coins and connected
//! again, as deep as the level asks. Nothing of the chainstate changes.

use std::collections::HashMap;

use bitcoin::OutPoint;

use super::{CacheView, ChainState, ChainStateError};
use crate::validation::{check_block, disconnect_block, CoinsView};
use crate::Coin;

/// Blocks checked by default (`DEFAULT_CHECKBLOCKS`).
pub const DEFAULT_CHECKBLOCKS: i32 = 6;
/// Default thoroughness (`DEFAULT_CHECKLEVEL`).
pub const DEFAULT_CHECKLEVEL: i32 = 3;

/// How a verification ended (`VerifyDBResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Every check passed.
    Success,
    /// A block, its undo data or the coins do not fit together.
    Corrupted,
    /// Levels 3 and 4 were skipped: the coins would not fit in the cache.
    SkippedL3Checks,
}

/// Coins changed by the verification, over the chainstate's own.
struct Overlay<'a> {
    changes: HashMap<OutPoint, Option<Coin>>,
    base: CacheView<'a>,
    /// Rough heap cost of `changes`, kept as they change.
    bytes: usize,
}

impl CoinsView for Overlay<'_> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        match self.changes.get(outpoint) {
            Some(c) => c.clone(),
            None => self.base.coin(outpoint),
        }
    }
}

impl<'a> Overlay<'a> {
    fn new(base: CacheView<'a>) -> Overlay<'a> {
        Overlay {
            changes: HashMap::new(),
            base,
            bytes: 0,
        }
    }

    fn set(&mut self, outpoint: OutPoint, coin: Option<Coin>) {
        self.bytes += super::coin_bytes(&coin);
        if let Some(old) = self.changes.insert(outpoint, coin) {
            self.bytes -= super::coin_bytes(&old);
        }
    }
}

impl ChainState {
    /// Verifies the last `depth` blocks of the active chain (all of them for 0 or less) at
    /// `level` (clamped to 0..=4): 0 reads them, 1 checks them, 2 reads their undo data,
    /// 3 disconnects them from a copy of the coins, 4 connects them again. Log lines go
    /// to the chainstate's log as Core writes them.
    pub fn verify_db(&mut self, level: i32, depth: i32) -> Result<VerifyOutcome, ChainStateError> {
        let height = self.height() as i32;
        if height == 0 {
            return Ok(VerifyOutcome::Success);
        }
        let depth = if depth <= 0 || depth > height {
            height
        } else {
            depth
        };
        let level = level.clamp(0, 4);
        self.log_line(&format!("Verifying last {depth} blocks at level {level}"));
        self.log_line("Verification progress: 0%");
        // The blocks, newest first, with what level 3 needs of their coins fetched.
        let mut blocks = Vec::new();
        let mut report_done = 0;
        let mut skipped_l3 = false;
        let mut good_txs = 0usize;
        let mut unclean_at: Option<u32> = None;
        let mut h = height;
        let percent = |h: i32, scale: f64| {
            ((f64::from(height - h) / f64::from(depth) * scale) as i32).clamp(1, 99)
        };
        while h > 0 {
            let done = percent(h, if level >= 4 { 50.0 } else { 100.0 });
            if report_done < done / 10 {
                self.log_line(&format!("Verification progress: {done}%"));
                report_done = done / 10;
            }
            if h <= height - depth {
                break;
            }
            let i = self.active[h as usize];
            let entry = self.index.entry(i).clone();
            let block = match entry.data.map(|pos| self.files.read_block(pos)) {
                Some(Ok(b)) => b,
                _ => {
                    self.log_line(&format!(
                        "Verification error: ReadBlock failed at {h}, hash={}",
                        entry.hash
                    ));
                    return Ok(VerifyOutcome::Corrupted);
                }
            };
            if level >= 1 {
                if let Err(e) = check_block(&block, &self.params, true, true) {
                    self.log_line(&format!(
                        "Verification error: found bad block at {h}, hash={} ({e})",
                        entry.hash
                    ));
                    return Ok(VerifyOutcome::Corrupted);
                }
            }
            let mut undo = None;
            if level >= 2 {
                if let Some(pos) = entry.undo {
                    match self.files.read_undo(pos, &block.header.prev_blockhash) {
                        Ok(u) => undo = Some(u),
                        Err(_) => {
                            self.log_line(&format!(
                                "Verification error: found bad undo data at {h}, hash={}",
                                entry.hash
                            ));
                            return Ok(VerifyOutcome::Corrupted);
                        }
                    }
                }
            }
            blocks.push((h as u32, i, block, undo));
            h -= 1;
        }
        // Level 3: disconnect newest first from a copy of the coins.
        let mut overlay_changes = HashMap::new();
        if level >= 3 {
            for (_, _, block, _) in &blocks {
                self.fetch(Self::touched_outpoints(block, true))?;
            }
            let mut overlay = Overlay::new(CacheView(&self.cache));
            let mut lines = Vec::new();
            for (bh, _, block, undo) in &blocks {
                if self.cache_bytes + overlay.bytes > self.options.cache_bytes {
                    skipped_l3 = true;
                    break;
                }
                let Some(undo) = undo else {
                    lines.push(format!(
                        "Verification error: irrecoverable inconsistency in block data at {bh}, hash={}",
                        block.block_hash()
                    ));
                    return self.fail_with(lines);
                };
                match disconnect_block(block, *bh, undo, &overlay) {
                    Err(_) => {
                        lines.push(format!(
                            "Verification error: irrecoverable inconsistency in block data at {bh}, hash={}",
                            block.block_hash()
                        ));
                        return self.fail_with(lines);
                    }
                    Ok(d) => {
                        if d.clean {
                            good_txs += block.txdata.len();
                        } else {
                            good_txs = 0;
                            unclean_at = Some(*bh);
                        }
                        for o in d.removed {
                            overlay.set(o, None);
                        }
                        for (o, c) in d.restored {
                            overlay.set(o, Some(c));
                        }
                    }
                }
            }
            overlay_changes = overlay.changes;
        }
        if let Some(at) = unclean_at {
            self.log_line(&format!(
                "Verification error: coin database inconsistencies found (last {} blocks, {good_txs} good transactions before that)",
                height as u32 - at + 1
            ));
            return Ok(VerifyOutcome::Corrupted);
        }
        if skipped_l3 {
            self.log_line("Skipped verification of level >=3 (insufficient database cache size). Consider increasing -dbcache.");
        }
        let block_count = blocks.len();
        // Level 4: connect them again, oldest first, on the disconnected copy.
        if level >= 4 && !skipped_l3 {
            for (bh, i, block, _) in blocks.iter().rev() {
                let done = (100
                    - (f64::from(height - *bh as i32 + 1) / f64::from(depth) * 50.0) as i32)
                    .clamp(1, 99);
                if report_done < done / 10 {
                    self.log_line(&format!("Verification progress: {done}%"));
                    report_done = done / 10;
                }
                if let Err(line) = self.reconnect(*i, block, &mut overlay_changes)? {
                    self.log_line(&line);
                    return Ok(VerifyOutcome::Corrupted);
                }
            }
        }
        self.log_line(&format!(
            "Verification: checked last {block_count} blocks at level {level}"
        ));
        if level >= 3 && !skipped_l3 {
            self.log_line(&format!(
                "Verification: no coin database inconsistencies ({good_txs} transactions)"
            ));
        }
        Ok(if skipped_l3 {
            VerifyOutcome::SkippedL3Checks
        } else {
            VerifyOutcome::Success
        })
    }

    fn fail_with(&mut self, lines: Vec<String>) -> Result<VerifyOutcome, ChainStateError> {
        for l in lines {
            self.log_line(&l);
        }
        Ok(VerifyOutcome::Corrupted)
    }

    /// Connects entry `i` on the coins of `changes` over the chainstate's; `Ok(Err(line))`
    /// when it does not connect.
    fn reconnect(
        &mut self,
        i: usize,
        block: &bitcoin::Block,
        changes: &mut HashMap<OutPoint, Option<Coin>>,
    ) -> Result<Result<(), String>, ChainStateError> {
        let entry = self.index.entry(i).clone();
        let Some(prev) = entry.prev else {
            return Ok(Ok(()));
        };
        // Level 3 fetched every coin these blocks touch, and nothing was evicted since.
        let check_scripts = self.script_check_reason(i).is_some();
        // Level 4 reuses level 3's changes and no longer checks the cache budget.
        let overlay = Overlay {
            changes: std::mem::take(changes),
            base: CacheView(&self.cache),
            bytes: 0,
        };
        let result = self.check_connect(block, prev, entry.hash, check_scripts, &overlay);
        *changes = overlay.changes;
        match result {
            Err(e) => Ok(Err(format!(
                "Verification error: found unconnectable block at {}, hash={} ({e})",
                entry.height, entry.hash
            ))),
            Ok(c) => {
                for o in c.spent {
                    changes.insert(o, None);
                }
                for (o, coin) in c.created {
                    changes.insert(o, Some(coin));
                }
                Ok(Ok(()))
            }
        }
    }
}
