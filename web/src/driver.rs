//! Runs the simulation for the page, independent of the browser (pure, tested
//! natively): playback (pause, step, speed with a per-frame work budget),
//! live commands and failure toggles, the trace rate behind the dots, smoothed
//! edge rates, the share scenario, the `#state-json` text and the CSV export.

use crate::anim::Dots;
use crate::codec::{self, check_web_limits, share_scenario, MAX_WEB_KEYS};
use crate::explain::{self, Capacities, Explanation, Timeline};
use crate::format::nice_ceil;
use cachesim_core::frame::{NodeKind, TopologyView};
use cachesim_core::{
    presets, Command, Frame, Scenario, ScheduledCommand, SecondStats, Simulation, Status, Summary,
};
use std::collections::HashMap;
use std::mem::discriminant;

/// Dots started per wall second (at any speed).
pub const DOTS_PER_WALL_S: f64 = 60.0;
/// Hops kept per frame, at most.
pub const MAX_HOPS_PER_FRAME: usize = 1_500;
/// Longest wall time one frame may stand for (after a hidden tab, a breakpoint...).
pub const MAX_FRAME_S: f64 = 0.1;

/// A gap between two frames longer than this means the page was hidden (a
/// background tab gets no animation frames): the page says the run waited.
pub const BACKGROUND_GAP_S: f64 = 2.0;

/// What the page says after a gap of `gap_s` without frames: the run did not
/// try to catch up (it advanced at most one frame's worth).
pub fn background_notice(gap_s: f64, now_s: f64) -> String {
    format!(
        "The page was hidden for {}: the simulation paused meanwhile and goes on from {} (it does not try to catch up).",
        crate::format::secs(gap_s),
        crate::format::clock(now_s)
    )
}
/// Wall milliseconds of simulation work per frame, at most.
pub const DEFAULT_BUDGET_MS: f64 = 9.0;
/// Smoothing of the edge rates, simulated seconds.
pub const RATE_TAU_S: f64 = 1.0;

/// The failure buttons that switch something on and off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toggle {
    HotKey,
    DropInvalidations,
    KeyBusting,
    SlowDb,
    PodsUnhealthy,
    FillMemory,
}

impl Toggle {
    pub const ALL: [Toggle; 6] = [
        Toggle::HotKey,
        Toggle::DropInvalidations,
        Toggle::KeyBusting,
        Toggle::SlowDb,
        Toggle::PodsUnhealthy,
        Toggle::FillMemory,
    ];
}

/// The first command of the same kind as `fallback` among a preset's faults,
/// so the buttons do exactly what the presets do.
fn preset_command(name: &str, fallback: Command) -> Command {
    presets::preset(name)
        .and_then(|s| {
            s.faults
                .into_iter()
                .map(|f| f.command)
                .find(|c| discriminant(c) == discriminant(&fallback))
        })
        .unwrap_or(fallback)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Smoothed traffic on each edge, per simulated second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeRates {
    pub client_lb: f64,
    pub lb_pod: Vec<f64>,
    pub pod_cache: f64,
    pub pod_db: f64,
    pub responses: f64,
    pub errors: f64,
    /// Every edge of the topology, (from, to) -> per second.
    pub edges: HashMap<(u16, u16), f64>,
}

impl EdgeRates {
    /// The traffic of one complete simulated second on each edge (what the
    /// readouts and the explanation report), spread over the routable pods.
    pub fn of_second(l: &SecondStats, st: &Status) -> EdgeRates {
        let pods: Vec<bool> = st.pods.iter().map(|p| p.active && p.healthy).collect();
        let routable = pods.iter().filter(|p| **p).count().max(1) as f64;
        let forwarded = l
            .arrived
            .saturating_sub(l.err_503)
            .saturating_sub(l.err_502) as f64;
        EdgeRates {
            client_lb: l.arrived as f64,
            lb_pod: pods
                .iter()
                .map(|ok| if *ok { forwarded / routable } else { 0.0 })
                .collect(),
            pod_cache: (l.reads + l.db_write + l.db_delete + l.db_miss + l.cache_errors) as f64,
            pod_db: l.db_offered as f64,
            responses: l.completed as f64,
            errors: l.failed as f64,
            edges: HashMap::new(),
        }
    }

    fn update(&mut self, f: &Frame) {
        if f.span_s <= 0.0 {
            return;
        }
        let a = 1.0 - (-f.span_s / RATE_TAU_S).exp();
        let ema = |old: &mut f64, count: u64| *old += (count as f64 / f.span_s - *old) * a;
        let t = FrameTraffic::of(f);
        ema(&mut self.client_lb, t.client_lb);
        ema(&mut self.pod_cache, t.pod_cache);
        ema(&mut self.pod_db, t.pod_db);
        ema(&mut self.responses, f.responses);
        ema(&mut self.errors, f.errors);
        if self.lb_pod.len() < t.lb_pod.len() {
            self.lb_pod.resize(t.lb_pod.len(), 0.0);
        }
        for (i, r) in self.lb_pod.iter_mut().enumerate() {
            ema(r, t.lb_pod.get(i).copied().unwrap_or(0));
        }
        // edges that left the topology fade out with the others
        for flow in &f.flows {
            self.edges.entry((flow.from, flow.to)).or_insert(0.0);
        }
        let counts: HashMap<(u16, u16), u64> =
            f.flows.iter().map(|x| ((x.from, x.to), x.count)).collect();
        for (k, r) in self.edges.iter_mut() {
            ema(r, counts.get(k).copied().unwrap_or(0));
        }
        self.edges.retain(|k, r| counts.contains_key(k) || *r > 0.5);
    }

    /// The smoothed rate on an edge (0 when there is none).
    pub fn edge(&self, from: u16, to: u16) -> f64 {
        self.edges.get(&(from, to)).copied().unwrap_or(0.0)
    }
}

/// A frame's flows summed the way the V0 readouts count them: into the LB,
/// into each pod, from the pods to the cache tier (the proxy, or the shards
/// when there is none) and from the pods to the DB.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameTraffic {
    pub client_lb: u64,
    pub lb_pod: Vec<u64>,
    pub pod_cache: u64,
    pub pod_db: u64,
}

impl FrameTraffic {
    pub fn of(f: &Frame) -> FrameTraffic {
        let mut t = FrameTraffic::default();
        for flow in &f.flows {
            match (NodeKind::of(flow.from), NodeKind::of(flow.to)) {
                ((NodeKind::Client, _), (NodeKind::Lb, _)) => t.client_lb += flow.count,
                ((NodeKind::Lb, _), (NodeKind::Pod, i)) => {
                    if t.lb_pod.len() <= i {
                        t.lb_pod.resize(i + 1, 0);
                    }
                    t.lb_pod[i] += flow.count;
                }
                ((NodeKind::Pod, _), (NodeKind::Shard | NodeKind::Proxy, _)) => {
                    t.pod_cache += flow.count
                }
                ((NodeKind::Pod, _), (NodeKind::Db, _)) => t.pod_db += flow.count,
                _ => {}
            }
        }
        t
    }
}

pub struct Driver {
    pub sim: Simulation,
    /// The scenario the run started from (its faults are the scheduled ones).
    pub base: Scenario,
    pub preset: Option<String>,
    pub paused: bool,
    pub speed: u32,
    /// No moving dots (prefers-reduced-motion).
    pub reduced_motion: bool,
    pub dots: Dots,
    pub rates: EdgeRates,
    /// The architecture as the last frame reported it.
    pub topology: TopologyView,
    /// Wall clock of the animation, seconds.
    pub wall_s: f64,
    /// Simulated seconds per wall second actually achieved (smoothed).
    pub achieved_speed: f64,
    /// One dot stands for this many requests.
    pub trace_every: u64,
    /// The round number `trace_every` was derived from (for the legend).
    pub trace_nice: u64,
    pub dropped_hops: u64,
    /// Wall milliseconds of simulation work per frame, at most.
    pub budget_ms: f64,
    /// Measured cost of one simulated second, wall milliseconds (smoothed).
    pub cost_ms_per_sim_s: f64,
    /// Wall milliseconds the last frame's simulation took.
    pub last_work_ms: f64,
}

impl Driver {
    pub fn new(scenario: Scenario, preset: Option<String>) -> Result<Driver, String> {
        check_web_limits(&scenario)?;
        let sim = Simulation::new(scenario.clone()).map_err(|e| e.to_string())?;
        let mut d = Driver {
            sim,
            base: scenario,
            preset,
            paused: false,
            speed: 1,
            reduced_motion: false,
            dots: Dots::default(),
            rates: EdgeRates::default(),
            topology: TopologyView::default(),
            wall_s: 0.0,
            achieved_speed: 1.0,
            trace_every: 0,
            trace_nice: 0,
            dropped_hops: 0,
            budget_ms: DEFAULT_BUDGET_MS,
            cost_ms_per_sim_s: 5.0,
            last_work_ms: 0.0,
        };
        d.sim.set_max_hops(MAX_HOPS_PER_FRAME);
        d.topology = d.sim.take_frame().topology;
        d.retrace();
        Ok(d)
    }

    /// Starts over with another scenario (or the same one), keeping playback settings.
    pub fn restart(&mut self, scenario: Scenario, preset: Option<String>) -> Result<(), String> {
        let mut next = Driver::new(scenario, preset)?;
        next.paused = self.paused;
        next.speed = self.speed;
        next.reduced_motion = self.reduced_motion;
        next.wall_s = self.wall_s;
        next.budget_ms = self.budget_ms;
        next.cost_ms_per_sim_s = self.cost_ms_per_sim_s;
        next.dots.lengths = std::mem::take(&mut self.dots.lengths);
        next.retrace();
        next.seed_rates();
        *self = next;
        Ok(())
    }

    /// Total arrival rate (client, hot key, attack).
    pub fn total_rate(st: &Status) -> f64 {
        st.rps + st.hot_key_rate + st.attack_rate
    }

    /// Sets the trace rate so that one dot stands for a round number of requests.
    pub fn retrace(&mut self) {
        if self.reduced_motion {
            self.sim.set_trace_rate(0.0);
            self.trace_every = 0;
            return;
        }
        let st = self.sim.status();
        let total = Self::total_rate(&st);
        if total <= 0.0 {
            return;
        }
        // The LB deals requests round-robin and the core traces every k-th
        // arrival: k must not share a factor with the number of pods, or
        // every traced request would land on the same pod.
        let pods = st
            .pods
            .iter()
            .filter(|p| p.active && p.healthy)
            .count()
            .max(1) as u64;
        // scaled to what the LB lets through, not to the arrivals: at 200K RPS
        // it turns most away at the door, and a scale made for every arrival
        // would leave the edges behind it empty
        let shown = total.min(st.lb_capacity_rps.max(1.0));
        let nice = nice_ceil(shown * self.speed as f64 / DOTS_PER_WALL_S);
        let mut k = nice;
        while k > 1 && gcd(k, pods) != 1 {
            k += 1;
        }
        if k != self.trace_every {
            // ceil(total / (total / (k - 0.5))) == k
            self.sim.set_trace_rate(total / (k as f64 - 0.5));
            self.trace_every = k;
            self.trace_nice = nice;
        }
    }

    /// Advances the run by one animation frame of `wall_dt_s` seconds.
    /// `clock_ms` reads a wall clock in milliseconds (to keep within the
    /// budget). Returns the frame taken from the core.
    pub fn frame(&mut self, wall_dt_s: f64, clock_ms: &mut dyn FnMut() -> f64) -> Frame {
        let dt = wall_dt_s.clamp(0.0, MAX_FRAME_S);
        self.wall_s += dt;
        let want = if self.paused {
            0.0
        } else {
            dt * self.speed as f64
        };
        let start = clock_ms();
        let mut done = 0.0;
        while done < want - 1e-12 {
            // chunks of about a fifth of the budget, so we stop close to it
            let chunk = (self.budget_ms / 5.0 / self.cost_ms_per_sim_s.max(1e-3))
                .max(0.002)
                .min(want - done);
            let t0 = clock_ms();
            self.sim.advance_by(chunk);
            let spent = clock_ms() - t0;
            if chunk >= 0.005 {
                let c = spent / chunk;
                self.cost_ms_per_sim_s += (c - self.cost_ms_per_sim_s) * 0.3;
            }
            done += chunk;
            if clock_ms() - start >= self.budget_ms {
                break;
            }
        }
        self.last_work_ms = clock_ms() - start;
        if want > 0.0 && dt > 0.0 {
            let got = done / dt;
            // smooth over about half a second of frames
            let a = (dt / 0.5).min(1.0);
            self.achieved_speed += (got - self.achieved_speed) * a;
        }
        let frame = self.sim.take_frame();
        self.rates.update(&frame);
        self.topology = frame.topology.clone();
        self.dropped_hops = frame.dropped_hops;
        if frame.trace_every != self.trace_every {
            self.trace_every = 0; // a rate changed (e.g. a scheduled fault): pick a round number again
        }
        self.retrace();
        if !self.reduced_motion {
            let speed = if dt > 0.0 && done > 0.0 {
                done / dt
            } else {
                self.speed as f64
            };
            self.dots
                .push_frame(&frame.hops, frame.now_s, self.wall_s, speed);
        }
        self.dots.retire(self.wall_s);
        frame
    }

    /// The legend's scale: "1 dot = 50 requests", or "≈" when the exact
    /// number is one off a round one.
    pub fn dot_scale(&self) -> String {
        if self.trace_every == 0 {
            String::new()
        } else if self.trace_every == self.trace_nice {
            format!("1 dot = {} requests", self.trace_every)
        } else {
            format!("1 dot ≈ {} requests", self.trace_nice)
        }
    }

    /// Whether the run keeps up with the speed asked for.
    pub fn slower_than_asked(&self) -> bool {
        !self.paused && self.achieved_speed < 0.85 * self.speed as f64
    }

    /// One simulated second (while paused).
    pub fn step(&mut self) {
        self.paused = true;
        self.sim.advance_by(1.0);
        self.catch_up();
    }

    /// After a jump in time (a step, a link's `t=`): the frame covering the
    /// jump gives the topology and every edge's mean rate.
    pub fn catch_up(&mut self) {
        let f = self.sim.take_frame();
        self.seed_rates();
        if f.span_s > 0.0 {
            self.rates.edges = f
                .flows
                .iter()
                .map(|x| ((x.from, x.to), x.count as f64 / f.span_s))
                .collect();
        }
        self.topology = f.topology;
    }

    /// Sets the edge rates from the last complete second (after a jump in time).
    pub fn seed_rates(&mut self) {
        let Some(l) = self.sim.history().last() else {
            return;
        };
        self.rates = EdgeRates::of_second(l, &self.sim.status());
    }

    pub fn set_speed(&mut self, speed: u32) {
        if codec::SPEEDS.contains(&speed) {
            self.speed = speed;
            self.achieved_speed = speed as f64;
            self.trace_every = 0;
            self.retrace();
        }
    }

    pub fn set_reduced_motion(&mut self, on: bool) {
        self.reduced_motion = on;
        self.trace_every = 0;
        if on {
            self.dots.clear();
        }
        self.retrace();
    }

    /// Every command so far: the scheduled ones and the ones applied live.
    pub fn commands(&self) -> Vec<ScheduledCommand> {
        share_scenario(&self.base, self.sim.applied_log()).faults
    }

    pub fn timeline(&self) -> Timeline {
        Timeline::at(&self.commands(), self.sim.now_s())
    }

    /// The commands run in the last `window_s` simulated seconds (scheduled
    /// faults and live changes): when, and what, for the charts' markers.
    pub fn chart_events(&self, window_s: f64) -> Vec<(f64, String)> {
        let now = self.sim.now_s();
        let mut out: Vec<(f64, String)> = self
            .commands()
            .into_iter()
            .filter(|c| c.at_s <= now && c.at_s >= now - window_s)
            .map(|c| (c.at_s, c.command.label()))
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }

    /// The next scheduled fault: in how many simulated seconds, and what.
    pub fn next_event(&self) -> Option<(f64, String)> {
        let now = self.sim.now_s();
        self.base
            .faults
            .iter()
            .filter(|c| c.at_s > now)
            .min_by(|a, b| a.at_s.total_cmp(&b.at_s))
            .map(|c| (c.at_s - now, c.command.label()))
    }

    /// The target hit rate in force (the last SetTargetHitRate, or the scenario's).
    pub fn target_hit_rate(&self) -> f64 {
        let now = self.sim.now_s();
        let mut cmds = self.commands();
        cmds.retain(|c| c.at_s <= now);
        cmds.iter()
            .rev()
            .find_map(|c| match c.command {
                Command::SetTargetHitRate { hit_rate } => Some(hit_rate),
                _ => None,
            })
            .unwrap_or(self.base.client.target_hit_rate)
    }

    /// Sets the target hit rate, or, when the browser's keyspace limit puts it
    /// out of reach (a lower hit rate needs more keys), the lowest target it
    /// allows at this RPS and TTL, whole percent. Returns the target set and,
    /// when it is not the one asked, why.
    pub fn apply_target_hit_rate(&mut self, wanted: f64) -> Result<(f64, Option<String>), String> {
        let st = self.sim.status();
        let keys = codec::keyspace_keys(&self.base, st.rps, wanted, st.ttl_s);
        if keys <= MAX_WEB_KEYS {
            self.apply(Command::SetTargetHitRate { hit_rate: wanted })?;
            return Ok((wanted, None));
        }
        let lowest = codec::lowest_reachable_hit_rate(&self.base, st.rps, st.ttl_s);
        let mut target = ((lowest * 100.0).ceil() / 100.0).max(wanted);
        while target < 0.99
            && codec::keyspace_keys(&self.base, st.rps, target, st.ttl_s) > MAX_WEB_KEYS
        {
            target += 0.01;
        }
        let note = format!(
            "a {} target hit rate needs {} keys at {} RPS with a {} s TTL, more than the browser version's {}: the lowest it reaches there is about {}, so the target is {}",
            crate::format::pct(wanted),
            crate::format::compact(keys as f64),
            crate::format::compact(st.rps),
            st.ttl_s,
            crate::format::compact(MAX_WEB_KEYS as f64),
            crate::format::pct(lowest),
            crate::format::pct(target)
        );
        self.apply(Command::SetTargetHitRate { hit_rate: target })?;
        Ok((target, Some(note)))
    }

    /// Applies a command now, within the browser's limits.
    pub fn apply(&mut self, cmd: Command) -> Result<(), String> {
        if let Command::SetTargetHitRate { hit_rate } = cmd {
            let st = self.sim.status();
            let keys = codec::keyspace_keys(&self.base, st.rps, hit_rate, st.ttl_s);
            if keys > MAX_WEB_KEYS {
                return Err(format!(
                    "a {:.0}% hit rate at {} RPS with a {} s TTL needs {keys} keys; the browser version builds at most {MAX_WEB_KEYS}",
                    hit_rate * 100.0,
                    st.rps,
                    st.ttl_s
                ));
            }
        }
        if let Command::SetRps { rps } | Command::KeyBusting { rate: rps } = cmd {
            if rps > codec::MAX_WEB_RPS {
                return Err(format!(
                    "{rps}/s is more than the browser version's {}/s",
                    codec::MAX_WEB_RPS
                ));
            }
        }
        // A scheduled command runs before the other events of its instant; a
        // live one after them. On a whole second (after a step) that would be
        // the second's tick, and a share link would not reproduce the run:
        // move one nanosecond on first.
        let now = self.sim.now();
        if now > 0 && now % 1_000_000_000 == 0 {
            self.sim.advance_by(1e-9);
        }
        self.sim.apply(cmd).map_err(|e| e.to_string())?;
        // a shard or the proxy may have come or gone: draw it at once
        self.topology = self.sim.topology_view();
        self.trace_every = 0;
        self.retrace();
        Ok(())
    }

    pub fn toggle_state(&self, t: Toggle) -> bool {
        let st = self.sim.status();
        match t {
            Toggle::HotKey => st.hot_key_rate > 0.0,
            Toggle::DropInvalidations => st.invalidation_failure > 0.0,
            Toggle::KeyBusting => st.attack_rate > 0.0,
            Toggle::SlowDb => st.db_slowdown != 1.0,
            Toggle::PodsUnhealthy => st.pods.iter().any(|p| p.active && !p.up),
            Toggle::FillMemory => self.timeline().fill_active,
        }
    }

    /// The command a toggle sends to switch on (`on`) or off.
    pub fn toggle_command(&self, t: Toggle, on: bool) -> Command {
        match t {
            Toggle::HotKey => {
                let mut c = preset_command(
                    "hot-key",
                    Command::HotKey {
                        rate: 8_000.0,
                        value_kb: 64.0,
                        shard: None,
                    },
                );
                if let Command::HotKey { rate, .. } = &mut c {
                    if !on {
                        *rate = 0.0;
                    }
                }
                c
            }
            Toggle::DropInvalidations => {
                if on {
                    preset_command(
                        "stale-invalidation",
                        Command::InvalidationFailure { probability: 0.5 },
                    )
                } else {
                    Command::InvalidationFailure { probability: 0.0 }
                }
            }
            Toggle::KeyBusting => {
                if on {
                    preset_command("key-busting", Command::KeyBusting { rate: 5_000.0 })
                } else {
                    Command::KeyBusting { rate: 0.0 }
                }
            }
            Toggle::SlowDb => {
                if on {
                    preset_command("db-slowdown", Command::DbSlowdown { factor: 3.0 })
                } else {
                    Command::DbSlowdown { factor: 1.0 }
                }
            }
            Toggle::PodsUnhealthy => {
                let active = self.sim.status().pods.iter().filter(|p| p.active).count() as u32;
                Command::PodsUnhealthy {
                    count: if on { active } else { 0 },
                }
            }
            Toggle::FillMemory => {
                if on {
                    preset_command(
                        "memory-full-noeviction",
                        Command::FillMemory {
                            fraction: 1.0,
                            shard: None,
                        },
                    )
                } else {
                    Command::ClearFill { shard: None }
                }
            }
        }
    }

    /// Switches a failure on or off; returns its new state.
    pub fn toggle(&mut self, t: Toggle) -> Result<bool, String> {
        let on = !self.toggle_state(t);
        self.apply(self.toggle_command(t, on))?;
        Ok(self.toggle_state(t))
    }

    /// The scenario a share link carries.
    pub fn share_scenario(&self) -> Scenario {
        share_scenario(&self.base, self.sim.applied_log())
    }

    pub fn share_query(&self) -> String {
        codec::share_query(&self.share_scenario())
    }

    /// The run as a scenario file (live changes as faults): what the page's
    /// "Save scenario" writes, and what `cachesim run --scenario` reads.
    pub fn scenario_file(&self) -> String {
        codec::scenario_file_json(&self.share_scenario())
    }

    pub fn explanation(&self) -> Explanation {
        let st = self.sim.status();
        explain::explain(&explain::Inputs {
            last: self.sim.history().last(),
            status: &st,
            caps: Capacities::of(&self.base),
            target_hit_rate: self.target_hit_rate(),
            timeline: self.timeline(),
            shard_reads: explain::shard_read_shares(
                self.sim
                    .history()
                    .tiers()
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev(),
                st.shards.len(),
            ),
            tier: self.sim.history().last_tier(),
        })
    }

    pub fn last(&self) -> Option<&SecondStats> {
        self.sim.history().last()
    }

    /// The JSON of `#state-json`.
    pub fn state_json(&self) -> String {
        self.state_value().to_string()
    }

    /// `#state-json` as a JSON value (the page adds its own timings).
    pub fn state_value(&self) -> serde_json::Value {
        let st = self.sim.status();
        let mut status = serde_json::to_value(&st).unwrap_or_default();
        // the V0 names (the whole cache tier), kept beside the per-shard rows
        status["cache_up"] = (!st.cache_down()).into();
        status["cache_keys"] = st.cache_keys().into();
        status["cache_memory_bytes"] = st.cache_memory_bytes().into();
        status["cache_max_bytes"] = st.cache_max_bytes().into();
        let (design, described) = cachesim_core::summary::describe(&st);
        let edge_rates: Vec<serde_json::Value> = self
            .topology
            .edges
            .iter()
            .map(|&(from, to)| serde_json::json!({ "from": from, "to": to, "rate": self.rates.edge(from, to) }))
            .collect();
        serde_json::json!({
            "design": design,
            "design_description": described,
            "topology": self.topology,
            "edge_rates": edge_rates,
            "now_s": self.sim.now_s(),
            "paused": self.paused,
            "speed": self.speed,
            "preset": self.preset,
            "status": status,
            "last": self.last(),
            "totals": Summary::of(&self.sim),
            "scenario": self.share_scenario(),
            "trace_every": self.trace_every,
            "achieved_speed": self.achieved_speed,
            "work_ms": self.last_work_ms,
        })
    }

    /// Every second of the history as CSV (`SecondStats::FIELDS` columns).
    pub fn csv(&self) -> String {
        let mut out = SecondStats::FIELDS.join(",");
        out.push('\n');
        for s in self.sim.history().iter() {
            let row: Vec<String> = s.values().iter().map(|v| v.to_string()).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_clock() -> impl FnMut() -> f64 {
        let mut t = 0.0;
        move || {
            t += 0.01;
            t
        }
    }

    #[test]
    fn frames_advance_by_wall_time_times_speed() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), Some("steady".into())).unwrap();
        let mut clock = fake_clock();
        for _ in 0..60 {
            d.frame(1.0 / 60.0, &mut clock);
        }
        assert!((d.sim.now_s() - 1.0).abs() < 1e-6, "{}", d.sim.now_s());
        assert_eq!(d.sim.history().len(), 1);
        assert!(d.rates.client_lb > 5_000.0, "{:?}", d.rates);
        assert!(!d.dots.is_empty());
        assert_eq!(
            d.trace_every, 201,
            "10K RPS at 1x: about 200 requests a dot, odd with 2 pods"
        );
        assert_eq!(d.dot_scale(), "1 dot ≈ 200 requests");
        let hops = d.sim.take_frame();
        let _ = hops;
        let mut pods_seen = std::collections::HashSet::new();
        for _ in 0..30 {
            for h in d.frame(1.0 / 60.0, &mut clock).hops {
                if h.to >= cachesim_core::frame::node::POD0 {
                    pods_seen.insert(h.to);
                }
            }
        }
        assert_eq!(pods_seen.len(), 2, "dots reach both pods");
        d.set_speed(10);
        d.frame(0.05, &mut clock);
        assert!((d.sim.now_s() - 2.0).abs() < 1e-6);
        assert_eq!(d.trace_every, 2001);
        d.paused = true;
        d.frame(0.05, &mut clock);
        assert!((d.sim.now_s() - 2.0).abs() < 1e-6);
        d.step();
        assert!((d.sim.now_s() - 3.0).abs() < 1e-6);
        // a long pause of the tab counts as one short frame
        d.paused = false;
        d.set_speed(1);
        d.frame(30.0, &mut clock);
        assert!((d.sim.now_s() - 3.1).abs() < 1e-6);
    }

    #[test]
    fn a_tight_budget_runs_slower_than_real_time() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        d.set_speed(100);
        d.budget_ms = 1.0;
        // a clock where every reading costs 0.5 ms: the budget stops the frame early
        let mut t = 0.0;
        let mut slow = move || {
            t += 0.5;
            t
        };
        for _ in 0..10 {
            d.frame(1.0 / 60.0, &mut slow);
        }
        assert!(d.sim.now_s() < 10.0 * 100.0 / 60.0);
        assert!(d.slower_than_asked());
    }

    /// Ten minutes in a background tab, then one frame: the run advances by
    /// at most one frame's worth (no huge catch-up), within the frame budget,
    /// and the page has words for it.
    #[test]
    fn a_long_hidden_gap_is_one_bounded_frame_not_a_catch_up() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        d.set_speed(100);
        let mut clock = fake_clock();
        d.frame(1.0 / 60.0, &mut clock);
        let before = d.sim.now_s();
        d.frame(600.0, &mut clock);
        let advanced = d.sim.now_s() - before;
        assert!(
            advanced <= MAX_FRAME_S * 100.0 + 1e-9,
            "advanced {advanced} s"
        );

        let notice = background_notice(600.0, d.sim.now_s());
        assert!(
            notice.contains("600 s") && notice.contains("paused"),
            "{notice}"
        );
    }

    #[test]
    fn toggles_switch_on_and_off() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        d.sim.advance_to(1.2);
        for t in Toggle::ALL {
            assert!(!d.toggle_state(t), "{t:?} starts off");
            assert!(d.toggle(t).unwrap(), "{t:?} on");
            d.sim.advance_by(0.1);
            assert!(!d.toggle(t).unwrap(), "{t:?} off");
        }
        assert_eq!(d.sim.applied_log().len(), 12);
        let st = d.sim.status();
        assert_eq!(st.hot_key_rate, 0.0);
        assert_eq!(st.db_slowdown, 1.0);
    }

    #[test]
    fn controls_change_the_run_and_the_link_reproduces_it() {
        let base = presets::preset("steady").unwrap();
        let mut d = Driver::new(base.clone(), Some("steady".into())).unwrap();
        d.paused = true;
        d.step();
        d.step();
        // on a whole second: the nudge keeps the replay exact
        d.apply(Command::SetRps { rps: 15_000.0 }).unwrap();
        d.step();
        d.apply(Command::CrashCache {
            shard: 0,
            host: false,
        })
        .unwrap();
        d.apply(Command::SetTtl { seconds: 60.0 }).unwrap();
        d.step();
        d.apply(Command::RestartCache { shard: 0 }).unwrap();
        d.step();
        assert_eq!(d.sim.status().rps, 15_000.0);
        assert_eq!(d.sim.status().ttl_s, 60.0);
        assert!(!d.sim.status().cache_down());
        let parsed = codec::parse_query(&d.share_query());
        assert!(parsed.problems.is_empty());
        let mut replay = Simulation::new(parsed.state.scenario).unwrap();
        replay.advance_to(d.sim.now_s());
        let a: Vec<_> = d.sim.history().iter().cloned().collect();
        let b: Vec<_> = replay.history().iter().cloned().collect();
        assert_eq!(a, b);
        assert_eq!(Summary::of(&d.sim), Summary::of(&replay));
    }

    #[test]
    fn the_browser_refuses_what_would_not_fit() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        d.apply(Command::SetTtl { seconds: 86_400.0 }).unwrap();
        d.apply(Command::SetRps { rps: 200_000.0 }).unwrap();
        let e = d
            .apply(Command::SetTargetHitRate { hit_rate: 0.99 })
            .unwrap_err();
        assert!(e.contains("keys"), "{e}");
        assert!(d.apply(Command::SetRps { rps: 600_000.0 }).is_err());
        assert!(
            d.apply(Command::SetPods { count: 0 }).is_err(),
            "the core's own validation"
        );
    }

    #[test]
    fn a_saved_scenario_file_replays_the_run() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), Some("steady".into())).unwrap();
        d.sim.advance_to(2.0);
        d.sim
            .apply(cachesim_core::Command::CrashCache {
                shard: 0,
                host: false,
            })
            .unwrap();
        d.sim.advance_to(4.0);
        let file = d.scenario_file();
        // what the CLI reads (Scenario::from_json) and what the page loads
        let loaded = codec::parse_scenario_json(&file).unwrap();
        assert_eq!(Scenario::from_json(&file).unwrap(), loaded);
        assert_eq!(loaded.faults.len(), 1, "the live crash is a fault at 2 s");
        assert_eq!(loaded.faults[0].at_s, 2.0);
        let mut replay = Driver::new(loaded, None).unwrap();
        replay.sim.advance_to(4.0);
        assert_eq!(replay.sim.totals(), d.sim.totals(), "the same run");
    }

    #[test]
    fn state_json_and_csv() {
        let mut d = Driver::new(
            presets::preset("cache-crash").unwrap(),
            Some("cache-crash".into()),
        )
        .unwrap();
        d.sim.advance_to(3.0);
        let v: serde_json::Value = serde_json::from_str(&d.state_json()).unwrap();
        for k in [
            "now_s", "paused", "speed", "preset", "status", "last", "totals", "scenario",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["preset"], "cache-crash");
        assert_eq!(v["status"]["cache_up"], true);
        assert_eq!(v["scenario"]["faults"].as_array().unwrap().len(), 2);
        assert_eq!(v["last"]["t_s"], 2);
        let csv = d.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].split(',').count(), SecondStats::FIELDS.len());
        assert_eq!(lines[1].split(',').count(), SecondStats::FIELDS.len());
        assert!(lines[0].starts_with("t_s,arrived"));
    }

    #[test]
    fn reduced_motion_traces_nothing() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        d.set_reduced_motion(true);
        let mut clock = fake_clock();
        for _ in 0..10 {
            let f = d.frame(1.0 / 60.0, &mut clock);
            assert!(f.hops.is_empty());
        }
        assert!(d.dots.is_empty());
        assert!(d.rates.client_lb > 0.0);
    }

    #[test]
    fn an_unreachable_target_becomes_the_lowest_reachable_one() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), Some("steady".into())).unwrap();
        let lowest = codec::lowest_reachable_hit_rate(&d.base, 10_000.0, 300.0);
        assert!((0.5..0.8).contains(&lowest), "{lowest}");
        let (set, note) = d.apply_target_hit_rate(0.5).unwrap();
        assert!(set >= lowest && set < lowest + 0.03, "{set} vs {lowest}");
        assert!(note.unwrap().contains("the lowest it reaches"));
        assert!((d.target_hit_rate() - set).abs() < 1e-12);
        let (set, note) = d.apply_target_hit_rate(0.9).unwrap();
        assert_eq!((set, note), (0.9, None));
    }

    #[test]
    fn the_dot_scale_follows_what_the_lb_lets_through() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), Some("steady".into())).unwrap();
        d.apply(Command::SetRps { rps: 200_000.0 }).unwrap();
        d.retrace();
        // 20K RPS get past the LB: about 60 dots a second behind it, not 6
        assert!(d.trace_every <= 503, "1 dot per {} requests", d.trace_every);
        assert!(20_000.0 / d.trace_every as f64 >= 30.0);
    }

    #[test]
    fn chart_events_and_the_next_one() {
        let mut d = Driver::new(
            presets::preset("cache-crash").unwrap(),
            Some("cache-crash".into()),
        )
        .unwrap();
        d.sim.advance_to(30.0);
        assert!(d.chart_events(120.0).is_empty());
        let (dt, what) = d.next_event().unwrap();
        assert!((dt - 30.0).abs() < 1e-9, "{dt}");
        assert!(what.to_lowercase().contains("crash"), "{what}");
        d.sim.advance_to(95.0);
        d.apply(Command::DbSlowdown { factor: 3.0 }).unwrap();
        d.sim.advance_to(96.0);
        let ev = d.chart_events(120.0);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0].0, 60.0);
        assert!(
            ev[2].0 > 95.0 && ev[2].1.to_lowercase().contains("slow"),
            "{ev:?}"
        );
        assert!(d.next_event().is_none());
    }
}
