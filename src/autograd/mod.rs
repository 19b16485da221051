//! Define-by-run reverse-mode autodiff, as in PyTorch.
//!
//! An op on tensors that require grad gives a result holding a [`Node`] (its `grad_fn`)
//! with edges to its inputs' nodes and whatever values its backward needs. `backward()`
//! walks the graph once, in topological order, and **accumulates** into leaves' `.grad`.
//!
//! Every gradient rule lives in this folder, one file per op family, written with tensor
//! ops, so that the whole table can be read in one sitting.
mod engine;
mod grad_mode;
mod gradcheck;
pub(crate) mod rules;

pub use grad_mode::{GradModeGuard, enable_grad, is_grad_enabled, no_grad};
pub use gradcheck::{GradcheckError, gradcheck};

use crate::Tensor;
use std::sync::{Arc, Mutex};

pub(crate) use engine::run_backward;

/// A backward rule: given the gradient of an op's output, the gradients of its inputs.
pub(crate) trait Backward: Send + Sync {
    /// One entry per input, in order; `needs[i]` is false where input `i` needs no
    /// gradient, and the rule may return `None` there to skip the work.
    fn backward(&self, grad: &Tensor, needs: &[bool]) -> Vec<Option<Tensor>>;
}

/// Where a gradient flows next: into another op's node, or into a leaf's `.grad`.
pub(crate) enum Edge {
    Node(Arc<Node>),
    Leaf(Tensor),
}

/// One recorded op in the graph (PyTorch's `grad_fn`).
pub struct Node {
    pub(crate) name: &'static str,
    /// Taken (freed) by a backward pass unless the graph is retained.
    pub(crate) rule: Mutex<Option<Box<dyn Backward>>>,
    pub(crate) next: Vec<Option<Edge>>,
}

impl Node {
    /// The name PyTorch gives this op's backward node, e.g. `AddBackward0`.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A tensor saved for backward, with the storage version it had then: if an in-place op
/// changes it before backward runs, backward fails clearly instead of using wrong values.
pub(crate) struct Saved {
    tensor: Tensor,
    version: u64,
}

impl Saved {
    pub fn new(t: &Tensor) -> Saved {
        Saved {
            tensor: t.clone(),
            version: t.version(),
        }
    }

    pub fn get(&self) -> &Tensor {
        let now = self.tensor.version();
        if now != self.version {
            panic!(
                "one of the variables needed for gradient computation has been modified by an \
                 inplace operation: [{} {:?}] is at version {}; expected version {} instead",
                self.tensor.dtype().torch_name(),
                self.tensor.shape(),
                now,
                self.version
            );
        }
        &self.tensor
    }
}

/// True when an op on `inputs` must be recorded.
pub(crate) fn needs_grad(inputs: &[&Tensor]) -> bool {
    is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
}

/// Builds the node for an op on `inputs` whose backward is `rule`.
pub(crate) fn make_node(
    name: &'static str,
    inputs: &[&Tensor],
    rule: Box<dyn Backward>,
) -> Arc<Node> {
    let next = inputs
        .iter()
        .map(|t| {
            if let Some(n) = t.grad_fn_node() {
                Some(Edge::Node(n.clone()))
            } else if t.requires_grad() {
                Some(Edge::Leaf((*t).clone()))
            } else {
                None
            }
        })
        .collect();
    Arc::new(Node {
        name,
        rule: Mutex::new(Some(rule)),
        next,
    })
}
