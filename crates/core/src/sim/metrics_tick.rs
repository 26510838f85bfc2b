//! The end of each simulated second: active expiry, and the second's metrics
//! rolled into the bounded history (V0's columns, and the cache tier's per
//! shard figures beside them).

use super::*;
use crate::metrics::TierSecond;

impl Simulation {
    pub(super) fn tick(&mut self) {
        let now = self.now;
        // active expiry: like Redis (which tolerates ~10% of keys expired but not yet
        // reclaimed) the whole table is swept every 10 s; lookups expire keys lazily
        for c in &mut self.caches {
            c.sweep(now, 0.1);
            c.grow_filler();
        }
        for r in self.replicas.iter_mut().flatten() {
            r.sweep(now, 0.1);
        }
        self.maybe_snapshot();
        self.hot_keys.roll();
        for p in &mut self.pods {
            p.breaker = Default::default();
            p.db_breaker = Default::default();
        }
        let shards = self.shard_seconds();
        self.close_idle_connections();
        self.pods_second();
        let s = &mut self.acc.s;
        s.t_s = (now / NANOS_PER_SEC) as u32 - 1;
        s.hit_rate = if s.reads > 0 {
            s.hits as f64 / s.reads as f64
        } else {
            0.0
        };
        let db_busy = self.db.busy_ns - self.acc.db_busy_mark;
        self.totals.db_busy_ns += db_busy;
        self.acc.db_busy_mark = self.db.busy_ns;
        s.db_utilization =
            (db_busy as f64 / (self.db.workers() as f64 * NANOS_PER_SEC as f64)).min(1.0);
        // the cache tier: the busiest shard's CPU, everything else summed
        s.cache_cpu = shards
            .iter()
            .map(|x| x.cpu.max(x.replica_cpu))
            .fold(0.0, f64::max);
        s.evictions = shards.iter().map(|x| x.evictions).sum();
        s.expirations = self
            .caches
            .iter_mut()
            .map(|c| std::mem::take(&mut c.expirations))
            .sum();
        self.totals.evictions += s.evictions;
        self.totals.expirations += s.expirations;
        s.db_connections = self.db.open_connections;
        (s.db_p50_ms, s.db_p99_ms) = self.db.second_latency(now);
        (s.db_query_p50_ms, s.db_query_p99_ms) = metrics::take_p50_p99(&mut self.query_latency);
        let db_cpu = self.db.cpu_busy_ns - self.acc.db_cpu_mark;
        self.acc.db_cpu_mark = self.db.cpu_busy_ns;
        s.db_cpu = (db_cpu as f64 / (self.db.cores() as f64 * NANOS_PER_SEC as f64)).min(1.0);
        s.db_in_flight = self.querying;
        s.pool_waiters = self.pods.iter().map(|p| p.waiting).sum();
        s.cache_memory_bytes = self.caches.iter().map(|c| c.used_bytes()).sum();
        let max_bytes: u64 = self.caches.iter().map(|c| c.max_bytes).sum();
        s.cache_memory_fraction = s.cache_memory_bytes as f64 / max_bytes.max(1) as f64;
        s.cache_keys = self.caches.iter().map(|c| c.keys()).sum();
        let lat = &self.acc.lat;
        s.p50_ms = metrics::percentile_ms(&lat.all, 0.50);
        s.p95_ms = metrics::percentile_ms(&lat.all, 0.95);
        s.p99_ms = metrics::percentile_ms(&lat.all, 0.99);
        s.max_ms = metrics::max_ms(&lat.all);
        s.hit_p50_ms = metrics::percentile_ms(&lat.hit, 0.50);
        s.hit_p99_ms = metrics::percentile_ms(&lat.hit, 0.99);
        s.miss_p50_ms = metrics::percentile_ms(&lat.miss, 0.50);
        s.miss_p99_ms = metrics::percentile_ms(&lat.miss, 0.99);
        let with_failures = if lat.failed.is_empty() {
            None
        } else {
            Some(lat.with_failures())
        };
        let all = with_failures.as_ref().unwrap_or(&lat.all);
        s.with_failures_p50_ms = metrics::percentile_ms(all, 0.50);
        s.with_failures_p99_ms = metrics::percentile_ms(all, 0.99);
        s.lb_queue = self.lb.queue_len(now);
        s.in_flight = self.client_in_flight;
        s.server_in_flight = self.requests.live() as u64;
        self.peak_db_offered = self.peak_db_offered.max(s.db_offered);
        if let Some(st) = &mut self.stream {
            s.stream_published = std::mem::take(&mut st.published);
            s.stream_applied = std::mem::take(&mut st.applied);
            s.stream_backlog = st.backlog();
            s.stream_lag_ms = st.oldest_age(now) as f64 / 1e6;
            self.totals.stream_published += s.stream_published;
            self.totals.stream_applied += s.stream_applied;
            self.totals.stream_retried += std::mem::take(&mut st.retried);
            self.totals.stream_delay_ns += std::mem::take(&mut st.delay_ns);
        }
        let done = std::mem::take(&mut self.acc.s);
        let tier = self.tier_second(shards);
        self.history.push(done, tier);
        self.total_lat.add(&self.acc.lat);
        self.acc.lat.reset();
        self.queue.push(now + NANOS_PER_SEC, Ev::Tick);
    }

    /// The pools close connections idle longer than `app.pool_idle_timeout_s`.
    fn close_idle_connections(&mut self) {
        let idle = self.scenario.app.pool_idle_timeout_s;
        if idle <= 0.0 {
            return;
        }
        let cutoff = self.now.saturating_sub(from_secs(idle));
        for p in &mut self.pods {
            let n = p.close_idle_before(cutoff);
            self.db.disconnect(n);
        }
    }

    /// Each shard's second; its counters restart.
    fn shard_seconds(&mut self) -> Vec<ShardSecond> {
        let now = self.now;
        let mut busy_total = 0;
        let out = self
            .caches
            .iter_mut()
            .zip(self.replicas.iter_mut())
            .map(|(c, replicas)| {
                let busy = c.take_busy(now);
                busy_total += busy;
                // a shard's reads: its primary's and its replicas'
                let mut reads = std::mem::take(&mut c.lookups);
                let mut hits = std::mem::take(&mut c.hits);
                let mut replica_cpu: f64 = 0.0;
                let mut replica_ops = 0;
                for r in replicas.iter_mut() {
                    reads += std::mem::take(&mut r.lookups);
                    hits += std::mem::take(&mut r.hits);
                    let busy = r.take_busy(now);
                    replica_cpu = replica_cpu.max((busy as f64 / NANOS_PER_SEC as f64).min(1.0));
                    replica_ops += std::mem::take(&mut r.ops);
                    r.evictions = 0;
                    r.expirations = 0;
                }
                ShardSecond {
                    up: c.up,
                    ops: std::mem::take(&mut c.ops),
                    cpu: (busy as f64 / NANOS_PER_SEC as f64).min(1.0),
                    reads,
                    hits,
                    hit_rate: if reads > 0 {
                        hits as f64 / reads as f64
                    } else {
                        0.0
                    },
                    keys: c.keys(),
                    memory_fraction: c.used_bytes() as f64 / c.max_bytes.max(1) as f64,
                    evictions: std::mem::take(&mut c.evictions),
                    replica_ops,
                    replica_cpu,
                }
            })
            .collect();
        self.totals.cache_busy_ns += busy_total;
        out
    }

    /// The proxy's and the warm-up worker's second.
    fn tier_second(&mut self, shards: Vec<ShardSecond>) -> TierSecond {
        let (proxy_ops, proxy_refused, proxy_utilization) = match &mut self.proxy {
            Some(p) => {
                let busy = std::mem::take(&mut p.busy_ns);
                (
                    std::mem::take(&mut p.ops),
                    std::mem::take(&mut p.refused),
                    (busy as f64 / NANOS_PER_SEC as f64).min(1.0),
                )
            }
            None => (0, 0, 0.0),
        };
        self.totals.proxy_ops += proxy_ops;
        self.totals.proxy_refused += proxy_refused;
        TierSecond {
            shards,
            proxy_ops,
            proxy_refused,
            proxy_utilization,
            db_warmup: std::mem::take(&mut self.acc.db_warmup),
            warmed: std::mem::take(&mut self.acc.warmed),
        }
    }
}
