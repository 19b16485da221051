//! Elementwise kernels: one generated WGSL `map` per (op, dtypes), over strided and
//! broadcast operands, writing a strided output (so copies, casts and in-place ops are the
//! same kernel). Scalars (clamp bounds, exponents, fill values) travel in the launch
//! parameters, never in the source, so each op compiles once.
use super::kernels::{MAIN_1D, Params, dense, wgsl_type};
use super::{GpuStorage, launch};
use crate::DType;
use crate::backend::ops::{BinaryOp, CmpOp, UnaryOp};
use crate::layout::Layout;
use std::fmt::Write;

const VARS: [&str; 3] = ["a", "b", "c"];

/// `Y[y] = expr` over `inputs` bound as `X0, X1, ...` (named `a, b, c` in `expr`); with
/// `inplace`, `a` is the output's old value and the inputs are `b, c`.
fn map_source(inputs: &[&str], out: &str, inplace: bool, expr: &str) -> String {
    let mut s = String::new();
    for (i, t) in inputs.iter().enumerate() {
        writeln!(
            s,
            "@group(0) @binding({}) var<storage, read> X{i}: array<{t}>;",
            i + 1
        )
        .unwrap();
    }
    writeln!(
        s,
        "@group(0) @binding({}) var<storage, read_write> Y: array<{out}>;",
        inputs.len() + 1
    )
    .unwrap();
    s += MAIN_1D;
    writeln!(s, "    let y = strided(i, {}u);", inputs.len()).unwrap();
    let first = if inplace {
        s += "    let a = Y[y];\n";
        1
    } else {
        0
    };
    for i in 0..inputs.len() {
        writeln!(s, "    let {} = X{i}[strided(i, {i}u)];", VARS[first + i]).unwrap();
    }
    writeln!(s, "    Y[y] = {expr};\n}}").unwrap();
    s
}

/// Runs `expr` over the elements of `out` that `ol` selects, reading `inputs` by their
/// layouts (all of `ol`'s shape); `scalars` fills the parameter slots.
fn map(
    name: &str,
    expr: &str,
    inputs: &[(&GpuStorage, &Layout)],
    out: &GpuStorage,
    ol: &Layout,
    inplace: bool,
    scalars: impl FnOnce(Params) -> Params,
) {
    let types: Vec<&str> = inputs
        .iter()
        .map(|(s, _)| wgsl_type(s.dtype, name))
        .collect();
    let out_ty = wgsl_type(out.dtype, name);
    let key = format!("map:{name}:{}:{out_ty}:{inplace}", types.join(","));
    let mut operands: Vec<(&[usize], usize)> = inputs
        .iter()
        .map(|(_, l)| (&l.strides[..], l.offset))
        .collect();
    operands.push((&ol.strides, ol.offset));
    let p = scalars(Params::new(ol.numel())).with_layout(&ol.shape, &operands);
    let mut bufs: Vec<&wgpu::Buffer> = inputs.iter().map(|(s, _)| s.raw()).collect();
    bufs.push(out.raw());
    launch(
        out.gpu(),
        &key,
        || map_source(&types, out_ty, inplace, expr),
        p,
        &bufs,
    );
}

/// A new contiguous storage of `dtype` with `expr` of `inputs` (laid out over `shape`).
#[track_caller]
fn map_new(
    name: &str,
    expr: &str,
    inputs: &[(&GpuStorage, &Layout)],
    shape: &[usize],
    dtype: DType,
    scalars: impl FnOnce(Params) -> Params,
) -> GpuStorage {
    let n: usize = shape.iter().product();
    let out = inputs[0].0.empty_like(n, dtype, name);
    let ol = Layout {
        shape: shape.to_vec().into(),
        strides: dense(shape),
        offset: 0,
    };
    map(name, expr, inputs, &out, &ol, false, scalars);
    out
}

/// Writes `src` (by `sl`) into the elements of `out` that `ol` selects. The GPU writes
/// through a shared handle: only the recorded kernel touches the memory.
pub(super) fn copy_into(out: &GpuStorage, ol: &Layout, src: &GpuStorage, sl: &Layout) {
    map("assign", "a", &[(src, sl)], out, ol, false, |p| p);
}

pub(super) fn fill(out: &GpuStorage, value: f64) {
    let ol = Layout::contiguous(&[out.len]);
    let (expr, set): (&str, Box<dyn FnOnce(Params) -> Params>) = match out.dtype {
        DType::F32 => (
            "scalar_f32(0u)",
            Box::new(move |p: Params| p.f32(0, value as f32)),
        ),
        DType::I64 => (
            "scalar_i64(0u)",
            Box::new(move |p: Params| p.i64(0, value as i64)),
        ),
        DType::U8 => (
            "scalar_u32(0u)",
            Box::new(move |p: Params| p.u32(0, value as i64 as u8 as u32)),
        ),
        DType::Bool => (
            "scalar_u32(0u)",
            Box::new(move |p: Params| p.u32(0, (value != 0.0) as u32)),
        ),
        DType::F64 => unreachable!("refused when the storage was made"),
    };
    map("fill", expr, &[], out, &ol, false, set);
}

/// Uniform `[0, 1)` values with 24 random bits, from a counter-based hash of `seed` and
/// the element's index (so a seed gives the same values whatever the launch shape).
pub(super) fn rand(out: &GpuStorage, seed: u64) {
    let ol = Layout::contiguous(&[out.len]);
    let expr = "f32(hash3(scalar_u32(0u), scalar_u32(1u), i) >> 8u) * (1.0 / 16777216.0)";
    let key = "rand";
    let p = Params::new(out.len)
        .u32(0, seed as u32)
        .u32(1, (seed >> 32) as u32)
        .with_layout(&ol.shape, &[(&ol.strides, 0)]);
    launch(
        out.gpu(),
        key,
        || format!("{HASH}\n{}", map_source(&[], "f32", false, expr)),
        p,
        &[out.raw()],
    );
}

/// A 32-bit mix of three words (the "lowbias32" finaliser applied in a chain): cheap,
/// and statistically clean enough for dropout masks.
const HASH: &str = "
fn mix32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}
fn hash3(a: u32, b: u32, c: u32) -> u32 {
    return mix32(mix32(mix32(a) ^ b) ^ c);
}
";

#[track_caller]
fn unary_expr(op: UnaryOp, d: DType) -> (&'static str, Option<(f64, f64)>) {
    use UnaryOp::*;
    match (d, op) {
        (DType::F32, Neg) => ("-a", None),
        (DType::F32, Abs) => ("abs(a)", None),
        (DType::F32, Exp) => ("exp(a)", None),
        (DType::F32, Log) => ("log(a)", None),
        (DType::F32, Sqrt) => ("sqrt(a)", None),
        (DType::F32, Relu) => ("select(a, 0.0, a <= 0.0)", None),
        (DType::F32, Sigmoid) => ("1.0 / (1.0 + exp(-a))", None),
        (DType::F32, Tanh) => ("tanh_f32(a)", None),
        (DType::F32, Erf) => ("erf_f32(a)", None),
        (DType::F32, PowScalar(e)) => ("powf(a, scalar_f32(0u))", Some((e, 0.0))),
        (DType::F32, Clamp(lo, hi)) => (
            "select(select(a, scalar_f32(1u), a > scalar_f32(1u)), scalar_f32(0u), a < scalar_f32(0u))",
            Some((lo, hi)),
        ),
        (DType::F32, Sign) => ("select(select(0.0, -1.0, a < 0.0), 1.0, a > 0.0)", None),
        (DType::I64, Neg) => ("-a", None),
        (DType::I64, Abs) => ("select(a, -a, a < 0li)", None),
        (DType::I64, Relu) => ("max(a, 0li)", None),
        (DType::I64, Sign) => ("select(select(0li, -1li, a < 0li), 1li, a > 0li)", None),
        (DType::I64, PowScalar(e)) if e >= 0.0 && e.fract() == 0.0 => {
            ("ipow(a, scalar_i64(0u))", Some((e, 0.0)))
        }
        (DType::I64, Clamp(lo, hi)) => ("clamp(a, scalar_i64(0u), scalar_i64(1u))", Some((lo, hi))),
        (DType::U8, Neg) => ("(0u - a) & 255u", None),
        (DType::U8, Abs | Relu) => ("a", None),
        (DType::U8, Sign) => ("u32(a > 0u)", None),
        (DType::U8, Clamp(lo, hi)) => ("clamp(a, scalar_u32(0u), scalar_u32(1u))", Some((lo, hi))),
        (DType::I64, op) => panic!("{op:?} is not defined for integer tensors"),
        (DType::U8, op) => panic!("{op:?} is not defined for uint8 tensors"),
        (d, op) => panic!("{op:?} is not defined for {d} tensors"),
    }
}

/// Clamp bounds and exponents into the parameter slots of dtype `d`, as the CPU reads them.
fn scalar_slots(d: DType, v: Option<(f64, f64)>) -> impl FnOnce(Params) -> Params {
    move |p: Params| {
        let Some((x, y)) = v else { return p };
        match d {
            DType::F32 => p.f32(0, x as f32).f32(1, y as f32),
            DType::I64 => {
                let int = |v: f64, inf: i64| if v.is_finite() { v as i64 } else { inf };
                p.i64(0, int(x, i64::MIN)).i64(1, int(y, i64::MAX))
            }
            _ => p
                .u32(0, x.clamp(0.0, 255.0) as u8 as u32)
                .u32(1, y.clamp(0.0, 255.0) as u8 as u32),
        }
    }
}

#[track_caller]
fn binary_expr(op: BinaryOp, d: DType) -> &'static str {
    use BinaryOp::*;
    match (d, op) {
        (DType::F32, Add) => "a + b",
        (DType::F32, Sub) => "a - b",
        (DType::F32, Mul) => "a * b",
        (DType::F32, Div) => "a / b",
        (DType::F32, Pow) => "powf(a, b)",
        (DType::F32, Maximum) => "select(b, a, is_nan(a) || a > b)",
        (DType::F32, Minimum) => "select(b, a, is_nan(a) || a < b)",
        (DType::I64, Add) => "a + b",
        (DType::I64, Sub) => "a - b",
        (DType::I64, Mul) => "a * b",
        (DType::I64, Pow) => "ipow(a, b)",
        (DType::I64, Maximum) => "max(a, b)",
        (DType::I64, Minimum) => "min(a, b)",
        (DType::U8, Add) => "(a + b) & 255u",
        (DType::U8, Sub) => "(a - b) & 255u",
        (DType::U8, Mul) => "(a * b) & 255u",
        (DType::U8, Pow) => "upow(a, b)",
        (DType::U8, Maximum) => "max(a, b)",
        (DType::U8, Minimum) => "min(a, b)",
        (DType::Bool, Add | Maximum) => "a | b",
        (DType::Bool, Mul | Minimum) => "a & b",
        (d, op) => panic!("{op:?} is not supported on the GPU for {d} tensors"),
    }
}

fn cmp_expr(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "u32(a == b)",
        CmpOp::Ne => "u32(a != b)",
        CmpOp::Lt => "u32(a < b)",
        CmpOp::Le => "u32(a <= b)",
        CmpOp::Gt => "u32(a > b)",
        CmpOp::Ge => "u32(a >= b)",
    }
}

/// The cast of `a` from `from` to `to`, with the CPU's semantics (truncation toward
/// zero into integers, wrapping into uint8, `!= 0` into bool).
#[track_caller]
fn cast_expr(from: DType, to: DType) -> &'static str {
    use DType::*;
    match (from, to) {
        (f, t) if f == t => "a",
        (I64 | U8 | Bool, F32) => "f32(a)",
        (F32 | U8 | Bool, I64) => "i64(a)",
        (F32, U8) => "u32(i64(a) & 255li)",
        (I64, U8) => "u32(a & 255li)",
        (Bool, U8) => "a",
        (F32, Bool) => "u32(a != 0.0)",
        (I64, Bool) => "u32(a != 0li)",
        (U8, Bool) => "u32(a != 0u)",
        (f, t) => panic!("to: casting {f} to {t} is not supported on the GPU"),
    }
}

impl GpuStorage {
    #[track_caller]
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> GpuStorage {
        let (expr, scalars) = unary_expr(op, self.dtype);
        let name = format!("{op:?}");
        let name = name.split('(').next().unwrap_or("unary");
        map_new(
            name,
            expr,
            &[(self, l)],
            &l.shape,
            self.dtype,
            scalar_slots(self.dtype, scalars),
        )
    }

    #[track_caller]
    pub fn binary(&self, l: &Layout, rhs: &GpuStorage, rl: &Layout, op: BinaryOp) -> GpuStorage {
        let expr = binary_expr(op, self.dtype);
        map_new(
            &format!("{op:?}"),
            expr,
            &[(self, l), (rhs, rl)],
            &l.shape,
            self.dtype,
            |p| p,
        )
    }

    pub fn cmp(&self, l: &Layout, rhs: &GpuStorage, rl: &Layout, op: CmpOp) -> GpuStorage {
        map_new(
            &format!("{op:?}"),
            cmp_expr(op),
            &[(self, l), (rhs, rl)],
            &l.shape,
            DType::Bool,
            |p| p,
        )
    }

    pub fn where_cond(
        c: &GpuStorage,
        cl: &Layout,
        a: &GpuStorage,
        al: &Layout,
        b: &GpuStorage,
        bl: &Layout,
    ) -> GpuStorage {
        assert_eq!(
            c.dtype,
            DType::Bool,
            "where: the condition must be a bool tensor"
        );
        map_new(
            "where",
            "select(c, b, a != 0u)",
            &[(c, cl), (a, al), (b, bl)],
            &cl.shape,
            a.dtype,
            |p| p,
        )
    }

    #[track_caller]
    pub fn to_dtype(&self, l: &Layout, dtype: DType) -> GpuStorage {
        map_new(
            &format!("cast_{}", dtype),
            cast_expr(self.dtype, dtype),
            &[(self, l)],
            &l.shape,
            dtype,
            |p| p,
        )
    }

    pub fn copy_strided(&self, l: &Layout) -> GpuStorage {
        map_new("copy", "a", &[(self, l)], &l.shape, self.dtype, |p| p)
    }

    pub fn assign(&mut self, dl: &Layout, src: &GpuStorage, sl: &Layout) {
        copy_into(self, dl, src, sl);
    }

    #[track_caller]
    pub fn binary_inplace(&mut self, dl: &Layout, rhs: &GpuStorage, rl: &Layout, op: BinaryOp) {
        let expr = binary_expr(op, self.dtype);
        map(
            &format!("{op:?}"),
            expr,
            &[(rhs, rl)],
            self,
            dl,
            true,
            |p| p,
        );
    }
}
