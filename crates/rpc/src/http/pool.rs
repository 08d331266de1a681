//! The worker threads that run JSON-RPC requests (Core's HTTP thread pool)
//! with a bounded queue of waiting requests.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

struct State {
    jobs: VecDeque<Job>,
    stopping: bool,
}

struct Inner {
    state: Mutex<State>,
    wake: Condvar,
    max_queue: usize,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fixed set of worker threads fed from a bounded queue.
pub(crate) struct Pool {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubmitError {
    /// As many jobs are waiting as the queue allows.
    Full,
    /// The pool is shutting down.
    Stopped,
}

impl Pool {
    /// Starts `threads` workers; at most `max_queue` jobs may wait.
    pub(crate) fn start(threads: usize, max_queue: usize) -> std::io::Result<Pool> {
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                stopping: false,
            }),
            wake: Condvar::new(),
            max_queue,
        });
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads.max(1) {
            let worker_inner = inner.clone();
            let handle = std::thread::Builder::new()
                .name(format!("b-httpworker.{i}"))
                .spawn(move || worker(&worker_inner));
            match handle {
                Ok(h) => handles.push(h),
                Err(e) => {
                    let pool = Pool {
                        inner,
                        threads: handles,
                    };
                    pool.stop();
                    return Err(e);
                }
            }
        }
        Ok(Pool {
            inner,
            threads: handles,
        })
    }

    /// Queues `job` unless the queue is full or the pool is stopping.
    pub(crate) fn submit(&self, job: impl FnOnce() + Send + 'static) -> Result<(), SubmitError> {
        let mut state = lock(&self.inner.state);
        if state.stopping {
            return Err(SubmitError::Stopped);
        }
        if state.jobs.len() >= self.inner.max_queue {
            return Err(SubmitError::Full);
        }
        state.jobs.push_back(Box::new(job));
        drop(state);
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Refuses new jobs, lets the workers finish the queued ones and joins them.
    pub(crate) fn stop(self) {
        lock(&self.inner.state).stopping = true;
        self.inner.wake.notify_all();
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn worker(inner: &Inner) {
    loop {
        let job = {
            let mut state = lock(&inner.state);
            loop {
                if let Some(job) = state.jobs.pop_front() {
                    break Some(job);
                }
                if state.stopping {
                    break None;
                }
                state = inner.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        match job {
            // A panicking job must not take the worker down with it.
            Some(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn bounded_queue() {
        let pool = Pool::start(1, 1).unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        pool.submit(move || {
            started_tx.send(()).unwrap();
            let _ = release_rx.recv();
        })
        .unwrap();
        started_rx.recv().unwrap();
        let (done_tx, done_rx) = mpsc::channel();
        pool.submit(move || done_tx.send(()).unwrap()).unwrap();
        assert_eq!(pool.submit(|| {}), Err(SubmitError::Full));
        release_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        pool.stop();
    }
}
