//! The thread pool the CPU kernels use, sized by [`crate::set_num_threads`].
use std::sync::{Arc, OnceLock, RwLock};

fn pool_slot() -> &'static RwLock<Option<(usize, Arc<rayon::ThreadPool>)>> {
    static POOL: OnceLock<RwLock<Option<(usize, Arc<rayon::ThreadPool>)>>> = OnceLock::new();
    POOL.get_or_init(|| RwLock::new(None))
}

/// Elementwise work below this many elements runs on the calling thread: waking other
/// threads costs more than it saves.
pub(crate) const PAR_THRESHOLD: usize = 1 << 15;

/// Sets the number of threads CPU kernels use, like `torch.set_num_threads`.
///
/// Runs with the same seed and the same thread count give bit-identical results.
///
/// ```
/// firelight::set_num_threads(1);
/// assert_eq!(firelight::get_num_threads(), 1);
/// firelight::set_num_threads(0); // back to one thread per core
/// ```
pub fn set_num_threads(n: usize) {
    let n = if n == 0 { default_threads() } else { n };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("firelight-{i}"))
        .build()
        .expect("cannot start the CPU thread pool");
    *pool_slot().write().unwrap() = Some((n, Arc::new(pool)));
}

/// The number of threads CPU kernels use.
pub fn get_num_threads() -> usize {
    pool().0
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub(crate) fn pool() -> (usize, Arc<rayon::ThreadPool>) {
    if let Some(p) = pool_slot().read().unwrap().as_ref() {
        return p.clone();
    }
    set_num_threads(0);
    pool_slot().read().unwrap().as_ref().unwrap().clone()
}

/// Runs `f` on the firelight pool when there is enough work for several threads.
pub(crate) fn maybe_par<R: Send>(work: usize, f: impl FnOnce(bool) -> R + Send) -> R {
    if work < PAR_THRESHOLD {
        return f(false);
    }
    let (n, pool) = pool();
    if n <= 1 {
        f(false)
    } else {
        pool.install(|| f(true))
    }
}
