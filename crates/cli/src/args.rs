//! Command-line parsing with plain `std`: four subcommands and a handful of
//! flags do not need a parser crate. Every problem is a [`UsageError`] whose
//! message names the flag and what it accepts.

use std::fmt;

pub const USAGE: &str = "\
cachesim - run cache-aside simulations headless

USAGE:
    cachesim presets
    cachesim run (--preset NAME | --scenario FILE) [--seconds N] [--seed N]
                 [--set PATH=VALUE]... [--format summary|json|csv]
    cachesim validate FILE
    cachesim scenario --preset NAME [--seed N] [--set PATH=VALUE]...
    cachesim compare (--preset NAME | --scenario FILE) [--designs v0,v1,v2]
                 [--seconds N] [--seed N] [--set PATH=VALUE]...
                 [--peak on|off] [--format table|json|csv]
    cachesim --help | --version

COMMANDS:
    presets     List the built-in scenarios with a one-line description.
    run         Run a scenario and print its results.
    validate    Check a scenario file; prints `ok: NAME` or the problem.
    scenario    Print a preset's scenario as JSON (a starting point for a file).
    compare     Run the seed's designs (V0, V1, V2) on the same traffic and
                faults, and print them side by side with their cost.

RUN OPTIONS:
    --preset NAME       A built-in scenario (see `cachesim presets`).
    --scenario FILE     A scenario JSON file (see `cachesim scenario`).
    --seconds N         Simulated seconds to run (1..86400; default: the
                        scenario's duration_s).
    --seed N            Seed of every random stream (0..2^64-1; default: the
                        scenario's seed). Same scenario + seed = same run.
    --set PATH=VALUE    Change one scenario field by dotted path, e.g.
                        --set client.rps=20000 --set cache.eviction=allkeys-lru
                        (repeatable; VALUE is JSON, or else a string).
                        The architecture: --set topology.shards=3
                        --set topology.router=mod-n --set topology.vnodes=150
                        --set 'topology.proxy={}' (a CacheProxyService with
                        defaults; null takes it out), then e.g.
                        --set topology.proxy.single_flight=false,
                        --set topology.warmup.enabled=true.
    --format FORMAT     summary (default): readable text;
                        json: one summary object (plus peak_rss_mb,
                        wall_seconds, sim_requests_per_wall_second);
                        csv: the per-second series, one row per second.

COMPARE OPTIONS (and --preset, --scenario, --seconds, --seed, --set as above):
    --designs LIST      Which designs, comma-separated (default v0,v1,v2).
                        Each runs the scenario with its topology replaced;
                        the arrivals are identical, and a fault on shard N
                        hits shard N mod the design's shard count.
    --peak on|off       Search each design's peak sustainable RPS (default
                        on; about a minute): the rate doubles from 1K until
                        a 5 s trial fails (>= 0.1% errors or p99 >= 100 ms),
                        then bisection to within 5%. Once as configured and
                        once for the cache tier alone (LB, pods, DB given
                        room), which is the figure the seed's table quotes.
    --format FORMAT     table (default), json (every measurement per
                        design), csv (one row per design).

Progress goes to stderr; stdout carries only the result.
Exit status: 0 on success, 2 on a usage or scenario error, 1 if output fails.
";

/// A bad command line: shown on stderr, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage_err<T>(msg: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(msg.into()))
}

/// Where the scenario comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Preset(String),
    File(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Summary,
    Json,
    Csv,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub source: Source,
    pub seconds: Option<f64>,
    pub seed: Option<u64>,
    pub sets: Vec<(String, String)>,
    pub format: Format,
}

/// How `compare` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompareArgs {
    pub source: Source,
    pub seconds: Option<f64>,
    pub seed: Option<u64>,
    pub sets: Vec<(String, String)>,
    pub designs: Vec<cachesim_core::compare::Design>,
    pub peak: bool,
    pub format: CompareFormat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Compare(CompareArgs),
    Help,
    Version,
    Presets,
    Run(RunArgs),
    Validate(String),
    Scenario {
        preset: String,
        seed: Option<u64>,
        sets: Vec<(String, String)>,
    },
}

/// Splits `--flag=value` / `--flag value` into (flag, value) pairs, and keeps
/// positional arguments apart.
struct Flags {
    pairs: Vec<(String, String)>,
    positional: Vec<String>,
    help: bool,
}

/// Flags of each subcommand that take a value.
fn split(args: &[String], known: &[&str], cmd: &str) -> Result<Flags, UsageError> {
    let mut out = Flags {
        pairs: Vec::new(),
        positional: Vec::new(),
        help: false,
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "-h" || a == "--help" {
            out.help = true;
            continue;
        }
        if a == "--" {
            out.positional.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let flag = format!("--{name}");
            if !known.contains(&flag.as_str()) {
                let allowed = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                return usage_err(format!(
                    "unknown option '{flag}' for `cachesim {cmd}` (options: {allowed})"
                ));
            }
            let value = match inline {
                Some(v) => v,
                None => {
                    if i >= args.len() {
                        return usage_err(format!("{flag} needs a value"));
                    }
                    i += 1;
                    args[i - 1].clone()
                }
            };
            out.pairs.push((flag, value));
        } else if a.starts_with('-') && a.len() > 1 {
            return usage_err(format!(
                "unknown option '{a}' for `cachesim {cmd}` (try --help)"
            ));
        } else {
            out.positional.push(a.clone());
        }
    }
    Ok(out)
}

fn once(slot: &mut Option<String>, flag: &str, value: String) -> Result<(), UsageError> {
    if slot.is_some() {
        return usage_err(format!("{flag} given more than once"));
    }
    *slot = Some(value);
    Ok(())
}

pub fn parse_seconds(v: &str) -> Result<f64, UsageError> {
    let (lo, hi) = cachesim_core::scenario::limits::DURATION_S;
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
        _ => usage_err(format!(
            "--seconds: must be a number of simulated seconds between {lo} and {hi}, got '{v}'"
        )),
    }
}

pub fn parse_seed(v: &str) -> Result<u64, UsageError> {
    match v.trim().parse::<u64>() {
        Ok(x) => Ok(x),
        Err(_) => usage_err(format!(
            "--seed: must be a whole number between 0 and {}, got '{v}'",
            u64::MAX
        )),
    }
}

pub fn parse_format(v: &str) -> Result<Format, UsageError> {
    match v {
        "summary" => Ok(Format::Summary),
        "json" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        _ => usage_err(format!(
            "--format: must be one of summary, json, csv, got '{v}'"
        )),
    }
}

pub fn parse_set(v: &str) -> Result<(String, String), UsageError> {
    match v.split_once('=') {
        Some((path, value)) if !path.trim().is_empty() => {
            Ok((path.trim().to_string(), value.to_string()))
        }
        _ => usage_err(format!(
            "--set: expects PATH=VALUE (e.g. client.rps=20000), got '{v}'"
        )),
    }
}

fn no_positional(f: &Flags, cmd: &str) -> Result<(), UsageError> {
    match f.positional.first() {
        Some(p) => usage_err(format!(
            "unexpected argument '{p}' for `cachesim {cmd}` (try --help)"
        )),
        None => Ok(()),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Cmd, UsageError> {
    let Some(first) = args.first() else {
        return usage_err(
            "no command given (commands: presets, run, validate, scenario, compare; try --help)",
        );
    };
    let rest = &args[1..];
    match first.as_str() {
        "-h" | "--help" | "help" => Ok(Cmd::Help),
        "-V" | "--version" | "version" => Ok(Cmd::Version),
        "presets" => {
            let f = split(rest, &[], "presets")?;
            if f.help {
                return Ok(Cmd::Help);
            }
            no_positional(&f, "presets")?;
            Ok(Cmd::Presets)
        }
        "run" => {
            let Some(f) = scenario_flags(rest, &["--format"], "run")? else {
                return Ok(Cmd::Help);
            };
            let [format] = &f.own[..] else {
                unreachable!("one own flag")
            };
            Ok(Cmd::Run(RunArgs {
                source: f.source,
                seconds: f.seconds,
                seed: f.seed,
                sets: f.sets,
                format: format
                    .as_deref()
                    .map(parse_format)
                    .transpose()?
                    .unwrap_or(Format::Summary),
            }))
        }
        "compare" => parse_compare(rest),
        "validate" => {
            let f = split(rest, &[], "validate")?;
            if f.help {
                return Ok(Cmd::Help);
            }
            match f.positional.as_slice() {
                [file] => Ok(Cmd::Validate(file.clone())),
                [] => usage_err("`cachesim validate` needs a scenario FILE"),
                [_, extra, ..] => usage_err(format!(
                    "unexpected argument '{extra}': `cachesim validate` checks one FILE"
                )),
            }
        }
        "scenario" => {
            let f = split(rest, &["--preset", "--seed", "--set"], "scenario")?;
            if f.help {
                return Ok(Cmd::Help);
            }
            no_positional(&f, "scenario")?;
            let (mut preset, mut seed) = (None, None);
            let mut sets = Vec::new();
            for (flag, value) in f.pairs {
                match flag.as_str() {
                    "--preset" => once(&mut preset, &flag, value)?,
                    "--seed" => once(&mut seed, &flag, value)?,
                    "--set" => sets.push(parse_set(&value)?),
                    _ => unreachable!("split() only passes known flags"),
                }
            }
            let Some(preset) = preset else {
                return usage_err(
                    "`cachesim scenario` needs --preset NAME (see `cachesim presets`)",
                );
            };
            Ok(Cmd::Scenario {
                preset,
                seed: seed.as_deref().map(parse_seed).transpose()?,
                sets,
            })
        }
        other => usage_err(format!(
            "unknown command '{other}' (commands: presets, run, validate, scenario, compare; try --help)"
        )),
    }
}

/// What `run` and `compare` share: where the scenario comes from, how long
/// it runs, its seed and the `--set` changes; and the subcommand's `own`
/// flags, each at most once, in `own`'s order.
struct ScenarioFlags {
    source: Source,
    seconds: Option<f64>,
    seed: Option<u64>,
    sets: Vec<(String, String)>,
    own: Vec<Option<String>>,
}

/// Parses `run`'s or `compare`'s arguments (`None`: help was asked for).
fn scenario_flags(
    rest: &[String],
    own: &[&str],
    cmd: &str,
) -> Result<Option<ScenarioFlags>, UsageError> {
    let mut known = vec!["--preset", "--scenario", "--seconds", "--seed", "--set"];
    known.extend_from_slice(own);
    let f = split(rest, &known, cmd)?;
    if f.help {
        return Ok(None);
    }
    no_positional(&f, cmd)?;
    let (mut preset, mut file, mut seconds, mut seed) = (None, None, None, None);
    let mut sets = Vec::new();
    let mut own_values = vec![None; own.len()];
    for (flag, value) in f.pairs {
        match flag.as_str() {
            "--preset" => once(&mut preset, &flag, value)?,
            "--scenario" => once(&mut file, &flag, value)?,
            "--seconds" => once(&mut seconds, &flag, value)?,
            "--seed" => once(&mut seed, &flag, value)?,
            "--set" => sets.push(parse_set(&value)?),
            other => {
                let i = own
                    .iter()
                    .position(|o| *o == other)
                    .expect("split() only passes known flags");
                once(&mut own_values[i], &flag, value)?;
            }
        }
    }
    Ok(Some(ScenarioFlags {
        source: source_of(preset, file, cmd)?,
        seconds: seconds.as_deref().map(parse_seconds).transpose()?,
        seed: seed.as_deref().map(parse_seed).transpose()?,
        sets,
        own: own_values,
    }))
}

fn source_of(
    preset: Option<String>,
    file: Option<String>,
    cmd: &str,
) -> Result<Source, UsageError> {
    match (preset, file) {
        (Some(p), None) => Ok(Source::Preset(p)),
        (None, Some(f)) => Ok(Source::File(f)),
        (Some(_), Some(_)) => usage_err("give either --preset or --scenario, not both"),
        (None, None) => usage_err(format!(
            "`cachesim {cmd}` needs --preset NAME or --scenario FILE (see `cachesim presets`)"
        )),
    }
}

pub fn parse_designs(v: &str) -> Result<Vec<cachesim_core::compare::Design>, UsageError> {
    let mut out = Vec::new();
    for part in v.split(',') {
        match cachesim_core::compare::Design::parse(part) {
            Some(d) if !out.contains(&d) => out.push(d),
            Some(_) => return usage_err(format!("--designs: '{}' given twice", part.trim())),
            None => {
                return usage_err(format!(
                    "--designs: unknown design '{}'; allowed: v0, v1, v2 (comma-separated)",
                    part.trim()
                ))
            }
        }
    }
    Ok(out)
}

fn parse_compare(rest: &[String]) -> Result<Cmd, UsageError> {
    let Some(f) = scenario_flags(rest, &["--designs", "--peak", "--format"], "compare")? else {
        return Ok(Cmd::Help);
    };
    let [designs, peak, format] = &f.own[..] else {
        unreachable!("three own flags")
    };
    let peak = match peak.as_deref() {
        None | Some("on") => true,
        Some("off") => false,
        Some(other) => return usage_err(format!("--peak: must be on or off, got '{other}'")),
    };
    let format = match format.as_deref() {
        None | Some("table") => CompareFormat::Table,
        Some("json") => CompareFormat::Json,
        Some("csv") => CompareFormat::Csv,
        Some(other) => {
            return usage_err(format!(
                "--format: must be one of table, json, csv, got '{other}'"
            ))
        }
    };
    Ok(Cmd::Compare(CompareArgs {
        designs: match designs {
            Some(v) => parse_designs(v)?,
            None => cachesim_core::compare::Design::ALL.to_vec(),
        },
        peak,
        format,
        source: f.source,
        seconds: f.seconds,
        seed: f.seed,
        sets: f.sets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &[&str]) -> Result<Cmd, UsageError> {
        parse(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn run_flags_both_spellings() {
        let Cmd::Run(r) = p(&[
            "run",
            "--preset=steady",
            "--seconds",
            "20",
            "--seed=7",
            "--set",
            "client.rps=5",
            "--format",
            "csv",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(r.source, Source::Preset("steady".into()));
        assert_eq!(r.seconds, Some(20.0));
        assert_eq!(r.seed, Some(7));
        assert_eq!(r.sets, vec![("client.rps".to_string(), "5".to_string())]);
        assert_eq!(r.format, Format::Csv);
    }

    #[test]
    fn bad_values_name_the_flag() {
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
                &["run", "--preset", "steady", "--seconds", "NaN"][..],
                "--seconds",
            ),
            (
                &["run", "--preset", "steady", "--seconds", "inf"][..],
                "--seconds",
            ),
            (&["run", "--preset", "steady", "--seed", "-1"][..], "--seed"),
            (
                &["run", "--preset", "steady", "--format", "xml"][..],
                "--format",
            ),
            (
                &["run", "--preset", "steady", "--set", "client.rps"][..],
                "--set",
            ),
            (&["run", "--preset", "steady", "--set", "=4"][..], "--set"),
            (&["run", "--preset", "steady", "--seconds"][..], "--seconds"),
            (
                &["run", "--preset", "steady", "--bogus", "1"][..],
                "--bogus",
            ),
            (&["run", "--preset", "a", "--preset", "b"][..], "--preset"),
            (
                &["run", "--preset", "a", "--scenario", "b"][..],
                "--scenario",
            ),
            (&["run"][..], "--preset"),
            (&["frobnicate"][..], "frobnicate"),
            (&["validate"][..], "FILE"),
            (&["scenario"][..], "--preset"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.0.contains(needle), "{args:?}: {e}");
        }
        assert!(p(&[]).is_err());
    }

    #[test]
    fn help_anywhere() {
        assert_eq!(p(&["--help"]).unwrap(), Cmd::Help);
        assert_eq!(p(&["run", "--help"]).unwrap(), Cmd::Help);
        assert_eq!(p(&["validate", "-h"]).unwrap(), Cmd::Help);
    }
}
