//! The same scenario and seed give the same run on every platform: this test
//! runs natively and in wasm (`cargo test --target wasm32-unknown-unknown -p
//! cachesim-core --test golden`, in Node) and checks one fingerprint of a short
//! run with faults against the same constant.

use cachesim_core::{presets, Command, Simulation};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// FNV-1a over the bits of every per-second value and the run totals.
fn fingerprint(sim: &Simulation) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for s in sim.history().iter() {
        for v in s.values() {
            eat(v.to_bits());
        }
    }
    let t = sim.totals();
    for v in [
        t.arrived,
        t.completed,
        t.failed,
        t.hits,
        t.reads,
        t.db_queries,
        t.stale_reads,
        t.evictions,
    ] {
        eat(v);
    }
    h
}

fn run() -> Simulation {
    let mut s = presets::preset("steady").unwrap();
    s.seed = 7;
    s.client.rps = 3_000.0;
    s.cache.eviction = cachesim_core::EvictionPolicy::AllkeysLru;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(3.0);
    sim.apply(Command::InvalidationFailure { probability: 0.3 })
        .unwrap();
    sim.apply(Command::SetMemory {
        gb: 0.05,
        shard: None,
    })
    .unwrap();
    sim.advance_to(6.0);
    sim.apply(Command::CrashCache {
        shard: 0,
        host: false,
    })
    .unwrap();
    sim.advance_to(7.5);
    sim.apply(Command::RestartCache { shard: 0 }).unwrap();
    sim.advance_to(10.0);
    sim
}

#[test]
fn same_fingerprint_natively_and_in_wasm() {
    let sim = run();
    let t = sim.totals();
    assert!(
        t.arrived > 25_000 && t.evictions > 0 && t.stale_reads > 0 && t.cache_errors > 0,
        "{t:?}"
    );
    assert_eq!(
        fingerprint(&sim),
        GOLDEN,
        "fingerprint {:#x}; totals {t:?}",
        fingerprint(&sim)
    );
}

/// Computed natively on x86_64; wasm32 must agree bit for bit.
const GOLDEN: u64 = 0xc358babcf9bd470d;

/// V1 with everything that differs from V0: the proxy and its single-flight,
/// the ring, a shard crash and a cold restart with the warm-up worker, a
/// resize and a router change.
fn run_v1() -> Simulation {
    let mut s = presets::preset("v1-steady").unwrap();
    s.seed = 11;
    s.client.rps = 3_000.0;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(2.0);
    sim.apply(Command::CrashCache {
        shard: 2,
        host: false,
    })
    .unwrap();
    sim.advance_to(4.0);
    sim.apply(Command::RestartCache { shard: 2 }).unwrap();
    sim.advance_to(6.0);
    sim.apply(Command::AddShard).unwrap();
    sim.advance_to(8.0);
    sim.apply(Command::SetRouter {
        router: cachesim_core::router::RouterKind::ModN,
    })
    .unwrap();
    sim.advance_to(10.0);
    sim
}

/// The V0 fingerprint and every shard's, proxy's and warm-up worker's seconds.
fn fingerprint_v1(sim: &Simulation) -> u64 {
    let mut h = fingerprint(sim);
    for t in sim.history().tiers() {
        let mut xs = vec![t.proxy_ops, t.proxy_refused, t.db_warmup, t.warmed];
        xs.push(t.proxy_utilization.to_bits());
        for s in &t.shards {
            xs.extend([s.ops, s.cpu.to_bits(), s.reads, s.hits, s.keys, s.evictions]);
        }
        for x in xs {
            h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[test]
fn same_v1_fingerprint_natively_and_in_wasm() {
    let sim = run_v1();
    let t = sim.totals();
    assert!(
        t.db_warmup > 0 && t.proxy_ops > 0 && t.coalesced > 0 && t.get_failures > 0,
        "{t:?}"
    );
    assert_eq!(
        fingerprint_v1(&sim),
        GOLDEN_V1,
        "fingerprint {:#x}; totals {t:?}",
        fingerprint_v1(&sim)
    );
}

/// Computed natively on x86_64; wasm32 must agree bit for bit.
const GOLDEN_V1: u64 = 0xe98a01c5d4617bf;

/// Every preset, shortened (its faults moved into the first 20 s) and at
/// 2K RPS: native and wasm32 give the same summary, bit for bit.
fn preset_digest(name: &str) -> u64 {
    let mut s = presets::preset(name).unwrap();
    s.client.rps = 2_000.0;
    for f in &mut s.faults {
        f.at_s = (f.at_s / 6.0).min(19.0);
    }
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(20.0);
    let summary = serde_json::to_string(&cachesim_core::Summary::of(&sim)).unwrap();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in summary.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    fingerprint_v1(&sim) ^ h
}

#[test]
fn every_preset_gives_the_same_summary_natively_and_in_wasm() {
    let got: Vec<(&str, u64)> = presets::PRESETS
        .iter()
        .map(|p| (p.name, preset_digest(p.name)))
        .collect();
    let want: Vec<(&str, u64)> = PRESET_DIGESTS.to_vec();
    assert_eq!(got, want, "digests: {got:#x?}");
}

/// Computed natively on x86_64; wasm32 must agree bit for bit.
const PRESET_DIGESTS: &[(&str, u64)] = &[
    ("steady", 0x8bf8914b76def670),
    ("cache-crash", 0x215984c60e352a0f),
    ("hot-key", 0x2e34ead1961ed619),
    ("memory-full-noeviction", 0x4840271b1ca09b73),
    ("memory-full-lru", 0xdbaa343dbf5d666d),
    ("stale-invalidation", 0x3c5c2d9140aad43b),
    ("key-busting", 0xe340214759f97b99),
    ("db-slowdown", 0x40f63d4520ed1e21),
    ("cache-crash-retries", 0x44d8a90eb00efdce),
    ("cache-crash-breaker", 0xe56b6275141bae21),
    ("cache-crash-rdb", 0xeca996e1c7e55db2),
    ("cache-crash-8-pods", 0xea82b58a9acaf749),
    ("cache-crash-pgbouncer", 0xd3e3836cd624d280),
    ("stale-invalidation-retry", 0x716d95aaa7713ca0),
    ("hot-key-local-cache", 0xf2cb9f0db6ded6b1),
    ("key-busting-rate-limit", 0x61c4127ea322502c),
    ("traffic-spike", 0x48511cadf819537a),
    ("pod-loss", 0x22d75df4f251602d),
    ("pod-loss-4-pods", 0x70799a430c83a70a),
    ("pod-loss-autoscale", 0xe178d8eb4353450b),
    ("v1-steady", 0x64553e3aa7b50f13),
    ("v1-shard-crash", 0xae911a708fbfffa9),
    ("v1-hot-key-coalesced", 0xe79cf5ad416060ff),
    ("v1-resize", 0x676d9f1839d4b89d),
    ("v2-steady", 0x93d7dbfd1bd42f88),
    ("v2-primary-crash", 0xd0b9af81d5a4fd6),
    ("v2-lost-invalidation", 0xfd7704ab6f3e28ef),
    ("v2-500k", 0xe930281f70c1103b),
    ("compare-crash", 0xb865e3fd706f9fa0),
];
