//! The mempool's options from the command line, with Core's errors
//! (`ApplyArgsManOptions` for the mempool, and its checks in `AppInitParameterInteraction`).

use common::ArgsManager;
use mempool::{parse_money, MempoolOptions};

use crate::StartupError;

fn amount(args: &ArgsManager, name: &str, default: i64) -> Result<i64, StartupError> {
    match args.get_arg(&format!("-{name}")) {
        None => Ok(default),
        Some(v) => parse_money(&v).ok_or_else(|| {
            StartupError(format!("Error: Invalid amount for -{name}=<amount>: '{v}'"))
        }),
    }
}

/// The mempool's options.
pub fn mempool_options(args: &ArgsManager) -> Result<MempoolOptions, StartupError> {
    let mut o = MempoolOptions::default();
    o.max_size_bytes = args
        .get_int_arg("-maxmempool", mempool::DEFAULT_MAX_MEMPOOL_SIZE_MB)
        .saturating_mul(1_000_000);
    o.min_relay_feerate = amount(args, "minrelaytxfee", o.min_relay_feerate)?;
    o.incremental_relay_feerate = amount(args, "incrementalrelayfee", o.incremental_relay_feerate)?;
    o.permit_bare_multisig = args.get_bool_arg("-permitbaremultisig", true);
    o.max_datacarrier_bytes = if args.get_bool_arg("-datacarrier", true) {
        Some(args.get_int_arg("-datacarriersize", mempool::MAX_OP_RETURN_RELAY))
    } else {
        None
    };
    o.cluster_count = args.get_int_arg("-limitclustercount", o.cluster_count);
    o.cluster_size_vbytes = args
        .get_int_arg("-limitclustersize", mempool::DEFAULT_CLUSTER_SIZE_LIMIT_KVB)
        .saturating_mul(1_000);
    let min_bytes = o.cluster_size_vbytes.saturating_mul(40);
    if o.max_size_bytes < 0 || o.max_size_bytes < min_bytes {
        let mb = (min_bytes as f64 / 1_000_000.0).ceil() as i64;
        return Err(StartupError(format!(
            "Error: -maxmempool must be at least {mb} MB"
        )));
    }
    Ok(o)
}
