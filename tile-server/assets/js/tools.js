// Map tools: a hazard source's protection-distance rings (on demand, from its popup) and
// the distance/area measuring tool. Both measure on the ellipsoid on the server
// (/api/rings, /api/measure), not in the map's Web Mercator.

import { setSource } from './map.js';
import { api, showError } from './messages.js';
import { state } from './state.js';
import { $, fmtNum, h } from './util.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const RING_COLOURS = ['#b71c1c', '#e65100', '#f9a825', '#1565c0', '#4a148c'];

// Sources and layers of the tools, added with the viewer's other overlays.
function toolOverlays() {
  return {
    sources: { 'rm-rings': state.rings ? state.rings.data : EMPTY, 'rm-measure': measureData() },
    layers: [
      { id: 'rm-rings-line', type: 'line', source: 'rm-rings',
        paint: { 'line-color': ['get', 'colour'], 'line-width': 2, 'line-dasharray': [4, 2] } },
      { id: 'rm-rings-label', type: 'symbol', source: 'rm-rings',
        layout: { 'symbol-placement': 'line', 'text-field': ['get', 'label'], 'text-font': ['Noto Sans CJK SC Regular'], 'text-size': 11, 'symbol-spacing': 300 },
        paint: { 'text-color': ['get', 'colour'], 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 } },
      { id: 'rm-measure-fill', type: 'fill', source: 'rm-measure', filter: ['==', ['geometry-type'], 'Polygon'],
        paint: { 'fill-color': '#6a1b9a', 'fill-opacity': 0.12 } },
      { id: 'rm-measure-line', type: 'line', source: 'rm-measure', filter: ['!=', ['geometry-type'], 'Point'],
        paint: { 'line-color': '#6a1b9a', 'line-width': 2 } },
      { id: 'rm-measure-vertex', type: 'circle', source: 'rm-measure', filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-color': '#ffffff', 'circle-radius': 4, 'circle-stroke-color': '#6a1b9a', 'circle-stroke-width': 2 } },
    ],
  };
}

// ---- protection-distance rings -------------------------------------------------------

/** Draws the rings of `layer`/`id` (ledger id) and returns a list describing them. */
async function showRings(layer, id, name) {
  const box = h('div', { class: 'rings' }, h('p', { class: 'muted' }, '正在计算防护距离…'));
  try {
    const r = await api(`api/rings/${encodeURIComponent(layer)}/${encodeURIComponent(id)}`);
    const fc = await r.json();
    fc.features.forEach((f, i) => {
      const p = f.properties;
      p.colour = RING_COLOURS[i % RING_COLOURS.length];
      p.label = `${fmtNum(p.required_m, 0)} m · ${p.classes_zh}`;
    });
    state.rings = { layer, id, name, data: fc };
    setSource('rm-rings', fc);
    box.replaceChildren(
      h('table', { class: 'calc' },
        h('thead', null, h('tr', null, h('th', null, '距离'), h('th', null, '防护目标类别'), h('th', null, '依据'))),
        h('tbody', null, fc.features.map((f) => h('tr', null,
          h('td', { class: 'num', style: `color:${f.properties.colour}` }, `${fmtNum(f.properties.required_m, 0)} m`),
          h('td', null, f.properties.classes_zh),
          h('td', null, f.properties.basis_zh))))),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: clearRings }, '清除防护距离圈')));
  } catch (e) {
    box.replaceChildren(h('p', { class: 'muted' }, `无法计算防护距离：${e.message}`));
  }
  return box;
}

function clearRings() {
  state.rings = null;
  setSource('rm-rings', EMPTY);
}

/** The popup's button that draws the rings of a hazard source or enterprise. */
function ringsButton(layer, id, name) {
  const slot = h('div');
  const b = h('button', {
    type: 'button',
    title: '在地图上画出该危险源对各类防护目标要求的防护距离',
    onclick: async () => { b.disabled = true; slot.replaceChildren(await showRings(layer, id, name)); },
  }, '显示防护距离圈');
  slot.append(b);
  return slot;
}

// ---- measuring ------------------------------------------------------------------------

function measureData() {
  const m = state.measure;
  if (!m || !m.points.length) return EMPTY;
  const pts = m.points;
  const features = pts.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
  if (m.mode === 'area' && pts.length >= 3) {
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
  } else if (pts.length >= 2) {
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
  }
  return { type: 'FeatureCollection', features };
}

function startMeasure(mode) {
  state.measure = { active: true, mode, points: [] };
  state.map.doubleClickZoom.disable();
  $('#map').classList.add('drawing');
  $('#measure-box').hidden = false;
  $('#measure-result').textContent = mode === 'area' ? '单击地图添加顶点（至少 3 个），双击或按“完成”结束，Esc 取消。' : '单击地图添加点，双击或按“完成”结束，Esc 取消。';
  setSource('rm-measure', measureData());
}

function finishMeasure() {
  if (!state.measure) return;
  state.measure.active = false;
  $('#map').classList.remove('drawing');
  setTimeout(() => state.map.doubleClickZoom.enable(), 350);
}

function clearMeasure() {
  finishMeasure();
  state.measure = null;
  setSource('rm-measure', EMPTY);
  $('#measure-box').hidden = true;
}

async function addMeasurePoint(lngLat) {
  const m = state.measure;
  m.points.push([lngLat.lng, lngLat.lat]);
  setSource('rm-measure', measureData());
  if (m.points.length < 2) return;
  const n = m.points.length;
  const path = m.points.map((p) => `${p[0]},${p[1]}`).join(';');
  try {
    const r = await (await api(`api/measure?path=${encodeURIComponent(path)}`)).json();
    // Clicks come faster than answers, which may come back out of order: an answer for
    // fewer points than there are now never replaces the later one.
    if (state.measure !== m || m.points.length !== n) return;
    $('#measure-result').textContent = describe(r, m.mode);
  } catch (e) {
    showError('测量', e);
  }
}

function describe(r, mode) {
  const len = (v) => (v >= 1000 ? `${fmtNum(v / 1000, 3)} km` : `${fmtNum(v, 1)} m`);
  if (mode === 'area' && r.area_m2 != null) {
    const a = r.area_m2;
    return `面积 ${fmtNum(a, 0)} m²（${fmtNum(a / 10000, 2)} 公顷，${fmtNum(a / (10000 / 15), 1)} 亩），周长 ${len(r.perimeter_m)}（椭球面测量，WGS 84）`;
  }
  const last = r.segments_m[r.segments_m.length - 1];
  return `总长 ${len(r.length_m)}（${r.points} 个点，最后一段 ${len(last)}；椭球面测量，WGS 84）`;
}

function initTools() {
  $('#measure-distance').addEventListener('click', () => startMeasure('distance'));
  $('#measure-area').addEventListener('click', () => startMeasure('area'));
  $('#measure-done').addEventListener('click', finishMeasure);
  $('#measure-clear').addEventListener('click', clearMeasure);
  state.map.on('dblclick', (e) => {
    if (state.measure && state.measure.active) { e.preventDefault(); finishMeasure(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.measure && state.measure.active) clearMeasure();
  });
}

export { addMeasurePoint, clearRings, initTools, ringsButton, toolOverlays };
