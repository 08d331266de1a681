//! Who we ask for an announced transaction, and when (Core's `TxRequestTracker`,
//! txrequest.cpp).
//!
//! Every (transaction hash, peer) announcement is in one state:
//! - `CandidateDelayed`: announced, its request time not reached yet;
//! - `CandidateReady`: may be requested, but another announcement is preferred;
//! - `CandidateBest`: the one to request next for this hash (at most one, and only
//!   while no request is outstanding);
//! - `Requested`: asked for, until its expiry (at most one per hash);
//! - `Completed`: answered, timed out, or superseded.
//!
//! Among the ready candidates of a hash the highest priority is best: announcements
//! from preferred peers first, then a salted hash of (hash, peer), so which of several
//! equally preferred peers is asked cannot be steered by announcing first. A hash whose
//! announcements are all completed is forgotten. Requests for a peer come out in
//! announcement order.

use std::collections::{BTreeSet, HashMap};

use bitcoin::hashes::siphash24;
use net::NodeId;

/// A txid or wtxid (`GenTxid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GenTxid {
    /// Whether `hash` is a wtxid.
    pub wtxid: bool,
    /// The hash.
    pub hash: [u8; 32],
}

impl GenTxid {
    pub(crate) fn txid(hash: [u8; 32]) -> GenTxid {
        GenTxid { wtxid: false, hash }
    }

    pub(crate) fn wtxid(hash: [u8; 32]) -> GenTxid {
        GenTxid { wtxid: true, hash }
    }
}

/// An announcement's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    CandidateDelayed,
    CandidateReady,
    CandidateBest,
    Requested,
    Completed,
}

impl State {
    fn is_selectable(self) -> bool {
        matches!(self, State::CandidateReady | State::CandidateBest)
    }

    fn is_waiting(self) -> bool {
        matches!(self, State::CandidateDelayed | State::Requested)
    }
}

struct Announcement {
    gtxid: GenTxid,
    peer: NodeId,
    preferred: bool,
    /// For candidates the request time; for a request its expiry, microseconds.
    time: i64,
    state: State,
}

#[derive(Default, Clone, Copy)]
struct PeerCounts {
    total: usize,
    requested: usize,
    completed: usize,
}

/// The request tracker.
pub(crate) struct TxRequestTracker {
    k0: u64,
    k1: u64,
    /// Announcements by sequence number (their identity and announcement order).
    anns: HashMap<u64, Announcement>,
    next_seq: u64,
    /// Per hash, its announcements' sequence numbers.
    by_hash: HashMap<[u8; 32], Vec<u64>>,
    /// Per peer, its announcements by hash.
    by_peer: HashMap<NodeId, HashMap<[u8; 32], u64>>,
    /// Per peer, its best candidates in announcement order.
    best_by_peer: HashMap<NodeId, BTreeSet<u64>>,
    /// Delayed candidates and requests, by the time they change state.
    waiting: BTreeSet<(i64, u64)>,
    /// Ready and best candidates, by request time (for a clock going backwards).
    selectable: BTreeSet<(i64, u64)>,
    peers: HashMap<NodeId, PeerCounts>,
}

impl TxRequestTracker {
    /// A tracker with a random salt; `deterministic` uses a zero salt (for tests).
    pub(crate) fn new(deterministic: bool) -> TxRequestTracker {
        let (k0, k1) = if deterministic {
            (0, 0)
        } else {
            let mut rng = crate::rng::Rng::from_os();
            (rng.next_u64(), rng.next_u64())
        };
        TxRequestTracker {
            k0,
            k1,
            anns: HashMap::new(),
            next_seq: 0,
            by_hash: HashMap::new(),
            by_peer: HashMap::new(),
            best_by_peer: HashMap::new(),
            waiting: BTreeSet::new(),
            selectable: BTreeSet::new(),
            peers: HashMap::new(),
        }
    }

    /// An announcement's priority: the preferred bit on top of a salted hash of the
    /// transaction hash and the peer (`PriorityComputer`).
    pub(crate) fn compute_priority(&self, hash: &[u8; 32], peer: NodeId, preferred: bool) -> u64 {
        let mut data = [0u8; 40];
        data[..32].copy_from_slice(hash);
        data[32..].copy_from_slice(&(peer as u64).to_le_bytes());
        let h = siphash24::Hash::hash_with_keys(self.k0, self.k1, &data).as_u64();
        (h >> 1) | (u64::from(preferred) << 63)
    }

    fn priority_of(&self, seq: u64) -> u64 {
        let a = &self.anns[&seq];
        self.compute_priority(&a.gtxid.hash, a.peer, a.preferred)
    }

    /// Moves an announcement to a new state (and time), keeping every index in step.
    fn set_state(&mut self, seq: u64, state: State, time: Option<i64>) {
        let Some(a) = self.anns.get_mut(&seq) else {
            return;
        };
        let old = a.state;
        let old_time = a.time;
        a.state = state;
        if let Some(t) = time {
            a.time = t;
        }
        let (peer, new_time) = (a.peer, a.time);
        if old.is_waiting() {
            self.waiting.remove(&(old_time, seq));
        } else if old.is_selectable() {
            self.selectable.remove(&(old_time, seq));
        }
        if state.is_waiting() {
            self.waiting.insert((new_time, seq));
        } else if state.is_selectable() {
            self.selectable.insert((new_time, seq));
        }
        if old == State::CandidateBest {
            if let Some(s) = self.best_by_peer.get_mut(&peer) {
                s.remove(&seq);
                if s.is_empty() {
                    self.best_by_peer.remove(&peer);
                }
            }
        }
        if state == State::CandidateBest {
            self.best_by_peer.entry(peer).or_default().insert(seq);
        }
        let c = self.peers.entry(peer).or_default();
        c.requested -= usize::from(old == State::Requested);
        c.completed -= usize::from(old == State::Completed);
        c.requested += usize::from(state == State::Requested);
        c.completed += usize::from(state == State::Completed);
    }

    /// Removes an announcement from every index.
    fn erase(&mut self, seq: u64) {
        self.set_state(seq, State::CandidateDelayed, None);
        let Some(a) = self.anns.remove(&seq) else {
            return;
        };
        self.waiting.remove(&(a.time, seq));
        if let Some(v) = self.by_hash.get_mut(&a.gtxid.hash) {
            v.retain(|s| *s != seq);
            if v.is_empty() {
                self.by_hash.remove(&a.gtxid.hash);
            }
        }
        if let Some(m) = self.by_peer.get_mut(&a.peer) {
            m.remove(&a.gtxid.hash);
            if m.is_empty() {
                self.by_peer.remove(&a.peer);
            }
        }
        if let Some(c) = self.peers.get_mut(&a.peer) {
            c.total -= 1;
            if c.total == 0 {
                self.peers.remove(&a.peer);
            }
        }
    }

    /// Re-establishes the selection for a hash: with no request outstanding, the ready
    /// candidate of highest priority is the best, the others ready.
    fn reselect(&mut self, hash: &[u8; 32]) {
        let Some(seqs) = self.by_hash.get(hash).cloned() else {
            return;
        };
        let requested = seqs.iter().any(|s| self.anns[s].state == State::Requested);
        let best = if requested {
            None
        } else {
            seqs.iter()
                .filter(|s| self.anns[s].state.is_selectable())
                .max_by_key(|s| self.priority_of(**s))
                .copied()
        };
        for s in seqs {
            let st = self.anns[&s].state;
            if !st.is_selectable() {
                continue;
            }
            let want = if Some(s) == best {
                State::CandidateBest
            } else {
                State::CandidateReady
            };
            if st != want {
                self.set_state(s, want, None);
            }
        }
    }

    /// Marks an announcement completed; forgets the hash once nothing else is pending
    /// for it (`MakeCompleted`). Returns whether the announcement still exists.
    fn make_completed(&mut self, seq: u64) -> bool {
        let Some(a) = self.anns.get(&seq) else {
            return false;
        };
        if a.state == State::Completed {
            return true;
        }
        let hash = a.gtxid.hash;
        let others_pending = self.by_hash[&hash]
            .iter()
            .any(|s| *s != seq && self.anns[s].state != State::Completed);
        if !others_pending {
            self.forget_tx_hash(&hash);
            return false;
        }
        self.set_state(seq, State::Completed, None);
        self.reselect(&hash);
        true
    }

    /// Brings the states up to `now` (`SetTimePoint`): due delayed candidates become
    /// ready, expired requests completed (reported in `expired`); candidates whose time
    /// is ahead of a clock that went back are delayed again.
    fn set_time_point(&mut self, now: i64, expired: &mut Vec<(NodeId, GenTxid)>) {
        while let Some(&(t, seq)) = self.waiting.first() {
            if t > now {
                break;
            }
            let (state, peer, gtxid) = {
                let a = &self.anns[&seq];
                (a.state, a.peer, a.gtxid)
            };
            if state == State::CandidateDelayed {
                self.set_state(seq, State::CandidateReady, None);
                self.reselect(&gtxid.hash);
            } else {
                expired.push((peer, gtxid));
                self.make_completed(seq);
            }
        }
        while let Some(&(t, seq)) = self.selectable.last() {
            if t <= now {
                break;
            }
            let hash = self.anns[&seq].gtxid.hash;
            self.set_state(seq, State::CandidateDelayed, None);
            self.reselect(&hash);
        }
    }

    /// A peer announced a hash (`ReceivedInv`). Ignored if it announced it already.
    pub(crate) fn received_inv(
        &mut self,
        peer: NodeId,
        gtxid: GenTxid,
        preferred: bool,
        reqtime: i64,
    ) {
        if self
            .by_peer
            .get(&peer)
            .is_some_and(|m| m.contains_key(&gtxid.hash))
        {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.anns.insert(
            seq,
            Announcement {
                gtxid,
                peer,
                preferred,
                time: reqtime,
                state: State::CandidateDelayed,
            },
        );
        self.waiting.insert((reqtime, seq));
        self.by_hash.entry(gtxid.hash).or_default().push(seq);
        self.by_peer
            .entry(peer)
            .or_default()
            .insert(gtxid.hash, seq);
        self.peers.entry(peer).or_default().total += 1;
    }

    /// What to ask `peer` for now, in announcement order (`GetRequestable`); requests
    /// that timed out meanwhile go into `expired`.
    pub(crate) fn get_requestable(
        &mut self,
        peer: NodeId,
        now: i64,
        expired: &mut Vec<(NodeId, GenTxid)>,
    ) -> Vec<GenTxid> {
        expired.clear();
        self.set_time_point(now, expired);
        self.best_by_peer
            .get(&peer)
            .map(|s| s.iter().map(|seq| self.anns[seq].gtxid).collect())
            .unwrap_or_default()
    }

    /// We asked `peer` for `hash`, to answer by `expiry` (`RequestedTx`). If it was not
    /// the best candidate, the best one steps back and any outstanding request for the
    /// hash is given up.
    pub(crate) fn requested_tx(&mut self, peer: NodeId, hash: &[u8; 32], expiry: i64) {
        let Some(seq) = self.by_peer.get(&peer).and_then(|m| m.get(hash)).copied() else {
            return;
        };
        let state = self.anns[&seq].state;
        match state {
            State::CandidateBest => {}
            State::CandidateDelayed | State::CandidateReady => {
                let others: Vec<u64> = self.by_hash[hash]
                    .iter()
                    .copied()
                    .filter(|s| *s != seq)
                    .collect();
                for s in others {
                    match self.anns[&s].state {
                        State::CandidateBest => self.set_state(s, State::CandidateReady, None),
                        State::Requested => self.set_state(s, State::Completed, None),
                        _ => {}
                    }
                }
            }
            State::Requested | State::Completed => return,
        }
        self.set_state(seq, State::Requested, Some(expiry));
    }

    /// `peer` answered for `hash`, with the transaction or `notfound`
    /// (`ReceivedResponse`).
    pub(crate) fn received_response(&mut self, peer: NodeId, hash: &[u8; 32]) {
        if let Some(seq) = self.by_peer.get(&peer).and_then(|m| m.get(hash)).copied() {
            self.make_completed(seq);
        }
    }

    /// Drops everything about `peer` (`DisconnectedPeer`); its requests move on.
    pub(crate) fn disconnected_peer(&mut self, peer: NodeId) {
        let seqs: Vec<u64> = self
            .by_peer
            .get(&peer)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default();
        for seq in seqs {
            if self.make_completed(seq) {
                self.erase(seq);
            }
        }
    }

    /// Drops every announcement of a hash (`ForgetTxHash`).
    pub(crate) fn forget_tx_hash(&mut self, hash: &[u8; 32]) {
        if let Some(seqs) = self.by_hash.get(hash).cloned() {
            for s in seqs {
                self.erase(s);
            }
        }
    }

    /// The peers with a pending (not completed) announcement of a hash, appended to
    /// `out` (`GetCandidatePeers`).
    pub(crate) fn get_candidate_peers(&self, hash: &[u8; 32], out: &mut Vec<NodeId>) {
        if let Some(seqs) = self.by_hash.get(hash) {
            let mut pending: Vec<(u8, u64, NodeId)> = seqs
                .iter()
                .map(|s| &self.anns[s])
                .filter(|a| a.state != State::Completed)
                .map(|a| {
                    let rank = match a.state {
                        State::CandidateDelayed => 0,
                        State::CandidateReady => 1,
                        _ => 2,
                    };
                    let prio = if a.state == State::CandidateReady {
                        self.compute_priority(&a.gtxid.hash, a.peer, a.preferred)
                    } else {
                        0
                    };
                    (rank, prio, a.peer)
                })
                .collect();
            pending.sort();
            out.extend(pending.into_iter().map(|p| p.2));
        }
    }

    /// Requests outstanding to `peer` (`CountInFlight`).
    pub(crate) fn count_in_flight(&self, peer: NodeId) -> usize {
        self.peers.get(&peer).map_or(0, |c| c.requested)
    }

    /// Announcements from `peer` not requested nor completed (`CountCandidates`).
    #[cfg(test)]
    pub(crate) fn count_candidates(&self, peer: NodeId) -> usize {
        self.peers
            .get(&peer)
            .map_or(0, |c| c.total - c.requested - c.completed)
    }

    /// All announcements from `peer` (`Count`).
    pub(crate) fn count(&self, peer: NodeId) -> usize {
        self.peers.get(&peer).map_or(0, |c| c.total)
    }

    /// All announcements tracked (`Size`).
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        self.anns.len()
    }

    /// The state of `peer`'s announcement of `hash` (tests).
    #[cfg(test)]
    pub(crate) fn state_of(&self, peer: NodeId, hash: &[u8; 32]) -> Option<State> {
        let seq = self.by_peer.get(&peer)?.get(hash)?;
        Some(self.anns[seq].state)
    }

    /// Checks the invariants (`SanityCheck`).
    #[cfg(test)]
    pub(crate) fn sanity_check(&self) {
        for (hash, seqs) in &self.by_hash {
            let states: Vec<State> = seqs.iter().map(|s| self.anns[s].state).collect();
            assert!(states.iter().any(|s| *s != State::Completed));
            let selected = states
                .iter()
                .filter(|s| matches!(s, State::CandidateBest | State::Requested))
                .count();
            assert!(selected <= 1);
            if states.contains(&State::CandidateReady) {
                assert_eq!(selected, 1);
            }
            let best = seqs
                .iter()
                .find(|s| self.anns[s].state == State::CandidateBest);
            if let Some(b) = best {
                for s in seqs {
                    if self.anns[s].state == State::CandidateReady {
                        assert!(self.priority_of(*b) >= self.priority_of(*s));
                    }
                }
            }
            for s in seqs {
                assert_eq!(self.anns[s].gtxid.hash, *hash);
            }
        }
        let mut counts: HashMap<NodeId, (usize, usize, usize)> = HashMap::new();
        for a in self.anns.values() {
            let c = counts.entry(a.peer).or_default();
            c.0 += 1;
            c.1 += usize::from(a.state == State::Requested);
            c.2 += usize::from(a.state == State::Completed);
        }
        assert_eq!(counts.len(), self.peers.len());
        for (p, c) in &self.peers {
            assert_eq!(counts[p], (c.total, c.requested, c.completed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn requestable(t: &mut TxRequestTracker, peer: NodeId, now: i64) -> Vec<[u8; 32]> {
        let mut expired = Vec::new();
        let r = t.get_requestable(peer, now, &mut expired);
        t.sanity_check();
        r.into_iter().map(|g| g.hash).collect()
    }

    #[test]
    fn an_announcement_waits_for_its_request_time() {
        let mut t = TxRequestTracker::new(true);
        t.received_inv(1, GenTxid::wtxid(h(1)), true, 100);
        assert_eq!(t.state_of(1, &h(1)), Some(State::CandidateDelayed));
        assert!(requestable(&mut t, 1, 99).is_empty());
        assert_eq!(requestable(&mut t, 1, 100), vec![h(1)]);
        assert_eq!(t.state_of(1, &h(1)), Some(State::CandidateBest));
        // The clock going back delays it again.
        assert!(requestable(&mut t, 1, 50).is_empty());
        assert_eq!(t.state_of(1, &h(1)), Some(State::CandidateDelayed));
    }

    #[test]
    fn a_preferred_peer_wins_over_a_non_preferred_one() {
        for order in [[1, 2], [2, 1]] {
            let mut t = TxRequestTracker::new(false);
            for p in order {
                t.received_inv(p, GenTxid::wtxid(h(7)), p == 2, 0);
            }
            assert!(requestable(&mut t, 1, 0).is_empty());
            assert_eq!(requestable(&mut t, 2, 0), vec![h(7)]);
            assert_eq!(t.state_of(1, &h(7)), Some(State::CandidateReady));
        }
    }

    #[test]
    fn ties_between_equally_preferred_peers_follow_the_salted_priority() {
        let mut t = TxRequestTracker::new(false);
        for p in 1..=5 {
            t.received_inv(p, GenTxid::wtxid(h(3)), false, 0);
        }
        let best = (1..=5)
            .max_by_key(|p| t.compute_priority(&h(3), *p, false))
            .expect("peers");
        for p in 1..=5 {
            let r = requestable(&mut t, p, 0);
            assert_eq!(r.len(), usize::from(p == best), "peer {p}");
        }
        // Priorities are salted: two trackers rarely agree on every ordering.
        let other = TxRequestTracker::new(false);
        let differs = (0..32u8).any(|i| {
            (t.compute_priority(&h(i), 1, false) > t.compute_priority(&h(i), 2, false))
                != (other.compute_priority(&h(i), 1, false)
                    > other.compute_priority(&h(i), 2, false))
        });
        assert!(differs);
        // The preferred bit dominates whatever the hash says.
        assert!(t.compute_priority(&h(3), 1, true) > t.compute_priority(&h(3), 1, false) | 1);
    }

    #[test]
    fn a_better_candidate_becoming_ready_takes_over_before_the_request() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(4)), false, 0);
        t.received_inv(2, GenTxid::wtxid(h(4)), true, 10);
        assert_eq!(requestable(&mut t, 1, 0), vec![h(4)]);
        // Not requested yet; at 10 the preferred peer is ready and better.
        assert!(requestable(&mut t, 1, 10).is_empty());
        assert_eq!(requestable(&mut t, 2, 10), vec![h(4)]);
    }

    #[test]
    fn one_request_at_a_time_and_a_timeout_moves_on() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(5)), true, 0);
        t.received_inv(2, GenTxid::wtxid(h(5)), false, 0);
        assert_eq!(requestable(&mut t, 1, 0), vec![h(5)]);
        t.requested_tx(1, &h(5), 60);
        assert_eq!(t.state_of(1, &h(5)), Some(State::Requested));
        assert_eq!(t.count_in_flight(1), 1);
        assert!(requestable(&mut t, 2, 59).is_empty());
        let mut expired = Vec::new();
        let r = t.get_requestable(2, 60, &mut expired);
        assert_eq!(r, vec![GenTxid::wtxid(h(5))]);
        assert_eq!(expired, vec![(1, GenTxid::wtxid(h(5)))]);
        assert_eq!(t.state_of(1, &h(5)), Some(State::Completed));
        assert_eq!(t.count_in_flight(1), 0);
        t.sanity_check();
    }

    #[test]
    fn a_response_completes_and_the_last_one_forgets_the_hash() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::txid(h(6)), true, 0);
        t.received_inv(2, GenTxid::txid(h(6)), true, 0);
        let first = if requestable(&mut t, 1, 0).is_empty() {
            2
        } else {
            1
        };
        let second = 3 - first;
        t.requested_tx(first, &h(6), 100);
        t.received_response(first, &h(6));
        assert_eq!(t.state_of(first, &h(6)), Some(State::Completed));
        assert_eq!(requestable(&mut t, second, 1), vec![h(6)]);
        t.requested_tx(second, &h(6), 100);
        t.received_response(second, &h(6));
        assert_eq!(t.size(), 0);
        assert_eq!(t.count(first), 0);
    }

    #[test]
    fn requests_come_out_in_announcement_order() {
        let mut t = TxRequestTracker::new(false);
        for n in [9u8, 3, 7, 1] {
            t.received_inv(1, GenTxid::wtxid(h(n)), true, 0);
        }
        assert_eq!(requestable(&mut t, 1, 0), vec![h(9), h(3), h(7), h(1)]);
    }

    #[test]
    fn a_duplicate_announcement_is_ignored() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(2)), true, 0);
        t.received_inv(1, GenTxid::wtxid(h(2)), false, 50);
        assert_eq!(t.count(1), 1);
        assert_eq!(requestable(&mut t, 1, 0), vec![h(2)]);
    }

    #[test]
    fn requesting_a_non_best_candidate_supersedes_the_others() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(8)), true, 0);
        t.received_inv(2, GenTxid::wtxid(h(8)), false, 0);
        t.received_inv(3, GenTxid::wtxid(h(8)), false, 1000);
        assert_eq!(requestable(&mut t, 1, 0), vec![h(8)]);
        t.requested_tx(1, &h(8), 100);
        // Asking 3 (still delayed) gives up on 1's request.
        t.requested_tx(3, &h(8), 200);
        assert_eq!(t.state_of(1, &h(8)), Some(State::Completed));
        assert_eq!(t.state_of(2, &h(8)), Some(State::CandidateReady));
        assert_eq!(t.state_of(3, &h(8)), Some(State::Requested));
        t.sanity_check();
        // A superfluous call changes nothing.
        t.requested_tx(1, &h(8), 300);
        assert_eq!(t.state_of(1, &h(8)), Some(State::Completed));
    }

    #[test]
    fn a_disconnect_hands_the_request_on_and_forgets_what_only_it_had() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(10)), true, 0);
        t.received_inv(2, GenTxid::wtxid(h(10)), false, 0);
        t.received_inv(1, GenTxid::wtxid(h(11)), true, 0);
        assert_eq!(requestable(&mut t, 1, 0), vec![h(10), h(11)]);
        t.requested_tx(1, &h(10), 100);
        t.disconnected_peer(1);
        assert_eq!(t.count(1), 0);
        assert_eq!(requestable(&mut t, 2, 1), vec![h(10)]);
        assert_eq!(t.size(), 1);
        let mut peers = Vec::new();
        t.get_candidate_peers(&h(10), &mut peers);
        assert_eq!(peers, vec![2]);
    }

    #[test]
    fn counts_follow_the_states() {
        let mut t = TxRequestTracker::new(false);
        t.received_inv(1, GenTxid::wtxid(h(1)), true, 0);
        t.received_inv(1, GenTxid::wtxid(h(2)), true, 0);
        t.received_inv(2, GenTxid::wtxid(h(2)), true, 0);
        assert_eq!(t.count_candidates(1), 2);
        requestable(&mut t, 1, 0);
        t.requested_tx(1, &h(1), 10);
        assert_eq!(t.count_candidates(1), 1);
        assert_eq!(t.count_in_flight(1), 1);
        t.forget_tx_hash(&h(2));
        assert_eq!(t.count(1), 1);
        assert_eq!(t.count(2), 0);
        t.sanity_check();
    }
}
