//! `getblockstats` (per-block statistics from the block and its undo data) and
//! `verifychain` (checking the last blocks of the stored chain).

use std::collections::BTreeSet;
use std::sync::Arc;

use bitcoin::consensus::encode::serialize;
use bitcoin::{Block, BlockHash, TxOut};
use chain::chainstate::{VerifyOutcome, DEFAULT_CHECKBLOCKS, DEFAULT_CHECKLEVEL};
use chain::index::BlockStatus;
use chain::{BlockUndo, ChainState};
use rpc::codes::{
    RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR,
};
use rpc::{Arg, ArgType, RpcError, Table, Value};
use serde_json::{json, Map};

use super::values::{get_array, get_int, get_str, parse_block_hash};
use super::{command, ToRpcError};
use crate::context::NodeContext;

/// Largest amount of money (`MAX_MONEY`), satoshis.
const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Largest serialized block (`MAX_BLOCK_SERIALIZED_SIZE`).
const MAX_BLOCK_SERIALIZED_SIZE: i64 = 4_000_000;
/// Witness scale factor.
const WITNESS_SCALE_FACTOR: i64 = 4;
/// Bytes a coin costs in the UTXO index beyond its output: the outpoint and the
/// height/coinbase word.
const PER_UTXO_OVERHEAD: i64 = 36 + 4;
/// Largest script (`MAX_SCRIPT_SIZE`); a longer one is unspendable.
const MAX_SCRIPT_SIZE: usize = 10_000;

/// Registers `getblockstats` and `verifychain`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(command(
        "blockchain",
        "getblockstats",
        "Compute per block statistics for a given window. All amounts are in satoshis.\nIt won't work for some heights with pruning.\n",
        vec![
            Arg::required("hash_or_height", ArgType::Num, "The block hash or height of the target block")
                .skip_type_check()
                .type_str("", "string or numeric"),
            Arg::hint("stats", ArgType::Arr, "all values", "Values to plot (see result below)")
                .with_inner(vec![
                    Arg::omitted("height", ArgType::Str, "Selected statistic"),
                    Arg::omitted("time", ArgType::Str, "Selected statistic"),
                ])
                .oneline("stats"),
        ],
        "",
        move |req| {
            let target = req
                .param(0)
                .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Missing hash_or_height"))?;
            let mut selected = BTreeSet::new();
            if let Some(v) = req.param(1) {
                for s in get_array(v)? {
                    selected.insert(get_str(s)?.to_string());
                }
            }
            let (block, undo, entry) = {
                let cs = n.chainstate();
                let i = hash_or_height(&cs, target)?;
                load(&cs, i)?
            };
            let all = block_stats(&block, &undo, &entry)?;
            if selected.is_empty() {
                return Ok(Value::Object(all));
            }
            let mut out = Map::new();
            for s in selected {
                let v = all.get(&s).cloned().ok_or_else(|| {
                    RpcError::new(RPC_INVALID_PARAMETER, format!("Invalid selected statistic '{s}'"))
                })?;
                out.insert(s, v);
            }
            Ok(Value::Object(out))
        },
    ));
    let n = node.clone();
    table.register(command(
        "blockchain",
        "verifychain",
        "Verifies blockchain database.\n",
        vec![
            Arg::hint("checklevel", ArgType::Num, "3, range=0-4", "How thorough the block verification is:\n- level 0 reads the blocks from disk\n- level 1 also checks each block\n- level 2 also reads the undo data\n- level 3 also disconnects the tip blocks in memory\n- level 4 also connects them again\n- each level includes the checks of the levels below"),
            Arg::hint("nblocks", ArgType::Num, "6, 0=all", "The number of blocks to check."),
        ],
        "",
        move |req| {
            let level = match req.param(0) {
                Some(v) => get_int::<i32>(v)?,
                None => DEFAULT_CHECKLEVEL,
            };
            let depth = match req.param(1) {
                Some(v) => get_int::<i32>(v)?,
                None => DEFAULT_CHECKBLOCKS,
            };
            let outcome = n
                .chainstate()
                .verify_db(level, depth)
                .to_rpc(RPC_INTERNAL_ERROR)?;
            Ok(json!(outcome == VerifyOutcome::Success))
        },
    ));
}

/// What the statistics need of the block's index entry.
struct EntryInfo {
    hash: BlockHash,
    height: u32,
    time: u32,
    median_time_past: i64,
    subsidy: u64,
}

/// `ParseHashOrHeight`: a height of the active chain, or any known block's hash.
fn hash_or_height(cs: &ChainState, v: &Value) -> Result<usize, RpcError> {
    if v.is_number() {
        let height: i32 = get_int(v)?;
        if height < 0 {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Target block height {height} is negative"),
            ));
        }
        let tip = cs.height();
        if height as u32 > tip {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Target block height {height} after current tip {tip}"),
            ));
        }
        return cs
            .active_entry(height as u32)
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found"));
    }
    let hash = parse_block_hash(v, "hash_or_height")?;
    cs.index()
        .find(&hash)
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found"))
}

/// The block, its undo data (none for the genesis block) and its entry's facts, with
/// Core's errors for missing data.
fn load(cs: &ChainState, i: usize) -> Result<(Block, BlockUndo, EntryInfo), RpcError> {
    let e = cs.index().entry(i);
    if e.status.0 & BlockStatus::HAVE_DATA == 0 && e.data.is_none() {
        return Err(RpcError::new(
            RPC_MISC_ERROR,
            "Block not available (not fully downloaded)",
        ));
    }
    let block = cs
        .read_block(&e.hash)
        .ok()
        .flatten()
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Block not found on disk"))?;
    let undo = if e.height == 0 {
        BlockUndo::default()
    } else {
        if e.undo.is_none() {
            return Err(RpcError::new(RPC_MISC_ERROR, "Undo data not available"));
        }
        cs.read_undo(&e.hash)
            .ok()
            .flatten()
            .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Can't read undo data from disk"))?
    };
    let info = EntryInfo {
        hash: e.hash,
        height: e.height,
        time: e.header.time,
        median_time_past: cs.index().median_time_past(i),
        subsidy: cs.params().block_subsidy(e.height),
    };
    Ok((block, undo, info))
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

/// Bytes an output takes in the UTXO index.
fn utxo_size(out: &TxOut) -> i64 {
    serialize(out).len() as i64 + PER_UTXO_OVERHEAD
}

fn unspendable(out: &TxOut) -> bool {
    let s = out.script_pubkey.as_bytes();
    s.first() == Some(&0x6a) || s.len() > MAX_SCRIPT_SIZE
}

/// Median with the two middle values averaged (rounded down) for an even count.
fn truncated_median(mut v: Vec<i64>) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let n = v.len();
    if n.is_multiple_of(2) {
        (v[n / 2 - 1] + v[n / 2]) / 2
    } else {
        v[n / 2]
    }
}

/// Fee rates at the 10th, 25th, 50th, 75th and 90th percentile of weight.
fn percentiles_by_weight(mut scores: Vec<(i64, i64)>, total_weight: i64) -> [i64; 5] {
    let mut out = [0i64; 5];
    let Some(&(last, _)) = scores.iter().max() else {
        return out;
    };
    scores.sort_unstable();
    let total = total_weight as f64;
    let marks = [
        total / 10.0,
        total / 4.0,
        total / 2.0,
        (total * 3.0) / 4.0,
        (total * 9.0) / 10.0,
    ];
    let mut next = 0;
    let mut cumulative = 0i64;
    for (rate, weight) in &scores {
        cumulative += weight;
        while next < marks.len() && cumulative as f64 >= marks[next] {
            out[next] = *rate;
            next += 1;
        }
    }
    for slot in out.iter_mut().skip(next) {
        *slot = last;
    }
    out
}

/// Every statistic of the block, in Core's (alphabetical) order.
fn block_stats(
    block: &Block,
    undo: &BlockUndo,
    e: &EntryInfo,
) -> Result<Map<String, Value>, RpcError> {
    let (mut maxfee, mut maxfeerate, mut minfee, mut minfeerate) =
        (0i64, 0i64, MAX_MONEY, MAX_MONEY);
    let (mut total_out, mut totalfee, mut inputs, mut outputs) = (0i64, 0i64, 0i64, 0i64);
    let (mut maxtxsize, mut mintxsize) = (0i64, MAX_BLOCK_SERIALIZED_SIZE);
    let (mut swtotal_size, mut swtotal_weight, mut swtxs) = (0i64, 0i64, 0i64);
    let (mut total_size, mut total_weight) = (0i64, 0i64);
    let (mut utxos, mut utxo_size_inc, mut utxo_size_inc_actual) = (0i64, 0i64, 0i64);
    let mut fees = Vec::new();
    let mut feerates = Vec::new();
    let mut sizes = Vec::new();
    let bip30_repeat = is_bip30_repeat(e.height, &e.hash);
    for (i, tx) in block.txdata.iter().enumerate() {
        outputs += tx.output.len() as i64;
        let mut tx_out = 0i64;
        for out in &tx.output {
            tx_out += out.value.to_sat() as i64;
            let size = utxo_size(out);
            utxo_size_inc += size;
            // The genesis outputs and the repeated coinbases never entered the UTXO set.
            if e.height == 0 || (bip30_repeat && tx.is_coinbase()) || unspendable(out) {
                continue;
            }
            utxos += 1;
            utxo_size_inc_actual += size;
        }
        if tx.is_coinbase() {
            continue;
        }
        inputs += tx.input.len() as i64;
        total_out += tx_out;
        let size = serialize(tx).len() as i64;
        sizes.push(size);
        maxtxsize = maxtxsize.max(size);
        mintxsize = mintxsize.min(size);
        total_size += size;
        let weight = tx.weight().to_wu() as i64;
        total_weight += weight;
        if tx.input.iter().any(|i| !i.witness.is_empty()) {
            swtxs += 1;
            swtotal_size += size;
            swtotal_weight += weight;
        }
        let spent = undo.txs.get(i - 1).ok_or_else(|| {
            RpcError::new(
                RPC_INTERNAL_ERROR,
                "Internal bug detected: undo data does not match the block",
            )
        })?;
        let mut tx_in = 0i64;
        for coin in &spent.prevouts {
            tx_in += coin.output.value.to_sat() as i64;
            let size = utxo_size(&coin.output);
            utxo_size_inc -= size;
            utxo_size_inc_actual -= size;
        }
        let fee = tx_in - tx_out;
        if !(0..=MAX_MONEY).contains(&fee) {
            return Err(RpcError::new(
                RPC_INTERNAL_ERROR,
                "Internal bug detected: MoneyRange(txfee)",
            ));
        }
        fees.push(fee);
        maxfee = maxfee.max(fee);
        minfee = minfee.min(fee);
        totalfee += fee;
        // Satoshis per virtual byte.
        let feerate = if weight != 0 {
            fee * WITNESS_SCALE_FACTOR / weight
        } else {
            0
        };
        feerates.push((feerate, weight));
        maxfeerate = maxfeerate.max(feerate);
        minfeerate = minfeerate.min(feerate);
    }
    let txs = block.txdata.len() as i64;
    let non_coinbase = txs - 1;
    let mut m = Map::new();
    m.insert(
        "avgfee".into(),
        json!(if non_coinbase > 0 {
            totalfee / non_coinbase
        } else {
            0
        }),
    );
    m.insert(
        "avgfeerate".into(),
        json!(if total_weight != 0 {
            totalfee * WITNESS_SCALE_FACTOR / total_weight
        } else {
            0
        }),
    );
    m.insert(
        "avgtxsize".into(),
        json!(if non_coinbase > 0 {
            total_size / non_coinbase
        } else {
            0
        }),
    );
    m.insert("blockhash".into(), json!(e.hash.to_string()));
    m.insert(
        "feerate_percentiles".into(),
        json!(percentiles_by_weight(feerates, total_weight)),
    );
    m.insert("height".into(), json!(e.height));
    m.insert("ins".into(), json!(inputs));
    m.insert("maxfee".into(), json!(maxfee));
    m.insert("maxfeerate".into(), json!(maxfeerate));
    m.insert("maxtxsize".into(), json!(maxtxsize));
    m.insert("medianfee".into(), json!(truncated_median(fees)));
    m.insert("mediantime".into(), json!(e.median_time_past));
    m.insert("mediantxsize".into(), json!(truncated_median(sizes)));
    m.insert(
        "minfee".into(),
        json!(if minfee == MAX_MONEY { 0 } else { minfee }),
    );
    m.insert(
        "minfeerate".into(),
        json!(if minfeerate == MAX_MONEY {
            0
        } else {
            minfeerate
        }),
    );
    m.insert(
        "mintxsize".into(),
        json!(if mintxsize == MAX_BLOCK_SERIALIZED_SIZE {
            0
        } else {
            mintxsize
        }),
    );
    m.insert("outs".into(), json!(outputs));
    m.insert("subsidy".into(), json!(e.subsidy));
    m.insert("swtotal_size".into(), json!(swtotal_size));
    m.insert("swtotal_weight".into(), json!(swtotal_weight));
    m.insert("swtxs".into(), json!(swtxs));
    m.insert("time".into(), json!(e.time));
    m.insert("total_out".into(), json!(total_out));
    m.insert("total_size".into(), json!(total_size));
    m.insert("total_weight".into(), json!(total_weight));
    m.insert("totalfee".into(), json!(totalfee));
    m.insert("txs".into(), json!(txs));
    m.insert("utxo_increase".into(), json!(outputs - inputs));
    m.insert("utxo_size_inc".into(), json!(utxo_size_inc));
    m.insert("utxo_increase_actual".into(), json!(utxos - inputs));
    m.insert("utxo_size_inc_actual".into(), json!(utxo_size_inc_actual));
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles_as_core_computes_them() {
        assert_eq!(truncated_median(vec![]), 0);
        assert_eq!(truncated_median(vec![3, 1, 2]), 2);
        assert_eq!(truncated_median(vec![4, 1, 2, 3]), 2);
        assert_eq!(percentiles_by_weight(vec![], 0), [0; 5]);
        // One heavy cheap transaction and a light expensive one.
        let p = percentiles_by_weight(vec![(50, 100), (1, 900)], 1000);
        assert_eq!(p, [1, 1, 1, 1, 1]);
        let p = percentiles_by_weight(vec![(10, 250), (20, 250), (30, 250), (40, 250)], 1000);
        assert_eq!(p, [10, 10, 20, 30, 40]);
    }
}
