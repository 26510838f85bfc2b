// Rules the explanation's headline must keep over the numbers on the page
// (the state JSON of the same frame): each returns what it contradicts, so a
// test can fail naming the rule and the numbers. Used by tour.test.mjs and
// truth.test.mjs.

/** The LB's 503s for being over capacity (web/src/causes.rs, lb_rejected). */
export function lbRejected(s) {
  const l = s.last;
  return Math.min(l.err_503, Math.max(0, Math.round(l.arrived - s.status.lb_capacity_rps)));
}

/** The page's explanation, readouts and state JSON, read in one go (one frame). */
export async function readTruth(page) {
  return page.evaluate(() => ({
    text: document.getElementById('explain').textContent,
    readouts: document.getElementById('readouts').textContent,
    db: document.querySelector('[data-component="db"]').textContent,
    state: JSON.parse(document.getElementById('state-json').textContent),
  }));
}

/** Every rule the headline breaks in `t` (from readTruth); [] when none. */
export function contradictions({ text, state: s }) {
  const l = s.last;
  if (!l) return [];
  const out = [];
  const normal = text.startsWith('Normal');
  const rule = (broken, what) => { if (broken) out.push(`${what} (t=${s.now_s.toFixed(1)} s): ${text}`); };
  rule(normal && l.failed * 100 > l.arrived, `errors ${l.failed} > 1% of ${l.arrived} arrivals, yet "Normal"`);
  // stale longer than cache-aside's own race (a few ms between a write's DB update and its SET/DEL)
  rule(normal && l.stale_reads * 1000 > l.reads && l.stale_age_max_ms > 20, `stale reads ${l.stale_reads} > 0.1% of ${l.reads} reads, up to ${l.stale_age_max_ms} ms old, yet "Normal"`);
  rule(normal && l.stale_reads > 0 && !/stale/.test(text), `${l.stale_reads} stale reads, not mentioned in "Normal"`);
  rule(normal && !s.status.cache_up, 'the cache is down, yet "Normal"');
  rule(lbRejected(s) > 0.1 * l.arrived && !text.includes('load balancer'),
    `the LB turns away ${lbRejected(s)} of ${l.arrived} arrivals (> 10%), yet the explanation does not name it`);
  rule(l.reads === 0 && /hit rate 0%/i.test(text), 'no reads at all, yet a hit rate of 0% is named');
  rule(/connections exhausted/.test(text) && s.db.busy < s.db.max,
    `"connections exhausted" with ${s.db.busy} of ${s.db.max} connections busy`);
  rule(/thundering herd/.test(text) && s.status.cache_up && s.status.attack_rate > 0 && s.status.attack_rate >= (0.85 - l.hit_rate) * l.reads - s.status.attack_rate,
    'the herd is named while the attack adds more misses');
  return out;
}
