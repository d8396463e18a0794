// Hidden hazards (隐患): the map's day (a date control: the hazards as they stood that
// day and the enterprise levels that follow; tiles are asked for with ?as_of=), the
// filters by status, category, major and overdue, the chosen town's counts and its
// month-by-month trend, and the list of open hazards a popup shows for a feature.

import { applyFilters, applyVisibility, drawWhenLoaded, tileUrlsInView, warmTiles, whenTilesIn } from './map.js';
import { api, showError } from './messages.js';
import { state } from './state.js';
import { $, fill, fmtNum, h } from './util.js';
import { ZH } from './vocab.js';

const STATUSES = ['pending', 'in_progress', 'rectified', 'supervised', 'closed'];
const STATUS_COLOURS = { pending: '#795548', in_progress: '#00838f', rectified: '#4dd0e1', supervised: '#212121', closed: '#bdbdbd' };

/** The day after `day` (YYYY-MM-DD), as YYYY-MM-DD; '' for anything else. */
function addDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return '';
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The `as_of` query of the map's day ('' on the data's own day). */
function asOfQuery(sep = '?') {
  return state.asOf && state.asOf !== state.dataDay ? `${sep}as_of=${state.asOf}` : '';
}

const OPEN = STATUSES.filter((s) => s !== 'closed');

/**
 * Whether a filter the clusters cannot follow is on (then they hide): one of the open
 * statuses left out, major, overdue or a category. Closed ones are left out by default
 * (the map shows what is still to chase); clusters follow that with their open count.
 */
function hiddenFiltered() {
  const f = state.hiddenFilter;
  return OPEN.some((s) => !f.statuses.has(s)) || f.major || f.overdue || !!f.category;
}

/** The filter parts for a hidden-hazard style layer (its single features or clusters). */
function hiddenFilterParts(cluster) {
  const f = state.hiddenFilter;
  const parts = [];
  if (cluster) return f.statuses.has('closed') ? parts : [['>', ['get', 'open'], 0]];
  if (f.statuses.size < STATUSES.length) parts.push(['in', ['get', 'status'], ['literal', [...f.statuses]]]);
  if (f.major) parts.push(['==', ['get', 'major'], true]);
  if (f.overdue) parts.push(['==', ['get', 'overdue'], true]);
  if (f.category) parts.push(['==', ['get', 'category'], f.category]);
  return parts;
}

/**
 * Points the style's dated sources (its metadata's `riskmap:dated_sources`: the layers
 * that depend on the day) at the day's tiles; the others are the same on every day, unless
 * the server keeps the ledgers' history (a store, or a folder with a trail: its
 * /api/hidden/areas says `history_kept`): its past day takes every ledger back, houses,
 * hazard sources and pipes with their conflicts, so every source is the day's.
 *
 * Once a source has its TileJSON, the day's tiles in view are fetched first, then the
 * day goes into its tile URLs and MapLibre asks for the tiles in view again
 * (`refreshTiles`), which the server then answers from its cache: they keep drawing the
 * previous day until the new ones come, and the new ones come together. Where the browser
 * draws without a graphics card a frame of this map takes a quarter of a second; tiles
 * that came one by one were each drawn in a frame of their own, and each frame held up
 * the next tile's glyphs and patterns, which the page hands MapLibre's worker between
 * frames (BENCHMARKS.md, date switch). Setting the TileJSON's URL instead (`setUrl`)
 * fetches the TileJSON again and redraws the whole map at once with nothing new in it.
 *
 * `warm`: false once the day's tiles have been fetched (or when they are not to be).
 */
let warming = 0;
function applyAsOf(warm = true) {
  const map = state.map;
  if (!map || !state.styleReady) return;
  const style = map.getStyle();
  // A style that names no dated source draws nothing that depends on the day, unless the
  // ledgers are taken back.
  const named = (style.metadata && style.metadata['riskmap:dated_sources']) || [];
  const dated = (id) => state.historyKept || named.includes(id);
  const todo = [];
  let deferred = false;
  for (const [id, src] of Object.entries(style.sources)) {
    if (src.type !== 'vector' || !src.url || !dated(id)) continue;
    const source = map.getSource(id);
    const loaded = Array.isArray(source.tiles) && source.tiles.length ? source.tiles : null;
    if (loaded) {
      const tiles = loaded.map((t) => t.split('?')[0] + asOfQuery());
      if (tiles.join('\n') === loaded.join('\n')) continue;
      // Tiles on their way (of the day before, or just come into view) finish first:
      // the day is read again then.
      if (!map.isSourceLoaded(id)) {
        whenTilesIn(map, id, 'as-of', applyAsOf);
        deferred = true;
        continue;
      }
      todo.push([id, source, tiles]);
    } else {
      // Its TileJSON is still on its way: the day's TileJSON names the day's tiles.
      const url = src.url.split('?')[0] + asOfQuery();
      if (url !== src.url) source.setUrl(url);
    }
  }
  // Any later call (another day, or this one again) takes over from a warming one.
  const turn = ++warming;
  setDayBusy(todo.length > 0 || deferred);
  if (!todo.length) return;
  const urls = warm ? todo.flatMap(([, source, tiles]) => tileUrlsInView(map, source, tiles)) : [];
  // A view of many tiles (a large screen zoomed out) is left to MapLibre's own order.
  if (urls.length && urls.length <= 32) {
    // The day is read again when they are in: it may have changed meanwhile.
    warmTiles(urls).then(() => { if (turn === warming) applyAsOf(false); });
    return;
  }
  // Warmed tiles come in a few milliseconds: drawn in one frame once all are in.
  if (!warm) drawWhenLoaded(map, todo.map(([id]) => id), 1000);
  for (const [id, source, tiles] of todo) {
    source.tiles = tiles;
    map.refreshTiles(id);
  }
  // The tiles asked for again are loading now: the map is idle once they are drawn.
  map.once('idle', () => { if (turn === warming) setDayBusy(false); });
}

/**
 * Whether the map's day is on its way (its tiles fetched, not yet drawn): the date
 * control says so (`aria-busy`, a progress cursor), and so does `state.dayBusy`.
 */
function setDayBusy(busy) {
  state.dayBusy = busy;
  const input = $('#as-of');
  if (input) input.setAttribute('aria-busy', String(busy));
}

async function setAsOf(day) {
  state.asOf = day || state.dataDay;
  $('#as-of').value = state.asOf;
  const past = state.asOf !== state.dataDay;
  $('#as-of-note').hidden = !past;
  window.riskmap.asOfSetAt = performance.now();
  applyAsOf();
  // The trend is a dozen months of counting: asked for once the map has its tiles, so
  // that it does not compete with them.
  await loadHidden(false);
  if (state.map && !trendOnIdle) {
    trendOnIdle = true;
    state.map.once('idle', () => { trendOnIdle = false; loadTrend(); });
  }
}

// Replies are taken only for the latest request of each kind: a slow answer for an
// earlier day must not overwrite the day shown.
let areasAsked = 0;
let trendAsked = 0;
let trendOnIdle = false;

function buildHiddenControls() {
  const sec = $('#sec-hidden');
  if (!state.catalog.layers.some((l) => l.id === 'hidden_hazards')) { sec.hidden = true; return; }
  const input = $('#as-of');
  input.addEventListener('change', () => { if (input.value) setAsOf(input.value); });
  $('#as-of-reset').addEventListener('click', () => setAsOf(state.dataDay));
  const box = $('#hidden-status');
  for (const s of STATUSES) {
    box.append(h('label', null,
      h('input', {
        type: 'checkbox', checked: state.hiddenFilter.statuses.has(s), value: s, dataset: { status: s },
        onchange: (e) => {
          if (e.target.checked) state.hiddenFilter.statuses.add(s); else state.hiddenFilter.statuses.delete(s);
          refilter();
        },
      }),
      h('span', { class: 'swatch', style: `background:${STATUS_COLOURS[s]}` }), ZH.hiddenStatus[s]));
  }
  $('#hidden-major').addEventListener('change', (e) => { state.hiddenFilter.major = e.target.checked; refilter(); });
  $('#hidden-overdue').addEventListener('change', (e) => { state.hiddenFilter.overdue = e.target.checked; refilter(); });
  $('#hidden-category').addEventListener('change', (e) => { state.hiddenFilter.category = e.target.value; refilter(); });
}

function refilter() {
  $('#hidden-hint').hidden = !hiddenFiltered();
  if (state.styleReady) { applyFilters(); applyVisibility(); }
}

/** The day's counts per town, the categories, and (unless `withTrend` is false) the chosen town's trend. */
async function loadHidden(withTrend = true) {
  if ($('#sec-hidden').hidden) return;
  const q = asOfQuery();
  const asked = ++areasAsked;
  let areas;
  try {
    areas = await (await api(`api/hidden/areas${q}`)).json();
  } catch (e) {
    showError('读取隐患统计', e);
    return;
  }
  if (asked !== areasAsked) return;
  // Asked without a day, the answer is the data's day, which a reload may have moved.
  if (!q && areas.as_of !== state.dataDay) {
    const onDataDay = !state.asOf || state.asOf === state.dataDay;
    state.dataDay = areas.as_of;
    if (onDataDay) state.asOf = areas.as_of;
    $('#as-of').value = state.asOf;
    $('#as-of').max = areas.as_of;
    $('#data-day').textContent = areas.as_of;
  }
  state.hiddenAreas = areas;
  // Whether a past day takes the ledgers back, which dates every source (`applyAsOf`): a
  // day chosen before the first answer came is put right when it comes.
  if (Boolean(areas.history_kept) !== state.historyKept) {
    state.historyKept = Boolean(areas.history_kept);
    applyAsOf();
  }
  // What the day's map holds besides the hazards: a store's ledgers of that day, or a
  // folder's of the data day.
  $('#as-of-note').textContent = areas.history_kept
    ? `隐患状态、企业风险等级、风险网格与镇街等级按所选日期计算；房屋、危险源、管道等台账按库中变更记录回溯到该日（回溯 ${areas.history_taken_back || 0} 条变更${areas.history_left_out ? `；服务器内存不足，其中 ${areas.history_left_out} 处房屋、危险源等台账变更按现状显示` : ''}）。`
    : '隐患状态、企业风险等级、风险网格与镇街等级按所选日期计算；房屋、危险源、管道等台账内容为数据日期的现状（文件夹数据不保存变更记录）。';
  // The ledger's categories, as they are now (an edit may add one).
  const cat = $('#hidden-category');
  const chosen = cat.value;
  cat.replaceChildren(h('option', { value: '' }, '全部类别'),
    ...(areas.categories || []).map((c) => h('option', { value: c.name }, `${c.name}（${c.count}）`)));
  cat.value = (areas.categories || []).some((c) => c.name === chosen) ? chosen : '';
  renderHidden();
  if (withTrend) loadTrend();
}

function renderHidden() {
  const a = state.hiddenAreas;
  if (!a) return;
  const row = (a.areas || []).find((x) => (state.area ? x.id === state.area.id || x.name === state.area.name : x.name === '全区'));
  const box = $('#hidden-counts');
  if (!row) { box.replaceChildren(h('p', { class: 'muted' }, '没有隐患记录')); return; }
  const c = row.counts;
  const rate = row.closure_rate == null ? '—' : `${(100 * row.closure_rate).toFixed(1)}%`;
  box.replaceChildren(h('div', { class: 'stats' },
    h('span', null, `${row.name}（${a.as_of}）发现：`, h('b', null, fmtNum(c.found, 0))),
    h('span', null, '未销号：', h('b', null, fmtNum(c.open, 0))),
    h('span', null, '逾期未销号：', h('b', { class: c.overdue ? 'alert' : '' }, fmtNum(c.overdue, 0))),
    h('span', null, '重大隐患未销号：', h('b', { class: c.major_open ? 'alert' : '' }, fmtNum(c.major_open, 0))),
    h('span', null, '整改率（销号/发现）：', h('b', null, rate)),
    h('span', null, '销号平均用时（中位数）：', h('b', null, row.median_days_to_close == null ? '—' : `${fmtNum(row.median_days_to_close, 1)} 天`))));
}

async function loadTrend() {
  const q = new URLSearchParams({ months: '12' });
  if (state.area) q.set('area', state.area.name);
  if (state.asOf && state.asOf !== state.dataDay) q.set('as_of', state.asOf);
  const asked = ++trendAsked;
  try {
    const t = await (await api(`api/hidden/trend?${q}`)).json();
    if (asked !== trendAsked) return;
    $('#hidden-trend').replaceChildren(trendChart(t));
  } catch (e) {
    $('#hidden-trend').replaceChildren(h('p', { class: 'muted' }, '趋势不可用'));
    showError('读取隐患趋势', e);
  }
}

/** A small SVG chart: found and closed per month as bars, open and overdue at month end as lines. */
function trendChart(t) {
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  };
  const m = t.months || [];
  const W = 256, H = 120, L = 28, B = 18, T = 6;
  const max = Math.max(1, ...m.flatMap((x) => [x.found, x.closed, x.at_end.open, x.at_end.overdue]));
  const step = (W - L) / Math.max(1, m.length);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': `${t.area}隐患月度趋势` });
  svg.append(el('line', { x1: L, y1: y(0), x2: W, y2: y(0), stroke: '#9aa5b1' }));
  svg.append(el('text', { x: L - 3, y: y(max) + 8, 'text-anchor': 'end', 'font-size': 9 }, String(max)));
  svg.append(el('text', { x: L - 3, y: y(0), 'text-anchor': 'end', 'font-size': 9 }, '0'));
  m.forEach((x, i) => {
    const x0 = L + i * step;
    const bw = Math.max(2, step / 2 - 1);
    svg.append(el('rect', { x: x0 + 1, y: y(x.found), width: bw, height: y(0) - y(x.found), fill: '#00838f' }, null));
    svg.append(el('rect', { x: x0 + 1 + bw, y: y(x.closed), width: bw, height: y(0) - y(x.closed), fill: '#bdbdbd' }, null));
    if (i % 3 === 0 || i === m.length - 1) svg.append(el('text', { x: x0 + step / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 9 }, x.month.slice(2)));
    // A month not ended (the last one, up to the chart's day) is counted at that day.
    const ended = !x.end || x.end.slice(0, 7) !== addDay(x.end).slice(0, 7);
    const at = ended ? '月末' : `截至 ${x.end}`;
    const title = el('title', {}, `${x.month}${ended ? '' : `（未结束，至 ${x.end}）`}：发现 ${x.found}，销号 ${x.closed}，${at}未销号 ${x.at_end.open}（逾期 ${x.at_end.overdue}，重大 ${x.at_end.major_open}）`);
    const hit = el('rect', { x: x0, y: T, width: step, height: H - T - B, fill: 'transparent' });
    hit.append(title);
    svg.append(hit);
  });
  const line = (key, colour) => {
    const pts = m.map((x, i) => `${(L + i * step + step / 2).toFixed(1)},${y(x.at_end[key]).toFixed(1)}`).join(' ');
    svg.append(el('polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': 2 }));
  };
  line('open', '#212121');
  line('overdue', '#e60012');
  const legend = h('p', { class: 'hint' },
    h('span', { class: 'swatch', style: 'background:#00838f' }), '当月发现 ',
    h('span', { class: 'swatch', style: 'background:#bdbdbd' }), '当月销号 ',
    h('span', { class: 'swatch', style: 'background:#212121;height:3px' }), '期末未销号 ',
    h('span', { class: 'swatch', style: 'background:#e60012;height:3px' }), '期末逾期');
  return h('div', { class: 'chart', id: 'trend-chart', dataset: { months: String(m.length) } },
    h('h4', null, `${t.area} 隐患月度趋势`, ' ', h('span', { class: 'muted' }, `至 ${t.as_of}`)), svg, legend,
    levelsTable(t));
}

/** The enterprises and houses at 重大 and 较大 at each month's end, newest first. */
function levelsTable(t) {
  const m = (t.months || []).slice().reverse();
  const cell = (v, level) => h('td', { class: v ? `lv-${level}` : 'muted' }, String(v));
  const rows = m.map((x) => h('tr', null, h('th', null, x.month),
    cell(x.enterprises_by_level[0], 'major'), cell(x.enterprises_by_level[1], 'significant'),
    cell(x.houses_by_level[0], 'major'), cell(x.houses_by_level[1], 'significant')));
  const how = t.levels_by_month
    ? '各月末的数据按库中变更记录回溯'
    : t.history_left_out
      ? `${t.history_left_out} 项台账变更未回溯（内存不足或未允许复制）：自建房按截止日台账`
      : t.history_kept ? '各月无隐患以外的台账变更：自建房按截止日台账' : '文件夹数据无变更记录：自建房按当前台账，企业按各月末隐患';
  return h('details', { class: 'trend-levels' },
    h('summary', null, '月末重大/较大风险'),
    h('table', { class: 'compact', id: 'trend-levels' },
      h('thead', null, h('tr', null, h('th', null, '月份'), h('th', null, '重大企业'), h('th', null, '较大企业'),
        h('th', null, '重大自建房'), h('th', null, '较大自建房'))),
      h('tbody', null, rows)),
    h('p', { class: 'hint' }, how));
}

/** The open hidden hazards of a feature, for its popup. */
function hiddenOf(layer, id) {
  const box = h('div', { class: 'popup-hidden' }, h('p', { class: 'muted' }, '正在读取隐患…'));
  api(`api/hidden/of/${encodeURIComponent(layer)}/${encodeURIComponent(id)}${asOfQuery()}`)
    .then((r) => r.json())
    .then((d) => {
      const c = d.counts;
      const head = h('h4', null, `未销号隐患 ${c.open} 项`,
        c.open ? h('span', { class: 'muted' }, `（逾期 ${c.overdue}，重大 ${c.major_open}；${d.as_of}）`) : h('span', { class: 'muted' }, `（${d.as_of}，累计发现 ${c.found}）`));
      const shown = d.open.slice(0, 8);
      const items = shown.map((x) => h('li', { class: x.major ? 'major' : '' },
        h('b', null, x.id), ' ', x.major ? h('span', { class: 'tag alert' }, '重大') : null,
        ZH.hiddenStatus[x.status] || x.status_zh || '', ' · ', x.description || '',
        x.days_overdue ? h('span', { class: 'alert' }, ` 逾期 ${x.days_overdue} 天`) : x.deadline ? h('span', { class: 'muted' }, ` 期限 ${x.deadline}`) : null));
      fill(box, head, items.length ? h('ul', null, items) : null,
        d.open.length > shown.length ? h('p', { class: 'muted' }, `另有 ${d.open.length - shown.length} 项，见隐患清单`) : null);
    })
    .catch((e) => { box.replaceChildren(h('p', { class: 'muted' }, `隐患读取失败：${e.message}`)); });
  return box;
}

export { applyAsOf, asOfQuery, buildHiddenControls, hiddenFiltered, hiddenFilterParts, hiddenOf, loadHidden, renderHidden, loadTrend, STATUSES };
