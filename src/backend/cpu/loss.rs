//! The fused class-index loss kernels: (log_softmax +) nll with class weights,
//! ignore_index and label smoothing, forward and backward, over `[n, c, inner]` input.
use super::{CpuStorage, contiguous_slice};
use crate::backend::ops::ClassLoss;
use crate::dtype::Float;
use crate::layout::Layout;

/// Per-sample values the forward and backward share: the target class (None when
/// ignored) and the total target mass `sum_k q_k`.
fn target_of(spec: &ClassLoss, t: i64) -> Option<usize> {
    if t == spec.ignore_index {
        return None;
    }
    if t < 0 || t as usize >= spec.c {
        bad_target(spec, t);
    }
    Some(t as usize)
}

#[cold]
#[track_caller]
fn bad_target(spec: &ClassLoss, t: i64) -> ! {
    panic!(
        "{}: target {t} is out of bounds for {} classes (ignore_index is {})",
        spec.op, spec.c, spec.ignore_index
    );
}

/// The target distribution of one sample: `q_k = (1-eps) w[t] [k == t] + eps/C w[k]`.
fn q_of<T: Float>(spec: &ClassLoss, w: Option<&[T]>, t: usize, k: usize) -> T {
    let wk = |k: usize| w.map_or(T::ONE, |w| w[k]);
    let eps = T::from_f64c(spec.smoothing);
    let mut q = eps / T::from_f64c(spec.c as f64) * wk(k);
    if k == t {
        q = q + (T::ONE - eps) * wk(t);
    }
    q
}

/// The log-probabilities of sample `(i, j)` into `buf` (the input itself for plain nll).
fn logp<T: Float>(spec: &ClassLoss, x: &[T], i: usize, j: usize, buf: &mut [T]) {
    let (c, inner) = (spec.c, spec.inner);
    for (k, b) in buf.iter_mut().enumerate() {
        *b = x[(i * c + k) * inner + j];
    }
    if spec.log_softmax {
        let m = buf
            .iter()
            .fold(T::NEG_INF, |m, &v| if v > m { v } else { m });
        let m = if m.abs() < T::INF { m } else { T::ZERO };
        let s = buf.iter().fold(T::ZERO, |s, &v| s + (v - m).exp());
        let lse = m + s.ln();
        for b in buf.iter_mut() {
            *b = *b - lse;
        }
    }
}

fn forward<T: Float>(spec: &ClassLoss, x: &[T], t: &[i64], w: Option<&[T]>) -> (Vec<T>, Vec<T>) {
    let m = spec.n * spec.inner;
    let (mut loss, mut mass) = (vec![T::ZERO; m], vec![T::ZERO; m]);
    let mut buf = vec![T::ZERO; spec.c];
    for i in 0..spec.n {
        for j in 0..spec.inner {
            let s = i * spec.inner + j;
            let Some(tc) = target_of(spec, t[s]) else {
                continue;
            };
            logp(spec, x, i, j, &mut buf);
            let mut l = T::ZERO;
            for (k, &lp) in buf.iter().enumerate() {
                let q = q_of(spec, w, tc, k);
                if q != T::ZERO {
                    l = l - q * lp;
                }
            }
            loss[s] = l;
            mass[s] = w.map_or(T::ONE, |w| w[tc]);
        }
    }
    (loss, mass)
}

fn backward<T: Float>(spec: &ClassLoss, x: &[T], t: &[i64], w: Option<&[T]>, g: &[T]) -> Vec<T> {
    let (c, inner) = (spec.c, spec.inner);
    let mut out = vec![T::ZERO; spec.n * c * inner];
    let mut buf = vec![T::ZERO; c];
    for i in 0..spec.n {
        for j in 0..inner {
            let s = i * inner + j;
            let Some(tc) = target_of(spec, t[s]) else {
                continue;
            };
            let gs = g[s];
            if spec.log_softmax {
                logp(spec, x, i, j, &mut buf);
                let total = (0..c).fold(T::ZERO, |a, k| a + q_of(spec, w, tc, k));
                for (k, &lp) in buf.iter().enumerate() {
                    out[(i * c + k) * inner + j] = gs * (total * lp.exp() - q_of(spec, w, tc, k));
                }
            } else {
                for k in 0..c {
                    out[(i * c + k) * inner + j] = -(gs * q_of(spec, w, tc, k));
                }
            }
        }
    }
    out
}

#[track_caller]
fn targets<'a>(t: &'a CpuStorage, tl: &Layout, op: &str) -> std::borrow::Cow<'a, [i64]> {
    match t {
        CpuStorage::I64(v) => contiguous_slice(v, tl),
        other => panic!("{op}: target must be int64, got {:?}", other.dtype()),
    }
}

type Weight<'a> = Option<(&'a CpuStorage, &'a Layout)>;

/// Per-sample losses and target weights (0 where ignored), each `[n * inner]`.
#[track_caller]
pub(super) fn class_loss(
    x: &CpuStorage,
    xl: &Layout,
    t: &CpuStorage,
    tl: &Layout,
    w: Weight,
    spec: &ClassLoss,
) -> (CpuStorage, CpuStorage) {
    let t = targets(t, tl, spec.op);
    // Every target checked here, in the order the kernel reads them, so that a bad class
    // index names the caller's line (the kernel's own check is per sample).
    for &target in t.iter() {
        if target != spec.ignore_index && (target < 0 || target as usize >= spec.c) {
            bad_target(spec, target);
        }
    }
    match (x, w) {
        (CpuStorage::F32(x), None) => {
            let (l, m) = forward(spec, &contiguous_slice(x, xl), &t, None);
            (CpuStorage::F32(l), CpuStorage::F32(m))
        }
        (CpuStorage::F32(x), Some((CpuStorage::F32(w), wl))) => {
            let w = contiguous_slice(w, wl);
            let (l, m) = forward(spec, &contiguous_slice(x, xl), &t, Some(&w));
            (CpuStorage::F32(l), CpuStorage::F32(m))
        }
        (CpuStorage::F64(x), None) => {
            let (l, m) = forward(spec, &contiguous_slice(x, xl), &t, None);
            (CpuStorage::F64(l), CpuStorage::F64(m))
        }
        (CpuStorage::F64(x), Some((CpuStorage::F64(w), wl))) => {
            let w = contiguous_slice(w, wl);
            let (l, m) = forward(spec, &contiguous_slice(x, xl), &t, Some(&w));
            (CpuStorage::F64(l), CpuStorage::F64(m))
        }
        (x, _) => panic!("{}: unsupported input dtype {:?}", spec.op, x.dtype()),
    }
}

/// The input gradient, given the gradient of each per-sample loss (`g`, `[n * inner]`).
pub(super) fn class_loss_backward(
    x: &CpuStorage,
    xl: &Layout,
    t: &CpuStorage,
    tl: &Layout,
    w: Weight,
    g: &CpuStorage,
    gl: &Layout,
    spec: &ClassLoss,
) -> CpuStorage {
    let t = targets(t, tl, spec.op);
    match (x, g, w) {
        (CpuStorage::F32(x), CpuStorage::F32(g), None) => CpuStorage::F32(backward(
            spec,
            &contiguous_slice(x, xl),
            &t,
            None,
            &contiguous_slice(g, gl),
        )),
        (CpuStorage::F32(x), CpuStorage::F32(g), Some((CpuStorage::F32(w), wl))) => {
            CpuStorage::F32(backward(
                spec,
                &contiguous_slice(x, xl),
                &t,
                Some(&contiguous_slice(w, wl)),
                &contiguous_slice(g, gl),
            ))
        }
        (CpuStorage::F64(x), CpuStorage::F64(g), None) => CpuStorage::F64(backward(
            spec,
            &contiguous_slice(x, xl),
            &t,
            None,
            &contiguous_slice(g, gl),
        )),
        (CpuStorage::F64(x), CpuStorage::F64(g), Some((CpuStorage::F64(w), wl))) => {
            CpuStorage::F64(backward(
                spec,
                &contiguous_slice(x, xl),
                &t,
                Some(&contiguous_slice(w, wl)),
                &contiguous_slice(g, gl),
            ))
        }
        (x, _, _) => panic!("{}: unsupported input dtype {:?}", spec.op, x.dtype()),
    }
}
