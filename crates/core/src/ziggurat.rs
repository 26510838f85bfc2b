//! Exponential and normal variates by the ziggurat method (Marsaglia and
//! Tsang, 2000), with Doornik's layout: 256 layers of equal area under the
//! density. A draw picks a layer and a point in it from one 64-bit number;
//! ~99% of draws fall in the part of a layer that lies under the curve and
//! return with no transcendental function at all. The rest are settled by the
//! exact density test, or by the memoryless tail. The result has exactly the
//! target distribution (to floating-point precision).
//!
//! Arrivals draw one exponential per request, so this is the simulator's
//! hottest random draw. The tables are built once with `libm`, and the rare
//! paths use `libm`, so a run is bit-identical natively and in wasm.

use crate::rng::Stream;
use std::sync::OnceLock;

const LAYERS: usize = 256;

/// One density's ziggurat: layer widths `x[0] > x[1] = r > ... > x[256] = 0`
/// and the density at each, `f[i] = f(x[i])`. Layer 0 is the base strip (the
/// rectangle under `r` plus the tail beyond it, as a wider rectangle).
struct Table {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

impl Table {
    /// `r`: where the tail starts; `v`: each layer's area; `density`, `inverse`: f and f⁻¹ (unnormalised).
    fn build(r: f64, v: f64, density: impl Fn(f64) -> f64, inverse: impl Fn(f64) -> f64) -> Self {
        let mut x = [0.0; LAYERS + 1];
        let mut f = [0.0; LAYERS + 1];
        x[0] = v / density(r);
        x[1] = r;
        for i in 1..LAYERS - 1 {
            x[i + 1] = inverse(v / x[i] + density(x[i]));
        }
        x[LAYERS] = 0.0;
        for i in 0..=LAYERS {
            f[i] = density(x[i]);
        }
        Table { x, f }
    }
}

fn exp_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        Table::build(
            7.697_117_470_131_05,
            0.003_949_659_822_581_557,
            |x| libm::exp(-x),
            |y| -libm::log(y),
        )
    })
}

fn normal_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        Table::build(
            3.654_152_885_361_009,
            0.004_928_673_233_99,
            |x| libm::exp(-0.5 * x * x),
            |y| libm::sqrt(-2.0 * libm::log(y)),
        )
    })
}

/// 53 random bits as a float in [0, 1).
#[inline]
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Exponential with mean 1.
#[inline]
pub fn exp1(rng: &mut Stream) -> f64 {
    let t = exp_table();
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        let x = unit(bits) * t.x[i];
        if x < t.x[i + 1] {
            return x;
        }
        if i == 0 {
            // beyond r the exponential is itself again, shifted
            return t.x[1] - libm::log(rng.uniform_open0());
        }
        if t.f[i] + rng.uniform() * (t.f[i + 1] - t.f[i]) < libm::exp(-x) {
            return x;
        }
    }
}

/// Standard normal.
#[inline]
pub fn normal(rng: &mut Stream) -> f64 {
    let t = normal_table();
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        // bits 11..63 give the magnitude, bit 8 the sign
        let m = unit(bits) * t.x[i];
        let sign = if bits & 0x100 == 0 { 1.0 } else { -1.0 };
        if m < t.x[i + 1] {
            return sign * m;
        }
        if i == 0 {
            // Marsaglia's tail method beyond r
            let r = t.x[1];
            loop {
                let a = -libm::log(rng.uniform_open0()) / r;
                let b = -libm::log(rng.uniform_open0());
                if 2.0 * b > a * a {
                    return sign * (r + a);
                }
            }
        }
        if t.f[i] + rng.uniform() * (t.f[i + 1] - t.f[i]) < libm::exp(-0.5 * m * m) {
            return sign * m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chi-square of `draws` against `cdf` over `edges` (plus both open ends).
    fn chi_square(draws: &[f64], edges: &[f64], cdf: impl Fn(f64) -> f64) -> (f64, usize) {
        let n = draws.len() as f64;
        let mut counts = vec![0u64; edges.len() + 1];
        for &d in draws {
            counts[edges.partition_point(|&e| e <= d)] += 1;
        }
        let mut chi2 = 0.0;
        for (b, &c) in counts.iter().enumerate() {
            let lo = if b == 0 { 0.0 } else { cdf(edges[b - 1]) };
            let hi = if b == edges.len() { 1.0 } else { cdf(edges[b]) };
            let expected = n * (hi - lo);
            chi2 += (c as f64 - expected).powi(2) / expected;
        }
        (chi2, counts.len() - 1)
    }

    #[test]
    fn tables_close_at_the_top() {
        // with r and v right, the top layer (up to the mode, f = 1) has area v like the others
        for (t, v) in [
            (exp_table(), 0.003_949_659_822_581_557),
            (normal_table(), 0.004_928_673_233_99),
        ] {
            let top = t.x[LAYERS - 1] * (1.0 - t.f[LAYERS - 1]);
            assert!((top / v - 1.0).abs() < 1e-6, "top layer area {top} vs {v}");
            assert!(t.x.windows(2).all(|w| w[0] > w[1]));
            assert_eq!(t.f[LAYERS], 1.0);
        }
    }

    #[test]
    fn exponential_matches_its_distribution_including_the_tail() {
        let mut rng = Stream::new(21, 4);
        let draws: Vec<f64> = (0..2_000_000).map(|_| exp1(&mut rng)).collect();
        assert!(draws.iter().all(|&d| d >= 0.0));
        // 80 bins: fine in the body, out through the tail beyond r = 7.7
        let edges: Vec<f64> = (1..80).map(|k| k as f64 * 0.125).collect();
        let (chi2, dof) = chi_square(&draws, &edges, |x| 1.0 - libm::exp(-x));
        let dof = dof as f64;
        assert!(
            chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
            "chi2 {chi2} for {dof} dof"
        );
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 1.0).abs() < 0.003, "{mean}");
        let beyond = draws.iter().filter(|&&d| d > 9.0).count() as f64;
        let expected = 2e6 * libm::exp(-9.0);
        assert!(
            (beyond - expected).abs() < 5.0 * expected.sqrt(),
            "{beyond} vs {expected}"
        );
    }

    #[test]
    fn normal_matches_its_distribution_including_the_tails() {
        let mut rng = Stream::new(22, 4);
        let draws: Vec<f64> = (0..2_000_000).map(|_| normal(&mut rng)).collect();
        let phi = |x: f64| 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        let edges: Vec<f64> = (-40..=40).map(|k| k as f64 * 0.1).collect();
        let (chi2, dof) = chi_square(&draws, &edges, phi);
        let dof = dof as f64;
        assert!(
            chi2 < dof + 5.0 * (2.0 * dof).sqrt(),
            "chi2 {chi2} for {dof} dof"
        );
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n;
        assert!(
            mean.abs() < 0.003 && (var - 1.0).abs() < 0.005,
            "{mean} {var}"
        );
        // both tails beyond r = 3.65
        for side in [-1.0, 1.0] {
            let beyond = draws.iter().filter(|&&d| d * side > 3.8).count() as f64;
            let expected = n * phi(-3.8);
            assert!(
                (beyond - expected).abs() < 5.0 * expected.sqrt(),
                "{beyond} vs {expected}"
            );
        }
    }
}
