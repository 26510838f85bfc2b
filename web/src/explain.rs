//! "What is happening": a short live explanation derived from the numbers,
//! with explicit rules, so a learner understands what the canvas shows.
//! Pure, tested natively.
//!
//! The text is a headline (the most important thing, with its cause when the
//! rules can tell it), then details that hold independently, e.g.
//! "DB at 5.1x capacity: thundering herd after the cache restart; connections
//! exhausted (200/200); p99 840 ms".

use crate::causes::{
    lb_rejected, pods_refused, rank_db_causes, DbCause, DbFacts, LB_REJECT_HEADLINE,
};
use crate::dbfig::DbFigures;
use crate::format::{compact, load, ms, pct, per_sec, secs, times};
use cachesim_core::metrics::TierSecond;
use cachesim_core::{Command, Scenario, ScheduledCommand, SecondStats, Status};

/// Seed thresholds (model facts): Redis CPU alert, memory alert and critical,
/// hit rate alarming, SLIs.
pub const CPU_ALERT: f64 = 0.60;
pub const CPU_SATURATED: f64 = 0.90;
pub const MEM_ALERT: f64 = 0.70;
pub const MEM_CRITICAL: f64 = 0.85;
pub const HIT_ALARM: f64 = 0.70;
pub const HIT_SLI: f64 = 0.80;
pub const SLI_HIT_P99_MS: f64 = 2.0;
pub const SLI_MISS_P99_MS: f64 = 30.0;
/// A restart counts as recent (for "thundering herd" and "warming up") for this long.
pub const RECENT_RESTART_S: f64 = 900.0;

/// How bad it is (the colour of the explanation box).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Bad,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Bad => "bad",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub level: Level,
    pub text: String,
}

/// What happened so far, from the scheduled faults and the live commands.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timeline {
    pub last_crash_s: Option<f64>,
    pub last_restart_s: Option<f64>,
    /// A batch job is filling memory (FillMemory not followed by ClearFill).
    pub fill_active: bool,
    /// The last change of how keys map to shards, and when.
    pub last_resize: Option<(f64, Resize)>,
}

/// A change that moves keys to another shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    Added,
    Removed,
    Router,
}

impl Timeline {
    /// From every command (scheduled or applied) up to `now_s`, in time order.
    pub fn at(commands: &[ScheduledCommand], now_s: f64) -> Timeline {
        let mut t = Timeline::default();
        let mut sorted: Vec<&ScheduledCommand> =
            commands.iter().filter(|c| c.at_s <= now_s).collect();
        sorted.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        for c in sorted {
            match &c.command {
                Command::CrashCache { .. } => t.last_crash_s = Some(c.at_s),
                Command::RestartCache { .. } => t.last_restart_s = Some(c.at_s),
                Command::FillMemory { fraction, .. } => t.fill_active = *fraction > 0.0,
                Command::ClearFill { .. } => t.fill_active = false,
                Command::AddShard => t.last_resize = Some((c.at_s, Resize::Added)),
                Command::RemoveShard => t.last_resize = Some((c.at_s, Resize::Removed)),
                Command::SetRouter { .. } => t.last_resize = Some((c.at_s, Resize::Router)),
                _ => {}
            }
        }
        t
    }
}

/// Capacities the rules compare against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capacities {
    /// Primary-key SELECTs per second the DB serves: workers / read service time.
    pub db_qps: f64,
    pub lb_rps: f64,
    pub max_inflight_per_pod: u32,
}

impl Capacities {
    pub fn of(s: &Scenario) -> Capacities {
        Capacities {
            db_qps: s.db.workers as f64 * 1000.0 / s.db.read_service_ms,
            lb_rps: s.lb.capacity_rps,
            max_inflight_per_pod: s.app.max_inflight_per_pod,
        }
    }
}

/// Everything the rules look at.
#[derive(Clone, Debug)]
pub struct Inputs<'a> {
    /// The last complete simulated second (None during the first second).
    pub last: Option<&'a SecondStats>,
    pub status: &'a Status,
    pub caps: Capacities,
    pub target_hit_rate: f64,
    pub timeline: Timeline,
    /// Each shard's share of the reads, as measured in the last second it
    /// and every other shard were up (`shard_read_shares`).
    pub shard_reads: Vec<f64>,
    /// The cache tier's last complete second (proxy, warm-up).
    pub tier: Option<&'a TierSecond>,
}

/// Each of `shards` shards' share of the reads in the last second when all
/// of them were up (newest first in `tiers_newest_first`); equal shares when
/// no such second is known.
pub fn shard_read_shares<'a>(
    tiers_newest_first: impl Iterator<Item = &'a TierSecond>,
    shards: usize,
) -> Vec<f64> {
    for t in tiers_newest_first {
        if t.shards.len() == shards && t.shards.iter().all(|s| s.up) {
            let total: u64 = t.shards.iter().map(|s| s.reads).sum();
            if total > 0 {
                return t
                    .shards
                    .iter()
                    .map(|s| s.reads as f64 / total as f64)
                    .collect();
            }
        }
    }
    vec![1.0 / shards.max(1) as f64; shards]
}

/// Why reads miss after a resize or a router change, with the new shard's
/// measured share of the reads.
fn resize_cause(i: &Inputs, what: Resize, ago_s: f64, hit: f64) -> String {
    let st = i.status;
    let router = if st.router == "ring" {
        "the ring"
    } else {
        "hash mod N"
    };
    let ago = secs(ago_s.max(0.0).round());
    let moved = match what {
        Resize::Added => {
            let n = st.shards.len().saturating_sub(1);
            let share = i.shard_reads.get(n).copied().unwrap_or(0.0);
            let others = if st.router == "ring" {
                ""
            } else {
                ", and hash mod N moved most other keys to another shard too"
            };
            format!(
                "shard {n} joined {ago} ago: {router} now sends it ~{} of reads, for keys it does not hold yet{others}",
                pct(share)
            )
        }
        Resize::Removed => format!(
            "a shard left {ago} ago: {router} sends its keys to the others, which do not hold them"
        ),
        Resize::Router => format!(
            "the router became {router} {ago} ago: keys whose shard changed are not where they are looked for"
        ),
    };
    format!(
        "{moved}, so they miss until they are refilled (hit rate {})",
        pct(hit)
    )
}

/// "shard 1", "shards 1 and 2", "shards 0, 1 and 2".
fn shard_list(ids: &[usize]) -> String {
    let names: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    match names.as_slice() {
        [one] => format!("Shard {one}"),
        [init @ .., last] => format!("Shards {} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// The work offered to the DB as a multiple of what its workers can do (1 =
/// every worker busy all the time). Served work is the workers' busy fraction;
/// offered work scales it by offered / served queries (the same mix assumed).
/// When nothing was served, offered queries against the SELECT capacity.
pub fn db_load(l: &SecondStats, select_capacity: f64) -> f64 {
    if l.db_queries > 0 {
        l.db_utilization * (l.db_offered.max(l.db_queries) as f64 / l.db_queries as f64)
    } else if select_capacity > 0.0 {
        l.db_offered as f64 / select_capacity
    } else {
        0.0
    }
}

fn error_kind(l: &SecondStats) -> &'static str {
    let kinds = [
        (l.err_pool_timeout, "waiting for a DB connection timed out"),
        (l.err_db_connections, "too many DB connections"),
        (l.err_timeout, "client timeouts"),
        (l.err_503, "503 from the load balancer"),
        (l.err_502, "502: no healthy pod"),
        (l.err_cache_oom, "writes refused with OOM"),
    ];
    kinds
        .iter()
        .max_by_key(|k| k.0)
        .map(|k| k.1)
        .unwrap_or("errors")
}

/// Applies the rules.
/// The error kind with the most errors in a second, in words, and its count.
fn dominant_error(l: &SecondStats) -> (&'static str, u64) {
    [
        ("503s (the LB or a pod over capacity)", l.err_503),
        ("502s (no healthy pod)", l.err_502),
        ("client timeouts", l.err_timeout),
        (
            "'too many connections' from PostgreSQL",
            l.err_db_connections,
        ),
        (
            "waits for a pooled DB connection that timed out",
            l.err_pool_timeout,
        ),
        ("writes refused by Redis (OOM)", l.err_cache_oom),
    ]
    .into_iter()
    .max_by_key(|&(_, n)| n)
    .expect("six kinds")
}

/// The longest a value stays stale in cache-aside's own race (a write's DB
/// reply, the pod's CPU, the SET's round trip: a few ms); older stale values
/// mean a lost invalidation, or the stream's lag.
const STALE_RACE_MS: u64 = 20;

pub fn explain(i: &Inputs) -> Explanation {
    let st = i.status;
    let Some(l) = i.last else {
        return Explanation {
            level: Level::Ok,
            text: "Starting: the first simulated second is not over yet.".into(),
        };
    };
    let active: Vec<_> = st.pods.iter().filter(|p| p.active).collect();
    let healthy = active.iter().filter(|p| p.healthy).count();
    let cap = i.caps.db_qps;
    let db_ratio = db_load(l, cap);
    let since_restart = i.timeline.last_restart_s.map(|t| st.now_s - t);
    let recent_restart = since_restart.is_some_and(|d| d <= RECENT_RESTART_S);
    let hit = l.hit_rate;
    let resized = i
        .timeline
        .last_resize
        .filter(|_| l.reads > 0)
        .filter(|(t, _)| st.now_s - t <= RECENT_RESTART_S && hit < i.target_hit_rate - 0.05)
        .filter(|(t, _)| i.timeline.last_restart_s.is_none_or(|r| r < *t));
    let coalescing = st.single_flight || st.proxy.as_ref().is_some_and(|p| p.single_flight);
    let db = DbFigures::of(Some(l), st, cap);
    let errors = l.failed;
    let mem = l.cache_memory_fraction;
    let lb_refused = lb_rejected(l, i.caps.lb_rps);
    let pods_full = pods_refused(l, i.caps.lb_rps);
    // the attack's misses against the misses the cold cache adds
    let attack_outweighs_warmup = st.attack_rate > 0.0
        && st.attack_rate >= (i.target_hit_rate - hit).max(0.0) * l.reads as f64 - st.attack_rate;

    let mut level = Level::Ok;
    let mut headline: String;
    let mut cause: Option<String> = None;
    let mut details: Vec<String> = Vec::new();
    // which facts the headline already states
    let mut said_cpu = false;
    let mut said_mem = false;
    let mut said_stale = false;
    let mut said_hit = false;
    let mut said_p99 = false;
    let mut said_waiters = false;

    if !active.is_empty() && healthy == 0 {
        level = Level::Bad;
        headline = "No healthy pod: the load balancer answers 502 to new requests".into();
        if active.iter().any(|p| p.inflight > 0) {
            headline.push_str("; work already inside the pods drains");
        }
    } else if let Some(text) =
        crate::pod_health_text::pods_down_text(&active, st.pod_unhealthy_threshold)
    {
        level = Level::Bad;
        headline = text;
    } else if let Some(s) = st
        .shards
        .iter()
        .find(|s| !s.up && s.replicas.iter().any(|r| r.up))
    {
        // V2: a dead primary's replica answers its reads until it is promoted
        level = Level::Warn;
        headline = format!(
            "Shard {}'s primary is DOWN: its replica serves the shard's reads{}; the writes it had not copied yet are lost",
            s.index,
            s.failover_in_s
                .map_or(String::new(), |t| format!(" and is promoted in {t:.1} s"))
        );
    } else if st.shards_down() > 0 && !st.cache_down() {
        let down: Vec<usize> = st
            .shards
            .iter()
            .filter(|s| !s.up)
            .map(|s| s.index)
            .collect();
        let share: f64 = down
            .iter()
            .map(|&d| i.shard_reads.get(d).copied().unwrap_or(0.0))
            .sum();
        // the shards still up hit as measured; every read of a down shard misses
        let missed = share + (1.0 - share) * (1.0 - hit);
        level = if db_ratio > 1.05 {
            Level::Bad
        } else {
            Level::Warn
        };
        said_hit = true;
        let (verb, it) = if down.len() == 1 {
            ("is", "it")
        } else {
            ("are", "them")
        };
        let router = if st.router == "ring" {
            "the ring"
        } else {
            "hash mod N"
        };
        headline = format!(
            "{} {verb} DOWN: the keys {router} maps to {it} (~{} of reads, measured before the crash) miss and fall through to PostgreSQL, so {} of reads miss now, not all of them as with one Redis",
            shard_list(&down),
            pct(share),
            pct(missed)
        );
        if db_ratio > 1.0 {
            headline.push_str(&format!("; PostgreSQL is at {}", load(db_ratio)));
        }
    } else if st.cache_down() && st.shards.len() > 1 {
        level = Level::Bad;
        headline =
            "Every Redis shard is DOWN: every read misses and falls through to PostgreSQL".into();
        if db_ratio > 1.0 {
            headline.push_str(&format!(", which is at {}", load(db_ratio)));
        }
    } else if st.cache_down() {
        level = Level::Bad;
        headline = "Redis is DOWN: every read misses and falls through to PostgreSQL".into();
        if db_ratio > 1.0 {
            headline.push_str(&format!(", which is at {}", load(db_ratio)));
        }
    } else if lb_refused as f64 > LB_REJECT_HEADLINE * l.arrived as f64 {
        // the LB turns away more than a tenth of the arrivals: everything
        // behind it sees only what it lets through
        level = Level::Bad;
        headline = format!(
            "The load balancer turns away {} of arrivals ({} of {}, 503): it forwards at most {} RPS, so the pods, Redis and PostgreSQL see only that",
            pct(lb_refused as f64 / l.arrived.max(1) as f64),
            per_sec(lb_refused as f64),
            per_sec(l.arrived as f64),
            compact(i.caps.lb_rps)
        );
        if db_ratio > 1.05 {
            headline.push_str(&format!("; PostgreSQL is at {}", load(db_ratio)));
        }
    } else if db_ratio > 1.05 {
        level = Level::Bad;
        headline = format!("DB at {}", load(db_ratio));
        let facts = DbFacts {
            resized: resized.is_some(),
            recent_restart,
            target_hit_rate: i.target_hit_rate,
        };
        let top = rank_db_causes(l, st, &facts)[0].0;
        cause = Some(match (top, resized) {
            (DbCause::Resize, Some((t, what))) => {
                said_hit = true;
                resize_cause(i, what, st.now_s - t, hit)
            }
            (DbCause::Herd, _) => {
                said_hit = true;
                format!(
                    "thundering herd after the cache restart (cold cache, hit rate {}; {})",
                    pct(hit),
                    if st.proxy.as_ref().is_some_and(|p| p.single_flight) {
                        "the proxy's single-flight lets one miss per key query the DB, but there are that many keys"
                    } else if coalescing {
                        "single-flight lets one miss per key and pod query the DB, but there are that many keys"
                    } else {
                        "no single-flight, so concurrent misses on one key all query the DB"
                    }
                )
            }
            (DbCause::Attack, _) => format!(
                "key-busting attack: {} never-seen keys always miss",
                per_sec(st.attack_rate)
            ),
            (DbCause::HotKey, _) => format!(
                "the hot key's {} reads: each time a write deletes or replaces it, they all miss until one backfill lands ({}), and the busy Redis (CPU {}) slows every request",
                per_sec(st.hot_key_rate),
                if st.single_flight {
                    "single-flight sends one query per pod"
                } else {
                    "no single-flight, so each miss queries the DB"
                },
                pct(l.cache_cpu)
            ),
            (DbCause::Slowdown, _) => format!(
                "every query takes {} longer, so the DB serves only ~{}",
                times(st.db_slowdown),
                per_sec(cap / st.db_slowdown)
            ),
            (DbCause::Oom, _) => {
                said_mem = true;
                "Redis memory is full: backfills fail with OOM, so the same keys miss again and again"
                    .into()
            }
            (DbCause::Evictions, _) => {
                said_hit = true;
                format!(
                    "allkeys-lru evicts {} keys because the working set does not fit in {}, so the hit rate falls to {} and the misses land on the DB",
                    per_sec(l.evictions as f64),
                    crate::format::bytes(st.cache_max_bytes() as f64),
                    pct(hit)
                )
            }
            _ => format!(
                "{} RPS is too much traffic for a {} hit rate",
                compact(st.rps + st.hot_key_rate),
                pct(hit)
            ),
        });
    } else if l.cache_cpu >= CPU_SATURATED {
        level = Level::Bad;
        said_cpu = true;
        headline = format!(
            "The single Redis thread is saturated (CPU {}): commands queue, so every request's latency rises",
            pct(l.cache_cpu)
        );
        if st.hot_key_rate > 0.0 {
            cause = Some(format!(
                "a hot key takes {} extra reads",
                per_sec(st.hot_key_rate)
            ));
        }
    } else if l.pod_cpu_max > 0.95 {
        // requests queue for a core; the pods' limit and the clients' timeout follow
        level = Level::Bad;
        said_p99 = true;
        headline = format!(
            "The pods' CPU is saturated ({} on the busiest pod): requests wait for a core, p99 {}; more pods would spread them",
            pct(l.pod_cpu_max),
            crate::format::ms(l.p99_ms)
        );
    } else if pods_full as f64 > 0.01 * l.arrived as f64 {
        // the pods refuse at their concurrency limit: the LB answers 503
        level = Level::Bad;
        headline = format!(
            "The pods are full: {} of requests get 503 ({}) because every pod already works on its {} concurrent requests",
            pct(pods_full as f64 / l.arrived.max(1) as f64),
            per_sec(pods_full as f64),
            compact(i.caps.max_inflight_per_pod as f64)
        );
    } else if l.set_oom > 0 && st.eviction == "noeviction" {
        level = Level::Bad;
        said_mem = true;
        headline = format!(
            "Redis memory is full with noeviction ({}): every SET fails with OOM, so misses are not cached and the hit rate decays as keys expire",
            pct(mem)
        );
    } else if l.evictions > 0 {
        level = if hit < HIT_ALARM {
            Level::Bad
        } else {
            Level::Warn
        };
        said_hit = true;
        headline = format!(
            "allkeys-lru evicts {} keys: the working set does not fit in {}, hit rate {}",
            per_sec(l.evictions as f64),
            crate::format::bytes(st.cache_max_bytes() as f64),
            pct(hit)
        );
    } else if l.stale_reads > 0 && (l.invalidation_failures > 0 || st.invalidation_failure > 0.0) {
        level = Level::Warn;
        said_stale = true;
        headline = match &st.stream {
            Some(s) if s.running => format!(
                "{} stale reads: lost invalidations leave old values in Redis until the invalidation stream repairs them (its lag, {} now)",
                per_sec(l.stale_reads as f64),
                crate::format::ms(s.lag_ms)
            ),
            _ => format!(
                "{} stale reads: lost invalidations leave old values in Redis until their TTL ({}) runs out",
                per_sec(l.stale_reads as f64),
                secs(st.ttl_s)
            ),
        };
    } else if l.arrived as f64 > i.caps.lb_rps {
        level = Level::Bad;
        headline = format!(
            "The load balancer is over its {} RPS capacity ({}): it queues, then answers 503",
            compact(i.caps.lb_rps),
            per_sec(l.arrived as f64)
        );
    } else if let Some((t, what)) = resized {
        level = Level::Warn;
        said_hit = true;
        let c = resize_cause(i, what, st.now_s - t, hit);
        let mut chars = c.chars();
        headline = chars.next().map_or(String::new(), |f| {
            f.to_uppercase().collect::<String>() + chars.as_str()
        });
    } else if recent_restart
        && l.reads > 0
        && hit < i.target_hit_rate - 0.05
        && !attack_outweighs_warmup
    {
        level = Level::Warn;
        said_hit = true;
        headline = format!(
            "Cache warming up after the restart: hit rate {} and climbing, each miss refills one key",
            pct(hit)
        );
    } else if st.attack_rate > 0.0 {
        level = Level::Warn;
        headline = format!(
            "Key-busting attack: {} reads of never-seen keys always miss and each costs a DB query",
            per_sec(st.attack_rate)
        );
    } else if errors * 100 > l.arrived {
        // never "Normal" while more than 1% of requests fail: name the largest kind
        level = Level::Bad;
        let (kind, n) = dominant_error(l);
        headline = format!(
            "{} of requests fail ({}), mostly {kind} ({})",
            pct(errors as f64 / l.arrived.max(1) as f64),
            per_sec(errors as f64),
            per_sec(n as f64)
        );
    } else if db_ratio > 0.9 && l.pool_waiters > 0 {
        // at capacity rather than over it, but a backlog is still waiting
        level = Level::Bad;
        said_waiters = true;
        headline = format!(
            "DB at {} with a backlog: {} requests wait for a pooled connection",
            load(db_ratio),
            compact(l.pool_waiters as f64)
        );
    } else if l.stale_reads * 1000 > l.reads && l.stale_age_max_ms > STALE_RACE_MS && !said_stale {
        // nor while stale values are being served: more than 0.1% of reads,
        // and older than the few milliseconds of cache-aside's own race (a
        // read between a write's DB update and its SET or DEL)
        level = Level::Warn;
        said_stale = true;
        let why = match (&st.stream, &st.l1) {
            (Some(s), _) if s.running => {
                "copies the invalidation stream has not reached yet (its lag)"
            }
            (Some(_), _) => {
                "the stopped stream's invalidations wait, so copies live until their TTL"
            }
            (None, Some(_)) => {
                "a lost invalidation leaves it until its TTL; pods' L1 copies live up to theirs"
            }
            // lost this second, or stale for longer than any queue holds a write
            (None, None) if l.invalidation_failures > 0 || l.stale_age_max_ms > 5_000 => {
                "a lost invalidation leaves it until its TTL"
            }
            // none lost: the writes' SETs and DELs are late
            (None, None) => {
                "a write's SET or DEL comes late, queued behind the pods' CPU or Redis' thread, and reads meanwhile get the old value"
            }
        };
        headline = format!(
            "Stale reads: {} return a value older than the DB's ({why})",
            per_sec(l.stale_reads as f64)
        );
    } else {
        headline = format!(
            "Normal: {} of reads hit Redis (p50 {}); misses, writes and direct requests offer PostgreSQL queries ({}), so its {} ({}; it serves about {} SELECTs)",
            pct(hit),
            ms(l.hit_p50_ms),
            db.query_words(),
            db.load_words().replacen("load ", "load is ", 1),
            db.worker_words(),
            per_sec(cap)
        );
        said_hit = true;
        said_p99 = l.p99_ms <= SLI_MISS_P99_MS;
        if said_p99 {
            headline.push_str(&format!("; p99 {}", ms(l.p99_ms)));
        }
        if l.stale_reads > 0 {
            said_stale = true;
            headline.push_str(&format!(
                "; {} stale for at most {} ms, cache-aside's own race (a read between a write's DB update and its SET or DEL)",
                per_sec(l.stale_reads as f64),
                l.stale_age_max_ms.max(1)
            ));
        }
    }

    // the LB's rejections are named whatever outranks them
    if lb_refused as f64 > LB_REJECT_HEADLINE * l.arrived as f64
        && !headline.contains("load balancer")
    {
        level = Level::Bad;
        let lb = format!(
            "the load balancer also turns away {} of arrivals (503, over its {} RPS)",
            pct(lb_refused as f64 / l.arrived.max(1) as f64),
            compact(i.caps.lb_rps)
        );
        match cause.as_mut() {
            Some(c) => {
                c.push_str("; ");
                c.push_str(&lb);
            }
            None => {
                headline.push_str("; ");
                headline.push_str(&lb);
            }
        }
    }
    // details, each independent of the headline
    // connections lent to requests, not those idle in a pool
    if db.exhausted() {
        level = level.max(Level::Bad);
        details.push(format!(
            "DB connections exhausted ({}/{} busy)",
            db.busy, db.max
        ));
    } else if db.busy_fraction() >= 0.7 {
        level = level.max(Level::Warn);
        details.push(db.connection_words());
    }
    if l.pool_waiters > 0 && !said_waiters {
        details.push(format!(
            "{} requests waiting for a pooled DB connection",
            compact(l.pool_waiters as f64)
        ));
    }
    if errors > 0 {
        level = level.max(if errors as f64 > 0.01 * l.arrived as f64 {
            Level::Bad
        } else {
            Level::Warn
        });
        // worded as the readout words it
        details.push(format!(
            "{} errors/s ({})",
            compact(errors as f64),
            error_kind(l)
        ));
    }
    if !said_p99 && l.p99_ms > SLI_MISS_P99_MS {
        level = level.max(Level::Warn);
        details.push(format!(
            "p99 {} (SLI: {} for a miss)",
            ms(l.p99_ms),
            ms(SLI_MISS_P99_MS)
        ));
    } else if l.hit_p99_ms > SLI_HIT_P99_MS && !st.cache_down() && !said_cpu {
        level = level.max(Level::Warn);
        details.push(format!(
            "cache-hit p99 {} (SLI: {})",
            ms(l.hit_p99_ms),
            ms(SLI_HIT_P99_MS)
        ));
    }
    if !said_hit && !st.cache_down() && l.reads > 0 && hit < HIT_ALARM {
        level = level.max(Level::Warn);
        details.push(format!(
            "hit rate {} (alarming below {})",
            pct(hit),
            pct(HIT_ALARM)
        ));
    }
    if !said_cpu && !st.cache_down() && l.cache_cpu >= CPU_ALERT {
        level = level.max(Level::Warn);
        let whose = match st.busiest_shard() {
            Some(b) if st.shards.len() > 1 => format!("Redis shard {}", b.index),
            _ => "Redis".to_string(),
        };
        details.push(format!(
            "{whose} CPU {} (alert at {})",
            pct(l.cache_cpu),
            pct(CPU_ALERT)
        ));
    }
    if !said_mem && !st.cache_down() {
        if mem >= MEM_CRITICAL {
            level = level.max(Level::Bad);
            details.push(format!(
                "Redis memory {} (critical at {})",
                pct(mem),
                pct(MEM_CRITICAL)
            ));
        } else if mem >= MEM_ALERT {
            level = level.max(Level::Warn);
            details.push(format!(
                "Redis memory {} (alert at {})",
                pct(mem),
                pct(MEM_ALERT)
            ));
        }
    }
    if !said_stale
        && l.stale_reads > 0
        && (l.invalidation_failures > 0 || st.invalidation_failure > 0.0)
    {
        details.push(format!("{} stale reads", per_sec(l.stale_reads as f64)));
    }
    if st.hot_key_rate > 0.0
        && cause.as_deref().is_none_or(|c| !c.contains("hot key"))
        && !headline.contains("hot key")
    {
        details.push(format!("hot key +{}", per_sec(st.hot_key_rate)));
    }
    if st.db_slowdown > 1.0 && cause.as_deref().is_none_or(|c| !c.contains("longer")) {
        details.push(format!("DB queries {} slower", times(st.db_slowdown)));
    }
    if !active.is_empty() && healthy > 0 && healthy < active.len() {
        details.push(format!("{} of {} pods healthy", healthy, active.len()));
    }
    if l.coalesced > 0 {
        let whose = if st.proxy.as_ref().is_some_and(|p| p.single_flight) {
            "the proxy's single-flight"
        } else {
            "single-flight"
        };
        details.push(format!(
            "{whose}: {} misses wait for a load of their key already running instead of querying",
            per_sec(l.coalesced as f64)
        ));
    }
    if let Some(p) = &st.proxy {
        let refused = i.tier.map_or(0, |t| t.proxy_refused);
        if refused > 0 {
            level = level.max(Level::Bad);
            details.push(format!(
                "the CacheProxyService refuses {} commands (its queue is full), which fall through to the DB",
                per_sec(refused as f64)
            ));
        } else if p.utilization >= CPU_SATURATED {
            level = level.max(Level::Warn);
            details.push(format!(
                "the CacheProxyService is {} busy",
                pct(p.utilization)
            ));
        }
    }
    details.extend(crate::mitigation_text::mitigation_notes(st, l));
    details.extend(crate::pod_health_text::autoscale_note(st));
    if let Some(w) = st.shards.iter().find(|s| s.warming) {
        details.push(format!(
            "the warm-up worker is loading shard {}'s hottest keys from the DB ({} so far)",
            w.index,
            compact(w.warmed_keys as f64)
        ));
    }
    if i.timeline.fill_active && !said_mem {
        details.push("a batch job is filling Redis with no-TTL keys".into());
    }

    let mut text = headline;
    if let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c);
    }
    if !details.is_empty() {
        text.push_str("; ");
        text.push_str(&details.join("; "));
    }
    text.push('.');
    Explanation { level, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachesim_core::{presets, Simulation};

    fn run(name: &str, t: f64) -> Explanation {
        run_scenario(presets::preset(name).unwrap(), t)
    }

    fn run_scenario(s: cachesim_core::Scenario, t: f64) -> Explanation {
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.advance_to(t);
        explain_now(&s, &sim)
    }

    /// The explanation of `sim` (running `s`) at its current time.
    fn explain_now(s: &cachesim_core::Scenario, sim: &Simulation) -> Explanation {
        let st = sim.status();
        explain(&Inputs {
            last: sim.history().last(),
            status: &st,
            caps: Capacities::of(s),
            target_hit_rate: s.client.target_hit_rate,
            timeline: Timeline::at(&s.faults, sim.now_s()),
            shard_reads: shard_read_shares(
                sim.history().tiers().collect::<Vec<_>>().into_iter().rev(),
                st.shards.len(),
            ),
            tier: sim.history().last_tier(),
        })
    }

    #[test]
    fn steady_is_normal() {
        let e = run("steady", 5.0);
        assert_eq!(e.level, Level::Ok, "{}", e.text);
        assert!(
            e.text.starts_with("Normal: 85% of reads hit Redis"),
            "{}",
            e.text
        );
        assert!(
            e.text.contains("it serves about 2K/s SELECTs"),
            "{}",
            e.text
        );
    }

    /// Rules over the page's own numbers, for every preset at every 10th
    /// second of its run: the headline never says "Normal" while more than
    /// 1% of requests fail or stale values older than cache-aside's own race
    /// are being served (the race's are named in "Normal").
    #[test]
    fn the_headline_never_says_normal_during_a_failure() {
        for p in presets::PRESETS {
            let s = presets::preset(p.name).unwrap();
            let mut sim = Simulation::new(s.clone()).unwrap();
            let mut t = 5.0;
            while t <= s.duration_s.min(240.0) {
                sim.advance_to(t);
                let e = explain_now(&s, &sim);
                let l = sim.history().last().unwrap();
                let normal = e.text.starts_with("Normal");
                let failing = l.failed * 100 > l.arrived;
                let stale = l.stale_reads * 1000 > l.reads && l.stale_age_max_ms > STALE_RACE_MS;
                assert!(
                    !(normal && (failing || stale)),
                    "{} at {t} s: {} failed of {}, {} stale: {}",
                    p.name,
                    l.failed,
                    l.arrived,
                    l.stale_reads,
                    e.text
                );
                let lb = crate::causes::lb_rejected(l, s.lb.capacity_rps);
                assert!(
                    lb * 10 <= l.arrived || e.text.contains("load balancer"),
                    "{} at {t} s: the LB turns away {lb} of {}: {}",
                    p.name,
                    l.arrived,
                    e.text
                );
                assert!(
                    l.reads > 0 || !e.text.contains("hit rate 0%"),
                    "{} at {t} s: {}",
                    p.name,
                    e.text
                );
                t += 10.0;
            }
        }
    }

    #[test]
    fn the_first_second_says_starting() {
        let e = run("steady", 0.5);
        assert!(e.text.starts_with("Starting"), "{}", e.text);
    }

    #[test]
    fn cache_crash_then_thundering_herd() {
        let down = run("cache-crash", 70.0);
        assert_eq!(down.level, Level::Bad);
        assert!(down.text.starts_with("Redis is DOWN"), "{}", down.text);
        assert!(
            down.text
                .contains("DB connections exhausted (200/200 busy)"),
            "{}",
            down.text
        );
        // the DB's load is worded as the readout and the canvas word it
        let s = presets::preset("cache-crash").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.advance_to(70.0);
        let l = sim.history().last().unwrap();
        let load = crate::format::load(db_load(l, Capacities::of(&s).db_qps));
        assert!(load.ends_with("x capacity"), "{load}");
        assert!(
            down.text.contains(&format!("which is at {load}")),
            "{}",
            down.text
        );
        let herd = run("cache-crash", 95.0);
        assert_eq!(herd.level, Level::Bad);
        assert!(herd.text.starts_with("DB at "), "{}", herd.text);
        assert!(
            herd.text
                .contains("thundering herd after the cache restart"),
            "{}",
            herd.text
        );
        assert!(herd.text.contains("p99"), "{}", herd.text);
    }

    #[test]
    fn faults_name_their_cause() {
        assert!(run("db-slowdown", 40.0).text.contains("3.0x"));
        assert!(run("key-busting", 40.0)
            .text
            .to_lowercase()
            .contains("key-busting"));
        let hot = run("hot-key", 40.0);
        assert!(hot.text.contains("hot key"), "{}", hot.text);
        let lru = run("memory-full-lru", 60.0);
        assert!(lru.text.contains("evict"), "{}", lru.text);
        let oom = run("memory-full-noeviction", 60.0);
        assert!(oom.text.contains("OOM"), "{}", oom.text);
        let stale = run("stale-invalidation", 60.0);
        assert!(stale.text.contains("stale"), "{}", stale.text);
    }

    #[test]
    fn a_backlog_at_capacity_is_not_normal() {
        let s = presets::preset("steady").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.advance_to(1.5);
        let st = sim.status();
        let mut l = sim.history().last().unwrap().clone();
        // the DB just at capacity, with requests still queued for connections
        l.db_utilization = 1.0;
        l.db_offered = l.db_queries;
        l.pool_waiters = 1_300;
        let e = explain(&Inputs {
            last: Some(&l),
            status: &st,
            caps: Capacities::of(&s),
            target_hit_rate: s.client.target_hit_rate,
            timeline: Timeline::default(),
            shard_reads: vec![1.0],
            tier: None,
        });
        assert!(
            e.text
                .starts_with("DB at 1.0x capacity with a backlog: 1.3K requests wait"),
            "{}",
            e.text
        );
        assert_eq!(e.level, Level::Bad);
        assert_eq!(e.text.matches("pooled").count(), 1, "said once: {}", e.text);
    }

    #[test]
    fn lost_invalidations_last_the_ttl_in_v0_and_the_stream_lag_in_v2() {
        let v0 = run("stale-invalidation", 40.0).text;
        assert!(v0.contains("until their TTL"), "{v0}");
        let v2 = run("v2-lost-invalidation", 40.0).text;
        assert!(v2.contains("stream repairs them"), "{v2}");
        assert!(!v2.contains("until their TTL"), "{v2}");
    }

    #[test]
    fn single_flight_is_named_when_it_coalesces() {
        let mut s = presets::preset("hot-key").unwrap();
        s.app.single_flight = true;
        let on = run_scenario(s, 40.0);
        assert!(on.text.contains("misses wait for a load"), "{}", on.text);
        assert!(!run("hot-key", 40.0).text.contains("misses wait for a load"));
    }

    #[test]
    fn synthetic_rules() {
        let s = presets::preset("steady").unwrap();
        let mut sim = Simulation::new(s.clone()).unwrap();
        sim.advance_to(1.5);
        let mut st = sim.status();
        let mut l = sim.history().last().unwrap().clone();
        let caps = Capacities::of(&s);
        assert_eq!(caps.db_qps, 2000.0);
        let mk = |l: &SecondStats, st: &Status| {
            explain(&Inputs {
                last: Some(l),
                status: st,
                caps,
                target_hit_rate: 0.85,
                timeline: Timeline::default(),
                shard_reads: vec![1.0],
                tier: None,
            })
        };
        // Redis memory thresholds
        l.cache_memory_fraction = 0.75;
        assert!(mk(&l, &st).text.contains("Redis memory 75% (alert at 70%)"));
        l.cache_memory_fraction = 0.9;
        let e = mk(&l, &st);
        assert!(e.text.contains("critical at 85%"));
        assert_eq!(e.level, Level::Bad);
        l.cache_memory_fraction = 0.01;
        // CPU alert and saturation
        l.cache_cpu = 0.65;
        assert!(mk(&l, &st).text.contains("Redis CPU 65% (alert at 60%)"));
        l.cache_cpu = 0.97;
        assert!(mk(&l, &st)
            .text
            .starts_with("The single Redis thread is saturated"));
        l.cache_cpu = 0.2;
        // no healthy pod
        for p in st.pods.iter_mut() {
            p.healthy = false;
        }
        let e = mk(&l, &st);
        assert!(
            e.text
                .starts_with("No healthy pod: the load balancer answers 502 to new requests"),
            "{}",
            e.text
        );
        for p in st.pods.iter_mut() {
            p.healthy = true;
        }
        // errors are named by their main kind
        l.failed = 500;
        l.err_pool_timeout = 400;
        l.err_timeout = 100;
        let e = mk(&l, &st);
        assert!(
            e.text
                .contains("500 errors/s (waiting for a DB connection timed out)"),
            "{}",
            e.text
        );
        // DB overload by traffic
        l.failed = 0;
        l.db_utilization = 1.0;
        l.db_offered = 2 * l.db_queries;
        let e = mk(&l, &st);
        assert!(
            e.text
                .starts_with("DB at 2.0x capacity: 10K RPS is too much traffic"),
            "{}",
            e.text
        );
    }

    #[test]
    fn timeline_tracks_restarts_and_fill() {
        let cmds = vec![
            ScheduledCommand {
                at_s: 60.0,
                command: Command::CrashCache {
                    shard: 0,
                    host: false,
                },
            },
            ScheduledCommand {
                at_s: 90.0,
                command: Command::RestartCache { shard: 0 },
            },
            ScheduledCommand {
                at_s: 10.0,
                command: Command::FillMemory {
                    fraction: 1.0,
                    shard: None,
                },
            },
            ScheduledCommand {
                at_s: 100.0,
                command: Command::ClearFill { shard: None },
            },
        ];
        let t = Timeline::at(&cmds, 95.0);
        assert_eq!(t.last_crash_s, Some(60.0));
        assert_eq!(t.last_restart_s, Some(90.0));
        assert!(t.fill_active);
        assert!(!Timeline::at(&cmds, 100.0).fill_active);
        assert_eq!(Timeline::at(&cmds, 50.0).last_crash_s, None);
    }

    #[test]
    fn a_down_shard_is_named_with_its_measured_share() {
        let e = run("v1-shard-crash", 64.0);
        assert!(
            e.text
                .starts_with("Shard 1 is DOWN: the keys the ring maps to it (~"),
            "{}",
            e.text
        );
        // its share of the reads and the reads that miss now, both measured
        let pcts: Vec<f64> = e
            .text
            .split('%')
            .filter_map(|t| {
                t.rsplit(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert!(
            (0.2..0.5).contains(&(pcts[0] / 100.0)),
            "{pcts:?} {}",
            e.text
        );
        assert!(pcts[1] > pcts[0] && pcts[1] < 70.0, "{pcts:?} {}", e.text);
        assert!(!e.text.contains("Redis is DOWN"));
        assert_eq!(shard_list(&[1, 2]), "Shards 1 and 2");
        assert_eq!(shard_list(&[0, 1, 2]), "Shards 0, 1 and 2");
        // V0's wording stays
        assert!(run("cache-crash", 64.0).text.starts_with("Redis is DOWN"));
    }

    #[test]
    fn a_resize_says_which_keys_moved() {
        let e = run("v1-resize", 62.0);
        assert!(
            e.text
                .contains("shard 3 joined 2 s ago: the ring now sends it ~"),
            "{}",
            e.text
        );
        assert!(
            e.text.contains("so they miss until they are refilled"),
            "{}",
            e.text
        );
        let e = run("v1-shard-crash", 95.0);
        assert!(
            e.text
                .contains("the proxy's single-flight lets one miss per key"),
            "{}",
            e.text
        );
    }

    /// The explanation after applying `cmds` at `at_s` to `s`, at `t`.
    fn run_with(mut s: cachesim_core::Scenario, cmds: &[(f64, Command)], t: f64) -> Explanation {
        s.faults
            .extend(cmds.iter().map(|(at_s, c)| ScheduledCommand {
                at_s: *at_s,
                command: c.clone(),
            }));
        run_scenario(s, t)
    }

    #[test]
    fn a_lost_pod_is_502s_first_then_a_saturated_survivor() {
        let s = presets::preset("pod-loss").unwrap();
        let e = run_scenario(s.clone(), 35.0);
        assert!(e.text.starts_with("1 pod is down"), "{}", e.text);
        let e = run_scenario(s, 80.0);
        assert!(
            e.text.starts_with("The pods' CPU is saturated"),
            "{}",
            e.text
        );
        // with autoscaling on, the note counts the minutes towards a scale-out
        let e = run_scenario(presets::preset("pod-loss-autoscale").unwrap(), 200.0);
        assert!(e.text.contains("Autoscaling: 2 of 3 minutes"), "{}", e.text);
    }

    #[test]
    fn an_lb_turning_away_a_tenth_is_the_headline() {
        let e = run_with(
            presets::preset("steady").unwrap(),
            &[(2.0, Command::SetRps { rps: 200_000.0 })],
            8.0,
        );
        assert!(
            e.text.starts_with("The load balancer turns away "),
            "{}",
            e.text
        );
        assert!(!e.text.contains("too much traffic for a"), "{}", e.text);
        assert_eq!(e.level, Level::Bad);
    }

    #[test]
    fn no_hit_rate_alarm_without_reads() {
        let e = run_with(
            presets::preset("steady").unwrap(),
            &[(2.0, Command::PodsUnhealthy { count: 2 })],
            8.0,
        );
        // the LB still routes to them: its checks have not failed 3 times yet
        assert!(e.text.starts_with("2 pods are down"), "{}", e.text);
        assert!(!e.text.to_lowercase().contains("hit rate"), "{}", e.text);
        let e = run_with(
            presets::preset("steady").unwrap(),
            &[(2.0, Command::PodsUnhealthy { count: 2 })],
            20.0,
        );
        assert!(e.text.starts_with("No healthy pod"), "{}", e.text);
        assert!(!e.text.to_lowercase().contains("hit rate"), "{}", e.text);
    }

    #[test]
    fn a_later_fault_replaces_the_herd_in_the_headline() {
        // the herd first...
        let herd = run("cache-crash", 95.0);
        assert!(herd.text.contains("thundering herd"), "{}", herd.text);
        // ...then a slow DB switched on after the restart is named instead
        let slow = run_with(
            presets::preset("cache-crash").unwrap(),
            &[(100.0, Command::DbSlowdown { factor: 3.0 })],
            115.0,
        );
        assert!(
            slow.text.contains("every query takes 3.0x longer"),
            "{}",
            slow.text
        );
        assert!(!slow.text.contains("thundering herd"), "{}", slow.text);
        // ...and so is an attack once it adds more misses than the cold cache
        let attack = run_with(
            presets::preset("cache-crash").unwrap(),
            &[(100.0, Command::KeyBusting { rate: 5_000.0 })],
            150.0,
        );
        assert!(
            attack.text.to_lowercase().contains("key-busting"),
            "{}",
            attack.text
        );
        assert!(!attack.text.contains("thundering herd"), "{}", attack.text);
    }

    #[test]
    fn full_pods_are_named() {
        // pods that take 3 requests at a time refuse some of 5K RPS each,
        // with the DB far from saturated
        let mut s = presets::preset("steady").unwrap();
        s.app.max_inflight_per_pod = 3;
        let e = run_scenario(s, 10.0);
        assert!(e.text.starts_with("The pods are full: "), "{}", e.text);
        assert!(e.text.contains("3 concurrent requests"), "{}", e.text);
    }

    #[test]
    fn no_warm_up_claim_in_a_second_without_reads() {
        // restarted, then every pod unhealthy: the last second has no reads
        let e = run_with(
            presets::preset("steady").unwrap(),
            &[
                (
                    2.0,
                    Command::CrashCache {
                        shard: 0,
                        host: false,
                    },
                ),
                (3.0, Command::RestartCache { shard: 0 }),
                (5.0, Command::PodsUnhealthy { count: 2 }),
            ],
            22.0,
        );
        assert!(e.text.starts_with("No healthy pod"), "{}", e.text);
        // and right after they are healthy again, before a second with reads
        let e = run_with(
            presets::preset("steady").unwrap(),
            &[
                (
                    2.0,
                    Command::CrashCache {
                        shard: 0,
                        host: false,
                    },
                ),
                (3.0, Command::RestartCache { shard: 0 }),
                (5.0, Command::PodsUnhealthy { count: 2 }),
                (8.2, Command::PodsUnhealthy { count: 0 }),
            ],
            8.5,
        );
        assert!(!e.text.contains("hit rate 0%"), "{}", e.text);
        assert!(!e.text.starts_with("Cache warming up"), "{}", e.text);
    }
}
