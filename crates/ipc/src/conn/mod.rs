//! One Cap'n Proto RPC connection (two-party, level 1): the message loop, the four
//! tables of the protocol (questions, answers, exports, imports), and sending.
//!
//! Any thread may send; one reader thread per connection (`b-capnp-loop`) reads.
//! Calls whose params carry a `Context` run on the thread it names; the others run
//! on the reader thread, as in libmultiprocess.
//!
//! - `caps.rs`: the export and import tables and cap descriptors;
//! - `server.rs`: calls we answer (dispatch to threads, Return, pipelining, Finish);
//! - `client.rs`: questions we ask (Bootstrap, Return, Finish);
//! - `wire.rs`: framing and socket helpers.

mod caps;
mod client;
mod server;
mod wire;

use wire::{call_question_id, enlarge_buffers, panic_message, send_all, transform_ops};

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
    /// Whether this side asked to close, so the end of the stream is expected.
    closed_locally: AtomicBool,
    /// Set, with a notification, once shutdown has finished.
    closed: (Mutex<bool>, std::sync::Condvar),
    disconnect_reason: OnceLock<String>,
    loop_tag: OnceLock<String>,
    bootstrap: Option<Arc<dyn ServerObject>>,
    pub(crate) thread_map: Arc<ThreadMapServer>,
    pub(crate) peer_thread_map: Mutex<Option<CapEntry>>,
    /// Threads made by `ThreadMap.makePool` for calls that name no thread.
    pub(crate) pool: Mutex<Vec<crate::threads::PoolSlot>>,
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
            closed_locally: AtomicBool::new(false),
            closed: (Mutex::new(false), std::sync::Condvar::new()),
            disconnect_reason: OnceLock::new(),
            loop_tag: OnceLock::new(),
            bootstrap,
            thread_map: Arc::new(ThreadMapServer),
            peer_thread_map: Mutex::new(None),
            pool: Mutex::new(Vec::new()),
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
        self.inner.closed_locally.store(true, Ordering::Release);
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
        let pool = std::mem::take(&mut *self.pool.lock().unwrap_or_else(|e| e.into_inner()));
        drop(pool);
        *self
            .peer_thread_map
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        if self.incoming {
            self.log(Level::Info, "IPC server: socket disconnected.");
        } else {
            if self.closed_locally.load(Ordering::Acquire) {
                self.log(Level::Debug, &format!("IPC connection closed: {reason}"));
            } else {
                self.log(Level::Warning, "IPC client: unexpected network disconnect.");
            }
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
                        let obj = {
                            let mut st = self.lock();
                            // The answer exists from now on, so an early Finish (a cancel) is kept.
                            st.answers.entry(qid).or_default();
                            st.exports.get(&id).map(|e| e.obj.clone())
                        };
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
                        self.call_promised(qid, aid, ops, msg)
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
}
