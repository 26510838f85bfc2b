//! The same closed loop driven by PostgreSQL's own `pgbench` instead of
//! our tokio client: a second, independent client for the connection
//! curve, so a gap between the model and the curve can be put on the
//! server or on our load generator.

use crate::load::DbShape;
use anyhow::{anyhow, Context, Result};
use std::path::Path;

/// What `pgbench` reported for one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bench {
    /// transactions (here: one query each) per second, connections excluded
    pub tps: f64,
    /// mean latency, ms
    pub latency_ms: f64,
}

/// The curve's query as a pgbench script: a uniform key, as `curve_point` draws.
pub fn script(shape: DbShape, keys: u64) -> String {
    let sql = shape.miss_sql().replace("$1", "'k' || :k");
    format!("\\set k random(1, {keys})\n{sql};\n")
}

/// Reads tps and the mean latency from pgbench's report.
pub fn parse(out: &str) -> Option<Bench> {
    let after = |key: &str| -> Option<f64> {
        let line = out.lines().find(|l| l.trim_start().starts_with(key))?;
        line.split('=')
            .nth(1)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some(Bench {
        tps: after("tps")?,
        latency_ms: after("latency average")?,
    })
}

/// `clients` connections on 2 threads running the curve's query back to
/// back for `secs` (prepared statements, no vacuum first).
pub fn run(
    bindir: &Path,
    port: u16,
    shape: DbShape,
    keys: u64,
    clients: u32,
    secs: u32,
) -> Result<Bench> {
    let file = std::env::temp_dir().join(format!("realcheck-pgbench-{}.sql", std::process::id()));
    std::fs::write(&file, script(shape, keys))?;
    let out = std::process::Command::new(bindir.join("pgbench"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &secs.to_string()])
        .arg("-f")
        .arg(&file)
        .arg("postgres")
        .output()
        .context("run pgbench")?;
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout);
    parse(&text).ok_or_else(|| {
        anyhow!(
            "pgbench gave no tps: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pgbench_15s_report() {
        let out = "pgbench (15.18 (Debian 15.18-0+deb12u1))\ntransaction type: q.sql\nscaling factor: 1\nquery mode: prepared\nnumber of clients: 200\nnumber of threads: 2\nmaximum number of tries: 1\nduration: 3 s\nnumber of transactions actually processed: 35866\nnumber of failed transactions: 0 (0.000%)\nlatency average = 16.784 ms\ninitial connection time = 180.233 ms\ntps = 11916.113965 (without initial connection time)\n";
        assert_eq!(
            parse(out),
            Some(Bench {
                tps: 11916.113965,
                latency_ms: 16.784
            })
        );
        assert_eq!(parse("pgbench: error: connection refused"), None);
    }

    #[test]
    fn the_script_runs_the_curves_query_on_a_drawn_key() {
        let s = script(DbShape::Sleep(12.0), 500);
        assert!(s.starts_with("\\set k random(1, 500)\n"), "{s}");
        assert!(
            s.contains("pg_sleep(0.012)") && s.contains("v.key = 'k' || :k;"),
            "{s}"
        );
        assert!(!s.contains("$1"));
    }
}
