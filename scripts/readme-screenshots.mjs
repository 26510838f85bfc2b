// Retakes the README's screenshots (web/assets/screenshot.png,
// screenshot-crash.png and screenshot-v1.png) from the built page, as a
// person at 1280 px (V1: 1400 px) sees it: `steady` 20 simulated seconds in,
// `cache-crash` 11 seconds after the crash, and `v1-shard-crash` 6 seconds
// after one of its three shards crashed. Needs dist/ (built by the harness if missing) and node_modules.
//
//   node scripts/readme-screenshots.mjs

import path from 'node:path';
import { ROOT, openPage, startHarness, waitState } from '../tests/e2e/harness.mjs';

const shots = [
  { query: '?preset=steady&t=18', until: 20, file: 'screenshot.png' },
  { query: '?preset=cache-crash&t=69', until: 71, file: 'screenshot-crash.png' },
  { query: '?preset=v1-shard-crash&t=64', until: 66, file: 'screenshot-v1.png', width: 1400 },
  { query: '?preset=pod-loss&t=70', until: 72, file: 'screenshot-pods.png' },
];

const h = await startHarness();
try {
  for (const s of shots) {
    const page = await openPage(h, s.query, { width: s.width ?? 1280, height: 900 });
    await waitState(page, (st) => st.now_s >= s.until, { what: `t = ${s.until} s`, timeout: 60_000 });
    await page.waitForTimeout(600); // a chart refresh after the last second
    const out = path.join(ROOT, 'web', 'assets', s.file);
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${path.relative(ROOT, out)}`);
    await page.context().close();
  }
} finally {
  await h.close();
}
