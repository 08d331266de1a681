//! Protocol constants as Bitcoin Core defines them (node/protocol_version.h, protocol.h,
//! net.h, serialize.h). Values are facts of the wire protocol; peers and tests depend on
//! every one of them being exactly Core's.

/// The protocol version this node speaks (Core's `PROTOCOL_VERSION`).
pub const PROTOCOL_VERSION: i32 = 70016;
/// The version assumed before the handshake finishes (Core's `INIT_PROTO_VERSION`).
pub const INIT_PROTO_VERSION: i32 = 209;
/// Peers older than this are disconnected (Core's `MIN_PEER_PROTO_VERSION`).
pub const MIN_PEER_PROTO_VERSION: i32 = 31800;
/// From this version on, `ping` carries a nonce and is answered by `pong`.
pub const BIP0031_VERSION: i32 = 60000;
/// From this version on, `sendheaders` is understood.
pub const SENDHEADERS_VERSION: i32 = 70012;
/// From this version on, `feefilter` is understood.
pub const FEEFILTER_VERSION: i32 = 70013;
/// From this version on, compact blocks (BIP152) are understood.
pub const SHORT_IDS_BLOCKS_VERSION: i32 = 70014;
/// From this version on, an invalid compact block is not a reason to ban.
pub const INVALID_CB_NO_BAN_VERSION: i32 = 70015;
/// From this version on, `wtxidrelay` is understood.
pub const WTXID_RELAY_VERSION: i32 = 70016;

/// Largest payload a peer may send in one message (Core's `MAX_PROTOCOL_MESSAGE_LENGTH`).
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;
/// Largest size any serialized vector or message may claim (Core's `MAX_SIZE`).
pub use common::ser::MAX_SIZE;
/// Longest user agent (`subver`) accepted in `version` (Core's `MAX_SUBVERSION_LENGTH`).
pub const MAX_SUBVERSION_LENGTH: usize = 256;
/// Most headers one `headers` message may carry (Core's `MAX_HEADERS_RESULTS`).
pub const MAX_HEADERS_RESULTS: u64 = 2000;
/// Most entries one `inv`/`getdata`/`notfound` may carry (Core's `MAX_INV_SZ`).
pub const MAX_INV_SZ: usize = 50_000;
/// Most addresses one `addr`/`addrv2` may carry (Core's `MAX_ADDR_TO_SEND`).
pub const MAX_ADDR_TO_SEND: usize = 1000;
/// Longest address accepted in `addrv2` (Core's `MAX_ADDRV2_SIZE`).
pub const MAX_ADDRV2_SIZE: u64 = 512;

/// Bytes in the network magic that starts every v1 message.
pub const MESSAGE_START_SIZE: usize = 4;
/// Bytes of the message type field in a v1 header (and in a v2 long encoding).
pub const MESSAGE_TYPE_SIZE: usize = 12;
/// Bytes of the payload length field in a v1 header.
pub const MESSAGE_SIZE_SIZE: usize = 4;
/// Bytes of the checksum field in a v1 header.
pub const CHECKSUM_SIZE: usize = 4;
/// Size of a v1 message header: magic, message type, length and checksum.
pub const HEADER_SIZE: usize =
    MESSAGE_START_SIZE + MESSAGE_TYPE_SIZE + MESSAGE_SIZE_SIZE + CHECKSUM_SIZE;

/// Service bit: serves the full block chain.
pub const NODE_NETWORK: u64 = 1 << 0;
/// Service bit: serves bloom-filtered connections (BIP111).
pub const NODE_BLOOM: u64 = 1 << 2;
/// Service bit: serves witness data (BIP144).
pub const NODE_WITNESS: u64 = 1 << 3;
/// Service bit: serves compact block filters (BIP157).
pub const NODE_COMPACT_FILTERS: u64 = 1 << 6;
/// Service bit: serves the last 288 blocks (BIP159).
pub const NODE_NETWORK_LIMITED: u64 = 1 << 10;
/// Service bit: speaks the v2 encrypted transport (BIP324).
pub const NODE_P2P_V2: u64 = 1 << 11;

/// Names of the message types, as they appear on the wire (Core's `NetMsgType`).
pub mod msg_type {
    /// `version`
    pub const VERSION: &str = "version";
    /// `verack`
    pub const VERACK: &str = "verack";
    /// `addr`
    pub const ADDR: &str = "addr";
    /// `addrv2` (BIP155)
    pub const ADDRV2: &str = "addrv2";
    /// `sendaddrv2` (BIP155)
    pub const SENDADDRV2: &str = "sendaddrv2";
    /// `inv`
    pub const INV: &str = "inv";
    /// `getdata`
    pub const GETDATA: &str = "getdata";
    /// `merkleblock`
    pub const MERKLEBLOCK: &str = "merkleblock";
    /// `getblocks`
    pub const GETBLOCKS: &str = "getblocks";
    /// `getheaders`
    pub const GETHEADERS: &str = "getheaders";
    /// `tx`
    pub const TX: &str = "tx";
    /// `headers`
    pub const HEADERS: &str = "headers";
    /// `block`
    pub const BLOCK: &str = "block";
    /// `getaddr`
    pub const GETADDR: &str = "getaddr";
    /// `mempool`
    pub const MEMPOOL: &str = "mempool";
    /// `ping`
    pub const PING: &str = "ping";
    /// `pong`
    pub const PONG: &str = "pong";
    /// `notfound`
    pub const NOTFOUND: &str = "notfound";
    /// `filterload` (BIP37)
    pub const FILTERLOAD: &str = "filterload";
    /// `filteradd` (BIP37)
    pub const FILTERADD: &str = "filteradd";
    /// `filterclear` (BIP37)
    pub const FILTERCLEAR: &str = "filterclear";
    /// `sendheaders` (BIP130)
    pub const SENDHEADERS: &str = "sendheaders";
    /// `feefilter` (BIP133)
    pub const FEEFILTER: &str = "feefilter";
    /// `sendcmpct` (BIP152)
    pub const SENDCMPCT: &str = "sendcmpct";
    /// `cmpctblock` (BIP152)
    pub const CMPCTBLOCK: &str = "cmpctblock";
    /// `getblocktxn` (BIP152)
    pub const GETBLOCKTXN: &str = "getblocktxn";
    /// `blocktxn` (BIP152)
    pub const BLOCKTXN: &str = "blocktxn";
    /// `getcfilters` (BIP157)
    pub const GETCFILTERS: &str = "getcfilters";
    /// `cfilter` (BIP157)
    pub const CFILTER: &str = "cfilter";
    /// `getcfheaders` (BIP157)
    pub const GETCFHEADERS: &str = "getcfheaders";
    /// `cfheaders` (BIP157)
    pub const CFHEADERS: &str = "cfheaders";
    /// `getcfcheckpt` (BIP157)
    pub const GETCFCHECKPT: &str = "getcfcheckpt";
    /// `cfcheckpt` (BIP157)
    pub const CFCHECKPT: &str = "cfcheckpt";
    /// `wtxidrelay` (BIP339)
    pub const WTXIDRELAY: &str = "wtxidrelay";
    /// `sendtxrcncl` (BIP330)
    pub const SENDTXRCNCL: &str = "sendtxrcncl";

    /// Every message type Core knows, in Core's order (`ALL_NET_MESSAGE_TYPES`); the
    /// per-type byte counters of `getpeerinfo` are keyed by these.
    pub const ALL: &[&str] = &[
        VERSION,
        VERACK,
        ADDR,
        ADDRV2,
        SENDADDRV2,
        INV,
        GETDATA,
        MERKLEBLOCK,
        GETBLOCKS,
        GETHEADERS,
        TX,
        HEADERS,
        BLOCK,
        GETADDR,
        MEMPOOL,
        PING,
        PONG,
        NOTFOUND,
        FILTERLOAD,
        FILTERADD,
        FILTERCLEAR,
        SENDHEADERS,
        FEEFILTER,
        SENDCMPCT,
        CMPCTBLOCK,
        GETBLOCKTXN,
        BLOCKTXN,
        GETCFILTERS,
        CFILTER,
        GETCFHEADERS,
        CFHEADERS,
        GETCFCHECKPT,
        CFCHECKPT,
        WTXIDRELAY,
        SENDTXRCNCL,
    ];
}

/// The name of one service bit as `getnetworkinfo`/`getpeerinfo` print it.
fn service_flag_name(bit: u32) -> String {
    match 1u64 << bit {
        NODE_NETWORK => "NETWORK".to_string(),
        NODE_BLOOM => "BLOOM".to_string(),
        NODE_WITNESS => "WITNESS".to_string(),
        NODE_COMPACT_FILTERS => "COMPACT_FILTERS".to_string(),
        NODE_NETWORK_LIMITED => "NETWORK_LIMITED".to_string(),
        NODE_P2P_V2 => "P2P_V2".to_string(),
        _ => format!("UNKNOWN[2^{bit}]"),
    }
}

/// The names of the set service bits, lowest bit first (Core's `GetServicesNames`).
pub fn service_flag_names(flags: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| flags & (1u64 << bit) != 0)
        .map(service_flag_name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_size_is_24() {
        assert_eq!(HEADER_SIZE, 24);
    }

    #[test]
    fn service_names_follow_core() {
        assert!(service_flag_names(0).is_empty());
        assert_eq!(
            service_flag_names(NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED | NODE_P2P_V2),
            ["NETWORK", "WITNESS", "NETWORK_LIMITED", "P2P_V2"]
        );
        assert_eq!(
            service_flag_names(NODE_BLOOM | NODE_COMPACT_FILTERS | (1 << 1) | (1 << 63)),
            ["UNKNOWN[2^1]", "BLOOM", "COMPACT_FILTERS", "UNKNOWN[2^63]"]
        );
    }
}
