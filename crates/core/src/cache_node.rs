//! CacheNode: one single-threaded Redis.
//!
//! Commands are served first-come first-served by one thread, each taking
//! `1 / ops_per_sec` of CPU (M/D/1). Because service is FIFO and the cost is
//! known on arrival, the time a command finishes is computed when it arrives
//! (`busy_until` advances), so the queue needs no data structure. Redis runs
//! every command it has read, whether or not its client still waits: a
//! command whose client timed out still burns the thread, and a late SET or
//! DEL still changes the keyspace when it runs.
//!
//! A restart is not instant: the process starts and, with persistence, loads
//! its snapshot; until it is ready it answers `-LOADING`. A crash can be of
//! the process (the host refuses connections at once) or of the host (the
//! client waits for its command timeout).
//!
//! The keyspace behaves like Redis: `SET key value EX ttl` fixes the expiry at
//! fill time (a GET does not extend it); expired keys are removed lazily on
//! access and by an active-expiry sweep, and count towards used memory until
//! then; with `noeviction` a write over `maxmemory` fails with OOM while GET
//! and DEL still work; with `allkeys-lru` Redis evicts the least recently used
//! of `maxmemory-samples` randomly sampled keys until the write fits. A crash
//! loses every key.

use crate::cache_store::{CacheStore, Entry, NO_EXPIRY};
use crate::command::EvictionPolicy;
use crate::rng::Stream;
use crate::scenario::CacheConfig;
use crate::time::{Nanos, NANOS_PER_MS, NANOS_PER_SEC};

/// Keys at or above this id are never used by the workload (the attack's keys stay below).
pub const RESERVED_BASE: u32 = 0xF000_0000;

/// Result of a GET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetResult {
    Hit { version: u16 },
    Miss,
}

/// Result of a SET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetResult {
    Stored,
    /// `OOM command not allowed when used memory > 'maxmemory'`.
    Oom,
}

#[derive(Clone, Debug)]
pub struct CacheNode {
    pub store: CacheStore,
    pub up: bool,
    /// The host itself is down: clients wait for their timeout instead of
    /// being refused.
    pub host_down: bool,
    /// Until then it answers `-LOADING` (after a restart).
    pub loading_until: Nanos,
    /// Incremented at every crash: commands sent before it fail.
    pub epoch: u32,
    busy_until: Nanos,
    /// Work still queued at the last `take_busy`.
    backlog_mark: u64,
    service_ns: Nanos,
    set_ns: Nanos,
    del_ns: Nanos,
    pub max_bytes: u64,
    /// Memory per key: the value plus Redis' per-key overhead.
    entry_bytes: u64,
    pub policy: EvictionPolicy,
    lru_samples: u32,
    /// Bytes held by the batch job's no-TTL keys (`fill_memory`), kept as a
    /// total rather than as millions of entries.
    filler_bytes: u64,
    /// While set, the batch job keeps used memory at this fraction of maxmemory.
    fill_target: Option<f64>,
    sweep_cursor: usize,
    /// `allkeys-lru` keeps Redis' pool of the best eviction candidates
    /// across samplings (the eviction-pool mitigation).
    pub eviction_pool: bool,
    /// The pool: (key, idle seconds when sampled), best candidate last.
    pool: Vec<(u32, u16)>,
    // counters, read and reset by the metrics
    pub evictions: u64,
    pub expirations: u64,
    pub busy_ns: u64,
    /// Commands executed.
    pub ops: u64,
    /// Reads' lookups (GETs that ran, and those that failed on the way:
    /// the simulation counts those) and the ones that hit.
    pub lookups: u64,
    pub hits: u64,
}

/// A Redis command, for its cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Set,
    Del,
}

/// A command that costs `factor` GETs (at least 1 ns).
fn command_ns(cfg: &CacheConfig, factor: f64) -> Nanos {
    (NANOS_PER_SEC as f64 / cfg.ops_per_sec * factor + 0.5).max(1.0) as Nanos
}

impl CacheNode {
    pub fn new(cfg: &CacheConfig, expected_keys: usize) -> Self {
        CacheNode {
            store: CacheStore::with_capacity(expected_keys.max(1024)),
            up: true,
            host_down: false,
            loading_until: 0,
            epoch: 0,
            busy_until: 0,
            backlog_mark: 0,
            service_ns: ((NANOS_PER_SEC as f64 / cfg.ops_per_sec) + 0.5) as Nanos,
            set_ns: command_ns(cfg, cfg.set_cost),
            del_ns: command_ns(cfg, cfg.del_cost),
            max_bytes: gb_to_bytes(cfg.memory_gb),
            entry_bytes: cfg.entry_bytes as u64 + cfg.key_overhead_bytes as u64,
            policy: cfg.eviction,
            lru_samples: cfg.lru_samples,
            filler_bytes: 0,
            fill_target: None,
            sweep_cursor: 0,
            eviction_pool: cfg.eviction_pool,
            pool: Vec::new(),
            evictions: 0,
            expirations: 0,
            busy_ns: 0,
            ops: 0,
            lookups: 0,
            hits: 0,
        }
    }

    pub fn service_ns(&self) -> Nanos {
        self.service_ns
    }

    /// A command arrives at `arrive` costing `extra` CPU beyond its verb's
    /// cost (large values). Returns when it starts and when it finishes
    /// executing; it runs even if its client has given up.
    pub fn enqueue(&mut self, arrive: Nanos, verb: Verb, extra: Nanos) -> (Nanos, Nanos) {
        let start = self.busy_until.max(arrive);
        let base = match verb {
            Verb::Get => self.service_ns,
            Verb::Set => self.set_ns,
            Verb::Del => self.del_ns,
        };
        let cost = base + extra;
        self.busy_until = start + cost;
        self.busy_ns += cost;
        self.ops += 1;
        (start, self.busy_until)
    }

    /// Accepting commands at `now` (up, and done loading).
    pub fn ready(&self, now: Nanos) -> bool {
        self.up && now >= self.loading_until
    }

    /// CPU time the thread actually spent since the last call: the work it
    /// took on, less what is still queued (work is credited when a command
    /// arrives, so under overload the credit runs ahead of the clock).
    pub fn take_busy(&mut self, now: Nanos) -> u64 {
        let backlog = self.busy_until.saturating_sub(now);
        let spent = (std::mem::take(&mut self.busy_ns) + self.backlog_mark).saturating_sub(backlog);
        self.backlog_mark = backlog;
        spent
    }

    /// Commands waiting or executing at `now`.
    pub fn queue_len(&self, now: Nanos) -> u64 {
        self.busy_until
            .saturating_sub(now)
            .div_ceil(self.service_ns.max(1))
    }

    pub fn used_bytes(&self) -> u64 {
        self.store.len() as u64 * self.entry_bytes + self.filler_bytes
    }

    pub fn fill_active(&self) -> bool {
        self.fill_target.is_some()
    }

    pub fn filler_bytes(&self) -> u64 {
        self.filler_bytes
    }

    pub fn keys(&self) -> u64 {
        self.store.len() as u64
    }

    /// GET at `now`.
    pub fn get(&mut self, key: u32, now: Nanos) -> GetResult {
        self.lookups += 1;
        let Some(i) = self.store.find(key) else {
            return GetResult::Miss;
        };
        let now_ms = (now / NANOS_PER_MS) as u32;
        let e = self.store.entry_mut(i);
        if e.expires_ms <= now_ms {
            self.store.remove_at(i);
            self.expirations += 1;
            return GetResult::Miss;
        }
        e.lru_s = (now / NANOS_PER_SEC) as u16;
        self.hits += 1;
        GetResult::Hit { version: e.version }
    }

    /// `SET key value EX ttl` (or without TTL when `ttl` is `None`).
    pub fn set(
        &mut self,
        key: u32,
        version: u16,
        ttl: Option<Nanos>,
        now: Nanos,
        rng: &mut Stream,
    ) -> SetResult {
        if !self.make_room(self.entry_bytes, now, rng) {
            return SetResult::Oom;
        }
        let expires_ms = match ttl {
            Some(t) => (((now + t) / NANOS_PER_MS) as u32).min(NO_EXPIRY - 1),
            None => NO_EXPIRY,
        };
        let lru_s = (now / NANOS_PER_SEC) as u16;
        self.store.upsert(Entry {
            key,
            expires_ms,
            lru_s,
            version,
        });
        SetResult::Stored
    }

    /// DEL.
    pub fn del(&mut self, key: u32) {
        self.store.remove(key);
    }

    /// DEL of a copy older than DB `version` (a versioned invalidation,
    /// e.g. a Lua script comparing the cached version): a newer copy stays.
    pub fn del_if_older(&mut self, key: u32, version: u16) -> bool {
        match self.store.find(key) {
            Some(i) if older(self.store.entry(i).version, version) => {
                self.store.remove_at(i);
                true
            }
            _ => false,
        }
    }

    /// Redis' `performEvictions`: true if a write of `bytes` may proceed.
    fn make_room(&mut self, bytes: u64, now: Nanos, rng: &mut Stream) -> bool {
        // a running batch job writes faster than the app: it has taken any free space
        self.grow_filler();
        if self.used_bytes() + bytes <= self.max_bytes {
            return true;
        }
        if self.policy == EvictionPolicy::Noeviction {
            return false;
        }
        // the batch job's keys are never read: they are the least recently used
        let over = self.used_bytes() + bytes - self.max_bytes;
        if self.filler_bytes > 0 {
            let take = self
                .filler_bytes
                .min(over.div_ceil(self.entry_bytes) * self.entry_bytes);
            self.filler_bytes -= take;
            self.evictions += take.div_ceil(self.entry_bytes);
        }
        let now_s = (now / NANOS_PER_SEC) as u16;
        while self.used_bytes() + bytes > self.max_bytes {
            if self.eviction_pool {
                if !self.evict_from_pool(now_s, rng) {
                    return false;
                }
                continue;
            }
            let mut victim: Option<(usize, u16)> = None;
            for _ in 0..self.lru_samples {
                let Some(i) = self.store.random_occupied(rng) else {
                    break;
                };
                let age = now_s.wrapping_sub(self.store.entry(i).lru_s);
                if victim.is_none_or(|(_, best)| age > best) {
                    victim = Some((i, age));
                }
            }
            let Some((i, _)) = victim else { return false };
            self.store.remove_at(i);
            self.evictions += 1;
        }
        true
    }

    /// Redis' `evictionPoolPopulate` then eviction (`evict.c`): the samples
    /// join a pool of `EVPOOL_SIZE` candidates kept sorted by idle time, and
    /// the idlest candidate that still exists is evicted.
    fn evict_from_pool(&mut self, now_s: u16, rng: &mut Stream) -> bool {
        const EVPOOL_SIZE: usize = 16;
        for _ in 0..self.lru_samples {
            let Some(i) = self.store.random_occupied(rng) else {
                break;
            };
            let e = *self.store.entry(i);
            let idle = now_s.wrapping_sub(e.lru_s);
            if self.pool.iter().any(|&(k, _)| k == e.key) {
                continue;
            }
            if self.pool.len() == EVPOOL_SIZE {
                if idle <= self.pool[0].1 {
                    continue; // no better than the pool's worst candidate
                }
                self.pool.remove(0);
            }
            let at = self.pool.partition_point(|&(_, x)| x <= idle);
            self.pool.insert(at, (e.key, idle));
        }
        while let Some((key, _)) = self.pool.pop() {
            if let Some(i) = self.store.find(key) {
                self.store.remove_at(i);
                self.evictions += 1;
                return true;
            }
        }
        false
    }

    /// A batch job starts writing keys without a TTL and keeps used memory at
    /// `fraction` of maxmemory (under `allkeys-lru` its keys are evicted first).
    pub fn fill(&mut self, fraction: f64) {
        self.fill_target = Some(fraction);
        self.grow_filler();
    }

    /// The batch job takes whatever free space there is, up to its target.
    pub fn grow_filler(&mut self) {
        if let Some(fraction) = self.fill_target {
            let goal = (self.max_bytes as f64 * fraction) as u64;
            let used = self.used_bytes();
            if used < goal {
                self.filler_bytes += goal - used;
            }
        }
    }

    /// Stops the batch job and deletes its keys.
    pub fn clear_fill(&mut self) {
        self.fill_target = None;
        self.filler_bytes = 0;
    }

    /// Active expiry: visits `fraction` of the table's slots.
    pub fn sweep(&mut self, now: Nanos, fraction: f64) {
        let count = ((self.store.slot_count() as f64 * fraction) as usize).max(1);
        let now_ms = (now / NANOS_PER_MS) as u32;
        let mut expired = 0u64;
        self.sweep_cursor = self
            .store
            .sweep(self.sweep_cursor, count, now_ms, |_| expired += 1);
        self.expirations += expired;
    }

    /// The process dies (or the whole host): every key is lost.
    pub fn crash(&mut self) {
        self.up = false;
        self.loading_until = 0;
        self.epoch += 1;
        self.store.clear();
        // the batch job's data is gone and its connection with it
        self.clear_fill();
    }

    /// Cold restart: empty, and accepting commands after `start_ns` (the
    /// process starting; the thread does nothing else meanwhile).
    pub fn restart(&mut self, now: Nanos, start_ns: Nanos) {
        if self.up {
            self.crash();
        }
        self.up = true;
        self.host_down = false;
        self.loading_until = now + start_ns;
        // what was queued before the crash never runs
        self.busy_until = now;
        self.busy_ns = 0;
        self.backlog_mark = 0;
    }

    pub fn set_memory_gb(&mut self, gb: f64) {
        self.max_bytes = gb_to_bytes(gb);
    }
}

/// Version `a` comes before `b` (16-bit versions that wrap).
pub fn older(a: u16, b: u16) -> bool {
    (b.wrapping_sub(a) as i16) > 0
}

pub fn gb_to_bytes(gb: f64) -> u64 {
    (gb * 1024.0 * 1024.0 * 1024.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(memory_entries: u64, policy: EvictionPolicy) -> CacheNode {
        let cfg = CacheConfig {
            memory_gb: (memory_entries * 1024) as f64 / (1024.0 * 1024.0 * 1024.0),
            eviction: policy,
            key_overhead_bytes: 0,
            ..CacheConfig::default()
        };
        CacheNode::new(&cfg, 16)
    }

    #[test]
    fn ttl_is_set_at_fill_and_not_extended_by_get() {
        let mut n = node(100, EvictionPolicy::Noeviction);
        let mut rng = Stream::new(1, 1);
        let s = NANOS_PER_SEC;
        assert_eq!(n.set(7, 3, Some(300 * s), 0, &mut rng), SetResult::Stored);
        assert_eq!(n.get(7, 299 * s), GetResult::Hit { version: 3 });
        assert_eq!(
            n.get(7, 300 * s),
            GetResult::Miss,
            "GET at 299 s must not extend the TTL"
        );
        assert_eq!(n.expirations, 1);
    }

    #[test]
    fn noeviction_refuses_writes_but_serves_reads_and_dels() {
        let mut n = node(10, EvictionPolicy::Noeviction);
        let mut rng = Stream::new(1, 1);
        for k in 0..10 {
            assert_eq!(
                n.set(k, 0, Some(NANOS_PER_SEC), 0, &mut rng),
                SetResult::Stored
            );
        }
        assert_eq!(
            n.set(99, 0, Some(NANOS_PER_SEC), 0, &mut rng),
            SetResult::Oom
        );
        assert!(matches!(n.get(3, 1), GetResult::Hit { .. }));
        n.del(3);
        assert_eq!(
            n.set(99, 0, Some(NANOS_PER_SEC), 0, &mut rng),
            SetResult::Stored
        );
    }

    #[test]
    fn sampled_lru_prefers_old_keys() {
        let mut n = node(1000, EvictionPolicy::AllkeysLru);
        let mut rng = Stream::new(1, 1);
        let s = NANOS_PER_SEC;
        // 1000 keys; the first 500 touched at t=0, the rest at t=100 s
        for k in 0..1000u32 {
            let t = if k < 500 { 0 } else { 100 * s };
            n.set(k, 0, None, t, &mut rng);
        }
        // 200 new keys force 200 evictions
        for k in 1000..1200u32 {
            assert_eq!(n.set(k, 0, None, 200 * s, &mut rng), SetResult::Stored);
        }
        assert_eq!(n.evictions, 200);
        let old_left = (0..500).filter(|&k| n.store.find(k).is_some()).count();
        let new_left = (500..1000).filter(|&k| n.store.find(k).is_some()).count();
        // a recent key is evicted only when all 5 samples are recent (<= 1/32 while
        // half the keys are old, rising as old keys go): about 25 of 200
        assert!(new_left >= 460, "old {old_left} new {new_left}");
        assert!(old_left <= 340, "old {old_left} new {new_left}");
    }

    #[test]
    fn fifo_single_thread_timing() {
        let mut n = node(10, EvictionPolicy::Noeviction);
        let svc = n.service_ns();
        assert_eq!(svc, 20_000, "50K ops/s is 20 us per command");
        assert_eq!(n.enqueue(0, Verb::Get, 0), (0, svc));
        assert_eq!(n.enqueue(0, Verb::Get, 0), (svc, 2 * svc));
        assert_eq!(n.enqueue(10 * svc, Verb::Get, 0), (10 * svc, 11 * svc));
        // a large value costs more
        assert_eq!(n.enqueue(11 * svc, Verb::Get, 5), (11 * svc, 12 * svc + 5));
        // a SET a little more than a GET, a DEL less (measured: +0.36 us, -0.77 us)
        let t = 20 * svc;
        assert_eq!(n.enqueue(t, Verb::Set, 0), (t, t + 20_360));
        assert_eq!(n.enqueue(2 * t, Verb::Del, 0), (2 * t, 2 * t + 19_240));
        // a command queued behind 100 others still runs, and burns the thread
        for _ in 0..100 {
            n.enqueue(10 * svc, Verb::Get, 0);
        }
        let busy = n.busy_ns;
        let (start, done) = n.enqueue(10 * svc, Verb::Get, 0);
        assert_eq!(done - start, svc);
        assert_eq!(n.busy_ns, busy + svc);
    }

    #[test]
    fn crash_loses_everything_and_fill_uses_memory() {
        let mut n = node(10_000, EvictionPolicy::Noeviction);
        let mut rng = Stream::new(1, 1);
        n.set(1, 0, Some(NANOS_PER_SEC), 0, &mut rng);
        n.fill(1.0);
        assert_eq!(n.used_bytes(), n.max_bytes);
        // noeviction: the app's SETs fail while the batch job holds the memory
        assert_eq!(
            n.set(2, 0, Some(NANOS_PER_SEC), 0, &mut rng),
            SetResult::Oom
        );
        // freed space goes back to the batch job first
        n.del(1);
        assert_eq!(
            n.set(2, 0, Some(NANOS_PER_SEC), 0, &mut rng),
            SetResult::Oom
        );
        // under allkeys-lru its never-read keys are evicted first
        n.policy = EvictionPolicy::AllkeysLru;
        assert_eq!(
            n.set(3, 0, Some(NANOS_PER_SEC), 0, &mut rng),
            SetResult::Stored
        );
        assert!(n.evictions >= 1);
        n.crash();
        assert_eq!(n.keys(), 0);
        assert_eq!(n.used_bytes(), 0);
        assert!(!n.up);
    }
}
