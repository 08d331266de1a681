//! Descriptors and backups (Core's `wallet/rpc/backup.cpp`): `importdescriptors`,
//! `listdescriptors`, `backupwallet` and `restorewallet`.

use std::path::Path;
use std::sync::Arc;

use rpc::codes::{RPC_MISC_ERROR, RPC_WALLET_ERROR};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::descimport::{import_timestamp, process_descriptor_import};
use super::util::{ensure_unlocked, load_error, push_warnings, wallet_error, wallet_for};
use crate::context::{DatabaseStatus, LoadError, WalletContext};
use crate::scan::{scan_for_wallet_transactions, RescanReserver, ScanStatus};
use crate::state::{flags, TIMESTAMP_WINDOW};
use crate::wallet::Wallet;

const TIMESTAMP_HELP: &str = "When to start rescanning the chain for this descriptor, in seconds since 1970-01-01 UTC.\n\"now\" uses the time of the wallet's last block and skips the rescan, for outputs known never to have been used; 0 scans the whole chain.\nBlocks from 2 hours before the earliest timestamp of the request are scanned, and the mempool.";

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    let request = Arg::omitted("", ArgType::Obj, "").with_inner(vec![
        Arg::required("desc", ArgType::Str, "The descriptor to import."),
        Arg::optional("active", ArgType::Bool, json!(false), "Make it the descriptor that hands out new addresses of its output type (change ones when internal)."),
        Arg::omitted("range", ArgType::Range, "For a ranged descriptor, the end or [begin,end] of the range to import."),
        Arg::omitted("next_index", ArgType::Num, "For a ranged descriptor, the next index to hand out."),
        Arg::required("timestamp", ArgType::Num, TIMESTAMP_HELP).type_str("timestamp | \"now\"", "integer / string"),
        Arg::optional("internal", ArgType::Bool, json!(false), "Treat what pays to it as change rather than as incoming payments."),
        Arg::optional("label", ArgType::Str, json!(""), "A label for the address; not for internal or ranged descriptors."),
    ]);
    table.register(command(
        "importdescriptors",
        "Imports descriptors, then rescans the chain from the earliest of their timestamps. Back up the wallet again afterwards.\nA multipath descriptor with exactly two alternatives imports the second as an internal (change) descriptor.\nA rescan from an early timestamp can take long; meanwhile other commands may show the imported scripts without their transactions.\n",
        vec![Arg::required("requests", ArgType::Arr, "The descriptors to import.")
            .with_inner(vec![request])
            .oneline("requests")],
        "[                              (json array) one result per request, in order\n  {                            (json object)\n    \"success\" : true|false,     (boolean)\n    \"warnings\" : [              (json array, optional)\n      \"str\",                   (string)\n      ...\n    ],\n    \"error\" : {                 (json object, optional)\n      \"code\" : n,               (numeric) JSONRPC error code\n      \"message\" : \"str\"         (string) JSONRPC error message\n    }\n  },\n  ...\n]",
        move |req| import_descriptors(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listdescriptors",
        "Lists the wallet's descriptors.\n",
        vec![Arg::optional("private", ArgType::Bool, json!(false), "Show them with their private keys.")],
        "{                                 (json object)\n  \"wallet_name\" : \"str\",          (string) The wallet's name\n  \"descriptors\" : [                (json array) sorted by descriptor text\n    {                             (json object)\n      \"desc\" : \"str\",             (string) The descriptor\n      \"timestamp\" : n,            (numeric) When it was created\n      \"active\" : true|false,      (boolean) Whether it hands out new addresses\n      \"internal\" : true|false,    (boolean, optional) Whether those are change addresses; only for active descriptors\n      \"range\" : [                 (json array, optional) Only for ranged descriptors\n        n,                        (numeric) First index\n        n                         (numeric) Last index\n      ],\n      \"next\" : n,                 (numeric, optional) Same as next_index, kept for compatibility\n      \"next_index\" : n            (numeric, optional) Next index to hand out; only for ranged descriptors\n    },\n    ...\n  ]\n}",
        move |req| list_descriptors(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "backupwallet",
        "Copies the wallet file, consistently, to a directory or file path.\n",
        vec![Arg::required(
            "destination",
            ArgType::Str,
            "The directory or file to copy to.",
        )],
        "null    (json null)",
        move |req| backup_wallet(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "restorewallet",
        "Makes a wallet from a backup file and loads it.\nRescans are much faster with block filters (-blockfilterindex=1).\n",
        vec![
            Arg::required("wallet_name", ArgType::Str, "The name of the restored wallet."),
            Arg::required("backup_file", ArgType::Str, "The backup file to restore from."),
            Arg::omitted("load_on_startup", ArgType::Bool, "Save the wallet name to the settings file so that it loads at start-up: true adds it, false removes it, null leaves the setting alone."),
        ],
        "{                       (json object)\n  \"name\" : \"str\",        (string) The restored wallet's name\n  \"warnings\" : [          (json array, optional) Warnings from restoring and loading the wallet\n    \"str\",               (string)\n    ...\n  ]\n}",
        move |req| restore_wallet(&c, req),
    ));
}

fn import_descriptors(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let Some(reserver) = RescanReserver::reserve_with_passphrase(&wallet) else {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Wallet is currently rescanning. Abort existing rescan or wait.",
        ));
    };
    wallet.block_until_synced();
    // The keys must stay unlocked until the import and its rescan are done.
    let _relock = wallet
        .relock_mutex
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let requests = req.arg_value(0)?.as_array().cloned().unwrap_or_default();
    let network = cx.network();
    let (results, lowest, now, rescan) = wallet
        .with(|st, _| {
            if let Err(e) = ensure_unlocked(st) {
                return Ok(Err(e));
            }
            let last = st.last_block.map(|(h, _)| h);
            let found = match last {
                Some(h) => wallet.chain.find_block(h, false)?,
                None => None,
            };
            let (mut lowest, now) = found.map(|b| (b.time, b.mtp)).unwrap_or((0, 0));
            let mut results = Vec::new();
            let mut rescan = false;
            for request in &requests {
                let timestamp = match import_timestamp(request, now) {
                    Ok(t) => t.max(1),
                    Err(e) => return Ok(Err(e)),
                };
                let result = match process_descriptor_import(st, request, timestamp, network) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                };
                lowest = lowest.min(timestamp);
                rescan |= result.get("success") == Some(&Value::Bool(true));
                results.push(result);
            }
            st.refresh_all_txos();
            Ok(Ok((results, lowest, now, rescan)))
        })
        .map_err(wallet_error)??;
    if !rescan {
        return Ok(Value::Array(results));
    }
    let scanned_time = rescan_from_time(&wallet, lowest, &reserver).map_err(wallet_error)?;
    if wallet.scan.abort.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(RpcError::new(RPC_MISC_ERROR, "Rescan aborted by user."));
    }
    if scanned_time <= lowest {
        return Ok(Value::Array(results));
    }
    let pruned = wallet.chain.have_pruned().unwrap_or(false);
    let assumed_valid = wallet.chain.has_assumed_valid_chain().unwrap_or(false);
    let mut out = Vec::with_capacity(results.len());
    for (request, result) in requests.iter().zip(results) {
        let timestamp = import_timestamp(request, now)?;
        if scanned_time <= timestamp || result.get("error").is_some() {
            out.push(result);
            continue;
        }
        let mut msg = format!(
            "Rescan failed for descriptor with timestamp {timestamp}. There was an error reading a block from time {}, which is after or within {TIMESTAMP_WINDOW} seconds of key creation, and could contain transactions pertaining to the desc. As a result, transactions and coins using this desc may not appear in the wallet.",
            scanned_time - TIMESTAMP_WINDOW - 1
        );
        if pruned {
            msg.push_str(" This error could be caused by pruning or data corruption (see bitcoind log for details) and could be dealt with by downloading and rescanning the relevant blocks (see -reindex option and rescanblockchain RPC).");
        } else if assumed_valid {
            msg.push_str(" This error is likely caused by an in-progress assumeutxo background sync. Check logs or getchainstates RPC for assumeutxo background sync progress and try again later.");
        } else {
            msg.push_str(" This error could potentially caused by data corruption. If the issue persists you may want to reindex (see -reindex option).");
        }
        out.push(json!({
            "success": false,
            "error": RpcError::new(RPC_MISC_ERROR, msg).to_json(),
        }));
    }
    Ok(Value::Array(out))
}

/// `RescanFromTime`: scans from the first block within two hours before `start_time`;
/// returns the earliest time known to be scanned (later than `start_time` when a block
/// could not be read).
pub fn rescan_from_time(
    wallet: &Arc<Wallet>,
    start_time: i64,
    _reserver: &RescanReserver<'_>,
) -> Result<i64, crate::WalletError> {
    let start = wallet.chain.find_first_block_with_time_and_height(
        start_time - TIMESTAMP_WINDOW,
        0,
        false,
    )?;
    let blocks = start
        .as_ref()
        .map(|b| wallet.state().last_block_height() - b.height + 1)
        .unwrap_or(0);
    wallet
        .state()
        .log(&format!("RescanFromTime: Rescanning last {blocks} blocks"));
    if let Some(b) = start {
        let result = scan_for_wallet_transactions(wallet, b.hash, b.height, None, false)?;
        if result.status == ScanStatus::Failure {
            let failed = result
                .last_failed
                .and_then(|h| wallet.chain.find_block(h, false).ok().flatten());
            if let Some(f) = failed {
                return Ok(f.max_time + TIMESTAMP_WINDOW + 1);
            }
        }
    }
    Ok(start_time)
}

fn list_descriptors(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let private = req.maybe_bool(0)?.unwrap_or(false);
    let st = wallet.state();
    if private && st.has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Can't get private descriptor string for watch-only wallets",
        ));
    }
    if private {
        ensure_unlocked(&st)?;
    }
    let mut listed = Vec::with_capacity(st.spkms.len());
    for spkm in st.spkms.values() {
        let desc = if private {
            spkm.private_string()
                .ok_or_else(|| RpcError::new(RPC_WALLET_ERROR, "Can't get descriptor string."))?
        } else {
            spkm.public_string()
        };
        let internal = st.is_internal_spkm(&spkm.id);
        let mut obj = Map::new();
        obj.insert("desc".into(), json!(desc));
        obj.insert("timestamp".into(), json!(spkm.wd.creation_time));
        obj.insert("active".into(), json!(internal.is_some()));
        if let Some(i) = internal {
            obj.insert("internal".into(), json!(i));
        }
        if spkm.is_range() {
            obj.insert(
                "range".into(),
                json!([spkm.wd.range_start, spkm.wd.range_end - 1]),
            );
            obj.insert("next".into(), json!(spkm.wd.next_index));
            obj.insert("next_index".into(), json!(spkm.wd.next_index));
        }
        listed.push((desc, Value::Object(obj)));
    }
    listed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(json!({
        "wallet_name": wallet.name,
        "descriptors": listed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    }))
}

fn backup_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let dest = req.arg_str(0)?;
    wallet
        .with(|st, lookup| {
            st.write_best_block(lookup);
            Ok(())
        })
        .map_err(wallet_error)?;
    wallet
        .with_store(|s| s.backup(Path::new(dest)))
        .map_err(|e| {
            wallet.state().log(&format!("Wallet backup failed: {e}"));
            RpcError::new(RPC_WALLET_ERROR, "Error: Wallet backup failed!")
        })?;
    Ok(Value::Null)
}

fn fail(status: DatabaseStatus, message: impl Into<String>) -> LoadError {
    LoadError {
        status,
        message: message.into(),
    }
}

/// Core's `RestoreWallet`: copies `backup` into the directory of a new wallet `name` and
/// loads it; whatever it created is removed again if loading fails.
pub fn restore(
    cx: &WalletContext,
    backup: &Path,
    name: &str,
    load_on_start: Option<bool>,
) -> Result<(Arc<Wallet>, Vec<String>), LoadError> {
    if name.is_empty() {
        return Err(fail(
            DatabaseStatus::NewUnnamed,
            "Wallet name cannot be empty",
        ));
    }
    let wallet_path = cx.wallet_path(name);
    let wallet_file = wallet_path.join("wallet.dat");
    if !backup.exists() {
        return Err(fail(
            DatabaseStatus::InvalidBackupFile,
            "Backup file does not exist",
        ));
    }
    let mut created_dir = false;
    if wallet_path.exists() {
        if !wallet_path.is_dir() {
            return Err(fail(
                DatabaseStatus::AlreadyExists,
                format!(
                    "Failed to restore wallet. Database file exists '{}'.",
                    wallet_path.display()
                ),
            ));
        }
        if wallet_file.exists() {
            return Err(fail(
                DatabaseStatus::AlreadyExists,
                format!(
                    "Failed to restore wallet. Database file exists in '{}'.",
                    wallet_file.display()
                ),
            ));
        }
    } else {
        if std::fs::create_dir_all(&wallet_path).is_err() {
            return Err(fail(
                DatabaseStatus::AlreadyExists,
                format!(
                    "Failed to restore database path '{}'.",
                    wallet_path.display()
                ),
            ));
        }
        created_dir = true;
    }
    let result = match std::fs::copy(backup, &wallet_file) {
        Ok(_) => cx.load_wallet(name, load_on_start),
        Err(e) => Err(fail(
            DatabaseStatus::Load,
            format!("Unexpected exception: {e}"),
        )),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(&wallet_file);
        if created_dir {
            let _ = std::fs::remove_dir(&wallet_path);
        }
    }
    result
}

fn restore_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let backup = req.arg_str(1)?;
    let name = req.arg_str(0)?;
    let load_on_start = req.maybe_bool(2)?;
    let (wallet, warnings) =
        restore(cx, Path::new(backup), name, load_on_start).map_err(load_error)?;
    let mut obj = Map::new();
    obj.insert("name".into(), Value::String(wallet.name.clone()));
    push_warnings(warnings, &mut obj);
    Ok(Value::Object(obj))
}
