//! Accepting transactions and packages into the pool (Core's `MemPoolAccept` in
//! validation.cpp), with Core's reject reasons.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bitcoin::{OutPoint, Transaction, TxOut, Txid, Wtxid};
use common::logging::Category;
use common::{log_debug, log_error};
use consensus::block::{verify_scripts, verify_tx_scripts, ScriptCache, TxToVerify};
use consensus::script::VerifyFlags;
use consensus::tx::transaction_sig_op_cost;
use consensus::tx::{calculate_sequence_locks, evaluate_sequence_locks, is_final_tx};
use consensus::tx::{check_tx_inputs, format_money, SpentCoin};

use crate::feerate::FeeRate;
use crate::package;
use crate::policy::{self, StandardOptions, STANDARD_SCRIPT_VERIFY_FLAGS};
use crate::pool::{Mempool, NewEntry, StagedTx};
use crate::truc;

/// Height Core gives coins created by pool transactions (`MEMPOOL_HEIGHT`).
pub const MEMPOOL_HEIGHT: u32 = 0x7FFF_FFFF;
/// Most clusters a replacement may conflict with (`MAX_REPLACEMENT_CANDIDATES`).
pub const MAX_REPLACEMENT_CANDIDATES: usize = 100;

/// What acceptance needs from the active chain.
pub trait ChainView {
    /// Tip height.
    fn height(&self) -> u32;
    /// Median time past of the tip.
    fn median_time_past(&self) -> i64;
    /// Median time past of the active block at `height`.
    fn median_time_past_at(&self, height: u32) -> i64;
    /// The unspent coin at `outpoint` in the UTXO set.
    fn coin(&self, outpoint: &OutPoint) -> Option<SpentCoin>;
    /// Script flags of the tip block (`GetBlockScriptFlags`), for the consensus recheck.
    fn script_flags(&self) -> VerifyFlags;
    /// The node's current time (mockable), seconds.
    fn now(&self) -> i64;
    /// The chain's script-execution cache, if any: the consensus recheck records the
    /// transaction there so a block holding it skips its scripts.
    fn script_cache(&self) -> Option<&ScriptCache> {
        None
    }
    /// Whether `outpoint` is unspent in the chain's coin cache, without reading the
    /// store (`HaveCoinInCache`); the default asks [`Self::coin`].
    fn coin_in_cache(&self, outpoint: &OutPoint) -> bool {
        self.coin(outpoint).is_some()
    }
    /// Whether the node is synced enough for fee estimation to learn from new
    /// transactions (`IsCurrentForFeeEstimation`).
    fn is_current_for_fee_estimation(&self) -> bool {
        false
    }
}

/// Core's `TxValidationResult`: the class of a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxResultKind {
    /// Breaks consensus rules.
    Consensus,
    /// Inputs not standard.
    InputsNotStandard,
    /// Not standard.
    NotStandard,
    /// Inputs missing or spent.
    MissingInputs,
    /// Locked until a later block.
    PrematureSpend,
    /// Witness malleated or non-standard.
    WitnessMutated,
    /// Witness stripped.
    WitnessStripped,
    /// Conflicts with the pool or chain.
    Conflict,
    /// Pool policy.
    MempoolPolicy,
    /// Might be accepted in a package (fee-related).
    Reconsiderable,
}

/// A rejection: class, reason and debug message (`TxValidationState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxState {
    /// Class.
    pub kind: TxResultKind,
    /// Reject reason.
    pub reason: String,
    /// Extra detail.
    pub debug: String,
}

impl TxState {
    fn new(kind: TxResultKind, reason: impl Into<String>, debug: impl Into<String>) -> TxState {
        TxState {
            kind,
            reason: reason.into(),
            debug: debug.into(),
        }
    }
}

/// `ValidationState::ToString`: the reason, then the debug message when there is one.
fn state_string(f: &mut std::fmt::Formatter<'_>, reason: &str, debug: &str) -> std::fmt::Result {
    if debug.is_empty() {
        f.write_str(reason)
    } else {
        write!(f, "{reason}, {debug}")
    }
}

impl std::fmt::Display for TxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        state_string(f, &self.reason, &self.debug)
    }
}

/// The result for one transaction (`MempoolAcceptResult`).
#[derive(Debug, Clone)]
pub enum TxResult {
    /// Accepted (or would be, in a test).
    Valid {
        /// Virtual size.
        vsize: i64,
        /// Base fee.
        fee: i64,
        /// The feerate it was judged at.
        effective_feerate: FeeRate,
        /// The transactions that feerate covers.
        effective_wtxids: Vec<Wtxid>,
        /// Transactions it replaced.
        replaced: Vec<Arc<Transaction>>,
    },
    /// Rejected.
    Invalid {
        /// Why.
        state: TxState,
        /// For fee failures: the feerate and transactions judged.
        fee_failure: Option<(FeeRate, Vec<Wtxid>)>,
    },
    /// Already in the pool.
    InMempool {
        /// Virtual size.
        vsize: i64,
        /// Base fee.
        fee: i64,
    },
    /// The pool holds the same transaction with another witness.
    DifferentWitness {
        /// The pool's wtxid.
        other_wtxid: Wtxid,
    },
}

/// Acceptance options (`ATMPArgs`).
#[derive(Debug, Clone)]
pub struct AcceptArgs {
    /// Entry time.
    pub accept_time: i64,
    /// Skip fee and size limits (transactions from disconnected blocks).
    pub bypass_limits: bool,
    /// Check only.
    pub test_accept: bool,
    /// Replacements allowed.
    pub allow_replacement: bool,
    /// TRUC sibling eviction allowed.
    pub allow_sibling_eviction: bool,
    /// Judge fees over the whole package.
    pub package_feerates: bool,
    /// Part of a package submission (no trimming per transaction).
    pub package_submission: bool,
    /// The caller's highest acceptable feerate.
    pub client_maxfeerate: Option<FeeRate>,
}

impl AcceptArgs {
    /// Single transaction from RPC or relay (`ATMPArgs::SingleAccept`).
    pub fn single(accept_time: i64, bypass_limits: bool, test_accept: bool) -> AcceptArgs {
        AcceptArgs {
            accept_time,
            bypass_limits,
            test_accept,
            allow_replacement: true,
            allow_sibling_eviction: true,
            package_feerates: false,
            package_submission: false,
            client_maxfeerate: None,
        }
    }

    /// Test acceptance of several transactions (`ATMPArgs::PackageTestAccept`).
    pub fn package_test(accept_time: i64) -> AcceptArgs {
        AcceptArgs {
            accept_time,
            bypass_limits: false,
            test_accept: true,
            allow_replacement: false,
            allow_sibling_eviction: false,
            package_feerates: false,
            package_submission: false,
            client_maxfeerate: None,
        }
    }

    /// Submission of a child with its parents (`ATMPArgs::PackageChildWithParents`).
    pub fn package_submit(accept_time: i64, client_maxfeerate: Option<FeeRate>) -> AcceptArgs {
        AcceptArgs {
            accept_time,
            bypass_limits: false,
            test_accept: false,
            allow_replacement: true,
            allow_sibling_eviction: false,
            package_feerates: true,
            package_submission: true,
            client_maxfeerate,
        }
    }

    fn single_in_package(a: &Acceptor<'_>) -> AcceptArgs {
        AcceptArgs {
            accept_time: a.accept_time,
            bypass_limits: false,
            test_accept: a.test_accept,
            allow_replacement: true,
            allow_sibling_eviction: true,
            package_feerates: false,
            package_submission: true,
            client_maxfeerate: a.client_maxfeerate,
        }
    }
}

/// A package-level rejection (`PackageValidationState`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageState {
    /// Whether the package as a whole broke a rule (`PCKG_POLICY`), rather than one of
    /// its transactions failing (`PCKG_TX`).
    pub policy: bool,
    /// Reject reason.
    pub reason: String,
    /// Extra detail.
    pub debug: String,
}

impl PackageState {
    /// Core's `PCKG_TX` "transaction failed": one of the package's transactions was
    /// rejected.
    fn transaction_failed() -> PackageState {
        PackageState {
            policy: false,
            reason: "transaction failed".into(),
            debug: String::new(),
        }
    }
}

impl std::fmt::Display for PackageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        state_string(f, &self.reason, &self.debug)
    }
}

/// The result for a package (`PackageMempoolAcceptResult`).
#[derive(Debug, Clone, Default)]
pub struct PackageResult {
    /// The package-level rejection, if any.
    pub state: Option<PackageState>,
    /// Per-transaction results, by wtxid.
    pub results: HashMap<Wtxid, TxResult>,
}

impl PackageResult {
    fn failed(
        reason: &str,
        debug: impl Into<String>,
        results: HashMap<Wtxid, TxResult>,
    ) -> PackageResult {
        PackageResult {
            state: Some(PackageState {
                policy: reason != "transaction failed" && reason != "unspent-dust",
                reason: reason.into(),
                debug: debug.into(),
            }),
            results,
        }
    }
}

struct Workspace {
    tx: Arc<Transaction>,
    txid: Txid,
    wtxid: Wtxid,
    conflicts: BTreeSet<Txid>,
    base_fee: i64,
    modified_fee: i64,
    vsize: i64,
    sigop_cost: i64,
    spends_coinbase: bool,
    parents: Vec<Txid>,
    spent: Vec<TxOut>,
    sibling_eviction: bool,
    entry_sequence: u64,
}

/// One acceptance attempt over the pool and chain (Core's `MemPoolAccept`).
pub struct Acceptor<'a> {
    pool: &'a mut Mempool,
    chain: &'a dyn ChainView,
    /// Outputs of earlier package members (`CCoinsViewMemPool::PackageAddTransaction`).
    package_coins: HashMap<OutPoint, TxOut>,
    /// Staged additions and removals of the current subpackage.
    staged: Vec<StagedTx>,
    removals: Vec<Txid>,
    conflicting_fees: i64,
    conflicting_size: i64,
    total_vsize: i64,
    total_modified_fees: i64,
    rbf: bool,
    accept_time: i64,
    test_accept: bool,
    client_maxfeerate: Option<FeeRate>,
    bypass_limits: bool,
    package_submission: bool,
}

fn invalid(kind: TxResultKind, reason: impl Into<String>, debug: impl Into<String>) -> TxResult {
    TxResult::Invalid {
        state: TxState::new(kind, reason, debug),
        fee_failure: None,
    }
}

impl<'a> Acceptor<'a> {
    /// An acceptor over `pool` on top of `chain`.
    pub fn new(pool: &'a mut Mempool, chain: &'a dyn ChainView) -> Acceptor<'a> {
        Acceptor {
            pool,
            chain,
            package_coins: HashMap::new(),
            staged: Vec::new(),
            removals: Vec::new(),
            conflicting_fees: 0,
            conflicting_size: 0,
            total_vsize: 0,
            total_modified_fees: 0,
            rbf: false,
            accept_time: 0,
            test_accept: false,
            client_maxfeerate: None,
            bypass_limits: false,
            package_submission: false,
        }
    }

    fn clear_subpackage(&mut self) {
        self.staged.clear();
        self.removals.clear();
        self.conflicting_fees = 0;
        self.conflicting_size = 0;
        self.total_vsize = 0;
        self.total_modified_fees = 0;
        self.rbf = false;
    }

    fn standard_options(&self) -> StandardOptions {
        let o = self.pool.options();
        StandardOptions {
            max_datacarrier_bytes: o
                .max_datacarrier_bytes
                .map(|b| b.clamp(0, u32::MAX as i64) as u32),
            permit_bare_multisig: o.permit_bare_multisig,
            dust_relay_feerate: FeeRate::per_kvb(self.pool.options().dust_relay_feerate),
        }
    }

    fn coin(&self, o: &OutPoint) -> Option<SpentCoin> {
        if let Some(out) = self.package_coins.get(o) {
            return Some(SpentCoin {
                output: out.clone(),
                height: MEMPOOL_HEIGHT,
                is_coinbase: false,
            });
        }
        if let Some(out) = self.pool.output(o) {
            return Some(SpentCoin {
                output: out,
                height: MEMPOOL_HEIGHT,
                is_coinbase: false,
            });
        }
        self.chain.coin(o)
    }

    fn check_fee_rate(&mut self, vsize: i64, fee: i64) -> Result<(), TxState> {
        let reject = self.pool.min_fee(self.now()).fee(vsize);
        if reject > 0 && fee < reject {
            return Err(TxState::new(
                TxResultKind::Reconsiderable,
                "mempool min fee not met",
                format!("{fee} < {reject}"),
            ));
        }
        let relay = FeeRate::per_kvb(self.pool.options().min_relay_feerate).fee(vsize);
        if fee < relay {
            return Err(TxState::new(
                TxResultKind::Reconsiderable,
                "min relay fee not met",
                format!("{fee} < {relay}"),
            ));
        }
        Ok(())
    }

    fn now(&self) -> i64 {
        self.chain.now()
    }

    fn pre_checks(
        &mut self,
        tx: &Arc<Transaction>,
        args: &AcceptArgs,
    ) -> Result<Workspace, TxState> {
        use TxResultKind::*;
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        if let Err(e) = consensus::tx::check_transaction(tx) {
            return Err(TxState::new(Consensus, e.reason(), ""));
        }
        if tx.is_coinbase() {
            return Err(TxState::new(Consensus, "coinbase", ""));
        }
        let require_standard = self.pool.options().require_standard;
        if require_standard {
            if let Err(reason) = policy::is_standard_tx(tx, &self.standard_options()) {
                return Err(TxState::new(NotStandard, reason, ""));
            }
        }
        if tx.base_size() < policy::MIN_STANDARD_TX_NONWITNESS_SIZE {
            return Err(TxState::new(NotStandard, "tx-size-small", ""));
        }
        let height = self.chain.height();
        let mtp = self.chain.median_time_past();
        if !is_final_tx(tx, height as i32 + 1, mtp) {
            return Err(TxState::new(PrematureSpend, "non-final", ""));
        }
        if self.pool.contains_wtxid(&wtxid) {
            return Err(TxState::new(Conflict, "txn-already-in-mempool", ""));
        } else if self.pool.contains(&txid) {
            return Err(TxState::new(
                Conflict,
                "txn-same-nonwitness-data-in-mempool",
                "",
            ));
        }
        let mut conflicts = BTreeSet::new();
        for input in &tx.input {
            if let Some(c) = self.pool.spender(&input.previous_output) {
                if !args.allow_replacement {
                    return Err(TxState::new(
                        MempoolPolicy,
                        "bip125-replacement-disallowed",
                        "",
                    ));
                }
                conflicts.insert(c);
            }
        }
        let mut coins = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            match self.coin(&input.previous_output) {
                Some(c) => coins.push(c),
                None => {
                    // Optimistic, as Core: only the cache, never the store.
                    for vout in 0..tx.output.len() as u32 {
                        if self.chain.coin_in_cache(&OutPoint { txid, vout }) {
                            return Err(TxState::new(Conflict, "txn-already-known", ""));
                        }
                    }
                    return Err(TxState::new(
                        MissingInputs,
                        "bad-txns-inputs-missingorspent",
                        "",
                    ));
                }
            }
        }
        let mut prev_heights: Vec<i32> = coins
            .iter()
            .map(|c| {
                if c.height == MEMPOOL_HEIGHT {
                    height as i32 + 1
                } else {
                    c.height as i32
                }
            })
            .collect();
        let chain = self.chain;
        let locks = calculate_sequence_locks(tx, true, &mut prev_heights, |h| {
            chain.median_time_past_at(h.max(0) as u32)
        });
        if !evaluate_sequence_locks(height as i32 + 1, mtp, locks) {
            return Err(TxState::new(PrematureSpend, "non-BIP68-final", ""));
        }
        let as_opt: Vec<Option<SpentCoin>> = coins.iter().cloned().map(Some).collect();
        let base_fee = match check_tx_inputs(tx, &as_opt, height + 1) {
            Ok(f) => f,
            Err(e) => {
                let kind = match e {
                    consensus::tx::TxInputsError::MissingOrSpent => MissingInputs,
                    consensus::tx::TxInputsError::PrematureSpendOfCoinbase { .. } => PrematureSpend,
                    _ => Consensus,
                };
                return Err(TxState::new(
                    kind,
                    e.reason(),
                    e.debug_message().unwrap_or_default(),
                ));
            }
        };
        let spent: Vec<TxOut> = coins.iter().map(|c| c.output.clone()).collect();
        if require_standard {
            if let Err(d) = policy::validate_inputs_standardness(tx, &spent) {
                return Err(TxState::new(
                    InputsNotStandard,
                    "bad-txns-nonstandard-inputs",
                    d,
                ));
            }
        }
        let has_witness = tx.input.iter().any(|i| !i.witness.is_empty());
        if has_witness && require_standard && !policy::is_witness_standard(tx, &spent) {
            return Err(TxState::new(WitnessMutated, "bad-witness-nonstandard", ""));
        }
        let sigop_cost = transaction_sig_op_cost(tx, &spent, STANDARD_SCRIPT_VERIFY_FLAGS);
        let spends_coinbase = coins.iter().any(|c| c.is_coinbase);
        let entry_sequence = if args.bypass_limits {
            0
        } else {
            self.pool.sequence()
        };
        let (adjusted_weight, vsize) = self.pool.sizes(tx, sigop_cost);
        let modified_fee = base_fee.saturating_add(self.pool.delta(&txid));
        if require_standard
            && !package::pre_check_ephemeral(
                tx,
                FeeRate::per_kvb(self.pool.options().dust_relay_feerate),
                base_fee,
                modified_fee,
            )
        {
            return Err(TxState::new(
                NotStandard,
                "dust",
                "tx with dust output must be 0-fee",
            ));
        }
        if sigop_cost > policy::MAX_STANDARD_TX_SIGOPS_COST {
            return Err(TxState::new(
                NotStandard,
                "bad-txns-too-many-sigops",
                sigop_cost.to_string(),
            ));
        }
        if !args.bypass_limits && !args.package_feerates {
            self.check_fee_rate(vsize, modified_fee)?;
        }
        let mut parents = self.pool.parents_of_tx(tx);
        // Parents staged earlier in this subpackage count too, for cluster staging.
        for s in &self.staged {
            if tx.input.iter().any(|i| i.previous_output.txid == s.txid)
                && !parents.contains(&s.txid)
            {
                parents.push(s.txid);
            }
        }
        let pool_parents: Vec<Txid> = parents
            .iter()
            .filter(|p| self.pool.contains(p))
            .copied()
            .collect();
        let mut sibling_eviction = false;
        if !args.bypass_limits {
            let direct: Vec<Txid> = conflicts.iter().copied().collect();
            if let Err((msg, sibling)) =
                truc::single_checks(self.pool, tx, &pool_parents, &direct, vsize)
            {
                match sibling {
                    Some(s) if args.allow_sibling_eviction => {
                        conflicts.insert(s);
                        sibling_eviction = true;
                    }
                    _ => return Err(TxState::new(MempoolPolicy, "TRUC-violation", msg)),
                }
            }
        }
        self.rbf |= !conflicts.is_empty();
        self.staged.push(StagedTx {
            txid,
            modified_fee,
            adjusted_weight,
            parents: parents.clone(),
        });
        Ok(Workspace {
            tx: tx.clone(),
            txid,
            wtxid,
            conflicts,
            base_fee,
            modified_fee,
            vsize,
            sigop_cost,
            spends_coinbase,
            parents: pool_parents,
            spent,
            sibling_eviction,
            entry_sequence,
        })
    }

    /// Every conflict with its descendants, after rule 5 (`GetEntriesForConflicts`).
    fn all_conflicts(&self, txid: &Txid, direct: &[Txid]) -> Result<Vec<Txid>, String> {
        let clusters = self.pool.unique_cluster_count(direct);
        if clusters > MAX_REPLACEMENT_CANDIDATES {
            return Err(format!(
                "rejecting replacement {txid}; too many conflicting clusters ({clusters} > {MAX_REPLACEMENT_CANDIDATES})"
            ));
        }
        let mut seen: std::collections::HashSet<Txid> = std::collections::HashSet::new();
        let mut all: Vec<Txid> = Vec::new();
        for d in direct {
            for t in self.pool.descendants(d) {
                if seen.insert(t) {
                    all.push(t);
                }
            }
        }
        Ok(all)
    }

    fn pays_for_rbf(
        &self,
        original: i64,
        replacement: i64,
        vsize: i64,
        txid: &Txid,
    ) -> Result<(), String> {
        if replacement < original {
            return Err(format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                format_money(replacement),
                format_money(original)
            ));
        }
        let additional = replacement - original;
        let needed = FeeRate::per_kvb(self.pool.options().incremental_relay_feerate).fee(vsize);
        if additional < needed {
            return Err(format!(
                "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
                format_money(additional),
                format_money(needed)
            ));
        }
        Ok(())
    }

    fn stage_removals(&mut self, all: Vec<Txid>) {
        let staged: std::collections::HashSet<Txid> = self.removals.iter().copied().collect();
        for t in all {
            if staged.contains(&t) {
                continue;
            }
            if let Some(e) = self.pool.entry(&t) {
                self.conflicting_fees += e.modified_fee;
                self.conflicting_size += e.vsize;
            }
            self.removals.push(t);
        }
    }

    fn replacement_checks(&mut self, ws: &Workspace) -> Result<(), TxState> {
        use TxResultKind::*;
        let sib = if ws.sibling_eviction {
            " (including sibling eviction)"
        } else {
            ""
        };
        let direct: Vec<Txid> = ws.conflicts.iter().copied().collect();
        let all = self.all_conflicts(&ws.txid, &direct).map_err(|d| {
            TxState::new(
                MempoolPolicy,
                format!("too many potential replacements{sib}"),
                d,
            )
        })?;
        // Rules 3 and 4 over every conflict with its descendants.
        self.stage_removals(all);
        self.pays_for_rbf(self.conflicting_fees, ws.modified_fee, ws.vsize, &ws.txid)
            .map_err(|d| TxState::new(Reconsiderable, format!("insufficient fee{sib}"), d))?;
        let staging = self.pool.stage(&self.staged, &self.removals);
        if !staging.within_limits() {
            return Err(TxState::new(MempoolPolicy, "too-large-cluster", ""));
        }
        if !staging.improves_diagram() {
            return Err(TxState::new(
                Reconsiderable,
                "replacement-failed",
                "insufficient feerate: does not improve feerate diagram",
            ));
        }
        Ok(())
    }

    fn script_checks(&self, ws: &Workspace) -> Result<(), TxState> {
        let item = [TxToVerify {
            tx: &ws.tx,
            spent: &ws.spent,
        }];
        if let Err(e) = verify_tx_scripts(&item[0], STANDARD_SCRIPT_VERIFY_FLAGS, true) {
            let input = &ws.tx.input[e.input];
            let mut state = TxState::new(
                TxResultKind::NotStandard,
                format!("mempool-script-verify-flag-failed ({})", e.error.message()),
                format!(
                    "input {} of {} (wtxid {}), spending {}:{}",
                    e.input,
                    ws.txid,
                    ws.wtxid,
                    input.previous_output.txid,
                    input.previous_output.vout
                ),
            );
            let has_witness = ws.tx.input.iter().any(|i| !i.witness.is_empty());
            if !has_witness && policy::spends_non_anchor_witness_program(&ws.tx, &ws.spent) {
                state.kind = TxResultKind::WitnessStripped;
            }
            return Err(state);
        }
        let flags = self.chain.script_flags();
        if let Err(e) = verify_scripts(&item, flags, 1, self.chain.script_cache()) {
            log_error!(
                "BUG! PLEASE REPORT THIS! CheckInputScripts failed against latest-block but not STANDARD flags {}, {}",
                ws.txid,
                e.error.message()
            );
            return Err(TxState::new(
                TxResultKind::Consensus,
                "block-script-verify-flag-failed",
                "",
            ));
        }
        Ok(())
    }

    fn finalize(&mut self, workspaces: &[Workspace]) -> Vec<Arc<Transaction>> {
        let mut replaced = Vec::new();
        let total = (self.total_modified_fees, self.total_vsize);
        for t in self.removals.clone() {
            let Some(e) = self.pool.entry(&t) else {
                continue;
            };
            let mut line = format!(
                "replacing mempool tx {} (wtxid={}, fees={}, vsize={}). ",
                e.txid, e.wtxid, e.fee, e.vsize
            );
            if workspaces.len() == 1 {
                let w = &workspaces[0];
                line += &format!(
                    "New tx {} (wtxid={}, fees={}, vsize={})",
                    w.txid, w.wtxid, total.0, total.1
                );
            } else {
                let txs: Vec<Arc<Transaction>> = workspaces.iter().map(|w| w.tx.clone()).collect();
                line += &format!(
                    "New package {} with {} txs, fees={}, vsize={}",
                    package::package_hash(&txs),
                    workspaces.len(),
                    total.0,
                    total.1
                );
            }
            log_debug!(Category::Mempool, "{}", line);
            replaced.push(e.tx.clone());
        }
        self.pool.remove_replaced(&self.removals.clone());
        let info = crate::pool::AddedInfo {
            mempool_limit_bypassed: self.bypass_limits,
            submitted_in_package: self.package_submission,
            chainstate_is_current: self.chain.is_current_for_fee_estimation(),
        };
        for ws in workspaces {
            self.pool.add(
                NewEntry {
                    tx: ws.tx.clone(),
                    txid: ws.txid,
                    wtxid: ws.wtxid,
                    fee: ws.base_fee,
                    sigop_cost: ws.sigop_cost,
                    time: self.accept_time,
                    height: self.chain.height(),
                    spends_coinbase: ws.spends_coinbase,
                    entry_sequence: ws.entry_sequence,
                },
                info,
            );
        }
        replaced
    }

    /// Removes what spends `tx` after it failed to return from a disconnected block.
    pub fn remove_spenders_of(&mut self, tx: &Transaction) {
        self.pool.remove_recursive(tx, crate::RemovalReason::Reorg);
    }

    /// Expires old transactions and trims the pool to `-maxmempool` (`LimitMempoolSize`).
    pub fn limit_size(&mut self) {
        let expired = self
            .pool
            .expire(self.now() - self.pool.options().expiry_seconds);
        if expired != 0 {
            log_debug!(
                Category::Mempool,
                "Expired {} transactions from the memory pool",
                expired
            );
        }
        let limit = self.pool.options().max_size_bytes.max(0) as usize;
        if let Some((n, rate)) = self.pool.trim_to_size(limit) {
            log_debug!(
                Category::Mempool,
                "Removed {} txn, rolling minimum fee bumped to {}",
                n,
                rate
            );
        }
    }

    fn fee_failure(ws_rate: FeeRate, wtxids: Vec<Wtxid>, state: TxState) -> TxResult {
        if state.kind == TxResultKind::Reconsiderable {
            TxResult::Invalid {
                state,
                fee_failure: Some((ws_rate, wtxids)),
            }
        } else {
            TxResult::Invalid {
                state,
                fee_failure: None,
            }
        }
    }

    /// `AcceptSingleTransaction`.
    pub fn accept_single(&mut self, tx: &Arc<Transaction>, args: &AcceptArgs) -> TxResult {
        self.accept_time = args.accept_time;
        let r = self.accept_single_inner(tx, args);
        self.clear_subpackage();
        r
    }

    fn accept_single_inner(&mut self, tx: &Arc<Transaction>, args: &AcceptArgs) -> TxResult {
        self.bypass_limits = args.bypass_limits;
        self.package_submission = args.package_submission;
        use TxResultKind::*;
        let ws = match self.pre_checks(tx, args) {
            Ok(ws) => ws,
            Err(state) => {
                return TxResult::Invalid {
                    fee_failure: None,
                    state,
                }
            }
        };
        let rate = FeeRate::from_fee(ws.modified_fee, ws.vsize);
        let single = vec![ws.wtxid];
        if self.rbf {
            if let Err(state) = self.replacement_checks(&ws) {
                return Self::fee_failure(rate, single, state);
            }
        }
        if !self.rbf
            && !self
                .pool
                .stage(&self.staged, &self.removals)
                .within_limits()
        {
            return invalid(MempoolPolicy, "too-large-cluster", "");
        }
        if !ws.conflicts.is_empty() {
            let mut ancestors: Vec<Txid> = Vec::new();
            for p in &ws.parents {
                ancestors.extend(self.pool.ancestors(p));
            }
            if let Some(a) = ancestors.iter().find(|a| ws.conflicts.contains(*a)) {
                return invalid(
                    Consensus,
                    "bad-txns-spends-conflicting-tx",
                    format!("{} spends conflicting transaction {a}", ws.txid),
                );
            }
        }
        self.total_vsize = ws.vsize;
        self.total_modified_fees = ws.modified_fee;
        if let Some(max) = args.client_maxfeerate {
            if rate > max {
                return invalid(MempoolPolicy, "max feerate exceeded", "");
            }
        }
        if !args.bypass_limits && self.pool.options().require_standard {
            if let Err((t, w)) = package::check_ephemeral_spends(
                std::slice::from_ref(tx),
                FeeRate::per_kvb(self.pool.options().dust_relay_feerate),
                self.pool,
            ) {
                return invalid(
                    MempoolPolicy,
                    "missing-ephemeral-spends",
                    format!("tx {t} (wtxid={w}) did not spend parent's ephemeral dust"),
                );
            }
        }
        if let Err(state) = self.script_checks(&ws) {
            return TxResult::Invalid {
                state,
                fee_failure: None,
            };
        }
        if args.test_accept {
            return TxResult::Valid {
                vsize: ws.vsize,
                fee: ws.base_fee,
                effective_feerate: rate,
                effective_wtxids: single,
                replaced: Vec::new(),
            };
        }
        let replaced = self.finalize(std::slice::from_ref(&ws));
        if !args.package_submission && !args.bypass_limits {
            self.limit_size();
            if !self.pool.contains(&ws.txid) {
                return Self::fee_failure(
                    rate,
                    single,
                    TxState::new(Reconsiderable, "mempool full", ""),
                );
            }
        }
        if !replaced.is_empty() {
            log_debug!(
                Category::Mempool,
                "replaced {} mempool transactions with 1 new transaction for {} additional fees, {} delta bytes",
                replaced.len(),
                format_money(ws.modified_fee - self.conflicting_fees),
                ws.vsize - self.conflicting_size
            );
        }
        TxResult::Valid {
            vsize: ws.vsize,
            fee: ws.base_fee,
            effective_feerate: rate,
            effective_wtxids: single,
            replaced,
        }
    }
}

impl Acceptor<'_> {
    /// Several transactions judged together (`AcceptMultipleTransactions`): test
    /// acceptance of any package, or the package step of a submission.
    pub fn accept_multiple(
        &mut self,
        txs: &[Arc<Transaction>],
        args: &AcceptArgs,
    ) -> PackageResult {
        self.accept_time = args.accept_time;
        let r = self.accept_multiple_inner(txs, args);
        self.package_coins.clear();
        self.clear_subpackage();
        r
    }

    fn accept_multiple_inner(
        &mut self,
        txs: &[Arc<Transaction>],
        args: &AcceptArgs,
    ) -> PackageResult {
        self.bypass_limits = args.bypass_limits;
        self.package_submission = args.package_submission;
        use TxResultKind::*;
        if let Err(reason) = package::check_well_formed(txs) {
            return PackageResult::failed(reason, "", HashMap::new());
        }
        let mut workspaces: Vec<Workspace> = Vec::new();
        for tx in txs {
            let ws = match self.pre_checks(tx, args) {
                Ok(ws) => ws,
                Err(state) => {
                    let mut r = HashMap::new();
                    r.insert(
                        tx.compute_wtxid(),
                        TxResult::Invalid {
                            state,
                            fee_failure: None,
                        },
                    );
                    return PackageResult::failed("transaction failed", "", r);
                }
            };
            if let Some(max) = args.client_maxfeerate {
                if FeeRate::from_fee(ws.modified_fee, ws.vsize) > max {
                    let mut r = HashMap::new();
                    r.insert(ws.wtxid, invalid(MempoolPolicy, "max feerate exceeded", ""));
                    return PackageResult::failed("transaction failed", "", r);
                }
            }
            for (vout, out) in tx.output.iter().enumerate() {
                self.package_coins.insert(
                    OutPoint {
                        txid: ws.txid,
                        vout: vout as u32,
                    },
                    out.clone(),
                );
            }
            workspaces.push(ws);
        }
        for ws in &workspaces {
            if let Err(e) = truc::package_checks(self.pool, &ws.tx, ws.vsize, txs, &ws.parents) {
                return PackageResult::failed("TRUC-violation", e, HashMap::new());
            }
        }
        self.total_vsize = workspaces.iter().map(|w| w.vsize).sum();
        self.total_modified_fees = workspaces.iter().map(|w| w.modified_fee).sum();
        let package_rate = FeeRate::from_fee(self.total_modified_fees, self.total_vsize);
        let all_wtxids: Vec<Wtxid> = workspaces.iter().map(|w| w.wtxid).collect();
        if args.package_feerates {
            if let Err(state) = self.check_fee_rate(self.total_vsize, self.total_modified_fees) {
                let mut r = HashMap::new();
                if let Some(last) = workspaces.last() {
                    r.insert(
                        last.wtxid,
                        TxResult::Invalid {
                            state,
                            fee_failure: Some((package_rate, all_wtxids.clone())),
                        },
                    );
                }
                return PackageResult::failed("transaction failed", "", r);
            }
        }
        if self.rbf {
            if let Err(st) = self.package_rbf_checks(txs, &workspaces) {
                return PackageResult {
                    state: Some(st),
                    results: HashMap::new(),
                };
            }
        }
        if !self
            .pool
            .stage(&self.staged, &self.removals)
            .within_limits()
        {
            return PackageResult::failed("too-large-cluster", "", HashMap::new());
        }
        if self.pool.options().require_standard {
            if let Err((t, w)) = package::check_ephemeral_spends(
                txs,
                FeeRate::per_kvb(self.pool.options().dust_relay_feerate),
                self.pool,
            ) {
                let mut r = HashMap::new();
                r.insert(
                    w,
                    invalid(
                        MempoolPolicy,
                        "missing-ephemeral-spends",
                        format!("tx {t} (wtxid={w}) did not spend parent's ephemeral dust"),
                    ),
                );
                return PackageResult::failed("unspent-dust", "", r);
            }
        }
        let mut results = HashMap::new();
        for ws in &workspaces {
            if let Err(state) = self.script_checks(ws) {
                results.insert(
                    ws.wtxid,
                    TxResult::Invalid {
                        state,
                        fee_failure: None,
                    },
                );
                return PackageResult::failed("transaction failed", "", results);
            }
            let (rate, wtxids) = if args.package_feerates {
                (package_rate, all_wtxids.clone())
            } else {
                (FeeRate::from_fee(ws.modified_fee, ws.vsize), vec![ws.wtxid])
            };
            if args.test_accept {
                results.insert(
                    ws.wtxid,
                    TxResult::Valid {
                        vsize: ws.vsize,
                        fee: ws.base_fee,
                        effective_feerate: rate,
                        effective_wtxids: wtxids,
                        replaced: Vec::new(),
                    },
                );
            }
        }
        if args.test_accept {
            return PackageResult {
                state: None,
                results,
            };
        }
        let replaced = self.finalize(&workspaces);
        if !replaced.is_empty() {
            log_debug!(
                Category::Mempool,
                "replaced {} mempool transactions with {} new one(s) for {} additional fees, {} delta bytes",
                replaced.len(),
                workspaces.len(),
                format_money(self.total_modified_fees - self.conflicting_fees),
                self.total_vsize - self.conflicting_size
            );
        }
        for ws in &workspaces {
            let (rate, wtxids) = if args.package_feerates {
                (package_rate, all_wtxids.clone())
            } else {
                (FeeRate::from_fee(ws.modified_fee, ws.vsize), vec![ws.wtxid])
            };
            results.insert(
                ws.wtxid,
                TxResult::Valid {
                    vsize: ws.vsize,
                    fee: ws.base_fee,
                    effective_feerate: rate,
                    effective_wtxids: wtxids,
                    replaced: replaced.clone(),
                },
            );
        }
        PackageResult {
            state: None,
            results,
        }
    }

    fn package_rbf_checks(
        &mut self,
        txs: &[Arc<Transaction>],
        workspaces: &[Workspace],
    ) -> Result<(), PackageState> {
        let fail = |reason: &str, debug: String| PackageState {
            policy: true,
            reason: reason.into(),
            debug,
        };
        if workspaces.len() != 2 || !package::is_child_with_parents(txs) {
            return Err(fail(
                "package RBF failed: package must be 1-parent-1-child",
                String::new(),
            ));
        }
        if workspaces.iter().any(|w| !w.parents.is_empty()) {
            return Err(fail(
                "package RBF failed: new transaction cannot have mempool ancestors",
                String::new(),
            ));
        }
        let direct: Vec<Txid> = workspaces
            .iter()
            .flat_map(|w| w.conflicts.iter().copied())
            .collect();
        let child = &workspaces[1];
        let all = self
            .all_conflicts(&child.txid, &direct)
            .map_err(|d| fail("package RBF failed: too many potential replacements", d))?;
        self.stage_removals(all);
        self.pays_for_rbf(
            self.conflicting_fees,
            self.total_modified_fees,
            self.total_vsize,
            &child.txid,
        )
        .map_err(|d| fail("package RBF failed: insufficient anti-DoS fees", d))?;
        let parent = &workspaces[0];
        let parent_rate = FeeRate::from_fee(parent.modified_fee, parent.vsize);
        let package_rate = FeeRate::from_fee(self.total_modified_fees, self.total_vsize);
        if package_rate <= parent_rate {
            return Err(fail(
                "package RBF failed: package feerate is less than or equal to parent feerate",
                format!("package feerate {package_rate} <= parent feerate is {parent_rate}"),
            ));
        }
        let staging = self.pool.stage(&self.staged, &self.removals);
        if !staging.within_limits() {
            return Err(fail("too-large-cluster", String::new()));
        }
        if !staging.improves_diagram() {
            return Err(fail(
                "package RBF failed: insufficient feerate: does not improve feerate diagram",
                String::new(),
            ));
        }
        log_debug!(
            Category::TxPackages,
            "package RBF checks passed: parent {} (wtxid={}), child {} (wtxid={}), package hash ({})",
            parent.txid, parent.wtxid, child.txid, child.wtxid, package::package_hash(txs)
        );
        Ok(())
    }

    /// A child with its parents submitted together (`AcceptPackage`): each transaction is
    /// tried alone first, and those that fail only on fees are retried as a package.
    pub fn accept_package(&mut self, txs: &[Arc<Transaction>], args: &AcceptArgs) -> PackageResult {
        use TxResultKind::*;
        self.accept_time = args.accept_time;
        self.test_accept = args.test_accept;
        self.client_maxfeerate = args.client_maxfeerate;
        if let Err(reason) = package::check_well_formed(txs) {
            return PackageResult::failed(reason, "", HashMap::new());
        }
        if txs.len() > 1 && !package::is_child_with_parents(txs) {
            return PackageResult::failed("package-not-child-with-parents", "", HashMap::new());
        }
        let mut final_results: HashMap<Wtxid, TxResult> = HashMap::new();
        let mut nonfinal: HashMap<Wtxid, TxResult> = HashMap::new();
        let mut quit_early = false;
        let mut early_state: Option<PackageState> = None;
        let mut retry: Vec<Arc<Transaction>> = Vec::new();
        for tx in txs {
            let wtxid = tx.compute_wtxid();
            let txid = tx.compute_txid();
            if let Some(e) = self.pool.entry_by_wtxid(&wtxid) {
                final_results.insert(
                    wtxid,
                    TxResult::InMempool {
                        vsize: e.vsize,
                        fee: e.fee,
                    },
                );
            } else if let Some(e) = self.pool.entry(&txid) {
                final_results.insert(
                    wtxid,
                    TxResult::DifferentWitness {
                        other_wtxid: e.wtxid,
                    },
                );
            } else {
                let single_args = AcceptArgs::single_in_package(self);
                let r = self.accept_single_inner(tx, &single_args);
                self.clear_subpackage();
                match &r {
                    TxResult::Valid { .. } => {
                        final_results.insert(wtxid, r);
                    }
                    TxResult::Invalid { state, .. }
                        if txs.len() == 1
                            || (state.kind != Reconsiderable && state.kind != MissingInputs) =>
                    {
                        quit_early = true;
                        early_state = Some(PackageState::transaction_failed());
                        nonfinal.insert(wtxid, r);
                    }
                    _ => {
                        nonfinal.insert(wtxid, r);
                        retry.push(tx.clone());
                    }
                }
            }
        }
        let multi = if quit_early || retry.is_empty() {
            PackageResult {
                state: early_state,
                results: HashMap::new(),
            }
        } else if retry.len() == 1 {
            let single_args = AcceptArgs::single_in_package(self);
            let r = self.accept_single_inner(&retry[0], &single_args);
            self.clear_subpackage();
            let mut results = HashMap::new();
            let failed = !matches!(r, TxResult::Valid { .. });
            results.insert(retry[0].compute_wtxid(), r);
            PackageResult {
                state: failed.then(PackageState::transaction_failed),
                results,
            }
        } else {
            self.accept_multiple(&retry, args)
        };
        let mut state = multi.state.clone();
        self.limit_size();
        let full = || TxResult::Invalid {
            state: TxState::new(MempoolPolicy, "mempool full", ""),
            fee_failure: None,
        };
        for tx in txs {
            let wtxid = tx.compute_wtxid();
            if let Some(r) = multi.results.get(&wtxid) {
                if matches!(r, TxResult::Valid { .. }) && !self.pool.contains_wtxid(&wtxid) {
                    state = Some(PackageState::transaction_failed());
                    final_results.insert(wtxid, full());
                } else {
                    final_results.insert(wtxid, r.clone());
                }
            } else if let Some(slot) = final_results.get_mut(&wtxid) {
                if !self.pool.contains(&tx.compute_txid()) {
                    state = Some(PackageState::transaction_failed());
                    *slot = full();
                }
            } else if let Some(r) = nonfinal.remove(&wtxid) {
                final_results.insert(wtxid, r);
            }
        }
        PackageResult {
            state,
            results: final_results,
        }
    }
}
