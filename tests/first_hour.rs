//! The code a PyTorch user writes from memory in the first hour (issue 12), each case
//! either meaning what it means in PyTorch or refused with a message saying what to do.
//! The cases that are refused at compile time are `compile_fail` doctests: a struct
//! without `#[derive(Module)]` (`nn::Visit`), `forward` outside `impl Module`
//! (`nn::Module`), `TensorDataset::new((x, y))` (`data::TensorDataset`), `x.sum()`
//! (`Dims`), `x.argmax()` (`Dim`). An empty optimizer is in `optim_parity.rs`, a
//! two-layer derived model's training in `nn_derive.rs`.
use firelight::data::{DataLoader, Dataset, TensorDataset};
use firelight::{DType, Tensor};

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    match err.downcast_ref::<String>() {
        Some(s) => s.clone(),
        None => err.downcast_ref::<&str>().unwrap_or(&"").to_string(),
    }
}

/// The tutorial's accuracy, `(torch.argmax(out, dim=1) == yb).float().mean()`.
#[test]
fn argmax_over_dim_1_is_the_predicted_class_per_row() {
    let out = Tensor::tensor([
        [0.1, 2.0, 0.3],
        [5.0, 0.0, 1.0],
        [0.0, 0.1, 0.2],
        [1.0, 3.0, 2.0],
    ]);
    let yb = Tensor::tensor([1, 0, 1, 1]);
    let preds = out.argmax(1);
    assert_eq!(preds.to_vec::<i64>(), vec![1, 0, 2, 1]);
    assert_eq!(preds.eq(&yb).float().mean(..).item::<f32>(), 0.75);
    // The flattened index is asked for by name.
    assert_eq!(out.argmax(..).item::<i64>(), 3);
    let (values, indices) = out.max(1);
    assert_eq!(values.to_vec::<f32>(), vec![2.0, 5.0, 0.2, 3.0]);
    assert_eq!(indices.to_vec::<i64>(), preds.to_vec::<i64>());
}

/// The tutorial's hand-written `log_softmax`, `x - x.exp().sum(-1).log().unsqueeze(-1)`:
/// rows of probabilities that each sum to one.
#[test]
fn sum_over_the_last_dim_normalises_each_row() {
    let x = Tensor::tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]);
    let log_softmax = &x - x.exp().sum(-1).log().unsqueeze(-1);
    let row_sums = log_softmax.exp().sum(-1).to_vec::<f32>();
    for s in row_sums {
        assert!((s - 1.0).abs() < 1e-6, "{s}");
    }
    assert_eq!(x.sum(..).item::<f32>(), 6.0);
    assert_eq!(x.mean(1).to_vec::<f32>(), vec![2.0, 0.0]);
}

/// `TensorDataset(x_train, y_train)` and a loop over `(xb, yb)`.
#[test]
fn tensor_dataset_of_inputs_and_labels_gives_pairs() {
    let x = Tensor::randn(&[10, 784]);
    let y = Tensor::arange(10);
    let ds = TensorDataset::new(x, y);
    assert_eq!(ds.len(), 10);
    let (xi, yi) = ds.get(3);
    assert_eq!((xi.shape().to_vec(), yi.item::<i64>()), (vec![784], 3));
    let dl = DataLoader::new(ds).batch_size(4);
    let sizes: Vec<(usize, usize)> = dl
        .iter()
        .map(|(xb, yb)| (xb.shape()[0], yb.shape()[0]))
        .collect();
    assert_eq!(sizes, [(4, 4), (4, 4), (2, 2)]);
}

/// `torch.tensor([[1.0, 2.0], [3.0, 4.0]]) @ torch.randn(2, 3)`.
#[test]
fn float_literals_make_float32_tensors_that_multiply_with_randn() {
    let a = Tensor::tensor([[1.0, 2.0], [3.0, 4.0]]);
    assert_eq!(a.dtype(), DType::F32);
    let w = Tensor::tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]);
    assert_eq!(
        a.matmul(&w).to_vec::<f32>(),
        vec![1.0, 2.0, 2.0, 3.0, 4.0, 6.0]
    );
    assert_eq!(a.matmul(&Tensor::randn(&[2, 3])).shape(), &[2, 3]);
    assert_eq!(
        Tensor::tensor(vec![vec![1, 2], vec![3, 4]]).dtype(),
        DType::I64
    );
    // `from_vec` keeps the Rust type, so f64 literals there are float64; mixing them with
    // float32 is refused, and the message says what to write.
    let f64s = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(f64s.dtype(), DType::F64);
    let msg = panic_message(|| {
        f64s.matmul(&Tensor::randn(&[2, 3]));
    });
    assert!(
        msg.contains("got torch.float64 and torch.float32") && msg.contains("Tensor::tensor"),
        "{msg}"
    );
}

#[test]
fn ragged_rows_are_refused_naming_the_dim() {
    let msg = panic_message(|| {
        Tensor::tensor(vec![vec![1.0, 2.0], vec![3.0]]);
    });
    assert!(msg.contains("length 2 at dim 1 (got 1)"), "{msg}");
}
