// End-to-end test of the web viewer: starts the real `riskmap serve` on the demo data,
// drives Chromium (the system's, through playwright-core) through what a supervisor and a
// planning reviewer do, and saves docs/viewer.png.
//
// Run from the repository root, after `cargo build -p riskmap-server` and
// `cd tests/e2e && npm ci` (scripts/ensure-browser.sh installs Chromium):
//   node --test tests/e2e/
// Environment: RISKMAP_BIN (default ${CARGO_TARGET_DIR:-target}/debug/riskmap),
// CHROMIUM (default /usr/bin/chromium), RISKMAP_DATA (default data/haimen).
//
// Fails on any console error, page error, failed request, error response not provoked on
// purpose, and any request to anything but the server's own origin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DATA, openBrowser, ringCentroid, root, startServer, stopServer, waitIdle as idle, plainPdfText } from './harness.mjs';

const SCREENSHOT = join(root, 'docs', 'viewer.png');
const VIEWPORT = { width: 1280, height: 800 };

const LEVEL_ZH = ['重大风险', '较大风险', '一般风险', '低风险'];
const RISK_LAYERS = ['houses', 'enterprises', 'hazard_sources', 'protection_conflicts', 'pipeline_conflicts', 'risk_grid'];

// ------------------------------------------------------------------ geometry helpers

function anchorOf(g) {
  if (g.type === 'Point') return g.coordinates;
  if (g.type === 'Polygon') return ringCentroid(g.coordinates[0]);
  if (g.type === 'MultiPolygon') return ringCentroid(g.coordinates[0][0]);
  throw new Error(`no anchor for ${g.type}`);
}

/** Whether a point lies inside a ring (ray casting). */
function inRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); } else c.forEach(walk);
  };
  walk(g.coordinates);
  return b;
}

const M_PER_DEG_LAT = 110_574;
const mPerDegLon = (lat) => 111_320 * Math.cos((lat * Math.PI) / 180);

// ------------------------------------------------------------------ the test

describe('web viewer (riskmap serve + Chromium)', { timeout: 180_000 }, () => {
  let server;
  let origin;
  let browser;
  let context;
  let page;
  let catalog;
  let hazard; // a graded major hazard source from /api/features/hazard_grades.geojson
  const problems = [];
  const expectedErrors = []; // [{urlPart, status}] provoked on purpose
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-'));
  // The server follows its folder: it serves a copy, which a test edits.
  const data = join(tmp, 'data');

  const waitIdle = (timeout = 45_000) => idle(page, timeout);

  const isExpected = (url, status) => expectedErrors.some((e) => url.includes(e.urlPart) && (status === undefined || e.status === status));

  before(async () => {
    if (!existsSync(DATA)) throw new Error(`demo data not found at ${DATA}`);
    cpSync(DATA, data, { recursive: true });
    server = await startServer(data);
    origin = server.origin;
    catalog = await (await fetch(`${origin}/catalog`)).json();
    const hz = await (await fetch(`${origin}/api/features/hazard_grades.geojson`)).json();
    hazard = hz.features
      .filter((f) => f.properties.grade != null && f.geometry)
      .sort((a, b) => (a.properties.grade - b.properties.grade) || String(a.id).localeCompare(String(b.id)))[0];
    assert.ok(hazard, 'the demo data has no graded major hazard source');
    ({ browser, context, page } = await openBrowser(origin, VIEWPORT, problems, isExpected));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('opens the district map with the risk layers rendered from tiles', async () => {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.riskmap && window.riskmap.map, null, { timeout: 20_000 });
    await waitIdle(60_000);
    const seen = await page.evaluate(() => {
      const m = window.riskmap.map;
      const counts = {};
      for (const f of m.queryRenderedFeatures()) counts[f.sourceLayer || f.source] = (counts[f.sourceLayer || f.source] || 0) + 1;
      const b = m.getBounds();
      return { counts, bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], style: m.getStyle().name };
    });
    assert.ok(seen.counts.areas > 0, `no area rendered: ${JSON.stringify(seen.counts)}`);
    assert.ok(seen.counts.risk_grid > 0, `no grid cell rendered: ${JSON.stringify(seen.counts)}`);
    const risky = RISK_LAYERS.filter((l) => l !== 'risk_grid' && seen.counts[l] > 0);
    assert.ok(risky.length >= 2, `too few risk layers rendered: ${JSON.stringify(seen.counts)}`);
    // The view is fitted to the catalog's bounds.
    const [w, s, e, n] = catalog.bounds;
    const cx = (w + e) / 2; const cy = (s + n) / 2;
    assert.ok(seen.bounds[0] < cx && cx < seen.bounds[2] && seen.bounds[1] < cy && cy < seen.bounds[3], 'the district is not in view');
    assert.ok(seen.bounds[2] - seen.bounds[0] < (e - w) * 4, 'the view is far wider than the district');
    // Layer toggles named in Chinese from the catalog, the four-colour legend and the area summary.
    const toggles = await page.locator('#layer-toggles label').allInnerTexts();
    for (const l of catalog.layers) assert.ok(toggles.some((t) => t.includes(l.title_zh)), `no toggle for ${l.title_zh}`);
    const legend = await page.locator('#level-filters').innerText();
    for (const zh of LEVEL_ZH) assert.ok(legend.includes(zh), `legend lacks ${zh}`);
    await page.waitForSelector('#summary .bar-row');
    assert.equal(await page.locator('#summary .chart').count(), 3, 'the summary should chart enterprises, houses and grid cells');
  });

  it('tells 重大 and 较大 apart without colour: their cells are hatched', async () => {
    const hatched = await page.evaluate(() => {
      const m = window.riskmap.map;
      const levels = (id) => m.queryRenderedFeatures({ layers: [id] }).map((f) => f.properties.level);
      return {
        images: window.riskmapPatterns.ids.map((i) => m.hasImage(i)),
        hatch: levels('risk_grid-hatch'),
        fill: levels('risk_grid-fill'),
      };
    });
    assert.deepEqual(hatched.images, [true, true], 'the hatch patterns were not drawn');
    const count = (xs, l) => xs.filter((x) => x === l).length;
    // Every 重大 and 较大 cell in view is hatched, and nothing else is.
    assert.ok(count(hatched.fill, 'major') > 0 && count(hatched.fill, 'significant') > 0);
    assert.equal(count(hatched.hatch, 'major'), count(hatched.fill, 'major'));
    assert.equal(count(hatched.hatch, 'significant'), count(hatched.fill, 'significant'));
    assert.equal(hatched.hatch.length, count(hatched.hatch, 'major') + count(hatched.hatch, 'significant'));
    // The legend shows the hatching too.
    const img = await page.evaluate(() => getComputedStyle(document.querySelector('#level-filters .swatch.lv-major')).backgroundImage);
    assert.match(img, /repeating-linear-gradient/);
  });

  it('filters by level and switches layers off', async () => {
    const lowCells = () => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['risk_grid-fill'] }).filter((f) => f.properties.level === 'low').length);
    assert.ok(await lowCells() > 0, 'no low-risk grid cell to filter');
    await page.locator('#level-filters input[data-level="low"]').uncheck();
    await waitIdle();
    assert.equal(await lowCells(), 0, 'low-risk cells still drawn after unchecking 低风险');
    await page.locator('#level-filters input[data-level="low"]').check();
    await waitIdle();
    assert.ok(await lowCells() > 0);

    await page.locator('#layer-toggles input[data-layer="risk_grid"]').uncheck();
    assert.equal(await page.evaluate(() => window.riskmap.map.getLayoutProperty('risk_grid-fill', 'visibility')), 'none');
    await page.locator('#layer-toggles input[data-layer="risk_grid"]').check();
    assert.equal(await page.evaluate(() => window.riskmap.map.getLayoutProperty('risk_grid-fill', 'visibility')), 'visible');
  });

  it('shows a cluster popup and a feature popup with Chinese labels and values', async () => {
    // Hidden hazards are drawn on top, at the enterprises and houses they belong to (their
    // popups are hidden.test.mjs's): off while this test clicks what lies under them.
    await page.locator('#layer-toggles input[data-layer="hidden_hazards"]').uncheck();
    await page.waitForFunction(() => window.riskmap.map.getLayoutProperty('hidden_hazards-cluster', 'visibility') === 'none');
    await waitIdle();
    // A cluster at the district view.
    const cluster = await page.evaluate(() => {
      const m = window.riskmap.map;
      const f = m.queryRenderedFeatures({ layers: ['hazard_sources-cluster', 'enterprises-cluster', 'houses-cluster'] })
        .find((x) => x.geometry.type === 'Point');
      if (!f) return null;
      const p = m.project(f.geometry.coordinates);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y, count: f.properties.count };
    });
    assert.ok(cluster, 'no cluster rendered at the district view');
    await page.mouse.click(cluster.x, cluster.y);
    await page.waitForSelector('.maplibregl-popup .popup');
    const ctext = await page.locator('.maplibregl-popup .popup').innerText();
    assert.match(ctext, /数量/);
    assert.match(ctext, /放大/);
    await page.locator('.maplibregl-popup-close-button').click();

    // A hazard source at detail zoom: its fields in Chinese.
    const [lon, lat] = anchorOf(hazard.geometry);
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 16.5 }), [lon, lat]);
    await waitIdle();
    const target = await page.evaluate(([x, y]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      const fs = m.queryRenderedFeatures([[p.x - 3, p.y - 3], [p.x + 3, p.y + 3]], { layers: ['hazard_sources-fill'] });
      const rect = m.getCanvas().getBoundingClientRect();
      return { x: rect.left + p.x, y: rect.top + p.y, n: fs.length, name: fs[0] && fs[0].properties.name };
    }, [lon, lat]);
    assert.ok(target.n > 0, `hazard source ${hazard.id} is not rendered at its centroid`);
    await page.mouse.click(target.x, target.y);
    // The tile carries the id, name and level; the popup reads the rest (R, the grade)
    // from the feature API.
    await page.waitForFunction(() => {
      const el = document.querySelector('.maplibregl-popup .popup');
      return el && el.innerText.includes('R值');
    }, null, { timeout: 10000 }).catch(async (e) => {
      const shown = await page.locator('.maplibregl-popup .popup').innerText().catch(() => '(no popup)');
      throw new Error(`the hazard source popup never showed R值: ${shown} (${e.message})`);
    });
    const text = await page.locator('.maplibregl-popup .popup').innerText();
    const info = catalog.layers.find((l) => l.id === 'hazard_sources');
    assert.ok(text.includes(info.title_zh), `popup lacks the layer title: ${text}`);
    assert.ok(text.includes(target.name), `popup lacks the name ${target.name}: ${text}`);
    for (const label of ['名称', 'R值', '等级']) {
      assert.ok(info.popup_fields.some((f) => f.label_zh === label), `catalog lacks popup label ${label}`);
      assert.ok(text.includes(label), `popup lacks ${label}: ${text}`);
    }
    assert.ok(LEVEL_ZH.some((zh) => text.includes(zh)), `popup shows no Chinese level: ${text}`);
    assert.ok(/[一二三四]级/.test(text), `popup shows no grade in Chinese: ${text}`);
    assert.ok(!/\b(major|significant|general|low)\b/.test(text), `popup shows an untranslated level: ${text}`);
    await page.locator('.maplibregl-popup-close-button').click();
  });

  it('shows a house popup from the feature API: the tile carries the level only', async () => {
    // Every house of the export, in layer order: the i-th is the house whose tile id is i.
    const fc = await (await fetch(`${origin}/api/features/house_risk.geojson`)).json();
    const red = fc.features.find((f) => f.properties.level === 'major');
    assert.ok(red, 'no 重大风险 house in the data');
    const [lon, lat] = anchorOf(red.geometry);
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 18 }), [lon, lat]);
    await waitIdle();
    const target = await page.evaluate(([x, y]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      const fs = m.queryRenderedFeatures([[p.x - 1, p.y - 1], [p.x + 1, p.y + 1]], { layers: ['houses-fill'] });
      const rect = m.getCanvas().getBoundingClientRect();
      return { x: rect.left + p.x, y: rect.top + p.y, id: fs[0] && fs[0].id, props: fs[0] && fs[0].properties };
    }, [lon, lat]);
    assert.ok(target.props, `no house rendered at ${lon},${lat}`);
    assert.deepEqual(Object.keys(target.props), ['level'], 'a house tile carries its level only');
    // The house the tile drew there is the export's house of that position: its footprint
    // holds the point, and its level is the one drawn.
    const house = fc.features[target.id];
    assert.ok(house && inRing([lon, lat], house.geometry.coordinates[0]), `tile feature ${target.id} is not the export's house there`);
    assert.equal(house.properties.level, target.props.level);
    await page.mouse.click(target.x, target.y);
    await page.waitForFunction((addr) => {
      const el = document.querySelector('.maplibregl-popup .popup');
      return el && el.innerText.includes(addr);
    }, house.properties.address, { timeout: 10000 }).catch(async (e) => {
      const shown = await page.locator('.maplibregl-popup .popup').innerText().catch(() => '(no popup)');
      throw new Error(`popup never showed ${house.properties.address}: ${shown} (${e.message})`);
    });
    const text = await page.locator('.maplibregl-popup .popup').innerText();
    for (const label of ['编号', '地址']) assert.ok(text.includes(label), `popup lacks ${label}: ${text}`);
    assert.ok(text.includes(house.id), `popup lacks the id ${house.id}: ${text}`);
    assert.ok(text.includes(house.properties.level_zh), `popup lacks the level ${house.properties.level_zh}: ${text}`);
    // Under the fields, its open hidden hazards as /api/hidden/of counts them; what that
    // part lacks (the list of them, the line of more) adds nothing, not the text "null".
    const of = await (await fetch(`${origin}/api/hidden/of/houses/${encodeURIComponent(house.id)}`)).json();
    const hidden = page.locator('.maplibregl-popup .popup-hidden h4');
    await hidden.waitFor({ timeout: 10000 });
    assert.match(await hidden.innerText(), new RegExp(`未销号隐患 ${of.counts.open} 项`));
    const whole = await page.locator('.maplibregl-popup .popup').innerText();
    assert.ok(!/null|undefined/.test(whole), `the popup shows what is absent as text: ${whole}`);
    await page.locator('.maplibregl-popup-close-button').click();
  });

  it('follows its ledger: a house moved in houses.csv is redrawn where it now stands, same id', async () => {
    const fc = await (await fetch(`${origin}/api/features/house_risk.geojson`)).json();
    const uid = 7;
    const f = fc.features[uid];
    const path = join(data, 'houses.csv');
    // GBK bytes kept as they are: the line's geometry is ASCII, and no GBK byte is a digit.
    const text = readFileSync(path).toString('latin1');
    const start = text.indexOf(`\n${f.id},`) + 1;
    assert.ok(start > 0, `house ${f.id} not found in houses.csv`);
    const end = text.indexOf('\n', start);
    const dx = 0.003; // about 280 m east
    const moved = text.slice(start, end).replace(/POLYGON \(\((.*)\)\)/, (_, inner) => `POLYGON ((${inner.split(',').map((p) => {
      const [x, y] = p.trim().split(/\s+/).map(Number);
      return `${(x + dx).toFixed(6)} ${y.toFixed(6)}`;
    }).join(',')}))`);
    assert.notEqual(moved, text.slice(start, end), 'the line has no POLYGON geometry');
    const [lon, lat] = anchorOf(f.geometry);
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 18 }), [lon + dx, lat]);
    await waitIdle();
    const before = await page.evaluate(() => window.riskmap.state.changes || 0);
    writeFileSync(path, Buffer.from(text.slice(0, start) + moved + text.slice(end), 'latin1'));
    await page.waitForFunction((n) => (window.riskmap.state.changes || 0) > n, before, { timeout: 30_000, polling: 100 });
    await waitIdle();
    // A server busy drawing may answer a changed tile from its last drawing first, then
    // announce it drawn anew (`drawn`), which the viewer asks for again: the house shows
    // at its new place after one or the other.
    const drawnAt = ([x, y, id]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      const fs = m.queryRenderedFeatures([[p.x - 1, p.y - 1], [p.x + 1, p.y + 1]], { layers: ['houses-fill'] });
      return fs.some((q) => q.id === id);
    };
    const shown = await page.waitForFunction(drawnAt, [lon + dx, lat, uid], { timeout: 15_000, polling: 100 })
      .then(() => true, () => false);
    const drawn = await page.evaluate(([x, y]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      const fs = m.queryRenderedFeatures([[p.x - 1, p.y - 1], [p.x + 1, p.y + 1]], { layers: ['houses-fill'] });
      return fs.map((q) => q.id);
    }, [lon + dx, lat]);
    assert.ok(shown, `house ${f.id} (tile id ${uid}) is not drawn at its new place: ${JSON.stringify(drawn)}`);
    const info = await page.locator('#data-info').innerText();
    assert.ok(/数据第 2 版/.test(info), `the data version shown did not follow: ${info}`);
  });

  it('says in its header when a changed ledger is refused, until a whole one is read', async () => {
    const badge = page.locator('#source-status');
    assert.equal(await badge.isHidden(), true, 'the badge shows with nothing refused');
    const path = join(data, 'protection_targets.geojson');
    const whole = readFileSync(path);
    const version = await page.locator('#data-info').innerText();
    // Cut at two fifths, as a copy still being written: the server keeps what it served.
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 2 / 5)));
    await badge.waitFor({ state: 'visible', timeout: 30_000 });
    const why = await badge.getAttribute('title');
    assert.ok(why.includes('protection_targets.geojson'), `the reason does not name the file: ${why}`);
    assert.equal(await page.locator('#data-info').innerText(), version, 'the map changed on a refused reading');
    writeFileSync(path, whole);
    await badge.waitFor({ state: 'hidden', timeout: 30_000 });
  });

  it('finds a feature by name and flies to it', async () => {
    await page.evaluate(() => window.riskmap.map.jumpTo({ center: [0, 0], zoom: 3 }));
    const name = hazard.properties.name;
    await page.fill('#search-input', name);
    await page.click('#search-form button[type=submit]');
    const item = page.locator('#search-results li', { hasText: name }).first();
    await item.waitFor();
    await item.click();
    await waitIdle();
    const c = await page.evaluate(() => window.riskmap.map.getCenter().toArray());
    const [lon, lat] = anchorOf(hazard.geometry);
    assert.ok(Math.abs(c[0] - lon) < 0.01 && Math.abs(c[1] - lat) < 0.01, `search did not fly to ${name}: centre ${c}`);
    // Its popup opens by itself, with its name.
    const popup = page.locator('.maplibregl-popup');
    await popup.waitFor();
    await page.waitForFunction((n) => (document.querySelector('.maplibregl-popup') || {}).textContent.includes(n), name);
    await page.locator('.maplibregl-popup-close-button').click();
  });

  it('says how many a search found and pages through them; kinds and codes are searched', async () => {
    const res = await (await fetch(`${origin}/api/search?q=${encodeURIComponent('化工')}&limit=100`)).json();
    assert.ok(res.total > 30, `only ${res.total} hits for 化工`);
    await page.fill('#search-input', '化工');
    await page.click('#search-form button[type=submit]');
    const count = page.locator('#search-results li.count');
    await count.waitFor();
    assert.equal(await count.innerText(), `共 ${res.total} 条，显示前 30 条`);
    assert.equal(await page.locator('#search-results li[role=option]').count(), 30);
    await page.locator('#search-results li.more').click();
    const second = Math.min(res.total, 60);
    await page.waitForFunction((n) => document.querySelectorAll('#search-results li[role=option]').length === n, second);
    // 学校 finds the schools among the protection targets by their kind.
    const schools = await (await fetch(`${origin}/api/search?q=${encodeURIComponent('学校')}&limit=1`)).json();
    await page.fill('#search-input', '学校');
    await page.click('#search-form button[type=submit]');
    // The list is replaced when the answer comes: wait for its count, not the old one's.
    await page.waitForFunction((n) => (document.querySelector('#search-results li.count') || {}).textContent?.startsWith(`共 ${n} 条`), schools.total);
    const kinds = await page.locator('#search-results li[role=option]').allInnerTexts();
    assert.ok(kinds.some((t) => t.includes('防护目标') && t.includes('学校')), kinds.join(' | '));
    // An answer that comes back after a later search's never replaces its list.
    const held = (u) => new URL(u).pathname === '/api/search' && new URL(u).searchParams.get('q') === '化工';
    await page.route(held, async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    const late = page.waitForResponse((r) => held(r.url()));
    await page.fill('#search-input', '化工');
    await page.click('#search-form button[type=submit]');
    await page.fill('#search-input', '学校');
    await page.click('#search-form button[type=submit]');
    await late;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const head = await page.locator('#search-results li.count').innerText();
    assert.ok(head.startsWith(`共 ${schools.total} 条`), `the list is of an earlier search: ${head}`);
    await page.unroute(held);
    await page.keyboard.press('Escape');
    await page.evaluate(() => { document.querySelector('#search-results').hidden = true; });
  });

  it('shows the API error of a rejected site check to the user', async () => {
    // A self-intersecting ("bow-tie") site: the server refuses it with {error, status: 400}.
    const [lon, lat] = anchorOf(hazard.geometry);
    const d = 0.001;
    const bowtie = { type: 'Feature', properties: { use: 'school' }, geometry: { type: 'Polygon', coordinates: [[[lon, lat], [lon + d, lat + d], [lon + d, lat], [lon, lat + d], [lon, lat]]] } };
    const file = join(tmp, 'bowtie.geojson');
    writeFileSync(file, JSON.stringify(bowtie));
    expectedErrors.push({ urlPart: '/api/site-check', status: 400 });
    await page.setInputFiles('#site-file', file);
    await page.click('#site-submit');
    const t = page.locator('#toasts .toast', { hasText: '选址审查失败' });
    await t.waitFor();
    const msg = await t.innerText();
    assert.match(msg, /400/);
    assert.ok(msg.length > 20, `the server's message is not shown: ${msg}`);
    await t.locator('.close').click();
    await page.click('#draw-clear');
    expectedErrors.pop();
  });

  it('checks a drawn school site near a hazard source and highlights the conflicts', async () => {
    // A square of about 80 m, 150 m east of the hazard source's units: inside any graded
    // source's required distance for a school (high-sensitivity target).
    const b = bboxOf(hazard.geometry);
    const lat = (b[1] + b[3]) / 2;
    const x0 = b[2] + 150 / mPerDegLon(lat);
    const dx = 80 / mPerDegLon(lat);
    const dy = 80 / M_PER_DEG_LAT;
    const corners = [[x0, lat - dy / 2], [x0 + dx, lat - dy / 2], [x0 + dx, lat + dy / 2], [x0, lat + dy / 2]];
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 16 }), [x0 + dx / 2, lat]);
    await waitIdle();
    const px = await page.evaluate((cs) => {
      const m = window.riskmap.map;
      const r = m.getCanvas().getBoundingClientRect();
      return cs.map((c) => { const p = m.project(c); return [r.left + p.x, r.top + p.y]; });
    }, corners);

    await page.click('#draw-start');
    assert.equal(await page.locator('#draw-banner').isVisible(), true);
    for (const [x, y] of px.slice(0, 3)) await page.mouse.click(x, y);
    await page.mouse.dblclick(px[3][0], px[3][1]);
    await page.waitForFunction(() => window.riskmap.state.site && !window.riskmap.state.draw.active);
    const site = await page.evaluate(() => window.riskmap.state.site);
    assert.equal(site.type, 'Polygon');
    assert.equal(site.coordinates[0].length, 5, `expected 4 vertices and the closing one: ${JSON.stringify(site)}`);
    assert.match(await page.locator('#draw-status').innerText(), /4 个顶点/);

    await page.selectOption('#site-use', 'school');
    await page.fill('#site-population', '1200');
    await page.click('#site-submit');
    await page.waitForSelector('#site-results .conflicts li');
    const fc = await page.evaluate(() => window.riskmap.siteResult);
    assert.equal(fc.type, 'FeatureCollection');
    assert.equal(fc.features[0].properties.role, 'site');
    assert.equal(fc.features[0].properties.use, 'school');
    const conflicts = fc.features.filter((f) => f.properties.role === 'conflict');
    assert.ok(conflicts.length > 0, 'no conflict for a school 150 m from a major hazard source');
    assert.ok(conflicts.some((f) => f.properties.kind === 'hazard_source' && f.properties.id === hazard.id),
      `the hazard source ${hazard.id} is not among the conflicts: ${conflicts.map((f) => f.properties.id)}`);

    const items = await page.locator('#site-results .conflicts li').allInnerTexts();
    assert.equal(items.length, conflicts.length);
    const row = items.find((t) => t.includes(hazard.properties.name));
    assert.ok(row, `the list does not name ${hazard.properties.name}: ${items.join(' | ')}`);
    assert.match(row, /重大危险源防护距离不足/);
    assert.match(row, /实际距离 [\d,.]+ m，要求 [\d,.]+ m，不足 [\d,.]+ m/);
    assert.match(await page.locator('#site-results .site-summary').innerText(), /高敏感/);
    // The badge is the conflict's own severity, by the rule of docs/rules.md written out
    // here: over half the distance missing 重大, over a quarter 较大, else 一般, one step
    // worse for a school.
    const hp = conflicts.find((f) => f.properties.kind === 'hazard_source' && f.properties.id === hazard.id).properties;
    const share = hp.shortfall_m / hp.required_m;
    const steps = ['一般', '较大', '重大'];
    const want = steps[Math.min(2, (share > 0.5 ? 2 : share > 0.25 ? 1 : 0) + 1)];
    assert.match(row, new RegExp(`冲突${want}`), row);
    assert.match(row, /依据：本项目规划筛查默认值：.级重大危险源对高敏感防护目标的防护距离/);
    assert.match(hp.reason_zh, /距拟选址 [\d.]+ m，高敏感防护目标要求不小于 [\d.]+ m，不足 [\d.]+ m/);
    // What a review cites: the site's area (an 80 m square), when, on which data and rules.
    const sp = fc.features[0].properties;
    assert.ok(Math.abs(sp.area_m2 - 6400) < 130, `area ${sp.area_m2} m² for an 80 m square`);
    assert.match(sp.rules_sha256, /^[0-9a-f]{64}$/);
    assert.equal(sp.data_as_of, '2026-11-30');
    assert.equal(sp.use_zh, '学校');
    assert.ok(Date.now() - Date.parse(sp.checked_at) < 600_000, sp.checked_at);

    await waitIdle();
    const drawn = await page.evaluate(() => {
      const m = window.riskmap.map;
      return {
        site: m.queryRenderedFeatures({ layers: ['rm-site-fill', 'rm-site-line'] }).length,
        conflicts: m.queryRenderedFeatures({ layers: ['rm-site-conflict-line', 'rm-site-conflict-point'] }).length,
      };
    });
    assert.ok(drawn.site > 0, 'the site is not drawn on the map');
    assert.ok(drawn.conflicts > 0, 'the conflicts are not highlighted on the map');

    // The review's GeoJSON, downloaded as shown.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#site-download')]);
    assert.match(download.suggestedFilename(), /^选址审查_学校_.*\.geojson$/);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(saved, fc);
  });

  it('prints the site check\'s draft opinion to PDF with the site\'s map and the conflicts', async () => {
    const fc = await page.evaluate(() => window.riskmap.siteResult);
    const conflicts = fc.features.filter((f) => f.properties.role === 'conflict');
    const [tab] = await Promise.all([context.waitForEvent('page'), page.click('#site-print')]);
    await tab.waitForFunction(() => document.title.includes('审查意见'));
    const pdf = await tab.pdf({ format: 'A4', printBackground: true });
    await tab.close();
    const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, disableFontFace: true }).promise;
    const plain = plainPdfText;
    const text = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const t = await (await doc.getPage(i)).getTextContent();
      text.push(plain(t.items.map((x) => x.str).join('')));
    }
    const all = text.join('\n').replace(/\s+/g, '');
    assert.ok(text[0].includes('建设项目选址安全风险审查意见'), text[0].slice(0, 200));
    for (const want of ['拟选址概况', '拟选址及周边图', '距离冲突', '依据与说明', '审查意见', '审查人', '高敏感防护目标', hazard.properties.name]) {
      assert.ok(all.includes(plain(want).replace(/\s+/g, '')), `the PDF lacks ${want}`);
    }
    // One row per conflict, numbered as on the map.
    assert.ok(all.includes(`${conflicts.length}处距离冲突`), 'the count of conflicts is not in the conclusion');
    // The map is drawn as vectors, not a blank canvas: the site, the surroundings, the
    // conflicts' lines and ends fill many paths on the first page.
    const ops = await (await doc.getPage(1)).getOperatorList();
    const FILLS = [OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke];
    const fills = ops.fnArray.filter((f, i) => FILLS.includes(f) || (f === OPS.constructPath && FILLS.includes(ops.argsArray[i][0]))).length;
    assert.ok(fills >= 50, `only ${fills} fills on the first page`);
  });

  it('downloads the current view as GeoJSON for the checked levels', async () => {
    await page.locator('#sec-export summary').click();
    await page.selectOption('#export-layer', 'hazard_grades');
    await page.locator('#level-filters input[data-level="low"]').uncheck();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => r.url().includes('/api/features/hazard_grades.geojson?') && r.url().includes('bbox=') && r.url().includes('level=major%2Csignificant%2Cgeneral')),
      page.click('#export-button'),
    ]);
    const fc = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(fc.type, 'FeatureCollection');
    assert.ok(fc.features.some((f) => f.id === hazard.id || f.properties.id === hazard.id), 'the hazard source in view is not in the download');
    // Conflicts have no level: downloaded without one (the server refuses it), and said so.
    await page.selectOption('#export-layer', 'protection_conflicts');
    const [conflicts, request] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => r.url().includes('/api/features/protection_conflicts.geojson?')),
      page.click('#export-button'),
    ]);
    assert.ok(!request.url().includes('level='), request.url());
    assert.equal(JSON.parse(readFileSync(await conflicts.path(), 'utf8')).type, 'FeatureCollection');
    await page.locator('#toasts .toast.info', { hasText: '未按等级筛选' }).waitFor();
    await page.locator('#level-filters input[data-level="low"]').check();
    await page.locator('#sec-export summary').click();
  });

  it('downloads the two lists as workbooks', async () => {
    await page.locator('#sec-export summary').click();
    for (const [button, name] of [['#list-risk', '风险清单.xlsx'], ['#list-hidden', '隐患清单.xlsx']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      assert.equal(download.suggestedFilename(), name);
      const bytes = readFileSync(await download.path());
      // A workbook is a zip archive holding the sheet.
      assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
      assert.ok(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml')), `${name} holds no sheet`);
    }
    await page.locator('#sec-export summary').click();
  });

  it('saves a screenshot of the viewer', async () => {
    await page.fill('#search-input', '');
    // The site check in its surroundings, with the results in the panel.
    // Closing one toast renumbers the rest: close the first until none is left.
    const infos = page.locator('#toasts .toast.info .close');
    while (await infos.count() > 0) await infos.first().click();
    await page.evaluate(() => {
      window.riskmap.map.getSource('rm-highlight').setData({ type: 'FeatureCollection', features: [] });
      const fc = window.riskmap.siteResult;
      const m = window.riskmap.map;
      const pts = fc.features.flatMap((f) => (f.geometry.type === 'Point' ? [f.geometry.coordinates] : f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates.flat()));
      const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
      m.fitBounds([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], { padding: 120, animate: false, maxZoom: 16 });
      m.jumpTo({ zoom: Math.min(m.getZoom(), 14.6) });
      document.querySelector('#sec-site').scrollIntoView();
    });
    await waitIdle();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    assert.ok(existsSync(SCREENSHOT));
  });

  it('made no request outside the server and hit no error', async () => {
    // Map errors (a tile that fails to decode, say) reach the user as error messages.
    const shown = await page.locator('#toasts .toast.error').allInnerTexts();
    assert.deepEqual(shown, [], `error messages on the page: ${shown.join(' | ')}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});
