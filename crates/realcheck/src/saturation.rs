//! The Redis saturation scenario (issue 11): the shaped Redis
//! (`redis_shape`: every cache command an EVALSHA costing ~0.4 ms of Redis'
//! thread) under the seed's open-loop cache-aside load, stepped over Redis
//! utilisations of 0.5, 0.8, 0.9, 0.95 and an overload of 1.2, each step a
//! real run and a model run with the same parameters, compared with each
//! other and with the M/D/1 and M/G/1 formulas (`queueing`). The DB is the
//! real PK lookup (~0.03 ms, ~1-3% of two cores), so the saturation is Redis'.

use crate::chart::{self, Panel, Series, MODEL, MODEL2, REAL, REAL2};
use crate::load::{q_ms, DbShape};
use crate::queueing::Mg1;
use crate::redis_shape::Shaped;
use crate::report::{self, mean, merged, window, Row};
use crate::scenarios::{self, Calibration, Outcome, Spec, System};
use crate::servers::Servers;
use anyhow::Result;
use plotters::style::RGBColor;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Redis CPU per GET the spin is calibrated to, us.
pub const TARGET_US: f64 = 400.0;
/// The offered Redis utilisations of the steps: 0.1 is nearly idle (the
/// fixed time of a hit outside Redis' queue), the last one overloads it.
pub const STEPS: &[f64] = &[0.1, 0.5, 0.8, 0.9, 0.95, 1.2];
/// Redis' nice during the steps: the machine is shared (other builds and
/// browsers keep 2 cores busy), and Redis must get its thread's CPU when it
/// has work, as on its own host; at nice 0 it waited for a CPU 16-57% of
/// the time and fell behind even at 0.5. The other processes keep every
/// cycle Redis does not ask for.
pub const REDIS_NICE: i32 = -10;
/// Seconds of each step (times `--scale`).
pub const STEP_SECONDS: f64 = 25.0;
const FORMULA: RGBColor = RGBColor(120, 60, 170);
const FORMULA2: RGBColor = RGBColor(90, 90, 90);

/// The request mix's fractions (read, write, delete) and its hit rate.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    pub read: f64,
    pub write: f64,
    pub delete: f64,
    pub hit: f64,
}

impl Mix {
    /// Cache commands per request: a read's GET and, on a miss, its SET; a
    /// write's SET; a delete's DEL (direct requests send none).
    pub fn commands_per_request(&self) -> f64 {
        self.read * (2.0 - self.hit) + self.write + self.delete
    }

    /// Redis CPU per request, seconds.
    pub fn cpu_per_request_s(&self, r: &Shaped) -> f64 {
        (self.read * (r.get_us + (1.0 - self.hit) * r.set_us)
            + self.write * r.set_us
            + self.delete * r.del_us)
            / 1e6
    }

    /// The request rate that offers Redis `rho`.
    pub fn rps_for(&self, rho: f64, r: &Shaped) -> f64 {
        rho / self.cpu_per_request_s(r).max(1e-9)
    }

    /// The M/G/1 queue of Redis at `rps` (service: the mix's mean command; cv measured).
    pub fn queue(&self, rps: f64, r: &Shaped, cv: f64) -> Mg1 {
        let lambda = rps * self.commands_per_request();
        Mg1 {
            lambda,
            s: rps * self.cpu_per_request_s(r) / lambda.max(1e-9),
            cv,
        }
    }
}

/// One step: its offered utilisation, request rate and both runs.
pub struct Step {
    pub target: f64,
    pub rps: f64,
    pub outcome: Outcome,
    /// redis-server's nice during the step
    pub redis_nice: i32,
    /// Which CPUs Redis and the rest ran on (see `pin_redis`)
    pub pinning: String,
    /// Redis' own time per EVALSHA during the step (commandstats
    /// usec_per_call: wall clock inside the command), us, and the calls
    pub in_load_us: f64,
    pub in_load_calls: f64,
    /// The model again with that service time (every verb scaled alike):
    /// hit p50, p99 (ms) and the thread's mean busy fraction
    pub model_in_load: (f64, f64, f64),
}

/// Redis' commandstats: reset, or read (usec_per_call, calls) of EVALSHA.
fn evalsha_stats(url: &str, reset: bool) -> Result<(f64, f64)> {
    let mut c = redis::Client::open(url)?.get_connection()?;
    if reset {
        redis::cmd("CONFIG").arg("RESETSTAT").query::<()>(&mut c)?;
        return Ok((0.0, 0.0));
    }
    let info: String = redis::cmd("INFO").arg("commandstats").query(&mut c)?;
    Ok((
        crate::redis_shape::cmdstat(&info, "evalsha", "usec_per_call"),
        crate::redis_shape::cmdstat(&info, "evalsha", "calls"),
    ))
}

/// The step's model run again with Redis' service time scaled to `us` a GET.
fn model_with_service(o: &Outcome, get_us: f64) -> (f64, f64, f64) {
    let mut s = o.scenario.clone();
    s.cache.ops_per_sec = 1e6 / get_us.max(0.1);
    let Ok(mut sim) = cachesim_core::Simulation::new(s) else {
        return (f64::NAN, f64::NAN, f64::NAN);
    };
    sim.advance_to(o.spec.seconds);
    let sum = cachesim_core::Summary::of(&sim);
    let h: Vec<_> = sim.history().iter().cloned().collect();
    let sw = window(&h, 3.0, o.spec.seconds);
    (
        sum.latency_ms.hit.p50,
        sum.latency_ms.hit.p99,
        mean(sw, |x| x.cache_cpu),
    )
}

pub fn spec(shaped: &Shaped, seconds: f64, max_connections: u32) -> Spec {
    Spec {
        name: "redis-saturation",
        title: "shaped Redis near saturation",
        seconds,
        shape: DbShape::Real,
        crash_at: None,
        memory: None,
        max_connections,
        redis: Some(shaped.clone()),
    }
}

fn mix_of(sys: &System, cal: &Calibration, spec: &Spec) -> Mix {
    let s = scenarios::sim_scenario(sys, cal, spec, 1.0);
    Mix {
        read: s.client.read_fraction,
        write: s.client.write_fraction,
        delete: s.client.delete_fraction,
        hit: sys.target_hit_rate,
    }
}

/// Runs the steps (`targets`) for real and in the model; repetition `rep` as in `scenarios::run`.
pub fn run(
    servers: &Arc<Mutex<Servers>>,
    sys: &System,
    cal: &Calibration,
    spec: &Spec,
    targets: &[f64],
    rep: u32,
) -> Result<Vec<Step>> {
    let shaped = spec.redis.as_ref().expect("a shaped Redis");
    let mix = mix_of(sys, cal, spec);
    let mut steps = Vec::new();
    let pid = servers.lock().unwrap().redis_pid();
    let redis_nice = pid
        .map(|p| crate::servers::renice(p, REDIS_NICE))
        .unwrap_or(0);
    println!("redis-server runs at nice {redis_nice}");
    let pinning = pin_redis(servers, sys.nproc as usize);
    println!("{pinning}");
    for &target in targets {
        let step_sys = System {
            rps: mix.rps_for(target, shaped).round(),
            ..sys.clone()
        };
        println!(
            "\n=== redis-saturation: offered {:.2} of Redis' thread, {} RPS, {} s, run {} ===",
            target,
            step_sys.rps,
            spec.seconds,
            rep + 1
        );
        let url = servers.lock().unwrap().redis_url();
        evalsha_stats(&url, true)?;
        let o = scenarios::run(servers, &step_sys, cal, spec, rep)?;
        // after the load (and any backlog): Redis' own time per command in it
        let (in_load_us, in_load_calls) = evalsha_stats(&url, false)?;
        let model_in_load = model_with_service(&o, in_load_us);
        println!(
            "Redis' own time per EVALSHA during the step {in_load_us:.1} us ({in_load_calls} calls; calibrated {:.1} us of CPU a GET)",
            shaped.get_us
        );
        report::print_series(&o);
        println!(
            "CPU during the load (cores busy): load generator {:.2}, Redis {:.2}, PostgreSQL {:.2}; Redis waiting for a CPU {:.3} of the time",
            o.cpu.0, o.cpu.1, o.cpu.2, o.redis_run_queue_wait
        );
        steps.push(Step {
            target,
            rps: step_sys.rps,
            outcome: o,
            redis_nice,
            pinning: pinning.clone(),
            in_load_us,
            in_load_calls,
            model_in_load,
        });
    }
    unpin(servers, sys.nproc as usize);
    Ok(steps)
}

/// Redis' thread gets a core of its own, as on its own host: redis-server
/// on the last CPU, this process (the load generator) and PostgreSQL (its
/// postmaster, so every backend it forks, and the backends already open) on
/// the others. Other work on the machine is not moved.
fn pin_redis(servers: &Arc<Mutex<Servers>>, nproc: usize) -> String {
    if nproc < 2 {
        return "not pinned: one CPU".into();
    }
    let s = servers.lock().unwrap();
    let (Some(redis), Some(pg)) = (s.redis_pid(), s.pg_pid()) else {
        return "not pinned: a server is not running".into();
    };
    if crate::servers::own_core(redis, &[pg], nproc) {
        format!(
            "redis-server pinned to CPU {}; the load generator and PostgreSQL to CPU {}",
            nproc - 1,
            if nproc == 2 {
                "0".to_string()
            } else {
                format!("0-{}", nproc - 2)
            }
        )
    } else {
        "not pinned: sched_setaffinity refused".into()
    }
}

/// Every CPU again for this process and PostgreSQL after the steps.
fn unpin(servers: &Arc<Mutex<Servers>>, nproc: usize) {
    let all: Vec<usize> = (0..nproc).collect();
    crate::servers::pin(std::process::id() as i32, &all);
    if let Some(pg) = servers.lock().unwrap().pg_pid() {
        crate::servers::pin_tree(pg, &all);
    }
}

/// Measured values of one step (real, model) and the formulas' (M/D/1, M/G/1).
pub struct StepValues {
    pub busy: (f64, f64, f64),
    pub answered: (f64, f64),
    pub hit_p50: (f64, f64, f64, f64),
    pub hit_p99: (f64, f64, f64, f64),
    /// hit p50, p99 of a gated-batch server (Redis' event loop), simulated, ms
    pub gated: (f64, f64),
    /// cache errors per second, real and model
    pub errors: (f64, f64),
}

/// The step's Redis queue as the formula sees it in steady state: the
/// request rate and mix as sent, the target hit rate, the calibrated
/// service times.
fn formula_queue(step: &Step, shaped: &Shaped, cv: f64) -> Mg1 {
    let o = &step.outcome;
    let p = &o.params;
    let mix = Mix {
        read: p.read,
        write: p.write,
        delete: p.delete,
        hit: o.scenario.client.target_hit_rate,
    };
    mix.queue(p.rps, shaped, cv)
}

pub fn values(step: &Step) -> StepValues {
    let o = &step.outcome;
    let shaped = o.spec.redis.as_ref().expect("a shaped Redis");
    let (rw, sw) = (
        window(&o.real, 3.0, o.spec.seconds),
        window(&o.sim, 3.0, o.spec.seconds),
    );
    let md1 = formula_queue(step, shaped, 0.0);
    let mg1 = formula_queue(step, shaped, shaped.cv);
    let rtt = o.scenario.app.cache_rtt_ms;
    let get_ms = shaped.get_us / 1000.0;
    let hit = merged(rw, |s| &s.lat_hit);
    // no hits at all (every GET timed out): no latency, not 0
    let real_q = |q: f64| {
        if hit.is_empty() {
            f64::NAN
        } else {
            q_ms(&hit, q)
        }
    };
    let lat = &o.sim_summary.latency_ms.hit;
    let gated = if md1.rho() < 1.0 {
        let g = crate::queueing::gated_batch_quantiles(md1.lambda, md1.s, 300_000, 5, &[0.5, 0.99]);
        (rtt + g[0] * 1000.0, rtt + g[1] * 1000.0)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    StepValues {
        gated,
        errors: (
            mean(rw, |s| s.cache_errors as f64),
            mean(sw, |s| s.cache_errors as f64),
        ),
        busy: (o.cpu.1, mean(sw, |s| s.cache_cpu), md1.rho().min(1.0)),
        answered: (
            mean(rw, |s| s.cache_ok as f64),
            mean(sw, |s| s.cache_ops.saturating_sub(s.cache_errors) as f64),
        ),
        hit_p50: (
            real_q(0.5),
            lat.p50,
            md1.response_ms(0.5, rtt, get_ms),
            mg1.response_ms(0.5, rtt, get_ms),
        ),
        hit_p99: (
            real_q(0.99),
            lat.p99,
            md1.response_ms(0.99, rtt, get_ms),
            mg1.response_ms(0.99, rtt, get_ms),
        ),
    }
}

/// The compared quantities of one step; a formula's rows carry it as the "model".
pub fn compare(step: &Step) -> Vec<Row> {
    let o = &step.outcome;
    let cv = o.spec.redis.as_ref().map(|r| r.cv).unwrap_or(0.0);
    let sc = format!("redis-saturation, offered {:.2}", step.target);
    let v = values(step);
    let mut rows = Vec::new();
    let mut row = |metric: String, real: f64, model: f64, unit: &'static str| {
        rows.push(Row {
            scenario: sc.clone(),
            metric,
            real,
            model,
            unit,
        })
    };
    row(
        "Redis thread busy (real: /proc CPU over wall)".into(),
        v.busy.0,
        v.busy.1,
        "",
    );
    row(
        "Redis thread busy, formula min(1, rho)".into(),
        v.busy.0,
        v.busy.2,
        "",
    );
    if let Some(r) = &o.spec.redis {
        row(
            "Redis' time per command in the load (commandstats) vs the calibration's CPU a GET"
                .into(),
            step.in_load_us,
            r.get_us,
            "us",
        );
    }
    row(
        "Redis thread busy, model with the in-load time per command".into(),
        v.busy.0,
        step.model_in_load.2,
        "",
    );
    row(
        "(real only) Redis runnable but waiting for a CPU, fraction of wall".into(),
        o.redis_run_queue_wait,
        0.0,
        "",
    );
    row(
        "cache commands answered in time per s".into(),
        v.answered.0,
        v.answered.1,
        "1/s",
    );
    let (rw, sw) = (
        window(&o.real, 3.0, o.spec.seconds),
        window(&o.sim, 3.0, o.spec.seconds),
    );
    if step.target < 1.0 {
        for (q, x) in [("p50", v.hit_p50), ("p99", v.hit_p99)] {
            row(format!("hit latency {q} (GET)"), x.0, x.1, "ms");
            row(format!("hit latency {q}, formula M/D/1"), x.0, x.2, "ms");
            row(
                format!("hit latency {q}, gated batches (Redis' event loop; simulated)"),
                x.0,
                if q == "p50" { v.gated.0 } else { v.gated.1 },
                "ms",
            );
            row(
                format!("hit latency {q}, model with the in-load time per command"),
                x.0,
                if q == "p50" {
                    step.model_in_load.0
                } else {
                    step.model_in_load.1
                },
                "ms",
            );
            row(
                format!("hit latency {q}, formula M/G/1 (cv {cv:.2})"),
                x.0,
                x.3,
                "ms",
            );
        }
    } else {
        let lat = merged(rw, |s| &s.lat_ok);
        let m = &o.sim_summary.latency_ms;
        row(
            "cache errors per s (all kinds)".into(),
            v.errors.0,
            v.errors.1,
            "1/s",
        );
        row(
            "(real only) cache command timeouts (250 ms) per s".into(),
            mean(rw, |s| s.cache_timeouts as f64),
            0.0,
            "1/s",
        );
        row(
            "DB miss queries per s (reads falling back)".into(),
            mean(rw, |s| s.db_miss as f64),
            mean(sw, |s| s.db_miss as f64),
            "q/s",
        );
        row(
            "read hit rate".into(),
            report::real_hit(rw),
            report::sim_hit(sw),
            "",
        );
        row(
            "failed requests per s".into(),
            mean(rw, |s| s.failed as f64),
            mean(sw, |s| s.failed as f64),
            "1/s",
        );
        row(
            "latency p50 of successful requests".into(),
            q_ms(&lat, 0.5),
            m.p50,
            "ms",
        );
        row(
            "latency p99 of successful requests".into(),
            q_ms(&lat, 0.99),
            m.p99,
            "ms",
        );
    }
    rows
}

/// Hit latency against Redis utilisation (real, model, formulas) and the
/// busy fraction and commands answered against the offered load.
pub fn draw(steps: &[Step], path: &Path) -> Result<()> {
    let Some(first) = steps.first() else {
        return Ok(());
    };
    let o = &first.outcome;
    let shaped = o.spec.redis.as_ref().expect("a shaped Redis");
    let rtt = o.scenario.app.cache_rtt_ms;
    let get_ms = shaped.get_us / 1000.0;
    let under: Vec<(&Step, StepValues)> = steps
        .iter()
        .filter(|s| s.target < 1.0)
        .map(|s| (s, values(s)))
        .collect();
    let all: Vec<(&Step, StepValues)> = steps.iter().map(|s| (s, values(s))).collect();
    // the formula's curve over utilisation, at the first step's mean command
    let base = formula_queue(first, shaped, 0.0);
    let curve = |q: f64, cv: f64| -> Vec<(f64, f64)> {
        (30..=97)
            .map(|i| {
                let rho = i as f64 / 100.0;
                let m = Mg1 {
                    lambda: rho / base.s,
                    s: base.s,
                    cv,
                };
                (rho, m.response_ms(q, rtt, get_ms))
            })
            .collect()
    };
    let line = |label: String, points: Vec<(f64, f64)>, color, dashed| Series {
        label,
        points,
        color,
        dashed,
    };
    let lat_panel = |q: &str, f: fn(&StepValues) -> (f64, f64, f64, f64), qv: f64| Panel {
        title: format!("hit latency {q} against Redis utilisation"),
        y_label: "ms (log)".into(),
        series: vec![
            line(
                format!("real {q}"),
                under.iter().map(|(_, v)| (v.busy.0, f(v).0)).collect(),
                REAL,
                false,
            ),
            line(
                format!("model {q}"),
                under.iter().map(|(_, v)| (v.busy.1, f(v).1)).collect(),
                MODEL,
                true,
            ),
            line(
                format!("model {q}, in-load time per command"),
                under
                    .iter()
                    .map(|(s, _)| {
                        let m = s.model_in_load;
                        (m.2, if qv < 0.9 { m.0 } else { m.1 })
                    })
                    .collect(),
                MODEL2,
                true,
            ),
            line(format!("M/D/1 {q}"), curve(qv, 0.0), FORMULA, true),
            line(
                format!("gated batches {q} (simulated)"),
                under
                    .iter()
                    .map(|(_, v)| (v.busy.2, if qv < 0.9 { v.gated.0 } else { v.gated.1 }))
                    .collect(),
                REAL2,
                true,
            ),
            line(
                format!("M/G/1 {q}, cv {:.2}", shaped.cv),
                curve(qv, shaped.cv),
                FORMULA2,
                true,
            ),
        ],
        log_y: true,
        log_x: false,
        x_label: "Redis thread busy fraction".into(),
        marks: vec![],
        y_max: None,
    };
    let offered = |f: &dyn Fn(&StepValues) -> f64| -> Vec<(f64, f64)> {
        all.iter().map(|(s, v)| (s.target, f(v))).collect()
    };
    let offered_panel = |title: &str, y: &str, series: Vec<Series>| Panel {
        title: title.into(),
        y_label: y.into(),
        series,
        log_y: false,
        log_x: false,
        x_label: "offered utilisation".into(),
        marks: vec![],
        y_max: None,
    };
    let panels = vec![
        lat_panel("p50", |v| v.hit_p50, 0.5),
        lat_panel("p99", |v| v.hit_p99, 0.99),
        offered_panel(
            "Redis thread busy",
            "busy fraction",
            vec![
                line("real".into(), offered(&|v| v.busy.0), REAL, false),
                line("model".into(), offered(&|v| v.busy.1), MODEL, true),
                line(
                    "formula min(1, rho)".into(),
                    offered(&|v| v.busy.2),
                    FORMULA,
                    true,
                ),
            ],
        ),
        offered_panel(
            "cache commands answered in time, and errors",
            "per second",
            vec![
                line("real".into(), offered(&|v| v.answered.0), REAL, false),
                line("model".into(), offered(&|v| v.answered.1), MODEL, true),
                line("real errors".into(), offered(&|v| v.errors.0), REAL2, false),
                line(
                    "model errors".into(),
                    offered(&|v| v.errors.1),
                    MODEL2,
                    true,
                ),
            ],
        ),
    ];
    chart::draw(
        path,
        &format!(
            "Redis near saturation: shaped Redis ({:.0} us a GET) vs cachesim vs M/D/1, M/G/1",
            shaped.get_us
        ),
        &panels,
        2,
    )
}

/// `redis-saturation.md` and `.csv` in `out`: the calibration, one line per step, the rows.
pub fn write(
    out: &Path,
    steps: &[Step],
    rows: &[Vec<Row>],
    machine: &str,
    load_before: &str,
) -> Result<()> {
    let Some(first) = steps.first() else {
        return Ok(());
    };
    let o = &first.outcome;
    let r = o.spec.redis.as_ref().expect("a shaped Redis");
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Redis near saturation (generated by `cachesim-realcheck redis-saturation`)\n"
    );
    let _ = writeln!(
        md,
        "Machine: {machine}.  \nLoad average before the steps: {load_before}. redis-server ran at nice {} (the other processes at their own); {}.\n",
        first.redis_nice,
        first.pinning
    );
    let _ = writeln!(
        md,
        "Shaped Redis: each cache command is `EVALSHA` of a script that runs the real GET / SET EX / DEL and spins {} iterations. \
         Redis CPU per command (INFO cpu over the EVALSHA calls, 4 clients, median of the probes): GET {:.1} us, SET {:.1} us, DEL {:.1} us \
         (commandstats usec_per_call of a GET: {:.1} us); a GET's wall time inside Redis (TIME around the script, one connection) {:.1} us, cv {:.2}. \
         Model: `cache.ops_per_sec` {:.0}, `set_cost` {:.3}, `del_cost` {:.3}, `app.cache_rtt_ms` {:.3}.\n",
        r.iterations,
        r.get_us,
        r.set_us,
        r.del_us,
        r.get_usec_per_call,
        r.wall_us,
        r.cv,
        o.scenario.cache.ops_per_sec,
        o.scenario.cache.set_cost,
        o.scenario.cache.del_cost,
        o.scenario.app.cache_rtt_ms
    );
    let _ = writeln!(
        md,
        "Run 1, one line per step (real / model / M/D/1 / M/G/1; busy: real / model / formula):\n"
    );
    let _ = writeln!(
        md,
        "| offered | RPS | s | CPU: generator, Redis, PostgreSQL | Redis waiting for a CPU | Redis' time per command in the load, us | Redis busy | commands answered/s | hit p50 ms | hit p99 ms |\n|---:|---:|---:|---|---:|---:|---|---|---|---|"
    );
    let mut csv = String::from("offered,rps,seconds,real_busy,model_busy,formula_busy,real_answered,model_answered,real_hit_p50_ms,model_hit_p50_ms,md1_hit_p50_ms,mg1_hit_p50_ms,real_hit_p99_ms,model_hit_p99_ms,md1_hit_p99_ms,mg1_hit_p99_ms,real_generator_cpu,real_pg_cpu,real_redis_run_queue_wait,redis_us_per_command_in_load,model_in_load_hit_p50_ms,model_in_load_hit_p99_ms,model_in_load_busy\n");
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.3}")
        } else {
            "-".into()
        }
    };
    for s in steps {
        let v = values(s);
        let o = &s.outcome;
        let _ = writeln!(
            md,
            "| {:.2} | {:.0} | {} | {:.2}, {:.2}, {:.2} | {:.3} | {:.1} | {:.3} / {:.3} / {:.3} | {:.0} / {:.0} | {} / {} / {} / {} | {} / {} / {} / {} |",
            s.target,
            s.rps,
            o.spec.seconds,
            o.cpu.0,
            o.cpu.1,
            o.cpu.2,
            o.redis_run_queue_wait,
            s.in_load_us,
            v.busy.0,
            v.busy.1,
            v.busy.2,
            v.answered.0,
            v.answered.1,
            f(v.hit_p50.0),
            f(v.hit_p50.1),
            f(v.hit_p50.2),
            f(v.hit_p50.3),
            f(v.hit_p99.0),
            f(v.hit_p99.1),
            f(v.hit_p99.2),
            f(v.hit_p99.3)
        );
        let _ = writeln!(
            csv,
            "{},{},{},{:.4},{:.4},{:.4},{:.1},{:.1},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.3},{:.3},{:.4},{:.1},{:.4},{:.4},{:.4}",
            s.target,
            s.rps,
            o.spec.seconds,
            v.busy.0,
            v.busy.1,
            v.busy.2,
            v.answered.0,
            v.answered.1,
            v.hit_p50.0,
            v.hit_p50.1,
            v.hit_p50.2,
            v.hit_p50.3,
            v.hit_p99.0,
            v.hit_p99.1,
            v.hit_p99.2,
            v.hit_p99.3,
            o.cpu.0,
            o.cpu.2,
            o.redis_run_queue_wait,
            s.in_load_us,
            s.model_in_load.0,
            s.model_in_load.1,
            s.model_in_load.2
        );
        std::fs::write(
            out.join(format!("redis-saturation-{:.2}.scenario.json", s.target)),
            o.scenario.to_json_pretty(),
        )?;
    }
    let spread = report::Spread::of(rows);
    let _ = writeln!(
        md,
        "\n## Real vs model and formula, mean [min - max] over {} run(s)\n\n(\"model\" is the formula in the formula rows.)\n",
        rows.len()
    );
    let _ = writeln!(
        md,
        "| scenario | quantity | real | model / formula | error |\n|---|---|---:|---:|---:|"
    );
    for s in &spread {
        let _ = writeln!(md, "{}", s.markdown());
    }
    std::fs::write(out.join("redis-saturation.md"), md)?;
    std::fs::write(out.join("redis-saturation.csv"), csv)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped() -> Shaped {
        Shaped {
            sha: "x".into(),
            iterations: 1,
            get_us: 400.0,
            set_us: 420.0,
            del_us: 380.0,
            ..Shaped::default()
        }
    }

    #[test]
    fn the_mix_sets_the_offered_utilisation() {
        let m = Mix {
            read: 0.75,
            write: 0.15,
            delete: 0.05,
            hit: 0.8,
        };
        let r = shaped();
        // 0.75 (400 + 0.2 x 420) + 0.15 x 420 + 0.05 x 380 = 445 us a request
        assert!((m.cpu_per_request_s(&r) - 445e-6).abs() < 1e-12);
        assert!((m.commands_per_request() - 1.1).abs() < 1e-12);
        let rps = m.rps_for(0.9, &r);
        assert!((rps * 445e-6 - 0.9).abs() < 1e-9);
        let q = m.queue(rps, &r, 0.0);
        assert!((q.rho() - 0.9).abs() < 1e-9, "{}", q.rho());
        assert!((q.s - 445e-6 / 1.1).abs() < 1e-12);
    }
}
