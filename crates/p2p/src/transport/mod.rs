//! Transports turn bytes from a socket into messages and messages into bytes, without doing
//! any I/O themselves (Core's `Transport` class in net.h). The connection manager owns the
//! socket, feeds what it reads to [`Transport::received_bytes`] and writes what
//! [`Transport::bytes_to_send`] hands it.

pub mod cipher;
pub mod v1;
pub mod v2;

use std::fmt;

pub use v1::V1Transport;
pub use v2::V2Transport;

/// A complete message taken off a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The message type ("version", "tx", ...).
    pub command: String,
    /// The serialized payload.
    pub payload: Vec<u8>,
    /// Bytes this message took on the wire, framing included (Core's `m_raw_message_size`,
    /// which `getpeerinfo`'s `bytesrecv_per_msg` adds up).
    pub raw_size: usize,
}

/// What [`Transport::bytes_to_send`] returns (Core's `BytesToSend` tuple).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BytesToSend<'a> {
    /// Bytes to write to the socket now (possibly empty).
    pub bytes: &'a [u8],
    /// Whether more bytes will follow once these are sent; see Core's `GetBytesToSend` for
    /// how `have_next_message` enters it.
    pub more: bool,
    /// The message type these bytes belong to, "" for handshake bytes.
    pub command: &'a str,
}

/// Which protocol a transport speaks (`getpeerinfo`'s `transport_protocol_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportProtocol {
    /// A v2 responder that has not yet seen enough bytes to tell v1 from v2, or a v2
    /// transport whose handshake has not finished.
    Detecting,
    /// The unencrypted v1 protocol.
    V1,
    /// The BIP324 encrypted protocol.
    V2,
}

impl TransportProtocol {
    /// The name `getpeerinfo` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportProtocol::Detecting => "detecting",
            TransportProtocol::V1 => "v1",
            TransportProtocol::V2 => "v2",
        }
    }
}

/// What [`Transport::info`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportInfo {
    /// The protocol in use.
    pub protocol: TransportProtocol,
    /// The BIP324 session id, once the v2 handshake has been verified.
    pub session_id: Option<[u8; 32]>,
}

/// Bytes that make the connection unusable: the peer must be disconnected.
///
/// `Display` gives the text Core logs for the case, without the `, peer=N` that Core
/// appends; the caller adds that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A v1 header that cannot be parsed (Core keeps this case although 24 bytes always
    /// parse).
    HeaderUnreadable,
    /// A v1 header whose network magic is not ours.
    WrongMessageStart {
        /// The magic the peer sent.
        received: [u8; 4],
    },
    /// A v1 header announcing a payload above [`crate::constants::MAX_PROTOCOL_MESSAGE_LENGTH`].
    SizeTooLarge {
        /// The message type, sanitized for logging.
        command: String,
        /// The announced payload size.
        size: u32,
    },
    /// A v2 responder saw a v1 `version` header with another network's magic. Core logs
    /// this one without a peer id.
    V1PeerWrongMessageStart {
        /// The magic the peer sent.
        received: [u8; 4],
    },
    /// No garbage terminator within 4095 bytes of garbage.
    MissingGarbageTerminator,
    /// A v2 packet announcing more contents than any message may have.
    PacketTooLarge {
        /// The announced contents length.
        len: u32,
    },
    /// A v2 packet that failed authentication.
    DecryptionFailure {
        /// The announced contents length.
        len: u32,
    },
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::HeaderUnreadable => write!(f, "Header error: Unable to deserialize"),
            TransportError::WrongMessageStart { received } => write!(
                f,
                "Header error: Wrong MessageStart {} received",
                hex(received)
            ),
            TransportError::SizeTooLarge { command, size } => {
                write!(f, "Header error: Size too large ({command}, {size} bytes)")
            }
            TransportError::V1PeerWrongMessageStart { received } => write!(
                f,
                "V2 transport error: V1 peer with wrong MessageStart {}",
                hex(received)
            ),
            TransportError::MissingGarbageTerminator => {
                write!(f, "V2 transport error: missing garbage terminator")
            }
            TransportError::PacketTooLarge { len } => {
                write!(f, "V2 transport error: packet too large ({len} bytes)")
            }
            TransportError::DecryptionFailure { len } => write!(
                f,
                "V2 transport error: packet decryption failure ({len} bytes)"
            ),
        }
    }
}

impl std::error::Error for TransportError {}

/// Why a complete message was dropped; the connection stays up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// A v1 message whose payload does not match the header's checksum.
    WrongChecksum {
        /// The message type, sanitized for logging.
        command: String,
        /// The payload size.
        size: u32,
        /// The first four bytes of the payload's double SHA-256.
        expected: [u8; 4],
        /// The checksum in the header.
        received: [u8; 4],
    },
    /// A v1 message type with bytes outside printable ASCII, or non-zero bytes after the
    /// terminating zero.
    InvalidMessageType {
        /// The message type, sanitized for logging.
        command: String,
        /// The payload size.
        size: u32,
    },
    /// A v2 packet whose message type is empty, an unknown short id, or a malformed long
    /// encoding.
    V2InvalidMessageType {
        /// The length of the packet's contents.
        contents_len: usize,
    },
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::WrongChecksum {
                command,
                size,
                expected,
                received,
            } => write!(
                f,
                "Header error: Wrong checksum ({command}, {size} bytes), expected {} was {}",
                hex(expected),
                hex(received)
            ),
            RejectReason::InvalidMessageType { command, size } => write!(
                f,
                "Header error: Invalid message type ({command}, {size} bytes)"
            ),
            RejectReason::V2InvalidMessageType { contents_len } => write!(
                f,
                "V2 transport error: invalid message type ({contents_len} bytes contents)"
            ),
        }
    }
}

/// A complete message that must be dropped (Core's `reject_message`). `Display` gives Core's
/// log text without the trailing `, peer=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedMessage {
    /// Why it was dropped.
    pub reason: RejectReason,
    /// Bytes it took on the wire; Core counts them under the "*other*" message type.
    pub raw_size: usize,
}

impl fmt::Display for RejectedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

impl std::error::Error for RejectedMessage {}

/// The protocol-side half of a connection (Core's `Transport`).
pub trait Transport: Send {
    /// Consumes from the front of `bytes` as much as it can take now; the rest stays in
    /// `bytes` for after the completed message has been taken. `Err` means disconnect.
    fn received_bytes(&mut self, bytes: &mut &[u8]) -> Result<(), TransportError>;
    /// Whether a complete message waits for [`Transport::get_received_message`].
    fn received_message_complete(&self) -> bool;
    /// Takes the completed message (Core's `GetReceivedMessage`): `Err` for a message that
    /// must be dropped without disconnecting. Only call after
    /// [`Transport::received_message_complete`] said true.
    fn get_received_message(&mut self) -> Result<ReceivedMessage, RejectedMessage>;
    /// Queues a message; false (and nothing queued) while an earlier one is still being
    /// sent or the transport cannot send messages yet.
    fn set_message_to_send(&mut self, command: &str, payload: Vec<u8>) -> bool;
    /// The bytes to write next; see [`BytesToSend`].
    fn bytes_to_send(&self, have_next_message: bool) -> BytesToSend<'_>;
    /// Reports that the first `n` bytes of the last [`Transport::bytes_to_send`] were
    /// written.
    fn mark_bytes_sent(&mut self, n: usize);
    /// Memory held for sending, for the send-buffer limit.
    fn send_memory_usage(&self) -> usize;
    /// Whether, after a disconnect, the peer should be retried with v1.
    fn should_reconnect_v1(&self) -> bool;
    /// Whether the next bytes sent are the first of a v2 handshake (Core logs "start
    /// sending v2 handshake" then).
    fn v2_handshake_not_started(&self) -> bool {
        false
    }
    /// The protocol in use and the session id.
    fn info(&self) -> TransportInfo;
}

/// Keeps only the characters Core's `SanitizeString` lets into logs (letters, digits and
/// ` .,;-_/:?@()`).
pub fn sanitize_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || b" .,;-_/:?@()".contains(b))
        .map(|&b| char::from(b))
        .collect()
}

/// Lower-case hex, as Core's `HexStr`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_drops_unsafe_bytes() {
        assert_eq!(sanitize_string(b"ve\x00r\xffsion<>"), "version");
        assert_eq!(sanitize_string(b"/Satoshi:27.0(x)/"), "/Satoshi:27.0(x)/");
    }

    #[test]
    fn error_texts_follow_core() {
        let e = TransportError::WrongMessageStart {
            received: [0xfa, 0xbf, 0xb5, 0xda],
        };
        assert_eq!(
            e.to_string(),
            "Header error: Wrong MessageStart fabfb5da received"
        );
        let e = TransportError::SizeTooLarge {
            command: "tx".into(),
            size: 4_000_001,
        };
        assert_eq!(
            e.to_string(),
            "Header error: Size too large (tx, 4000001 bytes)"
        );
        let r = RejectReason::WrongChecksum {
            command: "ping".into(),
            size: 8,
            expected: [1, 2, 3, 4],
            received: [0, 0, 0, 0],
        };
        assert_eq!(
            r.to_string(),
            "Header error: Wrong checksum (ping, 8 bytes), expected 01020304 was 00000000"
        );
    }
}
