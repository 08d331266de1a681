//! The client half of a call: build the Call, send it, wait on this thread, read the Return.

use std::sync::Arc;

use capnp::message::Builder;
use capnp::traits::{Imbue, ImbueMut, Owned};

use crate::call::{BuildCx, MethodInfo, ReadCx};
use crate::cap::CapEntry;
use crate::conn::{ConnInner, ImportRef};
use crate::generated::proxy_capnp::context;
use crate::generated::rpc_capnp::{message, return_};
use crate::log::Level;
use crate::threads::{callback_thread, request_thread};
use crate::waiter::{self, Waiter};
use crate::{Error, Result};

/// Calls a method without thread mapping; the runtime's own calls and methods without a Context.
pub(crate) fn call_raw<P: Owned, R: Owned, T>(
    target: &ImportRef,
    method: &MethodInfo,
    build: impl FnOnce(P::Builder<'_>, &mut BuildCx) -> Result<()>,
    read: impl FnOnce(R::Reader<'_>, &ReadCx) -> Result<T>,
) -> Result<T> {
    call_with::<P, R, T>(target, method, None, build, read)
}

/// Calls `method` on the remote object `target`; the generated clients call this.
///
/// A method with a Context runs on the server thread dedicated to the current thread,
/// made on first use; while waiting, this thread runs callbacks the server makes.
pub fn call<P: Owned, R: Owned, T>(
    target: &ImportRef,
    method: &'static MethodInfo,
    build: impl FnOnce(P::Builder<'_>, &mut BuildCx) -> Result<()>,
    read: impl FnOnce(R::Reader<'_>, &ReadCx) -> Result<T>,
) -> Result<T> {
    let context = match method.context {
        Some(_) => {
            if !target.is_connected() {
                return Err(Error::Disconnected(
                    "IPC client method called after disconnect.".into(),
                ));
            }
            Some((request_thread(&target.conn)?, callback_thread()))
        }
        None => None,
    };
    call_with::<P, R, T>(target, method, context, build, read)
}

impl BuildCx {
    /// Writes the Context parameter: the server thread to run on and this thread for callbacks.
    pub fn write_context(&mut self, mut b: context::Builder<'_>) {
        if let Some((thread, callback)) = self.context.take() {
            b.set_thread(self.cap(thread));
            b.set_callback_thread(self.cap(callback));
        }
    }
}

fn call_with<P: Owned, R: Owned, T>(
    target: &ImportRef,
    method: &MethodInfo,
    context: Option<(CapEntry, CapEntry)>,
    build: impl FnOnce(P::Builder<'_>, &mut BuildCx) -> Result<()>,
    read: impl FnOnce(R::Reader<'_>, &ReadCx) -> Result<T>,
) -> Result<T> {
    let sent = send_call::<P>(target, method, context, build)?;
    receive(sent, |content, cx| {
        read(content.get_as::<R::Reader<'_>>()?, cx)
    })
}

/// A call that was sent and whose reply this thread has not read yet.
struct Sent {
    conn: Arc<ConnInner>,
    key: u64,
    waiter: Arc<Waiter>,
    thread_name: String,
    results_name: &'static str,
    format_results: crate::call::Formatter,
}

fn send_call<P: Owned>(
    target: &ImportRef,
    method: &MethodInfo,
    context: Option<(CapEntry, CapEntry)>,
    build: impl FnOnce(P::Builder<'_>, &mut BuildCx) -> Result<()>,
) -> Result<Sent> {
    let conn = target.conn.clone();
    let (first, name) =
        waiter::with_context(|c| (!std::mem::replace(&mut c.made_call, true), c.name.clone()));
    if first {
        crate::ipc_log!(
            Level::Info,
            "{{{name}}} IPC client first request from current thread, constructing waiter"
        );
    }
    let thread_name = if crate::log::enabled(Level::Debug) {
        name
    } else {
        String::new()
    };
    let mut b = Builder::new_default();
    let mut cx = BuildCx::new(conn.clone());
    cx.context = context;
    let mut cap_table = Vec::new();
    let (qid, key, waiter) = conn.new_question()?;
    let built = {
        let mut call = b.init_root::<message::Builder>().init_call();
        call.set_question_id(qid);
        call.set_interface_id(method.interface_id);
        call.set_method_id(method.ordinal);
        call.reborrow().init_target().set_imported_cap(target.id);
        let mut content = call.init_params().init_content();
        content.imbue_mut(&mut cap_table);
        build(content.init_as::<P::Builder<'_>>(), &mut cx)
    };
    if let Err(e) = built {
        conn.drop_question(key);
        return Err(e);
    }
    crate::ipc_log!(
        Level::Debug,
        "{{{thread_name}}} IPC client send {}",
        method.params_name
    );
    if crate::log::enabled(Level::Trace) {
        let hooks = ReadCx::hooks_for(&cx.entries);
        if let Some(mut params) = call_content(&b) {
            params.imbue(&hooks);
            crate::log::write(
                Level::Trace,
                &format!("send data: {}", (method.format_params)(params)),
            );
        }
    }
    if let Err(e) = conn.encode_call_caps(&mut b, &cx, &cap_table) {
        conn.drop_question(key);
        return Err(e);
    }
    if let Err(e) = conn.send(&b) {
        conn.drop_question(key);
        return Err(e);
    }
    Ok(Sent {
        conn,
        key,
        waiter,
        thread_name,
        results_name: method.results_name,
        format_results: method.format_results,
    })
}

/// Waits for the reply to `sent` (running callbacks meanwhile) and reads its results.
fn receive<T>(
    sent: Sent,
    read: impl FnOnce(capnp::any_pointer::Reader<'_>, &ReadCx) -> Result<T>,
) -> Result<T> {
    let (msg, caps) = sent.waiter.wait_reply(sent.key)?;
    crate::ipc_log!(
        Level::Debug,
        "{{{}}} IPC client recv {}",
        sent.thread_name,
        sent.results_name
    );
    let read_cx = ReadCx {
        conn: sent.conn.clone(),
        entries: caps,
    };
    let hooks = read_cx.hooks();
    let root = msg.get_root::<message::Reader>()?;
    let message::Return(Ok(ret)) = root.which()? else {
        return Err(Error::Protocol("expected a Return message".into()));
    };
    let return_::Results(Ok(payload)) = ret.which()? else {
        return Err(Error::Protocol("Return has no results".into()));
    };
    let mut content = payload.get_content();
    content.imbue(&hooks);
    if crate::log::enabled(Level::Trace) {
        crate::log::write(
            Level::Trace,
            &format!("recv data: {}", (sent.format_results)(content)),
        );
    }
    read(content, &read_cx)
}

type ReadFn<T> = Box<dyn FnOnce(capnp::any_pointer::Reader<'_>, &ReadCx) -> Result<T>>;

/// A call sent without waiting for its reply, so one thread can have many in flight.
///
/// Only the thread that sent it can [`wait`](Pending::wait) for it (its replies arrive on
/// that thread's queue); dropping it discards the reply.
pub struct Pending<T> {
    sent: Option<Sent>,
    read: Option<ReadFn<T>>,
}

impl<T> Pending<T> {
    /// Waits for the reply and returns the call's result.
    pub fn wait(mut self) -> Result<T> {
        match (self.sent.take(), self.read.take()) {
            (Some(sent), Some(read)) => receive(sent, read),
            _ => Err(Error::Protocol("pending call already waited for".into())),
        }
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        if let Some(sent) = self.sent.take() {
            sent.waiter.abandon(sent.key);
        }
    }
}

/// Sends a call like [`call`] but returns at once; the generated `*_send` methods use it.
pub fn call_send<P: Owned, R: Owned, T>(
    target: &ImportRef,
    method: &'static MethodInfo,
    build: impl FnOnce(P::Builder<'_>, &mut BuildCx) -> Result<()>,
    read: impl FnOnce(R::Reader<'_>, &ReadCx) -> Result<T> + 'static,
) -> Result<Pending<T>> {
    let context = match method.context {
        Some(_) => Some((request_thread(&target.conn)?, callback_thread())),
        None => None,
    };
    let sent = send_call::<P>(target, method, context, build)?;
    Ok(Pending {
        sent: Some(sent),
        read: Some(Box::new(move |content, cx| {
            read(content.get_as::<R::Reader<'_>>()?, cx)
        })),
    })
}

fn call_content(
    b: &Builder<capnp::message::HeapAllocator>,
) -> Option<capnp::any_pointer::Reader<'_>> {
    let root = b.get_root_as_reader::<message::Reader>().ok()?;
    let message::Call(Ok(call)) = root.which().ok()? else {
        return None;
    };
    Some(call.get_params().ok()?.get_content())
}

/// Keeps the import alive as long as a generated client needs it.
pub type RemoteRef = Arc<ImportRef>;
