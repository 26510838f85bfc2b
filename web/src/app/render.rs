//! Showing the run: the controls' live values, the texts (explanation,
//! component details, clock), the canvas and the charts, and the per-frame
//! loop that advances the simulation.

use super::dom;
use super::*;
use crate::driver::EdgeRates;
use cachesim_core::metrics::TierSecond;
use cachesim_core::Status;

impl App {
    pub(super) fn fill_presets(&mut self, doc: &Document) -> Result<(), JsValue> {
        let sel = &self.els.preset;
        let custom = doc.create_element("option")?;
        custom.set_attribute("value", "custom")?;
        custom.set_text_content(Some("custom (from a link)"));
        custom.set_attribute(
            "title",
            "a scenario loaded from a link that is not a preset",
        )?;
        custom.set_attribute("disabled", "")?;
        sel.append_child(&custom)?;
        for p in presets::PRESETS {
            let o = doc.create_element("option")?;
            o.set_attribute("value", p.name)?;
            o.set_attribute("title", p.description)?;
            o.set_text_content(Some(p.name));
            sel.append_child(&o)?;
        }
        Ok(())
    }

    /// Puts the live values into the controls (not into the one being used).
    pub(super) fn sync_controls(&mut self, all: bool) {
        let st = self.driver.sim.status();
        let active = self.doc.active_element();
        let focused = |el: &HtmlElement| {
            !all && active
                .as_ref()
                .is_some_and(|a| a == el.unchecked_ref::<Element>())
        };
        let e = &self.els;
        if !focused(e.rps.unchecked_ref()) && self.pending.rps.is_none() {
            dom::set_input(&e.rps, &format::slider_from_rps(st.rps).to_string());
        }
        dom::set_text(&e.rps_value, &format!("{} RPS", compact(st.rps)));
        e.rps
            .set_attribute(
                "aria-valuetext",
                &format!("{} requests per second", compact(st.rps)),
            )
            .ok();
        let hit = self.driver.target_hit_rate();
        if !focused(e.hit_rate.unchecked_ref()) && self.pending.hit_rate.is_none() {
            dom::set_input(
                &e.hit_rate,
                &format!("{:.0}", (hit * 100.0).clamp(50.0, 99.0)),
            );
        }
        if self.pending.hit_rate.is_none() {
            dom::set_text(&e.hit_rate_value, &pct(hit));
            let mut note = hit_rate_note(hit, st.predicted_hit_rate);
            if let Some(why) = &self.hit_rate_limited {
                note = format!("{why}; {note}");
            }
            dom::set_text(&e.hit_rate_note, &note);
        }
        e.hit_rate.set_title("The keyspace is derived so that the steady-state hit rate is this target, as near as the workload allows (the note below says what the model predicts)");
        let gb = shard_max_bytes(&st) as f64 / (1024.0 * 1024.0 * 1024.0);
        let gb_text = format!("{}", (gb * 1000.0).round() / 1000.0);
        if !focused(e.memory.unchecked_ref()) && e.memory.value() != gb_text {
            e.memory.set_value(&gb_text);
        }
        dom::set_text(&e.memory_value, &format!("{gb_text} GB"));
        let ttl_text = format!("{}", st.ttl_s);
        if !focused(e.ttl.unchecked_ref()) && e.ttl.value() != ttl_text {
            e.ttl.set_value(&ttl_text);
        }
        dom::set_text(&e.ttl_value, &format::secs(st.ttl_s));
        if !focused(e.eviction.unchecked_ref()) {
            dom::set_select(&e.eviction, st.eviction);
        }
        // a checkbox shows the model's state even while focused
        e.single_flight.set_checked(st.single_flight);
        e.autoscale.set_checked(st.autoscale.on);
        for (m, b) in &e.mitigations {
            b.set_checked(st.mitigations.contains(m));
        }
        let pods = st.pods.iter().filter(|p| p.active).count();
        if !focused(e.pods.unchecked_ref()) && self.pending.pods.is_none() {
            dom::set_input(&e.pods, &pods.to_string());
        }
        dom::set_text(&e.pods_value, &pods.to_string());
        let seed = self.driver.base.seed.to_string();
        if !focused(e.seed.unchecked_ref()) && e.seed.value() != seed {
            e.seed.set_value(&seed);
        }
        let preset = self
            .driver
            .preset
            .clone()
            .unwrap_or_else(|| "custom".into());
        dom::set_select(&e.preset, &preset);
        let desc = if preset == "custom" {
            let d = &self.driver.base.description;
            if d.is_empty() {
                "A scenario from a link.".to_string()
            } else {
                d.clone()
            }
        } else {
            preset_description(&preset).to_string()
        };
        dom::set_text(&e.preset_description, &desc);
        dom::set_select(&e.speed, &self.driver.speed.to_string());
        dom::set_text(
            &e.play_pause,
            if self.driver.paused { "Play" } else { "Pause" },
        );
        e.play_pause
            .set_attribute(
                "aria-pressed",
                if self.driver.paused { "true" } else { "false" },
            )
            .ok();
        e.play_pause
            .set_attribute(
                "aria-label",
                if self.driver.paused {
                    "Play (paused)"
                } else {
                    "Pause (running)"
                },
            )
            .ok();
        for (t, b) in &e.toggles {
            let on = self.driver.toggle_state(*t);
            b.set_attribute("aria-pressed", if on { "true" } else { "false" })
                .ok();
        }
        self.sync_architecture(&st);
    }

    /// The Architecture controls and the per-shard buttons show the running topology.
    fn sync_architecture(&mut self, st: &Status) {
        let e = &self.els;
        dom::set_select(&e.architecture, architecture::design_value(st));
        let (_, described) = cachesim_core::summary::describe(st);
        dom::set_text(&e.architecture_description, &described);
        if st.shards.len() > 1 || st.proxy.is_some() {
            let label = format!(
                "Architecture: Client to AppLB to the AppService pods, then {described}, and BackendDB (PostgreSQL), with requests flowing as dots. Click a shard to crash it or restart it (or use the shard buttons below). The list below gives the same live state as text."
            );
            e.arch.set_attribute("aria-label", &label).ok();
        } else {
            e.arch
                .set_attribute("aria-label", template::ARCH_LABEL)
                .ok();
        }
        let n = st.shards.len();
        dom::set_text(
            &e.shards_value,
            &if n == 1 {
                "1 shard".to_string()
            } else {
                format!("{n} shards")
            },
        );
        e.add_shard
            .set_disabled(n >= cachesim_core::scenario::limits::SHARDS.1 as usize);
        e.remove_shard.set_disabled(n <= 1);
        e.proxy.set_checked(st.proxy.is_some());
        e.proxy_single_flight
            .set_checked(st.proxy.as_ref().is_some_and(|p| p.single_flight));
        e.proxy_single_flight.set_disabled(st.proxy.is_none());
        dom::set_select(&e.router, st.router);
        e.warmup.set_checked(st.warmup);
        // the memory control sets every shard's maxmemory
        if let Ok(Some(label)) = self.root.query_selector("label[for=memory-gb]") {
            let text = if n > 1 {
                "Memory per shard (GB)"
            } else {
                "Cache memory (GB)"
            };
            dom::set_text(&label, text);
        }
        // V2's switches: shown only where there is something to switch
        let replicated = st.shards.first().is_some_and(|s| !s.replicas.is_empty());
        e.replica_reads.set_checked(st.replica_reads);
        e.replica_reads.set_disabled(!replicated);
        match &st.stream {
            Some(s) => {
                e.stop_stream.remove_attribute("hidden").ok();
                e.stop_stream
                    .set_attribute("aria-pressed", if s.running { "false" } else { "true" })
                    .ok();
            }
            None => {
                e.stop_stream.set_attribute("hidden", "").ok();
                e.stop_stream.set_attribute("aria-pressed", "false").ok();
            }
        }
        dom::set_text(&e.bill, &crate::seed_table::bill_text(st));
        let buttons: Vec<ShardButtons> = (0..st.shards.len())
            .map(|i| ShardButtons {
                up: st.shards[i].up,
                replicated: !st.shards[i].replicas.is_empty(),
                rejoin: architecture::replica_rejoin(st, i).is_some(),
            })
            .collect();
        if buttons != self.shard_buttons_drawn {
            self.shard_buttons_drawn = buttons;
            self.draw_shard_buttons();
        }
    }

    /// One button per shard (crash it, or restart it when down; in V2 the
    /// primary, and a dead node's rejoin); hidden with V0's one Redis.
    fn draw_shard_buttons(&self) {
        let box_ = &self.els.shard_buttons;
        let shards = &self.shard_buttons_drawn;
        box_.set_inner_html("");
        if shards.len() <= 1 && !shards.iter().any(|s| s.replicated) {
            box_.set_attribute("hidden", "").ok();
            self.els.arch.class_list().remove_1("cs-clickable").ok();
            return;
        }
        box_.remove_attribute("hidden").ok();
        self.els.arch.class_list().add_1("cs-clickable").ok();
        if let Ok(label) = self.doc.create_element("span") {
            label.set_class_name("cs-shards-label");
            label.set_text_content(Some("Shards:"));
            box_.append_child(&label).ok();
        }
        let button = |i: usize, id: String, text: String, title: String, down: bool| {
            let Ok(b) = self.doc.create_element("button") else {
                return None;
            };
            b.set_attribute("type", "button").ok();
            b.set_attribute("data-shard", &i.to_string()).ok();
            b.set_id(&id);
            if down {
                b.set_class_name("cs-down");
            }
            b.set_text_content(Some(&text));
            b.set_attribute("title", &title).ok();
            b.set_attribute("aria-label", &title).ok();
            box_.append_child(&b).ok();
            Some(b)
        };
        for (i, s) in shards.iter().enumerate() {
            let (text, title) = match (s.up, s.replicated) {
                (true, false) => (
                    format!("Crash {i}"),
                    format!("Crash shard {i}: its keys are lost"),
                ),
                (true, true) => (
                    format!("Crash primary {i}"),
                    format!("Crash shard {i}'s primary: its replica serves reads and is promoted after the failover delay"),
                ),
                (false, _) => (
                    format!("Restart {i}"),
                    format!("Shard {i} is down: restart it empty (cold)"),
                ),
            };
            button(i, format!("shard-{i}"), text, title, !s.up);
            if s.rejoin {
                if let Some(b) = button(
                    i,
                    format!("shard-{i}-rejoin"),
                    format!("Rejoin replica {i}"),
                    format!("Shard {i}'s dead node comes back as a replica, with a full copy of its primary"),
                    false,
                ) {
                    b.set_attribute("data-rejoin", "").ok();
                }
            }
        }
    }

    /// Explanation, readouts, component list, legend scale, clock, state JSON.
    pub(super) fn refresh_texts(&mut self) {
        self.last_text_ms = self.clock_ms();
        let st = self.driver.sim.status();
        let last = self.driver.last().cloned();
        self.shown = last.clone();
        let ex = self.driver.explanation();
        let e = &self.els;
        dom::set_text(&e.explain, &ex.text);
        e.explain
            .set_class_name(&format!("cs-explain cs-{}", ex.level.as_str()));
        dom::set_text(&e.clock, &format::clock(st.now_s));
        let note = if self.driver.paused {
            "paused".to_string()
        } else if self.driver.slower_than_asked() {
            format!(
                "running slower than real time: {}x of the {}x asked",
                format_speed(self.driver.achieved_speed),
                self.driver.speed
            )
        } else {
            format!("{}x", self.driver.speed)
        };
        dom::set_text(&e.speed_note, &note);
        let next = match self.driver.next_event() {
            Some((dt, what)) => format!("· next: {what} in {}", format::clock(dt.ceil())),
            None => String::new(),
        };
        dom::set_text(&e.next_event, &next);
        e.speed_note
            .set_class_name(if self.driver.slower_than_asked() {
                "cs-speed-note cs-slow"
            } else {
                "cs-speed-note"
            });
        let scale = if self.driver.reduced_motion {
            "Reduced motion: edge widths show the traffic.".to_string()
        } else if self.driver.trace_every > 0 {
            self.driver.dot_scale()
        } else {
            String::new()
        };
        dom::set_text(&e.dot_scale, &scale);
        e.dot_scale.set_title(&format!(
            "exactly 1 traced request in {} is drawn",
            self.driver.trace_every
        ));
        let tier = self.driver.sim.history().last_tier();
        let scene = scene(
            &self.driver.rates,
            &self.driver.base,
            &st,
            last.as_ref(),
            tier,
        );
        let readouts = match &last {
            Some(l) => format!(
                "Hit rate {}{} · DB {} ({}) · p50 {} · p99 {} · {} errors/s · {} in flight",
                // no reads at all (no healthy pod): no rate to show
                if l.reads > 0 {
                    pct(l.hit_rate)
                } else {
                    "- (no reads)".to_string()
                },
                // GETs to a down shard fail before they can hit or miss
                if st.shards_down() > 0 && !st.cache_down() {
                    " on the shards up"
                } else {
                    ""
                },
                scene.db().load_words(),
                scene.db().worker_words(),
                format::ms(l.p50_ms),
                format::ms(l.p99_ms),
                compact(l.failed as f64),
                compact(st.in_flight as f64)
            ),
            None => "Collecting the first simulated second…".into(),
        };
        dom::set_text(&e.readouts, &readouts);
        // a phone's sticky strip: the same figures, shortest words
        let strip = match &last {
            Some(l) => format!(
                "{} · hit {} · DB {} · {} err/s · p99 {}",
                format::clock(st.now_s),
                if l.reads > 0 {
                    pct(l.hit_rate)
                } else {
                    "-".to_string()
                },
                {
                    let x = scene.db().load;
                    if x >= 1.0 {
                        format::times(x)
                    } else {
                        pct(x)
                    }
                },
                compact(l.failed as f64),
                format::ms(l.p99_ms)
            ),
            None => format!("{} · starting", format::clock(st.now_s)),
        };
        dom::set_text(&e.live_strip, &strip);
        e.live_strip
            .set_class_name(&format!("cs-strip cs-{}", ex.level.as_str()));
        for (key, li) in &e.components {
            dom::set_text(li, &component_text(key, &scene, &self.driver));
        }
        if self.embed {
            e.open_full.set_href(&self.full_url());
        }
        let mut v = self.driver.state_value();
        v["db"] = serde_json::to_value(scene.db()).unwrap_or_default();
        v["chart_events"] =
            serde_json::to_value(self.driver.chart_events(WINDOW_S as f64)).unwrap_or_default();
        v["timing_ms"] = serde_json::json!({ "frame": self.frame_ms, "draw": self.draw_ms, "charts": self.charts_ms });
        // where each node's box is on the canvas (CSS pixels): the tests click shards
        if let Some(lay) = &self.lay {
            let boxes: Vec<serde_json::Value> = lay
                .boxes()
                .iter()
                .map(|(id, r)| serde_json::json!({ "id": id, "x": r.x, "y": r.y, "w": r.w, "h": r.h }))
                .collect();
            v["canvas"] = serde_json::json!({ "w": lay.w, "h": lay.h, "boxes": boxes });
        }
        v["comparison"] = self.compare.state();
        v["bill"] = e.bill.text_content().unwrap_or_default().into();
        e.state_json.set_text_content(Some(&v.to_string()));
    }

    pub(super) fn resize(&mut self) {
        let dpr = window().device_pixel_ratio().clamp(1.0, 3.0);
        let canvas = &self.els.arch;
        let mut w = canvas.client_width() as f64;
        if w <= 0.0 {
            w = 900.0;
        }
        let mut h = layout::canvas_height(w, &layout::Shape::of(&self.driver.topology));
        if self.embed {
            h = self.embed_canvas_height(w, h);
        }
        set_content_height(canvas, h);
        if (w - self.css_w).abs() > 0.5 || (h - self.css_h).abs() > 0.5 || dpr != self.dpr {
            canvas.set_width((w * dpr).round() as u32);
            canvas.set_height((h * dpr).round() as u32);
            self.css_w = w;
            self.css_h = h;
            self.dpr = dpr;
        }
        for c in &self.els.charts {
            let mut cw = c.client_width() as f64;
            if cw <= 0.0 {
                cw = 420.0;
            }
            let ch = if cw < 420.0 { 210.0 } else { 230.0 };
            set_content_height(c, ch);
            let (bw, bh) = ((cw * dpr).round() as u32, (ch * dpr).round() as u32);
            if c.width() != bw || c.height() != bh {
                c.set_width(bw);
                c.set_height(bh);
            }
        }
    }

    pub(super) fn draw_arch(&mut self) {
        let shape = layout::Shape::of(&self.driver.topology);
        if self.css_w > 0.0 && layout::canvas_height(self.css_w, &shape) != self.css_h {
            // a shard or the proxy came or went: a phone's stack changes height
            self.resize();
        }
        let st = self.driver.sim.status();
        let last = self.shown.clone();
        let tier = self.driver.sim.history().last_tier();
        let scene = scene(
            &self.driver.rates,
            &self.driver.base,
            &st,
            last.as_ref(),
            tier,
        );
        let lay = layout::layout(self.css_w, self.css_h, &shape);
        let key = (self.css_w.to_bits(), self.css_h.to_bits(), shape);
        if key != self.layout_key {
            self.layout_key = key;
            self.driver.dots.lengths = lay.path_lengths(&self.driver.topology.edges);
        }
        let ctx = &self.els.ctx;
        let t0 = now_ms();
        ctx.set_transform(self.dpr, 0.0, 0.0, self.dpr, 0.0, 0.0)
            .ok();
        draw::draw(ctx, self.css_w, self.css_h, &lay, &self.driver, &scene);
        self.draw_ms += (now_ms() - t0 - self.draw_ms) * 0.1;
        self.lay = Some(lay);
    }

    /// Redraws every chart now.
    pub(super) fn draw_charts(&mut self) {
        self.last_chart_ms = self.clock_ms();
        self.charted_second = self.driver.last().map(|l| l.t_s);
        self.charts_due = 0;
        self.draw_chart_set(None);
    }

    /// Draws one chart (`Some(i)`) or all of them.
    pub(super) fn draw_chart_set(&mut self, only: Option<usize>) {
        if self.embed {
            return;
        }
        let hist = self.driver.sim.history();
        let seconds: Vec<_> = hist.tail(WINDOW_S as usize).cloned().collect();
        let events = self.driver.chart_events(WINDOW_S as f64);
        let input = ChartInput {
            seconds: &seconds,
            now_s: self.driver.sim.now_s(),
            db_capacity: Capacities::of(&self.driver.base).db_qps,
            target_hit_rate: self.driver.target_hit_rate(),
            dpr: self.dpr,
            events: &events,
            p95: self.els.show_p95.checked(),
        };
        let c = &self.els.charts;
        let t0 = now_ms();
        for (i, canvas) in c.iter().enumerate() {
            if only.is_none_or(|o| o == i) {
                draw_chart(i, canvas, &input);
            }
        }
        let spent = now_ms() - t0;
        self.charts_ms = if only.is_some() {
            spent * c.len() as f64
        } else {
            spent
        };
    }

    /// The time of the last animation frame (ms): the clock of the refresh throttles.
    pub(super) fn clock_ms(&self) -> f64 {
        self.last_frame_ms.unwrap_or(0.0)
    }

    pub(super) fn on_frame(&mut self, t_ms: f64) {
        if self.compare.is_open() {
            // the simulator behind waits while the designs are compared
            self.last_frame_ms = Some(t_ms);
            self.compare_frame(t_ms);
            return;
        }
        if !self.visible() {
            // an embed out of view: nothing runs, nothing is drawn
            self.last_frame_ms = None;
            return;
        }
        let dt = match self.last_frame_ms {
            Some(prev) => ((t_ms - prev) / 1000.0).max(0.0),
            None => 0.0,
        };
        self.last_frame_ms = Some(t_ms);
        if dt > crate::driver::BACKGROUND_GAP_S {
            // a hidden tab gets no frames: the run waited, and goes on from where it was
            self.show_message(
                &crate::driver::background_notice(dt, self.driver.sim.now_s()),
                false,
            );
        }
        self.frame_ms += (dt.min(crate::driver::MAX_FRAME_S) * 1000.0 - self.frame_ms) * 0.1;
        self.flush_pending();
        let mut clock = now_ms;
        self.driver.frame(dt, &mut clock);
        let w = self.els.arch.client_width() as f64;
        if w > 0.0 && (w - self.css_w).abs() > 0.5 {
            self.resize();
        }
        let now = t_ms;
        // texts first: the canvas prints the second they show
        if now - self.last_text_ms >= TEXT_EVERY_MS {
            self.sync_controls(false);
            self.refresh_texts();
            self.refit_embed();
        }
        self.draw_arch();
        let second = self.driver.last().map(|l| l.t_s);
        if self.charts_due > 0 {
            // one chart per frame, so a redraw never costs a frame
            let n = self.els.charts.len();
            self.draw_chart_set(Some(n - self.charts_due));
            self.charts_due -= 1;
        } else if second != self.charted_second && now - self.last_chart_ms >= CHART_EVERY_MS {
            self.last_chart_ms = now;
            self.charted_second = second;
            self.charts_due = self.els.charts.len();
        }
    }
}

pub(super) fn draw_chart(i: usize, canvas: &HtmlCanvasElement, input: &ChartInput) {
    match i {
        0 => charts::hit_rate(canvas, input),
        1 => charts::db(canvas, input),
        2 => charts::latency(canvas, input),
        3 => charts::errors(canvas, input),
        _ => charts::cache(canvas, input),
    };
}

pub(super) fn format_speed(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// Beside the target hit-rate slider: what the model predicts, and why it
/// falls short of the target when it does.
pub(super) fn hit_rate_note(target: f64, predicted: f64) -> String {
    if target - predicted >= 0.005 {
        format!(
            "reaches ~{}: the most this workload allows (writes and deletes empty keys, the TTL expires them)",
            pct(predicted)
        )
    } else {
        format!("reaches ~{} (the model's prediction)", pct(predicted))
    }
}

pub(super) fn health_word(h: Health) -> &'static str {
    match h {
        Health::Ok => "ok",
        Health::Warn => "warning",
        Health::Bad => "overloaded",
        Health::Down => "down",
    }
}

/// The short live text of one component in `#components`.
pub(super) fn component_text(key: &str, s: &Scene, d: &Driver) -> String {
    let st = s.status;
    let l = s.last;
    match key {
        "client" => {
            let mut t = format!("Client: {} RPS offered", compact(st.rps));
            if st.hot_key_rate > 0.0 {
                t.push_str(&format!(" + {} hot key", compact(st.hot_key_rate)));
            }
            if st.attack_rate > 0.0 {
                t.push_str(&format!(" + {} key-busting", compact(st.attack_rate)));
            }
            if let Some(l) = l {
                t.push_str(&format!(", {} errors/s, p99 {}", compact(l.failed as f64), format::ms(l.p99_ms)));
            }
            t
        }
        "lb" => format!(
            "AppLB: {} of {} RPS capacity, queue {} ({})",
            compact(l.map_or(d.rates.client_lb, |l| l.arrived as f64)),
            compact(s.caps.lb_rps),
            st.lb_queue,
            health_word(s.lb_health())
        ),
        "app" => {
            let active: Vec<_> = st.pods.iter().filter(|p| p.active).collect();
            let healthy = active.iter().filter(|p| p.healthy).count();
            let busy: u32 = active.iter().map(|p| p.inflight).sum();
            let waiting: u32 = active.iter().map(|p| p.waiting).sum();
            format!(
                "AppService: {} pods, {} healthy, {} requests busy, {} waiting for a DB connection",
                active.len(),
                healthy,
                busy,
                waiting
            )
        }
        "cache" if st.shards.len() > 1 => {
            let shards: Vec<String> = st
                .shards
                .iter()
                .map(|x| {
                    let replicas: String = x
                        .replicas
                        .iter()
                        .map(|r| {
                            if !r.up {
                                ", replica DOWN".to_string()
                            } else if r.loading {
                                ", replica loading".to_string()
                            } else {
                                format!(", replica up ({} keys)", compact(r.keys as f64))
                            }
                        })
                        .collect();
                    match x.failover_in_s {
                        _ if x.up => format!(
                            "shard {} up, CPU {}, {} keys{replicas}",
                            x.index,
                            pct(x.cpu),
                            compact(x.keys as f64)
                        ),
                        Some(t) => format!(
                            "shard {} primary DOWN, promoting replica in {t:.1} s{replicas}",
                            x.index
                        ),
                        None => format!("shard {} DOWN{replicas}", x.index),
                    }
                })
                .collect();
            format!(
                "Redis: {} shards ({} router): {}",
                st.shards.len(),
                st.router,
                shards.join("; ")
            )
        }
        "cache" => {
            if st.cache_down() {
                "CacheNode (Redis): DOWN, every GET fails and falls through to the DB".into()
            } else {
                format!(
                    "CacheNode (Redis): up, CPU {}, memory {}, {} keys, hit rate {} ({})",
                    pct(l.map_or(0.0, |l| l.cache_cpu)),
                    pct(s.mem_fraction()),
                    compact(st.cache_keys() as f64),
                    l.map_or("-".into(), |l| pct(l.hit_rate)),
                    health_word(s.cache_health())
                )
            }
        }
        "proxy" => match &st.proxy {
            None => "CacheProxyService: none (the pods route keys to Redis themselves)".into(),
            Some(p) => format!(
                "CacheProxyService: utilization {}, queue {}, single-flight {}, {} misses waiting on a load ({})",
                pct(p.utilization),
                p.queue,
                if p.single_flight { "on" } else { "off" },
                p.coalescing,
                health_word(s.proxy_health())
            ),
        },
        "stream" => match &st.stream {
            None => "Invalidation stream: none".into(),
            Some(x) => format!(
                "Invalidation stream: consumer {}, backlog {} events, lag {}{}",
                if x.running { "running" } else { "STOPPED" },
                compact(x.backlog as f64),
                format::ms(x.lag_ms),
                st.l1.as_ref().map_or(String::new(), |l| format!("; the pods' L1 answers {} of reads", pct(l.hit_share)))
            ),
        },
        "warmup" => match st.shards.iter().find(|x| x.warming) {
            _ if !st.warmup => "WarmupWorker: none".into(),
            Some(x) => format!(
                "WarmupWorker: loading shard {}, {} keys so far",
                x.index,
                compact(x.warmed_keys as f64)
            ),
            None => "WarmupWorker: idle (it acts on a cold restart)".into(),
        },
        "db" => {
            let d = s.db();
            format!(
                "BackendDB (PostgreSQL): {}, queries {} ({} SELECTs after a miss, capacity ~{} SELECTs), {}, {} ({})",
                d.load_words(),
                d.query_words(),
                per_sec(d.selects as f64),
                per_sec(s.caps.db_qps),
                d.worker_words(),
                d.connection_words(),
                health_word(s.db_health())
            )
        }
        _ => String::new(),
    }
}

/// What the canvas and the texts show: the live status and a second.
fn scene<'a>(
    rates: &'a EdgeRates,
    base: &Scenario,
    st: &'a Status,
    last: Option<&'a SecondStats>,
    tier: Option<&'a TierSecond>,
) -> Scene<'a> {
    Scene {
        status: st,
        last,
        tier,
        rates,
        caps: Capacities::of(base),
        pool_size: base.app.pool_size,
    }
}

/// Makes the element's content box `h` CSS pixels tall whatever its border
/// (the page uses `box-sizing: border-box`), so the canvas' backing store of
/// `h` x device pixel ratio maps one to one onto the screen.
fn set_content_height(el: &HtmlElement, h: f64) {
    let style = el.style();
    style.set_property("height", &format!("{h}px")).ok();
    let frame = (el.offset_height() - el.client_height()).max(0);
    if frame > 0 {
        style
            .set_property("height", &format!("{}px", h + frame as f64))
            .ok();
    }
}

/// One shard's maxmemory (the memory control sets every shard to it).
pub(super) fn shard_max_bytes(st: &Status) -> u64 {
    st.shards.iter().map(|s| s.max_bytes).max().unwrap_or(0)
}
