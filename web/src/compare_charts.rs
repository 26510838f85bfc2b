//! The comparison's charts (plotters on canvas, as `charts`): the three
//! designs overlaid on shared axes over the whole run, one colour per
//! design, the scenario's faults marked: hit rate, DB queries offered
//! against the DB's capacity, p99 with failures (log axis) and errors/s.

use cachesim_core::compare::Design;
use cachesim_core::SecondStats;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// One colour per design (the table's column heads use the same).
pub fn design_color(d: Design) -> RGBColor {
    match d {
        Design::V0 => RGBColor(220, 38, 38),
        Design::V1 => RGBColor(37, 99, 235),
        Design::V2 => RGBColor(22, 163, 74),
    }
}

/// The same colour as CSS.
pub fn design_css(d: Design) -> String {
    let RGBColor(r, g, b) = design_color(d);
    format!("rgb({r},{g},{b})")
}

const GREY: RGBColor = RGBColor(107, 114, 128);

/// What a chart needs: each design's seconds, the run's length, the faults'
/// times, the DB's capacity.
pub struct CompareInput<'a> {
    pub runs: Vec<(Design, &'a [SecondStats])>,
    pub seconds: f64,
    pub faults_s: Vec<f64>,
    pub db_capacity: f64,
    pub dpr: f64,
}

/// What one chart drew: points per design (the state JSON reports it).
pub type Drawn = Vec<(Design, usize)>;

type Area = DrawingArea<CanvasBackend, Shift>;

fn area(canvas: &HtmlCanvasElement) -> Option<Area> {
    let root = CanvasBackend::with_canvas_object(canvas.clone())?.into_drawing_area();
    root.fill(&WHITE).ok()?;
    Some(root)
}

fn points(s: &[SecondStats], f: &dyn Fn(&SecondStats) -> f64) -> Vec<(f64, f64)> {
    // a second's value is drawn at its end
    s.iter().map(|x| (x.t_s as f64 + 1.0, f(x))).collect()
}

/// Draws one chart: a series per design from `f`, on a linear axis from 0
/// to the largest value (or `min_top`), or a log axis when `log`.
#[allow(clippy::too_many_arguments)]
fn chart(
    canvas: &HtmlCanvasElement,
    i: &CompareInput,
    y_desc: &str,
    f: &dyn Fn(&SecondStats) -> f64,
    min_top: f64,
    log: bool,
    line_at: Option<(f64, String)>,
) -> Option<Drawn> {
    let root = area(canvas)?;
    let dpr = i.dpr;
    let px = |v: f64| (v * dpr).round() as u32;
    let series: Vec<(Design, Vec<(f64, f64)>)> =
        i.runs.iter().map(|(d, s)| (*d, points(s, f))).collect();
    let top = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .chain(line_at.as_ref().map(|l| l.0))
        .fold(min_top, f64::max)
        * 1.3;
    let mut builder = ChartBuilder::on(&root);
    builder
        .margin(px(8.0))
        .x_label_area_size(px(34.0))
        .y_label_area_size(px(52.0));
    let x = 0f64..i.seconds;
    let font = ("sans-serif", px(12.0));
    let width = px(2.0).max(1);
    let mut drawn = Vec::new();
    macro_rules! draw {
        ($chart:expr, $clamp:expr) => {{
            let mut c = $chart;
            c.configure_mesh()
                .x_desc("simulated time (s)")
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_desc(y_desc)
                .y_label_formatter(&|v| crate::format::compact(*v))
                .label_style(font)
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .ok()?;
            let (lo, hi) = $clamp;
            for &t in &i.faults_s {
                c.draw_series(DashedLineSeries::new(
                    vec![(t, lo), (t, hi)],
                    px(3.0),
                    px(4.0),
                    GREY.mix(0.6).stroke_width(px(1.0).max(1)),
                ))
                .ok()?;
            }
            if let Some((y, label)) = &line_at {
                let w = px(14.0) as i32;
                c.draw_series(DashedLineSeries::new(
                    vec![(0.0, *y), (i.seconds, *y)],
                    px(5.0),
                    px(5.0),
                    GREY.stroke_width(px(1.0).max(1)),
                ))
                .ok()?
                .label(label.as_str())
                .legend(move |(a, b)| {
                    PathElement::new(vec![(a, b), (a + w, b)], GREY.stroke_width(1))
                });
            }
            for (d, p) in &series {
                let color = design_color(*d);
                let p: Vec<(f64, f64)> = p.iter().map(|&(t, v)| (t, v.clamp(lo, hi))).collect();
                drawn.push((*d, p.len()));
                let w = px(14.0) as i32;
                c.draw_series(LineSeries::new(p, color.stroke_width(width)))
                    .ok()?
                    .label(d.name().to_uppercase())
                    .legend(move |(a, b)| {
                        PathElement::new(vec![(a, b), (a + w, b)], color.stroke_width(width))
                    });
            }
            c.configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(GREY.mix(0.4))
                .label_font(("sans-serif", px(11.0)))
                .margin(px(4.0))
                .draw()
                .ok()?;
        }};
    }
    if log {
        let top = top.max(10.0);
        draw!(
            builder
                .build_cartesian_2d(x, (0.5f64..top).log_scale())
                .ok()?,
            (0.5, top)
        );
    } else {
        draw!(builder.build_cartesian_2d(x, 0f64..top).ok()?, (0.0, top));
    }
    root.present().ok()?;
    Some(drawn)
}

/// Chart `k` of `template::COMPARE_CHARTS`.
pub fn draw(k: usize, canvas: &HtmlCanvasElement, i: &CompareInput) -> Option<Drawn> {
    match k {
        0 => chart(
            canvas,
            i,
            "hit rate (%)",
            &|s| s.hit_rate * 100.0,
            100.0 / 1.3,
            false,
            None,
        ),
        1 => chart(
            canvas,
            i,
            "work offered (12 ms SELECTs/s)",
            // what the DB is asked for in its own unit, as the live chart
            &|s| crate::explain::db_load(s, i.db_capacity) * i.db_capacity,
            i.db_capacity,
            false,
            Some((
                i.db_capacity,
                format!("DB capacity {}/s", crate::format::compact(i.db_capacity)),
            )),
        ),
        2 => chart(
            canvas,
            i,
            "p99 (ms)",
            &|s| s.with_failures_p99_ms,
            10.0,
            true,
            None,
        ),
        _ => chart(
            canvas,
            i,
            "errors/s",
            &|s| s.failed as f64,
            10.0,
            false,
            None,
        ),
    }
}
