//! CacheProxyService (V1): every Redis command from the pods passes through
//! it on its way to the shard that owns the key.
//!
//! It forwards commands one after another at `capacity_ops` (a FIFO server,
//! like the LB), adds `latency_ms` to each command's round trip, and refuses a
//! command that would wait more than `max_queue_ms` (the app sees a failed
//! command; a GET then falls through to the DB). Its single-flight table, one
//! for all pods, lives in `sim` beside the pods' own.
//!
//! Defaults: 0.2 ms added round trip (an in-datacentre hop through a proxy
//! such as Envoy or twemproxy costs 0.1-0.3 ms) and 300K commands/s, twice
//! what three 50K ops/s shards execute, so with the seed's numbers the shards
//! saturate before the proxy does.

use crate::scenario::ProxyConfig;
use crate::time::{from_ms, Nanos, NANOS_PER_SEC};

#[derive(Clone, Debug)]
pub struct CacheProxy {
    busy_until: Nanos,
    service_ns: Nanos,
    /// Half the added round trip: proxy -> shard, or shard -> proxy.
    pub half_latency: Nanos,
    max_queue: Nanos,
    pub single_flight: bool,
    pub capacity_ops: f64,
    pub latency_ms: f64,
    /// Counters, read by the metrics.
    pub busy_ns: u64,
    pub ops: u64,
    pub refused: u64,
}

impl CacheProxy {
    pub fn new(cfg: &ProxyConfig) -> CacheProxy {
        CacheProxy {
            busy_until: 0,
            service_ns: ((NANOS_PER_SEC as f64 / cfg.capacity_ops) + 0.5) as Nanos,
            half_latency: from_ms(cfg.latency_ms) / 2,
            max_queue: from_ms(cfg.max_queue_ms),
            single_flight: cfg.single_flight,
            capacity_ops: cfg.capacity_ops,
            latency_ms: cfg.latency_ms,
            busy_ns: 0,
            ops: 0,
            refused: 0,
        }
    }

    /// A command reaches the proxy at `arrive`. Returns when it leaves for
    /// its shard, or `None` if the proxy's queue is too long.
    pub fn forward(&mut self, arrive: Nanos) -> Option<Nanos> {
        let start = self.busy_until.max(arrive);
        if start - arrive > self.max_queue {
            self.refused += 1;
            return None;
        }
        self.busy_until = start + self.service_ns;
        self.busy_ns += self.service_ns;
        self.ops += 1;
        Some(self.busy_until)
    }

    /// Commands waiting or being forwarded at `now`.
    pub fn queue_len(&self, now: Nanos) -> u64 {
        self.busy_until
            .saturating_sub(now)
            .div_ceil(self.service_ns.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_fifo_at_its_capacity_and_refuses_past_its_queue() {
        let cfg = ProxyConfig {
            capacity_ops: 100_000.0,
            max_queue_ms: 0.05,
            ..ProxyConfig::default()
        };
        let mut p = CacheProxy::new(&cfg);
        // 10 us per command
        assert_eq!(p.forward(0), Some(10_000));
        assert_eq!(p.forward(0), Some(20_000));
        assert_eq!(p.forward(100_000), Some(110_000));
        // five more queue up to 50 us; the next one would wait 60 us
        for _ in 0..5 {
            assert!(p.forward(100_000).is_some());
        }
        assert_eq!(p.forward(100_000), None);
        assert_eq!((p.ops, p.refused), (8, 1));
    }
}
