//! Redis as it behaves under overload and failure: it runs every command it
//! has read (a command whose client timed out still burns the thread), a
//! host that is down costs its clients their command timeout while a dead
//! process refuses at once, a restart takes time, and a key costs more than
//! its value.

mod common;
use cachesim_core::{Command, Simulation};
use common::*;

fn hot(rate: f64) -> Command {
    Command::HotKey {
        rate,
        value_kb: 1.0,
        shard: None,
    }
}

#[test]
fn an_overloaded_redis_works_off_its_backlog_after_the_load_stops() {
    let mut s = cold_and_quiet();
    s.lb.capacity_rps = 10_000_000.0;
    s.app.max_inflight_per_pod = 1_000_000;
    // 80K extra reads a second would saturate the seed's 2 pods before Redis
    without_pod_cpu(&mut s);
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(1.0);
    // 80K GETs/s for 2 s against a 50K ops/s thread: 60K commands (1.2 s of work) pile up
    sim.apply(hot(80_000.0)).unwrap();
    sim.advance_to(3.0);
    sim.apply(hot(0.0)).unwrap();
    sim.advance_to(7.0);
    let cpu: Vec<f64> = sim.history().iter().map(|s| s.cache_cpu).collect();
    assert!(
        cpu[1] > 0.99 && cpu[2] > 0.99,
        "saturated while loaded: {cpu:?}"
    );
    // clients gave up (250 ms command timeout), but the thread still works
    // off the 1.2 s backlog after the load stops
    assert!(cpu[3] > 0.99, "still busy a second later: {cpu:?}");
    assert!(
        cpu[4] > 0.1 && cpu[4] < 0.4,
        "the last 0.2 s of the backlog: {cpu:?}"
    );
    assert!(cpu[5] < 0.01, "idle once it is done: {cpu:?}");
    assert!(cpu.iter().all(|&c| c <= 1.0));
    assert!(sim.totals().cache_errors > 10_000, "{:?}", sim.totals());
    assert!(summary(&sim).cache_cpu_utilization <= 1.0);
    assert_conserved(&sim);
}

fn crashed(host: bool) -> Simulation {
    let mut s = preset("steady");
    s.client.rps = 1_000.0;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(5.0);
    sim.apply(Command::CrashCache { shard: 0, host }).unwrap();
    sim.advance_to(10.0);
    sim
}

#[test]
fn a_host_that_is_down_costs_the_command_timeout_a_dead_process_does_not() {
    let median_miss = |sim: &Simulation| {
        let s = seconds(sim, 6, 10);
        mean(&s, |x| x.miss_p50_ms)
    };
    let refused = median_miss(&crashed(false));
    let silent = median_miss(&crashed(true));
    let timeout = preset("steady").app.cache_timeout_ms;
    assert!(
        refused < 30.0,
        "a refused GET falls through at once: {refused} ms"
    );
    // twice: the GET, then the backfill SET the seed's pseudocode awaits
    assert!(
        (silent - refused - 2.0 * timeout).abs() < 0.1 * timeout,
        "a silent host adds the {timeout} ms command timeout twice: {silent} vs {refused} ms"
    );
}

#[test]
fn a_restarted_redis_answers_loading_until_it_is_up() {
    let mut sim = crashed(false);
    sim.apply(Command::RestartCache { shard: 0 }).unwrap();
    let restart_s = preset("steady").cache.restart_ms / 1000.0;
    sim.advance_by(restart_s * 0.8);
    assert!(sim.status().shards[0].loading);
    let during = sim.totals().clone();
    sim.advance_by(restart_s * 0.4);
    assert!(!sim.status().shards[0].loading);
    let t0 = sim.totals().clone();
    sim.advance_by(1.0);
    let t = sim.totals();
    assert!(during.get_failures > 0);
    assert_eq!(
        t.get_failures, t0.get_failures,
        "accepting commands once ready"
    );
    assert!(t.hits > t0.hits, "and filling again");
}

#[test]
fn a_key_costs_its_value_and_redis_overhead() {
    let sim = run(preset("steady"), 2.0);
    let st = sim.status();
    let c = &sim.scenario().cache;
    let per_key = (c.entry_bytes + c.key_overhead_bytes) as u64;
    assert_eq!(st.cache_memory_bytes(), st.cache_keys() * per_key);
}

/// Writes whose client timed out in an overloaded Redis still run: none of
/// them is a lost invalidation, and once the backlog is worked off stale
/// reads are back to the cache-aside race's own rate (a control run).
#[test]
fn a_write_that_times_out_in_the_queue_still_lands() {
    let mut s = preset("steady");
    s.lb.capacity_rps = 10_000_000.0;
    s.app.max_inflight_per_pod = 1_000_000;
    // 80K extra reads a second would saturate the seed's 2 pods before Redis
    without_pod_cpu(&mut s);
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(10.0);
    let before = sim.totals().clone();
    // the hot key swamps the single thread: SETs and DELs wait past the 250 ms timeout
    sim.apply(hot(80_000.0)).unwrap();
    sim.advance_to(12.0);
    sim.apply(hot(0.0)).unwrap();
    sim.advance_to(20.0);
    let t = sim.totals();
    assert!(
        t.cache_errors - before.cache_errors > 10_000,
        "commands timed out"
    );
    assert_eq!(
        t.invalidation_failures, before.invalidation_failures,
        "a late SET/DEL is not a lost one"
    );
    let control = run(preset("steady"), 20.0);
    let stale = |sim: &Simulation| sum(&seconds(sim, 16, 20), |x| x.stale_reads as f64);
    assert!(
        stale(&sim) <= 2.0 * stale(&control) + 10.0,
        "{} stale reads vs {} without the overload",
        stale(&sim),
        stale(&control)
    );
}
