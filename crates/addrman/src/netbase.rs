//! Turning user strings into addresses as Core does (`LookupHost`, `Lookup`,
//! `LookupSubNet`, `SplitHostPort`). Numeric forms follow what glibc's
//! `getaddrinfo(AI_NUMERICHOST)` accepts, which is what Core sees on Linux; names go to a
//! caller-supplied resolver, since this crate does no DNS.

use std::net::Ipv6Addr;

use crate::netaddress::{NetAddr, Service, SubNet};

/// Resolves a host name to addresses (Core's `DNSLookupFn`), called only when lookups are
/// allowed and the name is not numeric.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Vec<NetAddr>;

/// Core's `ToIntegral<uint16_t>`: decimal digits only, no sign, no spaces, no overflow.
fn parse_u16(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Core's `ToIntegral<uint8_t>`.
fn parse_u8(s: &str) -> Option<u8> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The result of [`split_host_port`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    /// The host, without brackets.
    pub host: String,
    /// The port when one was given and parsed (possibly 0).
    pub port: Option<u16>,
    /// False when a port was expected but malformed, or was 0.
    pub valid: bool,
}

/// Splits `host:port`, `[host]:port` or a bare host (Core's `SplitHostPort`). A colon
/// separates a port only after a bracketed host or when it is the only colon, so bare
/// IPv6 addresses stay whole.
pub fn split_host_port(input: &str) -> HostPort {
    let mut rest = input;
    let mut port = None;
    let mut valid = false;
    let bytes = input.as_bytes();
    match input.rfind(':') {
        Some(colon) => {
            let bracketed = bytes[0] == b'[' && colon > 0 && bytes[colon - 1] == b']';
            let multi_colon = colon != 0 && input[..colon].contains(':');
            if colon == 0 || bracketed || !multi_colon {
                if let Some(n) = parse_u16(&input[colon + 1..]) {
                    rest = &input[..colon];
                    port = Some(n);
                    valid = n != 0;
                }
            } else {
                valid = true;
            }
        }
        None => valid = true,
    }
    let host = if rest.len() >= 2 && rest.starts_with('[') && rest.ends_with(']') {
        &rest[1..rest.len() - 1]
    } else {
        rest
    };
    HostPort {
        host: host.to_string(),
        port,
        valid,
    }
}

/// One part of a glibc `inet_aton` address: `0x` hex, leading-zero octal, or decimal.
fn aton_part(s: &[u8]) -> Option<(u64, usize)> {
    if !s.first()?.is_ascii_digit() {
        return None;
    }
    let (radix, start) =
        if s.len() > 2 && s[0] == b'0' && (s[1] | 0x20) == b'x' && s[2].is_ascii_hexdigit() {
            (16, 2)
        } else if s[0] == b'0' {
            (8, 0)
        } else {
            (10, 0)
        };
    let mut v: u64 = 0;
    let mut i = start;
    while i < s.len() {
        let Some(d) = (s[i] as char).to_digit(radix) else {
            break;
        };
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        if v > 0xFFFF_FFFF {
            return None;
        }
        i += 1;
    }
    Some((v, i))
}

/// IPv4 in every form glibc's `inet_aton` takes (`a`, `a.b`, `a.b.c`, `a.b.c.d`, each
/// part decimal, octal or hex, the last filling the remaining bytes).
fn parse_ipv4_aton(s: &str) -> Option<[u8; 4]> {
    let b = s.as_bytes();
    let mut parts: Vec<u64> = Vec::with_capacity(4);
    let mut i = 0;
    loop {
        let (v, used) = aton_part(&b[i..])?;
        i += used;
        parts.push(v);
        if i < b.len() && b[i] == b'.' {
            if parts.len() > 3 || v > 0xFF {
                return None;
            }
            i += 1;
        } else {
            break;
        }
    }
    if i != b.len() {
        return None;
    }
    let last = *parts.last()?;
    let head = &parts[..parts.len() - 1];
    let limit = match head.len() {
        0 => 0xFFFF_FFFF,
        1 => 0xFF_FFFF,
        2 => 0xFFFF,
        _ => 0xFF,
    };
    if last > limit {
        return None;
    }
    let mut v = last as u32;
    for (k, &p) in head.iter().enumerate() {
        v |= (p as u32) << (24 - 8 * k);
    }
    Some(v.to_be_bytes())
}

/// A numeric host: IPv4 (`inet_aton` forms) or IPv6 with an optional numeric `%scope`.
pub fn parse_numeric_host(s: &str) -> Option<NetAddr> {
    if let Some(v4) = parse_ipv4_aton(s) {
        return Some(NetAddr::from_ipv4(v4.into()));
    }
    let (ip, scope) = match s.split_once('%') {
        Some((ip, scope)) => (ip, Some(scope)),
        None => (s, None),
    };
    let ip: Ipv6Addr = ip.parse().ok()?;
    let scope_id = match scope {
        // Interface names would need the operating system; only numbers are taken.
        Some(sc) => {
            if sc.is_empty() || !sc.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            sc.parse().ok()?
        }
        None => 0,
    };
    Some(NetAddr::from_ipv6(ip, scope_id))
}

fn lookup_intern(
    name: &str,
    max_solutions: usize,
    allow_lookup: bool,
    resolver: Option<Resolver<'_>>,
) -> Vec<NetAddr> {
    if name.contains('\0') {
        return Vec::new();
    }
    // Onion and I2P names are encodings of the address, never resolved.
    if let Some(a) = NetAddr::from_special(name) {
        return vec![a];
    }
    let resolved = match parse_numeric_host(name) {
        Some(a) => vec![a],
        None => match (allow_lookup, resolver) {
            (true, Some(r)) => r(name),
            _ => Vec::new(),
        },
    };
    let mut out = Vec::new();
    for a in resolved {
        if max_solutions > 0 && out.len() >= max_solutions {
            break;
        }
        // A name must never resolve to an internal placeholder.
        if !a.is_internal() {
            out.push(a);
        }
    }
    out
}

/// Up to `max_solutions` (0 = all) addresses for `name`, which may be bracketed (Core's
/// `LookupHost`).
pub fn lookup_host(
    name: &str,
    max_solutions: usize,
    allow_lookup: bool,
    resolver: Option<Resolver<'_>>,
) -> Vec<NetAddr> {
    if name.is_empty() || name.contains('\0') {
        return Vec::new();
    }
    let host = if name.len() >= 2 && name.starts_with('[') && name.ends_with(']') {
        &name[1..name.len() - 1]
    } else {
        name
    };
    lookup_intern(host, max_solutions, allow_lookup, resolver)
}

/// The first address for `name`, numeric forms only.
pub fn lookup_host_numeric(name: &str) -> Option<NetAddr> {
    lookup_host(name, 1, false, None).into_iter().next()
}

/// Up to `max_solutions` (0 = all) services for `host[:port]`, with `default_port` when
/// none is given (Core's `Lookup`).
pub fn lookup(
    name: &str,
    default_port: u16,
    allow_lookup: bool,
    max_solutions: usize,
    resolver: Option<Resolver<'_>>,
) -> Vec<Service> {
    if name.is_empty() || name.contains('\0') {
        return Vec::new();
    }
    let hp = split_host_port(name);
    let port = hp.port.unwrap_or(default_port);
    lookup_intern(&hp.host, max_solutions, allow_lookup, resolver)
        .into_iter()
        .map(|a| Service::new(a, port))
        .collect()
}

/// A numeric `host[:port]`, or the default `[::]:0` when it does not parse (Core's
/// `LookupNumeric`).
pub fn lookup_numeric(name: &str, default_port: u16) -> Service {
    lookup(name, default_port, false, 1, None)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Parses `addr`, `addr/bits` or `addr/netmask` (Core's `LookupSubNet`); the result is
/// invalid when anything fails. IPv6 addresses in fc00::/8 are taken as CJDNS when CJDNS
/// is reachable, as they are in Core with default settings.
pub fn lookup_subnet(s: &str, cjdns_reachable: bool) -> SubNet {
    if s.contains('\0') {
        return SubNet::default();
    }
    let (addr_str, mask_str) = match s.rfind('/') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let Some(addr) = lookup_host_numeric(addr_str) else {
        return SubNet::default();
    };
    let addr = addr.maybe_flip_to_cjdns(cjdns_reachable);
    match mask_str {
        None => SubNet::single(&addr),
        Some(m) => match parse_u8(m) {
            Some(bits) => SubNet::from_cidr(&addr, bits),
            None => match lookup_host_numeric(m) {
                Some(mask) => SubNet::from_mask(&addr, &mask),
                None => SubNet::default(),
            },
        },
    }
}

#[cfg(test)]
mod tests;
