//! Rules for convolution and pooling. These ops are fused kernels, so their rules call
//! the backend's backward kernels directly (design §2) instead of composing tensor ops;
//! the gradients they return are therefore not themselves differentiable.
use crate::Tensor;
use crate::autograd::{Backward, Saved};
use crate::backend::{AvgDivisor, Conv2dGeom, Pool2dGeom, Storage};

/// Runs `f` on the storages of `a` and `b`, locking a shared storage once.
fn read2<R>(a: &Tensor, b: &Tensor, f: impl FnOnce(&Storage, &Storage) -> R) -> R {
    if a.same_storage(b) {
        let s = a.storage();
        f(&s, &s)
    } else {
        let (sa, sb) = (a.storage(), b.storage());
        f(&sa, &sb)
    }
}

/// `conv2d(x, w, b)`: inputs are `[x, w]` or `[x, w, b]`.
pub(crate) struct ConvolutionBackward {
    /// What the weight gradient needs, when the weight needs one.
    x: Option<ConvInput>,
    /// Kept only when the input needs a gradient.
    w: Option<Saved>,
    geom: Conv2dGeom,
}

/// The forward input as the weight gradient reads it.
pub(crate) enum ConvInput {
    /// The input itself, unfolded again in the backward pass.
    Input(Saved),
    /// The input as the forward pass unfolded it (see `Storage::conv2d_keeps_unfolded`);
    /// being a copy, it is immune to later in-place changes of the input.
    Unfolded(Storage),
}

impl ConvolutionBackward {
    pub fn new(
        x: &Tensor,
        w: &Tensor,
        unfolded: Option<Storage>,
        geom: Conv2dGeom,
    ) -> ConvolutionBackward {
        let x_for_w = w.requires_grad().then(|| match unfolded {
            Some(u) => ConvInput::Unfolded(u),
            None => ConvInput::Input(Saved::new(x)),
        });
        ConvolutionBackward {
            x: x_for_w,
            w: x.requires_grad().then(|| Saved::new(w)),
            geom,
        }
    }
}

impl Backward for ConvolutionBackward {
    fn backward(&self, g: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>> {
        let geo = &self.geom;
        let dx = needs[0].then(|| {
            let w = self.w.as_ref().unwrap().get();
            let s = read2(g, w, |sg, sw| {
                sg.conv2d_input_grad(g.layout(), sw, w.layout(), geo)
            });
            Tensor::from_storage(s, &[geo.n, geo.c, geo.h, geo.w])
        });
        let dw = needs[1].then(|| {
            let s = match self.x.as_ref().unwrap() {
                ConvInput::Unfolded(u) => {
                    g.storage().conv2d_weight_grad_unfolded(g.layout(), u, geo)
                }
                ConvInput::Input(x) => {
                    let x = x.get();
                    read2(g, x, |sg, sx| {
                        sg.conv2d_weight_grad(g.layout(), sx, x.layout(), geo)
                    })
                }
            };
            Tensor::from_storage(s, &[geo.o, geo.c / geo.groups, geo.kh, geo.kw])
        });
        let mut out = vec![dx, dw];
        if needs.len() == 3 {
            out.push(needs[2].then(|| {
                let s = g.storage().conv2d_bias_grad(g.layout(), geo);
                Tensor::from_storage(s, &[geo.o])
            }));
        }
        out
    }
}

/// `avg_pool2d` on a 4-D input.
pub(crate) struct AvgPool2DBackward {
    pub geom: Pool2dGeom,
    pub divisor: AvgDivisor,
    pub in_shape: Vec<usize>,
}

impl Backward for AvgPool2DBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let s = g
            .storage()
            .avg_pool2d_backward(g.layout(), &self.geom, self.divisor);
        vec![Some(Tensor::from_storage(s, &self.in_shape))]
    }
}

/// `max_pool2d` on a 4-D input: the gradient goes to each window's (first) maximum.
pub(crate) struct MaxPool2DWithIndicesBackward {
    pub geom: Pool2dGeom,
    pub indices: Tensor,
    pub in_shape: Vec<usize>,
}

impl Backward for MaxPool2DWithIndicesBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let i = &self.indices;
        let s = g
            .storage()
            .max_pool2d_backward(g.layout(), &i.storage(), i.layout(), &self.geom);
        vec![Some(Tensor::from_storage(s, &self.in_shape))]
    }
}

/// `adaptive_avg_pool2d` on a 4-D input.
pub(crate) struct AdaptiveAvgPool2DBackward {
    pub geom: Pool2dGeom,
    pub in_shape: Vec<usize>,
}

impl Backward for AdaptiveAvgPool2DBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let s = g
            .storage()
            .adaptive_avg_pool2d_backward(g.layout(), &self.geom);
        vec![Some(Tensor::from_storage(s, &self.in_shape))]
    }
}
