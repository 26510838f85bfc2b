//! Simulated time: integer nanoseconds since the start of the run.
//!
//! Integer time keeps the event order exact and identical on every platform;
//! the conversions below are the only place where floating point meets time.

/// A point in simulated time, or a duration, in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_US: Nanos = 1_000;
pub const NANOS_PER_MS: Nanos = 1_000_000;
pub const NANOS_PER_SEC: Nanos = 1_000_000_000;

/// Milliseconds (possibly fractional) to nanoseconds, rounded to the nearest nanosecond.
pub fn from_ms(ms: f64) -> Nanos {
    if ms <= 0.0 {
        0
    } else {
        (ms * NANOS_PER_MS as f64 + 0.5) as Nanos
    }
}

/// Seconds (possibly fractional) to nanoseconds.
pub fn from_secs(s: f64) -> Nanos {
    if s <= 0.0 {
        0
    } else {
        (s * NANOS_PER_SEC as f64 + 0.5) as Nanos
    }
}

pub fn to_secs(t: Nanos) -> f64 {
    t as f64 / NANOS_PER_SEC as f64
}

pub fn to_ms(t: Nanos) -> f64 {
    t as f64 / NANOS_PER_MS as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn conversions_round_trip() {
        assert_eq!(from_ms(1.5), 1_500_000);
        assert_eq!(from_secs(2.0), 2 * NANOS_PER_SEC);
        assert_eq!(from_ms(-3.0), 0);
        assert!((to_ms(from_ms(12.25)) - 12.25).abs() < 1e-9);
    }
}
