//! The benchmark cases, shared by the native benchmark (`benches/throughput.rs`)
//! and the wasm one (`tests/wasm_bench.rs`), so both measure the same runs.

use cachesim_core::{presets, Scenario};

/// One benchmark run: a preset at a rate, with every capacity scaled so each
/// request takes its full path when `scale` > 1.
pub struct Case {
    pub name: &'static str,
    pub rps: f64,
    pub seconds: f64,
    pub scale: f64,
}

pub const CASES: &[Case] = &[
    Case {
        name: "steady",
        rps: 10_000.0,
        seconds: 120.0,
        scale: 1.0,
    },
    // the seed's system at 100K RPS: the 20K RPS LB turns most requests away
    Case {
        name: "steady",
        rps: 100_000.0,
        seconds: 30.0,
        scale: 1.0,
    },
    // 100K and 500K RPS with capacities scaled, so each request takes its full path
    Case {
        name: "steady",
        rps: 100_000.0,
        seconds: 30.0,
        scale: 10.0,
    },
    Case {
        name: "steady",
        rps: 500_000.0,
        seconds: 6.0,
        scale: 50.0,
    },
    Case {
        name: "cache-crash",
        rps: 10_000.0,
        seconds: 120.0,
        scale: 1.0,
    },
    // V1: the proxy and three shards on the ring
    Case {
        name: "v1-steady",
        rps: 10_000.0,
        seconds: 120.0,
        scale: 1.0,
    },
    Case {
        name: "v1-steady",
        rps: 100_000.0,
        seconds: 30.0,
        scale: 10.0,
    },
    // V2: replicas, the pods' L1 and the invalidation stream
    Case {
        name: "v2-steady",
        rps: 10_000.0,
        seconds: 120.0,
        scale: 1.0,
    },
    // V2 sized for 500K RPS by its preset (its own capacities, not scaled)
    Case {
        name: "v2-500k",
        rps: 500_000.0,
        seconds: 6.0,
        scale: 1.0,
    },
];

impl Case {
    pub fn scenario(&self) -> Scenario {
        let mut s = presets::preset(self.name).expect("preset");
        let k = self.scale;
        s.client.rps = self.rps;
        s.lb.capacity_rps *= k;
        if let Some(p) = s.topology.proxy.as_mut() {
            p.capacity_ops *= k;
        }
        s.cache.ops_per_sec *= k;
        s.db.workers = (s.db.workers as f64 * k) as u32;
        s.db.max_connections = (s.db.max_connections as f64 * k) as u32;
        s.app.pool_size = (s.app.pool_size as f64 * k) as u32;
        // as many cores in all, in at most 64 pods
        let cores = (s.app.pods * s.app.cores_per_pod) as f64 * k;
        s.app.pods = ((s.app.pods as f64 * k) as u32).min(64);
        s.app.cores_per_pod = (cores / s.app.pods as f64).ceil() as u32;
        s
    }

    pub fn label(&self) -> String {
        format!(
            "{:<12} {:>7.0} RPS  capacity x{:<3}  {:>4.0} sim s",
            self.name, self.rps, self.scale, self.seconds
        )
    }
}
