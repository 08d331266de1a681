//! HTTP RPC server settings from the `-rpc*` options, with Core's defaults
//! and validation.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{ArgsManager, ChainType};

use super::auth::{cookie_perms_from_str, RpcAuthEntry};
use super::subnet::Subnet;
use crate::jsonrpc::Whitelist;

/// Core's `DEFAULT_HTTP_THREADS`.
pub const DEFAULT_HTTP_THREADS: usize = 16;
/// Core's `DEFAULT_HTTP_WORKQUEUE`.
pub const DEFAULT_HTTP_WORKQUEUE: usize = 64;
/// Core's `DEFAULT_HTTP_SERVER_TIMEOUT` in seconds.
pub const DEFAULT_HTTP_SERVER_TIMEOUT: u64 = 30;
/// Largest request body accepted (Core's `MAX_BODY_SIZE`, 32 MiB).
pub const MAX_BODY_SIZE: u64 = 32 << 20;

/// How the server authenticates clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// No `-rpcpassword`: a random cookie is generated at start (unless the
    /// cookie file is disabled).
    Cookie {
        /// Where to write it; `None` with `-norpccookiefile`.
        path: Option<PathBuf>,
        /// `-rpccookieperms` as a Unix mode (default: owner only).
        perms: Option<u32>,
    },
    /// `-rpcuser` / `-rpcpassword`.
    UserPassword {
        /// User name (may be empty).
        user: String,
        /// Password.
        password: String,
    },
}

/// Settings of the HTTP RPC server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Endpoints to bind as (host text as logged, port).
    pub bind: Vec<(String, u16)>,
    /// Networks allowed to connect (always 127.0.0.0/8 and ::1 first).
    pub allow: Vec<Subnet>,
    /// Warnings Core logs while setting up the listeners (`-rpcbind` ignored ...).
    pub warnings: Vec<String>,
    /// Cookie or user/password.
    pub password: PasswordSource,
    /// `-rpcauth` entries.
    pub rpcauth: Vec<RpcAuthEntry>,
    /// `-rpcwhitelist` / `-rpcwhitelistdefault`.
    pub whitelist: Whitelist,
    /// `-rpcthreads` (at least 1).
    pub threads: usize,
    /// `-rpcworkqueue` (at least 1): requests waiting beyond this are refused with 503.
    pub work_queue: usize,
    /// `-rpcservertimeout`: idle keep-alive connections are closed after this (`None`: never).
    pub server_timeout: Option<Duration>,
    /// Serve `/wallet/<name>` too (Core does when built with wallet support and
    /// without `-disablewallet`; a node without wallets should set this to false).
    pub wallet_endpoint: bool,
    /// `-logips`: include peer addresses in the per-request log line.
    pub log_ips: bool,
    /// Delay before answering a wrong password (Core: 250 ms).
    pub auth_failure_delay: Duration,
}

/// Invalid `-rpc*` options. The `Display` text is what Core reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpConfigError {
    /// `-rpcport` or `-rpcbind` with a bad port (Core: init error "Invalid port specified in ...").
    InvalidPort {
        /// `-rpcport` or `-rpcbind`.
        option: &'static str,
        /// The value given.
        value: String,
    },
    /// `-rpcallowip` that is not a subnet.
    InvalidAllowIp(String),
    /// A malformed `-rpcauth` (Core logs a warning and fails to start the HTTP server).
    InvalidRpcAuth,
    /// A `-rpccookieperms` other than owner/group/all.
    InvalidCookiePerms(String),
}

impl fmt::Display for HttpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpConfigError::InvalidPort { option, value } => {
                write!(f, "Invalid port specified in {option}: '{value}'")
            }
            HttpConfigError::InvalidAllowIp(s) => write!(
                f,
                "Invalid -rpcallowip subnet specification: {s}. Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if -cjdnsreachable=0."
            ),
            HttpConfigError::InvalidRpcAuth => f.write_str("Invalid -rpcauth argument."),
            HttpConfigError::InvalidCookiePerms(s) => write!(
                f,
                "Invalid -rpccookieperms={s}; must be one of 'owner', 'group', or 'all'."
            ),
        }
    }
}

impl std::error::Error for HttpConfigError {}

pub use common::strutil::split_host_port;

/// Resolves `value` against `net_dir` unless absolute (Core's `AbsPathForConfigVal`).
fn abs_path(net_dir: &Path, value: &str) -> PathBuf {
    let p = Path::new(value);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        net_dir.join(p)
    }
}

impl HttpConfig {
    /// Defaults for `chain` with no options: loopback on the chain's port,
    /// cookie in `net_dir`.
    pub fn new(chain: ChainType, net_dir: &Path) -> HttpConfig {
        let port = chain.rpc_port();
        HttpConfig {
            bind: vec![("::1".into(), port), ("127.0.0.1".into(), port)],
            allow: default_allow(),
            warnings: Vec::new(),
            password: PasswordSource::Cookie {
                path: Some(net_dir.join(".cookie")),
                perms: None,
            },
            rpcauth: Vec::new(),
            whitelist: Whitelist::default(),
            threads: DEFAULT_HTTP_THREADS,
            work_queue: DEFAULT_HTTP_WORKQUEUE,
            server_timeout: Some(Duration::from_secs(DEFAULT_HTTP_SERVER_TIMEOUT)),
            wallet_endpoint: true,
            log_ips: false,
            auth_failure_delay: Duration::from_millis(250),
        }
    }

    /// Reads the `-rpc*` options (and `-logips`) as Core does.
    pub fn from_args(
        args: &ArgsManager,
        chain: ChainType,
        net_dir: &Path,
    ) -> Result<HttpConfig, HttpConfigError> {
        let mut cfg = HttpConfig::new(chain, net_dir);

        let mut port = chain.rpc_port();
        if let Some(v) = args.get_arg("-rpcport") {
            match common::strutil::parse_u16(&v) {
                Some(n) if n != 0 => port = n,
                _ => {
                    return Err(HttpConfigError::InvalidPort {
                        option: "-rpcport",
                        value: v,
                    })
                }
            }
        }
        let binds: Vec<String> = args
            .get_args("-rpcbind")
            .iter()
            .map(|s| s.to_string())
            .collect();
        let allows: Vec<String> = args
            .get_args("-rpcallowip")
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut endpoints = Vec::new();
        for b in &binds {
            match split_host_port(b, port) {
                Some(ep) => endpoints.push(ep),
                None => {
                    return Err(HttpConfigError::InvalidPort {
                        option: "-rpcbind",
                        value: b.clone(),
                    })
                }
            }
        }
        for a in &allows {
            let subnet =
                Subnet::parse(a).ok_or_else(|| HttpConfigError::InvalidAllowIp(a.clone()))?;
            cfg.allow.push(subnet);
        }
        if allows.is_empty() || binds.is_empty() {
            cfg.bind = vec![("::1".into(), port), ("127.0.0.1".into(), port)];
            if !allows.is_empty() {
                cfg.warnings.push(
                    "Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense"
                        .into(),
                );
            }
            if !binds.is_empty() {
                cfg.warnings.push("Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect".into());
            }
        } else {
            cfg.bind = endpoints;
        }

        let password = args.get_arg("-rpcpassword").unwrap_or_default();
        if password.is_empty() {
            let perms = match args.get_arg("-rpccookieperms") {
                None => None,
                Some(p) => {
                    Some(cookie_perms_from_str(&p).ok_or(HttpConfigError::InvalidCookiePerms(p))?)
                }
            };
            let path = match args.get_arg("-rpccookiefile") {
                None => Some(net_dir.join(".cookie")),
                Some(v) if v == "0" => None,
                Some(v) if v.is_empty() => Some(net_dir.join(".cookie")),
                Some(v) => Some(abs_path(net_dir, &v)),
            };
            cfg.password = PasswordSource::Cookie { path, perms };
        } else {
            cfg.password = PasswordSource::UserPassword {
                user: args.get_arg("-rpcuser").unwrap_or_default(),
                password,
            };
        }
        for value in args.get_args("-rpcauth") {
            let entry = RpcAuthEntry::parse(&value).ok_or(HttpConfigError::InvalidRpcAuth)?;
            cfg.rpcauth.push(entry);
        }

        let whitelist: Vec<String> = args
            .get_args("-rpcwhitelist")
            .iter()
            .map(|s| s.to_string())
            .collect();
        let default = args
            .is_arg_set("-rpcwhitelistdefault")
            .then(|| args.get_bool_arg("-rpcwhitelistdefault", false));
        cfg.whitelist = Whitelist::from_args(&whitelist, default);

        // Both are read as C `int`s in Core.
        let as_int = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX));
        cfg.threads =
            as_int(args.get_int_arg("-rpcthreads", DEFAULT_HTTP_THREADS as i64)).max(1) as usize;
        cfg.work_queue = as_int(args.get_int_arg("-rpcworkqueue", DEFAULT_HTTP_WORKQUEUE as i64))
            .max(1) as usize;
        let timeout = args.get_int_arg("-rpcservertimeout", DEFAULT_HTTP_SERVER_TIMEOUT as i64);
        cfg.server_timeout = (timeout > 0).then(|| Duration::from_secs(timeout as u64));
        cfg.log_ips = args.get_bool_arg("-logips", false);
        // Core registers /wallet/ only with wallet support enabled.
        cfg.wallet_endpoint = !args.get_bool_arg("-disablewallet", false);
        Ok(cfg)
    }
}

/// The always-allowed loopback networks.
fn default_allow() -> Vec<Subnet> {
    let v4 = Subnet::with_prefix(std::net::Ipv4Addr::LOCALHOST.into(), 8);
    let v6 = Subnet::single(std::net::Ipv6Addr::LOCALHOST.into());
    v4.into_iter().chain(std::iter::once(v6)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn args(list: &[&str]) -> ArgsManager {
        let mut a = ArgsManager::new(&[
            "rpcport",
            "rpcbind",
            "rpcallowip",
            "rpcuser",
            "rpcpassword",
            "rpcauth",
            "rpccookiefile",
            "rpccookieperms",
            "rpcwhitelist",
            "rpcwhitelistdefault",
            "rpcthreads",
            "rpcworkqueue",
            "rpcservertimeout",
            "logips",
            "disablewallet",
        ]);
        a.parse(list.iter().map(|s| s.to_string())).unwrap();
        a
    }

    fn cfg(list: &[&str]) -> Result<HttpConfig, HttpConfigError> {
        HttpConfig::from_args(&args(list), ChainType::Regtest, Path::new("/tmp/x/regtest"))
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(
            c.bind,
            vec![("::1".into(), 18443), ("127.0.0.1".into(), 18443)]
        );
        assert_eq!(
            c.allow.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            vec!["127.0.0.0/8", "::1/128"]
        );
        assert_eq!(
            c.password,
            PasswordSource::Cookie {
                path: Some("/tmp/x/regtest/.cookie".into()),
                perms: None
            }
        );
        assert_eq!((c.threads, c.work_queue), (16, 64));
        assert_eq!(c.server_timeout, Some(Duration::from_secs(30)));
        assert!(!c.whitelist.default_deny);
        assert!(c.wallet_endpoint);
        assert!(!cfg(&["-disablewallet"]).unwrap().wallet_endpoint);
        let main = HttpConfig::from_args(&args(&[]), ChainType::Main, Path::new("/d")).unwrap();
        assert_eq!(main.bind[0].1, 8332);
    }

    #[test]
    fn bind_rules() {
        let c = cfg(&["-rpcbind=0.0.0.0"]).unwrap();
        assert_eq!(c.bind.len(), 2);
        assert!(c.warnings[0].starts_with("Option -rpcbind was ignored"));
        let c = cfg(&["-rpcallowip=10.0.0.0/8"]).unwrap();
        assert!(c.warnings[0].starts_with("Option -rpcallowip was specified without -rpcbind"));
        let c = cfg(&[
            "-rpcallowip=10.0.0.0/8",
            "-rpcbind=0.0.0.0",
            "-rpcbind=[::]:1234",
            "-rpcport=99",
        ])
        .unwrap();
        assert_eq!(c.bind, vec![("0.0.0.0".into(), 99), ("::".into(), 1234)]);
        assert!(c.warnings.is_empty());
        assert_eq!(
            cfg(&["-rpcport=0"]).unwrap_err().to_string(),
            "Invalid port specified in -rpcport: '0'"
        );
        assert_eq!(
            cfg(&["-rpcallowip=1.2.3.4", "-rpcbind=1.2.3.4:x"])
                .unwrap_err()
                .to_string(),
            "Invalid port specified in -rpcbind: '1.2.3.4:x'"
        );
        assert!(matches!(
            cfg(&["-rpcallowip=1.2.3.4/40"]),
            Err(HttpConfigError::InvalidAllowIp(_))
        ));
    }

    #[test]
    fn auth_options() {
        let c = cfg(&["-rpcuser=u", "-rpcpassword=p"]).unwrap();
        assert_eq!(
            c.password,
            PasswordSource::UserPassword {
                user: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(
            cfg(&["-rpcauth=foo"]).unwrap_err(),
            HttpConfigError::InvalidRpcAuth
        );
        assert_eq!(
            cfg(&["-rpcauth="]).unwrap_err(),
            HttpConfigError::InvalidRpcAuth
        );
        assert_eq!(
            cfg(&["-rpcauth"]).unwrap_err(),
            HttpConfigError::InvalidRpcAuth
        );
        let c = cfg(&["-rpcauth=a:b$c"]).unwrap();
        assert_eq!(c.rpcauth.len(), 1);
        let c = cfg(&["-rpccookiefile=other", "-rpccookieperms=group"]).unwrap();
        assert_eq!(
            c.password,
            PasswordSource::Cookie {
                path: Some("/tmp/x/regtest/other".into()),
                perms: Some(0o640)
            }
        );
        let c = cfg(&["-norpccookiefile"]).unwrap();
        assert_eq!(
            c.password,
            PasswordSource::Cookie {
                path: None,
                perms: None
            }
        );
        assert!(matches!(
            cfg(&["-rpccookieperms=x"]),
            Err(HttpConfigError::InvalidCookiePerms(_))
        ));
        let c = cfg(&[
            "-rpcwhitelist=u:getblockcount,help",
            "-rpcthreads=0",
            "-rpcworkqueue=1",
            "-rpcservertimeout=0",
        ])
        .unwrap();
        assert!(c.whitelist.default_deny);
        assert_eq!((c.threads, c.work_queue, c.server_timeout), (1, 1, None));
        let c = cfg(&["-rpcwhitelist=u:a", "-rpcwhitelistdefault=0"]).unwrap();
        assert!(!c.whitelist.default_deny);
        // -norpcauth drops earlier -rpcauth values (rpc_users.py).
        let c = cfg(&["-rpcauth=a:b$c", "-rpcauth=d:e$f", "-norpcauth"]).unwrap();
        assert!(c.rpcauth.is_empty());
        assert_eq!(
            cfg(&["-rpcauth=a:b$c", "-rpcauth="]).unwrap_err(),
            HttpConfigError::InvalidRpcAuth
        );
    }
}
