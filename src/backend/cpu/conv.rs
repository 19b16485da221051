//! 2-D convolution: im2col + gemm for the forward pass and both backward passes.
//!
//! Each image is unfolded into patch rows `[oh*ow, c*kh*kw]` by a gather through a cached
//! index table ([`unfold_index`]); a training forward pass keeps the batch's patches for
//! the weight gradient ([`keeps_unfolded`]).
//!
//! Work is split over the batch in blocks of images fixed by the shape
//! ([`images_per_block`]). The forward pass and the input gradient write disjoint images,
//! so any split gives the same bits. The weight gradient sums one partial per block, added
//! in order, so its result depends neither on timing nor on the thread count.
use super::{CpuStorage, contiguous_slice};
use crate::DType;
use crate::backend::ops::Conv2dGeom;
use crate::backend::threads::{SendPtr, vec_by_blocks};
use crate::dtype::{Element, Float};
use crate::layout::Layout;
use std::borrow::Cow;
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

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

/// One image's patch table and its inverse (see [`unfold_index`]).
struct Unfold {
    /// For each patch value, its input offset, or the zero slot.
    idx: Vec<u32>,
    /// Input offset `q`'s patch values are `taps[start[q]..start[q + 1]]`.
    start: Vec<u32>,
    taps: Vec<u32>,
}

/// For one image's `cg` channels, where each element of its patch matrix
/// `[oh*ow, cg*kh*kw]` (one row per output position) comes from: an offset into the image's `[cg, h, w]` block, or
/// `cg*h*w` (one past the block, a zero slot) where the window hangs over the padding.
///
/// A gather through this table replaces per-row bounds arithmetic: for the tutorial's
/// tiny rows (4 to 14 outputs, stride 2) that arithmetic cost more than the copying.
fn unfold_index(g: &Conv2dGeom, cg: usize) -> Arc<Unfold> {
    type Key = [usize; 14];
    static CACHE: Mutex<Vec<(Key, Arc<Unfold>)>> = Mutex::new(Vec::new());
    let key: Key = [
        cg, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, 0,
    ];
    if let Some((_, t)) = CACHE.lock().unwrap().iter().find(|(k, _)| *k == key) {
        return t.clone();
    }
    let (h, w) = (g.h as isize, g.w as isize);
    let block = cg * g.h * g.w;
    // Below 2^31: the vector gather reads indices as signed.
    let zero = i32::try_from(block).expect("conv2d: input image too large") as u32;
    let mut idx = Vec::with_capacity(cg * g.kh * g.kw * g.oh * g.ow);
    for oy in 0..g.oh {
        for ox in 0..g.ow {
            for c in 0..cg {
                for ki in 0..g.kh {
                    let iy = (oy * g.sh + ki * g.dh) as isize - g.ph as isize;
                    for kj in 0..g.kw {
                        let ix = (ox * g.sw + kj * g.dw) as isize - g.pw as isize;
                        idx.push(if (0..h).contains(&iy) && (0..w).contains(&ix) {
                            (c as isize * h * w + iy * w + ix) as u32
                        } else {
                            zero
                        });
                    }
                }
            }
        }
    }
    // The inverse, grouped by input position in increasing patch order, so col2im can
    // sum each input's gradient in one go, in the order a scatter would have added it.
    // The zero slot (padding) has no gradient to receive.
    let mut start = vec![0u32; block + 2];
    for &i in idx.iter().filter(|&&i| i < zero) {
        start[i as usize + 2] += 1;
    }
    for q in 2..start.len() {
        start[q] += start[q - 1];
    }
    let mut taps = vec![0u32; start[block + 1] as usize];
    for (k, &i) in idx.iter().enumerate().filter(|&(_, &i)| i < zero) {
        let slot = &mut start[i as usize + 1];
        taps[*slot as usize] = k as u32;
        *slot += 1;
    }
    start.truncate(block + 1);
    let t = Arc::new(Unfold { idx, start, taps });
    let mut cache = CACHE.lock().unwrap();
    // A model has a handful of conv shapes; the bound only guards against a stream of them.
    if cache.len() >= 64 {
        cache.clear();
    }
    cache.push((key, t.clone()));
    t
}

thread_local! {
    static SCRATCH: Cell<Vec<u64>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` on a scratch slice of `len` floats that this thread keeps between calls, so
/// the kernels do not allocate and free (and fault in) buffers on every step. The
/// contents on entry are unspecified.
fn with_scratch<T: Float, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    // Taken out of the slot while in use, so a nested call just gets its own buffer.
    let mut buf = SCRATCH.take();
    let words = (len * size_of::<T>()).div_ceil(8);
    if buf.len() < words {
        buf.resize(words, 0);
    }
    // SAFETY: the u64 buffer is initialized, 8-aligned (enough for f32 and f64), at least
    // len * size_of::<T>() bytes long, and every bit pattern is a valid float.
    let s = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<T>(), len) };
    let r = f(s);
    SCRATCH.set(buf);
    r
}

/// Writes one image's patch matrix `[ohw, ckk]` (see [`unfold_index`]) to `dst`, from its
/// `cg` channels `xs` (`[cg, h, w]`). `xpad` is scratch of `xs.len() + 1`.
///
/// The patch layout (a row per output position) makes these writes sequential: the
/// transposed layout wrote short rows a whole batch apart and spent its time in TLB misses.
///
/// # Safety
/// `dst` must be valid for `idx.len()` writes.
unsafe fn im2col<T: Float>(xs: &[T], idx: &[u32], xpad: &mut [T], dst: *mut T) {
    let block = xs.len();
    xpad[..block].copy_from_slice(xs);
    xpad[block] = T::ZERO;
    let xpad = &xpad[..block + 1];
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>()
        && std::arch::is_x86_feature_detected!("avx512f")
    {
        // SAFETY: T is f32; indices are at most `block` (unfold_index), inside xpad;
        // the caller guarantees idx.len() writable elements at dst.
        unsafe { gather_avx512(xpad.as_ptr().cast::<f32>(), idx, dst.cast::<f32>()) };
        return;
    }
    for (k, &i) in idx.iter().enumerate() {
        // Indices are at most `block` by construction (unfold_index). Written through
        // the pointer: the destination may not be initialized yet.
        // SAFETY: the caller guarantees idx.len() writable elements.
        unsafe { dst.add(k).write(xpad[i as usize]) };
    }
}

/// `dst[k] = src[idx[k]]` sixteen at a time: the scalar loop spent about three cycles
/// per value, the hardware gather well under one.
///
/// # Safety
/// The CPU must have AVX-512F; every `idx[k]` must be in bounds of `src` and below
/// 2^31; `dst` must be valid for `idx.len()` writes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gather_avx512(src: *const f32, idx: &[u32], dst: *mut f32) {
    use std::arch::x86_64::{_mm512_i32gather_ps, _mm512_loadu_si512, _mm512_storeu_ps};
    let n = idx.len();
    let mut k = 0;
    // SAFETY: forwarded from the caller; loads and stores stay inside idx and dst.
    unsafe {
        while k + 16 <= n {
            let offsets = _mm512_loadu_si512(idx.as_ptr().add(k).cast());
            let v = _mm512_i32gather_ps::<4>(offsets, src.cast());
            _mm512_storeu_ps(dst.add(k), v);
            k += 16;
        }
        for (j, &i) in idx.iter().enumerate().skip(k) {
            dst.add(j).write(*src.add(i as usize));
        }
    }
}

/// The adjoint of [`im2col`]: adds one image's patch matrix `patches` into `xs`.
///
/// Each input gathers its own patch values through the inverse table: a scatter over
/// the patches stalled on its read-modify-write stores.
fn col2im<T: Float>(patches: &[T], u: &Unfold, xs: &mut [T]) {
    for (q, x) in xs.iter_mut().enumerate() {
        let (a, b) = (u.start[q] as usize, u.start[q + 1] as usize);
        let mut acc = *x;
        for &k in &u.taps[a..b] {
            acc = acc + patches[k as usize];
        }
        *x = acc;
    }
}

/// Images per block of work, for all three passes: the batch in [`BLOCKS`] equal parts
/// (even parts keep two or four threads equally busy), fewer images when an image has
/// so many output positions that a block would outgrow the caches. It depends on the
/// shape alone, so the results do not depend on the thread count; the weight gradient's
/// partial sums (one per block) are added in order.
fn images_per_block(g: &Conv2dGeom) -> usize {
    let cap = (MAX_BLOCK_COLUMNS / (g.oh * g.ow).max(1)).max(1);
    g.n.div_ceil(BLOCKS).clamp(1, cap)
}

/// See [`images_per_block`].
const BLOCKS: usize = 8;

/// See [`images_per_block`].
const MAX_BLOCK_COLUMNS: usize = 4096;

/// Copies images `n0..n0 + nb` of the output gradient, channels `o0..o0 + og`, into
/// `gcat` as one `[og, nb * ohw]` matrix, so a block of images is one gemm operand.
fn gather_grad<T: Float>(
    gy: &[T],
    g: &Conv2dGeom,
    n0: usize,
    nb: usize,
    o0: usize,
    og: usize,
    gcat: &mut [T],
) {
    let ohw = g.oh * g.ow;
    let cols = nb * ohw;
    for j in 0..nb {
        let img = &gy[((n0 + j) * g.o + o0) * ohw..((n0 + j) * g.o + o0 + og) * ohw];
        for (oc, row) in img.chunks_exact(ohw).enumerate() {
            gcat[oc * cols + j * ohw..oc * cols + (j + 1) * ohw].copy_from_slice(row);
        }
    }
}

/// The unfolded input of a whole batch, kept from the forward pass for the weight
/// gradient when it is small enough: `[groups][n*oh*ow, cg*kh*kw]`.
const KEEP_UNFOLDED_BYTES: usize = 32 << 20;

/// Whether the forward pass should keep its unfolded input for the weight gradient:
/// that halves the unfolding work of a training step, at the price of memory, so only
/// below [`KEEP_UNFOLDED_BYTES`].
pub(crate) fn keeps_unfolded(g: &Conv2dGeom, elem_bytes: usize) -> bool {
    g.c * g.kh * g.kw * g.n * g.oh * g.ow * elem_bytes <= KEEP_UNFOLDED_BYTES
}

fn forward<T: Float + Send + Sync + 'static>(
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    g: &Conv2dGeom,
    keep: bool,
) -> (Vec<T>, Option<Vec<T>>) {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let cols = g.n * ohw;
    // Every element is written by im2col (through `shared`) before it is read.
    let mut kept: Option<Vec<MaybeUninit<T>>> = keep.then(|| {
        let mut v = Vec::with_capacity(g.groups * ckk * cols);
        // SAFETY: MaybeUninit needs no initialization.
        unsafe { v.set_len(g.groups * ckk * cols) };
        v
    });
    let shared = kept.as_mut().map(|k| SendPtr(k.as_mut_ptr().cast::<T>()));
    let idx = unfold_index(g, cg);
    let nb = images_per_block(g);
    let flops = g.n * g.o * ohw * ckk;
    let out = vec_by_blocks(
        g.n * g.o * ohw,
        T::ZERO,
        nb * g.o * ohw,
        flops,
        PAR_FLOPS,
        |bi, o| {
            let n0 = bi * nb;
            let nbb = o.len() / (g.o * ohw);
            let bc = nbb * ohw;
            let own_col = if shared.is_some() { 0 } else { ckk * bc };
            with_scratch(og * bc + own_col + cg * hw + 1, |buf: &mut [T]| {
                let (tmp, rest) = buf.split_at_mut(og * bc);
                let (colbuf, xpad) = rest.split_at_mut(own_col);
                for gi in 0..g.groups {
                    // This block's patch rows [bc, ckk].
                    let col = match shared {
                        // SAFETY: in bounds; this block writes only its own images' rows.
                        Some(p) => unsafe { p.get().add((gi * cols + n0 * ohw) * ckk) },
                        None => colbuf.as_mut_ptr(),
                    };
                    for j in 0..nbb {
                        let n = n0 + j;
                        let xs = &x[(n * g.c + gi * cg) * hw..(n * g.c + (gi + 1) * cg) * hw];
                        // SAFETY: image j's ohw*ckk patch values lie inside the block's.
                        unsafe { im2col(xs, &idx.idx, xpad, col.add(j * ohw * ckk)) };
                    }
                    // tmp [og, bc] is computed as tmpᵀ = patches · weightᵀ (tmp written
                    // column-major), so gemm reads the patches along their rows.
                    // SAFETY: tmp is [og, bc], the patches [bc, ckk], the weight block
                    // [og, ckk] read transposed.
                    unsafe {
                        mm(
                            (bc, og, ckk),
                            (tmp.as_mut_ptr(), 1, bc as isize),
                            false,
                            (col, ckk as isize, 1),
                            (w.as_ptr().add(gi * og * ckk), 1, ckk as isize),
                        );
                    }
                    for j in 0..nbb {
                        for oc in 0..og {
                            let dst = &mut o[(j * g.o + gi * og + oc) * ohw..][..ohw];
                            let src = &tmp[oc * bc + j * ohw..][..ohw];
                            match b {
                                Some(b) => {
                                    let bv = b[gi * og + oc];
                                    for (d, &s) in dst.iter_mut().zip(src) {
                                        *d = s + bv;
                                    }
                                }
                                None => dst.copy_from_slice(src),
                            }
                        }
                    }
                }
            })
        },
    );
    let kept = kept.map(|k| {
        let mut k = std::mem::ManuallyDrop::new(k);
        // SAFETY: im2col wrote every element: each block unfolded all patch rows of its
        // images, and the blocks cover all images.
        unsafe { Vec::from_raw_parts(k.as_mut_ptr().cast::<T>(), k.len(), k.capacity()) }
    });
    (out, kept)
}

fn input_grad<T: Float + Send + Sync + 'static>(gy: &[T], w: &[T], g: &Conv2dGeom) -> Vec<T> {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let idx = unfold_index(g, cg);
    let nb = images_per_block(g);
    let flops = g.n * g.o * ohw * ckk;
    vec_by_blocks(
        g.n * g.c * hw,
        T::ZERO,
        nb * g.c * hw,
        flops,
        PAR_FLOPS,
        |bi, dxb| {
            let n0 = bi * nb;
            let nbb = dxb.len() / (g.c * hw);
            let bc = nbb * ohw;
            with_scratch(og * bc + ckk * bc, |buf: &mut [T]| {
                let (gcat, dcol) = buf.split_at_mut(og * bc);
                for gi in 0..g.groups {
                    gather_grad(gy, g, n0, nbb, gi * og, og, gcat);
                    // SAFETY: dcol is the patch gradient [bc, ckk], gcat transposed
                    // [bc, og], the weight block [og, ckk].
                    unsafe {
                        mm(
                            (bc, ckk, og),
                            (dcol.as_mut_ptr(), ckk as isize, 1),
                            false,
                            (gcat.as_ptr(), 1, bc as isize),
                            (w.as_ptr().add(gi * og * ckk), ckk as isize, 1),
                        );
                    }
                    for j in 0..nbb {
                        let dxs =
                            &mut dxb[(j * g.c + gi * cg) * hw..(j * g.c + (gi + 1) * cg) * hw];
                        col2im(&dcol[j * ohw * ckk..(j + 1) * ohw * ckk], &idx, dxs);
                    }
                }
            })
        },
    )
}

/// Where the weight gradient gets the unfolded input from.
pub(crate) enum Unfolded<'a, T> {
    /// Unfold the input again.
    Input(&'a [T]),
    /// Kept by the forward pass (see [`keeps_unfolded`]).
    Kept(&'a [T]),
}

fn weight_grad<T: Float + Send + Sync + 'static>(
    gy: &[T],
    src: Unfolded<'_, T>,
    g: &Conv2dGeom,
) -> Vec<T> {
    let (cg, og) = (g.c / g.groups, g.o / g.groups);
    let (hw, ohw, ckk) = (g.h * g.w, g.oh * g.ow, cg * g.kh * g.kw);
    let cols = g.n * ohw;
    let wlen = g.o * ckk;
    let nb = images_per_block(g);
    let chunks = g.n.div_ceil(nb);
    let idx = unfold_index(g, cg);
    let flops = g.n * g.o * ohw * ckk;
    let partial = vec_by_blocks(chunks * wlen, T::ZERO, wlen, flops, PAR_FLOPS, |ci, dw| {
        let n0 = ci * nb;
        let nbb = nb.min(g.n - n0);
        let k = nbb * ohw;
        let own_col = match src {
            Unfolded::Input(_) => ckk * k,
            Unfolded::Kept(_) => 0,
        };
        with_scratch(og * k + own_col + cg * hw + 1, |buf: &mut [T]| {
            let (gcat, rest) = buf.split_at_mut(og * k);
            let (colbuf, xpad) = rest.split_at_mut(own_col);
            for gi in 0..g.groups {
                gather_grad(gy, g, n0, nbb, gi * og, og, gcat);
                let col: *const T = match src {
                    Unfolded::Kept(kept) => kept[(gi * cols + n0 * ohw) * ckk..].as_ptr(),
                    Unfolded::Input(x) => {
                        for j in 0..nbb {
                            let n = n0 + j;
                            let xs = &x[(n * g.c + gi * cg) * hw..(n * g.c + (gi + 1) * cg) * hw];
                            // SAFETY: colbuf is [k, ckk]; image j fills rows j*ohw...
                            unsafe {
                                im2col(xs, &idx.idx, xpad, colbuf.as_mut_ptr().add(j * ohw * ckk))
                            };
                        }
                        colbuf.as_ptr()
                    }
                };
                // SAFETY: dst is this group's [og, ckk] block, gcat [og, k], and the
                // block's patches [k, ckk].
                unsafe {
                    mm(
                        (og, ckk, k),
                        (dw.as_mut_ptr().add(gi * og * ckk), ckk as isize, 1),
                        false,
                        (gcat.as_ptr(), k as isize, 1),
                        (col, ckk as isize, 1),
                    );
                }
            }
        })
    });
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

/// The output, and the unfolded input when `keep` (see [`keeps_unfolded`]).
pub(crate) fn conv2d(
    x: &CpuStorage,
    xl: &Layout,
    w: &CpuStorage,
    wl: &Layout,
    b: Option<(&CpuStorage, &Layout)>,
    g: &Conv2dGeom,
    keep: bool,
) -> (CpuStorage, Option<CpuStorage>) {
    macro_rules! run {
        ($T:ty, $variant:ident) => {{
            let bias = b.map(|(b, bl)| typed::<$T>(b, bl, "bias"));
            let (out, kept) = forward::<$T>(
                &typed::<$T>(x, xl, "input"),
                &typed::<$T>(w, wl, "weight"),
                bias.as_deref(),
                g,
                keep,
            );
            (CpuStorage::$variant(out), kept.map(CpuStorage::$variant))
        }};
    }
    match x.dtype() {
        DType::F32 => run!(f32, F32),
        DType::F64 => run!(f64, F64),
        d => panic!("conv2d: expected a float tensor, got {d}"),
    }
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
        let x = typed::<T>(x, xl, "input");
        weight_grad::<T>(&typed::<T>(gy, gl, "grad"), Unfolded::Input(&x), g)
    })
}

/// The weight gradient from the unfolded input the forward pass kept.
pub(crate) fn conv2d_weight_grad_unfolded(
    gy: &CpuStorage,
    gl: &Layout,
    unfolded: &CpuStorage,
    g: &Conv2dGeom,
) -> CpuStorage {
    by_float!(gy.dtype(), "conv2d backward", T => {
        let kept = unfolded.as_slice::<T>().expect("conv2d backward: unfolded input dtype");
        weight_grad::<T>(&typed::<T>(gy, gl, "grad"), Unfolded::Kept(kept), g)
    })
}

/// The bias gradient `[o]`: the output gradient summed over batch and positions.
pub(crate) fn conv2d_bias_grad(gy: &CpuStorage, gl: &Layout, g: &Conv2dGeom) -> CpuStorage {
    by_float!(gy.dtype(), "conv2d backward", T => bias_grad::<T>(&typed::<T>(gy, gl, "grad"), g))
}
