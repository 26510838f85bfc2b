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
        description: "from 30 s one 64 KB key takes 8K extra reads/s: the single Redis thread nears saturation",
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
        name: "traffic-spike",
        description: "from 30 s to 60 s traffic jumps from 10K to 16K RPS: the DB passes its capacity and the pools fill; after it, their idle connections close",
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
            s.faults = vec![
                at(30.0, Command::InvalidationFailure { probability: 0.5 }),
                at(90.0, Command::InvalidationFailure { probability: 0.0 }),
            ];
        }
        "key-busting" => {
            s.faults = vec![at(30.0, Command::KeyBusting { rate: 5_000.0 })];
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
        "v1-steady" => {}
        "v1-shard-crash" => crash_and_restart(&mut s, 1),
        "v1-hot-key-coalesced" => s.faults = vec![viral_key()],
        "v1-resize" => {
            s.duration_s = 240.0;
            s.faults = vec![at(60.0, Command::AddShard)];
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
