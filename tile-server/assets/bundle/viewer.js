// The viewer of an offline map bundle (`riskmap bundle`): the risk map's style drawn from
// the folder's map.pmtiles through the PMTiles protocol, a legend, layer switches and
// popups from the tiles' own properties. No server behind it: nothing but the folder's
// files is requested. map-data.js sets window.RISKMAP_BUNDLE (style, layers, facts).
(function () {
  'use strict';
  const data = window.RISKMAP_BUNDLE;
  const state = { styleReady: false };
  window.riskmap = { state, map: null };
  const meta = data.style.metadata || {};
  const colors = meta['riskmap:level_colors'] || {};
  const levelNames = meta['riskmap:level_names_zh'] || {};
  const layerOf = new Map(data.layers.map((l) => [l.id, l]));

  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  };

  if (data.title) {
    document.title = `${data.title} · RiskMap`;
    document.querySelector('#panel h1').textContent = data.title;
  }
  // Facts of the map: its day and when it was made.
  const facts = [];
  if (data.as_of) facts.push(`数据日期 ${data.as_of}`);
  if (data.generated) facts.push(`生成于 ${data.generated.slice(0, 10)}`);
  document.getElementById('map-facts').textContent = facts.join(' · ');

  // Legend: the four colours with their names (and the first character on the swatch, so
  // that the levels are told apart without colour too).
  const legend = document.getElementById('legend');
  ['major', 'significant', 'general', 'low'].forEach((k) => {
    const li = el('li');
    const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' }, (levelNames[k] || '')[0] || '');
    sw.style.backgroundColor = colors[k] || '#ccc';
    sw.classList.add(`lv-${k}`);
    // Dark text where white would be faint (orange and yellow fail WCAG AA with white).
    sw.style.color = k === 'general' || k === 'significant' ? '#2b1d00' : '#fff';
    li.append(sw, el('span', {}, levelNames[k] || k));
    legend.append(li);
  });

  // The labels' glyphs: from map-data.js (a bundle; works from file:// too), or from the
  // server beside the page (`riskmap serve ARCHIVE`). Without either the style has no labels.
  function labelGlyphs(style) {
    if (!style.glyphs) return;
    if (style.glyphs.startsWith('riskmap-glyphs://')) {
      const ranges = window.RISKMAP_GLYPHS || {};
      maplibregl.addProtocol('riskmap-glyphs', async (params) => {
        const range = params.url.split('/').pop().replace(/\.pbf$/, '');
        const b64 = ranges[range];
        if (!b64) return { data: new ArrayBuffer(0) };
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
        return { data: bytes.buffer };
      });
    } else if (!/^[a-z]+:/.test(style.glyphs)) {
      style.glyphs = new URL('.', window.location.href).href + style.glyphs;
    }
  }

  // `source`: the TileJSON of a server (`riskmap serve ARCHIVE`), the URL of the
  // folder's map.pmtiles, or the archive the reader picked.
  function start(source) {
    const style = JSON.parse(JSON.stringify(data.style));
    if (source.tilejson) {
      style.sources.riskmap.url = source.tilejson;
    } else {
      const protocol = new pmtiles.Protocol();
      maplibregl.addProtocol('pmtiles', protocol.tile);
      let url = source.url;
      if (source.archive) {
        protocol.add(source.archive);
        url = source.archive.source.getKey();
      }
      style.sources.riskmap.url = `pmtiles://${url}`;
    }
    labelGlyphs(style);
    const map = new maplibregl.Map({
      container: 'map',
      style,
      // Labels in the bundle's own glyphs (map-data.js) or its server's.
      localIdeographFontFamily: false,
      bounds: data.bounds,
      fitBoundsOptions: { padding: 20 },
      attributionControl: { compact: true, customAttribution: 'RiskMap' },
    });
    window.riskmap.map = map;
    // The hatch patterns of 重大 and 较大 (patterns.js), drawn when the style asks.
    map.on('styleimagemissing', (e) => window.riskmapPatterns.provide(map, e.id));
    map.addControl(new maplibregl.NavigationControl(), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    map.on('load', () => {
      state.styleReady = true;
      layerSwitches(map);
    });
    map.on('click', (e) => popup(map, e));
    map.on('mousemove', (e) => {
      map.getCanvas().style.cursor = pickable(map, e.point).length ? 'pointer' : '';
    });
  }

  function layerSwitches(map) {
    const box = document.getElementById('layers');
    data.layers.forEach((l) => {
      const styleLayers = map.getStyle().layers.filter((s) => s['source-layer'] === l.id);
      if (!styleLayers.length) return;
      const label = el('label');
      const cb = el('input', { type: 'checkbox' });
      cb.checked = true;
      cb.addEventListener('change', () => {
        styleLayers.forEach((s) => map.setLayoutProperty(s.id, 'visibility', cb.checked ? 'visible' : 'none'));
      });
      label.append(cb, el('span', {}, l.title_zh));
      box.append(label);
    });
  }

  // A value as a reader reads it: the vocabularies' Chinese names, 是/否 for flags.
  const valuesZh = data.values_zh || {};
  function shown(field, v) {
    if (typeof v === 'boolean') return v ? '是' : '否';
    const names = valuesZh[field];
    return (names && names[String(v)]) || String(v);
  }

  function pickable(map, point) {
    const box = [[point.x - 3, point.y - 3], [point.x + 3, point.y + 3]];
    return map.queryRenderedFeatures(box).filter((f) => f.sourceLayer && layerOf.has(f.sourceLayer));
  }

  function popup(map, e) {
    const hits = pickable(map, e.point);
    if (!hits.length) return;
    // The topmost feature: the style draws the layers bottom first.
    const f = hits[0];
    const l = layerOf.get(f.sourceLayer);
    const p = f.properties || {};
    const box = el('div', { class: 'popup' });
    box.append(el('h3', {}, l.title_zh));
    const table = el('table');
    const row = (k, v) => {
      const tr = el('tr');
      tr.append(el('th', {}, k), el('td', {}, v));
      table.append(tr);
    };
    if (p.cluster) {
      row('聚合要素', `${p.count} 个（放大查看单个）`);
      if (p.level) row('最高风险等级', shown('level', p.level));
    } else {
      l.fields.forEach((fi) => {
        // `level_n` and the like are for the style, not for readers.
        if (p[fi.name] === undefined || p[fi.name] === '' || fi.name.endsWith('_n')) return;
        row(fi.label_zh || fi.name, shown(fi.name, p[fi.name]));
      });
    }
    box.append(table);
    new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(box).addTo(map);
  }

  if (location.protocol === 'file:' && !data.tilejson) {
    // Pages opened from a file may not fetch the folder's files: the reader picks it.
    const ask = document.getElementById('open-file');
    ask.hidden = false;
    document.getElementById('file-input').addEventListener('change', (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (!file) return;
      ask.hidden = true;
      start({ archive: new pmtiles.PMTiles(new pmtiles.FileSource(file)) });
    });
  } else if (data.tilejson) {
    start({ tilejson: new URL(data.tilejson, location.href).href });
  } else {
    start({ url: new URL('map.pmtiles', location.href).href });
  }
})();
