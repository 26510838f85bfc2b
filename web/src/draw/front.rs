//! The front of the system: the client, the load balancer and the pods.

use super::*;
use crate::format::compact;

/// The client: the slider's rate first, then what the failures add on top of it.
pub(super) fn client(pen: &Pen, r: &Rect) {
    let (ctx, st, px) = (pen.ctx, pen.scene.status, pen.px);
    let inner = node_box(ctx, r, "Client", Health::Ok, pen.title_px);
    // the longest wording of each line that fits
    let fit = |long: String, short: String| first_fit(ctx, px, inner.w, [long, short]);
    let rps = compact(st.rps);
    let mut rows = vec![(fit(format!("{rps} RPS"), rps.clone()), INK)];
    if st.hot_key_rate > 0.0 {
        let r = compact(st.hot_key_rate);
        rows.push((
            fit(format!("+ {r} hot key"), format!("+{r} hot")),
            "#b45309",
        ));
    }
    if st.attack_rate > 0.0 {
        let r = compact(st.attack_rate);
        rows.push((
            fit(format!("+ {r} attack"), format!("+{r} att.")),
            "#b91c1c",
        ));
    }
    let errors = pen.scene.last.map_or(0, |l| l.failed);
    if errors > 0 {
        let e = compact(errors as f64);
        rows.push((
            fit(format!("{e} errors/s"), format!("{e} err/s")),
            "#b91c1c",
        ));
    }
    if pen.layout.vertical && rows.len() > 1 {
        // a phone's Client box has room for one line: the most detailed
        // wording that fits, keeping the errors figure
        let first = rows[0].1;
        let extra = st.hot_key_rate + st.attack_rate;
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
}

/// The AppLB: its rate against its capacity, its queue and its errors.
pub(super) fn lb(pen: &Pen, r: &Rect) {
    let (ctx, st, px, scene) = (pen.ctx, pen.scene.status, pen.px, pen.scene);
    let inner = node_box(ctx, r, "AppLB", scene.lb_health(), pen.title_px);
    let lb_frac = pen.sec.client_lb / scene.caps.lb_rps;
    let (rate, cap) = (compact(pen.sec.client_lb), compact(scene.caps.lb_rps));
    let text = first_fit(
        ctx,
        px,
        inner.w,
        [
            format!("{rate} of {cap} RPS"),
            format!("{rate} of {cap}"),
            format!("{rate} RPS"),
        ],
    );
    let y = lines(ctx, &inner, &[(text, INK)], px);
    let color = level_color(lb_frac, 0.8, 1.0);
    gauge(ctx, inner.x, y, inner.w, 6.0, lb_frac, color, &[]);
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
    let below = Rect {
        y: y + 10.0,
        h: inner.h - (y + 10.0 - inner.y),
        ..inner
    };
    lines(ctx, &below, &rows, px);
}

/// AppService pod `i`: busy requests, its DB pool and who waits for it.
pub(super) fn pod(pen: &Pen, r: &Rect, i: usize) {
    let (ctx, scene, layout) = (pen.ctx, pen.scene, pen.layout);
    let ph = scene.pod_health(i);
    let p = scene.status.pods.get(i);
    let tiny = if layout.vertical {
        layout.pods[0].w < 70.0
    } else {
        layout.pods[0].h < 40.0
    };
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
            Some(p) if !p.up || !p.healthy => format!("P{} ✕", i + 1),
            Some(p) => format!("P{} {}", i + 1, compact(p.inflight as f64)),
            None => format!("P{}", i + 1),
        };
        fit_text(ctx, &text, cx, cy, r.w - 4.0);
        return;
    }
    let pod_px = if pen.small { 11.0 } else { 13.0 };
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
        // below the title, so the box still says which pod it is
        // down, and the LB still sends it requests until its checks fail
        Some(p) if !p.up && p.healthy => cross_out(
            ctx,
            &inner,
            &format!(
                "DOWN · checks {}/{}",
                p.failed_checks, scene.status.pod_unhealthy_threshold
            ),
        ),
        Some(p) if !p.up => cross_out(ctx, &inner, "DOWN"),
        // started, not yet through the LB's checks
        Some(p) if !p.healthy && p.failed_checks == 0 => {
            let px = if pen.small { 10.0 } else { 12.0 };
            lines(
                ctx,
                &inner,
                &[("joining: health checks".to_string(), MUTED)],
                px,
            );
        }
        Some(p) if !p.healthy => cross_out(ctx, &inner, "UNHEALTHY"),
        Some(p) => {
            let busy = format!(
                "{} · CPU {}",
                compact(p.inflight as f64),
                crate::format::pct(p.cpu)
            );
            // V2: the share of reads the pods' L1 answered, before Redis
            let busy = match &scene.status.l1 {
                Some(l1) => first_fit(
                    ctx,
                    if pen.small { 10.0 } else { 12.0 },
                    inner.w,
                    [
                        format!("busy {busy} · L1 {}", crate::format::pct(l1.hit_share)),
                        format!("{busy} · L1 {}", crate::format::pct(l1.hit_share)),
                        format!("L1 {}", crate::format::pct(l1.hit_share)),
                    ],
                ),
                None => format!("busy {busy}"),
            };
            let rows = vec![
                (busy, INK),
                (
                    // busy of the pool's size, and the idle ones beside
                    first_fit(
                        ctx,
                        if pen.small { 10.0 } else { 12.0 },
                        inner.w,
                        [
                            format!(
                                "pool {}/{} busy, {} idle",
                                p.pool_busy,
                                scene.pool_size,
                                p.pool_open.saturating_sub(p.pool_busy)
                            ),
                            format!("pool {}/{} busy", p.pool_busy, scene.pool_size),
                            format!("pool {}/{}", p.pool_busy, scene.pool_size),
                        ],
                    ),
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
            lines(ctx, &inner, &rows, if pen.small { 10.0 } else { 12.0 });
        }
        None => {}
    }
}
