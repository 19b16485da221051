//! Reductions over a set of dims: sum, max, min, argmax, argmin.
use super::{CpuStorage, strided_to_vec};
use crate::backend::ops::ReduceOp;
use crate::backend::threads::maybe_par;
use crate::dtype::Float;
use crate::layout::Layout;
use rayon::prelude::*;

/// Sums with pairwise splitting, so large f32 sums keep their precision; the split points
/// depend only on the length, so results do not depend on the thread count.
fn pairwise_sum<T: Float>(x: &[T], par: bool) -> T {
    const BLOCK: usize = 256;
    if x.len() <= BLOCK {
        let mut acc = [T::ZERO; 8];
        let chunks = x.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for i in 0..8 {
                acc[i] = acc[i] + c[i];
            }
        }
        let mut s =
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for &v in rest {
            s = s + v;
        }
        return s;
    }
    let mid = (x.len() / 2).div_ceil(BLOCK) * BLOCK;
    let (a, b) = x.split_at(mid);
    if par && x.len() > 1 << 16 {
        let (sa, sb) = rayon::join(|| pairwise_sum(a, par), || pairwise_sum(b, par));
        sa + sb
    } else {
        pairwise_sum(a, par) + pairwise_sum(b, par)
    }
}

/// How a reduction sees its input: `outer` results, each over `len` elements.
enum Plan<'a, T: Clone> {
    /// Each result reduces one contiguous chunk of `len` elements.
    Rows(std::borrow::Cow<'a, [T]>, usize),
    /// The reduced dims lead: result `j` reduces `x[i * outer + j]` over `i`.
    Cols(&'a [T], usize),
}

fn plan<'a, T: Copy>(x: &'a [T], l: &Layout, dims: &[usize]) -> (Plan<'a, T>, usize) {
    let kept: Vec<usize> = (0..l.ndim()).filter(|d| !dims.contains(d)).collect();
    let len: usize = dims.iter().map(|&d| l.shape[d]).product();
    let outer: usize = kept.iter().map(|&d| l.shape[d]).product();
    let is_prefix = dims.iter().enumerate().all(|(i, &d)| i == d);
    if let Some(r) = l.contiguous_range() {
        if kept.iter().enumerate().all(|(i, &d)| i == d) {
            return (Plan::Rows(std::borrow::Cow::Borrowed(&x[r]), len), outer);
        }
        if is_prefix {
            return (Plan::Cols(&x[r], len), outer);
        }
    }
    let order: Vec<usize> = kept.iter().chain(dims).copied().collect();
    let permuted = Layout {
        shape: order.iter().map(|&d| l.shape[d]).collect::<Vec<_>>().into(),
        strides: order.iter().map(|&d| l.strides[d]).collect(),
        offset: l.offset,
    };
    (
        Plan::Rows(std::borrow::Cow::Owned(strided_to_vec(x, &permuted)), len),
        outer,
    )
}

fn sum_float<T: Float + Default>(x: &[T], l: &Layout, dims: &[usize]) -> Vec<T> {
    let (p, outer) = plan(x, l, dims);
    match p {
        Plan::Rows(data, len) => {
            if len == 0 {
                return vec![T::ZERO; outer];
            }
            maybe_par(data.len(), |par| {
                if par && outer > 1 {
                    data.par_chunks(len)
                        .map(|c| pairwise_sum(c, false))
                        .collect()
                } else {
                    data.chunks(len).map(|c| pairwise_sum(c, par)).collect()
                }
            })
        }
        Plan::Cols(data, len) => {
            let mut out = vec![T::ZERO; outer];
            for i in 0..len {
                for (o, &v) in out.iter_mut().zip(&data[i * outer..(i + 1) * outer]) {
                    *o = *o + v;
                }
            }
            out
        }
    }
}

fn sum_int<T: Copy>(x: &[T], l: &Layout, dims: &[usize], f: impl Fn(T) -> i64) -> Vec<i64> {
    let (p, outer) = plan(x, l, dims);
    match p {
        Plan::Rows(data, len) => {
            if len == 0 {
                return vec![0; outer];
            }
            data.chunks(len)
                .map(|c| c.iter().map(|&v| f(v)).fold(0i64, i64::wrapping_add))
                .collect()
        }
        Plan::Cols(data, len) => {
            let mut out = vec![0i64; outer];
            for i in 0..len {
                for (o, &v) in out.iter_mut().zip(&data[i * outer..(i + 1) * outer]) {
                    *o = o.wrapping_add(f(v));
                }
            }
            out
        }
    }
}

/// Index of the first extreme element; `better(a, b)` says `a` beats the current `b`.
/// NaN beats everything, as in PyTorch.
fn arg_extreme<T: Copy + PartialOrd>(c: &[T], better: impl Fn(T, T) -> bool) -> usize {
    let mut best = 0;
    for (i, &v) in c.iter().enumerate().skip(1) {
        #[allow(clippy::eq_op)]
        let best_is_nan = c[best] != c[best];
        if best_is_nan {
            break;
        }
        #[allow(clippy::eq_op)]
        let v_is_nan = v != v;
        if v_is_nan || better(v, c[best]) {
            best = i;
        }
    }
    best
}

#[track_caller]
fn extreme<T: Copy + PartialOrd + Send + Sync>(
    x: &[T],
    l: &Layout,
    dims: &[usize],
    want_max: bool,
) -> (Vec<T>, Vec<i64>) {
    let better = |a: T, b: T| if want_max { a > b } else { a < b };
    let (p, outer) = plan(x, l, dims);
    let data: std::borrow::Cow<[T]>;
    let len = match p {
        Plan::Rows(d, len) => {
            data = d;
            len
        }
        Plan::Cols(d, len) => {
            // Columns are rare for max/min: transpose into rows once.
            let mut t = Vec::with_capacity(d.len());
            for j in 0..outer {
                t.extend((0..len).map(|i| d[i * outer + j]));
            }
            data = std::borrow::Cow::Owned(t);
            len
        }
    };
    assert!(
        len > 0,
        "max/min/argmax/argmin of an empty dimension is not defined"
    );
    let idx: Vec<usize> = data.chunks(len).map(|c| arg_extreme(c, better)).collect();
    let vals = data.chunks(len).zip(&idx).map(|(c, &i)| c[i]).collect();
    (vals, idx.into_iter().map(|i| i as i64).collect())
}

#[track_caller]
pub(super) fn reduce(s: &CpuStorage, l: &Layout, dims: &[usize], op: ReduceOp) -> CpuStorage {
    macro_rules! ext {
        ($v:expr, $wrap:ident) => {
            match op {
                ReduceOp::Max => CpuStorage::$wrap(extreme($v, l, dims, true).0),
                ReduceOp::Min => CpuStorage::$wrap(extreme($v, l, dims, false).0),
                ReduceOp::ArgMax => CpuStorage::I64(extreme($v, l, dims, true).1),
                ReduceOp::ArgMin => CpuStorage::I64(extreme($v, l, dims, false).1),
                ReduceOp::Sum => unreachable!(),
            }
        };
    }
    match (s, op) {
        (CpuStorage::F32(v), ReduceOp::Sum) => CpuStorage::F32(sum_float(v, l, dims)),
        (CpuStorage::F64(v), ReduceOp::Sum) => CpuStorage::F64(sum_float(v, l, dims)),
        (CpuStorage::I64(v), ReduceOp::Sum) => CpuStorage::I64(sum_int(v, l, dims, |x| x)),
        (CpuStorage::U8(v), ReduceOp::Sum) => CpuStorage::I64(sum_int(v, l, dims, |x| x as i64)),
        (CpuStorage::Bool(v), ReduceOp::Sum) => CpuStorage::I64(sum_int(v, l, dims, |x| x as i64)),
        (CpuStorage::F32(v), _) => ext!(v, F32),
        (CpuStorage::F64(v), _) => ext!(v, F64),
        (CpuStorage::I64(v), _) => ext!(v, I64),
        (CpuStorage::U8(v), _) => ext!(v, U8),
        (CpuStorage::Bool(v), _) => ext!(v, Bool),
    }
}
