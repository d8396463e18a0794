// Site check (选址审查), the request and its results: the list of conflicts, their
// display on the map, and the download.

import { drawData } from './draw.js';
import { setSource } from './map.js';
import { api, showError, toast } from './messages.js';
import { state } from './state.js';
import { $, bboxOf, fill, fmtNum, h, layerTitle, levelBadge, saveFile, today } from './util.js';
import { ZH } from './vocab.js';

/** The site-check result for the map: the returned features, plus a point at the far
 * end of each conflict line (the feature in conflict) to mark it in its level's colour. */
function siteData() {
  const fc = state.siteResult;
  if (!fc) return { type: 'FeatureCollection', features: [] };
  const ends = fc.features
    .filter((f) => f.properties && f.properties.role === 'conflict' && f.geometry && f.geometry.type === 'LineString')
    .map((f) => ({
      type: 'Feature',
      properties: { ...f.properties, role: 'conflict_end' },
      geometry: { type: 'Point', coordinates: f.geometry.coordinates[f.geometry.coordinates.length - 1] },
    }));
  return { type: 'FeatureCollection', features: [...fc.features, ...ends] };
}


/** The request of a check: the drawn site with its use and population; null if invalid. */
function siteRequest() {
  if (!state.site) { toast('请先绘制或上传拟选址范围'); return null; }
  const use = $('#site-use').value;
  const popText = $('#site-population').value.trim();
  const properties = { use };
  if (popText !== '') {
    const n = Number(popText);
    if (!Number.isInteger(n) || n < 0) { toast('规划人数应为非负整数'); return null; }
    properties.population = n;
  }
  return JSON.stringify({ type: 'Feature', properties, geometry: state.site });
}

async function submitSiteCheck() {
  const body = siteRequest();
  if (!body) return;
  const btn = $('#site-submit');
  btn.disabled = true;
  btn.textContent = '审查中…';
  let fc;
  try {
    fc = await (await api('api/site-check', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body })).json();
  } catch (e) {
    showError('选址审查', e);
    $('#site-results').replaceChildren(h('p', { class: 'status', style: 'color:#c62828' }, `审查未完成：${e.message}`));
    return;
  } finally {
    btn.disabled = false;
    btn.textContent = '开始审查';
  }
  state.siteResult = fc;
  window.riskmap.siteResult = fc;
  setSource('rm-site', siteData());
  setSource('rm-draw', drawData());
  renderSiteResult(fc);
  $('#site-download').disabled = false;
  $('#site-print').disabled = false;
  const b = bboxOf({ type: 'GeometryCollection', geometries: fc.features.map((f) => f.geometry) });
  state.map.fitBounds(b, { padding: 80, maxZoom: 17 });
}

/** 一级…四级 of a hazard-source conflict, from its rule id (RM-PD/grade_N/…). */
function gradeOf(p) {
  const m = /grade_(\d)/.exec(p.rule || '');
  return p.kind === 'hazard_source' && m ? ZH.grade[m[1]] : '';
}

function renderSiteResult(fc) {
  const site = fc.features.find((f) => f.properties && f.properties.role === 'site');
  const conflicts = fc.features.filter((f) => f.properties && f.properties.role === 'conflict');
  const sp = site ? site.properties : {};
  const cls = sp.class_zh || ZH.targetClass[sp.class] || sp.class || '';
  const useZh = ZH.use[sp.use] || ZH.targetKind[sp.use] || sp.use || '';
  const summary = h('div', { class: `site-summary ${conflicts.length ? 'bad' : 'good'}` },
    h('div', null, `拟建用途：${useZh}；按“${cls}”审查`, sp.area_m2 != null ? `；用地约 ${fmtNum(sp.area_m2, 0)} 平方米` : ''),
    h('div', null, conflicts.length ? h('b', null, `发现 ${conflicts.length} 处冲突`) : h('b', null, '未发现距离冲突')));
  const list = h('ol', { class: 'conflicts' }, conflicts.map((f) => {
    const p = f.properties;
    const focus = () => {
      const b = bboxOf(f.geometry);
      state.map.fitBounds(b, { padding: 120, maxZoom: 17 });
      setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: f.geometry });
    };
    // The badge is the conflict's own severity (how much is missing, for what kind of
    // site), not the level of the feature in conflict.
    return h('li', { tabindex: 0, onclick: focus, onkeydown: (e) => { if (e.key === 'Enter') focus(); }, title: p.reason_zh || p.reason || '' },
      h('div', { class: 'head' }, levelBadge(p.severity, p.severity_zh ? `冲突${p.severity_zh.replace('风险', '')}` : '—'),
        h('span', null, ZH.siteConflict[p.kind] || p.kind, gradeOf(p) ? `（${gradeOf(p)}危险源）` : '')),
      h('div', null, h('span', { class: 'tag' }, layerTitle(p.layer)), ' ', h('span', { class: 'name' }, p.name || p.id), ' ', h('span', { class: 'muted' }, p.id)),
      h('div', { class: 'nums' }, `实际距离 ${fmtNum(p.distance_m, 1)} m，要求 ${fmtNum(p.required_m, 1)} m，`, h('b', null, `不足 ${fmtNum(p.shortfall_m, 1)} m`)),
      h('div', { class: `rule${p.screening_default ? ' default' : ''}` }, `依据：${p.basis_zh || p.rule}`),
      h('div', { class: 'rule' }, `规则编号：${p.rule}`));
  }));
  const meta = h('p', { class: 'hint' },
    `审查时间 ${(sp.checked_at || '').slice(0, 16).replace('T', ' ')}（UTC）；数据第 ${sp.data_generation ?? '—'} 版`,
    sp.data_as_of ? `，数据日期 ${sp.data_as_of}` : '',
    `；规则 SHA-256 ${(sp.rules_sha256 || '').slice(0, 12)}…`);
  const note = sp.note_zh ? h('p', { class: 'hint' }, sp.note_zh) : null;
  fill($('#site-results'), summary, conflicts.length ? list : h('p', { class: 'hint' }, '在现有数据与规则下，该范围与危险源、燃气管道和危险自建房的距离满足要求。'), meta, note);
}

function downloadSiteCheck() {
  if (!state.siteResult) return;
  const use = ZH.use[$('#site-use').value] || $('#site-use').value;
  saveFile(JSON.stringify(state.siteResult, null, 2) + '\n', `选址审查_${use}_${today()}.geojson`);
}

/** Opens the draft opinion (A4, the site's map, the conflicts, blank fields) in a new
 * tab, from the server's page for the same request; the reader prints it or saves it as
 * PDF with the browser. */
async function printSiteCheck() {
  const body = siteRequest();
  if (!body) return;
  const tab = window.open('', '_blank');
  try {
    const html = await (await api('api/site-check?format=html', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body })).text();
    tab.document.open();
    tab.document.write(html);
    tab.document.close();
  } catch (e) {
    if (tab) tab.close();
    showError('审查意见', e);
  }
}

export { downloadSiteCheck, printSiteCheck, siteData, submitSiteCheck };
