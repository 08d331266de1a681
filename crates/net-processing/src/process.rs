//! Taking one message from a peer and dispatching it (`ProcessMessages`,
//! `ProcessMessage`), discouragement (`Misbehaving`, `MaybeDiscourageAndDisconnect`)
//! and the end of a peer (`FinalizeNode`).

use bitcoin::p2p::message::NetworkMessage;
use chain::ChainState;
use common::log_debug;
use common::logging::Category;
use net::{NetPermissions, NodeId, ReceivedMessage};

use crate::{lock, Inner, PeerManager};

/// Core's `SanitizeString` (default rule): keeps letters, digits, space and
/// `.,;-_/:?@()`, drops everything else.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

impl PeerManager {
    /// `ProcessMessages`: answers queued `getdata` first, then reconsiders one orphan
    /// or takes one message.
    pub(crate) fn process_messages_of(&self, id: NodeId) -> bool {
        let getdata_pending = |pm: &PeerManager| {
            lock(&pm.inner)
                .peers
                .get(&id)
                .is_some_and(|p| !p.getdata_requests.is_empty())
        };
        {
            let inner = lock(&self.inner);
            let Some(peer) = inner.peers.get(&id) else {
                return false;
            };
            // An outbound connection sends its version before reading anything.
            if !peer.is_inbound() && !peer.version_sent {
                return false;
            }
        }
        if getdata_pending(self) {
            self.process_getdata(id);
        }
        // One orphan settled per call, like one message: a peer cannot make us work
        // through a long chain of orphans in one go.
        let processed_orphan = self.process_orphan_tx(id);
        if self.conns.is_disconnecting(id) {
            return false;
        }
        if processed_orphan {
            return true;
        }
        // Answer the rest before reading more: keeps answers in order and the request
        // queue bounded.
        if getdata_pending(self) {
            return true;
        }
        if self.conns.send_paused(id) {
            return false;
        }
        let Some((msg, mut more)) = self.conns.poll_message(id) else {
            return false;
        };
        self.process_message(id, msg);
        if getdata_pending(self) || self.have_more_tx_work(id) {
            more = true;
        }
        more
    }

    /// `ProcessMessage`: one message from `id`.
    fn process_message(&self, id: NodeId, msg: ReceivedMessage) {
        log_debug!(
            Category::Net,
            "received: {} ({} bytes) peer={}",
            sanitize(&msg.command),
            msg.payload.len(),
            id
        );
        let decoded = match p2p::message::decode(&msg.command, &msg.payload) {
            Ok(m) => m,
            Err(p2p::DecodeError::TooManyHeaders { count }) => {
                // Core counts before reading on, and punishes once connected.
                let mut inner = lock(&self.inner);
                if inner
                    .peers
                    .get(&id)
                    .is_some_and(|p| p.successfully_connected)
                {
                    self.misbehaving(&mut inner, id, &format!("headers message size = {count}"));
                }
                return;
            }
            Err(_) if msg.command == "pong" => {
                let mut inner = lock(&self.inner);
                self.process_pong(&mut inner, id, None, msg.payload.len());
                return;
            }
            Err(e) => {
                // Core's deserialization throws; the exception is logged and the
                // message dropped, the peer kept.
                log_debug!(
                    Category::Net,
                    "ProcessMessages({}, {} bytes): Exception '{}' (NSt8ios_base7failureB5cxx11E) caught",
                    sanitize(&msg.command),
                    msg.payload.len(),
                    e
                );
                return;
            }
        };
        // Core reads compact block positions as 16-bit numbers and throws past that.
        let overflow = match &decoded {
            NetworkMessage::CmpctBlock(c) => {
                let c = &c.compact_block;
                (c.short_ids.len() + c.prefilled_txs.len() > usize::from(u16::MAX))
                    .then_some("indexes overflowed 16 bits")
            }
            NetworkMessage::GetBlockTxn(g) => g
                .txs_request
                .indexes
                .iter()
                .any(|&i| i > u64::from(u16::MAX))
                .then_some("differential value overflow"),
            _ => None,
        };
        if let Some(what) = overflow {
            log_debug!(
                Category::Net,
                "ProcessMessages({}, {} bytes): Exception '{}' (NSt8ios_base7failureB5cxx11E) caught",
                sanitize(&msg.command),
                msg.payload.len(),
                what
            );
            return;
        }
        match decoded {
            NetworkMessage::Block(block) => self.process_block_message(id, block),
            NetworkMessage::Tx(tx) => self.process_tx_message(id, tx),
            NetworkMessage::CmpctBlock(c) if self.connected(id) => {
                self.process_cmpctblock_message(id, c.compact_block)
            }
            NetworkMessage::BlockTxn(b) if self.connected(id) => {
                self.process_compact_block_txns(id, b.transactions)
            }
            other => {
                let is_getdata = matches!(other, NetworkMessage::GetData(_));
                {
                    let mut cs = self.node.chainstate();
                    let mut inner = lock(&self.inner);
                    self.process_other(&mut cs, &mut inner, id, &msg, other);
                }
                // Answered at once, as Core does, outside the locks it takes itself.
                if is_getdata {
                    self.process_getdata(id);
                }
            }
        }
    }

    /// The messages handled under the chainstate and peer locks. `raw` is the message
    /// as received, for what the typed message does not keep.
    fn process_other(
        &self,
        cs: &mut ChainState,
        inner: &mut Inner,
        id: NodeId,
        raw: &ReceivedMessage,
        msg: NetworkMessage,
    ) {
        let command = raw.command.as_str();
        let Some(peer) = inner.peers.get(&id) else {
            return;
        };
        if let NetworkMessage::Version(v) = msg {
            self.process_version(cs, inner, id, v);
            return;
        }
        if peer.version == 0 {
            log_debug!(
                Category::Net,
                "non-version message before version handshake. Message \"{}\" from peer={}",
                sanitize(command),
                id
            );
            return;
        }
        match msg {
            NetworkMessage::Verack => return self.process_verack(inner, id),
            NetworkMessage::SendHeaders => {
                if let Some(p) = inner.peers.get_mut(&id) {
                    p.prefers_headers = true;
                }
                return;
            }
            NetworkMessage::SendCmpct(s) => {
                // The typed message reads the announce byte as a bool.
                let announce = raw.payload.first().copied().unwrap_or(0);
                return self.process_sendcmpct(inner, id, s, announce);
            }
            NetworkMessage::WtxidRelay => return self.process_wtxidrelay(inner, id),
            NetworkMessage::SendAddrV2 => return self.process_sendaddrv2(inner, id),
            _ => {}
        }
        let Some(peer) = inner.peers.get(&id) else {
            return;
        };
        if !peer.successfully_connected {
            log_debug!(
                Category::Net,
                "Unsupported message \"{}\" prior to verack from peer={}",
                sanitize(command),
                id
            );
            return;
        }
        if matches!(command, "filterload" | "filteradd" | "filterclear") {
            // BIP37 filters are served only with NODE_BLOOM (`-peerbloomfilters`); a peer
            // that sends one anyway is dropped.
            if peer.our_services & p2p::constants::NODE_BLOOM == 0 {
                log_debug!(
                    Category::Net,
                    "{} received despite not offering bloom services, {}",
                    command,
                    Self::disconnect_msg(&peer.conn)
                );
                self.conns.disconnect(id);
            }
            return;
        }
        match msg {
            NetworkMessage::Inv(invs) => self.process_inv(cs, inner, id, invs),
            NetworkMessage::GetData(invs) => self.process_getdata_message(inner, id, invs),
            NetworkMessage::GetBlocks(m) => self.process_getblocks(cs, inner, id, m),
            NetworkMessage::GetHeaders(m) => self.process_getheaders(cs, inner, id, m),
            NetworkMessage::Headers(h) => self.process_headers(cs, inner, id, h),
            NetworkMessage::MemPool => self.process_mempool_request(inner, id),
            NetworkMessage::GetBlockTxn(g) => {
                self.process_getblocktxn(cs, inner, id, g.txs_request)
            }
            NetworkMessage::Ping(nonce) => {
                if let Some(p) = inner.peers.get(&id) {
                    // BIP31: answer with the same nonce.
                    if p.common_version > p2p::constants::BIP0031_VERSION {
                        self.send(id, &NetworkMessage::Pong(nonce));
                    }
                }
            }
            NetworkMessage::Pong(nonce) => self.process_pong(inner, id, Some(nonce), 8),
            NetworkMessage::FeeFilter(rate) => {
                if let Some(p) = inner.peers.get_mut(&id) {
                    if (0..=bitcoin::Amount::MAX_MONEY.to_sat() as i64).contains(&rate) {
                        p.fee_filter_received = rate;
                        log_debug!(
                            Category::Net,
                            "received: feefilter of {} from peer={}",
                            format!("{}.{:08} BTC/kvB", rate / 100_000_000, rate % 100_000_000),
                            id
                        );
                    }
                }
            }
            NetworkMessage::NotFound(invs) => self.process_notfound(inner, id, invs),
            NetworkMessage::GetAddr => self.process_getaddr(inner, id),
            m @ (NetworkMessage::Addr(_) | NetworkMessage::AddrV2(_)) => {
                let addrs = Self::addresses_of(&m);
                self.process_addrs(inner, id, command, addrs);
            }
            _ => {
                // Core ignores unknown commands silently beyond this debug line.
                log_debug!(
                    Category::Net,
                    "Unknown command \"{}\" from peer={}",
                    sanitize(command),
                    id
                );
            }
        }
    }

    /// Whether the peer finished its handshake (messages other than the handshake's
    /// are ignored before).
    fn connected(&self, id: NodeId) -> bool {
        lock(&self.inner)
            .peers
            .get(&id)
            .is_some_and(|p| p.successfully_connected)
    }

    /// `Misbehaving`: marks the peer for discouragement at the next send.
    pub(crate) fn misbehaving(&self, inner: &mut Inner, id: NodeId, message: &str) {
        if let Some(p) = inner.peers.get_mut(&id) {
            p.should_discourage = true;
        }
        let prefixed = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        log_debug!(Category::Net, "Misbehaving: peer={}{}", id, prefixed);
    }

    /// `MaybeDiscourageAndDisconnect`: acts on a misbehaviour mark. True if the peer is
    /// being disconnected.
    pub(crate) fn maybe_discourage_and_disconnect(&self, inner: &mut Inner, id: NodeId) -> bool {
        let Some(peer) = inner.peers.get_mut(&id) else {
            return false;
        };
        if !peer.should_discourage {
            return false;
        }
        peer.should_discourage = false;
        if peer.has_permission(NetPermissions::NOBAN) {
            common::log_warning!("Not punishing noban peer {}!", id);
            return false;
        }
        if peer.conn.conn_type == net::ConnectionType::Manual {
            common::log_warning!("Not punishing manually connected peer {}!", id);
            return false;
        }
        if peer.conn.addr.ip().is_loopback() {
            // Discouraging a local address would discourage every local peer.
            log_debug!(
                Category::Net,
                "Warning: disconnecting but not discouraging local peer {}!",
                id
            );
            self.conns.disconnect(id);
            return true;
        }
        log_debug!(Category::Net, "Disconnecting and discouraging peer {}!", id);
        self.conns.discourage(&peer.conn.addr);
        self.conns.disconnect(id);
        true
    }

    /// `FinalizeNode`.
    pub(crate) fn finalize(&self, inner: &mut Inner, id: NodeId) {
        let Some(peer) = inner.peers.remove(&id) else {
            return;
        };
        if peer.sync_started {
            inner.sync_started -= 1;
        }
        if peer.chain_sync.protect {
            inner.protected_outbound_peers -= 1;
        }
        for hash in &peer.blocks_in_flight {
            if let Some(owners) = inner.blocks_in_flight.get_mut(hash) {
                owners.retain(|o| *o != id);
                if owners.is_empty() {
                    inner.blocks_in_flight.remove(hash);
                }
            }
        }
        inner.tx.disconnected_peer(id);
        self.addr_connected(&peer.conn, peer.successfully_connected);
        inner.headers_presync_stats.remove(&id);
        if peer.preferred_download {
            inner.preferred_download_peers -= 1;
        }
        if !peer.blocks_in_flight.is_empty() {
            inner.peers_downloading_from -= 1;
        }
        log_debug!(Category::Net, "Cleared nodestate for peer={}", id);
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn sanitize_keeps_cores_safe_characters() {
        assert_eq!(sanitize("/Satoshi:30.0.0(x)/"), "/Satoshi:30.0.0(x)/");
        assert_eq!(sanitize("ver\u{0}sion\n"), "version");
        assert_eq!(sanitize("a<b>c"), "abc");
    }
}
