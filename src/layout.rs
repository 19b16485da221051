//! Shapes, strides and the strided walk that every kernel uses.
use std::fmt;
use std::ops::Deref;

/// A tensor's sizes, one per dimension, like PyTorch's `torch.Size` (and printed as one).
///
/// It dereferences to `[usize]`, so `x.shape()[0]` and `x.shape().len()` work.
///
/// ```
/// use firelight::Tensor;
/// let x = Tensor::zeros(&[50000, 784]);
/// assert_eq!(x.shape()[1], 784);
/// assert_eq!(format!("{}", x.shape()), "torch.Size([50000, 784])");
/// assert_eq!(format!("{:?}", x.shape()), "[50000, 784]");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(pub(crate) Vec<usize>);

impl Shape {
    /// The number of elements: the product of the sizes (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }
    /// The sizes as a vector.
    pub fn to_vec(&self) -> Vec<usize> {
        self.0.clone()
    }
}

impl Deref for Shape {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.0
    }
}

impl From<&[usize]> for Shape {
    fn from(s: &[usize]) -> Shape {
        Shape(s.to_vec())
    }
}

impl From<Vec<usize>> for Shape {
    fn from(s: Vec<usize>) -> Shape {
        Shape(s)
    }
}

impl PartialEq<[usize]> for Shape {
    fn eq(&self, other: &[usize]) -> bool {
        self.0 == other
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Shape {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.0 == other
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.Size({:?})", self.0)
    }
}

/// Row-major strides for a contiguous tensor of `shape`.
///
/// # Panics
/// If the strides overflow `usize`; shapes from files are checked by [`checked_numel`] first.
#[track_caller]
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc = match acc.checked_mul(shape[i].max(1)) {
            Some(acc) => acc,
            None => panic!("shape {shape:?} is too large: its strides overflow"),
        };
    }
    strides
}

/// The number of elements of `shape`, if a tensor of that shape can be laid out: its
/// strides multiply the sizes with zeros counted as ones, so `[0, 2^64-1, 2^64-1]` holds no
/// elements yet cannot be. Every shape a file supplies goes through here.
pub(crate) fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1)))?;
    // Each size is at most its non-zero stand-in, so this product fits too.
    Some(shape.iter().product())
}

/// Where a tensor's elements sit in its storage: sizes, strides (in elements) and offset.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    pub shape: Shape,
    pub strides: Vec<usize>,
    pub offset: usize,
}

impl Layout {
    #[track_caller]
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: Shape(shape.to_vec()),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// True when the elements are in row-major order with no gaps (offset may be non-zero).
    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1;
        for i in (0..self.ndim()).rev() {
            if self.shape[i] != 1 && self.strides[i] != acc {
                return false;
            }
            acc *= self.shape[i];
        }
        true
    }

    /// The contiguous range of storage this layout covers, if it is contiguous.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous()
            .then(|| self.offset..self.offset + self.numel())
    }

    /// The strides this layout has when broadcast to `shape` (0 where it is repeated).
    /// The caller has already checked that broadcasting is valid.
    pub fn broadcast_strides(&self, shape: &[usize]) -> Vec<usize> {
        let extra = shape.len() - self.ndim();
        let mut strides = vec![0; shape.len()];
        for i in 0..self.ndim() {
            if self.shape[i] == shape[i + extra] {
                strides[i + extra] = self.strides[i];
            }
        }
        strides
    }

    /// Strides for viewing this layout with a new shape without copying, if possible
    /// (PyTorch's `view` rule: each run of merged dims must be contiguous in memory).
    pub fn view_strides(&self, new_shape: &[usize]) -> Option<Vec<usize>> {
        if self.is_contiguous() {
            return Some(contiguous_strides(new_shape));
        }
        // Split the old dims into chunks that are contiguous among themselves, and map
        // each chunk onto a run of new dims with the same element count.
        let old: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|&(&s, _)| s != 1)
            .map(|(&s, &st)| (s, st))
            .collect();
        let mut strides = vec![0; new_shape.len()];
        let mut oi = 0;
        let mut ni = 0;
        while ni < new_shape.len() || oi < old.len() {
            // Skip size-1 new dims: any stride works.
            if ni < new_shape.len() && new_shape[ni] == 1 {
                strides[ni] = 1;
                ni += 1;
                continue;
            }
            if oi >= old.len() || ni >= new_shape.len() {
                return None;
            }
            // Gather a chunk of old dims that merge into one block.
            let mut chunk_numel = old[oi].0;
            while oi + 1 < old.len() && old[oi].1 == old[oi + 1].1 * old[oi + 1].0 {
                oi += 1;
                chunk_numel *= old[oi].0;
            }
            let inner_stride = old[oi].1;
            oi += 1;
            // Take new dims until they cover the chunk.
            let first_new = ni;
            let mut covered = 1;
            while ni < new_shape.len() && covered < chunk_numel {
                covered *= new_shape[ni];
                ni += 1;
            }
            if covered != chunk_numel {
                return None;
            }
            let mut acc = inner_stride;
            for j in (first_new..ni).rev() {
                strides[j] = acc;
                acc *= new_shape[j];
            }
        }
        Some(strides)
    }
}

/// Broadcasts two shapes by NumPy rules, or `None` if they do not broadcast.
pub(crate) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Walks `N` strided operands over `shape` in row-major order, calling
/// `f(bases, len, steps)` once per innermost run: element `k` of the run is at
/// `bases[j] + k * steps[j]` in operand `j`. Adjacent dims that are contiguous for every
/// operand are merged first, so contiguous data is one long run.
pub(crate) fn walk<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    offsets: [usize; N],
    mut f: impl FnMut([usize; N], usize, [usize; N]),
) {
    if shape.contains(&0) {
        return;
    }
    // Merge dims from the inside out.
    let mut dims: Vec<usize> = Vec::with_capacity(shape.len());
    let mut st: Vec<[usize; N]> = Vec::with_capacity(shape.len());
    for i in 0..shape.len() {
        if shape[i] == 1 {
            continue;
        }
        let s: [usize; N] = std::array::from_fn(|j| strides[j][i]);
        if let (Some(last_size), Some(last)) = (dims.last_mut(), st.last_mut())
            && (0..N).all(|j| last[j] == s[j] * shape[i])
        {
            *last_size *= shape[i];
            *last = s;
            continue;
        }
        dims.push(shape[i]);
        st.push(s);
    }
    if dims.is_empty() {
        f(offsets, 1, [0; N]);
        return;
    }
    let inner = dims.len() - 1;
    let len = dims[inner];
    let steps = st[inner];
    let outer = &dims[..inner];
    let mut idx = vec![0usize; outer.len()];
    let mut bases = offsets;
    loop {
        f(bases, len, steps);
        // Advance the outer index like an odometer.
        let mut d = outer.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for (j, b) in bases.iter_mut().enumerate() {
                *b += st[d][j];
            }
            if idx[d] < outer[d] {
                break;
            }
            for (j, b) in bases.iter_mut().enumerate() {
                *b -= st[d][j] * outer[d];
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes(&[64, 10], &[10]), Some(vec![64, 10]));
        assert_eq!(broadcast_shapes(&[3, 1], &[1, 4]), Some(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[], &[2, 2]), Some(vec![2, 2]));
        assert_eq!(broadcast_shapes(&[3], &[4]), None);
    }

    #[test]
    fn walk_merges_contiguous_dims() {
        let mut runs = vec![];
        walk(&[2, 3, 4], [&[12, 4, 1]], [5], |b, n, s| {
            runs.push((b, n, s))
        });
        assert_eq!(runs, vec![([5], 24, [1])]);
    }

    #[test]
    fn walk_transposed() {
        // A 2x3 matrix viewed as its 3x2 transpose.
        let mut offs = vec![];
        walk(&[3, 2], [&[1, 3]], [0], |b, n, s| {
            for k in 0..n {
                offs.push(b[0] + k * s[0]);
            }
        });
        assert_eq!(offs, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn shapes_whose_strides_overflow_are_refused() {
        assert_eq!(checked_numel(&[2, 3]), Some(6));
        assert_eq!(checked_numel(&[]), Some(1));
        assert_eq!(checked_numel(&[0, 5]), Some(0));
        assert_eq!(checked_numel(&[0, usize::MAX, usize::MAX]), None);
        assert_eq!(checked_numel(&[1 << 32, 1 << 32]), None);
        let caught = std::panic::catch_unwind(|| contiguous_strides(&[0, usize::MAX, 2]));
        let msg = *caught.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("strides overflow"), "{msg}");
    }

    #[test]
    fn view_of_transposed_needs_copy() {
        let l = Layout {
            shape: Shape(vec![3, 2]),
            strides: vec![1, 3],
            offset: 0,
        };
        assert_eq!(l.view_strides(&[6]), None);
        assert_eq!(l.view_strides(&[3, 2, 1]), Some(vec![1, 3, 1]));
        let n = Layout {
            shape: Shape(vec![4, 3]),
            strides: vec![6, 1],
            offset: 0,
        };
        assert_eq!(n.view_strides(&[2, 2, 3]), Some(vec![12, 6, 1]));
        assert_eq!(n.view_strides(&[12]), None);
    }
}
