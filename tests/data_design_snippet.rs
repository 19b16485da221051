//! The design's §1 snippet — what a PyTorch user writes for the tutorial's last model —
//! compiled and run as written, except: the dataset is a tuple so that batches
//! destructure as `(xb, yb)`, and the data is a small random stand-in for MNIST. With
//! `--features gpu` and a GPU present, the model, the batches and the full-set loss all
//! run on it; the full-set data is moved too, since mixing devices panics as in PyTorch.
use firelight::{
    Device, Tensor,
    data::{DataLoader, TensorDataset},
    nn,
    nn::Module,
    nn::functional as F,
    optim,
    optim::Optimizer,
};

#[test]
fn design_snippet_trains() {
    firelight::manual_seed(0);
    // Images whose brightness gives the label: something a CNN can learn quickly.
    let y_train = Tensor::randint(0, 10, &[256]);
    let x_train = Tensor::rand(&[256, 784]) * 0.5 + y_train.float().unsqueeze(1) / 10.0;
    let train_ds = TensorDataset::new(x_train.clone(), y_train.clone());
    let train_dl = DataLoader::new(train_ds).batch_size(64).shuffle(true);
    let dev = Device::gpu_if_available();
    let (x_all, y_all) = (x_train.to(&dev), y_train.to(&dev));

    let model = nn::Sequential::new()
        .add(nn::Lambda::new(|x: &Tensor| x.view(&[-1, 1, 28, 28])))
        .add(nn::Conv2d::new(1, 16, 3).stride(2).padding(1))
        .add(nn::ReLU)
        .add(nn::Conv2d::new(16, 16, 3).stride(2).padding(1))
        .add(nn::ReLU)
        .add(nn::Conv2d::new(16, 10, 3).stride(2).padding(1))
        .add(nn::ReLU)
        .add(nn::AdaptiveAvgPool2d::new(1))
        .add(nn::Flatten::new())
        .to(&dev);
    let mut opt = optim::Sgd::new(model.parameters(), 0.1).momentum(0.9);

    let full_loss = |m: &nn::Sequential| {
        let _g = firelight::no_grad();
        F::cross_entropy(&m.forward(&x_all), &y_all).item::<f32>()
    };
    let before = full_loss(&model);
    // Twelve epochs: at lr 0.1 with momentum 0.9 this small model later has loss spikes
    // whose recovery is chaotic, so rounding differences between devices could decide it.
    for _epoch in 0..12 {
        model.train();
        for (xb, yb) in &train_dl {
            let loss = F::cross_entropy(&model.forward(&xb.to(&dev)), &yb.to(&dev));
            loss.backward();
            opt.step();
            opt.zero_grad();
        }
    }
    model.eval();
    let after = full_loss(&model);
    eprintln!("loss {before} -> {after}");
    assert!(after < 0.9 * before, "loss {before} -> {after}");
}
