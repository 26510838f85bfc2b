//! The invalidation stream (V2): a Kafka-like durable log of "key changed"
//! events, one partition per shard, and a consumer per partition.
//!
//! A DB write publishes an event; it reaches the consumer after the
//! stream's lag (produce, replicate, fetch: uniform between the configured
//! bounds). The consumer applies events in partition order, each taking
//! `1 / events_per_s`: it deletes the key's copies older than the write
//! from every pod's L1 and from Redis (a versioned DEL: a copy the writer
//! already refreshed stays). A DEL that cannot run (the shard down or loading) stays at the
//! head of its partition and is tried again after `retry_ms`, so a lost
//! invalidation is repaired within the lag instead of the TTL. Stopping the
//! consumer (a fault) lets events pile up; restarting it drains the backlog.

use crate::scenario::StreamConfig;
use crate::time::{from_ms, Nanos, NANOS_PER_SEC};
use std::collections::VecDeque;

/// One event in a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub key: u32,
    /// The row's version after the write: copies older than it are stale.
    pub version: u16,
    /// When the DB write published it.
    pub published: Nanos,
    /// When the consumer can first see it.
    pub visible: Nanos,
}

/// One partition and its consumer.
#[derive(Clone, Debug, Default)]
pub struct Partition {
    pub log: VecDeque<Event>,
    /// The consumer is busy until then.
    pub free_at: Nanos,
    /// A consume event is scheduled for this partition.
    pub scheduled: bool,
}

#[derive(Clone, Debug)]
pub struct InvalidationStream {
    pub partitions: Vec<Partition>,
    pub running: bool,
    lag_min: Nanos,
    lag_max: Nanos,
    pub per_event: Nanos,
    pub retry: Nanos,
    // counters, read and reset by the metrics
    pub published: u64,
    pub applied: u64,
    pub retried: u64,
    /// Sum of applied events' delay from publish to applied, ns.
    pub delay_ns: u64,
}

impl InvalidationStream {
    pub fn new(cfg: &StreamConfig, partitions: usize) -> Self {
        InvalidationStream {
            partitions: vec![Partition::default(); partitions],
            running: true,
            lag_min: from_ms(cfg.lag_min_ms),
            lag_max: from_ms(cfg.lag_max_ms),
            per_event: ((NANOS_PER_SEC as f64 / cfg.events_per_s) as Nanos).max(1),
            retry: from_ms(cfg.retry_ms),
            published: 0,
            applied: 0,
            retried: 0,
            delay_ns: 0,
        }
    }

    /// Appends an event for `key` to partition `p` at `now`; `u` in [0, 1)
    /// places its lag between the bounds. Returns when the consumer should
    /// look at the partition, if it is not already due to.
    pub fn publish(
        &mut self,
        p: usize,
        key: u32,
        version: u16,
        now: Nanos,
        u: f64,
    ) -> Option<Nanos> {
        let lag = self.lag_min + ((self.lag_max - self.lag_min) as f64 * u) as Nanos;
        self.published += 1;
        let part = &mut self.partitions[p];
        part.log.push_back(Event {
            key,
            version,
            published: now,
            visible: now + lag,
        });
        self.due(p)
    }

    /// When partition `p`'s consumer should next act, if it is idle with
    /// work waiting (and marks it scheduled).
    pub fn due(&mut self, p: usize) -> Option<Nanos> {
        if !self.running {
            return None;
        }
        let part = &mut self.partitions[p];
        if part.scheduled {
            return None;
        }
        let head = part.log.front()?;
        part.scheduled = true;
        Some(head.visible.max(part.free_at))
    }

    /// Events waiting in every partition.
    pub fn backlog(&self) -> u64 {
        self.partitions.iter().map(|p| p.log.len() as u64).sum()
    }

    /// Age of the oldest unapplied event at `now` (the consumer lag), ns.
    pub fn oldest_age(&self, now: Nanos) -> Nanos {
        self.partitions
            .iter()
            .filter_map(|p| p.log.front())
            .map(|e| now.saturating_sub(e.published))
            .max()
            .unwrap_or(0)
    }

    /// Partitions follow the shards: a new shard gets an empty partition;
    /// a removed shard's events move to the partition of shard 0 (their
    /// keys are re-routed, and the DEL is harmless where the key is absent).
    pub fn resize(&mut self, n: usize) {
        while self.partitions.len() > n.max(1) {
            let gone = self.partitions.pop().expect("len > 1");
            self.partitions[0].log.extend(gone.log);
        }
        while self.partitions.len() < n {
            self.partitions.push(Partition::default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_between_the_bounds_and_order_is_kept() {
        let cfg = StreamConfig::default();
        let mut s = InvalidationStream::new(&cfg, 1);
        let due = s.publish(0, 1, 1, 0, 0.0).expect("idle consumer");
        assert_eq!(due, from_ms(cfg.lag_min_ms));
        assert_eq!(s.publish(0, 2, 1, 0, 0.999_999), None, "already scheduled");
        let e = s.partitions[0].log[1];
        assert!(e.visible <= from_ms(cfg.lag_max_ms) && e.visible > from_ms(190.0));
        assert_eq!(s.backlog(), 2);
        assert_eq!(s.oldest_age(from_ms(70.0)), from_ms(70.0));
    }

    #[test]
    fn a_stopped_consumer_schedules_nothing() {
        let mut s = InvalidationStream::new(&StreamConfig::default(), 2);
        s.running = false;
        assert_eq!(s.publish(1, 5, 1, 0, 0.5), None);
        s.running = true;
        assert!(s.due(1).is_some());
        s.resize(1);
        assert_eq!(
            s.partitions[0].log.len(),
            1,
            "events of a removed partition are kept"
        );
    }
}
