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
const GOLDEN: u64 = 0xf7eb2184e16479ee;

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
const GOLDEN_V1: u64 = 0xa679f56e82f51798;

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
    ("steady", 0x639c791d0a2817de),
    ("cache-crash", 0xe6e102a3e3b2bce2),
    ("hot-key", 0x6a2597bdb49626c8),
    ("memory-full-noeviction", 0x79fecc90fe199e83),
    ("memory-full-lru", 0xcec6323cb12d1305),
    ("stale-invalidation", 0xa36faff693539292),
    ("key-busting", 0x2c2ef6eb6da4e848),
    ("db-slowdown", 0x6a90733650b71597),
    ("cache-crash-retries", 0x83602f6b5d896b23),
    ("cache-crash-breaker", 0x408e8874800b8452),
    ("cache-crash-rdb", 0xd826eb991781b88a),
    ("cache-crash-8-pods", 0x7bde0cd82496b43a),
    ("cache-crash-pgbouncer", 0x42bf3a3e687891f3),
    ("stale-invalidation-retry", 0x975120fad3f8c078),
    ("hot-key-local-cache", 0x6f92940ed4f77d78),
    ("key-busting-rate-limit", 0xa0bdd6382a674d6a),
    ("traffic-spike", 0x45536e2cfb61f366),
    ("pod-loss", 0x7ed63fb4fe81a94b),
    ("pod-loss-4-pods", 0xa65740697c2bcf90),
    ("pod-loss-autoscale", 0xbd79baab4f838c6d),
    ("v1-steady", 0xb1224f215e3c30b3),
    ("v1-shard-crash", 0xa5fbb92fa28c1fa5),
    ("v1-hot-key-coalesced", 0x23e19a2aff6e7843),
    ("v1-resize", 0xdd1793c02a08ec71),
    ("v2-steady", 0x6638d44d5e9086a1),
    ("v2-primary-crash", 0xae19d4d40e3b0537),
    ("v2-lost-invalidation", 0x37c06f52bd76eb62),
    ("v2-500k", 0x80c3b3d1b2d975),
    ("compare-crash", 0x7fdd65989de8094d),
];
