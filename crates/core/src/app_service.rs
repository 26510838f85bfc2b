//! AppService pods and their DB connection pools.
//!
//! A pod accepts up to `max_inflight_per_pod` concurrent requests. Each pod
//! owns a pool of up to `pool_size` DB connections, opened on demand and kept
//! open while in use: a request that needs the DB takes the most recently
//! released idle connection, or opens a new
//! one (which PostgreSQL may refuse with `too many connections`), or waits in
//! the pool's FIFO queue for up to `pool_timeout_ms`. Under a thundering herd
//! this wait, not the DB itself, is where latency climbs to 500 ms and beyond.
//! A connection left idle for `pool_idle_timeout_s` is closed (HikariCP's
//! `idleTimeout`, pgx's `MaxConnIdleTime`), checked once per simulated second.
//! With single-flight on, a pod sends one query per key at a time: misses on
//! a key already being loaded wait for that load instead.
//! Each pod has CPU cores ([`crate::pod_cpu`]) that its requests' work
//! queues for, and the LB's view of its health ([`crate::health_check`]): a
//! pod whose process is down (`up` false) refuses requests at once (the LB
//! answers 502) until the LB's checks take it out of rotation.
//! The cache-aside logic that pods run is in `sim`.

use crate::request::ReqId;
use crate::time::Nanos;
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, Default)]
pub struct Pod {
    /// The LB considers it healthy (routes to it): its last checks passed.
    pub healthy: bool,
    /// Its process answers (false: crashed or hung; checks and requests fail).
    pub up: bool,
    /// The LB's record of its recent health checks.
    pub health: crate::health_check::TargetHealth,
    /// Its CPU cores, and the work they had done at the last second's end.
    pub cpu: crate::pod_cpu::PodCpu,
    pub cpu_mark: Nanos,
    /// CPU utilisation (0-1) over the last full second.
    pub cpu_utilization: f64,
    /// Part of the deployment (scaling down retires pods).
    pub active: bool,
    pub inflight: u32,
    /// Connections open in this pod's pool (busy + idle + opening).
    pub pool_open: u32,
    /// When each idle connection was released, oldest first: a request takes
    /// the newest (the back), the idle timeout closes from the front.
    pub idle_since: VecDeque<Nanos>,
    /// Requests waiting for a connection, oldest first (entries may be stale).
    pub waiters: VecDeque<ReqId>,
    pub waiting: u32,
    /// Single-flight: keys with a miss query in flight, and the requests
    /// waiting for its result.
    pub flights: BTreeMap<u32, Vec<ReqId>>,
    /// Circuit breaker on Redis: this second's commands and failures, when
    /// the open breaker lets a command through again, and its DB tokens.
    pub breaker: BreakerWindow,
    pub breaker_open_until: u64,
    pub breaker_budget: crate::token_bucket::TokenBucket,
    /// The same on the DB (pool timeouts and refused connections fail).
    pub db_breaker: BreakerWindow,
    pub db_breaker_open_until: u64,
}

/// Calls and failures in the current second (a count-based sliding window
/// of one second, like resilience4j's time-based window).
#[derive(Clone, Copy, Debug, Default)]
pub struct BreakerWindow {
    pub calls: u32,
    pub failures: u32,
}

impl BreakerWindow {
    /// Records a call; true if the breaker should open: at least
    /// `threshold` failures, and at least half of the calls.
    pub fn record(&mut self, ok: bool, threshold: u32) -> bool {
        self.calls += 1;
        if !ok {
            self.failures += 1;
        }
        !ok && self.failures >= threshold && 2 * self.failures >= self.calls
    }
}

impl Pod {
    /// A pod in rotation from the start.
    pub fn new(cores: u32) -> Self {
        Pod {
            healthy: true,
            up: true,
            active: true,
            cpu: crate::pod_cpu::PodCpu::new(cores),
            ..Pod::default()
        }
    }

    /// A pod that has just started: the LB routes to it once its health
    /// checks pass.
    pub fn starting(cores: u32) -> Self {
        Pod {
            healthy: false,
            ..Pod::new(cores)
        }
    }

    pub fn routable(&self) -> bool {
        self.healthy && self.active
    }

    /// Idle connections in the pool.
    pub fn pool_idle(&self) -> u32 {
        self.idle_since.len() as u32
    }

    pub fn busy_connections(&self) -> u32 {
        self.pool_open - self.pool_idle()
    }

    /// Closes the connections idle since before `cutoff`; returns how many.
    pub fn close_idle_before(&mut self, cutoff: Nanos) -> u32 {
        let mut n = 0;
        while self.idle_since.front().is_some_and(|&t| t < cutoff) {
            self.idle_since.pop_front();
            self.pool_open -= 1;
            n += 1;
        }
        n
    }
}
