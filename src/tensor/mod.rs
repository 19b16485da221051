//! The `Tensor` handle: shared storage, a strided layout, a dtype, a device, and the
//! autograd fields.
mod create;
mod display;
mod elementwise;
mod formatter;
mod index;
mod inplace;
mod linalg;
pub(crate) mod random;
mod reduce;
mod view;

pub use create::{Scalar, TensorData};
pub use display::{PrintOptions, get_printoptions, set_printoptions};
pub use elementwise::Operand;
pub use random::{Generator, manual_seed};
pub use reduce::{Dim, Dims};

use crate::autograd::{self, Backward, Node};
use crate::backend::Storage;
use crate::dtype::Element;
use crate::layout::{Layout, Shape};
use crate::{DType, Device};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Storage shared by a tensor and its views, with the version counter that in-place ops
/// bump (so backward can detect a saved tensor that was changed).
pub(crate) struct StorageCell {
    data: RwLock<Storage>,
    version: AtomicU64,
    /// The storage's device ([`Device::to_bits`]), kept beside the lock so that asking a
    /// tensor for its device takes no lock; `Module::to` moves a storage in place.
    device: AtomicU64,
}

pub(crate) struct Inner {
    pub(crate) storage: Arc<StorageCell>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    requires_grad: AtomicBool,
    pub(crate) grad: Mutex<Option<Tensor>>,
    grad_fn: Option<Arc<Node>>,
}

/// An n-dimensional array with autograd, like `torch.Tensor`.
///
/// `Tensor` is a cheap handle: `clone()` gives another handle to the **same** tensor (as
/// assigning a tensor to a new name does in Python). For PyTorch's data-copying
/// `x.clone()`, use [`Tensor::deep_clone`].
///
/// ```
/// use firelight::Tensor;
/// let x = Tensor::tensor([[1.0, 2.0], [3.0, 4.0]]);
/// let y = (&x * 2.0 + 1.0).sum(..);
/// assert_eq!(y.item::<f32>(), 24.0);
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<Inner>);

/// Wraps a dim that may be negative (`-1` is the last) into `0..ndim`, or panics naming
/// the op and the valid range, as PyTorch does.
#[track_caller]
pub(crate) fn wrap_dim(dim: i64, ndim: usize, op: &str) -> usize {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        panic!(
            "{op}: dimension out of range (expected to be in range of [{}, {}], but got {dim})",
            -n,
            n - 1
        );
    }
    (if dim < 0 { dim + n } else { dim }) as usize
}

/// Panics, naming the op and both devices as PyTorch does, when `a` and `b` live on
/// different devices.
#[track_caller]
pub(crate) fn check_same_device(op: &str, a: &Tensor, b: &Tensor) {
    let (da, db) = (a.device(), b.device());
    if da != db {
        device_mismatch(op, da, db);
    }
}

/// For a float32/float64 mismatch, where the float64 side most likely came from Rust
/// float literals (`f64`) in `Tensor::from_vec`: what to write instead.
pub(crate) fn float64_hint(a: DType, b: DType) -> &'static str {
    if matches!((a, b), (DType::F32, DType::F64) | (DType::F64, DType::F32)) {
        " (Rust float literals are f64, so `Tensor::from_vec(vec![1.0, ...], ..)` is float64: \
         `Tensor::tensor([1.0, ...])` gives the default float32, or call `.float()`)"
    } else {
        ""
    }
}

#[cold]
#[track_caller]
pub(crate) fn device_mismatch(op: &str, a: Device, b: Device) -> ! {
    panic!(
        "{op}: expected all tensors to be on the same device, but found at least two devices, {a} and {b}"
    )
}

impl Tensor {
    pub(crate) fn from_parts(
        storage: Arc<StorageCell>,
        layout: Layout,
        grad_fn: Option<Arc<Node>>,
    ) -> Tensor {
        let dtype = storage.data.read().unwrap().dtype();
        Tensor(Arc::new(Inner {
            storage,
            layout,
            dtype,
            requires_grad: AtomicBool::new(false),
            grad: Mutex::new(None),
            grad_fn,
        }))
    }

    /// A new contiguous tensor owning `storage`, recording nothing.
    #[track_caller]
    pub(crate) fn from_storage(storage: Storage, shape: &[usize]) -> Tensor {
        let cell = Arc::new(StorageCell {
            device: AtomicU64::new(storage.device().to_bits()),
            data: RwLock::new(storage),
            version: AtomicU64::new(0),
        });
        Tensor::from_parts(cell, Layout::contiguous(shape), None)
    }

    /// The result of an op on `inputs`: a new contiguous tensor owning `storage`, with a
    /// graph node when the op must be recorded. `rule` gets a detached handle to the
    /// output, for rules that reuse it (exp, sigmoid, ...).
    pub(crate) fn from_op(
        storage: Storage,
        shape: &[usize],
        name: &'static str,
        inputs: &[&Tensor],
        rule: impl FnOnce(&Tensor) -> Box<dyn Backward>,
    ) -> Tensor {
        let out = Tensor::from_storage(storage, shape);
        if !autograd::needs_grad(inputs) {
            return out;
        }
        let node = autograd::make_node(name, inputs, rule(&out));
        Tensor::from_parts(out.0.storage.clone(), out.0.layout.clone(), Some(node))
    }

    /// Records `out` (computed from `inputs` without recording, e.g. under `no_grad`) as
    /// one op named `name` with backward `rule`: composite forwards get their own node.
    pub(crate) fn record_op(
        out: Tensor,
        name: &'static str,
        inputs: &[&Tensor],
        rule: impl FnOnce(&Tensor) -> Box<dyn Backward>,
    ) -> Tensor {
        let out = out.detach();
        if !autograd::needs_grad(inputs) {
            return out;
        }
        let node = autograd::make_node(name, inputs, rule(&out));
        Tensor::from_parts(out.0.storage.clone(), out.0.layout.clone(), Some(node))
    }

    /// A view of this tensor's storage with another layout, recorded as an op.
    pub(crate) fn view_op(
        &self,
        layout: Layout,
        name: &'static str,
        rule: impl FnOnce() -> Box<dyn Backward>,
    ) -> Tensor {
        let node =
            autograd::needs_grad(&[self]).then(|| autograd::make_node(name, &[self], rule()));
        Tensor::from_parts(self.0.storage.clone(), layout, node)
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.0.storage.data.read().unwrap()
    }

    pub(crate) fn storage_mut(&self) -> RwLockWriteGuard<'_, Storage> {
        self.0.storage.data.write().unwrap()
    }

    pub(crate) fn same_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.storage, &other.0.storage)
    }

    pub(crate) fn version(&self) -> u64 {
        self.0.storage.version.load(Ordering::Relaxed)
    }

    pub(crate) fn bump_version(&self) {
        self.0.storage.version.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn grad_fn_node(&self) -> Option<&Arc<Node>> {
        self.0.grad_fn.as_ref()
    }

    /// The sizes of each dimension.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[64, 784]);
    /// assert_eq!(x.shape(), &[64, 784]);
    /// ```
    pub fn shape(&self) -> &Shape {
        &self.0.layout.shape
    }

    /// The size of one dimension; negative dims count from the end.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[64, 784]);
    /// assert_eq!(x.size(-1), 784);
    /// ```
    #[track_caller]
    pub fn size(&self, dim: i64) -> usize {
        self.shape()[wrap_dim(dim, self.dim(), "size")]
    }

    /// The number of dimensions.
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::zeros(&[2, 3]).dim(), 2);
    /// ```
    pub fn dim(&self) -> usize {
        self.0.layout.ndim()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }

    /// The device holding the storage.
    pub fn device(&self) -> Device {
        Device::from_bits(self.0.storage.device.load(Ordering::Relaxed))
    }

    /// The number of elements.
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::zeros(&[2, 3]).numel(), 6);
    /// ```
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }

    /// The strides, in elements, of each dimension.
    ///
    /// ```
    /// let x = firelight::Tensor::zeros(&[2, 3]);
    /// assert_eq!(x.stride(), vec![3, 1]);
    /// assert_eq!(x.t().stride(), vec![1, 3]);
    /// ```
    pub fn stride(&self) -> Vec<usize> {
        self.0.layout.strides.clone()
    }

    /// True when the elements are laid out in row-major order without gaps.
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }

    /// True when gradients are computed for this tensor (a leaf that asked for them, or
    /// the result of an op on such tensors).
    pub fn requires_grad(&self) -> bool {
        self.0.grad_fn.is_some() || self.0.requires_grad.load(Ordering::Relaxed)
    }

    /// Sets whether autograd records ops on this tensor, in place, and returns the same
    /// tensor (a handle to it), as PyTorch's `requires_grad_` does.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let w = (Tensor::randn(&[784, 10]) / 784f32.sqrt()).requires_grad_(true);
    /// assert!(w.requires_grad() && w.is_leaf());
    /// ```
    ///
    /// # Panics
    /// For non-float tensors, and when turning it off on a non-leaf.
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> Tensor {
        if requires_grad && !self.dtype().is_float() {
            panic!(
                "requires_grad_: only tensors of floating point dtype can require gradients, got {}",
                self.dtype()
            );
        }
        if !requires_grad && self.0.grad_fn.is_some() {
            panic!(
                "requires_grad_: you can only change requires_grad flags of leaf variables; use detach() for a non-leaf"
            );
        }
        self.0.requires_grad.store(requires_grad, Ordering::Relaxed);
        self.clone()
    }

    /// True for tensors not produced by a recorded op (user-created tensors and
    /// parameters); only leaves get `.grad` filled by backward.
    pub fn is_leaf(&self) -> bool {
        self.0.grad_fn.is_none()
    }

    /// The name of the op that produced this tensor, e.g. `Some("AddBackward0")`.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let a = Tensor::ones(&[2]).requires_grad_(true);
    /// assert_eq!((&a + &a).grad_fn(), Some("AddBackward0"));
    /// assert_eq!(a.grad_fn(), None);
    /// ```
    pub fn grad_fn(&self) -> Option<&'static str> {
        self.0.grad_fn.as_ref().map(|n| n.name())
    }

    /// The accumulated gradient, once `backward()` has reached this leaf. The returned
    /// handle shares storage with the stored gradient, so `w.grad().unwrap().zero_()`
    /// zeroes it in place, as in the tutorial.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let w = Tensor::tensor([1.0, 2.0]).requires_grad_(true);
    /// (&w * &w).sum(..).backward();
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![2.0, 4.0]);
    /// ```
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().unwrap().clone()
    }

    /// Replaces the stored gradient (`None` frees it, like `zero_grad(set_to_none=True)`).
    ///
    /// ```
    /// use firelight::Tensor;
    /// let w = Tensor::ones(&[2]).requires_grad_(true);
    /// w.set_grad(Some(Tensor::zeros(&[2])));
    /// w.set_grad(None);
    /// assert!(w.grad().is_none());
    /// ```
    #[track_caller]
    pub fn set_grad(&self, grad: Option<Tensor>) {
        if let Some(g) = &grad {
            assert_eq!(
                g.shape(),
                self.shape(),
                "set_grad: gradient shape {:?} does not match tensor shape {:?}",
                g.shape(),
                self.shape()
            );
        }
        *self.0.grad.lock().unwrap() = grad.map(|g| g.detach());
    }

    /// A tensor sharing this one's storage but cut from the graph.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let a = Tensor::ones(&[2]).requires_grad_(true);
    /// assert!(!(&a * 2.0).detach().requires_grad());
    /// ```
    pub fn detach(&self) -> Tensor {
        Tensor::from_parts(self.0.storage.clone(), self.0.layout.clone(), None)
    }

    /// This tensor's values in a fresh contiguous storage of its own, cut from the graph;
    /// reuses the storage when nothing else can see it.
    pub(crate) fn into_owned_detached(self) -> Tensor {
        let exclusive = Arc::strong_count(&self.0.storage) == 1
            && self.0.layout.offset == 0
            && self.is_contiguous()
            && self.storage_len() == self.numel();
        if exclusive {
            self.detach()
        } else {
            let s = self.storage().copy_strided(self.layout());
            Tensor::from_storage(s, self.shape())
        }
    }

    fn storage_len(&self) -> usize {
        self.storage().len()
    }

    /// Computes gradients of this scalar with respect to every leaf that requires grad,
    /// adding them into the leaves' `.grad`, then frees the graph.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::tensor([3.0]).requires_grad_(true);
    /// let y = (&x * &x).sum(..);
    /// y.backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![6.0]);
    /// ```
    ///
    /// # Panics
    /// If the tensor has more than one element (use [`Tensor::backward_with`]), does not
    /// require grad, or the graph was already freed by an earlier backward.
    #[track_caller]
    pub fn backward(&self) {
        if self.numel() != 1 {
            panic!(
                "backward: grad can be implicitly created only for scalar outputs, got shape {:?}",
                self.shape()
            );
        }
        let g = Tensor::full_with(self.shape(), 1.0, self.dtype(), self.device());
        autograd::run_backward(self, g, false);
    }

    /// Backward with an explicit gradient of this tensor (`tensor.backward(gradient)` in
    /// PyTorch), optionally keeping the graph for another backward pass.
    ///
    /// ```
    /// use firelight::Tensor;
    /// let x = Tensor::ones(&[2]).requires_grad_(true);
    /// let y = &x * 3.0;
    /// y.backward_with(&Tensor::tensor([1.0, 2.0]), true);
    /// y.backward_with(&Tensor::tensor([1.0, 2.0]), false);
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![6.0, 12.0]);
    /// ```
    #[track_caller]
    pub fn backward_with(&self, gradient: &Tensor, retain_graph: bool) {
        assert_eq!(
            gradient.shape(),
            self.shape(),
            "backward_with: gradient shape {:?} does not match tensor shape {:?}",
            gradient.shape(),
            self.shape()
        );
        autograd::run_backward(self, gradient.detach(), retain_graph);
    }

    /// The value of a one-element tensor, converted to `T`.
    ///
    /// ```
    /// let loss = firelight::Tensor::tensor(2.5);
    /// assert_eq!(loss.item::<f32>(), 2.5);
    /// assert_eq!(loss.item::<f64>(), 2.5);
    /// ```
    #[track_caller]
    pub fn item<T: Element>(&self) -> T {
        if self.numel() != 1 {
            panic!(
                "item: a Tensor with {} elements cannot be converted to a scalar",
                self.numel()
            );
        }
        self.to_vec::<T>()[0]
    }

    /// The elements in row-major order, converted to `T` (a cast, as `tolist()` would).
    ///
    /// ```
    /// let x = firelight::Tensor::arange(4).view(&[2, 2]).t();
    /// assert_eq!(x.to_vec::<i64>(), vec![0, 2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        if self.device() != Device::Cpu {
            return self.detach().to(&Device::Cpu).to_vec();
        }
        let t = if self.dtype() == T::DTYPE {
            self.clone()
        } else {
            self.detach().to_dtype(T::DTYPE)
        };
        let s = t.storage();
        let data = s.cpu().as_slice::<T>().expect("dtype checked above");
        crate::backend::cpu::strided_to_vec(data, t.layout())
    }

    /// This tensor on `device`: the same handle when it is already there, else a copy
    /// that autograd sees through (the gradient flows back to the original device), as
    /// PyTorch's `tensor.to(device)`.
    ///
    /// ```
    /// use firelight::{Device, Tensor};
    /// let dev = Device::gpu_if_available();
    /// let x = Tensor::ones(&[2]).requires_grad_(true);
    /// (x.to(&dev) * 3.0).sum(..).backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    ///
    /// # Panics
    /// For a GPU device that cannot be opened (check with [`Device::gpu`] first), and for
    /// float64 on the GPU, which WGSL cannot compute.
    #[track_caller]
    pub fn to(&self, device: &Device) -> Tensor {
        if self.device() == *device {
            return self.clone();
        }
        let storage = self.storage().to_device(self.layout(), *device);
        let from = self.device();
        Tensor::from_op(storage, self.shape(), "ToCopyBackward0", &[self], |_| {
            Box::new(crate::autograd::rules::view::ToDeviceBackward { device: from })
        })
    }

    /// Moves the storage itself to `device`, so that every handle and view of it follows
    /// (what `Module::to` needs to move parameters in place). The gradient moves too.
    #[track_caller]
    pub(crate) fn move_to_(&self, device: Device) {
        if self.device() == device {
            return;
        }
        let mut s = self.storage_mut();
        let whole = Layout::contiguous(&[s.len()]);
        *s = s.to_device(&whole, device);
        self.0
            .storage
            .device
            .store(device.to_bits(), Ordering::Relaxed);
        drop(s);
        let mut grad = self.0.grad.lock().unwrap();
        if let Some(g) = grad.take() {
            *grad = Some(g.to(&device).detach());
        }
    }
}
