//! Bitcoin's P2P wire protocol without I/O, following Bitcoin Core: protocol constants,
//! the v1 and BIP324 v2 transports (Core's `V1Transport` and `V2Transport`), and message
//! payload decoding and encoding.
//!
//! Nothing here touches a socket or a clock: the connection manager feeds received bytes
//! to a [`transport::Transport`] and writes out what it returns, then hands complete
//! messages to [`message::decode`].

pub mod constants;
pub mod message;
pub mod transport;

pub use message::{decode, encode, DecodeError};
pub use transport::{
    BytesToSend, ReceivedMessage, RejectReason, RejectedMessage, Transport, TransportError,
    TransportInfo, TransportProtocol, V1Transport, V2Transport,
};
