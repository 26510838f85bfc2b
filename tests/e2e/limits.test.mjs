// Every control pushed to its limits at 100x: sliders at both ends, numeric
// fields at their extremes and beyond, every failure on, the architecture
// grown to 16 shards and shrunk again. The page never shows a panic, keeps
// simulating, keeps its JS heap bounded, and injects no markup.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoPageProblems, closePage, openPage, readState, setSpeed, shot, startHarness, waitState } from './harness.mjs';

async function setRange(page, sel, value) {
  await page.$eval(sel, (el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

async function setField(page, sel, text) {
  await page.fill(sel, text);
  await page.$eval(sel, (el) => el.dispatchEvent(new Event('change', { bubbles: true })));
}

describe('controls at their limits', () => {
  let h;
  let page;

  before(async () => {
    h = await startHarness();
    page = await openPage(h, '?preset=steady');
  });

  after(async () => {
    if (page) await closePage(page);
    if (h) await h.close();
  });

  test('14. every control at its ends at 100x: no panic, the run goes on, memory bounded', async () => {
    await setSpeed(page, 100);
    const heap0 = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    for (const [sel, lo, hi] of [['#rps', 0, 1000], ['#hit-rate', 50, 99], ['#pods', 1, 16]]) {
      await setRange(page, sel, hi);
      await page.waitForTimeout(300);
      await setRange(page, sel, lo);
      await page.waitForTimeout(300);
    }
    for (const [sel, texts] of [
      ['#memory-gb', ['0.01', '1024', '1e300', '-5', 'abc', '<img src=x onerror=alert(1)>']],
      ['#ttl', ['1', '86400', '0', '99999999', '']],
      ['#seed', ['0', '18446744073709551615', '-1', '1.5']],
    ]) {
      for (const t of texts) {
        if (sel === '#memory-gb' || sel === '#ttl' || sel === '#seed') {
          // number inputs refuse non-numbers in fill(); type them as a user would
          await page.$eval(sel, (el, v) => { el.type = 'text'; el.value = v; el.dispatchEvent(new Event('change', { bubbles: true })); el.type = 'number'; }, t);
        } else {
          await setField(page, sel, t);
        }
        await page.waitForTimeout(100);
      }
    }
    for (const id of ['#btn-crash', '#btn-hot-key', '#btn-drop-invalidations', '#btn-fill-memory', '#btn-key-busting', '#btn-slow-db', '#btn-pods-unhealthy']) {
      await page.click(id);
      await page.waitForTimeout(150);
    }
    for (let i = 0; i < 17; i++) await page.click('#add-shard', { force: true }).catch(() => {});
    await page.waitForTimeout(500);
    for (let i = 0; i < 17; i++) await page.click('#remove-shard', { force: true }).catch(() => {});
    for (const id of ['#btn-crash', '#btn-hot-key', '#btn-drop-invalidations', '#btn-key-busting', '#btn-slow-db', '#btn-pods-unhealthy']) {
      await page.click(id);
    }
    const s0 = await readState(page);
    const s1 = await waitState(page, (s) => s.now_s > s0.now_s + 5, { what: 'the run to go on at 100x', timeout: 60_000 });
    assert.ok(s1.now_s > s0.now_s);
    assert.equal(await page.$('img[src="x"]'), null, 'no markup injected');
    assert.ok(await page.$eval('#panic-banner', (el) => el.hidden), 'no panic banner');
    const heap1 = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    assert.ok(heap1 < heap0 + 200e6, `JS heap ${heap0} -> ${heap1}`);
    await shot(page, '14-limits');
    assertNoPageProblems(assert, page);
  });
});
