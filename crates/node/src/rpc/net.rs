//! Network commands (Core's `rpc/net.cpp`): connections and their statistics, added
//! nodes, bans, traffic totals and network state, answered by the connection manager,
//! the peer logic and the ban list in `NodeContext::peers`.
//!
//! `getrawaddrman` is left out for now.

use std::sync::{Arc, Mutex, Weak};

use addrman::banman::BanMan;
use addrman::netaddress::{NetAddr, Network, SubNet};
use net::{ConnectionDirection, ConnectionType, Connections, NodeStats};
use net_processing::PeerStats;
use rpc::codes::{
    RPC_CLIENT_INVALID_IP_OR_SUBNET, RPC_CLIENT_NODE_ALREADY_ADDED,
    RPC_CLIENT_NODE_CAPACITY_REACHED, RPC_CLIENT_NODE_NOT_ADDED, RPC_CLIENT_NODE_NOT_CONNECTED,
    RPC_CLIENT_P2P_DISABLED, RPC_DATABASE_ERROR, RPC_INVALID_PARAMETER, RPC_INVALID_PARAMS,
    RPC_MISC_ERROR,
};
use rpc::{
    Arg, ArgType, Command, Request, ResultDoc, ResultType, RpcError, RpcResult, Table, Value,
};
use serde_json::{json, Map};

use super::format_double;
use super::values::{get_bool, get_int, get_str};
use crate::context::{lock, NodeContext};
use crate::peers::{net_addr, Peers};

/// Core's `DEFAULT_TX_SEND_RATE`: transactions per second announced to inbound peers.
/// The node has no `-txsendrate`, so this is always the rate.
const TX_SEND_RATE: u32 = 14;
/// Seconds of sending the inventory token bucket holds (`INBOUND_COUNT_SECONDS`).
const INV_COUNT_SECONDS: u32 = 30;
/// Bytes the inventory size bucket starts with (`InvToSendBucket::SIZE_INIT`).
const INV_SIZE_INIT: f64 = 12_000_000.0;
/// Length of the upload-target cycle, seconds (`MAX_UPLOAD_TIMEFRAME`).
const UPLOAD_TIMEFRAME: i64 = 24 * 60 * 60;
/// Characters `TrimStringView` strips by default.
const TRIM: &[char] = &[' ', '\x0c', '\n', '\r', '\t', '\x0b'];

/// Registers the network commands.
pub fn register(table: &Arc<Table>, node: &Arc<NodeContext>) {
    let weak = Arc::downgrade(table);
    reg(
        table,
        plain(
            "network",
            "getconnectioncount",
            "Tells how many connections to other nodes are open.\n",
            vec![],
            node,
            |n, _| {
                Ok(json!(connman_of(n)?
                    .connman
                    .get_node_count(ConnectionDirection::Both)))
            },
        ),
        vec![ResultDoc::new(
            ResultType::Num,
            "",
            "How many connections there are",
        )],
    );
    reg(
        table,
        plain(
            "network",
            "ping",
            "Asks that every peer be sent a ping, to measure the round trip.\nThe times show up in getpeerinfo.\nThe ping waits in line with every other message to the peer, so it measures the processing backlog too, not only the network.\n",
            vec![],
            node,
            |n, _| {
                peers_of(n)?.peerman.send_pings();
                Ok(Value::Null)
            },
        ),
        null_result(),
    );
    reg(
        table,
        plain(
            "network",
            "getpeerinfo",
            "Describes each connected peer, one JSON object per peer.",
            vec![],
            node,
            |n, _| get_peer_info(n),
        ),
        vec![peer_info_result()],
    );
    let w = weak.clone();
    reg(
        table,
        with_examples(
            "network",
            "addnode",
            ADDNODE_DESCRIPTION,
            vec![
                Arg::required("node", ArgType::Str, "The peer's IP address or host name, with an optional :port"),
                Arg::required("command", ArgType::Str, "'add' puts the node on the list, 'remove' takes it off, 'onetry' connects to it once"),
                Arg::hint("v2transport", ArgType::Bool, "set by -v2transport", "Try the BIP324 v2 transport protocol first (ignored by 'remove')"),
            ],
            &[("cli", "\"192.168.0.6:8333\" \"onetry\" true"), ("rpc", "\"192.168.0.6:8333\", \"onetry\" true")],
            node,
            move |n, req| add_node(n, req, &w),
        ),
        null_result(),
    );
    let w = weak.clone();
    reg(
        table,
        with_examples(
            "hidden",
            "addconnection",
            "Opens an outbound connection of the given type to a node. Meant for tests only.\n",
            vec![
                Arg::required("address", ArgType::Str, "The node's IP address and port."),
                Arg::required("connection_type", ArgType::Str, "The kind of connection (\"outbound-full-relay\", \"block-relay-only\", \"addr-fetch\" or \"feeler\")."),
                Arg::required("v2transport", ArgType::Bool, "Try the BIP324 v2 transport protocol"),
            ],
            &[("cli", "\"192.168.0.6:8333\" \"outbound-full-relay\" true"), ("rpc", "\"192.168.0.6:8333\" \"outbound-full-relay\" true")],
            node,
            move |n, req| add_connection(n, req, &w),
        ),
        vec![ResultDoc::new(ResultType::Obj, "", "").with_inner(vec![
            ResultDoc::new(ResultType::Str, "address", "The address connected to."),
            ResultDoc::new(ResultType::Str, "connection_type", "The kind of connection opened."),
        ])],
    );
    reg(
        table,
        with_examples(
            "network",
            "disconnectnode",
            "Disconnects a peer right away.\n\nName the peer by exactly one of 'address' and 'nodeid'.\n\nTo name it by nodeid, give an empty string as 'address', or pass only the named argument 'nodeid'.\n",
            vec![
                Arg::hint("address", ArgType::Str, "fallback to nodeid", "The peer's IP address and port"),
                Arg::hint("nodeid", ArgType::Num, "fallback to address", "The peer's id (as getpeerinfo shows it)"),
            ],
            &[
                ("cli", "\"192.168.0.6:8333\""),
                ("cli", "\"\" 1"),
                ("rpc", "\"192.168.0.6:8333\""),
                ("rpc", "\"\", 1"),
            ],
            node,
            disconnect_node,
        ),
        null_result(),
    );
    reg(
        table,
        with_examples(
            "network",
            "getaddednodeinfo",
            "Describes one added node, or all of them\n(nodes given to addnode with onetry are not added, so not listed)\n",
            vec![Arg::hint("node", ArgType::Str, "all nodes", "Only this node, when given; otherwise every added node.")],
            &[("cli", "\"192.168.0.201\""), ("rpc", "\"192.168.0.201\"")],
            node,
            get_added_node_info,
        ),
        vec![ResultDoc::new(ResultType::Arr, "", "").with_inner(vec![ResultDoc::new(
            ResultType::Obj,
            "",
            "",
        )
        .with_inner(vec![
            ResultDoc::new(ResultType::Str, "addednode", "The node's address or name as given to addnode"),
            ResultDoc::new(ResultType::Bool, "connected", "Whether it is connected"),
            ResultDoc::new(ResultType::Arr, "addresses", "Filled only when connected is true").with_inner(vec![
                ResultDoc::new(ResultType::Obj, "", "").with_inner(vec![
                    ResultDoc::new(ResultType::Str, "address", "The IP address and port of the connection"),
                    ResultDoc::new(ResultType::Str, "connected", "Which side opened it: inbound or outbound"),
                ]),
            ]),
        ])])],
    );
    reg(
        table,
        plain(
            "network",
            "getnettotals",
            "Reports network traffic: bytes received and sent,\nand the current system time.",
            vec![],
            node,
            |n, _| get_net_totals(n),
        ),
        vec![net_totals_result()],
    );
    let deprecated_warnings = node.deprecated_rpc_enabled("warnings");
    reg(
        table,
        plain(
            "network",
            "getnetworkinfo",
            "Describes the state of P2P networking.\n",
            vec![],
            node,
            |n, _| get_network_info(n),
        ),
        vec![network_info_result(deprecated_warnings)],
    );
    let w = weak.clone();
    reg(
        table,
        with_examples(
            "network",
            "setban",
            "Adds an IP address or subnet to the ban list, or takes it off.\n",
            vec![
                Arg::required("subnet", ArgType::Str, "The IP address or subnet (peer addresses are in getpeerinfo), with an optional netmask (a single IP, /32, when none)"),
                Arg::required("command", ArgType::Str, "'add' bans the IP/Subnet, 'remove' lifts the ban"),
                Arg::optional("bantime", ArgType::Num, json!(0), "how many seconds the ban lasts, or the time it ends when [absolute] is set (0 or none gives the default of 24h, which -bantime changes)"),
                Arg::optional("absolute", ArgType::Bool, json!(false), "If set, bantime is an absolute UNIX epoch time (seconds since 1 Jan 1970 GMT)"),
            ],
            &[
                ("cli", "\"192.168.0.6\" \"add\" 86400"),
                ("cli", "\"192.168.0.0/24\" \"add\""),
                ("rpc", "\"192.168.0.6\", \"add\", 86400"),
            ],
            node,
            move |n, req| set_ban(n, req, &w),
        ),
        null_result(),
    );
    reg(
        table,
        plain(
            "network",
            "listbanned",
            "Lists every IP address and subnet banned by hand.\n",
            vec![],
            node,
            |n, _| list_banned(n),
        ),
        vec![
            ResultDoc::new(ResultType::Arr, "", "").with_inner(vec![ResultDoc::new(
                ResultType::Obj,
                "",
                "",
            )
            .with_inner(vec![
                ResultDoc::new(
                    ResultType::Str,
                    "address",
                    "The banned IP address or subnet",
                ),
                ResultDoc::new(
                    ResultType::NumTime,
                    "ban_created",
                    "When the ban was made, UNIX epoch time",
                ),
                ResultDoc::new(
                    ResultType::NumTime,
                    "banned_until",
                    "When the ban ends, UNIX epoch time",
                ),
                ResultDoc::new(
                    ResultType::NumTime,
                    "ban_duration",
                    "How long the ban lasts in all, seconds",
                ),
                ResultDoc::new(
                    ResultType::NumTime,
                    "time_remaining",
                    "How long until the ban ends, seconds",
                ),
            ])]),
        ],
    );
    reg(
        table,
        plain(
            "network",
            "clearbanned",
            "Lifts every ban.\n",
            vec![],
            node,
            |n, _| {
                let banman = banman_of(n)?;
                let mut b = lock(&banman);
                sync_clock(n, &mut b);
                b.clear_banned();
                Ok(Value::Null)
            },
        ),
        null_result(),
    );
    reg(
        table,
        with_examples(
            "network",
            "setnetworkactive",
            "Turns all P2P network activity off or on.\n",
            vec![Arg::required(
                "state",
                ArgType::Bool,
                "true turns networking on, false turns it off",
            )],
            &[],
            node,
            |n, req| {
                let p = connman_of(n)?;
                p.connman.set_network_active(get_bool(req.arg_value(0)?)?);
                Ok(json!(p.connman.get_network_active()))
            },
        ),
        vec![ResultDoc::new(
            ResultType::Bool,
            "",
            "The state that was passed",
        )],
    );
    reg(
        table,
        with_examples(
            "network",
            "getnodeaddresses",
            "Lists known addresses, filtered for quality and recency.\nThey can be used to find new peers.\nThe node may know more addresses than it lists.",
            vec![
                Arg::optional("count", ArgType::Num, json!(1), "How many addresses to list at most; 0 lists every known address."),
                Arg::hint("network", ArgType::Str, "all networks", "Only addresses of this network: one of ipv4, ipv6, onion, i2p, cjdns."),
            ],
            &[
                ("cli", "8"),
                ("cli", "4 \"i2p\""),
                ("cli-named", "network=onion count=12"),
                ("rpc", "8"),
                ("rpc", "4, \"i2p\""),
            ],
            node,
            get_node_addresses,
        ),
        vec![ResultDoc::new(ResultType::Arr, "", "").with_inner(vec![ResultDoc::new(
            ResultType::Obj,
            "",
            "",
        )
        .with_inner(vec![
            ResultDoc::new(ResultType::NumTime, "time", "The UNIX epoch time when the node was last seen"),
            ResultDoc::new(ResultType::Num, "services", "The services the node offers"),
            ResultDoc::new(ResultType::Str, "address", "The node's address"),
            ResultDoc::new(ResultType::Num, "port", "The node's port"),
            ResultDoc::new(ResultType::Str, "network", "The network (ipv4, ipv6, onion, i2p, cjdns) the node is reached through"),
        ])])],
    );
    reg(
        table,
        with_examples(
            "hidden",
            "addpeeraddress",
            "Adds a potential peer's address to a table of the address manager. For testing only.",
            vec![
                Arg::required("address", ArgType::Str, "The peer's IP address"),
                Arg::required("port", ArgType::Num, "The peer's port"),
                Arg::optional(
                    "tried",
                    ArgType::Bool,
                    json!(false),
                    "If true, also try to move it to the tried table",
                ),
            ],
            &[
                ("cli", "\"1.2.3.4\" 8333 true"),
                ("rpc", "\"1.2.3.4\", 8333, true"),
            ],
            node,
            add_peer_address,
        ),
        vec![ResultDoc::new(ResultType::Obj, "", "").with_inner(vec![
            ResultDoc::new(
                ResultType::Bool,
                "success",
                "Whether the address went into the address manager table",
            ),
            ResultDoc::new(ResultType::Str, "error", "Why it did not, if it did not").optional(),
        ])],
    );
    reg(
        table,
        plain(
            "network",
            "getaddrmaninfo",
            "Counts the addresses in the address manager's new and tried tables, and their sum, per network and for all networks.\n",
            vec![],
            node,
            get_addrman_info,
        ),
        vec![ResultDoc::new(ResultType::ObjDyn, "", "Keyed by network")],
    );
    reg(
        table,
        plain(
            "hidden",
            "getrawaddrman",
            "EXPERIMENTAL warning: this call may be changed in future releases.\n\nLists every entry of the address manager's new and tried tables.\n",
            vec![],
            node,
            get_raw_addrman,
        ),
        vec![ResultDoc::new(ResultType::ObjDyn, "", "The tables, new and tried, keyed by <bucket>/<position>")],
    );
    reg(
        table,
        with_examples(
            "blockchain",
            "getblockfrompeer",
            "Asks a peer for a block.\n\nThe header must be known already, e.g. from submitheader.\nThe block comes without undo data, which limits what it can be used for.\nA later call for the same block may make the node ignore the earlier peer's answer.\nPeers usually ignore requests for stale blocks they never fully verified, or older than a month.\nA peer that does not answer with the block is disconnected.\nThe block may be pruned again as soon as it arrives.\n\nAnswers an empty JSON object once the request is on its way.",
            vec![
                Arg::required("blockhash", ArgType::StrHex, "The hash of the block to fetch"),
                Arg::required("peer_id", ArgType::Num, "The peer to ask (see getpeerinfo for peer ids)"),
            ],
            &[
                ("cli", "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\" 0"),
                ("rpc", "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\" 0"),
            ],
            node,
            get_block_from_peer,
        ),
        vec![ResultDoc::new(ResultType::Obj, "", "")],
    );
    reg(
        table,
        with_examples(
            "hidden",
            "sendmsgtopeer",
            "Sends a P2P message to the peer with this id.\nGive the message type and body; the header is made here.\nFor testing only.",
            vec![
                Arg::required("peer_id", ArgType::Num, "The peer to send the message to."),
                Arg::required("msg_type", ArgType::Str, "The message type (at most 12 characters)"),
                Arg::required("msg", ArgType::StrHex, "The message body, serialized, in hex, without a header"),
            ],
            &[("cli", "0 \"addr\" \"ffffff\""), ("rpc", "0 \"addr\" \"ffffff\"")],
            node,
            send_msg_to_peer,
        ),
        vec![ResultDoc::new(ResultType::Obj, "", "")],
    );
}

/// The networks `getnodeaddresses` and `getaddrmaninfo` name (`GetNetworkNames`).
const NETWORK_NAMES: [Network; 5] = [
    Network::Ipv4,
    Network::Ipv6,
    Network::Onion,
    Network::I2p,
    Network::Cjdns,
];

fn addrman_of(n: &NodeContext) -> Result<Arc<Mutex<addrman::addrman::AddrMan>>, RpcError> {
    lock(&n.peers)
        .as_ref()
        .map(|p| p.addrman.clone())
        .ok_or_else(|| {
            RpcError::new(
                RPC_CLIENT_P2P_DISABLED,
                "Error: Address manager functionality missing or disabled",
            )
        })
}

fn int_in<T: TryFrom<i64>>(v: i64) -> Result<T, RpcError> {
    T::try_from(v).map_err(|_| RpcError::new(RPC_MISC_ERROR, "JSON integer out of range"))
}

/// `getnodeaddresses`.
fn get_node_addresses(n: &NodeContext, req: &Request) -> RpcResult {
    let am = addrman_of(n)?;
    let count = int_in::<i32>(req.arg_i64(0)?)?;
    if count < 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Address count out of range",
        ));
    }
    let network = match req.maybe_str(1)? {
        None => None,
        Some(name) => match Network::parse(name) {
            Network::Unroutable => {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Network not recognized: {name}"),
                ))
            }
            net => Some(net),
        },
    };
    let addrs = lock(&am).get_addr(count as usize, 0, network, true);
    Ok(Value::Array(
        addrs
            .iter()
            .map(|a| {
                json!({
                    "time": a.time,
                    "services": a.services.to_u64(),
                    "address": a.service.addr.to_string_addr(),
                    "port": a.service.port,
                    "network": a.service.addr.get_net_class().name(),
                })
            })
            .collect(),
    ))
}

/// `addpeeraddress`: the address as if it announced itself.
fn add_peer_address(n: &NodeContext, req: &Request) -> RpcResult {
    let am = addrman_of(n)?;
    let host = req.arg_str(0)?.to_string();
    let port = int_in::<u16>(req.arg_i64(1)?)?;
    let tried = req.maybe_bool(2)?.unwrap_or(false);
    let Some(ip) = addrman::netbase::lookup_host(&host, 1, false, None)
        .into_iter()
        .next()
    else {
        return Err(RpcError::new(
            RPC_CLIENT_INVALID_IP_OR_SUBNET,
            "Invalid IP address",
        ));
    };
    let service = addrman::netaddress::Service {
        addr: ip.maybe_flip_to_cjdns(true),
        port,
    };
    let address = addrman::netaddress::Address {
        service: service.clone(),
        time: n.now(),
        services: bitcoin::p2p::ServiceFlags::NETWORK | bitcoin::p2p::ServiceFlags::WITNESS,
    };
    let mut am = lock(&am);
    let mut obj = Map::new();
    let mut success = false;
    if am.add(std::slice::from_ref(&address), &service.addr, 0) {
        success = true;
        if tried && !am.good(&service, n.now()) {
            success = false;
            obj.insert("error".into(), json!("failed-adding-to-tried"));
        }
    } else {
        obj.insert("error".into(), json!("failed-adding-to-new"));
    }
    obj.insert("success".into(), json!(success));
    Ok(Value::Object(obj))
}

/// `getaddrmaninfo`: new and tried counts per network.
fn get_addrman_info(n: &NodeContext, _req: &Request) -> RpcResult {
    let am = addrman_of(n)?;
    let mut am = lock(&am);
    let mut out = Map::new();
    for net in NETWORK_NAMES {
        let new = am.size(Some(net), Some(true));
        let tried = am.size(Some(net), Some(false));
        out.insert(
            net.name().into(),
            json!({"new": new, "tried": tried, "total": new + tried}),
        );
    }
    let new = am.size(None, Some(true));
    let tried = am.size(None, Some(false));
    out.insert(
        "all_networks".into(),
        json!({"new": new, "tried": tried, "total": new + tried}),
    );
    Ok(Value::Object(out))
}

/// `getrawaddrman`: every address manager entry by table and `<bucket>/<position>`.
fn get_raw_addrman(n: &NodeContext, _req: &Request) -> RpcResult {
    let am = addrman_of(n)?;
    let mut am = lock(&am);
    let mut out = Map::new();
    for (name, tried) in [("new", false), ("tried", true)] {
        let mut t = Map::new();
        for (info, pos) in am.get_entries(tried) {
            let a = &info.address;
            t.insert(
                format!("{}/{}", pos.bucket, pos.position),
                json!({
                    "address": a.service.addr.to_string_addr(),
                    "port": a.service.port,
                    "services": a.services.to_u64(),
                    "time": a.time,
                    "network": a.service.addr.get_net_class().name(),
                    "source": info.source.to_string_addr(),
                    "source_network": info.source.get_net_class().name(),
                }),
            );
        }
        out.insert(name.into(), Value::Object(t));
    }
    Ok(Value::Object(out))
}

/// `getblockfrompeer`: asks a peer for a block whose header we have.
fn get_block_from_peer(n: &NodeContext, req: &Request) -> RpcResult {
    let p = peers_of(n)?;
    let hash = super::values::parse_block_hash(req.arg_value(0)?, "blockhash")?;
    let id = req.arg_i64(1)?;
    {
        let cs = n.chainstate();
        let Some(i) = cs.index().find(&hash) else {
            return Err(RpcError::new(RPC_MISC_ERROR, "Block header missing"));
        };
        if cs.index().entry(i).data.is_some() {
            return Err(RpcError::new(RPC_MISC_ERROR, "Block already downloaded"));
        }
    }
    p.peerman
        .fetch_block(id, hash)
        .map_err(|e| RpcError::new(RPC_MISC_ERROR, e))?;
    Ok(Value::Object(Map::new()))
}

/// `sendmsgtopeer`: a raw message to a connected peer, for tests.
fn send_msg_to_peer(n: &NodeContext, req: &Request) -> RpcResult {
    let id = req.arg_i64(0)?;
    let msg_type = req.arg_str(1)?;
    if msg_type.len() > 12 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Error: msg_type too long, max length is 12",
        ));
    }
    let hex = req.arg_str(2)?;
    let body = (hex.len() % 2 == 0)
        .then(|| {
            (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .flatten()
        .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Error parsing input for msg"))?;
    let p = connman_of(n)?;
    let connected = p
        .peerman
        .peer_stats(id)
        .is_some_and(|s| s.successfully_connected);
    if !connected || p.connman.is_disconnecting(id) {
        return Err(RpcError::new(
            RPC_MISC_ERROR,
            "Error: Could not send message to peer",
        ));
    }
    p.connman.push_message(id, msg_type, body);
    Ok(Value::Object(Map::new()))
}

const ADDNODE_DESCRIPTION: &str = "Adds a node to the addnode list or removes it from the list,\n\
or tries one connection to a node.\n\
Nodes from addnode (or -connect) are spared disconnection for misbehaviour and need not be\n\
full nodes or support SegWit as other outbound peers must (but blocks are not synced from such peers).\n\
At most 8 addnode connections are open at a time, and they do not count against -maxconnections.\n";

type NetHandler = dyn Fn(&NodeContext, &Request) -> RpcResult + Send + Sync;

/// Registers `cmd` and its structured result description.
fn reg(table: &Table, cmd: Command, results: Vec<ResultDoc>) {
    let name = cmd.name;
    table.register(cmd);
    table.set_results(name, results);
}

/// A command whose examples call it without arguments.
fn plain(
    category: &'static str,
    name: &'static str,
    description: &'static str,
    args: Vec<Arg>,
    node: &Arc<NodeContext>,
    handler: impl Fn(&NodeContext, &Request) -> RpcResult + Send + Sync + 'static,
) -> Command {
    with_examples(
        category,
        name,
        description,
        args,
        &[("cli", ""), ("rpc", "")],
        node,
        handler,
    )
}

/// A command with the given `bitcoin-cli` (`"cli"`) and JSON-RPC (`"rpc"`) examples.
fn with_examples(
    category: &'static str,
    name: &'static str,
    description: &'static str,
    args: Vec<Arg>,
    examples: &[(&str, &str)],
    node: &Arc<NodeContext>,
    handler: impl Fn(&NodeContext, &Request) -> RpcResult + Send + Sync + 'static,
) -> Command {
    let text: String = examples
        .iter()
        .map(|(kind, a)| match *kind {
            "cli" => rpc::help_example_cli(name, a),
            "cli-named" => rpc::help_example_cli(&format!("-named {name}"), a),
            _ => rpc::help_example_rpc(name, a),
        })
        .collect();
    let n = node.clone();
    let handler: Box<NetHandler> = Box::new(handler);
    Command {
        category,
        name,
        description,
        args,
        result: "",
        examples: text.into(),
        handler: Arc::new(move |req| handler(&n, req)),
    }
}

fn null_result() -> Vec<ResultDoc> {
    vec![ResultDoc::new(ResultType::None, "", "")]
}

/// The running P2P components, or Core's error for a node without them.
fn peers_of(n: &NodeContext) -> Result<Peers, RpcError> {
    lock(&n.peers).clone().ok_or_else(|| {
        RpcError::new(
            RPC_CLIENT_P2P_DISABLED,
            "Error: Peer-to-peer functionality missing or disabled",
        )
    })
}

/// [`peers_of`] for commands that need only the connection manager (`EnsureConnman`).
fn connman_of(n: &NodeContext) -> Result<Peers, RpcError> {
    peers_of(n)
}

/// The ban list (`EnsureBanman`).
fn banman_of(n: &NodeContext) -> Result<Arc<Mutex<BanMan>>, RpcError> {
    lock(&n.peers)
        .as_ref()
        .map(|p| p.banman.clone())
        .ok_or_else(|| RpcError::new(RPC_DATABASE_ERROR, "Error: Ban database not loaded"))
}

/// Bans follow the node's clock, mock time included, as Core's `GetTime` does.
fn sync_clock(n: &NodeContext, b: &mut BanMan) {
    let mock = n.mock_time.load(std::sync::atomic::Ordering::Relaxed);
    b.set_mock_time((mock != 0).then_some(mock));
}

/// The command's full help as the error Core throws for a bad sub-command.
fn help_error(table: &Weak<Table>, name: &str, code: i32) -> RpcError {
    let text = table
        .upgrade()
        .and_then(|t| t.help_text(name))
        .unwrap_or_default();
    RpcError::new(code, text)
}

/// Microseconds as the seconds (a double) Core prints.
fn seconds(micros: i64) -> Value {
    format_double(micros as f64 / 1e6)
}

/// An address as Core's `ToStringAddrPort` writes it.
fn addr_port(a: &std::net::SocketAddr) -> String {
    net::netaddr::canonical(*a).to_string()
}

fn get_peer_info(n: &NodeContext) -> RpcResult {
    let p = peers_of(n)?;
    let mut out = Vec::new();
    for stats in p.connman.node_stats() {
        // A peer that went away between the two lookups is left out, as in Core.
        let Some(state) = p.peerman.peer_stats(stats.id) else {
            continue;
        };
        out.push(Value::Object(peer_json(&stats, &state)));
    }
    Ok(Value::Array(out))
}

/// One `getpeerinfo` entry, in Core's key order.
fn peer_json(s: &NodeStats, st: &PeerStats) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("id".into(), json!(s.id));
    o.insert("addr".into(), json!(s.addr_name));
    if let Some(b) = &s.addr_bind {
        o.insert("addrbind".into(), json!(addr_port(b)));
    }
    if let Some(l) = s.addr_local.filter(|l| net_addr(l).is_valid()) {
        o.insert("addrlocal".into(), json!(addr_port(&l)));
    }
    o.insert("network".into(), json!(s.network));
    if let Some(asn) = s.mapped_as.filter(|a| *a != 0) {
        o.insert("mapped_as".into(), json!(asn));
    }
    let services = st.their_services;
    o.insert("services".into(), json!(format!("{services:016x}")));
    o.insert(
        "servicesnames".into(),
        json!(p2p::constants::service_flag_names(services)),
    );
    o.insert("relaytxes".into(), json!(st.relay_txs));
    o.insert("last_inv_sequence".into(), json!(st.last_inv_sequence));
    o.insert("inv_to_send".into(), json!(st.inv_to_send));
    o.insert("lastsend".into(), json!(s.last_send));
    o.insert("lastrecv".into(), json!(s.last_recv));
    o.insert("last_transaction".into(), json!(s.last_tx_time));
    o.insert("last_block".into(), json!(s.last_block_time));
    o.insert("bytessent".into(), json!(s.bytes_sent));
    o.insert("bytesrecv".into(), json!(s.bytes_recv));
    o.insert("conntime".into(), json!(s.conn_time));
    o.insert("timeoffset".into(), json!(st.time_offset));
    if let Some(t) = s.last_ping_us.filter(|t| *t > 0) {
        o.insert("pingtime".into(), seconds(t));
    }
    if let Some(t) = s.min_ping_us {
        o.insert("minping".into(), seconds(t));
    }
    if let Some(t) = st.ping_wait.filter(|t| *t > 0) {
        o.insert("pingwait".into(), seconds(t));
    }
    o.insert("version".into(), json!(s.version));
    o.insert("subver".into(), json!(s.subver));
    o.insert("inbound".into(), json!(s.inbound));
    o.insert("bip152_hb_to".into(), json!(s.bip152_hb_to));
    o.insert("bip152_hb_from".into(), json!(s.bip152_hb_from));
    o.insert("presynced_headers".into(), json!(st.presync_height));
    o.insert("synced_headers".into(), json!(st.sync_height));
    o.insert("synced_blocks".into(), json!(st.common_height));
    o.insert("inflight".into(), json!(st.heights_in_flight));
    o.insert("addr_relay_enabled".into(), json!(st.addr_relay_enabled));
    o.insert("addr_processed".into(), json!(st.addr_processed));
    o.insert("addr_rate_limited".into(), json!(st.addr_rate_limited));
    o.insert("permissions".into(), json!(s.permissions));
    o.insert(
        "minfeefilter".into(),
        rpc::amount_value(st.fee_filter_received),
    );
    o.insert("bytessent_per_msg".into(), json!(s.bytes_sent_per_msg));
    o.insert("bytesrecv_per_msg".into(), json!(s.bytes_recv_per_msg));
    o.insert("connection_type".into(), json!(s.connection_type));
    o.insert(
        "transport_protocol_type".into(),
        json!(s.transport_protocol_type),
    );
    o.insert("session_id".into(), json!(s.session_id));
    o
}

fn add_node(n: &NodeContext, req: &Request, table: &Weak<Table>) -> RpcResult {
    let command = get_str(req.arg_value(1)?)?;
    if !matches!(command, "onetry" | "add" | "remove") {
        return Err(help_error(table, "addnode", RPC_MISC_ERROR));
    }
    let p = connman_of(n)?;
    let node_arg = get_str(req.arg_value(0)?)?;
    if node_arg.trim_matches(TRIM).is_empty() {
        // Such a node never resolves but would be retried for ever.
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Error: Node address cannot be empty",
        ));
    }
    let node_v2 = p.connman.local_services() & net::options::NODE_P2P_V2 != 0;
    let use_v2 = req.maybe_bool(2)?.unwrap_or(node_v2);
    if use_v2 && !node_v2 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Error: v2transport requested but not enabled (see -v2transport)",
        ));
    }
    match command {
        "onetry" => {
            p.connman.connect_onetry(node_arg, use_v2);
        }
        "add" => {
            if !p.connman.add_node(node_arg, use_v2) {
                return Err(RpcError::new(
                    RPC_CLIENT_NODE_ALREADY_ADDED,
                    "Error: Node already added",
                ));
            }
        }
        _ => {
            if !p.connman.remove_added_node(node_arg) {
                return Err(RpcError::new(
                    RPC_CLIENT_NODE_NOT_ADDED,
                    "Error: Node could not be removed. It has not been added previously.",
                ));
            }
        }
    }
    Ok(Value::Null)
}

fn add_connection(n: &NodeContext, req: &Request, table: &Weak<Table>) -> RpcResult {
    if n.chain_type != common::ChainType::Regtest {
        return Err(RpcError::new(
            RPC_MISC_ERROR,
            "addconnection is for regression testing (-regtest mode) only.",
        ));
    }
    let address = get_str(req.arg_value(0)?)?;
    let type_in = get_str(req.arg_value(1)?)?.trim_matches(TRIM);
    let conn_type = match type_in {
        "outbound-full-relay" => ConnectionType::OutboundFullRelay,
        "block-relay-only" => ConnectionType::BlockRelay,
        "addr-fetch" => ConnectionType::AddrFetch,
        "feeler" => ConnectionType::Feeler,
        _ => return Err(help_error(table, "addconnection", RPC_INVALID_PARAMETER)),
    };
    let use_v2 = get_bool(req.arg_value(2)?)?;
    let p = connman_of(n)?;
    if use_v2 && p.connman.local_services() & net::options::NODE_P2P_V2 == 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Error: Adding v2transport connections requires -v2transport init flag to be set.",
        ));
    }
    if !p.connman.open_connection(address, conn_type, use_v2) {
        return Err(RpcError::new(
            RPC_CLIENT_NODE_CAPACITY_REACHED,
            "Error: Already at capacity for specified connection type.",
        ));
    }
    Ok(json!({"address": address, "connection_type": type_in}))
}

fn disconnect_node(n: &NodeContext, req: &Request) -> RpcResult {
    let p = connman_of(n)?;
    let address = req.param(0).map(get_str).transpose()?;
    let node_id = req.param(1).map(get_int::<i64>).transpose()?;
    let done = match (address, node_id) {
        (Some(a), None) => p.connman.disconnect_node_by_name(a),
        (None | Some(""), Some(id)) => p.connman.disconnect_node_by_id(id),
        _ => {
            return Err(RpcError::new(
                RPC_INVALID_PARAMS,
                "Only one of address and nodeid should be provided.",
            ))
        }
    };
    if !done {
        return Err(RpcError::new(
            RPC_CLIENT_NODE_NOT_CONNECTED,
            "Node not found in connected nodes",
        ));
    }
    Ok(Value::Null)
}

fn get_added_node_info(n: &NodeContext, req: &Request) -> RpcResult {
    let p = connman_of(n)?;
    let mut infos = p.connman.get_added_node_info(true);
    if let Some(name) = req.param(0).map(get_str).transpose()? {
        match infos.iter().find(|i| i.params.added_node == name) {
            Some(i) => infos = vec![i.clone()],
            None => {
                return Err(RpcError::new(
                    RPC_CLIENT_NODE_NOT_ADDED,
                    "Error: Node has not been added.",
                ))
            }
        }
    }
    let out: Vec<Value> = infos
        .iter()
        .map(|i| {
            let addresses: Vec<Value> = match (i.connected, i.resolved_address) {
                (true, Some(a)) => vec![json!({
                    "address": addr_port(&a),
                    "connected": if i.inbound { "inbound" } else { "outbound" },
                })],
                _ => Vec::new(),
            };
            json!({
                "addednode": i.params.added_node,
                "connected": i.connected,
                "addresses": addresses,
            })
        })
        .collect();
    Ok(Value::Array(out))
}

fn get_net_totals(n: &NodeContext) -> RpcResult {
    let p = connman_of(n)?;
    // The wall clock, not the mock time, as Core's `SystemClock`.
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut o = Map::new();
    o.insert(
        "totalbytesrecv".into(),
        json!(p.connman.get_total_bytes_recv()),
    );
    o.insert(
        "totalbytessent".into(),
        json!(p.connman.get_total_bytes_sent()),
    );
    o.insert("timemillis".into(), json!(millis));
    // No -maxuploadtarget: Core's figures for a node without an upload target.
    o.insert(
        "uploadtarget".into(),
        json!({
            "timeframe": UPLOAD_TIMEFRAME,
            "target": 0,
            "target_reached": false,
            "serve_historical_blocks": true,
            "bytes_left_in_cycle": 0,
            "time_left_in_cycle": 0,
        }),
    );
    Ok(Value::Object(o))
}

/// The networks `getnetworkinfo` lists, in Core's order.
const LISTED_NETWORKS: [Network; 5] = [
    Network::Ipv4,
    Network::Ipv6,
    Network::Onion,
    Network::I2p,
    Network::Cjdns,
];

fn get_network_info(n: &NodeContext) -> RpcResult {
    let peers = lock(&n.peers).clone();
    let mut o = Map::new();
    o.insert("version".into(), json!(common::version::CLIENT_VERSION));
    o.insert(
        "subversion".into(),
        json!(peers
            .as_ref()
            .map(|p| p.settings.user_agent.clone())
            .unwrap_or_default()),
    );
    o.insert(
        "protocolversion".into(),
        json!(p2p::constants::PROTOCOL_VERSION),
    );
    if let Some(p) = &peers {
        let services = p.connman.local_services();
        o.insert("localservices".into(), json!(format!("{services:016x}")));
        o.insert(
            "localservicesnames".into(),
            json!(p2p::constants::service_flag_names(services)),
        );
        o.insert(
            "localrelay".into(),
            json!(!p.peerman.ignores_incoming_txs()),
        );
        o.insert(
            "timeoffset".into(),
            json!(p.peerman.median_outbound_time_offset()),
        );
        o.insert("tx_send_rate".into(), json!(TX_SEND_RATE));
        // Transactions are announced to each peer as they come, without the shared
        // inventory buckets: these are Core's buckets before anything was queued.
        let bucket = json!({
            "backlog": 0,
            "count_tok": format_double(f64::from(TX_SEND_RATE * INV_COUNT_SECONDS)),
            "size_tok": format_double(INV_SIZE_INIT),
        });
        o.insert(
            "inv_buckets".into(),
            json!({"inbound": bucket.clone(), "outbound": bucket}),
        );
        let c = &p.connman;
        o.insert("networkactive".into(), json!(c.get_network_active()));
        o.insert(
            "connections".into(),
            json!(c.get_node_count(ConnectionDirection::Both)),
        );
        o.insert(
            "connections_in".into(),
            json!(c.get_node_count(ConnectionDirection::In)),
        );
        o.insert(
            "connections_out".into(),
            json!(c.get_node_count(ConnectionDirection::Out)),
        );
    }
    let (reachable, proxies) = peers
        .as_ref()
        .map(|p| (p.settings.reachable.clone(), p.settings.proxies.clone()))
        .unwrap_or_default();
    let networks: Vec<Value> = LISTED_NETWORKS
        .iter()
        .map(|net| {
            let r = reachable.contains(net);
            let proxy = proxies.network_info(*net);
            json!({
                "name": net.name(),
                "limited": !r,
                "reachable": r,
                "proxy": proxy.proxy,
                "proxy_randomize_credentials": proxy.proxy_randomize_credentials,
            })
        })
        .collect();
    o.insert("networks".into(), Value::Array(networks));
    {
        let pool = lock(&n.mempool);
        let opts = pool.options();
        o.insert("relayfee".into(), rpc::amount_value(opts.min_relay_feerate));
        o.insert(
            "incrementalfee".into(),
            rpc::amount_value(opts.incremental_relay_feerate),
        );
    }
    let local: Vec<Value> = peers
        .as_ref()
        .map(|p| p.connman.local_addresses())
        .unwrap_or_default()
        .into_iter()
        .map(|(addr, info)| {
            json!({"address": addr.to_string_addr(), "port": info.port, "score": info.score})
        })
        .collect();
    o.insert("localaddresses".into(), Value::Array(local));
    o.insert("warnings".into(), n.warnings_for_rpc());
    Ok(Value::Object(o))
}

/// What `setban` acts on: one address or a subnet.
enum BanTarget {
    Addr(NetAddr),
    Net(SubNet),
}

impl BanTarget {
    fn subnet(&self) -> SubNet {
        match self {
            BanTarget::Addr(a) => SubNet::single(a),
            BanTarget::Net(s) => s.clone(),
        }
    }
}

fn set_ban(n: &NodeContext, req: &Request, table: &Weak<Table>) -> RpcResult {
    let command = get_str(req.arg_value(1)?)?;
    if !matches!(command, "add" | "remove") {
        return Err(help_error(table, "setban", RPC_MISC_ERROR));
    }
    let banman = banman_of(n)?;
    let arg = get_str(req.arg_value(0)?)?;
    // CJDNS is never reachable here, so fc00::/8 stays IPv6.
    let target = if arg.contains('/') {
        Some(addrman::netbase::lookup_subnet(arg, false))
            .filter(SubNet::is_valid)
            .map(BanTarget::Net)
    } else {
        addrman::netbase::lookup_host_numeric(arg)
            .filter(NetAddr::is_valid)
            .map(BanTarget::Addr)
    };
    let Some(target) = target else {
        return Err(RpcError::new(
            RPC_CLIENT_INVALID_IP_OR_SUBNET,
            "Error: Invalid IP/Subnet",
        ));
    };
    let mut b = lock(&banman);
    sync_clock(n, &mut b);
    if command == "remove" {
        let lifted = match &target {
            BanTarget::Addr(a) => b.unban(a),
            BanTarget::Net(s) => b.unban_subnet(s),
        };
        if !lifted {
            return Err(RpcError::new(
                RPC_CLIENT_INVALID_IP_OR_SUBNET,
                "Error: Unban failed. Requested address/subnet was not previously manually banned.",
            ));
        }
        return Ok(Value::Null);
    }
    let already = match &target {
        BanTarget::Addr(a) => b.is_banned(a),
        BanTarget::Net(s) => b.is_subnet_banned(s),
    };
    if already {
        return Err(RpcError::new(
            RPC_CLIENT_NODE_ALREADY_ADDED,
            "Error: IP/Subnet already banned",
        ));
    }
    let ban_time: i64 = match req.param(2) {
        Some(v) => get_int(v)?,
        None => 0,
    };
    let absolute = match req.param(3) {
        Some(v) => get_bool(v)?,
        None => false,
    };
    if absolute && ban_time < n.now() {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Error: Absolute timestamp is in the past",
        ));
    }
    let subnet = target.subnet();
    b.ban_subnet(&subnet, ban_time, absolute);
    drop(b);
    if let Some(p) = lock(&n.peers).clone() {
        let shown = subnet.to_string();
        p.connman
            .disconnect_node_by_subnet(&shown, |a| subnet.matches(&net_addr(a)));
    }
    Ok(Value::Null)
}

fn list_banned(n: &NodeContext) -> RpcResult {
    let banman = banman_of(n)?;
    let banned = {
        let mut b = lock(&banman);
        sync_clock(n, &mut b);
        b.get_banned()
    };
    let now = n.now();
    let out: Vec<Value> = banned
        .iter()
        .map(|(subnet, e)| {
            json!({
                "address": subnet.to_string(),
                "ban_created": e.create_time,
                "banned_until": e.ban_until,
                "ban_duration": e.ban_until - e.create_time,
                "time_remaining": e.ban_until - now,
            })
        })
        .collect();
    Ok(Value::Array(out))
}

const CONNECTION_TYPE_DOC: &str = "How the connection came about: \n\
outbound-full-relay (the usual automatic connections),\n\
block-relay-only (relays neither transactions nor addresses),\n\
inbound (opened by the peer),\n\
manual (from the addnode command or the -addnode/-connect options),\n\
addr-fetch (brief automatic connection to ask for addresses),\n\
feeler (brief automatic connection to test an address),\n\
private-broadcast (brief automatic connection to send out a transaction privately).\n\
This output may change in coming releases as the connection kinds are refined.";

const TRANSPORT_TYPE_DOC: &str = "Which transport protocol the connection speaks: \n\
detecting (not yet known whether v1 or v2),\n\
v1 (unencrypted transport protocol),\n\
v2 (BIP324 encrypted transport protocol).\n";

const PERMISSION_DOC: &str = "bloomfilter (may ask for BIP37 filtered blocks and transactions),\n\
noban (never banned or disconnected for misbehaviour; implies download),\n\
forcerelay (its transactions are relayed even when already in the mempool; implies relay),\n\
relay (its transactions are relayed even with -blocksonly; can be told apart from other peers),\n\
mempool (may ask for the mempool contents with the mempool message),\n\
download (may download blocks even past -maxuploadtarget),\n\
addr (may ask for addresses without a cached answer, and be told our own).\n";

fn peer_info_result() -> ResultDoc {
    use ResultType::{Arr, Bool, Num, NumTime, Obj, ObjDyn, Str, StrHex};
    let r = ResultDoc::new;
    r(Arr, "", "").with_inner(vec![r(Obj, "", "").with_inner(vec![
        r(Num, "id", "The peer's id"),
        r(Str, "addr", "(host:port) The peer's IP address or host name, with the port when known"),
        r(Str, "addrbind", "(ip:port) Our end of the connection").optional(),
        r(Str, "addrlocal", "(ip:port) Our address as the peer reported it").optional(),
        r(Str, "network", "Network (ipv4, ipv6, onion, i2p, cjdns, not_publicly_routable)"),
        r(Num, "mapped_as", "The AS (Autonomous System) number the BGP route to the peer ends at, used to spread\nthe choice of peers (shown only with the -asmap option)").optional(),
        r(StrHex, "services", "The services the peer offers"),
        r(Arr, "servicesnames", "the services the peer offers, by name").with_inner(vec![r(
            Str,
            "SERVICE_NAME",
            "the name of the service, when known",
        )]),
        r(Bool, "relaytxes", "Whether we relay transactions to the peer"),
        r(Num, "last_inv_sequence", "The mempool sequence number at our last inventory message to the peer"),
        r(Num, "inv_to_send", "How many transactions wait to be announced to the peer"),
        r(NumTime, "lastsend", "When we last sent to the peer, UNIX epoch time"),
        r(NumTime, "lastrecv", "When we last received from the peer, UNIX epoch time"),
        r(NumTime, "last_transaction", "When the peer last gave us a valid new transaction, UNIX epoch time"),
        r(NumTime, "last_block", "When the peer last gave us a new block, UNIX epoch time"),
        r(Num, "bytessent", "Bytes sent in all"),
        r(Num, "bytesrecv", "Bytes received in all"),
        r(NumTime, "conntime", "When the connection opened, UNIX epoch time"),
        r(Num, "timeoffset", "The peer's clock minus ours, in seconds"),
        r(Num, "pingtime", "The latest ping round trip in seconds, if there was one").optional(),
        r(Num, "minping", "The shortest ping round trip seen, in seconds, if there was one").optional(),
        r(Num, "pingwait", "How long the unanswered ping has waited, in seconds (when one is waiting)").optional(),
        r(Num, "version", "The peer's protocol version, such as 70001"),
        r(Str, "subver", "The peer's user agent"),
        r(Bool, "inbound", "Whether the peer connected to us (true) or we to it (false)"),
        r(Bool, "bip152_hb_to", "Whether we chose the peer as a high-bandwidth (compact blocks) peer"),
        r(Bool, "bip152_hb_from", "Whether the peer chose us as a high-bandwidth (compact blocks) peer"),
        r(Num, "presynced_headers", "How far the low-work header pre-synchronization with the peer has got, or -1 when none is running"),
        r(Num, "synced_headers", "The last header we share with the peer"),
        r(Num, "synced_blocks", "The last block we share with the peer"),
        r(Arr, "inflight", "").with_inner(vec![r(
            Num,
            "n",
            "The heights of the blocks we are asking the peer for",
        )]),
        r(Bool, "addr_relay_enabled", "Whether we relay addresses with the peer"),
        r(Num, "addr_processed", "How many addresses from the peer were processed, not counting those dropped by the rate limit"),
        r(Num, "addr_rate_limited", "How many addresses from the peer the rate limit dropped"),
        r(Arr, "permissions", "The special permissions the peer has").with_inner(vec![r(
            Str,
            "permission_type",
            PERMISSION_DOC,
        )]),
        r(Num, "minfeefilter", "The lowest fee rate of the transactions the peer wants"),
        r(ObjDyn, "bytessent_per_msg", "").with_inner(vec![r(
            Num,
            "msg",
            "Bytes sent, by message type\nA message type missing from the object had 0 bytes sent.\nOnly known message types are keys of the object.",
        )]),
        r(ObjDyn, "bytesrecv_per_msg", "").with_inner(vec![r(
            Num,
            "msg",
            "Bytes received, by message type\nA message type missing from the object had 0 bytes received.\nOnly known message types are keys of the object; all bytes received\nof unknown message types are counted under '*other*'.",
        )]),
        r(Str, "connection_type", CONNECTION_TYPE_DOC),
        r(Str, "transport_protocol_type", TRANSPORT_TYPE_DOC),
        r(Str, "session_id", "The connection's session ID, or \"\" when it has none (only the \"v2\" transport protocol has one).\n"),
    ])])
}

fn net_totals_result() -> ResultDoc {
    use ResultType::{Bool, Num, NumTime, Obj};
    let r = ResultDoc::new;
    r(Obj, "", "").with_inner(vec![
        r(Num, "totalbytesrecv", "Bytes received in all"),
        r(Num, "totalbytessent", "Bytes sent in all"),
        r(
            NumTime,
            "timemillis",
            "The current system UNIX epoch time in milliseconds",
        ),
        r(Obj, "uploadtarget", "").with_inner(vec![
            r(
                Num,
                "timeframe",
                "How long one measuring cycle is, in seconds",
            ),
            r(Num, "target", "The target, in bytes"),
            r(
                Bool,
                "target_reached",
                "Whether the target has been reached",
            ),
            r(
                Bool,
                "serve_historical_blocks",
                "Whether historical blocks are still served",
            ),
            r(
                Num,
                "bytes_left_in_cycle",
                "Bytes left in the current cycle",
            ),
            r(
                Num,
                "time_left_in_cycle",
                "Seconds left in the current cycle",
            ),
        ]),
    ])
}

fn network_info_result(deprecated_warnings: bool) -> ResultDoc {
    use ResultType::{Arr, Bool, Num, Obj, ObjDyn, Str, StrHex};
    let r = ResultDoc::new;
    let warnings = if deprecated_warnings {
        r(
            Str,
            "warnings",
            "any warnings about the network or the chain (DEPRECATED)",
        )
    } else {
        r(Arr, "warnings", "any warnings about the network or the chain (run with `-deprecatedrpc=warnings` to get only the latest one, as a string)")
            .with_inner(vec![r(Str, "", "warning")])
    };
    r(Obj, "", "").with_inner(vec![
        r(Num, "version", "the server's version"),
        r(Str, "subversion", "the server's user agent"),
        r(Num, "protocolversion", "the protocol version"),
        r(
            StrHex,
            "localservices",
            "the services we offer to the network",
        ),
        r(
            Arr,
            "localservicesnames",
            "the services we offer to the network, by name",
        )
        .with_inner(vec![r(Str, "SERVICE_NAME", "the name of the service")]),
        r(
            Bool,
            "localrelay",
            "whether we ask peers to relay transactions to us",
        ),
        r(Num, "timeoffset", "the clock offset"),
        r(
            Num,
            "tx_send_rate",
            "the most transactions per second we aim to announce to inbound peers",
        ),
        r(ObjDyn, "inv_buckets", "").with_inner(vec![r(
            Obj,
            "inbound/outbound",
            "which side opened the connections",
        )
        .with_inner(vec![
            r(Num, "backlog", "how many transactions wait to be announced"),
            r(
                Num,
                "count_tok",
                "tokens left to spend, one per transaction",
            ),
            r(Num, "size_tok", "tokens left to spend, one per byte"),
        ])]),
        r(Num, "connections", "how many connections there are in all"),
        r(
            Num,
            "connections_in",
            "how many inbound connections there are",
        ),
        r(
            Num,
            "connections_out",
            "how many outbound connections there are",
        ),
        r(Bool, "networkactive", "whether P2P networking is on"),
        r(Arr, "networks", "one entry per network").with_inner(vec![r(Obj, "", "").with_inner(
            vec![
                r(Str, "name", "network (ipv4, ipv6, onion, i2p, cjdns)"),
                r(Bool, "limited", "whether -onlynet leaves the network out"),
                r(Bool, "reachable", "whether the network can be reached"),
                r(
                    Str,
                    "proxy",
                    "(\"host:port\") the proxy for the network, empty when there is none",
                ),
                r(
                    Bool,
                    "proxy_randomize_credentials",
                    "Whether random proxy credentials are used",
                ),
            ],
        )]),
        r(
            Num,
            "relayfee",
            "the lowest fee rate of relayed transactions, in BTC/kvB",
        ),
        r(
            Num,
            "incrementalfee",
            "the smallest fee rate step for mempool limiting or replacement, in BTC/kvB",
        ),
        r(Arr, "localaddresses", "our own addresses").with_inner(vec![r(Obj, "", "").with_inner(
            vec![
                r(Str, "address", "network address"),
                r(Num, "port", "network port"),
                r(Num, "score", "relative score"),
            ],
        )]),
        warnings,
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn peer_json_keys_follow_core() {
        let stats = NodeStats {
            id: 3,
            addr: "127.0.0.1:18444".parse().unwrap(),
            addr_bind: Some("127.0.0.1:5000".parse().unwrap()),
            addr_local: Some("0.0.0.0:0".parse().unwrap()),
            addr_name: "127.0.0.1:18444".into(),
            network: "ipv4",
            mapped_as: None,
            services: 0,
            last_send: 1,
            last_recv: 2,
            last_tx_time: 0,
            last_block_time: 0,
            bytes_sent: 10,
            bytes_recv: 20,
            bytes_sent_per_msg: [("verack".to_string(), 24u64)].into_iter().collect(),
            bytes_recv_per_msg: Default::default(),
            conn_time: 5,
            time_offset: 0,
            last_ping_us: Some(1500),
            min_ping_us: Some(1500),
            version: 70016,
            subver: "/x/".into(),
            inbound: false,
            bip152_hb_to: false,
            bip152_hb_from: false,
            permissions: vec![],
            connection_type: "manual",
            transport_protocol_type: "v2",
            session_id: String::new(),
        };
        let state = PeerStats {
            their_services: 9,
            sync_height: -1,
            common_height: -1,
            ..PeerStats::default()
        };
        let o = peer_json(&stats, &state);
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "addr",
                "addrbind",
                "network",
                "services",
                "servicesnames",
                "relaytxes",
                "last_inv_sequence",
                "inv_to_send",
                "lastsend",
                "lastrecv",
                "last_transaction",
                "last_block",
                "bytessent",
                "bytesrecv",
                "conntime",
                "timeoffset",
                "pingtime",
                "minping",
                "version",
                "subver",
                "inbound",
                "bip152_hb_to",
                "bip152_hb_from",
                "presynced_headers",
                "synced_headers",
                "synced_blocks",
                "inflight",
                "addr_relay_enabled",
                "addr_processed",
                "addr_rate_limited",
                "permissions",
                "minfeefilter",
                "bytessent_per_msg",
                "bytesrecv_per_msg",
                "connection_type",
                "transport_protocol_type",
                "session_id",
            ]
        );
        assert_eq!(o["services"], json!("0000000000000009"));
        assert_eq!(o["servicesnames"], json!(["NETWORK", "WITNESS"]));
        assert_eq!(o["pingtime"].to_string(), "0.0015");
        assert_eq!(o["minfeefilter"].to_string(), "0.00000000");
    }
}
