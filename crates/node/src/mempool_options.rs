//! The mempool's options from the command line, with Core's errors
//! (`ApplyArgsManOptions` for the mempool, and its checks in `AppInitParameterInteraction`).

use common::{ArgsManager, ChainType};
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

/// Most transactions `-limitclustercount` may allow (`MAX_CLUSTER_COUNT_LIMIT`).
const MAX_CLUSTER_COUNT_LIMIT: i64 = 64;

/// The mempool's options.
pub fn mempool_options(
    args: &ArgsManager,
    chain: ChainType,
) -> Result<MempoolOptions, StartupError> {
    let mut o = MempoolOptions::default();
    o.max_size_bytes = args
        .get_int_arg("-maxmempool", mempool::DEFAULT_MAX_MEMPOOL_SIZE_MB)
        .saturating_mul(1_000_000);
    o.expiry_seconds = args
        .get_int_arg("-mempoolexpiry", mempool::DEFAULT_MEMPOOL_EXPIRY_HOURS)
        .saturating_mul(3600);
    o.incremental_relay_feerate = amount(args, "incrementalrelayfee", o.incremental_relay_feerate)?;
    if args.get_arg("-minrelaytxfee").is_some() {
        o.min_relay_feerate = amount(args, "minrelaytxfee", o.min_relay_feerate)?;
    } else if o.incremental_relay_feerate > o.min_relay_feerate {
        o.min_relay_feerate = o.incremental_relay_feerate;
        common::log_info!(
            "Increasing minrelaytxfee to {} to match incrementalrelayfee",
            mempool::FeeRate::per_kvb(o.min_relay_feerate)
        );
    }
    o.dust_relay_feerate = amount(args, "dustrelayfee", o.dust_relay_feerate)?;
    o.bytes_per_sigop = args.get_int_arg("-bytespersigop", o.bytes_per_sigop);
    // Regtest checks on every chain update by default, as Core's DefaultConsistencyChecks.
    let default_check = i64::from(chain == ChainType::Regtest);
    o.check_ratio = args
        .get_int_arg("-checkmempool", default_check)
        .clamp(0, 1_000_000);
    o.require_standard = !args.get_bool_arg("-acceptnonstdtxn", false);
    if chain == ChainType::Main && !o.require_standard {
        return Err(StartupError(format!(
            "Error: acceptnonstdtxn is not currently supported for {} chain",
            chain.name()
        )));
    }
    o.permit_bare_multisig = args.get_bool_arg("-permitbaremultisig", true);
    o.max_datacarrier_bytes = if args.get_bool_arg("-datacarrier", true) {
        Some(args.get_int_arg("-datacarriersize", mempool::MAX_OP_RETURN_RELAY))
    } else {
        None
    };
    o.cluster_count = args.get_int_arg("-limitclustercount", o.cluster_count);
    if o.cluster_count > MAX_CLUSTER_COUNT_LIMIT {
        return Err(StartupError(format!(
            "Error: limitclustercount must be less than or equal to {MAX_CLUSTER_COUNT_LIMIT}"
        )));
    }
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

/// Block-building options (`ApplyArgsManOptions` for `BlockAssembler::Options`).
pub fn assembler_options(
    args: &ArgsManager,
) -> Result<mempool::mining::AssemblerOptions, StartupError> {
    let mut o = mempool::mining::AssemblerOptions::default();
    o.max_weight = args.get_int_arg("-blockmaxweight", o.max_weight);
    o.reserved_weight = args.get_int_arg("-blockreservedweight", o.reserved_weight);
    o.min_feerate = amount(args, "blockmintxfee", o.min_feerate)?;
    o.print_modified_fee = args.get_bool_arg("-printpriority", false);
    Ok(o)
}
