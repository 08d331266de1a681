//! The unencrypted v1 transport (Core's `V1Transport`): a 24-byte header of network magic,
//! message type, payload length and checksum, then the payload.

use bitcoin::hashes::{sha256, sha256d, Hash, HashEngine};

use super::{
    sanitize_string, BytesToSend, ReceivedMessage, RejectReason, RejectedMessage, Transport,
    TransportError, TransportInfo, TransportProtocol,
};
use crate::constants::{
    CHECKSUM_SIZE, HEADER_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH, MAX_SIZE, MESSAGE_TYPE_SIZE,
};

/// How far beyond what has arrived the payload buffer may grow at once, so that a peer
/// announcing a large message without sending it cannot make us allocate it.
const MAX_RESERVE_AHEAD: usize = 256 * 1024;

/// The fields of a received v1 header.
#[derive(Debug, Clone, Copy, Default)]
struct Header {
    command: [u8; MESSAGE_TYPE_SIZE],
    size: u32,
    checksum: [u8; CHECKSUM_SIZE],
}

impl Header {
    /// The message type up to its first zero byte, as Core's `GetMessageType`.
    fn command_bytes(&self) -> &[u8] {
        let end = self
            .command
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MESSAGE_TYPE_SIZE);
        &self.command[..end]
    }
}

/// Core's `CMessageHeader::IsMessageTypeValid`: printable ASCII up to the first zero, only
/// zeros after it.
pub fn is_message_type_valid(command: &[u8; MESSAGE_TYPE_SIZE]) -> bool {
    match command.iter().position(|&b| b == 0) {
        Some(end) => {
            command[..end].iter().all(|b| (0x20..=0x7e).contains(b))
                && command[end..].iter().all(|&b| b == 0)
        }
        None => command.iter().all(|b| (0x20..=0x7e).contains(b)),
    }
}

/// Serializes a v1 header for `payload` (magic, zero-padded type, length, checksum).
pub fn serialize_header(magic: [u8; 4], command: &str, payload: &[u8]) -> [u8; HEADER_SIZE] {
    let mut header = [0u8; HEADER_SIZE];
    header[..4].copy_from_slice(&magic);
    let cmd = command.as_bytes();
    let n = cmd.len().min(MESSAGE_TYPE_SIZE);
    header[4..4 + n].copy_from_slice(&cmd[..n]);
    // Payloads are bounded far below 4 GiB by the caller; saturate rather than wrap.
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    header[16..20].copy_from_slice(&len.to_le_bytes());
    let hash = sha256d::Hash::hash(payload);
    header[20..24].copy_from_slice(&hash.as_byte_array()[..CHECKSUM_SIZE]);
    header
}

/// The v1 transport for one connection.
pub struct V1Transport {
    magic: [u8; 4],
    // Receive side.
    header_buf: [u8; HEADER_SIZE],
    header_pos: usize,
    in_data: bool,
    header: Header,
    payload: Vec<u8>,
    hasher: sha256::HashEngine,
    // Send side.
    header_to_send: Vec<u8>,
    payload_to_send: Vec<u8>,
    command_to_send: String,
    sending_header: bool,
    bytes_sent: usize,
}

impl V1Transport {
    /// A transport for a network with message start `magic`.
    pub fn new(magic: [u8; 4]) -> Self {
        V1Transport {
            magic,
            header_buf: [0; HEADER_SIZE],
            header_pos: 0,
            in_data: false,
            header: Header::default(),
            payload: Vec::new(),
            hasher: sha256d::Hash::engine(),
            header_to_send: Vec::new(),
            payload_to_send: Vec::new(),
            command_to_send: String::new(),
            sending_header: false,
            bytes_sent: 0,
        }
    }

    fn reset_receive(&mut self) {
        self.header_pos = 0;
        self.in_data = false;
        self.header = Header::default();
        self.payload = Vec::new();
        self.hasher = sha256d::Hash::engine();
    }

    fn complete(&self) -> bool {
        self.in_data && self.payload.len() == self.header.size as usize
    }

    /// Takes header bytes; parses and checks the header once all 24 are in.
    fn read_header(&mut self, bytes: &[u8]) -> Result<usize, TransportError> {
        let n = (HEADER_SIZE - self.header_pos).min(bytes.len());
        self.header_buf[self.header_pos..self.header_pos + n].copy_from_slice(&bytes[..n]);
        self.header_pos += n;
        if self.header_pos < HEADER_SIZE {
            return Ok(n);
        }
        let buf = &self.header_buf;
        let mut magic = [0u8; 4];
        magic.copy_from_slice(&buf[..4]);
        let mut header = Header::default();
        header.command.copy_from_slice(&buf[4..16]);
        header.size = u32::from_le_bytes([buf[16], buf[17], buf[18], buf[19]]);
        header.checksum.copy_from_slice(&buf[20..24]);

        if magic != self.magic {
            return Err(TransportError::WrongMessageStart { received: magic });
        }
        if u64::from(header.size) > MAX_SIZE || header.size > MAX_PROTOCOL_MESSAGE_LENGTH {
            return Err(TransportError::SizeTooLarge {
                command: sanitize_string(header.command_bytes()),
                size: header.size,
            });
        }
        self.header = header;
        self.in_data = true;
        Ok(n)
    }

    fn read_data(&mut self, bytes: &[u8]) -> usize {
        let size = self.header.size as usize;
        let n = (size - self.payload.len()).min(bytes.len());
        let needed = self.payload.len() + n;
        if self.payload.capacity() < needed {
            let target = size.min(needed + MAX_RESERVE_AHEAD);
            self.payload.reserve_exact(target - self.payload.len());
        }
        self.hasher.input(&bytes[..n]);
        self.payload.extend_from_slice(&bytes[..n]);
        n
    }
}

impl Transport for V1Transport {
    fn received_bytes(&mut self, bytes: &mut &[u8]) -> Result<(), TransportError> {
        while !bytes.is_empty() && !self.complete() {
            let step = if self.in_data {
                Ok(self.read_data(bytes))
            } else {
                self.read_header(bytes)
            };
            match step {
                Ok(n) => *bytes = &bytes[n..],
                Err(e) => {
                    self.reset_receive();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn received_message_complete(&self) -> bool {
        self.complete()
    }

    fn get_received_message(&mut self) -> Result<ReceivedMessage, RejectedMessage> {
        let header = self.header;
        let payload = std::mem::take(&mut self.payload);
        let hasher = std::mem::replace(&mut self.hasher, sha256d::Hash::engine());
        self.reset_receive();

        let raw_size = header.size as usize + HEADER_SIZE;
        let hash = sha256d::Hash::from_engine(hasher);
        let mut expected = [0u8; CHECKSUM_SIZE];
        expected.copy_from_slice(&hash.as_byte_array()[..CHECKSUM_SIZE]);
        let reason = if expected != header.checksum {
            Some(RejectReason::WrongChecksum {
                command: sanitize_string(header.command_bytes()),
                size: header.size,
                expected,
                received: header.checksum,
            })
        } else if !is_message_type_valid(&header.command) {
            Some(RejectReason::InvalidMessageType {
                command: sanitize_string(header.command_bytes()),
                size: header.size,
            })
        } else {
            None
        };
        match reason {
            Some(reason) => Err(RejectedMessage { reason, raw_size }),
            None => Ok(ReceivedMessage {
                command: String::from_utf8_lossy(header.command_bytes()).into_owned(),
                payload,
                raw_size,
            }),
        }
    }

    fn set_message_to_send(&mut self, command: &str, payload: Vec<u8>) -> bool {
        if self.sending_header || self.bytes_sent < self.payload_to_send.len() {
            return false;
        }
        self.header_to_send = serialize_header(self.magic, command, &payload).to_vec();
        self.payload_to_send = payload;
        self.command_to_send = command.to_string();
        self.sending_header = true;
        self.bytes_sent = 0;
        true
    }

    fn bytes_to_send(&self, have_next_message: bool) -> BytesToSend<'_> {
        if self.sending_header {
            BytesToSend {
                bytes: &self.header_to_send[self.bytes_sent..],
                more: have_next_message || !self.payload_to_send.is_empty(),
                command: &self.command_to_send,
            }
        } else {
            BytesToSend {
                bytes: self
                    .payload_to_send
                    .get(self.bytes_sent..)
                    .unwrap_or_default(),
                more: have_next_message,
                command: &self.command_to_send,
            }
        }
    }

    fn mark_bytes_sent(&mut self, n: usize) {
        self.bytes_sent += n;
        if self.sending_header && self.bytes_sent == self.header_to_send.len() {
            self.sending_header = false;
            self.bytes_sent = 0;
        } else if !self.sending_header && self.bytes_sent == self.payload_to_send.len() {
            // Release the payload as soon as it is out, as Core does.
            self.payload_to_send = Vec::new();
            self.bytes_sent = 0;
        }
    }

    fn send_memory_usage(&self) -> usize {
        serialized_msg_usage(&self.command_to_send, &self.payload_to_send)
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

/// Core's `memusage::MallocUsage` for 64-bit platforms.
pub(crate) fn malloc_usage(alloc: usize) -> usize {
    if alloc == 0 {
        0
    } else {
        ((alloc + 31) >> 4) << 4
    }
}

/// Core's `CSerializedNetMsg::GetMemoryUsage`: the object itself (a vector and a string),
/// the payload's heap block, and the type's heap block when it is too long for the
/// string's inline buffer.
fn serialized_msg_usage(command: &str, payload: &Vec<u8>) -> usize {
    const SIZEOF_SERIALIZED_MSG: usize = 24 + 32;
    const STRING_INLINE_CAPACITY: usize = 15;
    let type_usage = if command.len() > STRING_INLINE_CAPACITY {
        malloc_usage(command.len() + 1)
    } else {
        0
    };
    SIZEOF_SERIALIZED_MSG + malloc_usage(payload.capacity()) + type_usage
}

#[cfg(test)]
#[path = "v1_tests.rs"]
mod tests;
