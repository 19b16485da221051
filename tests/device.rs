//! The device API in every build: the CPU always works, and without the `gpu` feature a
//! GPU is a clear error, never a crash or a silent CPU.
use firelight::{Device, Tensor};

#[test]
fn the_cpu_is_the_default_and_moving_to_it_keeps_the_handle() {
    let x = Tensor::ones(&[3]).requires_grad_(true);
    assert_eq!(x.device(), Device::Cpu);
    assert_eq!(Device::default(), Device::Cpu);
    let y = x.to(&Device::Cpu);
    assert!(
        y.requires_grad() && y.is_leaf(),
        "the same tensor, not a copy"
    );
    assert_eq!(format!("{}", Tensor::ones(&[2])), "tensor([1., 1.])");
    assert_eq!(Device::Gpu(3).to_string(), "gpu:3");
}

#[cfg(not(feature = "gpu"))]
#[test]
fn without_the_gpu_feature_a_gpu_is_an_error_that_says_why() {
    let e = Device::gpu(0).expect_err("no GPU backend in this build");
    assert!(e.to_string().contains("--features gpu"), "{e}");
    assert_eq!(Device::gpu_if_available(), Device::Cpu);
    assert!(!Device::is_gpu_available());
    let r = std::panic::catch_unwind(|| Tensor::ones(&[2]).to(&Device::Gpu(0)));
    let e = r.expect_err("moving to a GPU must fail loudly");
    let msg = e
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("no GPU support"), "{msg}");
}
