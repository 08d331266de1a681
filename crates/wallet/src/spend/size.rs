//! How big inputs and transactions will be once signed (Core's
//! `CalculateMaximumSignedInputSize` and `CalculateMaximumSignedTxSize`), and dust.

use bitcoin::{OutPoint, Transaction, TxIn, TxOut};
use coinselection::FeeRate;
use signing::SigningProvider;

use super::satisfy::{infer, Inferred};
use crate::coincontrol::CoinControl;
use crate::state::{flags, WalletState};

/// Core's `MAX_SCRIPT_SIZE`.
const MAX_SCRIPT_SIZE: usize = 10_000;
/// Core's `OP_RETURN`.
const OP_RETURN: u8 = 0x6a;

/// A signed transaction's estimated size (`TxSize`); -1 when it cannot be estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxSize {
    /// Virtual size.
    pub vsize: i64,
    /// Weight.
    pub weight: i64,
}

impl TxSize {
    const UNKNOWN: TxSize = TxSize {
        vsize: -1,
        weight: -1,
    };
}

/// `GetSizeOfCompactSize`.
pub fn compact_size_len(n: u64) -> i64 {
    if n < 253 {
        1
    } else if n <= 0xffff {
        3
    } else if n <= 0xffff_ffff {
        5
    } else {
        9
    }
}

/// `GetVirtualTransactionSize(weight, 0, 0)`.
pub fn vsize_of_weight(weight: i64) -> i64 {
    (weight + 3) / 4
}

/// The serialized size of an output.
pub fn txout_size(out: &TxOut) -> i64 {
    let len = out.script_pubkey.len() as u64;
    8 + compact_size_len(len) + len as i64
}

/// `CScript::IsUnspendable`.
fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// `GetDustThreshold`: the value below which spending the output costs more than it is
/// worth at `rate` (assuming a P2WPKH-sized spend for witness programs).
pub fn dust_threshold(out: &TxOut, rate: FeeRate) -> i64 {
    let script = out.script_pubkey.as_bytes();
    if is_unspendable(script) {
        return 0;
    }
    let mut size = txout_size(out);
    if consensus::script::witness_program(script).is_some() {
        size += 32 + 4 + 1 + 107 / 4 + 4;
    } else {
        size += 32 + 4 + 1 + 107 + 4;
    }
    rate.get_fee(i32::try_from(size).unwrap_or(i32::MAX))
}

/// `IsDust`.
pub fn is_dust(out: &TxOut, rate: FeeRate) -> bool {
    (out.value.to_sat() as i64) < dust_threshold(out, rate)
}

/// Core's `CanGrindR`: signatures of our own keys can be made 71 bytes.
pub fn can_grind_r(st: &WalletState) -> bool {
    !st.has_flag(flags::DISABLE_PRIVATE_KEYS)
}

/// `UseMaxSig`: external inputs may carry 72-byte signatures.
fn use_max_sig(outpoint: Option<&OutPoint>, cc: Option<&CoinControl>) -> bool {
    match (cc, outpoint) {
        (Some(cc), Some(o)) => cc.is_external_selected(o),
        _ => false,
    }
}

/// `CalculateMaximumSignedInputSize` with a provider: the input's virtual size once
/// signed, -1 when the provider cannot solve the script.
pub fn input_size_with(
    txout: &TxOut,
    outpoint: Option<&OutPoint>,
    provider: Option<&dyn SigningProvider>,
    can_grind_r: bool,
    cc: Option<&CoinControl>,
    network: bitcoin::Network,
) -> i32 {
    let Some(provider) = provider else {
        return -1;
    };
    let desc = infer(txout.script_pubkey.as_bytes(), provider, network);
    let max_sig = !can_grind_r || use_max_sig(outpoint, cc);
    match desc.max_input_weight(max_sig, true) {
        Some(w) => i32::try_from(vsize_of_weight(w)).unwrap_or(-1),
        None => -1,
    }
}

/// `CalculateMaximumSignedInputSize(txout, wallet, coin_control)`: with the wallet's
/// solving provider for the script.
pub fn input_size(st: &WalletState, txout: &TxOut, cc: Option<&CoinControl>) -> i32 {
    let provider = st.signing_provider(&txout.script_pubkey, false);
    input_size_with(
        txout,
        None,
        provider.as_ref().map(|p| p as &dyn SigningProvider),
        can_grind_r(st),
        cc,
        st.network,
    )
}

/// `GetDescriptor`: the descriptor inferred with the wallet's solving data and the
/// caller's external provider.
pub fn descriptor_for(st: &WalletState, cc: Option<&CoinControl>, txout: &TxOut) -> Inferred {
    let mut provider = st
        .signing_provider(&txout.script_pubkey, false)
        .unwrap_or_default();
    if let Some(cc) = cc {
        provider.merge(cc.external_provider.clone());
    }
    infer(txout.script_pubkey.as_bytes(), &provider, st.network)
}

/// `GetSignedTxinWeight`.
fn signed_txin_weight(
    st: &WalletState,
    cc: Option<&CoinControl>,
    txin: &TxIn,
    txout: &TxOut,
    tx_is_segwit: bool,
) -> Option<i64> {
    if let Some(w) = cc.and_then(|c| c.input_weight(&txin.previous_output)) {
        return Some(w);
    }
    let desc = descriptor_for(st, cc, txout);
    let max_sig = !can_grind_r(st) || use_max_sig(Some(&txin.previous_output), cc);
    desc.max_input_weight(max_sig, tx_is_segwit)
}

/// `CalculateMaximumSignedTxSize` with the spent outputs in input order.
pub fn max_signed_tx_size_with(
    st: &WalletState,
    tx: &Transaction,
    txouts: &[TxOut],
    cc: Option<&CoinControl>,
) -> TxSize {
    let mut weight = (4
        + 4
        + compact_size_len(tx.input.len() as u64)
        + compact_size_len(tx.output.len() as u64))
        * 4;
    let is_segwit = txouts.iter().any(|o| descriptor_for(st, cc, o).is_segwit());
    if is_segwit {
        weight += 2;
    }
    for o in &tx.output {
        weight += txout_size(o) * 4;
    }
    for (txin, txout) in tx.input.iter().zip(txouts) {
        match signed_txin_weight(st, cc, txin, txout, is_segwit) {
            Some(w) => weight += w,
            None => return TxSize::UNKNOWN,
        }
    }
    TxSize {
        vsize: vsize_of_weight(weight),
        weight,
    }
}

/// `CalculateMaximumSignedTxSize`: the spent outputs are looked up in the wallet, or among
/// the caller's external inputs.
pub fn max_signed_tx_size(st: &WalletState, tx: &Transaction, cc: Option<&CoinControl>) -> TxSize {
    let mut txouts = Vec::with_capacity(tx.input.len());
    for input in &tx.input {
        let prev = &input.previous_output;
        if let Some(w) = st.txs.get(&prev.txid) {
            match w.tx.output.get(prev.vout as usize) {
                Some(o) => txouts.push(o.clone()),
                None => return TxSize::UNKNOWN,
            }
        } else if let Some(out) = cc.and_then(|c| c.external_output(prev)) {
            txouts.push(out);
        } else {
            return TxSize::UNKNOWN;
        }
    }
    max_signed_tx_size_with(st, tx, &txouts, cc)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bitcoin::{Amount, ScriptBuf};

    #[test]
    fn dust_thresholds_are_cores() {
        let rate = FeeRate::from_sat_per_kvb(3000);
        let p2pkh = TxOut {
            value: Amount::from_sat(545),
            script_pubkey: ScriptBuf::from_bytes(
                [vec![0x76, 0xa9, 0x14], vec![0; 20], vec![0x88, 0xac]].concat(),
            ),
        };
        assert_eq!(dust_threshold(&p2pkh, rate), 546);
        assert!(is_dust(&p2pkh, rate));
        let p2wpkh = TxOut {
            value: Amount::from_sat(294),
            script_pubkey: ScriptBuf::from_bytes([vec![0x00, 0x14], vec![0; 20]].concat()),
        };
        assert_eq!(dust_threshold(&p2wpkh, rate), 294);
        assert!(!is_dust(&p2wpkh, rate));
        let data = TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a, 0x01, 0x01]),
        };
        assert!(!is_dust(&data, rate));
    }
}
