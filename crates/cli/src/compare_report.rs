//! `cachesim compare` output: a table with one column per design (and the
//! seed's own figures beside it), a JSON document, or one CSV row per design.

use cachesim_core::compare::{DesignResult, Peak};
use serde::Serialize;
use std::io::{self, Write};

/// A count or rate, rounded, with separators.
fn int(n: f64) -> String {
    crate::report::int(n.max(0.0).round() as u64)
}

fn pct(x: f64) -> String {
    if x > 0.999 && x < 1.0 {
        format!("{:.3}%", x * 100.0)
    } else {
        format!("{:.1}%", x * 100.0)
    }
}

fn peak(p: &Option<Peak>) -> String {
    match p {
        Some(p) => int(p.rps),
        None => "-".into(),
    }
}

/// One row of the table: a label and a cell per design.
fn rows(results: &[DesignResult], stampede: u32) -> Vec<(String, Vec<String>)> {
    let col = |f: &dyn Fn(&DesignResult) -> String| results.iter().map(f).collect::<Vec<_>>();
    let mut rows = vec![
        (
            "peak RPS, as configured".to_string(),
            col(&|r| peak(&r.peak)),
        ),
        (
            "peak RPS, cache tier".to_string(),
            col(&|r| peak(&r.cache_tier_peak)),
        ),
        (
            "hit rate, whole run".to_string(),
            col(&|r| pct(r.summary.hit_rate)),
        ),
    ];
    if results.iter().any(|r| r.fault.is_some()) {
        let f = |g: &dyn Fn(&cachesim_core::compare::FaultWindow) -> String| {
            col(&|r: &DesignResult| r.fault.as_ref().map_or("-".into(), g))
        };
        rows.extend([
            (
                "hit rate before the fault".into(),
                f(&|w| pct(w.steady_hit_rate)),
            ),
            (
                "hit rate in the fault, lowest".into(),
                f(&|w| pct(w.min_hit_rate)),
            ),
            (
                "DB queries/s offered, before".into(),
                f(&|w| int(w.steady_db_offered)),
            ),
            (
                "DB queries/s offered, fault peak".into(),
                f(&|w| {
                    format!(
                        "{} ({:.1}x)",
                        int(w.peak_db_offered as f64),
                        w.db_extra_load
                    )
                }),
            ),
            (
                "errors in the fault".into(),
                f(&|w| format!("{} ({})", int(w.errors as f64), pct(w.error_rate))),
            ),
        ]);
    }
    let lat = |p: &cachesim_core::summary::Percentiles| {
        if p.p99 < 10.0 {
            format!("{:.2} / {:.2}", p.p50, p.p99)
        } else {
            format!("{:.2} / {:.0}", p.p50, p.p99)
        }
    };
    rows.extend([
        (
            format!("DB queries from {stampede} misses on a hot key"),
            col(&|r| int(r.stampede_queries as f64)),
        ),
        (
            "hit latency p50 / p99 (ms)".into(),
            col(&|r| lat(&r.summary.latency_ms.hit)),
        ),
        (
            "all requests p50 / p99 (ms)".into(),
            col(&|r| lat(&r.summary.latency_ms.with_failures)),
        ),
        (
            "L1 share of reads".into(),
            col(&|r| pct(r.summary.tiers.l1_hit_share)),
        ),
        (
            "stale reads (p99 age)".into(),
            col(&|r| {
                format!(
                    "{} ({})",
                    int(r.summary.stale_reads as f64),
                    age(r.summary.stale_age_p99_ms)
                )
            }),
        ),
        (
            "longest staleness".into(),
            col(&|r| age(r.summary.stale_age_max_ms as f64)),
        ),
        (
            "lost writes (failover)".into(),
            col(&|r| int(r.summary.tiers.lost_writes as f64)),
        ),
        ("availability".into(), col(&|r| pct(r.summary.availability))),
        (
            "monthly cost".into(),
            col(&|r| format!("${}", int(r.summary.cost.monthly_usd))),
        ),
        (
            "$ per 1K requests served".into(),
            col(&|r| format!("${:.6}", r.summary.cost_per_1k_requests)),
        ),
        (
            "$/month per op/s of peak".into(),
            col(&|r| {
                if r.cost_per_peak_ops > 0.0 {
                    format!("${:.4}", r.cost_per_peak_ops)
                } else {
                    "-".into()
                }
            }),
        ),
        (
            "the seed's table".into(),
            col(&|r| {
                cachesim_core::compare::seed_row(r.design.name()).map_or("-".into(), |s| {
                    format!(
                        "{}K ops/s, ${}, {}",
                        s.ops_per_s / 1_000.0,
                        int(s.monthly_usd),
                        cachesim_core::compare::availability_text(s.availability)
                    )
                })
            }),
        ),
    ]);
    rows
}

fn age(ms: f64) -> String {
    if ms <= 0.0 {
        "-".into()
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1_000.0)
    }
}

pub fn write_table(
    out: &mut impl Write,
    scenario: &cachesim_core::Scenario,
    seconds: f64,
    results: &[DesignResult],
) -> io::Result<()> {
    writeln!(
        out,
        "cachesim compare: {} (seed {}), {} simulated seconds at {} RPS, the same arrivals and faults for every design",
        scenario.name,
        scenario.seed,
        seconds,
        int(scenario.client.rps)
    )?;
    for f in &scenario.faults {
        writeln!(out, "  at {:>6} s  {}", f.at_s, f.command.label())?;
    }
    writeln!(out)?;
    let table = rows(results, cachesim_core::compare::STAMPEDE);
    let label_w = table.iter().map(|r| r.0.len()).max().unwrap_or(0) + 2;
    let widths: Vec<usize> = (0..results.len())
        .map(|i| table.iter().map(|r| r.1[i].len()).max().unwrap_or(0).max(4) + 2)
        .collect();
    write!(out, "{:label_w$}", "")?;
    for (r, w) in results.iter().zip(&widths) {
        write!(out, "{:>w$}", format!("{:?}", r.design))?;
    }
    writeln!(out)?;
    for (label, cells) in &table {
        write!(out, "{label:label_w$}")?;
        for (c, w) in cells.iter().zip(&widths) {
            write!(out, "{c:>w$}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    for r in results {
        writeln!(out, "{:?}: {}", r.design, r.summary.topology.description)?;
        if let Some(p) = &r.cache_tier_peak {
            writeln!(out, "    cache-tier peak limited by {}", p.limit)?;
        }
        if let Some(p) = &r.peak {
            writeln!(out, "    as configured, limited by {}", p.limit)?;
        }
        let bill: Vec<String> = r
            .summary
            .cost
            .lines
            .iter()
            .map(|l| format!("{} x{} ${}", l.component, l.count, int(l.monthly_usd)))
            .collect();
        writeln!(out, "    bill: {}", bill.join(", "))?;
    }
    Ok(())
}

/// One design in the JSON output: everything but the per-second history.
#[derive(Serialize)]
struct JsonRow<'a> {
    design: String,
    summary: &'a cachesim_core::Summary,
    fault: &'a Option<cachesim_core::compare::FaultWindow>,
    stampede_queries: u64,
    peak: &'a Option<Peak>,
    cache_tier_peak: &'a Option<Peak>,
    cost_per_peak_ops: f64,
}

pub fn write_json(out: &mut impl Write, results: &[DesignResult]) -> io::Result<()> {
    let rows: Vec<JsonRow> = results
        .iter()
        .map(|r| JsonRow {
            design: format!("{:?}", r.design),
            summary: &r.summary,
            fault: &r.fault,
            stampede_queries: r.stampede_queries,
            peak: &r.peak,
            cache_tier_peak: &r.cache_tier_peak,
            cost_per_peak_ops: r.cost_per_peak_ops,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::from)?;
    writeln!(out)
}

pub fn write_csv(out: &mut impl Write, results: &[DesignResult]) -> io::Result<()> {
    writeln!(
        out,
        "design,peak_rps,cache_tier_peak_rps,hit_rate,fault_min_hit_rate,fault_peak_db_offered,fault_db_extra_load,fault_errors,stampede_queries,hit_p50_ms,hit_p99_ms,all_p50_ms,all_p99_ms,l1_hit_share,stale_reads,stale_age_p99_ms,stale_age_max_ms,lost_writes,availability,monthly_usd,usd_per_1k_requests,usd_per_peak_ops"
    )?;
    for r in results {
        let s = &r.summary;
        let f = r.fault.clone().unwrap_or_default();
        let p = |x: &Option<Peak>| {
            x.as_ref()
                .map_or(String::new(), |p| format!("{:.0}", p.rps))
        };
        writeln!(
            out,
            "{:?},{},{},{:.6},{:.6},{},{:.4},{},{},{},{},{},{},{:.6},{},{},{},{},{:.6},{:.2},{:.8},{:.6}",
            r.design,
            p(&r.peak),
            p(&r.cache_tier_peak),
            s.hit_rate,
            f.min_hit_rate,
            f.peak_db_offered,
            f.db_extra_load,
            f.errors,
            r.stampede_queries,
            s.latency_ms.hit.p50,
            s.latency_ms.hit.p99,
            s.latency_ms.with_failures.p50,
            s.latency_ms.with_failures.p99,
            s.tiers.l1_hit_share,
            s.stale_reads,
            s.stale_age_p99_ms,
            s.stale_age_max_ms,
            s.tiers.lost_writes,
            s.availability,
            s.cost.monthly_usd,
            s.cost_per_1k_requests,
            r.cost_per_peak_ops
        )?;
    }
    Ok(())
}
