// The docs' placeholder preprocessor (docs/sim-values.mjs) on small made-up
// runs: values, windows, formats, arithmetic, embeds, and a loud failure for
// every placeholder that does not resolve. No browser, no build.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { embed, evaluate, substitute } from '../../docs/sim-values.mjs';

const series = {
  header: ['t_s', 'failed', 'hit_rate'],
  rows: [
    { t_s: 0, failed: 0, hit_rate: 0.8 },
    { t_s: 1, failed: 5, hit_rate: 0.0 },
    { t_s: 2, failed: 3, hit_rate: 0.4 },
    { t_s: 3, failed: 0, hit_rate: 0.6 },
  ],
};
const data = new Map([
  ['crash', {
    args: ['--preset', 'cache-crash'],
    summary: { hit_rate: 0.7466, requests: 2999190, latency_ms: { p99: 589.823 }, scenario: 'cache-crash' },
    scenario: { name: 'cache-crash', db: { workers: 24, read_service_ms: 12 } },
    series,
  }],
  ['crash-sf', {
    args: ['--preset', 'cache-crash', '--set', 'app.single_flight=true'],
    summary: { hit_rate: 0.75 },
    scenario: { name: 'cache-crash', app: { single_flight: true } },
    series,
  }],
]);

describe('docs/sim-values.mjs', () => {
  test('values, scenario parameters, windows, formats and arithmetic', () => {
    assert.equal(evaluate('crash.hit_rate|pct', data), '74.7%');
    assert.equal(evaluate('crash.requests', data), '2,999,190');
    assert.equal(evaluate('crash.latency_ms.p99|f1', data), '589.8');
    assert.equal(evaluate('crash.scenario.db.workers * 1000 / crash.scenario.db.read_service_ms|int', data), '2,000');
    assert.equal(evaluate('crash@1.failed', data), '5');
    assert.equal(evaluate('crash@1..2:mean.failed|f1', data), '4.0');
    assert.equal(evaluate('crash@0..3:max.failed', data), '5');
    assert.equal(evaluate('crash@1..3:first0.failed', data), '3');
    assert.equal(evaluate('crash@0..3:first1.failed', data), '1');
    assert.equal(evaluate('10144 / 2000|x1', data), '5.1x');
    assert.equal(evaluate('12500|k', data), '12.5K');
  });

  test('every placeholder that does not resolve is an error naming it', () => {
    for (const [body, needle] of [
      ['nope.hit_rate', 'unknown run "nope"'],
      ['crash.hit_rat', 'no key "hit_rat"'],
      ['crash.latency_ms.p98', 'no "p98" after "latency_ms"'],
      ['crash.scenario', 'not a number'],
      ['crash@9.failed', 'no second 9'],
      ['crash@0..3:median.failed', 'unknown aggregate "median"'],
      ['crash@0..3.failed', 'needs an aggregate'],
      ['crash@1.errors', 'no column "errors"'],
      ['crash.hit_rate|percent', 'unknown format "percent"'],
      ['crash.hit_rate % 2', 'unknown operator "%"'],
      ['crash.hit_rate / 0', 'division by zero'],
      ['crash@0..3:first1.hit_rate - crash@1..2:first0.failed', 'no second in 1..2'],
    ]) {
      assert.throws(() => evaluate(body, data), (e) => e.message.includes(needle), `${body}: expected "${needle}"`);
    }
  });

  test('a chapter: all problems are listed, malformed ones too, and embeds carry their scenario', () => {
    const problems = [];
    const out = substitute('a {{sim:crash.hit_rate|pct0}} b {{sim:crash.nothing}} c {{ sim:crash.hit_rate}} d {{sim-embed:crash|A crash}}', data, 'x.md', problems);
    assert.match(out, /^a 75% b /);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0], /x\.md: \{\{sim:crash\.nothing\}\}/);
    assert.match(problems[1], /malformed placeholder \{\{ sim:crash\.hit_rate\}\}/);
    assert.match(out, /<iframe src="app\/\?embed&amp;preset=cache-crash" width="820" height="560"/);
    const sf = embed('crash-sf|With single-flight', data);
    const s = /\?embed&amp;s=([A-Za-z0-9_-]+)&amp;preset=cache-crash"/.exec(sf);
    assert.ok(s, sf);
    assert.deepEqual(JSON.parse(Buffer.from(s[1], 'base64url').toString('utf8')), data.get('crash-sf').scenario);
    assert.match(embed('crash|T', data, 1), /src="\.\.\/app\//);
    assert.throws(() => embed('crash', data), /needs a title/);
  });
});
