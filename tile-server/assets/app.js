// RiskMap web viewer: the risk map of a district, its four-colour legend and filters,
// popups in Chinese, per-area summaries, search, the planning site check (选址审查) and
// GeoJSON downloads. Plain JavaScript, no build step, no framework; everything it loads
// comes from the server that served this page (MapLibre GL JS from /assets/vendor/).
//
// The API it uses (see tile-server/src/server/routes.rs):
//   GET  /catalog                    layers (title_zh, fields[].label_zh, popup_fields, detail_zoom), areas, bounds, styles
//   GET  /styles/{name}.json         MapLibre styles
//   GET  /api/areas                  per-area summaries
//   GET  /api/search?q=              name search → [{layer, id, name, bbox}]
//   GET  /api/features/{layer}.geojson?bbox=&level=&area=
//   GET  /api/feature/{layer}/{id}?generation=   a house's popup fields (its tile has the level only)
//   POST /api/site-check             GeoJSON Feature {geometry, properties: {use, population}}
//   GET  /api/changes/stream         server-sent events: each change's generation and box
//   GET  /api/hidden/areas?as_of=    hidden hazards per town on a day, and their categories
//   GET  /api/hidden/trend?area=&months=&as_of=   month by month
//   GET  /api/hidden/of/{layer}/{id}?as_of=       a feature's open hidden hazards
//   GET  /tiles/….json?as_of=        the map as of another day (hazards, enterprise levels)
//   GET  /api/report.html?area=      the town's (or district's) report, A4, to print
//   GET  /api/rings/{layer}/{id}     a hazard source's protection distances as rings
//   GET  /api/measure?path=          geodesic lengths and area of the measuring tool
//   GET  /fonts/{fontstack}/{range}.pbf   the labels' glyphs
// Errors come back as JSON {error, status}; they are shown to the user, never swallowed.
//
// ES modules, loaded natively by the browser (no bundler): this entry point starts the
// viewer; js/ holds one module a concern.

import { buildStaticControls } from './js/controls.js';
import { loadHidden } from './js/hidden.js';
import { initImage } from './js/image.js';
import { followChanges } from './js/live.js';
import { createMap } from './js/map.js';
import { api, showError, toast } from './js/messages.js';
import { state } from './js/state.js';
import { loadSummaries } from './js/summary.js';
import { initTools } from './js/tools.js';
import { $, h } from './js/util.js';

async function start() {
  try {
    state.catalog = await (await api('catalog')).json();
  } catch (e) {
    showError('读取图层目录', e);
    return;
  }
  window.riskmap.catalog = state.catalog;
  buildStaticControls();
  createMap();
  initTools();
  initImage();
  $('#skip-to-map').addEventListener('click', (e) => { e.preventDefault(); state.map.getCanvas().focus(); });
  loadSummaries();
  loadHidden();
  loadHealth();
  followChanges();
}

/** Data version and what the loader skipped or repaired (details at /api/validation). */
async function loadHealth() {
  let hl;
  try {
    hl = await (await api('health')).json();
  } catch (e) {
    showError('读取服务状态', e);
    return;
  }
  const v = hl.validation || {};
  const info = $('#data-info');
  info.replaceChildren(`数据第 ${hl.generation} 版`);
  const text = v.skipped || v.repaired ? `校验：跳过 ${v.skipped || 0} 条，修复 ${v.repaired || 0} 条` : '数据校验报告';
  info.append(' · ', h('a', { href: 'validation.html', target: '_blank', rel: 'noopener', title: '数据校验报告：读入、跳过、修复的要素与原因' }, text));
}

if (typeof maplibregl === 'undefined') {
  document.addEventListener('DOMContentLoaded', () => toast('地图组件未加载（/assets/vendor/maplibre-gl.js）'));
} else if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
