// The pods' capacity on the page: a lost pod is DOWN with its failed checks
// counted while the LB still routes to it, then the survivor's CPU
// saturates; the autoscaling checkbox follows and drives the model.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoPageProblems, pageSuite, readState, shot, waitState } from './harness.mjs';

describe('pods', () => {
  const suite = pageSuite();

  test('16a. a lost pod: 502s until 3 checks fail, then a saturated survivor', async () => {
    const page = await suite.open('?preset=pod-loss&t=31&paused');
    await waitState(page, (s) => s.status.now_s >= 31, { what: 'the run at 31 s' });
    let st = await readState(page);
    const down = st.status.pods.filter((p) => !p.up);
    assert.equal(down.length, 1, 'one pod down');
    assert.ok(down[0].healthy, 'still in rotation: the LB has not seen 3 failures yet');
    assert.ok(st.last.err_502 > 0, `502s from the dead pod: ${st.last.err_502}`);
    assert.match(await page.locator('#explain').textContent(), /1 pod is down/);
    await shot(page, '16a-pod-down');
    const page2 = await suite.open('?preset=pod-loss&t=80&paused');
    await waitState(page2, (s) => s.status.now_s >= 80, { what: 'the run at 80 s' });
    st = await readState(page2);
    assert.equal(st.last.pods_in_rotation, 1, 'the LB took the dead pod out');
    assert.ok(st.last.pod_cpu_max > 0.95, `the survivor saturated: ${st.last.pod_cpu_max}`);
    assert.match(await page2.locator('#explain').textContent(), /CPU is saturated/);
    await shot(page2, '16b-pod-saturated');
    assertNoPageProblems(assert, page);
    assertNoPageProblems(assert, page2);
  });

  test('16b. the autoscaling checkbox switches the model and the share link carries it', async () => {
    const page = await suite.open('?preset=steady');
    await waitState(page, (s) => s.last !== null, { what: 'a first second', timeout: 60_000 });
    const box = page.locator('#autoscale');
    assert.equal(await box.isChecked(), false, 'off by default, as the seed runs');
    await box.check();
    await waitState(page, (s) => s.status.autoscale.on, { what: 'autoscaling on in the model' });
    const st = await readState(page);
    assert.ok(st.scenario.faults.some((f) => f.command.type === 'autoscale' && f.command.on), 'a live command in the shared scenario');
    const page2 = await suite.open('?preset=pod-loss-autoscale');
    await waitState(page2, (s) => s.status.autoscale.on, { what: 'the preset has it on' });
    await page2.waitForFunction(() => document.querySelector('#autoscale').checked, null, { timeout: 10_000 });
    assertNoPageProblems(assert, page);
    assertNoPageProblems(assert, page2);
  });
});
