//! The coins raw-transaction commands may spend (Core's `FindCoins` over
//! `CCoinsViewMemPool`): an output of a mempool transaction, else the chain's UTXO set.
//! As in Core, an output already spent by another mempool transaction still counts.

use std::collections::BTreeMap;

use bitcoin::{OutPoint, TxOut};
use rpc::codes::RPC_DATABASE_ERROR;
use rpc::RpcError;

use super::ToRpcError;
use crate::context::{lock, NodeContext};

/// The coins at `outpoints` that exist; missing or spent ones are left out.
pub fn find_coins(
    node: &NodeContext,
    outpoints: impl IntoIterator<Item = OutPoint>,
) -> Result<BTreeMap<OutPoint, TxOut>, RpcError> {
    // cs_main before the mempool lock, as everywhere else.
    let chainstate = lock(&node.chainstate);
    let pool = lock(&node.mempool);
    let mut coins = BTreeMap::new();
    for outpoint in outpoints {
        if let Some(tx) = pool.get(&outpoint.txid) {
            // A mempool transaction hides the chain's view of its txid.
            if let Some(out) = tx.output.get(outpoint.vout as usize) {
                coins.insert(outpoint, out.clone());
            }
            continue;
        }
        if let Some(coin) = chainstate.coin(&outpoint).to_rpc(RPC_DATABASE_ERROR)? {
            coins.insert(outpoint, coin.output);
        }
    }
    Ok(coins)
}

/// The transaction with `txid` in the mempool, if there.
pub fn mempool_tx(node: &NodeContext, txid: &bitcoin::Txid) -> Option<bitcoin::Transaction> {
    lock(&node.mempool).get(txid).map(|tx| (*tx).clone())
}
