//! The model against the seed's own numbers and failure stories.

mod common;
use cachesim_core::Command;
use common::*;

const DB_CAPACITY: f64 = 2_000.0; // 24 workers / 12 ms

/// The crash's herd against formulas evaluated here: every request falls
/// to the DB; the DB serves what its tighter limit allows with every
/// connection active (its workers, each holding a query for its time, or its
/// cores, the CPU parts slowed by the contention term); and the pools hold
/// what Little's law says a FIFO queue whose requests all wait out its
/// timeout holds.
#[test]
fn cache_crash_is_a_thundering_herd() {
    let s = preset("cache-crash");
    let sim = run(s.clone(), 150.0);
    let before = seconds(&sim, 30, 60);
    let crash = seconds(&sim, 62, 90);
    // steady state: below capacity
    assert!(mean(&before, |s| s.db_utilization) < 0.8);
    assert_eq!(sum(&before, |s| s.failed as f64), 0.0);
    // every request now needs the DB: the seed's 5x its SELECT capacity
    let offered = mean(&crash, |s| s.db_offered as f64);
    assert!(
        (offered / s.client.rps - 1.0).abs() < 0.03,
        "offered {offered}"
    );
    assert!(offered >= 4.8 * DB_CAPACITY);
    // served: with n = max_connections active, a query's CPU part runs
    // 1 + sigma (n - cores) times slower; the DB serves the smaller of
    // cores / CPU and workers / a query's whole time, at the crash's mix
    let (c, d) = (&s.client, &s.db);
    let at_mix = |read: f64, write: f64, direct: f64| {
        c.read_fraction * read
            + (c.write_fraction + c.delete_fraction) * write
            + c.direct_fraction * direct
    };
    let service_ms = at_mix(d.read_service_ms, d.write_service_ms, d.direct_service_ms);
    let cpu_ms = at_mix(d.read_cpu_ms, d.write_cpu_ms, d.direct_cpu_ms);
    let slowdown = 1.0 + d.contention * (d.max_connections - d.cores) as f64;
    let by_cores = d.cores as f64 / (cpu_ms * slowdown / 1e3);
    let by_workers = d.workers as f64 / ((service_ms + cpu_ms * (slowdown - 1.0)) / 1e3);
    let capacity = by_cores.min(by_workers);
    let served = mean(&crash, |s| s.db_queries as f64);
    eprintln!("served {served:.0}/s; workers allow {by_workers:.0}/s, cores {by_cores:.0}/s");
    assert!((served / capacity - 1.0).abs() < 0.05);
    // the pools' queues: arrivals x the pool timeout each of them waits out
    let waiters = mean(&crash, |s| s.pool_waiters as f64);
    let little = offered * s.app.pool_timeout_ms / 1e3;
    eprintln!("pool waiters {waiters:.0}, Little {little:.0}");
    assert!((waiters / little - 1.0).abs() < 0.1);
    // errors within seconds
    let first_errors = crash
        .iter()
        .find(|s| s.failed > 0)
        .expect("errors during the crash");
    assert!(
        first_errors.t_s <= 62,
        "first errors at {}",
        first_errors.t_s
    );
}

#[test]
fn recovery_after_a_cold_restart_is_db_bound() {
    let sim = run(preset("cache-crash"), 150.0);
    let recovery = seconds(&sim, 91, 121);
    // the DB is saturated while the cache refills
    assert!(mean(&recovery, |s| s.db_utilization) > 0.95);
    // the cache can only fill as fast as the DB answers misses
    for w in recovery.windows(2) {
        let growth = w[1].cache_keys as f64 - w[0].cache_keys as f64;
        assert!(
            growth <= DB_CAPACITY * 1.1,
            "cache grew {growth} keys in a second at t={}",
            w[1].t_s
        );
    }
    // so 30 s after the restart it is still far from its 85%
    let late = &recovery[recovery.len() - 5..];
    assert!(
        mean(late, |s| s.hit_rate) < 0.8,
        "{}",
        mean(late, |s| s.hit_rate)
    );
    assert!(mean(late, |s| s.hit_rate) > mean(&recovery[..3], |s| s.hit_rate));
}

#[test]
fn concurrent_misses_on_one_key_each_query_the_db() {
    // A cold cache, background traffic negligible, then a burst of reads of one key.
    let mut sim = cachesim_core::Simulation::new(cold_and_quiet()).unwrap();
    sim.advance_to(1.0);
    let before = sim.totals().clone();
    let rate = 5_000.0;
    sim.apply(Command::HotKey {
        rate,
        value_kb: 1.0,
        shard: None,
    })
    .unwrap();
    sim.advance_to(1.2);
    sim.apply(Command::HotKey {
        rate: 0.0,
        value_kb: 1.0,
        shard: None,
    })
    .unwrap();
    sim.advance_to(3.0);
    assert_conserved(&sim);
    let t = sim.totals();
    let misses = (t.reads - before.reads) - (t.hits - before.hits);
    let queries = t.db_miss - before.db_miss;
    // no single-flight: every miss is its own DB query
    assert_eq!(queries, misses);
    // and there are ~1 + lambda * D of them, D being the miss window (GET to backfill SET)
    let d = 0.0204;
    let expected = 1.0 + rate * d;
    assert!(
        (queries as f64) > 0.7 * expected && (queries as f64) < 1.4 * expected,
        "{queries} queries for one key, expected about {expected}"
    );
}

#[test]
fn noeviction_memory_full_fails_sets_and_the_hit_rate_decays() {
    let sim = run(preset("memory-full-noeviction"), 400.0);
    let before = seconds(&sim, 10, 30);
    let early = seconds(&sim, 40, 60);
    let after_ttl = seconds(&sim, 340, 400);
    assert!(mean(&before, |s| s.hit_rate) > 0.83);
    assert!(
        sum(&early, |s| s.set_oom as f64) > 0.0,
        "SETs fail with OOM"
    );
    assert!(
        sum(&early, |s| s.err_cache_oom as f64) > 0.0,
        "writes surface the OOM"
    );
    // reads still work: what was cached still hits until it expires
    assert!(mean(&early, |s| s.hit_rate) > 0.2);
    // ... and after one TTL nothing is left
    assert!(
        mean(&after_ttl, |s| s.hit_rate) < 0.02,
        "{}",
        mean(&after_ttl, |s| s.hit_rate)
    );
    assert!(after_ttl.iter().all(|s| s.cache_memory_fraction > 0.99));
}

#[test]
fn lru_memory_pressure_evicts_and_lowers_the_hit_rate() {
    let sim = run(preset("memory-full-lru"), 150.0);
    let before = seconds(&sim, 10, 30);
    let after = seconds(&sim, 60, 150);
    assert!(sum(&after, |s| s.evictions as f64) > 10_000.0);
    assert_eq!(
        sum(&after, |s| s.set_oom as f64),
        0.0,
        "allkeys-lru never refuses a write"
    );
    let drop = mean(&before, |s| s.hit_rate) - mean(&after, |s| s.hit_rate);
    assert!(drop > 0.1, "hit rate drop {drop}");
    assert!(after.iter().all(|s| s.cache_memory_fraction <= 1.0));
}

#[test]
fn failed_invalidations_serve_stale_reads_until_the_ttl() {
    let sim = run(preset("stale-invalidation"), 420.0);
    let baseline = mean(&seconds(&sim, 5, 30), |s| s.stale_reads as f64);
    let during = mean(&seconds(&sim, 60, 90), |s| s.stale_reads as f64);
    let after_ttl = mean(&seconds(&sim, 400, 420), |s| s.stale_reads as f64);
    assert!(sum(&seconds(&sim, 30, 90), |s| s.invalidation_failures as f64) > 10_000.0);
    assert!(
        during > 50.0 * baseline.max(1.0),
        "stale {during}/s vs baseline {baseline}/s"
    );
    // stale values written before 90 s have all expired by 90 + TTL
    assert!(
        after_ttl <= baseline.max(1.0) * 3.0,
        "after TTL {after_ttl}/s vs baseline {baseline}/s"
    );
    // between the two, it decays
    let mid = mean(&seconds(&sim, 200, 220), |s| s.stale_reads as f64);
    assert!(
        mid < during && mid > after_ttl,
        "{during} > {mid} > {after_ttl}"
    );
}

#[test]
fn key_busting_drives_misses_and_db_load() {
    let sim = run(preset("key-busting"), 60.0);
    let before = seconds(&sim, 10, 30);
    let attack = seconds(&sim, 35, 60);
    assert!(mean(&attack, |s| s.hit_rate) < mean(&before, |s| s.hit_rate) - 0.2);
    assert!(
        mean(&attack, |s| s.db_offered as f64) > mean(&before, |s| s.db_offered as f64) + 4_000.0
    );
    assert!(
        attack.last().unwrap().cache_keys > before.last().unwrap().cache_keys,
        "attack keys fill memory"
    );
}

#[test]
fn hot_key_saturates_the_single_redis_thread() {
    let sim = run(preset("hot-key"), 60.0);
    let before = seconds(&sim, 10, 30);
    let hot = seconds(&sim, 35, 60);
    // near saturation (the hot key's stampedes on the DB fail some of its
    // requests before they reach Redis, so not quite all of its load arrives)
    assert!(
        mean(&hot, |s| s.cache_cpu) > 0.75,
        "cpu {}",
        mean(&hot, |s| s.cache_cpu)
    );
    // every key's hits slow down, not just the hot one's: timed at the pod,
    // p99 0.8 -> 1.3 ms with the thread at ~82% (the seed's 5-10 ms needs it
    // nearer saturation; the README says so)
    assert!(mean(&hot, |s| s.hit_p99_ms) > 1.4 * mean(&before, |s| s.hit_p99_ms));
    // its reads come from pages the pods already serve: no HTTP request of
    // their own, so the pods' CPU stays where it was (it costs Redis, not them)
    let cpu = |xs: &[cachesim_core::SecondStats]| mean(xs, |s| s.pod_cpu);
    assert!(
        (cpu(&hot) / cpu(&before) - 1.0).abs() < 0.05,
        "{} vs {}",
        cpu(&hot),
        cpu(&before)
    );
}

#[test]
fn too_many_pods_exceed_max_connections() {
    // 4 pods x 100 connections > max_connections 200: a crash then gets 'too many connections'
    let mut s = preset("cache-crash");
    s.app.pods = 4;
    let sim = run(s, 75.0);
    assert!(sum(&seconds(&sim, 60, 75), |s| s.err_db_connections as f64) > 0.0);
}

#[test]
fn all_pods_unhealthy_gives_502() {
    let mut sim = cachesim_core::Simulation::new(preset("steady")).unwrap();
    sim.advance_to(2.0);
    sim.apply(Command::PodsUnhealthy { count: 2 }).unwrap();
    sim.advance_to(20.0);
    // refused by the dead pods, then by the LB once its checks took them out
    for s in &seconds(&sim, 3, 20) {
        assert_eq!(s.completed, 0);
        assert_eq!(s.failed, s.err_502);
    }
    assert_eq!(sim.history().last().unwrap().pods_in_rotation, 0);
    sim.apply(Command::PodsUnhealthy { count: 0 }).unwrap();
    sim.advance_to(40.0);
    // back in rotation after two passed checks, and failing nothing
    assert_eq!(sim.history().last().unwrap().failed, 0);
    assert_eq!(sim.history().last().unwrap().pods_in_rotation, 2);
    assert_conserved(&sim);
}

#[test]
fn idle_pooled_connections_close_after_the_idle_timeout() {
    // the story: six seconds at 16K RPS open every pooled connection;
    // back at 10K RPS the DB needs far fewer, and the idle ones close once
    // idle for 10 s (before the timeout, they stayed open for good)
    let s = preset("steady");
    assert_eq!(s.app.pool_idle_timeout_s, 10.0);
    let burst = |s: cachesim_core::Scenario| {
        let mut sim = cachesim_core::Simulation::new(s).unwrap();
        sim.advance_to(5.0);
        sim.apply(Command::SetRps { rps: 16_000.0 }).unwrap();
        sim.advance_to(11.0);
        let peak = sim.history().last().unwrap().db_connections;
        sim.apply(Command::SetRps { rps: 10_000.0 }).unwrap();
        sim.advance_to(60.0);
        (peak, sim)
    };
    let (peak, sim) = burst(s.clone());
    assert!(peak >= 150, "the burst opens most connections: {peak}");
    let st = sim.status();
    let open: u32 = st.pods.iter().map(|p| p.pool_open).sum();
    let busy: u32 = st.pods.iter().map(|p| p.pool_busy).sum();
    assert_eq!(
        open, st.db_connections,
        "the pools' connections are the DB's"
    );
    assert!(busy <= open);
    assert!(
        open < peak / 2,
        "{open} of {peak} connections still open 50 s after the burst ({busy} busy)"
    );
    assert_conserved(&sim);
    // with the timeout off they stay open, as before
    let mut forever = s;
    forever.app.pool_idle_timeout_s = 0.0;
    let (peak, sim) = burst(forever);
    assert_eq!(sim.status().db_connections, peak);
}
