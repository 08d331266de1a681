//! The BIP324 encrypted transport (Core's `V2Transport`), including the responder's
//! detection of v1 peers and its fallback to [`V1Transport`].
//!
//! Receiving moves through these states (responders start in `KeyMaybeV1`, initiators in
//! `Key`):
//!
//! ```text
//! KeyMaybeV1 -> Key -> GarbGarbterm -> Version -> App <-> AppReady
//!      \-> V1
//! ```
//!
//! and sending through `MaybeV1 -> AwaitingKey -> Ready`, or `MaybeV1 -> V1`.

use secp256k1::SecretKey;

use super::cipher::{
    Bip324Keys, Bip324Session, ELLSWIFT_LEN, EXPANSION, GARBAGE_TERMINATOR_LEN, LENGTH_LEN,
};
use super::v1::{malloc_usage, V1Transport};
use super::{
    BytesToSend, ReceivedMessage, RejectReason, RejectedMessage, Transport, TransportError,
    TransportInfo, TransportProtocol,
};
use crate::constants::{
    msg_type, HEADER_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH, MAX_SIZE, MESSAGE_START_SIZE,
    MESSAGE_TYPE_SIZE,
};

/// Most garbage either side may send before its terminator.
pub const MAX_GARBAGE_LEN: usize = 4095;

/// Bytes a responder needs to tell a v1 `version` header from a v2 key: the magic and the
/// zero-padded "version".
const V1_PREFIX_LEN: usize = 16;

/// Largest packet contents: a long message type encoding and the largest payload.
const MAX_CONTENTS_LEN: u32 = 1 + MESSAGE_TYPE_SIZE as u32 + {
    if MAX_SIZE < MAX_PROTOCOL_MESSAGE_LENGTH as u64 {
        MAX_SIZE as u32
    } else {
        MAX_PROTOCOL_MESSAGE_LENGTH
    }
};

/// How far beyond what has arrived the receive buffer may grow at once.
const MAX_RESERVE_AHEAD: usize = 256 * 1024;

/// The version packet's contents: empty, as BIP324 asks of senders today.
const VERSION_CONTENTS: [u8; 0] = [];

/// BIP324's one-byte message ids, in order, as far as Core implements them; id 0 means a
/// 12-byte type follows. Ids 29 to 32 are assigned by BIP324 to messages Core does not
/// implement: Core maps them to an empty message type (which is then ignored as unknown)
/// rather than rejecting them, and so do we.
pub const V2_MESSAGE_IDS: [&str; 33] = [
    "",
    msg_type::ADDR,
    msg_type::BLOCK,
    msg_type::BLOCKTXN,
    msg_type::CMPCTBLOCK,
    msg_type::FEEFILTER,
    msg_type::FILTERADD,
    msg_type::FILTERCLEAR,
    msg_type::FILTERLOAD,
    msg_type::GETBLOCKS,
    msg_type::GETBLOCKTXN,
    msg_type::GETDATA,
    msg_type::GETHEADERS,
    msg_type::HEADERS,
    msg_type::INV,
    msg_type::MEMPOOL,
    msg_type::MERKLEBLOCK,
    msg_type::NOTFOUND,
    msg_type::PING,
    msg_type::PONG,
    msg_type::SENDCMPCT,
    msg_type::TX,
    msg_type::GETCFILTERS,
    msg_type::CFILTER,
    msg_type::GETCFHEADERS,
    msg_type::CFHEADERS,
    msg_type::GETCFCHECKPT,
    msg_type::CFCHECKPT,
    msg_type::ADDRV2,
    "",
    "",
    "",
    "",
];

/// The short id we send for `command`, if it has one.
fn short_message_id(command: &str) -> Option<u8> {
    if command.is_empty() {
        return None;
    }
    V2_MESSAGE_IDS
        .iter()
        .position(|&c| c == command)
        .and_then(|i| u8::try_from(i).ok())
}

/// Splits a packet's contents into message type and payload (Core's
/// `V2Transport::GetMessageType`); `None` for contents that name no valid type.
pub fn split_message_type(contents: &[u8]) -> Option<(String, &[u8])> {
    let (&first, rest) = contents.split_first()?;
    if first != 0 {
        return V2_MESSAGE_IDS
            .get(usize::from(first))
            .map(|c| (c.to_string(), rest));
    }
    if rest.len() < MESSAGE_TYPE_SIZE {
        return None;
    }
    let field = &rest[..MESSAGE_TYPE_SIZE];
    let len = field
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(MESSAGE_TYPE_SIZE);
    // Unlike v1, Core lets 0x7f through here.
    if !field[..len].iter().all(|b| (0x20..=0x7f).contains(b)) {
        return None;
    }
    if field[len..].iter().any(|&b| b != 0) {
        return None;
    }
    let command = field[..len].iter().map(|&b| char::from(b)).collect();
    Some((command, &rest[MESSAGE_TYPE_SIZE..]))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecvState {
    KeyMaybeV1,
    Key,
    GarbGarbterm,
    Version,
    App,
    AppReady,
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SendState {
    MaybeV1,
    AwaitingKey,
    Ready,
    V1,
}

/// The v2 transport for one connection.
pub struct V2Transport {
    magic: [u8; 4],
    initiating: bool,
    keys: Bip324Keys,
    session: Option<Bip324Session>,
    v1_fallback: V1Transport,

    recv_state: RecvState,
    /// Decrypted contents length of the packet being received (Version/App states).
    recv_len: u32,
    recv_buffer: Vec<u8>,
    /// The peer's garbage, authenticated by its first packet.
    recv_aad: Vec<u8>,
    /// Contents of the last application packet, until taken.
    recv_decode_buffer: Vec<u8>,

    send_state: SendState,
    send_buffer: Vec<u8>,
    send_pos: usize,
    /// Our garbage; kept until the version packet has authenticated it.
    send_garbage: Vec<u8>,
    send_type: String,
    /// Whether 24 bytes went out: enough for a v1 peer to have disconnected us.
    sent_v1_header_worth: bool,
}

impl V2Transport {
    /// A transport with a fresh key, encoding entropy and garbage of random length from
    /// the operating system.
    pub fn new(magic: [u8; 4], initiating: bool) -> std::io::Result<Self> {
        let key = loop {
            let bytes = common::random::random_bytes::<32>()?;
            if let Ok(key) = SecretKey::from_slice(&bytes) {
                break key;
            }
        };
        let ent32 = common::random::random_bytes::<32>()?;
        let len_bytes = common::random::random_bytes::<2>()?;
        // 4096 divides 65536, so this is uniform over 0..=4095.
        let garbage_len = usize::from(u16::from_le_bytes(len_bytes)) % (MAX_GARBAGE_LEN + 1);
        let mut garbage = common::random::random_bytes::<MAX_GARBAGE_LEN>()?.to_vec();
        garbage.truncate(garbage_len);
        Ok(Self::with_keys(magic, initiating, key, ent32, garbage))
    }

    /// A transport with the given key, ElligatorSwift encoding entropy and garbage (tests;
    /// Core's test-only constructor). Garbage beyond [`MAX_GARBAGE_LEN`] is cut off.
    pub fn with_keys(
        magic: [u8; 4],
        initiating: bool,
        key: SecretKey,
        ent32: [u8; 32],
        mut garbage: Vec<u8>,
    ) -> Self {
        garbage.truncate(MAX_GARBAGE_LEN);
        let mut t = V2Transport {
            magic,
            initiating,
            keys: Bip324Keys::from_entropy(key, ent32),
            session: None,
            v1_fallback: V1Transport::new(magic),
            recv_state: if initiating {
                RecvState::Key
            } else {
                RecvState::KeyMaybeV1
            },
            recv_len: 0,
            recv_buffer: Vec::new(),
            recv_aad: Vec::new(),
            recv_decode_buffer: Vec::new(),
            send_state: if initiating {
                SendState::AwaitingKey
            } else {
                SendState::MaybeV1
            },
            send_buffer: Vec::new(),
            send_pos: 0,
            send_garbage: garbage,
            send_type: String::new(),
            sent_v1_header_worth: false,
        };
        if initiating {
            t.start_sending_handshake();
        }
        t
    }

    /// Our ElligatorSwift-encoded public key.
    pub fn our_pubkey(&self) -> &[u8; ELLSWIFT_LEN] {
        self.keys.our_pubkey()
    }

    /// True while nothing of our key has gone out yet; Core logs "start sending v2
    /// handshake" when the first of those bytes is marked sent.
    pub fn handshake_not_started(&self) -> bool {
        self.send_state == SendState::AwaitingKey && self.send_pos == 0
    }

    /// Queues our public key and garbage.
    fn start_sending_handshake(&mut self) {
        self.send_buffer.clear();
        self.send_buffer.extend_from_slice(self.keys.our_pubkey());
        self.send_buffer.extend_from_slice(&self.send_garbage);
    }

    fn process_maybe_v1(&mut self) {
        let mut prefix = [0u8; V1_PREFIX_LEN];
        prefix[..MESSAGE_START_SIZE].copy_from_slice(&self.magic);
        prefix[MESSAGE_START_SIZE..MESSAGE_START_SIZE + 7].copy_from_slice(b"version");
        if self.recv_buffer[..] != prefix[..self.recv_buffer.len()] {
            // Not a v1 version header: a v2 key is arriving; keep its bytes.
            self.recv_state = RecvState::Key;
            self.send_state = SendState::AwaitingKey;
            self.start_sending_handshake();
        } else if self.recv_buffer.len() == V1_PREFIX_LEN {
            let mut feed = &self.recv_buffer[..];
            // Fewer than 24 bytes never fail a v1 transport.
            let _ = self.v1_fallback.received_bytes(&mut feed);
            self.recv_state = RecvState::V1;
            self.send_state = SendState::V1;
            self.recv_buffer = Vec::new();
            self.send_buffer = Vec::new();
        }
    }

    fn process_key(&mut self) -> Result<(), TransportError> {
        const MATCH: &[u8; 12] = b"version\0\0\0\0\0";
        let after_magic = MESSAGE_START_SIZE + MATCH.len();
        if !self.initiating
            && self.recv_buffer.len() >= after_magic
            && &self.recv_buffer[MESSAGE_START_SIZE..after_magic] == MATCH
        {
            let mut received = [0u8; 4];
            received.copy_from_slice(&self.recv_buffer[..MESSAGE_START_SIZE]);
            return Err(TransportError::V1PeerWrongMessageStart { received });
        }
        if self.recv_buffer.len() < ELLSWIFT_LEN {
            return Ok(());
        }
        let mut theirs = [0u8; ELLSWIFT_LEN];
        theirs.copy_from_slice(&self.recv_buffer[..ELLSWIFT_LEN]);
        let mut session = self
            .keys
            .initialize(&theirs, self.initiating, false, self.magic);
        self.recv_state = RecvState::GarbGarbterm;
        self.recv_buffer.clear();
        self.send_state = SendState::Ready;
        self.send_buffer
            .extend_from_slice(session.send_garbage_terminator());
        let garbage = std::mem::take(&mut self.send_garbage);
        session.encrypt(&VERSION_CONTENTS, &garbage, false, &mut self.send_buffer);
        self.session = Some(session);
        Ok(())
    }

    fn process_garbage(&mut self) -> Result<(), TransportError> {
        let Some(session) = &self.session else {
            return Ok(());
        };
        let len = self.recv_buffer.len();
        if len < GARBAGE_TERMINATOR_LEN {
            return Ok(());
        }
        if self.recv_buffer[len - GARBAGE_TERMINATOR_LEN..] == session.recv_garbage_terminator()[..]
        {
            let mut aad = std::mem::take(&mut self.recv_buffer);
            aad.truncate(len - GARBAGE_TERMINATOR_LEN);
            self.recv_aad = aad;
            self.recv_state = RecvState::Version;
        } else if len == MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN {
            return Err(TransportError::MissingGarbageTerminator);
        }
        Ok(())
    }

    fn process_packet(&mut self) -> Result<(), TransportError> {
        let Some(session) = &mut self.session else {
            return Ok(());
        };
        if self.recv_buffer.len() == LENGTH_LEN {
            let mut len = [0u8; LENGTH_LEN];
            len.copy_from_slice(&self.recv_buffer);
            self.recv_len = session.decrypt_length(&len);
            if self.recv_len > MAX_CONTENTS_LEN {
                return Err(TransportError::PacketTooLarge { len: self.recv_len });
            }
        } else if self.recv_buffer.len() > LENGTH_LEN
            && self.recv_buffer.len() == self.recv_len as usize + EXPANSION
        {
            let Some((contents, ignore)) =
                session.decrypt(&self.recv_buffer[LENGTH_LEN..], &self.recv_aad)
            else {
                return Err(TransportError::DecryptionFailure { len: self.recv_len });
            };
            // The garbage is authenticated by the first packet, decoy or not.
            self.recv_aad = Vec::new();
            if !ignore {
                match self.recv_state {
                    // The version packet's contents are reserved for future extensions.
                    RecvState::Version => self.recv_state = RecvState::App,
                    RecvState::App => {
                        self.recv_state = RecvState::AppReady;
                        self.recv_decode_buffer = contents;
                    }
                    _ => {}
                }
            }
            self.recv_buffer = Vec::new();
        }
        Ok(())
    }

    /// How many more bytes the current state may take into the receive buffer.
    fn max_bytes_to_process(&self) -> usize {
        match self.recv_state {
            RecvState::KeyMaybeV1 => V1_PREFIX_LEN - self.recv_buffer.len(),
            RecvState::Key => ELLSWIFT_LEN - self.recv_buffer.len(),
            // One at a time: the terminator may end anywhere.
            RecvState::GarbGarbterm => 1,
            RecvState::Version | RecvState::App => {
                if self.recv_buffer.len() < LENGTH_LEN {
                    LENGTH_LEN - self.recv_buffer.len()
                } else {
                    EXPANSION + self.recv_len as usize - self.recv_buffer.len()
                }
            }
            RecvState::AppReady | RecvState::V1 => 0,
        }
    }
}

impl Transport for V2Transport {
    fn received_bytes(&mut self, bytes: &mut &[u8]) -> Result<(), TransportError> {
        if self.recv_state == RecvState::V1 {
            return self.v1_fallback.received_bytes(bytes);
        }
        while !bytes.is_empty() {
            let max_read = self.max_bytes_to_process();
            if max_read == 0 {
                return Ok(());
            }
            let n = max_read.min(bytes.len());
            if self.recv_buffer.len() + n > self.recv_buffer.capacity() {
                match self.recv_state {
                    RecvState::KeyMaybeV1 | RecvState::Key | RecvState::GarbGarbterm => self
                        .recv_buffer
                        .reserve(MAX_GARBAGE_LEN + GARBAGE_TERMINATOR_LEN),
                    _ => {
                        // Never more than what was announced, nor far more than arrived.
                        let add = max_read.min(bytes.len() + MAX_RESERVE_AHEAD);
                        self.recv_buffer.reserve(add);
                    }
                }
            }
            self.recv_buffer.extend_from_slice(&bytes[..n]);
            *bytes = &bytes[n..];
            match self.recv_state {
                RecvState::KeyMaybeV1 => {
                    self.process_maybe_v1();
                    if self.recv_state == RecvState::V1 {
                        return Ok(());
                    }
                }
                RecvState::Key => self.process_key()?,
                RecvState::GarbGarbterm => self.process_garbage()?,
                RecvState::Version | RecvState::App => self.process_packet()?,
                RecvState::AppReady | RecvState::V1 => return Ok(()),
            }
        }
        Ok(())
    }

    fn received_message_complete(&self) -> bool {
        match self.recv_state {
            RecvState::V1 => self.v1_fallback.received_message_complete(),
            state => state == RecvState::AppReady,
        }
    }

    fn get_received_message(&mut self) -> Result<ReceivedMessage, RejectedMessage> {
        if self.recv_state == RecvState::V1 {
            return self.v1_fallback.get_received_message();
        }
        let contents = std::mem::take(&mut self.recv_decode_buffer);
        if self.recv_state == RecvState::AppReady {
            self.recv_state = RecvState::App;
        }
        let raw_size = contents.len() + EXPANSION;
        match split_message_type(&contents) {
            Some((command, payload)) => Ok(ReceivedMessage {
                command,
                payload: payload.to_vec(),
                raw_size,
            }),
            None => Err(RejectedMessage {
                reason: RejectReason::V2InvalidMessageType {
                    contents_len: contents.len(),
                },
                raw_size,
            }),
        }
    }

    fn set_message_to_send(&mut self, command: &str, payload: Vec<u8>) -> bool {
        if self.send_state == SendState::V1 {
            return self.v1_fallback.set_message_to_send(command, payload);
        }
        if self.send_state != SendState::Ready || !self.send_buffer.is_empty() {
            return false;
        }
        let Some(session) = &mut self.session else {
            return false;
        };
        let mut contents;
        match short_message_id(command) {
            Some(id) => {
                contents = Vec::with_capacity(1 + payload.len());
                contents.push(id);
            }
            None => {
                contents = Vec::with_capacity(1 + MESSAGE_TYPE_SIZE + payload.len());
                contents.push(0);
                let mut field = [0u8; MESSAGE_TYPE_SIZE];
                let cmd = command.as_bytes();
                let n = cmd.len().min(MESSAGE_TYPE_SIZE);
                field[..n].copy_from_slice(&cmd[..n]);
                contents.extend_from_slice(&field);
            }
        }
        contents.extend_from_slice(&payload);
        self.send_buffer.reserve_exact(contents.len() + EXPANSION);
        session.encrypt(&contents, &[], false, &mut self.send_buffer);
        self.send_type = command.to_string();
        true
    }

    fn bytes_to_send(&self, have_next_message: bool) -> BytesToSend<'_> {
        if self.send_state == SendState::V1 {
            return self.v1_fallback.bytes_to_send(have_next_message);
        }
        BytesToSend {
            bytes: self.send_buffer.get(self.send_pos..).unwrap_or_default(),
            more: have_next_message && self.send_state == SendState::Ready,
            command: &self.send_type,
        }
    }

    fn mark_bytes_sent(&mut self, n: usize) {
        if self.send_state == SendState::V1 {
            return self.v1_fallback.mark_bytes_sent(n);
        }
        self.send_pos = (self.send_pos + n).min(self.send_buffer.len());
        if self.send_pos >= HEADER_SIZE {
            self.sent_v1_header_worth = true;
        }
        if self.send_pos == self.send_buffer.len() {
            self.send_pos = 0;
            self.send_buffer = Vec::new();
        }
    }

    fn send_memory_usage(&self) -> usize {
        if self.send_state == SendState::V1 {
            return self.v1_fallback.send_memory_usage();
        }
        std::mem::size_of::<Vec<u8>>() + malloc_usage(self.send_buffer.capacity())
    }

    fn v2_handshake_not_started(&self) -> bool {
        self.handshake_not_started()
    }

    fn should_reconnect_v1(&self) -> bool {
        // Only an initiator that has received nothing at all, but sent enough that a v1
        // peer would have hung up, retries with v1.
        self.initiating
            && self.recv_state == RecvState::Key
            && self.recv_buffer.is_empty()
            && self.sent_v1_header_worth
    }

    fn info(&self) -> TransportInfo {
        match self.recv_state {
            RecvState::V1 => self.v1_fallback.info(),
            RecvState::App | RecvState::AppReady => TransportInfo {
                protocol: TransportProtocol::V2,
                session_id: self.session.as_ref().map(|s| *s.session_id()),
            },
            _ => TransportInfo {
                protocol: TransportProtocol::Detecting,
                session_id: None,
            },
        }
    }
}

#[cfg(test)]
#[path = "v2_tests.rs"]
mod tests;
