//! Charts over a rolling window of simulated seconds, drawn with plotters on
//! canvases: hit rate, DB load against capacity, latency (log axis with the
//! SLIs, p95 on request), errors by kind and stale reads, Redis CPU and
//! memory; every chart marks the faults and live changes in its window.

use crate::explain::{
    db_load, CPU_ALERT, HIT_SLI, MEM_ALERT, MEM_CRITICAL, SLI_HIT_P99_MS, SLI_MISS_P99_MS,
};
use cachesim_core::SecondStats;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// Simulated seconds shown.
pub const WINDOW_S: u32 = 120;

const BLUE: RGBColor = RGBColor(37, 99, 235);
const GREEN: RGBColor = RGBColor(22, 163, 74);
const ORANGE: RGBColor = RGBColor(234, 88, 12);
const PURPLE: RGBColor = RGBColor(124, 58, 237);
const RED: RGBColor = RGBColor(220, 38, 38);
const GREY: RGBColor = RGBColor(107, 114, 128);
const AMBER: RGBColor = RGBColor(217, 119, 6);
const TEAL: RGBColor = RGBColor(13, 148, 136);
const PINK: RGBColor = RGBColor(219, 39, 119);

/// What the charts need besides the history.
pub struct ChartInput<'a> {
    pub seconds: &'a [SecondStats],
    pub now_s: f64,
    pub db_capacity: f64,
    pub target_hit_rate: f64,
    /// Device pixels per CSS pixel.
    pub dpr: f64,
    /// Faults and live changes in the window: (simulated time, what), drawn
    /// as vertical markers on every chart, labelled on the first.
    pub events: &'a [(f64, String)],
    /// Draw p95 beside p50 and p99 on the latency chart.
    pub p95: bool,
}

impl ChartInput<'_> {
    fn x_range(&self) -> (f64, f64) {
        let end = self.now_s.max(WINDOW_S as f64);
        (end - WINDOW_S as f64, end)
    }
}

fn series<'a>(seconds: &'a [SecondStats], f: impl Fn(&SecondStats) -> f64 + 'a) -> Vec<(f64, f64)> {
    // a second's value is drawn at its end
    seconds.iter().map(|s| (s.t_s as f64 + 1.0, f(s))).collect()
}

/// Splits a series where values are not positive (for the log axis).
fn positive_runs(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![];
    let mut cur = vec![];
    for &(x, y) in points {
        if y > 0.0 {
            cur.push((x, y));
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

type Area = DrawingArea<CanvasBackend, Shift>;

fn area(canvas: &HtmlCanvasElement) -> Option<Area> {
    let backend = CanvasBackend::with_canvas_object(canvas.clone())?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    Some(root)
}

fn sizes(dpr: f64) -> (u32, u32, u32) {
    let s = |v: f64| (v * dpr).round() as u32;
    (s(12.0), s(34.0), s(52.0))
}

fn line_style(c: RGBColor, dpr: f64) -> ShapeStyle {
    c.stroke_width((2.0 * dpr).round().max(1.0) as u32)
}

fn thin(c: RGBColor, dpr: f64) -> ShapeStyle {
    c.stroke_width(dpr.round().max(1.0) as u32)
}

macro_rules! legend_line {
    ($c:expr, $dpr:expr) => {{
        let c = $c;
        let w = (14.0 * $dpr) as i32;
        move |(x, y)| PathElement::new(vec![(x, y), (x + w, y)], line_style(c, $dpr))
    }};
}

/// Draws a horizontal threshold line with a legend entry.
fn threshold<
    'a,
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
>(
    chart: &mut ChartContext<'a, DB, CT>,
    x: (f64, f64),
    y: f64,
    color: RGBColor,
    label: &str,
    dpr: f64,
) {
    let d = (5.0 * dpr) as u32;
    if let Ok(a) = chart.draw_series(DashedLineSeries::new(
        vec![(x.0, y), (x.1, y)],
        d,
        d,
        thin(color, dpr),
    )) {
        let w = (14.0 * dpr) as i32;
        a.label(label).legend(move |(px, py)| {
            PathElement::new(vec![(px, py), (px + w, py)], thin(color, dpr))
        });
    }
}

/// Vertical dashed markers at the events' times, from `y.0` to `y.1`, with
/// their labels near the top when `labelled`.
fn markers<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, DB, CT>,
    i: &ChartInput,
    y: (f64, f64),
    labelled: bool,
) {
    let (x0, x1) = i.x_range();
    let d = (3.0 * i.dpr) as u32;
    let font = ((10.0 * i.dpr) as u32).max(8);
    for (k, (t, what)) in i.events.iter().enumerate() {
        if *t < x0 || *t > x1 {
            continue;
        }
        chart
            .draw_series(DashedLineSeries::new(
                vec![(*t, y.0), (*t, y.1)],
                d,
                d,
                thin(RGBColor(55, 65, 81), i.dpr),
            ))
            .ok();
        if labelled {
            // staggered, so that neighbours do not overwrite each other
            let frac = 0.97 - 0.09 * (k % 3) as f64;
            let yy = y.0 + (y.1 - y.0) * frac;
            let short: String = what.chars().take(22).collect();
            chart
                .draw_series(std::iter::once(Text::new(
                    short,
                    (*t, yy),
                    ("sans-serif", font)
                        .into_font()
                        .color(&RGBColor(55, 65, 81)),
                )))
                .ok();
        }
    }
}

fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    dpr: f64,
    pos: SeriesLabelPosition,
) {
    chart
        .configure_series_labels()
        .position(pos)
        .background_style(WHITE.mix(0.85))
        .border_style(GREY.mix(0.4))
        .label_font(("sans-serif", (11.0 * dpr) as u32))
        .margin((4.0 * dpr) as u32)
        .draw()
        .ok();
}

type Linear<'a> = ChartContext<'a, CanvasBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart over the time window with a linear y axis from 0 to `top`, its
/// mesh and axis labels drawn.
fn linear<'a>(
    root: &'a Area,
    i: &ChartInput,
    top: f64,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> Option<Linear<'a>> {
    let (font, xl, yl) = sizes(i.dpr);
    let (x0, x1) = i.x_range();
    let mut chart = ChartBuilder::on(root)
        .margin((8.0 * i.dpr) as u32)
        // room for the last time label ("120") at the right edge
        .margin_right((18.0 * i.dpr) as u32)
        .x_label_area_size(xl)
        .y_label_area_size(yl)
        .build_cartesian_2d(x0..x1, 0f64..top)
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("simulated time (s)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(y_desc)
        .y_label_formatter(y_format)
        .label_style(("sans-serif", font))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .ok()?;
    Some(chart)
}

/// A labelled line.
fn line<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, DB, CT>,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    label: &str,
    dpr: f64,
) -> Option<()> {
    chart
        .draw_series(LineSeries::new(points, line_style(color, dpr)))
        .ok()?
        .label(label)
        .legend(legend_line!(color, dpr));
    Some(())
}

fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

fn compact(v: &f64) -> String {
    crate::format::compact(*v)
}

pub fn hit_rate(canvas: &HtmlCanvasElement, i: &ChartInput) -> Option<()> {
    let root = area(canvas)?;
    let x = i.x_range();
    let mut chart = linear(&root, i, 100.0, "hit rate (%)", &whole)?;
    let hits = series(i.seconds, |s| s.hit_rate * 100.0);
    line(&mut chart, hits, GREEN, "lookups that hit", i.dpr)?;
    threshold(
        &mut chart,
        x,
        i.target_hit_rate * 100.0,
        GREY,
        "target",
        i.dpr,
    );
    threshold(&mut chart, x, HIT_SLI * 100.0, RED, "SLI 80%", i.dpr);
    markers(&mut chart, i, (0.0, 100.0), true);
    legend(&mut chart, i.dpr, SeriesLabelPosition::LowerLeft);
    root.present().ok()
}

/// The DB's load and its workers' busy fraction, both as multiples of its
/// capacity: the figures the canvas, the status line and the explanation
/// show (`dbfig`).
pub fn db(canvas: &HtmlCanvasElement, i: &ChartInput) -> Option<()> {
    let root = area(canvas)?;
    let x = i.x_range();
    let load = series(i.seconds, |s| db_load(s, i.db_capacity));
    let busy = series(i.seconds, |s| s.db_utilization);
    let top = load.iter().map(|p| p.1).fold(1.25, f64::max) * 1.45;
    let mut chart = linear(&root, i, top, "x capacity", &|v| format!("{v:.1}x"))?;
    line(&mut chart, load, RED, "load (work offered)", i.dpr)?;
    line(&mut chart, busy, ORANGE, "workers busy", i.dpr)?;
    let capacity = format!(
        "capacity: every worker busy (~{} SELECTs)",
        crate::format::per_sec(i.db_capacity)
    );
    threshold(&mut chart, x, 1.0, GREY, &capacity, i.dpr);
    markers(&mut chart, i, (0.0, top), false);
    legend(&mut chart, i.dpr, SeriesLabelPosition::UpperLeft);
    root.present().ok()
}

pub fn latency(canvas: &HtmlCanvasElement, i: &ChartInput) -> Option<()> {
    let root = area(canvas)?;
    let (font, xl, yl) = sizes(i.dpr);
    let (x0, x1) = i.x_range();
    let mut chart = ChartBuilder::on(&root)
        .margin((8.0 * i.dpr) as u32)
        // room for the last time label ("120") at the right edge
        .margin_right((18.0 * i.dpr) as u32)
        .x_label_area_size(xl)
        .y_label_area_size(yl)
        .build_cartesian_2d(x0..x1, (0.5f64..30_000f64).log_scale())
        .ok()?;
    chart
        .configure_mesh()
        .x_desc("simulated time (s)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("latency (ms)")
        .y_label_formatter(&|v| {
            if *v >= 1.0 {
                format!("{v:.0}")
            } else {
                format!("{v}")
            }
        })
        .label_style(("sans-serif", font))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .ok()?;
    for (name, color, f) in [
        (
            "p50",
            BLUE,
            (|s: &SecondStats| s.p50_ms) as fn(&SecondStats) -> f64,
        ),
        ("p95", TEAL, |s: &SecondStats| s.p95_ms),
        ("p99 (successes)", PURPLE, |s: &SecondStats| s.p99_ms),
        // a failed request has a latency too: the time until its error
        ("p99 (errors too)", PINK, |s: &SecondStats| {
            s.with_failures_p99_ms
        }),
    ] {
        if name == "p95" && !i.p95 {
            continue;
        }
        let runs = positive_runs(&series(i.seconds, move |s| f(s).clamp(0.0, 3_000.0)));
        let mut first = true;
        for run in runs {
            let a = chart
                .draw_series(LineSeries::new(run, line_style(color, i.dpr)))
                .ok()?;
            if first {
                a.label(name).legend(legend_line!(color, i.dpr));
                first = false;
            }
        }
    }
    threshold(
        &mut chart,
        (x0, x1),
        SLI_HIT_P99_MS,
        GREEN,
        "SLI hit p99 2 ms",
        i.dpr,
    );
    threshold(
        &mut chart,
        (x0, x1),
        SLI_MISS_P99_MS,
        RED,
        "SLI miss p99 30 ms",
        i.dpr,
    );
    markers(&mut chart, i, (0.5, 30_000.0), false);
    legend(&mut chart, i.dpr, SeriesLabelPosition::UpperLeft);
    root.present().ok()
}

/// An error kind: legend, colour, count per second.
type ErrorSeries = (&'static str, RGBColor, fn(&SecondStats) -> u64);

pub fn errors(canvas: &HtmlCanvasElement, i: &ChartInput) -> Option<()> {
    let root = area(canvas)?;
    let kinds: [ErrorSeries; 7] = [
        ("pool wait timeout", RED, |s| s.err_pool_timeout),
        ("too many DB connections", ORANGE, |s| s.err_db_connections),
        ("client timeout", PURPLE, |s| s.err_timeout),
        ("503 LB / pod full", AMBER, |s| s.err_503),
        ("502 no healthy pod", PINK, |s| s.err_502),
        ("write OOM", TEAL, |s| s.err_cache_oom),
        // not an error to the client, but a wrong answer
        ("stale reads served", BLUE, |s| s.stale_reads),
    ];
    let top = i
        .seconds
        .iter()
        .map(|s| kinds.iter().map(|k| k.2(s)).max().unwrap_or(0))
        .max()
        .unwrap_or(0) as f64;
    let top = (top * 1.45).max(10.0);
    let mut chart = linear(&root, i, top, "per second", &compact)?;
    markers(&mut chart, i, (0.0, top), false);
    let mut any = false;
    for (name, color, f) in kinds {
        if i.seconds.iter().all(|s| f(s) == 0) {
            continue;
        }
        any = true;
        line(
            &mut chart,
            series(i.seconds, move |s| f(s) as f64),
            color,
            name,
            i.dpr,
        )?;
    }
    if any {
        legend(&mut chart, i.dpr, SeriesLabelPosition::UpperLeft);
    } else {
        let (w, h) = root.dim_in_pixel();
        let (font, _, _) = sizes(i.dpr);
        root.draw(&Text::new(
            "no errors or stale reads in this window",
            ((w as f64 * 0.4) as i32, (h as f64 * 0.4) as i32),
            ("sans-serif", font).into_font().color(&GREY),
        ))
        .ok();
    }
    root.present().ok()
}

pub fn cache(canvas: &HtmlCanvasElement, i: &ChartInput) -> Option<()> {
    let root = area(canvas)?;
    let x = i.x_range();
    let mut chart = linear(&root, i, 100.0, "% of capacity", &whole)?;
    let cpu = series(i.seconds, |s| s.cache_cpu * 100.0);
    line(&mut chart, cpu, BLUE, "CPU (single thread)", i.dpr)?;
    let memory = series(i.seconds, |s| s.cache_memory_fraction * 100.0);
    line(&mut chart, memory, PURPLE, "memory", i.dpr)?;
    // the pods' CPU beside Redis': the seed's scaling trigger is at 70%
    let pods = series(i.seconds, |s| s.pod_cpu * 100.0);
    line(&mut chart, pods, TEAL, "pods' CPU (mean)", i.dpr)?;
    threshold(
        &mut chart,
        x,
        CPU_ALERT * 100.0,
        BLUE,
        "CPU alert 60%",
        i.dpr,
    );
    threshold(
        &mut chart,
        x,
        MEM_ALERT * 100.0,
        AMBER,
        "memory alert 70%",
        i.dpr,
    );
    threshold(
        &mut chart,
        x,
        MEM_CRITICAL * 100.0,
        RED,
        "memory critical 85%",
        i.dpr,
    );
    markers(&mut chart, i, (0.0, 100.0), false);
    legend(&mut chart, i.dpr, SeriesLabelPosition::UpperLeft);
    root.present().ok()
}
