//! The elements of a printed tensor: reading only the shown ones from storage, and
//! PyTorch's `_Formatter`, which picks one style (integer-valued, fixed point or
//! scientific) and one width for all of them, with the Python float formatting
//! (`{:.4f}`, `{:.4e}`) that it relies on.
use super::Tensor;
use super::display::PrintOptions;
use crate::DType;
use crate::dtype::Element;

/// The shown elements of a tensor, in row-major order, widened to one Rust type per kind.
pub(super) enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
}

impl Values {
    pub(super) fn len(&self) -> usize {
        match self {
            Values::Float(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    /// The elements at the cartesian product of `index` (one list of indices per dim), in
    /// row-major order, read straight from storage.
    pub(super) fn gather(t: &Tensor, index: &[Vec<usize>]) -> Values {
        match t.dtype() {
            DType::F32 => Values::Float(
                gather_as::<f32>(t, index)
                    .into_iter()
                    .map(f64::from)
                    .collect(),
            ),
            DType::F64 => Values::Float(gather_as::<f64>(t, index)),
            DType::I64 => Values::Int(gather_as::<i64>(t, index)),
            DType::U8 => Values::Int(
                gather_as::<u8>(t, index)
                    .into_iter()
                    .map(i64::from)
                    .collect(),
            ),
            DType::Bool => Values::Bool(gather_as::<bool>(t, index)),
        }
    }
}

fn gather_as<T: Element>(t: &Tensor, index: &[Vec<usize>]) -> Vec<T> {
    let storage = t.storage();
    let data = storage
        .cpu()
        .as_slice::<T>()
        .expect("storage holds the tensor's dtype");
    let l = t.layout();
    let Some((inner, outer)) = index.split_last() else {
        return vec![data[l.offset]];
    };
    let inner_stride = l.strides[outer.len()];
    let inner_offsets: Vec<usize> = inner.iter().map(|&i| i * inner_stride).collect();
    let mut out = Vec::with_capacity(outer.iter().map(Vec::len).product::<usize>() * inner.len());
    let mut pos = vec![0usize; outer.len()];
    loop {
        let base = l.offset
            + pos
                .iter()
                .enumerate()
                .map(|(d, &p)| outer[d][p] * l.strides[d])
                .sum::<usize>();
        out.extend(inner_offsets.iter().map(|&o| data[base + o]));
        // Advance the outer position like an odometer.
        let mut d = outer.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            pos[d] += 1;
            if pos[d] < outer[d].len() {
                break;
            }
            pos[d] = 0;
        }
    }
}

/// How the elements of one tensor are written, decided from all the shown elements.
pub(super) struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
    precision: usize,
}

impl Formatter {
    /// Chooses the style and the common width for `values`, as PyTorch's `_Formatter`:
    /// floats whose non-zero finite values are all integers print as `1.`; scientific
    /// notation is used when the largest/smallest absolute non-zero finite values differ
    /// by more than 1000x, the largest exceeds 1e8 or the smallest is below 1e-4 (unless
    /// `sci_mode` forces a choice). The width only counts non-zero finite values.
    pub(super) fn new(values: &Values, opts: &PrintOptions) -> Formatter {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
            precision: opts.precision,
        };
        let vals = match values {
            Values::Int(v) => {
                f.max_width = v.iter().map(|x| x.to_string().len()).fold(1, usize::max);
                return f;
            }
            Values::Bool(v) => {
                let w = if v.contains(&false) { 5 } else { 4 };
                f.max_width = if v.is_empty() { 1 } else { w };
                return f;
            }
            Values::Float(v) => v,
        };
        let nonzero_finite = || vals.iter().copied().filter(|x| x.is_finite() && *x != 0.0);
        let Some(first) = nonzero_finite().next() else {
            // Nothing but zeros, nan and inf: integer style, width 1.
            return f;
        };
        let (mut min, mut max) = (first.abs(), first.abs());
        for x in nonzero_finite() {
            min = min.min(x.abs());
            max = max.max(x.abs());
            if f.int_mode && x != x.ceil() {
                f.int_mode = false;
            }
        }
        f.sci_mode = opts
            .sci_mode
            .unwrap_or(max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4);
        let p = f.precision;
        f.max_width = nonzero_finite()
            .map(|x| {
                if f.sci_mode {
                    py_sci(x, p).len()
                } else if f.int_mode {
                    py_fixed(x, 0).len() + 1
                } else {
                    py_fixed(x, p).len()
                }
            })
            .fold(f.max_width, usize::max);
        f
    }

    /// The common width of the elements (an element may be longer, as `nan` can be).
    pub(super) fn width(&self) -> usize {
        self.max_width
    }

    /// Every value formatted and right-aligned to the common width.
    pub(super) fn format_all(&self, values: &Values) -> Vec<String> {
        match values {
            Values::Float(v) => v.iter().map(|&x| self.pad(self.float_str(x))).collect(),
            Values::Int(v) => v.iter().map(|x| self.pad(x.to_string())).collect(),
            Values::Bool(v) => v
                .iter()
                .map(|&b| self.pad(if b { "True" } else { "False" }.to_string()))
                .collect(),
        }
    }

    fn float_str(&self, x: f64) -> String {
        if self.sci_mode {
            py_sci(x, self.precision)
        } else if self.int_mode {
            let mut s = py_fixed(x, 0);
            if x.is_finite() {
                s.push('.');
            }
            s
        } else {
            py_fixed(x, self.precision)
        }
    }

    fn pad(&self, s: String) -> String {
        if s.len() >= self.max_width {
            s
        } else {
            format!("{}{s}", " ".repeat(self.max_width - s.len()))
        }
    }
}

/// Python's `f"{x:.{p}f}"`: fixed point, round half to even on the exact binary value,
/// and `nan`, `inf`, `-inf` for non-finite values.
pub(super) fn py_fixed(x: f64, p: usize) -> String {
    match non_finite(x) {
        Some(s) => s.to_string(),
        None => format!("{x:.p$}"),
    }
}

/// Python's `f"{x:.{p}e}"`: like Rust's `{:.pe}` but with a signed exponent of at least
/// two digits (`1.0000e-05`, `1.2346e+08`).
pub(super) fn py_sci(x: f64, p: usize) -> String {
    if let Some(s) = non_finite(x) {
        return s.to_string();
    }
    let s = format!("{x:.p$e}");
    let (mantissa, exp) = s.split_once('e').expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

fn non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x == f64::INFINITY {
        Some("inf")
    } else if x == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_formatting() {
        assert_eq!(py_fixed(0.03125, 4), "0.0312");
        assert_eq!(py_fixed(-0.0, 4), "-0.0000");
        assert_eq!(py_fixed(2.5, 0), "2");
        assert_eq!(py_fixed(f64::NAN, 4), "nan");
        assert_eq!(py_sci(1e-5, 4), "1.0000e-05");
        assert_eq!(py_sci(123456789.0, 4), "1.2346e+08");
        assert_eq!(py_sci(-1e300, 2), "-1.00e+300");
        assert_eq!(py_sci(0.0, 4), "0.0000e+00");
        assert_eq!(py_sci(f64::NEG_INFINITY, 4), "-inf");
    }

    #[test]
    fn styles() {
        let o = PrintOptions::default();
        let f = |v: Vec<f64>| {
            let v = Values::Float(v);
            Formatter::new(&v, &o).format_all(&v)
        };
        assert_eq!(f(vec![1.0, -20.0]), ["  1.", "-20."]);
        assert_eq!(f(vec![0.5, 10.0]), [" 0.5000", "10.0000"]);
        assert_eq!(f(vec![1e-5, 1.0]), ["1.0000e-05", "1.0000e+00"]);
        assert_eq!(f(vec![1.0, f64::NAN]), ["1.", "nan"]);
        assert_eq!(f(vec![0.0, 0.0]), ["0.", "0."]);
    }
}
