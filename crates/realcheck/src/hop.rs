//! The load generator's own time per hop, measured apart from the load.
//!
//! A hit's latency in the real run is one Redis round trip through the
//! generator's async client (the redis crate's multiplexed connection: a
//! channel to its driver task, the socket, a channel back), seen from a task
//! of a two-worker tokio runtime that was idle a moment before. A tight loop
//! of commands (the PING round trip of [`crate::measure::redis_costs`]) keeps
//! every thread hot and measures none of the waking; the load at 2000 RPS
//! leaves the runtime idle between most requests (a request every 0.5 ms on
//! average, a hit done in well under 0.1 ms), so each hop pays it.
//!
//! The probe here sends one command at a time, each from a freshly spawned
//! task after an exponential pause, through the same client stack as the
//! load, and keeps the round trip's percentiles: once at calibration
//! ([`redis()`], [`postgres()`]: mean pause [`PAUSE_MS`]), and during each
//! scenario's load beside it ([`during`]: a miss's three hops, a `PING`,
//! a `SELECT 1` and a `PING`, each sent the moment the one before
//! answered, on connections of their own). The model's `app.cache_rtt_ms`,
//! `app.db_rtt_ms` and `app.cache_rtt_after_db_ms` are the medians of the
//! probes during that scenario's load, the calibration's when there were
//! none; the p99s set the first two's spread.

use crate::load::{self, DbShape, PgConn};
use anyhow::Result;
use cachesim_core::rng::Stream;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Mean pause between two probes, ms (the load's mean gap is 0.5 ms at 2000 RPS).
pub const PAUSE_MS: f64 = 1.0;

/// The round trip of one hop, ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Hop {
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Hop {
    fn of(mut xs: Vec<f64>) -> Hop {
        if xs.is_empty() {
            return Hop::default();
        }
        xs.sort_by(|a, b| a.total_cmp(b));
        Hop {
            p50_ms: crate::measure::quantile_sorted(&xs, 0.50),
            p99_ms: crate::measure::quantile_sorted(&xs, 0.99),
        }
    }
}

/// An exponential pause of mean `mean_ms`.
async fn pause(rng: &mut Stream, mean_ms: f64) {
    let ms = rng.exponential(mean_ms);
    tokio::time::sleep(Duration::from_secs_f64(ms / 1000.0)).await;
}

/// One round trip, ms, timed inside a freshly spawned task (as the load
/// times its requests); the request's own error when it failed.
async fn timed<T, E, F>(request: F) -> Result<Result<f64, E>>
where
    T: Send + 'static,
    E: Send + 'static,
    F: Future<Output = Result<T, E>> + Send + 'static,
{
    Ok(tokio::spawn(async move {
        let t0 = Instant::now();
        request.await.map(|_| t0.elapsed().as_secs_f64() * 1000.0)
    })
    .await?)
}

/// One timed `SELECT 1` on `conn`.
async fn select1(
    conn: &Arc<PgConn>,
    s1: &tokio_postgres::Statement,
) -> Result<Result<f64, tokio_postgres::Error>> {
    let (conn, s1) = (conn.clone(), s1.clone());
    timed(async move { conn.client.query_one(&s1, &[]).await }).await
}

/// `n` paced GETs of a cached 900-byte value through a multiplexed connection.
pub async fn redis(url: &str, n: usize) -> Result<Hop> {
    let mut c = load::redis_connection(url).await?;
    let _: () = redis::cmd("SET")
        .arg("hop-probe")
        .arg("v".repeat(900))
        .query_async(&mut c)
        .await?;
    let mut rng = Stream::new(5, 500);
    let mut xs = Vec::with_capacity(n);
    for _ in 0..n {
        pause(&mut rng, PAUSE_MS).await;
        let mut c = c.clone();
        xs.push(
            timed(async move {
                redis::cmd("GET")
                    .arg("hop-probe")
                    .query_async::<Option<String>>(&mut c)
                    .await
            })
            .await??,
        );
    }
    let _: () = redis::cmd("DEL")
        .arg("hop-probe")
        .query_async(&mut c)
        .await?;
    Ok(Hop::of(xs))
}

/// `n` paced `SELECT 1`s through one of the load's PostgreSQL connections.
pub async fn postgres(cfg: &tokio_postgres::Config, n: usize) -> Result<Hop> {
    let conn = Arc::new(load::pg_connect(cfg, DbShape::Real).await?);
    let s1 = conn.client.prepare("SELECT 1").await?;
    let mut rng = Stream::new(5, 501);
    let mut xs = Vec::with_capacity(n);
    for _ in 0..n {
        pause(&mut rng, PAUSE_MS).await;
        xs.push(select1(&conn, &s1).await??);
    }
    Ok(Hop::of(xs))
}

/// Mean pause between two probes of a kind taken during a load, ms: ~50 a
/// second, a few percent of the load's commands.
pub const DURING_PAUSE_MS: f64 = 20.0;

/// A miss's three hops, each timed, from one freshly spawned task: a
/// `PING` (the GET), the moment it answers a `SELECT 1` (the query), the
/// moment that answers another `PING` (the SET). Without `redis` only the
/// `SELECT 1`. A failed hop ends the sequence.
async fn miss_hops(
    conn: &Arc<PgConn>,
    s1: &tokio_postgres::Statement,
    redis: Option<redis::aio::MultiplexedConnection>,
) -> Result<[Option<f64>; 3]> {
    let (conn, s1) = (conn.clone(), s1.clone());
    Ok(tokio::spawn(async move {
        let since = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
        let ping = |mut c: redis::aio::MultiplexedConnection| async move {
            let t = Instant::now();
            let r = redis::cmd("PING").query_async::<String>(&mut c).await;
            r.ok().map(|_| since(t))
        };
        let first = match &redis {
            Some(c) => match ping(c.clone()).await {
                Some(ms) => Some(ms),
                None => return [None, None, None],
            },
            None => None,
        };
        let t = Instant::now();
        let db = conn.client.query_one(&s1, &[]).await.ok().map(|_| since(t));
        let after = match (db, redis) {
            (Some(_), Some(c)) => ping(c).await,
            _ => None,
        };
        [first, db, after]
    })
    .await?)
}

/// Probes for `seconds` while a load runs beside them in the same runtime,
/// one sequence every [`DURING_PAUSE_MS`] on average: a miss's hops
/// (`miss_hops`) on connections of their own (PostgreSQL is given one
/// connection more than the pools' limit for it). As in the load, the
/// first hop finds the client idle and the two after it find it awake.
/// Without `redis` (the shaped Redis, whose queue a `PING` would wait in
/// and measure), and while Redis is down (killed; its connection is tried
/// again each time), only PostgreSQL is probed.
/// The round trips of the machine's state during the load, which a probe
/// taken a minute before may not share (this machine's one-at-a-time
/// `SELECT 1` took 0.10 ms in one calibration and 0.17 ms in the next).
pub async fn during(
    url: String,
    pg: tokio_postgres::Config,
    seconds: f64,
    redis: bool,
) -> Result<During> {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let conn = Arc::new(load::pg_connect(&pg, DbShape::Real).await?);
    let s1 = conn.client.prepare("SELECT 1").await?;
    let mut redis_conn = None;
    let mut rng = Stream::new(5, 502);
    let mut xs: [Vec<f64>; 3] = Default::default();
    while Instant::now() < end {
        pause(&mut rng, DURING_PAUSE_MS).await;
        if redis && redis_conn.is_none() {
            redis_conn = load::redis_connection(&url).await.ok();
        }
        let hops = miss_hops(&conn, &s1, redis_conn.clone()).await?;
        if redis_conn.is_some() && hops[0].is_none() {
            redis_conn = None;
        }
        for (x, h) in xs.iter_mut().zip(hops) {
            x.extend(h);
        }
    }
    let [r, d, after] = xs;
    Ok(During {
        redis: Hop::of(r),
        pg: Hop::of(d),
        after_db: Hop::of(after),
    })
}

/// The probes of [`during`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct During {
    /// the paced `PING` (a request's first hop)
    pub redis: Hop,
    /// the `SELECT 1` (after the `PING`, when there is Redis)
    pub pg: Hop,
    /// the `PING` after the `SELECT 1` (a miss's SET after its DB reply,
    /// `app.cache_rtt_after_db_ms`); empty without Redis
    pub after_db: Hop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_the_sorted_samples() {
        let h = Hop::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(h.p50_ms, 51.0);
        assert_eq!(h.p99_ms, 99.0);
        assert_eq!(Hop::of(vec![]), Hop::default());
    }
}
