//! The round trips' spread (`app.cache_rtt_p99_ms`, `app.db_rtt_p99_ms`):
//! at a load where nothing queues, a hit's and a DB query's latency
//! quantiles are the constant parts plus the log-normal reply half, whose
//! quantiles are evaluated here from its definition (median rtt/2, the
//! round trip's p99 as given).

mod common;
use cachesim_core::scenario::ServiceDist;
use cachesim_core::Scenario;
use common::*;

/// Standard normal quantiles at 0.5, 0.95, 0.99.
const Z: [(f64, f64); 3] = [(0.5, 0.0), (0.95, 1.644_853_6), (0.99, 2.326_347_9)];

/// The round trip's `q` quantile when its reply half is log-normal with
/// median `rtt / 2` and the whole trip's p99 is `p99`.
fn round_trip_quantile(rtt: f64, p99: f64, z: f64) -> f64 {
    let sigma = ((2.0 * p99 - rtt) / rtt).ln() / Z[2].1;
    rtt / 2.0 + rtt / 2.0 * (sigma * z).exp()
}

/// GETs at `rps` of a small, fully cached keyspace, with no pod CPU: a
/// hit's time at its pod is the round trip and the command.
fn cached_reads(rps: f64) -> Scenario {
    let mut s = Scenario::default();
    reads_only(&mut s);
    without_pod_cpu(&mut s);
    s.client.keys = Some(1_000);
    s.client.rps = rps;
    s
}

#[test]
fn a_hit_spreads_as_its_round_trip() {
    let mut s = cached_reads(500.0);
    s.app.cache_rtt_ms = 0.15;
    s.app.cache_rtt_p99_ms = 0.6;
    let command_ms = 1e3 / s.cache.ops_per_sec;
    let sim = run(s, 120.0);
    let h = summary(&sim).latency_ms.hit;
    for ((q, z), got) in Z.into_iter().zip([h.p50, h.p95, h.p99]) {
        let want = command_ms + round_trip_quantile(0.15, 0.6, z);
        eprintln!("hit p{}: {got:.4} ms, formula {want:.4} ms", q * 100.0);
        assert!((got / want - 1.0).abs() < 0.04, "p{q}: {got} vs {want}");
    }
}

#[test]
fn a_db_query_spreads_as_its_round_trip() {
    let mut s = db_stage(50.0, 50);
    s.app.db_rtt_ms = 1.0;
    s.app.db_rtt_p99_ms = 3.0;
    s.db.direct_service_ms = 2.0;
    s.db.direct_cpu_ms = 1.0;
    s.db.service = ServiceDist::Deterministic;
    let sim = run(s, 300.0);
    let l = summary(&sim).latency_ms;
    for ((q, z), got) in Z.into_iter().zip([l.p50, l.p95, l.p99]) {
        let want = 2.0 + round_trip_quantile(1.0, 3.0, z);
        eprintln!(
            "direct query p{}: {got:.4} ms, formula {want:.4} ms",
            q * 100.0
        );
        assert!((got / want - 1.0).abs() < 0.03, "p{q}: {got} vs {want}");
    }
    // the pods' view of their queries, second by second, says the same (at
    // 50 a second, the median of the seconds' medians)
    let secs = seconds(&sim, 1, 300);
    let mut p50s: Vec<f64> = secs.iter().map(|x| x.db_query_p50_ms).collect();
    p50s.sort_by(f64::total_cmp);
    let p50 = p50s[p50s.len() / 2];
    assert!((p50 / 3.0 - 1.0).abs() < 0.03, "seconds' median p50 {p50}");
    // while the time at the DB alone is the service time, without the trip
    let at_db = mean(&secs, |x| x.db_p50_ms);
    assert!((at_db / 2.0 - 1.0).abs() < 0.02, "at the DB {at_db}");
}

/// Without a p99 the round trip is constant: every hit takes the same time
/// when nothing queues.
#[test]
fn without_a_p99_hits_take_one_time() {
    let sim = run(cached_reads(50.0), 60.0);
    let h = summary(&sim).latency_ms.hit;
    assert!(h.p99 / h.p50 < 1.01, "{h:?}");
}

/// A DB 0.1 ms away that answers a read in 0.3 ms every time, so a miss's latency sits
/// where the histogram's buckets are narrow.
fn fast_db(s: &mut Scenario) {
    s.db.service = ServiceDist::Deterministic;
    s.db.read_service_ms = 0.3;
    s.db.read_cpu_ms = 0.05;
    s.app.processing_ms = 0.0;
    s.app.db_rtt_ms = 0.1;
    s.app.connect_ms = 0.0;
}

/// `app.cache_rtt_after_db_ms`: the SET after a miss's DB reply takes that
/// round trip instead of `cache_rtt_ms`, so at a load where nothing queues
/// a miss's median is faster by the difference, its GET (and every hit) is
/// not, and the SET's spread is gone with it.
#[test]
fn the_set_after_a_db_reply_takes_its_own_round_trip() {
    let stage = |after_db: f64| {
        let mut s = cached_reads(300.0);
        s.client.keys = Some(1_000_000);
        s.client.zipf_s = Some(0.0);
        s.app.cache_rtt_ms = 0.2;
        s.app.cache_rtt_after_db_ms = after_db;
        fast_db(&mut s);
        summary(&run(s, 60.0)).latency_ms
    };
    let (same, fast) = (stage(0.0), stage(0.03));
    let (a, b) = (same.miss.p50, fast.miss.p50);
    assert!((a - b - 0.17).abs() < 0.01, "miss p50 {a} -> {b}");
    assert!((same.hit.p50 - fast.hit.p50).abs() < 1e-9 || same.hit.p50.is_nan());
    // with a spread on the other hops, the SET after the DB has none
    let spread = |after_db: f64| {
        let mut s = cached_reads(300.0);
        s.client.keys = Some(1_000_000);
        s.client.zipf_s = Some(0.0);
        s.app.cache_rtt_ms = 0.2;
        s.app.cache_rtt_p99_ms = 1.0;
        s.app.cache_rtt_after_db_ms = after_db;
        fast_db(&mut s);
        let l = summary(&run(s, 60.0)).latency_ms.miss;
        l.p99 - l.p50
    };
    assert!(
        spread(0.03) < 0.8 * spread(0.0),
        "{} vs {}",
        spread(0.03),
        spread(0.0)
    );
}
