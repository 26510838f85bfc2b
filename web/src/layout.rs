//! Geometry of the architecture canvas (pure, tested natively): where each
//! component sits for a canvas size and pod count, and the path a dot takes
//! between two nodes. Wide canvases flow left to right; narrow ones (phones)
//! top to bottom.

use cachesim_core::frame::node;

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

/// Positions of every component on a canvas of `w` x `h` CSS pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub w: f64,
    pub h: f64,
    pub vertical: bool,
    pub client: Rect,
    pub lb: Rect,
    pub pods: Vec<Rect>,
    pub cache: Rect,
    pub db: Rect,
}

/// The canvas height (CSS pixels) that suits a width.
pub fn canvas_height(w: f64) -> f64 {
    if w < NARROW_PX {
        520.0
    } else {
        (w * 0.36).clamp(400.0, 520.0)
    }
}

/// Lays out the diagram; `pods` is at least 1.
pub fn layout(w: f64, h: f64, pods: usize) -> Layout {
    let n = pods.max(1);
    if w < NARROW_PX {
        let client = Rect::centered(w / 2.0, 34.0, (w * 0.62).min(260.0), 48.0);
        let lb = Rect::centered(w / 2.0, 128.0, (w * 0.62).min(260.0), 66.0);
        let row_y = 262.0;
        let slot = (w - 16.0) / n as f64;
        let pw = (slot - 4.0).min(120.0);
        let pods = (0..n)
            .map(|i| Rect::centered(8.0 + slot * (i as f64 + 0.5), row_y, pw, 78.0))
            .collect();
        let bw = (w - 24.0) / 2.0;
        let bh = (h - 356.0).clamp(120.0, 170.0);
        let by = 336.0 + bh / 2.0 + 4.0;
        let cache = Rect::centered(8.0 + bw / 2.0, by, bw, bh);
        let db = Rect::centered(w - 8.0 - bw / 2.0, by, bw, bh);
        Layout {
            w,
            h,
            vertical: true,
            client,
            lb,
            pods,
            cache,
            db,
        }
    } else {
        // room for four lines: the rate, a hot key, an attack and the errors
        let client = Rect::centered(w * 0.07, h / 2.0, w * 0.11, 104.0);
        let lb = Rect::centered(w * 0.255, h / 2.0, w * 0.15, 112.0);
        let top = 14.0;
        let slot = (h - 2.0 * top) / n as f64;
        let ph = (slot - 6.0).min(74.0);
        let pods = (0..n)
            .map(|i| Rect::centered(w * 0.5, top + slot * (i as f64 + 0.5), w * 0.17, ph))
            .collect();
        let bw = w * 0.27;
        let bh = h * 0.44;
        let cache = Rect::centered(w - 8.0 - bw / 2.0, h * 0.26, bw, bh);
        let db = Rect::centered(w - 8.0 - bw / 2.0, h * 0.74, bw, bh);
        Layout {
            w,
            h,
            vertical: false,
            client,
            lb,
            pods,
            cache,
            db,
        }
    }
}

impl Layout {
    /// The rectangle of a node (`frame::node` ids; pods beyond the shown ones are `None`).
    pub fn node(&self, id: u16) -> Option<Rect> {
        match id {
            node::CLIENT => Some(self.client),
            node::LB => Some(self.lb),
            node::SHARD0 => Some(self.cache),
            node::DB => Some(self.db),
            _ => self.pods.get((id - node::POD0) as usize).copied(),
        }
    }

    /// The polyline a dot follows from one node to another, border to border.
    /// Replies from a pod to the client pass through the LB, as in reality.
    pub fn path(&self, from: u16, to: u16) -> Option<Vec<(f64, f64)>> {
        let a = self.node(from)?;
        let b = self.node(to)?;
        if from >= node::POD0 && to == node::CLIENT {
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

    /// Every drawn edge (from, to), for lines and their labels.
    pub fn edges(&self) -> Vec<(u16, u16)> {
        let mut e = vec![(node::CLIENT, node::LB)];
        for i in 0..self.pods.len() as u16 {
            e.push((node::LB, node::POD0 + i));
            e.push((node::POD0 + i, node::SHARD0));
            e.push((node::POD0 + i, node::DB));
        }
        e
    }
}

/// Length of a polyline.
pub fn path_length(path: &[(f64, f64)]) -> f64 {
    path.windows(2)
        .map(|s| ((s[1].0 - s[0].0).powi(2) + (s[1].1 - s[0].1).powi(2)).sqrt())
        .sum()
}

impl Layout {
    /// Path lengths of every pair of nodes a hop can join (both directions,
    /// and pod to client through the LB).
    pub fn path_lengths(&self) -> std::collections::HashMap<(u16, u16), f64> {
        let mut m = std::collections::HashMap::new();
        let mut pairs = vec![(node::CLIENT, node::LB), (node::LB, node::CLIENT)];
        for i in 0..self.pods.len() as u16 {
            let p = node::POD0 + i;
            for other in [node::LB, node::SHARD0, node::DB, node::CLIENT] {
                pairs.push((p, other));
                pairs.push((other, p));
            }
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
    if path.is_empty() {
        return (0.0, 0.0);
    }
    if path.len() == 1 {
        return path[0];
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
            let (nx, ny) = if *len > 0.0 {
                (dy / len, -dx / len)
            } else {
                (0.0, 0.0)
            };
            return (p.0 + dx * t + nx * lane, p.1 + dy * t + ny * lane);
        }
        d -= len;
    }
    *path.last().expect("non-empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_overlaps(l: &Layout) {
        let mut all = vec![l.client, l.lb, l.cache, l.db];
        all.extend(l.pods.iter().copied());
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

    #[test]
    fn layouts_fit_and_do_not_overlap() {
        for &w in &[320.0, 375.0, 600.0, 640.0, 1000.0, 1400.0, 2400.0] {
            let h = canvas_height(w);
            for n in [1, 2, 4, 8, 16] {
                let l = layout(w, h, n);
                assert_eq!(l.pods.len(), n);
                assert_eq!(l.vertical, w < NARROW_PX);
                no_overlaps(&l);
            }
        }
    }

    #[test]
    fn paths_run_border_to_border() {
        let l = layout(1200.0, canvas_height(1200.0), 2);
        let p = l.path(node::CLIENT, node::LB).unwrap();
        assert_eq!(p.len(), 2);
        assert!(l.client.contains(p[0]) && l.lb.contains(p[1]));
        assert!(!l.client.contains(p[1]));
        // replies go back through the LB
        let r = l.path(node::POD0 + 1, node::CLIENT).unwrap();
        assert_eq!(r.len(), 4);
        assert!(l.lb.contains(r[1]) && l.lb.contains(r[2]));
        assert!(
            l.path(node::POD0 + 5, node::SHARD0).is_none(),
            "pods beyond the shown ones"
        );
        assert_eq!(l.edges().len(), 1 + 3 * 2);
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
}
