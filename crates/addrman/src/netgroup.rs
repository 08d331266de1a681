//! Address groups (Core's `NetGroupManager::GetGroup` without an asmap): addresses in the
//! same group are assumed to be under one operator's control, so the address manager
//! spreads its buckets and outbound connections across groups.

use crate::netaddress::{NetAddr, Network, ADDR_INTERNAL_SIZE, INTERNAL_IN_IPV6_PREFIX};

/// The group of `addr`: its network class byte, then
/// * nothing for local and other unroutable addresses (one group each),
/// * the internal address bytes for internal addresses,
/// * the /16 of the (linked) IPv4 address,
/// * the first 4 bits for Tor and I2P, 12 bits for CJDNS (after the constant prefix
///   byte), /36 for Hurricane Electric and /32 for other IPv6,
///
/// with the bits past the prefix in the last byte set to one.
pub fn get_group(addr: &NetAddr) -> Vec<u8> {
    let mut out = vec![addr.get_net_class() as u8];
    let mut start = 0usize;
    let mut bits = 0usize;
    if addr.is_local() {
        // every local address shares one group
    } else if addr.is_internal() {
        start = INTERNAL_IN_IPV6_PREFIX.len();
        bits = ADDR_INTERNAL_SIZE * 8;
    } else if !addr.is_routable() {
        // as do all other unroutable addresses
    } else if addr.has_linked_ipv4() {
        let v4 = addr.get_linked_ipv4();
        out.push((v4 >> 24) as u8);
        out.push((v4 >> 16) as u8);
        return out;
    } else if addr.is_tor() || addr.is_i2p() {
        bits = 4;
    } else if addr.is_cjdns() {
        // The first byte is always 0xFC, so take the random bits after it.
        bits = 12;
    } else if addr.is_he_net() {
        bits = 36;
    } else {
        bits = 32;
    }
    let bytes = addr.get_addr_bytes();
    let whole = bits / 8;
    out.extend_from_slice(&bytes[start..start + whole]);
    let rem = bits % 8;
    if rem > 0 {
        if let Some(b) = bytes.get(start + whole) {
            out.push(b | ((1u8 << (8 - rem)) - 1));
        }
    }
    out
}

/// The network class used for grouping (re-exported for callers that only need it).
pub fn net_class(addr: &NetAddr) -> Network {
    addr.get_net_class()
}
