//! The pods' capacity: CPU cores that requests queue for, the LB's health
//! checks, and autoscaling. Each expectation is computed here: a separately
//! written queue (Lindley's recursion), the cores' capacity, and the seed's
//! rules (3 consecutive failed checks; CPU > 70% for 3 minutes doubles the
//! pods).

mod common;
use cachesim_core::{Command, Scenario, ScheduledCommand};
use common::*;

/// Reads of a small, fully cached keyspace: every request hits, nothing
/// reaches the DB, and the LB is never the limit.
fn hits_only(rps: f64, pods: u32, cores: u32) -> Scenario {
    let mut s = Scenario::default();
    reads_only(&mut s);
    s.client.keys = Some(1_000);
    s.client.rps = rps;
    s.lb.capacity_rps = 10_000_000.0;
    s.cache.ops_per_sec = 10_000_000.0;
    s.app.pods = pods;
    s.app.cores_per_pod = cores;
    s.app.cpu_per_request_ms = 0.1;
    s
}

#[test]
fn a_busy_core_delays_hits_as_a_separately_written_md1_queue_does() {
    let at_pod = |rps: f64| {
        let sim = run(hits_only(rps, 1, 1), 40.0);
        let h = summary(&sim).latency_ms.hit;
        assert_eq!(summary(&sim).errors, 0);
        (h.p50, h.p99)
    };
    // the rest of a hit's time at its pod (Redis round trip), from a light load
    let (idle_p50, _) = at_pod(50.0);
    let rest = idle_p50 - 0.1;
    for rps in [5_000.0, 8_000.0] {
        let (p50, p99) = at_pod(rps);
        let reference = md1_sojourns(rps / 1_000.0, 0.1, 400_000);
        let q = |p: f64| reference[(p * reference.len() as f64) as usize];
        let (want50, want99) = (q(0.50), q(0.99));
        eprintln!(
            "{rps} RPS: CPU sojourn p50 {:.3} (M/D/1 {want50:.3}), p99 {:.3} (M/D/1 {want99:.3}) ms",
            p50 - rest,
            p99 - rest
        );
        assert!(((p50 - rest) - want50).abs() < 0.02 + 0.1 * want50);
        assert!(((p99 - rest) - want99).abs() < 0.1 * want99);
    }
}

#[test]
fn saturated_pods_serve_what_their_cores_can() {
    // 2 pods x 2 cores at 0.1 ms a request: 40K RPS, offered 60K; a pod
    // takes at most 1,000 requests at once, so queues stay short and
    // the excess is refused (503)
    let mut s = hits_only(60_000.0, 2, 2);
    s.app.max_inflight_per_pod = 1_000;
    // a pod at its limit refuses the LB's checks too, and 3 in a row would
    // take it out (a test of its own below); here only the cores count
    s.app.health_check.unhealthy_threshold = 10;
    let sim = run(s, 20.0);
    let steady = seconds(&sim, 5, 20);
    let goodput = mean(&steady, |x| x.completed as f64);
    let capacity = 2.0 * 2.0 / 0.1e-3;
    eprintln!("goodput {goodput:.0}/s, capacity {capacity:.0}/s");
    assert!((goodput - capacity).abs() < 0.03 * capacity);
    assert!(mean(&steady, |x| x.pod_cpu) > 0.99);
    assert!(mean(&steady, |x| x.err_503 as f64) > 0.9 * (60_000.0 - capacity));
}

#[test]
fn three_failed_checks_take_a_pod_out_and_two_passes_bring_it_back() {
    // 5K RPS: one pod alone can carry it (at 10K, one of the seed's 2 pods
    // cannot: it saturates)
    let mut s = Scenario::default();
    s.client.rps = 5_000.0;
    s.duration_s = 70.0;
    let (fail_at, back_at) = (10.3, 40.2);
    s.faults = vec![
        ScheduledCommand {
            at_s: fail_at,
            command: Command::PodsUnhealthy { count: 1 },
        },
        ScheduledCommand {
            at_s: back_at,
            command: Command::PodsUnhealthy { count: 0 },
        },
    ];
    let hc = s.app.health_check.clone();
    let interval = hc.interval_s as f64;
    let next_check = |t: f64| (t / interval).ceil() * interval;
    // out after `unhealthy_threshold` failures, back after `healthy_threshold` passes
    let out_at = next_check(fail_at) + (hc.unhealthy_threshold - 1) as f64 * interval;
    let in_at = next_check(back_at) + (hc.healthy_threshold - 1) as f64 * interval;
    let rps = s.client.rps;
    let sim = run(s, 70.0);
    let h = seconds(&sim, 0, 70);
    for x in &h {
        let t = x.t_s as f64 + 1.0; // the count is taken at the second's end
        let want = if t >= out_at && t < in_at { 1 } else { 2 };
        assert_eq!(x.pods_in_rotation, want, "at {t} s");
    }
    // until the LB notices, half of the requests reach the dead pod
    let errors: u64 = h.iter().map(|x| x.err_502).sum();
    let expected = rps / 2.0 * (out_at - fail_at);
    eprintln!("502s {errors}, expected {expected:.0}");
    assert!((errors as f64 - expected).abs() < 0.03 * expected);
    assert_eq!(summary(&sim).errors, errors);
}

#[test]
fn three_minutes_above_70_percent_double_the_pods_and_halve_their_cpu() {
    // 34K RPS on 4 cores at 0.1 ms a request: 85% CPU
    let mut s = hits_only(34_000.0, 2, 2);
    s.app.autoscale.on = true;
    // off the checks' 5 s grid, so the first check after the start is unambiguous
    s.app.autoscale.start_s = 47.0;
    let cfg = s.app.autoscale.clone();
    let hc = s.app.health_check.clone();
    let sim = run(s, 300.0);
    let h = seconds(&sim, 0, 300);
    let decided = 60.0 * cfg.minutes as f64;
    let started = decided + cfg.start_s;
    let interval = hc.interval_s as f64;
    let joined =
        (started / interval).ceil() * interval + (hc.healthy_threshold - 1) as f64 * interval;
    let before = mean(&h[30..170], |x| x.pod_cpu);
    let after = mean(&h[joined as usize + 10..], |x| x.pod_cpu);
    eprintln!("CPU {before:.3} before, {after:.3} after; pods in rotation from {joined} s");
    assert!((before - 0.85).abs() < 0.02);
    assert!((after / before - 0.5).abs() < 0.03);
    for x in &h {
        let t = x.t_s as f64 + 1.0;
        let want = if t < joined { 2 } else { 4 };
        assert_eq!(x.pods_in_rotation, want, "at {t} s");
    }
    assert_eq!(summary(&sim).pods.scale_outs, 1);
    assert_eq!(summary(&sim).errors, 0);
}

/// The seed's V2 at 500K RPS: each request's CPU is the pods' load, so the
/// 24 pods an earlier preset had saturate and serve what their cores can,
/// which the 44 pods' utilisation predicts (the same work on fewer cores),
/// and the 44 it has now run under the 70% autoscaling trigger.
#[test]
fn v2_at_500k_saturates_24_pods_and_runs_on_44() {
    let at = |pods: u32| {
        let mut s = preset("v2-500k");
        s.app.pods = pods;
        let sim = run(s, 6.0);
        let xs = seconds(&sim, 3, 6);
        (
            mean(&xs, |x| x.pod_cpu),
            mean(&xs, |x| x.completed as f64) / mean(&xs, |x| x.arrived as f64),
        )
    };
    let (cpu24, served24) = at(24);
    let (cpu44, served44) = at(44);
    eprintln!("24 pods: CPU {cpu24:.3}, served {served24:.3}; 44 pods: CPU {cpu44:.3}, served {served44:.3}");
    let demand_cores = cpu44 * 44.0 * 2.0;
    let predicted = (24.0 * 2.0 / demand_cores).min(1.0);
    eprintln!("24 pods serve {served24:.3}, predicted {predicted:.3}");
    assert!(cpu24 > 0.99 && (served24 - predicted).abs() < 0.03);
    assert!(cpu44 < 0.7 && served44 > 0.999);
}

/// A pod at its concurrency limit refuses the LB's health check as it
/// refuses requests, so overload takes pods out of rotation like a crash
/// does: no pod leaves before the third check (15 s), and from then on the
/// rotation flaps: a pod out of it drains, passes two checks, comes back and
/// fills up again. (A check finds a pod at its limit only while it is
/// exactly full, so the last pod in rotation seldom fails 3 in a row.)
#[test]
fn pods_at_their_limit_fail_their_checks_and_leave_the_rotation() {
    let mut s = hits_only(60_000.0, 2, 2);
    s.app.max_inflight_per_pod = 1_000;
    let hc = s.app.health_check.clone();
    let sim = run(s, 60.0);
    let h = seconds(&sim, 0, 60);
    let out_at = (hc.unhealthy_threshold * hc.interval_s) as usize;
    assert!(h[..out_at - 1].iter().all(|x| x.pods_in_rotation == 2));
    assert!(
        h[out_at - 1].pods_in_rotation < 2,
        "a pod out at the third check"
    );
    let rotation: Vec<u32> = h.iter().map(|x| x.pods_in_rotation).collect();
    let changes = rotation.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changes >= 3, "out, back, out again: {rotation:?}");
}

/// A scale-out under way never shrinks a deployment scaled up by hand in
/// the meantime.
#[test]
fn a_pending_scale_out_keeps_pods_added_by_hand() {
    let mut s = hits_only(34_000.0, 2, 2);
    s.app.autoscale.on = true;
    s.app.autoscale.minutes = 1;
    s.app.autoscale.start_s = 100.0;
    s.faults = vec![ScheduledCommand {
        at_s: 100.0,
        command: Command::SetPods { count: 8 },
    }];
    let sim = run(s, 170.0);
    // the autoscaler decided on 4 pods at 60 s, due at 160 s
    assert_eq!(summary(&sim).pods.scale_outs, 1);
    assert_eq!(sim.status().pods.iter().filter(|p| p.active).count(), 8);
}
