//! Ctrl-C during `fit`: the first SIGINT only raises a flag, which the training loop reads
//! between batches, so the run stops at a point where every file in its folder is whole
//! and can say how to resume. A second Ctrl-C stops the process at once, as usual.
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C has been pressed since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Replaces the default SIGINT action (which ends the process wherever it is) with
/// raising the flag. A process started with SIGINT ignored (`nohup`, a shell's background
/// job) keeps ignoring it, as its starter asked.
#[cfg(unix)]
pub fn install() {
    extern "C" fn on_sigint(_: libc::c_int) {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // The user does not want to wait for the batch to end: die by SIGINT, as
            // without the handler (every write in the run folder is atomic, so this is
            // safe too). Both calls are async-signal-safe.
            // SAFETY: restoring the default action and re-raising is allowed in a handler.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::raise(libc::SIGINT);
            }
        }
    }
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler only
    // touches an atomic and async-signal-safe calls. SA_RESTART keeps file reads and
    // writes in progress from failing with EINTR.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old) != 0
            || old.sa_sigaction == libc::SIG_IGN
        {
            return;
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Elsewhere Ctrl-C keeps its default action; the folder is still safe (atomic writes).
#[cfg(not(unix))]
pub fn install() {}
