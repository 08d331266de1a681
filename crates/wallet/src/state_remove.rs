//! Removing transactions from the wallet (Core's `CWallet::RemoveTxs`).

use bitcoin::{OutPoint, Txid};
use walletdb::records::Record;

use super::WalletState;

impl WalletState {
    /// `RemoveTxs`: forgets `txids` and erases their records; their spends and owned
    /// outputs go with them. Fails, changing nothing, when one is not a wallet
    /// transaction.
    pub fn remove_txs(&mut self, txids: &[Txid]) -> Result<(), String> {
        if let Some(missing) = txids.iter().find(|t| !self.txs.contains_key(*t)) {
            return Err(format!(
                "Transaction {missing} does not belong to this wallet"
            ));
        }
        for txid in txids {
            let Some(wtx) = self.txs.remove(txid) else {
                continue;
            };
            self.erase(&Record::Tx {
                txid: *txid,
                wtx: Box::new(wtx.to_record()),
            });
            self.ordered.remove(&(wtx.order_pos, *txid));
            for vout in 0..wtx.tx.output.len() as u32 {
                self.txos.remove(&OutPoint::new(*txid, vout));
            }
        }
        // The spend graph cannot forget a transaction: it is rebuilt from those left.
        let mut graph = bdk_chain::tx_graph::TxGraph::default();
        let mut by_order: Vec<_> = self.txs.values().collect();
        by_order.sort_by_key(|w| w.order_pos);
        for wtx in by_order {
            let _ = graph.insert_tx(wtx.tx.clone());
        }
        self.graph = graph;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use bitcoin::hashes::Hash;
    use bitcoin::{
        absolute, transaction, Amount, BlockHash, Network, Sequence, Transaction, TxIn, TxOut,
        Witness,
    };
    use walletdb::records::OutputType;

    use crate::state::{BlockLookup, Change, WalletOptions};
    use crate::tx::TxState;

    use super::*;

    struct NoChain;

    impl BlockLookup for NoChain {
        fn block(&self, _hash: &BlockHash) -> Option<(i64, i64, i32, bool)> {
            None
        }
        fn in_mempool(&self, _txid: &Txid) -> bool {
            false
        }
        fn locator(&self, _hash: &BlockHash) -> Vec<BlockHash> {
            Vec::new()
        }
        fn now(&self) -> i64 {
            1_700_000_000
        }
    }

    fn pay(inputs: Vec<OutPoint>, outputs: Vec<(bitcoin::ScriptBuf, u64)>) -> Transaction {
        Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: inputs
                .into_iter()
                .map(|previous_output| TxIn {
                    previous_output,
                    script_sig: Default::default(),
                    sequence: Sequence::MAX,
                    witness: Witness::new(),
                })
                .collect(),
            output: outputs
                .into_iter()
                .map(|(script_pubkey, v)| TxOut {
                    value: Amount::from_sat(v),
                    script_pubkey,
                })
                .collect(),
        }
    }

    #[test]
    fn removed_transactions_take_their_spends_and_outputs_with_them() {
        let options = WalletOptions {
            keypool_size: 5,
            ..WalletOptions::default()
        };
        let mut st = WalletState::new("w", Network::Regtest, options);
        let master =
            bitcoin::bip32::Xpriv::new_master(bitcoin::NetworkKind::Test, &[3u8; 32]).unwrap();
        crate::load::setup_descriptors_from(&mut st, &master, 1).unwrap();
        let mine = st.new_destination(OutputType::Bech32, "").unwrap();
        let mine2 = st.new_destination(OutputType::Bech32, "").unwrap();
        let outside = OutPoint::new(Txid::from_byte_array([7; 32]), 0);
        let fund = Arc::new(pay(vec![outside], vec![(mine.clone(), 50_000)]));
        let fund_id = st.add_to_wallet(fund.clone(), TxState::InMempool, None, false, &NoChain);
        let spend = Arc::new(pay(
            vec![OutPoint::new(fund_id, 0)],
            vec![(mine2.clone(), 40_000)],
        ));
        let spend_id = st.add_to_wallet(spend, TxState::InMempool, None, false, &NoChain);
        assert!(st.is_spent(&OutPoint::new(fund_id, 0)));
        assert_eq!(st.txos.len(), 2);
        st.take_changes();

        let unknown = Txid::from_byte_array([9; 32]);
        assert_eq!(
            st.remove_txs(&[spend_id, unknown]),
            Err(format!(
                "Transaction {unknown} does not belong to this wallet"
            ))
        );
        assert!(st.txs.contains_key(&spend_id));
        assert!(st.take_changes().is_empty());

        st.remove_txs(&[spend_id]).unwrap();
        assert!(!st.txs.contains_key(&spend_id));
        assert!(st.spenders(&OutPoint::new(fund_id, 0)).is_empty());
        assert!(!st.is_spent(&OutPoint::new(fund_id, 0)));
        assert_eq!(st.txos.len(), 1);
        assert_eq!(st.ordered.len(), 1);
        let changes = st.take_changes();
        assert_eq!(changes.len(), 1);
        assert!(matches!(&changes[0], Change::Erase(_)));

        // What remains still works as before: a new spend is seen again.
        let again = Arc::new(pay(vec![OutPoint::new(fund_id, 0)], vec![(mine2, 30_000)]));
        let again_id = st.add_to_wallet(again, TxState::InMempool, None, false, &NoChain);
        assert_eq!(st.spenders(&OutPoint::new(fund_id, 0)), vec![again_id]);
        st.remove_txs(&[fund_id, again_id]).unwrap();
        assert!(st.txs.is_empty() && st.txos.is_empty() && st.ordered.is_empty());
    }
}
