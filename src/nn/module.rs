//! The `Module` trait, what every layer and model implements, and [`Visit`], what a
//! module holds, which `#[derive(Module)]` writes.
use super::StateDict;
use crate::{Device, Result, Tensor};

/// What a module holds: its own parameters, its buffers and its child modules, with their
/// names. [`Module`] builds `parameters()`, `state_dict()`, `train()`/`eval()` and the rest
/// on it.
///
/// `#[derive(Module)]` implements it from a struct's fields, as assigning them to `self`
/// registers them in PyTorch: a `Parameter` (or `Option<Parameter>`) field is a parameter,
/// a `#[module(buffer)]` `Tensor` a buffer, numbers, `bool` and `String` are ignored, and
/// every other field is a child module. You then write only `forward`:
///
/// ```
/// use firelight::nn::{Linear, Module};
/// use firelight::Tensor;
///
/// #[derive(Module)]
/// struct Net {
///     l1: Linear,
///     l2: Linear,
/// }
///
/// impl Module for Net {
///     fn forward(&self, x: &Tensor) -> Tensor {
///         self.l2.forward(&self.l1.forward(x).relu())
///     }
/// }
///
/// let model = Net { l1: Linear::new(784, 128), l2: Linear::new(128, 10) };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["l1.weight", "l1.bias", "l2.weight", "l2.bias"]);
/// ```
///
/// A module that forgets the derive does not compile, so it cannot train with no
/// parameters:
///
/// ```compile_fail,E0277
/// use firelight::nn::{Linear, Module};
/// use firelight::Tensor;
///
/// struct Net {
///     l1: Linear,
/// }
///
/// impl Module for Net { // error: `Net` does not say which parameters and submodules it holds
///     fn forward(&self, x: &Tensor) -> Tensor {
///         self.l1.forward(x)
///     }
/// }
/// ```
///
/// Write it by hand only for a layer the derive cannot describe (keeping its mode in a
/// field of its own, say); every method has a default meaning "nothing of this kind".
/// An empty `impl Visit for Swish {}` says that a module holds nothing:
///
/// ```
/// use firelight::nn::{Module, Visit};
/// use firelight::Tensor;
///
/// struct Swish;
/// impl Visit for Swish {}
/// impl Module for Swish {
///     fn forward(&self, x: &Tensor) -> Tensor {
///         x * x.sigmoid()
///     }
/// }
/// assert_eq!(Swish.forward(&Tensor::zeros(&[2])).to_vec::<f32>(), vec![0.0, 0.0]);
/// assert!(Swish.parameters().is_empty());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say which parameters and submodules it holds",
    label = "add `#[derive(Module)]` to the struct `{Self}`",
    note = "`#[derive(Module)]` registers the struct's `Parameter` fields and child modules (as assigning them to `self` does in PyTorch); `impl Module for {Self}` then needs only `forward`"
)]
pub trait Visit: Send + Sync {
    /// The parameters this module holds itself (not its children's), with their names.
    ///
    /// ```
    /// use firelight::nn::{Linear, Visit};
    /// let names: Vec<String> = Linear::new(2, 1).named_own_parameters().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["weight", "bias"]);
    /// ```
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Tensors that are state but not parameters (e.g. running means), with their names.
    ///
    /// ```
    /// use firelight::nn::{BatchNorm1d, Visit};
    /// assert_eq!(BatchNorm1d::new(3).named_own_buffers()[0].0, "running_mean");
    /// ```
    fn named_own_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The child modules, with their names (`"0"`, `"1"`, ... in a `Sequential`).
    ///
    /// ```
    /// use firelight::nn::{Linear, ReLU, Sequential, Visit};
    /// let model = Sequential::new().add(Linear::new(2, 2)).add(ReLU);
    /// assert_eq!(model.named_children()[1].0, "1");
    /// ```
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// Records train or eval mode in this module itself; only modules whose forward
    /// depends on the mode (dropout, batch norm) keep it.
    ///
    /// ```
    /// use firelight::nn::{Dropout, Visit};
    /// let d = Dropout::new(0.5);
    /// d.set_own_training(false);
    /// assert!(!d.is_training());
    /// ```
    fn set_own_training(&self, _training: bool) {}

    /// Whether the module is in training mode. Modules that keep the mode report it; the
    /// default asks the first child, and is true for modules with neither.
    ///
    /// ```
    /// use firelight::nn::{Linear, Module, Sequential, Visit};
    /// let model = Sequential::new().add(Linear::new(2, 2));
    /// model.eval();
    /// assert!(!model.is_training());
    /// ```
    fn is_training(&self) -> bool {
        self.named_children()
            .first()
            .is_none_or(|(_, c)| c.is_training())
    }
}

/// A layer or a model, like `torch.nn.Module`: [`Module::forward`] computes the output,
/// and [`Visit`] (which `#[derive(Module)]` writes) says what the module holds. Everything
/// else — `parameters()`, `named_parameters()` with PyTorch's dotted names (`"0.weight"`,
/// `"lin.bias"`), `zero_grad()`, `train()`/`eval()`, `to(device)`,
/// `state_dict()`/`load_state_dict()` — follows.
///
/// ```
/// use firelight::nn::{Linear, Module};
/// use firelight::Tensor;
///
/// #[derive(Module)]
/// struct MnistLogistic {
///     lin: Linear,
/// }
///
/// impl Module for MnistLogistic {
///     fn forward(&self, xb: &Tensor) -> Tensor {
///         self.lin.forward(xb)
///     }
/// }
///
/// let model = MnistLogistic { lin: Linear::new(784, 10) };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["lin.weight", "lin.bias"]);
/// assert_eq!(model.num_parameters(), 7850);
/// ```
///
/// `forward` belongs in `impl Module`. The derive also gives the struct the methods above
/// that need no `forward` (`parameters()`, `train()`, `state_dict()`, ...) as inherent
/// methods, so a struct with an inherent `fn forward` and no `impl Module` still trains
/// every parameter when called directly; where a `Module` is needed (`&dyn Module`, a
/// `Sequential`), it is refused, saying what to write:
///
/// ```compile_fail,E0277
/// use firelight::nn::{Linear, Module};
/// use firelight::Tensor;
///
/// #[derive(Module)]
/// struct MnistLogistic {
///     lin: Linear,
/// }
///
/// impl MnistLogistic {
///     fn forward(&self, xb: &Tensor) -> Tensor {
///         self.lin.forward(xb)
///     }
/// }
///
/// fn fit(model: &dyn Module) {}
/// let model = MnistLogistic { lin: Linear::new(784, 10) };
/// assert_eq!(model.parameters().len(), 2); // fine: the derive's inherent method
/// fit(&model); // error: `MnistLogistic` is not a `Module`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Module`",
    label = "`{Self}` has no `impl Module`",
    note = "move `fn forward` into `impl Module for {Self} {{ fn forward(&self, x: &Tensor) -> Tensor {{ ... }} }}` (a `forward` in a plain `impl {Self}` block is not the trait's); the struct needs `#[derive(Module)]` too"
)]
pub trait Module: Visit {
    /// Computes the output for a batch.
    fn forward(&self, x: &Tensor) -> Tensor;

    /// `forward`, for containers calling children through `dyn Module`: a panic in a
    /// library layer then names the line that called the container (`model.forward(&x)`)
    /// rather than a line in the layer, since `#[track_caller]` on this declaration passes
    /// the caller through the vtable. A hand-written `forward` is unaffected (it has no
    /// `#[track_caller]`, so its own panics keep their own lines). Not meant to be
    /// overridden.
    #[doc(hidden)]
    #[track_caller]
    fn forward_tracked(&self, x: &Tensor) -> Tensor {
        self.forward(x)
    }

    /// Sets training mode here and in every descendant.
    fn set_training(&self, training: bool) {
        tree::set_training(self, training)
    }

    /// Training mode (dropout active, batch norm uses batch statistics).
    fn train(&self) {
        tree::set_training(self, true)
    }

    /// Evaluation mode.
    fn eval(&self) {
        tree::set_training(self, false)
    }

    /// Every parameter of this module and its descendants, with dotted names.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        tree::named_parameters(self)
    }

    /// Every parameter of this module and its descendants (what an optimizer takes).
    fn parameters(&self) -> Vec<Tensor> {
        tree::parameters(self)
    }

    /// Every buffer of this module and its descendants, with dotted names.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        tree::named_buffers(self)
    }

    /// Frees every parameter's gradient (PyTorch 2's `zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        tree::zero_grad(self)
    }

    /// Moves every parameter and buffer (and their gradients) to `device` in place, as
    /// PyTorch's `module.to(device)` does, and returns the module, so it can end a builder
    /// chain. Build the optimizer afterwards, as the tutorial does.
    ///
    /// ```
    /// use firelight::{Device, nn::{self, Module}};
    /// let dev = Device::gpu_if_available();
    /// let model = nn::Sequential::new().add(nn::Linear::new(4, 2)).to(&dev);
    /// assert!(model.parameters().iter().all(|p| p.device() == dev));
    /// ```
    ///
    /// # Panics
    /// For a GPU that cannot be opened, or float64 parameters on the GPU.
    #[track_caller]
    fn to(self, device: &Device) -> Self
    where
        Self: Sized,
    {
        tree::move_to(&self, device);
        self
    }

    /// The number of parameter elements.
    fn num_parameters(&self) -> usize {
        tree::num_parameters(self)
    }

    /// Parameters and buffers by name, detached (sharing storage with the module).
    fn state_dict(&self) -> StateDict {
        tree::state_dict(self)
    }

    /// Copies `state` into the parameters and buffers. Fails, changing nothing, when keys
    /// are missing or unexpected or a shape or dtype differs, listing every problem.
    ///
    /// ```
    /// use firelight::nn::{Linear, Module};
    /// let a = Linear::new(4, 2);
    /// let b = Linear::new(4, 2);
    /// b.load_state_dict(&a.state_dict()).unwrap();
    /// assert_eq!(a.weight.to_vec::<f32>(), b.weight.to_vec::<f32>());
    /// let err = Linear::new(3, 2).load_state_dict(&a.state_dict()).unwrap_err();
    /// assert!(err.to_string().contains("weight"));
    /// ```
    fn load_state_dict(&self, state: &StateDict) -> Result<()> {
        tree::load_state_dict(self, state)
    }
}

/// What [`Module`]'s provided methods do, over anything that says what it holds: the
/// methods of `Module` call these, and so do the inherent methods that
/// `#[derive(Module)]` gives a struct (which work before, or without, `impl Module`).
#[doc(hidden)]
pub mod tree {
    use super::Visit;
    use crate::nn::StateDict;
    use crate::{Device, Error, Result, Tensor};

    /// `m.set_own_training(training)` here and in every descendant.
    pub fn set_training<M: Visit + ?Sized>(m: &M, training: bool) {
        m.set_own_training(training);
        for (_, c) in m.named_children() {
            set_training(c, training);
        }
    }

    /// Own parameters first, then each child's under `"child."`.
    pub fn named_parameters<M: Visit + ?Sized>(m: &M) -> Vec<(String, Tensor)> {
        let mut out = m.named_own_parameters();
        for (name, child) in m.named_children() {
            out.extend(
                named_parameters(child)
                    .into_iter()
                    .map(|(n, t)| (format!("{name}.{n}"), t)),
            );
        }
        out
    }

    /// The tensors of [`named_parameters`].
    pub fn parameters<M: Visit + ?Sized>(m: &M) -> Vec<Tensor> {
        named_parameters(m).into_iter().map(|(_, t)| t).collect()
    }

    /// Own buffers first, then each child's under `"child."`.
    pub fn named_buffers<M: Visit + ?Sized>(m: &M) -> Vec<(String, Tensor)> {
        let mut out = m.named_own_buffers();
        for (name, child) in m.named_children() {
            out.extend(
                named_buffers(child)
                    .into_iter()
                    .map(|(n, t)| (format!("{name}.{n}"), t)),
            );
        }
        out
    }

    /// Sets every parameter's gradient to `None`.
    pub fn zero_grad<M: Visit + ?Sized>(m: &M) {
        for p in parameters(m) {
            p.set_grad(None);
        }
    }

    /// Moves every parameter and buffer to `device` in place.
    #[track_caller]
    pub fn move_to<M: Visit + ?Sized>(m: &M, device: &Device) {
        for (_, t) in named_parameters(m).into_iter().chain(named_buffers(m)) {
            t.move_to_(*device);
        }
    }

    /// The number of parameter elements.
    pub fn num_parameters<M: Visit + ?Sized>(m: &M) -> usize {
        parameters(m).iter().map(Tensor::numel).sum()
    }

    /// Parameters and buffers by name, detached.
    pub fn state_dict<M: Visit + ?Sized>(m: &M) -> StateDict {
        let mut sd = StateDict::new();
        for (n, t) in named_parameters(m).into_iter().chain(named_buffers(m)) {
            sd.insert(n, t.detach());
        }
        sd
    }

    /// Checks every key, shape and dtype, then copies.
    pub fn load_state_dict<M: Visit + ?Sized>(m: &M, state: &StateDict) -> Result<()> {
        let own = state_dict(m);
        let mut problems = Vec::new();
        for (name, t) in own.iter() {
            match state.get(name) {
                None => problems.push(format!("missing key {name:?}")),
                Some(s) if s.shape() != t.shape() => problems.push(format!(
                    "size mismatch for {name:?}: the checkpoint has shape {:?}, the model {:?}",
                    s.shape(),
                    t.shape()
                )),
                Some(s) if s.dtype() != t.dtype() => problems.push(format!(
                    "dtype mismatch for {name:?}: the checkpoint has {}, the model {}",
                    s.dtype(),
                    t.dtype()
                )),
                Some(_) => {}
            }
        }
        for (name, _) in state.iter() {
            if own.get(name).is_none() {
                problems.push(format!("unexpected key {name:?}"));
            }
        }
        if !problems.is_empty() {
            return Err(Error::msg(format!(
                "load_state_dict: {}",
                problems.join("; ")
            )));
        }
        let _g = crate::no_grad();
        for (name, t) in own.iter() {
            t.copy_(state.get(name).expect("checked above"));
        }
        Ok(())
    }
}

impl<M: Module + ?Sized> Visit for Box<M> {
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        (**self).named_own_parameters()
    }
    fn named_own_buffers(&self) -> Vec<(String, Tensor)> {
        (**self).named_own_buffers()
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        (**self).named_children()
    }
    fn set_own_training(&self, training: bool) {
        (**self).set_own_training(training)
    }
    fn is_training(&self) -> bool {
        (**self).is_training()
    }
}

impl<M: Module + ?Sized> Module for Box<M> {
    #[track_caller]
    fn forward(&self, x: &Tensor) -> Tensor {
        (**self).forward_tracked(x)
    }
}
