//! A scenario plus a seed gives the same run; every request ends exactly once.

mod common;
use cachesim_core::frame::{node, NodeKind};
use cachesim_core::{presets, Command, Simulation, Summary};
use common::*;

#[test]
fn same_seed_same_run_different_seed_different_run() {
    for name in ["steady", "cache-crash"] {
        let a = run(preset(name), 70.0);
        let b = run(preset(name), 70.0);
        assert_eq!(Summary::of(&a), Summary::of(&b), "{name}");
        let av: Vec<_> = a.history().iter().map(|s| s.values()).collect();
        let bv: Vec<_> = b.history().iter().map(|s| s.values()).collect();
        assert_eq!(av, bv, "{name}: per-second series");
        let mut other = preset(name);
        other.seed = 2;
        let c = run(other, 70.0);
        assert_ne!(
            Summary::of(&a),
            Summary::of(&c),
            "{name}: a different seed must differ"
        );
    }
}

#[test]
fn stepping_in_frames_equals_one_big_step() {
    // the browser advances by frame; the CLI in one go: same run
    let mut a = Simulation::new(preset("cache-crash")).unwrap();
    let mut t: f64 = 0.0;
    while t < 65.0 {
        t += 1.0 / 60.0 * 7.3;
        a.advance_to(t.min(65.0));
        a.take_frame();
    }
    let mut b = Simulation::new(preset("cache-crash")).unwrap();
    b.advance_to(65.0);
    assert_eq!(Summary::of(&a), Summary::of(&b));
}

#[test]
fn live_commands_replayed_as_faults_give_the_same_run() {
    // what a share link does: the commands applied live become scheduled faults
    let mut live = Simulation::new(preset("steady")).unwrap();
    live.advance_to(10.0); // a whole second: the metrics tick shares the instant
    live.apply(Command::CrashCache {
        shard: 0,
        host: false,
    })
    .unwrap();
    live.advance_to(12.5);
    live.apply(Command::RestartCache { shard: 0 }).unwrap();
    live.apply(Command::HotKey {
        rate: 2_000.0,
        value_kb: 8.0,
        shard: None,
    })
    .unwrap();
    live.advance_to(20.0);
    let mut scenario = preset("steady");
    scenario.faults = live.applied_log().to_vec();
    let mut replay = Simulation::new(scenario).unwrap();
    replay.advance_to(20.0);
    assert_eq!(Summary::of(&live), Summary::of(&replay));
    let a: Vec<_> = live.history().iter().map(|s| s.values()).collect();
    let b: Vec<_> = replay.history().iter().map(|s| s.values()).collect();
    assert_eq!(a, b);
}

#[test]
fn tracing_for_the_animation_does_not_change_the_run() {
    let mut a = Simulation::new(preset("steady")).unwrap();
    a.set_trace_rate(500.0);
    a.advance_to(10.0);
    let frame = a.take_frame();
    assert!(!frame.hops.is_empty());
    let mut b = Simulation::new(preset("steady")).unwrap();
    b.advance_to(10.0);
    assert_eq!(Summary::of(&a), Summary::of(&b));
}

#[test]
fn every_request_ends_exactly_once_in_every_preset() {
    for p in presets::PRESETS {
        let sim = run(preset(p.name), 45.0);
        let t = sim.totals();
        assert!(t.arrived > 0);
        let kinds = t.err_503
            + t.err_502
            + t.err_timeout
            + t.err_db_connections
            + t.err_pool_timeout
            + t.err_cache_oom
            + t.err_degraded
            + t.err_rate_limited;
        assert_eq!(kinds, t.failed, "{}: errors by kind add up", p.name);
        // the per-second series adds up to the totals
        let arrived: u64 = sim.history().iter().map(|s| s.arrived).sum();
        let completed: u64 = sim.history().iter().map(|s| s.completed).sum();
        let failed: u64 = sim.history().iter().map(|s| s.failed).sum();
        assert_eq!(
            (arrived, completed, failed),
            (t.arrived, t.completed, t.failed),
            "{}",
            p.name
        );
    }
}

#[test]
fn in_flight_drains_when_traffic_stops() {
    let mut sim = Simulation::new(preset("cache-crash")).unwrap();
    sim.advance_to(70.0);
    assert!(
        sim.in_flight() > 100,
        "the crash leaves many requests waiting"
    );
    sim.apply(Command::RestartCache { shard: 0 }).unwrap();
    sim.apply(Command::SetRps { rps: 1.0 }).unwrap();
    sim.advance_to(80.0);
    assert_conserved(&sim);
    assert!(sim.in_flight() <= 2, "{}", sim.in_flight());
    assert!(sim.server_in_flight() <= 2, "{}", sim.server_in_flight());
}

#[test]
fn frames_count_edges_and_bound_hops() {
    let mut sim = Simulation::new(preset("steady")).unwrap();
    sim.set_trace_rate(1_000.0);
    sim.set_max_hops(100);
    sim.advance_to(1.0);
    let f = sim.take_frame();
    assert!(f.hops.len() <= 100);
    assert!(f.dropped_hops > 0);
    let client_lb = f.flow(node::CLIENT, node::LB);
    assert_eq!(client_lb, sim.totals().arrived);
    assert_eq!(f.flow_into(NodeKind::Pod), client_lb);
    assert_eq!(
        f.flow_into(NodeKind::Shard),
        sim.totals().cache_ops + sim.totals().cache_errors
    );
    assert!(f.flow_into(NodeKind::Shard) > f.flow_into(NodeKind::Db));
    assert_eq!(f.flows.len(), f.topology.edges.len());
    let g = sim.take_frame();
    assert_eq!(
        g.flow(node::CLIENT, node::LB),
        0,
        "counts reset at each frame"
    );
}

/// Every request that ended has exactly one latency among those "with
/// failures": successes and failures, none twice, none missing.
#[test]
fn every_ended_request_has_one_latency_failures_included() {
    for name in ["cache-crash", "v1-shard-crash", "key-busting"] {
        let mut s = preset(name);
        s.client.rps = 4_000.0;
        for f in &mut s.faults {
            f.at_s /= 4.0;
        }
        let sim = run(s, 40.0);
        let t = sim.totals();
        assert!(t.failed > 0 || name != "cache-crash", "{name}: {t:?}");
        assert_eq!(
            sim.latency().with_failures().len(),
            t.completed + t.failed,
            "{name}"
        );
        assert_eq!(sim.latency().all.len(), t.completed, "{name}");
        let per_second: u64 = sim.history().iter().map(|s| s.completed + s.failed).sum();
        assert!(per_second <= t.completed + t.failed);
    }
}
