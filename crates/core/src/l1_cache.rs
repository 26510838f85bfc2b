//! L1: the in-process cache of one AppService pod (V2).
//!
//! An exact LRU of at most `capacity` keys, each copy kept at most `ttl`
//! after it was stored (a Guava/Caffeine cache with `maximumSize` and
//! `expireAfterWrite`). Every read that reaches Redis or the DB stores its
//! value here, so the hottest keys stay: under Zipf traffic that is what
//! "hot keys promoted to L1" amounts to, and Che's approximation predicts its
//! hit ratio. The invalidation stream (or the pod's own write) drops copies;
//! without them a copy can be stale for up to `ttl`.
//!
//! Entries live in a slab threaded on a doubly linked recency list; a hash
//! index (a fixed multiplicative hash: deterministic, no OS entropy) finds
//! them, so a lookup, a store and an eviction are O(1).

use crate::time::Nanos;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const NIL: u32 = u32::MAX;

/// Fibonacci hashing of a u32 key: deterministic and fast.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, k: u32) {
        self.0 = (k as u64 ^ 0x5851_F42D).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Index = HashMap<u32, u32, BuildHasherDefault<KeyHasher>>;

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u32,
    version: u16,
    expires: Nanos,
    prev: u32,
    next: u32,
}

/// One pod's L1.
#[derive(Clone, Debug)]
pub struct L1Cache {
    slots: Vec<Slot>,
    index: Index,
    /// Most and least recently used slot.
    head: u32,
    tail: u32,
    capacity: usize,
    ttl: Nanos,
    // counters, read and reset by the metrics
    pub lookups: u64,
    pub hits: u64,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1Result {
    Hit { version: u16 },
    Miss,
}

impl L1Cache {
    pub fn new(capacity: usize, ttl: Nanos) -> Self {
        L1Cache {
            slots: Vec::with_capacity(capacity.min(1 << 20)),
            index: Index::default(),
            head: NIL,
            tail: NIL,
            capacity: capacity.max(1),
            ttl,
            lookups: 0,
            hits: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.index.capacity() * 12
    }

    /// A read looks `key` up at `now`; a hit becomes the most recently used.
    pub fn get(&mut self, key: u32, now: Nanos) -> L1Result {
        self.lookups += 1;
        let Some(&i) = self.index.get(&key) else {
            return L1Result::Miss;
        };
        let slot = self.slots[i as usize];
        if slot.expires <= now {
            self.remove(key);
            return L1Result::Miss;
        }
        self.hits += 1;
        self.unlink(i);
        self.push_front(i);
        L1Result::Hit {
            version: slot.version,
        }
    }

    /// Stores a value read at DB `version`; the least recently used key
    /// leaves if the cache is full.
    pub fn put(&mut self, key: u32, version: u16, now: Nanos) {
        let expires = now + self.ttl;
        if let Some(&i) = self.index.get(&key) {
            let s = &mut self.slots[i as usize];
            s.version = version;
            s.expires = expires;
            self.unlink(i);
            self.push_front(i);
            return;
        }
        let i = if self.index.len() < self.capacity {
            self.slots.push(Slot {
                key,
                version,
                expires,
                prev: NIL,
                next: NIL,
            });
            (self.slots.len() - 1) as u32
        } else {
            // reuse the least recently used slot
            let i = self.tail;
            self.unlink(i);
            let old = self.slots[i as usize].key;
            self.index.remove(&old);
            let s = &mut self.slots[i as usize];
            s.key = key;
            s.version = version;
            s.expires = expires;
            i
        };
        self.index.insert(key, i);
        self.push_front(i);
    }

    /// Drops the copy of `key`, if any (an invalidation).
    pub fn remove(&mut self, key: u32) -> bool {
        let Some(i) = self.index.remove(&key) else {
            return false;
        };
        self.unlink(i);
        // move the last slot into the hole so the slab stays dense
        let last = (self.slots.len() - 1) as u32;
        if i != last {
            let moved = self.slots[last as usize];
            self.unlink(last);
            self.slots[i as usize] = moved;
            self.index.insert(moved.key, i);
            self.relink(i, moved.prev, moved.next);
        }
        self.slots.pop();
        true
    }

    /// Drops the copy of `key` if it is older than DB `version`.
    pub fn remove_if_older(&mut self, key: u32, version: u16) -> bool {
        match self.index.get(&key) {
            Some(&i) if crate::cache_node::older(self.slots[i as usize].version, version) => {
                self.remove(key)
            }
            _ => false,
        }
    }

    /// Every copy is gone (the pod restarted).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.index.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    fn unlink(&mut self, i: u32) {
        let Slot { prev, next, .. } = self.slots[i as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    /// Puts slot `i` back where a slot with these neighbours was (after
    /// `unlink` of that slot took it out, the neighbours point past it).
    fn relink(&mut self, i: u32, prev: u32, next: u32) {
        // the moved slot was unlinked: re-insert it between prev and next
        self.slots[i as usize].prev = prev;
        self.slots[i as usize].next = next;
        if prev == NIL {
            self.head = i;
        } else {
            self.slots[prev as usize].next = i;
        }
        if next == NIL {
            self.tail = i;
        } else {
            self.slots[next as usize].prev = i;
        }
    }

    fn push_front(&mut self, i: u32) {
        self.slots[i as usize].prev = NIL;
        self.slots[i as usize].next = self.head;
        if self.head != NIL {
            self.slots[self.head as usize].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    /// Keys from most to least recently used (for tests).
    pub fn keys_by_recency(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        let mut i = self.head;
        while i != NIL {
            out.push(self.slots[i as usize].key);
            i = self.slots[i as usize].next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut c = L1Cache::new(3, 1_000);
        for k in 1..=3 {
            c.put(k, 0, 0);
        }
        assert_eq!(c.get(1, 1), L1Result::Hit { version: 0 });
        c.put(4, 0, 2); // 2 is the least recently used now
        assert_eq!(c.get(2, 3), L1Result::Miss);
        assert_eq!(c.keys_by_recency(), vec![4, 1, 3]);
    }

    #[test]
    fn a_copy_expires_after_its_ttl() {
        let mut c = L1Cache::new(10, 100);
        c.put(7, 3, 0);
        assert_eq!(c.get(7, 99), L1Result::Hit { version: 3 });
        assert_eq!(c.get(7, 100), L1Result::Miss);
        assert!(c.is_empty());
    }

    #[test]
    fn removal_keeps_the_list_consistent() {
        // against a naive reference: a Vec ordered by recency
        let mut c = L1Cache::new(8, u64::MAX / 2);
        let mut reference: Vec<u32> = Vec::new();
        let mut x: u64 = 12345;
        for step in 0..20_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = ((x >> 33) % 20) as u32;
            match (x >> 20) % 3 {
                0 => {
                    c.put(key, 0, step);
                    reference.retain(|&k| k != key);
                    reference.insert(0, key);
                    reference.truncate(8);
                }
                1 => {
                    let hit = c.get(key, step) != L1Result::Miss;
                    let pos = reference.iter().position(|&k| k == key);
                    assert_eq!(hit, pos.is_some(), "step {step}");
                    if let Some(p) = pos {
                        reference.remove(p);
                        reference.insert(0, key);
                    }
                }
                _ => {
                    let removed = c.remove(key);
                    let pos = reference.iter().position(|&k| k == key);
                    assert_eq!(removed, pos.is_some());
                    reference.retain(|&k| k != key);
                }
            }
            assert_eq!(c.keys_by_recency(), reference, "step {step}");
        }
    }
}
