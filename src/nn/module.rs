//! The `Module` trait: what every layer and model implements.
use super::StateDict;
use crate::{Device, Error, Result, Tensor};

/// A layer or a model, like `torch.nn.Module`.
///
/// Implement [`Module::forward`], and describe what the module owns: its own parameters
/// ([`Module::named_own_parameters`]), buffers such as running statistics, and child
/// modules ([`Module::named_children`]). Everything else — `parameters()`,
/// `named_parameters()` with PyTorch's dotted names (`"0.weight"`, `"lin.bias"`),
/// `zero_grad()`, `train()`/`eval()`, `state_dict()`/`load_state_dict()` — follows.
///
/// ```
/// use firelight::nn::{Linear, Module, Parameter};
/// use firelight::Tensor;
///
/// struct MnistLogistic {
///     lin: Linear,
/// }
///
/// impl Module for MnistLogistic {
///     fn forward(&self, xb: &Tensor) -> Tensor {
///         self.lin.forward(xb)
///     }
///     fn named_children(&self) -> Vec<(String, &dyn Module)> {
///         vec![("lin".into(), &self.lin)]
///     }
/// }
///
/// let model = MnistLogistic { lin: Linear::new(784, 10) };
/// let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["lin.weight", "lin.bias"]);
/// assert_eq!(model.num_parameters(), 7850);
/// ```
pub trait Module: Send + Sync {
    /// Computes the output for a batch.
    fn forward(&self, x: &Tensor) -> Tensor;

    /// The parameters this module holds itself (not its children's), with their names.
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Tensors that are state but not parameters (e.g. running means), with their names.
    fn named_own_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The child modules, with their names (`"0"`, `"1"`, ... in a `Sequential`).
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// Records train or eval mode in this module itself; only modules whose forward
    /// depends on the mode (dropout, batch norm) keep it.
    fn set_own_training(&self, _training: bool) {}

    /// Whether the module is in training mode. Modules that keep the mode report it; the
    /// default asks the first child, and is true for modules with neither.
    fn is_training(&self) -> bool {
        self.named_children()
            .first()
            .is_none_or(|(_, c)| c.is_training())
    }

    /// Sets training mode here and in every descendant.
    fn set_training(&self, training: bool) {
        self.set_own_training(training);
        for (_, c) in self.named_children() {
            c.set_training(training);
        }
    }

    /// Training mode (dropout active, batch norm uses batch statistics).
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode.
    fn eval(&self) {
        self.set_training(false);
    }

    /// Every parameter of this module and its descendants, with dotted names.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = self.named_own_parameters();
        for (name, child) in self.named_children() {
            out.extend(
                child
                    .named_parameters()
                    .into_iter()
                    .map(|(n, t)| (format!("{name}.{n}"), t)),
            );
        }
        out
    }

    /// Every parameter of this module and its descendants (what an optimizer takes).
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Every buffer of this module and its descendants, with dotted names.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut out = self.named_own_buffers();
        for (name, child) in self.named_children() {
            out.extend(
                child
                    .named_buffers()
                    .into_iter()
                    .map(|(n, t)| (format!("{name}.{n}"), t)),
            );
        }
        out
    }

    /// Frees every parameter's gradient (PyTorch 2's `zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(None);
        }
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
    fn to(self, device: &Device) -> Self
    where
        Self: Sized,
    {
        let tensors = self
            .named_parameters()
            .into_iter()
            .chain(self.named_buffers());
        for (_, t) in tensors {
            t.move_to_(*device);
        }
        self
    }

    /// The number of parameter elements.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Parameters and buffers by name, detached (sharing storage with the module).
    fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::new();
        for (n, t) in self
            .named_parameters()
            .into_iter()
            .chain(self.named_buffers())
        {
            sd.insert(n, t.detach());
        }
        sd
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
        let own = self.state_dict();
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

impl<M: Module + ?Sized> Module for Box<M> {
    fn forward(&self, x: &Tensor) -> Tensor {
        (**self).forward(x)
    }
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
