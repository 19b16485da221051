//! `set_default_dtype`, as `torch.set_default_dtype`: what float literals and the float
//! factories give. The setting is global to the process, so this file is its own test
//! binary with one test, which puts float32 back at the end.
use firelight::nn::{Linear, Module};
use firelight::{DType, Tensor, get_default_dtype, set_default_dtype};

#[test]
fn the_default_dtype_reaches_literals_factories_layers_and_integer_promotion() {
    assert_eq!(get_default_dtype(), DType::F32);
    let floats = || {
        [
            Tensor::tensor([1.0, 2.0]),
            Tensor::tensor(0.5),
            Tensor::zeros(&[2]),
            Tensor::ones(&[2]),
            Tensor::full(&[2], 3.0),
            Tensor::rand(&[2]),
            Tensor::randn(&[2]),
            Linear::new(3, 2).parameters()[0].clone(),
            Tensor::arange(3) / 2,
            Tensor::arange(3).sqrt(),
            Tensor::arange(3) * 0.5,
        ]
        .map(|t| t.dtype())
    };
    assert_eq!(floats(), [DType::F32; 11]);
    set_default_dtype(DType::F64);
    assert_eq!(floats(), [DType::F64; 11]);
    // Typed data keeps its type, integers stay int64, as in PyTorch.
    assert_eq!(Tensor::tensor([1.0f32]).dtype(), DType::F32);
    assert_eq!(Tensor::tensor([1, 2]).dtype(), DType::I64);
    // A float64 default prints without a dtype, and float32 then says it.
    assert_eq!(Tensor::tensor([1.5]).to_string(), "tensor([1.5000])");
    assert_eq!(
        Tensor::tensor([1.5f32]).to_string(),
        "tensor([1.5000], dtype=torch.float32)"
    );
    // f64 draws are the same normals as the f32 ones, unrounded.
    firelight::manual_seed(1);
    let wide = Tensor::randn(&[4]).to_vec::<f64>();
    set_default_dtype(DType::F32);
    firelight::manual_seed(1);
    let narrow = Tensor::randn(&[4]).to_vec::<f32>();
    for (w, n) in wide.iter().zip(&narrow) {
        assert_eq!(*w as f32, *n);
    }
    assert_eq!(get_default_dtype(), DType::F32);
    let refused = std::panic::catch_unwind(|| set_default_dtype(DType::I64)).unwrap_err();
    let msg = refused.downcast_ref::<String>().unwrap();
    assert!(msg.contains("only floating-point types"), "{msg}");
}
