//! A regtest `bitcoind` on a free loopback port with a temp datadir, JSON-RPC over raw
//! HTTP (to the node and to `/wallet/<name>`), and wallet files made with known keys.

#![allow(dead_code)]

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

/// The README's regtest address and its key: coins mined to it can be spent with
/// `signrawtransactionwithkey`.
pub const KNOWN_ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
/// The key of [`KNOWN_ADDRESS`].
pub const KNOWN_WIF: &str = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
/// Regtest's message start, the wallet file's application id.
const REGTEST_MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `bitcoind` beside the test executable's directory (`target/<profile>/bitcoind`), or
/// `$BITCOIND`.
fn bitcoind() -> PathBuf {
    if let Ok(p) = std::env::var("BITCOIND") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let p = dir.join("bitcoind");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build -p node --bins`",
        p.display()
    );
    p
}

/// A running regtest node, killed on drop.
pub struct Node {
    child: Option<Child>,
    pub dir: TempDir,
    pub rpc_port: u16,
}

impl Node {
    /// Starts `bitcoind` with `extra` options and waits until RPC answers.
    pub fn start(tag: &str, extra: &[&str]) -> Node {
        let dir = TempDir::new(tag);
        std::fs::create_dir_all(dir.0.join("wallets")).expect("walletdir");
        let mut node = Node {
            child: None,
            rpc_port: free_port(),
            dir,
        };
        let child = Command::new(bitcoind())
            .arg("-regtest")
            .arg(format!("-datadir={}", node.dir.0.display()))
            .arg(format!("-walletdir={}", node.wallet_dir().display()))
            .arg(format!("-rpcport={}", node.rpc_port))
            .arg("-printtoconsole=0")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn bitcoind");
        node.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(Ok(Some(status))) = node.child.as_mut().map(|c| c.try_wait()) {
                panic!("bitcoind exited early: {status}");
            }
            if let Ok(Ok(_)) = node.try_call("/", "getblockcount", json!([])) {
                break;
            }
            assert!(Instant::now() < deadline, "bitcoind did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        node
    }

    /// The wallet directory.
    pub fn wallet_dir(&self) -> PathBuf {
        self.dir.0.join("wallets")
    }

    fn cookie(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("regtest").join(".cookie")).unwrap_or_default()
    }

    /// One call to `path`; `Err((code, message))` for an RPC error.
    pub fn try_call(
        &self,
        path: &str,
        method: &str,
        params: Value,
    ) -> std::io::Result<Result<Value, (i64, String)>> {
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.rpc_port))?;
        s.set_read_timeout(Some(Duration::from_secs(300)))?;
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Basic {}\r\nContent-Length: {}\r\n\r\n{body}",
            base64(self.cookie().as_bytes()),
            body.len()
        );
        s.write_all(req.as_bytes())?;
        let mut r = BufReader::new(s);
        let mut len = None;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line)? == 0 {
                break;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse::<usize>().ok();
                }
            }
        }
        let mut body = Vec::new();
        match len {
            Some(n) => {
                body.resize(n, 0);
                r.read_exact(&mut body)?;
            }
            None => {
                r.read_to_end(&mut body)?;
            }
        }
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| std::io::Error::other(format!("bad reply: {e}")))?;
        if v["error"].is_null() {
            Ok(Ok(v["result"].clone()))
        } else {
            Ok(Err((
                v["error"]["code"].as_i64().unwrap_or(0),
                v["error"]["message"].as_str().unwrap_or("").to_string(),
            )))
        }
    }

    /// A node call that must succeed.
    pub fn call(&self, method: &str, params: Value) -> Value {
        match self.try_call("/", method, params).expect("http") {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// A call to wallet `w` that must succeed.
    pub fn wcall(&self, w: &str, method: &str, params: Value) -> Value {
        match self
            .try_call(&format!("/wallet/{w}"), method, params)
            .expect("http")
        {
            Ok(v) => v,
            Err(e) => panic!("{w}: {method} failed: {e:?}"),
        }
    }

    /// A call to wallet `w` that must fail; its code and message.
    pub fn werr(&self, w: &str, method: &str, params: Value) -> (i64, String) {
        match self
            .try_call(&format!("/wallet/{w}"), method, params)
            .expect("http")
        {
            Ok(v) => panic!("{w}: {method} succeeded unexpectedly: {v}"),
            Err(e) => e,
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
            let _ = self.try_call("/", "stop", json!([]));
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
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
