// A scripted tour: every preset (at moments across its timeline, and running
// at 1x and 100x) and every failure button (at 1x and 100x), checking on each
// sample that the explanation's headline does not contradict the numbers on
// screen (rules.mjs: errors > 1% => not "Normal", LB turning away > 10% =>
// the LB is named, no "hit rate 0%" without reads, ...).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoPageProblems, pageSuite, readState, setSpeed, waitState } from './harness.mjs';
import { contradictions, readTruth } from './rules.mjs';

const PRESETS = [
  'steady', 'cache-crash', 'hot-key', 'memory-full-noeviction', 'memory-full-lru', 'stale-invalidation',
  'key-busting', 'db-slowdown', 'cache-crash-retries', 'traffic-spike', 'v1-steady', 'v1-shard-crash',
  'v1-hot-key-coalesced', 'v1-resize',
];
const BUTTONS = [
  '#btn-crash', '#btn-restart', '#btn-hot-key', '#btn-drop-invalidations', '#btn-fill-memory',
  '#btn-key-busting', '#btn-slow-db', '#btn-pods-unhealthy',
];

/** Samples the page `n` times, `every` ms apart; returns every contradiction seen. */
async function sample(page, n, every, seen = []) {
  for (let i = 0; i < n; i++) {
    const t = await readTruth(page);
    seen.push(...contradictions(t));
    await page.waitForTimeout(every);
  }
  return seen;
}

describe('a scripted tour: no headline contradicts the numbers', () => {
  const suite = pageSuite();

  test('every preset at moments across its run (paused links) and running at 1x and 100x', async () => {
    const bad = [];
    let samples = 0;
    const page = await suite.open('?preset=steady&paused');
    const options = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value));
    for (const p of PRESETS) assert.ok(options.includes(p), `preset ${p} is in the menu: ${options}`);
    for (const p of PRESETS) {
      for (const t of [35, 65, 95, 150]) {
        await page.goto(`${suite.url()}?preset=${p}&t=${t}&paused`, { waitUntil: 'load' });
        await waitState(page, (s) => s.preset === p && s.now_s >= t - 0.01 && s.last && s.paused, { what: `${p} at ${t} s`, timeout: 60_000 });
        bad.push(...(await sample(page, 1, 0)).map((x) => `${p}: ${x}`));
        samples++;
      }
      for (const speed of [1, 100]) {
        await page.goto(`${suite.url()}?preset=${p}&t=55&speed=${speed}`, { waitUntil: 'load' });
        await waitState(page, (s) => s.preset === p && s.speed === speed && s.last && !s.paused, { what: `${p} running at ${speed}x`, timeout: 60_000 });
        bad.push(...(await sample(page, 4, 400)).map((x) => `${p} ${speed}x: ${x}`));
        samples += 4;
      }
    }
    assert.deepEqual(bad, [], `${bad.length} contradictions in ${samples} samples:\n${bad.join('\n')}`);
    assertNoPageProblems(assert, page);
  });

  test('every failure button, on then off, at 1x and 100x', async () => {
    const bad = [];
    for (const speed of [1, 100]) {
      const page = await suite.open(`?preset=steady&t=5&speed=${speed}`);
      await waitState(page, (s) => s.last && s.speed === speed, { what: 'a first second', timeout: 60_000 });
      for (const b of BUTTONS) {
        const before = (await readState(page)).now_s;
        await page.locator(b).click();
        // a few simulated seconds with it on, sampled all along
        for (let i = 0; i < 40; i++) {
          bad.push(...(await sample(page, 1, 250)).map((x) => `${b} ${speed}x: ${x}`));
          if ((await readState(page)).now_s > before + (speed === 1 ? 4 : 40)) break;
        }
        if (b !== '#btn-crash' && b !== '#btn-restart') await page.locator(b).click();
        if (b === '#btn-crash') continue; // the restart button follows
        bad.push(...(await sample(page, 3, 300)).map((x) => `${b} off ${speed}x: ${x}`));
      }
      if (speed === 100) await setSpeed(page, 1);
      assertNoPageProblems(assert, page);
    }
    assert.deepEqual(bad, [], `${bad.length} contradictions:\n${bad.join('\n')}`);
  });
});
