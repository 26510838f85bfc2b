// The seed's mitigations on the page: a checkbox per mitigation sends the
// live command, the model's state follows, the share link carries it, and a
// preset that sets one shows it checked.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoPageProblems, pageSuite, readState, waitState } from './harness.mjs';

describe('mitigations', () => {
  const suite = pageSuite();

  test('15a. the circuit breaker from its checkbox holds the DB to its budget during a crash', async () => {
    const page = await suite.open('?preset=cache-crash&speed=10');
    await waitState(page, (s) => s.last !== null, { what: 'a first second', timeout: 60_000 });
    const box = page.locator('#mit-circuit-breaker');
    assert.equal(await box.isChecked(), false, 'off in cache-crash');
    await box.check();
    await waitState(page, (s) => s.status.mitigations.includes('circuit-breaker'), { what: 'the breaker on in the model' });
    const st = await readState(page);
    assert.ok(
      st.scenario.faults.some((f) => f.command.type === 'mitigation' && f.command.name === 'circuit-breaker' && f.command.on),
      'the live command is in the shared scenario',
    );
    // the crash comes at 60 s: while Redis is down the pods answer misses with degradation errors
    await waitState(page, (s) => s.last && s.last.t_s > 65 && s.last.err_degraded > 0, { what: 'degradation errors in the outage', timeout: 90_000 });
    const during = await readState(page);
    // two pods x 600 missed reads/s at most reach the DB while the breaker is open
    assert.ok(during.last.db_miss <= 2 * 600 * 1.1, `db misses ${during.last.db_miss}`);
    await box.uncheck();
    await waitState(page, (s) => !s.status.mitigations.includes('circuit-breaker'), { what: 'the breaker off again' });
    assertNoPageProblems(assert, page);
  });

  test('15b. a mitigation preset opens with its box checked', async () => {
    const page = await suite.open('?preset=cache-crash-pgbouncer');
    await waitState(page, (s) => s.status.mitigations.includes('pgbouncer'), { what: 'PgBouncer on' });
    await page.waitForFunction(() => document.querySelector('#mit-pgbouncer').checked, null, { timeout: 10_000 });
    assert.equal(await page.locator('#mit-rdb').isChecked(), false);
    assertNoPageProblems(assert, page);
  });
});
