//! The native benchmark's cases in wasm32, in headless Chromium (the release
//! profile the page uses for the core), plus the page's fast-forward: 60 s of
//! `steady` at 10K RPS. Prints numbers, asserts nothing about speed.
//!
//! `scripts/bench.sh` runs it (`cargo test --release --target
//! wasm32-unknown-unknown -p cachesim-core --test wasm_bench`).
#![cfg(target_arch = "wasm32")]

#[path = "../benches/cases.rs"]
mod cases;

use cachesim_core::{presets, Simulation, Summary};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
fn throughput_in_the_browser() {
    for case in cases::CASES {
        let t0 = now_ms();
        let mut sim = Simulation::new(case.scenario()).expect("valid");
        let t1 = now_ms();
        sim.advance_to(case.seconds);
        let run_ms = now_ms() - t1;
        let sum = Summary::of(&sim);
        console_log!(
            "wasm    {}  {:>9} requests  setup {:>5.0} ms  run {:>6.0} ms  {:>5.2} M simulated req/s  ({:>5.1}x real time)  {:.2} events/request  model heap {:.0} MB",
            case.label(),
            sum.requests,
            t1 - t0,
            run_ms,
            sum.requests as f64 / run_ms / 1e3,
            case.seconds * 1e3 / run_ms,
            sim.events_processed() as f64 / sum.requests as f64,
            sim.model_heap_bytes() as f64 / 1e6,
        );
    }
    // what the page's fast-forward does: 60 simulated seconds in one call
    let mut sim = Simulation::new(presets::preset("steady").unwrap()).unwrap();
    let t0 = now_ms();
    sim.advance_to(60.0);
    console_log!(
        "wasm    fast-forward: 60 s of steady at 10K RPS in {:.0} ms",
        now_ms() - t0
    );
}
