// RiskMap web viewer: the risk map of a district, its four-colour legend and filters,
// popups in Chinese, per-area summaries, search, the planning site check (选址审查) and
// GeoJSON downloads. Plain JavaScript, no build step, no framework; everything it loads
// comes from the server that served this page (MapLibre GL JS from /assets/vendor/).
//
// The API it uses (see tile-server/src/server/routes.rs):
//   GET  /catalog                    layers (title_zh, fields[].label_zh, detail_zoom), areas, bounds, styles
//   GET  /styles/{name}.json         MapLibre styles
//   GET  /api/areas                  per-area summaries
//   GET  /api/search?q=              name search → [{layer, id, name, bbox}]
//   GET  /api/features/{layer}.geojson?bbox=&level=&area=
//   POST /api/site-check             GeoJSON Feature {geometry, properties: {use, population}}
// Errors come back as JSON {error, status}; they are shown to the user, never swallowed.
'use strict';

(() => {
  // ---------------------------------------------------------------- vocabulary

  const LEVELS = ['major', 'significant', 'general', 'low'];
  // Index of each level in the summaries' count arrays ([low, general, significant, major]).
  const LEVEL_INDEX = { low: 0, general: 1, significant: 2, major: 3 };
  const LEVEL_RANK = { major: 3, significant: 2, general: 1, low: 0 };
  // Defaults; replaced by the style's metadata["riskmap:level_colors"] when it has them.
  let levelColors = { major: '#e60012', significant: '#f39800', general: '#ffe100', low: '#0068b7' };

  // Chinese names of the value keys the API and the tiles use.
  const ZH = {
    level: { major: '重大风险', significant: '较大风险', general: '一般风险', low: '低风险' },
    levelShort: { major: '重大', significant: '较大', general: '一般', low: '低' },
    levelColour: { major: '红', significant: '橙', general: '黄', low: '蓝' },
    industry: {
      hazchem_production: '危险化学品生产', hazchem_storage: '危险化学品储存', hazchem_trade: '危险化学品经营',
      hazchem_use: '危险化学品使用', dust_explosion: '粉尘涉爆', ammonia_refrigeration: '涉氨制冷',
      confined_space: '有限空间', metallurgy: '冶金', other: '其他',
    },
    pressure: {
      high_a: '高压A', high_b: '高压B', sub_high_a: '次高压A', sub_high_b: '次高压B',
      medium_a: '中压A', medium_b: '中压B', low: '低压',
    },
    appraisal: { a: 'A级', b: 'B级', c: 'C级（局部危房）', d: 'D级（整幢危房）', unknown: '未鉴定' },
    houseUse: { residential: '自住', commercial: '经营', mixed: '自住兼经营' },
    rectification: { not_needed: '无需整治', pending: '待整治', in_progress: '整治中', done: '已整治', unknown: '未知' },
    targetKind: {
      school: '学校', kindergarten: '幼儿园', hospital: '医院', nursing_home: '养老院',
      residential_community: '居民区', residential: '居住', office: '办公场所', market: '商场、市场',
      venue: '影剧院、体育场馆', transport_hub: '交通枢纽', water_source: '饮用水源',
      cultural_relic: '文物保护单位', religious_site: '宗教场所', military: '军事设施', other: '其他',
    },
    targetClass: {
      high_sensitivity: '高敏感防护目标', important: '重要防护目标', general_1: '一般防护目标（一类）',
      general_2: '一般防护目标（二类）', general_3: '一般防护目标（三类）',
    },
    layer: {
      enterprises: '企业', hazard_sources: '重大危险源', gas_pipelines: '燃气管道', houses: '自建房',
      protection_targets: '防护目标', areas: '镇街', risk_grid: '风险分布网格',
      protection_conflicts: '防护距离不足', pipeline_conflicts: '管道占压/间距不足',
    },
    pipelineConflict: { occupation: '违章占压', too_close: '间距不足' },
    siteConflict: {
      hazard_source: '重大危险源防护距离不足', hazchem_enterprise: '危险化学品企业防护距离不足',
      pipeline_occupation: '燃气管道占压（保护范围内）', pipeline_clearance: '燃气管道水平净距不足',
      dangerous_house: '邻近危险自建房',
    },
    use: {
      residential: '居住', school: '学校', kindergarten: '幼儿园', hospital: '医院',
      nursing_home: '养老院', office: '办公', market: '商场',
    },
    grade: { 1: '一级', 2: '二级', 3: '三级', 4: '四级' },
  };

  // Fields of a site-check conflict, for its popup.
  const SITE_FIELDS = [
    ['kind', '冲突类型'], ['layer', '图层'], ['id', '编号'], ['name', '名称'], ['level', '风险等级'],
    ['distance_m', '实际距离(m)'], ['required_m', '要求距离(m)'], ['shortfall_m', '不足(m)'], ['rule', '规则'],
  ];

  // Tile layers whose features carry a four-colour `level` (the level filter applies to them).
  const LEVEL_LAYERS = new Set(['risk_grid', 'houses', 'enterprises', 'hazard_sources', 'protection_conflicts', 'pipeline_conflicts']);
  // Layers clicked through to when something else is under the pointer.
  const BACKDROP_LAYERS = new Set(['areas', 'risk_grid']);
  const OVERLAY_PREFIX = 'rm-';

  // ---------------------------------------------------------------- state

  const state = {
    catalog: null,
    map: null,
    levels: new Set(LEVELS),
    industry: '',
    area: null, // {id, name, geometry}
    areaFeatures: null, // Map id → GeoJSON feature
    summaries: null,
    hidden: new Set(), // tile layers switched off
    baseFilters: new Map(), // style layer id → filter from the style
    draw: { active: false, points: [], cursor: null },
    site: null, // GeoJSON geometry of the proposed site
    siteResult: null, // FeatureCollection returned by /api/site-check
    popup: null,
    styleReady: false, // the current style has loaded and the overlays are in it
  };

  let resolveReady;
  const ready = new Promise((r) => { resolveReady = r; });
  window.riskmap = { state, ready, map: null, catalog: null };

  // ---------------------------------------------------------------- helpers

  const $ = (sel) => document.querySelector(sel);

  /** Creates an element: h('div', {class: 'x', onclick: f}, child, 'text'). Text is never parsed as HTML. */
  function h(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'style') e.style.cssText = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function fmtNum(v, digits = 2) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
    return v.toLocaleString('zh-CN', { maximumFractionDigits: digits });
  }

  function levelBadge(level, text) {
    const l = LEVELS.includes(level) ? level : 'none';
    return h('span', { class: `badge lv-${l}` }, text || ZH.level[level] || '未分级');
  }

  function levelDot(level) {
    return h('span', { class: `dot lv-${LEVELS.includes(level) ? level : 'none'}` });
  }

  function layerInfo(name) {
    return state.catalog?.layers.find((l) => l.id === name);
  }

  function layerTitle(name) {
    return layerInfo(name)?.title_zh || ZH.layer[name] || name;
  }

  function today() {
    const d = new Date();
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
  }

  function saveFile(text, filename, type = 'application/geo+json') {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = h('a', { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------- messages

  const recentToasts = new Map();

  /** Shows a message; kind 'error' (default) or 'info'. Errors stay until closed. */
  function toast(message, kind = 'error') {
    const now = Date.now();
    if (recentToasts.get(message) > now - 4000) return;
    recentToasts.set(message, now);
    const box = h('div', { class: `toast ${kind}` }, message,
      h('button', { class: 'close', type: 'button', title: '关闭', 'aria-label': '关闭', onclick: () => box.remove() }, '×'));
    $('#toasts').append(box);
    if (kind !== 'error') setTimeout(() => box.remove(), 5000);
    while ($('#toasts').children.length > 4) $('#toasts').firstElementChild.remove();
  }

  class ApiError extends Error {
    constructor(status, message, url) {
      super(message);
      this.status = status;
      this.url = url;
    }
  }

  /** fetch() that turns an error response ({error, status}) or a network failure into an ApiError. */
  async function api(url, options) {
    let r;
    try {
      r = await fetch(url, options);
    } catch (e) {
      throw new ApiError(0, `无法连接服务器（${e.message}）`, url);
    }
    if (!r.ok) {
      let msg = `${r.status} ${r.statusText}`;
      try {
        const j = await r.json();
        if (j && typeof j.error === 'string') msg = j.error;
      } catch { /* not JSON: keep the status line */ }
      throw new ApiError(r.status, msg, url);
    }
    return r;
  }

  function showError(what, err) {
    if (err instanceof ApiError) {
      toast(err.status ? `${what}失败：服务器返回 ${err.status}：${err.message}` : `${what}失败：${err.message}`);
    } else {
      toast(`${what}失败：${err && err.message ? err.message : err}`);
    }
  }

  // ---------------------------------------------------------------- start

  async function start() {
    try {
      state.catalog = await (await api('/catalog')).json();
    } catch (e) {
      showError('读取图层目录', e);
      return;
    }
    window.riskmap.catalog = state.catalog;
    buildStaticControls();
    createMap();
    loadSummaries();
    loadHealth();
  }

  /** Data version and what the loader skipped or repaired (details at /api/validation). */
  async function loadHealth() {
    let hl;
    try {
      hl = await (await api('/health')).json();
    } catch (e) {
      showError('读取服务状态', e);
      return;
    }
    const v = hl.validation || {};
    const info = $('#data-info');
    info.replaceChildren(`数据第 ${hl.generation} 版`);
    if (v.skipped || v.repaired) {
      info.append(' · ', h('a', { href: '/api/validation', target: '_blank', rel: 'noopener', title: '数据校验报告（JSON）' },
        `校验：跳过 ${v.skipped || 0} 条，修复 ${v.repaired || 0} 条`));
    }
  }

  // Styles name their sources with the origin the server saw; behind a proxy that
  // terminates TLS that is http:// while the page is https://, so same-host URLs are
  // rewritten to the page's own origin.
  function sameOrigin(url) {
    const httpSelf = `http://${location.host}/`;
    if (location.protocol !== 'http:' && url.startsWith(httpSelf)) return location.origin + '/' + url.slice(httpSelf.length);
    return url;
  }

  function styleName(url) {
    const m = /\/styles\/([^/]+)\.json$/.exec(url);
    return m ? m[1] : url;
  }

  function createMap() {
    const c = state.catalog;
    const styles = c.styles && c.styles.length ? c.styles : ['/styles/risk.json'];
    const initial = styles.find((s) => styleName(s) === 'risk') || styles[0];
    const opts = {
      container: 'map',
      style: sameOrigin(initial),
      maxZoom: 18,
      attributionControl: {
        compact: false,
        customAttribution: '<a href="/assets/vendor/LICENSE-maplibre-gl.txt" target="_blank" rel="noopener">MapLibre GL JS（BSD 许可）</a>',
      },
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      transformRequest: (url) => ({ url: sameOrigin(url) }),
    };
    if (Array.isArray(c.bounds) && c.bounds.length === 4) {
      opts.bounds = c.bounds;
      opts.fitBoundsOptions = { padding: 24 };
    } else {
      opts.center = [121.17, 31.9];
      opts.zoom = 10;
    }
    const map = new maplibregl.Map(opts);
    state.map = map;
    window.riskmap.map = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-right');
    map.touchZoomRotate.disableRotation();

    map.on('style.load', onStyleLoad);
    map.on('error', (e) => {
      const msg = e && e.error && e.error.message ? e.error.message : String(e && e.error);
      toast(`地图数据加载失败：${msg}`);
    });
    map.on('click', onMapClick);
    map.on('dblclick', onMapDblClick);
    map.on('mousemove', onMouseMove);
    map.on('zoomend', updateZoomInfo);
    map.on('moveend', updateZoomInfo);
    map.once('load', () => resolveReady(map));
  }

  // ---------------------------------------------------------------- style, layers, filters

  function onStyleLoad() {
    const map = state.map;
    state.styleReady = true;
    const style = map.getStyle();
    const colours = style.metadata && style.metadata['riskmap:level_colors'];
    if (colours) {
      levelColors = { ...levelColors, ...colours };
      for (const l of LEVELS) document.documentElement.style.setProperty(`--${l}`, levelColors[l]);
    }
    state.baseFilters.clear();
    for (const layer of style.layers) {
      if (layer['source-layer']) state.baseFilters.set(layer.id, layer.filter);
    }
    addOverlays();
    buildLayerToggles();
    applyFilters();
    applyVisibility();
    updateZoomInfo();
  }

  /** Style layers drawing a tile layer, from the current style. */
  function styleLayersOf(tileLayer) {
    return state.map.getStyle().layers.filter((l) => l['source-layer'] === tileLayer);
  }

  function dataLayerIds() {
    return state.map.getStyle().layers.filter((l) => l['source-layer']).map((l) => l.id);
  }

  function buildLayerToggles() {
    const box = $('#layer-toggles');
    box.replaceChildren();
    const present = new Set(state.map.getStyle().layers.map((l) => l['source-layer']).filter(Boolean));
    for (const info of state.catalog.layers) {
      if (!present.has(info.id)) continue;
      const cb = h('input', {
        type: 'checkbox', checked: !state.hidden.has(info.id), dataset: { layer: info.id },
        onchange: (e) => {
          if (e.target.checked) state.hidden.delete(info.id); else state.hidden.add(info.id);
          applyVisibility();
          updateZoomInfo();
        },
      });
      box.append(h('label', { title: info.id }, cb, info.title_zh,
        typeof info.count === 'number' ? h('span', { class: 'count' }, fmtNum(info.count, 0)) : null));
    }
  }

  function applyVisibility() {
    const map = state.map;
    for (const layer of map.getStyle().layers) {
      const sl = layer['source-layer'];
      if (!sl) continue;
      let visible = !state.hidden.has(sl);
      // Clusters carry no industry: while filtering by industry they would count the rest.
      if (sl === 'enterprises' && state.industry && layer.id.endsWith('-cluster')) visible = false;
      map.setLayoutProperty(layer.id, 'visibility', visible ? 'visible' : 'none');
    }
  }

  function applyFilters() {
    const map = state.map;
    for (const layer of map.getStyle().layers) {
      const sl = layer['source-layer'];
      if (!sl) continue;
      const base = state.baseFilters.get(layer.id);
      const parts = base ? [base] : [];
      if (LEVEL_LAYERS.has(sl) && state.levels.size < LEVELS.length) {
        parts.push(['in', ['get', 'level'], ['literal', [...state.levels]]]);
      }
      if (sl === 'enterprises' && state.industry) {
        parts.push(['==', ['get', 'industry'], state.industry]);
      }
      if (state.area) {
        if (sl === 'risk_grid') parts.push(['==', ['get', 'area'], state.area.name]);
        else if (layer.type === 'circle' && state.area.geometry) parts.push(['within', state.area.geometry]);
      }
      const filter = parts.length === 0 ? null : parts.length === 1 ? parts[0] : ['all', ...parts];
      map.setFilter(layer.id, filter);
    }
    window.riskmap.filtersVersion = (window.riskmap.filtersVersion || 0) + 1;
  }

  // Sources and layers the viewer draws on top of the style (re-added after a style change).
  function addOverlays() {
    const map = state.map;
    const empty = { type: 'FeatureCollection', features: [] };
    const src = (id, data) => { if (!map.getSource(id)) map.addSource(id, { type: 'geojson', data: data || empty }); };
    src('rm-area-mask', areaMaskData());
    src('rm-area', state.area ? { type: 'Feature', properties: {}, geometry: state.area.geometry } : empty);
    src('rm-site', siteData());
    src('rm-highlight');
    src('rm-draw', drawData());
    const levelColour = ['match', ['coalesce', ['get', 'level'], ''],
      'major', levelColors.major, 'significant', levelColors.significant, 'general', levelColors.general, 'low', levelColors.low, '#d500f9'];
    const layers = [
      { id: 'rm-area-mask', type: 'fill', source: 'rm-area-mask', paint: { 'fill-color': '#cfd6de', 'fill-opacity': 0.75 } },
      { id: 'rm-area-line', type: 'line', source: 'rm-area', paint: { 'line-color': '#0d47a1', 'line-width': 3 } },
      { id: 'rm-site-fill', type: 'fill', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.35 } },
      { id: 'rm-site-casing', type: 'line', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'line-color': '#ffffff', 'line-width': 5 } },
      { id: 'rm-site-line', type: 'line', source: 'rm-site', filter: ['==', ['get', 'role'], 'site'], paint: { 'line-color': '#0d47a1', 'line-width': 2.5 } },
      { id: 'rm-site-conflict-casing', type: 'line', source: 'rm-site', filter: ['all', ['==', ['get', 'role'], 'conflict'], ['==', ['geometry-type'], 'LineString']],
        layout: { 'line-cap': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': 5 } },
      { id: 'rm-site-conflict-line', type: 'line', source: 'rm-site', filter: ['all', ['==', ['get', 'role'], 'conflict'], ['==', ['geometry-type'], 'LineString']],
        layout: { 'line-cap': 'round' }, paint: { 'line-color': '#0d47a1', 'line-width': 2.5, 'line-dasharray': [2, 1] } },
      { id: 'rm-site-conflict-point', type: 'circle', source: 'rm-site', filter: ['all', ['in', ['get', 'role'], ['literal', ['conflict', 'conflict_end']]], ['==', ['geometry-type'], 'Point']],
        paint: { 'circle-color': levelColour, 'circle-radius': 6, 'circle-stroke-color': '#0d47a1', 'circle-stroke-width': 2.5 } },
      { id: 'rm-highlight-line', type: 'line', source: 'rm-highlight', filter: ['!=', ['geometry-type'], 'Point'],
        paint: { 'line-color': '#00e5ff', 'line-width': 4, 'line-opacity': 0.9 } },
      { id: 'rm-highlight-point', type: 'circle', source: 'rm-highlight', filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-color': 'rgba(0,229,255,0.15)', 'circle-radius': 14, 'circle-stroke-color': '#00b8d4', 'circle-stroke-width': 3 } },
      { id: 'rm-draw-fill', type: 'fill', source: 'rm-draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.15 } },
      { id: 'rm-draw-line', type: 'line', source: 'rm-draw', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#0d47a1', 'line-width': 2, 'line-dasharray': [2, 1] } },
      { id: 'rm-draw-vertex', type: 'circle', source: 'rm-draw', filter: ['==', ['geometry-type'], 'Point'],
        paint: { 'circle-color': '#ffffff', 'circle-radius': 4.5, 'circle-stroke-color': '#0d47a1', 'circle-stroke-width': 2 } },
    ];
    for (const l of layers) if (!map.getLayer(l.id)) map.addLayer(l);
  }

  function setSource(id, data) {
    const s = state.map && state.map.getSource(id);
    if (s) s.setData(data);
  }

  // ---------------------------------------------------------------- static controls

  function buildStaticControls() {
    const c = state.catalog;
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
    );

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
    $('#export-button').addEventListener('click', exportView);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.draw.active) cancelDrawing(); });
  }

  function updateZoomInfo() {
    const map = state.map;
    if (!map) return;
    const z = map.getZoom();
    const present = new Set(state.styleReady ? map.getStyle().layers.filter((l) => l.id.endsWith('-cluster')).map((l) => l['source-layer']) : []);
    const clustered = state.catalog.layers
      .filter((l) => l.detail_zoom != null && z < l.detail_zoom && !state.hidden.has(l.id) && present.has(l.id))
      .map((l) => l.title_zh);
    $('#zoom-info').textContent = `缩放级别 ${z.toFixed(1)}` + (clustered.length ? ` · 聚合显示：${clustered.join('、')}（放大查看单体）` : '');
  }

  // ---------------------------------------------------------------- areas

  async function areaFeatures() {
    if (!state.areaFeatures) {
      const fc = await (await api('/api/features/areas.geojson')).json();
      state.areaFeatures = new Map(fc.features.map((f) => [String(f.id ?? f.properties.id), f]));
    }
    return state.areaFeatures;
  }

  function bboxOf(geometry) {
    let b = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (c) => {
      if (typeof c[0] === 'number') {
        b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
      } else c.forEach(walk);
    };
    if (geometry.type === 'GeometryCollection') geometry.geometries.forEach((g) => walk(g.coordinates));
    else walk(geometry.coordinates);
    return b;
  }

  function ringArea(ring) {
    let s = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
    return s / 2;
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
  }

  // ---------------------------------------------------------------- summaries

  async function loadSummaries() {
    try {
      const s = await (await api('/api/areas')).json();
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

    box.replaceChildren(
      h('p', null, '区域风险等级：', levelBadge(s.level)),
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

  // ---------------------------------------------------------------- search and locating

  function hideSearch() {
    $('#search-results').hidden = true;
  }

  async function search() {
    const q = $('#search-input').value.trim();
    const list = $('#search-results');
    if (!q) { hideSearch(); return; }
    let res;
    try {
      res = await (await api(`/api/search?q=${encodeURIComponent(q)}&limit=30`)).json();
    } catch (e) {
      showError('搜索', e);
      return;
    }
    list.replaceChildren();
    const results = res.results || [];
    if (!results.length) list.append(h('li', { class: 'empty' }, `未找到“${q}”`));
    for (const r of results) {
      const go = () => { hideSearch(); flyToBbox(r.bbox); };
      list.append(h('li', { tabindex: 0, onclick: go, onkeydown: (e) => { if (e.key === 'Enter') go(); } },
        h('span', { class: 'tag' }, layerTitle(r.layer)), h('span', null, r.name || r.id), h('span', { class: 'id' }, r.id)));
    }
    list.hidden = false;
  }

  function flyToBbox(b) {
    if (!Array.isArray(b) || b.length !== 4) { toast('该要素没有位置信息'); return; }
    const map = state.map;
    const c = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    if (b[2] - b[0] < 1e-6 && b[3] - b[1] < 1e-6) map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 16) });
    else map.fitBounds(b, { padding: 80, maxZoom: 17 });
    setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } });
  }

  /** Finds a feature by layer and id through the search API and flies to it. */
  async function locate(layer, id, name) {
    try {
      const res = await (await api(`/api/search?q=${encodeURIComponent(id)}&limit=100`)).json();
      const hit = (res.results || []).find((r) => r.id === id && (!layer || r.layer === layer));
      if (!hit) { toast(`未找到 ${name || id} 的位置`, 'info'); return; }
      flyToBbox(hit.bbox);
    } catch (e) {
      showError('定位', e);
    }
  }

  // ---------------------------------------------------------------- popups

  function closePopup() {
    if (state.popup) { state.popup.remove(); state.popup = null; }
  }

  function interactiveLayers() {
    const ids = dataLayerIds();
    return ids.concat(['rm-site-conflict-line', 'rm-site-conflict-point'].filter((id) => state.map.getLayer(id)));
  }

  function featuresAt(point, pad = 4) {
    const map = state.map;
    const box = [[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]];
    return map.queryRenderedFeatures(box, { layers: interactiveLayers() });
  }

  function pickFeature(features) {
    return features.find((f) => !BACKDROP_LAYERS.has(f.sourceLayer)) || features.find((f) => f.sourceLayer === 'risk_grid') || features[0];
  }

  function formatValue(layer, field, v) {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? '是' : '否';
    switch (field) {
      case 'level': case 'declared_level': return ZH.level[v] || v;
      case 'industry': return ZH.industry[v] || v;
      case 'pressure_class': return ZH.pressure[v] || v;
      case 'appraisal': return ZH.appraisal[v] || v;
      case 'house_use': return ZH.houseUse[v] || v;
      case 'rectification': return ZH.rectification[v] || v;
      case 'kind':
        if (layer === 'pipeline_conflicts') return ZH.pipelineConflict[v] || v;
        if (layer === 'site_check') return ZH.siteConflict[v] || v;
        return ZH.targetKind[v] || v;
      case 'class': case 'target_class': return ZH.targetClass[v] || v;
      case 'target_layer': case 'layer': return ZH.layer[v] || v;
      case 'grade': case 'declared_grade': return ZH.grade[v] || String(v);
      case 'year_laid': return String(v);
      case 'mismatch': return v === 'true' ? '是' : v === 'false' ? '否' : v;
      default: break;
    }
    if (typeof v === 'number') return fmtNum(v, 3);
    return String(v);
  }

  function fieldTable(layer, props, fields) {
    const rows = [];
    for (const [name, label] of fields) {
      if (!(name in props) || name === 'level_n') continue;
      const value = formatValue(layer, name, props[name]);
      const cell = name === 'reasons' ? h('td', null, String(props[name]).split('; ').map((r, i) => [i ? h('br') : null, r])) : h('td', null, value);
      rows.push(h('tr', null, h('th', null, label), cell));
    }
    return h('table', null, rows);
  }

  function popupContent(f) {
    const layer = f.sourceLayer;
    const p = f.properties || {};
    if (!layer && (p.role === 'conflict' || p.role === 'conflict_end')) {
      return h('div', { class: 'popup' },
        h('h3', null, levelBadge(p.level, p.level_zh), ZH.siteConflict[p.kind] || p.kind),
        fieldTable('site_check', p, SITE_FIELDS),
        p.reason ? h('p', { class: 'muted' }, p.reason) : null);
    }
    const info = layerInfo(layer);
    const title = info ? info.title_zh : layer;
    if ('count' in p) {
      // A cluster (or a lone feature) below the layer's detail zoom.
      const dz = info && info.detail_zoom != null ? info.detail_zoom : state.map.getZoom() + 2;
      const zoomIn = () => {
        closePopup();
        state.map.easeTo({ center: f.geometry.type === 'Point' ? f.geometry.coordinates : state.map.getCenter(), zoom: Math.max(dz, state.map.getZoom() + 1) });
      };
      const lone = p.cluster === false || p.count === 1;
      return h('div', { class: 'popup' },
        h('h3', null, title, lone ? '' : ' 聚合点'),
        h('table', null,
          h('tr', null, h('th', null, '数量'), h('td', null, `${fmtNum(p.count, 0)} 个`)),
          layer === 'protection_targets' ? null : h('tr', null, h('th', null, lone ? '风险等级' : '最高风险等级'), h('td', null, levelBadge(p.level)))),
        h('p', { class: 'muted' }, `放大到 ${dz} 级及以上可查看每个${title}的详细信息。`),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: zoomIn }, '放大查看')));
    }
    const fields = (info ? info.fields : []).map((x) => [x.name, x.label_zh]);
    const name = p.name || p.address || p.id || '';
    return h('div', { class: 'popup' },
      h('h3', null, h('span', { class: 'tag' }, title), name, 'level' in p && layer !== 'areas' ? levelBadge(p.level) : null),
      fieldTable(layer, p, fields));
  }

  function showPopup(f, lngLat) {
    closePopup();
    state.popup = new maplibregl.Popup({ maxWidth: '360px', closeButton: true, focusAfterOpen: false })
      .setLngLat(lngLat)
      .setDOMContent(popupContent(f))
      .addTo(state.map);
    state.popup.on('close', () => setSource('rm-highlight', { type: 'FeatureCollection', features: [] }));
    if (f.geometry && !BACKDROP_LAYERS.has(f.sourceLayer)) {
      setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: f.geometry });
    } else {
      setSource('rm-highlight', { type: 'FeatureCollection', features: [] });
    }
  }

  function onMapClick(e) {
    if (state.draw.active) { addVertex(e.lngLat); return; }
    if (!state.styleReady) return;
    const f = pickFeature(featuresAt(e.point));
    if (!f) { closePopup(); return; }
    showPopup(f, e.lngLat);
  }

  let moveScheduled = false;
  function onMouseMove(e) {
    if (state.draw.active) {
      state.draw.cursor = [e.lngLat.lng, e.lngLat.lat];
      setSource('rm-draw', drawData());
      return;
    }
    if (moveScheduled || !state.styleReady) return;
    moveScheduled = true;
    requestAnimationFrame(() => {
      moveScheduled = false;
      if (!state.styleReady) return;
      const hit = featuresAt(e.point, 3).some((f) => !BACKDROP_LAYERS.has(f.sourceLayer));
      state.map.getCanvas().style.cursor = hit ? 'pointer' : '';
    });
  }

  // ---------------------------------------------------------------- site check: drawing and upload

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

  // ---------------------------------------------------------------- site check: request and results

  async function submitSiteCheck() {
    if (!state.site) { toast('请先绘制或上传拟选址范围'); return; }
    const use = $('#site-use').value;
    const popText = $('#site-population').value.trim();
    const properties = { use };
    if (popText !== '') {
      const n = Number(popText);
      if (!Number.isInteger(n) || n < 0) { toast('规划人数应为非负整数'); return; }
      properties.population = n;
    }
    const body = JSON.stringify({ type: 'Feature', properties, geometry: state.site });
    const btn = $('#site-submit');
    btn.disabled = true;
    btn.textContent = '审查中…';
    let fc;
    try {
      fc = await (await api('/api/site-check', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body })).json();
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
      h('div', null, `拟建用途：${useZh}；按“${cls}”审查`),
      h('div', null, conflicts.length ? h('b', null, `发现 ${conflicts.length} 处冲突`) : h('b', null, '未发现距离冲突')));
    const list = h('ol', { class: 'conflicts' }, conflicts.map((f) => {
      const p = f.properties;
      const focus = () => {
        const b = bboxOf(f.geometry);
        state.map.fitBounds(b, { padding: 120, maxZoom: 17 });
        setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: f.geometry });
      };
      return h('li', { tabindex: 0, onclick: focus, onkeydown: (e) => { if (e.key === 'Enter') focus(); }, title: p.reason || '' },
        h('div', { class: 'head' }, levelBadge(p.level, p.level_zh || (p.level ? ZH.level[p.level] : '—')),
          h('span', null, ZH.siteConflict[p.kind] || p.kind, gradeOf(p) ? `（${gradeOf(p)}危险源）` : '')),
        h('div', null, h('span', { class: 'tag' }, layerTitle(p.layer)), ' ', h('span', { class: 'name' }, p.name || p.id), ' ', h('span', { class: 'muted' }, p.id)),
        h('div', { class: 'nums' }, `实际距离 ${fmtNum(p.distance_m, 1)} m，要求 ${fmtNum(p.required_m, 1)} m，`, h('b', null, `不足 ${fmtNum(p.shortfall_m, 1)} m`)),
        h('div', { class: 'rule' }, `依据：${p.rule}`));
    }));
    $('#site-results').replaceChildren(summary, conflicts.length ? list : h('p', { class: 'hint' }, '在现有数据与规则下，该范围与危险源、燃气管道和危险自建房的距离满足要求。'));
  }

  function downloadSiteCheck() {
    if (!state.siteResult) return;
    const use = ZH.use[$('#site-use').value] || $('#site-use').value;
    saveFile(JSON.stringify(state.siteResult, null, 2) + '\n', `选址审查_${use}_${today()}.geojson`);
  }

  // ---------------------------------------------------------------- export of the current view

  async function exportView() {
    const layer = $('#export-layer').value;
    if (state.levels.size === 0) { toast('请至少勾选一个风险等级'); return; }
    const b = state.map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map((v) => v.toFixed(6)).join(',');
    const params = new URLSearchParams({ bbox });
    if (state.levels.size < LEVELS.length) params.set('level', LEVELS.filter((l) => state.levels.has(l)).join(','));
    if (state.area) params.set('area', state.area.name);
    const btn = $('#export-button');
    btn.disabled = true;
    try {
      const text = await (await api(`/api/features/${layer}.geojson?${params}`)).text();
      let n = '';
      try { n = JSON.parse(text).features.length; } catch { /* size only */ }
      saveFile(text, `${layer}_${state.area ? state.area.name + '_' : ''}${today()}.geojson`);
      toast(`已导出 ${n === '' ? '' : n + ' 个要素'}（${$('#export-layer').selectedOptions[0].textContent}）`, 'info');
    } catch (e) {
      showError('导出', e);
    } finally {
      btn.disabled = false;
    }
  }

  // ----------------------------------------------------------------

  if (typeof maplibregl === 'undefined') {
    document.addEventListener('DOMContentLoaded', () => toast('地图组件未加载（/assets/vendor/maplibre-gl.js）'));
    return;
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
