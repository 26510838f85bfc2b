//! # cachesim-realcheck
//!
//! Checks the cachesim model against a real `redis-server` and a real
//! PostgreSQL on this machine: it starts both (throw-away data, loopback
//! ports), drives the seed's cache-aside workload at them open-loop, runs the
//! simulator with the same parameters, and prints both series and their
//! relative errors. See `docs/calibration.md`.

pub mod chart;
pub mod load;
pub mod measure;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod servers;

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
            return rest.split(',').next().and_then(|v| v.parse().ok()).unwrap_or(0);
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
