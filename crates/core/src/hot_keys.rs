//! The proxy's hot-key detector (V2): it counts the GETs each key gets per
//! second; a key read at least `threshold` times in the current second, or
//! in the last whole one, is hot, and only hot keys are promoted to the
//! pods' L1. (Reads L1 answers never reach the proxy, so a promoted key is
//! seen again when its L1 copies expire.)

use crate::l1_cache::KeyHasher;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

type Map<V> = HashMap<u32, V, BuildHasherDefault<KeyHasher>>;

#[derive(Clone, Debug, Default)]
pub struct HotKeys {
    threshold: u32,
    counts: Map<u32>,
    last_second: HashSet<u32, BuildHasherDefault<KeyHasher>>,
}

impl HotKeys {
    /// A detector promoting keys read `threshold` times a second (0: every key).
    pub fn new(threshold: u32) -> Self {
        HotKeys {
            threshold,
            ..HotKeys::default()
        }
    }

    /// The proxy sees a GET of `key`.
    #[inline]
    pub fn observe(&mut self, key: u32) {
        if self.threshold > 0 {
            *self.counts.entry(key).or_insert(0) += 1;
        }
    }

    pub fn is_hot(&self, key: u32) -> bool {
        self.threshold == 0
            || self.last_second.contains(&key)
            || self.counts.get(&key).is_some_and(|&c| c >= self.threshold)
    }

    /// A second ends: its hot keys are remembered, its counts start over.
    pub fn roll(&mut self) {
        let t = self.threshold;
        self.last_second = self
            .counts
            .iter()
            .filter(|&(_, &c)| c >= t)
            .map(|(&k, _)| k)
            .collect();
        self.counts.clear();
    }

    /// Keys hot in the last whole second.
    pub fn hot_count(&self) -> usize {
        self.last_second.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_hot_from_its_threshold_and_for_the_next_second() {
        let mut h = HotKeys::new(3);
        h.observe(7);
        h.observe(7);
        assert!(!h.is_hot(7));
        h.observe(7);
        assert!(h.is_hot(7));
        h.roll();
        assert!(h.is_hot(7), "hot in the last whole second");
        h.roll();
        assert!(!h.is_hot(7), "not read since");
        assert!(HotKeys::new(0).is_hot(12345), "0 promotes every key");
    }
}
