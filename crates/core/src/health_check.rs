//! The AppLB's health checks (an ALB target group's): every `interval_s`
//! the LB asks each pod for its health; a pod that fails
//! `unhealthy_threshold` checks in a row stops receiving requests, one that
//! passes `healthy_threshold` in a row receives them again (or for the first
//! time, when it has just started).
//!
//! A check fails when the pod does not answer: its process is down, it is at
//! its concurrency limit and refuses the connection, or its CPU is so far
//! behind that the answer would come after `timeout_ms`. So an overloaded
//! pod is taken out of rotation like a dead one, and its load moves to the
//! others.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// Seconds between two checks of a pod (an ALB's `HealthCheckIntervalSeconds`:
    /// 30 s by default, often set to 5-10 s).
    pub interval_s: u32,
    /// A check not answered within this fails (`HealthCheckTimeoutSeconds`).
    pub timeout_ms: f64,
    /// Consecutive failures that mark a pod unhealthy (the seed: 3).
    pub unhealthy_threshold: u32,
    /// Consecutive passes that bring a pod (back) into rotation.
    pub healthy_threshold: u32,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            interval_s: 5,
            timeout_ms: 2_000.0,
            unhealthy_threshold: 3,
            healthy_threshold: 2,
        }
    }
}

/// The LB's record of one pod's recent checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetHealth {
    failed_in_a_row: u32,
    passed_in_a_row: u32,
}

impl TargetHealth {
    /// Records a check; returns whether the pod is healthy after it.
    pub fn record(&mut self, ok: bool, healthy: bool, cfg: &HealthCheckConfig) -> bool {
        if ok {
            self.passed_in_a_row += 1;
            self.failed_in_a_row = 0;
            healthy || self.passed_in_a_row >= cfg.healthy_threshold
        } else {
            self.failed_in_a_row += 1;
            self.passed_in_a_row = 0;
            healthy && self.failed_in_a_row < cfg.unhealthy_threshold
        }
    }

    /// Consecutive failed checks so far.
    pub fn failures(&self) -> u32 {
        self.failed_in_a_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_failures_in_a_row_mark_a_pod_unhealthy_and_two_passes_bring_it_back() {
        let cfg = HealthCheckConfig::default();
        let mut h = TargetHealth::default();
        let mut healthy = true;
        let mut seen = Vec::new();
        for ok in [false, false, true, false, false, false, true, true] {
            healthy = h.record(ok, healthy, &cfg);
            seen.push(healthy);
        }
        // a pass between failures resets the count: only the 6th check marks it
        assert_eq!(seen, [true, true, true, true, true, false, false, true]);
    }
}
