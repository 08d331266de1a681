//! Starting the chainstate from the command line: chain parameters, `-dbcache`, `-par`,
//! `-assumevalid`, `-blocksxor`, `-reindex` and `-reindex-chainstate`, as Core reads them.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use chain::{ChainParams, ChainState, ChainStateOptions};
use common::{ArgsManager, ChainType};
use kvstore::RedbStore;

use crate::StartupError;

/// Smallest `-dbcache` (`MIN_DBCACHE_BYTES`).
const MIN_DBCACHE_BYTES: u64 = 4 << 20;
/// Most script verification worker threads (`MAX_SCRIPTCHECK_THREADS`).
const MAX_SCRIPTCHECK_THREADS: i64 = 15;

/// The chain parameters for `chain` with `-signetchallenge` and `-testactivationheight`.
pub fn chain_params(chain: ChainType, args: &ArgsManager) -> Result<ChainParams, StartupError> {
    let err = |e: chain::params::ParamsError| StartupError(format!("Error: {e}"));
    let mut params = match chain {
        ChainType::Main => ChainParams::main(),
        ChainType::Testnet => ChainParams::testnet(),
        ChainType::Testnet4 => ChainParams::testnet4(),
        ChainType::Signet => {
            ChainParams::signet_from_args(&args.get_args("-signetchallenge")).map_err(err)?
        }
        ChainType::Regtest => ChainParams::regtest(),
    };
    params
        .apply_test_activation_heights(&args.get_args("-testactivationheight"))
        .map_err(err)?;
    params
        .apply_vbparams(&args.get_args("-vbparams"))
        .map_err(err)?;
    // Deployment parameters are for test networks only.
    if chain == ChainType::Main {
        for name in ["testactivationheight", "vbparams"] {
            if args.is_arg_set(name) {
                return Err(StartupError(format!(
                    "Error: The -{name} option may not be used on mainnet."
                )));
            }
        }
    }
    // `-minimumchainwork`: the work a chain needs before we leave initial download or
    // store low-work headers (Core's `ChainstateManager::Options::minimum_chain_work`).
    if let Some(v) = args.get_arg("-minimumchainwork") {
        params.minimum_chain_work = parse_user_hash(&v).ok_or_else(|| {
            StartupError(format!(
                "Error: Invalid minimum work specified ({v}), must be up to 64 hex digits"
            ))
        })?;
    }
    Ok(params)
}

/// `uint256::FromUserHex`: optional `0x`, up to 64 hex digits, as a number.
fn parse_user_hash(s: &str) -> Option<[u8; 32]> {
    let hex = s.strip_prefix("0x").unwrap_or(s);
    if hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{hex:0>64}");
    let mut be = [0u8; 32];
    for (i, b) in be.iter_mut().enumerate() {
        *b = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(be)
}

fn total_ram() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// Cache, threads and `-assumevalid` from the arguments.
pub fn options(
    params: &ChainParams,
    args: &ArgsManager,
) -> Result<ChainStateOptions, StartupError> {
    // Core's default: 1 GiB on 64-bit machines with 4 GiB of RAM or more, else 450 MiB.
    let default_cache = if total_ram().unwrap_or(0) >= 4 << 30 {
        1 << 30
    } else {
        450 << 20
    };
    let cache_bytes = match args.get_arg("-dbcache") {
        Some(v) => {
            let mib = v.trim().parse::<i64>().unwrap_or(0).max(0) as u64;
            mib.saturating_mul(1 << 20).max(MIN_DBCACHE_BYTES)
        }
        None => default_cache,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
    let mut par = args
        .get_arg("-par")
        .map_or(0, |v| v.trim().parse::<i64>().unwrap_or(0));
    if par <= 0 {
        par += cores;
    }
    // The validating thread counts as one of them.
    let script_threads = par.clamp(1, MAX_SCRIPTCHECK_THREADS + 1) as usize;
    let assume_valid = match args.get_arg("-assumevalid") {
        None => params.default_assume_valid,
        Some(v) => {
            let be = parse_user_hash(&v).ok_or_else(|| {
                StartupError(format!(
                    "Error: Invalid assumevalid block hash specified ({v}), must be up to 64 hex digits (or 0 to disable)"
                ))
            })?;
            if be == [0; 32] {
                None
            } else {
                let mut le = be;
                le.reverse();
                Some(BlockHash::from_byte_array(le))
            }
        }
    };
    Ok(ChainStateOptions {
        cache_bytes: usize::try_from(cache_bytes).unwrap_or(usize::MAX),
        script_threads,
        blocks_xor: args.get_bool_arg("-blocksxor", true),
        assume_valid,
    })
}

/// Opens the chainstate under `net_dir`, wiping what `-reindex` or `-reindex-chainstate`
/// asks to be rebuilt. Block files live in `blocks` (`-blocksdir`); the block index stays
/// under the network datadir, as in Core.
pub fn open(
    net_dir: &Path,
    blocks: &Path,
    params: ChainParams,
    options: ChainStateOptions,
    args: &ArgsManager,
    log: chain::chainstate::LogSink,
) -> Result<ChainState, StartupError> {
    let io = |e: std::io::Error| StartupError(format!("Error: {e}"));
    let index_dir = net_dir.join("blocks").join("index");
    let coins_dir = net_dir.join("chainstate");
    let remove = |dir: &Path| match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
        _ => Ok(()),
    };
    if args.get_bool_arg("-reindex", false) {
        remove(&index_dir)?;
        remove(&coins_dir)?;
    } else if args.get_bool_arg("-reindex-chainstate", false) {
        remove(&coins_dir)?;
    }
    let store_err =
        |e: kvstore::KvError| StartupError(format!("Error opening block database: {e}"));
    let index = RedbStore::open(&index_dir).map_err(store_err)?;
    let coins = RedbStore::open(&coins_dir).map_err(store_err)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    ChainState::open_with_log(
        params,
        options,
        blocks,
        Box::new(index),
        Box::new(coins),
        now,
        log,
    )
    .map_err(|e| StartupError(format!("Error: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> ArgsManager {
        let mut a = ArgsManager::empty();
        crate::options::register(&a, crate::options::Binary::Bitcoind);
        a.parse_parameters(list.iter().map(|s| s.to_string()))
            .unwrap();
        a
    }

    #[test]
    fn options_as_core_reads_them() {
        let p = ChainParams::regtest();
        let o = options(&p, &args(&["-dbcache=1", "-par=1", "-assumevalid=0"])).unwrap();
        assert_eq!(o.cache_bytes, 4 << 20);
        assert_eq!(o.script_threads, 1);
        assert_eq!(o.assume_valid, None);
        let o = options(
            &p,
            &args(&[
                "-dbcache=100",
                "-assumevalid=0x0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
            ]),
        )
        .unwrap();
        assert_eq!(o.cache_bytes, 100 << 20);
        assert_eq!(o.assume_valid, Some(p.genesis.block_hash()));
        let e = options(&p, &args(&["-assumevalid=xyz"])).unwrap_err();
        assert_eq!(e.0, "Error: Invalid assumevalid block hash specified (xyz), must be up to 64 hex digits (or 0 to disable)");
        let main = ChainParams::main();
        assert_eq!(
            options(&main, &args(&[])).unwrap().assume_valid,
            main.default_assume_valid
        );
        assert!(options(&main, &args(&["-blocksxor=0"]))
            .map(|o| !o.blocks_xor)
            .unwrap());
    }
}
