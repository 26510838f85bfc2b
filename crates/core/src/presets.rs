//! Named scenarios shared by the CLI, the tests and the web app. Each starts
//! from a warm cache in its steady state at the seed's 10K RPS and 85%.

use crate::command::{Command, EvictionPolicy, ScheduledCommand};
use crate::scenario::{Scenario, TopologyConfig};

/// A preset's name and one-line description.
#[derive(Clone, Copy, Debug)]
pub struct PresetInfo {
    pub name: &'static str,
    pub description: &'static str,
}

pub const PRESETS: &[PresetInfo] = &[
    PresetInfo { name: "steady", description: "10K RPS at an 85% hit rate: the seed's normal day, DB below capacity" },
    PresetInfo {
        name: "cache-crash",
        description: "Redis crashes at 60 s and restarts cold at 90 s: thundering herd on the DB",
    },
    PresetInfo {
        name: "hot-key",
        description: "from 30 s one 64 KB key takes 8K reads/s from the pages the pods serve (no extra HTTP requests): the single Redis thread nears saturation",
    },
    PresetInfo {
        name: "memory-full-noeviction",
        description: "from 30 s a batch job keeps memory full of no-TTL keys: SETs fail with OOM, hit rate decays",
    },
    PresetInfo {
        name: "memory-full-lru",
        description: "at 30 s maxmemory drops below the working set with allkeys-lru: evictions lower the hit rate",
    },
    PresetInfo {
        name: "stale-invalidation",
        description: "from 30 s to 90 s half the invalidations are lost: stale reads until the TTL runs out",
    },
    PresetInfo {
        name: "key-busting",
        description: "from 30 s an attacker reads 5K never-seen keys/s: misses, DB load and memory growth",
    },
    PresetInfo { name: "db-slowdown", description: "at 30 s every query takes 3x longer: pools saturate, latency climbs" },
    PresetInfo {
        name: "cache-crash-retries",
        description: "the cache crash with clients that retry at once, up to 3 times: 3.5x the tries, the DB hammered longer (try client.retry.policy=backoff and client.retry.budget=0.1)",
    },
    PresetInfo {
        name: "cache-crash-breaker",
        description: "the cache crash with a circuit breaker in each pod: while Redis fails, each pod sends at most 600 missed reads/s to the DB and answers the rest at once with a degradation error",
    },
    PresetInfo {
        name: "cache-crash-rdb",
        description: "the cache crash with RDB snapshots every 5 minutes: the restart loads the last snapshot (~0.7 s for 0.5 GB) instead of starting cold; values changed since are stale",
    },
    PresetInfo {
        name: "cache-crash-8-pods",
        description: "the cache crash with 8 pods of 100 connections against max_connections 200: the herd is refused with 'too many connections'",
    },
    PresetInfo {
        name: "cache-crash-pgbouncer",
        description: "the 8-pod crash with PgBouncer (transaction mode, 100 server connections): no refusals, fewer active backends contending",
    },
    PresetInfo {
        name: "stale-invalidation-retry",
        description: "the lost invalidations of `stale-invalidation` retried as DELs with exponential backoff: staleness of seconds instead of the TTL, at the cost of more misses",
    },
    PresetInfo {
        name: "hot-key-local-cache",
        description: "the hot key with a 5 s in-process cache of the 100 hottest keys in each pod: hot reads never reach Redis, at the price of up to 5 s of staleness",
    },
    PresetInfo {
        name: "key-busting-rate-limit",
        description: "the key-busting attacker limited to 100 requests/s at the LB: its excess is refused with 429 and the legitimate hit rate holds",
    },
    PresetInfo {
        name: "traffic-spike",
        description: "from 30 s to 60 s traffic jumps from 10K to 16K RPS: the DB passes its capacity and the pools fill; after it, their idle connections close",
    },
    PresetInfo {
        name: "pod-loss",
        description: "at 30 s one of the 2 pods dies at 10K RPS: 502s until 3 health checks fail, then the survivor's CPU cannot carry all the traffic",
    },
    PresetInfo {
        name: "pod-loss-4-pods",
        description: "the pod loss with the seed's remedy, 2 pods per AZ (4): the 3 left carry 10K RPS at ~35% CPU",
    },
    PresetInfo {
        name: "pod-loss-autoscale",
        description: "the pod loss with autoscaling on: after 3 minutes above 70% CPU the deployment doubles to 4 pods",
    },
    PresetInfo {
        name: "v1-steady",
        description: "V1: the same 10K RPS through a CacheProxyService and three Redis shards on a consistent-hash ring",
    },
    PresetInfo {
        name: "v1-shard-crash",
        description: "V1: one of three shards crashes at 60 s and restarts cold at 90 s with the warm-up worker: about a third of reads fall to the DB",
    },
    PresetInfo {
        name: "v1-hot-key-coalesced",
        description: "V1: the hot key of `hot-key` (8K extra reads/s of 64 KB) with single-flight in the proxy: one DB query per expiry, no stampede",
    },
    PresetInfo {
        name: "v1-resize",
        description: "V1: a fourth shard joins at 60 s; the ring re-homes ~25% of keys (try topology.router=mod-n: ~75%)",
    },
    PresetInfo {
        name: "v2-steady",
        description: "V2: V1 plus a replica per shard (reads spread over both), an L1 of 10K keys in each pod and a Kafka-like invalidation stream",
    },
    PresetInfo {
        name: "v2-primary-crash",
        description: "V2: shard 1's primary dies at 60 s; its replica keeps serving reads and is promoted 5 s later; the dead node rejoins as a replica at 120 s",
    },
    PresetInfo {
        name: "v2-lost-invalidation",
        description: "V2: from 30 s to 90 s half the app's invalidations are lost, as in `stale-invalidation`; the stream repairs each within its 50-200 ms lag",
    },
    PresetInfo {
        name: "v2-500k",
        description: "V2 at 500K RPS: the seed's 500K ops/s, with a read-heavy mix (95% reads), 44 pods (2 cores each), Redis nodes with I/O threads (100K ops/s), TTL 1 h and a DB of 96 workers",
    },
    PresetInfo {
        name: "compare-crash",
        description: "The cache crash of `cache-crash` for `cachesim compare`: V0 loses its only node, V1 one shard of three, V2 one primary of three",
    },
];

/// The keyspace `calibrate::derive_keyspace` finds for an 85% hit rate at the
/// seed's 10K RPS, mix and TTL of 300 s, with the top 1% of keys taking 50%.
pub const SEED_KEYS: u64 = 541_679;
pub const SEED_ZIPF_S: f64 = 0.8957728177163948;

/// Shard `shard` crashes at 60 s and restarts cold at 90 s; the run lasts 300 s.
fn crash_and_restart(s: &mut Scenario, shard: u32) {
    s.duration_s = 300.0;
    s.faults = vec![
        at(60.0, Command::CrashCache { shard, host: false }),
        at(90.0, Command::RestartCache { shard }),
    ];
}

/// From 30 s, one 64 KB key (a viral page) takes 8K extra reads/s.
/// From 30 s to 90 s half the cache updates after a DB write are lost.
fn lost_invalidations() -> Vec<ScheduledCommand> {
    vec![
        at(30.0, Command::InvalidationFailure { probability: 0.5 }),
        at(90.0, Command::InvalidationFailure { probability: 0.0 }),
    ]
}

/// From 30 s an attacker reads 5K never-seen keys a second.
fn attacker() -> ScheduledCommand {
    at(30.0, Command::KeyBusting { rate: 5_000.0 })
}

fn viral_key() -> ScheduledCommand {
    at(
        30.0,
        Command::HotKey {
            rate: 8_000.0,
            value_kb: 64.0,
            shard: None,
        },
    )
}

fn at(at_s: f64, command: Command) -> ScheduledCommand {
    ScheduledCommand { at_s, command }
}

/// The named preset, or `None`.
pub fn preset(name: &str) -> Option<Scenario> {
    let info = PRESETS.iter().find(|p| p.name == name)?;
    let mut s = Scenario {
        name: info.name.to_string(),
        description: info.description.to_string(),
        ..Scenario::default()
    };
    // one workload for every preset: the keyspace the seed's 85% needs at
    // 10K RPS and TTL 300 s, explicit, so that a change of RPS or TTL moves
    // the hit rate instead of re-deriving the keys (checked by a test)
    s.client.keys = Some(SEED_KEYS);
    s.client.zipf_s = Some(SEED_ZIPF_S);
    if name.starts_with("v1-") {
        s.topology = TopologyConfig::v1();
    }
    if name.starts_with("v2-") {
        s.topology = TopologyConfig::v2();
    }
    match name {
        "steady" => {}
        "cache-crash" => crash_and_restart(&mut s, 0),
        "hot-key" => s.faults = vec![viral_key()],
        "cache-crash-retries" => {
            crash_and_restart(&mut s, 0);
            s.client.retry.policy = crate::scenario::RetryPolicy::Immediate;
        }
        "memory-full-noeviction" => {
            s.duration_s = 400.0;
            s.faults = vec![at(
                30.0,
                Command::FillMemory {
                    fraction: 1.0,
                    shard: None,
                },
            )];
        }
        "memory-full-lru" => {
            s.duration_s = 240.0;
            s.cache.eviction = EvictionPolicy::AllkeysLru;
            s.faults = vec![at(
                30.0,
                Command::SetMemory {
                    gb: 0.15,
                    shard: None,
                },
            )];
        }
        "stale-invalidation" => {
            s.duration_s = 420.0;
            s.faults = lost_invalidations();
        }
        "key-busting" => {
            s.faults = vec![attacker()];
        }
        "db-slowdown" => {
            s.faults = vec![at(30.0, Command::DbSlowdown { factor: 3.0 })];
        }
        "traffic-spike" => {
            s.duration_s = 180.0;
            s.faults = vec![
                at(30.0, Command::SetRps { rps: 16_000.0 }),
                at(60.0, Command::SetRps { rps: 10_000.0 }),
            ];
        }
        "pod-loss" | "pod-loss-4-pods" | "pod-loss-autoscale" => {
            s.duration_s = if name == "pod-loss-autoscale" {
                420.0
            } else {
                150.0
            };
            s.faults = vec![at(30.0, Command::PodsUnhealthy { count: 1 })];
            match name {
                "pod-loss-4-pods" => s.app.pods = 4,
                "pod-loss-autoscale" => s.app.autoscale.on = true,
                _ => {}
            }
        }
        "v1-steady" => {}
        "v1-shard-crash" => crash_and_restart(&mut s, 1),
        "v1-hot-key-coalesced" => s.faults = vec![viral_key()],
        "v1-resize" => {
            s.duration_s = 240.0;
            s.faults = vec![at(60.0, Command::AddShard)];
        }
        "v2-steady" => {}
        "v2-primary-crash" => {
            s.duration_s = 180.0;
            s.faults = vec![
                at(
                    60.0,
                    Command::CrashCache {
                        shard: 1,
                        host: false,
                    },
                ),
                at(120.0, Command::RestartCache { shard: 1 }),
            ];
        }
        "v2-lost-invalidation" => {
            s.duration_s = 150.0;
            s.faults = lost_invalidations();
        }
        "v2-500k" => {
            s.duration_s = 30.0;
            s.client.rps = 500_000.0;
            s.client.read_fraction = 0.95;
            s.client.write_fraction = 0.03;
            s.client.delete_fraction = 0.01;
            s.client.direct_fraction = 0.01;
            s.lb.capacity_rps = 600_000.0;
            // 500K requests at 0.1 ms of CPU each, and the DB replies, need
            // ~59 cores: 44 pods of 2 run them at ~67%, under the seed's 70%
            // autoscaling trigger
            s.app.pods = 44;
            // four of the seed's db.r7g.xlarge: 4 x 24 workers, 4 x 4 vCPUs
            s.db.workers = 96;
            s.db.cores = 16;
            s.db.max_connections = 2_400;
            // Redis 7 with I/O threads on the node's 4 vCPUs (ElastiCache
            // "enhanced I/O"): about twice the single-thread ceiling
            s.cache.ops_per_sec = 100_000.0;
            // an hour's TTL keeps the 541K-key tail's misses within the DB
            s.cache.ttl_s = 3_600.0;
            s.topology.proxy = Some(crate::scenario::ProxyConfig {
                capacity_ops: 1_000_000.0,
                ..Default::default()
            });
        }
        "compare-crash" => crash_and_restart(&mut s, 0),
        "cache-crash-breaker" => {
            crash_and_restart(&mut s, 0);
            s.mitigations.circuit_breaker = Some(Default::default());
        }
        "cache-crash-rdb" => {
            crash_and_restart(&mut s, 0);
            s.mitigations.rdb = Some(Default::default());
        }
        "cache-crash-8-pods" => {
            crash_and_restart(&mut s, 0);
            s.app.pods = 8;
        }
        "cache-crash-pgbouncer" => {
            crash_and_restart(&mut s, 0);
            s.app.pods = 8;
            s.mitigations.pgbouncer = Some(Default::default());
        }
        "stale-invalidation-retry" => {
            s.duration_s = 420.0;
            s.faults = lost_invalidations();
            s.mitigations.invalidation_retry = Some(Default::default());
        }
        "hot-key-local-cache" => {
            s.faults = vec![viral_key()];
            s.mitigations.hot_key_cache = Some(Default::default());
        }
        "key-busting-rate-limit" => {
            s.faults = vec![attacker()];
            s.mitigations.client_rate_limit = Some(Default::default());
        }
        _ => return None,
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_validates() {
        for p in PRESETS {
            let s = preset(p.name).unwrap_or_else(|| panic!("{} missing", p.name));
            s.validate().unwrap();
            assert_eq!(s.name, p.name);
            assert!(!p.description.is_empty());
        }
        assert!(preset("nope").is_none());
    }

    #[test]
    fn the_presets_keyspace_is_what_the_seeds_85_percent_needs() {
        let mut s = Scenario::default();
        s.client.keys = None;
        let sim = crate::Simulation::new(s).unwrap();
        let ks = sim.keyspace();
        assert_eq!(ks.keys, SEED_KEYS);
        assert!((ks.zipf_s - SEED_ZIPF_S).abs() < 1e-12, "{}", ks.zipf_s);
    }
}
