//! Optimizers, as `torch.optim`.
