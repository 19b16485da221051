//! Rules for elementwise ops.
use crate::autograd::{Backward, Saved};
use crate::backend::{BinaryOp, UnaryOp};
use crate::{DType, Tensor};

pub(crate) struct UnaryBackward {
    op: UnaryOp,
    x: Option<Saved>,
    out: Option<Saved>,
}

impl UnaryBackward {
    pub fn new(op: UnaryOp, x: &Tensor, out: &Tensor) -> UnaryBackward {
        let uses_out = matches!(
            op,
            UnaryOp::Exp | UnaryOp::Sqrt | UnaryOp::Relu | UnaryOp::Sigmoid | UnaryOp::Tanh
        );
        let uses_x = matches!(
            op,
            UnaryOp::Log | UnaryOp::Abs | UnaryOp::Erf | UnaryOp::PowScalar(_) | UnaryOp::Clamp(..)
        );
        UnaryBackward {
            op,
            x: uses_x.then(|| Saved::new(x)),
            out: uses_out.then(|| Saved::new(out)),
        }
    }
}

impl Backward for UnaryBackward {
    fn backward(&self, g: &Tensor, _needs: &[bool]) -> Vec<Option<Tensor>> {
        let x = || self.x.as_ref().unwrap().get();
        let out = || self.out.as_ref().unwrap().get();
        let grad = match self.op {
            UnaryOp::Neg => -g,
            UnaryOp::Abs => g * x().sign(),
            UnaryOp::Sign => g.zeros_like(),
            UnaryOp::Exp => g * out(),
            UnaryOp::Log => g / x(),
            UnaryOp::Sqrt => g / (out() * 2.0),
            UnaryOp::Relu => Tensor::where_(
                &out().gt(0.0),
                g,
                &Tensor::full_with(&[], 0.0, g.dtype(), g.device()),
            ),
            UnaryOp::Sigmoid => g * out() * (1.0 - out()),
            UnaryOp::Tanh => g * (1.0 - out().pow(2)),
            UnaryOp::Erf => g * x().pow(2).neg().exp() * std::f64::consts::FRAC_2_SQRT_PI,
            UnaryOp::PowScalar(0.0) => g.zeros_like(),
            UnaryOp::PowScalar(e) => g * x().pow(e - 1.0) * e,
            UnaryOp::Clamp(lo, hi) => {
                // The gradient passes strictly inside the bounds; at a bound it is 0, the
                // minimum-norm subgradient (as relu's at 0) that PyTorch uses for scalar
                // bounds since pytorch/pytorch#191142 (it used 1 before). An infinite bound
                // is no bound (clamp_min, clamp_max): an infinite input still passes.
                let mut pass = g.clone();
                if lo > f64::NEG_INFINITY {
                    pass = Tensor::where_(&x().gt(lo), &pass, &g.zeros_like());
                }
                if hi < f64::INFINITY {
                    pass = Tensor::where_(&x().lt(hi), &pass, &g.zeros_like());
                }
                pass
            }
        };
        vec![Some(grad)]
    }
}

pub(crate) struct BinaryBackward {
    op: BinaryOp,
    a_shape: Vec<usize>,
    b_shape: Vec<usize>,
    a: Option<Saved>,
    b: Option<Saved>,
    out: Option<Saved>,
}

impl BinaryBackward {
    pub fn new(op: BinaryOp, a: &Tensor, b: &Tensor, out: &Tensor) -> BinaryBackward {
        let (save_a, save_b) = match op {
            BinaryOp::Add | BinaryOp::Sub => (false, false),
            BinaryOp::Mul => (b.requires_grad(), a.requires_grad()),
            _ => (true, true),
        };
        BinaryBackward {
            op,
            a_shape: a.shape().to_vec(),
            b_shape: b.shape().to_vec(),
            a: save_a.then(|| Saved::new(a)),
            b: save_b.then(|| Saved::new(b)),
            out: (op == BinaryOp::Pow).then(|| Saved::new(out)),
        }
    }
}

impl Backward for BinaryBackward {
    fn backward(&self, g: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
        let a = || self.a.as_ref().unwrap().get();
        let b = || self.b.as_ref().unwrap().get();
        let (ga, gb): (Box<dyn Fn() -> Tensor>, Box<dyn Fn() -> Tensor>) = match self.op {
            BinaryOp::Add => (Box::new(|| g.clone()), Box::new(|| g.clone())),
            BinaryOp::Sub => (Box::new(|| g.clone()), Box::new(|| -g)),
            BinaryOp::Mul => (Box::new(|| g * b()), Box::new(|| g * a())),
            BinaryOp::Div => (Box::new(|| g / b()), Box::new(|| -g * a() / (b() * b()))),
            BinaryOp::Pow => (
                Box::new(|| {
                    // d/da a^b = b a^(b-1), taken as 0 where b == 0 (PyTorch's choice): a^0 is
                    // constant, but at a == 0 the formula gives 0 * inf = NaN.
                    let full = g * b() * a().pow(&(b() - 1.0));
                    full.masked_fill(&b().eq(0.0).expand_as(&full), 0.0)
                }),
                Box::new(|| {
                    // d/db a^b = a^b ln a, taken as 0 where a == 0 and b >= 0 (PyTorch's choice).
                    let out = self.out.as_ref().unwrap().get();
                    let full = g * out * a().log();
                    let zero_base = a()
                        .eq(0.0)
                        .to_dtype(DType::U8)
                        .mul(b().ge(0.0).to_dtype(DType::U8))
                        .to_dtype(DType::Bool);
                    full.masked_fill(&zero_base.expand_as(&full), 0.0)
                }),
            ),
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // The winner takes the gradient; ties split it in half, as in PyTorch.
                let share = move |first: bool| {
                    let (x, y) = if first { (a(), b()) } else { (b(), a()) };
                    let wins = if self.op == BinaryOp::Maximum {
                        x.gt(y)
                    } else {
                        x.lt(y)
                    };
                    let ties = x.eq(y);
                    let w = wins.to_dtype(g.dtype()) + ties.to_dtype(g.dtype()) * 0.5;
                    g * w
                };
                (
                    Box::new(move || share(true)),
                    Box::new(move || share(false)),
                )
            }
        };
        vec![
            needs[0].then(|| ga().sum_to(&self.a_shape)),
            needs[1].then(|| gb().sum_to(&self.b_shape)),
        ]
    }
}

pub(crate) struct CastBackward {
    pub from: DType,
}

impl Backward for CastBackward {
    fn backward(&self, g: &Tensor, _needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![self.from.is_float().then(|| g.to_dtype(self.from))]
    }
}

pub(crate) struct WhereBackward {
    cond: Tensor,
    a_shape: Vec<usize>,
    b_shape: Vec<usize>,
}

impl WhereBackward {
    pub fn new(cond: &Tensor, a: &Tensor, b: &Tensor) -> WhereBackward {
        WhereBackward {
            cond: cond.detach(),
            a_shape: a.shape().to_vec(),
            b_shape: b.shape().to_vec(),
        }
    }
}

impl Backward for WhereBackward {
    fn backward(&self, g: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
        let zero = g.zeros_like();
        vec![
            needs[0].then(|| Tensor::where_(&self.cond, g, &zero).sum_to(&self.a_shape)),
            needs[1].then(|| Tensor::where_(&self.cond, &zero, g).sum_to(&self.b_shape)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    #[test]
    fn pow_base_gradient_is_zero_for_exponent_zero() {
        let a = Tensor::from_vec(vec![0.0f64, 0.0, 2.0], &[3]).requires_grad_(true);
        let b = Tensor::from_vec(vec![0.0f64, 2.0, 0.0], &[3]);
        a.pow(&b).sum(..).backward();
        assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![0.0, 0.0, 0.0]);
    }

    #[test]
    fn clamp_gradient_is_zero_at_the_bounds() {
        let x = Tensor::from_vec(vec![-1.0f64, -0.5, 0.0, 0.5, 1.0], &[5]).requires_grad_(true);
        x.clamp(-0.5, 0.5).sum(..).backward();
        assert_eq!(
            x.grad().unwrap().to_vec::<f64>(),
            vec![0.0, 0.0, 1.0, 0.0, 0.0]
        );
        let y = Tensor::from_vec(vec![-0.5f64, f64::INFINITY], &[2]).requires_grad_(true);
        y.clamp_min(-0.5).sum(..).backward();
        assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![0.0, 1.0]);
    }
}
