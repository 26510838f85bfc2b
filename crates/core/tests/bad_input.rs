//! Malformed scenarios and commands get a clear error naming the field; never a panic.

use cachesim_core::{Command, Scenario, Simulation};

#[test]
fn malformed_scenarios_name_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        ("not json", "{", ""),
        ("empty", "", ""),
        ("unknown top-level field", r#"{"rsp": 5}"#, "rsp"),
        (
            "unknown nested field",
            r#"{"client": {"rsp": 5}}"#,
            "client.rsp",
        ),
        ("wrong type", r#"{"client": {"rps": "fast"}}"#, "client.rps"),
        ("negative rps", r#"{"client": {"rps": -5}}"#, "client.rps"),
        ("huge rps", r#"{"client": {"rps": 1e12}}"#, "client.rps"),
        (
            "mix does not add up",
            r#"{"client": {"read_fraction": 0.9}}"#,
            "client.read_fraction",
        ),
        (
            "hit rate above 1",
            r#"{"client": {"target_hit_rate": 1.5}}"#,
            "client.target_hit_rate",
        ),
        (
            "unknown eviction",
            r#"{"cache": {"eviction": "lfu"}}"#,
            "cache.eviction",
        ),
        ("zero pods", r#"{"app": {"pods": 0}}"#, "app.pods"),
        (
            "round trip p99 below its median",
            r#"{"app": {"cache_rtt_ms": 0.2, "cache_rtt_p99_ms": 0.1}}"#,
            "app.cache_rtt_p99_ms",
        ),
        (
            "negative round trip p99",
            r#"{"app": {"db_rtt_p99_ms": -1}}"#,
            "app.db_rtt_p99_ms",
        ),
        (
            "negative round trip after the DB",
            r#"{"app": {"cache_rtt_after_db_ms": -0.1}}"#,
            "app.cache_rtt_after_db_ms",
        ),
        ("negative pods", r#"{"app": {"pods": -1}}"#, "app.pods"),
        (
            "single-flight not a boolean",
            r#"{"app": {"single_flight": "yes"}}"#,
            "app.single_flight",
        ),
        (
            "tiny memory",
            r#"{"cache": {"memory_gb": 0}}"#,
            "cache.memory_gb",
        ),
        (
            "service cv",
            r#"{"db": {"service": {"kind": "log_normal", "cv": -1}}}"#,
            "db.service.cv",
        ),
        (
            "unknown distribution",
            r#"{"db": {"service": {"kind": "pareto"}}}"#,
            "db.service",
        ),
        (
            "unknown fault",
            r#"{"faults": [{"at_s": 1, "command": {"type": "meteor"}}]}"#,
            "faults[0].command",
        ),
        (
            "negative fault time",
            r#"{"faults": [{"at_s": -1, "command": {"type": "crash_cache"}}]}"#,
            "faults[0].at_s",
        ),
        (
            "fault value out of range",
            r#"{"faults": [{"at_s": 1, "command": {"type": "hot_key", "rate": 1e300}}]}"#,
            "faults[0].command.rate",
        ),
        ("seed is not a number", r#"{"seed": "x"}"#, "seed"),
        ("array instead of object", r#"[1, 2]"#, ""),
    ];
    for (what, text, field) in cases {
        let err = Scenario::from_json(text).expect_err(what);
        assert!(!err.message.is_empty(), "{what}");
        if !field.is_empty() {
            assert!(
                err.field.starts_with(field),
                "{what}: field {:?} should name {field}",
                err.field
            );
            assert!(err.to_string().contains(field), "{what}: {err}");
        }
    }
}

#[test]
fn hostile_inputs_do_not_panic() {
    let deep = "[".repeat(10_000);
    let garbage: String = (0..100_000)
        .map(|i| char::from(b'!' + (i * 7 % 90) as u8))
        .collect();
    for text in [
        deep.as_str(),
        garbage.as_str(),
        "\u{0}",
        "nul",
        "1e400",
        "{\"client\": {\"rps\": 1e400}}",
    ] {
        assert!(Scenario::from_json(text).is_err());
    }
}

#[test]
fn bad_commands_are_refused_and_the_run_goes_on() {
    let mut sim = Simulation::new(Scenario::default()).unwrap();
    sim.advance_to(1.0);
    for cmd in [
        Command::SetRps { rps: -1.0 },
        Command::SetRps { rps: f64::NAN },
        Command::SetMemory {
            gb: f64::INFINITY,
            shard: None,
        },
        Command::SetPods { count: 0 },
        Command::InvalidationFailure { probability: 2.0 },
        Command::SetTargetHitRate { hit_rate: 1.0 },
        Command::DbSlowdown { factor: 0.0 },
    ] {
        let err = sim.apply(cmd.clone()).expect_err(&format!("{cmd:?}"));
        assert!(err.to_string().contains("between"), "{err}");
    }
    assert!(
        sim.applied_log().is_empty(),
        "refused commands are not logged"
    );
    sim.advance_to(2.0);
    assert_eq!(sim.history().len(), 2);
    assert_eq!(sim.history().last().unwrap().failed, 0);
}
