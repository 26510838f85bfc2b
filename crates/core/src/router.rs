//! Which Redis shard owns a key: a consistent-hash ring or plain `hash mod N`.
//!
//! The ring is the one the seed's V1 describes: every shard owns
//! `vnodes` points (150 by default) on a 32-bit circle, each point the
//! MurmurHash3 (x86, 32-bit, seed 0) of `"shard-{id}#{v}"`; a key belongs to
//! the first point clockwise from the MurmurHash3 of the key. Adding a fourth
//! shard to three moves only the keys that now fall before one of its points,
//! about 1/4 of them. `mod-N` takes the same key hash modulo the shard count,
//! so a resize from 3 to 4 re-homes about 3/4 of the keys.
//!
//! Shards are numbered in the order they joined; a resize adds or removes the
//! highest number, so every other shard keeps its points.

use serde::{Deserialize, Serialize};

/// How keys are spread over the shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouterKind {
    /// Consistent hashing with virtual nodes.
    Ring,
    /// `murmur3(key) mod N`.
    ModN,
}

impl RouterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RouterKind::Ring => "ring",
            RouterKind::ModN => "mod-n",
        }
    }
}

/// MurmurHash3 x86_32 of `bytes` with `seed` (the `murmur3` crate).
pub fn murmur3_32(bytes: &[u8], seed: u32) -> u32 {
    let mut input = bytes;
    murmur3::murmur3_32(&mut input, seed).expect("reading a byte slice cannot fail")
}

/// The hash of a workload key (its 4 bytes, little-endian).
#[inline]
pub fn key_hash(key: u32) -> u32 {
    murmur3_32(&key.to_le_bytes(), 0)
}

/// Maps keys to shard positions (0..shards).
#[derive(Clone, Debug)]
pub struct Router {
    kind: RouterKind,
    vnodes: u32,
    shards: usize,
    /// Ring points sorted by hash: (hash, shard position).
    points: Vec<(u32, u16)>,
}

impl Router {
    /// A router over shards `0..shards`.
    pub fn new(kind: RouterKind, vnodes: u32, shards: usize) -> Router {
        let mut r = Router {
            kind,
            vnodes,
            shards,
            points: Vec::new(),
        };
        r.rebuild();
        r
    }

    fn rebuild(&mut self) {
        self.points.clear();
        if self.kind == RouterKind::Ring {
            for id in 0..self.shards {
                for v in 0..self.vnodes {
                    let name = format!("shard-{id}#{v}");
                    self.points
                        .push((murmur3_32(name.as_bytes(), 0), id as u16));
                }
            }
            // ties (vanishingly rare) broken by position, so the ring is deterministic
            self.points.sort_unstable();
        }
    }

    pub fn kind(&self) -> RouterKind {
        self.kind
    }

    pub fn shards(&self) -> usize {
        self.shards
    }

    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }

    /// The position of the shard that owns `key`.
    #[inline]
    pub fn route(&self, key: u32) -> usize {
        if self.shards <= 1 {
            return 0;
        }
        let h = key_hash(key);
        match self.kind {
            RouterKind::ModN => (h % self.shards as u32) as usize,
            RouterKind::Ring => {
                let i = self.points.partition_point(|&(p, _)| p < h);
                let (_, pos) = self.points[if i == self.points.len() { 0 } else { i }];
                pos as usize
            }
        }
    }

    /// The same shards routed another way.
    pub fn with_kind(&self, kind: RouterKind) -> Router {
        Router::new(kind, self.vnodes, self.shards)
    }

    /// The same routing over `shards` shards.
    pub fn resized(&self, shards: usize) -> Router {
        Router::new(self.kind, self.vnodes, shards)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published MurmurHash3 x86_32 test vectors (SMHasher / Wikipedia).
    #[test]
    fn murmur3_matches_published_vectors() {
        let cases: &[(&[u8], u32, u32)] = &[
            (b"", 0, 0x0000_0000),
            (b"", 1, 0x514E_28B7),
            (b"", 0xffff_ffff, 0x81F1_6F39),
            (&[0xff, 0xff, 0xff, 0xff], 0, 0x7629_3B50),
            (&[0x21, 0x43, 0x65, 0x87], 0, 0xF55B_516B),
            (&[0x21, 0x43, 0x65, 0x87], 0x5082_EDEE, 0x2362_F9DE),
            (&[0x21, 0x43, 0x65], 0, 0x7E4A_8634),
            (&[0x21, 0x43], 0, 0xA0F7_B07A),
            (&[0x21], 0, 0x7266_1CF4),
            (&[0, 0, 0, 0], 0, 0x2362_F9DE),
            (b"Hello, world!", 1234, 0xFAF6_CDB3),
            (
                b"The quick brown fox jumps over the lazy dog",
                0x9747_b28c,
                0x2FA8_26CD,
            ),
        ];
        for &(input, seed, want) in cases {
            assert_eq!(murmur3_32(input, seed), want, "{input:?} seed {seed:#x}");
        }
    }

    fn share_moved(a: &Router, b: &Router, keys: u32) -> f64 {
        let moved = (0..keys).filter(|&k| a.route(k) != b.route(k)).count();
        moved as f64 / keys as f64
    }

    #[test]
    fn ring_balances_three_shards_within_a_few_points() {
        let r = Router::new(RouterKind::Ring, 150, 3);
        let mut n = [0u32; 3];
        for k in 0..300_000 {
            n[r.route(k)] += 1;
        }
        for c in n {
            let share = c as f64 / 300_000.0;
            assert!((share - 1.0 / 3.0).abs() < 0.03, "{n:?}");
        }
    }

    #[test]
    fn adding_a_fourth_shard_moves_a_quarter_on_the_ring_and_most_with_mod_n() {
        let ring = Router::new(RouterKind::Ring, 150, 3);
        let moved = share_moved(&ring, &ring.resized(4), 200_000);
        assert!((moved - 0.25).abs() < 0.03, "ring moved {moved}");
        let modn = ring.with_kind(RouterKind::ModN);
        let moved = share_moved(&modn, &modn.resized(4), 200_000);
        assert!((moved - 0.75).abs() < 0.02, "mod-N moved {moved}");
    }

    #[test]
    fn removing_a_shard_moves_only_its_keys_on_the_ring() {
        let ring = Router::new(RouterKind::Ring, 150, 4);
        let smaller = ring.resized(3);
        for k in 0..50_000 {
            let (before, after) = (ring.route(k), smaller.route(k));
            if before != 3 {
                assert_eq!(before, after, "key {k} moved though its shard stayed");
            }
        }
    }

    #[test]
    fn one_shard_owns_everything() {
        for kind in [RouterKind::Ring, RouterKind::ModN] {
            let r = Router::new(kind, 150, 1);
            assert!((0..1000).all(|k| r.route(k) == 0));
        }
    }
}
