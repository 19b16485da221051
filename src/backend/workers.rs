//! The threads that share a kernel's blocks with the calling thread.
//!
//! A training step of a small model runs a few dozen parallel kernels of 50 to 500 µs
//! each. Handing each one to a rayon pool cost two thread wake-ups (the caller sleeps
//! while the pool works): on the tutorial's CNN two threads were no faster than one.
//! Here the caller takes blocks itself, next to the workers, and idle workers spin for a
//! short while before they sleep, so back-to-back kernels find them awake, as OpenMP's
//! threads do for PyTorch.
//!
//! Blocks are claimed from an atomic counter; each block writes only its own output, so
//! the result does not depend on which thread ran which block.
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker keeps looking for the next job before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

/// One parallel loop: `tasks` calls of `f`, claimed through `next`.
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    tasks: usize,
    next: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Job<'_> {
    /// Runs blocks until none is left; a panicking block is kept to be re-raised by the
    /// caller, and the other blocks still run so the caller's wait ends.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, SeqCst);
            if i >= self.tasks {
                return;
            }
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| (self.f)(i))) {
                self.panic.lock().unwrap().get_or_insert(e);
            }
        }
    }
}

struct Shared {
    /// Bumped for every job, and to wake workers to stop.
    epoch: AtomicUsize,
    /// The current job, type-erased; null between jobs.
    job: AtomicPtr<()>,
    /// Workers that may be looking at `job`.
    busy: AtomicUsize,
    /// Workers asleep (or about to sleep) on `wake`.
    sleepers: AtomicUsize,
    stop: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// `threads - 1` workers; the caller of [`Workers::run`] is the last thread.
pub(crate) struct Workers {
    shared: Arc<Shared>,
    /// One job at a time: a second caller (another user thread, or a kernel inside a
    /// block) runs its loop alone instead of waiting.
    dispatch: Mutex<()>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    pub(crate) fn new(threads: usize) -> Workers {
        let shared = Arc::new(Shared {
            epoch: AtomicUsize::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            busy: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        });
        let handles = (1..threads.max(1))
            .map(|i| {
                let s = shared.clone();
                std::thread::Builder::new()
                    .name(format!("firelight-worker-{i}"))
                    .spawn(move || worker(&s))
                    .expect("cannot start a CPU worker thread")
            })
            .collect();
        Workers {
            shared,
            dispatch: Mutex::new(()),
            handles,
        }
    }

    /// Calls `f(0..tasks)`, sharing the calls between the caller and the workers;
    /// returns when all are done. A panic in `f` is raised again here.
    pub(crate) fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        let guard = match self.dispatch.try_lock() {
            Ok(g) if !self.handles.is_empty() && tasks > 1 => g,
            _ => return (0..tasks).for_each(f),
        };
        let job = Job {
            f,
            tasks,
            next: AtomicUsize::new(0),
            panic: Mutex::new(None),
        };
        let s = &self.shared;
        s.job.store(&job as *const Job as *mut (), SeqCst);
        s.epoch.fetch_add(1, SeqCst);
        if s.sleepers.load(SeqCst) > 0 {
            let _l = s.lock.lock().unwrap();
            s.wake.notify_all();
        }
        job.work();
        // No worker may enter after this, and those inside finish their blocks: the job
        // lives on this stack frame.
        s.job.store(std::ptr::null_mut(), SeqCst);
        while s.busy.load(SeqCst) > 0 {
            std::hint::spin_loop();
        }
        drop(guard);
        if let Some(e) = job.panic.into_inner().unwrap() {
            resume_unwind(e);
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let s = &self.shared;
        s.stop.store(true, SeqCst);
        s.epoch.fetch_add(1, SeqCst);
        {
            let _l = s.lock.lock().unwrap();
            s.wake.notify_all();
        }
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker(s: &Shared) {
    // The epoch the pool started at, not a fresh load: a thread that starts late must
    // still see the jobs (or the stop) posted before it ran.
    let mut seen = 0;
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        while s.epoch.load(SeqCst) == seen {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && start.elapsed() > SPIN {
                // Announce the sleep before the last look at `epoch`: a caller bumps
                // `epoch` before it reads `sleepers`, so one of the two sees the other.
                let mut l = s.lock.lock().unwrap();
                s.sleepers.fetch_add(1, SeqCst);
                while s.epoch.load(SeqCst) == seen && !s.stop.load(SeqCst) {
                    l = s.wake.wait(l).unwrap();
                }
                s.sleepers.fetch_sub(1, SeqCst);
                break;
            }
        }
        seen = s.epoch.load(SeqCst);
        if s.stop.load(SeqCst) {
            return;
        }
        // Counted as busy before looking at the job, so the caller cannot free it
        // between the look and the work.
        s.busy.fetch_add(1, SeqCst);
        let p = s.job.load(SeqCst);
        if !p.is_null() {
            // SAFETY: the caller keeps the job alive until `busy` drops to zero, and
            // cleared `job` before waiting, so a non-null `job` seen while busy is live.
            let job = unsafe { &*(p as *const Job) };
            job.work();
        }
        s.busy.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_once() {
        let w = Workers::new(3);
        for tasks in [0, 1, 2, 7, 100] {
            let hits: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
            w.run(tasks, &|i| {
                hits[i].fetch_add(1, SeqCst);
            });
            assert!(hits.iter().all(|h| h.load(SeqCst) == 1), "tasks {tasks}");
        }
    }

    #[test]
    fn jobs_after_the_workers_slept_still_finish() {
        let w = Workers::new(2);
        let count = AtomicUsize::new(0);
        for _ in 0..3 {
            std::thread::sleep(SPIN * 3);
            w.run(8, &|_| {
                count.fetch_add(1, SeqCst);
            });
        }
        assert_eq!(count.load(SeqCst), 24);
    }

    #[test]
    fn a_panic_in_a_task_reaches_the_caller() {
        let w = Workers::new(2);
        let r = catch_unwind(AssertUnwindSafe(|| {
            w.run(4, &|i| {
                if i == 2 {
                    panic!("block 2 failed");
                }
            })
        }));
        let msg = r.unwrap_err().downcast::<&str>().unwrap();
        assert_eq!(*msg, "block 2 failed");
        // The pool still works afterwards.
        let count = AtomicUsize::new(0);
        w.run(5, &|_| {
            count.fetch_add(1, SeqCst);
        });
        assert_eq!(count.load(SeqCst), 5);
    }

    #[test]
    fn nested_runs_do_not_deadlock() {
        let w = Workers::new(2);
        let count = AtomicUsize::new(0);
        w.run(4, &|_| {
            w.run(3, &|_| {
                count.fetch_add(1, SeqCst);
            });
        });
        assert_eq!(count.load(SeqCst), 12);
    }
}
