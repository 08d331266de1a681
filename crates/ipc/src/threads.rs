//! The runtime's own interfaces: `ThreadMap` and `Thread` (libmultiprocess's proxy.capnp),
//! and `construct`, which every bootstrap interface has as method @0.

use std::any::Any;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use crate::call::{IncomingCall, MethodInfo};
use crate::cap::{CapEntry, ServerObject};
use crate::client::call_raw;
use crate::conn::ConnInner;
use crate::generated::construct_capnp::{construct_params, construct_results};
use crate::generated::proxy_capnp::{thread, thread_map};
use crate::waiter::{self, Waiter};
use crate::{Error, Result};

/// Formats a struct of type `T` for trace lines, or the reason it cannot be read.
fn format_as<T: capnp::traits::Owned>(r: capnp::any_pointer::Reader<'_>) -> String
where
    for<'a> T::Reader<'a>: std::fmt::Debug,
{
    match r.get_as::<T::Reader<'_>>() {
        Ok(v) => format!("{v:?}"),
        Err(e) => format!("<{e}>"),
    }
}

const THREAD_MAP_ID: u64 = <thread_map::Client as capnp::traits::HasTypeId>::TYPE_ID;
const THREAD_ID: u64 = <thread::Client as capnp::traits::HasTypeId>::TYPE_ID;

static MAKE_THREAD: MethodInfo = MethodInfo {
    interface_id: THREAD_MAP_ID,
    ordinal: 0,
    params_name: "ThreadMap.makeThread$Params",
    results_name: "ThreadMap.makeThread$Results",
    context: None,
    format_params: format_as::<thread_map::make_thread_params::Owned>,
    format_results: format_as::<thread_map::make_thread_results::Owned>,
};

static MAKE_POOL: MethodInfo = MethodInfo {
    interface_id: THREAD_MAP_ID,
    ordinal: 1,
    params_name: "ThreadMap.makePool$Params",
    results_name: "ThreadMap.makePool$Results",
    context: None,
    format_params: format_as::<thread_map::make_pool_params::Owned>,
    format_results: format_as::<thread_map::make_pool_results::Owned>,
};

static GET_NAME: MethodInfo = MethodInfo {
    interface_id: THREAD_ID,
    ordinal: 0,
    params_name: "Thread.getName$Params",
    results_name: "Thread.getName$Results",
    context: None,
    format_params: format_as::<thread::get_name_params::Owned>,
    format_results: format_as::<thread::get_name_results::Owned>,
};

/// Serves `ThreadMap.makeThread`: one dedicated OS thread per client thread.
#[derive(Default)]
pub(crate) struct ThreadMapServer;

impl ServerObject for ThreadMapServer {
    fn interface_name(&self) -> &'static str {
        "ThreadMap"
    }
    fn interface_id(&self) -> u64 {
        THREAD_MAP_ID
    }
    fn method(&self, ordinal: u16) -> Option<&'static MethodInfo> {
        match ordinal {
            0 => Some(&MAKE_THREAD),
            1 => Some(&MAKE_POOL),
            _ => None,
        }
    }
    fn dispatch(&self, call: &mut IncomingCall<'_>) -> Result<()> {
        if call.method_ordinal() == 1 {
            let count = call
                .params::<thread_map::make_pool_params::Owned>()?
                .get_count();
            let conn = call.read_cx().conn.clone();
            let mut pool = conn.pool.lock().unwrap_or_else(|e| e.into_inner());
            if !pool.is_empty() {
                return Err(Error::Remote(
                    "makePool called on connection with existing pool".into(),
                ));
            }
            for i in 0..count {
                let thread = spawn_worker(format!("pool/{i}"))?;
                pool.push(PoolSlot {
                    thread,
                    depth: Arc::new(AtomicUsize::new(0)),
                });
            }
            drop(pool);
            call.results::<thread_map::make_pool_results::Owned>()?;
            return Ok(());
        }
        let params = call.params::<thread_map::make_thread_params::Owned>()?;
        let from = params.get_name()?.to_str()?.to_string();
        let server = spawn_worker(format!("from {from}"))?;
        let (mut results, cx) = call.results::<thread_map::make_thread_results::Owned>()?;
        results.set_result(cx.export(server));
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Starts a dedicated server thread; `label` ends its long name, as in libmultiprocess.
fn spawn_worker(label: String) -> Result<Arc<ThreadServer>> {
    let waiter = Arc::new(Waiter::default());
    let thread_waiter = waiter.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("b-capnp-worker".into())
        .spawn(move || {
            waiter::set_waiter(thread_waiter.clone());
            let long = format!("{} ({label})", crate::log::long_thread_name());
            waiter::with_context(|c| c.name = long.clone());
            let _ = tx.send(long);
            thread_waiter.run_until_exit();
        })?;
    let name = rx
        .recv()
        .map_err(|_| Error::Io("server thread did not start".into()))?;
    Ok(Arc::new(ThreadServer {
        waiter,
        name,
        owns_thread: true,
    }))
}

/// A thread of the pool made by `ThreadMap.makePool`, with the calls queued on it.
pub(crate) struct PoolSlot {
    pub(crate) thread: Arc<ThreadServer>,
    pub(crate) depth: Arc<AtomicUsize>,
}

/// One thread of this process as a `Thread` capability.
pub(crate) struct ThreadServer {
    pub(crate) waiter: Arc<Waiter>,
    pub(crate) name: String,
    /// Whether the thread exists only to serve this object (made by `makeThread`).
    pub(crate) owns_thread: bool,
}

impl Drop for ThreadServer {
    fn drop(&mut self) {
        if self.owns_thread {
            self.waiter.request_exit();
        }
    }
}

impl ServerObject for ThreadServer {
    fn interface_name(&self) -> &'static str {
        "Thread"
    }
    fn interface_id(&self) -> u64 {
        THREAD_ID
    }
    fn method(&self, ordinal: u16) -> Option<&'static MethodInfo> {
        (ordinal == 0).then_some(&GET_NAME)
    }
    fn dispatch(&self, call: &mut IncomingCall<'_>) -> Result<()> {
        let (mut results, _) = call.results::<thread::get_name_results::Owned>()?;
        results.set_result(&self.name[..]);
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Wraps a bootstrap object so that its method @0 is `construct`.
pub(crate) struct BootstrapServer {
    pub(crate) inner: Arc<dyn ServerObject>,
}

impl ServerObject for BootstrapServer {
    fn interface_name(&self) -> &'static str {
        self.inner.interface_name()
    }
    fn interface_id(&self) -> u64 {
        self.inner.interface_id()
    }
    fn method(&self, ordinal: u16) -> Option<&'static MethodInfo> {
        if ordinal == 0 {
            Some(&CONSTRUCT_TEMPLATE)
        } else {
            self.inner.method(ordinal)
        }
    }
    fn dispatch(&self, call: &mut IncomingCall<'_>) -> Result<()> {
        if call.method_ordinal() != 0 {
            return self.inner.dispatch(call);
        }
        let params = call.params::<construct_params::Owned>()?;
        let conn = call.read_cx().conn.clone();
        // A peer without a ThreadMap cannot take calls on its own threads; that is allowed.
        if params.has_thread_map() {
            let peer = call.read_cx().entry(params.get_thread_map()?)?;
            *conn
                .peer_thread_map
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(peer);
        }
        let local = conn.thread_map.clone();
        let (mut results, cx) = call.results::<construct_results::Owned>()?;
        results.set_thread_map(cx.export(local));
        Ok(())
    }
    fn destroy(&self) {
        self.inner.destroy();
    }
    fn as_any(&self) -> &dyn Any {
        self.inner.as_any()
    }
}

/// Client half of `construct`: gives the peer our ThreadMap and keeps theirs.
pub(crate) fn construct(conn: &Arc<ConnInner>, init: &CapEntry, interface_id: u64) -> Result<()> {
    let CapEntry::Import(target) = init else {
        return Err(Error::Protocol("bootstrap capability is not remote".into()));
    };
    let local = conn.thread_map.clone();
    let info = MethodInfo {
        interface_id,
        ..CONSTRUCT_TEMPLATE
    };
    let peer = call_raw::<construct_params::Owned, construct_results::Owned, _>(
        target,
        &info,
        |mut p, cx| {
            p.set_thread_map(cx.export(local));
            Ok(())
        },
        |r, cx| cx.entry(r.get_thread_map()?),
    )?;
    *conn
        .peer_thread_map
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(peer);
    Ok(())
}

const CONSTRUCT_TEMPLATE: MethodInfo = MethodInfo {
    interface_id: 0,
    ordinal: 0,
    params_name: "Init.construct$Params",
    results_name: "Init.construct$Results",
    context: None,
    format_params: format_as::<construct_params::Owned>,
    format_results: format_as::<construct_results::Owned>,
};

/// The remote thread that the current thread's calls over `conn` run on, made on first use.
pub(crate) fn request_thread(conn: &Arc<ConnInner>) -> Result<CapEntry> {
    let found = waiter::with_context(|c| {
        // Forget threads of closed connections, which would otherwise keep them in memory.
        c.request_threads.retain(|_, t| match t {
            CapEntry::Import(r) => r.is_connected(),
            _ => true,
        });
        c.request_threads.get(&conn.id).cloned()
    });
    if let Some(t) = found {
        return Ok(t);
    }
    let peer = conn
        .peer_thread_map
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let Some(CapEntry::Import(map)) = peer else {
        return Err(Error::Protocol(
            "the peer sent no ThreadMap (construct was not called)".into(),
        ));
    };
    let name = waiter::with_context(|c| c.name.clone());
    let thread = call_raw::<
        thread_map::make_thread_params::Owned,
        thread_map::make_thread_results::Owned,
        _,
    >(
        &map,
        &MAKE_THREAD,
        |mut p, _| {
            p.set_name(&name[..]);
            Ok(())
        },
        |r, cx| cx.entry(r.get_result()?),
    )?;
    waiter::with_context(|c| c.request_threads.insert(conn.id, thread.clone()));
    Ok(thread)
}

/// The current thread as a `Thread` capability, for `Context.callbackThread`.
pub(crate) fn callback_thread() -> CapEntry {
    waiter::with_context(|c| {
        if let Some(t) = &c.callback_thread {
            return t.clone();
        }
        let t = CapEntry::Local(Arc::new(ThreadServer {
            waiter: c.waiter.clone(),
            name: c.name.clone(),
            owns_thread: false,
        }));
        c.callback_thread = Some(t.clone());
        t
    })
}
