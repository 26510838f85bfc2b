//! Drawing the architecture on its canvas: edges sized by traffic, dots in
//! flight, and each component with its live state.

use crate::anim::{DotClass, Dots};
use crate::driver::{Driver, EdgeRates};
use crate::explain::{db_load, Capacities, CPU_ALERT, CPU_SATURATED, MEM_ALERT, MEM_CRITICAL};
use crate::format::{bytes, compact, pct, per_sec};
use crate::layout::{point_along, Layout, Rect};
use cachesim_core::frame::node;
use cachesim_core::{SecondStats, Status};
use std::collections::HashMap;
use std::f64::consts::PI;
use web_sys::CanvasRenderingContext2d as Ctx;

const INK: &str = "#1f2937";
const MUTED: &str = "#6b7280";
const EDGE: &str = "#b8c2d3";
/// The DB box's title, longest first: the first that fits is drawn.
const DB_TITLES: [&str; 4] = [
    "BackendDB (PostgreSQL)",
    "BackendDB (Postgres)",
    "BackendDB (PG)",
    "BackendDB",
];

/// How a component looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Ok,
    Warn,
    Bad,
    Down,
}

impl Health {
    fn fill(self) -> &'static str {
        match self {
            Health::Ok => "#f8fafc",
            Health::Warn => "#fff7e0",
            Health::Bad => "#fde2e1",
            Health::Down => "#d4d4d8",
        }
    }
    fn stroke(self) -> &'static str {
        match self {
            Health::Ok => "#94a3b8",
            Health::Warn => "#d97706",
            Health::Bad => "#dc2626",
            Health::Down => "#52525b",
        }
    }
}

/// Everything the drawing reads, computed once per frame.
pub struct Scene<'a> {
    pub status: &'a Status,
    pub last: Option<&'a SecondStats>,
    pub rates: &'a EdgeRates,
    pub caps: Capacities,
    pub pool_size: u32,
}

impl<'a> Scene<'a> {
    /// The numbers the box texts show: the last complete simulated second (as
    /// the readouts and the explanation), or the smoothed rates before it.
    pub fn per_second(&self) -> EdgeRates {
        match self.last {
            Some(l) => EdgeRates::of_second(l, self.status),
            None => self.rates.clone(),
        }
    }

    pub fn lb_health(&self) -> Health {
        let r = self.last.map_or(self.rates.client_lb, |l| l.arrived as f64);
        let e503 = self.last.map_or(0, |l| l.err_503);
        if r > self.caps.lb_rps
            || e503 > 0
            || self.status.lb_queue > 0 && r > 0.9 * self.caps.lb_rps
        {
            Health::Bad
        } else if r > 0.8 * self.caps.lb_rps {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    pub fn cache_health(&self) -> Health {
        if self.status.cache_down() {
            return Health::Down;
        }
        let cpu = self.last.map_or(0.0, |l| l.cache_cpu);
        let mem = self.mem_fraction();
        if cpu >= CPU_SATURATED || mem >= MEM_CRITICAL {
            Health::Bad
        } else if cpu >= CPU_ALERT || mem >= MEM_ALERT {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    pub fn mem_fraction(&self) -> f64 {
        self.status.max_memory_fraction()
    }

    pub fn db_load(&self) -> f64 {
        self.last.map_or(0.0, |l| db_load(l, self.caps.db_qps))
    }

    pub fn db_health(&self) -> Health {
        let load = self.db_load();
        let conns =
            self.status.db_connections as f64 / self.status.db_max_connections.max(1) as f64;
        let errs = self
            .last
            .map_or(0, |l| l.err_db_connections + l.err_pool_timeout);
        if load > 1.0 || conns >= 0.99 || errs > 0 {
            Health::Bad
        } else if load > 0.85 || conns >= 0.7 {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    pub fn pod_health(&self, i: usize) -> Health {
        let Some(p) = self.status.pods.get(i) else {
            return Health::Down;
        };
        if !p.healthy {
            return Health::Down;
        }
        let busy = p.inflight as f64 / self.caps.max_inflight_per_pod.max(1) as f64;
        if busy > 0.9 || p.waiting > 0 && p.pool_busy >= self.pool_size {
            Health::Bad
        } else if busy > 0.5 || p.pool_busy as f64 >= 0.9 * self.pool_size as f64 {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    /// Indices of the active pods (the ones drawn).
    pub fn active_pods(&self) -> usize {
        self.status.pods.iter().filter(|p| p.active).count().max(1)
    }
}

fn rrect(ctx: &Ctx, r: &Rect, radius: f64) {
    let rad = radius.min(r.w / 2.0).min(r.h / 2.0);
    ctx.begin_path();
    ctx.move_to(r.x + rad, r.y);
    ctx.line_to(r.x + r.w - rad, r.y);
    ctx.arc_to(r.x + r.w, r.y, r.x + r.w, r.y + rad, rad).ok();
    ctx.line_to(r.x + r.w, r.y + r.h - rad);
    ctx.arc_to(r.x + r.w, r.y + r.h, r.x + r.w - rad, r.y + r.h, rad)
        .ok();
    ctx.line_to(r.x + rad, r.y + r.h);
    ctx.arc_to(r.x, r.y + r.h, r.x, r.y + r.h - rad, rad).ok();
    ctx.line_to(r.x, r.y + rad);
    ctx.arc_to(r.x, r.y, r.x + rad, r.y, rad).ok();
    ctx.close_path();
}

fn font(ctx: &Ctx, px: f64, bold: bool) {
    ctx.set_font(&format!(
        "{}{:.0}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        if bold { "600 " } else { "" },
        px
    ));
}

/// The first of `candidates` (most detailed first) that fits `max_w` pixels
/// at `px`, else the last (which `fit_text` then cuts).
fn first_fit<const N: usize>(ctx: &Ctx, px: f64, max_w: f64, candidates: [String; N]) -> String {
    font(ctx, px, false);
    let fits = |t: &String| ctx.measure_text(t).is_ok_and(|m| m.width() <= max_w);
    let i = candidates.iter().position(fits).unwrap_or(N - 1);
    candidates.into_iter().nth(i).unwrap_or_default()
}

/// Text cut to fit `max_w` pixels.
fn fit_text(ctx: &Ctx, text: &str, x: f64, y: f64, max_w: f64) {
    if max_w <= 4.0 {
        return;
    }
    let w = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
    if w <= max_w {
        ctx.fill_text(text, x, y).ok();
        return;
    }
    let mut s: String = text.to_string();
    while !s.is_empty() {
        s.pop();
        let t = format!("{}…", s.trim_end());
        if ctx.measure_text(&t).map(|m| m.width()).unwrap_or(0.0) <= max_w {
            ctx.fill_text(&t, x, y).ok();
            return;
        }
    }
}

/// A horizontal gauge: fraction filled, with threshold ticks.
#[allow(clippy::too_many_arguments)]
fn gauge(ctx: &Ctx, x: f64, y: f64, w: f64, h: f64, frac: f64, color: &str, ticks: &[f64]) {
    ctx.set_fill_style_str("#e5e7eb");
    ctx.fill_rect(x, y, w, h);
    ctx.set_fill_style_str(color);
    ctx.fill_rect(x, y, w * frac.clamp(0.0, 1.0), h);
    ctx.set_stroke_style_str(INK);
    ctx.set_line_width(1.0);
    for t in ticks {
        ctx.begin_path();
        ctx.move_to(x + w * t, y - 2.0);
        ctx.line_to(x + w * t, y + h + 2.0);
        ctx.stroke();
    }
}

fn level_color(frac: f64, warn: f64, bad: f64) -> &'static str {
    if frac >= bad {
        "#dc2626"
    } else if frac >= warn {
        "#d97706"
    } else {
        "#16a34a"
    }
}

/// A component's box, title and health; returns the inner area for content.
fn node_box(ctx: &Ctx, r: &Rect, title: &str, health: Health, title_px: f64) -> Rect {
    rrect(ctx, r, 8.0);
    ctx.set_fill_style_str(health.fill());
    ctx.fill();
    ctx.set_line_width(if health >= Health::Bad { 3.0 } else { 1.5 });
    ctx.set_stroke_style_str(health.stroke());
    ctx.stroke();
    font(ctx, title_px, true);
    ctx.set_fill_style_str(if health == Health::Bad {
        "#b91c1c"
    } else {
        INK
    });
    ctx.set_text_align("left");
    ctx.set_text_baseline("top");
    fit_text(ctx, title, r.x + 6.0, r.y + 5.0, r.w - 12.0);
    Rect {
        x: r.x + 6.0,
        y: r.y + 6.0 + title_px + 3.0,
        w: r.w - 12.0,
        h: r.h - title_px - 14.0,
    }
}

/// Crosses out `r` (a box's content area) and labels it (DOWN, UNHEALTHY).
fn cross_out(ctx: &Ctx, r: &Rect, label: &str) {
    ctx.set_stroke_style_str("#52525b");
    ctx.set_line_width(3.0);
    ctx.begin_path();
    ctx.move_to(r.x + 6.0, r.y + 6.0);
    ctx.line_to(r.x + r.w - 6.0, r.y + r.h - 6.0);
    ctx.move_to(r.x + r.w - 6.0, r.y + 6.0);
    ctx.line_to(r.x + 6.0, r.y + r.h - 6.0);
    ctx.stroke();
    let px = (r.h * 0.28)
        .clamp(11.0, 26.0)
        .min(r.w / (label.len() as f64 * 0.62 + 1.0));
    font(ctx, px, true);
    let tw = ctx.measure_text(label).map(|m| m.width()).unwrap_or(0.0);
    let (cx, cy) = r.center();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(cx - tw / 2.0 - 5.0, cy - px * 0.65, tw + 10.0, px * 1.3);
    ctx.set_fill_style_str("#b91c1c");
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    ctx.fill_text(label, cx, cy).ok();
}

/// Lines of text inside a box, smaller when room is short.
fn lines(ctx: &Ctx, inner: &Rect, rows: &[(String, &str)], px: f64) -> f64 {
    font(ctx, px, false);
    ctx.set_text_align("left");
    ctx.set_text_baseline("top");
    let mut y = inner.y;
    for (text, color) in rows {
        if y + px > inner.y + inner.h + 2.0 {
            break;
        }
        ctx.set_fill_style_str(color);
        fit_text(ctx, text, inner.x, y, inner.w);
        y += px + 3.0;
    }
    y
}

fn edge_width(rate: f64) -> f64 {
    1.0 + 7.0 * ((1.0 + rate.max(0.0)).log10() / (1.0 + 200_000f64).log10())
}

/// Draws the whole diagram. `w` and `h` are CSS pixels (the context is scaled).
pub fn draw(ctx: &Ctx, w: f64, h: f64, layout: &Layout, driver: &Driver, scene: &Scene) {
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, w, h);
    let small = layout.w < 640.0;
    let st = scene.status;
    // edge widths follow the smoothed rates; every number printed is the last complete second's
    let rates = scene.rates;
    let sec = scene.per_second();
    let npods = layout.pods.len();

    // edges: width follows the traffic (the reduced-motion view relies on it)
    let pod_share = |i: usize| rates.lb_pod.get(i).copied().unwrap_or(0.0);
    let total_lb_pod: f64 = rates.lb_pod.iter().sum::<f64>().max(1e-9);
    ctx.set_line_cap("round");
    for (from, to) in layout.edges() {
        let Some(path) = layout.path(from, to) else {
            continue;
        };
        let (rate, down) = match (from, to) {
            (node::CLIENT, node::LB) => (rates.client_lb, false),
            (node::LB, p) => (
                pod_share((p - node::POD0) as usize),
                !st.pods
                    .get((p - node::POD0) as usize)
                    .is_none_or(|p| p.healthy),
            ),
            (p, node::SHARD0) => (
                rates.pod_cache * pod_share((p - node::POD0) as usize) / total_lb_pod,
                st.cache_down(),
            ),
            (p, _) => (
                rates.pod_db * pod_share((p - node::POD0) as usize) / total_lb_pod,
                false,
            ),
        };
        ctx.set_line_width(edge_width(rate));
        let hot = to == node::DB && scene.db_health() == Health::Bad;
        ctx.set_stroke_style_str(if down {
            "#a1a1aa"
        } else if hot {
            "#f3a6a6"
        } else {
            EDGE
        });
        if down {
            ctx.set_line_dash(&js_sys::Array::of2(&6.0.into(), &5.0.into()))
                .ok();
        }
        ctx.begin_path();
        ctx.move_to(path[0].0, path[0].1);
        for p in &path[1..] {
            ctx.line_to(p.0, p.1);
        }
        ctx.stroke();
        if down {
            ctx.set_line_dash(&js_sys::Array::new()).ok();
        }
    }

    // dots
    if !driver.reduced_motion {
        draw_dots(
            ctx,
            layout,
            &driver.dots,
            driver.wall_s,
            if small { 2.4 } else { 3.0 },
        );
    }

    // edge labels (ops/s)
    let label_px = if small { 10.0 } else { 12.0 };
    let label = |text: &str, x: f64, y: f64| {
        font(ctx, label_px, true);
        let tw = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        ctx.set_fill_style_str("rgba(255,255,255,0.88)");
        ctx.fill_rect(
            x - tw / 2.0 - 3.0,
            y - label_px / 2.0 - 2.0,
            tw + 6.0,
            label_px + 4.0,
        );
        ctx.set_fill_style_str(INK);
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        ctx.fill_text(text, x, y).ok();
    };
    {
        let a = layout.client.center();
        let b = layout.lb.center();
        let (x, y) = if layout.vertical {
            (
                a.0 + 48.0,
                (layout.client.y + layout.client.h + layout.lb.y) / 2.0,
            )
        } else {
            (
                (layout.client.x + layout.client.w + layout.lb.x) / 2.0,
                a.1 - 16.0,
            )
        };
        let _ = b;
        label(&per_sec(sec.client_lb), x, y);
    }
    let in_title = !layout.vertical && layout.cache.w >= 200.0;
    if !in_title {
        label(
            &format!("{} ops", per_sec(sec.pod_cache)),
            layout.cache.x + layout.cache.w / 2.0,
            layout.cache.y - 12.0,
        );
        label(
            &format!("{} queries", per_sec(sec.pod_db)),
            layout.db.x + layout.db.w / 2.0,
            layout.db.y - 12.0,
        );
    }

    let title_px = if small { 12.0 } else { 14.0 };
    let px = if small { 11.0 } else { 13.0 };

    // Client
    // the slider's rate first, then what the failures add on top of it
    let inner = node_box(ctx, &layout.client, "Client", Health::Ok, title_px);
    let mut rows = vec![(format!("{} RPS", compact(st.rps)), INK)];
    if st.hot_key_rate > 0.0 {
        rows.push((format!("+ {} hot key", compact(st.hot_key_rate)), "#b45309"));
    }
    if st.attack_rate > 0.0 {
        rows.push((format!("+ {} attack", compact(st.attack_rate)), "#b91c1c"));
    }
    if let Some(l) = scene.last {
        if l.failed > 0 {
            rows.push((format!("{} errors/s", compact(l.failed as f64)), "#b91c1c"));
        }
    }
    if layout.vertical && rows.len() > 1 {
        // a phone's Client box has room for one line: the most detailed
        // wording that fits, keeping the errors figure
        let first = rows[0].1;
        let extra = st.hot_key_rate + st.attack_rate;
        let errors = scene.last.map_or(0, |l| l.failed);
        let err = |long: bool| match (errors, long) {
            (0, _) => String::new(),
            (e, true) => format!(" · {} errors/s", compact(e as f64)),
            (e, false) => format!(" · {} err/s", compact(e as f64)),
        };
        let detail = |long: bool| {
            let mut t = if long {
                format!("{} RPS", compact(st.rps))
            } else {
                compact(st.rps)
            };
            for (rate, name) in [(st.hot_key_rate, "hot"), (st.attack_rate, "attack")] {
                if rate > 0.0 {
                    let name = if long && name == "hot" {
                        "hot key"
                    } else {
                        name
                    };
                    t.push_str(&format!(" + {} {name}", compact(rate)));
                }
            }
            t
        };
        let candidates = [
            detail(true) + &err(true),
            detail(false) + &err(false),
            format!("{} RPS", compact(st.rps + extra)) + &err(false),
        ];
        rows = vec![(first_fit(ctx, px, inner.w, candidates), first)];
    }
    lines(ctx, &inner, &rows, px);

    // AppLB
    let lbh = scene.lb_health();
    let inner = node_box(ctx, &layout.lb, "AppLB", lbh, title_px);
    let lb_frac = sec.client_lb / scene.caps.lb_rps;
    let y = lines(
        ctx,
        &inner,
        &[(
            format!(
                "{} of {} RPS",
                compact(sec.client_lb),
                compact(scene.caps.lb_rps)
            ),
            INK,
        )],
        px,
    );
    gauge(
        ctx,
        inner.x,
        y,
        inner.w,
        6.0,
        lb_frac,
        level_color(lb_frac, 0.8, 1.0),
        &[],
    );
    let mut rows = Vec::new();
    if st.lb_queue >= 50 {
        rows.push((format!("queue {}", compact(st.lb_queue as f64)), "#b45309"));
    }
    if let Some(l) = scene.last {
        if l.err_502 > 0 {
            rows.push((format!("502: {}/s", compact(l.err_502 as f64)), "#b91c1c"));
        }
        if l.err_503 > 0 {
            rows.push((format!("503: {}/s", compact(l.err_503 as f64)), "#b91c1c"));
        }
    }
    lines(
        ctx,
        &Rect {
            y: y + 10.0,
            h: inner.h - (y + 10.0 - inner.y),
            ..inner
        },
        &rows,
        px,
    );

    // pods
    let tiny = if layout.vertical {
        layout.pods[0].w < 70.0
    } else {
        layout.pods[0].h < 40.0
    };
    for (i, r) in layout.pods.iter().enumerate().take(npods) {
        let ph = scene.pod_health(i);
        let p = st.pods.get(i);
        if tiny {
            rrect(ctx, r, 5.0);
            ctx.set_fill_style_str(ph.fill());
            ctx.fill();
            ctx.set_line_width(if ph >= Health::Bad { 2.5 } else { 1.2 });
            ctx.set_stroke_style_str(ph.stroke());
            ctx.stroke();
            font(ctx, 10.0, false);
            ctx.set_fill_style_str(INK);
            ctx.set_text_align("center");
            ctx.set_text_baseline("middle");
            let (cx, cy) = r.center();
            let text = match p {
                Some(p) if !p.healthy => format!("P{} ✕", i + 1),
                Some(p) => format!("P{} {}", i + 1, compact(p.inflight as f64)),
                None => format!("P{}", i + 1),
            };
            fit_text(ctx, &text, cx, cy, r.w - 4.0);
            continue;
        }
        let pod_px = if small { 11.0 } else { 13.0 };
        font(ctx, pod_px, true);
        let long = format!("AppService pod {}", i + 1);
        let fits = ctx
            .measure_text(&long)
            .map(|m| m.width())
            .unwrap_or(f64::MAX)
            <= r.w - 12.0;
        let title = if fits && !layout.vertical {
            long
        } else {
            format!("Pod {}", i + 1)
        };
        let inner = node_box(ctx, r, &title, ph, pod_px);
        match p {
            Some(p) if !p.healthy => {
                // below the title, so the box still says which pod it is
                cross_out(ctx, &inner, "UNHEALTHY");
            }
            Some(p) => {
                let rows = vec![
                    (format!("busy {}", compact(p.inflight as f64)), INK),
                    (
                        format!("pool {}/{}", p.pool_busy, scene.pool_size),
                        if p.waiting > 0 { "#b91c1c" } else { MUTED },
                    ),
                    (
                        if p.waiting > 0 {
                            format!("{} waiting", compact(p.waiting as f64))
                        } else {
                            String::new()
                        },
                        "#b91c1c",
                    ),
                ];
                lines(ctx, &inner, &rows, if small { 10.0 } else { 12.0 });
            }
            None => {}
        }
    }

    // CacheNode
    let ch = scene.cache_health();
    let inner = node_box(ctx, &layout.cache, "CacheNode (Redis)", ch, title_px);
    if ch == Health::Down {
        let rows = vec![("every GET fails → DB".to_string(), INK)];
        let y = lines(ctx, &inner, &rows, px);
        // below the texts, which stay readable
        let below = Rect {
            y,
            h: inner.y + inner.h - y,
            ..inner
        };
        cross_out(ctx, &below, "DOWN");
    } else {
        let cpu = scene.last.map_or(0.0, |l| l.cache_cpu);
        let mem = scene.mem_fraction();
        let mut y = lines(
            ctx,
            &inner,
            &[(format!("CPU {} (alert 60%)", pct(cpu)), INK)],
            px,
        );
        gauge(
            ctx,
            inner.x,
            y,
            inner.w,
            7.0,
            cpu,
            level_color(cpu, CPU_ALERT, CPU_SATURATED),
            &[CPU_ALERT],
        );
        y += 12.0;
        let r = Rect {
            y,
            h: inner.h - (y - inner.y),
            ..inner
        };
        let y2 = lines(
            ctx,
            &r,
            &[(
                format!(
                    "memory {} of {}",
                    pct(mem),
                    bytes(st.cache_max_bytes() as f64)
                ),
                INK,
            )],
            px,
        );
        gauge(
            ctx,
            inner.x,
            y2,
            inner.w,
            7.0,
            mem,
            level_color(mem, MEM_ALERT, MEM_CRITICAL),
            &[MEM_ALERT, MEM_CRITICAL],
        );
        let y3 = y2 + 12.0;
        let mut rows = vec![(
            format!(
                "{} keys · hit {}",
                compact(st.cache_keys() as f64),
                scene.last.map_or("-".into(), |l| pct(l.hit_rate))
            ),
            INK,
        )];
        if let Some(l) = scene.last {
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
            } else if st.shards.iter().map(|s| s.queue).sum::<u64>() > 50 {
                rows.push((
                    format!("queue {}", compact(st.shards.iter().map(|s| s.queue).sum::<u64>() as f64)),
                    "#b91c1c",
                ));
            }
        }
        lines(
            ctx,
            &Rect {
                y: y3,
                h: inner.h - (y3 - inner.y),
                ..inner
            },
            &rows,
            px,
        );
    }

    // the edge's rate: in the title row when it fits, else in the box's bottom corner
    let title_rate = |r: &Rect, title: &str, text: &str| {
        font(ctx, title_px, true);
        let tw = ctx.measure_text(title).map(|m| m.width()).unwrap_or(0.0);
        font(ctx, px, true);
        let rw = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        ctx.set_fill_style_str(MUTED);
        ctx.set_text_align("right");
        if tw + rw + 24.0 <= r.w {
            ctx.set_text_baseline("top");
            ctx.fill_text(text, r.x + r.w - 8.0, r.y + 6.0).ok();
        } else {
            ctx.set_text_baseline("bottom");
            ctx.fill_text(text, r.x + r.w - 8.0, r.y + r.h - 5.0).ok();
        }
    };
    if in_title {
        title_rate(
            &layout.cache,
            "CacheNode (Redis)",
            &format!("{} ops", per_sec(sec.pod_cache)),
        );
    }

    // BackendDB
    let dh = scene.db_health();
    // the longest title that fits the box (a phone's box is narrow)
    font(ctx, title_px, true);
    let db_title = DB_TITLES
        .iter()
        .copied()
        .find(|t| ctx.measure_text(t).map(|m| m.width()).unwrap_or(f64::MAX) <= layout.db.w - 12.0)
        .unwrap_or(DB_TITLES[DB_TITLES.len() - 1]);
    let inner = node_box(ctx, &layout.db, db_title, dh, title_px);
    let load = scene.db_load();
    let load_text = format!("load {}", crate::format::load(load));
    let mut y = lines(
        ctx,
        &inner,
        &[(load_text, if load > 1.0 { "#b91c1c" } else { INK })],
        px,
    );
    gauge(
        ctx,
        inner.x,
        y,
        inner.w,
        7.0,
        load,
        level_color(load, 0.85, 1.0),
        &[],
    );
    y += 12.0;
    let misses = scene.last.map_or(0.0, |l| l.db_miss as f64);
    let r = Rect {
        y,
        h: inner.h - (y - inner.y),
        ..inner
    };
    let y2 = lines(
        ctx,
        &r,
        &[(
            format!(
                "{} SELECTs of ~{}",
                per_sec(misses),
                per_sec(scene.caps.db_qps)
            ),
            INK,
        )],
        px,
    );
    let r = Rect {
        y: y2,
        h: inner.h - (y2 - inner.y),
        ..inner
    };
    let conns = st.db_connections as f64 / st.db_max_connections.max(1) as f64;
    let y3 = lines(
        ctx,
        &r,
        &[(
            format!(
                "connections {}/{}",
                st.db_connections, st.db_max_connections
            ),
            if conns >= 0.99 { "#b91c1c" } else { INK },
        )],
        px,
    );
    gauge(
        ctx,
        inner.x,
        y3,
        inner.w,
        7.0,
        conns,
        level_color(conns, 0.7, 0.99),
        &[0.7],
    );
    let waiting: u32 = st.pods.iter().map(|p| p.waiting).sum();
    let mut rows = Vec::new();
    if waiting > 0 {
        let n = compact(waiting as f64);
        let candidates = [
            format!("{n} requests wait for a connection"),
            format!("{n} wait for a connection"),
            format!("{n} wait for a conn."),
        ];
        rows.push((first_fit(ctx, px, inner.w, candidates), "#b91c1c"));
    }
    if st.db_slowdown != 1.0 {
        rows.push((format!("queries {}x slower", st.db_slowdown), "#b91c1c"));
    }
    if let Some(l) = scene.last {
        if l.err_db_connections > 0 {
            rows.push((
                format!(
                    "\"too many connections\": {}/s",
                    compact(l.err_db_connections as f64)
                ),
                "#b91c1c",
            ));
        }
    }
    let r = Rect {
        y: y3 + 12.0,
        h: inner.h - (y3 + 12.0 - inner.y),
        ..inner
    };
    lines(ctx, &r, &rows, px);
    if in_title {
        title_rate(
            &layout.db,
            db_title,
            &format!("{} queries", per_sec(sec.pod_db)),
        );
    }

    if driver.paused {
        font(ctx, 13.0, true);
        ctx.set_text_align("right");
        ctx.set_text_baseline("top");
        ctx.set_fill_style_str(MUTED);
        ctx.fill_text("PAUSED", w - 8.0, 4.0).ok();
    }
}

/// Paths by (from, to), computed once per frame.
type PathCache = HashMap<(u16, u16), Option<Vec<(f64, f64)>>>;

fn draw_dots(ctx: &Ctx, layout: &Layout, dots: &Dots, wall: f64, radius: f64) {
    let mut paths: PathCache = HashMap::new();
    let mut buckets: HashMap<DotClass, Vec<(f64, f64)>> = HashMap::new();
    for d in &dots.dots {
        let f = d.progress(wall);
        if !(0.0..=1.0).contains(&f) {
            continue;
        }
        let path = paths
            .entry((d.from, d.to))
            .or_insert_with(|| layout.path(d.from, d.to));
        let Some(path) = path else { continue };
        // left of the direction of travel: the two directions of an edge get their own lanes
        let p = point_along(path, f, 3.5);
        buckets.entry(DotClass::of(d.kind)).or_default().push(p);
    }
    for class in DotClass::ALL {
        let Some(points) = buckets.get(&class) else {
            continue;
        };
        ctx.set_fill_style_str(class.color());
        ctx.begin_path();
        for (x, y) in points {
            ctx.move_to(x + radius, *y);
            ctx.arc(*x, *y, radius, 0.0, 2.0 * PI).ok();
        }
        ctx.fill();
    }
}
