//! The Architecture control (pure, tested natively): the ready-made designs
//! (V0: one Redis; V1: a proxy in front of three shards on a ring, with a
//! warm-up worker; V2: V1 with a replica per shard, an L1 in every pod and
//! an invalidation stream), the scenario a switch of design restarts with,
//! the command a click on one shard sends, and V2's live switches (reads
//! from replicas, the stream's consumer).

use crate::driver::Driver;
use cachesim_core::presets;
use cachesim_core::{Command, EvictionPolicy, Scenario, Status};

/// A ready-made design of the Architecture menu: the core's own (its
/// `name()` is the menu's option value, `topology()` what it builds).
pub use cachesim_core::compare::Design;

/// The menu's text for a design.
pub fn label(d: Design) -> &'static str {
    match d {
        Design::V0 => "V0: one Redis",
        Design::V1 => "V1: proxy + 3 shards",
        Design::V2 => "V2: V1 + replicas",
    }
}

/// The menu value for a running system: "v0", "v1" or "custom" (from the
/// core's own naming of the design).
pub fn design_value(st: &Status) -> &'static str {
    match cachesim_core::summary::describe(st).0.as_str() {
        "V0" => "v0",
        "V1" => "v1",
        "V2" => "v2",
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
            | Command::ReplicaReads { .. }
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
            s.name = format!("{} ({})", s.name, design.name())
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

/// Shard `i` has replicas and one of them is down while its primary runs
/// (a failed-over primary, or a crashed replica): the command that brings
/// it back (a full resync from the primary).
pub fn replica_rejoin(st: &Status, i: usize) -> Option<Command> {
    let s = st.shards.get(i)?;
    (s.up && s.replicas.iter().any(|r| !r.up)).then_some(Command::RestartCache { shard: i as u32 })
}

/// The stream button's next command: stop the consumer when it runs, start
/// it when stopped; `None` without a stream.
pub fn stream_command(st: &Status) -> Option<Command> {
    st.stream
        .as_ref()
        .map(|s| Command::StreamConsumer { on: !s.running })
}

/// The note shown after the stream's command.
pub fn stream_note(cmd: &Command) -> &'static str {
    match cmd {
        Command::StreamConsumer { on: false } => "The stream's consumer stopped: the DB's writes pile up as events and their DELs wait, so stale values live until the TTL (or the consumer runs again).",
        _ => "The stream's consumer runs again: it drains the backlog, deleting the stale keys.",
    }
}

/// The note shown after a shard's command: `before` and `after` are the
/// states either side of it.
pub fn shard_note(cmd: &Command, before: &Status, after: &Status) -> String {
    let shards = after.shards.len();
    let replicated = after.shards.first().is_some_and(|s| !s.replicas.is_empty());
    match cmd {
        Command::CrashCache { shard, .. } if replicated => {
            let when = after
                .shards
                .get(*shard as usize)
                .and_then(|s| s.failover_in_s)
                .map_or(String::new(), |t| format!(" in {t:.1} s"));
            format!(
                "Shard {shard}'s primary crashed: its replica keeps serving reads, the writes it had not copied yet are lost, and the cluster promotes it{when}."
            )
        }
        Command::RestartCache { shard } if replica_rejoin(before, *shard as usize).is_some() => {
            format!("Shard {shard}'s dead node rejoined as a replica, with a full copy of its primary.")
        }
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
    use cachesim_core::scenario::TopologyConfig;

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
        let crash = Command::CrashCache {
            shard: 1,
            host: false,
        };
        assert!(shard_note(&crash, &st, &st).contains("Shard 1"));
    }

    #[test]
    fn v2_fails_over_a_crashed_primary_and_its_node_rejoins() {
        let d0 = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        let (s, p) = switch_to(&d0, Design::V2);
        assert_eq!(p.as_deref(), Some("v2-steady"));
        let mut d = Driver::new(s, p).unwrap();
        assert_eq!(design_value(&d.sim.status()), "v2");
        d.sim.advance_to(3.0);
        let before = d.sim.status();
        assert_eq!(replica_rejoin(&before, 1), None, "nothing is down");
        let c = shard_click(&before, 1).unwrap();
        d.apply(c.clone()).unwrap();
        let st = d.sim.status();
        let left = st.shards[1].failover_in_s.expect("a countdown");
        assert!(left > 4.9 && left <= 5.0, "{left}");
        let note = shard_note(&c, &before, &st);
        assert!(note.contains("promotes it in 5.0 s"), "{note}");
        // reads go on from the replica while the countdown runs
        d.sim.advance_by(2.0);
        let st = d.sim.status();
        assert!(!st.shards[1].up && st.shards[1].replicas[0].up);
        let why = d.explanation().text;
        assert!(
            why.starts_with("Shard 1's primary is DOWN: its replica serves the shard's reads and is promoted in 3."),
            "{why}"
        );
        assert!((st.shards[1].failover_in_s.unwrap() - (left - 2.0)).abs() < 0.01);
        d.sim.advance_by(3.5);
        let st = d.sim.status();
        assert!(st.shards[1].up, "the replica was promoted");
        assert_eq!(st.shards[1].failover_in_s, None);
        assert!(
            !st.shards[1].replicas[0].up,
            "the dead node is the replica now"
        );
        let rejoin = replica_rejoin(&st, 1).expect("the dead node can rejoin");
        d.apply(rejoin.clone()).unwrap();
        let after = d.sim.status();
        assert!(shard_note(&rejoin, &st, &after).contains("rejoined as a replica"));
        assert!(after.shards[1].replicas[0].up);
        assert_eq!(replica_rejoin(&after, 1), None);
    }

    #[test]
    fn v2_switches_stop_the_stream_and_the_replica_reads() {
        let mut d = Driver::new(presets::preset("v2-steady").unwrap(), None).unwrap();
        d.sim.advance_to(2.0);
        let stop = stream_command(&d.sim.status()).unwrap();
        assert_eq!(stop, Command::StreamConsumer { on: false });
        d.apply(stop).unwrap();
        d.sim.advance_by(2.0);
        let st = d.sim.status();
        let s = st.stream.as_ref().unwrap();
        assert!(!s.running && s.backlog > 0, "{s:?}");
        assert_eq!(
            stream_command(&st),
            Some(Command::StreamConsumer { on: true })
        );
        d.apply(Command::ReplicaReads { on: false }).unwrap();
        assert!(!d.sim.status().replica_reads);
        assert_eq!(design_value(&d.sim.status()), "v2", "the design stays V2");
        // V0 has no stream: no button command
        let v0 = Driver::new(presets::preset("steady").unwrap(), None).unwrap();
        assert_eq!(stream_command(&v0.sim.status()), None);
        // a switch of design drops the replica-reads change, keeps the stopped consumer
        let (s, _) = switch_to(&d, Design::V2);
        assert!(!s
            .faults
            .iter()
            .any(|f| matches!(f.command, Command::ReplicaReads { .. })));
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
