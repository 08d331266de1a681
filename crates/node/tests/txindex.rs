//! `-txindex` end to end: `getindexinfo` as the index syncs, follows new blocks, keeps its
//! place across a restart and a kill, catches up after running without it, and rebuilds
//! with `-reindex`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{regtest_address, TempDir, TestNode, BITCOIND};

/// Waits until `getindexinfo` reports the txindex synced at `height`.
fn wait_synced(node: &TestNode, height: u64) {
    let want = json!({"txindex": {"synced": true, "best_block_height": height}});
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = node.call("getindexinfo", json!([]));
        if info == want {
            return;
        }
        assert!(Instant::now() < deadline, "txindex not synced: {info}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn count(log: &str, line: &str) -> usize {
    log.lines().filter(|l| l.ends_with(line)).count()
}

#[test]
fn txindex_syncs_follows_the_chain_and_survives_restarts() {
    let dir = TempDir::new("txindex");
    let addr = regtest_address();
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-txindex"]);
    wait_synced(&node, 0);
    node.call("generatetoaddress", json!([101, addr]));
    // Synced: each block is indexed before generatetoaddress returns.
    assert_eq!(
        node.call("getindexinfo", json!([])),
        json!({"txindex": {"synced": true, "best_block_height": 101}})
    );
    assert_eq!(
        node.call("getindexinfo", json!(["txindex"])),
        node.call("getindexinfo", json!([]))
    );
    assert_eq!(
        node.call("getindexinfo", json!(["coinstatsindex"])),
        json!({})
    );
    let (status, _) = node.stop();
    assert!(status.success());
    let log = node.debug_log();
    assert_eq!(count(&log, "txidx thread start"), 1);
    assert_eq!(count(&log, "txindex is enabled at height 0"), 1);
    assert_eq!(count(&log, "txidx thread exit"), 1);
    assert!(dir.0.join("regtest/indexes/txindex").is_dir());

    // A restart resumes at the tip.
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-txindex"]);
    wait_synced(&node, 101);
    assert_eq!(
        count(&node.debug_log(), "txindex is enabled at height 101"),
        1
    );
    node.stop();

    // Without -txindex there is no index to report, and its data stays on disk.
    let mut node = TestNode::start(BITCOIND, &dir.0, &[]);
    assert_eq!(node.call("getindexinfo", json!([])), json!({}));
    node.call("generatetoaddress", json!([50, addr]));
    node.stop();
    assert!(dir.0.join("regtest/indexes/txindex").is_dir());

    // Enabled again, it catches up from where it stopped.
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-txindex"]);
    wait_synced(&node, 151);
    assert_eq!(
        count(&node.debug_log(), "txindex is enabled at height 151"),
        1
    );

    // Killed right after new blocks: the next start finds a consistent index and catches
    // up whatever the kill lost.
    node.call("generatetoaddress", json!([20, addr]));
    node.kill9();
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-txindex"]);
    wait_synced(&node, 171);
    node.call("generatetoaddress", json!([1, addr]));
    wait_synced(&node, 172);
    node.stop();

    // -reindex rebuilds the enabled index from scratch.
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-txindex", "-reindex"]);
    wait_synced(&node, 172);
    let log = node.debug_log();
    let after = &log[log.rfind("Bitcoin Core version").unwrap_or(0)..];
    assert_eq!(count(after, "txindex is enabled at height 172"), 1);
    node.stop();
}

#[test]
fn a_reorganisation_moves_the_index_with_the_chain() {
    let dir = TempDir::new("txindex-reorg");
    let addr = regtest_address();
    let node = TestNode::start(BITCOIND, &dir.0, &["-txindex"]);
    wait_synced(&node, 0);
    let hashes = node.call("generatetoaddress", json!([10, addr]));
    let Value::Array(hashes) = hashes else {
        panic!("block hashes")
    };
    node.call("invalidateblock", json!([hashes[7]]));
    assert_eq!(
        node.call("getindexinfo", json!([])),
        json!({"txindex": {"synced": true, "best_block_height": 7}})
    );
    // Another address, so the new blocks differ from the invalidated ones.
    let other = {
        use bitcoin::hashes::Hash;
        let script = bitcoin::ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([1; 32]));
        bitcoin::Address::from_script(&script, bitcoin::Network::Regtest)
            .unwrap()
            .to_string()
    };
    node.call("generatetoaddress", json!([2, other]));
    wait_synced(&node, 9);
    // Reconsidered, the old branch is longer and wins back: the index follows.
    node.call("reconsiderblock", json!([hashes[7]]));
    assert_eq!(node.call("getbestblockhash", json!([])), hashes[9]);
    wait_synced(&node, 10);
    node.call("generatetoaddress", json!([1, addr]));
    wait_synced(&node, 11);
}
