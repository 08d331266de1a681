//! Keeping the outbound peers useful (Core's `CheckForStaleTipAndEvictPeers` and
//! `EvictExtraOutboundPeers`): when the tip has not moved for three block intervals the
//! connection manager may open one extra full-relay peer; once there are more full-relay
//! or block-relay-only peers than wanted, the least useful one goes. Runs every 45 s.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use common::log_debug;
use common::logging::Category;
use net::{ConnectionType, NodeId};

use crate::{lock, PeerManager};

/// How often the check runs (`EXTRA_PEER_CHECK_INTERVAL`), seconds.
pub const EXTRA_PEER_CHECK_INTERVAL: u64 = 45;
/// How often the tip is judged stale or not (`STALE_CHECK_INTERVAL`), seconds.
const STALE_CHECK_INTERVAL: i64 = 10 * 60;
/// How long an outbound peer is kept before it may be evicted as extra
/// (`MINIMUM_CONNECT_TIME`), seconds.
const MINIMUM_CONNECT_TIME: i64 = 30;

/// The stale-tip bookkeeping (`m_last_tip_update`, `m_stale_tip_check_time`,
/// `m_initial_sync_finished`).
#[derive(Default)]
pub(crate) struct StaleTip {
    /// When a block was last connected, seconds; 0 until the first check.
    pub last_tip_update: AtomicI64,
    check_time: AtomicI64,
    initial_sync_finished: AtomicBool,
}

/// What the eviction needs of one outbound peer.
struct Candidate {
    id: NodeId,
    connected: i64,
    last_block_time: i64,
    last_block_announcement: i64,
    blocks_in_flight: usize,
    network: addrman::Network,
    /// Kept for showing our tip's work early (`m_chain_sync.m_protect`).
    protected: bool,
}

impl PeerManager {
    /// A block was connected to the tip: it is not stale.
    pub(crate) fn note_tip_update(&self) {
        self.stale
            .last_tip_update
            .store(self.now() / 1_000_000, Ordering::Relaxed);
    }

    /// Whether the tip has not moved for three block intervals while no block is being
    /// downloaded (`TipMayBeStale`).
    fn tip_may_be_stale(&self, now: i64) -> bool {
        let last = &self.stale.last_tip_update;
        if last.load(Ordering::Relaxed) == 0 {
            last.store(now, Ordering::Relaxed);
        }
        let inner = lock(&self.inner);
        last.load(Ordering::Relaxed) < now - inner.pow_target_spacing * 3
            && inner.blocks_in_flight.is_empty()
    }

    /// The periodic check (`CheckForStaleTipAndEvictPeers`); the node schedules it every
    /// [`EXTRA_PEER_CHECK_INTERVAL`] seconds.
    pub fn check_for_stale_tip_and_evict_peers(&self) {
        let now = self.now() / 1_000_000;
        self.evict_extra_outbound_peers(now);
        if now > self.stale.check_time.load(Ordering::Relaxed) {
            if self.conns.network_active()
                && self.conns.use_addrman_outgoing()
                && self.tip_may_be_stale(now)
            {
                common::log_info!(
                    "Potential stale tip detected, will try using extra outbound peer (last tip update: {} seconds ago)",
                    now - self.stale.last_tip_update.load(Ordering::Relaxed)
                );
                self.conns.set_try_new_outbound_peer(true);
            } else if self.conns.try_new_outbound_peer() {
                self.conns.set_try_new_outbound_peer(false);
            }
            self.stale
                .check_time
                .store(now + STALE_CHECK_INTERVAL, Ordering::Relaxed);
        }
        if !self.stale.initial_sync_finished.load(Ordering::Relaxed) {
            let synced = {
                let cs = self.node.chainstate();
                self.can_direct_fetch(&cs)
            };
            if synced {
                self.conns.start_extra_block_relay_peers();
                self.stale
                    .initial_sync_finished
                    .store(true, Ordering::Relaxed);
            }
        }
    }

    fn outbound_candidates(&self, conn_type: ConnectionType) -> Vec<Candidate> {
        let inner = lock(&self.inner);
        inner
            .peers
            .values()
            .filter(|p| p.conn.conn_type == conn_type && !self.conns.is_disconnecting(p.conn.id))
            .map(|p| Candidate {
                id: p.conn.id,
                connected: p.conn.connected,
                last_block_time: p.last_block_time,
                last_block_announcement: p.last_block_announcement,
                blocks_in_flight: p.blocks_in_flight.len(),
                network: crate::addr::service_of(&p.conn.addr).addr.get_network(),
                protected: p.chain_sync.protect,
            })
            .collect()
    }

    /// Disconnects one peer beyond the outbound limits (`EvictExtraOutboundPeers`).
    pub(crate) fn evict_extra_outbound_peers(&self, now: i64) {
        if self.conns.extra_block_relay_count() > 0 {
            self.evict_extra_block_relay_peer(now);
        }
        if self.conns.extra_full_outbound_count() > 0 {
            self.evict_extra_full_relay_peer(now);
        }
    }

    /// The youngest block-relay-only peer goes, unless it gave us a block more recently
    /// than the next youngest, which then goes instead: the youngest is usually the
    /// temporary extra peer that checks our tip.
    fn evict_extra_block_relay_peer(&self, now: i64) {
        let mut peers = self.outbound_candidates(ConnectionType::BlockRelay);
        // Higher ids are younger connections.
        peers.sort_by_key(|c| std::cmp::Reverse(c.id));
        let Some(youngest) = peers.first() else {
            return;
        };
        let victim = match peers.get(1) {
            Some(next) if youngest.last_block_time > next.last_block_time => next,
            _ => youngest,
        };
        if now - victim.connected >= MINIMUM_CONNECT_TIME && victim.blocks_in_flight == 0 {
            self.conns.disconnect(victim.id);
            log_debug!(
                Category::Net,
                "disconnecting extra block-relay-only peer={} (last block received at time {})",
                victim.id,
                victim.last_block_time
            );
        } else {
            log_debug!(
                Category::Net,
                "keeping block-relay-only peer={} chosen for eviction (connect time: {}, blocks_in_flight: {})",
                victim.id,
                victim.connected,
                victim.blocks_in_flight
            );
        }
    }

    /// The full-relay peer that least recently announced a block goes (the younger on a
    /// tie), unless it is the only one of its network or is protected by its chain.
    fn evict_extra_full_relay_peer(&self, now: i64) {
        let peers = self.outbound_candidates(ConnectionType::OutboundFullRelay);
        let manual = self.outbound_candidates(ConnectionType::Manual);
        let per_network = |net: addrman::Network| {
            peers
                .iter()
                .chain(&manual)
                .filter(|c| c.network == net)
                .count()
        };
        let worst = peers
            .iter()
            .filter(|c| !c.protected && per_network(c.network) > 1)
            .min_by_key(|c| (c.last_block_announcement, std::cmp::Reverse(c.id)));
        let Some(worst) = worst else {
            return;
        };
        if now - worst.connected > MINIMUM_CONNECT_TIME && worst.blocks_in_flight == 0 {
            log_debug!(
                Category::Net,
                "disconnecting extra outbound peer={} (last block announcement received at time {})",
                worst.id,
                worst.last_block_announcement
            );
            self.conns.disconnect(worst.id);
            // One extra peer succeeded since the tip looked stale: stop asking for more
            // until it looks stale again.
            self.conns.set_try_new_outbound_peer(false);
        } else {
            log_debug!(
                Category::Net,
                "keeping outbound peer={} chosen for eviction (connect time: {}, blocks_in_flight: {})",
                worst.id,
                worst.connected,
                worst.blocks_in_flight
            );
        }
    }
}
