//! `?embed`: a good citizen inside someone else's page (the docs' iframes).
//!
//! - The simulation pauses while the embed is out of view and resumes when it
//!   is back: an IntersectionObserver watches the page's own root with the
//!   implicit root, which inside an iframe is the top-level viewport, so
//!   scrolling the host page past the iframe hides it; a hidden tab counts as
//!   out of view too. The user's own pause (`driver.paused`) is kept apart.
//! - The canvas takes the height the rest of the page leaves, so the page fits
//!   its iframe without scrollbars (at 820 x 560, and at phone widths with the
//!   height the narrow layout needs).
//! - The root is focusable (`tabindex="-1"`): a click anywhere in the
//!   simulator focuses it, and the keyboard shortcuts act only on keys whose
//!   target is inside it, so they never act on, or swallow, the host page's keys.

use super::*;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, Node};

/// The smallest canvas height (CSS px) an embed shrinks to: what the wide
/// layout's boxes need, and the narrow (vertical) layout's rows.
fn min_canvas_height(w: f64) -> f64 {
    if w < layout::NARROW_PX {
        464.0
    } else {
        250.0
    }
}

impl App {
    /// Whether the simulation may advance in this frame.
    pub(super) fn visible(&self) -> bool {
        !self.embed || (self.in_view && !self.doc.hidden())
    }

    /// Called by the IntersectionObserver (and the tests).
    pub(super) fn set_in_view(&mut self, in_view: bool) {
        if in_view != self.in_view {
            self.in_view = in_view;
            // the time spent out of view is not simulated: the next frame starts the clock again
            self.last_frame_ms = None;
        }
    }

    /// Whether an event's target is inside the simulator's root.
    pub(super) fn event_inside(&self, e: &Event) -> bool {
        e.target()
            .and_then(|t| t.dyn_into::<Node>().ok())
            .is_some_and(|n| self.root.contains(Some(&n)))
    }

    /// In an embed, the canvas height that makes the page exactly fill the
    /// window (`natural` is the full page's height for this width).
    pub(super) fn embed_canvas_height(&self, w: f64, natural: f64) -> f64 {
        let vh = window()
            .inner_height()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let canvas = &self.els.arch;
        let (outer, inner) = (canvas.offset_height() as f64, canvas.client_height() as f64);
        if vh <= 0.0 || outer <= 0.0 {
            return natural;
        }
        let others = self.root.get_bounding_client_rect().height() - outer;
        let frame = (outer - inner).max(0.0);
        let min = min_canvas_height(w);
        // one pixel of slack against rounding
        (vh - others - frame - 1.0)
            .floor()
            .clamp(min, natural.max(min))
    }

    /// Re-fits the canvas when the rest of the embed changed height.
    pub(super) fn refit_embed(&mut self) {
        if !self.embed {
            return;
        }
        let w = self.els.arch.client_width() as f64;
        if w <= 0.0 {
            return;
        }
        let h = self.embed_canvas_height(
            w,
            layout::canvas_height(w, &layout::Shape::of(&self.driver.topology)),
        );
        if (h - self.css_h).abs() > 0.5 {
            self.resize();
            self.draw_arch();
        }
    }
}

/// Wires an embed: the focusable root, the view observer, the tab's visibility.
pub(super) fn wire_embed(app: &Rc<RefCell<App>>, root: &Element) {
    root.set_attribute("tabindex", "-1").ok();
    let weak = Rc::downgrade(app);
    let cb = Closure::<dyn FnMut(js_sys::Array, IntersectionObserver)>::new(
        move |entries: js_sys::Array, _: IntersectionObserver| {
            let Some(app) = weak.upgrade() else { return };
            // the last entry is the latest state
            let last = entries
                .iter()
                .filter_map(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
                .next_back();
            let Some(entry) = last else { return };
            if let Ok(mut a) = app.try_borrow_mut() {
                a.set_in_view(entry.is_intersecting());
            };
        },
    );
    match IntersectionObserver::new(cb.as_ref().unchecked_ref()) {
        Ok(observer) => {
            observer.observe(root);
            // both live as long as the page
            std::mem::forget(observer);
            cb.forget();
        }
        Err(_) => web_sys::console::warn_1(&JsValue::from_str(
            "cachesim: no IntersectionObserver; the embed runs while out of view",
        )),
    }
    let doc = app.borrow().doc.clone();
    on(&doc, "visibilitychange", app, |a, _| a.last_frame_ms = None);
}
