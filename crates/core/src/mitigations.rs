//! The seed's mitigations for V0, each a switch: a scenario field (`null`:
//! off), and a live command (`Command::Mitigation`) that turns it on with
//! the scenario's settings (or these defaults) or off.
//!
//! * **Circuit breaker** in each pod, on both of its dependencies: when
//!   `failures_to_open` of its Redis commands in the current second failed,
//!   and at least half of them, the pod stops calling Redis for `open_ms`;
//!   the same count of failed DB calls (pool timeouts, refused connections)
//!   makes it stop queueing for the DB. While
//!   either is open the pod lets at most `db_reads_per_s` of its missed
//!   reads through to the DB; the rest get a fast graceful-degradation
//!   error (their own kind). The first call after `open_ms` is the
//!   half-open probe: a failure opens the breaker again, a success closes it.
//! * **Invalidation retry**: a SET/DEL lost after a DB write is retried as a
//!   DEL with exponential backoff and full jitter, up to `max_retries`.
//! * **Hot-key cache**: a Guava-style cache of the `hot_keys` most popular
//!   keys in each pod for `ttl_ms` (an L1 that admits only those keys).
//! * **Client rate limit** at the LB: each client may send `per_client_rps`;
//!   the key-busting attacker is one client, and its excess is refused with
//!   429 before it reaches a pod.
//! * **RDB snapshots** every `interval_s`: a cold restart loads the last
//!   snapshot (at `load_mb_per_s`) instead of starting empty; what was
//!   written since is lost, and values that changed since are stale.
//! * **PgBouncer** in transaction mode: the pods' connections end at the
//!   pooler, which keeps at most `server_connections` to PostgreSQL, so the
//!   DB's `max_connections` is never exceeded.

use crate::scenario::{check_int, check_range, ConfigError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MitigationsConfig {
    pub circuit_breaker: Option<BreakerConfig>,
    pub invalidation_retry: Option<InvalidationRetryConfig>,
    pub hot_key_cache: Option<HotKeyCacheConfig>,
    pub client_rate_limit: Option<RateLimitConfig>,
    pub rdb: Option<RdbConfig>,
    pub pgbouncer: Option<PgBouncerConfig>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    pub failures_to_open: u32,
    pub open_ms: f64,
    /// Missed reads per second one pod sends to the DB while open.
    pub db_reads_per_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InvalidationRetryConfig {
    pub max_retries: u32,
    pub base_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HotKeyCacheConfig {
    /// The most popular keys (by rank) that pods cache in-process.
    pub hot_keys: u32,
    pub ttl_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub per_client_rps: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdbConfig {
    pub interval_s: f64,
    /// How fast a restart loads the snapshot (the seed: a 419 GB node takes
    /// 10+ minutes, ~700 MB/s).
    pub load_mb_per_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PgBouncerConfig {
    pub server_connections: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failures_to_open: 20,
            open_ms: 5_000.0,
            db_reads_per_s: 600.0,
        }
    }
}

impl Default for InvalidationRetryConfig {
    fn default() -> Self {
        InvalidationRetryConfig {
            max_retries: 10,
            base_ms: 50.0,
            max_ms: 2_000.0,
        }
    }
}

impl Default for HotKeyCacheConfig {
    fn default() -> Self {
        HotKeyCacheConfig {
            hot_keys: 100,
            ttl_ms: 5_000.0,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_client_rps: 100.0,
        }
    }
}

impl Default for RdbConfig {
    fn default() -> Self {
        RdbConfig {
            interval_s: 300.0,
            load_mb_per_s: 700.0,
        }
    }
}

impl Default for PgBouncerConfig {
    fn default() -> Self {
        PgBouncerConfig {
            server_connections: 100,
        }
    }
}

/// A mitigation, as the live command names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mitigation {
    CircuitBreaker,
    InvalidationRetry,
    HotKeyCache,
    ClientRateLimit,
    Rdb,
    Pgbouncer,
}

impl Mitigation {
    pub const ALL: [Mitigation; 6] = [
        Mitigation::CircuitBreaker,
        Mitigation::InvalidationRetry,
        Mitigation::HotKeyCache,
        Mitigation::ClientRateLimit,
        Mitigation::Rdb,
        Mitigation::Pgbouncer,
    ];

    /// The name in scenario files and commands (`circuit-breaker`).
    pub fn name(self) -> &'static str {
        match self {
            Mitigation::CircuitBreaker => "circuit-breaker",
            Mitigation::InvalidationRetry => "invalidation-retry",
            Mitigation::HotKeyCache => "hot-key-cache",
            Mitigation::ClientRateLimit => "client-rate-limit",
            Mitigation::Rdb => "rdb",
            Mitigation::Pgbouncer => "pgbouncer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mitigation::CircuitBreaker => "circuit breaker",
            Mitigation::InvalidationRetry => "invalidation retry",
            Mitigation::HotKeyCache => "hot-key local cache",
            Mitigation::ClientRateLimit => "per-client rate limit",
            Mitigation::Rdb => "RDB snapshots",
            Mitigation::Pgbouncer => "PgBouncer",
        }
    }
}

impl MitigationsConfig {
    pub fn is_on(&self, m: Mitigation) -> bool {
        match m {
            Mitigation::CircuitBreaker => self.circuit_breaker.is_some(),
            Mitigation::InvalidationRetry => self.invalidation_retry.is_some(),
            Mitigation::HotKeyCache => self.hot_key_cache.is_some(),
            Mitigation::ClientRateLimit => self.client_rate_limit.is_some(),
            Mitigation::Rdb => self.rdb.is_some(),
            Mitigation::Pgbouncer => self.pgbouncer.is_some(),
        }
    }

    /// Turns `m` on (with `configured`'s settings if it has them, else the
    /// defaults) or off.
    pub fn set(&mut self, m: Mitigation, on: bool, configured: &MitigationsConfig) {
        fn pick<T: Clone + Default>(on: bool, c: &Option<T>) -> Option<T> {
            on.then(|| c.clone().unwrap_or_default())
        }
        match m {
            Mitigation::CircuitBreaker => {
                self.circuit_breaker = pick(on, &configured.circuit_breaker)
            }
            Mitigation::InvalidationRetry => {
                self.invalidation_retry = pick(on, &configured.invalidation_retry)
            }
            Mitigation::HotKeyCache => self.hot_key_cache = pick(on, &configured.hot_key_cache),
            Mitigation::ClientRateLimit => {
                self.client_rate_limit = pick(on, &configured.client_rate_limit)
            }
            Mitigation::Rdb => self.rdb = pick(on, &configured.rdb),
            Mitigation::Pgbouncer => self.pgbouncer = pick(on, &configured.pgbouncer),
        }
    }

    /// The mitigations that are on.
    pub fn active(&self) -> Vec<Mitigation> {
        Mitigation::ALL
            .into_iter()
            .filter(|&m| self.is_on(m))
            .collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let f = |name: &str| format!("mitigations.{name}");
        if let Some(b) = &self.circuit_breaker {
            check_int(
                &f("circuit_breaker.failures_to_open"),
                b.failures_to_open as u64,
                1,
                1_000_000,
            )?;
            check_range(&f("circuit_breaker.open_ms"), b.open_ms, 1.0, 3.6e6)?;
            check_range(
                &f("circuit_breaker.db_reads_per_s"),
                b.db_reads_per_s,
                0.0,
                1e7,
            )?;
        }
        if let Some(r) = &self.invalidation_retry {
            check_int(
                &f("invalidation_retry.max_retries"),
                r.max_retries as u64,
                1,
                100,
            )?;
            check_range(&f("invalidation_retry.base_ms"), r.base_ms, 0.1, 600_000.0)?;
            check_range(&f("invalidation_retry.max_ms"), r.max_ms, r.base_ms, 3.6e6)?;
        }
        if let Some(h) = &self.hot_key_cache {
            check_int(
                &f("hot_key_cache.hot_keys"),
                h.hot_keys as u64,
                1,
                1_000_000,
            )?;
            check_range(&f("hot_key_cache.ttl_ms"), h.ttl_ms, 1.0, 3.6e6)?;
        }
        if let Some(r) = &self.client_rate_limit {
            check_range(
                &f("client_rate_limit.per_client_rps"),
                r.per_client_rps,
                0.0,
                1e7,
            )?;
        }
        if let Some(r) = &self.rdb {
            check_range(&f("rdb.interval_s"), r.interval_s, 1.0, 86_400.0)?;
            check_range(&f("rdb.load_mb_per_s"), r.load_mb_per_s, 1.0, 1e6)?;
        }
        if let Some(p) = &self.pgbouncer {
            check_int(
                &f("pgbouncer.server_connections"),
                p.server_connections as u64,
                1,
                1_000_000,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_the_one_in_scenario_files() {
        for m in Mitigation::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
        }
    }
}
