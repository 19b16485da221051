//! `DataLoader`: batches of a dataset, in sampler order, optionally fetched by threads.
use super::workers::{Fetch, Workers};
use super::{BatchSampler, Collate, Dataset, RandomSampler, Sampler, SequentialSampler};
use crate::Generator;
use std::sync::{Arc, Mutex};

/// Batches of a dataset, like `torch.utils.data.DataLoader`, with PyTorch's defaults:
/// `batch_size` 1, no shuffling, the last short batch kept, no worker threads.
///
/// `B` is the batch type: for a [`TensorDataset`](super::TensorDataset) over a pair of
/// tensors, a pair of tensors. A loop borrows the loader, so it runs over as many epochs
/// as you like; each epoch of a shuffling loader has a new order. The order comes from
/// [`DataLoader::seed`] when given (the same seed gives the same orders), else from the
/// global generator, so [`manual_seed`](crate::manual_seed) fixes it as in PyTorch.
///
/// ```
/// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
/// let ds = TensorDataset::new(Tensor::zeros(&[10, 3]), Tensor::arange(10));
/// let dl = DataLoader::new(ds).batch_size(4).shuffle(true).seed(0);
/// assert_eq!(dl.len(), 3); // ceil(10 / 4)
/// let mut seen: Vec<i64> = Vec::new();
/// for (xb, yb) in &dl {
///     assert_eq!(xb.shape()[1], 3);
///     seen.extend(yb.to_vec::<i64>());
/// }
/// seen.sort();
/// assert_eq!(seen, (0..10).collect::<Vec<i64>>());
/// ```
pub struct DataLoader<B> {
    fetch: Fetch<B>,
    dataset_len: usize,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    sampler: Option<Arc<dyn Sampler>>,
    num_workers: usize,
    prefetch_factor: usize,
    /// The loader's own generator when seeded; each epoch draws its order's seed from it.
    rng: Option<Mutex<Generator>>,
}

impl<B: Send + 'static> DataLoader<B> {
    /// A loader over `dataset` that collates with [`Dataset::get_batch`] (for a
    /// `TensorDataset`, one `index_select` per tensor).
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let dl = DataLoader::new(TensorDataset::from(Tensor::arange(3)));
    /// assert_eq!(dl.len(), 3); // batch_size 1 by default
    /// ```
    pub fn new<D>(dataset: D) -> DataLoader<B>
    where
        D: Dataset + Send + Sync + 'static,
        D::Item: Collate<Batch = B>,
    {
        let dataset_len = dataset.len();
        let fetch: Fetch<B> = Arc::new(move |idx: &[usize]| dataset.get_batch(idx));
        DataLoader::from_fetch(fetch, dataset_len)
    }

    /// A loader over `dataset` whose batches are `collate(samples)`, like PyTorch's
    /// `collate_fn`.
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let ds = TensorDataset::new(Tensor::zeros(&[5, 2]), Tensor::arange(5));
    /// // Keep only the labels, as a Vec.
    /// let dl = DataLoader::with_collate(ds, |samples: Vec<(Tensor, Tensor)>| {
    ///     samples.iter().map(|(_, y)| y.item::<i64>()).collect::<Vec<i64>>()
    /// })
    /// .batch_size(2);
    /// assert_eq!(dl.iter().collect::<Vec<_>>(), vec![vec![0, 1], vec![2, 3], vec![4]]);
    /// ```
    pub fn with_collate<D, F>(dataset: D, collate: F) -> DataLoader<B>
    where
        D: Dataset + Send + Sync + 'static,
        F: Fn(Vec<D::Item>) -> B + Send + Sync + 'static,
    {
        let dataset_len = dataset.len();
        let fetch: Fetch<B> =
            Arc::new(move |idx: &[usize]| collate(idx.iter().map(|&i| dataset.get(i)).collect()));
        DataLoader::from_fetch(fetch, dataset_len)
    }

    fn from_fetch(fetch: Fetch<B>, dataset_len: usize) -> DataLoader<B> {
        DataLoader {
            fetch,
            dataset_len,
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            sampler: None,
            num_workers: 0,
            prefetch_factor: 2,
            rng: None,
        }
    }

    /// Samples per batch (default 1).
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let dl = DataLoader::new(TensorDataset::from(Tensor::arange(130))).batch_size(64);
    /// assert_eq!(dl.len(), 3);
    /// ```
    ///
    /// # Panics
    /// If `batch_size` is 0.
    #[track_caller]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "DataLoader: batch_size must be a positive integer, got {batch_size}"
        );
        self.batch_size = batch_size;
        self
    }

    /// Visit the samples in a new random order each epoch (default false).
    ///
    /// # Panics
    /// If a sampler was given: the sampler decides the order, as in PyTorch.
    #[track_caller]
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        assert!(
            !(shuffle && self.sampler.is_some()),
            "DataLoader: shuffle(true) is mutually exclusive with a custom sampler"
        );
        self.shuffle = shuffle;
        self
    }

    /// Drop the last batch when it is shorter than `batch_size` (default false).
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let dl = DataLoader::new(TensorDataset::from(Tensor::arange(130))).batch_size(64);
    /// assert_eq!(dl.drop_last(true).len(), 2);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Seeds the loader's own generator: the same seed gives the same sequence of epoch
    /// orders. Without it, each epoch's order is seeded from the global generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = Some(Mutex::new(Generator::new(seed)));
        self
    }

    /// The order of samples, instead of sequential or shuffled.
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset, WeightedRandomSampler}};
    /// let ds = TensorDataset::from(Tensor::arange(4));
    /// let only_last = WeightedRandomSampler::new(vec![0.0, 0.0, 0.0, 1.0], 6);
    /// let dl = DataLoader::new(ds).batch_size(3).sampler(only_last);
    /// for b in &dl {
    ///     assert_eq!(b.to_vec::<i64>(), vec![3, 3, 3]);
    /// }
    /// ```
    ///
    /// # Panics
    /// If `shuffle(true)` was set, or the sampler draws from more samples than the dataset
    /// has (naming both).
    #[track_caller]
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        assert!(
            !self.shuffle,
            "DataLoader: a custom sampler is mutually exclusive with shuffle(true)"
        );
        if let Some(n) = sampler.source_len() {
            assert!(
                n <= self.dataset_len,
                "DataLoader: the sampler draws from {n} samples but the dataset has only {}",
                self.dataset_len
            );
        }
        self.sampler = Some(Arc::new(sampler));
        self
    }

    /// Fetch batches on `n` threads (default 0: in the loop's thread). Batches arrive in
    /// the same order, with the same contents, as with 0.
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let ds = TensorDataset::from(Tensor::arange(10));
    /// let dl = DataLoader::new(ds).batch_size(3).num_workers(2);
    /// let firsts: Vec<i64> = dl.iter().map(|b| b.to_vec::<i64>()[0]).collect();
    /// assert_eq!(firsts, vec![0, 3, 6, 9]);
    /// ```
    pub fn num_workers(mut self, n: usize) -> Self {
        self.num_workers = n;
        self
    }

    /// Batches each worker may hold ready ahead of the loop (default 2, as PyTorch).
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn prefetch_factor(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "DataLoader: prefetch_factor must be a positive integer, got {n}"
        );
        self.prefetch_factor = n;
        self
    }

    /// A loader whose batches are `f(batch)`: the tutorial's `WrappedDataLoader`. It keeps
    /// the length, the order and the options; `f` runs where batches are fetched (on the
    /// workers, if any).
    ///
    /// ```
    /// use firelight::{Tensor, data::{DataLoader, TensorDataset}};
    /// let ds = TensorDataset::new(Tensor::zeros(&[8, 784]), Tensor::arange(8));
    /// let dl = DataLoader::new(ds)
    ///     .batch_size(4)
    ///     .map(|(x, y): (Tensor, Tensor)| (x.view(&[-1, 1, 28, 28]), y));
    /// assert_eq!(dl.len(), 2);
    /// for (xb, _yb) in &dl {
    ///     assert_eq!(xb.shape(), &[4, 1, 28, 28]);
    /// }
    /// ```
    pub fn map<C: Send + 'static>(
        self,
        f: impl Fn(B) -> C + Send + Sync + 'static,
    ) -> DataLoader<C> {
        let inner = self.fetch;
        DataLoader {
            fetch: Arc::new(move |idx: &[usize]| f(inner(idx))),
            dataset_len: self.dataset_len,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            sampler: self.sampler,
            num_workers: self.num_workers,
            prefetch_factor: self.prefetch_factor,
            rng: self.rng,
        }
    }

    /// The number of batches per epoch: `ceil(samples / batch_size)`, or the floor with
    /// `drop_last`, where `samples` is the sampler's length (the dataset's by default).
    pub fn len(&self) -> usize {
        self.batch_sampler().len()
    }

    /// True when an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of samples in the dataset.
    pub fn dataset_len(&self) -> usize {
        self.dataset_len
    }

    fn batch_sampler(&self) -> BatchSampler {
        let sampler: Arc<dyn Sampler> = match &self.sampler {
            Some(s) => s.clone(),
            None if self.shuffle => Arc::new(RandomSampler::new(self.dataset_len)),
            None => Arc::new(SequentialSampler::new(self.dataset_len)),
        };
        BatchSampler::from_arc(sampler, self.batch_size, self.drop_last)
    }

    /// The generator for one epoch's order. Only random orders draw from a generator, so
    /// iterating an unshuffled loader leaves the global generator alone.
    fn epoch_generator(&self) -> Generator {
        if !self.shuffle && self.sampler.is_none() {
            return Generator::new(0);
        }
        let seed = match &self.rng {
            Some(rng) => rng.lock().unwrap().next_u64(),
            None => crate::tensor::random::with_global(|g| g.next_u64()),
        };
        Generator::new(seed)
    }

    /// One epoch's batches (what `for b in &loader` runs over).
    ///
    /// # Panics
    /// If the sampler yields an index out of the dataset's range, naming both; the
    /// dataset's and collate's panics surface when their batch is reached.
    #[track_caller]
    pub fn iter(&self) -> Iter<B> {
        let batches = self.batch_sampler().batches(&mut self.epoch_generator());
        if let Some(&bad) = batches.iter().flatten().find(|&&i| i >= self.dataset_len) {
            panic!(
                "DataLoader: the sampler yielded index {bad}, out of range for a dataset of {} samples",
                self.dataset_len
            );
        }
        let remaining = batches.len();
        let source = if self.num_workers == 0 || batches.is_empty() {
            Source::Serial {
                fetch: self.fetch.clone(),
                batches: batches.into_iter(),
            }
        } else {
            Source::Workers(Workers::spawn(
                &self.fetch,
                batches,
                self.num_workers,
                self.prefetch_factor,
            ))
        };
        Iter { source, remaining }
    }
}

impl<B: Send + 'static> IntoIterator for &DataLoader<B> {
    type Item = B;
    type IntoIter = Iter<B>;
    #[track_caller]
    fn into_iter(self) -> Iter<B> {
        self.iter()
    }
}

/// One epoch of a [`DataLoader`]; dropping it early stops the workers.
pub struct Iter<B> {
    source: Source<B>,
    remaining: usize,
}

enum Source<B> {
    Serial {
        fetch: Fetch<B>,
        batches: std::vec::IntoIter<Vec<usize>>,
    },
    Workers(Workers<B>),
}

impl<B: Send + 'static> Iterator for Iter<B> {
    type Item = B;

    fn next(&mut self) -> Option<B> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(match &mut self.source {
            Source::Serial { fetch, batches } => fetch(&batches.next()?),
            Source::Workers(w) => w.next_batch(),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<B: Send + 'static> ExactSizeIterator for Iter<B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;
    use crate::data::TensorDataset;

    fn labels(dl: &DataLoader<Tensor>) -> Vec<i64> {
        dl.iter().flat_map(|b| b.to_vec::<i64>()).collect()
    }

    fn loader(n: i64) -> DataLoader<Tensor> {
        DataLoader::new(TensorDataset::from(Tensor::arange(n)))
    }

    #[test]
    fn len_is_ceil_or_floor() {
        for (n, bs, keep, drop) in [(10, 3, 4, 3), (9, 3, 3, 3), (2, 5, 1, 0), (0, 4, 0, 0)] {
            assert_eq!(loader(n).batch_size(bs).len(), keep, "n={n} bs={bs}");
            assert_eq!(loader(n).batch_size(bs).drop_last(true).len(), drop);
            assert_eq!(
                loader(n).batch_size(bs).drop_last(true).iter().count(),
                drop
            );
            assert_eq!(loader(n).batch_size(bs).iter().count(), keep);
        }
    }

    #[test]
    fn seeded_shuffle_repeats_across_loaders_and_changes_across_epochs() {
        let a = loader(50).batch_size(7).shuffle(true).seed(3);
        let b = loader(50).batch_size(7).shuffle(true).seed(3);
        let (a1, a2) = (labels(&a), labels(&a));
        assert_eq!(a1, labels(&b));
        assert_eq!(a2, labels(&b));
        assert_ne!(a1, a2);
        let mut sorted = a1.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn workers_keep_order_and_contents() {
        let x = Tensor::randn(&[103, 5]);
        let make = || {
            DataLoader::new(TensorDataset::from(x.clone()))
                .batch_size(8)
                .shuffle(true)
                .seed(1)
        };
        let serial: Vec<Vec<f32>> = make().iter().map(|b| b.to_vec::<f32>()).collect();
        for n in [1, 2, 3, 5] {
            let par: Vec<Vec<f32>> = make()
                .num_workers(n)
                .prefetch_factor(1)
                .iter()
                .map(|b| b.to_vec::<f32>())
                .collect();
            assert_eq!(serial, par, "num_workers {n}");
        }
    }

    #[test]
    fn dropping_an_epoch_early_stops_workers() {
        let dl = loader(1000).batch_size(2).num_workers(3);
        for _ in 0..3 {
            let first: Vec<Tensor> = dl.iter().take(2).collect();
            assert_eq!(first[1].to_vec::<i64>(), vec![2, 3]);
        }
    }

    #[test]
    #[should_panic(expected = "TensorDataset: index 5 is out of range for 5 samples")]
    fn worker_panics_reach_the_loop() {
        let dl =
            DataLoader::with_collate(TensorDataset::from(Tensor::arange(5)), |v: Vec<Tensor>| {
                v.len()
            });
        // Past the loader's own index check, so the panic happens inside a worker.
        let fetch = dl.fetch.clone();
        let mut w = Workers::spawn(&fetch, vec![vec![0], vec![5]], 2, 1);
        w.next_batch();
        w.next_batch();
    }

    #[test]
    fn map_keeps_len_and_order() {
        let dl = loader(10)
            .batch_size(4)
            .map(|b| b.to_vec::<i64>().iter().sum::<i64>());
        assert_eq!(dl.len(), 3);
        assert_eq!(dl.iter().collect::<Vec<_>>(), vec![6, 22, 17]);
        assert_eq!(dl.iter().collect::<Vec<_>>(), vec![6, 22, 17]);
    }

    #[test]
    #[should_panic(expected = "DataLoader: batch_size must be a positive integer, got 0")]
    fn zero_batch_size() {
        let _ = loader(3).batch_size(0);
    }

    #[test]
    #[should_panic(expected = "the sampler draws from 8 samples but the dataset has only 5")]
    fn sampler_longer_than_dataset() {
        let _ = loader(5).sampler(SequentialSampler::new(8));
    }

    #[test]
    #[should_panic(
        expected = "the sampler yielded index 7, out of range for a dataset of 5 samples"
    )]
    fn sampler_index_out_of_range() {
        let dl = loader(5).sampler(crate::data::FnSampler::new(2, |_| vec![1, 7]));
        dl.iter();
    }

    #[test]
    #[should_panic(expected = "mutually exclusive")]
    fn sampler_and_shuffle() {
        let _ = loader(5).shuffle(true).sampler(SequentialSampler::new(5));
    }
}
