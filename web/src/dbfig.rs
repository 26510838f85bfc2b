//! The DB's figures, each defined once: the canvas, the status line, the
//! component list, the explanation and the charts all take them from here,
//! with the same words. Pure, tested natively.
//!
//! - queries **offered**: queries the pods tried to run in the last second
//!   (`db_offered`: refused and timed-out ones included);
//! - queries **served**: answered by PostgreSQL in that second (`db_queries`:
//!   SELECTs after a miss, writes, deletes, direct queries);
//! - queries **refused**: offered and failed without being served, "too many
//!   connections" from PostgreSQL or a wait for a pooled connection that timed
//!   out (`err_db_connections + err_pool_timeout`);
//! - **workers busy**: the busy fraction of the DB's workers (`db_utilization`);
//! - **load**: the work offered as a multiple of what the workers can do
//!   (`explain::db_load`, see [`LOAD_TOOLTIP`]);
//! - connections **open** (PostgreSQL's backends), **busy** (lent to a request,
//!   or being opened for one) and **idle** (open, in a pod's pool, unused):
//!   live, summed over the pods. Idle connections are not exhaustion; the
//!   pools close them after `app.pool_idle_timeout_s`.

use crate::explain::db_load;
use crate::format::{compact, load, pct, per_sec};
use cachesim_core::{SecondStats, Status};
use serde::Serialize;

/// What "load" means, for the tooltips.
pub const LOAD_TOOLTIP: &str = "DB load: the work offered to PostgreSQL as a multiple of what its workers can do (workers busy x queries offered / queries served). 1.0x capacity: every worker busy all the time; above it, more is offered than served, so queries wait for a connection or fail.";

/// The DB's figures at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct DbFigures {
    pub offered: u64,
    pub served: u64,
    pub refused: u64,
    /// SELECTs after a miss, among the served.
    pub selects: u64,
    pub workers_busy: f64,
    pub load: f64,
    /// SELECTs per second the workers can serve.
    pub capacity_qps: f64,
    pub open: u32,
    pub busy: u32,
    pub idle: u32,
    pub max: u32,
    /// Requests waiting for a pooled connection.
    pub waiting: u32,
}

impl DbFigures {
    pub fn of(last: Option<&SecondStats>, st: &Status, capacity_qps: f64) -> DbFigures {
        let active = st.pods.iter().filter(|p| p.active || p.pool_open > 0);
        let (mut pools_open, mut busy, mut waiting) = (0, 0, 0);
        for p in active {
            pools_open += p.pool_open;
            busy += p.pool_busy;
            waiting += p.waiting;
        }
        DbFigures {
            offered: last.map_or(0, |l| l.db_offered),
            served: last.map_or(0, |l| l.db_queries),
            refused: last.map_or(0, |l| l.err_db_connections + l.err_pool_timeout),
            selects: last.map_or(0, |l| l.db_miss),
            workers_busy: last.map_or(0.0, |l| l.db_utilization),
            load: last.map_or(0.0, |l| db_load(l, capacity_qps)),
            capacity_qps,
            open: st.db_connections,
            busy,
            idle: pools_open.saturating_sub(busy),
            max: st.db_max_connections,
            waiting,
        }
    }

    /// Every connection PostgreSQL allows is lent to a request.
    pub fn exhausted(&self) -> bool {
        self.max > 0 && self.busy >= self.max
    }

    /// "1.2K busy of 200": the busy connections' share of the DB's maximum.
    pub fn busy_fraction(&self) -> f64 {
        self.busy as f64 / self.max.max(1) as f64
    }

    pub fn open_fraction(&self) -> f64 {
        self.open as f64 / self.max.max(1) as f64
    }

    /// "load 70% of capacity".
    pub fn load_words(&self) -> String {
        format!("load {}", load(self.load))
    }

    /// "3.7K/s served of 3.7K/s offered" (", 120/s refused").
    pub fn query_words(&self) -> String {
        let mut s = format!(
            "{} served of {} offered",
            per_sec(self.served as f64),
            per_sec(self.offered as f64)
        );
        if self.refused > 0 {
            s.push_str(&format!(", {} refused", per_sec(self.refused as f64)));
        }
        s
    }

    /// "workers 70% busy".
    pub fn worker_words(&self) -> String {
        format!("workers {} busy", pct(self.workers_busy))
    }

    /// "connections 40/200 open: 12 busy, 28 idle".
    pub fn connection_words(&self) -> String {
        format!(
            "connections {}/{} open: {} busy, {} idle",
            self.open,
            self.max,
            compact(self.busy as f64),
            compact(self.idle as f64)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::{presets, Command, Simulation};

    #[test]
    fn idle_connections_are_counted_apart_and_close() {
        let s = presets::preset("steady").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.advance_to(3.0);
        sim.apply(Command::SetRps { rps: 16_000.0 }).unwrap();
        sim.advance_to(9.0);
        sim.apply(Command::SetRps { rps: 10_000.0 }).unwrap();
        sim.advance_to(16.0);
        let cap = 2000.0;
        let f = DbFigures::of(sim.history().last(), &sim.status(), cap);
        assert_eq!(f.open, f.busy + f.idle, "{f:?}");
        assert!(f.idle > f.busy, "after the burst most are idle: {f:?}");
        assert!(!f.exhausted(), "{f:?}");
        sim.advance_to(40.0);
        let later = DbFigures::of(sim.history().last(), &sim.status(), cap);
        assert!(later.open < f.open / 2, "{f:?} then {later:?}");
        assert_eq!(later.served, sim.history().last().unwrap().db_queries);
        assert!(later.connection_words().starts_with("connections "));
    }

    #[test]
    fn a_herd_exhausts_them() {
        let s = presets::preset("cache-crash").unwrap();
        let mut sim = Simulation::new(s).unwrap();
        sim.advance_to(70.0);
        let f = DbFigures::of(sim.history().last(), &sim.status(), 2000.0);
        assert!(f.exhausted(), "{f:?}");
        assert!(f.refused > 0 && f.offered > f.served, "{f:?}");
        assert!(f.query_words().contains("refused"), "{}", f.query_words());
    }
}
