//! Dots in flight (pure, tested natively). Each traced hop of the core
//! becomes a dot that crosses its edge in a fixed wall-clock time (a real hop
//! takes a millisecond, far too quick to see), started at the wall time that
//! matches its simulated start within the frame, so dots are spread evenly
//! and their density on an edge follows that edge's traffic.

use cachesim_core::{Hop, HopKind};
use std::collections::{HashMap, VecDeque};

/// Wall seconds a dot takes to cross an edge of unknown length.
pub const TRAVEL_S: f64 = 0.7;
/// Dots move at this speed (CSS pixels per wall second), so that their
/// spacing, not only their number, follows an edge's traffic.
pub const SPEED_PX_S: f64 = 220.0;
/// Shortest crossing time, for short edges.
pub const MIN_TRAVEL_S: f64 = 0.25;
/// Slow hops (a DB query behind a queue) travel at their real pace, up to this.
pub const MAX_TRAVEL_S: f64 = 3.0;
/// Dots alive at once, at most.
pub const MAX_DOTS: usize = 6_000;

/// What a dot means, for its colour and the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DotClass {
    Request,
    Hit,
    Miss,
    CacheWrite,
    Db,
    Response,
    Error,
}

impl DotClass {
    /// In drawing order: the most telling outcomes last, on top.
    pub const ALL: [DotClass; 7] = [
        DotClass::Request,
        DotClass::CacheWrite,
        DotClass::Response,
        DotClass::Db,
        DotClass::Hit,
        DotClass::Miss,
        DotClass::Error,
    ];

    pub fn of(kind: HopKind) -> DotClass {
        match kind {
            HopKind::Request | HopKind::CacheGet => DotClass::Request,
            HopKind::CacheHit => DotClass::Hit,
            HopKind::CacheMiss => DotClass::Miss,
            HopKind::CacheWrite => DotClass::CacheWrite,
            HopKind::DbQuery | HopKind::DbReply => DotClass::Db,
            HopKind::Response => DotClass::Response,
            HopKind::Error => DotClass::Error,
        }
    }

    /// Told apart by every pair, in normal vision and with protanopia,
    /// deuteranopia and tritanopia (Machado et al. 2009 at full severity):
    /// CIE76 distance at least 24 (checked in the browser, `truth.test.mjs`);
    /// from Okabe-Ito's and Paul Tol's colour-blind-safe palettes.
    pub fn color(self) -> &'static str {
        match self {
            DotClass::Request => "#2563eb",
            DotClass::Hit => "#16a34a",
            DotClass::Miss => "#e69f00",
            DotClass::CacheWrite => "#aa3377",
            DotClass::Db => "#332288",
            DotClass::Response => "#000000",
            DotClass::Error => "#cc3311",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DotClass::Request => "request / GET",
            DotClass::Hit => "cache hit",
            DotClass::Miss => "miss (goes to the DB)",
            DotClass::CacheWrite => "SET / DEL",
            DotClass::Db => "DB query",
            DotClass::Response => "response",
            DotClass::Error => "error",
        }
    }

    /// A word or two, for the compact legend of `?embed`.
    pub fn short_label(self) -> &'static str {
        match self {
            DotClass::Request => "GET",
            DotClass::Hit => "hit",
            DotClass::Miss => "miss",
            DotClass::CacheWrite => "SET/DEL",
            DotClass::Db => "DB",
            DotClass::Response => "reply",
            DotClass::Error => "error",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    pub from: u16,
    pub to: u16,
    pub kind: HopKind,
    /// Wall-clock start and travel time, seconds.
    pub t0: f64,
    pub dur: f64,
}

impl Dot {
    /// Fraction of the edge crossed at wall time `t` (may be < 0 or > 1).
    pub fn progress(&self, t: f64) -> f64 {
        (t - self.t0) / self.dur
    }
}

#[derive(Clone, Debug, Default)]
pub struct Dots {
    pub dots: VecDeque<Dot>,
    /// Length of each edge's path in pixels (from the layout), when known.
    pub lengths: HashMap<(u16, u16), f64>,
}

impl Dots {
    /// Adds a frame's hops. `frame_now_s` is the simulated time at the end of
    /// the frame, `wall_now` the wall clock (s), `speed` simulated seconds per
    /// wall second achieved in this frame.
    pub fn push_frame(&mut self, hops: &[Hop], frame_now_s: f64, wall_now: f64, speed: f64) {
        let speed = speed.max(1e-6);
        for h in hops {
            let offset = ((h.start_s - frame_now_s) / speed).clamp(-0.25, 0.0);
            let real = ((h.end_s - h.start_s) / speed).max(0.0);
            let travel = self
                .lengths
                .get(&(h.from, h.to))
                .map_or(TRAVEL_S, |len| len / SPEED_PX_S);
            let dur = travel.max(real).clamp(MIN_TRAVEL_S, MAX_TRAVEL_S);
            self.dots.push_back(Dot {
                from: h.from,
                to: h.to,
                kind: h.kind,
                t0: wall_now + offset,
                dur,
            });
        }
        while self.dots.len() > MAX_DOTS {
            self.dots.pop_front();
        }
    }

    /// Drops the dots that arrived.
    pub fn retire(&mut self, wall_now: f64) {
        self.dots.retain(|d| d.progress(wall_now) < 1.0);
    }

    pub fn clear(&mut self) {
        self.dots.clear();
    }

    pub fn len(&self) -> usize {
        self.dots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(start: f64, end: f64) -> Hop {
        Hop {
            from: 0,
            to: 1,
            kind: HopKind::Request,
            start_s: start,
            end_s: end,
        }
    }

    #[test]
    fn dots_spread_over_the_frame_and_retire() {
        let mut d = Dots::default();
        d.push_frame(&[hop(9.99, 9.991), hop(10.0, 10.001)], 10.0, 100.0, 1.0);
        assert_eq!(d.len(), 2);
        assert!((d.dots[0].t0 - 99.99).abs() < 1e-9);
        assert_eq!(d.dots[1].t0, 100.0);
        assert_eq!(d.dots[0].dur, TRAVEL_S);
        d.retire(100.5);
        assert_eq!(d.len(), 2);
        d.retire(100.0 + TRAVEL_S + 0.01);
        assert!(d.is_empty());
    }

    #[test]
    fn slow_hops_travel_slower_and_counts_stay_bounded() {
        let mut d = Dots::default();
        d.push_frame(&[hop(0.0, 2.0)], 0.0, 0.0, 1.0);
        assert_eq!(d.dots[0].dur, 2.0);
        d.push_frame(&[hop(0.0, 20.0)], 0.0, 0.0, 1.0);
        assert_eq!(d.dots[1].dur, MAX_TRAVEL_S);
        // with the layout's lengths: constant speed, bounded
        d.lengths.insert((0, 1), SPEED_PX_S * 0.5);
        d.push_frame(&[hop(0.0, 0.0)], 0.0, 0.0, 1.0);
        assert!((d.dots[2].dur - 0.5).abs() < 1e-9);
        d.lengths.insert((0, 1), 1.0);
        d.push_frame(&[hop(0.0, 0.0)], 0.0, 0.0, 1.0);
        assert_eq!(d.dots[3].dur, MIN_TRAVEL_S);
        d.clear();
        let many: Vec<Hop> = (0..MAX_DOTS + 100).map(|_| hop(0.0, 0.0)).collect();
        d.push_frame(&many, 0.0, 0.0, 1.0);
        assert_eq!(d.len(), MAX_DOTS);
    }

    #[test]
    fn every_kind_has_a_class_colour_and_label() {
        use HopKind::*;
        for k in [
            Request, CacheGet, CacheHit, CacheMiss, CacheWrite, DbQuery, DbReply, Response, Error,
        ] {
            let c = DotClass::of(k);
            assert!(c.color().starts_with('#'));
            assert!(!c.label().is_empty());
            assert!(DotClass::ALL.contains(&c));
        }
    }
}
