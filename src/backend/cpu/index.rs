//! Indexing kernels: gather / scatter_add and index_select / index_add (each pair adjoint).
use super::{CpuStorage, contiguous_slice, map_same};
use crate::layout::{Layout, contiguous_strides, walk};

#[track_caller]
fn indices<'a>(index: &'a CpuStorage, il: &Layout, op: &str) -> std::borrow::Cow<'a, [i64]> {
    match index {
        CpuStorage::I64(v) => contiguous_slice(v, il),
        other => panic!(
            "{op}: index must be an int64 tensor, got {:?}",
            other.dtype()
        ),
    }
}

#[cold]
#[track_caller]
fn out_of_bounds(i: i64, size: usize, op: &str, dim: usize) -> ! {
    panic!("{op}: index {i} is out of bounds for dimension {dim} with size {size}");
}

/// The index as a position, checked; for per-element loops (no caller tracking: the
/// kernels that reach users check their indices first with [`check_row`] / [`check_all`]).
fn check(i: i64, size: usize, op: &str, dim: usize) -> usize {
    if i < 0 || i as usize >= size {
        out_of_bounds(i, size, op, dim);
    }
    i as usize
}

/// [`check`], naming the caller's line: for loops over rows, outside closures.
#[track_caller]
fn check_row(i: i64, size: usize, op: &str, dim: usize) -> usize {
    if i < 0 || i as usize >= size {
        out_of_bounds(i, size, op, dim);
    }
    i as usize
}

/// [`check`] for every index, in order.
#[track_caller]
fn check_all(idx: &[i64], size: usize, op: &str, dim: usize) {
    for &i in idx {
        check_row(i, size, op, dim);
    }
}

#[track_caller]
pub(super) fn gather(
    x: &CpuStorage,
    l: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
) -> CpuStorage {
    let idx = indices(index, il, "gather");
    let il = Layout::contiguous(&il.shape);
    let size = l.shape[dim];
    // One pass up front, outside the walk's closure, so that the panic for a bad index
    // names the caller's line (the same index the walk would meet first).
    check_all(&idx, size, "gather", dim);
    let dim_stride = l.strides[dim];
    let mut xs = l.strides.clone();
    xs[dim] = 0;
    fn run<T: Copy>(
        x: &[T],
        l: &Layout,
        xs: &[usize],
        il: &Layout,
        idx: &[i64],
        dim: usize,
        size: usize,
        ds: usize,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(il.numel());
        walk(
            &il.shape,
            [&il.strides, xs],
            [0, l.offset],
            |[bi, bx], n, [si, sx]| {
                for k in 0..n {
                    let i = check(idx[bi + k * si], size, "gather", dim);
                    out.push(x[bx + k * sx + i * ds]);
                }
            },
        );
        out
    }
    map_same!(x, v => run(v, l, &xs, &il, &idx, dim, size, dim_stride))
}

#[track_caller]
pub(super) fn scatter_add(
    shape: &[usize],
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
) -> CpuStorage {
    let idx = indices(index, il, "scatter_add");
    let il = Layout::contiguous(&il.shape);
    let mut os = contiguous_strides(shape);
    let ds = os[dim];
    os[dim] = 0;
    let size = shape[dim];
    let n_out: usize = shape.iter().product();
    macro_rules! run {
        ($s:expr, $wrap:ident, $zero:expr) => {{
            let mut out = vec![$zero; n_out];
            walk(
                &il.shape,
                [&il.strides, &sl.strides, &os],
                [0, sl.offset, 0],
                |[bi, bs, bo], n, [si, ss, so]| {
                    for k in 0..n {
                        let i = check(idx[bi + k * si], size, "scatter_add", dim);
                        out[bo + k * so + i * ds] += $s[bs + k * ss];
                    }
                },
            );
            CpuStorage::$wrap(out)
        }};
    }
    match src {
        CpuStorage::F32(s) => run!(s, F32, 0f32),
        CpuStorage::F64(s) => run!(s, F64, 0f64),
        CpuStorage::I64(s) => run!(s, I64, 0i64),
        other => panic!("scatter_add is not supported for {:?}", other.dtype()),
    }
}

#[track_caller]
pub(super) fn index_select(
    x: &CpuStorage,
    l: &Layout,
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
) -> CpuStorage {
    let idx = indices(index, il, "index_select");
    let size = l.shape[dim];
    // A loop, not a closure, so that the panic for a bad index names the caller's line.
    let mut rows = Vec::with_capacity(idx.len());
    for &i in idx.iter() {
        rows.push(check_row(i, size, "index_select", dim));
    }
    let inner = Layout {
        shape: l.shape[dim + 1..].to_vec().into(),
        strides: l.strides[dim + 1..].to_vec(),
        offset: 0,
    };
    let inner_contig = inner.is_contiguous();
    let inner_n = inner.numel();
    let outer_shape = &l.shape[..dim];
    let outer_strides = &l.strides[..dim];
    fn run<T: Copy>(
        x: &[T],
        l: &Layout,
        rows: &[usize],
        dim: usize,
        inner: &Layout,
        inner_contig: bool,
        inner_n: usize,
        outer_shape: &[usize],
        outer_strides: &[usize],
    ) -> Vec<T> {
        let outer_n: usize = outer_shape.iter().product();
        let mut out = Vec::with_capacity(outer_n * rows.len() * inner_n);
        let mut copy_rows = |base: usize| {
            for &r in rows {
                let start = base + r * l.strides[dim];
                if inner_contig {
                    out.extend_from_slice(&x[start..start + inner_n]);
                } else {
                    walk(&inner.shape, [&inner.strides], [start], |[b], n, [s]| {
                        out.extend((0..n).map(|k| x[b + k * s]));
                    });
                }
            }
        };
        walk(outer_shape, [outer_strides], [l.offset], |[b], n, [s]| {
            for k in 0..n {
                copy_rows(b + k * s);
            }
        });
        out
    }
    map_same!(x, v => run(v, l, &rows, dim, &inner, inner_contig, inner_n, outer_shape, outer_strides))
}

#[track_caller]
pub(super) fn index_add(
    shape: &[usize],
    dim: usize,
    index: &CpuStorage,
    il: &Layout,
    src: &CpuStorage,
    sl: &Layout,
) -> CpuStorage {
    let idx = indices(index, il, "index_add");
    let size = shape[dim];
    let mut rows = Vec::with_capacity(idx.len());
    for &i in idx.iter() {
        rows.push(check_row(i, size, "index_add", dim));
    }
    let outer: usize = shape[..dim].iter().product();
    let inner: usize = shape[dim + 1..].iter().product();
    let n_out: usize = shape.iter().product();
    macro_rules! run {
        ($s:expr, $wrap:ident, $zero:expr) => {{
            let s = contiguous_slice($s, sl);
            let mut out = vec![$zero; n_out];
            for o in 0..outer {
                for (j, &r) in rows.iter().enumerate() {
                    let src_row = &s[(o * rows.len() + j) * inner..][..inner];
                    let dst_row = &mut out[(o * size + r) * inner..][..inner];
                    for (d, &v) in dst_row.iter_mut().zip(src_row) {
                        *d += v;
                    }
                }
            }
            CpuStorage::$wrap(out)
        }};
    }
    match src {
        CpuStorage::F32(s) => run!(s, F32, 0f32),
        CpuStorage::F64(s) => run!(s, F64, 0f64),
        CpuStorage::I64(s) => run!(s, I64, 0i64),
        other => panic!("index_add is not supported for {:?}", other.dtype()),
    }
}
