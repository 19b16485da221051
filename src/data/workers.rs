//! Worker threads that fetch batches ahead of the training loop, in order.
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

pub(crate) type Fetch<B> = Arc<dyn Fn(&[usize]) -> B + Send + Sync>;

/// Batches fetched by `n` threads. Batch `i` goes to worker `i % n`, and each worker's
/// results wait in its own bounded channel, so reading the workers in turn gives the
/// batches in sampler order (as PyTorch's round-robin does) while at most `prefetch`
/// batches per worker are held ahead.
pub(crate) struct Workers<B> {
    receivers: Vec<Receiver<B>>,
    handles: Vec<Option<JoinHandle<()>>>,
    next: usize,
}

impl<B: Send + 'static> Workers<B> {
    pub(crate) fn spawn(
        fetch: &Fetch<B>,
        batches: Vec<Vec<usize>>,
        n: usize,
        prefetch: usize,
    ) -> Workers<B> {
        let batches = Arc::new(batches);
        let mut receivers = Vec::with_capacity(n);
        let mut handles = Vec::with_capacity(n);
        for w in 0..n {
            let (tx, rx) = sync_channel(prefetch);
            let (fetch, batches) = (fetch.clone(), batches.clone());
            let handle = std::thread::Builder::new()
                .name(format!("firelight-loader-{w}"))
                .spawn(move || {
                    for b in batches.iter().skip(w).step_by(n) {
                        // The loop was dropped early: stop fetching.
                        if tx.send(fetch(b)).is_err() {
                            return;
                        }
                    }
                })
                .expect("DataLoader: could not spawn a worker thread");
            receivers.push(rx);
            handles.push(Some(handle));
        }
        Workers {
            receivers,
            handles,
            next: 0,
        }
    }

    /// The next batch in order.
    ///
    /// # Panics
    /// Re-raises a worker's panic (e.g. an index out of range) with its own message.
    pub(crate) fn next_batch(&mut self) -> B {
        let w = self.next % self.receivers.len();
        self.next += 1;
        match self.receivers[w].recv() {
            Ok(b) => b,
            Err(_) => {
                let handle = self.handles[w].take().expect("worker joined once");
                match handle.join() {
                    Err(payload) => std::panic::resume_unwind(payload),
                    Ok(()) => panic!("DataLoader: worker {w} stopped before its last batch"),
                }
            }
        }
    }
}

impl<B> Drop for Workers<B> {
    fn drop(&mut self) {
        // Closing the channels first lets workers blocked on a full channel exit.
        self.receivers.clear();
        for h in self.handles.iter_mut().filter_map(Option::take) {
            let _ = h.join();
        }
    }
}
