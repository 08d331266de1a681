//! The address manager (Core's `AddrMan`): every peer address we have heard of, kept in
//! a "new" table (heard of, not yet connected) and a "tried" table (connected to at least
//! once), both bucketed by keyed hashes of address groups so that no single source or
//! network range can take over what we connect to.

mod check;
mod info;
mod serialize;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bitcoin::p2p::ServiceFlags;

pub use info::AddrInfo;
pub use serialize::{AddrManReadError, FILE_FORMAT, INCOMPATIBILITY_BASE};

use crate::netaddress::{Address, NetAddr, Network, Service};
use crate::rng::FastRandom;

/// Tried buckets.
pub const ADDRMAN_TRIED_BUCKET_COUNT: usize = 256;
/// New buckets.
pub const ADDRMAN_NEW_BUCKET_COUNT: usize = 1024;
/// Slots per bucket.
pub const ADDRMAN_BUCKET_SIZE: usize = 64;
/// Tried buckets one address group may occupy.
pub const ADDRMAN_TRIED_BUCKETS_PER_GROUP: u64 = 8;
/// New buckets the addresses from one source group may occupy.
pub const ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP: u64 = 64;
/// New-table slots one address may occupy.
pub const ADDRMAN_NEW_BUCKETS_PER_ADDRESS: i32 = 8;
/// Addresses not seen for this long (30 days, in seconds) are terrible.
pub const ADDRMAN_HORIZON: i64 = 30 * 24 * 60 * 60;
/// Failed attempts after which a never-reached address is terrible.
pub const ADDRMAN_RETRIES: i32 = 3;
/// Successive failures after which an address is terrible…
pub const ADDRMAN_MAX_FAILURES: i32 = 10;
/// …when it has not succeeded for this long (a week, in seconds).
pub const ADDRMAN_MIN_FAIL: i64 = 7 * 24 * 60 * 60;
/// A tried entry that succeeded this recently (4 hours) is not evicted.
pub const ADDRMAN_REPLACEMENT: i64 = 4 * 60 * 60;
/// Pending tried-table collisions kept at most.
pub const ADDRMAN_SET_TRIED_COLLISION_SIZE: usize = 10;
/// How long (40 minutes) a collision may wait for its test before eviction anyway.
pub const ADDRMAN_TEST_WINDOW: i64 = 40 * 60;
/// Default `-checkaddrman`: no consistency checks.
pub const DEFAULT_ADDRMAN_CONSISTENCY_CHECKS: i32 = 0;

const EMPTY: i64 = -1;

/// Where an address sits in the tables (Core's `AddressPosition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressPosition {
    /// In the tried table rather than the new one.
    pub tried: bool,
    /// How many new-table slots refer to it (1 for tried).
    pub multiplicity: i32,
    /// The bucket.
    pub bucket: usize,
    /// The slot in the bucket.
    pub position: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NewTriedCount {
    n_new: usize,
    n_tried: usize,
}

/// The address manager (Core's `AddrMan`). Times are seconds since the Unix epoch.
#[derive(Clone)]
pub struct AddrMan {
    rng: FastRandom,
    key: [u8; 32],
    id_count: i64,
    map_info: BTreeMap<i64, AddrInfo>,
    map_addr: HashMap<Service, i64>,
    random: Vec<i64>,
    n_tried: i32,
    n_new: i32,
    vv_tried: Vec<[i64; ADDRMAN_BUCKET_SIZE]>,
    vv_new: Vec<[i64; ADDRMAN_BUCKET_SIZE]>,
    /// Last call of `good`; starts at 1 so "never" compares as older.
    last_good: i64,
    tried_collisions: BTreeSet<i64>,
    check_ratio: i32,
    network_counts: HashMap<Network, NewTriedCount>,
    mock_time: Option<i64>,
}

impl std::fmt::Debug for AddrMan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddrMan")
            .field("new", &self.n_new)
            .field("tried", &self.n_tried)
            .finish_non_exhaustive()
    }
}

impl AddrMan {
    /// An empty manager with a random key. `consistency_check_ratio` is `-checkaddrman`:
    /// check the whole structure on one in that many operations (0 = never).
    pub fn new(consistency_check_ratio: i32) -> Self {
        let mut rng = FastRandom::new_random();
        let key = rng.rand256();
        Self::with_parts(rng, key, consistency_check_ratio)
    }

    /// A manager whose key and random choices are fixed, as Core's tests and
    /// `-test=addrman` use: key 1 (first byte) and a zero-keyed random stream.
    pub fn new_deterministic(consistency_check_ratio: i32) -> Self {
        let mut key = [0u8; 32];
        key[0] = 1;
        Self::with_parts(FastRandom::with_key([0; 32]), key, consistency_check_ratio)
    }

    fn with_parts(rng: FastRandom, key: [u8; 32], check_ratio: i32) -> Self {
        Self {
            rng,
            key,
            id_count: 0,
            map_info: BTreeMap::new(),
            map_addr: HashMap::new(),
            random: Vec::new(),
            n_tried: 0,
            n_new: 0,
            vv_tried: vec![[EMPTY; ADDRMAN_BUCKET_SIZE]; ADDRMAN_TRIED_BUCKET_COUNT],
            vv_new: vec![[EMPTY; ADDRMAN_BUCKET_SIZE]; ADDRMAN_NEW_BUCKET_COUNT],
            last_good: 1,
            tried_collisions: BTreeSet::new(),
            check_ratio: check_ratio.clamp(0, 1_000_000),
            network_counts: HashMap::new(),
            mock_time: None,
        }
    }

    /// Uses `now` instead of the system clock for "current time" decisions (terrible
    /// entries, collision resolution, freshness); `None` returns to the clock.
    pub fn set_mock_time(&mut self, now: Option<i64>) {
        self.mock_time = now;
    }

    /// The secret bucketing key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    fn now(&self) -> i64 {
        self.mock_time.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }

    fn info(&self, id: i64) -> &AddrInfo {
        &self.map_info[&id]
    }

    fn info_mut(&mut self, id: i64) -> &mut AddrInfo {
        self.map_info
            .get_mut(&id)
            .expect("address manager id refers to an entry")
    }

    fn find(&self, addr: &Service) -> Option<i64> {
        self.map_addr
            .get(addr)
            .copied()
            .filter(|id| self.map_info.contains_key(id))
    }

    fn counts(&mut self, net: Network) -> &mut NewTriedCount {
        self.network_counts.entry(net).or_default()
    }

    fn create(&mut self, addr: &Address, source: &NetAddr) -> i64 {
        let id = self.id_count;
        self.id_count += 1;
        let mut info = AddrInfo::new(addr.clone(), source.clone());
        info.random_pos = self.random.len();
        self.map_info.insert(id, info);
        self.map_addr.insert(addr.service.clone(), id);
        self.random.push(id);
        self.n_new += 1;
        self.counts(addr.addr().get_network()).n_new += 1;
        id
    }

    fn swap_random(&mut self, p1: usize, p2: usize) {
        if p1 == p2 {
            return;
        }
        let (id1, id2) = (self.random[p1], self.random[p2]);
        self.info_mut(id1).random_pos = p2;
        self.info_mut(id2).random_pos = p1;
        self.random.swap(p1, p2);
    }

    /// Removes an entry that is in no table.
    fn delete(&mut self, id: i64) {
        let pos = self.info(id).random_pos;
        let last = self.random.len() - 1;
        self.swap_random(pos, last);
        self.random.pop();
        if let Some(info) = self.map_info.remove(&id) {
            self.counts(info.address.addr().get_network()).n_new -= 1;
            self.map_addr.remove(&info.address.service);
        }
        self.n_new -= 1;
    }

    /// Empties a new-table slot, deleting its entry when no other slot refers to it.
    fn clear_new(&mut self, bucket: usize, pos: usize) {
        let id = self.vv_new[bucket][pos];
        if id == EMPTY {
            return;
        }
        let info = self.info_mut(id);
        info.ref_count -= 1;
        let gone = info.ref_count == 0;
        self.vv_new[bucket][pos] = EMPTY;
        if gone {
            self.delete(id);
        }
    }

    /// Moves an entry from the new table to the tried table, sending whatever occupied its
    /// tried slot back to the new table.
    fn make_tried(&mut self, id: i64) {
        let key = self.key;
        let start = self.info(id).get_new_bucket_default(&key);
        for n in 0..ADDRMAN_NEW_BUCKET_COUNT {
            let bucket = (start + n) % ADDRMAN_NEW_BUCKET_COUNT;
            let pos = self.info(id).get_bucket_position(&key, true, bucket);
            if self.vv_new[bucket][pos] == id {
                self.vv_new[bucket][pos] = EMPTY;
                let info = self.info_mut(id);
                info.ref_count -= 1;
                if info.ref_count == 0 {
                    break;
                }
            }
        }
        self.n_new -= 1;
        let net = self.info(id).address.addr().get_network();
        self.counts(net).n_new -= 1;

        let kb = self.info(id).get_tried_bucket(&key);
        let kp = self.info(id).get_bucket_position(&key, false, kb);
        let evict = self.vv_tried[kb][kp];
        if evict != EMPTY {
            let old_net = self.info(evict).address.addr().get_network();
            self.info_mut(evict).in_tried = false;
            self.vv_tried[kb][kp] = EMPTY;
            self.n_tried -= 1;
            self.counts(old_net).n_tried -= 1;
            let ub = self.info(evict).get_new_bucket_default(&key);
            let up = self.info(evict).get_bucket_position(&key, true, ub);
            self.clear_new(ub, up);
            self.info_mut(evict).ref_count = 1;
            self.vv_new[ub][up] = evict;
            self.n_new += 1;
            self.counts(old_net).n_new += 1;
        }
        self.vv_tried[kb][kp] = id;
        self.n_tried += 1;
        self.info_mut(id).in_tried = true;
        self.counts(net).n_tried += 1;
    }

    fn add_single(&mut self, addr: &Address, source: &NetAddr, mut time_penalty: i64) -> bool {
        if !addr.addr().is_routable() {
            return false;
        }
        // A peer announcing itself is not penalised.
        if addr.addr() == source {
            time_penalty = 0;
        }
        let now = self.now();
        let key = self.key;
        let id = match self.find(&addr.service) {
            Some(id) => {
                // Refresh the last-seen time now and then, more often for peers online now.
                let online = now - addr.time < 24 * 60 * 60;
                let interval = if online { 60 * 60 } else { 24 * 60 * 60 };
                let info = self.info_mut(id);
                if info.address.time < addr.time - interval - time_penalty {
                    info.address.time = (addr.time - time_penalty).max(0);
                }
                info.address.services |= addr.services;
                if addr.time <= info.address.time || info.in_tried {
                    return false;
                }
                if info.ref_count == ADDRMAN_NEW_BUCKETS_PER_ADDRESS {
                    return false;
                }
                // Each extra reference is twice as hard to get as the one before.
                let refs = info.ref_count;
                if refs > 0 && self.rng.randrange(1u64 << refs) != 0 {
                    return false;
                }
                id
            }
            None => {
                let id = self.create(addr, source);
                let info = self.info_mut(id);
                info.address.time = (info.address.time - time_penalty).max(0);
                id
            }
        };
        let ub = self.info(id).get_new_bucket(&key, source);
        let up = self.info(id).get_bucket_position(&key, true, ub);
        let existing = self.vv_new[ub][up];
        let mut insert = existing == EMPTY;
        if existing != id {
            if !insert {
                let old = self.info(existing);
                if old.is_terrible(now) || (old.ref_count > 1 && self.info(id).ref_count == 0) {
                    insert = true;
                }
            }
            if insert {
                self.clear_new(ub, up);
                self.info_mut(id).ref_count += 1;
                self.vv_new[ub][up] = id;
                common::log_debug!(
                    common::logging::Category::Addrman,
                    "Added {} to new[{}][{}]",
                    addr.service.to_string_addr_port(),
                    ub,
                    up
                );
            } else if self.info(id).ref_count == 0 {
                self.delete(id);
            }
        }
        insert
    }

    fn good_inner(&mut self, addr: &Service, test_before_evict: bool, time: i64) -> bool {
        self.last_good = time;
        let Some(id) = self.find(addr) else {
            return false;
        };
        let key = self.key;
        let info = self.info_mut(id);
        info.last_success = time;
        info.last_try = time;
        info.attempts = 0;
        // The last-seen time is left alone so it does not reveal current peers.
        if info.in_tried || info.ref_count <= 0 {
            return false;
        }
        let kb = self.info(id).get_tried_bucket(&key);
        let kp = self.info(id).get_bucket_position(&key, false, kb);
        if test_before_evict && self.vv_tried[kb][kp] != EMPTY {
            if self.tried_collisions.len() < ADDRMAN_SET_TRIED_COLLISION_SIZE {
                self.tried_collisions.insert(id);
            }
            return false;
        }
        self.make_tried(id);
        common::log_debug!(
            common::logging::Category::Addrman,
            "Moved {} to tried[{}][{}]",
            addr.to_string_addr_port(),
            kb,
            kp
        );
        true
    }

    /// Runs the consistency check on one in `check_ratio` calls. An inconsistency is a
    /// bug in this module, so like Core it stops the process.
    fn check(&mut self) {
        if self.check_ratio == 0 {
            return;
        }
        if self.rng.randrange(self.check_ratio as u64) >= 1 {
            return;
        }
        if let Err(code) = self.check_addrman() {
            panic!("ADDRMAN CONSISTENCY CHECK FAILED!!! err={code}");
        }
    }

    /// Number of entries: all, or in one table (`in_new`), optionally only of one
    /// network (as [`NetAddr::get_network`] classifies).
    pub fn size(&mut self, net: Option<Network>, in_new: Option<bool>) -> usize {
        self.check();
        let r = match net {
            None => match in_new {
                Some(true) => self.n_new as usize,
                Some(false) => self.n_tried as usize,
                None => self.random.len(),
            },
            Some(n) => match self.network_counts.get(&n) {
                Some(c) => match in_new {
                    Some(true) => c.n_new,
                    Some(false) => c.n_tried,
                    None => c.n_new + c.n_tried,
                },
                None => 0,
            },
        };
        self.check();
        r
    }

    /// Adds addresses heard from `source` to the new table, aging their times by
    /// `time_penalty` seconds; true when at least one was added.
    pub fn add(&mut self, addrs: &[Address], source: &NetAddr, time_penalty: i64) -> bool {
        self.check();
        let mut added = 0;
        for a in addrs {
            if self.add_single(a, source, time_penalty) {
                added += 1;
            }
        }
        if added > 0 {
            common::log_debug!(
                common::logging::Category::Addrman,
                "Added {} addresses (of {}) from {}: {} tried, {} new",
                added,
                addrs.len(),
                source.to_string_addr(),
                self.n_tried,
                self.n_new
            );
        }
        self.check();
        added > 0
    }

    /// Marks a successful connection at `time`, moving the entry to the tried table unless
    /// that would evict another entry, in which case the move waits as a collision to be
    /// tested ([`resolve_collisions`](Self::resolve_collisions)).
    pub fn good(&mut self, addr: &Service, time: i64) -> bool {
        self.check();
        let r = self.good_inner(addr, true, time);
        self.check();
        r
    }

    /// Records a connection attempt at `time`; a failure counts (once per success of any
    /// peer) when `count_failure`.
    pub fn attempt(&mut self, addr: &Service, count_failure: bool, time: i64) {
        self.check();
        if let Some(id) = self.find(addr) {
            let last_good = self.last_good;
            let info = self.info_mut(id);
            info.last_try = time;
            if count_failure && info.last_count_attempt < last_good {
                info.last_count_attempt = time;
                info.attempts += 1;
            }
        }
        self.check();
    }

    /// Settles pending tried-table collisions: the newcomer replaces the old entry when the
    /// old one has failed for a minute or more, or when the test window has run out; it
    /// gives way when the old entry connected recently.
    pub fn resolve_collisions(&mut self) {
        self.check();
        let key = self.key;
        let pending: Vec<i64> = self.tried_collisions.iter().copied().collect();
        for id_new in pending {
            let mut erase = false;
            // Entries gone or no longer valid cannot be moved.
            if !self
                .map_info
                .get(&id_new)
                .is_some_and(|i| i.address.addr().is_valid())
            {
                erase = true;
            } else {
                let kb = self.info(id_new).get_tried_bucket(&key);
                let kp = self.info(id_new).get_bucket_position(&key, false, kb);
                let id_old = self.vv_tried[kb][kp];
                let now = self.now();
                match self.map_info.get(&id_old) {
                    None => erase = true,
                    Some(old) => {
                        if now - old.last_success < ADDRMAN_REPLACEMENT {
                            erase = true;
                        } else if now - old.last_try < ADDRMAN_REPLACEMENT {
                            // Give the old entry at least a minute to connect.
                            if now - old.last_try > 60 {
                                let svc = self.info(id_new).address.service.clone();
                                self.good_inner(&svc, false, now);
                                erase = true;
                            }
                        } else if now - self.info(id_new).last_success > ADDRMAN_TEST_WINDOW {
                            let svc = self.info(id_new).address.service.clone();
                            self.good_inner(&svc, false, now);
                            erase = true;
                        }
                    }
                }
            }
            if erase {
                self.tried_collisions.remove(&id_new);
            }
        }
        self.check();
    }

    /// The tried entry that a random pending collision would evict, with its last try
    /// time, so the caller can test it with a feeler connection.
    pub fn select_tried_collision(&mut self) -> Option<(Address, i64)> {
        self.check();
        let r = self.select_tried_collision_inner();
        self.check();
        r
    }

    fn select_tried_collision_inner(&mut self) -> Option<(Address, i64)> {
        if self.tried_collisions.is_empty() {
            return None;
        }
        let idx = self.rng.randrange(self.tried_collisions.len() as u64) as usize;
        let id_new = *self.tried_collisions.iter().nth(idx)?;
        let Some(new_info) = self.map_info.get(&id_new) else {
            self.tried_collisions.remove(&id_new);
            return None;
        };
        let kb = new_info.get_tried_bucket(&self.key);
        let kp = new_info.get_bucket_position(&self.key, false, kb);
        let old = self.map_info.get(&self.vv_tried[kb][kp])?;
        Some((old.address.clone(), old.last_try))
    }

    /// Picks an address to connect to, with its last try time: from the new table only
    /// when `new_only`, otherwise new or tried with equal chance; only from `networks`
    /// when not empty. Entries are accepted with probability [`AddrInfo::get_chance`],
    /// raised by 20% after each refusal.
    pub fn select(&mut self, new_only: bool, networks: &[Network]) -> Option<(Address, i64)> {
        self.check();
        let r = self.select_inner(new_only, networks);
        self.check();
        r
    }

    fn select_inner(&mut self, new_only: bool, networks: &[Network]) -> Option<(Address, i64)> {
        if self.random.is_empty() {
            return None;
        }
        let (mut new_count, mut tried_count) = (self.n_new as usize, self.n_tried as usize);
        if !networks.is_empty() {
            new_count = 0;
            tried_count = 0;
            let mut seen = Vec::new();
            for n in networks {
                if seen.contains(n) {
                    continue;
                }
                seen.push(*n);
                if let Some(c) = self.network_counts.get(n) {
                    new_count += c.n_new;
                    tried_count += c.n_tried;
                }
            }
        }
        if new_only && new_count == 0 {
            return None;
        }
        if new_count + tried_count == 0 {
            return None;
        }
        let search_tried = if new_only || tried_count == 0 {
            false
        } else if new_count == 0 {
            true
        } else {
            self.rng.randbool()
        };
        let bucket_count = if search_tried {
            ADDRMAN_TRIED_BUCKET_COUNT
        } else {
            ADDRMAN_NEW_BUCKET_COUNT
        };
        let now = self.now();
        let mut chance_factor = 1.0f64;
        loop {
            let bucket = self.rng.randrange(bucket_count as u64) as usize;
            let initial = self.rng.randrange(ADDRMAN_BUCKET_SIZE as u64) as usize;
            let mut found = None;
            for i in 0..ADDRMAN_BUCKET_SIZE {
                let position = (initial + i) % ADDRMAN_BUCKET_SIZE;
                let id = self.get_entry(search_tried, bucket, position);
                if id == EMPTY {
                    continue;
                }
                if networks.is_empty()
                    || networks.contains(&self.info(id).address.addr().get_network())
                {
                    found = Some(id);
                    break;
                }
            }
            let Some(id) = found else { continue };
            let chance = self.info(id).get_chance(now);
            if (self.rng.randbits(30) as f64) < chance_factor * chance * f64::from(1u32 << 30) {
                let info = self.info(id);
                return Some((info.address.clone(), info.last_try));
            }
            chance_factor *= 1.2;
        }
    }

    fn get_entry(&self, tried: bool, bucket: usize, position: usize) -> i64 {
        let table = if tried { &self.vv_tried } else { &self.vv_new };
        table
            .get(bucket)
            .and_then(|b| b.get(position))
            .copied()
            .unwrap_or(EMPTY)
    }

    /// Up to `max_addresses` (0 = no limit) and `max_pct` percent (0 = no limit) of all
    /// entries in random order, optionally of one network class, skipping terrible ones
    /// when `filtered`: what we answer `getaddr` with.
    pub fn get_addr(
        &mut self,
        max_addresses: usize,
        max_pct: usize,
        network: Option<Network>,
        filtered: bool,
    ) -> Vec<Address> {
        self.check();
        let mut n_nodes = self.random.len();
        if max_pct != 0 {
            n_nodes = max_pct.min(100) * n_nodes / 100;
        }
        if max_addresses != 0 {
            n_nodes = n_nodes.min(max_addresses);
        }
        let now = self.now();
        let mut out = Vec::with_capacity(n_nodes);
        let total = self.random.len();
        for n in 0..total {
            if out.len() >= n_nodes {
                break;
            }
            let pick = self.rng.randrange((total - n) as u64) as usize + n;
            self.swap_random(n, pick);
            let info = self.info(self.random[n]);
            if network.is_some_and(|net| info.address.addr().get_net_class() != net) {
                continue;
            }
            if filtered && info.is_terrible(now) {
                continue;
            }
            out.push(info.address.clone());
        }
        self.check();
        out
    }

    /// Every entry of the tried (`from_tried`) or new table with its position, bucket by
    /// bucket; an entry in several new buckets appears once per slot.
    pub fn get_entries(&mut self, from_tried: bool) -> Vec<(AddrInfo, AddressPosition)> {
        self.check();
        let buckets = if from_tried {
            ADDRMAN_TRIED_BUCKET_COUNT
        } else {
            ADDRMAN_NEW_BUCKET_COUNT
        };
        let mut out = Vec::new();
        for bucket in 0..buckets {
            for position in 0..ADDRMAN_BUCKET_SIZE {
                let id = self.get_entry(from_tried, bucket, position);
                if let Some(info) = self.map_info.get(&id) {
                    let multiplicity = if from_tried { 1 } else { info.ref_count };
                    out.push((
                        info.clone(),
                        AddressPosition {
                            tried: from_tried,
                            multiplicity,
                            bucket,
                            position,
                        },
                    ));
                }
            }
        }
        self.check();
        out
    }

    /// Records that we are connected to `addr` at `time`: its last-seen time moves forward
    /// when more than 20 minutes old.
    pub fn connected(&mut self, addr: &Service, time: i64) {
        self.check();
        if let Some(id) = self.find(addr) {
            let info = self.info_mut(id);
            if time - info.address.time > 20 * 60 {
                info.address.time = time;
            }
        }
        self.check();
    }

    /// Replaces the services recorded for `addr`.
    pub fn set_services(&mut self, addr: &Service, services: ServiceFlags) {
        self.check();
        if let Some(id) = self.find(addr) {
            self.info_mut(id).address.services = services;
        }
        self.check();
    }

    /// Where `addr` is: for new entries the slot of its own source's bucket, with the
    /// number of slots referring to it.
    pub fn find_address_entry(&mut self, addr: &Service) -> Option<AddressPosition> {
        self.check();
        let r = self.find(addr).map(|id| {
            let info = self.info(id);
            if info.in_tried {
                let bucket = info.get_tried_bucket(&self.key);
                let position = info.get_bucket_position(&self.key, false, bucket);
                AddressPosition {
                    tried: true,
                    multiplicity: 1,
                    bucket,
                    position,
                }
            } else {
                let bucket = info.get_new_bucket_default(&self.key);
                let position = info.get_bucket_position(&self.key, true, bucket);
                AddressPosition {
                    tried: false,
                    multiplicity: info.ref_count,
                    bucket,
                    position,
                }
            }
        });
        self.check();
        r
    }
}
