//! Property tests: whatever a scenario file, a `--set` or a live command
//! says, the core answers with a value or an error naming the field, never a
//! panic; and over random valid scenarios driven by random live commands,
//! every request ends exactly once, no metric is NaN, infinite or negative,
//! percentiles are ordered, and the same inputs give the same run.
#![cfg(not(target_arch = "wasm32"))]

mod common;
use cachesim_core::router::RouterKind;
use cachesim_core::scenario::TopologyConfig;
use cachesim_core::{presets, Command, EvictionPolicy, Scenario, Simulation};
use common::assert_conserved;
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, a few levels deep, with the numbers a fuzzer likes.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(1e300),
            Just(1e-300),
            Just(0.5),
            -1e7..1e7f64
        ]
        .prop_map(Value::from),
        "[a-z_ -]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every leaf path of a JSON object, dotted (`client.rps`, `faults.0.at_s`).
fn leaf_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaf_paths(x, &format!("{prefix}.{i}"), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

fn set_leaf(v: &mut Value, path: &str, new: Value) {
    let mut node = v;
    for part in path.split('.') {
        node = match node {
            Value::Object(m) => m.get_mut(part).expect("a path from leaf_paths"),
            Value::Array(a) => &mut a[part.parse::<usize>().expect("an index")],
            _ => unreachable!("leaf paths end at leaves"),
        };
    }
    *node = new;
}

fn preset_json(i: usize) -> Value {
    let p = &presets::PRESETS[i % presets::PRESETS.len()];
    serde_json::to_value(presets::preset(p.name).unwrap()).unwrap()
}

/// The error names the mutated field, or the section it belongs to (a sum
/// over the mix, a fault's target checked against the timeline).
fn names_the_field(err_field: &str, mutated: &str) -> bool {
    let top = |p: &str| p.split(['.', '[']).next().unwrap_or("").to_string();
    !err_field.is_empty() && top(err_field) == top(mutated)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_is_a_scenario_or_an_error(v in json_value()) {
        let text = v.to_string();
        if let Err(e) = Scenario::from_json(&text) {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn a_mutated_preset_loads_or_names_the_field(i in 0usize..64, pick in any::<prop::sample::Index>(), new in json_value()) {
        let mut v = preset_json(i);
        let mut paths = Vec::new();
        leaf_paths(&v, "", &mut paths);
        let path = pick.get(&paths).clone();
        set_leaf(&mut v, &path, new);
        match Scenario::from_json(&v.to_string()) {
            Ok(s) => prop_assert!(s.validate().is_ok()),
            Err(e) => prop_assert!(names_the_field(&e.field, &path), "{path}: {e}"),
        }
    }

    #[test]
    fn set_path_changes_one_field_or_names_it(i in 0usize..64, pick in any::<prop::sample::Index>(), value in "[-a-z0-9.e{}\"]{0,10}") {
        let v = preset_json(i);
        let mut paths = Vec::new();
        leaf_paths(&v, "", &mut paths);
        let path = pick.get(&paths).clone();
        let mut s: Scenario = serde_json::from_value(v).unwrap();
        let before = s.clone();
        match s.set_path(&path, &value) {
            Ok(()) => prop_assert!(s.validate().is_ok()),
            Err(e) => {
                prop_assert_eq!(&s, &before, "a failed set changes nothing");
                prop_assert!(names_the_field(&e.field, &path), "{path}={value}: {e}");
            }
        }
    }
}

/// A small valid scenario: V0, V1 or in between, at a rate a test can run.
fn scenario() -> impl Strategy<Value = Scenario> {
    (
        500.0..4_000.0f64,
        1u32..5,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0.5..0.95f64,
        any::<u64>(),
        prop::option::of(1.0..20.0f64),
    )
        .prop_map(|(rps, shards, proxy, modn, warmup, hit, seed, spread)| {
            let mut s = Scenario {
                seed,
                ..Scenario::default()
            };
            s.client.rps = rps;
            s.client.target_hit_rate = hit;
            s.topology = TopologyConfig {
                shards,
                router: if modn {
                    RouterKind::ModN
                } else {
                    RouterKind::Ring
                },
                proxy: proxy.then(Default::default),
                ..TopologyConfig::default()
            };
            s.topology.warmup.enabled = warmup;
            // round trips with a spread: p99 at 1-20x the median
            if let Some(x) = spread {
                s.app.cache_rtt_p99_ms = s.app.cache_rtt_ms * x;
                s.app.db_rtt_p99_ms = s.app.db_rtt_ms * x;
                // and the SET / DEL after a DB reply at a tenth of a hop
                s.app.cache_rtt_after_db_ms = s.app.cache_rtt_ms / 10.0;
            }
            s
        })
}

/// Live commands, valid or not (shard numbers beyond the current count).
fn command() -> impl Strategy<Value = Command> {
    let shard = 0u32..6;
    prop_oneof![
        (shard.clone(), any::<bool>())
            .prop_map(|(shard, host)| Command::CrashCache { shard, host }),
        shard
            .clone()
            .prop_map(|shard| Command::RestartCache { shard }),
        (0.0..20_000.0f64, prop::option::of(shard.clone())).prop_map(|(rate, shard)| {
            Command::HotKey {
                rate,
                value_kb: 8.0,
                shard,
            }
        }),
        (0.001..2.0f64, prop::option::of(shard.clone()))
            .prop_map(|(gb, shard)| Command::SetMemory { gb, shard }),
        (0.0..1.0f64, prop::option::of(shard.clone()))
            .prop_map(|(fraction, shard)| Command::FillMemory { fraction, shard }),
        prop::option::of(shard).prop_map(|shard| Command::ClearFill { shard }),
        Just(Command::AddShard),
        Just(Command::RemoveShard),
        any::<bool>().prop_map(|m| Command::SetRouter {
            router: if m {
                RouterKind::ModN
            } else {
                RouterKind::Ring
            }
        }),
        any::<bool>().prop_map(|on| Command::SetProxy { on }),
        any::<bool>().prop_map(|on| Command::ProxySingleFlight { on }),
        any::<bool>().prop_map(|on| Command::Warmup { on }),
        any::<bool>().prop_map(|on| Command::SingleFlight { on }),
        (0.0..1.0f64).prop_map(|probability| Command::InvalidationFailure { probability }),
        (0.0..5_000.0f64).prop_map(|rate| Command::KeyBusting { rate }),
        (0.5..5.0f64).prop_map(|factor| Command::DbSlowdown { factor }),
        (0u32..4).prop_map(|count| Command::PodsUnhealthy { count }),
        (1u32..6).prop_map(|count| Command::SetPods { count }),
        any::<bool>().prop_map(|on| Command::Autoscale { on }),
        (100.0..8_000.0f64).prop_map(|rps| Command::SetRps { rps }),
        (5.0..600.0f64).prop_map(|seconds| Command::SetTtl { seconds }),
        any::<bool>().prop_map(|lru| Command::SetEviction {
            policy: if lru {
                EvictionPolicy::AllkeysLru
            } else {
                EvictionPolicy::Noeviction
            }
        }),
    ]
}

fn check_metrics(sim: &Simulation) -> Result<(), TestCaseError> {
    for s in sim.history().iter() {
        for (name, v) in cachesim_core::SecondStats::FIELDS.iter().zip(s.values()) {
            prop_assert!(v.is_finite() && v >= 0.0, "{name} = {v} at {}", s.t_s);
        }
        prop_assert!(
            s.p50_ms <= s.p95_ms && s.p95_ms <= s.p99_ms && s.p99_ms <= s.max_ms,
            "{s:?}"
        );
        prop_assert!(
            s.db_p50_ms <= s.db_p99_ms && s.db_query_p50_ms <= s.db_query_p99_ms,
            "{s:?}"
        );
        prop_assert!(s.hit_rate <= 1.0 && s.cache_cpu <= 1.0 && s.db_utilization <= 1.0);
        // the pods' cores cannot do more than a second's work in a second
        prop_assert!(
            s.pod_cpu_max <= 1.0 + 1e-9 && s.pod_cpu <= s.pod_cpu_max + 1e-9,
            "{s:?}"
        );
    }
    for t in sim.history().tiers() {
        for x in &t.shards {
            prop_assert!(x.cpu.is_finite() && (0.0..=1.0).contains(&x.cpu));
            prop_assert!(x.hits <= x.reads && x.memory_fraction.is_finite());
        }
    }
    Ok(())
}

/// Runs the steps; returns the totals (for the determinism check).
fn drive(
    s: &Scenario,
    steps: &[(f64, Command)],
) -> Result<cachesim_core::metrics::Totals, TestCaseError> {
    let mut sim = Simulation::new(s.clone()).expect("a valid scenario");
    for (dt, cmd) in steps {
        sim.advance_by(*dt);
        let shards = sim.status().shards.len() as u32;
        match sim.apply(cmd.clone()) {
            Ok(()) => {}
            Err(e) => {
                // only a target that does not exist is refused here
                prop_assert!(!e.message.is_empty());
                prop_assert!(
                    matches!(cmd, Command::AddShard | Command::RemoveShard) || e.field == "shard",
                    "{cmd:?} refused with {shards} shards: {e}"
                );
            }
        }
        assert_conserved(&sim);
        check_metrics(&sim)?;
    }
    sim.advance_by(2.0);
    assert_conserved(&sim);
    check_metrics(&sim)?;
    Ok(sim.totals().clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_runs_conserve_requests_keep_metrics_sane_and_replay(
        s in scenario(),
        steps in prop::collection::vec((0.05..1.5f64, command()), 1..12),
    ) {
        let a = drive(&s, &steps)?;
        let b = drive(&s, &steps)?;
        prop_assert_eq!(a, b, "the same inputs give the same run");
    }
}

/// After one TTL the model's own memory stops growing: 15 simulated minutes
/// at 10K RPS, sampled every minute (the soak in BENCHMARKS.md runs longer).
#[test]
fn the_models_memory_is_flat_after_warm_up() {
    let mut sim = Simulation::new(presets::preset("steady").unwrap()).unwrap();
    let mut samples = Vec::new();
    for minute in 1..=15 {
        sim.advance_to(minute as f64 * 60.0);
        samples.push(sim.model_heap_bytes());
    }
    let settled = samples[5];
    for (i, &b) in samples.iter().enumerate().skip(5) {
        assert!(
            b as f64 <= settled as f64 * 1.05,
            "minute {}: {b} bytes, {settled} at minute 6: {samples:?}",
            i + 1
        );
    }
    assert_conserved(&sim);
}
