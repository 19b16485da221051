//! Collation: turning a list of samples into one batch, as `default_collate` does.
use crate::Tensor;

/// How a list of samples becomes one batch, like PyTorch's `default_collate`: tensors are
/// stacked along a new first dim, numbers become a 1-D tensor, and tuples and `Vec`s are
/// collated position by position.
///
/// ```
/// use firelight::Tensor;
/// use firelight::data::Collate;
/// let samples = vec![(Tensor::zeros(&[3]), 1i64), (Tensor::ones(&[3]), 7i64)];
/// let (x, y) = Collate::collate(samples);
/// assert_eq!(x.shape(), &[2, 3]);
/// assert_eq!(y.to_vec::<i64>(), vec![1, 7]);
/// ```
pub trait Collate: Sized {
    /// What a batch of these samples is.
    type Batch;

    /// Collates `items` into one batch.
    ///
    /// # Panics
    /// If `items` is empty (a batch has at least one sample), or samples disagree in shape
    /// or length.
    fn collate(items: Vec<Self>) -> Self::Batch;
}

/// Collates `items` with [`Collate`], like `torch.utils.data.default_collate`.
///
/// ```
/// use firelight::{Tensor, data::default_collate};
/// let b = default_collate(vec![Tensor::zeros(&[2, 2]), Tensor::ones(&[2, 2])]);
/// assert_eq!(b.shape(), &[2, 2, 2]);
/// ```
pub fn default_collate<T: Collate>(items: Vec<T>) -> T::Batch {
    T::collate(items)
}

impl Collate for Tensor {
    type Batch = Tensor;
    fn collate(items: Vec<Tensor>) -> Tensor {
        assert!(!items.is_empty(), "collate: cannot collate an empty batch");
        let refs: Vec<&Tensor> = items.iter().collect();
        Tensor::stack(&refs, 0)
    }
}

macro_rules! number_collate {
    ($($t:ty => $as:ty),+) => {$(
        impl Collate for $t {
            type Batch = Tensor;
            fn collate(items: Vec<$t>) -> Tensor {
                assert!(!items.is_empty(), "collate: cannot collate an empty batch");
                let n = items.len();
                Tensor::from_vec(items.into_iter().map(|v| v as $as).collect::<Vec<$as>>(), &[n])
            }
        }
    )+};
}
// Integers become int64 and floats keep their width, as default_collate does.
number_collate!(i64 => i64, i32 => i64, usize => i64, u8 => i64, f32 => f32, f64 => f64);

macro_rules! tuple_collate {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Collate),+> Collate for ($($name,)+) {
            type Batch = ($($name::Batch,)+);
            #[allow(non_snake_case)]
            fn collate(items: Vec<Self>) -> Self::Batch {
                let n = items.len();
                $(let mut $name = Vec::<$name>::with_capacity(n);)+
                for item in items {
                    $($name.push(item.$idx);)+
                }
                ($($name::collate($name),)+)
            }
        }
    };
}
tuple_collate!(A 0);
tuple_collate!(A 0, B 1);
tuple_collate!(A 0, B 1, C 2);
tuple_collate!(A 0, B 1, C 2, D 3);

impl<T: Collate> Collate for Vec<T> {
    type Batch = Vec<T::Batch>;
    fn collate(items: Vec<Vec<T>>) -> Vec<T::Batch> {
        assert!(!items.is_empty(), "collate: cannot collate an empty batch");
        let width = items[0].len();
        let mut columns: Vec<Vec<T>> = (0..width)
            .map(|_| Vec::with_capacity(items.len()))
            .collect();
        for (i, item) in items.into_iter().enumerate() {
            assert_eq!(
                item.len(),
                width,
                "collate: sample {i} has {} fields but sample 0 has {width}",
                item.len()
            );
            for (col, v) in columns.iter_mut().zip(item) {
                col.push(v);
            }
        }
        columns.into_iter().map(T::collate).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_samples_collate_by_position() {
        let s = |v: f32| vec![Tensor::full(&[2], v as f64), Tensor::scalar(v as i64)];
        let b = default_collate(vec![s(1.0), s(2.0), s(3.0)]);
        assert_eq!(b[0].shape(), &[3, 2]);
        assert_eq!(b[0].to_vec::<f32>(), vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
        assert_eq!(b[1].to_vec::<i64>(), vec![1, 2, 3]);
    }

    #[test]
    fn nested_tuples_and_numbers() {
        let b = default_collate(vec![(1.5f64, (2u8, 3i32)), (2.5, (4, 5))]);
        assert_eq!(b.0.dtype(), crate::DType::F64);
        assert_eq!(b.1.0.to_vec::<i64>(), vec![2, 4]);
        assert_eq!(b.1.1.to_vec::<i64>(), vec![3, 5]);
    }

    #[test]
    #[should_panic(expected = "collate: sample 1 has 1 fields but sample 0 has 2")]
    fn ragged_vec_samples_panic() {
        default_collate(vec![vec![1i64, 2], vec![3]]);
    }

    #[test]
    #[should_panic(expected = "cannot collate an empty batch")]
    fn empty_batch_panics() {
        default_collate(Vec::<Tensor>::new());
    }
}
