//! `-whitebind` / `-whitelist` parsing (Core's `net_permissions`): `[perm,perm@]addr`.

use std::fmt;
use std::net::SocketAddr;

use crate::netaddr::{self, SubNet};
use crate::types::{ConnectionDirection, NetPermissions};

/// Why a `-whitebind` / `-whitelist` / `-bind` value was refused; the text is Core's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionError(pub String);

impl fmt::Display for PermissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PermissionError {}

/// A `-whitebind` entry: a listening address whose inbound peers get `permissions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhiteBind {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The permissions of peers connecting to it.
    pub permissions: NetPermissions,
}

/// A `-whitelist` entry: peers in `subnet` get `permissions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whitelist {
    /// The address range.
    pub subnet: SubNet,
    /// The permissions.
    pub permissions: NetPermissions,
}

/// Splits the `perm,perm@` prefix off `s`: the flags, the direction, and where the
/// address starts. Without `@` the flags are `Implicit` (the defaults applied later).
fn parse_flags(
    s: &str,
    allow_out: bool,
) -> Result<(NetPermissions, ConnectionDirection, usize), PermissionError> {
    let mut flags = NetPermissions::default();
    let (mut inbound, mut outbound) = (false, false);
    let offset = match s.find('@') {
        None => {
            flags.add(NetPermissions::IMPLICIT);
            0
        }
        Some(at) => {
            for perm in s[..at].split(',') {
                match perm {
                    "bloomfilter" | "bloom" => flags.add(NetPermissions::BLOOMFILTER),
                    "noban" => flags.add(NetPermissions::NOBAN),
                    "forcerelay" => flags.add(NetPermissions::FORCERELAY),
                    "mempool" => flags.add(NetPermissions::MEMPOOL),
                    "download" => flags.add(NetPermissions::DOWNLOAD),
                    "all" => flags.add(NetPermissions::ALL),
                    "relay" => flags.add(NetPermissions::RELAY),
                    "addr" => flags.add(NetPermissions::ADDR),
                    "in" => inbound = true,
                    "out" if allow_out => outbound = true,
                    "out" => return Err(PermissionError(
                        "whitebind may only be used for incoming connections (\"out\" was passed)"
                            .into(),
                    )),
                    "" => {}
                    other => {
                        return Err(PermissionError(format!(
                            "Invalid P2P permission: '{other}'"
                        )))
                    }
                }
            }
            at + 1
        }
    };
    let direction = match (inbound, outbound) {
        (false, false) => ConnectionDirection::In,
        _ if flags.0 == 0 => {
            return Err(PermissionError(format!(
                "Only direction was set, no permissions: '{s}'"
            )));
        }
        (true, false) => ConnectionDirection::In,
        (false, true) => ConnectionDirection::Out,
        (true, true) => ConnectionDirection::Both,
    };
    Ok((flags, direction, offset))
}

/// Parses a `-whitebind` value (`NetWhitebindPermissions::TryParse`); the address needs
/// an explicit port.
pub fn parse_whitebind(s: &str) -> Result<WhiteBind, PermissionError> {
    let (permissions, _, offset) = parse_flags(s, false)?;
    let bind = &s[offset..];
    let addr = netaddr::lookup_numeric(bind, 0)
        .ok_or_else(|| PermissionError(format!("Cannot resolve -whitebind address: '{bind}'")))?;
    if addr.port() == 0 {
        return Err(PermissionError(format!(
            "Need to specify a port with -whitebind: '{bind}'"
        )));
    }
    Ok(WhiteBind { addr, permissions })
}

/// Parses a `-whitelist` value (`NetWhitelistPermissions::TryParse`), with the
/// directions it applies to (`in` by default).
pub fn parse_whitelist(s: &str) -> Result<(Whitelist, ConnectionDirection), PermissionError> {
    let (permissions, direction, offset) = parse_flags(s, true)?;
    let net = &s[offset..];
    let subnet = SubNet::parse(net).ok_or_else(|| {
        PermissionError(format!("Invalid netmask specified in -whitelist: '{net}'"))
    })?;
    Ok((
        Whitelist {
            subnet,
            permissions,
        },
        direction,
    ))
}

/// A `-bind` value: the address, and whether it is tagged `=onion`.
pub fn parse_bind(s: &str, default_port: u16) -> Result<(SocketAddr, bool), PermissionError> {
    let err = || PermissionError(format!("Cannot resolve -bind address: '{s}'"));
    match s.rfind('=') {
        None => netaddr::lookup_numeric(s, default_port)
            .map(|a| (a, false))
            .ok_or_else(err),
        Some(i) if &s[i + 1..] == "onion" => {
            netaddr::lookup_numeric(&s[..i], default_port.wrapping_add(1))
                .map(|a| (a, true))
                .ok_or_else(err)
        }
        Some(_) => Err(err()),
    }
}

/// Adds the `-whitelist` permissions matching `ip` to `flags`, then turns `Implicit`
/// into the default whitelist set (`AddWhitelistPermissionFlags`).
pub fn apply_whitelist(
    flags: &mut NetPermissions,
    ip: Option<std::net::IpAddr>,
    ranges: &[Whitelist],
    whitelist_relay: bool,
    whitelist_forcerelay: bool,
) {
    if let Some(ip) = ip {
        for r in ranges.iter().filter(|r| r.subnet.matches(ip)) {
            flags.add(r.permissions.0);
        }
    }
    if flags.has(NetPermissions::IMPLICIT) {
        flags.clear(NetPermissions::IMPLICIT);
        if whitelist_forcerelay {
            flags.add(NetPermissions::FORCERELAY);
        }
        if whitelist_relay {
            flags.add(NetPermissions::RELAY);
        }
        flags.add(NetPermissions::MEMPOOL);
        flags.add(NetPermissions::NOBAN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitebind_parses_permissions_and_address() {
        let w = parse_whitebind("noban,relay@127.0.0.1:8333").expect("valid");
        assert_eq!(w.addr, "127.0.0.1:8333".parse().expect("addr"));
        assert!(w.permissions.has(NetPermissions::NOBAN));
        assert!(w.permissions.has(NetPermissions::RELAY));
        assert!(!w.permissions.has(NetPermissions::IMPLICIT));

        let w = parse_whitebind("1.2.3.4:32").expect("valid");
        assert_eq!(w.permissions.0, NetPermissions::IMPLICIT);

        let w = parse_whitebind("bloom,forcerelay,,@[::1]:1").expect("valid");
        assert_eq!(
            w.permissions.names(),
            vec!["bloomfilter", "forcerelay", "relay"]
        );

        let all = parse_whitebind("all@1.2.3.4:1").expect("valid");
        assert_eq!(
            all.permissions.names(),
            vec![
                "bloomfilter",
                "noban",
                "forcerelay",
                "relay",
                "mempool",
                "download",
                "addr"
            ]
        );
    }

    #[test]
    fn whitebind_errors_are_cores() {
        let e = |s: &str| parse_whitebind(s).expect_err("invalid").0;
        assert_eq!(
            e("1.2.3.4"),
            "Need to specify a port with -whitebind: '1.2.3.4'"
        );
        assert_eq!(
            e("noban@1.2.3.4"),
            "Need to specify a port with -whitebind: '1.2.3.4'"
        );
        assert_eq!(e("bloom,oops@1.2.3.4:1"), "Invalid P2P permission: 'oops'");
        assert_eq!(
            e("out,noban@1.2.3.4:1"),
            "whitebind may only be used for incoming connections (\"out\" was passed)"
        );
        assert_eq!(
            e("noban@example.com:1"),
            "Cannot resolve -whitebind address: 'example.com:1'"
        );
        assert_eq!(
            e("in@1.2.3.4:1"),
            "Only direction was set, no permissions: 'in@1.2.3.4:1'"
        );
    }

    #[test]
    fn whitelist_directions() {
        let (w, d) = parse_whitelist("noban,out@10.0.0.0/8").expect("valid");
        assert_eq!(d, ConnectionDirection::Out);
        assert!(w.subnet.matches("10.9.9.9".parse().expect("ip")));
        let (_, d) = parse_whitelist("noban,in,out@1.2.3.4").expect("valid");
        assert_eq!(d, ConnectionDirection::Both);
        let (w, d) = parse_whitelist("1.2.3.4").expect("valid");
        assert_eq!(
            (w.permissions.0, d),
            (NetPermissions::IMPLICIT, ConnectionDirection::In)
        );
        assert_eq!(
            parse_whitelist("noban@1.2.3.4/99").expect_err("invalid").0,
            "Invalid netmask specified in -whitelist: '1.2.3.4/99'"
        );
    }

    #[test]
    fn implicit_becomes_defaults() {
        let mut f = NetPermissions(NetPermissions::IMPLICIT);
        apply_whitelist(&mut f, None, &[], true, false);
        assert_eq!(f.names(), vec!["noban", "relay", "mempool", "download"]);
    }

    #[test]
    fn bind_values() {
        assert_eq!(
            parse_bind("127.0.0.1", 18444).expect("valid"),
            ("127.0.0.1:18444".parse().expect("a"), false)
        );
        assert_eq!(
            parse_bind("127.0.0.1=onion", 18444).expect("valid"),
            ("127.0.0.1:18445".parse().expect("a"), true)
        );
        assert_eq!(
            parse_bind("[::1]:5=onion", 1).expect("valid"),
            ("[::1]:5".parse().expect("a"), true)
        );
        assert_eq!(
            parse_bind("1.2.3.4=tor", 1).expect_err("invalid").0,
            "Cannot resolve -bind address: '1.2.3.4=tor'"
        );
    }
}
