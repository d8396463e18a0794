// Small helpers: DOM building (text is never parsed as HTML), number and level
// formatting, file download, and bounding box and ring area of GeoJSON coordinates.

import { state } from './state.js';
import { LEVELS, ZH } from './vocab.js';

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
  e.append(...present(children));
  return e;
}

/** Children as h() takes them: nested lists flattened, absent ones (undefined, null, false) left out. */
function present(children) {
  return children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false);
}

/** Replaces an element's children; absent ones add nothing, as in h() (a null would be the text "null"). */
function fill(e, ...children) {
  e.replaceChildren(...present(children));
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

export { $, bboxOf, fill, fmtNum, h, layerInfo, layerTitle, levelBadge, levelDot, ringArea, saveFile, today };
