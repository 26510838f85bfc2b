//! The seed's mitigations, each against its problem preset and against an
//! expectation computed here: the breaker's DB budget, the snapshot a
//! restart loads and how long loading takes, PgBouncer's server pool, the
//! staleness that retried invalidations leave, the hot-key cache's hit
//! share (one miss per pod per TTL), the attacker's admitted rate, and the
//! eviction pool against Che's approximation for an LRU.

mod common;
use cachesim_core::mitigations::{BreakerConfig, HotKeyCacheConfig, RateLimitConfig};
use cachesim_core::{Command, EvictionPolicy, Simulation};
use common::*;

#[test]
fn the_breaker_holds_the_db_to_its_budget_while_redis_is_down() {
    let plain = run(preset("cache-crash"), 90.0);
    let with = run(preset("cache-crash-breaker"), 90.0);
    let b = BreakerConfig::default();
    let s = preset("cache-crash-breaker");
    // from a second after the crash to the restart
    let xs = seconds(&with, 62, 90);
    let budget = s.app.pods as f64 * b.db_reads_per_s;
    let misses = mean(&xs, |x| x.db_miss as f64);
    assert!(
        misses <= budget * 1.05 && misses > budget * 0.8,
        "{misses:.0} missed reads/s vs a budget of {budget:.0}"
    );
    assert!(mean(&xs, |x| x.err_degraded as f64) > 1_000.0);
    // fast answers instead of pool waits: the p99 of every request falls
    let p99 = |sim: &Simulation| mean(&seconds(sim, 62, 90), |x| x.with_failures_p99_ms);
    assert!(
        p99(&with) < 100.0 && p99(&plain) > 400.0,
        "{} vs {}",
        p99(&with),
        p99(&plain)
    );
    assert_eq!(sum(&xs, |x| x.err_pool_timeout as f64), 0.0);
}

#[test]
fn an_rdb_restart_loads_the_last_snapshot() {
    let s = preset("cache-crash-rdb");
    let mut sim = Simulation::new(s.clone()).unwrap();
    // the snapshot is taken when RDB is switched on (the start of the run)
    let keys_at_snapshot = sim.status().cache_keys();
    sim.advance_to(90.0);
    sim.advance_to(90.2);
    assert!(sim.status().shards[0].loading, "still loading");
    let rdb = s.mitigations.rdb.as_ref().unwrap();
    let load_s = keys_at_snapshot as f64 * s.cache.entry_bytes as f64 / (rdb.load_mb_per_s * 1e6)
        + s.cache.restart_ms / 1_000.0;
    sim.advance_to(90.0 + load_s + 0.05);
    assert!(
        !sim.status().shards[0].loading,
        "loaded after {load_s:.2} s"
    );
    assert_eq!(sim.totals().rdb_loaded_keys, keys_at_snapshot);
    // values written since the snapshot come back stale
    sim.advance_to(100.0);
    let after = seconds(&sim, 92, 100);
    assert!(sum(&after, |x| x.stale_reads as f64) > 100.0);
    let cold = run(preset("cache-crash"), 100.0);
    let hit = |sim: &Simulation| mean(&seconds(sim, 92, 100), |x| x.hit_rate);
    assert!(
        hit(&sim) > hit(&cold) + 0.3,
        "{} vs {}",
        hit(&sim),
        hit(&cold)
    );
}

#[test]
fn pgbouncer_keeps_the_db_under_max_connections() {
    let refused = run(preset("cache-crash-8-pods"), 120.0);
    let pooled = run(preset("cache-crash-pgbouncer"), 120.0);
    assert!(refused.totals().err_db_connections > 10_000);
    assert_eq!(pooled.totals().err_db_connections, 0);
    let server = preset("cache-crash-pgbouncer")
        .mitigations
        .pgbouncer
        .unwrap()
        .server_connections;
    assert!(pooled.history().iter().all(|x| x.db_connections <= server));
    let (a, b) = (summary(&refused), summary(&pooled));
    assert!(
        b.availability > a.availability,
        "{} vs {}",
        b.availability,
        a.availability
    );
}

#[test]
fn retried_invalidations_end_staleness_within_the_backoff() {
    let plain = summary(&run(preset("stale-invalidation"), 300.0));
    let retried = summary(&run(preset("stale-invalidation-retry"), 300.0));
    let r = preset("stale-invalidation-retry")
        .mitigations
        .invalidation_retry
        .unwrap();
    // at 50% loss per try, 99% of invalidations land within 7 tries, whose
    // backoffs add up to at most this
    let seven: f64 = (0..7)
        .map(|k| (r.base_ms * 2f64.powi(k)).min(r.max_ms))
        .sum();
    assert!(
        retried.stale_age_p99_ms <= seven,
        "p99 stale age {} ms vs {seven} ms",
        retried.stale_age_p99_ms
    );
    assert!(
        plain.stale_age_p99_ms > 100_000.0,
        "{}",
        plain.stale_age_p99_ms
    );
    assert!(retried.stale_reads * 5 < plain.stale_reads);
}

#[test]
fn the_hot_key_cache_misses_once_per_pod_per_ttl() {
    let s = preset("hot-key-local-cache");
    let h = HotKeyCacheConfig::default();
    let sim = run(s.clone(), 60.0);
    let xs = seconds(&sim, 40, 60);
    let l1 = mean(&xs, |x| x.l1_hits as f64);
    // the viral key's reads (8K/s extra plus its Zipf share) all hit, but
    // one per pod per TTL; the other hot keys too
    let hot_rate = 8_000.0;
    let at_least = hot_rate - s.app.pods as f64 / (h.ttl_ms / 1_000.0);
    assert!(
        l1 > at_least,
        "{l1:.0} L1 hits/s, expected more than {at_least:.0}"
    );
    // and up to one TTL of staleness
    let t = summary(&sim);
    assert!(
        t.stale_age_max_ms as f64 <= h.ttl_ms + 1_000.0,
        "{}",
        t.stale_age_max_ms
    );
    let plain = run(preset("hot-key"), 60.0);
    let ops = |sim: &Simulation| mean(&seconds(sim, 40, 60), |x| x.cache_ops as f64);
    assert!(
        ops(&sim) < ops(&plain) - 7_000.0,
        "Redis is spared the hot key"
    );
}

#[test]
fn the_rate_limit_admits_the_attacker_at_its_limit() {
    let sim = run(preset("key-busting-rate-limit"), 60.0);
    let xs = seconds(&sim, 35, 60);
    let limit = RateLimitConfig::default().per_client_rps;
    let attack = 5_000.0;
    let refused = mean(&xs, |x| x.err_rate_limited as f64);
    assert!(
        (refused - (attack - limit)).abs() < 0.05 * attack,
        "{refused:.0} refused/s vs {:.0}",
        attack - limit
    );
    let before = mean(&seconds(&sim, 10, 30), |x| x.hit_rate);
    assert!((mean(&xs, |x| x.hit_rate) - before).abs() < 0.03);
}

#[test]
fn the_eviction_pool_is_closer_to_lru_than_sampling() {
    let hit_rate = |pool: bool| {
        let mut s = preset("steady");
        reads_only(&mut s);
        s.cache.ttl_s = 86_400.0;
        s.cache.eviction = EvictionPolicy::AllkeysLru;
        s.cache.eviction_pool = pool;
        s.db.workers = 200;
        s.db.max_connections = 1_000;
        s.app.pool_size = 500;
        let mut sim = Simulation::new(s).unwrap();
        // memory for 50K keys
        let bytes = 50_000.0 * (1024.0 + 96.0);
        sim.apply(Command::SetMemory {
            gb: bytes / (1024.0 * 1024.0 * 1024.0),
            shard: None,
        })
        .unwrap();
        sim.advance_to(60.0);
        mean(&seconds(&sim, 40, 60), |x| x.hit_rate)
    };
    let s = preset("steady");
    let expected = che_hit_ratio(
        10_000.0,
        s.client.keys.unwrap(),
        s.client.zipf_s.unwrap(),
        50_000.0,
    );
    let (pool, sampled) = (hit_rate(true), hit_rate(false));
    eprintln!("LRU (Che) {expected:.4}, pool {pool:.4}, sampling {sampled:.4}");
    assert!(
        (pool - expected).abs() < 0.02,
        "pool {pool} vs Che {expected}"
    );
    assert!((pool - expected).abs() < (sampled - expected).abs());
}
