//! The DB's two limits: a query's CPU part needs one of the host's
//! `db.cores`, and the whole query holds one of `db.workers` (its wait —
//! I/O, a commit's flush, `pg_sleep` — runs without a core). Saturated, the
//! DB serves min(cores / cpu, workers / (cpu + wait)) queries per second;
//! at low load a query takes cpu + wait; contention slows the CPU part only.
//! Every expectation is computed here from those formulas (and from M/M/1
//! for the per-second DB latency), not read from the model.

mod common;
use cachesim_core::scenario::ServiceDist;
use cachesim_core::{Scenario, Simulation};
use common::*;

/// A DB shape: workers, cores, a direct query's service and CPU part (ms).
#[derive(Clone, Copy, Debug)]
struct Shape {
    workers: u32,
    cores: u32,
    service_ms: f64,
    cpu_ms: f64,
}

impl Shape {
    /// min(cores / cpu, workers / (cpu + wait)), queries/s.
    fn capacity(&self) -> f64 {
        (self.cores as f64 / self.cpu_ms).min(self.workers as f64 / self.service_ms) * 1_000.0
    }
}

/// Queries/s served with every worker busy (offered at twice the capacity).
fn saturated(shape: Shape, contention: f64) -> f64 {
    let mut s = db_stage(2.0 * shape.capacity(), shape.workers);
    s.db.workers = shape.workers;
    s.db.cores = shape.cores;
    s.db.direct_service_ms = shape.service_ms;
    s.db.direct_cpu_ms = shape.cpu_ms;
    s.db.contention = contention;
    let sim = run(s, 4.0);
    mean(&seconds(&sim, 2, 4), |x| x.db_queries as f64)
}

#[test]
fn saturated_throughput_is_the_tighter_of_the_cores_and_the_workers() {
    for shape in [
        // CPU-bound: 2 cores at 0.1 ms CPU serve 20K/s; 64 workers would allow 64K
        Shape {
            workers: 64,
            cores: 2,
            service_ms: 1.0,
            cpu_ms: 0.1,
        },
        // wait-bound, the seed's read: 24 workers x 12 ms = 2K/s; 4 cores at 0.5 ms would allow 8K
        Shape {
            workers: 24,
            cores: 4,
            service_ms: 12.0,
            cpu_ms: 0.5,
        },
        // all CPU, fewer workers than cores: the workers bind (4 / 0.5 ms = 8K)
        Shape {
            workers: 4,
            cores: 8,
            service_ms: 0.5,
            cpu_ms: 0.5,
        },
        // close to both: 2 / 0.25 ms = 8K against 20 / 2 ms = 10K
        Shape {
            workers: 20,
            cores: 2,
            service_ms: 2.0,
            cpu_ms: 0.25,
        },
    ] {
        let x = saturated(shape, 0.0);
        let want = shape.capacity();
        eprintln!("{shape:?}: {x:.0}/s, formula {want:.0}/s");
        assert!(
            (x / want - 1.0).abs() < 0.03,
            "{shape:?}: {x:.0} vs {want:.0}"
        );
    }
}

#[test]
fn more_workers_do_not_raise_a_cpu_bound_db() {
    let shape = |workers| Shape {
        workers,
        cores: 2,
        service_ms: 0.2,
        cpu_ms: 0.1,
    };
    let (a, b) = (saturated(shape(16), 0.0), saturated(shape(128), 0.0));
    let cap = 2.0 / 0.1 * 1_000.0;
    assert!(
        (a / cap - 1.0).abs() < 0.03,
        "16 workers: {a:.0} vs {cap:.0}"
    );
    assert!(
        (b / cap - 1.0).abs() < 0.03,
        "128 workers: {b:.0} vs {cap:.0}"
    );
}

/// p50 of successful requests and of the time at the DB, 20 direct
/// queries/s (nothing queues), averaged over seconds 1..10.
fn low_load(service_ms: f64, cpu_ms: f64) -> (f64, f64) {
    let mut s = db_stage(20.0, 8);
    s.db.workers = 8;
    s.db.cores = 1;
    s.db.direct_service_ms = service_ms;
    s.db.direct_cpu_ms = cpu_ms;
    s.app.db_rtt_ms = 1.0;
    let sim = run(s, 10.0);
    let xs = seconds(&sim, 1, 10);
    (mean(&xs, |x| x.p50_ms), mean(&xs, |x| x.db_p50_ms))
}

#[test]
fn at_low_load_a_query_takes_its_cpu_plus_its_wait() {
    for (service, cpu) in [(3.0, 0.5), (3.0, 2.9), (0.4, 0.0), (0.4, 0.4)] {
        let (request, at_db) = low_load(service, cpu);
        eprintln!(
            "service {service} (cpu {cpu}): request p50 {request:.3} ms, at the DB {at_db:.3} ms"
        );
        // HdrHistogram keeps 2 significant digits: 1% either way
        assert!(
            (at_db / service - 1.0).abs() < 0.02,
            "at the DB {at_db} vs {service}"
        );
        assert!(
            (request / (service + 1.0) - 1.0).abs() < 0.02,
            "request {request} vs {service} + the 1 ms round trip"
        );
    }
}

#[test]
fn the_dbs_per_second_latency_follows_mm1() {
    // one worker, one core, exponential 1 ms service at 500 queries/s: the
    // time at the DB is exponential with rate mu - lambda = 500/s, whatever
    // part of it is CPU (one worker never makes the core queue)
    for cpu_ms in [1.0, 0.3] {
        let mut s = db_stage(500.0, 64);
        s.db.workers = 1;
        s.db.cores = 1;
        s.db.direct_service_ms = 1.0;
        s.db.direct_cpu_ms = cpu_ms;
        s.db.service = ServiceDist::Exponential;
        s.seed = 3;
        let sim = run(s, 41.0);
        let xs = seconds(&sim, 1, 41);
        let (p50, p99) = (mean(&xs, |x| x.db_p50_ms), mean(&xs, |x| x.db_p99_ms));
        let rate = 1.0 / 500.0 * 1_000.0; // ms
        let (w50, w99) = (rate * 2f64.ln(), rate * 100f64.ln());
        eprintln!("cpu {cpu_ms}: p50 {p50:.3} vs {w50:.3} ms, p99 {p99:.3} vs {w99:.3} ms");
        assert!((p50 / w50 - 1.0).abs() < 0.10, "p50 {p50} vs {w50}");
        // a second's p99 is the 5th-largest of ~500: its mean is a little below the quantile
        assert!((p99 / w99 - 1.0).abs() < 0.15, "p99 {p99} vs {w99}");
    }
}

#[test]
fn contention_slows_the_cpu_part_only() {
    let alpha = 0.0032;
    let n = 50u32;
    // CPU-bound (the calibration machine's PK lookup): 2 / (0.032 (1 + alpha (n - 2)))
    let cpu_bound = Shape {
        workers: n,
        cores: 2,
        service_ms: 0.032,
        cpu_ms: 0.032,
    };
    let x = saturated(cpu_bound, alpha);
    let want = 2.0 / (0.032 * (1.0 + alpha * (n - 2) as f64)) * 1_000.0;
    eprintln!("CPU-bound at {n}: {x:.0}/s, formula {want:.0}/s");
    assert!((x / want - 1.0).abs() < 0.03, "{x:.0} vs {want:.0}");
    assert!(x < 0.9 * cpu_bound.capacity(), "contention must cost");
    // mostly waiting (the shaped DB's 12 ms sleep): n / (wait + contended cpu)
    let waiting = Shape {
        workers: n,
        cores: 2,
        service_ms: 12.0,
        cpu_ms: 0.032,
    };
    let x = saturated(waiting, alpha);
    let want = n as f64 / (12.0 - 0.032 + 0.032 * (1.0 + alpha * (n - 2) as f64)) * 1_000.0;
    eprintln!("waiting at {n}: {x:.0}/s, formula {want:.0}/s");
    assert!((x / want - 1.0).abs() < 0.03, "{x:.0} vs {want:.0}");
}

#[test]
fn the_seeds_defaults_keep_v0() {
    let s = Scenario::default();
    assert_eq!((s.db.cores, s.db.workers), (4, 24));
    let sim = run(s.clone(), 20.0);
    let xs = seconds(&sim, 5, 20);
    let hit = mean(&xs, |x| x.hit_rate);
    let failed = sum(&xs, |x| x.failed as f64);
    let cpu = mean(&xs, |x| x.db_cpu);
    eprintln!("steady at 10K: hit rate {hit:.3}, failed {failed}, DB cores busy {cpu:.2}");
    assert!((hit - 0.85).abs() < 0.02, "hit rate {hit}");
    assert_eq!(failed, 0.0);
    // the CPU demand the formulas give: misses, writes+deletes, direct queries
    let c = &s.client;
    let reads_missed = c.rps * c.read_fraction * (1.0 - hit);
    let demand = (reads_missed * s.db.read_cpu_ms
        + c.rps * (c.write_fraction + c.delete_fraction) * s.db.write_cpu_ms
        + c.rps * c.direct_fraction * s.db.direct_cpu_ms)
        / 1_000.0
        / s.db.cores as f64;
    assert!(
        (cpu / demand - 1.0).abs() < 0.05,
        "cores busy {cpu} vs {demand}"
    );
    // the SELECT capacity is still the workers': 24 / 12 ms, the cores allow 4 / 0.5 ms
    let status = Simulation::new(s).unwrap().status();
    assert!((status.db_select_capacity_qps - 2_000.0).abs() < 1e-6);
}

#[test]
fn every_new_field_is_range_checked_by_name() {
    type Set = Box<dyn Fn(&mut Scenario)>;
    let bad: Vec<(&str, Set)> = vec![
        ("db.cores", Box::new(|s| s.db.cores = 0)),
        ("db.read_cpu_ms", Box::new(|s| s.db.read_cpu_ms = -0.1)),
        ("db.read_cpu_ms", Box::new(|s| s.db.read_cpu_ms = 12.5)),
        ("db.write_cpu_ms", Box::new(|s| s.db.write_cpu_ms = 0.6)),
        (
            "db.direct_cpu_ms",
            Box::new(|s| s.db.direct_cpu_ms = f64::NAN),
        ),
        ("db.direct_cpu_ms", Box::new(|s| s.db.direct_cpu_ms = 3.5)),
        ("db.contention", Box::new(|s| s.db.contention = -1.0)),
        (
            "db.connection_cpu_ms",
            Box::new(|s| s.db.connection_cpu_ms = f64::INFINITY),
        ),
    ];
    for (field, set) in bad {
        let mut s = Scenario::default();
        set(&mut s);
        let e = s.validate().expect_err(field);
        assert_eq!(e.field, field, "{e}");
    }
    // through a scenario file too, and the CPU part may be the whole query
    let mut s = Scenario::default();
    s.set_paths(&[("db.read_cpu_ms", "12"), ("db.cores", "1")])
        .expect("all CPU is allowed");
    let e = s.set_path("db.read_service_ms", "6").unwrap_err();
    assert_eq!(e.field, "db.read_cpu_ms", "{e}");
}
