//! The node's side of the `Chain` interface (Core's `node::ChainImpl`): what a wallet in
//! this process, or behind an IPC connection, may ask of the chainstate, the pool, fee
//! estimation, the settings and the RPC server.

use std::sync::{Arc, Mutex};

use bitcoin::{BlockHash, OutPoint, Transaction, Txid};
use chain::ChainState;
use interfaces::chain::rbf_state;
use interfaces::{
    Ancestry, Chain, ChainNotifications, CleanupHandler, Coin, FeeEstimate, FoundBlock, Handler,
    RpcActor,
};
use serde_json::Value;

use crate::context::{lock, NodeContext};
use crate::notifications::NotificationQueue;

/// Core's `MEMPOOL_HEIGHT`: the height `findCoins` gives outputs of pool transactions.
const MEMPOOL_HEIGHT: i32 = 0x7FFF_FFFF;

/// What a `Chain` needs of the node.
pub struct NodeChain {
    node: Arc<NodeContext>,
    queue: Arc<NotificationQueue>,
    table: Arc<rpc::Table>,
    settings: Arc<Settings>,
}

/// The node's settings as chain clients read them: the command line and configuration
/// (read only) and `settings.json` (read-write).
pub struct Settings {
    /// The node's options.
    pub args: common::ArgsManager,
    /// `<datadir>/<chain>/settings.json`, or `None` with `-nosettings`.
    pub rw_path: Option<std::path::PathBuf>,
    /// Serialises read-modify-write of `settings.json`.
    pub write_lock: Mutex<()>,
}

impl NodeChain {
    /// A chain over the node's state.
    pub fn new(
        node: Arc<NodeContext>,
        queue: Arc<NotificationQueue>,
        table: Arc<rpc::Table>,
        settings: Arc<Settings>,
    ) -> NodeChain {
        NodeChain {
            node,
            queue,
            table,
            settings,
        }
    }
}

fn remote(message: impl Into<String>) -> ipc::Error {
    ipc::Error::Remote(message.into())
}

/// `FoundBlock` of index entry `i`.
fn found(
    cs: &ChainState,
    queue: &NotificationQueue,
    i: usize,
    want_data: bool,
) -> ipc::Result<FoundBlock> {
    let index = cs.index();
    let e = index.entry(i);
    let in_active_chain = cs.active_entry(e.height) == Some(i);
    let next_hash = if in_active_chain {
        cs.hash_at(e.height + 1)
    } else {
        None
    };
    let data = if want_data && e.data.is_some() {
        cs.read_block(&e.hash)
            .map_err(|err| remote(format!("cannot read block {}: {err}", e.hash)))?
            .map(Arc::new)
    } else {
        None
    };
    Ok(FoundBlock {
        hash: e.hash,
        height: e.height as i32,
        time: i64::from(e.header.time),
        max_time: queue.time_max(index, i),
        mtp: index.median_time_past(i),
        in_active_chain,
        next_hash,
        data,
        locator: cs.locator_from(i),
    })
}

fn json_text(v: Option<common::args::SettingValue>) -> String {
    v.map(|v| crate::settings_file::to_json(&v).to_string())
        .unwrap_or_else(|| "null".into())
}

impl Chain for NodeChain {
    fn get_height(&self) -> ipc::Result<Option<i32>> {
        Ok(Some(self.node.chainstate().height() as i32))
    }

    fn get_block_hash(&self, height: i32) -> ipc::Result<BlockHash> {
        let cs = self.node.chainstate();
        u32::try_from(height)
            .ok()
            .and_then(|h| cs.hash_at(h))
            .ok_or_else(|| remote(format!("no active block at height {height}")))
    }

    fn have_block_on_disk(&self, height: i32) -> ipc::Result<bool> {
        let cs = self.node.chainstate();
        Ok(u32::try_from(height)
            .ok()
            .and_then(|h| cs.active_entry(h))
            .is_some_and(|i| cs.index().entry(i).data.is_some()))
    }

    fn find_locator_fork(&self, locator: Vec<BlockHash>) -> ipc::Result<Option<i32>> {
        let cs = self.node.chainstate();
        let index = cs.index();
        for hash in &locator {
            if let Some(i) = index.find(hash) {
                let h = index.entry(i).height;
                if cs.active_entry(h) == Some(i) {
                    return Ok(Some(h as i32));
                }
            }
        }
        // Core's FindForkInGlobalIndex falls back to genesis.
        Ok(Some(0))
    }

    fn find_block(&self, hash: BlockHash, want_data: bool) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        match cs.index().find(&hash) {
            Some(i) => found(&cs, &self.queue, i, want_data).map(Some),
            None => Ok(None),
        }
    }

    fn find_first_block_with_time_and_height(
        &self,
        min_time: i64,
        min_height: i32,
        want_data: bool,
    ) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        let tip = cs.height();
        let start = u32::try_from(min_height.max(0)).unwrap_or(0);
        if start > tip {
            return Ok(None);
        }
        // The running maximum of header times never decreases along the chain, so the
        // first block reaching `min_time` is found by bisection (`FindEarliestAtLeast`).
        let time_max_at = |h: u32| -> i64 {
            cs.active_entry(h)
                .map(|i| self.queue.time_max(cs.index(), i))
                .unwrap_or(i64::MAX)
        };
        let (mut lo, mut hi) = (start, tip + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if time_max_at(mid) < min_time {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo > tip {
            return Ok(None);
        }
        match cs.active_entry(lo) {
            Some(i) => found(&cs, &self.queue, i, want_data).map(Some),
            None => Ok(None),
        }
    }

    fn find_ancestor_by_height(
        &self,
        block_hash: BlockHash,
        ancestor_height: i32,
    ) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        let Some(i) = cs.index().find(&block_hash) else {
            return Ok(None);
        };
        let Ok(h) = u32::try_from(ancestor_height) else {
            return Ok(None);
        };
        match cs.index().ancestor(i, h) {
            Some(a) => found(&cs, &self.queue, a, false).map(Some),
            None => Ok(None),
        }
    }

    fn find_ancestor_by_hash(
        &self,
        block_hash: BlockHash,
        ancestor_hash: BlockHash,
    ) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        let index = cs.index();
        let (Some(i), Some(a)) = (index.find(&block_hash), index.find(&ancestor_hash)) else {
            return Ok(None);
        };
        if index.ancestor(i, index.entry(a).height) != Some(a) {
            return Ok(None);
        }
        found(&cs, &self.queue, a, false).map(Some)
    }

    fn find_common_ancestor(
        &self,
        block_hash1: BlockHash,
        block_hash2: BlockHash,
    ) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        let index = cs.index();
        let (Some(mut a), Some(mut b)) = (index.find(&block_hash1), index.find(&block_hash2))
        else {
            return Ok(None);
        };
        let ha = index.entry(a).height;
        let hb = index.entry(b).height;
        if ha > hb {
            a = index.ancestor(a, hb).unwrap_or(a);
        } else if hb > ha {
            b = index.ancestor(b, ha).unwrap_or(b);
        }
        while a != b {
            match (index.entry(a).prev, index.entry(b).prev) {
                (Some(pa), Some(pb)) => {
                    a = pa;
                    b = pb;
                }
                _ => return Ok(None),
            }
        }
        found(&cs, &self.queue, a, false).map(Some)
    }

    fn find_coins(&self, outpoints: Vec<OutPoint>) -> ipc::Result<Vec<Coin>> {
        let cs = self.node.chainstate();
        let pool = lock(&self.node.mempool);
        let mut out = Vec::with_capacity(outpoints.len());
        for o in &outpoints {
            if let Some(txout) = pool
                .get(&o.txid)
                .and_then(|tx| tx.output.get(o.vout as usize).cloned())
            {
                out.push(Coin {
                    output: Some(txout),
                    height: MEMPOOL_HEIGHT,
                    coinbase: false,
                });
                continue;
            }
            match cs.coin(o) {
                Ok(Some(c)) => out.push(Coin {
                    output: Some(c.output.clone()),
                    height: c.height as i32,
                    coinbase: c.is_coinbase,
                }),
                Ok(None) => out.push(Coin::default()),
                Err(e) => return Err(remote(format!("cannot read coins: {e}"))),
            }
        }
        Ok(out)
    }

    fn guess_verification_progress(&self, block_hash: BlockHash) -> ipc::Result<f64> {
        let cs = self.node.chainstate();
        let Some(i) = cs.index().find(&block_hash) else {
            return Ok(0.0);
        };
        Ok(chain::chainstate::verification_progress(
            cs.index(),
            cs.params(),
            cs.index().entry(i),
            self.node.now(),
        ))
    }

    fn has_blocks(
        &self,
        block_hash: BlockHash,
        min_height: i32,
        max_height: Option<i32>,
    ) -> ipc::Result<bool> {
        let cs = self.node.chainstate();
        let index = cs.index();
        let Some(mut i) = index.find(&block_hash) else {
            return Ok(false);
        };
        if let Some(max) = max_height.and_then(|m| u32::try_from(m).ok()) {
            if index.entry(i).height >= max {
                i = index.ancestor(i, max).unwrap_or(i);
            }
        }
        loop {
            let e = index.entry(i);
            if e.data.is_none() {
                return Ok(false);
            }
            if i64::from(e.height) <= i64::from(min_height) {
                return Ok(true);
            }
            match e.prev {
                Some(p) => i = p,
                None => return Ok(true),
            }
        }
    }

    fn is_rbf_opt_in(&self, tx: Transaction) -> ipc::Result<u8> {
        let signals = |t: &Transaction| t.input.iter().any(|i| i.sequence.0 < 0xffff_fffe);
        if signals(&tx) {
            return Ok(rbf_state::REPLACEABLE_BIP125);
        }
        let pool = lock(&self.node.mempool);
        let txid = tx.compute_txid();
        if !pool.contains(&txid) {
            return Ok(rbf_state::UNKNOWN);
        }
        let any = pool
            .ancestors(&txid)
            .iter()
            .filter_map(|a| pool.get(a))
            .any(|t| signals(&t));
        Ok(if any {
            rbf_state::REPLACEABLE_BIP125
        } else {
            rbf_state::FINAL
        })
    }

    fn is_in_mempool(&self, txid: Txid) -> ipc::Result<bool> {
        Ok(lock(&self.node.mempool).contains(&txid))
    }

    fn has_descendants_in_mempool(&self, txid: Txid) -> ipc::Result<bool> {
        Ok(!lock(&self.node.mempool).children(&txid).is_empty())
    }

    fn broadcast_transaction(
        &self,
        tx: Arc<Transaction>,
        max_tx_fee: i64,
        relay: bool,
    ) -> ipc::Result<Option<String>> {
        match crate::rpc::mempool::broadcast_arc(&self.node, tx, max_tx_fee, relay) {
            Ok(_) => Ok(None),
            Err(e) => Ok(Some(e.message)),
        }
    }

    fn get_transaction_ancestry(&self, txid: Txid) -> ipc::Result<Ancestry> {
        let pool = lock(&self.node.mempool);
        if !pool.contains(&txid) {
            return Ok(Ancestry::default());
        }
        let (count, size, fees) = pool.ancestor_data(&txid);
        Ok(Ancestry {
            ancestors: count as u64,
            cluster_count: pool.cluster_of(&txid).len() as u64,
            ancestor_size: size.max(0) as u64,
            ancestor_fees: fees,
        })
    }

    fn calculate_individual_bump_fees(
        &self,
        outpoints: Vec<OutPoint>,
        fee_rate: i64,
    ) -> ipc::Result<Vec<i64>> {
        let pool = lock(&self.node.mempool);
        let miner = mempool::mini_miner::MiniMiner::new(&pool, &outpoints);
        // Core answers an empty map when the clusters are too large to simulate.
        Ok(miner
            .bump_fees(&outpoints, mempool::FeeRate::per_kvb(fee_rate))
            .unwrap_or_default())
    }

    fn calculate_combined_bump_fee(
        &self,
        outpoints: Vec<OutPoint>,
        fee_rate: i64,
    ) -> ipc::Result<Option<i64>> {
        let pool = lock(&self.node.mempool);
        let miner = mempool::mini_miner::MiniMiner::new(&pool, &outpoints);
        Ok(miner.total_bump_fee(mempool::FeeRate::per_kvb(fee_rate)))
    }

    fn get_package_limits(&self) -> ipc::Result<(u32, u32)> {
        // The deprecated ancestor and descendant limits: cluster limits replaced them in
        // the pool, and only the wallet's coin selection still reads them.
        let get = |name: &str| {
            u32::try_from(self.settings.args.get_int_arg(name, 25).max(0)).unwrap_or(u32::MAX)
        };
        Ok((get("-limitancestorcount"), get("-limitdescendantcount")))
    }

    fn check_chain_limits(&self, tx: Transaction) -> ipc::Result<Option<String>> {
        let pool = lock(&self.node.mempool);
        let limit = pool.options().cluster_count.max(0) as usize;
        let parents = pool.parents_of_tx(&tx);
        let cluster = pool.unique_cluster_count(&parents);
        let mut members = std::collections::BTreeSet::new();
        for p in &parents {
            members.extend(pool.cluster_of(p));
        }
        let _ = cluster;
        if members.len() + 1 > limit {
            return Ok(Some(format!(
                "too many unconfirmed transactions in cluster [limit: {limit}]"
            )));
        }
        Ok(None)
    }

    fn estimate_smart_fee(&self, num_blocks: i32, conservative: bool) -> ipc::Result<FeeEstimate> {
        if !lock(&self.node.fee_estimator).is_enabled() {
            return Ok(FeeEstimate::default());
        }
        let target = u32::try_from(num_blocks.max(1)).unwrap_or(1);
        let (estimate, _, _) = crate::rpc::fees::smart_estimate(
            &self.node,
            fees::FeeRateEstimatorType::None,
            target,
            conservative,
        );
        Ok(match estimate {
            Ok(e) => FeeEstimate {
                fee_rate: e.feerate.sat_per_kvb(),
                returned_target: e.returned_target as i32,
                reason: String::new(),
            },
            Err(e) => FeeEstimate {
                fee_rate: 0,
                returned_target: e.returned_target as i32,
                reason: e.reason,
            },
        })
    }

    fn estimate_max_blocks(&self) -> ipc::Result<u32> {
        let est = lock(&self.node.fee_estimator);
        Ok(if est.is_enabled() {
            est.maximum_target()
        } else {
            0
        })
    }

    fn mempool_min_fee(&self) -> ipc::Result<i64> {
        let now = self.node.now();
        Ok(lock(&self.node.mempool).min_fee(now).sat_per_kvb())
    }

    fn relay_min_fee(&self) -> ipc::Result<i64> {
        Ok(lock(&self.node.mempool).options().min_relay_feerate)
    }

    fn relay_incremental_fee(&self) -> ipc::Result<i64> {
        Ok(lock(&self.node.mempool).options().incremental_relay_feerate)
    }

    fn relay_dust_fee(&self) -> ipc::Result<i64> {
        Ok(lock(&self.node.mempool).options().dust_relay_feerate)
    }

    fn have_pruned(&self) -> ipc::Result<bool> {
        Ok(false)
    }

    fn get_prune_height(&self) -> ipc::Result<Option<i32>> {
        Ok(None)
    }

    fn is_ready_to_broadcast(&self) -> ipc::Result<bool> {
        Ok(true)
    }

    fn is_initial_block_download(&self) -> ipc::Result<bool> {
        Ok(self.node.chainstate().is_initial_block_download())
    }

    fn shutdown_requested(&self) -> ipc::Result<bool> {
        Ok(self.node.shutdown_requested())
    }

    fn init_message(&self, message: String) -> ipc::Result<()> {
        common::logging::log_info(&format!("init message: {message}"));
        Ok(())
    }

    fn init_warning(&self, message: String) -> ipc::Result<()> {
        // Core's noui handler: logged, and shown on stderr.
        common::logging::log_warning(&message);
        eprintln!("Warning: {message}");
        Ok(())
    }

    fn init_error(&self, message: String) -> ipc::Result<()> {
        common::logging::log_error(&message);
        eprintln!("Error: {message}");
        Ok(())
    }

    fn show_progress(&self, _title: String, _progress: i32, _resume: bool) -> ipc::Result<()> {
        Ok(())
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> ipc::Result<Box<dyn Handler>> {
        let id = self.queue.subscribe(notifications);
        let queue = self.queue.clone();
        Ok(Box::new(CleanupHandler::new(move || queue.unsubscribe(id))))
    }

    fn wait_for_notifications_if_tip_changed(&self, old_tip: BlockHash) -> ipc::Result<()> {
        if self.node.chainstate().tip() == old_tip {
            return Ok(());
        }
        self.queue.wait_for_queued();
        Ok(())
    }

    fn wait_for_notifications(&self) -> ipc::Result<()> {
        self.queue.wait_for_queued();
        Ok(())
    }

    fn handle_rpc(
        &self,
        command: String,
        actor: Arc<dyn RpcActor>,
    ) -> ipc::Result<Box<dyn Handler>> {
        let handler: rpc::Handler = Arc::new(move |req: &rpc::Request| {
            let text = rpc::remote::encode_request(req);
            match actor.call(text) {
                Ok(reply) => rpc::remote::decode_reply(&reply),
                Err(e) => Err(rpc::RpcError::new(
                    rpc::codes::RPC_MISC_ERROR,
                    format!("Wallet process unavailable ({e}); restart the node to use wallets"),
                )),
            }
        });
        let (cmd, results) = rpc::remote::command_from_description(&command, handler.clone())
            .map_err(|e| remote(e.to_string()))?;
        let name = cmd.name;
        self.table.register(cmd);
        if let Some(r) = results {
            self.table.set_results(name, r);
        }
        let table = self.table.clone();
        // When the client goes away (its process exited, or it unregistered) the command
        // stays listed and answers why it cannot run, rather than becoming unknown.
        Ok(Box::new(CleanupHandler::new(move || {
            let gone: rpc::Handler = Arc::new(|_req: &rpc::Request| {
                Err(rpc::RpcError::new(
                    rpc::codes::RPC_MISC_ERROR,
                    "Wallet process unavailable (it exited or disconnected); restart the node to use wallets",
                ))
            });
            table.replace_handler(name, &handler, gone);
        })))
    }

    fn rpc_enable_deprecated(&self, method: String) -> ipc::Result<bool> {
        Ok(self.node.deprecated_rpc_enabled(&method))
    }

    fn get_setting(&self, name: String) -> ipc::Result<String> {
        Ok(json_text(self.settings.args.get_setting(&name)))
    }

    fn get_settings_list(&self, name: String) -> ipc::Result<Vec<String>> {
        Ok(self
            .settings
            .args
            .get_settings_list(&name)
            .into_iter()
            .map(|v| crate::settings_file::to_json(&v).to_string())
            .collect())
    }

    fn get_rw_setting(&self, name: String) -> ipc::Result<String> {
        Ok(self.settings.args.with_settings(|s| {
            s.rw_settings
                .get(&name)
                .map(|v| crate::settings_file::to_json(v).to_string())
                .unwrap_or_else(|| "null".into())
        }))
    }

    fn overwrite_rw_setting(&self, name: String, value: String, write: bool) -> ipc::Result<bool> {
        let _guard = lock(&self.settings.write_lock);
        let value: Value =
            serde_json::from_str(&value).map_err(|_| remote("setting is not JSON"))?;
        self.settings.args.with_settings(|s| {
            if value.is_null() {
                s.rw_settings.remove(&name);
            } else {
                s.rw_settings
                    .insert(name.clone(), crate::settings_file::from_json(&value));
            }
        });
        if !write {
            return Ok(true);
        }
        Ok(crate::settings_file::write(&self.settings).is_ok())
    }

    fn request_mempool_transactions(
        &self,
        notifications: Arc<dyn ChainNotifications>,
    ) -> ipc::Result<()> {
        let txs: Vec<Arc<Transaction>> = {
            let pool = lock(&self.node.mempool);
            pool.mining_order()
                .iter()
                .filter_map(|t| pool.get(t))
                .collect()
        };
        for tx in txs {
            notifications.transaction_added_to_mempool(tx)?;
        }
        Ok(())
    }

    fn has_assumed_valid_chain(&self) -> ipc::Result<bool> {
        Ok(false)
    }

    fn get_adjusted_time(&self) -> ipc::Result<i64> {
        Ok(self.node.now())
    }

    fn get_tip(&self) -> ipc::Result<Option<FoundBlock>> {
        let cs = self.node.chainstate();
        let Some(i) = cs.active_entry(cs.height()) else {
            return Ok(None);
        };
        found(&cs, &self.queue, i, false).map(Some)
    }
}
