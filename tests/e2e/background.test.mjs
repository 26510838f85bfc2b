// A page hidden for ten minutes (a background tab gets no animation frames),
// emulated with Playwright's clock jumping ten minutes between two frames:
// the run goes on from where it was, by at most one frame's worth, never a
// huge catch-up, and the page says it paused.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoPageProblems, closePage, openPage, readState, shot, startHarness, waitState } from './harness.mjs';

describe('background tab', () => {
  let h;
  let page;

  before(async () => {
    h = await startHarness();
    page = await openPage(h, '?preset=steady&speed=10');
  });

  after(async () => {
    if (page) await closePage(page);
    if (h) await h.close();
  });

  test('13. ten minutes without frames: one bounded step and a notice', async () => {
    await waitState(page, (s) => s.now_s > 1, { what: 'the run to start' });
    await page.clock.install();
    await page.clock.runFor(500);
    const before = await readState(page);
    const t0 = Date.now();
    await page.clock.fastForward('10:00');
    await page.clock.runFor(50);
    const after = await readState(page);
    const wall = Date.now() - t0;
    // at 10x one frame is at most 0.1 s x 10 of simulated time; a few frames ran
    assert.ok(after.now_s - before.now_s < 10, `advanced ${after.now_s - before.now_s} s after a 10 min gap`);
    assert.ok(wall < 20_000, `the page stayed responsive (${wall} ms)`);
    const notice = await page.textContent('#message');
    const m = notice.match(/hidden for ([\d.]+) s: the simulation paused/);
    assert.ok(m && Math.abs(Number(m[1]) - 600) < 5, notice);
    await shot(page, '13-background-gap');
    assertNoPageProblems(assert, page);
  });
});
