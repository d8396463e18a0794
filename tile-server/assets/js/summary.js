// Per-area summaries: the whole district or the selected area, with bar charts per level.

import { api, showError } from './messages.js';
import { renderRanking } from './ranking.js';
import { locate } from './search.js';
import { state } from './state.js';
import { $, fill, fmtNum, h, layerTitle, levelBadge, levelDot } from './util.js';
import { LEVEL_INDEX, LEVEL_RANK, LEVELS, ZH } from './vocab.js';

async function loadSummaries() {
  try {
    const s = await (await api('api/areas')).json();
    state.summaries = Array.isArray(s) ? s : [];
  } catch (e) {
    $('#summary').replaceChildren(h('p', { class: 'muted' }, '区域统计不可用'));
    showError('读取区域统计', e);
    return;
  }
  renderSummary();
}

function aggregate(list) {
  const zero4 = () => [0, 0, 0, 0];
  const out = {
    name: '全区', level: 'low', enterprises: zero4(), houses: zero4(), grid_cells: zero4(),
    hazard_sources_by_grade: zero4(), protection_conflicts: 0, pipeline_occupations: 0,
    pipeline_too_close: 0, population: 0, top_risks: [],
  };
  for (const s of list) {
    for (const k of ['enterprises', 'houses', 'grid_cells', 'hazard_sources_by_grade']) {
      (s[k] || []).forEach((n, i) => { out[k][i] += n; });
    }
    for (const k of ['protection_conflicts', 'pipeline_occupations', 'pipeline_too_close', 'population']) out[k] += s[k] || 0;
    if (LEVEL_RANK[s.level] > LEVEL_RANK[out.level]) out.level = s.level;
    out.top_risks.push(...(s.top_risks || []));
  }
  out.top_risks.sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level]);
  out.top_risks = out.top_risks.slice(0, 10);
  return out;
}

function renderSummary() {
  const box = $('#summary');
  if (!state.summaries) return;
  let s;
  if (state.area) {
    s = state.summaries.find((x) => x.id === state.area.id) || state.summaries.find((x) => x.name === state.area.name);
    if (!s) {
      box.replaceChildren(h('p', { class: 'muted' }, `${state.area.name}：没有统计数据`));
      $('#summary-title').textContent = state.area.name;
      return;
    }
  } else {
    s = aggregate(state.summaries);
  }
  const name = s.name === '(outside any area)' ? '镇街范围外' : s.name;
  $('#summary-title').textContent = name;

  const chart = (title, counts) => {
    const total = counts.reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...counts);
    return h('div', { class: 'chart' },
      h('h4', null, title, ' ', h('span', { class: 'muted' }, `共 ${fmtNum(total, 0)}`)),
      LEVELS.map((l) => {
        const n = counts[LEVEL_INDEX[l]] || 0;
        return h('div', { class: 'bar-row', title: `${ZH.level[l]}：${n}` },
          h('span', { class: 'label' }, ZH.level[l]),
          h('div', { class: 'bar-track' }, h('div', { class: `bar lv-${l}`, style: `width:${(100 * n / max).toFixed(1)}%` })),
          h('span', { class: 'n' }, fmtNum(n, 0)));
      }));
  };
  const g = s.hazard_sources_by_grade || [0, 0, 0, 0];
  const top = (s.top_risks || []).map((t) => h('li', {
    title: '定位到地图', tabindex: 0,
    onclick: () => locate(t.layer, t.id, t.name),
    onkeydown: (e) => { if (e.key === 'Enter') locate(t.layer, t.id, t.name); },
  }, levelDot(t.level), h('span', null, h('span', { class: 'tag' }, layerTitle(t.layer)), ' ', t.name || t.id,
    t.summary ? h('span', { class: 'why' }, t.summary) : null)));

  const e = s.enterprises || [0, 0, 0, 0];
  const worst = [g[0] ? `一级重大危险源 ${g[0]} 处` : '', e[3] ? `重大风险企业 ${e[3]} 家` : '',
    g[1] ? `二级重大危险源 ${g[1]} 处` : '', e[2] ? `较大风险企业 ${e[2]} 家` : ''].filter(Boolean).join('，');
  const indexLine = state.area && s.area_km2
    ? h('p', { class: 'hint' }, `区域风险指数 ${fmtNum(s.index || 0, 2)}（面积 ${fmtNum(s.area_km2, 1)} km²；各等级风险网格占面积的加权比例，见下方“镇街风险排名”）。`)
    : h('p', { class: 'hint' }, '全区等级取各镇街中的最高等级；各镇街按区域风险指数排名见“镇街风险排名”。');
  renderRanking();
  fill(box,
    h('p', null, '区域风险等级：', levelBadge(s.level)),
    indexLine,
    worst ? h('p', { class: 'hint' }, `区内最高风险点：${worst}。`) : null,
    chart('企业', s.enterprises || [0, 0, 0, 0]),
    chart('自建房', s.houses || [0, 0, 0, 0]),
    chart('风险网格', s.grid_cells || [0, 0, 0, 0]),
    h('div', { class: 'stats' },
      h('span', null, '重大危险源：', h('b', null, `一级 ${g[0]} · 二级 ${g[1]} · 三级 ${g[2]} · 四级 ${g[3]}`)),
      h('span', null, '防护距离不足：', h('b', null, fmtNum(s.protection_conflicts || 0, 0))),
      h('span', null, '管道违章占压：', h('b', null, fmtNum(s.pipeline_occupations || 0, 0))),
      h('span', null, '管道间距不足：', h('b', null, fmtNum(s.pipeline_too_close || 0, 0))),
      h('span', null, '暴露人口：', h('b', null, fmtNum(s.population || 0, 0)))),
    h('h4', { style: 'margin:8px 0 2px' }, '主要风险'),
    top.length ? h('ul', { class: 'top-risks' }, top) : h('p', { class: 'muted' }, '无'));
}

export { loadSummaries, renderSummary };
