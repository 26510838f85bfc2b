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
