//! Soak: runs `steady` for a long simulated time and prints the model's own
//! memory and the process's RSS every simulated minute, to show both flat.
//!
//! `cargo run --release -p cachesim-core --example soak -- [RPS] [MINUTES]`
//! (default 10000 RPS for 60 minutes; capacities scale with the RPS so every
//! request takes its full path).

use cachesim_core::{presets, Simulation};
use std::time::Instant;

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rps: f64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000.0);
    let minutes: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(60);
    let scale = (rps / 10_000.0).max(1.0);
    let mut s = presets::preset("steady").expect("preset");
    s.client.rps = rps;
    s.lb.capacity_rps *= scale;
    s.cache.ops_per_sec *= scale;
    s.db.workers = (s.db.workers as f64 * scale) as u32;
    s.db.max_connections = (s.db.max_connections as f64 * scale) as u32;
    s.app.pool_size = (s.app.pool_size as f64 * scale) as u32;
    let mut sim = Simulation::new(s).expect("valid");
    let t0 = Instant::now();
    println!("minute  model_heap_MB  rss_MB  requests  failed  hit_rate  wall_s");
    for m in 1..=minutes {
        sim.advance_to(m as f64 * 60.0);
        let t = sim.totals();
        println!(
            "{m:>6}  {:>13.1}  {:>6.1}  {:>8}  {:>6}  {:>8.4}  {:>6.1}",
            sim.model_heap_bytes() as f64 / 1e6,
            rss_mb().unwrap_or(f64::NAN),
            t.arrived,
            t.failed,
            t.hits as f64 / t.reads.max(1) as f64,
            t0.elapsed().as_secs_f64()
        );
    }
}
