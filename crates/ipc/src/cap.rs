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
        // Calls go through generated proxies; capnp's typed request API only gets an error.
        Request::new(Box::new(UnsupportedRequest {
            message: capnp::message::Builder::new_default(),
        }))
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

const UNSUPPORTED: &str =
    "ipc capabilities are called through generated proxies, not capnp's request API";

/// What `new_call` returns: a request whose sending fails.
struct UnsupportedRequest {
    message: capnp::message::Builder<capnp::message::HeapAllocator>,
}

impl capnp::private::capability::RequestHook for UnsupportedRequest {
    fn get(&mut self) -> capnp::any_pointer::Builder<'_> {
        // The request is never sent, so its params need not survive a second `get`.
        self.message.init_root()
    }
    fn get_brand(&self) -> usize {
        BRAND
    }
    fn send(self: Box<Self>) -> capnp::capability::RemotePromise<capnp::any_pointer::Owned> {
        capnp::capability::RemotePromise {
            promise: Promise::err(capnp::Error::unimplemented(UNSUPPORTED.into())),
            pipeline: capnp::any_pointer::Pipeline::new(Box::new(NullPipeline)),
        }
    }
    fn send_streaming(self: Box<Self>) -> Promise<(), capnp::Error> {
        Promise::err(capnp::Error::unimplemented(UNSUPPORTED.into()))
    }
    fn tail_send(
        self: Box<Self>,
    ) -> Option<(
        u32,
        Promise<(), capnp::Error>,
        Box<dyn capnp::private::capability::PipelineHook>,
    )> {
        None
    }
}

/// Pipelined capabilities of a request that never runs: null.
struct NullPipeline;

impl capnp::private::capability::PipelineHook for NullPipeline {
    fn add_ref(&self) -> Box<dyn capnp::private::capability::PipelineHook> {
        Box::new(NullPipeline)
    }
    fn get_pipelined_cap(
        &self,
        _ops: &[capnp::private::capability::PipelineOp],
    ) -> Box<dyn ClientHook> {
        Box::new(CapHook {
            entry: CapEntry::Null,
            id: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capnp_request_api_fails_instead_of_panicking() {
        let hook = CapHook {
            entry: CapEntry::Null,
            id: 0,
        };
        let mut req = hook.new_call(1, 2, None);
        let _ = req.get();
        let result = futures_lite_block_on(req.send().promise);
        assert!(result.is_err());
    }

    /// Polls a future that is ready at once (capnp's error promises are).
    fn futures_lite_block_on<T>(mut fut: Promise<T, capnp::Error>) -> Result<T, capnp::Error> {
        use std::future::Future;
        use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
        fn noop(_: *const ()) {}
        fn clone(p: *const ()) -> RawWaker {
            RawWaker::new(p, &VTABLE)
        }
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
        // SAFETY: the vtable's functions ignore the data pointer.
        let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
        let mut cx = Context::from_waker(&waker);
        match std::pin::Pin::new(&mut fut).poll(&mut cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(capnp::Error::failed("not ready".into())),
        }
    }
}
