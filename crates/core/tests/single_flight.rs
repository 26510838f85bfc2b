//! Single-flight (per-pod coalescing of concurrent misses on a key): off in
//! the seed's V0, where N concurrent misses make N queries (see
//! `seed_scenarios.rs`); on, a pod runs one load per key at a time.

mod common;
use cachesim_core::{Command, Simulation};
use common::*;

fn hot_key(rate: f64) -> Command {
    Command::HotKey {
        rate,
        value_kb: 1.0,
        shard: None,
    }
}

#[test]
fn concurrent_misses_on_one_key_make_one_query_per_pod() {
    let mut s = cold_and_quiet();
    s.app.single_flight = true;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(1.0);
    let before = sim.totals().clone();
    sim.apply(hot_key(5_000.0)).unwrap();
    sim.advance_to(1.2);
    sim.apply(hot_key(0.0)).unwrap();
    sim.advance_to(3.0);
    assert_conserved(&sim);
    let t = sim.totals();
    let misses = (t.reads - before.reads) - (t.hits - before.hits);
    let queries = t.db_miss - before.db_miss;
    let coalesced = t.coalesced - before.coalesced;
    // without single-flight this is ~1 + 5000 x 20 ms = ~100 queries
    assert!(misses > 50, "{misses} misses");
    // each pod loads the key once; a miss whose GET raced the backfill SET may start one more round
    assert!(
        (2..=6).contains(&queries),
        "{queries} queries for {misses} misses"
    );
    assert_eq!(coalesced + queries, misses, "every miss queried or waited");
    assert_eq!(t.failed, before.failed, "nobody failed");
    assert_eq!(sim.in_flight(), 0, "nobody is left waiting");
    // a follower answers when its leader does: no slower than the leader's own miss path
    let miss_p99 = worst_second(&sim, |s| s.miss_p99_ms);
    assert!(miss_p99 < 30.0, "miss p99 {miss_p99} ms");
}

/// The largest per-second value of `f` over the run.
fn worst_second(sim: &Simulation, f: impl Fn(&cachesim_core::SecondStats) -> f64) -> f64 {
    sim.history().iter().map(f).fold(0.0, f64::max)
}

#[test]
fn a_leaders_error_reaches_everyone_waiting_for_it() {
    // one pod with one pooled connection, queries 100x slower (1.2 s)
    let mut s = cold_and_quiet();
    s.app.pods = 1;
    s.app.pool_size = 1;
    s.app.single_flight = true;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(0.5);
    sim.apply(Command::DbSlowdown { factor: 100.0 }).unwrap();
    // never-seen keys take the only connection and queue for it
    sim.apply(Command::KeyBusting { rate: 2_000.0 }).unwrap();
    sim.advance_to(0.51);
    sim.apply(Command::KeyBusting { rate: 0.0 }).unwrap();
    sim.advance_to(0.6);
    let before = sim.totals().clone();
    // a burst on one key: its leader waits for the connection past the pool timeout
    sim.apply(hot_key(5_000.0)).unwrap();
    sim.advance_to(0.62);
    sim.apply(hot_key(0.0)).unwrap();
    sim.advance_to(10.0);
    assert_conserved(&sim);
    let t = sim.totals();
    let burst = t.arrived - before.arrived;
    let coalesced = t.coalesced - before.coalesced;
    let pool_timeouts = t.err_pool_timeout - before.err_pool_timeout;
    assert!(coalesced >= 40, "{coalesced} waited for the leader");
    // the leader timed out waiting for a connection, and so did everyone
    // waiting for it: more pool timeouts than followers
    assert!(
        pool_timeouts > coalesced,
        "{pool_timeouts} pool timeouts for {coalesced} followers of {burst} requests"
    );
    // nobody hangs once the leader is done (the 1 RPS background aside)
    assert!(sim.in_flight() <= 2, "{} in flight", sim.in_flight());
    assert!(
        sim.server_in_flight() <= 2,
        "{} in the servers",
        sim.server_in_flight()
    );
}

#[test]
fn single_flight_tames_the_hot_key_stampede() {
    // the hot-key preset: rank 1 takes 8K extra reads/s, and each of its deletes opens a stampede
    let off = run(preset("hot-key"), 90.0);
    let mut on_scenario = preset("hot-key");
    on_scenario.app.single_flight = true;
    let on = run(on_scenario, 90.0);
    let (off_s, on_s) = (seconds(&off, 40, 90), seconds(&on, 40, 90));
    assert!(
        sum(&off_s, |s| s.failed as f64) > 1_000.0,
        "without it the stampedes fail requests"
    );
    assert_eq!(
        sum(&on_s, |s| s.failed as f64),
        0.0,
        "with it nothing fails"
    );
    assert!(sum(&on_s, |s| s.coalesced as f64) > 10_000.0);
    let peak = |xs: &[cachesim_core::SecondStats]| xs.iter().map(|s| s.db_offered).max().unwrap();
    assert!(
        (peak(&on_s) as f64) < 0.8 * peak(&off_s) as f64,
        "offered peak {} with, {} without",
        peak(&on_s),
        peak(&off_s)
    );
    assert!(
        mean(&on_s, |s| s.p99_ms) < 50.0,
        "p99 {}",
        mean(&on_s, |s| s.p99_ms)
    );
}

#[test]
fn switched_on_live_during_a_crash_it_cuts_the_herd() {
    let off = run(preset("cache-crash"), 75.0);
    let mut sim = Simulation::new(preset("cache-crash")).unwrap();
    sim.advance_to(60.5);
    sim.apply(Command::SingleFlight { on: true }).unwrap();
    assert!(sim.status().single_flight);
    let mut t = 60.5;
    while t < 75.0 {
        t += 0.5;
        sim.advance_to(t);
        assert_conserved(&sim);
    }
    let (a, b) = (seconds(&off, 62, 75), seconds(&sim, 62, 75));
    assert_eq!(sum(&a, |s| s.coalesced as f64), 0.0);
    assert!(sum(&b, |s| s.coalesced as f64) > 1_000.0);
    // every coalesced miss is a query the DB is not offered
    assert!(mean(&b, |s| s.db_offered as f64) < mean(&a, |s| s.db_offered as f64));
    assert!(sum(&b, |s| s.failed as f64) < sum(&a, |s| s.failed as f64));
}
