//! The wallet through the node's RPC, run twice: with `bitcoind` (wallet in the node's
//! process) and with `bitcoin-node` (wallet in a `bitcoin-wallet` child over IPC). Both runs
//! must give the same replies, once the values that are random by nature (keys, so
//! addresses, txids and block hashes) are replaced by stable placeholders.
//!
//! `bitcoin-node` also shows its process layout: a separate wallet process that holds the
//! wallet file, that the node survives, and that exits with the node.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{TempDir, TestNode};

const BITCOIND: &str = env!("CARGO_BIN_EXE_bitcoind");
const BITCOIN_NODE: &str = env!("CARGO_BIN_EXE_bitcoin-node");
const MOCKTIME: i64 = 1_700_000_000;

/// Replaces addresses and hashes by their order of first appearance, so two runs with
/// different keys compare equal when they behave the same.
#[derive(Default)]
struct Normalizer {
    seen: HashMap<String, String>,
}

impl Normalizer {
    fn token(&mut self, s: &str) -> String {
        let n = self.seen.len();
        self.seen
            .entry(s.to_string())
            .or_insert_with(|| format!("<{n}>"))
            .clone()
    }

    fn random_looking(s: &str) -> bool {
        let hex64 = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        // Serialized transactions and PSBTs hold keys and signatures.
        let blob = s.len() > 60
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        // Scripts and keys in hex.
        let hex = s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
        // Descriptors carry the wallet's keys.
        let descriptor = s.contains('(') && s.contains('#');
        if blob || hex || descriptor {
            return true;
        }
        let address = s.starts_with("bcrt1")
            || (s.len() >= 26
                && s.len() <= 35
                && (s.starts_with('m') || s.starts_with('n') || s.starts_with('2')));
        hex64 || address
    }

    fn value(&mut self, v: &Value) -> Value {
        match v {
            // Where the change goes is chosen at random.
            Value::Object(o) if o.contains_key("vout") || o.contains_key("changepos") => {
                Value::Object(
                    o.iter()
                        .map(|(k, x)| match k.as_str() {
                            "vout" | "changepos" => (k.clone(), Value::String("<n>".into())),
                            _ => (k.clone(), self.value(x)),
                        })
                        .collect(),
                )
            }
            Value::String(s) if Self::random_looking(s) => Value::String(self.token(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.value(x)).collect()),
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, x)| (k.clone(), self.value(x))).collect())
            }
            other => other.clone(),
        }
    }
}

/// One run: every reply, in order, normalized.
struct Transcript {
    norm: Normalizer,
    lines: Vec<String>,
    datadir: String,
}

impl Transcript {
    fn new(datadir: &Path) -> Transcript {
        Transcript {
            norm: Normalizer::default(),
            lines: Vec::new(),
            datadir: datadir.display().to_string(),
        }
    }

    fn call(&mut self, node: &TestNode, path: &str, method: &str, params: Value) -> Value {
        // Wallets hear about the pool asynchronously, in either layout; wait for them as
        // Core's tests do, so replies do not depend on timing.
        node.call("syncwithvalidationinterfacequeue", json!([]));
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let cookie = node.cookie().unwrap_or_default();
        let reply = node.post(path, &body, Some(&cookie)).expect("http");
        let v: Value = serde_json::from_str(&reply.body).expect("json reply");
        let shown = self
            .norm
            .value(&json!({"result": v["result"], "error": v["error"]}));
        let line = format!("{path} {method} -> {shown}").replace(&self.datadir, "<datadir>");
        self.lines.push(line);
        if v["error"].is_null() {
            v["result"].clone()
        } else {
            v["error"].clone()
        }
    }
}

/// An amount reply as a number (replies keep Core's exact decimal text).
fn btc(v: &Value) -> f64 {
    v.to_string().parse().expect("amount")
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The same session against `exe`; returns its transcript.
fn session(exe: &'static str) -> Vec<String> {
    let dir = TempDir::new("wallet-session");
    let mock = format!("-mocktime={MOCKTIME}");
    let mut node = TestNode::start(exe, &dir.0, &[&mock, "-fallbackfee=0.0002"]);
    let mut t = Transcript::new(&dir.0);
    t.call(&node, "/", "listwallets", json!([]));
    t.call(&node, "/", "getbalance", json!([]));
    t.call(&node, "/", "createwallet", json!(["w1"]));
    let info = t.call(&node, "/", "getwalletinfo", json!([]));
    assert_eq!(info["walletname"], "w1");
    assert_eq!(info["keypoolsize"], 4000);
    let addr = t
        .call(&node, "/", "getnewaddress", json!([]))
        .as_str()
        .expect("address")
        .to_string();
    assert!(addr.starts_with("bcrt1q"), "{addr}");
    for ty in ["legacy", "p2sh-segwit", "bech32", "bech32m"] {
        t.call(&node, "/", "getnewaddress", json!(["", ty]));
    }
    t.call(&node, "/", "getnewaddress", json!(["", "bogus"]));
    t.call(&node, "/", "getnewaddress", json!(["*"]));
    t.call(&node, "/", "getrawchangeaddress", json!([]));
    t.call(&node, "/", "generatetoaddress", json!([101, addr]));
    let bal = t.call(&node, "/", "getbalance", json!([]));
    assert_eq!(btc(&bal), 50.0);
    let bals = t.call(&node, "/", "getbalances", json!([]));
    assert_eq!(btc(&bals["mine"]["immature"]), 5000.0);
    t.call(&node, "/", "getbalance", json!(["*", 100]));
    t.call(&node, "/", "getbalance", json!(["x"]));

    // Several wallets: requests name theirs by path.
    t.call(&node, "/", "createwallet", json!(["w2"]));
    t.call(&node, "/", "createwallet", json!(["w2"]));
    t.call(&node, "/", "getbalance", json!([]));
    t.call(&node, "/wallet/w1", "getbalance", json!([]));
    t.call(&node, "/wallet/w2", "getbalance", json!([]));
    t.call(&node, "/wallet/nope", "getbalance", json!([]));
    t.call(&node, "/", "listwallets", json!([]));
    t.call(&node, "/", "listwalletdir", json!([]));
    t.call(&node, "/", "unloadwallet", json!(["w2"]));
    t.call(&node, "/", "unloadwallet", json!(["w2"]));
    t.call(&node, "/", "loadwallet", json!(["w2"]));
    t.call(&node, "/", "loadwallet", json!(["w2"]));
    t.call(&node, "/", "loadwallet", json!(["missing"]));

    // Catching up: blocks mined while w1 is unloaded reach it when it loads again.
    t.call(&node, "/", "unloadwallet", json!(["w1"]));
    t.call(&node, "/", "generatetoaddress", json!([10, addr]));
    t.call(&node, "/", "loadwallet", json!(["w1"]));
    let bal = t.call(&node, "/wallet/w1", "getbalance", json!([]));
    assert_eq!(btc(&bal), 550.0);

    // Spending: a payment with change, a fee bump, and a PSBT flow.
    let to = t
        .call(&node, "/wallet/w2", "getnewaddress", json!([]))
        .as_str()
        .expect("address")
        .to_string();
    let txid = t.call(&node, "/wallet/w1", "sendtoaddress", json!([to, 1.5]));
    t.call(&node, "/wallet/w1", "gettransaction", json!([txid]));
    t.call(&node, "/wallet/w2", "getbalances", json!([]));
    let bumped = t.call(&node, "/wallet/w1", "bumpfee", json!([txid]));
    assert!(bumped["fee"].to_string().parse::<f64>().expect("fee") > 0.0);
    t.call(&node, "/wallet/w1", "gettransaction", json!([txid]));
    t.call(&node, "/wallet/w1", "sendtoaddress", json!([to, 100_000]));
    let psbt = t.call(
        &node,
        "/wallet/w1",
        "walletcreatefundedpsbt",
        json!([[], [{ &to: 0.5 }]]),
    );
    let signed = t.call(
        &node,
        "/wallet/w1",
        "walletprocesspsbt",
        json!([psbt["psbt"]]),
    );
    assert_eq!(signed["complete"], json!(true));
    let fin = t.call(&node, "/", "finalizepsbt", json!([signed["psbt"]]));
    t.call(&node, "/", "sendrawtransaction", json!([fin["hex"]]));
    t.call(&node, "/", "generatetoaddress", json!([1, addr]));
    let got = t.call(&node, "/wallet/w2", "getbalance", json!([]));
    assert_eq!(btc(&got), 2.0);
    t.call(&node, "/wallet/w1", "listtransactions", json!(["*", 4]));
    t.call(&node, "/wallet/w2", "listunspent", json!([]));

    // Encryption: a locked wallet cannot spend until unlocked.
    t.call(&node, "/wallet/w2", "encryptwallet", json!(["secret"]));
    t.call(&node, "/wallet/w2", "sendtoaddress", json!([addr, 0.1]));
    t.call(
        &node,
        "/wallet/w2",
        "walletpassphrase",
        json!(["wrong", 60]),
    );
    t.call(
        &node,
        "/wallet/w2",
        "walletpassphrase",
        json!(["secret", 60]),
    );
    t.call(&node, "/wallet/w2", "sendtoaddress", json!([addr, 0.1]));
    t.call(&node, "/wallet/w2", "walletlock", json!([]));
    t.call(&node, "/wallet/w2", "getwalletinfo", json!([]));

    // And across a restart during which the node ran without wallets.
    node.stop();
    let mut node = TestNode::start(exe, &dir.0, &[&mock, "-disablewallet"]);
    t.call(&node, "/", "getbalance", json!([]));
    t.call(&node, "/", "generatetoaddress", json!([5, addr]));
    node.stop();
    let node = TestNode::start(exe, &dir.0, &[&mock, "-wallet=w1"]);
    let bal = t.call(&node, "/", "getbalance", json!([]));
    // 17 mature coinbases, 2.0 paid to w2 with fees, 0.1 paid back.
    assert!(btc(&bal) > 848.09 && btc(&bal) < 848.1, "{bal}");
    t.call(&node, "/", "listwallets", json!([]));
    let info = t.call(&node, "/", "getwalletinfo", json!([]));
    assert_eq!(info["txcount"], 121);
    t.call(&node, "/", "help", json!(["getbalance"]));
    t.lines
}

#[test]
fn the_wallet_answers_the_same_in_one_process_and_in_two() {
    let one = session(BITCOIND);
    let two = session(BITCOIN_NODE);
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a, b, "bitcoind and bitcoin-node replied differently");
    }
    assert_eq!(one.len(), two.len());
}

/// Processes whose parent is `ppid`, with their names.
fn children(ppid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
        let Some((head, tail)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head
            .split_once('(')
            .map(|(_, c)| c.to_string())
            .unwrap_or_default();
        let parent: Option<u32> = tail.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if parent == Some(ppid) {
            out.push((pid, comm));
        }
    }
    out
}

fn holds_file(pid: u32, file: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| target == file)
}

fn node_pid(node: &TestNode) -> u32 {
    node.child.as_ref().expect("running").id()
}

fn wallet_children(node: &TestNode) -> Vec<u32> {
    children(node_pid(node))
        .into_iter()
        .filter(|(_, c)| c == "bitcoin-wallet")
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn bitcoin_node_runs_the_wallet_in_a_child_process_it_survives() {
    let dir = TempDir::new("wallet-process");
    let node = TestNode::start(BITCOIN_NODE, &dir.0, &["-debug=ipc"]);
    node.call("createwallet", json!(["w1"]));
    let addr = node.call("getnewaddress", json!([]));
    node.call("generatetoaddress", json!([1, addr]));
    assert_eq!(
        btc(&node.call("getbalances", json!([]))["mine"]["immature"]),
        50.0
    );

    let wallets = wallet_children(&node);
    assert_eq!(
        wallets.len(),
        1,
        "one bitcoin-wallet child: {:?}",
        children(node_pid(&node))
    );
    let file =
        std::fs::canonicalize(dir.0.join("regtest/wallets/w1/wallet.dat")).expect("wallet file");
    assert!(
        holds_file(wallets[0], &file),
        "the wallet process holds wallet.dat"
    );
    assert!(!holds_file(node_pid(&node), &file), "the node does not");

    // The Chain calls between the two processes are in the log.
    let log = node.debug_log();
    for call in [
        "Init.makeWalletLoader",
        "Chain.handleRpc",
        "Chain.handleNotifications",
        "ChainNotifications.blockConnected",
        "Chain.findBlock",
    ] {
        assert!(log.contains(call), "-debug=ipc shows {call}");
    }

    // The wallet process dies; the node keeps serving and says why wallet calls fail.
    // SAFETY: kill() with a pid we found as our child; no memory is involved.
    unsafe {
        libc::kill(wallets[0] as i32, libc::SIGKILL);
    }
    wait_for("the wallet process to be gone", || {
        wallet_children(&node).is_empty()
    });
    assert_eq!(node.call("getblockcount", json!([])), json!(1));
    let (code, msg) = node.call_err("getbalance", json!([]));
    assert_eq!(code, -1);
    assert!(msg.contains("Wallet process unavailable"), "{msg}");
    wait_for("the node to log the exit", || {
        node.debug_log().contains("exited unexpectedly")
    });
    node.call("generatetoaddress", json!([1, addr]));
    assert_eq!(node.call("getblockcount", json!([])), json!(2));
}

#[test]
fn the_wallet_process_catches_up_after_a_restart_and_leaves_with_the_node() {
    let dir = TempDir::new("wallet-process-exit");
    let mut node = TestNode::start(BITCOIN_NODE, &dir.0, &[]);
    node.call("createwallet", json!(["w1"]));
    let addr = node.call("getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, addr]));
    let wallets = wallet_children(&node);
    assert_eq!(wallets.len(), 1);
    node.kill9();
    wait_for("the orphaned wallet process to exit", || {
        !Path::new(&format!("/proc/{}", wallets[0])).exists()
            || std::fs::read_to_string(format!("/proc/{}/stat", wallets[0]))
                .map(|s| s.contains(") Z "))
                .unwrap_or(true)
    });

    // After the crash: mine without wallets, then the wallet catches up from its best block.
    let mut node = TestNode::start(BITCOIN_NODE, &dir.0, &["-disablewallet"]);
    assert!(
        wallet_children(&node).is_empty(),
        "-disablewallet spawns nothing"
    );
    let (code, _) = node.call_err("getbalance", json!([]));
    assert_eq!(code, -32601);
    node.call("generatetoaddress", json!([3, addr]));
    node.stop();
    let node = TestNode::start(BITCOIN_NODE, &dir.0, &["-wallet=w1"]);
    assert_eq!(btc(&node.call("getbalance", json!([]))), 200.0);
    assert!(
        node.debug_log().contains("Rescanning last"),
        "it rescanned the missed blocks"
    );
}
