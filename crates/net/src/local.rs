//! Our own addresses as peers may reach us (Core's `mapLocalHost`, `AddLocal`,
//! `GetLocal`, `Discover`): from `-externalip`, from routable bound addresses and from the
//! network interfaces, each with a score saying how sure we are. The best one for a peer
//! is what we advertise to it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;

use addrman::netaddress::{NetAddr, Network, Service};
use common::log_info;

use crate::sync::lock;

/// Found on a network interface (`LOCAL_IF`).
pub const LOCAL_IF: i32 = 1;
/// A routable address we listen on (`LOCAL_BIND`).
pub const LOCAL_BIND: i32 = 2;
/// Given by the user (`-externalip`, `LOCAL_MANUAL`).
pub const LOCAL_MANUAL: i32 = 4;

/// One local address's score and port (`LocalServiceInfo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalInfo {
    /// How sure we are of it; raised each time it is seen again.
    pub score: i32,
    /// The port peers should use.
    pub port: u16,
}

/// The table of local addresses.
#[derive(Default)]
pub(crate) struct LocalAddresses {
    map: Mutex<BTreeMap<NetAddr, LocalInfo>>,
}

impl LocalAddresses {
    /// Records `service` with `score` (`AddLocal`): only routable addresses, on
    /// reachable networks unless `reachable` is `None` (the user's `-externalip` is kept
    /// whatever `-onlynet` says), and below [`LOCAL_MANUAL`] only when discovery is on.
    /// An address seen again with at least its old score gains one.
    pub(crate) fn add(
        &self,
        service: &Service,
        score: i32,
        discover: bool,
        reachable: Option<&[Network]>,
    ) -> bool {
        let addr = &service.addr;
        if !addr.is_routable() || (!discover && score < LOCAL_MANUAL) {
            return false;
        }
        if reachable.is_some_and(|r| !r.contains(&addr.get_network())) {
            return false;
        }
        if common::logging::log_ips() {
            log_info!("AddLocal({},{})", service.to_string_addr_port(), score);
        }
        let mut map = lock(&self.map);
        match map.get_mut(addr) {
            Some(info) if score >= info.score => {
                info.score = score.saturating_add(1);
                info.port = service.port;
            }
            Some(_) => {}
            None => {
                map.insert(
                    addr.clone(),
                    LocalInfo {
                        score,
                        port: service.port,
                    },
                );
            }
        }
        true
    }

    /// Every local address with its score and port, for `getnetworkinfo`.
    pub(crate) fn all(&self) -> Vec<(NetAddr, LocalInfo)> {
        lock(&self.map)
            .iter()
            .map(|(a, i)| (a.clone(), *i))
            .collect()
    }

    /// Whether `addr` is one of ours (`IsLocal`).
    pub(crate) fn contains(&self, addr: &NetAddr) -> bool {
        lock(&self.map).contains_key(addr)
    }

    /// The score of `addr`, 0 when it is not ours (`GetnScore`).
    pub(crate) fn score(&self, addr: &NetAddr) -> i32 {
        lock(&self.map).get(addr).map_or(0, |i| i.score)
    }

    /// The local address best reached from `peer`: the most reachable from its address,
    /// then the best scored; a Tor (or other privacy network) address only to peers on
    /// that network and vice versa (`GetLocal`).
    pub(crate) fn best_for(&self, peer: &NetAddr, peer_net: Network) -> Option<Service> {
        let mut best: Option<(u8, i32, Service)> = None;
        for (addr, info) in lock(&self.map).iter() {
            let privacy = |n: Network| matches!(n, Network::Onion | Network::I2p);
            if addr.get_network() != peer_net && (addr.is_privacy_net() || privacy(peer_net)) {
                continue;
            }
            let reach = addr.get_reachability_from(peer);
            let better = match &best {
                None => true,
                Some((r, s, _)) => reach > *r || (reach == *r && info.score > *s),
            };
            if better {
                best = Some((reach, info.score, Service::new(addr.clone(), info.port)));
            }
        }
        best.map(|(_, _, s)| s)
    }
}

/// The addresses of the machine's network interfaces that are up and not loopback
/// (`Discover`'s `getifaddrs` walk).
pub(crate) fn interface_addresses() -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below; on failure it is unset.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return out;
    }
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, alive until freeifaddrs.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        let flags = ifa.ifa_flags as libc::c_int;
        if ifa.ifa_addr.is_null() || flags & libc::IFF_UP == 0 || flags & libc::IFF_LOOPBACK != 0 {
            continue;
        }
        // SAFETY: ifa_addr is non-null and points to a sockaddr of the family it names.
        let family = i32::from(unsafe { (*ifa.ifa_addr).sa_family });
        if family == libc::AF_INET {
            // SAFETY: the family says this is a sockaddr_in.
            let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
            out.push(IpAddr::from(
                u32::from_be(sin.sin_addr.s_addr).to_be_bytes(),
            ));
        } else if family == libc::AF_INET6 {
            // SAFETY: the family says this is a sockaddr_in6.
            let sin6 = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in6) };
            out.push(IpAddr::from(sin6.sin6_addr.s6_addr));
        }
    }
    // SAFETY: `head` came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::service_of;

    fn svc(s: &str) -> Service {
        service_of(&s.parse().unwrap())
    }

    #[test]
    fn only_routable_reachable_addresses_and_scores_grow() {
        let all = Network::ALL.to_vec();
        let l = LocalAddresses::default();
        assert!(!l.add(&svc("127.0.0.1:8333"), LOCAL_MANUAL, true, Some(&all)));
        assert!(!l.add(&svc("10.0.0.1:8333"), LOCAL_MANUAL, true, Some(&all)));
        // Without discovery only manual addresses count.
        assert!(!l.add(&svc("1.2.3.4:8333"), LOCAL_IF, false, Some(&all)));
        assert!(!l.add(
            &svc("1.2.3.4:8333"),
            LOCAL_MANUAL,
            true,
            Some(&[Network::Ipv6])
        ));
        assert!(l.add(&svc("1.2.3.4:8333"), LOCAL_MANUAL, false, Some(&all)));
        assert_eq!(l.score(&svc("1.2.3.4:1").addr), LOCAL_MANUAL);
        assert!(l.add(&svc("1.2.3.4:8334"), LOCAL_MANUAL, false, Some(&all)));
        let (_, info) = l.all()[0].clone();
        assert_eq!(
            info,
            LocalInfo {
                score: LOCAL_MANUAL + 1,
                port: 8334
            }
        );
        // A lower score neither lowers it nor moves the port.
        assert!(l.add(&svc("1.2.3.4:9000"), LOCAL_IF, true, Some(&all)));
        assert_eq!(l.all()[0].1.port, 8334);
        assert!(l.contains(&svc("1.2.3.4:0").addr));
        // The user's own addresses stay whatever -onlynet allows.
        assert!(l.add(&svc("[2001:470::1]:8333"), LOCAL_MANUAL, false, None));
    }

    #[test]
    fn the_best_address_for_a_peer() {
        let all = Network::ALL.to_vec();
        let l = LocalAddresses::default();
        l.add(&svc("1.2.3.4:8333"), LOCAL_IF, true, Some(&all));
        l.add(&svc("[2001:470::1]:8333"), LOCAL_MANUAL, true, Some(&all));
        // An IPv4 peer reaches our IPv4 address best, whatever the scores.
        let v4_peer = svc("5.6.7.8:1").addr;
        assert_eq!(
            l.best_for(&v4_peer, Network::Ipv4),
            Some(svc("1.2.3.4:8333"))
        );
        let v6_peer = svc("[2001:470::2]:1").addr;
        assert_eq!(
            l.best_for(&v6_peer, Network::Ipv6),
            Some(svc("[2001:470::1]:8333"))
        );
        // Nothing of ours goes to a Tor peer.
        assert_eq!(l.best_for(&NetAddr::onion([1; 32]), Network::Onion), None);
    }

    #[test]
    fn interfaces_can_be_listed() {
        // Whatever the machine has, loopback is never among them.
        assert!(interface_addresses().iter().all(|ip| !ip.is_loopback()));
    }
}
