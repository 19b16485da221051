//! Reductions over a set of dims: one workgroup per output (per chunk of it, for long
//! sums), each thread folding a strided run, then a tree in workgroup memory. Max, min and
//! the arg versions break ties by the lowest index and let NaN win, as the CPU does, so
//! their results do not depend on the order threads meet the elements.
use super::GpuStorage;
use super::kernels::{MAIN_1D, Params, WG, grid, wgsl_type};
use crate::DType;
use crate::backend::ops::ReduceOp;
use crate::layout::Layout;

/// How one kind of reduction folds: the accumulator type and its start, and the WGSL
/// that merges `(v, vi)` into `(acc, ai)`.
struct Fold {
    acc: &'static str,
    init: &'static str,
    /// A statement updating `acc`/`ai` from `v`/`vi`.
    merge: String,
    /// The value written from `acc`/`ai`.
    result: &'static str,
    out: DType,
}

fn fold(op: ReduceOp, d: DType) -> Fold {
    let ty = wgsl_type(d, "reduce");
    let sum_acc = if d == DType::F32 { "f32" } else { "i64" };
    let (lowest, highest) = match d {
        DType::F32 => ("-inf()", "inf()"),
        DType::I64 => ("bitcast<i64>(0x8000000000000000lu)", "0x7fffffffffffffffli"),
        _ => ("0u", "0xffffffffu"),
    };
    let nan_v = if d == DType::F32 {
        "is_nan(v)"
    } else {
        "false"
    };
    let nan_a = if d == DType::F32 {
        "is_nan(acc)"
    } else {
        "false"
    };
    let extreme = |cmp: &str| -> String {
        // (v, vi) replaces (acc, ai) when nothing is held yet, when v is a NaN and acc
        // is not (or is a later one), or when v beats acc (ties go to the lower index).
        format!(
            "if (ai == 0xffffffffu || ({nan_v} && (!{nan_a} || vi < ai)) || (!{nan_a} && !{nan_v} && (v {cmp} acc || (v == acc && vi < ai)))) {{ acc = v; ai = vi; }}"
        )
    };
    match op {
        ReduceOp::Sum => Fold {
            acc: sum_acc,
            init: if d == DType::F32 { "0.0" } else { "0li" },
            merge: "acc += v; ai = vi;".to_string(),
            result: "acc",
            out: if d == DType::F32 {
                DType::F32
            } else {
                DType::I64
            },
        },
        ReduceOp::Max | ReduceOp::ArgMax => Fold {
            acc: ty,
            init: lowest,
            merge: extreme(">"),
            result: if op == ReduceOp::Max {
                "acc"
            } else {
                "i64(ai)"
            },
            out: if op == ReduceOp::Max { d } else { DType::I64 },
        },
        ReduceOp::Min | ReduceOp::ArgMin => Fold {
            acc: ty,
            init: highest,
            merge: extreme("<"),
            result: if op == ReduceOp::Min {
                "acc"
            } else {
                "i64(ai)"
            },
            out: if op == ReduceOp::Min { d } else { DType::I64 },
        },
    }
}

fn source(f: &Fold, in_ty: &str, out_ty: &str) -> String {
    let Fold {
        acc,
        init,
        merge,
        result,
        ..
    } = f;
    // P[0]: outputs x chunks; P[1]: where the reduced dims' layout block starts; P[2]:
    // chunks per output; P[3]: the reduced element count; P[5..]: the kept dims' block.
    format!(
        "@group(0) @binding(1) var<storage, read> X: array<{in_ty}>;
@group(0) @binding(2) var<storage, read_write> Y: array<{out_ty}>;
var<workgroup> SV: array<{acc}, 256>;
var<workgroup> SI: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>, @builtin(local_invocation_index) li: u32) {{
    let wid = w.y * nw.x + w.x;
    if (wid >= P[0]) {{
        return;
    }}
    let red = P[1];
    let chunks = P[2];
    let len = P[3];
    let o = wid / chunks;
    let per = (len + chunks - 1u) / chunks;
    let lo = (wid % chunks) * per;
    let hi = min(len, lo + per);
    let base = strided(o, 0u);
    var acc: {acc} = {init};
    var ai = 0xffffffffu;
    for (var r = lo + li; r < hi; r += WG) {{
        let v = {acc}(X[base + strided_at(red, r, 0u)]);
        let vi = r;
        {merge}
    }}
    SV[li] = acc;
    SI[li] = ai;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {{
        if (li < s) {{
            acc = SV[li];
            ai = SI[li];
            let v = SV[li + s];
            let vi = SI[li + s];
            if (vi != 0xffffffffu) {{
                {merge}
            }}
            SV[li] = acc;
            SI[li] = ai;
        }}
        workgroupBarrier();
    }}
    if (li == 0u) {{
        acc = SV[0];
        ai = SI[0];
        Y[wid] = {result};
    }}
}}
"
    )
}

/// One thread per output folding its elements in order: for short reductions, where a
/// workgroup per output would leave most of its threads idle.
fn serial_source(f: &Fold, in_ty: &str, out_ty: &str) -> String {
    let Fold {
        acc,
        init,
        merge,
        result,
        ..
    } = f;
    format!(
        "@group(0) @binding(1) var<storage, read> X: array<{in_ty}>;
@group(0) @binding(2) var<storage, read_write> Y: array<{out_ty}>;
{MAIN_1D}
    let red = P[1];
    let len = P[3];
    let base = strided(i, 0u);
    var acc: {acc} = {init};
    var ai = 0xffffffffu;
    for (var r = 0u; r < len; r++) {{
        let v = {acc}(X[base + strided_at(red, r, 0u)]);
        let vi = r;
        {merge}
    }}
    Y[i] = {result};
}}
"
    )
}

/// Reductions this short run a thread per output.
const SERIAL_LEN: usize = 64;

/// Reduces `x` (laid out by `l`) over `dims`, `chunks` workgroups per output.
fn run(x: &GpuStorage, l: &Layout, dims: &[usize], op: ReduceOp, chunks: usize) -> GpuStorage {
    let f = fold(op, x.dtype);
    let kept: Vec<usize> = (0..l.ndim()).filter(|d| !dims.contains(d)).collect();
    let pick = |ds: &[usize], v: &[usize]| ds.iter().map(|&d| v[d]).collect::<Vec<usize>>();
    let (kshape, kstrides) = (pick(&kept, &l.shape), pick(&kept, &l.strides));
    let (rshape, rstrides) = (pick(dims, &l.shape), pick(dims, &l.strides));
    let outer: usize = kshape.iter().product();
    let len: usize = rshape.iter().product();
    let out = x.empty_like(outer * chunks, f.out, "reduce");
    let mut p = Params::new(outer * chunks);
    p.layout(&kshape, &[(&kstrides, l.offset)]);
    let red = p.layout(&rshape, &[(&rstrides, 0)]);
    p.0[1] = red as u32;
    p.0[2] = chunks as u32;
    p.0[3] = u32::try_from(len).expect("reduced length fits the kernels' 32-bit indices");
    let in_ty = wgsl_type(x.dtype, "reduce");
    let out_ty = wgsl_type(f.out, "reduce");
    let gpu = x.gpu();
    if chunks == 1 && len <= SERIAL_LEN {
        let key = format!("reduce_serial:{op:?}:{in_ty}");
        let k = gpu.kernel(&key, || serial_source(&f, in_ty, out_ty));
        gpu.launch(&k, &p.0, &[x.raw(), out.raw()], grid(outer));
        return out;
    }
    let key = format!("reduce:{op:?}:{in_ty}");
    let k = gpu.kernel(&key, || source(&f, in_ty, out_ty));
    gpu.launch(&k, &p.0, &[x.raw(), out.raw()], grid(outer * chunks * WG));
    out
}

impl GpuStorage {
    #[track_caller]
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> GpuStorage {
        let len: usize = dims.iter().map(|&d| l.shape[d]).product();
        let outer = l.numel() / len.max(1);
        if len == 0 && op != ReduceOp::Sum {
            panic!("max/min/argmax/argmin of an empty dimension is not defined");
        }
        if len == 0 {
            let n = (0..l.ndim())
                .filter(|d| !dims.contains(d))
                .map(|d| l.shape[d])
                .product();
            let out = self.empty_like(n, fold(op, self.dtype).out, "sum");
            super::elementwise::fill(&out, 0.0);
            return out;
        }
        // A long sum into few outputs would leave most of the GPU idle: split it into
        // chunks, then sum the partial sums.
        let chunks = if op == ReduceOp::Sum && outer < 256 {
            len.div_ceil(4096).min(1024)
        } else {
            1
        };
        let partial = run(self, l, dims, op, chunks);
        if chunks == 1 {
            return partial;
        }
        let pl = Layout::contiguous(&[outer, chunks]);
        run(&partial, &pl, &[1], op, 1)
    }
}
