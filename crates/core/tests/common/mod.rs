//! Helpers shared by the model's integration tests.
#![allow(dead_code)]

use cachesim_core::{presets, Scenario, SecondStats, Simulation, Summary};

/// A cold cache and negligible background traffic (1 RPS): a stage for bursts.
pub fn cold_and_quiet() -> Scenario {
    let mut s = Scenario {
        warm_start: false,
        ..Scenario::default()
    };
    s.client.rps = 1.0;
    s
}

pub fn preset(name: &str) -> Scenario {
    presets::preset(name).unwrap_or_else(|| panic!("preset {name}"))
}

/// A preset whose keyspace is derived from its target hit rate at its own
/// RPS and TTL (the presets carry an explicit keyspace otherwise).
pub fn targeted(name: &str) -> Scenario {
    let mut s = preset(name);
    s.client.keys = None;
    s.client.zipf_s = None;
    s
}

/// Runs `scenario` for `seconds`, checking conservation every simulated second.
pub fn run(scenario: Scenario, seconds: f64) -> Simulation {
    let mut sim = Simulation::new(scenario).expect("valid scenario");
    let mut t = 0.0;
    while t < seconds {
        t = (t + 1.0).min(seconds);
        sim.advance_to(t);
        assert_conserved(&sim);
    }
    sim
}

/// Every request that arrived has completed, failed, or is still in flight.
pub fn assert_conserved(sim: &Simulation) {
    let t = sim.totals();
    assert_eq!(
        t.arrived,
        t.completed + t.failed + sim.in_flight(),
        "conservation at t={}: arrived {} completed {} failed {} in flight {}",
        sim.now_s(),
        t.arrived,
        t.completed,
        t.failed,
        sim.in_flight()
    );
}

pub fn seconds(sim: &Simulation, from: u32, to: u32) -> Vec<SecondStats> {
    sim.history()
        .iter()
        .filter(|s| s.t_s >= from && s.t_s < to)
        .cloned()
        .collect()
}

pub fn sum(xs: &[SecondStats], f: impl Fn(&SecondStats) -> f64) -> f64 {
    xs.iter().map(f).sum()
}

pub fn mean(xs: &[SecondStats], f: impl Fn(&SecondStats) -> f64) -> f64 {
    sum(xs, f) / xs.len().max(1) as f64
}

pub fn summary(sim: &Simulation) -> Summary {
    Summary::of(sim)
}

/// Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // iterative Erlang B, then C = B / (1 - rho (1 - B))
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho * (1.0 - b))
}

/// Mean response time (wait + service) of M/M/c, in the units of `service`.
pub fn mmc_response(c: u32, lambda: f64, service: f64) -> f64 {
    let a = lambda * service;
    let wq = erlang_c(c, a) * service / (c as f64 - a);
    wq + service
}

/// Che's approximation for an LRU of `capacity` keys under independent
/// reads at `rate` per second over `n` Zipf(`s`) keys: T solves
/// sum_k (1 - e^(-l_k T)) = C, and the hit ratio is sum_k p_k (1 - e^(-l_k T)).
pub fn che_hit_ratio(rate: f64, n: u64, s: f64, capacity: f64) -> f64 {
    let h = cachesim_core::calibrate::harmonic(n, s);
    let l = |k: u64| rate * (k as f64).powf(-s) / h;
    let filled = |t: f64| (1..=n).map(|k| 1.0 - (-l(k) * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1e7);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (1..=n)
        .map(|k| l(k) / rate * (1.0 - (-l(k) * lo).exp()))
        .sum()
}

/// Share of read traffic whose key each shard owns: the sum of the Zipf
/// weights p_k = k^-s / H(n, s) of the keys the router sends to it.
pub fn traffic_shares(router: &cachesim_core::router::Router, keys: u64, s: f64) -> Vec<f64> {
    let h = cachesim_core::calibrate::harmonic(keys, s);
    let mut shares = vec![0.0; router.shards()];
    for rank in 1..=keys {
        shares[router.route((rank - 1) as u32)] += (rank as f64).powf(-s) / h;
    }
    shares
}

/// The operation mix: reads, writes, deletes and direct queries.
fn set_mix(s: &mut Scenario, [read, write, delete, direct]: [f64; 4]) {
    s.client.read_fraction = read;
    s.client.write_fraction = write;
    s.client.delete_fraction = delete;
    s.client.direct_fraction = direct;
}

/// Only cache-aside reads: no writes, deletes or direct queries.
pub fn reads_only(s: &mut Scenario) {
    set_mix(s, [1.0, 0.0, 0.0, 0.0]);
}

/// Sojourn times (wait + service) of an M/D/1 queue by Lindley's recursion.
pub fn md1_sojourns(lambda: f64, service: f64, n: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut wait = 0.0f64;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(wait + service);
        let gap = -(1.0 - uniform()).ln() / lambda;
        wait = (wait + service - gap).max(0.0);
    }
    out.sort_by(f64::total_cmp);
    out
}

/// Only direct DB queries: no cache operations.
pub fn direct_only(s: &mut Scenario) {
    set_mix(s, [0.0, 0.0, 0.0, 1.0]);
}

/// The pods' own CPU left out, for tests of a tier behind them that the
/// seed's 2 pods could not drive hard enough.
pub fn without_pod_cpu(s: &mut Scenario) {
    s.app.cpu_per_request_ms = 0.0;
    s.app.cpu_per_db_reply_ms = 0.0;
}

/// A stage for the DB alone: direct queries at `rps` from one pod whose pool
/// holds `connections` (the DB's `max_connections` too), with no LB, round
/// trip, processing, connect or fork cost, deterministic service and no
/// contention, starting cold.
pub fn db_stage(rps: f64, connections: u32) -> Scenario {
    let mut s = Scenario {
        warm_start: false,
        ..Scenario::default()
    };
    direct_only(&mut s);
    without_pod_cpu(&mut s);
    s.client.rps = rps;
    s.lb.capacity_rps = 10_000_000.0;
    s.lb.latency_ms = 0.0;
    s.app.pods = 1;
    s.app.max_inflight_per_pod = 1_000_000;
    s.app.processing_ms = 0.0;
    s.app.pool_size = connections;
    s.app.db_rtt_ms = 0.0;
    s.app.connect_ms = 0.0;
    s.db.max_connections = connections;
    s.db.connection_cpu_ms = 0.0;
    s.db.service = cachesim_core::scenario::ServiceDist::Deterministic;
    s.db.contention = 0.0;
    s
}
