//! The page: mounts its markup into a root element, wires the controls to the
//! driver, and runs one requestAnimationFrame callback per frame that
//! advances the simulation, draws the canvas and (a few times a second)
//! refreshes the charts and texts.
//!
//! This file holds the page's state and its wiring; what the controls do is
//! in `controls`, links and exports in `export`, and what is shown each frame
//! in `render`.

mod compare_view;
mod controls;
mod dom;
mod embed;
mod export;
mod render;

use crate::architecture::{self, Design};
use crate::charts::{self, ChartInput, WINDOW_S};
use crate::codec::{self, quote};
use crate::draw::{self, Health, Scene};
use crate::driver::{Driver, Toggle};
use crate::explain::Capacities;
use crate::format::{self, compact, pct, per_sec};
use crate::layout;
use crate::template;
use cachesim_core::router::RouterKind;
use cachesim_core::{presets, Command, EvictionPolicy, Scenario, SecondStats};
use render::shard_max_bytes;
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
/// The target hit rate is applied once its slider has rested this long.
const HIT_RATE_QUIET_MS: f64 = 400.0;

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

fn now_ms() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn preset_description(name: &str) -> &'static str {
    presets::PRESETS
        .iter()
        .find(|p| p.name == name)
        .map_or("", |p| p.description)
}

/// The checkbox id of a mitigation: `mit-` and its name in the scenario's
/// kebab case (`mit-circuit-breaker`).
fn mitigation_id(m: cachesim_core::mitigations::Mitigation) -> String {
    format!("mit-{}", m.name())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
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
    /// What the model predicts for the target (the achievable hit rate).
    hit_rate_note: HtmlElement,
    memory: HtmlInputElement,
    memory_value: HtmlElement,
    ttl: HtmlInputElement,
    ttl_value: HtmlElement,
    eviction: HtmlSelectElement,
    pods: HtmlInputElement,
    pods_value: HtmlElement,
    single_flight: HtmlInputElement,
    autoscale: HtmlInputElement,
    /// One checkbox per mitigation (`mit-<name>`).
    mitigations: Vec<(cachesim_core::mitigations::Mitigation, HtmlInputElement)>,
    seed: HtmlInputElement,
    seed_random: HtmlElement,
    preset: HtmlSelectElement,
    preset_description: HtmlElement,
    play_pause: HtmlButtonElement,
    speed: HtmlSelectElement,
    reduce_motion: HtmlInputElement,
    /// The latency chart's p95 line.
    show_p95: HtmlInputElement,
    /// The countdown to the next scheduled fault.
    next_event: HtmlElement,
    toggles: Vec<(Toggle, HtmlButtonElement)>,
    explain: HtmlElement,
    readouts: HtmlElement,
    /// A phone's sticky strip of the live numbers.
    live_strip: HtmlElement,
    charts: Vec<HtmlCanvasElement>,
    share_url: HtmlInputElement,
    /// `?embed`'s link to this run in the full page.
    open_full: HtmlAnchorElement,
    scenario_file: HtmlInputElement,
    message: HtmlElement,
    state_json: HtmlElement,
    components: Vec<(String, HtmlElement)>,
    dot_scale: HtmlElement,
    clock: HtmlElement,
    speed_note: HtmlElement,
    architecture: HtmlSelectElement,
    architecture_description: HtmlElement,
    add_shard: HtmlButtonElement,
    remove_shard: HtmlButtonElement,
    shards_value: HtmlElement,
    proxy: HtmlInputElement,
    proxy_single_flight: HtmlInputElement,
    router: HtmlSelectElement,
    warmup: HtmlInputElement,
    shard_buttons: HtmlElement,
    replica_reads: HtmlInputElement,
    stop_stream: HtmlButtonElement,
    bill: HtmlElement,
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
    /// An embed's root is in the viewport (see `embed`; always true otherwise).
    in_view: bool,
    last_frame_ms: Option<f64>,
    last_text_ms: f64,
    last_chart_ms: f64,
    charted_second: Option<u32>,
    css_w: f64,
    css_h: f64,
    dpr: f64,
    pending: Pending,
    /// Why the target hit rate in force is not the one asked (the browser's
    /// key limit), shown under the slider until another target is set.
    hit_rate_limited: Option<String>,
    /// Wall ms per frame (smoothed), for the state JSON.
    frame_ms: f64,
    /// Wall ms of drawing the canvas (smoothed) and of the last chart redraw.
    draw_ms: f64,
    charts_ms: f64,
    /// Charts still to redraw, one per frame (counting down).
    charts_due: usize,
    /// Size and shape of the layout whose path lengths the dots use.
    layout_key: (u64, u64, layout::Shape),
    /// The layout drawn last (where a click on the canvas lands).
    lay: Option<layout::Layout>,
    /// Each shard's state as the per-shard buttons show it.
    shard_buttons_drawn: Vec<ShardButtons>,
    /// The comparison of the designs, when open.
    compare: compare_view::CompareView,
    /// The simulated second the texts show; the canvas prints the same one,
    /// so every number on the screen comes from one second.
    shown: Option<SecondStats>,
}

/// What a shard's buttons offer: its primary is up, it has replicas, and
/// one of them is down while the primary runs (it can rejoin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShardButtons {
    up: bool,
    replicated: bool,
    rejoin: bool,
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

    /// The same state as a JavaScript object (serde-wasm-bindgen, plain
    /// objects rather than Maps), for callers that want values, not text.
    pub fn state(&self) -> Result<JsValue, JsValue> {
        let value = self.app.borrow().driver.state_value();
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        serde::Serialize::serialize(&value, &serializer).map_err(JsValue::from)
    }

    /// Refreshes the texts, the controls and `#state-json` now (they
    /// otherwise refresh at most four times a second).
    pub fn refresh(&self) {
        let mut a = self.app.borrow_mut();
        a.sync_controls(false);
        a.refresh_texts();
    }

    /// Tells an embed whether it is in view (what its IntersectionObserver
    /// does): out of view, frames do not advance the simulation.
    pub fn set_in_view(&self, in_view: bool) {
        self.app.borrow_mut().set_in_view(in_view);
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
    let compare = compare_view::CompareView::new(root)?;
    let mut app = App {
        driver,
        doc: doc.clone(),
        root: root.clone(),
        els,
        embed: state.embed,
        in_view: true,
        last_frame_ms: None,
        last_text_ms: f64::NEG_INFINITY,
        last_chart_ms: f64::NEG_INFINITY,
        charted_second: None,
        css_w: 0.0,
        css_h: 0.0,
        dpr: 1.0,
        pending: Pending::new(),
        hit_rate_limited: None,
        frame_ms: 16.7,
        draw_ms: 0.0,
        charts_ms: 0.0,
        charts_due: 0,
        layout_key: (0, 0, layout::Shape::v0(0)),
        lay: None,
        shard_buttons_drawn: Vec::new(),
        compare,
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
        app.driver.catch_up();
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
    if let Some(ask) = &state.compare {
        app.open_compare(state.scenario.clone(), state.preset.clone(), ask.seconds);
    }
    let app = Rc::new(RefCell::new(app));
    wire(&app, root)?;
    if state.embed {
        embed::wire_embed(&app, root);
    }
    Ok(AppHandle { app })
}

fn elements(root: &Element) -> Result<Els, JsValue> {
    let arch: HtmlCanvasElement = find(root, "arch-canvas")?;
    // opaque: the diagram paints every pixel (draw::draw starts with white),
    // so the compositor neither blends it over the page nor draws what is
    // under it, every frame (issue 12: ~0.8 ms a frame in headless Chromium)
    let opaque = js_sys::Object::new();
    js_sys::Reflect::set(&opaque, &"alpha".into(), &false.into())?;
    let ctx = arch
        .get_context_with_context_options("2d", &opaque)?
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
        hit_rate_note: find(root, "hit-rate-note")?,
        memory: find(root, "memory-gb")?,
        memory_value: find(root, "memory-gb-value")?,
        ttl: find(root, "ttl")?,
        ttl_value: find(root, "ttl-value")?,
        eviction: find(root, "eviction")?,
        pods: find(root, "pods")?,
        pods_value: find(root, "pods-value")?,
        seed: find(root, "seed")?,
        seed_random: find(root, "seed-random")?,
        preset: find(root, "preset")?,
        preset_description: find(root, "preset-description")?,
        play_pause: find(root, "play-pause")?,
        speed: find(root, "speed")?,
        reduce_motion: find(root, "reduce-motion")?,
        show_p95: find(root, "show-p95")?,
        next_event: find(root, "next-event")?,
        toggles,
        explain: find(root, "explain")?,
        readouts: find(root, "readouts")?,
        live_strip: find(root, "live-strip")?,
        charts,
        share_url: find(root, "share-url")?,
        open_full: find(root, "open-full")?,
        single_flight: find(root, "single-flight")?,
        autoscale: find(root, "autoscale")?,
        mitigations: cachesim_core::mitigations::Mitigation::ALL
            .into_iter()
            .map(|m| Ok((m, find(root, &mitigation_id(m))?)))
            .collect::<Result<_, JsValue>>()?,
        scenario_file: find(root, "scenario-file")?,
        message: find(root, "message")?,
        state_json: find(root, "state-json")?,
        components,
        dot_scale: find(root, "dot-scale")?,
        clock: find(root, "clock")?,
        speed_note: find(root, "speed-note")?,
        architecture: find(root, "architecture")?,
        architecture_description: find(root, "architecture-description")?,
        add_shard: find(root, "add-shard")?,
        remove_shard: find(root, "remove-shard")?,
        shards_value: find(root, "shards-value")?,
        proxy: find(root, "proxy")?,
        proxy_single_flight: find(root, "proxy-single-flight")?,
        router: find(root, "router")?,
        warmup: find(root, "warmup")?,
        shard_buttons: find(root, "shard-buttons")?,
        replica_reads: find(root, "replica-reads")?,
        stop_stream: find(root, "btn-stop-stream")?,
        bill: find(root, "bill")?,
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
    let (rps, hit, mem, ttl, ev, sf, pods, seed, preset, speed, rm) = {
        let a = app.borrow();
        let e = &a.els;
        (
            e.rps.clone(),
            e.hit_rate.clone(),
            e.memory.clone(),
            e.ttl.clone(),
            e.eviction.clone(),
            e.single_flight.clone(),
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
    on(&sf, "change", app, |a, _| a.on_single_flight());
    on(&seed, "change", app, |a, _| a.on_seed());
    let seed_random = app.borrow().els.seed_random.clone();
    on(&seed_random, "click", app, |a, _| a.on_random_seed());
    on(&preset, "change", app, |a, _| a.on_preset());
    on(&speed, "change", app, |a, _| a.on_speed());
    on(&rm, "change", app, |a, _| {
        let on = a.els.reduce_motion.checked();
        a.driver.set_reduced_motion(on);
        a.refresh_texts();
    });
    let p95 = app.borrow().els.show_p95.clone();
    on(&p95, "change", app, |a, _| a.draw_charts());
    let button = |id: &str| -> Result<web_sys::EventTarget, JsValue> { find(root, id) };
    on(&button("play-pause")?, "click", app, |a, _| {
        a.toggle_pause()
    });
    on(&button("step")?, "click", app, |a, _| a.step());
    on(&button("reset")?, "click", app, |a, _| a.reset());
    // shard 0: V0's one Redis, the first shard of a cluster
    on(&button("btn-crash")?, "click", app, |a, _| {
        a.shard_command(Command::CrashCache {
            shard: 0,
            host: false,
        })
    });
    on(&button("btn-restart")?, "click", app, |a, _| {
        a.shard_command(Command::RestartCache { shard: 0 })
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
    wire_architecture(app, root)?;
    on(&button("copy-link")?, "click", app, |a, _| a.copy_link());
    on(&button("export-csv")?, "click", app, |a, _| a.export_csv());
    on(&button("export-png")?, "click", app, |a, _| a.export_png());
    on(&button("export-scenario")?, "click", app, |a, _| {
        a.export_scenario()
    });
    on(&button("load-scenario")?, "click", app, |a, _| {
        a.els.scenario_file.click()
    });
    wire_scenario_file(app);
    let doc = app.borrow().doc.clone();
    on(&doc, "keydown", app, |a, e| a.on_key(e));
    on(&doc, "keyup", app, |a, e| a.on_key_up(e));
    let w = window();
    on(&w, "resize", app, |a, _| {
        a.resize();
        a.draw_arch();
        a.draw_charts();
        a.resize_compare();
    });
    Ok(())
}

/// The Architecture controls, the per-shard buttons and clicks on the canvas.
fn wire_architecture(app: &Rc<RefCell<App>>, root: &Element) -> Result<(), JsValue> {
    let el = |id: &str| -> Result<web_sys::EventTarget, JsValue> { find(root, id) };
    on(&el("architecture")?, "change", app, |a, _| {
        a.on_architecture()
    });
    on(&el("add-shard")?, "click", app, |a, _| {
        a.command(
            Command::AddShard,
            "A new empty shard joined: the keys the router now sends to it miss until they refill.",
        )
    });
    on(&el("remove-shard")?, "click", app, |a, _| {
        a.command(Command::RemoveShard, "The last shard left with its keys: the router sends them to the others, where they miss.")
    });
    on(&el("proxy")?, "change", app, |a, _| {
        let on = a.els.proxy.checked();
        a.command(
            Command::SetProxy { on },
            if on {
                "The CacheProxyService is in: every Redis command passes through it."
            } else {
                "The proxy is out: the pods route keys to the shards themselves."
            },
        )
    });
    on(&el("proxy-single-flight")?, "change", app, |a, _| {
        let on = a.els.proxy_single_flight.checked();
        a.command(Command::ProxySingleFlight { on }, if on { "Proxy single-flight on: concurrent misses on a key, from any pod, make one DB query." } else { "Proxy single-flight off." })
    });
    on(&el("router")?, "change", app, |a, _| a.on_router());
    on(&el("autoscale")?, "change", app, |a, _| {
        let on = a.els.autoscale.checked();
        a.command(
            Command::Autoscale { on },
            if on {
                "Autoscaling on: 3 minutes in a row above 70% CPU double the pods."
            } else {
                "Autoscaling off."
            },
        )
    });
    for m in cachesim_core::mitigations::Mitigation::ALL {
        on(&el(&mitigation_id(m))?, "change", app, move |a, _| {
            let on = a
                .els
                .mitigations
                .iter()
                .find(|(x, _)| *x == m)
                .is_some_and(|(_, b)| b.checked());
            let note = format!(
                "{} {}.",
                capitalised(m.label()),
                if on { "on" } else { "off" }
            );
            a.command(Command::Mitigation { name: m, on }, &note)
        });
    }
    on(&el("warmup")?, "change", app, |a, _| {
        let on = a.els.warmup.checked();
        a.command(
            Command::Warmup { on },
            if on {
                "Warm-up worker on: after a cold restart it reloads that shard's hottest keys."
            } else {
                "Warm-up worker off."
            },
        )
    });
    on(&el("shard-buttons")?, "click", app, |a, e| {
        let button = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("button[data-shard]").ok().flatten());
        let shard = button
            .as_ref()
            .and_then(|b| b.get_attribute("data-shard"))
            .and_then(|v| v.parse::<usize>().ok());
        let rejoin = button.is_some_and(|b| b.has_attribute("data-rejoin"));
        match shard {
            Some(i) if rejoin => a.rejoin_replica(i),
            Some(i) => a.click_shard(i),
            None => {}
        }
    });
    on(&el("replica-reads")?, "change", app, |a, _| {
        let on = a.els.replica_reads.checked();
        a.command(
            Command::ReplicaReads { on },
            if on {
                "Reads from replicas: GETs are spread over each shard's primary and replicas."
            } else {
                "Reads from primaries only: every GET goes to its shard's primary."
            },
        )
    });
    on(&el("btn-stop-stream")?, "click", app, |a, _| {
        a.toggle_stream()
    });
    on(&el("open-compare")?, "click", app, |a, _| {
        a.compare_current()
    });
    on(&el("compare-close")?, "click", app, |a, _| {
        a.close_compare()
    });
    on(&el("compare-copy-link")?, "click", app, |a, _| {
        a.copy_compare_link()
    });
    on(&el("arch-canvas")?, "click", app, |a, e| {
        if let Some(m) = e.dyn_ref::<web_sys::MouseEvent>() {
            let canvas = &a.els.arch;
            let p = (
                (m.offset_x() - canvas.client_left()) as f64,
                (m.offset_y() - canvas.client_top()) as f64,
            );
            let replica = a.lay.as_ref().and_then(|l| l.replica_at(p));
            let st = a.driver.sim.status();
            // a dead replica's box brings it back; the rest of a shard crashes or restarts it
            match replica {
                Some((i, j))
                    if st
                        .shards
                        .get(i)
                        .and_then(|s| s.replicas.get(j))
                        .is_some_and(|r| !r.up) =>
                {
                    a.rejoin_replica(i)
                }
                _ => {
                    if let Some(i) = a.lay.as_ref().and_then(|l| l.shard_at(p)) {
                        a.click_shard(i);
                    }
                }
            }
        }
    });
    Ok(())
}

/// A chosen scenario file is read (a promise) and then loaded.
fn wire_scenario_file(app: &Rc<RefCell<App>>) {
    let input = app.borrow().els.scenario_file.clone();
    let weak = Rc::downgrade(app);
    let on_change = Closure::<dyn FnMut(Event)>::new(move |_| {
        let Some(app) = weak.upgrade() else { return };
        let input = app.borrow().els.scenario_file.clone();
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // choosing the same file again must fire `change` again
        input.set_value("");
        let name = file.name();
        // checked before reading: a huge file is never loaded into memory
        if let Err(why) = codec::check_scenario_size(file.size()) {
            app.borrow_mut().load_scenario_text(&name, Err(&why));
            return;
        }
        let loaded = {
            let (app, name) = (Rc::downgrade(&app), name.clone());
            Closure::<dyn FnMut(JsValue)>::new(move |text: JsValue| {
                if let Some(app) = app.upgrade() {
                    let text = text.as_string().unwrap_or_default();
                    app.borrow_mut().load_scenario_text(&name, Ok(&text));
                }
            })
        };
        let failed = {
            let (app, name) = (Rc::downgrade(&app), name.clone());
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                if let Some(app) = app.upgrade() {
                    app.borrow_mut()
                        .load_scenario_text(&name, Err("the browser could not read it"));
                }
            })
        };
        let _ = file.text().then2(&loaded, &failed);
        loaded.forget();
        failed.forget();
    });
    input
        .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())
        .ok();
    on_change.forget();
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
