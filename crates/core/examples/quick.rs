//! Runs a preset and prints its summary and a per-second trace (a development aid).
//! `cargo run --release -p cachesim-core --example quick -- cache-crash 200 [rps]`
use cachesim_core::{presets, Simulation, Summary};
fn main() {
    let name = std::env::args().nth(1).unwrap_or("steady".into());
    let secs: f64 = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(60.0);
    let every: usize = std::env::args()
        .nth(4)
        .map(|s| s.parse().unwrap())
        .unwrap_or(5);
    let mut sc = presets::preset(&name).unwrap();
    if let Some(r) = std::env::args().nth(3) {
        sc.client.rps = r.parse().unwrap();
    }
    let t0 = std::time::Instant::now();
    let mut sim = Simulation::new(sc).unwrap();
    let t1 = t0.elapsed();
    sim.advance_to(secs);
    let el = t0.elapsed();
    let s = Summary::of(&sim);
    println!("{}", serde_json::to_string(&s).unwrap());
    println!(
        "init {:?} total {:?} => {:.2} M req/s",
        t1,
        el,
        s.requests as f64 / (el - t1).as_secs_f64() / 1e6
    );
    for h in sim.history().iter().step_by(every) {
        println!(
            "t={:3} arr={} hit={:.3} dbq={} off={} util={:.2} conn={} wait={} p50={:.1} p99={:.1} fail={} (503={} to={} conn={} pool={} oom={}) cpu={:.2} mem={:.3} keys={} ev={} stale={} setoom={}",
            h.t_s, h.arrived, h.hit_rate, h.db_queries, h.db_offered, h.db_utilization, h.db_connections, h.pool_waiters,
            h.p50_ms, h.p99_ms, h.failed, h.err_503, h.err_timeout, h.err_db_connections, h.err_pool_timeout, h.err_cache_oom,
            h.cache_cpu, h.cache_memory_fraction, h.cache_keys, h.evictions, h.stale_reads, h.set_oom
        );
    }
}
