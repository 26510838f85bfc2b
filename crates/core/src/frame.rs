//! What the front end needs to draw the running architecture: the topology
//! (nodes addressed by small ids, and the edges between them), per-edge
//! traffic since the last frame and a bounded sample of individual hops.
//!
//! A deterministic 1-in-k subset of requests is traced (k from the arrival
//! rate and the wanted trace rate); tracing draws no random numbers, so it
//! never changes the run. The core says which nodes exist and what moved
//! between them; colours, positions and health judgements are the page's.

use serde::Serialize;

/// Node ids. Pods and shards occupy ranges so that an id says what it is.
pub mod node {
    pub const CLIENT: u16 = 0;
    pub const LB: u16 = 1;
    /// The CacheProxyService (V1).
    pub const PROXY: u16 = 2;
    pub const DB: u16 = 3;
    /// The warm-up worker (V1).
    pub const WARMUP: u16 = 4;
    /// The invalidation stream (V2).
    pub const STREAM: u16 = 5;
    /// Redis shard `i` is `SHARD0 + i` (V0's single node is shard 0).
    pub const SHARD0: u16 = 16;
    pub const MAX_SHARDS: u16 = 32;
    /// AppService pod `i` is `POD0 + i`.
    pub const POD0: u16 = 64;
    /// Replica `j` of shard `i` is `REPLICA0 + i * MAX_REPLICAS + j` (V2).
    pub const REPLICA0: u16 = 160;
    pub const MAX_REPLICAS: u16 = 2;

    pub fn shard(i: usize) -> u16 {
        SHARD0 + i as u16
    }

    pub fn pod(i: usize) -> u16 {
        POD0 + i as u16
    }

    pub fn replica(shard: usize, j: usize) -> u16 {
        REPLICA0 + shard as u16 * MAX_REPLICAS + j as u16
    }
}

/// What kind of component a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Client,
    Lb,
    Pod,
    Proxy,
    Shard,
    Db,
    Warmup,
    /// A replica of a shard; its index is `shard * MAX_REPLICAS + j`.
    Replica,
    /// The invalidation stream.
    Stream,
}

impl NodeKind {
    /// The kind and index (pod or shard number) of an id.
    pub fn of(id: u16) -> (NodeKind, usize) {
        match id {
            node::CLIENT => (NodeKind::Client, 0),
            node::LB => (NodeKind::Lb, 0),
            node::PROXY => (NodeKind::Proxy, 0),
            node::DB => (NodeKind::Db, 0),
            node::WARMUP => (NodeKind::Warmup, 0),
            node::STREAM => (NodeKind::Stream, 0),
            i if i >= node::REPLICA0 => (NodeKind::Replica, (i - node::REPLICA0) as usize),
            i if i >= node::POD0 => (NodeKind::Pod, (i - node::POD0) as usize),
            i => (NodeKind::Shard, (i.saturating_sub(node::SHARD0)) as usize),
        }
    }
}

/// One component of the running architecture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeView {
    pub id: u16,
    pub kind: NodeKind,
    /// Pod or shard number (0 for the others).
    pub index: usize,
}

/// The running architecture: its nodes, and the edges requests travel, as
/// (from, to) ids. Responses travel the same edges backwards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TopologyView {
    pub nodes: Vec<NodeView>,
    pub edges: Vec<(u16, u16)>,
}

impl TopologyView {
    pub fn has(&self, id: u16) -> bool {
        self.nodes.iter().any(|n| n.id == id)
    }

    pub fn count(&self, kind: NodeKind) -> usize {
        self.nodes.iter().filter(|n| n.kind == kind).count()
    }
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
    /// SET or DEL (backfill, write, invalidation, warm-up).
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

/// Traffic on one edge since the last frame: requests, commands or queries
/// that left `from` for `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Flow {
    pub from: u16,
    pub to: u16,
    pub count: u64,
}

/// Counters collected between two calls of `Simulation::take_frame`.
#[derive(Clone, Debug, Default)]
pub struct FrameBuffer {
    pub client_lb: u64,
    pub responses: u64,
    pub errors: u64,
    /// Requests the LB forwarded to each pod.
    pub lb_pod: Vec<u64>,
    /// Redis commands, by pod and shard: `pod * MAX_SHARDS + shard`.
    pub pod_shard: Vec<u64>,
    /// DB queries, by pod.
    pub pod_db: Vec<u64>,
    pub warmup_db: u64,
    /// Warm-up SETs, by shard.
    pub warmup_shard: Vec<u64>,
    /// Writes replicated from each shard to its replicas.
    pub replicated: Vec<u64>,
    /// GETs served by each replica (`shard * MAX_REPLICAS + j`).
    pub replica_reads: Vec<u64>,
    /// Events the DB's writes published to the stream.
    pub published: u64,
    /// Invalidations the stream's consumer applied, by shard.
    pub stream_shard: Vec<u64>,
    pub hops: Vec<Hop>,
    pub max_hops: usize,
    pub dropped_hops: u64,
}

impl FrameBuffer {
    pub fn new(pods: usize, max_hops: usize) -> FrameBuffer {
        let mut f = FrameBuffer {
            max_hops,
            ..FrameBuffer::default()
        };
        f.resize_pods(pods);
        f
    }

    pub fn resize_pods(&mut self, pods: usize) {
        self.lb_pod.resize(pods, 0);
        self.pod_db.resize(pods, 0);
        self.pod_shard.resize(pods * node::MAX_SHARDS as usize, 0);
        self.warmup_shard.resize(node::MAX_SHARDS as usize, 0);
        self.replicated.resize(node::MAX_SHARDS as usize, 0);
        self.stream_shard.resize(node::MAX_SHARDS as usize, 0);
        self.replica_reads
            .resize((node::MAX_SHARDS * node::MAX_REPLICAS) as usize, 0);
    }

    #[inline]
    pub fn cache_command(&mut self, pod: usize, shard: usize) {
        self.pod_shard[pod * node::MAX_SHARDS as usize + shard] += 1;
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

    /// The counts on each edge of `topology`, in its order; the counters restart.
    pub fn take_flows(&mut self, topology: &TopologyView) -> Vec<Flow> {
        let m = node::MAX_SHARDS as usize;
        let pods = self.lb_pod.len();
        let flows = topology
            .edges
            .iter()
            .map(|&(from, to)| {
                let count = match (NodeKind::of(from), NodeKind::of(to)) {
                    ((NodeKind::Client, _), _) => self.client_lb,
                    ((NodeKind::Lb, _), (NodeKind::Pod, p)) => {
                        self.lb_pod.get(p).copied().unwrap_or(0)
                    }
                    ((NodeKind::Pod, p), (NodeKind::Shard, s)) => {
                        self.pod_shard.get(p * m + s).copied().unwrap_or(0)
                    }
                    ((NodeKind::Pod, p), (NodeKind::Proxy, _)) => {
                        self.pod_shard.iter().skip(p * m).take(m).sum()
                    }
                    ((NodeKind::Proxy, _), (NodeKind::Shard, s)) => {
                        (0..pods).map(|p| self.pod_shard[p * m + s]).sum()
                    }
                    ((NodeKind::Pod, p), (NodeKind::Db, _)) => {
                        self.pod_db.get(p).copied().unwrap_or(0)
                    }
                    ((NodeKind::Warmup, _), (NodeKind::Db, _)) => self.warmup_db,
                    ((NodeKind::Warmup, _), (NodeKind::Shard, s)) => {
                        self.warmup_shard.get(s).copied().unwrap_or(0)
                    }
                    ((NodeKind::Shard, s), (NodeKind::Replica, _)) => {
                        self.replicated.get(s).copied().unwrap_or(0)
                    }
                    ((NodeKind::Proxy | NodeKind::Pod, _), (NodeKind::Replica, r)) => {
                        self.replica_reads.get(r).copied().unwrap_or(0)
                    }
                    ((NodeKind::Db, _), (NodeKind::Stream, _)) => self.published,
                    ((NodeKind::Stream, _), (NodeKind::Shard, s)) => {
                        self.stream_shard.get(s).copied().unwrap_or(0)
                    }
                    _ => 0,
                };
                Flow { from, to, count }
            })
            .collect();
        self.client_lb = 0;
        self.responses = 0;
        self.errors = 0;
        self.warmup_db = 0;
        self.published = 0;
        for v in [
            &mut self.replicated,
            &mut self.replica_reads,
            &mut self.stream_shard,
            &mut self.lb_pod,
            &mut self.pod_shard,
            &mut self.pod_db,
            &mut self.warmup_shard,
        ] {
            v.iter_mut().for_each(|c| *c = 0);
        }
        flows
    }
}

/// Everything the canvas needs for one frame.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Frame {
    pub now_s: f64,
    /// Simulated seconds covered by the counts.
    pub span_s: f64,
    /// The architecture as it runs now.
    pub topology: TopologyView,
    /// Traffic on each of `topology.edges`, in the same order.
    pub flows: Vec<Flow>,
    /// Successful responses and errors returned to the client.
    pub responses: u64,
    pub errors: u64,
    pub hops: Vec<Hop>,
    /// One traced request stands for this many.
    pub trace_every: u64,
    /// Hops not kept because the buffer was full.
    pub dropped_hops: u64,
}

impl Frame {
    /// Traffic from `from` to `to` in this frame (0 when there is no such edge).
    pub fn flow(&self, from: u16, to: u16) -> u64 {
        self.flows
            .iter()
            .find(|f| f.from == from && f.to == to)
            .map_or(0, |f| f.count)
    }

    /// Total traffic into nodes of `kind`.
    pub fn flow_into(&self, kind: NodeKind) -> u64 {
        self.flows
            .iter()
            .filter(|f| NodeKind::of(f.to).0 == kind)
            .map(|f| f.count)
            .sum()
    }
}
