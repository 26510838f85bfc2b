//! The M/G/1 queue of a single-threaded server, computed independently of
//! the simulator: Poisson arrivals at `lambda` per second, FCFS, service
//! times of mean `s` seconds and coefficient of variation `cv` (0:
//! deterministic, M/D/1, what the core's Redis does; otherwise gamma
//! distributed). The mean wait is Pollaczek-Khinchine's; the waiting-time
//! quantiles use the exact atom P(W = 0) = 1 - rho and the Cramer-Lundberg
//! tail P(W > t) ~ C exp(-gamma t), where gamma solves
//! lambda (M_S(gamma) - 1) = gamma (M_S the service time's moment
//! generating function) and C = (1 - rho) / (lambda M_S'(gamma) - 1);
//! for M/D/1 at small lambda t, Erlang's exact distribution instead.
//! For exponential service this is M/M/1's exact P(W > t) = rho e^{-(mu - lambda) t};
//! for M/D/1 it is within a few percent at the 50th-99th percentiles
//! (the tests check both).

/// One M/G/1 server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mg1 {
    /// arrivals per second
    pub lambda: f64,
    /// mean service time, seconds
    pub s: f64,
    /// service-time coefficient of variation
    pub cv: f64,
}

impl Mg1 {
    pub fn rho(&self) -> f64 {
        self.lambda * self.s
    }

    /// The mean wait, Pollaczek-Khinchine: `E[W] = rho s (1 + cv^2) / (2 (1 - rho))`; infinite at rho >= 1.
    pub fn mean_wait(&self) -> f64 {
        let r = self.rho();
        if r >= 1.0 {
            f64::INFINITY
        } else {
            r * self.s * (1.0 + self.cv * self.cv) / (2.0 * (1.0 - r))
        }
    }

    /// M_S(g) and M_S'(g); None past the gamma distribution's pole.
    fn mgf(&self, g: f64) -> Option<(f64, f64)> {
        if self.cv < 1e-6 {
            let e = (g * self.s).exp();
            return Some((e, self.s * e));
        }
        let k = 1.0 / (self.cv * self.cv);
        let theta = self.s / k;
        let base = 1.0 - g * theta;
        if base <= 0.0 {
            return None;
        }
        Some((base.powf(-k), k * theta * base.powf(-k - 1.0)))
    }

    /// The tail's decay rate gamma (1/s) and constant C; None at rho >= 1.
    pub fn tail(&self) -> Option<(f64, f64)> {
        let r = self.rho();
        if !(r > 0.0 && r < 1.0) {
            return None;
        }
        let f = |g: f64| self.mgf(g).map(|(m, _)| self.lambda * (m - 1.0) - g);
        // f(0) = 0 and f falls first (f'(0) = rho - 1 < 0), then rises to
        // infinity (at the gamma distribution's pole k / s, or without
        // bound for a deterministic service): bisect between a small g
        // where f < 0 and one where f > 0
        let mut hi = if self.cv < 1e-6 {
            let mut h = (1.0 - r) / self.s;
            while f(h)? <= 0.0 {
                h *= 2.0;
            }
            h
        } else {
            (1.0 - 1e-9) / (self.s * self.cv * self.cv)
        };
        let mut lo = hi * 1e-9;
        if !(f(lo)? < 0.0 && f(hi)? > 0.0) {
            return None;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if f(mid)? > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let g = 0.5 * (lo + hi);
        let (_, dm) = self.mgf(g)?;
        let c = (1.0 - r) / (self.lambda * dm - 1.0);
        Some((g, c.min(r)))
    }

    /// M/D/1's exact P(W <= t) (Erlang): (1 - rho) sum_{k=0}^{floor(t/s)}
    /// (lambda (k s - t))^k / k! e^{lambda (t - k s)}. The terms alternate
    /// and grow like e^{lambda t}: usable while lambda t stays small.
    pub fn md1_cdf(&self, t: f64) -> f64 {
        let mut sum = 0.0;
        let mut k = 0u32;
        while k as f64 * self.s <= t {
            let x = self.lambda * (t - k as f64 * self.s);
            let log_mag = if k == 0 { 0.0 } else { k as f64 * x.ln() } - ln_factorial(k) + x;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            sum += sign * log_mag.exp();
            k += 1;
        }
        (1.0 - self.rho()) * sum
    }

    /// The q-quantile of the waiting time, seconds (0 where P(W = 0) covers
    /// it; infinite at rho >= 1). M/D/1 below lambda t = 25: Erlang's exact
    /// distribution; otherwise the exponential tail.
    pub fn wait_quantile(&self, q: f64) -> f64 {
        let Some((g, c)) = self.tail() else {
            return f64::INFINITY;
        };
        let p = 1.0 - q;
        let tail = if p >= c { 0.0 } else { (c / p).ln() / g };
        if self.cv >= 1e-6 || 1.0 - self.rho() >= q {
            return tail;
        }
        let mut hi = 2.0 * tail + 2.0 * self.s;
        if self.lambda * hi > 25.0 {
            return tail;
        }
        let mut lo = 0.0;
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.md1_cdf(mid) >= q {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// A response's q-quantile, ms: the round trip, the own service and the
    /// wait's quantile (the own service taken at its mean).
    pub fn response_ms(&self, q: f64, rtt_ms: f64, own_service_ms: f64) -> f64 {
        rtt_ms + own_service_ms + self.wait_quantile(q) * 1000.0
    }
}

/// Response-time quantiles (seconds) of a single server that works in
/// gated batches, as Redis' event loop does: when it wakes it takes every
/// command that has arrived (read from the sockets), runs them one after
/// another (deterministic `s` each), and the replies of the whole batch
/// leave together at its end (`beforeSleep` writes them). Poisson arrivals
/// at `lambda`; `n` commands simulated (a Monte Carlo, not a formula).
pub fn gated_batch_quantiles(lambda: f64, s: f64, n: usize, seed: u64, qs: &[f64]) -> Vec<f64> {
    let mut rng = cachesim_core::rng::Stream::new(seed, 3);
    let mut t = 0.0;
    let arrivals: Vec<f64> = (0..n)
        .map(|_| {
            t += rng.exponential(1.0 / lambda);
            t
        })
        .collect();
    let mut resp = Vec::with_capacity(n);
    let (mut i, mut now) = (0, 0.0f64);
    while i < n {
        now = now.max(arrivals[i]);
        let j = i + arrivals[i..].partition_point(|&a| a <= now);
        let end = now + (j - i) as f64 * s;
        resp.extend(arrivals[i..j].iter().map(|a| end - a));
        (i, now) = (j, end);
    }
    resp.sort_by(|a, b| a.total_cmp(b));
    qs.iter()
        .map(|q| resp[((q * n as f64) as usize).min(n - 1)])
        .collect()
}

fn ln_factorial(k: u32) -> f64 {
    (2..=k).map(|i| (i as f64).ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::rng::Stream;

    /// Waiting times of an FCFS single server by Lindley's recursion.
    fn lindley(q: &Mg1, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Stream::new(seed, 1);
        let mut w = 0.0f64;
        let mut out = Vec::with_capacity(n);
        let k = if q.cv > 0.0 { 1.0 / (q.cv * q.cv) } else { 0.0 };
        for _ in 0..n {
            out.push(w);
            // exponential (cv = 1) or deterministic (cv = 0) service
            let s = if k == 0.0 { q.s } else { rng.exponential(q.s) };
            let a = rng.exponential(1.0 / q.lambda);
            w = (w + s - a).max(0.0);
        }
        out.sort_by(|a, b| a.total_cmp(b));
        out
    }

    #[test]
    fn mm1_is_exact() {
        // exponential service: P(W > t) = rho e^{-(mu - lambda) t}
        let q = Mg1 {
            lambda: 800.0,
            s: 0.001,
            cv: 1.0,
        };
        let (g, c) = q.tail().unwrap();
        assert!((g - 200.0).abs() < 1e-6, "{g}");
        assert!((c - 0.8).abs() < 1e-6, "{c}");
        // p99: ln(0.8 / 0.01) / 200
        assert!((q.wait_quantile(0.99) - (80.0f64).ln() / 200.0).abs() < 1e-9);
        assert!((q.mean_wait() - 0.004).abs() < 1e-12);
    }

    #[test]
    fn md1_quantiles_match_lindley() {
        for rho in [0.5, 0.8, 0.9, 0.95] {
            let q = Mg1 {
                lambda: rho / 0.0004,
                s: 0.0004,
                cv: 0.0,
            };
            let w = lindley(&q, 4_000_000, 7);
            let mean = w.iter().sum::<f64>() / w.len() as f64;
            assert!(
                (mean / q.mean_wait() - 1.0).abs() < 0.05,
                "rho {rho}: mean {mean} vs P-K {}",
                q.mean_wait()
            );
            for p in [0.5, 0.9, 0.99] {
                let sim = w[(p * w.len() as f64) as usize];
                let f = q.wait_quantile(p);
                // (at rho 0.5 the median is at the atom P(W = 0) = 0.5: ~0 in both)
                assert!(
                    (f - sim).abs() <= 0.04 * sim + 0.02 * q.s,
                    "rho {rho} p{p}: formula {f} vs Lindley {sim}"
                );
            }
        }
    }

    #[test]
    fn gated_batches_answer_later_than_fcfs_near_saturation() {
        let q = Mg1 {
            lambda: 0.9 / 0.0004,
            s: 0.0004,
            cv: 0.0,
        };
        let g = gated_batch_quantiles(q.lambda, q.s, 400_000, 3, &[0.5, 0.99]);
        // FCFS response = wait + own service; a batch answers at its end
        let fcfs: Vec<f64> = [0.5, 0.99]
            .iter()
            .map(|&p| q.wait_quantile(p) + q.s)
            .collect();
        assert!(
            g[0] > 1.2 * fcfs[0] && g[1] > 1.2 * fcfs[1],
            "{g:?} vs {fcfs:?}"
        );
        // nearly idle, a batch is one command: the response is the service time
        let idle = gated_batch_quantiles(0.01 / 0.0004, 0.0004, 100_000, 3, &[0.5]);
        assert!((idle[0] / 0.0004 - 1.0).abs() < 1e-6, "{idle:?}");
    }

    #[test]
    fn more_variance_waits_longer_and_overload_has_no_quantile() {
        let d = Mg1 {
            lambda: 2000.0,
            s: 0.0004,
            cv: 0.0,
        };
        let g = Mg1 { cv: 0.5, ..d };
        assert!(g.wait_quantile(0.99) > d.wait_quantile(0.99));
        assert!((g.mean_wait() / d.mean_wait() - 1.25).abs() < 1e-9);
        let over = Mg1 {
            lambda: 3000.0,
            ..d
        };
        assert!(over.wait_quantile(0.5).is_infinite());
        assert!(over.mean_wait().is_infinite());
    }
}
