//! Zipf-distributed key ranks: P(rank = k) = k^-s / H(n, s) for k in 1..=n.
//!
//! The head (the most popular `HEAD` ranks, most of the traffic: 75% at the
//! default skew) is drawn from Walker's alias table in O(1) with one random
//! number and one table read. The table has one more bucket that stands for the
//! whole tail, weighted by the tail's exact sum (a midpoint integral, accurate
//! to ~1e-11 that far out); a draw that lands there takes a rank from the tail
//! by rejection-inversion (Hörmann and Derflinger, 1996, as in Apache Commons'
//! `RejectionInversionZipfSampler`), O(1) per sample and O(1) memory for any
//! keyspace size. The mixture is exactly the Zipf distribution. Written here
//! rather than taken from `rand_distr` because it must use `libm` to stay
//! bit-identical in wasm.

use crate::rng::Stream;

/// Ranks drawn from the alias table: 512 KB of table, which stays in L2.
const HEAD: u64 = 1 << 16;

/// P(rank = k) = k^-s / H(n, s) for k in 1..=n.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: u64,
    s: f64,
    /// Alias buckets: (threshold on 32 random bits, alias rank - 1). Bucket
    /// `head` (if any) is the tail.
    alias: Vec<(u32, u32)>,
    /// Ranks 1..=head come from the table.
    head: u64,
    tail: Tail,
}

/// Rejection-inversion over ranks `first..=n`.
#[derive(Clone, Debug)]
struct Tail {
    first: f64,
    n: f64,
    s: f64,
    h_integral_lo: f64,
    h_integral_n: f64,
    shortcut: f64,
}

impl Zipf {
    /// `n` >= 1 keys, exponent `s` > 0.
    pub fn new(n: u64, s: f64) -> Self {
        Self::with_head(n, s, HEAD)
    }

    fn with_head(n: u64, s: f64, head: u64) -> Self {
        let n = n.max(1);
        let head = head.clamp(1, n);
        let mut weights: Vec<f64> = (1..=head).map(|k| libm::pow(k as f64, -s)).collect();
        if n > head {
            weights.push(crate::calibrate::tail_weight(head + 1, n, s));
        }
        Zipf {
            n,
            s,
            alias: alias_table(&weights),
            head,
            tail: Tail::new(head + 1, n, s),
        }
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn exponent(&self) -> f64 {
        self.s
    }

    /// A rank in 1..=n.
    #[inline]
    pub fn sample(&self, rng: &mut Stream) -> u64 {
        // one 64-bit draw: the bucket from its product with the bucket count
        // (multiply-shift), the coin from the fraction that product leaves
        let r = rng.next_u64() as u128 * self.alias.len() as u128;
        let bucket = (r >> 64) as usize;
        let coin = (r as u64 >> 32) as u32;
        let (threshold, alias) = self.alias[bucket];
        let rank0 = if coin < threshold {
            bucket as u64
        } else {
            alias as u64
        };
        if rank0 < self.head {
            rank0 + 1
        } else {
            self.tail.sample(rng)
        }
    }
}

/// Walker's alias table (Vose's construction) for `weights`: bucket i keeps
/// itself with probability threshold / 2^32 and otherwise yields its alias.
fn alias_table(weights: &[f64]) -> Vec<(u32, u32)> {
    let m = weights.len();
    let total: f64 = weights.iter().sum();
    let mut scaled: Vec<f64> = weights.iter().map(|w| w * m as f64 / total).collect();
    let mut table: Vec<(u32, u32)> = (0..m as u32).map(|i| (u32::MAX, i)).collect();
    let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..m).partition(|&i| scaled[i] < 1.0);
    while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
        small.pop();
        table[s] = (threshold(scaled[s]), l as u32);
        scaled[l] -= 1.0 - scaled[s];
        if scaled[l] < 1.0 {
            large.pop();
            small.push(l);
        }
    }
    // what is left is 1 up to rounding: those buckets keep themselves
    table
}

fn threshold(p: f64) -> u32 {
    if p >= 1.0 {
        u32::MAX
    } else {
        (p * 4_294_967_296.0) as u32
    }
}

impl Tail {
    fn new(first: u64, n: u64, s: f64) -> Self {
        let mut t = Tail {
            first: first as f64,
            n: n as f64,
            s,
            h_integral_lo: 0.0,
            h_integral_n: 0.0,
            shortcut: 0.0,
        };
        t.h_integral_lo = t.h_integral(first as f64 - 0.5);
        t.h_integral_n = t.h_integral(n as f64 + 0.5);
        // the shortcut holds for every rank >= 2
        t.shortcut = 2.0 - t.h_integral_inv(t.h_integral(2.5) - t.h(2.0));
        t
    }

    /// A rank in first..=n, with P(k) proportional to k^-s.
    fn sample(&self, rng: &mut Stream) -> u64 {
        loop {
            let u = self.h_integral_n + rng.uniform() * (self.h_integral_lo - self.h_integral_n);
            let x = self.h_integral_inv(u);
            // x >= first - 0.5 > 0: truncation is floor, without a libm call
            let kf = ((x + 0.5) as u64 as f64).clamp(self.first, self.n);
            if (kf >= 2.0 && kf - x <= self.shortcut) || u >= self.h_integral(kf + 0.5) - self.h(kf)
            {
                return kf as u64;
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

    /// A small table in front of a long tail: ranks on both sides of the
    /// boundary come out with their exact probabilities.
    #[test]
    fn head_table_and_tail_match_exact_pmf() {
        for &(n, s, head) in &[(300u64, 0.9, 20u64), (300, 1.0, 1), (120, 1.3, 119)] {
            let z = Zipf::with_head(n, s, head);
            let mut rng = Stream::new(12, 1);
            let draws = 600_000;
            let mut counts = vec![0u32; n as usize];
            for _ in 0..draws {
                let k = z.sample(&mut rng);
                assert!((1..=n).contains(&k));
                counts[(k - 1) as usize] += 1;
            }
            let pmf = exact_pmf(n, s);
            let mut chi2 = 0.0;
            for (i, (&c, &p)) in counts.iter().zip(&pmf).enumerate() {
                let expected = p * draws as f64;
                let sd = (expected * (1.0 - p)).sqrt();
                assert!(
                    (c as f64 - expected).abs() < 5.0 * sd + 1.0,
                    "n={n} s={s} head={head} rank {} got {c} expected {expected:.0}",
                    i + 1
                );
                chi2 += (c as f64 - expected).powi(2) / expected;
            }
            // n - 1 degrees of freedom: mean n - 1, sd sqrt(2(n - 1))
            let dof = (n - 1) as f64;
            assert!(
                chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
                "chi2 {chi2} for {dof} dof"
            );
            // the tail's weight in the table is its exact sum
            let head_mass: f64 = pmf[..head as usize].iter().sum();
            let drawn_head = counts[..head as usize].iter().sum::<u32>() as f64 / draws as f64;
            assert!(
                (drawn_head - head_mass).abs() < 0.003,
                "{drawn_head} vs {head_mass}"
            );
        }
    }

    #[test]
    fn alias_table_is_exact_for_simple_weights() {
        // weights 1:2:3:2 over 4 buckets: each bucket's own share plus what aliases give it
        let t = alias_table(&[1.0, 2.0, 3.0, 2.0]);
        let mut mass = [0.0f64; 4];
        for (i, &(thr, alias)) in t.iter().enumerate() {
            let keep = thr as f64 / 4_294_967_296.0;
            let keep = if thr == u32::MAX { 1.0 } else { keep };
            mass[i] += keep / 4.0;
            mass[alias as usize] += (1.0 - keep) / 4.0;
        }
        for (m, w) in mass.iter().zip([1.0, 2.0, 3.0, 2.0]) {
            assert!((m - w / 8.0).abs() < 1e-9, "{mass:?}");
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
