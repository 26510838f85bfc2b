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

use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

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

/// Where the earliest event is: the heap (`HEAP`) or a lane.
const HEAP: usize = usize::MAX;

/// An event queue with `L` FIFO lanes beside its heap.
pub struct EventQueue<E, const L: usize = 0> {
    heap: BinaryHeap<Scheduled<E>>,
    lanes: [VecDeque<Scheduled<E>>; L],
    seq: u64,
    /// The earliest event's place, as found by the last `peek_time` (None after a push).
    next: Option<usize>,
}

impl<E, const L: usize> Default for EventQueue<E, L> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lanes: std::array::from_fn(|_| VecDeque::new()),
            seq: 0,
            next: None,
        }
    }
}

impl<E, const L: usize> EventQueue<E, L> {
    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        self.seq += 1;
        self.next = None;
        self.heap.push(Scheduled {
            time,
            seq: self.seq,
            event,
        });
    }

    /// Schedules `event` at `time` in `lane` if that keeps the lane in time
    /// order, otherwise in the heap: the order of events is the same either way.
    #[inline]
    pub fn push_lane(&mut self, lane: usize, time: Nanos, event: E) {
        self.seq += 1;
        self.next = None;
        let s = Scheduled {
            time,
            seq: self.seq,
            event,
        };
        let q = &mut self.lanes[lane];
        if q.back().is_none_or(|b| b.time <= time) {
            q.push_back(s);
        } else {
            self.heap.push(s);
        }
    }

    /// Time of the earliest event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Nanos> {
        let mut best = self.heap.peek().map(|s| (s.key(), HEAP));
        for (i, q) in self.lanes.iter().enumerate() {
            if let Some(f) = q.front() {
                if best.is_none_or(|(k, _)| f.key() < k) {
                    best = Some((f.key(), i));
                }
            }
        }
        self.next = best.map(|(_, i)| i);
        best.map(|((t, _), _)| t)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        if self.next.is_none() {
            self.peek_time()?;
        }
        let s = match self.next.take()? {
            HEAP => self.heap.pop(),
            i => self.lanes[i].pop_front(),
        }?;
        Some((s.time, s.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn heap_bytes(&self) -> usize {
        (self.heap.capacity() + self.lanes.iter().map(VecDeque::capacity).sum::<usize>())
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
