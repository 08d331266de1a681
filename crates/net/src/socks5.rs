//! A blocking SOCKS5 client (RFC 1928, with RFC 1929 username/password), as Core's
//! `Socks5()` and `ConnectThroughProxy` use it to reach peers through Tor or another
//! proxy.
//!
//! Like Core, the destination always goes to the proxy as a domain name, also when it
//! is an IP address: the proxy resolves it, so no DNS query leaks from this host.
//!
//! Failures come back as [`Socks5Error`]; the caller logs them with
//! [`Socks5Error::log`], which reproduces Core's lines and levels (Core logs inside
//! `Socks5()`, some failures as errors, a refused peer only under `-debug=net`, a reply
//! timeout not at all).

use std::io::{self, Read, Write};
use std::net::TcpStream;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::logging::Category;
use common::{log_debug, log_error, log_info};

use crate::proxy::{Proxy, ProxyAddr};

/// How long each step of the handshake may wait for the proxy (Core's
/// `g_socks5_recv_timeout`): Tor can take this long to build a circuit.
pub const SOCKS5_RECV_TIMEOUT: Duration = Duration::from_secs(20);

/// Longest single wait for the socket before the interrupt flag is looked at again
/// (Core's `MAX_WAIT_FOR_IO`).
const MAX_WAIT_FOR_IO: Duration = Duration::from_secs(1);

/// The longest destination name the domain-name address type can carry.
pub const MAX_HOSTNAME_LEN: usize = 255;

const SOCKS_VERSION: u8 = 0x05;
const METHOD_NOAUTH: u8 = 0x00;
const METHOD_USER_PASS: u8 = 0x02;
const USER_PASS_VERSION: u8 = 0x01;
const CMD_CONNECT: u8 = 0x01;
const ATYP_IPV4: u8 = 0x01;
const ATYP_DOMAINNAME: u8 = 0x03;
const ATYP_IPV6: u8 = 0x04;
const REPLY_SUCCEEDED: u8 = 0x00;

/// Username and password offered to the proxy (RFC 1929). Tor does not check them but
/// puts streams with different credentials on different circuits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyCredentials {
    /// The user name, at most 255 bytes.
    pub username: String,
    /// The password, at most 255 bytes.
    pub password: String,
}

/// Fresh credentials for every proxied connection (`-proxyrandomize`, Core's
/// `TorStreamIsolationCredentialsGenerator`): a random per-process prefix followed by a
/// counter, used as both user name and password.
///
/// The prefix keeps two runs of the node (one after the other or side by side) from
/// handing Tor the same credentials, which a bare counter would do.
#[derive(Debug)]
pub struct StreamIsolation {
    prefix: String,
    counter: AtomicU64,
}

impl StreamIsolation {
    /// Random bytes in the prefix (Core's `PREFIX_BYTE_LENGTH`).
    pub const PREFIX_BYTES: usize = 8;

    /// A generator with a new random prefix: 16 hex digits and a dash.
    pub fn new() -> StreamIsolation {
        let bytes = common::random::random_bytes::<{ StreamIsolation::PREFIX_BYTES }>()
            .unwrap_or_else(|_| {
                let mut b = [0u8; StreamIsolation::PREFIX_BYTES];
                b.copy_from_slice(&common::random::salt()[..StreamIsolation::PREFIX_BYTES]);
                b
            });
        let mut prefix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        prefix.push('-');
        StreamIsolation::with_prefix(prefix)
    }

    /// A generator with a given prefix (tests, reproducible runs).
    pub fn with_prefix(prefix: impl Into<String>) -> StreamIsolation {
        StreamIsolation {
            prefix: prefix.into(),
            counter: AtomicU64::new(0),
        }
    }

    /// The process-wide generator, created on first use as Core's function-local
    /// static is: every proxied connection of the node draws from it.
    pub fn global() -> &'static StreamIsolation {
        static GLOBAL: OnceLock<StreamIsolation> = OnceLock::new();
        GLOBAL.get_or_init(StreamIsolation::new)
    }

    /// The prefix every credential starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The next credentials: `<prefix><n>` as user name and password, `n` counting
    /// from 0.
    pub fn next(&self) -> ProxyCredentials {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let s = format!("{}{}", self.prefix, n);
        ProxyCredentials {
            username: s.clone(),
            password: s,
        }
    }
}

impl Default for StreamIsolation {
    fn default() -> StreamIsolation {
        StreamIsolation::new()
    }
}

/// Timing of a proxied connection.
#[derive(Clone, Debug)]
pub struct Socks5Config {
    /// How long the TCP (or Unix socket) connection to the proxy may take (`-timeout`).
    pub connect_timeout: Duration,
    /// How long each handshake step may wait ([`SOCKS5_RECV_TIMEOUT`]); also bounds
    /// each send.
    pub recv_timeout: Duration,
    /// Set to abandon a handshake in progress at shutdown (Core's
    /// `g_socks5_interrupt`); looked at least once a second.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl Socks5Config {
    /// Core's timings with the given connect timeout and no interrupt flag.
    pub fn new(connect_timeout: Duration) -> Socks5Config {
        Socks5Config {
            connect_timeout,
            recv_timeout: SOCKS5_RECV_TIMEOUT,
            interrupt: None,
        }
    }
}

/// Core's text for a SOCKS5 reply code (`Socks5ErrorString`), including Tor's onion
/// service extensions (0xf0..=0xf7).
pub fn reply_code_string(code: u8) -> String {
    let s = match code {
        0x01 => "general failure",
        0x02 => "connection not allowed",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "protocol error",
        0x08 => "address type not supported",
        0xf0 => "onion service descriptor can not be found",
        0xf1 => "onion service descriptor is invalid",
        0xf2 => "onion service introduction failed",
        0xf3 => "onion service rendezvous failed",
        0xf4 => "onion service missing client authorization",
        0xf5 => "onion service wrong client authorization",
        0xf6 => "onion service invalid address",
        0xf7 => "onion service introduction timed out",
        _ => return format!("unknown (0x{code:02x})"),
    };
    s.to_string()
}

/// Why a connection through a proxy failed. `Display` gives Core's log text for the
/// case; [`Socks5Error::log_level`] says how Core logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Socks5Error {
    /// The connection to the proxy itself failed (`ConnectDirectly`).
    ProxyConnect {
        /// The proxy as Core prints it.
        proxy: String,
        /// The system's error text, with its code.
        error: String,
    },
    /// The connection to the proxy took longer than the connect timeout.
    ProxyConnectTimeout {
        /// The proxy as Core prints it.
        proxy: String,
    },
    /// A Unix socket proxy was given to a function that returns a TCP stream.
    UnixProxyNeedsUnixStream {
        /// The `unix:` path.
        path: String,
    },
    /// The destination does not fit the domain-name address type.
    HostnameTooLong,
    /// Sending to the proxy failed or timed out (Core's `SendComplete` exception).
    Send(String),
    /// No method-selection answer came (closed, failed, timed out or interrupted).
    GreetingRecv {
        /// The destination asked for.
        dest: String,
        /// Its port.
        port: u16,
    },
    /// The method-selection answer was not SOCKS5.
    BadGreetingVersion,
    /// User name or password longer than 255 bytes.
    CredentialsTooLong,
    /// No answer to the username/password sub-negotiation.
    AuthRecv,
    /// The proxy refused the credentials, or answered with a wrong version.
    AuthRejected,
    /// The proxy chose a method we did not offer (`0xff`: none acceptable).
    WrongAuthMethod(u8),
    /// The proxy did not answer the CONNECT in time: usually Tor failing to reach the
    /// peer, so Core logs nothing.
    ReplyTimeout {
        /// The destination asked for.
        dest: String,
        /// Its port.
        port: u16,
    },
    /// The CONNECT answer could not be read (closed, failed or interrupted).
    ReplyRecv,
    /// The CONNECT answer was not SOCKS5.
    BadReplyVersion,
    /// The proxy could not reach the destination (a reply code other than success).
    Reply {
        /// The destination asked for.
        dest: String,
        /// Its port.
        port: u16,
        /// The reply code; [`reply_code_string`] names it.
        code: u8,
    },
    /// A non-zero reserved byte or an unknown bound-address type.
    Malformed,
    /// The bound address or port could not be read.
    BoundAddrRecv,
}

/// How Core logs a [`Socks5Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Socks5LogLevel {
    /// Always logged, unprefixed (`LogPrintf`).
    Info,
    /// Always logged as `[error]` (`LogError`).
    Error,
    /// Logged only under `-debug=net` (`LogDebug(BCLog::NET, ...)`).
    NetDebug,
}

impl Socks5Error {
    /// How Core logs this failure, or `None` when it logs nothing.
    pub fn log_level(&self) -> Option<Socks5LogLevel> {
        use Socks5Error::*;
        Some(match self {
            ProxyConnect { .. } | GreetingRecv { .. } | UnixProxyNeedsUnixStream { .. } => {
                Socks5LogLevel::Info
            }
            ProxyConnectTimeout { .. } | Reply { .. } => Socks5LogLevel::NetDebug,
            ReplyTimeout { .. } => return None,
            HostnameTooLong | Send(_) | BadGreetingVersion | CredentialsTooLong | AuthRecv
            | AuthRejected | WrongAuthMethod(_) | ReplyRecv | BadReplyVersion | Malformed
            | BoundAddrRecv => Socks5LogLevel::Error,
        })
    }

    /// Core's log line for this failure and its level, or `None` when Core is silent.
    pub fn log_line(&self) -> Option<(Socks5LogLevel, String)> {
        self.log_level().map(|l| (l, self.to_string()))
    }

    /// Logs this failure as Core does.
    pub fn log(&self) {
        match self.log_line() {
            Some((Socks5LogLevel::Info, line)) => log_info!("{line}"),
            Some((Socks5LogLevel::Error, line)) => log_error!("{line}"),
            Some((Socks5LogLevel::NetDebug, line)) => log_debug!(Category::Net, "{line}"),
            None => {}
        }
    }

    /// Whether the proxy itself could not be reached (Core's
    /// `proxy_connection_failed`): the caller then does not blame the peer's address.
    pub fn is_proxy_connection_failure(&self) -> bool {
        matches!(
            self,
            Socks5Error::ProxyConnect { .. }
                | Socks5Error::ProxyConnectTimeout { .. }
                | Socks5Error::UnixProxyNeedsUnixStream { .. }
        )
    }
}

impl std::fmt::Display for Socks5Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Socks5Error::*;
        match self {
            ProxyConnect { proxy, error } => {
                write!(f, "connect() to {proxy} failed after wait: {error}")
            }
            ProxyConnectTimeout { proxy } => write!(f, "connection attempt to {proxy} timed out"),
            UnixProxyNeedsUnixStream { path } => {
                write!(f, "Cannot create a socket for connecting to {path}")
            }
            HostnameTooLong => f.write_str("Hostname too long"),
            Send(e) => write!(f, "Error during SOCKS5 proxy handshake: {e}"),
            GreetingRecv { dest, port } => write!(
                f,
                "Socks5() connect to {dest}:{port} failed: InterruptibleRecv() timeout or other failure"
            ),
            BadGreetingVersion => f.write_str("Proxy failed to initialize"),
            CredentialsTooLong => f.write_str("Proxy username or password too long"),
            AuthRecv => f.write_str("Error reading proxy authentication response"),
            AuthRejected => f.write_str("Proxy authentication unsuccessful"),
            WrongAuthMethod(m) => write!(f, "Proxy requested wrong authentication method {m:02x}"),
            ReplyTimeout { dest, port } => {
                write!(f, "Socks5() connect to {dest}:{port} failed: timeout")
            }
            ReplyRecv => f.write_str("Error while reading proxy response"),
            BadReplyVersion => f.write_str("Proxy failed to accept request"),
            Reply { dest, port, code } => write!(
                f,
                "Socks5() connect to {dest}:{port} failed: {}",
                reply_code_string(*code)
            ),
            Malformed => f.write_str("Error: malformed proxy response"),
            BoundAddrRecv => f.write_str("Error reading from proxy"),
        }
    }
}

impl std::error::Error for Socks5Error {}

/// A stream the handshake can put deadlines on.
trait TimedStream: Read + Write {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()>;
}

impl TimedStream for TcpStream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, t)
    }
    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, t)
    }
}

#[cfg(unix)]
impl TimedStream for UnixStream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        UnixStream::set_read_timeout(self, t)
    }
    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        UnixStream::set_write_timeout(self, t)
    }
}

/// Why a receive stopped short (Core's `IntrRecvError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecvError {
    Timeout,
    Disconnected,
    Network,
    Interrupted,
}

fn interrupted(config: &Socks5Config) -> bool {
    config
        .interrupt
        .as_ref()
        .is_some_and(|i| i.load(Ordering::SeqCst))
}

/// Fills `buf` within `config.recv_timeout`, waking at least once a second to honour
/// the interrupt flag (Core's `InterruptibleRecv`).
fn recv_exact<S: TimedStream>(
    stream: &mut S,
    buf: &mut [u8],
    config: &Socks5Config,
) -> Result<(), RecvError> {
    let deadline = Instant::now() + config.recv_timeout;
    let mut filled = 0;
    while filled < buf.len() {
        let now = Instant::now();
        if now >= deadline {
            return Err(RecvError::Timeout);
        }
        // A zero timeout means "block forever" to the OS, so never pass one.
        let wait = (deadline - now)
            .min(MAX_WAIT_FOR_IO)
            .max(Duration::from_millis(1));
        stream
            .set_read_timeout(Some(wait))
            .map_err(|_| RecvError::Network)?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(RecvError::Disconnected),
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return Err(RecvError::Network),
        }
        if interrupted(config) {
            return Err(RecvError::Interrupted);
        }
    }
    Ok(())
}

fn send_all<S: TimedStream>(
    stream: &mut S,
    data: &[u8],
    config: &Socks5Config,
) -> Result<(), Socks5Error> {
    if interrupted(config) {
        return Err(Socks5Error::Send(format!(
            "Send interrupted (sent only 0 of {} bytes before that)",
            data.len()
        )));
    }
    let limit = config.recv_timeout.max(Duration::from_millis(1));
    stream
        .set_write_timeout(Some(limit))
        .and_then(|_| stream.write_all(data))
        .and_then(|_| stream.flush())
        .map_err(|e| {
            Socks5Error::Send(format!(
                "send(): {}",
                crate::listen::network_error_string(&e)
            ))
        })
}

/// The SOCKS5 negotiation on an open connection to the proxy (Core's `Socks5()`):
/// method selection, optional username/password, CONNECT to `dest:port` as a domain
/// name, then the reply with its bound address, which is read and dropped.
fn handshake<S: TimedStream>(
    stream: &mut S,
    dest: &str,
    port: u16,
    credentials: Option<&ProxyCredentials>,
    config: &Socks5Config,
) -> Result<(), Socks5Error> {
    log_debug!(Category::Net, "SOCKS5 connecting {dest}");
    if dest.len() > MAX_HOSTNAME_LEN {
        return Err(Socks5Error::HostnameTooLong);
    }
    let greeting: &[u8] = if credentials.is_some() {
        &[SOCKS_VERSION, 2, METHOD_NOAUTH, METHOD_USER_PASS]
    } else {
        &[SOCKS_VERSION, 1, METHOD_NOAUTH]
    };
    send_all(stream, greeting, config)?;
    let mut choice = [0u8; 2];
    if recv_exact(stream, &mut choice, config).is_err() {
        return Err(Socks5Error::GreetingRecv {
            dest: dest.to_string(),
            port,
        });
    }
    if choice[0] != SOCKS_VERSION {
        return Err(Socks5Error::BadGreetingVersion);
    }
    match (choice[1], credentials) {
        (METHOD_USER_PASS, Some(auth)) => {
            let (user, pass) = (auth.username.as_bytes(), auth.password.as_bytes());
            if user.len() > 255 || pass.len() > 255 {
                return Err(Socks5Error::CredentialsTooLong);
            }
            let mut msg = Vec::with_capacity(3 + user.len() + pass.len());
            msg.push(USER_PASS_VERSION);
            msg.push(user.len() as u8);
            msg.extend_from_slice(user);
            msg.push(pass.len() as u8);
            msg.extend_from_slice(pass);
            send_all(stream, &msg, config)?;
            log_debug!(
                Category::Proxy,
                "SOCKS5 sending proxy authentication {}:{}",
                auth.username,
                auth.password
            );
            let mut status = [0u8; 2];
            if recv_exact(stream, &mut status, config).is_err() {
                return Err(Socks5Error::AuthRecv);
            }
            if status != [USER_PASS_VERSION, 0x00] {
                return Err(Socks5Error::AuthRejected);
            }
        }
        (METHOD_NOAUTH, _) => {}
        (other, _) => return Err(Socks5Error::WrongAuthMethod(other)),
    }
    let mut request = Vec::with_capacity(7 + dest.len());
    request.extend_from_slice(&[SOCKS_VERSION, CMD_CONNECT, 0x00, ATYP_DOMAINNAME]);
    request.push(dest.len() as u8);
    request.extend_from_slice(dest.as_bytes());
    request.extend_from_slice(&port.to_be_bytes());
    send_all(stream, &request, config)?;
    let mut head = [0u8; 4];
    match recv_exact(stream, &mut head, config) {
        Ok(()) => {}
        Err(RecvError::Timeout) => {
            return Err(Socks5Error::ReplyTimeout {
                dest: dest.to_string(),
                port,
            })
        }
        Err(RecvError::Disconnected | RecvError::Network | RecvError::Interrupted) => {
            return Err(Socks5Error::ReplyRecv)
        }
    }
    if head[0] != SOCKS_VERSION {
        return Err(Socks5Error::BadReplyVersion);
    }
    if head[1] != REPLY_SUCCEEDED {
        return Err(Socks5Error::Reply {
            dest: dest.to_string(),
            port,
            code: head[1],
        });
    }
    if head[2] != 0x00 {
        return Err(Socks5Error::Malformed);
    }
    let mut bound = [0u8; 256];
    let addr_len = match head[3] {
        ATYP_IPV4 => 4,
        ATYP_IPV6 => 16,
        ATYP_DOMAINNAME => {
            recv_exact(stream, &mut bound[..1], config).map_err(|_| Socks5Error::BoundAddrRecv)?;
            usize::from(bound[0])
        }
        _ => return Err(Socks5Error::Malformed),
    };
    recv_exact(stream, &mut bound[..addr_len], config).map_err(|_| Socks5Error::BoundAddrRecv)?;
    recv_exact(stream, &mut bound[..2], config).map_err(|_| Socks5Error::BoundAddrRecv)?;
    log_debug!(Category::Net, "SOCKS5 connected {dest}");
    Ok(())
}

/// Clears the handshake's deadlines: the stream is handed on in blocking mode with no
/// timeouts, as a fresh `TcpStream::connect` would be.
fn clear_timeouts<S: TimedStream>(stream: &S) {
    // Failing here only leaves a timeout that the caller replaces anyway.
    let _ = stream.set_read_timeout(None);
    let _ = stream.set_write_timeout(None);
}

/// Connects to `dest:port` through the TCP proxy `proxy` (Core's
/// `ConnectThroughProxy`), with Core's 20 s handshake step timeout and `timeout` for
/// reaching the proxy. `credentials` are offered when given: pass
/// [`StreamIsolation::next`] when [`Proxy::randomize_credentials`] is set.
pub fn connect_through_proxy(
    proxy: &Proxy,
    dest: &str,
    port: u16,
    timeout: Duration,
    credentials: Option<&ProxyCredentials>,
) -> Result<TcpStream, Socks5Error> {
    connect_through_proxy_with(proxy, dest, port, credentials, &Socks5Config::new(timeout))
}

/// [`connect_through_proxy`] with explicit timings and an interrupt flag.
pub fn connect_through_proxy_with(
    proxy: &Proxy,
    dest: &str,
    port: u16,
    credentials: Option<&ProxyCredentials>,
    config: &Socks5Config,
) -> Result<TcpStream, Socks5Error> {
    let addr = match &proxy.addr {
        ProxyAddr::Tcp(a) => *a,
        ProxyAddr::Unix(path) => {
            return Err(Socks5Error::UnixProxyNeedsUnixStream { path: path.clone() })
        }
    };
    let connect_timeout = config.connect_timeout.max(Duration::from_millis(1));
    let mut stream = match TcpStream::connect_timeout(&addr, connect_timeout) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
            return Err(Socks5Error::ProxyConnectTimeout {
                proxy: addr.to_string(),
            })
        }
        Err(e) => {
            return Err(Socks5Error::ProxyConnect {
                proxy: addr.to_string(),
                error: crate::listen::network_error_string(&e),
            })
        }
    };
    // Core turns Nagle off on every TCP socket it creates; a failure only costs latency.
    let _ = stream.set_nodelay(true);
    handshake(&mut stream, dest, port, credentials, config)?;
    clear_timeouts(&stream);
    Ok(stream)
}

/// Connects to `dest:port` through a proxy listening on a Unix socket (`-proxy=unix:`);
/// `path` may carry the `unix:` prefix.
#[cfg(unix)]
pub fn connect_through_unix_proxy(
    path: &str,
    dest: &str,
    port: u16,
    credentials: Option<&ProxyCredentials>,
    config: &Socks5Config,
) -> Result<UnixStream, Socks5Error> {
    let fs_path = path
        .strip_prefix(crate::proxy::ADDR_PREFIX_UNIX)
        .unwrap_or(path);
    let mut stream = UnixStream::connect(fs_path).map_err(|e| Socks5Error::ProxyConnect {
        proxy: fs_path.to_string(),
        error: crate::listen::network_error_string(&e),
    })?;
    handshake(&mut stream, dest, port, credentials, config)?;
    clear_timeouts(&stream);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, TcpListener};
    use std::thread::{self, JoinHandle};

    /// What the test proxy does after reading the client's greeting.
    #[derive(Clone)]
    enum Script {
        /// Answers method `method`; then (if user/pass) checks credentials; then expects a
        /// CONNECT for `dest:port` and answers `reply` with bound-address type `atyp`; on
        /// success relays to `relay_to`.
        Full {
            method: u8,
            creds: Option<(String, String)>,
            auth_status: u8,
            dest: String,
            port: u16,
            reply: u8,
            atyp: u8,
            relay_to: Option<SocketAddr>,
        },
        /// Closes right after reading the greeting.
        CloseAfterGreeting,
        /// Reads the greeting and then says nothing.
        Stall(Duration),
        /// Answers the greeting with a wrong version.
        BadVersion,
        /// Accepts the greeting, reads the CONNECT, answers with a wrong version.
        BadReplyVersion,
        /// Accepts the greeting, reads the CONNECT, then stalls.
        StallReply(Duration),
    }

    fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        s.read_exact(&mut b).unwrap();
        b
    }

    fn read_greeting(s: &mut TcpStream) -> Vec<u8> {
        let head = read_n(s, 2);
        assert_eq!(head[0], 5);
        let methods = read_n(s, usize::from(head[1]));
        [head, methods].concat()
    }

    fn read_connect(s: &mut TcpStream) -> (String, u16) {
        let head = read_n(s, 5);
        assert_eq!(&head[..4], &[5, 1, 0, 3], "CONNECT with a domain name");
        let name = read_n(s, usize::from(head[4]));
        let port = read_n(s, 2);
        (
            String::from_utf8(name).unwrap(),
            u16::from_be_bytes([port[0], port[1]]),
        )
    }

    fn spawn_proxy(script: Script) -> (SocketAddr, JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let greeting = read_greeting(&mut s);
            match script {
                Script::CloseAfterGreeting => {}
                Script::Stall(d) => thread::sleep(d),
                Script::BadVersion => s.write_all(&[4, 0]).unwrap(),
                Script::BadReplyVersion => {
                    s.write_all(&[5, 0]).unwrap();
                    read_connect(&mut s);
                    s.write_all(&[4, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                }
                Script::StallReply(d) => {
                    s.write_all(&[5, 0]).unwrap();
                    read_connect(&mut s);
                    thread::sleep(d);
                }
                Script::Full {
                    method,
                    creds,
                    auth_status,
                    dest,
                    port,
                    reply,
                    atyp,
                    relay_to,
                } => {
                    s.write_all(&[5, method]).unwrap();
                    if method == 0xff {
                        return greeting;
                    }
                    if let Some((u, p)) = creds {
                        let v = read_n(&mut s, 2);
                        assert_eq!(v[0], 1);
                        let user = read_n(&mut s, usize::from(v[1]));
                        let plen = read_n(&mut s, 1);
                        let pass = read_n(&mut s, usize::from(plen[0]));
                        assert_eq!(user, u.as_bytes());
                        assert_eq!(pass, p.as_bytes());
                        s.write_all(&[1, auth_status]).unwrap();
                        if auth_status != 0 {
                            return greeting;
                        }
                    }
                    let (d, p) = read_connect(&mut s);
                    assert_eq!(d, dest);
                    assert_eq!(p, port);
                    let mut resp = vec![5, reply, 0, atyp];
                    match atyp {
                        1 => resp.extend_from_slice(&[127, 0, 0, 1]),
                        4 => resp.extend_from_slice(&[0; 16]),
                        3 => {
                            resp.push(9);
                            resp.extend_from_slice(b"bound.tld");
                        }
                        _ => {}
                    }
                    resp.extend_from_slice(&[0x1f, 0x90]);
                    s.write_all(&resp).unwrap();
                    if let Some(target) = relay_to {
                        let up = TcpStream::connect(target).unwrap();
                        let mut up_r = up.try_clone().unwrap();
                        let mut down_w = s.try_clone().unwrap();
                        let t = thread::spawn(move || {
                            let _ = io::copy(&mut up_r, &mut down_w);
                        });
                        let mut up_w = up;
                        let _ = io::copy(&mut s, &mut up_w);
                        let _ = up_w.shutdown(std::net::Shutdown::Write);
                        t.join().unwrap();
                    }
                }
            }
            greeting
        });
        (addr, h)
    }

    fn full(dest: &str, port: u16, reply: u8) -> Script {
        Script::Full {
            method: 0,
            creds: None,
            auth_status: 0,
            dest: dest.into(),
            port,
            reply,
            atyp: 1,
            relay_to: None,
        }
    }

    fn proxy_at(addr: SocketAddr) -> Proxy {
        Proxy {
            addr: ProxyAddr::Tcp(addr),
            randomize_credentials: false,
        }
    }

    fn quick(recv: Duration) -> Socks5Config {
        Socks5Config {
            connect_timeout: Duration::from_secs(5),
            recv_timeout: recv,
            interrupt: None,
        }
    }

    #[test]
    fn success_without_credentials() {
        let (addr, h) = spawn_proxy(full("example.com", 8333, 0));
        let r = connect_through_proxy(
            &proxy_at(addr),
            "example.com",
            8333,
            Duration::from_secs(5),
            None,
        );
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(h.join().unwrap(), vec![5, 1, 0]);
    }

    #[test]
    fn success_with_credentials_and_every_bound_address_type() {
        for atyp in [1u8, 3, 4] {
            let iso = StreamIsolation::with_prefix("0011223344556677-");
            let creds = iso.next();
            assert_eq!(creds.username, "0011223344556677-0");
            let (addr, h) = spawn_proxy(Script::Full {
                method: 2,
                creds: Some((creds.username.clone(), creds.password.clone())),
                auth_status: 0,
                dest: "1.2.3.4".into(),
                port: 18444,
                reply: 0,
                atyp,
                relay_to: None,
            });
            let r = connect_through_proxy(
                &proxy_at(addr),
                "1.2.3.4",
                18444,
                Duration::from_secs(5),
                Some(&creds),
            );
            assert!(r.is_ok(), "atyp {atyp}: {r:?}");
            assert_eq!(h.join().unwrap(), vec![5, 2, 0, 2]);
        }
    }

    #[test]
    fn credentials_rejected_or_too_long() {
        let creds = ProxyCredentials {
            username: "u".into(),
            password: "p".into(),
        };
        let (addr, h) = spawn_proxy(Script::Full {
            method: 2,
            creds: Some(("u".into(), "p".into())),
            auth_status: 1,
            dest: String::new(),
            port: 0,
            reply: 0,
            atyp: 1,
            relay_to: None,
        });
        let e = connect_through_proxy(
            &proxy_at(addr),
            "x",
            1,
            Duration::from_secs(5),
            Some(&creds),
        )
        .unwrap_err();
        assert_eq!(e, Socks5Error::AuthRejected);
        assert_eq!(e.to_string(), "Proxy authentication unsuccessful");
        h.join().unwrap();

        let long = ProxyCredentials {
            username: "u".repeat(256),
            password: "p".into(),
        };
        let (addr, _h) = spawn_proxy(Script::Full {
            method: 2,
            creds: None,
            auth_status: 0,
            dest: String::new(),
            port: 0,
            reply: 0,
            atyp: 1,
            relay_to: None,
        });
        let e = connect_through_proxy(&proxy_at(addr), "x", 1, Duration::from_secs(5), Some(&long))
            .unwrap_err();
        assert_eq!(e.to_string(), "Proxy username or password too long");
        assert_eq!(e.log_level(), Some(Socks5LogLevel::Error));
    }

    #[test]
    fn no_acceptable_method() {
        let (addr, h) = spawn_proxy(Script::Full {
            method: 0xff,
            creds: None,
            auth_status: 0,
            dest: String::new(),
            port: 0,
            reply: 0,
            atyp: 1,
            relay_to: None,
        });
        let e = connect_through_proxy(&proxy_at(addr), "x", 1, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Proxy requested wrong authentication method ff"
        );
        h.join().unwrap();
    }

    #[test]
    fn every_failure_reply_code() {
        let codes: [(u8, &str); 17] = [
            (0x01, "general failure"),
            (0x02, "connection not allowed"),
            (0x03, "network unreachable"),
            (0x04, "host unreachable"),
            (0x05, "connection refused"),
            (0x06, "TTL expired"),
            (0x07, "protocol error"),
            (0x08, "address type not supported"),
            (0xf0, "onion service descriptor can not be found"),
            (0xf1, "onion service descriptor is invalid"),
            (0xf2, "onion service introduction failed"),
            (0xf3, "onion service rendezvous failed"),
            (0xf4, "onion service missing client authorization"),
            (0xf5, "onion service wrong client authorization"),
            (0xf6, "onion service invalid address"),
            (0xf7, "onion service introduction timed out"),
            (0x42, "unknown (0x42)"),
        ];
        for (code, text) in codes {
            let (addr, h) = spawn_proxy(full("peer.onion", 8333, code));
            let e = connect_through_proxy(
                &proxy_at(addr),
                "peer.onion",
                8333,
                Duration::from_secs(5),
                None,
            )
            .unwrap_err();
            assert_eq!(
                e,
                Socks5Error::Reply {
                    dest: "peer.onion".into(),
                    port: 8333,
                    code
                }
            );
            assert_eq!(
                e.to_string(),
                format!("Socks5() connect to peer.onion:8333 failed: {text}")
            );
            assert_eq!(e.log_level(), Some(Socks5LogLevel::NetDebug));
            assert!(!e.is_proxy_connection_failure());
            h.join().unwrap();
        }
    }

    #[test]
    fn proxy_closing_early() {
        let (addr, h) = spawn_proxy(Script::CloseAfterGreeting);
        let e = connect_through_proxy(&proxy_at(addr), "a.b", 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Socks5() connect to a.b:80 failed: InterruptibleRecv() timeout or other failure"
        );
        assert_eq!(e.log_level(), Some(Socks5LogLevel::Info));
        h.join().unwrap();
    }

    #[test]
    fn stalling_proxy_hits_the_deadline() {
        // The proxy stalls far longer than the deadline, so the bound below holds on a
        // loaded machine too.
        let (addr, h) = spawn_proxy(Script::Stall(Duration::from_secs(10)));
        let start = Instant::now();
        let e = connect_through_proxy_with(
            &proxy_at(addr),
            "a.b",
            80,
            None,
            &quick(Duration::from_millis(300)),
        )
        .unwrap_err();
        let took = start.elapsed();
        assert!(matches!(e, Socks5Error::GreetingRecv { .. }), "{e:?}");
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_secs(8), "{took:?}");
        h.join().unwrap();

        // A silent CONNECT reply is a peer that Tor could not reach: no log line.
        let (addr, h) = spawn_proxy(Script::StallReply(Duration::from_secs(10)));
        let e = connect_through_proxy_with(
            &proxy_at(addr),
            "a.b",
            80,
            None,
            &quick(Duration::from_millis(300)),
        )
        .unwrap_err();
        assert!(matches!(e, Socks5Error::ReplyTimeout { .. }), "{e:?}");
        assert_eq!(e.log_line(), None);
        h.join().unwrap();
    }

    #[test]
    fn interrupt_stops_a_wait() {
        let (addr, h) = spawn_proxy(Script::Stall(Duration::from_secs(10)));
        let flag = Arc::new(AtomicBool::new(false));
        let cfg = Socks5Config {
            connect_timeout: Duration::from_secs(5),
            recv_timeout: Duration::from_secs(20),
            interrupt: Some(flag.clone()),
        };
        let setter = thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::SeqCst);
        });
        let start = Instant::now();
        let e = connect_through_proxy_with(&proxy_at(addr), "a.b", 80, None, &cfg).unwrap_err();
        assert!(matches!(e, Socks5Error::GreetingRecv { .. }), "{e:?}");
        assert!(start.elapsed() < Duration::from_secs(8));
        setter.join().unwrap();
        h.join().unwrap();
    }

    #[test]
    fn bad_versions() {
        let (addr, h) = spawn_proxy(Script::BadVersion);
        let e = connect_through_proxy(&proxy_at(addr), "a.b", 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(e.to_string(), "Proxy failed to initialize");
        h.join().unwrap();

        let (addr, h) = spawn_proxy(Script::BadReplyVersion);
        let e = connect_through_proxy(&proxy_at(addr), "a.b", 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(e.to_string(), "Proxy failed to accept request");
        h.join().unwrap();
    }

    #[test]
    fn malformed_bound_address_type() {
        let (addr, h) = spawn_proxy(Script::Full {
            method: 0,
            creds: None,
            auth_status: 0,
            dest: "a.b".into(),
            port: 80,
            reply: 0,
            atyp: 9,
            relay_to: None,
        });
        let e = connect_through_proxy(&proxy_at(addr), "a.b", 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(e, Socks5Error::Malformed);
        assert_eq!(e.to_string(), "Error: malformed proxy response");
        h.join().unwrap();
    }

    #[test]
    fn hostname_too_long_is_refused_before_sending() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let name = "a".repeat(256);
        let e = connect_through_proxy(&proxy_at(addr), &name, 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert_eq!(e, Socks5Error::HostnameTooLong);
        assert_eq!(e.to_string(), "Hostname too long");
        // 255 bytes still fit.
        let (addr, h) = spawn_proxy(full(&"b".repeat(255), 1, 0));
        let r = connect_through_proxy(
            &proxy_at(addr),
            &"b".repeat(255),
            1,
            Duration::from_secs(5),
            None,
        );
        assert!(r.is_ok());
        h.join().unwrap();
    }

    #[test]
    fn unreachable_proxy() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = connect_through_proxy(&proxy_at(addr), "a.b", 80, Duration::from_secs(5), None)
            .unwrap_err();
        assert!(e.is_proxy_connection_failure());
        assert!(
            e.to_string()
                .starts_with(&format!("connect() to {addr} failed after wait: ")),
            "{e}"
        );
        let unix = Proxy {
            addr: ProxyAddr::Unix("unix:/nonexistent/sock".into()),
            randomize_credentials: true,
        };
        let e = connect_through_proxy(&unix, "a.b", 80, Duration::from_secs(5), None).unwrap_err();
        assert!(e.is_proxy_connection_failure());
    }

    #[test]
    fn data_flows_end_to_end() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let echo_addr = echo.local_addr().unwrap();
        let echo_thread = thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 64];
            loop {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).unwrap();
            }
        });
        let (addr, h) = spawn_proxy(Script::Full {
            method: 0,
            creds: None,
            auth_status: 0,
            dest: "127.0.0.1".into(),
            port: echo_addr.port(),
            reply: 0,
            atyp: 3,
            relay_to: Some(echo_addr),
        });
        let mut s = connect_through_proxy(
            &proxy_at(addr),
            "127.0.0.1",
            echo_addr.port(),
            Duration::from_secs(5),
            None,
        )
        .unwrap();
        assert_eq!(s.read_timeout().unwrap(), None);
        s.write_all(b"version").unwrap();
        let mut back = [0u8; 7];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"version");
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        h.join().unwrap();
        echo_thread.join().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn unix_socket_proxy() {
        use std::os::unix::net::UnixListener;
        let dir = std::env::temp_dir().join(format!("socks5-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("proxy.sock");
        let _ = std::fs::remove_file(&path);
        let l = UnixListener::bind(&path).unwrap();
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut g = [0u8; 3];
            s.read_exact(&mut g).unwrap();
            assert_eq!(g, [5, 1, 0]);
            s.write_all(&[5, 0]).unwrap();
            let mut req = [0u8; 5 + 5 + 2];
            s.read_exact(&mut req).unwrap();
            assert_eq!(&req[..5], &[5, 1, 0, 3, 5]);
            assert_eq!(&req[5..10], b"x.org");
            s.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        });
        let cfg = Socks5Config::new(Duration::from_secs(5));
        let spec = format!("unix:{}", path.display());
        let r = connect_through_unix_proxy(&spec, "x.org", 80, None, &cfg);
        assert!(r.is_ok(), "{r:?}");
        h.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn stream_isolation_counts_under_a_random_prefix() {
        let a = StreamIsolation::new();
        let b = StreamIsolation::new();
        assert_ne!(a.prefix(), b.prefix());
        assert_eq!(a.prefix().len(), 2 * StreamIsolation::PREFIX_BYTES + 1);
        assert!(a.prefix().ends_with('-'));
        let first = a.next();
        let second = a.next();
        assert_eq!(first.username, format!("{}0", a.prefix()));
        assert_eq!(first.username, first.password);
        assert_eq!(second.username, format!("{}1", a.prefix()));
        assert!(std::ptr::eq(
            StreamIsolation::global(),
            StreamIsolation::global()
        ));
    }
}
