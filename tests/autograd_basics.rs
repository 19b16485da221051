//! Behaviour of the autograd engine: accumulation, no_grad, retain_graph, version checks.
use firelight::Tensor;

#[test]
fn gradients_accumulate_until_zeroed() {
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    (&w * &w).sum(..).backward();
    (&w * &w).sum(..).backward();
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![4.0, 8.0]);
    w.grad().unwrap().zero_();
    (&w * 3.0).sum(..).backward();
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
}

#[test]
fn shared_subexpression_gets_summed_gradient() {
    let x = Tensor::from_vec(vec![2.0f64], &[1]).requires_grad_(true);
    let y = &x * 3.0;
    let z = (&y * &y + &y).sum(..); // z = 9x^2 + 3x, dz/dx = 18x + 3
    z.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![39.0]);
}

#[test]
fn no_grad_records_nothing() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let y = {
        let _g = firelight::no_grad();
        &w * 2.0
    };
    assert!(!y.requires_grad());
    assert!(y.grad_fn().is_none());
}

#[test]
fn stored_grad_has_no_graph() {
    let w = Tensor::ones(&[3]).requires_grad_(true);
    (&w * 2.0).sum(..).backward();
    let g = w.grad().unwrap();
    assert!(!g.requires_grad());
    assert!(g.is_leaf());
}

#[test]
#[should_panic(expected = "backward through the graph a second time")]
fn graph_is_freed_after_backward() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let loss = (&w * &w).sum(..);
    loss.backward();
    loss.backward();
}

#[test]
fn retain_graph_allows_second_backward() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let loss = (&w * &w).sum(..);
    loss.backward_with(&Tensor::scalar(1.0f32), true);
    loss.backward();
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![4.0, 4.0]);
}

#[test]
#[should_panic(expected = "modified by an inplace operation")]
fn modifying_a_saved_tensor_fails_backward() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    let a = &w * 2.0;
    let b = a.detach(); // shares storage with a
    let loss = (&a * &w).sum(..); // saves a
    b.add_(1.0);
    loss.backward();
}

#[test]
#[should_panic(expected = "leaf tensor that requires grad")]
fn inplace_on_leaf_outside_no_grad_panics() {
    let w = Tensor::ones(&[2]).requires_grad_(true);
    w.sub_(1.0);
}

#[test]
fn tutorial_update_step() {
    let mut w = Tensor::ones(&[2]).requires_grad_(true);
    (&w * 3.0).sum(..).backward();
    {
        let _g = firelight::no_grad();
        w -= w.grad().unwrap() * 0.5;
        w.grad().unwrap().zero_();
    }
    assert_eq!(w.to_vec::<f32>(), vec![-0.5, -0.5]);
    assert!(w.is_leaf() && w.requires_grad());
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0]);
}

#[test]
fn grad_through_views_and_broadcast() {
    let x = Tensor::arange(6)
        .float()
        .view(&[2, 3])
        .detach()
        .requires_grad_(true);
    let b = Tensor::ones(&[3]).requires_grad_(true);
    let y = (x.t().matmul(&Tensor::ones(&[2, 1])).squeeze(..) * &b).sum(..) + (&x + &b).sum(..);
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0; 6]);
    assert_eq!(
        b.grad().unwrap().to_vec::<f32>(),
        vec![3.0 + 2.0, 5.0 + 2.0, 7.0 + 2.0]
    );
}

#[test]
fn nll_by_advanced_indexing() {
    let input = Tensor::from_vec(vec![-1.0f32, -2.0, -3.0, -0.5, -0.25, -4.0], &[2, 3])
        .requires_grad_(true);
    let target = Tensor::from_vec(vec![2i64, 0], &[2]);
    let loss = -input.index(&[&Tensor::arange(2), &target]).mean(..);
    assert_eq!(loss.item::<f32>(), 1.75);
    loss.backward();
    assert_eq!(
        input.grad().unwrap().to_vec::<f32>(),
        vec![0.0, 0.0, -0.5, -0.5, 0.0, 0.0]
    );
}

#[test]
fn tensors_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    let w = Tensor::ones(&[4]).requires_grad_(true);
    let handle = {
        let w = w.clone();
        std::thread::spawn(move || (&w * 2.0).sum(..))
    };
    handle.join().unwrap().backward();
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![2.0; 4]);
}

#[test]
fn empty_dims_reduce_everything() {
    let x = Tensor::ones(&[2, 3]);
    assert_eq!(x.sum(Vec::<i64>::new()).item::<f32>(), 6.0);
    assert_eq!(x.mean_keepdim(Vec::<i64>::new()).shape(), &[1, 1]);
}

#[test]
fn max_of_nan_sends_gradient_to_the_nans() {
    let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]).requires_grad_(true);
    let m = x.max(..);
    assert!(m.item::<f32>().is_nan());
    m.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0]);
}

#[test]
fn inplace_with_zero_dim_tensor_keeps_dtype() {
    let x = Tensor::ones(&[2]);
    x.add_(Tensor::scalar(0.5f64));
    assert_eq!(x.dtype(), firelight::DType::F32);
    assert_eq!(x.to_vec::<f32>(), vec![1.5, 1.5]);
}
