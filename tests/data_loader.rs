//! DataLoader behaviour seen from outside: PyTorch's defaults and lengths, seeding through
//! `manual_seed`, samplers, collate, `.map`, workers, and the bad-input panics.
use firelight::data::{
    ConcatDataset, DataLoader, Dataset, FnSampler, RandomSampler, SequentialSampler, Subset,
    TensorDataset, random_split,
};
use firelight::{Generator, Tensor};
use std::sync::{Arc, Mutex};

/// Tests that seed the global generator must not interleave.
static GLOBAL_SEED: Mutex<()> = Mutex::new(());

fn pairs(n: usize) -> TensorDataset<(Tensor, Tensor)> {
    let x = Tensor::arange(2 * n as i64).view(&[n as i64, 2]);
    TensorDataset::new(x, Tensor::arange(n as i64))
}

fn order<B: Send + 'static>(dl: &DataLoader<B>, label: impl Fn(B) -> Vec<i64>) -> Vec<i64> {
    dl.iter().flat_map(label).collect()
}

#[test]
fn defaults_are_pytorchs() {
    let dl = DataLoader::new(pairs(5));
    assert_eq!(dl.len(), 5);
    let ys = order(&dl, |(_, y)| y.to_vec::<i64>());
    assert_eq!(ys, vec![0, 1, 2, 3, 4]);
    for (xb, yb) in &dl {
        assert_eq!(xb.shape(), &[1, 2]);
        assert_eq!(yb.shape(), &[1]);
    }
}

#[test]
fn len_with_and_without_drop_last() {
    let n = 50_000;
    let dl = DataLoader::new(pairs(n)).batch_size(64);
    assert_eq!(dl.len(), 782);
    let dl = dl.drop_last(true);
    assert_eq!(dl.len(), 781);
    assert!(dl.iter().all(|(x, _)| x.shape()[0] == 64));
}

#[test]
fn rows_and_labels_stay_together_when_shuffled() {
    let dl = DataLoader::new(pairs(100))
        .batch_size(16)
        .shuffle(true)
        .seed(4);
    for _epoch in 0..3 {
        for (xb, yb) in &dl {
            let x = xb.to_vec::<i64>();
            for (k, y) in yb.to_vec::<i64>().into_iter().enumerate() {
                assert_eq!((x[2 * k], x[2 * k + 1]), (2 * y, 2 * y + 1));
            }
        }
    }
}

#[test]
fn manual_seed_fixes_unseeded_shuffles() {
    let _lock = GLOBAL_SEED.lock().unwrap_or_else(|e| e.into_inner());
    let dl = DataLoader::new(pairs(40)).batch_size(8).shuffle(true);
    firelight::manual_seed(3);
    let (e1, e2) = (
        order(&dl, |(_, y)| y.to_vec()),
        order(&dl, |(_, y)| y.to_vec()),
    );
    assert_ne!(e1, e2, "each epoch has a new order");
    firelight::manual_seed(3);
    assert_eq!(e1, order(&dl, |(_, y)| y.to_vec()));
    assert_eq!(e2, order(&dl, |(_, y)| y.to_vec()));
    // An unshuffled loader draws nothing from the global generator.
    let seq = DataLoader::new(pairs(40)).batch_size(8);
    firelight::manual_seed(3);
    let _ = order(&seq, |(_, y)| y.to_vec());
    assert_eq!(e1, order(&dl, |(_, y)| y.to_vec()));
}

#[test]
fn random_split_follows_manual_seed() {
    let _lock = GLOBAL_SEED.lock().unwrap_or_else(|e| e.into_inner());
    firelight::manual_seed(5);
    let a = random_split(pairs(20), [0.75, 0.25]);
    firelight::manual_seed(5);
    let b = random_split(pairs(20), [15, 5]);
    assert_eq!(a[0].indices(), b[0].indices());
    assert_eq!(a[1].indices(), b[1].indices());
    // A split feeds a loader, through the inner dataset's batched path.
    let dl = DataLoader::new(a.into_iter().nth(1).unwrap()).batch_size(5);
    let ys = order(&dl, |(_, y)| y.to_vec());
    let want: Vec<i64> = b[1].indices().iter().map(|&i| i as i64).collect();
    assert_eq!(ys, want);
}

#[test]
fn samplers_with_and_without_replacement() {
    let ds = Arc::new(pairs(10));
    let with = DataLoader::new(ds.clone())
        .batch_size(7)
        .sampler(RandomSampler::new(10).replacement(true).num_samples(30))
        .seed(1);
    assert_eq!(with.len(), 5);
    let ys = order(&with, |(_, y)| y.to_vec());
    assert_eq!(ys.len(), 30);
    let mut distinct = ys.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() < 30, "30 draws from 10 must repeat");
    let without = DataLoader::new(ds)
        .batch_size(4)
        .sampler(RandomSampler::new(10))
        .seed(1);
    let mut ys = order(&without, |(_, y)| y.to_vec());
    ys.sort();
    assert_eq!(ys, (0..10).collect::<Vec<_>>());
}

#[test]
fn custom_sampler_and_collate() {
    let ds = pairs(6);
    let dl = DataLoader::with_collate(ds, |s: Vec<(Tensor, Tensor)>| {
        s.iter().map(|(_, y)| y.item::<i64>()).sum::<i64>()
    })
    .batch_size(2)
    .sampler(FnSampler::new(6, |rng: &mut Generator| {
        let mut v: Vec<usize> = (0..6).rev().collect();
        v.rotate_left(rng.below(1) as usize);
        v
    }));
    assert_eq!(dl.iter().collect::<Vec<i64>>(), vec![9, 5, 1]);
}

#[test]
fn concat_and_subset_feed_loaders() {
    let both = ConcatDataset::new(vec![pairs(3), pairs(2)]);
    let dl = DataLoader::new(both).batch_size(2);
    assert_eq!(order(&dl, |(_, y)| y.to_vec()), vec![0, 1, 2, 0, 1]);
    let sub = Subset::new(Arc::new(pairs(10)), vec![9, 0, 4]);
    assert_eq!(sub.len(), 3);
    let dl = DataLoader::new(sub).batch_size(2);
    assert_eq!(order(&dl, |(_, y)| y.to_vec()), vec![9, 0, 4]);
}

#[test]
fn map_is_the_wrapped_dataloader() {
    let x = Tensor::rand(&[10, 784]);
    let ds = TensorDataset::new(x.clone(), Tensor::arange(10));
    let dl = DataLoader::new(ds)
        .batch_size(4)
        .shuffle(true)
        .seed(2)
        .map(|(x, y): (Tensor, Tensor)| (x.view(&[-1, 1, 28, 28]), y));
    assert_eq!(dl.len(), 3);
    for _ in 0..2 {
        for (xb, yb) in &dl {
            assert_eq!(&xb.shape()[1..], &[1, 28, 28]);
            let want = x.index_select(0, &yb).to_vec::<f32>();
            assert_eq!(xb.to_vec::<f32>(), want);
        }
    }
}

#[test]
fn workers_give_what_the_main_thread_gives() {
    let x = Tensor::randn(&[500, 7]);
    let y = Tensor::arange(500);
    let make = |w| {
        DataLoader::new(TensorDataset::new(x.clone(), y.clone()))
            .batch_size(32)
            .shuffle(true)
            .seed(9)
            .num_workers(w)
            .map(|(x, y): (Tensor, Tensor)| (x * 2.0, y))
    };
    let serial = make(0);
    let threaded = make(3);
    for _epoch in 0..3 {
        let a: Vec<(Vec<f32>, Vec<i64>)> = serial
            .iter()
            .map(|(x, y)| (x.to_vec(), y.to_vec()))
            .collect();
        let b: Vec<(Vec<f32>, Vec<i64>)> = threaded
            .iter()
            .map(|(x, y)| (x.to_vec(), y.to_vec()))
            .collect();
        assert_eq!(a, b);
    }
}

#[test]
fn tensor_dataset_indexing() {
    let ds = pairs(10);
    let (x, y) = ds.get(3);
    assert_eq!((x.to_vec::<i64>(), y.item::<i64>()), (vec![6, 7], 3));
    let bs = 4;
    let i = 2;
    let (xb, yb) = ds.slice(i * bs..i * bs + bs); // the tutorial's train_ds[i*bs : i*bs+bs]
    assert_eq!(xb.shape(), &[2, 2]);
    assert_eq!(yb.to_vec::<i64>(), vec![8, 9]);
}

#[test]
#[should_panic(expected = "DataLoader: batch_size must be a positive integer, got 0")]
fn zero_batch_size_panics() {
    let _ = DataLoader::new(pairs(3)).batch_size(0);
}

#[test]
#[should_panic(
    expected = "TensorDataset: size mismatch between tensors: all must have the same first dim, got lengths [5, 5, 4]"
)]
fn tensors_of_different_lengths_panic() {
    let _ = TensorDataset::from((
        Tensor::zeros(&[5, 3]),
        Tensor::zeros(&[5]),
        Tensor::zeros(&[4]),
    ));
}

#[test]
#[should_panic(expected = "TensorDataset: index 10 is out of range for 10 samples")]
fn out_of_range_index_panics() {
    pairs(10).get(10);
}

#[test]
#[should_panic(
    expected = "DataLoader: the sampler draws from 12 samples but the dataset has only 10"
)]
fn sampler_longer_than_dataset_panics() {
    let _ = DataLoader::new(pairs(10)).sampler(SequentialSampler::new(12));
}

#[test]
#[should_panic(
    expected = "DataLoader: the sampler yielded index 10, out of range for a dataset of 10 samples"
)]
fn sampler_yielding_out_of_range_panics() {
    let dl = DataLoader::new(pairs(10))
        .batch_size(2)
        .sampler(FnSampler::new(3, |_: &mut Generator| vec![0, 10, 2]));
    for _ in &dl {}
}

#[test]
#[should_panic(expected = "TensorDataset: index 10 is out of range for 10 samples")]
fn out_of_range_batch_in_a_worker_reaches_the_loop() {
    // A custom batched dataset bypasses the loader's check, so the worker itself panics.
    struct Shifted(TensorDataset<(Tensor, Tensor)>);
    impl Dataset for Shifted {
        type Item = (Tensor, Tensor);
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, i: usize) -> (Tensor, Tensor) {
            self.0.get(i + 2)
        }
    }
    let dl = DataLoader::new(Shifted(pairs(10)))
        .batch_size(3)
        .num_workers(2);
    for _ in &dl {}
}
