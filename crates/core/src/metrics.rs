//! Metrics: per simulated second (in a bounded ring, so memory stays flat on
//! long runs) and run totals, with latency histograms (HdrHistogram, 2
//! significant digits, 1 us to 1 h).

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;

macro_rules! second_stats {
    ($($(#[doc = $doc:literal])* $name:ident : $ty:ty),* $(,)?) => {
        /// What happened during one simulated second.
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct SecondStats { $($(#[doc = $doc])* pub $name: $ty,)* }
        impl SecondStats {
            /// Field names, in CSV column order.
            pub const FIELDS: &'static [&'static str] = &[$(stringify!($name)),*];
            /// Field values as numbers, in `FIELDS` order.
            pub fn values(&self) -> Vec<f64> { vec![$(self.$name as f64),*] }
        }
    };
}

second_stats! {
    /// Start of the second (simulated seconds since the start).
    t_s: u32,
    /// Requests that arrived at the LB.
    arrived: u64,
    /// Requests answered successfully (before the client's timeout).
    completed: u64,
    /// Requests that failed, any kind.
    failed: u64,
    /// 503 from the LB (over capacity) or a pod at its concurrency limit.
    err_503: u64,
    /// 502 from the LB: no healthy pod.
    err_502: u64,
    /// The client gave up after its timeout.
    err_timeout: u64,
    /// PostgreSQL refused a connection: too many connections.
    err_db_connections: u64,
    /// Waited longer than the pool timeout for a pooled DB connection.
    err_pool_timeout: u64,
    /// A write's SET was refused with OOM.
    err_cache_oom: u64,
    /// A pod's open circuit breaker answered a missed read with a fast
    /// graceful-degradation error instead of querying the DB.
    err_degraded: u64,
    /// The LB refused a client over its per-client rate limit (429).
    err_rate_limited: u64,
    /// Cache lookups (GETs) of reads, those that failed (Redis down, too
    /// busy, unreachable) included: a failed lookup is a miss.
    reads: u64,
    hits: u64,
    /// hits / reads (0 when there were no reads).
    hit_rate: f64,
    /// DB queries served, by cause.
    db_queries: u64,
    db_miss: u64,
    db_write: u64,
    db_delete: u64,
    db_direct: u64,
    /// Queries the app tried to run (rejected and timed-out ones included).
    db_offered: u64,
    /// Missed reads that waited for another request's query of the same key
    /// (single-flight) instead of querying the DB themselves.
    coalesced: u64,
    /// Busy fraction of the DB's workers.
    db_utilization: f64,
    /// Open DB connections at the end of the second.
    db_connections: u32,
    /// Queries sent and not yet answered at the end of the second.
    db_in_flight: u32,
    /// Requests waiting for a pooled connection at the end of the second.
    pool_waiters: u32,
    /// Redis commands executed.
    cache_ops: u64,
    /// Redis CPU busy fraction (single thread).
    cache_cpu: f64,
    cache_memory_bytes: u64,
    cache_memory_fraction: f64,
    cache_keys: u64,
    /// Commands the app gave up on (queue past the command timeout) or that failed because Redis was down.
    cache_errors: u64,
    evictions: u64,
    expirations: u64,
    /// SETs refused with OOM (backfills and writes).
    set_oom: u64,
    /// Reads served a value older than the DB's.
    stale_reads: u64,
    /// Lost SET/DEL after a DB write.
    invalidation_failures: u64,
    /// Latency of successful requests, milliseconds.
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    hit_p50_ms: f64,
    hit_p99_ms: f64,
    miss_p50_ms: f64,
    miss_p99_ms: f64,
    /// Requests queued in the LB at the end of the second.
    lb_queue: u64,
    /// Requests whose client is waiting, at the end of the second.
    in_flight: u64,
    /// Requests of any kind the pods are working on (clients may have given up).
    server_in_flight: u64,
    /// Latency of every request that ended this second, failures included (a
    /// failed request's latency is the time until its error reached the
    /// client), milliseconds.
    with_failures_p50_ms: f64,
    with_failures_p99_ms: f64,
    /// Tries that were a client's retry after an error or a timeout (also
    /// counted in `arrived`).
    retries: u64,
    /// Reads answered from their pod's L1 (V2; also in `hits`).
    l1_hits: u64,
    /// GETs served by a replica (V2).
    replica_reads: u64,
    /// Client writes and deletes a primary acknowledged but died before
    /// replicating (V2).
    lost_writes: u64,
    /// Replicas promoted to primary (V2).
    failovers: u64,
    /// The longest a stale value had been stale when it was read, ms.
    stale_age_max_ms: u64,
    /// Invalidation events published and applied by the stream (V2).
    stream_published: u64,
    stream_applied: u64,
    /// Events waiting in the stream at the end of the second.
    stream_backlog: u64,
    /// Age of the oldest unapplied event at the end of the second (consumer lag), ms.
    stream_lag_ms: f64,
    /// CPU utilisation of the running pods (0-1): their mean, and the
    /// busiest pod's.
    pod_cpu: f64,
    pod_cpu_max: f64,
    /// Pods the LB routes to at the end of the second.
    pods_in_rotation: u32,
    /// Time at the DB of the queries answered this second (from a query's
    /// arrival at the DB to its reply leaving it: waiting for a worker and
    /// a core, CPU, waiting), milliseconds.
    db_p50_ms: f64,
    db_p99_ms: f64,
    /// A DB query as its pod sees it, of the queries sent this second: from
    /// sending it to its reply's arrival (both halves of the round trip,
    /// with the reply's spread, and the time at the DB), milliseconds.
    db_query_p50_ms: f64,
    db_query_p99_ms: f64,
    /// Busy fraction of the DB host's cores (queries' CPU parts and forks).
    db_cpu: f64,
}

/// One Redis shard during one simulated second.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ShardSecond {
    pub up: bool,
    /// Commands executed.
    pub ops: u64,
    /// Single-thread CPU busy fraction.
    pub cpu: f64,
    pub reads: u64,
    pub hits: u64,
    pub hit_rate: f64,
    pub keys: u64,
    pub memory_fraction: f64,
    pub evictions: u64,
    /// Commands its replicas executed (replicated writes and the GETs they
    /// served), and the busiest replica's CPU (V2).
    pub replica_ops: u64,
    pub replica_cpu: f64,
}

/// The cache tier during one simulated second: per shard, the proxy, the
/// warm-up worker. Kept beside `SecondStats` (whose columns are V0's).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TierSecond {
    pub shards: Vec<ShardSecond>,
    /// Commands the proxy forwarded (0 without a proxy).
    pub proxy_ops: u64,
    /// Commands the proxy refused (its queue was full).
    pub proxy_refused: u64,
    pub proxy_utilization: f64,
    /// DB queries of the warm-up worker (also counted in `db_queries`).
    pub db_warmup: u64,
    /// Keys the warm-up worker SET.
    pub warmed: u64,
}

/// Latency histograms for one class of requests.
#[derive(Clone, Debug)]
pub struct Latency {
    /// Successful requests.
    pub all: Histogram<u64>,
    pub hit: Histogram<u64>,
    pub miss: Histogram<u64>,
    /// Failed requests (the time until their error reached the client).
    pub failed: Histogram<u64>,
}

/// Largest latency recorded (us): one hour.
const MAX_US: u64 = 3_600_000_000;

/// A latency histogram: microseconds, 1 us to an hour, 2 significant digits.
pub(crate) fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 2).expect("valid bounds")
}

/// Records `ns` in a [`hist`] (as us, clamped to its bounds).
#[inline]
pub(crate) fn record_ns(h: &mut Histogram<u64>, ns: u64) {
    h.record((ns / 1_000).clamp(1, MAX_US)).ok();
}

/// p50 and p99 (ms) of `h`, which then starts empty (a second's latencies).
pub(crate) fn take_p50_p99(h: &mut Histogram<u64>) -> (f64, f64) {
    let q = (percentile_ms(h, 0.50), percentile_ms(h, 0.99));
    h.reset();
    q
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            all: hist(),
            hit: hist(),
            miss: hist(),
            failed: hist(),
        }
    }
}

/// Class of a successful request for latency purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyClass {
    Hit,
    Miss,
    Other,
}

impl Latency {
    /// A successful request: `ns` from its arrival at the LB to its answer,
    /// `at_pod_ns` of which from its arrival at its pod (hits and misses are
    /// classed by the latter, as the seed's SLIs measure them).
    pub fn record(&mut self, class: LatencyClass, ns: u64, at_pod_ns: u64) {
        record_ns(&mut self.all, ns);
        match class {
            LatencyClass::Hit => record_ns(&mut self.hit, at_pod_ns),
            LatencyClass::Miss => record_ns(&mut self.miss, at_pod_ns),
            LatencyClass::Other => {}
        }
    }

    /// A failed request, `ns` after it arrived.
    pub fn record_failure(&mut self, ns: u64) {
        record_ns(&mut self.failed, ns);
    }

    /// Every request that ended, failures included: successes and failures
    /// merged (when asked for, so a request costs one record fewer).
    pub fn with_failures(&self) -> Histogram<u64> {
        let mut h = self.all.clone();
        h.add(&self.failed).expect("same bounds");
        h
    }

    /// Adds another period's histograms to these.
    pub fn add(&mut self, other: &Latency) {
        for (a, b) in [
            (&mut self.all, &other.all),
            (&mut self.hit, &other.hit),
            (&mut self.miss, &other.miss),
            (&mut self.failed, &other.failed),
        ] {
            a.add(b).expect("same bounds");
        }
    }

    pub fn reset(&mut self) {
        self.failed.reset();
        self.all.reset();
        self.hit.reset();
        self.miss.reset();
    }
}

/// Percentile of a histogram in milliseconds (0 when empty).
pub fn percentile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1_000.0
    }
}

pub fn max_ms(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.max() as f64 / 1_000.0
    }
}

/// A bounded history of seconds.
#[derive(Clone, Debug)]
pub struct History {
    seconds: VecDeque<SecondStats>,
    tiers: VecDeque<TierSecond>,
    capacity: usize,
}

impl History {
    pub fn new(capacity: usize) -> Self {
        History {
            seconds: VecDeque::with_capacity(capacity.min(4096)),
            tiers: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, s: SecondStats, tier: TierSecond) {
        if self.seconds.len() == self.capacity {
            self.seconds.pop_front();
            self.tiers.pop_front();
        }
        self.seconds.push_back(s);
        self.tiers.push_back(tier);
    }

    /// The cache tier's seconds, in the same order as `iter`.
    pub fn tiers(&self) -> impl Iterator<Item = &TierSecond> {
        self.tiers.iter()
    }

    pub fn last_tier(&self) -> Option<&TierSecond> {
        self.tiers.back()
    }

    pub fn last_shards(&self) -> Option<&[ShardSecond]> {
        self.tiers.back().map(|t| t.shards.as_slice())
    }

    /// The cache tier's last `n` seconds, oldest first.
    pub fn tier_tail(&self, n: usize) -> impl Iterator<Item = &TierSecond> {
        self.tiers.iter().skip(self.tiers.len().saturating_sub(n))
    }

    pub fn iter(&self) -> impl Iterator<Item = &SecondStats> {
        self.seconds.iter()
    }

    pub fn last(&self) -> Option<&SecondStats> {
        self.seconds.back()
    }

    pub fn len(&self) -> usize {
        self.seconds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seconds.is_empty()
    }

    /// The last `n` seconds, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = &SecondStats> {
        self.seconds
            .iter()
            .skip(self.seconds.len().saturating_sub(n))
    }
}

/// Counters over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub err_503: u64,
    pub err_502: u64,
    pub err_timeout: u64,
    pub err_db_connections: u64,
    pub err_pool_timeout: u64,
    pub err_cache_oom: u64,
    pub err_degraded: u64,
    pub err_rate_limited: u64,
    /// Times a pod's circuit breaker opened.
    pub breaker_opens: u64,
    /// Lost invalidations tried again (invalidation retry), and those that
    /// landed.
    pub invalidation_retries: u64,
    pub invalidations_repaired: u64,
    /// Keys restarts loaded from an RDB snapshot.
    pub rdb_loaded_keys: u64,
    pub reads: u64,
    pub hits: u64,
    pub db_queries: u64,
    pub db_miss: u64,
    pub db_write: u64,
    pub db_delete: u64,
    pub db_direct: u64,
    pub db_offered: u64,
    /// Tries that were retries (their first tries' errors are in `failed`).
    pub retries: u64,
    /// DB queries of the warm-up worker (included in `db_queries`).
    pub db_warmup: u64,
    pub coalesced: u64,
    pub db_busy_ns: u64,
    pub cache_ops: u64,
    pub cache_busy_ns: u64,
    /// Commands the proxy forwarded, and refused.
    pub proxy_ops: u64,
    pub proxy_refused: u64,
    pub cache_errors: u64,
    /// GETs among `cache_errors`: reads that fell through to the DB because
    /// their shard was down, too busy, or unreachable.
    pub get_failures: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub set_oom: u64,
    pub stale_reads: u64,
    pub invalidation_failures: u64,
    /// Sum over DB queries of their time in the DB (queue + service), ns: Little's law checks.
    pub db_sojourn_ns: u64,
    /// Sum over DB queries of their wait for a worker, ns.
    pub db_wait_ns: u64,
    /// Requests that completed server-side after their client had given up.
    pub orphaned: u64,
    pub l1_hits: u64,
    pub replica_reads: u64,
    pub lost_writes: u64,
    pub failovers: u64,
    pub stale_age_max_ms: u64,
    pub stream_published: u64,
    pub stream_applied: u64,
    /// DELs the stream's consumer had to try again (their shard was down).
    pub stream_retried: u64,
    /// Sum over applied events of their delay from publish to applied, ns.
    pub stream_delay_ns: u64,
    /// Sum over seconds of the pods' mean CPU, and the highest second.
    pub pod_cpu_sum: f64,
    pub pod_cpu_peak: f64,
    /// Scale-outs the autoscaler decided.
    pub scale_outs: u64,
}
