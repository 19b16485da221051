//! Random numbers: a seedable generator and the global one behind `manual_seed`.
use std::sync::{Mutex, OnceLock};

/// A seeded pseudo-random generator (xoshiro256++). The same seed gives the same stream
/// on every platform.
///
/// ```
/// use firelight::Generator;
/// let mut a = Generator::new(7);
/// let mut b = Generator::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Clone, Debug)]
pub struct Generator {
    s: [u64; 4],
}

/// PyTorch's default seed, so an unseeded program is still reproducible.
const DEFAULT_SEED: u64 = 67280421310721;

impl Generator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Generator {
        // splitmix64 spreads any seed (even 0) over the whole state.
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E3779B97F4A7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
            z ^ (z >> 31)
        };
        Generator {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform integer in `[0, n)` (n > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Generator::below: n must be positive");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// `n` standard normal values (Box-Muller).
    pub fn normals(&mut self, n: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            let u1 = 1.0 - self.uniform_f64(); // (0, 1]: ln stays finite
            let u2 = self.uniform_f64();
            let r = (-2.0 * u1.ln()).sqrt();
            let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
            out.push(r * c);
            out.push(r * s);
        }
        out.truncate(n);
        out
    }

    /// A random permutation of `0..n` (Fisher-Yates).
    ///
    /// ```
    /// let mut p = firelight::Generator::new(1).randperm(5);
    /// p.sort();
    /// assert_eq!(p, vec![0, 1, 2, 3, 4]);
    /// ```
    pub fn randperm(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }
}

fn global() -> &'static Mutex<Generator> {
    static G: OnceLock<Mutex<Generator>> = OnceLock::new();
    G.get_or_init(|| Mutex::new(Generator::new(DEFAULT_SEED)))
}

/// Runs `f` with the global generator (the one `rand`, `randn` and init functions use).
pub(crate) fn with_global<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    f(&mut global().lock().unwrap())
}

/// Seeds the global generator, like `torch.manual_seed`.
///
/// ```
/// use firelight::{manual_seed, Tensor};
/// manual_seed(0);
/// let a = Tensor::randn(&[3]).to_vec::<f32>();
/// manual_seed(0);
/// assert_eq!(a, Tensor::randn(&[3]).to_vec::<f32>());
/// ```
pub fn manual_seed(seed: u64) {
    *global().lock().unwrap() = Generator::new(seed);
}
