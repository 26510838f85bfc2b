//! Causes ranked by their measured contribution, for the explanation's
//! headline: how many arrivals the LB and the pods turn away, and which of
//! the candidate causes of a DB overload adds the most work to it. Pure,
//! tested natively.
//!
//! The DB's work is counted in query-equivalents per second at the normal
//! cost of a query: a slowdown of k makes every offered query cost k, so it
//! adds `offered x (k - 1)`; a key-busting attack adds one query per attack
//! read (`attack_rate`), at the slowed cost; a hit
//! rate below the target adds the missing hits `(target - hit) x reads`
//! (less the attack's reads, which are misses by construction), at the slowed
//! cost, and that deficit is named by what explains it (a resize, the restart,
//! the hot key's stampedes, OOM, evictions).

use cachesim_core::{SecondStats, Status};

/// A share of the arrivals above which the LB's rejections are the headline.
pub const LB_REJECT_HEADLINE: f64 = 0.10;

/// 503s the LB gave because it was over capacity in this second: arrivals
/// beyond what it can forward in a second (its capacity), at most every
/// 503. The rest of the 503s are pods refusing at their concurrency limit.
pub fn lb_rejected(l: &SecondStats, lb_capacity_rps: f64) -> u64 {
    let over = (l.arrived as f64 - lb_capacity_rps).max(0.0).round() as u64;
    over.min(l.err_503)
}

/// 503s from pods already working on their `max_inflight_per_pod` requests.
pub fn pods_refused(l: &SecondStats, lb_capacity_rps: f64) -> u64 {
    l.err_503 - lb_rejected(l, lb_capacity_rps)
}

/// What can explain a DB overload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbCause {
    /// Keys moved shard (a shard added or removed, or the router changed).
    Resize,
    /// The cache restarted cold: every key misses until refilled.
    Herd,
    /// A key-busting attack: never-seen keys always miss.
    Attack,
    /// The hot key's stampedes each time a write replaces it.
    HotKey,
    /// Every query takes longer (the slow-DB fault).
    Slowdown,
    /// Memory full with noeviction: backfills fail with OOM.
    Oom,
    /// allkeys-lru evicts the working set.
    Evictions,
    /// None of the above: the traffic itself.
    Traffic,
}

/// The facts the ranking looks at.
#[derive(Clone, Copy, Debug)]
pub struct DbFacts {
    /// A resize (or router change) recent enough and after the last restart.
    pub resized: bool,
    /// The cache restarted recently.
    pub recent_restart: bool,
    pub target_hit_rate: f64,
}

/// Candidate causes of the DB's load with their contributions (extra
/// query-equivalents per second), largest first; `Traffic` (contribution 0)
/// last, so the first entry is the cause to name.
pub fn rank_db_causes(l: &SecondStats, st: &Status, f: &DbFacts) -> Vec<(DbCause, f64)> {
    let slow = st.db_slowdown.max(1.0);
    // both offered: the attack's reads and the hits missing, whether or not
    // the overloaded DB then serves them
    let attack = st.attack_rate.max(0.0);
    let deficit = ((f.target_hit_rate - l.hit_rate).max(0.0) * l.reads as f64 - attack).max(0.0);
    let mut out = Vec::new();
    // the hit-rate deficit, named by the first fact that explains it
    let deficit_cause = if f.resized {
        Some(DbCause::Resize)
    } else if f.recent_restart && l.hit_rate < f.target_hit_rate - 0.1 {
        Some(DbCause::Herd)
    } else if st.hot_key_rate > 0.0 {
        Some(DbCause::HotKey)
    } else if l.set_oom > 0 {
        Some(DbCause::Oom)
    } else if l.evictions > 0 {
        Some(DbCause::Evictions)
    } else {
        None
    };
    if let Some(c) = deficit_cause {
        out.push((c, deficit * slow));
    }
    if attack > 0.0 {
        out.push((DbCause::Attack, attack * slow));
    }
    if slow > 1.0 {
        out.push((DbCause::Slowdown, l.db_offered as f64 * (slow - 1.0)));
    }
    // ties keep the order above (a stable sort)
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    // a cause that adds nothing measurable explains nothing
    out.retain(|&(c, w)| w > 0.0 || (c == DbCause::HotKey && st.hot_key_rate > 0.0));
    out.push((DbCause::Traffic, 0.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::{presets, Command, Simulation};

    fn at(sim: &mut Simulation, t: f64) -> (SecondStats, Status) {
        sim.advance_to(t);
        (sim.history().last().unwrap().clone(), sim.status())
    }

    #[test]
    fn the_lb_share_of_503s_is_what_exceeds_its_capacity() {
        let mut l = SecondStats {
            arrived: 30_000,
            err_503: 12_000,
            ..SecondStats::default()
        };
        assert_eq!(lb_rejected(&l, 20_000.0), 10_000);
        assert_eq!(pods_refused(&l, 20_000.0), 2_000);
        l.arrived = 15_000;
        assert_eq!(lb_rejected(&l, 20_000.0), 0);
        assert_eq!(pods_refused(&l, 20_000.0), 12_000);
    }

    #[test]
    fn a_later_slowdown_outranks_the_restarts_herd() {
        let s = presets::preset("cache-crash").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        let facts = DbFacts {
            resized: false,
            recent_restart: true,
            target_hit_rate: s.client.target_hit_rate,
        };
        let (l, st) = at(&mut sim, 95.0);
        assert_eq!(rank_db_causes(&l, &st, &facts)[0].0, DbCause::Herd);
        sim.apply(Command::DbSlowdown { factor: 3.0 }).unwrap();
        let (l, st) = at(&mut sim, 110.0);
        let r = rank_db_causes(&l, &st, &facts);
        assert_eq!(r[0].0, DbCause::Slowdown, "{r:?}");
        assert_eq!(r.last().unwrap().0, DbCause::Traffic);
    }

    #[test]
    fn an_attack_outranks_a_warm_cache() {
        let s = presets::preset("key-busting").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        let (l, st) = at(&mut sim, 60.0);
        let facts = DbFacts {
            resized: false,
            recent_restart: false,
            target_hit_rate: s.client.target_hit_rate,
        };
        let r = rank_db_causes(&l, &st, &facts);
        assert_eq!(r[0].0, DbCause::Attack, "{r:?}");
        assert!(r[0].1 > 1000.0, "{r:?}");
    }
}
