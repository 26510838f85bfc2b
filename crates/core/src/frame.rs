//! What the canvas needs to animate request flow: per-edge counts since the
//! last frame and a bounded sample of individual hops.
//!
//! A deterministic 1-in-k subset of requests is traced (k from the arrival
//! rate and the wanted trace rate); tracing draws no random numbers, so it
//! never changes the run.

use serde::Serialize;

/// Nodes of the architecture diagram. Pods are `POD0 + i`.
pub mod node {
    pub const CLIENT: u16 = 0;
    pub const LB: u16 = 1;
    pub const CACHE: u16 = 2;
    pub const DB: u16 = 3;
    pub const POD0: u16 = 4;
}

/// What a hop carries (the dot's colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HopKind {
    /// A request on its way in (client -> LB -> pod).
    Request,
    /// GET on its way to Redis.
    CacheGet,
    /// GET answered with a value.
    CacheHit,
    /// GET answered with nothing (or failed).
    CacheMiss,
    /// SET or DEL (backfill, write, invalidation).
    CacheWrite,
    /// SQL on its way to PostgreSQL.
    DbQuery,
    /// Result on its way back.
    DbReply,
    /// Successful response to the client.
    Response,
    /// An error of any kind.
    Error,
}

/// One traced movement of a request along an edge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Hop {
    pub from: u16,
    pub to: u16,
    pub kind: HopKind,
    /// Simulated seconds.
    pub start_s: f64,
    pub end_s: f64,
}

/// Edges whose traffic is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Edge {
    ClientLb = 0,
    LbPod = 1,
    PodCache = 2,
    PodDb = 3,
    Response = 4,
    Error = 5,
}

pub const EDGE_COUNT: usize = 6;

/// Counts since the last frame.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EdgeCounts {
    /// Requests from the client into the LB.
    pub client_lb: u64,
    /// Requests forwarded to each pod.
    pub lb_pod: Vec<u64>,
    /// Redis commands sent.
    pub pod_cache: u64,
    /// DB queries sent.
    pub pod_db: u64,
    /// Successful responses.
    pub responses: u64,
    /// Errors.
    pub errors: u64,
}

/// Collected between two calls of `Simulation::take_frame`.
#[derive(Clone, Debug, Default)]
pub struct FrameBuffer {
    pub counts: [u64; EDGE_COUNT],
    pub per_pod: Vec<u64>,
    pub hops: Vec<Hop>,
    pub max_hops: usize,
    pub dropped_hops: u64,
}

impl FrameBuffer {
    #[inline]
    pub fn count(&mut self, edge: Edge) {
        self.counts[edge as usize] += 1;
    }

    pub fn hop(&mut self, from: u16, to: u16, kind: HopKind, start_s: f64, end_s: f64) {
        if self.hops.len() < self.max_hops {
            self.hops.push(Hop {
                from,
                to,
                kind,
                start_s,
                end_s,
            });
        } else {
            self.dropped_hops += 1;
        }
    }
}

/// Everything the canvas needs for one frame.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Frame {
    pub now_s: f64,
    /// Simulated seconds covered by the counts.
    pub span_s: f64,
    pub edges: EdgeCounts,
    pub hops: Vec<Hop>,
    /// One traced request stands for this many.
    pub trace_every: u64,
    /// Hops not kept because the buffer was full.
    pub dropped_hops: u64,
}
