// Shared harness of the end-to-end tests: the built page (dist/), a tiny
// static server on 127.0.0.1, headless Chromium through playwright-core, the
// `#state-json` reader, polling, and screenshots named by step.
//
// The tests expect `dist/` to be built (`trunk build --release`, as
// scripts/test.sh does before them). When dist/index.html is missing, or older
// than the page's sources, the harness runs `trunk build --release` itself
// once, so `npm run test:e2e` also works alone. CACHESIM_E2E_NO_BUILD=1 skips
// that (tests whatever dist/ holds).
//
// The docs site's tests (docs.test.mjs) serve dist-docs/ instead: built by
// scripts/docs.sh (scripts/test.sh's docs stage), or by the harness once when
// dist-docs/index.html is missing (not with CACHESIM_E2E_NO_BUILD=1).
//
// Environment: CHROMIUM (default /usr/bin/chromium), CACHESIM_E2E_NO_BUILD=1,
// CACHESIM_E2E_DIST (serve another built folder instead of dist/; never built),
// CACHESIM_E2E_DOCS (another built docs folder instead of dist-docs/; never built).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = process.env.CACHESIM_E2E_DIST ? path.resolve(process.env.CACHESIM_E2E_DIST) : path.join(ROOT, 'dist');
export const SHOTS = path.join(ROOT, 'tests', 'screenshots');
export const DIST_DOCS = process.env.CACHESIM_E2E_DOCS ? path.resolve(process.env.CACHESIM_E2E_DOCS) : path.join(ROOT, 'dist-docs');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** The flags this machine's Chromium needs (see the toolchain notes). Playwright
 * adds a fresh temporary `--user-data-dir` of its own at every launch. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The DB's capacity in queries per second (24 workers / 12 ms SELECTs), the seed's number. */
export const DB_CAPACITY = 2000;

/**
 * The DB's load as the page shows it ("DB at 2.6x capacity"): the busy
 * fraction of its workers scaled by the queries offered per query served
 * (web/src/explain.rs, db_load). Above 1 the DB is offered more than it serves.
 */
export function dbLoad(last) {
  if (!last) return 0;
  if (last.db_queries > 0) return last.db_utilization * (Math.max(last.db_offered, last.db_queries) / last.db_queries);
  return last.db_offered / DB_CAPACITY;
}

/** Equal within a microsecond (simulated times are integer nanoseconds). */
export function sameTime(a, b) {
  return Math.abs(a - b) < 1e-6;
}

// ----- the build -------------------------------------------------------------

/** Newest modification time (ms) of the files under the given paths. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    } else {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  paths.forEach(visit);
  return newest;
}

/** Builds dist/ with Trunk when it is missing or older than the page's sources. */
export function ensureDist() {
  const index = path.join(DIST, 'index.html');
  const sources = ['index.html', 'Trunk.toml', 'Cargo.lock', 'web/src', 'web/style.css', 'web/assets', 'web/Cargo.toml', 'crates/core/src']
    .map((p) => path.join(ROOT, p));
  let why = null;
  if (!fs.existsSync(index)) {
    why = 'dist/index.html is missing';
  } else if (newestMtime(sources) > fs.statSync(index).mtimeMs) {
    why = 'dist/ is older than the page sources';
  }
  if (!why) return;
  if (process.env.CACHESIM_E2E_NO_BUILD === '1' || process.env.CACHESIM_E2E_DIST) {
    if (!fs.existsSync(index)) throw new Error(`${why} (${DIST}) and no build asked for: run \`trunk build --release\` first`);
    process.stderr.write(`# e2e: ${why}; testing it anyway\n`);
    return;
  }
  // test files may run in parallel processes: one builds, the others wait for it
  const lock = path.join(ROOT, 'target', 'e2e-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  try {
    fs.mkdirSync(lock);
  } catch {
    const t0 = Date.now();
    const stale = () => { try { return Date.now() - fs.statSync(lock).mtimeMs > 20 * 60 * 1000; } catch { return false; } };
    while (fs.existsSync(lock) && !stale() && Date.now() - t0 < 30 * 60 * 1000) spawnSync('sleep', ['1']);
    if (stale()) fs.rmSync(lock, { recursive: true, force: true });
    return ensureDist();
  }
  try {
    // Trunk's output goes to stderr: stdout is the test runner's report
    process.stderr.write(`# e2e: ${why}: running trunk build --release\n`);
    const r = spawnSync('trunk', ['build', '--release'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr], timeout: 30 * 60 * 1000 });
    if (r.error) throw new Error(`could not run trunk build --release: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`trunk build --release failed (exit ${r.status})`);
    if (!fs.existsSync(index)) throw new Error('trunk build --release produced no dist/index.html');
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds dist-docs/ with scripts/docs.sh when it is missing (never when told not to build). */
export function ensureDocs() {
  const index = path.join(DIST_DOCS, 'index.html');
  if (fs.existsSync(index)) return;
  if (process.env.CACHESIM_E2E_NO_BUILD === '1' || process.env.CACHESIM_E2E_DOCS) {
    throw new Error(`${index} is missing and no build asked for: run ./scripts/docs.sh first`);
  }
  process.stderr.write('# e2e: dist-docs/index.html is missing: running scripts/docs.sh --no-setup\n');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'docs.sh'), '--no-setup'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr], timeout: 30 * 60 * 1000 });
  if (r.error) throw new Error(`could not run scripts/docs.sh: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`scripts/docs.sh failed (exit ${r.status})`);
  if (!fs.existsSync(index)) throw new Error('scripts/docs.sh produced no dist-docs/index.html');
}

// ----- the static server -----------------------------------------------------

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Serves dist/ on 127.0.0.1 at a free port. Resolves to { url, close() }. */
export function serveDist(dir = DIST) {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, '.' + rel);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      res.writeHead(200, {
        'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

// ----- the browser -----------------------------------------------------------

/**
 * Everything a test file needs: the build, the server, Chromium. Call once in
 * `before`, and `close()` in `after`. `{ docs: true }` serves dist-docs/.
 */
export async function startHarness({ docs = false } = {}) {
  if (docs) ensureDocs();
  else ensureDist();
  fs.mkdirSync(SHOTS, { recursive: true });
  const server = await serveDist(docs ? DIST_DOCS : DIST);
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    url: server.url,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}

/**
 * Opens a page at `query` (e.g. '?embed') and waits for the app to mount and
 * publish its first state. Page errors and console errors are collected in
 * `page.problems` (the tests assert on them).
 */
export async function openPage(h, query = '', { width = 1280, height = 900, dpr = 1 } = {}) {
  const context = await h.browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // failed loads are reported with their URL by the 'response' handler below
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    // the browser asks for /favicon.ico by itself; the page links none
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.setDefaultTimeout(30_000);
  await page.goto(h.url + query, { waitUntil: 'load', timeout: 60_000 });
  await waitState(page, (s) => typeof s.now_s === 'number', { what: 'the app to mount and publish #state-json', timeout: 60_000 });
  return page;
}

export async function closePage(page) {
  await page.context().close().catch(() => {});
}

// ----- the state JSON --------------------------------------------------------

/** `#state-json` parsed, or null while it is empty or not there. */
export async function readState(page) {
  const text = await page.evaluate(() => document.getElementById('state-json')?.textContent ?? '');
  if (!text.trim()) return null;
  return JSON.parse(text);
}

function brief(s) {
  if (!s) return 'no state yet';
  const l = s.last || {};
  return JSON.stringify({
    now_s: s.now_s, paused: s.paused, speed: s.speed, preset: s.preset,
    cache_up: s.status?.cache_up, rps: s.status?.rps,
    last: s.last ? { t_s: l.t_s, arrived: l.arrived, hit_rate: l.hit_rate, db_offered: l.db_offered, failed: l.failed } : null,
    totals: s.totals ? { requests: s.totals.requests, errors: s.totals.errors } : null,
  });
}

/**
 * Polls `#state-json` until `pred(state)` is truthy; returns that state. On a
 * time-out, fails naming what it waited for and the last state seen. Never
 * assumes any wall-clock speed of the simulation: only the timeout is wall time.
 */
export async function waitState(page, pred, { what = 'a condition', timeout = 45_000, every = 200 } = {}) {
  const t0 = Date.now();
  let last = null;
  let err = null;
  for (;;) {
    try {
      last = await readState(page);
      if (last && pred(last)) return last;
      err = null;
    } catch (e) {
      err = e;
    }
    if (Date.now() - t0 > timeout) {
      const extra = page.problems?.length ? `\npage problems: ${page.problems.join(' | ')}` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last state: ${brief(last)}${err ? `; last error: ${err.message}` : ''}${extra}`);
    }
    await page.waitForTimeout(every);
  }
}

/** Polls a function of the page (evaluated in it) until truthy; returns its value. */
export async function waitPage(page, fn, arg, { what = 'a condition', timeout = 30_000 } = {}) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 200 }).catch((e) => {
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  });
  return handle.jsonValue();
}

// ----- screenshots and canvases ----------------------------------------------

/** Saves tests/screenshots/NAME.png (full page) and returns its path. */
export async function shot(page, name, { fullPage = true } = {}) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/**
 * Pixel statistics of a canvas: size, how many distinct colours (quantised)
 * and the fraction of pixels that differ from the top-left pixel.
 */
export async function canvasStats(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    if (!c) return null;
    const out = { width: c.width, height: c.height, colors: 0, nonBackground: 0 };
    if (!c.width || !c.height) return out;
    // copy into a 2d canvas: works whatever context the page drew with
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const bg = [d[0], d[1], d[2], d[3]];
    const colors = new Set();
    let differ = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) + Math.abs(d[i + 3] - bg[3]) > 24) differ++;
      if (colors.size < 4096) colors.add((d[i] >> 4) << 12 | (d[i + 1] >> 4) << 8 | (d[i + 2] >> 4) << 4 | (d[i + 3] >> 4));
    }
    out.colors = colors.size;
    out.nonBackground = differ / n;
    return out;
  }, selector);
}

/** Whether an element is rendered (has a box and is not hidden). */
export async function isVisible(page, selector) {
  return page.locator(selector).first().isVisible();
}

// ----- controls ----------------------------------------------------------------

/** Chooses a playback speed as a user would (the `#speed` select). */
export async function setSpeed(page, speed) {
  await page.locator('#speed').selectOption(String(speed));
  await waitState(page, (s) => s.speed === speed, { what: `speed ${speed}x in the state`, timeout: 15_000 });
}

/** Pauses (if running) with the play/pause button; returns the paused state. */
export async function pause(page) {
  const s = await readState(page);
  if (!s.paused) await page.locator('#play-pause').click();
  return waitState(page, (x) => x.paused === true, { what: 'the run to pause', timeout: 15_000 });
}

/** Resumes (if paused) with the play/pause button. */
export async function play(page) {
  const s = await readState(page);
  if (s.paused) await page.locator('#play-pause').click();
  return waitState(page, (x) => x.paused === false, { what: 'the run to resume', timeout: 15_000 });
}

/** Fails with the page's errors, if any were collected. */
export function assertNoPageProblems(assert, page, ignore = []) {
  const real = page.problems.filter((p) => !ignore.some((re) => re.test(p)));
  assert.deepEqual(real, [], `the page reported errors:\n${real.join('\n')}`);
}

/**
 * A suite's harness, registered as its before/after hooks: started before
 * its tests; every page `open` gave is closed after them, then the harness.
 */
export function pageSuite() {
  let h;
  const pages = [];
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    for (const p of pages) await closePage(p);
    if (h) await h.close();
  });
  return {
    async open(query, opts) {
      const p = await openPage(h, query, opts);
      pages.push(p);
      return p;
    },
    url: () => h.url,
  };
}
