//! The BackendDB (PostgreSQL): its load against its capacity, queries served
//! of offered, workers busy, connections open / busy / idle (`dbfig`), the
//! queue of requests waiting for a pooled connection.

use super::*;
use crate::format::{compact, per_sec};

/// The DB box's title, longest first: the first that fits is drawn.
const DB_TITLES: [&str; 4] = [
    "BackendDB (PostgreSQL)",
    "BackendDB (Postgres)",
    "BackendDB (PG)",
    "BackendDB",
];

pub(super) fn db(pen: &Pen, r: &Rect) {
    let (ctx, scene, px) = (pen.ctx, pen.scene, pen.px);
    let st = scene.status;
    // the longest title that fits the box (a phone's box is narrow)
    font(ctx, pen.title_px, true);
    let db_title = DB_TITLES
        .iter()
        .copied()
        .find(|t| ctx.measure_text(t).map(|m| m.width()).unwrap_or(f64::MAX) <= r.w - 12.0)
        .unwrap_or(DB_TITLES[DB_TITLES.len() - 1]);
    let inner = node_box(ctx, r, db_title, scene.db_health(), pen.title_px);
    let d = scene.db();
    let load = d.load;
    let color = if load > 1.0 { "#b91c1c" } else { INK };
    let mut y = lines(ctx, &inner, &[(d.load_words(), color)], px);
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
    // the same words as the status line and the explanation (dbfig)
    let queries = first_fit(
        ctx,
        px,
        inner.w,
        [
            d.query_words(),
            format!(
                "{} served of {}",
                per_sec(d.served as f64),
                per_sec(d.offered as f64)
            ),
            format!("{} served", per_sec(d.served as f64)),
        ],
    );
    let refused = if d.refused > 0 { "#b91c1c" } else { INK };
    let y2 = lines(
        ctx,
        &below(&inner, y),
        &[(queries, refused), (d.worker_words(), INK)],
        px,
    );
    let conn_text = first_fit(
        ctx,
        px,
        inner.w,
        [
            d.connection_words(),
            format!(
                "conns {}/{}: {} busy, {} idle",
                d.open, d.max, d.busy, d.idle
            ),
            format!("conns {} busy {} idle", d.busy, d.idle),
        ],
    );
    let conn_color = if d.exhausted() { "#b91c1c" } else { INK };
    let y3 = lines(ctx, &below(&inner, y2), &[(conn_text, conn_color)], px);
    // busy connections in colour, the idle ones grey beside them
    let color = level_color(d.busy_fraction(), 0.7, 0.99);
    gauge(
        ctx,
        inner.x,
        y3,
        inner.w,
        7.0,
        d.open_fraction(),
        "#9ca3af",
        &[0.7],
    );
    ctx.set_fill_style_str(color);
    ctx.fill_rect(
        inner.x,
        y3,
        inner.w * d.busy_fraction().clamp(0.0, 1.0),
        7.0,
    );
    let mut rows = Vec::new();
    if d.waiting > 0 {
        let n = compact(d.waiting as f64);
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
    lines(ctx, &below(&inner, y3 + 12.0), &rows, px);
    let rate = format!("{} served", per_sec(d.served as f64));
    if pen.rate_in_title(r) {
        pen.title_rate(r, db_title, &rate);
    } else if pen.db_rate_inside() {
        font(ctx, px, true);
        ctx.set_fill_style_str(MUTED);
        ctx.set_text_align("right");
        ctx.set_text_baseline("bottom");
        ctx.fill_text(&rate, r.x + r.w - 8.0, r.y + r.h - 5.0).ok();
    }
}

/// The part of `inner` below `y`.
pub(super) fn below(inner: &Rect, y: f64) -> Rect {
    Rect {
        y,
        h: inner.h - (y - inner.y),
        ..*inner
    }
}
