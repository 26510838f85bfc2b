//! `cachesim`: runs cachesim scenarios headless.
//!
//! ```text
//! cachesim presets
//! cachesim run --preset steady --seconds 60 --format json
//! cachesim scenario --preset hot-key > my.json
//! cachesim validate my.json
//! cachesim run --scenario my.json --set client.rps=20000 --format csv
//! ```
//!
//! Exit status: 0 on success, 2 for any usage or scenario error (one line on
//! stderr naming the flag or field and what it allows), 1 if writing the
//! output fails.

mod args;
mod compare_report;
mod report;

use args::{Cmd, CompareArgs, CompareFormat, Format, RunArgs, Source, UsageError};
use cachesim_core::{presets, ConfigError, Scenario, Simulation, Summary};
use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Largest scenario file read (a real one is a few KB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why the command failed.
enum Failure {
    /// Bad input: exit 2 with this message.
    Input(String),
    /// Writing the result failed: exit 1 (silently for a closed pipe).
    Output(io::Error),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Input(e.0)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

fn input<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Input(msg.into()))
}

fn main() -> ExitCode {
    let argv: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(v) => v,
        Err(bad) => {
            eprintln!("error: argument {bad:?} is not valid UTF-8");
            return ExitCode::from(2);
        }
    };
    match args::parse(&argv).map_err(Failure::from).and_then(execute) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(1),
        Err(Failure::Output(e)) => {
            eprintln!("error: writing output failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn execute(cmd: Cmd) -> Result<(), Failure> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match cmd {
        Cmd::Help => out.write_all(args::USAGE.as_bytes())?,
        Cmd::Version => writeln!(out, "cachesim {}", env!("CARGO_PKG_VERSION"))?,
        Cmd::Presets => {
            let width = presets::PRESETS
                .iter()
                .map(|p| p.name.len())
                .max()
                .unwrap_or(0);
            for p in presets::PRESETS {
                writeln!(out, "{:width$}  {}", p.name, p.description)?;
            }
        }
        Cmd::Validate(file) => {
            let scenario = load_file(&file)?;
            writeln!(out, "ok: {}", scenario.name)?;
        }
        Cmd::Scenario { preset, seed, sets } => {
            let scenario = build(&Source::Preset(preset), seed, &sets)?;
            writeln!(out, "{}", scenario.to_json_pretty())?;
        }
        Cmd::Run(run_args) => run(&run_args, &mut out)?,
        Cmd::Compare(a) => compare(&a, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn unknown_preset(name: &str) -> Failure {
    let names: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
    Failure::Input(format!(
        "unknown preset '{name}'; valid presets: {}",
        names.join(", ")
    ))
}

/// Reads and checks a scenario file.
fn load_file(path: &str) -> Result<Scenario, Failure> {
    let cant = |e: io::Error| Failure::Input(format!("cannot read scenario file '{path}': {e}"));
    let file = std::fs::File::open(path).map_err(cant)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cant)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return input(format!(
            "scenario file '{path}' is too large (over {} MiB); a scenario is a small JSON object",
            MAX_FILE_BYTES / 1024 / 1024
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Failure::Input(format!(
            "scenario file '{path}' is not UTF-8 text (invalid byte at offset {}); expected a JSON object",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let body = text.trim_start();
    if body.is_empty() {
        return input(format!(
            "scenario file '{path}' is empty; expected a JSON object (try `cachesim scenario --preset steady`)"
        ));
    }
    if !body.starts_with('{') {
        let found: String = body.chars().take(20).collect();
        return input(format!(
            "invalid scenario file '{path}': expected a JSON object starting with '{{', found '{}'",
            found.escape_debug()
        ));
    }
    Scenario::from_json(text)
        .map_err(|e| Failure::Input(format!("invalid scenario file '{path}': {}", describe(&e))))
}

/// `ConfigError`'s text, with a hint when the error has no field (JSON syntax).
fn describe(e: &ConfigError) -> String {
    if e.field.is_empty() {
        format!("{e} (expected a JSON object of scenario fields)")
    } else {
        e.to_string()
    }
}

/// Drops serde_json's ` at line L column C`: for `--set` it points into
/// an internal re-serialisation, not at anything the user wrote.
fn strip_position(msg: &str) -> String {
    if let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        if let Some((line, col)) = tail.split_once(" column ") {
            if !line.is_empty()
                && line.bytes().all(|b| b.is_ascii_digit())
                && !col.is_empty()
                && col.bytes().all(|b| b.is_ascii_digit())
            {
                return msg[..i].to_string();
            }
        }
    }
    msg.to_string()
}

/// The scenario to run: the preset or file, then each `--set`, then `--seed`.
fn build(
    source: &Source,
    seed: Option<u64>,
    sets: &[(String, String)],
) -> Result<Scenario, Failure> {
    let mut scenario = match source {
        Source::Preset(name) => presets::preset(name).ok_or_else(|| unknown_preset(name))?,
        Source::File(path) => load_file(path)?,
    };
    // every --set first, then one validation: the mix can be changed as a whole
    let pairs: Vec<(&str, &str)> = sets.iter().map(|(p, v)| (p.as_str(), v.as_str())).collect();
    scenario.set_paths(&pairs).map_err(|e| {
        let related = |p: &str| {
            p == e.field
                || e.field.starts_with(&format!("{p}."))
                || p.starts_with(&format!("{}.", e.field))
        };
        let culprit = sets.iter().rev().find(|(p, _)| related(p));
        let what = strip_position(&describe(&e));
        Failure::Input(match culprit {
            Some((path, value)) => format!("--set {path}={value}: {what}"),
            None => format!("after every --set: {what}"),
        })
    })?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Peak resident set size in MiB (Linux `VmHWM`), if the OS tells it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Progress on stderr: `\r[ 42%] t=126 s` every ~2% on a terminal; on a
/// pipe or file, a line every ~10% once the run has taken over 2 s.
struct Progress {
    tty: bool,
    start: Instant,
    total: f64,
    last_pct: Option<u32>,
    drew: bool,
}

impl Progress {
    fn new(total: f64, start: Instant) -> Self {
        Progress {
            tty: io::stderr().is_terminal(),
            start,
            total,
            last_pct: None,
            drew: false,
        }
    }

    fn update(&mut self, t: f64) {
        let pct = ((t / self.total) * 100.0).floor().clamp(0.0, 100.0) as u32;
        let step = if self.tty { 2 } else { 10 };
        let bucket = pct / step * step;
        if self.last_pct == Some(bucket) {
            return;
        }
        let slow = self.start.elapsed().as_secs_f64() > 2.0;
        if !(self.tty || slow) {
            return;
        }
        self.last_pct = Some(bucket);
        let mut err = io::stderr().lock();
        // progress is best effort: a closed stderr must not stop the run
        if self.tty {
            let _ = write!(err, "\r[{pct:3}%] t={t:.0} s of {:.0} s", self.total);
        } else {
            let _ = writeln!(err, "[{pct:3}%] t={t:.0} s of {:.0} s", self.total);
        }
        let _ = err.flush();
        self.drew = true;
    }

    fn finish(&mut self) {
        if self.tty && self.drew {
            let _ = write!(io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

/// Extra fields of `--format json` beside the core's summary.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    /// null where the OS does not report it.
    peak_rss_mb: Option<f64>,
    wall_seconds: f64,
    sim_requests_per_wall_second: f64,
}

/// `cachesim compare`: every design on the scenario's traffic and faults.
fn compare(a: &CompareArgs, out: &mut impl Write) -> Result<(), Failure> {
    use cachesim_core::compare::{self, CompareOptions, PeakSearch};
    let scenario = build(&a.source, a.seed, &a.sets)?;
    let seconds = a.seconds.unwrap_or(scenario.duration_s);
    for &d in &a.designs {
        compare::design_scenario(&scenario, d)
            .validate()
            .map_err(|e| Failure::Input(format!("as {}: {}", d.name(), describe(&e))))?;
    }
    let opts = CompareOptions {
        seconds,
        peak: a.peak.then(PeakSearch::default),
    };
    if a.peak {
        eprintln!("searching each design's peak RPS too (--peak off skips it)...");
    }
    let results =
        compare::compare(&scenario, &a.designs, &opts).map_err(|e| Failure::Input(describe(&e)))?;
    match a.format {
        CompareFormat::Table => compare_report::write_table(out, &scenario, seconds, &results)?,
        CompareFormat::Json => compare_report::write_json(out, &results)?,
        CompareFormat::Csv => compare_report::write_csv(out, &results)?,
    }
    Ok(())
}

fn run(a: &RunArgs, out: &mut impl Write) -> Result<(), Failure> {
    let scenario = build(&a.source, a.seed, &a.sets)?;
    let seconds = a.seconds.unwrap_or(scenario.duration_s);
    let start = Instant::now();
    let mut sim = Simulation::new(scenario).map_err(|e| Failure::Input(describe(&e)))?;
    let mut progress = Progress::new(seconds, start);
    // chunks of about a simulated second (at least 50): the run is identical
    // however it is chunked, and progress stays responsive
    let steps = (seconds.ceil() as u64).max(50);
    for i in 1..=steps {
        let t = if i == steps {
            seconds
        } else {
            seconds * i as f64 / steps as f64
        };
        sim.advance_to(t);
        progress.update(t);
    }
    progress.finish();
    let wall = start.elapsed().as_secs_f64();
    let summary = Summary::of(&sim);
    match a.format {
        Format::Json => {
            let report = JsonReport {
                summary: &summary,
                peak_rss_mb: peak_rss_mb(),
                wall_seconds: wall,
                sim_requests_per_wall_second: if wall > 0.0 {
                    summary.requests as f64 / wall
                } else {
                    0.0
                },
            };
            serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let history = sim.history();
            if (history.len() as f64) < seconds.floor() {
                eprintln!(
                    "note: the per-second history keeps the last {} seconds; earlier seconds are not in the CSV",
                    history.len()
                );
            }
            report::write_csv(out, &sim)?;
        }
        Format::Summary => report::write_summary(out, &sim, &summary, wall, peak_rss_mb())?,
    }
    Ok(())
}
