//! The invalidation stream at work (V2): a DB write publishes an event to
//! its key's partition; the partition's consumer, after the stream's lag,
//! deletes the key from every pod's L1 and from Redis, and retries a DEL
//! that cannot run until it does.

use super::*;

impl Simulation {
    /// A DB write of `key` committed: publish its invalidation.
    pub(super) fn publish_invalidation(&mut self, key: u32) {
        let p = self.shard_of(key);
        let u = self.rng_stream.uniform();
        let now = self.now;
        let version = self.db.version(key);
        let Some(stream) = &mut self.stream else {
            return;
        };
        self.frame.published += 1;
        if let Some(at) = stream.publish(p, key, version, now, u) {
            self.queue.push(at, Ev::StreamConsume(p as u8));
        }
    }

    /// Partition `p`'s consumer takes its next event.
    pub(super) fn stream_consume(&mut self, p: usize) {
        let now = self.now;
        let Some(stream) = &mut self.stream else {
            return;
        };
        let Some(part) = stream.partitions.get_mut(p) else {
            return;
        };
        part.scheduled = false;
        if !stream.running {
            return;
        }
        let Some(&head) = part.log.front() else {
            return;
        };
        if head.visible > now || part.free_at > now {
            if let Some(at) = stream.due(p) {
                self.queue.push(at, Ev::StreamConsume(p as u8));
            }
            return;
        }
        let shard = self.router.route(head.key);
        let applied = self.caches[shard].ready(now);
        let stream = self.stream.as_mut().expect("checked");
        let part = &mut stream.partitions[p];
        if applied {
            part.log.pop_front();
            part.free_at = now + stream.per_event;
            stream.applied += 1;
            stream.delay_ns += now - head.published;
        } else {
            // the DEL cannot run: the event stays at the head and is retried
            part.free_at = now + stream.retry;
            stream.retried += 1;
        }
        if let Some(at) = stream.due(p) {
            self.queue.push(at, Ev::StreamConsume(p as u8));
        }
        for l1 in &mut self.l1 {
            l1.remove_if_older(head.key, head.version);
        }
        if applied {
            let c = &mut self.caches[shard];
            c.enqueue(now + self.cache_hop.half, Verb::Del, 0);
            if c.del_if_older(head.key, head.version) {
                self.replicate(shard, true, head.key, 0, false);
            }
            count!(self, cache_ops);
            self.frame.stream_shard[shard] += 1;
        }
    }

    /// The consumer stops (a fault) or starts again and drains its backlog.
    pub(super) fn set_stream_running(&mut self, on: bool) {
        let Some(stream) = &mut self.stream else {
            return;
        };
        stream.running = on;
        if on {
            for p in 0..stream.partitions.len() {
                if let Some(at) = stream.due(p) {
                    self.queue
                        .push(at.max(self.now), Ev::StreamConsume(p as u8));
                }
            }
        }
    }
}
