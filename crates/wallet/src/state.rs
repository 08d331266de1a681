//! The wallet's state and Core's rules for keeping it (the I/O-free heart of `CWallet`):
//! transactions and their states, spends, owned outputs, descriptors, the address book and
//! locked coins. Every change is also recorded as a wallet-file record in `changes`, which
//! the caller writes in one database transaction (persistence as change sets).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::{BlockHash, Network, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use walletdb::records::{AddressPurpose, DescriptorId, OutputType, Record};

use crate::error::WalletError;
use crate::spkm::DescriptorSpkm;
use crate::tx::{TxState, WalletTx};

/// Core's `TRUC_VERSION`: transactions of this version follow the TRUC policy.
pub const TRUC_VERSION: i32 = 3;

/// Core's `COINBASE_MATURITY`.
pub const COINBASE_MATURITY: i32 = 100;

/// Wallet flags (Core's `WalletFlags`).
pub mod flags {
    /// Avoid spending from addresses already spent from.
    pub const AVOID_REUSE: u64 = 1 << 0;
    /// Key origin metadata (legacy).
    pub const KEY_ORIGIN_METADATA: u64 = 1 << 1;
    /// The last hardened xpub cache is present.
    pub const LAST_HARDENED_XPUB_CACHED: u64 = 1 << 2;
    /// No private keys.
    pub const DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
    /// Created blank.
    pub const BLANK_WALLET: u64 = 1 << 33;
    /// A descriptor wallet.
    pub const DESCRIPTORS: u64 = 1 << 34;
    /// Keys held by an external signer.
    pub const EXTERNAL_SIGNER: u64 = 1 << 35;
}

/// How an output was spent (`CWallet::SpendType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpendType {
    /// Not spent by any wallet transaction that counts.
    Unspent,
    /// Spent by a confirmed transaction.
    Confirmed,
    /// Spent by a pool transaction.
    Mempool,
    /// Spent by a transaction neither confirmed nor in the pool (nor abandoned).
    NonMempool,
}

/// An address book entry (`CAddressBookData`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBookEntry {
    /// The label; `None` marks change.
    pub label: Option<String>,
    /// Why the address is known.
    pub purpose: Option<AddressPurpose>,
    /// Spent from before (avoid-reuse).
    pub previously_spent: bool,
    /// Receive requests by id.
    pub receive_requests: BTreeMap<String, String>,
}

/// Balances as Core's `GetBalance` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// Trusted and spendable.
    pub trusted: i64,
    /// Untrusted outputs in the pool.
    pub untrusted_pending: i64,
    /// Immature coinbase outputs.
    pub immature: i64,
    /// On addresses already spent from (avoid-reuse).
    pub used: i64,
    /// Spent by transactions outside the pool (made negative).
    pub nonmempool: i64,
}

/// Wallet settings from the node's options (Core's `LoadWalletArgs`).
#[derive(Debug, Clone)]
pub struct WalletOptions {
    /// `-keypool`.
    pub keypool_size: u32,
    /// `-spendzeroconfchange`.
    pub spend_zero_conf_change: bool,
    /// `-walletrbf`.
    pub signal_rbf: bool,
    /// `-txconfirmtarget`.
    pub confirm_target: u32,
    /// `-mintxfee` in sat/kvB.
    pub min_fee: i64,
    /// `-fallbackfee` in sat/kvB.
    pub fallback_fee: i64,
    /// `-discardfee` in sat/kvB.
    pub discard_rate: i64,
    /// `-consolidatefeerate` in sat/kvB.
    pub consolidate_feerate: i64,
    /// `-maxapsfee` in satoshis.
    pub max_aps_fee: i64,
    /// `-maxtxfee` in satoshis.
    pub max_tx_fee: i64,
    /// `-addresstype`.
    pub default_address_type: OutputType,
    /// `-changetype`.
    pub default_change_type: Option<OutputType>,
    /// `-walletbroadcast`.
    pub broadcast: bool,
    /// `-walletrejectlongchains`.
    pub reject_long_chains: bool,
}

impl Default for WalletOptions {
    fn default() -> WalletOptions {
        WalletOptions {
            keypool_size: 1000,
            spend_zero_conf_change: true,
            signal_rbf: true,
            confirm_target: 6,
            min_fee: 1000,
            fallback_fee: 0,
            discard_rate: 10_000,
            consolidate_feerate: 10_000,
            max_aps_fee: 0,
            max_tx_fee: 10_000_000,
            default_address_type: OutputType::Bech32,
            default_change_type: None,
            broadcast: true,
            reject_long_chains: true,
        }
    }
}

/// One change to write to the wallet file.
#[derive(Debug, Clone)]
pub enum Change {
    /// Write (or overwrite) a record.
    Write(Record),
    /// Erase the record with this key.
    Erase(Vec<u8>),
}

/// What blocks the wallet needs from the node while updating states.
pub trait BlockLookup {
    /// Time, max time, height and whether the block is in the active chain.
    fn block(&self, hash: &BlockHash) -> Option<(i64, i64, i32, bool)>;
    /// Whether `txid` is in the node's pool.
    fn in_mempool(&self, txid: &Txid) -> bool;
    /// A locator from `hash`.
    fn locator(&self, hash: &BlockHash) -> Vec<BlockHash>;
    /// The node's clock.
    fn now(&self) -> i64;
}

/// Changes a wallet transaction as it is added (`UpdateWalletTxFn`): given whether it is
/// new, returns whether it changed it.
pub type TxUpdater<'a> = dyn Fn(&mut WalletTx, bool) -> bool + 'a;

/// The wallet's state.
pub struct WalletState {
    /// Wallet name ("" for the default wallet).
    pub name: String,
    /// The network.
    pub network: Network,
    /// Flags.
    pub flags: u64,
    /// Settings from the node's options.
    pub options: WalletOptions,
    /// Transactions by txid (`mapWallet`).
    pub txs: HashMap<Txid, WalletTx>,
    /// Transactions by order position (`wtxOrdered`).
    pub ordered: BTreeSet<(i64, Txid)>,
    /// Which wallet transactions spend each outpoint (`mapTxSpends`), kept by bdk_chain's
    /// transaction graph.
    graph: bdk_chain::tx_graph::TxGraph<bdk_chain::BlockId>,
    /// Outputs that are ours (`m_txos`).
    pub txos: HashMap<OutPoint, TxOut>,
    /// Next order position.
    pub order_pos_next: i64,
    /// Descriptors by id.
    pub spkms: BTreeMap<DescriptorId, DescriptorSpkm>,
    /// Active receive descriptors.
    pub active_external: BTreeMap<OutputType, DescriptorId>,
    /// Active change descriptors.
    pub active_internal: BTreeMap<OutputType, DescriptorId>,
    /// Address book by address text.
    pub address_book: BTreeMap<String, AddressBookEntry>,
    /// Locked coins and whether the lock is stored.
    pub locked_coins: BTreeMap<OutPoint, bool>,
    /// Encryption master keys by id.
    pub master_keys: BTreeMap<u32, walletdb::crypter::MasterKey>,
    /// The decrypted master key while unlocked.
    pub master_key: Option<Vec<u8>>,
    /// Last block processed.
    pub last_block: Option<(BlockHash, i32)>,
    /// Earliest key or transaction time (`m_birth_time`).
    pub birth_time: i64,
    /// Whether newly made transactions are submitted to the node.
    pub broadcast: bool,
    /// When the tip last changed (`m_best_block_time`).
    pub best_block_time: i64,
    /// The `version` record read at load (the last release that opened the file).
    pub last_client_version: Option<i32>,
    /// The best block stored in the file when it was loaded.
    pub stored_best_block: Option<walletdb::records::BlockLocator>,
    /// Pending writes.
    changes: Vec<Change>,
}

fn encode_key(r: &Record) -> Vec<u8> {
    walletdb::records::encode(r).0
}

impl WalletState {
    /// An empty wallet.
    pub fn new(name: &str, network: Network, options: WalletOptions) -> WalletState {
        WalletState {
            name: name.to_string(),
            network,
            flags: 0,
            broadcast: options.broadcast,
            options,
            txs: HashMap::new(),
            ordered: BTreeSet::new(),
            graph: Default::default(),
            txos: HashMap::new(),
            order_pos_next: 0,
            spkms: BTreeMap::new(),
            active_external: BTreeMap::new(),
            active_internal: BTreeMap::new(),
            address_book: BTreeMap::new(),
            locked_coins: BTreeMap::new(),
            master_keys: BTreeMap::new(),
            master_key: None,
            last_block: None,
            birth_time: i64::MAX,
            best_block_time: 0,
            stored_best_block: None,
            last_client_version: None,
            changes: Vec::new(),
        }
    }

    /// Core's `LogName`.
    pub fn log_name(&self) -> &str {
        if self.name.is_empty() {
            "default wallet"
        } else {
            &self.name
        }
    }

    /// Logs `msg` as Core's `WalletLogPrintf`.
    pub fn log(&self, msg: &str) {
        common::logging::log_info(&format!("[{}] {msg}", self.log_name()));
    }

    /// Queues a record write.
    pub fn write(&mut self, r: Record) {
        self.changes.push(Change::Write(r));
    }

    /// Queues a record erase.
    pub fn erase(&mut self, r: &Record) {
        self.changes.push(Change::Erase(encode_key(r)));
    }

    /// Takes the pending writes.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Whether `flag` is set.
    pub fn has_flag(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// Sets flags and stores them.
    pub fn set_flags(&mut self, flags: u64) {
        self.flags = flags;
        self.write(Record::Flags(flags));
    }

    /// Height of the last block processed, -1 before any (`GetLastBlockHeight`).
    pub fn last_block_height(&self) -> i32 {
        self.last_block.map(|(_, h)| h).unwrap_or(-1)
    }

    // ----- ownership -----

    /// `IsMine(script)`.
    pub fn is_mine_script(&self, script: &ScriptBuf) -> bool {
        self.spkms.values().any(|s| s.is_mine(script))
    }

    /// The descriptors that know `script`.
    pub fn spkms_for(&self, script: &ScriptBuf) -> Vec<DescriptorId> {
        self.spkms
            .iter()
            .filter(|(_, s)| s.is_mine(script))
            .map(|(id, _)| *id)
            .collect()
    }

    /// `IsMine(tx)`: any output ours.
    pub fn is_mine_tx(&self, tx: &Transaction) -> bool {
        tx.output
            .iter()
            .any(|o| self.is_mine_script(&o.script_pubkey))
    }

    /// `IsFromMe`: any input spends one of our outputs.
    pub fn is_from_me(&self, tx: &Transaction) -> bool {
        tx.input
            .iter()
            .any(|i| self.txos.contains_key(&i.previous_output))
    }

    /// `GetDebit(tx)`: the value of our outputs it spends.
    pub fn debit(&self, tx: &Transaction) -> i64 {
        tx.input
            .iter()
            .filter_map(|i| self.txos.get(&i.previous_output))
            .map(|o| o.value.to_sat() as i64)
            .sum()
    }

    /// `TxGetCredit`: the value of its outputs that are ours.
    pub fn credit(&self, tx: &Transaction) -> i64 {
        tx.output
            .iter()
            .filter(|o| self.is_mine_script(&o.script_pubkey))
            .map(|o| o.value.to_sat() as i64)
            .sum()
    }

    /// What a signer needs for `script`: keys, scripts and origins from every descriptor
    /// that knows it, with private keys when `include_private` and unlocked
    /// (`GetSolvingProvider` / `GetSigningProvider`). `None` if no descriptor knows it.
    pub fn signing_provider(
        &self,
        script: &ScriptBuf,
        include_private: bool,
    ) -> Option<signing::FlatSigningProvider> {
        let mut out = signing::FlatSigningProvider::new();
        let mut found = false;
        for s in self.spkms.values() {
            if let Some(index) = s.index_of(script) {
                s.signing_provider(index, include_private, &mut out);
                found = true;
            }
        }
        found.then_some(out)
    }

    /// Whether the descriptor `id` is an active change descriptor.
    pub fn is_internal_spkm(&self, id: &DescriptorId) -> Option<bool> {
        if self.active_internal.values().any(|i| i == id) {
            Some(true)
        } else if self.active_external.values().any(|i| i == id) {
            Some(false)
        } else {
            None
        }
    }

    /// `ScriptIsChange`: ours, and without a labelled address book entry (or not an
    /// address at all).
    pub fn is_change(&self, script: &ScriptBuf) -> bool {
        if !self.is_mine_script(script) {
            return false;
        }
        match crate::address::encode(script, self.network) {
            None => true,
            // An entry without a label (only a purpose) is change, as Core's
            // FindAddressBookEntry skips it.
            Some(addr) => self.find_address_book_entry(&addr, false).is_none(),
        }
    }

    /// The address book entry of `address`, skipping change entries unless
    /// `allow_change` (`FindAddressBookEntry`).
    pub fn find_address_book_entry(
        &self,
        address: &str,
        allow_change: bool,
    ) -> Option<&AddressBookEntry> {
        self.address_book
            .get(address)
            .filter(|e| allow_change || e.label.is_some())
    }

    /// `SetAddressBook`: sets the label (and the purpose if given) of `address`.
    pub fn set_address_book(
        &mut self,
        address: &str,
        label: &str,
        purpose: Option<AddressPurpose>,
    ) {
        let entry = self.address_book.entry(address.to_string()).or_default();
        entry.label = Some(label.to_string());
        let mut write_purpose = None;
        if let Some(p) = purpose {
            entry.purpose = Some(p);
            write_purpose = Some(p);
        }
        if let Some(p) = write_purpose {
            self.write(Record::Purpose {
                address: address.to_string(),
                purpose: p.as_str().to_string(),
            });
        }
        self.write(Record::Name {
            address: address.to_string(),
            label: label.to_string(),
        });
    }

    // ----- depth and spending -----

    /// `GetTxDepthInMainChain`.
    pub fn depth(&self, wtx: &WalletTx) -> i32 {
        match &wtx.state {
            TxState::Confirmed { height, .. } => self.last_block_height() - height + 1,
            TxState::BlockConflicted { height, .. } => -(self.last_block_height() - height + 1),
            _ => 0,
        }
    }

    /// `GetTxBlocksToMaturity`.
    pub fn blocks_to_maturity(&self, wtx: &WalletTx) -> i32 {
        if !wtx.is_coinbase() {
            return 0;
        }
        let depth = self.depth(wtx).max(0);
        ((COINBASE_MATURITY + 1) - depth).max(0)
    }

    /// `IsTxImmatureCoinBase`.
    pub fn is_immature_coinbase(&self, wtx: &WalletTx) -> bool {
        self.blocks_to_maturity(wtx) > 0
    }

    /// The wallet transactions spending `outpoint`.
    pub fn spenders(&self, outpoint: &OutPoint) -> Vec<Txid> {
        let mut v: Vec<Txid> = self.graph.outspends(*outpoint).iter().copied().collect();
        v.sort();
        v
    }

    /// `IsSpent`.
    pub fn is_spent(&self, outpoint: &OutPoint) -> bool {
        self.graph.outspends(*outpoint).iter().any(|t| {
            self.txs.get(t).is_some_and(|w| {
                !w.is_abandoned() && !w.is_block_conflicted() && !w.is_mempool_conflicted()
            })
        })
    }

    /// `HowSpent`.
    pub fn how_spent(&self, outpoint: &OutPoint) -> SpendType {
        let mut st = SpendType::Unspent;
        for t in self.graph.outspends(*outpoint) {
            let Some(w) = self.txs.get(t) else { continue };
            if w.is_confirmed() {
                return SpendType::Confirmed;
            }
            if w.in_mempool() {
                st = SpendType::Mempool;
            } else if !w.is_abandoned()
                && !w.is_block_conflicted()
                && !w.is_mempool_conflicted()
                && st == SpendType::Unspent
            {
                st = SpendType::NonMempool;
            }
        }
        st
    }

    /// `IsSpentKey`: the output's address was spent from before.
    pub fn is_spent_key(&self, script: &ScriptBuf) -> bool {
        crate::address::encode(script, self.network)
            .and_then(|a| self.address_book.get(&a))
            .is_some_and(|e| e.previously_spent)
    }

    /// `CachedTxIsFromMe`.
    pub fn tx_is_from_me(&self, wtx: &WalletTx) -> bool {
        self.is_from_me(&wtx.tx)
    }

    /// `CachedTxIsTrusted`.
    pub fn is_trusted(&self, wtx: &WalletTx, trusted: &mut HashSet<Txid>) -> bool {
        if trusted.contains(&wtx.txid) || wtx.is_confirmed() {
            return true;
        }
        if wtx.is_block_conflicted() {
            return false;
        }
        if !self.options.spend_zero_conf_change || !self.tx_is_from_me(wtx) {
            return false;
        }
        if !wtx.in_mempool() {
            return false;
        }
        for input in &wtx.tx.input {
            let Some(parent) = self.txs.get(&input.previous_output.txid) else {
                return false;
            };
            let Some(out) = parent.tx.output.get(input.previous_output.vout as usize) else {
                return false;
            };
            if !self.is_mine_script(&out.script_pubkey) {
                return false;
            }
            if trusted.contains(&parent.txid) {
                continue;
            }
            if !self.is_trusted(parent, trusted) {
                return false;
            }
            trusted.insert(parent.txid);
        }
        true
    }

    /// `GetBalance`.
    pub fn balance(&self, min_depth: i32, avoid_reuse: bool, include_nonmempool: bool) -> Balance {
        let allow_used = !avoid_reuse || !self.has_flag(flags::AVOID_REUSE);
        let mut ret = Balance::default();
        let mut trusted = HashSet::new();
        for (outpoint, txout) in &self.txos {
            let Some(wtx) = self.txs.get(&outpoint.txid) else {
                continue;
            };
            let is_trusted = self.is_trusted(wtx, &mut trusted);
            let depth = self.depth(wtx);
            let mut nonmempool_spent = false;
            match self.how_spent(outpoint) {
                SpendType::Confirmed | SpendType::Mempool => continue,
                SpendType::NonMempool => {
                    if !include_nonmempool {
                        continue;
                    }
                    nonmempool_spent = true;
                }
                SpendType::Unspent => {}
            }
            let value = txout.value.to_sat() as i64;
            let bucket = if self.is_immature_coinbase(wtx) && wtx.is_confirmed() {
                Some(&mut ret.immature)
            } else if is_trusted && depth >= min_depth {
                Some(&mut ret.trusted)
            } else if !is_trusted && wtx.in_mempool() {
                Some(&mut ret.untrusted_pending)
            } else {
                None
            };
            if let Some(bucket) = bucket {
                let bucket = if !allow_used && self.is_spent_key(&txout.script_pubkey) {
                    &mut ret.used
                } else {
                    bucket
                };
                *bucket += value;
                if nonmempool_spent {
                    ret.nonmempool -= value;
                }
            }
        }
        ret
    }

    // ----- adding and updating transactions -----

    fn refresh_txos(&mut self, txid: &Txid) {
        let Some(wtx) = self.txs.get(txid) else {
            return;
        };
        let mut mine = Vec::new();
        for (i, out) in wtx.tx.output.iter().enumerate() {
            if self.is_mine_script(&out.script_pubkey) {
                mine.push((OutPoint::new(*txid, i as u32), out.clone()));
            }
        }
        for (o, out) in mine {
            self.txos.entry(o).or_insert(out);
        }
    }

    /// Recomputes the owned outputs of every transaction (after adding descriptors).
    pub fn refresh_all_txos(&mut self) {
        let ids: Vec<Txid> = self.txs.keys().copied().collect();
        for t in ids {
            self.refresh_txos(&t);
        }
    }

    fn write_tx(&mut self, txid: &Txid) {
        if let Some(w) = self.txs.get(txid) {
            let r = Record::Tx {
                txid: *txid,
                wtx: Box::new(w.to_record()),
            };
            self.write(r);
        }
    }

    fn inc_order_pos_next(&mut self) -> i64 {
        let n = self.order_pos_next;
        self.order_pos_next += 1;
        self.write(Record::OrderPosNext(self.order_pos_next));
        n
    }

    fn compute_time_smart(
        &self,
        wtx: &WalletTx,
        rescanning_old_block: bool,
        chain: &dyn BlockLookup,
    ) -> u32 {
        let block = match &wtx.state {
            TxState::Confirmed { block_hash, .. } | TxState::BlockConflicted { block_hash, .. } => {
                Some(*block_hash)
            }
            _ => None,
        };
        let mut smart = wtx.time_received;
        let Some(hash) = block else { return smart };
        match chain.block(&hash) {
            Some((block_time, max_time, _, _)) => {
                if rescanning_old_block {
                    smart = max_time.clamp(0, u32::MAX as i64) as u32;
                } else {
                    let mut latest_now = i64::from(wtx.time_received);
                    let mut latest_entry = 0i64;
                    let latest_tolerated = latest_now + 300;
                    for (_, t) in self.ordered.iter().rev() {
                        if *t == wtx.txid {
                            continue;
                        }
                        let Some(p) = self.txs.get(t) else { continue };
                        let smart_time = i64::from(if p.time_smart != 0 {
                            p.time_smart
                        } else {
                            p.time_received
                        });
                        if smart_time <= latest_tolerated {
                            latest_entry = smart_time;
                            if smart_time > latest_now {
                                latest_now = smart_time;
                            }
                            break;
                        }
                    }
                    smart = latest_entry
                        .max(block_time.min(latest_now))
                        .clamp(0, u32::MAX as i64) as u32;
                }
            }
            None => self.log(&format!(
                "ComputeTimeSmart: found {} in block {hash} not in index",
                wtx.txid
            )),
        }
        smart
    }

    fn mark_used_addresses(&mut self, txid: &Txid) {
        if !self.has_flag(flags::AVOID_REUSE) {
            return;
        }
        let Some(wtx) = self.txs.get(txid) else {
            return;
        };
        let spent: Vec<ScriptBuf> = wtx
            .tx
            .input
            .iter()
            .filter_map(|i| self.txos.get(&i.previous_output))
            .map(|o| o.script_pubkey.clone())
            .collect();
        for script in spent {
            if let Some(addr) = crate::address::encode(&script, self.network) {
                let entry = self.address_book.entry(addr.clone()).or_default();
                if !entry.previously_spent {
                    entry.previously_spent = true;
                    self.write(Record::previously_spent(addr));
                }
            }
        }
    }

    /// `AddToWallet`: inserts or updates `tx` in `state`; `update` may change the wallet
    /// transaction (returning whether it did). Returns the txid.
    pub fn add_to_wallet(
        &mut self,
        tx: Arc<Transaction>,
        state: TxState,
        update: Option<&TxUpdater<'_>>,
        rescanning_old_block: bool,
        chain: &dyn BlockLookup,
    ) -> Txid {
        let txid = tx.compute_txid();
        let inserted = !self.txs.contains_key(&txid);
        if inserted {
            self.txs
                .insert(txid, WalletTx::new(tx.clone(), state.clone()));
            let _ = self.graph.insert_tx(tx.clone());
        }
        // Avoid-reuse marks are written before the transaction, as Core does.
        self.mark_used_addresses(&txid);
        let mut updated = false;
        if let (Some(f), Some(w)) = (update, self.txs.get_mut(&txid)) {
            updated = f(w, inserted);
        }
        if inserted {
            let now = chain.now().clamp(0, u32::MAX as i64) as u32;
            let pos = self.inc_order_pos_next();
            if let Some(w) = self.txs.get_mut(&txid) {
                w.time_received = now;
                w.order_pos = pos;
            }
            self.ordered.insert((pos, txid));
            let smart = self
                .txs
                .get(&txid)
                .map(|w| self.compute_time_smart(w, rescanning_old_block, chain))
                .unwrap_or(now);
            if let Some(w) = self.txs.get_mut(&txid) {
                w.time_smart = smart;
            }
            // Adding a spend releases a lock on the coin, as Core's AddToSpends does.
            for input in &tx.input {
                if !tx.is_coinbase() {
                    self.unlock_coin(&input.previous_output);
                }
            }
            if let Some(t) = self.txs.get(&txid).map(|w| w.tx_time()) {
                self.birth_time = self.birth_time.min(t);
            }
        } else if let Some(w) = self.txs.get_mut(&txid) {
            if !w.state.same_kind(&state) {
                w.state = state.clone();
                updated = true;
            }
            // A witness-carrying copy replaces a stripped one; a confirmed one becomes canonical.
            if w.tx.compute_wtxid() != tx.compute_wtxid()
                && (matches!(state, TxState::Confirmed { .. })
                    || w.tx.input.iter().all(|i| i.witness.is_empty()))
            {
                w.tx = tx.clone();
                updated = true;
            }
        }
        // Inactive coinbases and their descendants are abandoned.
        let inactive_coinbase = self
            .txs
            .get(&txid)
            .is_some_and(|w| w.is_coinbase() && w.is_inactive());
        if inactive_coinbase {
            let mut todo = vec![txid];
            let mut seen = HashSet::new();
            while let Some(t) = todo.pop() {
                if !seen.insert(t) {
                    continue;
                }
                if let Some(w) = self.txs.get_mut(&t) {
                    w.state = TxState::Inactive { abandoned: true };
                }
                self.write_tx(&t);
                todo.extend(self.descendant_spenders(&t));
            }
        }
        let status = match (inserted, updated) {
            (true, true) => "new, update",
            (true, false) => "new",
            (false, true) => "update",
            (false, false) => "no-change",
        };
        self.log(&format!(
            "AddToWallet {txid} {status} {}",
            state.log_string()
        ));
        if inserted || updated {
            self.write_tx(&txid);
        }
        self.refresh_txos(&txid);
        txid
    }

    /// Wallet transactions spending any output of `txid`.
    fn descendant_spenders(&self, txid: &Txid) -> Vec<Txid> {
        let Some(w) = self.txs.get(txid) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in 0..w.tx.output.len() as u32 {
            out.extend(
                self.graph
                    .outspends(OutPoint::new(*txid, i))
                    .iter()
                    .copied(),
            );
        }
        out.sort();
        out
    }

    /// `RecursiveUpdateTxState`: applies `update` to `txid` and, where it changed
    /// something, to every wallet transaction spending its outputs. `write` stores the
    /// changed ones.
    pub fn recursive_update(
        &mut self,
        txid: Txid,
        write: bool,
        update: &dyn Fn(&mut WalletTx, i32) -> bool,
    ) {
        let mut todo: BTreeSet<Txid> = BTreeSet::from([txid]);
        let mut done = BTreeSet::new();
        while let Some(now) = todo.pop_first() {
            done.insert(now);
            let depth = match self.txs.get(&now) {
                Some(w) => self.depth(w),
                None => continue,
            };
            let changed = match self.txs.get_mut(&now) {
                Some(w) => update(w, depth),
                None => false,
            };
            if changed {
                if write {
                    self.write_tx(&now);
                }
                for d in self.descendant_spenders(&now) {
                    if !done.contains(&d) {
                        todo.insert(d);
                    }
                }
            }
        }
    }

    /// `MarkConflicted`.
    pub fn mark_conflicted(&mut self, block: BlockHash, conflicting_height: i32, txid: Txid) {
        let last = self.last_block_height();
        if last < 0 || conflicting_height < 0 {
            return;
        }
        let conflict_confirms = -(last - conflicting_height + 1);
        if conflict_confirms >= 0 {
            return;
        }
        self.recursive_update(txid, true, &move |w, depth| {
            if conflict_confirms < depth {
                w.state = TxState::BlockConflicted {
                    block_hash: block,
                    height: conflicting_height,
                };
                true
            } else {
                false
            }
        });
    }

    /// `AbandonTransaction`: marks `txid` and its wallet descendants abandoned so their
    /// inputs may be spent again. Only a transaction neither confirmed, conflicted nor in
    /// the pool qualifies; returns false otherwise (or when it is not a wallet
    /// transaction).
    pub fn abandon_transaction(&mut self, txid: &Txid) -> bool {
        let Some(wtx) = self.txs.get(txid) else {
            return false;
        };
        if self.depth(wtx) != 0 || wtx.in_mempool() {
            return false;
        }
        // Descendants of a transaction outside blocks and the pool are outside them too;
        // conflicted ones stay conflicted.
        self.recursive_update(*txid, true, &|w, _| {
            if w.is_block_conflicted() || w.is_abandoned() {
                return false;
            }
            w.state = TxState::Inactive { abandoned: true };
            true
        });
        true
    }

    /// `AddToWalletIfInvolvingMe`.
    pub fn add_if_involving_me(
        &mut self,
        tx: &Arc<Transaction>,
        state: TxState,
        rescanning_old_block: bool,
        chain: &dyn BlockLookup,
    ) -> Result<bool, WalletError> {
        let txid = tx.compute_txid();
        if let TxState::Confirmed {
            block_hash, height, ..
        } = &state
        {
            for input in &tx.input {
                for other in self.spenders(&input.previous_output) {
                    if other != txid {
                        self.log(&format!(
                            "Transaction {txid} (in block {block_hash}) conflicts with wallet transaction {other} (both spend {}:{})",
                            input.previous_output.txid, input.previous_output.vout
                        ));
                        self.mark_conflicted(*block_hash, *height, other);
                    }
                }
            }
        }
        let existed = self.txs.contains_key(&txid);
        if !(existed || self.is_mine_tx(tx) || self.is_from_me(tx)) {
            return Ok(false);
        }
        let keypool = self.options.keypool_size;
        for out in &tx.output {
            for id in self.spkms_for(&out.script_pubkey) {
                let marked = match self.spkms.get_mut(&id) {
                    Some(s) => s.mark_used(&out.script_pubkey, keypool)?,
                    None => Vec::new(),
                };
                let had_effect = !marked.is_empty();
                for r in marked {
                    self.write(r);
                }
                let _ = had_effect;
                if self.is_internal_spkm(&id) == Some(false) {
                    if let Some(addr) = crate::address::encode(&out.script_pubkey, self.network) {
                        if self.find_address_book_entry(&addr, false).is_none() {
                            self.set_address_book(&addr, "", Some(AddressPurpose::Receive));
                        }
                    }
                }
            }
        }
        self.add_to_wallet(tx.clone(), state, None, rescanning_old_block, chain);
        Ok(true)
    }

    /// `SyncTransaction`.
    pub fn sync_transaction(
        &mut self,
        tx: &Arc<Transaction>,
        state: TxState,
        rescanning_old_block: bool,
        chain: &dyn BlockLookup,
    ) -> Result<bool, WalletError> {
        self.add_if_involving_me(tx, state, rescanning_old_block, chain)
    }

    fn refresh_mempool_status(&mut self, txid: &Txid, chain: &dyn BlockLookup) {
        let in_pool = chain.in_mempool(txid);
        if let Some(w) = self.txs.get_mut(txid) {
            if in_pool {
                w.state = TxState::InMempool;
            } else if w.in_mempool() {
                w.state = TxState::Inactive { abandoned: false };
            }
        }
    }

    /// `transactionAddedToMempool`.
    pub fn transaction_added_to_mempool(
        &mut self,
        tx: &Arc<Transaction>,
        chain: &dyn BlockLookup,
    ) -> Result<(), WalletError> {
        self.sync_transaction(tx, TxState::InMempool, false, chain)?;
        let txid = tx.compute_txid();
        if self.txs.contains_key(&txid) {
            self.refresh_mempool_status(&txid, chain);
        }
        for input in &tx.input {
            for spent in self.spenders(&input.previous_output) {
                if spent == txid {
                    continue;
                }
                self.recursive_update(spent, false, &move |w, _| w.mempool_conflicts.insert(txid));
            }
        }
        if tx.version.0 == TRUC_VERSION {
            for input in &tx.input {
                let parent = input.previous_output.txid;
                let unconfirmed = self.txs.get(&parent).is_some_and(|p| p.is_unconfirmed());
                if unconfirmed {
                    if let Some(p) = self.txs.get_mut(&parent) {
                        p.truc_child_in_mempool = Some(txid);
                    }
                    self.update_truc_sibling_conflicts(parent, txid, true);
                }
            }
        }
        Ok(())
    }

    /// `UpdateTrucSiblingConflicts`: the other spenders of `parent`'s outputs conflict
    /// with `child` while it is in the pool, since TRUC allows one child.
    fn update_truc_sibling_conflicts(&mut self, parent: Txid, child: Txid, add: bool) {
        let outputs = self
            .txs
            .get(&parent)
            .map_or(0, |w| w.tx.output.len() as u32);
        for vout in 0..outputs {
            for sibling in self.spenders(&OutPoint::new(parent, vout)) {
                if sibling == child {
                    continue;
                }
                self.recursive_update(sibling, false, &move |w, _| {
                    if add {
                        w.mempool_conflicts.insert(child)
                    } else {
                        w.mempool_conflicts.remove(&child)
                    }
                });
            }
        }
    }

    /// `transactionRemovedFromMempool`.
    pub fn transaction_removed_from_mempool(
        &mut self,
        tx: &Arc<Transaction>,
        conflict: bool,
        chain: &dyn BlockLookup,
    ) -> Result<(), WalletError> {
        let txid = tx.compute_txid();
        if self.txs.contains_key(&txid) {
            self.refresh_mempool_status(&txid, chain);
        }
        if conflict {
            self.sync_transaction(tx, TxState::Inactive { abandoned: false }, false, chain)?;
        }
        for input in &tx.input {
            for spent in self.spenders(&input.previous_output) {
                self.recursive_update(spent, false, &move |w, _| w.mempool_conflicts.remove(&txid));
            }
        }
        if tx.version.0 == TRUC_VERSION {
            for input in &tx.input {
                let parent = input.previous_output.txid;
                let was_child = self
                    .txs
                    .get(&parent)
                    .is_some_and(|p| p.truc_child_in_mempool == Some(txid));
                if was_child {
                    if let Some(p) = self.txs.get_mut(&parent) {
                        p.truc_child_in_mempool = None;
                    }
                    self.update_truc_sibling_conflicts(parent, txid, false);
                }
            }
        }
        Ok(())
    }

    /// `blockConnected`; returns whether the best block should be written.
    pub fn block_connected(
        &mut self,
        block: &interfaces::BlockInfo,
        chain: &dyn BlockLookup,
    ) -> Result<(), WalletError> {
        self.last_block = Some((block.hash, block.height));
        // Blocks well before the wallet's birth cannot hold its transactions.
        if block.chain_time_max < self.birth_time.saturating_sub(2 * TIMESTAMP_WINDOW) {
            return Ok(());
        }
        let mut updated = false;
        for (index, tx) in block.data.txdata.iter().enumerate() {
            let tx = Arc::new(tx.clone());
            updated |= self.sync_transaction(
                &tx,
                TxState::Confirmed {
                    block_hash: block.hash,
                    height: block.height,
                    index: index as i32,
                },
                false,
                chain,
            )?;
            // A block removal is not announced by the node; the wallet does it itself.
            self.transaction_removed_from_mempool(&tx, false, chain)?;
        }
        if updated || block.height % 144 == 0 {
            self.write_best_block(chain);
        }
        Ok(())
    }

    /// `blockDisconnected`.
    pub fn block_disconnected(
        &mut self,
        block: &interfaces::BlockInfo,
        chain: &dyn BlockLookup,
    ) -> Result<(), WalletError> {
        let disconnect_height = block.height;
        for (index, tx) in block.data.txdata.iter().enumerate() {
            let tx = Arc::new(tx.clone());
            self.sync_transaction(
                &tx,
                TxState::Inactive {
                    abandoned: index == 0,
                },
                false,
                chain,
            )?;
            for input in &tx.input {
                for other in self.spenders(&input.previous_output) {
                    if !self
                        .txs
                        .get(&other)
                        .is_some_and(|w| w.is_block_conflicted())
                    {
                        continue;
                    }
                    self.recursive_update(other, true, &move |w, _| match w.state {
                        TxState::BlockConflicted { height, .. } if height >= disconnect_height => {
                            w.state = TxState::Inactive { abandoned: false };
                            true
                        }
                        _ => false,
                    });
                }
            }
        }
        self.last_block = Some((block.prev_hash, block.height - 1));
        self.write_best_block(chain);
        Ok(())
    }

    /// `WriteBestBlock`.
    pub fn write_best_block(&mut self, chain: &dyn BlockLookup) {
        if let Some((hash, _)) = self.last_block {
            let locator = chain.locator(&hash);
            if !locator.is_empty() {
                self.write(Record::BestBlockNoMerkle(
                    walletdb::records::BlockLocator::new(locator),
                ));
            }
        }
    }

    /// `LoadToWallet`: a stored transaction, its state checked against the chain.
    pub fn load_tx(&mut self, mut wtx: WalletTx, chain: Option<&dyn BlockLookup>) {
        if self.txs.contains_key(&wtx.txid) {
            return;
        }
        if let Some(chain) = chain {
            let lookup = |hash: &BlockHash| chain.block(hash).filter(|b| b.3).map(|b| b.2);
            match wtx.state.clone() {
                TxState::Confirmed {
                    block_hash, index, ..
                } => {
                    wtx.state = match lookup(&block_hash) {
                        Some(height) => TxState::Confirmed {
                            block_hash,
                            height,
                            index,
                        },
                        None => TxState::Inactive { abandoned: false },
                    }
                }
                TxState::BlockConflicted { block_hash, .. } => {
                    wtx.state = match lookup(&block_hash) {
                        Some(height) => TxState::BlockConflicted { block_hash, height },
                        None => TxState::Inactive { abandoned: false },
                    }
                }
                _ => {}
            }
        }
        let txid = wtx.txid;
        let tx = wtx.tx.clone();
        self.ordered.insert((wtx.order_pos, txid));
        self.birth_time = self.birth_time.min(wtx.tx_time());
        self.txs.insert(txid, wtx);
        let _ = self.graph.insert_tx(tx.clone());
        for input in &tx.input {
            let conflicted =
                self.txs
                    .get(&input.previous_output.txid)
                    .and_then(|p| match p.state {
                        TxState::BlockConflicted { block_hash, height } => {
                            Some((block_hash, height))
                        }
                        _ => None,
                    });
            if let Some((b, h)) = conflicted {
                self.mark_conflicted(b, h, txid);
            }
        }
        self.refresh_txos(&txid);
    }

    // ----- locked coins -----

    /// `LockCoin`.
    pub fn lock_coin(&mut self, outpoint: OutPoint, persist: bool) {
        self.locked_coins.insert(outpoint, persist);
        if persist {
            self.write(Record::LockedUtxo { outpoint });
        }
    }

    /// `UnlockCoin`; true if it was locked.
    pub fn unlock_coin(&mut self, outpoint: &OutPoint) -> bool {
        match self.locked_coins.remove(outpoint) {
            Some(persisted) => {
                if persisted {
                    self.erase(&Record::LockedUtxo {
                        outpoint: *outpoint,
                    });
                }
                true
            }
            None => false,
        }
    }

    /// `IsLockedCoin`.
    pub fn is_locked_coin(&self, outpoint: &OutPoint) -> bool {
        self.locked_coins.contains_key(outpoint)
    }

    // ----- addresses -----

    /// `GetNewDestination`: the next address of `output_type`, labelled `label`.
    pub fn new_destination(
        &mut self,
        output_type: OutputType,
        label: &str,
    ) -> Result<ScriptBuf, WalletError> {
        let id = *self.active_external.get(&output_type).ok_or_else(|| {
            WalletError::Keypool(format!(
                "Error: No {} addresses available.",
                crate::address::output_type_name(output_type)
            ))
        })?;
        let keypool = self.options.keypool_size;
        let (script, records) = self
            .spkms
            .get_mut(&id)
            .ok_or_else(|| WalletError::Corrupt("active descriptor missing".into()))?
            .next_script(keypool)?;
        for r in records {
            self.write(r);
        }
        if let Some(addr) = crate::address::encode(&script, self.network) {
            self.set_address_book(&addr, label, Some(AddressPurpose::Receive));
        }
        Ok(script)
    }

    /// `GetNewChangeDestination`.
    pub fn new_change_destination(
        &mut self,
        output_type: OutputType,
    ) -> Result<ScriptBuf, WalletError> {
        let id = *self.active_internal.get(&output_type).ok_or_else(|| {
            WalletError::Keypool(format!(
                "Error: No {} addresses available.",
                crate::address::output_type_name(output_type)
            ))
        })?;
        let keypool = self.options.keypool_size;
        let (script, records) = self
            .spkms
            .get_mut(&id)
            .ok_or_else(|| WalletError::Corrupt("active descriptor missing".into()))?
            .next_script(keypool)?;
        for r in records {
            self.write(r);
        }
        Ok(script)
    }

    /// Adds a descriptor manager (`AddScriptPubKeyMan`).
    pub fn add_spkm(&mut self, spkm: DescriptorSpkm) {
        self.spkms.insert(spkm.id, spkm);
    }

    /// Makes `id` the active descriptor for `output_type` (`AddActiveScriptPubKeyMan`).
    pub fn set_active(&mut self, id: DescriptorId, output_type: OutputType, internal: bool) {
        let byte = output_type.to_u8();
        if internal {
            self.active_internal.insert(output_type, id);
            self.write(Record::ActiveInternalSpk {
                output_type: byte,
                desc_id: id,
            });
        } else {
            self.active_external.insert(output_type, id);
            self.write(Record::ActiveExternalSpk {
                output_type: byte,
                desc_id: id,
            });
        }
    }

    /// Whether the keys are encrypted (`HasEncryptionKeys`).
    pub fn is_crypted(&self) -> bool {
        !self.master_keys.is_empty()
    }

    /// Whether the keys are encrypted and locked (`IsLocked`).
    pub fn is_locked(&self) -> bool {
        self.is_crypted() && self.master_key.is_none()
    }
}

/// Core's `TIMESTAMP_WINDOW`: how far block times may stray (two hours).
pub const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;
#[path = "state_remove.rs"]
mod remove;
#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
