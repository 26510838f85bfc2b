//! The warm-up worker at work (see `warmup`): paced SELECTs of a cold
//! shard's hottest keys, each followed by a SET into that shard.

use super::*;
use crate::backend_db::QueryKind;

/// Ranks looked at per tick, at most, when looking for the next key to load.
const SCAN_PER_TICK: u64 = 4_096;

impl Simulation {
    pub(super) fn start_warmup(&mut self, shard: usize) {
        self.stop_warmup(shard);
        let target = self.scenario.topology.warmup.hottest_keys;
        let mut job = WarmupJob::new(shard, self.caches[shard].epoch, target);
        // it starts once the shard accepts commands
        job.next_tick = self.now.max(self.caches[shard].loading_until);
        let first = job.next_tick;
        self.warmups[shard] = Some(job);
        self.queue.push(first, Ev::WarmupTick(shard as u8));
    }

    /// Ends the shard's warm-up, if one runs.
    pub(super) fn stop_warmup(&mut self, shard: usize) {
        if let Some(slot) = self.warmups.get_mut(shard) {
            *slot = None;
        }
    }

    /// The worker opens its pool (PostgreSQL may refuse some connections;
    /// it tries again at each tick).
    pub(super) fn open_warmup_pool(&mut self) {
        while self.warmup_conns < self.scenario.topology.warmup.connections
            && self.db.connect(self.now)
        {
            self.warmup_conns += 1;
        }
    }

    /// The worker is switched off: its jobs end, its pool closes.
    pub(super) fn close_warmup_pool(&mut self) {
        for i in 0..self.warmups.len() {
            self.stop_warmup(i);
        }
        self.db.disconnect(self.warmup_conns);
        self.warmup_conns = 0;
    }

    fn warmup_is_current(&self, slot: usize) -> bool {
        match &self.warmups[slot] {
            Some(job) => self
                .caches
                .get(slot)
                .is_some_and(|c| c.up && c.epoch == job.epoch),
            None => false,
        }
    }

    pub(super) fn warmup_tick(&mut self, slot: usize) {
        // a tick of a job that has since ended or been replaced
        if self.warmups[slot]
            .as_ref()
            .is_none_or(|j| j.next_tick != self.now)
        {
            return;
        }
        if !self.warmup_is_current(slot) {
            self.stop_warmup(slot);
            return;
        }
        let cfg = self.scenario.topology.warmup.clone();
        let keys = self.keyspace.keys;
        self.open_warmup_pool();
        let job = self.warmups[slot].as_ref().expect("checked above");
        let can_issue = self.warmup_in_flight < self.warmup_conns && !job.exhausted(keys);
        if can_issue {
            if let Some(key) = self.next_warm_key(slot) {
                self.issue_warm_query(slot, key);
            }
        }
        let job = self.warmups[slot].as_mut().expect("still running");
        if job.finished(keys) {
            self.stop_warmup(slot);
            return;
        }
        job.next_tick = self.now + from_secs(1.0 / cfg.keys_per_s).max(1);
        self.queue.push(job.next_tick, Ev::WarmupTick(slot as u8));
    }

    /// The next most popular key the shard owns and does not hold.
    fn next_warm_key(&mut self, slot: usize) -> Option<u32> {
        let keys = self.keyspace.keys;
        let job = self.warmups[slot].as_ref()?;
        let (mut rank, end) = (job.next_rank, (job.next_rank + SCAN_PER_TICK).min(keys + 1));
        let mut found = None;
        while rank < end {
            let key = (rank - 1) as u32;
            rank += 1;
            if self.shard_of(key) == slot && self.caches[slot].store.find(key).is_none() {
                found = Some(key);
                break;
            }
        }
        self.warmups[slot].as_mut()?.next_rank = rank;
        found
    }

    fn issue_warm_query(&mut self, slot: usize, key: u32) {
        count!(self, db_offered);
        let arrive = self.now + self.db_hop.half;
        let service = self
            .db
            .sample_service(QueryKind::Select, &mut self.rng_warmup);
        let (start, end) = self.db.execute(arrive, service);
        self.totals.db_sojourn_ns += end - arrive;
        self.totals.db_wait_ns += start - arrive;
        self.querying += 1;
        self.frame.warmup_db += 1;
        let job = self.warmups[slot]
            .as_mut()
            .expect("issuing for a running job");
        job.in_flight += 1;
        job.issued += 1;
        self.warmup_in_flight += 1;
        self.queue
            .push(end + self.db_hop.half, Ev::WarmupLoaded(slot as u8, key));
    }

    pub(super) fn warmup_loaded(&mut self, slot: usize, key: u32) {
        self.querying -= 1;
        self.warmup_in_flight -= 1;
        count!(self, db_queries);
        self.totals.db_warmup += 1;
        self.acc.db_warmup += 1;
        if let Some(job) = self.warmups[slot].as_mut() {
            job.in_flight = job.in_flight.saturating_sub(1);
        }
        if !self.warmup_is_current(slot) {
            return;
        }
        // SET key value EX ttl, through the shard's one thread
        let version = self.db.version(key);
        let cache = &mut self.caches[slot];
        if cache.ready(self.now) {
            cache.enqueue(self.now + self.cache_hop.half, Verb::Set, 0);
            count!(self, cache_ops);
            cache.set(key, version, Some(self.ttl), self.now, &mut self.rng_evict);
            self.frame.warmup_shard[slot] += 1;
            self.acc.warmed += 1;
        }
        let keys = self.keyspace.keys;
        if self.warmups[slot]
            .as_ref()
            .is_some_and(|j| j.finished(keys))
        {
            self.stop_warmup(slot);
        }
    }
}
