//! Geometry of the architecture canvas (pure, tested natively): where each
//! component sits for a canvas size and pod count, and the path a dot takes
//! between two nodes. Wide canvases flow left to right; narrow ones (phones)
//! top to bottom.

use cachesim_core::frame::{node, NodeKind, TopologyView};

/// Below this CSS width the diagram flows top to bottom.
pub const NARROW_PX: f64 = 640.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn centered(cx: f64, cy: f64, w: f64, h: f64) -> Rect {
        Rect {
            x: cx - w / 2.0,
            y: cy - h / 2.0,
            w,
            h,
        }
    }

    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    pub fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.x - 1e-9
            && p.0 <= self.x + self.w + 1e-9
            && p.1 >= self.y - 1e-9
            && p.1 <= self.y + self.h + 1e-9
    }

    /// Where the ray from the centre towards `p` leaves the rectangle.
    pub fn border_towards(&self, p: (f64, f64)) -> (f64, f64) {
        let (cx, cy) = self.center();
        let (dx, dy) = (p.0 - cx, p.1 - cy);
        if dx == 0.0 && dy == 0.0 {
            return (cx, cy);
        }
        let sx = if dx != 0.0 {
            (self.w / 2.0) / dx.abs()
        } else {
            f64::INFINITY
        };
        let sy = if dy != 0.0 {
            (self.h / 2.0) / dy.abs()
        } else {
            f64::INFINITY
        };
        let s = sx.min(sy).min(1.0);
        (cx + dx * s, cy + dy * s)
    }

    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// What the diagram has to show: how many pods and shards, and whether the
/// proxy and the warm-up worker exist (from the core's `TopologyView`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    pub pods: usize,
    pub shards: usize,
    pub proxy: bool,
    pub warmup: bool,
    /// Replicas per shard (V2), and whether the invalidation stream runs.
    pub replicas: usize,
    pub stream: bool,
}

impl Shape {
    /// V0's shape: `pods` pods and one Redis.
    pub fn v0(pods: usize) -> Shape {
        Shape {
            pods,
            shards: 1,
            proxy: false,
            warmup: false,
            replicas: 0,
            stream: false,
        }
    }

    /// The shape of a running topology (pods as listed, at least one of each).
    pub fn of(t: &TopologyView) -> Shape {
        Shape {
            pods: t.count(NodeKind::Pod).max(1),
            shards: t.count(NodeKind::Shard).max(1),
            proxy: t.has(node::PROXY),
            warmup: t.has(node::WARMUP),
            replicas: (t.count(NodeKind::Replica) / t.count(NodeKind::Shard).max(1))
                .min(node::MAX_REPLICAS as usize),
            stream: t.has(node::STREAM),
        }
    }
}

/// Positions of every component on a canvas of `w` x `h` CSS pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub w: f64,
    pub h: f64,
    pub vertical: bool,
    pub client: Rect,
    pub lb: Rect,
    pub pods: Vec<Rect>,
    pub proxy: Option<Rect>,
    /// One box per Redis shard, in shard order.
    pub shards: Vec<Rect>,
    pub db: Rect,
    pub warmup: Option<Rect>,
    /// Each shard's replicas (V2): a strip along the bottom of its box.
    pub replicas: Vec<Vec<Rect>>,
    /// The invalidation stream (V2).
    pub stream: Option<Rect>,
}

/// Below this many shards a narrow canvas stacks them beside the DB; from it
/// on they get a full-width grid of their own.
const NARROW_SIDE_SHARDS: usize = 4;
/// Height of a shard cell in the narrow full-width grid, and the gap between cells.
const NARROW_CELL_H: f64 = 50.0;
const GAP: f64 = 6.0;

/// The canvas height (CSS pixels) that suits a width and a shape: wide
/// canvases scale with their width; narrow ones are as tall as their stack.
pub fn canvas_height(w: f64, shape: &Shape) -> f64 {
    if w < NARROW_PX {
        narrow_height(w, shape).max(520.0)
    } else {
        (w * 0.36).clamp(400.0, 520.0)
    }
}

/// `n` cells in a grid filling `area`, columns chosen for cells close to the
/// area's aspect; `cols` forces the column count.
pub fn grid(area: Rect, n: usize, cols: Option<usize>) -> Vec<Rect> {
    let n = n.max(1);
    let cols = cols
        .unwrap_or_else(|| ((n as f64 * area.w / area.h.max(1.0)).sqrt().ceil()) as usize)
        .clamp(1, n);
    let rows = n.div_ceil(cols);
    let cw = (area.w - GAP * (cols - 1) as f64) / cols as f64;
    let ch = (area.h - GAP * (rows - 1) as f64) / rows as f64;
    (0..n)
        .map(|i| Rect {
            x: area.x + (i % cols) as f64 * (cw + GAP),
            y: area.y + (i / cols) as f64 * (ch + GAP),
            w: cw,
            h: ch,
        })
        .collect()
}

/// Columns of the narrow full-width shard grid.
fn narrow_cols(w: f64) -> usize {
    (((w - 16.0) / 80.0).floor() as usize).clamp(2, 8)
}

/// Where the narrow layout's rows below the pods start.
const NARROW_TIER_Y: f64 = 340.0;

/// The narrow proxy box's height, and a stacked shard's.
const NARROW_PROXY_H: f64 = 60.0;
const NARROW_SIDE_SHARD_H: f64 = 62.0;
const NARROW_WARMUP_H: f64 = 56.0;
/// The narrow stream box's height.
const NARROW_STREAM_H: f64 = 60.0;
/// What a shard's replica strip adds to a narrow shard box.
const NARROW_REPLICA_H: f64 = 24.0;

/// A stacked narrow shard's height: taller with a replica strip.
fn side_shard_h(shape: &Shape) -> f64 {
    NARROW_SIDE_SHARD_H
        + if shape.replicas > 0 {
            NARROW_REPLICA_H
        } else {
            0.0
        }
}

/// A narrow grid cell's height: taller with a replica strip.
fn cell_h(shape: &Shape) -> f64 {
    NARROW_CELL_H + if shape.replicas > 0 { 18.0 } else { 0.0 }
}

/// Height of the replica strip at the bottom of a shard box of height `h`.
fn strip_h(h: f64) -> f64 {
    (h * 0.3).clamp(14.0, 40.0)
}

/// The replicas' boxes: `n` cells side by side along the bottom of `shard`.
fn replica_strip(shard: &Rect, n: usize) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let sh = strip_h(shard.h);
    let area = Rect {
        x: shard.x + 4.0,
        y: shard.y + shard.h - sh - 4.0,
        w: shard.w - 8.0,
        h: sh,
    };
    grid(area, n, Some(n))
}

fn narrow_height(w: f64, shape: &Shape) -> f64 {
    let v0 = *shape == Shape::v0(shape.pods);
    if v0 {
        return 520.0;
    }
    let mut left = NARROW_TIER_Y;
    if shape.proxy {
        left += NARROW_PROXY_H + 2.0 * GAP + 8.0;
    }
    if shape.shards < NARROW_SIDE_SHARDS {
        left += shape.shards as f64 * (side_shard_h(shape) + GAP);
    }
    let mut right = NARROW_TIER_Y + 164.0 + GAP;
    if shape.warmup {
        right += 2.0 * GAP + NARROW_WARMUP_H + GAP;
    }
    if shape.stream {
        right += 2.0 * GAP + NARROW_STREAM_H + GAP;
    }
    let mut bottom = left.max(right);
    if shape.shards >= NARROW_SIDE_SHARDS {
        let rows = shape.shards.div_ceil(narrow_cols(w));
        bottom += 14.0 + rows as f64 * (cell_h(shape) + GAP);
    }
    bottom + 8.0
}

/// Lays out the diagram for `shape` (at least one pod and one shard).
pub fn layout(w: f64, h: f64, shape: &Shape) -> Layout {
    let shape = Shape {
        pods: shape.pods.max(1),
        shards: shape.shards.max(1),
        ..*shape
    };
    if w < NARROW_PX {
        narrow(w, h, &shape)
    } else {
        wide(w, h, &shape)
    }
}

/// Top to bottom: client, LB, a row of pods, then the cache tier on the left
/// (proxy above its shards) and the DB on the right (warm-up worker below
/// it); many shards get a full-width grid at the bottom.
fn narrow(w: f64, h: f64, shape: &Shape) -> Layout {
    let n = shape.pods;
    let client = Rect::centered(w / 2.0, 34.0, (w * 0.62).min(260.0), 48.0);
    let lb = Rect::centered(w / 2.0, 128.0, (w * 0.62).min(260.0), 66.0);
    let row_y = 262.0;
    let slot = (w - 16.0) / n as f64;
    let pw = (slot - 4.0).min(120.0);
    let pods = (0..n)
        .map(|i| Rect::centered(8.0 + slot * (i as f64 + 0.5), row_y, pw, 78.0))
        .collect();
    let bw = (w - 24.0) / 2.0;
    let (left_x, right_x) = (8.0, w - 8.0 - bw);
    if *shape == Shape::v0(n) {
        // V0 as it always looked: Redis and the DB side by side
        let bh = (h - 356.0).clamp(120.0, 170.0);
        let by = 336.0 + bh / 2.0 + 4.0;
        return Layout {
            w,
            h,
            vertical: true,
            client,
            lb,
            pods,
            proxy: None,
            shards: vec![Rect::centered(left_x + bw / 2.0, by, bw, bh)],
            db: Rect::centered(right_x + bw / 2.0, by, bw, bh),
            warmup: None,
            replicas: Vec::new(),
            stream: None,
        };
    }
    let mut y = NARROW_TIER_Y;
    let proxy = shape.proxy.then(|| {
        let r = Rect {
            x: left_x,
            y,
            w: bw,
            h: NARROW_PROXY_H,
        };
        y += NARROW_PROXY_H + 2.0 * GAP + 8.0;
        r
    });
    let db = Rect {
        x: right_x,
        y: NARROW_TIER_Y,
        w: bw,
        h: 164.0,
    };
    let warmup = shape.warmup.then_some(Rect {
        x: right_x,
        y: db.y + db.h + 3.0 * GAP,
        w: bw,
        h: NARROW_WARMUP_H,
    });
    let stream = shape.stream.then(|| {
        let above = warmup.map_or(db.y + db.h, |r| r.y + r.h);
        Rect {
            x: right_x,
            y: above + 3.0 * GAP,
            w: bw,
            h: NARROW_STREAM_H,
        }
    });
    let shards = if shape.shards < NARROW_SIDE_SHARDS {
        let k = shape.shards as f64;
        let area = Rect {
            x: left_x,
            y,
            w: bw,
            h: k * side_shard_h(shape) + (k - 1.0) * GAP,
        };
        grid(area, shape.shards, Some(1))
    } else {
        let below = stream
            .or(warmup)
            .map_or(db.y + db.h, |r| r.y + r.h)
            .max(y - GAP);
        let cols = narrow_cols(w);
        let rows = shape.shards.div_ceil(cols) as f64;
        let area = Rect {
            x: 8.0,
            y: below + 14.0,
            w: w - 16.0,
            h: rows * cell_h(shape) + (rows - 1.0) * GAP,
        };
        grid(area, shape.shards, Some(cols))
    };
    let replicas = shards
        .iter()
        .map(|r| replica_strip(r, shape.replicas))
        .collect();
    Layout {
        w,
        h,
        vertical: true,
        client,
        lb,
        pods,
        proxy,
        shards,
        db,
        warmup,
        replicas,
        stream,
    }
}

/// Left to right: client, LB, a column of pods, the proxy, then the shards
/// (a grid) above the DB on the right; the warm-up worker sits between the
/// pods and the DB, at the bottom.
fn wide(w: f64, h: f64, shape: &Shape) -> Layout {
    let n = shape.pods;
    // the proxy takes a column of its own: the others move left
    let (client_x, client_w, lb_x, lb_w, pod_x, pod_w) = if shape.proxy {
        (0.06, 0.1, 0.215, 0.115, 0.375, 0.12)
    } else {
        (0.07, 0.11, 0.255, 0.15, 0.5, 0.17)
    };
    // room for four lines: the rate, a hot key, an attack and the errors
    let client = Rect::centered(w * client_x, h / 2.0, w * client_w, 104.0);
    let lb = Rect::centered(w * lb_x, h / 2.0, w * lb_w, 112.0);
    let top = 14.0;
    let slot = (h - 2.0 * top) / n as f64;
    let ph = (slot - 6.0).min(74.0);
    let pods: Vec<Rect> = (0..n)
        .map(|i| Rect::centered(w * pod_x, top + slot * (i as f64 + 0.5), w * pod_w, ph))
        .collect();
    let bw = w * 0.27;
    let bh = h * 0.44;
    let col_x = w - 8.0 - bw;
    let tier = Rect::centered(col_x + bw / 2.0, h * 0.26, bw, bh);
    let shards = if shape.shards == 1 {
        vec![tier]
    } else {
        grid(tier, shape.shards, None)
    };
    let db = Rect::centered(col_x + bw / 2.0, h * 0.74, bw, bh);
    let pods_right = w * (pod_x + pod_w / 2.0);
    let proxy = shape.proxy.then(|| {
        let pw = ((col_x - pods_right) - 2.0 * 0.04 * w).min(0.16 * w);
        Rect::centered(
            (pods_right + col_x) / 2.0,
            h * 0.26,
            pw,
            (bh * 0.7).min(130.0),
        )
    });
    let warmup = shape.warmup.then(|| {
        let gap = col_x - pods_right;
        let ww = (gap - 24.0).min(w * 0.13);
        let wh = (h * 0.2).min(84.0);
        Rect::centered((pods_right + col_x) / 2.0, h - 10.0 - wh / 2.0, ww, wh)
    });
    // between the DB and the shards it invalidates, below the proxy
    let stream = shape.stream.then(|| {
        let gap = col_x - pods_right;
        let sw = (gap - 24.0).min(w * 0.13);
        let sh = (h * 0.2).min(84.0);
        Rect::centered((pods_right + col_x) / 2.0, h * 0.58, sw, sh)
    });
    let replicas = shards
        .iter()
        .map(|r| replica_strip(r, shape.replicas))
        .collect();
    Layout {
        w,
        h,
        vertical: false,
        client,
        lb,
        pods,
        proxy,
        shards,
        db,
        warmup,
        replicas,
        stream,
    }
}

impl Layout {
    /// The rectangle of a node (`frame::node` ids; nodes the layout has no
    /// box for are `None`).
    pub fn node(&self, id: u16) -> Option<Rect> {
        match NodeKind::of(id) {
            (NodeKind::Client, _) => Some(self.client),
            (NodeKind::Lb, _) => Some(self.lb),
            (NodeKind::Db, _) => Some(self.db),
            (NodeKind::Proxy, _) => self.proxy,
            (NodeKind::Warmup, _) => self.warmup,
            (NodeKind::Shard, i) => self.shards.get(i).copied(),
            (NodeKind::Pod, i) => self.pods.get(i).copied(),
            (NodeKind::Stream, _) => self.stream,
            (NodeKind::Replica, k) => {
                let per = node::MAX_REPLICAS as usize;
                self.replicas.get(k / per)?.get(k % per).copied()
            }
        }
    }

    /// Shard `i`'s box less its replica strip: where its own state goes.
    pub fn shard_body(&self, i: usize) -> Option<Rect> {
        let r = *self.shards.get(i)?;
        match self.replicas.get(i).and_then(|v| v.first()) {
            Some(strip) => Some(Rect {
                h: strip.y - r.y - 2.0,
                ..r
            }),
            None => Some(r),
        }
    }

    /// Every box with its node id.
    pub fn boxes(&self) -> Vec<(u16, Rect)> {
        let mut v = vec![(node::CLIENT, self.client), (node::LB, self.lb)];
        v.extend(
            self.pods
                .iter()
                .enumerate()
                .map(|(i, r)| (node::pod(i), *r)),
        );
        v.extend(self.proxy.map(|r| (node::PROXY, r)));
        v.extend(
            self.shards
                .iter()
                .enumerate()
                .map(|(i, r)| (node::shard(i), *r)),
        );
        // after the shards: each replica is drawn on its shard's strip
        for (i, reps) in self.replicas.iter().enumerate() {
            v.extend(
                reps.iter()
                    .enumerate()
                    .map(|(j, r)| (node::replica(i, j), *r)),
            );
        }
        v.push((node::DB, self.db));
        v.extend(self.warmup.map(|r| (node::WARMUP, r)));
        v.extend(self.stream.map(|r| (node::STREAM, r)));
        v
    }

    /// The shard whose box contains the point, if any.
    pub fn shard_at(&self, p: (f64, f64)) -> Option<usize> {
        self.shards.iter().position(|r| r.contains(p))
    }

    /// The shard and replica whose box contains the point, if any.
    pub fn replica_at(&self, p: (f64, f64)) -> Option<(usize, usize)> {
        self.replicas
            .iter()
            .enumerate()
            .find_map(|(i, reps)| reps.iter().position(|r| r.contains(p)).map(|j| (i, j)))
    }

    /// The polyline a dot follows from one node to another, border to border.
    /// Replies from a pod to the client pass through the LB, as in reality.
    pub fn path(&self, from: u16, to: u16) -> Option<Vec<(f64, f64)>> {
        let a = self.node(from)?;
        let b = self.node(to)?;
        match (NodeKind::of(from), NodeKind::of(to)) {
            // down the shard's own box into its strip, and back up
            ((NodeKind::Shard, i), (NodeKind::Replica, _)) => {
                let body = self.shard_body(i)?;
                let x = b.center().0;
                return Some(vec![(x, body.y + body.h * 0.6), (x, b.y)]);
            }
            ((NodeKind::Replica, _), (NodeKind::Shard, _)) => {
                let mut p = self.path(to, from)?;
                p.reverse();
                return Some(p);
            }
            _ => {}
        }
        if (node::POD0..node::REPLICA0).contains(&from) && to == node::CLIENT {
            let lb = self.lb.center();
            return Some(vec![
                a.border_towards(lb),
                self.lb.border_towards(a.center()),
                self.lb.border_towards(b.center()),
                b.border_towards(lb),
            ]);
        }
        Some(vec![
            a.border_towards(b.center()),
            b.border_towards(a.center()),
        ])
    }
}

/// Length of a polyline.
pub fn path_length(path: &[(f64, f64)]) -> f64 {
    path.windows(2)
        .map(|s| ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt())
        .sum()
}

impl Layout {
    /// Path lengths of every pair of nodes a hop can join: each of `edges`
    /// both ways, and pod to client through the LB.
    pub fn path_lengths(&self, edges: &[(u16, u16)]) -> std::collections::HashMap<(u16, u16), f64> {
        let mut m = std::collections::HashMap::new();
        let mut pairs = vec![];
        for &(a, b) in edges {
            pairs.push((a, b));
            pairs.push((b, a));
        }
        for i in 0..self.pods.len() {
            pairs.push((node::pod(i), node::CLIENT));
        }
        for (a, b) in pairs {
            if let Some(path) = self.path(a, b) {
                m.insert((a, b), path_length(&path));
            }
        }
        m
    }
}

/// The point at fraction `f` (0..1) along a polyline, shifted `lane` pixels
/// to the left of the direction of travel (so the two directions of an edge
/// use separate lanes).
pub fn point_along(path: &[(f64, f64)], f: f64, lane: f64) -> (f64, f64) {
    pose_along(path, f, lane).0
}

/// The point a fraction `f` along `path`, `lane` px to the left of the
/// direction of travel, and that direction (a unit vector; zero on a path
/// without length): where a dot is and which way it points.
pub fn pose_along(path: &[(f64, f64)], f: f64, lane: f64) -> ((f64, f64), (f64, f64)) {
    if path.is_empty() {
        return ((0.0, 0.0), (0.0, 0.0));
    }
    if path.len() == 1 {
        return (path[0], (0.0, 0.0));
    }
    let lens: Vec<f64> = path
        .windows(2)
        .map(|s| ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt())
        .collect();
    let total: f64 = lens.iter().sum();
    let mut d = f.clamp(0.0, 1.0) * total;
    for (i, len) in lens.iter().enumerate() {
        if d <= *len || i == lens.len() - 1 {
            let (p, q) = (path[i], path[i + 1]);
            let t = if *len > 0.0 { (d / len).min(1.0) } else { 0.0 };
            let (dx, dy) = (q.0 - p.0, q.1 - p.1);
            let (ux, uy) = if *len > 0.0 {
                (dx / len, dy / len)
            } else {
                (0.0, 0.0)
            };
            // the normal (uy, -ux) is to the left of travel on a y-down canvas
            return (
                (p.0 + dx * t + uy * lane, p.1 + dy * t - ux * lane),
                (ux, uy),
            );
        }
        d -= len;
    }
    (*path.last().expect("non-empty"), (0.0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlaps(l: &Layout) {
        // each replica sits in its shard's strip, below the shard's own state
        for (i, reps) in l.replicas.iter().enumerate() {
            let (shard, body) = (l.shards[i], l.shard_body(i).unwrap());
            for (j, r) in reps.iter().enumerate() {
                assert!(
                    shard.contains((r.x, r.y)) && shard.contains((r.x + r.w, r.y + r.h)),
                    "replica {i}/{j} {r:?} outside its shard {shard:?}"
                );
                assert!(
                    r.y >= body.y + body.h,
                    "replica {i}/{j} over the shard's state"
                );
                assert!(r.w > 10.0 && r.h >= 14.0, "replica {i}/{j} {r:?} too small");
                for q in &reps[j + 1..] {
                    assert!(!r.overlaps(q), "{r:?} overlaps {q:?}");
                }
            }
            assert!(
                body.h >= 0.45 * shard.h,
                "shard {i}'s body {body:?} too small"
            );
        }
        let all: Vec<Rect> = l
            .boxes()
            .into_iter()
            .filter(|(id, _)| NodeKind::of(*id).0 != NodeKind::Replica)
            .map(|(_, r)| r)
            .collect();
        for (i, a) in all.iter().enumerate() {
            assert!(
                a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= l.w + 1e-9 && a.y + a.h <= l.h + 1e-9,
                "{a:?} outside {}x{}",
                l.w,
                l.h
            );
            assert!(a.w > 10.0 && a.h > 5.0, "{a:?} too small");
            for b in &all[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
    }

    fn v1(shards: usize) -> Shape {
        Shape {
            pods: 2,
            shards,
            proxy: true,
            warmup: true,
            replicas: 0,
            stream: false,
        }
    }

    fn v2(shards: usize) -> Shape {
        Shape {
            replicas: 1,
            stream: true,
            ..v1(shards)
        }
    }

    #[test]
    fn layouts_fit_and_do_not_overlap() {
        for &w in &[320.0, 375.0, 600.0, 640.0, 1000.0, 1400.0, 2400.0] {
            for pods in [1, 2, 4, 8, 16] {
                for shards in [1, 2, 3, 4, 7, 16] {
                    for (proxy, warmup, replicas, stream) in [
                        (false, false, 0, false),
                        (true, true, 0, false),
                        (true, false, 0, false),
                        (false, true, 0, false),
                        (true, true, 1, true),
                        (true, true, 2, true),
                        (false, false, 1, false),
                        (false, true, 0, true),
                    ] {
                        let shape = Shape {
                            pods,
                            shards,
                            proxy,
                            warmup,
                            replicas,
                            stream,
                        };
                        let l = layout(w, canvas_height(w, &shape), &shape);
                        assert_eq!(l.pods.len(), pods);
                        assert_eq!(l.shards.len(), shards);
                        assert_eq!(l.proxy.is_some(), proxy);
                        assert_eq!(l.warmup.is_some(), warmup);
                        assert_eq!(l.stream.is_some(), stream);
                        assert!(l.replicas.iter().all(|r| r.len() == replicas));
                        assert_eq!(l.vertical, w < NARROW_PX);
                        no_overlaps(&l);
                    }
                }
            }
        }
    }

    #[test]
    fn v0_looks_as_it_always_did() {
        // one Redis box where the cache always was, at the old sizes
        let l = layout(1400.0, canvas_height(1400.0, &Shape::v0(2)), &Shape::v0(2));
        assert_eq!(l.h, 504.0);
        let c = l.shards[0];
        assert!((c.w - 1400.0 * 0.27).abs() < 1e-9 && (c.h - 504.0 * 0.44).abs() < 1e-9);
        assert_eq!(l.db.w, c.w);
        let n = layout(375.0, canvas_height(375.0, &Shape::v0(2)), &Shape::v0(2));
        assert_eq!(n.h, 520.0);
        assert_eq!(n.shards[0].y, n.db.y, "Redis and the DB side by side");
    }

    #[test]
    fn shard_boxes_stay_legible() {
        // 1, 3 and 16 shards, wide and on a 375 px phone
        for (w, min_w, min_h) in [(1400.0, 55.0, 45.0), (375.0, 75.0, 40.0)] {
            for n in [1, 3, 16] {
                let shape = v1(n);
                let l = layout(w, canvas_height(w, &shape), &shape);
                no_overlaps(&l);
                for r in &l.shards {
                    assert!(r.w >= min_w && r.h >= min_h, "{n} shards at {w}: {r:?}");
                }
                // every shard is reachable from the proxy and clickable
                for (i, r) in l.shards.iter().enumerate() {
                    assert!(l.path(node::PROXY, node::shard(i)).is_some());
                    assert_eq!(l.shard_at(r.center()), Some(i));
                }
            }
        }
        let phone = layout(375.0, canvas_height(375.0, &v1(16)), &v1(16));
        assert!(phone.h > 520.0 && phone.h < 900.0, "{}", phone.h);
        let wide3 = layout(1400.0, 504.0, &v1(3));
        assert!(
            wide3.shards[0].h > 150.0,
            "three shards side by side: room for gauges"
        );
    }

    #[test]
    fn v2_draws_replicas_and_the_stream() {
        // the V2 preset's topology, wide and on a phone: every node has a
        // box, every edge a path, and the replicas are clickable
        let mut sim =
            cachesim_core::Simulation::new(cachesim_core::presets::preset("v2-steady").unwrap())
                .unwrap();
        sim.advance_to(0.5);
        let f = sim.take_frame();
        let shape = Shape::of(&f.topology);
        assert_eq!(shape, v2(3));
        for w in [1400.0, 375.0] {
            let l = layout(w, canvas_height(w, &shape), &shape);
            no_overlaps(&l);
            for n in &f.topology.nodes {
                assert!(
                    l.node(n.id).is_some(),
                    "node {} ({:?}) at {w}",
                    n.id,
                    n.kind
                );
            }
            for (a, b) in &f.topology.edges {
                let p = l.path(*a, *b).unwrap();
                assert!(path_length(&p) > 4.0, "edge {a}->{b} at {w}: {p:?}");
            }
            for i in 0..3 {
                let r = l.replicas[i][0];
                assert_eq!(l.replica_at(r.center()), Some((i, 0)));
                assert_eq!(
                    l.shard_at(r.center()),
                    Some(i),
                    "a replica is part of its shard"
                );
            }
            for i in 0..3 {
                let body = l.shard_body(i).unwrap();
                assert!(
                    body.h >= 40.0,
                    "shard {i}'s state has room at {w}: {body:?}"
                );
            }
            // the stream sits apart from the shards it feeds and the DB it reads
            let s = l.stream.unwrap();
            assert!(s.w >= 60.0 && s.h >= 50.0, "{s:?} at {w}");
        }
        let phone = layout(375.0, canvas_height(375.0, &v2(16)), &v2(16));
        no_overlaps(&phone);
        assert!(phone.h < 1100.0, "{}", phone.h);
    }

    #[test]
    fn paths_run_border_to_border() {
        let l = layout(1200.0, canvas_height(1200.0, &Shape::v0(2)), &Shape::v0(2));
        let p = l.path(node::CLIENT, node::LB).unwrap();
        assert_eq!(p.len(), 2);
        assert!(l.client.contains(p[0]) && l.lb.contains(p[1]));
        assert!(!l.client.contains(p[1]));
        // replies go back through the LB
        let r = l.path(node::pod(1), node::CLIENT).unwrap();
        assert_eq!(r.len(), 4);
        assert!(l.lb.contains(r[1]) && l.lb.contains(r[2]));
        assert!(
            l.path(node::pod(5), node::shard(0)).is_none(),
            "pods beyond the shown ones"
        );
        assert!(
            l.path(node::pod(0), node::shard(1)).is_none(),
            "shards beyond the shown ones"
        );
        assert!(
            l.path(node::pod(0), node::PROXY).is_none(),
            "no proxy in V0"
        );
        let lens = l.path_lengths(&[(node::pod(0), node::shard(0))]);
        assert!(lens.contains_key(&(node::shard(0), node::pod(0))));
        assert!(lens.contains_key(&(node::pod(1), node::CLIENT)));
    }

    #[test]
    fn shape_of_a_topology() {
        let mut sim =
            cachesim_core::Simulation::new(cachesim_core::presets::preset("v1-steady").unwrap())
                .unwrap();
        sim.advance_to(0.5);
        let f = sim.take_frame();
        assert_eq!(Shape::of(&f.topology), v1(3));
        let l = layout(1400.0, 504.0, &Shape::of(&f.topology));
        for (a, b) in &f.topology.edges {
            assert!(l.path(*a, *b).is_some(), "edge {a}->{b} has a path");
        }
    }

    #[test]
    fn points_along_a_path() {
        let p = vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
        assert_eq!(point_along(&p, 0.0, 0.0), (0.0, 0.0));
        assert_eq!(point_along(&p, 0.25, 0.0), (5.0, 0.0));
        assert_eq!(point_along(&p, 0.75, 0.0), (10.0, 5.0));
        assert_eq!(point_along(&p, 1.0, 0.0), (10.0, 10.0));
        assert_eq!(point_along(&p, 2.0, 0.0), (10.0, 10.0));
        // lane: left of travel (screen y down: travelling +x, left is -y)
        assert_eq!(point_along(&p, 0.25, 3.0), (5.0, -3.0));
    }

    #[test]
    fn border_points() {
        let r = Rect::centered(0.0, 0.0, 20.0, 10.0);
        assert_eq!(r.border_towards((100.0, 0.0)), (10.0, 0.0));
        assert_eq!(r.border_towards((0.0, -100.0)), (0.0, -5.0));
        assert_eq!(r.border_towards((1.0, 0.0)), (1.0, 0.0));
    }

    #[test]
    fn a_dot_points_along_its_travel_in_its_own_lane() {
        let there = [(0.0, 0.0), (100.0, 0.0)];
        let back = [(100.0, 0.0), (0.0, 0.0)];
        let ((x, y), (ux, uy)) = pose_along(&there, 0.5, 3.5);
        assert_eq!((x, ux, uy), (50.0, 1.0, 0.0));
        let ((bx, by), (bux, _)) = pose_along(&back, 0.5, 3.5);
        assert_eq!((bx, bux), (50.0, -1.0));
        // the two directions in lanes on either side of the line
        assert!(y * by < 0.0 && (y - by).abs() == 7.0, "{y} {by}");
    }
}
