//! Scenarios: every parameter of a run, as a JSON-serialisable value.
//!
//! A scenario plus its seed determines a run completely. Files are parsed
//! strictly: unknown fields, wrong types and out-of-range values are errors
//! that name the field (`cache.memory_gb`) and what is allowed.

use crate::command::{Command, EvictionPolicy, ScheduledCommand};
pub use crate::router::RouterKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A complete description of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Seed of every random stream in the run.
    pub seed: u64,
    /// Default length of a headless run, in simulated seconds.
    pub duration_s: f64,
    /// Start with the cache in its steady state (true) or empty (false).
    pub warm_start: bool,
    pub client: ClientConfig,
    pub lb: LbConfig,
    pub app: AppConfig,
    pub cache: CacheConfig,
    pub db: DbConfig,
    /// Which components exist and how they are wired (V0 when absent).
    pub topology: TopologyConfig,
    /// Monthly prices of the components (the seed's where it gives them).
    pub cost: crate::cost::CostConfig,
    /// The seed's V0 mitigations, each off (`null`) unless set.
    pub mitigations: crate::mitigations::MitigationsConfig,
    /// Commands applied at given simulated times.
    pub faults: Vec<ScheduledCommand>,
}

/// The traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// Open-loop Poisson arrival rate, requests per second.
    pub rps: f64,
    /// Operation mix (fractions of all requests; they must add up to 1).
    pub read_fraction: f64,
    pub write_fraction: f64,
    pub delete_fraction: f64,
    /// Requests that are not cache operations and go straight to the DB.
    pub direct_fraction: f64,
    /// Keys in the workload's keyspace. The keyspace is a property of the
    /// traffic: once set, changing the RPS, TTL or memory moves the hit rate
    /// as it would on a real system. When absent it is derived from
    /// `target_hit_rate` at this scenario's RPS, mix and TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    /// Zipf exponent of key popularity; when absent, set by `top1_share`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf_s: Option<f64>,
    /// Target steady-state read hit rate: the keyspace is derived from it
    /// when `keys` is absent (and live, by the `set_target_hit_rate` command).
    pub target_hit_rate: f64,
    /// Share of key traffic that goes to the top 1% of keys (sets the Zipf
    /// skew when `zipf_s` is absent).
    pub top1_share: f64,
    /// The client gives up (and counts an error) after this long.
    pub timeout_ms: f64,
    /// What the client does after an error or a timeout.
    pub retry: RetryConfig,
}

/// Client retries (none in the seed's V0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetryPolicy {
    /// An error is final.
    None,
    /// Try again at once.
    Immediate,
    /// Try again after a random delay up to `base_ms * 2^attempt` (capped at
    /// `max_ms`): exponential backoff with full jitter.
    Backoff,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub policy: RetryPolicy,
    /// Retries per request, at most.
    pub max_retries: u32,
    pub base_ms: f64,
    pub max_ms: f64,
    /// A retry budget: retries may add at most this fraction to the first
    /// tries (a token bucket, as in gRPC or Finagle); `null`: no budget.
    pub budget: Option<f64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            policy: RetryPolicy::None,
            max_retries: 3,
            base_ms: 100.0,
            max_ms: 5_000.0,
            budget: None,
        }
    }
}

/// The application load balancer (AWS ALB).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LbConfig {
    pub latency_ms: f64,
    pub capacity_rps: f64,
    /// Requests queue at the LB up to this long; beyond it the LB answers 503.
    pub max_queue_ms: f64,
}

/// The AppService deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    pub pods: u32,
    /// Concurrent requests a pod accepts; beyond it the request is refused (503).
    pub max_inflight_per_pod: u32,
    /// CPU time of a request that takes the DB path.
    pub processing_ms: f64,
    /// Round trip AppService <-> Redis.
    pub cache_rtt_ms: f64,
    /// Round trip AppService <-> PostgreSQL.
    pub db_rtt_ms: f64,
    /// The Redis round trip's 99th percentile: 0 keeps every round trip at
    /// `cache_rtt_ms`; above it, the reply's half is log-normal with the
    /// round trip's median at `cache_rtt_ms` and its p99 here
    /// ([`crate::network_hop`]). A real client's p99 is a few times its
    /// median (the calibration's probe: 4x).
    pub cache_rtt_p99_ms: f64,
    /// The same for the PostgreSQL round trip.
    pub db_rtt_p99_ms: f64,
    /// Round trip of the SET / DEL a pod sends straight after the DB's
    /// reply, its client thread still awake: a constant. 0 (the default)
    /// makes it the same as any other command's (`cache_rtt_ms` and its
    /// spread). A client that waits idle for a reply pays its event loop's
    /// wake-up on every first hop; the hop that follows at once does not
    /// (the calibration's probe: 0.12-0.15 ms against 0.07-0.10 ms).
    /// Redis still serves commands in the order the pods sent them: a SET
    /// whose shorter trip would land it before an earlier GET waits for it.
    pub cache_rtt_after_db_ms: f64,
    /// Connections in each pod's DB pool.
    pub pool_size: u32,
    /// A request waits this long for a pooled connection before failing.
    pub pool_timeout_ms: f64,
    /// A pooled connection idle this long is closed (checked each simulated
    /// second; 0 keeps idle connections open forever). HikariCP's
    /// `idleTimeout` defaults to 10 min, but only retires connections above
    /// `minimumIdle`, and its smallest allowed value is 10 s; here every idle
    /// connection can retire, after 10 s, so a burst's connections close
    /// within the charts' window.
    pub pool_idle_timeout_s: f64,
    /// Opening a new DB connection (PostgreSQL forks a backend).
    pub connect_ms: f64,
    /// Redis command timeout in the app's client; a timed-out GET falls through to the DB.
    pub cache_timeout_ms: f64,
    /// Coalesce concurrent misses on one key within a pod (like Go's
    /// `singleflight`): one request queries the DB and backfills, the others
    /// wait for its result. Off in the seed's V0 (N misses make N queries).
    pub single_flight: bool,
    /// CPU cores of each pod (see `pod_cpu`). A Fargate task of 2 vCPU and
    /// 4 GB costs ~$72/month, the seed's ~$70 per pod.
    pub cores_per_pod: u32,
    /// CPU every request costs its pod: the HTTP request and response,
    /// routing, the Redis client (charged before it answers). The seed gives no figure; 0.15 ms
    /// puts its 2 pods at ~50% CPU at 10K RPS and its 70% scaling trigger
    /// near 14K, and 8 pods near the seed's 50K ops/s ceiling, as its scaling
    /// section describes (2 -> 4 -> 8 pods).
    pub cpu_per_request_ms: f64,
    /// CPU a DB reply costs its pod: decoding the row, encoding the SET or
    /// the response. A request waiting for a connection uses none.
    pub cpu_per_db_reply_ms: f64,
    /// The LB's health checks of the pods.
    pub health_check: crate::health_check::HealthCheckConfig,
    /// Doubling the pods when their CPU stays high (off by default).
    pub autoscale: crate::autoscaler::AutoscaleConfig,
}

/// The architecture: the Redis nodes behind the pods, how keys route to
/// them, and what sits between. `Client -> AppLB -> pods` and the DB are
/// always there. The default is the seed's V0: one Redis node that the pods
/// talk to directly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopologyConfig {
    /// Redis nodes (shards), each a single-threaded node configured by `cache`.
    pub shards: u32,
    /// How keys map to shards: `ring` (consistent hashing) or `mod-n`.
    pub router: RouterKind,
    /// Points per shard on the consistent-hash ring.
    pub vnodes: u32,
    /// A CacheProxyService between the pods and the shards (V1); `null`: the
    /// pods route keys to the shards themselves.
    pub proxy: Option<ProxyConfig>,
    /// Pre-loads a shard's hottest keys from the DB after it restarts cold.
    pub warmup: WarmupConfig,
    /// Replicas of every shard, fed asynchronously, promoted when their
    /// primary dies (V2); `null`: no replicas.
    pub replication: Option<ReplicationConfig>,
    /// An in-process LRU cache in every pod in front of Redis (V2's L1);
    /// `null`: none.
    pub l1: Option<L1Config>,
    /// A durable invalidation stream (Kafka-like, V2): DB writes publish an
    /// event that a consumer applies to Redis and every L1, retrying until it
    /// succeeds; `null`: none.
    pub stream: Option<StreamConfig>,
}

/// Asynchronous replication with automatic failover (Redis replicas
/// promoted by the cluster when a primary stops answering).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationConfig {
    /// Replicas per shard.
    pub replicas: u32,
    /// Time from a write on the primary to the same write on its replicas.
    pub lag_ms: f64,
    /// GETs are spread over the primary and its replicas (a replica's value
    /// can be older than the primary's by the lag: counted as stale).
    pub read_from_replicas: bool,
    /// How long the cluster takes to notice a dead primary and promote a
    /// replica (Redis Cluster's `cluster-node-timeout` is 15 s by default;
    /// managed services fail over in seconds to tens of seconds).
    pub failover_ms: f64,
}

/// L1: an LRU of recently read keys in each pod, with a short TTL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L1Config {
    /// Keys each pod's L1 holds (least recently used evicted first).
    pub keys: u32,
    /// A copy older than this is dropped (bounds staleness without the stream).
    pub ttl_ms: f64,
    /// Time to answer from L1, in-process.
    pub hit_us: f64,
    /// Only keys the proxy sees read this many times a second are promoted
    /// to L1 (its hot-key detector); 0 promotes every key a pod reads.
    pub hot_threshold_per_s: u32,
}

/// The invalidation stream: a partitioned log (one partition per shard) and
/// its consumer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Time from the DB write to the event reaching the consumer: uniform
    /// between these (Kafka produce + fetch + commit).
    pub lag_min_ms: f64,
    pub lag_max_ms: f64,
    /// Events one partition's consumer applies per second at most.
    pub events_per_s: f64,
    /// A DEL that fails (its shard down or loading) is tried again after this.
    pub retry_ms: f64,
}

/// CacheProxyService: every Redis command from the pods passes through it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Round-trip time it adds to every command (pod -> proxy -> shard and back).
    pub latency_ms: f64,
    /// Commands per second it can forward (a FIFO server at that rate).
    pub capacity_ops: f64,
    /// A command that would wait longer than this in the proxy is refused
    /// (the app sees a failed command: a GET falls through to the DB).
    pub max_queue_ms: f64,
    /// Coalesce concurrent misses on one key across every pod: one DB query,
    /// its result goes to every waiter.
    pub single_flight: bool,
}

/// WarmupWorker: after a shard restarts cold, it reads that shard's hottest
/// keys from the DB and SETs them, at a bounded rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WarmupConfig {
    pub enabled: bool,
    /// Keys pre-loaded per second, at most.
    pub keys_per_s: f64,
    /// How many of the shard's hottest keys it loads.
    pub hottest_keys: u32,
    /// Queries it keeps in flight at most (its own DB connections).
    pub connections: u32,
}

impl TopologyConfig {
    /// The seed's V0: one Redis, no proxy.
    pub fn v0() -> TopologyConfig {
        TopologyConfig::default()
    }

    /// V2: V1 with a replica per shard (automatic failover), an L1 in each
    /// pod and the invalidation stream.
    pub fn v2() -> TopologyConfig {
        TopologyConfig {
            replication: Some(ReplicationConfig::default()),
            l1: Some(L1Config::default()),
            stream: Some(StreamConfig::default()),
            ..TopologyConfig::v1()
        }
    }

    /// V1: a CacheProxyService with single-flight in front of three shards on
    /// a consistent-hash ring of 150 virtual nodes each, and a warm-up worker.
    pub fn v1() -> TopologyConfig {
        TopologyConfig {
            shards: 3,
            router: RouterKind::Ring,
            vnodes: 150,
            proxy: Some(ProxyConfig::default()),
            warmup: WarmupConfig {
                enabled: true,
                ..WarmupConfig::default()
            },
            ..TopologyConfig::default()
        }
    }
}

impl Default for TopologyConfig {
    fn default() -> Self {
        TopologyConfig {
            shards: 1,
            router: RouterKind::Ring,
            vnodes: 150,
            proxy: None,
            warmup: WarmupConfig::default(),
            replication: None,
            l1: None,
            stream: None,
        }
    }
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        ReplicationConfig {
            replicas: 1,
            lag_ms: 2.0,
            read_from_replicas: true,
            failover_ms: 5_000.0,
        }
    }
}

impl Default for L1Config {
    fn default() -> Self {
        L1Config {
            keys: 10_000,
            ttl_ms: 5_000.0,
            hit_us: 20.0,
            hot_threshold_per_s: 10,
        }
    }
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            lag_min_ms: 50.0,
            lag_max_ms: 200.0,
            events_per_s: 50_000.0,
            retry_ms: 100.0,
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            latency_ms: 0.2,
            capacity_ops: 300_000.0,
            max_queue_ms: 50.0,
            single_flight: true,
        }
    }
}

impl Default for WarmupConfig {
    fn default() -> Self {
        WarmupConfig {
            enabled: false,
            keys_per_s: 1_000.0,
            hottest_keys: 20_000,
            connections: 20,
        }
    }
}

/// One Redis node (each shard is one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Single-threaded command ceiling: a GET costs 1/ops_per_sec of CPU.
    pub ops_per_sec: f64,
    /// What a SET and a DEL cost, as multiples of a GET's cost. Measured on
    /// the calibration machine (Redis 7, 1 KB values, 100K keys, 32-deep
    /// pipelines so that the per-command I/O is shared, Redis' own CPU from
    /// `INFO`): GET 1.50 us, SET 1.86 us, DEL 0.73 us, three runs within
    /// 0.1 us. Added to the seed's 20 us a command (mostly the per-command
    /// system calls) that is +0.36 us and -0.77 us: 1.018 and 0.962.
    pub set_cost: f64,
    pub del_cost: f64,
    /// Extra CPU per KB of value beyond the first (copying and sending it: ~1.25 GB/s).
    pub per_kb_us: f64,
    pub memory_gb: f64,
    /// Bytes of a cached value.
    pub entry_bytes: u32,
    /// Redis' memory per key beyond its value: the dict entry (24 B), the key
    /// string (~24 B), the value object (16 B), the expires entry (24 B),
    /// rounded up by the allocator.
    pub key_overhead_bytes: u32,
    /// A restarted Redis process accepts commands after this long (it
    /// answers `-LOADING` meanwhile).
    pub restart_ms: f64,
    pub ttl_s: f64,
    pub eviction: EvictionPolicy,
    /// `maxmemory-samples`.
    pub lru_samples: u32,
    /// `allkeys-lru` keeps Redis' pool of the 16 best eviction candidates
    /// across samplings (`evict.c`, Redis 3.0 and later); false: plain
    /// sampling of `lru_samples` keys per eviction (Redis 2.x).
    pub eviction_pool: bool,
}

/// Service-time distribution of DB queries.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ServiceDist {
    Exponential,
    Deterministic,
    /// Log-normal with the given coefficient of variation.
    LogNormal {
        cv: f64,
    },
}

/// PostgreSQL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DbConfig {
    /// Queries executing at once (the DB's effective parallelism).
    pub workers: u32,
    /// Mean time of a primary-key SELECT after a cache miss (the cold tail of the keyspace).
    pub read_service_ms: f64,
    /// Mean time of a primary-key UPDATE/DELETE (write and delete requests).
    pub write_service_ms: f64,
    /// Mean time of a direct (non-cache) request's query.
    pub direct_service_ms: f64,
    pub service: ServiceDist,
    pub max_connections: u32,
    /// Contention between active backends (the USL's sigma): with `n`
    /// queries at the DB beyond `cores` (queued or running, at most
    /// `max_connections`), each query's CPU part runs
    /// `1 + contention (n - cores)` times slower, so throughput falls past
    /// the knee instead of staying flat (Gunther's Universal Scalability Law
    /// without its coherency term). It slows the CPU part only, because
    /// that is where the calibration machine's PostgreSQL showed it
    /// (`docs/calibration.md`): CPU-bound primary-key lookups fell from
    /// 62.6K to 38.9K/s between 1 and 200 active connections (0.0032 with
    /// the knee at the 2 cores), while 12 ms queries that mostly sleep
    /// stayed at n / 12.3 ms up to 200 connections; one coefficient fits
    /// both only when the waiting part is not slowed (on the whole query,
    /// 0.0032 would have made the sleeping curve 39% slower at 200). The
    /// default is that measured 0.0032.
    pub contention: f64,
    /// Crowding of the DB cores' caches: with `n` queries at the DB beyond
    /// `cores`, each query's CPU part is also slowed by
    /// `crowding (1 - exp(-(n - cores) / crowding_connections))`. Every
    /// backend that runs on a core evicts some of the others' working sets
    /// from its caches, so a switch between backends costs more the more of
    /// them take turns, until the caches hold none of them and the cost
    /// stops growing. PostgreSQL on one core of the calibration machine
    /// (`realcheck pg-curve-pinned`, 2026-12-01) fell from 43K lookups/s at
    /// 4 connections to 24K at 32, then only to 20K at 100: steeper than
    /// `contention` alone early, flatter later (`tests/db_contention.rs`).
    /// 0 (the default) turns it off.
    pub crowding: f64,
    /// The number of active backends beyond `cores` over which `crowding`
    /// builds up (its e-folding count).
    pub crowding_connections: f64,
    /// DB CPU a new connection costs (PostgreSQL forks a backend and
    /// authenticates it), and a refused one too (the fork happens before
    /// the refusal), occupying a worker (not a core: see `backend_db`).
    pub connection_cpu_ms: f64,
    /// The DB host's cores (the seed's db.r7g.xlarge has 4 vCPU): the CPU
    /// parts of the queries that hold a worker share them, first-come
    /// first-served. With `workers` above `cores`, queries that mostly wait
    /// run side by side and CPU-bound ones are limited to
    /// `cores / cpu_ms` per second.
    pub cores: u32,
    /// CPU part of a cache-miss SELECT, ms (at most `read_service_ms`; the
    /// rest of its service time is waiting: I/O, locks, round trips inside
    /// the DB). 0.5 ms of the seed's 12 ms cold read: 24 workers serve
    /// ~2K SELECT/s with one of the 4 cores busy, so the CPU stage is not
    /// the limit with the defaults.
    pub read_cpu_ms: f64,
    /// CPU part of an UPDATE/DELETE, ms (at most `write_service_ms`; the
    /// rest is the commit's WAL flush).
    pub write_cpu_ms: f64,
    /// CPU part of a direct query, ms (at most `direct_service_ms`).
    pub direct_cpu_ms: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "custom".into(),
            description: String::new(),
            seed: 1,
            duration_s: 120.0,
            warm_start: true,
            client: ClientConfig::default(),
            lb: LbConfig::default(),
            app: AppConfig::default(),
            cache: CacheConfig::default(),
            db: DbConfig::default(),
            topology: TopologyConfig::default(),
            cost: crate::cost::CostConfig::default(),
            mitigations: crate::mitigations::MitigationsConfig::default(),
            faults: Vec::new(),
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            rps: 10_000.0,
            read_fraction: 0.75,
            write_fraction: 0.15,
            delete_fraction: 0.05,
            direct_fraction: 0.05,
            keys: None,
            zipf_s: None,
            target_hit_rate: 0.85,
            top1_share: 0.5,
            timeout_ms: 1_000.0,
            retry: RetryConfig::default(),
        }
    }
}

impl Default for LbConfig {
    fn default() -> Self {
        LbConfig {
            latency_ms: 1.5,
            capacity_rps: 20_000.0,
            max_queue_ms: 100.0,
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            pods: 2,
            max_inflight_per_pod: 10_000,
            processing_ms: 3.0,
            cache_rtt_ms: 0.2,
            db_rtt_ms: 5.0,
            cache_rtt_p99_ms: 0.0,
            cache_rtt_after_db_ms: 0.0,
            db_rtt_p99_ms: 0.0,
            pool_size: 100,
            pool_timeout_ms: 500.0,
            pool_idle_timeout_s: 10.0,
            connect_ms: 3.0,
            cache_timeout_ms: 250.0,
            single_flight: false,
            cores_per_pod: 2,
            cpu_per_request_ms: 0.1,
            cpu_per_db_reply_ms: 0.3,
            health_check: Default::default(),
            autoscale: Default::default(),
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ops_per_sec: 50_000.0,
            set_cost: 1.018,
            del_cost: 0.962,
            per_kb_us: 0.8,
            memory_gb: 26.0,
            entry_bytes: 1024,
            key_overhead_bytes: 96,
            restart_ms: 500.0,
            ttl_s: 300.0,
            eviction: EvictionPolicy::Noeviction,
            lru_samples: 5,
            eviction_pool: true,
        }
    }
}

impl Default for DbConfig {
    fn default() -> Self {
        DbConfig {
            workers: 24,
            read_service_ms: 12.0,
            write_service_ms: 0.5,
            direct_service_ms: 3.0,
            service: ServiceDist::LogNormal { cv: 0.15 },
            max_connections: 200,
            contention: 0.0032,
            crowding: 0.0,
            crowding_connections: 32.0,
            connection_cpu_ms: 1.0,
            cores: 4,
            read_cpu_ms: 0.5,
            write_cpu_ms: 0.1,
            direct_cpu_ms: 0.5,
        }
    }
}

/// A problem with a scenario or a command, naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the offending field, e.g. `cache.memory_gb` (empty for syntax errors).
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A number as a person would write it: `1e300`, not three hundred digits.
pub fn fmt_num(x: f64) -> String {
    if x.is_finite() && x != 0.0 && (x.abs() >= 1e9 || x.abs() < 1e-4) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Checks that `value` is a finite number in [lo, hi].
pub fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), ConfigError> {
    if !value.is_finite() || value < lo || value > hi {
        return Err(err(
            field,
            format!(
                "must be between {} and {}, got {}",
                fmt_num(lo),
                fmt_num(hi),
                fmt_num(value)
            ),
        ));
    }
    Ok(())
}

/// A round trip's p99: 0 (constant), or from its median `median` (the field
/// `median_field`) up to 10 s.
fn check_p99(field: &str, p99: f64, median: f64, median_field: &str) -> Result<(), ConfigError> {
    check_range(field, p99, 0.0, 10_000.0)?;
    if p99 != 0.0 && p99 < median {
        return Err(err(
            field,
            format!(
                "must be 0 (a constant round trip) or at least {median_field} ({}), got {}",
                fmt_num(median),
                fmt_num(p99)
            ),
        ));
    }
    Ok(())
}

/// The same check for a whole-number field.
pub fn check_int(field: &str, value: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    if value < lo || value > hi {
        return Err(err(
            field,
            format!("must be between {lo} and {hi}, got {value}"),
        ));
    }
    Ok(())
}

/// Limits shared by the scenario check, live commands and the UI's sliders.
pub mod limits {
    pub const RPS: (f64, f64) = (1.0, 2_000_000.0);
    pub const HIT_RATE: (f64, f64) = (0.01, 0.995);
    pub const MEMORY_GB: (f64, f64) = (0.001, 1024.0);
    pub const TTL_S: (f64, f64) = (1.0, 86_400.0);
    pub const PODS: (u64, u64) = (1, 64);
    pub const HOT_KEY_RATE: (f64, f64) = (0.0, 1_000_000.0);
    pub const ATTACK_RATE: (f64, f64) = (0.0, 1_000_000.0);
    pub const SLOWDOWN: (f64, f64) = (0.1, 100.0);
    pub const DURATION_S: (f64, f64) = (1.0, 86_400.0);
    pub const SHARDS: (u64, u64) = (1, 16);
    pub const VNODES: (u64, u64) = (1, 1_000);
}

impl Scenario {
    /// Parses a JSON scenario strictly and validates it.
    #[inline]
    pub fn from_json(text: &str) -> Result<Scenario, ConfigError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            ConfigError {
                field,
                message: e.into_inner().to_string(),
            }
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Sets one field by dotted path (`client.rps=20000`, `cache.eviction=allkeys-lru`)
    /// and re-validates. Values are parsed as JSON, falling back to a string.
    pub fn set_path(&mut self, path: &str, value: &str) -> Result<(), ConfigError> {
        self.set_paths(&[(path, value)])
    }

    /// Sets several fields, then validates once: a change that only makes
    /// sense with another one (the operation mix must add up to 1) can be
    /// made as a whole. On error nothing changes.
    pub fn set_paths(&mut self, sets: &[(&str, &str)]) -> Result<(), ConfigError> {
        let mut root = serde_json::to_value(&*self).expect("a scenario always serialises");
        for (path, value) in sets {
            set_json_path(&mut root, path, value)?;
        }
        let text = serde_json::to_string(&root).expect("a JSON value always serialises");
        *self = Scenario::from_json(&text).map_err(|mut e| {
            // the position is in our own re-serialised JSON, not in anything the user typed
            if let Some(i) = e.message.find(" at line ") {
                e.message.truncate(i);
            }
            e
        })?;
        Ok(())
    }

    /// Checks every value's range and the mix's sum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "duration_s",
            self.duration_s,
            limits::DURATION_S.0,
            limits::DURATION_S.1,
        )?;
        let c = &self.client;
        check_range("client.rps", c.rps, limits::RPS.0, limits::RPS.1)?;
        check_range("client.read_fraction", c.read_fraction, 0.0, 1.0)?;
        check_range("client.write_fraction", c.write_fraction, 0.0, 1.0)?;
        check_range("client.delete_fraction", c.delete_fraction, 0.0, 1.0)?;
        check_range("client.direct_fraction", c.direct_fraction, 0.0, 1.0)?;
        let sum = c.read_fraction + c.write_fraction + c.delete_fraction + c.direct_fraction;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(err(
                "client.read_fraction",
                format!(
                    "read, write, delete and direct fractions must add up to 1, they add up to {}",
                    fmt_num((sum * 1e9).round() / 1e9)
                ),
            ));
        }
        check_range(
            "client.target_hit_rate",
            c.target_hit_rate,
            limits::HIT_RATE.0,
            limits::HIT_RATE.1,
        )?;
        check_range("client.top1_share", c.top1_share, 0.011, 0.99)?;
        if let Some(keys) = c.keys {
            check_int("client.keys", keys, 1, crate::calibrate::MAX_KEYS)?;
        }
        if let Some(s) = c.zipf_s {
            check_range("client.zipf_s", s, 0.0, 3.0)?;
        }
        check_range("client.timeout_ms", c.timeout_ms, 1.0, 600_000.0)?;
        check_int(
            "client.retry.max_retries",
            c.retry.max_retries as u64,
            0,
            10,
        )?;
        check_range("client.retry.base_ms", c.retry.base_ms, 0.0, 600_000.0)?;
        check_range("client.retry.max_ms", c.retry.max_ms, 0.0, 600_000.0)?;
        if let Some(b) = c.retry.budget {
            check_range("client.retry.budget", b, 0.0, 10.0)?;
        }
        let lb = &self.lb;
        check_range("lb.latency_ms", lb.latency_ms, 0.0, 10_000.0)?;
        check_range("lb.capacity_rps", lb.capacity_rps, 1.0, 100_000_000.0)?;
        check_range("lb.max_queue_ms", lb.max_queue_ms, 0.0, 600_000.0)?;
        let a = &self.app;
        check_int("app.pods", a.pods as u64, limits::PODS.0, limits::PODS.1)?;
        check_int(
            "app.max_inflight_per_pod",
            a.max_inflight_per_pod as u64,
            1,
            1_000_000,
        )?;
        check_range("app.processing_ms", a.processing_ms, 0.0, 10_000.0)?;
        check_range("app.cache_rtt_ms", a.cache_rtt_ms, 0.0, 10_000.0)?;
        check_range("app.db_rtt_ms", a.db_rtt_ms, 0.0, 10_000.0)?;
        check_range(
            "app.cache_rtt_after_db_ms",
            a.cache_rtt_after_db_ms,
            0.0,
            10_000.0,
        )?;
        check_p99(
            "app.cache_rtt_p99_ms",
            a.cache_rtt_p99_ms,
            a.cache_rtt_ms,
            "app.cache_rtt_ms",
        )?;
        check_p99(
            "app.db_rtt_p99_ms",
            a.db_rtt_p99_ms,
            a.db_rtt_ms,
            "app.db_rtt_ms",
        )?;
        check_int("app.pool_size", a.pool_size as u64, 1, 100_000)?;
        check_range("app.pool_timeout_ms", a.pool_timeout_ms, 0.0, 600_000.0)?;
        check_range(
            "app.pool_idle_timeout_s",
            a.pool_idle_timeout_s,
            0.0,
            86_400.0,
        )?;
        check_range("app.connect_ms", a.connect_ms, 0.0, 10_000.0)?;
        check_range("app.cache_timeout_ms", a.cache_timeout_ms, 0.01, 600_000.0)?;
        check_int("app.cores_per_pod", a.cores_per_pod as u64, 1, 64)?;
        check_range(
            "app.cpu_per_request_ms",
            a.cpu_per_request_ms,
            0.0,
            10_000.0,
        )?;
        check_range(
            "app.cpu_per_db_reply_ms",
            a.cpu_per_db_reply_ms,
            0.0,
            10_000.0,
        )?;
        let h = &a.health_check;
        check_int("app.health_check.interval_s", h.interval_s as u64, 1, 3_600)?;
        check_range("app.health_check.timeout_ms", h.timeout_ms, 1.0, 600_000.0)?;
        check_int(
            "app.health_check.unhealthy_threshold",
            h.unhealthy_threshold as u64,
            1,
            10,
        )?;
        check_int(
            "app.health_check.healthy_threshold",
            h.healthy_threshold as u64,
            1,
            10,
        )?;
        let s = &a.autoscale;
        check_range("app.autoscale.cpu_threshold", s.cpu_threshold, 0.01, 1.0)?;
        check_int("app.autoscale.minutes", s.minutes as u64, 1, 60)?;
        check_int(
            "app.autoscale.max_pods",
            s.max_pods as u64,
            limits::PODS.0,
            limits::PODS.1,
        )?;
        check_range("app.autoscale.start_s", s.start_s, 0.0, 3_600.0)?;
        let k = &self.cache;
        check_range("cache.ops_per_sec", k.ops_per_sec, 1.0, 100_000_000.0)?;
        check_range("cache.per_kb_us", k.per_kb_us, 0.0, 1_000_000.0)?;
        check_range("cache.set_cost", k.set_cost, 0.01, 100.0)?;
        check_range("cache.del_cost", k.del_cost, 0.01, 100.0)?;
        check_range(
            "cache.memory_gb",
            k.memory_gb,
            limits::MEMORY_GB.0,
            limits::MEMORY_GB.1,
        )?;
        check_int(
            "cache.entry_bytes",
            k.entry_bytes as u64,
            16,
            512 * 1024 * 1024,
        )?;
        check_range("cache.ttl_s", k.ttl_s, limits::TTL_S.0, limits::TTL_S.1)?;
        check_int(
            "cache.key_overhead_bytes",
            k.key_overhead_bytes as u64,
            0,
            1_000_000,
        )?;
        check_range("cache.restart_ms", k.restart_ms, 0.0, 3_600_000.0)?;
        check_int("cache.lru_samples", k.lru_samples as u64, 1, 64)?;
        let d = &self.db;
        check_int("db.workers", d.workers as u64, 1, 10_000)?;
        check_range("db.read_service_ms", d.read_service_ms, 0.001, 60_000.0)?;
        check_range("db.write_service_ms", d.write_service_ms, 0.001, 60_000.0)?;
        check_range("db.direct_service_ms", d.direct_service_ms, 0.001, 60_000.0)?;
        if let ServiceDist::LogNormal { cv } = d.service {
            check_range("db.service.cv", cv, 0.0, 10.0)?;
        }
        check_int("db.max_connections", d.max_connections as u64, 1, 1_000_000)?;
        check_range("db.contention", d.contention, 0.0, 1.0)?;
        check_range("db.crowding", d.crowding, 0.0, 100.0)?;
        check_range("db.crowding_connections", d.crowding_connections, 0.01, 1e6)?;
        check_range("db.connection_cpu_ms", d.connection_cpu_ms, 0.0, 60_000.0)?;
        check_int("db.cores", d.cores as u64, 1, 10_000)?;
        for (field, cpu, service, service_field) in [
            (
                "db.read_cpu_ms",
                d.read_cpu_ms,
                d.read_service_ms,
                "db.read_service_ms",
            ),
            (
                "db.write_cpu_ms",
                d.write_cpu_ms,
                d.write_service_ms,
                "db.write_service_ms",
            ),
            (
                "db.direct_cpu_ms",
                d.direct_cpu_ms,
                d.direct_service_ms,
                "db.direct_service_ms",
            ),
        ] {
            check_range(field, cpu, 0.0, 60_000.0)?;
            if cpu > service {
                return Err(err(
                    field,
                    format!(
                        "must be at most {service_field} ({}), got {}",
                        fmt_num(service),
                        fmt_num(cpu)
                    ),
                ));
            }
        }
        self.topology.validate()?;
        self.cost.validate()?;
        self.mitigations.validate()?;
        for (i, f) in self.faults.iter().enumerate() {
            check_range(
                &format!("faults[{i}].at_s"),
                f.at_s,
                0.0,
                limits::DURATION_S.1,
            )?;
            validate_command(&f.command).map_err(|e| ConfigError {
                field: format!("faults[{i}].command.{}", e.field),
                message: e.message,
            })?;
        }
        self.check_fault_targets()
    }

    /// Walks the faults in time order, tracking how many shards there are, so
    /// that a fault naming a shard that will not exist at its time is refused.
    fn check_fault_targets(&self) -> Result<(), ConfigError> {
        let mut order: Vec<usize> = (0..self.faults.len()).collect();
        order.sort_by(|&a, &b| self.faults[a].at_s.total_cmp(&self.faults[b].at_s));
        let mut shards = self.topology.shards;
        for i in order {
            let cmd = &self.faults[i].command;
            shards = check_target(cmd, shards).map_err(|e| ConfigError {
                field: format!("faults[{i}].command.{}", e.field),
                message: format!("{} (at {} s)", e.message, fmt_num(self.faults[i].at_s)),
            })?;
        }
        Ok(())
    }
}

impl TopologyConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_int(
            "topology.shards",
            self.shards as u64,
            limits::SHARDS.0,
            limits::SHARDS.1,
        )?;
        check_int(
            "topology.vnodes",
            self.vnodes as u64,
            limits::VNODES.0,
            limits::VNODES.1,
        )?;
        if let Some(p) = &self.proxy {
            check_range("topology.proxy.latency_ms", p.latency_ms, 0.0, 10_000.0)?;
            check_range(
                "topology.proxy.capacity_ops",
                p.capacity_ops,
                1.0,
                100_000_000.0,
            )?;
            check_range(
                "topology.proxy.max_queue_ms",
                p.max_queue_ms,
                0.0,
                600_000.0,
            )?;
        }
        let w = &self.warmup;
        check_range("topology.warmup.keys_per_s", w.keys_per_s, 1.0, 1_000_000.0)?;
        check_int(
            "topology.warmup.hottest_keys",
            w.hottest_keys as u64,
            1,
            100_000_000,
        )?;
        check_int(
            "topology.warmup.connections",
            w.connections as u64,
            1,
            1_000,
        )?;
        if let Some(r) = &self.replication {
            check_int("topology.replication.replicas", r.replicas as u64, 1, 2)?;
            check_range("topology.replication.lag_ms", r.lag_ms, 0.0, 60_000.0)?;
            check_range(
                "topology.replication.failover_ms",
                r.failover_ms,
                0.0,
                600_000.0,
            )?;
        }
        if let Some(l) = &self.l1 {
            check_int("topology.l1.keys", l.keys as u64, 1, 1_000_000)?;
            check_range("topology.l1.ttl_ms", l.ttl_ms, 1.0, 3_600_000.0)?;
            check_range("topology.l1.hit_us", l.hit_us, 0.0, 10_000.0)?;
        }
        if let Some(st) = &self.stream {
            check_range("topology.stream.lag_min_ms", st.lag_min_ms, 0.0, 600_000.0)?;
            check_range(
                "topology.stream.lag_max_ms",
                st.lag_max_ms,
                st.lag_min_ms,
                600_000.0,
            )?;
            check_range(
                "topology.stream.events_per_s",
                st.events_per_s,
                1.0,
                100_000_000.0,
            )?;
            check_range("topology.stream.retry_ms", st.retry_ms, 1.0, 600_000.0)?;
        }
        Ok(())
    }
}

/// Replaces the value at a dotted path of a scenario's JSON (no validation).
fn set_json_path(root: &mut serde_json::Value, path: &str, value: &str) -> Result<(), ConfigError> {
    let parsed: serde_json::Value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let here = parts[..=i].join(".");
        if node.is_null() {
            let parent = parts[..i].join(".");
            return Err(err(
                &here,
                format!("{parent} is null (absent): set it to an object first, e.g. {parent}={{}} for its defaults"),
            ));
        }
        let obj = node.as_object_mut().ok_or_else(|| {
            err(
                &here,
                "is not a field that can be set (its parent is not an object)",
            )
        })?;
        if !obj.contains_key(*part) {
            let known: Vec<&String> = obj.keys().collect();
            return Err(err(
                &here,
                format!("unknown field; expected one of {known:?}"),
            ));
        }
        if i + 1 == parts.len() {
            obj.insert(part.to_string(), parsed);
            return Ok(());
        }
        node = obj.get_mut(*part).expect("checked above");
    }
    Ok(())
}

/// Checks that a command names a shard that exists when there are `shards`
/// of them, and returns how many there are after it.
pub fn check_target(cmd: &Command, shards: u32) -> Result<u32, ConfigError> {
    let exists = |field: &str, shard: u32| {
        if shard < shards {
            Ok(())
        } else {
            Err(err(
                field,
                format!(
                    "there is no shard {shard}: shards are numbered 0 to {}",
                    shards - 1
                ),
            ))
        }
    };
    match cmd {
        Command::CrashCache { shard, .. } | Command::RestartCache { shard } => {
            exists("shard", *shard)?
        }
        Command::HotKey { shard: Some(s), .. }
        | Command::SetMemory { shard: Some(s), .. }
        | Command::FillMemory { shard: Some(s), .. }
        | Command::ClearFill { shard: Some(s) } => exists("shard", *s)?,
        Command::AddShard => {
            if shards as u64 >= limits::SHARDS.1 {
                return Err(err(
                    "type",
                    format!("cannot add a shard: at most {} shards", limits::SHARDS.1),
                ));
            }
            return Ok(shards + 1);
        }
        Command::RemoveShard => {
            if shards <= 1 {
                return Err(err("type", "cannot remove the only shard"));
            }
            return Ok(shards - 1);
        }
        _ => {}
    }
    Ok(shards)
}

/// Checks a command's values; the error's field is relative to the command.
pub fn validate_command(cmd: &Command) -> Result<(), ConfigError> {
    match cmd {
        Command::HotKey { rate, value_kb, .. } => {
            check_range(
                "rate",
                *rate,
                limits::HOT_KEY_RATE.0,
                limits::HOT_KEY_RATE.1,
            )?;
            check_range("value_kb", *value_kb, 1.0, 512.0 * 1024.0)
        }
        Command::KeyBusting { rate } => {
            check_range("rate", *rate, limits::ATTACK_RATE.0, limits::ATTACK_RATE.1)
        }
        Command::InvalidationFailure { probability } => {
            check_range("probability", *probability, 0.0, 1.0)
        }
        Command::SetMemory { gb, .. } => {
            check_range("gb", *gb, limits::MEMORY_GB.0, limits::MEMORY_GB.1)
        }
        Command::FillMemory { fraction, .. } => check_range("fraction", *fraction, 0.0, 1.0),
        Command::DbSlowdown { factor } => {
            check_range("factor", *factor, limits::SLOWDOWN.0, limits::SLOWDOWN.1)
        }
        Command::PodsUnhealthy { count } => check_int("count", *count as u64, 0, limits::PODS.1),
        Command::SetPods { count } => {
            check_int("count", *count as u64, limits::PODS.0, limits::PODS.1)
        }
        Command::SetRps { rps } => check_range("rps", *rps, limits::RPS.0, limits::RPS.1),
        Command::SetTargetHitRate { hit_rate } => check_range(
            "hit_rate",
            *hit_rate,
            limits::HIT_RATE.0,
            limits::HIT_RATE.1,
        ),
        Command::SetTtl { seconds } => {
            check_range("seconds", *seconds, limits::TTL_S.0, limits::TTL_S.1)
        }
        Command::CrashCache { .. }
        | Command::SingleFlight { .. }
        | Command::Autoscale { .. }
        | Command::RestartCache { .. }
        | Command::SetEviction { .. }
        | Command::SetEvictionPool { .. }
        | Command::ClearFill { .. }
        | Command::AddShard
        | Command::RemoveShard
        | Command::SetRouter { .. }
        | Command::SetProxy { .. }
        | Command::ProxySingleFlight { .. }
        | Command::Warmup { .. }
        | Command::StreamConsumer { .. }
        | Command::ReplicaReads { .. }
        | Command::Mitigation { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_seed() {
        let s = Scenario::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.client.rps, 10_000.0);
        assert_eq!(s.cache.ttl_s, 300.0);
        assert_eq!(s.db.max_connections, 200);
        assert_eq!(s.cache.eviction, EvictionPolicy::Noeviction);
    }

    #[test]
    fn json_round_trip() {
        let mut s = Scenario::default();
        s.faults.push(ScheduledCommand {
            at_s: 60.0,
            command: Command::CrashCache {
                shard: 0,
                host: false,
            },
        });
        s.faults.push(ScheduledCommand {
            at_s: 70.0,
            command: Command::HotKey {
                rate: 5000.0,
                value_kb: 64.0,
                shard: None,
            },
        });
        let back = Scenario::from_json(&s.to_json_pretty()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn set_path_changes_one_field_and_validates() {
        let mut s = Scenario::default();
        s.set_path("client.rps", "20000").unwrap();
        assert_eq!(s.client.rps, 20_000.0);
        s.set_path("cache.eviction", "allkeys-lru").unwrap();
        assert_eq!(s.cache.eviction, EvictionPolicy::AllkeysLru);
        let e = s.set_path("client.rsp", "1").unwrap_err();
        assert_eq!(e.field, "client.rsp");
        let e = s.set_path("client.rps", "-4").unwrap_err();
        assert_eq!(e.field, "client.rps");
        assert!(e.message.contains("between"));
        assert_eq!(
            s.client.rps, 20_000.0,
            "a failed set leaves the scenario unchanged"
        );
        let e = s.set_path("client.rps", "\"fast\"").unwrap_err();
        assert!(!e.message.contains("line"), "{e}");
        let e = s.set_path("client.rps", "1e300").unwrap_err();
        assert!(e.message.contains("got 1e300"), "{e}");
    }
}
