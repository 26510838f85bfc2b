// V2 on the page and the comparison view: a V2 preset draws every shard's
// replica and the invalidation stream with flow on their edges; a primary
// crashed from its button counts down to its failover, then its replica is
// promoted and the dead node can rejoin; the stream's consumer stopped from
// its failure button piles up a backlog; the bill follows the shards; the
// comparison of V0/V1/V2 runs in the tab with progress, draws the three
// designs on each chart and the table beside the seed's, and its link
// reproduces it. Screenshots at 1400x900 and 375x812.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertNoPageProblems, canvasStats, pageSuite, readState, setSpeed, shot, waitState,
} from './harness.mjs';

const DB = 3;
const STREAM = 5;
const shardId = (i) => 16 + i;
const replicaId = (shard, j) => 160 + shard * 2 + j;

function rate(s, from, to) {
  return s.edge_rates.find((e) => e.from === from && e.to === to)?.rate ?? 0;
}

/** Pixels of a canvas within `tol` of each of `colors` ([r, g, b]). */
async function colorCounts(page, selector, colors, tol = 40) {
  return page.evaluate(({ sel, colors, tol }) => {
    const c = document.querySelector(sel);
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const counts = colors.map(() => 0);
    for (let i = 0; i < d.length; i += 4) {
      colors.forEach(([r, g, b], k) => {
        if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < tol) counts[k]++;
      });
    }
    return counts;
  }, { sel: selector, colors, tol });
}

// the designs' colours (web/src/compare_charts.rs)
const DESIGN_RGB = [[220, 38, 38], [37, 99, 235], [22, 163, 74]];
const CHARTS = ['#compare-hit-rate', '#compare-db', '#compare-p99', '#compare-errors'];

/** Waits for the comparison to finish; returns the state. */
async function comparisonDone(page) {
  let seen = 0;
  const s = await waitState(page, (x) => {
    const c = x.comparison;
    if (c?.open && c.progress > seen) seen = c.progress;
    return c?.open && c.done;
  }, { what: 'the comparison to finish', timeout: 240_000, every: 500 });
  return s;
}

describe('V2 on the page and the comparison view', () => {
  const suite = pageSuite();
  const { open } = suite;

  test('13a. a V2 preset draws the replicas and the stream, with flow on their edges', async () => {
    const page = await open('?preset=v2-steady', { width: 1400, height: 900 });
    await setSpeed(page, 10);
    const s = await waitState(page, (x) => x.now_s > 4 && x.last
      && [0, 1, 2].every((i) => rate(x, shardId(i), replicaId(i, 0)) > 10)
      && x.topology.edges.some(([a, b]) => b === replicaId(0, 0) && rate(x, a, b) > 100)
      && rate(x, DB, STREAM) > 10 && [0, 1, 2].some((i) => rate(x, STREAM, shardId(i)) > 1), {
      what: 'flow on shard -> replica, the reads into replicas, DB -> stream -> shards', timeout: 60_000,
    });
    assert.equal(s.design, 'V2');
    for (const id of [STREAM, replicaId(0, 0), replicaId(1, 0), replicaId(2, 0)]) {
      const b = s.canvas.boxes.find((x) => x.id === id);
      assert.ok(b && b.w > 10 && b.h > 10, `node ${id} has a box on the canvas`);
    }
    // each replica sits inside its shard's box
    for (const i of [0, 1, 2]) {
      const sh = s.canvas.boxes.find((x) => x.id === shardId(i));
      const r = s.canvas.boxes.find((x) => x.id === replicaId(i, 0));
      assert.ok(r.x >= sh.x && r.y >= sh.y && r.x + r.w <= sh.x + sh.w + 0.01 && r.y + r.h <= sh.y + sh.h + 0.01, `replica of shard ${i} in its box`);
    }
    assert.ok(s.status.l1.hit_share > 0.05, `the L1 answers reads: ${s.status.l1.hit_share}`);
    assert.equal(s.status.stream.running, true);
    assert.equal(await page.locator('#architecture').inputValue(), 'v2');
    assert.equal(await page.locator('#replica-reads').isChecked(), true);
    assert.equal(await page.locator('#btn-stop-stream').isVisible(), true);
    const bill = await page.locator('#bill').textContent();
    assert.match(bill, /^Bill: \$[\d,]+\/month/);
    assert.ok(bill.includes(`$${Math.round(s.status.cost.monthly_usd).toLocaleString('en-US')}/month`), `the bill is the model's: ${bill}`);
    assert.ok(bill.includes("the seed's V2: 500K ops/s, $4,500/month, 99.99%"), bill);
    const stats = await canvasStats(page, '#arch-canvas');
    assert.ok(stats.colors > 20 && stats.nonBackground > 0.1, JSON.stringify(stats));
    await shot(page, '13a-v2-steady-1400');
    assertNoPageProblems(assert, page);
  });

  test('13b. crashing a primary counts down its failover, then the replica is promoted and the dead node rejoins', async () => {
    const page = await open('?preset=v2-steady', { width: 1400, height: 900 });
    await waitState(page, (x) => x.now_s > 2 && x.last, { what: 'a few seconds of V2' });
    assert.equal(await page.locator('#shard-1').textContent(), 'Crash primary 1');
    await page.locator('#shard-1').click();
    const down = await waitState(page, (x) => x.status.shards[1].up === false && x.status.shards[1].failover_in_s > 0, { what: 'shard 1 failing over' });
    assert.ok(down.status.shards[1].failover_in_s <= 5, `${down.status.shards[1].failover_in_s}`);
    assert.equal(down.status.shards[1].replicas[0].up, true, 'its replica serves on');
    assert.match(await page.locator('#message').textContent(), /promotes it in \d\.\d s/);
    assert.match(await page.locator('[data-component=cache]').textContent(), /shard 1 primary DOWN, promoting replica in \d\.\d s/);
    assert.match(await page.locator('#explain').textContent(), /Shard 1's primary is DOWN: its replica serves the shard's reads and is promoted in \d\.\d s/);
    await shot(page, '13b-v2-failover-countdown');
    // the countdown runs down with simulated time
    const later = await waitState(page, (x) => x.status.shards[1].failover_in_s !== null && x.status.shards[1].failover_in_s < down.status.shards[1].failover_in_s - 1, { what: 'the countdown to run' });
    assert.equal(later.status.shards[1].up, false);
    const promoted = await waitState(page, (x) => x.status.shards[1].up && x.status.shards[1].failover_in_s === null, { what: 'the replica promoted', timeout: 30_000 });
    assert.equal(promoted.status.shards[1].replicas[0].up, false, 'the dead node is now the down replica');
    const counted = await waitState(page, (x) => x.totals?.tiers?.failovers === 1, { what: 'the failover counted in the totals' });
    assert.ok(counted.status.shards[1].up);
    assert.ok(promoted.now_s - down.now_s >= 4.5, `promoted after the 5 s delay (${down.now_s} -> ${promoted.now_s})`);
    await page.locator('#shard-1-rejoin').waitFor({ timeout: 10_000 });
    await shot(page, '13b-v2-promoted');
    // the dead node's box on the canvas brings it back (as its button would)
    const st = await readState(page);
    const box = st.canvas.boxes.find((b) => b.id === replicaId(1, 0));
    await page.locator('#arch-canvas').click({ position: { x: box.x + box.w / 2, y: box.y + box.h / 2 } });
    await waitState(page, (x) => x.status.shards[1].replicas[0].up, { what: 'the node rejoined as a replica' });
    assert.match(await page.locator('#message').textContent(), /rejoined as a replica/);
    // the live commands are in the share link
    const faults = JSON.stringify((await readState(page)).scenario.faults);
    assert.equal((faults.match(/crash_cache/g) || []).length, 1, `the crash is in the shared scenario: ${faults}`);
    assert.equal((faults.match(/restart_cache/g) || []).length, 1, `so is the rejoin: ${faults}`);
    assertNoPageProblems(assert, page);
  });

  test('13c. stopping the stream consumer piles up its backlog; replica reads off; the bill follows the shards', async () => {
    const page = await open('?preset=v2-steady', { width: 375, height: 812 });
    const running = await waitState(page, (x) => x.now_s > 1.5 && x.last, { what: 'V2 running' });
    // events in flight while the consumer runs: its 50-200 ms lag
    const steady = running.status.stream;
    assert.ok(steady.running && steady.lag_ms < 500, JSON.stringify(steady));
    await page.locator('#btn-stop-stream').click();
    const stopped = await waitState(page, (x) => x.status.stream.running === false && x.status.stream.backlog > 5 * Math.max(steady.backlog, 20) && x.status.stream.lag_ms > 1000, {
      what: 'a backlog piling up behind the stopped consumer',
    });
    assert.equal(await page.locator('#btn-stop-stream').getAttribute('aria-pressed'), 'true');
    assert.match(await page.locator('[data-component=stream]').textContent(), /consumer STOPPED, backlog/);
    const later = await waitState(page, (x) => x.status.stream.backlog > stopped.status.stream.backlog && x.status.stream.lag_ms > stopped.status.stream.lag_ms, { what: 'the backlog and its lag growing' });
    assert.equal(later.status.stream.running, false);
    await shot(page, '13c-v2-stream-stopped-375');
    await page.locator('#btn-stop-stream').click();
    await waitState(page, (x) => x.status.stream.running && x.status.stream.backlog < later.status.stream.backlog / 2 && x.status.stream.lag_ms < 500, { what: 'the consumer draining the backlog' });
    assert.equal(await page.locator('#btn-stop-stream').getAttribute('aria-pressed'), 'false');
    await page.locator('#replica-reads').uncheck();
    await waitState(page, (x) => x.status.replica_reads === false, { what: 'reads from primaries only' });
    const before = (await readState(page)).status.cost.monthly_usd;
    await page.locator('#add-shard').click();
    const grown = await waitState(page, (x) => x.status.shards.length === 4, { what: 'a fourth shard' });
    // a shard in V2 is a primary and its replica: two Redis nodes
    assert.equal(grown.status.cost.monthly_usd, before + 2 * 175);
    assert.ok((await page.locator('#bill').textContent()).includes('custom design'));
    const link = await readState(page);
    const faults = JSON.stringify(link.scenario.faults);
    assert.equal((faults.match(/stream_consumer/g) || []).length, 2, `the stream's stop and start are in the shared scenario: ${faults}`);
    assert.ok(faults.includes('replica_reads'), faults);
    await shot(page, '13c-v2-375');
    assertNoPageProblems(assert, page);
  });

  test('14a. the comparison view runs V0, V1 and V2 with progress, then three series per chart and the table', async () => {
    const page = await open('', { width: 1400, height: 900 });
    await page.locator('#preset').selectOption('compare-crash');
    await waitState(page, (x) => x.preset === 'compare-crash', { what: 'compare-crash' });
    await page.locator('#open-compare').click();
    const started = await waitState(page, (x) => x.comparison?.open, { what: 'the comparison open' });
    assert.equal(started.comparison.link, '?compare=compare-crash');
    assert.equal(await page.locator('#compare').isVisible(), true);
    assert.equal(await page.locator('#arch-canvas').isVisible(), false, 'the simulator waits behind');
    // progress moves while the tab stays responsive
    const mid = await waitState(page, (x) => x.comparison.progress > 0.05 && !x.comparison.done, { what: 'progress', timeout: 120_000 });
    const t0 = Date.now();
    await page.evaluate(() => 1 + 1);
    assert.ok(Date.now() - t0 < 1000, 'the tab answers during the runs');
    assert.match(mid.comparison.status, /Running V\d \(\d of 3\)/);
    const done = await comparisonDone(page);
    const c = done.comparison;
    assert.equal(c.results.length, 3);
    for (const chart of c.charts) {
      assert.deepEqual(chart.series.map((x) => x.design), ['v0', 'v1', 'v2'], chart.id);
      for (const x of chart.series) assert.equal(x.points, c.seconds, `${chart.id} ${x.design}`);
    }
    for (const sel of CHARTS) {
      const counts = await colorCounts(page, sel, DESIGN_RGB);
      for (const [k, n] of counts.entries()) assert.ok(n > 150, `${sel}: design V${k} drawn (${n} px)`);
    }
    // the numbers come from the runs: V0 loses its only node, V2 keeps serving
    const [v0, v1, v2] = c.results;
    assert.ok(v0.fault.errors > v1.fault.errors && v1.fault.errors >= v2.fault.errors, JSON.stringify(c.results.map((r) => r.fault.errors)));
    assert.ok(v0.fault.peak_db_offered > v2.fault.peak_db_offered);
    assert.ok(v0.monthly_usd < v1.monthly_usd && v1.monthly_usd < v2.monthly_usd);
    const rows = await page.locator('#compare-table tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const row = (label) => rows.find((r) => r[0] === label);
    assert.deepEqual(rows[0].slice(1), ['V0', 'V1', 'V2']);
    assert.equal(row('monthly cost')[1], '$695');
    assert.equal(row('monthly cost')[3], `$${Math.round(v2.monthly_usd).toLocaleString('en-US')}`);
    assert.deepEqual(row('the seed: monthly cost').slice(1), ['$695', '$1,800', '$4,500']);
    assert.deepEqual(row('the seed: availability').slice(1), ['99%', '99.5%', '99.99%']);
    assert.deepEqual(row('the seed: ops/s').slice(1), ['10K ops/s', '100K ops/s', '500K ops/s']);
    assert.match(row('DB load in the fault, peak')[1], /x capacity$/, 'V0 overloads the DB');
    assert.match(row('DB load in the fault, peak')[3], /% of capacity$/, 'V2 does not');
    for (const label of ['hit rate, whole run', 'DB queries/s offered, fault peak', 'errors in the fault', 'DB queries from 100 misses on a hot key', 'p99, errors included', 'stale reads (p99 age)', 'availability']) {
      assert.ok(row(label), `the table has ${label}`);
    }
    assert.equal(row('DB queries from 100 misses on a hot key')[1], String(v0.stampede_queries));
    await shot(page, '14a-compare-1400');
    // back to the simulator
    await page.locator('#compare-close').click();
    await waitState(page, (x) => !x.comparison.open, { what: 'the view closed' });
    assert.equal(await page.locator('#arch-canvas').isVisible(), true);
    assertNoPageProblems(assert, page);
  });

  test('14b. a comparison link reproduces it, at 375 px too', async () => {
    const page = await open('?compare=compare-crash&seconds=120', { width: 375, height: 812 });
    const s = await comparisonDone(page);
    assert.equal(s.comparison.seconds, 120);
    assert.equal(s.comparison.link, '?compare=compare-crash&seconds=120');
    assert.equal(await page.locator('#compare-share-url').inputValue(), suite.url() + '?compare=compare-crash&seconds=120');
    // the same numbers as the same link opened again
    const again = await open('?compare=compare-crash&seconds=120', { width: 1400, height: 900 });
    const t = await comparisonDone(again);
    assert.deepEqual(t.comparison.table, s.comparison.table, 'the link reproduces the table');
    for (const sel of CHARTS) {
      const counts = await colorCounts(page, sel, DESIGN_RGB);
      for (const [k, n] of counts.entries()) assert.ok(n > 80, `${sel} at 375 px: design V${k} drawn (${n} px)`);
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 380, `no sideways scrolling at 375 px (${width})`);
    await shot(page, '14b-compare-375');
    assertNoPageProblems(assert, page);
    assertNoPageProblems(assert, again);
  });
});
