//! Rescanning blocks for the wallet's transactions (Core's `ScanForWalletTransactions`).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::BlockHash;

use crate::error::WalletError;
use crate::tx::TxState;
use crate::wallet::Wallet;

/// How a rescan ended (`ScanResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanStatus {
    /// Every block was scanned.
    Success,
    /// A block could not be read or left the chain.
    Failure,
    /// Stopped by `abortrescan` or shutdown.
    UserAbort,
}

/// What a rescan did.
#[derive(Debug, Clone)]
pub struct ScanResult {
    /// How it ended.
    pub status: ScanStatus,
    /// The last block scanned, with its height.
    pub last_scanned: Option<(BlockHash, i32)>,
    /// The block that failed, if one did.
    pub last_failed: Option<BlockHash>,
}

/// Holds the wallet's single rescan slot (`WalletRescanReserver`).
pub struct RescanReserver<'a>(&'a Wallet);

impl<'a> RescanReserver<'a> {
    /// Takes the slot, or `None` if a rescan already runs.
    pub fn reserve(wallet: &'a Wallet) -> Option<RescanReserver<'a>> {
        if wallet.scan.scanning.swap(true, Ordering::SeqCst) {
            return None;
        }
        wallet.scan.abort.store(false, Ordering::SeqCst);
        wallet.scan.progress_ppm.store(0, Ordering::Relaxed);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        wallet.scan.started_ms.store(now, Ordering::Relaxed);
        Some(RescanReserver(wallet))
    }

    /// Takes the slot for a rescan that keeps the wallet unlocked (`reserve(true)`), so
    /// the passphrase cannot be changed or the wallet locked meanwhile.
    pub fn reserve_with_passphrase(wallet: &'a Wallet) -> Option<RescanReserver<'a>> {
        let r = RescanReserver::reserve(wallet)?;
        wallet.scan.with_passphrase.store(true, Ordering::SeqCst);
        Some(r)
    }
}

impl Drop for RescanReserver<'_> {
    fn drop(&mut self) {
        self.0.scan.with_passphrase.store(false, Ordering::SeqCst);
        self.0.scan.scanning.store(false, Ordering::SeqCst);
    }
}

/// Scans from `start` (at `start_height`) up to `max_height` or the wallet's tip; with no
/// maximum, the node's pool is scanned after. The caller holds a [`RescanReserver`].
pub fn scan_for_wallet_transactions(
    wallet: &Arc<Wallet>,
    start: BlockHash,
    start_height: i32,
    max_height: Option<i32>,
    save_progress: bool,
) -> Result<ScanResult, WalletError> {
    const INTERVAL: Duration = Duration::from_secs(60);
    let chain = wallet.chain.clone();
    let started = Instant::now();
    let mut interval_start = Instant::now();
    let log = |m: &str| wallet.state().log(m);
    log(&format!(
        "Rescan started from block {start}... (slow variant inspecting all blocks)"
    ));
    let mut result = ScanResult {
        status: ScanStatus::Success,
        last_scanned: None,
        last_failed: None,
    };
    let tip_hash = wallet.state().last_block.map(|(h, _)| h).unwrap_or(start);
    let end_hash = match max_height {
        Some(m) => chain
            .find_ancestor_by_height(tip_hash, m)?
            .map(|b| b.hash)
            .unwrap_or(tip_hash),
        None => tip_hash,
    };
    let progress_begin = chain.guess_verification_progress(start)?;
    let mut progress_end = chain.guess_verification_progress(end_hash)?;
    let mut progress_current = progress_begin;
    let mut block_hash = start;
    let mut block_height = start_height;
    let mut last_tip = tip_hash;
    // Progress and shutdown are asked of the node every few blocks rather than at each:
    // across processes each question is a round trip, and both change slowly.
    const ASK_EVERY: i32 = 32;
    let mut shutting_down = chain.shutdown_requested()?;
    while !wallet.scan.abort.load(Ordering::SeqCst) && !shutting_down {
        let progress = if progress_end - progress_begin > 0.0 {
            (progress_current - progress_begin) / (progress_end - progress_begin)
        } else {
            0.0
        };
        wallet
            .scan
            .progress_ppm
            .store((progress.clamp(0.0, 1.0) * 1e6) as u64, Ordering::Relaxed);
        let next_interval = interval_start.elapsed() >= INTERVAL;
        if next_interval {
            interval_start = Instant::now();
            log(&format!(
                "Still rescanning. At block {block_height}. Progress={progress_current:.6}"
            ));
        }
        let found = chain.find_block(block_hash, true)?;
        let (still_active, next) = match &found {
            Some(b) => (b.in_active_chain, b.next_hash),
            None => (false, None),
        };
        match found.as_ref().and_then(|b| b.data.clone()) {
            Some(block) => {
                if !still_active {
                    result.last_failed = Some(block_hash);
                    result.status = ScanStatus::Failure;
                    break;
                }
                wallet.with(|st, c| {
                    for (pos, tx) in block.txdata.iter().enumerate() {
                        st.sync_transaction(
                            &Arc::new(tx.clone()),
                            TxState::Confirmed {
                                block_hash,
                                height: block_height,
                                index: pos as i32,
                            },
                            true,
                            c,
                        )?;
                    }
                    if save_progress && next_interval {
                        st.log(&format!("Saving scan progress {block_height}."));
                        let locator = found
                            .as_ref()
                            .map(|b| b.locator.clone())
                            .unwrap_or_default();
                        st.write(walletdb::Record::BestBlockNoMerkle(
                            walletdb::records::BlockLocator::new(locator),
                        ));
                    }
                    Ok(())
                })?;
                result.last_scanned = Some((block_hash, block_height));
            }
            None => {
                result.last_failed = Some(block_hash);
                result.status = ScanStatus::Failure;
            }
        }
        if max_height.is_some_and(|m| block_height >= m) {
            break;
        }
        if block_height >= wallet.state().last_block_height() {
            break;
        }
        let Some(next) = next else { break };
        block_hash = next;
        block_height += 1;
        if (block_height - start_height) % ASK_EVERY == 0 {
            progress_current = chain.guess_verification_progress(block_hash)?;
            shutting_down = chain.shutdown_requested()?;
        }
        let tip = wallet
            .state()
            .last_block
            .map(|(h, _)| h)
            .unwrap_or(last_tip);
        if max_height.is_none() && tip != last_tip {
            progress_end = chain.guess_verification_progress(tip)?;
        }
        last_tip = tip;
    }
    if max_height.is_none() {
        log("Scanning current mempool transactions.");
        let notifications = crate::wallet::mempool_scanner(wallet);
        chain.request_mempool_transactions(notifications)?;
    }
    if wallet.scan.abort.load(Ordering::SeqCst) {
        log(&format!(
            "Rescan aborted at block {block_height}. Progress={progress_current:.6}"
        ));
        result.status = ScanStatus::UserAbort;
    } else if chain.shutdown_requested()? {
        log(&format!(
            "Rescan interrupted by shutdown request at block {block_height}. Progress={progress_current:.6}"
        ));
        result.status = ScanStatus::UserAbort;
    } else {
        log(&format!(
            "Rescan completed in {:>15}ms",
            started.elapsed().as_millis()
        ));
    }
    Ok(result)
}
