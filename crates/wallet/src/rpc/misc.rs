//! Smaller wallet commands: `listaddressgroupings` (Core's `wallet/rpc/addresses.cpp`),
//! `simulaterawtransaction`, `setwalletflag` and `exportwatchonlywallet`
//! (`wallet/rpc/wallet.cpp`),
//! `importprunedfunds` and `removeprunedfunds` (`wallet/rpc/backup.cpp`).
//!
//! `walletdisplayaddress` is not registered: Core only has it when built with external
//! signer support, which this build lacks, so it answers "Method not found" as Core does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bitcoin::merkle_tree::MerkleBlock;
use bitcoin::{OutPoint, Transaction};
use rpc::codes::{
    RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
    RPC_METHOD_DEPRECATED, RPC_MISC_ERROR, RPC_WALLET_ERROR,
};
use rpc::request::{value_array, value_bool, value_str};
use rpc::{Arg, ArgType, Request, RpcError, RpcResult, Table};
use serde_json::{json, Map, Value};

use super::command;
use super::util::{amount, wallet_error, wallet_for};
use crate::context::WalletContext;
use crate::state::{flags, WalletState};
use crate::tx::TxState;
use crate::WalletError;

/// Core's `STRING_TO_WALLET_FLAG`.
const WALLET_FLAGS: [(&str, u64); 7] = [
    ("avoid_reuse", flags::AVOID_REUSE),
    ("blank", flags::BLANK_WALLET),
    ("descriptor_wallet", flags::DESCRIPTORS),
    ("disable_private_keys", flags::DISABLE_PRIVATE_KEYS),
    ("external_signer", flags::EXTERNAL_SIGNER),
    ("key_origin_metadata", flags::KEY_ORIGIN_METADATA),
    (
        "last_hardened_xpub_cached",
        flags::LAST_HARDENED_XPUB_CACHED,
    ),
];

/// Core's `MUTABLE_WALLET_FLAGS`.
const MUTABLE_WALLET_FLAGS: u64 = flags::AVOID_REUSE;

/// Core's `WALLET_FLAG_CAVEATS`: the warning for setting a flag.
fn flag_caveat(flag: u64) -> Option<&'static str> {
    (flag == flags::AVOID_REUSE).then_some(
        "You need to rescan the blockchain in order to correctly mark used destinations in the past. Until this is done, some destinations may be considered unused, even if the opposite is the case.",
    )
}

/// Registers the commands.
pub fn register(table: &Arc<Table>, cx: &Arc<WalletContext>) {
    let c = cx.clone();
    table.register(command(
        "listaddressgroupings",
        "Lists the groups of addresses whose common ownership past transactions have shown,\nby spending from them together or by sending change to them.\n",
        vec![],
        "[                    (json array)\n  [                  (json array) one group\n    [                (json array)\n      \"str\",         (string) the address\n      n,             (numeric) its balance in BTC\n      \"str\"          (string, optional) its label\n    ],\n    ...\n  ],\n  ...\n]",
        move |req| list_address_groupings(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "simulaterawtransaction",
        "Works out how the wallet's balance would change if the given transactions were signed and broadcast.\n",
        vec![
            Arg::omitted("rawtxs", ArgType::Arr, "The raw transactions, in hex, applied in order.\n")
                .with_inner(vec![Arg::omitted("rawtx", ArgType::StrHex, "")]),
            Arg::omitted("options", ArgType::ObjNamedParams, "")
                .with_inner(vec![Arg::optional("include_watchonly", ArgType::Bool, json!(false), "(DEPRECATED) No longer used")])
                .oneline("options"),
        ],
        "{                        (json object)\n  \"balance_change\" : n    (numeric) the change of the balance (negative for a decrease)\n}",
        move |req| simulate_raw_transaction(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "setwalletflag",
        "Sets or clears a wallet flag.\n",
        vec![
            Arg::required("flag", ArgType::Str, "The flag; only avoid_reuse can change."),
            Arg::optional("value", ArgType::Bool, json!(true), "Its new state."),
        ],
        "{                          (json object)\n  \"flag_name\" : \"str\",     (string) the flag changed\n  \"flag_state\" : true|false, (boolean) its new state\n  \"warnings\" : \"str\"       (string, optional) what to mind after the change\n}",
        move |req| set_wallet_flag(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "exportwatchonlywallet",
        "Writes a watch-only copy of the wallet to a new wallet file: its public descriptors, transactions, address book and stored coin locks.\nDescriptors derived with hardened steps from the wallet's private keys only carry the addresses derived so far; others carry on deriving.\nThe file can be loaded elsewhere with 'restorewallet'.\n",
        vec![Arg::required("destination", ArgType::Str, "The path of the file to write; it must not exist yet")],
        "{                          (json object)\n  \"exported_file\" : \"str\"   (string) the path written to\n}",
        move |req| export_watch_only_wallet(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "importprunedfunds",
        "Adds a confirmed transaction paying the wallet, proven by a merkle proof, without a rescan (for pruned nodes).\nThe wallet must already know one of its outputs' scripts. Transactions spending its outputs later must be imported too, or a rescan run.\n",
        vec![
            Arg::required("rawtransaction", ArgType::StrHex, "The transaction, in hex"),
            Arg::required("txoutproof", ArgType::StrHex, "The proof of its block (as gettxoutproof gives it), in hex"),
        ],
        "null    (json null)",
        move |req| import_pruned_funds(&c, req),
    ));
    let c = cx.clone();
    table.register(command(
        "removeprunedfunds",
        "(DEPRECATED) Needs -deprecatedrpc=removeprunedfunds.\nForgets a wallet transaction, as a companion to importprunedfunds. Balances change accordingly.\n",
        vec![Arg::required("txid", ArgType::StrHex, "The id of the transaction to forget")],
        "null    (json null)",
        move |req| remove_pruned_funds(&c, req),
    ));
}

/// Core's `GetAddressGroupings`: the addresses spent together, with the change sent
/// back, merged into groups; every address paid to the wallet is in one. Each address
/// comes after its key in Core's order of destinations.
pub fn address_groupings(st: &WalletState) -> BTreeSet<BTreeSet<AddressKey>> {
    let key = |script: &bitcoin::ScriptBuf| {
        descriptors::Destination::from_script(script).map(|d| {
            (
                super::addresses::destination_order(&d),
                d.encode(st.network),
            )
        })
    };
    let mut groupings: BTreeSet<BTreeSet<AddressKey>> = BTreeSet::new();
    for wtx in st.txs.values() {
        let mut grouping = BTreeSet::new();
        if !wtx.tx.input.is_empty() {
            let mut any_mine = false;
            for input in &wtx.tx.input {
                let prev = st
                    .txs
                    .get(&input.previous_output.txid)
                    .and_then(|p| p.tx.output.get(input.previous_output.vout as usize));
                let Some(prev) = prev.filter(|o| st.is_mine_script(&o.script_pubkey)) else {
                    continue;
                };
                let Some(k) = key(&prev.script_pubkey) else {
                    continue;
                };
                grouping.insert(k);
                any_mine = true;
            }
            if any_mine {
                for out in &wtx.tx.output {
                    if st.is_change(&out.script_pubkey) {
                        if let Some(k) = key(&out.script_pubkey) {
                            grouping.insert(k);
                        }
                    }
                }
            }
            if !grouping.is_empty() {
                groupings.insert(std::mem::take(&mut grouping));
            }
        }
        for out in &wtx.tx.output {
            if st.is_mine_script(&out.script_pubkey) {
                if let Some(k) = key(&out.script_pubkey) {
                    groupings.insert(BTreeSet::from([k]));
                }
            }
        }
    }
    merge_groupings(groupings)
}

/// An address after its place in Core's order of destinations.
pub type AddressKey = ((u8, Vec<u8>), String);

/// Merges groups sharing an address until none do.
fn merge_groupings<T: Ord + Clone>(groupings: BTreeSet<BTreeSet<T>>) -> BTreeSet<BTreeSet<T>> {
    let mut merged: Vec<Option<BTreeSet<T>>> = Vec::new();
    let mut group_of: BTreeMap<T, usize> = BTreeMap::new();
    for grouping in groupings {
        let hits: BTreeSet<usize> = grouping
            .iter()
            .filter_map(|a| group_of.get(a).copied())
            .collect();
        let mut new = grouping;
        for hit in hits {
            if let Some(old) = merged.get_mut(hit).and_then(Option::take) {
                new.extend(old);
            }
        }
        let index = merged.len();
        for a in &new {
            group_of.insert(a.clone(), index);
        }
        merged.push(Some(new));
    }
    merged.into_iter().flatten().collect()
}

fn list_address_groupings(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    wallet.block_until_synced();
    let st = wallet.state();
    let balances: HashMap<String, i64> = crate::history::address_balances(&st);
    let mut out = Vec::new();
    for grouping in address_groupings(&st) {
        let mut list = Vec::new();
        for (_, address) in grouping {
            let mut info = vec![
                json!(address),
                amount(balances.get(&address).copied().unwrap_or(0)),
            ];
            if let Some(entry) = st.find_address_book_entry(&address, false) {
                info.push(json!(entry.label.clone().unwrap_or_default()));
            }
            list.push(Value::Array(info));
        }
        out.push(Value::Array(list));
    }
    Ok(Value::Array(out))
}

fn simulate_raw_transaction(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let txs = value_array(req.param(0).unwrap_or(&Value::Null))?;
    let mut changes: i64 = 0;
    // Outputs made by earlier transactions of the list, with their value to the wallet.
    let mut new_utxos: BTreeMap<OutPoint, i64> = BTreeMap::new();
    let mut spent: BTreeSet<OutPoint> = BTreeSet::new();
    for raw in txs {
        let tx: Transaction =
            chain_json::parse_hex_tx(value_str(raw)?, true, true).ok_or_else(|| {
                RpcError::new(
                    RPC_DESERIALIZATION_ERROR,
                    "Transaction hex string decoding failure.",
                )
            })?;
        let prevouts: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
        let coins = wallet
            .chain
            .find_coins(prevouts.clone())
            .map_err(|e| wallet_error(WalletError::from(e)))?;
        let unspent: BTreeSet<OutPoint> = prevouts
            .iter()
            .zip(coins.iter())
            .filter(|(_, c)| c.output.is_some())
            .map(|(o, _)| *o)
            .collect();
        let st = wallet.state();
        for outpoint in &prevouts {
            if spent.contains(outpoint) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    "Transaction(s) are spending the same output more than once",
                ));
            }
            if let Some(value) = new_utxos.remove(outpoint) {
                changes -= value;
            } else {
                if !unspent.contains(outpoint) {
                    return Err(RpcError::new(
                        RPC_INVALID_PARAMETER,
                        "One or more transaction inputs are missing or have been spent already",
                    ));
                }
                changes -= st.txos.get(outpoint).map_or(0, |o| o.value.to_sat() as i64);
            }
            spent.insert(*outpoint);
        }
        let txid = tx.compute_txid();
        for (i, out) in tx.output.iter().enumerate() {
            let value = if st.is_mine_script(&out.script_pubkey) {
                out.value.to_sat() as i64
            } else {
                0
            };
            new_utxos.insert(OutPoint::new(txid, i as u32), value);
            changes += value;
        }
    }
    Ok(json!({ "balance_change": amount(changes) }))
}

fn set_wallet_flag(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let name = req.arg_str(0)?;
    let value = match req.param(1) {
        Some(v) => value_bool(v)?,
        None => true,
    };
    let flag = WALLET_FLAGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .ok_or_else(|| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Unknown wallet flag: {name}"),
            )
        })?;
    if flag & MUTABLE_WALLET_FLAGS == 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Wallet flag is immutable: {name}"),
        ));
    }
    let already = wallet
        .with(|st, _| {
            if st.has_flag(flag) == value {
                return Ok(true);
            }
            let new = if value {
                st.flags | flag
            } else {
                st.flags & !flag
            };
            st.set_flags(new);
            Ok(false)
        })
        .map_err(wallet_error)?;
    if already {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Wallet flag is already set to {value}: {name}"),
        ));
    }
    let mut out = Map::new();
    out.insert("flag_name".into(), json!(name));
    out.insert("flag_state".into(), json!(value));
    if let Some(caveat) = flag_caveat(flag).filter(|_| value) {
        out.insert("warnings".into(), json!(caveat));
    }
    Ok(Value::Object(out))
}

fn export_watch_only_wallet(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let destination = req.arg_str(0)?;
    // As Core, a failed top-up (a locked wallet's hardened derivation) is not an error.
    wallet
        .with(|st, _| {
            let _ = st.top_up_keypool(0);
            Ok(())
        })
        .map_err(wallet_error)?;
    let st = wallet.state();
    let best_block = wallet.with_store(|store| stored_best_block(store));
    crate::export::export_watch_only_wallet(&st, best_block, destination, cx.magic)
        .map(|file| json!({ "exported_file": file }))
        .map_err(|m| RpcError::new(RPC_WALLET_ERROR, m))
}

/// `ReadBestBlock`: the locator of the `bestblock` record when it has one, else that of
/// `bestblock_nomerkle`.
fn stored_best_block(store: &dyn walletdb::WalletStore) -> Option<walletdb::records::BlockLocator> {
    use walletdb::records::{keys, Record};
    let read = |kind: &str| store.read_records_of(kind).ok().unwrap_or_default();
    let full = read(keys::BESTBLOCK).into_iter().find_map(|r| match r {
        Record::BestBlock(l) if !l.have.is_empty() => Some(l),
        _ => None,
    });
    full.or_else(|| {
        read(keys::BESTBLOCK_NOMERKLE)
            .into_iter()
            .find_map(|r| match r {
                Record::BestBlockNoMerkle(l) => Some(l),
                _ => None,
            })
    })
}

fn invalid_key(message: &str) -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, message)
}

/// Reads a `CMerkleBlock` from the front of `bytes`, as Core's stream does (what
/// follows is ignored), with the message of Core's stream error.
fn read_merkle_block(bytes: &[u8]) -> Result<MerkleBlock, RpcError> {
    bitcoin::consensus::encode::deserialize_partial::<MerkleBlock>(bytes)
        .map(|(block, _)| block)
        .map_err(|e| {
            let message = match e {
                bitcoin::consensus::encode::Error::Io(_) => {
                    "SpanReader::read(): end of data: iostream error".to_string()
                }
                bitcoin::consensus::encode::Error::OversizedVectorAllocation { .. } => {
                    "ReadCompactSize(): size too large: iostream error".to_string()
                }
                other => format!("{other}: iostream error"),
            };
            RpcError::new(RPC_MISC_ERROR, message)
        })
}

fn import_pruned_funds(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let tx = chain_json::parse_hex_tx(req.arg_str(0)?, false, true).ok_or_else(|| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })?;
    let proof = rawtx::parse_hex_v(req.arg_value(1)?, "proof")?;
    let merkle_block = read_merkle_block(&proof)?;
    let mut matches = Vec::new();
    let mut indexes = Vec::new();
    let root = merkle_block
        .txn
        .extract_matches(&mut matches, &mut indexes)
        .ok();
    if root != Some(merkle_block.header.merkle_root) {
        return Err(invalid_key("Something wrong with merkleblock"));
    }
    let block_hash = merkle_block.header.block_hash();
    let txid = tx.compute_txid();
    let outcome = wallet
        .with(|st, lookup| {
            let found = match st.last_block {
                Some((tip, _)) => wallet
                    .chain
                    .find_ancestor_by_hash(tip, block_hash)
                    .map_err(WalletError::from)?,
                None => None,
            };
            let Some(block) = found else {
                return Ok(Err(invalid_key("Block not found in chain")));
            };
            let Some(pos) = matches.iter().position(|m| *m == txid) else {
                return Ok(Err(invalid_key("Transaction given doesn't exist in proof")));
            };
            if !st.is_mine_tx(&tx) {
                return Ok(Err(invalid_key(
                    "No addresses in wallet correspond to included transaction",
                )));
            }
            let state = TxState::Confirmed {
                block_hash,
                height: block.height,
                index: indexes.get(pos).map_or(0, |i| *i as i32),
            };
            st.add_to_wallet(Arc::new(tx.clone()), state, None, false, lookup);
            Ok(Ok(()))
        })
        .map_err(wallet_error)?;
    outcome.map(|()| Value::Null)
}

fn remove_pruned_funds(cx: &WalletContext, req: &Request) -> RpcResult {
    let wallet = wallet_for(cx, req)?;
    let enabled = wallet
        .chain
        .rpc_enable_deprecated("removeprunedfunds".into())
        .map_err(|e| wallet_error(WalletError::from(e)))?;
    if !enabled {
        return Err(RpcError::new(
            RPC_METHOD_DEPRECATED,
            "DEPRECATION WARNING: This feature will be removed in the next major release. Start bitcoind with the `-deprecatedrpc=removeprunedfunds` option in order to use this.",
        ));
    }
    let txid = rawtx::parse_txid(req.arg_value(0)?, "txid")?;
    let outcome = wallet
        .with(|st, _| Ok(st.remove_txs(&[txid])))
        .map_err(wallet_error)?;
    outcome
        .map(|()| Value::Null)
        .map_err(|m| RpcError::new(RPC_WALLET_ERROR, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_sharing_an_address_merge() {
        let g = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
        let merged = merge_groupings(BTreeSet::from([
            g(&[1, 2]),
            g(&[3]),
            g(&[2, 4]),
            g(&[5, 3]),
            g(&[6]),
        ]));
        assert_eq!(merged, BTreeSet::from([g(&[1, 2, 4]), g(&[3, 5]), g(&[6])]));
        // A later group joining two earlier ones merges all three.
        let merged = merge_groupings(BTreeSet::from([g(&[1]), g(&[2]), g(&[1, 2, 3])]));
        assert_eq!(merged, BTreeSet::from([g(&[1, 2, 3])]));
    }

    #[test]
    fn merkle_blocks_read_like_core_streams() {
        let err = read_merkle_block(&[0u8; 10]).unwrap_err();
        assert_eq!(err.code, RPC_MISC_ERROR);
        assert_eq!(
            err.message,
            "SpanReader::read(): end of data: iostream error"
        );
    }

    #[test]
    fn flag_names_are_cores() {
        assert_eq!(WALLET_FLAGS.len(), 7);
        assert!(WALLET_FLAGS
            .iter()
            .all(|(_, f)| (*f & MUTABLE_WALLET_FLAGS != 0) == (*f == flags::AVOID_REUSE)));
        assert!(flag_caveat(flags::AVOID_REUSE).is_some());
        assert!(flag_caveat(flags::BLANK_WALLET).is_none());
    }
}
