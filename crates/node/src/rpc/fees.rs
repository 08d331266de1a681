//! Fee estimation commands (Core's `rpc/fees.cpp`): `estimatesmartfee` and the hidden
//! `estimaterawfee`, answered by [`fees::FeeEstimator`] in `NodeContext::fee_estimator`.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::BlockHash;
use fees::{
    FeeEstimateMode, FeePerVSize, FeeRateEstimatorType, MempoolState, ALL_FEE_ESTIMATE_HORIZONS,
};
use mempool::accept::ChainView;
use rpc::codes::{RPC_INTERNAL_ERROR, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR};
use rpc::{
    Arg, ArgType, Command, Elision, Request, ResultDoc, ResultType, RpcError, RpcResult, Table,
};
use serde_json::{json, Map, Value};

use super::values::{get_int, get_str, parse_verbosity};
use crate::context::{lock, NodeContext};
use crate::mempool_chain::ChainStateView;

/// Registers `estimatesmartfee` and `estimaterawfee`.
pub fn register(table: &Table, node: &Arc<NodeContext>) {
    let n = node.clone();
    table.register(Command {
        category: "util",
        name: "estimatesmartfee",
        description: "Estimates the fee rate, per kilobyte of virtual size (BIP 141: witness data is discounted), that a\ntransaction needs to begin confirming within conf_target blocks, and the number of blocks the\nestimate is actually for.\n",
        args: vec![
            Arg::required("conf_target", ArgType::Num, "How many blocks the transaction may wait before it begins to confirm (1 - 1008)"),
            Arg::optional("estimate_mode", ArgType::Str, json!("economical"), ESTIMATE_MODE_HELP),
            Arg::omitted("options", ArgType::Obj, "").with_inner(vec![
                Arg::optional("fee_rate_estimator", ArgType::Str, json!("none"), FEE_RATE_ESTIMATOR_HELP),
                Arg::optional("verbosity", ArgType::Num, json!(1), "1 gives the fee rate or the errors; 2 adds \"mempool_health_statistics\"."),
            ]),
        ],
        result: "",
        examples: format!(
            "{}{}",
            rpc::help_example_cli("estimatesmartfee", "6"),
            rpc::help_example_rpc("estimatesmartfee", "6")
        )
        .into(),
        handler: Arc::new(move |req| estimate_smart_fee(&n, req)),
    });
    table.set_results("estimatesmartfee", vec![smart_fee_result()]);

    let n = node.clone();
    table.register(Command {
        category: "hidden",
        name: "estimaterawfee",
        description: "WARNING: This interface is unstable and may disappear or change!\n\nWARNING: This is an advanced API call that is tightly coupled to the specific\nimplementation of fee estimation. The parameters it can be called with\nand the results it returns will change if the internal implementation changes.\n\nEstimates the fee rate, per kilobyte of virtual size (BIP 141: witness data is discounted), that a\ntransaction needs to begin confirming within conf_target blocks, for each history the block\npolicy estimator keeps.\n",
        args: vec![
            Arg::required("conf_target", ArgType::Num, "How many blocks the transaction may wait before it begins to confirm (1 - 1008)"),
            Arg::optional("threshold", ArgType::Num, json!(0.95), "The share of transactions in a fee rate range that must have confirmed within conf_target\nfor the range to count as high enough, so that lower ranges are tried next."),
        ],
        result: "",
        examples: rpc::help_example_cli("estimaterawfee", "6 0.9").into(),
        handler: Arc::new(move |req| estimate_raw_fee(&n, req)),
    });
    table.set_results("estimaterawfee", vec![raw_fee_result()]);
}

const ESTIMATE_MODE_HELP: &str = "The estimate mode: unset, economical or conservative.\nunset leaves the choice to the default mode.\neconomical may give a lower fee rate, following recent blocks closely.\nconservative also weighs a longer history, so may give a higher fee rate.";

const FEE_RATE_ESTIMATOR_HELP: &str = "Which estimator answers.\n\"none\" gives the lower of the block policy and mempool estimates; when the mempool estimate\nfails, that failure is reported rather than the block policy estimate, which \"block_policy\"\nstill gives.\n\"block_policy\" asks only the estimator that learns from past confirmations.\n\"mempool_policy\" asks only the estimator that reads the next block template.\nUnknown values count as \"none\".";

/// The error every command gives when the node does not estimate fees (`-blocksonly`).
fn disabled() -> RpcError {
    RpcError::new(RPC_INTERNAL_ERROR, "Fee estimation disabled")
}

/// Core's `ParseConfirmTarget`.
fn parse_confirm_target(v: Option<&Value>, max_target: u32) -> Result<u32, RpcError> {
    let target: i32 = get_int(v.unwrap_or(&Value::Null))?;
    match u32::try_from(target) {
        Ok(t) if t >= 1 && t <= max_target => Ok(t),
        _ => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid conf_target, must be between 1 and {max_target}"),
        )),
    }
}

/// Core's `RPCTypeCheckObj` for the options object (nulls allowed, unknown keys refused):
/// the keys in the order Core's map checks them.
fn check_options(options: &Map<String, Value>) -> Result<(), RpcError> {
    const EXPECTED: [(&str, &str); 2] = [("fee_rate_estimator", "string"), ("verbosity", "number")];
    for (key, ty) in EXPECTED {
        if let Some(v) = options.get(key) {
            let got = rpc::json::type_name(v);
            if !v.is_null() && got != ty {
                return Err(RpcError::new(
                    RPC_TYPE_ERROR,
                    format!(
                        "JSON value of type {got} for field {key} is not of expected type {ty}"
                    ),
                ));
            }
        }
    }
    if let Some(k) = options
        .keys()
        .find(|k| !EXPECTED.iter().any(|(e, _)| e == k))
    {
        return Err(RpcError::new(RPC_TYPE_ERROR, format!("Unexpected key {k}")));
    }
    Ok(())
}

fn rate_of(f: mempool::FeeRate) -> FeePerVSize {
    let frac = f.frac();
    FeePerVSize::new(frac.fee, frac.size)
}

/// The node's clock as the estimator's cache reads it.
fn clock(n: &NodeContext) -> Duration {
    Duration::from_secs(u64::try_from(n.now()).unwrap_or(0))
}

/// The active tip, and the chunk fee rates of a block template built on it now with
/// Core's default assembler options (the fee estimator ignores `-blockmaxweight` and
/// `-blockmintxfee`, as Core's does).
fn build_template(n: &NodeContext) -> (BlockHash, Vec<FeePerVSize>) {
    let cs = n.chainstate();
    let mtp = ChainStateView::new(&cs, n.now()).median_time_past();
    let pool = lock(&n.mempool);
    let selection = mempool::mining::select_transactions(
        &pool,
        cs.height() + 1,
        mtp,
        &mempool::mining::AssemblerOptions::default(),
    );
    let chunks = selection
        .chunk_feerates
        .iter()
        .map(|f| FeePerVSize::new(f.fee, f.size))
        .collect();
    (cs.tip(), chunks)
}

/// The estimate `estimatesmartfee` and the wallet use (`GetFeeRateEstimate`), with the
/// pool's minimum fee and the relay minimum it must not go below.
pub(crate) fn smart_estimate(
    n: &NodeContext,
    estimator: FeeRateEstimatorType,
    conf_target: u32,
    conservative: bool,
) -> (fees::EstimateResult, FeePerVSize, FeePerVSize) {
    // What the estimate needs from the chain and the mempool is read before the
    // estimator is locked: the node takes the estimator's lock while holding the
    // mempool's, never the other way round.
    let now = clock(n);
    let mut tip = n.chainstate().tip();
    let (loaded, min_mempool, min_relay) = {
        let mut pool = lock(&n.mempool);
        let min_fee = rate_of(pool.min_fee(n.now()));
        let relay = FeePerVSize::from_sat_per_kvb(pool.options().min_relay_feerate);
        (pool.loaded(), min_fee, relay)
    };
    let needs_template = lock(&n.fee_estimator).needs_block_template(
        estimator,
        conf_target,
        conservative,
        loaded,
        &tip,
        now,
    );
    let template = needs_template.then(|| {
        let (template_tip, chunks) = build_template(n);
        tip = template_tip;
        chunks
    });
    let state = MempoolState {
        loaded,
        tip,
        floor: min_relay.max_ratio(min_mempool),
        block_template: template.as_deref(),
    };
    let estimate =
        lock(&n.fee_estimator).estimate(estimator, conf_target, conservative, &state, now);
    (estimate, min_mempool, min_relay)
}

fn estimate_smart_fee(n: &NodeContext, req: &Request) -> RpcResult {
    let max_target = {
        let est = lock(&n.fee_estimator);
        if !est.is_enabled() {
            return Err(disabled());
        }
        est.maximum_target()
    };
    let conf_target = parse_confirm_target(req.param(0), max_target)?;
    let mode = FeeEstimateMode::from_name(req.arg_str(1)?).ok_or_else(|| {
        RpcError::new(RPC_INVALID_PARAMETER, fees::invalid_estimate_mode_message())
    })?;
    let empty = Map::new();
    let options = match req.param(2) {
        Some(Value::Object(o)) => o,
        _ => &empty,
    };
    check_options(options)?;
    let estimator = match options.get("fee_rate_estimator") {
        Some(v) if !v.is_null() => FeeRateEstimatorType::from_name(get_str(v)?),
        _ => FeeRateEstimatorType::None,
    };
    let conservative = mode.is_conservative();
    let verbosity = parse_verbosity(options.get("verbosity"), 1, false)?;

    let (estimate, min_mempool, min_relay) =
        smart_estimate(n, estimator, conf_target, conservative);
    let health = (verbosity >= 2).then(|| lock(&n.fee_estimator).mempool_blocks_stats().to_vec());

    let mut out = Map::new();
    match &estimate {
        Ok(e) => {
            // Never below what the mempool accepts or relays now.
            let rate = e.feerate.max_ratio(min_mempool).max_ratio(min_relay);
            out.insert("feerate".into(), rpc::amount_value(rate.sat_per_kvb()));
        }
        Err(e) => {
            out.insert("errors".into(), json!([e.reason]));
        }
    }
    if let (Ok(e), FeeRateEstimatorType::None) = (&estimate, estimator) {
        out.insert("estimator".into(), json!(e.estimator.as_str()));
    }
    out.insert("blocks".into(), json!(fees::returned_target(&estimate)));
    if let Some(blocks) = health {
        let stats: Vec<Value> = blocks
            .iter()
            .rev()
            .map(|b| {
                json!({
                    "block_height": b.height,
                    "block_weight": b.block_weight,
                    "mempool_txs_weight": b.removed_block_txs_weight,
                })
            })
            .collect();
        out.insert("mempool_health_statistics".into(), Value::Array(stats));
    }
    Ok(Value::Object(out))
}

/// One bucket range of `estimaterawfee`, its counts rounded to hundredths.
fn bucket_json(b: &fees::EstimatorBucket) -> Value {
    let hundredths = |x: f64| rpc::double_value((x * 100.0).round() / 100.0);
    let mut m = Map::new();
    m.insert("startrange".into(), rpc::double_value(b.start.round()));
    m.insert("endrange".into(), rpc::double_value(b.end.round()));
    m.insert("withintarget".into(), hundredths(b.within_target));
    m.insert("totalconfirmed".into(), hundredths(b.total_confirmed));
    m.insert("inmempool".into(), hundredths(b.in_mempool));
    m.insert("leftmempool".into(), hundredths(b.left_mempool));
    Value::Object(m)
}

fn estimate_raw_fee(n: &NodeContext, req: &Request) -> RpcResult {
    let est = lock(&n.fee_estimator);
    if !est.is_enabled() {
        return Err(disabled());
    }
    let conf_target = parse_confirm_target(req.param(0), est.maximum_target())?;
    let threshold = req.arg_f64(1)?;
    if !(0.0..=1.0).contains(&threshold) {
        return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid threshold"));
    }
    let mut out = Map::new();
    for horizon in ALL_FEE_ESTIMATE_HORIZONS {
        // Only the horizons that track the target answer.
        if conf_target > est.block_policy_highest_target(horizon) {
            continue;
        }
        let (rate, buckets) = est.block_policy_raw_estimate(conf_target, threshold, horizon);
        let mut h = Map::new();
        if rate != 0 {
            h.insert("feerate".into(), rpc::amount_value(rate));
            h.insert("decay".into(), rpc::double_value(buckets.decay));
            h.insert("scale".into(), json!(buckets.scale));
            h.insert("pass".into(), bucket_json(&buckets.pass));
            // A start of -1 means every range passed: there is no failing one to show.
            if buckets.fail.start != -1.0 {
                h.insert("fail".into(), bucket_json(&buckets.fail));
            }
        } else {
            h.insert("decay".into(), rpc::double_value(buckets.decay));
            h.insert("scale".into(), json!(buckets.scale));
            h.insert("fail".into(), bucket_json(&buckets.fail));
            h.insert(
                "errors".into(),
                json!(["Insufficient data or no feerate found which meets threshold"]),
            );
        }
        out.insert(horizon.as_str().into(), Value::Object(h));
    }
    Ok(Value::Object(out))
}

fn r(ty: ResultType, key: &'static str, description: &'static str) -> ResultDoc {
    ResultDoc::new(ty, key, description)
}

/// Core's `ElideGroup`: the help shows the first field as `...` and hides the rest.
fn elide(mut fields: Vec<ResultDoc>) -> Vec<ResultDoc> {
    for (i, f) in fields.iter_mut().enumerate() {
        f.elision = if i == 0 {
            Elision::Text("")
        } else {
            Elision::Skip
        };
    }
    fields
}

fn smart_fee_result() -> ResultDoc {
    use ResultType::{Arr, Num, Obj, Str};
    r(Obj, "", "").with_inner(vec![
        r(Num, "feerate", "the estimated fee rate in BTC/kvB (only without errors)").optional(),
        r(Str, "estimator", "the estimator whose estimate was used (only for a successful estimate with fee_rate_estimator \"none\")").optional(),
        r(Arr, "errors", "what prevented an estimate (only if something did)")
            .optional()
            .with_inner(vec![r(Str, "", "error")]),
        r(Num, "blocks", "the target in blocks the estimate is for. The block policy estimator answers for at least 2\nblocks and at most as far as its history allows; the mempool estimator always answers for 2."),
        r(Arr, "mempool_health_statistics", "the recent blocks the mempool estimator judges the mempool by, newest first (only with verbosity 2 or more)")
            .optional()
            .with_inner(vec![r(Obj, "", "").with_inner(vec![
                r(Num, "block_height", "the block's height"),
                r(Num, "block_weight", "weight of the block's transactions without the coinbase"),
                r(Num, "mempool_txs_weight", "weight of those that came out of the mempool"),
            ])]),
    ])
}

fn bucket_doc(elided: bool) -> Vec<ResultDoc> {
    use ResultType::Num;
    let fields = vec![
        r(Num, "startrange", "lowest fee rate of the range"),
        r(Num, "endrange", "highest fee rate of the range"),
        r(Num, "withintarget", "transactions in the range over the history that confirmed within the target"),
        r(Num, "totalconfirmed", "transactions in the range over the history that confirmed at all"),
        r(Num, "inmempool", "transactions in the range now in the mempool and unconfirmed for at least the target"),
        r(Num, "leftmempool", "transactions in the range over the history that left the mempool unconfirmed after the target"),
    ];
    if elided {
        elide(fields)
    } else {
        fields
    }
}

fn horizon_doc(elided: bool) -> Vec<ResultDoc> {
    use ResultType::{Arr, Num, Obj, Str};
    let fields = vec![
        r(Num, "feerate", "the estimated fee rate in BTC/kvB").optional(),
        r(
            Num,
            "decay",
            "how much the history's weight decays per block",
        ),
        r(
            Num,
            "scale",
            "the resolution of this horizon's targets, in blocks",
        ),
        r(
            Obj,
            "pass",
            "the lowest range of fee rates that met the threshold",
        )
        .optional()
        .with_inner(bucket_doc(false)),
        r(
            Obj,
            "fail",
            "the highest range of fee rates that did not meet the threshold",
        )
        .optional()
        .with_inner(bucket_doc(true)),
        r(
            Arr,
            "errors",
            "what prevented an estimate (only if something did)",
        )
        .optional()
        .with_inner(vec![r(Str, "error", "")]),
    ];
    if elided {
        elide(fields)
    } else {
        fields
    }
}

fn raw_fee_result() -> ResultDoc {
    use ResultType::Obj;
    r(
        Obj,
        "",
        "Each horizon that tracks targets up to conf_target answers",
    )
    .with_inner(vec![
        r(Obj, "short", "the estimate of the short horizon")
            .optional()
            .with_inner(horizon_doc(false)),
        r(Obj, "medium", "the estimate of the medium horizon")
            .optional()
            .with_inner(horizon_doc(true)),
        r(Obj, "long", "the estimate of the long horizon")
            .optional()
            .with_inner(horizon_doc(true)),
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn confirm_targets() {
        assert_eq!(parse_confirm_target(Some(&json!(6)), 1008), Ok(6));
        let e = parse_confirm_target(Some(&json!(0)), 1008).unwrap_err();
        assert_eq!(e.code, RPC_INVALID_PARAMETER);
        assert_eq!(e.message, "Invalid conf_target, must be between 1 and 1008");
        assert!(parse_confirm_target(Some(&json!(1009)), 1008).is_err());
        assert!(parse_confirm_target(Some(&json!(-1)), 1008).is_err());
        assert_eq!(
            parse_confirm_target(Some(&json!(1.5)), 1008)
                .unwrap_err()
                .message,
            "JSON integer out of range"
        );
    }

    #[test]
    fn option_checks() {
        let ok: Map<String, Value> = serde_json::from_value(
            json!({"fee_rate_estimator": "block_policy", "verbosity": null}),
        )
        .unwrap();
        assert_eq!(check_options(&ok), Ok(()));
        let bad: Map<String, Value> = serde_json::from_value(json!({"verbosity": true})).unwrap();
        assert_eq!(
            check_options(&bad).unwrap_err().message,
            "JSON value of type bool for field verbosity is not of expected type number"
        );
        let extra: Map<String, Value> = serde_json::from_value(json!({"foo": 1})).unwrap();
        assert_eq!(
            check_options(&extra).unwrap_err().message,
            "Unexpected key foo"
        );
    }

    #[test]
    fn raw_buckets_round_to_hundredths() {
        let b = fees::EstimatorBucket {
            start: 1234.4,
            end: 1e99,
            within_target: 12.3456,
            total_confirmed: 2.006,
            in_mempool: 0.0,
            left_mempool: 7.0,
        };
        let v = bucket_json(&b);
        assert_eq!(
            rpc::json::write(&v),
            r#"{"startrange":1234,"endrange":1e+99,"withintarget":12.35,"totalconfirmed":2.01,"inmempool":0,"leftmempool":7}"#
        );
    }
}
