//! Latencies counted in the second their reply arrives.
//!
//! A query's end is known when it is sent (the DB is a queue of known
//! times), but its latency belongs to the second in which the reply comes
//! back: each is held, keyed by that time, until the second's tick moves
//! it into the second's histogram.

use crate::time::Nanos;
use hdrhistogram::Histogram;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Latencies waiting for their reply time, and the current second's.
#[derive(Clone, Debug)]
pub struct ReplyLatency {
    /// (reply time, latency) of replies still to come.
    pending: BinaryHeap<Reverse<(Nanos, Nanos)>>,
    /// Latencies (us) of the replies that arrived this second.
    second: Histogram<u64>,
}

impl Default for ReplyLatency {
    fn default() -> Self {
        ReplyLatency {
            pending: BinaryHeap::new(),
            second: crate::metrics::hist(),
        }
    }
}

impl ReplyLatency {
    /// A reply that arrives at `at` after `latency`.
    #[inline]
    pub fn push(&mut self, at: Nanos, latency: Nanos) {
        self.pending.push(Reverse((at, latency)));
    }

    /// p50 and p99 (ms) of the replies that arrived by `now` and were not
    /// counted before; the next second starts empty.
    pub fn second(&mut self, now: Nanos) -> (f64, f64) {
        while let Some(&Reverse((at, ns))) = self.pending.peek() {
            if at > now {
                break;
            }
            self.pending.pop();
            crate::metrics::record_ns(&mut self.second, ns);
        }
        crate::metrics::take_p50_p99(&mut self.second)
    }

    pub fn heap_bytes(&self) -> usize {
        self.pending.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    #[test]
    fn a_reply_counts_in_the_second_it_arrives() {
        let mut r = ReplyLatency::default();
        r.push(S / 2, 2_000_000); // 2 ms, back in second 0
        r.push(S + 1, 9_000_000); // sent in second 0, back in second 1
        let (p50, p99) = r.second(S);
        assert!((p50 - 2.0).abs() < 0.02 && p50 == p99, "{p50} {p99}");
        let (p50, _) = r.second(2 * S);
        assert!((p50 - 9.0).abs() < 0.1, "{p50}");
        assert_eq!(r.second(3 * S).0, 0.0);
    }
}
