//! Random streams for the model.
//!
//! The core owns its randomness: every stream is a xoshiro256++ generator
//! seeded from the scenario seed and a stream number, so the same scenario and
//! seed give the same run on every platform (native and wasm32). Distribution
//! sampling uses `libm`, a pure-Rust maths library, rather than the platform's
//! libm, so transcendental functions round identically everywhere.

use rand_xoshiro::rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One independent random stream.
#[derive(Clone, Debug)]
pub struct Stream {
    inner: Xoshiro256PlusPlus,
}

/// Stream numbers: each source of randomness draws from its own stream, so
/// turning on a fault (say a hot key) does not change the base traffic: runs
/// that differ in one setting see identical arrivals (common random numbers).
pub mod streams {
    pub const ARRIVALS: u64 = 1;
    pub const HOT_KEY: u64 = 2;
    pub const ATTACK: u64 = 3;
    pub const DB_SERVICE: u64 = 4;
    pub const FAULTS: u64 = 5;
    pub const EVICTION: u64 = 6;
    pub const WARMUP: u64 = 7;
    /// The warm-up worker's DB service times.
    pub const WARMUP_WORKER: u64 = 8;
    /// The clients' retry jitter.
    pub const RETRY: u64 = 9;
    /// The invalidation stream's lags.
    pub const STREAM: u64 = 10;
    /// Which node of a shard (primary or replica) serves a GET.
    pub const REPLICA_READS: u64 = 11;
    /// The spread of the round trips' reply halves.
    pub const HOPS: u64 = 12;
}

impl Stream {
    pub fn new(seed: u64, stream: u64) -> Self {
        // splitmix the pair so nearby seeds/streams give unrelated states
        let mixed = splitmix64(seed ^ splitmix64(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        Stream {
            inner: Xoshiro256PlusPlus::seed_from_u64(mixed),
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    #[inline]
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n) (n > 0), by Lemire's multiply-shift (bias < 2^-32 for our n).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Exponential with the given mean (ziggurat).
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        crate::ziggurat::exp1(self) * mean
    }

    /// Standard normal (ziggurat).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        crate::ziggurat::normal(self)
    }

    /// Bernoulli trial.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.uniform() < p
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Stream::new(42, 1);
        let mut b = Stream::new(42, 1);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Stream::new(42, 2);
        assert_ne!(Stream::new(42, 1).next_u64(), c.next_u64());
    }

    #[test]
    fn exponential_mean_and_normal_moments() {
        let mut s = Stream::new(7, 1);
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| s.exponential(12.0)).sum::<f64>() / n as f64;
        assert!((mean - 12.0).abs() < 0.15, "{mean}");
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.01, "{m} {v}");
    }

    #[test]
    fn below_is_in_range_and_uniformish() {
        let mut s = Stream::new(3, 3);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[s.below(10) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{c}");
        }
    }
}
