//! The app in headless Chromium (wasm-bindgen-test): it mounts into a test
//! document, draws, every control changes the run, URLs round-trip and a bad
//! URL falls back to the defaults with a message.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p cachesim-web`

#![cfg(target_arch = "wasm32")]

use cachesim_core::{presets, Command, ScheduledCommand};
use cachesim_web::{codec, format, mount, AppHandle};
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{
    CanvasRenderingContext2d, Element, Event, HtmlButtonElement, HtmlCanvasElement, HtmlElement,
    HtmlInputElement, HtmlSelectElement,
};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh root element in the test document.
fn new_root() -> Element {
    let doc = document();
    let root = doc.create_element("div").unwrap();
    root.set_attribute("style", "width: 1000px").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

fn mounted(query: &str) -> (Element, AppHandle) {
    let root = new_root();
    let h = mount(&root, query).expect("mounts");
    (root, h)
}

fn el<T: JsCast>(root: &Element, id: &str) -> T {
    root.query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap_or_else(|| panic!("#{id}"))
        .dyn_into::<T>()
        .unwrap()
}

fn state(root: &Element) -> Value {
    let text = el::<HtmlElement>(root, "state-json")
        .text_content()
        .unwrap();
    serde_json::from_str(&text).expect("state JSON")
}

fn fire(target: &Element, event: &str) {
    target.dispatch_event(&Event::new(event).unwrap()).unwrap();
}

fn set_input(root: &Element, id: &str, value: &str, event: &str) {
    let i: HtmlInputElement = el(root, id);
    i.set_value(value);
    fire(&i, event);
}

fn set_select(root: &Element, id: &str, value: &str) {
    let s: HtmlSelectElement = el(root, id);
    s.set_value(value);
    fire(&s, "change");
}

fn click(root: &Element, id: &str) {
    el::<HtmlButtonElement>(root, id).click();
}

fn frames(h: &AppHandle, n: usize) {
    for _ in 0..n {
        h.frame(16.7);
    }
    h.refresh();
}

/// Pixels that are not white.
fn inked_pixels(canvas: &HtmlCanvasElement) -> usize {
    let ctx = canvas
        .get_context("2d")
        .unwrap()
        .unwrap()
        .dyn_into::<CanvasRenderingContext2d>()
        .unwrap();
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    let data = ctx.get_image_data(0.0, 0.0, w, h).unwrap().data();
    data.chunks(4)
        .filter(|p| p[3] > 0 && (p[0] < 240 || p[1] < 240 || p[2] < 240))
        .count()
}

#[wasm_bindgen_test]
fn mounts_and_draws() {
    let (root, h) = mounted("");
    frames(&h, 30);
    let canvas: HtmlCanvasElement = el(&root, "arch-canvas");
    assert!(canvas.width() > 0 && canvas.height() > 0);
    let inked = inked_pixels(&canvas);
    assert!(
        inked > 2_000,
        "the architecture canvas is drawn ({inked} inked pixels)"
    );
    // every contract element exists
    for id in [
        "rps",
        "rps-value",
        "hit-rate",
        "memory-gb",
        "ttl",
        "eviction",
        "pods",
        "seed",
        "preset",
        "play-pause",
        "step",
        "speed",
        "reset",
        "btn-crash",
        "btn-restart",
        "btn-hot-key",
        "btn-drop-invalidations",
        "btn-fill-memory",
        "btn-key-busting",
        "btn-slow-db",
        "btn-pods-unhealthy",
        "explain",
        "chart-hit-rate",
        "chart-db",
        "chart-latency",
        "chart-errors",
        "chart-cache",
        "copy-link",
        "share-url",
        "export-csv",
        "export-png",
        "message",
        "panic-banner",
        "state-json",
        "components",
    ] {
        assert!(
            root.query_selector(&format!("#{id}")).unwrap().is_some(),
            "#{id}"
        );
    }
    let s = state(&root);
    // 30 frames at 1x ask for 0.5 s; a busy machine may get less (at least one
    // 2 ms chunk per frame), never more
    let now = s["now_s"].as_f64().unwrap();
    assert!((0.06..=30.0 * 0.0167 + 1e-6).contains(&now), "{now}");
    assert_eq!(s["paused"], false);
    assert_eq!(s["speed"], 1);
    assert_eq!(s["preset"], "steady");
    assert_eq!(s["status"]["cache_up"], true);
    assert!(s["totals"]["requests"].as_u64().unwrap() > 1_000);
    assert_eq!(s["scenario"]["name"], "steady");
    // a second later the charts have data and are drawn
    frames(&h, 40);
    h.draw_charts();
    for id in [
        "chart-hit-rate",
        "chart-db",
        "chart-latency",
        "chart-errors",
        "chart-cache",
    ] {
        let c: HtmlCanvasElement = el(&root, id);
        assert!(inked_pixels(&c) > 500, "{id} drawn");
    }
    assert!(!state(&root)["last"].is_null());
    let explain = el::<HtmlElement>(&root, "explain").text_content().unwrap();
    assert!(explain.starts_with("Normal"), "{explain}");
    let items = root
        .query_selector_all("#components li[data-component]")
        .unwrap();
    assert_eq!(
        items.length(),
        8,
        "V0 components, the proxy, the warm-up worker and the stream"
    );
    let cache = root
        .query_selector("#components li[data-component=cache]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(cache.starts_with("CacheNode (Redis): up, "), "{cache}");
    assert!(el::<HtmlElement>(&root, "panic-banner").hidden());
    assert!(el::<HtmlElement>(&root, "message").hidden());
    // the preset menu lists every preset with its description
    let opts = root.query_selector_all("#preset option").unwrap();
    for p in presets::PRESETS {
        let o = root
            .query_selector(&format!("#preset option[value='{}']", p.name))
            .unwrap()
            .expect(p.name);
        assert_eq!(o.get_attribute("title").as_deref(), Some(p.description));
    }
    assert!(opts.length() as usize >= presets::PRESETS.len());
}

#[wasm_bindgen_test]
fn every_control_changes_the_run() {
    let (root, h) = mounted("");
    frames(&h, 5);
    // RPS: log-scale slider
    set_input(
        &root,
        "rps",
        &format::slider_from_rps(20_000.0).to_string(),
        "input",
    );
    let s = state(&root);
    assert_eq!(s["status"]["rps"], 20_000.0);
    assert_eq!(
        el::<HtmlElement>(&root, "rps-value")
            .text_content()
            .unwrap(),
        "20K RPS"
    );
    // target hit rate
    let before = state(&root)["status"]["keyspace_keys"].as_u64().unwrap();
    set_input(&root, "hit-rate", "95", "input");
    // a drag step only shows the value: the keyspace is derived once the
    // slider has rested (400 ms of the page's clock)
    assert_eq!(
        state(&root)["status"]["keyspace_keys"].as_u64().unwrap(),
        before
    );
    let note = el::<HtmlElement>(&root, "hit-rate-note")
        .text_content()
        .unwrap();
    assert!(note.contains("applies when the slider rests"), "{note}");
    let t0 = js_sys::Date::now();
    while js_sys::Date::now() - t0 < 450.0 {}
    frames(&h, 1);
    let s = state(&root);
    assert_ne!(
        s["status"]["keyspace_keys"].as_u64().unwrap(),
        before,
        "a new keyspace"
    );
    let faults = s["scenario"]["faults"].as_array().unwrap();
    assert!(
        faults
            .iter()
            .any(|f| f["command"]["type"] == "set_target_hit_rate"
                && f["command"]["hit_rate"] == 0.95)
    );
    // memory
    set_input(&root, "memory-gb", "13", "change");
    assert_eq!(
        state(&root)["status"]["cache_max_bytes"].as_u64().unwrap(),
        13 * 1024 * 1024 * 1024
    );
    // a value that is not a number, or out of range, is refused with a message
    set_input(&root, "memory-gb", "lots", "change");
    let msg = el::<HtmlElement>(&root, "message").text_content().unwrap();
    assert!(msg.contains("is not a number of GB"), "{msg}");
    assert_eq!(
        state(&root)["status"]["cache_max_bytes"].as_u64().unwrap(),
        13 * 1024 * 1024 * 1024
    );
    // TTL
    set_input(&root, "ttl", "60", "change");
    assert_eq!(state(&root)["status"]["ttl_s"], 60.0);
    set_input(&root, "ttl", "0", "change");
    let msg = el::<HtmlElement>(&root, "message").text_content().unwrap();
    assert!(
        msg.contains("TTL must be between 1 and 86400 seconds."),
        "{msg}"
    );
    assert_eq!(state(&root)["status"]["ttl_s"], 60.0);
    // eviction
    set_select(&root, "eviction", "allkeys-lru");
    assert_eq!(state(&root)["status"]["eviction"], "allkeys-lru");
    // pods
    set_input(&root, "pods", "4", "change");
    let pods = state(&root)["status"]["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .count();
    assert_eq!(pods, 4);
    // playback
    set_select(&root, "speed", "10");
    assert_eq!(state(&root)["speed"], 10);
    click(&root, "play-pause");
    assert_eq!(state(&root)["paused"], true);
    let t0 = state(&root)["now_s"].as_f64().unwrap();
    frames(&h, 10);
    assert_eq!(
        state(&root)["now_s"].as_f64().unwrap(),
        t0,
        "paused: time stands still"
    );
    click(&root, "step");
    let t1 = state(&root)["now_s"].as_f64().unwrap();
    assert!((t1 - t0 - 1.0).abs() < 1e-6, "{t0} -> {t1}");
    click(&root, "play-pause");
    frames(&h, 3);
    let t2 = state(&root)["now_s"].as_f64().unwrap();
    // 3 frames of 16.7 ms at 10x ask for 0.5 s; the per-frame work budget may
    // give less on a busy machine (never a timed assertion), but never more
    assert!(
        t2 > t1 + 0.005 && t2 <= t1 + 3.0 * 0.0167 * 10.0 + 1e-6,
        "10x: {t1} -> {t2}"
    );
    // reset: back to t = 0 with the scenario's own values
    click(&root, "reset");
    let s = state(&root);
    assert_eq!(s["now_s"], 0.0);
    assert_eq!(s["status"]["rps"], 10_000.0);
    assert_eq!(s["scenario"]["faults"].as_array().unwrap().len(), 0);
    // seed restarts the run
    set_input(&root, "seed", "7", "change");
    let s = state(&root);
    assert_eq!(s["scenario"]["seed"], 7);
    assert_eq!(s["now_s"], 0.0);
    // preset restarts with it (keeping the seed)
    set_select(&root, "preset", "cache-crash");
    let s = state(&root);
    assert_eq!(s["preset"], "cache-crash");
    assert_eq!(s["scenario"]["name"], "cache-crash");
    assert_eq!(s["scenario"]["seed"], 7);
    assert_eq!(s["scenario"]["faults"].as_array().unwrap().len(), 2);
    let desc = el::<HtmlElement>(&root, "preset-description")
        .text_content()
        .unwrap();
    assert!(desc.contains("Redis crashes"), "{desc}");
}

#[wasm_bindgen_test]
fn failure_buttons_take_effect_at_once() {
    let (root, h) = mounted("");
    frames(&h, 5);
    click(&root, "btn-crash");
    assert_eq!(state(&root)["status"]["cache_up"], false);
    frames(&h, 70);
    let cache = root
        .query_selector("#components li[data-component=cache]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(cache.contains("DOWN"), "{cache}");
    assert!(el::<HtmlElement>(&root, "explain")
        .text_content()
        .unwrap()
        .contains("DOWN"));
    click(&root, "btn-restart");
    assert_eq!(state(&root)["status"]["cache_up"], true);
    for (id, field) in [
        ("btn-hot-key", "hot_key_rate"),
        ("btn-drop-invalidations", "invalidation_failure"),
        ("btn-key-busting", "attack_rate"),
        ("btn-slow-db", "db_slowdown"),
    ] {
        let off = state(&root)["status"][field].as_f64().unwrap();
        click(&root, id);
        let b: HtmlButtonElement = el(&root, id);
        assert_eq!(
            b.get_attribute("aria-pressed").as_deref(),
            Some("true"),
            "{id}"
        );
        let on = state(&root)["status"][field].as_f64().unwrap();
        assert_ne!(on, off, "{id} changes {field}");
        frames(&h, 2);
        click(&root, id);
        assert_eq!(
            b.get_attribute("aria-pressed").as_deref(),
            Some("false"),
            "{id} off"
        );
        assert_eq!(
            state(&root)["status"][field].as_f64().unwrap(),
            off,
            "{id} back off"
        );
    }
    // the pods stop answering at once (the LB's view follows its checks)
    click(&root, "btn-pods-unhealthy");
    let s = state(&root);
    assert!(s["status"]["pods"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["up"] == false));
    frames(&h, 5);
    click(&root, "btn-pods-unhealthy");
    assert!(state(&root)["status"]["pods"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["up"] == true));
    let fill: HtmlButtonElement = el(&root, "btn-fill-memory");
    let mem0 = state(&root)["status"]["cache_memory_bytes"]
        .as_u64()
        .unwrap();
    click(&root, "btn-fill-memory");
    assert_eq!(fill.get_attribute("aria-pressed").as_deref(), Some("true"));
    let mem1 = state(&root)["status"]["cache_memory_bytes"]
        .as_u64()
        .unwrap();
    assert!(mem1 > mem0 * 10, "{mem0} -> {mem1}");
    click(&root, "btn-fill-memory");
    assert_eq!(fill.get_attribute("aria-pressed").as_deref(), Some("false"));
    // everything applied is in the share scenario, in time order
    let faults = state(&root)["scenario"]["faults"].as_array().unwrap().len();
    assert_eq!(faults, 2 + 4 * 2 + 2 + 2);
}

#[wasm_bindgen_test]
fn the_url_carries_the_whole_scenario() {
    let mut s = presets::preset("hot-key").unwrap();
    s.seed = 99;
    s.client.rps = 12_000.0;
    s.faults.push(ScheduledCommand {
        at_s: 5.5,
        command: Command::CrashCache {
            shard: 0,
            host: false,
        },
    });
    let query = codec::share_query(&s);
    assert_eq!(
        codec::parse_query(&query).state.scenario,
        s,
        "encode then decode gives the scenario back"
    );
    let (root, h) = mounted(&format!("{query}&speed=10"));
    let st = state(&root);
    assert_eq!(st["scenario"]["seed"], 99);
    assert_eq!(st["status"]["rps"], 12_000.0);
    assert_eq!(st["speed"], 10);
    assert_eq!(st["preset"], "hot-key");
    assert!(el::<HtmlElement>(&root, "message").hidden());
    // live commands join the link, and the link rebuilds the same scenario
    frames(&h, 3);
    click(&root, "btn-slow-db");
    click(&root, "copy-link");
    let url = el::<HtmlInputElement>(&root, "share-url").value();
    assert!(url.contains("?s="), "{url}");
    let q = &url[url.find('?').unwrap()..];
    let back = codec::parse_query(q);
    assert!(back.problems.is_empty());
    assert_eq!(
        serde_json::to_value(&back.state.scenario).unwrap(),
        state(&root)["scenario"]
    );
    assert_eq!(back.state.scenario.faults.len(), 3);
    // a start time and ?embed
    let (root2, _) = mounted("?preset=cache-crash&t=70&embed&paused");
    let st = state(&root2);
    assert!(st["now_s"].as_f64().unwrap() >= 70.0);
    assert_eq!(st["status"]["cache_up"], false);
    assert_eq!(st["paused"], true);
    assert!(root2.class_list().contains("embed"));
}

#[wasm_bindgen_test]
fn an_embed_out_of_view_does_not_advance_and_keys_must_target_it() {
    let (root, h) = mounted("?embed&preset=steady");
    assert_eq!(root.get_attribute("tabindex").as_deref(), Some("-1"));
    frames(&h, 10);
    let t0 = state(&root)["now_s"].as_f64().unwrap();
    assert!(t0 > 0.0);
    // out of view (what its IntersectionObserver reports): frames do nothing
    h.set_in_view(false);
    frames(&h, 30);
    assert_eq!(state(&root)["now_s"].as_f64().unwrap(), t0);
    // back in view: it runs again, from where it was (no jump for the time away)
    h.set_in_view(true);
    frames(&h, 30);
    let t1 = state(&root)["now_s"].as_f64().unwrap();
    assert!(t1 > t0 && t1 < t0 + 1.0, "{t0} -> {t1}");
    // Space on the document (outside the simulator) is not the embed's
    let key = |target: &web_sys::EventTarget| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(" ");
        init.set_bubbles(true);
        let e =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        target.dispatch_event(&e).unwrap();
        h.refresh();
    };
    key(document().body().unwrap().as_ref());
    assert_eq!(state(&root)["paused"], false);
    // aimed at the simulator (its focused root), it pauses
    key(root.as_ref());
    assert_eq!(state(&root)["paused"], true);
    root.remove();
}

#[wasm_bindgen_test]
fn a_bad_url_gives_the_defaults_and_a_message() {
    for (query, needle) in [
        ("?s=%%%%", "could not be used"),
        ("?s=eyJjbGllbnQiOnsicnBzIjotMX19", "client.rps"),
        (
            "?preset=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
            "Unknown preset",
        ),
        ("?speed=7", "Speed"),
    ] {
        let (root, h) = mounted(query);
        frames(&h, 3);
        let msg: HtmlElement = el(&root, "message");
        assert!(!msg.hidden(), "{query}: message shown");
        let text = msg.text_content().unwrap();
        assert!(text.contains(needle), "{query}: {text}");
        assert_eq!(
            msg.children().length(),
            0,
            "{query}: the message is text, never markup"
        );
        let s = state(&root);
        assert_eq!(s["preset"], "steady", "{query}");
        assert_eq!(
            s["scenario"],
            serde_json::to_value(presets::preset("steady").unwrap()).unwrap()
        );
        assert!(el::<HtmlElement>(&root, "panic-banner").hidden());
    }
}

#[wasm_bindgen_test]
fn exports_and_reduced_motion() {
    let (root, h) = mounted("");
    frames(&h, 70);
    click(&root, "export-csv");
    let msg = el::<HtmlElement>(&root, "message").text_content().unwrap();
    assert!(msg.contains("CSV"), "{msg}");
    click(&root, "export-png");
    let msg = el::<HtmlElement>(&root, "message").text_content().unwrap();
    assert!(msg.contains("PNG"), "{msg}");
    let rm: HtmlInputElement = el(&root, "reduce-motion");
    rm.set_checked(true);
    fire(&rm, "change");
    frames(&h, 10);
    assert_eq!(state(&root)["trace_every"], 0);
    let canvas: HtmlCanvasElement = el(&root, "arch-canvas");
    assert!(
        inked_pixels(&canvas) > 2_000,
        "still drawn, with static flow widths"
    );
}

#[wasm_bindgen_test]
fn the_architecture_controls_build_the_topology_live() {
    let (root, h) = mounted("?preset=steady");
    frames(&h, 30);
    assert_eq!(state(&root)["design"], "V0");
    assert!(el::<HtmlElement>(&root, "shard-buttons").has_attribute("hidden"));
    // V1 from the menu: a restart with the proxy, three shards and the warm-up worker
    set_select(&root, "architecture", "v1");
    frames(&h, 30);
    let s = state(&root);
    assert_eq!(s["design"], "V1");
    assert_eq!(s["preset"], "v1-steady");
    assert_eq!(s["status"]["shards"].as_array().unwrap().len(), 3);
    assert!(!s["status"]["proxy"].is_null());
    let arch: HtmlCanvasElement = el(&root, "arch-canvas");
    assert!(inked_pixels(&arch) > 5_000, "the V1 diagram is drawn");
    let boxes = s["canvas"]["boxes"].as_array().unwrap().clone();
    for id in [2, 16, 17, 18, 3, 4] {
        assert!(boxes.iter().any(|b| b["id"] == id), "node {id} has a box");
    }
    // one shard's button crashes it, and then restarts it
    assert_eq!(
        root.query_selector_all("#shard-buttons button")
            .unwrap()
            .length(),
        3
    );
    click(&root, "shard-2");
    assert_eq!(state(&root)["status"]["shards"][2]["up"], false);
    assert_eq!(state(&root)["status"]["cache_up"], true);
    frames(&h, 2);
    click(&root, "shard-2");
    assert_eq!(state(&root)["status"]["shards"][2]["up"], true);
    // building live: every step is a command in the share scenario
    click(&root, "add-shard");
    assert_eq!(
        state(&root)["status"]["shards"].as_array().unwrap().len(),
        4
    );
    let proxy: HtmlInputElement = el(&root, "proxy");
    proxy.set_checked(false);
    fire(&proxy, "change");
    assert!(state(&root)["status"]["proxy"].is_null());
    assert!(el::<HtmlInputElement>(&root, "proxy-single-flight").disabled());
    set_select(&root, "router", "mod-n");
    let warmup: HtmlInputElement = el(&root, "warmup");
    warmup.set_checked(false);
    fire(&warmup, "change");
    click(&root, "remove-shard");
    frames(&h, 10);
    let s = state(&root);
    assert_eq!(s["status"]["router"], "mod-n");
    assert_eq!(s["status"]["warmup"], false);
    assert_eq!(s["status"]["shards"].as_array().unwrap().len(), 3);
    assert_eq!(
        el::<HtmlSelectElement>(&root, "architecture").value(),
        "custom"
    );
    let kinds: Vec<String> = s["scenario"]["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["command"]["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "crash_cache",
            "restart_cache",
            "add_shard",
            "set_proxy",
            "set_router",
            "warmup",
            "remove_shard"
        ]
    );
    assert!(inked_pixels(&arch) > 5_000, "the built diagram is drawn");
    // back to V0: one Redis again, the run goes on
    set_select(&root, "architecture", "v0");
    frames(&h, 10);
    let s = state(&root);
    assert_eq!(s["design"], "V0");
    assert_eq!(s["status"]["shards"].as_array().unwrap().len(), 1);
    assert!(el::<HtmlElement>(&root, "panic-banner").has_attribute("hidden"));
}

/// `AppHandle::state` hands JavaScript the same state as `#state-json`, as
/// plain objects (serde-wasm-bindgen), with no JSON text in between.
#[wasm_bindgen_test]
fn v2_draws_its_parts_and_the_comparison_runs_across_frames() {
    let (root, h) = mounted("?preset=v2-steady");
    frames(&h, 40);
    let s = state(&root);
    assert_eq!(s["design"], "V2");
    let boxes = s["canvas"]["boxes"].as_array().unwrap().clone();
    // the stream and every shard's replica have a box
    for id in [5, 160, 162, 164] {
        assert!(boxes.iter().any(|b| b["id"] == id), "node {id} has a box");
    }
    assert!(!el::<HtmlButtonElement>(&root, "btn-stop-stream").hidden());
    let bill = el::<HtmlElement>(&root, "bill").text_content().unwrap();
    assert!(bill.starts_with("Bill: $"), "{bill}");
    click(&root, "btn-stop-stream");
    frames(&h, 5);
    assert_eq!(state(&root)["status"]["stream"]["running"], false);
    root.remove();

    // a short comparison: it advances frame by frame, then charts and a table
    let (root, h) = mounted("?compare=compare-crash&seconds=12");
    let mut frames_run = 0;
    while state(&root)["comparison"]["done"] != true {
        assert_eq!(state(&root)["comparison"]["open"], true);
        frames(&h, 1);
        frames_run += 1;
        assert!(frames_run < 20_000, "the comparison ends");
    }
    assert!(frames_run > 3, "spread over {frames_run} frames");
    let c = state(&root)["comparison"].clone();
    assert_eq!(c["results"].as_array().unwrap().len(), 3);
    for id in [
        "compare-hit-rate",
        "compare-db",
        "compare-p99",
        "compare-errors",
    ] {
        let canvas: HtmlCanvasElement = el(&root, id);
        assert!(inked_pixels(&canvas) > 2_000, "{id} drawn");
    }
    let rows = root.query_selector_all("#compare-table tr").unwrap();
    assert!(rows.length() > 10, "{} rows", rows.length());
    click(&root, "compare-close");
    frames(&h, 2);
    assert_eq!(state(&root)["comparison"]["open"], false);
    root.remove();
}

#[wasm_bindgen_test]
fn the_state_object_is_the_state_json() {
    let (root, h) = mounted("?preset=v1-steady");
    frames(&h, 30);
    let object = h.state().expect("serialises");
    assert!(
        !object.is_instance_of::<js_sys::Map>(),
        "plain objects, not Maps"
    );
    // both through JavaScript's own JSON, so 1.0 and 1 read the same
    let stringify =
        |v: &wasm_bindgen::JsValue| js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    let text = stringify(&object);
    let parsed = js_sys::JSON::parse(&h.state_json()).unwrap();
    assert_eq!(text, stringify(&parsed));
    let from_object: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(from_object["status"]["shards"].as_array().unwrap().len(), 3);
    root.remove();
}
