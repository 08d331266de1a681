//! `-netinfo`: a peer-connection dashboard from `getpeerinfo` and `getnetworkinfo`.

use common::ChainType;

use crate::args::NETINFO_MAX_LEVEL;
use crate::handlers::{reply, request, split_batch, RequestHandler};
use crate::json::Value;

/// Network names as the server reports them, indexed by network id.
const NETWORKS: [&str; 7] = [
    "not_publicly_routable",
    "ipv4",
    "ipv6",
    "onion",
    "i2p",
    "cjdns",
    "internal",
];
/// Short names for the dashboard, same order.
const SHORT_NAMES: [&str; 7] = ["npr", "ipv4", "ipv6", "onion", "i2p", "cjdns", "int"];
/// Networks listed only when they have peers (not publicly routable, internal).
const UNREACHABLE_IDS: [usize; 2] = [0, 6];

const ID_PEERINFO: usize = 0;
const ID_NETWORKINFO: usize = 1;

/// One peer's row.
#[derive(Debug, Clone)]
struct Peer {
    addr: String,
    sub_version: String,
    conn_type: String,
    network: &'static str,
    age: String,
    services: String,
    transport: String,
    min_ping: f64,
    ping: f64,
    addr_processed: i64,
    addr_rate_limited: i64,
    last_blck: i64,
    last_recv: i64,
    last_send: i64,
    last_trxn: i64,
    id: i32,
    mapped_as: i32,
    version: i32,
    addr_relay_enabled: bool,
    hb_from: bool,
    hb_to: bool,
    outbound: bool,
    tx_relay: bool,
}

/// Builds the `-netinfo` requests and renders the dashboard.
#[derive(Debug, Clone)]
pub struct NetinfoHandler {
    /// Client version shown in the header (e.g. `v31.99.0`).
    pub client_version: String,
    /// The network the client was started for.
    pub chain: ChainType,
    /// Current time, seconds since the epoch.
    pub now: i64,
    level: u8,
    outbound_only: bool,
}

impl NetinfoHandler {
    /// A handler for `chain`, rendering against the clock value `now`.
    pub fn new(client_version: &str, chain: ChainType, now: i64) -> NetinfoHandler {
        NetinfoHandler {
            client_version: client_version.to_string(),
            chain,
            now,
            level: 0,
            outbound_only: false,
        }
    }

    fn details(&self) -> bool {
        self.level != 0
    }

    fn address_selected(&self) -> bool {
        self.level == 2 || self.level == 4
    }

    fn version_selected(&self) -> bool {
        self.level == 3 || self.level == 4
    }

    fn chain_suffix(&self) -> &'static str {
        match self.chain {
            ChainType::Testnet4 => " testnet4",
            ChainType::Testnet => " testnet",
            ChainType::Signet => " signet",
            ChainType::Regtest => " regtest",
            ChainType::Main => "",
        }
    }
}

fn network_id(name: &str) -> Option<usize> {
    NETWORKS.iter().position(|n| *n == name)
}

fn ping_text(seconds: f64) -> String {
    if seconds < 0.0 {
        return String::new();
    }
    let ms = (1000.0 * seconds).round();
    if ms > 999_999.0 {
        "-".to_string()
    } else {
        format!("{}", ms as i64)
    }
}

fn conn_type_text(conn_type: &str) -> &str {
    match conn_type {
        "outbound-full-relay" => "full",
        "block-relay-only" => "block",
        "manual" | "feeler" => conn_type,
        "addr-fetch" => "addr",
        "private-broadcast" => "priv",
        _ => "",
    }
}

fn services_letters(services: &Value) -> Result<String, String> {
    let mut out = String::new();
    for s in services.get_values()? {
        let s = s.get_str()?;
        match s {
            "NETWORK_LIMITED" => out.push('l'),
            "P2P_V2" => out.push('2'),
            _ => {
                if let Some(c) = s.chars().next() {
                    out.push(c.to_ascii_lowercase());
                }
            }
        }
    }
    Ok(out)
}

fn services_list(services: &Value) -> Result<String, String> {
    let names: Vec<&str> = services
        .get_values()?
        .into_iter()
        .map(Value::get_str)
        .collect::<Result<_, _>>()?;
    Ok(names
        .join(", ")
        .chars()
        .map(|c| {
            if c == '_' {
                ' '
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect())
}

/// An optional integer member: 0 when absent.
fn int_or_zero(v: &Value) -> Result<i64, String> {
    if v.is_null() {
        Ok(0)
    } else {
        v.get_int()
    }
}

/// The help text of `-netinfo help`.
pub fn help_text() -> String {
    let max = NETINFO_MAX_LEVEL;
    let mut h = String::new();
    h += "-netinfo (level [outonly]) | help\n\n";
    h += "Shows a dashboard of the peer connections of the remote server.\n";
    h += "It is meant for people to read; it changes often and is no stable API.\n";
    h += "The data comes from calls to getpeerinfo and getnetworkinfo.\n";
    h += &format!("An optional level from 0 to {max} selects how peers are listed; levels above {max}, up to 255, count as {max}.\n");
    h += "After a level, an optional \"outonly\" limits the listing to outbound peers.\n";
    h += "\"help\" or \"h\" shows this text.\n";
    h += "Arguments after the second one are ignored.\n";
    h += "Tip: run -netinfo under the Linux watch(1) command for a dashboard that keeps updating; see the example below.\n\n";
    h += "Arguments:\n";
    h += &format!(
        "1. level (integer 0-{max}, optional)  How much the dashboard shows (default 0):\n"
    );
    h += "                                  0 - Peer counts per reachable network, plus counts of block relay peers\n";
    h += "                                      and manual peers, and the local addresses with their ports\n";
    h += "                                  1 - Level 0 after a list of peers (no address or version column)\n";
    h += "                                  2 - Level 1 plus an address column\n";
    h += "                                  3 - Level 1 plus a version column\n";
    h += "                                  4 - Level 1 plus address and version columns\n";
    h += "2. outonly (\"outonly\" or \"o\", optional) List outbound peers only, e.g. to save room on screen when\n";
    h += "                                        the node has many inbound peers. Needs a level before it.\n\n";
    h += "help (\"help\" or \"h\", optional) Show this text rather than the dashboard.\n\n";
    h += "Result:\n\n";
    h += &format!("* At levels 1-{max} every peer is listed, ordered by direction and then by minimum ping time:\n\n");
    h += "  Column   Description\n";
    h += "  ------   -----------\n";
    h += "  <->      Which side opened the connection\n";
    h += "           \"in\"  - inbound: the peer connected to us\n";
    h += "           \"out\" - outbound: we connected to the peer\n";
    h += "  type     Kind of connection\n";
    h += "           \"full\"   - full relay, the usual kind\n";
    h += "           \"block\"  - block relay; full relay minus transactions and addresses\n";
    h += "           \"manual\" - added by hand, with RPC addnode or the -addnode/-connect options\n";
    h += "           \"feeler\" - brief connection to check that an address works\n";
    h += "           \"addr\"   - address fetch; brief connection to ask for addresses\n";
    h += "           \"priv\"   - private broadcast; brief connection to send out our own transactions\n";
    h += "  net      Network used for the connection (\"ipv4\", \"ipv6\", \"onion\", \"i2p\", \"cjdns\", or \"npr\" (not publicly routable))\n";
    h += "  serv     Services the peer announces\n";
    h += "           \"n\" - NETWORK: has the whole block chain to serve\n";
    h += "           \"b\" - BLOOM: supports bloom-filtered connections (BIP 111)\n";
    h += "           \"w\" - WITNESS: serves blocks and transactions with witness data (SegWit)\n";
    h += "           \"c\" - COMPACT_FILTERS: answers requests for basic block filters (BIPs 157 and 158)\n";
    h += "           \"l\" - NETWORK_LIMITED: serves only the latest 288 blocks (~2 days)\n";
    h += "           \"2\" - P2P_V2: speaks the version 2 P2P transport of BIP 324\n";
    h += "           \"u\" - UNKNOWN: a service bit we do not know\n";
    h += "  v        Transport protocol version of the connection\n";
    h += "  mping    Lowest ping time seen, in milliseconds (ms)\n";
    h += "  ping     Latest ping time, in milliseconds (ms)\n";
    h += "  send     Seconds since we last sent the peer a message\n";
    h += "  recv     Seconds since the peer last sent us a message\n";
    h +=
        "  txn      Minutes since the peer last sent a new transaction that our mempool accepted\n";
    h += "           \"*\" - we relay no transactions to this peer (getpeerinfo \"relaytxes\" is false)\n";
    h += "  blk      Minutes since the peer last sent a new block that passed the first validity checks\n";
    h += "  hb       BIP152 compact block relay in high-bandwidth mode\n";
    h += "           \".\" (to)   - we chose the peer for high-bandwidth relay\n";
    h += "           \"*\" (from) - the peer chose us for high-bandwidth relay\n";
    h += "  addrp    Addresses handled in all, not counting those dropped by rate limiting\n";
    h += "           \".\" - we relay no addresses to this peer (getpeerinfo \"addr_relay_enabled\" is false)\n";
    h += "  addrl    Addresses dropped by rate limiting in all\n";
    h += "  age      Minutes the connection has been open\n";
    h += "  asmap    AS (Autonomous System) number that ends the BGP route to the peer, used to spread peer\n";
    h += "           selection (shown only when the -asmap option is set)\n";
    h += "  id       Peer number, counting up with each connection since the node started\n";
    h += "  address  The peer's IP address and port\n";
    h += "  version  The peer's version followed by its subversion, e.g. \"70016/Satoshi:21.0.0/\"\n\n";
    h += "* The peer counts table gives how many peers there are on each reachable network, and\n";
    h += "  how many block relay peers and manual peers.\n\n";
    h += "* The local addresses table gives each local address the node advertises, with its port and score.\n\n";
    h += "Examples:\n\n";
    h += "Peer counts per reachable network and the local addresses\n";
    h += "> bitcoin-cli -netinfo\n\n";
    h += "As above, after a list of peers without address and version columns\n";
    h += "> bitcoin-cli -netinfo 1\n\n";
    h += "Everything\n";
    h += &format!("> bitcoin-cli -netinfo {max}\n\n");
    h += "Everything, outbound peers only\n";
    h += &format!("> bitcoin-cli -netinfo {max} outonly\n\n");
    h += "Everything, refreshed live; change --interval or --no-title to taste (Linux)\n";
    h += &format!("> watch --interval 1 --no-title bitcoin-cli -netinfo {max}\n\n");
    h += "Show this text\n";
    h += "> bitcoin-cli -netinfo help\n";
    h
}

/// Right-aligns `s` to `w` bytes, as C's `%*s` (which counts bytes, not characters).
fn r(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(s.len())))
}

/// Left-aligns `s` to `w` bytes, as C's `%-*s`.
fn l(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(s.len())))
}

impl RequestHandler for NetinfoHandler {
    fn prepare(&mut self, _method: &str, args: &[String]) -> Result<Value, String> {
        if let Some(first) = args.first() {
            let n = crate::http::parse_u16(first)
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| format!("invalid -netinfo level argument: {first}\nFor more information, run: bitcoin-cli -netinfo help"))?;
            self.level = n.min(NETINFO_MAX_LEVEL);
            if let Some(second) = args.get(1) {
                if n != 0 && (second == "o" || second == "outonly") {
                    self.outbound_only = true;
                } else if n != 0 {
                    return Err(format!("invalid -netinfo outonly argument: {second}\nFor more information, run: bitcoin-cli -netinfo help"));
                } else {
                    return Err(format!("invalid -netinfo outonly argument: {second}\nThe outonly argument is only valid for a level greater than 0 (the first argument). For more information, run: bitcoin-cli -netinfo help"));
                }
            }
        }
        Ok(Value::Array(vec![
            request(
                "getpeerinfo",
                Value::Null,
                Value::from_i64(ID_PEERINFO as i64),
            ),
            request(
                "getnetworkinfo",
                Value::Null,
                Value::from_i64(ID_NETWORKINFO as i64),
            ),
        ]))
    }

    fn process(&mut self, batch_in: &Value) -> Result<Value, String> {
        let batch = split_batch(batch_in)?;
        // A short batch leaves the missing replies null (never an index panic).
        let batch = |id: usize| batch.get(id).unwrap_or(&Value::Null);
        for id in [ID_PEERINFO, ID_NETWORKINFO] {
            if !batch(id).get("error").is_null() {
                return Ok(batch(id).clone());
            }
        }
        let info = batch(ID_NETWORKINFO).get("result");
        if info.get("version").get_i32()? < 209900 {
            return Err(
                "-netinfo requires bitcoind server to be running v0.21.0 and up".to_string(),
            );
        }
        Ok(reply(Value::String(
            self.render(batch(ID_PEERINFO).get("result"), info)?,
        )))
    }
}

impl NetinfoHandler {
    /// The dashboard text from `getpeerinfo` and `getnetworkinfo` results.
    pub fn render(&self, peerinfo: &Value, info: &Value) -> Result<String, String> {
        let now = self.now;
        // counts[in/out/total][network id, or 7 for all networks]
        let mut counts = [[0u16; NETWORKS.len() + 1]; 3];
        let mut block_relay: u8 = 0;
        let mut manual: u8 = 0;
        let mut peers: Vec<Peer> = Vec::new();
        let (mut max_addr, mut max_addrp, mut max_addrl) = (0usize, 5usize, 6usize);
        let (mut max_age, mut max_id, mut max_services) = (5usize, 2usize, 6usize);
        let mut asmap_on = false;

        for peer in peerinfo.get_values()? {
            let network = peer.get("network").get_str()?;
            let Some(net_id) = network_id(network) else {
                continue;
            };
            let outbound = !peer.get("inbound").get_bool()?;
            let tx_relay = match peer.get("relaytxes") {
                Value::Null => true,
                v => v.get_bool()?,
            };
            let conn_type = peer.get("connection_type").get_str()?.to_string();
            let dir = usize::from(outbound);
            counts[dir][net_id] = counts[dir][net_id].wrapping_add(1);
            counts[dir][NETWORKS.len()] = counts[dir][NETWORKS.len()].wrapping_add(1);
            counts[2][net_id] = counts[2][net_id].wrapping_add(1);
            counts[2][NETWORKS.len()] = counts[2][NETWORKS.len()].wrapping_add(1);
            if conn_type == "block-relay-only" {
                block_relay = block_relay.wrapping_add(1);
            }
            if conn_type == "manual" {
                manual = manual.wrapping_add(1);
            }
            if self.outbound_only && !outbound {
                continue;
            }
            if !self.details() {
                continue;
            }
            let id = peer.get("id").get_i32()?;
            let mapped_as = match peer.get("mapped_as") {
                Value::Null => 0,
                v => v.get_i32()?,
            };
            let version = peer.get("version").get_i32()?;
            let addr_processed = int_or_zero(peer.get("addr_processed"))?;
            let addr_rate_limited = int_or_zero(peer.get("addr_rate_limited"))?;
            let conn_time = peer.get("conntime").get_int()?;
            let last_blck = peer.get("last_block").get_int()?;
            let last_recv = peer.get("lastrecv").get_int()?;
            let last_send = peer.get("lastsend").get_int()?;
            let last_trxn = peer.get("last_transaction").get_int()?;
            let min_ping = match peer.get("minping") {
                Value::Null => -1.0,
                v => v.get_real()?,
            };
            let ping = match peer.get("pingtime") {
                Value::Null => -1.0,
                v => v.get_real()?,
            };
            let addr = peer.get("addr").get_str()?.to_string();
            let age = if conn_time == 0 {
                String::new()
            } else {
                ((now - conn_time) / 60).to_string()
            };
            let services = services_letters(peer.get("servicesnames"))?;
            let sub_version = peer.get("subver").get_str()?.to_string();
            let transport = match peer.get("transport_protocol_type") {
                Value::Null => "v1".to_string(),
                v => v.get_str()?.to_string(),
            };
            let addr_relay_enabled = match peer.get("addr_relay_enabled") {
                Value::Null => false,
                v => v.get_bool()?,
            };
            let hb_from = peer.get("bip152_hb_from").get_bool()?;
            let hb_to = peer.get("bip152_hb_to").get_bool()?;
            max_addr = max_addr.max(addr.len() + 1);
            max_addrp = max_addrp.max(addr_processed.to_string().len());
            max_addrl = max_addrl.max(addr_rate_limited.to_string().len());
            max_age = max_age.max(age.len());
            max_id = max_id.max(id.to_string().len());
            max_services = max_services.max(services.len());
            asmap_on |= mapped_as != 0;
            peers.push(Peer {
                addr,
                sub_version,
                conn_type,
                network: SHORT_NAMES[net_id],
                age,
                services,
                transport,
                min_ping,
                ping,
                addr_processed,
                addr_rate_limited,
                last_blck,
                last_recv,
                last_send,
                last_trxn,
                id,
                mapped_as,
                version,
                addr_relay_enabled,
                hb_from,
                hb_to,
                outbound,
                tx_relay,
            });
        }

        let services = if self.details() {
            format!(
                " - services {}",
                services_letters(info.get("localservicesnames"))?
            )
        } else {
            String::new()
        };
        let mut out = format!(
            "Bitcoin Core client {}{} - server {}{}{}\n\n",
            self.client_version,
            self.chain_suffix(),
            info.get("protocolversion").get_i32()?,
            info.get("subversion").get_str()?,
            services
        );

        if self.details() && !peers.is_empty() {
            peers.sort_by(|a, b| {
                (a.outbound, a.min_ping)
                    .partial_cmp(&(b.outbound, b.min_ping))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            out += &format!(
                "<->   type   net {}  v  mping   ping send recv  txn  blk  hb {}{}{} ",
                r("serv", max_services),
                r("addrp", max_addrp),
                r("addrl", max_addrl),
                r("age", max_age)
            );
            if asmap_on {
                out += " asmap ";
            }
            let addr_w = if self.address_selected() { max_addr } else { 0 };
            out += &format!(
                "{} {:<addr_w$}{}\n",
                r("id", max_id),
                if self.address_selected() {
                    "address"
                } else {
                    ""
                },
                if self.version_selected() {
                    "version"
                } else {
                    ""
                }
            );
            for p in &peers {
                let version = format!("{}{}", p.version, p.sub_version);
                let tb = p.transport.as_bytes();
                let v = if tb.len() == 2 && tb[0] == b'v' {
                    char::from(tb[1])
                } else {
                    ' '
                };
                let since = |t: i64| {
                    if t != 0 {
                        (now - t).to_string()
                    } else {
                        String::new()
                    }
                };
                let minutes = |t: i64| {
                    if t != 0 {
                        ((now - t) / 60).to_string()
                    } else {
                        String::new()
                    }
                };
                let txn = if p.last_trxn != 0 {
                    minutes(p.last_trxn)
                } else if p.tx_relay {
                    String::new()
                } else {
                    "*".to_string()
                };
                let addrp = if p.addr_processed != 0 {
                    p.addr_processed.to_string()
                } else if p.addr_relay_enabled {
                    String::new()
                } else {
                    ".".to_string()
                };
                let addrl = if p.addr_rate_limited != 0 {
                    p.addr_rate_limited.to_string()
                } else {
                    String::new()
                };
                let hb = format!(
                    "{}{}",
                    if p.hb_to { "." } else { " " },
                    if p.hb_from { "*" } else { " " }
                );
                let asmap = if asmap_on && p.mapped_as != 0 {
                    p.mapped_as.to_string()
                } else {
                    String::new()
                };
                out += &format!(
                    "{:>3} {:>6} {:>5} {} {:>2}{:>7}{:>7}{:>5}{:>5}{:>5}{:>5}  {:>2} {}{}{}{} {} {}{}\n",
                    if p.outbound { "out" } else { "in" },
                    conn_type_text(&p.conn_type),
                    p.network,
                    r(&p.services, max_services),
                    v,
                    ping_text(p.min_ping),
                    ping_text(p.ping),
                    since(p.last_send),
                    since(p.last_recv),
                    txn,
                    minutes(p.last_blck),
                    hb,
                    r(&addrp, max_addrp),
                    r(&addrl, max_addrl),
                    r(&p.age, max_age),
                    r(&asmap, if asmap_on { 7 } else { 0 }),
                    r(&p.id.to_string(), max_id),
                    l(if self.address_selected() { p.addr.as_str() } else { "" }, addr_w),
                    if self.version_selected() && version != "0" {
                        version.as_str()
                    } else {
                        ""
                    },
                );
            }
            out += &format!(
                "                {}         ms     ms  sec  sec  min  min                {}\n\n",
                r("", max_services),
                r("min", max_age)
            );
        }

        out += "     ";
        let mut shown: Vec<usize> = Vec::new();
        for network in info.get("networks").get_values()? {
            if network.get("reachable").get_bool()? {
                let name = network.get("name").get_str()?;
                let Some(id) = network_id(name) else {
                    continue;
                };
                out += &r(name, 8);
                shown.push(id);
            }
        }
        for id in UNREACHABLE_IDS {
            if counts[2][id] == 0 {
                continue;
            }
            out += &r(SHORT_NAMES[id], 8);
            shown.push(id);
        }
        out += "   total   block";
        if manual != 0 {
            out += "  manual";
        }
        for (i, row) in ["in", "out", "total"].iter().enumerate() {
            out += &format!("\n{row:<5}");
            for &id in &shown {
                out += &format!("{:>8}", counts[i][id]);
            }
            out += &format!("   {:>5}", counts[i][NETWORKS.len()]);
            if i == 1 {
                out += &format!("   {block_relay:>5}");
                if manual != 0 {
                    out += &format!("   {manual:>5}");
                }
            }
        }

        if !self.details() {
            out += &format!(
                "\n\nLocal services: {}",
                services_list(info.get("localservicesnames"))?
            );
        }
        out += "\n\nLocal addresses";
        let local = info.get("localaddresses").get_values()?;
        if local.is_empty() {
            out += ": n/a\n";
        } else {
            let mut width = 0;
            for a in &local {
                width = width.max(a.get("address").get_str()?.len() + 1);
            }
            for a in &local {
                out += &format!(
                    "\n{}    port {:>6}    score {:>6}",
                    l(a.get("address").get_str()?, width),
                    a.get("port").get_i32()?,
                    a.get("score").get_i32()?
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn info() -> Value {
        Value::parse(r#"{"version":310000,"subversion":"/Satoshi:31.0.0/","protocolversion":70016,"localservicesnames":["NETWORK","WITNESS","NETWORK_LIMITED","P2P_V2"],"networks":[{"name":"ipv4","reachable":true},{"name":"ipv6","reachable":false},{"name":"onion","reachable":true}],"localaddresses":[]}"#).unwrap()
    }

    fn peers() -> Value {
        let p = |id: i64, inbound: bool, net: &str, ct: &str, minping: &str| {
            format!(
                r#"{{"id":{id},"addr":"10.0.0.{id}:8333","network":"{net}","inbound":{inbound},"connection_type":"{ct}","relaytxes":true,"mapped_as":null,"version":70016,"subver":"/Satoshi:30.0.0/","addr_processed":{},"addr_rate_limited":0,"conntime":{},"last_block":0,"lastrecv":{},"lastsend":{},"last_transaction":0,"minping":{minping},"pingtime":0.2,"servicesnames":["NETWORK","WITNESS"],"transport_protocol_type":"v2","addr_relay_enabled":true,"bip152_hb_from":false,"bip152_hb_to":true}}"#,
                id * 10,
                NOW - 600,
                NOW - 3,
                NOW - 2
            )
        };
        Value::parse(&format!(
            "[{},{},{}]",
            p(1, false, "ipv4", "outbound-full-relay", "0.0105"),
            p(2, true, "ipv4", "inbound", "0.002"),
            p(3, false, "not_publicly_routable", "manual", "0.001")
        ))
        .unwrap()
    }

    #[test]
    fn level_zero_dashboard() {
        let h = NetinfoHandler::new("v31.99.0", ChainType::Regtest, NOW);
        let text = h.render(&peers(), &info()).unwrap();
        assert_eq!(
            text,
            "Bitcoin Core client v31.99.0 regtest - server 70016/Satoshi:31.0.0/\n\n\
             \x20        ipv4   onion     npr   total   block  manual\n\
             in          1       0       0       1\n\
             out         1       0       1       2       0       1\n\
             total       2       0       1       3\n\n\
             Local services: network, witness, network limited, p2p v2\n\n\
             Local addresses: n/a\n"
        );
    }

    #[test]
    fn level_four_listing() {
        let mut h = NetinfoHandler::new("v31.99.0", ChainType::Main, NOW);
        h.prepare("", &["9".to_string(), "o".to_string()]).unwrap();
        assert_eq!(h.level, 4);
        let text = h.render(&peers(), &info()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Bitcoin Core client v31.99.0 - server 70016/Satoshi:31.0.0/ - services nwl2"
        );
        assert_eq!(lines[2], "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id address       version");
        assert_eq!(lines[3], "out manual   npr     nw  2      1    200    2    3            .     30         10  3 10.0.0.3:8333 70016/Satoshi:30.0.0/");
        assert_eq!(lines[4], "out   full  ipv4     nw  2     11    200    2    3            .     10         10  1 10.0.0.1:8333 70016/Satoshi:30.0.0/");
        assert_eq!(
            lines[5],
            "                               ms     ms  sec  sec  min  min                  min"
        );
    }

    #[test]
    fn argument_errors() {
        let mut h = NetinfoHandler::new("v", ChainType::Main, NOW);
        assert!(h
            .prepare("", &["x".into()])
            .unwrap_err()
            .starts_with("invalid -netinfo level argument: x\n"));
        assert!(h.prepare("", &["256".into()]).is_err());
        assert!(h
            .prepare("", &["0".into(), "o".into()])
            .unwrap_err()
            .contains("only valid for a level greater than 0"));
        assert!(h
            .prepare("", &["1".into(), "x".into()])
            .unwrap_err()
            .starts_with("invalid -netinfo outonly argument: x\nFor"));
        assert!(help_text().ends_with("> bitcoin-cli -netinfo help\n"));
    }

    #[test]
    fn ping_format() {
        assert_eq!(ping_text(-1.0), "");
        assert_eq!(ping_text(0.0105), "11");
        assert_eq!(ping_text(1000.0), "-");
    }
}
