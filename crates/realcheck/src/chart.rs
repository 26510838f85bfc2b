//! PNG charts (plotters, bitmap backend): real vs simulated on shared axes.

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

static FONT: Once = Once::new();

/// Registers a TTF (Debian's fonts-dejavu-core) for the bitmap backend.
pub fn init_font() -> Result<()> {
    let mut err = None;
    FONT.call_once(|| {
        for f in FONTS {
            if let Ok(bytes) = std::fs::read(f) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return;
                }
            }
        }
        err = Some(anyhow!(
            "no usable font (install fonts-dejavu-core): tried {FONTS:?}"
        ));
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: RGBColor,
    pub dashed: bool,
}

pub struct Panel {
    pub title: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub log_y: bool,
    pub log_x: bool,
    pub x_label: String,
    /// vertical markers (x, label)
    pub marks: Vec<(f64, String)>,
    /// cut the y axis here (a model line far off the measured range leaves the chart)
    pub y_max: Option<f64>,
}

pub const REAL: RGBColor = RGBColor(200, 40, 40);
pub const MODEL: RGBColor = RGBColor(30, 90, 200);
pub const REAL2: RGBColor = RGBColor(230, 140, 30);
pub const MODEL2: RGBColor = RGBColor(40, 160, 90);

fn bounds(panel: &Panel) -> (f64, f64, f64, f64) {
    let mut xs = (f64::MAX, f64::MIN);
    let mut ys = (f64::MAX, f64::MIN);
    for s in &panel.series {
        for &(x, y) in &s.points {
            if !x.is_finite() || !y.is_finite() || (panel.log_y && y <= 0.0) {
                continue;
            }
            xs = (xs.0.min(x), xs.1.max(x));
            ys = (ys.0.min(y), ys.1.max(y));
        }
    }
    if let Some(m) = panel.y_max {
        ys.1 = ys.1.min(m);
    }
    if xs.0 > xs.1 {
        xs = (0.0, 1.0);
    }
    if ys.0 > ys.1 {
        ys = (0.0, 1.0);
    }
    if panel.log_y {
        (
            xs.0,
            xs.1.max(xs.0 + 1.0),
            (ys.0 * 0.8).max(1e-3),
            ys.1 * 1.5,
        )
    } else {
        let top = if ys.1 <= 0.0 { 1.0 } else { ys.1 * 1.1 };
        (xs.0, xs.1.max(xs.0 + 1.0), 0.0f64.min(ys.0), top)
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    p: &Panel,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, x1, y0, y1) = bounds(p);
    let mut b = ChartBuilder::on(area);
    b.caption(&p.title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(56);
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(p.x_label.as_str())
                .y_desc(p.y_label.as_str())
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|e| anyhow!("{e:?}"))?;
            for (x, label) in &p.marks {
                chart
                    .draw_series(LineSeries::new(vec![(*x, y0), (*x, y1)], BLACK.mix(0.4)))
                    .map_err(|e| anyhow!("{e:?}"))?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        label.clone(),
                        (*x, y1),
                        ("sans-serif", 11),
                    )))
                    .map_err(|e| anyhow!("{e:?}"))?;
            }
            for s in &p.series {
                let pts: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .copied()
                    .filter(|(x, y)| {
                        x.is_finite() && y.is_finite() && (!p.log_y || *y > 0.0) && *y <= y1
                    })
                    .collect();
                let style = ShapeStyle::from(&s.color).stroke_width(if s.dashed { 1 } else { 2 });
                let color = s.color;
                if s.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 6, 4, style))
                        .map_err(|e| anyhow!("{e:?}"))?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, style))
                        .map_err(|e| anyhow!("{e:?}"))?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                        });
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 12))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| anyhow!("{e:?}"))?;
        }};
    }
    match (p.log_x, p.log_y) {
        (false, false) => body!(b
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow!("{e:?}"))?),
        (false, true) => body!(b
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(|e| anyhow!("{e:?}"))?),
        (true, false) => body!(b
            .build_cartesian_2d((x0.max(0.5)..x1).log_scale(), y0..y1)
            .map_err(|e| anyhow!("{e:?}"))?),
        (true, true) => body!(b
            .build_cartesian_2d((x0.max(0.5)..x1).log_scale(), (y0..y1).log_scale())
            .map_err(|e| anyhow!("{e:?}"))?),
    }
    Ok(())
}

/// Draws the panels in a grid of `cols` columns into `path`.
pub fn draw(path: &Path, title: &str, panels: &[Panel], cols: usize) -> Result<()> {
    init_font()?;
    let rows = panels.len().div_ceil(cols);
    let (w, h) = (560 * cols as u32, 330 * rows as u32 + 40);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let (top, rest) = root.split_vertically(40);
    top.titled(title, ("sans-serif", 22))
        .map_err(|e| anyhow!("{e:?}"))?;
    let areas = rest.split_evenly((rows, cols));
    for (a, p) in areas.iter().zip(panels) {
        draw_panel(a, p)?;
    }
    root.present().map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}
