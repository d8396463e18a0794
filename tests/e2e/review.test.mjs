// The viewer as a planning reviewer and a bureau analyst use it (the real `riskmap serve`
// on the demo data, the system's Chromium): labels drawn from glyphs the server renders
// itself, the towns ranked by the documented area index, a hazard source's GB 18218
// working and its protection rings, the measuring tool against GeographicLib, the view
// exported as an image and printed to PDF with a map in it, the main tasks from the
// keyboard, and the validation report as a Chinese page. Saves docs/review.png and
// docs/export.png.
//
// Fails on any console error, page error, failed request, error response and request to
// anything but the server's own origin (see harness.mjs).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import geodesic from 'geographiclib-geodesic';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DATA, openBrowser, ringCentroid, root, startServer, stopServer, waitIdle as idle } from './harness.mjs';

const G = geodesic.Geodesic.WGS84;
const VIEWPORT = { width: 1280, height: 800 };
// docs/rules.md, 区域风险等级: weights of red, orange and yellow cells; H3 resolution 8's
// average cell, km² (h3geo.org's table).
const AREA_WEIGHT = [0, 0.2, 0.5, 1.0];
const CELL_KM2 = 0.7373276;

/** Minimum geodesic distance (m) from a point to a ring, the ring's edges cut in 64. */
function distanceToRing([x, y], ring) {
  let best = Infinity;
  for (let i = 0; i + 1 < ring.length; i += 1) {
    const [a, b] = [ring[i], ring[i + 1]];
    for (let k = 0; k <= 64; k += 1) {
      const t = k / 64;
      const q = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
      best = Math.min(best, G.Inverse(y, x, q[1], q[0]).s12);
    }
  }
  return best;
}

const outer = (g) => (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]);
const number = (s) => Number(String(s).replace(/,/g, ''));

describe('the viewer for a planning review', { timeout: 300_000 }, () => {
  let server;
  let origin;
  let browser;
  let context;
  let page;
  let hazard;
  let summaries;
  const problems = [];
  const glyphs = []; // [status, url] of every glyph range asked for
  const waitIdle = (timeout = 45_000) => idle(page, timeout);
  // Leaving the page ends its stream of changes: that abort is no failure.
  const real = () => problems.filter((p) => !/\/api\/changes\/stream \(net::ERR_ABORTED\)/.test(p));

  before(async () => {
    server = await startServer(DATA);
    origin = server.origin;
    summaries = await (await fetch(`${origin}/api/areas`)).json();
    const hz = await (await fetch(`${origin}/api/features/hazard_grades.geojson`)).json();
    hazard = hz.features
      .filter((f) => f.properties.grade != null && f.geometry && f.properties.items && f.properties.items.length > 1)
      .sort((a, b) => (a.properties.grade - b.properties.grade) || String(a.id).localeCompare(String(b.id)))[0];
    assert.ok(hazard, 'the demo data has no graded hazard source with several substances');
    ({ browser, context, page } = await openBrowser(origin, VIEWPORT, problems, () => false));
    page.on('response', (r) => { if (r.url().includes('/fonts/')) glyphs.push([r.status(), r.url()]); });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
  });

  it('labels towns, names and cluster counts with glyphs from the server itself', async () => {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.riskmap && window.riskmap.map, null, { timeout: 20_000 });
    await waitIdle(60_000);
    const shown = await page.evaluate(() => {
      const m = window.riskmap.map;
      const towns = m.queryRenderedFeatures({ layers: ['areas-label'] }).map((f) => f.properties.name);
      const counts = m.queryRenderedFeatures().filter((f) => f.layer.id.endsWith('-cluster-count')).length;
      return { towns: [...new Set(towns)], counts, glyphs: m.getStyle().glyphs };
    });
    const names = new Set(summaries.map((s) => s.name));
    assert.ok(shown.towns.length >= 3, `too few town names drawn: ${JSON.stringify(shown.towns)}`);
    for (const t of shown.towns) assert.ok(names.has(t), `a label names no town: ${t}`);
    assert.ok(shown.counts > 0, 'no cluster count drawn');
    assert.ok(shown.glyphs.startsWith(`${origin}/fonts/`), `glyphs from ${shown.glyphs}`);
    // Enterprise names at a closer zoom.
    const [lon, lat] = ringCentroid(outer(hazard.geometry));
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 14.5 }), [lon, lat]);
    await waitIdle();
    const named = await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['enterprises-label'] }).length);
    assert.ok(named > 0, 'no enterprise name drawn at zoom 14.5');
    // Every glyph range came from the server, answered 200, CJK ones among them.
    assert.ok(glyphs.length > 0, 'no glyph range requested');
    for (const [status, url] of glyphs) assert.equal(status, 200, url);
    assert.ok(glyphs.some(([, u]) => Number(/\/(\d+)-\d+\.pbf/.exec(u)[1]) >= 19968), 'no CJK glyph range requested');
    assert.deepEqual(real(), []);
  });

  it('ranks every town by the documented area index, and the levels tell towns apart', async () => {
    await page.locator('#sec-ranking > summary').click();
    await page.waitForSelector('#ranking table.ranking tbody tr');
    const rows = await page.locator('#ranking tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      name: tr.cells[1].innerText.trim(), index: tr.cells[3].innerText.trim(),
    })));
    const towns = summaries.filter((s) => s.id && s.name !== '(outside any area)');
    assert.equal(rows.length, towns.length);
    const shownIndex = rows.map((r) => number(r.index));
    for (let i = 1; i < shownIndex.length; i += 1) assert.ok(shownIndex[i - 1] >= shownIndex[i], `not sorted: ${shownIndex}`);
    for (const s of towns) {
      // The index again, by hand, from the town's own counts and land.
      const want = (100 * s.grid_cells.reduce((acc, n, i) => acc + AREA_WEIGHT[i] * n, 0) * CELL_KM2) / s.area_km2;
      assert.ok(Math.abs(s.index - want) <= 1e-6 * Math.max(1, want), `${s.name}: index ${s.index}, by hand ${want}`);
      const band = s.index >= 25 ? 'major' : s.index >= 12 ? 'significant' : s.index >= 5 ? 'general' : 'low';
      assert.equal(s.level, band, `${s.name}: level ${s.level} for index ${s.index}`);
    }
    const levels = new Set(towns.map((s) => s.level));
    assert.ok(levels.size >= 2, `every town has the same level (${[...levels]}): the level tells nothing`);
    // A row selects its town.
    await page.locator('#ranking tbody tr').first().locator('button').click();
    await page.waitForFunction((n) => document.querySelector('#summary-title').textContent === n, rows[0].name);
    assert.match(await page.locator('#summary').innerText(), /区域风险指数/);
    await page.locator('#area-select').selectOption('');
    await waitIdle();
  });

  it("shows a hazard source's GB 18218 working and draws its protection rings", async () => {
    const ring = outer(hazard.geometry);
    const [lon, lat] = ringCentroid(ring);
    await page.locator('#layer-toggles input[data-layer="hidden_hazards"]').uncheck();
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 16.5 }), [lon, lat]);
    await waitIdle();
    const at = await page.evaluate(([x, y]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, [lon, lat]);
    // Red and orange enterprise points carry 重 / 较 besides their colour: around the
    // first red enterprise that is a point.
    const ents = await (await fetch(`${origin}/api/features/enterprise_risk.geojson?level=major`)).json();
    const red = ents.features.find((f) => f.geometry && f.geometry.type === 'Point');
    assert.ok(red, 'the demo has no red enterprise drawn as a point');
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 15 }), red.geometry.coordinates);
    await waitIdle();
    const marks = await page.evaluate(() => {
      const m = window.riskmap.map;
      const key = (f) => `${f.id}`;
      const points = m.queryRenderedFeatures({ layers: ['enterprises-point'] }).filter((f) => ['major', 'significant'].includes(f.properties.level));
      const chars = new Map(m.queryRenderedFeatures({ layers: ['enterprises-point-level'] }).map((f) => [key(f), f]));
      return { points: points.length, missing: points.filter((f) => !chars.has(key(f))).map(key), levels: [...chars.values()].map((f) => f.properties.level) };
    });
    assert.ok(marks.points > 0, 'no red or orange enterprise point in view');
    assert.deepEqual(marks.missing, [], 'red or orange enterprise points without their character');
    assert.ok(marks.levels.every((l) => l === 'major' || l === 'significant'), `${marks.levels}`);
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 16.5 }), [lon, lat]);
    await waitIdle();
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('.maplibregl-popup details.working table.calc');
    const working = await page.locator('.maplibregl-popup details.working').innerText();
    const p = hazard.properties;
    assert.equal(await page.locator('.maplibregl-popup details.working tbody tr').count(), p.items.length);
    for (const it of p.items) assert.ok(working.includes(it.name), `the working lacks ${it.name}`);
    const s = /S = Σq\/Q = ([\d.,]+)/.exec(working);
    assert.ok(s && Math.abs(number(s[1]) - p.s) <= 0.001 * Math.max(1, p.s), `S: ${s && s[1]} vs ${p.s}`);
    const r = /= ([\d.,]+) → /.exec(working);
    assert.ok(r && Math.abs(number(r[1]) - p.r) <= 0.001 * Math.max(1, p.r), `R: ${r && r[1]} vs ${p.r}`);
    // The rings, on demand; each edge lies its distance from the footprint (GeographicLib).
    await page.locator('.maplibregl-popup button', { hasText: '显示防护距离圈' }).click();
    await page.waitForSelector('.maplibregl-popup .rings table');
    const fc = await page.evaluate(() => window.riskmap.state.rings.data);
    assert.ok(fc.features.length >= 2, 'fewer than two rings');
    for (const f of fc.features) {
      const edge = outer(f.geometry);
      for (const v of edge.filter((_, i) => i % Math.ceil(edge.length / 12) === 0)) {
        const d = distanceToRing(v, ring);
        assert.ok(Math.abs(d - f.properties.required_m) <= 0.01 * f.properties.required_m + 1,
          `ring ${f.properties.required_m} m: a vertex lies ${d.toFixed(1)} m from the source`);
      }
      assert.ok(f.properties.basis_zh.length > 4 && f.properties.classes_zh.length > 0);
    }
    await page.evaluate(() => { const m = window.riskmap.map; m.jumpTo({ zoom: 14 }); });
    await waitIdle();
    // The screenshot shows the towns' ranking in the panel beside the rings.
    await page.locator('#sec-summary > summary').click();
    await page.locator('#sec-ranking').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(root, 'docs', 'review.png') });
    await page.locator('.maplibregl-popup-close-button').click();
  });

  it('measures distances and areas on the ellipsoid (GeographicLib)', async () => {
    await page.locator('#sec-tools > summary').click();
    const box = await page.locator('#map').boundingBox();
    const px = [[0.3, 0.3], [0.7, 0.35], [0.55, 0.75]].map(([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height]);
    const lnglat = await page.evaluate(([pts, b]) => pts.map(([x, y]) => {
      const l = window.riskmap.map.unproject([x - b.x, y - b.y]);
      return [l.lng, l.lat];
    }), [px, box]);
    // The answer for the first two points held back until after the third's: the last
    // click's answer is the one shown (clicks come faster than answers on a busy server).
    const count = (url) => new URL(url).searchParams.get('path').split(';').length;
    const isMeasure = (url) => new URL(url).pathname === '/api/measure';
    await page.route(isMeasure, async (route) => {
      if (count(route.request().url()) === 2) await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    for (const mode of ['distance', 'area']) {
      const late = page.waitForResponse((r) => isMeasure(r.url()) && count(r.url()) === 2);
      await page.locator(`#measure-${mode}`).click();
      for (const [x, y] of px) await page.mouse.click(x, y);
      await page.waitForFunction(() => /(总长|面积)/.test(document.querySelector('#measure-result').textContent));
      await page.waitForFunction((m) => document.querySelector('#measure-result').textContent.includes(m === 'area' ? '面积' : '3 个点'), mode);
      await late;
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const text = await page.locator('#measure-result').innerText();
      const pts = await page.evaluate(() => window.riskmap.state.measure.points);
      // The points are where the clicks fell (to a pixel: ~10 m at this zoom).
      pts.forEach((p, i) => assert.ok(Math.abs(p[0] - lnglat[i][0]) < 5e-4 && Math.abs(p[1] - lnglat[i][1]) < 5e-4, `${p} vs ${lnglat[i]}`));
      if (mode === 'distance') {
        const want = G.Inverse(pts[0][1], pts[0][0], pts[1][1], pts[1][0]).s12 + G.Inverse(pts[1][1], pts[1][0], pts[2][1], pts[2][0]).s12;
        const len = /总长 ([\d.,]+) (k?m)/.exec(text);
        assert.ok(len, text);
        const metres = number(len[1]) * (len[2] === 'km' ? 1000 : 1);
        assert.ok(Math.abs(metres - want) <= 1, `length ${len[1]} ${len[2]}, GeographicLib ${want} m`);
      } else {
        const poly = G.Polygon(false);
        for (const p of pts) poly.AddPoint(p[1], p[0]);
        const want = Math.abs(poly.Compute(false, true).area);
        const m2 = /面积 ([\d.,]+) m²/.exec(text);
        assert.ok(m2, text);
        assert.ok(Math.abs(number(m2[1]) - want) <= 1, `area ${m2[1]} m², GeographicLib ${want} m²`);
      }
      await page.locator('#measure-clear').click();
    }
    await page.unroute(isMeasure);
  });

  it('exports the view as an image with title, legend, scale, north arrow and date', async () => {
    const bounds = await (await fetch(`${origin}/catalog`)).json().then((c) => c.bounds);
    await page.evaluate((b) => window.riskmap.map.fitBounds(b, { padding: 20, animate: false }), bounds);
    await waitIdle();
    await page.locator('#image-title').fill('海门区安全风险分布图（审查附图）');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#image-export').click()]);
    assert.match(download.suggestedFilename(), /^海门区安全风险分布图（审查附图）-\d{4}-\d{2}-\d{2}\.png$/);
    const png = readFileSync(await download.path());
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'not a PNG');
    writeFileSync(join(root, 'docs', 'export.png'), png);
    // The picture itself: the map's colours in it, the legend's red swatch, dark title text.
    const seen = await page.evaluate(async () => {
      const c = await window.riskmap.composeView('海门区安全风险分布图');
      const g = c.getContext('2d');
      const px = g.getImageData(0, 0, c.width, c.height).data;
      const near = (i, [r, gg, b]) => Math.abs(px[i] - r) + Math.abs(px[i + 1] - gg) + Math.abs(px[i + 2] - b) < 60;
      const colours = { red: [230, 0, 18], orange: [243, 152, 0], blue: [0, 104, 183] };
      const found = {};
      for (const [k, rgb] of Object.entries(colours)) {
        found[k] = 0;
        for (let i = 0; i < px.length; i += 4 * 7) if (near(i, rgb)) found[k] += 1;
      }
      let dark = 0;
      for (let y = 10; y < 40; y += 1) for (let x = 10; x < 300; x += 1) { const i = (y * c.width + x) * 4; if (px[i] < 80 && px[i + 1] < 80) dark += 1; }
      return { found, dark, w: c.width, h: c.height };
    });
    assert.ok(seen.found.red > 50 && seen.found.blue > 20, `the map's colours are missing: ${JSON.stringify(seen)}`);
    assert.ok(seen.dark > 100, 'no title drawn');
  });

  it('prints the current view: a PDF with the map in it, not a blank canvas', async () => {
    // The print dialog is the browser's; here the page is printed to PDF directly.
    await page.evaluate(() => { window.riskmap.printDialog = false; });
    const [popup] = await Promise.all([context.waitForEvent('page'), page.locator('#print-view').click()]);
    await popup.waitForFunction(() => { const i = document.getElementById('view'); return i && i.complete && i.naturalWidth > 0; });
    const pdf = await popup.pdf({ format: 'A4', landscape: true, printBackground: true });
    await popup.close();
    const doc = await getDocument({ data: new Uint8Array(pdf) }).promise;
    const ops = await (await doc.getPage(1)).getOperatorList();
    const images = ops.fnArray.filter((f) => f === OPS.paintImageXObject).length;
    assert.ok(images >= 1, 'the printed page holds no image');
  });

  it('reaches the map and opens a feature from the keyboard, in Chinese', async () => {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await waitIdle(60_000);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-to-map');
    await page.keyboard.press('Enter');
    const label = await page.evaluate(() => (document.activeElement.tagName === 'CANVAS' ? document.activeElement.getAttribute('aria-label') : null));
    assert.ok(label && label.includes('风险地图'), `the focused map is labelled ${label}`);
    const [lon, lat] = ringCentroid(outer(hazard.geometry));
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 16.5 }), [lon, lat]);
    await page.locator('#layer-toggles input[data-layer="hidden_hazards"]').uncheck();
    await waitIdle();
    await page.evaluate(() => window.riskmap.map.getCanvas().focus());
    await page.keyboard.press('Enter');
    await page.waitForSelector('.maplibregl-popup .popup');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('.maplibregl-popup')), 'the popup did not take the focus');
    assert.match(await page.locator('.maplibregl-popup .popup').innerText(), new RegExp(hazard.properties.name));
    // The map's own controls are named in Chinese.
    assert.equal(await page.locator('.maplibregl-ctrl-zoom-in').getAttribute('aria-label'), '放大');
    assert.deepEqual(real(), []);
  });

  it('shows the validation report as a readable Chinese page', async () => {
    const report = await (await fetch(`${origin}/api/validation`)).json();
    await page.goto(`${origin}/validation.html`, { waitUntil: 'load' });
    assert.equal(await page.locator('h1').innerText(), '数据校验报告');
    const summary = await page.locator('p.summary').innerText();
    assert.ok(summary.includes(`文件 ${report.summary.files} 个`), summary);
    assert.ok(summary.includes(`读入要素 ${report.summary.features_loaded} 个`), summary);
    assert.ok(summary.includes(`跳过 ${report.summary.skipped}`), summary);
    assert.equal(await page.locator('h2', { hasText: '文件' }).count(), 1);
    assert.deepEqual(real(), []);
  });
});
