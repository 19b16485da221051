//! Loss functions and `linear`, as in `torch.nn.functional`.
use crate::autograd::Saved;
use crate::autograd::rules::loss::{ClassLossBackward, Reduced};
use crate::backend::ClassLoss;
use crate::{DType, Tensor, no_grad};

/// How a loss reduces its per-element values, like PyTorch's `reduction=` argument.
///
/// ```
/// use firelight::nn::functional::Reduction;
/// assert_eq!(Reduction::default(), Reduction::Mean);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Per-element losses (`'none'`).
    None,
    /// Their mean (`'mean'`, the default); weighted losses divide by the total weight.
    #[default]
    Mean,
    /// Their sum (`'sum'`).
    Sum,
}

impl Reduction {
    #[track_caller]
    fn apply(self, loss: Tensor) -> Tensor {
        match self {
            Reduction::None => loss,
            Reduction::Mean => loss.mean(..),
            Reduction::Sum => loss.sum(..),
        }
    }
}

keyword_options! {
    /// The keyword arguments of [`nll_loss_with`], starting from PyTorch's defaults: no class
    /// weights, `ignore_index` -100, the mean.
    ///
    /// ```
    /// use firelight::nn::functional::{NllLossOptions, Reduction};
    /// let o = NllLossOptions::new().reduction(Reduction::Sum);
    /// assert_eq!((o.ignore_index, o.reduction), (-100, Reduction::Sum));
    /// ```
    #[derive(Clone, Debug)]
    pub struct NllLossOptions {
        /// A weight per class (`[C]`), treated as a constant; `None` weighs all classes 1.
        weight: Option<Tensor> = None,
        fn weight(weight: &Tensor) => Some(weight.clone()),
        example: "assert!(NllLossOptions::new().weight(&Tensor::ones(&[10])).weight.is_some());";
        /// Targets equal to this contribute neither loss, gradient nor weight (default -100).
        ignore_index: i64 = -100,
        fn ignore_index(ignore_index: i64) => ignore_index,
        example: "assert_eq!(NllLossOptions::new().ignore_index(0).ignore_index, 0);";
        /// How per-sample losses are reduced (default the mean over the targets' total weight).
        reduction: Reduction = Reduction::Mean,
        fn reduction(reduction: Reduction) => reduction,
        example: "assert_eq!(NllLossOptions::new().reduction(Reduction::None).reduction, Reduction::None);";
    }
}

keyword_options! {
    /// The keyword arguments of [`cross_entropy_with`], starting from PyTorch's defaults: no
    /// class weights, `ignore_index` -100, the mean, no label smoothing.
    ///
    /// ```
    /// use firelight::nn::functional::CrossEntropyOptions;
    /// let o = CrossEntropyOptions::new().label_smoothing(0.1);
    /// assert_eq!((o.ignore_index, o.label_smoothing), (-100, 0.1));
    /// ```
    #[derive(Clone, Debug)]
    pub struct CrossEntropyOptions {
        /// A weight per class (`[C]`), treated as a constant; `None` weighs all classes 1.
        weight: Option<Tensor> = None,
        fn weight(weight: &Tensor) => Some(weight.clone()),
        example: "assert!(CrossEntropyOptions::new().weight(&Tensor::ones(&[10])).weight.is_some());";
        /// Targets equal to this contribute neither loss, gradient nor weight (default -100).
        ignore_index: i64 = -100,
        fn ignore_index(ignore_index: i64) => ignore_index,
        example: "assert_eq!(CrossEntropyOptions::new().ignore_index(0).ignore_index, 0);";
        /// How per-sample losses are reduced (default the mean over the targets' total weight).
        reduction: Reduction = Reduction::Mean,
        fn reduction(reduction: Reduction) => reduction,
        example: "assert_eq!(CrossEntropyOptions::new().reduction(Reduction::Sum).reduction, Reduction::Sum);";
        /// In `[0, 1]`: the target becomes `(1 - s) * onehot + s / C` (default 0).
        label_smoothing: f64 = 0.0,
        fn label_smoothing(label_smoothing: f64) => label_smoothing,
        example: "assert_eq!(CrossEntropyOptions::new().label_smoothing(0.1).label_smoothing, 0.1);";
    }
}

keyword_options! {
    /// The keyword arguments of [`mse_loss_with`], starting from PyTorch's default: the mean.
    ///
    /// ```
    /// use firelight::nn::functional::{MseLossOptions, Reduction};
    /// assert_eq!(MseLossOptions::new().reduction, Reduction::Mean);
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MseLossOptions {
        /// How per-element losses are reduced (default the mean).
        reduction: Reduction = Reduction::Mean,
        fn reduction(reduction: Reduction) => reduction,
        example: "assert_eq!(MseLossOptions::new().reduction(Reduction::Sum).reduction, Reduction::Sum);";
    }
}

keyword_options! {
    /// The keyword arguments of [`binary_cross_entropy_with_logits_with`], starting from
    /// PyTorch's defaults: no weights, the mean.
    ///
    /// ```
    /// use firelight::nn::functional::BceWithLogitsOptions;
    /// assert!(BceWithLogitsOptions::new().pos_weight.is_none());
    /// ```
    #[derive(Clone, Debug)]
    pub struct BceWithLogitsOptions {
        /// A weight per element (broadcast with the input).
        weight: Option<Tensor> = None,
        fn weight(weight: &Tensor) => Some(weight.clone()),
        example: "assert!(BceWithLogitsOptions::new().weight(&Tensor::ones(&[3])).weight.is_some());";
        /// A weight of the positive term, per class (broadcast along the last dim).
        pos_weight: Option<Tensor> = None,
        fn pos_weight(pos_weight: &Tensor) => Some(pos_weight.clone()),
        example: "assert!(BceWithLogitsOptions::new().pos_weight(&Tensor::ones(&[3])).pos_weight.is_some());";
        /// How per-element losses are reduced (default the mean).
        reduction: Reduction = Reduction::Mean,
        fn reduction(reduction: Reduction) => reduction,
        example: "assert_eq!(BceWithLogitsOptions::new().reduction(Reduction::Sum).reduction, Reduction::Sum);";
    }
}

/// The shared fused op: checks, kernel, reduction, and one `NllLossBackward0` node.
#[track_caller]
fn class_loss(
    op: &'static str,
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
    smoothing: f64,
    log_softmax: bool,
) -> Tensor {
    assert!(
        input.dtype().is_float(),
        "{op}: input must be a float tensor, got {}",
        input.dtype()
    );
    assert_eq!(
        target.dtype(),
        DType::I64,
        "{op}: expected target of dtype int64 (class indices), got {}",
        target.dtype()
    );
    assert!(
        (0.0..=1.0).contains(&smoothing),
        "{op}: label_smoothing must be between 0.0 and 1.0, got {smoothing}"
    );
    if input.dim() == 1 {
        assert_eq!(
            target.dim(),
            0,
            "{op}: for input of shape {:?} expected a 0-dim target, got shape {:?}",
            input.shape(),
            target.shape()
        );
        let out = class_loss(
            op,
            &input.unsqueeze(0),
            &target.reshape(&[1]),
            weight,
            ignore_index,
            reduction,
            smoothing,
            log_softmax,
        );
        return if reduction == Reduction::None {
            out.reshape(&[])
        } else {
            out
        };
    }
    assert!(
        input.dim() >= 2,
        "{op}: input must be [C], [N, C] or [N, C, d1, ...], got shape {:?}",
        input.shape()
    );
    let (n, c) = (input.shape()[0], input.shape()[1]);
    let mut sample_shape = vec![n];
    sample_shape.extend_from_slice(&input.shape()[2..]);
    assert!(
        **target.shape() == *sample_shape,
        "{op}: expected target of shape {sample_shape:?} for input of shape {:?}, got {:?}",
        input.shape(),
        target.shape()
    );
    let weight = match weight {
        Some(w) => {
            assert!(
                **w.shape() == [c],
                "{op}: weight must have shape [{c}] (one per class) for input of shape {:?}, got {:?}",
                input.shape(),
                w.shape()
            );
            Some(w.detach().to_dtype(input.dtype()))
        }
        None => None,
    };
    let spec = ClassLoss {
        n,
        c,
        inner: input.shape()[2..].iter().product(),
        ignore_index,
        smoothing,
        log_softmax,
        op,
    };
    let (loss, mass) = {
        let ws = weight.as_ref().map(|w| w.storage());
        input.storage().class_loss(
            input.layout(),
            &target.storage(),
            target.layout(),
            ws.as_deref().zip(weight.as_ref().map(|w| w.layout())),
            &spec,
        )
    };
    let loss = Tensor::from_storage(loss, &sample_shape);
    let mass = Tensor::from_storage(mass, &sample_shape);
    let (out, denom, reduced) = {
        let _g = no_grad();
        match reduction {
            Reduction::None => (loss, mass, Reduced::None),
            Reduction::Sum => (loss.sum(..), mass, Reduced::Sum),
            Reduction::Mean => {
                let d = mass.sum(..);
                (loss.sum(..) / &d, d, Reduced::Mean)
            }
        }
    };
    let sample_shape: Vec<i64> = sample_shape.iter().map(|&s| s as i64).collect();
    Tensor::record_op(out, "NllLossBackward0", &[input], |_| {
        Box::new(ClassLossBackward {
            x: Saved::new(input),
            target: target.clone(),
            weight,
            spec,
            reduced,
            sample_shape,
            denom,
        })
    })
}

/// The negative log-likelihood of class-index `target` under log-probabilities `input`,
/// averaged over the batch, like `F.nll_loss(input, target)`. `input` is `[N, C]` (or
/// `[C]`, or `[N, C, d1, ...]` with target `[N, d1, ...]`); `target` is int64.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let logp = Tensor::tensor([[-0.5, -1.0], [-2.0, -0.1]]);
/// let y = Tensor::tensor([1, 0]);
/// assert_eq!(F::nll_loss(&logp, &y).item::<f32>(), 1.5);
/// ```
///
/// # Panics
/// If `target` is not int64, its shape does not match `input`'s, or a target is out of
/// `[0, C)` and is not the ignore index.
#[track_caller]
pub fn nll_loss(input: &Tensor, target: &Tensor) -> Tensor {
    nll_loss_with(input, target, NllLossOptions::new())
}

/// [`nll_loss`] with class weights, an ignore index and a reduction, as PyTorch defines
/// them: a sample's loss is `-weight[t] * input[t]`, and the mean divides by the sum of the
/// weights of the non-ignored targets.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let logp = Tensor::tensor([[-0.5, -1.0], [-2.0, -0.1]]);
/// let y = Tensor::tensor([1, 0]);
/// let w = Tensor::tensor([3.0, 1.0]);
/// // F.nll_loss(logp, y, weight=w): (1 * 1.0 + 3 * 2.0) / (1 + 3)
/// let loss = F::nll_loss_with(&logp, &y, F::NllLossOptions::new().weight(&w));
/// assert_eq!(loss.item::<f32>(), 1.75);
/// ```
///
/// # Panics
/// As [`nll_loss`], and if the weight is not `[C]`.
#[track_caller]
pub fn nll_loss_with(input: &Tensor, target: &Tensor, options: NllLossOptions) -> Tensor {
    class_loss(
        "nll_loss",
        input,
        target,
        options.weight.as_ref(),
        options.ignore_index,
        options.reduction,
        0.0,
        false,
    )
}

/// Cross-entropy of class-index `target` under logits `input`, as `F.cross_entropy`: a
/// fused `nll_loss(log_softmax(input, 1), target)`, computed in one pass with its own
/// backward `softmax - onehot` (its node is `NllLossBackward0`, as PyTorch's).
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[0.0, 0.0, 0.0, 0.0]]);
/// let y = Tensor::tensor([2]);
/// let loss = F::cross_entropy(&x, &y);
/// assert!((loss.item::<f32>() - 4f32.ln()).abs() < 1e-6);
/// ```
///
/// # Panics
/// As [`nll_loss`].
#[track_caller]
pub fn cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    cross_entropy_with(input, target, CrossEntropyOptions::new())
}

/// [`cross_entropy`] with class weights, an ignore index, a reduction and label smoothing,
/// as PyTorch defines them: a sample's loss is `(1 - s) * w[t] * -logp[t] + s / C *
/// sum_k w[k] * -logp[k]`, and the mean divides by the sum of `w[t]` over non-ignored
/// targets.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([[0.0, 0.0]]);
/// let y = Tensor::tensor([0]);
/// // F.cross_entropy(x, y, label_smoothing=0.2)
/// let loss = F::cross_entropy_with(&x, &y, F::CrossEntropyOptions::new().label_smoothing(0.2));
/// assert!((loss.item::<f32>() - 2f32.ln()).abs() < 1e-6);
/// ```
///
/// # Panics
/// As [`nll_loss_with`], and if `label_smoothing` is outside `[0, 1]`.
#[track_caller]
pub fn cross_entropy_with(input: &Tensor, target: &Tensor, options: CrossEntropyOptions) -> Tensor {
    class_loss(
        "cross_entropy",
        input,
        target,
        options.weight.as_ref(),
        options.ignore_index,
        options.reduction,
        options.label_smoothing,
        true,
    )
}

/// The mean squared error `mean((input - target)^2)`, like `F.mse_loss` (the two
/// broadcast, as in PyTorch).
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let a = Tensor::tensor([1.0, 2.0]);
/// let b = Tensor::tensor([0.0, 4.0]);
/// assert_eq!(F::mse_loss(&a, &b).item::<f32>(), 2.5);
/// ```
#[track_caller]
pub fn mse_loss(input: &Tensor, target: &Tensor) -> Tensor {
    mse_loss_with(input, target, MseLossOptions::new())
}

/// [`mse_loss`] with keyword arguments, like `F.mse_loss(a, b, reduction='none')`.
///
/// ```
/// use firelight::{nn::functional::{self as F, Reduction}, Tensor};
/// let a = Tensor::tensor([1.0, 2.0]);
/// let b = Tensor::tensor([0.0, 4.0]);
/// let none = F::MseLossOptions::new().reduction(Reduction::None);
/// assert_eq!(F::mse_loss_with(&a, &b, none).to_vec::<f32>(), vec![1.0, 4.0]);
/// ```
///
/// # Panics
/// If the shapes do not broadcast.
#[track_caller]
pub fn mse_loss_with(input: &Tensor, target: &Tensor, options: MseLossOptions) -> Tensor {
    options.reduction.apply((input - target).pow(2))
}

/// Binary cross-entropy of probabilities `sigmoid(input)` against `target` in `[0, 1]`,
/// in the numerically stable form, like `F.binary_cross_entropy_with_logits`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::tensor([0.0, 200.0]);
/// let y = Tensor::tensor([1.0, 1.0]);
/// let l = F::binary_cross_entropy_with_logits(&x, &y).item::<f32>();
/// assert!((l - 2f32.ln() / 2.0).abs() < 1e-6);
/// ```
///
/// # Panics
/// If `target`'s shape differs from `input`'s.
#[track_caller]
pub fn binary_cross_entropy_with_logits(input: &Tensor, target: &Tensor) -> Tensor {
    binary_cross_entropy_with_logits_with(input, target, BceWithLogitsOptions::new())
}

/// [`binary_cross_entropy_with_logits`] with element weights, `pos_weight` and a
/// reduction: `-w * (pos_weight * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x)))`.
///
/// ```
/// use firelight::{nn::functional::{self as F, Reduction}, Tensor};
/// let x = Tensor::tensor([0.0]);
/// let y = Tensor::tensor([1.0]);
/// let opts = F::BceWithLogitsOptions::new()
///     .pos_weight(&Tensor::tensor([3.0]))
///     .reduction(Reduction::Sum);
/// let l = F::binary_cross_entropy_with_logits_with(&x, &y, opts).item::<f32>();
/// assert!((l - 3.0 * 2f32.ln()).abs() < 1e-6);
/// ```
///
/// # Panics
/// As [`binary_cross_entropy_with_logits`].
#[track_caller]
pub fn binary_cross_entropy_with_logits_with(
    input: &Tensor,
    target: &Tensor,
    options: BceWithLogitsOptions,
) -> Tensor {
    assert!(
        input.shape() == target.shape(),
        "binary_cross_entropy_with_logits: target size {:?} must be the same as input size {:?}",
        target.shape(),
        input.shape()
    );
    // log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|)), never overflowing.
    let softplus_neg = input.neg().clamp_min(0.0) + (input.abs().neg().exp() + 1.0).log();
    let pos = match &options.pos_weight {
        Some(pw) => (pw - 1.0) * target + 1.0,
        None => target.ones_like(),
    };
    let loss = (1.0 - target) * input + pos * softplus_neg;
    options.reduction.apply(match &options.weight {
        Some(w) => loss * w,
        None => loss,
    })
}

/// `x @ weight.t() + bias`, like `F.linear`, with PyTorch's weight layout `[out, in]`.
///
/// ```
/// use firelight::{nn::functional as F, Tensor};
/// let x = Tensor::ones(&[2, 3]);
/// let w = Tensor::ones(&[4, 3]);
/// let b = Tensor::ones(&[4]);
/// let y = F::linear(&x, &w, Some(&b));
/// assert_eq!(y.shape(), &[2, 4]);
/// assert_eq!(y.to_vec::<f32>(), vec![4.0; 8]);
/// ```
///
/// # Panics
/// If the last dim of `x` is not `weight`'s second, or `bias` is not `[out]`.
#[track_caller]
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    assert!(
        weight.dim() == 2 && x.dim() >= 1 && x.shape()[x.dim() - 1] == weight.shape()[1],
        "linear: input {:?} and weight {:?} (expected [out, in] with in = the input's last dim)",
        x.shape(),
        weight.shape()
    );
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => {
            assert!(
                **b.shape() == [weight.shape()[0]],
                "linear: bias {:?} must be [{}] for weight {:?}",
                b.shape(),
                weight.shape()[0],
                weight.shape()
            );
            y + b
        }
        None => y,
    }
}
