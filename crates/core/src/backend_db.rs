//! BackendDB: PostgreSQL as the source of truth.
//!
//! * **Queueing**: `workers` queries execute at once (the DB's effective
//!   parallelism: 24 workers at 12 ms give the seed's ~2K RPS); the rest wait
//!   first-come first-served. Service times are drawn on arrival, so an
//!   arriving query simply takes the earliest-free worker: start =
//!   max(arrival, earliest free), an exact FCFS M/G/c without a queue
//!   structure.
//! * **CPU**: each query's service time is a CPU part and a wait part (I/O,
//!   a commit's WAL flush, `pg_sleep`), in the proportion
//!   `db.*_cpu_ms / db.*_service_ms` of its kind. A query holds its worker
//!   for all of it (a backend is busy while it computes too); its CPU part
//!   also needs one of the host's `cores`, first-come first-served in the
//!   order queries got their worker (those times never decrease, so the
//!   cores are the same exact FCFS M/G/k), then its wait runs without a
//!   core. Saturated, the DB serves min(cores / cpu, workers / (cpu + wait))
//!   queries per second.
//! * **Connections**: at most `max_connections` are open at once; opening one
//!   more fails with `too many connections`. Connections belong to the app
//!   pods' pools (see `app_service`).
//! * **Versions**: each key's row has a version, bumped by every write or
//!   delete, so the model can tell when the cache serves a stale value. It is
//!   16 bits per key (a value read 65,536 writes ago would look fresh again:
//!   far beyond any TTL here).

use crate::reply_latency::ReplyLatency;
use crate::rng::Stream;
use crate::scenario::{DbConfig, ServiceDist};
use crate::time::{from_ms, Nanos};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One query's work at the DB: CPU (needs a core) then waiting (needs only
/// its worker).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbWork {
    pub cpu: Nanos,
    pub wait: Nanos,
}

impl DbWork {
    pub fn total(&self) -> Nanos {
        self.cpu + self.wait
    }
}

/// What a query does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// Primary-key SELECT after a cache miss.
    Select,
    /// Primary-key UPDATE or DELETE.
    Write,
    /// The query of a non-cache request.
    Direct,
}

#[derive(Clone, Debug)]
pub struct BackendDb {
    worker_free: BinaryHeap<Reverse<Nanos>>,
    versions: Vec<u16>,
    /// When each row last changed (simulated ms; 0: never written): how long
    /// a stale copy has been stale.
    changed_ms: Vec<u32>,
    pub open_connections: u32,
    pub max_connections: u32,
    /// PgBouncer in front (transaction mode): the pods' connections end at
    /// it, and it keeps at most this many server connections.
    pub pooler: Option<u32>,
    /// Connections the pods hold to the pooler.
    pub client_connections: u32,
    pub slowdown: f64,
    read_ms: f64,
    write_ms: f64,
    direct_ms: f64,
    /// CPU share of each kind's service time (`*_cpu_ms / *_service_ms`).
    read_cpu: f64,
    write_cpu: f64,
    direct_cpu: f64,
    /// When each of the host's cores is free.
    core_free: BinaryHeap<Reverse<Nanos>>,
    cores: u32,
    /// Core time used by queries and forks, ns.
    pub cpu_busy_ns: u64,
    dist: ServiceDist,
    /// log-normal parameters (sigma) for the configured cv
    sigma: f64,
    pub busy_ns: u64,
    workers: u32,
    contention: f64,
    crowding: f64,
    crowding_connections: f64,
    connection_cpu: Nanos,
    /// When each query at the DB (waiting for a worker or executing) is
    /// done: how many backends are active when the next one arrives.
    in_db: BinaryHeap<Reverse<Nanos>>,
    /// Time at the DB (arrival to reply) of the queries, by the second
    /// their reply leaves.
    latency: ReplyLatency,
}

impl BackendDb {
    pub fn new(cfg: &DbConfig, keys: u64) -> Self {
        let sigma = match cfg.service {
            ServiceDist::LogNormal { cv } => libm::sqrt(libm::log(1.0 + cv * cv)),
            _ => 0.0,
        };
        BackendDb {
            worker_free: (0..cfg.workers).map(|_| Reverse(0)).collect(),
            versions: vec![0; keys as usize],
            changed_ms: vec![0; keys as usize],
            open_connections: 0,
            max_connections: cfg.max_connections,
            pooler: None,
            client_connections: 0,
            slowdown: 1.0,
            read_ms: cfg.read_service_ms,
            write_ms: cfg.write_service_ms,
            direct_ms: cfg.direct_service_ms,
            read_cpu: (cfg.read_cpu_ms / cfg.read_service_ms).min(1.0),
            write_cpu: (cfg.write_cpu_ms / cfg.write_service_ms).min(1.0),
            direct_cpu: (cfg.direct_cpu_ms / cfg.direct_service_ms).min(1.0),
            core_free: (0..cfg.cores.max(1)).map(|_| Reverse(0)).collect(),
            cores: cfg.cores.max(1),
            cpu_busy_ns: 0,
            dist: cfg.service,
            sigma,
            busy_ns: 0,
            workers: cfg.workers,
            contention: cfg.contention,
            crowding: cfg.crowding,
            crowding_connections: cfg.crowding_connections.max(0.01),
            connection_cpu: from_ms(cfg.connection_cpu_ms),
            in_db: BinaryHeap::new(),
            latency: ReplyLatency::default(),
        }
    }

    pub fn cores(&self) -> u32 {
        self.cores
    }

    pub fn workers(&self) -> u32 {
        self.workers
    }

    /// Grows the table when the keyspace grows (new rows start at version 0).
    pub fn ensure_keys(&mut self, keys: u64) {
        if (self.versions.len() as u64) < keys {
            self.versions.resize(keys as usize, 0);
            self.changed_ms.resize(keys as usize, 0);
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.versions.capacity() * 2
            + self.changed_ms.capacity() * 4
            + self.in_db.capacity() * 8
            + self.latency.heap_bytes()
    }

    #[inline]
    pub fn version(&self, key: u32) -> u16 {
        self.versions.get(key as usize).copied().unwrap_or(0)
    }

    /// A write commits at `now_ms`: the row's version moves on.
    #[inline]
    pub fn bump(&mut self, key: u32, now_ms: u32) {
        if let Some(v) = self.versions.get_mut(key as usize) {
            *v = v.wrapping_add(1);
            self.changed_ms[key as usize] = now_ms;
        }
    }

    /// When the row last changed, simulated ms.
    #[inline]
    pub fn changed_ms(&self, key: u32) -> u32 {
        self.changed_ms.get(key as usize).copied().unwrap_or(0)
    }

    /// Draws a service time for a query of this kind, split into its CPU
    /// and wait parts (one draw: the split is the kind's CPU share, so the
    /// random stream is the same as without a CPU stage).
    pub fn sample_service(&self, kind: QueryKind, rng: &mut Stream) -> DbWork {
        let (mean, cpu_share) = match kind {
            QueryKind::Select => (self.read_ms, self.read_cpu),
            QueryKind::Write => (self.write_ms, self.write_cpu),
            QueryKind::Direct => (self.direct_ms, self.direct_cpu),
        };
        let mean = mean * self.slowdown;
        let ms = match self.dist {
            ServiceDist::Exponential => rng.exponential(mean),
            ServiceDist::Deterministic => mean,
            // mean x exp(N(-sigma^2/2, sigma^2)): log-normal with this mean
            ServiceDist::LogNormal { .. } => {
                mean * libm::exp(self.sigma * rng.normal() - 0.5 * self.sigma * self.sigma)
            }
        };
        let total = from_ms(ms).max(1);
        let cpu = ((total as f64 * cpu_share) as Nanos).min(total);
        DbWork {
            cpu,
            wait: total - cpu,
        }
    }

    /// A query arrives at `arrive` needing `work`: returns (start, end),
    /// when it got a worker and when its reply leaves the DB. With more
    /// queries at the DB than `cores` (queued or executing: all are active
    /// backends), contention slows its CPU part (see `DbConfig::contention`).
    /// Arrivals must come in time order (they do: every pod is the same
    /// distance away).
    pub fn execute(&mut self, arrive: Nanos, work: DbWork) -> (Nanos, Nanos) {
        let (start, end) = self.run(arrive, work);
        self.latency.push(end, end - arrive);
        (start, end)
    }

    /// `execute` without counting a query (a connection's fork).
    fn run(&mut self, arrive: Nanos, work: DbWork) -> (Nanos, Nanos) {
        while self.in_db.peek().is_some_and(|Reverse(end)| *end <= arrive) {
            self.in_db.pop();
        }
        // at most max_connections backends exist; behind PgBouncer, at most
        // its server connections run queries
        let active = (self.in_db.len() as u32).min(self.max_connections);
        let active = self.pooler.map_or(active, |pool| active.min(pool));
        let cpu = (work.cpu as f64 * self.slowdown_at(active)) as Nanos;
        let Reverse(free) = self.worker_free.pop().expect("at least one worker");
        let start = free.max(arrive);
        let end = if cpu > 0 {
            let Reverse(core) = self.core_free.pop().expect("at least one core");
            let cpu_end = core.max(start) + cpu;
            self.core_free.push(Reverse(cpu_end));
            self.cpu_busy_ns += cpu;
            cpu_end + work.wait
        } else {
            start + work.wait
        };
        if self.contention > 0.0 || self.crowding > 0.0 {
            self.in_db.push(Reverse(end));
        }
        self.worker_free.push(Reverse(end));
        self.busy_ns += end - start;
        (start, end)
    }

    /// How many times longer a query's CPU part runs with `active` backends
    /// at the DB: contention and crowding past the cores (`DbConfig`).
    fn slowdown_at(&self, active: u32) -> f64 {
        let beyond = active.saturating_sub(self.cores) as f64;
        let mut f = 1.0 + self.contention * beyond;
        if self.crowding > 0.0 {
            f += self.crowding * (1.0 - libm::exp(-beyond / self.crowding_connections));
        }
        f
    }

    /// Percentiles (p50, p99, ms) of the time at the DB, arrival to reply,
    /// of the queries whose reply left by `now`; resets for the next second.
    pub fn second_latency(&mut self, now: Nanos) -> (f64, f64) {
        self.latency.second(now)
    }

    /// Workers executing a query at `now` (queued queries are not counted).
    pub fn busy_workers(&self, now: Nanos) -> u32 {
        self.worker_free
            .iter()
            .filter(|Reverse(t)| *t > now)
            .count() as u32
    }

    /// Tries to open a connection (to PostgreSQL, or to PgBouncer, which
    /// accepts it and opens a server connection only while it has fewer
    /// than its pool). A new or refused PostgreSQL connection costs a
    /// worker `connection_cpu_ms` at `arrive`.
    pub fn connect(&mut self, arrive: Nanos) -> bool {
        if let Some(pool) = self.pooler {
            if self.client_connections < pool.min(self.max_connections) {
                self.fork(arrive);
            }
            self.client_connections += 1;
            self.open_connections = self.client_connections.min(pool).min(self.max_connections);
            return true;
        }
        self.fork(arrive);
        if self.open_connections >= self.max_connections {
            return false;
        }
        self.open_connections += 1;
        true
    }

    /// PostgreSQL forks a backend for a connection attempt.
    fn fork(&mut self, arrive: Nanos) {
        if self.connection_cpu > 0 {
            // on a worker only, as before the CPU stage: charging it to the
            // cores too turns a herd's refusals into a CPU storm
            // (docs/calibration.md, what is missing)
            let wait = self.connection_cpu;
            self.run(arrive, DbWork { cpu: 0, wait });
        }
    }

    pub fn disconnect(&mut self, n: u32) {
        if let Some(pool) = self.pooler {
            self.client_connections = self.client_connections.saturating_sub(n);
            self.open_connections = self.client_connections.min(pool).min(self.max_connections);
            return;
        }
        self.open_connections = self.open_connections.saturating_sub(n);
    }

    /// PgBouncer goes in (with this server pool) or out; the connections
    /// the pods hold move across (without it, the DB counts them all).
    pub fn set_pooler(&mut self, pool: Option<u32>) {
        let held = if self.pooler.is_some() {
            self.client_connections
        } else {
            self.open_connections
        };
        self.pooler = pool;
        self.client_connections = held;
        self.open_connections = match pool {
            Some(p) => held.min(p).min(self.max_connections),
            None => held,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcfs_over_workers() {
        let cfg = DbConfig {
            workers: 2,
            ..DbConfig::default()
        };
        let mut db = BackendDb::new(&cfg, 10);
        let w = |wait| DbWork { cpu: 0, wait };
        assert_eq!(db.execute(0, w(10)), (0, 10));
        assert_eq!(db.execute(0, w(10)), (0, 10));
        assert_eq!(
            db.execute(1, w(10)),
            (10, 20),
            "third query waits for a worker"
        );
        assert_eq!(db.execute(30, w(5)), (30, 35));
    }

    #[test]
    fn cpu_parts_share_the_cores() {
        let cfg = DbConfig {
            workers: 3,
            cores: 1,
            contention: 0.0,
            ..DbConfig::default()
        };
        let mut db = BackendDb::new(&cfg, 10);
        let w = DbWork { cpu: 4, wait: 10 };
        assert_eq!(db.execute(0, w), (0, 14));
        // a worker at once, the core after the first query's CPU
        assert_eq!(db.execute(0, w), (0, 18));
        assert_eq!(db.execute(1, w), (1, 22));
        // the fourth waits for a worker (14), then the core is free
        assert_eq!(db.execute(2, w), (14, 28));
    }

    #[test]
    fn lognormal_service_has_the_configured_mean_and_cv() {
        let cfg = DbConfig {
            service: ServiceDist::LogNormal { cv: 0.3 },
            ..DbConfig::default()
        };
        let db = BackendDb::new(&cfg, 1);
        let mut rng = Stream::new(1, 4);
        let xs: Vec<f64> = (0..200_000)
            .map(|_| db.sample_service(QueryKind::Select, &mut rng).total() as f64 / 1e6)
            .collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((m - 12.0).abs() < 0.05, "{m}");
        assert!((sd / m - 0.3).abs() < 0.01, "{}", sd / m);
    }

    #[test]
    fn connections_are_capped() {
        let cfg = DbConfig {
            max_connections: 2,
            ..DbConfig::default()
        };
        let mut db = BackendDb::new(&cfg, 1);
        assert!(db.connect(0) && db.connect(0));
        assert!(!db.connect(0), "too many connections");
        db.disconnect(1);
        assert!(db.connect(0));
    }

    #[test]
    fn versions_bump_and_grow() {
        let mut db = BackendDb::new(&DbConfig::default(), 3);
        db.bump(2, 0);
        assert_eq!(db.version(2), 1);
        assert_eq!(
            db.version(1_000),
            0,
            "keys outside the table are never written"
        );
        db.ensure_keys(2_000);
        db.bump(1_000, 0);
        assert_eq!(db.version(1_000), 1);
    }
}
