// The docs site (dist-docs/, built by scripts/docs.sh): the book loads, its
// numbers were all filled in, each chapter embeds the simulator, an embed
// runs and its failure button works inside the iframe, an embed scrolled out
// of view pauses and resumes when scrolled back, its keys stay inside it, it
// fits its iframe without scrollbars (820 x 560 and phone width), and the
// site asks nothing of any host but this machine.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIST_DOCS, readState, shot, startHarness } from './harness.mjs';

/** Hosts a page of the site may ask for: this machine, and inline data. */
function offMachine(url) {
  if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank' || url.startsWith('about:srcdoc')) return false;
  let u;
  try {
    u = new URL(url);
  } catch {
    return true;
  }
  return !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** A new context whose every request (main page and iframes) is recorded. */
async function openChapter(h, file, { width = 1280, height = 900 } = {}) {
  const context = await h.browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.requests = [];
  page.problems = [];
  context.on('request', (r) => page.requests.push(r.url()));
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(`console.error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.setDefaultTimeout(30_000);
  await page.goto(h.url + file, { waitUntil: 'load', timeout: 60_000 });
  return page;
}

/** The n-th embed of the page: scrolled into view, its app mounted; returns its Frame. */
async function embedFrame(page, n = 0) {
  const iframe = page.locator('.sim-embed iframe').nth(n);
  await iframe.scrollIntoViewIfNeeded();
  const handle = await iframe.elementHandle();
  let frame = null;
  for (let i = 0; i < 150 && !frame; i++) {
    frame = await handle.contentFrame();
    if (!frame) await page.waitForTimeout(200);
  }
  assert.ok(frame, 'the iframe has a document');
  await waitFrame(page, frame, (s) => typeof s.now_s === 'number', 'the embedded app to publish #state-json', 60_000);
  return frame;
}

/** Polls the frame's #state-json until `pred` holds; returns that state. */
async function waitFrame(page, frame, pred, what, timeout = 45_000) {
  const t0 = Date.now();
  let last = null;
  for (;;) {
    try {
      last = await readState(frame);
      if (last && pred(last)) return last;
    } catch {
      // not loaded yet
    }
    if (Date.now() - t0 > timeout) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last state: now_s=${last?.now_s} paused=${last?.paused}; problems: ${page.problems.join(' | ')}`);
    }
    await page.waitForTimeout(200);
  }
}

/** Whether the frame's document scrolls (in either direction). */
function scrollbars(frame) {
  return frame.evaluate(() => {
    const d = document.documentElement;
    return { x: d.scrollWidth > d.clientWidth, y: d.scrollHeight > d.clientHeight, sh: d.scrollHeight, ch: d.clientHeight, sw: d.scrollWidth, cw: d.clientWidth };
  });
}

function assertOnMachine(page) {
  assert.ok(page.requests.length > 0, 'requests were recorded');
  const off = page.requests.filter(offMachine);
  assert.deepEqual(off, [], `requests off the machine:\n${off.join('\n')}`);
}

describe('the docs site', () => {
  let h;
  before(async () => {
    h = await startHarness({ docs: true });
  });
  after(async () => {
    await h?.close();
  });

  test('every chapter was built with its numbers and an embed', () => {
    const summary = fs.readFileSync(path.join(DIST_DOCS, 'toc.html'), 'utf8');
    const chapters = [...summary.matchAll(/href="([a-z-]+\.html)"/g)].map((m) => m[1]).filter((f, i, a) => a.indexOf(f) === i);
    assert.ok(chapters.length >= 10, `chapters in the table of contents: ${chapters.join(', ')}`);
    for (const file of chapters) {
      const html = fs.readFileSync(path.join(DIST_DOCS, file), 'utf8');
      assert.ok(!/\{\{\s*sim/.test(html), `${file} still has a {{sim...}} placeholder`);
      if (file !== 'intro.html') assert.match(html, /<iframe src="app\/\?embed&amp;(preset|s)=/, `${file} embeds the simulator`);
    }
    assert.ok(fs.existsSync(path.join(DIST_DOCS, 'app', 'index.html')), 'the app is in dist-docs/app/');
  });

  test('the book loads; the cache-crash chapter runs its embed, whose crash button works, paused out of view', async () => {
    const page = await openChapter(h, 'index.html');
    await page.locator('main h1').first().waitFor();
    assert.match(await page.locator('main').innerText(), /Where the numbers come from/);
    await page.goto(h.url + 'cache-crash.html', { waitUntil: 'load' });
    assert.match(await page.locator('main h1').first().innerText(), /cache crash/i);
    const frame = await embedFrame(page, 0);
    const s0 = await readState(frame);
    assert.equal(s0.preset, 'cache-crash');
    const s1 = await waitFrame(page, frame, (s) => s.now_s > s0.now_s + 0.5, 'simulated time to advance in the embed');
    assert.equal(s1.paused, false);

    // fits its 820 x 560 iframe without scrollbars
    const box = await page.locator('.sim-embed iframe').first().boundingBox();
    assert.ok(Math.abs(box.width - 820) <= 2 && Math.abs(box.height - 560) <= 2, `iframe box ${JSON.stringify(box)}`);
    const sb = await scrollbars(frame);
    assert.ok(!sb.x && !sb.y, `no scrollbars inside the iframe: ${JSON.stringify(sb)}`);

    // the failure button, inside the iframe
    await frame.locator('#btn-crash').click();
    const crashed = await waitFrame(page, frame, (s) => s.status?.cache_up === false, 'the cache to be down after Crash cache');
    await waitFrame(page, frame, (s) => s.now_s > crashed.now_s + 1 && s.last && s.last.db_offered > 5000,
      'the herd on the DB (db_offered > 5000/s) after the crash');
    await shot(page, 'docs-1-cache-crash-chapter', { fullPage: false });

    // scrolled out of view: simulated time stops
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForFunction(() => document.querySelector('.sim-embed iframe').getBoundingClientRect().top > window.innerHeight);
    await page.waitForTimeout(600);
    const away = await readState(frame);
    await page.waitForTimeout(2000);
    const still = await readState(frame);
    assert.equal(still.now_s, away.now_s, `out of view the embed is paused (now_s ${away.now_s} -> ${still.now_s})`);
    assert.equal(still.paused, false, 'the user pause is not touched');
    // and back in view: it runs again
    await page.locator('.sim-embed iframe').first().scrollIntoViewIfNeeded();
    await waitFrame(page, frame, (s) => s.now_s > still.now_s + 0.5, 'simulated time to advance again in view');

    assertOnMachine(page);
    assert.deepEqual(page.problems, [], page.problems.join('\n'));
    await page.context().close();
  });

  test("an embed's keys stay inside it, and the host page's keys are the host's", async () => {
    const page = await openChapter(h, 'hot-key.html');
    const frame = await embedFrame(page, 0);
    // a key aimed at the host page: the embed does not pause, the host scrolls
    await page.locator('main h1').first().click();
    const y0 = await page.evaluate(() => window.scrollY);
    const before = await readState(frame);
    await page.keyboard.press('Space');
    await page.waitForTimeout(400);
    assert.equal((await readState(frame)).paused, before.paused, 'Space on the host page does not reach the embed');
    assert.ok((await page.evaluate(() => window.scrollY)) > y0, 'Space on the host page still scrolls it');
    // a key aimed at the simulator: a click on its canvas, then Space pauses it
    await page.locator('.sim-embed iframe').first().scrollIntoViewIfNeeded();
    await frame.locator('#arch-canvas').click();
    const yIn = await page.evaluate(() => window.scrollY);
    await page.keyboard.press('Space');
    await waitFrame(page, frame, (s) => s.paused === true, 'Space inside the embed to pause it');
    assert.equal(await page.evaluate(() => window.scrollY), yIn, 'Space inside the embed does not scroll the host');
    await page.keyboard.press('Space');
    await waitFrame(page, frame, (s) => s.paused === false, 'Space inside the embed to resume it');
    assertOnMachine(page);
    assert.deepEqual(page.problems, [], page.problems.join('\n'));
    await page.context().close();
  });

  test('the single-flight chapter embeds the hot-key scenario with single-flight on (the share-link state)', async () => {
    const page = await openChapter(h, 'single-flight.html');
    const frame = await embedFrame(page, 0);
    const s = await waitFrame(page, frame, (x) => x.now_s > 1, 'the single-flight embed to run');
    assert.equal(s.preset, 'hot-key');
    assert.equal(s.scenario.app.single_flight, true, 'the embed runs with single-flight on');
    assert.equal(await frame.locator('#single-flight').isChecked(), true);
    // its hot-key button toggles inside the iframe
    await frame.locator('#btn-hot-key').click();
    assert.equal(await frame.locator('#btn-hot-key').getAttribute('aria-pressed'), 'true');
    assertOnMachine(page);
    assert.deepEqual(page.problems, [], page.problems.join('\n'));
    await page.context().close();
  });

  test('at phone width the embed fits its iframe without scrollbars', async () => {
    const page = await openChapter(h, 'key-busting.html', { width: 375, height: 800 });
    const frame = await embedFrame(page, 0);
    await waitFrame(page, frame, (x) => x.now_s > 0.5, 'the phone-width embed to run');
    const box = await page.locator('.sim-embed iframe').first().boundingBox();
    assert.ok(box.width < 375, `the iframe is narrower than the phone: ${JSON.stringify(box)}`);
    const sb = await scrollbars(frame);
    assert.ok(!sb.x && !sb.y, `no scrollbars inside the phone-width iframe: ${JSON.stringify(sb)}`);
    const hostX = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
    assert.equal(hostX, false, 'the chapter itself does not scroll sideways');
    await page.locator('.sim-embed iframe').first().screenshot({ path: path.join(path.dirname(DIST_DOCS), 'tests', 'screenshots', 'docs-2-phone-embed.png') });
    assertOnMachine(page);
    assert.deepEqual(page.problems, [], page.problems.join('\n'));
    await page.context().close();
  });
});
