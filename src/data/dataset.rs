//! The `Dataset` trait, and datasets built from other datasets: `Subset`, `ConcatDataset`.
use super::Collate;
use std::sync::Arc;

/// A map-style dataset, like `torch.utils.data.Dataset`: `len()` samples, reached by
/// index.
///
/// Only [`Dataset::len`] and [`Dataset::get`] are required. [`Dataset::get_batch`] gets
/// each sample and collates them; datasets that can do better (such as
/// [`TensorDataset`](super::TensorDataset), with one `index_select` per tensor) override it.
///
/// ```
/// use firelight::data::Dataset;
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = (i64, f32);
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, i: usize) -> (i64, f32) {
///         assert!(i < self.0, "Squares: index {i} is out of range for {} samples", self.0);
///         (i as i64, (i * i) as f32)
///     }
/// }
/// let (i, sq) = Squares(10).get_batch(&[3, 4]);
/// assert_eq!(i.to_vec::<i64>(), vec![3, 4]);
/// assert_eq!(sq.to_vec::<f32>(), vec![9.0, 16.0]);
/// ```
pub trait Dataset {
    /// One sample.
    type Item;

    /// The number of samples.
    fn len(&self) -> usize;

    /// Sample `index`.
    ///
    /// # Panics
    /// Implementations panic, naming the index and the length, when `index >= len()`.
    fn get(&self, index: usize) -> Self::Item;

    /// True when there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples at `indices`, collated into one batch.
    ///
    /// # Panics
    /// As [`Dataset::get`] for an index out of range, and as [`Collate::collate`] for an
    /// empty `indices`.
    fn get_batch(&self, indices: &[usize]) -> <Self::Item as Collate>::Batch
    where
        Self::Item: Collate,
    {
        Collate::collate(indices.iter().map(|&i| self.get(i)).collect())
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    #[track_caller]
    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }
    fn get_batch(&self, indices: &[usize]) -> <D::Item as Collate>::Batch
    where
        D::Item: Collate,
    {
        (**self).get_batch(indices)
    }
}

/// The samples of `dataset` at `indices`, in that order, like `torch.utils.data.Subset`.
/// [`random_split`](super::random_split) returns these.
///
/// ```
/// use firelight::{Tensor, data::{Dataset, Subset, TensorDataset}};
/// use std::sync::Arc;
/// let ds = Arc::new(TensorDataset::from(Tensor::arange(10)));
/// let odd = Subset::new(ds, vec![1, 3, 5]);
/// assert_eq!(odd.len(), 3);
/// assert_eq!(odd.get(2).item::<i64>(), 5);
/// assert_eq!(odd.get_batch(&[0, 2]).to_vec::<i64>(), vec![1, 5]);
/// ```
pub struct Subset<D> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The samples of `dataset` at `indices`.
    ///
    /// # Panics
    /// If an index is not below `dataset.len()`, naming it.
    #[track_caller]
    pub fn new(dataset: Arc<D>, indices: Vec<usize>) -> Subset<D> {
        let n = dataset.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!("Subset: index {bad} is out of range for a dataset of {n} samples");
        }
        Subset { dataset, indices }
    }

    /// The underlying dataset.
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    #[track_caller]
    fn source(&self, i: usize) -> usize {
        match self.indices.get(i) {
            Some(&j) => j,
            None => panic!(
                "Subset: index {i} is out of range for {} samples",
                self.indices.len()
            ),
        }
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.indices.len()
    }
    #[track_caller]
    fn get(&self, index: usize) -> D::Item {
        self.dataset.get(self.source(index))
    }
    // Maps the indices and asks the inner dataset, so its fast batched path still applies.
    fn get_batch(&self, indices: &[usize]) -> <D::Item as Collate>::Batch
    where
        D::Item: Collate,
    {
        let mapped: Vec<usize> = indices.iter().map(|&i| self.source(i)).collect();
        self.dataset.get_batch(&mapped)
    }
}

/// Datasets one after another, like `torch.utils.data.ConcatDataset`.
///
/// ```
/// use firelight::{Tensor, data::{ConcatDataset, Dataset, TensorDataset}};
/// let a = TensorDataset::from(Tensor::arange(3));
/// let b = TensorDataset::from(Tensor::arange_step(10, 12, 1));
/// let both = ConcatDataset::new(vec![a, b]);
/// assert_eq!(both.len(), 5);
/// assert_eq!(both.get(3).item::<i64>(), 10);
/// assert_eq!(both.get_batch(&[4, 0]).to_vec::<i64>(), vec![11, 0]);
/// ```
pub struct ConcatDataset<D> {
    datasets: Vec<D>,
    /// `ends[k]` is the total length of datasets `0..=k`.
    ends: Vec<usize>,
}

impl<D: Dataset> ConcatDataset<D> {
    /// `datasets` in order.
    ///
    /// # Panics
    /// If `datasets` is empty.
    #[track_caller]
    pub fn new(datasets: Vec<D>) -> ConcatDataset<D> {
        assert!(
            !datasets.is_empty(),
            "ConcatDataset: expected at least one dataset"
        );
        let ends = datasets
            .iter()
            .scan(0, |total, d| {
                *total += d.len();
                Some(*total)
            })
            .collect();
        ConcatDataset { datasets, ends }
    }

    /// The datasets, in order.
    pub fn datasets(&self) -> &[D] {
        &self.datasets
    }
}

impl<D: Dataset> Dataset for ConcatDataset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        *self.ends.last().expect("at least one dataset")
    }
    #[track_caller]
    fn get(&self, index: usize) -> D::Item {
        let n = self.len();
        assert!(
            index < n,
            "ConcatDataset: index {index} is out of range for {n} samples"
        );
        let k = self.ends.partition_point(|&end| end <= index);
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        self.datasets[k].get(index - start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;
    use crate::data::TensorDataset;

    #[test]
    fn concat_skips_empty_parts() {
        let part = |v: Vec<i64>| {
            let n = v.len();
            TensorDataset::from(Tensor::from_vec(v, &[n]))
        };
        let ds = ConcatDataset::new(vec![
            part(vec![]),
            part(vec![1, 2]),
            part(vec![]),
            part(vec![3]),
        ]);
        let all: Vec<i64> = (0..ds.len()).map(|i| ds.get(i).item::<i64>()).collect();
        assert_eq!(all, vec![1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "ConcatDataset: index 3 is out of range for 3 samples")]
    fn concat_out_of_range() {
        let ds = ConcatDataset::new(vec![TensorDataset::from(Tensor::arange(3))]);
        ds.get(3);
    }

    #[test]
    #[should_panic(expected = "Subset: index 9 is out of range for a dataset of 3 samples")]
    fn subset_rejects_bad_indices() {
        Subset::new(Arc::new(TensorDataset::from(Tensor::arange(3))), vec![0, 9]);
    }

    #[test]
    #[should_panic(expected = "Subset: index 2 is out of range for 2 samples")]
    fn subset_get_out_of_range() {
        Subset::new(Arc::new(TensorDataset::from(Tensor::arange(3))), vec![0, 1]).get(2);
    }
}
