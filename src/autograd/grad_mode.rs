//! Whether ops are recorded for backward, per thread (PyTorch's grad mode).
use std::cell::Cell;

thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Restores the previous grad mode when dropped.
#[must_use = "grad mode is restored as soon as the guard is dropped"]
pub struct GradModeGuard {
    prev: bool,
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        ENABLED.with(|e| e.set(self.prev));
    }
}

fn set(enabled: bool) -> GradModeGuard {
    let prev = ENABLED.with(|e| e.replace(enabled));
    GradModeGuard { prev }
}

/// Stops recording ops for backward until the guard is dropped, like `torch.no_grad()`.
///
/// ```
/// use firelight::Tensor;
/// let w = Tensor::ones(&[3]).requires_grad_(true);
/// {
///     let _g = firelight::no_grad();
///     assert!(!(&w * 2.0).requires_grad());
/// }
/// assert!((&w * 2.0).requires_grad());
/// ```
pub fn no_grad() -> GradModeGuard {
    set(false)
}

/// Turns recording back on inside a `no_grad` region, until the guard is dropped.
///
/// ```
/// let _off = firelight::no_grad();
/// let _on = firelight::enable_grad();
/// assert!(firelight::is_grad_enabled());
/// ```
pub fn enable_grad() -> GradModeGuard {
    set(true)
}

/// True when ops on this thread are recorded for backward.
///
/// ```
/// assert!(firelight::is_grad_enabled());
/// ```
pub fn is_grad_enabled() -> bool {
    ENABLED.with(|e| e.get())
}
