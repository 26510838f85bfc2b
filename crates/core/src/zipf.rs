//! Zipf-distributed key ranks by rejection-inversion (Hörmann and Derflinger,
//! 1996, as in Apache Commons' `RejectionInversionZipfSampler`): O(1) per
//! sample and O(1) memory for any keyspace size, which is what lets the model
//! draw from millions of keys without a table. Written here rather than taken
//! from `rand_distr` because it must use `libm` to stay bit-identical in wasm.

use crate::rng::Stream;

/// P(rank = k) = k^-s / H(n, s) for k in 1..=n.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    shortcut: f64,
}

impl Zipf {
    /// `n` >= 1 keys, exponent `s` > 0.
    pub fn new(n: u64, s: f64) -> Self {
        let n = n.max(1) as f64;
        let mut z = Zipf {
            n,
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            shortcut: 0.0,
        };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(n + 0.5);
        z.shortcut = 2.0 - z.h_integral_inv(z.h_integral(2.5) - z.h(2.0));
        z
    }

    pub fn n(&self) -> u64 {
        self.n as u64
    }

    pub fn exponent(&self) -> f64 {
        self.s
    }

    /// A rank in 1..=n.
    pub fn sample(&self, rng: &mut Stream) -> u64 {
        loop {
            let u = self.h_integral_n + rng.uniform() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inv(u);
            let mut k = (x + 0.5) as u64;
            if k < 1 {
                k = 1;
            } else if k as f64 > self.n {
                k = self.n as u64;
            }
            let kf = k as f64;
            if kf - x <= self.shortcut || u >= self.h_integral(kf + 0.5) - self.h(kf) {
                return k;
            }
        }
    }

    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.s * libm::log(x))
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        helper2((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inv(&self, x: f64) -> f64 {
        let mut t = x * (1.0 - self.s);
        if t < -1.0 {
            t = -1.0;
        }
        libm::exp(helper1(t) * x)
    }
}

/// log1p(x)/x, continuous at 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// expm1(x)/x, continuous at 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_pmf(n: u64, s: f64) -> Vec<f64> {
        let w: Vec<f64> = (1..=n).map(|k| libm::pow(k as f64, -s)).collect();
        let total: f64 = w.iter().sum();
        w.into_iter().map(|x| x / total).collect()
    }

    #[test]
    fn matches_exact_pmf_on_small_keyspace() {
        for &s in &[0.6, 0.9, 1.0, 1.3] {
            let n = 50;
            let z = Zipf::new(n, s);
            let mut rng = Stream::new(11, 1);
            let draws = 400_000;
            let mut counts = vec![0u32; n as usize];
            for _ in 0..draws {
                let k = z.sample(&mut rng);
                assert!((1..=n).contains(&k));
                counts[(k - 1) as usize] += 1;
            }
            let pmf = exact_pmf(n, s);
            for (i, (&c, &p)) in counts.iter().zip(&pmf).enumerate() {
                let expected = p * draws as f64;
                let sd = (expected * (1.0 - p)).sqrt();
                assert!(
                    (c as f64 - expected).abs() < 5.0 * sd + 1.0,
                    "s={s} rank {} got {c} expected {expected:.0}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn top_share_on_large_keyspace() {
        // Top 1% of 1M keys at s = 0.9: compare sampled share with the exact sum.
        let n = 1_000_000u64;
        let s = 0.9;
        let z = Zipf::new(n, s);
        let mut rng = Stream::new(5, 1);
        let draws = 300_000;
        let top =
            (0..draws).filter(|_| z.sample(&mut rng) <= n / 100).count() as f64 / draws as f64;
        let exact = crate::calibrate::top_share(n, s, 0.01);
        assert!((top - exact).abs() < 0.005, "sampled {top} exact {exact}");
    }
}
