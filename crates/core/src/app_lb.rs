//! AppLB: the application load balancer (AWS ALB).
//!
//! It forwards each request to the next healthy pod, round-robin, adding
//! `latency_ms`. Its throughput is capped at `capacity_rps`: it processes
//! requests one after another at that rate, and a request that would wait
//! more than `max_queue_ms` gets 503. With no healthy pod it answers 502.

use crate::scenario::LbConfig;
use crate::time::{from_ms, Nanos, NANOS_PER_SEC};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbReject {
    /// 502 Bad Gateway: every pod's health check fails.
    NoHealthyPod,
    /// 503 Service Unavailable: over capacity.
    OverCapacity,
}

#[derive(Clone, Debug)]
pub struct AppLb {
    busy_until: Nanos,
    service_ns: Nanos,
    latency: Nanos,
    max_queue: Nanos,
    next: usize,
}

impl AppLb {
    pub fn new(cfg: &LbConfig) -> Self {
        AppLb {
            busy_until: 0,
            service_ns: ((NANOS_PER_SEC as f64 / cfg.capacity_rps) + 0.5) as Nanos,
            latency: from_ms(cfg.latency_ms),
            max_queue: from_ms(cfg.max_queue_ms),
            next: 0,
        }
    }

    /// Admits a request arriving at `now` for one of the pods for which
    /// `eligible(i)` holds. Returns (pod, time it reaches the pod).
    pub fn route(
        &mut self,
        now: Nanos,
        pods: usize,
        eligible: impl Fn(usize) -> bool,
    ) -> Result<(usize, Nanos), LbReject> {
        let pod = (0..pods)
            .map(|k| (self.next + k) % pods.max(1))
            .find(|&i| eligible(i));
        let Some(pod) = pod else {
            return Err(LbReject::NoHealthyPod);
        };
        let start = self.busy_until.max(now);
        if start - now > self.max_queue {
            return Err(LbReject::OverCapacity);
        }
        self.busy_until = start + self.service_ns;
        self.next = (pod + 1) % pods;
        Ok((pod, self.busy_until + self.latency))
    }

    /// Requests waiting in the LB at `now`.
    pub fn queue_len(&self, now: Nanos) -> u64 {
        self.busy_until.saturating_sub(now) / self.service_ns.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_skips_unhealthy_pods() {
        let mut lb = AppLb::new(&LbConfig::default());
        let healthy = [true, false, true];
        let picks: Vec<usize> = (0..4)
            .map(|i| lb.route(i * 1_000_000, 3, |p| healthy[p]).unwrap().0)
            .collect();
        assert_eq!(picks, vec![0, 2, 0, 2]);
        assert_eq!(
            lb.route(10_000_000, 3, |_| false),
            Err(LbReject::NoHealthyPod)
        );
    }

    #[test]
    fn adds_latency_and_rejects_over_capacity() {
        let cfg = LbConfig {
            latency_ms: 1.5,
            capacity_rps: 1000.0,
            max_queue_ms: 10.0,
        };
        let mut lb = AppLb::new(&cfg);
        let (_, at) = lb.route(0, 1, |_| true).unwrap();
        assert_eq!(at, 1_000_000 + 1_500_000);
        // 1 ms per request: the first waits 0, the next ten up to 10 ms, the rest are refused
        let mut rejected = 0;
        for _ in 0..20 {
            if lb.route(0, 1, |_| true).is_err() {
                rejected += 1;
            }
        }
        assert_eq!(rejected, 10);
    }
}
