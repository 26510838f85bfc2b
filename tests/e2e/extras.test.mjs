// What else a learner expects (issue 9): markers on the charts for faults and
// live changes and a countdown to the next scheduled one, a stale-reads
// series, a p95 toggle, titles + scenario + seed + time on the PNG export,
// problem notices that clear after the next successful action, and a
// rejected field value that goes back to the one in force.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { assertNoPageProblems, pageSuite, readState, waitPage, waitState } from './harness.mjs';

/** Pixels of a canvas within a small distance of an RGB colour. */
async function pixelsNear(page, sel, [r, g, b], tol = 40) {
  return page.evaluate(({ sel, r, g, b, tol }) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < tol) n++;
    }
    return n;
  }, { sel, r, g, b, tol });
}

describe('learner extras', () => {
  const suite = pageSuite();

  test('markers for faults and live changes, and a countdown to the next scheduled fault', async () => {
    const page = await suite.open('?preset=cache-crash&t=50&paused');
    await waitState(page, (s) => s.now_s >= 49.99 && s.last, { what: 'the replay to 50 s' });
    await waitPage(page, () => /next: crash cache in 0:10/.test(document.getElementById('next-event').textContent), null, { what: 'the countdown' });
    await page.goto(`${suite.url()}?preset=cache-crash&t=95&paused`, { waitUntil: 'load' });
    await waitState(page, (s) => s.now_s >= 94.99 && s.last, { what: 'the replay to 95 s' });
    await page.locator('#btn-slow-db').click();
    await page.locator('#step').click();
    const s = await waitState(page, (x) => x.chart_events?.length === 3, { what: 'three events in the window' });
    assert.deepEqual(s.chart_events.map((e) => e[0]).slice(0, 2), [60, 90]);
    assert.match(s.chart_events[2][1], /slow/i);
    assert.equal(await page.locator('#next-event').textContent(), '', 'nothing scheduled after the restart');
    // drawn: the markers' dark grey on the hit-rate chart (none before the first event)
    const marked = await pixelsNear(page, '#chart-hit-rate', [55, 65, 81], 90);
    const early = await suite.open('?preset=cache-crash&t=20&paused');
    await waitState(early, (x) => x.now_s >= 19.99 && x.last, { what: 'the replay to 20 s' });
    await early.waitForTimeout(500);
    const unmarked = await pixelsNear(early, '#chart-hit-rate', [55, 65, 81], 90);
    assert.ok(marked > unmarked + 100, `marker pixels: ${marked} with three events, ${unmarked} with none`);
  });

  test('a stale-reads series and a p95 toggle', async () => {
    const page = await suite.open('?preset=stale-invalidation&t=60&paused');
    const s = await waitState(page, (x) => x.now_s >= 59.99 && x.last && x.last.stale_reads > 0, { what: 'stale reads at 60 s' });
    await page.waitForTimeout(500);
    const blue = await pixelsNear(page, '#chart-errors', [37, 99, 235]);
    assert.ok(blue > 100, `the stale-reads line (blue) on the errors chart: ${blue} pixels, ${s.last.stale_reads} stale/s`);
    const teal = () => pixelsNear(page, '#chart-latency', [13, 148, 136]);
    const off = await teal();
    await page.locator('#show-p95').check();
    await page.waitForTimeout(300);
    const on = await teal();
    assert.ok(on > off + 100, `p95 drawn when asked: ${off} then ${on} teal pixels`);
    await page.locator('#show-p95').uncheck();
    await page.waitForTimeout(300);
    assert.ok((await teal()) < on - 100, 'and gone again');
  });

  test('the PNG export has a header with the scenario, seed and time, and chart titles', async () => {
    const page = await suite.open('?preset=steady&t=12&paused');
    await waitState(page, (x) => x.now_s >= 11.99 && x.last, { what: 'the replay to 12 s' });
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('#export-png').click()]);
    const bytes = fs.readFileSync(await png.path());
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    const dims = await page.evaluate(() => {
      // the live charts (the comparison view has its own)
      const cs = [...document.querySelectorAll('.cs-chart canvas')].filter((c) => !c.closest('#compare'));
      return { w: Math.max(...cs.map((c) => c.width)), h: Math.max(...cs.map((c) => c.height)), n: cs.length, dpr: window.devicePixelRatio };
    });
    const rows = Math.ceil(dims.n / 2);
    assert.equal(width, dims.w * 2);
    assert.equal(height, Math.round(34 * dims.dpr) + rows * (Math.round(24 * dims.dpr) + dims.h), 'room for the header and a title per chart');
    assert.match(await page.locator('#message').textContent(), /cachesim · steady · seed \d+ · t = 0:12/);
  });

  test('a refused field value goes back, and its notice clears after the next successful action', async () => {
    const page = await suite.open('?preset=steady');
    await waitState(page, (s) => s.last, { what: 'a first second' });
    const before = await page.locator('#memory-gb').inputValue();
    await page.locator('#memory-gb').fill('5000');
    await page.locator('#memory-gb').press('Enter');
    await waitPage(page, () => document.getElementById('message').classList.contains('cs-problem'), null, { what: 'the problem notice' });
    assert.match(await page.locator('#message').textContent(), /between 0.01 and 1024 GB/);
    assert.equal(await page.locator('#memory-gb').inputValue(), before, 'the refused value went back');
    await page.locator('#seed').fill('-3');
    await page.locator('#seed').press('Enter');
    await waitPage(page, () => /not a whole number/.test(document.getElementById('message').textContent), null, { what: 'the seed notice' });
    assert.equal(await page.locator('#seed').inputValue(), String((await readState(page)).scenario.seed));
    // the next action that works clears it
    await page.locator('#rps').fill('500');
    await waitState(page, (s) => s.status.rps !== 10_000, { what: 'the new rate' });
    await waitPage(page, () => document.getElementById('message').hidden, null, { what: 'the notice to clear' });
    assertNoPageProblems(assert, page);
  });
});
