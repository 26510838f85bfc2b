//! A first-in first-out ring of `Copy` values with a power-of-two capacity:
//! the event queue's lanes and the clients' deadlines, pushed and popped
//! once or more per simulated request. Indexing by a mask instead of
//! `VecDeque`'s wrap-around arithmetic, in safe code.

pub struct Fifo<T: Copy> {
    buf: Vec<T>,
    head: usize,
    len: usize,
}

impl<T: Copy> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            buf: Vec::new(),
            head: 0,
            len: 0,
        }
    }
}

impl<T: Copy> Fifo<T> {
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots allocated (for memory accounting).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub fn front(&self) -> Option<&T> {
        (self.len > 0).then(|| &self.buf[self.head])
    }

    #[inline]
    pub fn back(&self) -> Option<&T> {
        (self.len > 0).then(|| &self.buf[(self.head + self.len - 1) & (self.buf.len() - 1)])
    }

    #[inline]
    pub fn push_back(&mut self, v: T) {
        if self.len == self.buf.len() {
            self.grow(v);
        }
        let mask = self.buf.len() - 1;
        self.buf[(self.head + self.len) & mask] = v;
        self.len += 1;
    }

    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let v = self.buf[self.head];
        self.head = (self.head + 1) & (self.buf.len() - 1);
        self.len -= 1;
        Some(v)
    }

    /// Doubles the ring (at least 16 slots), keeping the order; `fill` only
    /// fills the slots that are not yet used.
    #[cold]
    fn grow(&mut self, fill: T) {
        let cap = (self.buf.len() * 2).max(16);
        let mut buf = vec![fill; cap];
        let old = self.buf.len();
        for (i, slot) in buf.iter_mut().take(self.len).enumerate() {
            *slot = self.buf[(self.head + i) & (old.max(1) - 1)];
        }
        self.buf = buf;
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;
    use std::collections::VecDeque;

    /// The same pushes and pops as a `VecDeque`, through many wrap-arounds
    /// and growths, give the same values.
    #[test]
    fn behaves_like_a_vecdeque() {
        let mut rng = Stream::new(3, 7);
        let mut ring: Fifo<u64> = Fifo::default();
        let mut reference = VecDeque::new();
        for i in 0..100_000u64 {
            // pushes slightly outnumber pops: the ring grows, wraps and empties
            if rng.chance(0.52) {
                ring.push_back(i);
                reference.push_back(i);
            } else {
                assert_eq!(ring.pop_front(), reference.pop_front());
            }
            assert_eq!(ring.len(), reference.len());
            assert_eq!(ring.front(), reference.front());
            assert_eq!(ring.back(), reference.back());
        }
        while let Some(v) = reference.pop_front() {
            assert_eq!(ring.pop_front(), Some(v));
        }
        assert!(ring.is_empty() && ring.pop_front().is_none());
    }
}
