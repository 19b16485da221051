//! Creating tensors: constants, ranges, data from Rust, random values.
use super::Tensor;
use super::random::with_global;
use crate::backend::{CpuStorage, Storage};
use crate::dtype::Element;
use crate::{DType, Device, get_default_dtype};

#[track_caller]
fn check_len(len: usize, shape: &[usize], op: &str) {
    let numel: usize = shape.iter().product();
    if len != numel {
        panic!("{op}: {len} values cannot fill shape {shape:?} ({numel} elements)");
    }
}

/// Data that [`Tensor::tensor`] turns into a tensor, as Python values given to
/// `torch.tensor`: a number, or arrays, `Vec`s or slices of them, nested to any depth.
/// The element type picks the dtype as PyTorch's Python values do: Rust float literals
/// (`f64`) give the default dtype (float32, see [`crate::set_default_dtype`]), `f32`
/// float32, integers (`i32` literals, `i64`) int64, `u8` uint8, `bool` bool.
///
/// ```
/// use firelight::{DType, Tensor};
/// assert_eq!(Tensor::tensor(3.5).shape(), &[] as &[usize]);
/// assert_eq!(Tensor::tensor(vec![vec![1, 2], vec![3, 4]]).dtype(), DType::I64);
/// assert_eq!(Tensor::tensor(&[0.5f32, 1.5][..]).dtype(), DType::F32);
/// ```
pub trait TensorData {
    /// The Rust type of the elements.
    type Elem: Scalar;

    /// Appends the elements in row-major order, recording (or checking) the size of each
    /// dim from `dim` on.
    #[doc(hidden)]
    fn flatten(&self, dim: usize, shape: &mut Vec<usize>, out: &mut Vec<Self::Elem>);
}

/// An element type of [`TensorData`], with the dtype a value of it becomes.
pub trait Scalar: Copy {
    /// A tensor of `shape` holding `values`, with this type's dtype.
    #[doc(hidden)]
    fn into_tensor(values: Vec<Self>, shape: &[usize]) -> Tensor;
}

macro_rules! scalar {
    ($t:ty, |$v:ident, $shape:ident| $make:expr) => {
        impl Scalar for $t {
            fn into_tensor($v: Vec<$t>, $shape: &[usize]) -> Tensor {
                $make
            }
        }
        impl TensorData for $t {
            type Elem = $t;
            fn flatten(&self, _: usize, _: &mut Vec<usize>, out: &mut Vec<$t>) {
                out.push(*self);
            }
        }
    };
}
// A Rust float literal is PyTorch's Python float: the default dtype.
scalar!(f64, |v, shape| match get_default_dtype() {
    DType::F64 => Tensor::from_vec(v, shape),
    _ => Tensor::from_vec(v.into_iter().map(|x| x as f32).collect(), shape),
});
scalar!(f32, |v, shape| Tensor::from_vec(v, shape));
scalar!(i64, |v, shape| Tensor::from_vec(v, shape));
scalar!(i32, |v, shape| Tensor::from_vec(
    v.into_iter().map(i64::from).collect(),
    shape
));
scalar!(u8, |v, shape| Tensor::from_vec(v, shape));
scalar!(bool, |v, shape| Tensor::from_vec(v, shape));

/// Records that dim `dim` has `n` entries, or panics if an earlier row had another count.
#[track_caller]
fn record_dim(dim: usize, n: usize, shape: &mut Vec<usize>) {
    if shape.len() == dim {
        shape.push(n);
    } else if shape[dim] != n {
        panic!(
            "Tensor::tensor: expected a sequence of length {} at dim {dim} (got {n}): rows must all have the same length",
            shape[dim]
        );
    }
}

impl<T: TensorData> TensorData for [T] {
    type Elem = T::Elem;
    #[track_caller]
    fn flatten(&self, dim: usize, shape: &mut Vec<usize>, out: &mut Vec<T::Elem>) {
        record_dim(dim, self.len(), shape);
        for x in self {
            x.flatten(dim + 1, shape, out);
        }
    }
}

impl<T: TensorData, const N: usize> TensorData for [T; N] {
    type Elem = T::Elem;
    #[track_caller]
    fn flatten(&self, dim: usize, shape: &mut Vec<usize>, out: &mut Vec<T::Elem>) {
        self[..].flatten(dim, shape, out)
    }
}

impl<T: TensorData> TensorData for Vec<T> {
    type Elem = T::Elem;
    #[track_caller]
    fn flatten(&self, dim: usize, shape: &mut Vec<usize>, out: &mut Vec<T::Elem>) {
        self[..].flatten(dim, shape, out)
    }
}

impl<T: TensorData + ?Sized> TensorData for &T {
    type Elem = T::Elem;
    #[track_caller]
    fn flatten(&self, dim: usize, shape: &mut Vec<usize>, out: &mut Vec<T::Elem>) {
        (**self).flatten(dim, shape, out)
    }
}

impl Tensor {
    /// A tensor from nested arrays, `Vec`s or a number, like `torch.tensor(data)`: float
    /// literals give the default dtype (float32), integer literals int64, as Python's
    /// numbers do in PyTorch. The data is copied.
    ///
    /// ```
    /// use firelight::{DType, Tensor};
    /// let x = Tensor::tensor([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!((x.shape(), x.dtype()), (&[2, 2][..].into(), DType::F32));
    /// // float32, like randn's: the two multiply (a float64 literal would not).
    /// let y = x.matmul(&Tensor::randn(&[2, 3]));
    /// assert_eq!(y.shape(), &[2, 3]);
    /// assert_eq!(Tensor::tensor([1, 2, 3]).dtype(), DType::I64);
    /// assert_eq!(Tensor::tensor(2.5).item::<f32>(), 2.5);
    /// assert_eq!(Tensor::tensor([true, false]).dtype(), DType::Bool);
    /// ```
    ///
    /// # Panics
    /// If nested `Vec`s or slices have rows of different lengths.
    #[track_caller]
    #[allow(clippy::self_named_constructors)] // PyTorch's name: `torch.tensor(data)`
    pub fn tensor<D: TensorData>(data: D) -> Tensor {
        let (mut shape, mut values) = (Vec::new(), Vec::new());
        data.flatten(0, &mut shape, &mut values);
        // An empty sequence leaves the dims below it unknown: they are 0, as in PyTorch.
        D::Elem::into_tensor(values, &shape)
    }

    /// A tensor from a vector of values in row-major order, with the dtype of `T`: for
    /// data you hold in a `Vec`. (A float literal here is `f64`, so the tensor is float64;
    /// [`Tensor::tensor`] gives PyTorch's float32.)
    ///
    /// ```
    /// let x = firelight::Tensor::tensor([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// ```
    ///
    /// # Panics
    /// If the length does not equal the shape's element count.
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        check_len(data.len(), shape, "from_vec");
        Tensor::from_storage(Storage::Cpu(CpuStorage::from_vec(data)), shape)
    }

    /// A tensor copied from a slice, with the dtype of `T`.
    ///
    /// ```
    /// let x = firelight::Tensor::from_slice(&[0.5f64, 1.5], &[2]);
    /// assert_eq!(x.dtype(), firelight::DType::F64);
    /// ```
    #[track_caller]
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape)
    }

    /// A zero-dimensional tensor holding one value.
    ///
    /// ```
    /// let s = firelight::Tensor::scalar(3.0f32);
    /// assert_eq!(s.dim(), 0);
    /// assert_eq!(s.item::<f32>(), 3.0);
    /// ```
    #[track_caller]
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_vec(vec![value], &[])
    }

    /// A tensor of `shape` filled with `value`, of any dtype and device.
    ///
    /// ```
    /// use firelight::{DType, Device, Tensor};
    /// let t = Tensor::full_with(&[2], 7.0, DType::I64, Device::Cpu);
    /// assert_eq!(t.to_vec::<i64>(), vec![7, 7]);
    /// ```
    #[track_caller]
    pub fn full_with(shape: &[usize], value: f64, dtype: DType, device: Device) -> Tensor {
        Tensor::from_storage(
            Storage::full(shape.iter().product(), value, dtype, device),
            shape,
        )
    }

    /// Zeros of the default dtype (float32, see [`crate::set_default_dtype`]).
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::zeros(&[2]).to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full_with(shape, 0.0, get_default_dtype(), Device::Cpu)
    }

    /// Ones of the default dtype (float32).
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::ones(&[2]).to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full_with(shape, 1.0, get_default_dtype(), Device::Cpu)
    }

    /// `value` everywhere, of the default dtype (float32).
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::full(&[1], 0.5).item::<f32>(), 0.5);
    /// ```
    #[track_caller]
    pub fn full(shape: &[usize], value: f64) -> Tensor {
        Tensor::full_with(shape, value, get_default_dtype(), Device::Cpu)
    }

    /// Zeros with this tensor's shape, dtype and device.
    ///
    /// ```
    /// let x = firelight::Tensor::arange(3);
    /// assert_eq!(x.zeros_like().to_vec::<i64>(), vec![0, 0, 0]);
    /// ```
    pub fn zeros_like(&self) -> Tensor {
        Tensor::full_with(self.shape(), 0.0, self.dtype(), self.device())
    }

    /// Ones with this tensor's shape, dtype and device.
    pub fn ones_like(&self) -> Tensor {
        Tensor::full_with(self.shape(), 1.0, self.dtype(), self.device())
    }

    /// `value` everywhere, with this tensor's shape, dtype and device.
    pub fn full_like(&self, value: f64) -> Tensor {
        Tensor::full_with(self.shape(), value, self.dtype(), self.device())
    }

    /// The int64 values `0, 1, ..., end - 1`, like `torch.arange(end)`.
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::arange(3).to_vec::<i64>(), vec![0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn arange(end: i64) -> Tensor {
        Tensor::arange_step(0, end, 1)
    }

    /// The int64 values from `start` up to (not including) `end` by `step`.
    ///
    /// ```
    /// assert_eq!(firelight::Tensor::arange_step(1, 8, 3).to_vec::<i64>(), vec![1, 4, 7]);
    /// ```
    #[track_caller]
    pub fn arange_step(start: i64, end: i64, step: i64) -> Tensor {
        assert!(step != 0, "arange: step must be non-zero");
        let n = if (step > 0 && end > start) || (step < 0 && end < start) {
            ((end - start).abs() + step.abs() - 1) / step.abs()
        } else {
            0
        };
        let v: Vec<i64> = (0..n).map(|i| start + i * step).collect();
        let len = v.len();
        Tensor::from_vec(v, &[len])
    }

    /// Uniform random values in `[0, 1)` of the default dtype (float32) from the global
    /// generator (see [`crate::manual_seed`]).
    ///
    /// ```
    /// let r = firelight::Tensor::rand(&[100]);
    /// assert!(r.to_vec::<f32>().iter().all(|&v| (0.0..1.0).contains(&v)));
    /// ```
    #[track_caller]
    pub fn rand(shape: &[usize]) -> Tensor {
        Tensor::rand_with(shape, get_default_dtype(), Device::Cpu)
    }

    /// Uniform `[0, 1)` values of a float `dtype` on `device`, from the global generator,
    /// like `torch.rand(shape, dtype=..., device=...)`. A GPU draws them there (from one
    /// seed the generator gives), so a seed reproduces them on that device; the CPU and a
    /// GPU draw different streams, as in PyTorch.
    ///
    /// ```
    /// use firelight::{DType, Device, Tensor};
    /// let r = Tensor::rand_with(&[1000], DType::F32, Device::Cpu);
    /// assert!(r.to_vec::<f32>().iter().all(|&v| (0.0..1.0).contains(&v)));
    /// ```
    ///
    /// # Panics
    /// For a dtype that is not a float.
    #[track_caller]
    pub fn rand_with(shape: &[usize], dtype: DType, device: Device) -> Tensor {
        assert!(
            dtype.is_float(),
            "rand: expected a floating point dtype, got {dtype}"
        );
        Tensor::from_storage(Storage::rand(shape.iter().product(), dtype, device), shape)
    }

    /// Standard normal random values of the default dtype (float32) from the global
    /// generator.
    ///
    /// ```
    /// let r = firelight::Tensor::randn(&[10000]);
    /// assert!(r.mean(..).item::<f32>().abs() < 0.05);
    /// ```
    #[track_caller]
    pub fn randn(shape: &[usize]) -> Tensor {
        Tensor::randn_of(shape, get_default_dtype())
    }

    /// Standard normal values of a float dtype, drawn on the host.
    #[track_caller]
    fn randn_of(shape: &[usize], dtype: DType) -> Tensor {
        let v = with_global(|g| g.normals(shape.iter().product()));
        match dtype {
            DType::F64 => Tensor::from_vec(v, shape),
            _ => Tensor::from_vec(v.into_iter().map(|x| x as f32).collect(), shape),
        }
    }

    /// Uniform random int64 values in `[low, high)`.
    ///
    /// ```
    /// let r = firelight::Tensor::randint(0, 10, &[50]);
    /// assert!(r.to_vec::<i64>().iter().all(|&v| (0..10).contains(&v)));
    /// ```
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
        assert!(
            high > low,
            "randint: high ({high}) must be greater than low ({low})"
        );
        let n = shape.iter().product();
        let span = (high - low) as u64;
        let v: Vec<i64> = with_global(|g| (0..n).map(|_| low + g.below(span) as i64).collect());
        Tensor::from_vec(v, shape)
    }

    /// Uniform `[0, 1)` values with this tensor's shape and (float) dtype.
    #[track_caller]
    pub fn rand_like(&self) -> Tensor {
        Tensor::rand_with(self.shape(), self.float_dtype(), self.device())
    }

    /// Standard normal values with this tensor's shape and (float) dtype.
    #[track_caller]
    pub fn randn_like(&self) -> Tensor {
        // Drawn on the host (initialisation, not the training step) and moved.
        Tensor::randn_of(self.shape(), self.float_dtype()).to(&self.device())
    }

    /// This tensor's dtype if it is a float, else the default dtype (float32), as PyTorch
    /// types the float result of an integer tensor.
    pub(crate) fn float_dtype(&self) -> DType {
        if self.dtype().is_float() {
            self.dtype()
        } else {
            get_default_dtype()
        }
    }
}

impl From<crate::io::Array> for Tensor {
    /// Takes over an array read from a file without copying its data (int32 data, which
    /// tensors do not hold, is widened to int64).
    ///
    /// ```
    /// use firelight::io::{Array, ArrayData};
    /// let a = Array { shape: vec![2], data: ArrayData::F32(vec![0.5, 1.5]) };
    /// assert_eq!(firelight::Tensor::from(a).to_vec::<f32>(), vec![0.5, 1.5]);
    /// ```
    fn from(a: crate::io::Array) -> Tensor {
        use crate::io::ArrayData;
        let shape = a.shape;
        match a.data {
            ArrayData::F32(v) => Tensor::from_vec(v, &shape),
            ArrayData::F64(v) => Tensor::from_vec(v, &shape),
            ArrayData::I64(v) => Tensor::from_vec(v, &shape),
            ArrayData::I32(v) => Tensor::from_vec(v.into_iter().map(i64::from).collect(), &shape),
            ArrayData::U8(v) => Tensor::from_vec(v, &shape),
            ArrayData::Bool(v) => Tensor::from_vec(v, &shape),
        }
    }
}
