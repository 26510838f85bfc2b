//! Requests in flight, in a slab with generation counters so that stale
//! timers (a client timeout firing after the request finished) are ignored.

use crate::time::Nanos;

/// What the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Cache-aside read: GET, on miss SELECT and backfill SET EX ttl.
    Read,
    /// DB write, then SET with TTL.
    Write,
    /// DB write, then DEL.
    Delete,
    /// Not a cache operation: straight to the DB.
    Direct,
}

impl Op {
    /// The operation a uniform draw `u` in [0, 1) picks from a mix of read,
    /// write and delete fractions (the rest are direct requests).
    #[inline]
    pub fn from_mix(u: f64, read: f64, write: f64, delete: f64) -> Op {
        if u < read {
            Op::Read
        } else if u < read + write {
            Op::Write
        } else if u < read + write + delete {
            Op::Delete
        } else {
            Op::Direct
        }
    }
}

/// Where the request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    ToPod,
    CacheGet,
    Processing,
    WaitingConnection,
    /// Single-flight: waiting for another request's load of the same key.
    Coalesced,
    Connecting,
    Querying,
    CacheUpdate,
    Responding,
}

/// Which single-flight table a request leads a load in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flight {
    None,
    /// Its pod's (`app.single_flight`).
    Pod,
    /// The proxy's, shared by every pod.
    Proxy,
}

#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub gen: u32,
    pub arrival: Nanos,
    pub key: u32,
    pub op: Op,
    pub phase: Phase,
    pub pod: u16,
    /// The shard its last Redis command went to.
    pub shard: u8,
    /// The client gave up (timeout) or was answered with an error; the server may still be working.
    pub client_done: bool,
    /// The read missed (for latency classes).
    pub missed: bool,
    /// Sampled for the animation.
    pub traced: bool,
    /// A read a pod makes within a page it serves (not an HTTP request).
    pub inner: bool,
    /// A DB query answered it (its pod pays the reply's CPU).
    pub db_replied: bool,
    /// Leads a single-flight load: others may be waiting for its result.
    pub leads: Flight,
    /// DB version read by the SELECT (for the backfill SET).
    pub version: u16,
    /// Cache epoch when the pending command was sent.
    pub epoch: u32,
    /// 0 for a client's first try, n for its n-th retry.
    pub attempt: u8,
    /// From its arrival at the LB to its arrival at its pod, ns.
    pub to_pod_ns: u32,
}

impl Request {
    /// A request for `key` that arrived at `arrival`, bound for `pod`: a
    /// client's first try, not traced, not yet anywhere.
    #[inline]
    pub fn new(arrival: Nanos, key: u32, op: Op, pod: u16) -> Self {
        Request {
            gen: 0,
            arrival,
            key,
            op,
            phase: Phase::ToPod,
            pod,
            shard: 0,
            client_done: false,
            missed: false,
            traced: false,
            inner: false,
            db_replied: false,
            leads: Flight::None,
            version: 0,
            epoch: 0,
            attempt: 0,
            to_pod_ns: 0,
        }
    }
}

/// Handle to a request: slot and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReqId {
    pub slot: u32,
    pub gen: u32,
}

#[derive(Default, Debug)]
pub struct Requests {
    slots: Vec<Request>,
    free: Vec<u32>,
    live: usize,
}

impl Requests {
    pub fn alloc(&mut self, mut r: Request) -> ReqId {
        self.live += 1;
        if let Some(slot) = self.free.pop() {
            // free() already moved the generation on, so old handles no longer match
            let gen = self.slots[slot as usize].gen;
            r.gen = gen;
            self.slots[slot as usize] = r;
            ReqId { slot, gen }
        } else {
            r.gen = 0;
            self.slots.push(r);
            ReqId {
                slot: (self.slots.len() - 1) as u32,
                gen: 0,
            }
        }
    }

    pub fn free(&mut self, id: ReqId) {
        debug_assert!(self.is_live(id));
        self.slots[id.slot as usize].gen = self.slots[id.slot as usize].gen.wrapping_add(1);
        self.free.push(id.slot);
        self.live -= 1;
    }

    #[inline]
    pub fn is_live(&self, id: ReqId) -> bool {
        self.slots
            .get(id.slot as usize)
            .is_some_and(|r| r.gen == id.gen)
    }

    #[inline]
    pub fn get(&self, id: ReqId) -> &Request {
        &self.slots[id.slot as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: ReqId) -> &mut Request {
        &mut self.slots[id.slot as usize]
    }

    /// Requests the server is still working on.
    pub fn live(&self) -> usize {
        self.live
    }

    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Request>() + self.free.capacity() * 4
    }
}
