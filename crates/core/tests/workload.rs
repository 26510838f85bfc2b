//! One scenario is one workload: the keyspace and its skew are properties of
//! the traffic (explicit in the presets), so a TTL or RPS given in the file
//! and the same change applied live lead to the same steady state, and the
//! hit rate moves with them as it would on a real system.

mod common;
use cachesim_core::{presets, Command, Simulation};
use common::*;

fn steady_hit_rate(sim: &Simulation, from: u32, to: u32) -> f64 {
    let s = seconds(sim, from, to);
    sum(&s, |x| x.hits as f64) / sum(&s, |x| x.reads as f64)
}

#[test]
fn a_ttl_in_the_file_and_the_same_ttl_applied_live_give_the_same_hit_rate() {
    let mut file = preset("steady");
    file.cache.ttl_s = 30.0;
    let by_file = run(file, 400.0);
    let mut live = Simulation::new(preset("steady")).unwrap();
    live.apply(Command::SetTtl { seconds: 30.0 }).unwrap();
    live.advance_to(400.0);
    // after the warm start's 300 s entries have expired, both are the same system
    let a = steady_hit_rate(&by_file, 330, 400);
    let b = steady_hit_rate(&live, 330, 400);
    assert!((a - b).abs() < 0.005, "file {a}, live {b}");
    // a 30 s TTL costs hits: the keyspace did not grow to hide it, and the
    // DB, offered ~3K SELECTs/s, is overloaded (the errors a short TTL costs)
    assert_eq!(by_file.keyspace().keys, presets::SEED_KEYS);
    assert!(a < 0.70, "{a}");
    assert!(by_file.totals().failed > 1_000, "{:?}", by_file.totals());
}

#[test]
fn with_a_db_that_copes_the_short_ttl_hit_rate_is_the_formulas() {
    let mut s = preset("steady");
    s.cache.ttl_s = 30.0;
    s.db.workers = 96;
    s.db.max_connections = 2_000;
    s.app.pool_size = 1_000;
    let sim = run(s, 120.0);
    let h = steady_hit_rate(&sim, 60, 120);
    let predicted = sim.keyspace().predicted_hit_rate;
    assert!(
        (h - predicted).abs() < 0.015,
        "measured {h}, predicted {predicted}"
    );
    assert_eq!(sim.totals().failed, 0);
}

#[test]
fn more_rps_on_the_same_keyspace_raises_the_hit_rate_file_or_live() {
    // a DB with room for 13K RPS (the seed's is near its knee there): the
    // hit rate, not the DB, is what this measures
    let roomy = || {
        let mut s = preset("steady");
        s.db.workers = 48;
        s
    };
    let mut file = roomy();
    file.client.rps = 13_000.0;
    let by_file = run(file, 400.0);
    let mut live = Simulation::new(roomy()).unwrap();
    live.apply(Command::SetRps { rps: 13_000.0 }).unwrap();
    live.advance_to(400.0);
    let (k1, k2) = (by_file.keyspace(), live.keyspace());
    assert_eq!(
        (k1.keys, k1.zipf_s),
        (k2.keys, k2.zipf_s),
        "the keyspace belongs to the traffic"
    );
    // once the warm start's entries have turned over (one TTL), the same system
    let a = steady_hit_rate(&by_file, 330, 400);
    let b = steady_hit_rate(&live, 330, 400);
    assert!((a - b).abs() < 0.005, "file {a}, live {b}");
    // more reads per key at the same TTL: a higher hit rate than 85% at 10K
    let predicted = k1.predicted_hit_rate;
    assert!(
        predicted > 0.855 && (a - predicted).abs() < 0.01,
        "measured {a}, predicted {predicted}"
    );
}

#[test]
fn a_scenario_without_a_keyspace_derives_it_from_its_target() {
    let mut s = preset("steady");
    s.client.keys = None;
    s.client.zipf_s = None;
    s.client.rps = 5_000.0;
    let sim = run(s, 30.0);
    assert!(
        sim.keyspace().keys < presets::SEED_KEYS,
        "{:?}",
        sim.keyspace()
    );
    let h = steady_hit_rate(&sim, 10, 30);
    assert!((h - 0.85).abs() < 0.015, "{h}");
}
