// The viewer's state, shared by every module, and `window.riskmap`, which exposes it
// (and the map once loaded) to the browser tests.

import { LEVELS } from './vocab.js';

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
  dataDay: null, // the day the data is analysed as of (YYYY-MM-DD)
  asOf: null, // the map's day (the date control)
  dayBusy: false, // the map's day on its way: its tiles asked for, not yet drawn
  hiddenFilter: { statuses: new Set(['pending', 'in_progress', 'rectified', 'supervised']), major: false, overdue: false, category: '' },
  hiddenAreas: null, // /api/hidden/areas of the map's day
  historyKept: false, // the server takes the ledgers back to a past day (a store, a folder with a trail)
};

let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });
window.riskmap = { state, ready, map: null, catalog: null };

export { resolveReady, state };
