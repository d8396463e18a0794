// The living map: the server announces every change (a batch of edits, a changed ledger
// file, a new day, a reload) on /api/changes/stream; tiles on screen are asked for again when a change
// falls in view (unchanged ones come back 304 from their ETag), the data version shown
// follows, and summaries and the layers' counts are read again. After a lost connection or
// a restart of the server everything is read again. A server too busy to draw a changed
// tile at once answers its last drawing and announces it as `drawn` once drawn anew:
// those tiles are asked for again too.

import { state } from './state.js';
import { loadHidden } from './hidden.js';
import { loadLayerCounts, whenTilesIn } from './map.js';
import { loadSummaries } from './summary.js';
import { $ } from './util.js';

function intersects(b, bounds) {
  if (!b) return false;
  const [w, s, e, n] = b;
  return !(e < bounds.getWest() || w > bounds.getEast() || n < bounds.getSouth() || s > bounds.getNorth());
}

function refreshIn(bbox, whole) {
  const map = state.map;
  if (!map || !state.styleReady) return;
  if (whole || intersects(bbox, map.getBounds())) {
    for (const [id, src] of Object.entries(map.getStyle().sources)) {
      // Tiles on their way may be of the data before the change: asked for once they are in.
      if (src.type === 'vector') whenTilesIn(map, id, `live:${id}`, () => { if (map.getSource(id)) map.refreshTiles(id); });
    }
  }
}

function onDrawn(ev) {
  let c;
  try { c = JSON.parse(ev.data); } catch { return; }
  refreshIn(c.bbox, false);
}

function onChange(ev) {
  let c;
  try { c = JSON.parse(ev.data); } catch { return; }
  state.generation = c.generation;
  if (state.catalog) state.catalog.generation = c.generation;
  const info = $('#data-info');
  if (info && info.firstChild && info.firstChild.nodeType === Node.TEXT_NODE) {
    info.firstChild.textContent = `数据第 ${c.generation} 版`;
  }
  if (!state.map || !state.styleReady) return;
  // A new day (midnight, China time) moves every hazard's state: like a reload.
  const whole = ev.type === 'reload' || ev.type === 'day';
  refreshIn(c.bbox, whole);
  state.changes = (state.changes || 0) + 1;
  loadSummaries();
  loadLayerCounts();
  // The month-by-month chart is read again after a reload or a new day, not after every
  // edit.
  loadHidden(whole);
}

// A changed ledger the server refused (cut short, unreadable, losing too much) leaves the
// map as it was: the header says so, with the server's reason on hover, until a reading
// is taken in. Asked of /health at the start, on each `source` event and after a
// reconnection.
let sourceAsked = 0;
async function checkSource() {
  const badge = $('#source-status');
  if (!badge) return;
  // Answers may come back out of order: only the last question's answer is shown.
  const asked = ++sourceAsked;
  let h;
  try { h = await (await fetch('health')).json(); } catch { return; }
  if (asked !== sourceAsked) return;
  const why = h && h.reading_refused && h.reading_refused.why;
  badge.hidden = !why;
  badge.title = why ? `${why}（${new Date(h.reading_refused.at * 1000).toLocaleString('zh-CN')}）` : '';
}

/** Follows the server's changes; reconnects by itself (EventSource does). */
export function followChanges() {
  if (typeof EventSource === 'undefined') return;
  const es = new EventSource('api/changes/stream');
  for (const kind of ['edit', 'day', 'reload']) es.addEventListener(kind, onChange);
  es.addEventListener('source', checkSource);
  checkSource();
  es.addEventListener('drawn', onDrawn);
  // A hello after the first is a new connection: the server was restarted (its
  // generations count from 1 again, its data may have changed while it was stopped) or
  // the connection was lost and events missed. Everything shown is asked for again.
  let greeted = false;
  es.addEventListener('hello', (ev) => {
    if (greeted) {
      onChange({ type: 'reload', data: ev.data });
      checkSource();
    }
    greeted = true;
  });
  // While the stream is down (the server stopped, the network gone) the map shows
  // what it had: the header says so until the stream is back.
  const link = $('#link-status');
  es.addEventListener('error', () => { if (link && es.readyState !== EventSource.OPEN) link.hidden = false; });
  es.addEventListener('open', () => { if (link) link.hidden = true; });
  es.addEventListener('lagged', () => {
    onChange({ type: 'reload', data: JSON.stringify({ generation: state.generation }) });
    checkSource();
  });
  state.events = es;
}
