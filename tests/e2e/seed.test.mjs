// The "New seed" button: a seed from the browser's entropy (getrandom), the
// same scenario restarted with it, and the seed in the share link.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertNoPageProblems, closePage, openPage, readState, shot, startHarness, waitState } from './harness.mjs';

describe('new seed', () => {
  let h;
  let page;

  before(async () => {
    h = await startHarness();
    page = await openPage(h, '?preset=cache-crash');
  });

  after(async () => {
    if (page) await closePage(page);
    if (h) await h.close();
  });

  test('12. New seed restarts the same preset with a random seed, twice differently', async () => {
    const before = await readState(page);
    await page.click('#seed-random');
    const first = await waitState(page, (s) => s.scenario.seed !== before.scenario.seed, { what: 'a new seed' });
    assert.equal(first.scenario.name, 'cache-crash', 'the same scenario');
    assert.equal(String(first.scenario.seed), await page.inputValue('#seed'), 'the seed field shows it');
    assert.ok(Number.isSafeInteger(first.scenario.seed), `${first.scenario.seed}`);
    await page.click('#seed-random');
    const second = await waitState(page, (s) => s.scenario.seed !== first.scenario.seed, { what: 'another seed' });
    assert.notEqual(second.scenario.seed, first.scenario.seed);
    await shot(page, '12-new-seed');
    assertNoPageProblems(assert, page);
  });
});
