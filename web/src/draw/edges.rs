//! The edges requests travel: one line per edge of the running topology,
//! its width following that edge's traffic, dashed into a node that is down;
//! and the rates printed beside them.

use super::*;
use crate::format::per_sec;

/// Every edge, from the core's topology, sized by its smoothed rate.
pub(super) fn lines(pen: &Pen, edges: &[(u16, u16)], rates: &EdgeRates) {
    let (ctx, layout, scene) = (pen.ctx, pen.layout, pen.scene);
    let st = scene.status;
    let db_hot = scene.db_health() == Health::Bad;
    ctx.set_line_cap("round");
    for &(from, to) in edges {
        let Some(path) = layout.path(from, to) else {
            continue;
        };
        let down = match NodeKind::of(to) {
            (NodeKind::Pod, i) => !st.pods.get(i).is_none_or(|p| p.healthy),
            (NodeKind::Shard, i) => !scene.shard(i).is_none_or(|s| s.up),
            (NodeKind::Replica, k) => !scene.replica(k).is_none_or(|r| r.up),
            (NodeKind::Stream, _) => !st.stream.as_ref().is_none_or(|s| s.running),
            _ => false,
        };
        ctx.set_line_width(edge_width(rates.edge(from, to)));
        let hot = to == cachesim_core::frame::node::DB && db_hot;
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
}

/// The rates beside the edges: client -> LB, and into the cache tier and
/// the DB when their boxes have no room for them in the title row.
pub(super) fn labels(pen: &Pen) {
    let l = pen.layout;
    let (x, y) = if l.vertical {
        (
            l.client.center().0 + 48.0,
            (l.client.y + l.client.h + l.lb.y) / 2.0,
        )
    } else if l.lb.x - (l.client.x + l.client.w) < 64.0 {
        // no room between the boxes: above them
        ((l.client.x + l.client.w + l.lb.x) / 2.0, l.lb.y - 12.0)
    } else {
        (
            (l.client.x + l.client.w + l.lb.x) / 2.0,
            l.client.center().1 - 16.0,
        )
    };
    pen.label(&per_sec(pen.sec.client_lb), x, y);
    // the cache tier's entry: the proxy, or V0's one Redis (shards of a
    // cluster print their own rates)
    let entry = l.proxy.or(if l.shards.len() == 1 {
        l.shards.first().copied()
    } else {
        None
    });
    if let Some(r) = entry {
        if !pen.rate_in_title(&r) {
            let text = format!("{} ops", per_sec(pen.sec.pod_cache));
            pen.label(&text, r.x + r.w / 2.0, r.y - 12.0);
        }
    }
    if !pen.rate_in_title(&l.db) && !pen.db_rate_inside() {
        let text = format!("{} queries", per_sec(pen.sec.pod_db));
        pen.label(&text, l.db.x + l.db.w / 2.0, l.db.y - 12.0);
    }
}
