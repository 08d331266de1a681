//! Message payloads: typed decoding by message type and encoding back to bytes, with the
//! `bitcoin` crate's types.
//!
//! Decoding follows how Core's `ProcessMessage` reads each message, where that differs from
//! the `bitcoin` crate's strict decoders:
//! - bytes after the fields Core reads are ignored;
//! - `version` fields after the receiver address are optional (a missing relay flag means
//!   true) and the user agent is limited to 256 bytes;
//! - `headers` rejects a count above 2000 before reading (the caller punishes the peer),
//!   and ignores each header's transaction count;
//! - `addrv2` skips addresses of unknown networks (and TORv2), and limits every address
//!   to 512 bytes;
//! - transactions (in `tx` and `block`) follow `UnserializeTransaction`: an empty input
//!   vector followed by a zero byte is a transaction without inputs or outputs;
//! - `reject` and `alert` are unknown messages, as Core no longer knows them;
//! - vectors never reserve more than the remaining payload could hold.
//!
//! A few limits Core applies after reading (inventory, address and locator counts,
//! `filteradd` and `filterload` sizes) are the caller's, because Core punishes the peer
//! for them rather than dropping the message.

mod reader;
mod tx;

use bitcoin::consensus::encode::serialize;
use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message::{CommandString, NetworkMessage};
use bitcoin::p2p::message_blockdata::{GetBlocksMessage, GetHeadersMessage, Inventory};
use bitcoin::p2p::message_bloom::{BloomFlags, FilterAdd, FilterLoad};
use bitcoin::p2p::message_compact_blocks::SendCmpct;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::BlockHash;

use crate::constants::{msg_type, MAX_ADDRV2_SIZE, MAX_HEADERS_RESULTS, MAX_SUBVERSION_LENGTH};
pub use reader::DecodeError;
use reader::Reader;

/// Decodes the payload of a `command` message. Unknown message types (including the empty
/// type of BIP324's unimplemented short ids) give [`NetworkMessage::Unknown`].
pub fn decode(command: &str, payload: &[u8]) -> Result<NetworkMessage, DecodeError> {
    let mut r = Reader::new(payload);
    let r = &mut r;
    Ok(match command {
        msg_type::VERSION => NetworkMessage::Version(decode_version(payload)?),
        msg_type::VERACK => NetworkMessage::Verack,
        msg_type::ADDR => NetworkMessage::Addr(r.vec(30, |r| {
            let time = r.u32()?;
            Ok((time, r.decode::<Address>()?))
        })?),
        msg_type::ADDRV2 => NetworkMessage::AddrV2(r.vec(9, read_addrv2_message)?),
        msg_type::SENDADDRV2 => NetworkMessage::SendAddrV2,
        msg_type::INV => NetworkMessage::Inv(read_inventory(r)?),
        msg_type::GETDATA => NetworkMessage::GetData(read_inventory(r)?),
        msg_type::NOTFOUND => NetworkMessage::NotFound(read_inventory(r)?),
        msg_type::GETBLOCKS => {
            let (version, locator_hashes, stop_hash) = read_locator(r)?;
            NetworkMessage::GetBlocks(GetBlocksMessage {
                version,
                locator_hashes,
                stop_hash,
            })
        }
        msg_type::GETHEADERS => {
            let (version, locator_hashes, stop_hash) = read_locator(r)?;
            NetworkMessage::GetHeaders(GetHeadersMessage {
                version,
                locator_hashes,
                stop_hash,
            })
        }
        msg_type::MEMPOOL => NetworkMessage::MemPool,
        msg_type::TX => NetworkMessage::Tx(tx::read_transaction(r)?),
        msg_type::BLOCK => NetworkMessage::Block(tx::read_block(r)?),
        msg_type::HEADERS => NetworkMessage::Headers(read_headers(r)?),
        msg_type::SENDHEADERS => NetworkMessage::SendHeaders,
        msg_type::GETADDR => NetworkMessage::GetAddr,
        msg_type::PING => NetworkMessage::Ping(r.u64()?),
        // Core answers a pong shorter than 8 bytes with its own "Short payload" log
        // rather than an exception; the caller sees `EndOfData` and can tell.
        msg_type::PONG => NetworkMessage::Pong(r.u64()?),
        msg_type::MERKLEBLOCK => NetworkMessage::MerkleBlock(r.decode()?),
        msg_type::FILTERLOAD => NetworkMessage::FilterLoad(read_filterload(r)?),
        msg_type::FILTERADD => NetworkMessage::FilterAdd(FilterAdd {
            data: r.var_bytes()?,
        }),
        msg_type::FILTERCLEAR => NetworkMessage::FilterClear,
        msg_type::GETCFILTERS => NetworkMessage::GetCFilters(r.decode()?),
        msg_type::CFILTER => NetworkMessage::CFilter(r.decode()?),
        msg_type::GETCFHEADERS => NetworkMessage::GetCFHeaders(r.decode()?),
        msg_type::CFHEADERS => NetworkMessage::CFHeaders(r.decode()?),
        msg_type::GETCFCHECKPT => NetworkMessage::GetCFCheckpt(r.decode()?),
        msg_type::CFCHECKPT => NetworkMessage::CFCheckpt(r.decode()?),
        msg_type::SENDCMPCT => {
            let send_compact = r.bool()?;
            let version = r.u64()?;
            NetworkMessage::SendCmpct(SendCmpct {
                send_compact,
                version,
            })
        }
        msg_type::CMPCTBLOCK => NetworkMessage::CmpctBlock(r.decode()?),
        msg_type::GETBLOCKTXN => NetworkMessage::GetBlockTxn(r.decode()?),
        msg_type::BLOCKTXN => NetworkMessage::BlockTxn(r.decode()?),
        msg_type::FEEFILTER => NetworkMessage::FeeFilter(r.i64()?),
        msg_type::WTXIDRELAY => NetworkMessage::WtxidRelay,
        _ => NetworkMessage::Unknown {
            command: CommandString::try_from(command).map_err(|_| DecodeError::CommandTooLong)?,
            payload: payload.to_vec(),
        },
    })
}

/// Encodes a message: its type and payload.
pub fn encode(msg: &NetworkMessage) -> (String, Vec<u8>) {
    let command = msg.command().to_string();
    let payload = match msg {
        // The `bitcoin` crate would prefix an unknown payload with its length.
        NetworkMessage::Unknown { payload, .. } => payload.clone(),
        other => serialize(other),
    };
    (command, payload)
}

/// Decodes a `version` payload as Core reads it: version, services, time and the receiver
/// address are required; sender address with nonce, user agent, start height and relay
/// flag each only if bytes remain. Absent fields take Core's defaults (nonce 1, empty user
/// agent, height -1, relay true); bytes after the relay flag are ignored. The user agent
/// is not sanitized here; if it is not UTF-8, its bytes outside ASCII are dropped (Core's
/// sanitizing would drop them anyway).
pub fn decode_version(payload: &[u8]) -> Result<VersionMessage, DecodeError> {
    let mut r = Reader::new(payload);
    let version = r.i32()?;
    let services = r.u64()?;
    let timestamp = r.i64()?;
    let receiver = r.decode::<Address>()?;
    let mut msg = VersionMessage {
        version: version as u32,
        services: ServiceFlags::from(services),
        timestamp,
        receiver,
        sender: Address {
            services: ServiceFlags::NONE,
            address: [0; 8],
            port: 0,
        },
        nonce: 1,
        user_agent: String::new(),
        start_height: -1,
        relay: true,
    };
    read_version_tail(&mut r, &mut msg).map_err(|e| DecodeError::VersionTail {
        version,
        services,
        error: Box::new(e),
    })?;
    Ok(msg)
}

fn read_version_tail(r: &mut Reader<'_>, msg: &mut VersionMessage) -> Result<(), DecodeError> {
    if !r.is_empty() {
        msg.sender = r.decode::<Address>()?;
        msg.nonce = r.u64()?;
    }
    if !r.is_empty() {
        let len = r.compact_size(true)?;
        if len > MAX_SUBVERSION_LENGTH as u64 {
            return Err(DecodeError::StringTooLong {
                len,
                max: MAX_SUBVERSION_LENGTH,
            });
        }
        let raw = r.bytes(len as usize)?.to_vec();
        // Core keeps only printable ASCII of it (SanitizeString), so dropping the bytes
        // that are not ASCII from a string that is not UTF-8 loses nothing Core shows.
        msg.user_agent = String::from_utf8(raw).unwrap_or_else(|e| {
            e.into_bytes()
                .into_iter()
                .filter(u8::is_ascii)
                .map(char::from)
                .collect()
        });
    }
    if !r.is_empty() {
        msg.start_height = r.i32()?;
    }
    if !r.is_empty() {
        msg.relay = r.bool()?;
    }
    Ok(())
}

fn read_inventory(r: &mut Reader<'_>) -> Result<Vec<Inventory>, DecodeError> {
    r.vec(36, |r| {
        let inv_type = r.u32()?;
        let hash = r.array::<32>()?;
        // Type 0 would become `Inventory::Error`, which drops the hash; keep the entry
        // as it came, as Core does (it ignores the type either way).
        if inv_type == 0 {
            return Ok(Inventory::Unknown { inv_type, hash });
        }
        let mut entry = inv_type.to_le_bytes().to_vec();
        entry.extend_from_slice(&hash);
        Reader::new(&entry).decode::<Inventory>()
    })
}

fn read_locator(r: &mut Reader<'_>) -> Result<(u32, Vec<BlockHash>, BlockHash), DecodeError> {
    let version = r.u32()?;
    let hashes = r.vec(32, |r| r.decode::<BlockHash>())?;
    let stop = r.decode::<BlockHash>()?;
    Ok((version, hashes, stop))
}

fn read_headers(r: &mut Reader<'_>) -> Result<Vec<bitcoin::block::Header>, DecodeError> {
    let count = r.compact_size(true)?;
    if count > MAX_HEADERS_RESULTS {
        return Err(DecodeError::TooManyHeaders { count });
    }
    // Each entry is an 80-byte header and a transaction count Core reads and ignores.
    r.counted(count, 81, &mut |r| {
        let header = r.decode::<bitcoin::block::Header>()?;
        r.compact_size(true)?;
        Ok(header)
    })
}

fn read_filterload(r: &mut Reader<'_>) -> Result<FilterLoad, DecodeError> {
    let filter = r.var_bytes()?;
    let hash_funcs = r.u32()?;
    let tweak = r.u32()?;
    // Core keeps the whole byte but only ever looks at its low two bits, where 3 acts
    // as "none"; the typed flags keep that meaning.
    let flags = match r.u8()? & 3 {
        1 => BloomFlags::All,
        2 => BloomFlags::PubkeyOnly,
        _ => BloomFlags::None,
    };
    Ok(FilterLoad {
        filter,
        hash_funcs,
        tweak,
        flags,
    })
}

/// BIP155 network ids, sizes and Core's names for them.
const BIP155_IPV4: (u8, usize, &str) = (1, 4, "IPv4");
const BIP155_IPV6: (u8, usize, &str) = (2, 16, "IPv6");
const BIP155_TORV3: (u8, usize, &str) = (4, 32, "TORv3");
const BIP155_I2P: (u8, usize, &str) = (5, 32, "I2P");
const BIP155_CJDNS: (u8, usize, &str) = (6, 16, "CJDNS");

fn read_addrv2_message(r: &mut Reader<'_>) -> Result<AddrV2Message, DecodeError> {
    let time = r.u32()?;
    // Services are a CompactSize without Core's range check.
    let services = ServiceFlags::from(r.compact_size(false)?);
    let addr = read_addrv2(r)?;
    let port = r.u16_be()?;
    Ok(AddrV2Message {
        time,
        services,
        addr,
        port,
    })
}

/// Core's `CNetAddr::UnserializeV2Stream`. Addresses Core reads as invalid (unknown
/// networks, TORv2, IPv4 or TORv2 embedded in IPv6) come back as
/// [`AddrV2::Unknown`] with their network id and bytes, which no caller treats as valid.
fn read_addrv2(r: &mut Reader<'_>) -> Result<AddrV2, DecodeError> {
    let net = r.u8()?;
    let len = r.compact_size(true)?;
    if len > MAX_ADDRV2_SIZE {
        return Err(DecodeError::AddressTooLong { len });
    }
    let known = [
        BIP155_IPV4,
        BIP155_IPV6,
        BIP155_TORV3,
        BIP155_I2P,
        BIP155_CJDNS,
    ];
    let Some(&(_, size, name)) = known.iter().find(|(id, _, _)| *id == net) else {
        return Ok(AddrV2::Unknown(net, r.bytes(len as usize)?.to_vec()));
    };
    if len != size as u64 {
        return Err(DecodeError::AddressLength {
            network: name,
            len,
            expected: size,
        });
    }
    let bytes = r.bytes(size)?;
    let mut a16 = [0u8; 16];
    let mut a32 = [0u8; 32];
    Ok(match net {
        1 => AddrV2::Ipv4(std::net::Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        )),
        2 => {
            a16.copy_from_slice(bytes);
            const IPV4_IN_IPV6: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
            const TORV2_IN_IPV6: [u8; 6] = [0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43];
            if a16.starts_with(&IPV4_IN_IPV6) || a16.starts_with(&TORV2_IN_IPV6) {
                AddrV2::Unknown(net, a16.to_vec())
            } else {
                AddrV2::Ipv6(std::net::Ipv6Addr::from(a16))
            }
        }
        4 => {
            a32.copy_from_slice(bytes);
            AddrV2::TorV3(a32)
        }
        5 => {
            a32.copy_from_slice(bytes);
            AddrV2::I2p(a32)
        }
        _ => {
            a16.copy_from_slice(bytes);
            AddrV2::Cjdns(std::net::Ipv6Addr::from(a16))
        }
    })
}

#[cfg(test)]
mod tests;
