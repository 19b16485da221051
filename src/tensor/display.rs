//! Printing tensors the way PyTorch does (`torch._tensor_str`): nested brackets, one
//! format and width for all elements, elision of large tensors, wrapping at the line
//! width, and the `dtype=`, `requires_grad=True`, `grad_fn=<...>` suffixes.
use super::Tensor;
use super::formatter::{Formatter, Values};
use crate::DType;
use std::fmt;
use std::sync::RwLock;

/// Options for printing tensors, like the arguments of `torch.set_printoptions`.
///
/// `PrintOptions::default()` gives PyTorch's defaults.
///
/// ```
/// use firelight::PrintOptions;
/// let o = PrintOptions::default();
/// assert_eq!((o.precision, o.threshold, o.edgeitems, o.linewidth, o.sci_mode), (4, 1000, 3, 80, None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrintOptions {
    /// Digits after the decimal point for floats.
    pub precision: usize,
    /// Tensors with more elements than this are summarized (elided) when printed.
    pub threshold: usize,
    /// Items shown at the start and at the end of each dimension when summarized.
    pub edgeitems: usize,
    /// Characters per line, for wrapping long rows and suffixes.
    pub linewidth: usize,
    /// `Some(true)` forces scientific notation for floats, `Some(false)` forbids it,
    /// `None` lets each tensor choose, as PyTorch does.
    pub sci_mode: Option<bool>,
}

impl PrintOptions {
    const DEFAULT: PrintOptions = PrintOptions {
        precision: 4,
        threshold: 1000,
        edgeitems: 3,
        linewidth: 80,
        sci_mode: None,
    };
}

impl Default for PrintOptions {
    fn default() -> PrintOptions {
        PrintOptions::DEFAULT
    }
}

static PRINT_OPTS: RwLock<PrintOptions> = RwLock::new(PrintOptions::DEFAULT);

/// Sets how tensors print from now on, in every thread, like `torch.set_printoptions`.
///
/// ```
/// use firelight::{PrintOptions, Tensor, get_printoptions, set_printoptions};
/// set_printoptions(PrintOptions { precision: 2, ..PrintOptions::default() });
/// assert_eq!(Tensor::tensor([1.125, 2.5]).to_string(), "tensor([1.12, 2.50])");
/// assert_eq!(get_printoptions().precision, 2);
/// set_printoptions(PrintOptions::default());
/// assert_eq!(Tensor::tensor([1.125, 2.5]).to_string(), "tensor([1.1250, 2.5000])");
/// ```
pub fn set_printoptions(options: PrintOptions) {
    *PRINT_OPTS.write().unwrap_or_else(|e| e.into_inner()) = options;
}

/// The print options in force (see [`set_printoptions`]), like `torch.get_printoptions`.
///
/// ```
/// use firelight::{PrintOptions, get_printoptions};
/// assert_eq!(get_printoptions(), PrintOptions::default());
/// ```
pub fn get_printoptions() -> PrintOptions {
    *PRINT_OPTS.read().unwrap_or_else(|e| e.into_inner())
}

/// Prints like PyTorch's `repr`/`str`, e.g. `tensor([[1., 2.],\n        [3., 4.]])`.
///
/// ```
/// use firelight::Tensor;
/// let x = Tensor::tensor([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(x.to_string(), "tensor([[1., 2.],\n        [3., 4.]])");
/// let w = Tensor::from_vec(vec![0.5f64, -1.25], &[2]).requires_grad_(true);
/// assert_eq!(format!("{w}"), "tensor([ 0.5000, -1.2500], dtype=torch.float64, requires_grad=True)");
/// assert_eq!(format!("{:?}", &w * 2.0), "tensor([ 1.0000, -2.5000], dtype=torch.float64, grad_fn=<MulBackward0>)");
/// ```
impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&repr(self, &get_printoptions()))
    }
}

/// The same as [`Display`](fmt::Display), as PyTorch's `repr` and `str` are the same.
impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

const PREFIX: &str = "tensor(";

/// PyTorch's `_str_intern` for a plain strided tensor.
fn repr(t: &Tensor, opts: &PrintOptions) -> String {
    let indent = PREFIX.len();
    let mut suffixes = Vec::new();
    // As PyTorch: the device comes first, and only when it is not the CPU; the values are
    // read back from the device to be shown.
    let host = match t.device() {
        crate::Device::Cpu => t.clone(),
        dev => {
            suffixes.push(format!("device='{dev}'"));
            t.detach().to(&crate::Device::Cpu)
        }
    };
    let body = if t.numel() == 0 {
        if t.dim() != 1 {
            suffixes.push(format!("size={}", py_tuple(t.shape())));
        }
        // With no elements to show, the dtype is printed unless it is the default float.
        if t.dtype() != crate::get_default_dtype() {
            suffixes.push(format!("dtype={}", t.dtype()));
        }
        "[]".to_string()
    } else {
        if opts.edgeitems == 0 {
            suffixes.push(format!("size={}", py_tuple(t.shape())));
        }
        if !(t.dtype() == crate::get_default_dtype()
            || matches!(t.dtype(), DType::I64 | DType::Bool))
        {
            suffixes.push(format!("dtype={}", t.dtype()));
        }
        tensor_str(&host, indent, opts)
    };
    if let Some(name) = t.grad_fn() {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if t.requires_grad() {
        suffixes.push("requires_grad=True".to_string());
    }
    add_suffixes(format!("{PREFIX}{body}"), &suffixes, indent, opts.linewidth)
}

/// Python's `str(tuple(shape))`: `(0, 3)`, `(5,)`, `()`.
fn py_tuple(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let items: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
            format!("({})", items.join(", "))
        }
    }
}

/// Appends `, suffix` for each suffix, starting a new line (indented under the first
/// element) when the suffix would run past the line width, as PyTorch's `_add_suffixes`
/// (whose count of the last line's length is two more than its characters).
fn add_suffixes(mut s: String, suffixes: &[String], indent: usize, linewidth: usize) -> String {
    let mut last_line_len = match s.rfind('\n') {
        Some(p) => s.len() - p + 1,
        None => s.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > linewidth {
            s.push_str(",\n");
            s.push_str(&" ".repeat(indent));
            last_line_len = indent + suffix.len();
        } else {
            s.push_str(", ");
            last_line_len += suffix.len() + 2;
        }
        s.push_str(suffix);
    }
    s.push(')');
    s
}

/// One dimension as printed: how many of its items are shown, and whether `...` stands
/// between the first and the last `edgeitems` of them.
#[derive(Clone, Copy)]
struct Dim {
    shown: usize,
    elided: bool,
}

/// PyTorch's `_tensor_str` for a tensor with at least one element: the bracketed body,
/// `indent` being the column of its opening bracket.
fn tensor_str(t: &Tensor, indent: usize, opts: &PrintOptions) -> String {
    let summarize = t.numel() > opts.threshold;
    let e = opts.edgeitems;
    if summarize && e == 0 && t.dim() > 0 {
        return "[...]".to_string();
    }
    let dims: Vec<Dim> = t
        .shape()
        .iter()
        .map(|&n| {
            let elided = summarize && n > e.saturating_mul(2);
            let shown = if elided { 2 * e } else { n };
            Dim { shown, elided }
        })
        .collect();
    // Only the shown elements are read; the formatter sees exactly those, as PyTorch's
    // does (it is built from `get_summarized_data`).
    let index: Vec<Vec<usize>> = t
        .shape()
        .iter()
        .zip(&dims)
        .map(|(&n, d)| {
            if d.elided {
                (0..e).chain(n - e..n).collect()
            } else {
                (0..n).collect()
            }
        })
        .collect();
    let values = Values::gather(t, &index);
    let formatter = Formatter::new(&values, opts);
    let mut strs = formatter.format_all(&values);
    debug_assert_eq!(values.len(), strs.len());
    if t.dim() == 0 {
        return strs.swap_remove(0);
    }
    let layout = Block {
        width: formatter.width(),
        edgeitems: e,
        linewidth: opts.linewidth,
    };
    layout.write(&strs, &dims, indent)
}

/// Lays formatted elements out in nested brackets.
struct Block {
    width: usize,
    edgeitems: usize,
    linewidth: usize,
}

impl Block {
    /// The brackets for `strs`, the shown elements of a block whose dims are `dims`.
    fn write(&self, strs: &[String], dims: &[Dim], indent: usize) -> String {
        let (first, rest) = dims.split_first().expect("a block has at least one dim");
        if rest.is_empty() {
            return self.vector(strs, first.elided, indent);
        }
        let chunk = strs.len() / first.shown;
        let mut slices: Vec<String> = strs
            .chunks(chunk)
            .map(|c| self.write(c, rest, indent + 1))
            .collect();
        if first.elided {
            slices.insert(self.edgeitems, "...".to_string());
        }
        let sep = format!(",{}{}", "\n".repeat(dims.len() - 1), " ".repeat(indent + 1));
        format!("[{}]", slices.join(&sep))
    }

    /// One row, wrapped so that each line holds as many elements as fit the line width
    /// (counting the common width plus `, ` for each), continuation lines indented
    /// under the first element.
    fn vector(&self, strs: &[String], elided: bool, indent: usize) -> String {
        let mut items: Vec<&str> = strs.iter().map(String::as_str).collect();
        if elided {
            items.insert(self.edgeitems, " ...");
        }
        let room = self.linewidth as f64 - indent as f64;
        let per_line = ((room / (self.width + 2) as f64).floor() as i64).max(1) as usize;
        let lines: Vec<String> = items.chunks(per_line).map(|l| l.join(", ")).collect();
        format!(
            "[{}]",
            lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
        )
    }
}
