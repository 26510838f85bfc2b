//! A token bucket: `rate` tokens a second, at most `burst` saved up; a call
//! that finds a token takes it. The circuit breaker's DB budget and the LB's
//! per-client rate limit are each one.

use crate::time::{to_secs, Nanos};

#[derive(Clone, Copy, Debug, Default)]
pub struct TokenBucket {
    tokens: f64,
    refilled: Nanos,
}

impl TokenBucket {
    /// Refills for the time since the last call, then takes a token if
    /// there is one.
    pub fn take(&mut self, now: Nanos, rate: f64, burst: f64) -> bool {
        let earned = to_secs(now.saturating_sub(self.refilled)) * rate;
        self.tokens = (self.tokens + earned).min(burst);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn admits_its_rate_and_its_burst() {
        let mut b = TokenBucket::default();
        assert!(!b.take(0, 10.0, 5.0), "starts empty");
        // a second earns 10 tokens, capped at the burst of 5
        let admitted = (0..20).filter(|_| b.take(NANOS_PER_SEC, 10.0, 5.0)).count();
        assert_eq!(admitted, 5);
        // 10 calls spread over a second at 10/s all pass
        let passed = (1..=10)
            .filter(|i| b.take(NANOS_PER_SEC + i * NANOS_PER_SEC / 10, 10.0, 5.0))
            .count();
        assert_eq!(passed, 10);
    }
}
