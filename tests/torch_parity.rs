//! Parity with PyTorch: replays every case of `tests/fixtures/torch_ops.json` (written by
//! `tools/make_torch_fixtures.py`) in firelight and compares outputs (shape, dtype, values)
//! and the gradients of the inputs after backpropagating the recorded upstream gradient.
//!
//! Only the committed JSON is read: running this needs neither Python nor torch.
use firelight::{DType, Operand, Tensor};
use serde_json::Value;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// float32 results may differ from PyTorch's in summation order and libm, not more.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-6;

const FIXTURES: &str = include_str!("fixtures/torch_ops.json");

/// A JSON number, or one of the strings the generator writes for non-finite values.
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => match s.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            other => panic!("not a number: {other:?}"),
        },
        other => panic!("not a number: {other}"),
    }
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn dtype(name: &str) -> DType {
    match name {
        "float32" => DType::F32,
        "float64" => DType::F64,
        "int64" => DType::I64,
        "bool" => DType::Bool,
        other => panic!("unknown dtype {other}"),
    }
}

/// Builds the tensor a fixture describes, with its exact values.
fn tensor(v: &Value) -> Tensor {
    let shape = usizes(&v["shape"]);
    let vals = v["values"].as_array().unwrap();
    match dtype(v["dtype"].as_str().unwrap()) {
        DType::F32 => Tensor::from_vec(vals.iter().map(|x| num(x) as f32).collect(), &shape),
        DType::F64 => Tensor::from_vec(vals.iter().map(num).collect(), &shape),
        DType::I64 => Tensor::from_vec(vals.iter().map(|x| x.as_i64().unwrap()).collect(), &shape),
        DType::Bool => {
            Tensor::from_vec(vals.iter().map(|x| x.as_bool().unwrap()).collect(), &shape)
        }
        DType::U8 => unreachable!(),
    }
}

/// The params of one case, read by name.
struct Params<'a>(&'a Value);

impl Params<'_> {
    fn get(&self, k: &str) -> &Value {
        self.0
            .get(k)
            .unwrap_or_else(|| panic!("missing param {k:?} in {}", self.0))
    }
    fn i(&self, k: &str) -> i64 {
        self.get(k).as_i64().unwrap()
    }
    fn u(&self, k: &str) -> usize {
        self.get(k).as_u64().unwrap() as usize
    }
    fn f(&self, k: &str) -> f64 {
        num(self.get(k))
    }
    fn b(&self, k: &str) -> bool {
        self.get(k).as_bool().unwrap()
    }
    fn dims(&self, k: &str) -> Vec<i64> {
        i64s(self.get(k))
    }
    fn opt_u(&self, k: &str) -> Option<usize> {
        self.0.get(k).and_then(|v| v.as_u64()).map(|v| v as usize)
    }
    /// The Python number of a binary op with a scalar side, and whether it came first.
    fn scalar(&self) -> Option<(Scalar, bool)> {
        let s = self.0.get("scalar")?;
        let first = self
            .0
            .get("scalar_first")
            .is_some_and(|f| f.as_bool().unwrap());
        Some(match s.as_i64() {
            Some(i) => (Scalar::Int(i), first),
            None => (Scalar::Float(num(s)), first),
        })
    }
}

/// A Python int or float, which PyTorch types differently.
enum Scalar {
    Int(i64),
    Float(f64),
}

/// `a[0] op a[1]`, `a[0] op number` or `number op a[0]`; the number goes through
/// firelight's `Operand` exactly as `x.add(2.5)` or `2.5 - &x` would send it.
macro_rules! binary {
    ($a:expr, $p:expr, $method:ident) => {{
        let x = &$a[0];
        match $p.scalar() {
            None => x.$method(&$a[1]),
            Some((Scalar::Int(i), false)) => x.$method(i),
            Some((Scalar::Float(f), false)) => x.$method(f),
            Some((Scalar::Int(i), true)) => i.to_tensor(x).$method(x),
            Some((Scalar::Float(f), true)) => f.to_tensor(x).$method(x),
        }
    }};
}

/// Runs the op a case names on its (possibly transposed) inputs.
fn run(op: &str, a: &[Tensor], p: &Params) -> Vec<Tensor> {
    let x = &a[0];
    let one = |t: Tensor| vec![t];
    let pair = |(v, i): (Tensor, Tensor)| vec![v, i];
    match op {
        "add" => one(binary!(a, p, add)),
        "sub" => one(binary!(a, p, sub)),
        "mul" => one(binary!(a, p, mul)),
        "div" => one(binary!(a, p, div)),
        "eq" => one(binary!(a, p, eq)),
        "ne" => one(binary!(a, p, ne)),
        "lt" => one(binary!(a, p, lt)),
        "le" => one(binary!(a, p, le)),
        "gt" => one(binary!(a, p, gt)),
        "ge" => one(binary!(a, p, ge)),
        "neg" => one(-x),
        "exp" => one(x.exp()),
        "log" => one(x.log()),
        "sqrt" => one(x.sqrt()),
        "abs" => one(x.abs()),
        "relu" => one(x.relu()),
        "sigmoid" => one(x.sigmoid()),
        "tanh" => one(x.tanh()),
        "pow" => one(match p.0.get("exponent") {
            Some(e) => match e.as_i64() {
                Some(i) => x.pow(i),
                None => x.pow(num(e)),
            },
            None => x.pow(&a[1]),
        }),
        "maximum" => one(x.maximum(&a[1])),
        "minimum" => one(x.minimum(&a[1])),
        "clamp" => one(x.clamp(p.f("min"), p.f("max"))),
        "clamp_min" => one(x.clamp_min(p.f("min"))),
        "clamp_max" => one(x.clamp_max(p.f("max"))),
        "where" => one(Tensor::where_(&a[0], &a[1], &a[2])),
        "masked_fill" => one(x.masked_fill(&a[1], p.f("value"))),
        "sum" => one(x.sum(..)),
        "sum_dim" if p.b("keepdim") => one(x.sum_keepdim(p.dims("dims"))),
        "sum_dim" => one(x.sum(p.dims("dims"))),
        "mean" => one(x.mean(..)),
        "mean_dim" if p.b("keepdim") => one(x.mean_keepdim(p.dims("dims"))),
        "mean_dim" => one(x.mean(p.dims("dims"))),
        "max" => one(x.max(..)),
        "min" => one(x.min(..)),
        "max_dim" if p.b("keepdim") => pair(x.max_keepdim(p.i("dim"))),
        "max_dim" => pair(x.max(p.i("dim"))),
        "min_dim" if p.b("keepdim") => pair(x.min_keepdim(p.i("dim"))),
        "min_dim" => pair(x.min(p.i("dim"))),
        "argmax" => one(x.argmax(..)),
        "argmin" => one(x.argmin(..)),
        "argmax_dim" if p.b("keepdim") => one(x.argmax_keepdim(p.i("dim"))),
        "argmax_dim" => one(x.argmax(p.i("dim"))),
        "argmin_dim" if p.b("keepdim") => one(x.argmin_keepdim(p.i("dim"))),
        "argmin_dim" => one(x.argmin(p.i("dim"))),
        "logsumexp" if p.b("keepdim") => one(x.logsumexp_keepdim(p.dims("dims"))),
        "logsumexp" => one(x.logsumexp(p.dims("dims"))),
        "matmul" => one(x.matmul(&a[1])),
        "mm" => one(x.mm(&a[1])),
        "gather" => one(x.gather(p.i("dim"), &a[1])),
        "index_select" => one(x.index_select(p.i("dim"), &a[1])),
        "index" => one(x.index(&a[1..].iter().collect::<Vec<_>>())),
        "cat" => one(Tensor::cat(&a.iter().collect::<Vec<_>>(), p.i("dim"))),
        "stack" => one(Tensor::stack(&a.iter().collect::<Vec<_>>(), p.i("dim"))),
        "view" => one(x.view(&p.dims("shape"))),
        "reshape" => one(x.reshape(&p.dims("shape"))),
        "transpose" => one(x.transpose(p.i("dim0"), p.i("dim1"))),
        "permute" => one(x.permute(&p.dims("dims"))),
        "t" => one(x.t()),
        "narrow" => one(x.narrow(p.i("dim"), p.u("start"), p.u("length"))),
        "slice" => {
            let start = p.opt_u("start").map_or(Bound::Unbounded, Bound::Included);
            let end = p.opt_u("end").map_or(Bound::Unbounded, Bound::Excluded);
            one(x.slice(p.i("dim"), (start, end)))
        }
        "select" => one(x.select(p.i("dim"), p.i("index"))),
        "unsqueeze" => one(x.unsqueeze(p.i("dim"))),
        "squeeze" => one(x.squeeze(..)),
        "squeeze_dim" => one(x.squeeze(p.i("dim"))),
        "expand" => one(x.expand(&p.dims("sizes"))),
        "expand_as" => one(x.expand_as(&a[1])),
        "flatten" => one(x.flatten(p.i("start_dim"), p.i("end_dim"))),
        "contiguous" => one(x.contiguous()),
        "clone" => one(x.deep_clone()),
        "to_dtype" => one(p
            .get("dtypes")
            .as_array()
            .unwrap()
            .iter()
            .fold(x.clone(), |t, d| t.to_dtype(dtype(d.as_str().unwrap())))),
        "log_softmax_nll" => {
            // The tutorial's model of a loss, written as it is there.
            let lsm = x - &x.exp().sum(-1).log().unsqueeze(-1);
            let n = x.shape()[0] as i64;
            one(-lsm.index(&[&Tensor::arange(n), &a[1]]).mean(..))
        }
        other => panic!("no dispatch for op {other:?}"),
    }
}

fn close(got: f64, want: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= ATOL + RTOL * want.abs()
}

/// Compares a firelight tensor with a recorded one; `Err` says how they differ.
fn compare(got: &Tensor, want: &Value) -> Result<(), String> {
    let shape = usizes(&want["shape"]);
    if **got.shape() != *shape {
        return Err(format!("shape {:?}, torch {:?}", got.shape(), shape));
    }
    let want_dtype = want["dtype"].as_str().unwrap();
    if got.dtype().torch_name() != want_dtype {
        return Err(format!(
            "dtype {}, torch {want_dtype}",
            got.dtype().torch_name()
        ));
    }
    let vals = want["values"].as_array().unwrap();
    let bad: Vec<usize> = match got.dtype() {
        DType::I64 => {
            let g = got.to_vec::<i64>();
            (0..vals.len())
                .filter(|&i| Some(g[i]) != vals[i].as_i64())
                .collect()
        }
        DType::Bool => {
            let g = got.to_vec::<bool>();
            (0..vals.len())
                .filter(|&i| Some(g[i]) != vals[i].as_bool())
                .collect()
        }
        _ => {
            let g = got.to_vec::<f64>();
            (0..vals.len())
                .filter(|&i| !close(g[i], num(&vals[i])))
                .collect()
        }
    };
    match bad.first() {
        None => Ok(()),
        Some(&i) => Err(format!(
            "{} of {} values differ; first at {i}: {} vs torch {}\n      got   {:?}\n      torch {}",
            bad.len(),
            vals.len(),
            got.to_vec::<f64>()[i],
            vals[i],
            got.to_vec::<f64>(),
            want["values"]
        )),
    }
}

/// Replays one case; every difference is returned as a line.
fn replay(case: &Value) -> Vec<String> {
    let p = Params(&case["params"]);
    let specs = case["inputs"].as_array().unwrap();
    let leaves: Vec<Tensor> = specs
        .iter()
        .map(|s| {
            let t = tensor(s);
            if s["requires_grad"].as_bool().unwrap() {
                t.requires_grad_(true)
            } else {
                t
            }
        })
        .collect();
    let args: Vec<Tensor> = leaves
        .iter()
        .zip(specs)
        .map(|(l, s)| match s.get("transpose") {
            Some(d) => {
                let d = i64s(d);
                l.transpose(d[0], d[1])
            }
            None => l.clone(),
        })
        .collect();
    let outs = run(case["op"].as_str().unwrap(), &args, &p);
    let mut errs = vec![];
    let want_outs = case["outputs"].as_array().unwrap();
    if outs.len() != want_outs.len() {
        errs.push(format!("{} outputs, torch {}", outs.len(), want_outs.len()));
    }
    for (i, (o, w)) in outs.iter().zip(want_outs).enumerate() {
        if let Err(e) = compare(o, w) {
            errs.push(format!("output {i}: {e}"));
        }
    }
    let Some(grad_output) = case.get("grad_output") else {
        return errs;
    };
    outs[0].backward_with(&tensor(grad_output), false);
    for (i, (leaf, want)) in leaves
        .iter()
        .zip(case["grads"].as_array().unwrap())
        .enumerate()
    {
        match (leaf.grad(), want) {
            (_, Value::Null) if !specs[i]["requires_grad"].as_bool().unwrap() => {}
            (None, Value::Null) => {}
            (Some(g), Value::Null) if g.abs().sum(..).item::<f64>() == 0.0 => {}
            (Some(_), Value::Null) => errs.push(format!("grad {i}: torch has none")),
            (None, _) => errs.push(format!("grad {i}: missing")),
            (Some(g), w) => {
                if let Err(e) = compare(&g, w) {
                    errs.push(format!("grad {i}: {e}"));
                }
            }
        }
    }
    errs
}

#[test]
fn matches_pytorch() {
    let doc: Value = serde_json::from_str(FIXTURES).expect("tests/fixtures/torch_ops.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() > 250, "the fixture file looks truncated");
    let mut failures = vec![];
    for case in cases {
        let id = case["id"].as_str().unwrap();
        match catch_unwind(AssertUnwindSafe(|| replay(case))) {
            Ok(errs) => failures.extend(errs.into_iter().map(|e| format!("{id}: {e}"))),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{id}: panicked: {msg}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from torch {}:\n  {}",
        failures.len(),
        cases.len(),
        doc["torch_version"],
        failures.join("\n  ")
    );
}
