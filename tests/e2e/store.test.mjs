// The viewer of a store: the demo data imported into a GeoPackage and served with an
// editor's token, a house moved onto a gas pipe through the API while the viewer is open.
// The layer panel's counts follow the edit as /catalog counts it. The day before, the
// store held the house where it stood: the map of that day draws every layer as the
// server takes it back, the house at its old place and none of the conflicts the move made.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, DATA, openBrowser, ringCentroid, startServer, stopServer, waitIdle } from './harness.mjs';

const VIEWPORT = { width: 1280, height: 800 };

describe('the viewer of a GeoPackage store, edited', { timeout: 240_000 }, () => {
  let server;
  let origin;
  let browser;
  let page;
  const problems = [];
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-store-'));
  const token = `rmk_${randomBytes(32).toString('hex')}`;
  let house; // {id, uid, from: its ledger footprint's centroid}
  let spot; // [lon, lat]: a point on a gas pipe, where the house is moved to

  before(async () => {
    const gpkg = join(tmp, 'haimen.gpkg');
    const imported = spawnSync(BIN, ['import', DATA, '--into', gpkg], { encoding: 'utf8' });
    assert.equal(imported.status, 0, `riskmap import failed:\n${imported.stdout}\n${imported.stderr}`);
    const config = join(tmp, 'server.toml');
    const sha = createHash('sha256').update(token).digest('hex');
    writeFileSync(config, `[[tokens]]\nname = "e2e"\nrole = "editor"\nsha256 = "${sha}"\n`);
    server = await startServer(gpkg, 0, ['--config', config]);
    origin = server.origin;
    // A house (the i-th of the export is the house whose tile id is i), and the middle of
    // a gas pipe's first segment.
    const houses = await (await fetch(`${origin}/api/features/house_risk.geojson`)).json();
    const uid = 11;
    const f = houses.features[uid];
    house = { id: f.id, uid, from: ringCentroid(f.geometry.coordinates[0]) };
    const pipes = await (await fetch(`${origin}/api/features/gas_pipelines.geojson`)).json();
    const [a, b] = pipes.features[0].geometry.coordinates;
    spot = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    ({ browser, page } = await openBrowser(origin, VIEWPORT, problems, () => false));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The counts the layer panel shows, by layer. */
  const shownCounts = () => page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#layer-toggles input[data-layer]')].map((cb) => {
      const c = cb.parentElement.querySelector('.count');
      return [cb.dataset.layer, c ? Number(c.textContent.replace(/[,\s]/g, '')) : null];
    })));

  /** The counts of /catalog for the layers `shown` has. */
  const catalogCounts = async (shown) => {
    const c = await (await fetch(`${origin}/catalog`)).json();
    return Object.fromEntries(c.layers.filter((l) => l.id in shown).map((l) => [l.id, l.count]));
  };

  const sameCounts = (a, b) => Object.keys(a).length === Object.keys(b).length && Object.keys(b).every((k) => a[k] === b[k]);

  /** The tile ids of the pipeline conflicts drawn in view. */
  const drawnConflicts = () => page.evaluate(() => [...new Set(window.riskmap.map.queryRenderedFeatures()
    .filter((f) => f.sourceLayer === 'pipeline_conflicts' && f.id != null).map((f) => f.id))]);

  /** Sets the date control to `day`, as a person picks a date, and waits for its map. */
  const choose = async (day) => {
    await page.fill('#as-of', day);
    await page.dispatchEvent('#as-of', 'change');
    await page.waitForFunction((d) => window.riskmap.state.asOf === d, day);
    await page.waitForTimeout(100);
    await waitIdle(page);
  };

  /** Whether the house of tile id `id` is drawn at [x, y]. */
  const drawnAt = ([x, y, id]) => {
    const m = window.riskmap.map;
    const p = m.project([x, y]);
    return m.queryRenderedFeatures([[p.x - 1, p.y - 1], [p.x + 1, p.y + 1]], { layers: ['houses-fill'] }).some((q) => q.id === id);
  };

  it('counts each layer as /catalog does, and follows an edit', async () => {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await waitIdle(page);
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 17.5 }), spot);
    await waitIdle(page);
    await page.waitForFunction(() => window.riskmap.state.events && window.riskmap.state.events.readyState === 1, null, { timeout: 15_000 });
    const shown = await shownCounts();
    assert.ok(Object.keys(shown).length >= 8, `too few layers in the panel: ${JSON.stringify(shown)}`);
    assert.deepEqual(shown, await catalogCounts(shown), 'the panel\'s counts are not the catalog\'s');

    // The house moved onto the pipe: a ~10 m square around the point.
    const d = 0.00005;
    const [x, y] = spot;
    const ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]];
    const before = await page.evaluate(() => window.riskmap.state.changes || 0);
    const r = await fetch(`${origin}/api/layers/houses/features/${encodeURIComponent(house.id)}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] } }),
    });
    assert.equal(r.status, 200, `PATCH ${house.id}: ${r.status} ${await r.text()}`);
    await page.waitForFunction((n) => (window.riskmap.state.changes || 0) > n, before, { timeout: 30_000, polling: 100 });
    const now = await catalogCounts(shown);
    assert.notDeepEqual(now, shown, 'the edit changed no count of /catalog');
    assert.ok(now.pipeline_conflicts > shown.pipeline_conflicts, `no new pipeline conflict: ${JSON.stringify(now)}`);
    // Read again after the change, as the summaries are.
    let got = await shownCounts();
    for (const end = Date.now() + 15_000; !sameCounts(got, now) && Date.now() < end;) {
      await page.waitForTimeout(100);
      got = await shownCounts();
    }
    assert.deepEqual(got, now, 'the panel\'s counts did not follow the edit');
    // The house is drawn where it now stands.
    const moved = await page.waitForFunction(drawnAt, [x, y, house.uid], { timeout: 15_000, polling: 100 }).then(() => true, () => false);
    assert.ok(moved, `house ${house.id} is not drawn on the pipe`);
    assert.deepEqual(problems, []);
  });

  it('draws the day before as the store held it, every layer taken back', async () => {
    const dataDay = await page.evaluate(() => window.riskmap.state.dataDay);
    const past = new Date(Date.parse(`${dataDay}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const [x, y] = spot;
    // Today the house lies on the pipe, with the conflicts the move made.
    await waitIdle(page);
    assert.ok(await page.evaluate(drawnAt, [x, y, house.uid]), `house ${house.id} is not drawn on the pipe`);
    const made = [];
    for (const id of await drawnConflicts()) {
      const f = await (await fetch(`${origin}/api/feature/pipeline_conflicts/${id}`)).json();
      if (f.properties && f.properties.feature_id === house.id) made.push(id);
    }
    assert.ok(made.length > 0, `no conflict of ${house.id} drawn on the pipe`);
    // What the server says of the day before: the edit taken back, the house where it stood,
    // none of those conflicts.
    const areas = await (await fetch(`${origin}/api/hidden/areas?as_of=${past}`)).json();
    assert.equal(areas.history_kept, true);
    assert.ok(areas.history_taken_back >= 1, `nothing taken back to ${past}: ${JSON.stringify(areas)}`);
    const then = await (await fetch(`${origin}/api/feature/houses/${house.uid}?as_of=${past}`)).json();
    const at = ringCentroid(then.geometry.coordinates[0]);
    assert.ok(Math.hypot(at[0] - house.from[0], at[1] - house.from[1]) < 1e-6, `${house.id} on ${past} stood at ${at}, not ${house.from}`);
    for (const id of made) {
      assert.equal((await fetch(`${origin}/api/feature/pipeline_conflicts/${id}?as_of=${past}`)).status, 404, `conflict ${id} on ${past}`);
    }

    await choose(past);
    assert.equal(await page.evaluate(drawnAt, [x, y, house.uid]), false, `house ${house.id} is drawn on the pipe on ${past}`);
    const still = (await drawnConflicts()).filter((id) => made.includes(id));
    assert.deepEqual(still, [], `conflicts of ${house.id} drawn on ${past}`);
    // Every source of the style is of the day, the day's own and the ledgers' alike.
    const tiles = await page.evaluate(() => {
      const m = window.riskmap.map;
      return Object.entries(m.getStyle().sources).filter(([, s]) => s.type === 'vector').map(([id]) => [id, m.getSource(id).tiles[0]]);
    });
    assert.ok(tiles.length >= 2, JSON.stringify(tiles));
    for (const [id, url] of tiles) assert.ok(url.endsWith(`?as_of=${past}`), `source ${id} is not of ${past}: ${url}`);
    assert.ok((await page.locator('#as-of-note').innerText()).includes(`回溯 ${areas.history_taken_back} 条变更`));
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 17.5 }), at);
    await waitIdle(page);
    assert.ok(await page.evaluate(drawnAt, [...at, house.uid]), `house ${house.id} is not drawn where it stood on ${past}`);

    // Back to the data day: the house where it stands now.
    await page.click('#as-of-reset');
    await page.waitForFunction((d) => window.riskmap.state.asOf === d, dataDay);
    await waitIdle(page);
    assert.equal(await page.evaluate(drawnAt, [...at, house.uid]), false, `house ${house.id} is drawn where it stood`);
    assert.deepEqual(problems, []);
  });
});
