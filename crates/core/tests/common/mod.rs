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
