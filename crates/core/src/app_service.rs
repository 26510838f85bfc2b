//! AppService pods and their DB connection pools.
//!
//! A pod accepts up to `max_inflight_per_pod` concurrent requests. Each pod
//! owns a pool of up to `pool_size` DB connections, opened on demand and kept
//! open: a request that needs the DB takes an idle connection, or opens a new
//! one (which PostgreSQL may refuse with `too many connections`), or waits in
//! the pool's FIFO queue for up to `pool_timeout_ms`. Under a thundering herd
//! this wait, not the DB itself, is where latency climbs to 500 ms and beyond.
//! With single-flight on, a pod sends one query per key at a time: misses on
//! a key already being loaded wait for that load instead.
//! The cache-aside logic that pods run is in `sim`.

use crate::request::ReqId;
use std::collections::{BTreeMap, VecDeque};

#[derive(Clone, Debug, Default)]
pub struct Pod {
    /// Health checks pass (the LB routes to it).
    pub healthy: bool,
    /// Part of the deployment (scaling down retires pods).
    pub active: bool,
    pub inflight: u32,
    /// Connections open in this pod's pool (busy + idle + opening).
    pub pool_open: u32,
    pub pool_idle: u32,
    /// Requests waiting for a connection, oldest first (entries may be stale).
    pub waiters: VecDeque<ReqId>,
    pub waiting: u32,
    /// Single-flight: keys with a miss query in flight, and the requests
    /// waiting for its result.
    pub flights: BTreeMap<u32, Vec<ReqId>>,
}

impl Pod {
    pub fn new() -> Self {
        Pod {
            healthy: true,
            active: true,
            ..Pod::default()
        }
    }

    pub fn routable(&self) -> bool {
        self.healthy && self.active
    }

    pub fn busy_connections(&self) -> u32 {
        self.pool_open - self.pool_idle
    }
}
