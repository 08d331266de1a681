//! HTTP Basic authentication against `-rpcauth` entries, `-rpcuser` /
//! `-rpcpassword` and the random cookie, as Core's `httprpc.cpp`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use bitcoin::hex::DisplayHex;
pub(crate) use common::strutil::decode_base64;

/// User name written into the cookie file.
pub const COOKIE_USER: &str = "__cookie__";

/// One accepted credential: user, salt, and the hex HMAC-SHA256(salt, password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcAuthEntry {
    /// User name.
    pub user: String,
    /// Salt, used as the HMAC key as text.
    pub salt: String,
    /// Lower-case hex HMAC, compared as text.
    pub hash: String,
}

impl RpcAuthEntry {
    /// Parses an `-rpcauth` value `user:salt$hash`; `None` if malformed (Core's
    /// "Invalid -rpcauth argument.").
    pub fn parse(value: &str) -> Option<RpcAuthEntry> {
        let fields: Vec<&str> = value.split(':').collect();
        let last = fields.last()?;
        let salt_hash: Vec<&str> = last.split('$').collect();
        if fields.len() != 2 || salt_hash.len() != 2 {
            return None;
        }
        Some(RpcAuthEntry {
            user: fields[0].to_string(),
            salt: salt_hash[0].to_string(),
            hash: salt_hash[1].to_string(),
        })
    }

    /// An entry for a plaintext user and password, with a fresh random salt.
    pub fn from_password(user: &str, password: &str) -> std::io::Result<RpcAuthEntry> {
        let salt = random_bytes::<16>()?.to_lower_hex_string();
        let hash = hmac_hex(&salt, password.as_bytes());
        Ok(RpcAuthEntry {
            user: user.to_string(),
            salt,
            hash,
        })
    }
}

/// All credentials the server accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Entries, checked in order.
    pub entries: Vec<RpcAuthEntry>,
}

fn hmac_hex(key: &str, msg: &[u8]) -> String {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(key.as_bytes());
    engine.input(msg);
    hmac::Hmac::<sha256::Hash>::from_engine(engine)
        .to_byte_array()
        .to_lower_hex_string()
}

/// Equality that takes the same time wherever the inputs differ.
fn timing_resistant_eq(a: &[u8], b: &[u8]) -> bool {
    if b.is_empty() {
        return a.is_empty();
    }
    let mut acc = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        acc |= usize::from(x ^ b[i % b.len()]);
    }
    acc == 0
}

/// Whether `password` matches the `-rpcauth`-style `salt` and `hash`.
pub fn check_rpcauth(salt: &str, hash: &str, password: &[u8]) -> bool {
    timing_resistant_eq(hmac_hex(salt, password).as_bytes(), hash.as_bytes())
}

impl Credentials {
    /// Whether some entry accepts this user and password.
    pub fn check(&self, user: &[u8], password: &[u8]) -> bool {
        self.entries.iter().any(|e| {
            timing_resistant_eq(e.user.as_bytes(), user)
                && check_rpcauth(&e.salt, &e.hash, password)
        })
    }

    /// Checks an `Authorization` header value; returns (user as sent, accepted).
    /// The user is `None` when the header is not well-formed Basic auth.
    pub fn check_header(&self, header: &[u8]) -> (Option<String>, bool) {
        let Some(rest) = header.strip_prefix(b"Basic ") else {
            return (None, false);
        };
        let Some(decoded) = decode_base64(trim(rest)) else {
            return (None, false);
        };
        let Some(colon) = decoded.iter().position(|&b| b == b':') else {
            return (None, false);
        };
        let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
        let ok = self.check(user, pass);
        (Some(String::from_utf8_lossy(user).into_owned()), ok)
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |p| p + 1);
    &b[start..end.max(start)]
}

pub(crate) use common::random::random_bytes;

/// Core's `-rpccookieperms` values as Unix modes.
pub fn cookie_perms_from_str(s: &str) -> Option<u32> {
    match s {
        "owner" => Some(0o600),
        "group" => Some(0o640),
        "all" => Some(0o644),
        _ => None,
    }
}

/// Unix mode bits as `rwxr-x---`.
pub(crate) fn symbolic_perms(mode: u32) -> String {
    let letters = [b'r', b'w', b'x'];
    (0..9)
        .map(|i| {
            if mode & (0o400 >> i) != 0 {
                letters[i % 3] as char
            } else {
                '-'
            }
        })
        .collect()
}

/// Why the cookie could not be written (Core logs these as warnings).
#[derive(Debug)]
pub(crate) enum CookieError {
    Open(PathBuf),
    Rename(PathBuf, PathBuf),
    Perms(PathBuf),
    Random,
}

impl std::fmt::Display for CookieError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CookieError::Open(p) => write!(
                f,
                "Unable to open cookie authentication file {} for writing",
                p.display()
            ),
            CookieError::Rename(a, b) => write!(
                f,
                "Unable to rename cookie authentication file {} to {}",
                a.display(),
                b.display()
            ),
            CookieError::Perms(p) => write!(
                f,
                "Unable to set permissions on cookie authentication file {}",
                p.display()
            ),
            CookieError::Random => f.write_str("Unable to read random bytes for the cookie"),
        }
    }
}

/// Writes a fresh cookie `__cookie__:<64 hex>` to `path` (through `path.tmp`
/// and a rename), returning the password and the file's final mode.
pub(crate) fn write_cookie(path: &Path, perms: Option<u32>) -> Result<(String, u32), CookieError> {
    let password = random_bytes::<32>()
        .map_err(|_| CookieError::Random)?
        .to_lower_hex_string();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts
        .open(&tmp)
        .map_err(|_| CookieError::Open(tmp.clone()))?;
    file.write_all(format!("{COOKIE_USER}:{password}").as_bytes())
        .map_err(|_| CookieError::Open(tmp.clone()))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|_| CookieError::Rename(tmp.clone(), path.to_path_buf()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Some(mode) = perms {
            fs::set_permissions(path, fs::Permissions::from_mode(mode))
                .map_err(|_| CookieError::Perms(path.to_path_buf()))?;
        }
        let mode = fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        Ok((password, mode))
    }
    #[cfg(not(unix))]
    {
        let _ = perms;
        Ok((password, 0o600))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn rpcauth_line_from_rpcauth_py() {
        // From Core's rpc_users.py.
        let e = RpcAuthEntry::parse(
            "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
        )
        .unwrap();
        let creds = Credentials { entries: vec![e] };
        assert!(creds.check(b"rt", b"cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="));
        assert!(!creds.check(b"rt", b"cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=wrong"));
        assert!(!creds.check(b"rtwrong", b"cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="));
        let e = RpcAuthEntry::parse(
            "user1:6dd184e5e69271fdd69103464630014f$eb3d7ce67c4d1ff3564270519b03b636c0291012692a5fa3dd1d2075daedd07b",
        )
        .unwrap();
        assert!(check_rpcauth(&e.salt, &e.hash, b"bitcoin"));
    }

    #[test]
    fn malformed_rpcauth() {
        for bad in [
            "",
            "\"\"",
            "foo",
            "foo:bar",
            "foo:bar:baz",
            "foo$bar:baz",
            "foo$bar$baz",
            "a:b$c$d",
        ] {
            assert!(RpcAuthEntry::parse(bad).is_none(), "{bad}");
        }
        assert!(RpcAuthEntry::parse(":$").is_some());
    }

    #[test]
    fn basic_header() {
        let creds = Credentials {
            entries: vec![RpcAuthEntry::from_password("u", "p:w").unwrap()],
        };
        // "u:p:w"
        assert_eq!(
            creds.check_header(b"Basic dTpwOnc="),
            (Some("u".into()), true)
        );
        assert_eq!(
            creds.check_header(b"Basic  dTpwOnc= "),
            (Some("u".into()), true)
        );
        assert_eq!(creds.check_header(b"basic dTpwOnc="), (None, false));
        assert_eq!(creds.check_header(b"Basic dTpwOnc"), (None, false));
        // "u:x"
        assert_eq!(creds.check_header(b"Basic dTp4"), (Some("u".into()), false));
        // "ux" has no colon
        assert_eq!(creds.check_header(b"Basic dXg="), (None, false));
    }

    #[test]
    fn base64_strict() {
        assert_eq!(decode_base64(b"").unwrap(), b"");
        assert_eq!(decode_base64(b"Zm9vYg==").unwrap(), b"foob");
        assert_eq!(decode_base64(b"Zm9vYmE=").unwrap(), b"fooba");
        assert_eq!(decode_base64(b"Zm9vYmFy").unwrap(), b"foobar");
        assert!(decode_base64(b"Zm9vYh==").is_none());
        assert!(decode_base64(b"Zm9").is_none());
        assert!(decode_base64(b"Zm9v!===").is_none());
    }

    #[test]
    fn perms() {
        assert_eq!(symbolic_perms(0o600), "rw-------");
        assert_eq!(symbolic_perms(0o644), "rw-r--r--");
        assert_eq!(cookie_perms_from_str("group"), Some(0o640));
        assert_eq!(cookie_perms_from_str("x"), None);
    }
}
