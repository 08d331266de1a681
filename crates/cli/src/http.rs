//! A small blocking HTTP/1.1 client for JSON-RPC, behaving as Core's.
//!
//! One connection per request (`Connection: close`); the reply body is framed
//! by `Transfer-Encoding: chunked`, `Content-Length`, or the end of the
//! connection. Every failure to talk to the server is a
//! [`TransportError::ConnectionFailed`] whose text names the server, so that
//! `-rpcwait` retries it.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::transport::{Credentials, HttpConfig, Transport, TransportError};

/// Sends requests over HTTP to one server.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    config: HttpConfig,
}

/// What went wrong inside one exchange (before adding the server's name).
#[derive(Debug)]
enum Failure {
    /// A connection-level failure, with its short text.
    Conn(String),
    /// The peer closed the connection.
    Eof,
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Failure::Conn(m) => m.clone(),
            Failure::Eof => "EOF".to_string(),
        }
    }
}

fn http_error(msg: &str) -> Failure {
    Failure::Conn(format!("HTTP error: {msg}"))
}

/// How the cookie lookup went, for the authorization-failure message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CookieResult {
    Disabled,
    Error,
    Ok,
}

pub use common::strutil::encode_base64 as base64;

/// Core's `SplitHostPort` with no default port (0 when none is given).
pub fn split_host_port(input: &str) -> Option<(String, u16)> {
    common::strutil::split_host_port(input, 0)
}

pub use common::strutil::parse_u16;

impl HttpTransport {
    /// A transport for `config`.
    pub fn new(config: HttpConfig) -> HttpTransport {
        HttpTransport { config }
    }

    /// The `user:password` credentials and how the cookie lookup went.
    fn credentials(&self) -> (String, Option<CookieResult>) {
        match &self.config.credentials {
            Credentials::Password(userpass) => (userpass.clone(), None),
            Credentials::Cookie(None) => (String::new(), Some(CookieResult::Disabled)),
            Credentials::Cookie(Some(path)) => match std::fs::read(path) {
                Ok(bytes) => {
                    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
                    (
                        String::from_utf8_lossy(first).into_owned(),
                        Some(CookieResult::Ok),
                    )
                }
                Err(_) => (String::new(), Some(CookieResult::Error)),
            },
        }
    }

    fn connect(&self, deadline: Option<Instant>) -> Result<TcpStream, Failure> {
        let host = &self.config.host;
        let addrs: Vec<_> = match (host.as_str(), self.config.port).to_socket_addrs() {
            Ok(a) => a.take(256).collect(),
            Err(_) => Vec::new(),
        };
        if addrs.is_empty() {
            return Err(Failure::Conn(format!("Could not resolve host: {host}")));
        }
        for addr in addrs {
            let stream = match deadline {
                None => TcpStream::connect(addr),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    TcpStream::connect_timeout(&addr, left)
                }
            };
            if let Ok(s) = stream {
                return Ok(s);
            }
        }
        Err(Failure::Conn("Could not connect to the server".to_string()))
    }

    fn exchange(&self, body: &str, uri: &str, auth: &str) -> Result<(u16, String), Failure> {
        let deadline = self.config.timeout.map(|t| Instant::now() + t);
        let mut stream = self.connect(deadline)?;
        let mut request = format!(
            "POST {uri} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.config.host,
            body.len()
        );
        request.push_str("Content-Type: application/json\r\n");
        request.push_str(&format!(
            "Authorization: Basic {}\r\n\r\n",
            base64(auth.as_bytes())
        ));
        request.push_str(body);
        let send_deadline = self.config.timeout.map(|t| Instant::now() + t);
        if let Some(d) = send_deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() || stream.set_write_timeout(Some(left)).is_err() {
                return Err(Failure::Conn("Failed to send HTTP request".to_string()));
            }
        }
        if stream.write_all(request.as_bytes()).is_err() || stream.flush().is_err() {
            return Err(Failure::Conn("Failed to send HTTP request".to_string()));
        }
        let mut reader = Reader {
            stream,
            deadline: self.config.timeout.map(|t| Instant::now() + t),
        };
        read_response(&mut reader)
    }
}

impl Transport for HttpTransport {
    fn call(&self, request_body: &str, uri: &str) -> Result<(u16, String), TransportError> {
        let (auth, cookie) = self.credentials();
        let (status, body) = self.exchange(request_body, uri, &auth).map_err(|f| {
            let detail = f.text();
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            };
            TransportError::ConnectionFailed(format!(
                "Error while attempting to communicate with server {}:{}{detail}\n\n\
                 Make sure the bitcoind server is running and that you are connecting to the correct RPC port.\n\
                 Use \"bitcoin-cli -help\" for more info.",
                self.config.host, self.config.port
            ))
        })?;
        if status == 401 {
            let why = match cookie {
                Some(CookieResult::Error) => {
                    "Failed to read cookie file and no rpcpassword was specified."
                }
                Some(CookieResult::Disabled) => {
                    "Cookie file was disabled via -norpccookiefile and no rpcpassword was specified."
                }
                Some(CookieResult::Ok) => {
                    "Cookie file credentials were invalid and no rpcpassword was specified."
                }
                None => "Incorrect rpcuser or rpcpassword were specified.",
            };
            return Err(TransportError::Other(format!(
                "Authorization failed: {why} Configuration file: ({})",
                self.config.config_path.display()
            )));
        }
        Ok((status, body))
    }
}

/// Reads from the socket against a deadline.
struct Reader {
    stream: TcpStream,
    deadline: Option<Instant>,
}

impl Reader {
    /// Appends what arrives next to `buf`.
    fn recv(&mut self, buf: &mut Vec<u8>) -> Result<(), Failure> {
        loop {
            let timeout = match self.deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Failure::Conn("timeout".to_string()));
                    }
                    Some(left)
                }
                None => None,
            };
            if self.stream.set_read_timeout(timeout).is_err() {
                return Err(Failure::Conn("timeout".to_string()));
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(Failure::Eof),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Failure::Conn("timeout".to_string()))
                }
                Err(e) => return Err(Failure::Conn(format!("Read error: {e}"))),
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\x0c', '\n', '\r', '\t', '\x0b'])
}

fn read_response(reader: &mut Reader) -> Result<(u16, String), Failure> {
    let mut buf = Vec::new();
    let headers_end = loop {
        reader.recv(&mut buf)?;
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..headers_end]).into_owned();
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines
        .next()
        .ok_or_else(|| http_error("Failed to read status line"))?;
    if status_line.len() < 12 || !status_line.starts_with("HTTP/") {
        return Err(http_error("Invalid status line"));
    }
    let space = status_line
        .find(' ')
        .filter(|&s| s + 4 <= status_line.len())
        .ok_or_else(|| http_error("Invalid status line format"))?;
    let code = status_line
        .get(space + 1..space + 4)
        .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| http_error("Invalid status code"))?;

    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| http_error("Header missing colon (:)"))?;
        let (k, v) = (trim(k), trim(v));
        if k.is_empty() {
            return Err(http_error("Empty header name"));
        }
        headers.push((k.to_string(), v.to_string()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let mut content_length = 0usize;
    if !chunked {
        if let Some(v) = header("content-length") {
            content_length = v
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| v.parse::<usize>().ok())
                .flatten()
                .ok_or_else(|| http_error("Invalid Content-Length"))?;
        }
    }
    let mut rest = buf.split_off(headers_end);

    let body = if chunked {
        read_chunked(reader, rest)?
    } else if content_length > 0 {
        while rest.len() < content_length {
            reader.recv(&mut rest)?;
        }
        rest.truncate(content_length);
        rest
    } else {
        loop {
            match reader.recv(&mut rest) {
                Ok(()) => {}
                Err(Failure::Eof) => break,
                Err(e) => return Err(e),
            }
        }
        rest
    };
    Ok((code, String::from_utf8_lossy(&body).into_owned()))
}

fn read_chunked(reader: &mut Reader, mut buf: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        if let Some(line_end) = find(&buf, b"\r\n") {
            let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
            let size_text = trim(line.split(';').next().unwrap_or(""));
            let size = (!size_text.is_empty() && size_text.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u64::from_str_radix(size_text, 16).ok())
                .flatten()
                .ok_or_else(|| http_error("Invalid chunk size"))?;
            if size == 0 {
                // Skip any trailer lines up to the empty line that ends the message.
                buf.drain(..line_end + 2);
                loop {
                    match find(&buf, b"\r\n") {
                        Some(p) => {
                            buf.drain(..p + 2);
                            if p == 0 {
                                return Ok(body);
                            }
                        }
                        None => reader.recv(&mut buf)?,
                    }
                }
            }
            let start = line_end + 2;
            let size = usize::try_from(size)
                .ok()
                .filter(|s| *s <= usize::MAX - start - 2)
                .ok_or_else(|| http_error("Chunk size too large"))?;
            let end = start + size + 2;
            if buf.len() >= end {
                body.extend_from_slice(&buf[start..start + size]);
                buf.drain(..end);
                continue;
            }
        }
        reader.recv(&mut buf)?;
    }
}

/// A timeout from `-rpcclienttimeout` (seconds; 0 or less means none).
pub fn client_timeout(seconds: i64) -> Option<Duration> {
    u64::try_from(seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
    }

    #[test]
    fn host_port_splitting() {
        assert_eq!(split_host_port("127.0.0.1"), Some(("127.0.0.1".into(), 0)));
        assert_eq!(split_host_port("host:18443"), Some(("host".into(), 18443)));
        assert_eq!(split_host_port("[::1]:5"), Some(("::1".into(), 5)));
        assert_eq!(split_host_port("[::1]"), Some(("::1".into(), 0)));
        assert_eq!(split_host_port("::1"), Some(("::1".into(), 0)));
        assert_eq!(split_host_port("host:0"), None);
        assert_eq!(split_host_port("host:x"), None);
        assert_eq!(split_host_port("host:"), None);
        assert_eq!(split_host_port("host:70000"), None);
    }

    fn serve_raw(reply: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(reply);
            }
        });
        port
    }

    fn call(port: u16) -> Result<(u16, String), TransportError> {
        HttpTransport::new(HttpConfig {
            host: "127.0.0.1".into(),
            port,
            timeout: Some(Duration::from_secs(10)),
            credentials: Credentials::Password("u:p".into()),
            config_path: "/x/bitcoin.conf".into(),
        })
        .call("{}", "/")
    }

    #[test]
    fn framing_variants() {
        let p = serve_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcdEXTRA");
        assert_eq!(call(p).unwrap(), (200, "abcd".into()));
        let p = serve_raw(b"HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n");
        assert_eq!(call(p).unwrap(), (500, "abcde".into()));
        let p = serve_raw(b"HTTP/1.0 404 Not Found\r\n\r\nuntil close");
        assert_eq!(call(p).unwrap(), (404, "until close".into()));
    }

    #[test]
    fn malformed_replies() {
        let p = serve_raw(b"HTTP/1.1 2x0 OK\r\n\r\n");
        let e = call(p).unwrap_err().to_string();
        assert!(
            e.contains(&format!("127.0.0.1:{p} (HTTP error: Invalid status code)")),
            "{e}"
        );
        let p = serve_raw(b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n");
        assert!(call(p)
            .unwrap_err()
            .to_string()
            .contains("(HTTP error: Header missing colon (:))"));
        let p = serve_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
        assert!(call(p).unwrap_err().to_string().contains("(EOF)"));
        let p = serve_raw(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            call(p).unwrap_err(),
            TransportError::Other("Authorization failed: Incorrect rpcuser or rpcpassword were specified. Configuration file: (/x/bitcoin.conf)".into())
        );
    }

    #[test]
    fn refused_connection_message() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = call(port).unwrap_err();
        assert_eq!(
            e,
            TransportError::ConnectionFailed(format!(
                "Error while attempting to communicate with server 127.0.0.1:{port} (Could not connect to the server)\n\nMake sure the bitcoind server is running and that you are connecting to the correct RPC port.\nUse \"bitcoin-cli -help\" for more info."
            ))
        );
    }
}
