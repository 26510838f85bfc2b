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
const GOLDEN: u64 = 0x370039d881a31a96;

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
const GOLDEN_V1: u64 = 0xcec5a85ca81304f;

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
    ("steady", 0xeae6f5a29ac36a60),
    ("cache-crash", 0x946606652f15901b),
    ("hot-key", 0x30d0d8d75f3d812a),
    ("memory-full-noeviction", 0x121dd0d337ed8695),
    ("memory-full-lru", 0x181c2caa7920d473),
    ("stale-invalidation", 0xd21893266b45284c),
    ("key-busting", 0xdae1239b70299296),
    ("db-slowdown", 0x570a2b1ac3830657),
    ("cache-crash-retries", 0xc7ab8767d220e230),
    ("cache-crash-breaker", 0x5210b9449628beda),
    ("cache-crash-rdb", 0x3978d7b3127bbae7),
    ("cache-crash-8-pods", 0x721d461f6807bb53),
    ("cache-crash-pgbouncer", 0xc8f9e0eb7a90e090),
    ("stale-invalidation-retry", 0xa0250ba5d9a99f76),
    ("hot-key-local-cache", 0x9cebcaf81f70e3f9),
    ("key-busting-rate-limit", 0xab764c95fc0707c),
    ("traffic-spike", 0x3b4024116412c24b),
    ("v1-steady", 0xd26dd4c4bd46527a),
    ("v1-shard-crash", 0xe309ad8640cc08eb),
    ("v1-hot-key-coalesced", 0x10b61ab1d38fb299),
    ("v1-resize", 0x3e2ba8c1c3f694d5),
    ("v2-steady", 0x8f01cb4c368419b7),
    ("v2-primary-crash", 0x5005a2aca7906e5),
    ("v2-lost-invalidation", 0x34fa4d6faa9f3b),
    ("v2-500k", 0x680edc2bdc6584bb),
    ("compare-crash", 0xa6fedc4fbfe69bb6),
];
