//! The commands: `all` (every scenario, the charts and the results file),
//! `redis-saturation` (the shaped Redis stepped to saturation alone) and
//! `smoke` (one short herd scenario and one shaped-Redis step, printed;
//! fails only if a server or the client fails).

use crate::load::DbShape;
use crate::measure::{self, CurvePoint};
use crate::redis_shape::{self, Shaped};
use crate::report::{self, CurveModel, Row};
use crate::saturation;
use crate::scenarios::{self, Calibration, Outcome, Spec, System};
use crate::servers::Servers;
use anyhow::{bail, Context, Result};
use cachesim_core::{EvictionPolicy, Simulation};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const CURVE_POINTS: &[u32] = &[1, 2, 4, 8, 16, 32, 50, 64, 100, 128, 200, 300];
/// max_connections while measuring the connection curve
pub const CURVE_MAX_CONNECTIONS: u32 = 320;

pub fn machine() -> String {
    let sh = |c: &str| {
        std::process::Command::new("sh")
            .args(["-c", c])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "nproc {}; CPU: {}; memory: {}; kernel {}; load average when the results were written: {}",
        sh("nproc --all"),
        sh("lscpu | sed -n 's/^Model name: *//p'"),
        sh("free -h | awk '/^Mem:/ {print $2}'"),
        sh("uname -r"),
        sh("cut -d' ' -f1-3 /proc/loadavg")
    )
}

/// Measures the costs that set the model's parameters.
fn calibrate(
    servers: &Arc<Mutex<Servers>>,
    sys: &System,
    redis_secs: f64,
    keys: u64,
) -> Result<Calibration> {
    let (url, pg) = {
        let s = servers.lock().unwrap();
        (s.redis_url(), s.pg_config())
    };
    let (rtt, cpu_us, ops) =
        measure::redis_costs(&url, keys, redis_secs).context("measure redis")?;
    let (entry, base) = scenarios::redis_entry_bytes(&url, 20_000, sys.value_bytes)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut costs = rt
        .block_on(measure::pg_costs(&pg, keys, sys.shaped_ms))
        .context("measure postgres")?;
    let hops = rt.block_on(async {
        Ok::<_, anyhow::Error>((
            crate::hop::redis(&url, 2_000).await?,
            crate::hop::postgres(&pg, 2_000).await?,
        ))
    });
    (costs.redis_hop, costs.pg_hop) = hops.context("measure the generator's time per hop")?;
    costs.redis_rtt_ms = rtt;
    costs.redis_cpu_us_per_cmd = cpu_us;
    costs.redis_load_ops = ops;
    Ok(Calibration {
        costs,
        entry_bytes: entry,
        redis_base_bytes: base,
        pk_saturation_qps: 0.0,
        cores: sys.nproc,
        contention: Default::default(),
    })
}

/// Keys the DB must hold: the largest keyspace the scenarios derive (the real
/// shape's short miss window gives the most keys), with margin.
fn keys_needed(sys: &System, max_rps: f64) -> u64 {
    let sys = &System {
        rps: sys.rps.max(max_rps),
        ..sys.clone()
    };
    let mut cal = Calibration::default();
    cal.costs.redis_rtt_ms = 0.05;
    cal.costs.redis_cpu_us_per_cmd = 5.0;
    cal.costs.pg_select1_ms = 0.05;
    cal.costs.pg_pk_ms = 0.06;
    cal.costs.pg_update_ms = 0.1;
    cal.costs.pg_shaped_ms = 12.1;
    cal.entry_bytes = 1100.0;
    let spec = Spec {
        name: "probe",
        title: "",
        seconds: 10.0,
        shape: DbShape::Real,
        crash_at: None,
        memory: None,
        max_connections: sys.max_connections,
        redis: None,
    };
    let scn = scenarios::sim_scenario(sys, &cal, &spec, 10.0);
    let n = Simulation::new(scn)
        .map(|s| s.keyspace().keys)
        .unwrap_or(200_000);
    n * 3 / 2 + 1000
}

/// Both servers, `kv_store` loaded with the keys of the largest keyspace up to `max_rps`.
fn start(sys: &System, max_conn: u32, max_rps: f64) -> Result<(Arc<Mutex<Servers>>, u64)> {
    crate::servers::install_cleanup_handlers();
    let servers = Servers::start(max_conn).context("start redis-server and postgres")?;
    println!(
        "servers: {} on 127.0.0.1:{}, {} on 127.0.0.1:{}, data in {}",
        servers.redis_version,
        servers.redis_port,
        servers.pg_version,
        servers.pg_port,
        servers.dir.display()
    );
    let keys = keys_needed(sys, max_rps);
    let pg = servers.pg_config();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(scenarios::load_db(&pg, keys, sys.value_bytes))
        .context("load kv_store")?;
    println!(
        "kv_store loaded with {keys} rows of {} bytes",
        sys.value_bytes
    );
    Ok((Arc::new(Mutex::new(servers)), keys))
}

/// The CPU part and the contention from a real (PK lookup) connection
/// curve: cores / peak throughput, and alpha fitted past the cores.
fn set_cpu(cal: &mut Calibration, real_curve: &[CurvePoint]) {
    cal.pk_saturation_qps = real_curve.iter().map(|p| p.qps).fold(0.0, f64::max);
    // within the core's bounds (db.contention <= 1, db.crowding <= 100):
    // the fit searches alpha in [0, 1] and crowding in [0, 20]
    cal.contention = crate::contention_fit::fit(real_curve, cal.cores, cal.pk_saturation_qps, true);
}

/// The model's DB for the connection curve of `shape`: the scenarios' DB
/// parameters, with the curve's query (the shape's read) as the direct query.
fn curve_base(sys: &System, cal: &Calibration, shape: DbShape) -> cachesim_core::Scenario {
    let spec = Spec {
        name: "curve",
        title: "",
        seconds: 3.0,
        shape,
        crash_at: None,
        memory: None,
        max_connections: CURVE_MAX_CONNECTIONS,
        redis: None,
    };
    let mut s = scenarios::sim_scenario(sys, cal, &spec, 3.0);
    s.db.direct_service_ms = s.db.read_service_ms;
    s.db.direct_cpu_ms = s.db.read_cpu_ms;
    s
}

/// The model's DB for the real (PK lookup) connection curve.
pub fn curve_model_base(sys: &System, cal: &Calibration) -> cachesim_core::Scenario {
    curve_base(sys, cal, DbShape::Real)
}

/// Both shapes' connection curves, `repeat` runs, with each point's CPU,
/// pgbench at the compared counts and the model (its CPU part and slowdown
/// fitted to run 1's real curve, as `all` does); writes `out/pg-curves.md`.
pub fn pg_curves(out: &Path, repeat: u32) -> Result<()> {
    let sys = System::default();
    let (servers, keys) = start(&sys, CURVE_MAX_CONNECTIONS, sys.rps)?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut cal = calibrate(&servers, &sys, 3.0, keys)?;
    let (bindir, port) = (
        crate::servers::pg_bindir()?,
        servers.lock().unwrap().pg_port,
    );
    let mut runs: Vec<crate::pg_curves::Run> = Vec::new();
    for rep in 0..repeat.max(1) {
        println!("curves, run {}", rep + 1);
        for shape in [DbShape::Real, DbShape::Sleep(sys.shaped_ms)] {
            let points = curve(&servers, keys, shape, 2.0, CURVE_POINTS)?;
            if rep == 0 && shape == DbShape::Real {
                set_cpu(&mut cal, &points);
            }
            let mut bench = Vec::new();
            let mut model = Vec::new();
            let base = curve_base(&sys, &cal, shape);
            for n in crate::pg_curves::COMPARED {
                let b = crate::pgbench::run(&bindir, port, shape, keys, n, 3)?;
                let (x, _) = report::sim_held_at(&base, n);
                println!(
                    "  pgbench {n:>4} connections: {:>8.0} q/s, mean {:.3} ms; model {x:.0} q/s",
                    b.tps, b.latency_ms
                );
                bench.push((n, b));
                model.push((n, x));
            }
            runs.push(crate::pg_curves::Run {
                shape,
                points,
                bench,
                model,
            });
        }
    }
    servers.lock().unwrap().stop();
    let wakeups = wakeup_runs(&sys, &runs)?;
    let model = format!(
        "{} cores x {:.4} ms CPU per query (the real curve's peak), {}; the shaped query adds its measured wait ({:.2} ms at one connection less SELECT 1), workers = connections",
        cal.cores,
        cal.pk_cpu_ms(),
        cal.contention.describe(),
        (cal.costs.pg_shaped_ms - cal.costs.pg_select1_ms - cal.pk_cpu_ms()).max(0.0)
    );
    let md = crate::pg_curves::markdown(load.trim(), &model, &runs, &wakeups);
    crate::pg_curves::write(out, &md)?;
    println!("wrote {}", out.join("pg-curves.md").display());
    Ok(())
}

/// The shaped loop without PostgreSQL at the compared counts: with the CPU
/// PostgreSQL took per shaped query at 50 connections (run 1), and without.
fn wakeup_runs(
    sys: &System,
    runs: &[crate::pg_curves::Run],
) -> Result<Vec<crate::wakeups::Wakeups>> {
    let at50 = runs
        .iter()
        .find(|r| r.shape != DbShape::Real)
        .and_then(|r| r.points.iter().find(|p| p.connections == 50));
    let cpu_ms = at50.map_or(0.05, |p| p.pg_cores * 1e3 / p.qps.max(1.0));
    let mut out = Vec::new();
    for spin in [cpu_ms, 0.0] {
        for n in crate::pg_curves::COMPARED {
            let w = crate::wakeups::run(n, sys.shaped_ms, spin, 2.0)?;
            println!(
                "  without PostgreSQL, {n:>4} threads, sleep {} ms + spin {spin:.3} ms: {:.0} q/s (ideal {:.0})",
                sys.shaped_ms, w.qps, w.ideal_qps
            );
            out.push(w);
        }
    }
    Ok(out)
}

/// The real PK-lookup curve with PostgreSQL on a core of its own, `repeat`
/// runs, the model's CPU part and slowdown fitted to run 1 on one core;
/// writes `out/pg-curve-pinned.md`.
pub fn pg_curve_pinned(out: &Path, repeat: u32) -> Result<()> {
    let sys = System::default();
    let (servers, keys) = start(&sys, CURVE_MAX_CONNECTIONS, sys.rps)?;
    let base_cal = calibrate(&servers, &sys, 3.0, keys)?;
    let (pinning, load, runs) = pinned_runs(&servers, &sys, &base_cal, keys, repeat)?;
    servers.lock().unwrap().stop();
    let md = crate::pinned_curve::markdown(&pinning, &load, &runs);
    crate::pinned_curve::write(out, &md)?;
    println!("wrote {}", out.join("pg-curve-pinned.md").display());
    Ok(())
}

/// PostgreSQL pinned to a core of its own, then `repeat` runs of its
/// PK-lookup curve, the model fitted to run 1 on one core and compared with
/// every run: (the pinning, the load average before, the runs).
fn pinned_runs(
    servers: &Arc<Mutex<Servers>>,
    sys: &System,
    base_cal: &Calibration,
    keys: u64,
    repeat: u32,
) -> Result<(String, String, Vec<crate::pinned_curve::Run>)> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let pinning = crate::pinned_curve::pin_pg(servers, sys.nproc as usize)
        .context("could not pin PostgreSQL to a CPU of its own (needs 2 or more CPUs)")?;
    println!(
        "{pinning}
PostgreSQL throughput against active connections (closed loop, 2 s per point):"
    );
    let mut runs: Vec<crate::pinned_curve::Run> = Vec::new();
    for rep in 0..repeat.max(1) {
        println!("  curve, run {}", rep + 1);
        let pts = curve(servers, keys, DbShape::Real, 2.0, CURVE_POINTS)?;
        // the model's CPU part and slowdown come from run 1; later runs check them
        let cal = match runs.first() {
            Some(first) => first.cal.clone(),
            None => {
                let mut cal = Calibration {
                    cores: 1,
                    ..base_cal.clone()
                };
                set_cpu(&mut cal, &pts);
                cal
            }
        };
        let cmp = crate::pinned_curve::compare(sys, &cal, &pts);
        for &(n, real, model) in &cmp {
            println!(
                "  {n:>4} connections: real {real:>8.0} q/s, model {model:>8.0} q/s ({:+.1}%)",
                100.0 * (model - real) / real
            );
        }
        runs.push(crate::pinned_curve::Run {
            points: pts,
            cal,
            compared: cmp,
        });
    }
    Ok((pinning, load.trim().to_string(), runs))
}

fn sim_curve(base: &cachesim_core::Scenario, label: String) -> CurveModel {
    let mut m = CurveModel::formula(label, 1, 1.0, 0.0, 0.0, 0);
    m.sim = CURVE_POINTS
        .iter()
        .map(|&n| {
            let (x, l) = report::sim_held_at(base, n);
            (n, x, l)
        })
        .collect();
    m
}

fn print_cal(sys: &System, cal: &Calibration) {
    let c = &cal.costs;
    println!("system: {sys:?}");
    println!(
        "measured: redis PING rtt {:.3} ms, {:.2} us CPU/command ({:.0} ops/s reached by 8 clients), {:.0} bytes/entry; \
         postgres connect {:.2} ms, SELECT 1 {:.3} ms, PK SELECT {:.3} ms (cv {:.2}), UPDATE {:.3} ms, shaped SELECT {:.2} ms (cv {:.2}); \
         paced hops (p50/p99): redis GET {:.3}/{:.3} ms, SELECT 1 {:.3}/{:.3} ms",
        c.redis_rtt_ms,
        c.redis_cpu_us_per_cmd,
        c.redis_load_ops,
        cal.entry_bytes,
        c.pg_connect_ms,
        c.pg_select1_ms,
        c.pg_pk_ms,
        c.pg_pk_cv,
        c.pg_update_ms,
        c.pg_shaped_ms,
        c.pg_shaped_cv,
        c.redis_hop.p50_ms,
        c.redis_hop.p99_ms,
        c.pg_hop.p50_ms,
        c.pg_hop.p99_ms
    );
    println!(
        "DB CPU split: PK lookup peak {:.0} q/s on {} cores -> {:.4} ms of CPU per lookup (db.*_cpu_ms), {} (fitted past the cores)",
        cal.pk_saturation_qps,
        cal.cores,
        cal.pk_cpu_ms(),
        cal.contention.describe()
    );
}

/// Client or server failures (not disagreements with the model).
fn check_sane(o: &Outcome) -> Result<()> {
    let steady_end = o
        .spec
        .crash_at
        .map(|c| c.0)
        .or(o.spec.memory.map(|m| m.0))
        .unwrap_or(o.spec.seconds) as usize;
    let w = &o.real[1.min(o.real.len())..steady_end.min(o.real.len())];
    let arrived: u64 = w.iter().map(|s| s.arrived).sum();
    let done: u64 = w.iter().map(|s| s.completed).sum();
    let other: u64 = o.real.iter().map(|s| s.err_other).sum();
    let all: u64 = o.real.iter().map(|s| s.arrived).sum();
    if arrived == 0 || done * 10 < arrived * 9 {
        bail!("{}: only {done} of {arrived} requests succeeded before any fault: the client or a server is failing", o.spec.name);
    }
    if other * 100 > all {
        bail!(
            "{}: {other} of {all} requests failed with unexpected DB errors",
            o.spec.name
        );
    }
    if o.spec.redis.is_some() {
        // the shaped Redis' script: a command fails only by timing out
        let errs: u64 = o.real.iter().map(|s| s.cache_errors).sum();
        let timeouts: u64 = o.real.iter().map(|s| s.cache_timeouts).sum();
        let ok: u64 = o.real.iter().map(|s| s.cache_ok).sum();
        if (errs - timeouts.min(errs)) * 100 > ok + errs {
            bail!(
                "{}: {} of {} cache commands failed other than by a timeout: the shaped Redis' script fails",
                o.spec.name,
                errs - timeouts.min(errs),
                ok + errs
            );
        }
    }
    if o.spec.crash_at.is_some() && !o.real.last().map(|s| s.redis_up).unwrap_or(false) {
        bail!("{}: redis did not come back after the restart", o.spec.name);
    }
    Ok(())
}

/// One short scenario (a Redis crash and cold restart against the shaped DB),
/// both servers, the comparison printed.
pub fn smoke() -> Result<()> {
    let sys = System {
        rps: 1000.0,
        ..System::default()
    };
    let (servers, keys) = start(&sys, sys.max_connections, SMOKE_SATURATION_RPS)?;
    let mut cal = calibrate(&servers, &sys, 1.0, keys)?;
    // the CPU part from a short connection curve (1, 2 and 8 connections)
    let pts = curve(&servers, keys, DbShape::Real, 0.5, &[1, 2, 8])?;
    set_cpu(&mut cal, &pts);
    print_cal(&sys, &cal);
    let spec = Spec {
        name: "smoke-herd",
        title: "smoke: Redis crash and cold restart",
        seconds: 14.0,
        shape: DbShape::Sleep(sys.shaped_ms),
        crash_at: Some((6.0, 9.0)),
        memory: None,
        max_connections: sys.max_connections,
        redis: None,
    };
    let o = scenarios::run(&servers, &sys, &cal, &spec, 0)?;
    report::print_series(&o);
    println!(
        "CPU during the load (cores busy, of {}): load generator {:.2}, Redis {:.2}, PostgreSQL {:.2}",
        sys.nproc, o.cpu.0, o.cpu.1, o.cpu.2
    );
    let rows = report::compare(&o);
    println!();
    report::print_rows(&rows);
    check_sane(&o)?;
    // one short step of the shaped Redis at 0.8 of its thread
    let shaped = shape_redis(&servers, keys, 0.25, 1)?;
    let spec = saturation::spec(&shaped, 5.0, sys.pods * sys.pool_size);
    let steps = saturation::run(&servers, &sys, &cal, &spec, &[0.8], 0)?;
    servers.lock().unwrap().stop();
    for s in &steps {
        report::print_rows(&saturation::compare(s));
        check_sane(&s.outcome)?;
    }
    Ok(())
}

/// Keys for the smoke's saturation step (0.8 of a ~0.4 ms Redis: ~1,900 RPS, with margin).
const SMOKE_SATURATION_RPS: f64 = 2_500.0;
/// Keys for the saturation steps (1.2 of a ~0.4 ms Redis: ~2,800 RPS, with margin).
const SATURATION_MAX_RPS: f64 = 3_500.0;

/// The shaped Redis, calibrated on these servers (`secs` a probe, `probes` probes a cost).
fn shape_redis(
    servers: &Arc<Mutex<Servers>>,
    keys: u64,
    secs: f64,
    probes: usize,
) -> Result<Shaped> {
    let url = servers.lock().unwrap().redis_url();
    let s = redis_shape::calibrate(&url, saturation::TARGET_US, keys, secs, probes)
        .context("calibrate the shaped redis")?;
    println!(
        "shaped redis: {} spin iterations; CPU per command GET {:.1} us, SET {:.1} us, DEL {:.1} us (usec_per_call {:.1}); a GET's wall time in Redis {:.1} us, cv {:.2}",
        s.iterations, s.get_us, s.set_us, s.del_us, s.get_usec_per_call, s.wall_us, s.cv
    );
    Ok(s)
}

/// The saturation steps, `repeat` runs; writes its chart, Markdown and CSV
/// to `out`; returns each run's rows.
#[allow(clippy::too_many_arguments)]
fn saturation_runs(
    servers: &Arc<Mutex<Servers>>,
    sys: &System,
    cal: &Calibration,
    keys: u64,
    out: &Path,
    seconds: f64,
    repeat: u32,
) -> Result<Vec<Vec<Row>>> {
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let shaped = shape_redis(servers, keys, 0.6, 3)?;
    let spec = saturation::spec(&shaped, seconds, sys.pods * sys.pool_size);
    let mut rows = Vec::new();
    let mut first = None;
    for rep in 0..repeat.max(1) {
        let steps = saturation::run(servers, sys, cal, &spec, saturation::STEPS, rep)?;
        let mut r = Vec::new();
        for s in &steps {
            if let Err(e) = check_sane(&s.outcome) {
                println!("WARNING: {e:#}");
            }
            r.extend(saturation::compare(s));
        }
        println!();
        report::print_rows(&r);
        rows.push(r);
        if rep == 0 {
            first = Some(steps);
        }
    }
    let steps = first.unwrap_or_default();
    saturation::draw(&steps, &out.join("redis-saturation.png"))?;
    let load = load_before
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    saturation::write(out, &steps, &rows, &machine(), &load)?;
    println!(
        "\nwrote {} and redis-saturation.png, .csv",
        out.join("redis-saturation.md").display()
    );
    Ok(rows)
}

/// The Redis saturation scenario alone (a few minutes): servers, the
/// calibration, the shaped Redis, the steps; writes `out/redis-saturation.*`.
pub fn redis_saturation(out: &Path, seconds_scale: f64, repeat: u32) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let sys = System::default();
    let (servers, keys) = start(&sys, sys.pods * sys.pool_size, SATURATION_MAX_RPS)?;
    let mut cal = calibrate(&servers, &sys, 3.0, keys)?;
    // the DB's CPU part from a short connection curve, as the smoke does
    let pts = curve(&servers, keys, DbShape::Real, 0.5, &[1, 2, 8])?;
    set_cpu(&mut cal, &pts);
    print_cal(&sys, &cal);
    let seconds = (saturation::STEP_SECONDS * seconds_scale).round().max(5.0);
    saturation_runs(&servers, &sys, &cal, keys, out, seconds, repeat)?;
    servers.lock().unwrap().stop();
    Ok(())
}

/// PostgreSQL held at each of `points` active connections for `secs`.
fn curve(
    servers: &Arc<Mutex<Servers>>,
    keys: u64,
    shape: DbShape,
    secs: f64,
    points: &[u32],
) -> Result<Vec<CurvePoint>> {
    let (pg, pid) = {
        let s = servers.lock().unwrap();
        (s.pg_config(), s.pg_pid())
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut pts = Vec::new();
    for &n in points {
        let p = rt.block_on(measure::curve_point(&pg, pid, keys, shape, n, secs))?;
        println!(
            "  {:<40} {:>4} connections: {:>8.0} q/s, p50 {:>7.3} ms, p99 {:>7.3} ms, cores {:.2} + {:.2} ({:.4} ms CPU/query, {:.3} ms waiting for a CPU){}",
            shape.label(),
            n,
            p.qps,
            p.p50_ms,
            p.p99_ms,
            p.gen_cores,
            p.pg_cores,
            p.cpu_ms_per_query(),
            p.cpu_wait_ms_per_query(),
            if p.errors > 0 {
                format!(", {} connections refused", p.errors)
            } else {
                String::new()
            }
        );
        pts.push(p);
    }
    Ok(pts)
}

/// Every scenario, or with `only` the named one (after the calibration and
/// the connection curves it needs, without the pinned curve and the Redis
/// saturation steps); writes `out/*.png`, `out/*.csv` and `out/results.md`.
pub fn all(out: &Path, seconds_scale: f64, repeat: u32, only: Option<&str>) -> Result<()> {
    let repeat = repeat.max(1);
    check_only(only)?;
    std::fs::create_dir_all(out)?;
    let sys = System::default();
    let (servers, keys) = start(&sys, CURVE_MAX_CONNECTIONS, SATURATION_MAX_RPS)?;
    let mut cal = calibrate(&servers, &sys, 3.0, keys)?;
    print_cal(&sys, &cal);

    // the contention curve, both shapes
    println!("\nPostgreSQL throughput against active connections (closed loop, 2 s per point):");
    let mut real_curves = Vec::new();
    let mut shaped_curves = Vec::new();
    for rep in 0..repeat {
        if repeat > 1 {
            println!("  curve, run {} of {repeat}", rep + 1);
        }
        real_curves.push(curve(
            &servers,
            keys,
            DbShape::Real,
            2.0 * seconds_scale.min(1.0),
            CURVE_POINTS,
        )?);
        shaped_curves.push(curve(
            &servers,
            keys,
            DbShape::Sleep(sys.shaped_ms),
            2.0 * seconds_scale.min(1.0),
            CURVE_POINTS,
        )?);
    }
    // the model's parameters come from the first run's curve; the others give the spread
    let real_curve = real_curves[0].clone();
    let shaped_curve = shaped_curves[0].clone();
    set_cpu(&mut cal, &real_curve);
    print_cal(&sys, &cal);
    let core_real = sim_curve(
        &curve_base(&sys, &cal, DbShape::Real),
        format!(
            "cachesim: {} cores x {:.4} ms CPU, {}",
            cal.cores,
            cal.pk_cpu_ms(),
            cal.contention.short()
        ),
    );
    let core_shaped = sim_curve(
        &curve_base(&sys, &cal, DbShape::Sleep(sys.shaped_ms)),
        format!(
            "cachesim: {:.4} ms CPU + {:.2} ms wait, workers = connections",
            cal.pk_cpu_ms(),
            (cal.costs.pg_shaped_ms - cal.costs.pg_select1_ms - cal.pk_cpu_ms()).max(0.0)
        ),
    );

    let c = &cal.costs;
    let svc_real = (c.pg_pk_ms - c.pg_select1_ms).max(0.001);
    let svc_shaped = (c.pg_shaped_ms - c.pg_select1_ms).max(0.001);
    // fitted: S = nproc / peak throughput (CPU time per query, all of it on the DB host)
    let svc_fit = sys.nproc as f64 * 1000.0 / cal.pk_saturation_qps.max(1.0);
    let real_models = [
        CurveModel::formula(
            format!(
                "old model as run: workers = connections, {:.3} ms",
                svc_real
            ),
            100_000,
            svc_real,
            c.pg_select1_ms,
            0.0,
            0,
        ),
        CurveModel::formula(
            format!("M/G/c fitted: {} workers x {:.4} ms", sys.nproc, svc_fit),
            sys.nproc,
            svc_fit,
            (c.pg_pk_ms - svc_fit).max(0.0),
            0.0,
            0,
        ),
        core_real,
    ];
    let shaped_models = [
        CurveModel::formula(
            format!(
                "old model as run: workers = connections, {:.2} ms",
                svc_shaped
            ),
            100_000,
            svc_shaped,
            c.pg_select1_ms,
            0.0,
            0,
        ),
        core_shaped,
    ];
    report::draw_curve(
        &out.join("pg-connections-real.png"),
        DbShape::Real,
        &real_curve,
        &real_models,
    )?;
    report::draw_curve(
        &out.join("pg-connections-shaped.png"),
        DbShape::Sleep(sys.shaped_ms),
        &shaped_curve,
        &shaped_models,
    )?;
    let mut curve_rows: Vec<Vec<Row>> = vec![Vec::new(); repeat as usize];
    for (shape, curves, models) in [
        (DbShape::Real, &real_curves, &real_models[..]),
        (
            DbShape::Sleep(sys.shaped_ms),
            &shaped_curves,
            &shaped_models[..],
        ),
    ] {
        for (rep, pts) in curves.iter().enumerate() {
            for n in [50, 100, 200] {
                if let Some(p) = pts.iter().find(|p| p.connections == n) {
                    for m in models {
                        curve_rows[rep].push(Row {
                            scenario: format!("pg-connections ({})", shape.label()),
                            metric: format!("throughput at {n} active connections, {}", m.label),
                            real: p.qps,
                            model: m.qps(n),
                            unit: "q/s",
                        });
                    }
                }
            }
        }
    }

    // steady and memory runs: max_connections = the pools' total (no refusals,
    // as the seed's 2 pods x 100 = 200); the herds: below it (as its 4 pods)
    let full = sys.pods * sys.pool_size;
    servers.lock().unwrap().restart_pg(full)?;
    let s = |x: f64| (x * seconds_scale).round();
    let shaped = DbShape::Sleep(sys.shaped_ms);
    let specs = vec![
        Spec {
            name: "steady-real",
            title: "steady state",
            seconds: s(40.0),
            shape: DbShape::Real,
            crash_at: None,
            memory: None,
            max_connections: full,
            redis: None,
        },
        Spec {
            name: "steady-shaped",
            title: "steady state",
            seconds: s(40.0),
            shape: shaped,
            crash_at: None,
            memory: None,
            max_connections: full,
            redis: None,
        },
        Spec {
            name: "herd-shaped",
            title: "Redis killed, restarted cold",
            seconds: s(100.0),
            shape: shaped,
            crash_at: Some((s(20.0), s(30.0))),
            memory: None,
            max_connections: sys.max_connections,
            redis: None,
        },
        Spec {
            name: "herd-real",
            title: "Redis killed, restarted cold",
            seconds: s(100.0),
            shape: DbShape::Real,
            crash_at: Some((s(20.0), s(30.0))),
            memory: None,
            max_connections: sys.max_connections,
            redis: None,
        },
        Spec {
            name: "memory-lru",
            title: "maxmemory at 50% of the working set, allkeys-lru",
            seconds: s(40.0),
            shape: DbShape::Real,
            crash_at: None,
            memory: Some((s(10.0), 0.5, EvictionPolicy::AllkeysLru)),
            max_connections: full,
            redis: None,
        },
        Spec {
            name: "memory-noeviction",
            title: "maxmemory at 50% of the working set, noeviction",
            seconds: s(40.0),
            shape: DbShape::Real,
            crash_at: None,
            memory: Some((s(10.0), 0.5, EvictionPolicy::Noeviction)),
            max_connections: full,
            redis: None,
        },
    ];
    let specs = select(specs, only)?;
    let mut outcomes = Vec::new();
    let mut rep_rows: Vec<Vec<Row>> = vec![Vec::new(); repeat as usize];
    let mut warnings: Vec<String> = Vec::new();
    for spec in &specs {
        for rep in 0..repeat {
            println!(
                "\n=== scenario {} ({}), {} s, run {} of {repeat} ===",
                spec.name,
                spec.shape.label(),
                spec.seconds,
                rep + 1
            );
            let o = scenarios::run(&servers, &sys, &cal, spec, rep)?;
            if let Err(e) = check_sane(&o) {
                println!("WARNING: {e:#}");
                warnings.push(format!("run {}: {e:#}", rep + 1));
            }
            report::print_series(&o);
            println!(
                "CPU during the load (cores busy, of {}): load generator {:.2}, Redis {:.2}, PostgreSQL {:.2}",
                sys.nproc, o.cpu.0, o.cpu.1, o.cpu.2
            );
            rep_rows[rep as usize].extend(report::compare(&o));
            if rep == 0 {
                // the CSV, chart and scenario file are the first run's
                report::write_csv(&o, &out.join(format!("{}.csv", spec.name)))?;
                report::draw_outcome(&o, &out.join(format!("{}.png", spec.name)))?;
                outcomes.push(o);
            }
        }
    }
    if only.is_none() {
        // PostgreSQL's curve with the server on a core of its own, before the
        // saturation steps (whose overload leaves the shaped Redis, on that
        // same core, a backlog of seconds); the next scenario restarts
        // PostgreSQL unpinned with its own max_connections
        servers.lock().unwrap().restart_pg(CURVE_MAX_CONNECTIONS)?;
        let (pinning, load, pinned) = pinned_runs(&servers, &sys, &cal, keys, repeat)?;
        crate::pinned_curve::write(
            out,
            &crate::pinned_curve::markdown(&pinning, &load, &pinned),
        )?;
        for (rep, r) in pinned.iter().enumerate() {
            rep_rows[rep].extend(crate::pinned_curve::rows(r));
        }
        // last: the overload step leaves Redis a backlog of seconds
        let seconds = (saturation::STEP_SECONDS * seconds_scale).round().max(5.0);
        let sat = saturation_runs(&servers, &sys, &cal, keys, out, seconds, repeat)?;
        for (rep, r) in sat.into_iter().enumerate() {
            rep_rows[rep].extend(r);
        }
    }
    let versions = {
        let s = servers.lock().unwrap();
        (s.redis_version.clone(), s.pg_version.clone())
    };
    servers.lock().unwrap().stop();

    for (rep, c) in curve_rows.into_iter().enumerate() {
        rep_rows[rep].extend(c);
    }
    let rows = rep_rows[0].clone();
    let spread = report::Spread::of(&rep_rows);
    println!();
    report::print_rows(&rows);
    if repeat > 1 {
        println!("\nover {repeat} runs (mean [min - max]):");
        report::print_spread(&spread);
    }
    write_results(
        out,
        &sys,
        &cal,
        &outcomes,
        &rows,
        &spread,
        &real_curve,
        &shaped_curve,
        &versions,
        &warnings,
    )?;
    println!("\nwrote {}", out.join("results.md").display());
    Ok(())
}

/// The names of the scenarios `all` runs, in order.
const SCENARIOS: &[&str] = &[
    "steady-real",
    "steady-shaped",
    "herd-shaped",
    "herd-real",
    "memory-lru",
    "memory-noeviction",
];

/// `--only`'s name is one of the scenarios (checked before any server starts).
fn check_only(only: Option<&str>) -> Result<()> {
    if let Some(name) = only.filter(|n| !SCENARIOS.contains(n)) {
        bail!(
            "--only: no scenario {name:?}; the scenarios are {}",
            SCENARIOS.join(", ")
        );
    }
    Ok(())
}

/// The scenarios `all` runs: every one, or the one named `only` (which
/// `check_only` has accepted).
fn select(specs: Vec<Spec>, only: Option<&str>) -> Result<Vec<Spec>> {
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    anyhow::ensure!(
        names == SCENARIOS,
        "SCENARIOS lists {SCENARIOS:?}, all defines {names:?}"
    );
    Ok(specs
        .into_iter()
        .filter(|s| only.is_none_or(|n| s.name == n))
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn write_results(
    out: &Path,
    sys: &System,
    cal: &Calibration,
    outcomes: &[Outcome],
    rows: &[Row],
    spread: &[report::Spread],
    real_curve: &[CurvePoint],
    shaped_curve: &[CurvePoint],
    versions: &(String, String),
    warnings: &[String],
) -> Result<()> {
    let mut md = String::new();
    let c = &cal.costs;
    let _ = writeln!(
        md,
        "# Calibration results (generated by `cachesim-realcheck all`)\n"
    );
    let _ = writeln!(
        md,
        "Machine: {}.  \n{}; {}.\n",
        machine(),
        versions.0,
        versions.1
    );
    let _ = writeln!(md, "The load generator, redis-server and PostgreSQL share these cores (with whatever else runs on the machine).\n");
    for w in warnings {
        let _ = writeln!(md, "**Warning:** {w}\n");
    }
    let _ = writeln!(md, "## Measured costs\n");
    let _ = writeln!(md, "| quantity | value |\n|---|---|");
    for (k, v) in [
        (
            "Redis PING round trip (tight loop, blocking client)",
            format!("{:.3} ms", c.redis_rtt_ms),
        ),
        (
            "Redis GET round trip, paced, async client: p50 / p99",
            format!(
                "{:.3} / {:.3} ms -> app.cache_rtt_ms / cache_rtt_p99_ms {:.3} / {:.3} (less the command's CPU) where no probe ran beside the load (the shaped Redis)",
                c.redis_hop.p50_ms,
                c.redis_hop.p99_ms,
                c.cache_rtt_ms(),
                c.cache_rtt_p99_ms()
            ),
        ),
        (
            "PostgreSQL SELECT 1 round trip, paced: p50 / p99",
            format!(
                "{:.3} / {:.3} ms -> app.db_rtt_ms / db_rtt_p99_ms {:.3} / {:.3} where no probe ran beside the load",
                c.pg_hop.p50_ms,
                c.pg_hop.p99_ms,
                c.db_rtt_ms(),
                c.db_rtt_p99_ms()
            ),
        ),
        (
            "Redis CPU per command (GET/SET, 8 clients)",
            format!(
                "{:.2} us -> cache.ops_per_sec {:.0}",
                c.redis_cpu_us_per_cmd,
                1e6 / c.redis_cpu_us_per_cmd
            ),
        ),
        (
            "Redis commands/s reached by 8 blocking clients",
            format!("{:.0}", c.redis_load_ops),
        ),
        (
            "Redis bytes per entry (900-byte value)",
            format!("{:.0} -> cache.entry_bytes", cal.entry_bytes),
        ),
        (
            "PostgreSQL connect (fork + startup + 3 prepares)",
            format!("{:.2} ms -> app.connect_ms", c.pg_connect_ms),
        ),
        (
            "SELECT 1 at one connection (tight loop)",
            format!("{:.3} ms", c.pg_select1_ms),
        ),
        (
            "PK SELECT at one connection",
            format!("{:.3} ms (cv {:.2})", c.pg_pk_ms, c.pg_pk_cv),
        ),
        (
            "UPDATE ... WHERE key (commit) at one connection",
            format!("{:.3} ms", c.pg_update_ms),
        ),
        (
            "shaped miss SELECT (pg_sleep) at one connection",
            format!("{:.2} ms (cv {:.2})", c.pg_shaped_ms, c.pg_shaped_cv),
        ),
        (
            "PK SELECT peak throughput (connection curve)",
            format!("{:.0} q/s", cal.pk_saturation_qps),
        ),
    ] {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(
        md,
        "\n## CPU during each run's load (average cores busy, of {})\n",
        sys.nproc
    );
    let _ = writeln!(
        md,
        "Redis is NaN when it was restarted during the run (another process).\n"
    );
    let _ = writeln!(md, "| scenario | load generator (this process) | redis-server | PostgreSQL (all backends) |\n|---|---:|---:|---:|");
    for o in outcomes {
        let _ = writeln!(
            md,
            "| {} | {:.2} | {:.2} | {:.2} |",
            o.spec.name, o.cpu.0, o.cpu.1, o.cpu.2
        );
    }
    let _ = writeln!(md, "\n## The system as run\n\n`{sys:?}`\n");
    for o in outcomes {
        let p = &o.params;
        let _ = writeln!(
            md,
            "- **{}** ({}): {} s at {} RPS, mix {}/{}/{}/{} read/write/delete/direct, {} keys, Zipf s = {:.4}, TTL {} s, {} pods x {} pooled connections, max_connections {}, pool timeout {} ms, Redis command timeout {} ms, client timeout {} ms, warm start {} keys{}{}",
            o.spec.name,
            o.spec.shape.label(),
            p.seconds,
            p.rps,
            p.read,
            p.write,
            p.delete,
            1.0 - p.read - p.write - p.delete,
            p.keys,
            p.zipf_s,
            p.ttl_s,
            p.pods,
            p.pool_size,
            o.spec.max_connections,
            p.pool_timeout_ms,
            p.cache_timeout_ms,
            p.client_timeout_ms,
            o.warm_keys,
            o.spec.crash_at.map(|(a, b)| format!(", Redis SIGKILLed at {a} s, restarted empty at {b} s")).unwrap_or_default(),
            o.spec
                .memory
                .map(|(a, f, pol)| format!(", at {a} s maxmemory {} bytes ({f} of the warm set) with {}", o.maxmemory_bytes, pol.as_str()))
                .unwrap_or_default(),
        );
    }
    let _ = writeln!(
        md,
        "\nModel scenario of each run (`cachesim run --scenario FILE` reproduces it): `docs/calibration/<name>.scenario.json`\n"
    );
    for o in outcomes {
        std::fs::write(
            out.join(format!("{}.scenario.json", o.spec.name)),
            o.scenario.to_json_pretty(),
        )?;
    }
    if spread.first().is_some_and(|s| s.real.len() > 1) {
        let n = spread[0].real.len();
        let _ = writeln!(
            md,
            "## Real vs model over {n} runs\n\nEach scenario run {n} times (other arrivals and keys for the real run, model seeds 1..{n}); mean [min - max] of each quantity, and the error of the means. The CSV files, the charts and the single-run table below are from run 1.\n"
        );
        let _ = writeln!(
            md,
            "| scenario | quantity | real mean [min - max] | model mean [min - max] | error of the means |\n|---|---|---:|---:|---:|"
        );
        for s in spread {
            let _ = writeln!(md, "{}", s.markdown());
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Real vs model (run 1)\n");
    let _ = writeln!(
        md,
        "| scenario | quantity | real | model | model error |\n|---|---|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {:.4} {} | {:.4} {} | {}{} |",
            r.scenario,
            r.metric,
            r.real,
            r.unit,
            r.model,
            r.unit,
            report::fmt_err(r),
            if r.within(0.15) { "" } else { " **>15%**" }
        );
    }
    let _ = writeln!(md, "\n## Connection curve (closed loop, random keys)\n");
    let _ = writeln!(md, "| connections | real PK q/s | p50 ms | p99 ms | shaped q/s | p50 ms | p99 ms |\n|---:|---:|---:|---:|---:|---:|---:|");
    for (a, b) in real_curve.iter().zip(shaped_curve) {
        let _ = writeln!(
            md,
            "| {} | {:.0} | {:.3} | {:.3} | {:.0} | {:.3} | {:.3} |",
            a.connections, a.qps, a.p50_ms, a.p99_ms, b.qps, b.p50_ms, b.p99_ms
        );
    }
    std::fs::write(out.join("results.md"), md)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &'static str) -> Spec {
        Spec {
            name,
            title: "t",
            seconds: 1.0,
            shape: DbShape::Real,
            crash_at: None,
            memory: None,
            max_connections: 16,
            redis: None,
        }
    }

    fn all_specs() -> Vec<Spec> {
        SCENARIOS.iter().map(|n| spec(n)).collect()
    }

    #[test]
    fn only_keeps_the_named_scenario_and_none_keeps_all() {
        let one = select(all_specs(), Some("herd-real")).unwrap();
        assert_eq!(
            one.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["herd-real"]
        );
        assert_eq!(select(all_specs(), None).unwrap().len(), SCENARIOS.len());
        assert!(check_only(Some("herd-real")).is_ok() && check_only(None).is_ok());
        let e = check_only(Some("herd")).unwrap_err().to_string();
        assert!(e.contains("\"herd\"") && e.contains("herd-real"), "{e}");
    }

    #[test]
    fn a_scenario_list_out_of_step_with_all_is_an_error() {
        let mut specs = all_specs();
        specs.pop();
        assert!(select(specs, None).is_err());
    }
}
