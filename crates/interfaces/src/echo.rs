//! `Echo`: returns its argument; used to test IPC, as Core's `echoipc` RPC does.

use crate::Result;

/// An object that returns what it is given.
#[ipc::interface(module = crate::generated::echo_ipc::echo)]
pub trait Echo: Send + Sync {
    /// Returns `echo` unchanged.
    fn echo(&self, echo: String) -> Result<String>;
}

/// The implementation every process serves.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoImpl;

impl Echo for EchoImpl {
    fn echo(&self, echo: String) -> Result<String> {
        Ok(echo)
    }
}
