//! The Architecture control (pure, tested natively): the ready-made designs
//! (V0: one Redis; V1: a proxy in front of three shards on a ring, with a
//! warm-up worker), the scenario a switch of design restarts with, and the
//! command a click on one shard sends.

use crate::driver::Driver;
use cachesim_core::presets;
use cachesim_core::scenario::TopologyConfig;
use cachesim_core::{Command, EvictionPolicy, Scenario, Status};

/// A ready-made design of the Architecture menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    V0,
    V1,
}

impl Design {
    pub const ALL: [Design; 2] = [Design::V0, Design::V1];

    /// The menu's option value.
    pub fn value(self) -> &'static str {
        match self {
            Design::V0 => "v0",
            Design::V1 => "v1",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Design::V0 => "V0: one Redis",
            Design::V1 => "V1: proxy + 3 shards",
        }
    }

    pub fn parse(value: &str) -> Option<Design> {
        Design::ALL.into_iter().find(|d| d.value() == value)
    }

    pub fn topology(self) -> TopologyConfig {
        match self {
            Design::V0 => TopologyConfig::v0(),
            Design::V1 => TopologyConfig::v1(),
        }
    }
}

/// The menu value for a running system: "v0", "v1" or "custom" (from the
/// core's own naming of the design).
pub fn design_value(st: &Status) -> &'static str {
    match cachesim_core::summary::describe(st).0.as_str() {
        "V0" => "v0",
        "V1" => "v1",
        _ => "custom",
    }
}

/// Commands that change the architecture itself (a new design replaces them).
fn builds_architecture(c: &Command) -> bool {
    matches!(
        c,
        Command::AddShard
            | Command::RemoveShard
            | Command::SetRouter { .. }
            | Command::SetProxy { .. }
            | Command::ProxySingleFlight { .. }
            | Command::Warmup { .. }
    )
}

/// The shard a command names, if it names one.
fn named_shard(c: &Command) -> Option<u32> {
    match c {
        Command::CrashCache { shard, .. } | Command::RestartCache { shard } => Some(*shard),
        Command::HotKey { shard, .. }
        | Command::SetMemory { shard, .. }
        | Command::FillMemory { shard, .. }
        | Command::ClearFill { shard } => *shard,
        _ => None,
    }
}

/// The scenario a switch to `design` restarts with: the run's base with the
/// live settings in force (traffic, target hit rate, TTL, memory per shard,
/// eviction, pods, single-flight) and the new topology; scheduled faults
/// stay unless they build an architecture or name a shard the design lacks.
/// Also the preset it equals, if any.
pub fn switch_to(d: &Driver, design: Design) -> (Scenario, Option<String>) {
    let st = d.sim.status();
    let mut s = d.base.clone();
    s.topology = design.topology();
    s.client.rps = st.rps;
    s.client.target_hit_rate = d.target_hit_rate();
    s.cache.ttl_s = st.ttl_s;
    if let Some(max) = st.shards.iter().map(|x| x.max_bytes).max() {
        s.cache.memory_gb = max as f64 / (1024.0 * 1024.0 * 1024.0);
    }
    s.cache.eviction = if st.eviction == "allkeys-lru" {
        EvictionPolicy::AllkeysLru
    } else {
        EvictionPolicy::Noeviction
    };
    s.app.pods = st.pods.iter().filter(|p| p.active).count().max(1) as u32;
    s.app.single_flight = st.single_flight;
    let shards = s.topology.shards;
    s.faults.retain(|f| {
        !builds_architecture(&f.command) && named_shard(&f.command).is_none_or(|i| i < shards)
    });
    match matching_preset(&s) {
        Some((name, preset)) => (preset, Some(name)),
        None => {
            s.name = format!("{} ({})", s.name, design.value())
                .trim_start()
                .to_string();
            (s, None)
        }
    }
}

/// The preset `s` is (with its seed; name and description aside), if it is one.
pub fn matching_preset(s: &Scenario) -> Option<(String, Scenario)> {
    presets::PRESETS.iter().find_map(|p| {
        let mut q = presets::preset(p.name)?;
        q.seed = s.seed;
        let same = Scenario {
            name: q.name.clone(),
            description: q.description.clone(),
            ..s.clone()
        } == q;
        same.then(|| (p.name.to_string(), q))
    })
}

/// What a click on shard `i` does: crash it when it is up, restart it (cold)
/// when it is down; `None` for a shard that does not exist.
pub fn shard_click(st: &Status, i: usize) -> Option<Command> {
    let s = st.shards.get(i)?;
    let shard = i as u32;
    Some(if s.up {
        Command::CrashCache { shard, host: false }
    } else {
        Command::RestartCache { shard }
    })
}

/// The note shown after a shard's command.
pub fn shard_note(cmd: &Command, shards: usize) -> String {
    match cmd {
        Command::CrashCache { shard, .. } if shards > 1 => format!(
            "Shard {shard} crashed: its keys are lost, and the reads the router sends to it miss and fall through to the DB."
        ),
        Command::RestartCache { shard } if shards > 1 => {
            format!("Shard {shard} restarted empty (cold): its keys refill from the DB.")
        }
        Command::CrashCache { .. } => "Redis crashed: every key is lost.".into(),
        _ => "Redis restarted empty (cold): watch the misses fall on the DB.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_designs_keeps_the_settings() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), Some("steady".into())).unwrap();
        assert_eq!(design_value(&d.sim.status()), "v0");
        let (s, p) = switch_to(&d, Design::V1);
        assert_eq!(s.topology, TopologyConfig::v1());
        assert_eq!(
            p.as_deref(),
            Some("v1-steady"),
            "steady in V1 is the v1-steady preset"
        );
        d.apply(Command::SetRps { rps: 12_000.0 }).unwrap();
        let (s, p) = switch_to(&d, Design::V1);
        assert_eq!(s.client.rps, 12_000.0);
        assert_eq!(p, None);
        let mut v1 = Driver::new(s, p).unwrap();
        assert_eq!(design_value(&v1.sim.status()), "v1");
        assert_eq!(v1.sim.status().shards.len(), 3);
        v1.apply(Command::SetRouter {
            router: cachesim_core::router::RouterKind::ModN,
        })
        .unwrap();
        assert_eq!(design_value(&v1.sim.status()), "custom");
        // back to V0: the shard-naming crash of v1-shard-crash cannot stay
        let crash = Driver::new(presets::preset("v1-shard-crash").unwrap(), None).unwrap();
        let (s, _) = switch_to(&crash, Design::V0);
        assert!(s
            .faults
            .iter()
            .all(|f| named_shard(&f.command).is_none_or(|i| i == 0)));
        assert!(Driver::new(s, None).is_ok());
    }

    #[test]
    fn a_click_crashes_then_restarts_one_shard() {
        let mut d = Driver::new(presets::preset("v1-steady").unwrap(), None).unwrap();
        d.sim.advance_to(1.5);
        let c = shard_click(&d.sim.status(), 1).unwrap();
        assert_eq!(
            c,
            Command::CrashCache {
                shard: 1,
                host: false
            }
        );
        d.apply(c).unwrap();
        let st = d.sim.status();
        assert!(!st.shards[1].up && st.shards[0].up && !st.cache_down());
        assert_eq!(
            shard_click(&st, 1),
            Some(Command::RestartCache { shard: 1 })
        );
        assert_eq!(shard_click(&st, 3), None);
        assert!(shard_note(
            &Command::CrashCache {
                shard: 1,
                host: false
            },
            3
        )
        .contains("Shard 1"));
    }

    #[test]
    fn the_core_refuses_what_does_not_exist_and_the_run_goes_on() {
        let mut d = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        let e = d
            .apply(Command::CrashCache {
                shard: 9,
                host: false,
            })
            .unwrap_err();
        assert!(e.contains("shard"), "{e}");
        assert!(
            d.apply(Command::RemoveShard).is_err(),
            "V0 keeps its one Redis"
        );
        for _ in 0..15 {
            d.apply(Command::AddShard).unwrap();
        }
        assert_eq!(d.topology.count(cachesim_core::frame::NodeKind::Shard), 16);
        assert!(d.apply(Command::AddShard).is_err(), "16 shards at most");
        d.sim.advance_by(0.5);
    }
}
