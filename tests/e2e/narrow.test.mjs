// The viewer on a phone (390×844, as a bureau's inspector opens it in the field): the map
// takes the screen, the panel is a bottom sheet behind ☰, the zoom badge stays one line,
// a popup fits the screen (docs/phone.png shows the sheet open); the level badges are legible (WCAG AA contrast, computed here
// from the colours the browser applies); the GeoJSON upload is reachable by keyboard.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DATA, openBrowser, root, startServer, stopServer, waitIdle } from './harness.mjs';

const PHONE = { width: 390, height: 844 };

/** WCAG 2 contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe('the viewer on a phone', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let page;
  const problems = [];

  before(async () => {
    server = await startServer(DATA);
    ({ browser, page } = await openBrowser(server.origin, PHONE, problems, () => false));
    await page.goto(`${server.origin}/`);
    await waitIdle(page);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
  });

  const box = (sel) => page.locator(sel).boundingBox();

  it('gives the map the screen, the panel waiting behind ☰', async () => {
    assert.equal(await page.locator('#panel').isVisible(), false);
    assert.equal(await page.getAttribute('#panel-toggle', 'aria-expanded'), 'false');
    const map = await box('#map');
    assert.ok(map.width >= PHONE.width - 1 && map.height >= 0.85 * (PHONE.height - 48), JSON.stringify(map));
    // Nothing wider than the screen, the zoom badge on one line.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= PHONE.width);
    const badge = await box('#zoom-info');
    assert.ok(badge.height <= 24, `zoom badge ${badge.height}px high`);
  });

  it('opens the panel as a bottom sheet under the map', async () => {
    await page.click('#panel-toggle');
    await waitIdle(page);
    assert.equal(await page.getAttribute('#panel-toggle', 'aria-expanded'), 'true');
    const panel = await box('#panel');
    const map = await box('#map');
    assert.ok(panel.y >= map.y + map.height - 1, `panel ${JSON.stringify(panel)} not under map ${JSON.stringify(map)}`);
    assert.ok(map.height >= 0.5 * PHONE.height, `map ${map.height}px`);
    assert.ok(panel.y + panel.height <= PHONE.height + 1 && panel.width <= PHONE.width);
    // The canvas follows its container.
    const canvas = await box('#map canvas');
    assert.ok(Math.abs(canvas.height - map.height) <= 1, `canvas ${canvas.height} vs ${map.height}`);
    await page.screenshot({ path: join(root, 'docs', 'phone.png') });
    await page.click('#panel-toggle');
    await waitIdle(page);
  });

  it('fits a popup on the screen', async () => {
    const map = await box('#map');
    await page.mouse.click(map.x + map.width / 2, map.y + map.height / 2);
    const popup = page.locator('.maplibregl-popup');
    await popup.waitFor();
    const p = await popup.boundingBox();
    assert.ok(p.x >= 0 && p.x + p.width <= PHONE.width + 1, `popup ${JSON.stringify(p)}`);
    assert.ok(p.y >= 0 && p.y + p.height <= PHONE.height + 1, `popup ${JSON.stringify(p)}`);
    await page.locator('.maplibregl-popup-close-button').click();
  });

  it('writes level badges legibly (WCAG AA, 4.5:1)', async () => {
    const colours = await page.evaluate(() => ['major', 'significant', 'general', 'low'].map((l) => {
      const s = document.createElement('span');
      s.className = `badge lv-${l}`;
      s.textContent = l;
      document.body.append(s);
      const c = getComputedStyle(s);
      const out = [l, c.color, c.backgroundColor];
      s.remove();
      return out;
    }));
    for (const [level, fg, bg] of colours) {
      const r = contrast(fg, bg);
      assert.ok(r >= 4.5, `${level}: ${fg} on ${bg} is ${r.toFixed(2)}:1`);
    }
  });

  it('reaches the GeoJSON upload with the keyboard', async () => {
    if (await page.getAttribute('#panel-toggle', 'aria-expanded') === 'false') await page.click('#panel-toggle');
    await page.focus('#draw-clear');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'site-file');
    assert.deepEqual(problems, []);
  });
});
