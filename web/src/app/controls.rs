//! What each control does: commands to the model (throttled while a slider
//! is dragged), the failure toggles, numeric fields, presets, seed, playback
//! and the keyboard.

use super::*;

impl App {
    pub(super) fn show_message(&self, text: &str, problem: bool) {
        let m = &self.els.message;
        m.set_text_content(Some(text));
        m.set_class_name(if problem {
            "cs-message cs-problem"
        } else {
            "cs-message"
        });
        m.remove_attribute("hidden").ok();
    }

    /// Hides a problem notice (a refused value, a bad link): the next
    /// action that succeeds has moved on from it.
    pub(super) fn clear_problem(&self) {
        let m = &self.els.message;
        if m.class_list().contains("cs-problem") {
            m.set_attribute("hidden", "").ok();
            m.set_class_name("cs-message");
        }
    }

    pub(super) fn apply(&mut self, cmd: Command) -> bool {
        let label = cmd.label();
        match self.driver.apply(cmd) {
            Ok(()) => {
                self.clear_problem();
                true
            }
            Err(e) => {
                self.show_message(&format!("Could not apply \"{label}\": {e}."), true);
                false
            }
        }
    }

    /// A one-shot command from a button, with a note saying what happened.
    pub(super) fn command(&mut self, cmd: Command, note: &str) {
        if self.apply(cmd) {
            self.show_message(note, false);
        }
        self.after_change();
    }

    pub(super) fn toggle(&mut self, t: Toggle) {
        let on = !self.driver.toggle_state(t);
        let cmd = self.driver.toggle_command(t, on);
        let label = cmd.label();
        match self.driver.toggle(t) {
            Ok(state) => self.show_message(
                &format!("{}: {label}.", if state { "On" } else { "Off" }),
                false,
            ),
            Err(e) => self.show_message(&format!("Could not apply \"{label}\": {e}."), true),
        }
        self.after_change();
    }

    /// After any change: texts and state at once (the tests read them).
    pub(super) fn after_change(&mut self) {
        self.sync_controls(false);
        self.refresh_texts();
        self.draw_arch();
    }

    pub(super) fn due(&mut self, slot: usize, force: bool) -> bool {
        let now = now_ms();
        if force || now - self.pending.last_ms[slot] >= COMMAND_EVERY_MS {
            self.pending.last_ms[slot] = now;
            true
        } else {
            false
        }
    }

    /// Applies a slider's command now if its slot is due (or `force`);
    /// returns false when it must wait (the caller keeps it pending).
    pub(super) fn send_throttled(&mut self, slot: usize, force: bool, cmd: Command) -> bool {
        if !self.due(slot, force) {
            return false;
        }
        self.apply(cmd);
        self.after_change();
        true
    }

    pub(super) fn on_rps(&mut self, force: bool) {
        let pos: f64 = self.els.rps.value().parse().unwrap_or(0.0);
        let rps = format::rps_from_slider(pos);
        self.els
            .rps_value
            .set_text_content(Some(&format!("{} RPS", compact(rps))));
        self.els
            .rps
            .set_attribute(
                "aria-valuetext",
                &format!("{} requests per second", compact(rps)),
            )
            .ok();
        if self.driver.sim.status().rps == rps {
            self.pending.rps = None;
            return;
        }
        // cleared first: the controls' refresh skips a slider with a pending value
        self.pending.rps = None;
        if !self.send_throttled(0, force, Command::SetRps { rps }) {
            self.pending.rps = Some(rps);
        }
    }

    /// The target hit-rate slider: each drag step only shows the value; the
    /// keyspace is derived once the slider has rested for
    /// `HIT_RATE_QUIET_MS` (a calibration takes 100-300 ms in the tab, too
    /// long for every step of a drag or every arrow key).
    pub(super) fn on_hit_rate(&mut self, _released: bool) {
        let v: f64 = self.els.hit_rate.value().parse().unwrap_or(85.0);
        let hit_rate = (v / 100.0).clamp(0.5, 0.99);
        self.els
            .hit_rate_value
            .set_text_content(Some(&pct(hit_rate)));
        if (self.driver.target_hit_rate() - hit_rate).abs() < 1e-9 {
            self.pending.hit_rate = None;
            return;
        }
        self.pending.hit_rate = Some(hit_rate);
        self.pending.last_ms[1] = now_ms();
        self.els
            .hit_rate_note
            .set_text_content(Some("applies when the slider rests"));
    }

    /// Applies a rested target hit rate (or the lowest reachable one, saying why).
    fn apply_hit_rate(&mut self, hit_rate: f64) {
        match self.driver.apply_target_hit_rate(hit_rate) {
            Ok((set, note)) => {
                self.els
                    .hit_rate
                    .set_value(&format!("{:.0}", (set * 100.0).clamp(50.0, 99.0)));
                self.hit_rate_limited = note.as_ref().map(|_| {
                    format!(
                        "{} asked: out of the browser's reach here, so {} (see the notice)",
                        pct(hit_rate),
                        pct(set)
                    )
                });
                match note {
                    Some(n) => self.show_message(&format!("Target hit rate: {n}."), true),
                    None => self.show_message(
                        &format!(
                            "Target hit rate {}: the keyspace is derived again.",
                            pct(set)
                        ),
                        false,
                    ),
                }
            }
            Err(e) => self.show_message(&format!("Could not set the target hit rate: {e}."), true),
        }
        self.after_change();
    }

    pub(super) fn active_pods(&self) -> u32 {
        self.driver
            .sim
            .status()
            .pods
            .iter()
            .filter(|p| p.active)
            .count() as u32
    }

    pub(super) fn on_pods(&mut self, force: bool) {
        let count: u32 = self.els.pods.value().parse().unwrap_or(2);
        self.els
            .pods_value
            .set_text_content(Some(&count.to_string()));
        if count == self.active_pods() {
            self.pending.pods = None;
            return;
        }
        // cleared first: the controls' refresh skips a slider with a pending value
        self.pending.pods = None;
        if !self.send_throttled(2, force, Command::SetPods { count }) {
            self.pending.pods = Some(count);
        }
    }

    pub(super) fn flush_pending(&mut self) {
        let now = now_ms();
        if let Some(rps) = self.pending.rps {
            if now - self.pending.last_ms[0] >= COMMAND_EVERY_MS {
                self.pending.rps = None;
                self.pending.last_ms[0] = now;
                self.apply(Command::SetRps { rps });
            }
        }
        if let Some(hit_rate) = self.pending.hit_rate {
            if now - self.pending.last_ms[1] >= HIT_RATE_QUIET_MS {
                self.pending.hit_rate = None;
                self.pending.last_ms[1] = now;
                self.apply_hit_rate(hit_rate);
            }
        }
        if let Some(count) = self.pending.pods {
            if now - self.pending.last_ms[2] >= COMMAND_EVERY_MS {
                self.pending.pods = None;
                self.pending.last_ms[2] = now;
                self.apply(Command::SetPods { count });
            }
        }
    }

    /// Reads a number typed in a field. A value that is not a number or is out
    /// of `range` gives a message when the user commits the field (else it is
    /// still being typed) and `None`.
    pub(super) fn read_number(
        &mut self,
        text: &str,
        what: &str,
        unit: &str,
        range: std::ops::RangeInclusive<f64>,
        commit: bool,
    ) -> Option<f64> {
        let problem = match text.trim().parse::<f64>() {
            Ok(x) if range.contains(&x) => return Some(x),
            Ok(_) => format!(
                "{what} must be between {} and {} {unit}.",
                range.start(),
                range.end()
            ),
            Err(_) => format!("{what} {} is not a number of {unit}.", quote(text)),
        };
        if commit {
            self.show_message(&problem, true);
        }
        None
    }

    pub(super) fn on_memory(&mut self, commit: bool) {
        let text = self.els.memory.value();
        let current =
            shard_max_bytes(&self.driver.sim.status()) as f64 / (1024.0 * 1024.0 * 1024.0);
        if text
            .trim()
            .parse::<f64>()
            .is_ok_and(|gb| (gb - current).abs() < 1e-9)
        {
            return;
        }
        let revert = |a: &Self| {
            a.els
                .memory
                .set_value(&format!("{}", (current * 1000.0).round() / 1000.0));
        };
        let Some(gb) = self.read_number(&text, "Cache memory", "GB", 0.01..=1024.0, commit) else {
            // a refused value goes back to the one in force
            if commit {
                revert(self);
            }
            return;
        };
        self.els
            .memory_value
            .set_text_content(Some(&format!("{} GB", gb)));
        if !self.apply(Command::SetMemory { gb, shard: None }) {
            revert(self);
        }
        self.after_change();
    }

    pub(super) fn on_ttl(&mut self, commit: bool) {
        let text = self.els.ttl.value();
        let current = self.driver.sim.status().ttl_s;
        if text
            .trim()
            .parse::<f64>()
            .is_ok_and(|s| (s - current).abs() < 1e-9)
        {
            return;
        }
        let Some(seconds) = self.read_number(&text, "TTL", "seconds", 1.0..=86_400.0, commit)
        else {
            // a refused value goes back to the one in force
            if commit {
                self.els.ttl.set_value(&format!("{current}"));
            }
            return;
        };
        if !self.apply(Command::SetTtl { seconds }) {
            self.els.ttl.set_value(&format!("{current}"));
        }
        self.after_change();
    }

    pub(super) fn on_single_flight(&mut self) {
        let on = self.els.single_flight.checked();
        let note = if on {
            "Single-flight on: a pod's concurrent misses on one key now wait for one DB query."
        } else {
            "Single-flight off: every miss queries the DB, as in the seed's design."
        };
        self.command(Command::SingleFlight { on }, note);
    }

    pub(super) fn on_eviction(&mut self) {
        let policy = match self.els.eviction.value().as_str() {
            "allkeys-lru" => EvictionPolicy::AllkeysLru,
            _ => EvictionPolicy::Noeviction,
        };
        self.apply(Command::SetEviction { policy });
        self.after_change();
    }

    pub(super) fn restart_with(&mut self, scenario: Scenario, preset: Option<String>, note: &str) {
        self.hit_rate_limited = None;
        match self.driver.restart(scenario, preset) {
            Ok(()) => self.show_message(note, false),
            Err(e) => self.show_message(&format!("Could not restart: {e}."), true),
        }
        self.charted_second = None;
        self.sync_controls(true);
        self.refresh_texts();
        self.resize();
        self.draw_arch();
        self.draw_charts();
    }

    pub(super) fn on_seed(&mut self) {
        let text = self.els.seed.value();
        match text.trim().parse::<u64>() {
            Ok(seed) => {
                let mut s = self.driver.base.clone();
                s.seed = seed;
                let preset = self.driver.preset.clone();
                self.restart_with(
                    s,
                    preset,
                    &format!("Restarted with seed {seed} (changes made live were dropped)."),
                );
            }
            Err(_) => {
                self.show_message(
                    &format!("Seed {} is not a whole number from 0 up.", quote(&text)),
                    true,
                );
                // back to the seed in force
                self.els.seed.set_value(&self.driver.base.seed.to_string());
            }
        }
    }

    /// A seed from the browser's entropy (`getrandom`), then the same as typing it.
    pub(super) fn on_random_seed(&mut self) {
        let mut bytes = [0u8; 8];
        match getrandom::fill(&mut bytes) {
            Ok(()) => {
                // below 2^53, so that the number input shows it exactly
                let seed = u64::from_le_bytes(bytes) >> 11;
                self.els.seed.set_value(&seed.to_string());
                self.on_seed();
            }
            Err(e) => self.show_message(&format!("No random seed available: {e}"), true),
        }
    }

    pub(super) fn on_preset(&mut self) {
        let name = self.els.preset.value();
        match presets::preset(&name) {
            Some(mut s) => {
                s.seed = self.driver.base.seed;
                self.restart_with(
                    s,
                    Some(name.clone()),
                    &format!("Preset {name}: {}", preset_description(&name)),
                );
            }
            None => self.show_message(&format!("Unknown preset {}.", quote(&name)), true),
        }
    }

    /// V0 or V1 from the Architecture menu: the run restarts with that
    /// topology and the settings in force.
    pub(super) fn on_architecture(&mut self) {
        let value = self.els.architecture.value();
        let Some(design) = Design::parse(&value) else {
            self.show_message(&format!("Unknown design {}.", quote(&value)), true);
            return;
        };
        let (s, preset) = architecture::switch_to(&self.driver, design);
        self.restart_with(
            s,
            preset,
            &format!(
                "Restarted as {} (the settings in force kept; changes made live to the architecture dropped).",
                crate::architecture::label(design)
            ),
        );
    }

    pub(super) fn on_router(&mut self) {
        let router = match self.els.router.value().as_str() {
            "mod-n" => RouterKind::ModN,
            _ => RouterKind::Ring,
        };
        let note = match router {
            RouterKind::ModN => "Router hash mod N: a resize now moves most keys to another shard.",
            RouterKind::Ring => "Router consistent-hash ring: a resize moves only the keys of the shard that joined or left.",
        };
        self.command(Command::SetRouter { router }, note);
    }

    /// Crashes or restarts one shard, with a note that names it in a cluster.
    pub(super) fn shard_command(&mut self, cmd: Command) {
        let before = self.driver.sim.status();
        if self.apply(cmd.clone()) {
            let note = architecture::shard_note(&cmd, &before, &self.driver.sim.status());
            self.show_message(&note, false);
        }
        self.after_change();
    }

    /// Shard `i`'s dead node rejoins as a replica (V2).
    pub(super) fn rejoin_replica(&mut self, i: usize) {
        match architecture::replica_rejoin(&self.driver.sim.status(), i) {
            Some(cmd) => self.shard_command(cmd),
            None => self.show_message(&format!("Shard {i} has no replica down."), true),
        }
    }

    /// The stream button: stop its consumer, or start it again (V2).
    pub(super) fn toggle_stream(&mut self) {
        match architecture::stream_command(&self.driver.sim.status()) {
            Some(cmd) => {
                let note = architecture::stream_note(&cmd);
                self.command(cmd, note);
            }
            None => self.show_message("This design has no invalidation stream.", true),
        }
    }

    /// A click on shard `i` (on the canvas or its button): crash it, or restart it when down.
    pub(super) fn click_shard(&mut self, i: usize) {
        let st = self.driver.sim.status();
        match architecture::shard_click(&st, i) {
            Some(cmd) => self.shard_command(cmd),
            None => self.show_message(&format!("There is no shard {i}."), true),
        }
    }

    pub(super) fn on_speed(&mut self) {
        let v: u32 = self.els.speed.value().parse().unwrap_or(1);
        self.driver.set_speed(v);
        self.refresh_texts();
    }

    pub(super) fn toggle_pause(&mut self) {
        self.driver.paused = !self.driver.paused;
        self.after_change();
    }

    pub(super) fn step(&mut self) {
        self.driver.step();
        self.after_change();
        self.draw_charts();
    }

    pub(super) fn reset(&mut self) {
        let s = self.driver.base.clone();
        let p = self.driver.preset.clone();
        self.restart_with(
            s,
            p,
            "Restarted from t = 0 (changes made live were dropped).",
        );
    }

    pub(super) fn on_key(&mut self, e: &Event) {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        if k.ctrl_key() || k.meta_key() || k.alt_key() {
            return;
        }
        // in an embed, only keys aimed at the simulator (never the host page's)
        if self.embed && !self.event_inside(e) {
            return;
        }
        if types_text(e) {
            return;
        }
        match k.key().as_str() {
            " " => {
                // a focused button or checkbox would also act on Space's keyup
                // (`on_key_up` stops that): the shortcut wins
                e.prevent_default();
                self.toggle_pause();
            }
            "." => self.step(),
            _ => {}
        }
    }

    /// Space's keyup on a focused button or checkbox would click it: after
    /// the shortcut paused, it must not also toggle the failure it is on.
    pub(super) fn on_key_up(&mut self, e: &Event) {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        if k.key() != " " || k.ctrl_key() || k.meta_key() || k.alt_key() {
            return;
        }
        if self.embed && !self.event_inside(e) {
            return;
        }
        if !types_text(e) {
            e.prevent_default();
        }
    }
}

/// The key goes to a field that takes typing (a text or number field, a
/// select, a text area, an editable element): shortcuts leave it alone.
/// Buttons, checkboxes and sliders do not take Space or `.` as text.
fn types_text(e: &Event) -> bool {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return false;
    };
    if el
        .get_attribute("contenteditable")
        .is_some_and(|v| v != "false")
    {
        return true;
    }
    match el.tag_name().to_ascii_lowercase().as_str() {
        "select" | "textarea" => true,
        "input" => {
            let ty = el
                .get_attribute("type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            !matches!(
                ty.as_str(),
                "button" | "checkbox" | "radio" | "range" | "submit" | "reset" | "file" | "color"
            )
        }
        _ => false,
    }
}
