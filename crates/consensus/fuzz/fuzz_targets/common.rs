//! Turns fuzz input into a spend: flags, scriptSig, scriptPubKey, witness, amount.

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use consensus::script::VerifyFlags;

pub struct Spend {
    pub flags: VerifyFlags,
    pub tx: Transaction,
    pub spent: TxOut,
}

fn take<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    let Some((&n, rest)) = data.split_first() else {
        return &[];
    };
    let n = (n as usize).min(rest.len());
    let (a, b) = rest.split_at(n);
    *data = b;
    a
}

/// Builds a spend from bytes; `consensus_only` keeps the flags libbitcoinconsensus knows.
pub fn spend(mut data: &[u8], consensus_only: bool) -> Spend {
    let mut flags_raw = [0u8; 4];
    for (i, b) in data.iter().take(4).enumerate() {
        flags_raw[i] = *b;
    }
    data = data.get(4..).unwrap_or(&[]);
    let mask = if consensus_only {
        (1 << 0) | (1 << 2) | (1 << 4) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 17)
    } else {
        VerifyFlags::ALL.0
    };
    let mut flags = VerifyFlags(u32::from_le_bytes(flags_raw) & mask);
    if flags.contains(VerifyFlags::CLEANSTACK) {
        flags |= VerifyFlags::WITNESS;
    }
    if flags.contains(VerifyFlags::WITNESS) {
        flags |= VerifyFlags::P2SH;
    }
    let script_sig = take(&mut data).to_vec();
    let script_pubkey = take(&mut data).to_vec();
    let n_items = take(&mut data).len();
    let witness: Vec<Vec<u8>> = (0..n_items).map(|_| take(&mut data).to_vec()).collect();
    let lock_time = u32::from_le_bytes(
        [take(&mut data), &[0; 4]].concat()[..4]
            .try_into()
            .unwrap_or([0; 4]),
    );
    let tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::from_consensus(lock_time),
        input: vec![TxIn {
            previous_output: OutPoint::default(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence(lock_time.rotate_left(7)),
            witness: Witness::from_slice(&witness),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(1),
            script_pubkey: ScriptBuf::new(),
        }],
    };
    Spend {
        flags,
        tx,
        spent: TxOut {
            value: Amount::from_sat(lock_time as u64),
            script_pubkey: ScriptBuf::from_bytes(script_pubkey),
        },
    }
}

/// Our verdict.
pub fn ours(s: &Spend) -> bool {
    let data =
        consensus::sighash::PrecomputedTransactionData::new(&s.tx, vec![s.spent.clone()], false);
    let input = &s.tx.input[0];
    let checker = consensus::script::TransactionSignatureChecker::new(
        &s.tx,
        0,
        s.spent.value.to_sat() as i64,
        Some(&data),
    );
    consensus::script::verify_script(
        input.script_sig.as_bytes(),
        s.spent.script_pubkey.as_bytes(),
        &input.witness.to_vec(),
        s.flags,
        &checker,
    )
    .is_ok()
}
