// Copies the pinned MapLibre GL JS and PMTiles builds from node_modules into the viewer's assets
// (tile-server/assets/vendor/), unchanged. Run after changing the version in package.json:
//   cd tests/e2e && npm install && npm run vendor
// then update tile-server/assets/vendor/README.md (version and SHA-256 sums).
import { copyFileSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'node_modules', 'maplibre-gl', 'dist');
const vendor = join(here, '..', '..', 'tile-server', 'assets', 'vendor');
const version = JSON.parse(readFileSync(join(here, 'node_modules', 'maplibre-gl', 'package.json'), 'utf8')).version;

export const VENDORED = [
  ['maplibre-gl.js', join(dist, 'maplibre-gl.js')],
  ['maplibre-gl.css', join(dist, 'maplibre-gl.css')],
  ['LICENSE-maplibre-gl.txt', join(dist, '..', 'LICENSE.txt')],
  // The offline bundle's PMTiles reader (its licence text is kept by hand: the package
  // ships none).
  ['pmtiles.js', join(here, 'node_modules', 'pmtiles', 'dist', 'pmtiles.js')],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`maplibre-gl ${version}`);
  for (const [name, from] of VENDORED) {
    copyFileSync(from, join(vendor, name));
    const sum = createHash('sha256').update(readFileSync(from)).digest('hex');
    console.log(`${sum}  ${name}`);
  }
}
