//! 2-D pooling (average, max with indices, adaptive average) and their backward kernels.
//!
//! Every kernel works plane by plane (one `[h, w]` image channel); planes are independent,
//! so splitting them over threads never changes the result.
use super::{CpuStorage, contiguous_slice};
use crate::DType;
use crate::backend::ops::{AvgDivisor, Pool2dGeom};
use crate::backend::threads::{PAR_THRESHOLD, for_each_block_mut};
use crate::dtype::{Element, Float};
use crate::layout::Layout;
use std::borrow::Cow;

fn typed<'a, T: Element>(s: &'a CpuStorage, l: &Layout, op: &str) -> Cow<'a, [T]> {
    let v = s
        .as_slice::<T>()
        .unwrap_or_else(|| panic!("{op}: unexpected dtype {}", s.dtype()));
    contiguous_slice(v, l)
}

/// Runs `f(plane, out_plane)` over `out` cut into planes of `chunk`.
fn per_plane<T: Send>(
    out: &mut [T],
    chunk: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if chunk == 0 {
        return;
    }
    for_each_block_mut(out, chunk, work, PAR_THRESHOLD, f);
}

/// The input rows (or columns) window `o` of a pooling covers, clipped to `0..n`, and its
/// unclipped end clipped to `n + pad` (what `count_include_pad` counts).
#[inline]
fn window(o: usize, s: usize, p: usize, k: usize, n: usize) -> (usize, usize, usize) {
    let start = (o * s) as isize - p as isize;
    let end_pad = (start + k as isize).min((n + p) as isize);
    let span = (end_pad - start) as usize;
    let lo = start.max(0) as usize;
    let hi = (end_pad.min(n as isize)).max(0) as usize;
    (lo, hi.max(lo), span)
}

fn avg_divisor(
    g: &Pool2dGeom,
    d: AvgDivisor,
    oy: usize,
    ox: usize,
) -> (usize, usize, usize, usize, usize) {
    let (y0, y1, sy) = window(oy, g.sh, g.ph, g.kh, g.h);
    let (x0, x1, sx) = window(ox, g.sw, g.pw, g.kw, g.w);
    let count = match d.divisor_override {
        Some(n) => n,
        None if d.count_include_pad => sy * sx,
        None => (y1 - y0) * (x1 - x0),
    };
    (y0, y1, x0, x1, count)
}

fn avg_fwd<T: Float + Send + Sync>(x: &[T], g: &Pool2dGeom, d: AvgDivisor) -> Vec<T> {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut out = vec![T::ZERO; g.planes * ohw];
    per_plane(&mut out, ohw, g.planes * hw, |p, o| {
        let xs = &x[p * hw..(p + 1) * hw];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1, count) = avg_divisor(g, d, oy, ox);
                let mut acc = T::ZERO;
                for y in y0..y1 {
                    for v in &xs[y * g.w + x0..y * g.w + x1] {
                        acc = acc + *v;
                    }
                }
                o[oy * g.ow + ox] = acc / T::from_f64(count as f64);
            }
        }
    });
    out
}

fn avg_bwd<T: Float + Send + Sync>(gy: &[T], g: &Pool2dGeom, d: AvgDivisor) -> Vec<T> {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut dx = vec![T::ZERO; g.planes * hw];
    per_plane(&mut dx, hw, g.planes * hw, |p, dp| {
        let gs = &gy[p * ohw..(p + 1) * ohw];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let (y0, y1, x0, x1, count) = avg_divisor(g, d, oy, ox);
                let v = gs[oy * g.ow + ox] / T::from_f64(count as f64);
                for y in y0..y1 {
                    for e in &mut dp[y * g.w + x0..y * g.w + x1] {
                        *e = *e + v;
                    }
                }
            }
        }
    });
    dx
}

fn max_fwd<T: Float + Send + Sync>(x: &[T], g: &Pool2dGeom) -> (Vec<T>, Vec<i64>) {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut both = vec![(T::ZERO, 0i64); g.planes * ohw];
    per_plane(&mut both, ohw, g.planes * hw, |p, o| {
        let xs = &x[p * hw..(p + 1) * hw];
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let y0 = (oy * g.sh) as isize - g.ph as isize;
                let x0 = (ox * g.sw) as isize - g.pw as isize;
                let mut best = T::NEG_INF;
                let mut idx: i64 = -1;
                for ki in 0..g.kh {
                    let y = y0 + (ki * g.dh) as isize;
                    if y < 0 || y >= g.h as isize {
                        continue;
                    }
                    for kj in 0..g.kw {
                        let xx = x0 + (kj * g.dw) as isize;
                        if xx < 0 || xx >= g.w as isize {
                            continue;
                        }
                        let i = y as usize * g.w + xx as usize;
                        let v = xs[i];
                        // As PyTorch: the first maximum wins, and NaN beats everything.
                        if idx < 0 || v > best || v.is_nan() {
                            best = v;
                            idx = i as i64;
                            if v.is_nan() {
                                break;
                            }
                        }
                    }
                    if best.is_nan() {
                        break;
                    }
                }
                o[oy * g.ow + ox] = (best, idx);
            }
        }
    });
    both.into_iter().unzip()
}

fn max_bwd<T: Float + Send + Sync>(gy: &[T], idx: &[i64], g: &Pool2dGeom) -> Vec<T> {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut dx = vec![T::ZERO; g.planes * hw];
    per_plane(&mut dx, hw, g.planes * hw, |p, d| {
        let gs = &gy[p * ohw..(p + 1) * ohw];
        let is = &idx[p * ohw..(p + 1) * ohw];
        for (&v, &i) in gs.iter().zip(is) {
            if i >= 0 {
                d[i as usize] = d[i as usize] + v;
            }
        }
    });
    dx
}

/// PyTorch's adaptive window: `floor(o*n/out) .. ceil((o+1)*n/out)`.
#[inline]
fn adaptive(o: usize, n: usize, out: usize) -> (usize, usize) {
    (o * n / out, ((o + 1) * n).div_ceil(out))
}

fn adaptive_fwd<T: Float + Send + Sync>(x: &[T], g: &Pool2dGeom) -> Vec<T> {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut out = vec![T::ZERO; g.planes * ohw];
    per_plane(&mut out, ohw, g.planes * hw, |p, o| {
        let xs = &x[p * hw..(p + 1) * hw];
        for oy in 0..g.oh {
            let (y0, y1) = adaptive(oy, g.h, g.oh);
            for ox in 0..g.ow {
                let (x0, x1) = adaptive(ox, g.w, g.ow);
                let mut acc = T::ZERO;
                for y in y0..y1 {
                    for v in &xs[y * g.w + x0..y * g.w + x1] {
                        acc = acc + *v;
                    }
                }
                o[oy * g.ow + ox] = acc / T::from_f64(((y1 - y0) * (x1 - x0)) as f64);
            }
        }
    });
    out
}

fn adaptive_bwd<T: Float + Send + Sync>(gy: &[T], g: &Pool2dGeom) -> Vec<T> {
    let (hw, ohw) = (g.h * g.w, g.oh * g.ow);
    let mut dx = vec![T::ZERO; g.planes * hw];
    per_plane(&mut dx, hw, g.planes * hw, |p, d| {
        let gs = &gy[p * ohw..(p + 1) * ohw];
        for oy in 0..g.oh {
            let (y0, y1) = adaptive(oy, g.h, g.oh);
            for ox in 0..g.ow {
                let (x0, x1) = adaptive(ox, g.w, g.ow);
                let v = gs[oy * g.ow + ox] / T::from_f64(((y1 - y0) * (x1 - x0)) as f64);
                for y in y0..y1 {
                    for e in &mut d[y * g.w + x0..y * g.w + x1] {
                        *e = *e + v;
                    }
                }
            }
        }
    });
    dx
}

macro_rules! by_float {
    ($dtype:expr, $op:expr, $T:ident => $body:expr) => {
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

pub(crate) fn avg_pool2d(x: &CpuStorage, l: &Layout, g: &Pool2dGeom, d: AvgDivisor) -> CpuStorage {
    by_float!(x.dtype(), "avg_pool2d", T => avg_fwd::<T>(&typed::<T>(x, l, "avg_pool2d"), g, d))
}

pub(crate) fn avg_pool2d_backward(
    gy: &CpuStorage,
    l: &Layout,
    g: &Pool2dGeom,
    d: AvgDivisor,
) -> CpuStorage {
    by_float!(gy.dtype(), "avg_pool2d backward", T => avg_bwd::<T>(&typed::<T>(gy, l, "avg_pool2d"), g, d))
}

pub(crate) fn max_pool2d(x: &CpuStorage, l: &Layout, g: &Pool2dGeom) -> (CpuStorage, CpuStorage) {
    match x.dtype() {
        DType::F32 => {
            let (v, i) = max_fwd::<f32>(&typed::<f32>(x, l, "max_pool2d"), g);
            (CpuStorage::F32(v), CpuStorage::I64(i))
        }
        DType::F64 => {
            let (v, i) = max_fwd::<f64>(&typed::<f64>(x, l, "max_pool2d"), g);
            (CpuStorage::F64(v), CpuStorage::I64(i))
        }
        d => panic!("max_pool2d: expected a float tensor, got {d}"),
    }
}

pub(crate) fn max_pool2d_backward(
    gy: &CpuStorage,
    l: &Layout,
    idx: &CpuStorage,
    il: &Layout,
    g: &Pool2dGeom,
) -> CpuStorage {
    let idx = typed::<i64>(idx, il, "max_pool2d backward");
    by_float!(gy.dtype(), "max_pool2d backward", T => max_bwd::<T>(&typed::<T>(gy, l, "max_pool2d"), &idx, g))
}

pub(crate) fn adaptive_avg_pool2d(x: &CpuStorage, l: &Layout, g: &Pool2dGeom) -> CpuStorage {
    by_float!(x.dtype(), "adaptive_avg_pool2d", T => adaptive_fwd::<T>(&typed::<T>(x, l, "adaptive_avg_pool2d"), g))
}

pub(crate) fn adaptive_avg_pool2d_backward(
    gy: &CpuStorage,
    l: &Layout,
    g: &Pool2dGeom,
) -> CpuStorage {
    by_float!(gy.dtype(), "adaptive_avg_pool2d backward", T => adaptive_bwd::<T>(&typed::<T>(gy, l, "adaptive_avg_pool2d"), g))
}
