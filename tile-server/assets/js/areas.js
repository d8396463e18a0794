// Towns/streets: their boundaries, selecting one (mask, outline, filters, summary).

import { applyFilters, setSource } from './map.js';
import { api, showError } from './messages.js';
import { loadTrend, renderHidden } from './hidden.js';
import { closePopup } from './popups.js';
import { state } from './state.js';
import { renderSummary } from './summary.js';
import { bboxOf, ringArea } from './util.js';

async function areaFeatures() {
  if (!state.areaFeatures) {
    const fc = await (await api('api/features/areas.geojson')).json();
    state.areaFeatures = new Map(fc.features.map((f) => [String(f.id ?? f.properties.id), f]));
  }
  return state.areaFeatures;
}

/** The world with the selected area cut out: dims everything outside it. */
function areaMaskData() {
  if (!state.area) return { type: 'FeatureCollection', features: [] };
  const g = state.area.geometry;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  const world = [[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]];
  const sign = Math.sign(ringArea(world));
  const holes = polys.map((p) => (Math.sign(ringArea(p[0])) === sign ? [...p[0]].reverse() : p[0]));
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [world, ...holes] } };
}

async function selectArea(id) {
  closePopup();
  if (!id) {
    state.area = null;
  } else {
    let f;
    try {
      f = (await areaFeatures()).get(id);
    } catch (e) {
      showError('读取镇街边界', e);
    }
    const meta = (state.catalog.areas || []).find((a) => a.id === id);
    state.area = { id, name: meta ? meta.name : (f && f.properties.name) || id, geometry: f ? f.geometry : null };
    if (f) state.map.fitBounds(bboxOf(f.geometry), { padding: 30, maxZoom: 15 });
  }
  setSource('rm-area-mask', areaMaskData());
  setSource('rm-area', state.area && state.area.geometry
    ? { type: 'Feature', properties: {}, geometry: state.area.geometry } : { type: 'FeatureCollection', features: [] });
  if (!state.area && Array.isArray(state.catalog.bounds)) state.map.fitBounds(state.catalog.bounds, { padding: 24 });
  if (state.styleReady) applyFilters();
  renderSummary();
  renderHidden();
  loadTrend();
}

export { areaFeatures, areaMaskData, selectArea };
