//! Periodic tasks (Core's `CScheduler`): a thread runs each task when it falls due, and
//! `mockscheduler` moves the scheduler's clock forward on regtest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::context::lock;

type Job = Arc<dyn Fn() + Send + Sync>;

struct Task {
    every: Duration,
    /// When it is next due, on the scheduler's clock.
    due: Duration,
    job: Job,
}

struct State {
    tasks: Vec<Task>,
    /// How far `mockscheduler` moved the clock.
    forward: Duration,
}

/// The node's scheduler.
pub struct Scheduler {
    start: Instant,
    state: Mutex<State>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Scheduler {
    /// A scheduler with no tasks; [`Scheduler::spawn`] starts its thread.
    pub fn new() -> Arc<Scheduler> {
        Arc::new(Scheduler {
            start: Instant::now(),
            state: Mutex::new(State {
                tasks: Vec::new(),
                forward: Duration::ZERO,
            }),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        })
    }

    fn clock(&self, state: &State) -> Duration {
        self.start.elapsed() + state.forward
    }

    /// Runs `job` every `every`, first after one interval (`scheduleEvery`).
    pub fn schedule_every(&self, every: Duration, job: impl Fn() + Send + Sync + 'static) {
        let mut s = lock(&self.state);
        let due = self.clock(&s) + every;
        s.tasks.push(Task {
            every,
            due,
            job: Arc::new(job),
        });
        self.wake.notify_all();
    }

    /// Takes the jobs due now, rescheduling each.
    fn due_jobs(&self) -> Vec<Job> {
        let mut s = lock(&self.state);
        let now = self.clock(&s);
        let mut jobs = Vec::new();
        for t in s.tasks.iter_mut() {
            if t.due <= now {
                jobs.push(t.job.clone());
                t.due = now + t.every;
            }
        }
        jobs
    }

    /// Moves the clock forward by `delta` and runs what falls due before returning
    /// (`MockForward`; running here makes the effect visible to the caller at once).
    pub fn mock_forward(&self, delta: Duration) {
        lock(&self.state).forward += delta;
        for job in self.due_jobs() {
            job();
        }
    }

    /// Starts the scheduler thread (`schedulerThread`).
    pub fn spawn(self: &Arc<Self>) {
        let me = self.clone();
        let _ = std::thread::Builder::new()
            .name("b-scheduler".into())
            .spawn(move || {
                while !me.stop.load(Ordering::SeqCst) {
                    for job in me.due_jobs() {
                        job();
                    }
                    let s = lock(&me.state);
                    let _ = me.wake.wait_timeout(s, Duration::from_millis(500));
                }
            });
    }

    /// Stops the thread after its current task.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }
}
