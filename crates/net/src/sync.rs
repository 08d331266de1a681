//! Thread plumbing: an interruptible sleep (`CThreadInterrupt`) and a counting
//! semaphore whose grants travel with a connection (`CountingSemaphoreGrant`).

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Locks, carrying on with the data if another thread panicked while holding it: the
/// state kept under these locks stays consistent between statements.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A flag that wakes sleeping threads when set.
#[derive(Default)]
pub(crate) struct Interrupt {
    set: Mutex<bool>,
    cv: Condvar,
}

impl Interrupt {
    pub(crate) fn interrupt(&self) {
        *lock(&self.set) = true;
        self.cv.notify_all();
    }

    pub(crate) fn reset(&self) {
        *lock(&self.set) = false;
    }

    pub(crate) fn is_set(&self) -> bool {
        *lock(&self.set)
    }

    /// Sleeps `d`; false if interrupted meanwhile.
    pub(crate) fn sleep_for(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut g = lock(&self.set);
        while !*g {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            g = self
                .cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        false
    }
}

/// A counting semaphore.
pub(crate) struct Semaphore {
    count: Mutex<usize>,
    cv: Condvar,
}

impl Semaphore {
    pub(crate) fn new(n: usize) -> Arc<Semaphore> {
        Arc::new(Semaphore {
            count: Mutex::new(n),
            cv: Condvar::new(),
        })
    }

    /// Takes one slot without waiting.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<Grant> {
        let mut c = lock(&self.count);
        if *c == 0 {
            return None;
        }
        *c -= 1;
        Some(Grant(Some(self.clone())))
    }

    /// Waits for a slot, giving up when `stop` is set.
    pub(crate) fn acquire(self: &Arc<Self>, stop: &Interrupt) -> Option<Grant> {
        loop {
            {
                let mut c = lock(&self.count);
                if *c > 0 {
                    *c -= 1;
                    return Some(Grant(Some(self.clone())));
                }
                // Short waits so an interrupt is noticed without a shared condvar.
                let _ = self
                    .cv
                    .wait_timeout(c, Duration::from_millis(100))
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if stop.is_set() {
                return None;
            }
        }
    }

    fn release(&self) {
        *lock(&self.count) += 1;
        self.cv.notify_one();
    }
}

/// One slot of a [`Semaphore`], given back when dropped.
#[derive(Default)]
pub(crate) struct Grant(Option<Arc<Semaphore>>);

impl Drop for Grant {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            s.release();
        }
    }
}
