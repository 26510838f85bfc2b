//! The page's static markup, created by the app inside whatever root element
//! it is mounted on. It holds no user data: everything dynamic is set later
//! through `textContent` and element properties.

use crate::anim::DotClass;

/// Failure buttons: id, label, what it does (title), whether it toggles.
pub const FAILURES: &[(&str, &str, &str, bool)] = &[
    (
        "btn-crash",
        "Crash cache",
        "The Redis process dies: every key is lost and commands fail until a restart",
        false,
    ),
    (
        "btn-restart",
        "Restart cache (cold)",
        "Start Redis again, empty: no persistence, so every read misses at first",
        false,
    ),
    (
        "btn-hot-key",
        "Hot key",
        "One large key gets thousands of extra reads per second (on/off)",
        true,
    ),
    (
        "btn-drop-invalidations",
        "Drop invalidations",
        "Half the SET/DEL after a DB write are lost: stale reads until the TTL (on/off)",
        true,
    ),
    (
        "btn-fill-memory",
        "Fill memory",
        "A batch job fills Redis with keys without a TTL (on/off)",
        true,
    ),
    (
        "btn-key-busting",
        "Key-busting attack",
        "An attacker reads never-seen keys: every one misses and hits the DB (on/off)",
        true,
    ),
    (
        "btn-slow-db",
        "Slow DB",
        "Every DB query takes 3x longer (on/off)",
        true,
    ),
    (
        "btn-pods-unhealthy",
        "Pods unhealthy",
        "Every pod fails its health check: the load balancer answers 502 (on/off)",
        true,
    ),
    (
        "btn-stop-stream",
        "Stop the stream consumer",
        "V2: the invalidation stream's consumer stops: the DB's writes pile up as events and stale values live until the TTL (on/off)",
        true,
    ),
];

/// Chart canvases: id, title (with units).
pub const CHARTS: &[(&str, &str)] = &[
    ("chart-hit-rate", "Read hit rate (%)"),
    ("chart-db", "DB load and workers busy (x capacity)"),
    ("chart-latency", "Latency p50 / p99 (ms, log scale)"),
    ("chart-errors", "Errors and stale reads per second"),
    ("chart-cache", "Redis CPU and memory, pods' CPU (%)"),
];

/// Components of `#components`: data-component value and name.
pub const COMPONENTS: &[(&str, &str)] = &[
    ("client", "Client"),
    ("lb", "AppLB"),
    ("app", "AppService pods"),
    ("cache", "CacheNode (Redis)"),
    ("proxy", "CacheProxyService"),
    ("warmup", "WarmupWorker"),
    ("stream", "Invalidation stream"),
    ("db", "BackendDB (PostgreSQL)"),
];

/// The canvas' text alternative for V0 (a cluster's names its design).
pub const ARCH_LABEL: &str = "Architecture: Client to AppLB to AppService pods to CacheNode (Redis) and BackendDB (PostgreSQL), with requests flowing as dots. The list below gives the same live state as text.";

pub fn markup() -> String {
    let mut failures = String::new();
    for (id, label, title, toggle) in FAILURES {
        let pressed = if *toggle {
            " aria-pressed=\"false\""
        } else {
            ""
        };
        let class = if *toggle {
            "cs-fail cs-toggle"
        } else {
            "cs-fail"
        };
        failures.push_str(&format!(
            "<button type=\"button\" id=\"{id}\" class=\"{class}\" title=\"{title}\"{pressed}>{label}</button>"
        ));
    }
    let mut charts = String::new();
    for (id, title) in CHARTS {
        let tip = if *id == "chart-db" {
            format!(" title=\"{}\"", crate::dbfig::LOAD_TOOLTIP)
        } else {
            String::new()
        };
        let opt = if *id == "chart-latency" {
            " <label class=\"cs-chart-opt\" title=\"Also draw the 95th percentile\"><input type=\"checkbox\" id=\"show-p95\"> p95</label>"
        } else {
            ""
        };
        charts.push_str(&format!(
            "<figure class=\"cs-chart\"><figcaption{tip}>{title}{opt}</figcaption><canvas id=\"{id}\" role=\"img\" aria-label=\"{title}, last 120 simulated seconds\"></canvas></figure>"
        ));
    }
    let mut components = String::new();
    for (key, name) in COMPONENTS {
        components.push_str(&format!("<li data-component=\"{key}\">{name}</li>"));
    }
    let mut designs = String::new();
    for d in crate::architecture::Design::ALL {
        designs.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            d.name(),
            crate::architecture::label(d)
        ));
    }
    let mut legend = String::new();
    for c in DotClass::ALL {
        legend.push_str(&format!(
            "<span class=\"cs-chip\" title=\"{long}\"><i style=\"background:{}\"></i><span class=\"cs-long\">{long}</span><span class=\"cs-short\">{}</span></span>",
            c.color(),
            c.short_label(),
            long = c.label()
        ));
    }
    let compare = compare_markup();
    format!(
        r##"<div class="cs-app">
<header class="cs-header">
  <h1>cachesim <small>cache-aside, simulated request by request</small></h1>
  <a id="open-full" class="cs-open-full" href="./" target="_blank" rel="noopener" title="This run, at this moment, in the full simulator (a new tab)"><span class="cs-long">Open the full simulator</span><span class="cs-short">Full simulator</span></a>
  <div class="cs-clock" aria-live="off"><span>t = </span><span id="clock">0:00</span> <span id="speed-note" class="cs-speed-note"></span> <span id="next-event" class="cs-next"></span></div>
</header>
<div id="panic-banner" class="cs-panic" role="alert" hidden></div>
<div class="cs-sticky"><p id="live-strip" class="cs-strip" aria-hidden="true"></p><div id="message" class="cs-message" role="status" aria-live="polite" hidden></div></div>
{compare}
<div class="cs-main">
  <section class="cs-stage" aria-label="Architecture and live state">
    <canvas id="arch-canvas" role="img" aria-label="{ARCH_LABEL}"></canvas>
    <div id="shard-buttons" class="cs-shards" role="group" aria-label="Redis shards: crash or restart one (or click a shard on the diagram)" hidden></div>
    <div class="cs-legend" aria-label="Legend">{legend}<span id="dot-scale" class="cs-scale"></span></div>
    <p id="readouts" class="cs-readouts" aria-live="off" title="{load_tip}"></p>
    <p id="bill" class="cs-bill" aria-live="off"></p>
    <p id="explain" class="cs-explain" aria-live="polite"></p>
    <ul id="components" class="cs-sr-only" aria-label="Live state of each component">{components}</ul>
  </section>
  <aside class="cs-panel" aria-label="Controls">
    <fieldset class="cs-group cs-playback"><legend>Playback</legend>
      <div class="cs-row">
        <button type="button" id="play-pause" aria-pressed="false">Pause</button>
        <button type="button" id="step" title="Advance one simulated second (pauses)">Step 1 s</button>
        <label class="cs-inline" for="speed">Speed</label>
        <select id="speed"><option value="1">1x</option><option value="10">10x</option><option value="100">100x</option></select>
        <button type="button" id="reset" title="Start the scenario again from t = 0">Reset</button>
      </div>
      <label class="cs-check"><input type="checkbox" id="reduce-motion"> Reduce motion (no moving dots)</label>
      <p class="cs-hint">Keys: Space play/pause, period (.) step.</p>
    </fieldset>
    <fieldset class="cs-group cs-failures"><legend>Failures</legend>
      <div class="cs-buttons">{failures}</div>
    </fieldset>
    <fieldset class="cs-group cs-arch"><legend>Architecture</legend>
      <div class="cs-field"><label for="architecture">Design</label><select id="architecture" class="cs-wide">{designs}<option value="custom" disabled>custom (built live)</option></select></div>
      <p id="architecture-description" class="cs-desc"></p>
      <div class="cs-row">
        <button type="button" id="add-shard" title="A new empty Redis shard joins: the keys the router now sends to it miss until they are filled again">Add shard</button>
        <button type="button" id="remove-shard" title="The highest-numbered shard leaves, with its keys">Remove shard</button>
        <output id="shards-value" for="add-shard remove-shard"></output>
      </div>
      <label class="cs-check" title="A CacheProxyService between the pods and the shards: every Redis command passes through it"><input type="checkbox" id="proxy"> CacheProxyService in front of the shards</label>
      <label class="cs-check" title="The proxy coalesces concurrent misses on one key across every pod: one DB query"><input type="checkbox" id="proxy-single-flight"> Proxy single-flight (across every pod)</label>
      <div class="cs-field"><label for="router">Router</label><select id="router" class="cs-wide"><option value="ring">consistent-hash ring</option><option value="mod-n">hash mod N</option></select></div>
      <label class="cs-check" title="After a shard restarts cold, it reads that shard's hottest keys from the DB and SETs them"><input type="checkbox" id="warmup"> Warm-up worker (reloads a restarted shard)</label>
      <label class="cs-check" title="V2: GETs are spread over each shard's primary and replicas (off: every GET goes to the primary)"><input type="checkbox" id="replica-reads"> Read from replicas (V2)</label>
      <div class="cs-row"><button type="button" id="open-compare" title="Run V0, V1 and V2 on this scenario's traffic and faults, and compare them">Compare V0 / V1 / V2</button></div>
    </fieldset>
    <fieldset class="cs-group cs-params"><legend>Traffic and cache</legend>
      <div class="cs-field"><label for="rps">Client RPS</label><input id="rps" type="range" min="0" max="1000" step="1"><output id="rps-value" for="rps"></output></div>
      <div class="cs-field"><label for="hit-rate">Target hit rate</label><input id="hit-rate" type="range" min="50" max="99" step="1"><output id="hit-rate-value" for="hit-rate"></output></div>
      <p id="hit-rate-note" class="cs-desc cs-hit-note" aria-live="polite"></p>
      <div class="cs-field"><label for="memory-gb">Cache memory (GB)</label><input id="memory-gb" type="number" min="0.01" max="1024" step="0.01" inputmode="decimal"><output id="memory-gb-value" for="memory-gb"></output></div>
      <div class="cs-field"><label for="ttl">TTL (seconds)</label><input id="ttl" type="number" min="1" max="86400" step="1" inputmode="numeric"><output id="ttl-value" for="ttl"></output></div>
      <div class="cs-field"><label for="eviction">Eviction policy</label><select id="eviction" class="cs-wide"><option value="noeviction">noeviction</option><option value="allkeys-lru">allkeys-lru</option></select></div>
      <div class="cs-field"><label for="pods">AppService pods</label><input id="pods" type="range" min="1" max="16" step="1"><output id="pods-value" for="pods"></output></div>
      <label class="cs-check" title="The seed's scaling rule: when the pods' CPU stays above 70% for 3 minutes in a row, the deployment doubles (new pods start in 45 s and join when the LB's health checks pass)"><input type="checkbox" id="autoscale"> Autoscale pods (CPU &gt; 70% for 3 min)</label>
      <label class="cs-check" title="Like Go's singleflight: a pod's first miss on a key queries the DB and backfills; its other misses on that key wait for that result instead of querying"><input type="checkbox" id="single-flight"> Single-flight: coalesce a pod's concurrent misses on a key</label>
    </fieldset>
    <fieldset id="mitigations" class="cs-group"><legend>The seed's mitigations</legend>
      <label class="cs-check" title="Per pod, on Redis and on the DB: when 20 calls in a second failed (and half of them) it opens for 5 s; reads skip Redis and at most 600 missed reads/s per pod reach the DB, the rest get a fast degradation error"><input type="checkbox" id="mit-circuit-breaker"> Circuit breaker</label>
      <label class="cs-check" title="A cold restart loads the last snapshot (every 5 min) instead of starting empty; values changed since come back stale"><input type="checkbox" id="mit-rdb"> RDB snapshots</label>
      <label class="cs-check" title="Transaction pooling: the pods' connections end at PgBouncer, which keeps at most 100 connections to PostgreSQL"><input type="checkbox" id="mit-pgbouncer"> PgBouncer</label>
      <label class="cs-check" title="A lost SET/DEL after a DB write is retried as a DEL with exponential backoff (50 ms doubling to 2 s, up to 10 times)"><input type="checkbox" id="mit-invalidation-retry"> Retry lost invalidations</label>
      <label class="cs-check" title="Each pod keeps the 100 hottest keys in-process for 5 s: hot reads skip Redis, at the price of up to 5 s of staleness"><input type="checkbox" id="mit-hot-key-cache"> Hot-key local cache</label>
      <label class="cs-check" title="Each client may send 100 requests/s; the key-busting attacker's excess is refused with 429 at the LB"><input type="checkbox" id="mit-client-rate-limit"> Per-client rate limit</label>
    </fieldset>
    <fieldset class="cs-group cs-scenario"><legend>Scenario</legend>
      <div class="cs-field"><label for="preset">Preset</label><select id="preset" class="cs-wide"></select></div>
      <p id="preset-description" class="cs-desc"></p>
      <div class="cs-field"><label for="seed">Seed</label><input id="seed" class="cs-wide" type="number" min="0" step="1" inputmode="numeric"><button id="seed-random" type="button" title="Restart with a random seed: the same scenario, other random draws">New seed</button></div>
    </fieldset>
    <fieldset class="cs-group cs-share"><legend>Share and export</legend>
      <div class="cs-row">
        <button type="button" id="copy-link">Copy link</button>
        <button type="button" id="export-csv">Export CSV</button>
        <button type="button" id="export-png">Charts as PNG</button>
        <button type="button" id="export-scenario" title="The run as a JSON scenario file, live changes included: load it here again, or run it with the cachesim CLI">Save scenario</button>
        <button type="button" id="load-scenario" title="Run a JSON scenario file (saved here, or written for the cachesim CLI)">Load scenario…</button>
        <input id="scenario-file" type="file" accept=".json,application/json" hidden>
      </div>
      <label class="cs-sr-only" for="share-url">Share link</label>
      <input id="share-url" type="text" readonly placeholder="The share link appears here">
    </fieldset>
  </aside>
  <section class="cs-charts" aria-label="Charts over the last 120 simulated seconds">{charts}</section>
</div>
<pre id="state-json" hidden aria-hidden="true"></pre>
</div>"##,
        load_tip = crate::dbfig::LOAD_TOOLTIP
    )
}

/// The comparison view's charts: id, title.
pub const COMPARE_CHARTS: &[(&str, &str)] = &[
    ("compare-hit-rate", "Read hit rate (%)"),
    (
        "compare-db",
        "DB work offered vs the DB's capacity (in 12 ms SELECTs/s)",
    ),
    (
        "compare-p99",
        "p99 latency, errors included (ms, log scale)",
    ),
    ("compare-errors", "Errors per second"),
];

/// The comparison view (hidden until opened): progress, the charts of the
/// three designs overlaid, the table beside the seed's.
fn compare_markup() -> String {
    let mut charts = String::new();
    for (id, title) in COMPARE_CHARTS {
        charts.push_str(&format!(
            "<figure class=\"cs-chart\"><figcaption>{title}</figcaption><canvas id=\"{id}\" role=\"img\" aria-label=\"{title}: V0, V1 and V2 over the whole run\"></canvas></figure>"
        ));
    }
    format!(
        r##"<section id="compare" class="cs-compare" aria-label="V0, V1 and V2 compared on the same traffic" hidden>
  <div class="cs-compare-head">
    <h2 id="compare-title">V0 / V1 / V2 on the same traffic</h2>
    <div class="cs-row">
      <button type="button" id="compare-copy-link">Copy link</button>
      <button type="button" id="compare-close">Back to the simulator</button>
    </div>
  </div>
  <p id="compare-desc" class="cs-desc"></p>
  <div class="cs-compare-progress"><progress id="compare-progress" max="1" value="0"></progress> <span id="compare-status" aria-live="polite"></span></div>
  <label class="cs-sr-only" for="compare-share-url">Link to this comparison</label>
  <input id="compare-share-url" type="text" readonly>
  <div class="cs-compare-charts">{charts}</div>
  <div class="cs-table-wrap"><table id="compare-table" class="cs-compare-table"></table></div>
</section>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contract_id_is_in_the_markup_once() {
        let m = markup();
        let ids = [
            "arch-canvas",
            "rps",
            "rps-value",
            "hit-rate",
            "memory-gb",
            "ttl",
            "eviction",
            "pods",
            "seed",
            "seed-random",
            "preset",
            "preset-description",
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
            "export-scenario",
            "single-flight",
            "autoscale",
            "mitigations",
            "mit-circuit-breaker",
            "mit-rdb",
            "mit-pgbouncer",
            "mit-invalidation-retry",
            "mit-hot-key-cache",
            "mit-client-rate-limit",
            "load-scenario",
            "scenario-file",
            "message",
            "panic-banner",
            "state-json",
            "components",
            "architecture",
            "architecture-description",
            "add-shard",
            "remove-shard",
            "shards-value",
            "proxy",
            "proxy-single-flight",
            "router",
            "warmup",
            "shard-buttons",
            "open-full",
            "hit-rate-note",
            "live-strip",
            "show-p95",
            "next-event",
            "btn-stop-stream",
            "replica-reads",
            "bill",
            "open-compare",
            "compare",
            "compare-close",
            "compare-copy-link",
            "compare-share-url",
            "compare-progress",
            "compare-status",
            "compare-table",
            "compare-hit-rate",
            "compare-db",
            "compare-p99",
            "compare-errors",
        ];
        for id in ids {
            assert_eq!(m.matches(&format!("id=\"{id}\"")).count(), 1, "{id}");
        }
        for (c, _) in COMPONENTS {
            assert!(m.contains(&format!("data-component=\"{c}\"")));
        }
    }
}
