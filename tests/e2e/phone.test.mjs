// A phone (375x812, touch): every control is a 44 px touch target, a sticky
// strip keeps the live numbers (and the notice of the last action) in view
// while the controls are scrolled, and the keyboard hint is hidden.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SHOTS, assertNoPageProblems, readState, startHarness, waitPage, waitState } from './harness.mjs';
import path from 'node:path';

describe('a phone', () => {
  let h;
  let page;
  before(async () => {
    h = await startHarness();
    const ctx = await h.browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page = await ctx.newPage();
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    await page.goto(`${h.url}?preset=steady`, { waitUntil: 'load' });
    await waitState(page, (s) => s.last, { what: 'a first second', timeout: 60_000 });
  });
  after(async () => {
    if (page) await page.context().close();
    if (h) await h.close();
  });

  test('every control is at least 44x44 px to a finger', async () => {
    const small = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('button, select, input, a[href]')) {
        if (!el.offsetParent || el.id === 'scenario-file') continue;
        // a checkbox is tapped through its label
        const target = el.type === 'checkbox' ? el.closest('label') || el : el;
        const r = target.getBoundingClientRect();
        if (r.width < 44 || r.height < 44) out.push(`${el.id || el.tagName} ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
      return out;
    });
    assert.deepEqual(small, [], `touch targets under 44 px: ${small.join(', ')}`);
    assert.equal(await page.locator('.cs-hint').isVisible(), false, 'no keyboard hint on a touch screen');
  });

  test('after tapping Crash cache far down the page, the live numbers and the notice are in view', async () => {
    await page.locator('#btn-crash').scrollIntoViewIfNeeded();
    await page.locator('#btn-crash').tap();
    await waitState(page, (s) => !s.status.cache_up, { what: 'the crash' });
    await waitPage(page, () => !document.getElementById('message').hidden, null, { what: 'the notice' });
    const s = await waitState(page, (x) => x.last && x.last.t_s > 0 && x.last.hit_rate < 0.5, { what: 'a second after the crash' });
    const m = await page.evaluate(() => {
      const box = (id) => { const r = document.getElementById(id).getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; };
      return {
        strip: box('live-strip'), message: box('message'), crash: box('btn-crash'), canvas: box('arch-canvas'),
        text: document.getElementById('live-strip').textContent, notice: document.getElementById('message').textContent,
        readouts: document.getElementById('readouts').textContent,
        state: JSON.parse(document.getElementById('state-json').textContent),
      };
    });
    assert.ok(m.canvas.bottom < 0, `the canvas is scrolled away: ${JSON.stringify(m.canvas)}`);
    for (const k of ['strip', 'message']) assert.ok(m[k].top >= 0 && m[k].bottom <= 812, `${k} in view: ${JSON.stringify(m[k])}`);
    assert.match(m.notice, /crash/i);
    // the strip's numbers are the page's
    const hit = /hit (\d+(?:\.\d)?)%/.exec(m.text);
    assert.ok(hit, m.text);
    assert.ok(Math.abs(Number(hit[1]) / 100 - m.state.last.hit_rate) < 0.006, `${m.text} vs ${m.state.last.hit_rate}`);
    const db = /DB ([\d.]+)(x|%)/.exec(m.text);
    const load = db[2] === 'x' ? Number(db[1]) : Number(db[1]) / 100;
    assert.ok(Math.abs(load - m.state.db.load) < 0.06, `${m.text} vs ${m.state.db.load}`);
    assert.ok(s.now_s > 0);
    await page.screenshot({ path: path.join(SHOTS, 'phone-375x812-after-crash.png') });
    assert.deepEqual(page.problems, []);
  });
});
