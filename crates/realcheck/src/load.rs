//! The real system under an open-loop load: simulated pods, each with its own
//! Redis connection and a bounded PostgreSQL pool, running the seed's
//! cache-aside pseudocode exactly (read = GET, on miss SELECT then
//! `SET key value EX ttl`; write = UPDATE then SET; delete = UPDATE then DEL;
//! direct = SELECT), with per-second metrics.

use crate::redis_shape::Verb;
use anyhow::{Context, Result};
use cachesim_core::request::Op;
use cachesim_core::rng::Stream;
use cachesim_core::zipf::Zipf;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// How a cache-miss SELECT costs the DB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DbShape {
    /// The real cost of a primary-key lookup on this machine.
    Real,
    /// The lookup plus `pg_sleep(ms / 1000)` inside the same query.
    Sleep(f64),
}

impl DbShape {
    pub fn label(&self) -> String {
        match self {
            DbShape::Real => "real PK lookup".into(),
            DbShape::Sleep(ms) => format!("shaped: PK lookup + pg_sleep({})", ms / 1000.0),
        }
    }
    pub fn miss_sql(&self) -> String {
        match self {
            DbShape::Real => "SELECT value FROM kv_store WHERE key = $1".into(),
            DbShape::Sleep(ms) => format!(
                "SELECT v.value FROM (SELECT pg_sleep({})) s, kv_store v WHERE v.key = $1",
                ms / 1000.0
            ),
        }
    }
}

pub const DIRECT_SQL: &str = "SELECT value FROM kv_store WHERE key = $1";
pub const WRITE_SQL: &str = "UPDATE kv_store SET value = $2, updated_at = now() WHERE key = $1";

/// Everything the load generator needs. Recorded in the report.
#[derive(Clone, Debug)]
pub struct LoadParams {
    pub rps: f64,
    pub seconds: f64,
    pub read: f64,
    pub write: f64,
    pub delete: f64,
    pub keys: u64,
    pub zipf_s: f64,
    pub ttl_s: u64,
    pub pods: u32,
    pub pool_size: u32,
    pub pool_timeout_ms: f64,
    /// A pooled connection idle this long is closed (the model's
    /// `app.pool_idle_timeout_s`; 0 keeps every connection)
    pub pool_idle_timeout_s: f64,
    pub cache_timeout_ms: f64,
    pub client_timeout_ms: f64,
    pub value_bytes: usize,
    pub shape: DbShape,
    /// Redis shaped by a Lua spin (`redis_shape`): every cache command is an EVALSHA
    pub redis: Option<crate::redis_shape::Shaped>,
    /// Send each request at its time to within ~0.1 ms (a blocking-pool
    /// sleep) instead of tokio's 1 ms timer ticks, which bunch the arrivals
    /// of a tick together: the shaped Redis serves a command in well under
    /// a millisecond, so bunched arrivals would queue where Poisson ones do not.
    pub fine_timer: bool,
    pub seed: u64,
}

pub fn key_name(rank: u64) -> String {
    format!("k{rank}")
}

/// One second of the real run (bucketed by when things happened, seconds since the load started).
#[derive(Clone)]
pub struct Sec {
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub err_timeout: u64,
    pub err_db_connections: u64,
    pub err_pool_timeout: u64,
    pub err_cache_oom: u64,
    pub err_other: u64,
    pub reads: u64,
    pub hits: u64,
    pub db_offered: u64,
    pub db_queries: u64,
    pub db_miss: u64,
    pub cache_errors: u64,
    /// cache commands answered within the command timeout (an OOM refusal included)
    pub cache_ok: u64,
    /// cache commands the app gave up on after the command timeout (also in `cache_errors`)
    pub cache_timeouts: u64,
    pub set_oom: u64,
    /// successful requests (the model's `p50_ms`...)
    pub lat_ok: Histogram<u64>,
    /// every request, failures included, at the time it ended
    pub lat_all: Histogram<u64>,
    pub lat_hit: Histogram<u64>,
    pub lat_miss: Histogram<u64>,
    /// one DB query, client side (pool wait excluded)
    pub lat_db: Histogram<u64>,
    /// how late the generator sent requests after their scheduled time
    pub gen_lag: Histogram<u64>,
    /// the most DB connections the pods held open at once in this second
    pub db_connections_peak: u32,
    /// sampled from Redis INFO at the end of the second
    pub evicted_total: u64,
    pub used_memory: u64,
    pub redis_keys: u64,
    pub redis_up: bool,
}

pub fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("bounds")
}

impl Default for Sec {
    fn default() -> Self {
        Sec {
            arrived: 0,
            completed: 0,
            failed: 0,
            err_timeout: 0,
            err_db_connections: 0,
            err_pool_timeout: 0,
            err_cache_oom: 0,
            err_other: 0,
            reads: 0,
            hits: 0,
            db_offered: 0,
            db_queries: 0,
            db_miss: 0,
            cache_errors: 0,
            cache_ok: 0,
            cache_timeouts: 0,
            set_oom: 0,
            lat_ok: hist(),
            lat_all: hist(),
            lat_hit: hist(),
            lat_miss: hist(),
            lat_db: hist(),
            gen_lag: hist(),
            db_connections_peak: 0,
            evicted_total: 0,
            used_memory: 0,
            redis_keys: 0,
            redis_up: true,
        }
    }
}

impl Sec {
    pub fn hit_rate(&self) -> f64 {
        if self.reads == 0 {
            0.0
        } else {
            self.hits as f64 / self.reads as f64
        }
    }
}

pub fn q_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}

pub struct Stats {
    start: Instant,
    secs: Mutex<Vec<Sec>>,
    /// DB connections open now, all pods together
    open: AtomicU32,
}

impl Stats {
    fn new(start: Instant, n: usize) -> Stats {
        Stats {
            start,
            secs: Mutex::new(vec![Sec::default(); n + 30]),
            open: AtomicU32::new(0),
        }
    }
    /// A connection opened: the second's peak follows the count.
    fn opened(&self) {
        let n = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.now(|s| s.db_connections_peak = s.db_connections_peak.max(n));
    }
    fn closed(&self, n: usize) {
        self.open.fetch_sub(n as u32, Ordering::Relaxed);
    }
    fn with<F: FnOnce(&mut Sec)>(&self, at: Instant, f: F) {
        let i = at.saturating_duration_since(self.start).as_secs() as usize;
        let mut v = self.secs.lock().unwrap();
        if i >= v.len() {
            v.resize(i + 1, Sec::default());
        }
        f(&mut v[i]);
    }
    fn now<F: FnOnce(&mut Sec)>(&self, f: F) {
        self.with(Instant::now(), f)
    }
}

/// One pod's Redis connection: multiplexed, replaced in the background when it breaks.
struct RedisHandle {
    client: redis::Client,
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    reconnecting: AtomicBool,
}

impl RedisHandle {
    fn config() -> redis::AsyncConnectionConfig {
        redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(200)))
            .set_response_timeout(None)
    }

    async fn new(url: &str) -> Result<Arc<RedisHandle>> {
        let client = redis::Client::open(url)?;
        let c = client
            .get_multiplexed_async_connection_with_config(&Self::config())
            .await
            .context("connect to redis")?;
        Ok(Arc::new(RedisHandle {
            client,
            conn: Mutex::new(Some(c)),
            reconnecting: AtomicBool::new(false),
        }))
    }

    fn get(&self) -> Option<redis::aio::MultiplexedConnection> {
        self.conn.lock().unwrap().clone()
    }

    /// The connection is gone: commands fail at once until a new one is open (tried every 50 ms).
    fn broken(self: &Arc<Self>) {
        *self.conn.lock().unwrap() = None;
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Ok(c) = me
                    .client
                    .get_multiplexed_async_connection_with_config(&Self::config())
                    .await
                {
                    *me.conn.lock().unwrap() = Some(c);
                    break;
                }
            }
            me.reconnecting.store(false, Ordering::SeqCst);
        });
    }
}

enum CacheErr {
    Oom,
    Failed,
}

impl Pod {
    /// One Redis command (plain, or the shaped script) with the app's command timeout.
    async fn redis<T: redis::FromRedisValue>(
        &self,
        stats: &Stats,
        verb: Verb,
        key: &str,
        value: &str,
        ttl: u64,
    ) -> Result<T, CacheErr> {
        let Some(mut c) = self.redis.get() else {
            return Err(CacheErr::Failed);
        };
        let cmd = crate::redis_shape::cmd(self.shape.as_deref(), verb, key, value, ttl);
        match tokio::time::timeout(self.cache_timeout, cmd.query_async::<T>(&mut c)).await {
            Ok(Ok(v)) => {
                stats.now(|s| s.cache_ok += 1);
                Ok(v)
            }
            Ok(Err(e)) => {
                if e.code() == Some("OOM") || e.to_string().contains("OOM") {
                    stats.now(|s| s.cache_ok += 1);
                    Err(CacheErr::Oom)
                } else {
                    if e.is_io_error()
                        || e.is_connection_dropped()
                        || e.is_connection_refusal()
                        || e.is_unrecoverable_error()
                    {
                        self.redis.broken();
                    }
                    Err(CacheErr::Failed)
                }
            }
            Err(_) => {
                stats.now(|s| s.cache_timeouts += 1);
                Err(CacheErr::Failed)
            }
        }
    }
}

/// A multiplexed Redis connection as the load's pods open it.
pub async fn redis_connection(url: &str) -> Result<redis::aio::MultiplexedConnection> {
    Ok(redis::Client::open(url)?
        .get_multiplexed_async_connection_with_config(&RedisHandle::config())
        .await?)
}

/// A pooled PostgreSQL connection with its prepared statements.
pub struct PgConn {
    pub client: tokio_postgres::Client,
    miss: tokio_postgres::Statement,
    direct: tokio_postgres::Statement,
    write: tokio_postgres::Statement,
}

pub async fn pg_connect(
    cfg: &tokio_postgres::Config,
    shape: DbShape,
) -> Result<PgConn, tokio_postgres::Error> {
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let miss = client.prepare(&shape.miss_sql()).await?;
    let direct = client.prepare(DIRECT_SQL).await?;
    let write = client.prepare(WRITE_SQL).await?;
    Ok(PgConn {
        client,
        miss,
        direct,
        write,
    })
}

enum DbErr {
    PoolTimeout,
    TooManyConnections,
    Other,
}

/// A bounded pool: `pool_size` permits; a permit takes the most recently
/// released idle connection or opens one (PostgreSQL may refuse it past
/// `max_connections`); waiting for a permit times out after `pool_timeout`;
/// a connection idle for `idle_timeout` is closed (when the pod next takes
/// one, every few ms under the load; the model checks once a simulated
/// second). Same rules as the model's pool.
struct Pool {
    sem: Semaphore,
    /// idle connections with the time each was released, oldest first
    idle: Mutex<Vec<(PgConn, Instant)>>,
    cfg: tokio_postgres::Config,
    shape: DbShape,
    timeout: Duration,
    /// `None`: connections are never closed for being idle
    idle_timeout: Option<Duration>,
}

impl Pool {
    /// The newest idle connection, after closing those idle too long.
    fn take_idle(&self, stats: &Stats) -> Option<PgConn> {
        let mut idle = self.idle.lock().unwrap();
        if let Some(limit) = self.idle_timeout {
            let now = Instant::now();
            let stale = idle.iter().take_while(|(_, t)| now - *t > limit).count();
            if stale > 0 {
                idle.drain(..stale);
                stats.closed(stale);
            }
        }
        idle.pop().map(|(c, _)| c)
    }
}

struct Pod {
    redis: Arc<RedisHandle>,
    shape: Option<Arc<crate::redis_shape::Shaped>>,
    pool: Pool,
    cache_timeout: Duration,
}

#[derive(Clone, Copy)]
enum Query {
    Miss,
    Direct,
    Write,
}

impl Pod {
    async fn db(
        &self,
        stats: &Stats,
        q: Query,
        key: &str,
        value: &str,
    ) -> Result<Option<String>, DbErr> {
        stats.now(|s| s.db_offered += 1);
        let permit = match tokio::time::timeout(self.pool.timeout, self.pool.sem.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(DbErr::PoolTimeout),
        };
        let conn = match self.pool.take_idle(stats) {
            Some(c) => c,
            None => match pg_connect(&self.pool.cfg, self.pool.shape).await {
                Ok(c) => {
                    stats.opened();
                    c
                }
                Err(e) => {
                    drop(permit);
                    let too_many = e.code()
                        == Some(&tokio_postgres::error::SqlState::TOO_MANY_CONNECTIONS)
                        || e.to_string().contains("too many");
                    return Err(if too_many {
                        DbErr::TooManyConnections
                    } else {
                        DbErr::Other
                    });
                }
            },
        };
        let t0 = Instant::now();
        let r = match q {
            Query::Miss => conn
                .client
                .query_opt(&conn.miss, &[&key])
                .await
                .map(|r| r.map(|r| r.get::<_, String>(0))),
            Query::Direct => conn
                .client
                .query_opt(&conn.direct, &[&key])
                .await
                .map(|r| r.map(|r| r.get::<_, String>(0))),
            Query::Write => conn
                .client
                .execute(&conn.write, &[&key, &value])
                .await
                .map(|_| None),
        };
        let t1 = Instant::now();
        match r {
            Ok(v) => {
                self.pool.idle.lock().unwrap().push((conn, t1));
                drop(permit);
                let open = stats.open.load(Ordering::Relaxed);
                stats.with(t1, |s| {
                    // the count is also read here, so that a second
                    // without a new connection still shows what is open
                    s.db_connections_peak = s.db_connections_peak.max(open);
                    s.db_queries += 1;
                    if matches!(q, Query::Miss) {
                        s.db_miss += 1;
                    }
                    let _ = s.lat_db.record((t1 - t0).as_micros().max(1) as u64);
                });
                Ok(v)
            }
            Err(_) => {
                // the connection is dropped, not returned
                stats.closed(1);
                Err(DbErr::Other)
            }
        }
    }
}

enum Outcome {
    Hit,
    Miss,
    Other,
}

enum Fail {
    Db(DbErr),
    Oom,
}

async fn handle(
    pod: &Pod,
    stats: &Stats,
    op: Op,
    key: &str,
    value: &str,
    ttl: u64,
) -> Result<Outcome, Fail> {
    match op {
        Op::Read => {
            let got: Result<Option<String>, _> = pod.redis(stats, Verb::Get, key, "", ttl).await;
            match &got {
                Ok(v) => stats.now(|s| {
                    s.reads += 1;
                    if v.is_some() {
                        s.hits += 1;
                    }
                }),
                Err(_) => stats.now(|s| {
                    s.reads += 1;
                    s.cache_errors += 1;
                }),
            }
            if let Ok(Some(_)) = got {
                return Ok(Outcome::Hit);
            }
            let v = pod
                .db(stats, Query::Miss, key, value)
                .await
                .map_err(Fail::Db)?;
            let v = v.unwrap_or_else(|| value.to_string());
            match pod.redis::<()>(stats, Verb::Set, key, &v, ttl).await {
                Ok(()) => {}
                Err(CacheErr::Oom) => stats.now(|s| s.set_oom += 1),
                Err(CacheErr::Failed) => stats.now(|s| s.cache_errors += 1),
            }
            Ok(Outcome::Miss)
        }
        Op::Write => {
            pod.db(stats, Query::Write, key, value)
                .await
                .map_err(Fail::Db)?;
            match pod.redis::<()>(stats, Verb::Set, key, value, ttl).await {
                Ok(()) => Ok(Outcome::Other),
                Err(CacheErr::Oom) => {
                    stats.now(|s| s.set_oom += 1);
                    Err(Fail::Oom)
                }
                Err(CacheErr::Failed) => {
                    stats.now(|s| s.cache_errors += 1);
                    Ok(Outcome::Other)
                }
            }
        }
        Op::Delete => {
            pod.db(stats, Query::Write, key, value)
                .await
                .map_err(Fail::Db)?;
            if pod
                .redis::<i64>(stats, Verb::Del, key, "", ttl)
                .await
                .is_err()
            {
                stats.now(|s| s.cache_errors += 1);
            }
            Ok(Outcome::Other)
        }
        Op::Direct => {
            pod.db(stats, Query::Direct, key, value)
                .await
                .map_err(Fail::Db)?;
            Ok(Outcome::Other)
        }
    }
}

/// Something to do to the servers at a time of the run (seconds since the load started).
pub type Action = Box<dyn FnOnce() + Send>;

/// Runs the open-loop load for `p.seconds`, calling each timed action at its
/// time on a blocking thread. Returns the per-second series.
pub async fn run(
    p: &LoadParams,
    redis_url: &str,
    pg: &tokio_postgres::Config,
    mut actions: Vec<(f64, Action)>,
) -> Result<Vec<Sec>> {
    let mut pods = Vec::new();
    let shape = p.redis.clone().map(Arc::new);
    for _ in 0..p.pods {
        pods.push(Arc::new(Pod {
            redis: RedisHandle::new(redis_url).await?,
            shape: shape.clone(),
            pool: Pool {
                sem: Semaphore::new(p.pool_size as usize),
                idle: Mutex::new(Vec::new()),
                cfg: pg.clone(),
                shape: p.shape,
                timeout: Duration::from_secs_f64(p.pool_timeout_ms / 1000.0),
                idle_timeout: (p.pool_idle_timeout_s > 0.0)
                    .then(|| Duration::from_secs_f64(p.pool_idle_timeout_s)),
            },
            cache_timeout: Duration::from_secs_f64(p.cache_timeout_ms / 1000.0),
        }));
    }
    let start = Instant::now() + Duration::from_millis(50);
    let stats = Arc::new(Stats::new(start, p.seconds.ceil() as usize));
    let value: Arc<str> = "x".repeat(p.value_bytes).into();
    let zipf = Zipf::new(p.keys, p.zipf_s);
    let mut rng = Stream::new(p.seed, 101);
    let timeout = Duration::from_secs_f64(p.client_timeout_ms / 1000.0);

    // Redis INFO once a second (its own connection, reopened after a crash)
    let monitor = {
        let stats = stats.clone();
        let url = redis_url.to_string();
        let secs = p.seconds.ceil() as u64;
        tokio::spawn(async move {
            let client = redis::Client::open(url).unwrap();
            let mut conn = None;
            for i in 1..=secs {
                tokio::time::sleep_until(start + Duration::from_secs(i) - Duration::from_millis(5))
                    .await;
                if conn.is_none() {
                    conn = client
                        .get_multiplexed_async_connection_with_config(&RedisHandle::config())
                        .await
                        .ok();
                }
                let info = match conn.as_mut() {
                    Some(c) => tokio::time::timeout(
                        Duration::from_millis(200),
                        redis::cmd("INFO").query_async::<String>(c),
                    )
                    .await
                    .ok()
                    .and_then(|r| r.ok()),
                    None => None,
                };
                if info.is_none() {
                    conn = None;
                }
                let at = start + Duration::from_secs(i - 1);
                stats.with(at, |s| match &info {
                    Some(text) => {
                        let f = crate::info_field;
                        s.evicted_total = f(text, "evicted_keys") as u64;
                        s.used_memory = f(text, "used_memory") as u64;
                        s.redis_keys = crate::info_keys(text);
                        s.redis_up = true;
                    }
                    None => s.redis_up = false,
                });
            }
        })
    };

    actions.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut actions = actions.into_iter().peekable();
    let mut tasks = tokio::task::JoinSet::new();
    let mut t = 0.0f64;
    let mut i: u64 = 0;
    loop {
        t += rng.exponential(1.0 / p.rps);
        if t >= p.seconds {
            break;
        }
        while let Some((at, _)) = actions.peek() {
            if *at > t {
                break;
            }
            let (at, f) = actions.next().unwrap();
            tokio::time::sleep_until(start + Duration::from_secs_f64(at)).await;
            tokio::task::spawn_blocking(f);
        }
        let due = start + Duration::from_secs_f64(t);
        let left = due.saturating_duration_since(Instant::now());
        if p.fine_timer && left > Duration::from_micros(50) {
            let _ = tokio::task::spawn_blocking(move || std::thread::sleep(left)).await;
        } else {
            tokio::time::sleep_until(due).await;
        }
        let op = Op::from_mix(rng.uniform(), p.read, p.write, p.delete);
        let key = key_name(zipf.sample(&mut rng));
        let pod = pods[(i % p.pods as u64) as usize].clone();
        i += 1;
        let stats = stats.clone();
        let value = value.clone();
        let ttl = p.ttl_s;
        stats.with(due, |s| s.arrived += 1);
        tasks.spawn(async move {
            // latency from when the request is sent: tokio's timer wheel has
            // 1 ms ticks, so a request starts up to ~1 ms after its scheduled
            // time; that lag is recorded apart (`gen_lag`), not as latency
            let sent = Instant::now();
            let r = handle(&pod, &stats, op, &key, &value, ttl).await;
            let end = Instant::now();
            let us = (end - sent).as_micros().max(1) as u64;
            stats.with(end, |s| {
                let _ = s.gen_lag.record((sent - due).as_micros().max(1) as u64);
                let _ = s.lat_all.record(us);
                match r {
                    Ok(o) if end - sent <= timeout => {
                        s.completed += 1;
                        let _ = s.lat_ok.record(us);
                        match o {
                            Outcome::Hit => {
                                let _ = s.lat_hit.record(us);
                            }
                            Outcome::Miss => {
                                let _ = s.lat_miss.record(us);
                            }
                            Outcome::Other => {}
                        }
                    }
                    Ok(_) => {
                        s.failed += 1;
                        s.err_timeout += 1;
                    }
                    Err(f) => {
                        s.failed += 1;
                        match f {
                            Fail::Oom => s.err_cache_oom += 1,
                            Fail::Db(DbErr::PoolTimeout) => s.err_pool_timeout += 1,
                            Fail::Db(DbErr::TooManyConnections) => s.err_db_connections += 1,
                            Fail::Db(DbErr::Other) => s.err_other += 1,
                        }
                    }
                }
            });
        });
        // reap finished tasks now and then so the set stays small
        while tasks.try_join_next().is_some() {}
    }
    for (at, f) in actions {
        tokio::time::sleep_until(start + Duration::from_secs_f64(at)).await;
        tokio::task::spawn_blocking(f);
    }
    // in-flight requests end within the client timeout plus a pool timeout
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    let _ = monitor.await;
    let mut secs = stats.secs.lock().unwrap().clone();
    secs.truncate(p.seconds.ceil() as usize);
    Ok(secs)
}
