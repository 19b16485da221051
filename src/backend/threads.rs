//! The threads the CPU kernels use, sized by [`crate::set_num_threads`]: our own
//! [`Workers`] for the kernels' blocks, and a rayon pool for gemm and reductions.
use super::workers::Workers;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::sync::{Arc, OnceLock, RwLock};

type Pools = (usize, Arc<rayon::ThreadPool>, Arc<Workers>);

fn pool_slot() -> &'static RwLock<Option<Pools>> {
    static POOL: OnceLock<RwLock<Option<Pools>>> = OnceLock::new();
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
    static MEMORY: std::sync::Once = std::sync::Once::new();
    MEMORY.call_once(crate::backend::cpu::memory::keep_freed_memory);
    let n = if n == 0 { default_threads() } else { n };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("firelight-{i}"))
        .build()
        .expect("cannot start the CPU thread pool");
    let workers = Arc::new(Workers::new(n));
    *pool_slot().write().unwrap() = Some((n, Arc::new(pool), workers));
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

fn pools() -> Pools {
    if let Some(p) = pool_slot().read().unwrap().as_ref() {
        return p.clone();
    }
    set_num_threads(0);
    pool_slot().read().unwrap().as_ref().unwrap().clone()
}

pub(crate) fn pool() -> (usize, Arc<rayon::ThreadPool>) {
    let (n, pool, _) = pools();
    (n, pool)
}

/// Runs `f(i, block)` for every block of `out` cut into blocks of `chunk` elements (the
/// last may be shorter), shared between the calling thread and the workers when `work`
/// is at least `min_work`; otherwise in order on the calling thread.
pub(crate) fn for_each_block_mut<T: Send>(
    out: &mut [T],
    chunk: usize,
    work: usize,
    min_work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if chunk == 0 || out.is_empty() {
        return;
    }
    let blocks = out.len().div_ceil(chunk);
    let (n, _, workers) = pools();
    if n <= 1 || blocks == 1 || work < min_work {
        return out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
    let len = out.len();
    let base = SendPtr(out.as_mut_ptr());
    workers.run(blocks, &|i| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: blocks are disjoint ranges of `out`, each handed to one call, and `out`
        // stays borrowed until run returns.
        let block = unsafe { std::slice::from_raw_parts_mut(base.get().add(start), end - start) };
        f(i, block)
    });
}

/// A new vector of `len` elements made block by block as in [`for_each_block_mut`]: the
/// block covering `range` holds what `f(range)` yields. Each element is written once, by
/// the thread that makes its block.
///
/// # Panics
/// If `f` yields fewer or more values than its range is long.
pub(crate) fn collect_blocks<T: Send, I: Iterator<Item = T>>(
    len: usize,
    chunk: usize,
    work: usize,
    min_work: usize,
    f: impl Fn(std::ops::Range<usize>) -> I + Sync,
) -> Vec<T> {
    let chunk = chunk.max(1);
    let mut v: Vec<MaybeUninit<T>> = Vec::with_capacity(len);
    // SAFETY: MaybeUninit needs no initialization.
    unsafe { v.set_len(len) };
    for_each_block_mut(&mut v, chunk, work, min_work, |i, block| {
        let mut values = f(i * chunk..i * chunk + block.len());
        for e in block.iter_mut() {
            e.write(
                values
                    .next()
                    .expect("collect_blocks: a block yielded too few values"),
            );
        }
        assert!(
            values.next().is_none(),
            "collect_blocks: a block yielded too many values"
        );
    });
    let mut v = ManuallyDrop::new(v);
    // SAFETY: every block, hence every element, was written above (a short block panics
    // before this point); MaybeUninit<T> has T's layout.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast::<T>(), len, v.capacity()) }
}

/// A new vector of `len` elements made block by block as in [`for_each_block_mut`]: each
/// block is first set to `init` (by the thread that then fills it, so the memory is
/// touched once, in cache, and in parallel) and then handed to `f`. For kernels that
/// write every element through slice methods; [`collect_blocks`] avoids the fill.
pub(crate) fn vec_by_blocks<T: Copy + Send + Sync>(
    len: usize,
    init: T,
    chunk: usize,
    work: usize,
    min_work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) -> Vec<T> {
    let mut v: Vec<MaybeUninit<T>> = Vec::with_capacity(len);
    // SAFETY: MaybeUninit needs no initialization.
    unsafe { v.set_len(len) };
    for_each_block_mut(&mut v, chunk.max(1), work, min_work, |i, block| {
        for e in block.iter_mut() {
            e.write(init);
        }
        // SAFETY: every element of the block was just initialized.
        let block = unsafe { &mut *(block as *mut [MaybeUninit<T>] as *mut [T]) };
        f(i, block)
    });
    let mut v = ManuallyDrop::new(v);
    // SAFETY: every block, hence every element, was initialized above; MaybeUninit<T>
    // has T's layout.
    unsafe { Vec::from_raw_parts(v.as_mut_ptr().cast::<T>(), len, v.capacity()) }
}

/// A pointer that may cross threads. Users hand disjoint parts of one buffer to the
/// workers; see the SAFETY notes where it is used.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// SAFETY: see above: every use writes disjoint elements only.
unsafe impl<T: Send> Sync for SendPtr<T> {}
unsafe impl<T: Send> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// A method, so closures capture the whole (Sync) wrapper, not the raw field.
    pub(crate) fn get(&self) -> *mut T {
        self.0
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_blocks_fills_every_block_in_place() {
        // Above the threshold, so the blocks are shared with the workers when there are any.
        let v = collect_blocks(10_001, 64, 10_001, 0, |r| r.map(|i| i * 3));
        assert_eq!(v, (0..10_001).map(|i| i * 3).collect::<Vec<_>>());
        assert!(collect_blocks(0, 8, 0, 0, |r| r).is_empty());
    }

    #[test]
    #[should_panic(expected = "too few values")]
    fn collect_blocks_refuses_a_short_block() {
        collect_blocks(100, 10, 100, 0, |r| r.skip(1));
    }
}
