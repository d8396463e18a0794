// How long the viewer takes to redraw the map as of another day: opens a running
// `riskmap serve` in headless Chromium, goes to a view, and switches the 地图日期 control
// between days, timing each switch from the change to a map whose tiles are all loaded
// and drawn (MapLibre `idle` after the new tiles). Prints one line per switch and the
// median; nothing is asserted (the machines are shared: see BENCHMARKS.md).
//
//   node scripts/date-switch.mjs http://127.0.0.1:8080 [lon lat zoom] [days…]
//
// Needs playwright-core (tests/e2e: npm ci) and Chromium (scripts/ensure-browser.sh).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'tests', 'e2e', 'package.json'));
const { chromium } = require('playwright-core');

const [origin = 'http://127.0.0.1:8080', lon = '121.29', lat = '31.95', zoom = '12', ...rest] = process.argv.slice(2);
const days = rest.length ? rest : ['2025-06-30', '2026-01-31', '2025-12-31', '2026-06-30', '2025-09-30', '2026-03-31'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const idle = () => page.waitForFunction(() => {
  const m = window.riskmap && window.riskmap.map;
  return !!m && window.riskmap.state.styleReady && m.loaded() && m.areTilesLoaded() && !m.isMoving();
}, null, { timeout: 120_000, polling: 'raf' });
await page.goto(`${origin}/`);
await page.waitForFunction(() => window.riskmap && window.riskmap.map && window.riskmap.state.dataDay, null, { timeout: 120_000 });
await page.evaluate(([x, y, z]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: z }), [Number(lon), Number(lat), Number(zoom)]);
await idle();
const times = [];
for (const day of days) {
  // A person looks at the map between two days: the panel's figures and the trend
  // chart of the last switch have come in before the next.
  await page.waitForTimeout(Number(process.env.PAUSE_MS || 2000));
  // From the change of the control to the first frame drawn after every tile has come.
  const ms = await page.evaluate((d) => new Promise((resolve) => {
    const m = window.riskmap.map;
    const t0 = performance.now();
    const input = document.querySelector('#as-of');
    input.value = d;
    input.dispatchEvent(new Event('change'));
    let sawData = false;
    m.on('sourcedata', (e) => { if (e.sourceId && e.tile) sawData = true; });
    const check = () => {
      if (sawData && m.loaded() && m.areTilesLoaded()) {
        m.once('render', () => resolve(performance.now() - t0));
        m.triggerRepaint();
      } else {
        requestAnimationFrame(check);
      }
    };
    requestAnimationFrame(check);
  }), day);
  const n = await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['hidden_hazards-point', 'hidden_hazards-cluster'] }).length);
  times.push(ms);
  console.log(`${day}: ${ms.toFixed(0)} ms (${n} hidden-hazard features drawn)`);
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, worst ${times[times.length - 1].toFixed(0)} ms over ${times.length} switches`);
await browser.close();
