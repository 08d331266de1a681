//! IP subnets for `-rpcallowip`, parsed and matched as Core's `CSubNet`.

use std::fmt;
use std::net::IpAddr;

/// An IPv4 or IPv6 network with a contiguous netmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

/// IPv4-mapped IPv6 addresses count as IPv4, as in Core's `CNetAddr`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

fn mask_bytes(len: usize, prefix: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let start = i * 8;
            let bits = usize::from(prefix).saturating_sub(start).min(8);
            if bits == 0 {
                0
            } else {
                0xffu8 << (8 - bits)
            }
        })
        .collect()
}

fn from_octets(v4: bool, bytes: &[u8]) -> Option<IpAddr> {
    if v4 {
        let a: [u8; 4] = bytes.try_into().ok()?;
        Some(IpAddr::from(a))
    } else {
        let a: [u8; 16] = bytes.try_into().ok()?;
        Some(IpAddr::from(a))
    }
}

/// Parses a numeric host the way Core's non-resolving lookup accepts it
/// (dotted IPv4, IPv6, optionally in brackets).
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(canonical)
}

impl Subnet {
    /// A single address (/32 or /128).
    pub fn single(ip: IpAddr) -> Subnet {
        let ip = canonical(ip);
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Subnet {
            network: ip,
            prefix,
        }
    }

    /// `ip/prefix`, `None` if the prefix is too long.
    pub fn with_prefix(ip: IpAddr, prefix: u8) -> Option<Subnet> {
        let ip = canonical(ip);
        let max = if ip.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return None;
        }
        let bytes = octets(ip);
        let mask = mask_bytes(bytes.len(), prefix);
        let net: Vec<u8> = bytes.iter().zip(&mask).map(|(b, m)| b & m).collect();
        Some(Subnet {
            network: from_octets(ip.is_ipv4(), &net)?,
            prefix,
        })
    }

    /// Parses `-rpcallowip` syntax: `1.2.3.4`, `1.2.3.4/24`,
    /// `1.2.3.4/255.255.255.0`, `::1`, `::/0`.
    pub fn parse(s: &str) -> Option<Subnet> {
        if s.contains('\0') {
            return None;
        }
        let (addr_part, mask_part) = match s.rfind('/') {
            Some(p) => (&s[..p], Some(&s[p + 1..])),
            None => (s, None),
        };
        let ip = parse_ip(addr_part)?;
        let Some(mask) = mask_part else {
            return Some(Subnet::single(ip));
        };
        if !mask.is_empty() && mask.bytes().all(|b| b.is_ascii_digit()) {
            let prefix: u8 = mask.parse().ok()?;
            return Subnet::with_prefix(ip, prefix);
        }
        if mask.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mask_ip = parse_ip(mask)?;
        if mask_ip.is_ipv4() != ip.is_ipv4() {
            return None;
        }
        // The mask must be ones followed by zeros.
        let mut prefix = 0u8;
        let mut zeros = false;
        for byte in octets(mask_ip) {
            let bits: u8 = match byte {
                0x00 => 0,
                0x80 => 1,
                0xc0 => 2,
                0xe0 => 3,
                0xf0 => 4,
                0xf8 => 5,
                0xfc => 6,
                0xfe => 7,
                0xff => 8,
                _ => return None,
            };
            if zeros && bits != 0 {
                return None;
            }
            if bits < 8 {
                zeros = true;
            }
            prefix += bits;
        }
        Subnet::with_prefix(ip, prefix)
    }

    /// Whether `ip` lies in this subnet.
    pub fn matches(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        if ip.is_ipv4() != self.network.is_ipv4() {
            return false;
        }
        let bytes = octets(ip);
        let mask = mask_bytes(bytes.len(), self.prefix);
        bytes
            .iter()
            .zip(&mask)
            .zip(octets(self.network))
            .all(|((b, m), n)| b & m == n)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_core_forms() {
        assert_eq!(Subnet::parse("1.2.3.4").unwrap().to_string(), "1.2.3.4/32");
        assert_eq!(
            Subnet::parse("1.2.3.4/24").unwrap().to_string(),
            "1.2.3.0/24"
        );
        assert_eq!(
            Subnet::parse("1.2.3.4/255.255.0.0").unwrap().to_string(),
            "1.2.0.0/16"
        );
        assert_eq!(Subnet::parse("0.0.0.0/0").unwrap().to_string(), "0.0.0.0/0");
        assert_eq!(Subnet::parse("::/0").unwrap().to_string(), "::/0");
        assert_eq!(Subnet::parse("::1").unwrap().to_string(), "::1/128");
        assert_eq!(
            Subnet::parse("127.0.0.1/8").unwrap().to_string(),
            "127.0.0.0/8"
        );
        for bad in [
            "",
            "*",
            "1.2.3.4/33",
            "1.2.3.4/255.0.255.0",
            "1.2.3.4/",
            "::1/129",
            "1.2.3.4/::",
            "foo",
            "1.2.3.4/-1",
            "1.2.3.4/256",
        ] {
            assert!(Subnet::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn matching() {
        let s = Subnet::parse("10.0.0.0/8").unwrap();
        assert!(s.matches(ip("10.1.2.3")));
        assert!(s.matches(ip("::ffff:10.1.2.3")));
        assert!(!s.matches(ip("11.0.0.1")));
        assert!(!s.matches(ip("::1")));
        assert!(Subnet::parse("::/0").unwrap().matches(ip("fe80::1")));
        assert!(!Subnet::parse("::/0").unwrap().matches(ip("1.2.3.4")));
    }
}
