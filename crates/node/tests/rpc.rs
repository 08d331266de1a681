//! The JSON-RPC server of `bitcoind` and `bitcoin-node` as a client sees it: commands,
//! errors, authentication, reply shapes, shutdown and restarts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use support::{regtest_address, TempDir, TestNode, BITCOIND, BITCOIN_NODE};

const REGTEST_GENESIS: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

#[test]
fn chain_queries_and_mining() {
    let dir = TempDir::new("rpc-chain");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    assert_eq!(node.call("getblockcount", json!([])), json!(0));
    assert_eq!(
        node.call("getbestblockhash", json!([])),
        json!(REGTEST_GENESIS)
    );
    assert_eq!(
        node.call("getblockhash", json!([0])),
        json!(REGTEST_GENESIS)
    );
    assert_eq!(
        node.call_err("getblockhash", json!([1])),
        (-8, "Block height out of range".into())
    );

    let addr = regtest_address();
    let hashes = node.call("generatetoaddress", json!([101, addr]));
    let hashes = hashes.as_array().unwrap();
    assert_eq!(hashes.len(), 101);
    assert_eq!(node.call("getblockcount", json!([])), json!(101));
    assert_eq!(node.call("getbestblockhash", json!([])), hashes[100]);
    assert_eq!(
        node.call_err("generatetoaddress", json!([1, "notanaddress"])),
        (-5, "Error: Invalid address".into())
    );

    // Headers and blocks.
    let h1 = hashes[0].as_str().unwrap();
    let header = node.call("getblockheader", json!([h1]));
    assert_eq!(header["height"], json!(1));
    assert_eq!(header["confirmations"], json!(101));
    assert_eq!(header["previousblockhash"], json!(REGTEST_GENESIS));
    assert_eq!(header["nextblockhash"], hashes[1]);
    assert_eq!(header["nTx"], json!(1));
    assert_eq!(header["bits"], json!("207fffff"));
    let keys: Vec<&str> = header
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "hash",
            "confirmations",
            "height",
            "version",
            "versionHex",
            "merkleroot",
            "time",
            "mediantime",
            "nonce",
            "bits",
            "target",
            "difficulty",
            "chainwork",
            "nTx",
            "previousblockhash",
            "nextblockhash"
        ]
    );
    let raw_header = node.call("getblockheader", json!([h1, false]));
    assert_eq!(raw_header.as_str().unwrap().len(), 160);
    assert_eq!(
        node.call_err("getblockheader", json!(["00"])),
        (-8, "hash must be of length 64 (not 2, for '00')".into())
    );
    assert_eq!(
        node.call_err("getblockheader", json!(["11".repeat(32)])),
        (-5, "Block not found".into())
    );
    let b1 = node.call("getblock", json!([h1]));
    assert_eq!(b1["tx"].as_array().unwrap().len(), 1);
    assert_eq!(b1["coinbase_tx"]["version"], json!(2));
    let b2 = node.call("getblock", json!([h1, 2]));
    let cb = &b2["tx"][0];
    assert!(cb["vin"][0]["coinbase"].is_string());
    assert_eq!(cb["vout"][0]["value"].to_string(), "50.00000000");
    assert_eq!(cb["vout"][0]["scriptPubKey"]["address"], json!(addr));
    let b0 = node.call("getblock", json!([h1, 0]));
    assert!(b0
        .as_str()
        .unwrap()
        .starts_with(raw_header.as_str().unwrap()));
    let b3 = node.call("getblock", json!([h1, 3]));
    assert_eq!(b3["tx"][0]["txid"], cb["txid"]);

    // Exact number text of doubles and amounts, as Core prints them.
    let cookie = node.cookie().unwrap();
    let r = node
        .post(
            "/",
            r#"{"method":"getdifficulty","params":[],"id":7}"#,
            Some(&cookie),
        )
        .unwrap();
    assert_eq!(
        r.body,
        "{\"result\":4.656542373906925e-10,\"error\":null,\"id\":7}\n"
    );

    // The coinbase of block 1 is mature now.
    let txid = cb["txid"].as_str().unwrap();
    let out = node.call("gettxout", json!([txid, 0]));
    assert_eq!(out["confirmations"], json!(101));
    assert_eq!(out["coinbase"], json!(true));
    assert_eq!(node.call("gettxout", json!([txid, 5])), Value::Null);
    let r = node
        .post(
            "/",
            &format!(r#"{{"method":"gettxout","params":["{txid}",0],"id":1}}"#),
            Some(&cookie),
        )
        .unwrap();
    assert!(r.body.contains("\"value\":50.00000000,"), "{}", r.body);

    let info = node.call("gettxoutsetinfo", json!([]));
    assert_eq!(info["height"], json!(101));
    assert_eq!(info["txouts"], json!(101));
    assert_eq!(info["transactions"], json!(101));
    assert!(info["hash_serialized_3"].as_str().unwrap().len() == 64);
    let mu = node.call("gettxoutsetinfo", json!(["muhash"]));
    assert!(mu["muhash"].is_string() && mu.get("hash_serialized_3").is_none());
    assert_eq!(
        node.call_err("gettxoutsetinfo", json!(["sha1"])),
        (-8, "'sha1' is not a valid hash_type".into())
    );

    let bci = node.call("getblockchaininfo", json!([]));
    assert_eq!(bci["chain"], json!("regtest"));
    assert_eq!(bci["blocks"], json!(101));
    assert_eq!(bci["headers"], json!(101));
    assert_eq!(bci["pruned"], json!(false));
    assert_eq!(bci["warnings"], json!([]));

    // Steering the chain.
    let tip = hashes[100].clone();
    assert_eq!(node.call("invalidateblock", json!([tip])), Value::Null);
    assert_eq!(node.call("getblockcount", json!([])), json!(100));
    let tips = node.call("getchaintips", json!([]));
    assert_eq!(
        tips,
        json!([
            {"height": 101, "hash": tip, "branchlen": 1, "status": "invalid"},
            {"height": 100, "hash": hashes[99], "branchlen": 0, "status": "active"},
        ])
    );
    assert_eq!(
        node.call("getblockheader", json!([tip]))["confirmations"],
        json!(-1)
    );
    node.call("reconsiderblock", json!([tip]));
    assert_eq!(node.call("getblockcount", json!([])), json!(101));
    assert_eq!(
        node.call("getchaintips", json!([])),
        json!([{"height": 101, "hash": tip, "branchlen": 0, "status": "active"}])
    );
    assert_eq!(
        node.call_err("invalidateblock", json!(["22".repeat(32)])),
        (-5, "Block not found".into())
    );

    // Submitting blocks.
    let raw = node.call("getblock", json!([tip, 0]));
    assert_eq!(node.call("submitblock", json!([raw])), json!("duplicate"));
    assert_eq!(
        node.call_err("submitblock", json!(["00"])),
        (-22, "Block decode failed".into())
    );
    let made = node.call("generateblock", json!([addr, [], false]));
    assert_eq!(node.call("getblockcount", json!([])), json!(101));
    assert_eq!(node.call("submitblock", json!([made["hex"]])), Value::Null);
    assert_eq!(node.call("getbestblockhash", json!([])), made["hash"]);
    let header_hex = node.call("getblockheader", json!([made["hash"], false]));
    assert_eq!(node.call("submitheader", json!([header_hex])), Value::Null);
    assert_eq!(
        node.call_err("submitheader", json!(["00"])),
        (-22, "Block header decode failed".into())
    );

    let mining = node.call("getmininginfo", json!([]));
    assert_eq!(mining["blocks"], json!(102));
    assert_eq!(mining["next"]["height"], json!(103));
    assert_eq!(mining["chain"], json!("regtest"));

    let stats = node.call("getchaintxstats", json!([]));
    assert_eq!(stats["txcount"], json!(103));
    assert_eq!(stats["window_final_block_height"], json!(102));
}

#[test]
fn argument_errors_as_core() {
    let dir = TempDir::new("rpc-args");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    assert_eq!(
        node.call_err("nosuchmethod", json!([])),
        (-32601, "Method not found".into())
    );
    let (code, msg) = node.call_err("getblockhash", json!(["x"]));
    assert_eq!(code, -3);
    assert!(msg.starts_with("Wrong type passed:"), "{msg}");
    let (code, msg) = node.call_err("getblockhash", json!([]));
    assert_eq!(code, -1);
    assert!(msg.starts_with("getblockhash height"), "{msg}");
    let (code, msg) = node.call_err("getblockcount", json!({"foo": 1}));
    assert_eq!(code, -8);
    assert!(msg.contains("foo"), "{msg}");
    // Named parameters.
    assert_eq!(
        node.call("getblockhash", json!({"height": 0})),
        json!(REGTEST_GENESIS)
    );
    let help = node.call("help", json!(["getblockhash"]));
    assert!(help.as_str().unwrap().starts_with("getblockhash height\n"));
    let all = node.call("help", json!([]));
    assert!(all.as_str().unwrap().contains("== Blockchain =="));
    assert_eq!(
        node.call("echo", json!(["a", 1, {"b": null}])),
        json!(["a", 1, {"b": null}])
    );
}

#[test]
fn authentication_and_reply_shapes() {
    let dir = TempDir::new("rpc-auth");
    let mut node = TestNode::start(BITCOIND, &dir.0, &[]);
    let cookie = node.cookie().unwrap();
    assert!(cookie.starts_with("__cookie__:"));
    let body = r#"{"method":"getblockcount","params":[],"id":1}"#;
    assert_eq!(node.post("/", body, None).unwrap().status, 401);
    assert_eq!(
        node.post("/", body, Some("__cookie__:wrong"))
            .unwrap()
            .status,
        401
    );
    let ok = node.post("/", body, Some(&cookie)).unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, "{\"result\":0,\"error\":null,\"id\":1}\n");
    // JSON-RPC 1.0 errors are HTTP errors; 2.0 errors are not.
    let nf = node
        .post(
            "/",
            r#"{"method":"nope","params":[],"id":1}"#,
            Some(&cookie),
        )
        .unwrap();
    assert_eq!(nf.status, 404);
    let v2 = node
        .post(
            "/",
            r#"{"jsonrpc":"2.0","method":"nope","params":[],"id":1}"#,
            Some(&cookie),
        )
        .unwrap();
    assert_eq!(v2.status, 200);
    assert_eq!(
        v2.body,
        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}\n"
    );
    let batch = node
        .post(
            "/",
            r#"[{"jsonrpc":"2.0","method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"getblockcount"}]"#,
            Some(&cookie),
        )
        .unwrap();
    assert_eq!(batch.status, 200);
    assert_eq!(
        batch.body,
        "[{\"jsonrpc\":\"2.0\",\"result\":0,\"id\":1}]\n"
    );

    let (status, stderr) = node.stop();
    assert!(status.success(), "{status}");
    assert_eq!(stderr, "");
    assert!(node.cookie().is_none(), "cookie left behind");
}

#[test]
fn rpcuser_and_rpcauth() {
    let dir = TempDir::new("rpc-users");
    // rpcauth line for user "alice", password "secret", made by Core's share/rpcauth/rpcauth.py
    // format: user:salt$hmac-sha256(salt, password).
    let salt = "cb77f0957de88ff388cf817ddbc7273";
    let hmac = {
        use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
        let mut e = hmac::HmacEngine::<sha256::Hash>::new(salt.as_bytes());
        e.input(b"secret");
        hmac::Hmac::<sha256::Hash>::from_engine(e).to_string()
    };
    let auth = format!("-rpcauth=alice:{salt}${hmac}");
    let node = TestNode::start_with_auth(
        BITCOIND,
        &dir.0,
        &[&auth, "-rpcuser=bob", "-rpcpassword=pw"],
        Some("bob:pw"),
    );
    assert!(node.cookie().is_none(), "no cookie with -rpcpassword");
    let body = r#"{"method":"getblockcount","params":[],"id":1}"#;
    assert_eq!(
        node.post("/", body, Some("alice:secret")).unwrap().status,
        200
    );
    assert_eq!(node.post("/", body, Some("bob:pw")).unwrap().status, 200);
    assert_eq!(
        node.post("/", body, Some("alice:wrong")).unwrap().status,
        401
    );
}

#[test]
fn kill_and_restart_keep_the_chain() {
    let dir = TempDir::new("rpc-restart");
    let mut node = TestNode::start(BITCOIND, &dir.0, &[]);
    let hashes = node.call("generatetoaddress", json!([25, regtest_address()]));
    let before = node.call("gettxoutsetinfo", json!([]));
    // The generate call returned, so every block is acknowledged: a crash loses none.
    node.kill9();
    node.spawn();
    node.wait_ready();
    assert_eq!(node.call("getblockcount", json!([])), json!(25));
    assert_eq!(node.call("getbestblockhash", json!([])), hashes[24]);
    let after = node.call("gettxoutsetinfo", json!([]));
    assert_eq!(after["hash_serialized_3"], before["hash_serialized_3"]);
    // A loaded (not rebuilt) chainstate is checked at startup, as Core's -checkblocks.
    assert!(node
        .debug_log()
        .contains("Verifying last 6 blocks at level 3"));
    // A block acknowledged by submitblock survives a kill at once after the reply.
    let made = node.call("generateblock", json!([regtest_address(), [], false]));
    assert_eq!(node.call("submitblock", json!([made["hex"]])), Value::Null);
    node.kill9();
    node.spawn();
    node.wait_ready();
    assert_eq!(node.call("getbestblockhash", json!([])), made["hash"]);
    // And a clean stop and start.
    let (status, _) = node.stop();
    assert!(status.success());
    node.spawn();
    node.wait_ready();
    assert_eq!(node.call("getblockcount", json!([])), json!(26));
}

#[test]
fn waiting_for_blocks() {
    let dir = TempDir::new("rpc-wait");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    let r = node.call("waitfornewblock", json!([50]));
    assert_eq!(r, json!({"hash": REGTEST_GENESIS, "height": 0}));
    std::thread::scope(|s| {
        let waiter = s.spawn(|| node.call("waitforblockheight", json!([3, 60_000])));
        std::thread::sleep(std::time::Duration::from_millis(200));
        node.call("generatetoaddress", json!([3, regtest_address()]));
        assert_eq!(waiter.join().unwrap()["height"], json!(3));
    });
    assert_eq!(
        node.call_err("waitfornewblock", json!([-1])),
        (-1, "Negative timeout".into())
    );
}

#[test]
fn echoipc_through_a_spawned_process() {
    let dir = TempDir::new("rpc-echoipc");
    let node = TestNode::start(BITCOIN_NODE, &dir.0, &[]);
    assert_eq!(node.call("echoipc", json!(["hello"])), json!("hello"));
    let dir2 = TempDir::new("rpc-echoipc-mono");
    let mono = TestNode::start(BITCOIND, &dir2.0, &[]);
    assert_eq!(mono.call("echoipc", json!(["hello"])), json!("hello"));
}

/// Runs bitcoin-cli (the library, in-process) with `args`.
fn cli(args: &[String]) -> cli::Outcome {
    let mut stdin = std::io::Cursor::new(Vec::<u8>::new());
    let mut env = cli::Env {
        stdin: &mut stdin,
        stdin_is_terminal: false,
        stdout_is_terminal: false,
        connector: &cli::DefaultConnector,
        retry_pause: std::time::Duration::from_millis(100),
        now: 0,
        live_stderr: None,
        set_echo: None,
    };
    cli::run(args, &mut env)
}

#[test]
fn bitcoin_cli_over_http_and_ipc() {
    let dir = TempDir::new("rpc-cli");
    let node = TestNode::start(BITCOIN_NODE, &dir.0, &["-ipcbind=unix"]);
    let base = [
        "-regtest".to_string(),
        format!("-datadir={}", dir.0.display()),
        format!("-rpcport={}", node.rpc_port),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    // HTTP, with the cookie.
    let out = cli(&with(&["-ipcconnect=0", "getblockcount"]));
    assert_eq!((out.code, out.stdout.as_str()), (0, "0\n"));
    let out = cli(&with(&["-ipcconnect=0", "getbestblockhash"]));
    assert_eq!(out.stdout, format!("{REGTEST_GENESIS}\n"));
    let out = cli(&with(&["-ipcconnect=0", "getblockhash", "5"]));
    // As Core's: the exit status is the error code's absolute value.
    assert_eq!(out.code, 8);
    assert_eq!(
        out.stderr,
        "error code: -8\nerror message:\nBlock height out of range\n"
    );
    let out = cli(&with(&[
        "-ipcconnect=0",
        "-named",
        "getblockheader",
        &format!("blockhash={REGTEST_GENESIS}"),
        "verbose=false",
    ]));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.len(), 161);
    // IPC: a wrong password proves the request did not go over HTTP.
    let out = cli(&with(&[
        "-ipcconnect=unix",
        "-rpcpassword=wrong",
        "echo",
        "foo",
    ]));
    assert_eq!((out.code, out.stdout.as_str()), (0, "[\n  \"foo\"\n]\n"));
    let out = cli(&with(&[
        "-ipcconnect=unix",
        "-rpcpassword=wrong",
        "getblockhash",
        "5",
    ]));
    // As Core's: the exit status is the error code's absolute value.
    assert_eq!(out.code, 8);
    assert_eq!(
        out.stderr,
        "error code: -8\nerror message:\nBlock height out of range\n"
    );
    let out = cli(&with(&["-rpcpassword=wrong", "getchaintips"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("\"status\": \"active\""));
}

#[test]
fn scantxoutset_and_generatetodescriptor() {
    let dir = TempDir::new("rpc-scan");
    let node = TestNode::start(BITCOIND, &dir.0, &[]);
    let addr = regtest_address();
    let desc = format!("addr({addr})");
    let hashes = node.call("generatetodescriptor", json!([3, desc]));
    assert_eq!(hashes.as_array().unwrap().len(), 3);
    // An OP_TRUE output script as raw().
    node.call("generatetodescriptor", json!([2, "raw(51)"]));
    let r = node.call(
        "scantxoutset",
        json!(["start", [desc, {"desc": "raw(51)"}]]),
    );
    assert_eq!(r["success"], json!(true));
    assert_eq!(r["txouts"], json!(5));
    assert_eq!(r["height"], json!(5));
    assert_eq!(r["unspents"].as_array().unwrap().len(), 5);
    assert_eq!(r["total_amount"].to_string(), "250.00000000");
    let first = &r["unspents"][0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "txid",
            "vout",
            "scriptPubKey",
            "desc",
            "amount",
            "coinbase",
            "height",
            "blockhash",
            "confirmations"
        ]
    );
    assert_eq!(node.call("scantxoutset", json!(["status"])), Value::Null);
    assert_eq!(node.call("scantxoutset", json!(["abort"])), json!(false));
    assert_eq!(
        node.call_err("scantxoutset", json!(["start"])),
        (
            -1,
            "scanobjects argument is required for the start action".into()
        )
    );
    assert_eq!(
        node.call_err("scantxoutset", json!(["go"])),
        (-8, "Invalid action 'go'".into())
    );
    assert_eq!(
        node.call_err(
            "scantxoutset",
            json!(["start", [{"desc": "raw(51)", "range": [5, 1]}]])
        ),
        (
            -8,
            "Range specified as [begin,end] must not have begin after end".into()
        )
    );
    let (code, _) = node.call_err("generatetodescriptor", json!([1, "nonsense("]));
    assert_eq!(code, -5);
    assert_eq!(
        node.call_err(
            "generatetodescriptor",
            json!([1, "pkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)"])
        ),
        (-8, "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?".into())
    );
    // generateblock takes a descriptor too.
    let made = node.call("generateblock", json!(["raw(51)", []]));
    assert_eq!(node.call("getbestblockhash", json!([])), made["hash"]);
}

#[test]
fn deprecated_rpc_behaviours_on_request() {
    let dir = TempDir::new("rpc-deprecated");
    let node = TestNode::start(
        BITCOIND,
        &dir.0,
        &["-deprecatedrpc=warnings", "-deprecatedrpc=fullrbf"],
    );
    assert_eq!(
        node.call("getblockchaininfo", json!([]))["warnings"],
        json!("")
    );
    assert_eq!(node.call("getmininginfo", json!([]))["warnings"], json!(""));
    assert_eq!(
        node.call("getmempoolinfo", json!([]))["fullrbf"],
        json!(true)
    );
    let dir2 = TempDir::new("rpc-current");
    let plain = TestNode::start(BITCOIND, &dir2.0, &[]);
    assert!(plain
        .call("getmempoolinfo", json!([]))
        .get("fullrbf")
        .is_none());
    assert_eq!(
        plain.call("getmempoolinfo", json!([]))["loaded"],
        json!(true)
    );
}

#[test]
fn reindex_takes_blocks_out_of_order_and_says_so() {
    let dir = TempDir::new("rpc-reindex-order");
    let mut node = TestNode::start(BITCOIND, &dir.0, &["-blocksxor=0"]);
    let hashes = node.call("generatetoaddress", json!([3, regtest_address()]));
    let (status, _) = node.stop();
    assert!(status.success());
    // Swap the records of blocks 1 and 2 in the block file (magic, size, block).
    let path = dir.0.join("regtest/blocks/blk00000.dat");
    let data = std::fs::read(&path).unwrap();
    let mut records = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() && data[pos..pos + 4] != [0, 0, 0, 0] {
        let size = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap()) as usize;
        records.push(data[pos..pos + 8 + size].to_vec());
        pos += 8 + size;
    }
    assert_eq!(records.len(), 4);
    records.swap(1, 2);
    let mut reordered = records.concat();
    reordered.resize(data.len(), 0);
    std::fs::write(&path, reordered).unwrap();
    node.extra = vec![
        "-reindex".into(),
        "-debug=reindex".into(),
        "-blocksxor=0".into(),
    ];
    node.spawn();
    node.wait_ready();
    assert_eq!(node.call("getbestblockhash", json!([])), hashes[2]);
    let log = node.debug_log();
    let (h1, h2) = (hashes[0].as_str().unwrap(), hashes[1].as_str().unwrap());
    assert!(
        log.contains(&format!(
            "[reindex] LoadExternalBlockFile: Out of order block {h2}, parent {h1} not known"
        )),
        "{log}"
    );
    assert!(log.contains(&format!(
        "[reindex] LoadExternalBlockFile: Processing out of order child {h2} of {h1}"
    )));
}
