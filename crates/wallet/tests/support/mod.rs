//! The wallet tests' harness: a regtest `bitcoind` on a free loopback port with a temporary
//! datadir and cookie auth, JSON-RPC over raw HTTP to the node and to `/wallet/<name>`, the
//! built `bitcoin-wallet`, and wallet files made with known keys.
//!
//! `bitcoind` is `$BITCOIND` when set, else the one beside the test executable's directory
//! (`target/<profile>/bitcoind` for `target/<profile>/deps/<test>-*`), built by
//! `cargo build -p node --bins`: a test of the wallet crate cannot name another package's
//! binary with `env!("CARGO_BIN_EXE_…")` as crates/node/tests/support does.

#![allow(dead_code, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bitcoin::bip32::Xpriv;
use bitcoin::{Network, NetworkKind, ScriptBuf};
use serde_json::{json, Value};
use wallet::state::{flags, WalletOptions, WalletState};
use walletdb::records::{BlockLocator, OutputType, Record};

/// The wallet tool under test.
pub const BITCOIN_WALLET: &str = env!("CARGO_BIN_EXE_bitcoin-wallet");
/// The README's regtest address and its key: coins mined to it can be spent with
/// `signrawtransactionwithkey`.
pub const KNOWN_ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
/// The key of [`KNOWN_ADDRESS`].
pub const KNOWN_WIF: &str = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
/// Regtest's message start, the wallet file's application id.
pub const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// How long a node may take to answer RPC after it starts, or to exit after `stop`.
const START_STOP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one RPC call may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(300);

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "wallet-{tag}-{}-{}",
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

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `bitcoind`: `$BITCOIND` when set, else beside the test executable's directory.
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

/// An RPC result, or the error's code and message.
pub type RpcOutcome = Result<Value, (i64, String)>;

/// A running regtest `bitcoind`, killed on drop.
pub struct Node {
    child: Option<Child>,
    pub datadir: PathBuf,
    pub rpc_port: u16,
    extra: Vec<String>,
    /// The datadir when the node owns it, removed after the process ended.
    owned_dir: Option<TempDir>,
}

impl Node {
    /// Starts `bitcoind -regtest` in `datadir` with `extra` options and waits until RPC
    /// answers.
    pub fn start(datadir: &Path, extra: &[&str]) -> Node {
        let mut node = Node {
            child: None,
            datadir: datadir.to_path_buf(),
            rpc_port: 0,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            owned_dir: None,
        };
        node.spawn();
        node
    }

    /// [`Node::start`] in `dir`, which the node keeps until it is dropped.
    pub fn start_in(dir: TempDir, extra: &[&str]) -> Node {
        let mut node = Node::start(&dir.0, extra);
        node.owned_dir = Some(dir);
        node
    }

    /// Starts the process on a new RPC port and waits until RPC answers.
    fn spawn(&mut self) {
        self.rpc_port = free_port();
        let child = Command::new(bitcoind_path())
            .arg("-regtest")
            .arg(format!("-datadir={}", self.datadir.display()))
            .arg(format!("-rpcport={}", self.rpc_port))
            .arg("-listen=0")
            .args(["-dnsseed=0", "-fixedseeds=0", "-connect=0"])
            .arg("-printtoconsole=0")
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn bitcoind");
        self.child = Some(child);
        self.wait_ready();
    }

    /// Waits until `getblockcount` answers without -28 (warming up).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_STOP_TIMEOUT;
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
            if let Ok(r) = self.request("/", "getblockcount", json!([])) {
                match r {
                    Ok(_) => return,
                    Err((-28, _)) => {}
                    Err(e) => panic!("unexpected error while waiting: {e:?}"),
                }
            }
            assert!(Instant::now() < deadline, "bitcoind did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `stop`, then waits for the process to end (releasing the wallet files).
    pub fn stop(&mut self) {
        let _ = self.request("/", "stop", json!([]));
        if let Some(mut c) = self.child.take() {
            let deadline = Instant::now() + START_STOP_TIMEOUT;
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

    /// [`Node::stop`], then starts again in the same datadir with the same options.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The wallet directory: the last `-walletdir` given, else `<datadir>/regtest/wallets`.
    pub fn wallet_dir(&self) -> PathBuf {
        self.extra
            .iter()
            .rev()
            .find_map(|a| a.strip_prefix("-walletdir="))
            .map(PathBuf::from)
            .unwrap_or_else(|| self.datadir.join("regtest").join("wallets"))
    }

    fn cookie(&self) -> Option<String> {
        std::fs::read_to_string(self.datadir.join("regtest").join(".cookie"))
            .ok()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    }

    /// One call of `method` at `path` (`/` or `/wallet/<name>`) with the cookie.
    pub fn request(&self, path: &str, method: &str, params: Value) -> std::io::Result<RpcOutcome> {
        let cookie = self
            .cookie()
            .ok_or_else(|| std::io::Error::other("no cookie yet"))?;
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.rpc_port))?;
        s.set_read_timeout(Some(RPC_TIMEOUT))?;
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Basic {}\r\nContent-Length: {}\r\n\r\n{body}",
            base64(cookie.as_bytes()),
            body.len()
        );
        s.write_all(req.as_bytes())?;
        let reply = read_body(&mut BufReader::new(s))?;
        let v: Value = serde_json::from_slice(&reply).map_err(|e| {
            std::io::Error::other(format!(
                "bad reply {:?}: {e}",
                String::from_utf8_lossy(&reply)
            ))
        })?;
        if v["error"].is_null() {
            Ok(Ok(v["result"].clone()))
        } else {
            Ok(Err((
                v["error"]["code"].as_i64().unwrap_or(0),
                v["error"]["message"].as_str().unwrap_or("").to_string(),
            )))
        }
    }

    /// A node call whose HTTP exchange must succeed.
    pub fn try_call(&self, method: &str, params: Value) -> RpcOutcome {
        self.request("/", method, params).expect("http")
    }

    /// A node call that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// A handle on the loaded wallet `name`.
    pub fn wallet(&self, name: &str) -> Wallet<'_> {
        Wallet {
            node: self,
            name: name.to_string(),
        }
    }

    /// Mines `n` blocks to `address`; their hashes.
    pub fn mine(&self, n: u32, address: &str) -> Vec<String> {
        let v = self.call("generatetoaddress", json!([n, address]));
        v.as_array()
            .expect("hashes")
            .iter()
            .map(|h| h.as_str().expect("hash").to_string())
            .collect()
    }

    /// The txid of the coinbase of the block at `height`.
    pub fn coinbase_txid(&self, height: u64) -> String {
        let hash = self.call("getblockhash", json!([height]));
        let block = self.call("getblock", json!([hash, 1]));
        block["tx"][0].as_str().expect("txid").to_string()
    }

    /// Builds, signs with `keys` and submits a transaction; its txid. `sequence` applies to
    /// every input.
    pub fn send_raw(
        &self,
        inputs: &[(String, u32)],
        outputs: Value,
        keys: &[String],
        sequence: u32,
    ) -> String {
        let hex = self.sign_raw(inputs, outputs, keys, sequence);
        self.call("sendrawtransaction", json!([hex]))
            .as_str()
            .expect("txid")
            .to_string()
    }

    /// Builds and signs a transaction; its hex.
    pub fn sign_raw(
        &self,
        inputs: &[(String, u32)],
        outputs: Value,
        keys: &[String],
        sequence: u32,
    ) -> String {
        let ins: Vec<Value> = inputs
            .iter()
            .map(|(t, n)| json!({"txid": t, "vout": n, "sequence": sequence}))
            .collect();
        let raw = self.call("createrawtransaction", json!([ins, outputs]));
        let signed = self.call("signrawtransactionwithkey", json!([raw, keys]));
        assert_eq!(signed["complete"], json!(true), "signing failed: {signed}");
        signed["hex"].as_str().expect("hex").to_string()
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

/// Calls on one wallet's endpoint, `/wallet/<name>`.
pub struct Wallet<'a> {
    node: &'a Node,
    name: String,
}

impl Wallet<'_> {
    /// A call whose HTTP exchange must succeed.
    pub fn try_call(&self, method: &str, params: Value) -> RpcOutcome {
        self.node
            .request(&format!("/wallet/{}", self.name), method, params)
            .expect("http")
    }

    /// A call that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method} on wallet {} failed: {e:?}", self.name),
        }
    }

    /// A call that must fail; its code and message.
    pub fn err(&self, method: &str, params: Value) -> (i64, String) {
        match self.try_call(method, params) {
            Ok(v) => panic!(
                "{method} on wallet {} succeeded unexpectedly: {v}",
                self.name
            ),
            Err(e) => e,
        }
    }

    /// A new receive address of `address_type`, without a label.
    pub fn address(&self, address_type: &str) -> String {
        self.call("getnewaddress", json!(["", address_type]))
            .as_str()
            .expect("address")
            .to_string()
    }
}

/// Reads one HTTP reply's body: Content-Length, chunked, or up to the close.
fn read_body(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut status = String::new();
    r.read_line(&mut status)?;
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            break;
        }
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
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// Standard base64 with padding.
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

/// What one run of the wallet tool printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bitcoin-wallet -datadir=<datadir> -chain=regtest <args>`.
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

/// A descriptor wallet whose keys the test knows: the same descriptors the node's copy of
/// the file derives, so the test hands out the node's addresses in the same order and
/// signs for them.
pub struct KnownWallet {
    pub st: WalletState,
}

impl KnownWallet {
    /// Writes a new wallet file `name` into `node`'s wallet directory from `seed`. With
    /// `best_block`, the file says the wallet has seen the chain up to it, so loading it
    /// scans nothing before.
    pub fn create(node: &Node, name: &str, seed: u8, best_block: Option<&str>) -> KnownWallet {
        let options = WalletOptions {
            keypool_size: 20,
            ..Default::default()
        };
        let mut st = WalletState::new(name, Network::Regtest, options);
        st.write(Record::Version(common::version::CLIENT_VERSION));
        st.set_flags(flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED);
        let master = Xpriv::new_master(NetworkKind::Test, &[seed; 32]).expect("master");
        wallet::load::setup_descriptors_from(&mut st, &master, 1).expect("descriptors");
        if let Some(hash) = best_block {
            let hash: bitcoin::BlockHash = hash.parse().expect("hash");
            let genesis: bitcoin::BlockHash = node
                .call("getblockhash", json!([0]))
                .as_str()
                .expect("hash")
                .parse()
                .expect("hash");
            let locator = BlockLocator::new(vec![hash, genesis]);
            st.write(Record::BestBlockNoMerkle(locator));
        }
        let path = node.wallet_dir().join(name).join("wallet.dat");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("wallet dir");
        let mut store = walletdb::SqliteStore::create(&path, REGTEST_MAGIC).expect("store");
        let changes = st.take_changes();
        wallet::wallet::write_changes(&mut store, changes).expect("write");
        KnownWallet { st }
    }

    /// The next receive address, as the node's `getnewaddress` gives it.
    pub fn next_address(&mut self) -> (String, ScriptBuf) {
        let script = self
            .st
            .new_destination(OutputType::Bech32, "")
            .expect("address");
        let _ = self.st.take_changes();
        (address(&script), script)
    }

    /// The next change address, as the node's `getrawchangeaddress` gives it.
    pub fn next_change(&mut self) -> (String, ScriptBuf) {
        let script = self
            .st
            .new_change_destination(OutputType::Bech32)
            .expect("address");
        let _ = self.st.take_changes();
        (address(&script), script)
    }

    /// The WIF key of one of the wallet's scripts.
    pub fn wif(&self, script: &ScriptBuf) -> String {
        let provider = self.st.signing_provider(script, true).expect("our script");
        let secret = provider.keys.values().next().expect("a private key");
        bitcoin::PrivateKey {
            compressed: secret.compressed,
            network: NetworkKind::Test,
            inner: secret.key,
        }
        .to_wif()
    }
}

/// The regtest address of `script`.
pub fn address(script: &ScriptBuf) -> String {
    bitcoin::Address::from_script(script, Network::Regtest)
        .expect("address")
        .to_string()
}

/// An address nobody can spend from (P2WSH of a zero hash), to mine to.
pub fn burn_address() -> String {
    use bitcoin::hashes::Hash;
    address(&ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::all_zeros()))
}

/// The keys of a JSON object, in order.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("object").keys().cloned().collect()
}
