//! The built `bitcoin-wallet` as Core's test/functional/tool_wallet.py runs it, and the
//! wallets it makes loaded by the built `bitcoind`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::{wallet_tool, Node, TempDir, ToolRun, REGTEST_MAGIC};

const DUMP_WARNING: &str = "The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.\n";

fn info_text(name: &str, keypool: u64, txs: u64, book: u64) -> String {
    format!(
        "Wallet info\n===========\nName: {name}\nFormat: sqlite\nDescriptors: yes\nEncrypted: no\nHD (hd seed available): yes\nKeypool Size: {keypool}\nTransactions: {txs}\nAddress Book: {book}\n"
    )
}

fn ok(stdout: &str) -> ToolRun {
    ToolRun {
        code: 0,
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

fn err(stderr: &str) -> ToolRun {
    ToolRun {
        code: 1,
        stdout: String::new(),
        stderr: stderr.into(),
    }
}

/// The wallets directory of a regtest datadir the node made (`regtest/wallets`), or the
/// network directory when the tool made it.
fn wallets_dir(datadir: &Path) -> std::path::PathBuf {
    let w = datadir.join("regtest").join("wallets");
    if w.is_dir() {
        w
    } else {
        datadir.join("regtest")
    }
}

#[test]
fn create_then_info() {
    let dir = TempDir::new("tool-create");
    let d = &dir.0;
    assert_eq!(
        wallet_tool(d, &["-wallet=foo", "create"]),
        ok(&format!(
            "Topping up keypool...\n{}",
            info_text("foo", 8000, 0, 0)
        ))
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=foo", "info"]),
        ok(&info_text("foo", 8000, 0, 0))
    );
    let before = std::fs::read(d.join("regtest/foo/wallet.dat")).unwrap();
    // Creating it again changes nothing and, as in Core, still exits 0.
    assert_eq!(
        wallet_tool(d, &["-wallet=foo", "create"]),
        ToolRun {
            code: 0,
            stdout: String::new(),
            stderr: format!(
                "Failed to create database path '{}'. Database already exists.\n",
                d.join("regtest/foo").display()
            ),
        }
    );
    assert_eq!(
        std::fs::read(d.join("regtest/foo/wallet.dat")).unwrap(),
        before
    );
}

#[test]
fn dump_then_createfromdump_gives_an_identical_dump() {
    let dir = TempDir::new("tool-dump");
    let d = &dir.0;
    assert_eq!(wallet_tool(d, &["-wallet=orig", "create"]).code, 0);
    let first = d.join("orig.dump");
    let second = d.join("copy.dump");
    let dumpfile = |p: &Path| format!("-dumpfile={}", p.display());
    assert_eq!(
        wallet_tool(d, &["-wallet=orig", &dumpfile(&first), "dump"]),
        ok(DUMP_WARNING)
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", &dumpfile(&first), "createfromdump"]),
        ok("")
    );
    assert!(d.join("regtest/copy/wallet.dat").is_file());
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", &dumpfile(&second), "dump"]),
        ok(DUMP_WARNING)
    );
    let a = std::fs::read_to_string(&first).unwrap();
    let b = std::fs::read_to_string(&second).unwrap();
    assert!(a.starts_with("BITCOIN_CORE_WALLET_DUMP,1\nformat,sqlite\n"));
    // Per descriptor: itself, its key, its parent and last-hardened caches and its
    // active record; then version and flags, between the header and the checksum.
    assert_eq!(a.lines().count(), 2 + 8 * 5 + 2 + 1);
    assert_eq!(a, b);
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", "info"]),
        ok(&info_text("copy", 8000, 0, 0))
    );
}

#[test]
fn errors_are_cores() {
    let dir = TempDir::new("tool-errors");
    let d = &dir.0;
    assert_eq!(
        wallet_tool(d, &["create"]),
        err("Wallet name must be provided when creating a new wallet.\n")
    );
    assert_eq!(
        wallet_tool(d, &["createfromdump"]),
        err("Wallet name must be provided when creating a new wallet.\n")
    );
    assert_eq!(
        wallet_tool(d, &["foo"]),
        err("Error parsing command line arguments: Invalid command 'foo'\n")
    );
    assert_eq!(
        wallet_tool(d, &["salvage"]),
        err("Error parsing command line arguments: Invalid command 'salvage'\n")
    );
    assert_eq!(
        wallet_tool(d, &[]),
        err("No method provided. Run `bitcoin-wallet -help` for valid methods.\n")
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=w", "-descriptors", "create"]),
        err("Error parsing command line arguments: Invalid parameter -descriptors\n")
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=nonexistent.dat", "info"]),
        err(&format!(
            "Failed to load database path '{}'. Path does not exist.\n",
            d.join("regtest/nonexistent.dat").display()
        ))
    );

    assert_eq!(wallet_tool(d, &["-wallet=w", "create"]).code, 0);
    let dump = d.join("w.dump");
    let dumpfile = format!("-dumpfile={}", dump.display());
    assert_eq!(wallet_tool(d, &["-wallet=w", &dumpfile, "dump"]).code, 0);
    assert_eq!(
        wallet_tool(d, &["-wallet=w", &dumpfile, "createfromdump"]),
        err(&format!(
            "Failed to create database path '{}'. Database already exists.\n",
            d.join("regtest/w").display()
        ))
    );

    let text = std::fs::read_to_string(&dump).unwrap();
    let (body, checksum_line) = text.trim_end().rsplit_once('\n').unwrap();
    let checksum = checksum_line.strip_prefix("checksum,").unwrap();
    let bad = d.join("bad.dump");
    std::fs::write(&bad, format!("{body}\nchecksum,{}\n", "1".repeat(64))).unwrap();
    assert_eq!(
        wallet_tool(
            d,
            &[
                "-wallet=bad",
                &format!("-dumpfile={}", bad.display()),
                "createfromdump"
            ]
        ),
        err(&format!(
            "Error: Dumpfile checksum does not match. Computed {checksum}, expected {}\n",
            "1".repeat(64)
        ))
    );
    assert!(!d.join("regtest/bad").exists());
}

#[test]
fn help_and_version() {
    let dir = TempDir::new("tool-help");
    let help = wallet_tool(&dir.0, &["-help"]);
    assert_eq!((help.code, help.stderr.as_str()), (0, ""));
    assert!(help
        .stdout
        .starts_with("Bitcoin Core bitcoin-wallet utility version v"));
    assert!(help
        .stdout
        .contains("Usage: bitcoin-wallet [options] <command>"));
    let version = wallet_tool(&dir.0, &["-version"]);
    assert_eq!(version.code, 0);
    assert!(!version.stdout.contains("Usage:"));
}

/// The first receive address of `type` the tool-made wallet will hand out, read from
/// the file without changing it.
fn first_address(file: &Path, output_type: walletdb::records::OutputType) -> String {
    use wallet::state::{WalletOptions, WalletState};
    let store = walletdb::SqliteStore::open(file, REGTEST_MAGIC).unwrap();
    let mut st = WalletState::new("w", bitcoin::Network::Regtest, WalletOptions::default());
    wallet::load::populate(&mut st, &store, None).unwrap();
    let script = st.new_destination(output_type, "").unwrap();
    wallet::address::encode(&script, bitcoin::Network::Regtest).unwrap()
}

#[test]
fn a_wallet_made_by_the_tool_loads_in_bitcoind() {
    use walletdb::records::OutputType;
    let dir = TempDir::new("tool-node");
    let d = &dir.0;
    assert_eq!(wallet_tool(d, &["-wallet=w", "create"]).code, 0);
    let file = d.join("regtest/w/wallet.dat");
    let bech32 = first_address(&file, OutputType::Bech32);
    let bech32m = first_address(&file, OutputType::Bech32m);

    let mut node = Node::start(d, &["-wallet=w"]);
    let info = node.wallet("w").call("getwalletinfo", json!([]));
    assert_eq!(info["walletname"], "w");
    assert_eq!(info["format"], "sqlite");
    assert_eq!(info["txcount"], 0);
    assert_eq!(info["keypoolsize"], 4000);
    assert_eq!(info["keypoolsize_hd_internal"], 4000);
    assert_eq!(info["private_keys_enabled"], true);
    assert_eq!(info["descriptors"], true);
    assert_eq!(info["blank"], false);
    // Loading added the last-hardened cache flag, as Core's UpgradeDescriptorCache.
    assert_eq!(
        info["flags"],
        json!(["last_hardened_xpub_cached", "descriptor_wallet"])
    );
    let height = node.call("getblockcount", json!([]));
    assert_eq!(info["lastprocessedblock"]["height"], height);

    assert_eq!(node.wallet("w").call("getnewaddress", json!([])), bech32);
    assert_eq!(
        node.wallet("w")
            .call("getnewaddress", json!(["", "bech32m"])),
        bech32m
    );
    node.stop();

    assert_eq!(
        wallet_tool(d, &["-wallet=w", "info"]),
        ok(&info_text("w", 8000, 0, 2))
    );
}

#[test]
fn a_node_wallet_survives_dump_and_createfromdump() {
    let dir = TempDir::new("tool-roundtrip");
    let d = &dir.0;
    let mut node = Node::start(d, &[]);
    node.call("createwallet", json!(["orig"]));
    let addr = node.wallet("orig").call("getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, addr]));
    let info = node.wallet("orig").call("getwalletinfo", json!([]));
    assert_eq!(info["txcount"], 101);
    let balances = node.wallet("orig").call("getbalances", json!([]));
    let keypool =
        info["keypoolsize"].as_u64().unwrap() + info["keypoolsize_hd_internal"].as_u64().unwrap();
    node.stop();

    let wallets = wallets_dir(d);
    assert!(wallets.join("orig").is_dir());
    assert_eq!(
        wallet_tool(d, &["-wallet=orig", "info"]),
        ok(&info_text("orig", keypool, 101, 1))
    );
    let first = d.join("orig.dump");
    let second = d.join("copy.dump");
    let dumpfile = |p: &Path| format!("-dumpfile={}", p.display());
    assert_eq!(
        wallet_tool(d, &["-wallet=orig", &dumpfile(&first), "dump"]),
        ok(DUMP_WARNING)
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", &dumpfile(&first), "createfromdump"]),
        ok("")
    );
    assert!(wallets.join("copy").join("wallet.dat").is_file());
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", &dumpfile(&second), "dump"]),
        ok(DUMP_WARNING)
    );
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap()
    );
    assert_eq!(
        wallet_tool(d, &["-wallet=copy", "info"]),
        ok(&info_text("copy", keypool, 101, 1))
    );

    let mut node = Node::start(d, &[]);
    node.call("loadwallet", json!(["orig"]));
    node.call("loadwallet", json!(["copy"]));
    let get = |w: &str, m: &str| -> Value { node.wallet(w).call(m, json!([])) };
    let (a, b) = (get("orig", "getwalletinfo"), get("copy", "getwalletinfo"));
    assert_eq!(b["walletname"], "copy");
    for field in ["txcount", "keypoolsize", "keypoolsize_hd_internal", "flags"] {
        assert_eq!(a[field], b[field], "{field}");
    }
    assert_eq!(b["txcount"], 101);
    assert_eq!(get("copy", "getbalances"), balances);
    assert_eq!(get("orig", "getbalances"), balances);
    // The same descriptors at the same next index hand out the same addresses.
    let next = get("copy", "getnewaddress");
    assert_ne!(next, addr);
    assert_eq!(get("orig", "getnewaddress"), next);
    node.stop();
}
