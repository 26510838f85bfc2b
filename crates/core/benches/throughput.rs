//! Simulated requests per wall-clock second, events per request and the
//! model's memory, on one core, for the cases in `cases.rs`. A benchmark,
//! not a test: it prints numbers and asserts nothing about speed.
//!
//! `cargo bench -p cachesim-core --bench throughput` (or `scripts/bench.sh`,
//! which also runs the wasm half in headless Chromium).

#[path = "cases.rs"]
mod cases;

use cachesim_core::{Simulation, Summary};
use std::time::Instant;

fn main() {
    // `cargo bench` passes --bench; ignore arguments
    for case in cases::CASES {
        let t0 = Instant::now();
        let mut sim = Simulation::new(case.scenario()).expect("valid");
        let setup = t0.elapsed();
        let t1 = Instant::now();
        sim.advance_to(case.seconds);
        let run = t1.elapsed();
        let sum = Summary::of(&sim);
        println!(
            "native  {}  {:>9} requests  setup {:>5.0} ms  run {:>6.0} ms  {:>5.2} M simulated req/s  ({:>5.1}x real time)  {:.2} events/request  model heap {:.0} MB",
            case.label(),
            sum.requests,
            setup.as_secs_f64() * 1e3,
            run.as_secs_f64() * 1e3,
            sum.requests as f64 / run.as_secs_f64() / 1e6,
            case.seconds / run.as_secs_f64(),
            sim.events_processed() as f64 / sum.requests as f64,
            sim.model_heap_bytes() as f64 / 1e6,
        );
    }
}
