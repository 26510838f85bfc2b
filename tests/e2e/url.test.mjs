// What the URL can ask of the page: the compact `?embed` layout, and bad or
// hostile links, which must fall back to the defaults with a visible notice,
// inject nothing and never panic.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  assertNoPageProblems, canvasStats, isVisible, pageSuite, readState, setSpeed, shot, waitState,
} from './harness.mjs';

/** base64url (no padding) of a string, as the page's share links encode scenarios. */
const b64url = (text) => Buffer.from(text, 'utf8').toString('base64url');

/** Anything a hostile link could have injected into the document. */
async function injected(page) {
  return page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    imgs: document.querySelectorAll('img').length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.src || s.textContent.slice(0, 60)),
    handlers: [...document.querySelectorAll('[onerror],[onload],[onclick]')].map((e) => e.outerHTML.slice(0, 80)),
    iframes: document.querySelectorAll('iframe,object,embed').length,
  }));
}

describe('URL: embed and bad links', () => {
  const { open } = pageSuite();
  let clean; // a page with no query: the defaults, for comparison
  let cleanState;
  let cleanInjected;

  // after pageSuite's own hook has started the harness
  before(async () => {
    clean = await open('');
    cleanState = await waitState(clean, (s) => s.last !== null, { what: 'a first complete second', timeout: 60_000 });
    cleanInjected = await injected(clean);
  });

  test('6. ?embed: compact layout with the canvas, at 1280 px and on a 375 px phone', async () => {
    const e = await open('?embed');
    await waitState(e, (s) => s.last !== null, { what: 'a first complete second', timeout: 60_000 });
    assert.equal(await e.evaluate(() => document.body.classList.contains('embed')), true, 'body has class embed');
    assert.equal(await isVisible(e, '#arch-canvas'), true, 'the canvas is visible');
    const arch = await canvasStats(e, '#arch-canvas');
    assert.ok(arch.colors >= 8 && arch.nonBackground > 0.02, `the canvas is drawn: ${JSON.stringify(arch)}`);
    // compact: the parameter panel and the charts are hidden, the failures stay
    for (const id of ['#rps', '#preset', '#chart-hit-rate', '#chart-db', '#copy-link']) {
      assert.equal(await isVisible(e, id), false, `${id} hidden in embed`);
    }
    assert.equal(await isVisible(e, '#btn-crash'), true, 'the failure buttons stay');
    assert.equal(await isVisible(e, '#play-pause'), true, 'playback stays');
    const height = (p) => p.evaluate(() => document.documentElement.scrollHeight);
    const [hEmbed, hFull] = [await height(e), await height(clean)];
    assert.ok(hEmbed < hFull * 0.75, `embed is shorter than the full page: ${hEmbed} vs ${hFull} px`);
    await shot(e, '06a-embed-1280');
    assert.equal(await isVisible(e, '#panic-banner'), false);
    assertNoPageProblems(assert, e);

    const phone = await open('?embed', { width: 375, height: 700 });
    await waitState(phone, (s) => s.last !== null, { what: 'a first complete second', timeout: 60_000 });
    assert.equal(await isVisible(phone, '#arch-canvas'), true);
    const box = await phone.locator('#arch-canvas').boundingBox();
    assert.ok(box && box.width > 300 && box.x >= 0 && box.x + box.width <= 376, `the canvas fits the phone: ${JSON.stringify(box)}`);
    assert.ok(box.y < 200, `the canvas is near the top: ${JSON.stringify(box)}`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no sideways scrolling on a phone (${overflow} px too wide)`);
    const small = await canvasStats(phone, '#arch-canvas');
    assert.ok(small.colors >= 8 && small.nonBackground > 0.02, `the small canvas is drawn: ${JSON.stringify(small)}`);
    await shot(phone, '06b-embed-375x700', { fullPage: false });
    await shot(phone, '06c-embed-375-full');
    assert.equal(await isVisible(phone, '#panic-banner'), false);
    assertNoPageProblems(assert, phone);

    // the full page on a phone, for a look (its layout is not asserted here)
    const full = await open('', { width: 375, height: 700 });
    await waitState(full, (s) => s.last !== null, { what: 'a first complete second', timeout: 60_000 });
    await shot(full, '06d-full-page-375');
    // the Client box's one line with a hot key and an attack on top of the traffic, and errors
    await full.locator('#btn-hot-key').click();
    await full.locator('#btn-key-busting').click();
    await setSpeed(full, 10);
    await waitState(full, (s) => s.last && s.last.failed > 0 && s.status.hot_key_rate > 0 && s.status.attack_rate > 0, {
      what: 'errors under a hot key and an attack',
      timeout: 60_000,
    });
    await full.evaluate(() => window.scrollTo(0, 0));
    await shot(full, '06e-phone-hot-key-attack', { fullPage: false });
    assertNoPageProblems(assert, full);
  });

  /** Opens a bad link; checks the notice, the defaults, no injection, no panic. */
  async function badLink(query, name, messagePattern) {
    const p = await open(query);
    const s = await waitState(p, (x) => x.now_s > 0.5, { what: 'the default run to go on', timeout: 60_000 });
    assert.equal(await isVisible(p, '#message'), true, `${name}: #message is shown`);
    const msg = await p.locator('#message').evaluate((m) => ({ text: m.textContent, html: m.innerHTML, children: m.children.length }));
    assert.match(msg.text, messagePattern, `${name}: the notice names the problem: "${msg.text}"`);
    assert.match(msg.text, /steady|default/i, `${name}: the notice says what runs instead: "${msg.text}"`);
    assert.equal(msg.children, 0, `${name}: the notice is plain text`);
    assert.equal(s.preset, 'steady', `${name}: the default preset runs`);
    assert.deepEqual(s.scenario, cleanState.scenario, `${name}: the default scenario runs`);
    assert.equal(await p.locator('#preset').inputValue(), 'steady');
    assert.equal(await isVisible(p, '#panic-banner'), false, `${name}: no panic`);
    await p.waitForTimeout(300); // time for an injected onerror to fire, if any
    assert.deepEqual(await injected(p), cleanInjected, `${name}: nothing injected`);
    assertNoPageProblems(assert, p);
    return { page: p, msg };
  }

  test('6f. a high-DPI screen: every canvas is drawn at device pixels, not stretched', async () => {
    const p = await open('?preset=cache-crash&t=62', { width: 1280, height: 900, dpr: 2 });
    await waitState(p, (s) => s.last !== null && s.now_s > 62.5, { what: 'a second after the crash', timeout: 60_000 });
    await p.waitForTimeout(600); // a chart refresh
    for (const sel of ['#arch-canvas', '#chart-hit-rate', '#chart-db', '#chart-latency', '#chart-errors', '#chart-cache']) {
      const css = await p.locator(sel).evaluate((c) => ({ w: c.clientWidth, h: c.clientHeight }));
      const px = await canvasStats(p, sel);
      assert.ok(css.w > 100, `${sel} is laid out: ${JSON.stringify(css)}`);
      assert.ok(Math.abs(px.width - 2 * css.w) <= 2 && Math.abs(px.height - 2 * css.h) <= 2, `${sel} has 2x backing pixels: ${px.width}x${px.height} for ${css.w}x${css.h} CSS px`);
      assert.ok(px.colors >= 6 && px.nonBackground > 0.01, `${sel} is drawn: ${JSON.stringify(px)}`);
    }
    await shot(p, '06f-high-dpi', { fullPage: false });
    assertNoPageProblems(assert, p);
  });

  test('7a. ?s=%%%garbage: a notice, the defaults, no panic', async () => {
    const { page, msg } = await badLink('?s=%%%garbage', 'garbage', /scenario|link/i);
    assert.ok(msg.text.length < 600, 'the notice is short');
    await shot(page, '07a-bad-url-garbage');
  });

  test('7b. hostile link (<script>, <img onerror>) in preset and s: shown as text, nothing injected', async () => {
    const script = '<script>window.__pwned=1</script>';
    const img = '<img src=x onerror="window.__pwned=2">';
    const q = `?preset=${encodeURIComponent(img)}&s=${encodeURIComponent(script)}`;
    const { page, msg } = await badLink(q, 'hostile', /preset/i);
    assert.match(msg.text, /scenario/i, 'the notice also names the bad scenario');
    assert.ok(!/<img|<script/i.test(msg.html), `the notice's HTML has no live tags: ${msg.html}`);
    await shot(page, '07b-bad-url-hostile');

    // the same, unencoded, as someone might paste it
    const raw = await badLink(`?preset=${img}`, 'hostile raw', /preset/i);
    assert.ok(!/<img/i.test(raw.msg.html));
  });

  test('7c. a valid scenario whose name and description are HTML is shown as text', async () => {
    const scenario = {
      name: '<img src=x onerror="window.__pwned=3">',
      description: '<script>window.__pwned=4</script><b>bold</b>',
      seed: 7,
    };
    const p = await open(`?s=${b64url(JSON.stringify(scenario))}`);
    const s = await waitState(p, (x) => x.now_s > 0.5, { what: 'the run to go on', timeout: 60_000 });
    assert.equal(s.scenario.name, scenario.name, 'the scenario from the link runs');
    assert.equal(s.scenario.seed, 7);
    assert.equal(s.preset, null, 'not a preset');
    assert.equal(await p.locator('#preset').inputValue(), 'custom');
    const desc = await p.locator('#preset-description').evaluate((d) => ({ text: d.textContent, children: d.children.length }));
    assert.equal(desc.children, 0, 'the description is plain text');
    assert.ok(desc.text.includes('<script>'), `the description is shown literally: "${desc.text}"`);
    await p.waitForTimeout(300);
    assert.deepEqual(await injected(p), cleanInjected, 'nothing injected');
    assert.equal(await isVisible(p, '#panic-banner'), false);
    await shot(p, '07c-hostile-scenario-text');
    assertNoPageProblems(assert, p);
  });
});
