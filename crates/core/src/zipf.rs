//! Zipf-distributed key ranks: P(rank = k) = k^-s / H(n, s) for k in 1..=n.
//!
//! The ranks are cut into segments: each of the first `EXACT` ranks is its own
//! segment, and beyond them each segment spans ranks whose weights differ by
//! at most 1% (a segment ends at 1.01x its first rank). Walker's alias table
//! picks a segment with probability proportional to its exact weight, from
//! one 64-bit draw; a rank within a wider segment is drawn uniformly and
//! accepted with probability (first / k)^s, which is at least 0.99, so a
//! squeeze settles ~99% of them without `pow`. The result is exactly the Zipf
//! distribution: segment weights are the exact sums for single ranks and
//! Euler-Maclaurin sums (relative error ~1e-13 for ranks past `EXACT`) beyond.
//!
//! The table has ~2K entries even for millions of keys (it stays in the CPU's
//! cache), and sampling costs no transcendental function on ~99.5% of draws.
//! Written here rather than taken from `rand_distr` because it must use
//! `libm` to stay bit-identical in wasm.

use crate::rng::Stream;

/// Ranks that are segments of their own.
const EXACT: u64 = 1024;

/// Each wider segment ends at this multiple of its first rank.
const SPAN: f64 = 1.01;

/// P(rank = k) = k^-s / H(n, s) for k in 1..=n.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: u64,
    s: f64,
    /// Alias buckets, one per segment: (threshold on 32 random bits, alias).
    alias: Vec<(u32, u32)>,
    segments: Vec<Segment>,
}

/// Ranks `first .. first + width`.
#[derive(Clone, Copy, Debug)]
struct Segment {
    first: u32,
    width: u32,
    /// (first / last)^s: a uniform below it accepts any rank of the segment.
    squeeze: f64,
}

impl Zipf {
    /// `n` >= 1 keys, exponent `s` > 0.
    pub fn new(n: u64, s: f64) -> Self {
        Self::with_exact(n, s, EXACT)
    }

    fn with_exact(n: u64, s: f64, exact: u64) -> Self {
        let n = n.clamp(1, u32::MAX as u64);
        let mut segments = Vec::new();
        let mut weights = Vec::new();
        for k in 1..=exact.min(n) {
            segments.push(Segment {
                first: k as u32,
                width: 1,
                squeeze: 1.0,
            });
            weights.push(libm::pow(k as f64, -s));
        }
        let mut a = exact + 1;
        while a <= n {
            let b = ((a as f64 * SPAN) as u64).clamp(a, n);
            segments.push(Segment {
                first: a as u32,
                width: (b - a + 1) as u32,
                squeeze: libm::pow(a as f64 / b as f64, s),
            });
            weights.push(segment_weight(a, b, s));
            a = b + 1;
        }
        Zipf {
            n,
            s,
            alias: alias_table(&weights),
            segments,
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
        let seg = self.segments[if coin < threshold {
            bucket
        } else {
            alias as usize
        }];
        if seg.width == 1 {
            return seg.first as u64;
        }
        loop {
            // the offset from the product's high word, the acceptance uniform from its low word
            let r = rng.next_u64() as u128 * seg.width as u128;
            let k = seg.first as u64 + (r >> 64) as u64;
            let u = (r as u64 >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            if u < seg.squeeze || u < libm::pow(seg.first as f64 / k as f64, self.s) {
                return k;
            }
        }
    }
}

/// sum_{k=a..=b} k^-s by Euler-Maclaurin about the half-integers: the
/// integral over [a - 1/2, b + 1/2] less (f'(b + 1/2) - f'(a - 1/2)) / 24;
/// the next term is ~7/5760 s(s+1)(s+2) a^(-s-3).
fn segment_weight(a: u64, b: u64, s: f64) -> f64 {
    let lo = a as f64 - 0.5;
    let hi = b as f64 + 0.5;
    let log_ratio = libm::log(hi / lo);
    // (hi^(1-s) - lo^(1-s)) / (1-s), stable for s near 1
    let integral = libm::pow(lo, 1.0 - s) * log_ratio * helper2((1.0 - s) * log_ratio);
    let d = |x: f64| -s * libm::pow(x, -s - 1.0);
    integral - (d(hi) - d(lo)) / 24.0
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

    /// How often each rank comes out in `draws` samples (every one in 1..=n).
    fn rank_counts(z: &Zipf, seed: u64, draws: u32) -> Vec<u32> {
        let mut rng = Stream::new(seed, 1);
        let mut counts = vec![0u32; z.n() as usize];
        for _ in 0..draws {
            let k = z.sample(&mut rng);
            assert!((1..=z.n()).contains(&k));
            counts[(k - 1) as usize] += 1;
        }
        counts
    }

    /// Asserts each rank's count within 5 standard deviations of its
    /// expectation; returns the chi-square statistic over all ranks.
    fn every_rank_within_5_sd(counts: &[u32], pmf: &[f64], draws: u32, label: &str) -> f64 {
        let mut chi2 = 0.0;
        for (i, (&c, &p)) in counts.iter().zip(pmf).enumerate() {
            let expected = p * draws as f64;
            let sd = (expected * (1.0 - p)).sqrt();
            assert!(
                (c as f64 - expected).abs() < 5.0 * sd + 1.0,
                "{label} rank {} got {c} expected {expected:.0}",
                i + 1
            );
            chi2 += (c as f64 - expected).powi(2) / expected;
        }
        chi2
    }

    #[test]
    fn matches_exact_pmf_on_small_keyspace() {
        for &s in &[0.6, 0.9, 1.0, 1.3] {
            let n = 50;
            let z = Zipf::new(n, s);
            let draws = 400_000;
            let counts = rank_counts(&z, 11, draws);
            let pmf = exact_pmf(n, s);
            every_rank_within_5_sd(&counts, &pmf, draws, &format!("s={s}"));
        }
    }

    /// Few single ranks in front of many wide segments: ranks on both sides
    /// of the boundary and inside segments come out with their exact probabilities.
    #[test]
    fn segments_match_exact_pmf() {
        for &(n, s, head) in &[(3000u64, 0.9, 200u64), (3000, 1.0, 150), (1500, 1.3, 300)] {
            let z = Zipf::with_exact(n, s, head);
            assert!(z.segments.len() < n as usize / 3, "segments are wide");
            let draws = 3_000_000;
            let counts = rank_counts(&z, 12, draws);
            let pmf = exact_pmf(n, s);
            let chi2 =
                every_rank_within_5_sd(&counts, &pmf, draws, &format!("n={n} s={s} head={head}"));
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
    fn segment_weights_are_the_exact_sums() {
        for &s in &[0.5, 0.9, 1.0, 1.0 + 1e-12, 1.3] {
            for &(a, b) in &[
                (1025u64, 1035u64),
                (2000, 2020),
                (50_000, 50_500),
                (300, 303),
            ] {
                let exact: f64 = (a..=b).map(|k| libm::pow(k as f64, -s)).sum();
                let w = segment_weight(a, b, s);
                // the first term left out shrinks as a^-3
                let tol = if a > EXACT { 1e-12 } else { 1e-10 };
                assert!(
                    (w / exact - 1.0).abs() < tol,
                    "s={s} [{a}, {b}]: {w} vs {exact}"
                );
            }
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
