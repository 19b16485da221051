//! Elementwise kernels: unary maps, binary zips with broadcasting, comparisons, where,
//! strided assignment. Contiguous operands take a flat (and, when large, parallel) path.
use super::{CpuStorage, contiguous_slice, map_pair};
use crate::backend::ops::{BinaryOp, CmpOp, UnaryOp};
use crate::backend::threads::{PAR_THRESHOLD, collect_blocks, for_each_block_mut};
use crate::dtype::Float;
use crate::layout::{Layout, walk};

const CHUNK: usize = 1 << 13;

/// `f` over every element of a contiguous slice, in parallel when it is large.
fn map_slice<T, U>(x: &[T], f: impl Fn(T) -> U + Sync + Send) -> Vec<U>
where
    T: Copy + Send + Sync,
    U: Copy + Default + Send + Sync,
{
    if x.len() < PAR_THRESHOLD {
        return x.iter().map(|&v| f(v)).collect();
    }
    collect_blocks(x.len(), CHUNK, x.len(), PAR_THRESHOLD, |r| {
        x[r].iter().map(|&v| f(v))
    })
}

fn map<T, U>(x: &[T], l: &Layout, f: impl Fn(T) -> U + Sync + Send) -> Vec<U>
where
    T: Copy + Send + Sync,
    U: Copy + Default + Send + Sync,
{
    map_slice(&contiguous_slice(x, l), f)
}

fn is_broadcast_scalar(l: &Layout) -> bool {
    l.strides.iter().all(|&s| s == 0)
}

/// `f(a, b)` for two operands laid out over the same shape (broadcast strides allowed).
fn zip<T, U>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> U + Sync + Send,
) -> Vec<U>
where
    T: Copy + Send + Sync,
    U: Copy + Default + Send + Sync,
{
    match (la.contiguous_range(), lb.contiguous_range()) {
        (Some(ra), Some(rb)) => {
            let (a, b) = (&a[ra], &b[rb]);
            if a.len() < PAR_THRESHOLD {
                return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
            }
            return collect_blocks(a.len(), CHUNK, a.len(), PAR_THRESHOLD, |r| {
                a[r.clone()].iter().zip(&b[r]).map(|(&x, &y)| f(x, y))
            });
        }
        (Some(ra), None) if is_broadcast_scalar(lb) => {
            let y = b[lb.offset];
            return map_slice(&a[ra], |x| f(x, y));
        }
        (None, Some(rb)) if is_broadcast_scalar(la) => {
            let x = a[la.offset];
            return map_slice(&b[rb], |y| f(x, y));
        }
        _ => {}
    }
    let mut out = Vec::with_capacity(la.numel());
    walk(
        &la.shape,
        [&la.strides, &lb.strides],
        [la.offset, lb.offset],
        |[ba, bb], n, [sa, sb]| {
            if sa == 1 && sb == 1 {
                out.extend(
                    a[ba..ba + n]
                        .iter()
                        .zip(&b[bb..bb + n])
                        .map(|(&x, &y)| f(x, y)),
                );
            } else {
                out.extend((0..n).map(|k| f(a[ba + k * sa], b[bb + k * sb])));
            }
        },
    );
    out
}

fn unary_float<T: Float + Default>(x: &[T], l: &Layout, op: UnaryOp) -> Vec<T> {
    let zero = T::ZERO;
    let one = T::ONE;
    match op {
        UnaryOp::Neg => map(x, l, |v| -v),
        UnaryOp::Abs => map(x, l, |v| v.abs()),
        UnaryOp::Exp => map(x, l, |v| v.exp()),
        UnaryOp::Log => map(x, l, |v| v.ln()),
        UnaryOp::Sqrt => map(x, l, |v| v.sqrt()),
        UnaryOp::Relu => map(x, l, |v| if v <= zero { zero } else { v }),
        UnaryOp::Sigmoid => map(x, l, |v| one / (one + (-v).exp())),
        UnaryOp::Tanh => map(x, l, |v| v.tanh()),
        UnaryOp::Erf => map(x, l, |v| T::from_f64c(erf(v.to_f64c()))),
        UnaryOp::PowScalar(2.0) => map(x, l, |v| v * v),
        UnaryOp::PowScalar(0.5) => map(x, l, |v| v.sqrt()),
        UnaryOp::PowScalar(1.0) => map(x, l, |v| v),
        UnaryOp::PowScalar(e) => {
            let e = T::from_f64c(e);
            map(x, l, |v| v.powf(e))
        }
        UnaryOp::Clamp(lo, hi) => {
            let (lo, hi) = (T::from_f64c(lo), T::from_f64c(hi));
            map(x, l, |v| {
                if v < lo {
                    lo
                } else if v > hi {
                    hi
                } else {
                    v
                }
            })
        }
        UnaryOp::Sign => map(x, l, |v| {
            if v > zero {
                one
            } else if v < zero {
                -one
            } else {
                zero
            }
        }),
    }
}

/// The error function, accurate to f64 rounding: a positive-term series
/// `erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1))` below |x| = 3 (no
/// cancellation), and erfc's continued fraction above.
pub(crate) fn erf(x: f64) -> f64 {
    let a = x.abs();
    if x.is_nan() {
        return x;
    }
    let r = if a < 3.0 {
        let (mut term, mut sum, mut k) = (a, a, 0.0);
        loop {
            k += 1.0;
            term *= 2.0 * a * a / (2.0 * k + 1.0);
            sum += term;
            // `<=` so that erf(0) (term = sum = 0) ends; the series converges well before 200.
            if term <= sum * 1e-17 || k > 200.0 {
                break;
            }
        }
        std::f64::consts::FRAC_2_SQRT_PI * (-a * a).exp() * sum
    } else if a < 6.5 {
        // erfc(a) = e^(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
        let mut f = a;
        for k in (1..=60).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
    } else {
        1.0
    };
    if x < 0.0 { -r } else { r }
}

#[track_caller]
fn unary_i64(x: &[i64], l: &Layout, op: UnaryOp) -> Vec<i64> {
    match op {
        UnaryOp::Neg => map(x, l, |v: i64| v.wrapping_neg()),
        UnaryOp::Abs => map(x, l, |v: i64| v.wrapping_abs()),
        UnaryOp::Relu => map(x, l, |v: i64| v.max(0)),
        UnaryOp::Sign => map(x, l, |v: i64| v.signum()),
        UnaryOp::PowScalar(e) if e >= 0.0 && e.fract() == 0.0 => {
            map(x, l, |v: i64| v.wrapping_pow(e as u32))
        }
        UnaryOp::Clamp(lo, hi) => {
            let lo = if lo.is_finite() { lo as i64 } else { i64::MIN };
            let hi = if hi.is_finite() { hi as i64 } else { i64::MAX };
            map(x, l, |v: i64| v.clamp(lo, hi))
        }
        op => panic!("{op:?} is not defined for integer tensors"),
    }
}

#[track_caller]
fn unary_u8(x: &[u8], l: &Layout, op: UnaryOp) -> Vec<u8> {
    match op {
        UnaryOp::Neg => map(x, l, |v: u8| v.wrapping_neg()),
        UnaryOp::Abs | UnaryOp::Relu => map(x, l, |v| v),
        UnaryOp::Sign => map(x, l, |v: u8| (v > 0) as u8),
        UnaryOp::Clamp(lo, hi) => {
            let lo = lo.clamp(0.0, 255.0) as u8;
            let hi = hi.clamp(0.0, 255.0) as u8;
            map(x, l, |v: u8| v.clamp(lo, hi))
        }
        op => panic!("{op:?} is not defined for uint8 tensors"),
    }
}

#[track_caller]
pub(super) fn unary(s: &CpuStorage, l: &Layout, op: UnaryOp) -> CpuStorage {
    match s {
        CpuStorage::F32(v) => CpuStorage::F32(unary_float(v, l, op)),
        CpuStorage::F64(v) => CpuStorage::F64(unary_float(v, l, op)),
        CpuStorage::I64(v) => CpuStorage::I64(unary_i64(v, l, op)),
        CpuStorage::U8(v) => CpuStorage::U8(unary_u8(v, l, op)),
        CpuStorage::Bool(_) => panic!("{op:?} is not defined for bool tensors"),
    }
}

fn nan_max<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a > b { a } else { b }
}

fn nan_min<T: Float>(a: T, b: T) -> T {
    if a.is_nan() || a < b { a } else { b }
}

fn binary_float<T: Float + Default>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    op: BinaryOp,
) -> Vec<T> {
    match op {
        BinaryOp::Add => zip(a, la, b, lb, |x, y| x + y),
        BinaryOp::Sub => zip(a, la, b, lb, |x, y| x - y),
        BinaryOp::Mul => zip(a, la, b, lb, |x, y| x * y),
        BinaryOp::Div => zip(a, la, b, lb, |x, y| x / y),
        BinaryOp::Pow => zip(a, la, b, lb, |x, y| x.powf(y)),
        BinaryOp::Maximum => zip(a, la, b, lb, nan_max),
        BinaryOp::Minimum => zip(a, la, b, lb, nan_min),
    }
}

macro_rules! binary_int {
    ($name:ident, $t:ty) => {
        fn $name(a: &[$t], la: &Layout, b: &[$t], lb: &Layout, op: BinaryOp) -> Vec<$t> {
            match op {
                BinaryOp::Add => zip(a, la, b, lb, |x: $t, y: $t| x.wrapping_add(y)),
                BinaryOp::Sub => zip(a, la, b, lb, |x: $t, y: $t| x.wrapping_sub(y)),
                BinaryOp::Mul => zip(a, la, b, lb, |x: $t, y: $t| x.wrapping_mul(y)),
                BinaryOp::Div => zip(a, la, b, lb, |x: $t, y: $t| {
                    assert!(y != 0, "integer division by zero");
                    x.wrapping_div(y)
                }),
                BinaryOp::Pow => zip(a, la, b, lb, |x: $t, y: $t| x.wrapping_pow(y as u32)),
                BinaryOp::Maximum => zip(a, la, b, lb, |x: $t, y: $t| x.max(y)),
                BinaryOp::Minimum => zip(a, la, b, lb, |x: $t, y: $t| x.min(y)),
            }
        }
    };
}
binary_int!(binary_i64, i64);
binary_int!(binary_u8, u8);

#[track_caller]
fn binary_bool(a: &[bool], la: &Layout, b: &[bool], lb: &Layout, op: BinaryOp) -> Vec<bool> {
    match op {
        BinaryOp::Add | BinaryOp::Maximum => zip(a, la, b, lb, |x, y| x | y),
        BinaryOp::Mul | BinaryOp::Minimum => zip(a, la, b, lb, |x, y| x & y),
        op => panic!("{op:?} is not supported for two bool tensors"),
    }
}

#[track_caller]
pub(super) fn binary(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: BinaryOp,
) -> CpuStorage {
    match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => CpuStorage::F32(binary_float(x, la, y, lb, op)),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => CpuStorage::F64(binary_float(x, la, y, lb, op)),
        (CpuStorage::I64(x), CpuStorage::I64(y)) => CpuStorage::I64(binary_i64(x, la, y, lb, op)),
        (CpuStorage::U8(x), CpuStorage::U8(y)) => CpuStorage::U8(binary_u8(x, la, y, lb, op)),
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => {
            CpuStorage::Bool(binary_bool(x, la, y, lb, op))
        }
        (a, b) => panic!(
            "internal dtype mismatch: {:?} vs {:?}",
            a.dtype(),
            b.dtype()
        ),
    }
}

fn cmp_typed<T: Copy + PartialOrd + Send + Sync>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    op: CmpOp,
) -> Vec<bool> {
    match op {
        CmpOp::Eq => zip(a, la, b, lb, |x, y| x == y),
        CmpOp::Ne => zip(a, la, b, lb, |x, y| x != y),
        CmpOp::Lt => zip(a, la, b, lb, |x, y| x < y),
        CmpOp::Le => zip(a, la, b, lb, |x, y| x <= y),
        CmpOp::Gt => zip(a, la, b, lb, |x, y| x > y),
        CmpOp::Ge => zip(a, la, b, lb, |x, y| x >= y),
    }
}

#[track_caller]
pub(super) fn cmp(
    a: &CpuStorage,
    la: &Layout,
    b: &CpuStorage,
    lb: &Layout,
    op: CmpOp,
) -> CpuStorage {
    CpuStorage::Bool(match (a, b) {
        (CpuStorage::F32(x), CpuStorage::F32(y)) => cmp_typed(x, la, y, lb, op),
        (CpuStorage::F64(x), CpuStorage::F64(y)) => cmp_typed(x, la, y, lb, op),
        (CpuStorage::I64(x), CpuStorage::I64(y)) => cmp_typed(x, la, y, lb, op),
        (CpuStorage::U8(x), CpuStorage::U8(y)) => cmp_typed(x, la, y, lb, op),
        (CpuStorage::Bool(x), CpuStorage::Bool(y)) => cmp_typed(x, la, y, lb, op),
        (a, b) => panic!(
            "internal dtype mismatch: {:?} vs {:?}",
            a.dtype(),
            b.dtype()
        ),
    })
}

#[track_caller]
pub(super) fn where_cond(
    c: &CpuStorage,
    cl: &Layout,
    a: &CpuStorage,
    al: &Layout,
    b: &CpuStorage,
    bl: &Layout,
) -> CpuStorage {
    let CpuStorage::Bool(c) = c else {
        panic!("where: the condition must be a bool tensor")
    };
    fn pick<T: Copy>(
        c: &[bool],
        cl: &Layout,
        a: &[T],
        al: &Layout,
        b: &[T],
        bl: &Layout,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(cl.numel());
        // Contiguous operands (the common case in backward rules) zip without index math, and
        // pick by indexing a pair instead of branching: masks are random, branches mispredict.
        if let (Some(rc), Some(ra), Some(rb)) = (
            cl.contiguous_range(),
            al.contiguous_range(),
            bl.contiguous_range(),
        ) {
            let (c, a, b) = (&c[rc], &a[ra], &b[rb]);
            out.extend(
                c.iter()
                    .zip(a.iter().zip(b))
                    .map(|(&c, (&a, &b))| [b, a][c as usize]),
            );
            return out;
        }
        if let (Some(rc), Some(ra), true) = (
            cl.contiguous_range(),
            al.contiguous_range(),
            is_broadcast_scalar(bl),
        ) {
            let (c, a, b) = (&c[rc], &a[ra], b[bl.offset]);
            out.extend(c.iter().zip(a).map(|(&c, &a)| [b, a][c as usize]));
            return out;
        }
        walk(
            &cl.shape,
            [&cl.strides, &al.strides, &bl.strides],
            [cl.offset, al.offset, bl.offset],
            |[bc, ba, bb], n, [sc, sa, sb]| {
                out.extend((0..n).map(|k| {
                    if c[bc + k * sc] {
                        a[ba + k * sa]
                    } else {
                        b[bb + k * sb]
                    }
                }));
            },
        );
        out
    }
    map_pair!(a, b, x, y => pick(c, cl, x, al, y, bl))
}

#[track_caller]
pub(super) fn assign(dst: &mut CpuStorage, dl: &Layout, src: &CpuStorage, sl: &Layout) {
    fn copy<T: Copy>(d: &mut [T], dl: &Layout, s: &[T], sl: &Layout) {
        if let (Some(rd), Some(rs)) = (dl.contiguous_range(), sl.contiguous_range()) {
            d[rd].copy_from_slice(&s[rs]);
            return;
        }
        walk(
            &dl.shape,
            [&dl.strides, &sl.strides],
            [dl.offset, sl.offset],
            |[bd, bs], n, [sd, ss]| {
                for k in 0..n {
                    d[bd + k * sd] = s[bs + k * ss];
                }
            },
        );
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => copy(d, dl, s, sl),
        (CpuStorage::F64(d), CpuStorage::F64(s)) => copy(d, dl, s, sl),
        (CpuStorage::I64(d), CpuStorage::I64(s)) => copy(d, dl, s, sl),
        (CpuStorage::U8(d), CpuStorage::U8(s)) => copy(d, dl, s, sl),
        (CpuStorage::Bool(d), CpuStorage::Bool(s)) => copy(d, dl, s, sl),
        (d, s) => panic!(
            "internal dtype mismatch: {:?} vs {:?}",
            d.dtype(),
            s.dtype()
        ),
    }
}

fn zip_inplace<T: Copy + Send + Sync>(
    d: &mut [T],
    dl: &Layout,
    s: &[T],
    sl: &Layout,
    f: impl Fn(T, T) -> T + Sync + Send,
) {
    if let Some(rd) = dl.contiguous_range() {
        let d = &mut d[rd];
        if let Some(rs) = sl.contiguous_range() {
            let s = &s[rs];
            let work = d.len();
            for_each_block_mut(d, CHUNK, work, PAR_THRESHOLD, |i, d| {
                for (x, &y) in d.iter_mut().zip(&s[i * CHUNK..]) {
                    *x = f(*x, y);
                }
            });
            return;
        }
        if is_broadcast_scalar(sl) {
            let y = s[sl.offset];
            for x in d.iter_mut() {
                *x = f(*x, y);
            }
            return;
        }
    }
    walk(
        &dl.shape,
        [&dl.strides, &sl.strides],
        [dl.offset, sl.offset],
        |[bd, bs], n, [sd, ss]| {
            for k in 0..n {
                let x = &mut d[bd + k * sd];
                *x = f(*x, s[bs + k * ss]);
            }
        },
    );
}

#[track_caller]
pub(super) fn binary_inplace(
    dst: &mut CpuStorage,
    dl: &Layout,
    src: &CpuStorage,
    sl: &Layout,
    op: BinaryOp,
) {
    fn float<T: Float>(d: &mut [T], dl: &Layout, s: &[T], sl: &Layout, op: BinaryOp) {
        match op {
            BinaryOp::Add => zip_inplace(d, dl, s, sl, |x, y| x + y),
            BinaryOp::Sub => zip_inplace(d, dl, s, sl, |x, y| x - y),
            BinaryOp::Mul => zip_inplace(d, dl, s, sl, |x, y| x * y),
            BinaryOp::Div => zip_inplace(d, dl, s, sl, |x, y| x / y),
            BinaryOp::Pow => zip_inplace(d, dl, s, sl, |x, y| x.powf(y)),
            BinaryOp::Maximum => zip_inplace(d, dl, s, sl, nan_max),
            BinaryOp::Minimum => zip_inplace(d, dl, s, sl, nan_min),
        }
    }
    #[track_caller]
    fn int(d: &mut [i64], dl: &Layout, s: &[i64], sl: &Layout, op: BinaryOp) {
        match op {
            BinaryOp::Add => zip_inplace(d, dl, s, sl, |x, y| x.wrapping_add(y)),
            BinaryOp::Sub => zip_inplace(d, dl, s, sl, |x, y| x.wrapping_sub(y)),
            BinaryOp::Mul => zip_inplace(d, dl, s, sl, |x, y| x.wrapping_mul(y)),
            BinaryOp::Maximum => zip_inplace(d, dl, s, sl, |x, y| x.max(y)),
            BinaryOp::Minimum => zip_inplace(d, dl, s, sl, |x, y| x.min(y)),
            op => panic!("in-place {op:?} is not supported for int64 tensors"),
        }
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => float(d, dl, s, sl, op),
        (CpuStorage::F64(d), CpuStorage::F64(s)) => float(d, dl, s, sl, op),
        (CpuStorage::I64(d), CpuStorage::I64(s)) => int(d, dl, s, sl, op),
        (d, s) => panic!(
            "in-place {op:?} is not supported for {:?} and {:?}",
            d.dtype(),
            s.dtype()
        ),
    }
}
