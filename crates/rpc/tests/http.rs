//! The HTTP server end to end over raw HTTP/1.1 on a loopback socket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rpc::http::{PasswordSource, RpcAuthEntry};
use rpc::{Arg, ArgType, Command, HttpConfig, HttpServer, LogSink, Request, Table, Value};
use serde_json::json;

/// Lines logged by the server.
type Lines = Arc<Mutex<Vec<(Option<&'static str>, String)>>>;

/// A gate that blocking commands wait on.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    waiting: AtomicUsize,
}

impl Gate {
    fn wait(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.cv.wait(open).unwrap();
        }
    }
    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

fn test_table(gate: Arc<Gate>) -> Arc<Table> {
    let t = Table::new();
    t.register(Command {
        category: "blockchain",
        name: "getblockcount",
        description: "Returns the height.",
        args: vec![],
        result: "n    (numeric) The current block count",
        examples: "".into(),
        handler: Arc::new(|_r: &Request| Ok(json!(0))),
    });
    t.register(Command {
        category: "util",
        name: "echo",
        description: "Echoes.",
        args: vec![Arg::omitted("arg0", ArgType::Str, "").skip_type_check()],
        result: "",
        examples: "".into(),
        handler: Arc::new(|r: &Request| Ok(r.param(0).cloned().unwrap_or(Value::Null))),
    });
    t.register(Command {
        category: "hidden",
        name: "block",
        description: "Waits for the test to release it.",
        args: vec![],
        result: "",
        examples: "".into(),
        handler: Arc::new(move |_r: &Request| {
            gate.wait();
            Ok(json!("released"))
        }),
    });
    t.set_warmup(None);
    Arc::new(t)
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rpc-http-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(dir: &std::path::Path) -> HttpConfig {
    let mut c = HttpConfig::new(common::ChainType::Regtest, dir);
    c.bind = vec![("127.0.0.1".into(), 0)];
    c.threads = 2;
    c
}

fn start(c: HttpConfig, table: Arc<Table>) -> (HttpServer, SocketAddr, Lines) {
    let lines: Lines = Arc::default();
    let sink = lines.clone();
    let log: LogSink = Arc::new(move |cat, msg| sink.lock().unwrap().push((cat, msg.to_string())));
    let server = HttpServer::start(c, table, log).unwrap();
    let addr = server.local_addrs()[0];
    (server, addr, lines)
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct Reply {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn {
            reader: BufReader::new(s),
        }
    }

    fn send(&mut self, method: &str, path: &str, auth: Option<&str>, body: &str) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        if let Some(a) = auth {
            req += &format!("Authorization: Basic {}\r\n", b64(a.as_bytes()));
        }
        req += "\r\n";
        req += body;
        self.reader.get_mut().write_all(req.as_bytes()).unwrap();
    }

    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let mut parts = line.trim_end().splitn(3, ' ');
        let _version = parts.next().unwrap();
        let status: u16 = parts.next().unwrap().parse().unwrap();
        let reason = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            headers.push((k.to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0u8; len];
        self.reader.read_exact(&mut body).unwrap();
        Reply {
            status,
            reason,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    }

    fn call(&mut self, method: &str, path: &str, auth: Option<&str>, body: &str) -> Reply {
        self.send(method, path, auth, body);
        self.read()
    }

    /// Whether the server closed the connection.
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

fn rpc(addr: SocketAddr, auth: &str, body: &str) -> Reply {
    Conn::open(addr).call("POST", "/", Some(auth), body)
}

#[test]
fn cookie_auth_keep_alive_and_cookie_removal() {
    let dir = temp_dir("cookie");
    let (server, addr, lines) = start(config(&dir), test_table(Arc::default()));
    let cookie = std::fs::read_to_string(dir.join(".cookie")).unwrap();
    let (user, pass) = cookie.split_once(':').unwrap();
    assert_eq!(user, "__cookie__");
    assert_eq!(pass.len(), 64);
    assert!(pass.bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(".cookie"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!dir.join(".cookie.tmp").exists());

    let mut conn = Conn::open(addr);
    let r = conn.call(
        "POST",
        "/",
        Some(&cookie),
        r#"{"method":"getblockcount","id":1}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "{\"result\":0,\"error\":null,\"id\":1}\n");
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Same connection again (keep-alive), and a batch.
    let r = conn.call(
        "POST",
        "/",
        Some(&cookie),
        r#"[{"jsonrpc":"2.0","method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"nope","id":2}]"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        "[{\"jsonrpc\":\"2.0\",\"result\":0,\"id\":1},{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":2}]\n"
    );
    // A 2.0 notification.
    let r = conn.call(
        "POST",
        "/",
        Some(&cookie),
        r#"{"jsonrpc":"2.0","method":"getblockcount"}"#,
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    // Wallet endpoint.
    let r = conn.call(
        "POST",
        "/wallet/w1",
        Some(&cookie),
        r#"{"method":"echo","params":["x"],"id":3}"#,
    );
    assert_eq!(r.body, "{\"result\":\"x\",\"error\":null,\"id\":3}\n");

    let logged: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert!(logged.contains(&"Binding RPC on address 127.0.0.1 port 0".to_string()));
    assert!(logged.contains(&"Using random cookie authentication.".to_string()));
    assert!(logged.contains(&"Permissions used for cookie: rw-------".to_string()));
    assert!(logged.contains(&"Starting HTTP server with 2 worker threads".to_string()));
    assert!(
        logged.contains(&"ThreadRPCServer method=getblockcount user=__cookie__ id=1".to_string())
    );
    assert!(logged.contains(&format!(
        "Generated RPC authentication cookie {}",
        dir.join(".cookie").display()
    )));

    server.stop();
    assert!(!dir.join(".cookie").exists());
    assert!(conn.closed());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_password_rpcauth_and_failures() {
    let dir = temp_dir("auth");
    let mut c = config(&dir);
    c.password = PasswordSource::UserPassword {
        user: "rpcuser💻".into(),
        password: "rpcpassword🔑".into(),
    };
    c.rpcauth.push(
        RpcAuthEntry::parse("rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144")
            .unwrap(),
    );
    let (server, addr, lines) = start(c, test_table(Arc::default()));
    assert!(!dir.join(".cookie").exists());
    let body = r#"{"method":"getblockcount"}"#;
    assert_eq!(rpc(addr, "rpcuser💻:rpcpassword🔑", body).status, 200);
    assert_eq!(
        rpc(
            addr,
            "rt:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=",
            body
        )
        .status,
        200
    );

    for bad in [
        "rt:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=wrong",
        "rtwrong:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=",
        "rpcuser💻:wrong",
    ] {
        let t0 = Instant::now();
        let r = rpc(addr, bad, body);
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"jsonrpc\"")
        );
        assert_eq!(r.body, "");
        assert!(t0.elapsed() >= Duration::from_millis(250));
    }
    // No Authorization header: 401 without delay.
    let r = Conn::open(addr).call("POST", "/", None, body);
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Basic realm=\"jsonrpc\"")
    );

    let logged: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert!(logged.contains(&"Using rpcuser/rpcpassword authentication.".to_string()));
    assert!(logged.contains(&"Using rpcauth authentication.".to_string()));
    assert!(logged
        .iter()
        .any(|l| l
            .starts_with("[warning] ThreadRPCServer incorrect password attempt from 127.0.0.1:")));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn routing_methods_and_whitelist() {
    let dir = temp_dir("routes");
    let mut c = config(&dir);
    c.password = PasswordSource::UserPassword {
        user: "u".into(),
        password: "p".into(),
    };
    c.whitelist = rpc::Whitelist::from_args(&["u:getblockcount".into()], None);
    let (server, addr, lines) = start(c, test_table(Arc::default()));
    let mut conn = Conn::open(addr);
    let r = conn.call("POST", "/foo", Some("u:p"), "{}");
    assert_eq!((r.status, r.body.as_str()), (404, ""));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = conn.call("POST", "/?x=1", Some("u:p"), "{}");
    assert_eq!(r.status, 404);
    let r = conn.call("GET", "/", Some("u:p"), "");
    assert_eq!(
        (r.status, r.reason.as_str(), r.body.as_str()),
        (
            405,
            "Method Not Allowed",
            "JSONRPC server handles only POST requests"
        )
    );
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=ISO-8859-1")
    );
    let r = conn.call("DELETE", "/", Some("u:p"), "");
    assert_eq!((r.status, r.body.as_str()), (405, ""));
    let r = conn.call(
        "POST",
        "/",
        Some("u:p"),
        r#"{"method":"getblockcount","id":1}"#,
    );
    assert_eq!(r.status, 200);
    let r = conn.call("POST", "/", Some("u:p"), r#"{"method":"echo","id":1}"#);
    assert_eq!((r.status, r.body.as_str()), (403, ""));
    let logged: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert!(logged.contains(&"[warning] RPC User u not allowed to call method echo".to_string()));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn work_queue_full_gives_503_and_interrupt() {
    let dir = temp_dir("queue");
    let mut c = config(&dir);
    c.threads = 1;
    c.work_queue = 1;
    c.password = PasswordSource::UserPassword {
        user: "u".into(),
        password: "p".into(),
    };
    let gate = Arc::new(Gate::default());
    let (server, addr, _lines) = start(c, test_table(gate.clone()));
    let body = r#"{"method":"block","id":1}"#;
    let mut first = Conn::open(addr);
    first.send("POST", "/", Some("u:p"), body);
    let deadline = Instant::now() + Duration::from_secs(10);
    while gate.waiting.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut second = Conn::open(addr);
    second.send("POST", "/", Some("u:p"), body);
    // The second request must be queued before the third arrives.
    std::thread::sleep(Duration::from_millis(300));
    let r = rpc(addr, "u:p", body);
    assert_eq!(
        (r.status, r.reason.as_str(), r.body.as_str()),
        (503, "Service Unavailable", "Work queue depth exceeded")
    );
    gate.release();
    assert_eq!(
        first.read().body,
        "{\"result\":\"released\",\"error\":null,\"id\":1}\n"
    );
    assert_eq!(second.read().status, 200);

    server.interrupt();
    let r = rpc(addr, "u:p", r#"{"method":"getblockcount"}"#);
    assert_eq!((r.status, r.body.as_str()), (503, ""));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn idle_connections_time_out() {
    let dir = temp_dir("idle");
    let mut c = config(&dir);
    c.server_timeout = Some(Duration::from_secs(1));
    let (server, addr, _lines) = start(c, test_table(Arc::default()));
    let mut conn = Conn::open(addr);
    let t0 = Instant::now();
    assert!(conn.closed());
    assert!(t0.elapsed() >= Duration::from_millis(900));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn disabled_cookie_and_bind_failure() {
    let dir = temp_dir("nocookie");
    let mut c = config(&dir);
    c.password = PasswordSource::Cookie {
        path: None,
        perms: None,
    };
    let (server, addr, lines) = start(c, test_table(Arc::default()));
    assert!(!dir.join(".cookie").exists());
    // Nobody can log in: no credentials at all.
    assert_eq!(rpc(addr, ":", r#"{"method":"getblockcount"}"#).status, 401);
    let logged: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert!(logged.contains(&"RPC authentication cookie file generation is disabled.".to_string()));

    // Binding the same port again fails.
    let mut c2 = config(&dir);
    c2.bind = vec![("127.0.0.1".into(), addr.port()), ("nonsense".into(), 1)];
    let log_lines: Lines = Arc::default();
    let sink = log_lines.clone();
    let err = HttpServer::start(
        c2,
        test_table(Arc::default()),
        Arc::new(move |cat, msg| sink.lock().unwrap().push((cat, msg.to_string()))),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unable to bind any endpoint for RPC server"
    );
    let logged: Vec<String> = log_lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    assert!(logged.contains(
        &"[warning] Could not bind RPC on address nonsense port 1: Address lookup failed."
            .to_string()
    ));
    assert!(logged.contains(&"[error] Unable to bind any endpoint for RPC server".to_string()));
    assert!(!dir.join(".cookie").exists());
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cookie_write_failure_is_an_error() {
    let dir = temp_dir("cookiefail");
    std::fs::create_dir_all(dir.join(".cookie.tmp")).unwrap();
    let err = HttpServer::start(
        config(&dir),
        test_table(Arc::default()),
        Arc::new(|_, _| {}),
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Unable to open cookie authentication file"));
    assert!(!dir.join(".cookie").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends raw bytes and returns what the server answers until it stops sending for a while.
fn raw_exchange(addr: SocketAddr, data: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    s.write_all(data).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn malformed_and_limited_requests() {
    let dir = temp_dir("limits");
    let mut c = config(&dir);
    c.password = PasswordSource::UserPassword {
        user: "u".into(),
        password: "p".into(),
    };
    let (server, addr, _lines) = start(c, test_table(Arc::default()));
    let auth = format!("Authorization: Basic {}\r\n", b64(b"u:p"));

    // Request line and header block limits.
    let r = Conn::open(addr).call("GET", &format!("/{}", "x".repeat(8192 - 1000)), None, "");
    assert_eq!(r.status, 404);
    let r = Conn::open(addr).call("GET", &format!("/{}", "x".repeat(8192)), None, "");
    assert_eq!(r.status, 400);
    let many = |n: usize| {
        let mut req = String::from("GET /x HTTP/1.1\r\nHost: h\r\n");
        for i in 0..n {
            req += &format!("header_{i:04}: foo\r\n");
        }
        req + "\r\n"
    };
    assert!(raw_exchange(addr, many(399).as_bytes()).starts_with("HTTP/1.1 404 Not Found"));
    assert!(raw_exchange(addr, many(455).as_bytes()).starts_with("HTTP/1.1 400 Bad Request"));

    // Body size limit, declared up front.
    let big = format!(
        "POST / HTTP/1.1\r\nHost: h\r\n{auth}Content-Length: {}\r\n\r\n",
        32 * 1024 * 1024 + 1
    );
    assert!(raw_exchange(addr, big.as_bytes()).starts_with("HTTP/1.1 413 Content too large"));

    // Chunked body, and chunked together with Content-Length (chunked wins).
    let body = r#"{"method":"getblockcount"}"#;
    let chunked = format!(
        "POST / HTTP/1.1\r\nHost: h\r\n{auth}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let out = raw_exchange(addr, chunked.as_bytes());
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    assert!(out.ends_with("{\"result\":0,\"error\":null}\n"));
    let size_line = format!("{:x}\r\n", body.len());
    let smuggle = format!(
        "POST / HTTP/1.1\r\nHost: h\r\n{auth}Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{size_line}{body}\r\n0\r\n\r\n",
        size_line.len()
    );
    let out = raw_exchange(addr, smuggle.as_bytes());
    assert!(
        out.starts_with("HTTP/1.1 200 OK") && out.contains("\"result\":0"),
        "{out}"
    );

    // Malformed heads.
    let dup = format!("POST / HTTP/1.1\r\nHost: h\r\n{auth}Content-Length: {}\r\nContent-Length: 999\r\n\r\n{body}", body.len());
    assert!(raw_exchange(addr, dup.as_bytes()).starts_with("HTTP/1.1 400"));
    for bad in [
        &b"GET / \r\n\r\n"[..],
        b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",
        b"GET / HTTP/INVALID\r\nHost: localhost\r\n\r\n",
        b"GET / NOTHTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /safe\x00/../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST / HTTP/1.1\r\nAuthorization : Basic dTpw\r\nContent-Length: 0\r\n\r\n",
    ] {
        let out = raw_exchange(addr, bad);
        assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    }
    for path in [
        "/../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/valid/../../../etc/passwd",
    ] {
        assert_eq!(Conn::open(addr).call("GET", path, None, "").status, 404);
    }
    for method in ["TRACE", "DELETE", "PATCH", "OPTIONS", "GET"] {
        assert_eq!(
            Conn::open(addr).call(method, "/", Some("u:p"), "").status,
            405
        );
    }
    // Malformed Authorization headers.
    for value in [
        "Bearer x",
        "Basic !!!notbase64!!!",
        "Basic bm9jb2xvbg==",
        "Basic ",
    ] {
        let req = format!(
            "POST / HTTP/1.1\r\nHost: h\r\nAuthorization: {value}\r\nContent-Length: 2\r\n\r\n{{}}"
        );
        let out = raw_exchange(addr, req.as_bytes());
        assert!(out.starts_with("HTTP/1.1 401 Unauthorized"), "{out}");
        assert!(
            out.contains("Www-Authenticate: Basic realm=\"jsonrpc\"")
                || out.contains("WWW-Authenticate: Basic realm=\"jsonrpc\""),
            "{out}"
        );
    }
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pipelined_requests_answer_in_order() {
    let dir = temp_dir("pipeline");
    let mut c = config(&dir);
    c.password = PasswordSource::UserPassword {
        user: "u".into(),
        password: "p".into(),
    };
    let gate = Arc::new(Gate::default());
    let (server, addr, _lines) = start(c, test_table(gate.clone()));
    let mut conn = Conn::open(addr);
    conn.send("POST", "/", Some("u:p"), r#"{"method":"block"}"#);
    conn.send("POST", "/", Some("u:p"), r#"{"method":"getblockcount"}"#);
    std::thread::sleep(Duration::from_millis(200));
    gate.release();
    assert_eq!(
        conn.read().body,
        "{\"result\":\"released\",\"error\":null}\n"
    );
    assert_eq!(conn.read().body, "{\"result\":0,\"error\":null}\n");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
