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
const GOLDEN: u64 = 0x8d595eef6df4de14;

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
const GOLDEN_V1: u64 = 0xb6b51522f58afcdd;

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
    ("steady", 0x3046ca469ff73d55),
    ("cache-crash", 0x303caf882782cf36),
    ("hot-key", 0x421d3a0a8e0f88d4),
    ("memory-full-noeviction", 0x945400b024624652),
    ("memory-full-lru", 0x750b0733f63cd6f3),
    ("stale-invalidation", 0xa2d7f2f341ba0e0f),
    ("key-busting", 0x54f8d70b5e5c121a),
    ("db-slowdown", 0x5362d1e452bf11f3),
    ("cache-crash-retries", 0xc248b76338e38e23),
    ("cache-crash-breaker", 0xda1ed8a6050f1faa),
    ("cache-crash-rdb", 0xb35e3883603690d6),
    ("cache-crash-8-pods", 0xc68055291dec7f4c),
    ("cache-crash-pgbouncer", 0xdcd13a78c011d3d5),
    ("stale-invalidation-retry", 0x2d8c508491c6a4d6),
    ("hot-key-local-cache", 0xd1e868670d12e808),
    ("key-busting-rate-limit", 0x91ba59de6c0d9f93),
    ("traffic-spike", 0xac8f04511b69ca30),
    ("pod-loss", 0xd440d1ae2bed4c08),
    ("pod-loss-4-pods", 0xfd685ae737bb5236),
    ("pod-loss-autoscale", 0xace222a2cb8e30fa),
    ("v1-steady", 0xa49421e1f9eb3572),
    ("v1-shard-crash", 0xed6a8a01e8ca2b76),
    ("v1-hot-key-coalesced", 0x1e555c2af1e05c5f),
    ("v1-resize", 0xb69324c3177df7f6),
    ("v2-steady", 0x62e9db73b00b781d),
    ("v2-primary-crash", 0x50d258f103c691a0),
    ("v2-lost-invalidation", 0x7c3d102affb77be7),
    ("v2-500k", 0xf98f5bee35991a3e),
    ("compare-crash", 0x209ac1de6404c1c1),
];
