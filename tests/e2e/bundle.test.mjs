// The offline map bundle (`riskmap bundle`) in Chromium with nothing behind it: served by
// a plain static file server (Node's, with HTTP Range requests, as IIS or nginx answer
// them) and opened from the folder itself (file://, the archive picked by the reader).
// Every layer is drawn from map.pmtiles, popups show the tiles' fields under their Chinese
// labels, and no request leaves the folder. A screenshot of the district goes to
// docs/bundle.png.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, DATA, openBrowser, root, startServer, stopServer, waitIdle } from './harness.mjs';

const VIEWPORT = { width: 1280, height: 800 };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json' };

/** A static file server of `dir` that answers single byte ranges (206) as web servers do. */
function serveStatic(dir, log) {
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(path).size;
    const type = TYPES[extname(path)] || 'application/octet-stream';
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    log.push({ url: req.url, range: req.headers.range || null });
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
      res.writeHead(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
      createReadStream(path, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Accept-Ranges': 'bytes' });
      createReadStream(path).pipe(res);
    }
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

/** The town names drawn on screen now. */
const townLabels = (page) => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['areas-label'] }).map((f) => f.properties.name));

/** The source layers drawn on screen now. */
const drawnLayers = (page) => page.evaluate(() => [...new Set(window.riskmap.map.queryRenderedFeatures().map((f) => f.sourceLayer).filter(Boolean))].sort());

describe('the offline map bundle', { timeout: 180_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-bundle-'));
  const dir = join(tmp, 'bundle');
  let server;
  let browser;

  before(async () => {
    const r = spawnSync(BIN, ['bundle', DATA, '--out', dir, '--maxzoom', '14', '--title', '海门区安全风险分布图'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (server) server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('shows every layer from a static web server, with popups, and nothing from elsewhere', async () => {
    const log = [];
    server = await serveStatic(dir, log);
    const origin = `http://127.0.0.1:${server.address().port}`;
    const problems = [];
    let page;
    ({ browser, page } = await openBrowser(origin, VIEWPORT, problems, () => false));
    await page.goto(`${origin}/index.html`);
    await waitIdle(page);
    assert.equal(await page.title(), '海门区安全风险分布图 · RiskMap');
    assert.match(await page.textContent('#map-facts'), /数据日期 2026-11-30/);
    // The district view: towns, grid, pipes, clusters of houses, enterprises, sources,
    // targets and hidden hazards, all from the archive.
    const layers = await drawnLayers(page);
    for (const l of ['areas', 'risk_grid', 'gas_pipelines', 'houses', 'enterprises', 'hazard_sources', 'hidden_hazards']) {
      assert.ok(layers.includes(l), `${l} not drawn: ${layers}`);
    }
    // Town names, in glyphs the bundle carries itself (map-data.js): no font request.
    assert.ok((await townLabels(page)).length >= 3, 'no town names drawn');
    assert.ok(!log.some((e) => e.url.includes('/fonts/') || e.url.endsWith('.pbf')), JSON.stringify(log.map((e) => e.url)));
    mkdirSync(join(root, 'docs'), { recursive: true });
    await page.screenshot({ path: join(root, 'docs', 'bundle.png') });
    // The archive was read in ranges, never whole.
    const pm = log.filter((e) => e.url === '/map.pmtiles');
    assert.ok(pm.length >= 2 && pm.every((e) => e.range), JSON.stringify(pm));
    // Ten layer switches; switching the houses off hides them.
    assert.equal(await page.locator('#layers input[type=checkbox]').count(), 10);
    await page.locator('#layers label', { hasText: '自建房' }).locator('input').uncheck();
    await waitIdle(page);
    // (Labels leave with the next placement of symbols, a frame or two later.)
    await page.waitForFunction(() => !window.riskmap.map.queryRenderedFeatures().some((f) => f.sourceLayer === 'houses'), null, { timeout: 5000 })
      .catch(async () => assert.fail(`houses still drawn: ${await drawnLayers(page)}`));
    // Zoomed in on the first hazard source of the ledger: its popup has its fields under
    // Chinese labels.
    const hs = JSON.parse(readFileSync(join(DATA, 'hazard_sources.geojson'), 'utf8')).features[0];
    const ring = hs.geometry.coordinates[0].slice(0, -1);
    const centre = ring.reduce((a, p) => [a[0] + p[0] / ring.length, a[1] + p[1] / ring.length], [0, 0]);
    await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 16 }), centre);
    await waitIdle(page);
    const point = await page.evaluate((c) => {
      const m = window.riskmap.map;
      if (!m.queryRenderedFeatures({ layers: ['hazard_sources-fill'] }).length) return null;
      const p = m.project(c);
      const r = m.getContainer().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, centre);
    assert.ok(point, 'no hazard source drawn at z16');
    // On top: the hidden hazard drawn at the source's place, its values in Chinese.
    const popup = page.locator('.maplibregl-popup');
    const clickFor = async () => {
      await page.mouse.click(point.x, point.y);
      await popup.waitFor();
      const text = await popup.textContent();
      await page.locator('.maplibregl-popup-close-button').click();
      return text;
    };
    const hidden = await clickFor();
    assert.match(hidden, /^隐患/, hidden);
    assert.match(hidden, /状态(待整改|整改中|已整改待验收|挂牌督办|已销号)/, hidden);
    assert.match(hidden, /重大事故隐患(是|否)/, hidden);
    assert.doesNotMatch(hidden, /closed|false|true|状态值/, hidden);
    // With the hidden hazards switched off, the hazard source itself.
    await page.locator('#layers label', { hasText: '隐患' }).locator('input').uncheck();
    await waitIdle(page);
    const source = await clickFor();
    assert.match(source, /^重大危险源/, source);
    assert.match(source, /风险等级(重大风险|较大风险|一般风险|低风险)/, source);
    assert.deepEqual(problems, []);
  });

  it('is what `riskmap serve map.pmtiles` shows, tile by tile', async () => {
    const served = await startServer(join(dir, 'map.pmtiles'));
    try {
      const problems = [];
      const o = await openBrowser(served.origin, VIEWPORT, problems, () => false);
      await browser.close().catch(() => {});
      browser = o.browser;
      const tiles = [];
      o.page.on('response', (r) => { if (/\/tiles\/\d+\/\d+\/\d+\.mvt$/.test(r.url())) tiles.push(r.status()); });
      await o.page.goto(`${served.origin}/`);
      await waitIdle(o.page);
      const layers = await drawnLayers(o.page);
      for (const l of ['areas', 'risk_grid', 'houses', 'hazard_sources', 'hidden_hazards']) {
        assert.ok(layers.includes(l), `${l} not drawn: ${layers}`);
      }
      assert.ok(tiles.length > 0 && tiles.every((st) => st === 200 || st === 204), `${tiles}`);
      // Labels from the archive server's own glyphs.
      assert.ok((await townLabels(o.page)).length >= 3, 'no town names drawn');
      assert.deepEqual(problems, []);
    } finally {
      await stopServer(served.proc);
    }
  });

  it('opens from the folder itself once the archive is picked', async () => {
    const problems = [];
    const { page } = await openBrowser('null', VIEWPORT, problems, () => false).then((o) => {
      browser.close().catch(() => {});
      browser = o.browser;
      return o;
    });
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    await page.locator('#open-file').waitFor();
    await page.setInputFiles('#file-input', join(dir, 'map.pmtiles'));
    await waitIdle(page);
    const layers = await drawnLayers(page);
    assert.ok(layers.includes('areas') && layers.includes('houses'), `${layers}`);
    assert.ok((await townLabels(page)).length >= 3, 'no town names drawn from file://');
    assert.deepEqual(problems, []);
  });
});
