//! The connection manager's settings (Core's `CConnman::Options`), and a helper filling
//! them from the node's arguments with Core's defaults and parameter interactions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use addrman::{AddrMan, Network};

use common::{ArgsManager, ChainType};

use crate::permissions::{self, PermissionError, WhiteBind, Whitelist};
use crate::types::ConnectionDirection;

/// Default `-maxconnections`.
pub const DEFAULT_MAX_PEER_CONNECTIONS: usize = 200;
/// Default `-inboundrelaypercent`: the share of inbound slots whose peers may relay
/// transactions (`DEFAULT_FULL_RELAY_INBOUND_PCT`).
pub const DEFAULT_FULL_RELAY_INBOUND_PCT: i64 = 50;
/// Automatic outbound full-relay connections (`MAX_OUTBOUND_FULL_RELAY_CONNECTIONS`).
pub const MAX_OUTBOUND_FULL_RELAY_CONNECTIONS: usize = 8;
/// Automatic outbound block-relay-only connections (`MAX_BLOCK_RELAY_ONLY_CONNECTIONS`).
pub const MAX_BLOCK_RELAY_ONLY_CONNECTIONS: usize = 2;
/// Feeler connections (`MAX_FEELER_CONNECTIONS`).
pub const MAX_FEELER_CONNECTIONS: usize = 1;
/// Simultaneous `-addnode` connections (`MAX_ADDNODE_CONNECTIONS`).
pub const MAX_ADDNODE_CONNECTIONS: usize = 8;
/// Default `-maxreceivebuffer`, in thousands of bytes.
pub const DEFAULT_MAXRECEIVEBUFFER: usize = 5 * 1000;
/// Default `-maxsendbuffer`, in thousands of bytes.
pub const DEFAULT_MAXSENDBUFFER: usize = 1000;
/// Default `-peertimeout`, seconds.
pub const DEFAULT_PEER_CONNECT_TIMEOUT: i64 = 60;
/// Silence after the handshake that drops a connection (`TIMEOUT_INTERVAL`), seconds.
pub const TIMEOUT_INTERVAL: i64 = 20 * 60;
/// Default `-v2transport`.
pub const DEFAULT_V2_TRANSPORT: bool = true;
/// Default `-listen`.
pub const DEFAULT_LISTEN: bool = true;
/// Default `-whitelistrelay`.
pub const DEFAULT_WHITELISTRELAY: bool = true;
/// Default `-whitelistforcerelay`.
pub const DEFAULT_WHITELISTFORCERELAY: bool = false;
/// Default outbound connect timeout (`DEFAULT_CONNECT_TIMEOUT`, `-timeout`), ms.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5000;
/// Default `-dnsseed`.
pub const DEFAULT_DNSSEED: bool = true;
/// Default `-fixedseeds`.
pub const DEFAULT_FIXEDSEEDS: bool = true;
/// Default `-forcednsseed`.
pub const DEFAULT_FORCEDNSSEED: bool = false;
/// The `NODE_P2P_V2` service bit (BIP324).
pub const NODE_P2P_V2: u64 = 1 << 11;

/// Answers whether an address is banned or discouraged (Core's `BanMan`, written in
/// another crate; the connection manager only asks).
pub trait BanCheck: Send + Sync {
    /// Whether `addr` is banned (`IsBanned`).
    fn is_banned(&self, addr: &SocketAddr) -> bool;
    /// Whether `addr` is discouraged for misbehaviour (`IsDiscouraged`).
    fn is_discouraged(&self, addr: &SocketAddr) -> bool;
    /// Discourages `addr` (`Discourage`): the peer logic caught it misbehaving.
    fn discourage(&self, addr: &SocketAddr);
}

/// Chain facts the connection manager needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetParams {
    /// Message start bytes (`MessageStart`).
    pub magic: [u8; 4],
    /// P2P port (`GetDefaultPort`).
    pub default_port: u16,
}

impl NetParams {
    /// Core's values for `chain` (signet with the default challenge).
    pub fn for_chain(chain: ChainType) -> NetParams {
        let (magic, default_port) = match chain {
            ChainType::Main => ([0xf9, 0xbe, 0xb4, 0xd9], 8333),
            ChainType::Testnet => ([0x0b, 0x11, 0x09, 0x07], 18333),
            ChainType::Testnet4 => ([0x1c, 0x16, 0x3f, 0x28], 48333),
            ChainType::Signet => ([0x0a, 0x03, 0xcf, 0x40], 38333),
            ChainType::Regtest => ([0xfa, 0xbf, 0xb5, 0xda], 18444),
        };
        NetParams {
            magic,
            default_port,
        }
    }
}

/// Everything [`crate::Connman::start`] needs.
#[derive(Clone)]
pub struct ConnmanOptions {
    /// Network magic and default port.
    pub params: NetParams,
    /// The services we offer (`-v2transport` sets [`NODE_P2P_V2`]).
    pub local_services: u64,
    /// `-maxconnections`: automatic connections (inbound slots are what the automatic
    /// outbound ones leave).
    pub max_connections: usize,
    /// `-inboundrelaypercent`, 0 to 100.
    pub full_relay_inbound_percent: i64,
    /// `-maxsendbuffer` in bytes.
    pub max_send_buffer: usize,
    /// `-maxreceivebuffer` in bytes.
    pub max_receive_buffer: usize,
    /// `-peertimeout`, seconds.
    pub peer_connect_timeout: i64,
    /// How long an outbound `connect()` may take.
    pub connect_timeout: Duration,
    /// `-listen`.
    pub listen: bool,
    /// `-bind` addresses.
    pub binds: Vec<SocketAddr>,
    /// `-whitebind` addresses.
    pub white_binds: Vec<WhiteBind>,
    /// `-bind=...=onion` addresses: inbound peers there count as Tor.
    pub onion_binds: Vec<SocketAddr>,
    /// Listen on `[::]` and `0.0.0.0` at `listen_port` (no `-bind`/`-whitebind`).
    pub bind_on_any: bool,
    /// `-port`.
    pub listen_port: u16,
    /// `-whitelist` ranges for inbound peers.
    pub whitelist_incoming: Vec<Whitelist>,
    /// `-whitelist` ranges for manual outbound peers.
    pub whitelist_outgoing: Vec<Whitelist>,
    /// `-whitelistrelay`.
    pub whitelist_relay: bool,
    /// `-whitelistforcerelay`.
    pub whitelist_forcerelay: bool,
    /// `-connect` targets: only these are connected to, and kept connected.
    pub connect: Vec<String>,
    /// `-addnode` targets.
    pub added_nodes: Vec<String>,
    /// `-networkactive`.
    pub network_active: bool,
    /// Ban and discouragement lookups; none means nobody is banned.
    pub ban_check: Option<Arc<dyn BanCheck>>,
    /// The node's `setmocktime` clock (seconds, 0 = real time).
    pub mock_time: Option<Arc<AtomicI64>>,
    /// Whether the `opencon` thread picks peers from the address manager (no
    /// `-connect`; `m_use_addrman_outgoing`).
    pub use_addrman_outgoing: bool,
    /// The address manager automatic connections draw from; none means no automatic
    /// connections, DNS seeding or anchors.
    pub addrman: Option<Arc<Mutex<AddrMan>>>,
    /// `-seednode` targets, asked for addresses and then dropped.
    pub seed_nodes: Vec<String>,
    /// The chain's DNS seeds (`CChainParams::DNSSeeds`).
    pub dns_seeds: Vec<String>,
    /// `-dnsseed`, after Core's parameter interactions.
    pub dnsseed: bool,
    /// `-forcednsseed`.
    pub force_dns_seed: bool,
    /// `-fixedseeds`.
    pub fixed_seeds: bool,
    /// The chain's compiled-in seed addresses, added when the address manager has none
    /// for a reachable network (`CChainParams::FixedSeeds`). This node carries none yet,
    /// as regtest has none in Core.
    pub fixed_seed_addrs: Vec<addrman::Address>,
    /// The networks automatic connections may use (`g_reachable_nets`).
    pub reachable: Vec<Network>,
    /// Where the block-relay-only anchors are kept (`anchors.dat`); none keeps none.
    pub anchors_path: Option<PathBuf>,
    /// The SOCKS5 proxies per network and for names (`-proxy`, `-onion`).
    pub proxies: crate::proxy::ProxySettings,
    /// `-discover`: learn our addresses from the interfaces and bound sockets.
    pub discover: bool,
    /// `-externalip` addresses, with the listening port unless one was given.
    pub external_ips: Vec<addrman::Service>,
}

impl Default for ConnmanOptions {
    fn default() -> ConnmanOptions {
        let params = NetParams::for_chain(ChainType::Main);
        ConnmanOptions {
            params,
            local_services: 0,
            max_connections: DEFAULT_MAX_PEER_CONNECTIONS,
            full_relay_inbound_percent: DEFAULT_FULL_RELAY_INBOUND_PCT,
            max_send_buffer: DEFAULT_MAXSENDBUFFER * 1000,
            max_receive_buffer: DEFAULT_MAXRECEIVEBUFFER * 1000,
            peer_connect_timeout: DEFAULT_PEER_CONNECT_TIMEOUT,
            connect_timeout: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS),
            listen: DEFAULT_LISTEN,
            binds: Vec::new(),
            white_binds: Vec::new(),
            onion_binds: Vec::new(),
            bind_on_any: true,
            listen_port: params.default_port,
            whitelist_incoming: Vec::new(),
            whitelist_outgoing: Vec::new(),
            whitelist_relay: DEFAULT_WHITELISTRELAY,
            whitelist_forcerelay: DEFAULT_WHITELISTFORCERELAY,
            connect: Vec::new(),
            added_nodes: Vec::new(),
            network_active: true,
            ban_check: None,
            mock_time: None,
            use_addrman_outgoing: true,
            addrman: None,
            seed_nodes: Vec::new(),
            dns_seeds: Vec::new(),
            dnsseed: DEFAULT_DNSSEED,
            force_dns_seed: DEFAULT_FORCEDNSSEED,
            fixed_seeds: DEFAULT_FIXEDSEEDS,
            fixed_seed_addrs: Vec::new(),
            reachable: vec![Network::Ipv4, Network::Ipv6],
            anchors_path: None,
            proxies: crate::proxy::ProxySettings::default(),
            discover: true,
            external_ips: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ConnmanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnmanOptions")
            .field("params", &self.params)
            .field("local_services", &self.local_services)
            .field("max_connections", &self.max_connections)
            .field("listen", &self.listen)
            .field("binds", &self.binds)
            .field("connect", &self.connect)
            .field("added_nodes", &self.added_nodes)
            .finish_non_exhaustive()
    }
}

/// The inbound/outbound split of `-maxconnections` (`CConnman::Init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slots {
    /// Automatic outbound connections (full relay + block relay + feeler).
    pub max_automatic_outbound: usize,
    /// Inbound connections.
    pub max_inbound: usize,
    /// Inbound connections that may relay transactions (`m_max_inbound_full_relay`).
    pub max_inbound_full_relay: usize,
}

impl Slots {
    /// Splits `max_connections` as Core does.
    pub fn new(max_connections: usize) -> Slots {
        let full = MAX_OUTBOUND_FULL_RELAY_CONNECTIONS.min(max_connections);
        let block = MAX_BLOCK_RELAY_ONLY_CONNECTIONS.min(max_connections - full);
        let max_automatic_outbound = full + block + MAX_FEELER_CONNECTIONS;
        let max_inbound = max_connections.saturating_sub(max_automatic_outbound);
        Slots {
            max_automatic_outbound,
            max_inbound,
            max_inbound_full_relay: max_inbound,
        }
    }

    /// The split with `percent` of the inbound slots open to transaction relay,
    /// rounded down as Core does.
    pub fn with_relay_percent(max_connections: usize, percent: i64) -> Slots {
        let mut s = Slots::new(max_connections);
        s.max_inbound_full_relay =
            (percent.clamp(0, 100) as f64 / 100.0 * s.max_inbound as f64) as usize;
        s
    }
}

impl ConnmanOptions {
    /// Reads the options from the node's arguments, applying Core's `-listen` parameter
    /// interaction (off with `-connect`, on with `-bind`/`-whitebind`); errors are the
    /// init errors Core prints.
    pub fn from_args(
        args: &ArgsManager,
        chain: ChainType,
    ) -> Result<ConnmanOptions, PermissionError> {
        let params = NetParams::for_chain(chain);
        parameter_interaction(args);
        let mut o = ConnmanOptions {
            params,
            ..ConnmanOptions::default()
        };
        o.proxies = crate::proxy::ProxySettings::from_args(args)
            .map_err(|e| PermissionError(e.to_string()))?;
        let binds = args.get_args("-bind");
        let whitebinds = args.get_args("-whitebind");
        o.connect = args
            .get_args("-connect")
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect();
        let max_conn = args.get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS as i64);
        if max_conn < 0 {
            return Err(PermissionError(
                "-maxconnections must be greater or equal than zero".into(),
            ));
        }
        o.max_connections = max_conn as usize;
        o.full_relay_inbound_percent = args
            .get_int_arg("-inboundrelaypercent", DEFAULT_FULL_RELAY_INBOUND_PCT)
            .clamp(0, 100);
        o.listen = args.get_bool_arg("-listen", DEFAULT_LISTEN);
        let user_binds = !binds.is_empty() || !whitebinds.is_empty();
        if !o.listen && user_binds {
            return Err(PermissionError(
                "Cannot set -bind or -whitebind together with -listen=0".into(),
            ));
        }
        if args.get_bool_arg("-v2transport", DEFAULT_V2_TRANSPORT) {
            o.local_services |= NODE_P2P_V2;
        }
        o.max_send_buffer = 1000
            * args
                .get_int_arg("-maxsendbuffer", DEFAULT_MAXSENDBUFFER as i64)
                .max(0) as usize;
        o.max_receive_buffer = 1000
            * args
                .get_int_arg("-maxreceivebuffer", DEFAULT_MAXRECEIVEBUFFER as i64)
                .max(0) as usize;
        o.peer_connect_timeout = args.get_int_arg("-peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT);
        if o.peer_connect_timeout <= 0 {
            return Err(PermissionError(
                "peertimeout must be a positive integer.".into(),
            ));
        }
        if let Some(ms) = args.get_int_arg_opt("-timeout") {
            if ms > 0 {
                o.connect_timeout = Duration::from_millis(ms as u64);
            }
        }
        o.added_nodes = args
            .get_args("-addnode")
            .into_iter()
            .filter(|a| !a.trim().is_empty())
            .collect();
        o.whitelist_forcerelay =
            args.get_bool_arg("-whitelistforcerelay", DEFAULT_WHITELISTFORCERELAY);
        o.whitelist_relay = args.get_bool_arg("-whitelistrelay", DEFAULT_WHITELISTRELAY);
        o.network_active = args.get_bool_arg("-networkactive", true);
        o.use_addrman_outgoing = o.connect.is_empty() && !args.is_arg_negated("-connect");
        // `-connect=0` means no automatic connections, not a peer named "0".
        if o.connect.len() == 1 && o.connect[0] == "0" {
            o.connect.clear();
        }
        o.seed_nodes = args
            .get_args("-seednode")
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
        if !o.connect.is_empty() && !o.seed_nodes.is_empty() {
            common::log_info!("-seednode is ignored when -connect is used");
        }
        o.reachable = reachable_networks(args)?;
        o.proxies.restrict_reachable(&mut o.reachable);
        o.dns_seeds = dns_seeds(chain);
        o.fixed_seeds = args.get_bool_arg("-fixedseeds", DEFAULT_FIXEDSEEDS);
        o.force_dns_seed = args.get_bool_arg("-forcednsseed", DEFAULT_FORCEDNSSEED);
        let clearnet = o.reachable.contains(&Network::Ipv4) || o.reachable.contains(&Network::Ipv6);
        let explicit_dnsseed = args.get_bool_arg_opt("-dnsseed");
        o.dnsseed = match explicit_dnsseed {
            Some(v) => v,
            None if !args.get_args("-onlynet").is_empty() && !clearnet => {
                common::log_info!(
                    "parameter interaction: -onlynet excludes IPv4 and IPv6 -> setting -dnsseed=0"
                );
                false
            }
            None => DEFAULT_DNSSEED,
        };
        if o.force_dns_seed && !o.dnsseed {
            return Err(PermissionError(
                "Cannot set -forcednsseed to true when setting -dnsseed to false.".into(),
            ));
        }
        if explicit_dnsseed == Some(true) && !clearnet {
            return Err(PermissionError(
                "Incompatible options: -dnsseed=1 was explicitly specified, but -onlynet forbids connections to IPv4/IPv6".into(),
            ));
        }
        let port = args.get_int_arg("-port", i64::from(params.default_port));
        o.listen_port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| PermissionError(format!("Invalid port specified in -port: '{port}'")))?;
        for b in &binds {
            let (addr, onion) = permissions::parse_bind(b, o.listen_port)?;
            if onion {
                o.onion_binds.push(addr);
            } else {
                o.binds.push(addr);
            }
        }
        for w in &whitebinds {
            o.white_binds.push(permissions::parse_whitebind(w)?);
        }
        o.bind_on_any = binds.is_empty() && whitebinds.is_empty();
        o.discover = args.get_bool_arg("-discover", true);
        let name_lookup = args.get_bool_arg("-dns", crate::proxy::DEFAULT_NAME_LOOKUP);
        for ext in args.get_args("-externalip") {
            let (host, port, _) = crate::netaddr::split_host_port(&ext);
            let port = port.unwrap_or(o.listen_port);
            let resolved = if name_lookup {
                crate::netaddr::lookup(&ext, o.listen_port)
            } else {
                crate::netaddr::lookup_numeric(&ext, o.listen_port)
                    .into_iter()
                    .collect()
            };
            let addr = addrman::NetAddr::from_special(&host).or_else(|| {
                resolved
                    .first()
                    .map(|a| crate::outbound::service_of(a).addr)
            });
            match addr {
                Some(a) => o.external_ips.push(addrman::Service::new(a, port)),
                None => {
                    return Err(PermissionError(format!(
                        "Cannot resolve -externalip address: '{ext}'"
                    )))
                }
            }
        }
        // The same address twice, in any of the three lists, is a configuration error.
        let mut seen = std::collections::HashSet::new();
        let all = o.white_binds.iter().map(|w| w.addr);
        for addr in all
            .chain(o.binds.iter().copied())
            .chain(o.onion_binds.iter().copied())
        {
            if !seen.insert(addr) {
                return Err(PermissionError(format!(
                    "Duplicate binding configuration for address {addr}. Please check your -bind, -bind=...=onion and -whitebind settings."
                )));
            }
        }
        if o.onion_binds.is_empty() && o.binds.is_empty() {
            // Core always listens for a local Tor daemon on 127.0.0.1:<port+1>.
            o.onion_binds.push(SocketAddr::from((
                [127, 0, 0, 1],
                o.listen_port.wrapping_add(1),
            )));
        }
        for w in args.get_args("-whitelist") {
            let (entry, dir) = permissions::parse_whitelist(&w)?;
            if dir.covers(true) {
                o.whitelist_incoming.push(entry.clone());
            }
            if matches!(dir, ConnectionDirection::Out | ConnectionDirection::Both) {
                o.whitelist_outgoing.push(entry);
            }
        }
        Ok(o)
    }
}

/// Core's option defaults that follow from other options (`InitParameterInteraction`),
/// in Core's order: an explicit binding means listening even with `-connect` or a
/// proxy; `-connect` (or no connections at all) means no DNS seeds and no listening; a
/// proxy means no listening, port mapping or discovery. Each default changed is logged.
pub fn parameter_interaction(args: &ArgsManager) {
    for (opt, line) in [
        (
            "-bind",
            "parameter interaction: -bind set -> setting -listen=1",
        ),
        (
            "-whitebind",
            "parameter interaction: -whitebind set -> setting -listen=1",
        ),
    ] {
        if !args.get_args(opt).is_empty() && args.soft_set_bool_arg("-listen", true) {
            common::log_info!("{line}");
        }
    }
    let max_conn = args.get_int_arg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS as i64);
    if !args.get_args("-connect").is_empty() || args.is_arg_negated("-connect") || max_conn <= 0 {
        if args.soft_set_bool_arg("-dnsseed", false) {
            common::log_info!(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -dnsseed=0"
            );
        }
        if args.soft_set_bool_arg("-listen", false) {
            common::log_info!(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -listen=0"
            );
        }
    }
    for line in crate::proxy::proxy_parameter_interaction(args) {
        common::log_info!("{line}");
    }
    if !args.get_bool_arg("-listen", DEFAULT_LISTEN) {
        // Not listening: nothing to map, discover or offer as an onion service.
        for opt in ["-natpmp", "-discover", "-listenonion"] {
            if args.soft_set_bool_arg(opt, false) {
                common::log_info!("parameter interaction: -listen=0 -> setting {opt}=0");
            }
        }
    }
    if !args.get_args("-externalip").is_empty() && args.soft_set_bool_arg("-discover", false) {
        common::log_info!("parameter interaction: -externalip set -> setting -discover=0");
    }
    if args.get_bool_arg("-blocksonly", false) && args.soft_set_bool_arg("-whitelistrelay", false) {
        common::log_info!("parameter interaction: -blocksonly=1 -> setting -whitelistrelay=0");
    }
    if args.get_bool_arg("-whitelistforcerelay", DEFAULT_WHITELISTFORCERELAY)
        && args.soft_set_bool_arg("-whitelistrelay", true)
    {
        common::log_info!(
            "parameter interaction: -whitelistforcerelay=1 -> setting -whitelistrelay=1"
        );
    }
}

/// The networks automatic connections may use: every network class Core knows, less
/// those `-onlynet` leaves out and CJDNS without `-cjdnsreachable`, as
/// `g_reachable_nets`; the proxy settings then take out Tor and I2P without their proxy
/// ([`crate::proxy::ProxySettings::restrict_reachable`]).
pub fn reachable_networks(args: &ArgsManager) -> Result<Vec<Network>, PermissionError> {
    let onlynets = args.get_args("-onlynet");
    // As Core's default set, this holds the unroutable and internal classes too, so
    // that a loopback anchor or seed is not filtered out.
    let mut reachable = Network::ALL.to_vec();
    if !onlynets.is_empty() {
        reachable.clear();
        for name in &onlynets {
            let net = Network::parse(name);
            if net == Network::Unroutable {
                return Err(PermissionError(format!(
                    "Unknown network specified in -onlynet: '{name}'"
                )));
            }
            if !reachable.contains(&net) {
                reachable.push(net);
            }
        }
    }
    if !args.is_arg_set("-cjdnsreachable") {
        if !onlynets.is_empty() && reachable.contains(&Network::Cjdns) {
            return Err(PermissionError(
                "Outbound connections restricted to CJDNS (-onlynet=cjdns) but -cjdnsreachable is not provided".into(),
            ));
        }
        reachable.retain(|n| *n != Network::Cjdns);
    }
    Ok(reachable)
}

/// The chain's DNS seeds (`CChainParams::DNSSeeds`).
pub fn dns_seeds(chain: ChainType) -> Vec<String> {
    let seeds: &[&str] = match chain {
        ChainType::Main => &[
            "dnsseed.bluematt.me.",
            "seed.bitcoin.jonasschnelli.ch.",
            "seed.btc.petertodd.net.",
            "seed.bitcoin.sprovoost.nl.",
            "dnsseed.emzy.de.",
            "seed.bitcoin.wiz.biz.",
            "seed.mainnet.achownodes.xyz.",
        ],
        ChainType::Testnet => &[
            "testnet-seed.bitcoin.jonasschnelli.ch.",
            "seed.tbtc.petertodd.net.",
            "testnet-seed.bluematt.me.",
            "seed.testnet.achownodes.xyz.",
        ],
        ChainType::Testnet4 => &[
            "seed.testnet4.bitcoin.sprovoost.nl.",
            "seed.testnet4.wiz.biz.",
        ],
        ChainType::Signet => &[
            "seed.signet.bitcoin.sprovoost.nl.",
            "seed.signet.achownodes.xyz.",
        ],
        ChainType::Regtest => &["dummySeed.invalid."],
    };
    seeds.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_split_like_core() {
        assert_eq!(
            Slots::new(125),
            Slots {
                max_automatic_outbound: 11,
                max_inbound: 114,
                max_inbound_full_relay: 114
            }
        );
        assert_eq!(
            Slots::new(8),
            Slots {
                max_automatic_outbound: 9,
                max_inbound: 0,
                max_inbound_full_relay: 0
            }
        );
        assert_eq!(
            Slots::new(0),
            Slots {
                max_automatic_outbound: 1,
                max_inbound: 0,
                max_inbound_full_relay: 0
            }
        );
    }

    #[test]
    fn inbound_relay_share() {
        // Core's example: 53 connections leave 42 inbound slots, 21 of them for relay.
        assert_eq!(Slots::with_relay_percent(53, 50).max_inbound_full_relay, 21);
        assert_eq!(Slots::with_relay_percent(13, 0).max_inbound_full_relay, 0);
        assert_eq!(Slots::with_relay_percent(13, 100).max_inbound_full_relay, 2);
        assert_eq!(Slots::with_relay_percent(200, 50).max_inbound, 189);
    }

    #[test]
    fn default_ports() {
        assert_eq!(NetParams::for_chain(ChainType::Regtest).default_port, 18444);
        assert_eq!(
            NetParams::for_chain(ChainType::Testnet4).default_port,
            48333
        );
        assert_eq!(NetParams::for_chain(ChainType::Signet).default_port, 38333);
    }
}
