//! `random_split`: disjoint random subsets of a dataset.
use super::{Dataset, Subset};
use crate::Generator;
use std::sync::Arc;

/// The sizes for [`random_split`]: sample counts that add up to the dataset's length, or
/// fractions that add up to 1 (floors, with the remainder given one by one to the first
/// splits, as PyTorch does).
#[derive(Clone, Debug, PartialEq)]
pub enum Lengths {
    /// Sample counts.
    Counts(Vec<usize>),
    /// Fractions of the dataset.
    Fractions(Vec<f64>),
}

impl<const N: usize> From<[usize; N]> for Lengths {
    fn from(v: [usize; N]) -> Lengths {
        Lengths::Counts(v.to_vec())
    }
}
impl From<&[usize]> for Lengths {
    fn from(v: &[usize]) -> Lengths {
        Lengths::Counts(v.to_vec())
    }
}
impl From<Vec<usize>> for Lengths {
    fn from(v: Vec<usize>) -> Lengths {
        Lengths::Counts(v)
    }
}
impl<const N: usize> From<[f64; N]> for Lengths {
    fn from(v: [f64; N]) -> Lengths {
        Lengths::Fractions(v.to_vec())
    }
}
impl From<&[f64]> for Lengths {
    fn from(v: &[f64]) -> Lengths {
        Lengths::Fractions(v.to_vec())
    }
}
impl From<Vec<f64>> for Lengths {
    fn from(v: Vec<f64>) -> Lengths {
        Lengths::Fractions(v)
    }
}

impl Lengths {
    /// The sample counts for a dataset of `n` samples.
    ///
    /// # Panics
    /// If counts do not add up to `n`, or fractions are outside `[0, 1]` or do not add up
    /// to 1.
    #[track_caller]
    pub fn resolve(&self, n: usize) -> Vec<usize> {
        match self {
            Lengths::Counts(c) => {
                let total: usize = c.iter().sum();
                assert_eq!(
                    total, n,
                    "random_split: lengths {c:?} add up to {total}, not the dataset's length {n}"
                );
                c.clone()
            }
            Lengths::Fractions(f) => {
                let total: f64 = f.iter().sum();
                assert!(
                    f.iter().all(|x| (0.0..=1.0).contains(x)) && (total - 1.0).abs() < 1e-9,
                    "random_split: fractions {f:?} must each be in [0, 1] and add up to 1 (they add up to {total})"
                );
                let mut counts: Vec<usize> =
                    f.iter().map(|&x| (x * n as f64).floor() as usize).collect();
                let remainder = n - counts.iter().sum::<usize>();
                for i in 0..remainder {
                    let k = i % counts.len();
                    counts[k] += 1;
                }
                counts
            }
        }
    }
}

/// Splits `dataset` into disjoint random subsets of the given sizes, like
/// `torch.utils.data.random_split`, drawing from the global generator (so
/// [`manual_seed`](crate::manual_seed) fixes the split).
///
/// ```
/// use firelight::{Tensor, data::{Dataset, TensorDataset, random_split}};
/// firelight::manual_seed(0);
/// let parts = random_split(TensorDataset::from(Tensor::arange(10)), [7, 3]);
/// assert_eq!((parts[0].len(), parts[1].len()), (7, 3));
/// // floor(10 * f) = 5, 2, 2; the one left over goes to the first split.
/// let parts = random_split(TensorDataset::from(Tensor::arange(10)), [0.5, 0.25, 0.25]);
/// assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![6, 2, 2]);
/// ```
///
/// # Panics
/// As [`Lengths::resolve`] when the sizes do not fit the dataset.
#[track_caller]
pub fn random_split<D: Dataset>(dataset: D, lengths: impl Into<Lengths>) -> Vec<Subset<D>> {
    let n = dataset.len();
    let counts = lengths.into().resolve(n);
    let perm = crate::tensor::random::with_global(|g| g.randperm(n));
    cut(Arc::new(dataset), &counts, perm)
}

/// [`random_split`] drawing from `generator` instead of the global one.
///
/// ```
/// use firelight::{Generator, Tensor, data::{Subset, TensorDataset, random_split_with}};
/// let ds = TensorDataset::from(Tensor::arange(6));
/// let a = random_split_with(ds.clone(), [3, 3], &mut Generator::new(5));
/// let b = random_split_with(ds, [3, 3], &mut Generator::new(5));
/// assert_eq!(a[0].indices(), b[0].indices());
/// ```
///
/// # Panics
/// As [`Lengths::resolve`] when the sizes do not fit the dataset.
#[track_caller]
pub fn random_split_with<D: Dataset>(
    dataset: D,
    lengths: impl Into<Lengths>,
    generator: &mut Generator,
) -> Vec<Subset<D>> {
    let n = dataset.len();
    let counts = lengths.into().resolve(n);
    let perm = generator.randperm(n);
    cut(Arc::new(dataset), &counts, perm)
}

fn cut<D: Dataset>(dataset: Arc<D>, counts: &[usize], perm: Vec<usize>) -> Vec<Subset<D>> {
    let mut start = 0;
    counts
        .iter()
        .map(|&c| {
            let part = perm[start..start + c].to_vec();
            start += c;
            Subset::new(dataset.clone(), part)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;
    use crate::data::TensorDataset;

    #[test]
    fn splits_are_disjoint_and_cover() {
        let parts = random_split_with(
            TensorDataset::from(Tensor::arange(10)),
            vec![0.3, 0.3, 0.4],
            &mut Generator::new(2),
        );
        let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
        assert_eq!(
            parts.iter().map(|p| p.indices().len()).collect::<Vec<_>>(),
            vec![3, 3, 4]
        );
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn fraction_remainder_goes_to_first_splits() {
        assert_eq!(Lengths::from([1.0 / 3.0; 3]).resolve(11), vec![4, 4, 3]);
    }

    #[test]
    #[should_panic(expected = "lengths [5, 4] add up to 9, not the dataset's length 10")]
    fn counts_must_add_up() {
        random_split(TensorDataset::from(Tensor::arange(10)), [5, 4]);
    }

    #[test]
    #[should_panic(expected = "fractions [0.5, 0.6] must each be in [0, 1] and add up to 1")]
    fn fractions_must_add_up() {
        random_split(TensorDataset::from(Tensor::arange(10)), [0.5, 0.6]);
    }
}
