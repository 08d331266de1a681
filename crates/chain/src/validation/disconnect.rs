//! `DisconnectBlock`: undoes a connected block with its undo data, for reorganisations.

use std::collections::HashMap;

use bitcoin::{Block, BlockHash, OutPoint};

use super::connect::{is_unspendable, CoinsView};
use crate::{BlockUndo, Coin};

/// Most outputs a block can hold (`MAX_OUTPUTS_PER_BLOCK`): the weight limit over the
/// weight of an empty output.
const MAX_OUTPUTS_PER_BLOCK: u32 = 4_000_000 / (9 * 4);

/// Why a block cannot be disconnected (Core's `DISCONNECT_FAILED`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectError {
    /// The undo data has a different number of transactions than the block.
    BlockUndoMismatch,
    /// A transaction's undo record has a different number of coins than it has inputs.
    TxUndoMismatch,
    /// A legacy undo record without height, and no other output of its transaction left
    /// to take the height from.
    MissingUndoMetadata,
}

impl std::fmt::Display for DisconnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DisconnectError::BlockUndoMismatch => "block and undo data inconsistent",
            DisconnectError::TxUndoMismatch => "transaction and undo data inconsistent",
            DisconnectError::MissingUndoMetadata => {
                "adding output for transaction without known metadata"
            }
        })
    }
}

impl std::error::Error for DisconnectError {}

/// What disconnecting a block changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisconnectedBlock {
    /// Coins of the view to remove: the block's outputs.
    pub removed: Vec<OutPoint>,
    /// Coins to put back: those the block spent.
    pub restored: Vec<(OutPoint, Coin)>,
    /// False when the view did not hold exactly what the block made (Core's
    /// `DISCONNECT_UNCLEAN`); the changes still apply, as after a crash mid-flush.
    pub clean: bool,
}

impl DisconnectedBlock {
    /// Applies the changes to an in-memory coin set.
    pub fn apply_to(&self, coins: &mut HashMap<OutPoint, Coin>) {
        for o in &self.removed {
            coins.remove(o);
        }
        for (o, c) in &self.restored {
            coins.insert(*o, c.clone());
        }
    }
}

/// The two mainnet coinbases overwritten by later duplicates before being spent
/// (`IsBIP30Unspendable`): their outputs are not in the set to remove.
fn is_bip30_unspendable(height: u32, hash: &BlockHash) -> bool {
    let known = match height {
        91_722 => "00000000000271a2dc26e7667f8419f2e15416dc6955e5a6c6cdf3f2574dd08e",
        91_812 => "00000000000af0aed4792b1acee3d966af36cf5def14935db8de83d6f9306f2f",
        _ => return false,
    };
    hash.to_string() == known
}

/// Coins as the block is undone: the view plus what has changed so far.
struct Overlay<'a> {
    base: &'a dyn CoinsView,
    changed: HashMap<OutPoint, Option<Coin>>,
}

impl Overlay<'_> {
    fn get(&self, o: &OutPoint) -> Option<Coin> {
        match self.changed.get(o) {
            Some(c) => c.clone(),
            None => self.base.coin(o),
        }
    }
}

/// Undoes `block`, at `height`, from `view` with its `undo` data (`DisconnectBlock`):
/// its outputs leave the coin set, the coins it spent return.
pub fn disconnect_block(
    block: &Block,
    height: u32,
    undo: &BlockUndo,
    view: &dyn CoinsView,
) -> Result<DisconnectedBlock, DisconnectError> {
    if undo.txs.len() + 1 != block.txdata.len() {
        return Err(DisconnectError::BlockUndoMismatch);
    }
    let enforce_bip30 = !is_bip30_unspendable(height, &block.block_hash());
    let mut clean = true;
    let mut coins = Overlay {
        base: view,
        changed: HashMap::new(),
    };
    for (i, tx) in block.txdata.iter().enumerate().rev() {
        let txid = tx.compute_txid();
        let is_coinbase = i == 0;
        for (vout, output) in tx.output.iter().enumerate() {
            if is_unspendable(output) {
                continue;
            }
            let o = OutPoint {
                txid,
                vout: vout as u32,
            };
            let had = coins.get(&o);
            coins.changed.insert(o, None);
            let matches = had.is_some_and(|c| {
                c.output == *output && c.height == height && c.is_coinbase == is_coinbase
            });
            // The overwritten mainnet coinbases were never in the set to begin with.
            let bip30_exception = is_coinbase && !enforce_bip30;
            if !matches && !bip30_exception {
                clean = false;
            }
        }
        if i == 0 {
            continue;
        }
        let tx_undo = &undo.txs[i - 1];
        if tx_undo.prevouts.len() != tx.input.len() {
            return Err(DisconnectError::TxUndoMismatch);
        }
        for (input, coin) in tx.input.iter().zip(&tx_undo.prevouts).rev() {
            let o = input.previous_output;
            if coins.get(&o).is_some() {
                clean = false;
            }
            let mut coin = coin.clone();
            if coin.height == 0 {
                // Undo data from old versions kept height and coinbase only with the
                // last spent output of a transaction; take them from a sibling.
                let sibling = (0..MAX_OUTPUTS_PER_BLOCK)
                    .find_map(|vout| coins.get(&OutPoint { txid: o.txid, vout }))
                    .ok_or(DisconnectError::MissingUndoMetadata)?;
                coin.height = sibling.height;
                coin.is_coinbase = sibling.is_coinbase;
            }
            coins.changed.insert(o, Some(coin));
        }
    }
    let mut out = DisconnectedBlock {
        clean,
        ..Default::default()
    };
    let mut changed: Vec<(OutPoint, Option<Coin>)> = coins.changed.into_iter().collect();
    changed.sort_by_key(|(o, _)| *o);
    for (o, c) in changed {
        match c {
            Some(c) => out.restored.push((o, c)),
            None if view.coin(&o).is_some() => out.removed.push(o),
            None => {}
        }
    }
    Ok(out)
}
