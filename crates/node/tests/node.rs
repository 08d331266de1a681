//! `bitcoin-node` as a real process: spawned over a socketpair, and listening with -ipcbind.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use interfaces::{Init, InitClient};
use support::{free_port, TempDir};

mod support;

const NODE: &str = env!("CARGO_BIN_EXE_bitcoin-node");

/// A running node, killed on drop.
struct Node {
    child: Child,
    log: PathBuf,
}

impl Node {
    fn start(datadir: &Path, extra: &[&str]) -> Node {
        let log = datadir.join("stdout.txt");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(NODE)
            .arg("-regtest")
            .arg(format!("-datadir={}", datadir.display()))
            .arg(format!("-rpcport={}", free_port()))
            // No P2P listener: parallel tests would all claim the default port.
            .arg("-listen=0")
            .args(["-dnsseed=0", "-fixedseeds=0", "-connect=0"])
            .args(extra)
            .stdout(Stdio::from(out))
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Node { child, log }
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap()
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} did not appear",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn echo_over(path: &Path) -> String {
    let addr = ipc::SocketAddress {
        path: path.to_path_buf(),
    };
    let conn = ipc::connect(&addr).unwrap();
    let init: InitClient = ipc::process::bootstrap(&conn).unwrap();
    let echo = init.make_echo().unwrap();
    let r = echo.echo("over the socket".into()).unwrap();
    drop(echo);
    drop(init);
    conn.close();
    r
}

#[test]
fn spawned_node_serves_echo_and_exits_when_parent_disconnects() {
    let child = ipc::spawn(Path::new(NODE)).unwrap();
    let init: InitClient = ipc::process::bootstrap(child.connection()).unwrap();
    let echo = init.make_echo().unwrap();
    for s in ["", "hello", "ünïcødé", &"x".repeat(100_000)] {
        assert_eq!(echo.echo(s.to_string()).unwrap(), s);
    }
    assert_eq!(
        init.make_mining_old2().unwrap_err(),
        ipc::Error::Remote(
            "Old mining interface (@2) not supported. Please update your client!".into()
        )
    );
    drop(echo);
    drop(init);
    assert!(child.wait().success());
}

#[test]
fn ipcbind_unix_listens_in_network_datadir_with_owner_only_socket() {
    let dir = TempDir::new("bn");
    let sock = dir.0.join("regtest/node.sock");
    std::fs::create_dir_all(sock.parent().unwrap()).unwrap();
    // A stale socket file from an earlier run.
    drop(UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let mut node = Node::start(&dir.0, &["-ipcbind=unix", "-debug=ipc", "-printtoconsole"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !node.stdout().contains("Listening for IPC requests") {
        assert!(
            Instant::now() < deadline,
            "node did not listen: {}",
            node.stdout()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(echo_over(&sock), "over the socket");
    assert_eq!(echo_over(&sock), "over the socket");
    assert!(node.stop().success());
    // As Core's: the file stays, and connecting is refused.
    let refused = UnixStream::connect(&sock).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let out = node.stdout();
    assert!(
        out.contains(&format!(
            "Listening for IPC requests on address unix:{}",
            sock.display()
        )),
        "{out}"
    );
    check_server_log(&out);
}

/// `<time> [ipc] {bitcoin-node-<pid>/b-capnp-loop-<tid>} IPC server recv request  #N Echo.echo$Params`.
fn check_server_log(out: &str) {
    let tagged = |line: &str, suffix_start: &str| -> bool {
        let Some(rest) = line.split_once(" [ipc] {bitcoin-node-").map(|(ts, r)| {
            assert_eq!(ts.len(), 20, "timestamp {ts:?}");
            assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T');
            r
        }) else {
            return false;
        };
        let Some((tag, msg)) = rest.split_once("} ") else {
            return false;
        };
        let Some((pid, thread)) = tag.split_once("/b-capnp-loop-") else {
            return false;
        };
        pid.parse::<u32>().is_ok() && thread.parse::<u32>().is_ok() && msg.starts_with(suffix_start)
    };
    let recv: Vec<&str> = out
        .lines()
        .filter(|l| tagged(l, "IPC server recv request  #") && l.ends_with(" Echo.echo$Params"))
        .collect();
    let send: Vec<&str> = out
        .lines()
        .filter(|l| tagged(l, "IPC server send response #") && l.ends_with(" Echo.echo$Results"))
        .collect();
    assert_eq!(recv.len(), 2, "{out}");
    assert_eq!(send.len(), 2, "{out}");
    for l in recv.iter().chain(&send) {
        let n = l.rsplit_once('#').unwrap().1.split_once(' ').unwrap().0;
        assert!(n.parse::<u64>().is_ok(), "{l}");
    }
    let connected = out
        .lines()
        .filter(|l| {
            l.contains(" ipc: {bitcoin-node-") && l.ends_with("} IPC server: socket connected.")
        })
        .count();
    assert_eq!(connected, 2, "{out}");
}

#[test]
fn ipcbind_custom_relative_path_and_bad_address() {
    let dir = TempDir::new("bn");
    let mut node = Node::start(&dir.0, &["-ipcbind=unix:sub/dir/custom.sock"]);
    let sock = dir.0.join("regtest/sub/dir/custom.sock");
    wait_for(&sock);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(echo_over(&sock), "over the socket");
    assert!(node.stop().success());

    let out = Command::new(NODE)
        .args([
            "-regtest",
            &format!("-datadir={}", dir.0.display()),
            // No HTTP server or P2P listener: the default ports may be taken by another test.
            "-server=0",
            "-listen=0",
            "-dnsseed=0",
            "-ipcbind=tcp:1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: Unrecognized address 'tcp:1'"
    );
}

#[test]
fn malformed_bytes_on_the_socket_leave_the_node_serving() {
    let dir = TempDir::new("bn");
    let _node = Node::start(&dir.0, &["-ipcbind=unix"]);
    let sock = dir.0.join("regtest/node.sock");
    wait_for(&sock);
    std::thread::sleep(Duration::from_millis(50));
    for garbage in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        &[0xff; 64][..],
        &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f][..],
    ] {
        let mut s = UnixStream::connect(&sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(garbage).unwrap();
        let mut buf = Vec::new();
        // The node answers with at most an Abort, then closes this connection.
        let _ = s.read_to_end(&mut buf);
    }
    assert_eq!(echo_over(&sock), "over the socket");
}

#[test]
fn bad_command_line_is_rejected() {
    let out = Command::new(NODE).arg("-nosuchoption").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: Error parsing command line arguments: Invalid parameter -nosuchoption"
    );
    let out = Command::new(NODE)
        .args(["-regtest", "-testnet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(NODE)
        .args(["-datadir=/nonexistent/dir/xyz"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: Specified data directory \"/nonexistent/dir/xyz\" does not exist."
    );
}

#[test]
fn first_start_stores_and_connects_genesis_then_stops_after_import() {
    let dir = TempDir::new("bn");
    let out = Command::new(NODE)
        .arg("-regtest")
        .arg(format!("-datadir={}", dir.0.display()))
        // No HTTP server or P2P listener: the default ports may be taken by another test.
        .args([
            "-stopafterblockimport",
            "-printtoconsole=0",
            "-server=0",
            "-listen=0",
            "-dnsseed=0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let net = dir.0.join("regtest");
    let log = std::fs::read_to_string(net.join("debug.log")).unwrap();
    // Progress depends on the clock (regtest assumes 0.001 tx/s since 1970).
    let tip = log.lines().find(|l| l.contains("UpdateTip:")).unwrap();
    assert!(
        tip.contains("UpdateTip: new best=0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206 height=0 version=0x00000001 log2_work=1.000000 tx=1 date='2011-02-02T23:16:42Z' progress="),
        "{log}"
    );
    assert!(tip.ends_with(" cache=0.0MiB(0txo)"), "{tip}");
    assert!(log.contains("Stopping after block import"));
    assert!(log.trim_end().ends_with("Shutdown: done"));
    assert!(net.join("blocks").join("blk00000.dat").is_file());
    assert!(net.join("blocks").join("xor.dat").is_file());
    assert!(net.join("blocks").join("index").is_dir());
    assert!(net.join("chainstate").is_dir());
    // A second start finds the chain and logs no new tip.
    let again = Command::new(NODE)
        .arg("-regtest")
        .arg(format!("-datadir={}", dir.0.display()))
        // No HTTP server or P2P listener: the default ports may be taken by another test.
        .args([
            "-stopafterblockimport",
            "-printtoconsole=0",
            "-server=0",
            "-listen=0",
            "-dnsseed=0",
        ])
        .output()
        .unwrap();
    assert!(again.status.success());
    let log = std::fs::read_to_string(net.join("debug.log")).unwrap();
    assert_eq!(log.matches("UpdateTip:").count(), 1);
}

#[test]
fn a_bad_assumevalid_is_a_startup_error() {
    let dir = TempDir::new("bn");
    let out = Command::new(NODE)
        .arg("-regtest")
        .arg(format!("-datadir={}", dir.0.display()))
        .args(["-assumevalid=nothex", "-printtoconsole=0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "Error: Invalid assumevalid block hash specified (nothex), must be up to 64 hex digits (or 0 to disable)"
    ));
}

/// `-daemonwait` returns once the node is up, in the background; a second node on the
/// same directory fails in the background and its parent says so; `-daemon` returns at
/// once.
#[test]
fn daemon_and_daemonwait_detach_as_core() {
    let dir = TempDir::new("daemon");
    let port = free_port();
    let start = |flag: &str| {
        Command::new(support::BITCOIND)
            .arg("-regtest")
            .arg(format!("-datadir={}", dir.0.display()))
            .arg(format!("-rpcport={port}"))
            .args([
                "-listen=0",
                "-dnsseed=0",
                "-fixedseeds=0",
                "-connect=0",
                flag,
            ])
            .output()
            .unwrap()
    };
    let node = support::TestNode {
        exe: support::BITCOIND,
        child: None,
        datadir: dir.0.clone(),
        rpc_port: port,
        extra: Vec::new(),
        auth: None,
    };
    let stop_and_wait = |node: &support::TestNode| {
        node.call("stop", serde_json::json!([]));
        let deadline = Instant::now() + Duration::from_secs(60);
        while dir.0.join("regtest").join("bitcoind.pid").exists() {
            assert!(Instant::now() < deadline, "the daemon did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    let out = start("-daemonwait");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Bitcoin Core starting\n"
    );
    // Up already: no waiting for RPC.
    assert_eq!(node.call("getblockcount", serde_json::json!([])), 0);
    let second = start("-daemonwait");
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr)
        .contains("Error during initialization - check debug.log for details"));
    stop_and_wait(&node);

    let out = start("-daemon");
    assert!(out.status.success(), "{out:?}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(
        node.try_call("getblockcount", serde_json::json!([])),
        Ok(Ok(_))
    ) {
        assert!(Instant::now() < deadline, "the daemon did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    stop_and_wait(&node);
}
