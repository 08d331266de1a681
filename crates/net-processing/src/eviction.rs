//! Outbound peers on a lagging chain (`ConsiderEviction`): an outbound peer that does
//! not show a chain with our tip's work in time is disconnected, except a few that
//! showed it first and are protected.

use chain::ChainState;
use common::log_debug;
use common::log_info;
use common::logging::Category;
use net::{ConnectionType, NodeId};

use crate::headers::tip_index;
use crate::{Inner, PeerManager};

/// How long an outbound peer may stay behind our tip, seconds (`CHAIN_SYNC_TIMEOUT`).
pub(crate) const CHAIN_SYNC_TIMEOUT: i64 = 20 * 60;
/// How long the last-chance `getheaders` may take, seconds (`HEADERS_RESPONSE_TIME`).
pub(crate) const HEADERS_RESPONSE_TIME: i64 = 2 * 60;
/// Outbound peers protected from the check at most
/// (`MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT`).
const MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT: i32 = 4;

impl PeerManager {
    /// `ConsiderEviction`, at `now` seconds.
    pub(crate) fn consider_eviction(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
        now: i64,
    ) {
        let index = cs.index();
        let tip = tip_index(cs);
        let tip_work = index.entry(tip).chain_work;
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        let outbound = matches!(
            p.conn.conn_type,
            ConnectionType::OutboundFullRelay | ConnectionType::BlockRelay
        );
        if p.chain_sync.protect || !outbound || !p.sync_started {
            return;
        }
        let best_work = p.best_known.map(|b| index.entry(b).chain_work);
        let s = &mut p.chain_sync;
        if best_work.is_some_and(|w| w >= tip_work) {
            // It has shown our tip's work: whatever check ran is over.
            if s.timeout != 0 {
                *s = crate::peer::ChainSyncTimeout {
                    protect: s.protect,
                    ..Default::default()
                };
            }
            return;
        }
        let reached_benchmark = match (s.work_header, best_work) {
            (Some(w), Some(b)) => b >= index.entry(w).chain_work,
            _ => false,
        };
        if s.timeout == 0 || reached_benchmark {
            // Behind, noticed now or caught up only with the old benchmark: time it
            // against our tip as it is now.
            s.timeout = now + CHAIN_SYNC_TIMEOUT;
            s.work_header = Some(tip);
            s.sent_getheaders = false;
            return;
        }
        if now <= s.timeout {
            return;
        }
        let best = p
            .best_known
            .map_or_else(|| "<none>".to_string(), |b| index.entry(b).hash.to_string());
        if s.sent_getheaders {
            log_info!(
                "Outbound peer has old chain, best known block = {}, {}",
                best,
                Self::disconnect_msg(&p.conn)
            );
            self.conns.disconnect(id);
            return;
        }
        let Some(work_header) = s.work_header else {
            return;
        };
        s.sent_getheaders = true;
        // Time for the answer, which may end the check, restart it, or not come.
        s.timeout = now + HEADERS_RESPONSE_TIME;
        let locator = index
            .entry(work_header)
            .prev
            .map(|prev| cs.locator_from(prev))
            .unwrap_or_default();
        self.maybe_send_getheaders(inner, id, locator);
        log_debug!(
            Category::Net,
            "sending getheaders to outbound peer={} to verify chain work (current best known block:{}, benchmark blockhash: {})",
            id,
            best,
            index.entry(work_header).hash
        );
    }

    /// The protection part of `UpdatePeerStateForReceivedHeaders`: the first outbound
    /// full-relay peers to show a chain with our tip's work are exempt from
    /// [`Self::consider_eviction`].
    pub(crate) fn maybe_protect_outbound_peer(
        &self,
        cs: &ChainState,
        inner: &mut Inner,
        id: NodeId,
    ) {
        let tip_work = cs.index().entry(tip_index(cs)).chain_work;
        let room = inner.protected_outbound_peers < MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT;
        let Some(p) = inner.peers.get_mut(&id) else {
            return;
        };
        if self.conns.is_disconnecting(id) || p.conn.conn_type != ConnectionType::OutboundFullRelay
        {
            return;
        }
        let Some(best) = p.best_known else {
            return;
        };
        if room && !p.chain_sync.protect && cs.index().entry(best).chain_work >= tip_work {
            log_debug!(
                Category::Net,
                "Protecting outbound peer={} from eviction",
                id
            );
            p.chain_sync.protect = true;
            inner.protected_outbound_peers += 1;
        }
    }
}
