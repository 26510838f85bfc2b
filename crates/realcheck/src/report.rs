//! Comparison of the real and simulated series, printed and as Markdown/CSV/PNG.

use crate::chart::{self, Panel, Series, MODEL, MODEL2, REAL, REAL2};
use crate::load::{hist, q_ms, DbShape, Sec};
use crate::measure::CurvePoint;
use crate::rel_err;
use crate::scenarios::Outcome;
use anyhow::Result;
use cachesim_core::SecondStats;
use plotters::style::RGBColor;
use std::fmt::Write as _;
use std::path::Path;

/// One compared quantity.
#[derive(Clone, Debug)]
pub struct Row {
    pub scenario: String,
    pub metric: String,
    pub real: f64,
    pub model: f64,
    pub unit: &'static str,
}

impl Row {
    pub fn err(&self) -> Option<f64> {
        rel_err(self.real, self.model)
    }
    pub fn within(&self, tol: f64) -> bool {
        if self.metric.starts_with("(real only)") {
            return true;
        }
        match self.err() {
            Some(e) => e.abs() <= tol,
            None => self.model.abs() < 1e-9,
        }
    }
}

pub fn fmt_err(r: &Row) -> String {
    if r.metric.starts_with("(real only)") {
        return "-".into();
    }
    match r.err() {
        Some(e) => format!("{:+.1}%", e * 100.0),
        None if r.model.abs() < 1e-9 => "0 = 0".into(),
        None => "n/a (real 0)".into(),
    }
}

fn fmt_v(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Seconds [a, b) of a series.
pub fn window<T>(v: &[T], a: f64, b: f64) -> &[T] {
    let a = (a.max(0.0) as usize).min(v.len());
    let b = (b.max(0.0) as usize).min(v.len()).max(a);
    &v[a..b]
}

pub fn real_hit(v: &[Sec]) -> f64 {
    let (h, r) = v.iter().fold((0, 0), |(h, r), s| (h + s.hits, r + s.reads));
    if r == 0 {
        0.0
    } else {
        h as f64 / r as f64
    }
}

pub fn sim_hit(v: &[SecondStats]) -> f64 {
    let (h, r) = v.iter().fold((0, 0), |(h, r), s| (h + s.hits, r + s.reads));
    if r == 0 {
        0.0
    } else {
        h as f64 / r as f64
    }
}

pub fn mean<T>(v: &[T], f: impl Fn(&T) -> f64) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().map(f).sum::<f64>() / v.len() as f64
    }
}

pub fn merged(
    v: &[Sec],
    f: impl Fn(&Sec) -> &hdrhistogram::Histogram<u64>,
) -> hdrhistogram::Histogram<u64> {
    let mut h = hist();
    for s in v {
        let _ = h.add(f(s));
    }
    h
}

/// The quantities the issue asks for, for one scenario.
pub fn compare(o: &Outcome) -> Vec<Row> {
    let sc = format!("{} ({})", o.spec.name, o.spec.shape.label());
    let mut rows = Vec::new();
    let mut row = |metric: &str, real: f64, model: f64, unit: &'static str| {
        rows.push(Row {
            scenario: sc.clone(),
            metric: metric.into(),
            real,
            model,
            unit,
        })
    };
    let end = o.spec.seconds;
    // the steady window: after 3 s of settling, before any fault
    let steady_end = o
        .spec
        .crash_at
        .map(|c| c.0)
        .or(o.spec.memory.map(|m| m.0))
        .unwrap_or(end);
    let (rw, sw) = (
        window(&o.real, 3.0, steady_end),
        window(&o.sim, 3.0, steady_end),
    );
    let steady_real = real_hit(rw);
    let steady_sim = sim_hit(sw);
    row("steady hit rate", steady_real, steady_sim, "");
    let lag = merged(&o.real, |s| &s.gen_lag);
    for (q, p) in [(0.99, "p99"), (0.999, "p99.9")] {
        row(
            &format!("(real only) load generator: {p} lateness of a send after its scheduled time"),
            q_ms(&lag, q),
            0.0,
            "ms",
        );
    }
    let (ping, select1, after_db) = (o.hops.redis, o.hops.pg, o.hops.after_db);
    row(
        "(real only) Redis PING round trip, paced probe during the load (a miss's GET), p50 (-> app.cache_rtt_ms)",
        ping.p50_ms,
        o.scenario.app.cache_rtt_ms,
        "ms",
    );
    row(
        "(real only) Redis PING round trip, paced probe during the load (a miss's GET), p99 (-> app.cache_rtt_p99_ms)",
        ping.p99_ms,
        o.scenario.app.cache_rtt_p99_ms,
        "ms",
    );
    row(
        "(real only) the probe's PING after its SELECT 1 (a miss's SET), p50 (-> app.cache_rtt_after_db_ms)",
        after_db.p50_ms,
        o.scenario.app.cache_rtt_after_db_ms,
        "ms",
    );
    row(
        "(real only) the probe's SELECT 1 after its PING (a miss's query), p50 (-> app.db_rtt_ms)",
        select1.p50_ms,
        o.scenario.app.db_rtt_ms,
        "ms",
    );
    row(
        "(real only) the probe's SELECT 1 after its PING (a miss's query), p99 (-> app.db_rtt_p99_ms)",
        select1.p99_ms,
        o.scenario.app.db_rtt_p99_ms,
        "ms",
    );
    row(
        "DB queries/s served (steady)",
        mean(rw, |s| s.db_queries as f64),
        mean(sw, |s| s.db_queries as f64),
        "q/s",
    );
    // the model's latency: p50/p99 of the steady seconds' medians and p99s
    // is not a merge; use the whole-run summary when there is no fault
    let whole_run = o.spec.crash_at.is_none() && o.spec.memory.is_none();
    let model_pcts = |run: &cachesim_core::summary::Percentiles,
                      p50: fn(&SecondStats) -> f64,
                      p99: fn(&SecondStats) -> f64| {
        if whole_run {
            (run.p50, run.p99)
        } else {
            (mean(sw, p50), mean(sw, p99))
        }
    };
    let miss = merged(rw, |s| &s.lat_miss);
    let lat = &o.sim_summary.latency_ms;
    let (m50, m99) = model_pcts(&lat.miss, |s| s.miss_p50_ms, |s| s.miss_p99_ms);
    let hit = merged(rw, |s| &s.lat_hit);
    let (h50, h99) = model_pcts(&lat.hit, |s| s.hit_p50_ms, |s| s.hit_p99_ms);
    row("hit latency p50 (GET)", q_ms(&hit, 0.5), h50, "ms");
    row("hit latency p99 (GET)", q_ms(&hit, 0.99), h99, "ms");
    row(
        "miss latency p50 (GET + DB query + SET)",
        q_ms(&miss, 0.5),
        m50,
        "ms",
    );
    row(
        "miss latency p99 (GET + DB query + SET)",
        q_ms(&miss, 0.99),
        m99,
        "ms",
    );
    // one DB query as the client sees it: sent to reply back (the model's
    // db_query_p50_ms/db_query_p99_ms: the round trip with its spread and
    // the time at the DB)
    let db = merged(rw, |s| &s.lat_db);
    row(
        "DB query latency p50 (round trip + time at the DB)",
        q_ms(&db, 0.5),
        mean(sw, |s| s.db_query_p50_ms),
        "ms",
    );
    row(
        "DB query latency p99 (round trip + time at the DB)",
        q_ms(&db, 0.99),
        mean(sw, |s| s.db_query_p99_ms),
        "ms",
    );
    for (q, p) in [(0.999, " p99.9"), (1.0, ", longest")] {
        row(
            &format!("(real only) DB query latency{p} (steady)"),
            q_ms(&db, q),
            0.0,
            "ms",
        );
    }
    // the model's count is taken at each second's end, just after its pools
    // close the connections idle too long (they close idle ones only then):
    // a connection opened in a second is still counted at its end
    row(
        "peak open DB connections, all pods",
        o.real
            .iter()
            .map(|s| s.db_connections_peak)
            .max()
            .unwrap_or(0) as f64,
        o.sim.iter().map(|s| s.db_connections).max().unwrap_or(0) as f64,
        "",
    );
    if let Some((crash, restart)) = o.spec.crash_at {
        let (ra, sa) = (window(&o.real, crash, end), window(&o.sim, crash, end));
        let down = (
            window(&o.real, crash + 1.0, restart),
            window(&o.sim, crash + 1.0, restart),
        );
        let db = merged(down.0, |s| &s.lat_db);
        row(
            "DB query latency p50 while Redis is down",
            q_ms(&db, 0.5),
            mean(down.1, |s| s.db_query_p50_ms),
            "ms",
        );
        row(
            "DB query latency p99 while Redis is down",
            q_ms(&db, 0.99),
            mean(down.1, |s| s.db_query_p99_ms),
            "ms",
        );
        row(
            "peak DB offered load after the crash/restart",
            ra.iter().map(|s| s.db_offered).max().unwrap_or(0) as f64,
            sa.iter().map(|s| s.db_offered).max().unwrap_or(0) as f64,
            "q/s",
        );
        row(
            "DB queries/s served while Redis is down",
            mean(window(&o.real, crash + 1.0, restart), |s| {
                s.db_queries as f64
            }),
            mean(window(&o.sim, crash + 1.0, restart), |s| {
                s.db_queries as f64
            }),
            "q/s",
        );
        row(
            "errors/s while Redis is down (all kinds)",
            mean(window(&o.real, crash + 1.0, restart), |s| s.failed as f64),
            mean(window(&o.sim, crash + 1.0, restart), |s| s.failed as f64),
            "1/s",
        );
        row(
            "'too many connections' errors, total",
            ra.iter().map(|s| s.err_db_connections).sum::<u64>() as f64,
            sa.iter().map(|s| s.err_db_connections).sum::<u64>() as f64,
            "",
        );
        row(
            "pool-timeout errors, total",
            ra.iter().map(|s| s.err_pool_timeout).sum::<u64>() as f64,
            sa.iter().map(|s| s.err_pool_timeout).sum::<u64>() as f64,
            "",
        );
        let lat = merged(window(&o.real, crash + 1.0, restart), |s| &s.lat_ok);
        row(
            "latency p99 while Redis is down (successful requests)",
            q_ms(&lat, 0.99),
            mean(window(&o.sim, crash + 1.0, restart), |s| s.p99_ms),
            "ms",
        );
        // the first second after the restart whose hit rate (3 s moving mean) reaches the level
        let rec = |hr: Vec<f64>, level: f64| -> f64 {
            let start = restart as usize;
            for i in start..hr.len() {
                let a = i.saturating_sub(1).max(start);
                let b = (i + 2).min(hr.len());
                let m = hr[a..b].iter().sum::<f64>() / (b - a) as f64;
                if m >= level {
                    return (i + 1) as f64 - restart;
                }
            }
            f64::NAN
        };
        let (hr_real, hr_sim): (Vec<f64>, Vec<f64>) = (
            o.real.iter().map(|s| s.hit_rate()).collect(),
            o.sim.iter().map(|s| s.hit_rate).collect(),
        );
        for frac in [0.5, 0.8] {
            row(
                &format!(
                    "seconds for the hit rate to reach {:.0}% of steady after the restart",
                    frac * 100.0
                ),
                rec(hr_real.clone(), frac * steady_real),
                rec(hr_sim.clone(), frac * steady_sim),
                "s",
            );
        }
        let at30 = (restart + 30.0).min(end - 1.0);
        row(
            &format!("hit rate {} s after the restart", at30 - restart),
            real_hit(window(&o.real, at30 - 1.0, at30 + 2.0)),
            sim_hit(window(&o.sim, at30 - 1.0, at30 + 2.0)),
            "",
        );
    }
    if let Some((at, _, policy)) = o.spec.memory {
        let (ra, sa) = (
            window(&o.real, at + 5.0, end),
            window(&o.sim, at + 5.0, end),
        );
        let ev: Vec<f64> = ra
            .windows(2)
            .map(|w| w[1].evicted_total.saturating_sub(w[0].evicted_total) as f64)
            .collect();
        row(
            &format!("evictions/s ({})", policy.as_str()),
            mean(&ev, |x| *x),
            mean(sa, |s| s.evictions as f64),
            "1/s",
        );
        row(
            "hit rate after maxmemory drops",
            real_hit(ra),
            sim_hit(sa),
            "",
        );
        row(
            "SETs refused with OOM per s",
            mean(ra, |s| s.set_oom as f64),
            mean(sa, |s| s.set_oom as f64),
            "1/s",
        );
        row(
            "DB queries/s served after maxmemory drops",
            mean(ra, |s| s.db_queries as f64),
            mean(sa, |s| s.db_queries as f64),
            "q/s",
        );
    }
    rows
}

/// One quantity over repeated runs.
#[derive(Clone, Debug)]
pub struct Spread {
    pub scenario: String,
    pub metric: String,
    pub unit: &'static str,
    pub real: Vec<f64>,
    pub model: Vec<f64>,
}

fn mean_min_max(v: &[f64]) -> (f64, f64, f64) {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    (
        v.iter().sum::<f64>() / v.len() as f64,
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

impl Spread {
    /// Groups the rows of each run by (scenario, quantity), in run 1's order.
    pub fn of(runs: &[Vec<Row>]) -> Vec<Spread> {
        let mut out: Vec<Spread> = Vec::new();
        for rows in runs {
            for r in rows {
                match out
                    .iter_mut()
                    .find(|s| s.scenario == r.scenario && s.metric == r.metric)
                {
                    Some(s) => {
                        s.real.push(r.real);
                        s.model.push(r.model);
                    }
                    None => out.push(Spread {
                        scenario: r.scenario.clone(),
                        metric: r.metric.clone(),
                        unit: r.unit,
                        real: vec![r.real],
                        model: vec![r.model],
                    }),
                }
            }
        }
        out
    }

    /// The row of the means.
    pub fn mean_row(&self) -> Row {
        Row {
            scenario: self.scenario.clone(),
            metric: self.metric.clone(),
            real: mean_min_max(&self.real).0,
            model: mean_min_max(&self.model).0,
            unit: self.unit,
        }
    }

    pub fn markdown(&self) -> String {
        let (rm, ra, rb) = mean_min_max(&self.real);
        let (mm, ma, mb) = mean_min_max(&self.model);
        let r = self.mean_row();
        format!(
            "| {} | {} | {} [{} - {}] {} | {} [{} - {}] {} | {}{} |",
            self.scenario,
            self.metric,
            fmt_v(rm),
            fmt_v(ra),
            fmt_v(rb),
            self.unit,
            fmt_v(mm),
            fmt_v(ma),
            fmt_v(mb),
            self.unit,
            fmt_err(&r),
            if r.within(0.15) { "" } else { " **>15%**" }
        )
    }
}

/// A printed row's first column: the metric and its scenario, cut to 58 characters.
fn label(metric: &str, scenario: &str) -> String {
    format!("{metric} [{scenario}]").chars().take(58).collect()
}

pub fn print_spread(spread: &[Spread]) {
    for s in spread {
        let (rm, ra, rb) = mean_min_max(&s.real);
        let (mm, ma, mb) = mean_min_max(&s.model);
        println!(
            "{:<58} {:>9} [{:>9} - {:>9}] {:>9} [{:>9} - {:>9}] {:>8}",
            label(&s.metric, &s.scenario),
            fmt_v(rm),
            fmt_v(ra),
            fmt_v(rb),
            fmt_v(mm),
            fmt_v(ma),
            fmt_v(mb),
            fmt_err(&s.mean_row())
        );
    }
}

pub fn print_rows(rows: &[Row]) {
    println!(
        "{:<58} {:>10} {:>10} {:>10}",
        "quantity", "real", "model", "error"
    );
    for r in rows {
        println!(
            "{:<58} {:>10} {:>10} {:>10}{}",
            label(&r.metric, &r.scenario),
            fmt_v(r.real),
            fmt_v(r.model),
            fmt_err(r),
            if r.within(0.15) { "" } else { "  > 15%" }
        );
    }
}

pub fn print_series(o: &Outcome) {
    println!(
        "\n--- {} ({}) per second: real | model ---",
        o.spec.name,
        o.spec.shape.label()
    );
    println!(
        "{:>3} | {:>6} {:>6} | {:>5} {:>5} | {:>5} {:>5} | {:>7} {:>7} | {:>5} {:>5} | {:>5} {:>5}",
        "t",
        "hit",
        "hit",
        "dbq",
        "dbq",
        "offer",
        "offer",
        "p99ms",
        "p99ms",
        "err",
        "err",
        "evict",
        "evict"
    );
    let mut prev_ev = 0;
    for (i, r) in o.real.iter().enumerate() {
        let s = o.sim.get(i).cloned().unwrap_or_default();
        let ev = r.evicted_total.saturating_sub(prev_ev);
        prev_ev = r.evicted_total;
        println!(
            "{:>3} | {:>6.3} {:>6.3} | {:>5} {:>5} | {:>5} {:>5} | {:>7.1} {:>7.1} | {:>5} {:>5} | {:>5} {:>5}",
            i,
            r.hit_rate(),
            s.hit_rate,
            r.db_queries,
            s.db_queries,
            r.db_offered,
            s.db_offered,
            q_ms(&r.lat_ok, 0.99),
            s.p99_ms,
            r.failed,
            s.failed,
            if i == 0 { 0 } else { ev },
            s.evictions
        );
    }
}

/// Per-second CSV of both runs.
pub fn write_csv(o: &Outcome, path: &Path) -> Result<()> {
    let mut out = String::from(
        "t_s,real_arrived,real_hit_rate,real_db_queries,real_db_offered,real_p50_ms,real_p99_ms,real_p99_all_incl_failures_ms,real_hit_p99_ms,real_miss_p50_ms,real_miss_p99_ms,real_db_query_p50_ms,real_db_query_p99_ms,real_failed,real_err_timeout,real_err_db_connections,real_err_pool_timeout,real_err_cache_oom,real_err_other,real_cache_errors,real_set_oom,real_evicted_total,real_used_memory,real_redis_keys,real_redis_up,\
model_arrived,model_hit_rate,model_db_queries,model_db_offered,model_p50_ms,model_p99_ms,model_hit_p99_ms,model_miss_p50_ms,model_miss_p99_ms,model_failed,model_err_timeout,model_err_db_connections,model_err_pool_timeout,model_err_cache_oom,model_set_oom,model_evictions,model_cache_memory_bytes,model_cache_keys,model_db_p50_ms,model_db_p99_ms,model_db_query_p50_ms,model_db_query_p99_ms,model_db_cpu,real_db_connections_peak,model_db_connections\n",
    );
    for (i, r) in o.real.iter().enumerate() {
        let s = o.sim.get(i).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "{i},{},{:.4},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{},{},{},{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.4},{},{}",
            r.arrived,
            r.hit_rate(),
            r.db_queries,
            r.db_offered,
            q_ms(&r.lat_ok, 0.5),
            q_ms(&r.lat_ok, 0.99),
            q_ms(&r.lat_all, 0.99),
            q_ms(&r.lat_hit, 0.99),
            q_ms(&r.lat_miss, 0.5),
            q_ms(&r.lat_miss, 0.99),
            q_ms(&r.lat_db, 0.5),
            q_ms(&r.lat_db, 0.99),
            r.failed,
            r.err_timeout,
            r.err_db_connections,
            r.err_pool_timeout,
            r.err_cache_oom,
            r.err_other,
            r.cache_errors,
            r.set_oom,
            r.evicted_total,
            r.used_memory,
            r.redis_keys,
            r.redis_up as u8,
            s.arrived,
            s.hit_rate,
            s.db_queries,
            s.db_offered,
            s.p50_ms,
            s.p99_ms,
            s.hit_p99_ms,
            s.miss_p50_ms,
            s.miss_p99_ms,
            s.failed,
            s.err_timeout,
            s.err_db_connections,
            s.err_pool_timeout,
            s.err_cache_oom,
            s.set_oom,
            s.evictions,
            s.cache_memory_bytes,
            s.cache_keys,
            s.db_p50_ms,
            s.db_p99_ms,
            s.db_query_p50_ms,
            s.db_query_p99_ms,
            s.db_cpu,
            r.db_connections_peak,
            s.db_connections
        );
    }
    std::fs::write(path, out)?;
    Ok(())
}

fn pair(name: &str, real: Vec<(f64, f64)>, model: Vec<(f64, f64)>) -> Vec<Series> {
    vec![
        Series {
            label: format!("real {name}"),
            points: real,
            color: REAL,
            dashed: false,
        },
        Series {
            label: format!("model {name}"),
            points: model,
            color: MODEL,
            dashed: true,
        },
    ]
}

/// The scenario's chart: hit rate, DB load, latency, errors; real vs model.
pub fn draw_outcome(o: &Outcome, path: &Path) -> Result<()> {
    let xr = |f: &dyn Fn(&Sec) -> f64| {
        o.real
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64 + 0.5, f(s)))
            .collect::<Vec<_>>()
    };
    let xs = |f: &dyn Fn(&SecondStats) -> f64| {
        o.sim
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64 + 0.5, f(s)))
            .collect::<Vec<_>>()
    };
    let mut marks = Vec::new();
    if let Some((c, r)) = o.spec.crash_at {
        marks.push((c, "crash".to_string()));
        marks.push((r, "restart".to_string()));
    }
    if let Some((at, _, p)) = o.spec.memory {
        marks.push((at, format!("maxmemory, {}", p.as_str())));
    }
    let panel = |title: &str, y: &str, series: Vec<Series>, log_y: bool| Panel {
        title: title.into(),
        y_label: y.into(),
        series,
        log_y,
        log_x: false,
        x_label: "seconds".into(),
        marks: marks.clone(),
        y_max: None,
    };
    let mut db = pair(
        "served",
        xr(&|s| s.db_queries as f64),
        xs(&|s| s.db_queries as f64),
    );
    db.push(Series {
        label: "real offered".into(),
        points: xr(&|s| s.db_offered as f64),
        color: REAL2,
        dashed: false,
    });
    db.push(Series {
        label: "model offered".into(),
        points: xs(&|s| s.db_offered as f64),
        color: MODEL2,
        dashed: true,
    });
    let mut errs = pair("errors", xr(&|s| s.failed as f64), xs(&|s| s.failed as f64));
    let mut prev = o.real.first().map(|s| s.evicted_total).unwrap_or(0);
    let ev: Vec<(f64, f64)> = o
        .real
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = s.evicted_total.saturating_sub(prev);
            prev = s.evicted_total;
            (i as f64 + 0.5, d as f64)
        })
        .collect();
    if o.spec.memory.is_some() {
        errs.push(Series {
            label: "real evictions + OOM SETs".into(),
            points: ev
                .iter()
                .zip(&o.real)
                .map(|((x, e), s)| (*x, e + s.set_oom as f64))
                .collect(),
            color: REAL2,
            dashed: false,
        });
        errs.push(Series {
            label: "model evictions + OOM SETs".into(),
            points: xs(&|s| (s.evictions + s.set_oom) as f64),
            color: MODEL2,
            dashed: true,
        });
    }
    let panels = vec![
        panel(
            "read hit rate",
            "hits / reads",
            pair("", xr(&|s| s.hit_rate()), xs(&|s| s.hit_rate)),
            false,
        ),
        panel("DB queries per second", "queries/s", db, false),
        panel(
            "latency p99 of successful requests",
            "ms (log)",
            pair("p99", xr(&|s| q_ms(&s.lat_ok, 0.99)), xs(&|s| s.p99_ms)),
            true,
        ),
        panel("errors per second", "per second", errs, false),
    ];
    chart::draw(
        path,
        &format!(
            "{}: real Redis + PostgreSQL vs cachesim ({})",
            o.spec.title,
            o.spec.shape.label()
        ),
        &panels,
        2,
    )
}

/// The model's closed-loop throughput bound for `n` connections: the M/G/c
/// DB serves min(n / (S + rtt), workers / S) queries/s.
pub fn model_curve(n: u32, workers: u32, service_ms: f64, rtt_ms: f64) -> f64 {
    model_curve_contended(n, workers, service_ms, rtt_ms, 0.0, 0)
}

/// The same with a contention term (the proposed model change): past `knee`
/// connections each extra active connection costs a fraction `alpha` of the
/// capacity, X = cap / (1 + alpha (n - knee)).
pub fn model_curve_contended(
    n: u32,
    workers: u32,
    service_ms: f64,
    rtt_ms: f64,
    alpha: f64,
    knee: u32,
) -> f64 {
    let open = n as f64 / ((service_ms + rtt_ms) / 1000.0);
    let cap = workers as f64 / (service_ms / 1000.0);
    let extra = n.saturating_sub(knee) as f64;
    open.min(cap / (1.0 + alpha * extra))
}

/// The simulator held at `n` busy connections (one pod, pool = workers =
/// max_connections = n, far more direct queries offered than it serves), as
/// `base` sets the DB: queries/s served and the query latency p50 (round
/// trip + time at the DB), seconds 1-3 of a 3 s run.
pub fn sim_held_at(base: &cachesim_core::Scenario, n: u32) -> (f64, f64) {
    let mut s = base.clone();
    s.warm_start = false;
    s.faults.clear();
    s.duration_s = 3.0;
    s.client.read_fraction = 0.0;
    s.client.write_fraction = 0.0;
    s.client.delete_fraction = 0.0;
    s.client.direct_fraction = 1.0;
    s.client.keys = Some(1_000);
    s.client.zipf_s = Some(0.0);
    s.lb.capacity_rps = 1e8;
    s.lb.latency_ms = 0.0;
    s.app.pods = 1;
    s.app.max_inflight_per_pod = 1_000_000;
    s.app.pool_size = n;
    s.app.connect_ms = 0.0;
    s.db.max_connections = n;
    s.db.workers = n;
    s.db.connection_cpu_ms = 0.0;
    let d = &s.db;
    let cap = (d.cores as f64 / d.direct_cpu_ms.max(1e-9))
        .min(n as f64 / (d.direct_service_ms + s.app.db_rtt_ms))
        * 1_000.0;
    s.client.rps = (1.5 * cap).clamp(10.0, 1_500_000.0);
    let Ok(mut sim) = cachesim_core::Simulation::new(s.clone()) else {
        return (f64::NAN, f64::NAN);
    };
    sim.advance_to(3.0);
    let xs: Vec<&SecondStats> = sim.history().iter().filter(|x| x.t_s >= 1).collect();
    let m = |f: &dyn Fn(&SecondStats) -> f64| {
        xs.iter().map(|x| f(x)).sum::<f64>() / xs.len().max(1) as f64
    };
    (m(&|x| x.db_queries as f64), m(&|x| x.db_query_p50_ms))
}

/// Model latency for `n` closed-loop connections: rtt + S while n <= workers,
/// then n / X (Little's law) once the workers are the bottleneck.
pub fn model_curve_latency(n: u32, workers: u32, service_ms: f64, rtt_ms: f64) -> f64 {
    model_curve_latency_contended(n, workers, service_ms, rtt_ms, 0.0, 0)
}

pub fn model_curve_latency_contended(
    n: u32,
    workers: u32,
    service_ms: f64,
    rtt_ms: f64,
    alpha: f64,
    knee: u32,
) -> f64 {
    let x = model_curve_contended(n, workers, service_ms, rtt_ms, alpha, knee);
    (n as f64 / x * 1000.0).max(service_ms + rtt_ms)
}

pub struct CurveModel {
    pub label: String,
    pub workers: u32,
    pub service_ms: f64,
    pub rtt_ms: f64,
    pub alpha: f64,
    pub knee: u32,
    /// When not empty: the simulator's own run at each point (connections,
    /// queries/s, query latency p50 ms), used instead of the formula.
    pub sim: Vec<(u32, f64, f64)>,
}

impl CurveModel {
    /// An analytic model (no simulator points).
    pub fn formula(
        label: String,
        workers: u32,
        service_ms: f64,
        rtt_ms: f64,
        alpha: f64,
        knee: u32,
    ) -> CurveModel {
        CurveModel {
            label,
            workers,
            service_ms,
            rtt_ms,
            alpha,
            knee,
            sim: Vec::new(),
        }
    }

    fn sim_at(&self, n: u32) -> Option<&(u32, f64, f64)> {
        self.sim.iter().find(|p| p.0 == n)
    }

    pub fn qps(&self, n: u32) -> f64 {
        if let Some(p) = self.sim_at(n) {
            return p.1;
        }
        model_curve_contended(
            n,
            self.workers,
            self.service_ms,
            self.rtt_ms,
            self.alpha,
            self.knee,
        )
    }
    pub fn latency_ms(&self, n: u32) -> f64 {
        if let Some(p) = self.sim_at(n) {
            return p.2;
        }
        model_curve_latency_contended(
            n,
            self.workers,
            self.service_ms,
            self.rtt_ms,
            self.alpha,
            self.knee,
        )
    }
}

pub fn draw_curve(
    path: &Path,
    shape: DbShape,
    pts: &[CurvePoint],
    models: &[CurveModel],
) -> Result<()> {
    let colors = [MODEL, MODEL2, RGBColor(120, 60, 170)];
    let mut tput = vec![Series {
        label: "real".into(),
        points: pts.iter().map(|p| (p.connections as f64, p.qps)).collect(),
        color: REAL,
        dashed: false,
    }];
    let mut lat = vec![
        Series {
            label: "real p50".into(),
            points: pts
                .iter()
                .map(|p| (p.connections as f64, p.p50_ms))
                .collect(),
            color: REAL,
            dashed: false,
        },
        Series {
            label: "real p99".into(),
            points: pts
                .iter()
                .map(|p| (p.connections as f64, p.p99_ms))
                .collect(),
            color: REAL2,
            dashed: false,
        },
    ];
    for (m, c) in models.iter().zip(colors) {
        tput.push(Series {
            label: m.label.clone(),
            points: pts
                .iter()
                .map(|p| (p.connections as f64, m.qps(p.connections)))
                .collect(),
            color: c,
            dashed: true,
        });
        lat.push(Series {
            label: format!(
                "{} ({})",
                m.label,
                if m.sim.is_empty() { "mean" } else { "p50" }
            ),
            points: pts
                .iter()
                .map(|p| (p.connections as f64, m.latency_ms(p.connections)))
                .collect(),
            color: c,
            dashed: true,
        });
    }
    let panels = vec![
        Panel {
            title: "throughput".into(),
            y_label: "queries/s".into(),
            series: tput,
            log_y: false,
            log_x: true,
            x_label: "active connections (log)".into(),
            marks: vec![],
            y_max: Some(2.0 * pts.iter().map(|p| p.qps).fold(0.0, f64::max)),
        },
        Panel {
            title: "query latency".into(),
            y_label: "ms (log)".into(),
            series: lat,
            log_y: true,
            log_x: true,
            x_label: "active connections (log)".into(),
            marks: vec![],
            y_max: Some(10.0 * pts.iter().map(|p| p.p99_ms).fold(0.0, f64::max)),
        },
    ];
    chart::draw(
        path,
        &format!("PostgreSQL against active connections ({})", shape.label()),
        &panels,
        2,
    )
}
