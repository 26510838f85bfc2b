//! The model against queueing and caching formulas (model-facts.md).

mod common;
use cachesim_core::scenario::ServiceDist;
use cachesim_core::Scenario;
use common::*;

#[test]
fn erlang_c_reference_values() {
    // the helper itself, against model-facts' published values (c = 24 at 12 ms:
    // ~12.3 ms at 75%, ~14.6 ms at 90%, ~19 ms at 95%); the model is checked with it below
    let r = |load: f64| mmc_response(24, load * 2000.0, 0.012) * 1000.0;
    assert!((r(0.75) - 12.3).abs() < 0.15, "{}", r(0.75));
    assert!((r(0.90) - 14.6).abs() < 0.2, "{}", r(0.90));
    assert!((r(0.95) - 19.0).abs() < 0.6, "{}", r(0.95));
}

/// A scenario whose only traffic is direct DB queries, so the DB is a plain M/G/24.
fn db_only(load: f64, dist: ServiceDist) -> Scenario {
    let mut s = Scenario::default();
    direct_only(&mut s);
    s.client.rps = load * 2000.0;
    s.db.direct_service_ms = 12.0;
    s.db.service = dist;
    // the formulas are for M/G/c: no contention between backends, no fork cost
    s.db.contention = 0.0;
    s.db.connection_cpu_ms = 0.0;
    // enough connections that the pools never limit the DB
    s.app.pool_size = 2_000;
    s.db.max_connections = 10_000;
    s.warm_start = false;
    s
}

#[test]
fn db_latency_matches_erlang_c_with_exponential_service() {
    for &load in &[0.5, 0.75, 0.9] {
        let sim = run(db_only(load, ServiceDist::Exponential), 400.0);
        let t = sim.totals();
        let measured_ms = t.db_sojourn_ns as f64 / t.db_queries as f64 / 1e6;
        let lambda = t.db_queries as f64 / sim.now_s();
        let expected_ms = mmc_response(24, lambda, 0.012) * 1000.0;
        let err = (measured_ms / expected_ms - 1.0).abs();
        assert!(
            err < 0.10,
            "load {load}: measured {measured_ms:.2} ms, Erlang C {expected_ms:.2} ms"
        );
        // and the waiting part alone, where Erlang C does the work (at 50% it is tiny)
        if load >= 0.75 {
            let wq = t.db_wait_ns as f64 / t.db_queries as f64 / 1e6;
            let wq_expected = expected_ms - 12.0;
            assert!(
                (wq / wq_expected - 1.0).abs() < 0.25,
                "load {load}: wait {wq:.3} vs {wq_expected:.3}"
            );
        }
    }
}

#[test]
fn db_waiting_scales_with_service_variability_allen_cunneen() {
    // M/G/c: Wq ~ Wq(M/M/c) * (1 + cv^2) / 2
    let cv = 0.5;
    let sim = run(db_only(0.9, ServiceDist::LogNormal { cv }), 400.0);
    let t = sim.totals();
    let lambda = t.db_queries as f64 / sim.now_s();
    let wq = t.db_wait_ns as f64 / t.db_queries as f64 / 1e6;
    let wq_mmc = (mmc_response(24, lambda, 0.012) - 0.012) * 1000.0;
    let expected = wq_mmc * (1.0 + cv * cv) / 2.0;
    assert!(
        (wq / expected - 1.0).abs() < 0.25,
        "wait {wq:.3} ms vs Allen-Cunneen {expected:.3} ms"
    );
}

#[test]
fn littles_law_on_the_db() {
    let sim = run(preset("steady"), 300.0);
    let t = sim.totals();
    let secs = seconds(&sim, 1, 300);
    // L: queries in flight, sampled once a second
    let l = mean(&secs, |s| s.db_in_flight as f64);
    // lambda * W, with W the query round trip (network + wait + execution)
    let lambda = t.db_queries as f64 / sim.now_s();
    let w = t.db_sojourn_ns as f64 / t.db_queries as f64 / 1e9 + 0.005;
    assert!(
        (l / (lambda * w) - 1.0).abs() < 0.05,
        "L {l:.1} vs lambda W {:.1}",
        lambda * w
    );
}

#[test]
fn steady_hit_rate_sits_at_the_target() {
    // (rps, target): each keeps the DB below capacity. At 10K RPS a 70% target
    // would send 2.25K misses/s to a 2K/s DB: misses then wait for connections,
    // the miss window stretches to ~0.5 s and the hit rate settles lower (emergent,
    // and what a real system does), so that case runs at 4K RPS.
    for &(rps, target) in &[(10_000.0, 0.85), (4_000.0, 0.7), (10_000.0, 0.9)] {
        let mut s = targeted("steady");
        s.client.rps = rps;
        s.client.target_hit_rate = target;
        let sim = run(s, 240.0);
        let sum = summary(&sim);
        assert!(
            (sum.hit_rate - target).abs() < 0.015,
            "target {target}: steady hit rate {:.4} (keys {})",
            sum.hit_rate,
            sum.keyspace.keys
        );
    }
}

#[test]
fn unreachable_targets_say_so() {
    // With 5% deletes and no coalescing, each hot key spends a miss window empty
    // after every delete: at 10K RPS no keyspace reaches 95%.
    let mut s = targeted("steady");
    s.client.target_hit_rate = 0.95;
    let sim = cachesim_core::Simulation::new(s).unwrap();
    let ks = sim.keyspace();
    assert!(ks.predicted_hit_rate < 0.94, "{ks:?}");
    assert!(
        ks.predicted_hit_rate > 0.85,
        "the best reachable is still chosen: {ks:?}"
    );
}

#[test]
fn cold_start_converges_to_the_same_steady_state() {
    // started empty, the emergent hit rate climbs to the target: the warm start is not what sets it
    let mut s = targeted("steady");
    s.warm_start = false;
    s.client.rps = 2_000.0;
    s.cache.ttl_s = 30.0;
    let sim = run(s, 240.0);
    let late = seconds(&sim, 120, 240);
    let hits = sum(&late, |s| s.hits as f64);
    let reads = sum(&late, |s| s.reads as f64);
    assert!((hits / reads - 0.85).abs() < 0.015, "{}", hits / reads);
}

#[test]
fn db_read_queries_follow_reads_times_miss_rate() {
    let sim = run(preset("steady"), 120.0);
    let t = sim.totals();
    let h = t.hits as f64 / t.reads as f64;
    let expected = t.reads as f64 * (1.0 - h);
    assert!(
        (t.db_miss as f64 / expected - 1.0).abs() < 0.05,
        "db miss queries {} vs {expected}",
        t.db_miss
    );
    // and against the seed's expectation: 7.5K reads/s at ~85% -> ~1.1K miss queries/s
    let per_s = t.db_miss as f64 / sim.now_s();
    assert!((per_s - 7_500.0 * 0.15).abs() < 7_500.0 * 0.015, "{per_s}");
}

/// Redis' single thread as a queue: GETs of a fully cached keyspace at 80%
/// of its 50K ops/s wait as a separately written M/D/1 (Lindley's
/// recursion) says. The pods' CPU is set to nothing, so a hit's time at its
/// pod is the round trip, the wait and the command.
#[test]
fn redis_waits_as_an_md1_queue() {
    let mut s = Scenario::default();
    reads_only(&mut s);
    s.client.keys = Some(1_000);
    s.client.rps = 40_000.0;
    s.lb.capacity_rps = 10_000_000.0;
    s.app.cpu_per_request_ms = 0.0;
    let service_ms = 1e3 / s.cache.ops_per_sec;
    let rtt = s.app.cache_rtt_ms;
    let sim = run(s, 30.0);
    let h = summary(&sim).latency_ms.hit;
    let reference = md1_sojourns(40.0, service_ms, 400_000);
    let q = |p: f64| reference[(p * reference.len() as f64) as usize];
    for (got, want) in [(h.p50 - rtt, q(0.5)), (h.p99 - rtt, q(0.99))] {
        eprintln!("Redis sojourn {got:.4} ms, M/D/1 {want:.4} ms");
        assert!((got - want).abs() < 0.002 + 0.1 * want);
    }
}

#[test]
fn steady_state_meets_the_seed_slis_with_headroom() {
    let sim = run(preset("steady"), 120.0);
    let s = summary(&sim);
    assert!(
        s.latency_ms.hit.p99 < 2.0,
        "hit p99 {}",
        s.latency_ms.hit.p99
    );
    assert!(
        s.latency_ms.miss.p99 < 30.0,
        "miss + backfill p99 {}",
        s.latency_ms.miss.p99
    );
    assert!(s.hit_rate > 0.8);
    assert!(
        s.db_utilization_mean < 0.8,
        "DB headroom: {}",
        s.db_utilization_mean
    );
    assert_eq!(s.errors, 0);
}

#[test]
fn exponential_service_breaks_the_miss_sli() {
    // model-facts: an exponential 12 ms service has p99 ~55 ms, so the SLI needs low variance
    let mut s = preset("steady");
    s.db.service = ServiceDist::Exponential;
    let sim = run(s, 60.0);
    assert!(summary(&sim).latency_ms.miss.p99 > 50.0);
}

/// The calibration meets a target where it is set: across the RPS, TTL and
/// target ranges the issue names (1K-50K RPS, TTL 10-600 s, 50-92%), with
/// capacities that carry the load, the steady hit rate is within 1.5 points
/// of the target; where no keyspace reaches the target, the calibration says
/// so (its prediction is below the target) and the prediction holds.
#[test]
fn the_target_is_met_where_it_is_set() {
    let cases = [
        (1_000.0, 10.0, 0.85),
        (1_000.0, 30.0, 0.5),
        (10_000.0, 30.0, 0.85),
        (10_000.0, 600.0, 0.92),
        (50_000.0, 10.0, 0.7),
        (50_000.0, 300.0, 0.92),
    ];
    for (rps, ttl, target) in cases {
        let mut s = targeted("steady");
        s.client.rps = rps;
        s.client.target_hit_rate = target;
        s.cache.ttl_s = ttl;
        s.cache.ops_per_sec = 1e7;
        let k = (rps / 10_000.0 * 8.0).max(1.0);
        s.lb.capacity_rps = 1e8;
        s.db.workers = (24.0 * k) as u32;
        s.db.cores = (4.0 * k) as u32;
        s.db.max_connections = 1_000_000;
        s.app.pods = 8;
        s.app.pool_size = 100_000;
        let sim = run(s, 40.0);
        let late = seconds(&sim, 10, 40);
        let h = sum(&late, |s| s.hits as f64) / sum(&late, |s| s.reads as f64);
        let predicted = sim.keyspace().predicted_hit_rate;
        let case = format!(
            "{rps} RPS, TTL {ttl} s, target {target}: measured {h:.4}, predicted {predicted:.4}"
        );
        if predicted > target - 0.001 {
            assert!((h - target).abs() < 0.015, "{case}");
        } else {
            assert!(
                (h - predicted).abs() < 0.025,
                "unreachable, says so: {case}"
            );
        }
        assert_eq!(sim.totals().failed, 0, "{case}");
    }
}
