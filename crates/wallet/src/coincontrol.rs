//! What the caller decides about a transaction the wallet builds (Core's `CCoinControl`
//! and `PreselectedInput`): inputs to use, change, fee rate, confirmation bounds, lock
//! time and version.

use std::collections::BTreeMap;

use bitcoin::{OutPoint, ScriptBuf, TxOut, Witness};
use coinselection::FeeRate;
use signing::FlatSigningProvider;
use walletdb::records::OutputType;

/// Core's `DEFAULT_MIN_DEPTH`.
pub const DEFAULT_MIN_DEPTH: i32 = 0;
/// Core's `DEFAULT_MAX_DEPTH`.
pub const DEFAULT_MAX_DEPTH: i32 = 9_999_999;
/// Core's `DEFAULT_WALLET_TX_VERSION` (`CTransaction::CURRENT_VERSION`).
pub const DEFAULT_WALLET_TX_VERSION: u32 = 2;

/// How fee estimates are asked for (Core's `FeeEstimateMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeeEstimateMode {
    /// Decided by replaceability.
    #[default]
    Unset,
    /// Non-conservative estimates.
    Economical,
    /// Conservative estimates.
    Conservative,
}

impl FeeEstimateMode {
    /// Core's `FeeModeFromString` (case-insensitive).
    pub fn parse(text: &str) -> Option<FeeEstimateMode> {
        match text.to_ascii_uppercase().as_str() {
            "UNSET" => Some(FeeEstimateMode::Unset),
            "ECONOMICAL" => Some(FeeEstimateMode::Economical),
            "CONSERVATIVE" => Some(FeeEstimateMode::Conservative),
            _ => None,
        }
    }
}

/// Core's `InvalidEstimateModeErrorMessage`.
pub const INVALID_ESTIMATE_MODE: &str =
    "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"";

/// One input the caller chose (`PreselectedInput`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreselectedInput {
    /// The output spent, for inputs outside the wallet.
    pub txout: Option<TxOut>,
    /// The input's weight once signed, when the caller knows it.
    pub weight: Option<i64>,
    /// Its sequence number.
    pub sequence: Option<u32>,
    /// Its scriptSig.
    pub script_sig: Option<ScriptBuf>,
    /// Its witness.
    pub script_witness: Option<Witness>,
    /// Its position among the inputs.
    pub position: Option<u32>,
}

/// The caller's choices for one transaction (`CCoinControl`).
#[derive(Debug, Clone)]
pub struct CoinControl {
    /// Where change goes; `None` for a new change address (`destChange`).
    pub dest_change: Option<ScriptBuf>,
    /// Change type overriding the wallet's, ignored with `dest_change`.
    pub change_type: Option<OutputType>,
    /// Also spend outputs that are not safe (`m_include_unsafe_inputs`).
    pub include_unsafe_inputs: bool,
    /// Add wallet coins beyond the selected ones (`m_allow_other_inputs`).
    pub allow_other_inputs: bool,
    /// Use `fee_rate` without the wallet's minimum checks (`fOverrideFeeRate`).
    pub override_fee_rate: bool,
    /// The fee rate to pay (`m_feerate`).
    pub fee_rate: Option<FeeRate>,
    /// Confirmation target for fee estimation.
    pub confirm_target: Option<u32>,
    /// BIP125 signalling, overriding `-walletrbf`.
    pub signal_bip125_rbf: Option<bool>,
    /// Spend all outputs of an address together (`m_avoid_partial_spends`).
    pub avoid_partial_spends: bool,
    /// Leave out coins of addresses already spent from (`m_avoid_address_reuse`).
    pub avoid_address_reuse: bool,
    /// How fee estimates are asked for.
    pub fee_mode: FeeEstimateMode,
    /// Fewest confirmations of coins chosen automatically.
    pub min_depth: i32,
    /// Most confirmations of coins chosen automatically.
    pub max_depth: i32,
    /// Keys and scripts to size inputs outside the wallet (`m_external_provider`).
    pub external_provider: FlatSigningProvider,
    /// Transaction version.
    pub version: u32,
    /// Lock time, which also turns off anti-fee-sniping.
    pub locktime: Option<u32>,
    /// Heaviest transaction allowed.
    pub max_tx_weight: Option<i64>,
    selected: BTreeMap<OutPoint, PreselectedInput>,
    selection_pos: u32,
}

impl CoinControl {
    /// Whether the caller gave solving data of its own (`m_external_provider`).
    pub fn has_external_provider(&self) -> bool {
        let p = &self.external_provider;
        !(p.scripts.is_empty()
            && p.pubkeys.is_empty()
            && p.keys.is_empty()
            && p.tr_trees.is_empty())
    }

    /// Core's defaults; `avoid_partial_spends` is `-avoidpartialspends`.
    pub fn new(avoid_partial_spends: bool) -> CoinControl {
        CoinControl {
            dest_change: None,
            change_type: None,
            include_unsafe_inputs: false,
            allow_other_inputs: true,
            override_fee_rate: false,
            fee_rate: None,
            confirm_target: None,
            signal_bip125_rbf: None,
            avoid_partial_spends,
            avoid_address_reuse: false,
            fee_mode: FeeEstimateMode::Unset,
            min_depth: DEFAULT_MIN_DEPTH,
            max_depth: DEFAULT_MAX_DEPTH,
            external_provider: FlatSigningProvider::new(),
            version: DEFAULT_WALLET_TX_VERSION,
            locktime: None,
            max_tx_weight: None,
            selected: BTreeMap::new(),
            selection_pos: 0,
        }
    }

    /// `HasSelected`.
    pub fn has_selected(&self) -> bool {
        !self.selected.is_empty()
    }

    /// `IsSelected`.
    pub fn is_selected(&self, outpoint: &OutPoint) -> bool {
        self.selected.contains_key(outpoint)
    }

    /// `IsExternalSelected`: selected with its output given.
    pub fn is_external_selected(&self, outpoint: &OutPoint) -> bool {
        self.selected
            .get(outpoint)
            .is_some_and(|p| p.txout.is_some())
    }

    /// `GetExternalOutput`.
    pub fn external_output(&self, outpoint: &OutPoint) -> Option<TxOut> {
        self.selected.get(outpoint).and_then(|p| p.txout.clone())
    }

    /// `Select`: the entry of `outpoint`, new ones numbered in selection order.
    pub fn select(&mut self, outpoint: OutPoint) -> &mut PreselectedInput {
        if !self.selected.contains_key(&outpoint) {
            let pos = self.selection_pos;
            self.selection_pos += 1;
            self.selected.insert(
                outpoint,
                PreselectedInput {
                    position: Some(pos),
                    ..PreselectedInput::default()
                },
            );
        }
        self.selected.entry(outpoint).or_default()
    }

    /// `UnSelect`.
    pub fn unselect(&mut self, outpoint: &OutPoint) {
        self.selected.remove(outpoint);
    }

    /// `UnSelectAll`.
    pub fn unselect_all(&mut self) {
        self.selected.clear();
    }

    /// `ListSelected`, in outpoint order.
    pub fn list_selected(&self) -> Vec<OutPoint> {
        self.selected.keys().copied().collect()
    }

    /// `SetInputWeight`.
    pub fn set_input_weight(&mut self, outpoint: OutPoint, weight: i64) {
        self.select(outpoint).weight = Some(weight);
    }

    /// `GetInputWeight`.
    pub fn input_weight(&self, outpoint: &OutPoint) -> Option<i64> {
        self.selected.get(outpoint).and_then(|p| p.weight)
    }

    /// `GetSequence`.
    pub fn sequence(&self, outpoint: &OutPoint) -> Option<u32> {
        self.selected.get(outpoint).and_then(|p| p.sequence)
    }

    /// `GetScripts`.
    pub fn scripts(&self, outpoint: &OutPoint) -> (Option<ScriptBuf>, Option<Witness>) {
        match self.selected.get(outpoint) {
            Some(p) => (p.script_sig.clone(), p.script_witness.clone()),
            None => (None, None),
        }
    }

    /// `HasSelectedOrder`.
    pub fn has_selected_order(&self) -> bool {
        self.selection_pos > 0
    }

    /// `GetSelectionPos`.
    pub fn selection_pos(&self, outpoint: &OutPoint) -> Option<u32> {
        self.selected.get(outpoint).and_then(|p| p.position)
    }
}

impl Default for CoinControl {
    fn default() -> CoinControl {
        CoinControl::new(false)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bitcoin::hashes::Hash;

    fn op(n: u8) -> OutPoint {
        OutPoint::new(bitcoin::Txid::from_byte_array([n; 32]), u32::from(n))
    }

    #[test]
    fn selection_keeps_order_and_external_outputs() {
        let mut cc = CoinControl::default();
        assert!(!cc.has_selected());
        cc.select(op(3)).sequence = Some(7);
        cc.select(op(1)).txout = Some(TxOut::NULL);
        cc.set_input_weight(op(2), 300);
        assert_eq!(cc.list_selected(), vec![op(1), op(2), op(3)]);
        assert_eq!(cc.selection_pos(&op(3)), Some(0));
        assert_eq!(cc.selection_pos(&op(1)), Some(1));
        assert_eq!(cc.selection_pos(&op(2)), Some(2));
        assert!(cc.is_external_selected(&op(1)));
        assert!(!cc.is_external_selected(&op(3)));
        assert_eq!(cc.sequence(&op(3)), Some(7));
        assert_eq!(cc.input_weight(&op(2)), Some(300));
        // Selecting again keeps the first position.
        cc.select(op(3));
        assert_eq!(cc.selection_pos(&op(3)), Some(0));
        cc.unselect(&op(3));
        assert!(!cc.is_selected(&op(3)));
        assert!(cc.has_selected_order());
    }

    #[test]
    fn estimate_modes_parse_case_insensitively() {
        assert_eq!(
            FeeEstimateMode::parse("EcOnOmIcAl"),
            Some(FeeEstimateMode::Economical)
        );
        assert_eq!(
            FeeEstimateMode::parse("conservative"),
            Some(FeeEstimateMode::Conservative)
        );
        assert_eq!(
            FeeEstimateMode::parse("unset"),
            Some(FeeEstimateMode::Unset)
        );
        assert_eq!(FeeEstimateMode::parse("foo"), None);
    }
}
