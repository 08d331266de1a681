//! One Cap'n Proto RPC connection (two-party, level 1): the message loop, the four
//! tables of the protocol (questions, answers, exports, imports), and sending.
//!
//! Any thread may send; one reader thread per connection (`b-capnp-loop`) reads.
//! Calls whose params carry a `Context` run on the thread it names; the others run
//! on the reader thread, as in libmultiprocess.

use std::collections::HashMap;
use std::io::BufReader;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use capnp::message::{Builder, HeapAllocator, ReaderOptions};
use capnp::private::capability::PipelineOp;
use capnp::serialize::OwnedSegments;
use capnp::traits::{Imbue, ImbueMut};

use crate::call::{BuildCx, IncomingCall, ReadCx};
use crate::cap::{CapEntry, ServerObject};
use crate::generated::rpc_capnp::{
    cap_descriptor, exception, message, message_target, promised_answer, return_,
};
use crate::log::Level;
use crate::threads::{ThreadMapServer, ThreadServer};
use crate::waiter::{self, Waiter};
use crate::{Error, Result};

/// A received message.
pub(crate) type InMessage = capnp::message::Reader<OwnedSegments>;

/// The answer to a question: the Return message and the capabilities of its cap table.
pub(crate) type Reply = Result<(InMessage, Vec<CapEntry>)>;

/// Largest message accepted from a peer, in 8-byte words (256 MiB): far above a 4 MB block,
/// and a bound on what one message can make us allocate.
const MAX_MESSAGE_WORDS: usize = 32 * 1024 * 1024;

static NEXT_CONN_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_QUESTION_KEY: AtomicU64 = AtomicU64::new(1);
static SERVER_REQS: AtomicU64 = AtomicU64::new(0);

fn reader_options() -> ReaderOptions {
    let mut o = ReaderOptions::new();
    o.traversal_limit_in_words(Some(MAX_MESSAGE_WORDS * 4))
        .nesting_limit(64);
    o
}

/// Reference to an object hosted by the peer. The last clone dropped sends `Release`.
pub struct ImportRef {
    pub(crate) conn: Arc<ConnInner>,
    pub(crate) id: u32,
}

impl Drop for ImportRef {
    fn drop(&mut self) {
        self.conn
            .release_import(self.id, self as *const ImportRef as usize);
    }
}

impl ImportRef {
    /// Whether the connection is still open.
    pub fn is_connected(&self) -> bool {
        !self.conn.disconnected.load(Ordering::Acquire)
    }
}

struct Export {
    obj: Arc<dyn ServerObject>,
    refs: u32,
}

struct Import {
    refs: u32,
    handle: Weak<ImportRef>,
}

struct Question {
    key: u64,
    waiter: Arc<Waiter>,
}

#[derive(Default)]
struct Answer {
    /// The Return we sent, with the caps of its results, while pipelined calls may still target it.
    results: Option<(Builder<HeapAllocator>, Vec<CapEntry>)>,
    /// Export IDs whose reference counts the Return raised.
    exported: Vec<u32>,
    /// Calls that arrived before the Return was sent.
    pipelined: Vec<(InMessage, Vec<PipelineOp>)>,
    returned: bool,
    finished: bool,
    release_result_caps: bool,
}

#[derive(Default)]
struct State {
    exports: HashMap<u32, Export>,
    export_ids: HashMap<usize, u32>,
    next_export: u32,
    imports: HashMap<u32, Import>,
    questions: HashMap<u32, Question>,
    next_question: u32,
    free_questions: Vec<u32>,
    answers: HashMap<u32, Answer>,
}

/// Shared state of one connection.
pub struct ConnInner {
    pub(crate) id: u64,
    stream: UnixStream,
    write_lock: Mutex<()>,
    state: Mutex<State>,
    pub(crate) disconnected: AtomicBool,
    /// Set, with a notification, once shutdown has finished.
    closed: (Mutex<bool>, std::sync::Condvar),
    disconnect_reason: OnceLock<String>,
    loop_tag: OnceLock<String>,
    bootstrap: Option<Arc<dyn ServerObject>>,
    pub(crate) thread_map: Arc<ThreadMapServer>,
    pub(crate) peer_thread_map: Mutex<Option<CapEntry>>,
    incoming: bool,
}

/// A handle to a connection; dropping the last handle does not close it, [`Connection::close`] does.
#[derive(Clone)]
pub struct Connection {
    pub(crate) inner: Arc<ConnInner>,
}

impl Connection {
    /// Starts the reader thread on `stream`, serving `bootstrap` if given.
    pub fn new(
        stream: UnixStream,
        bootstrap: Option<Arc<dyn ServerObject>>,
        incoming: bool,
    ) -> Result<Connection> {
        enlarge_buffers(&stream);
        let reader = stream.try_clone()?;
        let inner = Arc::new(ConnInner {
            id: NEXT_CONN_ID.fetch_add(1, Ordering::Relaxed),
            stream,
            write_lock: Mutex::new(()),
            state: Mutex::new(State {
                next_export: 0,
                ..State::default()
            }),
            disconnected: AtomicBool::new(false),
            closed: (Mutex::new(false), std::sync::Condvar::new()),
            disconnect_reason: OnceLock::new(),
            loop_tag: OnceLock::new(),
            bootstrap,
            thread_map: Arc::new(ThreadMapServer),
            peer_thread_map: Mutex::new(None),
            incoming,
        });
        let conn = inner.clone();
        let (tag_tx, tag_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("b-capnp-loop".into())
            .spawn(move || {
                let _ = tag_tx.send(crate::log::long_thread_name());
                conn.run(reader);
            })?;
        let tag = tag_rx
            .recv()
            .map_err(|_| Error::Io("event loop thread did not start".into()))?;
        let _ = inner.loop_tag.set(tag);
        if incoming {
            inner.log(Level::Info, "IPC server: socket connected.");
        }
        Ok(Connection { inner })
    }

    /// Closes the socket; pending and later calls fail with a disconnected error.
    pub fn close(&self) {
        let _ = self.inner.stream.shutdown(std::net::Shutdown::Both);
    }

    /// Whether the connection is closed.
    pub fn is_disconnected(&self) -> bool {
        self.inner.disconnected.load(Ordering::Acquire)
    }

    /// Blocks until the connection is closed by either side.
    pub fn wait_disconnected(&self) {
        let (lock, cv) = &self.inner.closed;
        let mut closed = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*closed {
            closed = cv.wait(closed).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Asks the peer for its bootstrap capability, then exchanges thread maps (`Init.construct`).
    pub fn bootstrap(&self, interface_id: u64) -> Result<CapEntry> {
        let cap = self.inner.request_bootstrap()?;
        crate::threads::construct(&self.inner, &cap, interface_id)?;
        Ok(cap)
    }

    /// Number of objects this side currently exports over the connection.
    pub fn export_count(&self) -> usize {
        self.inner.lock().exports.len()
    }
}

impl ConnInner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self, level: Level, msg: &str) {
        if crate::log::enabled(level) {
            let tag = self.loop_tag.get().map(String::as_str).unwrap_or("");
            crate::log::write(level, &format!("{{{tag}}} {msg}"));
        }
    }

    fn disconnected_error(&self) -> Error {
        Error::Disconnected(
            self.disconnect_reason
                .get()
                .cloned()
                .unwrap_or_else(|| "IPC client method called after disconnect.".into()),
        )
    }

    /// Writes a message: the segment table and every segment with one `sendmsg` (gather
    /// I/O, no copy into a contiguous buffer), repeated only if the kernel takes less.
    pub(crate) fn send(&self, msg: &Builder<HeapAllocator>) -> Result<()> {
        if self.disconnected.load(Ordering::Acquire) {
            return Err(self.disconnected_error());
        }
        let segments = msg.get_segments_for_output();
        let mut table = Vec::with_capacity(8 + 4 * segments.len());
        table.extend_from_slice(&(segments.len() as u32).wrapping_sub(1).to_le_bytes());
        for seg in segments.iter() {
            table.extend_from_slice(&((seg.len() / 8) as u32).to_le_bytes());
        }
        if table.len() % 8 != 0 {
            table.extend_from_slice(&[0; 4]);
        }
        let mut parts: Vec<&[u8]> = Vec::with_capacity(1 + segments.len());
        parts.push(&table);
        parts.extend(segments.iter().copied());
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(err) = send_all(self.stream.as_raw_fd(), &parts) {
            drop(_guard);
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
            return Err(Error::Disconnected(format!("write failed: {err}")));
        }
        Ok(())
    }

    fn run(self: Arc<Self>, stream: UnixStream) {
        waiter::with_context(|c| c.reader_of = Some(self.id));
        let mut reader = BufReader::with_capacity(64 * 1024, stream);
        let reason = loop {
            match capnp::serialize::try_read_message(&mut reader, reader_options()) {
                Ok(Some(msg)) => {
                    let handled = catch_unwind(AssertUnwindSafe(|| self.handle_message(msg)))
                        .unwrap_or_else(|p| Err(Error::Protocol(panic_message(&p))));
                    if let Err(e) = handled {
                        self.log(Level::Error, &format!("IPC connection error: {e}"));
                        self.send_abort(&e.to_string());
                        break format!("protocol error: {e}");
                    }
                }
                Ok(None) => break "end of stream".to_string(),
                Err(e) if e.kind == capnp::ErrorKind::PrematureEndOfFile => break e.to_string(),
                Err(e) => {
                    // Framing we cannot parse (or a size over the limit): drop the connection.
                    self.log(Level::Error, &format!("IPC connection error: {e}"));
                    self.send_abort(&e.to_string());
                    break e.to_string();
                }
            }
        };
        self.shutdown(&reason);
    }

    fn send_abort(&self, reason: &str) {
        let mut b = Builder::new_default();
        let mut ex = b.init_root::<message::Builder>().init_abort();
        ex.set_reason(reason);
        ex.set_type(exception::Type::Failed);
        let _ = self.send(&b);
    }

    fn shutdown(&self, reason: &str) {
        let _ = self
            .disconnect_reason
            .set("IPC client method call interrupted by disconnect.".into());
        self.disconnected.store(true, Ordering::Release);
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
        let (questions, exports, answers) = {
            let mut st = self.lock();
            let q = std::mem::take(&mut st.questions);
            let e = std::mem::take(&mut st.exports);
            st.export_ids.clear();
            let a = std::mem::take(&mut st.answers);
            (q, e, a)
        };
        for (_, q) in questions {
            q.waiter.deliver(q.key, Err(self.disconnected_error()));
        }
        drop(answers);
        for (_, e) in exports {
            e.obj.destroy();
        }
        *self
            .peer_thread_map
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        if self.incoming {
            self.log(Level::Info, "IPC server: socket disconnected.");
        } else {
            self.log(Level::Debug, &format!("IPC connection closed: {reason}"));
        }
        let (lock, cv) = &self.closed;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    fn handle_message(self: &Arc<Self>, msg: InMessage) -> Result<()> {
        let root = msg.get_root::<message::Reader>()?;
        match root.which() {
            Ok(message::Call(call)) => {
                let call = call?;
                let qid = call.get_question_id();
                let target = call.get_target()?;
                match target.which()? {
                    message_target::ImportedCap(id) => {
                        let obj = self.lock().exports.get(&id).map(|e| e.obj.clone());
                        match obj {
                            Some(obj) => self.dispatch(obj, msg),
                            None => self.return_error(
                                qid,
                                exception::Type::Failed,
                                "call to unknown export ID",
                            ),
                        }
                    }
                    message_target::PromisedAnswer(pa) => {
                        let pa = pa?;
                        let ops = transform_ops(pa)?;
                        let aid = pa.get_question_id();
                        self.call_promised(aid, ops, msg)
                    }
                }
            }
            Ok(message::Return(ret)) => self.handle_return(ret?.get_answer_id(), msg),
            Ok(message::Finish(fin)) => {
                let fin = fin?;
                self.handle_finish(fin.get_question_id(), fin.get_release_result_caps());
                Ok(())
            }
            Ok(message::Release(rel)) => {
                let rel = rel?;
                self.release_export(rel.get_id(), rel.get_reference_count());
                Ok(())
            }
            Ok(message::Bootstrap(b)) => self.handle_bootstrap(b?.get_question_id()),
            Ok(message::Resolve(r)) => {
                let r = r?;
                if let Ok(crate::generated::rpc_capnp::resolve::Cap(cap)) = r.which() {
                    // We keep calling the promise, which the peer forwards; drop our ref to the resolution.
                    let _ = self.decode_cap(cap?);
                }
                Ok(())
            }
            Ok(message::Disembargo(d)) => self.handle_disembargo(d?),
            Ok(message::Abort(ex)) => {
                let reason = ex?.get_reason()?.to_string().unwrap_or_default();
                Err(Error::Disconnected(format!("peer aborted: {reason}")))
            }
            Ok(message::Unimplemented(m)) => {
                // The peer did not understand a message of ours; if it was a call, fail it.
                if let Ok(message::Call(Ok(c))) = m?.which() {
                    let q = self.lock().questions.remove(&c.get_question_id());
                    if let Some(q) = q {
                        q.waiter.deliver(
                            q.key,
                            Err(Error::Unimplemented("peer does not implement call".into())),
                        );
                    }
                }
                Ok(())
            }
            Ok(_) | Err(_) => {
                let mut b = Builder::new_default();
                b.init_root::<message::Builder>().set_unimplemented(root)?;
                self.send(&b)
            }
        }
    }

    fn handle_disembargo(
        &self,
        d: crate::generated::rpc_capnp::disembargo::Reader<'_>,
    ) -> Result<()> {
        use crate::generated::rpc_capnp::disembargo::context;
        if let context::SenderLoopback(embargo) = d.get_context().which()? {
            let entry = match d.get_target()?.which()? {
                message_target::ImportedCap(id) => self
                    .lock()
                    .exports
                    .get(&id)
                    .map(|e| CapEntry::Local(e.obj.clone())),
                message_target::PromisedAnswer(pa) => {
                    let pa = pa?;
                    let ops = transform_ops(pa)?;
                    self.answer_cap(pa.get_question_id(), &ops)
                }
            };
            if let Some(CapEntry::Import(imp)) = entry {
                let mut b = Builder::new_default();
                let mut dis = b.init_root::<message::Builder>().init_disembargo();
                dis.reborrow().init_target().set_imported_cap(imp.id);
                dis.init_context().set_receiver_loopback(embargo);
                self.send(&b)?;
            } else {
                return Err(Error::Protocol(
                    "Disembargo target does not point back to the sender".into(),
                ));
            }
        }
        Ok(())
    }

    fn handle_bootstrap(self: &Arc<Self>, qid: u32) -> Result<()> {
        let Some(obj) = self.bootstrap.clone() else {
            return self.return_error(
                qid,
                exception::Type::Failed,
                "this connection has no bootstrap interface",
            );
        };
        let mut b = Builder::new_default();
        let mut build_cx = BuildCx::new(self.clone());
        let mut cap_table = Vec::new();
        {
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut content = ret.init_results().init_content();
            content.imbue_mut(&mut cap_table);
            let client: capnp::capability::Client = build_cx.export(obj);
            content.set_as_capability(client.hook);
        }
        self.finish_return(qid, b, &build_cx, &cap_table)
    }

    fn return_error(&self, qid: u32, kind: exception::Type, reason: &str) -> Result<()> {
        let mut b = Builder::new_default();
        {
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut ex = ret.init_exception();
            ex.set_reason(reason);
            ex.set_type(kind);
        }
        {
            let mut st = self.lock();
            let answer = st.answers.entry(qid).or_default();
            answer.returned = true;
            let done = answer.finished;
            let pipelined = std::mem::take(&mut answer.pipelined);
            if done {
                st.answers.remove(&qid);
            }
            drop(st);
            for (m, _) in pipelined {
                if let Ok(q) = call_question_id(&m) {
                    let _ = self.return_error(q, kind, reason);
                }
            }
        }
        self.send(&b)
    }

    /// Writes the cap table of a Return built in `b`, records the answer and sends it.
    fn finish_return(
        self: &Arc<Self>,
        qid: u32,
        mut b: Builder<HeapAllocator>,
        build_cx: &BuildCx,
        cap_table: &capnp::private::layout::CapTable,
    ) -> Result<()> {
        let entries: Vec<CapEntry> = cap_table
            .iter()
            .map(|h| {
                h.as_ref()
                    .map(|h| build_cx.resolve(h.as_ref()))
                    .unwrap_or(CapEntry::Null)
            })
            .collect();
        let mut exported = Vec::new();
        {
            let root = b.get_root::<message::Builder>()?;
            if let Ok(message::Return(Ok(ret))) = root.which() {
                if let Ok(return_::Results(Ok(payload))) = ret.which() {
                    let mut descs = payload.init_cap_table(entries.len() as u32);
                    for (i, e) in entries.iter().enumerate() {
                        if let Some(id) = self.encode_cap(e, descs.reborrow().get(i as u32))? {
                            exported.push(id);
                        }
                    }
                }
            }
        }
        let pipelined = {
            let mut st = self.lock();
            let answer = st.answers.entry(qid).or_default();
            answer.returned = true;
            answer.exported = exported;
            std::mem::take(&mut answer.pipelined)
        };
        let sent = self.send(&b);
        let release = {
            let mut st = self.lock();
            let mut release = Vec::new();
            let finished = st.answers.get(&qid).map(|a| a.finished).unwrap_or(true);
            if finished {
                if let Some(a) = st.answers.remove(&qid) {
                    if a.release_result_caps {
                        release = a.exported;
                    }
                }
            } else if let Some(a) = st.answers.get_mut(&qid) {
                if !entries.is_empty() {
                    a.results = Some((b, entries));
                }
            }
            release
        };
        for id in release {
            self.release_export(id, 1);
        }
        for (m, ops) in pipelined {
            self.pipelined_call(qid, ops, m);
        }
        sent
    }

    /// Writes the cap table of a Call built in `b`.
    pub(crate) fn encode_call_caps(
        &self,
        b: &mut Builder<HeapAllocator>,
        build_cx: &BuildCx,
        cap_table: &capnp::private::layout::CapTable,
    ) -> Result<()> {
        let root = b.get_root::<message::Builder>()?;
        let message::Call(Ok(call)) = root.which()? else {
            return Err(Error::Protocol("expected a Call message".into()));
        };
        let mut descs = call.get_params()?.init_cap_table(cap_table.len() as u32);
        for (i, h) in cap_table.iter().enumerate() {
            let e = h
                .as_ref()
                .map(|h| build_cx.resolve(h.as_ref()))
                .unwrap_or(CapEntry::Null);
            self.encode_cap(&e, descs.reborrow().get(i as u32))?;
        }
        Ok(())
    }

    /// Fills a CapDescriptor; returns the export ID whose count it raised.
    fn encode_cap(&self, e: &CapEntry, mut d: cap_descriptor::Builder<'_>) -> Result<Option<u32>> {
        match e {
            CapEntry::Null => {
                d.set_none(());
                Ok(None)
            }
            CapEntry::Import(imp) if imp.conn.id == self.id => {
                d.set_receiver_hosted(imp.id);
                Ok(None)
            }
            CapEntry::Import(_) => Err(Error::Protocol(
                "cannot pass a capability of another connection".into(),
            )),
            CapEntry::Local(obj) => {
                let ptr = Arc::as_ptr(obj) as *const () as usize;
                let mut st = self.lock();
                let id = match st.export_ids.get(&ptr) {
                    Some(&id) => {
                        if let Some(ex) = st.exports.get_mut(&id) {
                            ex.refs += 1;
                        }
                        id
                    }
                    None => {
                        let mut id = st.next_export;
                        while st.exports.contains_key(&id) {
                            id = id.wrapping_add(1);
                        }
                        st.next_export = id.wrapping_add(1);
                        st.exports.insert(
                            id,
                            Export {
                                obj: obj.clone(),
                                refs: 1,
                            },
                        );
                        st.export_ids.insert(ptr, id);
                        id
                    }
                };
                d.set_sender_hosted(id);
                Ok(Some(id))
            }
        }
    }

    fn release_export(&self, id: u32, count: u32) {
        let removed = {
            let mut st = self.lock();
            let Some(ex) = st.exports.get_mut(&id) else {
                return;
            };
            ex.refs = ex.refs.saturating_sub(count);
            if ex.refs > 0 {
                return;
            }
            let ex = st.exports.remove(&id);
            if let Some(ex) = &ex {
                let ptr = Arc::as_ptr(&ex.obj) as *const () as usize;
                st.export_ids.remove(&ptr);
            }
            ex
        };
        if let Some(ex) = removed {
            ex.obj.destroy();
        }
    }

    pub(crate) fn release_import(&self, id: u32, ptr: usize) {
        let refs = {
            let mut st = self.lock();
            match st.imports.get(&id) {
                Some(imp) if imp.handle.as_ptr() as usize == ptr => {
                    st.imports.remove(&id).map(|i| i.refs)
                }
                _ => None,
            }
        };
        if let Some(refs) = refs {
            if refs > 0 && !self.disconnected.load(Ordering::Acquire) {
                let mut b = Builder::new_default();
                let mut rel = b.init_root::<message::Builder>().init_release();
                rel.set_id(id);
                rel.set_reference_count(refs);
                let _ = self.send(&b);
            }
        }
    }

    fn decode_cap(self: &Arc<Self>, d: cap_descriptor::Reader<'_>) -> Result<CapEntry> {
        Ok(match d.which()? {
            cap_descriptor::None(()) => CapEntry::Null,
            cap_descriptor::SenderHosted(id) | cap_descriptor::SenderPromise(id) => self.import(id),
            cap_descriptor::ThirdPartyHosted(t) => self.import(t?.get_vine_id()),
            cap_descriptor::ReceiverHosted(id) => match self.lock().exports.get(&id) {
                Some(e) => CapEntry::Local(e.obj.clone()),
                None => {
                    return Err(Error::Protocol(format!(
                        "unknown export ID {id} in cap table"
                    )))
                }
            },
            cap_descriptor::ReceiverAnswer(pa) => {
                let pa = pa?;
                let ops = transform_ops(pa)?;
                self.answer_cap(pa.get_question_id(), &ops).ok_or_else(|| {
                    Error::Protocol("cap table refers to an unknown answer".into())
                })?
            }
        })
    }

    fn import(self: &Arc<Self>, id: u32) -> CapEntry {
        let mut st = self.lock();
        let imp = st.imports.entry(id).or_insert(Import {
            refs: 0,
            handle: Weak::new(),
        });
        imp.refs += 1;
        if let Some(h) = imp.handle.upgrade() {
            return CapEntry::Import(h);
        }
        let h = Arc::new(ImportRef {
            conn: self.clone(),
            id,
        });
        imp.handle = Arc::downgrade(&h);
        CapEntry::Import(h)
    }

    fn decode_cap_table(
        self: &Arc<Self>,
        table: capnp::struct_list::Reader<'_, cap_descriptor::Owned>,
    ) -> Result<Vec<CapEntry>> {
        table.iter().map(|d| self.decode_cap(d)).collect()
    }

    fn answer_cap(&self, aid: u32, ops: &[PipelineOp]) -> Option<CapEntry> {
        let st = self.lock();
        let (b, entries) = st.answers.get(&aid)?.results.as_ref()?;
        let hooks = ReadCx::hooks_for(entries);
        let root = b.get_root_as_reader::<message::Reader>().ok()?;
        let message::Return(Ok(ret)) = root.which().ok()? else {
            return None;
        };
        let return_::Results(Ok(payload)) = ret.which().ok()? else {
            return None;
        };
        let mut content = payload.get_content();
        content.imbue(&hooks);
        let hook = content.get_pipelined_cap(ops).ok()?;
        hook.get_ptr()
            .checked_sub(1)
            .and_then(|i| entries.get(i))
            .cloned()
    }

    fn call_promised(
        self: &Arc<Self>,
        aid: u32,
        ops: Vec<PipelineOp>,
        msg: InMessage,
    ) -> Result<()> {
        let returned = {
            let mut st = self.lock();
            match st.answers.get_mut(&aid) {
                Some(a) if !a.returned => {
                    a.pipelined.push((msg, ops));
                    return Ok(());
                }
                Some(_) => true,
                None => false,
            }
        };
        let _ = returned;
        self.pipelined_call(aid, ops, msg);
        Ok(())
    }

    fn pipelined_call(self: &Arc<Self>, aid: u32, ops: Vec<PipelineOp>, msg: InMessage) {
        match self.answer_cap(aid, &ops) {
            Some(CapEntry::Local(obj)) => self.dispatch(obj, msg).unwrap_or(()),
            _ => {
                if let Ok(q) = call_question_id(&msg) {
                    let _ = self.return_error(
                        q,
                        exception::Type::Failed,
                        "pipelined call on an answer without that capability",
                    );
                }
            }
        }
    }

    fn handle_finish(&self, qid: u32, release_result_caps: bool) {
        let release = {
            let mut st = self.lock();
            let Some(a) = st.answers.get_mut(&qid) else {
                return;
            };
            a.finished = true;
            a.release_result_caps = release_result_caps;
            if !a.returned {
                return;
            }
            // Returned out of the lock: dropping its caps may release imports, which locks.
            st.answers.remove(&qid)
        };
        let Some(mut answer) = release else { return };
        if release_result_caps {
            for id in std::mem::take(&mut answer.exported) {
                self.release_export(id, 1);
            }
        }
        drop(answer);
    }

    fn handle_return(self: &Arc<Self>, qid: u32, msg: InMessage) -> Result<()> {
        let question = self.lock().questions.remove(&qid);
        let (caps, error, no_finish) = {
            let root = msg.get_root::<message::Reader>()?;
            let message::Return(ret) = root.which()? else {
                return Err(Error::Protocol("expected a Return message".into()));
            };
            let ret = ret?;
            let no_finish = ret.get_no_finish_needed();
            match ret.which()? {
                return_::Results(p) => {
                    (self.decode_cap_table(p?.get_cap_table()?)?, None, no_finish)
                }
                return_::Exception(ex) => (Vec::new(), Some(exception_error(ex?)), no_finish),
                return_::Canceled(()) => (
                    Vec::new(),
                    Some(Error::Remote("call canceled".into())),
                    no_finish,
                ),
                _ => (
                    Vec::new(),
                    Some(Error::Unimplemented("unsupported Return variant".into())),
                    no_finish,
                ),
            }
        };
        if !no_finish {
            let mut b = Builder::new_default();
            let mut fin = b.init_root::<message::Builder>().init_finish();
            fin.set_question_id(qid);
            // Result caps are imported already and released one by one when dropped.
            fin.set_release_result_caps(false);
            self.send(&b)?;
        }
        {
            let mut st = self.lock();
            st.free_questions.push(qid);
        }
        let Some(q) = question else {
            return Err(Error::Protocol(format!(
                "Return for unknown question {qid}"
            )));
        };
        let reply = match error {
            Some(e) => Err(e),
            None => Ok((msg, caps)),
        };
        q.waiter.deliver(q.key, reply);
        Ok(())
    }

    /// Sends a Bootstrap message and waits for the peer's bootstrap capability.
    fn request_bootstrap(self: &Arc<Self>) -> Result<CapEntry> {
        let mut b = Builder::new_default();
        let (qid, key, waiter) = self.new_question()?;
        b.init_root::<message::Builder>()
            .init_bootstrap()
            .set_question_id(qid);
        self.send(&b)?;
        let (msg, caps) = waiter.wait_reply(key)?;
        let root = msg.get_root::<message::Reader>()?;
        let message::Return(Ok(ret)) = root.which()? else {
            return Err(Error::Protocol("expected a Return message".into()));
        };
        let return_::Results(Ok(payload)) = ret.which()? else {
            return Err(Error::Protocol("bootstrap returned no results".into()));
        };
        let hooks = ReadCx::hooks_for(&caps);
        let mut content = payload.get_content();
        content.imbue(&hooks);
        let client: capnp::capability::Client = content.get_as_capability()?;
        client
            .hook
            .get_ptr()
            .checked_sub(1)
            .and_then(|i| caps.get(i))
            .cloned()
            .ok_or_else(|| Error::Protocol("bootstrap returned no capability".into()))
    }

    /// Allocates a question ID whose reply goes to the current thread's waiter.
    pub(crate) fn new_question(&self) -> Result<(u32, u64, Arc<Waiter>)> {
        if self.disconnected.load(Ordering::Acquire) {
            return Err(self.disconnected_error());
        }
        if waiter::with_context(|c| c.reader_of == Some(self.id)) {
            // Only this thread reads the reply: waiting here would deadlock.
            return Err(Error::Protocol(
                "blocking IPC call from the connection's event loop thread; give the method a Context".into(),
            ));
        }
        let waiter = waiter::with_context(|c| c.waiter.clone());
        let key = NEXT_QUESTION_KEY.fetch_add(1, Ordering::Relaxed);
        let qid = {
            let mut st = self.lock();
            let qid = match st.free_questions.pop() {
                Some(q) => q,
                None => {
                    let q = st.next_question;
                    st.next_question += 1;
                    q
                }
            };
            st.questions.insert(
                qid,
                Question {
                    key,
                    waiter: waiter.clone(),
                },
            );
            qid
        };
        Ok((qid, key, waiter))
    }

    /// Forgets a question whose Call could not be sent.
    pub(crate) fn drop_question(&self, key: u64) {
        let mut st = self.lock();
        st.questions.retain(|_, q| q.key != key);
    }

    /// Decides where a call runs and runs it there.
    fn dispatch(self: &Arc<Self>, obj: Arc<dyn ServerObject>, msg: InMessage) -> Result<()> {
        let req = SERVER_REQS.fetch_add(1, Ordering::Relaxed) + 1;
        let parsed = (|| -> Result<_> {
            let root = msg.get_root::<message::Reader>()?;
            let message::Call(call) = root.which()? else {
                return Err(Error::Protocol("expected a Call message".into()));
            };
            let call = call?;
            let qid = call.get_question_id();
            let caps = self.decode_cap_table(call.get_params()?.get_cap_table()?)?;
            Ok((qid, call.get_interface_id(), call.get_method_id(), caps))
        })();
        let (qid, interface_id, method_id, caps) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let qid = call_question_id(&msg)?;
                return self.return_error(qid, exception::Type::Failed, &e.to_string());
            }
        };
        let method = if interface_id == obj.interface_id() {
            obj.method(method_id)
        } else {
            None
        };
        let Some(method) = method else {
            let reason = format!(
                "Method not implemented: interface {interface_id:#x} method {method_id} on {}",
                obj.interface_name()
            );
            return self.return_error(qid, exception::Type::Unimplemented, &reason);
        };
        self.log(
            Level::Debug,
            &format!("IPC server recv request  #{req} {}", method.params_name),
        );
        let read_cx = ReadCx {
            conn: self.clone(),
            entries: caps,
        };
        if crate::log::enabled(Level::Trace) {
            let hooks = read_cx.hooks();
            if let Ok(params) = call_params(&msg, &hooks) {
                self.log(
                    Level::Trace,
                    &format!("request data: {}", (method.format_params)(params)),
                );
            }
        }
        let Some(context_of) = method.context else {
            self.run_call(obj, method, msg, read_cx, qid, req);
            return Ok(());
        };
        let thread = (|| -> Result<Option<(CapEntry, CapEntry)>> {
            let hooks = read_cx.hooks();
            let params = call_params(&msg, &hooks)?;
            let Some(ctx) = context_of(params)? else {
                return Ok(None);
            };
            let thread = read_cx.entry(ctx.get_thread()?)?;
            let callback = read_cx.entry(ctx.get_callback_thread()?)?;
            Ok(Some((thread, callback)))
        })();
        let (thread, callback) = match thread {
            Ok(Some(t)) => t,
            Ok(None) => (CapEntry::Null, CapEntry::Null),
            Err(e) => return self.return_error(qid, exception::Type::Failed, &e.to_string()),
        };
        let target = match &thread {
            CapEntry::Local(o) => o
                .as_any()
                .downcast_ref::<ThreadServer>()
                .map(|t| t.waiter.clone()),
            _ => None,
        };
        let Some(target) = target else {
            let reason = if matches!(thread, CapEntry::Null) {
                format!(
                    "IPC server error request #{req}, no thread specified and no pool configured"
                )
            } else {
                format!("IPC server error request #{req}, invalid thread handle")
            };
            self.log(Level::Error, &reason);
            return self.return_error(qid, exception::Type::Failed, &reason);
        };
        let conn = self.clone();
        target.post(Box::new(move || {
            let conn_id = conn.id;
            let inserted = waiter::with_context(|c| {
                if c.request_threads.contains_key(&conn_id) || matches!(callback, CapEntry::Null) {
                    false
                } else {
                    c.request_threads.insert(conn_id, callback);
                    true
                }
            });
            conn.run_call(obj, method, msg, read_cx, qid, req);
            if inserted {
                let removed = waiter::with_context(|c| c.request_threads.remove(&conn_id));
                drop(removed);
            }
        }));
        Ok(())
    }

    /// Runs a call on the current thread and sends its Return.
    fn run_call(
        self: &Arc<Self>,
        obj: Arc<dyn ServerObject>,
        method: &'static crate::call::MethodInfo,
        msg: InMessage,
        read_cx: ReadCx,
        qid: u32,
        req: u64,
    ) {
        let mut b = Builder::new_default();
        let mut build_cx = BuildCx::new(self.clone());
        let mut cap_table = Vec::new();
        let mut destroy = false;
        let hooks = read_cx.hooks();
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<()> {
            let params = call_params(&msg, &hooks)?;
            let mut ret = b.init_root::<message::Builder>().init_return();
            ret.set_answer_id(qid);
            ret.set_release_param_caps(false);
            let mut content = ret.init_results().init_content();
            content.imbue_mut(&mut cap_table);
            let mut call = IncomingCall {
                params,
                results: Some(content),
                read_cx: &read_cx,
                build_cx: &mut build_cx,
                destroy: false,
                ordinal: method.ordinal,
            };
            let r = obj.dispatch(&mut call);
            destroy = call.destroy;
            r
        }));
        drop(hooks);
        drop(msg);
        if destroy {
            obj.destroy();
        }
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.message().to_string()),
            Err(panic) => Some(panic_message(&panic)),
        };
        if let Some(reason) = error {
            self.log(
                Level::Error,
                &format!(
                    "IPC server error request #{req} {} kj::Exception: {reason}",
                    method.results_name
                ),
            );
            let _ = self.return_error(qid, exception::Type::Failed, &reason);
            return;
        }
        self.log(
            Level::Debug,
            &format!("IPC server send response #{req} {}", method.results_name),
        );
        if crate::log::enabled(Level::Trace) {
            let hooks = ReadCx::hooks_for(&build_cx.entries);
            if let Ok(root) = b.get_root_as_reader::<message::Reader>() {
                if let Ok(message::Return(Ok(ret))) = root.which() {
                    if let Ok(return_::Results(Ok(p))) = ret.which() {
                        let mut content = p.get_content();
                        content.imbue(&hooks);
                        self.log(
                            Level::Trace,
                            &format!("response data: {}", (method.format_results)(content)),
                        );
                    }
                }
            }
        }
        if let Err(e) = self.finish_return(qid, b, &build_cx, &cap_table) {
            self.log(
                Level::Warning,
                &format!("IPC server could not send response #{req}: {e}"),
            );
        }
    }
}

/// The params of a Call message, imbued with the capabilities in `hooks`.
fn call_params<'a>(
    msg: &'a InMessage,
    hooks: &'a capnp::private::layout::CapTable,
) -> Result<capnp::any_pointer::Reader<'a>> {
    let root = msg.get_root::<message::Reader<'a>>()?;
    let message::Call(call) = root.which()? else {
        return Err(Error::Protocol("expected a Call message".into()));
    };
    let mut content = call?.get_params()?.get_content();
    content.imbue(hooks);
    Ok(content)
}

fn call_question_id(msg: &InMessage) -> Result<u32> {
    let root = msg.get_root::<message::Reader>()?;
    match root.which()? {
        message::Call(c) => Ok(c?.get_question_id()),
        _ => Err(Error::Protocol("expected a Call message".into())),
    }
}

fn transform_ops(pa: promised_answer::Reader<'_>) -> Result<Vec<PipelineOp>> {
    use crate::generated::rpc_capnp::promised_answer::op;
    pa.get_transform()?
        .iter()
        .map(|o| match o.which()? {
            op::Noop(()) => Ok(PipelineOp::Noop),
            op::GetPointerField(i) => Ok(PipelineOp::GetPointerField(i)),
        })
        .collect()
}

fn exception_error(ex: exception::Reader<'_>) -> Error {
    let reason = ex
        .get_reason()
        .ok()
        .and_then(|r| r.to_string().ok())
        .unwrap_or_default();
    match ex.get_type() {
        Ok(exception::Type::Disconnected) => Error::Disconnected(reason),
        Ok(exception::Type::Unimplemented) => Error::Unimplemented(reason),
        _ => Error::Remote(reason),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".into()
    }
}

/// Writes all of `parts` to `fd`, gathering them into as few `sendmsg` calls as the kernel allows.
fn send_all(fd: std::os::fd::RawFd, parts: &[&[u8]]) -> std::io::Result<()> {
    let mut index = 0;
    let mut offset = 0;
    while index < parts.len() {
        let iov: Vec<libc::iovec> = parts[index..]
            .iter()
            .enumerate()
            .take(64)
            .map(|(i, p)| {
                let p = if i == 0 { &p[offset..] } else { p };
                libc::iovec {
                    iov_base: p.as_ptr() as *mut libc::c_void,
                    iov_len: p.len(),
                }
            })
            .collect();
        // SAFETY: msghdr is plain data; we set only the iovec fields.
        let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
        hdr.msg_iov = iov.as_ptr() as *mut libc::iovec;
        hdr.msg_iovlen = iov.len() as _;
        // SAFETY: every iovec points into a live slice of `parts`.
        let n = unsafe { libc::sendmsg(fd, &hdr, libc::MSG_NOSIGNAL) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        let mut n = n as usize;
        while index < parts.len() && n >= parts[index].len() - offset {
            n -= parts[index].len() - offset;
            index += 1;
            offset = 0;
        }
        offset += n;
    }
    Ok(())
}

/// Asks for large socket buffers, so a big message crosses in few wake-ups. Best effort:
/// the kernel caps the sizes at net.core.wmem_max and rmem_max.
pub(crate) fn enlarge_buffers(stream: &UnixStream) {
    let size: libc::c_int = 4 * 1024 * 1024;
    for opt in [libc::SO_SNDBUF, libc::SO_RCVBUF] {
        // SAFETY: setsockopt reads `size` for its length; failure is harmless.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}
