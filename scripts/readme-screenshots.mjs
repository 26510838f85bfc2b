// Retakes the README's two screenshots (web/assets/screenshot.png and
// screenshot-crash.png) from the built page, as a person at 1280 px sees it:
// `steady` 20 simulated seconds in, and `cache-crash` 11 seconds after the
// crash. Needs dist/ (built by the harness if missing) and node_modules.
//
//   node scripts/readme-screenshots.mjs

import path from 'node:path';
import { ROOT, openPage, startHarness, waitState } from '../tests/e2e/harness.mjs';

const shots = [
  { query: '?preset=steady&t=18', until: 20, file: 'screenshot.png' },
  { query: '?preset=cache-crash&t=69', until: 71, file: 'screenshot-crash.png' },
];

const h = await startHarness();
try {
  for (const s of shots) {
    const page = await openPage(h, s.query, { width: 1280, height: 900 });
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
