//! A small seeded generator (SplitMix64): every mutant is a function of its seed alone, so a
//! failure found once is found again by its number, whatever ran before it.

/// Pseudo-random numbers from one 64-bit seed.
pub struct Rng(u64);

impl Rng {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..hi` (`lo < hi`).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A size in `1..=max` (1 when `max` is 0), small ones most likely: each power of two up to `max` is as
    /// likely as the next, so a mutant is as often 3 as 30,000 times something.
    pub fn size(&mut self, max: usize) -> usize {
        let max = max.max(1);
        let bits = usize::BITS - max.leading_zeros();
        let top = 1usize << self.below(bits as usize);
        (top + self.below(top)).clamp(1, max)
    }
}

/// Combines numbers into one seed (for a mutant: the run's seed, the target, the index).
pub fn mix(parts: &[u64]) -> u64 {
    let mut r = Rng::new(0x5EED);
    for &p in parts {
        // Through the whole scrambler each time: XOR and add alone are nearly linear, and
        // (2, 0, 0) would meet (3, 0, 1).
        r.0 = r.next() ^ p;
    }
    r.next()
}
