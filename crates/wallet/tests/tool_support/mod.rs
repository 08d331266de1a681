//! Running the built `bitcoin-wallet` and `bitcoind` in temporary datadirs, and talking
//! JSON-RPC to the node over raw HTTP (after crates/node/tests/support).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The wallet tool under test.
pub const BITCOIN_WALLET: &str = env!("CARGO_BIN_EXE_bitcoin-wallet");

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run of the tool printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bitcoin-wallet -datadir=<datadir> -regtest <args>`.
pub fn wallet_tool(datadir: &Path, args: &[&str]) -> ToolRun {
    let out = Command::new(BITCOIN_WALLET)
        .arg(format!("-datadir={}", datadir.display()))
        .arg("-chain=regtest")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run bitcoin-wallet");
    ToolRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `bitcoind`: `$BITCOIND` when set, else beside the test executable's directory
/// (`target/<profile>/bitcoind`, built by `cargo build -p node --bins`).
pub fn bitcoind_path() -> PathBuf {
    if let Some(p) = std::env::var_os("BITCOIND") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let p = profile_dir.join("bitcoind");
    assert!(
        p.is_file(),
        "{} not found: build it with `cargo build -p node --bins` or set BITCOIND",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running regtest `bitcoind`, killed on drop.
pub struct Node {
    child: Option<Child>,
    pub datadir: PathBuf,
    pub rpc_port: u16,
}

impl Node {
    /// Starts `bitcoind -regtest` in `datadir` with `extra` and waits until RPC answers.
    pub fn start(datadir: &Path, extra: &[&str]) -> Node {
        let rpc_port = free_port();
        let child = Command::new(bitcoind_path())
            .arg("-regtest")
            .arg(format!("-datadir={}", datadir.display()))
            .arg(format!("-rpcport={rpc_port}"))
            .arg("-printtoconsole=0")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn bitcoind");
        let mut node = Node {
            child: Some(child),
            datadir: datadir.to_path_buf(),
            rpc_port,
        };
        node.wait_ready();
        node
    }

    fn cookie(&self) -> Option<String> {
        std::fs::read_to_string(self.datadir.join("regtest").join(".cookie")).ok()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = c.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("bitcoind exited early with {status}: {err}");
                }
            }
            if self.cookie().is_some() {
                if let Ok(r) = self.try_call("/", "getblockcount", json!([])) {
                    match r {
                        Ok(_) => return,
                        Err((-28, _)) => {}
                        Err(e) => panic!("unexpected error while waiting: {e:?}"),
                    }
                }
            }
            assert!(Instant::now() < deadline, "bitcoind did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Calls `method` at `path` (`/` or `/wallet/<name>`); `Err((code, message))` for an
    /// RPC error.
    pub fn try_call(
        &self,
        path: &str,
        method: &str,
        params: Value,
    ) -> std::io::Result<Result<Value, (i64, String)>> {
        let cookie = self.cookie().unwrap_or_default();
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.rpc_port))?;
        s.set_read_timeout(Some(Duration::from_secs(300)))?;
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Basic {}\r\n\r\n{body}",
            body.len(),
            base64(cookie.as_bytes())
        );
        s.write_all(req.as_bytes())?;
        let reply = read_body(&mut BufReader::new(s))?;
        let v: Value = serde_json::from_str(&reply)
            .map_err(|e| std::io::Error::other(format!("bad reply {reply:?}: {e}")))?;
        if v["error"].is_null() {
            Ok(Ok(v["result"].clone()))
        } else {
            Ok(Err((
                v["error"]["code"].as_i64().unwrap_or(0),
                v["error"]["message"].as_str().unwrap_or("").to_string(),
            )))
        }
    }

    /// Calls a node method and expects success.
    pub fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call("/", method, params).expect("http") {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// Calls a method of wallet `wallet` and expects success.
    pub fn wallet_call(&self, wallet: &str, method: &str, params: Value) -> Value {
        match self
            .try_call(&format!("/wallet/{wallet}"), method, params)
            .expect("http")
        {
            Ok(v) => v,
            Err(e) => panic!("{method} on {wallet} failed: {e:?}"),
        }
    }

    /// `stop`, then waits for the process to end (releasing the wallet files).
    pub fn stop(&mut self) {
        let _ = self.try_call("/", "stop", json!([]));
        if let Some(mut c) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                match c.try_wait() {
                    Ok(Some(_)) => break,
                    _ if Instant::now() > deadline => {
                        let _ = c.kill();
                        let _ = c.wait();
                        panic!("bitcoind did not stop");
                    }
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Reads one HTTP reply's body (Content-Length or chunked).
fn read_body(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse::<usize>().ok();
            } else if k == "transfer-encoding" && v.contains("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
