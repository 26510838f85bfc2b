//! The model's DB slowdown past its cores, fitted to a measured connection
//! curve.
//!
//! The core slows a query's CPU part by
//! `1 + alpha d + crowding (1 - exp(-d / connections))` with `d` active
//! backends beyond the cores (`DbConfig::contention`, `crowding`,
//! `crowding_connections`), so a closed loop of `n` busy connections serves
//! `peak / slowdown(n - knee)` queries/s. The fit minimises the squared
//! *relative* (log) errors over the points from the peak's connection count
//! up: below it the closed loop's round trips, not contention, hold the
//! throughput down; and the model is judged by its relative error at every
//! count, where a least-squares fit of 1 / X would let the largest counts,
//! whose 1 / X is largest, set the parameters alone.

use crate::measure::CurvePoint;

/// The fitted slowdown's parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Contention {
    /// `db.contention`: each active backend beyond the cores
    pub alpha: f64,
    /// `db.crowding`: the cores' caches full of other backends
    pub crowding: f64,
    /// `db.crowding_connections`: backends over which crowding builds up
    pub connections: f64,
}

impl Contention {
    /// The parameters as the scenario's fields.
    pub fn describe(&self) -> String {
        format!(
            "db.contention {:.4}, db.crowding {:.3} over {:.1} connections",
            self.alpha, self.crowding, self.connections
        )
    }

    /// The same, short enough for a chart's legend.
    pub fn short(&self) -> String {
        format!(
            "contention {:.4}, crowding {:.2}/{:.0}",
            self.alpha, self.crowding, self.connections
        )
    }

    /// How many times longer a query's CPU part runs `d` backends past the cores.
    pub fn slowdown(&self, d: f64) -> f64 {
        let crowd = if self.crowding > 0.0 {
            self.crowding * (1.0 - (-d / self.connections.max(0.01)).exp())
        } else {
            0.0
        };
        1.0 + self.alpha * d + crowd
    }
}

/// The e-folding counts tried for crowding (log-spaced, 1 to ~300).
fn scales() -> impl Iterator<Item = f64> {
    (0..=25).map(|i| 10f64.powf(i as f64 / 10.0))
}

/// The minimum of `f` on `[lo, hi]` by golden sections.
fn golden(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let (a, b) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if f(a) <= f(b) {
            hi = b;
        } else {
            lo = a;
        }
    }
    (lo + hi) / 2.0
}

/// The parameters of `peak / slowdown(n - knee)` closest to the points in
/// log terms; with `crowded` false, `alpha` alone (crowding 0). Searched
/// within alpha in [0, 1], crowding in [0, 20] and its scale in [1, 316]
/// connections, inside the core's bounds for the three fields.
pub fn fit(pts: &[CurvePoint], knee: u32, peak: f64, crowded: bool) -> Contention {
    let from = pts
        .iter()
        .filter(|p| p.qps >= peak)
        .map(|p| p.connections)
        .min()
        .unwrap_or(knee);
    let obs: Vec<(f64, f64)> = pts
        .iter()
        .filter(|p| p.connections > knee && p.connections >= from && p.qps > 0.0)
        .map(|p| ((p.connections - knee) as f64, (peak / p.qps).ln()))
        .collect();
    if obs.is_empty() || peak <= 0.0 {
        return Contention::default();
    }
    let cost = |c: &Contention| -> f64 {
        obs.iter()
            .map(|&(d, y)| (c.slowdown(d).ln() - y).powi(2))
            .sum()
    };
    // alpha for a given crowding: a golden search between 0 and a bound
    // past any slope the points show
    let best_alpha = |crowding: f64, connections: f64| -> Contention {
        let with = |alpha: f64| Contention {
            alpha,
            crowding,
            connections,
        };
        with(golden(0.0, 1.0, |a| cost(&with(a))).max(0.0))
    };
    if !crowded {
        return best_alpha(0.0, 1.0);
    }
    let mut best = best_alpha(0.0, 1.0);
    for connections in scales() {
        let crowding = golden(0.0, 20.0, |a| cost(&best_alpha(a, connections)));
        let c = best_alpha(crowding, connections);
        if cost(&c) < cost(&best) {
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(connections: u32, qps: f64) -> CurvePoint {
        CurvePoint {
            connections,
            qps,
            ..Default::default()
        }
    }

    /// A closed loop's curve from `c` (knee 1), with a rising part below the peak.
    fn curve(peak: f64, c: &Contention) -> Vec<CurvePoint> {
        let mut pts = vec![point(1, peak * 0.25), point(2, peak * 0.6), point(4, peak)];
        for n in [8, 16, 32, 50, 64, 100, 128, 200, 300] {
            pts.push(point(n, peak / c.slowdown((n - 4) as f64)));
        }
        pts
    }

    #[test]
    fn recovers_the_parameters_that_made_the_curve() {
        let peak = 40_000.0;
        for want in [
            Contention::default(),
            Contention {
                alpha: 0.0125,
                ..Default::default()
            },
            Contention {
                alpha: 0.008,
                crowding: 0.5,
                connections: 25.0,
            },
        ] {
            let got = fit(&curve(peak, &want), 4, peak, true);
            for n in [8.0, 50.0, 200.0, 300.0] {
                let (g, w) = (got.slowdown(n), want.slowdown(n));
                assert!((g / w - 1.0).abs() < 0.01, "{want:?}: {got:?} at {n}");
            }
            let alone = fit(&curve(peak, &want), 4, peak, false);
            if want.crowding == 0.0 {
                assert!((alone.alpha - want.alpha).abs() < 1e-6, "{alone:?}");
            }
        }
    }

    #[test]
    fn crowding_follows_a_fall_that_flattens_where_alpha_alone_cannot() {
        // steep to 32, flat after: the shape PostgreSQL showed on one core
        let peak = 44_000.0;
        let want = Contention {
            alpha: 0.004,
            crowding: 0.9,
            connections: 12.0,
        };
        let pts = curve(peak, &want);
        let err = |c: &Contention| {
            pts.iter()
                .filter(|p| p.connections >= 4)
                .map(|p| (peak / c.slowdown((p.connections - 4) as f64) / p.qps - 1.0).abs())
                .fold(0.0, f64::max)
        };
        assert!(err(&fit(&pts, 4, peak, true)) < 0.01);
        assert!(err(&fit(&pts, 4, peak, false)) > 0.15);
    }

    #[test]
    fn relative_errors_keep_a_cliff_from_setting_alpha() {
        // 1 / X rises by 1 every 10 connections up to 100, then a cliff at
        // 300; a least-squares fit of 1 / X (computed here) follows the
        // cliff, the log fit keeps the points before it close
        let peak = 10_000.0;
        let mut pts = vec![point(1, peak)];
        for n in (11..=101).step_by(10) {
            pts.push(point(n, peak / (1.0 + (n - 1) as f64 / 10.0)));
        }
        pts.push(point(301, peak / 100.0));
        let real51 = peak / 6.0;
        let c = fit(&pts, 1, peak, false);
        let x51 = peak / c.slowdown(50.0);
        assert!(
            (x51 / real51 - 1.0).abs() < 0.15,
            "{c:?}: {x51} vs {real51}"
        );
        let (num, den) = pts.iter().skip(1).fold((0.0, 0.0), |(n, d), p| {
            let x = (p.connections - 1) as f64;
            (n + (peak / p.qps - 1.0) * x, d + x * x)
        });
        let linear51 = peak / (1.0 + num / den * 50.0);
        assert!((linear51 / real51 - 1.0).abs() > 0.5, "{linear51}");
    }
}
