//! The simulation: wires the components together and runs each request's
//! life, event by event, exactly as the seed's cache-aside pseudocode does.
//!
//! * read: `GET key`; hit -> respond. Miss (or Redis down / timed out) ->
//!   3 ms processing, a pooled DB connection, `SELECT`, then backfill
//!   `SET key value EX ttl` (awaited), then respond. No single-flight by
//!   default: N concurrent misses on a key make N queries. With single-flight
//!   on, a pod's first miss on a key leads the load and the pod's later misses
//!   on that key wait for it and answer with its value (or its error).
//! * write: processing, DB `UPDATE`, then `SET` with TTL.
//! * delete: processing, DB write, then `DEL`.
//! * direct (not a cache operation): processing, DB query, respond.
//!
//! Lost cache updates after a DB write (injected invalidation failures, or
//! Redis timing out or down) leave the old value in the cache until its TTL:
//! reads that return a value whose version differs from the DB's are counted
//! as stale.

use crate::app_lb::{AppLb, LbReject};
use crate::app_service::Pod;
use crate::backend_db::{BackendDb, QueryKind};
use crate::cache_node::{CacheNode, GetResult, SetResult, Verb, RESERVED_BASE};
use crate::cache_proxy::CacheProxy;
use crate::calibrate::{self, key_rates, miss_delay_s, Keyspace};
use crate::command::{Command, ScheduledCommand};
use crate::engine::EventQueue;
use crate::fifo::Fifo;
use crate::frame::{node, Frame, FrameBuffer, HopKind, NodeKind, NodeView, TopologyView};
use crate::invalidation_stream::InvalidationStream;
use crate::l1_cache::L1Cache;
use crate::metrics::{self, History, Latency, LatencyClass, SecondStats, ShardSecond, Totals};
use crate::network_hop::NetworkHop;
use crate::request::{Flight, Op, Phase, ReqId, Request, Requests};
use crate::rng::{streams, Stream};
use crate::router::Router;
use crate::scenario::{check_target, validate_command, ConfigError, RetryPolicy, Scenario};
use crate::time::{from_ms, from_secs, to_secs, Nanos, NANOS_PER_MS, NANOS_PER_SEC};
use crate::warmup::WarmupJob;
use crate::zipf::Zipf;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Counts one occurrence in the run's totals and in the current second.
macro_rules! count {
    ($sim:expr, $field:ident) => {{
        $sim.totals.$field += 1;
        $sim.acc.s.$field += 1;
    }};
}

mod commands;
mod l1_flow;
mod metrics_tick;
mod mitigation_flow;
mod pod_flow;
mod replication;
mod request_flow;
mod status;
mod stream_flow;
mod warmup_flow;

pub use status::{
    AutoscaleStatus, L1Status, PodStatus, ProxyStatus, ReplicaStatus, ShardStatus, Status,
    StreamStatus,
};

/// Keys of the key-busting attack: never seen before, above the keyspace.
pub const ATTACK_BASE: u32 = 0x8000_0000;

/// A fixed bijective mix of a counter (splitmix64's finaliser).
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Sources of arrivals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Main = 0,
    HotKey = 1,
    Attack = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CacheCmd {
    Get,
    Set,
    Del,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    AtPod(ReqId),
    /// A Redis command finished executing on a shard.
    CacheDone(ReqId, CacheCmd, u8),
    /// The app gave up on a Redis command (timeout, refused, proxy full).
    CacheFailed(ReqId, CacheCmd),
    /// The app gave up waiting for a SET or DEL that Redis will still run
    /// (a `LateWrite` is scheduled): not a lost invalidation.
    CacheLate(ReqId),
    /// Processing done: the request wants a DB connection.
    Processed(ReqId),
    /// A new DB connection is open.
    Connected(ReqId),
    /// A DB result is back at the app.
    DbDone(ReqId),
    PoolTimeout(ReqId),
    /// The response reaches the client (only when it might arrive after the client's timeout).
    Respond(ReqId),
    /// Second boundary: metrics and active expiry.
    Tick,
    /// A SET or DEL whose client timed out runs on its shard.
    LateWrite(LateWrite),
    /// A client tries again.
    Retry(RetryTry),
    /// The warm-up job in this slot may issue its next query.
    WarmupTick(u8),
    /// A warm-up SELECT of this key is back at the worker.
    WarmupLoaded(u8, u32),
    /// A primary's write reaches its replicas.
    Replicate(LateWrite),
    /// The cluster promotes a replica of this shard if its primary (this
    /// incarnation) is still dead.
    Failover(u8, u32),
    /// The invalidation stream's consumer of this partition takes an event.
    StreamConsume(u8),
    /// A lost invalidation of this key is tried again (this attempt).
    InvalidationRetry(u32, u8),
}

/// A SET or DEL that Redis runs after its client gave up (8 bytes, so that
/// events stay small).
#[derive(Clone, Copy, Debug)]
struct LateWrite {
    shard: u8,
    /// The low byte of the shard's epoch when it was sent: a crash loses it.
    epoch: u8,
    del: bool,
    /// A client's write or delete (not a backfill): losing it leaves stale data.
    user: bool,
    version: u16,
    key: u32,
}

/// A client's retry (8 bytes).
#[derive(Clone, Copy, Debug)]
struct RetryTry {
    op: Op,
    attempt: u8,
    key: u32,
}

/// Retry tokens a budget can save up (a burst of retries after a quiet spell).
const RETRY_TOKENS_MAX: f64 = 100.0;

/// The event queue's FIFO lanes (see `engine`): kinds of event that are
/// scheduled in time order, because their delay is constant or comes from a
/// FIFO server.
mod lane {
    /// The LB (FIFO, constant latency) hands a request to a pod.
    pub const AT_POD: usize = 0;
    /// Redis (one FIFO thread per shard) finishes a command; in order for one
    /// shard, so with several shards most of these go to the heap.
    pub const CACHE_DONE: usize = 1;
    /// A write, delete or direct request finishes its processing.
    pub const PROCESSED: usize = 2;
    /// A missed read finishes its processing.
    pub const MISSED: usize = 3;
    pub const COUNT: usize = 4;
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    Lb503,
    Lb502,
    Timeout,
    DbConnections,
    PoolTimeout,
    CacheOom,
    /// An open circuit breaker's fast graceful-degradation answer.
    Degraded,
    /// Over the client's rate limit at the LB (429).
    RateLimited,
}

/// Per-second accumulators.
#[derive(Default)]
struct Accum {
    s: SecondStats,
    lat: Latency,
    db_busy_mark: u64,
    db_cpu_mark: u64,
    db_warmup: u64,
    warmed: u64,
}

/// A running simulation.
pub struct Simulation {
    scenario: Scenario,
    now: Nanos,
    queue: EventQueue<Ev, { lane::COUNT }>,
    deadlines: Fifo<(Nanos, ReqId)>,
    requests: Requests,
    lb: AppLb,
    pods: Vec<Pod>,
    /// The Redis shards, by position (V0: one).
    caches: Vec<CacheNode>,
    /// Which shard owns a key.
    router: Router,
    /// The CacheProxyService, when the topology has one.
    proxy: Option<CacheProxy>,
    /// What a proxy put in live is configured with.
    proxy_cfg: crate::scenario::ProxyConfig,
    /// The proxy's single-flight table (one for every pod): keys with a miss
    /// load in flight and the requests waiting for it.
    proxy_flights: BTreeMap<u32, Vec<ReqId>>,
    warmup_on: bool,
    warmups: Vec<Option<WarmupJob>>,
    /// DB connections the warm-up worker holds, and its queries in flight.
    warmup_conns: u32,
    warmup_in_flight: u32,
    /// Epochs handed to shards: every crash, restart or new shard gets a new one.
    next_epoch: u32,
    /// Each shard's replicas (V2; empty without replication).
    replicas: Vec<Vec<CacheNode>>,
    replication: Option<crate::scenario::ReplicationConfig>,
    /// When a shard's failover is due (its primary is dead).
    failover_at: Vec<Option<Nanos>>,
    /// Each pod's L1 (V2; empty without one).
    l1: Vec<L1Cache>,
    l1_cfg: Option<crate::scenario::L1Config>,
    l1_hit: Nanos,
    stream: Option<InvalidationStream>,
    /// L1 stores only keys below this (the hot-key cache: the hottest ranks).
    l1_admit_below: u32,
    /// The proxy's hot-key detector: which keys L1 may hold.
    hot_keys: crate::hot_keys::HotKeys,
    /// The mitigations as they are now (live commands change them).
    mitigations: crate::mitigations::MitigationsConfig,
    /// The rate-limited attacker's tokens.
    attack_budget: crate::token_bucket::TokenBucket,
    /// Each shard's last RDB snapshot.
    snapshots: Vec<Option<crate::cache_store::CacheStore>>,
    db: BackendDb,
    keyspace: Keyspace,
    zipf: Zipf,
    // streams
    rng_arrivals: Stream,
    rng_hot: Stream,
    rng_attack: Stream,
    rng_db: Stream,
    rng_faults: Stream,
    rng_evict: Stream,
    rng_warmup: Stream,
    rng_retry: Stream,
    rng_stream: Stream,
    rng_replica: Stream,
    rng_hops: Stream,
    /// The clients' retry policy, and the budget's tokens.
    retry: crate::scenario::RetryConfig,
    retry_tokens: f64,
    // live parameters
    rates: [f64; 3],
    /// Next arrival of each source (`Nanos::MAX`: none). Kept beside the event
    /// queue rather than in it: one heap operation fewer per request.
    next_arrival: [Nanos; 3],
    /// The earliest of `next_arrival` and its source, kept up to date by
    /// `schedule_arrival` (the run loop reads it once per event).
    first_arrival: (Nanos, Source),
    invalidation_failure: f64,
    /// Pods coalesce concurrent misses on a key (see `AppConfig::single_flight`).
    single_flight: bool,
    /// The autoscaler (its `on` switches live), its alarm, and a scale-out
    /// under way: when the new pods run, and how many pods there will be.
    autoscale: crate::autoscaler::AutoscaleConfig,
    autoscaler: crate::autoscaler::Autoscaler,
    scale_out: Option<(Nanos, u32)>,
    /// The next pod for a read made within a page (round-robin).
    inner_next: usize,
    target_hit_rate: f64,
    ttl: Nanos,
    /// Extra Redis CPU per command on the hot key (its value is large).
    hot_extra: Nanos,
    /// The hot key (the most popular key, or the most popular on a chosen shard).
    hot_key: u32,
    attack_next: u32,
    // durations
    /// Pod <-> Redis and pod <-> PostgreSQL round trips.
    cache_hop: NetworkHop,
    /// the SET / DEL sent straight after a DB reply (`app.cache_rtt_after_db_ms`)
    cache_hop_after_db: NetworkHop,
    db_hop: NetworkHop,
    processing: Nanos,
    /// CPU a request costs its pod on arrival, and a DB reply.
    cpu_request: Nanos,
    cpu_db: Nanos,
    connect: Nanos,
    pool_timeout: Nanos,
    cache_timeout: Nanos,
    client_timeout: Nanos,
    lb_latency: Nanos,
    // metrics
    totals: Totals,
    total_lat: Latency,
    /// How long each stale value read had been stale, ms (1 ms resolution).
    stale_age: hdrhistogram::Histogram<u64>,
    acc: Accum,
    history: History,
    client_in_flight: u64,
    /// Queries sent and not yet back (network + DB queue + execution).
    querying: u32,
    /// DB queries sent this second as their pods see them: sent to reply
    /// back, us (recorded when sent: the reply's time is known then, and a
    /// second's queue of replies would cost more than the rest of a query).
    query_latency: hdrhistogram::Histogram<u64>,
    peak_db_offered: u64,
    // animation
    frame: FrameBuffer,
    frame_start: Nanos,
    trace_rate: f64,
    trace_every: u64,
    arrivals_seen: u64,
    /// The first main-source arrivals (time, key, operation), when asked for.
    arrival_log: Vec<(Nanos, u32, Op)>,
    arrival_log_cap: usize,
    applied: Vec<ScheduledCommand>,
    /// The scenario's faults not yet applied, by time (stable for equal times).
    /// A fault runs after every event of its instant, exactly like a command
    /// applied live after `advance_to` reached that instant, so a share link
    /// that turns live commands into faults replays the same run.
    pending_faults: VecDeque<(Nanos, u32)>,
    events: u64,
}

/// Table capacity for one of `shards` shards: the keys it is expected to
/// hold (with room for the ring's imbalance), at most what its memory holds.
fn shard_capacity(s: &Scenario, expected_live: f64, shards: usize) -> usize {
    let share = if shards == 1 {
        1.0
    } else {
        1.3 / shards as f64
    };
    let cache_cap = (expected_live * 1.1 * share) as u64;
    let mem_cap = s.cache.memory_gb * 1024.0 * 1024.0 * 1024.0 / s.cache.entry_bytes as f64;
    cache_cap.min(mem_cap as u64).min(1 << 26) as usize
}

impl Simulation {
    /// Builds a run from a scenario (validated here too).
    pub fn new(scenario: Scenario) -> Result<Self, ConfigError> {
        scenario.validate()?;
        let s = &scenario;
        let rates = key_rates(s, s.client.rps);
        let keyspace = match s.client.keys {
            Some(keys) => calibrate::given_keyspace(
                keys,
                s.client.zipf_s,
                s.client.top1_share,
                rates,
                s.cache.ttl_s,
                miss_delay_s(s),
            ),
            None => calibrate::derive_keyspace(
                s.client.target_hit_rate,
                s.client.top1_share,
                rates,
                s.cache.ttl_s,
                miss_delay_s(s),
            ),
        };
        let expected_live = if s.warm_start {
            calibrate::expected_live_keys(
                keyspace.keys,
                keyspace.zipf_s,
                key_rates(s, s.client.rps),
                s.cache.ttl_s,
                miss_delay_s(s),
            )
        } else {
            keyspace.keys as f64 * 0.05
        };
        let shards = s.topology.shards as usize;
        let caches = (0..shards)
            .map(|i| {
                let mut c = CacheNode::new(&s.cache, shard_capacity(s, expected_live, shards));
                c.epoch = i as u32;
                c
            })
            .collect();
        let seed = s.seed;
        let mut sim = Simulation {
            now: 0,
            queue: EventQueue::default(),
            deadlines: Fifo::default(),
            requests: Requests::default(),
            lb: AppLb::new(&s.lb),
            pods: (0..s.app.pods)
                .map(|_| Pod::new(s.app.cores_per_pod))
                .collect(),
            caches,
            router: Router::new(s.topology.router, s.topology.vnodes, shards),
            proxy: s.topology.proxy.as_ref().map(CacheProxy::new),
            proxy_cfg: s.topology.proxy.clone().unwrap_or_default(),
            proxy_flights: BTreeMap::new(),
            warmup_on: s.topology.warmup.enabled,
            warmups: vec![None; node::MAX_SHARDS as usize],
            warmup_conns: 0,
            warmup_in_flight: 0,
            next_epoch: shards as u32,
            replicas: vec![Vec::new(); shards],
            replication: s.topology.replication.clone(),
            failover_at: vec![None; shards],
            l1: match &s.topology.l1 {
                Some(l) => (0..s.app.pods)
                    .map(|_| L1Cache::new(l.keys as usize, from_ms(l.ttl_ms)))
                    .collect(),
                None => Vec::new(),
            },
            l1_cfg: s.topology.l1.clone(),
            l1_hit: s
                .topology
                .l1
                .as_ref()
                .map_or(0, |l| from_ms(l.hit_us / 1_000.0)),
            stream: s
                .topology
                .stream
                .as_ref()
                .map(|c| InvalidationStream::new(c, shards)),
            l1_admit_below: u32::MAX,
            hot_keys: crate::hot_keys::HotKeys::new(
                s.topology.l1.as_ref().map_or(0, |l| l.hot_threshold_per_s),
            ),
            mitigations: crate::mitigations::MitigationsConfig::default(),
            attack_budget: Default::default(),
            snapshots: vec![None; shards],
            db: BackendDb::new(&s.db, keyspace.keys),
            zipf: Zipf::new(keyspace.keys, keyspace.zipf_s),
            keyspace,
            rng_arrivals: Stream::new(seed, streams::ARRIVALS),
            rng_hot: Stream::new(seed, streams::HOT_KEY),
            rng_attack: Stream::new(seed, streams::ATTACK),
            rng_db: Stream::new(seed, streams::DB_SERVICE),
            rng_faults: Stream::new(seed, streams::FAULTS),
            rng_evict: Stream::new(seed, streams::EVICTION),
            rng_warmup: Stream::new(seed, streams::WARMUP_WORKER),
            rng_retry: Stream::new(seed, streams::RETRY),
            rng_stream: Stream::new(seed, streams::STREAM),
            rng_replica: Stream::new(seed, streams::REPLICA_READS),
            rng_hops: Stream::new(seed, streams::HOPS),
            retry: s.client.retry.clone(),
            retry_tokens: 0.0,
            rates: [s.client.rps, 0.0, 0.0],
            next_arrival: [Nanos::MAX; 3],
            first_arrival: (Nanos::MAX, Source::Main),
            invalidation_failure: 0.0,
            single_flight: s.app.single_flight,
            autoscale: s.app.autoscale.clone(),
            autoscaler: Default::default(),
            scale_out: None,
            inner_next: 0,
            // a given keyspace has no target: what it predicts stands for one
            target_hit_rate: if s.client.keys.is_some() {
                keyspace.predicted_hit_rate
            } else {
                s.client.target_hit_rate
            },
            ttl: from_secs(s.cache.ttl_s),
            hot_extra: 0,
            hot_key: 0,
            attack_next: ATTACK_BASE,
            cache_hop: NetworkHop::new(s.app.cache_rtt_ms, s.app.cache_rtt_p99_ms),
            cache_hop_after_db: if s.app.cache_rtt_after_db_ms > 0.0 {
                NetworkHop::new(s.app.cache_rtt_after_db_ms, 0.0)
            } else {
                NetworkHop::new(s.app.cache_rtt_ms, s.app.cache_rtt_p99_ms)
            },
            db_hop: NetworkHop::new(s.app.db_rtt_ms, s.app.db_rtt_p99_ms),
            processing: from_ms(s.app.processing_ms),
            cpu_request: from_ms(s.app.cpu_per_request_ms),
            cpu_db: from_ms(s.app.cpu_per_db_reply_ms),
            connect: from_ms(s.app.connect_ms),
            pool_timeout: from_ms(s.app.pool_timeout_ms),
            cache_timeout: from_ms(s.app.cache_timeout_ms),
            client_timeout: from_ms(s.client.timeout_ms),
            lb_latency: from_ms(s.lb.latency_ms),
            totals: Totals::default(),
            total_lat: Latency::default(),
            stale_age: hdrhistogram::Histogram::new_with_bounds(1, 86_400_000, 2)
                .expect("valid bounds"),
            acc: Accum::default(),
            history: History::new(3_600),
            client_in_flight: 0,
            querying: 0,
            query_latency: metrics::hist(),
            peak_db_offered: 0,
            frame: FrameBuffer::new(s.app.pods as usize, 5_000),
            frame_start: 0,
            trace_rate: 0.0,
            trace_every: u64::MAX,
            arrivals_seen: 0,
            arrival_log: Vec::new(),
            arrival_log_cap: 0,
            applied: Vec::new(),
            pending_faults: VecDeque::new(),
            events: 0,
            scenario,
        };
        if sim.scenario.warm_start {
            sim.warm_cache();
        }
        for i in 0..shards {
            sim.replicas[i] = sim.new_replicas(i);
        }
        for m in sim.scenario.mitigations.active() {
            sim.set_mitigation(m, true);
        }
        if sim.warmup_on {
            sim.open_warmup_pool();
        }
        sim.update_trace_every();
        sim.schedule_arrival(Source::Main);
        sim.queue.push(NANOS_PER_SEC, Ev::Tick);
        let mut faults: Vec<(Nanos, u32)> = sim
            .scenario
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| (from_secs(f.at_s), i as u32))
            .collect();
        faults.sort_by_key(|&(t, _)| t);
        sim.pending_faults = faults.into();
        Ok(sim)
    }

    /// Fills the cache with its steady state: each key is cached with the
    /// probability the calibration formula gives it, with a residual TTL
    /// uniform over the TTL (exact for keys filled by reads alone).
    fn warm_cache(&mut self) {
        let s = &self.scenario;
        let rates = key_rates(s, self.rates[0]);
        let d = miss_delay_s(s);
        let ttl_s = s.cache.ttl_s;
        let n = self.keyspace.keys;
        let zs = self.keyspace.zipf_s;
        let h = calibrate::harmonic(n, zs);
        let mut rng = Stream::new(s.seed, streams::WARMUP);
        let mut full = vec![false; self.caches.len()];
        let mut k: u64 = 1;
        while k <= n {
            // ranks with (nearly) the same rate share one probability
            let end = if k < 1_000 {
                k
            } else {
                ((k as f64 * 1.001) as u64).min(n)
            };
            let p = libm::pow(k as f64, -zs) / h;
            let fill = calibrate::fill_probability(
                rates.reads * p,
                rates.writes * p,
                rates.deletes * p,
                ttl_s,
                d,
            );
            for rank in k..=end {
                if rng.chance(fill) {
                    let ttl = (rng.uniform() * self.ttl as f64) as Nanos + 1;
                    let key = (rank - 1) as u32;
                    let shard = self.router.route(key);
                    if full[shard] {
                        continue;
                    }
                    if self.caches[shard].set(key, 0, Some(ttl), 0, &mut rng) == SetResult::Oom {
                        // a full shard takes no more; once every shard is full, stop
                        full[shard] = true;
                        if full.iter().all(|&f| f) {
                            return;
                        }
                    }
                }
            }
            k = end + 1;
        }
        for c in &mut self.caches {
            c.evictions = 0;
        }
    }

    // ----- public API -------------------------------------------------------

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Simulated time, seconds.
    pub fn now_s(&self) -> f64 {
        to_secs(self.now)
    }

    pub fn now(&self) -> Nanos {
        self.now
    }

    pub fn keyspace(&self) -> Keyspace {
        self.keyspace
    }

    /// Runs every event up to and including simulated time `t` (seconds).
    pub fn advance_to(&mut self, t_s: f64) {
        let t = from_secs(t_s);
        self.run_until(t);
    }

    /// Runs for `dt` more simulated seconds.
    pub fn advance_by(&mut self, dt_s: f64) {
        let t = self.now + from_secs(dt_s);
        self.run_until(t);
    }

    fn run_until(&mut self, t: Nanos) {
        loop {
            let next_event = self.queue.peek_time().unwrap_or(Nanos::MAX);
            let next_deadline = self.deadlines.front().map_or(Nanos::MAX, |d| d.0);
            let (next_arrival, src) = self.first_arrival;
            let next_fault = self.pending_faults.front().map_or(Nanos::MAX, |f| f.0);
            // at equal times: queued events, then arrivals, then client timeouts, then faults
            let first = next_event.min(next_arrival).min(next_deadline);
            if next_fault < first {
                if next_fault > t {
                    break;
                }
                let (time, i) = self.pending_faults.pop_front().expect("peeked");
                self.now = time;
                let cmd = self.scenario.faults[i as usize].command.clone();
                self.execute(cmd);
            } else if next_deadline < next_event && next_deadline < next_arrival {
                if next_deadline > t {
                    break;
                }
                let (time, id) = self.deadlines.pop_front().expect("peeked");
                self.now = time;
                self.client_timeout_fires(id);
            } else if next_event <= next_arrival {
                if next_event > t {
                    break;
                }
                let (time, ev) = self.queue.pop().expect("peeked");
                self.now = time;
                self.events += 1;
                self.dispatch(ev);
            } else {
                if next_arrival > t {
                    break;
                }
                self.now = next_arrival;
                self.events += 1;
                self.arrival(src);
            }
        }
        if t > self.now {
            self.now = t;
        }
    }

    /// Applies a command now. Invalid values are refused with a message and
    /// change nothing; the run goes on either way.
    pub fn apply(&mut self, cmd: Command) -> Result<(), ConfigError> {
        validate_command(&cmd)?;
        check_target(&cmd, self.caches.len() as u32)?;
        self.applied.push(ScheduledCommand {
            at_s: self.now_s(),
            command: cmd.clone(),
        });
        self.execute(cmd);
        Ok(())
    }

    /// Commands applied live so far, with their times (for share links).
    pub fn applied_log(&self) -> &[ScheduledCommand] {
        &self.applied
    }

    /// The per-second history (bounded: the last hour).
    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Latency over the whole run: the finished seconds, merged at each
    /// tick, and the current one (each request is recorded once, in its second).
    pub fn latency(&self) -> Latency {
        let mut all = self.total_lat.clone();
        all.add(&self.acc.lat);
        all
    }

    /// Keeps the next `n` client arrivals (time, key, operation) of the
    /// main traffic: the arrival stream, to compare runs with.
    pub fn record_arrivals(&mut self, n: usize) {
        self.arrival_log_cap = self.arrival_log.len() + n;
    }

    pub fn arrivals(&self) -> &[(Nanos, u32, Op)] {
        &self.arrival_log
    }

    /// How long the stale values that reads got had been stale, ms.
    pub fn stale_ages(&self) -> &hdrhistogram::Histogram<u64> {
        &self.stale_age
    }

    /// Requests whose client is still waiting.
    pub fn in_flight(&self) -> u64 {
        self.client_in_flight
    }

    /// Requests the servers are still working on (clients may have given up).
    pub fn server_in_flight(&self) -> u64 {
        self.requests.live() as u64
    }

    /// Events processed so far (a measure of the simulator's work).
    pub fn events_processed(&self) -> u64 {
        self.events
    }

    pub fn peak_db_offered(&self) -> u64 {
        self.peak_db_offered
    }

    /// How many requests per simulated second to trace for the animation (0 = none).
    pub fn set_trace_rate(&mut self, per_sec: f64) {
        self.trace_rate = per_sec.max(0.0);
        self.update_trace_every();
    }

    /// Upper bound on hops kept between two frames.
    pub fn set_max_hops(&mut self, n: usize) {
        self.frame.max_hops = n;
    }

    fn update_trace_every(&mut self) {
        let total: f64 = self.rates.iter().sum();
        self.trace_every = if self.trace_rate <= 0.0 {
            u64::MAX
        } else {
            ((total / self.trace_rate).ceil() as u64).max(1)
        };
    }

    /// Edge counts and traced hops since the previous call.
    pub fn take_frame(&mut self) -> Frame {
        let topology = self.topology_view();
        let (responses, errors) = (self.frame.responses, self.frame.errors);
        let flows = self.frame.take_flows(&topology);
        let frame = Frame {
            now_s: self.now_s(),
            span_s: to_secs(self.now - self.frame_start),
            topology,
            flows,
            responses,
            errors,
            hops: std::mem::take(&mut self.frame.hops),
            trace_every: self.trace_every,
            dropped_hops: std::mem::take(&mut self.frame.dropped_hops),
        };
        self.frame_start = self.now;
        frame
    }

    /// The architecture as it runs now: its nodes and the edges requests travel.
    pub fn topology_view(&self) -> TopologyView {
        let view = |id, kind, index| NodeView { id, kind, index };
        let mut nodes = vec![
            view(node::CLIENT, NodeKind::Client, 0),
            view(node::LB, NodeKind::Lb, 0),
        ];
        let mut edges = vec![(node::CLIENT, node::LB)];
        let pods: Vec<usize> = (0..self.pods.len())
            .filter(|&i| self.pods[i].active)
            .collect();
        for &p in &pods {
            nodes.push(view(node::pod(p), NodeKind::Pod, p));
            edges.push((node::LB, node::pod(p)));
        }
        let shards = 0..self.caches.len();
        if self.proxy.is_some() {
            nodes.push(view(node::PROXY, NodeKind::Proxy, 0));
        }
        nodes.extend(
            shards
                .clone()
                .map(|i| view(node::shard(i), NodeKind::Shard, i)),
        );
        nodes.push(view(node::DB, NodeKind::Db, 0));
        for &p in &pods {
            if self.proxy.is_some() {
                edges.push((node::pod(p), node::PROXY));
            } else {
                edges.extend(shards.clone().map(|i| (node::pod(p), node::shard(i))));
            }
        }
        if self.proxy.is_some() {
            edges.extend(shards.clone().map(|i| (node::PROXY, node::shard(i))));
        }
        edges.extend(pods.iter().map(|&p| (node::pod(p), node::DB)));
        let m = node::MAX_REPLICAS as usize;
        for (i, replicas) in self.replicas.iter().enumerate() {
            for j in 0..replicas.len() {
                nodes.push(view(node::replica(i, j), NodeKind::Replica, i * m + j));
                edges.push((node::shard(i), node::replica(i, j)));
                if self.proxy.is_some() {
                    edges.push((node::PROXY, node::replica(i, j)));
                }
            }
        }
        if self.stream.is_some() {
            nodes.push(view(node::STREAM, NodeKind::Stream, 0));
            edges.push((node::DB, node::STREAM));
            edges.extend(shards.clone().map(|i| (node::STREAM, node::shard(i))));
        }
        if self.warmup_on {
            nodes.push(view(node::WARMUP, NodeKind::Warmup, 0));
            edges.push((node::WARMUP, node::DB));
            edges.extend(shards.map(|i| (node::WARMUP, node::shard(i))));
        }
        TopologyView { nodes, edges }
    }

    /// Bytes of the simulator's own large structures (cache table, DB versions, queues).
    pub fn model_heap_bytes(&self) -> usize {
        self.caches
            .iter()
            .chain(self.replicas.iter().flatten())
            .map(|c| c.store.heap_bytes())
            .sum::<usize>()
            + self.l1.iter().map(L1Cache::heap_bytes).sum::<usize>()
            + self.db.heap_bytes()
            + self.queue.heap_bytes()
            + self.requests.heap_bytes()
    }

    // ----- events -----------------------------------------------------------

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::AtPod(id) => self.at_pod(id),
            Ev::CacheDone(id, cmd, shard) => self.cache_done(id, cmd, shard as usize),
            Ev::CacheFailed(id, cmd) => self.cache_failed(id, cmd),
            Ev::CacheLate(id) => self.cache_gave_up(id),
            Ev::Processed(id) => self.acquire_connection(id),
            Ev::Connected(id) => self.send_query(id),
            Ev::DbDone(id) => self.db_done(id),
            Ev::PoolTimeout(id) => self.pool_timeout_fires(id),
            Ev::Respond(id) => self.respond(id, self.now),
            Ev::Tick => self.tick(),
            Ev::LateWrite(w) => self.late_write(w),
            Ev::Retry(t) => {
                count!(self, retries);
                self.admit(t.op, t.key, t.attempt);
            }
            Ev::WarmupTick(slot) => self.warmup_tick(slot as usize),
            Ev::WarmupLoaded(slot, key) => self.warmup_loaded(slot as usize, key),
            Ev::Replicate(w) => self.apply_replicated(w),
            Ev::Failover(shard, epoch) => self.failover(shard as usize, epoch),
            Ev::StreamConsume(p) => self.stream_consume(p as usize),
            Ev::InvalidationRetry(key, attempt) => self.invalidation_retry(key, attempt),
        }
    }
}
