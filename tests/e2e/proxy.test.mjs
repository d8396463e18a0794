// The viewer behind a reverse proxy that serves it under a path of a host of several
// applications (http://HOST/riskmap/), as an office's nginx does: the proxy (a few lines
// of node:http here) strips the path and says it in X-Forwarded-Prefix, and the server
// trusts it (`trusted_proxies`). Every request the page makes must go under the path —
// a request to /assets/app.js would get the other application's file —, the map must
// draw its tiles, and the change stream must connect through the proxy.
//
// Run as viewer.test.mjs is (see harness.mjs): node --test tests/e2e/
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA, openBrowser, startServer, stopServer, waitIdle } from './harness.mjs';

const VIEWPORT = { width: 1280, height: 800 };
const PREFIX = '/riskmap';

describe('the viewer under a path of a reverse proxy', { timeout: 180_000 }, () => {
  let server;
  let proxy;
  let origin;
  let browser;
  let page;
  const problems = [];
  const outside = [];
  const tmp = mkdtempSync(join(tmpdir(), 'riskmap-e2e-proxy-'));
  const data = join(tmp, 'data');

  before(async () => {
    cpSync(DATA, data, { recursive: true });
    const cfg = join(tmp, 'server.toml');
    writeFileSync(cfg, 'trusted_proxies = ["127.0.0.1"]\nwatch = false\n');
    server = await startServer(data, 0, ['--config', cfg]);
    const upstream = new URL(server.origin);
    proxy = http.createServer((req, res) => {
      if (!req.url.startsWith(`${PREFIX}/`)) {
        // The host's other application answers everything else.
        outside.push(req.url);
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('another application');
        return;
      }
      const up = http.request({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url.slice(PREFIX.length),
        headers: {
          ...req.headers,
          host: upstream.host,
          'x-forwarded-host': req.headers.host,
          'x-forwarded-proto': 'http',
          'x-forwarded-prefix': PREFIX,
        },
      }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${proxy.address().port}`;
    ({ browser, page } = await openBrowser(origin, VIEWPORT, problems, () => false));
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (proxy) {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
    await stopServer(server && server.proc);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('asks for everything under the path, draws the map and follows the changes', async () => {
    const tiles = [];
    page.on('response', (r) => {
      if (r.url().includes('/tiles/') && r.status() === 200) tiles.push(r.url());
    });
    await page.goto(`${origin}${PREFIX}/`, { waitUntil: 'load' });
    await waitIdle(page);
    await page.waitForFunction(() => window.riskmap.state.events && window.riskmap.state.events.readyState === 1, null, { timeout: 15_000 });
    assert.deepEqual(outside, [], 'requests outside the path');
    assert.ok(tiles.length > 0, 'tiles drawn');
    assert.ok(tiles.every((u) => u.startsWith(`${origin}${PREFIX}/tiles/`)), tiles.join('\n'));
    // The URLs the server writes name the proxy's address and path.
    const cat = await (await fetch(`${origin}${PREFIX}/catalog`)).json();
    assert.ok(cat.styles.length > 0 && cat.styles.every((s) => s.startsWith(`${origin}${PREFIX}/styles/`)), JSON.stringify(cat.styles));
    assert.deepEqual(problems, []);
  });
});
