//! The fused class-index loss, forward and backward: one thread per sample over the
//! classes, with the CPU kernel's arithmetic (see `cpu/loss.rs` for the formulas).
use super::kernels::{FLAG_TARGET, MAIN_1D, Params, flags_binding};
use super::{GpuStorage, launch, row_major as dense};
use crate::DType;
use crate::backend::ops::ClassLoss;
use crate::layout::Layout;

/// The WGSL both kernels share: bindings, the target check, `q(k)` and `logp(k)`.
/// P[5..]: c, inner, offsets of x, target and weight, whether there are weights, whether
/// the input is logits (log_softmax first); slot 0: ignore_index; slot 1: smoothing.
fn common() -> String {
    format!(
        "@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i64>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
{}
fn wk(k: u32) -> f32 {{
    if (P[10] == 0u) {{
        return 1.0;
    }}
    return W[P[9] + k];
}}
fn q(k: u32, t: u32) -> f32 {{
    let eps = scalar_f32(1u);
    var v = eps / f32(P[5]) * wk(k);
    if (k == t) {{
        v += (1.0 - eps) * wk(t);
    }}
    return v;
}}
fn xat(s: u32, k: u32) -> f32 {{
    let c = P[5];
    let inner = P[6];
    return X[P[7] + ((s / inner) * c + k) * inner + s % inner];
}}
// The log-sum-exp over the classes of sample s (0 for plain nll).
fn lse(s: u32) -> f32 {{
    if (P[11] == 0u) {{
        return 0.0;
    }}
    var m = -inf();
    for (var k = 0u; k < P[5]; k++) {{
        m = max(m, xat(s, k));
    }}
    if (abs(m) == inf()) {{
        m = 0.0;
    }}
    var sum = 0.0;
    for (var k = 0u; k < P[5]; k++) {{
        sum += exp(xat(s, k) - m);
    }}
    return m + log(sum);
}}
// The target class of sample s, or c when it is ignored or out of range (flagged).
fn target_of(s: u32) -> u32 {{
    let t = T[P[8] + s];
    if (t == scalar_i64(0u)) {{
        return P[5];
    }}
    if (t < 0li || t >= i64(P[5])) {{
        flag_error({FLAG_TARGET}u);
        return P[5];
    }}
    return u32(t);
}}
",
        flags_binding(5)
    )
}

fn params(spec: &ClassLoss, x: usize, t: usize, w: Option<usize>) -> Params {
    let mut p = Params::new(spec.n * spec.inner)
        .i64(0, spec.ignore_index)
        .f32(1, spec.smoothing as f32);
    for v in [
        spec.c,
        spec.inner.max(1),
        x,
        t,
        w.unwrap_or(0),
        w.is_some() as usize,
        spec.log_softmax as usize,
    ] {
        p.push(v);
    }
    p
}

fn check(x: &GpuStorage, t: &GpuStorage, spec: &ClassLoss) {
    assert_eq!(
        x.dtype,
        DType::F32,
        "{}: unsupported input dtype {:?} on the GPU",
        spec.op,
        x.dtype
    );
    assert_eq!(
        t.dtype,
        DType::I64,
        "{}: target must be int64, got {:?}",
        spec.op,
        t.dtype
    );
}

impl GpuStorage {
    pub fn class_loss(
        &self,
        l: &Layout,
        t: &GpuStorage,
        tl: &Layout,
        w: Option<(&GpuStorage, &Layout)>,
        spec: &ClassLoss,
    ) -> (GpuStorage, GpuStorage) {
        check(self, t, spec);
        let (mut kx, mut kt, mut kw) = (None, None, None);
        let (x, xo) = dense(self, l, &mut kx);
        let (t, to) = dense(t, tl, &mut kt);
        let w = w.map(|(w, wl)| dense(w, wl, &mut kw));
        let m = spec.n * spec.inner;
        let loss = self.empty_like(m, DType::F32, spec.op);
        let mass = self.empty_like(m, DType::F32, spec.op);
        let p = params(spec, xo, to, w.map(|w| w.1));
        let source = || {
            format!(
                "{}@group(0) @binding(4) var<storage, read_write> LOSS: array<f32>;
@group(0) @binding(6) var<storage, read_write> MASS: array<f32>;
{MAIN_1D}
    let tc = target_of(i);
    if (tc == P[5]) {{
        LOSS[i] = 0.0;
        MASS[i] = 0.0;
        return;
    }}
    let z = lse(i);
    var l = 0.0;
    for (var k = 0u; k < P[5]; k++) {{
        let qk = q(k, tc);
        if (qk != 0.0) {{
            l -= qk * (xat(i, k) - z);
        }}
    }}
    LOSS[i] = l;
    MASS[i] = wk(tc);
}}
",
                common()
            )
        };
        let gpu = self.gpu();
        let wbuf = w.map_or(x.raw(), |w| w.0.raw());
        launch(
            gpu,
            "class_loss",
            source,
            p,
            &[x.raw(), t.raw(), wbuf, loss.raw(), &gpu.flags(), mass.raw()],
        );
        (loss, mass)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn class_loss_backward(
        &self,
        l: &Layout,
        t: &GpuStorage,
        tl: &Layout,
        w: Option<(&GpuStorage, &Layout)>,
        g: &GpuStorage,
        gl: &Layout,
        spec: &ClassLoss,
    ) -> GpuStorage {
        check(self, t, spec);
        let (mut kx, mut kt, mut kw, mut kg) = (None, None, None, None);
        let (x, xo) = dense(self, l, &mut kx);
        let (t, to) = dense(t, tl, &mut kt);
        let w = w.map(|(w, wl)| dense(w, wl, &mut kw));
        let (g, go) = dense(g, gl, &mut kg);
        let out = self.empty_like(spec.n * spec.c * spec.inner, DType::F32, spec.op);
        let mut p = params(spec, xo, to, w.map(|w| w.1));
        p.push(go);
        let source = || {
            format!(
                "{}@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<storage, read> G: array<f32>;
{MAIN_1D}
    let c = P[5];
    let inner = P[6];
    let base = (i / inner) * c * inner + i % inner;
    let tc = target_of(i);
    if (tc == c) {{
        for (var k = 0u; k < c; k++) {{
            DX[base + k * inner] = 0.0;
        }}
        return;
    }}
    let gs = G[P[12] + i];
    if (P[11] != 0u) {{
        let z = lse(i);
        var total = 0.0;
        for (var k = 0u; k < c; k++) {{
            total += q(k, tc);
        }}
        for (var k = 0u; k < c; k++) {{
            DX[base + k * inner] = gs * (total * exp(xat(i, k) - z) - q(k, tc));
        }}
    }} else {{
        for (var k = 0u; k < c; k++) {{
            DX[base + k * inner] = -(gs * q(k, tc));
        }}
    }}
}}
",
                common()
            )
        };
        let gpu = self.gpu();
        let wbuf = w.map_or(x.raw(), |w| w.0.raw());
        launch(
            gpu,
            "class_loss_backward",
            source,
            p,
            &[x.raw(), t.raw(), wbuf, out.raw(), &gpu.flags(), g.raw()],
        );
        out
    }
}
