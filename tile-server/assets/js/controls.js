// The side panel's static controls: level legend and filter, symbol legend, industry,
// area and style pickers, and the wiring of the search, site-check and export buttons.

import { selectArea } from './areas.js';
import { cancelDrawing, clearSite, startDrawing, uploadSite } from './draw.js';
import { downloadList, exportView, openReport } from './export.js';
import { buildHiddenControls } from './hidden.js';
import { applyFilters, applyVisibility, sameOrigin, styleName } from './map.js';
import { closePopup } from './popups.js';
import { hideSearch, search } from './search.js';
import { downloadSiteCheck, printSiteCheck, submitSiteCheck } from './site-check.js';
import { state } from './state.js';
import { $, h } from './util.js';
import { LEVELS, ZH } from './vocab.js';

/** Opens or puts away the panel (a bottom sheet on phones) and lets the map take the room. */
function setPanel(open) {
  document.body.classList.toggle('panel-closed', !open);
  $('#panel-toggle').setAttribute('aria-expanded', String(open));
  if (state.map) state.map.resize();
}

function buildStaticControls() {
  const c = state.catalog;
  // On a phone the map comes first; the panel waits under the ☰ button.
  setPanel(!window.matchMedia('(max-width: 640px)').matches);
  $('#panel-toggle').addEventListener('click', () => setPanel(document.body.classList.contains('panel-closed')));
  $('#data-info').textContent = `数据第 ${c.generation} 版`;

  // Levels: the legend and the filter in one.
  const lv = $('#level-filters');
  for (const l of LEVELS) {
    lv.append(h('label', { title: `${ZH.level[l]}（${ZH.levelColour[l]}）` },
      h('input', {
        type: 'checkbox', checked: true, value: l, dataset: { level: l },
        onchange: (e) => {
          if (e.target.checked) state.levels.add(l); else state.levels.delete(l);
          applyFilters();
        },
      }),
      h('span', { class: `swatch lv-${l}` }),
      `${ZH.level[l]}（${ZH.levelColour[l]}）`));
  }

  $('#symbol-legend').append(
    h('span', null, h('span', { class: 'sym-circle', style: 'background:#f39800;border:1px solid #fff;box-shadow:0 0 0 1px #999' }), '聚合点（越大越多）'),
    h('span', null, h('span', { class: 'sym-ring', style: 'border-color:#1a1a1a;background:#e60012' }), '重大危险源'),
    h('span', null, h('span', { class: 'sym-circle', style: 'background:#2e7d32' }), '防护目标'),
    h('span', null, h('span', { class: 'sym-line sym-dash', style: 'border-color:#e60012' }), '防护距离不足'),
    h('span', null, h('span', { class: 'sym-line sym-dash', style: 'border-color:#d500f9' }), '管道占压/间距'),
    h('span', null, h('span', { class: 'sym-line', style: 'border-color:#4a148c' }), '高压/次高压管道'),
    h('span', null, h('span', { class: 'sym-line', style: 'border-color:#ab47bc;border-top-width:2px' }), '中压/低压管道'),
    h('span', null, h('span', { class: 'sym-line sym-dash', style: 'border-color:#55606e;border-top-width:2px' }), '镇街边界'),
    h('span', null, h('span', { class: 'sym-circle', style: 'background:#00838f;border:1px solid #fff;box-shadow:0 0 0 1px #999' }), '隐患（按状态着色）'),
    h('span', null, h('span', { class: 'sym-ring', style: 'border-color:#000;background:#212121' }), '重大事故隐患'),
    h('span', null, h('span', { class: 'sym-ring', style: 'border-color:#e60012;background:#795548' }), '逾期未销号隐患'),
  );
  buildHiddenControls();

  const ind = $('#industry-select');
  for (const [k, v] of Object.entries(ZH.industry)) ind.append(h('option', { value: k }, v));
  ind.addEventListener('change', () => {
    state.industry = ind.value;
    $('#industry-hint').hidden = !state.industry;
    if (state.styleReady) { applyFilters(); applyVisibility(); }
  });

  const area = $('#area-select');
  for (const a of c.areas || []) area.append(h('option', { value: a.id }, a.name));
  area.addEventListener('change', () => selectArea(area.value));

  const st = $('#style-select');
  const names = { risk: '风险总图', 'risk-grid': '风险网格图' };
  for (const s of c.styles || []) st.append(h('option', { value: s }, names[styleName(s)] || styleName(s)));
  st.value = (c.styles || []).find((s) => styleName(s) === 'risk') || '';
  st.addEventListener('change', () => {
    closePopup();
    state.styleReady = false;
    state.map.setStyle(sameOrigin(st.value), { diff: false });
  });

  $('#search-form').addEventListener('submit', (e) => { e.preventDefault(); search(); });
  $('#search-input').addEventListener('keydown', (e) => { if (e.key === 'Escape') hideSearch(); });
  document.addEventListener('click', (e) => { if (!e.target.closest('#search-form')) hideSearch(); });

  $('#draw-start').addEventListener('click', startDrawing);
  $('#draw-clear').addEventListener('click', clearSite);
  $('#site-file').addEventListener('change', uploadSite);
  $('#site-submit').addEventListener('click', submitSiteCheck);
  $('#site-download').addEventListener('click', downloadSiteCheck);
  $('#site-print').addEventListener('click', printSiteCheck);
  $('#export-button').addEventListener('click', exportView);
  $('#list-risk').addEventListener('click', () => downloadList('risk'));
  $('#list-hidden').addEventListener('click', () => downloadList('hidden'));
  $('#report-open').addEventListener('click', openReport);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.draw.active) cancelDrawing(); });
}

export { buildStaticControls };
