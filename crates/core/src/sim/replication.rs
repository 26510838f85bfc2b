//! Replicas and failover (V2): each shard's primary streams its writes to
//! its replicas asynchronously (`topology.replication.lag_ms` later); GETs
//! may be spread over the replicas; when a primary dies the cluster promotes
//! a replica after `failover_ms`. Writes the primary had acknowledged but
//! not yet sent on are lost with it: a lost DEL or write leaves the promoted
//! replica with the old value (counted as `lost_writes`, and its reads as
//! stale).

use super::*;

/// Which node of a shard serves a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Member {
    Primary,
    Replica(usize),
}

impl Simulation {
    /// The node of shard `shard` that a GET goes to: with replica reads on,
    /// the primary or one of its replicas (uniformly), among those accepting
    /// commands; otherwise the primary.
    pub(super) fn read_member(&mut self, shard: usize) -> Member {
        let spread = self
            .replication
            .as_ref()
            .is_some_and(|r| r.read_from_replicas);
        let replicas = self.replicas.get(shard).map_or(0, Vec::len);
        if !spread || replicas == 0 {
            return Member::Primary;
        }
        let now = self.now;
        let first = (self.rng_replica.uniform() * (replicas + 1) as f64) as usize;
        for k in 0..=replicas {
            let m = (first + k) % (replicas + 1);
            let ready = if m == 0 {
                self.caches[shard].ready(now)
            } else {
                self.replicas[shard][m - 1].ready(now)
            };
            if ready {
                return if m == 0 {
                    Member::Primary
                } else {
                    Member::Replica(m - 1)
                };
            }
        }
        Member::Primary
    }

    pub(super) fn member_mut(&mut self, shard: usize, m: Member) -> &mut CacheNode {
        match m {
            Member::Primary => &mut self.caches[shard],
            Member::Replica(j) => &mut self.replicas[shard][j],
        }
    }

    /// The node of `shard` that a command sent to incarnation `epoch` went
    /// to, if it is still that incarnation and up.
    pub(super) fn member_by_epoch(&self, shard: usize, epoch: u32) -> Option<Member> {
        let c = self.caches.get(shard)?;
        if c.up && c.epoch == epoch {
            return Some(Member::Primary);
        }
        self.replicas
            .get(shard)?
            .iter()
            .position(|r| r.up && r.epoch == epoch)
            .map(Member::Replica)
    }

    /// A SET or DEL ran on shard `shard`'s primary: its replicas apply it
    /// after the replication lag (if the primary lives that long). `user`:
    /// the write of a client's write or delete (not a backfill).
    pub(super) fn replicate(
        &mut self,
        shard: usize,
        del: bool,
        key: u32,
        version: u16,
        user: bool,
    ) {
        let Some(r) = &self.replication else {
            return;
        };
        if self.replicas.get(shard).is_none_or(|v| v.is_empty()) {
            return;
        }
        let w = LateWrite {
            shard: shard as u8,
            epoch: self.caches[shard].epoch as u8,
            del,
            user,
            version,
            key,
        };
        self.frame.replicated[shard] += 1;
        self.queue
            .push(self.now + from_ms(r.lag_ms), Ev::Replicate(w));
    }

    /// A replicated write reaches the replicas.
    pub(super) fn apply_replicated(&mut self, w: LateWrite) {
        let shard = w.shard as usize;
        if self
            .caches
            .get(shard)
            .is_none_or(|c| c.epoch as u8 != w.epoch)
        {
            // the primary died before sending it on
            if w.user {
                count!(self, lost_writes);
            }
            return;
        }
        let (now, ttl) = (self.now, self.ttl);
        for r in &mut self.replicas[shard] {
            if !r.up {
                continue;
            }
            r.enqueue(now, if w.del { Verb::Del } else { Verb::Set }, 0);
            if w.del {
                r.del(w.key);
            } else {
                r.set(w.key, w.version, Some(ttl), now, &mut self.rng_evict);
            }
        }
    }

    /// Shard `shard`'s primary died: promotion is due after the detection delay.
    pub(super) fn schedule_failover(&mut self, shard: usize) {
        let Some(r) = &self.replication else {
            return;
        };
        let at = self.now + from_ms(r.failover_ms);
        self.failover_at[shard] = Some(at);
        let epoch = self.caches[shard].epoch;
        self.queue.push(at, Ev::Failover(shard as u8, epoch));
    }

    /// The cluster promotes the first live replica of a shard whose primary
    /// (incarnation `epoch`) is still dead. The dead node becomes a replica
    /// slot, down until it is restarted.
    pub(super) fn failover(&mut self, shard: usize, epoch: u32) {
        if shard >= self.caches.len() || self.caches[shard].epoch != epoch {
            return; // restarted meanwhile, or the shard left
        }
        self.failover_at[shard] = None;
        if self.caches[shard].up {
            return;
        }
        let Some(j) = self.replicas[shard].iter().position(|r| r.up) else {
            return; // nothing to promote
        };
        std::mem::swap(&mut self.caches[shard], &mut self.replicas[shard][j]);
        count!(self, failovers);
        self.stop_warmup(shard);
    }

    /// Restarts whatever of shard `shard` is down: a dead replica comes back
    /// with a full copy of its primary (a full resync); a dead primary (or,
    /// with nothing down, the primary) restarts empty, and its replicas
    /// resync to it and are emptied too (Redis' warning about replication
    /// from a primary without persistence).
    pub(super) fn restart_member(&mut self, shard: usize) -> Member {
        let primary_up = self.caches[shard].up;
        let dead = self
            .replicas
            .get(shard)
            .and_then(|v| v.iter().position(|r| !r.up));
        match dead {
            Some(j) if primary_up => {
                let start = from_ms(self.scenario.cache.restart_ms);
                let copy = self.caches[shard].store.clone();
                let epoch = self.fresh_epoch();
                let r = &mut self.replicas[shard][j];
                r.restart(self.now, start);
                r.store = copy;
                r.epoch = epoch;
                Member::Replica(j)
            }
            _ => {
                for r in self.replicas.get_mut(shard).into_iter().flatten() {
                    if r.up {
                        r.store.clear();
                    }
                }
                self.failover_at[shard] = None;
                Member::Primary
            }
        }
    }

    /// Replicas for a shard: copies of its primary as it is now.
    pub(super) fn new_replicas(&mut self, shard: usize) -> Vec<CacheNode> {
        let n = self.replication.as_ref().map_or(0, |r| r.replicas);
        (0..n)
            .map(|_| {
                let mut r = self.caches[shard].clone();
                r.epoch = self.fresh_epoch();
                r
            })
            .collect()
    }
}
