//! 2-D convolution: im2col + gemm for the forward pass and both backward passes.
//!
//! Work is split over the batch. The forward pass and the input gradient write disjoint
//! images, so any split gives the same bits. The weight gradient sums over the batch in
//! fixed chunks of [`WGRAD_CHUNK`] images, added in order, so its result depends neither
//! on timing nor on the thread count.
use super::{CpuStorage, contiguous_slice};
use crate::DType;
use crate::backend::Conv2dGeom;
use crate::backend::threads::pool;
use crate::dtype::{Element, Float};
use crate::layout::Layout;
use rayon::prelude::*;
use std::borrow::Cow;

/// Images per partial sum of the weight gradient.
const WGRAD_CHUNK: usize = 8;

/// Below this many multiply-adds a pass runs on the calling thread.
const PAR_FLOPS: usize = 1 << 18;

fn typed<'a, T: Element>(s: &'a CpuStorage, l: &Layout, what: &str) -> Cow<'a, [T]> {
    let v = s
        .as_slice::<T>()
        .unwrap_or_else(|| panic!("conv2d: {what} has dtype {}", s.dtype()));
    contiguous_slice(v, l)
}

/// `dst[m x n] (+)= lhs[m x k] * rhs[k x n]`, each given by a pointer and (row, col)
/// strides.
///
/// # Safety
/// Every pointer must be valid for the elements its strides and sizes reach.
unsafe fn mm<T: 'static + Element>(
    (m, n, k): (usize, usize, usize),
    dst: (*mut T, isize, isize),
    accumulate: bool,
    lhs: (*const T, isize, isize),
    rhs: (*const T, isize, isize),
) {
    // SAFETY: forwarded from the caller.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0,
            dst.2,
            dst.1,
            accumulate,
            lhs.0,
            lhs.2,
            lhs.1,
            rhs.0,
            rhs.2,
            rhs.1,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The output columns `ox` whose input column `ox*s + off` lies in `0..w`.
#[inline]
fn valid_range(ow: usize, s: usize, off: isize, w: usize) -> (usize, usize) {
    let s = s as isize;
    let lo = if off >= 0 { 0 } else { (-off + s - 1) / s };
    let last = w as isize - 1 - off;
    let hi = if last < 0 { 0 } else { last / s + 1 };
    let hi = hi.min(ow as isize).max(0) as usize;
    (lo.min(hi as isize) as usize, hi)
}

/// Unfolds one image's `cg` channels (`[cg, h, w]`) into `col` rows of `oh*ow`, row `r`
/// starting at `r * rs`.
fn im2col<T: Float>(xs: &[T], g: &Conv2dGeom, cg: usize, col: &mut [T], rs: usize) {
    let (h, w, oh, ow) = (g.h, g.w, g.oh, g.ow);
    for c in 0..cg {
        let plane = &xs[c * h * w..(c + 1) * h * w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &mut col[r * rs..r * rs + oh * ow];
                let xoff = (kj * g.dw) as isize - g.pw as isize;
                let (lo, hi) = valid_range(ow, g.sw, xoff, w);
                for oy in 0..oh {
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    let iy = (oy * g.sh + ki * g.dh) as isize - g.ph as isize;
                    if iy < 0 || iy >= h as isize || lo >= hi {
                        dst.fill(T::ZERO);
                        continue;
                    }
                    let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                    dst[..lo].fill(T::ZERO);
                    dst[hi..].fill(T::ZERO);
                    let start = (lo as isize * g.sw as isize + xoff) as usize;
                    if g.sw == 1 {
                        dst[lo..hi].copy_from_slice(&src[start..start + hi - lo]);
                    } else {
                        let taps = src[start..].iter().step_by(g.sw);
                        for (d, &s) in dst[lo..hi].iter_mut().zip(taps) {
                            *d = s;
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds `col` (rows of `oh*ow`, contiguous) into `xs`.
fn col2im<T: Float>(col: &[T], g: &Conv2dGeom, cg: usize, xs: &mut [T]) {
    let (h, w, oh, ow) = (g.h, g.w, g.oh, g.ow);
    for c in 0..cg {
        let plane = &mut xs[c * h * w..(c + 1) * h * w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &col[r * oh * ow..(r + 1) * oh * ow];
                let xoff = (kj * g.dw) as isize - g.pw as isize;
                let (lo, hi) = valid_range(ow, g.sw, xoff, w);
                if lo >= hi {
                    continue;
                }
                for oy in 0..oh {
                    let iy = (oy * g.sh + ki * g.dh) as isize - g.ph as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    let src = &row[oy * ow + lo..oy * ow + hi];
                    let dst = &mut plane[iy as usize * w..(iy as usize + 1) * w];
                    let start = (lo as isize * g.sw as isize + xoff) as usize;
                    if g.sw == 1 {
                        for (d, &s) in dst[start..start + hi - lo].iter_mut().zip(src) {
                            *d = *d + s;
                        }
                    } else {
                        let taps = dst[start..].iter_mut().step_by(g.sw);
                        for (d, &s) in taps.zip(src) {
                            *d = *d + s;
                        }
                    }
                }
            }
        }
    }
}

/// True when the unfolded input is the input itself (1x1 kernel, stride 1, no padding).
fn is_pointwise(g: &Conv2dGeom) -> bool {
    g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0
}

/// Runs `f(image, out_chunk, scratch)` for every image, on the pool when it pays.
fn per_image<T: Float + Send + Sync>(
    out: &mut [T],
    chunk: usize,
    flops: usize,
    scratch: usize,
    f: impl Fn(usize, &mut [T], &mut Vec<T>) + Send + Sync,
) {
    if chunk == 0 {
        return;
    }
    let (threads, pool) = pool();
    let n = out.len() / chunk;
    if threads > 1 && n > 1 && flops >= PAR_FLOPS {
        pool.install(|| {
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each_init(|| vec![T::ZERO; scratch], |buf, (i, o)| f(i, o, buf));
        });
    } else {
        let mut buf = vec![T::ZERO; scratch];
        for (i, o) in out.chunks_mut(chunk).enumerate() {
            f(i, o, &mut buf);
        }
    }
}

fn forward<T: Float + Send + Sync + 'static>(
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    g: &Conv2dGeom,
) -> Vec<T> {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let mut out = vec![T::ZERO; g.n * g.o * ohw];
    let pointwise = is_pointwise(g);
    let flops = g.n * g.o * ohw * ckk;
    per_image(
        &mut out,
        g.o * ohw,
        flops,
        if pointwise { 0 } else { ckk * ohw },
        |n, o, col| {
            for gi in 0..g.groups {
                let xs = &x[(n * g.c + gi * cg) * hw..(n * g.c + (gi + 1) * cg) * hw];
                let rhs: &[T] = if pointwise {
                    xs
                } else {
                    im2col(xs, g, cg, col, ohw);
                    col
                };
                let dst = &mut o[gi * og * ohw..(gi + 1) * og * ohw];
                if let Some(b) = b {
                    for (oc, row) in dst.chunks_mut(ohw).enumerate() {
                        row.fill(b[gi * og + oc]);
                    }
                }
                // SAFETY: dst is [og, ohw], the weight block [og, ckk], rhs [ckk, ohw].
                unsafe {
                    mm(
                        (og, ohw, ckk),
                        (dst.as_mut_ptr(), ohw as isize, 1),
                        b.is_some(),
                        (w.as_ptr().add(gi * og * ckk), ckk as isize, 1),
                        (rhs.as_ptr(), ohw as isize, 1),
                    );
                }
            }
        },
    );
    out
}

fn input_grad<T: Float + Send + Sync + 'static>(gy: &[T], w: &[T], g: &Conv2dGeom) -> Vec<T> {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let mut dx = vec![T::ZERO; g.n * g.c * hw];
    let pointwise = is_pointwise(g);
    let flops = g.n * g.o * ohw * ckk;
    per_image(
        &mut dx,
        g.c * hw,
        flops,
        if pointwise { 0 } else { ckk * ohw },
        |n, dxi, col| {
            for gi in 0..g.groups {
                let gys = &gy[(n * g.o + gi * og) * ohw..];
                let dxs = &mut dxi[gi * cg * hw..(gi + 1) * cg * hw];
                let dst: *mut T = if pointwise {
                    dxs.as_mut_ptr()
                } else {
                    col.as_mut_ptr()
                };
                // SAFETY: dst is [ckk, ohw] (dxs itself when pointwise), the weight block
                // transposed is [ckk, og] and the output gradient block [og, ohw].
                unsafe {
                    mm(
                        (ckk, ohw, og),
                        (dst, ohw as isize, 1),
                        false,
                        (w.as_ptr().add(gi * og * ckk), 1, ckk as isize),
                        (gys.as_ptr(), ohw as isize, 1),
                    );
                }
                if !pointwise {
                    col2im(col, g, cg, dxs);
                }
            }
        },
    );
    dx
}

fn weight_grad<T: Float + Send + Sync + 'static>(gy: &[T], x: &[T], g: &Conv2dGeom) -> Vec<T> {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let wlen = g.o * ckk;
    let chunks = g.n.div_ceil(WGRAD_CHUNK);
    let mut partial = vec![T::ZERO; chunks * wlen];
    let flops = g.n * g.o * ohw * ckk;
    // Scratch per chunk: the unfolded inputs [ckk, nb*ohw] and output gradients
    // [og, nb*ohw] side by side, so each group is one gemm with k = nb*ohw.
    let span = WGRAD_CHUNK * ohw;
    per_image(
        &mut partial,
        wlen,
        flops,
        (ckk + og) * span,
        |ci, dw, buf| {
            let n0 = ci * WGRAD_CHUNK;
            let nb = WGRAD_CHUNK.min(g.n - n0);
            let k = nb * ohw;
            let (col, gcat) = buf.split_at_mut(ckk * span);
            for gi in 0..g.groups {
                for j in 0..nb {
                    let n = n0 + j;
                    let xs = &x[(n * g.c + gi * cg) * hw..(n * g.c + (gi + 1) * cg) * hw];
                    im2col(xs, g, cg, &mut col[j * ohw..], k);
                    let gys = &gy[(n * g.o + gi * og) * ohw..(n * g.o + (gi + 1) * og) * ohw];
                    for (oc, row) in gys.chunks(ohw).enumerate() {
                        gcat[oc * k + j * ohw..oc * k + (j + 1) * ohw].copy_from_slice(row);
                    }
                }
                // SAFETY: dst is this group's [og, ckk] block, gcat [og, k], and col
                // transposed [k, ckk] (rows of col are k long, at stride k).
                unsafe {
                    mm(
                        (og, ckk, k),
                        (dw.as_mut_ptr().add(gi * og * ckk), ckk as isize, 1),
                        false,
                        (gcat.as_ptr(), k as isize, 1),
                        (col.as_ptr(), 1, k as isize),
                    );
                }
            }
        },
    );
    let mut parts = partial.chunks(wlen);
    let mut dw = parts
        .next()
        .map(|p| p.to_vec())
        .unwrap_or(vec![T::ZERO; wlen]);
    for p in parts {
        for (d, &v) in dw.iter_mut().zip(p) {
            *d = *d + v;
        }
    }
    dw
}

/// Sums one plane with eight independent accumulators (so the loop vectorizes); the
/// order is fixed, so the result is too.
fn plane_sum<T: Float>(v: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = *a + x;
        }
    }
    let mut total = T::ZERO;
    for a in acc {
        total = total + a;
    }
    for &x in chunks.remainder() {
        total = total + x;
    }
    total
}

fn bias_grad<T: Float>(gy: &[T], g: &Conv2dGeom) -> Vec<T> {
    let ohw = g.oh * g.ow;
    let mut db = vec![T::ZERO; g.o];
    for n in 0..g.n {
        for (o, d) in db.iter_mut().enumerate() {
            *d = *d + plane_sum(&gy[(n * g.o + o) * ohw..(n * g.o + o + 1) * ohw]);
        }
    }
    db
}

macro_rules! by_float {
    ($dtype:expr, $op:literal, $T:ident => $body:expr) => {
        match $dtype {
            DType::F32 => {
                type $T = f32;
                CpuStorage::F32($body)
            }
            DType::F64 => {
                type $T = f64;
                CpuStorage::F64($body)
            }
            d => panic!("{}: expected a float tensor, got {d}", $op),
        }
    };
}

pub(crate) fn conv2d(
    x: &CpuStorage,
    xl: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    b: Option<(&CpuStorage, &Layout)>,
    g: &Conv2dGeom,
) -> CpuStorage {
    by_float!(x.dtype(), "conv2d", T => {
        let bias = b.map(|(b, bl)| typed::<T>(b, bl, "bias"));
        forward::<T>(
            &typed::<T>(x, xl, "input"),
            &typed::<T>(w, wl, "weight"),
            bias.as_deref(),
            g,
        )
    })
}

pub(crate) fn conv2d_input_grad(
    gy: &CpuStorage,
    gl: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    g: &Conv2dGeom,
) -> CpuStorage {
    by_float!(gy.dtype(), "conv2d backward", T => {
        input_grad::<T>(&typed::<T>(gy, gl, "grad"), &typed::<T>(w, wl, "weight"), g)
    })
}

pub(crate) fn conv2d_weight_grad(
    gy: &CpuStorage,
    gl: &Layout,
    x: &CpuStorage,
    xl: &Layout,
    g: &Conv2dGeom,
) -> CpuStorage {
    by_float!(gy.dtype(), "conv2d backward", T => {
        weight_grad::<T>(&typed::<T>(gy, gl, "grad"), &typed::<T>(x, xl, "input"), g)
    })
}

/// The bias gradient `[o]`: the output gradient summed over batch and positions.
pub(crate) fn conv2d_bias_grad(gy: &CpuStorage, gl: &Layout, g: &Conv2dGeom) -> CpuStorage {
    by_float!(gy.dtype(), "conv2d backward", T => bias_grad::<T>(&typed::<T>(gy, gl, "grad"), g))
}
