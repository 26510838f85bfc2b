use cachesim_core::{presets, Simulation, Summary};
fn main() {
    let name = std::env::args().nth(1).unwrap_or("steady".into());
    let secs: f64 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(60.0);
    let mut sc = presets::preset(&name).unwrap();
    if let Some(r) = std::env::args().nth(3) { sc.client.rps = r.parse().unwrap(); }
    let t0 = std::time::Instant::now();
    let mut sim = Simulation::new(sc).unwrap();
    let t1 = t0.elapsed();
    sim.advance_to(secs);
    let el = t0.elapsed();
    let s = Summary::of(&sim);
    println!("{}", serde_json::to_string_pretty(&s).unwrap());
    println!("init {:?} total {:?} => {:.2} M req/s", t1, el, s.requests as f64 / (el - t1).as_secs_f64() / 1e6);
    for h in sim.history().iter().step_by(10) {
        println!("t={} arr={} hit={:.3} dbq={} off={} util={:.2} conn={} p50={} p99={} err={} cpu={:.2} mem={:.3} keys={}", h.t_s, h.arrived, h.hit_rate, h.db_queries, h.db_offered, h.db_utilization, h.db_connections, h.p50_ms, h.p99_ms, h.failed, h.cache_cpu, h.cache_memory_fraction, h.cache_keys);
    }
}
