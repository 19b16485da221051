//! 2-D convolution as unfold + matrix product, all three passes: the forward multiplies
//! the weight by the unfolded input patches; the input gradient multiplies the transposed
//! weight by the output gradient and folds the patches back (a gather per input element,
//! no atomics); the weight gradient multiplies the output gradient by the patches, summed
//! over the batch inside the product kernel.
use super::kernels::{MAIN_1D, Params};
use super::matmul::{Dims, Operand, matmul, split_r};
use super::{GpuStorage, launch, row_major};
use crate::DType;
use crate::backend::ops::{BinaryOp, Conv2dGeom, ReduceOp};
use crate::layout::Layout;

/// The unfolded input `[n, groups, c/groups * kh * kw, oh * ow]` (row-major).
fn cols_len(g: &Conv2dGeom) -> usize {
    g.n * g.c * g.kh * g.kw * g.oh * g.ow
}

/// P[5..]: n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, then the input's offset and
/// its four strides (unfold) or nothing (fold).
fn geom(threads: usize, g: &Conv2dGeom) -> Params {
    let mut p = Params::new(threads);
    for v in [
        g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow,
    ] {
        p.push(v);
    }
    p
}

/// The unfolded patches of `x`: element `(img, ch, ki, kj, oy, ox)` is the input pixel
/// `(img, ch, oy*sh - ph + ki*dh, ox*sw - pw + kj*dw)`, or 0 in the padding.
fn unfold(x: &GpuStorage, l: &Layout, g: &Conv2dGeom) -> GpuStorage {
    let n = cols_len(g);
    let out = x.empty_like(n, DType::F32, "conv2d");
    let mut p = geom(n, g);
    p.push(l.offset);
    for &s in &l.strides {
        p.push(s);
    }
    let source = || {
        format!(
            "@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> U: array<f32>;
{MAIN_1D}
    let c = P[6]; let h = P[7]; let wd = P[8]; let kh = P[9]; let kw = P[10];
    let oh = P[17]; let ow = P[18];
    let l = oh * ow;
    let pos = i % l;
    let row = i / l;
    let kj = row % kw;
    let ki = (row / kw) % kh;
    let ch = (row / (kw * kh)) % c;
    let img = row / (kw * kh * c);
    let y = i32((pos / ow) * P[11] + ki * P[15]) - i32(P[13]);
    let xx = i32((pos % ow) * P[12] + kj * P[16]) - i32(P[14]);
    var v = 0.0;
    if (y >= 0 && y < i32(h) && xx >= 0 && xx < i32(wd)) {{
        v = X[P[19] + img * P[20] + ch * P[21] + u32(y) * P[22] + u32(xx) * P[23]];
    }}
    U[i] = v;
}}
"
        )
    };
    launch(x.gpu(), "conv_unfold", source, p, &[x.raw(), out.raw()]);
    out
}

/// The input gradient from the unfolded-patch gradient: each input pixel adds the patch
/// entries that read it.
fn fold(cols: &GpuStorage, g: &Conv2dGeom) -> GpuStorage {
    let n = g.n * g.c * g.h * g.w;
    let out = cols.empty_like(n, DType::F32, "conv2d backward");
    let p = geom(n, g);
    let source = || {
        format!(
            "@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
{MAIN_1D}
    let c = P[6]; let h = P[7]; let wd = P[8]; let kh = P[9]; let kw = P[10];
    let sh = i32(P[11]); let sw = i32(P[12]);
    let oh = P[17]; let ow = P[18];
    let xx = i % wd;
    let y = (i / wd) % h;
    let plane = i / (wd * h);
    var acc = 0.0;
    for (var ki = 0u; ki < kh; ki++) {{
        let ny = i32(y + P[13]) - i32(ki * P[15]);
        if (ny < 0 || ny % sh != 0 || ny / sh >= i32(oh)) {{
            continue;
        }}
        let oy = u32(ny / sh);
        for (var kj = 0u; kj < kw; kj++) {{
            let nx = i32(xx + P[14]) - i32(kj * P[16]);
            if (nx < 0 || nx % sw != 0 || nx / sw >= i32(ow)) {{
                continue;
            }}
            let ox = u32(nx / sw);
            acc += U[((plane * kh + ki) * kw + kj) * oh * ow + oy * ow + ox];
        }}
    }}
    DX[i] = acc;
}}
"
        )
    };
    launch(cols.gpu(), "conv_fold", source, p, &[cols.raw(), out.raw()]);
    out
}

/// Per group: the patch rows `ck = c/groups * kh * kw`, output channels `og`, positions `l`.
fn sizes(g: &Conv2dGeom) -> (usize, usize, usize) {
    (g.c / g.groups * g.kh * g.kw, g.o / g.groups, g.oh * g.ow)
}

/// Keeping the patches for the weight gradient saves one unfold per step; it costs
/// `kh*kw` times the input's memory, which the GPU can spare up to a point.
pub(crate) fn keeps_unfolded(g: &Conv2dGeom) -> bool {
    cols_len(g) * 4 <= 256 << 20
}

pub(crate) fn conv2d(
    x: &GpuStorage,
    l: &Layout,
    w: &GpuStorage,
    wl: &Layout,
    b: Option<(&GpuStorage, &Layout)>,
    g: &Conv2dGeom,
    keep_unfolded: bool,
) -> (GpuStorage, Option<GpuStorage>) {
    assert_eq!(
        x.dtype,
        DType::F32,
        "conv2d: the GPU convolves float32 only"
    );
    let cols = unfold(x, l, g);
    let (ck, og, len) = sizes(g);
    let mut wkeep = None;
    let (wd, wo) = row_major(w, wl, &mut wkeep);
    let out = x.empty_like(g.n * g.o * len, DType::F32, "conv2d");
    for gi in 0..g.groups {
        matmul(
            Operand {
                s: wd,
                offset: wo + gi * og * ck,
                strides: [0, 0, ck, 1],
            },
            Operand {
                s: &cols,
                offset: gi * ck * len,
                strides: [g.groups * ck * len, 0, len, 1],
            },
            (&out, gi * og * len, [g.o * len, len, 1]),
            Dims {
                batch: g.n,
                r: 1,
                m: og,
                n: len,
                k: ck,
            },
            false,
        );
    }
    let mut out = out;
    if let Some((b, bl)) = b {
        let ol = Layout::contiguous(&[g.n, g.o, len]);
        let bias = Layout {
            shape: ol.shape.clone(),
            strides: vec![0, bl.strides[0], 0],
            offset: bl.offset,
        };
        out.binary_inplace(&ol, b, &bias, BinaryOp::Add);
    }
    (out, keep_unfolded.then_some(cols))
}

pub(crate) fn conv2d_weight_grad_unfolded(
    gy: &GpuStorage,
    l: &Layout,
    cols: &GpuStorage,
    g: &Conv2dGeom,
) -> GpuStorage {
    let (ck, og, len) = sizes(g);
    let mut keep = None;
    let (gd, go) = row_major(gy, l, &mut keep);
    let out = gy.empty_like(g.o * ck, DType::F32, "conv2d backward");
    for gi in 0..g.groups {
        // dW[gi] = sum over images of gy[img, gi] [og, len] @ cols[img, gi]^T [len, ck]; the
        // images are the outer sum, split so that the GPU works on many at once.
        split_r(
            Operand {
                s: gd,
                offset: go + gi * og * len,
                strides: [0, g.o * len, len, 1],
            },
            Operand {
                s: cols,
                offset: gi * ck * len,
                strides: [0, g.groups * ck * len, 1, len],
            },
            &out,
            gi * og * ck,
            Dims {
                batch: 1,
                r: g.n,
                m: og,
                n: ck,
                k: len,
            },
        );
    }
    out
}

pub(crate) fn conv2d_weight_grad(
    gy: &GpuStorage,
    l: &Layout,
    x: &GpuStorage,
    xl: &Layout,
    g: &Conv2dGeom,
) -> GpuStorage {
    let cols = unfold(x, xl, g);
    conv2d_weight_grad_unfolded(gy, l, &cols, g)
}

pub(crate) fn conv2d_input_grad(
    gy: &GpuStorage,
    l: &Layout,
    w: &GpuStorage,
    wl: &Layout,
    g: &Conv2dGeom,
) -> GpuStorage {
    let (ck, og, len) = sizes(g);
    let (mut gkeep, mut wkeep) = (None, None);
    let (gd, go) = row_major(gy, l, &mut gkeep);
    let (wd, wo) = row_major(w, wl, &mut wkeep);
    let dcols = gy.empty_like(cols_len(g), DType::F32, "conv2d backward");
    for gi in 0..g.groups {
        // dcols[img, gi] [ck, len] = W[gi]^T [ck, og] @ gy[img, gi] [og, len].
        matmul(
            Operand {
                s: wd,
                offset: wo + gi * og * ck,
                strides: [0, 0, 1, ck],
            },
            Operand {
                s: gd,
                offset: go + gi * og * len,
                strides: [g.o * len, 0, len, 1],
            },
            (&dcols, gi * ck * len, [g.groups * ck * len, len, 1]),
            Dims {
                batch: g.n,
                r: 1,
                m: ck,
                n: len,
                k: og,
            },
            false,
        );
    }
    fold(&dcols, g)
}

pub(crate) fn conv2d_bias_grad(gy: &GpuStorage, l: &Layout, g: &Conv2dGeom) -> GpuStorage {
    let len = g.oh * g.ow;
    let mut keep = None;
    let (gd, go) = row_major(gy, l, &mut keep);
    let view = Layout {
        shape: vec![g.n, g.o, len].into(),
        strides: vec![g.o * len, len, 1],
        offset: go,
    };
    gd.reduce(&view, &[0, 2], ReduceOp::Sum)
}
