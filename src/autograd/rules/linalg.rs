//! Rules for matrix products.
use crate::Tensor;
use crate::autograd::{Backward, Saved};

/// For `a.matmul(b)` with both at least 2-D (vectors are unsqueezed before).
pub(crate) struct MatmulBackward {
    a: Option<Saved>,
    b: Option<Saved>,
    a_shape: Vec<usize>,
    b_shape: Vec<usize>,
}

impl MatmulBackward {
    pub fn new(a: &Tensor, b: &Tensor) -> MatmulBackward {
        MatmulBackward {
            a: b.requires_grad().then(|| Saved::new(a)),
            b: a.requires_grad().then(|| Saved::new(b)),
            a_shape: a.shape().to_vec(),
            b_shape: b.shape().to_vec(),
        }
    }
}

impl Backward for MatmulBackward {
    fn backward(&self, g: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
        vec![
            needs[0].then(|| {
                g.matmul(&self.b.as_ref().unwrap().get().transpose(-1, -2))
                    .sum_to(&self.a_shape)
            }),
            needs[1].then(|| {
                self.a
                    .as_ref()
                    .unwrap()
                    .get()
                    .transpose(-1, -2)
                    .matmul(g)
                    .sum_to(&self.b_shape)
            }),
        ]
    }
}
