// The other controls: the failure toggles (aria-pressed and the model's
// state), the keyboard shortcuts, speed and reset, the CSV and PNG exports,
// and saving and loading scenario files.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ROOT, assertNoPageProblems, closePage, isVisible, openPage, readState, setSpeed, shot, startHarness, waitPage, waitState,
} from './harness.mjs';

/** Each toggle: its button and how the state JSON shows it on and off. */
const TOGGLES = [
  ['#btn-hot-key', (s) => s.status.hot_key_rate > 0, (s) => s.status.hot_key_rate === 0],
  ['#btn-drop-invalidations', (s) => s.status.invalidation_failure > 0, (s) => s.status.invalidation_failure === 0],
  ['#btn-key-busting', (s) => s.status.attack_rate > 0, (s) => s.status.attack_rate === 0],
  ['#btn-slow-db', (s) => s.status.db_slowdown > 1, (s) => s.status.db_slowdown === 1],
  // the pods stop answering at once; the LB's view follows its health checks
  ['#btn-pods-unhealthy', (s) => s.status.pods.filter((p) => p.active).every((p) => !p.up), (s) => s.status.pods.filter((p) => p.active).every((p) => p.up)],
  ['#btn-fill-memory', (s) => s.scenario.faults.some((f) => f.command.type === 'fill_memory'), () => true],
];

describe('controls', () => {
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

  test('9. failure toggles: aria-pressed follows the model, on and off', async () => {
    await waitState(page, (s) => s.last !== null, { what: 'a first complete second', timeout: 60_000 });
    for (const [id, isOn] of TOGGLES) {
      const b = page.locator(id);
      assert.equal(await b.getAttribute('aria-pressed'), 'false', `${id} starts off`);
      await b.click();
      await waitState(page, isOn, { what: `${id} on in the state`, timeout: 15_000 });
      await page.waitForFunction((sel) => document.querySelector(sel).getAttribute('aria-pressed') === 'true', id, { timeout: 10_000 });
      assert.match(await page.locator('#message').textContent(), /^On\b/, `${id}: the notice says it is on`);
    }
    // everything at once, for a look
    await waitState(page, (s) => s.last && s.last.err_502 > 0, { what: '502s from the unhealthy pods', timeout: 60_000 });
    await shot(page, '09a-all-toggles-on');
    for (const [id, , isOff] of TOGGLES) {
      await page.locator(id).click();
      await waitState(page, isOff, { what: `${id} off in the state`, timeout: 15_000 });
      await page.waitForFunction((sel) => document.querySelector(sel).getAttribute('aria-pressed') === 'false', id, { timeout: 10_000 });
    }
    const s = await readState(page);
    const kinds = s.scenario.faults.map((f) => f.command.type);
    assert.ok(kinds.includes('clear_fill'), `fill memory off clears the filler: ${kinds}`);
    assert.equal(s.scenario.faults.length, 12, 'twelve live commands in the shared scenario');
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });

  test('10. keyboard shortcuts, speed 100x and reset', async () => {
    await page.locator('#arch-canvas').click(); // focus outside the form fields
    await page.keyboard.press(' ');
    const paused = await waitState(page, (s) => s.paused, { what: 'Space to pause', timeout: 10_000 });
    assert.equal(await page.locator('#play-pause').getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('.');
    await waitState(page, (s) => s.now_s >= paused.now_s + 0.999999, { what: '. to step one second', timeout: 20_000 });
    await page.keyboard.press(' ');
    await waitState(page, (s) => !s.paused, { what: 'Space to play', timeout: 10_000 });

    await setSpeed(page, 100);
    const fast = await readState(page);
    await waitState(page, (s) => s.now_s > fast.now_s + 3, { what: 'time to go on at 100x', timeout: 60_000 });
    await setSpeed(page, 1);

    const before = await readState(page);
    assert.ok(before.scenario.faults.length > 0);
    await page.locator('#reset').click();
    const reset = await waitState(page, (s) => s.now_s < before.now_s && s.scenario.faults.length === 0, { what: 'reset to t = 0', timeout: 10_000 });
    assert.ok(reset.now_s < 2, `reset restarts at 0: ${reset.now_s}`);
    assert.equal(reset.preset, 'steady');
    for (const [id] of TOGGLES) assert.equal(await page.locator(id).getAttribute('aria-pressed'), 'false', `${id} off after reset`);
    assertNoPageProblems(assert, page);
  });

  test('11. exports: the history as CSV and the charts as PNG', async () => {
    const s = await waitState(page, (x) => x.now_s >= 3, { what: 'three simulated seconds', timeout: 60_000 });
    const [csv] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('#export-csv').click()]);
    assert.equal(csv.suggestedFilename(), `cachesim-steady-seed${s.scenario.seed}.csv`);
    const text = fs.readFileSync(await csv.path(), 'utf8');
    const lines = text.trim().split('\n');
    const header = lines[0].split(',');
    assert.deepEqual(header.slice(0, 4), ['t_s', 'arrived', 'completed', 'failed']);
    for (const field of ['hit_rate', 'db_offered', 'db_queries', 'p99_ms', 'cache_cpu']) assert.ok(header.includes(field), `CSV column ${field}`);
    assert.ok(lines.length - 1 >= 3, `one row per simulated second: ${lines.length - 1} rows`);
    assert.ok(lines.slice(1).every((l) => l.split(',').length === header.length), 'every row has every column');
    const row = Object.fromEntries(header.map((k, i) => [k, Number(lines[1].split(',')[i])]));
    assert.equal(row.t_s, 0);
    assert.ok(row.arrived > 5000 && row.hit_rate > 0.7, `the first second: ${JSON.stringify({ arrived: row.arrived, hit_rate: row.hit_rate })}`);
    assert.match(await page.locator('#message').textContent(), /CSV/);

    const [png] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('#export-png').click()]);
    assert.match(png.suggestedFilename(), /^cachesim-steady-seed\d+-charts\.png$/);
    const bytes = fs.readFileSync(await png.path());
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    assert.ok(bytes.length > 5000, `the PNG has content: ${bytes.length} bytes`);
    await shot(page, '11-exports');
    assertNoPageProblems(assert, page);
  });

  test('12. scenario files: save the run (live crash included), load it in a fresh page, refuse a bad file', async () => {
    await page.locator('#reset').click();
    await waitState(page, (x) => x.now_s >= 2, { what: 'two simulated seconds', timeout: 60_000 });
    await page.locator('#btn-crash').click();
    const crashed = await waitState(page, (x) => !x.status.cache_up, { what: 'the crash', timeout: 15_000 });
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('#export-scenario').click()]);
    assert.equal(dl.suggestedFilename(), `cachesim-steady-seed${crashed.scenario.seed}.json`);
    const file = await dl.path();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(saved, crashed.scenario, 'the file is the run\'s scenario, live changes as faults');
    assert.ok(saved.faults.some((f) => f.command.type === 'crash_cache' && f.at_s >= 2), `the live crash is a fault: ${JSON.stringify(saved.faults)}`);
    assert.match(await page.locator('#message').textContent(), /cachesim run --scenario/);

    // the CLI reads the same file (when a native build left the binary)
    const cli = path.join(ROOT, 'target', 'debug', 'cachesim');
    if (fs.existsSync(cli)) {
      const v = spawnSync(cli, ['validate', file], { encoding: 'utf8' });
      assert.equal(v.status, 0, `cachesim validate accepts the saved file: ${v.stdout}${v.stderr}`);
    }

    const fresh = await openPage(h, '?preset=hot-key');
    try {
      await waitState(fresh, (x) => x.preset === 'hot-key', { what: 'the hot-key preset', timeout: 30_000 });
      await fresh.locator('#scenario-file').setInputFiles(file);
      const loaded = await waitState(fresh, (x) => x.preset === 'steady' && x.now_s < 2, { what: 'the loaded scenario', timeout: 30_000 });
      assert.deepEqual(loaded.scenario, saved, 'the page runs the file');
      assert.match(await fresh.locator('#message').textContent(), /Loaded the scenario/);
      const again = await waitState(fresh, (x) => x.now_s > 2.5 && !x.status.cache_up, { what: 'the crash at the same time', timeout: 60_000 });
      assert.ok(!again.status.cache_up, 'the crash replays from the file');

      // a bad file: a message naming the field, the run goes on unchanged
      const before = await readState(fresh);
      await fresh.locator('#scenario-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"client":{"rps":-1}}') });
      await waitPage(fresh, () => /client\.rps/.test(document.querySelector('#message').textContent), null, { what: 'the message about client.rps' });
      const msg = await fresh.locator('#message').textContent();
      assert.match(msg, /bad\.json/);
      assert.match(msg, /goes on unchanged/);
      const after = await waitState(fresh, (x) => x.now_s > before.now_s + 0.5, { what: 'the run to go on', timeout: 30_000 });
      assert.deepEqual(after.scenario, saved, 'the scenario is unchanged');
      assert.equal(await isVisible(fresh, '#panic-banner'), false);
      await shot(fresh, '12-scenario-file');
      assertNoPageProblems(assert, fresh);
    } finally {
      await closePage(fresh);
    }
  });

  test('13. single-flight: the checkbox coalesces misses under a hot key, and the share link keeps it', async () => {
    const hot = await openPage(h, '?preset=hot-key&t=40');
    try {
      await waitState(hot, (x) => x.now_s >= 40 && x.last !== null, { what: 'the hot key running', timeout: 60_000 });
      const box = hot.locator('#single-flight');
      assert.equal(await box.isChecked(), false, 'off by default, as in the seed');
      await box.check();
      const on = await waitState(hot, (x) => x.status.single_flight && x.last && x.last.coalesced > 0, { what: 'coalesced misses', timeout: 60_000 });
      assert.ok(on.scenario.faults.some((f) => f.command.type === 'single_flight' && f.command.on === true), 'the live change is in the scenario');
      await waitPage(hot, () => /misses wait for a load/.test(document.querySelector('#explain').textContent), null, { what: 'the explanation to name single-flight' });
      await hot.locator('#copy-link').click();
      const url = new URL(await hot.locator('#share-url').inputValue());
      const shared = JSON.parse(Buffer.from(url.searchParams.get('s'), 'base64url').toString('utf8'));
      assert.ok(shared.faults.some((f) => f.command.type === 'single_flight' && f.command.on), 'the share link replays it');
      await shot(hot, '13-single-flight');
      await box.uncheck();
      await waitState(hot, (x) => !x.status.single_flight, { what: 'single-flight off', timeout: 15_000 });
      assertNoPageProblems(assert, hot);
    } finally {
      await closePage(hot);
    }
  });
});
