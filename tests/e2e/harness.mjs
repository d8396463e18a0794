// What the browser tests share: the real `riskmap serve` started on a copy of the demo
// data, and Chromium (the system's, through playwright-core) watched for console errors,
// page errors, failed requests, unexpected error responses and any request to anything
// but the server's own origin.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
export const BIN = process.env.RISKMAP_BIN
  ? resolve(process.env.RISKMAP_BIN)
  : resolve(root, process.env.CARGO_TARGET_DIR || 'target', 'debug', 'riskmap');
export const DATA = resolve(root, process.env.RISKMAP_DATA || join('data', 'haimen'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const START_TIMEOUT_MS = 90_000;


function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts `riskmap serve DIR --bind 127.0.0.1 --port PORT [EXTRA…]`; resolves with {proc, origin} on "listening on http://…". */
function startServerOn(port, dir, extra = []) {
  return new Promise((res, rej) => {
    const args = ['serve', dir, '--bind', '127.0.0.1', '--port', String(port), ...extra];
    const proc = spawn(BIN, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RISKMAP_LOG: process.env.RISKMAP_LOG || 'warn' } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`riskmap serve printed no "listening on http://…" line within ${START_TIMEOUT_MS / 1000} s.\nstdout:\n${out}\nstderr:\n${err}`));
    }, START_TIMEOUT_MS);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (https?:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ proc, origin: m[1].replace(/\/$/, ''), stderr: () => err });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.once('error', (e) => { clearTimeout(timer); rej(e); });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`riskmap serve exited (${code ?? signal}) before listening: ${BIN} ${args.join(' ')}\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

export async function waitForHealth(origin) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${origin}/health`);
      if (r.ok) return r.json();
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET ${origin}/health did not answer 200 (${last})`);
}

/** SIGTERM, then SIGKILL if the server still runs 5 s later; resolves with how it ended ({code, signal, killed}). */
export function stopServer(proc) {
  return new Promise((res) => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) { res({ code: proc && proc.exitCode, signal: proc && proc.signalCode, killed: false }); return; }
    let killed = false;
    const t = setTimeout(() => { killed = true; proc.kill('SIGKILL'); }, 5000);
    proc.once('exit', (code, signal) => { clearTimeout(t); res({ code, signal, killed }); });
    proc.kill('SIGTERM');
  });
}

/**
 * Checks that the binary, Chromium and the data are there, then starts the server on `dir`
 * (a data folder or a GeoPackage; on `port`, or any free one; `extra`: more arguments of
 * `serve`, such as `--config FILE`).
 */
export async function startServer(dir, port = 0, extra = []) {
  if (!existsSync(BIN)) {
    throw new Error(`riskmap binary not found at ${BIN}: build it first with \`cargo build -p riskmap-server\` (or set RISKMAP_BIN to its path)`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/ensure-browser.sh (or set CHROMIUM)`);
  }
  let server;
  try {
    server = await startServerOn(port, dir, extra);
  } catch (e) {
    // Fall back to a fixed free port if the CLI refuses port 0.
    if (port === 0 && /exited \((1|2)\)/.test(e.message) && /port/i.test(e.message) && !/listening/.test(e.message)) {
      server = await startServerOn(await freePort(), dir, extra);
    } else {
      throw e;
    }
  }
  await waitForHealth(server.origin);
  return server;
}

/**
 * Launches Chromium and opens a page whose problems go to `problems`; `isExpected(url,
 * status)` names the error responses provoked on purpose.
 */
export async function openBrowser(origin, viewport, problems, isExpected) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location() && m.location().url;
    if (url && isExpected(url) && /Failed to load resource/.test(m.text())) return;
    problems.push(`console error: ${m.text()}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.stack || e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== origin) problems.push(`request outside the server: ${r.method()} ${u}`);
  });
  page.on('requestfailed', (r) => {
    const u = r.url();
    // Tiles cancelled while the map moves are not failures.
    if (r.failure() && /ERR_ABORTED/.test(r.failure().errorText) && /\/tiles\//.test(u)) return;
    if (u.startsWith('blob:')) return;
    problems.push(`request failed: ${r.method()} ${u} (${r.failure() && r.failure().errorText})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !isExpected(r.url(), r.status())) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  return { browser, context, page };
}

/** Resolves when the map has loaded its style and every tile in view and stands still. */
export function waitIdle(page, timeout = 45_000) {
  return page.waitForFunction(() => {
    const m = window.riskmap && window.riskmap.map;
    const s = window.riskmap.state;
    return !!m && s.styleReady && !s.dayBusy && m.loaded() && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout, polling: 100 });
}

// The CJK font's glyphs map some characters to radicals in a PDF's text (⼀ for 一, ⻛ for
// 风): NFKC folds the Kangxi radicals back, this table the simplified ones.
const RADICALS = { '⻛': '风', '⻓': '长', '⻔': '门', '⻢': '马', '⻅': '见', '⻋': '车', '⻚': '页', '⻜': '飞', '⻝': '食', '⻉': '贝', '⻩': '黄', '⻰': '龙', '⻥': '鱼', '⻦': '鸟', '⻙': '韦', '⻬': '齐', '⻮': '齿' };

/** A PDF's text as written (see RADICALS). */
export function plainPdfText(t) {
  return t.normalize('NFKC').replace(/[\u2e80-\u2eff]/g, (c) => RADICALS[c] || c);
}

/** The centroid of a lon/lat ring, computed relative to its first vertex: with absolute
 * degrees (121°, 31°) the products cancel and a house-sized ring's centroid lands tens of
 * metres off. */
export function ringCentroid(ring) {
  const [ox, oy] = ring[0];
  let a = 0; let x = 0; let y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xj, yj] = [ring[j][0] - ox, ring[j][1] - oy];
    const [xi, yi] = [ring[i][0] - ox, ring[i][1] - oy];
    const f = xj * yi - xi * yj;
    a += f; x += (xj + xi) * f; y += (yj + yi) * f;
  }
  if (Math.abs(a) < 1e-24) return ring[0];
  return [ox + x / (3 * a), oy + y / (3 * a)];
}
