//! Samplers: the order in which a loader visits a dataset, and how it cuts batches.
use crate::Generator;
use std::sync::Arc;

/// An order of dataset indices for one epoch, like `torch.utils.data.Sampler`.
///
/// The loader hands [`Sampler::sample`] a generator seeded for that epoch (from its own
/// seed, else from the global generator), so a random sampler gives a new order each
/// epoch and the same orders again under the same seed.
///
/// ```
/// use firelight::{Generator, data::Sampler};
/// // Even indices first, then odd ones.
/// struct EvensFirst(usize);
/// impl Sampler for EvensFirst {
///     fn len(&self) -> usize { self.0 }
///     fn sample(&self, _rng: &mut Generator) -> Vec<usize> {
///         (0..self.0).step_by(2).chain((1..self.0).step_by(2)).collect()
///     }
///     fn source_len(&self) -> Option<usize> { Some(self.0) }
/// }
/// assert_eq!(EvensFirst(5).sample(&mut Generator::new(0)), vec![0, 2, 4, 1, 3]);
/// ```
pub trait Sampler: Send + Sync {
    /// How many indices one epoch yields.
    fn len(&self) -> usize;

    /// True when an epoch yields nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The indices of one epoch, in order.
    fn sample(&self, rng: &mut Generator) -> Vec<usize>;

    /// The number of samples in the data the sampler draws from, when it knows it, so a
    /// loader can reject a sampler built for a larger dataset at once.
    fn source_len(&self) -> Option<usize> {
        None
    }
}

impl<S: Sampler + ?Sized> Sampler for Arc<S> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        (**self).sample(rng)
    }
    fn source_len(&self) -> Option<usize> {
        (**self).source_len()
    }
}

impl<S: Sampler + ?Sized> Sampler for Box<S> {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        (**self).sample(rng)
    }
    fn source_len(&self) -> Option<usize> {
        (**self).source_len()
    }
}

/// `0, 1, ..., n-1`, like `SequentialSampler` (a loader's default).
///
/// ```
/// use firelight::{Generator, data::{Sampler, SequentialSampler}};
/// assert_eq!(SequentialSampler::new(3).sample(&mut Generator::new(0)), vec![0, 1, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct SequentialSampler {
    n: usize,
}

impl SequentialSampler {
    /// The indices of a dataset of `n` samples, in order.
    pub fn new(n: usize) -> SequentialSampler {
        SequentialSampler { n }
    }
}

impl Sampler for SequentialSampler {
    fn len(&self) -> usize {
        self.n
    }
    fn sample(&self, _rng: &mut Generator) -> Vec<usize> {
        (0..self.n).collect()
    }
    fn source_len(&self) -> Option<usize> {
        Some(self.n)
    }
}

/// Random indices into `n` samples, like `RandomSampler` (what `shuffle(true)` uses):
/// a permutation by default; with replacement, independent uniform draws.
/// `num_samples` (default `n`) may exceed `n`: without replacement that chains
/// permutations, as PyTorch does.
///
/// ```
/// use firelight::{Generator, data::{RandomSampler, Sampler}};
/// let mut p = RandomSampler::new(5).sample(&mut Generator::new(0));
/// p.sort();
/// assert_eq!(p, vec![0, 1, 2, 3, 4]);
/// let s = RandomSampler::new(5).replacement(true).num_samples(100);
/// assert!(s.sample(&mut Generator::new(0)).iter().all(|&i| i < 5));
/// ```
#[derive(Clone, Debug)]
pub struct RandomSampler {
    n: usize,
    replacement: bool,
    num_samples: Option<usize>,
}

impl RandomSampler {
    /// A shuffle of `n` samples.
    pub fn new(n: usize) -> RandomSampler {
        RandomSampler {
            n,
            replacement: false,
            num_samples: None,
        }
    }

    /// Draw with replacement (default false).
    pub fn replacement(mut self, replacement: bool) -> RandomSampler {
        self.replacement = replacement;
        self
    }

    /// How many indices an epoch yields (default: the dataset's length).
    ///
    /// # Panics
    /// If `num_samples` is 0, as PyTorch refuses it.
    #[track_caller]
    pub fn num_samples(mut self, num_samples: usize) -> RandomSampler {
        assert!(
            num_samples > 0,
            "RandomSampler: num_samples must be a positive integer, got {num_samples}"
        );
        self.num_samples = Some(num_samples);
        self
    }
}

impl Sampler for RandomSampler {
    fn len(&self) -> usize {
        self.num_samples.unwrap_or(self.n)
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        let k = self.len();
        if self.n == 0 {
            return Vec::new();
        }
        if self.replacement {
            return (0..k).map(|_| rng.below(self.n as u64) as usize).collect();
        }
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let mut p = rng.randperm(self.n);
            p.truncate(k - out.len());
            out.extend(p);
        }
        out
    }
    fn source_len(&self) -> Option<usize> {
        Some(self.n)
    }
}

/// Indices drawn with probability proportional to `weights`, like
/// `WeightedRandomSampler` (with replacement by default).
///
/// ```
/// use firelight::{Generator, data::{Sampler, WeightedRandomSampler}};
/// let s = WeightedRandomSampler::new(vec![0.0, 1.0, 0.0, 3.0], 1000);
/// let draws = s.sample(&mut Generator::new(0));
/// assert!(draws.iter().all(|&i| i == 1 || i == 3));
/// assert!(draws.iter().filter(|&&i| i == 3).count() > 600);
/// ```
#[derive(Clone, Debug)]
pub struct WeightedRandomSampler {
    weights: Vec<f64>,
    num_samples: usize,
    replacement: bool,
}

impl WeightedRandomSampler {
    /// `num_samples` draws from `weights.len()` indices, with replacement.
    ///
    /// # Panics
    /// If a weight is negative or not finite, all weights are zero, or `num_samples` is 0.
    #[track_caller]
    pub fn new(weights: Vec<f64>, num_samples: usize) -> WeightedRandomSampler {
        if let Some((i, w)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            panic!("WeightedRandomSampler: weight {i} is {w}; weights must be finite and >= 0");
        }
        assert!(
            weights.iter().any(|&w| w > 0.0),
            "WeightedRandomSampler: all {} weights are zero",
            weights.len()
        );
        assert!(
            num_samples > 0,
            "WeightedRandomSampler: num_samples must be a positive integer, got {num_samples}"
        );
        WeightedRandomSampler {
            weights,
            num_samples,
            replacement: true,
        }
    }

    /// Draw without replacement when false (each index at most once).
    ///
    /// # Panics
    /// Without replacement, if `num_samples` exceeds the number of non-zero weights.
    #[track_caller]
    pub fn replacement(mut self, replacement: bool) -> WeightedRandomSampler {
        let nonzero = self.weights.iter().filter(|&&w| w > 0.0).count();
        assert!(
            replacement || self.num_samples <= nonzero,
            "WeightedRandomSampler: cannot draw {} samples without replacement from {nonzero} non-zero weights",
            self.num_samples
        );
        self.replacement = replacement;
        self
    }
}

impl Sampler for WeightedRandomSampler {
    fn len(&self) -> usize {
        self.num_samples
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        if self.replacement {
            let cumulative: Vec<f64> = self
                .weights
                .iter()
                .scan(0.0, |s, &w| {
                    *s += w;
                    Some(*s)
                })
                .collect();
            let total = *cumulative.last().expect("weights checked non-empty");
            (0..self.num_samples)
                .map(|_| {
                    let u = rng.uniform_f64() * total;
                    // The first index whose cumulative weight passes u; zero weights are
                    // never picked because their cumulative equals the previous one.
                    cumulative
                        .partition_point(|&c| c <= u)
                        .min(self.weights.len() - 1)
                })
                .collect()
        } else {
            // Efraimidis–Spirakis: the k largest keys u^(1/w) are a weighted sample
            // without replacement; ln(u)/w orders the same way without underflow.
            let mut keyed: Vec<(f64, usize)> = self
                .weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(i, &w)| ((1.0 - rng.uniform_f64()).ln() / w, i))
                .collect();
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
            keyed.truncate(self.num_samples);
            keyed.into_iter().map(|(_, i)| i).collect()
        }
    }
    fn source_len(&self) -> Option<usize> {
        Some(self.weights.len())
    }
}

/// A random permutation of given indices, like `SubsetRandomSampler`.
///
/// ```
/// use firelight::{Generator, data::{Sampler, SubsetRandomSampler}};
/// let mut s = SubsetRandomSampler::new(vec![7, 3, 5]).sample(&mut Generator::new(1));
/// s.sort();
/// assert_eq!(s, vec![3, 5, 7]);
/// ```
#[derive(Clone, Debug)]
pub struct SubsetRandomSampler {
    indices: Vec<usize>,
}

impl SubsetRandomSampler {
    /// A shuffle of `indices` each epoch.
    pub fn new(indices: Vec<usize>) -> SubsetRandomSampler {
        SubsetRandomSampler { indices }
    }
}

impl Sampler for SubsetRandomSampler {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        rng.randperm(self.indices.len())
            .into_iter()
            .map(|k| self.indices[k])
            .collect()
    }
}

/// A sampler from a closure: `len` indices per epoch, computed by `f` from the epoch's
/// generator.
///
/// ```
/// use firelight::{Generator, data::{FnSampler, Sampler}};
/// let reversed = FnSampler::new(4, |_rng| (0..4).rev().collect());
/// assert_eq!(reversed.sample(&mut Generator::new(0)), vec![3, 2, 1, 0]);
/// ```
pub struct FnSampler<F> {
    len: usize,
    f: F,
}

impl<F: Fn(&mut Generator) -> Vec<usize> + Send + Sync> FnSampler<F> {
    /// A sampler yielding `f(rng)`, which should hold `len` indices.
    pub fn new(len: usize, f: F) -> FnSampler<F> {
        FnSampler { len, f }
    }
}

impl<F: Fn(&mut Generator) -> Vec<usize> + Send + Sync> Sampler for FnSampler<F> {
    fn len(&self) -> usize {
        self.len
    }
    fn sample(&self, rng: &mut Generator) -> Vec<usize> {
        (self.f)(rng)
    }
}

/// Cuts a sampler's indices into batches of `batch_size`, the last one shorter unless
/// `drop_last`, like `BatchSampler`. A [`DataLoader`](super::DataLoader) builds one from its
/// options.
///
/// ```
/// use firelight::{Generator, data::{BatchSampler, SequentialSampler}};
/// let b = BatchSampler::new(SequentialSampler::new(5), 2, false);
/// assert_eq!(b.len(), 3);
/// assert_eq!(b.batches(&mut Generator::new(0)), vec![vec![0, 1], vec![2, 3], vec![4]]);
/// assert_eq!(BatchSampler::new(SequentialSampler::new(5), 2, true).len(), 2);
/// ```
pub struct BatchSampler {
    sampler: Arc<dyn Sampler>,
    batch_size: usize,
    drop_last: bool,
}

impl BatchSampler {
    /// Batches of `batch_size` indices from `sampler`.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    #[track_caller]
    pub fn new(sampler: impl Sampler + 'static, batch_size: usize, drop_last: bool) -> Self {
        Self::from_arc(Arc::new(sampler), batch_size, drop_last)
    }

    pub(crate) fn from_arc(sampler: Arc<dyn Sampler>, batch_size: usize, drop_last: bool) -> Self {
        assert!(
            batch_size > 0,
            "BatchSampler: batch_size must be a positive integer, got {batch_size}"
        );
        BatchSampler {
            sampler,
            batch_size,
            drop_last,
        }
    }

    /// The number of batches per epoch: `floor(n / batch_size)` with `drop_last`, else
    /// `ceil(n / batch_size)`.
    pub fn len(&self) -> usize {
        let n = self.sampler.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// True when an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One epoch's batches.
    ///
    /// # Panics
    /// If the sampler yields another number of indices than its `len()`.
    pub fn batches(&self, rng: &mut Generator) -> Vec<Vec<usize>> {
        let indices = self.sampler.sample(rng);
        assert_eq!(
            indices.len(),
            self.sampler.len(),
            "sampler yielded {} indices but its len() is {}",
            indices.len(),
            self.sampler.len()
        );
        let mut out: Vec<Vec<usize>> = indices
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect();
        if self.drop_last && out.last().is_some_and(|b| b.len() < self.batch_size) {
            out.pop();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_without_replacement_chains_permutations() {
        let s = RandomSampler::new(4).num_samples(10);
        let v = s.sample(&mut Generator::new(3));
        assert_eq!(v.len(), 10);
        let mut first: Vec<usize> = v[..4].to_vec();
        first.sort();
        assert_eq!(first, vec![0, 1, 2, 3]);
    }

    #[test]
    fn weighted_without_replacement_is_distinct() {
        let s = WeightedRandomSampler::new(vec![1.0, 5.0, 0.0, 2.0, 0.5], 4).replacement(false);
        let mut v = s.sample(&mut Generator::new(9));
        v.sort();
        assert_eq!(v, vec![0, 1, 3, 4]);
    }

    #[test]
    fn weighted_frequencies_follow_weights() {
        let s = WeightedRandomSampler::new(vec![1.0, 2.0, 7.0], 20000);
        let v = s.sample(&mut Generator::new(1));
        let freq = |k| v.iter().filter(|&&i| i == k).count() as f64 / 20000.0;
        assert!((freq(0) - 0.1).abs() < 0.02, "{}", freq(0));
        assert!((freq(2) - 0.7).abs() < 0.02, "{}", freq(2));
    }

    #[test]
    #[should_panic(expected = "cannot draw 3 samples without replacement from 2 non-zero weights")]
    fn weighted_without_replacement_too_many() {
        WeightedRandomSampler::new(vec![1.0, 0.0, 1.0], 3).replacement(false);
    }

    #[test]
    #[should_panic(expected = "weight 1 is -1")]
    fn weighted_negative_weight() {
        WeightedRandomSampler::new(vec![1.0, -1.0], 3);
    }

    #[test]
    #[should_panic(expected = "batch_size must be a positive integer, got 0")]
    fn zero_batch_size() {
        BatchSampler::new(SequentialSampler::new(3), 0, false);
    }

    #[test]
    #[should_panic(expected = "sampler yielded 2 indices but its len() is 3")]
    fn lying_sampler() {
        BatchSampler::new(FnSampler::new(3, |_| vec![0, 1]), 2, false)
            .batches(&mut Generator::new(0));
    }
}
