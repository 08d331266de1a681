//! What generated proxies use: method descriptions, the contexts that turn values into
//! capabilities and back, and the client and server halves of a call.

use std::sync::Arc;

use capnp::capability::FromClientHook;
use capnp::private::capability::ClientHook;
use capnp::traits::Owned;

use crate::cap::{CapEntry, CapHook};
use crate::conn::{ConnInner, ImportRef};
use crate::generated::proxy_capnp::context;
use crate::{Error, Result};

/// Reads the `context` parameter of a method's params struct.
pub type ContextReader =
    for<'a> fn(capnp::any_pointer::Reader<'a>) -> capnp::Result<Option<context::Reader<'a>>>;

/// Formats a params or results struct for trace logging.
pub type Formatter = fn(capnp::any_pointer::Reader<'_>) -> String;

/// Static description of one schema method, emitted by the code generator.
pub struct MethodInfo {
    /// Type ID of the interface.
    pub interface_id: u64,
    /// Method ordinal.
    pub ordinal: u16,
    /// `Echo.echo$Params`, as libmultiprocess logs it.
    pub params_name: &'static str,
    /// `Echo.echo$Results`.
    pub results_name: &'static str,
    /// Reads the context parameter, for methods that have one; `None` means the method runs on the event loop.
    pub context: Option<ContextReader>,
    /// Formats params for `request data:` lines.
    pub format_params: Formatter,
    /// Formats results for `response data:` lines.
    pub format_results: Formatter,
}

/// Turns capabilities written by generated code into entries of the outgoing message's cap table.
pub struct BuildCx {
    pub(crate) conn: Arc<ConnInner>,
    pub(crate) entries: Vec<CapEntry>,
    /// Thread and callback thread for the Context parameter of the call being built.
    pub(crate) context: Option<(CapEntry, CapEntry)>,
}

impl BuildCx {
    pub(crate) fn new(conn: Arc<ConnInner>) -> Self {
        BuildCx {
            conn,
            entries: Vec::new(),
            context: None,
        }
    }

    /// Wraps a capability so that a generated setter can store it.
    pub fn cap<C: FromClientHook>(&mut self, entry: CapEntry) -> C {
        self.entries.push(entry.clone());
        C::new(Box::new(CapHook {
            entry,
            id: self.entries.len(),
        }))
    }

    /// Writes a local object as a capability.
    pub fn export<C: FromClientHook>(&mut self, obj: Arc<dyn crate::ServerObject>) -> C {
        self.cap(CapEntry::Local(obj))
    }

    /// The import, if `import` belongs to the connection this message goes over.
    pub fn same_connection(&self, import: &ImportRef) -> bool {
        Arc::ptr_eq(&import.conn, &self.conn)
    }

    pub(crate) fn resolve(&self, hook: &dyn ClientHook) -> CapEntry {
        match hook
            .get_ptr()
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
        {
            Some(e) => e.clone(),
            None => CapEntry::Null,
        }
    }
}

/// Turns capabilities read from an incoming message back into entries.
pub struct ReadCx {
    pub(crate) conn: Arc<ConnInner>,
    pub(crate) entries: Vec<CapEntry>,
}

impl ReadCx {
    /// The entry behind a capability read by a generated getter.
    pub fn entry<C: FromClientHook>(&self, client: C) -> Result<CapEntry> {
        let hook = client.into_client_hook();
        hook.get_ptr()
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .cloned()
            .ok_or_else(|| Error::Protocol("capability index out of range".into()))
    }

    /// Wraps an entry again as a typed client, for conversions that inspect the entry first.
    pub fn cap_of<C: FromClientHook>(&self, entry: CapEntry) -> C {
        let id = self
            .entries
            .iter()
            .position(|e| e.ptr() == entry.ptr())
            .map(|i| i + 1)
            .unwrap_or(0);
        C::new(Box::new(CapHook { entry, id }))
    }

    pub(crate) fn hooks(&self) -> capnp::private::layout::CapTable {
        Self::hooks_for(&self.entries)
    }

    pub(crate) fn hooks_for(entries: &[CapEntry]) -> capnp::private::layout::CapTable {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Some(Box::new(CapHook {
                    entry: e.clone(),
                    id: i + 1,
                }) as Box<dyn ClientHook>)
            })
            .collect()
    }
}

/// A call being served: its params, its results, and the capability contexts of both.
pub struct IncomingCall<'a> {
    pub(crate) params: capnp::any_pointer::Reader<'a>,
    pub(crate) results: Option<capnp::any_pointer::Builder<'a>>,
    pub(crate) read_cx: &'a ReadCx,
    pub(crate) build_cx: &'a mut BuildCx,
    pub(crate) destroy: bool,
    pub(crate) ordinal: u16,
}

impl<'a> IncomingCall<'a> {
    /// Ordinal of the method being called.
    pub fn method_ordinal(&self) -> u16 {
        self.ordinal
    }

    /// The params struct.
    pub fn params<P: Owned>(&self) -> Result<P::Reader<'a>> {
        Ok(self.params.get_as::<P::Reader<'a>>()?)
    }

    /// Capability context for reading params.
    pub fn read_cx(&self) -> &'a ReadCx {
        self.read_cx
    }

    /// Initialises the results struct and returns it with the context for writing capabilities.
    pub fn results<R: Owned>(&mut self) -> Result<(R::Builder<'_>, &mut BuildCx)> {
        let builder = self
            .results
            .as_mut()
            .ok_or_else(|| Error::Protocol("results already taken".into()))?
            .reborrow()
            .init_as::<R::Builder<'_>>();
        Ok((builder, self.build_cx))
    }

    /// Marks the call as the `destroy` method, so the runtime releases the implementation.
    pub fn mark_destroy(&mut self) {
        self.destroy = true;
    }
}
