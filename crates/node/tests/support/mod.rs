//! Starting real node executables on free loopback ports with temp datadirs, and talking
//! JSON-RPC to them over raw HTTP, as Core's test framework does.

#![allow(dead_code)]

pub mod raw_peer;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The monolithic node.
pub const BITCOIND: &str = env!("CARGO_BIN_EXE_bitcoind");
/// The multiprocess node.
pub const BITCOIN_NODE: &str = env!("CARGO_BIN_EXE_bitcoin-node");

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

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running node, killed on drop.
pub struct TestNode {
    pub exe: &'static str,
    pub child: Option<Child>,
    pub datadir: PathBuf,
    pub rpc_port: u16,
    pub extra: Vec<String>,
    /// `user:password` to use instead of the cookie.
    pub auth: Option<String>,
}

/// An HTTP reply.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl TestNode {
    /// Starts `exe` on regtest in `datadir` and waits until RPC answers.
    pub fn start(exe: &'static str, datadir: &Path, extra: &[&str]) -> TestNode {
        Self::start_with_auth(exe, datadir, extra, None)
    }

    /// [`TestNode::start`] authenticating with `auth` instead of the cookie.
    pub fn start_with_auth(
        exe: &'static str,
        datadir: &Path,
        extra: &[&str],
        auth: Option<&str>,
    ) -> TestNode {
        let mut node = TestNode {
            exe,
            child: None,
            datadir: datadir.to_path_buf(),
            rpc_port: free_port(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            auth: auth.map(str::to_string),
        };
        node.spawn();
        node.wait_ready();
        node
    }

    /// Starts the process without waiting. Unless the test chose where to listen for
    /// peers, the node does not listen, so nodes running side by side do not fight over
    /// the default P2P ports.
    pub fn spawn(&mut self) {
        // No P2P listener unless the test asks for one: parallel tests would all
        // claim the default port.
        let listens = self.extra.iter().any(|a| {
            ["-listen", "-bind", "-port", "-whitebind"]
                .iter()
                .any(|p| a.starts_with(p))
        });
        // As Core's test framework: no DNS or fixed seeds, and no automatic outbound
        // connections unless the test is about them.
        let autoconnect = self.extra.iter().any(|a| {
            ["-connect", "-seednode", "-dnsseed"]
                .iter()
                .any(|p| a.starts_with(p))
        });
        let child = Command::new(self.exe)
            .arg("-regtest")
            .arg(format!("-datadir={}", self.datadir.display()))
            .arg(format!("-rpcport={}", self.rpc_port))
            .arg("-printtoconsole=0")
            .args(if listens { None } else { Some("-listen=0") })
            .args(["-dnsseed=0", "-fixedseeds=0"])
            .args(if autoconnect {
                None
            } else {
                Some("-connect=0")
            })
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn node");
        self.child = Some(child);
    }

    /// The cookie file's `user:password`.
    pub fn cookie(&self) -> Option<String> {
        std::fs::read_to_string(self.datadir.join("regtest").join(".cookie")).ok()
    }

    /// Waits until RPC answers without -28, as the test framework does.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = c.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("node exited early with {status}: {err}");
                }
            }
            if self.auth.is_some() || self.cookie().is_some() {
                if let Ok(r) = self.try_call("getblockcount", json!([])) {
                    match r {
                        Ok(_) => return,
                        Err((-28, _)) => {}
                        Err(e) => panic!("unexpected error while waiting: {e:?}"),
                    }
                }
            }
            assert!(Instant::now() < deadline, "node did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends one HTTP POST with `auth` (`user:password`, or none).
    pub fn post(&self, path: &str, body: &str, auth: Option<&str>) -> std::io::Result<Reply> {
        let mut s = TcpStream::connect(("127.0.0.1", self.rpc_port))?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        send_request(&mut s, path, body, auth)?;
        read_reply(&mut BufReader::new(s))
    }

    /// Calls `method` with the cookie; `Err((code, message))` for an RPC error.
    pub fn try_call(
        &self,
        method: &str,
        params: Value,
    ) -> std::io::Result<Result<Value, (i64, String)>> {
        let cookie = self
            .auth
            .clone()
            .unwrap_or_else(|| self.cookie().unwrap_or_default());
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let r = self.post("/", &body, Some(&cookie))?;
        let v: Value = serde_json::from_str(&r.body)
            .map_err(|e| std::io::Error::other(format!("bad reply {:?}: {e}", r.body)))?;
        if v["error"].is_null() {
            Ok(Ok(v["result"].clone()))
        } else {
            Ok(Err((
                v["error"]["code"].as_i64().unwrap_or(0),
                v["error"]["message"].as_str().unwrap_or("").to_string(),
            )))
        }
    }

    /// Calls `method` and expects success.
    pub fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).expect("http") {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// Calls `method` and expects an RPC error.
    pub fn call_err(&self, method: &str, params: Value) -> (i64, String) {
        match self.try_call(method, params).expect("http") {
            Ok(v) => panic!("{method} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }

    /// `stop`, then waits for the exit; returns the status and stderr.
    pub fn stop(&mut self) -> (ExitStatus, String) {
        let _ = self.try_call("stop", json!([]));
        self.wait_exit()
    }

    /// Waits for the process to end.
    pub fn wait_exit(&mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (child.wait().expect("wait"), err)
    }

    /// SIGKILL, as a crash.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The network's debug.log.
    pub fn debug_log(&self) -> String {
        std::fs::read_to_string(self.datadir.join("regtest").join("debug.log")).unwrap_or_default()
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Writes an HTTP/1.1 POST.
pub fn send_request(
    s: &mut TcpStream,
    path: &str,
    body: &str,
    auth: Option<&str>,
) -> std::io::Result<()> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(a) = auth {
        req.push_str(&format!(
            "Authorization: Basic {}\r\n",
            base64(a.as_bytes())
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())
}

/// Reads one HTTP reply (Content-Length or chunked).
pub fn read_reply(r: &mut impl BufRead) -> std::io::Result<Reply> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
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
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
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

/// A regtest address (P2WSH of an empty script hash) to mine to.
pub fn regtest_address() -> String {
    use bitcoin::hashes::Hash;
    let script = bitcoin::ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::all_zeros());
    bitcoin::Address::from_script(&script, bitcoin::Network::Regtest)
        .expect("address")
        .to_string()
}
