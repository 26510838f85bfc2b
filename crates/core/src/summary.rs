//! The run summary: one JSON object for the CLI, the tests and the UI.

use crate::metrics::{max_ms, percentile_ms};
use crate::sim::Simulation;
use crate::time::NANOS_PER_SEC;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The AppService pods over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodsSummary {
    /// Mean over the seconds of the pods' mean CPU utilisation (0-1), and
    /// the highest second.
    pub cpu_mean: f64,
    pub cpu_peak: f64,
    /// The deployment at the end, and the pods the LB routed to.
    pub active: u32,
    pub in_rotation: u32,
    /// Scale-outs the autoscaler decided.
    pub scale_outs: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Successful requests.
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// Reads that hit and that missed, timed at their pod: from the request
    /// reaching it to its answer leaving it (what the seed's SLIs measure;
    /// its 20 ms miss penalty is 12 ms DB + 5 ms network + 3 ms processing,
    /// with no LB in it), so the LB's latency and queue are outside.
    pub hit: Percentiles,
    pub miss: Percentiles,
    /// Every request, failures included (a failure's latency is the time
    /// until its error reached the client).
    pub with_failures: Percentiles,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorsByKind {
    pub lb_503: u64,
    pub lb_502: u64,
    pub timeout: u64,
    pub db_too_many_connections: u64,
    pub db_pool_timeout: u64,
    pub cache_oom: u64,
    pub degraded: u64,
    pub rate_limited: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyspaceSummary {
    pub keys: u64,
    pub zipf_s: f64,
    pub predicted_hit_rate: f64,
}

/// One Redis shard over the run (the seconds it existed).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardSummary {
    pub shard: usize,
    /// Commands executed per second, mean.
    pub ops_per_s: f64,
    /// Single-thread CPU busy fraction, mean and busiest second.
    pub cpu_mean: f64,
    pub cpu_peak: f64,
    pub hit_rate: f64,
    pub keys_at_end: u64,
    pub up_at_end: bool,
}

/// The architecture the run ended with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopologySummary {
    /// `V0`, `V1` or `custom`, with a plain description.
    pub design: String,
    pub description: String,
    pub shards: usize,
    pub router: String,
    pub vnodes: u32,
    pub proxy: bool,
    pub proxy_single_flight: bool,
    pub warmup: bool,
    /// Replicas per shard (0: none).
    pub replicas: usize,
    pub l1: bool,
    pub stream: bool,
}

/// V2's parts over the run: L1, replicas and failover, the stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TiersSummary {
    /// Reads answered from a pod's L1, and their share of all reads.
    pub l1_hits: u64,
    pub l1_hit_share: f64,
    /// GETs a replica served.
    pub replica_reads: u64,
    pub failovers: u64,
    /// Client writes a dead primary had acknowledged but not replicated.
    pub lost_writes: u64,
    /// Invalidations the stream published and applied, DELs it retried,
    /// and the mean time from a DB write to its invalidation.
    pub stream_published: u64,
    pub stream_applied: u64,
    pub stream_retried: u64,
    pub stream_delay_mean_ms: f64,
}

/// Totals of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub seconds: f64,
    /// Requests that arrived.
    pub requests: u64,
    pub completed: u64,
    /// Requests that failed.
    pub errors: u64,
    pub errors_by_kind: ErrorsByKind,
    pub in_flight: u64,
    /// Requests that arrived, and requests answered successfully, per second.
    pub throughput_rps: f64,
    pub goodput_rps: f64,
    /// Read hit rate (0..1).
    pub hit_rate: f64,
    /// DB queries served per second, mean over the run.
    pub db_qps_mean: f64,
    /// Most DB queries offered in one second (rejected ones included).
    pub db_offered_qps_peak: u64,
    pub db_utilization_mean: f64,
    /// Milliseconds, successful requests.
    pub latency_ms: LatencySummary,
    /// Mean busy fraction of a shard's thread (time it spent working).
    pub cache_cpu_utilization: f64,
    /// The busiest shard in the busiest second.
    pub cache_cpu_peak: f64,
    pub cache_errors: u64,
    pub stale_reads: u64,
    pub invalidation_failures: u64,
    pub evictions: u64,
    pub expirations: u64,
    pub set_oom: u64,
    /// Missed reads that waited for another request's query of their key
    /// (single-flight) instead of querying the DB.
    pub coalesced: u64,
    pub pods: PodsSummary,
    pub keyspace: KeyspaceSummary,
    pub topology: TopologySummary,
    pub shards: Vec<ShardSummary>,
    /// Commands the proxy forwarded and refused (0 without a proxy).
    pub proxy_ops: u64,
    pub proxy_refused: u64,
    /// DB queries of the warm-up worker (included in the DB's query counts).
    pub db_warmup_queries: u64,
    /// Tries that were clients' retries (in `requests` too), and the requests
    /// whose last try failed (`errors` less the tries that were retried).
    pub retries: u64,
    pub final_errors: u64,
    /// Successful requests / all that ended (successes and failures).
    pub availability: f64,
    /// The longest a stale value had been stale when a read got it, ms.
    pub stale_age_max_ms: u64,
    /// Median and 99th percentile of that age over the stale reads, ms.
    pub stale_age_p50_ms: f64,
    pub stale_age_p99_ms: f64,
    pub tiers: TiersSummary,
    /// The mitigations on at the end of the run, and what they did.
    pub mitigations: Vec<String>,
    pub breaker_opens: u64,
    pub invalidation_retries: u64,
    pub invalidations_repaired: u64,
    pub rdb_loaded_keys: u64,
    /// The design's monthly bill at the end of the run.
    pub cost: crate::cost::Bill,
    /// USD per 1,000 requests if it served this run's goodput all month.
    pub cost_per_1k_requests: f64,
}

/// What the running architecture is, in words.
pub fn describe(st: &crate::Status) -> (String, String) {
    let shards = st.shards.len();
    let routing = if shards > 1 {
        if st.router == "ring" {
            format!(", consistent-hash ring ({} vnodes per shard)", st.vnodes)
        } else {
            ", hash mod N".to_string()
        }
    } else {
        String::new()
    };
    let redis = if shards == 1 {
        "one Redis".to_string()
    } else {
        format!("{shards} Redis shards")
    };
    let replicas = st.shards.first().map_or(0, |s| s.replicas.len());
    let v2_parts = replicas > 0 || st.l1.is_some() || st.stream.is_some();
    let v1_shape = |p: &crate::ProxyStatus| {
        shards == 3 && st.router == "ring" && st.vnodes == 150 && p.single_flight && st.warmup
    };
    let design = match &st.proxy {
        Some(p) if v2_parts => {
            let v2 = v1_shape(p) && replicas == 1 && st.l1.is_some() && st.stream.is_some();
            if v2 {
                "V2"
            } else {
                "custom"
            }
        }
        None if shards == 1 && !v2_parts => "V0",
        Some(p) if v1_shape(p) && !v2_parts => "V1",
        _ => "custom",
    };
    let description = match &st.proxy {
        None => format!("pods -> {redis}{routing}"),
        Some(p) => format!(
            "pods -> CacheProxyService{} -> {redis}{routing}{}",
            if p.single_flight {
                " (single-flight)"
            } else {
                ""
            },
            if st.warmup { ", warm-up worker" } else { "" }
        ),
    };
    let mut extras = Vec::new();
    if replicas > 0 {
        extras.push(format!(
            "{replicas} replica{} per shard with failover{}",
            if replicas > 1 { "s" } else { "" },
            if st.replica_reads {
                ", reads spread over replicas"
            } else {
                ""
            }
        ));
    }
    if let Some(l1) = &st.l1 {
        extras.push(format!("L1 of {} keys per pod", l1.capacity));
    }
    if st.stream.is_some() {
        extras.push("invalidation stream".to_string());
    }
    let description = if extras.is_empty() {
        description
    } else {
        format!("{description}; {}", extras.join(", "))
    };
    (design.to_string(), description)
}

fn shard_summaries(sim: &Simulation) -> Vec<ShardSummary> {
    let st = sim.status();
    (0..st.shards.len())
        .map(|i| {
            let seconds: Vec<_> = sim
                .history()
                .tiers()
                .filter_map(|t| t.shards.get(i))
                .collect();
            let n = seconds.len().max(1) as f64;
            let reads: u64 = seconds.iter().map(|x| x.reads).sum();
            let hits: u64 = seconds.iter().map(|x| x.hits).sum();
            ShardSummary {
                shard: i,
                // (a fold from +0: an empty f64 sum is -0)
                ops_per_s: seconds.iter().fold(0.0, |a, x| a + x.ops as f64) / n,
                cpu_mean: seconds.iter().fold(0.0, |a, x| a + x.cpu) / n,
                cpu_peak: seconds.iter().map(|x| x.cpu).fold(0.0, f64::max),
                hit_rate: if reads > 0 {
                    hits as f64 / reads as f64
                } else {
                    0.0
                },
                keys_at_end: st.shards[i].keys,
                up_at_end: st.shards[i].up,
            }
        })
        .collect()
}

fn pct(h: &hdrhistogram::Histogram<u64>) -> Percentiles {
    Percentiles {
        p50: percentile_ms(h, 0.5),
        p95: percentile_ms(h, 0.95),
        p99: percentile_ms(h, 0.99),
        max: max_ms(h),
    }
}

impl Summary {
    pub fn of(sim: &Simulation) -> Summary {
        let t = sim.totals();
        let secs = sim.now_s().max(1e-9);
        let lat = sim.latency();
        let ks = sim.keyspace();
        let whole_secs = sim.history().len().max(1) as f64;
        let st = sim.status();
        let (design, description) = describe(&st);
        // mean busy fraction per shard (V0: of its one node)
        let shard_seconds: usize = sim.history().tiers().map(|t| t.shards.len()).sum();
        Summary {
            scenario: sim.scenario().name.clone(),
            seed: sim.scenario().seed,
            seconds: sim.now_s(),
            requests: t.arrived,
            completed: t.completed,
            errors: t.failed,
            errors_by_kind: ErrorsByKind {
                lb_503: t.err_503,
                lb_502: t.err_502,
                timeout: t.err_timeout,
                db_too_many_connections: t.err_db_connections,
                db_pool_timeout: t.err_pool_timeout,
                cache_oom: t.err_cache_oom,
                degraded: t.err_degraded,
                rate_limited: t.err_rate_limited,
            },
            in_flight: sim.in_flight(),
            hit_rate: if t.reads > 0 {
                t.hits as f64 / t.reads as f64
            } else {
                0.0
            },
            db_qps_mean: t.db_queries as f64 / secs,
            db_offered_qps_peak: sim.peak_db_offered(),
            db_utilization_mean: t.db_busy_ns as f64
                / (st.db_workers as f64 * NANOS_PER_SEC as f64 * whole_secs),
            latency_ms: LatencySummary {
                p50: percentile_ms(&lat.all, 0.5),
                p95: percentile_ms(&lat.all, 0.95),
                p99: percentile_ms(&lat.all, 0.99),
                max: max_ms(&lat.all),
                hit: pct(&lat.hit),
                miss: pct(&lat.miss),
                with_failures: pct(&lat.with_failures()),
            },
            throughput_rps: t.arrived as f64 / secs,
            goodput_rps: t.completed as f64 / secs,
            cache_cpu_utilization: t.cache_busy_ns as f64
                / (NANOS_PER_SEC as f64 * (shard_seconds.max(1) as f64)),
            cache_cpu_peak: sim
                .history()
                .iter()
                .map(|s| s.cache_cpu)
                .fold(0.0, f64::max),
            cache_errors: t.cache_errors,
            stale_reads: t.stale_reads,
            invalidation_failures: t.invalidation_failures,
            evictions: t.evictions,
            expirations: t.expirations,
            set_oom: t.set_oom,
            coalesced: t.coalesced,
            pods: {
                let st = sim.status();
                PodsSummary {
                    cpu_mean: t.pod_cpu_sum / secs.floor().max(1.0),
                    cpu_peak: t.pod_cpu_peak,
                    active: st.pods.iter().filter(|p| p.active).count() as u32,
                    in_rotation: st.pods.iter().filter(|p| p.active && p.healthy).count() as u32,
                    scale_outs: t.scale_outs,
                }
            },
            keyspace: KeyspaceSummary {
                keys: ks.keys,
                zipf_s: ks.zipf_s,
                predicted_hit_rate: ks.predicted_hit_rate,
            },
            topology: TopologySummary {
                design,
                description,
                shards: st.shards.len(),
                router: st.router.to_string(),
                vnodes: st.vnodes,
                proxy: st.proxy.is_some(),
                proxy_single_flight: st.proxy.as_ref().is_some_and(|p| p.single_flight),
                warmup: st.warmup,
                replicas: st.shards.first().map_or(0, |s| s.replicas.len()),
                l1: st.l1.is_some(),
                stream: st.stream.is_some(),
            },
            shards: shard_summaries(sim),
            proxy_ops: t.proxy_ops,
            proxy_refused: t.proxy_refused,
            db_warmup_queries: t.db_warmup,
            retries: t.retries,
            final_errors: t.failed.saturating_sub(t.retries),
            availability: if t.completed + t.failed > 0 {
                t.completed as f64 / (t.completed + t.failed) as f64
            } else {
                1.0
            },
            stale_age_max_ms: t.stale_age_max_ms,
            mitigations: st
                .mitigations
                .iter()
                .map(|m| m.label().to_string())
                .collect(),
            breaker_opens: t.breaker_opens,
            invalidation_retries: t.invalidation_retries,
            invalidations_repaired: t.invalidations_repaired,
            rdb_loaded_keys: t.rdb_loaded_keys,
            stale_age_p50_ms: percentile_ms(sim.stale_ages(), 0.5) * 1_000.0,
            stale_age_p99_ms: percentile_ms(sim.stale_ages(), 0.99) * 1_000.0,
            tiers: TiersSummary {
                l1_hits: t.l1_hits,
                l1_hit_share: t.l1_hits as f64 / t.reads.max(1) as f64,
                replica_reads: t.replica_reads,
                failovers: t.failovers,
                lost_writes: t.lost_writes,
                stream_published: t.stream_published,
                stream_applied: t.stream_applied,
                stream_retried: t.stream_retried,
                stream_delay_mean_ms: t.stream_delay_ns as f64
                    / 1e6
                    / t.stream_applied.max(1) as f64,
            },
            cost_per_1k_requests: st.cost.per_1k_requests(t.completed as f64 / secs),
            cost: st.cost,
        }
    }
}
