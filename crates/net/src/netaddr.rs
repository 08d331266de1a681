//! Address facts the connection manager needs (Core's `CNetAddr` / `netbase`): network
//! class, routability, netgroups, `host:port` parsing, name lookup and subnets.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// The network a connection goes through, as `getpeerinfo` names it (`GetNetworkName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Network {
    /// Not publicly routable (loopback, private ranges...).
    Unroutable,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// Tor.
    Onion,
    /// I2P.
    I2p,
    /// CJDNS.
    Cjdns,
    /// Internal names.
    Internal,
}

impl Network {
    /// Core's network name.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::Unroutable => "not_publicly_routable",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Onion => "onion",
            Network::I2p => "i2p",
            Network::Cjdns => "cjdns",
            Network::Internal => "internal",
        }
    }
}

/// The address as Core stores it: IPv4-mapped IPv6 addresses are IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// [`canonical_ip`] for a socket address.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(canonical_ip(addr.ip()), addr.port())
}

/// Whether `ip` is this host (`IsLocal`): 127/8, 0/8 or `::1`.
pub fn is_local(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => v4.octets()[0] == 127 || v4.octets()[0] == 0,
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

fn v4_unroutable(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    o[0] == 10 // RFC1918
        || (o[0] == 192 && o[1] == 168)
        || (o[0] == 172 && (16..=31).contains(&o[1]))
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // RFC2544
        || (o[0] == 169 && o[1] == 254) // RFC3927
        || (o[0] == 100 && (64..=127).contains(&o[1])) // RFC6598
        || (o[0] == 192 && o[1] == 0 && o[2] == 2) // RFC5737
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
        || v4.is_unspecified()
        || v4.is_broadcast()
}

fn v6_unroutable(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    (s[0] & 0xfe00) == 0xfc00 // RFC4193
        || (s[0] == 0xfe80 && s[1] == 0 && s[2] == 0 && s[3] == 0) // RFC4862
        || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010) // RFC4843
        || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0020) // RFC7343
        || (s[0] == 0x2001 && s[1] == 0x0db8) // RFC3849 documentation
        || v6.is_unspecified()
}

/// Whether peers on the internet could reach `ip` (`IsRoutable`).
pub fn is_routable(ip: IpAddr) -> bool {
    if is_local(ip) {
        return false;
    }
    match canonical_ip(ip) {
        IpAddr::V4(v4) => !v4_unroutable(v4),
        IpAddr::V6(v6) => !v6_unroutable(v6),
    }
}

/// The network class of `ip` (`GetNetClass`): unroutable addresses are their own class.
pub fn net_class(ip: IpAddr) -> Network {
    if !is_routable(ip) {
        return Network::Unroutable;
    }
    match canonical_ip(ip) {
        IpAddr::V4(_) => Network::Ipv4,
        IpAddr::V6(_) => Network::Ipv6,
    }
}

/// The bytes naming `ip`'s netgroup (Core's `NetGroupManager::GetGroup` without an
/// asmap): /16 for IPv4, /32 for IPv6, one group for all unroutable addresses.
pub fn netgroup(ip: IpAddr) -> Vec<u8> {
    let ip = canonical_ip(ip);
    if is_local(ip) || !is_routable(ip) {
        return vec![0];
    }
    match ip {
        IpAddr::V4(v4) => vec![1, v4.octets()[0], v4.octets()[1]],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            vec![2, o[0], o[1], o[2], o[3]]
        }
    }
}

/// Splits `host[:port]` / `[v6]:port` as Core's `SplitHostPort`: the host, the port if
/// one was given, and false if the port was invalid.
pub fn split_host_port(input: &str) -> (String, Option<u16>, bool) {
    let mut rest = input;
    let mut port = None;
    let mut valid = true;
    if let Some(colon) = input.rfind(':') {
        let bracketed = input.starts_with('[') && colon > 0 && input.as_bytes()[colon - 1] == b']';
        let multi_colon = colon != 0 && input[..colon].contains(':');
        if colon == 0 || bracketed || !multi_colon {
            match input[colon + 1..].parse::<u16>() {
                Ok(p) if input[colon + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                    rest = &input[..colon];
                    port = Some(p);
                    valid = p != 0;
                }
                _ => valid = false,
            }
        }
    }
    let host = if rest.len() >= 2 && rest.starts_with('[') && rest.ends_with(']') {
        &rest[1..rest.len() - 1]
    } else {
        rest
    };
    (host.to_string(), port, valid)
}

/// Parses a numeric `addr[:port]` without name lookup (`LookupNumeric`).
pub fn lookup_numeric(input: &str, default_port: u16) -> Option<SocketAddr> {
    let (host, port, _) = split_host_port(input);
    let ip: IpAddr = match host.parse() {
        Ok(ip) => ip,
        Err(_) => IpAddr::V4(parse_ipv4_shorthand(&host)?),
    };
    Some(canonical(SocketAddr::new(ip, port.unwrap_or(default_port))))
}

/// The IPv4 forms the C library's numeric-host parsing accepts beyond dotted quads
/// (`inet_aton`): fewer parts ("127.1"), and octal or hexadecimal numbers. Core resolves
/// numeric hosts through that library, so "127.1:8333" names 127.0.0.1 there too.
fn parse_ipv4_shorthand(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(parts.len());
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 8 {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u32::from_str_radix(digits, radix).ok()?
        };
        nums.push(v);
    }
    let (last, head) = nums.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let tail_bits = 8 * (4 - head.len() as u32);
    if tail_bits < 32 && u64::from(*last) >= 1u64 << tail_bits {
        return None;
    }
    let mut value = *last;
    for (i, v) in head.iter().enumerate() {
        value |= v << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(value))
}

/// Resolves `name[:port]` (Core's `Lookup` with name lookup allowed), through the
/// system resolver. Extension point: a name proxy (SOCKS5) would resolve here instead.
pub fn lookup(input: &str, default_port: u16) -> Vec<SocketAddr> {
    if input.is_empty() || input.contains('\0') {
        return Vec::new();
    }
    if let Some(a) = lookup_numeric(input, default_port) {
        return vec![a];
    }
    let (host, port, _) = split_host_port(input);
    match (host.as_str(), port.unwrap_or(default_port)).to_socket_addrs() {
        Ok(it) => {
            let mut v: Vec<SocketAddr> = Vec::new();
            for a in it.map(canonical) {
                if !v.contains(&a) {
                    v.push(a);
                }
            }
            v
        }
        Err(_) => Vec::new(),
    }
}

/// An address range (`CSubNet`), for `-whitelist`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubNet {
    network: IpAddr,
    prefix: u8,
}

impl SubNet {
    /// Parses `addr`, `addr/bits` or `addr/netmask` (`LookupSubNet`).
    pub fn parse(s: &str) -> Option<SubNet> {
        let (addr, mask) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let ip = canonical_ip(addr.parse::<IpAddr>().ok()?);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match mask {
            None => max,
            Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
                let p: u8 = m.parse().ok()?;
                if p > max {
                    return None;
                }
                p
            }
            Some(m) => {
                let mask_ip = canonical_ip(m.parse::<IpAddr>().ok()?);
                if mask_ip.is_ipv4() != ip.is_ipv4() {
                    return None;
                }
                let bits = ip_bits(mask_ip);
                let ones = bits.leading_ones();
                // A netmask must be contiguous ones then zeros.
                if ones < 128 && bits << ones != 0 {
                    return None;
                }
                let ones = if ip.is_ipv4() {
                    ones.saturating_sub(96)
                } else {
                    ones
                };
                ones as u8
            }
        };
        Some(SubNet {
            network: ip,
            prefix,
        })
    }

    /// Whether `ip` is inside the range.
    pub fn matches(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        if ip.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let shift = if ip.is_ipv4() { 96 } else { 0 };
        let len = u32::from(self.prefix) + shift;
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (128 - len)
        };
        (ip_bits(ip) & mask) == (ip_bits(self.network) & mask)
    }
}

fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        // IPv4 in the low 32 bits with the high 96 set, so masks line up with IPv6's.
        IpAddr::V4(v4) => (u128::MAX << 32) | u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_shorthand_as_the_c_library() {
        let p = |s: &str| parse_ipv4_shorthand(s);
        assert_eq!(p("127.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(p("10.1.2"), Some(Ipv4Addr::new(10, 1, 0, 2)));
        assert_eq!(p("0x7f.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(p("0177.0.0.01"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(p("2130706433"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(p("256.1"), None);
        assert_eq!(p("1.2.3.4.5"), None);
        assert_eq!(p("1.2.65536"), None);
        assert_eq!(p("08.1"), None);
        assert_eq!(p("localhost"), None);
        assert_eq!(
            lookup_numeric("127.1:8333", 1),
            Some("127.0.0.1:8333".parse().unwrap())
        );
    }

    #[test]
    fn split_host_port_follows_core() {
        assert_eq!(
            split_host_port("1.2.3.4:8333"),
            ("1.2.3.4".into(), Some(8333), true)
        );
        assert_eq!(
            split_host_port("[::1]:18444"),
            ("::1".into(), Some(18444), true)
        );
        assert_eq!(split_host_port("::1"), ("::1".into(), None, true));
        assert_eq!(split_host_port("host:0"), ("host".into(), Some(0), false));
        assert!(!split_host_port("host:x").2);
        assert_eq!(
            split_host_port("example.com"),
            ("example.com".into(), None, true)
        );
    }

    #[test]
    fn subnets_match() {
        let s = SubNet::parse("10.0.0.0/8").expect("valid");
        assert!(s.matches("10.1.2.3".parse().expect("ip")));
        assert!(!s.matches("11.1.2.3".parse().expect("ip")));
        let m = SubNet::parse("192.168.1.0/255.255.255.0").expect("valid");
        assert!(m.matches("192.168.1.77".parse().expect("ip")));
        assert!(SubNet::parse("1.2.3.4/33").is_none());
        assert!(SubNet::parse("1.2.3.4/255.0.255.0").is_none());
        let one = SubNet::parse("127.0.0.1").expect("valid");
        assert!(one.matches("::ffff:127.0.0.1".parse().expect("ip")));
        assert!(SubNet::parse("::/0")
            .expect("valid")
            .matches("2001::1".parse().expect("ip")));
    }

    #[test]
    fn classes() {
        assert_eq!(
            net_class("127.0.0.1".parse().expect("ip")),
            Network::Unroutable
        );
        assert_eq!(net_class("8.8.8.8".parse().expect("ip")), Network::Ipv4);
        assert!(is_local("::1".parse().expect("ip")));
        assert_eq!(
            netgroup("8.8.4.4".parse().expect("ip")),
            netgroup("8.8.8.8".parse().expect("ip"))
        );
    }
}
