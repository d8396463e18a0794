// Validates the MapLibre styles served at /styles/{name}.json with the style
// specification's own validator, and checks what the viewer relies on: nothing loaded
// from outside the server, the four official colours, source layers that exist, and the
// vendored MapLibre GL JS being the pinned npm build, unchanged.
//
// Run from the repository root: node --test tests/e2e/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ORIGIN = 'http://127.0.0.1:8080';
const STYLES = ['risk', 'risk-grid'];

// The vector-tile layers the server has (geo-core tileset::layer_infos).
const TILE_LAYERS = ['areas', 'risk_grid', 'gas_pipelines', 'houses', 'protection_targets', 'enterprises',
  'hazard_sources', 'protection_conflicts', 'pipeline_conflicts', 'hidden_hazards'];

// The four colours of 风险分级管控, as documented in styles/README.md.
const LEVEL_COLORS = { major: '#e60012', significant: '#f39800', general: '#ffe100', low: '#0068b7' };

function loadStyle(name) {
  const text = readFileSync(join(root, 'styles', `${name}.json`), 'utf8');
  return { text, style: JSON.parse(text.replaceAll('{origin}', ORIGIN)) };
}

function formatErrors(errors) {
  return errors.map((e) => (e.line ? `line ${e.line}: ${e.message}` : e.message)).join('\n');
}

/** Every string in a JSON value, with its path. */
function* strings(v, path = '') {
  if (typeof v === 'string') yield [path, v];
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* strings(x, `${path}[${i}]`);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* strings(x, `${path}.${k}`);
}

test('the validator rejects a broken style (negative control)', () => {
  const { style } = loadStyle('risk');
  const broken = structuredClone(style);
  broken.layers.push({ id: 'broken', type: 'circle', source: 'nope', paint: { 'circle-radius': 'big' } });
  assert.ok(validateStyleMin(broken).length >= 2, 'the style-spec validator found no error in a broken style');
});

for (const name of STYLES) {
  test(`styles/${name}.json passes the MapLibre style-spec validator`, () => {
    const { style } = loadStyle(name);
    const errors = validateStyleMin(style);
    assert.equal(errors.length, 0, `styles/${name}.json:\n${formatErrors(errors)}`);
    assert.equal(style.version, 8);
  });

  test(`styles/${name}.json loads nothing from outside the server`, () => {
    const { text, style } = loadStyle(name);
    // Glyphs come from the server itself, in the one font stack it renders.
    assert.equal(style.glyphs, `${ORIGIN}/fonts/{fontstack}/{range}.pbf`, 'glyphs must come from "{origin}/fonts/…"');
    for (const l of style.layers.filter((x) => x.type === 'symbol')) {
      assert.deepEqual(l.layout['text-font'], ['Noto Sans CJK SC Regular'], `${l.id}: text-font`);
    }
    assert.equal(style.sprite, undefined, 'sprites would be fetched');
    for (const [id, src] of Object.entries(style.sources)) {
      assert.ok(typeof src.url === 'string' && src.url.startsWith(`${ORIGIN}/tiles/`) && src.url.endsWith('.json'),
        `source ${id}: url must be "{origin}/tiles/<layers>.json", got ${src.url}`);
      assert.equal(src.tiles, undefined, `source ${id}: tiles come from the TileJSON`);
    }
    const raw = JSON.parse(text);
    for (const [path, s] of strings(raw)) {
      if (/^[a-z]+:\/\//i.test(s) || s.startsWith('//')) {
        assert.fail(`${path}: absolute URL ${s} (only "{origin}/…" is allowed)`);
      }
    }
  });

  test(`styles/${name}.json uses only layers the tiles have, in the four official colours`, () => {
    const { style } = loadStyle(name);
    assert.deepEqual(style.metadata['riskmap:level_colors'], LEVEL_COLORS);
    const inSource = {};
    for (const [id, src] of Object.entries(style.sources)) {
      const spec = src.url.slice(`${ORIGIN}/tiles/`.length, -'.json'.length);
      inSource[id] = spec.split(',');
      for (const l of inSource[id]) assert.ok(TILE_LAYERS.includes(l), `source ${id}: unknown tile layer ${l}`);
    }
    const ids = new Set();
    for (const layer of style.layers) {
      assert.ok(!ids.has(layer.id), `duplicate layer id ${layer.id}`);
      ids.add(layer.id);
      if (layer.type === 'background') continue;
      assert.ok(inSource[layer.source]?.includes(layer['source-layer']),
        `layer ${layer.id}: source-layer ${layer['source-layer']} is not in source ${layer.source}`);
      assert.ok(layer.id.startsWith(`${layer['source-layer']}-`),
        `layer ${layer.id}: ids start with the tile layer's name (the viewer's toggles rely on it)`);
    }
    const text = JSON.stringify(style.layers);
    for (const c of Object.values(LEVEL_COLORS)) assert.ok(text.includes(c), `colour ${c} unused`);
  });
}

test('the risk style draws every tile layer, clusters included', () => {
  const { style } = loadStyle('risk');
  const drawn = new Set(style.layers.map((l) => l['source-layer']).filter(Boolean));
  for (const l of TILE_LAYERS) assert.ok(drawn.has(l), `no style layer for ${l}`);
  for (const l of ['houses', 'enterprises', 'hazard_sources', 'protection_targets', 'protection_conflicts', 'pipeline_conflicts', 'hidden_hazards']) {
    assert.ok(style.layers.some((s) => s.id === `${l}-cluster`), `no cluster layer for ${l}`);
  }
});

test('the vendored PMTiles reader is the pinned npm build, unchanged', () => {
  const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  const pinned = pkg.devDependencies.pmtiles;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'pmtiles must be pinned to an exact version');
  const installed = JSON.parse(readFileSync(join(here, 'node_modules', 'pmtiles', 'package.json'), 'utf8'));
  assert.equal(installed.version, pinned, 'node_modules is stale: run npm ci in tests/e2e');
  assert.equal(installed.license, 'BSD-3-Clause');
  const readme = readFileSync(join(root, 'tile-server', 'assets', 'vendor', 'README.md'), 'utf8');
  assert.ok(readme.includes(`| version | ${pinned} |`), `tile-server/assets/vendor/README.md does not name pmtiles ${pinned}`);
  const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
  const vendored = join(root, 'tile-server', 'assets', 'vendor', 'pmtiles.js');
  assert.equal(sha(vendored), sha(join(here, 'node_modules', 'pmtiles', 'dist', 'pmtiles.js')), 'pmtiles.js differs from the pinned package: run npm run vendor in tests/e2e');
  assert.ok(readme.includes(sha(vendored)), 'README.md lacks the SHA-256 of pmtiles.js');
  const licence = join(root, 'tile-server', 'assets', 'vendor', 'LICENSE-pmtiles.txt');
  assert.ok(readme.includes(sha(licence)), 'README.md lacks the SHA-256 of LICENSE-pmtiles.txt');
  assert.match(readFileSync(licence, 'utf8'), /Copyright 2021 Protomaps LLC/);
});

test('the vendored MapLibre GL JS is the pinned npm build, unchanged', () => {
  const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  const pinned = pkg.devDependencies['maplibre-gl'];
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'maplibre-gl must be pinned to an exact version');
  const installed = JSON.parse(readFileSync(join(here, 'node_modules', 'maplibre-gl', 'package.json'), 'utf8')).version;
  assert.equal(installed, pinned, 'node_modules is stale: run npm ci in tests/e2e');
  const readme = readFileSync(join(root, 'tile-server', 'assets', 'vendor', 'README.md'), 'utf8');
  assert.ok(readme.includes(pinned), `tile-server/assets/vendor/README.md does not name version ${pinned}`);
  const dist = join(here, 'node_modules', 'maplibre-gl');
  const pairs = [
    ['maplibre-gl.js', join(dist, 'dist', 'maplibre-gl.js')],
    ['maplibre-gl.css', join(dist, 'dist', 'maplibre-gl.css')],
    ['LICENSE-maplibre-gl.txt', join(dist, 'LICENSE.txt')],
  ];
  const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
  for (const [name, from] of pairs) {
    const vendored = join(root, 'tile-server', 'assets', 'vendor', name);
    assert.equal(sha(vendored), sha(from), `${name} differs from maplibre-gl ${pinned}: run npm run vendor in tests/e2e`);
    assert.ok(readme.includes(sha(vendored)), `README.md lacks the SHA-256 of ${name}`);
  }
});
