// The page's frame times in headless Chromium: median and 95th percentile of
// the interval between animation frames, and of the main thread's busy time
// inside each frame callback (the simulation step, the drawing, the charts),
// over 600+ frames at 1x, at 10K RPS and at the page's maximum RPS. Also the
// wasm bundle's size, raw and gzipped (-9). Prints numbers, asserts nothing.
//
//   node scripts/bench-page.mjs        (needs dist/: trunk build --release)

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST, startHarness } from '../tests/e2e/harness.mjs';

const FRAMES = 660; // the first 60 are dropped (start-up)
const MAX_WEB_RPS = 200000; // the RPS slider's maximum (web/src/format.rs)

function pct(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

// wraps requestAnimationFrame so each callback's duration and start are recorded
const probe = () => {
  const raf = window.requestAnimationFrame.bind(window);
  window.__frames = [];
  window.requestAnimationFrame = (cb) =>
    raf((ts) => {
      const t0 = performance.now();
      cb(ts);
      window.__frames.push([t0, performance.now() - t0]);
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
  const busy = f.map((x) => x[1]);
  const ms = (x) => `${x.toFixed(1)} ms`;
  // real time: the simulated seconds the measured frames covered, per wall second
  const wall = (f[f.length - 1][0] - f[0][0]) / 1000;
  const label = rps === 0 ? 'empty page' : preset ? `${preset} (${rps} RPS)` : `${rps} RPS`;
  console.log(
    `page    ${label.padStart(6)} at 1x, ${wall.toFixed(1)} s of wall time  frame interval median ${ms(pct(gaps, 0.5))} p95 ${ms(pct(gaps, 0.95))}` +
      `  busy per frame median ${ms(pct(busy, 0.5))} p95 ${ms(pct(busy, 0.95))}  (${f.length} frames;` +
      (rps === 0 ? ')' : ` ${simulated.toFixed(1)} simulated s at the end)`),
  );
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
  await frames(h, 0);
  await frames(h, 10000);
  await frames(h, MAX_WEB_RPS);
  // V2 at the seed's 500K: does the tab keep up with real time?
  await frames(h, 500000, 'v2-500k');
} finally {
  await h.close();
}
