//! `ConnectBlock`: a block against the coins it spends. Returns the coins it removes and
//! adds and its undo data as a change set; the caller applies them.

use std::collections::{HashMap, HashSet};

use bitcoin::{Block, BlockHash, OutPoint, TxOut};
use consensus::block::{verify_scripts, ScriptCache, TxToVerify};
use consensus::tx::{
    calculate_sequence_locks, check_tx_inputs, evaluate_sequence_locks, money_range,
    transaction_sig_op_cost, SpentCoin,
};

use super::{BlockError, MAX_BLOCK_SIGOPS_COST};
use crate::{BlockUndo, ChainParams, Coin, TxUndo};

/// From this height on BIP30 is checked again: coinbases of early blocks could repeat there.
const BIP34_IMPLIES_BIP30_LIMIT: u32 = 1_983_702;

/// Largest script an output can have and still be spendable (`MAX_SCRIPT_SIZE`).
const MAX_SCRIPT_SIZE: usize = 10_000;

/// Read access to the coins a block may spend.
pub trait CoinsView {
    /// The unspent coin at `outpoint`, if any.
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin>;
}

impl CoinsView for HashMap<OutPoint, Coin> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.get(outpoint).cloned()
    }
}

/// Where the block sits and how much to check.
pub struct ConnectContext<'a> {
    /// The block's height.
    pub height: u32,
    /// The block's hash.
    pub hash: BlockHash,
    /// The parent's median time past.
    pub prev_median_time_past: i64,
    /// The median time past of the block at a height on this block's chain (below it).
    pub median_time_past_at: &'a dyn Fn(u32) -> i64,
    /// The hash of this chain's block at `params.bip34_height`, if the chain reaches it.
    pub bip34_ancestor: Option<BlockHash>,
    /// Whether to verify scripts (off below `-assumevalid`).
    pub check_scripts: bool,
    /// Threads for script verification (`-par`).
    pub script_threads: usize,
    /// Transactions already verified under the same flags.
    pub script_cache: Option<&'a ScriptCache>,
}

/// What connecting a block changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectedBlock {
    /// Coins of the view the block spends.
    pub spent: Vec<OutPoint>,
    /// Coins the block creates and leaves unspent.
    pub created: Vec<(OutPoint, Coin)>,
    /// The spent coins, per transaction after the coinbase, to undo the block.
    pub undo: BlockUndo,
    /// Fees paid to the coinbase.
    pub fees: i64,
    /// Inputs of the block, the coinbase's included.
    pub inputs: usize,
}

impl ConnectedBlock {
    /// Applies the changes to an in-memory coin set.
    pub fn apply_to(&self, coins: &mut HashMap<OutPoint, Coin>) {
        for o in &self.spent {
            coins.remove(o);
        }
        for (o, c) in &self.created {
            coins.insert(*o, c.clone());
        }
    }
}

/// The two mainnet blocks whose coinbases repeat earlier ones (`IsBIP30Repeat`).
fn is_bip30_repeat(height: u32, hash: &BlockHash) -> bool {
    let known = match height {
        91_842 => "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec",
        91_880 => "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721",
        _ => return false,
    };
    hash.to_string() == known
}

/// Whether the block at `height` must be checked for outputs that overwrite unspent coins
/// (BIP30): everywhere but the two repeats and, on the chain where BIP34 activated, below
/// the height where early coinbases could repeat. `bip34_ancestor` is this chain's block
/// at `params.bip34_height`.
pub fn bip30_checked(
    params: &ChainParams,
    height: u32,
    hash: &BlockHash,
    bip34_ancestor: Option<BlockHash>,
) -> bool {
    // On the chain where BIP34 activated, coinbases carry their height and cannot repeat.
    let on_bip34_chain = bip34_ancestor.is_some() && bip34_ancestor == params.bip34_hash;
    let enforce = !is_bip30_repeat(height, hash) && !on_bip34_chain;
    enforce || height >= BIP34_IMPLIES_BIP30_LIMIT
}

/// Whether an output can never be spent and so never enters the coin set.
pub(crate) fn is_unspendable(out: &TxOut) -> bool {
    let s = out.script_pubkey.as_bytes();
    s.first() == Some(&0x6a) || s.len() > MAX_SCRIPT_SIZE
}

/// Applies a block to an in-memory coin set without any check (Core's `UpdateCoins` for
/// every transaction): for tools and tests that build or replay blocks they trust.
pub fn apply_block_unchecked(coins: &mut HashMap<OutPoint, Coin>, block: &Block, height: u32) {
    for (i, tx) in block.txdata.iter().enumerate() {
        if i > 0 {
            for input in &tx.input {
                coins.remove(&input.previous_output);
            }
        }
        let txid = tx.compute_txid();
        for (vout, o) in tx.output.iter().enumerate() {
            if !is_unspendable(o) {
                let coin = Coin {
                    output: o.clone(),
                    height,
                    is_coinbase: i == 0,
                };
                coins.insert(OutPoint::new(txid, vout as u32), coin);
            }
        }
    }
}

/// Connects `block` (already through [`super::check_block`] and
/// [`super::contextual_check_block`]) to `view` (`ConnectBlock`). Fails with Core's first
/// reason; scripts are checked last, after the coinbase amount, as Core does with
/// verification threads.
pub fn connect_block(
    block: &Block,
    params: &ChainParams,
    ctx: &ConnectContext<'_>,
    view: &dyn CoinsView,
) -> Result<ConnectedBlock, BlockError> {
    let height = ctx.height;
    if bip30_checked(params, height, &ctx.hash, ctx.bip34_ancestor) {
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            for vout in 0..tx.output.len() as u32 {
                if view.coin(&OutPoint { txid, vout }).is_some() {
                    return Err(BlockError::Bip30);
                }
            }
        }
    }
    let enforce_bip68 = height >= params.csv_height;
    let flags = params.block_script_flags(&ctx.hash, height);

    let mut created: HashMap<OutPoint, Coin> = HashMap::new();
    let mut spent_from_view: Vec<OutPoint> = Vec::new();
    let mut spent_set: HashSet<OutPoint> = HashSet::new();
    let mut out = ConnectedBlock::default();
    let mut sigops: i64 = 0;
    // Per transaction after the coinbase: the outputs its inputs spend, for the scripts.
    let mut spent_outputs: Vec<Vec<TxOut>> = Vec::with_capacity(block.txdata.len());

    for (i, tx) in block.txdata.iter().enumerate() {
        out.inputs += tx.input.len();
        let txid = tx.compute_txid();
        let mut prevouts: Vec<TxOut> = Vec::new();
        if i > 0 {
            let coins: Vec<Option<Coin>> = tx
                .input
                .iter()
                .map(|input| {
                    let o = &input.previous_output;
                    created.get(o).cloned().or_else(|| {
                        if spent_set.contains(o) {
                            None
                        } else {
                            view.coin(o)
                        }
                    })
                })
                .collect();
            let as_spent: Vec<Option<SpentCoin>> = coins
                .iter()
                .map(|c| {
                    c.as_ref().map(|c| SpentCoin {
                        output: c.output.clone(),
                        height: c.height,
                        is_coinbase: c.is_coinbase,
                    })
                })
                .collect();
            let fee = check_tx_inputs(tx, &as_spent, height)
                .map_err(|error| BlockError::Inputs { txid, error })?;
            out.fees += fee;
            if !money_range(out.fees) {
                return Err(BlockError::AccumulatedFeeOutOfRange);
            }
            let coins: Vec<Coin> = coins.into_iter().flatten().collect();
            let mut prev_heights: Vec<i32> = coins.iter().map(|c| c.height as i32).collect();
            let locks = calculate_sequence_locks(tx, enforce_bip68, &mut prev_heights, |h| {
                (ctx.median_time_past_at)(h.max(0) as u32)
            });
            if !evaluate_sequence_locks(height as i32, ctx.prev_median_time_past, locks) {
                return Err(BlockError::SequenceLocks { txid });
            }
            prevouts = coins.iter().map(|c| c.output.clone()).collect();
            let mut undo = TxUndo {
                prevouts: Vec::with_capacity(coins.len()),
            };
            for (input, coin) in tx.input.iter().zip(coins) {
                let o = input.previous_output;
                if created.remove(&o).is_none() {
                    spent_set.insert(o);
                    spent_from_view.push(o);
                }
                undo.prevouts.push(coin);
            }
            out.undo.txs.push(undo);
        }
        sigops += transaction_sig_op_cost(tx, &prevouts, flags);
        if sigops > MAX_BLOCK_SIGOPS_COST {
            return Err(BlockError::Sigops);
        }
        if i > 0 {
            spent_outputs.push(prevouts);
        }
        for (vout, o) in tx.output.iter().enumerate() {
            if is_unspendable(o) {
                continue;
            }
            created.insert(
                OutPoint {
                    txid,
                    vout: vout as u32,
                },
                Coin {
                    output: o.clone(),
                    height,
                    is_coinbase: i == 0,
                },
            );
        }
    }

    let limit = out.fees + params.block_subsidy(height) as i64;
    let actual: i64 = block.txdata[0]
        .output
        .iter()
        .map(|o| o.value.to_sat() as i64)
        .sum();
    if actual > limit {
        return Err(BlockError::CoinbaseAmount { actual, limit });
    }

    if ctx.check_scripts {
        let txs: Vec<TxToVerify<'_>> = block.txdata[1..]
            .iter()
            .zip(&spent_outputs)
            .map(|(tx, spent)| TxToVerify { tx, spent })
            .collect();
        if let Err(e) = verify_scripts(&txs, flags, ctx.script_threads, ctx.script_cache) {
            let tx = &block.txdata[e.tx + 1];
            return Err(BlockError::Script {
                txid: tx.compute_txid(),
                wtxid: tx.compute_wtxid(),
                input: e.input,
                prevout: tx.input[e.input].previous_output,
                error: e.error,
            });
        }
    }

    out.spent = spent_from_view;
    let mut created: Vec<(OutPoint, Coin)> = created.into_iter().collect();
    created.sort_by_key(|(o, _)| *o);
    out.created = created;
    Ok(out)
}
