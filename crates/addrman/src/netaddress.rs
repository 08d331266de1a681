//! Network addresses as Core models them (`CNetAddr`, `CService`, `CAddress`, `CSubNet`):
//! which network an address belongs to, how it is classified (private ranges, routable,
//! valid), its string form, and its wire and disk encodings (addrv1 and BIP155 addrv2).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use bitcoin::hashes::{sha256, Hash as _};
use bitcoin::p2p::address::AddrV2;
use bitcoin::p2p::ServiceFlags;

use crate::stream::{write_compact_size, DecodeError, Reader};
use crate::{base32, sha3};

/// The network an address belongs to (Core's `Network`). The discriminants are Core's,
/// which matter because they are hashed into address groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Network {
    /// Not publicly routable (private, local, reserved). Never the stored network of an
    /// address; only a classification.
    Unroutable = 0,
    /// IPv4.
    Ipv4 = 1,
    /// IPv6.
    Ipv6 = 2,
    /// Tor onion services (v3 only).
    Onion = 3,
    /// I2P.
    I2p = 4,
    /// CJDNS.
    Cjdns = 5,
    /// Placeholders for names (DNS seeds), never connected to.
    Internal = 6,
}

impl Network {
    /// Every network, in Core's enum order.
    pub const ALL: [Network; 7] = [
        Network::Unroutable,
        Network::Ipv4,
        Network::Ipv6,
        Network::Onion,
        Network::I2p,
        Network::Cjdns,
        Network::Internal,
    ];

    /// Core's name for the network, as in RPC output (`GetNetworkName`).
    pub fn name(self) -> &'static str {
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

    /// Parses a network name case-insensitively (`ParseNetwork`); anything unknown,
    /// including "tor", "internal" and "not_publicly_routable", gives
    /// [`Network::Unroutable`].
    pub fn parse(name: &str) -> Network {
        match name.to_ascii_lowercase().as_str() {
            "ipv4" => Network::Ipv4,
            "ipv6" => Network::Ipv6,
            "onion" => Network::Onion,
            "i2p" => Network::I2p,
            "cjdns" => Network::Cjdns,
            _ => Network::Unroutable,
        }
    }

    /// The names users may pass for reachable networks (`GetNetworkNames`), optionally
    /// followed by "not_publicly_routable".
    pub fn names(append_unroutable: bool) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Network::ALL
            .iter()
            .filter(|n| !matches!(n, Network::Unroutable | Network::Internal))
            .map(|n| n.name())
            .collect();
        if append_unroutable {
            v.push(Network::Unroutable.name());
        }
        v
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `::ffff:0:0/96`: IPv4 addresses carried in an IPv6 field.
pub const IPV4_IN_IPV6_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
/// The old OnionCat prefix of Tor v2 addresses, which are no longer supported.
pub const TORV2_IN_IPV6_PREFIX: [u8; 6] = [0xFD, 0x87, 0xD8, 0x7E, 0xEB, 0x43];
/// 0xFD followed by the first five bytes of sha256("bitcoin"): internal addresses.
pub const INTERNAL_IN_IPV6_PREFIX: [u8; 6] = [0xFD, 0x6B, 0x88, 0xC0, 0x87, 0x24];
/// The first byte of every CJDNS address.
pub const CJDNS_PREFIX: u8 = 0xFC;

/// Address sizes per network, in bytes.
pub const ADDR_IPV4_SIZE: usize = 4;
/// IPv6 address size.
pub const ADDR_IPV6_SIZE: usize = 16;
/// Tor v3 public key size.
pub const ADDR_TORV3_SIZE: usize = 32;
/// I2P destination hash size.
pub const ADDR_I2P_SIZE: usize = 32;
/// CJDNS address size.
pub const ADDR_CJDNS_SIZE: usize = 16;
/// Internal address size (a truncated sha256 of the name).
pub const ADDR_INTERNAL_SIZE: usize = 10;
/// BIP155's limit on an encoded address.
pub const MAX_ADDRV2_SIZE: u64 = 512;

/// BIP155 network ids.
pub mod bip155 {
    /// IPv4.
    pub const IPV4: u8 = 1;
    /// IPv6.
    pub const IPV6: u8 = 2;
    /// Tor v2 (no longer supported; such addresses are ignored).
    pub const TORV2: u8 = 3;
    /// Tor v3.
    pub const TORV3: u8 = 4;
    /// I2P.
    pub const I2P: u8 = 5;
    /// CJDNS.
    pub const CJDNS: u8 = 6;
}

const TORV3_VERSION: u8 = 3;

fn torv3_checksum(pubkey: &[u8]) -> [u8; 2] {
    let h = sha3::sha3_256(&[b".onion checksum", pubkey, &[TORV3_VERSION]]);
    [h[0], h[1]]
}

/// A network address without a port (Core's `CNetAddr`).
///
/// Equality, ordering and hashing ignore the IPv6 scope id, as Core's do.
#[derive(Clone, Debug)]
pub struct NetAddr {
    net: Network,
    addr: Vec<u8>,
    scope_id: u32,
}

impl Default for NetAddr {
    /// The unspecified IPv6 address `::`, which is not valid.
    fn default() -> Self {
        Self {
            net: Network::Ipv6,
            addr: vec![0; ADDR_IPV6_SIZE],
            scope_id: 0,
        }
    }
}

impl PartialEq for NetAddr {
    fn eq(&self, other: &Self) -> bool {
        self.net == other.net && self.addr == other.addr
    }
}

impl Eq for NetAddr {}

impl Hash for NetAddr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.net.hash(state);
        self.addr.hash(state);
    }
}

impl Ord for NetAddr {
    /// Network first, then (as Core's prevector compares) length, then bytes.
    fn cmp(&self, other: &Self) -> Ordering {
        self.net
            .cmp(&other.net)
            .then(self.addr.len().cmp(&other.addr.len()))
            .then_with(|| self.addr.cmp(&other.addr))
    }
}

impl PartialOrd for NetAddr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl NetAddr {
    /// An IPv4 address.
    pub fn from_ipv4(ip: Ipv4Addr) -> Self {
        Self {
            net: Network::Ipv4,
            addr: ip.octets().to_vec(),
            scope_id: 0,
        }
    }

    /// An IPv6 address as the legacy 16-byte field: mapped IPv4 and internal addresses
    /// are recognised by prefix, and Tor v2 addresses become the invalid `::`.
    pub fn from_ipv6(ip: Ipv6Addr, scope_id: u32) -> Self {
        let mut a = Self::from_legacy_ipv6(&ip.octets());
        a.scope_id = scope_id;
        a
    }

    /// Interprets a 16-byte addrv1 field (Core's `SetLegacyIPv6`).
    pub fn from_legacy_ipv6(b: &[u8; 16]) -> Self {
        let (net, addr) = if b.starts_with(&IPV4_IN_IPV6_PREFIX) {
            (Network::Ipv4, b[12..].to_vec())
        } else if b.starts_with(&TORV2_IN_IPV6_PREFIX) {
            (Network::Ipv6, vec![0; ADDR_IPV6_SIZE])
        } else if b.starts_with(&INTERNAL_IN_IPV6_PREFIX) {
            (
                Network::Internal,
                b[INTERNAL_IN_IPV6_PREFIX.len()..].to_vec(),
            )
        } else {
            (Network::Ipv6, b.to_vec())
        };
        Self {
            net,
            addr,
            scope_id: 0,
        }
    }

    /// The internal placeholder for a name, as address manager entries for DNS seeds use
    /// (Core's `SetInternal`); `None` for an empty name.
    pub fn internal(name: &str) -> Option<Self> {
        if name.is_empty() {
            return None;
        }
        let h = <sha256::Hash as bitcoin::hashes::Hash>::hash(name.as_bytes()).to_byte_array();
        Some(Self {
            net: Network::Internal,
            addr: h[..ADDR_INTERNAL_SIZE].to_vec(),
            scope_id: 0,
        })
    }

    /// A Tor v3 address from its 32-byte public key.
    pub fn onion(pubkey: [u8; 32]) -> Self {
        Self {
            net: Network::Onion,
            addr: pubkey.to_vec(),
            scope_id: 0,
        }
    }

    /// An I2P address from its 32-byte destination hash.
    pub fn i2p(hash: [u8; 32]) -> Self {
        Self {
            net: Network::I2p,
            addr: hash.to_vec(),
            scope_id: 0,
        }
    }

    /// A CJDNS address (should start with [`CJDNS_PREFIX`] to be valid).
    pub fn cjdns(ip: [u8; 16]) -> Self {
        Self {
            net: Network::Cjdns,
            addr: ip.to_vec(),
            scope_id: 0,
        }
    }

    /// Parses a `.onion` (v3, with its checksum and version checked) or `.b32.i2p` name
    /// (Core's `SetSpecial`).
    pub fn from_special(s: &str) -> Option<Self> {
        if s.contains('\0') {
            return None;
        }
        Self::parse_tor(s).or_else(|| Self::parse_i2p(s))
    }

    fn parse_tor(s: &str) -> Option<Self> {
        let body = s.strip_suffix(".onion")?;
        let input = base32::decode(body)?;
        if input.len() != ADDR_TORV3_SIZE + 3 {
            return None;
        }
        let (pubkey, rest) = input.split_at(ADDR_TORV3_SIZE);
        if rest[2] != TORV3_VERSION || rest[..2] != torv3_checksum(pubkey) {
            return None;
        }
        Some(Self {
            net: Network::Onion,
            addr: pubkey.to_vec(),
            scope_id: 0,
        })
    }

    fn parse_i2p(s: &str) -> Option<Self> {
        const B32_LEN: usize = 52;
        if s.len() != B32_LEN + 8 || !s.is_char_boundary(B32_LEN) {
            return None;
        }
        if !s[B32_LEN..].eq_ignore_ascii_case(".b32.i2p") {
            return None;
        }
        let bytes = base32::decode(&format!("{}====", &s[..B32_LEN]))?;
        if bytes.len() != ADDR_I2P_SIZE {
            return None;
        }
        Some(Self {
            net: Network::I2p,
            addr: bytes,
            scope_id: 0,
        })
    }

    /// The network the address is stored as (never [`Network::Unroutable`]); compare
    /// [`get_network`](Self::get_network).
    pub fn net(&self) -> Network {
        self.net
    }

    /// The raw address bytes (4 for IPv4, 16 for IPv6/CJDNS, 32 for Tor/I2P, 10 for
    /// internal).
    pub fn raw(&self) -> &[u8] {
        &self.addr
    }

    /// The IPv6 scope id (zero when none).
    pub fn scope_id(&self) -> u32 {
        self.scope_id
    }

    /// Whether this is an IPv4 address.
    pub fn is_ipv4(&self) -> bool {
        self.net == Network::Ipv4
    }
    /// Whether this is an IPv6 address (not mapped IPv4, not internal).
    pub fn is_ipv6(&self) -> bool {
        self.net == Network::Ipv6
    }
    /// Whether this is a Tor address.
    pub fn is_tor(&self) -> bool {
        self.net == Network::Onion
    }
    /// Whether this is an I2P address.
    pub fn is_i2p(&self) -> bool {
        self.net == Network::I2p
    }
    /// Whether this is a CJDNS address.
    pub fn is_cjdns(&self) -> bool {
        self.net == Network::Cjdns
    }
    /// Whether this is an internal name placeholder.
    pub fn is_internal(&self) -> bool {
        self.net == Network::Internal
    }
    /// Tor or I2P.
    pub fn is_privacy_net(&self) -> bool {
        self.is_tor() || self.is_i2p()
    }
    /// Whether the first byte is the CJDNS prefix 0xFC.
    pub fn has_cjdns_prefix(&self) -> bool {
        self.addr.first() == Some(&CJDNS_PREFIX)
    }

    fn v4_prefix(&self, p: &[u8]) -> bool {
        self.is_ipv4() && self.addr.starts_with(p)
    }
    fn v6_prefix(&self, p: &[u8]) -> bool {
        self.is_ipv6() && self.addr.starts_with(p)
    }

    /// The all-zero IPv4 or IPv6 address (`INADDR_ANY`).
    pub fn is_bind_any(&self) -> bool {
        (self.is_ipv4() || self.is_ipv6()) && self.addr.iter().all(|&b| b == 0)
    }
    /// IPv4 private networks: 10/8, 192.168/16, 172.16/12.
    pub fn is_rfc1918(&self) -> bool {
        self.is_ipv4()
            && (self.addr[0] == 10
                || (self.addr[0] == 192 && self.addr[1] == 168)
                || (self.addr[0] == 172 && (16..=31).contains(&self.addr[1])))
    }
    /// IPv4 inter-network communications: 198.18/15.
    pub fn is_rfc2544(&self) -> bool {
        self.is_ipv4() && self.addr[0] == 198 && (self.addr[1] == 18 || self.addr[1] == 19)
    }
    /// IPv4 autoconfig: 169.254/16.
    pub fn is_rfc3927(&self) -> bool {
        self.v4_prefix(&[169, 254])
    }
    /// IPv4 ISP-level NAT: 100.64/10.
    pub fn is_rfc6598(&self) -> bool {
        self.is_ipv4() && self.addr[0] == 100 && (64..=127).contains(&self.addr[1])
    }
    /// IPv4 documentation: 192.0.2/24, 198.51.100/24, 203.0.113/24.
    pub fn is_rfc5737(&self) -> bool {
        self.v4_prefix(&[192, 0, 2])
            || self.v4_prefix(&[198, 51, 100])
            || self.v4_prefix(&[203, 0, 113])
    }
    /// IPv6 documentation: 2001:db8::/32.
    pub fn is_rfc3849(&self) -> bool {
        self.v6_prefix(&[0x20, 0x01, 0x0D, 0xB8])
    }
    /// IPv6 6to4 tunnelling: 2002::/16.
    pub fn is_rfc3964(&self) -> bool {
        self.v6_prefix(&[0x20, 0x02])
    }
    /// IPv6 well-known prefix for embedded IPv4: 64:ff9b::/96.
    pub fn is_rfc6052(&self) -> bool {
        self.v6_prefix(&[0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
    }
    /// IPv6 Teredo tunnelling: 2001::/32.
    pub fn is_rfc4380(&self) -> bool {
        self.v6_prefix(&[0x20, 0x01, 0x00, 0x00])
    }
    /// IPv6 autoconfig: fe80::/64.
    pub fn is_rfc4862(&self) -> bool {
        self.v6_prefix(&[0xFE, 0x80, 0, 0, 0, 0, 0, 0])
    }
    /// IPv6 unique local: fc00::/7.
    pub fn is_rfc4193(&self) -> bool {
        self.is_ipv6() && (self.addr[0] & 0xFE) == 0xFC
    }
    /// IPv6 IPv4-translated: ::ffff:0:0:0/96.
    pub fn is_rfc6145(&self) -> bool {
        self.v6_prefix(&[0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0])
    }
    /// IPv6 ORCHID (deprecated): 2001:10::/28.
    pub fn is_rfc4843(&self) -> bool {
        self.v6_prefix(&[0x20, 0x01, 0x00]) && (self.addr[3] & 0xF0) == 0x10
    }
    /// IPv6 ORCHIDv2: 2001:20::/28.
    pub fn is_rfc7343(&self) -> bool {
        self.v6_prefix(&[0x20, 0x01, 0x00]) && (self.addr[3] & 0xF0) == 0x20
    }
    /// Hurricane Electric: 2001:470::/32 (grouped by /36).
    pub fn is_he_net(&self) -> bool {
        self.v6_prefix(&[0x20, 0x01, 0x04, 0x70])
    }

    /// Loopback and "this network": 127/8, 0/8 and ::1.
    pub fn is_local(&self) -> bool {
        if self.is_ipv4() && (self.addr[0] == 127 || self.addr[0] == 0) {
            return true;
        }
        self.is_ipv6() && self.addr[..] == Ipv6Addr::LOCALHOST.octets()
    }

    /// Whether the address could name a real host (a superset of routable ones).
    pub fn is_valid(&self) -> bool {
        if self.is_ipv6() && self.addr.iter().all(|&b| b == 0) {
            return false;
        }
        if self.is_cjdns() && !self.has_cjdns_prefix() {
            return false;
        }
        if self.is_rfc3849() || self.is_internal() {
            return false;
        }
        if self.is_ipv4() {
            let v = u32::from_be_bytes([self.addr[0], self.addr[1], self.addr[2], self.addr[3]]);
            if v == 0 || v == u32::MAX {
                return false;
            }
        }
        true
    }

    /// Whether the address is publicly routable on its network.
    pub fn is_routable(&self) -> bool {
        self.is_valid()
            && !(self.is_rfc1918()
                || self.is_rfc2544()
                || self.is_rfc3927()
                || self.is_rfc4862()
                || self.is_rfc6598()
                || self.is_rfc5737()
                || self.is_rfc4193()
                || self.is_rfc4843()
                || self.is_rfc7343()
                || self.is_local()
                || self.is_internal())
    }

    /// Whether to relay the address to peers even when we cannot reach it.
    pub fn is_relayable(&self) -> bool {
        matches!(
            self.net,
            Network::Ipv4 | Network::Ipv6 | Network::Onion | Network::I2p | Network::Cjdns
        )
    }

    /// Whether the address fits the pre-BIP155 16-byte encoding.
    pub fn is_addr_v1_compatible(&self) -> bool {
        matches!(self.net, Network::Ipv4 | Network::Ipv6 | Network::Internal)
    }

    /// The network for reachability and statistics: [`Network::Internal`],
    /// [`Network::Unroutable`] for anything not routable, else the stored network.
    pub fn get_network(&self) -> Network {
        if self.is_internal() {
            Network::Internal
        } else if !self.is_routable() {
            Network::Unroutable
        } else {
            self.net
        }
    }

    /// Like [`get_network`](Self::get_network), but IPv6 addresses that embed an IPv4
    /// address (6to4, Teredo, translated) count as IPv4.
    pub fn get_net_class(&self) -> Network {
        if self.is_internal() {
            Network::Internal
        } else if !self.is_routable() {
            Network::Unroutable
        } else if self.has_linked_ipv4() {
            Network::Ipv4
        } else {
            self.net
        }
    }

    /// Whether a routable IPv4 address is contained in (or is) this address.
    pub fn has_linked_ipv4(&self) -> bool {
        self.is_routable()
            && (self.is_ipv4()
                || self.is_rfc6145()
                || self.is_rfc6052()
                || self.is_rfc3964()
                || self.is_rfc4380())
    }

    /// The IPv4 address linked to this one, big-endian as a number; zero when there is
    /// none (check [`has_linked_ipv4`](Self::has_linked_ipv4) first).
    pub fn get_linked_ipv4(&self) -> u32 {
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if self.is_ipv4() {
            be(&self.addr)
        } else if self.is_rfc6052() || self.is_rfc6145() {
            be(&self.addr[12..])
        } else if self.is_rfc3964() {
            be(&self.addr[2..6])
        } else if self.is_rfc4380() {
            // Teredo stores the client address inverted.
            !be(&self.addr[12..])
        } else {
            0
        }
    }

    /// The 16-byte addrv1 field: IPv4 and internal addresses behind their prefixes, zeros
    /// for networks that do not fit.
    pub fn serialize_v1(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        match self.net {
            Network::Ipv6 => out.copy_from_slice(&self.addr),
            Network::Ipv4 => {
                out[..12].copy_from_slice(&IPV4_IN_IPV6_PREFIX);
                out[12..].copy_from_slice(&self.addr);
            }
            Network::Internal => {
                out[..6].copy_from_slice(&INTERNAL_IN_IPV6_PREFIX);
                out[6..].copy_from_slice(&self.addr);
            }
            _ => {}
        }
        out
    }

    /// Bytes identifying the address for hashing (Core's `GetAddrBytes`): the addrv1 field
    /// when it fits, else the raw bytes.
    pub fn get_addr_bytes(&self) -> Vec<u8> {
        if self.is_addr_v1_compatible() {
            self.serialize_v1().to_vec()
        } else {
            self.addr.clone()
        }
    }

    /// The BIP155 network id; internal addresses are sent as IPv6.
    pub fn bip155_network(&self) -> u8 {
        match self.net {
            Network::Ipv4 => bip155::IPV4,
            Network::Ipv6 | Network::Internal | Network::Unroutable => bip155::IPV6,
            Network::Onion => bip155::TORV3,
            Network::I2p => bip155::I2P,
            Network::Cjdns => bip155::CJDNS,
        }
    }

    /// Appends the BIP155 encoding (network id, CompactSize length, bytes).
    pub fn serialize_v2(&self, out: &mut Vec<u8>) {
        if self.is_internal() {
            out.push(bip155::IPV6);
            write_compact_size(out, ADDR_IPV6_SIZE as u64);
            out.extend_from_slice(&self.serialize_v1());
            return;
        }
        out.push(self.bip155_network());
        write_compact_size(out, self.addr.len() as u64);
        out.extend_from_slice(&self.addr);
    }

    /// Reads a 16-byte addrv1 field.
    pub fn deserialize_v1(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self::from_legacy_ipv6(&r.array()?))
    }

    /// Reads a BIP155 address. Unknown networks (and Tor v2) are skipped and give the
    /// invalid `::`; a known network with the wrong length is an error, as in Core.
    pub fn deserialize_v2(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = r.u8()?;
        let size = r.compact_size(true)?;
        if size > MAX_ADDRV2_SIZE {
            return Err(DecodeError(format!(
                "Address too long: {size} > {MAX_ADDRV2_SIZE}"
            )));
        }
        let size = size as usize;
        let expect = |name: &str, want: usize, net: Network| {
            if size == want {
                Ok(Some(net))
            } else {
                Err(DecodeError(format!(
                    "BIP155 {name} address with length {size} (should be {want})"
                )))
            }
        };
        let net = match id {
            bip155::IPV4 => expect("IPv4", ADDR_IPV4_SIZE, Network::Ipv4)?,
            bip155::IPV6 => expect("IPv6", ADDR_IPV6_SIZE, Network::Ipv6)?,
            bip155::TORV3 => expect("TORv3", ADDR_TORV3_SIZE, Network::Onion)?,
            bip155::I2P => expect("I2P", ADDR_I2P_SIZE, Network::I2p)?,
            bip155::CJDNS => expect("CJDNS", ADDR_CJDNS_SIZE, Network::Cjdns)?,
            _ => None,
        };
        let bytes = r.bytes(size)?;
        let Some(net) = net else {
            return Ok(Self::default());
        };
        if net != Network::Ipv6 {
            return Ok(Self {
                net,
                addr: bytes.to_vec(),
                scope_id: 0,
            });
        }
        if bytes.starts_with(&INTERNAL_IN_IPV6_PREFIX) {
            return Ok(Self {
                net: Network::Internal,
                addr: bytes[INTERNAL_IN_IPV6_PREFIX.len()..].to_vec(),
                scope_id: 0,
            });
        }
        // IPv4 and Tor v2 must use their own BIP155 ids; embedded forms are rejected.
        if bytes.starts_with(&IPV4_IN_IPV6_PREFIX) || bytes.starts_with(&TORV2_IN_IPV6_PREFIX) {
            return Ok(Self::default());
        }
        Ok(Self {
            net,
            addr: bytes.to_vec(),
            scope_id: 0,
        })
    }

    /// Converts from the `bitcoin` crate's BIP155 address with the same rules as
    /// [`deserialize_v2`](Self::deserialize_v2) (unknown or unsupported becomes `::`).
    pub fn from_addrv2(a: &AddrV2) -> Self {
        match a {
            AddrV2::Ipv4(ip) => Self::from_ipv4(*ip),
            AddrV2::Ipv6(ip) => {
                let o = ip.octets();
                if o.starts_with(&INTERNAL_IN_IPV6_PREFIX) {
                    Self::from_legacy_ipv6(&o)
                } else if o.starts_with(&IPV4_IN_IPV6_PREFIX)
                    || o.starts_with(&TORV2_IN_IPV6_PREFIX)
                {
                    Self::default()
                } else {
                    Self {
                        net: Network::Ipv6,
                        addr: o.to_vec(),
                        scope_id: 0,
                    }
                }
            }
            AddrV2::TorV3(k) => Self::onion(*k),
            AddrV2::I2p(h) => Self::i2p(*h),
            AddrV2::Cjdns(ip) => Self::cjdns(ip.octets()),
            AddrV2::TorV2(_) | AddrV2::Unknown(..) => Self::default(),
        }
    }

    /// Converts to the `bitcoin` crate's BIP155 address (internal addresses as IPv6 with
    /// their prefix, as Core sends them).
    pub fn to_addrv2(&self) -> AddrV2 {
        let arr32 = || {
            let mut k = [0u8; 32];
            k.copy_from_slice(&self.addr);
            k
        };
        match self.net {
            Network::Ipv4 => AddrV2::Ipv4(Ipv4Addr::new(
                self.addr[0],
                self.addr[1],
                self.addr[2],
                self.addr[3],
            )),
            Network::Onion => AddrV2::TorV3(arr32()),
            Network::I2p => AddrV2::I2p(arr32()),
            Network::Cjdns => AddrV2::Cjdns(Ipv6Addr::from(self.serialize_cjdns())),
            Network::Ipv6 | Network::Internal | Network::Unroutable => {
                AddrV2::Ipv6(Ipv6Addr::from(self.serialize_v1()))
            }
        }
    }

    fn serialize_cjdns(&self) -> [u8; 16] {
        let mut o = [0u8; 16];
        o.copy_from_slice(&self.addr);
        o
    }

    /// As [`Network::Cjdns`] when this is an IPv6 address with the CJDNS prefix and CJDNS
    /// is reachable (Core's `MaybeFlipIPv6toCJDNS`, for user-supplied addresses).
    pub fn maybe_flip_to_cjdns(mut self, cjdns_reachable: bool) -> Self {
        if self.is_ipv6() && self.has_cjdns_prefix() && cjdns_reachable {
            self.net = Network::Cjdns;
        }
        self
    }

    /// How well we can reach this address from a peer at `partner`, higher is better
    /// (Core's `GetReachabilityFrom`: 0 unreachable … 6 private network).
    pub fn get_reachability_from(&self, partner: &NetAddr) -> u8 {
        const UNREACHABLE: u8 = 0;
        const DEFAULT: u8 = 1;
        const TEREDO: u8 = 2;
        const IPV6_WEAK: u8 = 3;
        const IPV4: u8 = 4;
        const IPV6_STRONG: u8 = 5;
        const PRIVATE: u8 = 6;
        // Teredo is split out of IPv6 here only.
        #[derive(PartialEq)]
        enum Ext {
            Net(Network),
            Teredo,
        }
        let ext = |a: &NetAddr| {
            if a.is_rfc4380() {
                Ext::Teredo
            } else {
                Ext::Net(a.get_network())
            }
        };
        if !self.is_routable() || self.is_internal() {
            return UNREACHABLE;
        }
        let ours = ext(self);
        let tunnel = self.is_rfc3964() || self.is_rfc6052() || self.is_rfc6145();
        match ext(partner) {
            Ext::Net(Network::Ipv4) => match ours {
                Ext::Net(Network::Ipv4) => IPV4,
                _ => DEFAULT,
            },
            Ext::Net(Network::Ipv6) => match ours {
                Ext::Teredo => TEREDO,
                Ext::Net(Network::Ipv4) => IPV4,
                Ext::Net(Network::Ipv6) => {
                    if tunnel {
                        IPV6_WEAK
                    } else {
                        IPV6_STRONG
                    }
                }
                _ => DEFAULT,
            },
            Ext::Net(Network::Onion) => match ours {
                Ext::Net(Network::Ipv4) => IPV4,
                Ext::Net(Network::Onion) => PRIVATE,
                _ => DEFAULT,
            },
            Ext::Net(Network::I2p) => match ours {
                Ext::Net(Network::I2p) => PRIVATE,
                _ => DEFAULT,
            },
            Ext::Net(Network::Cjdns) => match ours {
                Ext::Net(Network::Cjdns) => PRIVATE,
                _ => DEFAULT,
            },
            Ext::Teredo => match ours {
                Ext::Teredo => TEREDO,
                Ext::Net(Network::Ipv6) => IPV6_WEAK,
                Ext::Net(Network::Ipv4) => IPV4,
                _ => DEFAULT,
            },
            _ => match ours {
                Ext::Teredo => TEREDO,
                Ext::Net(Network::Ipv6) => IPV6_WEAK,
                Ext::Net(Network::Ipv4) => IPV4,
                Ext::Net(Network::Onion) => PRIVATE,
                _ => DEFAULT,
            },
        }
    }

    /// The address without port, exactly as Core prints it (`ToStringAddr`).
    pub fn to_string_addr(&self) -> String {
        match self.net {
            Network::Ipv4 => format!(
                "{}.{}.{}.{}",
                self.addr[0], self.addr[1], self.addr[2], self.addr[3]
            ),
            Network::Ipv6 => ipv6_to_string(&self.addr, self.scope_id),
            Network::Cjdns => ipv6_to_string(&self.addr, 0),
            Network::Onion => {
                let mut b = self.addr.clone();
                b.extend_from_slice(&torv3_checksum(&self.addr));
                b.push(TORV3_VERSION);
                format!("{}.onion", base32::encode(&b, true))
            }
            Network::I2p => format!("{}.b32.i2p", base32::encode(&self.addr, false)),
            Network::Internal => format!("{}.internal", base32::encode(&self.addr, true)),
            Network::Unroutable => String::new(),
        }
    }
}

/// IPv6 text as Core writes it: lower-case hex groups without leading zeros, the first
/// longest run of two or more zero groups as `::`, embedded IPv4 not special-cased.
fn ipv6_to_string(a: &[u8], scope_id: u32) -> String {
    let groups: Vec<u16> = a
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let (mut cur_start, mut cur_len) = (0usize, 0usize);
    for (i, &g) in groups.iter().enumerate() {
        if g != 0 {
            cur_start = i + 1;
            cur_len = 0;
            continue;
        }
        cur_len += 1;
        if cur_len > best_len {
            best_start = cur_start;
            best_len = cur_len;
        }
    }
    let mut r = String::with_capacity(39);
    for (i, g) in groups.iter().enumerate() {
        if best_len >= 2 && i >= best_start && i < best_start + best_len {
            if i == best_start {
                r.push_str("::");
            }
            continue;
        }
        if !r.is_empty() && !r.ends_with(':') {
            r.push(':');
        }
        r.push_str(&format!("{g:x}"));
    }
    if scope_id != 0 {
        r.push_str(&format!("%{scope_id}"));
    }
    r
}

impl fmt::Display for NetAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_addr())
    }
}

/// An address with a TCP port (Core's `CService`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    /// The address.
    pub addr: NetAddr,
    /// The port, host order.
    pub port: u16,
}

impl Service {
    /// Pairs an address with a port.
    pub fn new(addr: NetAddr, port: u16) -> Self {
        Self { addr, port }
    }

    /// Bytes identifying address and port (Core's `GetKey`): the address bytes then the
    /// port big-endian.
    pub fn get_key(&self) -> Vec<u8> {
        let mut k = self.addr.get_addr_bytes();
        k.extend_from_slice(&self.port.to_be_bytes());
        k
    }

    /// `addr:port`, with IPv6 and CJDNS in brackets (`ToStringAddrPort`).
    pub fn to_string_addr_port(&self) -> String {
        let a = &self.addr;
        if a.is_ipv4() || a.is_tor() || a.is_i2p() || a.is_internal() {
            format!("{}:{}", a.to_string_addr(), self.port)
        } else {
            format!("[{}]:{}", a.to_string_addr(), self.port)
        }
    }

    /// Appends the address (addrv1 or BIP155) and the big-endian port.
    pub fn serialize(&self, out: &mut Vec<u8>, v2: bool) {
        if v2 {
            self.addr.serialize_v2(out);
        } else {
            out.extend_from_slice(&self.addr.serialize_v1());
        }
        out.extend_from_slice(&self.port.to_be_bytes());
    }

    /// Reads an address (addrv1 or BIP155) and a big-endian port.
    pub fn deserialize(r: &mut Reader<'_>, v2: bool) -> Result<Self, DecodeError> {
        let addr = if v2 {
            NetAddr::deserialize_v2(r)?
        } else {
            NetAddr::deserialize_v1(r)?
        };
        let port = u16::from_be_bytes(r.array()?);
        Ok(Self { addr, port })
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_addr_port())
    }
}

/// The version field in front of every address on disk: low bits ignored, bit 29 marks
/// the BIP155 encoding.
const DISK_VERSION_INIT: u32 = 220000;
const DISK_VERSION_IGNORE_MASK: u32 = 0x0007_FFFF;
const DISK_VERSION_ADDRV2: u32 = 1 << 29;

/// A peer address as gossiped and stored: service, last-seen time and service flags
/// (Core's `CAddress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Address and port.
    pub service: Service,
    /// When the address was last seen, seconds since the epoch (stored as 32 bits).
    pub time: i64,
    /// Advertised services.
    pub services: ServiceFlags,
}

impl Default for Address {
    fn default() -> Self {
        // Core's default time: 100000000 seconds after the epoch.
        Self {
            service: Service::default(),
            time: 100_000_000,
            services: ServiceFlags::NONE,
        }
    }
}

impl Address {
    /// An address with its services and time.
    pub fn new(service: Service, services: ServiceFlags, time: i64) -> Self {
        Self {
            service,
            time,
            services,
        }
    }

    /// The address without port.
    pub fn addr(&self) -> &NetAddr {
        &self.service.addr
    }

    /// Appends the disk form: version field, time, services, then the service in addrv1
    /// or (when `v2`) BIP155 encoding.
    pub fn serialize_disk(&self, out: &mut Vec<u8>, v2: bool) {
        let version = if v2 {
            DISK_VERSION_INIT | DISK_VERSION_ADDRV2
        } else {
            DISK_VERSION_INIT
        };
        out.extend_from_slice(&version.to_le_bytes());
        self.serialize_network(out, v2);
    }

    /// Reads the disk form; the BIP155 encoding is accepted only when `allow_v2`.
    pub fn deserialize_disk(r: &mut Reader<'_>, allow_v2: bool) -> Result<Self, DecodeError> {
        let version = r.u32()? & !DISK_VERSION_IGNORE_MASK;
        let v2 = match version {
            0 => false,
            DISK_VERSION_ADDRV2 if allow_v2 => true,
            _ => {
                return Err(DecodeError(
                    "Unsupported CAddress disk format version".into(),
                ))
            }
        };
        Self::deserialize_network(r, v2)
    }

    /// Appends the network form (`addr`/`addrv2` message entry).
    pub fn serialize_network(&self, out: &mut Vec<u8>, v2: bool) {
        // Times outside 32 bits are truncated, as Core's lossy formatter does.
        out.extend_from_slice(&(self.time as u32).to_le_bytes());
        if v2 {
            write_compact_size(out, self.services.to_u64());
        } else {
            out.extend_from_slice(&self.services.to_u64().to_le_bytes());
        }
        self.service.serialize(out, v2);
    }

    /// Reads the network form.
    pub fn deserialize_network(r: &mut Reader<'_>, v2: bool) -> Result<Self, DecodeError> {
        let time = i64::from(r.u32()?);
        let services = if v2 { r.compact_size(false)? } else { r.u64()? };
        let service = Service::deserialize(r, v2)?;
        Ok(Self {
            service,
            time,
            services: ServiceFlags::from(services),
        })
    }
}

/// A set of addresses: an IPv4/IPv6 prefix, or one address of any other network (Core's
/// `CSubNet`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubNet {
    network: NetAddr,
    netmask: [u8; 16],
    valid: bool,
}

impl Default for SubNet {
    /// The invalid subnet, which matches nothing.
    fn default() -> Self {
        Self {
            network: NetAddr::default(),
            netmask: [0; 16],
            valid: false,
        }
    }
}

impl Ord for SubNet {
    fn cmp(&self, other: &Self) -> Ordering {
        self.network
            .cmp(&other.network)
            .then(self.netmask.cmp(&other.netmask))
            .then(self.valid.cmp(&other.valid))
    }
}

impl PartialOrd for SubNet {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Prefix length of one netmask byte, `None` when its ones are not contiguous from the top.
fn netmask_bits(x: u8) -> Option<u32> {
    (x.leading_ones() + x.trailing_zeros() == 8 || x == 0).then_some(x.leading_ones())
}

impl SubNet {
    /// `addr/bits`; invalid unless `addr` is IPv4 with `bits` ≤ 32 or IPv6 with ≤ 128.
    /// Host bits of `addr` are cleared.
    pub fn from_cidr(addr: &NetAddr, bits: u8) -> Self {
        let valid = (addr.is_ipv4() && usize::from(bits) <= ADDR_IPV4_SIZE * 8)
            || (addr.is_ipv6() && usize::from(bits) <= ADDR_IPV6_SIZE * 8);
        if !valid {
            return Self::default();
        }
        let mut s = Self {
            network: addr.clone(),
            netmask: [0; 16],
            valid: true,
        };
        let mut n = u32::from(bits);
        for i in 0..s.network.addr.len() {
            let take = n.min(8);
            s.netmask[i] = if take == 0 { 0 } else { 0xFFu8 << (8 - take) };
            s.network.addr[i] &= s.netmask[i];
            n -= take;
        }
        s
    }

    /// `addr/mask` with a full netmask of the same network; invalid when the mask has a
    /// one after a zero.
    pub fn from_mask(addr: &NetAddr, mask: &NetAddr) -> Self {
        if !(addr.is_ipv4() || addr.is_ipv6()) || addr.net != mask.net {
            return Self::default();
        }
        let mut zeros_found = false;
        for &b in &mask.addr {
            match netmask_bits(b) {
                Some(n) if !(zeros_found && n != 0) => {
                    if n < 8 {
                        zeros_found = true;
                    }
                }
                _ => return Self::default(),
            }
        }
        let mut s = Self {
            network: addr.clone(),
            netmask: [0; 16],
            valid: true,
        };
        s.netmask[..mask.addr.len()].copy_from_slice(&mask.addr);
        for (i, b) in s.network.addr.iter_mut().enumerate() {
            *b &= s.netmask[i];
        }
        s
    }

    /// The subnet holding only `addr` (`/32`, `/128`, or the address itself for Tor, I2P
    /// and CJDNS); invalid for internal addresses.
    pub fn single(addr: &NetAddr) -> Self {
        let mut s = Self {
            network: addr.clone(),
            netmask: [0; 16],
            valid: true,
        };
        match addr.net {
            Network::Ipv4 | Network::Ipv6 => s.netmask[..addr.addr.len()].fill(0xFF),
            Network::Onion | Network::I2p | Network::Cjdns => {}
            Network::Internal | Network::Unroutable => return Self::default(),
        }
        s
    }

    /// Whether the subnet is usable.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> &NetAddr {
        &self.network
    }

    /// Whether `addr` is valid and inside this subnet.
    pub fn matches(&self, addr: &NetAddr) -> bool {
        if !self.valid || !addr.is_valid() || self.network.net != addr.net {
            return false;
        }
        match self.network.net {
            Network::Ipv4 | Network::Ipv6 => {}
            Network::Onion | Network::I2p | Network::Cjdns | Network::Internal => {
                return *addr == self.network
            }
            Network::Unroutable => return false,
        }
        addr.addr
            .iter()
            .zip(self.netmask.iter())
            .zip(self.network.addr.iter())
            .all(|((a, m), n)| a & m == *n)
    }
}

impl fmt::Display for SubNet {
    /// `network/prefixlen` for IP subnets, the bare address otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.network.to_string_addr())?;
        if matches!(self.network.net, Network::Ipv4 | Network::Ipv6) {
            let mut cidr = 0;
            for &m in &self.netmask[..self.network.addr.len()] {
                if m == 0 {
                    break;
                }
                cidr += netmask_bits(m).unwrap_or(0);
            }
            write!(f, "/{cidr}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
