//! The discrete-event queue: events ordered by (time, insertion sequence), so
//! events at equal times run in the order they were scheduled and every run
//! is reproducible.
//!
//! Most of the model's delays are constant or come from a FIFO server, so the
//! events of one kind are usually scheduled in time order. Such events may go
//! to a *lane*: a FIFO list that accepts an event only if it is not earlier
//! than the lane's last one, and hands anything else to the binary heap. The
//! earliest event is the smallest (time, seq) among the heap's top and the
//! lanes' fronts, so the order is exactly the heap-only order, at a fraction
//! of the heap's cost.

use crate::fifo::Fifo;
use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy)]
struct Scheduled<E> {
    time: Nanos,
    seq: u64,
    event: E,
}

impl<E> Scheduled<E> {
    #[inline]
    fn key(&self) -> (Nanos, u64) {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    // BinaryHeap is a max-heap: reverse so the earliest (time, seq) is on top
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// An event queue with `L` FIFO lanes beside its heap.
pub struct EventQueue<E: Copy, const L: usize = 0> {
    heap: BinaryHeap<Scheduled<E>>,
    lanes: [Fifo<Scheduled<E>>; L],
    /// (time, seq) of each lane's front, `u128::MAX` when empty: the earliest
    /// event is found without touching the lists.
    lane_fronts: [u128; L],
    /// (time, seq) of the heap's top.
    heap_front: u128,
    /// Where the earliest event is (`L`: the heap) and its (time, seq): kept
    /// up to date on every push (one comparison) and found again on every
    /// pop, so each event costs one scan.
    best: usize,
    best_key: u128,
    seq: u64,
}

#[inline]
fn key<E>(s: Option<&Scheduled<E>>) -> u128 {
    s.map_or(u128::MAX, |s| ((s.time as u128) << 64) | s.seq as u128)
}

impl<E: Copy, const L: usize> Default for EventQueue<E, L> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lanes: std::array::from_fn(|_| Fifo::default()),
            lane_fronts: [u128::MAX; L],
            heap_front: u128::MAX,
            best: L,
            best_key: u128::MAX,
            seq: 0,
        }
    }
}

impl<E: Copy, const L: usize> EventQueue<E, L> {
    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        self.seq += 1;
        self.heap.push(Scheduled {
            time,
            seq: self.seq,
            event,
        });
        self.heap_front = key(self.heap.peek());
        self.note_front(L, self.heap_front);
    }

    /// Slot `i`'s front `k` may be the earliest event.
    #[inline]
    fn note_front(&mut self, i: usize, k: u128) {
        if k < self.best_key {
            self.best = i;
            self.best_key = k;
        }
    }

    /// Schedules `event` at `time` in `lane` if that keeps the lane in time
    /// order, otherwise in the heap: the order of events is the same either way.
    #[inline]
    pub fn push_lane(&mut self, lane: usize, time: Nanos, event: E) {
        let q = &mut self.lanes[lane];
        if q.back().is_none_or(|b| b.time <= time) {
            self.seq += 1;
            let s = Scheduled {
                time,
                seq: self.seq,
                event,
            };
            let first = q.is_empty().then(|| key(Some(&s)));
            q.push_back(s);
            if let Some(k) = first {
                self.lane_fronts[lane] = k;
                self.note_front(lane, k);
            }
        } else {
            self.push(time, event);
        }
    }

    /// Where the earliest event is (`L`: the heap) and its (time, seq),
    /// found by a scan of the fronts.
    #[inline]
    fn scan(&self) -> (usize, u128) {
        let mut best = L;
        let mut best_key = self.heap_front;
        for (i, &k) in self.lane_fronts.iter().enumerate() {
            let earlier = k < best_key;
            best_key = if earlier { k } else { best_key };
            best = if earlier { i } else { best };
        }
        (best, best_key)
    }

    /// Time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        let k = self.best_key;
        (k != u128::MAX).then_some((k >> 64) as Nanos)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        let i = self.best;
        if self.best_key == u128::MAX {
            return None;
        }
        let s = if i == L {
            let s = self.heap.pop();
            self.heap_front = key(self.heap.peek());
            s
        } else {
            let s = self.lanes[i].pop_front();
            self.lane_fronts[i] = key(self.lanes[i].front());
            s
        }?;
        (self.best, self.best_key) = self.scan();
        Some((s.time, s.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(Fifo::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        (self.heap.capacity() + self.lanes.iter().map(Fifo::capacity).sum::<usize>())
            * std::mem::size_of::<Scheduled<E>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn orders_by_time_then_fifo() {
        let mut q: EventQueue<&str> = EventQueue::default();
        q.push(5, "b");
        q.push(3, "a");
        q.push(5, "c");
        q.push(5, "d");
        q.push(1, "z");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(1, "z"), (3, "a"), (5, "b"), (5, "c"), (5, "d")]
        );
    }

    /// Lanes change nothing about the order: random pushes to random lanes
    /// (in order or not), interleaved with pops, come out exactly as from a
    /// heap alone.
    #[test]
    fn lanes_keep_the_heap_order() {
        let mut rng = Stream::new(9, 9);
        let mut laned: EventQueue<u32, 3> = EventQueue::default();
        let mut plain: EventQueue<u32> = EventQueue::default();
        let mut now = 0;
        let mut lane_last = [0; 3];
        let mut in_lanes = 0;
        for i in 0..200_000u32 {
            if rng.chance(0.55) {
                let lane = rng.below(4) as usize;
                // mostly in order per lane, sometimes earlier, often tied
                let time = if lane < 3 && rng.chance(0.9) {
                    lane_last[lane].max(now) + rng.below(3) * 1_000
                } else {
                    now + rng.below(50) * 1_000
                };
                if lane < 3 {
                    if laned.lanes[lane].back().is_none_or(|b| b.time <= time) {
                        in_lanes += 1;
                    }
                    lane_last[lane] = lane_last[lane].max(time);
                    laned.push_lane(lane, time, i);
                } else {
                    laned.push(time, i);
                }
                plain.push(time, i);
            } else {
                if rng.chance(0.5) {
                    assert_eq!(laned.peek_time(), plain.peek_time());
                }
                let a = laned.pop();
                assert_eq!(a, plain.pop());
                if let Some((t, _)) = a {
                    now = t;
                }
            }
            assert_eq!(laned.len(), plain.len());
        }
        assert!(in_lanes > 50_000, "the lanes took {in_lanes} events");
        while let Some(e) = plain.pop() {
            assert_eq!(laned.pop(), Some(e));
        }
        assert!(laned.is_empty());
    }
}
