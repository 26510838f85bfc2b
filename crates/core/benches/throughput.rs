//! Simulated requests per wall-clock second for `steady` at 10K and 100K RPS
//! (and the crash preset), on one core. A benchmark, not a test: it prints
//! numbers and asserts nothing about speed.
//!
//! `cargo bench -p cachesim-core --bench throughput`

use cachesim_core::{presets, Simulation, Summary};
use std::time::Instant;

fn bench(name: &str, rps: f64, seconds: f64, scale_capacity: f64) {
    let mut s = presets::preset(name).expect("preset");
    s.client.rps = rps;
    // optionally scale every capacity so each request takes its full path
    s.lb.capacity_rps *= scale_capacity;
    if let Some(p) = s.topology.proxy.as_mut() {
        p.capacity_ops *= scale_capacity;
    }
    s.cache.ops_per_sec *= scale_capacity;
    s.db.workers = (s.db.workers as f64 * scale_capacity) as u32;
    s.db.max_connections = (s.db.max_connections as f64 * scale_capacity) as u32;
    s.app.pool_size = (s.app.pool_size as f64 * scale_capacity) as u32;
    let t0 = Instant::now();
    let mut sim = Simulation::new(s).expect("valid");
    let setup = t0.elapsed();
    let t1 = Instant::now();
    sim.advance_to(seconds);
    let run = t1.elapsed();
    let sum = Summary::of(&sim);
    println!(
        "{name:<12} {rps:>8.0} RPS  capacity x{scale_capacity:<3}  {seconds:>4.0} sim s  {:>9} requests  setup {:>6.0} ms  run {:>7.0} ms  {:>6.2} M simulated req/s  ({:.1}x real time)  {:.2} events/request  model heap {:.0} MB",
        sum.requests,
        setup.as_secs_f64() * 1e3,
        run.as_secs_f64() * 1e3,
        sum.requests as f64 / run.as_secs_f64() / 1e6,
        seconds / run.as_secs_f64(),
        sim.events_processed() as f64 / sum.requests as f64,
        sim.model_heap_bytes() as f64 / 1e6,
    );
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments
    bench("steady", 10_000.0, 120.0, 1.0);
    // the seed's system at 100K RPS: the 20K RPS LB turns most requests away
    bench("steady", 100_000.0, 30.0, 1.0);
    // 100K RPS with every capacity x10, so each request takes its full path
    bench("steady", 100_000.0, 30.0, 10.0);
    bench("cache-crash", 10_000.0, 120.0, 1.0);
    // V1: the proxy and three shards on the ring; with capacities x10 the
    // shards carry 100K RPS with every request on its full path
    bench("v1-steady", 10_000.0, 120.0, 1.0);
    bench("v1-steady", 100_000.0, 30.0, 10.0);
}
