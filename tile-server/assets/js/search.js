// Search (names, addresses, ids, credit codes, kinds such as 学校), a page of results at
// a time, and locating a feature on the map with its popup open.

import { setSource } from './map.js';
import { api, showError, toast } from './messages.js';
import { openPopupFor } from './popups.js';
import { state } from './state.js';
import { $, h, layerTitle } from './util.js';

const PAGE = 30;
let current = { q: '', shown: 0, total: 0 };

function hideSearch() {
  $('#search-results').hidden = true;
}

async function fetchPage(q, offset) {
  return (await api(`api/search?q=${encodeURIComponent(q)}&limit=${PAGE}&offset=${offset}`)).json();
}

function resultItem(r) {
  const go = () => { hideSearch(); locateHit(r); };
  const why = r.matched && r.matched !== '名称' && r.matched !== '地址' ? h('span', { class: 'id' }, `${r.matched}匹配`) : null;
  return h('li', { tabindex: 0, role: 'option', onclick: go, onkeydown: (e) => { if (e.key === 'Enter') go(); } },
    h('span', { class: 'tag' }, layerTitle(r.layer)),
    h('span', null, r.name || r.id),
    r.kind_zh ? h('span', { class: 'id' }, r.kind_zh) : null,
    why,
    h('span', { class: 'id' }, r.id));
}

/** The head line and the "more" button of the list, after `current` changed. */
function footer(list) {
  list.querySelectorAll('li.more, li.count').forEach((e) => e.remove());
  list.prepend(h('li', { class: 'count', 'aria-live': 'polite' },
    current.total > current.shown ? `共 ${current.total} 条，显示前 ${current.shown} 条` : `共 ${current.total} 条`));
  if (current.total > current.shown) {
    const more = async () => {
      const asked = current;
      try {
        const res = await fetchPage(current.q, current.shown);
        // Another search replaced the list meanwhile: not its page.
        if (current !== asked) return;
        for (const r of res.results || []) list.append(resultItem(r));
        current.shown += (res.results || []).length;
        current.total = res.total ?? current.total;
        footer(list);
      } catch (e) {
        showError('搜索', e);
      }
    };
    list.append(h('li', { class: 'more', tabindex: 0, onclick: more, onkeydown: (e) => { if (e.key === 'Enter') more(); } },
      `显示更多（还有 ${current.total - current.shown} 条）`));
  }
}

/** Searches asked for: only the answer to the last one is shown. */
let searches = 0;

async function search() {
  const q = $('#search-input').value.trim();
  const list = $('#search-results');
  const mine = ++searches;
  if (!q) { hideSearch(); return; }
  let res;
  try {
    res = await fetchPage(q, 0);
  } catch (e) {
    if (mine === searches) showError('搜索', e);
    return;
  }
  // A later search was asked while this one's answer was on its way (answers may come
  // back out of order): its list is the one to show.
  if (mine !== searches) return;
  list.replaceChildren();
  const results = res.results || [];
  current = { q, shown: results.length, total: res.total ?? results.length };
  if (!results.length) list.append(h('li', { class: 'empty' }, `未找到“${q}”（可搜索名称、地址、编号、统一社会信用代码、类型如“学校”）`));
  for (const r of results) list.append(resultItem(r));
  if (results.length) footer(list);
  list.hidden = false;
}

function flyToBbox(b) {
  if (!Array.isArray(b) || b.length !== 4) { toast('该要素没有位置信息'); return null; }
  const map = state.map;
  const c = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  if (b[2] - b[0] < 1e-6 && b[3] - b[1] < 1e-6) map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 16) });
  else map.fitBounds(b, { padding: 80, maxZoom: 17 });
  setSource('rm-highlight', { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } });
  return c;
}

/** Flies to a search hit and, once the map stands still, opens its popup. */
function locateHit(r) {
  const c = flyToBbox(r.bbox);
  if (!c || r.tile_id == null) return;
  state.map.once('idle', () => openPopupFor(r.layer, r.tile_id, c));
}

/** Finds a feature by layer and id through the search API and flies to it. */
async function locate(layer, id, name) {
  try {
    const res = await (await api(`api/search?q=${encodeURIComponent(id)}&limit=100`)).json();
    const hit = (res.results || []).find((r) => r.id === id && (!layer || r.layer === layer));
    if (!hit) { toast(`未找到 ${name || id} 的位置`, 'info'); return; }
    flyToBbox(hit.bbox);
  } catch (e) {
    showError('定位', e);
  }
}

export { hideSearch, locate, search };
