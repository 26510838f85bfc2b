//! The seed's three designs side by side on identical traffic.
//!
//! Each design runs the same scenario with only its topology replaced: the
//! same seed gives the same arrivals (times, keys, operations; the client's
//! random stream is its own, see `rng::streams`), and the same fault
//! schedule, each fault mapped to the design ("crash the cache" is V0's one
//! node, one V1 shard, one V2 primary). What each design does with that
//! traffic is measured, not assumed:
//!
//! * the fault window (from the first fault to 60 s after the last): hit
//!   rate, DB load and errors;
//! * a stampede: `STAMPEDE` concurrent reads of one uncached hot key, and
//!   the DB queries they cause;
//! * the peak sustainable rate, by bisection over RPS (see `peak_rps`): as
//!   configured, and for the cache tier alone (the LB, pods and DB given
//!   room, so that what limits is Redis and the proxy);
//! * latency, staleness, availability and the bill.

use crate::command::Command;
use crate::metrics::SecondStats;
use crate::scenario::{Scenario, TopologyConfig};
use crate::sim::Simulation;
use crate::summary::Summary;
use serde::Serialize;

/// One of the seed's designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Design {
    V0,
    V1,
    V2,
}

impl Design {
    pub const ALL: [Design; 3] = [Design::V0, Design::V1, Design::V2];

    pub fn name(self) -> &'static str {
        match self {
            Design::V0 => "v0",
            Design::V1 => "v1",
            Design::V2 => "v2",
        }
    }

    pub fn parse(s: &str) -> Option<Design> {
        Design::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s.trim()))
    }

    pub fn topology(self) -> TopologyConfig {
        match self {
            Design::V0 => TopologyConfig::v0(),
            Design::V1 => TopologyConfig::v1(),
            Design::V2 => TopologyConfig::v2(),
        }
    }
}

/// One row of the seed's closing table: its claims for a design, not
/// measurements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeedRow {
    /// "V0", "V1", "V2" (as `summary::describe` names a design).
    pub design: &'static str,
    pub ops_per_s: f64,
    pub monthly_usd: f64,
    /// Availability as a fraction.
    pub availability: f64,
}

/// The seed's table: V0 ~10K ops/s, $695/month, 99%; V1 100K ops/s,
/// $1,800, 99.5%; V2 500K ops/s, $4,500, 99.99%.
pub const SEED: [SeedRow; 3] = [
    SeedRow {
        design: "V0",
        ops_per_s: 10_000.0,
        monthly_usd: 695.0,
        availability: 0.99,
    },
    SeedRow {
        design: "V1",
        ops_per_s: 100_000.0,
        monthly_usd: 1_800.0,
        availability: 0.995,
    },
    SeedRow {
        design: "V2",
        ops_per_s: 500_000.0,
        monthly_usd: 4_500.0,
        availability: 0.9999,
    },
];

/// The seed's row for a design name ("V0", "v1", ...), if it has one.
pub fn seed_row(design: &str) -> Option<&'static SeedRow> {
    SEED.iter().find(|r| r.design.eq_ignore_ascii_case(design))
}

/// An availability as the seed writes it: 99%, 99.5%, 99.99%.
pub fn availability_text(a: f64) -> String {
    let p = a * 100.0;
    for digits in 0..4 {
        let f = 10f64.powi(digits);
        if ((p * f).round() - p * f).abs() < 1e-6 {
            return format!("{:.*}%", digits as usize, p);
        }
    }
    format!("{p:.3}%")
}

/// A whole number with thousands separators: `1234567` -> `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Concurrent misses on one hot key in the stampede probe.
pub const STAMPEDE: u32 = 100;

/// `base` with the design's topology, and its faults mapped to the design's
/// shards (a shard a design does not have becomes one it has).
pub fn design_scenario(base: &Scenario, d: Design) -> Scenario {
    let mut s = base.clone();
    s.topology = d.topology();
    let shards = s.topology.shards;
    let map = |x: u32| x % shards;
    for f in &mut s.faults {
        match &mut f.command {
            Command::CrashCache { shard, .. } | Command::RestartCache { shard } => {
                *shard = map(*shard)
            }
            Command::HotKey { shard, .. }
            | Command::SetMemory { shard, .. }
            | Command::FillMemory { shard, .. }
            | Command::ClearFill { shard } => *shard = shard.map(map),
            _ => {}
        }
    }
    s
}

/// The highest rate a design sustains, and what gave out above it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Peak {
    pub rps: f64,
    /// The component that limited it (at the first rate that failed).
    pub limit: String,
}

/// How the peak is searched: each trial runs `trial_s` simulated seconds
/// from the steady state at a fixed RPS; it passes if under 0.1% of
/// requests fail and the p99 over all requests (failures included) stays
/// under `p99_ms`. The rate doubles from `lo` until a trial fails (or `hi`
/// passes), then bisection on a log scale narrows the last pass and the
/// first failure to within 5%.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PeakSearch {
    pub trial_s: f64,
    pub p99_ms: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Default for PeakSearch {
    fn default() -> Self {
        PeakSearch {
            trial_s: 5.0,
            p99_ms: 100.0,
            lo: 1_000.0,
            hi: 2_000_000.0,
        }
    }
}

/// One trial of the peak search: passes, or names what saturated.
fn trial(s: &Scenario, rps: f64, how: &PeakSearch) -> Result<(), String> {
    let mut s = s.clone();
    s.client.rps = rps;
    s.faults.clear();
    s.client.retry.policy = crate::scenario::RetryPolicy::None;
    let Ok(mut sim) = Simulation::new(s) else {
        return Err("invalid scenario".into());
    };
    sim.advance_to(how.trial_s);
    let t = sim.totals();
    let ended = (t.completed + t.failed).max(1);
    let p99 = crate::metrics::percentile_ms(&sim.latency().with_failures(), 0.99);
    if (t.failed as f64) < 0.001 * ended as f64 && p99 < how.p99_ms {
        Ok(())
    } else {
        Err(bottleneck(&sim))
    }
}

/// The most saturated component at the end of a run.
pub fn bottleneck(sim: &Simulation) -> String {
    let st = sim.status();
    let last = sim.history().last().cloned().unwrap_or_default();
    let tier = sim.history().last_tier().cloned().unwrap_or_default();
    let mut candidates: Vec<(f64, String)> = vec![
        (
            last.arrived as f64 / st.lb_capacity_rps.max(1.0),
            "the LB".into(),
        ),
        (last.db_utilization, "the DB's workers".into()),
        (
            st.db_connections as f64 / st.db_max_connections.max(1) as f64,
            "the DB's connections".into(),
        ),
        (tier.proxy_utilization, "the CacheProxyService".into()),
    ];
    for (i, sh) in tier.shards.iter().enumerate() {
        candidates.push((
            sh.cpu.max(sh.replica_cpu),
            format!("Redis shard {i}'s thread"),
        ));
    }
    candidates
        .into_iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(u, name)| format!("{name} ({:.0}% busy)", u * 100.0))
        .unwrap_or_default()
}

/// Bisection for the peak sustainable RPS of scenario `s` (its faults left out).
pub fn peak_rps(s: &Scenario, how: &PeakSearch) -> Peak {
    let (mut lo, mut hi) = (how.lo, how.hi);
    if let Err(why) = trial(s, lo, how) {
        return Peak {
            rps: 0.0,
            limit: why,
        };
    }
    let mut limit;
    loop {
        let next = (lo * 2.0).min(hi);
        match trial(s, next, how) {
            Ok(()) if next >= hi => {
                return Peak {
                    rps: hi,
                    limit: "none within the search range".into(),
                }
            }
            Ok(()) => lo = next,
            Err(why) => {
                hi = next;
                limit = why;
                break;
            }
        }
    }
    while hi / lo > 1.05 {
        let mid = (lo * hi).sqrt();
        match trial(s, mid, how) {
            Ok(()) => lo = mid,
            Err(why) => {
                hi = mid;
                limit = why;
            }
        }
    }
    Peak { rps: lo, limit }
}

/// `s` with room for the cache tier: the LB, the pods and the DB made large
/// enough that Redis and the proxy are what saturate first.
pub fn cache_tier_only(s: &Scenario) -> Scenario {
    let mut s = s.clone();
    s.lb.capacity_rps = 2_000_000.0;
    s.app.pods = s.app.pods.max(32);
    s.app.pool_size = s.app.pool_size.max(1_000);
    s.db.workers = s.db.workers.max(10_000);
    s.db.cores = s.db.cores.max(10_000);
    s.db.max_connections = s.db.max_connections.max(1_000_000);
    s
}

/// DB queries that `STAMPEDE` concurrent reads of one uncached hot key
/// cause in the design of `s` (a cold cache, no other reads).
pub fn stampede_queries(s: &Scenario) -> u64 {
    let mut s = s.clone();
    s.warm_start = false;
    s.faults.clear();
    s.client.rps = 1.0;
    s.client.read_fraction = 0.0;
    s.client.write_fraction = 0.0;
    s.client.delete_fraction = 0.0;
    s.client.direct_fraction = 1.0;
    let Ok(mut sim) = Simulation::new(s) else {
        return 0;
    };
    sim.advance_to(1.0);
    let before = sim.totals().db_miss;
    // STAMPEDE arrivals within a millisecond: all miss before the first answer
    let burst = |rate| Command::HotKey {
        rate,
        value_kb: 1.0,
        shard: None,
    };
    let rate = STAMPEDE as f64 * 1_000.0;
    sim.apply(burst(rate)).expect("valid");
    sim.advance_to(1.0 + 0.001);
    sim.apply(burst(0.0)).expect("valid");
    sim.advance_to(3.0);
    sim.totals().db_miss - before
}

/// What one design did during the scenario's faults.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FaultWindow {
    pub from_s: u32,
    pub to_s: u32,
    /// Hit rate before the first fault, and the lowest and mean during.
    pub steady_hit_rate: f64,
    pub min_hit_rate: f64,
    pub mean_hit_rate: f64,
    /// DB queries offered per second before the fault, and the peak during.
    pub steady_db_offered: f64,
    pub peak_db_offered: u64,
    /// Peak DB load during the fault over the load before it.
    pub db_extra_load: f64,
    pub errors: u64,
    pub error_rate: f64,
}

fn fault_window(history: &[SecondStats], s: &Scenario) -> Option<FaultWindow> {
    let first = s
        .faults
        .iter()
        .map(|f| f.at_s)
        .fold(f64::INFINITY, f64::min);
    let last = s.faults.iter().map(|f| f.at_s).fold(0.0, f64::max);
    if !first.is_finite() {
        return None;
    }
    let (from, to) = (first as u32, (last + 60.0) as u32);
    let before: Vec<&SecondStats> = history
        .iter()
        .filter(|x| x.t_s + 30 >= from && x.t_s < from)
        .collect();
    let during: Vec<&SecondStats> = history
        .iter()
        .filter(|x| x.t_s >= from && x.t_s < to)
        .collect();
    if during.is_empty() {
        return None;
    }
    let mean = |v: &[&SecondStats], f: &dyn Fn(&SecondStats) -> f64| {
        v.iter().map(|x| f(x)).sum::<f64>() / v.len().max(1) as f64
    };
    let steady_db = mean(&before, &|x| x.db_offered as f64);
    let peak_db = during.iter().map(|x| x.db_offered).max().unwrap_or(0);
    let errors: u64 = during.iter().map(|x| x.failed).sum();
    let ended: u64 = during.iter().map(|x| x.failed + x.completed).sum();
    Some(FaultWindow {
        from_s: from,
        to_s: to,
        steady_hit_rate: mean(&before, &|x| x.hit_rate),
        min_hit_rate: during.iter().map(|x| x.hit_rate).fold(1.0, f64::min),
        mean_hit_rate: mean(&during, &|x| x.hit_rate),
        steady_db_offered: steady_db,
        peak_db_offered: peak_db,
        db_extra_load: if steady_db > 0.0 {
            peak_db as f64 / steady_db
        } else {
            0.0
        },
        errors,
        error_rate: errors as f64 / ended.max(1) as f64,
    })
}

/// One design's row of the comparison.
#[derive(Clone, Debug, Serialize)]
pub struct DesignResult {
    pub design: Design,
    pub summary: Summary,
    pub fault: Option<FaultWindow>,
    pub stampede_queries: u64,
    pub peak: Option<Peak>,
    pub cache_tier_peak: Option<Peak>,
    /// Monthly cost per request/s of the cache tier's peak (the seed's "$ per 1K ops").
    pub cost_per_peak_ops: f64,
    /// The run, second by second (for charts).
    pub history: Vec<SecondStats>,
}

/// What to measure beyond the run itself.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CompareOptions {
    pub seconds: f64,
    /// `None`: skip the (slow) peak searches.
    pub peak: Option<PeakSearch>,
}

/// Runs every design on the scenario's traffic and faults.
pub fn compare(
    base: &Scenario,
    designs: &[Design],
    opts: &CompareOptions,
) -> Result<Vec<DesignResult>, crate::ConfigError> {
    designs
        .iter()
        .map(|&d| {
            let s = design_scenario(base, d);
            let mut sim = Simulation::new(s.clone())?;
            sim.advance_to(opts.seconds);
            Ok(design_result(d, &s, &sim, opts.peak))
        })
        .collect()
}

/// One design's row from its finished run of `s` (`design_scenario`): what
/// `compare` measures after each run. Callers that advance the run
/// themselves (the page, in slices across frames) end with this.
pub fn design_result(
    d: Design,
    s: &Scenario,
    sim: &Simulation,
    peak: Option<PeakSearch>,
) -> DesignResult {
    let history: Vec<SecondStats> = sim.history().iter().cloned().collect();
    let summary = Summary::of(sim);
    let peak_found = peak.map(|how| peak_rps(s, &how));
    let cache_tier_peak = peak.map(|how| peak_rps(&cache_tier_only(s), &how));
    let cost_per_peak_ops = cache_tier_peak
        .as_ref()
        .map_or(0.0, |p| summary.cost.per_ops_capacity(p.rps));
    DesignResult {
        design: d,
        fault: fault_window(&history, s),
        stampede_queries: stampede_queries(s),
        summary,
        peak: peak_found,
        cache_tier_peak,
        cost_per_peak_ops,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_map_to_a_shard_the_design_has() {
        let mut base = crate::presets::preset("v1-shard-crash").unwrap();
        base.faults.push(crate::command::ScheduledCommand {
            at_s: 100.0,
            command: Command::FillMemory {
                fraction: 1.0,
                shard: Some(2),
            },
        });
        let v0 = design_scenario(&base, Design::V0);
        assert_eq!(
            v0.faults[0].command,
            Command::CrashCache {
                shard: 0,
                host: false
            }
        );
        v0.validate().unwrap();
        let v2 = design_scenario(&base, Design::V2);
        assert_eq!(v2.faults, base.faults);
        assert!(v2.topology.replication.is_some());
        assert_eq!(Design::parse(" V2"), Some(Design::V2));
        assert_eq!(Design::parse("v3"), None);
    }
}
