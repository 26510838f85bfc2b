//! The DB past its knee: PostgreSQL's throughput falls as more backends are
//! active. The model's DB, set up as the calibration machine's PostgreSQL 15
//! (2 cores, a primary-key lookup of 0.032 ms, all of it CPU, every
//! connection a backend of its own), is held at n busy
//! connections and its throughput compared with what that server measured
//! (`docs/calibration.md`, item 4: 45.9K, 39.7K and 38.9K lookups/s at 50,
//! 100 and 200 active connections, 62.6K at its peak) and with the DB's
//! behaviour without contention (flat past the knee).

mod common;
use common::*;

fn held_at(connections: u32, contention: f64) -> f64 {
    // far more direct queries than the DB serves: every connection stays busy
    let mut s = db_stage(90_000.0, connections);
    s.db.workers = connections;
    s.db.cores = 2;
    s.db.direct_service_ms = 2.0 / 62_574.0 * 1_000.0;
    s.db.direct_cpu_ms = s.db.direct_service_ms;
    s.db.contention = contention;
    let sim = run(s, 4.0);
    let xs = seconds(&sim, 2, 4);
    mean(&xs, |x| x.db_queries as f64)
}

#[test]
fn throughput_falls_past_the_knee_as_postgresql_measured() {
    for (n, measured) in [(50, 45_900.0), (100, 39_700.0), (200, 38_900.0)] {
        let x = held_at(n, 0.0032);
        let err = x / measured - 1.0;
        eprintln!(
            "{n} connections: model {x:.0}/s, PostgreSQL {measured:.0}/s ({:+.0}%)",
            err * 100.0
        );
        assert!(err.abs() < 0.25, "{n}: {x:.0} vs {measured}");
    }
    // without contention the DB stays at its peak however many are active
    let flat = held_at(200, 0.0);
    assert!((flat / 62_574.0 - 1.0).abs() < 0.03, "flat {flat}");
}

/// One core, every query all CPU, `n` connections kept busy: throughput
/// with the contention and crowding of `set`.
fn one_core_held_at(n: u32, set: impl Fn(&mut cachesim_core::Scenario)) -> f64 {
    let mut s = db_stage(90_000.0, n);
    s.db.workers = n;
    s.db.cores = 1;
    s.db.direct_service_ms = 1.0 / 44_000.0 * 1_000.0;
    s.db.direct_cpu_ms = s.db.direct_service_ms;
    s.db.contention = 0.0;
    set(&mut s);
    let sim = run(s, 4.0);
    mean(&seconds(&sim, 2, 4), |x| x.db_queries as f64)
}

#[test]
fn crowding_slows_the_cpu_part_as_its_formula_says() {
    // with n connections all busy, n queries are at the DB: the CPU part
    // runs 1 + a (n - 1) + c (1 - e^-((n - 1) / m)) times slower, so one
    // core serves 44K / that per second (the formula, evaluated here)
    let (a, c, m) = (0.006, 0.5, 25.0);
    for n in [8u32, 32, 100, 200] {
        let d = (n - 1) as f64;
        let formula = 44_000.0 / (1.0 + a * d + c * (1.0 - (-d / m).exp()));
        let x = one_core_held_at(n, |s| {
            s.db.contention = a;
            s.db.crowding = c;
            s.db.crowding_connections = m;
        });
        assert!(
            (x / formula - 1.0).abs() < 0.03,
            "{n}: {x:.0} vs {formula:.0}"
        );
    }
    // off by default: the DB stays at its peak
    let flat = one_core_held_at(100, |_| {});
    assert!((flat / 44_000.0 - 1.0).abs() < 0.03, "flat {flat}");
}

#[test]
fn crowding_follows_postgresql_on_one_core_where_contention_alone_cannot() {
    // PostgreSQL 15 pinned to one core of the calibration machine: PK
    // lookups per second, the mean of the two runs of `realcheck
    // pg-curve-pinned` taken on 2026-12-01 at 19:40 UTC (peak 43.3K at 4
    // connections)
    let measured = [
        (8, 40_101.0),
        (16, 33_702.0),
        (32, 24_094.0),
        (50, 22_985.0),
        (64, 22_003.0),
        (100, 20_338.0),
        (128, 19_066.0),
        (200, 11_806.0),
        (300, 10_359.0),
    ];
    let worst = |set: &dyn Fn(&mut cachesim_core::Scenario)| {
        measured
            .iter()
            .map(|&(n, q)| {
                let x = one_core_held_at(n, |s| {
                    s.db.direct_service_ms = 1.0 / 43_296.0 * 1_000.0;
                    s.db.direct_cpu_ms = s.db.direct_service_ms;
                    set(s);
                });
                (x / q - 1.0).abs()
            })
            .fold(0.0, f64::max)
    };
    // each form with the parameters that fit that curve best in log terms
    // (realcheck's contention_fit, on the mean curve above)
    let alone = worst(&|s| s.db.contention = 0.0126);
    let crowded = worst(&|s| {
        s.db.contention = 0.0094;
        s.db.crowding = 0.38;
        s.db.crowding_connections = 22.0;
    });
    eprintln!(
        "worst error 8-300 connections: contention alone {alone:.3}, with crowding {crowded:.3}"
    );
    assert!(crowded < 0.15, "{crowded}");
    assert!(alone > 0.25, "{alone}");
}
