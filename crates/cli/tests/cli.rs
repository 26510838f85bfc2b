//! End-to-end tests of the `cachesim` binary: they run the built executable
//! and check its stdout, stderr and exit status.

use cachesim_core::{presets::PRESETS, SecondStats};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WALL_CLOCK_FIELDS: &[&str] = &[
    "wall_seconds",
    "sim_requests_per_wall_second",
    "peak_rss_mb",
];

fn cachesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachesim"))
        .args(args)
        .output()
        .expect("the cachesim binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs and expects success, returning stdout.
fn ok(args: &[&str]) -> String {
    let o = cachesim(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "cachesim {args:?} failed; stderr:\n{}",
        stderr(&o)
    );
    stdout(&o)
}

/// Runs and expects exit status 2 with an `error:` line on stderr and nothing on stdout.
fn fails(args: &[&str]) -> String {
    let o = cachesim(args);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "cachesim {args:?}: expected exit 2; stderr:\n{err}"
    );
    assert!(
        err.starts_with("error: "),
        "cachesim {args:?}: stderr should start with 'error: ', got:\n{err}"
    );
    assert!(
        !err.contains("panicked"),
        "cachesim {args:?} panicked:\n{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "cachesim {args:?}: stdout should be empty on error, got:\n{}",
        stdout(&o)
    );
    err
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn json(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("cachesim {args:?}: stdout is not JSON ({e}):\n{out}"))
}

/// The JSON output with the wall-clock fields taken out (as text lines and as a value).
fn without_wall_clock(out: &str) -> (String, Value) {
    let text: String = out
        .lines()
        .filter(|l| {
            !WALL_CLOCK_FIELDS
                .iter()
                .any(|f| l.trim_start().starts_with(&format!("\"{f}\"")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let mut v: Value = serde_json::from_str(out).expect("JSON");
    let obj = v.as_object_mut().expect("an object");
    for f in WALL_CLOCK_FIELDS {
        assert!(obj.remove(*f).is_some(), "missing {f}");
    }
    (text, v)
}

#[test]
fn presets_lists_every_preset() {
    let out = ok(&["presets"]);
    assert_eq!(PRESETS.len(), 14, "ten V0 presets and four V1 ones");
    assert_eq!(
        out.lines().count(),
        PRESETS.len(),
        "one line per preset:\n{out}"
    );
    for p in PRESETS {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(p.name))
            .unwrap_or_else(|| panic!("preset {} missing from:\n{out}", p.name));
        assert!(line.contains(p.description), "{line}");
    }
}

#[test]
fn run_steady_json_has_the_summary_fields() {
    let v = json(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "20",
        "--format",
        "json",
    ]);
    for field in [
        "scenario",
        "seed",
        "seconds",
        "hit_rate",
        "requests",
        "errors",
        "errors_by_kind",
        "db_qps_mean",
        "db_offered_qps_peak",
        "latency_ms",
        "cache_cpu_utilization",
        "stale_reads",
        "peak_rss_mb",
        "wall_seconds",
        "sim_requests_per_wall_second",
    ] {
        assert!(v.get(field).is_some(), "missing {field} in {v}");
    }
    for p in ["p50", "p95", "p99"] {
        assert!(
            v["latency_ms"][p].as_f64().is_some(),
            "latency_ms.{p} in {v}"
        );
    }
    assert_eq!(v["scenario"], "steady");
    assert_eq!(v["seconds"].as_f64(), Some(20.0));
    let hit = v["hit_rate"].as_f64().unwrap();
    assert!((0.835..=0.865).contains(&hit), "steady hit rate {hit}");
    let requests = v["requests"].as_u64().unwrap();
    assert!(
        (190_000..=210_000).contains(&requests),
        "10K RPS for 20 s gave {requests}"
    );
    assert!(v["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(v["sim_requests_per_wall_second"].as_f64().unwrap() > 0.0);
    if cfg!(target_os = "linux") {
        assert!(
            v["peak_rss_mb"].as_f64().unwrap() > 0.0,
            "VmHWM is read on Linux"
        );
    }
}

#[test]
fn run_csv_is_the_per_second_series() {
    let out = ok(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "20",
        "--format",
        "csv",
    ]);
    let mut lines = out.lines();
    let header = lines.next().expect("a header row");
    assert_eq!(header, SecondStats::FIELDS.join(","));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 20, "20 data rows:\n{out}");
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), SecondStats::FIELDS.len(), "row {i}: {row}");
        for c in &cells {
            let x: f64 = c
                .parse()
                .unwrap_or_else(|_| panic!("row {i}: '{c}' is not a number"));
            assert!(x.is_finite(), "row {i}: {c}");
        }
        assert_eq!(cells[0], i.to_string(), "t_s of row {i}");
    }
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let args = |seed: &'static str| {
        [
            "run",
            "--preset",
            "steady",
            "--seconds",
            "10",
            "--seed",
            seed,
            "--format",
            "json",
        ]
    };
    let a = ok(&args("42"));
    let b = ok(&args("42"));
    let c = ok(&args("43"));
    let (ta, va) = without_wall_clock(&a);
    let (tb, vb) = without_wall_clock(&b);
    let (tc, vc) = without_wall_clock(&c);
    assert_eq!(ta, tb, "same seed, byte-identical output");
    assert_eq!(va, vb);
    assert_eq!(va["seed"], 42);
    assert_ne!(ta, tc, "another seed, another run");
    assert_ne!(va["requests"], vc["requests"]);
}

#[test]
fn summary_format_is_readable() {
    let out = ok(&["run", "--preset", "steady", "--seconds", "3"]);
    for label in [
        "Hit rate",
        "DB load",
        "Errors",
        "Latency (ms)",
        "p99",
        "Cache CPU",
        "Cache memory",
        "Stale reads",
        "peak RSS",
    ] {
        assert!(out.contains(label), "summary lacks '{label}':\n{out}");
    }
    let explicit = ok(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "3",
        "--format",
        "summary",
    ]);
    assert!(explicit.starts_with("cachesim run: steady"));
}

#[test]
fn set_and_seed_change_the_run() {
    let v = json(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "2",
        "--set",
        "client.rps=1000",
        "--seed",
        "9",
        "--format",
        "json",
    ]);
    let requests = v["requests"].as_u64().unwrap();
    assert!(
        (1_700..=2_300).contains(&requests),
        "1000 RPS for 2 s gave {requests}"
    );
    assert_eq!(v["seed"], 9);
}

#[test]
fn single_flight_is_a_setting_and_reported() {
    let args = |sf: &'static str| {
        [
            "run",
            "--preset",
            "hot-key",
            "--seconds",
            "45",
            "--set",
            sf,
            "--format",
        ]
    };
    let off = json(&[&args("app.single_flight=false")[..], &["json"]].concat());
    let on = json(&[&args("app.single_flight=true")[..], &["json"]].concat());
    assert_eq!(off["coalesced"], 0);
    assert!(
        off["errors"].as_u64().unwrap() > 0,
        "the stampedes fail requests"
    );
    assert!(on["coalesced"].as_u64().unwrap() > 1_000);
    assert_eq!(on["errors"], 0);
    let text = ok(&[&args("app.single_flight=true")[..], &["summary"]].concat());
    assert!(text.contains("Single-flight"), "{text}");
    let err = fails(&[
        "run",
        "--preset",
        "steady",
        "--set",
        "app.single_flight=maybe",
    ]);
    assert!(err.contains("app.single_flight"), "{err}");
}

#[test]
fn scenario_output_validates_and_runs_for_every_preset() {
    let dir = temp_dir("presets");
    for p in PRESETS {
        let text = ok(&["scenario", "--preset", p.name]);
        let file = dir.join(format!("{}.json", p.name));
        std::fs::write(&file, &text).unwrap();
        let f = file.to_str().unwrap();
        assert_eq!(ok(&["validate", f]), format!("ok: {}\n", p.name));
        let v = json(&["run", "--scenario", f, "--seconds", "1", "--format", "json"]);
        assert_eq!(v["scenario"], p.name);
    }
    let text = ok(&["scenario", "--preset", "steady", "--set", "client.rps=2000"]);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["client"]["rps"].as_f64(), Some(2000.0));
}

#[test]
fn malformed_scenario_files_exit_2_naming_the_field() {
    let dir = temp_dir("malformed");
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_in_field = format!(
        r#"{{"faults":[{{"at_s":1,"command":{{"type":"crash_cache","x":{}{}}}}}]}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    // 1 MiB of bytes from a fixed xorshift stream (not UTF-8), and 1 MiB of JSON-ish punctuation
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let garbage: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    let ascii_garbage: Vec<u8> = garbage
        .iter()
        .map(|b| b"{}[]\":,0123abc"[(*b % 14) as usize])
        .collect();
    let mut ascii_garbage_obj = b"{".to_vec();
    ascii_garbage_obj.extend_from_slice(&ascii_garbage);

    // (name, contents, text the message must contain)
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("not-json", b"this is not json".to_vec(), &["JSON"]),
        (
            "unknown-top-level",
            br#"{"name":"x","speed":3}"#.to_vec(),
            &["speed", "unknown field"],
        ),
        (
            "unknown-nested",
            br#"{"client":{"rsp":20000}}"#.to_vec(),
            &["client.rsp", "unknown field"],
        ),
        (
            "wrong-type",
            br#"{"client":{"rps":"fast"}}"#.to_vec(),
            &["client.rps", "invalid type"],
        ),
        (
            "negative-rps",
            br#"{"client":{"rps":-5}}"#.to_vec(),
            &["client.rps", "between"],
        ),
        (
            "huge-rps",
            br#"{"client":{"rps":1e12}}"#.to_vec(),
            &["client.rps", "between"],
        ),
        (
            "mix-not-1",
            br#"{"client":{"read_fraction":0.9}}"#.to_vec(),
            &["client.read_fraction", "add up to 1"],
        ),
        (
            "hit-rate-1.5",
            br#"{"client":{"target_hit_rate":1.5}}"#.to_vec(),
            &["client.target_hit_rate", "between"],
        ),
        (
            "eviction",
            br#"{"cache":{"eviction":"fifo"}}"#.to_vec(),
            &["cache.eviction", "allkeys-lru"],
        ),
        (
            "fault-type",
            br#"{"faults":[{"at_s":5,"command":{"type":"explode"}}]}"#.to_vec(),
            &["faults[0].command", "explode", "crash_cache"],
        ),
        (
            "fault-at-negative",
            br#"{"faults":[{"at_s":-1,"command":{"type":"crash_cache"}}]}"#.to_vec(),
            &["faults[0].at_s", "between"],
        ),
        (
            "hot-key-huge",
            br#"{"faults":[{"at_s":5,"command":{"type":"hot_key","rate":1e300}}]}"#.to_vec(),
            &["faults[0].command.rate", "between"],
        ),
        (
            "hot-key-overflow",
            br#"{"faults":[{"at_s":5,"command":{"type":"hot_key","rate":1e999}}]}"#.to_vec(),
            &["faults[0].command", "out of range"],
        ),
        (
            "hot-key-nan",
            br#"{"faults":[{"at_s":5,"command":{"type":"hot_key","rate":"NaN"}}]}"#.to_vec(),
            &["faults[0].command", "invalid type"],
        ),
        ("empty", Vec::new(), &["empty"]),
        ("whitespace", b"  \n\t ".to_vec(), &["empty"]),
        ("top-level-array", b"[1,2,3]".to_vec(), &["JSON object"]),
        ("top-level-null", b"null".to_vec(), &["JSON object"]),
        ("garbage-1mb", garbage, &["UTF-8"]),
        ("ascii-garbage-1mb", ascii_garbage, &["JSON object"]),
        ("ascii-garbage-object-1mb", ascii_garbage_obj, &["line 1"]),
        ("deep-array", deep_array.into_bytes(), &["JSON object"]),
        (
            "deep-in-a-field",
            deep_in_field.into_bytes(),
            &["faults[0].command", "recursion limit"],
        ),
        ("truncated", br#"{"client":{"rps":100"#.to_vec(), &["EOF"]),
        (
            "duration-zero",
            br#"{"duration_s":0}"#.to_vec(),
            &["duration_s", "between"],
        ),
        (
            "pods-negative",
            br#"{"app":{"pods":-1}}"#.to_vec(),
            &["app.pods"],
        ),
        (
            "pods-too-many",
            br#"{"app":{"pods":1000}}"#.to_vec(),
            &["app.pods", "between"],
        ),
    ];
    for (name, contents, needles) in &cases {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, contents).unwrap();
        let f = file.to_str().unwrap();
        for args in [
            vec!["validate", f],
            vec!["run", "--scenario", f, "--seconds", "1", "--format", "json"],
        ] {
            let err = fails(&args);
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{name}: one line of error, got:\n{err}"
            );
            assert!(
                err.len() < 2_000,
                "{name}: error too long ({} bytes)",
                err.len()
            );
            for needle in needles.iter() {
                assert!(
                    err.contains(needle),
                    "{name}: message should mention '{needle}', got:\n{err}"
                );
            }
        }
    }
    // a file that is not there, and a directory
    let missing = dir.join("missing.json");
    let err = fails(&["validate", missing.to_str().unwrap()]);
    assert!(err.contains("cannot read"), "{err}");
    let err = fails(&["run", "--scenario", dir.to_str().unwrap()]);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn bad_set_paths_and_values_exit_2_naming_the_path() {
    let err = fails(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "1",
        "--set",
        "client.rps=abc",
    ]);
    assert!(err.contains("client.rps"), "{err}");
    assert!(
        !err.contains("column"),
        "no position inside an internal document: {err}"
    );
    let err = fails(&["run", "--preset", "steady", "--set", "nope.x=1"]);
    assert!(err.contains("nope.x"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
    let err = fails(&["run", "--preset", "steady", "--set", "client.rps=-3"]);
    assert!(
        err.contains("client.rps") && err.contains("between"),
        "{err}"
    );
    let err = fails(&["run", "--preset", "steady", "--set", "client.rps"]);
    assert!(err.contains("PATH=VALUE"), "{err}");
    let err = fails(&["run", "--preset", "steady", "--set", "client.rps.deeper=1"]);
    assert!(err.contains("client.rps.deeper"), "{err}");
    let err = fails(&[
        "scenario",
        "--preset",
        "steady",
        "--set",
        "cache.eviction=fifo",
    ]);
    assert!(err.contains("cache.eviction"), "{err}");
}

#[test]
fn unknown_preset_lists_the_valid_ones() {
    for args in [
        &["run", "--preset", "nope"][..],
        &["scenario", "--preset", "nope"][..],
    ] {
        let err = fails(args);
        assert!(err.contains("nope"), "{err}");
        for p in PRESETS {
            assert!(err.contains(p.name), "{err} should list {}", p.name);
        }
    }
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, needle) in [
        (
            &["run", "--preset", "steady", "--seconds", "abc"][..],
            "--seconds",
        ),
        (
            &["run", "--preset", "steady", "--seconds", "-5"][..],
            "--seconds",
        ),
        (
            &["run", "--preset", "steady", "--seconds", "0"][..],
            "--seconds",
        ),
        (
            &["run", "--preset", "steady", "--seconds", "1e9"][..],
            "--seconds",
        ),
        (
            &["run", "--preset", "steady", "--seconds", "nan"][..],
            "--seconds",
        ),
        (&["run", "--preset", "steady", "--seconds"][..], "--seconds"),
        (&["run", "--preset", "steady", "--seed", "-1"][..], "--seed"),
        (
            &["run", "--preset", "steady", "--seed", "1.5"][..],
            "--seed",
        ),
        (
            &["run", "--preset", "steady", "--format", "xml"][..],
            "--format",
        ),
        (
            &["run", "--preset", "steady", "--frobnicate"][..],
            "--frobnicate",
        ),
        (&["run", "--preset", "steady", "extra"][..], "extra"),
        (
            &["run", "--preset", "steady", "--scenario", "x.json"][..],
            "--scenario",
        ),
        (&["run"][..], "--preset"),
        (&["validate"][..], "FILE"),
        (&["validate", "a.json", "b.json"][..], "b.json"),
        (&["scenario"][..], "--preset"),
        (&["presets", "extra"][..], "extra"),
        (&["frobnicate"][..], "frobnicate"),
        (&[][..], "command"),
    ] {
        let err = fails(args);
        assert!(
            err.contains(needle),
            "cachesim {args:?}: message should mention '{needle}', got:\n{err}"
        );
    }
}

#[test]
fn help_and_version() {
    for args in [
        &["--help"][..],
        &["-h"][..],
        &["help"][..],
        &["run", "--help"][..],
    ] {
        let out = ok(args);
        assert!(out.contains("USAGE"), "{out}");
        assert!(out.contains("--format"), "{out}");
    }
    assert!(ok(&["--version"]).starts_with("cachesim "));
}

#[test]
fn bad_topology_input_exits_2_naming_the_field() {
    for (set, field, allowed) in [
        ("topology.shards=0", "topology.shards", "between 1 and 16"),
        (
            "topology.vnodes=1000000",
            "topology.vnodes",
            "between 1 and 1000",
        ),
        ("topology.router=random", "topology.router", "mod-n"),
        (
            "topology.proxy.capacity_ops=0",
            "topology.proxy.capacity_ops",
            "between",
        ),
    ] {
        let err = fails(&[
            "run",
            "--preset",
            "v1-steady",
            "--seconds",
            "1",
            "--set",
            set,
        ]);
        assert!(err.contains(field) && err.contains(allowed), "{set}: {err}");
    }
    // V0 has no proxy: the message says how to put one in
    let err = fails(&[
        "run",
        "--preset",
        "steady",
        "--set",
        "topology.proxy.latency_ms=1",
    ]);
    assert!(err.contains("topology.proxy={}"), "{err}");
    // a fault naming a shard that does not exist at its time
    let dir = std::env::temp_dir().join(format!("cachesim-topology-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        r#"{"topology": {"shards": 2}, "faults": [
            {"at_s": 1, "command": {"type": "add_shard"}},
            {"at_s": 2, "command": {"type": "crash_cache", "shard": 2}},
            {"at_s": 0.5, "command": {"type": "crash_cache", "shard": 2}}]}"#,
    )
    .unwrap();
    let err = fails(&["validate", file.to_str().unwrap()]);
    assert!(
        err.contains("faults[2].command.shard") && err.contains("0 to 1"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_v1_run_names_its_architecture_and_its_shards() {
    let out = ok(&["run", "--preset", "v1-shard-crash", "--seconds", "70"]);
    assert!(
        out.contains("architecture V1: pods -> CacheProxyService"),
        "{out}"
    );
    assert!(out.contains("shard  1:") && out.contains("(down)"), "{out}");
    let v = json(&[
        "run",
        "--preset",
        "v1-steady",
        "--seconds",
        "5",
        "--format",
        "json",
    ]);
    assert_eq!(v["topology"]["design"], "V1");
    assert_eq!(v["shards"].as_array().unwrap().len(), 3);
    let csv = ok(&[
        "run",
        "--preset",
        "v1-steady",
        "--seconds",
        "3",
        "--format",
        "csv",
    ]);
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with("shard2_ops,shard2_cpu,shard2_hit_rate"),
        "{header}"
    );
    assert!(csv
        .lines()
        .skip(1)
        .all(|l| l.split(',').count() == header.split(',').count()));
    // the scenario command prints the topology, and a file from it runs
    let scenario = ok(&["scenario", "--preset", "v1-resize"]);
    assert!(
        scenario.contains("\"router\": \"ring\"") && scenario.contains("add_shard"),
        "{scenario}"
    );
}

#[test]
fn the_mix_changes_with_several_sets_validated_once() {
    let v = json(&[
        "run",
        "--preset",
        "steady",
        "--seconds",
        "3",
        "--format",
        "json",
        "--set",
        "client.read_fraction=0.70",
        "--set",
        "client.write_fraction=0.20",
    ]);
    assert!(v["requests"].as_u64().unwrap() > 20_000);
    // one change alone breaks the sum: the message names the field and the sum
    let err = fails(&[
        "run",
        "--preset",
        "steady",
        "--set",
        "client.read_fraction=0.70",
    ]);
    assert!(
        err.contains("--set client.read_fraction=0.70") && err.contains("add up to 0.95"),
        "{err}"
    );
}
