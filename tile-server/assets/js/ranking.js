// Every town ranked by its area index (区域风险指数, docs/rules.md): a table with a bar
// per town, its level, its worst points and its people. A row selects its town.

import { selectArea } from './areas.js';
import { state } from './state.js';
import { $, fmtNum, h, levelBadge } from './util.js';

function renderRanking() {
  const box = $('#ranking');
  if (!box || !state.summaries) return;
  const towns = state.summaries.filter((s) => s.id && s.name !== '(outside any area)')
    .slice().sort((a, b) => (b.index || 0) - (a.index || 0) || a.name.localeCompare(b.name, 'zh'));
  if (!towns.length) { box.replaceChildren(h('p', { class: 'muted' }, '没有镇街数据')); return; }
  const max = Math.max(1e-9, ...towns.map((s) => s.index || 0));
  const pick = (s) => {
    const sel = $('#area-select');
    if (sel) sel.value = s.id;
    selectArea(s.id);
  };
  const rows = towns.map((s, i) => {
    const g = s.hazard_sources_by_grade || [0, 0, 0, 0];
    const cells = s.grid_cells || [0, 0, 0, 0];
    const selected = state.area && state.area.id === s.id;
    return h('tr', { class: selected ? 'selected' : null },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', null, h('button', {
        type: 'button', class: 'link', title: `在地图上查看${s.name}`,
        'aria-label': `第 ${i + 1} 名 ${s.name}，区域风险指数 ${fmtNum(s.index || 0, 2)}，在地图上查看`,
        onclick: () => pick(s),
      }, s.name)),
      h('td', null, levelBadge(s.level)),
      h('td', { class: 'index' },
        h('div', { class: 'bar-track', 'aria-hidden': 'true' },
          h('div', { class: `bar lv-${s.level}`, style: `width:${(100 * (s.index || 0) / max).toFixed(1)}%` })),
        h('span', { class: 'n' }, fmtNum(s.index || 0, 2))),
      h('td', { class: 'num', title: '重大 / 较大风险网格' }, `${cells[3] || 0} / ${cells[2] || 0}`),
      h('td', { class: 'num', title: '一级 / 二级重大危险源' }, `${g[0]} / ${g[1]}`),
      h('td', { class: 'num' }, fmtNum(s.population || 0, 0)));
  });
  box.replaceChildren(
    h('table', { class: 'ranking' },
      h('caption', { class: 'hint' }, '按区域风险指数从高到低排列；点击镇街名称在地图上查看。'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, '名次'), h('th', { scope: 'col' }, '镇街'), h('th', { scope: 'col' }, '等级'),
        h('th', { scope: 'col' }, '区域风险指数'), h('th', { scope: 'col' }, '重大/较大网格'),
        h('th', { scope: 'col' }, '一级/二级危险源'), h('th', { scope: 'col' }, '暴露人口'))),
      h('tbody', null, rows)),
    h('p', { class: 'hint' },
      '区域风险指数 = 各等级风险网格占镇街面积的加权比例（%）：重大网格权重 1、较大 0.5、一般 0.2、低 0；',
      '≥25 为重大风险，≥12 较大，≥5 一般，其余为低风险（默认规则，见 docs/rules.md）。',
      '它同时反映风险的密度与严重程度；镇街内的最高风险点另列于“区域统计”。'));
}

export { renderRanking };
