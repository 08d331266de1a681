//! What `getpeerinfo` shows of the peer logic's state (`CNodeStateStats`).

use std::collections::VecDeque;

use net::NodeId;

use crate::{lock, PeerManager};

/// One peer's state as `getpeerinfo` reports it.
#[derive(Clone, Debug, Default)]
pub struct PeerStats {
    /// Height of the best block we know it has, -1 if none (`synced_headers`).
    pub sync_height: i64,
    /// Height its headers presync has reached, -1 if none runs (`presynced_headers`).
    pub presync_height: i64,
    /// Height of the last block we share, -1 if none (`synced_blocks`).
    pub common_height: i64,
    /// The height its `version` claimed (`startingheight`).
    pub starting_height: i32,
    /// Heights of the blocks we are fetching from it (`inflight`).
    pub heights_in_flight: Vec<u32>,
    /// Whether it wants transaction announcements (`relaytxes`).
    pub relay_txs: bool,
    /// Its fee filter, sat/kvB (`minfeefilter`).
    pub fee_filter_received: i64,
    /// Microseconds the ping in flight has waited, if one is (`pingwait`).
    pub ping_wait: Option<i64>,
    /// Last and lowest ping round trips, microseconds.
    pub last_ping: Option<i64>,
    /// The lowest round trip.
    pub min_ping: Option<i64>,
    /// The services it offers.
    pub their_services: u64,
    /// Its clock minus ours at the handshake, seconds (`timeoffset`).
    pub time_offset: i64,
    /// Transactions waiting for its next announcement (`inv_to_send`).
    pub inv_to_send: usize,
    /// The pool sequence at our last announcement to it.
    pub last_inv_sequence: u64,
    /// Whether it asked us for high-bandwidth compact blocks (`bip152_hb_from`).
    pub bip152_hb_from: bool,
    /// Whether we relay addresses with it (`addr_relay_enabled`).
    pub addr_relay_enabled: bool,
    /// Addresses from it processed (`addr_processed`).
    pub addr_processed: u64,
    /// Addresses from it dropped by the rate limit (`addr_rate_limited`).
    pub addr_rate_limited: u64,
    /// Its protocol version (0 before the handshake).
    pub version: i32,
    /// Its user agent.
    pub subver: String,
    /// Whether the handshake completed.
    pub successfully_connected: bool,
}

impl PeerManager {
    /// The state of peer `id`, if it is connected (`GetNodeStateStats`).
    pub fn peer_stats(&self, id: NodeId) -> Option<PeerStats> {
        let cs = self.node.chainstate();
        let inner = lock(&self.inner);
        let p = inner.peers.get(&id)?;
        let index = cs.index();
        let now = self.now();
        let heights_in_flight = p
            .blocks_in_flight
            .iter()
            .filter_map(|h| index.find(h).map(|i| index.entry(i).height))
            .collect();
        let (relay_txs, inv_to_send, last_inv_sequence) = match &p.tx_relay {
            Some(r) => (r.relay_txs, r.to_send.len(), r.last_inv_sequence),
            None => (false, 0, 0),
        };
        Some(PeerStats {
            sync_height: p
                .best_known
                .map_or(-1, |i| i64::from(index.entry(i).height)),
            presync_height: p.headers_sync.as_ref().map_or(-1, |s| s.presync_height()),
            common_height: p
                .last_common
                .map_or(-1, |i| i64::from(index.entry(i).height)),
            starting_height: p.starting_height,
            heights_in_flight,
            relay_txs,
            fee_filter_received: if p.tx_relay.is_some() {
                p.fee_filter_received
            } else {
                0
            },
            ping_wait: (p.ping_nonce_sent != 0 && p.ping_start > 0).then(|| now - p.ping_start),
            last_ping: p.last_ping,
            min_ping: p.min_ping,
            their_services: p.their_services,
            time_offset: p.time_offset,
            inv_to_send,
            last_inv_sequence,
            bip152_hb_from: p.requested_hb_cmpctblocks,
            addr_relay_enabled: p.addr_relay.is_some(),
            addr_processed: p.addr_relay.as_ref().map_or(0, |r| r.processed),
            addr_rate_limited: p.addr_relay.as_ref().map_or(0, |r| r.rate_limited),
            version: p.version,
            subver: p.subver.clone(),
            successfully_connected: p.successfully_connected,
        })
    }

    /// The median clock offset of recent outbound peers, seconds; 0 with fewer than five
    /// samples (`PeerManagerInfo::median_outbound_time_offset`).
    pub fn median_outbound_time_offset(&self) -> i64 {
        lock(&self.inner).outbound_time_offsets.median()
    }

    /// Whether we ask peers not to relay transactions (`-blocksonly`;
    /// `PeerManagerInfo::ignores_incoming_txs`).
    pub fn ignores_incoming_txs(&self) -> bool {
        self.opts.ignore_incoming_txs
    }

    /// Whether any peer is connected with a completed handshake.
    pub fn has_peers(&self) -> bool {
        lock(&self.inner)
            .peers
            .values()
            .any(|p| p.successfully_connected)
    }
}

/// The last [`TimeOffsets::MAX_SAMPLES`] clock offsets of outbound peers (Core's
/// `TimeOffsets`).
#[derive(Debug, Default)]
pub(crate) struct TimeOffsets {
    samples: VecDeque<i64>,
}

impl TimeOffsets {
    /// How many samples are kept.
    const MAX_SAMPLES: usize = 50;
    /// Fewer samples than this give a median of 0.
    const MIN_SAMPLES: usize = 5;

    /// Records one offset, dropping the oldest when full.
    pub(crate) fn add(&mut self, offset: i64) {
        if self.samples.len() >= Self::MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(offset);
        common::log_debug!(
            common::logging::Category::Net,
            "Added time offset {:+}s, total samples {}",
            offset,
            self.samples.len()
        );
    }

    /// The upper median of the samples, or 0 when there are too few of them.
    pub(crate) fn median(&self) -> i64 {
        if self.samples.len() < Self::MIN_SAMPLES {
            return 0;
        }
        let mut sorted: Vec<i64> = self.samples.iter().copied().collect();
        sorted.sort_unstable();
        sorted[sorted.len() / 2]
    }
}

#[cfg(test)]
mod tests {
    use super::TimeOffsets;

    #[test]
    fn median_needs_five_samples_and_keeps_fifty() {
        let mut t = TimeOffsets::default();
        for x in [3, -1, 7, 2] {
            t.add(x);
        }
        assert_eq!(t.median(), 0);
        t.add(10);
        // Sorted: -1 2 3 7 10.
        assert_eq!(t.median(), 3);
        for _ in 0..50 {
            t.add(-4);
        }
        assert_eq!(t.median(), -4);
        assert_eq!(t.samples.len(), 50);
    }
}
