//! Building a funded transaction (Core's `CreateTransaction`, `CreateTransactionInternal`,
//! `FundTransaction` and `DiscourageFeeSniping`).

use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut};
use coinselection::{
    select_coins, CoinSelectionParams, CoinsResult, FeeRate, SelectionContext, SelectionRng,
    WalletSelectionOptions, MAX_STANDARD_TX_WEIGHT, WITNESS_SCALE_FACTOR,
};
use walletdb::records::{DescriptorId, OutputType};

use super::available::{available_coins, fetch_selected_inputs, outpoint_of, CoinFilterParams};
use super::node::NodeView;
use super::size::{
    compact_size_len, dust_threshold, input_size, is_dust, max_signed_tx_size, txout_size,
};
use super::{CreatedTransaction, Recipient, SpendError};
use crate::coincontrol::CoinControl;
use crate::fees::{discard_rate, minimum_fee_rate, sat_vb_string, FeeReason};
use crate::state::WalletState;

pub use rawtx::MAX_BIP125_RBF_SEQUENCE;
pub use rawtx::MAX_SEQUENCE_NONFINAL;
/// `MIN_STANDARD_TX_NONWITNESS_SIZE`.
const MIN_STANDARD_TX_NONWITNESS_SIZE: i64 = 65;
/// `DUMMY_NESTED_P2WPKH_INPUT_SIZE`.
const DUMMY_NESTED_P2WPKH_INPUT_SIZE: i32 = 91;
/// How old the tip may be for anti-fee-sniping (`MAX_ANTI_FEE_SNIPING_TIP_AGE`).
const MAX_ANTI_FEE_SNIPING_TIP_AGE: i64 = 8 * 60 * 60;
/// Core's message for a fee above `-maxtxfee`.
pub const MAX_FEE_EXCEEDED: &str =
    "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)";

/// A change address handed out for one attempt, returned if the attempt fails
/// (`ReserveDestination`).
struct Reserved {
    spkm: DescriptorId,
    index: i32,
}

fn err(msg: impl Into<String>) -> SpendError {
    SpendError(msg.into())
}

fn chain_err(e: crate::WalletError) -> SpendError {
    SpendError(e.to_string())
}

fn internal_bug(what: &str) -> SpendError {
    SpendError(format!("Internal bug detected: {what}"))
}

/// `ReserveDestination::GetReservedDestination(internal=true)`.
fn reserve_change(st: &mut WalletState, t: OutputType) -> Result<(ScriptBuf, Reserved), String> {
    let script = st.new_change_destination(t).map_err(|e| e.to_string())?;
    let spkm = st
        .active_internal
        .get(&t)
        .copied()
        .ok_or_else(|| "no change descriptor".to_string())?;
    let index = st
        .spkms
        .get(&spkm)
        .and_then(|s| s.index_of(&script))
        .unwrap_or(-1);
    Ok((script, Reserved { spkm, index }))
}

/// `ReserveDestination::ReturnDestination`: the index is given back if it was the last.
fn return_change(st: &mut WalletState, r: Reserved) {
    let record = match st.spkms.get_mut(&r.spkm) {
        Some(s) => {
            if s.wd.next_index - 1 == r.index {
                s.wd.next_index -= 1;
            }
            s.descriptor_record()
        }
        None => return,
    };
    st.write(record);
}

/// `CWallet::TransactionChangeType`: `-changetype`, else a type matching the recipients,
/// else the newest type the wallet has change descriptors for.
pub fn change_type(
    st: &WalletState,
    chosen: Option<OutputType>,
    recipients: &[Recipient],
) -> OutputType {
    if let Some(t) = chosen {
        return t;
    }
    if st.options.default_address_type == OutputType::Legacy {
        return OutputType::Legacy;
    }
    use chain_json::ScriptKind as K;
    let (mut any_tr, mut any_wpkh, mut any_sh, mut any_pkh) = (false, false, false, false);
    for r in recipients {
        match chain_json::classify(r.script.as_bytes()) {
            K::WitnessV1Taproot(_) => any_tr = true,
            K::WitnessV0KeyHash(_) => any_wpkh = true,
            K::ScriptHash(_) => any_sh = true,
            K::PubKeyHash(_) => any_pkh = true,
            _ => {}
        }
    }
    let has = |t: OutputType| st.active_internal.contains_key(&t);
    if has(OutputType::Bech32m) && any_tr {
        return OutputType::Bech32m;
    }
    if has(OutputType::Bech32) && any_wpkh {
        return OutputType::Bech32;
    }
    if has(OutputType::P2shSegwit) && any_sh {
        return OutputType::P2shSegwit;
    }
    if has(OutputType::Legacy) && any_pkh {
        return OutputType::Legacy;
    }
    if has(OutputType::Bech32m) {
        return OutputType::Bech32m;
    }
    if has(OutputType::Bech32) {
        return OutputType::Bech32;
    }
    st.options.default_address_type
}

/// `IsCurrentForAntiFeeSniping`.
fn is_current_for_anti_fee_sniping(node: &dyn NodeView, block: &BlockHash) -> bool {
    if node.is_initial_block_download().unwrap_or(true) {
        return false;
    }
    match node.block_time(block) {
        Ok(Some(t)) => t >= node.now() - MAX_ANTI_FEE_SNIPING_TIP_AGE,
        _ => false,
    }
}

/// `DiscourageFeeSniping`: a lock time at the tip (now and then a little earlier) so the
/// transaction fits only after it, or 0 when the wallet lags behind.
pub fn discourage_fee_sniping(
    tx: &mut Transaction,
    rng: &mut dyn SelectionRng,
    node: &dyn NodeView,
    last_block: Option<(BlockHash, i32)>,
) {
    let current = last_block.is_some_and(|(h, _)| is_current_for_anti_fee_sniping(node, &h));
    let height = last_block.map(|(_, h)| h).unwrap_or(0).max(0);
    let mut locktime = 0u32;
    if current {
        locktime = height as u32;
        // Now and then further back, for the privacy of transactions delayed after signing.
        if rng.rand_range(10) == 0 {
            locktime = locktime.saturating_sub(rng.rand_range(100) as u32);
        }
    }
    tx.lock_time = LockTime::from_consensus(locktime);
}

fn output_value(tx: &Transaction) -> i64 {
    tx.output.iter().map(|o| o.value.to_sat() as i64).sum()
}

/// `CreateTransactionInternal`.
#[allow(clippy::too_many_arguments)]
fn create_internal(
    st: &mut WalletState,
    node: &dyn NodeView,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    cc: &CoinControl,
    sign: bool,
    rng: &mut dyn SelectionRng,
    reserved: &mut Option<Reserved>,
) -> Result<CreatedTransaction, SpendError> {
    let mut tx = Transaction {
        version: Version(cc.version as i32),
        lock_time: LockTime::ZERO,
        input: Vec::new(),
        output: Vec::new(),
    };
    let mut params = CoinSelectionParams {
        avoid_partial_spends: cc.avoid_partial_spends,
        include_unsafe_inputs: cc.include_unsafe_inputs,
        max_tx_weight: Some(cc.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT)),
        version: cc.version,
        ..CoinSelectionParams::default()
    };
    let max_weight = params.max_tx_weight.unwrap_or(MAX_STANDARD_TX_WEIGHT);
    let min_weight = MIN_STANDARD_TX_NONWITNESS_SIZE * WITNESS_SCALE_FACTOR;
    if max_weight < min_weight || max_weight > MAX_STANDARD_TX_WEIGHT {
        return Err(err(format!(
            "Maximum transaction weight must be between {min_weight} and {MAX_STANDARD_TX_WEIGHT}"
        )));
    }
    params.long_term_feerate = FeeRate::from_sat_per_kvb(st.options.consolidate_feerate);
    // version, lock time, input count and the segwit marker and flag, plus output count.
    let mut noinputs = 10 + compact_size_len(recipients.len() as u64);
    let mut recipients_sum = 0i64;
    let ctype = change_type(
        st,
        cc.change_type.or(st.options.default_change_type),
        recipients,
    );
    let dust_rate = node.relay_dust_fee().map_err(chain_err)?;
    let mut sffo_count = 0i64;
    for r in recipients {
        let out = r.txout();
        if is_dust(&out, dust_rate) {
            return Err(err("Transaction amount too small"));
        }
        noinputs += txout_size(&out);
        recipients_sum += r.amount;
        if r.subtract_fee {
            sffo_count += 1;
            params.subtract_fee_outputs = true;
        }
    }
    params.tx_noinputs_size = i32::try_from(noinputs).unwrap_or(i32::MAX);

    let mut change_error = String::new();
    let change_script = match &cc.dest_change {
        Some(s) => s.clone(),
        None => match reserve_change(st, ctype) {
            Ok((script, r)) => {
                *reserved = Some(r);
                script
            }
            Err(e) => {
                change_error =
                    format!("Transaction needs a change address, but we can't generate it. {e}");
                ScriptBuf::new()
            }
        },
    };
    let change_proto = TxOut {
        value: Amount::ZERO,
        script_pubkey: change_script.clone(),
    };
    params.change_output_size = i32::try_from(txout_size(&change_proto)).unwrap_or(i32::MAX);
    let spend_size = input_size(st, &change_proto, None);
    // Without a way to sign change, a P2SH-P2WPKH spend is assumed so BnB can work.
    params.change_spend_size = if spend_size == -1 {
        DUMMY_NESTED_P2WPKH_INPUT_SIZE
    } else {
        spend_size
    };
    params.discard_feerate = discard_rate(&st.options, node).map_err(chain_err)?;

    let min_rate = minimum_fee_rate(&st.options, node, cc).map_err(chain_err)?;
    params.effective_feerate = min_rate.fee_rate;
    // An explicit rate is never silently raised.
    if let Some(user) = cc.fee_rate {
        if params.effective_feerate > user {
            let mut msg = format!(
                "Fee rate ({}) is lower than the minimum fee rate setting ({}).",
                sat_vb_string(user),
                sat_vb_string(params.effective_feerate)
            );
            if min_rate.reason == FeeReason::Required {
                msg += &format!(
                    "\nConsider modifying -mintxfee ({}) or -minrelaytxfee ({}).",
                    sat_vb_string(FeeRate::from_sat_per_kvb(st.options.min_fee)),
                    sat_vb_string(node.relay_min_fee().map_err(chain_err)?)
                );
            }
            return Err(err(msg));
        }
    }
    if min_rate.reason == FeeReason::Fallback && st.options.fallback_fee == 0 {
        return Err(err(
            "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.",
        ));
    }

    let change_dust = dust_threshold(&change_proto, params.discard_feerate);
    let count = recipients.len().max(1);
    params.set_change_parameters(recipients_sum, count, change_dust, rng);
    let selection_target = params.selection_target(recipients_sum);
    if selection_target == 0 && !cc.has_selected() {
        return Err(err("Transaction requires one destination of non-zero value, a non-zero feerate, or a pre-selected input"));
    }

    let preset = if cc.has_selected() {
        fetch_selected_inputs(st, node, cc, params.effective_feerate).map_err(|e| err(e.0))?
    } else {
        CoinsResult::new()
    };
    let mut available = if cc.allow_other_inputs {
        available_coins(
            st,
            node,
            Some(cc),
            Some(params.effective_feerate),
            &CoinFilterParams::default(),
        )
        .map_err(chain_err)?
        .coins_result()
    } else {
        CoinsResult::new()
    };
    let (limit_ancestors, limit_descendants) = node.package_limits().map_err(chain_err)?;
    let options = WalletSelectionOptions {
        spend_zero_conf_change: st.options.spend_zero_conf_change,
        reject_long_chains: st.options.reject_long_chains,
        limit_ancestor_count: limit_ancestors,
        limit_descendant_count: limit_descendants,
    };
    let bump = |outpoints: &[coinselection::OutPoint], rate: FeeRate| -> Option<i64> {
        let ops: Vec<OutPoint> = outpoints.iter().map(outpoint_of).collect();
        node.combined_bump_fee(&ops, rate).ok().flatten()
    };
    let selection = {
        let mut ctx = SelectionContext::new(rng, &bump);
        select_coins(
            &mut available,
            &preset,
            selection_target,
            cc.allow_other_inputs,
            &params,
            &options,
            &mut ctx,
        )
    };
    let result = match selection {
        Ok(r) => r,
        Err(e) if e.has_message() => return Err(err(e.to_string())),
        Err(_) => {
            let balance = preset.total_amount() + available.total_amount();
            if balance >= recipients_sum {
                let effective = preset.effective_total_amount().unwrap_or(0)
                    + available.effective_total_amount().unwrap_or(0);
                if effective < selection_target {
                    return Err(err(format!(
                        "The total exceeds your balance when the {} transaction fee is included.",
                        consensus::tx::format_money(selection_target - recipients_sum)
                    )));
                }
            }
            return Err(err("Insufficient funds"));
        }
    };

    for r in recipients {
        tx.output.push(r.txout());
    }
    let change_amount = result.change(params.min_viable_change, params.change_fee);
    let mut change_pos = change_pos;
    if change_amount > 0 {
        let pos = match change_pos {
            None => rng.rand_range(tx.output.len() as u64 + 1) as usize,
            Some(p) if p > tx.output.len() => {
                return Err(err("Transaction change output index out of range"))
            }
            Some(p) => p,
        };
        tx.output.insert(
            pos,
            TxOut {
                value: Amount::from_sat(change_amount as u64),
                script_pubkey: change_script.clone(),
            },
        );
        change_pos = Some(pos);
    } else {
        change_pos = None;
    }

    let mut selected = result.shuffled_inputs(rng);
    if cc.has_selected() && cc.has_selected_order() {
        // Preselected inputs come first, in the order they were chosen.
        selected.sort_by(|a, b| {
            let pa = cc.selection_pos(&outpoint_of(&a.outpoint));
            let pb = cc.selection_pos(&outpoint_of(&b.outpoint));
            match (pa, pb) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }

    // A sequence below the maximum lets the lock time count; opting into BIP125 uses the
    // highest value that does.
    let mut anti_fee_sniping = true;
    let default_sequence = if cc.signal_bip125_rbf.unwrap_or(st.options.signal_rbf) {
        MAX_BIP125_RBF_SEQUENCE
    } else {
        MAX_SEQUENCE_NONFINAL
    };
    for coin in &selected {
        let outpoint = outpoint_of(&coin.outpoint);
        let sequence = cc.sequence(&outpoint);
        if sequence.is_some() {
            anti_fee_sniping = false;
        }
        let (script_sig, witness) = cc.scripts(&outpoint);
        tx.input.push(TxIn {
            previous_output: outpoint,
            script_sig: script_sig.unwrap_or_default(),
            sequence: Sequence(sequence.unwrap_or(default_sequence)),
            witness: witness.unwrap_or_default(),
        });
    }
    if let Some(lt) = cc.locktime {
        tx.lock_time = LockTime::from_consensus(lt);
        anti_fee_sniping = false;
    }
    if anti_fee_sniping {
        discourage_fee_sniping(&mut tx, rng, node, st.last_block);
    }

    let sizes = max_signed_tx_size(st, &tx, Some(cc));
    if sizes.vsize == -1 {
        return Err(err("Missing solving data for estimating transaction size"));
    }
    let vsize = i32::try_from(sizes.vsize).unwrap_or(i32::MAX);
    let fee_needed = params.effective_feerate.get_fee(vsize) + result.total_bump_fees();
    let selected_value = result.selected_value();
    let mut current_fee = selected_value - output_value(&tx);
    if current_fee < 0 {
        return Err(internal_bug("Fee paid < 0"));
    }
    // Overpaid fees go to the change.
    if let Some(pos) = change_pos {
        if fee_needed < current_fee {
            let extra = current_fee - fee_needed;
            let change = &mut tx.output[pos];
            change.value = Amount::from_sat((change.value.to_sat() as i64 + extra) as u64);
            current_fee = selected_value - output_value(&tx);
            if fee_needed != current_fee {
                return Err(internal_bug("Change adjustment: Fee needed != fee paid"));
            }
        }
    }
    if params.subtract_fee_outputs {
        let to_reduce = fee_needed - current_fee;
        let mut i = 0usize;
        let mut first = true;
        for r in recipients {
            if change_pos == Some(i) {
                i += 1;
            }
            if r.subtract_fee {
                let out = &mut tx.output[i];
                let mut value = out.value.to_sat() as i64 - to_reduce / sffo_count;
                // The first one pays what does not divide evenly.
                if first {
                    first = false;
                    value -= to_reduce % sffo_count;
                }
                if value < 0 {
                    return Err(err("The transaction amount is too small to pay the fee"));
                }
                out.value = Amount::from_sat(value as u64);
                if is_dust(out, dust_rate) {
                    return Err(err(
                        "The transaction amount is too small to send after the fee has been deducted",
                    ));
                }
            }
            i += 1;
        }
        current_fee = selected_value - output_value(&tx);
        if fee_needed != current_fee {
            return Err(internal_bug("SFFO: Fee needed != fee paid"));
        }
    }
    if fee_needed > current_fee {
        return Err(internal_bug("Fee needed > fee paid"));
    }
    if change_script.is_empty() && change_pos.is_some() {
        return Err(err(change_error));
    }
    if sign && !crate::sign::sign_wallet_tx(st, &mut tx) {
        return Err(err("Signing transaction failed"));
    }
    let too_large = if sign {
        tx.weight().to_wu() as i64 > MAX_STANDARD_TX_WEIGHT
    } else {
        sizes.weight > MAX_STANDARD_TX_WEIGHT
    };
    if too_large {
        return Err(err("Transaction too large"));
    }
    if current_fee > st.options.max_tx_fee {
        return Err(err(MAX_FEE_EXCEEDED));
    }
    if st.options.reject_long_chains {
        if let Some(e) = node.check_chain_limits(&tx).map_err(chain_err)? {
            return Err(err(e));
        }
    }
    st.log(&format!(
        "Coin Selection: Algorithm:{}, Waste Metric Score:{}",
        result.algo().name(),
        result.waste().unwrap_or(0)
    ));
    st.log(&format!(
        "Fee Calculation: Fee:{current_fee} Bytes:{vsize}, Source: {}",
        min_rate.reason.as_str()
    ));
    Ok(CreatedTransaction {
        tx,
        fee: current_fee,
        change_pos,
        fee_reason: min_rate.reason,
    })
}

/// One attempt, giving the change address back if it fails (the reservation's lifetime).
fn attempt(
    st: &mut WalletState,
    node: &dyn NodeView,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    cc: &CoinControl,
    sign: bool,
    rng: &mut dyn SelectionRng,
) -> Result<CreatedTransaction, SpendError> {
    let mut reserved = None;
    let r = create_internal(
        st,
        node,
        recipients,
        change_pos,
        cc,
        sign,
        rng,
        &mut reserved,
    );
    if r.is_err() {
        if let Some(res) = reserved {
            return_change(st, res);
        }
    }
    r
}

/// `CreateTransaction`: builds (and when `sign`, signs) a transaction paying `recipients`;
/// a second attempt that spends whole address groups is kept if it costs at most
/// `-maxapsfee` more.
pub fn create_transaction(
    st: &mut WalletState,
    node: &dyn NodeView,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    cc: &CoinControl,
    sign: bool,
    rng: &mut dyn SelectionRng,
) -> Result<CreatedTransaction, SpendError> {
    if recipients.is_empty() {
        return Err(err("Transaction must have at least one recipient"));
    }
    if recipients.iter().any(|r| r.amount < 0) {
        return Err(err("Transaction amounts must not be negative"));
    }
    let ungrouped = attempt(st, node, recipients, change_pos, cc, sign, rng)?;
    // A fee of 0 means fee estimation does not work, and the comparison would mean nothing.
    if ungrouped.fee > 0 && st.options.max_aps_fee > -1 && !cc.avoid_partial_spends {
        let mut tmp = cc.clone();
        tmp.avoid_partial_spends = true;
        // Reusing the first attempt's change address keeps BIP44 indexes without gaps.
        if let Some(pos) = ungrouped.change_pos {
            let script = &ungrouped.tx.output[pos].script_pubkey;
            if descriptors::Destination::from_script(script).is_some() {
                tmp.dest_change = Some(script.clone());
            }
        }
        if let Ok(grouped) = attempt(st, node, recipients, change_pos, &tmp, sign, rng) {
            let use_aps = grouped.fee <= ungrouped.fee + st.options.max_aps_fee;
            st.log(&format!(
                "Fee non-grouped = {}, grouped = {}, using {}",
                ungrouped.fee,
                grouped.fee,
                if use_aps { "grouped" } else { "non-grouped" }
            ));
            if use_aps {
                return Ok(grouped);
            }
        }
    }
    Ok(ungrouped)
}

/// `FundTransaction`: funds `tx`'s inputs (kept, with their sequences and scripts; those
/// outside the wallet looked up in the UTXO set) plus wallet coins for `recipients`,
/// unsigned. `lock_unspents` locks the inputs in memory.
#[allow(clippy::too_many_arguments)]
pub fn fund_transaction(
    st: &mut WalletState,
    node: &dyn NodeView,
    tx: &Transaction,
    recipients: &[Recipient],
    change_pos: Option<usize>,
    lock_unspents: bool,
    mut cc: CoinControl,
    rng: &mut dyn SelectionRng,
) -> Result<CreatedTransaction, SpendError> {
    cc.locktime = Some(tx.lock_time.to_consensus_u32());
    cc.version = tx.version.0 as u32;
    let prevouts: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
    let coins = node.find_coins(&prevouts).map_err(chain_err)?;
    for (txin, coin) in tx.input.iter().zip(coins) {
        let outpoint = txin.previous_output;
        let mine = is_mine_outpoint(st, &outpoint);
        let preset = cc.select(outpoint);
        if !mine {
            let Some(out) = coin else {
                return Err(err("Unable to find UTXO for external input"));
            };
            preset.txout = Some(out);
        }
        preset.sequence = Some(txin.sequence.0);
        preset.script_sig = Some(txin.script_sig.clone());
        preset.script_witness = Some(txin.witness.clone());
    }
    let res = create_transaction(st, node, recipients, change_pos, &cc, false, rng)?;
    if lock_unspents {
        for txin in &res.tx.input {
            st.lock_coin(txin.previous_output, false);
        }
    }
    Ok(res)
}

/// `CWallet::IsMine(COutPoint)`: the output of a wallet transaction is ours.
pub fn is_mine_outpoint(st: &WalletState, outpoint: &OutPoint) -> bool {
    st.txs
        .get(&outpoint.txid)
        .and_then(|w| w.tx.output.get(outpoint.vout as usize))
        .is_some_and(|o| st.is_mine_script(&o.script_pubkey))
}
