//! Rules for views and copies.
use crate::Tensor;
use crate::autograd::Backward;

fn as_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&s| s as i64).collect()
}

/// view, reshape, unsqueeze, squeeze: the gradient takes the input's shape back.
pub(crate) struct ReshapeBackward {
    pub in_shape: Vec<usize>,
}

impl Backward for ReshapeBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.reshape(&as_i64(&self.in_shape)))]
    }
}

pub(crate) struct PermuteBackward {
    pub perm: Vec<usize>,
}

impl Backward for PermuteBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        let mut inverse = vec![0i64; self.perm.len()];
        for (i, &p) in self.perm.iter().enumerate() {
            inverse[p] = i as i64;
        }
        vec![Some(g.permute(&inverse))]
    }
}

pub(crate) struct NarrowBackward {
    pub in_shape: Vec<usize>,
    pub dim: usize,
    pub start: usize,
}

impl Backward for NarrowBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.pad_into(&self.in_shape, self.dim, self.start))]
    }
}

pub(crate) struct SelectBackward {
    pub in_shape: Vec<usize>,
    pub dim: usize,
    pub index: usize,
}

impl Backward for SelectBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.unsqueeze(self.dim as i64).pad_into(
            &self.in_shape,
            self.dim,
            self.index,
        ))]
    }
}

pub(crate) struct ExpandBackward {
    pub in_shape: Vec<usize>,
}

impl Backward for ExpandBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.sum_to(&self.in_shape))]
    }
}

pub(crate) struct CloneBackward;

impl Backward for CloneBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.clone())]
    }
}

/// `to(device)`: the gradient goes back to the device the input lives on.
pub(crate) struct ToDeviceBackward {
    pub device: crate::Device,
}

impl Backward for ToDeviceBackward {
    fn backward(&self, g: &Tensor, _: &[bool]) -> Vec<Option<Tensor>> {
        vec![Some(g.to(&self.device))]
    }
}
