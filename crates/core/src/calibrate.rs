//! Deriving the keyspace from a target hit rate.
//!
//! The user chooses a *target* steady-state read hit rate; the model turns it
//! into a keyspace size `n` and Zipf exponent `s` so that the hit rate then
//! *emerges* from per-key cache state (and falls after a crash, under memory
//! pressure or under attack) but sits at the target in steady state.
//!
//! ## The formula
//! Key `k` (rank 1..=n) receives reads, writes and deletes as Poisson streams
//! with rates `lr_k, lw_k, ld_k = (R_read, R_write, R_delete) * p_k`,
//! `p_k = k^-s / H(n, s)`. The cache is a non-reset TTL cache (`SET EX T` at
//! fill; a GET does not extend it). A key alternates between
//!
//! * **filled** periods: they start with a fresh TTL. A write restarts the TTL
//!   (the write path SETs the new value), a delete ends the period (DEL), and
//!   otherwise the key expires after `T`. With `q = lw + ld` the mean length is
//!   `m = (1 - e^{-qT}) / q / (1 - (lw/q)(1 - e^{-qT}))` (and `m = T` when
//!   `q = 0`);
//! * **empty** periods: they end at the next read (which misses and backfills
//!   after the miss penalty `D`) or write: mean `1/(lr + lw) + D * lr/(lr + lw)`.
//!
//! By PASTA a read finds the key filled with probability
//! `P_k = m / (m + E[empty])`, and the overall hit rate is `sum_k p_k P_k`.
//! Without writes, deletes and `D` this is the textbook non-reset TTL result
//! `h_k = lr_k T / (1 + lr_k T)`. The keyspace size solves `hit(n, s) = target`
//! and `s` solves `top_share(n, s, 1%) = top1_share` (default 50%); the two are
//! solved alternately until both hold.
//!
//! Sums over millions of keys use exact terms for the first ranks and
//! geometric buckets (1% wide) with integral weights beyond: the error is far
//! below the tests' tolerance.

use crate::scenario::Scenario;

/// The miss penalty the calibration assumes: GET, processing, DB round trip
/// and read, backfill SET.
pub fn miss_delay_s(s: &Scenario) -> f64 {
    (2.0 * s.app.cache_rtt_ms + s.app.processing_ms + s.app.db_rtt_ms + s.db.read_service_ms)
        / 1000.0
}

/// A scenario's key-addressed rates at a client rate of `rps`.
pub fn key_rates(s: &Scenario, rps: f64) -> KeyRates {
    KeyRates {
        reads: rps * s.client.read_fraction,
        writes: rps * s.client.write_fraction,
        deletes: rps * s.client.delete_fraction,
    }
}

/// Rates of key-addressed operations (per second), all keys together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyRates {
    pub reads: f64,
    pub writes: f64,
    pub deletes: f64,
}

/// The derived keyspace.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keyspace {
    pub keys: u64,
    pub zipf_s: f64,
    /// Hit rate that the formula predicts for this keyspace.
    pub predicted_hit_rate: f64,
    /// Share of key-addressed traffic that goes to the top 1% of keys.
    pub top1_share: f64,
}

const EXACT_RANKS: u64 = 1_000;
const BUCKET_RATIO: f64 = 1.02;
pub const MAX_KEYS: u64 = 1 << 30;

/// sum_{k=1..=n} k^-s.
pub fn harmonic(n: u64, s: f64) -> f64 {
    let exact = n.min(EXACT_RANKS);
    let mut sum = 0.0;
    for k in 1..=exact {
        sum += libm::pow(k as f64, -s);
    }
    if n > exact {
        sum += tail_weight(exact + 1, n, s);
    }
    sum
}

/// Approximates sum_{k=a..=b} k^-s for a >= 2 by the midpoint integral.
fn tail_weight(a: u64, b: u64, s: f64) -> f64 {
    let lo = a as f64 - 0.5;
    let hi = b as f64 + 0.5;
    if (s - 1.0).abs() < 1e-12 {
        libm::log(hi / lo)
    } else {
        (libm::pow(hi, 1.0 - s) - libm::pow(lo, 1.0 - s)) / (1.0 - s)
    }
}

/// Share of traffic that goes to the top `fraction` of `n` keys.
pub fn top_share(n: u64, s: f64, fraction: f64) -> f64 {
    let top = ((n as f64 * fraction) as u64).max(1);
    harmonic(top, s) / harmonic(n, s)
}

/// Probability that a read of a key with these rates finds it cached.
pub fn fill_probability(lr: f64, lw: f64, ld: f64, ttl_s: f64, miss_delay_s: f64) -> f64 {
    let a = lr + lw;
    if a <= 0.0 {
        return 0.0;
    }
    let q = lw + ld;
    let m = if q * ttl_s < 1e-9 {
        ttl_s
    } else {
        let e = -libm::expm1(-q * ttl_s); // 1 - e^{-qT}
        (e / q) / (1.0 - (lw / q) * e)
    };
    // after a read misses, the key stays empty for the miss window D (its
    // backfill SET lands then), unless a write's SET fills it first
    let window = if lw * miss_delay_s < 1e-9 {
        miss_delay_s
    } else {
        -libm::expm1(-lw * miss_delay_s) / lw
    };
    let empty = 1.0 / a + window * lr / a;
    m / (m + empty)
}

/// Visits (weight, rank-representative) pairs covering ranks 1..=n.
fn for_each_bucket(n: u64, s: f64, mut f: impl FnMut(f64, f64)) {
    let exact = n.min(EXACT_RANKS);
    for k in 1..=exact {
        f(libm::pow(k as f64, -s), k as f64);
    }
    let mut a = exact + 1;
    while a <= n {
        let b = ((a as f64 * BUCKET_RATIO) as u64).max(a).min(n);
        let w = tail_weight(a, b, s);
        // the rank whose p equals the bucket's mean p
        let rep = libm::pow(w / (b - a + 1) as f64, -1.0 / s);
        f(w, rep);
        a = b + 1;
    }
}

/// Steady-state read hit rate predicted for keyspace (n, s).
pub fn expected_hit_rate(n: u64, s: f64, rates: KeyRates, ttl_s: f64, miss_delay_s: f64) -> f64 {
    let h = harmonic(n, s);
    let mut hit = 0.0;
    for_each_bucket(n, s, |w, rep| {
        let p = libm::pow(rep, -s) / h;
        hit += (w / h)
            * fill_probability(
                rates.reads * p,
                rates.writes * p,
                rates.deletes * p,
                ttl_s,
                miss_delay_s,
            );
    });
    hit
}

/// Expected number of cached keys in steady state (before any memory limit).
pub fn expected_live_keys(n: u64, s: f64, rates: KeyRates, ttl_s: f64, miss_delay_s: f64) -> f64 {
    let h = harmonic(n, s);
    let mut live = 0.0;
    for_each_bucket(n, s, |w, rep| {
        let p = libm::pow(rep, -s) / h;
        let count = w / libm::pow(rep, -s);
        live += count
            * fill_probability(
                rates.reads * p,
                rates.writes * p,
                rates.deletes * p,
                ttl_s,
                miss_delay_s,
            );
    });
    live
}

fn solve_keys(s: f64, target: f64, rates: KeyRates, ttl_s: f64, d: f64) -> u64 {
    // The hit rate is not monotone in n: with very few keys each key is so hot
    // that deletes (each followed by a miss window of length D with no
    // coalescing) keep it mostly empty. Past its peak the hit rate falls as
    // the keyspace grows; solve on that branch.
    let hit = |n: u64| expected_hit_rate(n, s, rates, ttl_s, d);
    let mut peak = (1u64, hit(1));
    let mut n = 2u64;
    while n <= MAX_KEYS {
        let h = hit(n);
        if h > peak.1 {
            peak = (n, h);
        }
        n *= 2;
    }
    if peak.1 <= target {
        return peak.0;
    }
    if hit(MAX_KEYS) >= target {
        return MAX_KEYS;
    }
    let (mut lo, mut hi) = (peak.0, MAX_KEYS);
    while hi - lo > 1 && (hi as f64) > lo as f64 * 1.000_05 {
        let mid = libm::sqrt(lo as f64 * hi as f64) as u64;
        let mid = mid.clamp(lo + 1, hi - 1);
        if hit(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

pub fn solve_exponent(n: u64, share: f64) -> f64 {
    let (mut lo, mut hi) = (0.01, 4.0);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if top_share(n, mid, 0.01) < share {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Finds (n, s) such that the predicted hit rate is `target` and the top 1%
/// of keys take `top1_share` of the traffic (when n >= 100 makes that meaningful).
pub fn derive_keyspace(
    target: f64,
    top1_share: f64,
    rates: KeyRates,
    ttl_s: f64,
    miss_delay_s: f64,
) -> Keyspace {
    let mut s = 0.9;
    let mut n = solve_keys(s, target, rates, ttl_s, miss_delay_s);
    for _ in 0..12 {
        let s_new = if n >= 100 {
            solve_exponent(n, top1_share)
        } else {
            s
        };
        let n_new = solve_keys(s_new, target, rates, ttl_s, miss_delay_s);
        let converged = (s_new - s).abs() < 1e-6 && n_new == n;
        s = s_new;
        n = n_new;
        if converged {
            break;
        }
    }
    Keyspace {
        keys: n,
        zipf_s: s,
        predicted_hit_rate: expected_hit_rate(n, s, rates, ttl_s, miss_delay_s),
        top1_share: top_share(n, s, 0.01),
    }
}

/// A keyspace given by the scenario (`keys`, and `zipf_s` or the top 1%
/// share): what it is predicted to give at these rates and TTL.
pub fn given_keyspace(
    keys: u64,
    zipf_s: Option<f64>,
    top1_share: f64,
    rates: KeyRates,
    ttl_s: f64,
    miss_delay_s: f64,
) -> Keyspace {
    let s = zipf_s.unwrap_or_else(|| {
        if keys >= 100 {
            solve_exponent(keys, top1_share)
        } else {
            0.9
        }
    });
    Keyspace {
        keys,
        zipf_s: s,
        predicted_hit_rate: expected_hit_rate(keys, s, rates, ttl_s, miss_delay_s),
        top1_share: top_share(keys, s, 0.01),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_RATES: KeyRates = KeyRates {
        reads: 7_500.0,
        writes: 1_500.0,
        deletes: 500.0,
    };

    #[test]
    fn harmonic_tail_approximation_is_tight() {
        for &s in &[0.7, 0.9, 1.0, 1.2] {
            let n = 200_000u64;
            let exact: f64 = (1..=n).map(|k| libm::pow(k as f64, -s)).sum();
            let approx = harmonic(n, s);
            assert!(
                (approx / exact - 1.0).abs() < 1e-6,
                "s={s} {approx} {exact}"
            );
        }
    }

    #[test]
    fn fill_probability_reduces_to_textbook_non_reset_ttl() {
        for &l in &[0.001, 0.1, 3.0, 100.0] {
            let p = fill_probability(l, 0.0, 0.0, 300.0, 0.0);
            let textbook = l * 300.0 / (1.0 + l * 300.0);
            assert!((p - textbook).abs() < 1e-12);
        }
    }

    #[test]
    fn writes_and_deletes_move_the_hit_rate() {
        // model-facts: at the seed's mix they move the overall hit rate by more than a point
        let ks = derive_keyspace(0.85, 0.5, SEED_RATES, 300.0, 0.02);
        let reads_only = KeyRates {
            reads: 7_500.0,
            writes: 0.0,
            deletes: 0.0,
        };
        let ignoring = expected_hit_rate(ks.keys, ks.zipf_s, reads_only, 300.0, 0.02);
        assert!(
            (ignoring - ks.predicted_hit_rate).abs() > 0.01,
            "{ignoring} vs {}",
            ks.predicted_hit_rate
        );
    }

    #[test]
    fn derived_keyspace_meets_both_targets() {
        let ks = derive_keyspace(0.85, 0.5, SEED_RATES, 300.0, 0.02);
        assert!((ks.predicted_hit_rate - 0.85).abs() < 1e-3, "{ks:?}");
        assert!((ks.top1_share - 0.5).abs() < 1e-3, "{ks:?}");
        assert!(ks.keys > 100_000 && ks.keys < 5_000_000, "{ks:?}");
        // more traffic needs many more keys for the same hit rate (not ten times:
        // hot keys are capped by their delete-and-miss windows, which do not scale)
        let big = KeyRates {
            reads: 75_000.0,
            writes: 15_000.0,
            deletes: 5_000.0,
        };
        let ks10 = derive_keyspace(0.85, 0.5, big, 300.0, 0.02);
        let ratio = ks10.keys as f64 / ks.keys as f64;
        assert!(ratio > 5.0 && ratio < 13.0, "{ratio}");
    }

    #[test]
    fn unreachable_targets_clamp() {
        let tiny = KeyRates {
            reads: 0.001,
            writes: 0.0,
            deletes: 0.0,
        };
        let ks = derive_keyspace(0.99, 0.5, tiny, 1.0, 0.0);
        assert_eq!(ks.keys, 1);
    }
}
