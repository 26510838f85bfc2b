//! # cachesim-core
//!
//! A deterministic discrete-event model of the seed's naive cache-aside
//! architecture, `Client -> AppLB -> AppService pods -> CacheNode (one Redis)
//! / BackendDB (PostgreSQL)`, simulated request by request with per-key cache
//! state. It has no web dependency and builds for `wasm32-unknown-unknown`;
//! the browser app and the `cachesim` CLI both drive it.
//!
//! ## The model
//! * **Client** ([`scenario::ClientConfig`]): open-loop Poisson arrivals; 75%
//!   reads, 15% writes, 5% deletes, 5% direct DB requests; keys Zipf-distributed
//!   ([`zipf`]) over a keyspace derived from a target hit rate ([`calibrate`]);
//!   a request not answered within the client timeout is an error.
//! * **AppLB** ([`app_lb`]): round-robin over healthy pods, +1.5 ms, 20K RPS
//!   capacity (503 beyond its queue), 502 with no healthy pod; health checks
//!   every 5 s take a pod out after 3 consecutive failures ([`health_check`]).
//! * **AppService** ([`app_service`], [`sim`]): cache-aside exactly as the seed's
//!   pseudocode, each pod with a concurrency limit, its own DB connection pool
//!   and 2 CPU cores that every request's work queues for ([`pod_cpu`]);
//!   optional autoscaling on CPU > 70% for 3 minutes ([`autoscaler`]).
//! * **CacheNode** ([`cache_node`], [`cache_store`]): single-threaded FIFO Redis at
//!   50K ops/s, non-reset TTL, memory accounting, `noeviction` / sampled
//!   `allkeys-lru`, crash loses everything.
//! * **BackendDB** ([`backend_db`]): FCFS M/G/c with 24 workers at 12 ms (~2K
//!   SELECTs/s), `max_connections` 200, a version per row to count stale reads.
//! * **Round trips** ([`network_hop`]): pod <-> Redis 0.2 ms, pod <-> DB 5 ms,
//!   constant by default; given a p99 (`app.cache_rtt_p99_ms`,
//!   `app.db_rtt_p99_ms`), each reply's half is log-normal around the same
//!   median, as a real client's wake-ups spread it; the SET / DEL sent straight
//!   after a DB reply may take a round trip of its own
//!   (`app.cache_rtt_after_db_ms`: the client's thread is still awake).
//!
//! ## Determinism
//! Time is integer nanoseconds ([`time`]); events are ordered by (time,
//! sequence) ([`engine`]); every random stream is seeded from the scenario
//! ([`rng`]) and distributions use `libm`, so a scenario and a seed give the
//! same run bit for bit, natively and in wasm. No wall clock, no threads, no
//! OS entropy.
//!
//! ## Speed
//! `steady` at 10K RPS runs ~3.7M simulated requests per second on one core
//! (`cargo bench --bench throughput`): events scheduled in time order go to
//! FIFO lanes beside the heap ([`engine`]), keys come from an alias table over
//! Zipf segments ([`zipf`]) and exponential/normal variates from ziggurats
//! ([`ziggurat`]), so most requests cost no transcendental function.
//!
//! ## Use
//! ```
//! use cachesim_core::{presets, Simulation, Summary};
//! let mut sim = Simulation::new(presets::preset("steady").unwrap()).unwrap();
//! sim.advance_to(2.0);
//! let summary = Summary::of(&sim);
//! assert_eq!(summary.requests, summary.completed + summary.errors + summary.in_flight);
//! ```

pub mod app_lb;
pub mod app_service;
pub mod autoscaler;
pub mod backend_db;
pub mod cache_node;
pub mod cache_proxy;
pub mod cache_store;
pub mod calibrate;
pub mod command;
pub mod compare;
pub mod cost;
pub mod engine;
pub mod fifo;
pub mod frame;
pub mod health_check;
pub mod hot_keys;
pub mod invalidation_stream;
pub mod l1_cache;
pub mod metrics;
pub mod mitigations;
pub mod network_hop;
pub mod pod_cpu;
pub mod presets;
pub mod reply_latency;
pub mod request;
pub mod rng;
pub mod router;
pub mod scenario;
pub mod sim;
pub mod summary;
pub mod time;
pub mod token_bucket;
pub mod warmup;
pub mod ziggurat;
pub mod zipf;

pub use command::{Command, EvictionPolicy, ScheduledCommand};
pub use frame::{Frame, Hop, HopKind};
pub use metrics::SecondStats;
pub use scenario::{ConfigError, Scenario};
pub use sim::{PodStatus, ProxyStatus, ShardStatus, Simulation, Status};
pub use summary::Summary;
