//! 2-D pooling and its backward kernels. Forward runs a thread per output; backward a
//! thread per input element that gathers from the outputs whose windows hold it, in the
//! CPU's order (so max-pool gradients are bit-identical), with no atomics.
use super::kernels::{MAIN_1D, Params};
use super::{GpuStorage, launch, row_major};
use crate::DType;
use crate::backend::ops::{AvgDivisor, Pool2dGeom};
use crate::layout::Layout;

fn check_f32(s: &GpuStorage, op: &str) {
    assert_eq!(
        s.dtype,
        DType::F32,
        "{op}: expected a float32 tensor on the GPU, got {}",
        s.dtype
    );
}

/// P[5..]: planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, then the input offset.
fn params(threads: usize, g: &Pool2dGeom, offset: usize) -> Params {
    let mut p = Params::new(threads);
    for v in [
        g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, offset,
    ] {
        p.push(v);
    }
    p
}

/// Names for the geometry words, shared by every pooling kernel.
const GEOM: &str = "
fn H() -> u32 { return P[6]; }
fn Wd() -> u32 { return P[7]; }
fn OH() -> u32 { return P[8]; }
fn OW() -> u32 { return P[9]; }
fn KH() -> u32 { return P[10]; }
fn KW() -> u32 { return P[11]; }
fn SH() -> u32 { return P[12]; }
fn SW() -> u32 { return P[13]; }
fn PH() -> u32 { return P[14]; }
fn PW() -> u32 { return P[15]; }
fn DH() -> u32 { return P[16]; }
fn DW() -> u32 { return P[17]; }
fn OFF() -> u32 { return P[18]; }
// The clipped rows (or columns) `[lo, hi)` of window o, and the span to `n + pad` that
// count_include_pad divides by (as the CPU's `window`); P[19] is count_include_pad, P[20]
// divisor_override (0 when not given).
fn window(o: u32, s: u32, p: u32, k: u32, n: u32) -> vec3<u32> {
    let start = i32(o * s) - i32(p);
    let end_pad = min(start + i32(k), i32(n + p));
    let span = u32(end_pad - start);
    let lo = u32(max(start, 0));
    let hi = max(u32(max(min(end_pad, i32(n)), 0)), lo);
    return vec3<u32>(lo, hi, span);
}
fn divisor(oy: u32, ox: u32) -> f32 {
    if (P[20] != 0u) {
        return f32(P[20]);
    }
    let wy = window(oy, SH(), PH(), KH(), H());
    let wx = window(ox, SW(), PW(), KW(), Wd());
    if (P[19] != 0u) {
        return f32(wy.z * wx.z);
    }
    return f32((wy.y - wy.x) * (wx.y - wx.x));
}
fn adaptive(o: u32, n: u32, out: u32) -> vec2<u32> {
    return vec2<u32>(o * n / out, ((o + 1u) * n + out - 1u) / out);
}
";

fn run(
    name: &str,
    body: &str,
    bindings: &str,
    p: Params,
    bufs: &[&wgpu::Buffer],
    gpu: &super::Gpu,
) {
    let source = || format!("{bindings}{GEOM}{MAIN_1D}{body}\n}}\n");
    launch(gpu, name, source, p, bufs);
}

const IO: &str = "@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
";

pub(crate) fn avg_pool2d(x: &GpuStorage, l: &Layout, g: &Pool2dGeom, d: AvgDivisor) -> GpuStorage {
    check_f32(x, "avg_pool2d");
    let mut keep = None;
    let (xd, off) = row_major(x, l, &mut keep);
    let n = g.planes * g.oh * g.ow;
    let out = x.empty_like(n, DType::F32, "avg_pool2d");
    let mut p = params(n, g, off);
    p.push(d.count_include_pad as usize);
    p.push(d.divisor_override.unwrap_or(0));
    let body = "
    let ohw = OH() * OW();
    let plane = i / ohw;
    let oy = (i % ohw) / OW();
    let ox = i % OW();
    let wy = window(oy, SH(), PH(), KH(), H());
    let wx = window(ox, SW(), PW(), KW(), Wd());
    var acc = 0.0;
    for (var y = wy.x; y < wy.y; y++) {
        for (var xx = wx.x; xx < wx.y; xx++) {
            acc += X[OFF() + (plane * H() + y) * Wd() + xx];
        }
    }
    Y[i] = acc / divisor(oy, ox);";
    run("avg_pool2d", body, IO, p, &[xd.raw(), out.raw()], x.gpu());
    out
}

pub(crate) fn avg_pool2d_backward(
    gy: &GpuStorage,
    l: &Layout,
    g: &Pool2dGeom,
    d: AvgDivisor,
) -> GpuStorage {
    check_f32(gy, "avg_pool2d backward");
    let mut keep = None;
    let (gd, off) = row_major(gy, l, &mut keep);
    let n = g.planes * g.h * g.w;
    let out = gy.empty_like(n, DType::F32, "avg_pool2d backward");
    let mut p = params(n, g, off);
    p.push(d.count_include_pad as usize);
    p.push(d.divisor_override.unwrap_or(0));
    // Output (oy, ox)'s window holds input row y for each kernel row ki with
    // oy * sh - ph + ki = y; walking ki down visits oy upwards, as the CPU adds.
    let body = "
    let hw = H() * Wd();
    let plane = i / hw;
    let y = (i % hw) / Wd();
    let xx = i % Wd();
    var acc = 0.0;
    for (var ki = i32(KH()) - 1; ki >= 0; ki--) {
        let ny = i32(y + PH()) - ki;
        if (ny < 0 || ny % i32(SH()) != 0 || ny / i32(SH()) >= i32(OH())) {
            continue;
        }
        let oy = u32(ny / i32(SH()));
        for (var kj = i32(KW()) - 1; kj >= 0; kj--) {
            let nx = i32(xx + PW()) - kj;
            if (nx < 0 || nx % i32(SW()) != 0 || nx / i32(SW()) >= i32(OW())) {
                continue;
            }
            let ox = u32(nx / i32(SW()));
            acc += X[OFF() + (plane * OH() + oy) * OW() + ox] / divisor(oy, ox);
        }
    }
    Y[i] = acc;";
    run(
        "avg_pool2d_backward",
        body,
        IO,
        p,
        &[gd.raw(), out.raw()],
        gy.gpu(),
    );
    out
}

pub(crate) fn max_pool2d(x: &GpuStorage, l: &Layout, g: &Pool2dGeom) -> (GpuStorage, GpuStorage) {
    check_f32(x, "max_pool2d");
    let mut keep = None;
    let (xd, off) = row_major(x, l, &mut keep);
    let n = g.planes * g.oh * g.ow;
    let out = x.empty_like(n, DType::F32, "max_pool2d");
    let idx = x.empty_like(n, DType::I64, "max_pool2d");
    let p = params(n, g, off);
    let bindings = format!("{IO}@group(0) @binding(3) var<storage, read_write> I: array<i64>;\n");
    // As the CPU and PyTorch: the first maximum wins, and a NaN beats everything.
    let body = "
    let ohw = OH() * OW();
    let plane = i / ohw;
    let oy = (i % ohw) / OW();
    let ox = i % OW();
    let y0 = i32(oy * SH()) - i32(PH());
    let x0 = i32(ox * SW()) - i32(PW());
    var best = -inf();
    var at = -1;
    for (var ki = 0u; ki < KH(); ki++) {
        let y = y0 + i32(ki * DH());
        if (y < 0 || y >= i32(H())) {
            continue;
        }
        for (var kj = 0u; kj < KW(); kj++) {
            let xx = x0 + i32(kj * DW());
            if (xx < 0 || xx >= i32(Wd())) {
                continue;
            }
            let k = y * i32(Wd()) + xx;
            let v = X[OFF() + plane * H() * Wd() + u32(k)];
            if (at < 0 || v > best || is_nan(v)) {
                best = v;
                at = k;
                if (is_nan(v)) {
                    break;
                }
            }
        }
        if (is_nan(best)) {
            break;
        }
    }
    Y[i] = best;
    I[i] = i64(at);";
    run(
        "max_pool2d",
        body,
        &bindings,
        p,
        &[xd.raw(), out.raw(), idx.raw()],
        x.gpu(),
    );
    (out, idx)
}

pub(crate) fn max_pool2d_backward(
    gy: &GpuStorage,
    l: &Layout,
    idx: &GpuStorage,
    il: &Layout,
    g: &Pool2dGeom,
) -> GpuStorage {
    check_f32(gy, "max_pool2d backward");
    let mut keep = None;
    let (gd, off) = row_major(gy, l, &mut keep);
    let id = idx.copy_strided(il);
    let n = g.planes * g.h * g.w;
    let out = gy.empty_like(n, DType::F32, "max_pool2d backward");
    let p = params(n, g, off);
    let bindings = format!("{IO}@group(0) @binding(3) var<storage, read> I: array<i64>;\n");
    let body = "
    let hw = H() * Wd();
    let plane = i / hw;
    let y = (i % hw) / Wd();
    let xx = i % Wd();
    let me = i64(y * Wd() + xx);
    var acc = 0.0;
    for (var ki = i32(KH()) - 1; ki >= 0; ki--) {
        let ny = i32(y + PH()) - ki * i32(DH());
        if (ny < 0 || ny % i32(SH()) != 0 || ny / i32(SH()) >= i32(OH())) {
            continue;
        }
        let oy = u32(ny / i32(SH()));
        for (var kj = i32(KW()) - 1; kj >= 0; kj--) {
            let nx = i32(xx + PW()) - kj * i32(DW());
            if (nx < 0 || nx % i32(SW()) != 0 || nx / i32(SW()) >= i32(OW())) {
                continue;
            }
            let o = (plane * OH() + oy) * OW() + u32(nx / i32(SW()));
            if (I[o] == me) {
                acc += X[OFF() + o];
            }
        }
    }
    Y[i] = acc;";
    run(
        "max_pool2d_backward",
        body,
        &bindings,
        p,
        &[gd.raw(), out.raw(), id.raw()],
        gy.gpu(),
    );
    out
}

pub(crate) fn adaptive_avg_pool2d(x: &GpuStorage, l: &Layout, g: &Pool2dGeom) -> GpuStorage {
    check_f32(x, "adaptive_avg_pool2d");
    let mut keep = None;
    let (xd, off) = row_major(x, l, &mut keep);
    let n = g.planes * g.oh * g.ow;
    let out = x.empty_like(n, DType::F32, "adaptive_avg_pool2d");
    let p = params(n, g, off);
    let body = "
    let ohw = OH() * OW();
    let plane = i / ohw;
    let oy = (i % ohw) / OW();
    let ox = i % OW();
    let wy = adaptive(oy, H(), OH());
    let wx = adaptive(ox, Wd(), OW());
    var acc = 0.0;
    for (var y = wy.x; y < wy.y; y++) {
        for (var xx = wx.x; xx < wx.y; xx++) {
            acc += X[OFF() + (plane * H() + y) * Wd() + xx];
        }
    }
    Y[i] = acc / f32((wy.y - wy.x) * (wx.y - wx.x));";
    run(
        "adaptive_avg_pool2d",
        body,
        IO,
        p,
        &[xd.raw(), out.raw()],
        x.gpu(),
    );
    out
}

pub(crate) fn adaptive_avg_pool2d_backward(
    gy: &GpuStorage,
    l: &Layout,
    g: &Pool2dGeom,
) -> GpuStorage {
    check_f32(gy, "adaptive_avg_pool2d backward");
    let mut keep = None;
    let (gd, off) = row_major(gy, l, &mut keep);
    let n = g.planes * g.h * g.w;
    let out = gy.empty_like(n, DType::F32, "adaptive_avg_pool2d backward");
    let p = params(n, g, off);
    // The outputs whose windows hold row y lie within one of floor(y * oh / h).
    let body = "
    let hw = H() * Wd();
    let plane = i / hw;
    let y = (i % hw) / Wd();
    let xx = i % Wd();
    let oy0 = max(i32(y * OH() / H()) - 1, 0);
    let oy1 = min(i32((y + 1u) * OH() / H()) + 2, i32(OH()));
    let ox0 = max(i32(xx * OW() / Wd()) - 1, 0);
    let ox1 = min(i32((xx + 1u) * OW() / Wd()) + 2, i32(OW()));
    var acc = 0.0;
    for (var oy = u32(oy0); oy < u32(oy1); oy++) {
        let wy = adaptive(oy, H(), OH());
        if (y < wy.x || y >= wy.y) {
            continue;
        }
        for (var ox = u32(ox0); ox < u32(ox1); ox++) {
            let wx = adaptive(ox, Wd(), OW());
            if (xx < wx.x || xx >= wx.y) {
                continue;
            }
            acc += X[OFF() + (plane * OH() + oy) * OW() + ox] / f32((wy.y - wy.x) * (wx.y - wx.x));
        }
    }
    Y[i] = acc;";
    run(
        "adaptive_avg_pool2d_backward",
        body,
        IO,
        p,
        &[gd.raw(), out.raw()],
        gy.gpu(),
    );
    out
}
