//! What one operation costs on this machine: Redis round trip and CPU per
//! command, PostgreSQL connect time, query latencies at one connection, and
//! throughput/latency against the number of active connections.

use crate::load::{self, hist, key_name, pg_connect, q_ms, DbShape};
use anyhow::{Context, Result};
use cachesim_core::rng::Stream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default)]
pub struct Costs {
    /// PING round trip in a tight loop (blocking client, threads hot), mean ms
    pub redis_rtt_ms: f64,
    /// a paced GET through the load's async client ([`crate::hop`])
    pub redis_hop: crate::hop::Hop,
    /// a paced SELECT 1 through one of the load's connections ([`crate::hop`])
    pub pg_hop: crate::hop::Hop,
    /// Redis CPU (user+sys) per command, us, under a concurrent GET/SET load
    pub redis_cpu_us_per_cmd: f64,
    /// commands/s that load reached (8 concurrent clients, one connection each)
    pub redis_load_ops: f64,
    pub pg_connect_ms: f64,
    pub pg_select1_ms: f64,
    pub pg_pk_ms: f64,
    pub pg_pk_cv: f64,
    pub pg_update_ms: f64,
    pub pg_shaped_ms: f64,
    pub pg_shaped_cv: f64,
}

impl Costs {
    /// The model's `app.cache_rtt_ms`: the paced GET's median less the
    /// command's CPU (the model's Redis adds it), never below the tight
    /// loop's round trip; that round trip when no paced probe was taken.
    pub fn cache_rtt_ms(&self) -> f64 {
        if self.redis_hop.p50_ms > 0.0 {
            (self.redis_hop.p50_ms - self.redis_cpu_us_per_cmd / 1000.0).max(self.redis_rtt_ms)
        } else {
            self.redis_rtt_ms
        }
    }

    /// The model's `app.db_rtt_ms`: the paced SELECT 1's median, never below
    /// the tight loop's; the tight loop's when no paced probe was taken.
    pub fn db_rtt_ms(&self) -> f64 {
        self.pg_hop.p50_ms.max(self.pg_select1_ms)
    }

    /// The model's `app.cache_rtt_p99_ms`: the paced GET's p99 (less the
    /// command's CPU, as the median), never below the median; 0 (a constant
    /// round trip) when no paced probe was taken.
    pub fn cache_rtt_p99_ms(&self) -> f64 {
        spread(
            self.redis_hop.p99_ms - self.redis_cpu_us_per_cmd / 1000.0,
            self.cache_rtt_ms(),
        )
    }

    /// The model's `app.db_rtt_p99_ms`: the paced SELECT 1's p99, as above.
    pub fn db_rtt_p99_ms(&self) -> f64 {
        spread(self.pg_hop.p99_ms, self.db_rtt_ms())
    }
}

/// A round trip's p99 for the model: `p99`, never below the `median` the
/// model uses; 0 (constant) when no probe measured it.
pub fn spread(p99: f64, median: f64) -> f64 {
    if p99 > 0.0 {
        p99.max(median)
    } else {
        0.0
    }
}

/// One point of the connection curve.
#[derive(Clone, Debug, Default)]
pub struct CurvePoint {
    pub connections: u32,
    pub qps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// cores busy in the measured window (after the warm-up): this process
    /// (the load generator), and PostgreSQL when its postmaster was given
    pub gen_cores: f64,
    pub pg_cores: f64,
    /// cores' worth of time runnable but waiting for a CPU, in the same window
    pub gen_waiting: f64,
    pub pg_waiting: f64,
}

impl CurvePoint {
    /// CPU time per query, generator and PostgreSQL together, ms.
    pub fn cpu_ms_per_query(&self) -> f64 {
        (self.gen_cores + self.pg_cores) * 1000.0 / self.qps.max(1e-9)
    }

    /// Time a query spent waiting for a CPU, generator and PostgreSQL
    /// together, ms.
    pub fn cpu_wait_ms_per_query(&self) -> f64 {
        (self.gen_waiting + self.pg_waiting) * 1000.0 / self.qps.max(1e-9)
    }
}

fn info(c: &mut redis::Connection) -> Result<String> {
    Ok(redis::cmd("INFO").query::<String>(c)?)
}

fn redis_cpu(info: &str) -> f64 {
    crate::info_field(info, "used_cpu_user") + crate::info_field(info, "used_cpu_sys")
}

/// Redis costs (sync client; `seconds` of load).
pub fn redis_costs(url: &str, keys: u64, seconds: f64) -> Result<(f64, f64, f64)> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    let n = 2000;
    let t0 = Instant::now();
    for _ in 0..n {
        let _: String = redis::cmd("PING").query(&mut c)?;
    }
    let rtt_ms = t0.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let before = info(&mut c)?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut hs = Vec::new();
    for t in 0..8u64 {
        let client = client.clone();
        let stop = stop.clone();
        hs.push(std::thread::spawn(move || -> Result<()> {
            let mut c = client.get_connection()?;
            let mut rng = Stream::new(7, 200 + t);
            let v = "x".repeat(900);
            while !stop.load(Ordering::Relaxed) {
                let k = key_name(1 + rng.below(keys));
                if rng.chance(0.8) {
                    let _: Option<String> = redis::cmd("GET").arg(&k).query(&mut c)?;
                } else {
                    let _: () = redis::cmd("SET")
                        .arg(&k)
                        .arg(&v)
                        .arg("EX")
                        .arg(300)
                        .query(&mut c)?;
                }
            }
            Ok(())
        }));
    }
    let t1 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        h.join().unwrap()?;
    }
    let el = t1.elapsed().as_secs_f64();
    let after = info(&mut c)?;
    let cmds = crate::info_field(&after, "total_commands_processed")
        - crate::info_field(&before, "total_commands_processed");
    let cpu = redis_cpu(&after) - redis_cpu(&before);
    let _: () = redis::cmd("FLUSHALL").query(&mut c)?;
    Ok((rtt_ms, cpu * 1e6 / cmds.max(1.0), cmds / el))
}

/// The `q` quantile of samples sorted in ascending order (not empty): the
/// sample nearest rank `(n - 1) q`; at `q` = 0.5 the middle one (the upper
/// of the two middle ones for even n).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The median, and the coefficient of variation of the fastest 98% of the
/// samples: the machine is shared, and the slowest 2% are mostly other
/// processes taking the CPU, not the query.
pub fn median_cv(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let med = quantile_sorted(&v, 0.5);
    let keep = &v[..((v.len() as f64 * 0.98).ceil() as usize).clamp(1, v.len())];
    (med, mean_cv(keep).1)
}

/// Mean and coefficient of variation of every sample.
pub fn mean_cv(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, if m > 0.0 { var.sqrt() / m } else { 0.0 })
}

/// PostgreSQL costs at one connection.
pub async fn pg_costs(cfg: &tokio_postgres::Config, keys: u64, shaped_ms: f64) -> Result<Costs> {
    let mut c = Costs::default();
    let mut t = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let conn = pg_connect(cfg, DbShape::Real).await.context("connect")?;
        t.push(t0.elapsed().as_secs_f64() * 1000.0);
        drop(conn);
    }
    c.pg_connect_ms = median_cv(&t).0;
    let conn = pg_connect(cfg, DbShape::Real).await?;
    let shaped = pg_connect(cfg, DbShape::Sleep(shaped_ms)).await?;
    let s1 = conn.client.prepare("SELECT 1").await?;
    let pk = conn.client.prepare(load::DIRECT_SQL).await?;
    let up = conn.client.prepare(load::WRITE_SQL).await?;
    let sh = shaped
        .client
        .prepare(&DbShape::Sleep(shaped_ms).miss_sql())
        .await?;
    let mut rng = Stream::new(3, 300);
    let v = "y".repeat(900);
    let time = |xs: &mut Vec<f64>, t0: Instant| xs.push(t0.elapsed().as_secs_f64() * 1000.0);
    let (mut a, mut b, mut u, mut s) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..3000 {
        let k = key_name(1 + rng.below(keys));
        let t0 = Instant::now();
        conn.client.query_one(&s1, &[]).await?;
        time(&mut a, t0);
        let t0 = Instant::now();
        conn.client.query_opt(&pk, &[&k]).await?;
        time(&mut b, t0);
        if i % 6 == 0 {
            let t0 = Instant::now();
            conn.client.execute(&up, &[&k, &v]).await?;
            time(&mut u, t0);
        }
        if i % 10 == 0 {
            let t0 = Instant::now();
            shaped.client.query_opt(&sh, &[&k]).await?;
            time(&mut s, t0);
        }
    }
    c.pg_select1_ms = median_cv(&a).0;
    (c.pg_pk_ms, c.pg_pk_cv) = median_cv(&b);
    c.pg_update_ms = median_cv(&u).0;
    (c.pg_shaped_ms, c.pg_shaped_cv) = median_cv(&s);
    Ok(c)
}

/// What the scheduler saw of the generator and PostgreSQL at one moment.
struct CpuSample {
    at: tokio::time::Instant,
    /// this process: CPU seconds (rusage) and seconds waiting for a CPU
    gen: (f64, f64),
    pg: std::collections::HashMap<i32, (f64, f64)>,
}

impl CpuSample {
    fn now(postmaster: Option<i32>) -> CpuSample {
        let me = crate::servers::sched_times(std::process::id() as i32).unwrap_or_default();
        CpuSample {
            at: tokio::time::Instant::now(),
            gen: (crate::servers::self_cpu(), me.1),
            pg: postmaster
                .map(crate::servers::pg_processes)
                .unwrap_or_default(),
        }
    }

    /// Cores busy and cores' worth of waiting for a CPU since `before`:
    /// (generator busy, PostgreSQL busy, generator waiting, PostgreSQL
    /// waiting), PostgreSQL's over the processes alive at both moments.
    fn since(&self, before: &CpuSample) -> (f64, f64, f64, f64) {
        let wall = (self.at - before.at).as_secs_f64().max(1e-9);
        let (mut run, mut wait) = (0.0, 0.0);
        for (pid, b) in &self.pg {
            if let Some(a) = before.pg.get(pid) {
                run += b.0 - a.0;
                wait += b.1 - a.1;
            }
        }
        (
            (self.gen.0 - before.gen.0) / wall,
            run / wall,
            (self.gen.1 - before.gen.1) / wall,
            wait / wall,
        )
    }
}

/// Closed loop: `n` connections each running the read query back to back
/// for `secs`, with the cores the generator and PostgreSQL (`postmaster`)
/// kept busy meanwhile.
pub async fn curve_point(
    cfg: &tokio_postgres::Config,
    postmaster: Option<i32>,
    keys: u64,
    shape: DbShape,
    n: u32,
    secs: f64,
) -> Result<CurvePoint> {
    let mut conns = Vec::new();
    let mut errors = 0;
    for _ in 0..n {
        match pg_connect(cfg, shape).await {
            Ok(c) => conns.push(c),
            Err(_) => errors += 1,
        }
    }
    let sql = shape.miss_sql();
    let h = Arc::new(Mutex::new(hist()));
    let done = Arc::new(AtomicU64::new(0));
    let warm = Duration::from_millis(300);
    let start = tokio::time::Instant::now();
    let end = start + warm + Duration::from_secs_f64(secs);
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until(start + warm).await;
        let a = CpuSample::now(postmaster);
        // before the end: the connections close then, and a backend that
        // has exited by the second sample would be left out
        tokio::time::sleep_until(end - Duration::from_millis(100)).await;
        CpuSample::now(postmaster).since(&a)
    });
    let mut set = tokio::task::JoinSet::new();
    for (i, conn) in conns.into_iter().enumerate() {
        let (h, done, sql) = (h.clone(), done.clone(), sql.clone());
        set.spawn(async move {
            let st = conn.client.prepare(&sql).await.ok()?;
            let mut rng = Stream::new(11, 1000 + i as u64);
            let mut local = hist();
            let mut count = 0;
            loop {
                let k = key_name(1 + rng.below(keys));
                let t0 = tokio::time::Instant::now();
                if t0 >= end {
                    break;
                }
                conn.client.query_opt(&st, &[&k]).await.ok()?;
                let t1 = tokio::time::Instant::now();
                if t0 >= start + warm {
                    let _ = local.record((t1 - t0).as_micros().max(1) as u64);
                    count += 1;
                }
            }
            h.lock().unwrap().add(&local).ok()?;
            done.fetch_add(count, Ordering::Relaxed);
            Some(())
        });
    }
    while set.join_next().await.is_some() {}
    let (gen_cores, pg_cores, gen_waiting, pg_waiting) = cpu.await.unwrap_or_default();
    let h = h.lock().unwrap();
    Ok(CurvePoint {
        gen_cores,
        pg_cores,
        gen_waiting,
        pg_waiting,
        connections: n,
        qps: done.load(Ordering::Relaxed) as f64 / secs,
        p50_ms: q_ms(&h, 0.5),
        p99_ms: q_ms(&h, 0.99),
        errors,
    })
}
