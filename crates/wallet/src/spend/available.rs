//! The wallet's spendable outputs (Core's `AvailableCoins`) and the caller's preselected
//! inputs (`FetchSelectedInputs`), as coins for the selection.

use std::collections::{BTreeMap, HashMap, HashSet};

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, TxOut, Txid};
use coinselection::{Coin, CoinsResult, FeeRate, OutputType as SelType, MAX_MONEY, TRUC_VERSION};
use signing::SigningProvider;

use super::node::NodeView;
use super::size::{can_grind_r, input_size, input_size_with, vsize_of_weight};
use crate::coincontrol::{CoinControl, DEFAULT_MAX_DEPTH, DEFAULT_MIN_DEPTH};
use crate::error::WalletError;
use crate::state::{flags, WalletState};

/// Which outputs `available_coins` returns (Core's `CoinFilterParams`).
#[derive(Debug, Clone, Copy)]
pub struct CoinFilterParams {
    /// Smallest value.
    pub min_amount: i64,
    /// Largest value.
    pub max_amount: i64,
    /// Stop once the values add up to this.
    pub min_sum_amount: i64,
    /// Stop after this many outputs (0: no limit).
    pub max_count: u64,
    /// Include coinbase outputs that cannot be spent yet.
    pub include_immature_coinbase: bool,
    /// Leave out locked coins.
    pub skip_locked: bool,
    /// Apply the TRUC (version 3) topology rules.
    pub check_version_trucness: bool,
}

impl Default for CoinFilterParams {
    fn default() -> CoinFilterParams {
        CoinFilterParams {
            min_amount: 1,
            max_amount: MAX_MONEY,
            min_sum_amount: MAX_MONEY,
            max_count: 0,
            include_immature_coinbase: false,
            skip_locked: true,
            check_version_trucness: true,
        }
    }
}

/// One available output (Core's `COutput`).
#[derive(Debug, Clone)]
pub struct Output {
    /// Where it is.
    pub outpoint: OutPoint,
    /// The output.
    pub txout: TxOut,
    /// Confirmations (0 in the pool).
    pub depth: i32,
    /// Virtual size of spending it, -1 when unknown.
    pub input_bytes: i32,
    /// Whether the wallet knows how to spend it.
    pub solvable: bool,
    /// Whether it is safe to spend.
    pub safe: bool,
    /// The transaction's time.
    pub time: i64,
    /// Whether the wallet made the transaction.
    pub from_me: bool,
    /// The coin as the selection sees it (fee and effective value at the rate asked for).
    pub coin: Coin,
}

/// Available outputs by output type (Core's `CoinsResult`).
#[derive(Debug, Clone, Default)]
pub struct Available {
    /// The outputs by type, in Core's type order.
    pub by_type: BTreeMap<SelType, Vec<Output>>,
}

impl Available {
    fn add(&mut self, t: SelType, o: Output) {
        self.by_type.entry(t).or_default().push(o);
    }

    /// `All`.
    pub fn all(&self) -> impl Iterator<Item = &Output> {
        self.by_type.values().flatten()
    }

    /// `Size`.
    pub fn size(&self) -> usize {
        self.by_type.values().map(Vec::len).sum()
    }

    /// `GetTotalAmount`.
    pub fn total_amount(&self) -> i64 {
        self.all().map(|o| o.txout.value.to_sat() as i64).sum()
    }

    /// The coins for the selection.
    pub fn coins_result(&self) -> CoinsResult {
        let mut r = CoinsResult::new();
        for (t, outs) in &self.by_type {
            for o in outs {
                r.add(*t, o.coin.clone());
            }
        }
        r
    }
}

/// The selection's outpoint of `o`.
pub fn sel_outpoint(o: &OutPoint) -> coinselection::OutPoint {
    coinselection::OutPoint::new(o.txid.to_byte_array(), o.vout)
}

/// The outpoint of a selection coin.
pub fn outpoint_of(o: &coinselection::OutPoint) -> OutPoint {
    OutPoint::new(Txid::from_byte_array(o.txid), o.vout)
}

/// Core's `GetOutputType(TxoutType, is_from_p2sh)`.
fn output_type_of(
    script: &[u8],
    provider: Option<&dyn SigningProvider>,
    solvable: bool,
) -> Option<SelType> {
    use chain_json::ScriptKind as K;
    let kind = chain_json::classify(script);
    let t = match kind {
        K::WitnessV1Taproot(_) => SelType::Bech32m,
        K::WitnessV0KeyHash(_) | K::WitnessV0ScriptHash(_) => SelType::Bech32,
        K::ScriptHash(hash) if solvable => {
            // A solvable P2SH's redeem script says whether it wraps segwit.
            let id: [u8; 20] = hash.try_into().ok()?;
            let redeem = provider?.script(&id)?;
            match chain_json::classify(&redeem) {
                K::WitnessV0KeyHash(_) | K::WitnessV0ScriptHash(_) => SelType::P2shSegwit,
                K::WitnessV1Taproot(_) => SelType::Bech32m,
                K::ScriptHash(_) | K::PubKeyHash(_) => SelType::Legacy,
                _ => SelType::Unknown,
            }
        }
        K::ScriptHash(_) | K::PubKeyHash(_) => SelType::Legacy,
        _ => SelType::Unknown,
    };
    Some(t)
}

/// `AvailableCoins`: the wallet's outputs that `cc` and `params` allow spending, with fees
/// and effective values at `feerate` (and bump fees for unconfirmed ancestors) when given.
pub fn available_coins(
    st: &WalletState,
    node: &dyn NodeView,
    cc: Option<&CoinControl>,
    feerate: Option<FeeRate>,
    params: &CoinFilterParams,
) -> Result<Available, WalletError> {
    let mut result = Available::default();
    let mut truc_coins: Vec<(SelType, Output)> = Vec::new();
    let mut truc_value: BTreeMap<Txid, i64> = BTreeMap::new();
    let allow_used = !st.has_flag(flags::AVOID_REUSE) || cc.is_some_and(|c| !c.avoid_address_reuse);
    let min_depth = cc.map_or(DEFAULT_MIN_DEPTH, |c| c.min_depth);
    let max_depth = cc.map_or(DEFAULT_MAX_DEPTH, |c| c.max_depth);
    let only_safe = cc.is_none_or(|c| !c.include_unsafe_inputs);
    let version = cc.map_or(crate::coincontrol::DEFAULT_WALLET_TX_VERSION, |c| c.version);
    let grind = can_grind_r(st);
    let rate = feerate.unwrap_or_default();
    let mut outpoints = Vec::new();
    let mut trusted_parents = HashSet::new();
    let mut tx_cache: HashMap<Txid, (bool, bool)> = HashMap::new();
    let mut size_memo: HashMap<Vec<walletdb::records::DescriptorId>, (i32, Option<SelType>)> =
        HashMap::new();

    // Core walks an unordered map; the wallet's own order (when each transaction came in)
    // keeps results repeatable, also between wallets with different keys.
    let mut txos: Vec<(&OutPoint, &TxOut)> = st.txos.iter().collect();
    txos.sort_by_key(|(o, _)| {
        let pos = st.txs.get(&o.txid).map_or(i64::MAX, |w| w.order_pos);
        (pos, o.vout)
    });
    for (outpoint, output) in txos {
        let Some(wtx) = st.txs.get(&outpoint.txid) else {
            continue;
        };
        if tx_cache.get(&outpoint.txid).is_some_and(|(ok, _)| !ok) {
            continue;
        }
        let depth = st.depth(wtx);
        if !tx_cache.contains_key(&outpoint.txid) {
            tx_cache.insert(outpoint.txid, (false, false));
            if st.is_immature_coinbase(wtx) && !params.include_immature_coinbase {
                continue;
            }
            if depth < 0 {
                continue;
            }
            // Coins not even in our pool may be conflicted through ancestors we cannot see.
            if depth == 0 && !wtx.in_mempool() {
                continue;
            }
            let mut safe = st.is_trusted(wtx, &mut trusted_parents);
            // Replacing and replaced transactions could both confirm after a reorg, so
            // their outputs are not safe to build on.
            if depth == 0 && (wtx.replaces_txid.is_some() || wtx.replaced_by_txid.is_some()) {
                safe = false;
            }
            if depth == 0 && params.check_version_trucness {
                let is_truc = wtx.tx.version.0 as u32 == TRUC_VERSION;
                if version == TRUC_VERSION {
                    if !is_truc {
                        continue;
                    }
                    // A TRUC transaction may have one unconfirmed child and no grandchild.
                    if node.has_descendants_in_mempool(&wtx.txid)? {
                        continue;
                    }
                    if node.ancestry(&wtx.txid)?.ancestors > 1 {
                        continue;
                    }
                } else if is_truc {
                    continue;
                }
            }
            if only_safe && !safe {
                continue;
            }
            if depth < min_depth || depth > max_depth {
                continue;
            }
            tx_cache.insert(outpoint.txid, (true, safe));
        }
        let Some(&(true, safe)) = tx_cache.get(&outpoint.txid) else {
            continue;
        };
        let value = output.value.to_sat() as i64;
        if value < params.min_amount || value > params.max_amount {
            continue;
        }
        if cc.is_some_and(|c| c.has_selected() && c.is_selected(outpoint)) {
            continue;
        }
        if st.is_locked_coin(outpoint) && params.skip_locked {
            continue;
        }
        if st.is_spent(outpoint) {
            continue;
        }
        if !allow_used && st.is_spent_key(&output.script_pubkey) {
            continue;
        }
        let from_me = st.tx_is_from_me(wtx);
        // Every script of a descriptor spends alike, so the size and type are worked out
        // once per descriptor (expanding it is the costly part) unless the caller brings
        // its own solving data.
        let owners = st.spkms_for(&output.script_pubkey);
        let memo_key =
            (!owners.is_empty() && cc.is_none_or(|c| !c.has_external_provider())).then_some(owners);
        let cached = memo_key.as_ref().and_then(|k| size_memo.get(k).copied());
        let (input_bytes, out_type) = match cached {
            Some(v) => v,
            None => {
                let provider = st.signing_provider(&output.script_pubkey, false);
                let provider_ref = provider.as_ref().map(|p| p as &dyn SigningProvider);
                let input_bytes =
                    input_size_with(output, None, provider_ref, grind, cc, st.network);
                let solvable = input_bytes > -1;
                let out_type =
                    output_type_of(output.script_pubkey.as_bytes(), provider_ref, solvable);
                if let Some(k) = memo_key {
                    size_memo.insert(k, (input_bytes, out_type));
                }
                (input_bytes, out_type)
            }
        };
        let Some(out_type) = out_type else {
            continue;
        };
        let solvable = input_bytes > -1;
        let (ancestors, cluster) = if depth == 0 {
            let a = node.ancestry(&outpoint.txid)?;
            (a.ancestors as usize, a.cluster_count as usize)
        } else {
            (0, 0)
        };
        let coin = Coin::new(sel_outpoint(outpoint), value, input_bytes, rate)
            .with_depth(depth)
            .with_from_me(from_me)
            .with_script(output.script_pubkey.to_bytes())
            .with_ancestry(ancestors, cluster);
        let out = Output {
            outpoint: *outpoint,
            txout: output.clone(),
            depth,
            input_bytes,
            solvable,
            safe,
            time: wtx.tx_time(),
            from_me,
            coin,
        };
        if wtx.tx.version.0 as u32 == TRUC_VERSION && depth == 0 && params.check_version_trucness {
            *truc_value.entry(wtx.txid).or_insert(0) += value;
            truc_coins.push((out_type, out));
        } else {
            result.add(out_type, out);
        }
        outpoints.push(*outpoint);
        if params.min_sum_amount != MAX_MONEY && result.total_amount() >= params.min_sum_amount {
            return Ok(result);
        }
        if params.max_count > 0 && result.size() as u64 >= params.max_count {
            return Ok(result);
        }
    }

    // Only the coins of the unconfirmed TRUC transaction worth the most may be spent together.
    if params.check_version_trucness && !truc_coins.is_empty() {
        let mut best: Option<(Txid, i64)> = None;
        for (txid, v) in &truc_value {
            if best.is_none_or(|(_, bv)| *v > bv) {
                best = Some((*txid, *v));
            }
        }
        if let Some((txid, _)) = best {
            for (t, o) in truc_coins {
                if o.outpoint.txid == txid {
                    result.add(t, o);
                }
            }
        }
    }

    if let Some(rate) = feerate {
        let bumps = node.individual_bump_fees(&outpoints, rate)?;
        let by_outpoint: HashMap<OutPoint, i64> = outpoints.iter().copied().zip(bumps).collect();
        for outs in result.by_type.values_mut() {
            for o in outs {
                let bump = by_outpoint.get(&o.outpoint).copied().unwrap_or(0);
                o.coin.apply_bump_fee(bump);
            }
        }
    }
    Ok(result)
}

/// Why a preselected input cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetError(pub String);

/// `COutPoint::ToString`.
pub fn outpoint_string(o: &OutPoint) -> String {
    let h = o.txid.to_string();
    format!("COutPoint({}, {})", &h[..10.min(h.len())], o.vout)
}

/// `FetchSelectedInputs`: the caller's inputs as coins, sized from their given weight, the
/// wallet's solving data or the caller's external solving data.
pub fn fetch_selected_inputs(
    st: &WalletState,
    node: &dyn NodeView,
    cc: &CoinControl,
    effective_feerate: FeeRate,
) -> Result<CoinsResult, PresetError> {
    let mut result = CoinsResult::new();
    let grind = can_grind_r(st);
    let selected = cc.list_selected();
    let bumps = node
        .individual_bump_fees(&selected, effective_feerate)
        .map_err(|e| PresetError(e.to_string()))?;
    for (i, outpoint) in selected.iter().enumerate() {
        let mut input_bytes = match cc.input_weight(outpoint) {
            Some(w) => i32::try_from(vsize_of_weight(w)).unwrap_or(-1),
            None => -1,
        };
        let txout = if let Some(txout) = st.txos.get(outpoint) {
            if input_bytes == -1 {
                input_bytes = input_size(st, txout, Some(cc));
            }
            if let Some(parent) = st.txs.get(&outpoint.txid) {
                if st.depth(parent) == 0 {
                    let parent_version = parent.tx.version.0 as u32;
                    if parent_version == TRUC_VERSION && cc.version != TRUC_VERSION {
                        return Err(PresetError(format!(
                            "Can't spend unconfirmed version 3 pre-selected input with a version {} tx",
                            cc.version
                        )));
                    } else if cc.version == TRUC_VERSION && parent_version != TRUC_VERSION {
                        return Err(PresetError(format!(
                            "Can't spend unconfirmed version {parent_version} pre-selected input with a version 3 tx"
                        )));
                    }
                }
            }
            txout.clone()
        } else {
            cc.external_output(outpoint).ok_or_else(|| {
                PresetError(format!(
                    "Not found pre-selected input {}",
                    outpoint_string(outpoint)
                ))
            })?
        };
        if input_bytes == -1 {
            input_bytes = input_size_with(
                &txout,
                Some(outpoint),
                Some(&cc.external_provider),
                grind,
                Some(cc),
                st.network,
            );
        }
        if input_bytes == -1 {
            return Err(PresetError(format!(
                "Not solvable pre-selected input {}",
                outpoint_string(outpoint)
            )));
        }
        // Depth, safety and origin do not matter for inputs that are not selected.
        let mut coin = Coin::new(
            sel_outpoint(outpoint),
            txout.value.to_sat() as i64,
            input_bytes,
            effective_feerate,
        )
        .with_script(txout.script_pubkey.to_bytes());
        coin.apply_bump_fee(bumps.get(i).copied().unwrap_or(0));
        result.add(SelType::Unknown, coin);
    }
    Ok(result)
}
