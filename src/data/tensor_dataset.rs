//! `TensorDataset`: samples are rows of tensors that share their first dim.
use super::{Collate, Dataset};
use crate::Tensor;
use std::marker::PhantomData;
use std::ops::{Bound, RangeBounds};

/// A group of tensors a [`TensorDataset`] holds, and the shape of its samples and batches:
/// one `Tensor`, a tuple of up to four tensors, or a `Vec<Tensor>` of any number.
/// A tuple lets a loop destructure batches: `for (xb, yb) in &train_dl`.
///
/// ```
/// use firelight::{Tensor, data::Tensors};
/// let pair = (Tensor::zeros(&[2]), Tensor::ones(&[2]));
/// assert_eq!(pair.into_tensors().len(), 2);
/// ```
pub trait Tensors: Collate<Batch = Self> + Clone + Send + Sync + 'static {
    /// The tensors, in order.
    fn into_tensors(self) -> Vec<Tensor>;

    /// Rebuilds the group from tensors in the order [`Tensors::into_tensors`] gives.
    ///
    /// # Panics
    /// If `tensors` holds the wrong number of tensors for this group.
    fn from_tensors(tensors: Vec<Tensor>) -> Self;
}

impl Tensors for Vec<Tensor> {
    fn into_tensors(self) -> Vec<Tensor> {
        self
    }
    fn from_tensors(tensors: Vec<Tensor>) -> Self {
        tensors
    }
}

impl Tensors for Tensor {
    fn into_tensors(self) -> Vec<Tensor> {
        vec![self]
    }
    fn from_tensors(tensors: Vec<Tensor>) -> Self {
        let [t]: [Tensor; 1] = take(tensors);
        t
    }
}

#[track_caller]
fn take<const N: usize>(tensors: Vec<Tensor>) -> [Tensor; N] {
    let n = tensors.len();
    match tensors.try_into() {
        Ok(t) => t,
        Err(_) => panic!("Tensors: expected {N} tensors, got {n}"),
    }
}

macro_rules! tuple_tensors {
    ($n:literal: $($name:ident),+) => {
        impl Tensors for ($(tuple_tensors!(@t $name),)+) {
            fn into_tensors(self) -> Vec<Tensor> {
                let ($($name,)+) = self;
                vec![$($name),+]
            }
            fn from_tensors(tensors: Vec<Tensor>) -> Self {
                let [$($name),+]: [Tensor; $n] = take(tensors);
                ($($name,)+)
            }
        }
    };
    (@t $name:ident) => { Tensor };
}
tuple_tensors!(1: a);
tuple_tensors!(2: a, b);
tuple_tensors!(3: a, b, c);
tuple_tensors!(4: a, b, c, d);

/// Tensors sharing their first dim, sample `i` being row `i` of each, like
/// `torch.utils.data.TensorDataset`. [`TensorDataset::new(x, y)`](TensorDataset::new) takes
/// the inputs and the labels, as PyTorch's `TensorDataset(x, y)`; any other group (one
/// tensor, a tuple of up to four, a `Vec` of any number) goes through
/// [`TensorDataset::from`]. Samples and batches have the group's type: a pair gives pairs.
///
/// Batches are cut with one `index_select` per tensor (or, for consecutive indices, a view
/// of the rows), never by stacking single rows.
///
/// ```
/// use firelight::{Tensor, data::{Dataset, TensorDataset}};
/// let x = Tensor::arange(12).view(&[6, 2]);
/// let y = Tensor::arange(6);
/// let ds = TensorDataset::new(x, y);
/// assert_eq!(ds.len(), 6);
/// let (xi, yi) = ds.get(4);
/// assert_eq!((xi.to_vec::<i64>(), yi.item::<i64>()), (vec![8, 9], 4));
/// let (xb, yb) = ds.slice(2..4); // the tutorial's train_ds[i*bs : i*bs+bs]
/// assert_eq!(xb.shape(), &[2, 2]);
/// let (xb, yb) = ds.get_batch(&[5, 0, 3]);
/// assert_eq!(yb.to_vec::<i64>(), vec![5, 0, 3]);
/// ```
///
/// The tensors are separate arguments, as in PyTorch; the older one-tuple form no longer
/// compiles (where rustc's "remove the extra argument" once led to a one-tensor dataset):
///
/// ```compile_fail,E0061
/// use firelight::{Tensor, data::TensorDataset};
/// let ds = TensorDataset::new((Tensor::zeros(&[6, 2]), Tensor::arange(6)));
/// ```
pub struct TensorDataset<T = Vec<Tensor>> {
    tensors: Vec<Tensor>,
    len: usize,
    _group: PhantomData<fn() -> T>,
}

impl<T> Clone for TensorDataset<T> {
    fn clone(&self) -> Self {
        TensorDataset {
            tensors: self.tensors.clone(),
            len: self.len,
            _group: PhantomData,
        }
    }
}

impl TensorDataset<(Tensor, Tensor)> {
    /// A dataset of `(input, target)` pairs over `x` and `y` (handles: no data is copied),
    /// like PyTorch's `TensorDataset(x, y)`.
    ///
    /// ```
    /// use firelight::{Tensor, data::{Dataset, TensorDataset}};
    /// let ds = TensorDataset::new(Tensor::zeros(&[5, 784]), Tensor::arange(5));
    /// let (x, y) = ds.get(3);
    /// assert_eq!((x.shape().to_vec(), y.item::<i64>()), (vec![784], 3));
    /// ```
    ///
    /// # Panics
    /// If a tensor is 0-dim, or their first dims differ (naming both lengths).
    #[track_caller]
    pub fn new(x: Tensor, y: Tensor) -> TensorDataset<(Tensor, Tensor)> {
        TensorDataset::from((x, y))
    }
}

impl<T: Tensors> From<T> for TensorDataset<T> {
    /// A dataset over any group of tensors: one tensor, a tuple of up to four, or a `Vec`
    /// of any number (handles: no data is copied), like PyTorch's `TensorDataset(*tensors)`.
    ///
    /// ```
    /// use firelight::{Tensor, data::{Dataset, TensorDataset}};
    /// let one = TensorDataset::from(Tensor::arange(4));
    /// assert_eq!(one.get(2).item::<i64>(), 2);
    /// let three = TensorDataset::from((Tensor::zeros(&[4, 2]), Tensor::arange(4), Tensor::ones(&[4])));
    /// let (_, y, w) = three.get(1);
    /// assert_eq!((y.item::<i64>(), w.item::<f32>()), (1, 1.0));
    /// let many = TensorDataset::from(vec![Tensor::arange(4); 5]);
    /// assert_eq!(many.get(0).len(), 5);
    /// ```
    ///
    /// # Panics
    /// If there are no tensors, a tensor is 0-dim, or their first dims differ (the
    /// message lists every tensor's length).
    #[track_caller]
    fn from(tensors: T) -> TensorDataset<T> {
        let tensors = tensors.into_tensors();
        if tensors.is_empty() {
            panic!("TensorDataset: expected at least one tensor");
        }
        for (i, t) in tensors.iter().enumerate() {
            if t.dim() == 0 {
                panic!(
                    "TensorDataset: tensor {i} is 0-dim; every tensor needs a first dim of samples"
                );
            }
        }
        let lens: Vec<usize> = tensors.iter().map(|t| t.shape()[0]).collect();
        if lens.iter().any(|&n| n != lens[0]) {
            panic!(
                "TensorDataset: size mismatch between tensors: all must have the same first dim, got lengths {lens:?}"
            );
        }
        TensorDataset {
            len: lens[0],
            tensors,
            _group: PhantomData,
        }
    }
}

impl<T: Tensors> TensorDataset<T> {
    /// The tensors, in order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// The samples in `range`, as views of the rows, like Python's `ds[a:b]`. Ends past
    /// the length are clipped, as in Python.
    ///
    /// ```
    /// use firelight::{Tensor, data::TensorDataset};
    /// let ds = TensorDataset::from(Tensor::arange(5));
    /// assert_eq!(ds.slice(3..10).to_vec::<i64>(), vec![3, 4]);
    /// ```
    pub fn slice(&self, range: impl RangeBounds<usize>) -> T {
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s + 1,
            Bound::Unbounded => 0,
        }
        .min(self.len);
        let end = match range.end_bound() {
            Bound::Included(&e) => e + 1,
            Bound::Excluded(&e) => e,
            Bound::Unbounded => self.len,
        }
        .min(self.len);
        let n = end.saturating_sub(start);
        T::from_tensors(self.tensors.iter().map(|t| t.narrow(0, start, n)).collect())
    }

    #[track_caller]
    fn check(&self, index: usize) {
        if index >= self.len {
            panic!(
                "TensorDataset: index {index} is out of range for {} samples",
                self.len
            );
        }
    }
}

impl<T: Tensors> Dataset for TensorDataset<T> {
    type Item = T;

    fn len(&self) -> usize {
        self.len
    }

    /// Row `index` of every tensor (views).
    ///
    /// # Panics
    /// If `index >= len()`, naming both.
    #[track_caller]
    fn get(&self, index: usize) -> T {
        self.check(index);
        T::from_tensors(
            self.tensors
                .iter()
                .map(|t| t.select(0, index as i64))
                .collect(),
        )
    }

    /// Rows `indices` of every tensor: one `index_select` per tensor, or a view when the
    /// indices are consecutive (an unshuffled loader), so no data is copied.
    ///
    /// # Panics
    /// If an index is out of range, naming it and the length, or `indices` is empty.
    fn get_batch(&self, indices: &[usize]) -> T {
        assert!(
            !indices.is_empty(),
            "TensorDataset: cannot get an empty batch"
        );
        for &i in indices {
            self.check(i);
        }
        let first = indices[0];
        let consecutive = indices.iter().enumerate().all(|(k, &i)| i == first + k);
        let picked = if consecutive {
            self.tensors
                .iter()
                .map(|t| t.narrow(0, first, indices.len()))
                .collect()
        } else {
            let idx: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
            let idx = Tensor::from_vec(idx, &[indices.len()]);
            // Tensors may live on a GPU (a data set moved there whole): the indices follow.
            self.tensors
                .iter()
                .map(|t| t.index_select(0, &idx.to(&t.device())))
                .collect()
        };
        T::from_tensors(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> TensorDataset<(Tensor, Tensor)> {
        TensorDataset::new(Tensor::arange(20).view(&[10, 2]), Tensor::arange(10))
    }

    #[test]
    fn batch_equals_stacked_samples() {
        let ds = ds();
        for idx in [vec![3usize, 1, 7], vec![4, 5, 6], vec![9]] {
            let (xb, yb) = ds.get_batch(&idx);
            let rows: Vec<(Tensor, Tensor)> = idx.iter().map(|&i| ds.get(i)).collect();
            let (xs, ys) = Collate::collate(rows);
            assert_eq!(xb.to_vec::<i64>(), xs.to_vec::<i64>());
            assert_eq!(yb.to_vec::<i64>(), ys.to_vec::<i64>());
            assert_eq!(xb.shape(), &[idx.len(), 2]);
        }
    }

    #[test]
    fn any_number_of_tensors() {
        let ds = TensorDataset::from(vec![
            Tensor::zeros(&[4, 3]),
            Tensor::arange(4),
            Tensor::ones(&[4]),
        ]);
        let b = ds.get_batch(&[0, 2]);
        assert_eq!(b.len(), 3);
        assert_eq!(b[1].to_vec::<i64>(), vec![0, 2]);
    }

    #[test]
    fn slice_clips_like_python() {
        let (x, y) = ds().slice(8..100);
        assert_eq!(x.shape(), &[2, 2]);
        assert_eq!(y.to_vec::<i64>(), vec![8, 9]);
        assert_eq!(ds().slice(12..).1.shape(), &[0]);
    }

    #[test]
    #[should_panic(expected = "got lengths [10, 9]")]
    fn different_lengths_panic() {
        TensorDataset::new(Tensor::zeros(&[10, 2]), Tensor::zeros(&[9]));
    }

    #[test]
    #[should_panic(expected = "TensorDataset: index 10 is out of range for 10 samples")]
    fn get_out_of_range() {
        ds().get(10);
    }

    #[test]
    #[should_panic(expected = "TensorDataset: index 12 is out of range for 10 samples")]
    fn batch_out_of_range() {
        ds().get_batch(&[1, 12]);
    }
}
