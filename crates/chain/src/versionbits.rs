//! BIP9 version bits: the deployments a network signals for in block versions, their
//! per-period states (defined, started, locked in, active, failed), signalling statistics,
//! and the version new blocks get (Core's `versionbits.cpp`).
//!
//! A deployment's state is the same for every block of a retarget period, so it is computed
//! for the parent of the period's first block and cached under that parent (`None` stands
//! for the parent of the genesis block). The caches never go stale: an index entry's header
//! never changes, and a state only depends on the entry's ancestors.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Version bits set in every BIP9 block version (`VERSIONBITS_TOP_BITS`).
pub const VERSIONBITS_TOP_BITS: i32 = 0x2000_0000;
/// The bits that say whether a version uses BIP9 (`VERSIONBITS_TOP_MASK`).
pub const VERSIONBITS_TOP_MASK: i32 = 0xE000_0000_u32 as i32;
/// Bits watched for unknown deployments (`VERSIONBITS_NUM_BITS`, BIP323).
pub const VERSIONBITS_NUM_BITS: u8 = 5;
/// `nStartTime` of a deployment active from genesis.
pub const ALWAYS_ACTIVE: i64 = -1;
/// `nStartTime` of a deployment that never activates (it is then not reported).
pub const NEVER_ACTIVE: i64 = -2;
/// `nTimeout` of a deployment without a timeout.
pub const NO_TIMEOUT: i64 = i64::MAX;

/// The state of a deployment for a block (`ThresholdState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdState {
    /// Before the start time; the genesis block is always in this state.
    Defined,
    /// Signalling is counted.
    Started,
    /// The threshold was reached; waiting for the period to end and the minimum height.
    LockedIn,
    /// The rules apply (final).
    Active,
    /// The timeout passed before lock-in (final).
    Failed,
}

impl ThresholdState {
    /// The name RPC results use (`StateName`).
    pub fn name(self) -> &'static str {
        match self {
            ThresholdState::Defined => "defined",
            ThresholdState::Started => "started",
            ThresholdState::LockedIn => "locked_in",
            ThresholdState::Active => "active",
            ThresholdState::Failed => "failed",
        }
    }
}

/// A BIP9 deployment of a network (`BIP9Deployment` with its `VBDeploymentInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// Name in RPC results and `-vbparams`.
    pub name: &'static str,
    /// Whether getblocktemplate clients may ignore the rule (else it is shown with `!`).
    pub gbt_optional_rule: bool,
    /// The version bit that signals.
    pub bit: u8,
    /// Median time past from which signalling counts, or [`ALWAYS_ACTIVE`] /
    /// [`NEVER_ACTIVE`].
    pub start_time: i64,
    /// Median time past after which a deployment not locked in fails.
    pub timeout: i64,
    /// Lowest height at which a locked-in deployment becomes active.
    pub min_activation_height: i32,
    /// Blocks per signalling period.
    pub period: u32,
    /// Signalling blocks in a period needed to lock in.
    pub threshold: u32,
}

impl Deployment {
    /// Core's `testdummy` deployment with the network's threshold and period, never
    /// active (regtest overrides the start time).
    pub fn testdummy(threshold: u32, period: u32) -> Deployment {
        Deployment {
            name: "testdummy",
            gbt_optional_rule: true,
            bit: 28,
            start_time: NEVER_ACTIVE,
            timeout: NO_TIMEOUT,
            min_activation_height: 0,
            period,
            threshold,
        }
    }

    /// The version bit as a mask.
    pub fn mask(&self) -> i32 {
        (1u32 << self.bit) as i32
    }

    /// Whether a block version signals for this deployment.
    pub fn signals(&self, version: i32) -> bool {
        version & VERSIONBITS_TOP_MASK == VERSIONBITS_TOP_BITS && version & self.mask() != 0
    }

    /// Whether the deployment can ever activate (`DeploymentEnabled`).
    pub fn enabled(&self) -> bool {
        self.start_time != NEVER_ACTIVE
    }
}

/// What the threshold logic needs of a block tree; entries are numbered, `None` is the
/// parent of the genesis block.
pub trait BlockTree {
    /// Height of entry `i`.
    fn height(&self, i: usize) -> u32;
    /// The parent of entry `i`.
    fn prev(&self, i: usize) -> Option<usize>;
    /// The ancestor of `i` at `height` (`i` itself at its own height).
    fn ancestor(&self, i: usize, height: u32) -> Option<usize>;
    /// Median time past of entry `i`.
    fn median_time_past(&self, i: usize) -> i64;
    /// Header version of entry `i`.
    fn version(&self, i: usize) -> i32;
}

impl BlockTree for crate::index::BlockIndex {
    fn height(&self, i: usize) -> u32 {
        self.entry(i).height
    }
    fn prev(&self, i: usize) -> Option<usize> {
        self.entry(i).prev
    }
    fn ancestor(&self, i: usize, height: u32) -> Option<usize> {
        crate::index::BlockIndex::ancestor(self, i, height)
    }
    fn median_time_past(&self, i: usize) -> i64 {
        crate::index::BlockIndex::median_time_past(self, i)
    }
    fn version(&self, i: usize) -> i32 {
        self.entry(i).header.version.to_consensus()
    }
}

/// States per period, keyed by the parent of the period's first block.
pub type StateCache = HashMap<Option<usize>, ThresholdState>;

/// The parameters and the signal of a threshold deployment
/// (`AbstractThresholdConditionChecker`).
pub trait ThresholdChecker {
    /// Start time, or [`ALWAYS_ACTIVE`] / [`NEVER_ACTIVE`].
    fn begin_time(&self) -> i64;
    /// Timeout.
    fn end_time(&self) -> i64;
    /// Lowest activation height.
    fn min_activation_height(&self) -> i64 {
        0
    }
    /// Blocks per period (at least 1).
    fn period(&self) -> u32;
    /// Signalling blocks needed.
    fn threshold(&self) -> u32;
    /// Whether entry `i` signals.
    fn condition<T: BlockTree + ?Sized>(&self, tree: &T, i: usize) -> bool;
}

impl ThresholdChecker for Deployment {
    fn begin_time(&self) -> i64 {
        self.start_time
    }
    fn end_time(&self) -> i64 {
        self.timeout
    }
    fn min_activation_height(&self) -> i64 {
        i64::from(self.min_activation_height)
    }
    fn period(&self) -> u32 {
        self.period.max(1)
    }
    fn threshold(&self) -> u32 {
        self.threshold
    }
    fn condition<T: BlockTree + ?Sized>(&self, tree: &T, i: usize) -> bool {
        self.signals(tree.version(i))
    }
}

/// The ancestor of `i` at `height`, or none below the genesis block.
fn ancestor_at<T: BlockTree + ?Sized>(tree: &T, i: usize, height: i64) -> Option<usize> {
    u32::try_from(height).ok().and_then(|h| tree.ancestor(i, h))
}

/// The last block of the period before the one the child of `prev` is in.
fn period_parent<T: BlockTree + ?Sized>(tree: &T, prev: usize, period: u32) -> Option<usize> {
    let h = i64::from(tree.height(prev));
    ancestor_at(tree, prev, h - (h + 1) % i64::from(period))
}

/// The state of the child of `prev` (`GetStateFor`), caching the periods it computes.
pub fn state_for<C: ThresholdChecker, T: BlockTree + ?Sized>(
    checker: &C,
    tree: &T,
    prev: Option<usize>,
    cache: &mut StateCache,
) -> ThresholdState {
    let period = checker.period().max(1);
    let start = checker.begin_time();
    if start == ALWAYS_ACTIVE {
        return ThresholdState::Active;
    }
    if start == NEVER_ACTIVE {
        return ThresholdState::Failed;
    }
    let mut prev = prev.and_then(|p| period_parent(tree, p, period));
    // Back one period at a time until a known state (or one before the start time).
    let mut to_compute = Vec::new();
    let mut state = loop {
        if let Some(s) = cache.get(&prev) {
            break *s;
        }
        let Some(p) = prev else {
            cache.insert(None, ThresholdState::Defined);
            break ThresholdState::Defined;
        };
        if tree.median_time_past(p) < start {
            cache.insert(prev, ThresholdState::Defined);
            break ThresholdState::Defined;
        }
        to_compute.push(p);
        prev = ancestor_at(tree, p, i64::from(tree.height(p)) - i64::from(period));
    };
    // Then forwards, applying the transitions.
    while let Some(p) = to_compute.pop() {
        let next = match state {
            ThresholdState::Defined if tree.median_time_past(p) >= start => ThresholdState::Started,
            ThresholdState::Started => {
                let mut count = 0;
                let mut walk = Some(p);
                for _ in 0..period {
                    let Some(w) = walk else { break };
                    if checker.condition(tree, w) {
                        count += 1;
                    }
                    walk = tree.prev(w);
                }
                if count >= checker.threshold() {
                    ThresholdState::LockedIn
                } else if tree.median_time_past(p) >= checker.end_time() {
                    ThresholdState::Failed
                } else {
                    state
                }
            }
            ThresholdState::LockedIn
                if i64::from(tree.height(p)) + 1 >= checker.min_activation_height() =>
            {
                ThresholdState::Active
            }
            other => other,
        };
        cache.insert(Some(p), next);
        state = next;
    }
    state
}

/// Signalling in the period of entry `index`, up to and including it (`BIP9Stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Blocks per period.
    pub period: u32,
    /// Signalling blocks needed (0 once locked in).
    pub threshold: u32,
    /// Blocks of the period so far.
    pub elapsed: u32,
    /// Signalling blocks among them.
    pub count: u32,
    /// Whether the threshold can still be reached in this period.
    pub possible: bool,
}

/// Statistics of the period containing `index` (`GetStateStatisticsFor`), with which
/// blocks of it signalled, oldest first.
pub fn statistics_for<C: ThresholdChecker, T: BlockTree + ?Sized>(
    checker: &C,
    tree: &T,
    index: Option<usize>,
) -> (Stats, Vec<bool>) {
    let mut stats = Stats {
        period: checker.period().max(1),
        threshold: checker.threshold(),
        ..Stats::default()
    };
    let Some(index) = index else {
        return (stats, Vec::new());
    };
    let in_period = 1 + tree.height(index) % stats.period;
    let mut signalling = vec![false; in_period as usize];
    let mut walk = Some(index);
    for slot in (0..in_period as usize).rev() {
        let Some(w) = walk else { break };
        stats.elapsed += 1;
        if checker.condition(tree, w) {
            stats.count += 1;
            signalling[slot] = true;
        }
        walk = tree.prev(w);
    }
    stats.possible = i64::from(stats.period) - i64::from(stats.threshold)
        >= i64::from(stats.elapsed - stats.count);
    (stats, signalling)
}

/// The height of the first block of the run of periods in which the child of `prev` has
/// its state (`GetStateSinceHeightFor`); 0 for defined and for fixed deployments.
pub fn state_since_height_for<C: ThresholdChecker, T: BlockTree + ?Sized>(
    checker: &C,
    tree: &T,
    prev: Option<usize>,
    cache: &mut StateCache,
) -> u32 {
    let start = checker.begin_time();
    if start == ALWAYS_ACTIVE || start == NEVER_ACTIVE {
        return 0;
    }
    let initial = state_for(checker, tree, prev, cache);
    if initial == ThresholdState::Defined {
        return 0;
    }
    let period = checker.period().max(1);
    // Not defined, so not the genesis block's state: there is a period parent.
    let Some(mut p) = prev.and_then(|p| period_parent(tree, p, period)) else {
        return 0;
    };
    let back = |p: usize| ancestor_at(tree, p, i64::from(tree.height(p)) - i64::from(period));
    while let Some(earlier) = back(p) {
        if state_for(checker, tree, Some(earlier), cache) != initial {
            break;
        }
        p = earlier;
    }
    tree.height(p) + 1
}

/// A deployment's state at a block (`BIP9Info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bip9Info {
    /// First height of the current state.
    pub since: u32,
    /// State of the block.
    pub current: ThresholdState,
    /// State of its child.
    pub next: ThresholdState,
    /// Signalling statistics, while started or locked in.
    pub stats: Option<Stats>,
    /// Which blocks of the period signalled (with `stats`).
    pub signalling: Vec<bool>,
    /// Height from which the rules apply, if known (possibly in the future).
    pub active_since: Option<u32>,
}

/// A deployment as getblocktemplate shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GbtDeployment {
    /// Its name.
    pub name: &'static str,
    /// Its bit.
    pub bit: u8,
    /// Its bit as a mask.
    pub mask: i32,
    /// Whether clients may ignore it.
    pub gbt_optional_rule: bool,
}

/// Deployments by their state for the child of a block (`BIP9GBTStatus`), each list sorted
/// by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GbtStatus {
    /// Started deployments.
    pub signalling: Vec<GbtDeployment>,
    /// Locked-in deployments.
    pub locked_in: Vec<GbtDeployment>,
    /// Active deployments.
    pub active: Vec<GbtDeployment>,
}

/// Signals unknown to us (`WarningBitsConditionChecker`): a bit set by a block whose
/// version, by our deployments, would not set it.
struct WarningChecker<'a> {
    deployments: &'a [Deployment],
    caches: std::cell::RefCell<&'a mut Vec<StateCache>>,
    bit: u8,
    period: u32,
    threshold: u32,
    min_height: u32,
}

impl ThresholdChecker for WarningChecker<'_> {
    fn begin_time(&self) -> i64 {
        0
    }
    fn end_time(&self) -> i64 {
        i64::MAX
    }
    fn period(&self) -> u32 {
        self.period
    }
    fn threshold(&self) -> u32 {
        self.threshold
    }
    fn condition<T: BlockTree + ?Sized>(&self, tree: &T, i: usize) -> bool {
        let version = tree.version(i);
        if tree.height(i) < self.min_height
            || version & VERSIONBITS_TOP_MASK != VERSIONBITS_TOP_BITS
            || (version >> self.bit) & 1 == 0
        {
            return false;
        }
        let mut caches = self.caches.borrow_mut();
        let expected = block_version(self.deployments, tree, tree.prev(i), &mut caches);
        (expected >> self.bit) & 1 == 0
    }
}

fn block_version<T: BlockTree + ?Sized>(
    deployments: &[Deployment],
    tree: &T,
    prev: Option<usize>,
    caches: &mut Vec<StateCache>,
) -> i32 {
    if caches.len() < deployments.len() {
        caches.resize_with(deployments.len(), StateCache::new);
    }
    let mut version = VERSIONBITS_TOP_BITS;
    for (d, cache) in deployments.iter().zip(caches.iter_mut()) {
        if matches!(
            state_for(d, tree, prev, cache),
            ThresholdState::Started | ThresholdState::LockedIn
        ) {
            version |= d.mask();
        }
    }
    version
}

#[derive(Debug, Default)]
struct Caches {
    deployments: Vec<StateCache>,
    warnings: Vec<StateCache>,
}

/// Where unknown signals are counted (`WarningBitsConditionChecker`'s parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningParams {
    /// Blocks per period.
    pub period: u32,
    /// Signalling blocks that count as an activation.
    pub threshold: u32,
    /// Blocks below this height are not counted (`MinBIP9WarningHeight`).
    pub min_height: u32,
}

/// The cached states of a network's deployments (`VersionBitsCache`); safe to share.
#[derive(Debug, Default)]
pub struct VersionBitsCache {
    inner: Mutex<Caches>,
}

impl VersionBitsCache {
    /// An empty cache.
    pub fn new() -> VersionBitsCache {
        VersionBitsCache::default()
    }

    fn lock(&self, deployments: usize) -> MutexGuard<'_, Caches> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.deployments.len() < deployments {
            g.deployments.resize_with(deployments, StateCache::new);
        }
        g
    }

    /// The state of deployment `id` for the child of `prev`.
    pub fn state<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        prev: Option<usize>,
        id: usize,
    ) -> Option<ThresholdState> {
        let d = deployments.get(id)?;
        let mut g = self.lock(deployments.len());
        Some(state_for(d, tree, prev, &mut g.deployments[id]))
    }

    /// Whether deployment `id` applies to the child of `prev` (`IsActiveAfter`).
    #[cfg(test)]
    pub(crate) fn is_active_after<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        prev: Option<usize>,
        id: usize,
    ) -> bool {
        self.state(tree, deployments, prev, id) == Some(ThresholdState::Active)
    }

    /// Deployment `id` at block `index` (`VersionBitsCache::Info`).
    pub fn info<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        index: usize,
        id: usize,
    ) -> Option<Bip9Info> {
        let d = deployments.get(id)?;
        let prev = tree.prev(index);
        let (current, next, since) = {
            let mut g = self.lock(deployments.len());
            let cache = &mut g.deployments[id];
            (
                state_for(d, tree, prev, cache),
                state_for(d, tree, Some(index), cache),
                state_since_height_for(d, tree, prev, cache),
            )
        };
        let mut info = Bip9Info {
            since,
            current,
            next,
            stats: None,
            signalling: Vec::new(),
            active_since: None,
        };
        if matches!(current, ThresholdState::Started | ThresholdState::LockedIn) {
            let (mut stats, signalling) = statistics_for(d, tree, Some(index));
            if current == ThresholdState::LockedIn {
                stats.threshold = 0;
                stats.possible = false;
            }
            info.stats = Some(stats);
            info.signalling = signalling;
        }
        if current == ThresholdState::Active {
            info.active_since = Some(since);
        } else if next == ThresholdState::Active {
            info.active_since = Some(tree.height(index) + 1);
        }
        Some(info)
    }

    /// The deployments by state for the child of `index` (`GBTStatus`).
    pub fn gbt_status<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        index: usize,
    ) -> GbtStatus {
        let mut out = GbtStatus::default();
        let mut g = self.lock(deployments.len());
        for (d, cache) in deployments.iter().zip(g.deployments.iter_mut()) {
            let entry = GbtDeployment {
                name: d.name,
                bit: d.bit,
                mask: d.mask(),
                gbt_optional_rule: d.gbt_optional_rule,
            };
            let list = match state_for(d, tree, Some(index), cache) {
                ThresholdState::Defined | ThresholdState::Failed => continue,
                ThresholdState::Started => &mut out.signalling,
                ThresholdState::LockedIn => &mut out.locked_in,
                ThresholdState::Active => &mut out.active,
            };
            if !list.iter().any(|e| e.name == entry.name) {
                list.push(entry);
            }
        }
        for list in [&mut out.signalling, &mut out.locked_in, &mut out.active] {
            list.sort_by_key(|e| e.name);
        }
        out
    }

    /// The version of a new block on `prev` (`ComputeBlockVersion`): the top bits, plus the
    /// bit of each started or locked-in deployment.
    pub fn compute_block_version<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        prev: Option<usize>,
    ) -> i32 {
        let mut g = self.lock(deployments.len());
        block_version(deployments, tree, prev, &mut g.deployments)
    }

    /// Bits that unknown deployments locked in (`false`) or activated (`true`) by the
    /// child of `index` (`CheckUnknownActivations`).
    pub fn unknown_activations<T: BlockTree + ?Sized>(
        &self,
        tree: &T,
        deployments: &[Deployment],
        warning: WarningParams,
        index: usize,
    ) -> Vec<(u8, bool)> {
        let mut g = self.lock(deployments.len());
        let Caches {
            deployments: dep_caches,
            warnings,
        } = &mut *g;
        if warnings.len() < VERSIONBITS_NUM_BITS as usize {
            warnings.resize_with(VERSIONBITS_NUM_BITS as usize, StateCache::new);
        }
        let mut out = Vec::new();
        for (bit, cache) in (0..VERSIONBITS_NUM_BITS).zip(warnings.iter_mut()) {
            let checker = WarningChecker {
                deployments,
                caches: std::cell::RefCell::new(&mut *dep_caches),
                bit,
                period: warning.period.max(1),
                threshold: warning.threshold,
                min_height: warning.min_height,
            };
            match state_for(&checker, tree, Some(index), cache) {
                ThresholdState::Active => out.push((bit, true)),
                ThresholdState::LockedIn => out.push((bit, false)),
                _ => {}
            }
        }
        out
    }
}

/// A `-vbparams` value that cannot be applied; the text is Core's startup error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VbParamsError {
    /// Not `deployment:start:end[:min_activation_height]`.
    Malformed,
    /// A start time that is not an integer.
    StartTime(String),
    /// A timeout that is not an integer.
    Timeout(String),
    /// A minimum activation height that is not an integer.
    MinActivationHeight(String),
    /// No deployment of that name.
    Deployment(String),
}

impl std::fmt::Display for VbParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VbParamsError::Malformed => f.write_str(
                "Version bits parameters malformed, expecting deployment:start:end[:min_activation_height]",
            ),
            VbParamsError::StartTime(v) => write!(f, "Invalid nStartTime ({v})"),
            VbParamsError::Timeout(v) => write!(f, "Invalid nTimeout ({v})"),
            VbParamsError::MinActivationHeight(v) => {
                write!(f, "Invalid min_activation_height ({v})")
            }
            VbParamsError::Deployment(v) => write!(f, "Invalid deployment ({v})"),
        }
    }
}

impl std::error::Error for VbParamsError {}

/// An integer as Core's `ToIntegral` reads it: an optional `-`, digits only, in range.
fn to_integral(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Applies `-vbparams=deployment:start:end[:min_activation_height]` values to
/// `deployments`; returns a log line per value applied.
pub fn apply_vbparams(
    deployments: &mut [Deployment],
    values: &[String],
) -> Result<Vec<String>, VbParamsError> {
    let mut lines = Vec::new();
    for value in values {
        let parts: Vec<&str> = value.split(':').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(VbParamsError::Malformed);
        }
        let start =
            to_integral(parts[1]).ok_or_else(|| VbParamsError::StartTime(parts[1].into()))?;
        let timeout =
            to_integral(parts[2]).ok_or_else(|| VbParamsError::Timeout(parts[2].into()))?;
        let min_height = match parts.get(3) {
            // Core reads a 64-bit integer into an int: the low 32 bits are kept.
            Some(p) => to_integral(p)
                .ok_or_else(|| VbParamsError::MinActivationHeight((*p).into()))?
                as i32,
            None => 0,
        };
        let d = deployments
            .iter_mut()
            .find(|d| d.name == parts[0])
            .ok_or_else(|| VbParamsError::Deployment(parts[0].into()))?;
        d.start_time = start;
        d.timeout = timeout;
        d.min_activation_height = min_height;
        lines.push(format!(
            "Setting version bits activation parameters for {} to start={start}, timeout={timeout}, min_activation_height={min_height}",
            parts[0]
        ));
    }
    Ok(lines)
}

#[cfg(test)]
#[path = "versionbits_tests.rs"]
mod tests;
