// V1 and the architecture built live: the Architecture menu, the proxy and
// the shards on the canvas with live flow, one shard crashed from the canvas
// (the DB gets about a third of the reads, not the whole herd), a shard
// added and filled, a built architecture carried by a share link, and a
// link naming a shard that does not exist.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertNoPageProblems, pageSuite, isVisible, readState, sameTime, setSpeed, shot, waitState,
} from './harness.mjs';

const PROXY = 2;
const DB = 3;
const shardId = (i) => 16 + i;
const isShard = (id) => id >= 16 && id < 64;
const isPod = (id) => id >= 64;

/** The smoothed rate on an edge of `#state-json`'s topology. */
function rate(s, from, to) {
  return s.edge_rates.find((e) => e.from === from && e.to === to)?.rate ?? 0;
}

/** Clicks the centre of node `id`'s box on the architecture canvas. */
async function clickNode(page, id) {
  const s = await waitState(page, (x) => x.canvas?.boxes?.some((b) => b.id === id), { what: `node ${id} drawn on the canvas` });
  const b = s.canvas.boxes.find((x) => x.id === id);
  await page.locator('#arch-canvas').click({ position: { x: b.x + b.w / 2, y: b.y + b.h / 2 } });
}

async function stepN(page, n) {
  for (let i = 0; i < n; i++) {
    const t = (await readState(page)).now_s;
    await page.locator('#step').click();
    await waitState(page, (s) => s.now_s >= t + 0.999999 && s.paused, { what: `step ${i + 1} of ${n}`, timeout: 20_000 });
  }
  return readState(page);
}

describe('V1 and the architecture built live', () => {
  const suite = pageSuite();
  const { open } = suite;

  test('12a. choosing V1 draws the proxy and three shards with live flow; crashing one shard from the canvas sends ~1/3 of reads to the DB', async () => {
    const page = await open('', { width: 1400, height: 900 });
    const v0 = await readState(page);
    assert.equal(v0.design, 'V0');
    assert.equal(v0.topology.nodes.filter((n) => n.kind === 'shard').length, 1, 'V0: one Redis');
    assert.equal(await isVisible(page, '#shard-buttons'), false, 'no per-shard buttons with one Redis');

    const presets = await page.locator('#preset option').evaluateAll((os) => os.map((o) => o.value));
    for (const p of ['v1-steady', 'v1-shard-crash', 'v1-hot-key-coalesced', 'v1-resize']) {
      assert.ok(presets.includes(p), `the presets menu offers ${p}`);
    }
    await page.locator('#architecture').selectOption('v1');
    const v1 = await waitState(page, (s) => s.design === 'V1' && s.topology.nodes.some((n) => n.id === PROXY), { what: 'V1 running' });
    assert.equal(v1.preset, 'v1-steady', 'steady with V1 is the v1-steady preset');
    assert.equal(v1.status.shards.length, 3);
    assert.ok(v1.status.proxy?.single_flight, 'the proxy coalesces');
    assert.ok(v1.topology.nodes.some((n) => n.kind === 'warmup'), 'the warm-up worker is there');
    await setSpeed(page, 10);
    const flowing = await waitState(page, (s) => s.now_s > 3 && s.last
      && [0, 1, 2].every((i) => rate(s, PROXY, shardId(i)) > 500)
      && s.topology.edges.filter(([a, b]) => isPod(a) && b === PROXY).every(([a, b]) => rate(s, a, b) > 1000), {
      what: 'flow on pod -> proxy and proxy -> every shard', timeout: 60_000,
    });
    for (const id of [PROXY, shardId(0), shardId(1), shardId(2), DB, 4]) {
      assert.ok(flowing.canvas.boxes.some((b) => b.id === id), `node ${id} is drawn`);
    }
    assert.equal(await page.locator('#shard-buttons button').count(), 3, 'one button per shard');
    await shot(page, '12a-v1-steady');

    // the DB before the crash, over a whole second
    const before = flowing.last;
    const reads = before.reads;
    await clickNode(page, shardId(1));
    const down = await waitState(page, (s) => s.status.shards[1].up === false, { what: 'shard 1 down' });
    assert.equal(down.status.cache_up, true, 'the other shards are up');
    assert.ok(down.status.shards[0].up && down.status.shards[2].up);
    assert.equal(await page.locator('#shard-1').textContent(), 'Restart 1', 'its button now restarts it');
    const crashAt = down.now_s;
    const herd = await waitState(page, (s) => s.last && s.last.t_s >= Math.ceil(crashAt) + 1, { what: 'a whole second after the crash', timeout: 60_000 });
    const extra = herd.last.db_offered - before.db_offered;
    assert.ok(extra > 0.15 * reads && extra < 0.6 * reads,
      `the DB gets about a third of the reads more: +${extra} queries/s for ${reads} reads/s`);
    assert.ok(herd.last.db_offered < 0.6 * herd.last.arrived,
      `not the whole herd of a V0 crash: ${herd.last.db_offered} offered for ${herd.last.arrived} requests`);
    const explain = await page.locator('#explain').textContent();
    assert.match(explain, /^Shard 1 is DOWN: the keys the ring maps to it \(~\d+% of reads/, explain);
    await shot(page, '12a-v1-shard-crash');

    // its button restarts it
    await page.locator('#shard-1').click();
    await waitState(page, (s) => s.status.shards[1].up === true, { what: 'shard 1 restarted' });
    const kinds = (await readState(page)).scenario.faults.map((f) => [f.command.type, f.command.shard]);
    assert.deepEqual(kinds, [['crash_cache', 1], ['restart_cache', 1]], 'the live commands name shard 1');
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });

  test('12b. an added shard joins the ring empty and fills; the phone layout shows every shard', async () => {
    const page = await open('?preset=v1-steady', { width: 375, height: 812 });
    await setSpeed(page, 10);
    await waitState(page, (s) => s.now_s > 1.5, { what: 'a running V1', timeout: 60_000 });
    await page.locator('#add-shard').click();
    const added = await waitState(page, (s) => s.status.shards.length === 4, { what: 'a fourth shard' });
    assert.equal(added.design, 'custom', 'four shards are a design of our own');
    assert.equal(await page.locator('#shards-value').textContent(), '4 shards');
    const k0 = added.status.shards[3].keys;
    const filled = await waitState(page, (s) => s.status.shards[3].keys > k0 + 5_000 && s.now_s > added.now_s + 3, {
      what: 'the new shard filling', timeout: 60_000,
    });
    assert.ok(filled.status.shards[3].keys > 5_000, `keys on shard 3: ${filled.status.shards[3].keys}`);
    assert.ok(rate(filled, PROXY, shardId(3)) > 100, 'traffic reaches the new shard');
    // every shard's box fits the phone's canvas, side by side with nothing
    const boxes = filled.canvas.boxes;
    assert.equal(boxes.filter((b) => isShard(b.id)).length, 4);
    for (const b of boxes) {
      assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= filled.canvas.w + 0.01 && b.y + b.h <= filled.canvas.h + 0.01, `box ${b.id} inside`);
    }
    // and twelve more: 16 shards on a 375 px phone
    for (let i = 0; i < 12; i++) await page.locator('#add-shard').click();
    const many = await waitState(page, (s) => s.status.shards.length === 16 && s.canvas?.boxes.filter((b) => isShard(b.id)).length === 16, { what: '16 shards drawn' });
    assert.equal(await page.locator('#add-shard').isDisabled(), true, '16 shards at most');
    for (const b of many.canvas.boxes.filter((x) => isShard(x.id))) assert.ok(b.w >= 60 && b.h >= 40, `shard box ${b.id} legible: ${b.w}x${b.h}`);
    await shot(page, '12b-16-shards-phone');
    assert.equal(await isVisible(page, '#panic-banner'), false);
    assertNoPageProblems(assert, page);
  });

  test('12c. a share link carries an architecture built live (shard, proxy, router) and reproduces the run', async () => {
    const a = await open('?paused');
    await stepN(a, 2);
    await a.locator('#add-shard').click();
    await waitState(a, (s) => s.status.shards.length === 2, { what: 'two shards' });
    await a.locator('#proxy').check();
    await waitState(a, (s) => s.status.proxy !== null, { what: 'the proxy in' });
    await a.locator('#router').selectOption('mod-n');
    await waitState(a, (s) => s.status.router === 'mod-n', { what: 'mod-N routing' });
    const endA = await stepN(a, 2);
    const kinds = endA.scenario.faults.map((f) => f.command.type);
    assert.deepEqual(kinds, ['add_shard', 'set_proxy', 'set_router'], 'the building steps are in the shared scenario');

    await a.locator('#copy-link').click();
    const url = await (await a.waitForFunction(() => document.getElementById('share-url')?.value || null)).jsonValue();
    // the link carries the moment (t, paused): it opens where A is
    const b = await open(url.slice(suite.url().length));
    const endB = await readState(b);
    assert.deepEqual(endB.scenario, endA.scenario, 'the same scenario');
    assert.ok(sameTime(endB.now_s, endA.now_s), `opened at ${endB.now_s}, shared at ${endA.now_s}`);
    assert.equal(endB.status.shards.length, 2);
    assert.equal(endB.status.router, 'mod-n');
    assert.ok(endB.status.proxy);
    assert.deepEqual(endB.last, endA.last, 'the same numbers in the last second');
    assert.deepEqual(endB.topology, endA.topology, 'the same architecture');
    for (const p of [a, b]) assertNoPageProblems(assert, p);
  });

  test('12d. a link naming shard 9 of 3, or 0 shards, says so and runs the default', async () => {
    const page = await open('?preset=v1-steady&paused');
    const s = (await readState(page)).scenario;
    const bad = structuredClone(s);
    bad.faults = [{ at_s: 1, command: { type: 'crash_cache', shard: 9 } }];
    const zero = structuredClone(s);
    zero.topology.shards = 0;
    for (const [what, sc] of [['shard 9', bad], ['0 shards', zero]]) {
      const p = await open(`?s=${Buffer.from(JSON.stringify(sc)).toString('base64url')}`);
      const msg = await p.locator('#message').textContent();
      assert.equal(await isVisible(p, '#message'), true, `${what}: a notice`);
      assert.match(msg, /shard/i, `${what}: the notice names the field: ${msg}`);
      const t0 = (await readState(p)).now_s;
      await waitState(p, (x) => x.now_s > t0 + 0.5, { what: `${what}: the default runs on` });
      assert.equal(await isVisible(p, '#panic-banner'), false);
    }
  });
});
