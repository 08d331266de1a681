//! bitcoin-cli: Core's command-line JSON-RPC client.
//!
//! [`run`] does all the work and returns what the process would print and
//! its exit status, so it can be tested without a process; the
//! `bitcoin-cli` binary only wires it to the real standard streams and
//! network. Requests travel through a [`transport::Transport`]: HTTP over
//! TCP, or IPC to the node's `Rpc` object (`-ipcconnect`).

pub mod args;
pub mod convert;
pub mod getinfo;
/// Core's JSON, shared with the server.
pub use univalue as json;
pub mod handlers;
pub mod http;
pub mod ipc_transport;
pub mod netinfo;
pub mod run;
pub mod transport;
pub mod version;

pub use run::{run, Env, Outcome};
pub use transport::{Connector, DefaultConnector, Transport, TransportError};
