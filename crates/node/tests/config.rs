//! Options and bitcoin.conf as bitcoind reads them: sections, includeconf, errors,
//! warnings, -help and -version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use serde_json::json;
use support::{free_port, TempDir, TestNode, BITCOIND};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BITCOIND).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_line_errors_as_core() {
    let dir = TempDir::new("cfg-errors");
    let datadir = format!("-datadir={}", dir.0.display());
    let (code, _, err) = run(&[&datadir, "-foo"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error: Error parsing command line arguments: Invalid parameter -foo\n"
    );
    let (code, _, err) = run(&[&datadir, "-regtest", "-testnet4"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error: Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.\n"
    );
    let (code, _, err) = run(&[&datadir, "-regtest", "stray"]);
    assert_eq!(code, 1);
    assert!(err.contains("unexpected token 'stray'"), "{err}");
    let (code, _, err) = run(&[&datadir, "-conf=missing.conf"]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.conf"), "{err}");
    let (code, _, err) = run(&["-datadir=/nonexistent/xyz"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error: Specified data directory \"/nonexistent/xyz\" does not exist.\n"
    );
    std::fs::write(dir.0.join("bitcoin.conf"), "regtest=1\nnoprinttoconsole\n").unwrap();
    let (code, _, err) = run(&[&datadir]);
    assert_eq!(code, 1);
    assert!(
        err.contains("parse error on line 2: noprinttoconsole"),
        "{err}"
    );
}

#[test]
fn help_and_version() {
    let (code, out, _) = run(&["-version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Bitcoin Core daemon version v"), "{out}");
    let (code, out, _) = run(&["-help"]);
    assert_eq!(code, 0);
    for opt in [
        "-datadir=<dir>",
        "-dbcache=<n>",
        "-rpcport=<port>",
        "-debug=<category>",
        "-conf=<file>",
    ] {
        assert!(out.contains(opt), "{opt} missing from -help");
    }
    assert!(out.contains("RPC server options:"));
    // Debug-only options appear with -help-debug only.
    assert!(!out.contains("-rpcworkqueue"));
    let (_, out, _) = run(&["-help", "-help-debug"]);
    assert!(out.contains("-rpcworkqueue"));
}

#[test]
fn config_file_sections_and_includes() {
    let dir = TempDir::new("cfg-sections");
    let port = free_port();
    std::fs::write(
        dir.0.join("bitcoin.conf"),
        format!(
            "regtest=1\n# a comment\nrpcport=1\nfoo=bar\nincludeconf=extra.conf\n[regtest]\nrpcport={port}\n[main]\nrpcport=2\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.0.join("extra.conf"), "[regtest]\nuacomment=included\n").unwrap();
    let mut node = TestNode {
        exe: BITCOIND,
        child: None,
        datadir: dir.0.clone(),
        rpc_port: port,
        extra: Vec::new(),
        auth: None,
    };
    // No -regtest or -rpcport on the command line: both come from the file.
    let child = Command::new(BITCOIND)
        .arg(format!("-datadir={}", dir.0.display()))
        .arg("-printtoconsole=0")
        .arg("-listen=0")
        .args(["-dnsseed=0", "-fixedseeds=0", "-connect=0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    node.child = Some(child);
    node.wait_ready();
    assert_eq!(
        node.call("getblockchaininfo", json!([]))["chain"],
        json!("regtest")
    );
    let log = node.debug_log();
    assert!(
        log.contains("Ignoring unknown configuration value foo"),
        "{log}"
    );
    assert!(
        log.contains("Included configuration file extra.conf"),
        "{log}"
    );
    assert!(dir.0.join("regtest/wallets").is_dir());
    let (status, stderr) = node.stop();
    assert!(status.success());
    assert_eq!(stderr, "");
}

#[test]
fn log_line_options() {
    let dir = TempDir::new("cfg-log");
    let mut node = TestNode::start(
        BITCOIND,
        &dir.0,
        &[
            "-logtimemicros",
            "-logthreadnames",
            "-debug=rpc",
            "-debugexclude=http",
        ],
    );
    node.call("getblockcount", json!([]));
    node.stop();
    let log = node.debug_log();
    let line = log
        .lines()
        .find(|l| l.contains("ThreadRPCServer method=getblockcount"))
        .expect("rpc debug line");
    // 2026-01-01T00:00:00.123456Z [thread] [rpc] ...
    let (ts, rest) = line.split_once(' ').unwrap();
    assert_eq!(ts.len(), "2026-01-01T00:00:00.123456Z".len(), "{line}");
    assert!(rest.starts_with('['), "{line}");
    assert!(
        rest.contains("] [rpc] ThreadRPCServer method=getblockcount"),
        "{line}"
    );
    let (code, _, err) = run(&[
        &format!("-datadir={}", dir.0.display()),
        "-regtest",
        "-debug=nosuch",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Unsupported logging category -debug=nosuch."),
        "{err}"
    );
}
