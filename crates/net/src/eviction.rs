//! Choosing an inbound connection to drop when the inbound slots are full (Core's
//! `node/eviction.cpp`, `SelectNodeToEvict`).
//!
//! Peers are protected for several properties an attacker finds hard to fake at once
//! (netgroup, low latency, useful relay, uptime, privacy networks); of the rest, the
//! youngest peer of the most crowded netgroup goes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::netaddr::Network;
use crate::types::{ConnectionType, NodeId};

/// What eviction looks at for one connection (`NodeEvictionCandidate`).
#[derive(Clone, Debug)]
pub struct EvictionCandidate {
    /// The connection.
    pub id: NodeId,
    /// When it connected (seconds since the epoch).
    pub connected: i64,
    /// Its best ping, microseconds (`i64::MAX` when never measured).
    pub min_ping_us: i64,
    /// When it last gave us a new block (0 = never).
    pub last_block_time: i64,
    /// When it last gave us a new transaction (0 = never).
    pub last_tx_time: i64,
    /// Whether it offers all the services we want.
    pub relevant_services: bool,
    /// Whether we relay transactions with it.
    pub relay_txs: bool,
    /// Whether it loaded a bloom filter.
    pub bloom_filter: bool,
    /// Its keyed netgroup.
    pub keyed_netgroup: u64,
    /// Whether it is preferred for eviction (discouraged when accepted).
    pub prefer_evict: bool,
    /// Whether it connects from this host.
    pub is_local: bool,
    /// The network it connects through.
    pub network: Network,
    /// Whether it has the `noban` permission.
    pub noban: bool,
    /// Its connection type.
    pub conn_type: ConnectionType,
}

/// Sorts by `cmp` and removes, among the last `k`, those matching `pred`.
fn erase_last_k(
    c: &mut Vec<EvictionCandidate>,
    cmp: impl Fn(&EvictionCandidate, &EvictionCandidate) -> Ordering,
    k: usize,
    pred: impl Fn(&EvictionCandidate) -> bool,
) {
    c.sort_by(&cmp);
    let start = c.len() - k.min(c.len());
    let mut i = start;
    let mut kept = start;
    while i < c.len() {
        if !pred(&c[i]) {
            c.swap(kept, i);
            kept += 1;
        }
        i += 1;
    }
    c.truncate(kept);
}

// Comparators put the most protection-worthy last.
fn by_uptime(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    b.connected.cmp(&a.connected)
}

fn by_netgroup(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    a.keyed_netgroup.cmp(&b.keyed_netgroup)
}

fn by_ping(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    b.min_ping_us.cmp(&a.min_ping_us)
}

fn by_block_time(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    a.last_block_time
        .cmp(&b.last_block_time)
        .then(a.relevant_services.cmp(&b.relevant_services))
        .then(by_uptime(a, b))
}

fn by_tx_time(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    a.last_tx_time
        .cmp(&b.last_tx_time)
        .then(a.relay_txs.cmp(&b.relay_txs))
        .then(b.bloom_filter.cmp(&a.bloom_filter))
        .then(by_uptime(a, b))
}

fn by_block_relay_only_time(a: &EvictionCandidate, b: &EvictionCandidate) -> Ordering {
    b.relay_txs
        .cmp(&a.relay_txs)
        .then(a.last_block_time.cmp(&b.last_block_time))
        .then(a.relevant_services.cmp(&b.relevant_services))
        .then(by_uptime(a, b))
}

#[derive(Clone, Copy)]
struct NetSlot {
    is_local: bool,
    network: Network,
    count: usize,
}

impl NetSlot {
    fn matches(&self, c: &EvictionCandidate) -> bool {
        if self.is_local {
            c.is_local
        } else {
            c.network == self.network
        }
    }
}

/// Protects half of the candidates by uptime, reserving up to half of those places for
/// peers on disadvantaged networks (CJDNS, I2P, localhost, onion), whose latency
/// otherwise loses them every other protection (`ProtectEvictionCandidatesByRatio`).
pub fn protect_by_ratio(c: &mut Vec<EvictionCandidate>) {
    let initial = c.len();
    let total_protect = initial / 2;
    let mut nets = [
        NetSlot {
            is_local: false,
            network: Network::Cjdns,
            count: 0,
        },
        NetSlot {
            is_local: false,
            network: Network::I2p,
            count: 0,
        },
        NetSlot {
            is_local: true,
            network: Network::Internal,
            count: 0,
        },
        NetSlot {
            is_local: false,
            network: Network::Onion,
            count: 0,
        },
    ];
    for n in nets.iter_mut() {
        n.count = c.iter().filter(|x| n.matches(x)).count();
    }
    // Stable: on equal counts the earlier network recovers unused places first.
    nets.sort_by_key(|n| n.count);
    let max_by_network = total_protect / 2;
    let mut protected = 0;
    'outer: while protected < max_by_network {
        let num_networks = nets.iter().filter(|n| n.count > 0).count();
        if num_networks == 0 {
            break;
        }
        let per_network = ((max_by_network - protected) / num_networks).max(1);
        let mut any = false;
        for n in nets.iter_mut() {
            if n.count == 0 {
                continue;
            }
            let slot = *n;
            let before = c.len();
            erase_last_k(
                c,
                |a, b| {
                    if slot.is_local && a.is_local != b.is_local {
                        return a.is_local.cmp(&b.is_local);
                    }
                    let (am, bm) = (a.network == slot.network, b.network == slot.network);
                    if am != bm {
                        return am.cmp(&bm);
                    }
                    by_uptime(a, b)
                },
                per_network,
                |x| slot.matches(x),
            );
            let delta = before - c.len();
            if delta > 0 {
                any = true;
                protected += delta;
                if protected >= max_by_network {
                    break 'outer;
                }
                n.count -= delta;
            }
        }
        if !any {
            break;
        }
    }
    let remaining = total_protect - (initial - c.len());
    erase_last_k(c, by_uptime, remaining, |_| true);
}

/// The inbound connection to evict, if any is unprotected (`SelectNodeToEvict`).
pub fn select_node_to_evict(mut c: Vec<EvictionCandidate>) -> Option<NodeId> {
    c.retain(|x| !x.noban && x.conn_type == ConnectionType::Inbound);
    erase_last_k(&mut c, by_netgroup, 4, |_| true);
    erase_last_k(&mut c, by_ping, 8, |_| true);
    erase_last_k(&mut c, by_tx_time, 4, |_| true);
    erase_last_k(&mut c, by_block_relay_only_time, 8, |x| {
        !x.relay_txs && x.relevant_services
    });
    erase_last_k(&mut c, by_block_time, 4, |_| true);
    protect_by_ratio(&mut c);
    if c.is_empty() {
        return None;
    }
    if c.iter().any(|x| x.prefer_evict) {
        c.retain(|x| x.prefer_evict);
    }
    // `c` is sorted youngest first; pick the biggest netgroup, on ties the one whose
    // first (youngest) member is youngest.
    let mut groups: BTreeMap<u64, Vec<&EvictionCandidate>> = BTreeMap::new();
    let mut best: Option<(usize, i64, u64)> = None;
    for x in &c {
        let g = groups.entry(x.keyed_netgroup).or_default();
        g.push(x);
        let (size, time) = (g.len(), g[0].connected);
        let better = match best {
            None => true,
            Some((bs, bt, _)) => size > bs || (size == bs && time > bt),
        };
        if better {
            best = Some((size, time, x.keyed_netgroup));
        }
    }
    let (_, _, group) = best?;
    groups.get(&group).and_then(|g| g.first()).map(|x| x.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: NodeId) -> EvictionCandidate {
        EvictionCandidate {
            id,
            connected: 1000 + id,
            min_ping_us: i64::MAX,
            last_block_time: 0,
            last_tx_time: 0,
            relevant_services: false,
            relay_txs: true,
            bloom_filter: false,
            keyed_netgroup: id as u64,
            prefer_evict: false,
            is_local: false,
            network: Network::Ipv4,
            noban: false,
            conn_type: ConnectionType::Inbound,
        }
    }

    #[test]
    fn too_few_candidates_are_all_protected() {
        let c: Vec<_> = (0..20).map(cand).collect();
        assert_eq!(select_node_to_evict(c), None);
    }

    #[test]
    fn noban_and_outbound_are_never_chosen() {
        let mut c: Vec<_> = (0..40).map(cand).collect();
        for x in c.iter_mut() {
            x.noban = true;
        }
        assert_eq!(select_node_to_evict(c.clone()), None);
        for x in c.iter_mut() {
            x.noban = false;
            x.conn_type = ConnectionType::Manual;
        }
        assert_eq!(select_node_to_evict(c), None);
    }

    #[test]
    fn evicts_youngest_of_most_crowded_netgroup() {
        let mut c: Vec<_> = (0..40).map(cand).collect();
        for x in c.iter_mut() {
            x.keyed_netgroup = x.id as u64 + 100;
        }
        // Ten peers share the lowest netgroup, so netgroup protection skips them; the
        // youngest of them is id 39.
        for x in c.iter_mut().skip(30) {
            x.keyed_netgroup = 0;
        }
        assert_eq!(select_node_to_evict(c), Some(39));
    }

    #[test]
    fn prefer_evict_wins_among_unprotected() {
        let mut c: Vec<_> = (0..40).map(cand).collect();
        c[20].prefer_evict = true;
        assert_eq!(select_node_to_evict(c), Some(20));
    }

    #[test]
    fn fast_and_useful_peers_are_protected() {
        let base: Vec<_> = (0..40).map(cand).collect();
        let plain = select_node_to_evict(base.clone()).expect("one is evicted");
        let tweaks: [fn(&mut EvictionCandidate); 3] = [
            |x| x.min_ping_us = 10,
            |x| x.last_block_time = 5,
            |x| x.last_tx_time = 5,
        ];
        for tweak in tweaks {
            let mut c = base.clone();
            let idx = c.iter().position(|x| x.id == plain).expect("present");
            tweak(&mut c[idx]);
            let chosen = select_node_to_evict(c).expect("one is evicted");
            assert_ne!(chosen, plain);
        }
    }

    #[test]
    fn ratio_protects_onion_and_local() {
        let mut c: Vec<_> = (0..16).map(cand).collect();
        // The four youngest are onion peers: two get the reserved places.
        for x in c.iter_mut().skip(12) {
            x.network = Network::Onion;
        }
        protect_by_ratio(&mut c);
        // Half (8) are protected: the 4 onion peers by network, then the 4 oldest.
        assert_eq!(c.len(), 8);
        let onion_left = c.iter().filter(|x| x.network == Network::Onion).count();
        assert_eq!(onion_left, 0);
        // The longest connected peers (ids 0..4) are protected by uptime.
        assert!(c.iter().all(|x| x.id >= 4));
    }
}
