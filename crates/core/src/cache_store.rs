//! The Redis keyspace as a compact open-addressing table.
//!
//! Each entry is 12 bytes (key, expiry in ms, 16-bit LRU clock in seconds as
//! Redis keeps it, and the DB version the cached value was read at), so the
//! millions of live keys of a 100K RPS run fit in a browser tab. Linear
//! probing with backward-shift deletion keeps lookups short without
//! tombstones. Iteration order never depends on anything but the inserts, so
//! runs stay deterministic.

use crate::rng::Stream;

/// Marks an entry that never expires (written without a TTL).
pub const NO_EXPIRY: u32 = u32::MAX;
const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Entry {
    pub key: u32,
    /// Absolute expiry time in simulated milliseconds.
    pub expires_ms: u32,
    /// Last access, simulated seconds modulo 2^16.
    pub lru_s: u16,
    /// Version of the DB row this value was read at.
    pub version: u16,
}

/// An empty slot. It never expires, so the sweep tells an expired entry by
/// its expiry alone.
const VACANT: Entry = Entry {
    key: EMPTY,
    expires_ms: NO_EXPIRY,
    lru_s: 0,
    version: 0,
};

#[derive(Clone, Debug)]
pub struct CacheStore {
    slots: Vec<Entry>,
    bits: u32,
    len: usize,
}

impl Default for CacheStore {
    fn default() -> Self {
        Self::with_capacity(1024)
    }
}

impl CacheStore {
    /// A table that holds `entries` without growing.
    pub fn with_capacity(entries: usize) -> Self {
        let want = (entries as f64 / 0.7) as usize + 1;
        let bits = (usize::BITS - want.next_power_of_two().leading_zeros() - 1).max(4);
        CacheStore {
            slots: vec![VACANT; 1usize << bits],
            bits,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes this table occupies in the simulator's own memory.
    pub fn heap_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Entry>()
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    #[inline]
    fn home(&self, key: u32) -> usize {
        ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    /// Index of `key`'s entry, if present (expired or not).
    #[inline]
    pub fn find(&self, key: u32) -> Option<usize> {
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let k = self.slots[i].key;
            if k == key {
                return Some(i);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub fn entry(&self, idx: usize) -> &Entry {
        &self.slots[idx]
    }

    #[inline]
    pub fn entry_mut(&mut self, idx: usize) -> &mut Entry {
        &mut self.slots[idx]
    }

    /// Inserts or overwrites `entry.key`. Returns true if the key was new.
    pub fn upsert(&mut self, entry: Entry) -> bool {
        debug_assert_ne!(entry.key, EMPTY);
        if (self.len + 1) * 10 > self.slots.len() * 7 {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(entry.key);
        loop {
            let k = self.slots[i].key;
            if k == entry.key {
                self.slots[i] = entry;
                return false;
            }
            if k == EMPTY {
                self.slots[i] = entry;
                self.len += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Removes the entry at `idx`, shifting later entries of its cluster back.
    pub fn remove_at(&mut self, idx: usize) {
        let mask = self.mask();
        let mut hole = idx;
        let mut i = (idx + 1) & mask;
        loop {
            let k = self.slots[i].key;
            if k == EMPTY {
                break;
            }
            let home = self.home(k);
            // can the entry at i move into the hole? only if its home is not in (hole, i]
            let dist_hole = hole.wrapping_sub(home) & mask;
            let dist_i = i.wrapping_sub(home) & mask;
            if dist_hole <= dist_i {
                self.slots[hole] = self.slots[i];
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.slots[hole] = VACANT;
        self.len -= 1;
    }

    pub fn remove(&mut self, key: u32) -> bool {
        match self.find(key) {
            Some(i) => {
                self.remove_at(i);
                true
            }
            None => false,
        }
    }

    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|e| *e = VACANT);
        self.len = 0;
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.bits += 1;
        self.slots = vec![VACANT; 1usize << self.bits];
        self.len = 0;
        for e in old.into_iter().filter(|e| e.key != EMPTY) {
            self.upsert(e);
        }
    }

    /// Index of an occupied slot at or after a random position (Redis samples
    /// keys the same way, from random dict buckets).
    pub fn random_occupied(&self, rng: &mut Stream) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = rng.below(self.slots.len() as u64) as usize;
        loop {
            if self.slots[i].key != EMPTY {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Active expiry: scans `count` slots from `cursor`, removing entries
    /// expired at `now_ms` and passing each removed key to `on_expired`.
    /// Returns the cursor to resume from.
    pub fn sweep(
        &mut self,
        cursor: usize,
        count: usize,
        now_ms: u32,
        mut on_expired: impl FnMut(u32),
    ) -> usize {
        let mask = self.mask();
        let mut i = cursor & mask;
        for _ in 0..count.min(self.slots.len()) {
            // re-check the same slot after a removal: backward shift may have moved an entry into it
            loop {
                let e = self.slots[i];
                // vacant slots and keys without a TTL never expire
                if e.expires_ms > now_ms {
                    break;
                }
                debug_assert_ne!(e.key, EMPTY);
                self.remove_at(i);
                on_expired(e.key);
            }
            i = (i + 1) & mask;
        }
        i
    }

    /// Number of slots (for sweeping the whole table).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(key: u32, exp: u32) -> Entry {
        Entry {
            key,
            expires_ms: exp,
            lru_s: 0,
            version: 0,
        }
    }

    #[test]
    fn entries_are_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 12);
    }

    #[test]
    fn behaves_like_a_map_under_random_operations() {
        let mut store = CacheStore::with_capacity(8);
        let mut model = std::collections::BTreeMap::new();
        let mut rng = Stream::new(9, 9);
        for step in 0..200_000u32 {
            let key = rng.below(5_000) as u32;
            match rng.below(3) {
                0 | 1 => {
                    let new = store.upsert(e(key, step));
                    assert_eq!(new, model.insert(key, step).is_none());
                }
                _ => {
                    assert_eq!(store.remove(key), model.remove(&key).is_some());
                }
            }
            if step % 10_000 == 0 {
                assert_eq!(store.len(), model.len());
                for (&k, &v) in &model {
                    let i = store.find(k).expect("present");
                    assert_eq!(store.entry(i).expires_ms, v);
                }
            }
        }
    }

    #[test]
    fn sweep_removes_exactly_the_expired() {
        let mut store = CacheStore::with_capacity(1000);
        for k in 0..1000 {
            store.upsert(e(k, if k % 3 == 0 { 10 } else { 1000 }));
        }
        let mut expired = 0;
        let n = store.slot_count();
        store.sweep(0, n, 500, |_| expired += 1);
        // a second pass catches anything a wrap-around shift moved behind the cursor
        store.sweep(0, n, 500, |_| expired += 1);
        assert_eq!(expired, 334);
        assert_eq!(store.len(), 666);
        for k in 0..1000 {
            assert_eq!(store.find(k).is_some(), k % 3 != 0);
        }
    }
}
