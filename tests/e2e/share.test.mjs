// Shared links reproduce a run (scenario, seed, live changes, numbers), and
// the presets menu restarts the run with a preset's timeline.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertNoPageProblems, pageSuite, isVisible, pause, readState, sameTime, setSpeed, shot, waitState,
} from './harness.mjs';

/** Clicks `#step` n times, waiting for each simulated second. */
async function stepN(page, n) {
  for (let i = 0; i < n; i++) {
    const t = (await readState(page)).now_s;
    await page.locator('#step').click();
    await waitState(page, (s) => s.now_s >= t + 0.999999 && s.paused, { what: `step ${i + 1} of ${n} to advance 1 s`, timeout: 20_000 });
  }
  return readState(page);
}

/** The numbers two runs must agree on. */
function numbers(s) {
  return { now_s: s.now_s, status: s.status, last: s.last, totals: s.totals };
}

/**
 * The same, less what depends on the exact nanosecond: a live command applied
 * on a whole second moves the run 1 ns on first (web/src/driver.rs, apply), so
 * a run stepped by hand after one ends 1 ns past the whole second its replay
 * reaches by the same steps (so do means over the run: db_qps_mean, and
 * any *_rps of the summary).
 */
function numbersAtSecond(s) {
  const { now_s, status, last, totals } = structuredClone(s);
  delete status.now_s;
  delete totals.seconds;
  // per-second means of the run divide by its length, 1 ns longer in one run
  for (const k of Object.keys(totals)) if (/_mean$|_rps$/.test(k)) delete totals[k];
  return { second: Math.round(now_s), status, last, totals };
}

async function copyLink(page) {
  await page.locator('#copy-link').click();
  const url = await page.waitForFunction(() => document.getElementById('share-url')?.value || null, null, { timeout: 10_000 });
  return url.jsonValue();
}

describe('share links and presets', () => {
  const suite = pageSuite();
  const { open } = suite;

  test('5a. a link made while paused: same scenario (seed, live changes), same numbers step by step', async () => {
    const a = await open('?paused');
    let s = await readState(a);
    assert.equal(s.paused, true, '?paused starts paused');
    assert.equal(s.now_s, 0);

    // a seed of our own (restarts the run, stays paused)
    await a.locator('#seed').fill('4242');
    await a.locator('#seed').press('Enter');
    s = await waitState(a, (x) => x.scenario.seed === 4242, { what: 'seed 4242 in the scenario', timeout: 10_000 });
    assert.equal(s.paused, true, 'a new seed keeps the run paused');

    // live changes while paused, between steps
    await a.locator('#btn-hot-key').click();
    await waitState(a, (x) => x.status.hot_key_rate > 0, { what: 'the hot key on' });
    assert.equal(await a.locator('#btn-hot-key').getAttribute('aria-pressed'), 'true', 'the hot key button is pressed');
    await stepN(a, 3);
    await a.locator('#btn-crash').click();
    await waitState(a, (x) => x.status.cache_up === false, { what: 'the crash' });
    await stepN(a, 2);
    const pos = Number(await a.locator('#rps').inputValue());
    await a.locator('#rps').fill(String(pos + 30));
    await waitState(a, (x) => x.status.rps > 10_000, { what: 'the RPS change' });
    await a.locator('#rps').blur();
    const endA = await stepN(a, 2);
    assert.ok(sameTime(endA.now_s, 7), `7 steps of 1 s: ${endA.now_s}`);
    const kinds = endA.scenario.faults.map((f) => f.command.type);
    assert.deepEqual(kinds, ['hot_key', 'crash_cache', 'set_rps'], 'the live changes are in the shared scenario, in order');
    const times = endA.scenario.faults.map((f) => f.at_s);
    assert.ok([0, 3, 5].every((t, i) => sameTime(times[i], t)), `applied at 0, 3 and 5 s: ${times}`);

    const url = await copyLink(a);
    assert.ok(url.startsWith(suite.url()), `the link points at this page: ${url}`);
    assert.match(url, /[?&]s=[A-Za-z0-9_-]+/, 'the scenario is in s=');
    assert.match(url, /[?&]preset=steady(&|$)/, 'the preset is named');
    assert.equal(await isVisible(a, '#message'), true, 'a notice says what happened');
    await shot(a, '05a-share-source');

    const t = Number(new URL(url).searchParams.get('t'));
    assert.ok(sameTime(t, 7), `the link carries the moment: t = ${t}`);
    assert.match(url, /[?&]paused(&|$)/, 'and that it is paused');

    // the link in a new page: it opens at the moment shared, paused
    const b = await open(url.slice(suite.url().length));
    const endB = await readState(b);
    assert.deepEqual(endB.scenario, endA.scenario, 'same scenario: parameters, seed and faults');
    assert.equal(endB.preset, endA.preset);
    assert.equal(endB.scenario.seed, 4242);
    assert.equal(endB.paused, true);
    assert.equal(await b.locator('#seed').inputValue(), '4242');
    assert.equal(await b.locator('#preset').inputValue(), 'steady');
    assert.ok(sameTime(endB.now_s, 7), `opened at t = 7 s: ${endB.now_s}`);
    assert.deepEqual(numbersAtSecond(endB), numbersAtSecond(endA), 'the replay reproduces every number at t = 7 s');
    assert.equal(endB.status.cache_up, false, 'the crash is replayed');
    assert.ok(endB.status.hot_key_rate > 0, 'the hot key is replayed');
    assert.equal(await b.locator('#btn-hot-key').getAttribute('aria-pressed'), 'true', 'the replayed hot key shows as pressed');
    await shot(b, '05b-share-replayed');
    for (const p of [a, b]) {
      assert.equal(await isVisible(p, '#panic-banner'), false);
      assertNoPageProblems(assert, p);
    }
  });

  test('5b. a link made while running at 10x reproduces the numbers at the same simulated time (t=)', async () => {
    const a = await open('?preset=steady');
    await setSpeed(a, 10);
    await waitState(a, (s) => s.now_s > 2.2, { what: 'a few simulated seconds', timeout: 60_000 });
    await a.locator('#btn-crash').click();
    const crash = await waitState(a, (s) => s.status.cache_up === false, { what: 'the crash' });
    await waitState(a, (s) => s.now_s > crash.now_s + 1.5, { what: 'time after the crash', timeout: 60_000 });
    const endA = await pause(a);
    assert.ok(endA.now_s % 1 !== 0, `paused at a fraction of a second: ${endA.now_s}`);
    assert.equal(endA.scenario.faults.length, 1);
    const at = endA.scenario.faults[0].at_s;
    assert.equal(endA.scenario.faults[0].command.type, 'crash_cache');
    assert.ok(at > 2.2 && at <= crash.now_s, `the crash is shared at the simulated time it happened: ${at}`);

    const url = await copyLink(a);
    assert.match(url, /[?&]speed=10(&|$)/, 'the link carries the speed');
    const b = await open(url.slice(suite.url().length));
    const startB = await readState(b);
    assert.deepEqual(startB.scenario, endA.scenario);
    assert.equal(startB.paused, true);
    assert.deepEqual(numbers(startB), numbers(endA), `the replay has the same numbers at t = ${endA.now_s}`);
    // and it goes on alike
    const a2 = await stepN(a, 2);
    const b2 = await stepN(b, 2);
    assert.deepEqual(numbers(b2), numbers(a2), 'two more seconds alike');
    await shot(b, '05c-share-t');
    for (const p of [a, b]) assertNoPageProblems(assert, p);
  });

  test('8. the presets menu restarts the run with cache-crash and its timeline plays', async () => {
    const p = await open('');
    await waitState(p, (s) => s.now_s >= 1, { what: 'one simulated second', timeout: 60_000 });
    const before = await readState(p);
    assert.equal(before.preset, 'steady');
    const options = await p.locator('#preset option').evaluateAll((os) => os.map((o) => o.value));
    for (const name of ['steady', 'cache-crash', 'hot-key', 'memory-full-noeviction', 'memory-full-lru', 'stale-invalidation', 'key-busting', 'db-slowdown']) {
      assert.ok(options.includes(name), `preset ${name} offered: ${options}`);
    }

    await p.locator('#preset').selectOption('cache-crash');
    const s = await waitState(p, (x) => x.preset === 'cache-crash', { what: 'preset cache-crash in the state', timeout: 10_000 });
    assert.equal(s.scenario.name, 'cache-crash');
    assert.deepEqual(s.scenario.faults, [
      { at_s: 60, command: { type: 'crash_cache' } },
      { at_s: 90, command: { type: 'restart_cache' } },
    ]);
    assert.equal(s.scenario.seed, before.scenario.seed, 'the seed is kept');
    assert.ok(s.now_s < before.now_s || s.now_s < 1, `the run restarted: ${before.now_s} -> ${s.now_s}`);
    assert.equal(await p.locator('#preset').inputValue(), 'cache-crash');
    assert.match(await p.locator('#preset-description').textContent(), /crash/i);
    await shot(p, '08a-preset-cache-crash');

    // the timeline: pause, then step with the keyboard shortcut (.) past 60 s,
    // at 1K RPS to keep the test quick (the herd itself is test 3's)
    await pause(p);
    await p.locator('#rps').fill('303'); // the log slider's position of 1K RPS
    await waitState(p, (x) => x.status.rps === 1000, { what: 'status.rps 1000', timeout: 10_000 });
    await p.locator('#arch-canvas').click(); // focus leaves the form fields (shortcuts ignore them)
    const t0 = (await readState(p)).now_s;
    const target = 61;
    for (let i = 0; i < Math.ceil(target - t0); i++) await p.keyboard.press('.');
    const crashed = await waitState(p, (x) => x.now_s >= target, { what: `the shortcut steps to ${target} s`, timeout: 60_000 });
    assert.equal(crashed.paused, true);
    assert.equal(crashed.status.cache_up, false, 'the preset crashed the cache at 60 s');
    assert.equal(crashed.last.t_s, 60);
    assert.equal(crashed.last.hit_rate, 0, 'no read hits after the crash');
    assert.ok(crashed.last.db_miss > 0, 'the misses go to the DB');
    await shot(p, '08b-preset-crashed-at-60s');
    assert.equal(await isVisible(p, '#panic-banner'), false);
    assertNoPageProblems(assert, p);
  });
});
