//! Text outputs of `cachesim run`: the readable summary and the per-second CSV.

use cachesim_core::{SecondStats, Simulation, Summary};
use std::io::{self, Write};

/// The per-second series: a header row of `SecondStats::FIELDS`, then one row
/// per second. A run with more than one shard or a proxy gets the cache tier's
/// columns after them: the proxy's and the warm-up worker's, then per shard
/// (`shard0_ops`, `shard0_cpu`, `shard0_hit_rate`, ...; empty while a shard did
/// not exist).
pub fn write_csv(out: &mut impl Write, sim: &Simulation) -> io::Result<()> {
    let history = sim.history();
    let shards = history.tiers().map(|t| t.shards.len()).max().unwrap_or(1);
    let tier_columns = shards > 1 || history.tiers().any(|t| t.proxy_ops > 0 || t.db_warmup > 0);
    let mut header = SecondStats::FIELDS.join(",");
    if tier_columns {
        header.push_str(",proxy_ops,proxy_refused,proxy_utilization,db_warmup,warmed");
        for i in 0..shards {
            header.push_str(&format!(",shard{i}_ops,shard{i}_cpu,shard{i}_hit_rate"));
        }
    }
    writeln!(out, "{header}")?;
    let mut row = String::new();
    for (s, t) in history.iter().zip(history.tiers()) {
        row.clear();
        for (i, v) in s.values().iter().enumerate() {
            if i > 0 {
                row.push(',');
            }
            row.push_str(&v.to_string());
        }
        if tier_columns {
            row.push_str(&format!(
                ",{},{},{},{},{}",
                t.proxy_ops, t.proxy_refused, t.proxy_utilization, t.db_warmup, t.warmed
            ));
            for i in 0..shards {
                match t.shards.get(i) {
                    Some(x) => row.push_str(&format!(",{},{},{}", x.ops, x.cpu, x.hit_rate)),
                    None => row.push_str(",,,"),
                }
            }
        }
        writeln!(out, "{row}")?;
    }
    Ok(())
}

/// `1234567` -> `1,234,567`.
pub fn int(n: u64) -> String {
    cachesim_core::compare::thousands(n)
}

/// A rate or count shown rounded, with separators.
fn num(x: f64) -> String {
    if x.is_finite() && x >= 0.0 {
        int(x.round() as u64)
    } else {
        format!("{x}")
    }
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p != 0.0 && p.abs() < 0.01 {
        format!("{p:.4}%")
    } else {
        format!("{p:.1}%")
    }
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0.0%".into()
    } else {
        pct(part as f64 / whole as f64)
    }
}

fn bytes(b: f64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    if b >= GIB {
        format!("{:.2} GiB", b / GIB)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// Label column width.
const W: usize = 14;

/// The readable summary.
pub fn write_summary(
    out: &mut impl Write,
    sim: &Simulation,
    s: &Summary,
    wall_s: f64,
    peak_rss_mb: Option<f64>,
) -> io::Result<()> {
    let sc = sim.scenario();
    let st = sim.status();
    let totals = sim.totals();
    let history = sim.history();

    writeln!(out, "cachesim run: {} (seed {})", s.scenario, s.seed)?;
    if !sc.description.is_empty() {
        writeln!(out, "  {}", sc.description)?;
    }
    writeln!(
        out,
        "  {} simulated seconds at {} RPS; {} pods; cache TTL {} s, eviction {}",
        s.seconds,
        num(sc.client.rps),
        sc.app.pods,
        sc.cache.ttl_s,
        sc.cache.eviction.as_str()
    )?;
    writeln!(
        out,
        "  architecture {}: {}",
        s.topology.design, s.topology.description
    )?;
    writeln!(out)?;

    writeln!(
        out,
        "{:W$}{} arrived, {} completed, {} failed ({}), {} in flight at the end",
        "Requests",
        int(s.requests),
        int(s.completed),
        int(s.errors),
        share(s.errors, s.requests),
        int(s.in_flight)
    )?;
    writeln!(
        out,
        "{:W$}{} req/s offered, goodput {} req/s answered successfully",
        "Throughput",
        num(s.throughput_rps),
        num(s.goodput_rps)
    )?;
    if s.retries > 0 {
        writeln!(
            out,
            "{:W$}{} of the tries were clients' retries; {} requests failed on their last try ({})",
            "Retries",
            int(s.retries),
            int(s.final_errors),
            share(s.final_errors, s.requests - s.retries)
        )?;
    }
    let target = match sc.client.keys {
        Some(_) => String::new(),
        None => format!("target {}, ", pct(sc.client.target_hit_rate)),
    };
    writeln!(
        out,
        "{:W$}{} of {} reads ({target}predicted {}; {} keys, Zipf s = {:.3})",
        "Hit rate",
        pct(s.hit_rate),
        int(totals.reads),
        pct(s.keyspace.predicted_hit_rate),
        int(s.keyspace.keys),
        s.keyspace.zipf_s
    )?;

    // DB load against capacity
    let select_capacity = sc.db.workers as f64 * 1000.0 / sc.db.read_service_ms;
    writeln!(
        out,
        "{:W$}{} queries/s mean, workers {} busy on average ({} workers)",
        "DB load",
        num(s.db_qps_mean),
        pct(s.db_utilization_mean),
        sc.db.workers
    )?;
    if s.db_utilization_mean > 0.0 {
        let capacity = s.db_qps_mean / s.db_utilization_mean;
        writeln!(
            out,
            "{:W$}capacity at this query mix ~{} queries/s; peak second offered {} ({} of it)",
            "",
            num(capacity),
            int(s.db_offered_qps_peak),
            pct(s.db_offered_qps_peak as f64 / capacity)
        )?;
    } else {
        writeln!(
            out,
            "{:W$}peak second offered {} queries",
            "",
            int(s.db_offered_qps_peak)
        )?;
    }
    writeln!(
        out,
        "{:W$}cache-miss SELECTs alone: {} workers x {} ms = ~{} SELECT/s; max_connections {}",
        "",
        sc.db.workers,
        sc.db.read_service_ms,
        num(select_capacity),
        sc.db.max_connections
    )?;

    // errors by kind
    if s.errors == 0 {
        writeln!(out, "{:W$}none", "Errors")?;
    } else {
        let e = &s.errors_by_kind;
        writeln!(
            out,
            "{:W$}{} ({} of requests)",
            "Errors",
            int(s.errors),
            share(s.errors, s.requests)
        )?;
        for (label, n) in [
            ("503 overloaded (LB queue or pod limit)", e.lb_503),
            ("502 no healthy pod", e.lb_502),
            ("client timeout", e.timeout),
            ("DB: too many connections", e.db_too_many_connections),
            ("DB pool timeout", e.db_pool_timeout),
            ("cache OOM on a write's SET", e.cache_oom),
            ("degraded (circuit breaker open)", e.degraded),
            ("429 rate-limited at the LB", e.rate_limited),
        ] {
            if n > 0 {
                writeln!(out, "{:W$}  {:>12}  {label}", "", int(n))?;
            }
        }
    }

    // latency
    let l = &s.latency_ms;
    writeln!(
        out,
        "{:W$}{:>10}{:>10}{:>10}{:>10}",
        "Latency (ms)", "p50", "p95", "p99", "max"
    )?;
    for (label, p50, p95, p99, max) in [
        ("  successes", l.p50, l.p95, l.p99, l.max),
        (
            "  with errors",
            l.with_failures.p50,
            l.with_failures.p95,
            l.with_failures.p99,
            l.with_failures.max,
        ),
        ("  hit, at pod", l.hit.p50, l.hit.p95, l.hit.p99, l.hit.max),
        (
            "  miss, at pod",
            l.miss.p50,
            l.miss.p95,
            l.miss.p99,
            l.miss.max,
        ),
    ] {
        writeln!(
            out,
            "{label:W$}{p50:>10.2}{p95:>10.2}{p99:>10.2}{max:>10.2}"
        )?;
    }

    let p = &s.pods;
    writeln!(
        out,
        "{:W$}{} mean, {} in the busiest second ({} cores a pod); {} pods at the end, {} in rotation{}",
        "Pod CPU",
        pct(p.cpu_mean),
        pct(p.cpu_peak),
        sc.app.cores_per_pod,
        p.active,
        p.in_rotation,
        match p.scale_outs {
            0 if sc.app.autoscale.on => "; autoscaling on, never triggered".to_string(),
            0 => String::new(),
            1 => "; autoscaled once".to_string(),
            n => format!("; autoscaled {n} times"),
        }
    )?;

    // cache
    let peak_cpu = history.iter().map(|h| h.cache_cpu).fold(0.0, f64::max);
    writeln!(
        out,
        "{:W$}{} mean{}, {} in the busiest second (one thread, {} ops/s ceiling)",
        "Cache CPU",
        pct(s.cache_cpu_utilization),
        if s.shards.len() > 1 { " per shard" } else { "" },
        pct(peak_cpu),
        num(sc.cache.ops_per_sec)
    )?;
    if s.shards.len() > 1 {
        for sh in &s.shards {
            writeln!(
                out,
                "{:W$}  shard {:>2}: {:>8} ops/s, CPU {} mean / {} peak, hit rate {}, {} keys{}",
                "",
                sh.shard,
                num(sh.ops_per_s),
                pct(sh.cpu_mean),
                pct(sh.cpu_peak),
                pct(sh.hit_rate),
                int(sh.keys_at_end),
                if sh.up_at_end { "" } else { " (down)" }
            )?;
        }
    }
    if s.topology.proxy {
        writeln!(
            out,
            "{:W$}{} commands forwarded, {} refused (queue full)",
            "Proxy",
            int(s.proxy_ops),
            int(s.proxy_refused)
        )?;
    }
    if s.db_warmup_queries > 0 {
        writeln!(
            out,
            "{:W$}{} DB queries pre-loading restarted shards",
            "Warm-up",
            int(s.db_warmup_queries)
        )?;
    }
    let peak_mem = history
        .iter()
        .map(|h| h.cache_memory_fraction)
        .fold(0.0, f64::max);
    writeln!(
        out,
        "{:W$}{} of {} ({}) at the end, peak {}; {} keys{}",
        "Cache memory",
        bytes(st.cache_memory_bytes() as f64),
        bytes(st.cache_max_bytes() as f64),
        share(st.cache_memory_bytes(), st.cache_max_bytes()),
        pct(peak_mem),
        int(st.cache_keys()),
        match st.shards_down() {
            0 => String::new(),
            _ if st.cache_down() => " (Redis is down)".to_string(),
            n => format!(" ({n} of {} shards down)", st.shards.len()),
        }
    )?;
    writeln!(
        out,
        "{:W$}{} expirations, {} evictions, {} SETs refused (OOM), {} failed commands",
        "Cache events",
        int(s.expirations),
        int(s.evictions),
        int(s.set_oom),
        int(s.cache_errors)
    )?;
    writeln!(
        out,
        "{:W$}{} ({} of reads); {} lost invalidations",
        "Stale reads",
        int(s.stale_reads),
        share(s.stale_reads, totals.reads),
        int(s.invalidation_failures)
    )?;
    if s.stale_reads > 0 {
        writeln!(
            out,
            "{:W$}how long a stale value had been stale: p50 {:.0} ms, p99 {:.0} ms, longest {} ms",
            "",
            s.stale_age_p50_ms,
            s.stale_age_p99_ms,
            int(s.stale_age_max_ms)
        )?;
    }
    write_v2_tiers(out, s, &st)?;
    if !s.mitigations.is_empty() {
        writeln!(
            out,
            "{:W$}{}; breakers opened {} times, {} invalidations retried ({} landed), {} keys loaded from RDB",
            "Mitigations",
            s.mitigations.join(", "),
            int(s.breaker_opens),
            int(s.invalidation_retries),
            int(s.invalidations_repaired),
            int(s.rdb_loaded_keys)
        )?;
    }
    if sc.app.single_flight || s.topology.proxy_single_flight || s.coalesced > 0 {
        let misses = totals.reads - totals.hits;
        writeln!(
            out,
            "{:W$}{} missed reads ({} of misses) waited for a load of their key instead of querying",
            "Single-flight",
            int(s.coalesced),
            share(s.coalesced, misses)
        )?;
    }

    if !sc.faults.is_empty() {
        for (i, f) in sc.faults.iter().enumerate() {
            let label = if i == 0 { "Faults" } else { "" };
            let note = if f.at_s > s.seconds {
                "  (after the end of this run)"
            } else {
                ""
            };
            writeln!(
                out,
                "{label:W$}at {:>6} s  {}{note}",
                f.at_s,
                f.command.label()
            )?;
        }
    }

    let bill: Vec<String> = s
        .cost
        .lines
        .iter()
        .map(|l| format!("{} x{} ${}", l.component, l.count, num(l.monthly_usd)))
        .collect();
    writeln!(
        out,
        "{:W$}${}/month ({}); ${:.6} per 1K requests served",
        "Cost",
        num(s.cost.monthly_usd),
        bill.join(", "),
        s.cost_per_1k_requests
    )?;
    let rss = peak_rss_mb.map_or("n/a".to_string(), |mb| format!("{mb:.1} MiB"));
    let speed = if wall_s > 0.0 {
        num(s.requests as f64 / wall_s)
    } else {
        "n/a".into()
    };
    writeln!(
        out,
        "{:W$}peak RSS {rss}; {wall_s:.2} s wall; {speed} simulated requests per wall second",
        "Process"
    )?;
    Ok(())
}

/// V2's lines: replicas and failover, L1, the invalidation stream.
fn write_v2_tiers(out: &mut impl Write, s: &Summary, st: &cachesim_core::Status) -> io::Result<()> {
    let t = &s.tiers;
    if s.topology.replicas > 0 {
        writeln!(
            out,
            "{:W$}{} per shard; {} GETs served by replicas; {} failovers; {} acknowledged writes lost with a primary",
            "Replicas",
            s.topology.replicas,
            int(t.replica_reads),
            t.failovers,
            int(t.lost_writes)
        )?;
    }
    if let Some(l1) = &st.l1 {
        writeln!(
            out,
            "{:W$}{} of reads answered in-process ({} hits; {} keys per pod, TTL {} ms)",
            "L1",
            pct(t.l1_hit_share),
            int(t.l1_hits),
            int(l1.capacity as u64),
            l1.ttl_ms
        )?;
    }
    if let Some(stream) = &st.stream {
        writeln!(
            out,
            "{:W$}{} invalidations published, {} applied (mean {:.0} ms after the write), {} DELs retried; backlog {} at the end{}",
            "Stream",
            int(t.stream_published),
            int(t.stream_applied),
            t.stream_delay_mean_ms,
            int(t.stream_retried),
            int(stream.backlog),
            if stream.running { "" } else { " (consumer stopped)" }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1234567), "1,234,567");
        assert_eq!(num(3651.5), "3,652");
    }
}
