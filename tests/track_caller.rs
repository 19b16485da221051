//! A panic from misusing the public API names the user's line, not a line inside the
//! library (issue 12 item 6): the public ops, and every helper between them and the
//! `panic!`, carry `#[track_caller]`. Each test calls an op wrongly and checks that the
//! panic's location is this file at the line of the call, and, for some, that the message
//! is still the full one.
//!
//! A panic hook records the location per thread (tests run in parallel threads), and only
//! while [`caught`] runs, so a failing assertion still prints as usual.
use firelight::data::{DataLoader, Dataset, TensorDataset};
use firelight::nn::functional as F;
use firelight::nn::init;
use firelight::nn::{BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential};
use firelight::optim::lr_scheduler::StepLR;
use firelight::optim::{Adam, Optimizer, Sgd};
use firelight::{DType, Device, Tensor};
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::sync::Once;

/// Where a panic happened, and what it said.
#[derive(Debug)]
struct Caught {
    file: String,
    line: u32,
    message: String,
}

thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CAPTURING.with(Cell::get) {
                return default(info);
            }
            let payload = info.payload();
            let message = match payload.downcast_ref::<String>() {
                Some(s) => s.clone(),
                None => payload.downcast_ref::<&str>().unwrap_or(&"").to_string(),
            };
            let (file, line) = info
                .location()
                .map_or((String::new(), 0), |l| (l.file().to_string(), l.line()));
            LAST.with(|c| {
                *c.borrow_mut() = Some(Caught {
                    file,
                    line,
                    message,
                })
            });
        }));
    });
}

/// Runs `f`, which must panic, and returns where and how.
fn caught(f: impl FnOnce() + UnwindSafe) -> Caught {
    install_hook();
    LAST.with(|c| c.borrow_mut().take());
    CAPTURING.with(|c| c.set(true));
    let result = std::panic::catch_unwind(f);
    CAPTURING.with(|c| c.set(false));
    assert!(result.is_err(), "expected a panic");
    LAST.with(|c| c.borrow_mut().take())
        .expect("the hook saw the panic")
}

/// The file and line of the panic `f` raises.
fn location_of(f: impl FnOnce() + UnwindSafe) -> (String, u32) {
    let c = caught(f);
    (c.file, c.line)
}

/// Evaluates the expression, which must panic, asserts that the panic names this file at
/// the line of the `here!` (write the call on that line), and gives the message.
macro_rules! here {
    ($e:expr) => {{
        let want = line!();
        let c = caught(AssertUnwindSafe(|| {
            let _ = $e;
        }));
        assert_eq!(
            (c.file.as_str(), c.line),
            (file!(), want),
            "the panic {:?} points inside the library",
            c.message
        );
        c.message
    }};
}

fn m(rows: usize, cols: usize) -> Tensor {
    Tensor::zeros(&[rows, cols])
}

#[test]
fn the_hook_reports_this_file_and_line() {
    let ((file, line), want) = (location_of(|| panic!("here")), line!());
    assert_eq!((file.as_str(), line), (file!(), want));
    let ((file, line), want) = (location_of(|| drop(m(3, 4).matmul(&m(5, 6)))), line!());
    assert_eq!((file.as_str(), line), (file!(), want));
}

#[test]
fn matmul_family() {
    let msg = here!(m(3, 4).matmul(&m(5, 6)));
    assert_eq!(
        msg,
        "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (3x4 and 5x6)"
    );
    here!(Tensor::zeros(&[4]).matmul(&m(5, 6)));
    here!(m(3, 4).matmul(&Tensor::zeros(&[5])));
    here!(Tensor::zeros(&[2, 3, 4]).matmul(&Tensor::zeros(&[3, 4, 5])));
    here!(m(3, 4).mm(&Tensor::zeros(&[4])));
    here!(Tensor::scalar(1.0f32).matmul(&m(1, 1)));
    let msg = here!(m(2, 2).matmul(&m(2, 2).double()));
    assert!(
        msg.contains("float32 and torch.float64") && msg.contains(".float()"),
        "{msg}"
    );
    let b = Tensor::zeros(&[2, 2]).to_dtype(DType::Bool);
    here!(b.matmul(&b));
}

#[test]
fn operators_that_do_not_broadcast() {
    let (a, b) = (m(2, 3), Tensor::zeros(&[4]));
    let msg = here!(&a + &b);
    assert_eq!(
        msg,
        "add: shapes [2, 3] and [4] cannot be broadcast together"
    );
    here!(&a - &b);
    here!(a.clone() * &b);
    here!(&a / b.clone());
    here!(a.clone() + b.clone());
    let bools = Tensor::zeros(&[2]).to_dtype(DType::Bool);
    here!(&bools - &bools);
    here!(-&bools);
}

#[test]
fn elementwise_methods_and_comparisons() {
    let (a, b) = (m(2, 3), Tensor::zeros(&[4]));
    here!(a.add(&b));
    here!(a.sub(&b));
    here!(a.mul(&b));
    here!(a.div(&b));
    here!(a.pow(&b));
    here!(a.maximum(&b));
    here!(a.minimum(&b));
    here!(a.eq(&b));
    here!(a.lt(&b));
    here!(a.ge(&b));
    here!(a.clamp(1.0, 0.0));
    here!(Tensor::zeros(&[2]).to_dtype(DType::Bool).relu());
    let msg = here!(Tensor::where_(&a, &a, &a));
    assert!(
        msg.contains("where: condition must be a bool tensor, got torch.float32"),
        "{msg}"
    );
    here!(Tensor::where_(&b.gt(0.0), &a, &a));
    here!(a.masked_fill(&b.gt(0.0), 1.0));
}

#[test]
fn views() {
    let x = m(2, 3);
    let msg = here!(x.view(&[7]));
    assert_eq!(msg, "view: shape [7] is invalid for input of size 6");
    let msg = here!(x.t().view(&[6]));
    assert!(msg.contains("use reshape instead"), "{msg}");
    here!(x.view(&[-1, -1]));
    here!(x.reshape(&[4, 2]));
    here!(x.reshape(&[-1, 4]));
    let msg = here!(x.transpose(0, 2));
    assert_eq!(
        msg,
        "transpose: dimension out of range (expected to be in range of [-2, 1], but got 2)"
    );
    here!(Tensor::zeros(&[2, 3, 4]).t());
    here!(x.permute(&[0]));
    here!(x.permute(&[0, 0]));
    here!(x.permute(&[0, 5]));
    here!(x.narrow(1, 2, 2));
    here!(x.narrow(3, 0, 1));
    here!(x.slice(2, 0..1));
    here!(x.select(0, 2));
    here!(x.unsqueeze(3));
    here!(x.squeeze(2));
    here!(x.expand(&[4, 3]));
    here!(x.expand(&[3]));
    here!(x.expand_as(&m(4, 3)));
    here!(x.flatten(1, 0));
    here!(x.flatten(0, 2));
    here!(x.size(2));
}

#[test]
fn item_and_conversions() {
    let msg = here!(m(2, 3).item::<f32>());
    assert_eq!(
        msg,
        "item: a Tensor with 6 elements cannot be converted to a scalar"
    );
    here!(Tensor::zeros(&[0]).item::<f32>());
    here!(m(1, 1).to(&Device::Gpu(99)));
    here!(Tensor::full_with(&[2], 0.0, DType::F32, Device::Gpu(99)));
    here!(Linear::new(2, 2).to(&Device::Gpu(99)));
    here!(Tensor::arange(3).requires_grad_(true));
    here!(firelight::set_default_dtype(DType::I64));
}

#[test]
fn cat_and_stack() {
    let msg = here!(Tensor::cat(&[&m(2, 3), &m(2, 4)], 0));
    assert!(
        msg.contains("tensor 0 has shape [2, 3], tensor 1 has [2, 4]"),
        "{msg}"
    );
    here!(Tensor::cat(&[], 0));
    here!(Tensor::cat(&[&m(2, 3), &m(2, 3)], 2));
    here!(Tensor::cat(
        &[&m(2, 3), &Tensor::arange(3).view(&[1, 3])],
        0
    ));
    here!(Tensor::stack(&[&m(2, 3), &m(3, 2)], 0));
    here!(Tensor::stack(&[&m(2, 3)], 3));
}

#[test]
fn gather_and_index_select() {
    let x = m(3, 4);
    let msg = here!(x.index_select(0, &Tensor::tensor([0, 3])));
    assert_eq!(
        msg,
        "index_select: index 3 is out of bounds for dimension 0 with size 3"
    );
    here!(x.index_select(1, &Tensor::tensor([-1])));
    here!(x.index_select(0, &Tensor::tensor([0.0])));
    here!(x.index_select(2, &Tensor::tensor([0])));
    here!(x.gather(1, &Tensor::tensor([0, 1])));
    here!(x.gather(1, &Tensor::tensor([[0], [1]]).to_dtype(DType::F32)));
    here!(x.gather(1, &Tensor::zeros(&[4, 1]).long()));
    let msg = here!(x.gather(1, &Tensor::tensor([[0], [4], [1]])));
    assert_eq!(
        msg,
        "gather: index 4 is out of bounds for dimension 1 with size 4"
    );
    here!(x.index(&[&Tensor::tensor([5])]));
    here!(x.index(&[&Tensor::tensor([0, 1]), &Tensor::tensor([0, 1, 2])]));
}

#[test]
fn backward_misuse() {
    let w = Tensor::ones(&[3]).requires_grad_(true);
    let msg = here!((&w * 2.0).backward());
    assert_eq!(
        msg,
        "backward: grad can be implicitly created only for scalar outputs, got shape [3]"
    );
    here!(m(1, 1).sum(..).backward());
    let y = (&w * &w).sum(..);
    y.backward();
    let msg = here!(y.backward());
    assert!(
        msg.contains("backward through the graph a second time"),
        "{msg}"
    );
    here!((&w * 2.0).backward_with(&Tensor::ones(&[2]), false));
    here!(w.set_grad(Some(Tensor::ones(&[2]))));
}

#[test]
fn reductions() {
    let x = m(2, 3);
    let msg = here!(x.sum(5));
    assert_eq!(
        msg,
        "sum: dimension out of range (expected to be in range of [-2, 1], but got 5)"
    );
    here!(x.sum([0, 0]));
    here!(x.sum_keepdim(-3));
    here!(x.mean(2));
    here!(Tensor::arange(3).mean(..));
    here!(x.argmax(3));
    here!(x.argmin_keepdim(3));
    here!(x.max(3));
    here!(x.min_keepdim(2));
    here!(Tensor::zeros(&[0]).max(..));
    here!(Tensor::zeros(&[2, 0]).argmax(1));
    here!(x.logsumexp(4));
    here!(F::softmax(&x, 2));
    here!(F::log_softmax(&x, -3));
}

#[test]
fn creation_checks_shapes() {
    let msg = here!(Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[2, 2]));
    assert_eq!(
        msg,
        "from_vec: 3 values cannot fill shape [2, 2] (4 elements)"
    );
    here!(Tensor::from_slice(&[1i64, 2], &[3]));
    here!(Tensor::tensor(vec![vec![1.0, 2.0], vec![3.0]]));
    here!(Tensor::arange_step(0, 5, 0));
    here!(Tensor::randint(3, 3, &[2]));
    here!(Tensor::rand_with(&[2], DType::I64, Device::Cpu));
}

#[test]
fn in_place_ops() {
    let x = m(2, 3);
    let msg = here!(x.copy_(&m(3, 2)));
    assert_eq!(
        msg,
        "copy_: source of shape [3, 2] cannot be broadcast to the destination shape [2, 3]"
    );
    here!(x.add_(m(2, 4)));
    here!(x.sub_(Tensor::zeros(&[2, 2, 3])));
    here!(x.mul_(m(3, 3)));
    here!(x.div_(Tensor::zeros(&[4])));
    here!(Tensor::arange(3).add_(0.5));
    here!(Tensor::arange(3).div_(2));
    let w = Tensor::ones(&[3]).requires_grad_(true);
    here!(w.add_(1.0));
    here!(w.fill_(0.0));
    here!(w.zero_());
    let mut y = m(2, 3);
    here!(y += &m(2, 2));
    here!(y -= m(3, 3));
    here!(y *= &Tensor::zeros(&[4]));
    here!(y /= &Tensor::zeros(&[5]));
}

#[test]
fn layers_forward() {
    let x = m(64, 100);
    let msg = here!(Linear::new(784, 10).forward(&x));
    assert_eq!(
        msg,
        "matmul: shapes [64, 100] and [784, 10] cannot be multiplied (64x100 and 784x10)"
    );
    let img = Tensor::zeros(&[2, 3, 8, 8]);
    let msg = here!(Conv2d::new(1, 4, 3).forward(&img));
    assert!(
        msg.contains("expected input[2, 3, 8, 8] to have 1 channels"),
        "{msg}"
    );
    here!(Conv2d::new(3, 4, 3).forward(&x));
    here!(Conv2d::new(3, 4, 9).forward(&img));
    here!(Conv2d::new(4, 4, 3).groups(3));
    here!(MaxPool2d::new(9).forward(&img));
    here!(firelight::nn::AvgPool2d::new(9).forward(&img));
    here!(firelight::nn::AdaptiveAvgPool2d::new(0).forward(&img));
    here!(BatchNorm2d::new(4).forward(&img));
    here!(firelight::nn::Flatten::new().start_dim(5).forward(&img));
    here!(ReLU.forward(&Tensor::zeros(&[2]).to_dtype(DType::Bool)));
    here!(Dropout::new(1.5));
    here!(init::kaiming_uniform_(
        &Tensor::zeros(&[3]),
        0.0,
        init::FanMode::FanIn
    ));
}

#[test]
fn sequential_names_the_callers_line() {
    let model = Sequential::new()
        .add(Linear::new(784, 10))
        .add(ReLU)
        .add(Linear::new(10, 10));
    let msg = here!(model.forward(&m(64, 100)));
    assert!(
        msg.starts_with("matmul: shapes [64, 100] and [784, 10]"),
        "{msg}"
    );
    let nested = Sequential::new().add(Sequential::new().add(Linear::new(4, 2)));
    here!(nested.forward(&m(3, 5)));
    let boxed: Box<dyn Module> = Box::new(Linear::new(4, 2));
    here!(boxed.forward(&m(3, 5)));
    here!(&model[3]);
}

#[test]
fn functional_ops() {
    let logits = m(4, 10);
    let msg = here!(F::cross_entropy(&logits, &Tensor::tensor([1, 2])));
    assert_eq!(
        msg,
        "cross_entropy: expected target of shape [4] for input of shape [4, 10], got [2]"
    );
    let msg = here!(F::cross_entropy(&logits, &Tensor::tensor([1, 2, 10, 0])));
    assert!(
        msg.starts_with("cross_entropy: target 10 is out of bounds for 10 classes"),
        "{msg}"
    );
    let msg = here!(F::nll_loss(&logits, &Tensor::tensor([1.0, 2.0, 3.0, 0.0])));
    assert!(msg.contains("expected target of dtype int64"), "{msg}");
    let opts = F::CrossEntropyOptions::new().weight(&Tensor::ones(&[3]));
    here!(F::cross_entropy_with(
        &logits,
        &Tensor::tensor([1, 2, 3, 0]),
        opts
    ));
    let msg = here!(F::mse_loss(&logits, &Tensor::zeros(&[4])));
    assert_eq!(
        msg,
        "sub: shapes [4, 10] and [4] cannot be broadcast together"
    );
    here!(F::binary_cross_entropy_with_logits(&logits, &m(4, 1)));
    here!(F::linear(&logits, &m(3, 4), None));
    let img = Tensor::zeros(&[1, 1, 4, 4]);
    let msg = here!(F::avg_pool2d(&img, 5));
    assert!(msg.starts_with("avg_pool2d: "), "{msg}");
    here!(F::max_pool2d(&img, 5));
    here!(F::avg_pool2d(&m(4, 4), 2));
    here!(F::adaptive_avg_pool2d(&img.long(), 2));
    here!(F::conv2d(&img, &Tensor::zeros(&[2, 2, 3, 3]), None));
    here!(F::conv2d(
        &img,
        &Tensor::zeros(&[2, 1, 3, 3]),
        Some(&Tensor::zeros(&[3]))
    ));
    here!(F::dropout(&img, -0.5, true));
    here!(F::relu(&Tensor::zeros(&[1]).to_dtype(DType::Bool)));
    here!(F::leaky_relu(&m(2, 2), 0.1).add(m(3, 3)));
}

#[test]
fn optimizers_and_schedulers() {
    let msg = here!(Sgd::new(vec![], 0.1));
    assert_eq!(
        msg,
        "SGD: optimizer got an empty parameter list (model.parameters() returned no tensors)"
    );
    let w = Tensor::ones(&[2]).requires_grad_(true);
    here!(Sgd::new(vec![Tensor::ones(&[2])], 0.1));
    here!(Sgd::new(vec![&w * 2.0], 0.1));
    here!(Sgd::new(vec![w.clone(), w.clone()], 0.1));
    here!(Sgd::new(vec![w.clone()], -1.0));
    here!(Sgd::new(vec![w.clone()], 0.1).momentum(-0.5));
    here!(Adam::new(vec![], 1e-3));
    here!(Adam::new(vec![w.clone()], 1e-3).betas((1.5, 0.9)));
    here!(firelight::optim::AdamW::new(vec![w.clone()], 1e-3).eps(-1.0));
    let mut opt = Sgd::new(vec![w.clone()], 0.1).nesterov(true);
    here!(opt.step());
    let mut sgd = Sgd::new(vec![w.clone()], 0.1);
    here!(sgd.add_param_group(firelight::optim::ParamGroup::new(vec![w.clone()])));
    here!(StepLR::new(&mut sgd, 0, 0.1));
    here!(firelight::optim::clip_grad_norm_(
        std::slice::from_ref(&w),
        1.0,
        -2.0
    ));
}

#[test]
fn data_loading() {
    let (x, y) = (m(10, 2), Tensor::arange(9));
    let msg = here!(TensorDataset::new(x.clone(), y));
    assert!(msg.ends_with("got lengths [10, 9]"), "{msg}");
    let ds = TensorDataset::new(x, Tensor::arange(10));
    here!(ds.get(10));
    let msg = here!(DataLoader::new(ds.clone()).batch_size(0));
    assert_eq!(
        msg,
        "DataLoader: batch_size must be a positive integer, got 0"
    );
    here!(DataLoader::new(ds.clone()).prefetch_factor(0));
    let sampler = firelight::data::SequentialSampler::new(20);
    here!(DataLoader::new(ds.clone()).sampler(sampler));
    here!(firelight::data::Subset::new(
        std::sync::Arc::new(ds.clone()),
        vec![10]
    ));
    here!(firelight::data::random_split(ds.clone(), [3, 3]));
    here!(TensorDataset::from(Tensor::scalar(1.0f32)));
}
