// Name search and locating a feature on the map.

import { setSource } from './map.js';
import { api, showError, toast } from './messages.js';
import { state } from './state.js';
import { $, h, layerTitle } from './util.js';

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

export { hideSearch, locate, search };
