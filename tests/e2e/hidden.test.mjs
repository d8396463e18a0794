// The hidden hazards (隐患) in the web viewer: drawn from the tiles as they stood on the
// map's day, checked against the GeoJSON export of the same records with the lifecycle
// rule written out again here; the date control; the filters; an enterprise's popup
// listing its open hazards; the town's trend chart; the town's report printed to PDF by
// Chromium and read back by pdf.js.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DATA, openBrowser, startServer, stopServer, waitIdle, plainPdfText } from './harness.mjs';

const VIEWPORT = { width: 1280, height: 800 };

/**
 * Where a record stood on `day` (YYYY-MM-DD compares as text): null before it was found;
 * else its status that day and whether it was overdue. The rule of docs/data-model.md,
 * independent of the server's code.
 */
/** Clicks the map at a longitude/latitude: map coordinates are the canvas's, the page's
 * are offset by the panel and the bar. */
async function clickAt(page, lonlat) {
  const pt = await page.evaluate((c) => {
    const m = window.riskmap.map;
    const p = m.project(c);
    const r = m.getCanvas().getBoundingClientRect();
    return { x: p.x + r.left, y: p.y + r.top };
  }, lonlat);
  await page.mouse.click(pt.x, pt.y);
}

function stateOn(p, day) {
  if (p.discovered && p.discovered > day) return null;
  if (p.status === 'closed' && (!p.closed || p.closed <= day)) return { status: 'closed', overdue: false };
  let status = p.status;
  if (status === 'closed' || status === 'rectified') status = p.rectified && p.rectified <= day ? 'rectified' : 'in_progress';
  return { status, overdue: !!p.deadline && p.deadline < day };
}

describe('hidden hazards in the viewer', { timeout: 180_000 }, () => {
  let server;
  let origin;
  let browser;
  let context;
  let page;
  const problems = [];
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-hidden-'));

  before(async () => {
    cpSync(DATA, join(tmp, 'data'), { recursive: true });
    server = await startServer(join(tmp, 'data'));
    origin = server.origin;
    ({ browser, context, page } = await openBrowser(origin, VIEWPORT, problems, () => false));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The hidden hazards drawn as single features in view: id → {status, overdue, major}. */
  const drawn = () => page.evaluate(() => {
    const m = window.riskmap.map;
    const out = {};
    for (const f of m.queryRenderedFeatures({ layers: ['hidden_hazards-point'] })) {
      out[f.properties.id] = { status: f.properties.status, overdue: f.properties.overdue, major: f.properties.major };
    }
    const b = m.getBounds();
    return { out, bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] };
  });

  /** What the export's records say should be drawn in `bounds` on `day` (open ones only, as the map's default filter). */
  const expected = async (bounds, day, keep = () => true) => {
    const [w, s, e, n] = bounds;
    const fc = await (await fetch(`${origin}/api/features/hidden_hazards.geojson?bbox=${bounds.join(',')}`)).json();
    const want = {};
    let edge = new Set();
    for (const f of fc.features) {
      const [x, y] = f.geometry.coordinates;
      const st = stateOn(f.properties, day);
      if (!st || st.status === 'closed' || !keep(f.properties, st)) continue;
      // Points on the view's very edge may or may not be drawn: left out of the comparison.
      const mx = (e - w) * 0.01; const my = (n - s) * 0.01;
      if (x < w + mx || x > e - mx || y < s + my || y > n - my) { edge.add(f.id); continue; }
      want[f.id] = { status: st.status, overdue: st.overdue, major: f.properties.major };
    }
    return { want, edge };
  };

  const compare = (got, want, edge, what) => {
    for (const id of edge) delete got[id];
    assert.deepEqual(got, want, what);
  };

  /** The drawn hazards against the records of `day` (`keep`: which of them the filters show). */
  const showsDay = async (day, what, keep) => {
    const d = await drawn();
    const e = await expected(d.bounds, day, keep);
    compare(d.out, e.want, e.edge, what);
    return e;
  };

  /** Sets the date control to `day`, as a person picks a date. */
  const choose = async (day) => {
    await page.fill('#as-of', day);
    await page.dispatchEvent('#as-of', 'change');
  };

  it('draws the open hazards of the data day as the records say, and another day as it was', async () => {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.riskmap && window.riskmap.map && window.riskmap.state.dataDay, null, { timeout: 30_000 });
    const dataDay = await page.evaluate(() => window.riskmap.state.dataDay);
    // data/haimen/riskmap.toml: the ledgers end on 30 November 2026.
    assert.equal(dataDay, '2026-11-30');
    assert.equal(await page.inputValue('#as-of'), '2026-11-30');
    // A busy part of the district at the hazards' detail zoom.
    await page.evaluate(() => window.riskmap.map.jumpTo({ center: [121.16, 31.89], zoom: 14 }));
    await waitIdle(page);
    const d = await drawn();
    const e = await expected(d.bounds, dataDay);
    assert.ok(Object.keys(e.want).length >= 5, `too few open hazards in view: ${JSON.stringify(e.want)}`);
    compare(d.out, e.want, e.edge, 'the data day');

    // A year earlier: other hazards open, some not yet found.
    const requests = [];
    page.on('request', (r) => { if (r.url().includes('/tiles/')) requests.push(r.url()); });
    const t0 = Date.now();
    await choose('2025-11-30');
    await page.waitForFunction(() => window.riskmap.state.asOf === '2025-11-30');
    await page.waitForTimeout(100);
    await waitIdle(page);
    const switchMs = Date.now() - t0;
    assert.ok(requests.some((u) => u.includes('as_of=2025-11-30')), `no tile asked for the day: ${requests.slice(0, 3)}`);
    // A folder keeps no history of its ledgers: only the sources the style names as dated
    // are of the day, the others (houses, hazard sources, pipes) the data day's.
    const sources = await page.evaluate(() => {
      const m = window.riskmap.map;
      const st = m.getStyle();
      return { dated: st.metadata['riskmap:dated_sources'], tiles: Object.entries(st.sources).filter(([, x]) => x.type === 'vector').map(([id]) => [id, m.getSource(id).tiles[0]]) };
    });
    assert.equal((await (await fetch(`${origin}/api/hidden/areas`)).json()).history_kept, false);
    assert.ok(sources.tiles.length >= 2, JSON.stringify(sources));
    for (const [id, url] of sources.tiles) assert.equal(url.includes('as_of=2025-11-30'), sources.dated.includes(id), `${id}: ${url}`);
    const past = await showsDay('2025-11-30', '2025-11-30');
    assert.notDeepEqual(Object.keys(past.want).sort(), Object.keys(e.want).sort(), 'the two days show the same hazards');
    assert.ok(await page.isVisible('#as-of-note'), 'no note that the grid stays the data day\'s');
    console.log(`# date switch on the demo: ${switchMs} ms to an idle map`);

    // Major ones only: every drawn one major, the clusters hidden while filtering.
    await page.check('#hidden-major');
    await waitIdle(page);
    await showsDay('2025-11-30', 'major only', (p) => p.major);
    const clusterVis = await page.evaluate(() => window.riskmap.map.getLayoutProperty('hidden_hazards-cluster', 'visibility'));
    assert.equal(clusterVis, 'none');
    await page.uncheck('#hidden-major');

    // Back to the data day.
    await page.click('#as-of-reset');
    await page.waitForFunction(() => window.riskmap.state.asOf === '2026-11-30');
    await waitIdle(page);
    await showsDay(dataDay, 'back on the data day');

    // A day asked for and taken back before its tiles came: the day not seen before is
    // made on the server while the data day's tiles come at once, so its tiles answer
    // last. The map must end on the day the control shows.
    await choose('2025-05-31');
    await page.click('#as-of-reset');
    await page.waitForFunction(() => window.riskmap.state.asOf === '2026-11-30');
    await page.waitForTimeout(1500);
    await waitIdle(page);
    await showsDay(dataDay, 'a day taken back before its tiles came');

    // Two days one after the other, the second chosen while the first's tiles are on
    // their way: the first is new to the server, the second made before, so the second's
    // tiles come first. The map must end on the second, and say when it is there.
    await choose('2025-08-31');
    await choose('2025-11-30');
    await page.waitForFunction(() => window.riskmap.state.asOf === '2025-11-30');
    await waitIdle(page);
    assert.equal(await page.getAttribute('#as-of', 'aria-busy'), 'false');
    await page.waitForTimeout(1500);
    await waitIdle(page);
    await showsDay('2025-11-30', 'the later of two days chosen at once');
    await page.click('#as-of-reset');
    await page.waitForFunction(() => window.riskmap.state.asOf === '2026-11-30');
    await waitIdle(page);
    assert.deepEqual(problems, []);
  });

  it('names a hidden hazard\'s linked layer in Chinese in its popup', async () => {
    // An open hazard of a major hazard source, drawn at z ≥ 13 where it stands.
    const fc = await (await fetch(`${origin}/api/features/hidden_hazards.geojson`)).json();
    const f = fc.features
      .filter((x) => x.properties.feature_layer === 'hazard_sources' && x.geometry && x.geometry.type === 'Point')
      .filter((x) => { const st = stateOn(x.properties, '2026-11-30'); return st && st.status !== 'closed'; })
      .sort((a, b) => String(a.id).localeCompare(String(b.id)))[0];
    assert.ok(f, 'an open hazard of a hazard source');
    const at = f.geometry.coordinates;
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 18 }), at);
    await waitIdle(page);
    await clickAt(page, at);
    const popup = page.locator('.maplibregl-popup .popup');
    await popup.waitFor({ timeout: 10_000 });
    const text = await popup.innerText();
    assert.match(text, /关联对象类型\s*重大危险源/, `the popup of ${f.id}: ${text}`);
    assert.ok(!text.includes('hazard_sources'), `the layer's code shown: ${text}`);
    await page.keyboard.press('Escape');
  });

  it('lists an enterprise\'s open hazards in its popup, and draws the town\'s trend', async () => {
    // The enterprise with the most open hazards of its own on the data day.
    const fc = await (await fetch(`${origin}/api/features/hidden_hazards.geojson`)).json();
    const per = {};
    for (const f of fc.features) {
      const st = stateOn(f.properties, '2026-11-30');
      if (st && st.status !== 'closed' && f.properties.feature_layer === 'enterprises') per[f.properties.feature_id] = (per[f.properties.feature_id] || 0) + 1;
    }
    const [id] = Object.entries(per).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const of = await (await fetch(`${origin}/api/hidden/of/enterprises/${id}`)).json();
    // Its own and its hazard sources': at least those counted here.
    assert.ok(of.counts.open >= per[id], `${id}: ${of.counts.open} open, the export has ${per[id]}`);
    const ents = await (await fetch(`${origin}/api/features/enterprises.geojson`)).json();
    const ent = ents.features.find((f) => f.id === id || f.properties.id === id);
    const at = ent.geometry.type === 'Point' ? ent.geometry.coordinates : ent.geometry.coordinates[0][0];
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 16 }), at);
    await waitIdle(page);
    await page.locator('#layer-toggles input[data-layer="hidden_hazards"]').uncheck();
    await waitIdle(page);
    await clickAt(page, at);
    const popup = page.locator('.maplibregl-popup .popup-hidden h4');
    await popup.waitFor({ timeout: 10_000 }).catch(async (e) => {
      const text = await page.locator('.maplibregl-popup').innerText().catch(() => '(no popup)');
      throw new Error(`${e.message}\npopup: ${text}\nenterprise ${id} at ${at}`);
    });
    assert.match(await popup.innerText(), new RegExp(`未销号隐患 ${of.counts.open} 项`));
    // The parts the list lacks (a line of more beyond eight) add nothing, not "null".
    const whole = await page.locator('.maplibregl-popup .popup').innerText();
    assert.ok(!/null|undefined/.test(whole), `the popup shows what is absent as text: ${whole}`);
    await page.locator('#layer-toggles input[data-layer="hidden_hazards"]').check();

    // The district's trend: twelve months, each with a bar of found hazards.
    const months = await page.getAttribute('#trend-chart', 'data-months');
    assert.equal(months, '12');
    // Its levels at each month's end, newest first. A folder keeps no history: every
    // month's houses are those served, counted here from the houses' levels (GeoJSON).
    await page.locator('#trend-chart details.trend-levels summary').click();
    const rows = page.locator('#trend-levels tbody tr');
    assert.equal(await rows.count(), 12);
    const houses = await (await fetch(`${origin}/api/features/house_risk.geojson`)).json();
    const atLevel = (lv) => houses.features.filter((f) => f.properties.level === lv).length;
    const want = [atLevel('major'), atLevel('significant')];
    assert.ok(want[0] + want[1] > 0, 'no house at 重大 or 较大');
    for (const i of [0, 11]) {
      const cells = (await rows.nth(i).locator('td').allInnerTexts()).map(Number);
      assert.deepEqual(cells.slice(2), want, `row ${i}`);
    }
    assert.deepEqual(problems, []);
  });

  it('prints the town\'s report to PDF with its map and tables', async () => {
    const town = '临江镇';
    await page.selectOption('#area-select', { label: town });
    await page.locator('#sec-export summary').click();
    const [tab] = await Promise.all([context.waitForEvent('page'), page.click('#report-open')]);
    await tab.waitForLoadState('load');
    assert.equal(decodeURIComponent(new URL(tab.url()).search), `?area=${town}`);
    const pdf = await tab.pdf({ format: 'A4', printBackground: true });
    await tab.close();
    const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, disableFontFace: true }).promise;
    assert.ok(doc.numPages >= 2, `${doc.numPages} page(s)`);
    const plain = plainPdfText;
    const text = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const t = await (await doc.getPage(i)).getTextContent();
      text.push(plain(t.items.map((x) => x.str).join('')));
    }
    const all = text.join('\n');
    // The title and the map on the first page, the sections and the tables' headers.
    assert.match(text[0], new RegExp(`${town}安全风险与隐患排查治理报告`));
    assert.match(text[0], /风险分布图/);
    for (const want of ['风险分级概况', '主要风险', '外部安全防护距离不足', '隐患排查治理', '较上月变化', '隐患编号', '风险因素', '编制']) {
      assert.ok(all.includes(want), `the PDF lacks ${want}`);
    }
    // The map is drawn (vectors), not a blank box: hundreds of filled paths on page 1.
    const ops = await (await doc.getPage(1)).getOperatorList();
    // (pdf.js folds each path's painting operator into its constructPath.)
    const FILLS = [OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke];
    const fills = ops.fnArray.filter((f, i) => FILLS.includes(f) || (f === OPS.constructPath && FILLS.includes(ops.argsArray[i][0]))).length;
    assert.ok(fills >= 100, `only ${fills} fills on the first page`);
    // Its counts are the town's summary: the enterprises per level of /api/areas.
    const areas = await (await fetch(`${origin}/api/areas`)).json();
    const s = areas.find((a) => a.name === town);
    const [low, general, significant, major] = s.enterprises;
    assert.ok(all.replace(/\s+/g, '').includes(`企业${major}${significant}${general}${low}${major + significant + general + low}`),
      `the enterprises' row is not ${[major, significant, general, low]}`);
    assert.deepEqual(problems, []);
  });
});
