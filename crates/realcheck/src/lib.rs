//! # cachesim-realcheck
//!
//! Checks the cachesim model against a real `redis-server` and a real
//! PostgreSQL on this machine: it starts both (throw-away data, loopback
//! ports), drives the seed's cache-aside workload at them open-loop, runs the
//! simulator with the same parameters, and prints both series and their
//! relative errors. See `docs/calibration.md`.

pub mod chart;
pub mod contention_fit;
pub mod hop;
pub mod load;
pub mod measure;
pub mod pg_curves;
pub mod pgbench;
pub mod pinned_curve;
pub mod queueing;
pub mod redis_shape;
pub mod report;
pub mod run;
pub mod saturation;
pub mod scenarios;
pub mod servers;
pub mod wakeups;

/// A numeric field of Redis `INFO` (0 when absent).
pub fn info_field(info: &str, name: &str) -> f64 {
    for line in info.lines() {
        if let Some(rest) = line.strip_prefix(name) {
            if let Some(v) = rest.strip_prefix(':') {
                return v.trim().parse().unwrap_or(0.0);
            }
        }
    }
    0.0
}

/// Keys in db0 from `INFO` (`db0:keys=N,expires=...`).
pub fn info_keys(info: &str) -> u64 {
    for line in info.lines() {
        if let Some(rest) = line.strip_prefix("db0:keys=") {
            return rest
                .split(',')
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
    }
    0
}

/// (real - model) / real, as a signed fraction; None when real is ~0.
pub fn rel_err(real: f64, model: f64) -> Option<f64> {
    if real.abs() < 1e-12 {
        None
    } else {
        Some((model - real) / real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_parsing() {
        let info = "# Stats\r\nevicted_keys:42\r\nused_memory:1000\r\nused_memory_human:1K\r\n# Keyspace\r\ndb0:keys=17,expires=17,avg_ttl=1\r\n";
        assert_eq!(info_field(info, "evicted_keys"), 42.0);
        assert_eq!(info_field(info, "used_memory"), 1000.0);
        assert_eq!(info_field(info, "missing"), 0.0);
        assert_eq!(info_keys(info), 17);
    }

    #[test]
    fn relative_error_is_signed_and_guards_zero() {
        assert_eq!(rel_err(100.0, 115.0), Some(0.15));
        assert_eq!(rel_err(0.0, 1.0), None);
    }

    #[test]
    fn model_curve_is_min_of_open_and_capacity() {
        // 2 workers x 1 ms: 2000 q/s at most; 1 connection with 1 ms rtt: 500 q/s
        assert!((report::model_curve(1, 2, 1.0, 1.0) - 500.0).abs() < 1e-9);
        assert!((report::model_curve(100, 2, 1.0, 1.0) - 2000.0).abs() < 1e-9);
        // Little's law past saturation: 100 connections / 2000 q/s = 50 ms
        assert!((report::model_curve_latency(100, 2, 1.0, 1.0) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn the_median_is_the_middle_sample_for_odd_and_even_counts() {
        for n in 1..=10 {
            let v: Vec<f64> = (0..n).map(f64::from).collect();
            assert_eq!(measure::quantile_sorted(&v, 0.5), v[v.len() / 2], "{n}");
            assert_eq!(measure::quantile_sorted(&v, 0.0), 0.0);
            assert_eq!(measure::quantile_sorted(&v, 1.0), f64::from(n - 1));
        }
    }

    #[test]
    fn model_round_trips_come_from_the_paced_hops() {
        let mut c = measure::Costs {
            redis_rtt_ms: 0.01,
            redis_cpu_us_per_cmd: 7.0,
            pg_select1_ms: 0.02,
            ..Default::default()
        };
        // no paced probe: the tight loop's round trips, constant
        assert_eq!((c.cache_rtt_ms(), c.db_rtt_ms()), (0.01, 0.02));
        assert_eq!((c.cache_rtt_p99_ms(), c.db_rtt_p99_ms()), (0.0, 0.0));
        c.redis_hop = hop::Hop {
            p50_ms: 0.08,
            p99_ms: 0.4,
        };
        c.pg_hop = hop::Hop {
            p50_ms: 0.09,
            p99_ms: 0.5,
        };
        // the paced GET less Redis' own 7 us, the paced SELECT 1 as it is
        assert!((c.cache_rtt_ms() - 0.073).abs() < 1e-12);
        assert_eq!(c.db_rtt_ms(), 0.09);
        // and their p99s the same way, never below the medians
        assert!((c.cache_rtt_p99_ms() - 0.393).abs() < 1e-12);
        assert_eq!(c.db_rtt_p99_ms(), 0.5);
        c.pg_hop.p99_ms = 0.05;
        assert_eq!(c.db_rtt_p99_ms(), 0.09);
    }

    #[test]
    fn shaped_query_sleeps_inside_the_miss_select() {
        let q = load::DbShape::Sleep(12.0).miss_sql();
        assert!(
            q.contains("pg_sleep(0.012)") && q.contains("WHERE v.key = $1"),
            "{q}"
        );
        assert_eq!(load::DbShape::Real.miss_sql(), load::DIRECT_SQL);
    }

    #[test]
    fn the_model_scenario_validates_and_uses_the_measured_costs() {
        let sys = scenarios::System::default();
        let mut cal = scenarios::Calibration::default();
        cal.costs.redis_rtt_ms = 0.02;
        cal.costs.redis_cpu_us_per_cmd = 5.0;
        cal.costs.pg_select1_ms = 0.1;
        cal.costs.pg_pk_ms = 0.12;
        cal.costs.pg_update_ms = 1.0;
        cal.costs.pg_shaped_ms = 12.3;
        cal.entry_bytes = 1100.0;
        let spec = scenarios::Spec {
            name: "t",
            title: "t",
            seconds: 10.0,
            shape: load::DbShape::Sleep(12.0),
            crash_at: Some((3.0, 5.0)),
            memory: None,
            max_connections: sys.max_connections,
            redis: None,
        };
        let s = scenarios::sim_scenario(&sys, &cal, &spec, 10.0);
        s.validate().unwrap();
        assert_eq!(s.cache.ops_per_sec, 200_000.0);
        assert_eq!(s.db.workers, sys.max_connections);
        assert!((s.db.read_service_ms - 12.2).abs() < 1e-9);
        assert_eq!(s.faults.len(), 2);
        let sim = cachesim_core::Simulation::new(s).unwrap();
        assert!(sim.keyspace().keys > 1000);
    }
}
