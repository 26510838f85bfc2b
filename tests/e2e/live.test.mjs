// The live page as a learner uses it: it loads and runs, the RPS slider
// changes the load, crashing the cache melts the DB, restarting it recovers.
// The steps share one page and run in order.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DB_CAPACITY, assertNoPageProblems, canvasStats, dbLoad, closePage, isVisible, openPage, readState, setSpeed, shot,
  startHarness, waitState,
} from './harness.mjs';

const COMPONENTS = ['client', 'lb', 'app', 'cache', 'db'];
const CHARTS = ['#chart-hit-rate', '#chart-db', '#chart-latency', '#chart-errors', '#chart-cache'];

/** "12K RPS" -> 12000, "950 RPS" -> 950, "1.5M RPS" -> 1500000. */
function parseCompact(text) {
  const m = /([\d.]+)\s*([KM]?)/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6 })[m[2]];
}

describe('live page', () => {
  let h;
  let page;

  before(async () => {
    h = await startHarness();
    page = await openPage(h);
  });

  after(async () => {
    if (page) await closePage(page);
    if (h) await h.close();
  });

  test('1. loads: components listed, canvas drawn, simulated time advances, charts drawn, no panic', async () => {
    const s0 = await readState(page);
    assert.equal(s0.preset, 'steady', 'the page starts with the steady preset');
    assert.equal(s0.paused, false, 'the page starts running');
    // time advances (simulated seconds, whatever the machine's speed)
    const s1 = await waitState(page, (s) => s.now_s >= s0.now_s + 2 && s.last !== null, {
      what: 'two simulated seconds to pass',
      timeout: 60_000,
    });
    assert.ok(s1.now_s > s0.now_s);
    assert.ok(s1.last.arrived > 0, 'requests arrive');
    assert.ok(s1.totals.requests > 0 && s1.totals.requests >= s1.last.arrived);
    assert.equal(s1.status.cache_up, true);
    assert.ok(s1.last.hit_rate > 0.7 && s1.last.hit_rate < 0.95, `steady hit rate near 85%: ${s1.last.hit_rate}`);

    assert.equal(await isVisible(page, '#panic-banner'), false, 'no panic banner');
    assert.equal(await isVisible(page, '#message'), false, 'no notice for a plain URL');
    assert.equal((await page.locator('#panic-banner').textContent()).trim(), '');

    for (const c of COMPONENTS) {
      const li = page.locator(`#components li[data-component="${c}"]`);
      assert.equal(await li.count(), 1, `component ${c} listed once`);
      const text = (await li.textContent()).trim();
      assert.ok(text.length > 5, `component ${c} has live text: "${text}"`);
    }
    assert.match(await page.locator('#components li[data-component="cache"]').textContent(), /up/i);

    const arch = await canvasStats(page, '#arch-canvas');
    assert.ok(arch && arch.width > 100 && arch.height > 100, `architecture canvas has a size: ${JSON.stringify(arch)}`);
    assert.ok(arch.colors >= 8 && arch.nonBackground > 0.02, `architecture canvas is drawn: ${JSON.stringify(arch)}`);
    assert.equal(await isVisible(page, '#arch-canvas'), true);

    // the charts draw a complete second once there is one
    for (const id of CHARTS) {
      assert.equal(await isVisible(page, id), true, `${id} visible`);
      const c = await canvasStats(page, id);
      assert.ok(c && c.width > 50 && c.height > 50, `${id} has a size: ${JSON.stringify(c)}`);
      assert.ok(c.colors >= 4 && c.nonBackground > 0.01, `${id} is drawn: ${JSON.stringify(c)}`);
    }
    // the explanation says something
    assert.ok((await page.locator('#explain').textContent()).trim().length > 10, '#explain has text');
    await shot(page, '01-load');
    assertNoPageProblems(assert, page);
  });

  test('2. the RPS slider changes the offered load and its readout', async () => {
    const before = await readState(page);
    const rps0 = before.status.rps;
    const label0 = (await page.locator('#rps-value').textContent()).trim();
    assert.ok(Math.abs(parseCompact(label0) - rps0) / rps0 < 0.1, `#rps-value "${label0}" shows ${rps0}`);

    // a keyboard user: focus the slider and press the right arrow
    const slider = page.locator('#rps');
    const pos0 = Number(await slider.inputValue());
    await slider.focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    assert.equal(Number(await slider.inputValue()), pos0 + 40, 'the slider moved 40 steps');
    const up = await waitState(page, (s) => s.status.rps > rps0, { what: 'status.rps to rise', timeout: 15_000 });
    const labelUp = (await page.locator('#rps-value').textContent()).trim();
    assert.notEqual(labelUp, label0, '#rps-value updated');
    assert.ok(Math.abs(parseCompact(labelUp) - up.status.rps) / up.status.rps < 0.1, `#rps-value "${labelUp}" shows ${up.status.rps}`);
    assert.ok(up.status.rps < rps0 * 1.5, `40 steps of a log slider are a modest change: ${rps0} -> ${up.status.rps}`);
    await shot(page, '02-rps-up');

    // and the load follows: a complete second after the change arrives at the higher rate
    const tChange = up.now_s;
    const later = await waitState(page, (s) => s.last && s.last.t_s >= Math.ceil(tChange) + 1, {
      what: 'a complete second at the new rate',
      timeout: 60_000,
    });
    assert.ok(later.last.arrived > rps0 * 1.02, `arrivals follow the slider: ${later.last.arrived}/s vs ${rps0}`);

    // fill() (a pointer user dropping the thumb): back to where it was
    await slider.fill(String(pos0));
    const back = await waitState(page, (s) => s.status.rps === rps0, { what: `status.rps back to ${rps0}`, timeout: 15_000 });
    assert.equal(back.status.rps, rps0);
    await slider.blur();
    assert.equal((await page.locator('#rps-value').textContent()).trim(), label0);
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });

  let crashAt;

  test('3. crashing the cache sends every read to the DB: overload, errors, an explanation', async () => {
    await setSpeed(page, 10);
    // a whole second at the steady 10K RPS (step 2 changed the rate for a while)
    const s0 = await readState(page);
    // (past its knee the DB takes a while to drain what step 2's higher rate queued)
    const before = await waitState(page, (s) => s.last && s.last.t_s >= Math.ceil(s0.now_s) && dbLoad(s.last) < 1, {
      what: 'a complete second at the steady rate, the DB below capacity',
      timeout: 90_000,
    });
    assert.equal(before.status.cache_up, true);
    assert.ok(dbLoad(before.last) < 1, `before the crash the DB is below capacity: load ${dbLoad(before.last)}`);
    const errors0 = before.totals.errors;

    await page.locator('#btn-crash').click();
    const down = await waitState(page, (s) => s.status.cache_up === false, { what: 'cache_up false', timeout: 10_000 });
    crashAt = down.now_s;
    assert.match(await page.locator('#components li[data-component="cache"]').textContent(), /down/i);

    // every read now misses: the DB is offered several times its capacity
    const herd = await waitState(page, (s) => s.last && s.last.t_s >= Math.ceil(crashAt) && s.last.db_offered > 3 * DB_CAPACITY && dbLoad(s.last) > 1.5, {
      what: `a complete second after the crash with db_offered > 3 x ${DB_CAPACITY} and a DB load > 1.5`,
      timeout: 60_000,
    });
    assert.ok(herd.last.db_offered > before.last.db_offered, `more queries offered than before the crash: ${before.last.db_offered} -> ${herd.last.db_offered}`);
    assert.ok(herd.last.db_utilization > 0.95, `the DB's workers are saturated: ${herd.last.db_utilization}`);
    assert.equal(herd.status.cache_up, false);
    assert.equal(herd.last.hit_rate, 0, 'no read hits a crashed cache');
    assert.ok(herd.totals.db_offered_qps_peak > DB_CAPACITY);

    const failing = await waitState(page, (s) => (s.last && s.last.failed > 0) || s.totals.errors > errors0, {
      what: 'errors after the crash',
      timeout: 60_000,
    });
    assert.ok(failing.now_s - crashAt < 30, `errors within a few simulated seconds (${(failing.now_s - crashAt).toFixed(1)} s)`);

    const explain = await page.locator('#explain').textContent();
    assert.match(explain, /\b(DB|PostgreSQL|database)\b/, `#explain names the DB: "${explain}"`);
    assert.match(explain, /(down|herd|capacity)/i, `#explain says why: "${explain}"`);
    await shot(page, '03-crash');
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });

  test('4. restarting the cache: it is up again and the hit rate climbs back', async () => {
    assert.ok(crashAt !== undefined, 'needs the crash of step 3');
    await page.locator('#btn-restart').click();
    const up = await waitState(page, (s) => s.status.cache_up === true, { what: 'cache_up true', timeout: 10_000 });
    const restartAt = up.now_s;
    // cold: empty at the restart, then refilled at most as fast as the DB answers
    // misses (~2K keys/s), so far below the 300K+ keys it held before the crash
    assert.ok(up.status.cache_keys < 20_000, `the cache restarts cold: ${up.status.cache_keys} keys`);

    // the first complete second after the restart
    const first = await waitState(page, (s) => s.last && s.last.t_s >= Math.ceil(restartAt), {
      what: 'the first complete second after the restart',
      timeout: 60_000,
    });
    const h0 = first.last.hit_rate;
    await shot(page, '04a-restart-cold');
    const warm = await waitState(page, (s) => s.last && s.last.t_s >= first.last.t_s + 3 && s.last.hit_rate > h0 + 0.05, {
      what: `the hit rate to climb above ${h0} + 5 points`,
      timeout: 90_000,
    });
    assert.equal(warm.status.cache_up, true);
    assert.ok(warm.status.cache_keys > up.status.cache_keys, 'the cache refills');
    const explain = await page.locator('#explain').textContent();
    await shot(page, '04b-restart-warming');
    assert.ok(explain.trim().length > 10, `#explain: "${explain}"`);
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });
});
