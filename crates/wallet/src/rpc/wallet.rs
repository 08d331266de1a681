//! Commands that create, load, unload and describe wallets (Core's `wallet/rpc/wallet.cpp`).

use std::sync::Arc;
use std::time::Duration;

use rpc::codes::{
    RPC_INVALID_PARAMETER, RPC_MISC_ERROR, RPC_WALLET_ALREADY_LOADED, RPC_WALLET_ERROR,
    RPC_WALLET_NOT_FOUND,
};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::util::{load_error, push_warnings, wallet_for, wallet_name_from_request};
use crate::context::WalletContext;
use crate::load::{CreateOptions, KNOWN_FLAGS};
use crate::state::flags;
use crate::wallet::Wallet;

const LOAD_ON_STARTUP_HELP: &str = "Save the wallet name to the settings file so that it loads at start-up: true adds it, false removes it, null leaves the setting alone.";

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "createwallet",
        "Creates a wallet and loads it.\n",
        vec![
            Arg::required("wallet_name", ArgType::Str, "Name of the new wallet; a path creates it at that location."),
            Arg::optional("disable_private_keys", ArgType::Bool, json!(false), "Make a wallet without private keys (watch-only)."),
            Arg::optional("blank", ArgType::Bool, json!(false), "Make a wallet without keys or descriptors."),
            Arg::omitted("passphrase", ArgType::Str, "Encrypt the wallet with this passphrase."),
            Arg::optional("avoid_reuse", ArgType::Bool, json!(false), "Track addresses already spent from and keep their coins apart, for privacy."),
            Arg::optional("descriptors", ArgType::Bool, json!(true), "Must be \"true\""),
            Arg::omitted("load_on_startup", ArgType::Bool, LOAD_ON_STARTUP_HELP),
            Arg::optional("external_signer", ArgType::Bool, json!(false), "Keep keys on an external signer such as a hardware wallet (needs -signer, and disable_private_keys)."),
        ],
        "{                       (json object)\n  \"name\" : \"str\",        (string) The wallet's name; the full path when it was created from one\n  \"warnings\" : [          (json array, optional) Warnings from creating and loading the wallet\n    \"str\",               (string)\n    ...\n  ]\n}",
        move |req| create_wallet(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "loadwallet",
        "Loads a wallet from its file or directory.\nWallets are loaded from the -walletdir directory (by default the network's data directory or its wallets subdirectory).\n",
        vec![
            Arg::required("filename", ArgType::Str, "The wallet's directory or file."),
            Arg::omitted("load_on_startup", ArgType::Bool, LOAD_ON_STARTUP_HELP),
        ],
        "{                       (json object)\n  \"name\" : \"str\",        (string) The wallet's name\n  \"warnings\" : [          (json array, optional) Warnings from loading the wallet\n    \"str\",               (string)\n    ...\n  ]\n}",
        move |req| load_wallet(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "unloadwallet",
        "Unloads the wallet named by the request's endpoint or by wallet_name.\nIf both are given they must name the same wallet.",
        vec![
            Arg::hint("wallet_name", ArgType::Str, "the wallet name from the RPC endpoint", "The wallet to unload; must equal the endpoint's wallet when both are given."),
            Arg::omitted("load_on_startup", ArgType::Bool, LOAD_ON_STARTUP_HELP),
        ],
        "{                       (json object)\n  \"warnings\" : [          (json array, optional) Warnings from unloading the wallet\n    \"str\",               (string)\n    ...\n  ]\n}",
        move |req| unload_wallet(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "listwallets",
        "Lists the loaded wallets.\nUse listwalletdir for the wallets that could be loaded.\n",
        vec![],
        "[           (json array)\n  \"str\",     (string) a wallet name\n  ...\n]",
        move |_| {
            Ok(Value::Array(
                c.wallets()
                    .iter()
                    .map(|w| Value::String(w.name.clone()))
                    .collect(),
            ))
        },
    ));
    let c = cx.clone();
    table.register(command(
        "listwalletdir",
        "Lists the wallets in the wallet directory.\n",
        vec![],
        "{                        (json object)\n  \"wallets\" : [           (json array)\n    {                    (json object)\n      \"name\" : \"str\",     (string) The wallet name\n      \"warnings\" : [      (json array, optional) Warnings about the wallet\n        \"str\",           (string)\n        ...\n      ]\n    },\n    ...\n  ]\n}",
        move |_| list_wallet_dir(&c),
    ));
    let c = cx.clone();
    table.register(command(
        "getwalletinfo",
        "Returns the wallet's state.\n",
        vec![],
        "",
        move |req| get_wallet_info(&c, req),
    ));
}

fn opt_bool(req: &Request, i: usize) -> Result<Option<bool>, RpcError> {
    req.maybe_bool(i)
}

fn create_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let mut create = CreateOptions {
        disable_private_keys: opt_bool(req, 1)?.unwrap_or(false),
        blank: opt_bool(req, 2)?.unwrap_or(false),
        avoid_reuse: opt_bool(req, 4)?.unwrap_or(false),
        ..Default::default()
    };
    let mut warnings = Vec::new();
    if let Some(p) = req.maybe_str(3)? {
        if p.is_empty() {
            warnings.push(
                "Empty string given as passphrase, wallet will not be encrypted.".to_string(),
            );
        } else {
            create.passphrase = Some(p.to_string());
        }
    }
    if !req.arg_bool(5)? {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "descriptors argument must be set to \"true\"; it is no longer possible to create a legacy wallet.",
        ));
    }
    if opt_bool(req, 7)?.unwrap_or(false) {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "Compiled without external signing support (required for external signing)",
        ));
    }
    let name = req.arg_str(0)?.to_string();
    let load_on_start = opt_bool(req, 6)?;
    let (wallet, more) = cx
        .create_wallet(&name, load_on_start, &create)
        .map_err(load_error)?;
    warnings.extend(more);
    let mut obj = Map::new();
    obj.insert("name".into(), Value::String(wallet.name.clone()));
    push_warnings(warnings, &mut obj);
    Ok(Value::Object(obj))
}

fn load_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let name = req.arg_str(0)?.to_string();
    let load_on_start = opt_bool(req, 1)?;
    if cx.wallet(&name).is_some() {
        return Err(RpcError::new(
            RPC_WALLET_ALREADY_LOADED,
            format!("Wallet \"{name}\" is already loaded."),
        ));
    }
    let (wallet, warnings) = cx.load_wallet(&name, load_on_start).map_err(load_error)?;
    let mut obj = Map::new();
    obj.insert("name".into(), Value::String(wallet.name.clone()));
    push_warnings(warnings, &mut obj);
    Ok(Value::Object(obj))
}

/// `EnsureUniqueWalletName`.
fn unique_wallet_name(req: &Request, given: Option<&str>) -> Result<String, RpcError> {
    match wallet_name_from_request(req) {
        Some(endpoint) => {
            if given.is_some_and(|g| g != endpoint) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "The RPC endpoint wallet and the wallet name parameter specify different wallets",
                ));
            }
            Ok(endpoint)
        }
        None => given.map(str::to_string).ok_or_else(|| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                "Either the RPC endpoint wallet or the wallet name parameter must be provided",
            )
        }),
    }
}

fn unload_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let name = unique_wallet_name(req, req.maybe_str(0)?)?;
    let wallet = cx.wallet(&name).ok_or_else(|| {
        RpcError::new(
            RPC_WALLET_NOT_FOUND,
            "Requested wallet does not exist or is not loaded",
        )
    })?;
    let mut warnings = Vec::new();
    {
        let Some(_reserver) = crate::scan::RescanReserver::reserve(&wallet) else {
            return Err(RpcError::new(
                RPC_WALLET_ERROR,
                "Wallet is currently rescanning. Abort existing rescan or wait.",
            ));
        };
        if !cx.remove_wallet(&wallet, opt_bool(req, 1)?, &mut warnings) {
            return Err(RpcError::new(
                RPC_MISC_ERROR,
                "Requested wallet already unloaded",
            ));
        }
    }
    wait_for_delete(wallet);
    let mut obj = Map::new();
    push_warnings(warnings, &mut obj);
    Ok(Value::Object(obj))
}

/// Waits until no one else holds the wallet, so its file is closed when the command
/// returns (`WaitForDeleteWallet`).
fn wait_for_delete(wallet: Arc<Wallet>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while Arc::strong_count(&wallet) > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(wallet);
}

fn list_wallet_dir(cx: &WalletContext) -> RpcResult {
    let dir = cx.wallet_dir();
    let mut names = Vec::new();
    collect_wallets(&dir, &dir, cx.magic, 0, &mut names);
    names.sort();
    let wallets: Vec<Value> = names.into_iter().map(|n| json!({ "name": n })).collect();
    Ok(json!({ "wallets": wallets }))
}

/// `ListDatabases`: wallet directories (and top-level data files) under `dir`.
fn collect_wallets(
    root: &std::path::Path,
    dir: &std::path::Path,
    magic: [u8; 4],
    depth: usize,
    out: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        if ft.is_dir() {
            let data = path.join("wallet.dat");
            if walletdb::sqlite::is_sqlite_wallet_file(&data, magic)
                || crate::context::is_sqlite_file(&data)
                || crate::context::is_bdb_file(&data)
            {
                out.push(rel);
            } else if depth < 16 {
                collect_wallets(root, &path, magic, depth + 1, out);
            }
        } else if ft.is_file() && depth == 0 && crate::context::is_bdb_file(&path) {
            out.push(rel);
        }
    }
    if depth == 0 {
        let top = root.join("wallet.dat");
        if crate::context::is_sqlite_file(&top) || crate::context::is_bdb_file(&top) {
            out.push(String::new());
        }
    }
}

fn flag_names(wallet_flags: u64) -> Vec<Value> {
    let names = [
        (flags::AVOID_REUSE, "avoid_reuse"),
        (flags::BLANK_WALLET, "blank"),
        (flags::KEY_ORIGIN_METADATA, "key_origin_metadata"),
        (
            flags::LAST_HARDENED_XPUB_CACHED,
            "last_hardened_xpub_cached",
        ),
        (flags::DISABLE_PRIVATE_KEYS, "disable_private_keys"),
        (flags::DESCRIPTORS, "descriptor_wallet"),
        (flags::EXTERNAL_SIGNER, "external_signer"),
    ];
    (0..64u32)
        .filter(|i| wallet_flags & (1u64 << i) != 0)
        .map(|i| {
            let flag = 1u64 << i;
            match names.iter().find(|(f, _)| *f == flag) {
                Some((_, n)) if flag & KNOWN_FLAGS != 0 => Value::String((*n).into()),
                _ => Value::String(format!("unknown_flag_{i}")),
            }
        })
        .collect()
}

/// `AppendLastProcessedBlock`.
pub fn last_processed_block(wallet: &Wallet) -> Value {
    let st = wallet.state();
    match st.last_block {
        Some((hash, height)) => json!({ "hash": hash.to_string(), "height": height }),
        None => {
            json!({ "hash": "0000000000000000000000000000000000000000000000000000000000000000", "height": -1 })
        }
    }
}

fn get_wallet_info(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let mut obj = Map::new();
    {
        let st = wallet.state();
        let external: i64 = st
            .active_external
            .values()
            .filter_map(|id| st.spkms.get(id))
            .map(|s| s.keypool_size())
            .sum();
        let total: i64 = st
            .active_external
            .values()
            .chain(st.active_internal.values())
            .filter_map(|id| st.spkms.get(id))
            .map(|s| s.keypool_size())
            .sum();
        obj.insert("walletname".into(), json!(wallet.name));
        obj.insert("walletversion".into(), json!(169900));
        obj.insert("format".into(), json!("sqlite"));
        obj.insert("txcount".into(), json!(st.txs.len()));
        obj.insert("keypoolsize".into(), json!(external));
        obj.insert("keypoolsize_hd_internal".into(), json!(total - external));
        if st.is_crypted() {
            obj.insert(
                "unlocked_until".into(),
                json!(crate::wallet::load(&wallet.relock_time)),
            );
        }
        obj.insert(
            "private_keys_enabled".into(),
            json!(!st.has_flag(flags::DISABLE_PRIVATE_KEYS)),
        );
        obj.insert("avoid_reuse".into(), json!(st.has_flag(flags::AVOID_REUSE)));
        if wallet
            .scan
            .scanning
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            let started = crate::wallet::load(&wallet.scan.started_ms);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(started);
            let progress = crate::wallet::load(&wallet.scan.progress_ppm) as f64 / 1e6;
            obj.insert(
                "scanning".into(),
                json!({ "duration": now.saturating_sub(started) / 1000, "progress": rpc::double_value(progress) }),
            );
        } else {
            obj.insert("scanning".into(), json!(false));
        }
        obj.insert("descriptors".into(), json!(st.has_flag(flags::DESCRIPTORS)));
        obj.insert(
            "external_signer".into(),
            json!(st.has_flag(flags::EXTERNAL_SIGNER)),
        );
        obj.insert("blank".into(), json!(st.has_flag(flags::BLANK_WALLET)));
        if st.birth_time != i64::MAX && st.birth_time != 1 {
            obj.insert("birthtime".into(), json!(st.birth_time));
        }
        obj.insert("flags".into(), Value::Array(flag_names(st.flags)));
    }
    obj.insert("lastprocessedblock".into(), last_processed_block(&wallet));
    Ok(Value::Object(obj))
}
