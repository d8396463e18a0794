// Site check (选址审查), the site itself: drawing it on the map or uploading a GeoJSON file.

import { setSource } from './map.js';
import { toast } from './messages.js';
import { closePopup } from './popups.js';
import { siteData } from './site-check.js';
import { state } from './state.js';
import { $, bboxOf, fmtNum, ringArea } from './util.js';
import { ZH } from './vocab.js';

function drawData() {
  const d = state.draw;
  const features = [];
  if (!d.active && state.site && !state.siteResult) {
    features.push({ type: 'Feature', properties: {}, geometry: state.site });
  }
  if (d.active) {
    const pts = d.cursor ? [...d.points, d.cursor] : d.points;
    if (pts.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    else if (pts.length === 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    for (const p of d.points) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
  }
  return { type: 'FeatureCollection', features };
}


function setDrawStatus(text) {
  $('#draw-status').textContent = text;
}

function startDrawing() {
  closePopup();
  state.draw = { active: true, points: [], cursor: null };
  state.map.doubleClickZoom.disable();
  $('#map').classList.add('drawing');
  $('#draw-banner').hidden = false;
  $('#draw-start').classList.add('active');
  setDrawStatus('绘制中：在地图上单击添加顶点，双击结束');
  setSource('rm-draw', drawData());
}

function stopDrawing() {
  state.draw.active = false;
  state.draw.cursor = null;
  $('#map').classList.remove('drawing');
  $('#draw-banner').hidden = true;
  $('#draw-start').classList.remove('active');
  // Re-enable after the double click that ended drawing has been handled.
  setTimeout(() => state.map.doubleClickZoom.enable(), 350);
}

function cancelDrawing() {
  stopDrawing();
  state.draw.points = [];
  setSource('rm-draw', drawData());
  setDrawStatus(state.site ? describeSite(state.site) : '已取消绘制');
}

function addVertex(lngLat) {
  state.draw.points.push([lngLat.lng, lngLat.lat]);
  setSource('rm-draw', drawData());
  setDrawStatus(`绘制中：已添加 ${state.draw.points.length} 个顶点，双击结束`);
}

function onMapDblClick(e) {
  if (!state.draw.active) return;
  e.preventDefault();
  const map = state.map;
  // The double click's two clicks added vertices: drop repeats closer than a few pixels.
  const pts = [];
  for (const p of state.draw.points) {
    const last = pts[pts.length - 1];
    if (last) {
      const a = map.project(last);
      const b = map.project(p);
      if (Math.hypot(a.x - b.x, a.y - b.y) < 5) continue;
    }
    pts.push(p);
  }
  if (pts.length < 3) {
    state.draw.points = pts;
    toast('拟选址范围至少需要 3 个顶点，请继续单击添加', 'info');
    return;
  }
  stopDrawing();
  state.draw.points = [];
  setSite({ type: 'Polygon', coordinates: [[...pts, pts[0]]] });
}

/** Approximate area of a lon/lat polygon in square metres (local equirectangular). */
function areaM2(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let total = 0;
  for (const poly of polys) {
    poly.forEach((ring, i) => {
      const lat0 = ring[0][1] * Math.PI / 180;
      const k = 111320;
      const xy = ring.map(([x, y]) => [x * k * Math.cos(lat0), y * 110540]);
      const a = Math.abs(ringArea(xy));
      total += i === 0 ? a : -a;
    });
  }
  return total;
}

function describeSite(g) {
  const n = (g.type === 'Polygon' ? [g.coordinates] : g.coordinates).reduce((s, p) => s + p[0].length - 1, 0);
  const a = areaM2(g);
  const area = a >= 1e4 ? `${fmtNum(a / 1e4, 2)} 公顷` : `${fmtNum(a, 0)} 平方米`;
  return `拟选址范围：${g.type === 'MultiPolygon' ? `${g.coordinates.length} 个面，` : ''}${n} 个顶点，约 ${area}`;
}

function setSite(geometry) {
  state.site = geometry;
  state.siteResult = null;
  setSource('rm-site', siteData());
  setSource('rm-draw', drawData());
  $('#site-submit').disabled = false;
  $('#site-download').disabled = true;
  $('#site-results').replaceChildren();
  setDrawStatus(describeSite(geometry));
  window.riskmap.siteResult = null;
}

function clearSite() {
  if (state.draw.active) stopDrawing();
  state.draw.points = [];
  state.site = null;
  state.siteResult = null;
  window.riskmap.siteResult = null;
  setSource('rm-site', siteData());
  setSource('rm-draw', drawData());
  $('#site-submit').disabled = true;
  $('#site-download').disabled = true;
  $('#site-results').replaceChildren();
  $('#site-file').value = '';
  setDrawStatus('尚未绘制范围');
}

/** Reads a GeoJSON file holding one Polygon or MultiPolygon (Feature, FeatureCollection of one, or a bare geometry). */
async function uploadSite(e) {
  const file = e.target.files && e.target.files[0];
  if (!file) return;
  if (state.draw.active) cancelDrawing();
  let obj;
  try {
    obj = JSON.parse(await file.text());
  } catch (err) {
    toast(`无法读取 ${file.name}：不是有效的 JSON（${err.message}）`);
    e.target.value = '';
    return;
  }
  let feature = obj;
  if (obj && obj.type === 'FeatureCollection') {
    const fs = (obj.features || []).filter((f) => f && f.geometry && /Polygon$/.test(f.geometry.type));
    if (fs.length !== 1) {
      toast(`${file.name} 含 ${fs.length} 个面要素：请只保留一个拟选址范围`);
      e.target.value = '';
      return;
    }
    feature = fs[0];
  } else if (obj && (obj.type === 'Polygon' || obj.type === 'MultiPolygon')) {
    feature = { type: 'Feature', properties: {}, geometry: obj };
  }
  const g = feature && feature.type === 'Feature' ? feature.geometry : null;
  if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) {
    toast(`${file.name} 中没有面（Polygon/MultiPolygon）几何：请上传拟选址范围面`);
    e.target.value = '';
    return;
  }
  const b = bboxOf(g);
  if (!(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90)) {
    toast(`${file.name} 的坐标不是经纬度（WGS84/CGCS2000）：请先转换坐标系后再上传`);
    e.target.value = '';
    return;
  }
  const props = feature.properties || {};
  if (props.use && ZH.use[props.use]) $('#site-use').value = props.use;
  if (Number.isFinite(props.population)) $('#site-population').value = props.population;
  setSite(g);
  state.map.fitBounds(b, { padding: 120, maxZoom: 16 });
}

export { addVertex, cancelDrawing, clearSite, drawData, onMapDblClick, startDrawing, uploadSite };
