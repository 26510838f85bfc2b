// The page's frame times in headless Chromium, over 600+ frames at 1x, at 10K
// RPS and at the page's maximum RPS (and V2 at the seed's 500K), after an
// empty page with an empty animation loop in the same browser (the floor
// under the page's). Also the wasm bundle's size, raw and gzipped (-9).
// Prints numbers, asserts nothing.
//
// Per frame it records:
//   * the frame's timestamp (the argument of requestAnimationFrame: when the
//     browser began the frame). Its intervals are the frame intervals: 16.7 ms
//     when every frame is made, 33 ms and more when one is missed. "over 25 ms"
//     (1.5 frames) counts the missed ones.
//   * when the page's callback started (performance.now()). The intervals of
//     these (what this script measured before 2026-12-02) add the main
//     thread's jitter in starting the callbacks: two frames 16.7 ms apart can
//     show 18 and 15.4 ms. Printed as "callback start".
//   * the main thread's busy time inside the callback (simulation step,
//     canvas, charts), and until the frame's rendering (style, layout, paint,
//     the canvases' commit) is done: a message posted at the end of the
//     callback runs after it.
//
//   node scripts/bench-page.mjs        (needs dist/: trunk build --release;
//                                       CACHESIM_E2E_DIST=DIR measures another build)

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST, startHarness } from '../tests/e2e/harness.mjs';

const FRAMES = 660; // the first 60 are dropped (start-up)
const MAX_WEB_RPS = 200000; // the RPS slider's maximum (web/src/format.rs)
const MISSED_MS = 25; // 1.5 x 16.7 ms: a frame interval this long missed a frame

function pct(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

// wraps requestAnimationFrame: per frame [timestamp, callback start, callback
// duration, end of the frame's rendering (filled in by the message)]
const probe = () => {
  const raf = window.requestAnimationFrame.bind(window);
  window.__frames = [];
  const channel = new MessageChannel();
  const open = [];
  channel.port1.onmessage = () => {
    const f = open.shift();
    if (f) f[3] = performance.now();
  };
  window.requestAnimationFrame = (cb) =>
    raf((ts) => {
      const t0 = performance.now();
      cb(ts);
      const f = [ts, t0, performance.now() - t0, NaN];
      window.__frames.push(f);
      open.push(f);
      channel.port2.postMessage(0);
    });
};

// `rps` 0: no simulator, an empty page with an empty animation loop: the
// browser's own frame intervals, the floor under the page's.
async function frames(h, rps, preset) {
  const scenario = Buffer.from(JSON.stringify({ client: { rps } })).toString('base64url');
  const context = await h.browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(probe);
  const page = await context.newPage();
  const query = preset ? `?preset=${preset}&speed=1` : `?s=${scenario}&speed=1`;
  if (rps === 0) {
    await page.goto('about:blank'); // the init script's probe is in it
    await page.evaluate(() => {
      const loop = () => window.requestAnimationFrame(loop);
      loop();
    });
  } else {
    await page.goto(`${h.url}${query}`, { waitUntil: 'load' });
  }
  await page.waitForFunction((n) => window.__frames && window.__frames.length >= n, FRAMES, { timeout: 120_000, polling: 500 });
  const f = (await page.evaluate(() => window.__frames)).slice(60, FRAMES);
  const state = JSON.parse(await page.evaluate(() => document.getElementById('state-json')?.textContent || '{}'));
  const simulated = state.now_s ?? NaN;
  await context.close();
  const gaps = f.slice(1).map((x, i) => x[0] - f[i][0]);
  const starts = f.slice(1).map((x, i) => x[1] - f[i][1]);
  const busy = f.map((x) => x[2]);
  const rendered = f.filter((x) => Number.isFinite(x[3])).map((x) => x[3] - x[1]);
  const ms = (x) => `${x.toFixed(1)} ms`;
  const share = (xs, over) => `${((100 * xs.filter((x) => x > over).length) / xs.length).toFixed(1)}%`;
  // real time: the simulated seconds the measured frames covered, per wall second
  const wall = (f[f.length - 1][1] - f[0][1]) / 1000;
  const label = rps === 0 ? 'empty page' : preset ? `${preset} (${rps} RPS)` : `${rps} RPS`;
  const r = { p95: pct(gaps, 0.95), start95: pct(starts, 0.95) };
  const vs = (x, floor) => (floor === undefined ? '' : ` (${x - floor >= 0 ? '+' : ''}${(x - floor).toFixed(1)} over the empty page)`);
  console.log(
    `page    ${label} at 1x, ${wall.toFixed(1)} s of wall time, ${f.length} frames` +
      (rps === 0 ? '' : `, ${simulated.toFixed(1)} simulated s at the end`) +
      `\n          frame interval median ${ms(pct(gaps, 0.5))} p95 ${ms(r.p95)}${vs(r.p95, h.floor?.p95)}` +
      `, over 16.7 ms ${share(gaps, 16.7)}, over ${MISSED_MS} ms (a missed frame) ${share(gaps, MISSED_MS)}, over 33 ms ${share(gaps, 33.4)}` +
      `\n          callback start interval median ${ms(pct(starts, 0.5))} p95 ${ms(r.start95)}${vs(r.start95, h.floor?.start95)}` +
      `\n          busy per frame median ${ms(pct(busy, 0.5))} p95 ${ms(pct(busy, 0.95))}` +
      `; with the frame's rendering median ${ms(pct(rendered, 0.5))} p95 ${ms(pct(rendered, 0.95))}`,
  );
  return r;
}

const wasm = fs.readdirSync(path.join(DIST)).find((f) => f.endsWith('.wasm'));
const bytes = fs.readFileSync(path.join(DIST, wasm));
const gz = zlib.gzipSync(bytes, { level: 9 });
console.log(
  `bundle  ${wasm}: ${(bytes.length / 1024).toFixed(0)} KB raw, ${(gz.length / 1024).toFixed(0)} KB gzipped` +
    ` (${bytes.length} / ${gz.length} bytes; Node's zlib at level 9, a few KB above the gzip command's -9)`,
);

const h = await startHarness();
try {
  h.floor = await frames(h, 0);
  await frames(h, 10000);
  await frames(h, MAX_WEB_RPS);
  // V2 at the seed's 500K: does the tab keep up with real time?
  await frames(h, 500000, 'v2-500k');
} finally {
  await h.close();
}
