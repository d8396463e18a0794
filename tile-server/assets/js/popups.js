// Popups: picking the feature under the pointer and describing it in Chinese.

import { addVertex, drawData } from './draw.js';
import { hiddenOf } from './hidden.js';
import { dataLayerIds, setSource } from './map.js';
import { api, toast } from './messages.js';
import { state } from './state.js';
import { fmtNum, h, layerInfo, levelBadge } from './util.js';
import { BACKDROP_LAYERS, SITE_FIELDS, ZH } from './vocab.js';
import { addMeasurePoint, ringsButton } from './tools.js';
import { gridWorking, hazardWorking } from './workings.js';

// Layers whose features hidden hazards belong to: their popups list the open ones.
// Enterprises the protection-distance screening covers (hazardous chemicals).
const HAZCHEM = new Set(['hazchem_production', 'hazchem_storage', 'hazchem_trade', 'hazchem_use']);
const HIDDEN_OWNERS = new Set(['enterprises', 'hazard_sources', 'gas_pipelines', 'houses', 'protection_targets']);

function closePopup() {
  if (state.popup) { state.popup.remove(); state.popup = null; }
}

function interactiveLayers() {
  const ids = dataLayerIds();
  return ids.concat(['rm-site-conflict-line', 'rm-site-conflict-point'].filter((id) => state.map.getLayer(id)));
}

function featuresAt(point, pad = 4) {
  const map = state.map;
  const box = [[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]];
  return map.queryRenderedFeatures(box, { layers: interactiveLayers() });
}

function pickFeature(features) {
  return features.find((f) => !BACKDROP_LAYERS.has(f.sourceLayer)) || features.find((f) => f.sourceLayer === 'risk_grid') || features[0];
}

function formatValue(layer, field, v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? '是' : '否';
  switch (field) {
    case 'level': case 'declared_level': return ZH.level[v] || v;
    case 'industry': return ZH.industry[v] || v;
    case 'pressure_class': return ZH.pressure[v] || v;
    case 'appraisal': return ZH.appraisal[v] || v;
    case 'house_use': return ZH.houseUse[v] || v;
    case 'rectification': return ZH.rectification[v] || v;
    case 'kind':
      if (layer === 'pipeline_conflicts') return ZH.pipelineConflict[v] || v;
      if (layer === 'site_check') return ZH.siteConflict[v] || v;
      return ZH.targetKind[v] || v;
    case 'class': case 'target_class': return ZH.targetClass[v] || v;
    case 'target_layer': case 'layer': case 'feature_layer': return ZH.layer[v] || v;
    case 'grade': case 'declared_grade': return ZH.grade[v] || String(v);
    case 'year_laid': return String(v);
    case 'mismatch': return v === 'true' ? '是' : v === 'false' ? '否' : v;
    default: break;
  }
  if (typeof v === 'number') return fmtNum(v, 3);
  return String(v);
}

function fieldTable(layer, props, fields) {
  const rows = [];
  for (const [name, label] of fields) {
    if (!(name in props) || name === 'level_n') continue;
    const value = formatValue(layer, name, props[name]);
    // Reasons come joined by '; ' in tiles and as [{rule, text, text_zh}] from the API.
    const reasons = name !== 'reasons' ? null
      : Array.isArray(props[name]) ? props[name].map((r) => r.text_zh || r.text) : String(props[name]).split('; ');
    const cell = reasons ? h('td', null, reasons.map((r, i) => [i ? h('br') : null, r])) : h('td', null, value);
    rows.push(h('tr', null, h('th', null, label), cell));
  }
  return h('table', null, rows);
}

function popupContent(f) {
  const layer = f.sourceLayer;
  const p = f.properties || {};
  if (!layer && (p.role === 'conflict' || p.role === 'conflict_end')) {
    return h('div', { class: 'popup' },
      h('h3', null, levelBadge(p.level, p.level_zh), ZH.siteConflict[p.kind] || p.kind),
      fieldTable('site_check', p, SITE_FIELDS),
      p.reason ? h('p', { class: 'muted' }, p.reason) : null);
  }
  const info = layerInfo(layer);
  const title = info ? info.title_zh : layer;
  if ('count' in p) {
    // A cluster (or a lone feature) below the layer's detail zoom.
    const dz = info && info.detail_zoom != null ? info.detail_zoom : state.map.getZoom() + 2;
    const zoomIn = () => {
      closePopup();
      state.map.easeTo({ center: f.geometry.type === 'Point' ? f.geometry.coordinates : state.map.getCenter(), zoom: Math.max(dz, state.map.getZoom() + 1) });
    };
    const lone = p.cluster === false || p.count === 1;
    if (layer === 'hidden_hazards') {
      return h('div', { class: 'popup' },
        h('h3', null, title, lone ? '' : ' 聚合点'),
        h('table', null,
          h('tr', null, h('th', null, '隐患'), h('td', null, `${fmtNum(p.count, 0)} 项`)),
          h('tr', null, h('th', null, '未销号'), h('td', null, `${fmtNum(p.open, 0)} 项`)),
          h('tr', null, h('th', null, '重大隐患未销号'), h('td', null, `${fmtNum(p.major_open, 0)} 项`)),
          h('tr', null, h('th', null, '一般隐患逾期'), h('td', null, `${fmtNum(p.general_overdue, 0)} 项`))),
        h('p', { class: 'muted' }, `放大到 ${dz} 级及以上可查看每项隐患。`),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: zoomIn }, '放大查看')));
    }
    return h('div', { class: 'popup' },
      h('h3', null, title, lone ? '' : ' 聚合点'),
      h('table', null,
        h('tr', null, h('th', null, '数量'), h('td', null, `${fmtNum(p.count, 0)} 个`)),
        layer === 'protection_targets' ? null : h('tr', null, h('th', null, lone ? '风险等级' : '最高风险等级'), h('td', null, levelBadge(p.level)))),
      h('p', { class: 'muted' }, `放大到 ${dz} 级及以上可查看每个${title}的详细信息。`),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: zoomIn }, '放大查看')));
  }
  const fields = (info ? info.fields : []).map((x) => [x.name, x.label_zh]);
  const more = info && info.popup_fields && info.popup_fields.length && f.id != null;
  if (more) {
    // The tile carries only what the map draws (houses: the level); the rest is asked
    // for by the feature id the tile gives, with the data generation it came from.
    const head = h('h3', null, h('span', { class: 'tag' }, title), '', 'level' in p ? levelBadge(p.level) : null);
    const body = h('p', { class: 'muted' }, '正在读取…');
    const box = h('div', { class: 'popup' }, head, body);
    // A tile of another day is asked about on that day: its ids, a grid cell's figures
    // and an enterprise's assessment are the day's.
    const q = new URLSearchParams();
    if (state.catalog && state.catalog.generation != null) q.set('generation', state.catalog.generation);
    if (state.asOf && state.dataDay && state.asOf !== state.dataDay) q.set('as_of', state.asOf);
    api(`api/feature/${encodeURIComponent(layer)}/${encodeURIComponent(f.id)}${q.size ? `?${q}` : ''}`)
      .then((r) => r.json())
      .then((feat) => {
        // What the tile drew with (a pipe's derived pressure class), then the API's fields.
        const q = { ...p, id: feat.id, ...(feat.properties || {}) };
        if (layer === 'hidden_hazards') {
          // Where it stood on the map's day is the tile's (the API answers for the data's day).
          q.status_as_of_zh = ZH.hiddenStatus[p.status] || p.status;
          q.days_overdue = p.days_overdue ?? null;
        }
        // A conflict is named by the two features it is between.
        const pair = q.source_name && q.target_name ? `${q.source_name} → ${q.target_name}`
          : q.pipeline_name && q.feature_name ? `${q.pipeline_name} / ${q.feature_name}` : null;
        head.childNodes[1].textContent = pair || q.address || q.name || feat.id || '';
        body.replaceWith(fieldTable(layer, q, info.popup_fields.map((x) => [x.name, x.label_zh])));
        if (layer === 'hazard_sources') {
          box.append(hazardWorking(q));
          if (state.popup) state.popup.addClassName('wide');
        }
        if ((layer === 'hazard_sources' && q.grade != null) || (layer === 'enterprises' && HAZCHEM.has(q.industry))) {
          box.append(ringsButton(layer, feat.id, q.name));
        }
        if (layer === 'risk_grid') { const w = gridWorking(q); if (w) box.append(w); }
        if (feat.properties && feat.properties.as_of && feat.properties.as_of !== state.dataDay && layer !== 'hidden_hazards') {
          box.append(h('p', { class: 'muted' }, `${feat.properties.as_of} 的状态。`));
        }
        if (HIDDEN_OWNERS.has(layer) && feat.id != null) box.append(hiddenOf(layer, feat.id));
      })
      .catch((e) => { body.textContent = `读取失败：${e.message}（数据可能已更新，请刷新页面）`; });
    return box;
  }
  const name = p.name || p.address || p.id || '';
  return h('div', { class: 'popup' },
    h('h3', null, h('span', { class: 'tag' }, title), name, 'level' in p && layer !== 'areas' ? levelBadge(p.level) : null),
    fieldTable(layer, p, fields),
    HIDDEN_OWNERS.has(layer) && p.id != null ? hiddenOf(layer, p.id) : null);
}

function showPopup(f, lngLat) {
  closePopup();
  state.popup = new maplibregl.Popup({ maxWidth: '360px', closeButton: true, focusAfterOpen: false })
    .setLngLat(lngLat)
    .setDOMContent(popupContent(f))
    .addTo(state.map);
  state.popup.on('close', () => setSource('rm-highlight', { type: 'FeatureCollection', features: [] }));
  if (f.geometry && !BACKDROP_LAYERS.has(f.sourceLayer)) {
    setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: f.geometry });
  } else {
    setSource('rm-highlight', { type: 'FeatureCollection', features: [] });
  }
}

function onMapClick(e) {
  if (state.draw.active) { addVertex(e.lngLat); return; }
  if (state.measure && state.measure.active) { addMeasurePoint(e.lngLat); return; }
  if (!state.styleReady) return;
  const f = pickFeature(featuresAt(e.point));
  if (!f) { closePopup(); return; }
  showPopup(f, e.lngLat);
}

/** The popup of the feature under the map's centre (the keyboard's click). */
function openAtCentre() {
  if (!state.styleReady) return;
  const c = state.map.getCanvas();
  const point = { x: c.clientWidth / 2, y: c.clientHeight / 2 };
  const lngLat = state.map.getCenter();
  if (state.draw.active) { addVertex(lngLat); return; }
  if (state.measure && state.measure.active) { addMeasurePoint(lngLat); return; }
  const f = pickFeature(featuresAt(point, 12));
  if (!f) { toast('十字准星处没有要素：用方向键移动地图，把要素移到中心', 'info'); return; }
  showPopup(f, lngLat);
  // Focus the popup so that a screen reader reads it and Tab reaches its buttons.
  const el = state.popup && state.popup.getElement();
  const content = el && el.querySelector('.maplibregl-popup-content');
  if (content) { content.setAttribute('tabindex', '-1'); content.focus(); }
}

let moveScheduled = false;
function onMouseMove(e) {
  if (state.draw.active) {
    state.draw.cursor = [e.lngLat.lng, e.lngLat.lat];
    setSource('rm-draw', drawData());
    return;
  }
  if (moveScheduled || !state.styleReady) return;
  moveScheduled = true;
  requestAnimationFrame(() => {
    moveScheduled = false;
    if (!state.styleReady) return;
    const hit = featuresAt(e.point, 3).some((f) => !BACKDROP_LAYERS.has(f.sourceLayer));
    state.map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
}

/**
 * Opens the popup of the feature of tile layer `layer` whose tile id is `id`, drawn on
 * screen now (after a search has flown to it) at `lngLat`; when it is not drawn as
 * itself (a cluster at this zoom) and its layer's popup reads the API, from the API.
 */
function openPopupFor(layer, id, lngLat) {
  const drawn = state.map.queryRenderedFeatures()
    .find((f) => f.sourceLayer === layer && f.id === id && !('count' in (f.properties || {})));
  if (drawn) { showPopup(drawn, lngLat); return; }
  const info = layerInfo(layer);
  if (info && info.popup_fields && info.popup_fields.length) {
    showPopup({ sourceLayer: layer, id, properties: {}, geometry: { type: 'Point', coordinates: lngLat } }, lngLat);
  }
}

export { closePopup, onMapClick, onMouseMove, openAtCentre, openPopupFor };
