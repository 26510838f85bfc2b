//! A shaped Redis: every cache command is a Lua script (`EVALSHA`) that runs
//! the real `GET` / `SET key value EX ttl` / `DEL` with `redis.call` and then
//! spins a calibrated number of iterations, so that each command costs
//! Redis' single thread a known ~0.4 ms of CPU. Redis then saturates at a
//! few thousand commands/s, which the open-loop generator drives for far
//! less CPU per command than Redis spends (the plain commands cost both
//! about the same, and two shared cores never saturated Redis:
//! `docs/calibration.md`). As `pg_sleep` shapes the DB, this shapes Redis;
//! unlike `pg_sleep`, the spin is CPU, so the thread is busy, not waiting.

use anyhow::{bail, Context, Result};
use cachesim_core::rng::Stream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `KEYS[1]` the key; `ARGV`: spin iterations, verb, value, TTL seconds.
pub const SCRIPT: &str = "\
local n = tonumber(ARGV[1])
local x = 0
for i = 1, n do x = x + i end
local verb = ARGV[2]
if verb == 'GET' then return redis.call('GET', KEYS[1])
elseif verb == 'SET' then return redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
else return redis.call('DEL', KEYS[1]) end";

/// The same spin and GET between two `TIME`s: returns the microseconds
/// the command took inside Redis, wall clock (preemption included).
pub const TIMED_SCRIPT: &str = "\
local t0 = redis.call('TIME')
local n = tonumber(ARGV[1])
local x = 0
for i = 1, n do x = x + i end
redis.call('GET', KEYS[1])
local t1 = redis.call('TIME')
return (t1[1] - t0[1]) * 1000000 + (t1[2] - t0[2])";

/// A cache command of the seed's pseudocode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Set,
    Del,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Set => "SET",
            Verb::Del => "DEL",
        }
    }
}

/// The loaded script and what one command of each verb costs Redis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shaped {
    pub sha: String,
    pub iterations: u64,
    /// Redis CPU (INFO cpu, user + sys) per command, us: median of the probes
    pub get_us: f64,
    pub set_us: f64,
    pub del_us: f64,
    /// the script's own time per call (INFO commandstats usec_per_call), GET, us
    pub get_usec_per_call: f64,
    /// a GET's wall time inside Redis (`TIMED_SCRIPT`, one connection): mean, us
    pub wall_us: f64,
    /// and its coefficient of variation (every sample)
    pub cv: f64,
}

/// The command for `verb`: plain, or through the script when Redis is shaped.
pub fn cmd(shape: Option<&Shaped>, verb: Verb, key: &str, value: &str, ttl: u64) -> redis::Cmd {
    let mut c = match shape {
        None => redis::cmd(verb.name()),
        Some(s) => {
            let mut c = redis::cmd("EVALSHA");
            c.arg(&s.sha)
                .arg(1)
                .arg(key)
                .arg(s.iterations)
                .arg(verb.name());
            if verb == Verb::Set {
                c.arg(value).arg(ttl);
            }
            return c;
        }
    };
    c.arg(key);
    if verb == Verb::Set {
        c.arg(value).arg("EX").arg(ttl);
    }
    c
}

/// `SCRIPT LOAD`s the script (again after a restart: Redis forgets scripts); its SHA1.
pub fn load_script(c: &mut redis::Connection) -> Result<String> {
    Ok(redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(SCRIPT)
        .query::<String>(c)?)
}

/// Spin iterations for a command of `target_us`: a probe of `probe_iters`
/// iterations cost `probe_us`, the script with none `base_us`; the cost is
/// linear in the iterations.
pub fn iterations_for(target_us: f64, base_us: f64, probe_us: f64, probe_iters: u64) -> u64 {
    let per_iter = (probe_us - base_us) / probe_iters.max(1) as f64;
    if per_iter <= 0.0 || target_us <= base_us {
        return 0;
    }
    ((target_us - base_us) / per_iter).round() as u64
}

/// Redis CPU seconds (user + sys) and `calls` of one command in `INFO`
/// (`cmdstat_<name>:calls=N,...`; 0 when absent).
pub fn cpu_and_calls(info: &str, cmd: &str) -> (f64, f64) {
    let cpu = crate::info_field(info, "used_cpu_user") + crate::info_field(info, "used_cpu_sys");
    (cpu, cmdstat(info, cmd, "calls"))
}

/// A field of `cmdstat_<cmd>` in `INFO commandstats` (0 when absent).
pub fn cmdstat(info: &str, cmd: &str, field: &str) -> f64 {
    let prefix = format!("cmdstat_{cmd}:");
    info.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|rest| {
            rest.trim().split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k == field).then(|| v.parse().ok()).flatten()
            })
        })
        .unwrap_or(0.0)
}

fn info_all(c: &mut redis::Connection) -> Result<String> {
    Ok(redis::cmd("INFO")
        .arg("cpu")
        .arg("commandstats")
        .query::<String>(c)?)
}

/// Redis CPU per `verb` command with `iterations` of spin: 4 blocking
/// clients keep the thread busy for `secs`; INFO cpu over the EVALSHA
/// calls. Returns (us of CPU per command, commandstats usec_per_call).
pub fn probe(
    url: &str,
    sha: &str,
    iterations: u64,
    verb: Verb,
    keys: u64,
    secs: f64,
) -> Result<(f64, f64)> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    redis::cmd("CONFIG").arg("RESETSTAT").query::<()>(&mut c)?;
    let before = info_all(&mut c)?;
    let stop = Arc::new(AtomicBool::new(false));
    let shape = Shaped {
        sha: sha.to_string(),
        iterations,
        ..Shaped::default()
    };
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut hs = Vec::new();
    for t in 0..4u64 {
        let (client, stop, shape) = (client.clone(), stop.clone(), shape.clone());
        hs.push(std::thread::spawn(move || -> Result<()> {
            let mut c = client.get_connection()?;
            let mut rng = Stream::new(5, 400 + t);
            let v = "x".repeat(900);
            // bounded: stops at the deadline (or when told)
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let k = crate::load::key_name(1 + rng.below(keys.max(1)));
                cmd(Some(&shape), verb, &k, &v, 300).query::<redis::Value>(&mut c)?;
            }
            Ok(())
        }));
    }
    std::thread::sleep(Duration::from_secs_f64(secs));
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        h.join().map_err(|_| anyhow::anyhow!("probe thread"))??;
    }
    let after = info_all(&mut c)?;
    let (cpu0, n0) = cpu_and_calls(&before, "evalsha");
    let (cpu1, n1) = cpu_and_calls(&after, "evalsha");
    if n1 - n0 < 10.0 {
        bail!("the {} probe ran only {} commands", verb.name(), n1 - n0);
    }
    Ok((
        (cpu1 - cpu0) * 1e6 / (n1 - n0),
        cmdstat(&after, "evalsha", "usec_per_call"),
    ))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    crate::measure::quantile_sorted(&v, 0.5)
}

/// Loads the script, finds the iterations for `target_us` of CPU per GET,
/// and measures each verb's cost (medians of `probes` probes of `secs`) and
/// a GET's wall time inside Redis (mean and cv).
pub fn calibrate(url: &str, target_us: f64, keys: u64, secs: f64, probes: usize) -> Result<Shaped> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection()?;
    // a memory scenario before may have left maxmemory set: the SETs would be refused
    crate::scenarios::reset_redis(&mut c)?;
    let sha = load_script(&mut c).context("SCRIPT LOAD")?;
    let probe_iters = 20_000;
    let med = |iters: u64, verb: Verb| -> Result<(f64, f64)> {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for _ in 0..probes.max(1) {
            let (x, y) = probe(url, &sha, iters, verb, keys, secs)?;
            a.push(x);
            b.push(y);
        }
        Ok((median(a), median(b)))
    };
    let base = med(0, Verb::Get)?.0;
    let at_probe = med(probe_iters, Verb::Get)?.0;
    let iterations = iterations_for(target_us, base, at_probe, probe_iters);
    let (get_us, get_usec_per_call) = med(iterations, Verb::Get)?;
    let set_us = med(iterations, Verb::Set)?.0;
    let del_us = med(iterations, Verb::Del)?.0;
    let mut s = Shaped {
        sha,
        iterations,
        get_us,
        set_us,
        del_us,
        get_usec_per_call,
        wall_us: 0.0,
        cv: 0.0,
    };
    // the service time's spread: the wall time of one command at a time
    let mut rng = Stream::new(6, 500);
    let mut svc = Vec::new();
    for _ in 0..400 {
        let k = crate::load::key_name(1 + rng.below(keys.max(1)));
        let us: i64 = redis::cmd("EVAL")
            .arg(TIMED_SCRIPT)
            .arg(1)
            .arg(&k)
            .arg(s.iterations)
            .query(&mut c)
            .context("the timed script")?;
        svc.push(us as f64);
    }
    (s.wall_us, s.cv) = crate::measure::mean_cv(&svc);
    let _: () = redis::cmd("FLUSHALL").query(&mut c)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_scale_the_spin_linearly() {
        // 0 iterations 8 us, 20,000 iterations 88 us: 4 ns an iteration
        assert_eq!(iterations_for(408.0, 8.0, 88.0, 20_000), 100_000);
        assert_eq!(iterations_for(5.0, 8.0, 88.0, 20_000), 0);
        assert_eq!(iterations_for(400.0, 8.0, 7.0, 20_000), 0);
    }

    #[test]
    fn commandstats_fields_are_parsed() {
        let info = "# CPU\r\nused_cpu_sys:0.5\r\nused_cpu_user:1.25\r\n# Commandstats\r\ncmdstat_get:calls=5000,usec=243,usec_per_call=0.05,rejected_calls=0,failed_calls=0\r\ncmdstat_evalsha:calls=5000,usec=205422,usec_per_call=41.08,rejected_calls=0,failed_calls=0\r\n";
        assert_eq!(cmdstat(info, "evalsha", "usec_per_call"), 41.08);
        assert_eq!(cmdstat(info, "get", "calls"), 5000.0);
        assert_eq!(cmdstat(info, "set", "calls"), 0.0);
        assert_eq!(cpu_and_calls(info, "evalsha"), (1.75, 5000.0));
    }

    #[test]
    fn shaped_commands_go_through_the_script() {
        let s = Shaped {
            sha: "abc".into(),
            iterations: 7,
            ..Shaped::default()
        };
        let args = |c: &redis::Cmd| -> Vec<String> {
            c.args_iter()
                .map(|a| match a {
                    redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => "<other>".into(),
                })
                .collect()
        };
        assert_eq!(
            args(&cmd(Some(&s), Verb::Set, "k1", "v", 300)),
            ["EVALSHA", "abc", "1", "k1", "7", "SET", "v", "300"]
        );
        assert_eq!(
            args(&cmd(Some(&s), Verb::Get, "k1", "v", 300)),
            ["EVALSHA", "abc", "1", "k1", "7", "GET"]
        );
        assert_eq!(
            args(&cmd(None, Verb::Set, "k1", "v", 300)),
            ["SET", "k1", "v", "EX", "300"]
        );
        assert_eq!(args(&cmd(None, Verb::Del, "k1", "v", 300)), ["DEL", "k1"]);
    }
}
