//! The scenarios: the same system, faults and parameters in the real run and in the simulator.

use crate::load::{self, key_name, DbShape, LoadParams, Sec};
use crate::measure::Costs;
use crate::servers::Servers;
use anyhow::{Context, Result};
use cachesim_core::calibrate;
use cachesim_core::rng::Stream;
use cachesim_core::scenario::ServiceDist;
use cachesim_core::{
    Command, EvictionPolicy, Scenario, ScheduledCommand, SecondStats, Simulation, Summary,
};
use std::sync::{Arc, Mutex};

/// The scaled system: what 2 shared cores carry with the load generator on them.
#[derive(Clone, Debug)]
pub struct System {
    pub rps: f64,
    pub target_hit_rate: f64,
    pub top1_share: f64,
    pub ttl_s: u64,
    pub pods: u32,
    pub pool_size: u32,
    pub max_connections: u32,
    pub value_bytes: usize,
    pub shaped_ms: f64,
    pub nproc: u32,
}

impl Default for System {
    fn default() -> Self {
        System {
            rps: 2000.0,
            target_hit_rate: 0.85,
            top1_share: 0.5,
            ttl_s: 300,
            pods: 4,
            pool_size: 4,
            max_connections: 12,
            value_bytes: 900,
            shaped_ms: 12.0,
            nproc: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(2),
        }
    }
}

/// Measured on this machine before the runs; sets the model's parameters.
#[derive(Clone, Debug, Default)]
pub struct Calibration {
    pub costs: Costs,
    /// bytes Redis uses per cached entry (used_memory growth / keys)
    pub entry_bytes: f64,
    /// Redis used_memory with no keys
    pub redis_base_bytes: f64,
    /// PK-lookup throughput at saturation (from the connection curve), queries/s
    pub pk_saturation_qps: f64,
    /// The host's cores (nproc), shared by PostgreSQL and the load generator
    pub cores: u32,
    /// `db.contention` and `db.crowding*` fitted to the real connection curve
    /// past `cores` (0 if not measured)
    pub contention: crate::contention_fit::Contention,
}

impl Calibration {
    /// CPU time of one PK lookup on the DB host, ms: cores / peak throughput
    /// (0 when the curve was not measured: no CPU stage).
    pub fn pk_cpu_ms(&self) -> f64 {
        if self.pk_saturation_qps > 0.0 {
            self.cores.max(1) as f64 * 1_000.0 / self.pk_saturation_qps
        } else {
            0.0
        }
    }
}

/// One scenario's definition.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: &'static str,
    pub title: &'static str,
    pub seconds: f64,
    pub shape: DbShape,
    pub crash_at: Option<(f64, f64)>,
    /// (at_s, fraction of the warm working set, policy)
    pub memory: Option<(f64, f64, EvictionPolicy)>,
    /// PostgreSQL `max_connections` for this run (the pods' pools add up to pods x pool_size)
    pub max_connections: u32,
    /// Redis shaped by the Lua spin, with its measured costs (None: plain commands)
    pub redis: Option<crate::redis_shape::Shaped>,
}

pub struct Outcome {
    pub spec: Spec,
    pub params: LoadParams,
    pub scenario: Scenario,
    pub real: Vec<Sec>,
    pub sim: Vec<SecondStats>,
    pub sim_summary: Summary,
    pub warm_keys: u64,
    pub maxmemory_bytes: u64,
    /// cores busy on average during the load: (load generator, Redis, PostgreSQL); NaN if unknown
    pub cpu: (f64, f64, f64),
    /// Redis' main thread runnable but waiting for a CPU, fraction of the load's wall time (NaN if unknown)
    pub redis_run_queue_wait: f64,
    /// the paced probes during the load
    pub hops: crate::hop::During,
}

fn command(json: &str) -> Command {
    serde_json::from_str(json).expect("a valid command")
}

/// The simulator's scenario for this system, shape and calibration.
pub fn sim_scenario(sys: &System, cal: &Calibration, spec: &Spec, seconds: f64) -> Scenario {
    let c = &cal.costs;
    let mut s = Scenario {
        name: format!("realcheck-{}", spec.name),
        seed: 1,
        duration_s: seconds,
        warm_start: true,
        ..Scenario::default()
    };
    s.client.rps = sys.rps;
    s.client.target_hit_rate = sys.target_hit_rate;
    s.client.top1_share = sys.top1_share;
    // no LB and no app processing in the real run: the load generator talks to the "pods" directly
    s.lb.latency_ms = 0.0;
    s.lb.capacity_rps = 1e8;
    s.app.pods = sys.pods;
    s.app.pool_size = sys.pool_size;
    s.app.processing_ms = 0.0;
    // nor the pods' CPU per request: the generator's own time per hop is in
    // the round trips, probed beside each load (`hop::during`, which `run`
    // puts into the model's cache_rtt_ms and db_rtt_ms)
    s.app.cpu_per_request_ms = 0.0;
    s.app.cpu_per_db_reply_ms = 0.0;
    s.app.cache_rtt_ms = c.cache_rtt_ms();
    s.app.cache_rtt_p99_ms = c.cache_rtt_p99_ms();
    s.app.connect_ms = c.pg_connect_ms;
    match &spec.redis {
        None => {
            s.cache.set_cost = 1.0;
            s.cache.del_cost = 1.0;
            s.cache.ops_per_sec = 1e6 / c.redis_cpu_us_per_cmd.max(0.1);
        }
        // the shaped Redis: each verb's measured CPU per command
        Some(r) => {
            let get = r.get_us.max(0.1);
            s.cache.ops_per_sec = 1e6 / get;
            s.cache.set_cost = r.set_us / get;
            s.cache.del_cost = r.del_us / get;
        }
    }
    s.cache.per_kb_us = 0.0;
    s.cache.ttl_s = sys.ttl_s as f64;
    s.cache.entry_bytes = cal.entry_bytes.round().max(16.0) as u32;
    s.db.max_connections = spec.max_connections;
    // a query's latency at one connection = round trip (a paced SELECT 1) +
    // service (the tight loop's time less its SELECT 1)
    s.app.db_rtt_ms = c.db_rtt_ms();
    s.app.db_rtt_p99_ms = c.db_rtt_p99_ms();
    // Two limits, as PostgreSQL has them: every connection is a backend
    // that runs its query's waiting part (round trips inside the server,
    // the commit's WAL flush, pg_sleep) at once (workers = max_connections),
    // and the CPU parts share the host's cores. A PK lookup's CPU part is
    // cores / the connection curve's peak (the generator's CPU included: it
    // shares the cores); the UPDATE and the shaped SELECT do that lookup
    // too. The wait part is the rest of the one-connection time (latency
    // minus SELECT 1's round trip), none when the CPU part is larger.
    // Contention (fitted to the curve past the cores) slows the CPU part.
    let cpu = cal.pk_cpu_ms();
    let svc = |ms: f64| (ms - c.pg_select1_ms).max(cpu).max(0.001);
    s.db.workers = spec.max_connections;
    s.db.cores = cal.cores.max(1);
    s.db.contention = cal.contention.alpha;
    s.db.crowding = cal.contention.crowding;
    // no fit (a default Contention) leaves the scale 0, which the core refuses
    s.db.crowding_connections = cal.contention.connections.max(0.01);
    s.db.write_service_ms = svc(c.pg_update_ms);
    s.db.direct_service_ms = svc(c.pg_pk_ms);
    s.db.read_service_ms = match spec.shape {
        DbShape::Real => svc(c.pg_pk_ms),
        DbShape::Sleep(_) => svc(c.pg_shaped_ms),
    };
    s.db.read_cpu_ms = cpu;
    s.db.write_cpu_ms = cpu;
    s.db.direct_cpu_ms = cpu;
    let cv = match spec.shape {
        DbShape::Real => c.pg_pk_cv,
        DbShape::Sleep(_) => c.pg_shaped_cv,
    };
    s.db.service = ServiceDist::LogNormal { cv: cv.min(10.0) };
    if let Some((crash, restart)) = spec.crash_at {
        // through the JSON form, so that fields the core adds with a default keep their default
        s.faults.push(ScheduledCommand {
            at_s: crash,
            command: command(r#"{"type": "crash_cache", "shard": 0}"#),
        });
        s.faults.push(ScheduledCommand {
            at_s: restart,
            command: command(r#"{"type": "restart_cache", "shard": 0}"#),
        });
    }
    s
}

/// Loads `kv_store` with keys k1..kN.
pub async fn load_db(cfg: &tokio_postgres::Config, keys: u64, value_bytes: usize) -> Result<()> {
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(
            "DROP TABLE IF EXISTS kv_store;
             CREATE TABLE kv_store(key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TIMESTAMPTZ DEFAULT now());",
        )
        .await?;
    client
        .execute(
            &format!(
                "INSERT INTO kv_store(key, value) SELECT 'k' || g, repeat('x', {value_bytes}) FROM generate_series(1, {keys}) g"
            ),
            &[],
        )
        .await?;
    client.batch_execute("VACUUM ANALYZE kv_store").await?;
    Ok(())
}

/// Empties Redis and resets its memory settings (no maxmemory, noeviction),
/// whatever the previous scenario left.
pub fn reset_redis(c: &mut redis::Connection) -> Result<()> {
    redis::cmd("FLUSHALL").query::<()>(c)?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(0)
        .query::<()>(c)?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query::<()>(c)?;
    Ok(())
}

/// Empties Redis, resets its memory settings, and fills it as the model's warm
/// start does: key k cached with its steady-state probability P_k, residual
/// TTL uniform over the TTL. Returns the keys set.
pub fn warm_redis(
    url: &str,
    scn: &Scenario,
    keys: u64,
    zipf_s: f64,
    value_bytes: usize,
    seed: u64,
) -> Result<u64> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    reset_redis(&mut c)?;
    let h = calibrate::harmonic(keys, zipf_s);
    let cl = &scn.client;
    let d = (2.0 * scn.app.cache_rtt_ms
        + scn.app.processing_ms
        + scn.app.db_rtt_ms
        + scn.db.read_service_ms)
        / 1000.0;
    let ttl = scn.cache.ttl_s;
    let mut rng = Stream::new(seed, 77);
    let v = "x".repeat(value_bytes);
    let mut pipe = redis::pipe();
    let mut set = 0u64;
    for k in 1..=keys {
        let p = (k as f64).powf(-zipf_s) / h;
        let pk = calibrate::fill_probability(
            cl.rps * cl.read_fraction * p,
            cl.rps * cl.write_fraction * p,
            cl.rps * cl.delete_fraction * p,
            ttl,
            d,
        );
        if rng.chance(pk) {
            let left = (rng.uniform() * ttl).ceil().max(1.0) as u64;
            pipe.cmd("SET")
                .arg(key_name(k))
                .arg(&v)
                .arg("EX")
                .arg(left)
                .ignore();
            set += 1;
            if set % 2000 == 0 {
                pipe.query::<()>(&mut c)?;
                pipe = redis::pipe();
            }
        }
    }
    if set % 2000 != 0 {
        pipe.query::<()>(&mut c)?;
    }
    Ok(set)
}

fn redis_config(url: &str, maxmemory: u64, policy: &str) -> Result<()> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg(policy)
        .query::<()>(&mut c)?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(maxmemory)
        .query::<()>(&mut c)?;
    Ok(())
}

/// Runs one scenario for real and in the simulator; repetition `rep` draws
/// other arrivals and keys for the real run and uses seed 1 + rep for the model.
pub fn run(
    servers: &Arc<Mutex<Servers>>,
    sys: &System,
    cal: &Calibration,
    spec: &Spec,
    rep: u32,
) -> Result<Outcome> {
    let mut scn = sim_scenario(sys, cal, spec, spec.seconds);
    scn.seed = 1 + rep as u64;
    let sim0 = Simulation::new(scn.clone()).map_err(|e| anyhow::anyhow!("model scenario: {e}"))?;
    let ks = sim0.keyspace();
    {
        let mut s = servers.lock().unwrap();
        // one connection more for the probe of the round trip (`hop::during`)
        if s.pg_max_connections != spec.max_connections + 1 {
            s.restart_pg(spec.max_connections + 1)
                .context("restart postgres")?;
        }
    }
    let (url, pg) = {
        let s = servers.lock().unwrap();
        (s.redis_url(), s.pg_config())
    };
    let params = LoadParams {
        rps: sys.rps,
        seconds: spec.seconds,
        read: scn.client.read_fraction,
        write: scn.client.write_fraction,
        delete: scn.client.delete_fraction,
        keys: ks.keys,
        zipf_s: ks.zipf_s,
        ttl_s: sys.ttl_s,
        pods: sys.pods,
        pool_size: sys.pool_size,
        pool_timeout_ms: scn.app.pool_timeout_ms,
        pool_idle_timeout_s: scn.app.pool_idle_timeout_s,
        cache_timeout_ms: scn.app.cache_timeout_ms,
        client_timeout_ms: scn.client.timeout_ms,
        value_bytes: sys.value_bytes,
        shape: spec.shape,
        redis: spec.redis.clone(),
        fine_timer: spec.redis.is_some(),
        seed: 42 + rep as u64,
    };
    let warm = warm_redis(
        &url,
        &scn,
        ks.keys,
        ks.zipf_s,
        sys.value_bytes,
        9 + rep as u64,
    )
    .context("warm redis")?;
    if let Some(r) = &spec.redis {
        let mut c = redis::Client::open(url.as_str())?.get_connection()?;
        let sha = crate::redis_shape::load_script(&mut c)?;
        anyhow::ensure!(
            sha == r.sha,
            "the script's SHA1 changed: {sha} != {}",
            r.sha
        );
    }
    let mut maxmemory = 0;
    let mut actions: Vec<(f64, load::Action)> = Vec::new();
    if let Some((crash, restart)) = spec.crash_at {
        let s1 = servers.clone();
        actions.push((crash, Box::new(move || s1.lock().unwrap().kill_redis())));
        let s2 = servers.clone();
        actions.push((
            restart,
            Box::new(move || {
                let r = s2.lock().unwrap().start_redis(&crate::servers::RedisConf {
                    maxmemory_bytes: 0,
                    policy: "noeviction",
                });
                if let Err(e) = r {
                    eprintln!("realcheck: restarting redis failed: {e:#}");
                }
            }),
        ));
    }
    if let Some((at, frac, policy)) = spec.memory {
        let model_bytes = frac * warm as f64 * cal.entry_bytes;
        maxmemory = (cal.redis_base_bytes + model_bytes) as u64;
        scn.faults.push(ScheduledCommand {
            at_s: at,
            command: Command::SetEviction { policy },
        });
        scn.faults.push(ScheduledCommand {
            at_s: at,
            command: Command::SetMemory {
                gb: (model_bytes / (1024.0 * 1024.0 * 1024.0)).max(0.001),
                shard: None,
            },
        });
        let u = url.clone();
        actions.push((
            at,
            Box::new(move || {
                if let Err(e) = redis_config(&u, maxmemory, policy.as_str()) {
                    eprintln!("realcheck: CONFIG SET failed: {e:#}");
                }
            }),
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (redis_pid, pg_pid) = {
        let s = servers.lock().unwrap();
        (s.redis_pid(), s.pg_pid())
    };
    let cpu0 = (
        crate::servers::self_cpu(),
        redis_pid.and_then(crate::servers::cpu_of),
        pg_pid.and_then(crate::servers::pg_cpu),
    );
    let wait0 = redis_pid.and_then(crate::servers::run_queue_wait);
    let t0 = std::time::Instant::now();
    let (real, hops) = rt.block_on(async {
        let probe = tokio::spawn(crate::hop::during(
            url.clone(),
            pg.clone(),
            spec.seconds,
            spec.redis.is_none(),
        ));
        let real = load::run(&params, &url, &pg, actions).await;
        (real, probe.await)
    });
    let real = real?;
    let hops = hops?.context("the round-trip probes during the load")?;
    let el = t0.elapsed().as_secs_f64();
    let same_redis = servers.lock().unwrap().redis_pid() == redis_pid;
    let cpu = (
        (crate::servers::self_cpu() - cpu0.0) / el,
        match (cpu0.1, same_redis) {
            (Some(a), true) => redis_pid
                .and_then(crate::servers::cpu_of)
                .map(|b| (b - a) / el)
                .unwrap_or(f64::NAN),
            _ => f64::NAN,
        },
        match cpu0.2 {
            Some(a) => pg_pid
                .and_then(crate::servers::pg_cpu)
                .map(|b| (b - a) / el)
                .unwrap_or(f64::NAN),
            None => f64::NAN,
        },
    );
    let redis_run_queue_wait = match (wait0, same_redis) {
        (Some(a), true) => redis_pid
            .and_then(crate::servers::run_queue_wait)
            .map(|b| (b - a) / el)
            .unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    drop(rt);
    // the round trips as they were during this load: median and spread
    if hops.redis.p50_ms > 0.0 {
        scn.app.cache_rtt_ms = hops.redis.p50_ms.max(cal.costs.redis_rtt_ms);
        scn.app.cache_rtt_p99_ms = crate::measure::spread(hops.redis.p99_ms, scn.app.cache_rtt_ms);
    }
    if hops.pg.p50_ms > 0.0 {
        scn.app.db_rtt_ms = hops.pg.p50_ms.max(cal.costs.pg_select1_ms);
        scn.app.db_rtt_p99_ms = crate::measure::spread(hops.pg.p99_ms, scn.app.db_rtt_ms);
    }
    // the SET / DEL after a DB reply: the PING sent the moment the probe's
    // SELECT 1 answered (a constant at its median)
    if hops.after_db.p50_ms > 0.0 {
        scn.app.cache_rtt_after_db_ms = hops.after_db.p50_ms.max(cal.costs.redis_rtt_ms);
    }
    // the simulator, same parameters and faults
    let mut sim =
        Simulation::new(scn.clone()).map_err(|e| anyhow::anyhow!("model scenario: {e}"))?;
    sim.advance_to(spec.seconds);
    let sim_secs: Vec<SecondStats> = sim.history().iter().cloned().collect();
    let sim_summary = Summary::of(&sim);
    Ok(Outcome {
        spec: spec.clone(),
        params,
        scenario: scn,
        real,
        sim: sim_secs,
        sim_summary,
        warm_keys: warm,
        maxmemory_bytes: maxmemory,
        cpu,
        redis_run_queue_wait,
        hops,
    })
}

/// Bytes per entry and the empty baseline, measured by filling Redis with `n` keys.
pub fn redis_entry_bytes(url: &str, n: u64, value_bytes: usize) -> Result<(f64, f64)> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    redis::cmd("FLUSHALL").query::<()>(&mut c)?;
    let base = crate::info_field(
        &redis::cmd("INFO").arg("memory").query::<String>(&mut c)?,
        "used_memory",
    );
    let v = "x".repeat(value_bytes);
    let mut pipe = redis::pipe();
    for k in 1..=n {
        pipe.cmd("SET")
            .arg(key_name(k))
            .arg(&v)
            .arg("EX")
            .arg(300)
            .ignore();
        if k % 2000 == 0 {
            pipe.query::<()>(&mut c)?;
            pipe = redis::pipe();
        }
    }
    if n % 2000 != 0 {
        pipe.query::<()>(&mut c)?;
    }
    let used = crate::info_field(
        &redis::cmd("INFO").arg("memory").query::<String>(&mut c)?,
        "used_memory",
    );
    redis::cmd("FLUSHALL").query::<()>(&mut c)?;
    Ok(((used - base) / n as f64, base))
}
