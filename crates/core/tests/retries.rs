//! Client retries: off in the seed's V0; on, every failed try is tried again
//! (up to `max_retries`), so the tries multiply by the geometric series of
//! the failure probability, and a retry budget caps the extra load.

mod common;
use cachesim_core::scenario::RetryPolicy;
use common::*;

/// `cache-crash-retries` with the crash early and a short run.
fn crashed(policy: RetryPolicy, budget: Option<f64>) -> cachesim_core::Simulation {
    let mut s = preset("cache-crash-retries");
    s.client.retry.policy = policy;
    s.client.retry.budget = budget;
    s.faults[0].at_s = 5.0;
    s.faults[1].at_s = 30.0;
    run(s, 20.0)
}

#[test]
fn retries_multiply_the_tries_by_the_geometric_series_of_failures() {
    let sim = crashed(RetryPolicy::Immediate, None);
    let during = seconds(&sim, 8, 20);
    let tries = sum(&during, |s| s.arrived as f64);
    let retries = sum(&during, |s| s.retries as f64);
    let p = sum(&during, |s| s.failed as f64) / tries;
    let k = sim.scenario().client.retry.max_retries as i32;
    // each request tries 1 + p + p^2 + ... + p^k times
    let expected = (1.0 - p.powi(k + 1)) / (1.0 - p);
    let measured = tries / (tries - retries);
    assert!(p > 0.5, "the crash fails most tries: {p}");
    assert!(
        (measured / expected - 1.0).abs() < 0.05,
        "{measured:.2} tries per request, {expected:.2} from p = {p:.3}"
    );
}

#[test]
fn a_retry_budget_caps_the_extra_load() {
    let sim = crashed(RetryPolicy::Backoff, Some(0.1));
    let t = sim.totals();
    let first = t.arrived - t.retries;
    // 10% of the first tries, plus what the bucket could have saved up
    assert!(t.retries as f64 <= 0.1 * first as f64 + 100.0, "{t:?}");
    assert!(t.retries > 0);
    let unbudgeted = crashed(RetryPolicy::Backoff, None);
    assert!(unbudgeted.totals().retries > 5 * t.retries);
}

#[test]
fn no_retries_in_the_seeds_presets() {
    for p in cachesim_core::presets::PRESETS {
        if p.name == "cache-crash-retries" {
            continue;
        }
        let mut s = preset(p.name);
        s.client.rps = 2_000.0;
        for f in &mut s.faults {
            f.at_s /= 10.0;
        }
        let sim = run(s, 20.0);
        assert_eq!(sim.totals().retries, 0, "{}", p.name);
    }
}
