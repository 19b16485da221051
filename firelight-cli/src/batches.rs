//! Shuffled mini-batches.
//!
//! Stand-in for `firelight::data::DataLoader` (not merged yet): swap this module for
//! `DataLoader::new(TensorDataset::new(..)).batch_size(bs).shuffle(true)` with the same
//! per-epoch generator once it lands.
use firelight::{Generator, Tensor};

/// The generator that shuffles epoch `epoch` (0-based) of a run seeded with `seed`.
/// Derived from both so that a resumed run shuffles exactly as an uninterrupted one.
pub fn epoch_generator(seed: u64, epoch: u32) -> Generator {
    Generator::new(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::from(epoch) + 1),
    )
}

/// The batches of one epoch: a seeded permutation of the rows of `x` and `y`, cut into
/// `batch_size` pieces (the last may be shorter), each gathered with `index_select`.
pub fn shuffled<'a>(
    x: &'a Tensor,
    y: &'a Tensor,
    batch_size: usize,
    mut generator: Generator,
) -> impl ExactSizeIterator<Item = (Tensor, Tensor)> + 'a {
    let n = x.shape()[0];
    let order: Vec<i64> = generator
        .randperm(n)
        .into_iter()
        .map(|i| i as i64)
        .collect();
    let count = n.div_ceil(batch_size);
    (0..count).map(move |b| {
        let idx = &order[b * batch_size..((b + 1) * batch_size).min(n)];
        let idx = Tensor::from_vec(idx.to_vec(), &[idx.len()]);
        (x.index_select(0, &idx), y.index_select(0, &idx))
    })
}

/// Consecutive batches in order, for evaluation.
pub fn in_order<'a>(
    x: &'a Tensor,
    y: &'a Tensor,
    batch_size: usize,
) -> impl Iterator<Item = (Tensor, Tensor)> + 'a {
    let n = x.shape()[0];
    (0..n.div_ceil(batch_size)).map(move |b| {
        let r = b * batch_size..((b + 1) * batch_size).min(n);
        (x.slice(0, r.clone()), y.slice(0, r))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_visits_every_row_once_and_depends_on_seed_and_epoch() {
        let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]);
        let y = Tensor::from_vec((0..10i64).collect(), &[10]);
        let rows = |seed, epoch| -> Vec<i64> {
            shuffled(&x, &y, 3, epoch_generator(seed, epoch))
                .flat_map(|(_, yb)| yb.to_vec::<i64>())
                .collect()
        };
        let mut seen = rows(0, 0);
        assert_eq!(shuffled(&x, &y, 3, epoch_generator(0, 0)).len(), 4);
        assert_eq!(rows(0, 0), seen);
        assert_ne!(rows(0, 1), seen);
        assert_ne!(rows(1, 0), seen);
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}
