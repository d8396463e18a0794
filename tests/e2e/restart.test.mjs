// A server restarted under an open viewer: stopped (SIGTERM, as systemd stops it) while
// the viewer holds its change stream open, it ends by itself at once; the office moves a
// house in its ledger while no server runs; the server started again on the same
// address is found by the viewer, which draws the house where it now stands without a
// page reload. While no server runs, the viewer's header says the connection is lost.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA, openBrowser, ringCentroid, startServer, stopServer, waitIdle } from './harness.mjs';

const VIEWPORT = { width: 1280, height: 800 };

describe('the viewer across a restart of its server', { timeout: 180_000 }, () => {
  let server;
  let browser;
  let page;
  const problems = [];
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-restart-'));
  const data = join(tmp, 'data');
  // While no server runs, the viewer's change stream tries to connect again: its
  // refused connections are expected then, and nothing else.
  let down = false;
  const isExpected = (url, status) => down && status === undefined && url.includes('/api/changes/stream');

  before(async () => {
    cpSync(DATA, data, { recursive: true });
    server = await startServer(data);
    ({ browser, page } = await openBrowser(server.origin, VIEWPORT, problems, isExpected));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopServer(server && server.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stops at once with the viewer open and is followed when started again', async () => {
    const origin = server.origin;
    const port = Number(new URL(origin).port);
    const fc = await (await fetch(`${origin}/api/features/house_risk.geojson`)).json();
    const uid = 3;
    const f = fc.features[uid];
    assert.equal(f.geometry.type, 'Polygon');
    const [lon, lat] = ringCentroid(f.geometry.coordinates[0]);
    const dx = 0.003; // about 280 m east
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await waitIdle(page);
    await page.evaluate(([x, y]) => window.riskmap.map.jumpTo({ center: [x, y], zoom: 18 }), [lon + dx, lat]);
    await waitIdle(page);
    await page.waitForFunction(() => window.riskmap.state.events && window.riskmap.state.events.readyState === 1, null, { timeout: 15_000 });
    const drawnAt = ([x, y, id]) => {
      const m = window.riskmap.map;
      const p = m.project([x, y]);
      return m.queryRenderedFeatures([[p.x - 1, p.y - 1], [p.x + 1, p.y + 1]], { layers: ['houses-fill'] }).some((q) => q.id === id);
    };
    assert.equal(await page.evaluate(drawnAt, [lon + dx, lat, uid]), false, 'the house is drawn where it is to be moved to');

    const stopped = Date.now();
    down = true;
    const how = await stopServer(server.proc);
    assert.equal(how.killed, false, 'the server did not stop within 5 s of SIGTERM with a viewer open');
    assert.equal(how.code, 0, `the server ended with ${JSON.stringify(how)}`);
    assert.ok(Date.now() - stopped < 5_000);
    // The viewer says the server is gone, and keeps showing what it had.
    await page.waitForSelector('#link-status', { state: 'visible', timeout: 15_000 });
    assert.match(await page.locator('#link-status').innerText(), /连接中断/);

    // The office moves the house while no server runs (GBK bytes kept as they are: the
    // line's geometry is ASCII, and no GBK byte is a digit).
    const path = join(data, 'houses.csv');
    const text = readFileSync(path).toString('latin1');
    const start = text.indexOf(`\n${f.id},`) + 1;
    assert.ok(start > 0, `house ${f.id} not found in houses.csv`);
    const end = text.indexOf('\n', start);
    const moved = text.slice(start, end).replace(/POLYGON \(\((.*)\)\)/, (_, inner) => `POLYGON ((${inner.split(',').map((p) => {
      const [x, y] = p.trim().split(/\s+/).map(Number);
      return `${(x + dx).toFixed(6)} ${y.toFixed(6)}`;
    }).join(',')}))`);
    assert.notEqual(moved, text.slice(start, end), 'the line has no POLYGON geometry');
    writeFileSync(path, Buffer.from(text.slice(0, start) + moved + text.slice(end), 'latin1'));

    const before = await page.evaluate(() => window.riskmap.state.changes || 0);
    server = await startServer(data, port);
    down = false;
    assert.equal(server.origin, origin);
    // The viewer's stream connects again by itself (EventSource), hears the new server's
    // hello and reads everything again.
    await page.waitForFunction((n) => (window.riskmap.state.changes || 0) > n, before, { timeout: 30_000, polling: 100 });
    const shown = await page.waitForFunction(drawnAt, [lon + dx, lat, uid], { timeout: 20_000, polling: 100 }).then(() => true, () => false);
    assert.ok(shown, `house ${f.id} is not drawn at its new place after the restart`);
    await page.waitForSelector('#link-status', { state: 'hidden', timeout: 15_000 });
    // Only the stream's tries while no server ran failed, for want of a server.
    const others = problems.filter((p) => !(p.includes('/api/changes/stream') && p.includes('ERR_CONNECTION_REFUSED')));
    assert.deepEqual(others, []);
  });
});
