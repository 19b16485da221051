//! How freed tensor memory goes back to the system.
//!
//! A training step allocates and frees the same few megabytes of activations and
//! gradients every time. glibc's malloc hands freed memory at the top of its heaps back to
//! the kernel once more than a small threshold (a few hundred KiB to a few MiB) is free,
//! so every step faulted its buffers in again: on the tutorial's CNN that was a quarter
//! of the step's time, spent zeroing pages in the kernel. PyTorch's GPU caching allocator
//! keeps freed blocks for the same reason; here we ask glibc to do the same on the CPU.

/// Asks the C allocator to keep up to [`KEEP_BYTES`] of freed memory for reuse, and to
/// serve blocks below [`MMAP_BYTES`] from its heaps rather than from fresh mappings.
///
/// Called once, when the CPU thread pool starts. This is a process-wide setting: it
/// trades a higher resident size after a peak (at most `KEEP_BYTES` more) for speed.
pub(crate) fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // From glibc's <malloc.h>.
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes malloc's tuning parameters; any value is valid.
        unsafe {
            mallopt(M_TRIM_THRESHOLD, KEEP_BYTES);
            mallopt(M_MMAP_THRESHOLD, MMAP_BYTES);
        }
    }
}

/// Freed memory malloc may keep before returning it to the system.
pub(crate) const KEEP_BYTES: i32 = 256 << 20;

/// Blocks at least this large still get their own mapping, returned on free (a dataset,
/// say), so one huge tensor does not stay resident after it is dropped.
pub(crate) const MMAP_BYTES: i32 = 32 << 20;
