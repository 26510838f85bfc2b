//! V1 (a CacheProxyService in front of consistent-hash shards), measured
//! against the seed's claims: losing one of three shards sends about a third
//! of reads to the DB, single-flight in the proxy turns a stampede into one
//! query, a ring resize re-homes ~1/N of the keys (mod-N most of them), and
//! three shards carry ~3x the commands of one before the busiest saturates.
//! Every expectation is computed here from the router and the Zipf weights,
//! independently of the simulation's own bookkeeping.

mod common;
use cachesim_core::calibrate::{fill_probability, harmonic, miss_delay_s};
use cachesim_core::metrics::TierSecond;
use cachesim_core::router::{Router, RouterKind};
use cachesim_core::scenario::TopologyConfig;
use cachesim_core::{Command, Scenario, Simulation};
use common::*;

fn tier_seconds(sim: &Simulation, from: u32, to: u32) -> Vec<TierSecond> {
    sim.history()
        .iter()
        .zip(sim.history().tiers())
        .filter(|(s, _)| s.t_s >= from && s.t_s < to)
        .map(|(_, t)| t.clone())
        .collect()
}

#[test]
fn losing_one_of_three_shards_sends_a_third_of_reads_to_the_db() {
    let mut sim = Simulation::new(preset("v1-steady")).unwrap();
    sim.advance_to(20.0);
    let ks = sim.keyspace();
    let router = Router::new(RouterKind::Ring, 150, 3);
    let predicted = traffic_shares(&router, ks.keys, ks.zipf_s);
    // the ring's balance with 150 virtual nodes, weighted by real traffic
    for share in &predicted {
        assert!((share - 1.0 / 3.0).abs() < 0.03, "shares {predicted:?}");
    }
    // before: each shard serves its share of the reads
    let before = tier_seconds(&sim, 5, 20);
    let reads_on = |t: &[TierSecond], i: usize| t.iter().map(|x| x.shards[i].reads).sum::<u64>();
    let all: u64 = (0..3).map(|i| reads_on(&before, i)).sum();
    for (i, p) in predicted.iter().enumerate() {
        let measured = reads_on(&before, i) as f64 / all as f64;
        assert!((measured - p).abs() < 0.01, "shard {i}: {measured} vs {p}");
    }
    // shard 1 dies: its reads fail over to the DB, the other shards' still hit
    let t0 = sim.totals().clone();
    sim.apply(Command::CrashCache {
        shard: 1,
        host: false,
    })
    .unwrap();
    sim.advance_to(30.0);
    let t = sim.totals();
    let failed_gets = (t.get_failures - t0.get_failures) as f64;
    // a GET that found its shard down is a read that missed
    let to_db = failed_gets / (t.reads - t0.reads) as f64;
    assert!(
        (to_db - predicted[1]).abs() < 0.01,
        "{to_db} of reads lost their shard, ring share {}",
        predicted[1]
    );
    assert!((to_db - 1.0 / 3.0).abs() < 0.03, "{to_db}, not 100%");
    assert_conserved(&sim);
}

/// A cold cache, no background traffic: 100 reads of one key in 1 ms, while
/// a load takes ~20 ms, so every one of them misses.
fn stampede(single_flight: bool) -> (u64, u64, u64) {
    let mut s = cold_and_quiet();
    // the 1 RPS of background traffic makes no reads: every miss is the burst's
    s.client.read_fraction = 0.0;
    s.client.direct_fraction = 0.8;
    s.topology = TopologyConfig::v1();
    s.topology.proxy.as_mut().unwrap().single_flight = single_flight;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(1.0);
    let before = sim.totals().clone();
    let burst = |rate| Command::HotKey {
        rate,
        value_kb: 1.0,
        shard: None,
    };
    sim.apply(burst(100_000.0)).unwrap();
    sim.advance_to(1.001);
    sim.apply(burst(0.0)).unwrap();
    sim.advance_to(3.0);
    assert_conserved(&sim);
    assert_eq!(sim.in_flight(), 0);
    let t = sim.totals();
    assert_eq!(t.failed, before.failed, "nobody failed");
    let misses = (t.reads - before.reads) - (t.hits - before.hits);
    (
        misses,
        t.db_miss - before.db_miss,
        t.coalesced - before.coalesced,
    )
}

#[test]
fn the_proxys_single_flight_turns_a_stampede_across_pods_into_one_query() {
    let (misses, queries, coalesced) = stampede(true);
    assert!((60..=140).contains(&misses), "{misses} concurrent misses");
    // two pods, one load: the proxy's table spans them
    assert_eq!(queries, 1, "{misses} misses made {queries} queries");
    assert_eq!(coalesced, misses - 1);
    let (misses, queries, coalesced) = stampede(false);
    assert_eq!(queries, misses, "without single-flight every miss queries");
    assert_eq!(coalesced, 0);
}

/// Misses in seconds [from, to).
fn misses(sim: &Simulation, from: u32, to: u32) -> f64 {
    sum(&seconds(sim, from, to), |s| (s.reads - s.hits) as f64)
}

/// Extra misses a resize causes in the `window` seconds after it: a moved
/// key that was cached misses once more, if it is read in the window. A key
/// of rank k is cached with the steady-state probability of a non-reset TTL
/// cache filled by misses and writes and emptied by deletes.
fn predicted_extra_misses(sim: &Simulation, before: &Router, after: &Router, window: f64) -> f64 {
    let sc = sim.scenario();
    let ks = sim.keyspace();
    let c = &sc.client;
    let h = harmonic(ks.keys, ks.zipf_s);
    let d = miss_delay_s(sc);
    (1..=ks.keys)
        .filter(|&rank| before.route((rank - 1) as u32) != after.route((rank - 1) as u32))
        .map(|rank| {
            let p = (rank as f64).powf(-ks.zipf_s) / h;
            let (lr, lw, ld) = (
                c.rps * c.read_fraction * p,
                c.rps * c.write_fraction * p,
                c.rps * c.delete_fraction * p,
            );
            let cached = fill_probability(lr, lw, ld, sc.cache.ttl_s, d);
            cached * (1.0 - (-lr * window).exp())
        })
        .sum()
}

fn resize_run(router: RouterKind, add: bool) -> Simulation {
    let mut s: Scenario = preset("v1-steady");
    s.topology.router = router;
    // room for mod-N's herd: the router's moved keys, not failed backfills,
    // are what this measures
    s.db.workers = 96;
    s.db.max_connections = 1_000;
    let mut sim = Simulation::new(s).unwrap();
    sim.advance_to(10.0);
    if add {
        sim.apply(Command::AddShard).unwrap();
    }
    sim.advance_to(13.0);
    sim
}

#[test]
fn a_resize_costs_the_misses_of_the_keys_it_moves_ring_and_mod_n() {
    let control = resize_run(RouterKind::Ring, false);
    let mut extra = Vec::new();
    for kind in [RouterKind::Ring, RouterKind::ModN] {
        let sim = resize_run(kind, true);
        assert_eq!(sim.status().shards.len(), 4);
        // same seed, same arrivals: the control run isolates the resize's misses
        let control_same = if kind == RouterKind::Ring {
            misses(&control, 10, 12)
        } else {
            misses(&resize_run(kind, false), 10, 12)
        };
        let measured = misses(&sim, 10, 12) - control_same;
        let (a, b) = (Router::new(kind, 150, 3), Router::new(kind, 150, 4));
        let predicted = predicted_extra_misses(&sim, &a, &b, 2.0);
        let err = (measured - predicted).abs() / predicted;
        assert!(
            err < 0.15,
            "{kind:?}: {measured:.0} extra misses measured, {predicted:.0} predicted"
        );
        extra.push(measured);
        assert_conserved(&sim);
    }
    // mod-N re-homes ~3/4 of keys, the ring ~1/4
    let ratio = extra[1] / extra[0];
    assert!(
        (2.2..4.0).contains(&ratio),
        "mod-N / ring extra misses {ratio}"
    );
}

/// Only reads, capacities far above the offered load except Redis': the
/// cache tier is the only thing that can saturate.
fn cache_bound(topology: TopologyConfig, rps: f64) -> Scenario {
    let mut s = Scenario {
        topology,
        duration_s: 6.0,
        ..Scenario::default()
    };
    s.client.rps = rps;
    reads_only(&mut s);
    s.client.target_hit_rate = 0.95;
    s.lb.capacity_rps = 10_000_000.0;
    s.app.pods = 8;
    s.app.max_inflight_per_pod = 1_000_000;
    s.app.pool_size = 10_000;
    s.db.workers = 5_000;
    s.db.max_connections = 1_000_000;
    if let Some(p) = s.topology.proxy.as_mut() {
        p.capacity_ops = 10_000_000.0;
    }
    s
}

#[test]
fn three_shards_carry_three_times_the_commands_of_one() {
    // ~105K commands/s: 2.1x what one 50K ops/s Redis thread executes
    let rps = 100_000.0;
    let v0 = run(cache_bound(TopologyConfig::v0(), rps), 4.0);
    let v0_s = seconds(&v0, 1, 4);
    let v0_cpu = mean(&v0_s, |s| s.cache_cpu);
    assert!(v0_cpu > 0.99, "one Redis saturates: CPU {v0_cpu}");
    // it is sent more than it can run (timed-out reads retry through the DB
    // and backfill); what it executes is its busy time over 20 us
    let v0_sent = mean(&v0_s, |s| s.cache_ops as f64);
    let v0_ops = v0_cpu * 50_000.0;
    assert!(
        v0_sent > v0_ops * 1.5,
        "sent {v0_sent}/s, executed {v0_ops}/s"
    );
    assert!(
        sum(&v0_s, |s| s.cache_errors as f64) > 10_000.0,
        "its queue overflows"
    );

    let v1 = run(cache_bound(TopologyConfig::v1(), rps), 4.0);
    let v1_s = seconds(&v1, 1, 4);
    assert_eq!(
        sum(&v1_s, |s| s.cache_errors as f64),
        0.0,
        "no shard overflows"
    );
    let v1_ops = mean(&v1_s, |s| s.cache_ops as f64);
    assert!(v1_ops > 2.0 * v0_ops, "V1 {v1_ops} ops/s vs V0 {v0_ops}");
    // each shard's CPU is its share of the offered commands x 20 us (M/D/1, below saturation)
    let ks = v1.keyspace();
    let shares = traffic_shares(&Router::new(RouterKind::Ring, 150, 3), ks.keys, ks.zipf_s);
    let tiers = tier_seconds(&v1, 1, 4);
    for (i, share) in shares.iter().enumerate() {
        let cpu = tiers.iter().map(|t| t.shards[i].cpu).sum::<f64>() / tiers.len() as f64;
        let predicted = share * v1_ops * 20e-6;
        assert!(
            (cpu - predicted).abs() / predicted < 0.03,
            "shard {i}: CPU {cpu}, predicted {predicted}"
        );
    }
    // the busiest shard saturates at 50K / its share: about 3x V0
    let ceiling = 50_000.0 / shares.iter().cloned().fold(0.0, f64::max);
    assert!(
        (2.6..3.4).contains(&(ceiling / 50_000.0)),
        "V1's ceiling {ceiling} ops/s"
    );
}

#[test]
fn v1_presets_conserve_requests_and_replay_exactly() {
    for name in ["v1-shard-crash", "v1-resize", "v1-hot-key-coalesced"] {
        let mut s = preset(name);
        s.client.rps = 3_000.0;
        let a = run(s.clone(), 100.0);
        let b = run(s, 100.0);
        assert_eq!(a.totals(), b.totals(), "{name} is deterministic");
        let tiers_a: Vec<_> = a.history().tiers().cloned().collect();
        let tiers_b: Vec<_> = b.history().tiers().cloned().collect();
        assert_eq!(tiers_a, tiers_b, "{name}: the same per-shard seconds");
    }
}

#[test]
fn a_live_resize_replays_as_a_scheduled_fault() {
    let mut s = preset("v1-steady");
    s.client.rps = 3_000.0;
    let mut live = Simulation::new(s.clone()).unwrap();
    live.advance_to(5.0);
    live.apply(Command::AddShard).unwrap();
    live.apply(Command::SetRouter {
        router: RouterKind::ModN,
    })
    .unwrap();
    live.advance_to(8.0);
    live.apply(Command::CrashCache {
        shard: 3,
        host: false,
    })
    .unwrap();
    live.advance_to(12.0);
    s.faults = live.applied_log().to_vec();
    let mut replay = Simulation::new(s).unwrap();
    replay.advance_to(12.0);
    assert_eq!(live.totals(), replay.totals());
    assert_eq!(replay.status().shards.len(), 4);
    assert!(!replay.status().shards[3].up);
}

#[test]
fn the_warm_up_worker_reloads_the_hottest_keys_and_counts_its_queries() {
    let mut s = preset("v1-steady");
    s.client.rps = 3_000.0;
    let mut with = Simulation::new(s.clone()).unwrap();
    s.topology.warmup.enabled = false;
    let mut without = Simulation::new(s).unwrap();
    for sim in [&mut with, &mut without] {
        sim.advance_to(10.0);
        sim.apply(Command::RestartCache { shard: 0 }).unwrap();
        sim.advance_to(40.0);
        assert_conserved(sim);
    }
    let warmed: u64 = with.history().tiers().map(|t| t.db_warmup).sum();
    assert_eq!(warmed, with.totals().db_warmup);
    assert_eq!(
        with.totals().db_warmup,
        20_000,
        "it loads the 20K hottest keys of the shard"
    );
    assert_eq!(without.totals().db_warmup, 0);
    // paced at 1,000 keys/s
    let peak = with.history().tiers().map(|t| t.db_warmup).max().unwrap();
    // (completions, so a second may see a few more than the pacing)
    assert!(peak <= 1_020, "{peak} warm-up queries in one second");
    // the restarted shard's hit rate comes back sooner with it
    let hit = |sim: &Simulation| {
        tier_seconds(sim, 11, 16)
            .iter()
            .map(|t| t.shards[0].hit_rate)
            .sum::<f64>()
            / 5.0
    };
    assert!(
        hit(&with) > hit(&without) + 0.05,
        "{} vs {}",
        hit(&with),
        hit(&without)
    );
}

#[test]
fn commands_naming_a_missing_shard_are_refused_with_the_field() {
    let mut sim = Simulation::new(preset("v1-steady")).unwrap();
    let e = sim
        .apply(Command::CrashCache {
            shard: 3,
            host: false,
        })
        .unwrap_err();
    assert_eq!(e.field, "shard");
    assert!(e.message.contains("0 to 2"), "{e}");
    let mut v0 = Simulation::new(preset("steady")).unwrap();
    assert!(v0.apply(Command::RemoveShard).is_err());
    let mut s = preset("v1-steady");
    s.faults.push(cachesim_core::ScheduledCommand {
        at_s: 5.0,
        command: Command::RestartCache { shard: 7 },
    });
    let e = s.validate().unwrap_err();
    assert!(e.field.starts_with("faults[0].command.shard"), "{e}");
    for (path, value) in [
        ("topology.shards", "0"),
        ("topology.vnodes", "1000000"),
        ("topology.router", "\"random\""),
    ] {
        let mut s = preset("v1-steady");
        let e = s.set_path(path, value).unwrap_err();
        assert_eq!(e.field, path, "{e}");
    }
}

/// A read that waited for another's load of its key missed: its latency is
/// a miss's, and hits stay sub-millisecond-fast.
#[test]
fn coalesced_reads_count_as_misses_not_hits() {
    let mut s = preset("v1-hot-key-coalesced");
    s.faults[0].at_s = 2.0;
    let sim = run(s, 20.0);
    assert!(sim.totals().coalesced > 1_000, "{:?}", sim.totals());
    let hit_p99 = summary(&sim).latency_ms.hit.p99;
    // (a coalesced read counted as a hit would put the ~20 ms miss path here)
    assert!(hit_p99 < 5.0, "hits p99 {hit_p99} ms");
}

/// A hot key "on a shard" is that shard's most popular key: its extra reads
/// land on that shard alone.
#[test]
fn a_hot_key_on_a_shard_loads_that_shard() {
    let mut sim = Simulation::new(preset("v1-steady")).unwrap();
    sim.advance_to(5.0);
    sim.apply(Command::HotKey {
        rate: 5_000.0,
        value_kb: 1.0,
        shard: Some(0),
    })
    .unwrap();
    sim.advance_to(10.0);
    // (the most popular key of all lives on shard 2: shard 0's is another one)
    assert_ne!(sim.status().hot_key, 0);
    let before = tier_seconds(&sim, 2, 5);
    let after = tier_seconds(&sim, 6, 10);
    let ops = |t: &[TierSecond], i: usize| {
        t.iter().map(|x| x.shards[i].ops).sum::<u64>() as f64 / t.len() as f64
    };
    assert!(
        ops(&after, 0) > ops(&before, 0) + 4_500.0,
        "shard 0 takes the hot key's 5K reads/s"
    );
    for i in [1, 2] {
        assert!(
            (ops(&after, i) - ops(&before, i)).abs() < 300.0,
            "shard {i} unchanged"
        );
    }
}
