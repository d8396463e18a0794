// GeoJSON download of the current view, and the two lists (一图两单) of the chosen town
// or the district as workbooks, which the server makes.

import { api, showError, toast } from './messages.js';
import { state } from './state.js';
import { $, saveFile, today } from './util.js';
import { LEVELS } from './vocab.js';

// The layers whose features have a four-colour level; the server refuses a level filter
// of the others (their features have none to filter by).
const LEVELLED = new Set(['house_risk', 'enterprise_risk', 'hazard_grades', 'risk_grid']);

async function exportView() {
  const layer = $('#export-layer').value;
  const levelled = LEVELLED.has(layer);
  if (levelled && state.levels.size === 0) { toast('请至少勾选一个风险等级'); return; }
  const b = state.map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => v.toFixed(6)).join(',');
  const params = new URLSearchParams({ bbox });
  if (levelled && state.levels.size < LEVELS.length) params.set('level', LEVELS.filter((l) => state.levels.has(l)).join(','));
  if (state.area) params.set('area', state.area.name);
  const btn = $('#export-button');
  btn.disabled = true;
  try {
    const text = await (await api(`api/features/${layer}.geojson?${params}`)).text();
    let n = '';
    try { n = JSON.parse(text).features.length; } catch { /* size only */ }
    saveFile(text, `${layer}_${state.area ? state.area.name + '_' : ''}${today()}.geojson`);
    const unfiltered = levelled || state.levels.size === LEVELS.length ? '' : '，该图层无风险等级，未按等级筛选';
    toast(`已导出 ${n === '' ? '' : n + ' 个要素'}（${$('#export-layer').selectedOptions[0].textContent}${unfiltered}）`, 'info');
  } catch (e) {
    showError('导出', e);
  } finally {
    btn.disabled = false;
  }
}

// The browser downloads the workbook itself (a city's list is tens of MB).
function downloadList(which) {
  const params = new URLSearchParams();
  if (state.area) params.set('area', state.area.name);
  if (state.asOf && state.dataDay && state.asOf !== state.dataDay) params.set('as_of', state.asOf);
  const a = document.createElement('a');
  a.href = `api/lists/${which}.xlsx${params.size ? `?${params}` : ''}`;
  a.download = '';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** The report of the chosen town (or the district) on the map's day, A4, in a tab of its own to print or save as PDF. */
function openReport() {
  const params = new URLSearchParams();
  if (state.area) params.set('area', state.area.name);
  // The day the map shows.
  if (state.asOf && state.dataDay && state.asOf !== state.dataDay) params.set('as_of', state.asOf);
  window.open(`api/report.html${params.size ? `?${params}` : ''}`, '_blank', 'noopener');
}

export { downloadList, exportView, openReport };
