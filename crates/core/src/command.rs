//! Commands: faults and live changes, applied at once (from the UI or CLI) or
//! at a scheduled time in a scenario.

use crate::router::RouterKind;
use serde::{Deserialize, Serialize};

/// Redis `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvictionPolicy {
    /// Writes fail with OOM when memory is full; reads and DEL still work.
    Noeviction,
    /// Evict the least recently used of `lru_samples` sampled keys.
    AllkeysLru,
}

impl EvictionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::Noeviction => "noeviction",
            EvictionPolicy::AllkeysLru => "allkeys-lru",
        }
    }
}

/// Something that changes the running system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// A Redis process (shard `shard`; V0's only node is shard 0) dies: its
    /// keys are lost and commands to it fail until a restart.
    CrashCache {
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u32,
        /// The host goes down, not just the process: clients are not refused
        /// but wait for their command timeout.
        #[serde(default, skip_serializing_if = "is_false")]
        host: bool,
    },
    /// Start a Redis shard again, empty (no persistence). It also restarts a
    /// running shard, which loses its keys.
    RestartCache {
        #[serde(default, skip_serializing_if = "is_zero")]
        shard: u32,
    },
    /// One key (the most popular one) receives `rate` extra reads per second
    /// from the pods' own requests (a viral page's cache reads: not HTTP
    /// requests of their own, so they pass neither the LB nor the pods'
    /// per-request CPU); 0 turns it off.
    /// `value_kb` is the size of its value (a viral page is large): each GET of it
    /// costs Redis `cache.per_kb_us` per KB beyond the first.
    HotKey {
        rate: f64,
        #[serde(default = "one_kb")]
        value_kb: f64,
        /// The most popular key that lives on this shard instead of the most
        /// popular key overall.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// Probability that the cache update after a DB write (SET or DEL) is lost.
    InvalidationFailure { probability: f64 },
    /// Change Redis `maxmemory` of one shard, or of every shard.
    SetMemory {
        gb: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// Change Redis `maxmemory-policy`.
    SetEviction { policy: EvictionPolicy },
    /// `allkeys-lru` with Redis' eviction pool (as Redis 3.0+ does) or with
    /// plain sampling (Redis 2.x, for comparison).
    SetEvictionPool { on: bool },
    /// A batch job writes keys without a TTL and keeps used memory at `fraction` of
    /// maxmemory (it takes back whatever expiry frees, once a second).
    FillMemory {
        fraction: f64,
        /// One shard; every shard when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// Stop the batch job and delete what it wrote (on one shard, or all).
    ClearFill {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<u32>,
    },
    /// Multiply every DB query's service time by `factor` (1 = normal).
    DbSlowdown { factor: f64 },
    /// The first `count` AppService pods stop answering (a crashed or hung
    /// process): requests routed to them fail at once (502) and so do their
    /// health checks, until the LB takes them out of rotation after
    /// `app.health_check.unhealthy_threshold` failures in a row. 0 brings
    /// every pod back (in rotation once its checks pass).
    PodsUnhealthy { count: u32 },
    /// Scale the AppService deployment to `count` pods (new ones join once
    /// the LB's health checks pass).
    SetPods { count: u32 },
    /// Turn the pods' autoscaling (`app.autoscale`) on or off.
    Autoscale { on: bool },
    /// Requests for never-seen keys at `rate` per second; 0 stops the attack.
    KeyBusting { rate: f64 },
    /// Change the client's request rate.
    SetRps { rps: f64 },
    /// Re-derive the keyspace so that the steady-state hit rate becomes `hit_rate` at the current rate.
    SetTargetHitRate { hit_rate: f64 },
    /// Change the TTL used by new SETs.
    SetTtl { seconds: f64 },
    /// Turn single-flight (per-pod coalescing of concurrent misses on a key) on or off.
    SingleFlight { on: bool },
    /// A new empty Redis shard joins (numbered after the others); keys the
    /// router now sends to it miss until they are filled again.
    AddShard,
    /// The highest-numbered shard leaves, with its keys.
    RemoveShard,
    /// Route keys by the consistent-hash ring or by mod-N: keys whose shard
    /// changes miss.
    SetRouter { router: RouterKind },
    /// Put the CacheProxyService in (with its configured or default settings) or take it out.
    SetProxy { on: bool },
    /// Single-flight in the proxy (across every pod) on or off.
    ProxySingleFlight { on: bool },
    /// The warm-up worker on or off (it acts on the next cold restart).
    Warmup { on: bool },
    /// The invalidation stream's consumer stops (events pile up in the log)
    /// or runs again (and drains the backlog). V2.
    StreamConsumer { on: bool },
    /// Spread GETs over each shard's primary and replicas, or send them all
    /// to the primary. V2.
    ReplicaReads { on: bool },
    /// Turn one of the seed's mitigations on (with the scenario's settings
    /// for it, or the defaults) or off.
    Mitigation {
        name: crate::mitigations::Mitigation,
        on: bool,
    },
}

fn is_zero(x: &u32) -> bool {
    *x == 0
}

fn is_false(x: &bool) -> bool {
    !*x
}

fn on_shard(shard: &Option<u32>) -> String {
    match shard {
        Some(s) => format!(" on shard {s}"),
        None => String::new(),
    }
}

fn one_kb() -> f64 {
    1.0
}

/// A command at a point in a scenario's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledCommand {
    /// Simulated seconds from the start of the run.
    pub at_s: f64,
    pub command: Command,
}

impl Command {
    /// Short human label (used by the UI's timeline and the CLI).
    pub fn label(&self) -> String {
        match self {
            Command::CrashCache { shard: 0, host } => {
                format!("crash cache{}", if *host { " (host down)" } else { "" })
            }
            Command::CrashCache { shard, host } => {
                format!(
                    "crash shard {shard}{}",
                    if *host { " (host down)" } else { "" }
                )
            }
            Command::RestartCache { shard: 0 } => "restart cache (cold)".into(),
            Command::RestartCache { shard } => format!("restart shard {shard} (cold)"),
            Command::HotKey {
                rate,
                value_kb,
                shard,
            } if *rate > 0.0 => {
                format!("hot key +{rate:.0}/s ({value_kb:.0} KB){}", on_shard(shard))
            }
            Command::HotKey { .. } => "hot key off".into(),
            Command::InvalidationFailure { probability } => {
                format!("drop {:.0}% of invalidations", probability * 100.0)
            }
            Command::SetMemory { gb, shard } => format!("maxmemory {gb} GB{}", on_shard(shard)),
            Command::SetEviction { policy } => format!("eviction {}", policy.as_str()),
            Command::SetEvictionPool { on: true } => "eviction pool on".into(),
            Command::SetEvictionPool { on: false } => "eviction by plain sampling".into(),
            Command::FillMemory { fraction, shard } => {
                format!("fill memory to {:.0}%{}", fraction * 100.0, on_shard(shard))
            }
            Command::ClearFill { shard } => format!("clear filler{}", on_shard(shard)),
            Command::DbSlowdown { factor } => format!("DB slowdown x{factor}"),
            Command::PodsUnhealthy { count } => format!("{count} pods unhealthy"),
            Command::SetPods { count } => format!("{count} pods"),
            Command::Autoscale { on: true } => "autoscaling on".into(),
            Command::Autoscale { on: false } => "autoscaling off".into(),
            Command::KeyBusting { rate } if *rate > 0.0 => format!("key-busting {rate:.0}/s"),
            Command::KeyBusting { .. } => "key-busting off".into(),
            Command::SetRps { rps } => format!("{rps:.0} RPS"),
            Command::SetTargetHitRate { hit_rate } => {
                format!("target hit rate {:.1}%", hit_rate * 100.0)
            }
            Command::SetTtl { seconds } => format!("TTL {seconds} s"),
            Command::SingleFlight { on: true } => "single-flight on".into(),
            Command::SingleFlight { on: false } => "single-flight off".into(),
            Command::AddShard => "add a shard".into(),
            Command::RemoveShard => "remove the last shard".into(),
            Command::SetRouter { router } => format!("router {}", router.as_str()),
            Command::SetProxy { on: true } => "proxy in".into(),
            Command::SetProxy { on: false } => "proxy out".into(),
            Command::ProxySingleFlight { on: true } => "proxy single-flight on".into(),
            Command::ProxySingleFlight { on: false } => "proxy single-flight off".into(),
            Command::Warmup { on: true } => "warm-up worker on".into(),
            Command::Warmup { on: false } => "warm-up worker off".into(),
            Command::StreamConsumer { on: true } => "stream consumer on".into(),
            Command::StreamConsumer { on: false } => "stream consumer stopped".into(),
            Command::ReplicaReads { on: true } => "reads from replicas".into(),
            Command::ReplicaReads { on: false } => "reads from primaries only".into(),
            Command::Mitigation { name, on } => {
                format!("{} {}", name.label(), if *on { "on" } else { "off" })
            }
        }
    }
}
