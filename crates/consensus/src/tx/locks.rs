//! Absolute lock times (`IsFinalTx`) and BIP68 relative lock times (`SequenceLocks`).

use bitcoin::Transaction;

use super::SEQUENCE_LOCKTIME_GRANULARITY;
use crate::script::LOCKTIME_THRESHOLD;

/// `IsFinalTx`: whether `tx` may be in a block at `height` with time `block_time`
/// (median time past, for blocks after BIP113).
pub fn is_final_tx(tx: &Transaction, height: i32, block_time: i64) -> bool {
    let lock = tx.lock_time.to_consensus_u32() as i64;
    if lock == 0 {
        return true;
    }
    let limit = if lock < LOCKTIME_THRESHOLD {
        height as i64
    } else {
        block_time
    };
    if lock < limit {
        return true;
    }
    // A lock in the future is ignored when every input is final.
    tx.input.iter().all(|i| i.sequence.0 == 0xffff_ffff)
}

/// `CalculateSequenceLocks` (BIP68): the minimum height and time (both exclusive; -1 for
/// none) at which `tx` may be mined. `prev_heights` holds each input's coin height and is
/// zeroed for inputs without a relative lock; `mtp_at(h)` is the median time past of the
/// block at height `h` on the chain being validated.
pub fn calculate_sequence_locks(
    tx: &Transaction,
    enforce_bip68: bool,
    prev_heights: &mut [i32],
    mtp_at: impl Fn(i32) -> i64,
) -> (i32, i64) {
    let (mut min_height, mut min_time) = (-1i32, -1i64);
    // The version is unsigned in Core (CTransaction::version is uint32_t).
    if !enforce_bip68 || (tx.version.0 as u32) < 2 {
        return (min_height, min_time);
    }
    for (i, input) in tx.input.iter().enumerate() {
        let seq = input.sequence.0;
        let Some(height) = prev_heights.get_mut(i) else {
            break;
        };
        if seq & (1 << 31) != 0 {
            *height = 0;
            continue;
        }
        let coin_height = *height;
        let value = (seq & 0xffff) as i64;
        if seq & (1 << 22) != 0 {
            let coin_time = mtp_at((coin_height - 1).max(0));
            min_time = min_time.max(coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1);
        } else {
            min_height = min_height.max(coin_height + value as i32 - 1);
        }
    }
    (min_height, min_time)
}

/// `EvaluateSequenceLocks`: whether locks computed by [`calculate_sequence_locks`] allow a
/// block at `height` whose parent has median time past `prev_mtp`.
pub fn evaluate_sequence_locks(height: i32, prev_mtp: i64, locks: (i32, i64)) -> bool {
    !(locks.0 >= height || locks.1 >= prev_mtp)
}
