//! The page: mounts its markup into a root element, wires the controls to the
//! driver, and runs one requestAnimationFrame callback per frame that
//! advances the simulation, draws the canvas and (a few times a second)
//! refreshes the charts and texts.

use crate::charts::{self, ChartInput, WINDOW_S};
use crate::codec::{self, quote};
use crate::draw::{self, Health, Scene};
use crate::driver::{Driver, Toggle};
use crate::explain::Capacities;
use crate::format::{self, compact, pct, per_sec};
use crate::layout;
use crate::template;
use cachesim_core::{presets, Command, EvictionPolicy, Scenario, SecondStats};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CanvasRenderingContext2d, Document, Element, Event, HtmlAnchorElement, HtmlButtonElement,
    HtmlCanvasElement, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent,
};

/// The requestAnimationFrame callback, shared with itself to re-arm.
type FrameLoop = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

/// Texts, the state JSON and the controls refresh at most this often (wall ms).
const TEXT_EVERY_MS: f64 = 250.0;
/// Charts redraw at most this often, and only when a new second landed.
const CHART_EVERY_MS: f64 = 250.0;
/// A control dragged continuously sends at most one command per this many ms.
const COMMAND_EVERY_MS: f64 = 120.0;

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn find<T: JsCast>(root: &Element, id: &str) -> Result<T, JsValue> {
    root.query_selector(&format!("#{id}"))?
        .ok_or_else(|| JsValue::from_str(&format!("#{id} missing")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has the wrong element type")))
}

struct Els {
    arch: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
    rps: HtmlInputElement,
    rps_value: HtmlElement,
    hit_rate: HtmlInputElement,
    hit_rate_value: HtmlElement,
    memory: HtmlInputElement,
    memory_value: HtmlElement,
    ttl: HtmlInputElement,
    ttl_value: HtmlElement,
    eviction: HtmlSelectElement,
    pods: HtmlInputElement,
    pods_value: HtmlElement,
    seed: HtmlInputElement,
    preset: HtmlSelectElement,
    preset_description: HtmlElement,
    play_pause: HtmlButtonElement,
    speed: HtmlSelectElement,
    reduce_motion: HtmlInputElement,
    toggles: Vec<(Toggle, HtmlButtonElement)>,
    explain: HtmlElement,
    readouts: HtmlElement,
    charts: Vec<HtmlCanvasElement>,
    share_url: HtmlInputElement,
    message: HtmlElement,
    state_json: HtmlElement,
    components: Vec<(String, HtmlElement)>,
    dot_scale: HtmlElement,
    clock: HtmlElement,
    speed_note: HtmlElement,
}

/// Commands waiting for their turn while a control is dragged.
#[derive(Default)]
struct Pending {
    rps: Option<f64>,
    hit_rate: Option<f64>,
    pods: Option<u32>,
    last_ms: [f64; 3],
}

impl Pending {
    fn new() -> Pending {
        Pending {
            rps: None,
            hit_rate: None,
            pods: None,
            last_ms: [f64::NEG_INFINITY; 3],
        }
    }
}

pub struct App {
    driver: Driver,
    doc: Document,
    root: Element,
    els: Els,
    embed: bool,
    last_frame_ms: Option<f64>,
    last_text_ms: f64,
    last_chart_ms: f64,
    charted_second: Option<u32>,
    css_w: f64,
    css_h: f64,
    dpr: f64,
    pending: Pending,
    /// Wall ms per frame (smoothed), for the state JSON.
    frame_ms: f64,
    /// Wall ms of drawing the canvas (smoothed) and of the last chart redraw.
    draw_ms: f64,
    charts_ms: f64,
    /// Charts still to redraw, one per frame (counting down).
    charts_due: usize,
    /// Size and pod count of the layout whose path lengths the dots use.
    layout_key: (u64, u64, usize),
    /// The simulated second the texts show; the canvas prints the same one,
    /// so every number on the screen comes from one second.
    shown: Option<SecondStats>,
}

/// What JavaScript (and the tests) hold on to.
#[wasm_bindgen]
pub struct AppHandle {
    app: Rc<RefCell<App>>,
}

#[wasm_bindgen]
impl AppHandle {
    /// Runs one frame as if `dt_ms` of wall time had passed.
    pub fn frame(&self, dt_ms: f64) {
        let t = self.app.borrow().last_frame_ms.unwrap_or(0.0) + dt_ms;
        self.app.borrow_mut().on_frame(t);
    }

    /// The `#state-json` text, fresh.
    pub fn state_json(&self) -> String {
        self.app.borrow().driver.state_json()
    }

    /// Refreshes the texts, the controls and `#state-json` now (they
    /// otherwise refresh at most four times a second).
    pub fn refresh(&self) {
        let mut a = self.app.borrow_mut();
        a.sync_controls(false);
        a.refresh_texts();
    }

    /// Redraws the charts now.
    pub fn draw_charts(&self) {
        self.app.borrow_mut().draw_charts();
    }

    /// Starts the requestAnimationFrame loop.
    pub fn start(&self) {
        let app = self.app.clone();
        let cb: FrameLoop = Rc::new(RefCell::new(None));
        let cb2 = cb.clone();
        *cb.borrow_mut() = Some(Closure::new(move |t: f64| {
            app.borrow_mut().on_frame(t);
            // requested after the work: a panic above stops the loop (and the banner shows)
            if let Some(f) = cb2.borrow().as_ref() {
                window()
                    .request_animation_frame(f.as_ref().unchecked_ref())
                    .ok();
            }
        }));
        let first = cb.borrow();
        if let Some(f) = first.as_ref() {
            window()
                .request_animation_frame(f.as_ref().unchecked_ref())
                .ok();
        }
    }
}

/// Writes a panic's message into `#panic-banner` (and the console) instead of
/// leaving a frozen page.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&msg));
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Some(el) = doc.get_element_by_id("panic-banner") {
                el.set_text_content(Some(&format!(
                    "The simulator stopped because of an internal error; reload the page to start again. Details: {msg}"
                )));
                el.remove_attribute("hidden").ok();
            }
        }
    }));
}

/// Mounts the app into `root` (its markup replaces the root's content) and
/// reads the scenario from `query` (a `location.search`). The loop is not
/// started: call `start()` (the page) or `frame()` (tests).
#[wasm_bindgen]
pub fn mount(root: &Element, query: &str) -> Result<AppHandle, JsValue> {
    let doc = root.owner_document().ok_or("no document")?;
    root.set_inner_html(&template::markup());
    let parsed = codec::parse_query(query);
    let state = parsed.state;
    let mut problems = parsed.problems;
    let driver = match Driver::new(state.scenario.clone(), state.preset.clone()) {
        Ok(d) => d,
        Err(e) => {
            problems.push(format!(
                "The scenario could not start: {e}. Running the default instead."
            ));
            Driver::new(
                codec::UrlState::default().scenario,
                Some(codec::DEFAULT_PRESET.into()),
            )
            .map_err(|e| JsValue::from_str(&e))?
        }
    };
    let els = elements(root)?;
    let mut app = App {
        driver,
        doc: doc.clone(),
        root: root.clone(),
        els,
        embed: state.embed,
        last_frame_ms: None,
        last_text_ms: f64::NEG_INFINITY,
        last_chart_ms: f64::NEG_INFINITY,
        charted_second: None,
        css_w: 0.0,
        css_h: 0.0,
        dpr: 1.0,
        pending: Pending::new(),
        frame_ms: 16.7,
        draw_ms: 0.0,
        charts_ms: 0.0,
        charts_due: 0,
        layout_key: (0, 0, 0),
        shown: None,
    };
    app.driver.set_speed(state.speed);
    let reduced = window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches());
    app.driver.set_reduced_motion(reduced);
    app.els.reduce_motion.set_checked(reduced);
    if state.start_at_s > 0.0 {
        app.driver.sim.advance_to(state.start_at_s);
        app.driver.sim.take_frame();
        app.driver.seed_rates();
    }
    app.driver.paused = state.paused;
    if state.embed {
        if let Some(body) = doc.body() {
            body.class_list().add_1("embed").ok();
        }
        root.class_list().add_1("embed").ok();
    }
    app.fill_presets(&doc)?;
    app.sync_controls(true);
    if !problems.is_empty() {
        app.show_message(&problems.join(" "), true);
    }
    app.refresh_texts();
    app.resize();
    app.draw_arch();
    app.draw_charts();
    let app = Rc::new(RefCell::new(app));
    wire(&app, root)?;
    Ok(AppHandle { app })
}

fn elements(root: &Element) -> Result<Els, JsValue> {
    let arch: HtmlCanvasElement = find(root, "arch-canvas")?;
    let ctx = arch
        .get_context("2d")?
        .ok_or("no 2d context")?
        .dyn_into::<CanvasRenderingContext2d>()?;
    let mut toggles = Vec::new();
    for (t, id) in [
        (Toggle::HotKey, "btn-hot-key"),
        (Toggle::DropInvalidations, "btn-drop-invalidations"),
        (Toggle::KeyBusting, "btn-key-busting"),
        (Toggle::SlowDb, "btn-slow-db"),
        (Toggle::PodsUnhealthy, "btn-pods-unhealthy"),
        (Toggle::FillMemory, "btn-fill-memory"),
    ] {
        toggles.push((t, find(root, id)?));
    }
    let mut charts = Vec::new();
    for (id, _) in template::CHARTS {
        charts.push(find(root, id)?);
    }
    let list: Element = find(root, "components")?;
    let items = list.query_selector_all("li")?;
    let mut components = Vec::new();
    for i in 0..items.length() {
        if let Some(el) = items.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
            components.push((el.get_attribute("data-component").unwrap_or_default(), el));
        }
    }
    Ok(Els {
        arch,
        ctx,
        rps: find(root, "rps")?,
        rps_value: find(root, "rps-value")?,
        hit_rate: find(root, "hit-rate")?,
        hit_rate_value: find(root, "hit-rate-value")?,
        memory: find(root, "memory-gb")?,
        memory_value: find(root, "memory-gb-value")?,
        ttl: find(root, "ttl")?,
        ttl_value: find(root, "ttl-value")?,
        eviction: find(root, "eviction")?,
        pods: find(root, "pods")?,
        pods_value: find(root, "pods-value")?,
        seed: find(root, "seed")?,
        preset: find(root, "preset")?,
        preset_description: find(root, "preset-description")?,
        play_pause: find(root, "play-pause")?,
        speed: find(root, "speed")?,
        reduce_motion: find(root, "reduce-motion")?,
        toggles,
        explain: find(root, "explain")?,
        readouts: find(root, "readouts")?,
        charts,
        share_url: find(root, "share-url")?,
        message: find(root, "message")?,
        state_json: find(root, "state-json")?,
        components,
        dot_scale: find(root, "dot-scale")?,
        clock: find(root, "clock")?,
        speed_note: find(root, "speed-note")?,
    })
}

/// Adds an event listener for the page's lifetime.
fn on(
    target: &web_sys::EventTarget,
    event: &str,
    app: &Rc<RefCell<App>>,
    f: impl Fn(&mut App, &Event) + 'static,
) {
    let app = app.clone();
    let cb = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        // a handler never runs inside another (single thread, no re-entrant dispatch)
        if let Ok(mut a) = app.try_borrow_mut() {
            f(&mut a, &e);
        }
    });
    target
        .add_event_listener_with_callback(event, cb.as_ref().unchecked_ref())
        .ok();
    cb.forget();
}

fn wire(app: &Rc<RefCell<App>>, root: &Element) -> Result<(), JsValue> {
    let (rps, hit, mem, ttl, ev, pods, seed, preset, speed, rm) = {
        let a = app.borrow();
        let e = &a.els;
        (
            e.rps.clone(),
            e.hit_rate.clone(),
            e.memory.clone(),
            e.ttl.clone(),
            e.eviction.clone(),
            e.pods.clone(),
            e.seed.clone(),
            e.preset.clone(),
            e.speed.clone(),
            e.reduce_motion.clone(),
        )
    };
    on(&rps, "input", app, |a, _| a.on_rps(false));
    on(&rps, "change", app, |a, _| a.on_rps(true));
    on(&hit, "input", app, |a, _| a.on_hit_rate(false));
    on(&hit, "change", app, |a, _| a.on_hit_rate(true));
    on(&pods, "input", app, |a, _| a.on_pods(false));
    on(&pods, "change", app, |a, _| a.on_pods(true));
    on(&mem, "change", app, |a, _| a.on_memory(true));
    on(&mem, "input", app, |a, _| a.on_memory(false));
    on(&ttl, "change", app, |a, _| a.on_ttl(true));
    on(&ttl, "input", app, |a, _| a.on_ttl(false));
    on(&ev, "change", app, |a, _| a.on_eviction());
    on(&seed, "change", app, |a, _| a.on_seed());
    on(&preset, "change", app, |a, _| a.on_preset());
    on(&speed, "change", app, |a, _| a.on_speed());
    on(&rm, "change", app, |a, _| {
        let on = a.els.reduce_motion.checked();
        a.driver.set_reduced_motion(on);
        a.refresh_texts();
    });
    let button = |id: &str| -> Result<web_sys::EventTarget, JsValue> { find(root, id) };
    on(&button("play-pause")?, "click", app, |a, _| {
        a.toggle_pause()
    });
    on(&button("step")?, "click", app, |a, _| a.step());
    on(&button("reset")?, "click", app, |a, _| a.reset());
    on(&button("btn-crash")?, "click", app, |a, _| {
        a.command(Command::CrashCache, "Redis crashed: every key is lost.")
    });
    on(&button("btn-restart")?, "click", app, |a, _| {
        a.command(
            Command::RestartCache,
            "Redis restarted empty (cold): watch the misses fall on the DB.",
        )
    });
    for (t, id) in [
        (Toggle::HotKey, "btn-hot-key"),
        (Toggle::DropInvalidations, "btn-drop-invalidations"),
        (Toggle::KeyBusting, "btn-key-busting"),
        (Toggle::SlowDb, "btn-slow-db"),
        (Toggle::PodsUnhealthy, "btn-pods-unhealthy"),
        (Toggle::FillMemory, "btn-fill-memory"),
    ] {
        on(&button(id)?, "click", app, move |a, _| a.toggle(t));
    }
    on(&button("copy-link")?, "click", app, |a, _| a.copy_link());
    on(&button("export-csv")?, "click", app, |a, _| a.export_csv());
    on(&button("export-png")?, "click", app, |a, _| a.export_png());
    let doc = app.borrow().doc.clone();
    on(&doc, "keydown", app, |a, e| a.on_key(e));
    let w = window();
    on(&w, "resize", app, |a, _| {
        a.resize();
        a.draw_arch();
        a.draw_charts();
    });
    Ok(())
}

impl App {
    fn show_message(&self, text: &str, problem: bool) {
        let m = &self.els.message;
        m.set_text_content(Some(text));
        m.set_class_name(if problem {
            "cs-message cs-problem"
        } else {
            "cs-message"
        });
        m.remove_attribute("hidden").ok();
    }

    fn apply(&mut self, cmd: Command) -> bool {
        let label = cmd.label();
        match self.driver.apply(cmd) {
            Ok(()) => true,
            Err(e) => {
                self.show_message(&format!("Could not apply \"{label}\": {e}."), true);
                false
            }
        }
    }

    /// A one-shot command from a button, with a note saying what happened.
    fn command(&mut self, cmd: Command, note: &str) {
        if self.apply(cmd) {
            self.show_message(note, false);
        }
        self.after_change();
    }

    fn toggle(&mut self, t: Toggle) {
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
    fn after_change(&mut self) {
        self.sync_controls(false);
        self.refresh_texts();
        self.draw_arch();
    }

    fn due(&mut self, slot: usize, force: bool) -> bool {
        let now = now_ms();
        if force || now - self.pending.last_ms[slot] >= COMMAND_EVERY_MS {
            self.pending.last_ms[slot] = now;
            true
        } else {
            false
        }
    }

    fn on_rps(&mut self, force: bool) {
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
        if self.due(0, force) {
            self.pending.rps = None;
            self.apply(Command::SetRps { rps });
            self.after_change();
        } else {
            self.pending.rps = Some(rps);
        }
    }

    fn on_hit_rate(&mut self, force: bool) {
        let v: f64 = self.els.hit_rate.value().parse().unwrap_or(85.0);
        let hit_rate = (v / 100.0).clamp(0.5, 0.99);
        self.els
            .hit_rate_value
            .set_text_content(Some(&pct(hit_rate)));
        if (self.driver.target_hit_rate() - hit_rate).abs() < 1e-9 {
            self.pending.hit_rate = None;
            return;
        }
        if self.due(1, force) {
            self.pending.hit_rate = None;
            self.apply(Command::SetTargetHitRate { hit_rate });
            self.after_change();
        } else {
            self.pending.hit_rate = Some(hit_rate);
        }
    }

    fn active_pods(&self) -> u32 {
        self.driver
            .sim
            .status()
            .pods
            .iter()
            .filter(|p| p.active)
            .count() as u32
    }

    fn on_pods(&mut self, force: bool) {
        let count: u32 = self.els.pods.value().parse().unwrap_or(2);
        self.els
            .pods_value
            .set_text_content(Some(&count.to_string()));
        if count == self.active_pods() {
            self.pending.pods = None;
            return;
        }
        if self.due(2, force) {
            self.pending.pods = None;
            self.apply(Command::SetPods { count });
            self.after_change();
        } else {
            self.pending.pods = Some(count);
        }
    }

    fn flush_pending(&mut self) {
        let now = now_ms();
        if let Some(rps) = self.pending.rps {
            if now - self.pending.last_ms[0] >= COMMAND_EVERY_MS {
                self.pending.rps = None;
                self.pending.last_ms[0] = now;
                self.apply(Command::SetRps { rps });
            }
        }
        if let Some(hit_rate) = self.pending.hit_rate {
            if now - self.pending.last_ms[1] >= COMMAND_EVERY_MS {
                self.pending.hit_rate = None;
                self.pending.last_ms[1] = now;
                self.apply(Command::SetTargetHitRate { hit_rate });
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
    fn read_number(
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

    fn on_memory(&mut self, commit: bool) {
        let text = self.els.memory.value();
        let current = self.driver.sim.status().cache_max_bytes as f64 / (1024.0 * 1024.0 * 1024.0);
        if text
            .trim()
            .parse::<f64>()
            .is_ok_and(|gb| (gb - current).abs() < 1e-9)
        {
            return;
        }
        let Some(gb) = self.read_number(&text, "Cache memory", "GB", 0.01..=1024.0, commit) else {
            return;
        };
        self.els
            .memory_value
            .set_text_content(Some(&format!("{} GB", gb)));
        self.apply(Command::SetMemory { gb });
        self.after_change();
    }

    fn on_ttl(&mut self, commit: bool) {
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
            return;
        };
        self.apply(Command::SetTtl { seconds });
        self.after_change();
    }

    fn on_eviction(&mut self) {
        let policy = match self.els.eviction.value().as_str() {
            "allkeys-lru" => EvictionPolicy::AllkeysLru,
            _ => EvictionPolicy::Noeviction,
        };
        self.apply(Command::SetEviction { policy });
        self.after_change();
    }

    fn restart_with(&mut self, scenario: Scenario, preset: Option<String>, note: &str) {
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

    fn on_seed(&mut self) {
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
            Err(_) => self.show_message(
                &format!("Seed {} is not a whole number from 0 up.", quote(&text)),
                true,
            ),
        }
    }

    fn on_preset(&mut self) {
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

    fn on_speed(&mut self) {
        let v: u32 = self.els.speed.value().parse().unwrap_or(1);
        self.driver.set_speed(v);
        self.refresh_texts();
    }

    fn toggle_pause(&mut self) {
        self.driver.paused = !self.driver.paused;
        self.after_change();
    }

    fn step(&mut self) {
        self.driver.step();
        self.after_change();
        self.draw_charts();
    }

    fn reset(&mut self) {
        let s = self.driver.base.clone();
        let p = self.driver.preset.clone();
        self.restart_with(
            s,
            p,
            "Restarted from t = 0 (changes made live were dropped).",
        );
    }

    fn on_key(&mut self, e: &Event) {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        if k.ctrl_key() || k.meta_key() || k.alt_key() {
            return;
        }
        let tag = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .map(|el| el.tag_name().to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(tag.as_str(), "input" | "select" | "textarea" | "button") {
            return;
        }
        match k.key().as_str() {
            " " => {
                e.prevent_default();
                self.toggle_pause();
            }
            "." => self.step(),
            _ => {}
        }
    }

    fn share_url(&self) -> String {
        let loc = window().location();
        let base = format!(
            "{}{}",
            loc.origin().unwrap_or_default(),
            loc.pathname().unwrap_or_default()
        );
        let mut url = format!("{base}{}", self.driver.share_query());
        if self.embed {
            url.push_str("&embed");
        }
        url
    }

    fn copy_link(&mut self) {
        let url = self.share_url();
        self.els.share_url.set_value(&url);
        self.els.share_url.select();
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&url);
        let msg = self.els.message.clone();
        let fail = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            msg.set_text_content(Some("The browser did not allow copying: the link is in the box below, select it and copy."));
            msg.remove_attribute("hidden").ok();
        });
        let _ = promise.catch(&fail);
        fail.forget();
        self.show_message(
            &format!(
                "Link copied ({} characters): it reproduces this run, live changes included.",
                url.len()
            ),
            false,
        );
    }

    fn download(&self, href: &str, filename: &str) {
        if let Ok(a) = self.doc.create_element("a") {
            if let Ok(a) = a.dyn_into::<HtmlAnchorElement>() {
                a.set_href(href);
                a.set_download(filename);
                a.set_attribute("hidden", "").ok();
                self.root.append_child(&a).ok();
                a.click();
                a.remove();
            }
        }
    }

    fn file_stem(&self) -> String {
        let s = &self.driver.base;
        let name: String = s
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        format!(
            "cachesim-{}-seed{}",
            if name.is_empty() { "run".into() } else { name },
            s.seed
        )
    }

    fn export_csv(&mut self) {
        let csv = self.driver.csv();
        let parts = js_sys::Array::of1(&JsValue::from_str(&csv));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("text/csv");
        match web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
            .and_then(|b| web_sys::Url::create_object_url_with_blob(&b))
        {
            Ok(url) => {
                self.download(&url, &format!("{}.csv", self.file_stem()));
                let n = self.driver.sim.history().len();
                self.show_message(
                    &format!(
                        "CSV of {n} simulated seconds ({} columns) downloaded.",
                        cachesim_core::SecondStats::FIELDS.len()
                    ),
                    false,
                );
                let u = url.clone();
                let revoke = Closure::once_into_js(move || {
                    web_sys::Url::revoke_object_url(&u).ok();
                });
                window()
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        revoke.unchecked_ref(),
                        10_000,
                    )
                    .ok();
            }
            Err(_) => self.show_message("The browser could not build the CSV file.", true),
        }
    }

    fn export_png(&mut self) {
        self.draw_charts();
        let result = (|| -> Result<String, JsValue> {
            let charts = &self.els.charts;
            let cw = charts.iter().map(|c| c.width()).max().unwrap_or(600).max(1);
            let ch = charts
                .iter()
                .map(|c| c.height())
                .max()
                .unwrap_or(240)
                .max(1);
            let cols = 2u32;
            let rows = (charts.len() as u32).div_ceil(cols);
            let out: HtmlCanvasElement = self.doc.create_element("canvas")?.dyn_into()?;
            out.set_width(cw * cols);
            out.set_height(ch * rows);
            let ctx = out
                .get_context("2d")?
                .ok_or("no 2d context")?
                .dyn_into::<CanvasRenderingContext2d>()?;
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, (cw * cols) as f64, (ch * rows) as f64);
            for (i, c) in charts.iter().enumerate() {
                let (x, y) = ((i as u32 % cols) * cw, (i as u32 / cols) * ch);
                ctx.draw_image_with_html_canvas_element(c, x as f64, y as f64)?;
            }
            out.to_data_url_with_type("image/png")
        })();
        match result {
            Ok(url) => {
                self.download(&url, &format!("{}-charts.png", self.file_stem()));
                self.show_message("Charts saved as a PNG image.", false);
            }
            Err(_) => self.show_message("The browser could not export the charts.", true),
        }
    }

    fn fill_presets(&mut self, doc: &Document) -> Result<(), JsValue> {
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
    fn sync_controls(&mut self, all: bool) {
        let st = self.driver.sim.status();
        let active = self.doc.active_element();
        let focused = |el: &HtmlElement| {
            !all && active
                .as_ref()
                .is_some_and(|a| a == el.unchecked_ref::<Element>())
        };
        let e = &self.els;
        if !focused(e.rps.unchecked_ref()) && self.pending.rps.is_none() {
            e.rps
                .set_value(&format::slider_from_rps(st.rps).to_string());
        }
        e.rps_value
            .set_text_content(Some(&format!("{} RPS", compact(st.rps))));
        e.rps
            .set_attribute(
                "aria-valuetext",
                &format!("{} requests per second", compact(st.rps)),
            )
            .ok();
        let hit = self.driver.target_hit_rate();
        if !focused(e.hit_rate.unchecked_ref()) && self.pending.hit_rate.is_none() {
            e.hit_rate
                .set_value(&format!("{:.0}", (hit * 100.0).clamp(50.0, 99.0)));
        }
        e.hit_rate_value.set_text_content(Some(&pct(hit)));
        e.hit_rate
            .set_title(&format!("The keyspace is derived so that the steady-state hit rate is this; the model predicts {}", pct(st.predicted_hit_rate)));
        let gb = st.cache_max_bytes as f64 / (1024.0 * 1024.0 * 1024.0);
        let gb_text = format!("{}", (gb * 1000.0).round() / 1000.0);
        if !focused(e.memory.unchecked_ref()) && e.memory.value() != gb_text {
            e.memory.set_value(&gb_text);
        }
        e.memory_value
            .set_text_content(Some(&format!("{gb_text} GB")));
        let ttl_text = format!("{}", st.ttl_s);
        if !focused(e.ttl.unchecked_ref()) && e.ttl.value() != ttl_text {
            e.ttl.set_value(&ttl_text);
        }
        e.ttl_value.set_text_content(Some(&format::secs(st.ttl_s)));
        if !focused(e.eviction.unchecked_ref()) {
            e.eviction.set_value(st.eviction);
        }
        let pods = st.pods.iter().filter(|p| p.active).count();
        if !focused(e.pods.unchecked_ref()) && self.pending.pods.is_none() {
            e.pods.set_value(&pods.to_string());
        }
        e.pods_value.set_text_content(Some(&pods.to_string()));
        let seed = self.driver.base.seed.to_string();
        if !focused(e.seed.unchecked_ref()) && e.seed.value() != seed {
            e.seed.set_value(&seed);
        }
        let preset = self
            .driver
            .preset
            .clone()
            .unwrap_or_else(|| "custom".into());
        e.preset.set_value(&preset);
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
        e.preset_description.set_text_content(Some(&desc));
        e.speed.set_value(&self.driver.speed.to_string());
        e.play_pause
            .set_text_content(Some(if self.driver.paused { "Play" } else { "Pause" }));
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
    }

    /// Explanation, readouts, component list, legend scale, clock, state JSON.
    fn refresh_texts(&mut self) {
        self.last_text_ms = self.clock_ms();
        let st = self.driver.sim.status();
        let last = self.driver.last().cloned();
        self.shown = last.clone();
        let caps = Capacities::of(&self.driver.base);
        let ex = self.driver.explanation();
        let e = &self.els;
        e.explain.set_text_content(Some(&ex.text));
        e.explain
            .set_class_name(&format!("cs-explain cs-{}", ex.level.as_str()));
        e.clock.set_text_content(Some(&format::clock(st.now_s)));
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
        e.speed_note.set_text_content(Some(&note));
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
        e.dot_scale.set_text_content(Some(&scale));
        e.dot_scale.set_title(&format!(
            "exactly 1 traced request in {} is drawn",
            self.driver.trace_every
        ));
        let scene = Scene {
            status: &st,
            last: last.as_ref(),
            rates: &self.driver.rates,
            caps,
            pool_size: self.driver.base.app.pool_size,
        };
        let readouts = match &last {
            Some(l) => format!(
                "Hit rate {} · DB load {} · p50 {} · p99 {} · {} errors/s · {} in flight",
                pct(l.hit_rate),
                format::load(scene.db_load()),
                format::ms(l.p50_ms),
                format::ms(l.p99_ms),
                compact(l.failed as f64),
                compact(st.in_flight as f64)
            ),
            None => "Collecting the first simulated second…".into(),
        };
        e.readouts.set_text_content(Some(&readouts));
        for (key, li) in &e.components {
            li.set_text_content(Some(&component_text(key, &scene, &self.driver)));
        }
        let mut v = self.driver.state_value();
        v["timing_ms"] = serde_json::json!({ "frame": self.frame_ms, "draw": self.draw_ms, "charts": self.charts_ms });
        e.state_json.set_text_content(Some(&v.to_string()));
    }

    fn resize(&mut self) {
        let dpr = window().device_pixel_ratio().clamp(1.0, 3.0);
        let canvas = &self.els.arch;
        let mut w = canvas.client_width() as f64;
        if w <= 0.0 {
            w = 900.0;
        }
        let h = layout::canvas_height(w);
        canvas
            .style()
            .set_property("height", &format!("{h}px"))
            .ok();
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
            c.style().set_property("height", &format!("{ch}px")).ok();
            let (bw, bh) = ((cw * dpr).round() as u32, (ch * dpr).round() as u32);
            if c.width() != bw || c.height() != bh {
                c.set_width(bw);
                c.set_height(bh);
            }
        }
    }

    fn draw_arch(&mut self) {
        let st = self.driver.sim.status();
        let last = self.shown.clone();
        let caps = Capacities::of(&self.driver.base);
        let scene = Scene {
            status: &st,
            last: last.as_ref(),
            rates: &self.driver.rates,
            caps,
            pool_size: self.driver.base.app.pool_size,
        };
        let lay = layout::layout(self.css_w, self.css_h, scene.active_pods());
        let key = (self.css_w.to_bits(), self.css_h.to_bits(), lay.pods.len());
        if key != self.layout_key {
            self.layout_key = key;
            self.driver.dots.lengths = lay.path_lengths();
        }
        let ctx = &self.els.ctx;
        let t0 = now_ms();
        ctx.set_transform(self.dpr, 0.0, 0.0, self.dpr, 0.0, 0.0)
            .ok();
        draw::draw(ctx, self.css_w, self.css_h, &lay, &self.driver, &scene);
        self.draw_ms += (now_ms() - t0 - self.draw_ms) * 0.1;
    }

    /// Redraws every chart now.
    fn draw_charts(&mut self) {
        self.last_chart_ms = self.clock_ms();
        self.charted_second = self.driver.last().map(|l| l.t_s);
        self.charts_due = 0;
        self.draw_chart_set(None);
    }

    /// Draws one chart (`Some(i)`) or all of them.
    fn draw_chart_set(&mut self, only: Option<usize>) {
        if self.embed {
            return;
        }
        let hist = self.driver.sim.history();
        let seconds: Vec<_> = hist.tail(WINDOW_S as usize).cloned().collect();
        let input = ChartInput {
            seconds: &seconds,
            now_s: self.driver.sim.now_s(),
            db_capacity: Capacities::of(&self.driver.base).db_qps,
            target_hit_rate: self.driver.target_hit_rate(),
            dpr: self.dpr,
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
    fn clock_ms(&self) -> f64 {
        self.last_frame_ms.unwrap_or(0.0)
    }

    fn on_frame(&mut self, t_ms: f64) {
        let dt = match self.last_frame_ms {
            Some(prev) => ((t_ms - prev) / 1000.0).max(0.0),
            None => 0.0,
        };
        self.last_frame_ms = Some(t_ms);
        self.frame_ms += (dt * 1000.0 - self.frame_ms) * 0.1;
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

fn draw_chart(i: usize, canvas: &HtmlCanvasElement, input: &ChartInput) {
    match i {
        0 => charts::hit_rate(canvas, input),
        1 => charts::db(canvas, input),
        2 => charts::latency(canvas, input),
        3 => charts::errors(canvas, input),
        _ => charts::cache(canvas, input),
    };
}

fn format_speed(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn preset_description(name: &str) -> &'static str {
    presets::PRESETS
        .iter()
        .find(|p| p.name == name)
        .map_or("", |p| p.description)
}

fn health_word(h: Health) -> &'static str {
    match h {
        Health::Ok => "ok",
        Health::Warn => "warning",
        Health::Bad => "overloaded",
        Health::Down => "down",
    }
}

/// The short live text of one component in `#components`.
fn component_text(key: &str, s: &Scene, d: &Driver) -> String {
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
        "cache" => {
            if !st.cache_up {
                "CacheNode (Redis): DOWN, every GET fails and falls through to the DB".into()
            } else {
                format!(
                    "CacheNode (Redis): up, CPU {}, memory {}, {} keys, hit rate {} ({})",
                    pct(l.map_or(0.0, |l| l.cache_cpu)),
                    pct(s.mem_fraction()),
                    compact(st.cache_keys as f64),
                    l.map_or("-".into(), |l| pct(l.hit_rate)),
                    health_word(s.cache_health())
                )
            }
        }
        "db" => format!(
            "BackendDB (PostgreSQL): load {}, {} queries/s ({} SELECTs after a miss, capacity ~{}), connections {}/{} ({})",
            format::load(s.db_load()),
            compact(l.map_or(0.0, |l| l.db_queries as f64)),
            compact(l.map_or(0.0, |l| l.db_miss as f64)),
            per_sec(s.caps.db_qps),
            st.db_connections,
            st.db_max_connections,
            health_word(s.db_health())
        ),
        _ => String::new(),
    }
}

/// The page's entry point: mounts into `#app` when the page has one.
#[wasm_bindgen(start)]
pub fn start() {
    install_panic_hook();
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = doc.get_element_by_id("app") else {
        return;
    };
    let query = window().location().search().unwrap_or_default();
    match mount(&root, &query) {
        Ok(handle) => {
            handle.start();
            // keep it alive for the page's lifetime
            std::mem::forget(handle);
        }
        Err(e) => {
            let msg = e.as_string().unwrap_or_else(|| "unknown error".into());
            root.set_text_content(Some(&format!("cachesim could not start: {msg}")));
        }
    }
}
