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
const GOLDEN: u64 = 0xb8833e5b8d29fb36;

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
const GOLDEN_V1: u64 = 0x1b35118e0df7b0fb;

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
    ("steady", 0xb9bfa1af9c5a5cb7),
    ("cache-crash", 0x2301cbe953258a62),
    ("hot-key", 0x2acbbbc972144799),
    ("memory-full-noeviction", 0x6a464ea1d976279),
    ("memory-full-lru", 0xece61fecb4e489be),
    ("stale-invalidation", 0x86d4f701cca25ed0),
    ("key-busting", 0x182a4ddea6c6eb33),
    ("db-slowdown", 0xed9acd2057dee99f),
    ("cache-crash-retries", 0xd76f6b1bac9a0299),
    ("cache-crash-breaker", 0xe2bce9af5c60382a),
    ("cache-crash-rdb", 0x64ed495947e84da8),
    ("cache-crash-8-pods", 0x57c54817178a852f),
    ("cache-crash-pgbouncer", 0xda0a5ad122614696),
    ("stale-invalidation-retry", 0xa1837098327d55a4),
    ("hot-key-local-cache", 0xbc6855856d0227a2),
    ("key-busting-rate-limit", 0x994fb74493c9d27a),
    ("traffic-spike", 0xdec00bd9a8ed3208),
    ("pod-loss", 0xf46f17db70b8d366),
    ("pod-loss-4-pods", 0x4445b334d0d84d3c),
    ("pod-loss-autoscale", 0xf711fbd399b82954),
    ("v1-steady", 0x2672ba9f244ca80e),
    ("v1-shard-crash", 0xd5e6f145bab47949),
    ("v1-hot-key-coalesced", 0x6164affc20c9cedc),
    ("v1-resize", 0x92f3442fd77092ef),
    ("v2-steady", 0x6d1ddb3c32ee1acb),
    ("v2-primary-crash", 0xdfe8701c23f94e1b),
    ("v2-lost-invalidation", 0x3f600ec546cf7379),
    ("v2-500k", 0x1076ae9878347e63),
    ("compare-crash", 0xff3d81942b03c47b),
];
