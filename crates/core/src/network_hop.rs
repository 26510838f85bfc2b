//! A round trip between a pod and a server (Redis or PostgreSQL), and its
//! spread.
//!
//! The request's half is a constant `rtt / 2`, so commands reach a server in
//! the order they were sent (Redis' FIFO and the DB's queue see them as the
//! pods sent them). The reply's half is the constant too, unless the
//! scenario gives the round trip's 99th percentile: then it is log-normal
//! with median `rtt / 2`, so the whole round trip keeps its median `rtt`
//! and reaches the given p99 at its 99th percentile:
//!
//! ```text
//! rtt/2 + rtt/2 * e^(z99 * sigma) = p99   =>   sigma = ln((2 p99 - rtt) / rtt) / z99
//! ```
//!
//! On a real machine the spread is the client's own: the event loop that
//! wakes for the reply, the scheduler, the other tasks it serves (a paced
//! probe on this project's 2-core machine sees a PING's p99 at 4x its
//! median; `docs/calibration.md`). A constant round trip keeps every
//! request's fast path at its median, so the model's p99 of hits and of
//! DB queries would fall far below a real client's.

use crate::rng::Stream;
use crate::time::{from_ms, Nanos};

/// The standard normal's 99th percentile.
const Z99: f64 = 2.326_347_874_040_841;

/// The longest a reply's half may take, ns (a minute: beyond every timeout;
/// a wide spread's far tail would otherwise overflow the clock).
const MAX_REPLY: f64 = 60e9;

/// A pod <-> server round trip: `rtt / 2` out, `rtt / 2` (or a log-normal
/// around it) back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetworkHop {
    /// The request's half (and the reply's median), in ns.
    pub half: Nanos,
    /// The reply half's log-normal sigma; 0: constant.
    sigma: f64,
}

impl NetworkHop {
    /// A round trip of median `rtt_ms`; `p99_ms` 0 (or not above `rtt_ms`)
    /// makes it constant.
    pub fn new(rtt_ms: f64, p99_ms: f64) -> Self {
        let half = from_ms(rtt_ms) / 2;
        let sigma = if half > 0 && p99_ms > rtt_ms {
            ((2.0 * p99_ms - rtt_ms) / rtt_ms).ln() / Z99
        } else {
            0.0
        };
        NetworkHop { half, sigma }
    }

    /// The reply's half of one round trip.
    #[inline]
    pub fn reply(&self, rng: &mut Stream) -> Nanos {
        if self.sigma == 0.0 {
            return self.half;
        }
        (self.half as f64 * libm::exp(self.sigma * rng.normal())).min(MAX_REPLY) as Nanos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips(hop: &NetworkHop, n: usize) -> Vec<f64> {
        let mut rng = Stream::new(7, 99);
        let mut v: Vec<f64> = (0..n)
            .map(|_| (hop.half + hop.reply(&mut rng)) as f64 / 1e6)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn the_round_trip_has_the_given_median_and_p99() {
        let hop = NetworkHop::new(0.144, 0.578);
        let v = round_trips(&hop, 200_000);
        let (p50, p99) = (v[v.len() / 2], v[v.len() * 99 / 100]);
        assert!((p50 / 0.144 - 1.0).abs() < 0.01, "p50 {p50}");
        assert!((p99 / 0.578 - 1.0).abs() < 0.02, "p99 {p99}");
    }

    #[test]
    fn without_a_p99_the_round_trip_is_constant() {
        for p99 in [0.0, 0.1, 0.144] {
            let hop = NetworkHop::new(0.144, p99);
            assert_eq!(hop.sigma, 0.0);
            let v = round_trips(&hop, 100);
            assert_eq!(v[0], v[99]);
            assert_eq!(hop.half, from_ms(0.144) / 2);
        }
        assert_eq!(NetworkHop::new(0.0, 5.0).sigma, 0.0);
    }

    /// The widest spread the scenario allows (1 us median, 10 s p99) stays
    /// on the clock: its far tail is cut at a minute.
    #[test]
    fn the_widest_spread_stays_bounded() {
        let hop = NetworkHop::new(0.001, 10_000.0);
        let mut rng = Stream::new(3, 1);
        let longest = (0..1_000_000).map(|_| hop.reply(&mut rng)).max().unwrap();
        assert!(longest <= 60_000_000_000, "{longest}");
        // and the draw that reaches the cap is the cap, not a wrapped value
        let far = NetworkHop {
            half: 500,
            sigma: 50.0,
        };
        assert!((0..1000).all(|_| far.reply(&mut rng) <= 60_000_000_000));
    }
}
