//! The transports the connection manager drives: crate `p2p`'s (Core's `Transport`,
//! `V1Transport`, `V2Transport`), re-exported so callers need not name `p2p`.

pub use p2p::transport::{
    BytesToSend, ReceivedMessage, RejectReason, RejectedMessage, Transport, TransportError,
    TransportInfo, TransportProtocol, V1Transport, V2Transport,
};
