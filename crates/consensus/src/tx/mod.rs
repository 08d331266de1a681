//! Transaction rules with Core's reject reasons: context-free checks (`CheckTransaction`),
//! finality and BIP68 sequence locks, signature-operation counting, and input checks
//! (`Consensus::CheckTxInputs`).

mod check;
mod inputs;
mod locks;
mod sigops;

pub use check::{check_transaction, TxCheckError};
pub use inputs::{check_tx_inputs, format_money, money_range, SpentCoin, TxInputsError};
pub use locks::{calculate_sequence_locks, evaluate_sequence_locks, is_final_tx};
pub use sigops::{
    last_push, legacy_sig_op_count, p2sh_sig_op_count, script_sig_op_count,
    transaction_sig_op_cost, witness_sig_op_count,
};

/// Largest amount of money (`MAX_MONEY`), in satoshis.
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Largest block weight (`MAX_BLOCK_WEIGHT`).
pub const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Witness scale factor (`WITNESS_SCALE_FACTOR`).
pub const WITNESS_SCALE_FACTOR: u64 = 4;
/// `COINBASE_MATURITY`: blocks before a coinbase output can be spent.
pub const COINBASE_MATURITY: u32 = 100;
/// `SEQUENCE_LOCKTIME_GRANULARITY`: time-based relative locks count units of 512 seconds.
pub const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, Txid, Witness};
    use bitcoin::{Transaction, TxOut};

    fn tx(version: i32, lock: u32, seqs: &[u32]) -> Transaction {
        Transaction {
            version: bitcoin::transaction::Version(version),
            lock_time: LockTime::from_consensus(lock),
            input: seqs
                .iter()
                .enumerate()
                .map(|(i, &s)| TxIn {
                    previous_output: OutPoint {
                        txid: Txid::from_byte_array([i as u8 + 1; 32]),
                        vout: 0,
                    },
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence(s),
                    witness: Witness::new(),
                })
                .collect(),
            output: vec![TxOut {
                value: Amount::from_sat(50),
                script_pubkey: ScriptBuf::new(),
            }],
        }
    }

    #[test]
    fn check_transaction_reasons() {
        assert_eq!(
            check_transaction(&tx(2, 0, &[])).unwrap_err().reason(),
            "bad-txns-vin-empty"
        );
        let mut t = tx(2, 0, &[0, 0]);
        t.input[1].previous_output = t.input[0].previous_output;
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-inputs-duplicate"
        );
        let mut t = tx(2, 0, &[0]);
        t.output[0].value = Amount::from_sat(MAX_MONEY as u64 + 1);
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-vout-toolarge"
        );
        let mut t = tx(2, 0, &[0]);
        t.input[0].previous_output = OutPoint::null();
        assert_eq!(check_transaction(&t).unwrap_err().reason(), "bad-cb-length");
        let mut t = tx(2, 0, &[0, 0]);
        t.input[1].previous_output = OutPoint::null();
        assert_eq!(
            check_transaction(&t).unwrap_err().reason(),
            "bad-txns-prevout-null"
        );
        assert!(check_transaction(&tx(2, 0, &[0])).is_ok());
    }

    #[test]
    fn finality() {
        assert!(is_final_tx(&tx(2, 0, &[0]), 1, 0));
        assert!(is_final_tx(&tx(2, 100, &[0]), 101, 0));
        assert!(!is_final_tx(&tx(2, 100, &[0]), 100, 0));
        assert!(is_final_tx(&tx(2, 100, &[0xffff_ffff]), 100, 0));
        assert!(!is_final_tx(
            &tx(2, 600_000_000, &[0]),
            1_000_000,
            600_000_000
        ));
        assert!(is_final_tx(&tx(2, 600_000_000, &[0]), 1, 600_000_001));
    }

    #[test]
    fn bip68_sequence_locks() {
        let mtp = |h: i32| 1_000_000 + h as i64 * 600;
        // Height lock of 10 on a coin at height 100: minable from height 110.
        let t = tx(2, 0, &[10]);
        let mut heights = vec![100];
        let locks = calculate_sequence_locks(&t, true, &mut heights, mtp);
        assert_eq!(locks, (109, -1));
        assert!(!evaluate_sequence_locks(109, i64::MAX, locks));
        assert!(evaluate_sequence_locks(110, i64::MAX, locks));
        // Version 1 or disabled flag: no lock; the disable flag zeroes the height.
        assert_eq!(
            calculate_sequence_locks(&tx(1, 0, &[10]), true, &mut [100], mtp),
            (-1, -1)
        );
        let mut heights = vec![100];
        assert_eq!(
            calculate_sequence_locks(&tx(2, 0, &[1 << 31 | 10]), true, &mut heights, mtp),
            (-1, -1)
        );
        assert_eq!(heights, vec![0]);
        // Unsigned version: 0xffffffff counts as >= 2.
        assert_eq!(
            calculate_sequence_locks(&tx(-1, 0, &[10]), true, &mut [100], mtp),
            (109, -1)
        );
        // Time lock of 2 units (1024 s) from the MTP of the block before the coin's.
        let locks = calculate_sequence_locks(&tx(2, 0, &[1 << 22 | 2]), true, &mut [100], mtp);
        assert_eq!(locks, (-1, mtp(99) + 1024 - 1));
    }

    #[test]
    fn sig_op_counts() {
        use crate::script::op::*;
        assert_eq!(
            script_sig_op_count(&[OP_CHECKSIG, OP_CHECKSIGVERIFY], false),
            2
        );
        assert_eq!(script_sig_op_count(&[OP_3, OP_CHECKMULTISIG], true), 3);
        assert_eq!(script_sig_op_count(&[OP_3, OP_CHECKMULTISIG], false), 20);
        assert_eq!(script_sig_op_count(&[OP_CHECKMULTISIG], true), 20);
        // A truncated push stops counting.
        assert_eq!(
            script_sig_op_count(&[OP_CHECKSIG, OP_PUSHDATA1, 5, OP_CHECKSIG], false),
            1
        );
    }

    #[test]
    fn inputs_checks_and_fees() {
        let t = tx(2, 0, &[0]);
        let coin = |v: u64, h: u32, cb: bool| {
            Some(SpentCoin {
                output: TxOut {
                    value: Amount::from_sat(v),
                    script_pubkey: ScriptBuf::new(),
                },
                height: h,
                is_coinbase: cb,
            })
        };
        assert_eq!(check_tx_inputs(&t, &[coin(80, 1, false)], 10), Ok(30));
        assert_eq!(
            check_tx_inputs(&t, &[None], 10).unwrap_err().reason(),
            "bad-txns-inputs-missingorspent"
        );
        let e = check_tx_inputs(&t, &[coin(80, 1, true)], 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99"
        );
        assert!(check_tx_inputs(&t, &[coin(80, 1, true)], 101).is_ok());
        let e = check_tx_inputs(&t, &[coin(20, 1, false)], 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad-txns-in-belowout, value in (0.0000002) < value out (0.0000005)"
        );
        assert_eq!(format_money(123_450_000), "1.2345");
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(0), "0.00");
    }
}
