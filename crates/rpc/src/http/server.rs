//! The HTTP listener: accepts connections from allowed networks, reads
//! requests with hyper, hands JSON-RPC work to the worker pool and writes
//! Core's replies.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use super::auth::{symbolic_perms, write_cookie, Credentials, RpcAuthEntry, COOKIE_USER};
use super::config::{HttpConfig, PasswordSource, MAX_BODY_SIZE};
use super::pool::{Pool, SubmitError};
use super::subnet::{parse_ip, Subnet};
use crate::jsonrpc::{handle_json_rpc_full, Caller, Whitelist};
use crate::table::Table;

/// Log sink: (debug category such as `"rpc"`/`"http"`, or `None` for lines
/// Core always logs; message). Warnings and errors arrive with Core's
/// `"[warning] "` / `"[error] "` prefix already in the message.
pub type LogSink = Arc<dyn Fn(Option<&'static str>, &str) + Send + Sync>;

/// Failure to start the server.
#[derive(Debug)]
pub enum HttpError {
    /// No endpoint could be bound ("Unable to bind any endpoint for RPC server").
    NoEndpoint,
    /// The cookie file could not be written (message as Core's warning).
    Cookie(String),
    /// Random bytes for a salt could not be read.
    Random(std::io::Error),
    /// The async runtime or the worker threads could not be started.
    Runtime(std::io::Error),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NoEndpoint => f.write_str("Unable to bind any endpoint for RPC server"),
            HttpError::Cookie(m) => f.write_str(m),
            HttpError::Random(e) => write!(f, "Unable to read random bytes: {e}"),
            HttpError::Runtime(e) => write!(f, "Unable to start the HTTP server threads: {e}"),
        }
    }
}

impl std::error::Error for HttpError {}

const WWW_AUTHENTICATE: &str = "Basic realm=\"jsonrpc\"";
const DEFAULT_CONTENT_TYPE: &str = "text/html; charset=ISO-8859-1";

/// State shared by the connection tasks and the workers.
struct Shared {
    table: Arc<Table>,
    creds: Credentials,
    whitelist: Whitelist,
    allow: Vec<Subnet>,
    wallet_endpoint: bool,
    log_ips: bool,
    auth_delay: Duration,
    interrupted: AtomicBool,
    log: LogSink,
    pool: Mutex<Option<Arc<Pool>>>,
    connections: AtomicUsize,
    next_conn_id: AtomicU64,
    server_timeout: Option<Duration>,
    epoch: Instant,
}

impl Shared {
    fn debug(&self, category: &'static str, msg: &str) {
        (self.log)(Some(category), msg);
    }
    fn warn(&self, msg: &str) {
        (self.log)(None, &format!("[warning] {msg}"));
    }
}

/// A running HTTP RPC server.
pub struct HttpServer {
    shared: Arc<Shared>,
    addrs: Vec<SocketAddr>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: watch::Sender<bool>,
    cookie: Option<PathBuf>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("addrs", &self.addrs)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

/// `ip:port`, IPv6 in brackets, IPv4-mapped addresses as IPv4 (Core's `ToStringAddrPort`).
fn addr_port(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    SocketAddr::new(ip, addr.port()).to_string()
}

impl HttpServer {
    /// Binds the endpoints, sets up authentication (writing the cookie) and
    /// starts the workers, logging Core's startup lines.
    pub fn start(
        config: HttpConfig,
        table: Arc<Table>,
        log: LogSink,
    ) -> Result<HttpServer, HttpError> {
        let warn = |m: &str| log(None, &format!("[warning] {m}"));
        let allowed: String = config.allow.iter().map(|s| format!("{s} ")).collect();
        log(
            Some("http"),
            &format!("Allowing HTTP connections from: {allowed}"),
        );
        for w in &config.warnings {
            warn(w);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("b-http")
            .enable_all()
            .build()
            .map_err(HttpError::Runtime)?;

        let mut listeners = Vec::new();
        for (host, port) in &config.bind {
            log(None, &format!("Binding RPC on address {host} port {port}"));
            let Some(ip) = parse_ip(host) else {
                warn(&format!(
                    "Could not bind RPC on address {host} port {port}: Address lookup failed."
                ));
                continue;
            };
            if ip.is_unspecified() {
                warn("The RPC server is not safe to expose to untrusted networks such as the public internet");
            }
            let addr = SocketAddr::new(ip, *port);
            match std::net::TcpListener::bind(addr).and_then(|l| {
                l.set_nonblocking(true)?;
                Ok(l)
            }) {
                Ok(l) => listeners.push(l),
                Err(e) => warn(&format!(
                    "Binding RPC on address {} failed: {e}",
                    addr_port(addr)
                )),
            }
        }
        if listeners.is_empty() {
            log(None, "[error] Unable to bind any endpoint for RPC server");
            return Err(HttpError::NoEndpoint);
        }
        log(Some("http"), "Initialized HTTP server");
        log(
            Some("http"),
            &format!("set work queue of depth {}", config.work_queue),
        );
        log(Some("rpc"), "Starting RPC");
        log(Some("rpc"), "Starting HTTP RPC server");

        let (creds, cookie) = init_auth(&config, &log)?;

        log(
            Some("http"),
            "Registering HTTP handler for / (exactmatch 1)",
        );
        if config.wallet_endpoint {
            log(
                Some("http"),
                "Registering HTTP handler for /wallet/ (exactmatch 0)",
            );
        }
        log(
            None,
            &format!(
                "Starting HTTP server with {} worker threads",
                config.threads
            ),
        );
        let pool = Pool::start(config.threads, config.work_queue).map_err(|e| {
            if let Some(path) = &cookie {
                let _ = std::fs::remove_file(path);
            }
            HttpError::Runtime(e)
        })?;

        let shared = Arc::new(Shared {
            table,
            creds,
            whitelist: config.whitelist.clone(),
            allow: config.allow.clone(),
            wallet_endpoint: config.wallet_endpoint,
            log_ips: config.log_ips,
            auth_delay: config.auth_failure_delay,
            interrupted: AtomicBool::new(false),
            log: log.clone(),
            pool: Mutex::new(Some(Arc::new(pool))),
            connections: AtomicUsize::new(0),
            next_conn_id: AtomicU64::new(0),
            server_timeout: config.server_timeout,
            epoch: Instant::now(),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut addrs = Vec::new();
        for l in listeners {
            if let Ok(a) = l.local_addr() {
                addrs.push(a);
            }
            let listener = {
                let _guard = runtime.enter();
                TcpListener::from_std(l).map_err(HttpError::Runtime)?
            };
            runtime.spawn(accept_loop(listener, shared.clone(), shutdown_rx.clone()));
        }
        Ok(HttpServer {
            shared,
            addrs,
            runtime: Some(runtime),
            shutdown,
            cookie,
        })
    }

    /// The addresses actually bound (useful with port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.addrs.clone()
    }

    /// Core's `InterruptHTTPServer` + `InterruptHTTPRPC` + `InterruptRPC`:
    /// from now on every new request is refused with 503; running ones finish
    /// (and see [`Table::interruption_point`] fail).
    pub fn interrupt(&self) {
        self.shared.debug("rpc", "Interrupting HTTP RPC server");
        self.shared.debug("http", "Interrupting HTTP server");
        self.shared.interrupted.store(true, Ordering::SeqCst);
        self.shared.table.interrupt();
    }

    /// Stops the server: deletes the cookie, lets the workers finish queued
    /// requests, stops accepting, closes connections once their replies are
    /// sent (waiting at most 30 s) and shuts the runtime down.
    pub fn stop(mut self) {
        let s = self.shared.clone();
        s.debug("rpc", "Stopping HTTP RPC server");
        s.interrupted.store(true, Ordering::SeqCst);
        s.debug("rpc", "Stopping RPC");
        if let Some(path) = self.cookie.take() {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    s.warn(&format!(
                        "Unable to remove random auth cookie file {}: {e}",
                        path.display()
                    ));
                }
            }
        }
        s.debug("rpc", "RPC stopped.");
        s.debug("http", "Stopping HTTP server");
        s.debug("http", "Waiting for HTTP worker threads to exit");
        let pool = s.pool.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(pool) = pool {
            match Arc::try_unwrap(pool) {
                Ok(pool) => pool.stop(),
                Err(shared_pool) => {
                    // A connection task still holds it briefly; wait for it.
                    let mut p = shared_pool;
                    loop {
                        match Arc::try_unwrap(p) {
                            Ok(pool) => {
                                pool.stop();
                                break;
                            }
                            Err(again) => {
                                p = again;
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                }
            }
        }
        let _ = self.shutdown.send(true);
        s.debug("http", "Waiting for HTTP clients to disconnect gracefully");
        let deadline = Instant::now() + Duration::from_secs(30);
        while s.connections.load(Ordering::SeqCst) != 0 {
            if Instant::now() > deadline {
                s.warn("Timeout waiting for HTTP clients to disconnect gracefully, continuing shutdown");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        s.debug("http", "Stopped HTTP server");
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(path) = self.cookie.take() {
            let _ = std::fs::remove_file(path);
        }
        let _ = self.shutdown.send(true);
        if let Some(pool) = self.shared.pool.lock().ok().and_then(|mut p| p.take()) {
            if let Ok(pool) = Arc::try_unwrap(pool) {
                pool.stop();
            }
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Core's `InitRPCAuthentication`: cookie or user/password, then `-rpcauth`.
fn init_auth(
    config: &HttpConfig,
    log: &LogSink,
) -> Result<(Credentials, Option<PathBuf>), HttpError> {
    let mut creds = Credentials::default();
    let mut cookie = None;
    let mut plain: Option<(String, String)> = None;
    match &config.password {
        PasswordSource::Cookie { path: None, .. } => {
            log(
                None,
                "RPC authentication cookie file generation is disabled.",
            );
        }
        PasswordSource::Cookie {
            path: Some(path),
            perms,
        } => match write_cookie(path, *perms) {
            Ok((password, mode)) => {
                log(
                    None,
                    &format!("Generated RPC authentication cookie {}", path.display()),
                );
                log(
                    None,
                    &format!("Permissions used for cookie: {}", symbolic_perms(mode)),
                );
                log(None, "Using random cookie authentication.");
                cookie = Some(path.clone());
                plain = Some((COOKIE_USER.to_string(), password));
            }
            Err(e) => {
                log(None, &format!("[warning] {e}"));
                return Err(HttpError::Cookie(e.to_string()));
            }
        },
        PasswordSource::UserPassword { user, password } => {
            log(None, "Using rpcuser/rpcpassword authentication.");
            log(None, "[warning] The use of rpcuser/rpcpassword is less secure, because credentials are configured in plain text. It is recommended that locally-run instances switch to cookie-based auth, or otherwise to use hashed rpcauth credentials. See share/rpcauth in the source directory for more information.");
            plain = Some((user.clone(), password.clone()));
        }
    }
    if let Some((user, password)) = plain {
        if !user.is_empty() || !password.is_empty() {
            let entry = RpcAuthEntry::from_password(&user, &password).map_err(|e| {
                if let Some(p) = &cookie {
                    let _ = std::fs::remove_file(p);
                }
                HttpError::Random(e)
            })?;
            creds.entries.push(entry);
        }
    }
    if !config.rpcauth.is_empty() {
        log(None, "Using rpcauth authentication.");
        creds.entries.extend(config.rpcauth.iter().cloned());
    }
    Ok((creds, cookie))
}

/// Last I/O time and whether a request is being served, for the idle timeout.
struct Activity {
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

/// A TCP stream that records when data last moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
    epoch: Instant,
}

impl Tracked {
    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.last_ms.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                shared.debug("http", &format!("Cannot accept new connection: {e}"));
                // Avoid spinning when out of file descriptors.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if !shared.allow.iter().any(|s| s.matches(peer.ip())) {
            shared.debug(
                "http",
                &format!(
                    "Connection from {} rejected: Client network is not allowed HTTP access",
                    addr_port(peer)
                ),
            );
            continue;
        }
        if *shutdown.borrow() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let id = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
        shared.debug(
            "http",
            &format!(
                "HTTP Connection accepted from {} (id={id})",
                addr_port(peer)
            ),
        );
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let task_shared = shared.clone();
        let rx = shutdown.clone();
        tokio::spawn(async move {
            serve_connection(stream, peer, id, task_shared.clone(), rx).await;
            task_shared.debug(
                "http",
                &format!("Disconnecting HTTP client {} (id={id})", addr_port(peer)),
            );
            task_shared.connections.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Decrements the busy count when a request's handling ends.
struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity {
        last_ms: AtomicU64::new(u64::try_from(shared.epoch.elapsed().as_millis()).unwrap_or(0)),
        busy: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
        epoch: shared.epoch,
    });
    let svc_shared = shared.clone();
    let svc_activity = activity.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let shared = svc_shared.clone();
        svc_activity.busy.fetch_add(1, Ordering::SeqCst);
        let guard = BusyGuard(svc_activity.clone());
        async move {
            let resp = handle(shared, peer, id, req).await;
            drop(guard);
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .title_case_headers(true)
        .keep_alive(true)
        // Core limits the header block by size only; let that check decide.
        .max_headers(2100)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = tick.tick() => {
                if let Some(timeout) = shared.server_timeout {
                    let now = u64::try_from(shared.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
                    let idle = now.saturating_sub(activity.last_ms.load(Ordering::Relaxed));
                    if activity.busy.load(Ordering::SeqCst) == 0 && u128::from(idle) > timeout.as_millis() {
                        shared.debug("http", &format!("HTTP client idle timeout {} (id={id})", addr_port(peer)));
                        return;
                    }
                }
            }
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(30), conn.as_mut()).await;
                    return;
                }
            }
        }
    }
}

/// A reply with Core's default headers for its status.
fn reply(
    status: u16,
    body: String,
    headers: &[(&'static str, &'static str)],
) -> Response<Full<Bytes>> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = code;
    let h = resp.headers_mut();
    for (k, v) in headers {
        h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    let needs_body = status != 204 && !(100..200).contains(&status);
    if needs_body && !h.contains_key(hyper::header::CONTENT_TYPE) {
        h.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static(DEFAULT_CONTENT_TYPE),
        );
    }
    if status == 413 {
        resp.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b"Content too large"));
    }
    resp
}

fn no_store(status: u16, body: &str) -> Response<Full<Bytes>> {
    reply(status, body.to_string(), &[("cache-control", "no-store")])
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    id: u64,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if shared.interrupted.load(Ordering::SeqCst) {
        shared.debug("http", "Rejecting request while shutting down");
        return no_store(503, "");
    }
    let method = req.method().clone();
    let known = [Method::GET, Method::POST, Method::HEAD, Method::PUT].contains(&method);
    let uri = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().to_string(), |p| p.as_str().to_string());
    if head_too_large(&req, &uri) {
        shared.debug(
            "http",
            &format!(
                "Error reading HTTP request from client {}: HTTP headers exceed size limit",
                addr_port(peer)
            ),
        );
        return reply(
            400,
            String::new(),
            &[("cache-control", "no-store"), ("connection", "close")],
        );
    }
    let declared_len = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > MAX_BODY_SIZE)
        && !req.headers().contains_key(hyper::header::TRANSFER_ENCODING)
    {
        shared.debug(
            "http",
            &format!(
                "HTTP request body too large from client {}: Max body size exceeded",
                addr_port(peer)
            ),
        );
        return reply(
            413,
            String::new(),
            &[("cache-control", "no-store"), ("connection", "close")],
        );
    }
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let body = match Limited::new(req.into_body(), MAX_BODY_SIZE as usize)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                shared.debug(
                    "http",
                    &format!(
                        "HTTP request body too large from client {}",
                        addr_port(peer)
                    ),
                );
                return reply(
                    413,
                    String::new(),
                    &[("cache-control", "no-store"), ("connection", "close")],
                );
            }
            return reply(
                400,
                String::new(),
                &[("cache-control", "no-store"), ("connection", "close")],
            );
        }
    };
    shared.debug(
        "http",
        &format!(
            "Received a {} request for {} from {} (id={id})",
            if known { method.as_str() } else { "unknown" },
            uri,
            addr_port(peer)
        ),
    );
    if !known {
        shared.debug(
            "http",
            &format!(
                "HTTP request from {} rejected: Unknown HTTP request method",
                addr_port(peer)
            ),
        );
        return no_store(405, "");
    }
    let routed = uri == "/" || (shared.wallet_endpoint && uri.starts_with("/wallet/"));
    if !routed {
        return no_store(404, "");
    }
    let pool = shared
        .pool
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(pool) = pool else {
        return no_store(503, "Request rejected during server shutdown");
    };
    let (tx, rx) = oneshot::channel();
    let job_shared = shared.clone();
    let is_post = method == Method::POST;
    let submitted = pool.submit(move || {
        let resp = run_jsonrpc(&job_shared, peer, is_post, &uri, auth.as_deref(), &body);
        let _ = tx.send(resp);
    });
    drop(pool);
    match submitted {
        Ok(()) => {}
        Err(SubmitError::Full) => {
            shared.warn("Request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting");
            return no_store(503, "Work queue depth exceeded");
        }
        Err(SubmitError::Stopped) => {
            shared.warn("HTTP request rejected during server shutdown: 'Interrupted'");
            return no_store(503, "Request rejected during server shutdown");
        }
    }
    match rx.await {
        Ok(resp) => resp,
        Err(_) => reply(
            500,
            "unknown error".into(),
            &[("connection", "close"), ("cache-control", "no-store")],
        ),
    }
}

/// Core's limits on the request head (`MAX_HEADERS_SIZE`): the request line
/// and the header block are each limited to 8192 bytes as sent.
fn head_too_large(req: &Request<Incoming>, uri: &str) -> bool {
    const MAX_HEADERS_SIZE: usize = 8192;
    let request_line = req.method().as_str().len() + 1 + uri.len() + " HTTP/1.1\r\n".len();
    if request_line >= MAX_HEADERS_SIZE {
        return true;
    }
    let header_block: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + 2 + v.as_bytes().len() + 2)
        .sum::<usize>()
        + 2;
    header_block > MAX_HEADERS_SIZE
}

/// Core's `HTTPReq_JSONRPC`, run on a worker thread.
fn run_jsonrpc(
    shared: &Shared,
    peer: SocketAddr,
    is_post: bool,
    uri: &str,
    auth: Option<&[u8]>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    if !is_post {
        return reply(405, "JSONRPC server handles only POST requests".into(), &[]);
    }
    let Some(auth) = auth else {
        return reply(
            401,
            String::new(),
            &[("www-authenticate", WWW_AUTHENTICATE)],
        );
    };
    let peer_addr = addr_port(peer);
    let (user, ok) = shared.creds.check_header(auth);
    if !ok {
        shared.warn(&format!(
            "ThreadRPCServer incorrect password attempt from {peer_addr}"
        ));
        std::thread::sleep(shared.auth_delay);
        return reply(
            401,
            String::new(),
            &[("www-authenticate", WWW_AUTHENTICATE)],
        );
    }
    let user = user.unwrap_or_default();
    let caller = Caller {
        uri,
        user: &user,
        peer_addr: &peer_addr,
        log_ips: shared.log_ips,
    };
    let log_fn = |c: Option<&'static str>, m: &str| (shared.log)(c, m);
    let out = handle_json_rpc_full(
        &shared.table,
        body,
        caller,
        Some(&shared.whitelist),
        &log_fn,
    );
    if out.body.is_empty() {
        reply(out.status, String::new(), &[])
    } else {
        reply(
            out.status,
            out.body,
            &[("content-type", "application/json")],
        )
    }
}
