//! The comparison of the seed's three designs in the page (pure, tested
//! natively): V0, V1 and V2 run one after the other on the same scenario
//! (`compare::design_scenario`: the same arrivals, the faults mapped to each
//! design's shards), advanced in slices so that a frame never spends more
//! than its budget, and each finished run measured by the core's
//! `compare::design_result`, exactly as `cachesim compare` does. The table
//! puts those measurements beside the seed's own claims.

use crate::explain::Capacities;
use crate::format::{compact, ms, pct};
use crate::seed_table::{self, usd, SEED};
use cachesim_core::compare::{self, Design, DesignResult};
use cachesim_core::{Scenario, Simulation};

/// The comparison's length bounds, simulated seconds.
pub const SECONDS: (f64, f64) = (10.0, 3_600.0);

/// Requests one slice simulates at most (so one slice takes a few ms).
const SLICE_REQUESTS: f64 = 2_000.0;

/// The runs of a comparison, in progress or done.
pub struct ComparisonRun {
    /// The scenario every design runs (its topology replaced by each design's).
    pub base: Scenario,
    /// The preset it is, if it is one (the share link names it).
    pub preset: Option<String>,
    pub seconds: f64,
    pub designs: Vec<Design>,
    /// The design running now: its scenario and its simulation.
    current: Option<(Design, Scenario, Simulation)>,
    pub results: Vec<DesignResult>,
}

impl ComparisonRun {
    /// A comparison of every design on `base` for `seconds` (the scenario's
    /// own duration when `None`); an error names a design that cannot run it.
    pub fn new(
        base: Scenario,
        preset: Option<String>,
        seconds: Option<f64>,
    ) -> Result<ComparisonRun, String> {
        let seconds = seconds
            .unwrap_or(base.duration_s)
            .clamp(SECONDS.0, SECONDS.1);
        for d in Design::ALL {
            compare::design_scenario(&base, d)
                .validate()
                .map_err(|e| format!("{} cannot run this scenario: {e}", d.name()))?;
        }
        Ok(ComparisonRun {
            base,
            preset,
            seconds,
            designs: Design::ALL.to_vec(),
            current: None,
            results: Vec::new(),
        })
    }

    pub fn done(&self) -> bool {
        self.results.len() == self.designs.len()
    }

    /// Simulated seconds per slice: fewer at a high arrival rate.
    fn slice_s(&self) -> f64 {
        (SLICE_REQUESTS / self.base.client.rps.max(1.0)).clamp(0.002, 0.5)
    }

    /// Runs slices while `go_on()` says so (the caller's time budget), at
    /// least one; a design whose run ends is measured and the next begins.
    pub fn step(&mut self, go_on: &mut dyn FnMut() -> bool) -> Result<(), String> {
        let slice = self.slice_s();
        loop {
            if self.done() {
                return Ok(());
            }
            if self.current.is_none() {
                let d = self.designs[self.results.len()];
                let s = compare::design_scenario(&self.base, d);
                let sim = Simulation::new(s.clone()).map_err(|e| e.to_string())?;
                self.current = Some((d, s, sim));
            }
            let (d, s, sim) = self.current.as_mut().expect("set above");
            let next = (sim.now_s() + slice).min(self.seconds);
            sim.advance_to(next);
            if sim.now_s() >= self.seconds - 1e-9 {
                let r = compare::design_result(*d, s, sim, None);
                self.results.push(r);
                self.current = None;
            }
            if !go_on() {
                return Ok(());
            }
        }
    }

    /// How far it got, 0..1.
    pub fn progress(&self) -> f64 {
        let running = self
            .current
            .as_ref()
            .map_or(0.0, |(_, _, sim)| sim.now_s() / self.seconds);
        ((self.results.len() as f64 + running) / self.designs.len() as f64).clamp(0.0, 1.0)
    }

    /// What it is doing, for the progress line.
    pub fn progress_text(&self) -> String {
        match &self.current {
            _ if self.done() => format!(
                "Done: {} designs, {} simulated seconds each.",
                self.designs.len(),
                self.seconds
            ),
            Some((d, _, sim)) => format!(
                "Running {} ({} of {}): {:.0} of {} simulated seconds…",
                d.name().to_uppercase(),
                self.results.len() + 1,
                self.designs.len(),
                sim.now_s(),
                self.seconds
            ),
            None => format!(
                "Starting {}…",
                self.designs[self.results.len()].name().to_uppercase()
            ),
        }
    }

    /// The DB's capacity in queries/s (the charts' line).
    pub fn db_capacity(&self) -> f64 {
        Capacities::of(&self.base).db_qps
    }
}

/// One row of the table: what it measures, a cell per design, and whether
/// it is the seed's claim rather than a measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub label: &'static str,
    pub cells: Vec<String>,
    pub seed: bool,
}

/// The DB's highest load in the fault window (work offered over capacity,
/// as the page's DB box shows it: 1.0 is full).
pub fn peak_db_load(r: &DesignResult, f: &compare::FaultWindow, db_capacity: f64) -> f64 {
    r.history
        .iter()
        .filter(|s| s.t_s >= f.from_s && s.t_s < f.to_s)
        .map(|s| crate::explain::db_load(s, db_capacity))
        .fold(0.0, f64::max)
}

/// The measured figures of each finished design, then the seed's table.
pub fn table(results: &[DesignResult], db_capacity: f64) -> Vec<Row> {
    let row = |label: &'static str, f: &dyn Fn(&DesignResult) -> String| Row {
        label,
        cells: results.iter().map(f).collect(),
        seed: false,
    };
    let fault = |r: &DesignResult, f: &dyn Fn(&compare::FaultWindow) -> String| {
        r.fault.as_ref().map_or("-".to_string(), f)
    };
    let mut rows = vec![
        row("hit rate, whole run", &|r| pct(r.summary.hit_rate)),
        row("hit rate in the fault, lowest", &|r| {
            fault(r, &|f| pct(f.min_hit_rate))
        }),
        row("DB queries/s offered, fault peak", &|r| {
            fault(r, &|f| compact(f.peak_db_offered as f64))
        }),
        row("DB load in the fault, peak", &|r| {
            fault(r, &|f| crate::format::load(peak_db_load(r, f, db_capacity)))
        }),
        row("errors in the fault", &|r| {
            fault(r, &|f| {
                format!("{} ({})", compact(f.errors as f64), pct(f.error_rate))
            })
        }),
        row("DB queries from 100 misses on a hot key", &|r| {
            r.stampede_queries.to_string()
        }),
        row("p99, errors included", &|r| {
            ms(r.summary.latency_ms.with_failures.p99)
        }),
        row("stale reads (p99 age)", &|r| {
            format!(
                "{} ({})",
                compact(r.summary.stale_reads as f64),
                ms(r.summary.stale_age_p99_ms)
            )
        }),
        row("availability", &|r| {
            format!("{:.2}%", r.summary.availability * 100.0)
        }),
        row("monthly cost", &|r| usd(r.summary.cost.monthly_usd)),
    ];
    let seed = |label: &'static str, f: &dyn Fn(&seed_table::SeedRow) -> String| Row {
        label,
        cells: results
            .iter()
            .map(|r| seed_table::seed_row(r.design.name()).map_or("-".into(), f))
            .collect(),
        seed: true,
    };
    rows.push(seed("the seed: ops/s", &|s| {
        format!("{} ops/s", compact(s.ops_per_s))
    }));
    rows.push(seed("the seed: monthly cost", &|s| usd(s.monthly_usd)));
    rows.push(seed("the seed: availability", &|s| {
        seed_table::availability(s.availability)
    }));
    debug_assert_eq!(SEED.len(), 3);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::compare::CompareOptions;
    use cachesim_core::presets;

    /// compare-crash, shortened and at a lower rate so the test is quick:
    /// the crash at 60 s and the restart at 90 s still fall inside.
    fn short() -> Scenario {
        let mut s = presets::preset("compare-crash").unwrap();
        s.client.rps = 2_000.0;
        s
    }

    #[test]
    fn slices_give_exactly_the_cores_comparison() {
        let mut run = ComparisonRun::new(short(), None, Some(100.0)).unwrap();
        let mut last = 0.0;
        let mut frames = 0;
        while !run.done() {
            // a budget of 25 slices per "frame"
            let mut n = 0;
            run.step(&mut || {
                n += 1;
                n < 25
            })
            .unwrap();
            let p = run.progress();
            assert!(p >= last, "progress goes forward: {last} -> {p}");
            last = p;
            frames += 1;
        }
        assert!(frames > 10, "the work was spread over {frames} frames");
        assert_eq!(run.progress(), 1.0);
        let whole = compare::compare(
            &short(),
            &Design::ALL,
            &CompareOptions {
                seconds: 100.0,
                peak: None,
            },
        )
        .unwrap();
        assert_eq!(run.results.len(), 3);
        for (a, b) in run.results.iter().zip(&whole) {
            assert_eq!(a.design, b.design);
            assert_eq!(a.summary, b.summary, "{:?}", a.design);
            assert_eq!(a.fault, b.fault);
            assert_eq!(a.stampede_queries, b.stampede_queries);
            assert_eq!(a.history.len(), 100);
        }
    }

    #[test]
    fn the_table_reports_the_runs_and_the_seed() {
        // at the seed's 10K RPS, where V0's crash overwhelms the DB
        let s = presets::preset("compare-crash").unwrap();
        let mut run = ComparisonRun::new(s, Some("compare-crash".into()), Some(100.0)).unwrap();
        while !run.done() {
            run.step(&mut || true).unwrap();
        }
        let rows = table(&run.results, run.db_capacity());
        let get = |label: &str| rows.iter().find(|r| r.label == label).unwrap();
        for r in &rows {
            assert_eq!(r.cells.len(), 3, "{}", r.label);
        }
        // V0 loses its only node: the worst fault; V2 keeps serving
        let loads: Vec<f64> = run
            .results
            .iter()
            .map(|r| peak_db_load(r, r.fault.as_ref().unwrap(), run.db_capacity()))
            .collect();
        assert!(loads[0] > 1.5, "V0's herd overloads the DB: {loads:?}");
        assert!(loads[2] < 1.0, "V2's DB keeps up: {loads:?}");
        assert!(get("DB load in the fault, peak").cells[0].ends_with("capacity"));
        let errs: Vec<u64> = run
            .results
            .iter()
            .map(|r| r.fault.as_ref().unwrap().errors)
            .collect();
        assert!(errs[0] > errs[1] && errs[1] >= errs[2], "{errs:?}");
        assert_eq!(
            get("monthly cost").cells[0],
            "$695",
            "V0's bill is the seed's"
        );
        let cost: Vec<f64> = run
            .results
            .iter()
            .map(|r| r.summary.cost.monthly_usd)
            .collect();
        assert!(cost[0] < cost[1] && cost[1] < cost[2], "{cost:?}");
        assert_eq!(
            get("hit rate, whole run").cells[2],
            pct(run.results[2].summary.hit_rate)
        );
        assert_eq!(
            get("the seed: monthly cost").cells,
            ["$695", "$1,800", "$4,500"]
        );
        assert_eq!(
            get("the seed: availability").cells,
            ["99%", "99.5%", "99.99%"]
        );
        assert!(get("the seed: ops/s").seed && !get("availability").seed);
        assert!(run.progress_text().starts_with("Done"));
    }

    #[test]
    fn lengths_are_bounded_and_bad_scenarios_refused() {
        let run = ComparisonRun::new(short(), None, Some(1.0)).unwrap();
        assert_eq!(run.seconds, SECONDS.0);
        let run = ComparisonRun::new(short(), None, None).unwrap();
        assert_eq!(run.seconds, 300.0, "the scenario's own duration");
        let mut bad = short();
        bad.client.rps = -1.0;
        assert!(ComparisonRun::new(bad, None, None).is_err());
    }
}
