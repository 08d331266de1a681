//! The headers presync driven through `ProcessHeadersMessage`, over a real regtest
//! chainstate in a temporary directory and a fake connection manager.
//!
//! Regtest needs no minimum chain work, so the anti-DoS threshold is our tip's work less
//! 144 blocks' worth: with a tip at height 300 (work 602 at 2 per block), a fork from
//! genesis needs 157 headers to be worth storing. Messages are 50 headers here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::p2p::message_blockdata::GetHeadersMessage;
use bitcoin::pow::CompactTarget;
use bitcoin::{Block, BlockHash, ScriptBuf, Transaction, TxMerkleNode};
use chain::assemble::{assemble_block, grind, BlockRequest};
use chain::{BlockOutcome, ChainParams, ChainState, ChainStateOptions, ProcessError};
use mempool::accept::TxResult;
use mempool::{Mempool, MempoolOptions};
use net::{
    ConnectionType, Connections, NetEvents, NetPermissions, NodeId, PeerConn, ReceivedMessage,
};

use crate::{lock, NodeAccess, Options, PeerManager};

const NOW: i64 = 2_000_000_000;
const TIP_HEIGHT: usize = 300;
const MSG: usize = 50;
const PEER: NodeId = 7;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("presync-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct FakeConns {
    sent: Mutex<Vec<(NodeId, String, Vec<u8>)>>,
    disconnected: Mutex<Vec<NodeId>>,
    /// Outbound peers over the full-relay and block-relay-only limits.
    extra: Mutex<(usize, usize)>,
    /// The last `set_try_new_outbound_peer`.
    try_new: Mutex<Option<bool>>,
}

impl FakeConns {
    /// The `getheaders` locators sent so far, taking them.
    fn take_getheaders(&self) -> Vec<Vec<BlockHash>> {
        let mut sent = self.sent.lock().unwrap();
        let out = sent
            .iter()
            .filter(|(_, c, _)| c == "getheaders")
            .map(|(_, _, p)| {
                bitcoin::consensus::deserialize::<GetHeadersMessage>(p)
                    .unwrap()
                    .locator_hashes
            })
            .collect();
        sent.clear();
        out
    }
}

impl Connections for FakeConns {
    fn push_message(&self, peer: NodeId, command: &str, payload: Vec<u8>) {
        self.sent
            .lock()
            .unwrap()
            .push((peer, command.to_string(), payload));
    }
    fn poll_message(&self, _peer: NodeId) -> Option<(ReceivedMessage, bool)> {
        None
    }
    fn disconnect(&self, peer: NodeId) {
        self.disconnected.lock().unwrap().push(peer);
    }
    fn is_disconnecting(&self, _peer: NodeId) -> bool {
        false
    }
    fn send_paused(&self, _peer: NodeId) -> bool {
        false
    }
    fn conn(&self, _peer: NodeId) -> Option<PeerConn> {
        None
    }
    fn peer_ids(&self) -> Vec<NodeId> {
        vec![PEER]
    }
    fn check_incoming_nonce(&self, _nonce: u64) -> bool {
        true
    }
    fn set_peer_services(&self, _peer: NodeId, _services: u64) {}
    fn set_handshake_done(&self, _peer: NodeId, _version: i32, _subver: &str) {}
    fn try_new_outbound_peer(&self) -> bool {
        false
    }
    fn set_try_new_outbound_peer(&self, flag: bool) {
        *self.try_new.lock().unwrap() = Some(flag);
    }
    fn extra_full_outbound_count(&self) -> usize {
        self.extra.lock().unwrap().0
    }
    fn extra_block_relay_count(&self) -> usize {
        self.extra.lock().unwrap().1
    }
    fn local_services(&self) -> u64 {
        0
    }
    fn network_active(&self) -> bool {
        true
    }
    fn discourage(&self, _addr: &SocketAddr) {}
    fn wake_message_handler(&self) {}
}

struct FakeNode {
    cs: Mutex<ChainState>,
    pool: Mutex<Mempool>,
    now: AtomicI64,
}

impl NodeAccess for FakeNode {
    fn chainstate(&self) -> MutexGuard<'_, ChainState> {
        self.cs.lock().unwrap()
    }
    fn mempool(&self) -> MutexGuard<'_, Mempool> {
        self.pool.lock().unwrap()
    }
    fn process_block(
        &self,
        block: &Block,
        force_processing: bool,
        min_pow_checked: bool,
    ) -> Result<BlockOutcome, ProcessError> {
        let now = self.now.load(Ordering::Relaxed) / 1_000_000;
        self.cs
            .lock()
            .unwrap()
            .process_new_block(block, now, force_processing, min_pow_checked)
    }
    fn accept_transaction(&self, _tx: Arc<Transaction>) -> TxResult {
        panic!("no transactions in these tests")
    }
    fn accept_package(&self, _txs: Vec<Arc<Transaction>>) -> mempool::accept::PackageResult {
        panic!("no packages in these tests")
    }
    fn now_micros(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }
    fn shutdown_requested(&self) -> bool {
        false
    }
}

struct Setup {
    _dir: TempDir,
    node: Arc<FakeNode>,
    conns: Arc<FakeConns>,
    pm: Arc<PeerManager>,
}

/// A regtest chainstate with `TIP_HEIGHT` blocks and a peer manager with one outbound
/// peer.
fn setup(name: &str, permissions: u32) -> Setup {
    let dir = TempDir::new(name);
    let params = ChainParams::regtest();
    let index = kvstore::RedbStore::open(&dir.0.join("blocks").join("index")).unwrap();
    let coins = kvstore::RedbStore::open(&dir.0.join("chainstate")).unwrap();
    let mut cs = ChainState::open(
        params.clone(),
        ChainStateOptions {
            cache_bytes: 1 << 20,
            script_threads: 1,
            blocks_xor: false,
            assume_valid: None,
        },
        &dir.0.join("blocks"),
        Box::new(index),
        Box::new(coins),
        NOW,
    )
    .unwrap();
    let mut prev = params.genesis.header;
    for height in 1..=TIP_HEIGHT as u32 {
        let mut b = assemble_block(
            &params,
            BlockRequest {
                prev_hash: prev.block_hash(),
                height,
                version: 0x2000_0000,
                time: prev.time + 1,
                bits: params.genesis.header.bits,
                coinbase_script: ScriptBuf::from_bytes(vec![0x51]),
                transactions: Vec::new(),
                fees: 0,
            },
        );
        assert!(grind(&mut b, &params));
        cs.process_block(&b, NOW).unwrap();
        prev = b.header;
    }
    assert_eq!(cs.height() as usize, TIP_HEIGHT);
    let node = Arc::new(FakeNode {
        cs: Mutex::new(cs),
        pool: Mutex::new(Mempool::new(MempoolOptions::default())),
        now: AtomicI64::new(NOW * 1_000_000),
    });
    let conns = Arc::new(FakeConns::default());
    let pm = PeerManager::new(
        conns.clone(),
        node.clone(),
        Options {
            user_agent: "/test/".into(),
            ignore_incoming_txs: false,
            max_headers_result: MSG,
            local_services: 0,
            peer_timeout: 60,
        },
    );
    pm.initialize_node(&PeerConn {
        id: PEER,
        addr: "127.0.0.1:18444".parse().unwrap(),
        addr_bind: None,
        addr_name: "127.0.0.1:18444".into(),
        conn_type: ConnectionType::OutboundFullRelay,
        permissions: NetPermissions(permissions),
        local_nonce: 1,
        connected: NOW,
        v2: false,
    });
    Setup {
        _dir: dir,
        node,
        conns,
        pm,
    }
}

/// A fork of `count` headers from genesis; `salt` tells forks apart.
fn fork(count: usize, salt: u8) -> Vec<Header> {
    let params = ChainParams::regtest();
    let mut prev = params.genesis.header;
    let mut out = Vec::new();
    for i in 0..count {
        let mut root = [salt; 32];
        root[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let mut h = Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: prev.block_hash(),
            merkle_root: TxMerkleNode::from_byte_array(root),
            time: prev.time + 2,
            bits: params.genesis.header.bits,
            nonce: 0,
        };
        while !chain::pow::check_proof_of_work(h.block_hash(), h.bits, &params) {
            h.nonce += 1;
        }
        out.push(h);
        prev = h;
    }
    out
}

impl Setup {
    fn headers(&self, headers: &[Header]) {
        let mut cs = self.node.chainstate();
        let mut inner = lock(&self.pm.inner);
        self.pm
            .process_headers(&mut cs, &mut inner, PEER, headers.to_vec());
    }

    fn known(&self, h: &Header) -> bool {
        self.node
            .chainstate()
            .index()
            .find(&h.block_hash())
            .is_some()
    }

    fn presync_height(&self) -> i64 {
        self.pm.peer_stats(PEER).unwrap().presync_height
    }

    fn misbehaved(&self) -> bool {
        lock(&self.pm.inner).peers[&PEER].should_discourage
    }
}

#[test]
fn a_deep_low_work_fork_is_presynced_then_redownloaded_and_stored() {
    let s = setup("full", 0);
    let genesis = ChainParams::regtest().genesis.block_hash();
    let chain = fork(4 * MSG, 1);
    assert_eq!(s.presync_height(), -1);

    // Presync: nothing stored, the next request continues from the last header.
    for i in 0..3 {
        s.headers(&chain[i * MSG..(i + 1) * MSG]);
        assert!(!chain[..(i + 1) * MSG].iter().any(|h| s.known(h)));
        assert_eq!(s.presync_height(), ((i + 1) * MSG) as i64);
        let asked = s.conns.take_getheaders();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0][0], chain[(i + 1) * MSG - 1].block_hash());
        assert_eq!(asked[0][1], genesis);
    }
    // The fourth message reaches the threshold (157 headers): redownload from genesis.
    s.headers(&chain[3 * MSG..]);
    assert_eq!(s.conns.take_getheaders(), vec![vec![genesis, genesis]]);
    assert_eq!(s.presync_height(), (4 * MSG) as i64);
    assert!(lock(&s.pm.inner).headers_presync_stats.contains_key(&PEER));

    // Redownload: held back until the redownloaded chain itself has the work.
    for i in 0..3 {
        s.headers(&chain[i * MSG..(i + 1) * MSG]);
        assert!(!chain.iter().any(|h| s.known(h)));
        let asked = s.conns.take_getheaders();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0][0], chain[(i + 1) * MSG - 1].block_hash());
    }
    s.headers(&chain[3 * MSG..]);
    assert!(chain.iter().all(|h| s.known(h)));
    // Done: the sync is dropped, and a full message asks for more the usual way.
    assert_eq!(s.presync_height(), -1);
    assert!(lock(&s.pm.inner).headers_presync_stats.is_empty());
    let asked = s.conns.take_getheaders();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0][0], chain[4 * MSG - 1].block_hash());
    assert!(!s.misbehaved());
}

#[test]
fn a_short_low_work_message_is_ignored_without_a_sync() {
    let s = setup("short", 0);
    let chain = fork(MSG - 1, 1);
    s.headers(&chain);
    assert!(!chain.iter().any(|h| s.known(h)));
    assert_eq!(s.presync_height(), -1);
    assert!(s.conns.take_getheaders().is_empty());
}

#[test]
fn a_swapped_chain_on_redownload_ends_the_sync_unstored() {
    let s = setup("swap", 0);
    let first = fork(4 * MSG, 1);
    let second = fork(4 * MSG, 2);
    for i in 0..4 {
        s.headers(&first[i * MSG..(i + 1) * MSG]);
    }
    s.conns.take_getheaders();
    // Regtest keeps a commitment every 275 headers at a random offset, so whether these
    // 150 headers cross one (and a mismatch ends the sync, perhaps starting a new one
    // on the other chain) is chance; the unit tests check the mismatch itself. Either
    // way nothing of the other chain is stored before it shows the work.
    for i in 0..3 {
        s.headers(&second[i * MSG..(i + 1) * MSG]);
    }
    assert!(!second.iter().any(|h| s.known(h)));
    assert!(!first.iter().any(|h| s.known(h)));
    assert!(!s.misbehaved());
}

#[test]
fn an_empty_headers_message_drops_the_sync() {
    let s = setup("empty", 0);
    let chain = fork(MSG, 1);
    s.headers(&chain);
    assert_eq!(s.presync_height(), MSG as i64);
    s.headers(&[]);
    assert_eq!(s.presync_height(), -1);
    assert!(lock(&s.pm.inner).headers_presync_stats.is_empty());
}

#[test]
fn non_continuous_presync_headers_end_the_sync_and_disconnection_clears_stats() {
    let s = setup("gap", 0);
    let chain = fork(3 * MSG, 1);
    s.headers(&chain[..MSG]);
    assert_eq!(s.presync_height(), MSG as i64);
    // Skipping a message: the sync ends; the headers, still low-work, start a new sync
    // from where they connect only if they connect to our index (they do not).
    s.headers(&chain[2 * MSG..]);
    assert_eq!(s.presync_height(), -1);
    assert!(!s.misbehaved());
    s.headers(&chain[..MSG]);
    assert_eq!(s.presync_height(), MSG as i64);
    s.pm.finalize_node(PEER);
    assert!(lock(&s.pm.inner).headers_presync_stats.is_empty());
}

#[test]
fn invalid_proof_of_work_is_punished_before_the_sync_sees_it() {
    let s = setup("pow", 0);
    let mut chain = fork(MSG, 1);
    chain[10].bits = CompactTarget::from_consensus(0x1d00ffff);
    s.headers(&chain);
    assert!(s.misbehaved());
    assert_eq!(s.presync_height(), -1);
}

#[test]
fn noban_peers_skip_the_anti_dos_check() {
    let s = setup("noban", NetPermissions::NOBAN);
    let chain = fork(MSG, 1);
    s.headers(&chain);
    assert!(chain.iter().all(|h| s.known(h)));
    assert_eq!(s.presync_height(), -1);
}

/// `ConsiderEviction`: an outbound peer that never shows our tip's work gets the chain
/// sync timeout, then one `getheaders` from our tip's parent, then is disconnected; a
/// peer that showed our tip's work is protected.
#[test]
fn a_lagging_outbound_peer_is_asked_once_then_evicted_unless_protected() {
    use crate::eviction::{CHAIN_SYNC_TIMEOUT, HEADERS_RESPONSE_TIME};
    let s = setup("evict", 0);
    let cs = s.node.chainstate();
    let tip_parent = cs.index().entry(cs.index().len() - 1).header.prev_blockhash;
    {
        let mut inner = lock(&s.pm.inner);
        inner.peers.get_mut(&PEER).unwrap().sync_started = true;
        s.pm.consider_eviction(&cs, &mut inner, PEER, NOW);
        s.pm.consider_eviction(&cs, &mut inner, PEER, NOW + CHAIN_SYNC_TIMEOUT);
    }
    assert!(
        s.conns.take_getheaders().is_empty(),
        "not before the timeout"
    );
    {
        let mut inner = lock(&s.pm.inner);
        s.pm.consider_eviction(&cs, &mut inner, PEER, NOW + CHAIN_SYNC_TIMEOUT + 1);
    }
    let asked = s.conns.take_getheaders();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0][0], tip_parent);
    assert!(s.conns.disconnected.lock().unwrap().is_empty());
    {
        let mut inner = lock(&s.pm.inner);
        let late = NOW + CHAIN_SYNC_TIMEOUT + HEADERS_RESPONSE_TIME + 2;
        s.pm.consider_eviction(&cs, &mut inner, PEER, late);
    }
    assert_eq!(*s.conns.disconnected.lock().unwrap(), vec![PEER]);

    // Shown our tip: protected, and never timed.
    let s = setup("evict-protected", 0);
    let cs = s.node.chainstate();
    let tip = cs.index().len() - 1;
    let mut inner = lock(&s.pm.inner);
    let p = inner.peers.get_mut(&PEER).unwrap();
    p.sync_started = true;
    p.best_known = Some(tip);
    s.pm.maybe_protect_outbound_peer(&cs, &mut inner, PEER);
    assert!(inner.peers[&PEER].chain_sync.protect);
    assert_eq!(inner.protected_outbound_peers, 1);
    inner.peers.get_mut(&PEER).unwrap().best_known = None;
    for t in [
        0,
        CHAIN_SYNC_TIMEOUT + 1,
        CHAIN_SYNC_TIMEOUT + HEADERS_RESPONSE_TIME + 2,
    ] {
        s.pm.consider_eviction(&cs, &mut inner, PEER, NOW + t);
    }
    assert_eq!(inner.peers[&PEER].chain_sync.timeout, 0);
    assert!(s.conns.disconnected.lock().unwrap().is_empty());
}

/// `EvictExtraOutboundPeers`: over the full-relay limit, the peer that least recently
/// announced a block goes (the younger on a tie), never a protected one; over the
/// block-relay-only limit, the youngest goes unless it gave us a block more recently
/// than the next youngest; nobody connected under 30 seconds goes.
#[test]
fn extra_outbound_peers_are_evicted_as_core() {
    let s = setup("extra-outbound", 0);
    let conn = |id: NodeId, conn_type| PeerConn {
        id,
        addr: "127.0.0.1:18444".parse().unwrap(),
        addr_bind: None,
        addr_name: "127.0.0.1:18444".into(),
        conn_type,
        permissions: NetPermissions(0),
        local_nonce: id as u64,
        connected: NOW,
        v2: false,
    };
    for id in [8, 9] {
        s.pm.initialize_node(&conn(id, ConnectionType::OutboundFullRelay));
    }
    for id in [10, 11] {
        s.pm.initialize_node(&conn(id, ConnectionType::BlockRelay));
    }
    {
        let mut inner = lock(&s.pm.inner);
        for (id, announced, block_time) in [
            (PEER, 100, 0),
            (8, 50, 0),
            (9, 50, 0),
            (10, 0, 5),
            (11, 0, 9),
        ] {
            let p = inner.peers.get_mut(&id).unwrap();
            p.last_block_announcement = announced;
            p.last_block_time = block_time;
        }
    }
    *s.conns.extra.lock().unwrap() = (1, 0);
    // Too young to judge.
    s.pm.evict_extra_outbound_peers(NOW + 10);
    assert!(s.conns.disconnected.lock().unwrap().is_empty());
    s.pm.evict_extra_outbound_peers(NOW + 31);
    assert_eq!(*s.conns.disconnected.lock().unwrap(), vec![9]);
    assert_eq!(*s.conns.try_new.lock().unwrap(), Some(false));
    lock(&s.pm.inner)
        .peers
        .get_mut(&9)
        .unwrap()
        .chain_sync
        .protect = true;
    s.pm.evict_extra_outbound_peers(NOW + 31);
    assert_eq!(*s.conns.disconnected.lock().unwrap(), vec![9, 8]);

    // The youngest block-relay-only peer gave us a block last: the older one goes.
    s.conns.disconnected.lock().unwrap().clear();
    *s.conns.extra.lock().unwrap() = (0, 1);
    s.pm.evict_extra_outbound_peers(NOW + 31);
    assert_eq!(*s.conns.disconnected.lock().unwrap(), vec![10]);
    lock(&s.pm.inner)
        .peers
        .get_mut(&11)
        .unwrap()
        .last_block_time = 1;
    s.pm.evict_extra_outbound_peers(NOW + 31);
    assert_eq!(*s.conns.disconnected.lock().unwrap(), vec![10, 11]);
}

/// Core's `BlockChecked` for a block stored earlier: when a later block makes the chain
/// try it and it fails, the peer that sent it is punished.
#[test]
fn the_sender_of_a_stored_block_found_invalid_later_is_punished() {
    let s = setup("later-invalid", 0);
    let params = ChainParams::regtest();
    let (mut prev, mut height) = {
        let cs = s.node.chainstate();
        let i = cs.index().len() - 3;
        (cs.index().entry(i).header, cs.index().entry(i).height)
    };
    let mut fork = Vec::new();
    for k in 0..3 {
        height += 1;
        let mut b = assemble_block(
            &params,
            BlockRequest {
                prev_hash: prev.block_hash(),
                height,
                version: 0x2000_0000,
                time: prev.time + 2,
                bits: params.genesis.header.bits,
                coinbase_script: ScriptBuf::from_bytes(vec![0x51]),
                transactions: Vec::new(),
                // The first block of the fork claims one satoshi too many.
                fees: if k == 0 { 1 } else { 0 },
            },
        );
        assert!(grind(&mut b, &params));
        prev = b.header;
        fork.push(b);
    }
    s.pm.process_new_block(PEER, &fork[0], false, true, true);
    s.pm.process_new_block(PEER, &fork[1], false, true, true);
    assert!(!s.misbehaved(), "stored, not yet checked");
    s.pm.process_new_block(PEER, &fork[2], false, true, true);
    assert!(s.misbehaved());
    assert!(lock(&s.pm.inner).block_source.is_empty());
}
