//! The seed's V0 mitigations at work (see `mitigations`): the pods'
//! circuit breakers, invalidation retries, the hot-key local cache, the
//! LB's per-client rate limit, RDB snapshots and PgBouncer.

use super::*;
use crate::cache_store::CacheStore;
use crate::mitigations::Mitigation;

impl Simulation {
    /// The pod's breaker is open: its reads skip Redis.
    pub(super) fn breaker_open(&self, pod: usize) -> bool {
        self.mitigations.circuit_breaker.is_some() && self.now < self.pods[pod].breaker_open_until
    }

    /// A Redis command of the pod succeeded or failed.
    pub(super) fn breaker_record(&mut self, pod: usize, ok: bool) {
        self.breaker_call(pod, ok, false);
    }

    /// A DB call of the pod succeeded or failed (timed out in the pool, or
    /// was refused a connection): the breaker's DB side.
    pub(super) fn db_breaker_record(&mut self, pod: usize, ok: bool) {
        self.breaker_call(pod, ok, true);
    }

    /// A call on one side of the pod's breaker: it opens at the threshold,
    /// or when the half-open probe fails.
    fn breaker_call(&mut self, pod: usize, ok: bool, db: bool) {
        let Some(b) = &self.mitigations.circuit_breaker else {
            return;
        };
        let (threshold, open) = (b.failures_to_open, from_ms(b.open_ms));
        let now = self.now;
        let p = &mut self.pods[pod];
        let (window, until) = if db {
            (&mut p.db_breaker, &mut p.db_breaker_open_until)
        } else {
            (&mut p.breaker, &mut p.breaker_open_until)
        };
        if window.record(ok, threshold) && now >= *until {
            *until = now + open;
            self.totals.breaker_opens += 1;
        }
    }

    /// A breaker of the pod limits its DB reads: Redis is failing (its
    /// reads all go to the DB), or the DB is.
    pub(super) fn db_limited(&self, pod: usize) -> bool {
        self.breaker_open(pod) || self.now < self.pods[pod].db_breaker_open_until
    }

    /// While limited, a missed read may query the DB only with a token.
    pub(super) fn breaker_admits(&mut self, pod: usize) -> bool {
        let Some(b) = &self.mitigations.circuit_breaker else {
            return true;
        };
        if !self.db_limited(pod) {
            return true;
        }
        let rate = b.db_reads_per_s;
        self.pods[pod]
            .breaker_budget
            .take(self.now, rate, (rate * 0.1).max(1.0))
    }

    /// A lost invalidation of `key`: try a DEL again after a backoff.
    pub(super) fn schedule_invalidation_retry(&mut self, key: u32, attempt: u8) {
        let Some(r) = &self.mitigations.invalidation_retry else {
            return;
        };
        if attempt as u32 > r.max_retries {
            return;
        }
        let cap = (r.base_ms * libm::pow(2.0, attempt as f64 - 1.0)).min(r.max_ms);
        let delay = from_ms(self.rng_retry.uniform() * cap).max(1);
        self.queue
            .push(self.now + delay, Ev::InvalidationRetry(key, attempt));
    }

    /// The retried DEL: lost again (the same odds), refused by a shard that
    /// is not ready (tried later), or done.
    pub(super) fn invalidation_retry(&mut self, key: u32, attempt: u8) {
        self.totals.invalidation_retries += 1;
        let shard = self.shard_of(key);
        let lost = self.rng_faults.chance(self.invalidation_failure);
        if lost || !self.caches[shard].ready(self.now) {
            self.schedule_invalidation_retry(key, attempt + 1);
            return;
        }
        let c = &mut self.caches[shard];
        c.enqueue(self.now + self.cache_hop.half, Verb::Del, 0);
        c.del(key);
        count!(self, cache_ops);
        self.totals.invalidations_repaired += 1;
        self.replicate(shard, true, key, 0, false);
    }

    /// The LB's per-client limit: the key-busting attacker is one client.
    pub(super) fn rate_limited(&mut self, key: u32) -> bool {
        let Some(r) = &self.mitigations.client_rate_limit else {
            return false;
        };
        if !(ATTACK_BASE..RESERVED_BASE).contains(&key) {
            return false;
        }
        let rate = r.per_client_rps;
        !self.attack_budget.take(self.now, rate, rate.max(1.0))
    }

    /// RDB: every `interval_s` each running shard writes a snapshot.
    pub(super) fn maybe_snapshot(&mut self) {
        let Some(r) = &self.mitigations.rdb else {
            return;
        };
        let t_s = self.now / NANOS_PER_SEC;
        let every = (r.interval_s.round() as u64).max(1);
        if t_s % every == 0 {
            self.snapshot_now();
        }
    }

    /// Every running shard writes its snapshot (BGSAVE).
    fn snapshot_now(&mut self) {
        let now = self.now;
        for (i, c) in self.caches.iter().enumerate() {
            if c.ready(now) {
                self.snapshots[i] = Some(c.store.clone());
            }
        }
    }

    /// A cold restart of shard `i` loads its last snapshot, if RDB is on:
    /// loading takes the snapshot's size over the load rate.
    pub(super) fn load_snapshot(&mut self, i: usize) {
        let Some(r) = &self.mitigations.rdb else {
            return;
        };
        let Some(snap) = self.snapshots.get(i).and_then(Option::as_ref) else {
            return;
        };
        let bytes = snap.len() as f64 * self.scenario.cache.entry_bytes as f64;
        let load = from_secs(bytes / (r.load_mb_per_s * 1e6));
        let c = &mut self.caches[i];
        c.store = CacheStore::clone(snap);
        c.loading_until += load;
        self.totals.rdb_loaded_keys += c.store.len() as u64;
    }

    /// Turns a mitigation on or off, live.
    pub(super) fn set_mitigation(&mut self, m: Mitigation, on: bool) {
        let configured = self.scenario.mitigations.clone();
        self.mitigations.set(m, on, &configured);
        match m {
            Mitigation::HotKeyCache => self.reset_hot_key_cache(),
            Mitigation::Pgbouncer => self.db.set_pooler(
                self.mitigations
                    .pgbouncer
                    .as_ref()
                    .map(|p| p.server_connections),
            ),
            Mitigation::Rdb if on => self.snapshot_now(),
            _ => {}
        }
    }

    /// The hot-key cache is an L1 that admits only the hottest keys (V2's
    /// own L1, when there is one, already holds them).
    pub(super) fn reset_hot_key_cache(&mut self) {
        if self.scenario.topology.l1.is_some() {
            return;
        }
        match &self.mitigations.hot_key_cache {
            Some(h) => {
                let cfg = crate::scenario::L1Config {
                    keys: h.hot_keys,
                    ttl_ms: h.ttl_ms,
                    ..Default::default()
                };
                self.l1 = (0..self.pods.len())
                    .map(|_| L1Cache::new(cfg.keys as usize, from_ms(cfg.ttl_ms)))
                    .collect();
                self.l1_hit = from_ms(cfg.hit_us / 1_000.0);
                self.l1_admit_below = h.hot_keys;
                self.l1_cfg = Some(cfg);
            }
            None => {
                self.l1.clear();
                self.l1_cfg = None;
                self.l1_admit_below = u32::MAX;
            }
        }
    }
}
