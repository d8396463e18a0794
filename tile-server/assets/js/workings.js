// How a figure in a popup was reached: a hazard source's GB 18218-2018 working (each
// substance's q, Q and β, then S and R) and what makes up a grid cell's risk index.
// The numbers are the server's; this only lays them out.

import { fmtNum, h, levelBadge } from './util.js';
import { ZH } from './vocab.js';

const num = (v, d = 3) => (v === null || v === undefined ? '—' : fmtNum(v, d));

// 重大危险源辨识与分级 (GB 18218-2018 §4.1, §4.2): one row per substance, then the sums.
function hazardWorking(q) {
  const items = Array.isArray(q.items) ? q.items : [];
  if (!items.length) return h('p', { class: 'muted' }, '台账未列出物质，无法计算。');
  let sumBeta = 0;
  const rows = items.map((it) => {
    const known = it.critical_q > 0;
    const ratio = known ? it.q / it.critical_q : null;
    const weighted = known && it.beta != null ? it.beta * ratio : null;
    if (weighted != null) sumBeta += weighted;
    const name = it.cas ? `${it.name}（${it.cas}）` : it.name;
    return h('tr', null,
      h('td', null, name, known ? null : h('span', { class: 'muted' }, ' 未计入')),
      h('td', { class: 'num' }, num(it.q)),
      h('td', { class: 'num' }, known ? num(it.critical_q) : '—'),
      h('td', { class: 'num' }, ratio == null ? '—' : num(ratio)),
      h('td', { class: 'num' }, it.beta == null ? '—' : num(it.beta, 2)),
      h('td', { class: 'num' }, weighted == null ? '—' : num(weighted)));
  });
  const grade = q.grade != null ? (ZH.grade[q.grade] || `${q.grade}级`) : '不分级';
  return h('details', { class: 'working', open: '' },
    h('summary', null, '辨识与分级计算（GB 18218-2018）'),
    h('table', { class: 'calc' },
      h('thead', null, h('tr', null,
        h('th', null, '物质'), h('th', null, '存量 q (t)'), h('th', null, '临界量 Q (t)'),
        h('th', null, 'q/Q'), h('th', null, '校正系数 β'), h('th', null, 'β·q/Q'))),
      h('tbody', null, rows)),
    h('p', null, `S = Σq/Q = ${num(q.s)}`, q.is_major ? ' ≥ 1，构成重大危险源（§4.1）' : ' < 1，不构成重大危险源（§4.1）'),
    h('p', null, `α = ${num(q.alpha, 1)}（单元周边 500 m 内暴露人员 ${num(q.exposed_population, 0)} 人，表4）`),
    h('p', null, `R = α·Σβq/Q = ${num(q.alpha, 1)} × ${num(sumBeta)} = ${num(q.r)} → ${grade}（§4.2，表5：R≥100 一级，50≤R<100 二级，10≤R<50 三级，R<10 四级）`));
}

// A cell's index: the risk points' part, the many small risks' part and the population's,
// its band, and the floor at the worst risk point inside (docs/rules.md, `grid`).
function gridWorking(q) {
  if (q.index_points == null) return null;
  const top = Array.isArray(q.top) ? q.top : [];
  const inside = Array.isArray(q.inside_by_level) ? q.inside_by_level : [];
  const levelsInside = ['major', 'significant', 'general', 'low']
    .map((k, i) => [k, inside[3 - i] || 0]).filter(([, n]) => n > 0)
    .map(([k, n]) => `${ZH.level[k]} ${n} 个`).join('，');
  return h('details', { class: 'working', open: '' },
    h('summary', null, '风险指数的构成'),
    h('table', { class: 'calc' },
      h('tr', null, h('th', null, '风险点（危险源、企业，按等级加权、随距离递减）'), h('td', { class: 'num' }, num(q.index_points))),
      h('tr', null, h('th', null, '房屋与管道冲突（默认 4·ln(1+合计)）'), h('td', { class: 'num' }, num(q.index_many))),
      h('tr', null, h('th', null, `暴露人口 ${num(q.population, 0)} 人（ln(1+人口)）`), h('td', { class: 'num' }, num(q.index_population))),
      h('tr', null, h('th', null, '风险指数'), h('td', { class: 'num' }, h('strong', null, num(q.index))))),
    h('p', null, '按指数分档（默认规则：≥60 重大，≥30 较大，≥12 一般，其余低）：', levelBadge(q.banded_level),
      q.floored ? h('span', null, '；格内有更高等级的风险点，按“区域不低于其中最高风险点”取 ', levelBadge(q.level)) : null),
    levelsInside ? h('p', null, `格内风险点与房屋：${levelsInside}。`) : null,
    top.length ? h('p', null, '贡献最大：', top.map((t, i) => [i ? '；' : '', `${t.name || t.id}（${ZH.layer[t.layer] || t.layer}）${num(t.contribution)}`])) : null);
}

export { gridWorking, hazardWorking };
