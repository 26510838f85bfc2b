//! The end of each simulated second: active expiry, and the second's metrics
//! rolled into the bounded history.

use super::*;

impl Simulation {
    pub(super) fn tick(&mut self) {
        let now = self.now;
        // active expiry: like Redis (which tolerates ~10% of keys expired but not yet
        // reclaimed) the whole table is swept every 10 s; lookups expire keys lazily
        self.cache.sweep(now, 0.1);
        self.cache.grow_filler();
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
        let cache_busy = self.cache.busy_ns - self.acc.cache_busy_mark;
        self.totals.cache_busy_ns += cache_busy;
        self.acc.cache_busy_mark = self.cache.busy_ns;
        s.cache_cpu = (cache_busy as f64 / NANOS_PER_SEC as f64).min(1.0);
        s.evictions = self.cache.evictions - self.acc.evictions_mark;
        s.expirations = self.cache.expirations - self.acc.expirations_mark;
        self.totals.evictions += s.evictions;
        self.totals.expirations += s.expirations;
        self.acc.evictions_mark = self.cache.evictions;
        self.acc.expirations_mark = self.cache.expirations;
        s.db_connections = self.db.open_connections;
        s.db_in_flight = self.querying;
        s.pool_waiters = self.pods.iter().map(|p| p.waiting).sum();
        s.cache_memory_bytes = self.cache.used_bytes();
        s.cache_memory_fraction = s.cache_memory_bytes as f64 / self.cache.max_bytes.max(1) as f64;
        s.cache_keys = self.cache.keys();
        let lat = &self.acc.lat;
        s.p50_ms = metrics::percentile_ms(&lat.all, 0.50);
        s.p95_ms = metrics::percentile_ms(&lat.all, 0.95);
        s.p99_ms = metrics::percentile_ms(&lat.all, 0.99);
        s.max_ms = metrics::max_ms(&lat.all);
        s.hit_p50_ms = metrics::percentile_ms(&lat.hit, 0.50);
        s.hit_p99_ms = metrics::percentile_ms(&lat.hit, 0.99);
        s.miss_p50_ms = metrics::percentile_ms(&lat.miss, 0.50);
        s.miss_p99_ms = metrics::percentile_ms(&lat.miss, 0.99);
        s.lb_queue = self.lb.queue_len(now);
        s.in_flight = self.client_in_flight;
        s.server_in_flight = self.requests.live() as u64;
        self.peak_db_offered = self.peak_db_offered.max(s.db_offered);
        let done = std::mem::take(&mut self.acc.s);
        self.history.push(done);
        self.acc.lat.reset();
        self.queue.push(now + NANOS_PER_SEC, Ev::Tick);
    }
}
