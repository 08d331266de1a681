//! Proxy settings from the node's arguments, as Core's `AppInitMain` builds them from
//! `-proxy`, `-onion`, `-proxyrandomize` and `-i2psam`: which proxy (if any) each
//! network goes through, the name proxy for `host:port` destinations, and which
//! networks the settings make unreachable.

use std::net::{IpAddr, SocketAddr};

use common::ArgsManager;

use addrman::Network;

use crate::netaddr;
use crate::socks5::{ProxyCredentials, StreamIsolation};

/// Port assumed when `-proxy` or `-onion` names none (Tor's SOCKS port,
/// `DEFAULT_TOR_SOCKS_PORT`).
pub const DEFAULT_TOR_SOCKS_PORT: u16 = 9050;
/// Port assumed when `-i2psam` names none (the SAM bridge's).
pub const DEFAULT_I2P_SAM_PORT: u16 = 7656;
/// Default `-proxyrandomize`.
pub const DEFAULT_PROXYRANDOMIZE: bool = true;
/// Default `-dns` (`DEFAULT_NAME_LOOKUP`): proxy host names may be resolved.
pub const DEFAULT_NAME_LOOKUP: bool = true;
/// Default `-listenonion`.
pub const DEFAULT_LISTEN_ONION: bool = true;
/// Prefix marking a Unix socket path in `-proxy` and `-onion` (`ADDR_PREFIX_UNIX`).
pub const ADDR_PREFIX_UNIX: &str = "unix:";

/// Room for a path in `sockaddr_un`, its terminating NUL included.
#[cfg(target_os = "linux")]
const SUN_PATH_LEN: usize = 108;
#[cfg(not(target_os = "linux"))]
const SUN_PATH_LEN: usize = 104;

/// Where a proxy listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket, kept as given: `unix:` followed by the path.
    Unix(String),
}

/// One proxy (Core's `Proxy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// Where it listens.
    pub addr: ProxyAddr,
    /// Whether each connection offers fresh credentials so Tor isolates its stream
    /// (`-proxyrandomize`, Core's `m_tor_stream_isolation`).
    pub randomize_credentials: bool,
}

impl Proxy {
    /// The credentials a connection through this proxy offers, as Core's
    /// `ConnectThroughProxy` picks them: fresh ones from the process-wide
    /// [`StreamIsolation`] when credentials are randomized, none otherwise.
    pub fn credentials(&self) -> Option<ProxyCredentials> {
        self.randomize_credentials
            .then(|| StreamIsolation::global().next())
    }
}

impl std::fmt::Display for Proxy {
    /// As `getnetworkinfo` prints it: `127.0.0.1:9050`, `[::1]:9050`, or the
    /// `unix:` path.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.addr {
            ProxyAddr::Tcp(a) => write!(f, "{a}"),
            ProxyAddr::Unix(p) => f.write_str(p),
        }
    }
}

/// Whether `name` is a usable `unix:` socket path (Core's `IsUnixSocketPath`): the
/// prefix, and a path short enough for `sockaddr_un`.
pub fn is_unix_socket_path(name: &str) -> bool {
    cfg!(unix)
        && name
            .strip_prefix(ADDR_PREFIX_UNIX)
            .is_some_and(|p| p.len() < SUN_PATH_LEN)
}

/// Whether `ip` may be a proxy's address (`CNetAddr::IsValid` for IP addresses): not
/// the unspecified or broadcast address, nor IPv6 documentation space.
fn is_valid_ip(ip: IpAddr) -> bool {
    match netaddr::canonical_ip(ip) {
        IpAddr::V4(v4) => !v4.is_unspecified() && !v4.is_broadcast(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
            !(v6.is_unspecified() || documentation)
        }
    }
}

/// An init error from the proxy options; `Display` is Core's `InitError` text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyArgError {
    /// A `-proxy`, `-onion` or `-i2psam` value whose port is not a number from 1 to
    /// 65535.
    InvalidPort {
        /// The option, with its dash.
        option: &'static str,
        /// The value as given.
        value: String,
    },
    /// `-proxy=...=` with nothing after the last `=`.
    ProxyEndsWithEquals(String),
    /// A `-proxy` address that does not resolve or is not usable.
    InvalidProxy(String),
    /// A `-proxy=addr=net` whose network is not ipv4, ipv6, onion (tor) or cjdns.
    UnrecognizedNetwork {
        /// The whole `-proxy` value.
        value: String,
        /// The network part, lowercased.
        net: String,
    },
    /// A `-onion` address that does not resolve or is not usable.
    InvalidOnion(String),
    /// `-onlynet=onion` with `-onion=0`.
    OnionForbidden,
    /// `-onlynet=onion` with no way to reach Tor.
    OnionProxyMissing,
    /// An `-i2psam` address that does not resolve or is not usable.
    InvalidI2pSam(String),
    /// `-onlynet=i2p` without `-i2psam`.
    I2pSamMissing,
}

impl std::fmt::Display for ProxyArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ProxyArgError::*;
        match self {
            InvalidPort { option, value } => {
                write!(f, "Invalid port specified in {option}: '{value}'")
            }
            ProxyEndsWithEquals(v) => {
                write!(
                    f,
                    "Invalid -proxy address or hostname, ends with '=': '{v}'"
                )
            }
            InvalidProxy(v) => write!(f, "Invalid -proxy address or hostname: '{v}'"),
            UnrecognizedNetwork { value, net } => {
                write!(f, "Unrecognized network in -proxy='{value}': '{net}'")
            }
            InvalidOnion(v) => write!(f, "Invalid -onion address or hostname: '{v}'"),
            OnionForbidden => f.write_str(
                "Outbound connections restricted to Tor (-onlynet=onion) but the proxy for \
                 reaching the Tor network is explicitly forbidden: -onion=0",
            ),
            OnionProxyMissing => f.write_str(
                "Outbound connections restricted to Tor (-onlynet=onion) but the proxy for \
                 reaching the Tor network is not provided: none of -proxy, -onion or \
                 -listenonion is given",
            ),
            InvalidI2pSam(v) => write!(f, "Invalid -i2psam address or hostname: '{v}'"),
            I2pSamMissing => f.write_str(
                "Outbound connections restricted to i2p (-onlynet=i2p) but -i2psam is not provided",
            ),
        }
    }
}

impl std::error::Error for ProxyArgError {}

/// What `getnetworkinfo` shows of a network's proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkProxyInfo {
    /// `proxy`: the proxy as Core prints it, or "" when there is none.
    pub proxy: String,
    /// `proxy_randomize_credentials`.
    pub proxy_randomize_credentials: bool,
}

/// The proxies of every network (Core's `proxyInfo[]` and `nameProxy`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// Proxy for IPv4 peers.
    pub ipv4: Option<Proxy>,
    /// Proxy for IPv6 peers.
    pub ipv6: Option<Proxy>,
    /// Proxy for Tor onion peers (`-onion`, else `-proxy`).
    pub onion: Option<Proxy>,
    /// The I2P SAM bridge (`-i2psam`); not a SOCKS5 proxy.
    pub i2p: Option<Proxy>,
    /// Proxy for CJDNS peers.
    pub cjdns: Option<Proxy>,
    /// Proxy that resolves `host[:port]` destinations (`-addnode`, `-connect`,
    /// seeds) itself, so no DNS query leaves this host.
    pub name: Option<Proxy>,
    /// `-onion=0` / `-noonion`: Tor is off even when `-proxy` would reach it.
    pub onion_disabled: bool,
}

/// Splits a `-proxy` value at its last `=` into address and lowercased network (empty
/// for "every network").
fn split_proxy_value(value: &str) -> Result<(&str, String), ProxyArgError> {
    match value.rfind('=') {
        None => Ok((value, String::new())),
        Some(i) if i + 1 == value.len() => Err(ProxyArgError::ProxyEndsWithEquals(value.into())),
        Some(i) => Ok((&value[..i], value[i + 1..].to_ascii_lowercase())),
    }
}

/// Resolves a proxy address (`Lookup` with `-dns` deciding whether names may be
/// looked up), keeping only usable addresses.
fn resolve(spec: &str, default_port: u16, name_lookup: bool) -> Option<SocketAddr> {
    let first = if name_lookup {
        netaddr::lookup(spec, default_port).into_iter().next()
    } else {
        netaddr::lookup_numeric(spec, default_port)
    };
    first.filter(|a| is_valid_ip(a.ip()))
}

/// Parses a `-proxy` or `-onion` address: a `unix:` path or a `host[:port]`.
fn parse_proxy(spec: &str, randomize: bool, name_lookup: bool) -> Option<Proxy> {
    let addr = if is_unix_socket_path(spec) {
        ProxyAddr::Unix(spec.to_string())
    } else if spec.starts_with(ADDR_PREFIX_UNIX) {
        // A path too long for a socket: Core would hand it to the resolver, which
        // cannot succeed, so skip the pointless DNS query.
        return None;
    } else {
        ProxyAddr::Tcp(resolve(spec, DEFAULT_TOR_SOCKS_PORT, name_lookup)?)
    };
    Some(Proxy {
        addr,
        randomize_credentials: randomize,
    })
}

/// Core's check of host:port options before anything else uses them
/// (`CheckHostPortOptions`): a bad port is an init error, but `unix:` paths pass where
/// the option takes them. The `=network` of a `-proxy` value is not part of its port.
fn check_ports(args: &ArgsManager) -> Result<(), ProxyArgError> {
    for (option, unix_ok) in [("-i2psam", false), ("-onion", true), ("-proxy", true)] {
        for value in args.get_args(option) {
            let hostport = if option == "-proxy" {
                value.rfind('=').map_or(value.as_str(), |i| &value[..i])
            } else {
                value.as_str()
            };
            let (_, _, valid) = netaddr::split_host_port(hostport);
            let unix_path = unix_ok && hostport.starts_with(ADDR_PREFIX_UNIX);
            if !(valid || unix_path) {
                return Err(ProxyArgError::InvalidPort { option, value });
            }
        }
    }
    Ok(())
}

impl ProxySettings {
    /// Builds the settings from `args` as Core's `AppInitMain` does:
    ///
    /// - each `-proxy=<addr>` sets the proxy of IPv4, IPv6, onion, CJDNS and names;
    ///   `-proxy=<addr>=<net>` only that network's (ipv4 and ipv6 also set the name
    ///   proxy); `-proxy=0` or an empty value clears; the last one wins;
    /// - `-onion=<addr>` overrides the onion proxy, `-onion=0` / `-noonion` removes it;
    /// - `-i2psam=<addr>` names the I2P SAM bridge;
    /// - `-proxyrandomize` (default on) marks SOCKS5 proxies for stream isolation;
    /// - `-dns=0` forbids resolving proxy host names;
    /// - with `-onlynet=onion` (or `=i2p`), a missing way to reach that network is an
    ///   init error; `-listenonion` counts as a way to reach Tor, since the Tor control
    ///   connection may supply the proxy later.
    pub fn from_args(args: &ArgsManager) -> Result<ProxySettings, ProxyArgError> {
        check_ports(args)?;
        let name_lookup = args.get_bool_arg("-dns", DEFAULT_NAME_LOOKUP);
        let randomize = args.get_bool_arg("-proxyrandomize", DEFAULT_PROXYRANDOMIZE);
        let onlynets = args.get_args("-onlynet");
        let onlynet_has = |net: &str| onlynets.iter().any(|n| n.eq_ignore_ascii_case(net));

        let mut s = ProxySettings::default();
        for value in args.get_args("-proxy") {
            let (spec, net) = split_proxy_value(&value)?;
            let proxy = if spec.is_empty() || spec == "0" {
                None
            } else {
                Some(
                    parse_proxy(spec, randomize, name_lookup)
                        .ok_or_else(|| ProxyArgError::InvalidProxy(spec.to_string()))?,
                )
            };
            match net.as_str() {
                "" => {
                    s.ipv4 = proxy.clone();
                    s.ipv6 = proxy.clone();
                    s.name = proxy.clone();
                    s.cjdns = proxy.clone();
                    s.onion = proxy;
                }
                "ipv4" => {
                    s.ipv4 = proxy.clone();
                    s.name = proxy;
                }
                "ipv6" => {
                    s.ipv6 = proxy.clone();
                    s.name = proxy;
                }
                "tor" | "onion" => s.onion = proxy,
                "cjdns" => s.cjdns = proxy,
                _ => {
                    return Err(ProxyArgError::UnrecognizedNetwork {
                        value: value.clone(),
                        net,
                    })
                }
            }
        }

        let onlynet_onion = onlynet_has("onion");
        let onion_arg = args.get_arg_or("-onion", "");
        if onion_arg == "0" {
            s.onion = None;
            s.onion_disabled = true;
            if onlynet_onion {
                return Err(ProxyArgError::OnionForbidden);
            }
        } else if !onion_arg.is_empty() {
            s.onion = Some(
                parse_proxy(&onion_arg, randomize, name_lookup)
                    .ok_or_else(|| ProxyArgError::InvalidOnion(onion_arg.clone()))?,
            );
        }
        if s.onion.is_none()
            && onlynet_onion
            && !args.get_bool_arg("-listenonion", DEFAULT_LISTEN_ONION)
        {
            return Err(ProxyArgError::OnionProxyMissing);
        }

        let sam = args.get_arg_or("-i2psam", "");
        if !sam.is_empty() {
            let addr = resolve(&sam, DEFAULT_I2P_SAM_PORT, name_lookup)
                .ok_or_else(|| ProxyArgError::InvalidI2pSam(sam.clone()))?;
            // The SAM bridge is not a SOCKS5 proxy: Core never isolates streams there.
            s.i2p = Some(Proxy {
                addr: ProxyAddr::Tcp(addr),
                randomize_credentials: false,
            });
        } else if onlynet_has("i2p") {
            return Err(ProxyArgError::I2pSamMissing);
        }
        Ok(s)
    }

    /// The proxy for peers on `net` (`GetProxy`), if any.
    pub fn proxy_for(&self, net: Network) -> Option<&Proxy> {
        match net {
            Network::Ipv4 => self.ipv4.as_ref(),
            Network::Ipv6 => self.ipv6.as_ref(),
            Network::Onion => self.onion.as_ref(),
            Network::I2p => self.i2p.as_ref(),
            Network::Cjdns => self.cjdns.as_ref(),
            Network::Unroutable | Network::Internal => None,
        }
    }

    /// The proxy that resolves names for us (`GetNameProxy`), if any.
    pub fn name_proxy(&self) -> Option<&Proxy> {
        self.name.as_ref()
    }

    /// Whether `ip` is one of the proxies' addresses (`IsProxy`): such an address is
    /// never treated as a peer.
    pub fn is_proxy(&self, ip: IpAddr) -> bool {
        let ip = netaddr::canonical_ip(ip);
        [&self.ipv4, &self.ipv6, &self.onion, &self.i2p, &self.cjdns]
            .into_iter()
            .flatten()
            .any(|p| matches!(p.addr, ProxyAddr::Tcp(a) if a.ip() == ip))
    }

    /// Takes out of `reachable` the networks these settings leave no way to reach, as
    /// Core does after reading them: Tor without an onion proxy, I2P without a SAM
    /// bridge. (Tor may come back later if the Tor control connection supplies a
    /// proxy; CJDNS depends on `-cjdnsreachable`, not on proxies.)
    pub fn restrict_reachable(&self, reachable: &mut Vec<Network>) {
        if self.onion.is_none() {
            reachable.retain(|n| *n != Network::Onion);
        }
        if self.i2p.is_none() {
            reachable.retain(|n| *n != Network::I2p);
        }
    }

    /// Whether peers on `net` can be reached as far as proxies decide: IPv4, IPv6 and
    /// CJDNS always (directly or through a proxy), Tor and I2P only with theirs.
    pub fn allows(&self, net: Network) -> bool {
        match net {
            Network::Onion => self.onion.is_some(),
            Network::I2p => self.i2p.is_some(),
            Network::Ipv4 | Network::Ipv6 | Network::Cjdns => true,
            Network::Unroutable | Network::Internal => false,
        }
    }

    /// `getnetworkinfo`'s `proxy` and `proxy_randomize_credentials` for `net`.
    pub fn network_info(&self, net: Network) -> NetworkProxyInfo {
        match self.proxy_for(net) {
            Some(p) => NetworkProxyInfo {
                proxy: p.to_string(),
                proxy_randomize_credentials: p.randomize_credentials,
            },
            None => NetworkProxyInfo {
                proxy: String::new(),
                proxy_randomize_credentials: false,
            },
        }
    }
}

/// Core's privacy interactions of `-proxy` (`InitParameterInteraction`): a proxy given
/// for outbound traffic turns off, unless set explicitly, listening, NAT port mapping
/// and address discovery. Returns the lines Core logs for each default changed; call
/// before the listening options are read.
pub fn proxy_parameter_interaction(args: &ArgsManager) -> Vec<String> {
    let mut lines = Vec::new();
    let proxy = args.get_arg_or("-proxy", "");
    if proxy.is_empty() || proxy == "0" {
        return lines;
    }
    for option in ["-listen", "-natpmp", "-discover"] {
        if args.soft_set_bool_arg(option, false) {
            lines.push(format!(
                "parameter interaction: -proxy set -> setting {option}=0"
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> ArgsManager {
        let mut a = ArgsManager::new(&[
            "proxy",
            "onion",
            "proxyrandomize",
            "onlynet",
            "listenonion",
            "i2psam",
            "dns",
            "listen",
            "natpmp",
            "discover",
        ]);
        a.parse_parameters(list.iter().map(|s| s.to_string()))
            .unwrap();
        a
    }

    fn settings(list: &[&str]) -> Result<ProxySettings, String> {
        ProxySettings::from_args(&args(list)).map_err(|e| e.to_string())
    }

    fn shown(s: &ProxySettings, net: Network) -> (String, bool) {
        let i = s.network_info(net);
        (i.proxy, i.proxy_randomize_credentials)
    }

    #[test]
    fn no_options_no_proxies() {
        let s = settings(&[]).unwrap();
        assert_eq!(s, ProxySettings::default());
        for net in [
            Network::Ipv4,
            Network::Ipv6,
            Network::Onion,
            Network::I2p,
            Network::Cjdns,
        ] {
            assert_eq!(shown(&s, net), (String::new(), false));
        }
        let mut reach = vec![Network::Ipv4, Network::Ipv6, Network::Onion, Network::I2p];
        s.restrict_reachable(&mut reach);
        assert_eq!(reach, vec![Network::Ipv4, Network::Ipv6]);
    }

    #[test]
    fn proxy_covers_every_network_with_default_port() {
        let s = settings(&["-proxy=127.0.0.1"]).unwrap();
        let p = "127.0.0.1:9050".to_string();
        for net in [Network::Ipv4, Network::Ipv6, Network::Onion, Network::Cjdns] {
            assert_eq!(shown(&s, net), (p.clone(), true), "{net:?}");
        }
        assert_eq!(shown(&s, Network::I2p), (String::new(), false));
        assert_eq!(s.name_proxy().map(|p| p.to_string()), Some(p));
        assert!(s.allows(Network::Onion));
        assert!(!s.allows(Network::I2p));
        assert!(s.is_proxy("127.0.0.1".parse().unwrap()));
        assert!(!s.is_proxy("127.0.0.2".parse().unwrap()));
        let p = s.onion.as_ref().unwrap();
        let (a, b) = (p.credentials().unwrap(), p.credentials().unwrap());
        assert_ne!(a, b);
        assert!(a.username.starts_with(StreamIsolation::global().prefix()));

        let s = settings(&["-proxy=[::1]:1080", "-noproxyrandomize"]).unwrap();
        assert_eq!(shown(&s, Network::Ipv6), ("[::1]:1080".into(), false));
        assert_eq!(s.ipv6.as_ref().unwrap().credentials(), None);
    }

    #[test]
    fn per_network_proxies() {
        let s = settings(&[
            "-proxy=127.0.0.1:9050=onion",
            "-proxy=127.0.0.2:1080=IPv4",
            "-proxy=127.0.0.3:1081=cjdns",
        ])
        .unwrap();
        assert_eq!(shown(&s, Network::Onion).0, "127.0.0.1:9050");
        assert_eq!(shown(&s, Network::Ipv4).0, "127.0.0.2:1080");
        assert_eq!(shown(&s, Network::Ipv6).0, "");
        assert_eq!(shown(&s, Network::Cjdns).0, "127.0.0.3:1081");
        assert_eq!(
            s.name_proxy().map(|p| p.to_string()).as_deref(),
            Some("127.0.0.2:1080")
        );

        // A later value for all networks replaces the per-network ones; "0" clears.
        let s = settings(&["-proxy=127.0.0.1:9050=tor", "-proxy=127.0.0.5"]).unwrap();
        assert_eq!(shown(&s, Network::Onion).0, "127.0.0.5:9050");
        let s = settings(&["-proxy=127.0.0.5", "-proxy=0=ipv6"]).unwrap();
        assert_eq!(shown(&s, Network::Ipv6).0, "");
        assert_eq!(shown(&s, Network::Ipv4).0, "127.0.0.5:9050");
        let s = settings(&["-proxy=127.0.0.5", "-noproxy"]).unwrap();
        assert_eq!(s, ProxySettings::default());
    }

    #[test]
    fn onion_overrides_and_disables() {
        let s = settings(&["-proxy=127.0.0.1:9050", "-onion=127.0.0.1:9150"]).unwrap();
        assert_eq!(shown(&s, Network::Onion).0, "127.0.0.1:9150");
        assert_eq!(shown(&s, Network::Ipv4).0, "127.0.0.1:9050");

        for off in ["-onion=0", "-noonion"] {
            let s = settings(&["-proxy=127.0.0.1:9050", off]).unwrap();
            assert!(s.onion.is_none() && s.onion_disabled, "{off}");
            assert!(!s.allows(Network::Onion));
            assert_eq!(shown(&s, Network::Ipv4).0, "127.0.0.1:9050");
        }
        // An empty -onion keeps what -proxy gave.
        let s = settings(&["-proxy=127.0.0.1:9050", "-onion="]).unwrap();
        assert_eq!(shown(&s, Network::Onion).0, "127.0.0.1:9050");

        let s = settings(&["-onion=127.0.0.1"]).unwrap();
        assert_eq!(shown(&s, Network::Onion), ("127.0.0.1:9050".into(), true));
        assert_eq!(shown(&s, Network::Ipv4).0, "");
        assert!(s.name_proxy().is_none());
    }

    #[test]
    fn unix_socket_proxies() {
        let s = settings(&["-proxy=unix:/run/tor/socks"]).unwrap();
        assert_eq!(
            shown(&s, Network::Onion),
            ("unix:/run/tor/socks".into(), true)
        );
        assert_eq!(
            s.ipv4.as_ref().map(|p| &p.addr),
            Some(&ProxyAddr::Unix("unix:/run/tor/socks".into()))
        );
        let s = settings(&["-onion=unix:/tmp/t"]).unwrap();
        assert_eq!(shown(&s, Network::Onion).0, "unix:/tmp/t");
        let long = format!("-proxy=unix:/{}", "x".repeat(200));
        assert_eq!(
            settings(&[&long]).unwrap_err(),
            format!(
                "Invalid -proxy address or hostname: 'unix:/{}'",
                "x".repeat(200)
            )
        );
    }

    #[test]
    fn invalid_values_give_core_errors() {
        let cases: [(&[&str], &str); 10] = [
            (
                &["-proxy=127.0.0.1:9050="],
                "Invalid -proxy address or hostname, ends with '=': '127.0.0.1:9050='",
            ),
            (
                &["-proxy=127.0.0.1:9050=foo"],
                "Unrecognized network in -proxy='127.0.0.1:9050=foo': 'foo'",
            ),
            (
                &["-proxy=127.0.0.1:9050=I2P"],
                "Unrecognized network in -proxy='127.0.0.1:9050=I2P': 'i2p'",
            ),
            (
                &["-proxy=0.0.0.0"],
                "Invalid -proxy address or hostname: '0.0.0.0'",
            ),
            (
                &["-proxy=no-such-host.invalid", "-dns=0"],
                "Invalid -proxy address or hostname: 'no-such-host.invalid'",
            ),
            (
                &["-proxy=127.0.0.1:65536"],
                "Invalid port specified in -proxy: '127.0.0.1:65536'",
            ),
            (
                &["-proxy=127.0.0.1:0=ipv4"],
                "Invalid port specified in -proxy: '127.0.0.1:0=ipv4'",
            ),
            (
                &["-onion=255.255.255.255"],
                "Invalid -onion address or hostname: '255.255.255.255'",
            ),
            (
                &["-onion=1.2.3.4:x"],
                "Invalid port specified in -onion: '1.2.3.4:x'",
            ),
            (&["-i2psam=::"], "Invalid -i2psam address or hostname: '::'"),
        ];
        for (list, msg) in cases {
            assert_eq!(settings(list).unwrap_err(), msg, "{list:?}");
        }
    }

    #[test]
    fn names_need_dns() {
        assert!(settings(&["-proxy=localhost:9050"]).is_ok());
        assert_eq!(
            settings(&["-proxy=localhost:9050", "-dns=0"]).unwrap_err(),
            "Invalid -proxy address or hostname: 'localhost:9050'"
        );
    }

    #[test]
    fn onlynet_onion_needs_a_way_to_tor() {
        assert_eq!(
            settings(&["-onlynet=onion", "-onion=0"]).unwrap_err(),
            "Outbound connections restricted to Tor (-onlynet=onion) but the proxy for \
             reaching the Tor network is explicitly forbidden: -onion=0"
        );
        assert_eq!(
            settings(&["-onlynet=onion", "-noonion", "-proxy=127.0.0.1"]).unwrap_err(),
            "Outbound connections restricted to Tor (-onlynet=onion) but the proxy for \
             reaching the Tor network is explicitly forbidden: -onion=0"
        );
        assert_eq!(
            settings(&["-onlynet=onion", "-listenonion=0"]).unwrap_err(),
            "Outbound connections restricted to Tor (-onlynet=onion) but the proxy for \
             reaching the Tor network is not provided: none of -proxy, -onion or \
             -listenonion is given"
        );
        // -listenonion may bring the proxy later, so start-up goes on without one.
        let s = settings(&["-onlynet=onion"]).unwrap();
        assert!(!s.allows(Network::Onion));
        assert!(settings(&["-onlynet=onion", "-listenonion=0", "-proxy=127.0.0.1"]).is_ok());
        assert!(settings(&["-onlynet=ipv4", "-onion=0"]).is_ok());
    }

    #[test]
    fn i2p_sam() {
        let s = settings(&["-i2psam=127.0.0.1"]).unwrap();
        assert_eq!(shown(&s, Network::I2p), ("127.0.0.1:7656".into(), false));
        assert!(s.allows(Network::I2p));
        assert_eq!(
            settings(&["-onlynet=i2p"]).unwrap_err(),
            "Outbound connections restricted to i2p (-onlynet=i2p) but -i2psam is not provided"
        );
    }

    #[test]
    fn proxy_turns_off_listening_by_default() {
        let a = args(&["-proxy=127.0.0.1:9050"]);
        assert_eq!(
            proxy_parameter_interaction(&a),
            vec![
                "parameter interaction: -proxy set -> setting -listen=0",
                "parameter interaction: -proxy set -> setting -natpmp=0",
                "parameter interaction: -proxy set -> setting -discover=0",
            ]
        );
        assert!(!a.get_bool_arg("-listen", true));

        let a = args(&["-proxy=127.0.0.1:9050", "-listen=1"]);
        let lines = proxy_parameter_interaction(&a);
        assert_eq!(lines.len(), 2);
        assert!(a.get_bool_arg("-listen", true));

        for list in [&[][..], &["-proxy=0"], &["-noproxy"]] {
            let a = args(list);
            assert!(proxy_parameter_interaction(&a).is_empty(), "{list:?}");
        }
    }
}
