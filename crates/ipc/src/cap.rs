//! Capabilities as the runtime sees them, and their bridge into `capnp`'s cap tables.

use std::any::Any;
use std::sync::Arc;

use capnp::capability::{Promise, Request};
use capnp::private::capability::{ClientHook, ParamsHook, ResultsHook};

use crate::call::{IncomingCall, MethodInfo};
use crate::conn::ImportRef;

/// An object served to other processes: generated `*Server` types and the runtime's own.
pub trait ServerObject: Send + Sync + 'static {
    /// Schema name of the interface (`Echo`).
    fn interface_name(&self) -> &'static str;
    /// Cap'n Proto type ID of the interface.
    fn interface_id(&self) -> u64;
    /// Static description of method `ordinal`, if the interface has it.
    fn method(&self, ordinal: u16) -> Option<&'static MethodInfo>;
    /// Runs a call on the current thread and writes its results.
    fn dispatch(&self, call: &mut IncomingCall<'_>) -> crate::Result<()>;
    /// Releases the implementation; called by `destroy` and when the last reference is released.
    fn destroy(&self) {}
    /// For recognising the runtime's own objects (threads) and unwrapping local objects.
    fn as_any(&self) -> &dyn Any;
}

/// One capability in a message: a local object, an object of the peer, or null.
#[derive(Clone)]
pub enum CapEntry {
    /// An object in this process.
    Local(Arc<dyn ServerObject>),
    /// An object hosted by the peer of a connection.
    Import(Arc<ImportRef>),
    /// A null capability pointer.
    Null,
}

impl CapEntry {
    pub(crate) fn ptr(&self) -> usize {
        match self {
            CapEntry::Local(o) => Arc::as_ptr(o) as *const () as usize,
            CapEntry::Import(i) => Arc::as_ptr(i) as usize,
            CapEntry::Null => 0,
        }
    }
}

/// Carries a [`CapEntry`] through `capnp`'s builders and readers, which only know `ClientHook`s.
///
/// The runtime never calls methods through it; it only identifies the entry again by `get_ptr`.
pub(crate) struct CapHook {
    pub(crate) entry: CapEntry,
    pub(crate) id: usize,
}

/// Marks hooks created by this runtime.
const BRAND: usize = 0x6970_635f_6361_7073;

impl ClientHook for CapHook {
    fn add_ref(&self) -> Box<dyn ClientHook> {
        Box::new(CapHook {
            entry: self.entry.clone(),
            id: self.id,
        })
    }
    fn new_call(
        &self,
        _interface_id: u64,
        _method_id: u16,
        _size_hint: Option<capnp::MessageSize>,
    ) -> Request<capnp::any_pointer::Owned, capnp::any_pointer::Owned> {
        // Calls go through generated proxies, never through capnp's typed clients.
        panic!("ipc capabilities do not support capnp's request API")
    }
    fn call(
        &self,
        _interface_id: u64,
        _method_id: u16,
        _params: Box<dyn ParamsHook>,
        _results: Box<dyn ResultsHook>,
    ) -> Promise<(), capnp::Error> {
        Promise::err(capnp::Error::unimplemented(
            "ipc capabilities do not support capnp's call API".into(),
        ))
    }
    fn get_brand(&self) -> usize {
        BRAND
    }
    fn get_ptr(&self) -> usize {
        self.id
    }
    fn get_resolved(&self) -> Option<Box<dyn ClientHook>> {
        None
    }
    fn when_more_resolved(&self) -> Option<Promise<Box<dyn ClientHook>, capnp::Error>> {
        None
    }
    fn when_resolved(&self) -> Promise<(), capnp::Error> {
        Promise::ok(())
    }
}
