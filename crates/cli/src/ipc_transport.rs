//! `-ipcconnect`: requests go to `Init.makeRpc().executeRpc` on the node's unix socket,
//! as Core's `bitcoin-cli` sends them.

use std::os::unix::net::UnixStream;
use std::path::Path;

use interfaces::{Init, InitClient, Rpc};

use crate::transport::{IpcConnect, Transport, TransportError};

/// An open IPC connection to the node's `Rpc` object.
pub struct IpcTransport {
    conn: ipc::Connection,
    rpc: Box<dyn Rpc>,
    user: String,
}

impl Drop for IpcTransport {
    fn drop(&mut self) {
        self.conn.close();
    }
}

impl Transport for IpcTransport {
    fn call(&self, request_body: &str, uri: &str) -> Result<(u16, String), TransportError> {
        self.rpc
            .execute_rpc(request_body.to_string(), uri.to_string(), self.user.clone())
            .map(|reply| (200, reply))
            .map_err(|e| TransportError::ConnectionFailed(e.to_string()))
    }
}

/// The io error's own text, without Rust's "(os error N)" suffix, as C's `strerror` gives it.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Connects to `address` (`auto`, `unix` or `unix:<path>`) under `socket_dir`.
pub fn connect(address: &str, socket_dir: &Path, user: &str) -> IpcConnect {
    let auto = address == "auto";
    let parsed = if auto { "unix" } else { address };
    let addr = match ipc::SocketAddress::parse(parsed, socket_dir, "bitcoin-node") {
        Ok(a) => a,
        Err(_) if auto => return IpcConnect::Unavailable,
        Err(e) => return IpcConnect::Failed(e.message().to_string()),
    };
    let stream = match UnixStream::connect(&addr.path) {
        Ok(s) => s,
        Err(_) if auto => return IpcConnect::Unavailable,
        Err(e) => return IpcConnect::Failed(strerror(&e)),
    };
    let result = (|| -> ipc::Result<IpcTransport> {
        let conn = ipc::Connection::new(stream, None, false)?;
        let init: InitClient = ipc::process::bootstrap(&conn)?;
        let rpc = init.make_rpc()?;
        Ok(IpcTransport {
            conn,
            rpc,
            user: user.to_string(),
        })
    })();
    match result {
        Ok(t) => IpcConnect::Connected(Box::new(t)),
        Err(_) if auto => IpcConnect::Unavailable,
        Err(e) => IpcConnect::Failed(e.to_string()),
    }
}
