//! Per-thread work queues and the thread-local state of the 1:1 threading model.
//!
//! Every thread that makes or serves IPC calls owns a [`Waiter`]. A thread blocked in
//! a call keeps running jobs posted to its waiter, which is how a callback made by
//! the server runs on the very client thread that is waiting for the server.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::cap::CapEntry;
use crate::conn::Reply;

/// A unit of work posted to a thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct WaiterState {
    jobs: VecDeque<Job>,
    replies: HashMap<u64, Reply>,
    /// Questions whose replies nobody will read.
    abandoned: std::collections::HashSet<u64>,
    exit: bool,
}

/// Work queue of one OS thread.
#[derive(Default)]
pub(crate) struct Waiter {
    state: Mutex<WaiterState>,
    cv: Condvar,
}

impl Waiter {
    fn lock(&self) -> MutexGuard<'_, WaiterState> {
        // A poisoned lock only means a job panicked while we held it; the queue itself is intact.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a job to run on the waiter's thread.
    pub(crate) fn post(&self, job: Job) {
        self.lock().jobs.push_back(job);
        self.cv.notify_one();
    }

    /// Delivers the reply to question `key`.
    pub(crate) fn deliver(&self, key: u64, reply: Reply) {
        let mut st = self.lock();
        if st.abandoned.remove(&key) {
            drop(st);
            drop(reply);
            return;
        }
        st.replies.insert(key, reply);
        drop(st);
        self.cv.notify_one();
    }

    /// Discards the reply to question `key`, now or when it arrives.
    pub(crate) fn abandon(&self, key: u64) {
        let mut st = self.lock();
        if let Some(reply) = st.replies.remove(&key) {
            drop(st);
            drop(reply);
        } else {
            st.abandoned.insert(key);
        }
    }

    /// Asks the thread serving this waiter to exit once its queue is empty.
    pub(crate) fn request_exit(&self) {
        self.lock().exit = true;
        self.cv.notify_one();
    }

    /// Runs posted jobs until the reply to question `key` arrives.
    pub(crate) fn wait_reply(&self, key: u64) -> Reply {
        let mut st = self.lock();
        loop {
            if let Some(reply) = st.replies.remove(&key) {
                return reply;
            }
            if let Some(job) = st.jobs.pop_front() {
                drop(st);
                job();
                st = self.lock();
                continue;
            }
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Runs posted jobs until asked to exit (the loop of a dedicated server thread).
    pub(crate) fn run_until_exit(&self) {
        let mut st = self.lock();
        loop {
            if let Some(job) = st.jobs.pop_front() {
                drop(st);
                job();
                st = self.lock();
                continue;
            }
            if st.exit {
                return;
            }
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// What the runtime knows about the current OS thread.
pub(crate) struct ThreadContext {
    /// Core's long thread name, used in client log lines.
    pub(crate) name: String,
    pub(crate) waiter: Arc<Waiter>,
    /// This thread as a `Thread` capability, passed as `callbackThread`.
    pub(crate) callback_thread: Option<CapEntry>,
    /// Per connection, the remote thread that this thread's calls run on: made by
    /// `makeThread`, or, while serving a request, the caller's `callbackThread`.
    pub(crate) request_threads: HashMap<u64, CapEntry>,
    /// The connection whose reader thread this is, if any.
    pub(crate) reader_of: Option<u64>,
    /// Whether this thread has made an IPC call yet (libmultiprocess logs the first one).
    pub(crate) made_call: bool,
}

thread_local! {
    static CONTEXT: std::cell::RefCell<Option<ThreadContext>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with the current thread's context, creating it on first use.
///
/// During thread-local destruction (a proxy dropped by another thread-local) a temporary
/// context serves the call instead of panicking.
pub(crate) fn with_context<R>(f: impl FnOnce(&mut ThreadContext) -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    let _ = CONTEXT.try_with(|c| {
        if let (Ok(mut slot), Some(f)) = (c.try_borrow_mut(), f.take()) {
            let ctx = slot.get_or_insert_with(new_context);
            out = Some(f(ctx));
        }
    });
    match (out, f) {
        (Some(r), _) => r,
        (None, Some(f)) => f(&mut new_context()),
        (None, None) => unreachable_state(),
    }
}

fn new_context() -> ThreadContext {
    ThreadContext {
        name: crate::log::long_thread_name(),
        waiter: Arc::new(Waiter::default()),
        callback_thread: None,
        request_threads: HashMap::new(),
        reader_of: None,
        made_call: false,
    }
}

/// `f` is taken only when it also produced a value.
fn unreachable_state() -> ! {
    unreachable!("with_context: closure consumed without a result")
}

/// Installs `waiter` as the current thread's waiter (for threads the runtime starts).
pub(crate) fn set_waiter(waiter: Arc<Waiter>) {
    with_context(|ctx| ctx.waiter = waiter);
}
