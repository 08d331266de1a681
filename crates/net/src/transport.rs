//! The transport interface the connection manager drives (Core's `Transport`).
//!
//! Stand-in until crate `p2p` (branch `net-p2p`) lands: the trait and types mirror
//! `p2p::transport` as agreed, and [`V1Transport`] is a minimal v1 framing so the
//! connection manager can be tested on its own. Once `p2p` is merged this module becomes
//! a re-export of `p2p::transport` and the v1 code here goes away.

use bitcoin::hashes::{sha256d, Hash};

/// Max payload of one message (`MAX_PROTOCOL_MESSAGE_LENGTH`).
pub const MAX_PROTOCOL_MESSAGE_LENGTH: usize = 4_000_000;

/// A complete message as the transport delivered it.
#[derive(Clone, Debug)]
pub struct ReceivedMessage {
    /// The command name.
    pub command: String,
    /// The payload.
    pub payload: Vec<u8>,
    /// Bytes on the wire, framing included.
    pub raw_size: usize,
}

/// The transport saw bytes that end the connection; `Display` is the log text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message that was framed correctly but must be dropped (bad checksum, bad type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedMessage {
    /// Bytes on the wire, framing included, so they can be counted as `*other*`.
    pub raw_size: usize,
}

impl std::fmt::Display for RejectedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Header error: message rejected ({} bytes)", self.raw_size)
    }
}

/// Which protocol a connection speaks (`TransportProtocolType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportProtocol {
    /// A v2 responder that has not yet seen whether the peer speaks v1 or v2.
    Detecting,
    /// The v1 (plaintext) protocol.
    V1,
    /// The v2 (BIP324) protocol.
    V2,
}

impl TransportProtocol {
    /// The name `getpeerinfo` shows (`TransportTypeAsString`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportProtocol::Detecting => "detecting",
            TransportProtocol::V1 => "v1",
            TransportProtocol::V2 => "v2",
        }
    }
}

/// What `getpeerinfo` shows about a transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportInfo {
    /// The protocol spoken.
    pub protocol: TransportProtocol,
    /// The v2 session id, once known.
    pub session_id: Option<[u8; 32]>,
}

/// Bytes a transport wants sent next.
#[derive(Debug)]
pub struct BytesToSend<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Whether more bytes follow once these are sent.
    pub more: bool,
    /// The command the bytes belong to ("" for handshake bytes).
    pub command: &'a str,
}

/// One side of a connection's wire protocol, I/O-free.
pub trait Transport: Send {
    /// Feeds received bytes, consuming what it used; `Err` means disconnect.
    fn received_bytes(&mut self, bytes: &mut &[u8]) -> Result<(), TransportError>;
    /// Whether a complete message waits.
    fn received_message_complete(&self) -> bool;
    /// Takes the complete message; `Err` means drop it but keep the peer.
    fn get_received_message(&mut self) -> Result<ReceivedMessage, RejectedMessage>;
    /// Hands over the next message to send; false when the transport cannot take one now.
    fn set_message_to_send(&mut self, command: &str, payload: Vec<u8>) -> bool;
    /// What to send next.
    fn bytes_to_send(&self, have_next_message: bool) -> BytesToSend<'_>;
    /// `n` bytes of the last [`Transport::bytes_to_send`] went out.
    fn mark_bytes_sent(&mut self, n: usize);
    /// Memory held by the message being sent.
    fn send_memory_usage(&self) -> usize;
    /// Whether a failed outbound v2 attempt should be retried with v1.
    fn should_reconnect_v1(&self) -> bool;
    /// Protocol and session id.
    fn info(&self) -> TransportInfo;
}

const HEADER_LEN: usize = 24;

/// Minimal v1 framing (`V1Transport`): magic, 12-byte command, length, checksum.
pub struct V1Transport {
    magic: [u8; 4],
    recv_header: Vec<u8>,
    recv_payload: Vec<u8>,
    recv_len: Option<usize>,
    complete: bool,
    send_buf: Vec<u8>,
    send_command: String,
    send_pos: usize,
}

impl V1Transport {
    /// A v1 transport for the network with message start `magic`.
    pub fn new(magic: [u8; 4]) -> V1Transport {
        V1Transport {
            magic,
            recv_header: Vec::with_capacity(HEADER_LEN),
            recv_payload: Vec::new(),
            recv_len: None,
            complete: false,
            send_buf: Vec::new(),
            send_command: String::new(),
            send_pos: 0,
        }
    }
}

impl Transport for V1Transport {
    fn received_bytes(&mut self, bytes: &mut &[u8]) -> Result<(), TransportError> {
        if self.complete {
            return Ok(());
        }
        match self.recv_len {
            None => {
                let take = (HEADER_LEN - self.recv_header.len()).min(bytes.len());
                self.recv_header.extend_from_slice(&bytes[..take]);
                *bytes = &bytes[take..];
                if self.recv_header.len() == HEADER_LEN {
                    if self.recv_header[..4] != self.magic {
                        return Err(TransportError(format!("Header error: Wrong MessageStart {:02x?} received", &self.recv_header[..4])));
                    }
                    let mut len = [0u8; 4];
                    len.copy_from_slice(&self.recv_header[16..20]);
                    let len = u32::from_le_bytes(len) as usize;
                    if len > MAX_PROTOCOL_MESSAGE_LENGTH {
                        return Err(TransportError(format!("Header error: Size too large ({len} bytes)")));
                    }
                    self.recv_len = Some(len);
                    self.complete = len == 0;
                }
            }
            Some(len) => {
                let take = (len - self.recv_payload.len()).min(bytes.len());
                self.recv_payload.extend_from_slice(&bytes[..take]);
                *bytes = &bytes[take..];
                self.complete = self.recv_payload.len() == len;
            }
        }
        Ok(())
    }

    fn received_message_complete(&self) -> bool {
        self.complete
    }

    fn get_received_message(&mut self) -> Result<ReceivedMessage, RejectedMessage> {
        let header = std::mem::take(&mut self.recv_header);
        let payload = std::mem::take(&mut self.recv_payload);
        self.recv_len = None;
        self.complete = false;
        let raw_size = HEADER_LEN + payload.len();
        let checksum = sha256d::Hash::hash(&payload);
        if header.len() < HEADER_LEN || checksum.as_byte_array()[..4] != header[20..24] {
            return Err(RejectedMessage { raw_size });
        }
        let cmd = &header[4..16];
        let end = cmd.iter().position(|&b| b == 0).unwrap_or(12);
        if cmd[end..].iter().any(|&b| b != 0)
            || !cmd[..end].iter().all(|b| (b' '..=b'~').contains(b))
        {
            return Err(RejectedMessage { raw_size });
        }
        let command = String::from_utf8_lossy(&cmd[..end]).into_owned();
        Ok(ReceivedMessage {
            command,
            payload,
            raw_size,
        })
    }

    fn set_message_to_send(&mut self, command: &str, payload: Vec<u8>) -> bool {
        if self.send_pos < self.send_buf.len() || command.len() > 12 {
            return false;
        }
        let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
        buf.extend_from_slice(&self.magic);
        let mut cmd = [0u8; 12];
        cmd[..command.len()].copy_from_slice(command.as_bytes());
        buf.extend_from_slice(&cmd);
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&sha256d::Hash::hash(&payload).as_byte_array()[..4]);
        buf.extend_from_slice(&payload);
        self.send_buf = buf;
        self.send_pos = 0;
        self.send_command = command.to_string();
        true
    }

    fn bytes_to_send(&self, have_next_message: bool) -> BytesToSend<'_> {
        if self.send_pos < self.send_buf.len() {
            BytesToSend {
                bytes: &self.send_buf[self.send_pos..],
                more: have_next_message,
                command: &self.send_command,
            }
        } else {
            BytesToSend {
                bytes: &[],
                more: have_next_message,
                command: "",
            }
        }
    }

    fn mark_bytes_sent(&mut self, n: usize) {
        self.send_pos = (self.send_pos + n).min(self.send_buf.len());
        if self.send_pos == self.send_buf.len() {
            self.send_buf = Vec::new();
            self.send_pos = 0;
        }
    }

    fn send_memory_usage(&self) -> usize {
        self.send_buf.capacity()
    }

    fn should_reconnect_v1(&self) -> bool {
        false
    }

    fn info(&self) -> TransportInfo {
        TransportInfo {
            protocol: TransportProtocol::V1,
            session_id: None,
        }
    }
}
