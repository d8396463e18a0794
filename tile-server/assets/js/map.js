// The map: creation, the style's layers and their visibility and filters (levels,
// industry, area), the overlays the viewer draws on top, and the zoom badge.

import { areaMaskData } from './areas.js';
import { drawData, onMapDblClick } from './draw.js';
import { applyAsOf, hiddenFiltered, hiddenFilterParts } from './hidden.js';
import { api, showError, toast } from './messages.js';
import { onMapClick, onMouseMove, openAtCentre } from './popups.js';
import { siteData } from './site-check.js';
import { resolveReady, state } from './state.js';
import { $, fmtNum, h } from './util.js';
import { toolOverlays } from './tools.js';
import { LEVEL_LAYERS, levelColors, LEVELS, setLevelColors } from './vocab.js';

// Styles name their sources with the origin the server saw; behind a proxy that
// terminates TLS that is http:// while the page is https://, so same-host URLs are
// rewritten to the page's own origin.
function sameOrigin(url) {
  const httpSelf = `http://${location.host}/`;
  if (location.protocol !== 'http:' && url.startsWith(httpSelf)) return location.origin + '/' + url.slice(httpSelf.length);
  return url;
}

function styleName(url) {
  const m = /\/styles\/([^/]+)\.json$/.exec(url);
  return m ? m[1] : url;
}

function createMap() {
  const c = state.catalog;
  const styles = c.styles && c.styles.length ? c.styles : ['styles/risk.json'];
  const initial = styles.find((s) => styleName(s) === 'risk') || styles[0];
  const opts = {
    container: 'map',
    style: sameOrigin(initial),
    maxZoom: 18,
    attributionControl: {
      compact: false,
      customAttribution: '<a href="assets/vendor/LICENSE-maplibre-gl.txt" target="_blank" rel="noopener">MapLibre GL JS（BSD 许可）</a>',
    },
    // Labels appear at once instead of fading in: a fade draws the map again and again
    // for 300 ms after every move, tile or day, each frame a quarter of a second where
    // the browser draws without a graphics card (remote desktops often do).
    fadeDuration: 0,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
    transformRequest: (url) => ({ url: sameOrigin(url) }),
    // Chinese labels in the glyphs the server renders from its CJK font, as every other
    // character: not drawn by the browser from whatever font the machine happens to have.
    localIdeographFontFamily: false,
    // The map's own controls and its canvas speak Chinese (screen readers read these).
    locale: {
      'Map.Title': '风险地图：方向键平移，加号减号缩放，回车查看十字准星处要素的详情',
      'NavigationControl.ZoomIn': '放大',
      'NavigationControl.ZoomOut': '缩小',
      'NavigationControl.ResetBearing': '恢复正北朝上',
      'ScaleControl.Meters': '米',
      'ScaleControl.Kilometers': '千米',
      'AttributionControl.ToggleAttribution': '显示或隐藏版权信息',
      'AttributionControl.MapFeedback': '地图反馈',
      'Popup.Close': '关闭详情',
      'FullscreenControl.Enter': '全屏',
      'FullscreenControl.Exit': '退出全屏',
      'GeolocateControl.FindMyLocation': '定位',
      'CooperativeGesturesHandler.WindowsHelpText': '按住 Ctrl 键并滚动以缩放地图',
      'CooperativeGesturesHandler.MacHelpText': '按住 ⌘ 键并滚动以缩放地图',
      'CooperativeGesturesHandler.MobileHelpText': '用两根手指移动地图',
    },
  };
  if (Array.isArray(c.bounds) && c.bounds.length === 4) {
    opts.bounds = c.bounds;
    opts.fitBoundsOptions = { padding: 24 };
  } else {
    opts.center = [121.17, 31.9];
    opts.zoom = 10;
  }
  const map = new maplibregl.Map(opts);
  // The hatch patterns of 重大 and 较大 (assets/patterns.js), drawn when a style asks.
  map.on('styleimagemissing', (e) => window.riskmapPatterns && window.riskmapPatterns.provide(map, e.id));
  state.map = map;
  window.riskmap.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-right');
  map.touchZoomRotate.disableRotation();

  map.on('style.load', onStyleLoad);
  map.on('error', (e) => {
    const msg = e && e.error && e.error.message ? e.error.message : String(e && e.error);
    toast(`地图数据加载失败：${msg}`);
  });
  map.on('click', onMapClick);
  // From the keyboard: Enter (or Space) on the focused map opens what is under the
  // crosshair at its centre.
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openAtCentre(); }
  });
  map.on('dblclick', onMapDblClick);
  map.on('mousemove', onMouseMove);
  map.on('zoomend', updateZoomInfo);
  map.on('moveend', updateZoomInfo);
  map.once('load', () => resolveReady(map));
}


function onStyleLoad() {
  const map = state.map;
  state.styleReady = true;
  const style = map.getStyle();
  const colours = style.metadata && style.metadata['riskmap:level_colors'];
  if (colours) {
    setLevelColors({ ...levelColors, ...colours });
    for (const l of LEVELS) document.documentElement.style.setProperty(`--${l}`, levelColors[l]);
  }
  state.baseFilters.clear();
  for (const layer of style.layers) {
    if (layer['source-layer']) state.baseFilters.set(layer.id, layer.filter);
  }
  addOverlays();
  applyAsOf();
  buildLayerToggles();
  applyFilters();
  applyVisibility();
  updateZoomInfo();
}

/** Style layers drawing a tile layer, from the current style. */
function styleLayersOf(tileLayer) {
  return state.map.getStyle().layers.filter((l) => l['source-layer'] === tileLayer);
}

function dataLayerIds() {
  return state.map.getStyle().layers.filter((l) => l['source-layer']).map((l) => l.id);
}

function buildLayerToggles() {
  const box = $('#layer-toggles');
  box.replaceChildren();
  const present = new Set(state.map.getStyle().layers.map((l) => l['source-layer']).filter(Boolean));
  for (const info of state.catalog.layers) {
    if (!present.has(info.id)) continue;
    const cb = h('input', {
      type: 'checkbox', checked: !state.hidden.has(info.id), dataset: { layer: info.id },
      onchange: (e) => {
        if (e.target.checked) state.hidden.delete(info.id); else state.hidden.add(info.id);
        applyVisibility();
        updateZoomInfo();
      },
    });
    box.append(h('label', { title: info.id }, cb, info.title_zh,
      typeof info.count === 'number' ? h('span', { class: 'count' }, fmtNum(info.count, 0)) : null));
  }
}

let countsAsked = 0;
/**
 * Reads the layers' counts again (`catalog`) and writes them into the layer panel: an
 * edit, a changed ledger or a reload adds and removes features and conflicts. Only the
 * answer to the latest request is taken.
 */
async function loadLayerCounts() {
  const asked = ++countsAsked;
  let c;
  try {
    c = await (await api('catalog')).json();
  } catch (e) {
    showError('读取图层目录', e);
    return;
  }
  if (asked !== countsAsked) return;
  for (const info of state.catalog.layers) {
    const now = (c.layers || []).find((l) => l.id === info.id);
    if (!now || typeof now.count !== 'number') continue;
    info.count = now.count;
    const cb = $('#layer-toggles').querySelector(`input[data-layer="${info.id}"]`);
    const shown = cb && cb.parentElement.querySelector('.count');
    if (shown) shown.textContent = fmtNum(info.count, 0);
  }
}

function applyVisibility() {
  const map = state.map;
  for (const layer of map.getStyle().layers) {
    const sl = layer['source-layer'];
    if (!sl) continue;
    let visible = !state.hidden.has(sl);
    // Clusters carry no industry: while filtering by industry they would count the rest.
    if (sl === 'enterprises' && state.industry && layer.id.endsWith('-cluster')) visible = false;
    // Nor status, category, major or overdue: hidden hazards' clusters hide while filtered.
    if (sl === 'hidden_hazards' && hiddenFiltered() && layer.id.endsWith('-cluster')) visible = false;
    map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
  }
}

function applyFilters() {
  const map = state.map;
  for (const layer of map.getStyle().layers) {
    const sl = layer['source-layer'];
    if (!sl) continue;
    const base = state.baseFilters.get(layer.id);
    const parts = base ? [base] : [];
    if (LEVEL_LAYERS.has(sl) && state.levels.size < LEVELS.length) {
      parts.push(['in', ['get', 'level'], ['literal', [...state.levels]]]);
    }
    if (sl === 'enterprises' && state.industry) {
      parts.push(['==', ['get', 'industry'], state.industry]);
    }
    if (sl === 'hidden_hazards') parts.push(...hiddenFilterParts(layer.id.endsWith('-cluster')));
    if (state.area) {
      if (sl === 'risk_grid') parts.push(['==', ['get', 'area'], state.area.name]);
      else if (layer.type === 'circle' && state.area.geometry) parts.push(['within', state.area.geometry]);
    }
    const filter = parts.length === 0 ? null : parts.length === 1 ? parts[0] : ['all', ...parts];
    map.setFilter(layer.id, filter);
  }
  window.riskmap.filtersVersion = (window.riskmap.filtersVersion || 0) + 1;
}

// Sources and layers the viewer draws on top of the style (re-added after a style change).
function addOverlays() {
  const map = state.map;
  const empty = { type: 'FeatureCollection', features: [] };
  const src = (id, data) => { if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: data || empty }); };
  src('rm-area-mask', areaMaskData());
  src('rm-area', state.area ? { type: 'Feature', properties: {}, geometry: state.area.geometry } : empty);
  src('rm-site', siteData());
  src('rm-highlight');
  src('rm-draw', drawData());
  // A site check's conflicts are coloured by their own severity (others by level).
  const levelColour = ['match', ['coalesce', ['get', 'severity'], ['get', 'level'], ''],
    'major', levelColors.major, 'significant', levelColors.significant, 'general', levelColors.general, 'low', levelColors.low, '#d500f9'];
  const layers = [
    { id: 'rm-area-mask', type: 'fill', source: 'rm-area-mask', paint: { 'fill-color': '#cfd6de', 'fill-opacity': 0.75 } },
    { id: 'rm-area-line', type: 'line', source: 'rm-area', paint: { 'line-color': '#0d47a1', 'line-width': 3 } },
    { id: 'rm-site-fill', type: 'fill', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.35 } },
    { id: 'rm-site-casing', type: 'line', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'line-color': '#ffffff', 'line-width': 5 } },
    { id: 'rm-site-line', type: 'line', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'line-color': '#0d47a1', 'line-width': 2.5 } },
    { id: 'rm-site-conflict-casing', type: 'line', source: 'rm-site', filter: ['all', ['==', ['get', 'role'], 'conflict'], ['==', ['geometry-type'], 'LineString']],
      layout: { 'line-cap': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': 5 } },
    { id: 'rm-site-conflict-line', type: 'line', source: 'rm-site', filter: ['all', ['==', ['get', 'role'], 'conflict'], ['==', ['geometry-type'], 'LineString']],
      layout: { 'line-cap': 'round' }, paint: { 'line-color': '#0d47a1', 'line-width': 2.5, 'line-dasharray': [2, 1] } },
    { id: 'rm-site-conflict-point', type: 'circle', source: 'rm-site', filter: ['all', ['in', ['get', 'role'], ['literal', ['conflict', 'conflict_end']]], ['==', ['geometry-type'], 'Point']],
      paint: { 'circle-color': levelColour, 'circle-radius': 6, 'circle-stroke-color': '#0d47a1', 'circle-stroke-width': 2.5 } },
    { id: 'rm-highlight-line', type: 'line', source: 'rm-highlight', filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#00e5ff', 'line-width': 4, 'line-opacity': 0.9 } },
    { id: 'rm-highlight-point', type: 'circle', source: 'rm-highlight', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': 'rgba(0,229,255,0.15)', 'circle-radius': 14, 'circle-stroke-color': '#00b8d4', 'circle-stroke-width': 3 } },
    { id: 'rm-draw-fill', type: 'fill', source: 'rm-draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.15 } },
    { id: 'rm-draw-line', type: 'line', source: 'rm-draw', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#0d47a1', 'line-width': 2, 'line-dasharray': [2, 1] } },
    { id: 'rm-draw-vertex', type: 'circle', source: 'rm-draw', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': '#ffffff', 'circle-radius': 4.5, 'circle-stroke-color': '#0d47a1', 'circle-stroke-width': 2 } },
  ];
  // The tools' rings and measurements; their labels only where the style has glyphs.
  const tools = toolOverlays();
  for (const [id, data] of Object.entries(tools.sources)) src(id, data);
  const glyphs = Boolean(map.getStyle().glyphs);
  layers.push(...tools.layers.filter((l) => glyphs || l.type !== 'symbol'));
  for (const l of layers) if (!map.getLayer(l.id)) map.addLayer(l);
}

function setSource(id, data) {
  const s = state.map && state.map.getSource(id);
  if (s) s.setData(data);
}

const waiting = new Set();

/**
 * Calls `fn` now if the source `id` has no tile on its way, else once the map is idle.
 * MapLibre does not give up a tile it is loading when the tile is asked for again: it
 * loads it twice and draws whichever answer comes last, which may be the older one (of
 * the day before, or of the data before an edit). Calls waiting under one `key` are one.
 */
function whenTilesIn(map, id, key, fn) {
  if (map.isSourceLoaded(id)) { fn(); return; }
  if (waiting.has(key)) return;
  waiting.add(key);
  map.once('idle', () => { waiting.delete(key); fn(); });
}

/**
 * The URLs of the tiles of a vector source that cover the map's view, from its tile URL
 * templates (`{z}/{x}/{y}`), as MapLibre asks for them: at the map's zoom for 512-pixel
 * tiles, within the source's zooms and bounds. The viewer neither rotates nor tilts the
 * map, so its bounds are the view. An estimate: MapLibre may ask for a few more or fewer.
 */
function tileUrlsInView(map, source, templates) {
  const size = source.tileSize || 512;
  const zMax = Number.isFinite(source.maxzoom) ? source.maxzoom : 22;
  const zMin = Number.isFinite(source.minzoom) ? source.minzoom : 0;
  const z = Math.max(zMin, Math.min(zMax, Math.floor(map.getZoom() + Math.log2(512 / size))));
  const n = 2 ** z;
  const clampT = (v) => Math.max(0, Math.min(n - 1, Math.floor(v)));
  const col = (lon) => clampT(((lon + 180) / 360) * n);
  const row = (lat) => {
    const s = Math.sin((Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180);
    return clampT((0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n);
  };
  const b = map.getBounds();
  let [w, so, e, no] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  if (Array.isArray(source.bounds) && source.bounds.length === 4) {
    w = Math.max(w, source.bounds[0]); so = Math.max(so, source.bounds[1]);
    e = Math.min(e, source.bounds[2]); no = Math.min(no, source.bounds[3]);
    if (w > e || so > no) return [];
  }
  const urls = [];
  for (let y = row(no); y <= row(so); y++) {
    for (let x = col(w); x <= col(e); x++) {
      const t = templates[(x + y) % templates.length];
      urls.push(sameOrigin(t.replace('{z}', z).replace('{x}', x).replace('{y}', y)));
    }
  }
  return urls;
}

/**
 * Fetches tiles before MapLibre is told of them, so that they come to its worker
 * together: the server answers MapLibre's own requests from its cache with 304 (the
 * tiles are `no-cache` with an ETag). Resolves when every fetch has settled, failures
 * included (MapLibre asks again and reports its own errors).
 */
function warmTiles(urls) {
  return Promise.allSettled(urls.map((u) => fetch(u).then((r) => r.arrayBuffer())));
}

const held = new WeakSet();
/**
 * Holds back the map's frames until the sources `ids` have every tile in (or `maxMs` has
 * passed, or the map starts to move), then draws once. MapLibre draws a frame as each
 * tile comes, and while a frame is drawn the page cannot hand MapLibre's worker the
 * glyphs, patterns and dashes the next tile asks for; where the browser draws without a
 * graphics card a frame takes a quarter of a second, so tiles that came together were
 * drawn one frame after another. Meanwhile the map shows what it showed.
 */
function drawWhenLoaded(map, ids, maxMs) {
  if (held.has(map)) return;
  held.add(map);
  // An own property over the prototype's method, which MapLibre calls for each frame;
  // whatever own property was there before comes back after.
  const before = Object.getOwnPropertyDescriptor(map, 'triggerRepaint');
  map.triggerRepaint = () => {};
  let timer = 0;
  const end = () => {
    if (!held.has(map)) return;
    held.delete(map);
    if (before) Object.defineProperty(map, 'triggerRepaint', before);
    else delete map.triggerRepaint;
    clearTimeout(timer);
    map.off('sourcedata', check);
    map.off('movestart', end);
    map.triggerRepaint();
  };
  const check = () => { if (ids.every((id) => !map.getSource(id) || map.isSourceLoaded(id))) end(); };
  map.on('sourcedata', check);
  map.on('movestart', end);
  timer = setTimeout(end, maxMs);
}

function updateZoomInfo() {
  const map = state.map;
  if (!map) return;
  const z = map.getZoom();
  const present = new Set(state.styleReady ? map.getStyle().layers.filter((l) => l.id.endsWith('-cluster')).map((l) => l['source-layer']) : []);
  const clustered = state.catalog.layers
    .filter((l) => l.detail_zoom != null && z < l.detail_zoom && !state.hidden.has(l.id) && present.has(l.id))
    .map((l) => l.title_zh);
  $('#zoom-info').textContent = `缩放级别 ${z.toFixed(1)}` + (clustered.length ? ` · 聚合显示：${clustered.join('、')}（放大查看单体）` : '');
}

export { applyFilters, applyVisibility, createMap, dataLayerIds, drawWhenLoaded, loadLayerCounts, sameOrigin, setSource, styleName, tileUrlsInView, warmTiles, whenTilesIn };
