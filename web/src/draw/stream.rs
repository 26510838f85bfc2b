//! The invalidation stream (V2): the DB's writes become events on a
//! Kafka-like log, one partition per shard, that a consumer applies as DELs
//! on the shards. The box shows whether the consumer runs, the backlog of
//! events not yet applied and the consumer's lag (the oldest one's age).

use super::db::below;
use super::*;
use crate::format::{compact, per_sec};
use cachesim_core::sim::StreamStatus;

/// Lag above which the stream is shown as falling behind (ms): past it,
/// stale values outlive the 50-200 ms the stream is meant to take.
const LAG_WARN_MS: f64 = 1_000.0;

/// How the stream looks: stopped is bad once events wait; a long lag warns.
pub fn stream_health(s: &StreamStatus) -> Health {
    if !s.running {
        if s.backlog > 0 {
            Health::Bad
        } else {
            Health::Warn
        }
    } else if s.lag_ms > LAG_WARN_MS {
        Health::Warn
    } else {
        Health::Ok
    }
}

/// The stream's box.
pub(super) fn stream(pen: &Pen, r: &Rect) {
    let (ctx, scene) = (pen.ctx, pen.scene);
    let Some(s) = &scene.status.stream else {
        return;
    };
    let px = if r.h < 70.0 || r.w < 120.0 {
        10.0
    } else {
        11.0
    };
    // measured in bold, as the title is drawn
    font(ctx, 11.0, true);
    let title = ["Invalidation stream", "Inval. stream", "Stream"]
        .into_iter()
        .find(|t| ctx.measure_text(t).is_ok_and(|m| m.width() <= r.w - 12.0))
        .unwrap_or("Stream");
    let inner = node_box(ctx, r, title, stream_health(s), 11.0);
    let backlog = compact(s.backlog as f64);
    let state = if s.running {
        (
            first_fit(
                ctx,
                px,
                inner.w,
                [
                    format!("consumer running · {} partitions", s.partitions),
                    "consumer running".into(),
                    "running".into(),
                ],
            ),
            MUTED,
        )
    } else {
        (
            first_fit(
                ctx,
                px,
                inner.w,
                ["consumer STOPPED".into(), "STOPPED".into(), "stop".into()],
            ),
            "#b91c1c",
        )
    };
    let lag = crate::format::ms(s.lag_ms);
    let rows = vec![
        state,
        (
            first_fit(
                ctx,
                px,
                inner.w,
                [
                    format!("backlog {backlog} events"),
                    format!("backlog {backlog}"),
                    backlog.clone(),
                ],
            ),
            if s.backlog > 1_000 { "#b91c1c" } else { INK },
        ),
        (
            first_fit(
                ctx,
                px,
                inner.w,
                [
                    format!("consumer lag {lag}"),
                    format!("lag {lag}"),
                    lag.clone(),
                ],
            ),
            if s.lag_ms > LAG_WARN_MS {
                "#b45309"
            } else {
                INK
            },
        ),
    ];
    let y = lines(ctx, &inner, &rows, px);
    if let Some(l) = scene.last {
        let text = first_fit(
            ctx,
            px,
            inner.w,
            [
                format!(
                    "{} in, {} applied",
                    per_sec(l.stream_published as f64),
                    per_sec(l.stream_applied as f64)
                ),
                format!("{} in", per_sec(l.stream_published as f64)),
            ],
        );
        lines(ctx, &below(&inner, y), &[(text, MUTED)], px);
    }
}
