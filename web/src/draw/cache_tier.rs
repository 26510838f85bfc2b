//! The cache tier: each Redis shard (CPU against its ops/s, memory against
//! maxmemory, keys), the CacheProxyService in front of them, and the warm-up
//! worker that reloads a shard after a cold restart.

use super::db::below;
use super::*;
use crate::format::{bytes, compact, pct, per_sec};

/// A shard box at least this tall shows V0's full content; smaller ones a
/// compact summary with two bars.
const FULL_H: f64 = 120.0;

/// The shard's title: V0's one Redis keeps its old name.
fn shard_titles(pen: &Pen, i: usize) -> [String; 3] {
    if pen.layout.shards.len() == 1 && pen.layout.proxy.is_none() {
        ["CacheNode (Redis)".into(), "Redis".into(), "Redis".into()]
    } else {
        [
            format!("Redis shard {i}"),
            format!("Shard {i}"),
            format!("S{i}"),
        ]
    }
}

/// Redis shard `i` (its primary, in V2: the replicas draw on its strip).
pub(super) fn shard(pen: &Pen, whole: &Rect, i: usize) {
    let (ctx, scene) = (pen.ctx, pen.scene);
    let Some(s) = scene.shard(i) else { return };
    let health = scene.shard_health(i);
    let r = &pen.layout.shard_body(i).unwrap_or(*whole);
    let full = r.h >= FULL_H;
    let title_px = if full { pen.title_px } else { 11.0 };
    font(ctx, title_px, true);
    let title = first_fit_bold(ctx, title_px, r.w - 12.0, shard_titles(pen, i));
    // the box is the whole shard; its own state stays above the strip
    node_box(ctx, whole, &title, health, title_px);
    let inner = Rect {
        x: r.x + 6.0,
        y: r.y + 6.0 + title_px + 3.0,
        w: r.w - 12.0,
        h: r.h - title_px - 14.0,
    };
    if let Some(left) = s.failover_in_s.filter(|_| !s.up) {
        failover_countdown(pen, &inner, left, full);
    } else if !s.up {
        if full {
            let text = first_fit(
                ctx,
                pen.px,
                inner.w,
                ["every GET fails → DB".into(), "GETs → DB".into()],
            );
            let rows = vec![(text, INK)];
            let y = lines(ctx, &inner, &rows, pen.px);
            // below the texts, which stay readable
            cross_out(ctx, &below(&inner, y), "DOWN");
        } else {
            cross_out(ctx, &inner, "DOWN");
        }
    } else if full {
        shard_full(pen, &inner, s);
    } else {
        shard_compact(pen, &inner, s);
    }
    let single = pen.layout.shards.len() == 1;
    if full && pen.rate_in_title(r) {
        let ops = if single {
            pen.sec.pod_cache
        } else {
            s.ops as f64
        };
        pen.title_rate(r, &title, &format!("{} ops", per_sec(ops)));
    }
}

/// A dead primary whose replica the cluster is about to promote: the
/// seconds left, in the box's content area.
fn failover_countdown(pen: &Pen, inner: &Rect, left_s: f64, full: bool) {
    let ctx = pen.ctx;
    let px = if full { pen.px } else { 10.0 };
    let one = format!("primary DOWN: promoting replica in {left_s:.1} s");
    font(ctx, px, false);
    let fits = |t: &str| ctx.measure_text(t).is_ok_and(|m| m.width() <= inner.w);
    // one line when it fits, else the same words over three
    let mut rows: Vec<(String, &str)> = if fits(&one) {
        vec![(one, "#b45309")]
    } else {
        vec![
            (
                if fits("primary DOWN") {
                    "primary DOWN"
                } else {
                    "DOWN"
                }
                .to_string(),
                "#b91c1c",
            ),
            (
                if fits("promoting replica") {
                    "promoting replica"
                } else {
                    "promoting"
                }
                .to_string(),
                "#b45309",
            ),
            (format!("in {left_s:.1} s"), "#b45309"),
        ]
    };
    if full {
        let text = ["reads go to the replica", "reads → replica", "→ replica"]
            .into_iter()
            .find(|t| fits(t))
            .unwrap_or("→ replica");
        rows.push((text.to_string(), INK));
    }
    lines(ctx, inner, &rows, px);
}

/// Replica `k` (`shard * MAX_REPLICAS + j`): up with its keys, loading
/// (a full resync), or down (a crashed primary that was failed over).
pub(super) fn replica(pen: &Pen, r: &Rect, k: usize) {
    let (ctx, scene) = (pen.ctx, pen.scene);
    let Some(rep) = scene.replica(k) else { return };
    let j = k % cachesim_core::frame::node::MAX_REPLICAS as usize;
    let (health, state) = if !rep.up {
        (Health::Down, "DOWN".to_string())
    } else if rep.loading {
        (Health::Warn, "loading".to_string())
    } else {
        (Health::Ok, format!("{} keys", compact(rep.keys as f64)))
    };
    rrect(ctx, r, 4.0);
    ctx.set_fill_style_str(if health == Health::Ok {
        "#eef6ff"
    } else {
        health.fill()
    });
    ctx.fill();
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(health.stroke());
    ctx.stroke();
    let px = if r.h >= 22.0 { 10.0 } else { 9.0 };
    let title = first_fit(
        ctx,
        px,
        r.w - 6.0,
        [
            format!("replica {j} · {state}"),
            format!("R{j} · {state}"),
            format!("R{j} {state}"),
            state.clone(),
        ],
    );
    font(ctx, px, health != Health::Ok);
    ctx.set_fill_style_str(match health {
        Health::Down => "#b91c1c",
        Health::Warn => "#b45309",
        _ => INK,
    });
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let (cx, cy) = r.center();
    fit_text(ctx, &title, cx, cy, r.w - 4.0);
    if !rep.up {
        ctx.set_stroke_style_str("#52525b");
        ctx.set_line_width(1.5);
        ctx.begin_path();
        ctx.move_to(r.x + 3.0, r.y + 3.0);
        ctx.line_to(r.x + r.w - 3.0, r.y + r.h - 3.0);
        ctx.stroke();
    }
}

/// CPU and memory gauges with the seed's alert lines, keys, hit rate, trouble.
fn shard_full(pen: &Pen, inner: &Rect, s: &ShardStatus) {
    let (ctx, scene, px) = (pen.ctx, pen.scene, pen.px);
    let cpu = s.cpu;
    let mem = shard_memory(s);
    let cluster = scene.status.shards.len() > 1;
    let cpu_text = if cluster {
        let ops = compact(s.ops as f64);
        first_fit(
            ctx,
            px,
            inner.w,
            [
                format!(
                    "CPU {} · {ops} of {} ops/s",
                    pct(cpu),
                    compact(scene.status.shard_capacity_ops)
                ),
                format!("CPU {} · {ops} ops/s", pct(cpu)),
                format!("CPU {}", pct(cpu)),
            ],
        )
    } else {
        format!("CPU {} (alert 60%)", pct(cpu))
    };
    let mut y = lines(ctx, inner, &[(cpu_text, INK)], px);
    let color = level_color(cpu, CPU_ALERT, CPU_SATURATED);
    gauge(ctx, inner.x, y, inner.w, 7.0, cpu, color, &[CPU_ALERT]);
    y += 12.0;
    let mem_text = first_fit(
        ctx,
        px,
        inner.w,
        [
            format!("memory {} of {}", pct(mem), bytes(s.max_bytes as f64)),
            format!("memory {}", pct(mem)),
            format!("mem {}", pct(mem)),
        ],
    );
    let y2 = lines(ctx, &below(inner, y), &[(mem_text, INK)], px);
    let color = level_color(mem, MEM_ALERT, MEM_CRITICAL);
    gauge(
        ctx,
        inner.x,
        y2,
        inner.w,
        7.0,
        mem,
        color,
        &[MEM_ALERT, MEM_CRITICAL],
    );
    let hit = if cluster {
        Some(s.hit_rate).filter(|_| s.ops > 0)
    } else {
        scene.last.map(|l| l.hit_rate)
    };
    let keys = compact(s.keys as f64);
    let hit = hit.map_or("-".into(), pct);
    let keys_text = first_fit(
        ctx,
        px,
        inner.w,
        [
            format!("{keys} keys · hit {hit}"),
            format!("{keys} keys"),
            keys.clone(),
        ],
    );
    let mut rows = vec![(keys_text, INK)];
    if cluster && inner.w < 150.0 {
        rows.push((format!("hit {hit}"), INK));
    }
    if s.warming {
        rows.push((
            format!("warming: {} keys loaded", compact(s.warmed_keys as f64)),
            "#b45309",
        ));
    }
    if let Some(l) = scene.last.filter(|_| !cluster) {
        if l.set_oom > 0 {
            rows.push((
                format!("OOM: {} SETs/s refused", compact(l.set_oom as f64)),
                "#b91c1c",
            ));
        } else if l.evictions > 0 {
            rows.push((
                format!("evicting {}/s", compact(l.evictions as f64)),
                "#b45309",
            ));
        }
    }
    if s.queue > 50 {
        rows.push((format!("queue {}", compact(s.queue as f64)), "#b91c1c"));
    }
    lines(ctx, &below(inner, y2 + 12.0), &rows, px);
}

/// A small shard: one line (the most that fits), a CPU bar and a memory bar.
fn shard_compact(pen: &Pen, inner: &Rect, s: &ShardStatus) {
    let ctx = pen.ctx;
    let mem = shard_memory(s);
    let keys = compact(s.keys as f64);
    let candidates = if s.warming {
        [
            format!("warming · {} loaded", compact(s.warmed_keys as f64)),
            format!("warm {}", compact(s.warmed_keys as f64)),
            keys.clone(),
        ]
    } else {
        [
            format!("CPU {} · mem {} · {keys} keys", pct(s.cpu), pct(mem)),
            format!("{keys} keys · {}", pct(s.cpu)),
            keys.clone(),
        ]
    };
    let px = 10.0;
    let text = first_fit(ctx, px, inner.w, candidates);
    let color = if s.warming { "#b45309" } else { INK };
    let y = lines(ctx, inner, &[(text, color)], px);
    let bar_h = 4.0;
    let cpu_color = level_color(s.cpu, CPU_ALERT, CPU_SATURATED);
    gauge(
        ctx,
        inner.x,
        y,
        inner.w,
        bar_h,
        s.cpu,
        cpu_color,
        &[CPU_ALERT],
    );
    if y + bar_h + 4.0 + bar_h <= inner.y + inner.h + 6.0 {
        let mem_color = level_color(mem, MEM_ALERT, MEM_CRITICAL);
        gauge(
            ctx,
            inner.x,
            y + bar_h + 4.0,
            inner.w,
            bar_h,
            mem,
            mem_color,
            &[MEM_ALERT],
        );
    }
}

/// The first title that fits in bold.
fn first_fit_bold<const N: usize>(
    ctx: &Ctx,
    px: f64,
    max_w: f64,
    candidates: [String; N],
) -> String {
    font(ctx, px, true);
    let fits = |t: &String| ctx.measure_text(t).is_ok_and(|m| m.width() <= max_w);
    let i = candidates.iter().position(fits).unwrap_or(N - 1);
    candidates.into_iter().nth(i).unwrap_or_default()
}

/// The CacheProxyService: utilization against its capacity, queue,
/// single-flight and how many misses wait on another's load.
pub(super) fn proxy(pen: &Pen, r: &Rect) {
    let (ctx, scene) = (pen.ctx, pen.scene);
    let Some(p) = &scene.status.proxy else { return };
    let px = if r.h < 90.0 { 10.0 } else { pen.px };
    let title_px = if r.h < 90.0 { 11.0 } else { pen.title_px };
    let title = first_fit_bold(
        ctx,
        title_px,
        r.w - 12.0,
        [
            "CacheProxyService".into(),
            "Cache proxy".into(),
            "Proxy".into(),
        ],
    );
    let inner = node_box(ctx, r, &title, scene.proxy_health(), title_px);
    let util = p.utilization;
    let util_text = first_fit(
        ctx,
        px,
        inner.w,
        [
            format!("util {} of {} ops/s", pct(util), compact(p.capacity_ops)),
            format!("util {}", pct(util)),
        ],
    );
    let y = lines(ctx, &inner, &[(util_text, INK)], px);
    gauge(
        ctx,
        inner.x,
        y,
        inner.w,
        6.0,
        util,
        level_color(util, 0.7, CPU_SATURATED),
        &[],
    );
    let sf = if p.single_flight {
        first_fit(
            ctx,
            px,
            inner.w,
            [
                format!(
                    "single-flight on · {} waiting",
                    compact(p.coalescing as f64)
                ),
                format!("SF on · {} wait", compact(p.coalescing as f64)),
            ],
        )
    } else {
        "single-flight off".to_string()
    };
    let mut rows = vec![(sf, if p.single_flight { INK } else { MUTED })];
    let refused = scene.tier.map_or(0, |t| t.proxy_refused);
    if refused > 0 {
        rows.push((format!("refused {}/s", compact(refused as f64)), "#b91c1c"));
    } else {
        rows.push((format!("queue {}", compact(p.queue as f64)), MUTED));
    }
    lines(ctx, &below(&inner, y + 10.0), &rows, px);
}

/// The warm-up worker: which shard it loads and how far it got.
pub(super) fn warmup(pen: &Pen, r: &Rect) {
    let (ctx, scene) = (pen.ctx, pen.scene);
    let px = 10.0;
    let title = first_fit_bold(
        ctx,
        11.0,
        r.w - 12.0,
        ["WarmupWorker".into(), "Warm-up".into(), "Warm".into()],
    );
    let warming: Vec<&ShardStatus> = scene.status.shards.iter().filter(|s| s.warming).collect();
    let health = if warming.is_empty() {
        Health::Ok
    } else {
        Health::Warn
    };
    let inner = node_box(ctx, r, &title, health, 11.0);
    let rows = match warming.first() {
        Some(s) => {
            let loaded = compact(s.warmed_keys as f64);
            let queries = scene.tier.map_or(0, |t| t.db_warmup);
            vec![
                (
                    first_fit(
                        ctx,
                        px,
                        inner.w,
                        [
                            format!("loading shard {}", s.index),
                            format!("shard {}", s.index),
                        ],
                    ),
                    "#b45309",
                ),
                (
                    first_fit(
                        ctx,
                        px,
                        inner.w,
                        [format!("{loaded} keys loaded"), loaded.clone()],
                    ),
                    INK,
                ),
                (format!("{} queries", per_sec(queries as f64)), MUTED),
            ]
        }
        None => vec![
            ("idle".to_string(), MUTED),
            (
                first_fit(
                    ctx,
                    px,
                    inner.w,
                    ["acts on a cold restart".into(), "on restart".into()],
                ),
                MUTED,
            ),
        ],
    };
    lines(ctx, &inner, &rows, px);
}
