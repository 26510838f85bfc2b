//! WarmupWorker (V1): after a shard restarts cold, it reads that shard's
//! hottest keys from the DB and SETs them into the shard, so the hot head of
//! the keyspace is back before the organic miss-and-backfill would bring it.
//!
//! It walks the key ranks from the most popular down, skips keys the router
//! sends elsewhere or that are already cached, and issues one SELECT per key,
//! paced at `keys_per_s` with at most `connections` queries in flight: the
//! worker is a service with a small pool of its own, opened when it starts
//! (at the start of the run, or when it is switched on), so that a herd that
//! has taken every other connection does not starve it. It stops after
//! `hottest_keys` keys, or when its shard crashes or leaves. Its queries are
//! counted as their own cause of DB load.

/// One running warm-up of one shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarmupJob {
    pub shard: usize,
    /// The shard's epoch when the job started: a crash ends the job.
    pub epoch: u32,
    /// Next key rank to consider (1 = most popular).
    pub next_rank: u64,
    /// Keys whose SELECT was issued.
    pub issued: u32,
    pub in_flight: u32,
    /// Keys to load in all.
    pub target: u32,
    /// When its next tick is due: an older tick still queued is ignored.
    pub next_tick: u64,
}

impl WarmupJob {
    pub fn new(shard: usize, epoch: u32, target: u32) -> WarmupJob {
        WarmupJob {
            shard,
            epoch,
            next_rank: 1,
            issued: 0,
            in_flight: 0,
            target,
            next_tick: 0,
        }
    }

    /// Every key it will load has been issued.
    pub fn exhausted(&self, keyspace: u64) -> bool {
        self.issued >= self.target || self.next_rank > keyspace
    }

    /// Nothing left to do or wait for.
    pub fn finished(&self, keyspace: u64) -> bool {
        self.exhausted(keyspace) && self.in_flight == 0
    }
}
