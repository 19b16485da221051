//! The backward pass: one walk of the graph in topological order.
use super::{Edge, Node, no_grad};
use crate::Tensor;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

fn key(n: &Arc<Node>) -> *const Node {
    Arc::as_ptr(n)
}

/// Nodes reachable from `root`, each after every node that feeds it a gradient.
fn topological_order(root: &Arc<Node>) -> Vec<Arc<Node>> {
    let mut post = Vec::new();
    let mut seen = HashSet::from([key(root)]);
    let mut stack = vec![(root.clone(), 0usize)];
    while let Some((node, i)) = stack.last_mut() {
        if *i < node.next.len() {
            let edge = &node.next[*i];
            *i += 1;
            if let Some(Edge::Node(n)) = edge
                && seen.insert(key(n))
            {
                let n = n.clone();
                stack.push((n, 0));
            }
        } else {
            post.push(node.clone());
            stack.pop();
        }
    }
    post.reverse();
    post
}

/// Adds `g` into a leaf's `.grad`. A stored gradient never aliases another tensor and never
/// carries a graph.
#[track_caller]
pub(crate) fn accumulate_leaf(leaf: &Tensor, g: Tensor) {
    assert_eq!(
        leaf.shape(),
        g.shape(),
        "backward: the gradient for a leaf of shape {:?} has shape {:?}",
        leaf.shape(),
        g.shape()
    );
    let mut slot = leaf.0.grad.lock().unwrap();
    match slot.as_ref() {
        None => *slot = Some(g.into_owned_detached()),
        Some(existing) => existing.add_assign_raw(&g),
    }
}

/// The panic for a second backward through a freed graph (a function, not a closure, so
/// that it reports the caller's `backward()` line).
#[cold]
#[track_caller]
fn freed(name: &str) -> ! {
    panic!(
        "backward: trying to backward through the graph a second time ({name} was \
         already freed); use backward_with(.., retain_graph = true) the first time"
    )
}

#[track_caller]
pub(crate) fn run_backward(root: &Tensor, grad: Tensor, retain_graph: bool) {
    let _guard = no_grad();
    let Some(root_node) = root.grad_fn_node().cloned() else {
        if root.requires_grad() {
            accumulate_leaf(root, grad);
            return;
        }
        panic!("backward: element 0 of tensors does not require grad and does not have a grad_fn");
    };
    let order = topological_order(&root_node);
    let mut grads: HashMap<*const Node, Tensor> = HashMap::from([(key(&root_node), grad)]);
    for node in &order {
        let Some(g) = grads.remove(&key(node)) else {
            continue;
        };
        let needs: Vec<bool> = node.next.iter().map(Option::is_some).collect();
        let in_grads = {
            let mut slot = node.rule.lock().unwrap();
            if retain_graph {
                match slot.as_ref() {
                    Some(rule) => rule.backward(&g, &needs),
                    None => freed(node.name),
                }
            } else {
                let Some(rule) = slot.take() else {
                    freed(node.name)
                };
                drop(slot);
                rule.backward(&g, &needs)
            }
        };
        debug_assert_eq!(
            in_grads.len(),
            node.next.len(),
            "{} returned the wrong count",
            node.name
        );
        for (edge, ig) in node.next.iter().zip(in_grads) {
            match (edge, ig) {
                (Some(Edge::Node(n)), Some(ig)) => match grads.get_mut(&key(n)) {
                    Some(acc) => *acc = &*acc + &ig,
                    None => {
                        grads.insert(key(n), ig);
                    }
                },
                (Some(Edge::Leaf(t)), Some(ig)) => accumulate_leaf(t, ig),
                _ => {}
            }
        }
    }
}
