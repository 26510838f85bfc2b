//! Drawing the architecture on its canvas: edges sized by traffic, dots in
//! flight, and each component with its live state. `draw` walks the boxes
//! of the layout and hands each to the function of its kind: `front`
//! (client, LB, pods), `cache_tier` (proxy, shards, warm-up worker), `db`;
//! `edges` draws the lines and their rates.

mod cache_tier;
mod db;
mod edges;
mod front;
mod stream;

use crate::anim::{DotClass, Dots};
use crate::dbfig::DbFigures;
use crate::driver::{Driver, EdgeRates};
use crate::explain::{Capacities, CPU_ALERT, CPU_SATURATED, MEM_ALERT, MEM_CRITICAL};
use crate::layout::{pose_along, Layout, Rect};
use cachesim_core::frame::NodeKind;
use cachesim_core::metrics::TierSecond;
use cachesim_core::{SecondStats, ShardStatus, Status};
use std::collections::HashMap;
use std::f64::consts::PI;
use web_sys::CanvasRenderingContext2d as Ctx;

const INK: &str = "#1f2937";
const MUTED: &str = "#6b7280";
const EDGE: &str = "#b8c2d3";

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
    /// The last complete second of the cache tier (per shard, proxy, warm-up).
    pub tier: Option<&'a TierSecond>,
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

    pub fn shard(&self, i: usize) -> Option<&ShardStatus> {
        self.status.shards.get(i)
    }

    /// One Redis shard: down, or its CPU and memory against the seed's alert lines.
    pub fn shard_health(&self, i: usize) -> Health {
        let Some(s) = self.shard(i) else {
            return Health::Down;
        };
        if !s.up {
            return Health::Down;
        }
        let mem = shard_memory(s);
        if s.cpu >= CPU_SATURATED || mem >= MEM_CRITICAL {
            Health::Bad
        } else if s.cpu >= CPU_ALERT || mem >= MEM_ALERT {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    /// Replica `k` (`shard * MAX_REPLICAS + j`), if it runs.
    pub fn replica(&self, k: usize) -> Option<&cachesim_core::sim::ReplicaStatus> {
        let per = cachesim_core::frame::node::MAX_REPLICAS as usize;
        self.shard(k / per)?.replicas.get(k % per)
    }

    /// The whole cache tier: down when every shard is, else its worst shard.
    pub fn cache_health(&self) -> Health {
        if self.status.cache_down() {
            return Health::Down;
        }
        (0..self.status.shards.len())
            .map(|i| self.shard_health(i))
            .filter(|h| *h != Health::Down)
            .max()
            .unwrap_or(Health::Ok)
    }

    pub fn mem_fraction(&self) -> f64 {
        self.status.max_memory_fraction()
    }

    pub fn proxy_health(&self) -> Health {
        let Some(p) = &self.status.proxy else {
            return Health::Down;
        };
        let refused = self.tier.map_or(0, |t| t.proxy_refused);
        if p.utilization >= CPU_SATURATED || refused > 0 {
            Health::Bad
        } else if p.utilization >= 0.7 {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    /// The DB's figures, as every text words them (`dbfig`).
    pub fn db(&self) -> DbFigures {
        DbFigures::of(self.last, self.status, self.caps.db_qps)
    }

    /// Bad when overloaded, every connection busy or queries refused; idle
    /// pooled connections count for nothing.
    pub fn db_health(&self) -> Health {
        let d = self.db();
        if d.load > 1.0 || d.exhausted() || d.refused > 0 {
            Health::Bad
        } else if d.load > 0.85 || d.busy_fraction() >= 0.7 {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    pub fn pod_health(&self, i: usize) -> Health {
        let Some(p) = self.status.pods.get(i) else {
            return Health::Down;
        };
        if !p.up || !p.healthy && p.failed_checks > 0 {
            return Health::Down;
        }
        if !p.healthy {
            // joining: not yet in rotation
            return Health::Warn;
        }
        let busy = p.inflight as f64 / self.caps.max_inflight_per_pod.max(1) as f64;
        if busy > 0.9 || p.cpu > 0.95 || p.waiting > 0 && p.pool_busy >= self.pool_size {
            Health::Bad
        } else if busy > 0.5
            || p.cpu > self.status.autoscale.cpu_threshold
            || p.pool_busy as f64 >= 0.9 * self.pool_size as f64
        {
            Health::Warn
        } else {
            Health::Ok
        }
    }
}

/// Used memory as a fraction of a shard's maxmemory.
pub fn shard_memory(s: &ShardStatus) -> f64 {
    s.memory_bytes as f64 / s.max_bytes.max(1) as f64
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

/// What every component's drawing function gets: the context, the layout,
/// the scene, the last second's rates and the sizes of text.
struct Pen<'a> {
    ctx: &'a Ctx,
    layout: &'a Layout,
    scene: &'a Scene<'a>,
    /// The numbers printed: the last complete second's.
    sec: EdgeRates,
    small: bool,
    title_px: f64,
    px: f64,
}

impl Pen<'_> {
    /// A box's traffic goes in its title row (wide canvases, wide boxes).
    fn rate_in_title(&self, r: &Rect) -> bool {
        !self.layout.vertical && r.w >= 200.0
    }

    /// The edge's rate: in the title row when it fits, else in the box's bottom corner.
    fn title_rate(&self, r: &Rect, title: &str, text: &str) {
        let ctx = self.ctx;
        font(ctx, self.title_px, true);
        let tw = ctx.measure_text(title).map(|m| m.width()).unwrap_or(0.0);
        font(ctx, self.px, true);
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
    }

    /// The DB's rate has no room above its box (a wide canvas's shard grid
    /// ends just above it): it goes in the box's bottom corner.
    fn db_rate_inside(&self) -> bool {
        let l = self.layout;
        !l.vertical && !self.rate_in_title(&l.db) && l.shards.len() > 1
    }

    /// A rate on a white chip centred at (x, y).
    fn label(&self, text: &str, x: f64, y: f64) {
        let ctx = self.ctx;
        let label_px = if self.small { 10.0 } else { 12.0 };
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
    }
}

/// Draws the whole diagram. `w` and `h` are CSS pixels (the context is scaled).
pub fn draw(ctx: &Ctx, w: f64, h: f64, layout: &Layout, driver: &Driver, scene: &Scene) {
    ctx.set_fill_style_str("#ffffff");
    // one CSS pixel more: the backing store is w x dpr rounded, and the
    // opaque canvas (app.rs) would show black in a column left uncovered
    ctx.fill_rect(0.0, 0.0, w + 1.0, h + 1.0);
    let small = layout.w < 640.0;
    let pen = Pen {
        ctx,
        layout,
        scene,
        sec: scene.per_second(),
        small,
        title_px: if small { 12.0 } else { 14.0 },
        px: if small { 11.0 } else { 13.0 },
    };
    // edge widths follow the smoothed rates (the reduced-motion view relies on them)
    edges::lines(&pen, &driver.topology.edges, scene.rates);
    if !driver.reduced_motion {
        draw_dots(
            ctx,
            layout,
            &driver.dots,
            driver.wall_s,
            if small { 2.4 } else { 3.0 },
        );
    }
    edges::labels(&pen);
    for (id, r) in layout.boxes() {
        match NodeKind::of(id) {
            (NodeKind::Client, _) => front::client(&pen, &r),
            (NodeKind::Lb, _) => front::lb(&pen, &r),
            (NodeKind::Pod, i) => front::pod(&pen, &r, i),
            (NodeKind::Proxy, _) => cache_tier::proxy(&pen, &r),
            (NodeKind::Shard, i) => cache_tier::shard(&pen, &r, i),
            (NodeKind::Db, _) => db::db(&pen, &r),
            (NodeKind::Warmup, _) => cache_tier::warmup(&pen, &r),
            (NodeKind::Replica, k) => cache_tier::replica(&pen, &r, k),
            (NodeKind::Stream, _) => stream::stream(&pen, &r),
        }
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
    type Pose = ((f64, f64), (f64, f64));
    let mut buckets: HashMap<DotClass, Vec<Pose>> = HashMap::new();
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
        let pose = pose_along(path, f, 3.5);
        buckets.entry(DotClass::of(d.kind)).or_default().push(pose);
    }
    for class in DotClass::ALL {
        let Some(poses) = buckets.get(&class) else {
            continue;
        };
        ctx.set_fill_style_str(class.color());
        ctx.begin_path();
        for &((x, y), (ux, uy)) in poses {
            if ux == 0.0 && uy == 0.0 {
                ctx.move_to(x + radius, y);
                ctx.arc(x, y, radius, 0.0, 2.0 * PI).ok();
                continue;
            }
            // an arrowhead pointing the way it travels, about a dot's area
            let (tip, back, half) = (1.7 * radius, 1.1 * radius, 1.25 * radius);
            ctx.move_to(x + ux * tip, y + uy * tip);
            ctx.line_to(x - ux * back - uy * half, y - uy * back + ux * half);
            ctx.line_to(x - ux * back + uy * half, y - uy * back - ux * half);
            ctx.close_path();
        }
        ctx.fill();
    }
}
