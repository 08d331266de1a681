//! Memory accounting in Core's terms (`memusage.h`): what a 64-bit Core node would allocate
//! for the same pool, so `-maxmempool` evicts at the same point.

use bitcoin::Transaction;

/// Bytes malloc really hands out for a request (`MallocUsage`, 64-bit glibc).
fn malloc_usage(alloc: usize) -> usize {
    if alloc == 0 {
        0
    } else {
        ((alloc + 31) >> 4) << 4
    }
}

/// `sizeof(CTxIn)`, `sizeof(CTxOut)`, `sizeof(std::vector<unsigned char>)` on 64-bit.
const TXIN_SIZE: usize = 104;
const TXOUT_SIZE: usize = 40;
const VECTOR_SIZE: usize = 24;
/// Scripts up to this size sit inside `prevector` without a heap allocation.
const PREVECTOR_INLINE: usize = 28;
/// `sizeof(CTransaction)` with its shared-pointer control block, and of the entry.
const TX_SIZE: usize = 112;
const ENTRY_SIZE: usize = 256;

fn script_usage(len: usize) -> usize {
    if len > PREVECTOR_INLINE {
        malloc_usage(len)
    } else {
        0
    }
}

/// `RecursiveDynamicUsage(CTransactionRef)`: the transaction and its shared pointer.
pub fn tx_usage(tx: &Transaction) -> usize {
    entry_usage(tx) - malloc_usage(ENTRY_SIZE)
}

/// `RecursiveDynamicUsage(CTransaction)` plus the entry itself
/// (`CTxMemPoolEntry::DynamicMemoryUsage`).
pub fn entry_usage(tx: &Transaction) -> usize {
    let mut n =
        malloc_usage(TXIN_SIZE * tx.input.len()) + malloc_usage(TXOUT_SIZE * tx.output.len());
    for i in &tx.input {
        n += script_usage(i.script_sig.len());
        if !i.witness.is_empty() {
            n += malloc_usage(VECTOR_SIZE * i.witness.len());
            n += i
                .witness
                .iter()
                .map(|w| malloc_usage(w.len()))
                .sum::<usize>();
        }
    }
    for o in &tx.output {
        n += script_usage(o.script_pubkey.len());
    }
    n + malloc_usage(TX_SIZE) + malloc_usage(ENTRY_SIZE)
}

/// The pool's own structures around its entries: per-entry index nodes, the spent-outputs
/// map, the delta map and the graph (`CTxMemPool::DynamicMemoryUsage` without entries).
pub fn pool_usage(entries: usize, spent_outputs: usize, deltas: usize) -> usize {
    let per_entry = malloc_usage(ENTRY_SIZE + 9 * 8) + 16 + malloc_usage(96);
    entries * per_entry + spent_outputs * malloc_usage(72) + deltas * malloc_usage(80)
}

/// Per-transaction overhead of the disconnect pool's list node and txid map entry.
pub fn disconnect_pool_overhead(n: usize) -> usize {
    n * (malloc_usage(32) + malloc_usage(64))
}
