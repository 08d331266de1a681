//! Runs the real `bitcoin-cli` binary against a small fake JSON-RPC server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request the fake server received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    auth: String,
    body: String,
}

type Reply = Box<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

/// A JSON-RPC server on 127.0.0.1 answering with `reply`.
struct FakeServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split(' ').nth(1)?.to_string();
    let mut auth = String::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.to_ascii_lowercase().as_str() {
            "authorization" => auth = v.trim().to_string(),
            "content-length" => len = v.trim().parse().ok()?,
            _ => {}
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        path,
        auth,
        body: String::from_utf8(body).ok()?,
    })
}

fn serve(listener: TcpListener, reply: Reply) -> FakeServer {
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(req) = read_request(&mut stream) else {
                continue;
            };
            let (status, body) = reply(&req);
            log.lock().unwrap().push(req);
            // Alternate framings: chunked for even statuses' bodies longer than 40 bytes.
            let response = if body.len() > 40 {
                let (a, b) = body.split_at(body.len() / 2);
                format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                    a.len(),
                    b.len()
                )
            } else {
                format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    FakeServer { port, seen }
}

fn server(reply: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static) -> FakeServer {
    serve(TcpListener::bind("127.0.0.1:0").unwrap(), Box::new(reply))
}

/// Replies with `result` (raw JSON) to every request, JSON-RPC 2.0 style.
fn result_server(result: &'static str) -> FakeServer {
    server(move |_| {
        (
            200,
            format!(r#"{{"jsonrpc":"2.0","result":{result},"id":"1"}}"#),
        )
    })
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh datadir with a regtest cookie.
fn datadir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cli-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(dir.join("regtest")).unwrap();
    std::fs::write(dir.join("regtest/.cookie"), "__cookie__:secret").unwrap();
    dir
}

fn cli(dir: &Path, port: u16, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitcoin-cli"));
    cmd.arg(format!("-datadir={}", dir.display()))
        .arg("-regtest")
        .arg(format!("-rpcport={port}"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// "Basic " + base64 of `s`, for checking the header.
fn basic(s: &str) -> String {
    format!("Basic {}", cli::http::base64(s.as_bytes()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn string_result_with_cookie_auth() {
    let srv = server(|req| {
        if req.auth == basic("__cookie__:secret") {
            (
                200,
                r#"{"jsonrpc":"2.0","result":"00ab","id":"1"}"#.to_string(),
            )
        } else {
            (401, String::new())
        }
    });
    let dir = datadir();
    let out = cli(&dir, srv.port, &["getbestblockhash"], "");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "00ab\n");
    assert_eq!(out.status.code(), Some(0));
    let seen = srv.seen.lock().unwrap();
    assert_eq!(seen[0].path, "/");
    assert_eq!(
        seen[0].body,
        "{\"method\":\"getbestblockhash\",\"params\":[],\"id\":\"1\",\"jsonrpc\":\"2.0\"}\n"
    );
}

#[test]
fn object_result_with_password_is_pretty_printed() {
    let srv = server(|req| {
        if req.auth == basic("alice:pw") {
            (
                200,
                r#"{"jsonrpc":"2.0","result":{"chain":"regtest","blocks":0,"difficulty":4.656542373906925e-10,"warnings":[],"softforks":{}},"id":"1"}"#.to_string(),
            )
        } else {
            (401, String::new())
        }
    });
    let out = cli(
        &datadir(),
        srv.port,
        &["-rpcuser=alice", "-rpcpassword=pw", "getblockchaininfo"],
        "",
    );
    assert_eq!(
        text(&out.stdout),
        "{\n  \"chain\": \"regtest\",\n  \"blocks\": 0,\n  \"difficulty\": 4.656542373906925e-10,\n  \"warnings\": [\n  ],\n  \"softforks\": {\n  }\n}\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn null_result_prints_nothing() {
    let srv = result_server("null");
    let out = cli(&datadir(), srv.port, &["setmocktime", "0"], "");
    assert_eq!(text(&out.stdout), "");
    assert_eq!(out.status.code(), Some(0));
    assert!(srv.seen.lock().unwrap()[0].body.contains("\"params\":[0]"));
}

#[test]
fn error_reply_layout_and_exit_code() {
    let srv = server(|_| {
        (
            500,
            r#"{"jsonrpc":"2.0","error":{"code":-8,"message":"Block height out of range"},"id":"1"}"#
                .to_string(),
        )
    });
    let out = cli(&datadir(), srv.port, &["getblockhash", "1000"], "");
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error code: -8\nerror message:\nBlock height out of range\n"
    );
    assert_eq!(out.status.code(), Some(8));
}

#[test]
fn json_argument_error() {
    let srv = result_server("null");
    let out = cli(&datadir(), srv.port, &["getblockhash", "foo"], "");
    assert_eq!(text(&out.stderr), "error: Error parsing JSON: foo\n");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unauthorized() {
    let srv = server(|_| (401, String::new()));
    let dir = datadir();
    let out = cli(&dir, srv.port, &["-rpcpassword=bad", "getblockcount"], "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: Authorization failed: Incorrect rpcuser or rpcpassword were specified. Configuration file: ({})\n",
            dir.join("bitcoin.conf").display()
        )
    );
    assert_eq!(out.status.code(), Some(1));
    let out = cli(&dir, srv.port, &["getblockcount"], "");
    assert!(text(&out.stderr).starts_with(
        "error: Authorization failed: Cookie file credentials were invalid and no rpcpassword was specified."
    ));
    let out = cli(
        &dir,
        srv.port,
        &["-rpccookiefile=missing", "getblockcount"],
        "",
    );
    assert!(text(&out.stderr).starts_with(
        "error: Authorization failed: Failed to read cookie file and no rpcpassword was specified."
    ));
}

#[test]
fn connection_refused() {
    let port = free_port();
    let out = cli(&datadir(), port, &["getblockcount"], "");
    assert_eq!(
        text(&out.stderr),
        format!("error: Error while attempting to communicate with server 127.0.0.1:{port} (Could not connect to the server)\n\nMake sure the bitcoind server is running and that you are connecting to the correct RPC port.\nUse \"bitcoin-cli -help\" for more info.\n")
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rpcwait_against_late_server_and_timeout() {
    let port = free_port();
    let starter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(1500));
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let warm = AtomicUsize::new(0);
        // First answer "warming up", then the result.
        serve(
            listener,
            Box::new(move |_| {
                if warm.fetch_add(1, Ordering::SeqCst) == 0 {
                    (
                        500,
                        r#"{"jsonrpc":"2.0","error":{"code":-28,"message":"Loading block index..."},"id":"1"}"#.to_string(),
                    )
                } else {
                    (200, r#"{"jsonrpc":"2.0","result":7,"id":"1"}"#.to_string())
                }
            }),
        )
    });
    let out = cli(&datadir(), port, &["-rpcwait", "getblockcount"], "");
    let srv = starter.join().unwrap();
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "7\n");
    assert_eq!(srv.seen.lock().unwrap().len(), 2);

    let port = free_port();
    let out = cli(
        &datadir(),
        port,
        &["-rpcwait", "-rpcwaittimeout=1", "getblockcount"],
        "",
    );
    assert!(text(&out.stderr).starts_with(&format!(
        "error: timeout on transient error: Error while attempting to communicate with server 127.0.0.1:{port} (Could not connect to the server)"
    )));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn stdin_named_and_wallet_endpoint() {
    let srv = result_server("[\"a\"]");
    let dir = datadir();
    let out = cli(&dir, srv.port, &["-stdin", "echo", "x"], "foo\nbar baz\n");
    assert_eq!(text(&out.stdout), "[\n  \"a\"\n]\n");
    let out2 = cli(
        &dir,
        srv.port,
        &[
            "-named",
            "-rpcwallet=my wallet",
            "getblock",
            "blockhash=00",
            "verbosity=2",
        ],
        "",
    );
    assert_eq!(out2.status.code(), Some(0));
    let out3 = cli(
        &dir,
        srv.port,
        &["-rpcuser=u", "-stdinrpcpass", "-stdin", "echo"],
        "pw\nline\n",
    );
    assert_eq!(out3.status.code(), Some(0));
    let seen = srv.seen.lock().unwrap();
    assert!(seen[0].body.contains(r#""params":["x","foo","bar baz"]"#));
    assert_eq!(seen[1].path, "/wallet/my%20wallet");
    assert!(seen[1]
        .body
        .contains(r#""params":{"blockhash":"00","verbosity":2}"#));
    assert_eq!(seen[2].auth, basic("u:pw"));
    assert!(seen[2].body.contains(r#""params":["line"]"#));
}

#[test]
fn config_file_sections() {
    let srv = server(|req| {
        if req.auth == basic("confuser:confpw") {
            (200, r#"{"jsonrpc":"2.0","result":1,"id":"1"}"#.to_string())
        } else {
            (401, String::new())
        }
    });
    let dir = datadir();
    std::fs::write(
        dir.join("bitcoin.conf"),
        format!(
            "rpcport=1\nrpcuser=confuser\n[regtest]\nrpcport={}\nrpcpassword=confpw\n",
            srv.port
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bitcoin-cli"))
        .arg(format!("-datadir={}", dir.display()))
        .args(["-regtest", "getblockcount"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "1\n");
}

#[test]
fn getinfo_without_wallet() {
    let srv = server(|req| {
        if req.body.starts_with('[') {
            (
                200,
                r#"[{"result":{"version":310000,"timeoffset":0,"connections":0,"connections_in":0,"connections_out":0,"networks":[],"relayfee":0.00001000,"warnings":""},"error":null,"id":0},{"result":{"chain":"regtest","blocks":5,"headers":5,"verificationprogress":1,"difficulty":4.656542373906925e-10},"error":null,"id":1},{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":2},{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":3}]"#.to_string(),
            )
        } else {
            (
                404,
                r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"1"}"#
                    .to_string(),
            )
        }
    });
    let dir = datadir();
    let out = cli(&dir, srv.port, &["-getinfo"], "");
    assert_eq!(
        text(&out.stdout),
        "Chain: regtest\nBlocks: 5\nHeaders: 5\nVerification progress: 100.0000%\nDifficulty: 4.656542373906925e-10\n\nNetwork: in 0, out 0, total 0\nVersion: 310000\nTime offset (s): 0\nProxies: n/a\nMin tx relay fee rate (BTC/kvB): 0.00001000\n\nWarnings: (none)\n"
    );
    assert_eq!(out.status.code(), Some(0));
    let seen = srv.seen.lock().unwrap();
    assert_eq!(
        seen[0].body,
        "[{\"method\":\"getnetworkinfo\",\"params\":null,\"id\":0,\"jsonrpc\":\"2.0\"},{\"method\":\"getblockchaininfo\",\"params\":null,\"id\":1,\"jsonrpc\":\"2.0\"},{\"method\":\"getwalletinfo\",\"params\":null,\"id\":2,\"jsonrpc\":\"2.0\"},{\"method\":\"getbalances\",\"params\":null,\"id\":3,\"jsonrpc\":\"2.0\"}]\n"
    );
    drop(seen);
    // -generate without a wallet: getnewaddress's error, exit code abs(-32601) & 0xff.
    let out = cli(&dir, srv.port, &["-generate"], "");
    assert_eq!(
        text(&out.stderr),
        "error code: -32601\nerror message:\nMethod not found\n"
    );
    assert_eq!(out.status.code(), Some(32601 & 0xff));
}

#[test]
fn argument_errors_and_help() {
    let dir = datadir();
    let out = cli(&dir, 1, &["-foo=bar"], "");
    assert_eq!(
        text(&out.stderr),
        "Error parsing command line arguments: Invalid parameter -foo=bar\n"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(env!("CARGO_BIN_EXE_bitcoin-cli"))
        .output()
        .unwrap();
    assert_eq!(text(&out.stderr), "Error: too few parameters\n");
    assert!(text(&out.stdout).starts_with("Bitcoin Core RPC client version "));
    assert_eq!(out.status.code(), Some(1));
    let out = cli(&dir, 1, &["-getinfo", "-netinfo"], "");
    assert_eq!(
        text(&out.stderr),
        "error: Only one of -getinfo, -netinfo may be specified.\n"
    );
    let out = cli(&dir, 1, &[], "");
    assert_eq!(
        text(&out.stderr),
        "error: too few parameters (need at least command)\n"
    );
    let out = cli(&dir, 1, &["-ipcconnect=unix", "getblockcount"], "");
    assert!(
        text(&out.stderr).starts_with("error: No such file or directory\n\nProbably bitcoin-node is not running or not listening on a unix socket."),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_bitcoin-cli"))
        .arg("-datadir=/nonexistent/dir")
        .arg("getblockcount")
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stderr),
        "Error: Specified data directory \"/nonexistent/dir\" does not exist.\n"
    );
}
