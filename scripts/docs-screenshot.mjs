// Retakes the README's picture of the docs site (web/assets/screenshot-docs.png):
// the cache-crash chapter at 1280 x 900, its embedded simulator a few
// simulated seconds after the reader pressed "Crash cache" in it. Needs
// dist-docs/ (scripts/docs.sh; built by the harness if missing) and node_modules.
//
//   node scripts/docs-screenshot.mjs [OUT.png]

import path from 'node:path';
import { ROOT, readState, startHarness } from '../tests/e2e/harness.mjs';

const out = path.resolve(process.argv[2] || path.join(ROOT, 'web', 'assets', 'screenshot-docs.png'));
const h = await startHarness({ docs: true });
try {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(h.url + 'cache-crash.html', { waitUntil: 'load' });
  const iframe = page.locator('.sim-embed iframe').first();
  // the "Try it" heading at the top, the simulator below it
  await page.locator('#try-it').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.evaluate(() => window.scrollBy(0, -64)); // below mdBook's menu bar
  const frame = await (await iframe.elementHandle()).contentFrame();
  const wait = async (pred) => {
    for (let i = 0; i < 300; i++) {
      const s = await readState(frame).catch(() => null);
      if (s && pred(s)) return s;
      await page.waitForTimeout(200);
    }
    throw new Error('the embed did not get there');
  };
  await wait((s) => s.now_s > 3);
  await frame.locator('#btn-crash').click();
  const t = (await readState(frame)).now_s;
  await wait((s) => s.now_s > t + 6);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: out });
  console.log(`wrote ${path.relative(ROOT, out)}`);
  await context.close();
} finally {
  await h.close();
}
