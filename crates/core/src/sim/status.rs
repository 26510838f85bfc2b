//! The live state of every component, for the page and the CLI: one row per
//! pod and per shard, the proxy when there is one.

use super::*;

/// The pods' autoscaler.
#[derive(Clone, Debug, Serialize)]
pub struct AutoscaleStatus {
    pub on: bool,
    /// Minutes in a row above the threshold so far, of the `minutes` needed.
    pub minutes_above: u32,
    pub minutes: u32,
    pub cpu_threshold: f64,
    /// A scale-out under way: when its pods start, and the deployment then.
    pub scale_out_at_s: Option<f64>,
    pub scale_out_to: u32,
}

/// Live state of one pod.
#[derive(Clone, Debug, Serialize)]
pub struct PodStatus {
    /// The LB routes to it (its health checks pass).
    pub healthy: bool,
    /// Its process answers.
    pub up: bool,
    /// Health checks failed in a row so far.
    pub failed_checks: u32,
    /// CPU utilisation over the last second (0-1).
    pub cpu: f64,
    pub active: bool,
    pub inflight: u32,
    pub pool_open: u32,
    pub pool_busy: u32,
    pub waiting: u32,
}

/// Live state of one Redis shard.
#[derive(Clone, Debug, Serialize)]
pub struct ShardStatus {
    /// Node id (`frame::node::shard(index)`).
    pub id: u16,
    pub index: usize,
    pub up: bool,
    /// Restarted and not yet accepting commands (`-LOADING`).
    pub loading: bool,
    /// The host is down (commands time out instead of being refused).
    pub host_down: bool,
    pub keys: u64,
    pub memory_bytes: u64,
    pub max_bytes: u64,
    /// Commands waiting or executing.
    pub queue: u64,
    /// A `fill_memory` batch job is holding memory on it.
    pub fill_active: bool,
    /// The warm-up worker is loading it.
    pub warming: bool,
    /// Keys the warm-up worker has loaded into it so far in this warm-up.
    pub warmed_keys: u32,
    /// Single-thread CPU busy fraction in the last whole second.
    pub cpu: f64,
    /// Commands executed in the last whole second.
    pub ops: u64,
    /// Read hit rate on this shard in the last whole second.
    pub hit_rate: f64,
    /// Its replicas (V2).
    pub replicas: Vec<ReplicaStatus>,
    /// Seconds until the cluster promotes a replica (its primary is dead).
    pub failover_in_s: Option<f64>,
}

/// Live state of one replica.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaStatus {
    /// Node id (`frame::node::replica(shard, j)`).
    pub id: u16,
    pub up: bool,
    pub loading: bool,
    pub keys: u64,
}

/// Live state of the pods' L1 caches.
#[derive(Clone, Debug, Serialize)]
pub struct L1Status {
    /// Keys each pod's L1 holds at most, and its TTL.
    pub capacity: u32,
    pub ttl_ms: f64,
    /// Keys held, summed over the pods.
    pub keys: u64,
    /// Share of reads answered from L1 in the last whole second.
    pub hit_share: f64,
}

/// Live state of the invalidation stream.
#[derive(Clone, Debug, Serialize)]
pub struct StreamStatus {
    pub running: bool,
    /// Events waiting to be applied.
    pub backlog: u64,
    /// Age of the oldest event not yet applied (the consumer's lag), ms.
    pub lag_ms: f64,
    pub partitions: usize,
}

/// Live state of the CacheProxyService.
#[derive(Clone, Debug, Serialize)]
pub struct ProxyStatus {
    pub queue: u64,
    pub capacity_ops: f64,
    pub latency_ms: f64,
    pub single_flight: bool,
    /// Busy fraction in the last whole second.
    pub utilization: f64,
    /// Misses waiting for another pod's or request's load of their key.
    pub coalescing: u64,
}

/// Live state of the whole system.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub now_s: f64,
    /// Failed checks in a row that take a pod out of rotation.
    pub pod_unhealthy_threshold: u32,
    pub autoscale: AutoscaleStatus,
    pub shards: Vec<ShardStatus>,
    pub proxy: Option<ProxyStatus>,
    pub router: &'static str,
    pub vnodes: u32,
    pub warmup: bool,
    pub eviction: &'static str,
    pub ttl_s: f64,
    pub db_connections: u32,
    pub db_max_connections: u32,
    pub db_workers: u32,
    pub db_busy_workers: u32,
    pub db_slowdown: f64,
    pub lb_queue: u64,
    pub pods: Vec<PodStatus>,
    pub rps: f64,
    pub hot_key_rate: f64,
    pub hot_key: u32,
    pub attack_rate: f64,
    pub invalidation_failure: f64,
    pub single_flight: bool,
    pub keyspace_keys: u64,
    pub zipf_s: f64,
    /// The target the keyspace was derived from.
    pub target_hit_rate: f64,
    pub predicted_hit_rate: f64,
    pub in_flight: u64,
    pub lb_capacity_rps: f64,
    /// Cache-miss SELECTs per second the DB can serve: workers / read service time.
    pub db_select_capacity_qps: f64,
    /// Commands per second one shard executes at most.
    pub shard_capacity_ops: f64,
    pub l1: Option<L1Status>,
    pub stream: Option<StreamStatus>,
    /// GETs go to replicas too (V2).
    pub replica_reads: bool,
    /// What runs, and what it costs per month.
    pub footprint: crate::cost::Footprint,
    pub cost: crate::cost::Bill,
    /// The seed's mitigations that are on.
    pub mitigations: Vec<crate::mitigations::Mitigation>,
    /// Pods whose circuit breaker is open now.
    pub breakers_open: u32,
}

impl Status {
    /// Shards that are down.
    pub fn shards_down(&self) -> usize {
        self.shards.iter().filter(|s| !s.up).count()
    }

    /// Every shard is down (V0: the cache is down).
    pub fn cache_down(&self) -> bool {
        self.shards.iter().all(|s| !s.up)
    }

    pub fn cache_keys(&self) -> u64 {
        self.shards.iter().map(|s| s.keys).sum()
    }

    pub fn cache_memory_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.memory_bytes).sum()
    }

    pub fn cache_max_bytes(&self) -> u64 {
        self.shards.iter().map(|s| s.max_bytes).sum()
    }

    /// The fullest shard's memory fraction.
    pub fn max_memory_fraction(&self) -> f64 {
        self.shards
            .iter()
            .map(|s| s.memory_bytes as f64 / s.max_bytes.max(1) as f64)
            .fold(0.0, f64::max)
    }

    /// A batch job holds memory on some shard.
    pub fn fill_active(&self) -> bool {
        self.shards.iter().any(|s| s.fill_active)
    }

    /// The busiest shard.
    pub fn busiest_shard(&self) -> Option<&ShardStatus> {
        self.shards.iter().max_by(|a, b| a.cpu.total_cmp(&b.cpu))
    }
}

impl Simulation {
    /// Live state.
    pub fn status(&self) -> Status {
        let last = self.history.last_shards();
        let shards = self
            .caches
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let second = last.and_then(|v| v.get(i));
                let job = self.warmups.get(i).and_then(|j| j.as_ref());
                ShardStatus {
                    id: node::shard(i),
                    index: i,
                    up: c.up,
                    loading: c.up && !c.ready(self.now),
                    host_down: c.host_down,
                    keys: c.keys(),
                    memory_bytes: c.used_bytes(),
                    max_bytes: c.max_bytes,
                    queue: c.queue_len(self.now),
                    fill_active: c.fill_active(),
                    warming: job.is_some(),
                    warmed_keys: job.map_or(0, |j| j.issued - j.in_flight),
                    cpu: second.map_or(0.0, |s| s.cpu),
                    ops: second.map_or(0, |s| s.ops),
                    hit_rate: second.map_or(0.0, |s| s.hit_rate),
                    replicas: self.replicas[i]
                        .iter()
                        .enumerate()
                        .map(|(j, r)| ReplicaStatus {
                            id: node::replica(i, j),
                            up: r.up,
                            loading: r.up && !r.ready(self.now),
                            keys: r.keys(),
                        })
                        .collect(),
                    failover_in_s: self.failover_at[i]
                        .map(|at| to_secs(at.saturating_sub(self.now))),
                }
            })
            .collect();
        let last = self.history.last();
        let footprint = self.footprint();
        Status {
            now_s: self.now_s(),
            shards,
            proxy: self.proxy.as_ref().map(|p| ProxyStatus {
                queue: p.queue_len(self.now),
                capacity_ops: p.capacity_ops,
                latency_ms: p.latency_ms,
                single_flight: p.single_flight,
                utilization: self
                    .history
                    .last_tier()
                    .map_or(0.0, |t| t.proxy_utilization),
                coalescing: self.proxy_flights.values().map(|w| w.len() as u64).sum(),
            }),
            router: self.router.kind().as_str(),
            vnodes: self.router.vnodes(),
            warmup: self.warmup_on,
            eviction: self.caches[0].policy.as_str(),
            ttl_s: to_secs(self.ttl),
            db_connections: self.db.open_connections,
            db_max_connections: self.db.max_connections,
            db_workers: self.db.workers(),
            db_busy_workers: self.db.busy_workers(self.now),
            db_slowdown: self.db.slowdown,
            lb_queue: self.lb.queue_len(self.now),
            pods: self
                .pods
                .iter()
                .map(|p| PodStatus {
                    healthy: p.healthy,
                    up: p.up,
                    failed_checks: p.health.failures(),
                    cpu: p.cpu_utilization,
                    active: p.active,
                    inflight: p.inflight,
                    pool_open: p.pool_open,
                    pool_busy: p.busy_connections(),
                    waiting: p.waiting,
                })
                .collect(),
            rps: self.rates[Source::Main as usize],
            hot_key_rate: self.rates[Source::HotKey as usize],
            hot_key: self.hot_key,
            attack_rate: self.rates[Source::Attack as usize],
            invalidation_failure: self.invalidation_failure,
            single_flight: self.single_flight,
            pod_unhealthy_threshold: self.scenario.app.health_check.unhealthy_threshold,
            autoscale: AutoscaleStatus {
                on: self.autoscale.on,
                minutes_above: self.autoscaler.minutes_above(),
                minutes: self.autoscale.minutes,
                cpu_threshold: self.autoscale.cpu_threshold,
                scale_out_at_s: self.scale_out.map(|(at, _)| to_secs(at)),
                scale_out_to: self.scale_out.map_or(0, |(_, n)| n),
            },
            keyspace_keys: self.keyspace.keys,
            zipf_s: self.keyspace.zipf_s,
            target_hit_rate: self.target_hit_rate,
            predicted_hit_rate: self.keyspace.predicted_hit_rate,
            in_flight: self.client_in_flight,
            lb_capacity_rps: self.scenario.lb.capacity_rps,
            db_select_capacity_qps: (self.db.workers() as f64 * 1_000.0
                / (self.scenario.db.read_service_ms * self.db.slowdown))
                .min(
                    self.db.cores() as f64 * 1_000.0
                        / (self.scenario.db.read_cpu_ms * self.db.slowdown).max(1e-9),
                ),
            shard_capacity_ops: self.scenario.cache.ops_per_sec,
            l1: self.l1_cfg.as_ref().map(|c| L1Status {
                capacity: c.keys,
                ttl_ms: c.ttl_ms,
                keys: self.l1.iter().map(|l| l.len() as u64).sum(),
                hit_share: last.map_or(0.0, |s| s.l1_hits as f64 / s.reads.max(1) as f64),
            }),
            stream: self.stream.as_ref().map(|st| StreamStatus {
                running: st.running,
                backlog: st.backlog(),
                lag_ms: st.oldest_age(self.now) as f64 / 1e6,
                partitions: st.partitions.len(),
            }),
            replica_reads: self
                .replication
                .as_ref()
                .is_some_and(|r| r.read_from_replicas),
            cost: self.scenario.cost.bill(&footprint),
            footprint,
            mitigations: self.mitigations.active(),
            breakers_open: (0..self.pods.len())
                .filter(|&i| self.breaker_open(i))
                .count() as u32,
        }
    }

    /// The components running now, as the cost model counts them.
    pub fn footprint(&self) -> crate::cost::Footprint {
        crate::cost::Footprint {
            redis_nodes: (self.caches.len() + self.replicas.iter().map(Vec::len).sum::<usize>())
                as u32,
            pods: self.pods.iter().filter(|p| p.active).count() as u32,
            proxy: self.proxy.is_some(),
            stream: self.stream.is_some(),
            db_workers: self.db.workers(),
        }
    }
}
